"""Emptied calendars in Home Assistant: a repairs issue each, answered in its fix flow.

The fix flows are driven through Home Assistant's HTTP API, as the frontend does,
and every step they show is checked against strings.json.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import json
from pathlib import Path
import re
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.shared_calendars.const import DOMAIN
from custom_components.shared_calendars.engine.ids import copy_id
from custom_components.shared_calendars.engine.model import Event
from custom_components.shared_calendars.repairs import emptied_issue_id

from .group import caldav_account, google_account, group_entry, member
from .providers.caldav_harness import CalDavHarness
from .providers.google_harness import GoogleHarness

START = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)
STRINGS: dict[str, Any] = json.loads(
    (
        Path(__file__).parent.parent / "custom_components" / DOMAIN / "strings.json"
    ).read_text()
)
PLACEHOLDER = re.compile(r"{(\w+)}")

type Harness = CalDavHarness | GoogleHarness


def _original(n: int) -> Event:
    event_id = copy_id("original", f"anna/{n}")
    return Event(
        id=event_id,
        ical_uid=f"{event_id}@example.com",
        summary=f"Event {n}",
        start=START + timedelta(hours=n),
        end=START + timedelta(hours=n + 1),
    )


class Group:
    """Anna shares her calendar; Ben receives it in his combined calendar."""

    def __init__(self, hass: HomeAssistant, harness: Harness) -> None:
        """Remember where the group runs; `setup` makes it."""
        self.hass = hass
        self.harness = harness
        self.anna = ""
        self.ben = ""
        self.entry: MockConfigEntry | None = None

    async def setup(self, events: int) -> MockConfigEntry:
        """Make both calendars, put `events` in Anna's, and load the group."""
        self.anna = await self.harness.new_calendar("Anna's calendar")
        self.ben = await self.harness.new_calendar("Ben's combined calendar")
        for n in range(events):
            await self.harness.provider.put_event(self.anna, _original(n))
        account = (
            google_account(self.harness)
            if isinstance(self.harness, GoogleHarness)
            else caldav_account(self.harness)
        )
        account_id = account["unique_id"]
        assert account_id is not None
        self.entry = group_entry(
            account,
            member("Anna", sources=[(account_id, self.anna)], combined=None),
            member("Ben", sources=[], combined=(account_id, self.ben)),
        )
        self.entry.add_to_hass(self.hass)
        assert await async_setup_component(self.hass, "repairs", {})
        assert await self.hass.config_entries.async_setup(self.entry.entry_id)
        await self.hass.async_block_till_done()
        self.account_id = account_id
        return self.entry

    def issue_id(self, calendar: str) -> str:
        """Return the emptied-calendar issue id of one of the group's calendars."""
        assert self.entry is not None
        return emptied_issue_id(self.entry.entry_id, f"{self.account_id}|{calendar}")

    async def refresh(self) -> None:
        """Run one cycle."""
        assert self.entry is not None
        await self.entry.runtime_data.coordinator.async_refresh()

    async def titles(self, calendar: str) -> list[str]:
        """Return the titles a calendar holds, from its server."""
        listing = await self.harness.provider.changes(calendar, None)
        return sorted(event.summary for event in listing.changed)

    async def clear(self, calendar: str) -> None:
        """Delete every event of a calendar on its server."""
        for event in (await self.harness.provider.changes(calendar, None)).changed:
            await self.harness.provider.delete_event(calendar, event.id)


def _issue(hass: HomeAssistant, issue_id: str) -> ir.IssueEntry:
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert issue is not None, "no issue raised"
    assert issue.is_fixable
    assert issue.translation_key is not None
    strings = STRINGS["issues"][issue.translation_key]
    placeholders = set(issue.translation_placeholders or {})
    assert set(PLACEHOLDER.findall(strings["title"])) <= placeholders
    return issue


def _checked(issue: ir.IssueEntry, result: dict[str, Any]) -> dict[str, Any]:
    """Assert that a fix-flow step the frontend shows is translated."""
    assert issue.translation_key is not None
    strings = STRINGS["issues"][issue.translation_key]["fix_flow"]
    placeholders = set(result.get("description_placeholders") or {})
    if result["type"] == "abort":
        texts = [strings["abort"][result["reason"]]]
    elif result["type"] in ("form", "menu"):
        step = strings["step"][result["step_id"]]
        texts = [step["title"], step["description"]]
        if result["type"] == "menu":
            assert set(result["menu_options"]) == set(step["menu_options"])
            texts += step["menu_options"].values()
    else:
        return result
    for text in texts:
        assert set(PLACEHOLDER.findall(text)) <= placeholders, text
    return result


async def _fix(
    hass_client: ClientSessionGenerator, issue: ir.IssueEntry, *answers: dict[str, Any]
) -> list[dict[str, Any]]:
    """Start an issue's fix flow and give it `answers`; return every step shown."""
    client = await hass_client()
    response = await client.post(
        "/api/repairs/issues/fix", json={"handler": DOMAIN, "issue_id": issue.issue_id}
    )
    assert response.status == 200, await response.text()
    results = [_checked(issue, await response.json())]
    for answer in answers:
        response = await client.post(
            f"/api/repairs/issues/fix/{results[-1]['flow_id']}", json=answer
        )
        assert response.status == 200, await response.text()
        results.append(_checked(issue, await response.json()))
    return results


