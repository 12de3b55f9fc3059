"""Setting up, unloading and removing a sharing group."""

from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import (
    device_registry as dr,
    entity_registry as er,
    issue_registry as ir,
)
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.shared_calendars.const import DOMAIN
from custom_components.shared_calendars.store import database_path

from .family import ANNA, BEN, ENTRY_ID, setup_family
from .providers.caldav_harness import CalDavHarness
from .providers.google_harness import SERVICE_ACCOUNT, GoogleHarness


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


async def test_removed_group_leaves_no_issue_device_entity_or_state(
    hass: HomeAssistant,
    google_harness: GoogleHarness,
    hass_storage: dict[str, Any],
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
) -> None:
    """Repairs issues, devices, entities and the stored ledger go with the group."""
    family = await setup_family(hass, google_harness)
    google_harness.server.unshare(family.calendars["ben-combined"], SERVICE_ACCOUNT)
    await family.coordinator.async_refresh()
    issues = ir.async_get(hass)
    assert [
        issue.translation_key
        for (domain, _), issue in issues.issues.items()
        if domain == DOMAIN
    ] == ["push_unavailable", "not_shared"]  # the tests give no external URL
    database = database_path(hass, ENTRY_ID)
    assert database.exists()
    assert len(dr.async_entries_for_config_entry(device_registry, ENTRY_ID)) == 3

    await hass.config_entries.async_remove(ENTRY_ID)
    await hass.async_block_till_done()
    assert not [
        issue for (domain, _), issue in issues.issues.items() if domain == DOMAIN
    ]
    folder = database.parent
    assert not [
        path for path in folder.iterdir() if path.name.startswith(database.name)
    ]
    assert f"{DOMAIN}.{ENTRY_ID}.push" not in hass_storage
    assert not dr.async_entries_for_config_entry(device_registry, ENTRY_ID)
    assert not er.async_entries_for_config_entry(entity_registry, ENTRY_ID)


async def test_removed_member_takes_their_device_and_entities(
    hass: HomeAssistant,
    caldav_harness: CalDavHarness,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
) -> None:
    """Removing Ben's subentry removes his device and entities; Anna's stay."""
    family = await setup_family(hass, caldav_harness)

    def devices() -> set[str]:
        return {
            device.name or ""
            for device in dr.async_entries_for_config_entry(device_registry, ENTRY_ID)
        }

    def members_of_entities() -> set[str | None]:
        return {
            entity.config_subentry_id
            for entity in er.async_entries_for_config_entry(entity_registry, ENTRY_ID)
        }

    assert devices() == {"Family", "Anna", "Ben"}
    assert members_of_entities() == {None, ANNA, BEN}

    hass.config_entries.async_remove_subentry(family.entry, BEN)
    await hass.async_block_till_done()
    assert family.entry.state is ConfigEntryState.LOADED
    assert devices() == {"Family", "Anna"}
    assert members_of_entities() == {None, ANNA}
    assert all(
        hass.states.get(entity.entity_id) is not None
        for entity in er.async_entries_for_config_entry(entity_registry, ENTRY_ID)
        if entity.disabled_by is None
    )
