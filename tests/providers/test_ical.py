"""iCalendar <-> model conversion (pure, no server)."""

from __future__ import annotations

from dataclasses import fields, replace
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import given, settings
import pytest

from custom_components.shared_calendars.engine.model import (
    CopyMarker,
    Event,
    EventColor,
    EventStatus,
    Transparency,
)
from custom_components.shared_calendars.providers.ical import (
    CSS_COLORS,
    EVENT_COLOR_CSS,
    event_color_from_css,
    event_to_ical,
    timezone_from_vtimezone,
    zone_from_tzid,
)
from custom_components.shared_calendars.providers.ical_objects import (
    event_from_ical,
    events_from_ical,
)
from tests.strategies import assert_identical, events, zone_key

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
STAMP = datetime(2026, 1, 1, tzinfo=UTC)


def ics(*lines: str) -> bytes:
    """Wrap VEVENT lines (and others) in a VCALENDAR."""
    return "\r\n".join(
        [
            "BEGIN:VCALENDAR",
            "VERSION:2.0",
            "PRODID:-//test//EN",
            *lines,
            "END:VCALENDAR",
            "",
        ]
    ).encode()


def read(*lines: str, **kwargs: Any) -> Event:
    """Read one event from VEVENT lines."""
    event = event_from_ical(ics(*lines), "id", **kwargs)
    assert event is not None
    return event


def round_trip(event: Event) -> Event:
    """Write an event and read it back."""
    back = event_from_ical(event_to_ical(event, stamp=STAMP), event.id)
    assert back is not None
    return back


def a_series() -> Event:
    """Return a weekly series using every field, with a moved and a cancelled date."""
    start = datetime(2026, 3, 2, 9, tzinfo=BERLIN)
    week = timedelta(weeks=1)
    moved = Event(
        id="series",
        ical_uid="series@test",
        summary="Standup, later; today",
        start=start + week + timedelta(hours=3),
        end=start + week + timedelta(hours=4),
        recurrence_id=start + week,
        location="Room 2",
    )
    cancelled = Event(
        id="series",
        ical_uid="series@test",
        start=start + 2 * week,
        end=start + 2 * week + timedelta(hours=1),
        recurrence_id=start + 2 * week,
        status=EventStatus.CANCELLED,
    )
    return Event(
        id="series",
        ical_uid="series@test",
        summary="Standup",
        description="Line one\nLine two, with comma; and semicolon",
        location="Room 1",
        start=start,
        end=start + timedelta(hours=1),
        rrule="FREQ=WEEKLY;BYDAY=MO;UNTIL=20260601T000000Z",
        rdate=(datetime(2026, 3, 4, 9, tzinfo=BERLIN),),
        exdate=(start + 3 * week, datetime(2026, 3, 30, 7, tzinfo=UTC)),
        overrides=(moved, cancelled),
        status=EventStatus.TENTATIVE,
        transparency=Transparency.TRANSPARENT,
        color=EventColor.BANANA,
        organizer="anna@example.com",
        updated=datetime(2026, 1, 5, 12, tzinfo=UTC),
        copy_of=CopyMarker(source="google:family@example.com:abc"),
    )


# -- round trips -------------------------------------------------------------------------


def test_a_series_with_every_field_survives_a_round_trip() -> None:
    """Model -> iCalendar -> model loses nothing and shifts nothing."""
    series = a_series()

    assert_identical(round_trip(series), series)


def test_a_series_is_written_as_one_object_with_its_overrides() -> None:
    """One VCALENDAR: the series, then each override with its RECURRENCE-ID."""
    text = event_to_ical(a_series(), stamp=STAMP).decode()

    assert text.count("BEGIN:VEVENT") == 3
    assert text.count("UID:series@test") == 3
    assert "RECURRENCE-ID;TZID=Europe/Berlin:20260309T090000" in text
    assert "RECURRENCE-ID;TZID=Europe/Berlin:20260316T090000" in text
    assert "STATUS:CANCELLED" in text
    assert text.count("BEGIN:VTIMEZONE") == 1
    assert "TZID:Europe/Berlin" in text
    assert "EXDATE;TZID=Europe/Berlin:20260323T090000" in text
    assert "EXDATE:20260330T070000Z" in text
    assert "DTSTAMP:20260101T000000Z" in text
    assert "X-SHARED-CALENDARS-SOURCE:google:family@example.com:abc" in text
    assert "ORGANIZER:mailto:anna@example.com" in text
    assert "COLOR:goldenrod" in text


