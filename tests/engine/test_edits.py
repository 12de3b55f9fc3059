"""Edits of one occurrence, of a series from one occurrence on, and of a whole series."""

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from custom_components.shared_calendars.engine.content import instant
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


def _shown(event: Event) -> list[tuple[DateOrDateTime, DateOrDateTime, str]]:
    return [
        (o.start, o.end, o.event.summary)
        for o in occurrences(
            event,
            datetime(2026, 1, 1, tzinfo=UTC),
            datetime(2027, 1, 1, tzinfo=UTC),
            BERLIN,
        )
    ]


def _week(n: int, hour: int = 18, minute: int = 0) -> datetime:
    """Return the wall time `hour:minute` on the day of the series' `n`-th week (0 first)."""
    return (FIRST + timedelta(weeks=n)).replace(hour=hour, minute=minute)


SWIM = replace(
    WEEKLY,
    summary="Swim",
    description="Bring a towel",
    location="Pool",
    overrides=(
        # Moved an hour later, nothing else changed.
        replace(
            WEEKLY,
            summary="Swim",
            description="Bring a towel",
            location="Pool",
            rrule=None,
            start=_week(1, 19),
            end=_week(1, 20),
            recurrence_id=_week(1),
        ),
        # At its own time with a title and place of its own.
        replace(
            WEEKLY,
            summary="Swim gala",
            description="Bring a towel",
            location="Stadium",
            rrule=None,
            start=_week(2),
            end=_week(2, 19),
            recurrence_id=_week(2),
        ),
    ),
)


def test_renaming_a_series_renames_occurrences_that_kept_its_text() -> None:
    """A moved occurrence titled "Swim" becomes "Swimming"; "Swim gala" stays.

    Each field on its own: the gala keeps its place but takes the new description.
    """
    renamed = rescheduled(
        SWIM,
        replace(SWIM, summary="Swimming", description="Bring a cap", location="Lido"),
    )

    moved, gala = renamed.overrides
    assert (moved.summary, moved.description, moved.location) == (
        "Swimming",
        "Bring a cap",
        "Lido",
    )
    assert (gala.summary, gala.description, gala.location) == (
        "Swim gala",
        "Bring a cap",
        "Stadium",
    )
    assert (moved.start, moved.recurrence_id) == (_week(1, 19), _week(1))
    assert _shown(renamed) == [
        (_week(0), _week(0, 19), "Swimming"),
        (_week(1, 19), _week(1, 20), "Swimming"),
        (_week(2), _week(2, 19), "Swim gala"),
        *((_week(n), _week(n, 19), "Swimming") for n in range(3, 6)),
    ]


def test_moving_a_series_moves_its_exceptions_with_it() -> None:
    """Half an hour later and longer: the original starts move, across the change of clocks.

    The occurrence that sat at its own time moves and takes the new length; the
    one moved by itself keeps its time; the excluded one stays excluded.
    """
    series = without_occurrence(SWIM, _week(3), BERLIN)
    assert series.exdate == (_week(3),)

    moved = rescheduled(
        series, replace(series, start=_week(0, 18, 30), end=_week(0, 20))
    )

    assert _shown(moved) == [
        (_week(0, 18, 30), _week(0, 20), "Swim"),
        (_week(1, 19), _week(1, 20), "Swim"),
        (_week(2, 18, 30), _week(2, 20), "Swim gala"),
        (_week(4, 18, 30), _week(4, 20), "Swim"),
        (_week(5, 18, 30), _week(5, 20), "Swim"),
    ]
    assert moved.exdate == (_week(3, 18, 30),)
    assert [o.recurrence_id for o in moved.overrides] == [
        _week(1, 18, 30),
        _week(2, 18, 30),
    ]
    assert all(has_occurrence(moved, o.recurrence_id, BERLIN) for o in moved.overrides)  # type: ignore[arg-type]


