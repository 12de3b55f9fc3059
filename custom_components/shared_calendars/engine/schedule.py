"""Finding a time when everyone asked is free, from their busy periods.

Each attendee (a member or a room) is busy in their `BusyPeriod`s (see
`occurrences.busy_periods`) and, when they keep working hours, outside them too.
Slots are placed greedily: the first one starts at the earliest moment from which
everyone is free for the whole duration, each next one at the earliest such
moment not before the previous slot ends. With a granularity, a slot starts only
on the local clock's multiples of it (counted from midnight: :00, :15, :30, :45
for 15 minutes). Working hours are wall-clock times in the given zone, so a day
that changes to or from daylight saving time keeps them.
Pure: no I/O, no Home Assistant.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from .occurrences import BusyPeriod


@dataclass(frozen=True, kw_only=True, slots=True)
class WorkingHours:
    """The hours of each day in which someone can meet, on the local clock."""

    start: time
    end: time
    """Exclusive; at or before `start`, the hours run past midnight into the next day."""


DEFAULT_WORKING_HOURS = WorkingHours(start=time(8), end=time(20))


@dataclass(frozen=True, kw_only=True, slots=True)
class Attendee:
    """Someone (or a room) who must be free."""

    busy: tuple[BusyPeriod, ...]
    hours: WorkingHours | None = None
    """When they can meet; None: at any time."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Slot:
    """A span in which everyone asked is free."""

    start: datetime
    end: datetime


def _wall_clock(day: date, at: time, zone: tzinfo) -> datetime:
    """Return `at` on `day` in `zone`, in UTC; a time the clock skips is after the jump.

    UTC, because Python compares and subtracts two times of one zone by their
    wall clocks, which is wrong across a change of the clocks.
    """
    return datetime.combine(day, at, zone).astimezone(UTC)


def working_periods(
    hours: WorkingHours, start: datetime, end: datetime, zone: tzinfo
) -> list[BusyPeriod]:
    """Return the working periods that overlap [start, end), in time order, uncut, in UTC."""
    first = start.astimezone(zone).date() - timedelta(days=1)
    last = end.astimezone(zone).date()
    periods: list[BusyPeriod] = []
    day = first
    while day <= last:
        begin = _wall_clock(day, hours.start, zone)
        finish_day = day if hours.end > hours.start else day + timedelta(days=1)
        finish = _wall_clock(finish_day, hours.end, zone)
        if begin < end and finish > start and begin < finish:
            periods.append(BusyPeriod(start=begin, end=finish))
        day += timedelta(days=1)
    return periods


def _outside(
    periods: Sequence[BusyPeriod], start: datetime, end: datetime
) -> list[BusyPeriod]:
    """Return the parts of [start, end) that no period covers."""
    gaps: list[BusyPeriod] = []
    cursor = start
    for period in periods:
        if period.start > cursor:
            gaps.append(BusyPeriod(start=cursor, end=min(period.start, end)))
        cursor = max(cursor, period.end)
        if cursor >= end:
            return gaps
    if cursor < end:
        gaps.append(BusyPeriod(start=cursor, end=end))
    return gaps


def _free(
    blocked: Iterable[BusyPeriod], start: datetime, end: datetime
) -> list[BusyPeriod]:
    """Return the parts of [start, end) that no blocked period touches."""
    return _outside(
        sorted(blocked, key=lambda period: (period.start, period.end)), start, end
    )


def aligned(moment: datetime, granularity: timedelta | None, zone: tzinfo) -> datetime:
    """Return the first start at or after `moment` on the granularity, in UTC.

    Counted on the local clock from midnight, so that 15 minutes gives :00, :15,
    :30 and :45 in a zone half an hour off UTC too. A start the clock skips (the
    change to summer time) is the same moment after the jump.
    """
    moment = moment.astimezone(UTC)
    if granularity is None:
        return moment
    local = moment.astimezone(zone)
    wall = local.replace(tzinfo=None)
    midnight = wall.replace(hour=0, minute=0, second=0, microsecond=0)
    steps = -((midnight - wall) // granularity)  # rounded up
    start = (midnight + steps * granularity).replace(tzinfo=zone, fold=local.fold)
    found = start.astimezone(UTC)
    # Falling back, a wall time read in the earlier hour may lie before `moment`.
    while found < moment:
        found += granularity
    return found


def free_slots(
    attendees: Iterable[Attendee],
    start: datetime,
    end: datetime,
    duration: timedelta,
    *,
    zone: tzinfo,
    limit: int = 1,
    granularity: timedelta | None = None,
) -> list[Slot]:
    """Return up to `limit` slots of `duration` in [start, end) when all are free.

    With `granularity`, slots start only on its multiples (see `aligned`).
    """
    if duration <= timedelta(0) or limit < 1:
        return []
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    blocked: list[BusyPeriod] = []
    for attendee in attendees:
        blocked.extend(
            BusyPeriod(
                start=period.start.astimezone(UTC), end=period.end.astimezone(UTC)
            )
            for period in attendee.busy
        )
        if attendee.hours is not None:
            blocked.extend(
                _outside(working_periods(attendee.hours, start, end, zone), start, end)
            )
    slots: list[Slot] = []
    for free in _free(blocked, start, end):
        # In UTC: an aware local time plus an hour is an hour on the wall clock.
        begin = aligned(free.start, granularity, zone)
        while begin + duration <= free.end:
            finish = begin + duration
            slots.append(
                Slot(start=begin.astimezone(zone), end=finish.astimezone(zone))
            )
            if len(slots) == limit:
                return slots
            begin = aligned(finish, granularity, zone)
    return slots