def test_an_all_day_event_has_dates_and_an_exclusive_end() -> None:
    """All day: VALUE=DATE, DTEND the day after; EXDATE dates stay dates."""
    event = Event(
        id="birthday",
        ical_uid="birthday",
        start=date(2026, 5, 1),
        end=date(2026, 5, 2),
        rrule="FREQ=YEARLY",
        exdate=(date(2027, 5, 1),),
    )

    text = event_to_ical(event, stamp=STAMP).decode()

    assert "DTSTART;VALUE=DATE:20260501" in text
    assert "DTEND;VALUE=DATE:20260502" in text
    assert "EXDATE;VALUE=DATE:20270501" in text
    assert round_trip(event) == event
    assert round_trip(event).all_day


def test_utc_and_fixed_offsets_are_written_in_utc() -> None:
    """UTC stays Z; a fixed offset (no zone name) becomes the same instant in UTC."""
    plus_two = timezone(timedelta(hours=2))
    event = Event(
        id="e",
        ical_uid="e",
        start=datetime(2026, 5, 1, 10, tzinfo=plus_two),
        end=datetime(2026, 5, 1, 11, tzinfo=UTC),
    )

    text = event_to_ical(event, stamp=STAMP).decode()
    back = round_trip(event)

    assert "DTSTART:20260501T080000Z" in text
    assert "DTEND:20260501T110000Z" in text
    assert "VTIMEZONE" not in text
    assert back == event


def test_a_time_at_the_second_passing_of_an_hour_is_written_in_utc() -> None:
    """01:30 on the night New York's clocks go back happens twice.

    A TZID time means its first passing (RFC 5545 3.3.5): the second goes in UTC
    and reads back as the same instant. A series' start keeps its zone: the series
    expands from its wall clock there.
    """
    new_york = ZoneInfo("America/New_York")
    second = datetime(2024, 11, 3, 1, 30, fold=1, tzinfo=new_york)
    event = Event(
        id="e", ical_uid="e", start=second - timedelta(minutes=30), end=second
    )

    text = event_to_ical(event, stamp=STAMP).decode()
    series = event_to_ical(
        replace(
            event, start=second, end=second + timedelta(hours=1), rrule="FREQ=DAILY"
        ),
        stamp=STAMP,
    ).decode()

    assert "DTSTART;TZID=America/New_York:20241103T010000" in text
    assert "DTEND:20241103T063000Z" in text
    # (Python never finds a time in a repeated hour equal to one in another zone.)
    assert round_trip(event).end == second.astimezone(UTC)
    assert "DTSTART;TZID=America/New_York:20241103T013000" in series


def test_the_rrule_keeps_the_order_of_its_parts() -> None:
    """RRULE parts keep the order they were written in (icalendar reorders them)."""
    rule = "FREQ=MONTHLY;BYDAY=2TU;INTERVAL=2;COUNT=10"
    event = replace(a_series(), rrule=rule, overrides=())

    assert f"RRULE:{rule}" in event_to_ical(event, stamp=STAMP).decode()
    assert round_trip(event).rrule == rule
    assert read(
        "BEGIN:VEVENT",
        "UID:x",
        "DTSTART:20260101T100000Z",
        "RRULE:COUNT=3;FREQ=DAILY",
        "END:VEVENT",
    ).rrule == ("COUNT=3;FREQ=DAILY")


# -- reading what other clients write ----------------------------------------------------


def test_missing_dtend_and_duration_are_completed() -> None:
    """No DTEND: DURATION, else one day (all day) or zero length (timed)."""
    with_duration = read(
        "BEGIN:VEVENT",
        "UID:a",
        "DTSTART:20260101T100000Z",
        "DURATION:PT45M",
        "END:VEVENT",
    )
    all_day = read("BEGIN:VEVENT", "UID:b", "DTSTART;VALUE=DATE:20260101", "END:VEVENT")
    instant = read("BEGIN:VEVENT", "UID:c", "DTSTART:20260101T100000Z", "END:VEVENT")
    same_day = read(
        "BEGIN:VEVENT",
        "UID:d",
        "DTSTART;VALUE=DATE:20260101",
        "DTEND;VALUE=DATE:20260101",
        "END:VEVENT",
    )

    assert with_duration.end == datetime(2026, 1, 1, 10, 45, tzinfo=UTC)
    assert all_day.end == date(2026, 1, 2)
    assert instant.end == instant.start
    assert same_day.end == date(2026, 1, 1)  # zero length kept; Google writes a day


