"""The group's button: sync now."""

from __future__ import annotations

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
import pytest
from syrupy.assertion import SnapshotAssertion

from .family import ENTRY_ID, NOW, Family, at, setup_family, snapshot_domain
from .providers.google_harness import SERVICE_ACCOUNT, GoogleHarness


@pytest.fixture
async def family(
    hass: HomeAssistant, google_harness: GoogleHarness, freezer: FrozenDateTimeFactory
) -> Family:
    """Return the family on Google at noon."""
    freezer.move_to(NOW)
    return await setup_family(hass, google_harness)


async def _press(hass: HomeAssistant) -> None:
    await hass.services.async_call(
        "button", "press", {"entity_id": "button.family_sync_now"}, blocking=True
    )


async def test_button(
    hass: HomeAssistant,
    family: Family,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """One button per group, on the group's device."""
    snapshot_domain(hass, entity_registry, snapshot, ENTRY_ID, "button")


async def test_sync_now_copies_a_new_event_at_once(
    hass: HomeAssistant, family: Family
) -> None:
    """An event Anna adds in Google Calendar reaches Ben when the button is pressed."""
    assert isinstance(family.harness, GoogleHarness)
    family.harness.server.insert_event(
        family.calendars["anna"],
        {
            "summary": "Dentist",
            "start": {"dateTime": at(3, 9).isoformat()},
            "end": {"dateTime": at(3, 10).isoformat()},
        },
    )
    assert await family.titles("ben-combined") == []

    await _press(hass)

    assert await family.titles("ben-combined") == ["Dentist"]


async def test_sync_now_reports_a_failed_cycle_and_stays_pressable(
    hass: HomeAssistant, family: Family
) -> None:
    """With the key refused the press says why, and the button can be pressed again."""
    assert isinstance(family.harness, GoogleHarness)
    family.harness.server.revoke_key(SERVICE_ACCOUNT)

    with pytest.raises(HomeAssistantError, match="were refused"):
        await _press(hass)

    state = hass.states.get("button.family_sync_now")
    assert state is not None
    assert state.state != STATE_UNAVAILABLE
