"""Two members on the loopback servers, for the exact-copy tests.

Anna's own calendar holds one case of `exact_cases`; Ben's combined calendar gets
its copy. Calendars live in Europe/Berlin. Everything is read back raw: CalDAV
resources as the server sends them, Google events as the events.list JSON.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field, replace
import re
import time
from typing import Any
from urllib.parse import quote, unquote, urlsplit
from xml.etree import ElementTree

from aiohttp import ClientSession, encode_basic_auth, web

from custom_components.shared_calendars.cycle import SyncCycle, SyncReport
from custom_components.shared_calendars.engine.model import (
    CalendarRef,
    Member,
    SyncWindow,
)
from custom_components.shared_calendars.engine.plan import PlanOptions
from custom_components.shared_calendars.engine.state import SyncState
from custom_components.shared_calendars.providers.caldav import CalDavProvider
from custom_components.shared_calendars.providers.google import (
    GoogleProvider,
    ServiceAccountAuth,
    ServiceAccountKey,
    async_parse_key,
)
from tests.providers.caldav_harness import USER, CalDavHarness
from tests.providers.exact_cases import ZONE, Case, GoogleEvent
from tests.providers.exact_reading import WINDOW_END, WINDOW_START, google_to_ical
from tests.providers.google_harness import SERVICE_ACCOUNT, GoogleHarness
from tests.servers.dav_proxy import DavProxy
from tests.servers.fake_google import FakeGoogle, rsa_test_key, service_account_key
from tests.servers.radicale import USERS, RadicaleServer

_CALDAV = "{urn:ietf:params:xml:ns:caldav}"
_GOOGLE_WRITES = frozenset(
    {"events.insert", "events.update", "events.patch", "events.delete"}
)
_CALENDAR_QUERY = (
    '<?xml version="1.0" encoding="utf-8"?>'
    '<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">'
    "<D:prop><D:getetag/><C:calendar-data/></D:prop>"
    '<C:filter><C:comp-filter name="VCALENDAR"/></C:filter></C:calendar-query>'
)


class LenientDavProxy(DavProxy):
    """The test proxy, serving some resources as a less strict server would hold them.

    Radicale refuses some objects other servers keep (two UIDs or two masters in
    one object, only overrides, RDATE periods, a DATE start with a DATE-TIME end):
    a placeholder is stored on Radicale and its body is replaced by the real
    object in GET and calendar-data answers. The placeholder's ETag stays.
    """

    def __init__(self, upstream: str) -> None:
        """Forward to `upstream`; serve nothing differently yet."""
        super().__init__(upstream)
        self.served: dict[str, str] = {}
        """Resource name -> the calendar object to answer with."""

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        response = await super()._handle(request)
        if not self.served or not isinstance(response, web.Response):
            return response
        body = response.body
        if not isinstance(body, bytes):
            return response
        name = unquote(request.path.rsplit("/", 1)[-1])
        if request.method == "GET" and response.status == 200 and name in self.served:
            response.body = self.served[name].encode()
        elif request.method == "REPORT" and response.status == 207:
            response.body = self._substituted(body)
        return response

    def _substituted(self, body: bytes) -> bytes:
        root = ElementTree.fromstring(body)
        changed = False
        for answer in root.iter("{DAV:}response"):
            href = answer.findtext("{DAV:}href") or ""
            name = unquote(href.rsplit("/", 1)[-1])
            if name not in self.served:
                continue
            for data in answer.iter(f"{_CALDAV}calendar-data"):
                data.text = self.served[name]
                changed = True
        if not changed:
            return body
        changed_body: bytes = ElementTree.tostring(
            root, encoding="utf-8", xml_declaration=True
        )
        return changed_body


def placeholder(text: str) -> str:
    """Return a plain calendar object under the first UID of `text`, for Radicale."""
    uid = re.search(r"^UID:(.*(?:\r?\n .*)*)\r?$", text, flags=re.MULTILINE)
    assert uid is not None, "the object has no UID"
    unfolded = re.sub(r"\r?\n ", "", uid.group(1))
    return "\r\n".join(
        [
            "BEGIN:VCALENDAR",
            "VERSION:2.0",
            "PRODID:-//tests//placeholder//EN",
            "BEGIN:VEVENT",
            f"UID:{unfolded}",
            "DTSTAMP:20270101T000000Z",
            "DTSTART:20270101T000000Z",
            "SUMMARY:placeholder",
            "END:VEVENT",
            "END:VCALENDAR",
            "",
        ]
    )


_PARSED: list[ServiceAccountKey] = []


async def prepare_google_key() -> None:
    """Generate and parse the test service account's key, once, before worlds open.

    Parsing an RSA key is slow, and worlds opening side by side would each
    generate the session's key at the same time (`rsa_test_key` caches it, but
    not against concurrent first calls).
    """
    if not _PARSED:
        loop = asyncio.get_running_loop()
        private = await loop.run_in_executor(None, rsa_test_key, 0)
        key = service_account_key(SERVICE_ACCOUNT, "http://127.0.0.1/token", private)
        _PARSED.append(await async_parse_key(key))


def _parsed_key(token_uri: str) -> ServiceAccountKey:
    assert _PARSED, "call prepare_google_key() first"
    return replace(_PARSED[0], token_uri=token_uri)


async def _google_harness() -> GoogleHarness:
    """Start a fake Google API and a provider for it, with the key parsed once."""
    server = FakeGoogle()
    await server.start()
    server.register_service_account(SERVICE_ACCOUNT, rsa_test_key(0).public_key())
    session = ClientSession()
    provider = GoogleProvider(
        _parsed_key(server.token_uri), session, api_root=server.api_root
    )
    return GoogleHarness(
        server=server,
        session=session,
        provider=provider,
        key=service_account_key(SERVICE_ACCOUNT, server.token_uri, rsa_test_key(0)),
        _providers=[provider],
    )


async def _no_sleep(_: float) -> None:
    """Skip waits: the loopback servers never ask to slow down here."""


async def _nothing() -> None:
    """Keep the state in memory only."""


@dataclass(kw_only=True)
class ExactWorld:
    """Anna's own calendar on one server, Ben's combined calendar on another.

    Each world has its own calendars, providers, fake Google API and sync state,
    so that worlds can run side by side on one Radicale and one proxy.
    """

    caldav: CalDavHarness
    """The shared CalDAV harness, whose proxy is a `LenientDavProxy`."""
    source_kind: str
    target_kind: str
    google: GoogleHarness | None = None
    caldav_provider: CalDavProvider | None = None
    source: str = ""
    target: str = ""
    state: SyncState = field(default_factory=SyncState)
    cycle: SyncCycle | None = None

    _reader: ServiceAccountAuth | None = None

    @classmethod
    async def open(cls, caldav: CalDavHarness, direction: str) -> ExactWorld:
        """Make the world of a direction (`caldav-to-google`, ...) and its calendars."""
        source_kind, _, target_kind = direction.partition("-to-")
        world = cls(caldav=caldav, source_kind=source_kind, target_kind=target_kind)
        world.caldav_provider = caldav.make_provider()
        if "google" in direction:
            world.google = await _google_harness()
        world.source = await world._new_calendar(source_kind, "Anna")
        world.target = await world._new_calendar(target_kind, "Ben (combined)")
        return world

    async def close(self) -> None:
        """Stop the world's fake Google API (the CalDAV harness closes its providers)."""
        if self.google is not None:
            await self.google.stop()

    @property
    def radicale(self) -> RadicaleServer:
        """Return the Radicale behind the proxy."""
        server = self.caldav.server
        assert isinstance(server, RadicaleServer)
        return server

    @property
    def proxy(self) -> LenientDavProxy:
        """Return the CalDAV proxy."""
        assert isinstance(self.caldav.proxy, LenientDavProxy)
        return self.caldav.proxy

    def _google(self) -> GoogleHarness:
        assert self.google is not None, "this direction has no Google side"
        return self.google

    async def _new_calendar(self, kind: str, name: str) -> str:
        if kind == "caldav":
            path = await self.radicale.mkcalendar(USER, displayname=name, timezone=ZONE)
            return self.caldav.calendar_id(path)
        google = self._google()
        calendar_id = google.server.create_calendar(name, time_zone=ZONE)
        google.server.share(calendar_id, SERVICE_ACCOUNT, "writer")
        return calendar_id

    def members(self) -> list[Member]:
        """Return Anna, who shares her calendar, and Ben, who receives it."""
        return [
            Member(
                id="anna",
                name="Anna",
                sources=(CalendarRef(account="source", calendar_id=self.source),),
            ),
            Member(
                id="ben",
                name="Ben",
                combined=CalendarRef(account="target", calendar_id=self.target),
            ),
        ]

    async def hold(self, case: Case) -> None:
        """Put the case into Anna's calendar, as her own client would."""
        if self.source_kind == "caldav":
            name = f"{case.name}.ics"
            text = case.text
            if case.radicale_refuses:
                self.proxy.served[name] = text
                text = placeholder(text)
            path = urlsplit(self.source).path.rstrip("/") + "/" + name
            await self.radicale.put_raw(USER, path, text)
            return
        server = self._google().server
        for item in case.google:
            if isinstance(item, GoogleEvent):
                server.insert_event(self.source, item.body)
            elif item.body is None:
                server.delete_event(self.source, item.id)
            else:
                server.update_event(self.source, item.id, item.body)

    async def raw(self, kind: str, calendar: str) -> list[str]:
        """Return a calendar's events as the server holds them, as iCalendar."""
        if kind == "caldav":
            return await self._caldav_objects(calendar)
        return google_to_ical(await self._google_items(calendar))

    async def _caldav_objects(self, calendar: str) -> list[str]:
        """Return every calendar object's data, with one calendar-query (RFC 4791 7.8)."""
        headers = {
            "Authorization": encode_basic_auth(USER, USERS[USER]),
            "Depth": "1",
            "Content-Type": "application/xml; charset=utf-8",
        }
        async with (
            ClientSession() as session,
            session.request(
                "REPORT", calendar, data=_CALENDAR_QUERY, headers=headers
            ) as response,
        ):
            assert response.status == 207, f"REPORT {calendar}: {response.status}"
            answer = ElementTree.fromstring(await response.read())
        found = {
            answer.findtext("{DAV:}href") or "": answer.findtext(
                f"{{DAV:}}propstat/{{DAV:}}prop/{_CALDAV}calendar-data"
            )
            or ""
            for answer in answer.iter("{DAV:}response")
        }
        return [found[href] for href in sorted(found) if found[href]]

    async def _google_items(self, calendar: str) -> list[dict[str, Any]]:
        google = self._google()
        if self._reader is None:
            self._reader = ServiceAccountAuth(
                google.session,
                _parsed_key(google.server.token_uri),
                api_root=google.server.api_root,
                clock=time.time,
                timeout=30,
            )
        response = await self._reader.request(
            "get",
            f"calendars/{quote(calendar, safe='')}/events",
            params={"maxResults": "2500"},
        )
        body = await response.json()
        assert "nextPageToken" not in body
        items: list[dict[str, Any]] = body["items"]
        return items

    def writes(self) -> Counter[str]:
        """Return the write requests this world's calendars received so far, by kind."""
        paths = [
            urlsplit(calendar).path
            for kind, calendar in (
                (self.source_kind, self.source),
                (self.target_kind, self.target),
            )
            if kind == "caldav"
        ]
        written: Counter[str] = Counter(
            request.method
            for request in self.proxy.requests
            if request.method in ("PUT", "DELETE", "PROPPATCH", "MOVE", "COPY")
            and request.path.startswith(tuple(paths))
        )
        if self.google is not None:
            for (method, route), count in self.google.server.requests.items():
                if route in _GOOGLE_WRITES:
                    written[f"{method} {route}"] += count
        return written

    async def run(self) -> SyncReport:
        """Run one cycle over the fixed window."""
        if self.cycle is None:
            providers: dict[str, Any] = {
                "caldav": self.caldav_provider,
                "google": self.google.provider if self.google else None,
            }
            self.cycle = SyncCycle(
                providers={
                    "source": providers[self.source_kind],
                    "target": providers[self.target_kind],
                },
                state=self.state,
                save=_nothing,
                sleep=_no_sleep,
            )
        return await self.cycle.run(
            self.members(),
            PlanOptions(window=SyncWindow(start=WINDOW_START, end=WINDOW_END)),
        )