def test_floating_times_are_read_in_the_zone_given() -> None:
    """Times without TZID or Z take the caller's zone (the calendar's), else UTC."""
    lines = (
        "BEGIN:VEVENT",
        "UID:f",
        "DTSTART:20260302T090000",
        "DTEND:20260302T100000",
        "EXDATE:20260309T090000",
        "RRULE:FREQ=WEEKLY",
        "END:VEVENT",
    )

    in_new_york = read(*lines, floating=NEW_YORK)
    in_utc = read(*lines)

    assert in_new_york.start == datetime(2026, 3, 2, 9, tzinfo=NEW_YORK)
    assert zone_key(in_new_york.start) == "America/New_York"
    assert in_new_york.exdate == (datetime(2026, 3, 9, 9, tzinfo=NEW_YORK),)
    assert in_utc.start == datetime(2026, 3, 2, 9, tzinfo=UTC)


# icalendar 7 warns that it guessed the zone of a vendor-prefixed TZID (6.3 does not).
@pytest.mark.filterwarnings("ignore:Timezone .* is a globally unique TZID:UserWarning")
def test_windows_and_vendor_prefixed_tzids_become_iana_zones() -> None:
    """Outlook's and Lightning's zone names map to IANA zones, VTIMEZONE or not."""
    event = read(
        "BEGIN:VTIMEZONE",
        "TZID:W. Europe Standard Time",
        "BEGIN:STANDARD",
        "DTSTART:16010101T030000",
        "TZOFFSETFROM:+0200",
        "TZOFFSETTO:+0100",
        "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10",
        "END:STANDARD",
        "BEGIN:DAYLIGHT",
        "DTSTART:16010101T020000",
        "TZOFFSETFROM:+0100",
        "TZOFFSETTO:+0200",
        "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3",
        "END:DAYLIGHT",
        "END:VTIMEZONE",
        "BEGIN:VEVENT",
        "UID:w",
        "DTSTART;TZID=W. Europe Standard Time:20260701T100000",
        "DTEND;TZID=/mozilla.org/20050126_1/America/New_York:20260701T050000",
        "END:VEVENT",
    )

    assert event.start == datetime(2026, 7, 1, 10, tzinfo=BERLIN)
    assert zone_key(event.start) == "Europe/Berlin"
    assert zone_key(event.end) == "America/New_York"
    assert zone_from_tzid("Not/A_Zone") is None
    assert zone_from_tzid("../../etc/passwd") is None


def test_exdates_from_several_properties_and_lists_are_all_read() -> None:
    """EXDATE may repeat and hold lists; all values are kept, in order."""
    event = read(
        "BEGIN:VEVENT",
        "UID:x",
        "DTSTART;TZID=Europe/Berlin:20260302T090000",
        "RRULE:FREQ=DAILY",
        "EXDATE;TZID=Europe/Berlin:20260303T090000,20260304T090000",
        "EXDATE:20260305T080000Z",
        "RDATE;VALUE=PERIOD:20260310T080000Z/PT1H",
        "END:VEVENT",
    )

    assert event.exdate == (
        datetime(2026, 3, 3, 9, tzinfo=BERLIN),
        datetime(2026, 3, 4, 9, tzinfo=BERLIN),
        datetime(2026, 3, 5, 8, tzinfo=UTC),
    )
    assert event.rdate == (datetime(2026, 3, 10, 8, tzinfo=UTC),)


def test_text_fields_status_transparency_organizer_and_marker_are_read() -> None:
    """Escaped text, STATUS, TRANSP, ORGANIZER mailto and the marker."""
    event = read(
        "BEGIN:VEVENT",
        "UID:t",
        "DTSTART:20260101T100000Z",
        "DTEND:20260101T110000Z",
        "SUMMARY:Lunch\\, maybe\\; later",
        "DESCRIPTION:first\\nsecond",
        "LOCATION:Café",
        "STATUS:TENTATIVE",
        "TRANSP:TRANSPARENT",
        "ORGANIZER;CN=Anna:MAILTO:anna@example.com",
        "X-SHARED-CALENDARS-SOURCE:caldav:source:1",
        "LAST-MODIFIED:20251231T120000Z",
        "END:VEVENT",
    )

    assert (event.summary, event.description, event.location) == (
        "Lunch, maybe; later",
        "first\nsecond",
        "Café",
    )
    assert event.status is EventStatus.TENTATIVE
    assert event.transparency is Transparency.TRANSPARENT
    assert event.organizer == "anna@example.com"
    assert event.copy_of == CopyMarker(source="caldav:source:1")
    assert event.updated == datetime(2025, 12, 31, 12, tzinfo=UTC)


