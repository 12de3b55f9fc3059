"""Events a server holds that cannot be read: each is skipped and named, nothing fails.

Google's side stores raw resources in the fake API (as Google may send them); the
CalDAV side has the proxy serve garbage in place of objects Radicale holds
(Radicale itself refuses what it cannot parse).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from custom_components.shared_calendars.engine.model import ChangeSet, Event, SkipReason
from custom_components.shared_calendars.providers.base import InvalidEvent, Unreachable
from custom_components.shared_calendars.providers.ical_objects import read_resource
from tests.providers.caldav_harness import CalDavHarness
from tests.providers.google_harness import GoogleHarness

START = datetime(2026, 5, 4, 10, tzinfo=UTC)
TIMED = {
    "start": {"dateTime": "2026-05-04T10:00:00Z"},
    "end": {"dateTime": "2026-05-04T11:00:00Z"},
}


def _google(event_id: str, **fields: Any) -> dict[str, Any]:
    return {"id": event_id, "summary": f"Bad {event_id}", **TIMED, **fields}


def _without(resource: dict[str, Any], name: str) -> dict[str, Any]:
    return {key: value for key, value in resource.items() if key != name}


GOOGLE_BAD: dict[str, tuple[Any, SkipReason]] = {
    "no start": (_without(_google("nostart01"), "start"), SkipReason.MISSING_TIME),
    "no end": (_without(_google("noend0001"), "end"), SkipReason.MISSING_TIME),
    "start not an object": (
        _google("startstr1", start="2026-05-04"),
        SkipReason.INVALID_TIME,
    ),
    "an invalid date": (
        _google("baddate01", start={"date": "2026-02-30"}, end={"date": "2026-03-01"}),
        SkipReason.INVALID_TIME,
    ),
    "an invalid dateTime": (
        _google("badtime01", start={"dateTime": "tomorrow at ten"}),
        SkipReason.INVALID_TIME,
    ),
    "a date start with a dateTime end": (
        _google("mixed0001", start={"date": "2026-05-04"}),
        SkipReason.INVALID_TIME,
    ),
    "an unknown status": (
        _google("status001", status="postponed"),
        SkipReason.INVALID_VALUE,
    ),
    "an unknown transparency": (
        _google("transp001", transparency="translucent"),
        SkipReason.INVALID_VALUE,
    ),
    "a summary that is no text": (
        {**_google("summary01"), "summary": 42},
        SkipReason.INVALID_VALUE,
    ),
    "a garbage RRULE": (
        _google("rrule0001", recurrence=["RRULE:FREQ=SOMETIMES;BYDAY=XX"]),
        SkipReason.INVALID_RECURRENCE,
    ),
    "an RRULE that never ends expanding": (
        _google("rrule0002", recurrence=["RRULE:FREQ=DAILY;INTERVAL=0"]),
        SkipReason.INVALID_RECURRENCE,
    ),
    "a garbage EXDATE": (
        _google("exdate001", recurrence=["RRULE:FREQ=DAILY", "EXDATE:yesterday"]),
        SkipReason.INVALID_RECURRENCE,
    ),
    "recurrence that is no list": (
        _google("rlist0001", recurrence="RRULE:FREQ=DAILY"),
        SkipReason.INVALID_RECURRENCE,
    ),
    "no id": (_without(_google("unused"), "id"), SkipReason.UNREADABLE),
    "no object at all": ("not an event", SkipReason.UNREADABLE),
}


def _titles(changes: ChangeSet) -> list[str]:
    return sorted(event.summary for event in changes.changed)


def _reasons(changes: ChangeSet) -> dict[str, SkipReason]:
    return {skipped.id: skipped.reason for skipped in changes.skipped}


def _expected_ids(cases: dict[str, tuple[Any, SkipReason]]) -> dict[str, SkipReason]:
    return {
        resource.get("id", "") if isinstance(resource, dict) else "": reason
        for resource, reason in cases.values()
    }


async def test_google_events_that_cannot_be_read_are_skipped_and_named(
    google_harness: GoogleHarness,
) -> None:
    """Each kind of bad resource is one skipped event; the canary beside it is read."""
    server, provider = google_harness.server, google_harness.provider
    calendar = await google_harness.new_calendar("Anna")
    server.insert_event(calendar, {"summary": "Canary", **TIMED})
    for resource, _ in GOOGLE_BAD.values():
        server.put_raw(calendar, resource)

    listing = await provider.changes(calendar, None)

    assert _titles(listing) == ["Canary"]
    assert _reasons(listing) == _expected_ids(GOOGLE_BAD)
    skipped = {item.id: item for item in listing.skipped}
    assert skipped["summary01"].title == ""
    assert skipped["nostart01"].title == "Bad nostart01"
    assert listing.cursor


async def test_google_bad_events_arriving_later_leave_the_cursor_moving(
    google_harness: GoogleHarness,
) -> None:
    """An incremental listing with bad events holds the good ones and a new cursor."""
    server, provider = google_harness.server, google_harness.provider
    calendar = await google_harness.new_calendar("Anna")
    first = await provider.changes(calendar, None)
    for resource, _ in GOOGLE_BAD.values():
        server.put_raw(calendar, resource)
    server.insert_event(calendar, {"summary": "Canary", **TIMED})

    later = await provider.changes(calendar, first.cursor)

    assert _titles(later) == ["Canary"]
    assert _reasons(later) == _expected_ids(GOOGLE_BAD)
    assert later.cursor != first.cursor
    quiet = await provider.changes(calendar, later.cursor)
    assert (quiet.changed, quiet.deleted, quiet.skipped) == ((), (), ())


async def test_google_text_is_cleaned_of_what_no_store_holds(
    google_harness: GoogleHarness,
) -> None:
    """Lone surrogates become U+FFFD; NUL and other controls go; tab and line feed stay."""
    server, provider = google_harness.server, google_harness.provider
    calendar = await google_harness.new_calendar("Anna")
    server.insert_event(
        calendar,
        {
            "summary": "Caf\ud800 \x00open\x07",
            "description": "line\r\none\tand\x1btwo\ufffe",
            "location": "\udfffRoom",
            **TIMED,
        },
    )

    (event,) = (await provider.changes(calendar, None)).changed

    assert event.summary == "Caf\ufffd open"
    assert event.description == "line\none\tandtwo"
    assert event.location == "\ufffdRoom"


async def test_a_bad_occurrence_leaves_its_series_readable(
    google_harness: GoogleHarness,
) -> None:
    """An exception that cannot be read is left out of its series; the series is named."""
    server, provider = google_harness.server, google_harness.provider
    calendar = await google_harness.new_calendar("Anna")
    series = server.insert_event(
        calendar,
        {
            "summary": "Choir",
            "start": {"dateTime": "2026-05-04T10:00:00Z", "timeZone": "UTC"},
            "end": {"dateTime": "2026-05-04T11:00:00Z", "timeZone": "UTC"},
            "recurrence": ["RRULE:FREQ=WEEKLY;COUNT=4"],
        },
    )
    second = {"dateTime": "2026-05-11T10:00:00Z"}
    server.put_raw(
        calendar,
        {
            "id": f"{series['id']}_20260511T100000Z",
            "recurringEventId": series["id"],
            "originalStartTime": second,
            "summary": "Choir, moved",
            "start": second,
            "end": {"dateTime": "yesterday"},
        },
    )
    server.put_raw(
        calendar,
        {
            "id": f"{series['id']}_20260518T100000Z",
            "recurringEventId": series["id"],
            "originalStartTime": {"dateTime": "18 May"},
            **TIMED,
        },
    )

    listing = await provider.changes(calendar, None)

    (read,) = listing.changed
    assert (read.summary, read.rrule, read.overrides) == (
        "Choir",
        "FREQ=WEEKLY;COUNT=4",
        (),
    )
    assert [(item.id, item.reason) for item in listing.skipped] == [
        (series["id"], SkipReason.INVALID_TIME),
        (series["id"], SkipReason.INVALID_TIME),
    ]


async def test_reading_one_bad_google_event_raises_invalid_event(
    google_harness: GoogleHarness,
) -> None:
    """get_event says the event cannot be read, in a type callers handle."""
    calendar = await google_harness.new_calendar("Anna")
    google_harness.server.put_raw(calendar, _google("status001", status="postponed"))

    with pytest.raises(InvalidEvent, match="cannot be read"):
        await google_harness.provider.get_event(calendar, "status001")


# -- CalDAV ---------------------------------------------------------------------------


def _ics(*lines: str) -> str:
    return "\r\n".join(
        [
            "BEGIN:VCALENDAR",
            "VERSION:2.0",
            "PRODID:-//test//bad//EN",
            *lines,
            "END:VCALENDAR",
            "",
        ]
    )


def _vevent(uid: str, *lines: str) -> str:
    return _ics(
        "BEGIN:VEVENT",
        f"UID:{uid}",
        "DTSTAMP:20260501T000000Z",
        f"SUMMARY:Bad {uid}",
        *lines,
        "END:VEVENT",
    )


TIMES = ("DTSTART:20260504T100000Z", "DTEND:20260504T110000Z")
CALDAV_BAD: dict[str, tuple[str, SkipReason | None]] = {
    "not iCalendar": ("this is not a calendar", SkipReason.UNREADABLE),
    "no DTSTART": (
        _vevent("nostart", "DTEND:20260504T110000Z"),
        SkipReason.MISSING_TIME,
    ),
    "a DTSTART that is no date": (
        _vevent("badstart", "DTSTART:tomorrow", "DTEND:20260504T110000Z"),
        None,
    ),
    "a garbage RRULE": (_vevent("rrule", *TIMES, "RRULE:FREQ=SOMETIMES"), None),
    "an RRULE that never ends expanding": (
        _vevent("interval", *TIMES, "RRULE:FREQ=DAILY;INTERVAL=0"),
        SkipReason.INVALID_RECURRENCE,
    ),
    "a garbage EXDATE": (
        _vevent("exdate", *TIMES, "RRULE:FREQ=DAILY", "EXDATE:yesterday"),
        None,
    ),
    "a VEVENT never closed": (
        _ics("BEGIN:VEVENT", "UID:open", *TIMES),
        SkipReason.UNREADABLE,
    ),
}


def _event(event_id: str, summary: str) -> Event:
    return Event(
        id=event_id,
        ical_uid=f"{event_id}@test",
        summary=summary,
        start=START,
        end=START + timedelta(hours=1),
    )


async def _calendar_with_bad_objects(harness: CalDavHarness) -> str:
    """Return a calendar with a canary and every bad object of `CALDAV_BAD`."""
    calendar = await harness.new_calendar("Anna")
    await harness.provider.put_event(calendar, _event("canary", "Canary"))
    for number, (data, _) in enumerate(CALDAV_BAD.values()):
        marker = f"PLACEHOLDER-{number}"
        await harness.provider.put_event(calendar, _event(f"bad-{number}", marker))
        harness.proxy.substitute(marker, data)
    return calendar


async def test_caldav_objects_that_cannot_be_read_are_skipped_and_named(
    caldav_harness: CalDavHarness,
) -> None:
    """Each bad object is one skipped event, named by its resource; the canary is read."""
    calendar = await _calendar_with_bad_objects(caldav_harness)

    listing = await caldav_harness.provider.changes(calendar, None)

    assert _titles(listing) == ["Canary"]
    reasons = _reasons(listing)
    assert set(reasons) == {f"bad-{number}" for number in range(len(CALDAV_BAD))}
    for number, (_, reason) in enumerate(CALDAV_BAD.values()):
        if reason is not None:
            assert reasons[f"bad-{number}"] is reason
    assert {item.title for item in listing.skipped} >= {"Bad nostart", "Bad interval"}
    assert listing.cursor


async def test_caldav_objects_that_cannot_be_read_by_etag_listing_are_skipped(
    caldav_harness: CalDavHarness,
) -> None:
    """A server without sync-collection is read by multiget: the same skipping."""
    caldav_harness.proxy.sync_collection_supported = False
    calendar = await _calendar_with_bad_objects(caldav_harness)

    listing = await caldav_harness.provider.changes(calendar, None)

    assert _titles(listing) == ["Canary"]
    assert len(listing.skipped) == len(CALDAV_BAD)


async def test_a_server_whose_answers_are_not_xml_is_unreachable_until_they_parse(
    caldav_harness: CalDavHarness,
) -> None:
    """Every REPORT answer broken raises Unreachable; one broken answer is asked again.

    The sync-collection is repeated without data, and the data asked by multiget.
    """
    calendar = await caldav_harness.new_calendar("Anna")
    await caldav_harness.provider.put_event(calendar, _event("canary", "Canary"))
    caldav_harness.proxy.break_reports_next(2)

    with pytest.raises(Unreachable):
        await caldav_harness.provider.changes(calendar, None)

    caldav_harness.proxy.break_reports_next(1)
    before = caldav_harness.proxy.methods()["REPORT"]
    assert _titles(await caldav_harness.provider.changes(calendar, None)) == ["Canary"]
    assert caldav_harness.proxy.methods()["REPORT"] - before == 3


def test_caldav_text_is_cleaned_of_what_no_store_holds() -> None:
    """A calendar object's text comes out as clean as Google's (`read_resource`)."""
    data = _vevent("odd", *TIMES, "DESCRIPTION:one\\ntwo\x07\ud800").replace(
        "SUMMARY:Bad odd", "SUMMARY:Caf\u00e9\x00"
    )

    (event,), skipped = read_resource(data, "odd")

    assert skipped == []
    assert (event.summary, event.description) == ("Caf\u00e9", "one\ntwo\ufffd")


def _marked(event_id: str, name: str, value: str, **fields: Any) -> dict[str, Any]:
    """Return an event carrying one of this integration's private properties, as given."""
    private = {"private": {f"shared_calendars_{name}": value}}
    return _google(event_id, extendedProperties=private, **fields)


