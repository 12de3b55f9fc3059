"""The base of every entity: unique id, device and availability, set once.

A group is a device (a service), and each member a device under it, attached to
the member's config subentry; a member's entities are added with that subentry, so
that removing a member removes them. Calendars stand on their own (`_on_device`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import ClassVar

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.entity import EntityDescription
from homeassistant.helpers.event import async_track_point_in_utc_time
from homeassistant.helpers.update_coordinator import CoordinatorEntity
from homeassistant.util import dt as dt_util

from .const import DOMAIN
from .coordinator import SharedCalendarsConfigEntry, SharedCalendarsCoordinator
from .engine.model import CalendarRef, Member


def group_device_info(entry: SharedCalendarsConfigEntry) -> DeviceInfo:
    """Return the device of a sharing group."""
    return DeviceInfo(
        identifiers={(DOMAIN, entry.entry_id)},
        name=entry.title,
        entry_type=DeviceEntryType.SERVICE,
    )


@callback
def async_group_device_id(
    hass: HomeAssistant, entry: SharedCalendarsConfigEntry
) -> str:
    """Register the group's device, which members' devices hang under; return its id.

    Registered before any member's device, as `via_device_id` names a device id.
    """
    device = dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id, **group_device_info(entry)
    )
    return device.id


@callback
def async_remove_stale_entities(
    hass: HomeAssistant,
    entry: SharedCalendarsConfigEntry,
    domain: str,
    unique_ids: Iterable[str],
) -> None:
    """Remove this platform's entities nothing provides any more.

    A calendar taken out of a member's sources would otherwise stay behind as an
    unavailable entity. Removed members take theirs along with their subentry.
    """
    registry = er.async_get(hass)
    keep = set(unique_ids)
    for entity in er.async_entries_for_config_entry(registry, entry.entry_id):
        if entity.domain == domain and entity.unique_id not in keep:
            registry.async_remove(entity.entity_id)


class SharedCalendarsEntity(CoordinatorEntity[SharedCalendarsCoordinator]):
    """An entity of a group, or of one member of it."""

    _attr_has_entity_name = True
    _on_device: ClassVar[bool] = True
    """Whether it belongs to its group's or member's device, whose name leads its own."""

    def __init__(
        self,
        coordinator: SharedCalendarsCoordinator,
        description: EntityDescription,
        *,
        member: Member | None = None,
        group_device_id: str | None = None,
        calendars: Iterable[CalendarRef] = (),
        unique_key: str | None = None,
    ) -> None:
        """Describe the entity; a member's on a device needs the group's device id.

        `calendars` are those it shows: it is unavailable while one of them, or
        the account behind it, failed in the last cycle.
        """
        super().__init__(coordinator)
        self.entity_description = description
        self.member = member
        self._calendars = tuple(calendars)
        entry = coordinator.config_entry
        key = unique_key or description.key
        self._attr_unique_id = (
            f"{entry.entry_id}_{key}"
            if member is None
            else f"{entry.entry_id}_{member.id}_{key}"
        )
        if not self._on_device:
            return
        if member is None:
            self._attr_device_info = group_device_info(entry)
            return
        assert group_device_id is not None, "a member's device hangs under the group's"
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, f"{entry.entry_id}_{member.id}")},
            name=member.name,
            entry_type=DeviceEntryType.SERVICE,
            via_device_id=group_device_id,
        )

    @property
    def available(self) -> bool:
        """Return False when the sync failed, or a calendar shown here could not be read."""
        if not super().available:
            return False
        report = self.coordinator.data
        return not any(
            ref.key in report.errors or ref.account in report.auth_failed
            for ref in self._calendars
        )


class SharedCalendarsTimedEntity(SharedCalendarsEntity):
    """An entity whose state changes with the clock, at moments it knows ahead.

    It works its state out from the synced state after every cycle, and again at
    the moment it said it would change (an event's start or end), so that it flips
    on time without polling.
    """

    _unsub_timer: CALLBACK_TYPE | None = None

    def _recompute(self, now: datetime) -> datetime | None:
        """Set the state for `now`; return when it changes next, if known."""
        raise NotImplementedError

    @callback
    def _async_refresh_state(self) -> None:
        self._async_cancel_timer()
        if (change := self._recompute(dt_util.utcnow())) is not None:
            self._unsub_timer = async_track_point_in_utc_time(
                self.hass, self._async_at_change, change
            )

    @callback
    def _async_at_change(self, _: datetime) -> None:
        self._unsub_timer = None
        self._async_refresh_state()
        self.async_write_ha_state()

    async def async_added_to_hass(self) -> None:
        """Work the state out, and follow the clock from now on."""
        await super().async_added_to_hass()
        self._async_refresh_state()
        self.async_on_remove(self._async_cancel_timer)

    @callback
    def _async_cancel_timer(self) -> None:
        if self._unsub_timer is not None:
            self._unsub_timer()
            self._unsub_timer = None

    @callback
    def _handle_coordinator_update(self) -> None:
        self._async_refresh_state()
        super()._handle_coordinator_update()
