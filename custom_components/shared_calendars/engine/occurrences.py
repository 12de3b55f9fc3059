"""Occurrences of events in a span of time, and the busy periods they make.

Calendars keep a series once; people see its occurrences. Expanding happens here,
once, for the calendar entities, the busy sensors and the free/busy action alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from itertools import islice

from dateutil.rrule import rruleset, rrulestr

from .content import instant, shown_end
from .model import DateOrDateTime, Event, EventStatus, Transparency

LISTING_LIMIT = 500
"""Most occurrences a series lists one by one where no target can hold its rule."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Occurrence:
    """One occurrence of an event: a single event, or one instance of a series."""

    event: Event
    """The single event, the series, or the override that replaces this instance."""
    start: DateOrDateTime
    end: DateOrDateTime
    recurrence_id: DateOrDateTime | None = None
    """Which instance of a series this is; None for a single event."""


@dataclass(frozen=True, kw_only=True, slots=True)
class BusyPeriod:
    """A span in which someone is busy."""

    start: datetime
    end: datetime


def occurrences(
    event: Event, start: datetime, end: datetime, zone: tzinfo
) -> Iterator[Occurrence]:
    """Yield the occurrences of `event` that overlap [start, end), in time order."""
    if not event.recurring:
        finish = shown_end(event)
        if event.status is not EventStatus.CANCELLED and _overlaps(
            event.start, finish, start, end, zone
        ):
            yield Occurrence(event=event, start=event.start, end=finish)
        return
    duration = span(event.start, shown_end(event))
    overridden = {
        instant(o.recurrence_id, zone): o for o in event.overrides if o.recurrence_id
    }
    found: list[Occurrence] = []
    for begin in _instances(event, start - duration, end, zone):
        key = instant(begin, zone)
        if key in overridden:
            continue
        finish = begin + duration
        if _overlaps(begin, finish, start, end, zone):
            found.append(
                Occurrence(event=event, start=begin, end=finish, recurrence_id=begin)
            )
    for key, override in overridden.items():
        if override.status is EventStatus.CANCELLED:
            continue
        finish = shown_end(override)
        if _overlaps(override.start, finish, start, end, zone):
            found.append(
                Occurrence(
                    event=override,
                    start=override.start,
                    end=finish,
                    recurrence_id=override.recurrence_id or key,
                )
            )
    found.sort(key=lambda occurrence: instant(occurrence.start, zone))
    yield from found


def occurrences_of(
    events: Iterable[Event], start: datetime, end: datetime, zone: tzinfo
) -> list[Occurrence]:
    """Return the occurrences of many events in [start, end), in time order."""
    found = [o for event in events for o in occurrences(event, start, end, zone)]
    found.sort(key=lambda occurrence: instant(occurrence.start, zone))
    return found


def busy_periods(
    events: Iterable[Event], start: datetime, end: datetime, zone: tzinfo
) -> list[BusyPeriod]:
    """Return the merged periods in [start, end) in which the events make one busy.

    Free (transparent) and cancelled events do not count; tentative ones do, as
    Google's and CalDAV's free/busy do.
    """
    spans = sorted(
        (max(instant(o.start, zone), start), min(instant(o.end, zone), end))
        for o in occurrences_of(events, start, end, zone)
        if o.event.transparency is Transparency.OPAQUE
    )
    merged: list[BusyPeriod] = []
    for begin, finish in spans:
        if merged and begin <= merged[-1].end:
            if finish > merged[-1].end:
                merged[-1] = BusyPeriod(start=merged[-1].start, end=finish)
        else:
            merged.append(BusyPeriod(start=begin, end=finish))
    return merged


def span(start: DateOrDateTime, end: DateOrDateTime) -> timedelta:
    """Return how long an occurrence lasts; whole days when either bound is a date."""
    if isinstance(start, datetime) and isinstance(end, datetime):
        return end - start
    return timedelta(days=(_as_date(end) - _as_date(start)).days)


def _as_date(value: DateOrDateTime) -> date:
    return value.date() if isinstance(value, datetime) else value


def _overlaps(
    begin: DateOrDateTime,
    finish: DateOrDateTime,
    start: datetime,
    end: datetime,
    zone: tzinfo,
) -> bool:
    return instant(begin, zone) < end and instant(finish, zone) > start


def is_instance(series: Event, moment: DateOrDateTime, zone: tzinfo = UTC) -> bool:
    """Return whether the series' rules or dates make an instance at `moment`.

    EXDATEs are left aside: an excluded instance is still one the rules make.
    """
    at = instant(moment, zone)
    return any(True for _ in _instances(replace(series, exdate=()), at, at, zone))


