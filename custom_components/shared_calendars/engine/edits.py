"""Edits a person makes to a series: one occurrence, or the series from one on.

Calendars keep a series as one item with its exceptions; a person edits what
they see, an occurrence. These pure functions turn such an edit into the new
series (and, for "this and the following", a second series) for a provider to
write. They never change the series' id, so that writing replaces it.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, tzinfo

from .content import instant
from .model import DateOrDateTime, Event
from .occurrences import occurrences


def same_moment(a: DateOrDateTime, b: DateOrDateTime, zone: tzinfo) -> bool:
    """Return whether two starts name the same moment (a date: midnight in `zone`)."""
    return instant(a, zone) == instant(b, zone)


def has_occurrence(series: Event, recurrence_id: DateOrDateTime, zone: tzinfo) -> bool:
    """Return whether `recurrence_id` is the original start of one of the series' occurrences.

    A moved occurrence counts under its original start; an excluded one does not.
    """
    if any(
        override.recurrence_id is not None
        and same_moment(override.recurrence_id, recurrence_id, zone)
        for override in series.overrides
    ):
        return True
    moment = instant(recurrence_id, zone)
    return any(
        occurrence.recurrence_id is not None
        and same_moment(occurrence.recurrence_id, recurrence_id, zone)
        for occurrence in occurrences(
            replace(series, overrides=()), moment, moment + timedelta(seconds=1), zone
        )
    )


def _like_start(
    value: DateOrDateTime, start: DateOrDateTime, zone: tzinfo
) -> DateOrDateTime:
    """Return `value` in the form of the series' start: a date, or a time in its zone."""
    if not isinstance(start, datetime):
        return (
            value if not isinstance(value, datetime) else value.astimezone(zone).date()
        )
    return instant(value, zone).astimezone(start.tzinfo or zone)


def _others(
    series: Event, recurrence_id: DateOrDateTime, zone: tzinfo
) -> tuple[Event, ...]:
    return tuple(
        override
        for override in series.overrides
        if override.recurrence_id is None
        or not same_moment(override.recurrence_id, recurrence_id, zone)
    )


def occurrence_of(series: Event, recurrence_id: DateOrDateTime, zone: tzinfo) -> Event:
    """Return one occurrence as an event: its override, or the series moved there."""
    for override in series.overrides:
        if override.recurrence_id is not None and same_moment(
            override.recurrence_id, recurrence_id, zone
        ):
            return override
    start = _like_start(recurrence_id, series.start, zone)
    end: DateOrDateTime
    if isinstance(series.start, datetime) and isinstance(series.end, datetime):
        assert isinstance(start, datetime)
        end = start + (series.end - series.start)
    else:
        assert not isinstance(start, datetime)
        end = start + timedelta(days=(_day(series.end) - _day(series.start)).days)
    return replace(
        series,
        start=start,
        end=end,
        rrule=None,
        rdate=(),
        exdate=(),
        overrides=(),
        recurrence_id=start,
    )


def with_occurrence(
    series: Event, recurrence_id: DateOrDateTime, changed: Event, zone: tzinfo
) -> Event:
    """Return the series with one occurrence replaced by `changed` (an override)."""
    original = _like_start(recurrence_id, series.start, zone)
    override = replace(
        changed,
        id=series.id,
        ical_uid=series.ical_uid,
        rrule=None,
        rdate=(),
        exdate=(),
        overrides=(),
        recurrence_id=original,
        copy_of=None,
    )
    return replace(series, overrides=(*_others(series, recurrence_id, zone), override))


def without_occurrence(
    series: Event, recurrence_id: DateOrDateTime, zone: tzinfo
) -> Event:
    """Return the series without one occurrence: an EXDATE, and no override for it."""
    return replace(
        series,
        exdate=(*series.exdate, _like_start(recurrence_id, series.start, zone)),
        overrides=_others(series, recurrence_id, zone),
    )


def ending_before(
    series: Event, recurrence_id: DateOrDateTime, zone: tzinfo
) -> Event | None:
    """Return the series cut short to end before one occurrence.

    None when that occurrence is the first, so that nothing is left. A COUNT
    becomes an UNTIL: every occurrence before the cut was inside the count.
    """
    cut = instant(recurrence_id, zone)
    if cut <= instant(series.start, zone):
        return None
    rrule = series.rrule
    if rrule:
        parts = [
            part
            for part in rrule.split(";")
            if part.partition("=")[0].upper() not in ("COUNT", "UNTIL")
        ]
        if isinstance(series.start, datetime):
            until = (cut - timedelta(seconds=1)).astimezone(UTC)
            parts.append(f"UNTIL={until:%Y%m%dT%H%M%SZ}")
        else:
            parts.append(
                f"UNTIL={cut.astimezone(zone).date() - timedelta(days=1):%Y%m%d}"
            )
        rrule = ";".join(parts)

    def before(value: DateOrDateTime | None) -> bool:
        return value is not None and instant(value, zone) < cut

    return replace(
        series,
        rrule=rrule,
        rdate=tuple(value for value in series.rdate if before(value)),
        exdate=tuple(value for value in series.exdate if before(value)),
        overrides=tuple(o for o in series.overrides if before(o.recurrence_id)),
    )


def rescheduled(series: Event, changed: Event) -> Event:
    """Return the whole series changed as `changed` says (times, rule, text).

    Exceptions and exclusions name occurrences by their original start: they stay
    only while the series keeps its first start and its rule.
    """
    keeps_occurrences = (
        changed.rrule is not None
        and changed.rrule == series.rrule
        and changed.start == series.start
    )
    return replace(
        series,
        summary=changed.summary,
        description=changed.description,
        location=changed.location,
        start=changed.start,
        end=changed.end,
        rrule=changed.rrule,
        rdate=series.rdate if keeps_occurrences else (),
        exdate=series.exdate if keeps_occurrences else (),
        overrides=series.overrides if keeps_occurrences else (),
    )


def _day(value: DateOrDateTime) -> date:
    return value.date() if isinstance(value, datetime) else value
