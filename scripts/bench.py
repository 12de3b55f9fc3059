"""Benchmarks of the merge sync: figures to read, not thresholds to pass.

1. Planning cost: a full plan of a large group, then an incremental plan after
   one edit (should not grow with the group); the CPU of a cycle after a restart
   with nothing changed, and after the window moved a day.
2. The family scenario on the fake Google API (`bench_family`): requests, bytes,
   wall and CPU of a first sync, a second cycle, a quiet cycle and ten edits.
3. Cycles against the fake Google Calendar API at several concurrency settings.

Run with `scripts/bench`; `scripts/bench --quick` runs a smaller family and
group in under two minutes.
"""

from __future__ import annotations

import argparse
import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta
import time

from custom_components.shared_calendars.cycle import SyncCycle, plan_digest
from custom_components.shared_calendars.engine.ids import copy_id
from custom_components.shared_calendars.engine.model import (
    CalendarRef,
    ChangeSet,
    Event,
    Member,
    SyncWindow,
)
from custom_components.shared_calendars.engine.plan import PlanOptions, PutCopy, plan
from custom_components.shared_calendars.engine.state import SyncState
from scripts.bench_family import print_rows, run_family
from tests.memory_provider import MemoryProvider
from tests.providers.google_harness import GoogleHarness

START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _event(key: str, summary: str, hour: int) -> Event:
    event_id = copy_id("bench", key)
    begin = START + timedelta(hours=hour)
    return Event(
        id=event_id,
        ical_uid=f"{event_id}@bench",
        summary=summary,
        start=begin,
        end=begin + timedelta(hours=1),
    )


def _window(days_later: int) -> SyncWindow:
    """Return a window of sixty days that starts `days_later` days after START."""
    start = START + timedelta(days=days_later)
    return SyncWindow(start=start, end=start + timedelta(days=60))


def bench_planning(members_count: int, events_per_member: int) -> None:
    """Time a full plan and an incremental plan after one edit."""
    members = [
        Member(
            id=f"m{n}",
            name=f"Member {n}",
            sources=(CalendarRef(account="a", calendar_id=f"own-{n}"),),
            combined=CalendarRef(account="a", calendar_id=f"combined-{n}"),
        )
        for n in range(members_count)
    ]
    state = SyncState()
    groups: set[str] = set()
    for member in members:
        listing = tuple(
            _event(f"{member.id}/{i}", f"Event {i}", i % 2000)
            for i in range(events_per_member)
        )
        changes = ChangeSet(changed=listing, deleted=(), cursor="c", complete=True)
        groups |= state.apply(member.sources[0].key, changes, guard_empty=True).groups

    options = PlanOptions(window=_window(0))
    began = time.perf_counter()
    full = plan(members, state, groups, options)
    full_ms = (time.perf_counter() - began) * 1000
    for action in full.actions:
        assert isinstance(action, PutCopy)
        state.record_put(action.record, action.event)

    began = time.perf_counter()
    again = plan(members, state, groups, options)
    again_ms = (time.perf_counter() - began) * 1000
    assert not again.actions
    restart_ms, moved_ms, moved = asyncio.run(_replanning(members, state, options))

    edited = replace(_event("m0/7", "Event 7 (moved)", 3), updated=START)
    touched = state.apply(
        members[0].sources[0].key,
        ChangeSet(changed=(edited,), deleted=(), cursor="c2"),
        guard_empty=True,
    ).groups
    began = time.perf_counter()
    incremental = plan(members, state, touched, options)
    incremental_ms = (time.perf_counter() - began) * 1000
    originals = members_count * events_per_member
    print(
        f"planning, {members_count} members x {events_per_member} events "
        f"({originals} originals, {len(full.actions)} copies):\n"
        f"  first plan        {full_ms:9.1f} ms  ({full_ms * 1000 / originals:.1f} us per original)\n"
        f"  replan, no change {again_ms:9.1f} ms  (every group planned again)\n"
        f"  after one edit    {incremental_ms:9.3f} ms  ({len(incremental.actions)} actions)\n"
        f"  cycle after a restart, nothing changed  {restart_ms:7.1f} ms CPU\n"
        f"  cycle after the window moved a day      {moved_ms:7.1f} ms CPU "
        f"({moved} copies written or deleted)"
    )


