"""What the CalDAV provider sends, against Radicale behind the fault proxy.

Its own copies are not downloaded again, and a resource the server holds locked
(423, as Xandikos answers under concurrent writes) is retried briefly instead of
failing the cycle.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import pytest

from custom_components.shared_calendars.engine.model import CopyMarker, Event
from custom_components.shared_calendars.providers.base import Unreachable
from tests.providers.caldav_harness import CalDavHarness
from tests.servers.dav_proxy import DavProxy, ProxiedRequest
from tests.servers.radicale import RadicaleServer


def a_copy(event_id: str, **changes: Any) -> Event:
    """Return a managed copy, as the sync cycle writes it."""
    event = Event(
        id=event_id,
        ical_uid=f"{event_id}@shared-calendars.test",
        summary=f"Copy {event_id}",
        start=datetime(2026, 3, 2, 9, tzinfo=UTC),
        end=datetime(2026, 3, 2, 10, tzinfo=UTC),
        copy_of=CopyMarker(source=f"google:anna@example.com:{event_id}"),
    )
    return replace(event, **changes)


def foreign_ics(uid: str, summary: str) -> str:
    """Return an event as another calendar client would store it."""
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Another client//EN\r\n"
        f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20260101T000000Z\r\n"
        f"DTSTART:20260303T100000Z\r\nDURATION:PT30M\r\nSUMMARY:{summary}\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n"
    )


def path_of(calendar_id: str) -> str:
    """Return the server path of a calendar id."""
    return urlsplit(calendar_id).path


def since(proxy: DavProxy, mark: int) -> list[ProxiedRequest]:
    """Return the requests the proxy received after `mark`."""
    return proxy.requests[mark:]


def asks_for_data(request: ProxiedRequest) -> bool:
    """Return whether a REPORT asks for calendar data."""
    return b"calendar-data" in request.body


# -- own copies ---------------------------------------------------------------------


async def test_own_copies_come_back_unread_and_a_quiet_calendar_asks_once(
    caldav_harness: CalDavHarness, dav_proxy: DavProxy
) -> None:
    """After writes, one etag-only REPORT finds them unchanged; then one REPORT again."""
    provider = caldav_harness.provider
    calendar_id = await caldav_harness.new_calendar("Combined")
    first = await provider.changes(calendar_id, None)
    await provider.put_event(calendar_id, a_copy("a"))
    await provider.put_event(calendar_id, a_copy("b", summary="Copy with space"))
    mark = dav_proxy.request_count()

    after_writes = await provider.changes(calendar_id, first.cursor)
    sent = since(dav_proxy, mark)
    mark = dav_proxy.request_count()
    quiet = await provider.changes(calendar_id, after_writes.cursor)

    assert (after_writes.changed, after_writes.deleted) == ((), ())
    assert [request.method for request in sent] == ["REPORT"]
    assert not asks_for_data(sent[0])
    assert after_writes.requests == 1
    assert (quiet.changed, quiet.deleted, quiet.requests) == ((), (), 1)
    assert [asks_for_data(request) for request in since(dav_proxy, mark)] == [True]


async def test_foreign_changes_beside_own_copies_cost_two_requests_and_only_they_are_read(
    caldav_harness: CalDavHarness, dav_proxy: DavProxy, radicale_server: RadicaleServer
) -> None:
    """A new event and an edited copy are fetched by one multiget; our copy is not."""
    provider = caldav_harness.provider
    calendar_id = await caldav_harness.new_calendar("Combined")
    first = await provider.changes(calendar_id, None)
    await provider.put_event(calendar_id, a_copy("ours"))
    await provider.put_event(calendar_id, a_copy("edited"))
    folder = path_of(calendar_id)
    await radicale_server.put_raw(
        "alice", folder + "theirs.ics", foreign_ics("theirs", "School trip")
    )
    await radicale_server.put_raw(
        "alice",
        folder + "edited.ics",
        foreign_ics("edited@shared-calendars.test", "Edited by Ben"),
    )
    mark = dav_proxy.request_count()

    changes = await provider.changes(calendar_id, first.cursor)
    sync, multiget = since(dav_proxy, mark)

    assert {(e.id, e.summary) for e in changes.changed} == {
        ("theirs", "School trip"),
        ("edited", "Edited by Ben"),
    }
    assert changes.requests == 2
    assert (sync.method, multiget.method) == ("REPORT", "REPORT")
    assert b"theirs.ics" in multiget.body
    assert b"edited.ics" in multiget.body
    assert b"ours.ics" not in multiget.body


async def test_an_event_written_for_a_user_is_read_back(
    caldav_harness: CalDavHarness,
) -> None:
    """Not a copy (an event a service wrote into a source): the engine learns of it."""
    provider = caldav_harness.provider
    calendar_id = await caldav_harness.new_calendar("Own")
    first = await provider.changes(calendar_id, None)
    await provider.put_event(calendar_id, a_copy("mine", copy_of=None))

    changes = await provider.changes(calendar_id, first.cursor)

    assert [(event.id, event.copy_of) for event in changes.changed] == [("mine", None)]


async def test_after_a_restart_every_change_is_read_as_before(
    caldav_harness: CalDavHarness, dav_proxy: DavProxy
) -> None:
    """A new provider remembers no writes: one REPORT brings everything, data included."""
    calendar_id = await caldav_harness.new_calendar("Combined")
    first = await caldav_harness.provider.changes(calendar_id, None)
    await caldav_harness.provider.put_event(calendar_id, a_copy("a"))
    restarted = caldav_harness.make_provider()
    await restarted.get_calendar(calendar_id)
    mark = dav_proxy.request_count()

    changes = await restarted.changes(calendar_id, first.cursor)

    assert [event.id for event in changes.changed] == ["a"]
    assert [(r.method, asks_for_data(r)) for r in since(dav_proxy, mark)] == [
        ("REPORT", True)
    ]


async def test_after_a_restart_a_copy_the_ledger_knows_is_replaced_with_one_put(
    caldav_harness: CalDavHarness, dav_proxy: DavProxy
) -> None:
    """No etag known yet, but the copy is known to exist: no If-None-Match, no 412."""
    calendar_id = await caldav_harness.new_calendar("Combined")
    stored = await caldav_harness.provider.put_event(calendar_id, a_copy("a"))
    restarted = caldav_harness.make_provider()
    await restarted.get_calendar(calendar_id)
    mark = dav_proxy.request_count()

    await restarted.put_event(calendar_id, a_copy("a", summary="Changed"), stored)

    sent = since(dav_proxy, mark)
    assert [(r.method, r.if_match, r.if_none_match) for r in sent] == [
        ("PUT", None, None)
    ]
    (read,) = (await restarted.changes(calendar_id, None)).changed
    assert read.summary == "Changed"


async def test_a_copy_edited_back_and_forth_is_read_each_time_it_is_not_ours(
    caldav_harness: CalDavHarness, radicale_server: RadicaleServer
) -> None:
    """Ours, theirs, ours again: only their version is read."""
    provider = caldav_harness.provider
    calendar_id = await caldav_harness.new_calendar("Combined")
    cursor = (await provider.changes(calendar_id, None)).cursor
    await provider.put_event(calendar_id, a_copy("a"))
    cursor = (await provider.changes(calendar_id, cursor)).cursor
    await radicale_server.put_raw(
        "alice",
        path_of(calendar_id) + "a.ics",
        foreign_ics("a@shared-calendars.test", "Theirs"),
    )
    theirs = await provider.changes(calendar_id, cursor)
    await provider.put_event(calendar_id, a_copy("a", summary="Ours again"))
    ours_again = await provider.changes(calendar_id, theirs.cursor)
    await provider.delete_event(calendar_id, "a")
    deleted = await provider.changes(calendar_id, ours_again.cursor)

    assert [event.summary for event in theirs.changed] == ["Theirs"]
    assert ours_again.changed == ()
    assert (deleted.changed, deleted.deleted) == ((), ("a",))


async def test_without_sync_collection_own_copies_are_not_read_again(
    caldav_harness: CalDavHarness, dav_proxy: DavProxy, radicale_server: RadicaleServer
) -> None:
    """The ctag/etag listing skips our copies too, and fetches what others wrote."""
    dav_proxy.sync_collection_supported = False
    provider = caldav_harness.provider
    calendar_id = await caldav_harness.new_calendar("Old server")
    first = await provider.changes(calendar_id, None)
    await provider.put_event(calendar_id, a_copy("ours"))
    mark = dav_proxy.request_count()

    own = await provider.changes(calendar_id, first.cursor)
    own_requests = [request.method for request in since(dav_proxy, mark)]
    await radicale_server.put_raw(
        "alice", path_of(calendar_id) + "theirs.ics", foreign_ics("theirs", "Gym")
    )
    foreign = await provider.changes(calendar_id, own.cursor)

    assert (own.changed, own.deleted) == ((), ())
    assert own_requests == ["PROPFIND", "PROPFIND"]  # ctag changed, etag listing
    assert [event.id for event in foreign.changed] == ["theirs"]


# -- 423 Locked -----------------------------------------------------------------------


async def test_a_locked_resource_is_written_after_a_short_retry(
    caldav_harness: CalDavHarness, dav_proxy: DavProxy, radicale_server: RadicaleServer
) -> None:
    """Two 423 answers, then the PUT goes through: three PUTs, no error."""
    calendar_id = await caldav_harness.new_calendar("Busy")
    await caldav_harness.provider.get_calendar(calendar_id)
    dav_proxy.lock(path_of(calendar_id) + "a.ics", 2)
    mark = dav_proxy.request_count()

    await caldav_harness.provider.put_event(calendar_id, a_copy("a"))

    assert [r.method for r in since(dav_proxy, mark)] == ["PUT", "PUT", "PUT"]
    status, _ = await radicale_server.get_raw("alice", path_of(calendar_id) + "a.ics")
    assert status == 200


async def test_a_resource_locked_for_longer_fails_after_three_tries(
    caldav_harness: CalDavHarness, dav_proxy: DavProxy
) -> None:
    """The retry is bounded: three PUTs, then Unreachable (the cycle retries later)."""
    calendar_id = await caldav_harness.new_calendar("Busier")
    await caldav_harness.provider.get_calendar(calendar_id)
    dav_proxy.lock(path_of(calendar_id) + "a.ics", 10)
    mark = dav_proxy.request_count()

    with pytest.raises(Unreachable, match="423"):
        await caldav_harness.provider.put_event(calendar_id, a_copy("a"))

    assert [r.method for r in since(dav_proxy, mark)] == ["PUT", "PUT", "PUT"]


async def test_a_locked_collection_is_read_after_a_short_retry(
    caldav_harness: CalDavHarness, dav_proxy: DavProxy
) -> None:
    """A 423 on sync-collection is retried, counted, and sync-collection stays in use."""
    provider = caldav_harness.provider
    calendar_id = await caldav_harness.new_calendar("Locked listing")
    await provider.put_event(calendar_id, a_copy("a", copy_of=None))
    first = await provider.changes(calendar_id, None)
    dav_proxy.lock(path_of(calendar_id), 1)
    mark = dav_proxy.request_count()

    again = await provider.changes(calendar_id, first.cursor)
    later = await provider.changes(calendar_id, again.cursor)

    assert again.requests == 2
    assert later.requests == 1
    assert [r.method for r in since(dav_proxy, mark)] == ["REPORT"] * 3
    assert not again.cursor.startswith("{")  # still a sync token, not a listing


async def test_a_locked_resource_is_deleted_after_a_short_retry(
    caldav_harness: CalDavHarness, dav_proxy: DavProxy, radicale_server: RadicaleServer
) -> None:
    """DELETE is retried like PUT."""
    calendar_id = await caldav_harness.new_calendar("Busy delete")
    await caldav_harness.provider.put_event(calendar_id, a_copy("a"))
    dav_proxy.lock(path_of(calendar_id) + "a.ics", 1)

    await caldav_harness.provider.delete_event(calendar_id, "a")

    status, _ = await radicale_server.get_raw("alice", path_of(calendar_id) + "a.ics")
    assert status == 404
