"""The CalDAV provider against a real CalDAV server (Radicale) behind a fault proxy."""

from __future__ import annotations

import asyncio
import base64
import builtins
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from functools import partial
import glob
import http.client
import logging
import os
from pathlib import Path
import re
import socket
import ssl
import sys
import threading
import time
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from homeassistant.core import HomeAssistant
import pytest

from custom_components.shared_calendars.engine.content import content
from custom_components.shared_calendars.engine.model import (
    CalendarInfo,
    CopyMarker,
    Event,
    EventStatus,
)
from custom_components.shared_calendars.providers.base import (
    AuthFailed,
    CursorExpired,
    InvalidEvent,
    NotShared,
    ProviderError,
    RateLimited,
    Unreachable,
)
from custom_components.shared_calendars.providers.caldav import CalDavProvider
from tests.providers.caldav_harness import CalDavHarness
from tests.servers.dav_proxy import DavProxy, tls_contexts
from tests.servers.radicale import USERS, RadicaleServer

BERLIN = ZoneInfo("Europe/Berlin")


def an_event(event_id: str = "copy-1", **changes: Any) -> Event:
    """Return a one-hour event on a Monday morning in Berlin."""
    event = Event(
        id=event_id,
        ical_uid=f"{event_id}@shared-calendars.test",
        summary="Dentist",
        start=datetime(2026, 3, 2, 9, tzinfo=BERLIN),
        end=datetime(2026, 3, 2, 10, tzinfo=BERLIN),
    )
    return replace(event, **changes)


def foreign_ics(uid: str, summary: str, dtstart: str = "20260303T100000Z") -> str:
    """Return an event as another calendar client would store it."""
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Another client//EN\r\n"
        f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20260101T000000Z\r\n"
        f"DTSTART:{dtstart}\r\nDURATION:PT30M\r\nSUMMARY:{summary}\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n"
    )


def path_of(calendar_id: str) -> str:
    """Return the server path of a calendar id."""
    return urlsplit(calendar_id).path


def requests_since(proxy: DavProxy, mark: int) -> list[str]:
    """Return the methods of the requests the proxy received after `mark`."""
    return [request.method for request in proxy.requests[mark:]]


# -- discovery and authentication ------------------------------------------------------


async def test_calendars_are_discovered_from_the_server_root(
    caldav_harness: CalDavHarness,
) -> None:
    """From the bare server URL, current-user-principal leads to the calendars."""
    calendar_id = await caldav_harness.new_calendar("Family", color="#33B679FF")

    calendars = await caldav_harness.provider.list_calendars()

    assert (
        CalendarInfo(
            id=calendar_id, name="Family", writable=True, color="#33b679", timezone=None
        )
        in calendars
    )


@pytest.mark.parametrize(
    "start", ["alice/", ".well-known/caldav", "index.php/not/dav/"]
)
async def test_calendars_are_discovered_from_a_principal_well_known_or_wrong_url(
    caldav_harness: CalDavHarness, start: str
) -> None:
    """A principal URL, /.well-known/caldav, or a refused URL (then well-known) work."""
    calendar_id = await caldav_harness.new_calendar("Work")
    provider = caldav_harness.make_provider(url=caldav_harness.proxy.url + start)

    calendars = await provider.list_calendars()

    assert calendar_id in {calendar.id for calendar in calendars}


async def test_a_wrong_password_raises_auth_failed(
    caldav_harness: CalDavHarness,
) -> None:
    """Radicale refuses the password: every call says the credentials are wrong."""
    calendar_id = await caldav_harness.new_calendar("Family")
    provider = caldav_harness.provider_with_wrong_credentials()

    with pytest.raises(AuthFailed, match="alice"):
        await provider.list_calendars()
    with pytest.raises(AuthFailed):
        await provider.changes(calendar_id, None)
    with pytest.raises(AuthFailed):
        await provider.put_event(calendar_id, an_event())


async def test_digest_authentication_is_used_when_the_server_asks_for_it(
    caldav_harness: CalDavHarness, dav_proxy: DavProxy
) -> None:
    """A server that only speaks Digest gets Digest; a wrong password still fails."""
    calendar_id = await caldav_harness.new_calendar("Digest")
    dav_proxy.require_digest(USERS)
    mark = dav_proxy.request_count()
    provider = caldav_harness.provider

    await provider.put_event(calendar_id, an_event())
    stored = await provider.get_event(calendar_id, "copy-1")

    assert stored == an_event()
    schemes = {request.authorization_scheme for request in dav_proxy.requests[mark:]}
    assert schemes == {None, "Digest"}
    with pytest.raises(AuthFailed):
        await caldav_harness.provider_with_wrong_credentials().get_calendar(calendar_id)


async def test_concurrent_first_calls_all_authenticate(
    caldav_harness: CalDavHarness,
) -> None:
    """Calls racing on a fresh provider wait for the first to negotiate auth."""
    calendars = [await caldav_harness.new_calendar(f"Member {n}") for n in range(3)]
    provider = caldav_harness.make_provider()

    listings = await asyncio.gather(
        *(provider.changes(calendar_id, None) for calendar_id in calendars)
    )

    assert all(listing.complete for listing in listings)


