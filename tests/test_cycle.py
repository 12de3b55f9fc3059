"""Sync cycles end to end over the provider protocol, including crashes and failures."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
import os
from pathlib import Path
from typing import Any
from uuid import uuid4

from hypothesis import HealthCheck, given, settings, strategies as st
import pytest

from custom_components.shared_calendars.cycle import SyncCycle, SyncReport
from custom_components.shared_calendars.engine.model import (
    CalendarRef,
    Event,
    Member,
    MemberPolicy,
    Privacy,
)
from custom_components.shared_calendars.engine.plan import PlanOptions
from custom_components.shared_calendars.engine.state import Confirm

from .memory_provider import MemoryProvider
from .stored import StoredState

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
NAMES = ("Anna", "Ben", "Cleo")


async def _no_sleep(_: float) -> None:
    """Skip back-off waits in tests."""


def _members(
    provider: MemoryProvider, policies: dict[str, MemberPolicy]
) -> list[Member]:
    members = []
    for name in NAMES:
        key = name.lower()
        for calendar in (f"{key}-own", f"{key}-combined"):
            provider.add_calendar(calendar)
        members.append(
            Member(
                id=key,
                name=name,
                sources=(
                    CalendarRef(account=provider.account, calendar_id=f"{key}-own"),
                ),
                combined=CalendarRef(
                    account=provider.account, calendar_id=f"{key}-combined"
                ),
                policy=policies.get(key, MemberPolicy()),
            )
        )
    return members


def _event(owner: str, uid: int, summary: str, hours: int = 0) -> Event:
    start = T0 + timedelta(hours=hours)
    return Event(
        id=f"{owner}-{uid}",
        ical_uid=f"u{uid}@example.com",
        summary=summary,
        start=start,
        end=start + timedelta(hours=1),
    )


def _expected(provider: MemoryProvider, members: list[Member]) -> dict[str, list[str]]:
    """Compute every combined calendar's titles straight from the sources and policies."""
    expected: dict[str, list[str]] = {}
    for target in members:
        # Nobody receives what their own calendars hold, unless they ask for it back.
        held = {
            event.ical_uid
            for source in target.sources
            for event in provider.calendars[source.calendar_id].events.values()
            if not target.policy.receive_own
        }
        by_uid: dict[str, list[tuple[bool, int, Member, Event]]] = {}
        for order, sender in enumerate(members):
            for source in sender.sources:
                for event in provider.calendars[source.calendar_id].events.values():
                    if event.ical_uid in held:
                        continue
                    by_uid.setdefault(event.ical_uid, []).append(
                        (
                            sender.policy.privacy is not Privacy.FULL,
                            order,
                            sender,
                            event,
                        )
                    )
        titles = []
        for contributions in by_uid.values():
            contributions.sort(key=lambda c: (c[0], c[1]))
            _, _, lead, event = contributions[0]
            title = (
                "Busy" if lead.policy.privacy is Privacy.BUSY_ONLY else event.summary
            )
            names = list(dict.fromkeys(c[2].name for c in contributions))
            titles.append(
                f"{title} ({', '.join(names)})"
                if len(names) > 1
                else lead.policy.title_prefix + title
            )
        assert target.combined is not None
        expected[target.combined.calendar_id] = sorted(titles)
    return expected


def _actual(provider: MemoryProvider, members: list[Member]) -> dict[str, list[str]]:
    actual = {}
    for member in members:
        assert member.combined is not None
        events = provider.calendars[member.combined.calendar_id].events.values()
        assert all(event.copy_of is not None for event in events)
        actual[member.combined.calendar_id] = sorted(event.summary for event in events)
    return actual


@dataclass
class Group:
    """A group of three on one in-memory account, and its status database."""

    folder: Path
    provider: MemoryProvider = field(default_factory=MemoryProvider)
    policies: dict[str, MemberPolicy] = field(default_factory=dict)
    stored: StoredState | None = None
    cycle: SyncCycle | None = None

    def __post_init__(self) -> None:
        """Create every member's calendars."""
        self.members()

    def members(self) -> list[Member]:
        """Return the members with their current policies."""
        return _members(self.provider, self.policies)

    def restart(self) -> SyncCycle:
        """Start over from what was saved, as after Home Assistant restarts."""
        if self.stored is None:
            # One file per group: examples of a property test share one folder.
            self.stored = StoredState(self.folder / f"{uuid4().hex}.db")
        else:
            self.stored.restart()
        self.cycle = SyncCycle(
            providers={self.provider.account: self.provider},
            state=self.stored.state,
            save=self.stored.save_and_check,
            sleep=_no_sleep,
        )
        return self.cycle

    async def run(self, **kwargs: Any) -> SyncReport:
        """Run one cycle on the live state."""
        cycle = self.cycle or self.restart()
        return await cycle.run(self.members(), PlanOptions(), **kwargs)


