"""Finding a free time: working hours across DST, all-day events, series, and a property test."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

from hypothesis import given, settings, strategies as st

from custom_components.shared_calendars.engine.model import (
    Event,
    EventStatus,
    Transparency,
)
from custom_components.shared_calendars.engine.occurrences import (
    BusyPeriod,
    busy_periods,
)
from custom_components.shared_calendars.engine.schedule import (
    DEFAULT_WORKING_HOURS,
    Attendee,
    Slot,
    WorkingHours,
    free_slots,
    working_periods,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
HOUR = timedelta(hours=1)


def _event(start: object, end: object, **fields: object) -> Event:
    values: dict[str, object] = {
        "id": f"e{start}",
        "ical_uid": f"e{start}@x",
        "summary": "Busy",
        "start": start,
        "end": end,
    }
    values.update(fields)
    return Event(**values)  # type: ignore[arg-type]


def _attendee(
    events: list[Event],
    start: datetime,
    end: datetime,
    zone: tzinfo = BERLIN,
    hours: WorkingHours | None = None,
) -> Attendee:
    return Attendee(busy=tuple(busy_periods(events, start, end, zone)), hours=hours)


def _berlin(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=BERLIN)


def test_the_first_slot_follows_everyones_busy_time() -> None:
    """Anna is busy 9-10, Ben 9:30-11: the first free hour for both starts at 11."""
    start, end = _berlin(6, 1, 9), _berlin(6, 1, 18)
    anna = _attendee([_event(_berlin(6, 1, 9), _berlin(6, 1, 10))], start, end)
    ben = _attendee([_event(_berlin(6, 1, 9, 30), _berlin(6, 1, 11))], start, end)

    slots = free_slots([anna, ben], start, end, HOUR, zone=BERLIN, limit=3)

    assert slots == [
        Slot(start=_berlin(6, 1, 11), end=_berlin(6, 1, 12)),
        Slot(start=_berlin(6, 1, 12), end=_berlin(6, 1, 13)),
        Slot(start=_berlin(6, 1, 13), end=_berlin(6, 1, 14)),
    ]
    assert all(slot.start.tzinfo is BERLIN for slot in slots)


def test_a_gap_shorter_than_the_duration_is_skipped() -> None:
    """A 45-minute gap is no hour: the next slot starts after the second event."""
    start, end = _berlin(6, 1, 9), _berlin(6, 1, 18)
    anna = _attendee(
        [
            _event(_berlin(6, 1, 9), _berlin(6, 1, 10)),
            _event(_berlin(6, 1, 10, 45), _berlin(6, 1, 12)),
        ],
        start,
        end,
    )
    [slot] = free_slots([anna], start, end, HOUR, zone=BERLIN)
    assert slot == Slot(start=_berlin(6, 1, 12), end=_berlin(6, 1, 13))


def test_working_hours_keep_their_wall_time_when_the_clocks_go_forward() -> None:
    """On 29 March 2026 Berlin skips 02:00-03:00; work still starts at 08:00 local."""
    start, end = _berlin(3, 28, 19), _berlin(3, 30, 21)
    anna = _attendee([], start, end, hours=DEFAULT_WORKING_HOURS)

    slots = free_slots([anna], start, end, timedelta(hours=12), zone=BERLIN, limit=2)

    assert slots == [
        Slot(start=_berlin(3, 29, 8), end=_berlin(3, 29, 20)),
        Slot(start=_berlin(3, 30, 8), end=_berlin(3, 30, 20)),
    ]
    assert [slot.start.astimezone(UTC).hour for slot in slots] == [6, 6]
    # The evening before the change had an hour of work left, from 19:00 CET.
    [evening] = free_slots([anna], start, end, HOUR, zone=BERLIN)
    assert evening.start.astimezone(UTC) == datetime(2026, 3, 28, 18, tzinfo=UTC)


def test_working_hours_keep_their_wall_time_when_the_clocks_go_back() -> None:
    """On 25 October 2026 the day has 25 hours; work is still 08:00 to 20:00."""
    periods = working_periods(
        DEFAULT_WORKING_HOURS, _berlin(10, 24, 12), _berlin(10, 26, 12), BERLIN
    )
    assert [(p.start.astimezone(UTC), p.end.astimezone(UTC)) for p in periods] == [
        (datetime(2026, 10, 24, 6, tzinfo=UTC), datetime(2026, 10, 24, 18, tzinfo=UTC)),
        (datetime(2026, 10, 25, 7, tzinfo=UTC), datetime(2026, 10, 25, 19, tzinfo=UTC)),
        (datetime(2026, 10, 26, 7, tzinfo=UTC), datetime(2026, 10, 26, 19, tzinfo=UTC)),
    ]


def test_a_slot_across_the_night_the_clocks_go_back_lasts_its_real_duration() -> None:
    """Three hours from 01:00 on 25 October end at 03:00 local: 02:00 happens twice."""
    start = _berlin(10, 25, 1)
    [slot] = free_slots([], start, start + 5 * HOUR, 3 * HOUR, zone=BERLIN)
    assert slot.end.astimezone(UTC) - slot.start.astimezone(UTC) == 3 * HOUR
    assert slot.end.astimezone(UTC) == datetime(2026, 10, 25, 2, tzinfo=UTC)
    assert slot.end.hour == 3
    assert slot.start.tzinfo is BERLIN, "answered on the local clock"


def test_night_hours_run_past_midnight() -> None:
    """Hours from 22:00 to 06:00 are one period across midnight."""
    night = WorkingHours(start=time(22), end=time(6))
    start, end = _berlin(6, 1, 12), _berlin(6, 3, 12)
    anna = _attendee([], start, end, hours=night)
    slots = free_slots([anna], start, end, timedelta(hours=8), zone=BERLIN, limit=5)
    assert slots == [
        Slot(start=_berlin(6, 1, 22), end=_berlin(6, 2, 6)),
        Slot(start=_berlin(6, 2, 22), end=_berlin(6, 3, 6)),
    ]


def test_each_attendee_keeps_their_own_hours() -> None:
    """Anna works 08-20, Ben 13-22 (in Berlin's clock): they meet from 13:00."""
    start, end = _berlin(6, 1, 0), _berlin(6, 2, 0)
    anna = _attendee([], start, end, hours=DEFAULT_WORKING_HOURS)
    ben = _attendee([], start, end, hours=WorkingHours(start=time(13), end=time(22)))
    room = _attendee([], start, end)
    [slot] = free_slots([anna, ben, room], start, end, HOUR, zone=BERLIN)
    assert slot.start == _berlin(6, 1, 13)


def test_an_all_day_event_blocks_the_whole_local_day_only_when_busy() -> None:
    """A busy all-day event fills 1 June in Berlin; a free one blocks nothing."""
    start, end = _berlin(6, 1, 0), _berlin(6, 3, 0)
    busy_day = _event(date(2026, 6, 1), date(2026, 6, 2))
    free_day = _event(
        date(2026, 6, 2), date(2026, 6, 3), transparency=Transparency.TRANSPARENT
    )
    anna = _attendee([busy_day, free_day], start, end)
    [slot] = free_slots([anna], start, end, HOUR, zone=BERLIN)
    assert slot.start == _berlin(6, 2, 0)
    assert slot.start.astimezone(UTC) == datetime(2026, 6, 1, 22, tzinfo=UTC)


def test_tentative_events_are_busy_and_cancelled_ones_free() -> None:
    """Tentative counts as busy, as Google's and CalDAV's free/busy do."""
    start, end = _berlin(6, 1, 9), _berlin(6, 1, 12)
    anna = _attendee(
        [
            _event(_berlin(6, 1, 9), _berlin(6, 1, 10), status=EventStatus.TENTATIVE),
            _event(_berlin(6, 1, 10), _berlin(6, 1, 11), status=EventStatus.CANCELLED),
        ],
        start,
        end,
    )
    [slot] = free_slots([anna], start, end, HOUR, zone=BERLIN)
    assert slot.start == _berlin(6, 1, 10)


def test_a_series_blocks_its_occurrences_but_not_its_exceptions() -> None:
    """Daily 9-12; the 2nd cancelled, the 3rd moved to 14-17."""
    series = _event(
        _berlin(6, 1, 9),
        _berlin(6, 1, 12),
        rrule="FREQ=DAILY;COUNT=5",
        exdate=(_berlin(6, 2, 9),),
        overrides=(
            _event(
                _berlin(6, 3, 14),
                _berlin(6, 3, 17),
                recurrence_id=_berlin(6, 3, 9),
            ),
        ),
    )
    start, end = _berlin(6, 1, 8), _berlin(6, 4, 8)
    anna = _attendee([series], start, end, hours=DEFAULT_WORKING_HOURS)
    slots = free_slots([anna], start, end, timedelta(hours=3), zone=BERLIN, limit=20)
    starts = [slot.start for slot in slots]
    assert _berlin(6, 1, 9) not in starts
    assert starts[:2] == [_berlin(6, 1, 12), _berlin(6, 1, 15)]
    assert _berlin(6, 2, 8) in starts, "the cancelled occurrence leaves the day free"
    day_3 = [slot for slot in slots if slot.start.date() == date(2026, 6, 3)]
    assert [slot.start for slot in day_3] == [
        _berlin(6, 3, 8),
        _berlin(6, 3, 11),
        _berlin(6, 3, 17),
    ]


def test_an_event_in_another_zone_blocks_its_real_time() -> None:
    """9:00 in New York is 15:00 in Berlin; Berlin's working hours apply."""
    call = _event(
        datetime(2026, 6, 1, 9, tzinfo=NEW_YORK),
        datetime(2026, 6, 1, 11, tzinfo=NEW_YORK),
    )
    start, end = _berlin(6, 1, 14), _berlin(6, 1, 20)
    anna = _attendee([call], start, end, hours=DEFAULT_WORKING_HOURS)
    slots = free_slots([anna], start, end, HOUR, zone=BERLIN, limit=5)
    assert [slot.start for slot in slots] == [
        _berlin(6, 1, 14),
        _berlin(6, 1, 17),
        _berlin(6, 1, 18),
        _berlin(6, 1, 19),
    ]


def test_nothing_is_found_when_nobody_is_free_long_enough() -> None:
    """No gap is long enough, or no duration asked: no slot."""
    start, end = _berlin(6, 1, 9), _berlin(6, 1, 12)
    anna = _attendee([_event(_berlin(6, 1, 10), _berlin(6, 1, 11))], start, end)
    assert free_slots([anna], start, end, 2 * HOUR, zone=BERLIN) == []
    assert free_slots([anna], start, end, timedelta(0), zone=BERLIN) == []


# ------------------------------------------------------------------ the property

STEP = timedelta(minutes=15)
ORIGIN = datetime(2026, 3, 28, 0, tzinfo=UTC)
"""The search runs across Berlin's change to summer time (29 March, 01:00 UTC)."""
SPAN = 3 * 24 * 4
"""Steps of 15 minutes in the window searched."""

_moments = st.integers(min_value=0, max_value=SPAN).map(lambda n: ORIGIN + n * STEP)
_periods = st.tuples(_moments, st.integers(min_value=1, max_value=40)).map(
    lambda pair: BusyPeriod(start=pair[0], end=pair[0] + pair[1] * STEP)
)
_hours = st.none() | st.builds(
    WorkingHours,
    start=st.sampled_from([time(h, m) for h in range(24) for m in (0, 30)]),
    end=st.sampled_from([time(h, m) for h in range(24) for m in (0, 30)]),
)
_attendees = st.builds(
    Attendee,
    busy=st.lists(_periods, max_size=8).map(tuple),
    hours=_hours,
)


def _is_free(attendees: list[Attendee], begin: datetime, finish: datetime) -> bool:
    """Whether everyone is free throughout [begin, finish), checked one by one."""
    for attendee in attendees:
        if any(p.start < finish and begin < p.end for p in attendee.busy):
            return False
        if attendee.hours is not None and not any(
            p.start <= begin and finish <= p.end
            for p in _joined(working_periods(attendee.hours, begin, finish, BERLIN))
        ):
            return False
    return True


def _joined(periods: list[BusyPeriod]) -> list[BusyPeriod]:
    """Join periods that touch: hours round the clock (08:00 to 08:00) are one span."""
    joined: list[BusyPeriod] = []
    for period in periods:
        if joined and period.start <= joined[-1].end:
            joined[-1] = BusyPeriod(start=joined[-1].start, end=period.end)
        else:
            joined.append(period)
    return joined


@settings(max_examples=150, deadline=None)
@given(
    attendees=st.lists(_attendees, min_size=1, max_size=3),
    first=st.integers(min_value=0, max_value=SPAN // 2),
    steps=st.integers(min_value=1, max_value=SPAN // 2),
    length=st.integers(min_value=1, max_value=16),
    limit=st.integers(min_value=1, max_value=4),
)
def test_slots_are_free_and_none_earlier_was_skipped(
    attendees: list[Attendee], first: int, steps: int, length: int, limit: int
) -> None:
    """Every slot is free for all; no free start on the grid lies before it unused."""
    start = ORIGIN + first * STEP
    end = start + steps * STEP
    duration = length * STEP

    slots = free_slots(attendees, start, end, duration, zone=BERLIN, limit=limit)

    assert len(slots) <= limit
    searched_from = start
    for slot in slots:
        assert slot.end.astimezone(UTC) - slot.start.astimezone(UTC) == duration
        assert start <= slot.start and slot.end <= end
        assert _is_free(attendees, slot.start, slot.end)
        # Every grid point between the previous slot and this one was not free.
        moment = searched_from
        while moment < slot.start:
            assert not _is_free(attendees, moment, moment + duration)
            moment += STEP
        searched_from = slot.end.astimezone(UTC)
    if len(slots) < limit:
        moment = searched_from
        while moment + duration <= end:
            assert not _is_free(attendees, moment, moment + duration)
            moment += STEP


# ------------------------------------------------------------------ granularity

FIVE = timedelta(minutes=5)
KOLKATA = ZoneInfo("Asia/Kolkata")


def test_slots_start_on_the_quarter_hour_after_a_meeting_that_ends_off_it() -> None:
    """Busy until 10:50: the next slots start at 11:00 and, after 45 min, 12:00."""
    start, end = _berlin(6, 1, 9), _berlin(6, 1, 14)
    anna = _attendee([_event(_berlin(6, 1, 9), _berlin(6, 1, 10, 50))], start, end)
    slots = free_slots(
        [anna],
        start,
        end,
        timedelta(minutes=45),
        zone=BERLIN,
        limit=2,
        granularity=timedelta(minutes=15),
    )
    assert [(slot.start, slot.end) for slot in slots] == [
        (_berlin(6, 1, 11), _berlin(6, 1, 11, 45)),
        (_berlin(6, 1, 11, 45), _berlin(6, 1, 12, 30)),
    ]
    [exact] = free_slots([anna], start, end, HOUR, zone=BERLIN)
    assert exact.start == _berlin(6, 1, 10, 50), "without a granularity, at once"


def test_the_quarter_hours_are_the_local_clocks_in_a_half_hour_zone() -> None:
    """In Kolkata (UTC+5:30), 10:07 local is rounded to 10:15 local."""
    start = datetime(2026, 6, 1, 10, 7, tzinfo=KOLKATA)
    [slot] = free_slots(
        [],
        start,
        start + HOUR,
        HOUR / 2,
        zone=KOLKATA,
        granularity=timedelta(minutes=15),
    )
    assert slot.start == datetime(2026, 6, 1, 10, 15, tzinfo=KOLKATA)


def test_rounding_in_the_hour_the_clocks_go_back_stays_in_that_hour() -> None:
    """25 October 2026, 02:10 the second time (CET): the slot is 02:15 CET, not CEST."""
    second = datetime(2026, 10, 25, 2, 10, tzinfo=BERLIN, fold=1)
    [slot] = free_slots(
        [],
        second,
        second + HOUR,
        HOUR / 4,
        zone=BERLIN,
        granularity=timedelta(minutes=15),
    )
    assert slot.start.astimezone(UTC) == datetime(2026, 10, 25, 1, 15, tzinfo=UTC)


def _on_grid(moment: datetime, granularity: timedelta) -> bool:
    local = moment.astimezone(BERLIN)
    minutes = local.hour * 60 + local.minute
    return local.second == 0 and minutes % (granularity // timedelta(minutes=1)) == 0


_fine_periods = st.tuples(
    st.integers(min_value=0, max_value=SPAN * 3), st.integers(1, 120)
).map(
    lambda pair: BusyPeriod(
        start=ORIGIN + pair[0] * FIVE, end=ORIGIN + (pair[0] + pair[1]) * FIVE
    )
)


@settings(max_examples=100, deadline=None)
@given(
    busy=st.lists(st.lists(_fine_periods, max_size=8), min_size=1, max_size=3),
    first=st.integers(min_value=0, max_value=SPAN * 3 // 2),
    steps=st.integers(min_value=1, max_value=SPAN * 3 // 2),
    length=st.integers(min_value=1, max_value=36),
    limit=st.integers(min_value=1, max_value=4),
    minutes=st.sampled_from([10, 15, 30, 60]),
)
def test_rounded_slots_are_free_on_the_grid_and_none_earlier_was_skipped(
    busy: list[list[BusyPeriod]],
    first: int,
    steps: int,
    length: int,
    limit: int,
    minutes: int,
) -> None:
    """Busy times on a five-minute grid: slots start on the coarser one, none missed."""
    attendees = [Attendee(busy=tuple(periods)) for periods in busy]
    granularity = timedelta(minutes=minutes)
    start = ORIGIN + first * FIVE
    end = start + steps * FIVE
    duration = length * FIVE

    slots = free_slots(
        attendees,
        start,
        end,
        duration,
        zone=BERLIN,
        limit=limit,
        granularity=granularity,
    )

    assert len(slots) <= limit
    searched_from = start
    for slot in slots:
        assert _on_grid(slot.start, granularity)
        assert start <= slot.start and slot.end <= end
        assert _is_free(attendees, slot.start, slot.end)
        moment = searched_from
        while moment < slot.start:
            if _on_grid(moment, granularity):
                assert not _is_free(attendees, moment, moment + duration)
            moment += FIVE
        searched_from = slot.end.astimezone(UTC)
    if len(slots) < limit:
        moment = searched_from
        while moment + duration <= end:
            if _on_grid(moment, granularity):
                assert not _is_free(attendees, moment, moment + duration)
            moment += FIVE
