"""Hypothesis strategies for events, and what "identical" means, for the property tests.

`events` draws whatever the model can hold (the pure iCalendar round trip);
`portable_events` draws what both kinds of calendar hold, Google being the stricter
(the Google -> CalDAV round trip).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from itertools import islice
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

from custom_components.shared_calendars.engine.content import content, instant
from custom_components.shared_calendars.engine.model import (
    CopyMarker,
    DateOrDateTime,
    Event,
    EventColor,
    EventStatus,
    Transparency,
)
from custom_components.shared_calendars.engine.occurrences import (
    occurrences,
    rule_starts,
)
from tests.invented_zone import LAKESIDE

ZONES: list[tzinfo] = [
    UTC,
    ZoneInfo("Europe/Berlin"),
    ZoneInfo("America/New_York"),
    ZoneInfo("Asia/Kolkata"),
    ZoneInfo("Australia/Lord_Howe"),
    LAKESIDE,
]
TEXT = st.text(
    st.characters(
        codec="utf-8", exclude_categories=("Cc", "Cs"), exclude_characters="\r"
    )
    | st.just("\n"),
    max_size=40,
)
UTC_TIMES = st.datetimes(datetime(1990, 1, 1), datetime(2037, 12, 31)).map(
    lambda value: value.replace(microsecond=0, tzinfo=UTC)
)


def replace_start(start: DateOrDateTime, end: DateOrDateTime) -> Event:
    """Return a bare event with these times, to expand a rule from its start."""
    return Event(id="rule", ical_uid="rule", start=start, end=end)


def zone_key(value: DateOrDateTime | None) -> str | None:
    """Return the IANA key (or "UTC") of a time's zone, None for dates."""
    if not isinstance(value, datetime):
        return None
    return getattr(value.tzinfo, "key", None) or str(value.tzinfo)


def assert_identical(first: Event, second: Event) -> None:
    """Events are equal, and every time keeps its zone (== compares instants only)."""
    assert first == second
    for name in ("start", "end", "recurrence_id"):
        assert zone_key(getattr(first, name)) == zone_key(getattr(second, name)), name
    for name in ("rdate", "exdate"):
        assert [zone_key(v) for v in getattr(first, name)] == [
            zone_key(v) for v in getattr(second, name)
        ], name
    for ours, theirs in zip(first.overrides, second.overrides, strict=True):
        assert_identical(ours, theirs)


# -- anything the model holds -------------------------------------------------------------


@st.composite
def times(
    draw: st.DrawFn, all_day: bool, zones: list[tzinfo] = ZONES
) -> DateOrDateTime:
    """Draw a date, or an aware whole-second time in one of `zones`."""
    if all_day:
        return draw(st.dates(date(1990, 1, 1), date(2040, 12, 31)))
    naive = draw(
        st.datetimes(datetime(1990, 1, 1), datetime(2037, 12, 31)).map(
            lambda value: value.replace(microsecond=0)
        )
    )
    # fold=0: iCalendar cannot say which of two repeated wall times is meant.
    return naive.replace(tzinfo=draw(st.sampled_from(zones)), fold=0)


