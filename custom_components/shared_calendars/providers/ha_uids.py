"""Copies in calendar entities that do not keep the uid they are given.

Home Assistant's Google integration, Microsoft 365 and others create an event
under an id their server picks, and `async_create_event` returns nothing. The
event a copy became is found by reading the moments around it before and after
the write: the one new there that shows what was written. Its uid is kept in the
sync state (`CopyUidBook`), so reads name it by the copy's id.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta, tzinfo
from typing import Protocol

from homeassistant.components.calendar import CalendarEvent

from ..engine.content import instant
from ..engine.model import DateOrDateTime, Event


class CopyUidBook(Protocol):
    """Where the uids calendars gave copies are kept: the group's sync state."""

    def copy_with_uid(self, calendar: str, uid: str) -> str | None:
        """Return the copy a calendar's uid holds, if any."""
        ...

    def uid_of_copy(self, calendar: str, copy_id: str) -> str | None:
        """Return the uid a calendar gave a copy, if it gave one."""
        ...

    def remember_copy_uid(self, calendar: str, uid: str, copy_id: str | None) -> None:
        """Remember which copy a uid holds; None when it holds none any more."""
        ...


def around(event: Event, zone: tzinfo) -> tuple[datetime, datetime]:
    """Return a range that holds an event's first occurrence, and little else."""
    return (
        instant(event.start, zone) - timedelta(days=1),
        instant(event.end, zone) + timedelta(days=1),
    )


def by_uid(occurrences: Iterable[CalendarEvent]) -> dict[str, list[CalendarEvent]]:
    """Return occurrences by their uid, leaving out those without one."""
    grouped: dict[str, list[CalendarEvent]] = defaultdict(list)
    for occurrence in occurrences:
        if occurrence.uid:
            grouped[occurrence.uid].append(occurrence)
    return grouped


def _same_moment(read: DateOrDateTime, written: DateOrDateTime, zone: tzinfo) -> bool:
    if isinstance(read, datetime) != isinstance(written, datetime):
        return False
    return instant(read, zone) == instant(written, zone)


def _rule(text: str | None) -> list[str]:
    return sorted((text or "").upper().removeprefix("RRULE:").split(";"))


def shows(
    occurrence: CalendarEvent, event: Event, zone: tzinfo, *, exact: bool
) -> bool:
    """Return whether an occurrence shows an event's first occurrence as written.

    Exactly: title, times, description, location and rule. Otherwise a calendar
    that keeps no description or location (or rule text) may leave them out.
    """
    if not (
        (occurrence.summary or "") == event.summary
        and _same_moment(occurrence.start, event.start, zone)
        and _same_moment(occurrence.end, event.end, zone)
    ):
        return False
    kept = (
        (occurrence.description or "", event.description),
        (occurrence.location or "", event.location),
    )
    if exact:
        return all(read == written for read, written in kept) and _rule(
            occurrence.rrule
        ) == _rule(event.rrule)
    return all(read in (written, "") for read, written in kept)


def showing(
    candidates: Mapping[str, list[CalendarEvent]],
    event: Event,
    zone: tzinfo,
    *,
    exact: bool,
) -> str | None:
    """Return the uid among candidates whose occurrences show the event, if any."""
    for uid in sorted(candidates):
        if any(shows(item, event, zone, exact=exact) for item in candidates[uid]):
            return uid
    return None
