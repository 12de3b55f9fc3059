"""Shared Calendars: one combined calendar per member of a family, friends or office.

The package has three layers: `engine/` decides (pure Python, no I/O), `providers/`
talks to Google and CalDAV, and the modules here connect both to Home Assistant.
"""

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant

type SharedCalendarsConfigEntry = ConfigEntry[None]


async def async_setup_entry(
    hass: HomeAssistant, entry: SharedCalendarsConfigEntry
) -> bool:
    """Set up a sharing group from a config entry."""
    return True


async def async_unload_entry(
    hass: HomeAssistant, entry: SharedCalendarsConfigEntry
) -> bool:
    """Unload a sharing group."""
    return True