async def test_an_unreachable_server_raises_unreachable(
    caldav_harness: CalDavHarness,
) -> None:
    """Nothing listens on the port: the server is unreachable."""
    provider = caldav_harness.provider_for_unreachable_server()

    with pytest.raises(Unreachable, match="cannot be reached"):
        await provider.list_calendars()


async def test_a_server_that_does_not_answer_in_time_is_unreachable(
    caldav_harness: CalDavHarness, dav_proxy: DavProxy
) -> None:
    """A request that times out raises Unreachable, and the next one works."""
    calendar_id = await caldav_harness.new_calendar("Slow")
    provider = caldav_harness.make_provider(timeout=0.3)
    await provider.get_calendar(calendar_id)
    dav_proxy.stall_next(1, seconds=10)

    with pytest.raises(Unreachable, match="Timeout"):
        await provider.changes(calendar_id, None)
    assert (await provider.changes(calendar_id, None)).complete


async def test_tls_certificates_are_verified_unless_told_otherwise(
    caldav_harness: CalDavHarness, radicale_server: RadicaleServer, tmp_path: Path
) -> None:
    """By default an unknown certificate is refused; a given context is used."""
    server_context, client_context = tls_contexts(tmp_path)
    proxy = DavProxy(radicale_server.url, ssl_context=server_context)
    url = await proxy.start()
    loop = asyncio.get_running_loop()
    handler = loop.get_exception_handler()

    def ignore_aborted_handshakes(
        loop: asyncio.AbstractEventLoop, context: dict[str, Any]
    ) -> None:
        # The proxy's side of a handshake the client aborted (as it should).
        if isinstance(context.get("exception"), (ConnectionError, ssl.SSLError)):
            return
        if handler is not None:
            handler(loop, context)
        else:
            loop.default_exception_handler(context)

    loop.set_exception_handler(ignore_aborted_handshakes)
    try:
        with pytest.raises(Unreachable):
            await caldav_harness.make_provider(url=url).list_calendars()
        trusting = caldav_harness.make_provider(url=url, ssl_context=client_context)
        assert isinstance(await trusting.list_calendars(), list)
        unverified = caldav_harness.make_provider(url=url, ssl_context=False)
        assert isinstance(await unverified.list_calendars(), list)
    finally:
        await proxy.close()
        loop.set_exception_handler(handler)


def test_the_account_is_user_at_host_and_credentials_never_stay_in_the_url() -> None:
    """Credentials in the URL are dropped; the account names user and host."""
    provider = CalDavProvider(
        url="https://bob:hunter2@caldav.example.com:8443/dav/",
        username="alice",
        password="secret",
    )

    assert provider.account == "alice@caldav.example.com:8443"
    assert "hunter2" not in repr(vars(provider).get("_url"))
    with pytest.raises(ValueError, match="http"):
        CalDavProvider(url="caldav.example.com", username="a", password="b")


# -- calendars that are not (fully) shared ---------------------------------------------


async def test_a_calendar_not_shared_with_the_user_raises_not_shared(
    caldav_harness: CalDavHarness,
) -> None:
    """Someone else's calendar (403) and a missing one (404): NotShared, named."""
    provider = caldav_harness.provider
    forbidden = caldav_harness.unshared_calendar_id()
    missing = caldav_harness.calendar_id("/alice/no-such-calendar/")

    for calendar_id in (forbidden, missing):
        calls: list[Callable[[], Awaitable[Any]]] = [
            partial(provider.get_calendar, calendar_id),
            partial(provider.changes, calendar_id, None),
            partial(provider.get_event, calendar_id, "x"),
            partial(provider.put_event, calendar_id, an_event()),
        ]
        for call in calls:
            with pytest.raises(NotShared) as raised:
                await call()
            assert raised.value.calendar_id == calendar_id
            assert raised.value.account == provider.account
            assert calendar_id in str(raised.value)
            assert "alice" in str(raised.value)


async def test_a_read_only_calendar_is_read_but_refuses_writes(
    caldav_harness: CalDavHarness, radicale_server: RadicaleServer
) -> None:
    """Bob shares a calendar read-only: alice lists its events, may not write."""
    calendar_id = await caldav_harness.new_read_only_calendar("Bob's trips")
    await radicale_server.put_raw(
        "bob", path_of(calendar_id) + "trip.ics", foreign_ics("trip@bob", "Trip")
    )
    provider = caldav_harness.provider

    info = await provider.get_calendar(calendar_id)
    listing = await provider.changes(calendar_id, None)

    assert info.name == "Bob's trips"
    assert not info.writable
    assert [event.summary for event in listing.changed] == ["Trip"]
    with pytest.raises(NotShared, match="write access"):
        await provider.put_event(calendar_id, an_event())
    with pytest.raises(NotShared, match="write access"):
        await provider.delete_event(calendar_id, "trip")


# -- changes -----------------------------------------------------------------------------


