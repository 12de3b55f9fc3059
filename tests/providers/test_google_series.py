"""Google's instance model: what a series becomes in Google, and that it reads back so.

Google keeps a series as a master plus one event per changed occurrence, addressed
by an id derived from the series' own start. Each test writes through the provider
and reads back through every path (`changes` in full and after a cursor, which the
sync engine copies from, and `get_event`), and compares the digest the engine keeps
(`fingerprint`): a copy that reads back otherwise is written again on every cycle.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from dateutil.tz import tzstr
import pytest

from custom_components.shared_calendars.cycle import SyncCycle
from custom_components.shared_calendars.engine.content import content, fingerprint
from custom_components.shared_calendars.engine.model import (
    CalendarRef,
    CopyMarker,
    DateOrDateTime,
    Event,
    EventStatus,
    Member,
)
from custom_components.shared_calendars.engine.occurrences import occurrences
from custom_components.shared_calendars.engine.plan import PlanOptions
from custom_components.shared_calendars.engine.state import SyncState
from custom_components.shared_calendars.providers.google_events import (
    CANCELLED_PROPERTY,
    DETACHED_PROPERTY,
    INHERITED_PROPERTY,
    MARKER_PROPERTY,
    RECURRENCE_PROPERTY,
    SERIES_PROPERTY,
)
from tests.invented_zone import LAKESIDE
from tests.memory_provider import MemoryProvider
from tests.providers.google_harness import GoogleHarness
from tests.servers.fake_google import FakeGoogle, GoogleError

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
MONDAY = datetime(2024, 1, 8, 10, tzinfo=BERLIN)
"""The first of a weekly series: 09:00 UTC, so instance ids end in T090000Z."""
WEEK = timedelta(weeks=1)
MARKER = CopyMarker(source="group-of-choir")
SERIES_ID = "5e41e5000001"


def weekly(**fields: Any) -> Event:
    """Return a weekly copy of ten occurrences from MONDAY, marked as copies are."""
    values: dict[str, Any] = {
        "id": SERIES_ID,
        "ical_uid": f"{SERIES_ID}@test",
        "summary": "Choir",
        "start": MONDAY,
        "end": MONDAY + timedelta(hours=1),
        "rrule": "FREQ=WEEKLY;COUNT=10",
        "copy_of": MARKER,
    } | fields
    return Event(**values)


def override(
    rid: DateOrDateTime, start: DateOrDateTime, end: DateOrDateTime, **fields: Any
) -> Event:
    """Return a changed occurrence as the sync engine writes one (no marker of its own)."""
    values: dict[str, Any] = {
        "id": "",
        "ical_uid": f"{SERIES_ID}@test",
        "summary": "Choir (moved)",
        "start": start,
        "end": end,
        "recurrence_id": rid,
    } | fields
    return Event(**values)


def moved(rid: datetime, **fields: Any) -> Event:
    """Return the occurrence at `rid` moved two hours later."""
    start = rid + timedelta(hours=2)
    return override(rid, start, start + timedelta(hours=1), **fields)


async def write_and_read(harness: GoogleHarness, event: Event) -> tuple[str, Event]:
    """Write `event` to a new calendar; return it as read back (all paths agree).

    Read through a second client: the writer leaves its own copies out of its
    incremental listings.
    """
    calendar_id = await harness.new_calendar("Combined")
    reader = harness.make_provider(harness.key)
    cursor = (await reader.changes(calendar_id, None)).cursor
    stored = await harness.provider.put_event(calendar_id, event)
    later = await reader.changes(calendar_id, cursor)
    full = await reader.changes(calendar_id, None)
    got = await reader.get_event(calendar_id, event.id)
    assert got is not None
    assert [e.id for e in later.changed] == [e.id for e in full.changed] == [event.id]
    digests = {fingerprint(e) for e in (stored, later.changed[0], full.changed[0], got)}
    assert digests == {fingerprint(got)}
    return calendar_id, got


def private(resource: dict[str, Any] | None) -> dict[str, str]:
    """Return a stored resource's private extended properties."""
    assert resource is not None
    found: dict[str, str] = resource.get("extendedProperties", {}).get("private", {})
    return found


