"""Shared Calendars: one combined calendar per member of a family, friends or office.

The package has three layers: `engine/` decides (pure Python, no I/O), `providers/`
talks to Google and CalDAV, and the modules here connect both to Home Assistant.
"""

from __future__ import annotations

from homeassistant.const import EVENT_HOMEASSISTANT_FINAL_WRITE, Platform
from homeassistant.core import Event, HomeAssistant
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.typing import ConfigType

from .accounts import async_build_providers, async_keep_unique_id
from .const import DOMAIN
from .coordinator import (
    SharedCalendarsConfigEntry,
    SharedCalendarsCoordinator,
    SharedCalendarsRuntimeData,
)
from .ha_watch import HaCalendarWatch
from .push import GroupPush, async_remove_push
from .repairs import async_delete_issues
from .services import async_setup_services
from .store import async_remove_state

__all__ = ["SharedCalendarsConfigEntry"]

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)

PLATFORMS: list[Platform] = [
    Platform.BINARY_SENSOR,
    Platform.BUTTON,
    Platform.CALENDAR,
    Platform.SENSOR,
]


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the actions, once for every group."""
    async_setup_services(hass)
    return True


async def async_setup_entry(
    hass: HomeAssistant, entry: SharedCalendarsConfigEntry
) -> bool:
    """Set up a sharing group: its accounts, its state and its first sync."""
    async_keep_unique_id(hass, entry)
    providers = await async_build_providers(hass, entry)
    coordinator = SharedCalendarsCoordinator(hass, entry, providers)
    entry.runtime_data = SharedCalendarsRuntimeData(
        coordinator=coordinator, providers=providers
    )
    try:
        await coordinator.async_config_entry_first_refresh()
    except BaseException:
        await _async_close(entry)
        raise
    push = GroupPush(hass, entry, coordinator)
    await push.async_start()
    entry.runtime_data.push = push

    async def _async_close_state(_: Event) -> None:
        # Home Assistant stops without unloading: close the database (its WAL
        # folded back in) once a running cycle's save is done.
        await coordinator.store.async_close()

    entry.async_on_unload(
        hass.bus.async_listen_once(EVENT_HOMEASSISTANT_FINAL_WRITE, _async_close_state)
    )
    watch = HaCalendarWatch(hass, coordinator)
    watch.async_start()
    entry.async_on_unload(watch.async_stop)
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    entry.async_on_unload(entry.add_update_listener(_async_reload))
    return True


async def async_unload_entry(
    hass: HomeAssistant, entry: SharedCalendarsConfigEntry
) -> bool:
    """Unload a sharing group and close its connections."""
    if not await hass.config_entries.async_unload_platforms(entry, PLATFORMS):
        return False
    await _async_close(entry)
    return True


async def async_remove_entry(
    hass: HomeAssistant, entry: SharedCalendarsConfigEntry
) -> None:
    """Forget a removed group: its repairs issues and its stored state.

    Home Assistant removes its devices and entities with the entry.
    """
    async_delete_issues(hass, entry.entry_id)
    await async_remove_state(hass, entry.entry_id)
    await async_remove_push(hass, entry)


async def _async_close(entry: SharedCalendarsConfigEntry) -> None:
    if (push := entry.runtime_data.push) is not None:
        await push.async_stop()
    for provider in entry.runtime_data.providers.values():
        await provider.close()
    await entry.runtime_data.coordinator.store.async_close()


async def _async_reload(hass: HomeAssistant, entry: SharedCalendarsConfigEntry) -> None:
    """Members, accounts or options changed: start over with them."""
    await hass.config_entries.async_reload(entry.entry_id)