async def test_changes_report_created_changed_and_deleted_events(
    caldav_harness: CalDavHarness, radicale_server: RadicaleServer
) -> None:
    """sync-collection: each listing holds exactly what changed since the cursor."""
    provider = caldav_harness.provider
    writer = caldav_harness.make_provider()  # another client: its writes are news
    calendar_id = await caldav_harness.new_calendar("Family")
    first = await provider.changes(calendar_id, None)
    await writer.put_event(calendar_id, an_event("ours"))
    await radicale_server.put_raw(
        "alice",
        path_of(calendar_id) + "Foreign%20event%40home.ics",
        foreign_ics("foreign-uid", "School trip"),
    )

    second = await provider.changes(calendar_id, first.cursor)
    await writer.put_event(calendar_id, an_event("ours", summary="Dentist (moved)"))
    await writer.delete_event(calendar_id, "Foreign event@home")
    third = await provider.changes(calendar_id, second.cursor)

    assert first.complete
    assert (first.changed, first.deleted) == ((), ())
    assert not second.complete
    assert {(e.id, e.ical_uid, e.summary) for e in second.changed} == {
        ("ours", "ours@shared-calendars.test", "Dentist"),
        ("Foreign event@home", "foreign-uid", "School trip"),
    }
    assert second.deleted == ()
    assert [event.summary for event in third.changed] == ["Dentist (moved)"]
    assert third.deleted == ("Foreign event@home",)


async def test_nothing_changed_costs_one_request(
    caldav_harness: CalDavHarness,
) -> None:
    """An unchanged calendar answers one sync-collection REPORT, and nothing else."""
    provider = caldav_harness.provider
    calendar_id = await caldav_harness.new_calendar("Quiet")
    await provider.put_event(calendar_id, an_event())
    listing = await provider.changes(calendar_id, None)
    mark = caldav_harness.request_count()

    again = await provider.changes(calendar_id, listing.cursor)

    assert (again.changed, again.deleted, again.cursor) == ((), (), listing.cursor)
    assert requests_since(caldav_harness.proxy, mark) == ["REPORT"]
    assert again.requests == 1


async def test_a_changeset_counts_every_request_it_took(
    caldav_harness: CalDavHarness,
) -> None:
    """A fresh provider's first listing counts its authentication retry too."""
    calendar_id = await caldav_harness.new_calendar("Counted")
    provider = caldav_harness.make_provider()
    mark = caldav_harness.request_count()

    listing = await provider.changes(calendar_id, None)

    assert listing.requests == caldav_harness.request_count() - mark >= 2


@pytest.mark.parametrize("status", [403, 409])
async def test_an_expired_sync_token_raises_cursor_expired_and_a_full_listing_recovers(
    caldav_harness: CalDavHarness, dav_proxy: DavProxy, status: int
) -> None:
    """The server refuses the token (DAV:valid-sync-token); listing in full heals it."""
    provider = caldav_harness.provider
    calendar_id = await caldav_harness.new_calendar("Expiring")
    await provider.put_event(calendar_id, an_event("a"))
    cursor = (await provider.changes(calendar_id, None)).cursor
    await provider.put_event(calendar_id, an_event("b"))
    dav_proxy.expire_sync_tokens(status)

    with pytest.raises(CursorExpired):
        await provider.changes(calendar_id, cursor)
    full = await provider.changes(calendar_id, None)
    after = await provider.changes(calendar_id, full.cursor)

    assert full.complete
    assert {event.id for event in full.changed} == {"a", "b"}
    assert (after.changed, after.deleted) == ((), ())


async def test_without_sync_collection_changes_come_from_ctag_and_etags(
    caldav_harness: CalDavHarness, dav_proxy: DavProxy, radicale_server: RadicaleServer
) -> None:
    """A server without RFC 6578: getctag says whether, etags say what changed."""
    dav_proxy.sync_collection_supported = False
    provider = caldav_harness.provider
    writer = caldav_harness.make_provider()  # another client: its writes are news
    calendar_id = await caldav_harness.new_calendar("Old server")
    first = await provider.changes(calendar_id, None)
    await writer.put_event(calendar_id, an_event("ours"))
    await radicale_server.put_raw(
        "alice", path_of(calendar_id) + "theirs.ics", foreign_ics("theirs", "Gym")
    )

    second = await provider.changes(calendar_id, first.cursor)
    await writer.put_event(calendar_id, an_event("ours", summary="Moved"))
    await radicale_server.delete_raw("alice", path_of(calendar_id) + "theirs.ics")
    third = await provider.changes(calendar_id, second.cursor)
    mark = caldav_harness.request_count()
    fourth = await provider.changes(calendar_id, third.cursor)

    assert first.complete
    assert first.cursor.startswith("{")
    assert {event.id for event in second.changed} == {"ours", "theirs"}
    assert [event.summary for event in third.changed] == ["Moved"]
    assert third.deleted == ("theirs",)
    assert (fourth.changed, fourth.deleted, fourth.cursor) == ((), (), third.cursor)
    assert requests_since(dav_proxy, mark) == ["PROPFIND"]