# ------------------------------------------------------------- instance ids


@pytest.mark.parametrize(
    ("series", "rid", "instance"),
    [
        (
            weekly(),
            (MONDAY + WEEK).astimezone(UTC),
            f"{SERIES_ID}_20240115T090000Z",
        ),
        (
            weekly(),
            (MONDAY + WEEK).astimezone(NEW_YORK),
            f"{SERIES_ID}_20240115T090000Z",
        ),
        (weekly(), date(2024, 1, 15), f"{SERIES_ID}_20240115T090000Z"),
        (
            weekly(start=date(2024, 1, 8), end=date(2024, 1, 9)),
            datetime(2024, 1, 15, tzinfo=UTC),
            f"{SERIES_ID}_20240115",
        ),
        (
            weekly(start=date(2024, 1, 8), end=date(2024, 1, 9)),
            datetime(2024, 1, 15, 23, 30, tzinfo=NEW_YORK),
            f"{SERIES_ID}_20240115",
        ),
    ],
    ids=[
        "utc-id-on-zoned-series",
        "id-in-another-zone",
        "date-id-on-timed-series",
        "utc-date-time-id-on-all-day-series",
        "zoned-date-time-id-on-all-day-series",
    ],
)
async def test_an_override_is_the_instance_the_series_own_start_names(
    google_harness: GoogleHarness, series: Event, rid: DateOrDateTime, instance: str
) -> None:
    """Whatever the recurrence id's type or zone, the instance id is the series'.

    A DATE-TIME id on an all-day series means its date; one in another zone means
    that instant; a DATE on a timed series, the instance on that date. The override
    reads back with the recurrence id it was written with.
    """
    if isinstance(series.start, datetime):
        change = override(rid, MONDAY + WEEK + timedelta(hours=3), MONDAY + WEEK * 2)
    else:
        change = override(rid, date(2024, 1, 16), date(2024, 1, 17))
    event = replace(series, overrides=(change,))

    calendar_id, got = await write_and_read(google_harness, event)

    stored = google_harness.server.live_events(calendar_id)
    assert set(stored) == {SERIES_ID, instance}
    assert stored[instance]["summary"] == "Choir (moved)"
    assert fingerprint(got) == fingerprint(event)
    assert [o.recurrence_id for o in got.overrides] == [rid]


# ----------------------------------------- overrides of instants not in the series


@pytest.mark.parametrize(
    ("series", "rid"),
    [
        (weekly(exdate=(MONDAY + 2 * WEEK,)), MONDAY + 2 * WEEK),
        (weekly(), MONDAY + 10 * WEEK),
        (weekly(rrule="FREQ=WEEKLY;UNTIL=20240201T000000Z"), MONDAY + 4 * WEEK),
        (weekly(), MONDAY + timedelta(days=1)),
    ],
    ids=["exdated", "past-count", "past-until", "not-made-by-the-rule"],
)
async def test_an_override_of_an_instant_the_series_does_not_make_is_detached(
    google_harness: GoogleHarness, series: Event, rid: datetime
) -> None:
    """It becomes a marked single event of its own, never a 404, and reads back in."""
    event = replace(series, overrides=(moved(rid),))

    calendar_id, got = await write_and_read(google_harness, event)

    stored = google_harness.server.live_events(calendar_id)
    (detached,) = set(stored) - {SERIES_ID}
    assert len(detached) == 40
    assert set(detached) <= set("0123456789abcdef")
    assert private(stored[detached]) == {
        MARKER_PROPERTY: MARKER.source,
        INHERITED_PROPERTY: "1",
        SERIES_PROPERTY: SERIES_ID,
        RECURRENCE_PROPERTY: private(stored[detached])[RECURRENCE_PROPERTY],
    }
    assert private(stored[SERIES_ID])[DETACHED_PROPERTY] == "1"
    assert (
        stored[detached]["start"]["dateTime"] == (rid + timedelta(hours=2)).isoformat()
    )
    assert fingerprint(got) == fingerprint(event)
    (back,) = got.overrides
    assert (back.recurrence_id, back.summary, back.copy_of) == (
        rid,
        "Choir (moved)",
        None,
    )


