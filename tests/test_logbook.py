"""The logbook: what a group's entities log is activity, not the ticking of cycles."""

from __future__ import annotations

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder.core import Recorder
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import (
    MockUser,
    async_fire_time_changed,
    mock_component,
)
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from .family import NOW, at, setup_family
from .providers.google_harness import GoogleHarness
from .test_sensor import EVENTS


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(
    recorder_db_url: str, enable_custom_integrations: None
) -> None:
    """Let the recorder's database come before Home Assistant, as it must."""


async def test_cycles_leave_the_logbook_alone(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    google_harness: GoogleHarness,
    freezer: FrozenDateTimeFactory,
    hass_client_no_auth: ClientSessionGenerator,
    hass_admin_user: MockUser,
) -> None:
    """Sync cycles that change nothing but the time log nothing; an event's start does."""
    freezer.move_to(NOW)
    family = await setup_family(hass, google_harness, EVENTS)
    mock_component(hass, "frontend")  # the logbook's panel; not installed here
    assert await async_setup_component(hass, "logbook", {})
    for minutes in (5, 10, 15):
        freezer.move_to(at(1, 12, minutes))
        await family.coordinator.async_refresh()
    freezer.move_to(at(1, 14))  # Anna's dentist starts
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    await async_wait_recording_done(hass)

    # A token of the frozen time: one made before it moved would have expired.
    refresh_token = await hass.auth.async_create_refresh_token(
        hass_admin_user, "https://example.com/app"
    )
    token = hass.auth.async_create_access_token(refresh_token)
    client = await hass_client_no_auth()
    response = await client.get(
        f"/api/logbook/{NOW.isoformat()}",
        params={"end_time": at(2, 0).isoformat()},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status == 200
    logged = {entry.get("entity_id") for entry in await response.json()}
    assert "binary_sensor.anna_busy" in logged
    sync = {e for e in logged if str(e).startswith(("sensor.family_", "button."))}
    assert sync == set()