async def test_without_ctag_an_etag_listing_still_finds_every_change(
    caldav_harness: CalDavHarness, dav_proxy: DavProxy
) -> None:
    """No sync-collection and no getctag: each cycle lists etags, one request."""
    dav_proxy.sync_collection_supported = False
    dav_proxy.ctag_supported = False
    provider = caldav_harness.provider
    writer = caldav_harness.make_provider()  # another client: its writes are news
    calendar_id = await caldav_harness.new_calendar("Older server")
    await writer.put_event(calendar_id, an_event("a"))
    first = await provider.changes(calendar_id, None)
    await writer.put_event(calendar_id, an_event("a", summary="Changed"))
    await writer.put_event(calendar_id, an_event("b"))

    second = await provider.changes(calendar_id, first.cursor)
    await writer.delete_event(calendar_id, "a")
    third = await provider.changes(calendar_id, second.cursor)

    assert {event.id for event in first.changed} == {"a"}
    assert {(e.id, e.summary) for e in second.changed} == {
        ("a", "Changed"),
        ("b", "Dentist"),
    }
    assert (third.changed, third.deleted) == ((), ("a",))


async def test_a_sync_token_expires_when_the_server_stops_answering_sync_collection(
    caldav_harness: CalDavHarness, dav_proxy: DavProxy
) -> None:
    """A server that drops RFC 6578 invalidates the sync token; ctag takes over."""
    provider = caldav_harness.provider
    calendar_id = await caldav_harness.new_calendar("Downgraded")
    await provider.put_event(calendar_id, an_event())
    cursor = (await provider.changes(calendar_id, None)).cursor
    dav_proxy.sync_collection_supported = False

    with pytest.raises(CursorExpired):
        await provider.changes(calendar_id, cursor)
    full = await provider.changes(calendar_id, None)

    assert full.complete
    assert full.cursor.startswith("{")
    assert [event.id for event in full.changed] == ["copy-1"]


async def test_an_unreadable_listing_cursor_raises_cursor_expired(
    caldav_harness: CalDavHarness,
) -> None:
    """A ctag/etag cursor that does not decode is expired, not a crash."""
    calendar_id = await caldav_harness.new_calendar("Garbled")

    with pytest.raises(CursorExpired):
        await caldav_harness.provider.changes(calendar_id, '{"v": 99}')


LISTINGS = {
    "sync-collection": (True, True),
    "ctag": (False, True),
    "etags": (False, False),
}
"""How a server lets changes be found: (sync-collection, getctag)."""


@pytest.mark.parametrize("listing", LISTINGS)
async def test_a_calendar_deleted_after_its_first_sync_raises_not_shared(
    caldav_harness: CalDavHarness,
    dav_proxy: DavProxy,
    radicale_server: RadicaleServer,
    listing: str,
) -> None:
    """Deleted on the server: the next listing says so, however changes are found."""
    dav_proxy.sync_collection_supported, dav_proxy.ctag_supported = LISTINGS[listing]
    provider = caldav_harness.provider
    calendar_id = await caldav_harness.new_calendar("Short-lived")
    await provider.put_event(calendar_id, an_event())
    cursor = (await provider.changes(calendar_id, None)).cursor
    await radicale_server.delete_raw("alice", path_of(calendar_id))

    with pytest.raises(NotShared) as raised:
        await provider.changes(calendar_id, cursor)
    assert raised.value.calendar_id == calendar_id


@pytest.mark.parametrize("listing", ["ctag", "etags"])
async def test_a_listing_answered_with_an_unexpected_status_is_unreachable(
    caldav_harness: CalDavHarness, dav_proxy: DavProxy, listing: str
) -> None:
    """HTTP 400 to a listing: Unreachable, naming the answer; the next one works."""
    dav_proxy.sync_collection_supported, dav_proxy.ctag_supported = LISTINGS[listing]
    provider = caldav_harness.provider
    calendar_id = await caldav_harness.new_calendar("Moody")
    cursor = (await provider.changes(calendar_id, None)).cursor
    await provider.list_calendars()
    operations: list[Callable[[], Awaitable[Any]]] = [
        partial(provider.changes, calendar_id, cursor),
        partial(provider.get_calendar, calendar_id),
        provider.list_calendars,
    ]
    for operation in operations:
        dav_proxy.fail_next(1, 400)
        with pytest.raises(Unreachable) as raised:
            await operation()
        assert "answered PROPFIND with HTTP 400" in str(raised.value)
        await operation()


async def test_a_sync_report_answered_with_an_unexpected_status_expires_the_cursor(
    caldav_harness: CalDavHarness, dav_proxy: DavProxy
) -> None:
    """No sync-collection after all: the cursor expires and a full listing follows."""
    provider = caldav_harness.provider
    calendar_id = await caldav_harness.new_calendar("Fickle")
    await provider.put_event(calendar_id, an_event())
    cursor = (await provider.changes(calendar_id, None)).cursor
    dav_proxy.fail_next(1, 400)

    with pytest.raises(CursorExpired):
        await provider.changes(calendar_id, cursor)
    full = await provider.changes(calendar_id, None)
    assert full.cursor.startswith("{")
    assert [event.id for event in full.changed] == ["copy-1"]