async def test_writing_a_detached_override_again_changes_nothing_in_google(
    google_harness: GoogleHarness,
) -> None:
    """The detached event's id is derived: a second write replaces it."""
    event = weekly(overrides=(moved(MONDAY + timedelta(days=1)),))
    calendar_id, _ = await write_and_read(google_harness, event)
    before = google_harness.server.live_events(calendar_id)

    await google_harness.provider.put_event(calendar_id, event)

    after = google_harness.server.live_events(calendar_id)
    assert set(after) == set(before)
    (listed,) = (await google_harness.provider.changes(calendar_id, None)).changed
    assert fingerprint(listed) == fingerprint(event)


async def test_a_cancelled_override_of_an_instant_the_series_does_not_make_reads_back(
    google_harness: GoogleHarness,
) -> None:
    """It shows nothing; the master keeps its recurrence id (EXDATE plus CANCELLED)."""
    rid = MONDAY + 2 * WEEK
    cancelled = replace(moved(rid), start=rid, end=rid + timedelta(hours=1))
    event = weekly(
        exdate=(rid,), overrides=(replace(cancelled, status=EventStatus.CANCELLED),)
    )

    calendar_id, got = await write_and_read(google_harness, event)

    stored = google_harness.server.live_events(calendar_id)
    assert set(stored) == {SERIES_ID}
    assert CANCELLED_PROPERTY in private(stored[SERIES_ID])
    assert fingerprint(got) == fingerprint(event)


async def test_a_detached_override_the_series_no_longer_has_is_deleted(
    google_harness: GoogleHarness,
) -> None:
    """Rewriting the series without it deletes it, as Google resets an instance."""
    event = weekly(overrides=(moved(MONDAY + timedelta(days=1)),))
    calendar_id, _ = await write_and_read(google_harness, event)

    plain = replace(event, overrides=())
    await google_harness.provider.put_event(calendar_id, plain)

    assert set(google_harness.server.live_events(calendar_id)) == {SERIES_ID}
    (listed,) = (await google_harness.provider.changes(calendar_id, None)).changed
    assert fingerprint(listed) == fingerprint(plain)


async def test_deleting_a_series_deletes_its_detached_overrides(
    google_harness: GoogleHarness,
) -> None:
    """No orphan of a deleted copy stays behind in the combined calendar."""
    event = weekly(overrides=(moved(MONDAY + timedelta(days=1)),))
    calendar_id, _ = await write_and_read(google_harness, event)
    cursor = (await google_harness.provider.changes(calendar_id, None)).cursor

    await google_harness.provider.delete_event(calendar_id, SERIES_ID)

    assert google_harness.server.live_events(calendar_id) == {}
    later = await google_harness.provider.changes(calendar_id, cursor)
    assert later.changed == ()
    assert SERIES_ID in later.deleted


async def test_a_detached_override_changed_alone_brings_its_whole_series(
    google_harness: GoogleHarness,
) -> None:
    """A member edits the detached event by hand: the series comes, edit included."""
    event = weekly(overrides=(moved(MONDAY + timedelta(days=1)),))
    calendar_id, _ = await write_and_read(google_harness, event)
    cursor = (await google_harness.provider.changes(calendar_id, None)).cursor
    (detached,) = set(google_harness.server.live_events(calendar_id)) - {SERIES_ID}
    edited = google_harness.server.event(calendar_id, detached)
    assert edited is not None
    google_harness.server.update_event(
        calendar_id, detached, edited | {"summary": "Choir (edited)"}
    )

    later = await google_harness.provider.changes(calendar_id, cursor)

    (series,) = later.changed
    assert series.id == SERIES_ID
    assert [o.summary for o in series.overrides] == ["Choir (edited)"]
    assert later.requests == 4  # the listing, the master, its series, its detached


