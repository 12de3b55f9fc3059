"""Faults a real deployment meets, with both servers real, and what must hold after.

A family of three syncs across the fake Google API and Radicale (behind the fault
proxy): Anna's own calendar is on Google and her combined calendar on CalDAV, Ben's
the other way round, Cleo's both on Google. After any fault, once the fault is gone
the next cycles converge: every combined calendar holds exactly one copy of each of
the others' events (no duplicate, none lost), and no member's own event changed.

Kill points: the cycle is cancelled at its n-th request to either server (the
request still reaches the server, as when Home Assistant dies while it is in
flight) or at a save, then restarted from the last saved state with new providers.
`KILL_POINTS` (default 10, half for a first sync, half for an edit cycle) sets how
many; `KILL_POINTS=100 scripts/test tests/test_reliability.py` runs the 100 the
reliability suite asks for (about seven minutes on two cores).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
import os
from pathlib import Path
import random
from tempfile import TemporaryDirectory
from typing import Any

import pytest

from custom_components.shared_calendars.cycle import SyncCycle, SyncReport
from custom_components.shared_calendars.engine.ids import copy_id
from custom_components.shared_calendars.engine.model import CalendarRef, Event, Member
from custom_components.shared_calendars.engine.plan import PlanOptions
from custom_components.shared_calendars.providers.base import CalendarProvider

from .providers.caldav_harness import CalDavHarness
from .providers.google_harness import GoogleHarness
from .servers.dav_proxy import DavProxy
from .servers.radicale import RadicaleServer
from .stored import StoredState

KILL_POINTS = int(os.environ.get("KILL_POINTS", "10"))
START = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)
TIMEOUT = 0.5
"""Seconds the CalDAV provider waits for an answer in the timeout tests."""


type _Snapshot = dict[str, dict[str, tuple[str, object, object, str | None]]]
"""Member -> event id -> (title, start, end, rule) of their own calendar."""


async def _no_sleep(_: float) -> None:
    """Skip back-off waits."""


def _event(owner: str, key: str, summary: str, hours: int, **fields: Any) -> Event:
    event_id = copy_id("original", f"{owner}/{key}")
    start = START + timedelta(hours=hours)
    return Event(
        id=event_id,
        ical_uid=f"{event_id}@example.com",
        summary=summary,
        start=start,
        end=start + timedelta(hours=1),
        **fields,
    )


FIRST_EVENTS = {
    "anna": [
        _event("anna", "dentist", "Dentist", 1),
        _event("anna", "yoga", "Yoga", 2, rrule="FREQ=WEEKLY;COUNT=6"),
        _event("anna", "lunch", "Lunch", 3),
    ],
    "ben": [
        _event("ben", "football", "Football", 4),
        _event("ben", "standup", "Stand-up", 5, rrule="FREQ=DAILY;COUNT=5"),
        _event("ben", "trip", "Trip", 30),
    ],
    "cleo": [
        _event("cleo", "piano", "Piano", 6),
        _event("cleo", "exam", "Exam", 50),
    ],
}


@dataclass(kw_only=True)
class _Family:
    """Anna, Ben and Cleo across both servers, and their saved sync state."""

    google: GoogleHarness
    caldav: CalDavHarness
    refs: dict[str, tuple[CalendarRef, CalendarRef]] = field(default_factory=dict)
    """Member -> (own calendar, combined calendar)."""
    folder: TemporaryDirectory[str] = field(default_factory=TemporaryDirectory)
    stored: StoredState | None = None
    """The status database the cycles save into; a restart loads from its rows."""
    before_save: Callable[[], Awaitable[None]] | None = None
    caldav_timeout: float = 30.0
    cycle: SyncCycle | None = None

    @classmethod
    async def make(cls, google: GoogleHarness, caldav: CalDavHarness) -> _Family:
        """Create the six calendars and fill the own ones with `FIRST_EVENTS`."""
        family = cls(google=google, caldav=caldav)
        where = {"anna": ("google", "caldav"), "ben": ("caldav", "google")}
        for name in ("anna", "ben", "cleo"):
            own_kind, combined_kind = where.get(name, ("google", "google"))
            own = await family._harness(own_kind).new_calendar(f"{name} own")
            combined = await family._harness(combined_kind).new_calendar(
                f"{name} combined"
            )
            family.refs[name] = (
                CalendarRef(account=own_kind, calendar_id=own),
                CalendarRef(account=combined_kind, calendar_id=combined),
            )
            for event in FIRST_EVENTS[name]:
                await family.write(name, event)
        return family

    def _harness(self, kind: str) -> GoogleHarness | CalDavHarness:
        return self.google if kind == "google" else self.caldav

    def members(self) -> list[Member]:
        """Return the members, each receiving everybody else's events."""
        return [
            Member(id=name, name=name.title(), sources=(own,), combined=combined)
            for name, (own, combined) in self.refs.items()
        ]

    async def write(self, name: str, event: Event) -> None:
        """Store an event in a member's own calendar, as their calendar app would."""
        own, _ = self.refs[name]
        await self._harness(own.account).provider.put_event(own.calendar_id, event)

    async def remove(self, name: str, event: Event) -> None:
        """Delete an event from a member's own calendar."""
        own, _ = self.refs[name]
        await self._harness(own.account).provider.delete_event(
            own.calendar_id, event.id
        )

    def restart(self) -> SyncCycle:
        """Start over from the last save with new providers, as after a restart."""
        if self.stored is None:
            self.stored = StoredState(Path(self.folder.name) / "state.db")
            state = self.stored.state
        else:
            state = self.stored.restart()
        stored = self.stored

        async def save() -> None:
            if self.before_save is not None:
                await self.before_save()
            await stored.save()

        providers: dict[str, CalendarProvider] = {
            "google": self.google.make_provider(self.google.key),
            "caldav": self.caldav.make_provider(timeout=self.caldav_timeout),
        }
        self.cycle = SyncCycle(
            providers=providers, state=state, save=save, sleep=_no_sleep
        )
        return self.cycle

    async def run(self) -> SyncReport:
        """Run one cycle on the live state."""
        cycle = self.cycle or self.restart()
        return await cycle.run(self.members(), PlanOptions())

    async def converge(self) -> SyncReport:
        """Run cycles until one has nothing left to do (at most five)."""
        for _ in range(5):
            report = await self.run()
            if (
                not report.errors
                and not report.held_back
                and report.pending == 0
                and report.created + report.updated + report.deleted == 0
            ):
                return report
        raise AssertionError(f"no convergence: {report}")

    async def own(self) -> _Snapshot:
        """Return every own calendar as its server holds it now."""
        found: _Snapshot = {}
        for name, (own, _) in self.refs.items():
            listing = await self._harness(own.account).provider.changes(
                own.calendar_id, None
            )
            found[name] = {
                event.id: (event.summary, event.start, event.end, event.rrule)
                for event in listing.changed
            }
        return found

    async def assert_converged(self, own: _Snapshot) -> None:
        """Each combined calendar: one copy of each of the others' events; own: as given."""
        assert await self.own() == own
        for name, (_, combined) in self.refs.items():
            listing = await self._harness(combined.account).provider.changes(
                combined.calendar_id, None
            )
            assert all(event.copy_of is not None for event in listing.changed)
            expected = sorted(
                str(fields[0])
                for other, events in own.items()
                if other != name
                for fields in events.values()
            )
            assert sorted(e.summary for e in listing.changed) == expected, name