async def test_a_multiget_that_is_not_xml_is_read_again_event_by_event(
    caldav_harness: CalDavHarness, dav_proxy: DavProxy
) -> None:
    """Listed by etags, fetched by multiget: a cut answer costs a plain GET, not the calendar."""
    dav_proxy.sync_collection_supported = False
    provider = caldav_harness.provider
    calendar_id = await caldav_harness.new_calendar("Cut")
    await caldav_harness.make_provider().put_event(calendar_id, an_event())
    dav_proxy.break_reports_next(1)

    listing = await provider.changes(calendar_id, None)

    assert [event.id for event in listing.changed] == ["copy-1"]
    assert not listing.skipped


async def test_floating_times_are_read_in_the_calendar_time_zone(
    caldav_harness: CalDavHarness, radicale_server: RadicaleServer
) -> None:
    """No TZID: the calendar's zone, else the provider's default, else UTC."""
    new_york = await caldav_harness.new_calendar("NY", timezone="America/New_York")
    plain = await caldav_harness.new_calendar("Plain")
    floating = foreign_ics("floating", "Standup", dtstart="20260302T090000")
    for calendar_id in (new_york, plain):
        await radicale_server.put_raw(
            "alice", path_of(calendar_id) + "standup.ics", floating
        )
    tokyo = caldav_harness.make_provider(default_timezone="Asia/Tokyo")

    in_new_york = await caldav_harness.provider.get_event(new_york, "standup")
    in_utc = await caldav_harness.provider.get_event(plain, "standup")
    in_tokyo = await tokyo.get_event(plain, "standup")

    assert (await caldav_harness.provider.get_calendar(new_york)).timezone == (
        "America/New_York"
    )
    assert in_new_york is not None
    assert in_utc is not None
    assert in_tokyo is not None
    assert in_new_york.start == datetime(
        2026, 3, 2, 9, tzinfo=ZoneInfo("America/New_York")
    )
    assert in_utc.start == datetime(2026, 3, 2, 9, tzinfo=UTC)
    assert in_tokyo.start == datetime(2026, 3, 2, 9, tzinfo=ZoneInfo("Asia/Tokyo"))
    assert in_tokyo.end - in_tokyo.start == timedelta(minutes=30)  # type: ignore[operator]


@pytest.mark.parametrize("tzid", ["Etc/GMT", "GMT", "Atlantic/Reykjavik"])
async def test_a_series_in_a_zone_that_is_utc_reads_back_as_it_was_written(
    caldav_harness: CalDavHarness, radicale_server: RadicaleServer, tzid: str
) -> None:
    """A zone that is UTC under another name is read as UTC, as it is written (`Z`).

    Read as "Etc/GMT", a copy of the series came back in "UTC": its content differed
    from what was written, and the copy was rewritten on every cycle.
    """
    calendar_id = await caldav_harness.new_calendar("Reykjavik")
    series = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Another client//EN\r\n"
        "BEGIN:VEVENT\r\nUID:standup\r\nDTSTAMP:20260101T000000Z\r\n"
        f"DTSTART;TZID={tzid}:20260302T090000\r\nDURATION:PT30M\r\n"
        "RRULE:FREQ=DAILY;COUNT=5\r\nSUMMARY:Standup\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    await radicale_server.put_raw("alice", path_of(calendar_id) + "standup.ics", series)
    provider = caldav_harness.provider

    source = await provider.get_event(calendar_id, "standup")
    assert source is not None
    copy = replace(source, id="copy-1", ical_uid="copy-1@shared-calendars.test")
    await provider.put_event(calendar_id, copy)
    written = await provider.get_event(calendar_id, "copy-1")

    assert written is not None
    assert content(written) == content(copy)
    assert source.start == datetime(2026, 3, 2, 9, tzinfo=UTC)
    assert isinstance(source.start, datetime)
    assert getattr(source.start.tzinfo, "key", None) == "UTC"


# -- writes ------------------------------------------------------------------------------


async def test_put_creates_with_if_none_match_and_updates_with_if_match(
    caldav_harness: CalDavHarness, dav_proxy: DavProxy
) -> None:
    """Creation never overwrites; an update names the version it replaces."""
    provider = caldav_harness.provider
    calendar_id = await caldav_harness.new_calendar("Writes")
    await provider.get_calendar(calendar_id)

    mark = dav_proxy.request_count()
    await provider.put_event(calendar_id, an_event())
    created = dav_proxy.requests[mark:]
    mark = dav_proxy.request_count()
    await provider.put_event(calendar_id, an_event(summary="Dentist, rescheduled"))
    updated = dav_proxy.requests[mark:]
    listing = await provider.changes(calendar_id, None)

    assert [(r.method, r.path, r.if_none_match) for r in created] == [
        ("PUT", path_of(calendar_id) + "copy-1.ics", "*")
    ]
    assert [r.method for r in updated] == ["PUT"]
    assert updated[0].if_match
    assert [event.summary for event in listing.changed] == ["Dentist, rescheduled"]


