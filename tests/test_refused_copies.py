"""Copies a combined calendar refuses, as the user sees them: a repairs issue.

The fake Google API refuses writes whose title holds a word the test names (400,
"Invalid value for: summary"), as Google refuses what it cannot store. The copy is
parked until its original changes; the issue names it (title, the calendar as the
user knows it, the reason) and goes once the copy is written or the original goes.
The log names neither the title nor the calendar's id.
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
from custom_components.shared_calendars.engine.model import Event
from custom_components.shared_calendars.repairs import refused_issue_id

from .group import google_account, group_entry, member
from .providers.google_harness import GoogleHarness

START = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)
STRINGS: dict[str, Any] = json.loads(
    (
        Path(__file__).parent.parent / "custom_components" / DOMAIN / "strings.json"
    ).read_text()
)
PLACEHOLDER = re.compile(r"{(\w+)}")
REFUSED = "Surgery at St. Mary's"
"""A private title: the issue shows it, the log never does."""


def _event(n: int, summary: str) -> Event:
    event_id = copy_id("original", f"anna/{n}")
    return Event(
        id=event_id,
        ical_uid=f"{event_id}@example.com",
        summary=summary,
        start=START + timedelta(hours=n),
        end=START + timedelta(hours=n + 1),
    )


async def _setup(
    hass: HomeAssistant, harness: GoogleHarness
) -> tuple[MockConfigEntry, str, str, str]:
    """Anna's calendar holds a copyable and a refused event; Ben receives."""
    anna = await harness.new_calendar("Anna's diary")
    ben = await harness.new_calendar("Ben's combined")
    await harness.provider.put_event(anna, _event(1, "Dentist"))
    await harness.provider.put_event(anna, _event(2, REFUSED))
    harness.server.refused_summaries.add("Surgery")  # in Ben's calendar: his copy
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
    return entry, anna, ben, refused_issue_id(entry.entry_id, f"{account_id}|{ben}")


async def _titles(harness: GoogleHarness, calendar: str) -> list[str]:
    listing = await harness.provider.changes(calendar, None)
    return sorted(event.summary for event in listing.changed)


async def test_a_refused_copy_is_named_in_a_repairs_issue_and_not_in_the_log(
    hass: HomeAssistant,
    google_harness: GoogleHarness,
    issue_registry: ir.IssueRegistry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Title, member, calendar by its name, and the reason with no calendar id."""
    caplog.set_level(logging.DEBUG)
    entry, _, ben, issue_id = await _setup(hass, google_harness)

    assert entry.runtime_data.coordinator.last_update_success
    assert await _titles(google_harness, ben) == ["Dentist"]
    issue = issue_registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert (issue.severity, issue.is_fixable) == (ir.IssueSeverity.WARNING, False)
    assert issue.translation_key == "refused"
    placeholders = issue.translation_placeholders or {}
    assert {key: placeholders[key] for key in ("group", "member", "calendar")} == {
        "group": "Family",
        "member": "Ben",
        "calendar": "Ben's combined",
    }
    assert placeholders["count"] == "1"
    assert placeholders["events"].startswith(f'- "{REFUSED}": ')
    assert "Invalid value for: summary" in placeholders["events"]
    assert ben not in placeholders["events"]
    for text in STRINGS["issues"]["refused"].values():
        assert set(PLACEHOLDER.findall(text)) <= set(placeholders), text
    ours = "\n".join(
        record.getMessage()
        for record in caplog.records
        if record.name.startswith("custom_components.shared_calendars")
    )
    assert "refused" in ours
    assert "Surgery" not in ours


async def test_the_issue_goes_once_the_changed_original_is_copied(
    hass: HomeAssistant,
    google_harness: GoogleHarness,
    issue_registry: ir.IssueRegistry,
) -> None:
    """Not retried while unchanged; written once changed, and the issue goes."""
    entry, anna, ben, issue_id = await _setup(hass, google_harness)
    coordinator = entry.runtime_data.coordinator
    await coordinator.async_refresh()
    assert coordinator.latest is not None
    assert coordinator.latest.parked == 0  # kept aside, not asked again
    assert issue_registry.async_get_issue(DOMAIN, issue_id)

    await google_harness.provider.put_event(anna, _event(2, "Checkup"))
    await coordinator.async_refresh()

    assert await _titles(google_harness, ben) == ["Checkup", "Dentist"]
    assert not issue_registry.async_get_issue(DOMAIN, issue_id)


async def test_the_issue_goes_once_the_original_is_deleted(
    hass: HomeAssistant,
    google_harness: GoogleHarness,
    issue_registry: ir.IssueRegistry,
) -> None:
    """Nothing is left to copy: the refused copy is forgotten with its issue."""
    entry, anna, ben, issue_id = await _setup(hass, google_harness)
    assert issue_registry.async_get_issue(DOMAIN, issue_id)

    await google_harness.provider.delete_event(anna, _event(2, REFUSED).id)
    await entry.runtime_data.coordinator.async_refresh()

    assert await _titles(google_harness, ben) == ["Dentist"]
    assert not issue_registry.async_get_issue(DOMAIN, issue_id)
    assert entry.runtime_data.coordinator.state.parked == {}


async def test_the_issue_goes_with_the_group(
    hass: HomeAssistant,
    google_harness: GoogleHarness,
    issue_registry: ir.IssueRegistry,
) -> None:
    """A removed group leaves no issue behind."""
    entry, _, _, issue_id = await _setup(hass, google_harness)
    assert issue_registry.async_get_issue(DOMAIN, issue_id)

    assert await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()

    assert not issue_registry.async_get_issue(DOMAIN, issue_id)
