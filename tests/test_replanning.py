"""Planning grows with the change: after a restart and when the window moves too.

`SyncReport.unchanged` counts the copies planned and found right: a group that is
not planned at all adds nothing to it.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from custom_components.shared_calendars.cycle import SyncCycle, SyncReport
from custom_components.shared_calendars.engine.model import (
    CalendarRef,
    Event,
    Member,
    MemberPolicy,
    SyncWindow,
)
from custom_components.shared_calendars.engine.plan import PlanOptions
from custom_components.shared_calendars.engine.state import SyncState

from .memory_provider import MemoryProvider
from .stored import reloaded

DAY0 = datetime(2026, 11, 23, tzinfo=UTC)
DAYS = 10


def _family(provider: MemoryProvider) -> list[Member]:
    """Anna, Ben and Cleo; Anna has an event on each of ten days, Ben a series."""
    members = []
    for name in ("anna", "ben", "cleo"):
        provider.add_calendar(name)
        provider.add_calendar(f"{name}-combined")
        members.append(
            Member(
                id=name,
                name=name.title(),
                sources=(CalendarRef(account=provider.account, calendar_id=name),),
                combined=CalendarRef(
                    account=provider.account, calendar_id=f"{name}-combined"
                ),
            )
        )
    for day in range(DAYS):
        start = DAY0 + timedelta(days=day, hours=9)
        provider.write(
            "anna",
            Event(
                id=f"anna-{day}",
                ical_uid=f"anna-{day}@example.com",
                summary=f"Day {day}",
                start=start,
                end=start + timedelta(hours=1),
            ),
        )
    provider.write(
        "ben",
        Event(
            id="ben-choir",
            ical_uid="choir@example.com",
            summary="Choir",
            start=DAY0 - timedelta(days=30),
            end=DAY0 - timedelta(days=30) + timedelta(hours=1),
            rrule="FREQ=WEEKLY",
        ),
    )
    return members


def _window(first_day: int, days: int = 5) -> SyncWindow:
    return SyncWindow(
        start=DAY0 + timedelta(days=first_day),
        end=DAY0 + timedelta(days=first_day + days),
    )


async def _saved() -> None:
    """Keep the state in memory."""


def _cycle(provider: MemoryProvider, state: SyncState) -> SyncCycle:
    return SyncCycle(providers={provider.account: provider}, state=state, save=_saved)


async def _synced(
    provider: MemoryProvider, members: list[Member], options: PlanOptions
) -> tuple[SyncCycle, SyncState]:
    """Run a first sync and the cycle that reads its copies back.

    This provider does not leave its own writes out of its change sets.
    """
    state = SyncState()
    cycle = _cycle(provider, state)
    first = await cycle.run(members, options)
    assert first.created == 12  # Anna's five days and Ben's series, to two each
    await cycle.run(members, options)
    return cycle, state


def _titles(provider: MemoryProvider, calendar_id: str) -> list[str]:
    return sorted(e.summary for e in provider.calendars[calendar_id].events.values())


def _work(report: SyncReport) -> tuple[int, int, int, int]:
    return report.created, report.updated, report.deleted, report.unchanged


async def test_a_restart_with_nothing_changed_plans_nothing(tmp_path: Path) -> None:
    """The state keeps what the groups were planned for: no group is planned again."""
    provider = MemoryProvider()
    members = _family(provider)
    options = PlanOptions(window=_window(0))
    _, state = await _synced(provider, members, options)

    restarted = reloaded(state, tmp_path / "state.db")
    report = await _cycle(provider, restarted).run(members, options)

    assert _work(report) == (0, 0, 0, 0)
    assert provider.requests["write"] == 12


async def test_a_restart_plans_the_groups_that_changed_meanwhile(
    tmp_path: Path,
) -> None:
    """A change read after the restart plans its group, and only it."""
    provider = MemoryProvider()
    members = _family(provider)
    options = PlanOptions(window=_window(0))
    _, state = await _synced(provider, members, options)
    changed = provider.calendars["anna"].events["anna-2"]
    provider.write("anna", replace(changed, summary="Moved"))

    restarted = reloaded(state, tmp_path / "state.db")
    report = await _cycle(provider, restarted).run(members, options)

    assert _work(report) == (0, 2, 0, 0)
    assert "Moved" in _titles(provider, "ben-combined")


async def test_changed_members_plan_every_group_again_after_a_restart(
    tmp_path: Path,
) -> None:
    """A policy changed while Home Assistant was down reaches every copy."""
    provider = MemoryProvider()
    members = _family(provider)
    options = PlanOptions(window=_window(0))
    _, state = await _synced(provider, members, options)
    prefixed = [
        replace(member, policy=MemberPolicy(title_prefix="Anna: "))
        if member.id == "anna"
        else member
        for member in members
    ]

    restarted = reloaded(state, tmp_path / "state.db")
    report = await _cycle(provider, restarted).run(prefixed, options)

    assert _work(report) == (0, 10, 0, 2)
    assert _titles(provider, "ben-combined")[0] == "Anna: Day 0"


async def test_a_moved_window_plans_only_the_events_entering_or_leaving_it() -> None:
    """Two days later: two of Anna's days leave, two enter; nothing else is planned."""
    provider = MemoryProvider()
    members = _family(provider)
    cycle, _ = await _synced(provider, members, PlanOptions(window=_window(0)))

    report = await cycle.run(members, PlanOptions(window=_window(2)))

    assert _work(report) == (4, 0, 4, 0)
    assert _titles(provider, "cleo-combined") == [
        "Choir",
        "Day 2",
        "Day 3",
        "Day 4",
        "Day 5",
        "Day 6",
    ]


async def test_a_moved_window_after_a_restart_plans_only_what_crosses_it(
    tmp_path: Path,
) -> None:
    """The window the groups were planned for is kept with the state."""
    provider = MemoryProvider()
    members = _family(provider)
    _, state = await _synced(provider, members, PlanOptions(window=_window(0)))

    restarted = reloaded(state, tmp_path / "state.db")
    report = await _cycle(provider, restarted).run(
        members, PlanOptions(window=_window(1))
    )

    assert _work(report) == (2, 0, 2, 0)
