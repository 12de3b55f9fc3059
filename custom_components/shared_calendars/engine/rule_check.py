"""Which recurrence rules the engine can expand, and in bounded time.

dateutil, which expands rules, raises on some malformed ones, loops without end on
others (`INTERVAL=0`, `BYMONTH=13`), and on a rule that never makes an occurrence
(a 30 February, week 20 in January) searches day by day to the year 9999 on every
expansion, even with an UNTIL: it compares UNTIL only with occurrences it found.
Calendars hold such rules now and then; here they are recognised beforehand.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta
import re
from typing import Final

_FREQUENCIES: Final = frozenset({"HOURLY", "DAILY", "WEEKLY", "MONTHLY", "YEARLY"})
"""SECONDLY and MINUTELY are left out: no calendar app makes them, and expanding a
year of them would stall Home Assistant."""
_NUMBERS: Final = {
    # name: (lowest, highest, whether negative values count from the end)
    "BYSECOND": (0, 60, False),
    "BYMINUTE": (0, 59, False),
    "BYHOUR": (0, 23, False),
    "BYMONTHDAY": (1, 31, True),
    "BYYEARDAY": (1, 366, True),
    "BYWEEKNO": (1, 53, True),
    "BYMONTH": (1, 12, False),
    "BYSETPOS": (1, 366, True),
}
_ONLY_WITH: Final = {
    # RFC 5545 3.3.10: parts that MUST NOT be used with other frequencies
    "BYWEEKNO": {"YEARLY"},
    "BYYEARDAY": {"HOURLY", "YEARLY"},
    "BYMONTHDAY": {"HOURLY", "DAILY", "MONTHLY", "YEARLY"},
}
_WEEKDAYS: Final = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_WEEKDAY: Final = re.compile(r"([+-]?)(\d{0,2})(MO|TU|WE|TH|FR|SA|SU)")
_HORIZON: Final = timedelta(days=41 * 366)
"""How far to look for a first occurrence: a 29 February on a given weekday comes
back within 40 years (28, or 40 across a century that is no leap year)."""


def rule_problem(rule: str) -> str | None:
    """Return what is wrong with an RRULE value (no `RRULE:` prefix), None if fine.

    Stricter than dateutil where dateutil would loop without end, and than some
    calendars where RFC 5545 forbids a part with a frequency. A rule that never
    makes an occurrence passes: see `makes_occurrences`.
    """
    parts: dict[str, str] = {}
    for part in rule.upper().split(";"):
        name, equals, value = part.partition("=")
        if not equals or not value or name in parts:
            return f"malformed part {part[:20]!r}"
        parts[name] = value
    frequency = parts.get("FREQ", "")
    if frequency not in _FREQUENCIES:
        return "no supported FREQ"
    for name, value in parts.items():
        if name in ("FREQ", "UNTIL"):
            continue
        if frequency not in _ONLY_WITH.get(name, _FREQUENCIES):
            return f"{name} with FREQ={frequency}"
        if name in ("COUNT", "INTERVAL"):
            if not value.isdigit() or int(value) < 1:
                return f"{name} is not a positive number"
        elif name == "WKST":
            if value not in _WEEKDAYS:
                return "WKST is not a weekday"
        elif name == "BYDAY":
            ordinals = frequency in ("MONTHLY", "YEARLY")
            if not all(_weekday_ok(item, ordinals) for item in value.split(",")):
                return "BYDAY holds something that is no weekday"
        elif name in _NUMBERS:
            if _numbers(name, value) is None:
                return f"{name} holds a value out of range"
        else:
            return f"unknown part {name[:20]}"
    return None


def makes_occurrences(rule: str, start: date) -> bool:
    """Return whether a rule `rule_problem` passes makes a day of occurrence.

    Looks day by day from `start` through `_HORIZON` for one that every BY part
    about days allows and that falls in a period INTERVAL counts; ordinals (`2TH`)
    and BYSETPOS are left aside, so the answer errs on "yes".
    """
    parts = dict(part.partition("=")[::2] for part in rule.upper().split(";"))
    frequency = parts["FREQ"]
    interval = int(parts.get("INTERVAL", "1"))
    wkst = _WEEKDAYS.index(parts.get("WKST", "MO"))
    months = set(_numbers("BYMONTH", parts.get("BYMONTH", "")) or ())
    month_days = set(_numbers("BYMONTHDAY", parts.get("BYMONTHDAY", "")) or ())
    year_days = set(_numbers("BYYEARDAY", parts.get("BYYEARDAY", "")) or ())
    weeks = set(_numbers("BYWEEKNO", parts.get("BYWEEKNO", "")) or ())
    weekdays = {
        _WEEKDAYS.index(item[-2:]) for item in parts.get("BYDAY", "").split(",") if item
    }

    def allowed(day: date) -> bool:
        if months and day.month not in months:
            return False
        if weekdays and day.weekday() not in weekdays:
            return False
        if month_days:
            length = calendar.monthrange(day.year, day.month)[1]
            if not {day.day, day.day - length - 1} & month_days:
                return False
        if year_days:
            number = day.timetuple().tm_yday
            length = 366 if calendar.isleap(day.year) else 365
            if not {number, number - length - 1} & year_days:
                return False
        return not weeks or bool(_week_numbers(day) & weeks)

    def counted(day: date) -> bool:
        if interval == 1 or frequency == "HOURLY":
            return True
        if frequency == "DAILY":
            steps = (day - start).days
        elif frequency == "WEEKLY":
            steps = (_week_start(day, wkst) - _week_start(start, wkst)).days // 7
        elif frequency == "MONTHLY":
            steps = (day.year - start.year) * 12 + day.month - start.month
        else:
            steps = day.year - start.year
        return steps % interval == 0

    day, last = start, start + _HORIZON
    while day <= last:
        if allowed(day) and counted(day):
            return True
        day += timedelta(days=1)
    return False


def _weekday_ok(item: str, ordinals: bool) -> bool:
    match = _WEEKDAY.fullmatch(item)
    if match is None:
        return False
    return not match.group(2) or (ordinals and 1 <= int(match.group(2)) <= 53)


def _numbers(name: str, value: str) -> list[int] | None:
    if not value:
        return None
    low, high, signed = _NUMBERS[name]
    found = []
    for item in value.split(","):
        digits = item.removeprefix("-").removeprefix("+") if signed else item
        if not digits.isdigit() or not low <= int(digits) <= high:
            return None
        found.append(-int(digits) if item.startswith("-") else int(digits))
    return found


def _week_start(day: date, wkst: int) -> date:
    return day - timedelta(days=(day.weekday() - wkst) % 7)


def _week_numbers(day: date) -> set[int]:
    """Return the week numbers a day may count as, from the start and from the end.

    ISO weeks (WKST=MO), a week either way for other week starts and for days
    that belong to a neighbouring year's week: generous, never too strict.
    """
    year, week, _ = day.isocalendar()
    total = date(year, 12, 28).isocalendar().week
    numbers = set()
    for near in (week - 1, week, week + 1):
        numbers |= {near, near - total - 1}
    return numbers
