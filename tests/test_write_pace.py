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

import pytest

from custom_components.shared_calendars.cycle import SyncCycle, SyncReport
from custom_components.shared_calendars.engine.model import CalendarRef, Member
from custom_components.shared_calendars.engine.plan import PlanOptions
from custom_components.shared_calendars.engine.state import SyncState

from .providers.google_harness import GoogleHarness
from .servers.fake_google import ManualClock

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

    async def run(self) -> SyncReport:
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
            )
        report = await self.cycle.run(self.members, PlanOptions())
        self.clock.advance(CYCLE_INTERVAL)
        return report

    def titles(self, member: Member) -> Counter[str]:
        """Return the titles in a member's combined calendar, as the server holds it."""
        assert member.combined is not None
        return Counter(
            str(resource.get("summary"))
            for resource in self.harness.server.live_events(member.combined.calendar_id)
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
    ("status", "reason"),
    [(429, "rateLimitExceeded"), (403, "rateLimitExceeded"), (403, "quotaExceeded")],
)
async def test_a_write_quota_is_met_with_few_refusals_and_the_first_sync_converges(
    quota: Quota, status: int, reason: str
) -> None:
    """300 copies against 30 writes a minute: refused writes stay under 10% of accepted."""
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
