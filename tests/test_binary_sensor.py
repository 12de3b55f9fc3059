"""Busy sensors: on while a member's own event makes them busy, flipping on time."""

from __future__ import annotations

from datetime import datetime, timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_OFF, STATE_ON, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed
from syrupy.assertion import SnapshotAssertion

from custom_components.shared_calendars.engine.model import EventStatus, Transparency

from .family import ENTRY_ID, NOW, Family, at, hour_long, setup_family, snapshot_domain
from .providers.google_harness import SERVICE_ACCOUNT, GoogleHarness

DENTIST = hour_long("dentist", "Dentist", at(1, 14))
CALL = hour_long("call", "Call", at(1, 15))
"""Right after the dentist: Anna stays busy until it ends."""
HOME_OFFICE = hour_long(
    "wfh", "Home office", at(1, 13), transparency=Transparency.TRANSPARENT
)
CALLED_OFF = hour_long("off", "Called off", at(1, 17), status=EventStatus.CANCELLED)
MAYBE = hour_long("maybe", "Maybe", at(1, 18), status=EventStatus.TENTATIVE)
FOOTBALL = hour_long("football", "Football", at(1, 16))
EVENTS = {"anna": [DENTIST, CALL, HOME_OFFICE, CALLED_OFF, MAYBE], "ben": [FOOTBALL]}


@pytest.fixture
async def family(
    hass: HomeAssistant, google_harness: GoogleHarness, freezer: FrozenDateTimeFactory
) -> Family:
    """Return the family on Google at noon, with this file's events."""
    freezer.move_to(NOW)
    return await setup_family(hass, google_harness, EVENTS)


def _busy(hass: HomeAssistant, who: str) -> str:
    state = hass.states.get(f"binary_sensor.{who}_busy")
    assert state is not None
    return state.state


async def _at(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, moment: datetime
) -> None:
    freezer.move_to(moment)
    async_fire_time_changed(hass)
    await hass.async_block_till_done()


async def test_busy_sensors(
    hass: HomeAssistant,
    family: Family,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """One busy sensor per member, on the member's device."""
    snapshot_domain(hass, entity_registry, snapshot, ENTRY_ID, "binary_sensor")


async def test_busy_flips_at_the_start_and_end_of_busy_time(
    hass: HomeAssistant, family: Family, freezer: FrozenDateTimeFactory
) -> None:
    """Free at noon (home office is free time), busy from 14:00 to 16:00 straight."""
    requests = family.harness.request_count()
    assert _busy(hass, "anna") == STATE_OFF

    await _at(hass, freezer, at(1, 14) - timedelta(seconds=1))
    assert _busy(hass, "anna") == STATE_OFF
    await _at(hass, freezer, at(1, 14))
    assert _busy(hass, "anna") == STATE_ON
    await _at(hass, freezer, at(1, 15))
    assert _busy(hass, "anna") == STATE_ON, "the call follows without a gap"
    await _at(hass, freezer, at(1, 16))
    assert _busy(hass, "anna") == STATE_OFF
    await _at(hass, freezer, at(1, 17))
    assert _busy(hass, "anna") == STATE_OFF, "a cancelled event keeps nobody busy"
    await _at(hass, freezer, at(1, 18))
    assert _busy(hass, "anna") == STATE_ON, "a tentative one does"
    assert _busy(hass, "ben") == STATE_OFF, "copies of Anna's events are not Ben's"
    assert family.harness.request_count() == requests, "no polling"


async def test_an_event_added_elsewhere_counts_after_the_next_cycle(
    hass: HomeAssistant, family: Family
) -> None:
    """An event Ben adds on his phone for right now makes him busy once synced."""
    assert isinstance(family.harness, GoogleHarness)
    family.harness.server.insert_event(
        family.calendars["ben"],
        {
            "summary": "Phone call",
            "start": {"dateTime": at(1, 11, 30).isoformat()},
            "end": {"dateTime": at(1, 12, 30).isoformat()},
        },
    )
    assert _busy(hass, "ben") == STATE_OFF

    await family.coordinator.async_refresh()

    assert _busy(hass, "ben") == STATE_ON


async def test_busy_is_unavailable_while_one_of_the_members_calendars_fails(
    hass: HomeAssistant, family: Family
) -> None:
    """Anna's school calendar is no longer shared: her busy state is not known."""
    assert isinstance(family.harness, GoogleHarness)
    family.harness.server.unshare(family.calendars["anna-school"], SERVICE_ACCOUNT)

    await family.coordinator.async_refresh()

    assert _busy(hass, "anna") == STATE_UNAVAILABLE
    assert _busy(hass, "ben") == STATE_OFF