def rule_starts(series: Event, rule: str) -> Iterator[DateOrDateTime]:
    """Yield, in order and without end, the starts that one rule of the series makes."""
    all_day = not isinstance(series.start, datetime)
    first = datetime.combine(series.start, time.min) if all_day else series.start
    assert isinstance(first, datetime)
    for begin in rrulestr(_with_until_like_start(rule, first), dtstart=first):
        yield begin.date() if all_day else begin


def _instances(
    event: Event, start: datetime, end: datetime, zone: tzinfo
) -> Iterator[DateOrDateTime]:
    """Yield the series' instance starts between start and end."""
    all_day = not isinstance(event.start, datetime)
    rules, first = _rule_set(event, zone)
    low, high = _like(start, first, zone), _like(end, first, zone)
    for begin in rules.between(low, high, inc=True):
        yield begin.date() if all_day else begin


def _rule_set(event: Event, zone: tzinfo) -> tuple[rruleset, datetime]:
    """Return the series' rules, dates and exclusions, and its first start.

    An all-day series runs on naive midnights (dateutil cannot mix naive and aware
    values), and its UNTIL is read as a date for the same reason.
    """
    all_day = not isinstance(event.start, datetime)
    first = datetime.combine(event.start, time.min) if all_day else event.start
    assert isinstance(first, datetime)
    rules = rruleset()
    for rule in event.rrules:
        rules.rrule(rrulestr(_with_until_like_start(rule, first), dtstart=first))  # type: ignore[arg-type]
    if not event.rrules:
        rules.rdate(first)
    for extra in event.rdate:
        rules.rdate(_like(extra, first, zone))
    for excluded in event.exdate:
        rules.exdate(_like(excluded, first, zone))
    return rules, first


def listed_in_utc(series: Event) -> Event:
    """Return a timed series as the list of its starts, in UTC, without a rule.

    A series in a zone no IANA name stands for (`DefinedZone`) goes this way to a
    target that knows IANA zones only (Google): its rule, expanded there in UTC,
    would put every occurrence an hour off for half the year. Listed, each keeps
    its instant; the first `LISTING_LIMIT` are listed (see the README). Overrides
    keep their instants, in UTC.
    """
    assert isinstance(series.start, datetime)
    # Events compare by instants: the zone in the key tells two definitions apart.
    return _listed(series, series.start.tzinfo)


@lru_cache(maxsize=64)
def _listed(series: Event, zone: tzinfo | None) -> Event:
    assert isinstance(series.start, datetime)
    assert isinstance(series.end, datetime)
    rules, _ = _rule_set(series, zone or UTC)
    starts = [begin.astimezone(UTC) for begin in islice(rules, LISTING_LIMIT)]
    start = series.start.astimezone(UTC)
    return replace(
        series,
        start=start,
        end=series.end.astimezone(UTC),
        rrule=None,
        extra_rrules=(),
        rdate=tuple(begin for begin in starts if begin != start),
        exdate=() if start in starts else (start,),
        overrides=tuple(_in_utc(override) for override in series.overrides),
    )


def _in_utc(event: Event) -> Event:
    def utc(value: DateOrDateTime) -> DateOrDateTime:
        return value.astimezone(UTC) if isinstance(value, datetime) else value

    return replace(
        event,
        start=utc(event.start),
        end=utc(event.end),
        recurrence_id=utc(event.recurrence_id)
        if event.recurrence_id is not None
        else None,
    )


def _like(value: DateOrDateTime, first: datetime, zone: tzinfo) -> datetime:
    """Return `value` as the series' first start is: naive (local to `zone`) or aware."""
    if first.tzinfo is None:
        return instant(value, zone).astimezone(zone).replace(tzinfo=None)
    return instant(value, first.tzinfo).astimezone(first.tzinfo)


def _with_until_like_start(rule: str, first: datetime) -> str:
    """Write UNTIL the way dateutil accepts it with this start.

    A naive start wants a naive UNTIL, an aware start a UTC one; calendars write
    either, and a date-only UNTIL includes that whole day.
    """
    parts = []
    for part in rule.split(";"):
        name, _, value = part.partition("=")
        if name.upper() == "UNTIL":
            day, _, clock = value.partition("T")
            if first.tzinfo is None:
                value = day
            elif not clock.endswith("Z"):
                local = datetime.strptime(day + (clock or "235959"), "%Y%m%d%H%M%S")
                value = (
                    local.replace(tzinfo=first.tzinfo)
                    .astimezone(UTC)
                    .strftime("%Y%m%dT%H%M%SZ")
                )
        parts.append(f"{name}={value}")
    return ";".join(parts)
