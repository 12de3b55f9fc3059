"""What an event read from a calendar must be before the engine takes it in.

Providers check every event they read with `problem` and clean it with `sanitised`,
at their boundary, so that one bad event is left out and reported (a
`SkippedEvent`) instead of failing its calendar or the cycle, and whatever is taken
in can be stored and written: JSON cannot hold a lone surrogate, XML (CalDAV
answers) no control character, and expanding a rule like `INTERVAL=0` never ends.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
import re
from typing import Final

from .content import content, instant
from .model import CopyMarker, Event, SkipReason
from .rule_check import rule_problem
from .rule_search import first_occurrence

_UNSAFE: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
"""Control characters but tab and line feed, lone surrogates, and the two
non-characters XML refuses."""
_TITLE_LIMIT: Final = 200
_FIRST_YEAR: Final = 2
_LAST_YEAR: Final = 9900
"""Times out of these years are garbage (0000-01-01, 9999-12-31 placeholders), and
time arithmetic near the ends of `datetime` overflows."""
_LONGEST_OCCURRENCE: Final = 3660
"""Days an occurrence of a series may last."""


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

    Checks what the engine relies on: text, times of one kind, aware and far from
    the ends of the calendar, rules dateutil can expand in bounded time, and that
    its content can be computed. Cheap, as every event read passes here: dateutil
    itself is not asked (parsing a rule costs it a millisecond).
    """
    for part in (event, *event.overrides):
        if reason := _times_problem(part):
            return reason
        if part is not event and part.recurrence_id is None:
            return SkipReason.INVALID_TIME
    if any(rule_problem(rule) for rule in event.rrules):
        return SkipReason.INVALID_RECURRENCE
    try:
        content(event)  # what `fingerprint` digests, without the digest
    except OverflowError, ValueError, TypeError:
        return SkipReason.INVALID_TIME
    if event.recurring and instant(event.end, UTC) - instant(
        event.start, UTC
    ) > timedelta(days=_LONGEST_OCCURRENCE):
        return SkipReason.INVALID_TIME  # expanding looks back one duration
    first = (
        event.start.replace(tzinfo=None)  # dateutil counts in the start's own zone
        if isinstance(event.start, datetime)
        else datetime.combine(event.start, time())
    )
    if any(first_occurrence(rule, first).first is None for rule in event.rrules):
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
        if (
            not isinstance(moment, date)
            or (isinstance(moment, datetime) and moment.utcoffset() is None)
            or not _FIRST_YEAR <= moment.year <= _LAST_YEAR
        ):
            return SkipReason.INVALID_TIME
    if isinstance(event.start, datetime) != isinstance(event.end, datetime):
        return SkipReason.INVALID_TIME
    return None


def _texts(event: Event) -> tuple[object, ...]:
    return (event.id, event.ical_uid, event.summary, event.description, event.location)


class Unreadable(ValueError):
    """Raised by readers for data they cannot make an event of, saying why."""

    def __init__(self, reason: SkipReason) -> None:
        """Name the reason kind (the message shows nothing of the data)."""
        super().__init__(reason.value)
        self.reason = reason