async def test_put_of_an_existing_event_the_provider_never_saw_updates_it(
    caldav_harness: CalDavHarness, dav_proxy: DavProxy
) -> None:
    """Create gets 412 (it exists): the etag is read and the update goes through."""
    calendar_id = await caldav_harness.new_calendar("Crash recovery")
    await caldav_harness.provider.put_event(calendar_id, an_event())
    restarted = caldav_harness.make_provider()
    await restarted.get_calendar(calendar_id)
    mark = dav_proxy.request_count()

    stored = await restarted.put_event(calendar_id, an_event(summary="Again"))
    writes = requests_since(dav_proxy, mark)
    listing = await restarted.changes(calendar_id, None)

    assert stored == an_event(summary="Again")
    assert writes == ["PUT", "PROPFIND", "PUT"]
    assert [event.summary for event in listing.changed] == ["Again"]


async def test_put_that_lost_a_race_rereads_the_etag_and_retries(
    caldav_harness: CalDavHarness, dav_proxy: DavProxy, radicale_server: RadicaleServer
) -> None:
    """Someone changed the event since we read it: 412, re-read, write again."""
    provider = caldav_harness.provider
    calendar_id = await caldav_harness.new_calendar("Race")
    await provider.put_event(calendar_id, an_event())
    await radicale_server.put_raw(
        "alice",
        path_of(calendar_id) + "copy-1.ics",
        foreign_ics("copy-1@shared-calendars.test", "Edited elsewhere"),
    )
    mark = dav_proxy.request_count()

    await provider.put_event(calendar_id, an_event(summary="Ours wins"))

    assert requests_since(dav_proxy, mark) == ["PUT", "PROPFIND", "PUT"]
    event = await provider.get_event(calendar_id, "copy-1")
    assert event is not None
    assert event.summary == "Ours wins"


async def test_put_recreates_an_event_deleted_behind_its_back(
    caldav_harness: CalDavHarness, radicale_server: RadicaleServer
) -> None:
    """The known version is gone: the event is created again."""
    provider = caldav_harness.provider
    calendar_id = await caldav_harness.new_calendar("Deleted elsewhere")
    await provider.put_event(calendar_id, an_event())
    await radicale_server.delete_raw("alice", path_of(calendar_id) + "copy-1.ics")

    await provider.put_event(calendar_id, an_event(summary="Back"))

    status, _ = await radicale_server.get_raw(
        "alice", path_of(calendar_id) + "copy-1.ics"
    )
    assert status == 200


async def test_put_twice_and_delete_twice_are_harmless(
    caldav_harness: CalDavHarness,
) -> None:
    """Writes are idempotent: one event after two puts, none after two deletes."""
    provider = caldav_harness.provider
    calendar_id = await caldav_harness.new_calendar("Idempotent")

    await provider.put_event(calendar_id, an_event())
    await provider.put_event(calendar_id, an_event())
    listing = await provider.changes(calendar_id, None)
    await provider.delete_event(calendar_id, "copy-1")
    await provider.delete_event(calendar_id, "copy-1")

    assert len(listing.changed) == 1
    assert await provider.get_event(calendar_id, "copy-1") is None
    assert (await provider.changes(calendar_id, None)).changed == ()


async def test_a_recurring_event_stays_one_resource_with_its_overrides(
    caldav_harness: CalDavHarness, radicale_server: RadicaleServer
) -> None:
    """Series, moved occurrence, cancelled occurrence and EXDATE: one .ics file."""
    start = datetime(2026, 3, 2, 9, tzinfo=BERLIN)
    hour = timedelta(hours=1)
    week = timedelta(weeks=1)
    moved = an_event(
        "weekly",
        summary="Standup (late)",
        start=start + week + 2 * hour,
        end=start + week + 3 * hour,
        recurrence_id=start + week,
    )
    cancelled = an_event(
        "weekly",
        start=start + 2 * week,
        end=start + 2 * week + hour,
        recurrence_id=start + 2 * week,
        status=EventStatus.CANCELLED,
    )
    series = an_event(
        "weekly",
        summary="Standup",
        rrule="FREQ=WEEKLY;COUNT=6",
        exdate=(start + 3 * week,),
        overrides=(moved, cancelled),
    )
    calendar_id = await caldav_harness.new_calendar("Recurring")

    await caldav_harness.provider.put_event(calendar_id, series)

    _, raw = await radicale_server.get_raw("alice", path_of(calendar_id) + "weekly.ics")
    listing = await caldav_harness.provider.changes(calendar_id, None)
    assert raw.count("BEGIN:VEVENT") == 3
    assert "RECURRENCE-ID;TZID=Europe/Berlin:20260309T090000" in raw
    assert "STATUS:CANCELLED" in raw
    assert "EXDATE;TZID=Europe/Berlin:20260323T090000" in raw
    assert listing.changed == (series,)


