"""Edits a person makes to a series: one occurrence, or the series from one on.

Calendars keep a series as one item with its exceptions; a person edits what
they see, an occurrence. These pure functions turn such an edit into the new
series (and, for "this and the following", a second series) for a provider to
write. They never change the series' id, so that writing replaces it.
"""

from __future__ import annotations

from collections.abc import Callable
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

    Its moved and changed occurrences follow, field by field: one that kept the
    series' title, description, location, original time or length takes the new
    one; one that changed that field itself keeps its own. A new start moves the
    original starts (recurrence ids, exclusions, extra dates, UNTIL) by the same
    wall-clock offset, so they still name the same occurrences. A new rule, or a
    change between all-day and timed, leaves them naming nothing: they go.

    The series keeps its zone: times given in another (Home Assistant's, or an
    offset) are read in it, so its occurrences keep their place across DST.
    """
    changed = _in_zone_of(series.start, changed)
    move = _mover(series.start, changed.start)
    new = replace(
        series,
        summary=changed.summary,
        description=changed.description,
        location=changed.location,
        start=changed.start,
        end=changed.end,
        rrule=changed.rrule,
    )
    same_rule = _rule_parts(changed.rrule) == _rule_parts(series.rrule)
    if move is None or not same_rule or not series.recurring:
        return replace(
            new,
            extra_rrules=series.extra_rrules if same_rule else (),
            rdate=(),
            exdate=(),
            overrides=(),
        )
    return replace(
        new,
        rrule=changed.rrule and _moved_rule(changed.rrule, move, series.start),
        extra_rrules=tuple(
            _moved_rule(rule, move, series.start) for rule in series.extra_rrules
        ),
        rdate=tuple(map(move, series.rdate)),
        exdate=tuple(map(move, series.exdate)),
        overrides=tuple(
            _followed(override, series, new, move) for override in series.overrides
        ),
    )


def _in_zone_of(start: DateOrDateTime, changed: Event) -> Event:
    """Return `changed` with its times in the zone of `start`, when both are timed."""
    zone = start.tzinfo if isinstance(start, datetime) else None
    if (
        zone is None
        or not isinstance(changed.start, datetime)
        or not isinstance(changed.end, datetime)
        or changed.start.tzinfo is None
        or changed.end.tzinfo is None
    ):
        return changed
    return replace(
        changed, start=changed.start.astimezone(zone), end=changed.end.astimezone(zone)
    )


def _rule_parts(rule: str | None) -> set[str]:
    """Return a rule's parts, so that the same rule written otherwise counts as the same."""
    return set(rule.upper().split(";")) if rule else set()


type _Mover = Callable[[DateOrDateTime], DateOrDateTime]


def _mover(old: DateOrDateTime, new: DateOrDateTime) -> _Mover | None:
    """Return what moves an original start as the series' start moved; None across kinds.

    Timed series move by wall-clock time, in the new start's zone: the occurrence
    at 18:00 stays the one at 18:00 across a change of clocks.
    """
    if isinstance(old, datetime) != isinstance(new, datetime):
        return None
    if not isinstance(old, datetime) or not isinstance(new, datetime):
        days = _day(new) - _day(old)
        return lambda value: value + days
    old_zone, new_zone = old.tzinfo or UTC, new.tzinfo or UTC
    offset = _wall(new, new_zone) - _wall(old, old_zone)
    if not offset and old_zone == new_zone:
        return lambda value: value
    return lambda value: (_wall(value, old_zone) + offset).replace(tzinfo=new_zone)


def _wall(value: DateOrDateTime, zone: tzinfo) -> datetime:
    """Return the wall-clock time of a moment in `zone` (a date: its midnight there)."""
    return instant(value, zone).astimezone(zone).replace(tzinfo=None)


def _followed(override: Event, old: Event, new: Event, move: _Mover) -> Event:
    """Return an override after its series changed from `old` to `new`."""
    original = override.recurrence_id
    if original is None:
        return override
    start, end = override.start, override.end
    zone = (old.start.tzinfo if isinstance(old.start, datetime) else None) or UTC
    timed = isinstance(start, datetime)
    if timed == isinstance(original, datetime) and same_moment(start, original, zone):
        # It sat at its original time: it moves with the series, and takes the
        # series' new length unless it had a length of its own.
        length = _length(override)
        if length == _length(old):
            length = _length(new)
        start = move(original)
        end = start + length
    return replace(
        override,
        summary=_inherited(override.summary, old.summary, new.summary),
        description=_inherited(override.description, old.description, new.description),
        location=_inherited(override.location, old.location, new.location),
        start=start,
        end=end,
        recurrence_id=move(original),
    )


def _inherited(own: str, old: str, new: str) -> str:
    """Return an occurrence's text after the series' changed: the new one, if it kept the old."""
    return new if own.strip() == old.strip() else own


def _length(event: Event) -> timedelta:
    if isinstance(event.start, datetime) and isinstance(event.end, datetime):
        return event.end - event.start
    return _day(event.end) - _day(event.start)


def _moved_rule(rule: str, move: _Mover, start: DateOrDateTime) -> str:
    """Return a rule whose UNTIL moved with the series, so it keeps every occurrence."""
    parts = []
    for part in rule.split(";"):
        name, _, value = part.partition("=")
        parts.append(
            f"{name}={_moved_until(value, move, start)}"
            if name.upper() == "UNTIL"
            else part
        )
    return ";".join(parts)


def _moved_until(value: str, move: _Mover, start: DateOrDateTime) -> str:
    """Return an UNTIL value moved, written in the form it came in."""
    day, _, clock = value.partition("T")
    if not clock:
        until: DateOrDateTime = datetime.strptime(day, "%Y%m%d").date()
        if isinstance(start, datetime):  # the last day, at the series' time of day
            until = datetime.combine(until, start.timetz())
        return f"{_day(move(until)):%Y%m%d}"
    utc = clock.endswith("Z")
    floating_zone = start.tzinfo if isinstance(start, datetime) else None
    local = datetime.strptime(day + clock.removesuffix("Z"), "%Y%m%d%H%M%S")
    moved = move(local.replace(tzinfo=UTC if utc else floating_zone or UTC))
    assert isinstance(moved, datetime)
    if utc:
        return f"{moved.astimezone(UTC):%Y%m%dT%H%M%SZ}"
    return f"{moved:%Y%m%dT%H%M%S}"


def _day(value: DateOrDateTime) -> date:
    return value.date() if isinstance(value, datetime) else value