@st.composite
def events(
    draw: st.DrawFn, *, uid: str | None = None, all_day: bool | None = None
) -> Event:
    """Draw an event with arbitrary fields (a series with overrides, sometimes).

    With `uid`, draw an occurrence of that series instead (no overrides of its own).
    """
    if all_day is None:
        all_day = draw(st.booleans())
    start = draw(times(all_day))
    end = start + (
        timedelta(days=draw(st.integers(1, 5)))
        if all_day
        else timedelta(minutes=draw(st.integers(0, 600)))
    )
    rrule = draw(
        st.sampled_from(
            [
                None,
                "FREQ=DAILY;COUNT=5",
                "FREQ=WEEKLY;BYDAY=MO,WE;INTERVAL=2",
                "FREQ=YEARLY",
            ]
        )
    )
    ical_uid = uid or draw(st.from_regex(r"[A-Za-z0-9@._-]{1,30}", fullmatch=True))
    extra_rrules = (
        draw(st.sampled_from([(), ("FREQ=MONTHLY;COUNT=3",)])) if rrule else ()
    )
    exdate = tuple(draw(st.lists(times(all_day), max_size=3)))
    sequence = draw(st.integers(0, 5))
    overrides: tuple[Event, ...] = ()
    if uid is None and rrule is not None:
        # Overrides of occurrences the series makes (others are read as single events).
        made = list(islice(rule_starts(replace_start(start, end), rrule), 6))
        excluded = {instant(moment, UTC) for moment in exdate}
        slots = [m for m in made if instant(m, UTC) not in excluded]
        picked = sorted(
            draw(st.lists(st.sampled_from(slots), max_size=2, unique=True))
            if slots
            else [],
            key=lambda moment: instant(moment, UTC),
        )
        overrides = tuple(
            replace(
                override,
                rrule=None,
                extra_rrules=(),
                recurrence_id=moment,
                sequence=sequence,  # a lower one would be stale
            )
            for moment, override in zip(
                picked,
                draw(
                    st.lists(
                        events(uid=ical_uid, all_day=all_day),
                        min_size=len(picked),
                        max_size=len(picked),
                    )
                ),
                strict=True,
            )
        )
    return Event(
        id="event",
        ical_uid=ical_uid,
        summary=draw(TEXT),
        description=draw(TEXT),
        location=draw(TEXT),
        start=start,
        end=end,
        rrule=rrule,
        extra_rrules=extra_rrules,
        rdate=tuple(draw(st.lists(times(all_day), max_size=2))),
        exdate=exdate,
        overrides=overrides,
        status=draw(st.sampled_from(EventStatus)),
        sequence=sequence,
        transparency=draw(st.sampled_from(Transparency)),
        color=draw(st.none() | st.sampled_from(EventColor)),
        organizer=draw(st.none() | st.emails()),
        updated=draw(st.none() | UTC_TIMES),
        copy_of=draw(st.none() | TEXT.filter(bool).map(lambda s: CopyMarker(source=s))),
    )


# -- what both Google and CalDAV hold ----------------------------------------------------

SERIES_ZONES: list[tzinfo] = [
    UTC,
    ZoneInfo("Europe/Berlin"),
    ZoneInfo("America/New_York"),
    ZoneInfo("Asia/Kolkata"),
    ZoneInfo("Australia/Lord_Howe"),
    ZoneInfo("America/Sao_Paulo"),
    ZoneInfo("Etc/GMT"),
    ZoneInfo("Atlantic/Reykjavik"),
]
"""Zones a series may expand in. Google requires a `timeZone` on a recurring event's
start and end ("For recurring events this field is required and specifies the time
zone in which the recurrence is expanded"); a time in UTC is written with "UTC".
Etc/GMT and Atlantic/Reykjavik are UTC under other names: both kinds of calendar
write them as UTC (and read them so). Not a zone of its own definition (LAKESIDE):
Google holds such a series as the list of its occurrences, not as it is."""

SINGLE_ZONES: list[tzinfo] = [
    *ZONES,
    ZoneInfo("America/Sao_Paulo"),
    timezone(timedelta(hours=5, minutes=45)),
    timezone(-timedelta(hours=3, minutes=30)),
]
"""Zones of times that are no series' start: a fixed offset is fine for Google (an
RFC 3339 offset without `timeZone`) and for CalDAV (written in UTC)."""

PORTABLE_TEXT = st.text(
    st.characters(
        codec="utf-8", exclude_categories=("Cc", "Cs"), exclude_characters="\r"
    )
    | st.sampled_from(["\n", "\t", "\\", ";", ",", ":", '"', "\u2028", "\u00a0"]),
    max_size=60,
)
"""Summary, description and location text. Google documents no change to these (they
come back as sent); iCalendar is the stricter here: no control characters but tab
and line feed (RFC 5545 TEXT), no lone surrogates (not UTF-8), no carriage return
(iCalendar libraries and servers turn CRLF into LF)."""

_WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_STATUSES = (EventStatus.CONFIRMED, EventStatus.TENTATIVE)
"""Google has no cancelled event that is shown: `status: cancelled` on an event (not an
occurrence) means deleted, and it reads back as gone."""


def _exists(value: datetime) -> bool:
    """Return whether a wall time exists in its zone (no DST change skips it)."""
    back = value.astimezone(UTC).astimezone(value.tzinfo)
    return back.replace(tzinfo=None) == value.replace(tzinfo=None)


