"""What an event read from a calendar must be before the engine takes it in.

Providers check every event they read with `problem` and clean it with `sanitised`,
at their boundary, so that one bad event is left out and reported (a
`SkippedEvent`) instead of failing its calendar or the cycle, and whatever is taken
in can be stored and written: JSON cannot hold a lone surrogate, XML (CalDAV
answers) no control character, and expanding a rule like `INTERVAL=0` never ends.
"""

from __future__ import annotations

import calendar
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
import re
from typing import Final

from .content import fingerprint, instant
from .model import CopyMarker, Event, SkipReason
from .occurrences import occurrences

_UNSAFE: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
"""Control characters but tab and line feed, lone surrogates, and the two
non-characters XML refuses."""
_TITLE_LIMIT: Final = 200

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
_WEEKDAY: Final = re.compile(r"([+-]?)(\d{0,2})(MO|TU|WE|TH|FR|SA|SU)")
_WEEKDAY_NAMES: Final = frozenset({"MO", "TU", "WE", "TH", "FR", "SA", "SU"})


def clean_text(text: str) -> str:
    """Return text every store and server takes: one kind of line end, no controls.

    A lone surrogate becomes U+FFFD, other unsafe characters are dropped.
    """
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if _UNSAFE.search(text) is None:
        return text
    return _UNSAFE.sub(
        lambda match: "\ufffd" if "\ud800" <= match.group() <= "\udfff" else "", text
    )


def title_of(value: object) -> str:
    """Return what can be shown of a title read from bad data ("" if not text)."""
    return clean_text(value)[:_TITLE_LIMIT] if isinstance(value, str) else ""


def sanitised(event: Event) -> Event:
    """Return the event with clean text (the same object when it was clean)."""
    overrides = tuple(map(sanitised, event.overrides))
    marker = event.copy_of
    texts = (
        event.ical_uid,
        event.summary,
        event.description,
        event.location,
        event.organizer or "",
        marker.source if marker else "",
    )
    if all(clean_text(text) is text for text in texts) and all(
        new is old for new, old in zip(overrides, event.overrides, strict=True)
    ):
        return event
    return replace(
        event,
        ical_uid=clean_text(event.ical_uid),
        summary=clean_text(event.summary),
        description=clean_text(event.description),
        location=clean_text(event.location),
        organizer=clean_text(event.organizer) if event.organizer else event.organizer,
        copy_of=CopyMarker(source=clean_text(marker.source)) if marker else None,
        overrides=overrides,
    )


def problem(event: Event) -> SkipReason | None:
    """Return why the engine cannot take the event in, None when it can.

    Checks what the engine relies on: text, times of one kind and aware, rules it
    can expand, and that its content and first occurrences can be computed.
    """
    for part in (event, *event.overrides):
        if reason := _times_problem(part):
            return reason
        if part is not event and part.recurrence_id is None:
            return SkipReason.INVALID_TIME
    if any(rule_problem(rule) for rule in event.rrules):
        return SkipReason.INVALID_RECURRENCE
    try:
        fingerprint(event)
    except OverflowError, ValueError, TypeError:
        return SkipReason.INVALID_TIME
    try:
        first = instant(event.start, UTC)
        list(
            occurrences(
                event, first - timedelta(days=1), first + timedelta(days=1), UTC
            )
        )
    except OverflowError:
        return SkipReason.INVALID_TIME
    except Exception:  # noqa: BLE001  # dateutil raises several types on a bad rule
        return SkipReason.INVALID_RECURRENCE
    return None


def _times_problem(event: Event) -> SkipReason | None:
    if not all(isinstance(text, str) for text in _texts(event)):
        return SkipReason.INVALID_VALUE
    if _UNSAFE.search(event.id):
        return SkipReason.UNREADABLE  # an id is never changed: it addresses the event
    moments = (event.start, event.end, *event.rdate, *event.exdate)
    if event.recurrence_id is not None:
        moments += (event.recurrence_id,)
    for moment in moments:
        if not isinstance(moment, date) or (
            isinstance(moment, datetime) and moment.utcoffset() is None
        ):
            return SkipReason.INVALID_TIME
    if isinstance(event.start, datetime) != isinstance(event.end, datetime):
        return SkipReason.INVALID_TIME
    return None


def _texts(event: Event) -> tuple[object, ...]:
    return (event.id, event.ical_uid, event.summary, event.description, event.location)


def rule_problem(rule: str) -> str | None:
    """Return what is wrong with an RRULE value (no `RRULE:` prefix), None if fine.

    Stricter than dateutil where dateutil would loop without end (`INTERVAL=0`,
    `BYMONTH=13`) or search to the year 9999 (a 30 February).
    """
    parts: dict[str, str] = {}
    for part in rule.upper().split(";"):
        name, equals, value = part.partition("=")
        if not equals or not value or name in parts:
            return f"malformed part {part[:20]!r}"
        parts[name] = value
    if parts.get("FREQ") not in _FREQUENCIES:
        return "no supported FREQ"
    for name, value in parts.items():
        if name in ("FREQ", "UNTIL"):
            continue
        if name in ("COUNT", "INTERVAL"):
            if not value.isdigit() or int(value) < 1:
                return f"{name} is not a positive number"
        elif name == "WKST":
            if value not in _WEEKDAY_NAMES:
                return "WKST is not a weekday"
        elif name == "BYDAY":
            if not all(_weekday_ok(item) for item in value.split(",")):
                return "BYDAY holds something that is no weekday"
        elif name in _NUMBERS:
            if _numbers(name, value) is None:
                return f"{name} holds a value out of range"
        else:
            return f"unknown part {name[:20]}"
    if not _month_days_possible(parts):
        return "no month has those days"
    return None


def _weekday_ok(item: str) -> bool:
    match = _WEEKDAY.fullmatch(item)
    return match is not None and (not match.group(2) or 1 <= int(match.group(2)) <= 53)


def _numbers(name: str, value: str) -> list[int] | None:
    low, high, signed = _NUMBERS[name]
    found = []
    for item in value.split(","):
        digits = item.removeprefix("-").removeprefix("+") if signed else item
        if not digits.isdigit() or not low <= int(digits) <= high:
            return None
        found.append(-int(digits) if item.startswith("-") else int(digits))
    return found


def _month_days_possible(parts: dict[str, str]) -> bool:
    """Return whether some allowed month has one of the allowed days of the month."""
    if "BYMONTHDAY" not in parts:
        return True
    months = _numbers("BYMONTH", parts["BYMONTH"]) if "BYMONTH" in parts else None
    longest = max(
        calendar.monthrange(2024, month)[1] for month in months or range(1, 13)
    )
    days = _numbers("BYMONTHDAY", parts["BYMONTHDAY"]) or []
    return any(abs(day) <= longest for day in days)


class Unreadable(ValueError):
    """Raised by readers for data they cannot make an event of, saying why."""

    def __init__(self, reason: SkipReason) -> None:
        """Name the reason kind (the message shows nothing of the data)."""
        super().__init__(reason.value)
        self.reason = reason
