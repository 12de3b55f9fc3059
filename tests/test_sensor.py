"""Sensors: each member's next event, and the group's sync health and counts."""

from __future__ import annotations

import logging

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed
from syrupy.assertion import SnapshotAssertion

from .family import (
    ENTRY_ID,
    NOW,
    Family,
    at,
    enable,
    hour_long,
    setup_family,
    snapshot_domain,
)
from .providers.google_harness import SERVICE_ACCOUNT, GoogleHarness

DENTIST = hour_long("dentist", "Dentist", at(1, 14))
PLANNING_UID = "planning@example.com"
EVENTS = {
    "anna": [
        DENTIST,
        hour_long("planning-a", "Planning", at(2, 9), ical_uid=PLANNING_UID),
    ],
    "ben": [
        hour_long("planning-b", "Planning", at(2, 9), ical_uid=PLANNING_UID),
        hour_long("football", "Football", at(1, 18)),
    ],
}


DEVELOPER_SENSORS = (
    "sensor.family_last_successful_sync",
    "sensor.family_copies_managed",
    "sensor.family_pending_changes",
)
"""Disabled by default: only who looks into the sync needs them."""


@pytest.fixture
async def family(
    hass: HomeAssistant, google_harness: GoogleHarness, freezer: FrozenDateTimeFactory
) -> Family:
    """Return the family on Google at noon, with this file's events, every sensor on."""
    freezer.move_to(NOW)
    family = await setup_family(hass, google_harness, EVENTS)
    await enable(hass, *DEVELOPER_SENSORS)
    return family


def _state(hass: HomeAssistant, entity_id: str) -> str:
    state = hass.states.get(entity_id)
    assert state is not None
    return state.state


async def test_sensors(
    hass: HomeAssistant,
    google_harness: GoogleHarness,
    freezer: FrozenDateTimeFactory,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """Next event and its title per member; sync health and counts per group."""
    freezer.move_to(NOW)
    await setup_family(hass, google_harness, EVENTS)
    snapshot_domain(hass, entity_registry, snapshot, ENTRY_ID, "sensor")
    disabled = {
        entry.entity_id
        for entry in er.async_entries_for_config_entry(entity_registry, ENTRY_ID)
        if entry.disabled_by is er.RegistryEntryDisabler.INTEGRATION
    }
    assert disabled == set(DEVELOPER_SENSORS)


async def test_next_event_moves_on_when_it_starts(
    hass: HomeAssistant, family: Family, freezer: FrozenDateTimeFactory
) -> None:
    """At 14:00 the dentist is no longer next: tomorrow's planning is."""
    assert _state(hass, "sensor.anna_next_event") == "2026-12-01T13:00:00+00:00"
    assert _state(hass, "sensor.anna_next_event_title") == "Dentist"

    freezer.move_to(at(1, 14))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()

    assert _state(hass, "sensor.anna_next_event") == "2026-12-02T08:00:00+00:00"
    assert _state(hass, "sensor.anna_next_event_title") == "Planning"
    assert _state(hass, "sensor.ben_next_event_title") == "Football"


async def test_next_event_is_unknown_without_events(
    hass: HomeAssistant, google_harness: GoogleHarness, freezer: FrozenDateTimeFactory
) -> None:
    """A member with nothing ahead has no next event."""
    freezer.move_to(NOW)
    await setup_family(hass, google_harness)

    assert _state(hass, "sensor.anna_next_event") == STATE_UNKNOWN
    assert _state(hass, "sensor.anna_next_event_title") == STATE_UNKNOWN


async def test_group_counts_follow_the_cycles(
    hass: HomeAssistant, family: Family, freezer: FrozenDateTimeFactory
) -> None:
    """Shared events count an invitation once; copies count what sync wrote."""
    assert _state(hass, "sensor.family_events_shared") == "3"
    # Dentist for Ben, Football for Anna; both hold the planning meeting already.
    assert _state(hass, "sensor.family_copies_managed") == "2"
    assert _state(hass, "sensor.family_pending_changes") == "0"
    assert _state(hass, "sensor.family_sync_errors") == "0"
    assert _state(hass, "sensor.family_last_successful_sync") == (
        "2026-12-01T11:00:00+00:00"
    )

    assert isinstance(family.harness, GoogleHarness)
    family.harness.server.delete_event(family.calendars["anna"], DENTIST.id)
    family.harness.server.unshare(family.calendars["anna-school"], SERVICE_ACCOUNT)
    freezer.move_to(at(1, 12, 5))
    await family.coordinator.async_refresh()

    assert _state(hass, "sensor.family_events_shared") == "2"
    assert _state(hass, "sensor.family_copies_managed") == "1"
    assert _state(hass, "sensor.family_sync_errors") == "1"
    assert _state(hass, "sensor.family_last_successful_sync") == (
        "2026-12-01T11:05:00+00:00"
    )


async def test_sync_health_stays_readable_when_the_sync_fails(
    hass: HomeAssistant, family: Family, freezer: FrozenDateTimeFactory
) -> None:
    """A refused key fails the whole cycle: the last sync stays, the errors count it."""
    assert isinstance(family.harness, GoogleHarness)
    family.harness.server.revoke_key(SERVICE_ACCOUNT)
    freezer.move_to(at(1, 12, 5))

    await family.coordinator.async_refresh()

    assert not family.coordinator.last_update_success
    assert _state(hass, "sensor.family_sync_errors") == "5"  # every calendar
    assert _state(hass, "sensor.family_last_successful_sync") == (
        "2026-12-01T11:00:00+00:00"
    )
    assert _state(hass, "sensor.family_events_shared") == "3"
    # A member's sensors say what their calendars hold now: not known.
    assert _state(hass, "sensor.anna_next_event") == STATE_UNAVAILABLE


async def test_refused_copies_are_named_without_their_text_in_the_log(
    hass: HomeAssistant, family: Family, caplog: pytest.LogCaptureFixture
) -> None:
    """A copy Ben's calendar refuses: the error sensor names it; the log does not."""
    assert isinstance(family.harness, GoogleHarness)
    server = family.harness.server
    caplog.set_level(logging.DEBUG)
    server.refused_summaries.add("Surgery")
    server.insert_event(
        family.calendars["anna"],
        {
            "summary": "Surgery",
            "start": {"dateTime": "2026-12-03T10:00:00+01:00"},
            "end": {"dateTime": "2026-12-03T11:00:00+01:00"},
        },
    )
    await family.coordinator.async_refresh()

    errors = hass.states.get("sensor.family_sync_errors")
    assert errors is not None
    assert errors.state == "0"  # one refused copy fails alone: no calendar failed
    [refused] = errors.attributes["refused_copies"]
    assert refused["title"] == "Surgery"
    assert refused["calendar"] == "Ben"
    assert "Invalid value for: summary" in refused["reason"]
    pending = hass.states.get("sensor.family_pending_changes")
    assert pending is not None
    assert pending.state == "0"
    assert pending.attributes["deferred_writes"] == 0
    assert pending.attributes["write_pace"] == {}
    ours = [r for r in caplog.records if r.name.startswith("custom_components")]
    assert any("refused" in record.getMessage() for record in ours)
    assert not any("Surgery" in record.getMessage() for record in ours)