async def test_a_series_changed_alone_comes_with_its_detached_overrides(
    google_harness: GoogleHarness,
) -> None:
    """The master says it has detached overrides, so they are read with it."""
    event = weekly(overrides=(moved(MONDAY + timedelta(days=1)),))
    calendar_id, _ = await write_and_read(google_harness, event)
    cursor = (await google_harness.provider.changes(calendar_id, None)).cursor
    master = google_harness.server.event(calendar_id, SERIES_ID)
    assert master is not None
    google_harness.server.update_event(
        calendar_id, SERIES_ID, master | {"summary": "Choir (renamed)"}
    )

    (series,) = (await google_harness.provider.changes(calendar_id, cursor)).changed

    assert series.summary == "Choir (renamed)"
    assert [o.summary for o in series.overrides] == ["Choir (moved)"]


async def test_a_detached_override_deleted_by_hand_leaves_its_series(
    google_harness: GoogleHarness,
) -> None:
    """Its deletion alone is listed: the series the caller holds loses the change."""
    event = weekly(overrides=(moved(MONDAY + timedelta(days=1)),))
    calendar_id, _ = await write_and_read(google_harness, event)
    reader = google_harness.make_provider(google_harness.key)
    first = await reader.changes(calendar_id, None)
    (series,) = first.changed
    (detached,) = set(google_harness.server.live_events(calendar_id)) - {SERIES_ID}
    google_harness.server.delete_event(calendar_id, detached)

    later = await reader.changes(calendar_id, first.cursor, {SERIES_ID: series})

    assert detached in later.deleted
    (changed,) = later.changed
    assert changed.id == SERIES_ID
    assert changed.overrides == ()


async def test_a_hand_made_copy_of_a_detached_override_is_an_event_of_its_own(
    google_harness: GoogleHarness,
) -> None:
    """Duplicated in Google with its marks, it is not the series' change: it stands alone.

    The detached override itself, its times made unreadable, is left out of its
    series, which is reported as skipped.
    """
    event = weekly(overrides=(moved(MONDAY + timedelta(days=1)),))
    calendar_id, _ = await write_and_read(google_harness, event)
    (detached,) = set(google_harness.server.live_events(calendar_id)) - {SERIES_ID}
    original = google_harness.server.event(calendar_id, detached)
    assert original is not None
    duplicate = {
        key: value
        for key, value in original.items()
        if key in ("start", "end", "extendedProperties")
    }
    google_harness.server.put_raw(
        calendar_id, duplicate | {"id": "duplicate01", "summary": "Choir (copy)"}
    )
    google_harness.server.put_raw(
        calendar_id,
        original | {"start": {"dateTime": "soon"}, "summary": "Choir (broken)"},
    )

    listing = await google_harness.provider.changes(calendar_id, None)

    events = {found.id: found for found in listing.changed}
    assert set(events) == {SERIES_ID, "duplicate01"}
    assert events["duplicate01"].summary == "Choir (copy)"
    assert events[SERIES_ID].overrides == ()
    assert [skipped.id for skipped in listing.skipped] == [SERIES_ID]


async def test_an_override_google_refuses_as_an_instance_is_written_detached(
    google_harness: GoogleHarness,
) -> None:
    """Where Google's expansion and the engine's disagree, no 404 on every cycle.

    Without an RRULE, RFC 5545 counts the start as an occurrence and the engine
    does; gcal-sync's expansion (the fake's) does not, and answers 404.
    """
    event = weekly(
        rrule=None,
        rdate=(MONDAY + timedelta(days=2), MONDAY + timedelta(days=5)),
        overrides=(moved(MONDAY),),
    )

    calendar_id, got = await write_and_read(google_harness, event)

    stored = google_harness.server.live_events(calendar_id)
    assert len(stored) == 2
    assert private(stored[SERIES_ID])[DETACHED_PROPERTY] == "1"
    assert google_harness.server.count("events.patch") == 1  # marked after the 404
    assert fingerprint(got) == fingerprint(event)