async def test_emptied_source_waits_for_the_fix_flow_to_remove_its_copies(
    hass: HomeAssistant,
    caldav_harness: CalDavHarness,
    hass_client: ClientSessionGenerator,
) -> None:
    """The issue names the calendar and the count; confirming removes the copies."""
    group = Group(hass, caldav_harness)
    await group.setup(events=3)
    assert len(await group.titles(group.ben)) == 3
    await group.clear(group.anna)

    for _ in range(4):  # no number of cycles lets the copies go
        await group.refresh()
        issue = _issue(hass, group.issue_id(group.anna))
    assert len(await group.titles(group.ben)) == 3
    assert issue.translation_key == "emptied_source"
    assert issue.translation_placeholders == {
        "group": "Family",
        "member": "Anna",
        "calendar": "Anna's calendar",
        "gone": "3",
        "held": "3",
    }

    shown = await _fix(hass_client, issue, {})
    assert [step["type"] for step in shown] == ["form", "create_entry"]
    assert shown[0]["step_id"] == "confirm"
    assert await group.titles(group.ben) == []
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue.issue_id) is None
    await group.refresh()
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue.issue_id) is None


async def test_issue_goes_by_itself_when_the_calendar_lists_its_events_again(
    hass: HomeAssistant, google_harness: GoogleHarness
) -> None:
    """A broken server that recovers: the issue disappears, no copy was touched."""
    group = Group(hass, google_harness)
    entry = await group.setup(events=2)
    google_harness.server.answer_empty(group.anna)
    await group.refresh()
    issue = _issue(hass, group.issue_id(group.anna))
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["calendar"] == "Anna's calendar"
    assert group.anna not in "".join(issue.translation_placeholders.values())

    google_harness.server.answer_empty(group.anna, False)
    await group.refresh()
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue.issue_id) is None
    assert await group.titles(group.ben) == ["Event 0", "Event 1"]
    assert entry.runtime_data.coordinator.data.deleted == 0


async def test_emptied_combined_calendar_gets_its_copies_written_again(
    hass: HomeAssistant,
    google_harness: GoogleHarness,
    hass_client: ClientSessionGenerator,
) -> None:
    """The combined calendar's flow offers two answers; writing again is the first."""
    group = Group(hass, google_harness)
    await group.setup(events=2)
    await group.refresh()  # reads its own writes back
    await group.clear(group.ben)
    await group.refresh()
    issue = _issue(hass, group.issue_id(group.ben))
    assert issue.translation_key == "emptied_combined"
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["member"] == "Ben"
    assert issue.translation_placeholders["calendar"] == "Ben's combined calendar"

    shown = await _fix(hass_client, issue, {"next_step_id": "recreate"})
    assert shown[0]["type"] == "menu"
    assert shown[0]["menu_options"] == ["recreate", "deleted_by_member"]
    assert shown[1]["type"] == "create_entry"
    assert await group.titles(group.ben) == ["Event 0", "Event 1"]
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue.issue_id) is None


async def test_copies_the_member_deleted_stay_away_until_restored(
    hass: HomeAssistant,
    caldav_harness: CalDavHarness,
    hass_client: ClientSessionGenerator,
) -> None:
    """The second answer keeps the copies away, as a member's deletions are kept."""
    group = Group(hass, caldav_harness)
    entry = await group.setup(events=2)
    await group.refresh()
    await group.clear(group.ben)
    await group.refresh()
    issue = _issue(hass, group.issue_id(group.ben))

    shown = await _fix(hass_client, issue, {"next_step_id": "deleted_by_member"})
    assert shown[-1]["type"] == "create_entry"
    await group.refresh()
    assert await group.titles(group.ben) == []
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue.issue_id) is None

    await hass.services.async_call(
        DOMAIN,
        "resync",
        {"config_entry_id": entry.entry_id, "restore_hidden": True},
        blocking=True,
        return_response=True,
    )
    assert await group.titles(group.ben) == ["Event 0", "Event 1"]


async def test_resync_confirm_empty_answers_every_emptied_calendar(
    hass: HomeAssistant, caldav_harness: CalDavHarness
) -> None:
    """The action confirms too: the source's copies go and its issue with them."""
    group = Group(hass, caldav_harness)
    entry = await group.setup(events=2)
    await group.clear(group.anna)
    await group.refresh()
    _issue(hass, group.issue_id(group.anna))

    response = await hass.services.async_call(
        DOMAIN,
        "resync",
        {"config_entry_id": entry.entry_id, "confirm_empty": True},
        blocking=True,
        return_response=True,
    )
    assert response is not None
    assert (response["deleted"], response["held_back"]) == (2, [])
    assert await group.titles(group.ben) == []
    assert (
        ir.async_get(hass).async_get_issue(DOMAIN, group.issue_id(group.anna)) is None
    )


async def test_fix_flow_of_an_unloaded_group_aborts_and_a_removed_group_drops_it(
    hass: HomeAssistant,
    caldav_harness: CalDavHarness,
    hass_client: ClientSessionGenerator,
) -> None:
    """Nothing can be confirmed while the group is not running; nothing is left."""
    group = Group(hass, caldav_harness)
    entry = await group.setup(events=2)
    await group.clear(group.anna)
    await group.refresh()
    issue = _issue(hass, group.issue_id(group.anna))
    assert await hass.config_entries.async_unload(entry.entry_id)

    shown = await _fix(hass_client, issue, {})
    assert shown[-1] == shown[-1] | {"type": "abort", "reason": "group_not_loaded"}
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue.issue_id) is not None
    assert await group.titles(group.ben) == ["Event 0", "Event 1"]

    await hass.config_entries.async_remove(entry.entry_id)
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue.issue_id) is None