def test_moving_a_series_moves_its_end_so_no_occurrence_is_lost() -> None:
    """An UNTIL at the last occurrence's start moves with it (in UTC, as RFC 5545 writes it)."""
    last = _week(5).astimezone(UTC)
    series = replace(
        SWIM,
        rrule=f"FREQ=WEEKLY;UNTIL={last:%Y%m%dT%H%M%SZ}",
        overrides=(
            replace(
                SWIM.overrides[1],
                start=_week(5),
                end=_week(5, 19),
                recurrence_id=_week(5),
            ),
        ),
    )
    later = rescheduled(series, replace(series, start=_week(0, 19), end=_week(0, 20)))

    assert [start for start, _, _ in _shown(later)] == [_week(n, 19) for n in range(6)]
    assert (
        later.rrule
        == f"FREQ=WEEKLY;UNTIL={_week(5, 19).astimezone(UTC):%Y%m%dT%H%M%SZ}"
    )
    assert later.overrides[0].recurrence_id == _week(5, 19)


def test_moving_an_all_day_series_moves_its_exceptions_by_whole_days() -> None:
    """A camp a day later: the renamed fourth day is still the fourth day."""
    fourth = date(2026, 7, 4)
    camp = with_occurrence(
        DAILY_ALL_DAY,
        fourth,
        replace(occurrence_of(DAILY_ALL_DAY, fourth, BERLIN), summary="Camp (trip)"),
        BERLIN,
    )
    camp = without_occurrence(camp, date(2026, 7, 6), BERLIN)

    later = rescheduled(
        camp, replace(camp, start=date(2026, 7, 2), end=date(2026, 7, 3))
    )

    assert later.rrule == "FREQ=DAILY;UNTIL=20260711"
    assert later.exdate == (date(2026, 7, 7),)
    assert _shown(later)[3] == (date(2026, 7, 5), date(2026, 7, 6), "Camp (trip)")
    assert len(_shown(later)) == 9


def test_a_new_rule_or_kind_of_time_drops_the_exceptions() -> None:
    """They would name occurrences the series no longer has; a rule written otherwise is the same."""
    series = without_occurrence(SWIM, _week(3), BERLIN)

    new_rule = rescheduled(series, replace(series, rrule="FREQ=DAILY;COUNT=6"))
    all_day = rescheduled(
        series, replace(series, start=date(2026, 10, 19), end=date(2026, 10, 20))
    )
    reordered = rescheduled(series, replace(series, rrule="COUNT=6;FREQ=WEEKLY"))

    assert (new_rule.overrides, new_rule.exdate) == ((), ())
    assert (all_day.overrides, all_day.exdate) == ((), ())
    assert (reordered.overrides, reordered.exdate) == (series.overrides, series.exdate)


def test_a_series_keeps_its_zone_when_edited_in_another() -> None:
    """Home Assistant gives times in its own zone: a New York series stays in New York.

    Renamed from Berlin, its occurrences keep 10:00 in New York across both
    changes of clocks, and its moved occurrence is still found.
    """
    new_york = ZoneInfo("America/New_York")
    first = datetime(2026, 10, 19, 10, 0, tzinfo=new_york)
    plain = replace(
        WEEKLY, summary="Standup", start=first, end=first + timedelta(hours=1)
    )
    second = first + timedelta(weeks=1)
    series = with_occurrence(
        plain,
        second,
        replace(
            plain, start=second + timedelta(hours=1), end=second + timedelta(hours=2)
        ),
        BERLIN,
    )
    in_berlin = replace(
        series,
        summary="Stand-up",
        start=first.astimezone(BERLIN),
        end=(first + timedelta(hours=1)).astimezone(BERLIN),
    )

    renamed = rescheduled(series, in_berlin)

    assert isinstance(renamed.start, datetime)
    assert renamed.start == first and renamed.start.tzinfo is new_york
    hours = [
        instant(start, UTC).astimezone(new_york).hour for start in _starts(renamed)
    ]
    assert hours == [10, 11, 10, 10, 10, 10]
    assert [(o.summary, o.recurrence_id) for o in renamed.overrides] == [
        ("Stand-up", second)
    ]