async def test_first_cycle_copies_and_second_is_one_request_per_calendar(
    tmp_path: Path,
) -> None:
    """A no-change cycle asks each calendar once and writes nothing."""
    group = Group(tmp_path)
    members = group.members()
    group.provider.write("anna-own", _event("anna", 1, "Dentist"))
    group.provider.write("ben-own", _event("ben", 2, "Football"))

    first = await group.run()
    assert (first.created, first.updated, first.deleted) == (4, 0, 0)
    assert _actual(group.provider, members) == _expected(group.provider, members)

    group.provider.requests.clear()
    second = await group.run()
    assert group.provider.requests == {"changes": 6}
    # The copies written last cycle come back once as changes, and cost no write.
    assert (second.created, second.updated, second.deleted, second.unchanged) == (
        0,
        0,
        0,
        4,
    )
    third = await group.run()
    assert third.requests == {"changes": 6}
    assert third.unchanged == 0


async def test_cycle_that_dies_after_some_writes_is_repaired_without_duplicates(
    tmp_path: Path,
) -> None:
    """Cancelled mid-way and restarted from the last save, the next cycle converges."""
    group = Group(tmp_path)
    members = group.members()
    for uid in range(6):
        group.provider.write("anna-own", _event("anna", uid, f"Event {uid}"))

    group.provider.cancel_after_writes = 5
    with pytest.raises(asyncio.CancelledError):
        await group.run()
    group.restart()
    report = await group.run()
    # 12 copies; at least the 5 written before the crash are not written again.
    assert 1 <= report.created + report.updated <= 7
    assert _actual(group.provider, members) == _expected(group.provider, members)


async def test_failing_calendar_is_reported_and_retried_next_cycle(
    tmp_path: Path,
) -> None:
    """A write that keeps failing is reported; the group stays pending and is done later."""
    group = Group(tmp_path)
    members = group.members()
    group.provider.write("anna-own", _event("anna", 1, "Dentist"))
    group.provider.fail_after_writes = 1

    report = await group.run()
    assert report.errors
    assert report.pending == 1
    group.provider.fail_after_writes = None
    report = await group.run()
    assert not report.errors
    assert report.pending == 0
    assert _actual(group.provider, members) == _expected(group.provider, members)


async def test_expired_cursor_is_followed_by_a_full_listing_that_keeps_copies(
    tmp_path: Path,
) -> None:
    """After a 410-like expiry, the full listing changes nothing that was right."""
    group = Group(tmp_path)
    group.provider.write("anna-own", _event("anna", 1, "Dentist"))
    await group.run()
    group.provider.expire_cursors()
    group.provider.requests.clear()

    report = await group.run()
    assert report.requests["changes"] == 12  # each calendar: expired, then listed
    assert (report.created, report.updated, report.deleted) == (0, 0, 0)


_STEP = st.one_of(
    st.tuples(
        st.just("write"),
        st.sampled_from(NAMES),
        st.integers(0, 4),
        st.sampled_from(["Dentist", "Football", "Planning"]),
        st.integers(0, 3),
    ),
    st.tuples(st.just("remove"), st.sampled_from(NAMES), st.integers(0, 4)),
    st.tuples(
        st.just("policy"),
        st.sampled_from(NAMES),
        st.booleans(),
        st.sampled_from(list(Privacy)),
        st.sampled_from(["", "X: "]),
    ),
    st.tuples(st.just("fail"), st.integers(0, 6)),
    st.tuples(st.just("cancel"), st.integers(0, 6)),
    st.tuples(st.just("expire")),
    st.tuples(st.just("cycle")),
)


@settings(
    max_examples=int(os.environ.get("PROPERTY_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(_STEP, max_size=25))
async def test_cycles_converge_to_the_oracle_whatever_happens(
    tmp_path: Path, steps: list[tuple[Any, ...]]
) -> None:
    """Random edits, policy changes and failures: once faults stop, copies match the oracle."""
    group = Group(tmp_path)
    written: dict[str, dict[str, Event]] = {name.lower(): {} for name in NAMES}
    for step in steps:
        match step:
            case ("write", name, uid, summary, hours):
                event = _event(name.lower(), uid, summary, hours)
                written[name.lower()][event.id] = event
                group.provider.write(f"{name.lower()}-own", event)
            case ("remove", name, uid):
                written[name.lower()].pop(f"{name.lower()}-{uid}", None)
                group.provider.remove(f"{name.lower()}-own", f"{name.lower()}-{uid}")
            case ("policy", name, receive_own, privacy, prefix):
                group.policies[name.lower()] = MemberPolicy(
                    receive_own=receive_own, privacy=privacy, title_prefix=prefix
                )
            case ("fail", writes):
                group.provider.fail_after_writes = writes
            case ("cancel", writes):
                group.provider.cancel_after_writes = writes
            case ("expire",):
                group.provider.expire_cursors()
            case ("cycle",):
                try:
                    await group.run()
                except asyncio.CancelledError:
                    group.restart()
    group.provider.fail_after_writes = None
    group.provider.cancel_after_writes = None

    members = group.members()
    confirm: dict[str, Confirm] = {}
    for _ in range(5):  # a calendar that looks emptied waits for the user's answer
        report = await group.run(confirm=confirm)
        confirm = dict.fromkeys(report.held_back, Confirm.EMPTIED)
        if (
            not report.held_back
            and report.created + report.updated + report.deleted == 0
        ):
            break
    assert _actual(group.provider, members) == _expected(group.provider, members)
    for name in NAMES:  # nobody's own calendar was touched
        own = group.provider.calendars[f"{name.lower()}-own"].events
        assert own == written[name.lower()]