# ------------------------------------------------------------------ markers


async def test_moved_occurrences_carry_the_marker_of_their_series(
    google_harness: GoogleHarness,
) -> None:
    """Every managed event in a combined calendar is marked, occurrences included.

    An occurrence without a marker of its own reads back without one (the series
    carries it); one with its own keeps it.
    """
    own = CopyMarker(source="another-group")
    event = weekly(
        overrides=(moved(MONDAY + WEEK), moved(MONDAY + 2 * WEEK, copy_of=own))
    )

    calendar_id, got = await write_and_read(google_harness, event)

    stored = google_harness.server.live_events(calendar_id)
    first = private(stored[f"{SERIES_ID}_20240115T090000Z"])
    second = private(stored[f"{SERIES_ID}_20240122T090000Z"])
    assert (first[MARKER_PROPERTY], first[INHERITED_PROPERTY]) == (MARKER.source, "1")
    assert second[MARKER_PROPERTY] == own.source
    assert INHERITED_PROPERTY not in second
    assert [o.copy_of for o in got.overrides] == [None, own]
    assert fingerprint(got) == fingerprint(event)


# ------------------------------------------------- what reads back as written


async def test_a_series_in_a_zone_google_does_not_know_is_written_in_utc(
    google_harness: GoogleHarness,
) -> None:
    """A zone without a name or a definition of its own (made in code) goes as UTC.

    It reads back in ZoneInfo("UTC"), the same instants; the engine counts such a
    zone as UTC. The summer occurrence (an hour earlier in UTC) is not one of the
    UTC series': its override is detached, not refused. (A zone read from a
    VTIMEZONE keeps its definition: see the next test.)
    """
    custom = tzstr("CET-1CEST,M3.5.0,M10.5.0/3")
    first = datetime(2024, 1, 8, 10, tzinfo=custom)
    winter, summer = first + WEEK, first + 26 * WEEK
    event = weekly(
        start=first,
        end=first + timedelta(hours=1),
        rrule="FREQ=WEEKLY;COUNT=30",
        overrides=(moved(winter), moved(summer)),
    )

    calendar_id, got = await write_and_read(google_harness, event)

    master = google_harness.server.event(calendar_id, SERIES_ID)
    assert master is not None
    assert master["start"] == {
        "dateTime": "2024-01-08T09:00:00+00:00",
        "timeZone": "UTC",
    }
    assert isinstance(got.start, datetime)
    assert got.start.tzinfo == ZoneInfo("UTC")
    assert len(google_harness.server.live_events(calendar_id)) == 3
    assert content(got) == content(event) | {"zone": "UTC"}


async def test_a_series_in_a_zone_of_its_own_definition_keeps_every_instant(
    google_harness: GoogleHarness,
) -> None:
    """Google knows IANA zones only: the series is written as its list of instants.

    Thursdays at 19:00 in the invented zone, across both its changes of daylight
    saving time: each occurrence is an RDATE in UTC, the summer one moved is an
    instance of it (not detached), and the copy reads back with the fingerprint
    it was written with.
    """
    first = datetime(2027, 3, 4, 19, tzinfo=LAKESIDE)
    summer = first + 20 * WEEK
    event = weekly(
        start=first,
        end=first + timedelta(minutes=90),
        rrule="FREQ=WEEKLY;COUNT=38",
        overrides=(moved(summer),),
    )

    calendar_id, got = await write_and_read(google_harness, event)

    master = google_harness.server.event(calendar_id, SERIES_ID)
    assert master is not None
    lines = master["recurrence"]
    assert len(lines) == 37
    assert all(line.startswith("RDATE:") and line.endswith("Z") for line in lines)
    assert master["start"]["timeZone"] == "UTC"
    window = (first - WEEK, first + 40 * WEEK)
    assert [
        (o.start, o.end, o.event.summary) for o in occurrences(got, *window, UTC)
    ] == [(o.start, o.end, o.event.summary) for o in occurrences(event, *window, UTC)]
    assert len(google_harness.server.live_events(calendar_id)) == 2
    assert fingerprint(got) == fingerprint(event)