async def test_a_managed_copy_carries_its_marker_as_an_x_property(
    caldav_harness: CalDavHarness, radicale_server: RadicaleServer
) -> None:
    """The marker is X-SHARED-CALENDARS-SOURCE; events of others have none."""
    provider = caldav_harness.provider
    calendar_id = await caldav_harness.new_calendar("Copies")
    marker = CopyMarker(source="google:family@example.com:evt1")
    await provider.put_event(calendar_id, an_event(copy_of=marker))
    await radicale_server.put_raw(
        "alice", path_of(calendar_id) + "mine.ics", foreign_ics("mine", "Mine")
    )

    _, raw = await radicale_server.get_raw("alice", path_of(calendar_id) + "copy-1.ics")
    listing = await provider.changes(calendar_id, None)

    assert "X-SHARED-CALENDARS-SOURCE:google:family@example.com:evt1" in raw
    assert {event.id: event.copy_of for event in listing.changed} == {
        "copy-1": marker,
        "mine": None,
    }


async def test_events_of_other_clients_are_addressed_by_their_resource_name(
    caldav_harness: CalDavHarness, radicale_server: RadicaleServer
) -> None:
    """The id is the resource name without .ics; get, update and delete find it."""
    calendar_id = await caldav_harness.new_calendar("Shared")
    names = {"Party%20%231.ics": "Party #1", "no-extension": "no-extension"}
    for name, event_id in names.items():
        await radicale_server.put_raw(
            "alice", path_of(calendar_id) + name, foreign_ics(f"uid-{event_id}", "X")
        )
    reader = caldav_harness.make_provider()

    listing = await reader.changes(calendar_id, None)
    fresh = caldav_harness.make_provider()
    fetched = {
        event_id: await fresh.get_event(calendar_id, event_id)
        for event_id in names.values()
    }
    party = fetched["Party #1"]
    assert party is not None
    await reader.put_event(calendar_id, replace(party, summary="Edited"))
    after_edit = await reader.changes(calendar_id, listing.cursor)
    for event_id in names.values():
        await fresh.delete_event(calendar_id, event_id)
    after_delete = await reader.changes(calendar_id, after_edit.cursor)

    assert {event.id for event in listing.changed} == set(names.values())
    assert all(event is not None for event in fetched.values())
    assert [(e.id, e.summary) for e in after_edit.changed] == [("Party #1", "Edited")]
    assert set(after_delete.deleted) == set(names.values())


@pytest.mark.parametrize(
    ("status", "precondition"),
    [
        (400, None),
        (415, None),
        (403, "C:valid-calendar-data"),
        (409, "C:no-uid-conflict"),
    ],
)
async def test_an_event_the_server_refuses_raises_invalid_event(
    caldav_harness: CalDavHarness,
    dav_proxy: DavProxy,
    status: int,
    precondition: str | None,
) -> None:
    """400/415, or an RFC 4791 precondition on the data: InvalidEvent."""
    calendar_id = await caldav_harness.new_calendar("Strict")
    await caldav_harness.provider.get_calendar(calendar_id)
    dav_proxy.fail_next(1, status, precondition=precondition)

    with pytest.raises(InvalidEvent):
        await caldav_harness.provider.put_event(calendar_id, an_event())


# -- errors ------------------------------------------------------------------------------

FAULTS: dict[
    str, tuple[Callable[[DavProxy], None], type[ProviderError], float | None]
] = {
    "500": (lambda proxy: proxy.fail_next(1, 500), Unreachable, None),
    "502": (lambda proxy: proxy.fail_next(1, 502), Unreachable, None),
    "503 without Retry-After": (
        lambda proxy: proxy.fail_next(1, 503),
        Unreachable,
        None,
    ),
    "429 with Retry-After": (lambda proxy: proxy.rate_limit_next(1, 7), RateLimited, 7),
    "429 alone": (lambda proxy: proxy.rate_limit_next(1), RateLimited, None),
    "503 with Retry-After": (
        lambda proxy: proxy.rate_limit_next(1, 30, status=503),
        RateLimited,
        30,
    ),
}
OPERATIONS: dict[str, Callable[[CalDavProvider, str], Any]] = {
    "list_calendars": lambda provider, _: provider.list_calendars(),
    "get_calendar": lambda provider, calendar: provider.get_calendar(calendar),
    "changes": lambda provider, calendar: provider.changes(calendar, None),
    "get_event": lambda provider, calendar: provider.get_event(calendar, "copy-1"),
    "put_event": lambda provider, calendar: provider.put_event(calendar, an_event()),
    "delete_event": lambda provider, calendar: provider.delete_event(calendar, "x"),
}


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("operation", OPERATIONS)
async def test_server_failures_map_to_typed_errors(
    caldav_harness: CalDavHarness, dav_proxy: DavProxy, fault: str, operation: str
) -> None:
    """5xx -> Unreachable; 429, 503 + Retry-After -> RateLimited; then it works."""
    inject, error, retry_after = FAULTS[fault]
    provider = caldav_harness.make_provider()
    calendar_id = await caldav_harness.new_calendar("Faulty")
    await provider.get_calendar(calendar_id)
    inject(dav_proxy)

    with pytest.raises(error) as raised:
        await OPERATIONS[operation](provider, calendar_id)
    await OPERATIONS[operation](provider, calendar_id)

    if isinstance(raised.value, RateLimited):
        assert raised.value.retry_after == retry_after


