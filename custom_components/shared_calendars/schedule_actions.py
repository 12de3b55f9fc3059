"""The `find_free_time` action: the first times when members and rooms are all free.

Read from the synced state, like `get_free_busy`, so that an automation may ask
as often as it likes: no calendar is asked. Busy is what `get_free_busy` calls
busy (events that are not free and not cancelled, occurrences of series
included, all-day events only when they are busy); members are free only within
their working hours (member options, 08:00-20:00 unless set) unless the call
turns them off. Rooms have no hours of their own: a search of rooms alone keeps
to the default hours. Slots start on the quarter hour unless the call asks for
another granularity (0: at the first free minute).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, time, timedelta
from typing import Any

from homeassistant.const import ATTR_CONFIG_ENTRY_ID
from homeassistant.core import ServiceCall, ServiceResponse
from homeassistant.helpers import config_validation as cv
from homeassistant.util import dt as dt_util
import probatio

from .const import CONF_WORK_END, CONF_WORK_START, SUBENTRY_MEMBER
from .coordinator import SharedCalendarsConfigEntry
from .engine.model import Event, EventStatus
from .engine.occurrences import busy_periods
from .engine.schedule import DEFAULT_WORKING_HOURS, Attendee, WorkingHours, free_slots
from .engine.views import originals_of
from .event_fields import ATTR_END_DATE_TIME, ATTR_START_DATE_TIME, local_time
from .helpers import refused
from .room_actions import room_named
from .targets import loaded_group, member_named

SERVICE_FIND_FREE_TIME = "find_free_time"
ATTR_MEMBERS = "members"
ATTR_ROOMS = "rooms"
ATTR_DURATION = "duration"
ATTR_WORKING_HOURS = "working_hours"
ATTR_LIMIT = "limit"
ATTR_GRANULARITY = "granularity"

SEARCH_SPAN = timedelta(days=14)
"""How far ahead a search looks unless the call says otherwise."""
MAX_SEARCH_SPAN = timedelta(days=62)
"""The longest search, as for `get_free_busy`."""
MAX_LIMIT = 50
DEFAULT_GRANULARITY = 15
"""Minutes: slots start on the quarter hour, as people set meetings; 0 rounds not."""
MAX_GRANULARITY = 240

# A date alone (YAML, a template) is the first moment of that day.
_MOMENT = probatio.Any(cv.datetime, cv.date)

FIND_FREE_TIME_SCHEMA = probatio.Schema(
    {
        probatio.Optional(ATTR_CONFIG_ENTRY_ID): cv.string,
        probatio.Optional(ATTR_MEMBERS): probatio.All(cv.ensure_list, [cv.string]),
        probatio.Optional(ATTR_ROOMS): probatio.All(cv.ensure_list, [cv.string]),
        probatio.Required(ATTR_DURATION): probatio.All(
            cv.time_period, cv.positive_timedelta
        ),
        probatio.Optional(ATTR_START_DATE_TIME): _MOMENT,
        probatio.Optional(ATTR_END_DATE_TIME): _MOMENT,
        probatio.Optional(ATTR_WORKING_HOURS, default=True): cv.boolean,
        probatio.Optional(ATTR_LIMIT, default=1): probatio.All(
            probatio.Coerce(int), probatio.Range(min=1, max=MAX_LIMIT)
        ),
        probatio.Optional(ATTR_GRANULARITY, default=DEFAULT_GRANULARITY): probatio.All(
            probatio.Coerce(int), probatio.Range(min=0, max=MAX_GRANULARITY)
        ),
    }
)


def working_hours_in(data: Mapping[str, Any]) -> WorkingHours:
    """Return the working hours a member's options keep (08:00-20:00 unless set)."""
    start = data.get(CONF_WORK_START)
    end = data.get(CONF_WORK_END)
    return WorkingHours(
        start=time.fromisoformat(start) if start else DEFAULT_WORKING_HOURS.start,
        end=time.fromisoformat(end) if end else DEFAULT_WORKING_HOURS.end,
    )


def _window(call: ServiceCall) -> tuple[datetime, datetime]:
    start = (
        local_time(call.data[ATTR_START_DATE_TIME])
        if ATTR_START_DATE_TIME in call.data
        # From the next whole minute: a slot at 13:07:42.318 helps nobody.
        else dt_util.now().replace(second=0, microsecond=0) + timedelta(minutes=1)
    )
    end = (
        local_time(call.data[ATTR_END_DATE_TIME])
        if ATTR_END_DATE_TIME in call.data
        else start + SEARCH_SPAN
    )
    if end <= start:
        raise refused("end_not_after_start", start=str(start), end=str(end))
    if end - start > MAX_SEARCH_SPAN:
        raise refused("span_too_long", days=str(MAX_SEARCH_SPAN.days))
    return start, end


async def async_find_free_time(call: ServiceCall) -> ServiceResponse:
    """Return the earliest slots in which every member and room asked is free."""
    hass = call.hass
    wanted_members: list[str] = call.data.get(ATTR_MEMBERS) or []
    wanted_rooms: list[str] = call.data.get(ATTR_ROOMS) or []
    entry = loaded_group(hass, call.data, *wanted_members, *wanted_rooms)
    coordinator = entry.runtime_data.coordinator
    state = coordinator.state
    start, end = _window(call)
    zone = dt_util.get_default_time_zone()
    with_hours: bool = call.data[ATTR_WORKING_HOURS]

    members = [member_named(hass, entry, wanted) for wanted in wanted_members]
    rooms = [room_named(hass, entry, wanted) for wanted in wanted_rooms]
    if not members and not rooms:
        members = coordinator.members
    members = list({member.id: member for member in members}.values())
    rooms = list({room.ref.key: room for room in rooms}.values())

    attendees = [
        Attendee(
            busy=tuple(busy_periods(originals_of(member, state), start, end, zone)),
            hours=_member_hours(entry, member.id) if with_hours else None,
        )
        for member in members
    ]
    for room in rooms:
        calendar = state.calendars.get(room.ref.key)
        bookings: list[Event] = (
            [
                event
                for event in calendar.events.values()
                if event.copy_of is None and event.status is not EventStatus.CANCELLED
            ]
            if calendar is not None
            else []
        )
        attendees.append(Attendee(busy=tuple(busy_periods(bookings, start, end, zone))))
    if with_hours and not members:
        attendees.append(Attendee(busy=(), hours=DEFAULT_WORKING_HOURS))

    slots = free_slots(
        attendees,
        start,
        end,
        call.data[ATTR_DURATION],
        zone=zone,
        limit=call.data[ATTR_LIMIT],
        granularity=timedelta(minutes=minutes)
        if (minutes := call.data[ATTR_GRANULARITY])
        else None,
    )
    synced = coordinator.last_synced
    return {
        "slots": [
            {"start": slot.start.isoformat(), "end": slot.end.isoformat()}
            for slot in slots
        ],
        "members": [member.name for member in members],
        "rooms": [room.name for room in rooms],
        "start": start.isoformat(),
        "end": end.isoformat(),
        "synced_at": dt_util.as_local(synced).isoformat() if synced else None,
    }


def _member_hours(entry: SharedCalendarsConfigEntry, member_id: str) -> WorkingHours:
    subentry = entry.subentries.get(member_id)
    if subentry is None or subentry.subentry_type != SUBENTRY_MEMBER:
        return DEFAULT_WORKING_HOURS
    return working_hours_in(subentry.data)