async def test_a_lone_override_keeps_its_recurrence_id(
    google_harness: GoogleHarness,
) -> None:
    """An invitation to one occurrence, without its series, is a single event here."""
    for rid in (MONDAY + WEEK, date(2024, 1, 15)):
        event = moved(MONDAY + WEEK, id="10e0000001", recurrence_id=rid, copy_of=MARKER)

        calendar_id, got = await write_and_read(google_harness, event)

        stored = google_harness.server.event(calendar_id, event.id)
        assert RECURRENCE_PROPERTY in private(stored)
        assert got.recurrence_id == rid
        assert fingerprint(got) == fingerprint(event)


@pytest.mark.parametrize("by", ["sequence", "updated"])
async def test_of_two_overrides_of_one_occurrence_the_latest_version_wins(
    google_harness: GoogleHarness, by: str
) -> None:
    """The highest SEQUENCE wins, then the latest change (RFC 5545 3.8.7.4)."""
    rid = MONDAY + WEEK
    noon = datetime(2024, 1, 1, 12, tzinfo=UTC)
    if by == "sequence":
        newer = moved(rid, summary="Newer", sequence=2, updated=noon)
        older = moved(rid, summary="Older", sequence=1, updated=noon + WEEK)
    else:
        newer = moved(rid, summary="Newer", sequence=1, updated=noon + WEEK)
        older = moved(rid, summary="Older", sequence=1, updated=noon)
    event = weekly(overrides=(newer, older))

    _, got = await write_and_read(google_harness, event)

    assert [o.summary for o in got.overrides] == ["Newer"]
    assert fingerprint(got) == fingerprint(replace(event, overrides=(newer,)))


@pytest.mark.parametrize("series", [False, True], ids=["single", "series"])
async def test_a_zero_length_all_day_event_is_written_as_one_day(
    google_harness: GoogleHarness, series: bool
) -> None:
    """Holiday feeds write DTEND = DTSTART; Google holds one day, which shows the same."""
    day = date(2024, 5, 1)
    event = weekly(start=day, end=day, rrule="FREQ=YEARLY" if series else None)
    if series:
        next_year = date(2025, 5, 1)
        event = replace(
            event,
            overrides=(override(next_year, next_year, next_year, summary="Moved"),),
        )

    calendar_id, got = await write_and_read(google_harness, event)

    stored = google_harness.server.event(calendar_id, SERIES_ID)
    assert stored is not None
    assert stored["end"] == {"date": "2024-05-02"}
    assert fingerprint(got) == fingerprint(event)


# --------------------------------------------------------- several RRULEs


async def test_several_rrules_are_several_lines_and_expand_as_their_union(
    google_harness: GoogleHarness,
) -> None:
    """An occurrence only the second rule makes is an instance Google can change."""
    thursday = MONDAY + timedelta(days=10)
    event = weekly(
        rrule="FREQ=WEEKLY;BYDAY=MO;COUNT=3",
        extra_rrules=("FREQ=WEEKLY;BYDAY=TH;COUNT=2",),
        overrides=(moved(thursday),),
    )

    calendar_id, got = await write_and_read(google_harness, event)

    master = google_harness.server.event(calendar_id, SERIES_ID)
    assert master is not None
    assert master["recurrence"] == [
        "RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=3",
        "RRULE:FREQ=WEEKLY;BYDAY=TH;COUNT=2",
    ]
    stored = google_harness.server.live_events(calendar_id)
    assert set(stored) == {SERIES_ID, f"{SERIES_ID}_20240118T090000Z"}
    assert (got.rrule, got.extra_rrules) == (event.rrule, event.extra_rrules)
    assert fingerprint(got) == fingerprint(event)


