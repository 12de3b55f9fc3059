"""Two-way sync: what a member's edit of a copy means for the original.

A copy shows its original transformed (a title prefix, the holders' names,
busy-only privacy); these pure functions compare the copy as the member left it
with the copy as it was written, and carry over to the original only the fields
the member changed: title (without what the copy added), description, location
and time. An edit of one occurrence of a series becomes an override of the
original series; an edit of the series changes the series.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, tzinfo

from .content import content, instant, shown_end
from .edits import occurrence_of, rescheduled, with_occurrence
from .model import DateOrDateTime, Event, EventStatus

_TEXT_FIELDS = ("description", "location")
_NEVER = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True, kw_only=True, slots=True)
class Conflict:
    """An original and a copy of it both changed: the older version was not kept."""

    group: str
    title: str
    """The title of the version kept."""
    lost: str
    """Whose version was not kept: `original`, or the name of the member whose copy it was."""
    lost_title: str
    lost_start: DateOrDateTime


def updated(event: Event) -> datetime:
    """Return when an event last changed, for settling conflicts (unknown: never)."""
    return event.updated or _NEVER


def untransformed_title(edited: str, written: str, original: str) -> str:
    """Return an edited copy's title without what the copy put around the original's.

    The copy was written as `prefix + original + suffix` ("Anna: " before, " (Anna,
    Ben)" after); what the member kept of either goes again.
    """
    at = written.find(original) if original else -1
    if at < 0:
        return edited.strip()
    prefix, suffix = written[:at], written[at + len(original) :]
    if prefix and edited.startswith(prefix):
        edited = edited[len(prefix) :]
    if suffix and edited.endswith(suffix):
        edited = edited[: -len(suffix)]
    return edited.strip()


def _moved(written: Event, present: Event) -> bool:
    return instant(written.start, UTC) != instant(present.start, UTC) or instant(
        shown_end(written), UTC
    ) != instant(shown_end(present), UTC)


def _with_edits(
    original: Event, written: Event, present: Event, *, busy: bool, whole: bool
) -> Event:
    """Return `original` with the fields the member changed from `written` to `present`.

    `whole` takes every field of `present` (the copy won a conflict). A busy-only
    copy shows no text of the original: only its time counts.
    """
    changes: dict[str, object] = {}
    if not busy:
        if whole or present.summary.strip() != written.summary.strip():
            changes["summary"] = untransformed_title(
                present.summary, written.summary, original.summary
            )
        for name in _TEXT_FIELDS:
            if (
                whole
                or getattr(present, name).strip() != getattr(written, name).strip()
            ):
                changes[name] = getattr(present, name)
    if whole or _moved(written, present):
        changes["start"], changes["end"] = present.start, present.end
    return replace(original, **changes)  # type: ignore[arg-type]


def _shows_same(a: Event, b: Event) -> bool:
    """Return whether two versions agree in every field two-way sync carries over."""
    return not _moved(a, b) and all(
        getattr(a, name).strip() == getattr(b, name).strip()
        for name in ("summary", *_TEXT_FIELDS)
    )


def _zone(event: Event) -> tzinfo:
    start = event.start
    return (start.tzinfo if isinstance(start, datetime) else None) or UTC


def edited_original(
    original: Event, written: Event, present: Event, *, busy: bool, whole: bool
) -> Event | None:
    """Return the original as the member's edit of its copy makes it; None if unchanged.

    `written` is the copy as it was written, `present` as the member left it.
    Occurrences the member moved or retitled become overrides of the original
    series, unless the whole series moved too (their ids moved with it). A copy's
    cancelled occurrences are not carried back.
    """
    master = _with_edits(original, written, present, busy=busy, whole=whole)
    changed_master = content(replace(master, overrides=())) != content(
        replace(original, overrides=())
    )
    if original.recurring and changed_master:
        master = rescheduled(original, master)
    if original.recurring and not _moved(written, present):
        master = _with_edited_occurrences(master, written, present, busy=busy)
    return None if content(master) == content(original) else master


def _with_edited_occurrences(
    series: Event, written: Event, present: Event, *, busy: bool
) -> Event:
    """Return the series with the occurrences the member changed on the copy."""
    zone = _zone(series)
    for override in present.overrides:
        moment = override.recurrence_id
        if moment is None or override.status is EventStatus.CANCELLED:
            continue
        was = occurrence_of(written, moment, zone)
        if _shows_same(was, override):
            continue
        base = occurrence_of(series, moment, zone)
        occurrence = _with_edits(base, was, override, busy=busy, whole=False)
        if content(occurrence) != content(base):
            series = with_occurrence(series, moment, occurrence, zone)
    return series
