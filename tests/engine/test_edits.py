"""Edits of one occurrence, of a series from one occurrence on, and of a whole series."""

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from custom_components.shared_calendars.engine.edits import (
    ending_before,
    has_occurrence,
    occurrence_of,
    rescheduled,
    with_occurrence,
    without_occurrence,
)
from custom_components.shared_calendars.engine.model import DateOrDateTime, Event
from custom_components.shared_calendars.engine.occurrences import occurrences

BERLIN = ZoneInfo("Europe/Berlin")
FIRST = datetime(2026, 10, 19, 18, 0, tzinfo=BERLIN)
WEEKLY = Event(
    id="yoga",
    ical_uid="yoga@x",
    summary="Yoga",
    start=FIRST,
    end=FIRST + timedelta(hours=1),
    rrule="FREQ=WEEKLY;COUNT=6",
)
DAILY_ALL_DAY = Event(
    id="camp",
    ical_uid="camp@x",
    summary="Camp",
    start=date(2026, 7, 1),
    end=date(2026, 7, 2),
    rrule="FREQ=DAILY;UNTIL=20260710",
)


def _starts(event: Event) -> list[DateOrDateTime]:
    return [
        o.start
        for o in occurrences(
            event,
            datetime(2026, 1, 1, tzinfo=UTC),
            datetime(2027, 1, 1, tzinfo=UTC),
            BERLIN,
        )
    ]


def test_cutting_a_counted_series_ends_it_before_the_occurrence() -> None:
    """COUNT becomes UNTIL; the wall time stays across the change of clocks."""
    third = FIRST + timedelta(weeks=2)
    head = ending_before(WEEKLY, third.astimezone(UTC), BERLIN)

    assert head is not None
    assert "COUNT" not in (head.rrule or "")
    assert _starts(head) == [FIRST, FIRST + timedelta(weeks=1)]


def test_cutting_an_all_day_series_ends_it_the_day_before() -> None:
    """An all-day series ends with a date: the last day before the cut."""
    head = ending_before(DAILY_ALL_DAY, date(2026, 7, 4), BERLIN)

    assert head is not None
    assert head.rrule == "FREQ=DAILY;UNTIL=20260703"
    assert _starts(head) == [date(2026, 7, day) for day in (1, 2, 3)]


def test_cutting_at_the_first_occurrence_leaves_nothing() -> None:
    """Nothing of the series comes before its first occurrence."""
    assert ending_before(WEEKLY, FIRST, BERLIN) is None


def test_occurrences_are_known_by_their_original_start() -> None:
    """A moved occurrence counts under its original start; excluded or odd times do not."""
    second = FIRST + timedelta(weeks=1)
    moved = with_occurrence(
        WEEKLY,
        second,
        replace(
            occurrence_of(WEEKLY, second, BERLIN), start=second + timedelta(hours=2)
        ),
        BERLIN,
    )
    third = FIRST + timedelta(weeks=2)
    series = without_occurrence(moved, third, BERLIN)

    assert has_occurrence(series, second.astimezone(UTC), BERLIN)
    assert not has_occurrence(series, third, BERLIN)
    assert not has_occurrence(series, FIRST + timedelta(days=1), BERLIN)
    assert not has_occurrence(series, FIRST + timedelta(weeks=6), BERLIN)
    assert len(_starts(series)) == 5


def test_changing_an_occurrence_again_replaces_its_override() -> None:
    """One override per occurrence, named by the series' id and UID."""
    second = FIRST + timedelta(weeks=1)
    once = with_occurrence(
        WEEKLY, second, replace(WEEKLY, summary="Yoga outside"), BERLIN
    )
    twice = with_occurrence(
        once, second, replace(WEEKLY, summary="Yoga inside"), BERLIN
    )

    assert [(o.summary, o.id, o.recurrence_id) for o in twice.overrides] == [
        ("Yoga inside", "yoga", second)
    ]
    assert twice.overrides[0].rrule is None


def test_removing_a_moved_occurrence_drops_its_override() -> None:
    """The exclusion takes the override's place."""
    second = FIRST + timedelta(weeks=1)
    moved = with_occurrence(WEEKLY, second, replace(WEEKLY, summary="Moved"), BERLIN)

    removed = without_occurrence(moved, second, BERLIN)

    assert removed.overrides == ()
    assert removed.exdate == (second,)


def test_rescheduling_keeps_exceptions_only_while_the_occurrences_stay() -> None:
    """A new title keeps them; a new start time would leave them pointing nowhere."""
    second = FIRST + timedelta(weeks=1)
    series = without_occurrence(WEEKLY, second, BERLIN)

    renamed = rescheduled(series, replace(series, summary="Pilates"))
    moved = rescheduled(
        series,
        replace(
            series, start=FIRST + timedelta(hours=1), end=FIRST + timedelta(hours=2)
        ),
    )

    assert (renamed.summary, renamed.exdate) == ("Pilates", (second,))
    assert moved.exdate == ()
