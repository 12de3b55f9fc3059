"""Zones only their own VTIMEZONE defines: kept, stored and counted exactly (issue 10)."""

from __future__ import annotations

import copy
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo
import json
import pickle
from zoneinfo import ZoneInfo

import pytest

from custom_components.shared_calendars.engine.codec import decode_event, encode_event
from custom_components.shared_calendars.engine.content import fingerprint, instant
from custom_components.shared_calendars.engine.defined_zones import defined_zone
from custom_components.shared_calendars.engine.model import Event
from custom_components.shared_calendars.engine.occurrences import (
    LISTING_LIMIT,
    listed_in_utc,
    occurrences,
)
from tests.invented_zone import LAKESIDE

BERLIN = ZoneInfo("Europe/Berlin")
YEAR = (datetime(2027, 1, 1, tzinfo=UTC), datetime(2028, 1, 1, tzinfo=UTC))


def evening(day: date, zone: tzinfo = LAKESIDE) -> datetime:
    """Return 19:00 of a day in a zone."""
    return datetime.combine(day, time(19), zone)


def club(**fields: object) -> Event:
    """Return the club's Thursday evenings from 4 March 2027 in the invented zone."""
    first = evening(date(2027, 3, 4))
    values: dict[str, object] = {
        "id": "club",
        "ical_uid": "club@example.org",
        "summary": "Club evening",
        "start": first,
        "end": first + timedelta(minutes=90),
        "rrule": "FREQ=WEEKLY;BYDAY=TH;COUNT=38",
    }
    values.update(fields)
    return Event(**values)  # type: ignore[arg-type]


def starts(event: Event) -> list[datetime]:
    """Return the instants of a series' occurrences in 2027, in UTC."""
    return [
        instant(o.start, UTC).astimezone(UTC) for o in occurrences(event, *YEAR, UTC)
    ]


@pytest.mark.parametrize(
    ("day", "hours"),
    [
        (date(2027, 4, 8), 1),
        (date(2027, 4, 15), 2),
        (date(2027, 9, 30), 2),
        (date(2027, 10, 7), 1),
    ],
)
def test_a_defined_zone_keeps_its_own_daylight_saving_time(
    day: date, hours: int
) -> None:
    """19:00 there is UTC+2 from 11 April to 3 October 2027 only; Berlin differs."""
    moment = evening(day)
    assert moment.utcoffset() == timedelta(hours=hours)
    back = moment.astimezone(UTC).astimezone(LAKESIDE)
    assert (back.tzinfo, back.replace(tzinfo=None)) == (
        LAKESIDE,
        moment.replace(tzinfo=None),
    )


def test_one_definition_is_one_zone_object() -> None:
    """Copies, pickles and a second reading of one definition are the same zone."""
    assert copy.deepcopy(LAKESIDE) is LAKESIDE
    assert pickle.loads(pickle.dumps(LAKESIDE)) is LAKESIDE
    assert defined_zone(LAKESIDE.tzid, LAKESIDE.definition) is LAKESIDE
    with pytest.raises(ValueError, match="unsupported property"):
        defined_zone("Broken", LAKESIDE.definition.replace("TZNAME", "X-NAME"))


def test_an_event_is_encoded_with_each_zone_definition_once() -> None:
    """The codec names the zone on every time and carries its definition once."""
    moved = evening(date(2027, 10, 14))
    series = club(
        rdate=(evening(date(2027, 12, 2)),),
        exdate=(evening(date(2027, 5, 13)),),
        overrides=(
            club(
                rrule=None,
                recurrence_id=moved,
                start=moved + timedelta(hours=1),
                end=moved + timedelta(minutes=150),
            ),
        ),
    )

    data = json.loads(json.dumps(encode_event(series)))
    back = decode_event(data)

    assert data["zones"] == {"Lakeside Time": LAKESIDE.definition}
    assert json.dumps(data).count("BEGIN:VTIMEZONE") == 1
    assert back == series
    override = back.overrides[0]
    assert {
        moment.tzinfo
        for moment in (
            back.start,
            back.end,
            *back.rdate,
            *back.exdate,
            override.start,
            override.recurrence_id,
        )
        if isinstance(moment, datetime)
    } == {LAKESIDE}


def test_a_series_in_a_defined_zone_counts_by_its_instants() -> None:
    """Listed in UTC it shows the same occurrences and has the same fingerprint.

    The same rule at Berlin's 19:00 differs on 1 and 8 April and in October, when
    Berlin has already changed its clocks and the invented zone not yet, or the
    other way round: its fingerprint differs.
    """
    series = club(exdate=(evening(date(2027, 5, 13)),))
    listed = listed_in_utc(series)
    first = evening(date(2027, 3, 4), BERLIN)
    in_berlin = replace(
        series,
        start=first,
        end=first + timedelta(minutes=90),
        exdate=(evening(date(2027, 5, 13), BERLIN),),
    )

    assert (listed.rrule, listed.exdate) == (None, ())
    assert {
        moment.tzinfo
        for moment in (listed.start, *listed.rdate)
        if isinstance(moment, datetime)
    } == {UTC}
    assert len(listed.rdate) == 36
    assert starts(listed) == starts(series)
    assert len(starts(series)) == 37
    assert fingerprint(listed) == fingerprint(series)
    differing = set(starts(series)) ^ set(starts(in_berlin))
    assert len(differing) == 2 * 6
    assert fingerprint(in_berlin) != fingerprint(series)


def test_a_series_without_end_is_listed_up_to_the_limit() -> None:
    """A daily rule without end lists its first `LISTING_LIMIT` occurrences."""
    listed = listed_in_utc(club(rrule="FREQ=DAILY"))
    last = listed.rdate[-1]
    assert len(listed.rdate) == LISTING_LIMIT - 1
    assert isinstance(last, datetime)
    assert last.astimezone(LAKESIDE) == evening(
        date(2027, 3, 4) + timedelta(days=LISTING_LIMIT - 1)
    )


def test_an_excluded_first_occurrence_stays_excluded_when_listed() -> None:
    """The start of a listed series is always shown, unless it is excluded there too."""
    series = club(exdate=(evening(date(2027, 3, 4)),))
    listed = listed_in_utc(series)
    assert listed.exdate == (evening(date(2027, 3, 4)).astimezone(UTC),)
    assert starts(listed) == starts(series)
    assert len(starts(series)) == 37


def test_a_changed_definition_changes_the_fingerprint() -> None:
    """The club moves its change to summer time a week earlier: 8 April moves.

    The two series compare equal (their times are the same instants, and events
    compare times by instant) but show a different evening.
    """
    earlier = defined_zone(
        LAKESIDE.tzid,
        LAKESIDE.definition.replace("BYDAY=2SU;BYMONTH=4", "BYDAY=1SU;BYMONTH=4"),
    )
    series = club()
    moved = club(
        start=series.start.astimezone(earlier),  # type: ignore[union-attr]
        end=series.end.astimezone(earlier),  # type: ignore[union-attr]
    )

    assert moved == series
    assert set(starts(series)) ^ set(starts(moved)) == {
        datetime(2027, 4, 8, 18, tzinfo=UTC),
        datetime(2027, 4, 8, 17, tzinfo=UTC),
    }
    assert fingerprint(moved) != fingerprint(series)
