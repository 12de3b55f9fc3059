"""Occurrences and busy periods of single events and series."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from custom_components.shared_calendars.engine.model import (
    Event,
    EventStatus,
    Transparency,
)
from custom_components.shared_calendars.engine.occurrences import (
    BusyPeriod,
    busy_periods,
    occurrences,
)

BERLIN = ZoneInfo("Europe/Berlin")


def _event(**fields: object) -> Event:
    values: dict[str, object] = {
        "id": "e",
        "ical_uid": "e@x",
        "summary": "Yoga",
        "start": datetime(2026, 10, 19, 18, 0, tzinfo=BERLIN),
        "end": datetime(2026, 10, 19, 19, 0, tzinfo=BERLIN),
    }
    values.update(fields)
    return Event(**values)  # type: ignore[arg-type]


def test_weekly_series_keeps_its_wall_time_across_daylight_saving() -> None:
    """18:00 in Berlin stays 18:00 after the clocks change on 25 October."""
    series = _event(rrule="FREQ=WEEKLY;COUNT=3")
    found = list(
        occurrences(
            series,
            datetime(2026, 10, 1, tzinfo=UTC),
            datetime(2026, 12, 1, tzinfo=UTC),
            UTC,
        )
    )
    assert [o.start.hour for o in found] == [18, 18, 18]  # type: ignore[union-attr]
    assert [o.start.utcoffset() for o in found] == [  # type: ignore[union-attr]
        timedelta(hours=2),
        timedelta(hours=1),
        timedelta(hours=1),
    ]


def test_overrides_replace_and_cancel_instances_and_exdates_remove_them() -> None:
    """A moved instance shows at its new time, a cancelled one and an EXDATE not at all."""
    first = datetime(2026, 11, 2, 18, 0, tzinfo=BERLIN)
    series = _event(
        start=first,
        end=first + timedelta(hours=1),
        rrule="FREQ=WEEKLY;UNTIL=20261130T235959Z",
        exdate=(first + timedelta(weeks=3),),
        overrides=(
            _event(
                summary="Yoga (moved)",
                start=first + timedelta(weeks=1, hours=1),
                end=first + timedelta(weeks=1, hours=2),
                recurrence_id=first + timedelta(weeks=1),
            ),
            _event(
                start=first + timedelta(weeks=2),
                end=first + timedelta(weeks=2, hours=1),
                recurrence_id=first + timedelta(weeks=2),
                status=EventStatus.CANCELLED,
            ),
        ),
    )
    found = list(
        occurrences(series, first - timedelta(days=1), first + timedelta(weeks=8), UTC)
    )
    assert [(o.event.summary, o.start) for o in found] == [
        ("Yoga", first),
        ("Yoga (moved)", first + timedelta(weeks=1, hours=1)),
        ("Yoga", first + timedelta(weeks=4)),
    ]


def test_all_day_series_with_date_until_in_the_viewers_zone() -> None:
    """A daily all-day series ends on its UNTIL date, counted in the viewer's zone."""
    series = _event(
        start=date(2026, 12, 24),
        end=date(2026, 12, 25),
        rrule="FREQ=DAILY;UNTIL=20261226",
    )
    found = list(
        occurrences(
            series,
            datetime(2026, 12, 1, tzinfo=BERLIN),
            datetime(2027, 1, 1, tzinfo=BERLIN),
            BERLIN,
        )
    )
    assert [o.start for o in found] == [
        date(2026, 12, 24),
        date(2026, 12, 25),
        date(2026, 12, 26),
    ]


def test_window_catches_an_occurrence_that_started_before_it() -> None:
    """An occurrence running into the window counts."""
    series = _event(rrule="FREQ=DAILY")
    start = datetime(2026, 10, 20, 16, 30, tzinfo=UTC)  # 18:30 in Berlin
    assert (
        len(list(occurrences(series, start, start + timedelta(minutes=10), UTC))) == 1
    )


def test_busy_periods_merge_and_skip_free_and_cancelled() -> None:
    """Overlapping busy events merge; free and cancelled events make no one busy."""
    nine = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    events = [
        _event(id="a", start=nine, end=nine + timedelta(hours=1)),
        _event(
            id="b", start=nine + timedelta(minutes=30), end=nine + timedelta(hours=2)
        ),
        _event(
            id="c",
            start=nine + timedelta(hours=3),
            end=nine + timedelta(hours=4),
            transparency=Transparency.TRANSPARENT,
        ),
        _event(
            id="d",
            start=nine + timedelta(hours=5),
            end=nine + timedelta(hours=6),
            status=EventStatus.CANCELLED,
        ),
        _event(id="e", start=nine + timedelta(hours=7), end=nine + timedelta(hours=8)),
    ]
    assert busy_periods(events, nine, nine + timedelta(hours=7, minutes=30), UTC) == [
        BusyPeriod(start=nine, end=nine + timedelta(hours=2)),
        BusyPeriod(
            start=nine + timedelta(hours=7), end=nine + timedelta(hours=7, minutes=30)
        ),
    ]
