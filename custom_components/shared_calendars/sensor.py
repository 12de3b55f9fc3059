"""Sensors: each member's next event, and the group's sync health and counts.

A member's next event is two sensors, its start (a timestamp) and its title,
rather than one with the title as an attribute: Home Assistant prefers states to
attributes, so each can be shown, graphed and used in automations on its own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Any, override

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import EntityCategory, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import StateType
from homeassistant.util import dt as dt_util

from .accounts import accounts_of
from .coordinator import SharedCalendarsConfigEntry, SharedCalendarsCoordinator
from .engine.content import instant
from .engine.model import Event
from .engine.occurrences import Occurrence, occurrences_of
from .engine.views import everyone, originals_of
from .entity import (
    SharedCalendarsEntity,
    SharedCalendarsTimedEntity,
    async_group_device_id,
    async_remove_stale_entities,
)

PARALLEL_UPDATES = 0

SEARCH_SPANS = (timedelta(days=1), timedelta(days=31), timedelta(days=366))
"""How far ahead to look for a next event, nearest first: most are found soon."""


@dataclass(frozen=True, kw_only=True)
class MemberSensorDescription(SensorEntityDescription):
    """A sensor of a member's next event."""

    value_fn: Callable[[Occurrence, tzinfo], datetime | str]


@dataclass(frozen=True, kw_only=True)
class GroupSensorDescription(SensorEntityDescription):
    """A sensor of a group's sync."""

    value_fn: Callable[[SharedCalendarsCoordinator], StateType | datetime]
    attributes_fn: Callable[[SharedCalendarsCoordinator], dict[str, Any]] | None = None


def _backlog(coordinator: SharedCalendarsCoordinator) -> dict[str, Any]:
    """Say how fast each paced account writes, and how many writes wait for it."""
    titles = {
        account_id: subentry.title
        for account_id, subentry in accounts_of(coordinator.config_entry).items()
    }
    report = coordinator.data
    return {
        "deferred_writes": report.deferred,
        "write_pace": {
            titles.get(account, account): pace for account, pace in report.pace.items()
        },
    }


def _parked(coordinator: SharedCalendarsCoordinator) -> dict[str, Any]:
    """Name the copies their calendars refused: title, whose calendar, and why."""
    owners = {
        member.combined.key: member.name
        for member in coordinator.members
        if member.combined is not None
    }
    return {
        "refused_copies": [
            {
                "title": parked.title,
                "calendar": owners.get(key)
                or coordinator.calendar_label(parked.record.target),
                "reason": parked.reason,
            }
            for (key, _), parked in sorted(coordinator.state.parked.items())
        ]
    }


def _skipped(coordinator: SharedCalendarsCoordinator) -> dict[str, Any]:
    """Name the events that cannot be read: title, whose calendar, and why."""
    calendars = coordinator.calendars()
    return {
        "skipped_events": [
            {
                "title": item.title,
                "calendar": coordinator.calendar_label(calendars[key]),
                "reason": item.reason.value,
            }
            for key, held in sorted(coordinator.state.skipped.items())
            if key in calendars
            for item in held.values()
        ]
    }


def _sync_errors(coordinator: SharedCalendarsCoordinator) -> int:
    """Count the calendars the last cycle could not sync: all, when it failed outright."""
    if (report := coordinator.latest) is None:
        return len(coordinator.calendars())
    return len(report.errors)


MEMBER_SENSORS: tuple[MemberSensorDescription, ...] = (
    MemberSensorDescription(
        key="next_event",
        translation_key="next_event",
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=lambda occurrence, zone: instant(occurrence.start, zone),
    ),
    MemberSensorDescription(
        key="next_event_title",
        translation_key="next_event_title",
        # A state holds at most 255 characters.
        value_fn=lambda occurrence, _: occurrence.event.summary[:255],
    ),
)

GROUP_SENSORS: tuple[GroupSensorDescription, ...] = (
    GroupSensorDescription(
        key="last_synced",
        translation_key="last_synced",
        device_class=SensorDeviceClass.TIMESTAMP,
        entity_category=EntityCategory.DIAGNOSTIC,
        # It changes every cycle: each would be an entry in the logbook.
        entity_registry_enabled_default=False,
        value_fn=lambda coordinator: coordinator.last_synced,
    ),
    GroupSensorDescription(
        key="events_shared",
        translation_key="events_shared",
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda coordinator: len(
            everyone(coordinator.members, coordinator.state)
        ),
    ),
    GroupSensorDescription(
        key="copies_managed",
        translation_key="copies_managed",
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value_fn=lambda coordinator: sum(
            not record.hidden for record in coordinator.state.copies.values()
        ),
    ),
    GroupSensorDescription(
        key="pending_changes",
        translation_key="pending_changes",
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value_fn=lambda coordinator: coordinator.data.pending,
        attributes_fn=_backlog,
    ),
    GroupSensorDescription(
        key="sync_errors",
        translation_key="sync_errors",
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=_sync_errors,
        attributes_fn=lambda coordinator: _parked(coordinator) | _skipped(coordinator),
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SharedCalendarsConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the group's sensors and each member's."""
    coordinator = entry.runtime_data.coordinator
    group_device_id = async_group_device_id(hass, entry)
    group = [GroupSensor(coordinator, description) for description in GROUP_SENSORS]
    async_add_entities(group)
    unique_ids = [entity.unique_id for entity in group]
    for member in coordinator.members:
        entities = [
            NextEventSensor(
                coordinator,
                description,
                member=member,
                group_device_id=group_device_id,
                calendars=member.sources,
            )
            for description in MEMBER_SENSORS
        ]
        async_add_entities(entities, config_subentry_id=member.id)
        unique_ids.extend(entity.unique_id for entity in entities)
    async_remove_stale_entities(hass, entry, Platform.SENSOR, filter(None, unique_ids))


def next_occurrence(
    events: Iterable[Event], now: datetime, zone: tzinfo
) -> Occurrence | None:
    """Return the occurrence that starts next after `now`."""
    events = list(events)
    for span in SEARCH_SPANS:
        for occurrence in occurrences_of(events, now, now + span, zone):
            if instant(occurrence.start, zone) > now:
                return occurrence
    return None


class NextEventSensor(SharedCalendarsTimedEntity, SensorEntity):
    """What comes next in a member's own calendars; changes when it starts."""

    entity_description: MemberSensorDescription

    @override
    def _recompute(self, now: datetime) -> datetime | None:
        assert self.member is not None
        zone = dt_util.get_default_time_zone()
        found = next_occurrence(
            originals_of(self.member, self.coordinator.state), now, zone
        )
        if found is None:
            self._attr_native_value = None
            return None
        self._attr_native_value = self.entity_description.value_fn(found, zone)
        return instant(found.start, zone)


class GroupSensor(SharedCalendarsEntity, SensorEntity):
    """A number or time about a group's sync.

    Available when a cycle failed: that is when the health of the sync is read.
    The values are those of the last cycle that worked, but the error count.
    """

    entity_description: GroupSensorDescription

    @property
    @override
    def available(self) -> bool:
        """Stay readable when the sync fails."""
        return True

    @property
    @override
    def native_value(self) -> StateType | datetime:
        """Return the value from the last cycle."""
        return self.entity_description.value_fn(self.coordinator)

    @property
    @override
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """Return the details behind the value, where the sensor has any."""
        if (attributes_fn := self.entity_description.attributes_fn) is None:
            return None
        return attributes_fn(self.coordinator)