def test_defaults_when_properties_are_absent() -> None:
    """No STATUS, TRANSP, COLOR, ORGANIZER (or a non-mail one): RFC defaults."""
    event = read(
        "BEGIN:VEVENT",
        "UID:d",
        "DTSTART:20260101T100000Z",
        "ORGANIZER:urn:uuid:1234",
        "END:VEVENT",
    )

    assert event.status is EventStatus.CONFIRMED
    assert event.transparency is Transparency.OPAQUE
    assert (event.color, event.organizer, event.copy_of, event.updated) == (
        None,
        None,
        None,
        None,
    )


def test_a_resource_with_only_overrides_yields_each_as_a_single_event() -> None:
    """An invitation to single occurrences: each is an event that keeps its recurrence id."""
    found = events_from_ical(
        ics(
            "BEGIN:VEVENT",
            "UID:inv",
            "RECURRENCE-ID:20260302T090000Z",
            "DTSTART:20260302T100000Z",
            "END:VEVENT",
            "BEGIN:VEVENT",
            "UID:inv",
            "RECURRENCE-ID:20260309T090000Z",
            "DTSTART:20260309T100000Z",
            "END:VEVENT",
        ),
        "id",
    )

    assert [(e.id, e.recurrence_id, e.start, e.recurring) for e in found] == [
        (
            "id/on-20260302T090000Z",
            datetime(2026, 3, 2, 9, tzinfo=UTC),
            datetime(2026, 3, 2, 10, tzinfo=UTC),
            False,
        ),
        (
            "id/on-20260309T090000Z",
            datetime(2026, 3, 9, 9, tzinfo=UTC),
            datetime(2026, 3, 9, 10, tzinfo=UTC),
            False,
        ),
    ]


def test_a_task_is_not_an_event_and_garbage_is_an_error() -> None:
    """A VTODO yields None; something that is not iCalendar raises ValueError."""
    todo = ics("BEGIN:VTODO", "UID:t", "SUMMARY:Buy milk", "END:VTODO")

    assert event_from_ical(todo, "t") is None
    with pytest.raises(ValueError):
        event_from_ical(b"<html>not a calendar</html>\r\n", "x")


def test_the_calendar_zone_is_read_from_calendar_timezone() -> None:
    """CALDAV:calendar-timezone holds a VTIMEZONE; its TZID names the zone."""
    vtimezone = ics(
        "BEGIN:VTIMEZONE",
        "TZID:Europe/Berlin",
        "BEGIN:STANDARD",
        "DTSTART:19700101T000000",
        "TZOFFSETFROM:+0100",
        "TZOFFSETTO:+0100",
        "END:STANDARD",
        "END:VTIMEZONE",
    ).decode()

    assert timezone_from_vtimezone(vtimezone) == "Europe/Berlin"
    assert timezone_from_vtimezone(None) is None
    assert timezone_from_vtimezone("garbage") is None


# -- colours -----------------------------------------------------------------------------


def test_each_event_colour_has_its_own_css_name_and_comes_back() -> None:
    """The eleven colours map to eleven distinct CSS3 names and back."""
    assert len(set(EVENT_COLOR_CSS.values())) == len(EventColor)
    for color, css in EVENT_COLOR_CSS.items():
        assert css in CSS_COLORS
        assert event_color_from_css(css) is color
        assert event_color_from_css(css.upper()) is color


@pytest.mark.parametrize(
    ("css", "color"),
    [
        ("crimson", EventColor.TOMATO),
        ("navy", EventColor.BLUEBERRY),
        ("gray", EventColor.GRAPHITE),
        ("green", EventColor.BASIL),
        ("olive", EventColor.GRAPHITE),
        ("#D50000", EventColor.TOMATO),
        ("#3f51b5ff", EventColor.BLUEBERRY),
        ("not-a-colour", None),
        ("#zzzzzz", None),
    ],
)
def test_other_colours_map_to_the_nearest_event_colour(
    css: str, color: EventColor | None
) -> None:
    """Any other CSS name (or #rrggbb) takes the nearest colour by RGB."""
    assert event_color_from_css(css) is color


# -- property: nothing is lost or shifted ------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(events())
def test_any_event_survives_a_round_trip(event: Event) -> None:
    """Whatever the model holds comes back identical, zones included."""
    assert_identical(round_trip(event), event)


def test_the_model_fields_are_all_covered() -> None:
    """A guard: a new field in the model must be handled here (and in ical.py)."""
    assert {field.name for field in fields(Event)} == {
        "id",
        "ical_uid",
        "summary",
        "description",
        "location",
        "start",
        "end",
        "rrule",
        "extra_rrules",
        "rdate",
        "exdate",
        "recurrence_id",
        "overrides",
        "status",
        "sequence",
        "transparency",
        "color",
        "organizer",
        "updated",
        "created",
        "copy_of",
    }
