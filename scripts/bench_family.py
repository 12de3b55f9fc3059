"""The family scenario against the fake Google API: requests, bytes, wall and CPU.

Members each have source calendars of originals (a tenth of them weekly series, a
twentieth with a moved occurrence) and a combined calendar that receives everyone
else's. The fake server runs in a thread of its own, so that the CPU figure
(`time.thread_time` of the thread that runs the sync) is the integration's alone.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
import threading
import time
from types import SimpleNamespace
from typing import Any

from aiohttp import (
    ClientSession,
    TraceConfig,
    TraceRequestChunkSentParams,
    TraceResponseChunkReceivedParams,
)

from custom_components.shared_calendars.cycle import SyncCycle, SyncReport
from custom_components.shared_calendars.engine.model import CalendarRef, Member
from custom_components.shared_calendars.engine.plan import PlanOptions
from custom_components.shared_calendars.engine.state import SyncState
from custom_components.shared_calendars.providers.google import (
    GoogleProvider,
    ServiceAccountKey,
)
from tests.servers.fake_google import FakeGoogle, rsa_test_key, service_account_key

ACCOUNT = "bench@bench-project.iam.gserviceaccount.com"
ZONE = "Europe/Berlin"
START = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
WRITES = frozenset({"events.insert", "events.update", "events.patch", "events.delete"})


class ServerThread:
    """A `FakeGoogle` served from its own thread and event loop."""

    def __init__(self) -> None:
        """Start the thread's loop and the server in it."""
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()
        self.server = FakeGoogle()
        self.call(self.server.start())

    def call[T](self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run a coroutine in the server's loop and wait for it."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result()

    def stop(self) -> None:
        """Stop the server and its thread."""
        self.call(self.server.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join()


@dataclass(kw_only=True)
class Traffic:
    """Bytes the provider's HTTP session sent and received (bodies)."""

    sent: int = 0
    received: int = 0

    def trace(self) -> TraceConfig:
        """Return an aiohttp trace that adds every chunk up."""
        config = TraceConfig()

        async def on_sent(
            _: ClientSession, __: SimpleNamespace, params: TraceRequestChunkSentParams
        ) -> None:
            self.sent += len(params.chunk)

        async def on_received(
            _: ClientSession,
            __: SimpleNamespace,
            params: TraceResponseChunkReceivedParams,
        ) -> None:
            self.received += len(params.chunk)

        config.on_request_chunk_sent.append(on_sent)
        config.on_response_chunk_received.append(on_received)
        return config


@dataclass(kw_only=True)
class Row:
    """The figures of one step of the scenario."""

    name: str
    requests: Counter[str] = field(default_factory=Counter)
    sent: int = 0
    received: int = 0
    wall: float = 0.0
    cpu: float = 0.0
    report: SyncReport | None = None

    @property
    def writes(self) -> int:
        """Return the event writes made (refused inserts included)."""
        return sum(n for route, n in self.requests.items() if route in WRITES)

    @property
    def reads(self) -> int:
        """Return the other requests."""
        return sum(self.requests.values()) - self.writes


def _when(moment: datetime) -> dict[str, str]:
    return {"dateTime": moment.isoformat(), "timeZone": ZONE}


def _original(member: int, number: int) -> dict[str, Any]:
    """Return the resource of one original as a member's calendar app writes it."""
    begin = START + timedelta(hours=(number * 7) % 2000, minutes=15 * member)
    body: dict[str, Any] = {
        "summary": f"Member {member} event {number}",
        "description": "Bring the blue folder" if number % 3 == 0 else "",
    }
    if number % 10 == 5:
        day = begin.date()
        body |= {
            "start": {"date": day.isoformat()},
            "end": {"date": (day + timedelta(days=1)).isoformat()},
        }
    else:
        body |= {"start": _when(begin), "end": _when(begin + timedelta(hours=1))}
    if number % 10 == 0:
        body["recurrence"] = ["RRULE:FREQ=WEEKLY;COUNT=20"]
    return body


def _moved(
    master: dict[str, Any], weeks: int, minutes: int
) -> tuple[str, dict[str, Any]]:
    """Return the instance id and resource of an occurrence moved by `minutes`."""
    original = datetime.fromisoformat(master["start"]["dateTime"]) + timedelta(
        weeks=weeks
    )
    moved = original + timedelta(minutes=minutes)
    instance = f"{master['id']}_{original.astimezone(UTC):%Y%m%dT%H%M%SZ}"
    body = {
        "summary": master["summary"],
        "start": _when(moved),
        "end": _when(moved + timedelta(hours=1)),
    }
    return instance, body


@dataclass(kw_only=True)
class Family:
    """The members, their calendars, and the originals that may be edited."""

    members: list[Member]
    originals: dict[str, list[dict[str, Any]]]
    """Source calendar id -> the originals written there."""


def populate(server: FakeGoogle, members: int, calendars: int, events: int) -> Family:
    """Make every member's calendars and fill the sources, as the members would."""
    family = Family(members=[], originals={})
    for m in range(members):
        sources = []
        for c in range(calendars):
            calendar_id = server.create_calendar(f"member {m} source {c}")
            server.share(calendar_id, ACCOUNT, "writer")
            sources.append(CalendarRef(account="g", calendar_id=calendar_id))
            written = family.originals[calendar_id] = []
            for n in range(events):
                stored = server.insert_event(calendar_id, _original(m, c * events + n))
                written.append(stored)
                if n % 20 == 0:
                    instance, body = _moved(stored, 2, 30)
                    server.update_event(calendar_id, instance, body)
        combined = server.create_calendar(f"member {m} combined")
        server.share(combined, ACCOUNT, "writer")
        family.members.append(
            Member(
                id=f"m{m}",
                name=f"Member {m}",
                sources=tuple(sources),
                combined=CalendarRef(account="g", calendar_id=combined),
            )
        )
    return family


def edit(server: FakeGoogle, family: Family, count: int) -> None:
    """Edit `count` originals: titles of single events, one moved occurrence."""
    calendars = list(family.originals)
    for n in range(count):
        calendar_id = calendars[n % len(calendars)]
        originals = family.originals[calendar_id]
        if n == count - 1:
            master = next(o for o in originals[20:] if "recurrence" in o)
            instance, body = _moved(master, 4, 45)
            server.update_event(calendar_id, instance, body)
            continue
        single = [o for o in originals if "recurrence" not in o][n]
        body = {key: single[key] for key in ("summary", "start", "end")}
        server.update_event(
            calendar_id, single["id"], body | {"summary": f"{single['summary']} (new)"}
        )


async def measure(
    name: str,
    server: FakeGoogle,
    traffic: Traffic,
    step: Callable[[], Awaitable[SyncReport | None]],
) -> Row:
    """Run one step and return what it cost."""
    before, sent, received = Counter(server.requests), traffic.sent, traffic.received
    wall, cpu = time.perf_counter(), time.thread_time()
    report = await step()
    row = Row(
        name=name,
        wall=time.perf_counter() - wall,
        cpu=time.thread_time() - cpu,
        sent=traffic.sent - sent,
        received=traffic.received - received,
        report=report,
    )
    for (_, route), number in server.requests.items():
        if route != "token" and (grown := number - before[(_, route)]) > 0:
            row.requests[route] += grown
    return row


async def run_family(
    *,
    members: int = 5,
    calendars: int = 2,
    events: int = 500,
    latency: float = 0.03,
    concurrency: int = 4,
    edits: int = 10,
) -> list[Row]:
    """Run the scenario: first sync, second cycle, quiet cycle, edits."""
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, rsa_test_key, 0)
    thread = ServerThread()
    server = thread.server
    traffic = Traffic()
    session = ClientSession(trace_configs=[traffic.trace()])
    try:
        server.register_service_account(ACCOUNT, rsa_test_key(0).public_key())
        key = service_account_key(ACCOUNT, server.token_uri, rsa_test_key(0))
        provider = GoogleProvider(
            ServiceAccountKey.parse(key), session, api_root=server.api_root
        )
        family = populate(server, members, calendars, events)
        server.latency = latency

        async def save() -> None:
            """Keep the state in memory: persistence is measured elsewhere."""

        cycle = SyncCycle(
            providers={"g": provider},
            state=SyncState(),
            save=save,
            concurrency=concurrency,
        )

        async def run() -> SyncReport:
            return await cycle.run(family.members, PlanOptions())

        async def edited() -> SyncReport:
            edit(server, family, edits)
            return await run()

        rows = [
            await measure("first sync", server, traffic, run),
            await measure("second cycle", server, traffic, run),
            await measure("quiet cycle", server, traffic, run),
            await measure(f"{edits} edits", server, traffic, edited),
        ]
        _check(server, family)
        return rows
    finally:
        await session.close()
        thread.stop()


def _check(server: FakeGoogle, family: Family) -> None:
    """Fail unless every combined calendar holds one copy of every other's original."""
    for member in family.members:
        assert member.combined is not None
        held = server.live_events(member.combined.calendar_id).values()
        masters = Counter(
            event["summary"].removesuffix(" (new)")
            for event in held
            if "recurringEventId" not in event
        )
        expected = Counter(
            original["summary"]
            for other in family.members
            if other is not member
            for source in other.sources
            for original in family.originals[source.calendar_id]
        )
        assert masters == expected, f"{member.name}: copies differ from originals"


def print_rows(rows: list[Row], title: str) -> None:
    """Print the figures as a table."""
    print(title)
    print(
        f"  {'step':<14}{'reads':>7}{'writes':>8}{'KB out':>9}{'KB in':>9}"
        f"{'wall s':>9}{'CPU s':>8}  requests by kind"
    )
    for row in rows:
        kinds = ", ".join(f"{k} {n}" for k, n in sorted(row.requests.items()))
        print(
            f"  {row.name:<14}{row.reads:>7}{row.writes:>8}{row.sent / 1024:>9.0f}"
            f"{row.received / 1024:>9.0f}{row.wall:>9.2f}{row.cpu:>8.2f}  {kinds}"
        )