# -- secrets and the event loop ---------------------------------------------------------


async def test_no_secret_appears_in_any_log_line_at_debug(
    caldav_harness: CalDavHarness, dav_proxy: DavProxy, caplog: pytest.LogCaptureFixture
) -> None:
    """Every path (discovery, writes, sync, wrong password, Digest) logs no secret."""
    caplog.set_level(logging.DEBUG)
    for name in ("caldav", "httpx", "httpcore", "custom_components.shared_calendars"):
        caplog.set_level(logging.DEBUG, logger=name)
    calendar_id = await caldav_harness.new_calendar("Logged")
    provider = caldav_harness.provider
    errors: list[str] = []

    await provider.list_calendars()
    await provider.put_event(calendar_id, an_event())
    cursor = (await provider.changes(calendar_id, None)).cursor
    await provider.get_event(calendar_id, "copy-1")
    await provider.delete_event(calendar_id, "copy-1")
    await provider.changes(calendar_id, cursor)
    try:
        await caldav_harness.provider_with_wrong_credentials().list_calendars()
    except AuthFailed as err:
        errors.append(repr(err) + repr(err.__cause__))
    dav_proxy.require_digest(USERS)
    await caldav_harness.make_provider().list_calendars()
    logging.getLogger("caldav").debug(
        "headers=%s", {"Authorization": "Basic c2VjcmV0", "Cookie": "session=abc"}
    )

    text = caplog.text + "\n".join(errors)
    assert any(record.name.startswith("caldav") for record in caplog.records)
    for secret in (USERS["alice"], "not-alices-password", "c2VjcmV0", "session=abc"):
        assert secret not in text
        assert base64.b64encode(f"alice:{secret}".encode()).decode() not in text
    assert not re.search(r"(?i)digest username", text)


@contextmanager
def blocking_calls_in_the_event_loop() -> Iterator[list[str]]:
    """Record calls that block, made from the event loop's thread.

    A stricter cousin of Home Assistant's detector (homeassistant.block_async_io),
    which skips its file and TLS checks in tests. (`os.stat` is left out: asyncio's
    debug mode, on in Home Assistant's tests, stats source files for every future.)
    """
    loop_thread = threading.get_ident()
    offenders: list[str] = []
    targets: list[tuple[Any, str]] = [
        (builtins, "open"),
        (Path, "open"),
        (Path, "read_bytes"),
        (Path, "read_text"),
        (os, "listdir"),
        (os, "scandir"),
        (glob, "glob"),
        (time, "sleep"),
        (socket, "getaddrinfo"),
        (http.client.HTTPConnection, "putrequest"),
        (ssl.SSLContext, "load_default_certs"),
        (ssl.SSLContext, "load_verify_locations"),
        (ssl.SSLContext, "load_cert_chain"),
        (ssl.SSLContext, "set_default_verify_paths"),
    ]
    originals = [(owner, name, getattr(owner, name)) for owner, name in targets]

    def guard(name: str, original: Callable[..., Any]) -> Callable[..., Any]:
        def guarded(*args: Any, **kwargs: Any) -> Any:
            if threading.get_ident() == loop_thread:
                caller = sys._getframe(1).f_code
                offenders.append(f"{name} from {caller.co_filename}:{caller.co_name}")
            return original(*args, **kwargs)

        return guarded

    for owner, name, original in originals:
        setattr(owner, name, guard(name, original))
    try:
        yield offenders
    finally:
        for owner, name, original in originals:
            setattr(owner, name, original)


async def test_nothing_blocks_the_event_loop(
    hass: HomeAssistant, caldav_harness: CalDavHarness
) -> None:
    """Inside Home Assistant, no file, TLS or socket call is made in the loop."""
    calendar_id = await caldav_harness.new_calendar("Loop", timezone="Asia/Kathmandu")
    all_day = an_event(
        "all-day",
        start=date(2026, 4, 1),
        end=date(2026, 4, 2),
        rrule="FREQ=YEARLY",
    )
    chatham = ZoneInfo("Pacific/Chatham")
    zoned = an_event(
        start=datetime(2026, 4, 1, 9, tzinfo=chatham),
        end=datetime(2026, 4, 1, 10, tzinfo=chatham),
    )

    with blocking_calls_in_the_event_loop() as offenders:
        provider = caldav_harness.make_provider(
            ssl_context=True, default_timezone="America/Sao_Paulo"
        )
        await provider.list_calendars()
        listing = await provider.changes(calendar_id, None)
        await provider.put_event(calendar_id, zoned)
        await provider.put_event(calendar_id, all_day)
        await provider.changes(calendar_id, listing.cursor)
        await provider.get_event(calendar_id, "copy-1")
        await provider.delete_event(calendar_id, "copy-1")
        with pytest.raises(AuthFailed):
            await caldav_harness.provider_with_wrong_credentials().list_calendars()
        await provider.close()
    with blocking_calls_in_the_event_loop() as control:
        ssl.create_default_context()

    assert offenders == []
    assert control, "the guard sees blocking calls"