async def test_google_marks_garbled_by_another_client_are_ignored(
    google_harness: GoogleHarness,
) -> None:
    """A mark or time stamp that does not decode reads as if it were not there."""
    server, provider = google_harness.server, google_harness.provider
    calendar = await google_harness.new_calendar("Anna")
    weekly = {"recurrence": ["RRULE:FREQ=WEEKLY;COUNT=3"]}
    for resource in (
        _google("updated01", updated="last tuesday"),
        _marked("recurid01", "recurrence_id", "not json"),
        _marked("recurid02", "recurrence_id", "[1, 2]"),
        _marked("recurid03", "recurrence_id", '"2026-99-99"'),
        _marked("cancel001", "cancelled", "not json", **weekly),
        _marked("cancel002", "cancelled", '{"2026-05-11": true}', **weekly),
    ):
        server.put_raw(calendar, resource)

    listing = await provider.changes(calendar, None)

    assert listing.skipped == ()
    events = {event.id: event for event in listing.changed}
    assert sorted(events) == [
        "cancel001",
        "cancel002",
        "recurid01",
        "recurid02",
        "recurid03",
        "updated01",
    ]
    assert events["updated01"].updated is None
    assert all(event.recurrence_id is None for event in events.values())
    assert events["cancel001"].overrides == events["cancel002"].overrides == ()
