"""The benchmark's calendar servers, in a process of their own, and the family in them.

The server process holds the fake Google API, or Radicale behind a counting proxy,
and plays the members' calendar apps (filling the sources, editing them). It runs
apart from the process that syncs, so that the sync's CPU and memory figures are the
sync's alone. The sync process drives it through `ServerProcess`, a small RPC over a
pipe.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Coroutine
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
import multiprocessing
from multiprocessing.connection import Connection
from pathlib import Path
import threading
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from custom_components.shared_calendars.engine.model import CalendarRef, Event, Member

ACCOUNT = "bench@bench-project.iam.gserviceaccount.com"
ZONE = "Europe/Berlin"
START = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
EDITED = " (new)"


@dataclass(frozen=True, kw_only=True)
class Connect:
    """What the sync process needs to reach the server's calendars."""

    kind: str
    """`google` or `caldav`."""
    members: list[Member]
    google_key: dict[str, str] | None = None
    api_root: str = ""
    caldav_url: str = ""
    caldav_user: str = ""
    caldav_password: str = ""


class ServerProcess:
    """The sync process's handle on the server process."""

    def __init__(self, kind: str, root: Path) -> None:
        """Start the process; `root` holds Radicale's files."""
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self._process = context.Process(
            target=_serve, args=(child, kind, str(root)), daemon=True
        )
        self._process.start()

    def call(self, name: str, *args: Any) -> Any:
        """Run `name` in the server process and return its answer."""
        self._conn.send((name, args))
        ok, answer = self._conn.recv()
        if not ok:
            raise RuntimeError(f"server process: {name} failed: {answer}")
        return answer

    def stop(self) -> None:
        """Stop the servers and the process."""
        self.call("stop")
        self._process.join(timeout=30)


# -- in the server process ---------------------------------------------------------


def _serve(conn: Connection, kind: str, root: str) -> None:
    """Answer calls until told to stop."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    def run[T](coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, loop).result()

    world: _GoogleWorld | _CalDavWorld = (
        _GoogleWorld(run) if kind == "google" else _CalDavWorld(run, Path(root))
    )
    while True:
        name, args = conn.recv()
        try:
            answer = getattr(world, name)(*args)
        except Exception as err:  # noqa: BLE001 - handed back to the caller
            conn.send((False, f"{type(err).__name__}: {err}"))
            continue
        conn.send((True, answer))
        if name == "stop":
            loop.call_soon_threadsafe(loop.stop)
            thread.join()
            return


def _when(moment: datetime) -> dict[str, str]:
    return {"dateTime": moment.isoformat(), "timeZone": ZONE}


def _begin(member: int, number: int) -> datetime:
    return START + timedelta(hours=(number * 7) % 2000, minutes=15 * member)


class _GoogleWorld:
    """The fake Google API and the members' Google calendars."""

    def __init__(self, run: Any) -> None:
        from tests.servers.fake_google import (
            FakeGoogle,
            rsa_test_key,
            service_account_key,
        )

        self._run = run
        self.server = FakeGoogle()
        run(self.server.start())
        self.server.register_service_account(ACCOUNT, rsa_test_key(0).public_key())
        self._key = service_account_key(ACCOUNT, self.server.token_uri, rsa_test_key(0))
        self._originals: dict[str, list[dict[str, Any]]] = {}
        self._members: list[Member] = []

    def populate(self, members: int, calendars: int, events: int) -> Connect:
        """Make every member's calendars and fill the sources, as the members would.

        A second family replaces the first in what `edit` and `check` look at.
        """
        self._originals, self._members = {}, []
        for m in range(members):
            sources = []
            for c in range(calendars):
                calendar_id = self._calendar(f"member {m} source {c}")
                sources.append(CalendarRef(account="g", calendar_id=calendar_id))
                written = self._originals[calendar_id] = []
                for number in range(c * events, (c + 1) * events):
                    stored = self.server.insert_event(
                        calendar_id, _google_original(m, number)
                    )
                    written.append(stored)
                    if number % 20 == 0:  # a weekly series (see `_google_original`)
                        self.server.update_event(
                            calendar_id, *_google_moved(stored, 2, 30)
                        )
            combined = self._calendar(f"member {m} combined")
            self._members.append(
                Member(
                    id=f"m{m}",
                    name=f"Member {m}",
                    sources=tuple(sources),
                    combined=CalendarRef(account="g", calendar_id=combined),
                )
            )
        return Connect(
            kind="google",
            members=self._members,
            google_key=self._key,
            api_root=self.server.api_root,
        )

    def _calendar(self, name: str) -> str:
        calendar_id: str = self.server.create_calendar(name)
        self.server.share(calendar_id, ACCOUNT, "writer")
        return calendar_id

    def set_latency(self, seconds: float) -> None:
        """Answer every request after `seconds`."""
        self.server.latency = seconds

    def traffic(self) -> tuple[dict[str, int], int, int]:
        """Return the API requests by kind so far; bytes are counted by the client."""
        requests: Counter[str] = Counter()
        for (_, route), number in self.server.requests.items():
            if route != "token":
                requests[route] += number
        return dict(requests), 0, 0

    def edit(self, count: int) -> None:
        """Edit `count` originals: titles of single events, one moved occurrence."""
        calendars = list(self._originals)
        for n in range(count):
            calendar_id = calendars[n % len(calendars)]
            originals = self._originals[calendar_id]
            if n == count - 1:
                master = originals[
                    _unmoved_series(["recurrence" in o for o in originals])
                ]
                self.server.update_event(calendar_id, *_google_moved(master, 4, 45))
                continue
            single = [o for o in originals if "recurrence" not in o][n]
            body = {key: single[key] for key in ("summary", "start", "end")}
            body["summary"] = single["summary"] + EDITED
            self.server.update_event(calendar_id, single["id"], body)

    def check(self) -> int:
        """Return the number of copies (a series counts once), checked.

        Fails unless every combined calendar holds one copy of every other's original.
        """
        held_total = 0
        for member in self._members:
            assert member.combined is not None
            held = self.server.live_events(member.combined.calendar_id).values()
            masters = Counter(
                event["summary"].removesuffix(EDITED)
                for event in held
                if "recurringEventId" not in event
            )
            _compare(masters, self._expected(member), member)
            held_total += masters.total()
        return held_total

    def _expected(self, member: Member) -> Counter[str]:
        return Counter(
            original["summary"]
            for other in self._members
            if other is not member
            for source in other.sources
            for original in self._originals[source.calendar_id]
        )

    def stop(self) -> None:
        """Stop the server."""
        self._run(self.server.stop())


