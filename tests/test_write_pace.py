"""Writes against a server's quota: paced per account, refused copies parked.

The fake Google API counts event writes against a per-minute quota on a clock
the test moves; the cycle sleeps on the same clock, so an hour of pacing takes
no real time and every figure below is a count.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from custom_components.shared_calendars.cycle import (
    DEFAULT_CONCURRENCY,
    SyncCycle,
    SyncReport,
)
from custom_components.shared_calendars.engine.model import CalendarRef, Member
from custom_components.shared_calendars.engine.plan import PlanOptions
from custom_components.shared_calendars.engine.state import SyncState

from .providers.google_harness import GoogleHarness
from .servers.fake_google import ManualClock
from .stored import reloaded

ACCOUNT = "google"
START = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)
CYCLE_INTERVAL = 300.0
"""Seconds between two cycles, as the coordinator runs them by default."""


@dataclass(kw_only=True)
class Quota:
    """A group of three on one Google account, on a clock the test moves."""

    harness: GoogleHarness
    clock: ManualClock
    members: list[Member] = field(default_factory=list)
    state: SyncState = field(default_factory=SyncState)
    slept: list[float] = field(default_factory=list)
    concurrency: int = DEFAULT_CONCURRENCY
    cycle: SyncCycle | None = None

    async def sleep(self, seconds: float) -> None:
        """Let time pass on the shared clock instead of waiting for it.

        Tasks that sleep at once wait side by side, not one after the other: each
        sets the clock to no earlier than its own wake-up time.
        """
        self.slept.append(seconds)
        wake = self.clock.now + seconds
        await asyncio.sleep(0)
        self.clock.now = max(self.clock.now, wake)

    def add_member(self, name: str) -> Member:
        """Create a member's own and combined calendars."""
        server = self.harness.server
        calendars = {}
        for kind in ("own", "combined"):
            calendars[kind] = server.create_calendar(f"{name} {kind}")
            server.share(calendars[kind], self.harness.provider.account, "writer")
        member = Member(
            id=name.lower(),
            name=name,
            sources=(CalendarRef(account=ACCOUNT, calendar_id=calendars["own"]),),
            combined=CalendarRef(account=ACCOUNT, calendar_id=calendars["combined"]),
        )
        self.members.append(member)
        return member

    def write(self, member: Member, summary: str, hour: int) -> str:
        """Add an event to a member's own calendar, as they would in Google's UI."""
        start = START + timedelta(hours=hour)
        resource = self.harness.server.insert_event(
            member.sources[0].calendar_id,
            {
                "summary": summary,
                "start": {"dateTime": start.isoformat()},
                "end": {"dateTime": (start + timedelta(hours=1)).isoformat()},
            },
        )
        return str(resource["id"])

    async def run(self, *, full: bool = False) -> SyncReport:
        """Run one cycle, then let the time to the next one pass."""
        if self.cycle is None:

            async def save() -> None:
                """Keep the state in memory only."""

            self.cycle = SyncCycle(
                providers={ACCOUNT: self.harness.provider},
                state=self.state,
                save=save,
                sleep=self.sleep,
                clock=self.clock,
                concurrency=self.concurrency,
            )
        report = await self.cycle.run(self.members, PlanOptions(), full=full)
        self.clock.advance(CYCLE_INTERVAL)
        return report

    def edit(self, member: Member, event_id: str, summary: str, hour: int) -> None:
        """Change an event of a member's own calendar, as they would."""
        start = START + timedelta(hours=hour)
        self.harness.server.update_event(
            member.sources[0].calendar_id,
            event_id,
            {
                "summary": summary,
                "start": {"dateTime": start.isoformat()},
                "end": {"dateTime": (start + timedelta(hours=1)).isoformat()},
            },
        )

    def writes(self) -> int:
        """Return the event writes the server answered, whatever it answered."""
        server = self.harness.server
        return sum(
            server.count(route)
            for route in ("events.insert", "events.update", "events.delete")
        )

    def titles(self, member: Member) -> Counter[str]:
        """Return the titles in a member's combined calendar, as the server holds it."""
        assert member.combined is not None
        return Counter(
            str(resource.get("summary"))
            for resource in self.harness.server.live_events(
                member.combined.calendar_id
            ).values()
        )


@pytest.fixture
async def quota(socket_enabled: None) -> AsyncIterator[Quota]:
    """Yield a group of three whose server and provider share a manual clock."""
    clock = ManualClock()
    harness = await GoogleHarness.start(clock=clock)
    group = Quota(harness=harness, clock=clock)
    for name in ("Anna", "Ben", "Cleo"):
        group.add_member(name)
    try:
        yield group
    finally:
        await harness.stop()


