"""Where a recurrence rule makes its first occurrence, found in bounded work.

dateutil, which expands rules, walks period after period until it finds what it
was asked for, and on a rule that never makes an occurrence (a 30 February, a
BYSETPOS past the days a period holds, a fifth Monday on the 1st) that is every
period until the year 9999: seconds for each expansion of each such series. Here
the same periods are walked as dateutil walks them (the day sets of its YEARLY,
MONTHLY, WEEKLY and DAILY periods, its defaults taken from the start, ordinal
weekdays counted in the month or the year, BYSETPOS over days and times) but only
through `HORIZON`, so that a rule taken in is one dateutil expands at once.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Final

from .rule_check import numbers, weekday_parts

HORIZON: Final = timedelta(days=41 * 366)
"""How far to look: the days and weekdays of the Gregorian calendar come back
within 40 years (28, or 40 across a century that is no leap year), so a rule
with no occurrence by then has none, or one too rare to keep."""
_WEEKDAYS: Final = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


@dataclass(frozen=True, kw_only=True, slots=True)
class RuleSearch:
    """What looking for a rule's first occurrence found, and the work it took."""

    first: date | None
    """The day of its first occurrence, None when there is none within HORIZON."""
    days_examined: int
    """How many candidate days were looked at: HORIZON's length and two periods at most."""


def first_occurrence(rule: str, start: datetime) -> RuleSearch:
    """Find the first day a rule `rule_check.rule_problem` passes makes, from `start`.

    `start` is the series' first start as dateutil gets it (wall clock; an all-day
    series starts at midnight). UNTIL and COUNT are left aside: they end a rule,
    they do not make dateutil search.
    """
    search = _Search(rule, start)
    examined = 0
    last = start.date() + HORIZON if start.year < date.max.year - 42 else date.max
    for begin, end in search.periods(last):
        walked, found = search.first_in(begin, end)
        examined += walked
        if found is not None:
            return RuleSearch(first=found, days_examined=examined)
    return RuleSearch(first=None, days_examined=examined)


