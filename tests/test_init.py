"""Setting up, unloading and removing a sharing group."""

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.shared_calendars.const import DOMAIN


async def test_entry_sets_up_unloads_and_is_removed(
    hass: HomeAssistant, group_entry: MockConfigEntry
) -> None:
    """A group's entry loads, unloads and leaves nothing behind when removed."""
    group_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(group_entry.entry_id)
    await hass.async_block_till_done()
    assert group_entry.state is ConfigEntryState.LOADED

    assert await hass.config_entries.async_unload(group_entry.entry_id)
    await hass.async_block_till_done()
    assert group_entry.state is ConfigEntryState.NOT_LOADED

    await hass.config_entries.async_remove(group_entry.entry_id)
    await hass.async_block_till_done()
    assert hass.config_entries.async_entries(DOMAIN) == []


async def test_integration_loads_without_yaml(hass: HomeAssistant) -> None:
    """The integration is set up by the UI only; a bare setup succeeds."""
    assert await async_setup_component(hass, DOMAIN, {})
