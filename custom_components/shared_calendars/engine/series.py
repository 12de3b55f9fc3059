"""Series as calendars write them, made into series every calendar can hold.

RFC 5545 lets a series carry things that Google, and many CalDAV clients, cannot:
a change to "this and every later" occurrence (RECURRENCE-ID;RANGE=THISANDFUTURE),
an override of an occurrence the rules do not make, an extra date with an end of
its own (RDATE;VALUE=PERIOD), recurrence ids typed or zoned unlike the start. The
functions here rewrite such a series into plain ones that show the same
occurrences, the way Google itself stores them, so that every target gets the
same, exact copy. Pure functions of the model.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import UTC, datetime, timedelta, tzinfo
from itertools import takewhile

from .content import instant
from .model import DateOrDateTime, Event, EventStatus
from .occurrences import LISTING_LIMIT, is_instance, rule_starts, span
from .rules import join_rule, rule_parts, stamp

_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_DATE_PARTS = frozenset({"BYMONTHDAY", "BYYEARDAY", "BYWEEKNO", "BYSETPOS", "BYMONTH"})
_TIME_PARTS = frozenset({"BYHOUR", "BYMINUTE", "BYSECOND"})


def align_recurrence_id(
    recurrence_id: DateOrDateTime, series_start: DateOrDateTime
) -> DateOrDateTime:
    """Return a recurrence id as the series' start is typed and zoned.

    A DATE-TIME id on an all-day series means its date; a DATE id on a timed series
    means the instance on that date; an id in another zone means that instant.
    """
    if not isinstance(series_start, datetime):
        return (
            recurrence_id.date()
            if isinstance(recurrence_id, datetime)
            else recurrence_id
        )
    if not isinstance(recurrence_id, datetime):
        return datetime.combine(recurrence_id, series_start.time(), series_start.tzinfo)
    return recurrence_id.astimezone(series_start.tzinfo)


def with_period_ends(
    series: Event, periods: Iterable[tuple[DateOrDateTime, DateOrDateTime]]
) -> Event:
    """Add RDATE periods: each an extra date, and an override where its end differs."""
    duration = span(series.start, series.end)
    overridden = {
        instant(o.recurrence_id, UTC) for o in series.overrides if o.recurrence_id
    }
    rdate = list(series.rdate)
    overrides = list(series.overrides)
    for begin, finish in periods:
        rdate.append(begin)
        if span(begin, finish) != duration and instant(begin, UTC) not in overridden:
            overrides.append(
                replace(
                    series,
                    rrule=None,
                    extra_rrules=(),
                    rdate=(),
                    exdate=(),
                    overrides=(),
                    recurrence_id=begin,
                    start=begin,
                    end=finish,
                )
            )
    return replace(series, rdate=tuple(rdate), overrides=tuple(overrides))


def detach_strays(
    series: Event, part_id: Callable[[DateOrDateTime], str]
) -> tuple[Event, list[Event]]:
    """Split off the overrides of occurrences the series does not make.

    An override of an EXDATE'd instance or of one past UNTIL/COUNT still shows, as
    RFC readers show it; no target can hold it as an override (Google answers 404),
    so it becomes a single event of its own, with a UID of its own (one UID is one
    meeting when copies are planned). A cancelled one simply goes.
    """
    kept: list[Event] = []
    detached: list[Event] = []
    excluded = {instant(moment, UTC) for moment in series.exdate}
    for override in series.overrides:
        rid = override.recurrence_id
        if rid is None:
            continue
        if instant(rid, UTC) not in excluded and is_instance(series, rid):
            kept.append(override)
        elif override.status is not EventStatus.CANCELLED:
            detached.append(
                replace(
                    _single(override, part_id(rid)),
                    ical_uid=f"{series.ical_uid}_O{stamp(rid)}",
                    recurrence_id=None,
                )
            )
    if len(kept) == len(series.overrides):
        return series, []
    return replace(series, overrides=tuple(kept)), detached


def split_this_and_future(
    series: Event, change: Event, *, part_id: str, part_uid: str
) -> tuple[Event, Event | None]:
    """Apply a change to one occurrence and every later one, as Google stores it.

    Returns the series ended before that occurrence and a second series, with the
    change's title, times and the rest, carrying every later occurrence (the rule's
    remaining COUNT, a moved UNTIL, later extra and excluded dates and overrides).
    A change from the first occurrence on changes the whole series instead (None).
    """
    assert change.recurrence_id is not None
    rid = change.recurrence_id
    zone = _zone_of(series.start)
    offset = _wall(change.start, zone) - _wall(rid, zone)
    moved_days = (_wall(change.start, zone).date() - _wall(rid, zone).date()).days
    later = instant(rid, UTC)

    def is_later(moment: DateOrDateTime) -> bool:
        return instant(moment, UTC) >= later

    def shifted(moment: DateOrDateTime) -> DateOrDateTime:
        return _shift(moment, offset, zone)

    carried = replace(
        change,
        recurrence_id=None,
        rdate=tuple(shifted(m) for m in series.rdate if is_later(m)),
        exdate=tuple(shifted(m) for m in series.exdate if is_later(m)),
        overrides=tuple(
            replace(o, recurrence_id=shifted(o.recurrence_id))
            for o in series.overrides
            if o.recurrence_id is not None and is_later(o.recurrence_id)
        ),
        organizer=change.organizer or series.organizer,
        copy_of=series.copy_of,
    )
    rules = [
        _continue_rule(
            series, rule, rid=rid, offset=offset, moved_days=moved_days, zone=zone
        )
        for rule in series.rrules
    ]
    if instant(series.start, UTC) >= later:  # the whole series changes
        return _with_rules(
            replace(carried, id=series.id, ical_uid=series.ical_uid), rules
        ), None
    head = replace(
        series,
        rdate=tuple(m for m in series.rdate if not is_later(m)),
        exdate=tuple(m for m in series.exdate if not is_later(m)),
        overrides=tuple(
            o
            for o in series.overrides
            if o.recurrence_id is not None and not is_later(o.recurrence_id)
        ),
    )
    head = _with_rules(head, [_end_rule(series, rule, rid) for rule in series.rrules])
    tail = _with_rules(replace(carried, id=part_id, ical_uid=part_uid), rules)
    return head, _enumerated(tail, series, rid, offset, zone)


def _single(event: Event, event_id: str) -> Event:
    """Return an occurrence as a single event; it keeps its recurrence id, which groups it."""
    return replace(
        event,
        id=event_id,
        rrule=None,
        extra_rrules=(),
        rdate=(),
        exdate=(),
        overrides=(),
    )


def _with_rules(event: Event, rules: list[str | None]) -> Event:
    kept = [rule for rule in rules if rule is not None]
    return replace(event, rrule=kept[0] if kept else None, extra_rrules=tuple(kept[1:]))


def _end_rule(series: Event, rule: str, rid: DateOrDateTime) -> str | None:
    """Return the rule ended before `rid`, or None when it makes nothing before it."""
    before = _count_before(series, rule, rid)
    if before == 0:
        return None
    parts = rule_parts(rule)
    if "COUNT" in parts:
        parts["COUNT"] = str(before)
        return join_rule(parts)
    last = (
        rid - timedelta(days=1)
        if not isinstance(rid, datetime)
        else rid - timedelta(seconds=1)
    )
    until = parts.get("UNTIL")  # as `normalise_until` wrote it: compares as text
    if until is None or stamp(last) < until:
        parts["UNTIL"] = stamp(last)
    return join_rule(parts)


def _continue_rule(
    series: Event,
    rule: str,
    *,
    rid: DateOrDateTime,
    offset: timedelta,
    moved_days: int,
    zone: tzinfo | None,
) -> str | None:
    """Return the rule from `rid` on, moved by `offset`; None when nothing is left.

    A move to another day turns plain BYDAY weekdays with it; a rule that pins other
    dates or hours is marked for listing (see `_enumerated`) with an `X-` part.
    """
    parts = rule_parts(rule)
    if "COUNT" in parts:
        left = int(parts["COUNT"]) - _count_before(series, rule, rid)
        if left <= 0:
            return None
        parts["COUNT"] = str(left)
    if "UNTIL" in parts:
        until = parts["UNTIL"]
        if "T" in until:
            moment: DateOrDateTime = datetime.strptime(until, "%Y%m%dT%H%M%SZ").replace(
                tzinfo=UTC
            )
        else:
            moment = datetime.strptime(until, "%Y%m%d").date()
        parts["UNTIL"] = stamp(_shift(moment, offset, zone))
    day_shift = moved_days % 7
    if "BYDAY" in parts and day_shift:
        values = parts["BYDAY"].split(",")
        if all(value.upper() in _DAYS for value in values):
            parts["BYDAY"] = ",".join(
                _DAYS[(_DAYS.index(value.upper()) + day_shift) % 7] for value in values
            )
        else:
            parts["X-LIST"] = "1"
    moved_time = offset != timedelta(days=moved_days)
    if (moved_time and _TIME_PARTS & parts.keys()) or (
        moved_days and _DATE_PARTS & parts.keys()
    ):
        parts["X-LIST"] = "1"
    return join_rule(parts)


def _enumerated(
    tail: Event,
    series: Event,
    rid: DateOrDateTime,
    offset: timedelta,
    zone: tzinfo | None,
) -> Event:
    """List a continuation's instances as dates where its rule cannot be moved.

    The original rules' instances from `rid` on, moved by the offset; at most
    `LISTING_LIMIT` of them (see the README's limitations).
    """
    if not any("X-LIST" in rule_parts(rule) for rule in tail.rrules):
        return tail
    later = instant(rid, UTC)
    starts: set[DateOrDateTime] = set()
    for rule in series.rrules:
        made = (m for m in rule_starts(series, rule) if instant(m, UTC) >= later)
        for count, moment in enumerate(made):
            if count >= LISTING_LIMIT:
                break
            starts.add(_shift(moment, offset, zone))
    starts.discard(tail.start)
    ordered = sorted(starts, key=lambda m: instant(m, UTC))
    return replace(tail, rrule=None, extra_rrules=(), rdate=tuple(ordered) + tail.rdate)


def _count_before(series: Event, rule: str, rid: DateOrDateTime) -> int:
    later = instant(rid, UTC)
    return sum(
        1
        for _ in takewhile(lambda m: instant(m, UTC) < later, rule_starts(series, rule))
    )


def _zone_of(value: DateOrDateTime) -> tzinfo | None:
    return value.tzinfo if isinstance(value, datetime) else None


def _wall(value: DateOrDateTime, zone: tzinfo | None) -> datetime:
    """Return the wall-clock time of a moment in the series' zone, naive."""
    if not isinstance(value, datetime):
        return datetime(value.year, value.month, value.day)
    return (value.astimezone(zone) if zone is not None else value).replace(tzinfo=None)


def _shift(
    value: DateOrDateTime, offset: timedelta, zone: tzinfo | None
) -> DateOrDateTime:
    """Move a moment by a wall-clock offset in the series' zone."""
    if not isinstance(value, datetime):
        return value + timedelta(days=offset.days)
    if zone is None:
        return value + offset
    return (_wall(value, zone) + offset).replace(tzinfo=zone)