async def test_a_google_series_with_several_rrules_reads_every_rule(
    google_harness: GoogleHarness,
) -> None:
    """Google keeps every RRULE line it is given; none is dropped on reading."""
    calendar_id = await google_harness.new_calendar("Family")
    google_harness.server.insert_event(
        calendar_id,
        {
            "id": SERIES_ID,
            "summary": "Choir",
            "start": {"dateTime": "2024-01-08T10:00:00", "timeZone": "Europe/Berlin"},
            "end": {"dateTime": "2024-01-08T11:00:00", "timeZone": "Europe/Berlin"},
            "recurrence": [
                "RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=3",
                "RRULE:FREQ=MONTHLY;BYMONTHDAY=20;COUNT=2",
            ],
        },
    )
    google_harness.server.update_event(
        calendar_id,
        f"{SERIES_ID}_20240220T090000Z",
        {
            "summary": "Choir (monthly)",
            "start": {"dateTime": "2024-02-20T10:00:00", "timeZone": "Europe/Berlin"},
            "end": {"dateTime": "2024-02-20T12:00:00", "timeZone": "Europe/Berlin"},
        },
    )

    (series,) = (await google_harness.provider.changes(calendar_id, None)).changed

    assert series.rrules == (
        "FREQ=WEEKLY;BYDAY=MO;COUNT=3",
        "FREQ=MONTHLY;BYMONTHDAY=20;COUNT=2",
    )
    assert [o.summary for o in series.overrides] == ["Choir (monthly)"]


# ---------------------------------------------------------------- sequence


async def test_sequence_is_carried_and_never_lowered(
    google_harness: GoogleHarness,
) -> None:
    """Insert with the source's SEQUENCE; an update below Google's keeps Google's.

    Google answers 400 "Invalid sequence value" to an update below the stored
    sequence: the provider repeats it without one, once.
    """
    calendar_id = await google_harness.new_calendar("Combined")
    provider, server = google_harness.provider, google_harness.server

    await provider.put_event(calendar_id, weekly(rrule=None, sequence=5))
    assert (await provider.get_event(calendar_id, SERIES_ID)).sequence == 5  # type: ignore[union-attr]

    await provider.put_event(calendar_id, weekly(rrule=None, sequence=7))
    assert (await provider.get_event(calendar_id, SERIES_ID)).sequence == 7  # type: ignore[union-attr]

    updates = server.count("events.update")
    stored = await provider.put_event(
        calendar_id, weekly(rrule=None, sequence=3, summary="Choir (renamed)")
    )
    assert server.count("events.update") - updates == 2
    assert (stored.summary, stored.sequence) == ("Choir (renamed)", 7)


async def test_the_fake_refuses_a_sequence_below_the_stored_one_and_raises_its_own(
    google_harness: GoogleHarness,
) -> None:
    """As Google does: 400 below the stored sequence; a move raises it by one."""
    server = google_harness.server
    calendar_id = server.create_calendar("Family")
    body = {
        "id": SERIES_ID,
        "start": {"dateTime": "2024-01-08T10:00:00+01:00"},
        "end": {"dateTime": "2024-01-08T11:00:00+01:00"},
    }
    assert server.insert_event(calendar_id, body | {"sequence": 3})["sequence"] == 3
    with pytest.raises(GoogleError, match="Invalid sequence value") as caught:
        server.update_event(calendar_id, SERIES_ID, body | {"sequence": 2})
    assert caught.value.status == 400
    later = {"dateTime": "2024-01-08T12:00:00+01:00"}
    assert (
        server.update_event(calendar_id, SERIES_ID, body | {"end": later})["sequence"]
        == 4
    )
    assert (
        server.update_event(calendar_id, SERIES_ID, body | {"sequence": 9})["sequence"]
        == 9
    )


# ------------------------------------------------------- quiet second cycle


