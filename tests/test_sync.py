"""The merge sync inside Home Assistant: coordinator, stored ledger, repairs, resync."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
import pytest

from custom_components.shared_calendars.const import DOMAIN
from custom_components.shared_calendars.engine.ids import copy_id
from custom_components.shared_calendars.engine.model import Event
from custom_components.shared_calendars.store import database_path

from .group import caldav_account, google_account, group_entry, member
from .providers.caldav_harness import CalDavHarness
from .providers.google_harness import GoogleHarness
from .stored import count_rows

START = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)


def _original(key: str, summary: str) -> Event:
    event_id = copy_id("original", key)
    return Event(
        id=event_id,
        ical_uid=f"{event_id}@example.com",
        summary=summary,
        start=START,
        end=START + timedelta(hours=1),
    )


async def _two_members(harness: CalDavHarness | GoogleHarness) -> dict[str, str]:
    return {
        name: await harness.new_calendar(name)
        for name in ("anna", "anna-combined", "ben", "ben-combined")
    }


async def _titles(harness: CalDavHarness | GoogleHarness, calendar: str) -> list[str]:
    listing = await harness.provider.changes(calendar, None)
    return sorted(event.summary for event in listing.changed)


async def test_group_syncs_at_setup_and_keeps_its_ledger_across_restarts(
    hass: HomeAssistant, caldav_harness: CalDavHarness
) -> None:
    """Setup copies Anna's event to Ben; after a restart the first cycle only asks for changes."""
    calendars = await _two_members(caldav_harness)
    account = caldav_account(caldav_harness)
    account_id = account["unique_id"]
    assert account_id is not None
    await caldav_harness.provider.put_event(
        calendars["anna"], _original("anna/1", "Dentist")
    )
    entry = group_entry(
        account,
        member(
            "Anna",
            sources=[(account_id, calendars["anna"])],
            combined=(account_id, calendars["anna-combined"]),
        ),
        member(
            "Ben",
            sources=[(account_id, calendars["ben"])],
            combined=(account_id, calendars["ben-combined"]),
        ),
    )
    entry.add_to_hass(hass)

    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert await _titles(caldav_harness, calendars["ben-combined"]) == ["Dentist"]
    assert await _titles(caldav_harness, calendars["anna-combined"]) == []
    assert count_rows(database_path(hass, entry.entry_id), "copies") == 1

    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    report = entry.runtime_data.coordinator.data
    assert report.requests == {"changes": 4}
    assert (report.created, report.updated, report.deleted) == (0, 0, 0)
    assert report.unchanged == 1  # a restart plans every event once

    await entry.runtime_data.coordinator.async_refresh()
    quiet = entry.runtime_data.coordinator.data
    assert quiet.requests == {"changes": 4}
    assert quiet.unchanged == 0  # and then only what changed: nothing


async def test_refused_key_starts_reauthentication(
    hass: HomeAssistant, google_harness: GoogleHarness
) -> None:
    """A revoked service-account key fails the entry into a reauth flow."""
    calendars = await _two_members(google_harness)
    account = google_account(google_harness)
    account_id = account["unique_id"]
    assert account_id is not None
    entry = group_entry(
        account,
        member("Anna", sources=[(account_id, calendars["anna"])], combined=None),
    )
    entry.add_to_hass(hass)
    google_harness.server.revoke_key(google_harness.key["client_email"])

    assert not await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_ERROR
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == ["reauth"]


async def test_resync_of_an_unknown_group_is_refused(hass: HomeAssistant) -> None:
    """Naming a group that does not exist is a validation error."""
    from homeassistant.setup import async_setup_component

    assert await async_setup_component(hass, DOMAIN, {})
    with pytest.raises(ServiceValidationError):
        await hass.services.async_call(
            DOMAIN,
            "resync",
            {"config_entry_id": "nope"},
            blocking=True,
            return_response=True,
        )
