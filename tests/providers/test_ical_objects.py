"""Calendar objects as real clients write them, read occurrence by occurrence.

Each case is read by `events_from_ical` and expanded by the engine, then compared
with `recurring_ical_events` (an independent RFC 5545 reader) on the same text:
start and end instants and title of every occurrence. Where this project reads a
case differently from that library on purpose, the case says so and lists what
it expects.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Timezone as VTimezone
import pytest
import recurring_ical_events

from custom_components.shared_calendars.engine.content import instant
from custom_components.shared_calendars.engine.defined_zones import DefinedZone
from custom_components.shared_calendars.engine.model import DateOrDateTime
from custom_components.shared_calendars.engine.occurrences import occurrences_of
from custom_components.shared_calendars.providers.ical import (
    defined_zones,
    event_to_ical,
)
from custom_components.shared_calendars.providers.ical_objects import events_from_ical
from custom_components.shared_calendars.providers.zones import iana_zone_like
from tests.invented_zone import INVENTED_FIXTURE, LAKESIDE

WINDOW = (datetime(2027, 1, 1, tzinfo=UTC), datetime(2027, 4, 1, tzinfo=UTC))
YEAR = (datetime(2027, 1, 1, tzinfo=UTC), datetime(2028, 1, 1, tzinfo=UTC))
ZONE = ZoneInfo("Europe/Berlin")
"""The calendar's zone: floating times are read in it, by both readers."""

type Seen = list[tuple[datetime, datetime, str]]


def ics(*lines: str) -> str:
    """Wrap VEVENT lines in a VCALENDAR, with CRLF as clients send it."""
    return "\r\n".join(
        [
            "BEGIN:VCALENDAR",
            "VERSION:2.0",
            "PRODID:-//test//EN",
            *lines,
            "END:VCALENDAR",
            "",
        ]
    )


def _moment(value: DateOrDateTime) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=ZONE)
    return datetime.combine(value, time.min, ZONE)


def ours(text: str, window: tuple[datetime, datetime] = WINDOW) -> Seen:
    """Occurrences as the integration reads them."""
    events = events_from_ical(text, "object", floating=ZONE)
    return sorted(
        (instant(o.start, ZONE), instant(o.end, ZONE), o.event.summary)
        for o in occurrences_of(events, *window, ZONE)
    )


def reference(text: str, window: tuple[datetime, datetime] = WINDOW) -> Seen:
    """Occurrences as recurring-ical-events reads them."""
    calendar = Calendar.from_ical(text)
    found: Seen = []
    for event in recurring_ical_events.of(calendar).between(*window):
        start, end = event["DTSTART"].dt, event["DTEND"].dt
        if not isinstance(start, datetime) and end == start:
            end = start + timedelta(days=1)  # zero-length all-day: shown as its day
        found.append((_moment(start), _moment(end), str(event.get("SUMMARY", ""))))
    return sorted(found)