def _source_kinds() -> list[Any]:
    """Return source events of every kind Google holds differently from the model."""
    custom = tzstr("CET-1CEST,M3.5.0,M10.5.0/3")
    first = datetime(2024, 1, 8, 10, tzinfo=custom)
    day = date(2024, 5, 1)
    rid = MONDAY + WEEK
    source = {"copy_of": None}
    return [
        pytest.param(
            weekly(**source, overrides=(moved(MONDAY + timedelta(days=1)),)),
            id="override-of-no-instance",
        ),
        pytest.param(
            weekly(
                **source,
                exdate=(rid,),
                overrides=(replace(moved(rid), status=EventStatus.CANCELLED),),
            ),
            id="cancelled-override-of-no-instance",
        ),
        pytest.param(
            moved(rid, id="10e0000001", sequence=3), id="lone-override-with-sequence"
        ),
        pytest.param(
            weekly(**source, start=day, end=day, rrule=None), id="zero-length-all-day"
        ),
        pytest.param(
            weekly(
                **source,
                start=day,
                end=day + timedelta(days=1),
                rrule="FREQ=DAILY;COUNT=5",
                overrides=(
                    override(
                        datetime(2024, 5, 3, tzinfo=UTC),
                        date(2024, 5, 10),
                        date(2024, 5, 11),
                    ),
                ),
            ),
            id="all-day-series-with-date-time-recurrence-id",
        ),
        pytest.param(
            weekly(
                **source,
                rrule="FREQ=WEEKLY;BYDAY=MO;COUNT=3",
                extra_rrules=("FREQ=WEEKLY;BYDAY=TH;COUNT=2",),
                sequence=4,
                overrides=(moved(MONDAY + timedelta(days=10), sequence=5),),
            ),
            id="several-rrules-and-sequence",
        ),
        pytest.param(
            weekly(
                **source,
                start=first,
                end=first + timedelta(hours=1),
                rrule="FREQ=WEEKLY;COUNT=30",
                overrides=(moved(first + 26 * WEEK),),
            ),
            id="zone-google-does-not-know",
        ),
        pytest.param(
            weekly(
                **source,
                start=datetime(2027, 3, 4, 19, tzinfo=LAKESIDE),
                end=datetime(2027, 3, 4, 20, tzinfo=LAKESIDE),
                rrule="FREQ=WEEKLY;BYDAY=TH",
                exdate=(datetime(2027, 3, 11, 19, tzinfo=LAKESIDE),),
                overrides=(moved(datetime(2027, 7, 1, 19, tzinfo=LAKESIDE)),),
            ),
            id="zone-of-its-own-definition",
        ),
        pytest.param(
            weekly(
                **source,
                overrides=(
                    moved(rid, summary="Newer", sequence=2),
                    moved(rid, summary="Older", sequence=1),
                ),
            ),
            id="duplicated-overrides",
        ),
    ]


def _writes(server: FakeGoogle) -> int:
    """Return how many event writes (insert, update, patch, delete) Google answered."""
    return sum(
        number
        for (method, route), number in server.requests.items()
        if route.startswith("events.") and method != "GET"
    )


@pytest.mark.parametrize("source", _source_kinds())
async def test_a_second_cycle_writes_no_google_copy_again(
    google_harness: GoogleHarness, source: Event
) -> None:
    """A copy that reads back as it was written is left alone on every later cycle."""
    memory = MemoryProvider("memory")
    members = []
    for name in ("Anna", "Ben"):
        memory.add_calendar(f"{name}-own")
        combined = await google_harness.new_calendar(f"{name}'s combined calendar")
        members.append(
            Member(
                id=name.lower(),
                name=name,
                sources=(CalendarRef(account="memory", calendar_id=f"{name}-own"),),
                combined=CalendarRef(account="google", calendar_id=combined),
            )
        )
    memory.write("Anna-own", source)

    async def keep() -> None:
        """Keep the state in memory only."""

    cycle = SyncCycle(
        providers={"memory": memory, "google": google_harness.provider},
        state=SyncState(),
        save=keep,
    )
    first = await cycle.run(members, PlanOptions())
    assert (first.created, first.errors) == (1, {})
    written = _writes(google_harness.server)
    for _ in range(2):
        report = await cycle.run(members, PlanOptions())
        assert (report.created, report.updated, report.deleted) == (0, 0, 0)
        assert report.errors == {}
    assert _writes(google_harness.server) == written