class _Search:
    """One rule, read as dateutil reads it, with its defaults from the start."""

    def __init__(self, rule: str, start: datetime) -> None:
        parts = dict(part.partition("=")[::2] for part in rule.upper().split(";"))
        self.start = start
        self.frequency = parts["FREQ"]
        self.interval = int(parts.get("INTERVAL", "1"))
        self.wkst = _WEEKDAYS.index(parts.get("WKST", "MO"))
        self.months = set(numbers("BYMONTH", parts.get("BYMONTH", "")) or ())
        self.month_days = set(numbers("BYMONTHDAY", parts.get("BYMONTHDAY", "")) or ())
        self.year_days = set(numbers("BYYEARDAY", parts.get("BYYEARDAY", "")) or ())
        self.weeks = set(numbers("BYWEEKNO", parts.get("BYWEEKNO", "")) or ())
        self.positions = numbers("BYSETPOS", parts.get("BYSETPOS", "")) or []
        plain, ordinal = weekday_parts(parts.get("BYDAY", ""))
        if self.frequency not in ("MONTHLY", "YEARLY"):
            plain |= {weekday for weekday, _ in ordinal}  # dateutil drops the n
            ordinal = set()
        self.weekdays, self.ordinals = plain, ordinal
        if not (self.weeks or self.year_days or self.month_days or plain or ordinal):
            # dateutil's defaults: the start's day (and month) repeat
            if self.frequency == "YEARLY":
                self.months = self.months or {start.month}
                self.month_days = {start.day}
            elif self.frequency == "MONTHLY":
                self.month_days = {start.day}
            elif self.frequency == "WEEKLY":
                self.weekdays = {start.weekday()}
        self.times = self._times(parts)

    def _times(self, parts: dict[str, str]) -> list[time]:
        """Return the times of day of one period's occurrences, sorted."""
        hours = set(numbers("BYHOUR", parts.get("BYHOUR", "")) or ())
        minutes = numbers("BYMINUTE", parts.get("BYMINUTE", "")) or [self.start.minute]
        seconds = numbers("BYSECOND", parts.get("BYSECOND", "")) or [self.start.second]
        self.hours = hours
        if self.frequency == "HOURLY":
            hours = {0}  # each hour is a period of its own: see `_first_hourly`
        return sorted(
            {
                time(hour, minute, second % 60)  # a leap second is read as :00
                for hour in hours or {self.start.hour}
                for minute in minutes
                for second in seconds
            }
        )

    def periods(self, last: date) -> Iterator[tuple[date, date]]:
        """Yield the first and last day of each period INTERVAL counts."""
        first = self.start.date()
        index = 0
        while True:
            begin, end = self._period(first, index)
            if begin > last or begin == date.max:
                return
            yield begin, end
            index += 1

    def _period(self, first: date, index: int) -> tuple[date, date]:
        """Return the first and the last day of the index-th counted period."""
        step = index * self.interval
        match self.frequency:
            case "YEARLY":
                year = first.year + step
                if year > 9999:
                    return date.max, date.max
                return date(year, 1, 1), date(year, 12, 31)
            case "MONTHLY":
                year, month = divmod(first.month - 1 + step, 12)
                if first.year + year > 9999:
                    return date.max, date.max
                begin = date(first.year + year, month + 1, 1)
                return begin, _month_end(begin)
            case "WEEKLY":
                # dateutil's first week runs from the start to the next week start
                week = first - timedelta(days=(first.weekday() - self.wkst) % 7)
                begin = first if index == 0 else week + timedelta(weeks=step)
                return begin, week + timedelta(weeks=step, days=6)
            case _:  # DAILY, and HOURLY a day at a time
                day = first + timedelta(
                    days=step if self.frequency == "DAILY" else index
                )
                return day, day

    def _allowed(self, day: date) -> bool:
        if self.months and day.month not in self.months:
            return False
        if self.weekdays and day.weekday() not in self.weekdays:
            return False
        if self.ordinals and not self._nth_weekday(day):
            return False
        if self.month_days:
            length = calendar.monthrange(day.year, day.month)[1]
            if not {day.day, day.day - length - 1} & self.month_days:
                return False
        if self.year_days:
            number = day.timetuple().tm_yday
            length = 366 if calendar.isleap(day.year) else 365
            if not {number, number - length - 1} & self.year_days:
                return False
        return not self.weeks or bool(_week_numbers(day, self.wkst) & self.weeks)

    def _nth_weekday(self, day: date) -> bool:
        """Whether the day is an ordinal weekday (2TU, -1FR) of its month or year.

        As dateutil counts them: in the month for MONTHLY, and for YEARLY with
        BYMONTH; in the year otherwise.
        """
        if self.frequency == "MONTHLY" or self.months:
            begin, end = day.replace(day=1), _month_end(day)
        else:
            begin, end = date(day.year, 1, 1), date(day.year, 12, 31)
        for weekday, nth in self.ordinals:
            if nth > 0:
                found = begin + timedelta(
                    days=(nth - 1) * 7 + (weekday - begin.weekday()) % 7
                )
            else:
                found = end - timedelta(
                    days=(-nth - 1) * 7 + (end.weekday() - weekday) % 7
                )
            if found == day:
                return True
        return False

    def first_in(self, begin: date, end: date) -> tuple[int, date | None]:
        """Return the days looked at in one period, and its first occurrence's day.

        Only an occurrence not before the start counts.
        """
        if self.positions and self.frequency != "HOURLY":
            return self._first_positioned(begin, end)
        if self.positions and not any(
            -len(self.times) <= p <= len(self.times) for p in self.positions
        ):
            return (end - begin).days + 1, None  # no hour has that many minutes
        examined = 0
        first = self.start.date()
        for day in _days(max(begin, first), end):
            examined += 1
            if not self._allowed(day):
                continue
            if self.frequency == "HOURLY":
                if self._has_hour(day):
                    return examined, day
            elif day > first or self.times[-1] >= self.start.time():
                return examined, day
        return examined, None

    def _first_positioned(self, begin: date, end: date) -> tuple[int, date | None]:
        """Pick BYSETPOS among all of a period's days and times.

        Those before the start count too: dateutil drops them afterwards.
        """
        days = [day for day in _days(begin, end) if self._allowed(day)]
        total = len(days) * len(self.times)
        chosen = sorted(
            {
                p - 1 if p > 0 else total + p
                for p in self.positions
                if -total <= p <= total
            }
        )
        for index in chosen:
            day, moment = divmod(index, len(self.times))
            if datetime.combine(days[day], self.times[moment]) >= self.start:
                return (end - begin).days + 1, days[day]
        return (end - begin).days + 1, None

    def _has_hour(self, day: date) -> bool:
        """HOURLY: whether the day has an hour INTERVAL counts and BYHOUR allows."""
        origin = self.start.replace(minute=0, second=0, microsecond=0)
        offset = int((datetime.combine(day, time()) - origin).total_seconds()) // 3600
        return any(
            offset + hour >= 0 and (offset + hour) % self.interval == 0
            for hour in self.hours or range(24)
        )


def _days(begin: date, end: date) -> Iterator[date]:
    day = begin
    while day <= end:
        yield day
        if day == date.max:
            return
        day += timedelta(days=1)


def _month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def _week_numbers(day: date, wkst: int) -> set[int]:
    """Return the BYWEEKNO values that take in `day`, counted from either end.

    RFC 5545: week 1 is the first week, starting on WKST, with four days of the
    year. A day in the first week of the next year counts as its week 1, one in the last
    week of the year before as that week's number or -1, as dateutil counts them.
    """
    start, count = _week_one(day.year, wkst)
    if day < start:
        return {_week_one(day.year - 1, wkst)[1], -1}
    number = (day - start).days // 7 + 1
    if number > count:
        return {1}
    return {number, number - count - 1}


def _week_one(year: int, wkst: int) -> tuple[date, int]:
    """Return the first day of a year's week 1, and how many weeks the year has."""
    new_year = date(year, 1, 1)
    before = (new_year.weekday() - wkst) % 7  # days of its week in the year before
    start = (
        new_year - timedelta(days=before)
        if before <= 3
        else new_year + timedelta(days=7 - before)
    )
    following = date(year + 1, 1, 1)
    after = (following.weekday() - wkst) % 7
    end = (
        following - timedelta(days=after)
        if after <= 3
        else following + timedelta(days=7 - after)
    )
    return start, (end - start).days // 7
