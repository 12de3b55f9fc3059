"""Reliability: whatever the calendars hold, a cycle ends, and the good events sync.

Two members on the loopback servers: Anna's source is on Google, Ben's on CalDAV,
and each has a combined calendar on the other kind. Beside canary events, their
sources hold data drawn from `tests.bad_data` (Google's through the fake API as
stored, CalDAV's served by the proxy in place of objects Radicale holds). Each
example runs two cycles through the real providers and checks that no exception
leaves the cycle, every canary has exactly one copy, nothing but copies of
readable events was written, what was skipped is reported, and the state can be
stored and loaded.

`BAD_DATA_EXAMPLES` (or `PROPERTY_EXAMPLES`) runs more examples.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from hypothesis import HealthCheck, given, settings, strategies as st
import pytest

from custom_components.shared_calendars.cycle import MAX_ATTEMPTS, SyncCycle, SyncReport
from custom_components.shared_calendars.engine.ids import copy_id
from custom_components.shared_calendars.engine.model import (
    CalendarRef,
    ChangeSet,
    Event,
    Member,
    resource_of,
)
from custom_components.shared_calendars.engine.plan import PlanOptions
from custom_components.shared_calendars.engine.state import SyncState
from custom_components.shared_calendars.providers.base import CalendarProvider

from .bad_data import HUGE, google_items, ics_objects
from .memory_provider import MemoryProvider
from .providers.caldav_harness import CalDavHarness
from .providers.google_harness import GoogleHarness
from .stored import StoredState

EXAMPLES = int(
    os.environ.get("BAD_DATA_EXAMPLES", os.environ.get("PROPERTY_EXAMPLES", "8"))
)
START = datetime(2026, 5, 4, 10, tzinfo=UTC)


async def _no_sleep(_: float) -> None:
    """Skip back-off waits."""


@dataclass(kw_only=True)
class _Group:
    """Fresh calendars for one example, and the cycle that syncs them."""

    google: GoogleHarness
    caldav: CalDavHarness
    anna: CalendarRef
    anna_combined: CalendarRef
    ben: CalendarRef
    ben_combined: CalendarRef
    stored: StoredState
    saves: int = 0
    cycle: SyncCycle = field(init=False)

    def __post_init__(self) -> None:
        """Wire the cycle to both providers; every save must be storable."""
        providers: dict[str, CalendarProvider] = {
            "google": self.google.provider,
            "caldav": self.caldav.provider,
        }
        self.cycle = SyncCycle(
            providers=providers, state=self.state, save=self._save, sleep=_no_sleep
        )

    @property
    def state(self) -> SyncState:
        """Return the group's live state."""
        return self.stored.state

    async def _save(self) -> None:
        await self.stored.save_and_check()
        self.saves += 1

    def members(self) -> list[Member]:
        """Return Anna and Ben, each sending to the other's combined calendar."""
        return [
            Member(
                id="anna",
                name="Anna",
                sources=(self.anna,),
                combined=self.anna_combined,
            ),
            Member(
                id="ben", name="Ben", sources=(self.ben,), combined=self.ben_combined
            ),
        ]

    async def run(self) -> SyncReport:
        """Run a cycle; nothing may leave it."""
        return await self.cycle.run(self.members(), PlanOptions())

    async def titles(self, ref: CalendarRef) -> list[str]:
        """Return the titles of the copies a combined calendar holds, from its server."""
        provider = (
            self.google.provider if ref.account == "google" else self.caldav.provider
        )
        listing = await provider.changes(ref.calendar_id, None)
        assert all(event.copy_of is not None for event in listing.changed)
        return sorted(event.summary for event in listing.changed)


@pytest.fixture
async def group_factory(
    google_harness: GoogleHarness, caldav_harness: CalDavHarness, tmp_path: Path
) -> Any:
    """Return a maker of fresh groups (one per hypothesis example)."""
    made = 0

    async def make() -> _Group:
        nonlocal made
        made += 1
        return _Group(
            stored=StoredState(tmp_path / f"state{made}.db"),
            google=google_harness,
            caldav=caldav_harness,
            anna=CalendarRef(
                account="google",
                calendar_id=await google_harness.new_calendar("Anna"),
            ),
            anna_combined=CalendarRef(
                account="google",
                calendar_id=await google_harness.new_calendar("Anna combined"),
            ),
            ben=CalendarRef(
                account="caldav",
                calendar_id=await caldav_harness.new_calendar("Ben"),
            ),
            ben_combined=CalendarRef(
                account="caldav",
                calendar_id=await caldav_harness.new_calendar("Ben combined"),
            ),
        )

    return make


def _canary(event_id: str, summary: str, days: int, **fields: Any) -> Event:
    start = START + timedelta(days=days)
    return Event(
        id=event_id,
        ical_uid=f"{event_id}@canary",
        summary=summary,
        start=start,
        end=start + timedelta(hours=1),
        **fields,
    )