@st.composite
def _series_times(draw: st.DrawFn, all_day: bool) -> DateOrDateTime:
    """Draw the start of a series: a date, or an existing wall time in a named zone.

    Google keeps a start as an instant plus `timeZone`, so a wall time that a DST change
    skips (02:30 on the day clocks go 02:00 -> 03:00) comes back as the existing time of
    the same instant (03:30), and the series would expand from that.
    """
    return draw(
        times(all_day, SERIES_ZONES).filter(
            lambda value: not isinstance(value, datetime) or _exists(value)
        )
    )


@st.composite
def _rules(draw: st.DrawFn, start: DateOrDateTime) -> str:
    """Draw an RRULE that `start` is an occurrence of.

    RFC 5545 counts DTSTART as the first instance even when the rule does not produce
    it; not every calendar (nor dateutil) does, so the drawn rule always produces it.
    UNTIL is a date for an all-day series and a UTC time otherwise (RFC 5545 3.3.10).
    """
    day = start.date() if isinstance(start, datetime) else start
    weekday = _WEEKDAYS[day.weekday()]
    other = draw(st.sampled_from(_WEEKDAYS))
    parts = [
        draw(
            st.sampled_from(
                [
                    "FREQ=DAILY",
                    f"FREQ=WEEKLY;BYDAY={','.join(dict.fromkeys((weekday, other)))}",
                    f"FREQ=MONTHLY;BYMONTHDAY={day.day}",
                    f"FREQ=MONTHLY;BYDAY={(day.day - 1) // 7 + 1}{weekday}",
                    "FREQ=YEARLY",
                ]
            )
        )
    ]
    if (interval := draw(st.integers(1, 3))) > 1:
        parts.append(f"INTERVAL={interval}")
    match draw(st.sampled_from(["forever", "count", "until"])):
        case "count":
            parts.append(f"COUNT={draw(st.integers(1, 10))}")
        case "until":
            last = start + timedelta(days=draw(st.integers(0, 800)))
            parts.append(
                f"UNTIL={last.astimezone(UTC):%Y%m%dT%H%M%SZ}"
                if isinstance(last, datetime)
                else f"UNTIL={last:%Y%m%d}"
            )
    return ";".join(parts)


@st.composite
def _near(
    draw: st.DrawFn, start: DateOrDateTime, zones: list[tzinfo] = SINGLE_ZONES
) -> DateOrDateTime:
    """Draw a time of the same kind within a few weeks of `start`, in any zone."""
    if not isinstance(start, datetime):
        return start + timedelta(days=draw(st.integers(-30, 60)))
    moved = start + timedelta(minutes=15 * draw(st.integers(-3000, 6000)))
    return moved.astimezone(draw(st.sampled_from(zones)))


def _length(start: DateOrDateTime, end: DateOrDateTime) -> timedelta:
    if isinstance(start, datetime) and isinstance(end, datetime):
        return end - start
    assert not isinstance(start, datetime) and not isinstance(end, datetime)
    return end - start


def _marker() -> st.SearchStrategy[CopyMarker | None]:
    # Google limits the size of extended property values; a marker is a short ledger
    # key, and the text drawn stays short too.
    return st.none() | PORTABLE_TEXT.filter(bool).map(lambda s: CopyMarker(source=s))


def _occurrence_starts(series: Event) -> list[DateOrDateTime]:
    """Return the first instances of a series (RRULE and RDATE, less EXDATE)."""
    first = (
        series.start
        if isinstance(series.start, datetime)
        else datetime.combine(series.start, datetime.min.time(), UTC)
    )
    found = occurrences(
        replace(series, overrides=()),
        first - timedelta(days=40),
        first + timedelta(days=800),
        UTC,
    )
    starts: list[DateOrDateTime] = []
    for occurrence in found:
        assert occurrence.recurrence_id is not None
        starts.append(occurrence.recurrence_id)
        if len(starts) == 12:
            break
    return starts


