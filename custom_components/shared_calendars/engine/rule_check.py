"""Which recurrence rules the engine can expand, and in bounded time.

dateutil, which expands rules, raises on some malformed ones, loops without end on
others (`INTERVAL=0`, `BYMONTH=13`), and on a rule that never makes an occurrence
(a 30 February, week 20 in January) searches day by day to the year 9999 on every
expansion, even with an UNTIL: it compares UNTIL only with occurrences it found.
Calendars hold such rules now and then; here the malformed ones are recognised
beforehand, and `rule_search` finds those that never make an occurrence.
"""

from __future__ import annotations

from datetime import datetime
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
_UNTIL: Final = re.compile(r"\d{8}(T\d{6}Z?)?")


def rule_problem(rule: str) -> str | None:
    """Return what is wrong with an RRULE value (no `RRULE:` prefix), None if fine.

    Stricter than dateutil where dateutil would loop without end, and than some
    calendars where RFC 5545 forbids a part with a frequency. A rule that never
    makes an occurrence passes: see `rule_search.first_occurrence`.
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
        if name == "FREQ":
            continue
        if name == "UNTIL":
            if not _until_ok(value):
                return "UNTIL is no date or UTC time"
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
            if numbers(name, value) is None:
                return f"{name} holds a value out of range"
        else:
            return f"unknown part {name[:20]}"
    return None


def _until_ok(value: str) -> bool:
    """Return whether UNTIL is a DATE or a DATE-TIME (UTC or floating), as RFC 5545."""
    if _UNTIL.fullmatch(value) is None:
        return False
    try:
        datetime.strptime(
            value.rstrip("Z"), "%Y%m%dT%H%M%S" if "T" in value else "%Y%m%d"
        )
    except ValueError:
        return False
    return True


def _weekday_ok(item: str, ordinals: bool) -> bool:
    match = _WEEKDAY.fullmatch(item)
    if match is None:
        return False
    return not match.group(2) or (ordinals and 1 <= int(match.group(2)) <= 53)


def numbers(name: str, value: str) -> list[int] | None:
    """Return the numbers of a BY part, None when it is empty or out of range."""
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


def weekday_parts(value: str) -> tuple[set[int], set[tuple[int, int]]]:
    """Split a BYDAY value `rule_problem` passed into plain and ordinal weekdays.

    Returns the weekdays (0 is Monday) and the (weekday, n) pairs of `2TU`, `-1FR`.
    """
    plain: set[int] = set()
    ordinal: set[tuple[int, int]] = set()
    for item in filter(None, value.split(",")):
        match = _WEEKDAY.fullmatch(item)
        assert match is not None
        weekday = _WEEKDAYS.index(match.group(3))
        if match.group(2):
            nth = int(match.group(2))
            ordinal.add((weekday, -nth if match.group(1) == "-" else nth))
        else:
            plain.add(weekday)
    return plain, ordinal
