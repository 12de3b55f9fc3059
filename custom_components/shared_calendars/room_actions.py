"""The room actions: `clear_overlaps`, and what the event actions ask of rooms.

A room is named as a calendar is: its calendar entity, its name (any case), or
its calendar id; without one, every room of the group.
"""

from __future__ import annotations

from typing import Any

from homeassistant.const import ATTR_CONFIG_ENTRY_ID
from homeassistant.core import HomeAssistant, ServiceCall, ServiceResponse
from homeassistant.helpers import config_validation as cv, entity_registry as er
from homeassistant.util import dt as dt_util
import probatio

from .const import CLEAR_WINDOW, DOMAIN
from .coordinator import SharedCalendarsConfigEntry
from .event_fields import ATTR_END_DATE_TIME, ATTR_START_DATE_TIME, local_time
from .helpers import refused
from .room_clearing import async_clear_rooms
from .room_options import Room
from .targets import calendar_label, loaded_group

SERVICE_CLEAR_OVERLAPS = "clear_overlaps"
ATTR_ROOM = "room"
ATTR_DRY_RUN = "dry_run"

# A date alone (YAML, a template) is the first moment of that day.
_MOMENT = probatio.Any(cv.datetime, cv.date)

CLEAR_OVERLAPS_SCHEMA = probatio.Schema(
    {
        probatio.Optional(ATTR_CONFIG_ENTRY_ID): cv.string,
        probatio.Optional(ATTR_ROOM): cv.string,
        probatio.Optional(ATTR_DRY_RUN, default=False): cv.boolean,
        probatio.Optional(ATTR_START_DATE_TIME): _MOMENT,
        probatio.Optional(ATTR_END_DATE_TIME): _MOMENT,
    }
)


def room_unique_id(entry_id: str, room: Room) -> str:
    """Return the unique id of a room's calendar entity (see `entity.py`)."""
    return f"{entry_id}_room_{room.ref.key}"


def find_room(
    hass: HomeAssistant, entry: SharedCalendarsConfigEntry, wanted: str
) -> Room | None:
    """Return the room a calendar entity, a name (any case) or a calendar id names."""
    rooms = entry.runtime_data.coordinator.rooms
    entity = er.async_get(hass).async_get(wanted)
    if entity is not None and entity.platform == DOMAIN:
        return next(
            (
                room
                for room in rooms
                if entity.config_entry_id == entry.entry_id
                and entity.unique_id == room_unique_id(entry.entry_id, room)
            ),
            None,
        )
    folded = wanted.strip().casefold()
    return next(
        (
            room
            for room in rooms
            if folded == room.name.casefold()
            or wanted in (room.ref.calendar_id, room.ref.key)
        ),
        None,
    )


def room_named(
    hass: HomeAssistant, entry: SharedCalendarsConfigEntry, wanted: str
) -> Room:
    """Return the room a call names, or refuse it naming the group's rooms."""
    if (room := find_room(hass, entry, wanted)) is None:
        raise refused(
            "not_a_room",
            room=calendar_label(hass, wanted),
            group=entry.title,
            rooms=", ".join(room.name for room in entry.runtime_data.coordinator.rooms)
            or "-",
        )
    return room


async def async_clear_overlaps(call: ServiceCall) -> ServiceResponse:
    """Delete cancelled bookings and the losers of overlaps in the group's rooms."""
    wanted: str | None = call.data.get(ATTR_ROOM)
    entry = loaded_group(call.hass, call.data, *([wanted] if wanted else []))
    coordinator = entry.runtime_data.coordinator
    if not coordinator.rooms:
        raise refused("no_rooms", group=entry.title)
    rooms = (
        [room_named(call.hass, entry, wanted)] if wanted else list(coordinator.rooms)
    )
    start = (
        local_time(call.data[ATTR_START_DATE_TIME])
        if ATTR_START_DATE_TIME in call.data
        else dt_util.now()
    )
    end = (
        local_time(call.data[ATTR_END_DATE_TIME])
        if ATTR_END_DATE_TIME in call.data
        else start + CLEAR_WINDOW
    )
    if end <= start:
        raise refused("end_not_after_start", start=str(start), end=str(end))
    report = await async_clear_rooms(
        coordinator, rooms, start, end, dry_run=call.data[ATTR_DRY_RUN]
    )
    response: dict[str, Any] = report.response(dt_util.get_default_time_zone())
    return response