class _KillSwitch:
    """Cancels the running cycle at the n-th request to either server, or save."""

    def __init__(self, at: int | None = None) -> None:
        self.at = at
        self.seen = 0
        self.task: asyncio.Task[SyncReport] | None = None

    async def __call__(self, _method: str = "") -> None:
        self.seen += 1
        if self.seen == self.at and self.task is not None:
            self.task.cancel()

    def wire(self, family: _Family) -> None:
        family.google.server.on_request = self
        family.caldav.proxy.on_request = self
        family.before_save = self


async def _edit(family: _Family) -> None:
    """Change, add and delete events in every own calendar."""
    await family.write("anna", _event("anna", "dentist", "Dentist moved", 7))
    await family.remove("anna", FIRST_EVENTS["anna"][2])
    await family.write(
        "ben", _event("ben", "standup", "Stand-up", 5, rrule="FREQ=DAILY;COUNT=3")
    )
    await family.write("ben", _event("ben", "dinner", "Dinner", 8))
    await family.remove("cleo", FIRST_EVENTS["cleo"][0])
    await family.write("cleo", _event("cleo", "recital", "Recital", 9))


async def _killed_run(family: _Family, switch: _KillSwitch) -> bool:
    """Run one cycle the switch may kill; restart after a kill. Return whether it did."""
    switch.seen = 0
    switch.task = asyncio.create_task(family.run())
    try:
        await switch.task
    except asyncio.CancelledError:
        family.restart()
        return True
    finally:
        switch.task = None
    return False