def _google_original(member: int, number: int) -> dict[str, Any]:
    """Return the resource of one original as a member's calendar app writes it."""
    begin = _begin(member, number)
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


def _google_moved(
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


def _unmoved_series(recurring: list[bool]) -> int:
    """Return the index of a series with no moved occurrence yet (every 20th has one)."""
    return next(i for i, series in enumerate(recurring) if series and i % 20)


def _compare(held: Counter[str], expected: Counter[str], member: Member) -> None:
    if held != expected:
        missing = (expected - held).total()
        extra = (held - expected).total()
        raise AssertionError(
            f"{member.name}: {missing} copies missing, {extra} extra or duplicated"
        )


class _CountingProxy:
    """Counts what passes the DAV proxy: requests by kind and body bytes."""

    def __init__(self, proxy: Any) -> None:
        self.proxy = proxy
        self.received = 0
        handle = proxy._handle  # noqa: SLF001 - the proxy's one handler, wrapped

        async def counted(request: web.Request) -> web.StreamResponse:
            answer: web.StreamResponse = await handle(request)
            if isinstance(answer, web.Response) and answer.body is not None:
                self.received += len(answer.body)  # type: ignore[arg-type]
            return answer

        proxy._handle = counted  # noqa: SLF001

    def traffic(self) -> tuple[dict[str, int], int, int]:
        requests: Counter[str] = Counter()
        for request in self.proxy.requests:
            kind = request.method
            if kind == "REPORT":
                kind += (
                    " sync-collection"
                    if b"sync-collection" in request.body
                    else " multiget/query"
                )
            requests[kind] += 1
        sent = sum(len(request.body) for request in self.proxy.requests)
        return dict(requests), sent, self.received


class _CalDavWorld:
    """Radicale behind a counting proxy, and the members' CalDAV calendars."""

    def __init__(self, run: Any, root: Path) -> None:
        from custom_components.shared_calendars.providers.caldav import CalDavProvider
        from tests.servers.dav_proxy import DavProxy
        from tests.servers.radicale import USERS, RadicaleServer

        self._run = run
        self.radicale = RadicaleServer.start(root)
        proxy = DavProxy(self.radicale.url)
        self._counting = _CountingProxy(proxy)  # wrapped before it is routed
        run(proxy.start())
        self._password = USERS["alice"]
        # The members' calendar apps talk to Radicale directly: not counted.
        self.app = CalDavProvider(
            url=self.radicale.url, username="alice", password=self._password
        )
        self._originals: dict[str, list[Event]] = {}
        self._members: list[Member] = []

    def _direct(self, calendar_id: str) -> str:
        return self.radicale.url.rstrip("/") + calendar_id.removeprefix(
            self._counting.proxy.url.rstrip("/")
        )

    def populate(self, members: int, calendars: int, events: int) -> Connect:
        """Make every member's calendars and fill the sources, as the members would.

        A second family replaces the first in what `edit` and `check` look at.
        """
        self._originals, self._members = {}, []
        self._run(self._populate(members, calendars, events))
        return Connect(
            kind="caldav",
            members=self._members,
            caldav_url=self._counting.proxy.url,
            caldav_user="alice",
            caldav_password=self._password,
        )

    async def _populate(self, members: int, calendars: int, events: int) -> None:
        for m in range(members):
            sources = []
            for c in range(calendars):
                calendar_id = await self._calendar(f"member {m} source {c}")
                sources.append(CalendarRef(account="c", calendar_id=calendar_id))
                written = self._originals[calendar_id] = []
                for n in range(events):
                    original = _caldav_original(m, c * events + n)
                    await self.app.put_event(self._direct(calendar_id), original)
                    written.append(original)
            combined = await self._calendar(f"member {m} combined")
            self._members.append(
                Member(
                    id=f"m{m}",
                    name=f"Member {m}",
                    sources=tuple(sources),
                    combined=CalendarRef(account="c", calendar_id=combined),
                )
            )

    async def _calendar(self, name: str) -> str:
        path = await self.radicale.mkcalendar("alice", displayname=name)
        return str(self._counting.proxy.url.rstrip("/") + path)

    def set_latency(self, seconds: float) -> None:
        """Loopback Radicale is measured as it answers: no latency is added."""

    def traffic(self) -> tuple[dict[str, int], int, int]:
        """Return the requests by kind and the body bytes sent and received so far."""
        return self._counting.traffic()

    def edit(self, count: int) -> None:
        """Edit `count` originals: titles of single events, one moved occurrence."""
        self._run(self._edit(count))

    async def _edit(self, count: int) -> None:
        calendars = list(self._originals)
        for n in range(count):
            calendar_id = calendars[n % len(calendars)]
            originals = self._originals[calendar_id]
            if n == count - 1:
                index = _unmoved_series([o.rrule is not None for o in originals])
                master = originals[index]
                edited = replace(
                    master, overrides=(*master.overrides, _caldav_moved(master, 4, 45))
                )
            else:
                index, single = [
                    (i, o) for i, o in enumerate(originals) if not o.rrule
                ][n]
                edited = replace(single, summary=single.summary + EDITED)
            await self.app.put_event(self._direct(calendar_id), edited)
            originals[index] = replace(edited, summary=originals[index].summary)

    def check(self) -> int:
        """Return the number of copies (a series counts once), checked.

        Fails unless every combined calendar holds one copy of every other's original.
        """
        return int(self._run(self._check()))

    async def _check(self) -> int:
        held_total = 0
        for member in self._members:
            assert member.combined is not None
            listing = await self.app.changes(
                self._direct(member.combined.calendar_id), None
            )
            held = Counter(
                event.summary.removesuffix(EDITED) for event in listing.changed
            )
            expected = Counter(
                original.summary
                for other in self._members
                if other is not member
                for source in other.sources
                for original in self._originals[source.calendar_id]
            )
            _compare(held, expected, member)
            held_total += held.total()
        return held_total

    def stop(self) -> None:
        """Stop the proxy and Radicale."""
        self._run(self.app.close())
        self._run(self._counting.proxy.close())
        self.radicale.stop()


def _caldav_original(member: int, number: int) -> Event:
    """Return one original as a member's CalDAV app writes it (as `_google_original`)."""
    zone = ZoneInfo(ZONE)
    begin = _begin(member, number).astimezone(zone)
    event_id = f"member-{member}-event-{number}"
    start: date | datetime = begin
    end: date | datetime = begin + timedelta(hours=1)
    if number % 10 == 5:
        start, end = begin.date(), begin.date() + timedelta(days=1)
    original = Event(
        id=event_id,
        ical_uid=f"{event_id}@family",
        summary=f"Member {member} event {number}",
        description="Bring the blue folder" if number % 3 == 0 else "",
        start=start,
        end=end,
        rrule="FREQ=WEEKLY;COUNT=20" if number % 10 == 0 else None,
    )
    if number % 20 == 0:
        original = replace(original, overrides=(_caldav_moved(original, 2, 30),))
    return original


def _caldav_moved(master: Event, weeks: int, minutes: int) -> Event:
    """Return an occurrence of `master` moved by `minutes`."""
    assert isinstance(master.start, datetime)
    original = master.start + timedelta(weeks=weeks)
    moved = original + timedelta(minutes=minutes)
    return replace(
        master,
        rrule=None,
        overrides=(),
        recurrence_id=original,
        start=moved,
        end=moved + timedelta(hours=1),
    )
