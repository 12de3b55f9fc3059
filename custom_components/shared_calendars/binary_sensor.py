"""Busy sensors: a member is busy while one of their own events runs."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import override

from homeassistant.components.binary_sensor import (
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.const import EntityCategory, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.util import dt as dt_util

from .coordinator import SharedCalendarsConfigEntry
from .engine.occurrences import busy_periods
from .engine.views import originals_of
from .entity import (
    SharedCalendarsEntity,
    SharedCalendarsTimedEntity,
    async_group_device_id,
    async_remove_stale_entities,
)

PARALLEL_UPDATES = 0

HORIZON = timedelta(days=1)
"""How far ahead a busy sensor looks for its next change; it looks again then."""

DESCRIPTIONS: tuple[BinarySensorEntityDescription, ...] = (
    BinarySensorEntityDescription(key="busy", translation_key="busy"),
)
PUSH_DESCRIPTION = BinarySensorEntityDescription(
    key="push", translation_key="push", entity_category=EntityCategory.DIAGNOSTIC
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SharedCalendarsConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a busy sensor per member."""
    coordinator = entry.runtime_data.coordinator
    group_device_id = async_group_device_id(hass, entry)
    push_sensor = PushSensor(coordinator, PUSH_DESCRIPTION)
    async_add_entities([push_sensor])
    unique_ids: list[str | None] = [push_sensor.unique_id]
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
        periods = busy_periods(
            originals_of(self.member, self.coordinator.state),
            now,
            now + HORIZON,
            dt_util.get_default_time_zone(),
        )
        self._attr_is_on = bool(periods) and periods[0].start <= now
        if not periods:
            return now + HORIZON
        return periods[0].end if self._attr_is_on else periods[0].start


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
