"""What the engine takes in: text every store holds, times and rules it can use."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
import json
from pathlib import Path

from dateutil.rrule import rrulestr
from homeassistant.helpers.json import json_bytes
from hypothesis import given, settings, strategies as st
import pytest

from custom_components.shared_calendars.engine.intake import (
    clean_text,
    problem,
    sanitised,
)
from custom_components.shared_calendars.engine.model import (
    ChangeSet,
    CopyMarker,
    Event,
    SkipReason,
)
from custom_components.shared_calendars.engine.rule_check import rule_problem
from custom_components.shared_calendars.engine.rule_search import (
    HORIZON,
    first_occurrence,
)
from custom_components.shared_calendars.engine.state import SyncState

from ..stored import reloaded

START = datetime(2026, 5, 4, 10, tzinfo=UTC)


def _event(**fields: object) -> Event:
    values: dict[str, object] = {
        "id": "e1",
        "ical_uid": "e1@test",
        "summary": "Dentist",
        "start": START,
        "end": START + timedelta(hours=1),
    } | fields
    return Event(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "clean"),
    [
        ("plain", "plain"),
        ("tab\tand\nline", "tab\tand\nline"),
        ("win\r\nline\rmac", "win\nline\nmac"),
        ("nul\x00bell\x07esc\x1bdel\x7f", "nulbellescdel"),
        ("lone \ud800 high, \udfff low", "lone \ufffd high, \ufffd low"),
        ("xml refuses \ufffe and \uffff", "xml refuses  and "),
        ("emoji \U0001f600 and C1 \x85 stay", "emoji \U0001f600 and C1 \x85 stay"),
    ],
)
def test_text_is_cleaned_of_what_json_or_xml_cannot_hold(text: str, clean: str) -> None:
    """Surrogates become U+FFFD, controls but tab and line feed go."""
    assert clean_text(text) == clean


def test_clean_text_is_returned_as_it_was() -> None:
    """No copy is made of text that needs no cleaning (the common case)."""
    text = "nothing to do here"
    assert clean_text(text) is text
    event = _event()
    assert sanitised(event) is event


@given(st.text())
def test_any_cleaned_text_is_json_and_utf_8(text: str) -> None:
    """Whatever comes in, the cleaned text is stored and sent without error."""
    clean = clean_text(text)
    clean.encode()
    assert json.loads(json_bytes(clean)) == clean


def test_every_text_of_an_event_and_its_overrides_is_cleaned(tmp_path: Path) -> None:
    """The sanitised event can be stored in the status database; the raw one not."""
    override = _event(
        id="e1_1",
        summary="moved\ud800",
        recurrence_id=START + timedelta(days=7),
        start=START + timedelta(days=7, hours=1),
        end=START + timedelta(days=7, hours=2),
    )
    dirty = _event(
        summary="a\x00b",
        description="\udc00",
        location="\x01",
        organizer="x\x02@example.com",
        ical_uid="uid\x03",
        copy_of=CopyMarker(source="src\ud801"),
        rrule="FREQ=WEEKLY",
        overrides=(override,),
    )

    clean = sanitised(dirty)

    assert (clean.summary, clean.description, clean.location) == ("ab", "\ufffd", "")
    assert (clean.organizer, clean.ical_uid) == ("x@example.com", "uid")
    assert clean.copy_of == CopyMarker(source="src\ufffd")
    assert clean.overrides[0].summary == "moved\ufffd"
    state = SyncState()
    state.apply("cal", ChangeSet(changed=(clean,), deleted=(), cursor="c1"))
    assert reloaded(state, tmp_path / "clean.db").calendar("cal").events == {
        clean.id: clean
    }
    state.apply("cal", ChangeSet(changed=(dirty,), deleted=(), cursor="c2"))
    with pytest.raises(TypeError):
        reloaded(state, tmp_path / "dirty.db")


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=WEEKLY;BYDAY=MO,WE",
        "FREQ=MONTHLY;BYDAY=-1FR",
        "FREQ=MONTHLY;BYMONTHDAY=31",
        "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29",
        "FREQ=DAILY;UNTIL=20261231T235959Z",
        "FREQ=WEEKLY;INTERVAL=2;COUNT=10;WKST=SU",
        "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1",
        "FREQ=HOURLY;BYHOUR=9,17",
        "freq=daily;count=3",
    ],
)
def test_rules_calendars_make_are_taken(rule: str) -> None:
    """Common rules, in any letter case, pass."""
    assert rule_problem(rule) is None
    assert problem(_event(rrule=rule)) is None


@pytest.mark.parametrize(
    "rule",
    [
        "GARBAGE",
        "FREQ=SOMETIMES",
        "FREQ=SECONDLY",
        "FREQ=MINUTELY;COUNT=5",
        "FREQ=DAILY;INTERVAL=0",
        "FREQ=DAILY;INTERVAL=-1",
        "FREQ=DAILY;COUNT=many",
        "FREQ=DAILY;BYMONTH=13",
        "FREQ=MONTHLY;BYMONTHDAY=0",
        "FREQ=WEEKLY;BYDAY=XX",
        "FREQ=WEEKLY;BYDAY=99MO",
        "FREQ=WEEKLY;WKST=XX",
        "FREQ=WEEKLY;X-NAME=1",
        "FREQ=WEEKLY;FREQ=DAILY",
        "FREQ=DAILY;BYHOUR=24",
        "FREQ=WEEKLY;BYMONTHDAY=1",
        "FREQ=DAILY;BYDAY=2MO",
        "FREQ=MONTHLY;BYWEEKNO=3",
        "FREQ=MONTHLY;BYYEARDAY=3",
        "FREQ=DAILY;UNTIL=never",
        "FREQ=DAILY;UNTIL=20260230",
        "FREQ=DAILY;UNTIL=20260501T250000Z",
    ],
)
def test_rules_that_cannot_be_expanded_or_never_end_expanding_are_refused(
    rule: str,
) -> None:
    """Each would raise in dateutil, or loop without end."""
    assert rule_problem(rule) is not None
    assert problem(_event(rrule=rule)) is SkipReason.INVALID_RECURRENCE


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30",
        "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=31",
        "FREQ=YEARLY;BYMONTH=4;BYMONTHDAY=31;COUNT=2",
        "FREQ=YEARLY;BYYEARDAY=200;BYMONTH=1;UNTIL=99991231T000000Z",
        "FREQ=YEARLY;INTERVAL=4;BYMONTH=2;BYMONTHDAY=29",
        "FREQ=MONTHLY;INTERVAL=12;BYMONTH=6",
        "FREQ=YEARLY;BYMONTH=1;BYWEEKNO=20",
        "FREQ=MONTHLY;BYDAY=MO;BYSETPOS=6",
        "FREQ=MONTHLY;BYDAY=MO,TU;BYSETPOS=-11;COUNT=3",
        "FREQ=WEEKLY;BYDAY=MO;BYSETPOS=2",
        "FREQ=YEARLY;BYDAY=MO;BYSETPOS=54",
        "FREQ=MONTHLY;BYDAY=5MO;BYMONTHDAY=1;COUNT=10",
        "FREQ=YEARLY;BYMONTH=1;BYDAY=6FR",
        "FREQ=HOURLY;INTERVAL=24;BYHOUR=11",
    ],
)
def test_rules_that_never_make_an_occurrence_are_refused(rule: str) -> None:
    """Well formed, but dateutil would search to the year 9999 on every expansion.

    The check walks at most 41 years of days, as dateutil's periods hold them.
    """
    search = first_occurrence(rule, START.replace(tzinfo=None))

    assert search.first is None
    # Whole periods are examined: the first may begin a year before the start,
    # the last end a year after the horizon.
    assert search.days_examined <= HORIZON.days + 2 * 366
    assert problem(_event(rrule=rule)) is SkipReason.INVALID_RECURRENCE


@pytest.mark.parametrize(
    ("rule", "first"),
    [
        ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29;BYDAY=MO", date(2044, 2, 29)),
        ("FREQ=YEARLY;BYWEEKNO=53", date(2026, 12, 28)),
        ("FREQ=YEARLY;BYWEEKNO=-1;BYDAY=SU;WKST=SU", date(2026, 12, 27)),
        ("FREQ=YEARLY;BYYEARDAY=-1", date(2026, 12, 31)),
        ("FREQ=MONTHLY;BYMONTHDAY=-31", date(2026, 7, 1)),
        ("FREQ=WEEKLY;INTERVAL=3;BYDAY=SU;WKST=SU", date(2026, 5, 24)),
        ("FREQ=MONTHLY;BYDAY=5MO;BYMONTH=2;COUNT=10", date(2044, 2, 29)),
        ("FREQ=MONTHLY;BYDAY=-5FR;BYMONTH=2", date(2036, 2, 1)),
        ("FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1", date(2026, 5, 29)),
    ],
)
def test_rules_whose_occurrences_are_rare_are_taken(rule: str, first: date) -> None:
    """Rare is not never: a leap day on a Monday comes back within 40 years."""
    assert first_occurrence(rule, START.replace(tzinfo=None)).first == first
    assert problem(_event(rrule=rule)) is None


_RULE_PARTS = [
    "FREQ=DAILY",
    "FREQ=WEEKLY",
    "FREQ=MONTHLY",
    "FREQ=YEARLY",
    "INTERVAL=3",
    "COUNT=4",
    "BYMONTH=2",
    "BYMONTH=1,2",
    "BYMONTHDAY=29",
    "BYMONTHDAY=-1",
    "BYMONTHDAY=31",
    "BYDAY=MO",
    "BYDAY=-1SU",
    "BYDAY=2TH",
    "BYDAY=5MO",
    "BYSETPOS=1",
    "BYSETPOS=3",
    "BYYEARDAY=60",
    "BYWEEKNO=20",
    "BYHOUR=8",
    "BYHOUR=8,20",
    "UNTIL=20300101T000000Z",
    "UNTIL=20270101",
    "UNTIL=20261231T120000",
    "WKST=SU",
    "BYSETPOS=-1",
]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from(_RULE_PARTS), min_size=1, max_size=5, unique=True),
    st.datetimes(datetime(2020, 1, 1), datetime(2030, 12, 31)),
)
def test_dateutil_finds_a_first_occurrence_no_later_than_the_check(
    parts: list[str], start: datetime
) -> None:
    """What the check takes in, dateutil expands without a long search.

    Where the check finds a first occurrence, dateutil finds one that day or
    earlier (never beyond 41 years of periods); the check's work is bounded.
    Rules the check refuses are left out: asking dateutil would take seconds.
    """
    rule = ";".join(parts)
    if rule_problem(rule) is not None:
        return
    search = first_occurrence(rule, start)
    # Whole periods are examined: the first may begin a year before the start,
    # the last end a year after the horizon.
    assert search.days_examined <= HORIZON.days + 2 * 366
    if search.first is None:
        return
    plain = ";".join(part for part in parts if not part.startswith(("COUNT", "UNTIL")))
    found = rrulestr(plain, dtstart=start).after(start, inc=True)
    assert found is not None, rule
    assert found.date() <= search.first, rule


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"end": date(2026, 5, 5)}, SkipReason.INVALID_TIME),
        ({"start": datetime(2026, 5, 4, 10)}, SkipReason.INVALID_TIME),
        ({"exdate": ("yesterday",)}, SkipReason.INVALID_TIME),
        ({"summary": 42}, SkipReason.INVALID_VALUE),
        ({"id": "bad\ud800id"}, SkipReason.UNREADABLE),
        (
            {"start": date(9999, 12, 31), "end": date(9999, 12, 31)},
            SkipReason.INVALID_TIME,
        ),
        (
            {
                "rrule": "FREQ=DAILY",
                "overrides": (_event(id="o", recurrence_id=None),),
            },
            SkipReason.INVALID_TIME,
        ),
    ],
)
def test_events_the_engine_cannot_use_are_named_with_a_reason(
    fields: dict[str, object], reason: SkipReason
) -> None:
    """Times of two kinds, naive times, text that is no text, dates past the calendar."""
    assert problem(replace(_event(), **fields)) is reason  # type: ignore[arg-type]


def test_a_usable_series_with_overrides_has_no_problem() -> None:
    """The checks leave ordinary data alone."""
    override = _event(
        id="e1_1",
        recurrence_id=START + timedelta(days=7),
        start=START + timedelta(days=7, hours=2),
        end=START + timedelta(days=7, hours=3),
    )
    series = _event(
        rrule="FREQ=WEEKLY;COUNT=5",
        exdate=(START + timedelta(days=14),),
        rdate=(START + timedelta(days=1),),
        overrides=(override,),
    )
    assert problem(series) is None
    assert problem(_event(start=date(2026, 5, 4), end=date(2026, 5, 5))) is None
