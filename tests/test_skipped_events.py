"""Events that cannot be read, and a state that cannot be saved, as the user sees them.

An event a calendar holds but that cannot be read is left out, and a repairs issue
names it (title, member, calendar, why) until it is fixed at its source; the
integration's log lines say only which calendar and the reason kind (libraries may
log whole answers at DEBUG). A sync state that cannot be written
fails the cycle with a translated error instead of being lost without a word.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import json
import logging
from pathlib import Path
import re
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.shared_calendars.const import DOMAIN
from custom_components.shared_calendars.engine.ids import copy_id
from custom_components.shared_calendars.engine.model import Event, SkipReason
from custom_components.shared_calendars.repairs import skipped_issue_id
from custom_components.shared_calendars.store import StateNotSaved

from .group import google_account, group_entry, member
from .providers.google_harness import GoogleHarness

START = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)
STRINGS: dict[str, Any] = json.loads(
    (
        Path(__file__).parent.parent / "custom_components" / DOMAIN / "strings.json"
    ).read_text()
)
PLACEHOLDER = re.compile(r"{(\w+)}")
BAD_ID = "unreadable01"
BAD_TITLE = "Therapy with Dr. Who"
"""A private title: the issue shows it, the log never does."""


def _good(n: int) -> Event:
    event_id = copy_id("original", f"anna/{n}")
    return Event(
        id=event_id,
        ical_uid=f"{event_id}@example.com",
        summary=f"Event {n}",
        start=START + timedelta(hours=n),
        end=START + timedelta(hours=n + 1),
    )


def _bad(**fields: Any) -> dict[str, Any]:
    return {
        "id": BAD_ID,
        "summary": BAD_TITLE,
        "description": "private notes",
        "start": {"dateTime": "2026-12-03T10:00:00Z"},
        "end": {"dateTime": "2026-12-03T11:00:00Z"},
    } | fields


async def _setup(
    hass: HomeAssistant, harness: GoogleHarness
) -> tuple[MockConfigEntry, str, str, str]:
    """Load a group: Anna's calendar holds a good and a bad event; Ben receives."""
    anna = await harness.new_calendar("Anna's diary")
    ben = await harness.new_calendar("Ben's combined")
    await harness.provider.put_event(anna, _good(1))
    harness.server.put_raw(anna, _bad(status="postponed"))
    account = google_account(harness)
    account_id = account["unique_id"]
    assert account_id is not None
    entry = group_entry(
        account,
        member("Anna", sources=[(account_id, anna)], combined=None),
        member("Ben", sources=[], combined=(account_id, ben)),
    )
    entry.add_to_hass(hass)
    assert await async_setup_component(hass, "repairs", {})
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    issue_id = skipped_issue_id(
        entry.entry_id, f"{account_id}|{anna}", SkipReason.INVALID_VALUE
    )
    return entry, anna, ben, issue_id


async def _titles(harness: GoogleHarness, calendar: str) -> list[str]:
    listing = await harness.provider.changes(calendar, None)
    return sorted(event.summary for event in listing.changed)


async def test_an_event_that_cannot_be_read_is_named_in_a_repairs_issue(
    hass: HomeAssistant,
    google_harness: GoogleHarness,
    issue_registry: ir.IssueRegistry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The issue names title, member, calendar and reason; the rest syncs."""
    caplog.set_level(logging.DEBUG)
    entry, _, ben, issue_id = await _setup(hass, google_harness)

    assert entry.runtime_data.coordinator.last_update_success
    assert await _titles(google_harness, ben) == ["Event 1"]
    issue = issue_registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert (issue.severity, issue.is_fixable) == (ir.IssueSeverity.WARNING, False)
    assert issue.translation_key == "skipped_invalid_value"
    assert issue.translation_placeholders == {
        "group": "Family",
        "member": "Anna",
        "calendar": "Anna's diary",
        "events": f'- "{BAD_TITLE}"',
    }
    for reason in SkipReason:
        for text in STRINGS["issues"][f"skipped_{reason}"].values():
            assert set(PLACEHOLDER.findall(text)) <= set(
                issue.translation_placeholders
            ), text
    errors = hass.states.get("sensor.family_sync_errors")
    assert errors is not None
    assert errors.state == "0"  # a calendar with an unreadable event still syncs
    assert errors.attributes["skipped_events"] == [
        {"title": BAD_TITLE, "calendar": "Anna's diary", "reason": "invalid_value"}
    ]
    ours = "\n".join(
        record.getMessage()
        for record in caplog.records
        if record.name.startswith("custom_components.shared_calendars")
    )
    assert "cannot be read (invalid_value)" in ours
    assert BAD_TITLE not in ours
    assert "private notes" not in ours


async def test_the_issue_goes_once_the_event_is_fixed_and_it_syncs(
    hass: HomeAssistant,
    google_harness: GoogleHarness,
    issue_registry: ir.IssueRegistry,
) -> None:
    """A fixed event is read in the next cycle: copied, and no longer named."""
    entry, anna, ben, issue_id = await _setup(hass, google_harness)
    assert issue_registry.async_get_issue(DOMAIN, issue_id)

    google_harness.server.put_raw(anna, _bad(status="confirmed"))
    await entry.runtime_data.coordinator.async_refresh()

    assert await _titles(google_harness, ben) == ["Event 1", BAD_TITLE]
    assert not issue_registry.async_get_issue(DOMAIN, issue_id)
    errors = hass.states.get("sensor.family_sync_errors")
    assert errors is not None
    assert errors.attributes["skipped_events"] == []


async def test_the_issue_survives_a_restart(
    hass: HomeAssistant,
    google_harness: GoogleHarness,
    issue_registry: ir.IssueRegistry,
) -> None:
    """After a reload the first cycle is incremental: the state still knows."""
    entry, _, _, issue_id = await _setup(hass, google_harness)
    ir.async_delete_issue(hass, DOMAIN, issue_id)

    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()

    assert issue_registry.async_get_issue(DOMAIN, issue_id) is not None
    await hass.config_entries.async_remove(entry.entry_id)
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None


async def test_a_state_that_cannot_be_saved_fails_the_cycle_with_the_reason(
    hass: HomeAssistant, google_harness: GoogleHarness
) -> None:
    """A failed write is a translated error of the cycle; the next one writes it all."""
    entry, anna, ben, _ = await _setup(hass, google_harness)
    coordinator = entry.runtime_data.coordinator
    await google_harness.provider.put_event(anna, _good(2))
    # As a disk remounted read-only under the open database.
    database = coordinator.store._database
    assert database is not None
    database._connection.execute("PRAGMA query_only = ON")

    await coordinator.async_refresh()

    assert not coordinator.last_update_success
    assert isinstance(coordinator.last_exception, StateNotSaved)
    assert coordinator.last_exception.translation_key == "state_not_saved"
    assert coordinator.last_exception.translation_placeholders == {
        "error": "attempt to write a readonly database"
    }
    assert "{error}" in STRINGS["exceptions"]["state_not_saved"]["message"]
    # Nothing is written while the pending groups cannot be kept.
    assert await _titles(google_harness, ben) == ["Event 1"]

    database._connection.execute("PRAGMA query_only = OFF")
    await coordinator.async_refresh()
    assert coordinator.last_update_success

    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    restarted = entry.runtime_data.coordinator
    assert len(restarted.state.copies) == 2
    assert (restarted.data.created, restarted.data.updated) == (0, 0)
