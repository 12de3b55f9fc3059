"""A calendar object whose text breaks the server's XML answer breaks only itself.

Servers that store what a client sent (Nextcloud, Radicale behind an import) may
write a control character into a multistatus unescaped: XML cannot hold it, and the
whole answer no longer parses. The provider narrows such an answer down by halves
to the objects that break it, and reads those alone with GET, where iCalendar text
may hold anything. The proxy serves the object with the control character.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
import logging

import pytest

from custom_components.shared_calendars.engine.model import ChangeSet, Event
from tests.providers.caldav_harness import CalDavHarness

START = datetime(2026, 5, 4, 10, tzinfo=UTC)
CANARIES = 40


def _event(event_id: str, summary: str) -> Event:
    return Event(
        id=event_id,
        ical_uid=f"{event_id}@test",
        summary=summary,
        start=START,
        end=START + timedelta(hours=1),
    )


def _raw(uid: str, summary: str) -> str:
    return "\r\n".join(
        [
            "BEGIN:VCALENDAR",
            "VERSION:2.0",
            "PRODID:-//test//broken//EN",
            "BEGIN:VEVENT",
            f"UID:{uid}@test",
            "DTSTAMP:20260501T000000Z",
            "DTSTART:20260504T100000Z",
            "DTEND:20260504T110000Z",
            f"SUMMARY:{summary}",
            "END:VEVENT",
            "END:VCALENDAR",
            "",
        ]
    )


async def _calendar(harness: CalDavHarness, broken: int) -> str:
    """Return a calendar of canaries and `broken` objects with a control character."""
    calendar = await harness.new_calendar("Anna")
    for number in range(CANARIES):
        await harness.provider.put_event(
            calendar, _event(f"canary-{number}", f"Canary {number}")
        )
    for number in range(broken):
        marker = f"PLACEHOLDER-{number}"
        await harness.provider.put_event(calendar, _event(f"odd-{number}", marker))
        harness.proxy.substitute(marker, _raw(f"odd-{number}", f"Odd\x01 {number}"))
    return calendar


def _titles(changes: ChangeSet) -> list[str]:
    return sorted(event.summary for event in changes.changed)


def _expected(broken: int) -> list[str]:
    return sorted(
        [f"Canary {number}" for number in range(CANARIES)]
        + [f"Odd {number}" for number in range(broken)]
    )


async def test_an_object_that_breaks_the_xml_answer_is_read_alone_and_the_rest_kept(
    caldav_harness: CalDavHarness, caplog: pytest.LogCaptureFixture
) -> None:
    """One bad object among 40: every event is read, its text cleaned; few requests.

    The library logs an answer it cannot parse whole, at INFO: the event text is
    left out of that line.
    """
    caplog.set_level(logging.INFO)
    calendar = await _calendar(caldav_harness, broken=1)
    fresh = caldav_harness.make_provider()
    methods = caldav_harness.proxy.methods()

    listing = await fresh.changes(calendar, None)

    assert _titles(listing) == _expected(1)
    assert listing.skipped == ()
    assert listing.complete
    shown = [r for r in caplog.records if r.levelno >= logging.INFO]
    assert any("not the XML expected" in record.getMessage() for record in shown)
    assert not any("Canary" in record.getMessage() for record in shown)
    # the calendar's zone (PROPFIND, after the authentication challenge), the
    # sync-collection with data and again without, a multiget of the 41 objects
    # and two at each of six halvings, one GET
    assert caldav_harness.proxy.methods() - methods == Counter(
        {"PROPFIND": 2, "REPORT": 2 + 1 + 2 * 6, "GET": 1}
    )
    quiet = caldav_harness.proxy.request_count()
    assert (await fresh.changes(calendar, listing.cursor)).changed == ()
    assert caldav_harness.proxy.request_count() - quiet == 1


async def test_objects_that_break_the_answer_are_found_by_etag_listing_too(
    caldav_harness: CalDavHarness,
) -> None:
    """A server without sync-collection: the multigets are narrowed the same way."""
    caldav_harness.proxy.sync_collection_supported = False
    calendar = await _calendar(caldav_harness, broken=3)

    listing = await caldav_harness.make_provider().changes(calendar, None)

    assert _titles(listing) == _expected(3)
    assert listing.skipped == ()


async def test_a_changed_object_that_breaks_the_answer_is_read_in_the_next_listing(
    caldav_harness: CalDavHarness,
) -> None:
    """Known calendar, one object edited into a bad one: read with the others."""
    calendar = await _calendar(caldav_harness, broken=0)
    provider = caldav_harness.make_provider()
    first = await provider.changes(calendar, None)
    await caldav_harness.provider.put_event(calendar, _event("canary-7", "Moved"))
    await caldav_harness.provider.put_event(calendar, _event("late", "PLACEHOLDER-L"))
    caldav_harness.proxy.substitute("PLACEHOLDER-L", _raw("late", "Late\x02"))

    later = await provider.changes(calendar, first.cursor)

    assert _titles(later) == ["Late", "Moved"]