CASES = {
    # RFC 5545 3.8.4.4: a change to this and every later occurrence (Apple, Outlook).
    "this_and_future": ics(
        "BEGIN:VEVENT",
        "UID:swim",
        "DTSTART;TZID=Europe/Berlin:20270104T090000",
        "DTEND;TZID=Europe/Berlin:20270104T100000",
        "RRULE:FREQ=WEEKLY;COUNT=8",
        "SUMMARY:Swim",
        "END:VEVENT",
        "BEGIN:VEVENT",
        "UID:swim",
        "RECURRENCE-ID;RANGE=THISANDFUTURE;TZID=Europe/Berlin:20270118T090000",
        "DTSTART;TZID=Europe/Berlin:20270118T110000",
        "DTEND;TZID=Europe/Berlin:20270118T113000",
        "SUMMARY:Swim late",
        "END:VEVENT",
    ),
    # The same with UNTIL and a move to the next day (weekday follows).
    "this_and_future_next_day": ics(
        "BEGIN:VEVENT",
        "UID:choir",
        "DTSTART;TZID=Europe/Berlin:20270105T190000",
        "DTEND;TZID=Europe/Berlin:20270105T210000",
        "RRULE:FREQ=WEEKLY;BYDAY=TU;UNTIL=20270330T180000Z",
        "SUMMARY:Choir",
        "END:VEVENT",
        "BEGIN:VEVENT",
        "UID:choir",
        "RECURRENCE-ID;RANGE=THISANDFUTURE;TZID=Europe/Berlin:20270202T190000",
        "DTSTART;TZID=Europe/Berlin:20270203T190000",
        "DTEND;TZID=Europe/Berlin:20270203T210000",
        "SUMMARY:Choir (Wednesdays)",
        "END:VEVENT",
    ),
    # RFC 2445 allowed several RRULEs; old Lotus/Outlook exports still carry them.
    "two_rrules": ics(
        "BEGIN:VEVENT",
        "UID:two",
        "DTSTART:20270104T090000Z",
        "DTEND:20270104T100000Z",
        "RRULE:FREQ=WEEKLY;COUNT=4",
        "RRULE:FREQ=WEEKLY;BYDAY=WE;COUNT=3",
        "SUMMARY:Two rules",
        "END:VEVENT",
    ),
    # An invitation sent twice (iTIP REQUEST, SEQUENCE raised): the newer master wins.
    "resent_master": ics(
        "BEGIN:VEVENT",
        "UID:resent",
        "SEQUENCE:2",
        "DTSTAMP:20261201T100000Z",
        "DTSTART:20270105T090000Z",
        "DTEND:20270105T100000Z",
        "SUMMARY:New time",
        "END:VEVENT",
        "BEGIN:VEVENT",
        "UID:resent",
        "SEQUENCE:1",
        "DTSTAMP:20261101T100000Z",
        "DTSTART:20270104T090000Z",
        "DTEND:20270104T100000Z",
        "SUMMARY:Old time",
        "END:VEVENT",
    ),
    # Outlook writes RECURRENCE-ID as a DATE-TIME even on all-day series.
    "datetime_rid_on_all_day": ics(
        "BEGIN:VEVENT",
        "UID:ad",
        "DTSTART;VALUE=DATE:20270104",
        "DTEND;VALUE=DATE:20270105",
        "RRULE:FREQ=DAILY;UNTIL=20270107T000000Z",
        "SUMMARY:Camp",
        "END:VEVENT",
        "BEGIN:VEVENT",
        "UID:ad",
        "RECURRENCE-ID:20270105T000000",
        "DTSTART;VALUE=DATE:20270105",
        "DTEND;VALUE=DATE:20270106",
        "SUMMARY:Camp (trip)",
        "END:VEVENT",
    ),
    # Google exports a recurrence id in UTC on a zoned series.
    "utc_rid_on_zoned": ics(
        "BEGIN:VEVENT",
        "UID:z",
        "DTSTART;TZID=America/New_York:20270104T090000",
        "DTEND;TZID=America/New_York:20270104T100000",
        "RRULE:FREQ=DAILY;COUNT=3",
        "SUMMARY:Standup",
        "END:VEVENT",
        "BEGIN:VEVENT",
        "UID:z",
        "RECURRENCE-ID:20270105T140000Z",
        "DTSTART;TZID=America/New_York:20270105T110000",
        "DTEND;TZID=America/New_York:20270105T120000",
        "SUMMARY:Standup (late)",
        "END:VEVENT",
    ),
    # RFC 5545 3.8.5.2: an extra date with its own end.
    "rdate_period": ics(
        "BEGIN:VEVENT",
        "UID:p",
        "DTSTART:20270104T090000Z",
        "DTEND:20270104T100000Z",
        "RRULE:FREQ=WEEKLY;COUNT=2",
        "RDATE;VALUE=PERIOD:20270106T150000Z/20270106T180000Z,20270107T150000Z/PT30M",
        "SUMMARY:Clinic",
        "END:VEVENT",
    ),
    # Hand-written and converted feeds: an end before the start is swapped.
    "end_before_start": ics(
        "BEGIN:VEVENT",
        "UID:rev",
        "DTSTART:20270104T100000Z",
        "DTEND:20270104T090000Z",
        "SUMMARY:Reversed",
        "END:VEVENT",
    ),
    # A DATE start with a DATE-TIME end: a timed event from that midnight.
    "date_start_datetime_end": ics(
        "BEGIN:VEVENT",
        "UID:mixed",
        "DTSTART;VALUE=DATE:20270104",
        "DTEND:20270105T150000Z",
        "SUMMARY:Mixed",
        "END:VEVENT",
    ),
    # Holiday feeds write DTEND = DTSTART for a whole day.
    "zero_length_all_day": ics(
        "BEGIN:VEVENT",
        "UID:hol",
        "DTSTART;VALUE=DATE:20270106",
        "DTEND;VALUE=DATE:20270106",
        "SUMMARY:Epiphany",
        "END:VEVENT",
    ),
    # An invitation to two occurrences of someone's series, without the series.
    "only_overrides": ics(
        "BEGIN:VEVENT",
        "UID:inv",
        "RECURRENCE-ID:20270105T090000Z",
        "DTSTART:20270105T090000Z",
        "DTEND:20270105T100000Z",
        "SUMMARY:Review",
        "END:VEVENT",
        "BEGIN:VEVENT",
        "UID:inv",
        "RECURRENCE-ID:20270112T090000Z",
        "DTSTART:20270112T100000Z",
        "DTEND:20270112T110000Z",
        "SUMMARY:Review (moved)",
        "END:VEVENT",
    ),
    # Some servers' exports put two events in one object.
    "two_uids": ics(
        "BEGIN:VEVENT",
        "UID:first",
        "DTSTART:20270104T090000Z",
        "DTEND:20270104T100000Z",
        "SUMMARY:First",
        "END:VEVENT",
        "BEGIN:VEVENT",
        "UID:second",
        "DTSTART:20270104T120000Z",
        "DTEND:20270104T130000Z",
        "RRULE:FREQ=DAILY;COUNT=2",
        "SUMMARY:Second",
        "END:VEVENT",
    ),
    # A this-and-future change of an all-day series, a day later, with later extra
    # and excluded dates and a moved occurrence, which move along.
    "this_and_future_all_day": ics(
        "BEGIN:VEVENT",
        "UID:bins",
        "DTSTART;VALUE=DATE:20270104",
        "DTEND;VALUE=DATE:20270105",
        "RRULE:FREQ=WEEKLY;BYDAY=MO;UNTIL=20270329",
        "EXDATE;VALUE=DATE:20270301",
        "RDATE;VALUE=DATE:20270120,20270310",
        "SUMMARY:Bins",
        "END:VEVENT",
        "BEGIN:VEVENT",
        "UID:bins",
        "RECURRENCE-ID;VALUE=DATE:20270208",
        "DTSTART;VALUE=DATE:20270210",
        "DTEND;VALUE=DATE:20270211",
        "SUMMARY:Bins (late)",
        "END:VEVENT",
        "BEGIN:VEVENT",
        "UID:bins",
        "RECURRENCE-ID;RANGE=THISANDFUTURE;VALUE=DATE:20270201",
        "DTSTART;VALUE=DATE:20270202",
        "DTEND;VALUE=DATE:20270203",
        "SUMMARY:Bins (Tuesdays)",
        "END:VEVENT",
    ),
    # A this-and-future change from the first occurrence on changes the whole series.
    "this_and_future_from_the_start": ics(
        "BEGIN:VEVENT",
        "UID:all",
        "DTSTART:20270104T090000Z",
        "DTEND:20270104T100000Z",
        "RRULE:FREQ=WEEKLY;COUNT=4",
        "SUMMARY:Yoga",
        "END:VEVENT",
        "BEGIN:VEVENT",
        "UID:all",
        "RECURRENCE-ID;RANGE=THISANDFUTURE:20270104T090000Z",
        "DTSTART:20270104T170000Z",
        "DTEND:20270104T180000Z",
        "SUMMARY:Yoga (evenings)",
        "END:VEVENT",
    ),
    # A rule that pins its days ("the first Monday") cannot be moved a day as a
    # rule: the later occurrences are listed as dates.
    "this_and_future_first_monday": ics(
        "BEGIN:VEVENT",
        "UID:club",
        "DTSTART;TZID=Europe/Berlin:20270104T190000",
        "DTEND;TZID=Europe/Berlin:20270104T210000",
        "RRULE:FREQ=MONTHLY;BYDAY=1MO;COUNT=4",
        "SUMMARY:Book club",
        "END:VEVENT",
        "BEGIN:VEVENT",
        "UID:club",
        "RECURRENCE-ID;RANGE=THISANDFUTURE;TZID=Europe/Berlin:20270201T190000",
        "DTSTART;TZID=Europe/Berlin:20270202T193000",
        "DTEND;TZID=Europe/Berlin:20270202T213000",
        "SUMMARY:Book club (Tuesdays)",
        "END:VEVENT",
    ),
    # A rule that pins its hours, moved to later hours: listed too.
    "this_and_future_by_hour": ics(
        "BEGIN:VEVENT",
        "UID:meds",
        "DTSTART:20270104T080000Z",
        "DTEND:20270104T081500Z",
        "RRULE:FREQ=DAILY;BYHOUR=8,20;COUNT=10",
        "SUMMARY:Medicine",
        "END:VEVENT",
        "BEGIN:VEVENT",
        "UID:meds",
        "RECURRENCE-ID;RANGE=THISANDFUTURE:20270106T080000Z",
        "DTSTART:20270106T090000Z",
        "DTEND:20270106T091500Z",
        "SUMMARY:Medicine (later)",
        "END:VEVENT",
    ),
    # Two rules, one over before the change: only the other goes on.
    "this_and_future_two_rules": ics(
        "BEGIN:VEVENT",
        "UID:tr",
        "DTSTART:20270104T090000Z",
        "DTEND:20270104T100000Z",
        "RRULE:FREQ=WEEKLY;COUNT=6",
        "RRULE:FREQ=DAILY;COUNT=2",
        "RRULE:FREQ=DAILY;UNTIL=20270106T090000Z",
        "SUMMARY:Training",
        "END:VEVENT",
        "BEGIN:VEVENT",
        "UID:tr",
        "RECURRENCE-ID;RANGE=THISANDFUTURE:20270118T090000Z",
        "DTSTART:20270118T100000Z",
        "DTEND:20270118T110000Z",
        "SUMMARY:Training (later)",
        "END:VEVENT",
    ),
    # An extra date as a period as long as the others, and one already moved.
    "rdate_period_plain_and_overridden": ics(
        "BEGIN:VEVENT",
        "UID:pp",
        "DTSTART:20270104T090000Z",
        "DTEND:20270104T100000Z",
        "RRULE:FREQ=WEEKLY;COUNT=2",
        "RDATE;VALUE=PERIOD:20270106T150000Z/PT1H,20270107T150000Z/PT2H",
        "SUMMARY:Clinic",
        "END:VEVENT",
        "BEGIN:VEVENT",
        "UID:pp",
        "RECURRENCE-ID:20270107T150000Z",
        "DTSTART:20270107T160000Z",
        "DTEND:20270107T163000Z",
        "SUMMARY:Clinic (short)",
        "END:VEVENT",
    ),
    # A cancelled override of an excluded occurrence: nothing shows that day.
    "cancelled_override_of_excluded": ics(
        "BEGIN:VEVENT",
        "UID:cx",
        "DTSTART:20270104T090000Z",
        "DTEND:20270104T100000Z",
        "RRULE:FREQ=DAILY;COUNT=3",
        "EXDATE:20270105T090000Z",
        "SUMMARY:Shift",
        "END:VEVENT",
        "BEGIN:VEVENT",
        "UID:cx",
        "RECURRENCE-ID:20270105T090000Z",
        "STATUS:CANCELLED",
        "DTSTART:20270105T150000Z",
        "DTEND:20270105T160000Z",
        "SUMMARY:Shift (swapped)",
        "END:VEVENT",
    ),
    # An override past COUNT still shows, as its own occurrence.
    "override_past_count": ics(
        "BEGIN:VEVENT",
        "UID:pc",
        "DTSTART:20270104T090000Z",
        "DTEND:20270104T100000Z",
        "RRULE:FREQ=DAILY;COUNT=3",
        "SUMMARY:Course",
        "END:VEVENT",
        "BEGIN:VEVENT",
        "UID:pc",
        "RECURRENCE-ID:20270110T090000Z",
        "DTSTART:20270110T120000Z",
        "DTEND:20270110T130000Z",
        "SUMMARY:Course (extra)",
        "END:VEVENT",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_every_occurrence_is_read_as_rfc_readers_read_it(case: str) -> None:
    """Start, end and title of every occurrence match the independent reader."""
    expected = reference(CASES[case])
    assert expected, "the case has occurrences in the window"
    assert ours(CASES[case]) == expected


def test_the_reference_reads_this_and_future_as_expected() -> None:
    """A guard on the oracle: the later weeks move to 11:00 and take the new title."""
    found = reference(CASES["this_and_future"])
    assert [(start.astimezone(ZONE).hour, title) for start, _, title in found] == [
        (9, "Swim"),
        (9, "Swim"),
    ] + [(11, "Swim late")] * 6


def test_this_and_future_becomes_two_series_as_google_stores_them() -> None:
    """The first series ends before the change; the second carries the rest."""
    head, tail = events_from_ical(CASES["this_and_future"], "object")
    assert (head.id, head.rrule) == ("object", "FREQ=WEEKLY;COUNT=2")
    assert (tail.id, tail.ical_uid, tail.rrule, tail.summary) == (
        "object/from-20270118T080000Z",
        "swim_R20270118T080000Z",
        "FREQ=WEEKLY;COUNT=6",
        "Swim late",
    )


def test_an_override_older_than_its_master_is_stale() -> None:
    """A lower SEQUENCE than the master's: dropped (recurring-ical-events keeps it)."""
    text = ics(
        "BEGIN:VEVENT",
        "UID:st",
        "SEQUENCE:3",
        "DTSTART:20270104T090000Z",
        "DTEND:20270104T100000Z",
        "RRULE:FREQ=DAILY;COUNT=3",
        "SUMMARY:Lesson",
        "END:VEVENT",
        "BEGIN:VEVENT",
        "UID:st",
        "SEQUENCE:1",
        "RECURRENCE-ID:20270105T090000Z",
        "DTSTART:20270105T120000Z",
        "DTEND:20270105T130000Z",
        "SUMMARY:Lesson (old move)",
        "END:VEVENT",
    )
    assert [(s.day, s.hour, t) for s, _, t in ours(text)] == [
        (4, 9, "Lesson"),
        (5, 9, "Lesson"),
        (6, 9, "Lesson"),
    ]


def test_an_override_of_an_excluded_occurrence_still_shows() -> None:
    """EXDATE'd but overridden: shown on its own (recurring-ical-events hides it)."""
    text = ics(
        "BEGIN:VEVENT",
        "UID:ex",
        "DTSTART:20270104T090000Z",
        "DTEND:20270104T100000Z",
        "RRULE:FREQ=DAILY;COUNT=3",
        "EXDATE:20270105T090000Z",
        "SUMMARY:Shift",
        "END:VEVENT",
        "BEGIN:VEVENT",
        "UID:ex",
        "RECURRENCE-ID:20270105T090000Z",
        "DTSTART:20270105T150000Z",
        "DTEND:20270105T160000Z",
        "SUMMARY:Shift (swapped)",
        "END:VEVENT",
    )
    events = events_from_ical(text, "object")
    assert [(e.id, e.recurring) for e in events] == [
        ("object", True),
        ("object/on-20270105T090000Z", False),
    ]
    assert [(s.day, s.hour, t) for s, _, t in ours(text)] == [
        (4, 9, "Shift"),
        (5, 15, "Shift (swapped)"),
        (6, 9, "Shift"),
    ]


def test_a_date_recurrence_id_on_a_timed_series_means_that_days_occurrence() -> None:
    """Moved that day (recurring-ical-events shows it beside the unmoved one)."""
    text = ics(
        "BEGIN:VEVENT",
        "UID:dr",
        "DTSTART:20270104T090000Z",
        "DTEND:20270104T100000Z",
        "RRULE:FREQ=DAILY;COUNT=3",
        "SUMMARY:Walk",
        "END:VEVENT",
        "BEGIN:VEVENT",
        "UID:dr",
        "RECURRENCE-ID;VALUE=DATE:20270105",
        "DTSTART:20270105T160000Z",
        "DTEND:20270105T170000Z",
        "SUMMARY:Walk (afternoon)",
        "END:VEVENT",
    )
    assert [(s.day, s.hour, t) for s, _, t in ours(text)] == [
        (4, 9, "Walk"),
        (5, 16, "Walk (afternoon)"),
        (6, 9, "Walk"),
    ]


def test_until_is_written_as_the_series_start_wants_it() -> None:
    """A UTC UNTIL on an all-day series becomes a DATE, a local one on a zoned series UTC."""
    all_day = events_from_ical(CASES["datetime_rid_on_all_day"], "object")[0]
    zoned = events_from_ical(
        ics(
            "BEGIN:VEVENT",
            "UID:u",
            "DTSTART;TZID=Europe/Berlin:20270104T090000",
            "DTEND;TZID=Europe/Berlin:20270104T100000",
            "RRULE:FREQ=DAILY;UNTIL=20270106T090000",
            "END:VEVENT",
        ),
        "object",
    )[0]
    assert all_day.rrule == "FREQ=DAILY;UNTIL=20270107"
    assert all_day.overrides[0].recurrence_id == date(2027, 1, 5)
    assert zoned.rrule == "FREQ=DAILY;UNTIL=20270106T080000Z"


# Outlook names a zone its user edited "Customized Time Zone", with EU rules inside.
CUSTOM_ZONE = ics(
    "BEGIN:VTIMEZONE",
    "TZID:Customized Time Zone",
    "BEGIN:STANDARD",
    "DTSTART:16010101T030000",
    "TZOFFSETFROM:+0200",
    "TZOFFSETTO:+0100",
    "RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=10",
    "END:STANDARD",
    "BEGIN:DAYLIGHT",
    "DTSTART:16010101T020000",
    "TZOFFSETFROM:+0100",
    "TZOFFSETTO:+0200",
    "RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=3",
    "END:DAYLIGHT",
    "END:VTIMEZONE",
    "BEGIN:VEVENT",
    "UID:040000008200E00074C5B7101A82E00800000000",
    "DTSTART;TZID=Customized Time Zone:20270315T180000",
    "DTEND;TZID=Customized Time Zone:20270315T190000",
    "RRULE:FREQ=WEEKLY;COUNT=3",
    "SUMMARY:Yoga",
    "X-MICROSOFT-CDO-BUSYSTATUS:BUSY",
    "END:VEVENT",
)


def test_a_zone_only_a_vtimezone_defines_becomes_its_iana_zone() -> None:
    """EU rules under an Outlook name: an IANA zone with the same changes, 18:00 kept."""
    series = events_from_ical(CUSTOM_ZONE, "object")[0]
    assert isinstance(series.start, datetime)
    zone = series.start.tzinfo
    assert isinstance(zone, ZoneInfo)
    for day in (
        date(2027, 1, 10),
        date(2027, 3, 28),
        date(2027, 7, 1),
        date(2027, 10, 31),
    ):
        moment = datetime.combine(day, time(12), UTC)
        assert (
            moment.astimezone(zone).utcoffset() == moment.astimezone(ZONE).utcoffset()
        )
    assert [
        (s.month, s.day, s.astimezone(zone).hour) for s, _, _ in ours(CUSTOM_ZONE)
    ] == [
        (3, 15, 18),
        (3, 22, 18),
        (3, 29, 18),
    ]
    assert ours(CUSTOM_ZONE) == reference(CUSTOM_ZONE)


def test_a_floating_bound_beside_a_utc_one_is_read_in_the_calendars_zone() -> None:
    """Each bound as clients show it (recurring-ical-events gives the start the end's zone).

    10:00 floating in Berlin to 10:00 UTC (12:00 in Berlin): two hours.
    """
    text = ics(
        "BEGIN:VEVENT",
        "UID:fu",
        "DTSTART:20270104T100000",
        "DTEND:20270104T100000Z",
        "SUMMARY:Float",
        "END:VEVENT",
    )
    assert ours(text) == [
        (
            datetime(2027, 1, 4, 10, tzinfo=ZONE),
            datetime(2027, 1, 4, 11, tzinfo=ZONE),
            "Float",
        )
    ]


def test_a_zone_of_its_own_invention_is_kept_with_its_definition() -> None:
    """No IANA zone keeps its times: the zone stays as defined, read and written back.

    Every occurrence falls where recurring-ical-events puts it, on both sides of
    both changes of daylight saving time; written back, the object carries TZID and
    the VTIMEZONE, and reads back as the same series in the same zone.
    """
    text = INVENTED_FIXTURE.read_text()
    series = events_from_ical(text, "object")[0]
    assert isinstance(series.start, datetime)
    assert series.start.tzinfo is LAKESIDE
    assert iana_zone_like(LAKESIDE, LAKESIDE.tzid, series.start) is None
    assert ours(text, YEAR) == reference(text, YEAR)
    assert len(ours(text, YEAR)) == 37

    written = event_to_ical(series, stamp=datetime(2027, 1, 1, tzinfo=UTC)).decode()
    again = events_from_ical(written, "object")[0]

    assert written.count("BEGIN:VTIMEZONE") == 1
    assert "DTSTART;TZID=Lakeside Time:20270304T190000" in written
    assert again == series
    assert again.start.tzinfo is LAKESIDE  # type: ignore[union-attr]
    assert again.overrides[0].start.tzinfo is LAKESIDE  # type: ignore[union-attr]


def test_two_objects_may_define_one_zone_name_differently() -> None:
    """Outlook names every zone its user edited "Customized Time Zone".

    icalendar keeps the first definition of a TZID it meets for the whole process;
    each object is read with its own: the EU rules as Europe/Berlin, the invented
    ones as they are, whichever comes first.
    """
    for order in range(2):
        name = f"Customized Time Zone {order}"
        eu = CUSTOM_ZONE.replace("Customized Time Zone", name)
        invented = (
            INVENTED_FIXTURE.read_text()
            .replace("Lakeside Time", name)
            .replace("20270304T", "20270311T")  # another series, from a week later
        )
        texts = [eu, invented] if order else [invented, eu]
        read = {text: events_from_ical(text, "object")[0] for text in texts}

        eu_start = read[eu].start
        invented_start = read[invented].start
        assert isinstance(eu_start, datetime)
        assert isinstance(invented_start, datetime)
        assert isinstance(eu_start.tzinfo, ZoneInfo)
        assert isinstance(invented_start.tzinfo, DefinedZone)
        assert [s.astimezone(ZONE).hour for s, _, _ in ours(eu)] == [18, 18, 18]
        evenings = [
            s.astimezone(invented_start.tzinfo) for s, _, _ in ours(invented, YEAR)
        ]
        assert {(s.hour, s.minute) for s in evenings} == {(19, 0), (20, 0)}
        assert evenings[4] == datetime(2027, 4, 8, 18, tzinfo=UTC)


def _version(summary: str, *stamps: str) -> list[str]:
    """Return a master VEVENT of UID `resent` at SEQUENCE 1 with these stamp lines."""
    return [
        "BEGIN:VEVENT",
        "UID:resent",
        "SEQUENCE:1",
        *stamps,
        "DTSTART:20270104T090000Z",
        "DTEND:20270104T100000Z",
        f"SUMMARY:{summary}",
        "END:VEVENT",
    ]


@pytest.mark.parametrize(
    ("older", "newer"),
    [
        (
            _version("Old", "DTSTAMP:20261101T100000Z"),
            _version("New", "DTSTAMP:20261201T100000Z"),
        ),
        (
            _version(
                "Old", "DTSTAMP:20261201T100000Z", "LAST-MODIFIED:20261101T100000Z"
            ),
            _version(
                "New", "DTSTAMP:20261201T100000Z", "LAST-MODIFIED:20261115T100000Z"
            ),
        ),
    ],
    ids=["dtstamp", "last-modified"],
)
def test_of_two_versions_with_one_sequence_the_later_stamp_wins(
    older: list[str], newer: list[str]
) -> None:
    """At equal SEQUENCE the later DTSTAMP wins, then the later LAST-MODIFIED.

    Whichever of the two the object holds first (RFC 5545 3.8.7.2, 3.8.7.3).
    """
    for first, second in ((older, newer), (newer, older)):
        (event,) = events_from_ical(ics(*first, *second), "object")
        assert event.summary == "New"


def test_a_zone_definition_is_read_as_icalendar_reads_it() -> None:
    """A DATE onset counts from midnight; a definition dateutil refuses is left out."""
    text = (
        INVENTED_FIXTURE.read_text()
        .replace("Lakeside Time", "Lakeside Time (dates)")
        .replace("DTSTART:19701004T030000", "DTSTART;VALUE=DATE:19701004")
    )
    (zone,) = defined_zones(Calendar.from_ical(text)).values()
    assert "DTSTART:19701004T000000" in zone.definition
    assert datetime(2027, 10, 7, 19, tzinfo=zone).utcoffset() == timedelta(hours=1)

    refused = Calendar()
    refused.add_component(VTimezone.from_ical(LAKESIDE.definition))
    refused.walk("STANDARD")[0].add("TZURL", "https://example.org/lakeside")
    assert defined_zones(refused) == {}
