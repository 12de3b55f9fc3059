"""Planning cost, in a process of its own: CPU and peak memory of planning a group.

A full plan of every original, a plan of every group again with nothing changed, an
incremental plan after one edit (should not grow with the group), and the CPU of a
cycle after a restart with nothing changed and after the window moved a day. Run by
`scripts/bench.py`, which reads the JSON it writes.
"""

from __future__ import annotations

import argparse
import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta
import gc
import json
from pathlib import Path
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
from scripts.bench_family import proc_kib, reset_peak
from tests.memory_provider import MemoryProvider

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


def bench_planning(members_count: int, events_per_member: int) -> dict[str, float]:
    """Return the CPU seconds and peak memory (MiB) of planning a group."""
    gc.collect()
    baseline_kib = proc_kib("VmRSS")
    reset_peak()
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
        # Every original inside the sixty-day window: each makes one copy per other.
        listing = tuple(
            _event(f"{member.id}/{i}", f"Event {i}", i % 1400)
            for i in range(events_per_member)
        )
        changes = ChangeSet(changed=listing, deleted=(), cursor="c", complete=True)
        groups |= state.apply(member.sources[0].key, changes, guard_empty=True).groups

    options = PlanOptions(window=_window(0))
    began = time.process_time()
    full = plan(members, state, groups, options)
    full_s = time.process_time() - began
    for action in full.actions:
        assert isinstance(action, PutCopy)
        state.record_put(action.record, action.event)

    began = time.process_time()
    again = plan(members, state, groups, options)
    again_s = time.process_time() - began
    assert not again.actions
    restart_s, moved_s, moved = asyncio.run(_replanning(members, state, options))

    edited = replace(_event("m0/7", "Event 7 (moved)", 3), updated=START)
    touched = state.apply(
        members[0].sources[0].key,
        ChangeSet(changed=(edited,), deleted=(), cursor="c2"),
        guard_empty=True,
    ).groups
    began = time.process_time()
    incremental = plan(members, state, touched, options)
    incremental_s = time.process_time() - began
    assert incremental.actions
    return {
        "originals": members_count * events_per_member,
        "copies": len(full.actions),
        "full_s": full_s,
        "all_again_s": again_s,
        "one_edit_s": incremental_s,
        "restart_cycle_s": restart_s,
        "window_moved_s": moved_s,
        "window_moved_changes": moved,
        "peak_mib": (proc_kib("VmHWM") - baseline_kib) / 1024,
    }


async def _replanning(
    members: list[Member], state: SyncState, options: PlanOptions
) -> tuple[float, float, int]:
    """Return the CPU seconds of a cycle after a restart, and after the window moved a day.

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
    began = time.process_time()
    quiet = await cycle.run(members, options)
    restart_s = time.process_time() - began
    assert quiet.created == quiet.updated == quiet.deleted == 0
    began = time.process_time()
    moved = await cycle.run(members, replace(options, window=_window(1)))
    moved_s = time.process_time() - began
    return restart_s, moved_s, moved.created + moved.deleted


def main() -> None:
    """Plan a group of 5 members and write the figures as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--events", type=int, default=10000, help="per member")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    figures = bench_planning(members_count=5, events_per_member=args.events)
    Path(args.out).write_text(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