async def _add_canaries(group: _Group, tag: str, days: int) -> None:
    """Put a single and a weekly canary in both sources."""
    for provider, ref, who in (
        (group.google.provider, group.anna, "anna"),
        (group.caldav.provider, group.ben, "ben"),
    ):
        await provider.put_event(
            ref.calendar_id,
            _canary(copy_id("canary", f"{who} {tag}"), f"{who} {tag}", days),
        )
        await provider.put_event(
            ref.calendar_id,
            _canary(
                copy_id("canary", f"{who} {tag} weekly"),
                f"{who} {tag} weekly",
                days,
                rrule="FREQ=WEEKLY;COUNT=3",
            ),
        )


async def _add_bad(group: _Group, google: list[Any], ics: list[str], tag: str) -> None:
    for item in google:
        group.google.server.put_raw(group.anna.calendar_id, item)
    for number, data in enumerate(ics):
        marker = f"PLACEHOLDER {tag}-{number} END"
        await group.caldav.provider.put_event(
            group.ben.calendar_id, _canary(f"bad{tag}x{number}", marker, 3)
        )
        group.caldav.proxy.substitute(marker, data)


def _expected(tag_days: list[str]) -> tuple[list[str], list[str]]:
    """Return the canary titles Ben's and Anna's combined calendars must show."""
    anna = sorted(t for tag in tag_days for t in (f"anna {tag}", f"anna {tag} weekly"))
    ben = sorted(t for tag in tag_days for t in (f"ben {tag}", f"ben {tag} weekly"))
    return anna, ben


def _assert_each_read_or_reported(
    group: _Group, report: SyncReport, google: list[Any], ics: int, tag: str
) -> None:
    """Every bad item with an id is an event of its source now, or reported skipped."""
    for ref, ids in (
        (
            group.anna,
            [
                item["id"]
                for item in google
                if isinstance(item, dict) and isinstance(item.get("id"), str)
            ],
        ),
        (group.ben, [f"bad{tag}x{number}" for number in range(ics)]),
    ):
        known = {
            resource_of(event_id) for event_id in group.state.calendar(ref.key).events
        }
        known |= {resource_of(item.id) for item in report.skipped.get(ref.key, ())}
        for event_id in ids:
            assert event_id in known or any(
                item.get("recurringEventId") in known
                for item in google
                if isinstance(item, dict) and item.get("id") == event_id
            ), event_id


def _assert_clean(report: SyncReport) -> None:
    assert report.errors == {}, report.errors
    assert report.pending == 0


@pytest.mark.timeout(120 + 20 * EXAMPLES)
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(data=st.data())
async def test_bad_data_never_stops_a_cycle_and_canaries_always_sync(
    group_factory: Any, data: st.DataObject
) -> None:
    """Two cycles over drawn bad data: canaries copied once each, the rest reported."""
    group: _Group = await group_factory()
    google_bad = [
        data.draw(google_items(f"bada{number}x"), label="google")
        for number in range(data.draw(st.integers(1, 3)))
    ]
    ics_bad = [
        data.draw(ics_objects(f"badb{number}"), label="ics")
        for number in range(data.draw(st.integers(1, 2)))
    ]
    await _add_canaries(group, "one", 1)
    await _add_bad(group, google_bad, ics_bad, "one")

    first = await group.run()

    _assert_clean(first)
    copies_of_anna, copies_of_ben = (
        await group.titles(group.ben_combined),
        await group.titles(group.anna_combined),
    )
    anna, ben = _expected(["one"])
    # Canaries are there, once; whatever else was copied was read from a source.
    assert [t for t in copies_of_anna if t.startswith("anna")] == anna
    assert [t for t in copies_of_ben if t.startswith("ben")] == ben
    readable = sorted(
        event.summary
        for ref in (group.anna, group.ben)
        for event in group.state.calendar(ref.key).events.values()
    )
    assert sorted(copies_of_anna + copies_of_ben) == readable
    _assert_each_read_or_reported(group, first, google_bad, len(ics_bad), "one")
    cursors = {
        ref.key: group.state.calendar(ref.key).cursor for ref in (group.anna, group.ben)
    }

    await _add_canaries(group, "two", 2)
    await _add_bad(
        group,
        [data.draw(google_items("badc0x"), label="google later")],
        [data.draw(ics_objects("badd0"), label="ics later")],
        "two",
    )
    second = await group.run()

    _assert_clean(second)
    anna, ben = _expected(["one", "two"])
    assert [
        t for t in await group.titles(group.ben_combined) if t.startswith("anna")
    ] == anna
    assert [
        t for t in await group.titles(group.anna_combined) if t.startswith("ben")
    ] == ben
    for ref in (group.anna, group.ben):
        assert group.state.calendar(ref.key).cursor not in (None, cursors[ref.key])
    assert group.saves >= 2


