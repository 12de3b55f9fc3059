"""Busy sensors: a member is busy while one of their own events runs."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import override

from homeassistant.components.binary_sensor import (
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.components.binary_sensor.const import BinarySensorDeviceClass
from homeassistant.const import EntityCategory, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.util import dt as dt_util

from .coordinator import SharedCalendarsConfigEntry, SharedCalendarsCoordinator
from .engine.model import Event
from .engine.occurrences import busy_periods
from .engine.views import originals_of
from .entity import (
    SharedCalendarsEntity,
    SharedCalendarsTimedEntity,
    async_group_device_id,
    async_remove_stale_entities,
)
from .room_options import Room

PARALLEL_UPDATES = 0

HORIZON = timedelta(days=1)
"""How far ahead a busy sensor looks for its next change; it looks again then."""

DESCRIPTIONS: tuple[BinarySensorEntityDescription, ...] = (
    BinarySensorEntityDescription(key="busy", translation_key="busy"),
)
ROOM_OCCUPIED = BinarySensorEntityDescription(
    key="room_occupied",
    translation_key="room_occupied",
    device_class=BinarySensorDeviceClass.OCCUPANCY,
)
PUSH_DESCRIPTION = BinarySensorEntityDescription(
    key="push", translation_key="push", entity_category=EntityCategory.DIAGNOSTIC
)


def busy_now(events: list[Event], now: datetime) -> tuple[bool, datetime]:
    """Return whether the events make one busy now, and when to look again."""
    periods = busy_periods(events, now, now + HORIZON, dt_util.get_default_time_zone())
    busy = bool(periods) and periods[0].start <= now
    if not periods:
        return False, now + HORIZON
    return busy, periods[0].end if busy else periods[0].start


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SharedCalendarsConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a busy sensor per member, and an occupied sensor per room."""
    coordinator = entry.runtime_data.coordinator
    group_device_id = async_group_device_id(hass, entry)
    push_sensor = PushSensor(coordinator, PUSH_DESCRIPTION)
    rooms = [RoomOccupiedSensor(coordinator, room) for room in coordinator.rooms]
    async_add_entities([push_sensor, *rooms])
    unique_ids: list[str | None] = [push_sensor.unique_id]
    unique_ids += [entity.unique_id for entity in rooms]
    for member in coordinator.members:
        entities = [
            BusySensor(
                coordinator,
                description,
                member=member,
                group_device_id=group_device_id,
                calendars=member.sources,
            )
            for description in DESCRIPTIONS
        ]
        async_add_entities(entities, config_subentry_id=member.id)
        unique_ids.extend(entity.unique_id for entity in entities)
    async_remove_stale_entities(
        hass, entry, Platform.BINARY_SENSOR, filter(None, unique_ids)
    )


class BusySensor(SharedCalendarsTimedEntity, BinarySensorEntity):
    """On while an event of the member's own calendars makes them busy.

    Free (transparent) and cancelled events do not count, tentative ones do, as in
    Google's and CalDAV's free/busy; copies of others' events are not the member's.
    """

    entity_description: BinarySensorEntityDescription

    @override
    def _recompute(self, now: datetime) -> datetime | None:
        assert self.member is not None
        self._attr_is_on, change = busy_now(
            originals_of(self.member, self.coordinator.state), now
        )
        return change


class RoomOccupiedSensor(SharedCalendarsTimedEntity, BinarySensorEntity):
    """On while a booking occupies the room; free and cancelled bookings do not."""

    entity_description: BinarySensorEntityDescription

    def __init__(self, coordinator: SharedCalendarsCoordinator, room: Room) -> None:
        """Name the sensor after the room; it belongs to the group's device."""
        super().__init__(
            coordinator,
            ROOM_OCCUPIED,
            calendars=(room.ref,),
            unique_key=f"room_occupied_{room.ref.key}",
        )
        self._ref = room.ref
        self._attr_translation_placeholders = {"room": room.name}

    @override
    def _recompute(self, now: datetime) -> datetime | None:
        calendar = self.coordinator.state.calendars.get(self._ref.key)
        events = [
            event
            for event in (calendar.events.values() if calendar is not None else ())
            if event.copy_of is None
        ]
        self._attr_is_on, change = busy_now(events, now)
        return change


class PushSensor(SharedCalendarsEntity, BinarySensorEntity):
    """On while every Google calendar of the group has an open push channel."""

    entity_description: BinarySensorEntityDescription

    @property
    @override
    def available(self) -> bool:
        """Return True: whether push works matters most while syncs fail."""
        return True

    @property
    @override
    def is_on(self) -> bool:
        push = self.coordinator.config_entry.runtime_data.push
        return push is not None and push.active