@st.composite
def _override(draw: st.DrawFn, series: Event, original: DateOrDateTime) -> Event:
    """Draw what one occurrence becomes: cancelled, or moved and/or changed.

    An override that shows exactly its plain occurrence is none (Google drops it), so
    a drawn one that would be is moved by an hour (a day, all day).
    """
    duration = _length(series.start, series.end)
    plain = replace(
        series,
        start=original,
        end=original + duration,
        rrule=None,
        rdate=(),
        exdate=(),
        overrides=(),
        recurrence_id=original,
    )
    if draw(st.booleans()):
        return replace(plain, status=EventStatus.CANCELLED)
    if draw(st.integers(0, 3)) == 0:  # now and then, all day <-> timed
        day = original.date() if isinstance(original, datetime) else original
        start: DateOrDateTime = (
            day
            if isinstance(original, datetime)
            else datetime.combine(day, datetime.min.time(), UTC)
        )
    else:
        start = original
    if isinstance(start, datetime):
        start = (
            start + timedelta(minutes=15 * draw(st.integers(-5760, 5760)))
        ).astimezone(draw(st.sampled_from(SINGLE_ZONES)))
        length = timedelta(minutes=draw(st.integers(0, 600)))
    else:
        start += timedelta(days=draw(st.integers(-60, 60)))
        length = timedelta(days=draw(st.integers(1, 5)))
    override = replace(
        plain,
        summary=draw(st.sampled_from([series.summary]) | PORTABLE_TEXT),
        description=draw(st.sampled_from([series.description]) | PORTABLE_TEXT),
        location=draw(st.sampled_from([series.location]) | PORTABLE_TEXT),
        start=start,
        end=start + length,
        status=draw(st.sampled_from(_STATUSES)),
        transparency=draw(st.sampled_from(Transparency)),
        color=draw(st.none() | st.sampled_from(EventColor)),
        copy_of=draw(st.sampled_from([None, series.copy_of])),
    )
    if content(override) == content(plain):
        shift = timedelta(hours=1) if isinstance(start, datetime) else timedelta(days=1)
        override = replace(override, start=start + shift, end=start + length + shift)
    return override


@st.composite
def portable_events(draw: st.DrawFn) -> Event:
    """Draw an event that Google and CalDAV both hold as it is (id "event").

    Timed or all day, single or a series (RRULE and/or RDATE, EXDATE, moved and
    cancelled occurrences) in a named zone; status, transparency, colour, text and the
    copy marker. The model allows more than Google; where Google is stricter, the
    constraint is explained where it is drawn.
    """
    all_day = draw(st.booleans())
    recurring = draw(st.booleans())
    start = draw(_series_times(all_day) if recurring else times(all_day, SINGLE_ZONES))
    end: DateOrDateTime
    if isinstance(start, datetime):
        # Zero length is fine for a timed event, not for an all-day one (Google:
        # "The specified time range is empty"; the end date is exclusive). The end
        # may be in another zone (a flight).
        end = (start + timedelta(minutes=draw(st.integers(0, 600)))).astimezone(
            draw(st.sampled_from(SERIES_ZONES if recurring else SINGLE_ZONES))
        )
        if recurring and not _exists(end):
            end = start
    else:
        end = start + timedelta(days=draw(st.integers(1, 5)))
    event = Event(
        id="event",
        ical_uid="event",
        summary=draw(PORTABLE_TEXT),
        description=draw(PORTABLE_TEXT),
        location=draw(PORTABLE_TEXT),
        start=start,
        end=end,
        status=draw(st.sampled_from(_STATUSES)),
        transparency=draw(st.sampled_from(Transparency)),
        color=draw(st.none() | st.sampled_from(EventColor)),
        copy_of=draw(_marker()),
    )
    if not recurring:
        # EXDATE without a recurrence means nothing; Google keeps `recurrence` only on
        # a recurring event.
        return event
    rrule = draw(st.none() | _rules(start))
    rdate = tuple(draw(st.lists(_near(start), min_size=0 if rrule else 1, max_size=3)))
    series = replace(event, rrule=rrule, rdate=rdate)
    starts = _occurrence_starts(series)
    excluded = draw(st.lists(st.sampled_from(starts), unique=True, max_size=2))
    exdate = (*excluded, *draw(st.lists(_near(start), max_size=2)))
    series = replace(series, exdate=exdate)
    # Google can only change an occurrence that exists: the instance id of an
    # override names one occurrence of the series (404 otherwise).
    remaining = _occurrence_starts(series)
    if rrule is None:
        # Without an RRULE, calendars disagree whether the start itself is an
        # occurrence (RFC 5545 says it is; gcal-sync's expansion, which the fake
        # Google uses to tell real occurrences, says not): leave it alone.
        remaining = [value for value in remaining if value != start]
    originals = (
        draw(st.lists(st.sampled_from(remaining), unique=True, max_size=3))
        if remaining
        else []
    )
    return replace(
        series, overrides=tuple(draw(_override(series, value)) for value in originals)
    )