@pytest.mark.timeout(60 + 15 * KILL_POINTS)
@pytest.mark.parametrize("phase", ["first sync", "edit cycle"])
async def test_a_cycle_killed_at_any_point_converges_without_duplicates(
    google_harness: GoogleHarness, caldav_harness: CalDavHarness, phase: str
) -> None:
    """Killed at random requests or saves, restarted from the last save: converges."""
    rnd = random.Random(f"{phase} {KILL_POINTS}")
    points = max(1, KILL_POINTS // 2)
    length = 0
    killed = 0
    for point in range(points + 1):
        family = await _Family.make(google_harness, caldav_harness)
        switch = _KillSwitch()
        switch.wire(family)
        if phase == "edit cycle":
            await family.converge()
            await _edit(family)
        own = await family.own()
        # The first run counts the points of an uncut cycle; then one is cut each.
        switch.at = None if point == 0 else rnd.randint(1, length)
        killed += await _killed_run(family, switch)
        if point == 0:
            length = switch.seen
        switch.at = None
        await family.converge()
        await family.assert_converged(own)
    assert length > 10
    assert killed == points


async def test_a_calendar_whose_server_does_not_answer_in_time_fails_alone(
    google_harness: GoogleHarness, caldav_harness: CalDavHarness
) -> None:
    """Every CalDAV request times out: those calendars are unreachable, Google syncs.

    The stalled requests reach Radicale later: the next cycle still converges.
    """
    family = await _Family.make(google_harness, caldav_harness)
    family.caldav_timeout = TIMEOUT
    own = await family.own()
    caldav_harness.proxy.stall_next(1000, seconds=TIMEOUT * 3)

    report = await family.run()

    caldav = {
        ref.key
        for refs in family.refs.values()
        for ref in refs
        if ref.account == "caldav"
    }
    assert set(report.errors) == caldav
    assert set(report.error_kinds.values()) == {"Unreachable"}
    _, cleo_combined = family.refs["cleo"]
    listing = await google_harness.provider.changes(cleo_combined.calendar_id, None)
    assert sorted(e.summary for e in listing.changed) == ["Dentist", "Lunch", "Yoga"]

    caldav_harness.proxy.heal()
    await asyncio.sleep(TIMEOUT * 3)  # the stalled requests are carried out by now
    await family.converge()
    await family.assert_converged(own)


async def test_writes_that_time_out_but_were_carried_out_make_no_duplicate(
    google_harness: GoogleHarness, caldav_harness: CalDavHarness
) -> None:
    """Copies PUT to CalDAV time out, then land: tried again, they replace, not add."""
    family = await _Family.make(google_harness, caldav_harness)
    family.caldav_timeout = TIMEOUT
    own = await family.own()
    caldav_harness.proxy.stall_next(3, seconds=TIMEOUT * 2, method="PUT")

    report = await family.run()

    assert report.requests["put"] == report.created + 3  # each timed out, then again
    await asyncio.sleep(TIMEOUT * 2)  # the stalled ones are carried out by now
    await family.converge()
    await family.assert_converged(own)


async def test_one_request_in_ten_failing_with_5xx_still_converges(
    google_harness: GoogleHarness, caldav_harness: CalDavHarness
) -> None:
    """10% of the requests to both servers fail (503), in a first sync and edits.

    Once they stop, the next cycles converge with nothing doubled or lost.
    """
    family = await _Family.make(google_harness, caldav_harness)

    def fail(rate: float) -> None:
        google_harness.server.error_rate = caldav_harness.proxy.error_rate = rate

    fail(0.1)
    await family.run()
    fail(0.0)  # the members' own apps write without trouble
    await _edit(family)
    fail(0.1)
    await family.run()
    await family.run()

    fail(0.0)
    own = await family.own()
    await family.converge()
    await family.assert_converged(own)


@pytest.fixture
async def own_radicale(socket_enabled: None, tmp_path: Path) -> Any:
    """Return a Radicale of this test's own (it gets stopped), and a proxy to it."""
    server = await asyncio.to_thread(RadicaleServer.start, tmp_path / "radicale")
    proxy = DavProxy(server.url)
    await proxy.start()
    try:
        yield server, proxy
    finally:
        await proxy.close()
        await asyncio.to_thread(server.stop)


@pytest.mark.parametrize("cut", [0.1, 0.4, 0.7, 0.95])
async def test_a_caldav_server_stopped_mid_cycle_and_restarted_loses_nothing(
    google_harness: GoogleHarness, own_radicale: Any, tmp_path: Path, cut: float
) -> None:
    """Radicale stops at a CalDAV request of the first sync, then comes back.

    Its proxy answers 502 meanwhile; the server restarts on another port. No
    duplicate, no lost copy, no own event changed.
    """
    server, proxy = own_radicale
    caldav = CalDavHarness(server=server, proxy=proxy)
    try:
        family = await _Family.make(google_harness, caldav)
        own = await family.own()
        probe = await _Family.make(google_harness, caldav)
        before = proxy.request_count()
        await probe.run()
        stop_at = max(1, int((proxy.request_count() - before) * cut))
        seen = 0

        async def stop_server(_method: str) -> None:
            nonlocal seen
            seen += 1
            if seen == stop_at:
                await asyncio.to_thread(server.stop)

        proxy.on_request = stop_server

        report = await family.run()

        assert set(report.error_kinds.values()) == {"Unreachable"}
        restarted = await asyncio.to_thread(RadicaleServer.start, tmp_path / "radicale")
        proxy.upstream = restarted.url.rstrip("/")
        proxy.on_request = None
        try:
            await family.converge()
            await family.assert_converged(own)
        finally:
            await asyncio.to_thread(restarted.stop)
    finally:
        await caldav.close()