@pytest.mark.parametrize(
    ("status", "reason", "concurrency"),
    [
        (429, "rateLimitExceeded", 8),
        (403, "rateLimitExceeded", DEFAULT_CONCURRENCY),
        (403, "userRateLimitExceeded", 16),
    ],
)
async def test_a_write_quota_is_met_with_few_refusals_and_the_first_sync_converges(
    quota: Quota, status: int, reason: str, concurrency: int
) -> None:
    """300 copies against 30 writes a minute: refused writes stay under 10% of accepted.

    429 comes with Retry-After; Google's 403s come without.
    """
    quota.concurrency = concurrency
    anna, ben, cleo = quota.members
    for number in range(100):
        quota.write(anna, f"Anna {number}", number)
    for number in range(50):
        quota.write(ben, f"Ben {number}", number)
    limit = quota.harness.server.limit_writes(30, status=status, reason=reason)

    reports = []
    for _ in range(40):
        reports.append(await quota.run())
        if reports[-1].pending == 0:
            break

    assert reports[-1].pending == 0
    assert not reports[-1].errors
    expected_anna = Counter(f"Ben {number}" for number in range(50))
    expected_ben = Counter(f"Anna {number}" for number in range(100))
    assert quota.titles(anna) == expected_anna  # each once: no duplicate, none lost
    assert quota.titles(ben) == expected_ben
    assert quota.titles(cleo) == expected_anna + expected_ben
    assert sum(report.created for report in reports) == 300
    assert limit.accepted >= 300
    assert limit.refused < 0.1 * limit.accepted, (limit.refused, limit.accepted)
    assert sum(report.refused for report in reports) == limit.refused


async def test_a_long_retry_after_holds_every_write_of_the_account_until_it_passes(
    quota: Quota,
) -> None:
    """10 writes an hour: the rest waits, without a request, for the hour to pass."""
    anna, ben, cleo = quota.members
    for number in range(10):
        quota.write(anna, f"Anna {number}", number)
    limit = quota.harness.server.limit_writes(10, period=3600)

    first = await quota.run()
    assert first.created == 10
    assert first.deferred == 10  # the others wait, each of them once
    assert first.pending > 0
    assert not first.errors
    assert first.pace == {ACCOUNT: pytest.approx(10.0)}  # what the last minute took
    refused = limit.refused
    assert 1 <= refused <= DEFAULT_CONCURRENCY  # only the writes already on their way

    writes = quota.writes()
    for _ in range(10):  # 50 minutes of cycles: the server said an hour
        waiting = await quota.run()
        assert waiting.deferred == 10
        assert waiting.pending == first.pending
    assert quota.writes() == writes

    for _ in range(3):
        report = await quota.run()
    assert report.pending == 0
    assert limit.refused == refused
    assert quota.titles(ben) == Counter(f"Anna {number}" for number in range(10))
    assert quota.titles(cleo) == quota.titles(ben)
    assert not quota.titles(anna)


async def test_a_copy_the_server_refuses_is_parked_until_its_original_changes(
    quota: Quota,
) -> None:
    """Tried once, reported, not tried again each cycle; the other copies are written."""
    anna, ben, cleo = quota.members
    quota.harness.server.refused_summaries.add("Refused")
    refused_id = quota.write(anna, "Refused here", 0)
    for number in range(30):  # more than a batch, so that later batches run too
        quota.write(anna, f"Anna {number}", number + 1)

    first = await quota.run()
    assert (first.created, first.parked, first.pending) == (60, 2, 0)
    assert not first.errors
    parked = sorted(quota.state.parked.values(), key=lambda p: p.record.target.key)
    assert [p.title for p in parked] == ["Refused here"] * 2
    assert {p.record.target for p in parked} == {ben.combined, cleo.combined}
    assert all("Invalid value" in p.reason for p in parked)
    assert quota.harness.server.count("events.insert") == 62  # the refused copy: once

    quota.write(anna, "Anna 30", 40)
    writes = quota.writes()
    second = await quota.run()
    assert (second.created, second.parked) == (2, 0)  # the new event, and nothing else
    assert quota.writes() == writes + 2
    writes = quota.writes()
    await quota.run()
    await quota.run()
    assert quota.writes() == writes  # quiet: the parked copies are not tried again
    assert "Refused here" not in quota.titles(ben)

    quota.edit(anna, refused_id, "Refused again", 1)  # changed, still refused
    again = await quota.run()
    assert again.parked == 2
    assert quota.writes() == writes + 2
    assert [p.title for p in quota.state.parked.values()] == ["Refused again"] * 2

    quota.harness.server.refused_summaries.clear()
    retried = await quota.run(full=True)  # a full resync tries parked copies again
    assert (retried.created, retried.parked) == (2, 0)
    assert not quota.state.parked
    assert quota.titles(ben)["Refused again"] == 1
    assert quota.titles(cleo)["Refused again"] == 1


async def test_parked_copies_are_kept_with_the_state(
    quota: Quota, tmp_path: Path
) -> None:
    """A restart remembers what was refused, so it is not tried again either."""
    anna, _, _ = quota.members
    quota.harness.server.refused_summaries.add("Refused")
    quota.write(anna, "Refused here", 0)
    await quota.run()
    assert len(quota.state.parked) == 2

    quota.state = reloaded(quota.state, tmp_path / "state.db")
    quota.cycle = None
    assert len(quota.state.parked) == 2
    writes = quota.writes()
    report = await quota.run(full=False)
    assert report.parked == 0
    assert quota.writes() == writes