async def _replanning(
    members: list[Member], state: SyncState, options: PlanOptions
) -> tuple[float, float, int]:
    """Return the CPU of a cycle after a restart, and after the window moved a day.

    The calendars answer with no change (an in-memory provider), so the figures are
    the cycle's own work: which groups to plan, and planning them.
    """
    provider = MemoryProvider(account="a")
    for member in members:
        for ref in (*member.sources, *([member.combined] if member.combined else [])):
            provider.add_calendar(ref.calendar_id)
            state.calendar(ref.key).cursor = "0:0"
    # As a cycle that carried out the plan leaves it.
    state.pending.clear()
    state.planned_for = plan_digest(members, options)
    state.planned_window = options.window

    async def save() -> None:
        """Keep the state in memory."""

    cycle = SyncCycle(providers={"a": provider}, state=state, save=save)
    began = time.thread_time()
    quiet = await cycle.run(members, options)
    restart_ms = (time.thread_time() - began) * 1000
    assert quiet.created == quiet.updated == quiet.deleted == 0
    began = time.thread_time()
    moved = await cycle.run(members, replace(options, window=_window(1)))
    moved_ms = (time.thread_time() - began) * 1000
    return restart_ms, moved_ms, moved.created + moved.deleted


async def bench_cycles(calendars_per_kind: int, events: int, latency: float) -> None:
    """Time cycles against the fake Google API with `latency` seconds per request."""
    harness = await GoogleHarness.start()
    try:
        members = []
        for n in range(calendars_per_kind):
            own = await harness.new_calendar(f"own {n}")
            combined = await harness.new_calendar(f"combined {n}")
            members.append(
                Member(
                    id=f"m{n}",
                    name=f"Member {n}",
                    sources=(CalendarRef(account="g", calendar_id=own),),
                    combined=CalendarRef(account="g", calendar_id=combined),
                )
            )
            for i in range(events):
                await harness.provider.put_event(
                    own, _event(f"{n}/{i}", f"Event {i}", i)
                )
        harness.server.latency = latency
        calendars = 2 * calendars_per_kind
        print(
            f"cycles on the fake Google API, {calendars} calendars, {events} events each, "
            f"{latency * 1000:.0f} ms per request:"
        )
        for concurrency in (1, 4, 8):
            state = SyncState()

            async def save() -> None:
                """Keep the state in memory."""

            cycle = SyncCycle(
                providers={"g": harness.provider},
                state=state,
                save=save,
                concurrency=concurrency,
            )
            for target in (member.combined for member in members):
                assert (
                    target is not None
                )  # start each run with empty combined calendars
                listing = await harness.provider.changes(target.calendar_id, None)
                for copy in listing.changed:
                    await harness.provider.delete_event(target.calendar_id, copy.id)
            began = time.perf_counter()
            first = await cycle.run(members, PlanOptions())
            first_s = time.perf_counter() - began
            await cycle.run(members, PlanOptions())  # reads back its own writes once
            began = time.perf_counter()
            quiet = await cycle.run(members, PlanOptions())
            quiet_s = time.perf_counter() - began
            print(
                f"  concurrency {concurrency}: first cycle {first.created} copies, "
                f"{sum(first.requests.values())} requests, {first_s:6.2f} s; "
                f"quiet cycle {sum(quiet.requests.values())} requests, {quiet_s * 1000:6.0f} ms"
            )
    finally:
        await harness.stop()


def main() -> None:
    """Print every figure."""
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="a smaller family and group (< 2 min)"
    )
    quick = parser.parse_args().quick
    bench_planning(members_count=5, events_per_member=2000 if quick else 10000)
    events = 50 if quick else 500
    rows = asyncio.run(run_family(events=events))
    print_rows(
        rows,
        f"family on the fake Google API, 30 ms a request: 5 members x 2 calendars "
        f"x {events} events ({5 * 4 * 2 * events} copies)",
    )
    if not quick:
        asyncio.run(bench_cycles(calendars_per_kind=5, events=20, latency=0.02))


if __name__ == "__main__":
    main()