async def test_a_new_series_whose_uid_is_not_text_is_fetched_by_its_id(
    group_factory: Any,
) -> None:
    """Found by the property test above: `"iCalUID": true` on a series listed as a change.

    The whole series is fetched by the UID Google would give it, not by that value.
    """
    group: _Group = await group_factory()
    await _add_canaries(group, "one", 1)
    _assert_clean(await group.run())
    series = {
        "id": "badc0x",
        "summary": "Bad badc0x",
        "start": {"dateTime": "2026-05-30T10:00:00Z", "timeZone": "UTC"},
        "end": {"dateTime": "2026-05-30T11:00:00Z", "timeZone": "UTC"},
        "status": "confirmed",
        "iCalUID": True,
        "recurrence": ["RRULE:FREQ=WEEKLY"],
    }
    await _add_canaries(group, "two", 2)
    await _add_bad(group, [series], [], "two")

    second = await group.run()

    _assert_clean(second)
    _assert_each_read_or_reported(group, second, [series], 0, "two")
    anna, _ = _expected(["one", "two"])
    assert [
        t for t in await group.titles(group.ben_combined) if t.startswith("anna")
    ] == anna


async def test_a_megabyte_description_and_odd_text_sync_clean(
    group_factory: Any,
) -> None:
    """A 1 MB description is copied whole; text no store holds is cleaned first."""
    group: _Group = await group_factory()
    group.google.server.insert_event(
        group.anna.calendar_id,
        {
            "summary": "Long \ud800\x00read",
            "description": HUGE,
            "start": {"dateTime": "2026-05-30T10:00:00Z"},
            "end": {"dateTime": "2026-05-30T11:00:00Z"},
        },
    )

    report = await group.run()

    _assert_clean(report)
    listing = await group.google.provider.changes(group.anna_combined.calendar_id, None)
    assert listing.changed == ()
    (copy,) = (
        await group.caldav.provider.changes(group.ben_combined.calendar_id, None)
    ).changed
    assert (copy.summary, copy.description) == ("Long \ufffdread", HUGE)


async def test_broken_xml_fails_one_calendar_for_one_cycle(group_factory: Any) -> None:
    """Every multistatus cut in half is an error of Ben's calendar; Anna's events sync.

    Each attempt asks twice: with the events' data, then without (see
    tests/providers/test_broken_xml.py for an answer one event breaks).
    """
    group: _Group = await group_factory()
    await _add_canaries(group, "one", 1)
    path = urlsplit(group.ben.calendar_id).path
    group.caldav.proxy.break_reports_next(2 * MAX_ATTEMPTS, path)

    broken = await group.run()

    assert broken.error_kinds == {group.ben.key: "Unreachable"}
    anna, ben = _expected(["one"])
    assert await group.titles(group.ben_combined) == anna
    assert await group.titles(group.anna_combined) == []

    healed = await group.run()

    _assert_clean(healed)
    assert await group.titles(group.anna_combined) == ben


class _BrokenReader(MemoryProvider):
    """A provider whose reading of one calendar fails with what no provider raises."""

    async def changes(
        self,
        calendar_id: str,
        cursor: str | None,
        known: Mapping[str, Event] | None = None,
    ) -> ChangeSet:
        """Fail on the calendar "broken", as a reader's bug would on odd data."""
        if calendar_id == "broken":
            raise KeyError("Therapy at ten")  # messages may quote private data
        return await super().changes(calendar_id, cursor, known)


async def test_a_reader_failing_unexpectedly_fails_only_its_calendar(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The calendar is reported, with where it failed; the other calendars sync."""
    provider = _BrokenReader()
    for calendar in ("broken", "anna", "ben-combined"):
        provider.add_calendar(calendar)
    provider.write("anna", _canary("canary1", "Canary", 1))
    members = [
        Member(
            id="anna",
            name="Anna",
            sources=(
                CalendarRef(account=provider.account, calendar_id="anna"),
                CalendarRef(account=provider.account, calendar_id="broken"),
            ),
        ),
        Member(
            id="ben",
            name="Ben",
            combined=CalendarRef(account=provider.account, calendar_id="ben-combined"),
        ),
    ]
    cycle = SyncCycle(
        providers={provider.account: provider},
        state=SyncState(),
        save=_no_save,
        sleep=_no_sleep,
    )

    report = await cycle.run(members, PlanOptions())

    assert report.error_kinds == {f"{provider.account}|broken": "Unexpected"}
    assert report.errors[f"{provider.account}|broken"].startswith(
        "Unexpected KeyError at test_bad_data.py:"
    )
    assert [e.summary for e in provider.calendars["ben-combined"].events.values()] == [
        "Canary"
    ]
    assert "KeyError at test_bad_data.py" in caplog.text
    assert "Therapy" not in caplog.text


async def _no_save() -> None:
    """Keep nothing."""
