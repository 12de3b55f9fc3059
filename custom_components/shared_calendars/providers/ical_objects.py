"""One calendar object resource -> the events it holds, read as RFC 5545 readers do.

A resource usually holds one event, or one series with its overrides. Real ones,
exported by Outlook, Apple, Google, Thunderbird and Nextcloud, also hold:

- several VEVENTs with one UID and no RECURRENCE-ID (a re-sent master): the one
  with the highest SEQUENCE wins, then the latest DTSTAMP, then LAST-MODIFIED;
- two overrides of one occurrence: the same order decides; an override that states
  a lower SEQUENCE than its master is stale and is dropped;
- recurrence ids typed or zoned unlike the series' start, and UNTIL in a form the
  start does not allow: aligned to the occurrence they mean;
- RECURRENCE-ID;RANGE=THISANDFUTURE, RDATE;VALUE=PERIOD, overrides of occurrences
  the rules do not make: rewritten by `engine.series` into plain series;
- only overrides (an invitation to one occurrence): each a single event that keeps
  its recurrence id;
- more than one UID: each its own event.

Every event but the resource's main one gets an id `resource/part` (see
`engine.model.ChangeSet`), stable across reads.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, tzinfo
from functools import partial
import re

from icalendar import Calendar, Event as VEvent

from ..engine.content import instant
from ..engine.intake import Unreadable, clean_text, problem, sanitised, title_of
from ..engine.model import (
    PART_SEPARATOR,
    DateOrDateTime,
    Event,
    SkippedEvent,
    SkipReason,
)
from ..engine.rules import normalise_until, stamp
from ..engine.series import (
    align_recurrence_id,
    detach_strays,
    split_this_and_future,
    with_period_ends,
)
from .ical import (
    Defined,
    changes_this_and_future,
    defined_zones,
    rdate_periods,
    revision,
    sequence_of,
    vevent_to_event,
)

_SUMMARY = re.compile(r"^SUMMARY(?:;[^:\r\n]*)?:([^\r\n]*)", re.MULTILINE)


def events_from_ical(
    data: str | bytes, resource: str, *, floating: tzinfo = UTC
) -> list[Event]:
    """Return the events one calendar object resource holds (none for a task).

    Raises `ValueError` when the resource is not iCalendar at all, or an event in it
    has no start.
    """
    raw = data.encode() if isinstance(data, str) else data
    calendar = Calendar.from_ical(raw)
    defined = defined_zones(calendar)
    by_uid: dict[str, list[VEvent]] = {}
    for component in calendar.walk("VEVENT"):
        if isinstance(component, VEvent):
            uid = str(component.get("UID", "")) or resource
            by_uid.setdefault(uid, []).append(component)
    events: list[Event] = []
    for index, (uid, components) in enumerate(by_uid.items()):
        base = resource if index == 0 else f"{resource}{PART_SEPARATOR}uid-{uid}"
        events.extend(_events_of_uid(uid, components, base, floating, defined))
    return events


def read_resource(
    data: str | bytes, resource: str, *, floating: tzinfo = UTC
) -> tuple[list[Event], list[SkippedEvent]]:
    """Return the events of one resource, clean, and those that cannot be read.

    Never raises: a resource that is no iCalendar, or that the parser chokes on in
    any way, is skipped whole; an event in it the engine cannot take (a rule that
    never ends, times of two kinds) is skipped alone.
    """
    if isinstance(data, str):
        data = clean_text(data)  # a lone surrogate would not even encode
    try:
        events = events_from_ical(data, resource, floating=floating)
    except Exception as err:  # noqa: BLE001  # icalendar raises many types on garbage
        reason = err.reason if isinstance(err, Unreadable) else SkipReason.UNREADABLE
        return [], [SkippedEvent(id=resource, title=_summary(data), reason=reason)]
    kept: list[Event] = []
    skipped: list[SkippedEvent] = []
    for event in map(sanitised, events):
        if (problem_of := problem(event)) is None:
            kept.append(event)
        else:
            skipped.append(
                SkippedEvent(
                    id=event.id, title=title_of(event.summary), reason=problem_of
                )
            )
    return kept, skipped


def _summary(data: str | bytes) -> str:
    """Return the first SUMMARY of a resource the parser refused, as far as it goes."""
    text = data.decode(errors="replace") if isinstance(data, bytes) else data
    found = _SUMMARY.search(text)
    return title_of(found.group(1).replace("\\,", ",")) if found else ""


def event_from_ical(
    data: str | bytes, event_id: str, *, floating: tzinfo = UTC
) -> Event | None:
    """Return the event of a resource with this id, else its first; None for a task."""
    events = events_from_ical(data, event_id, floating=floating)
    for event in events:
        if event.id == event_id:
            return event
    return events[0] if events else None


def _part(base: str, kind: str, moment: DateOrDateTime) -> str:
    return f"{base}{PART_SEPARATOR}{kind}-{stamp(moment)}"


def _events_of_uid(
    uid: str, components: list[VEvent], base: str, floating: tzinfo, defined: Defined
) -> list[Event]:
    masters = [c for c in components if c.get("RECURRENCE-ID") is None]
    master_component = max(masters, key=revision) if masters else None
    latest: dict[object, tuple[VEvent, Event]] = {}
    start = (
        vevent_to_event(master_component, base, uid, floating, defined).start
        if master_component is not None
        else None
    )
    for component in components:
        if component.get("RECURRENCE-ID") is None:
            continue
        override = vevent_to_event(component, base, uid, floating, defined)
        assert override.recurrence_id is not None
        if start is not None:
            override = _aligned(override, start)
        key = instant(override.recurrence_id, UTC) if override.recurrence_id else None
        held = latest.get(key)
        if held is None or revision(component) > revision(held[0]):
            latest[key] = (component, override)
    if master_component is None:
        return [
            _lone(override, _part(base, "on", override.recurrence_id))
            for _, override in latest.values()
            if override.recurrence_id is not None
        ]
    stated = sequence_of(master_component)
    fresh = [
        (component, override)
        for component, override in latest.values()
        if stated is None or (own := sequence_of(component)) is None or own >= stated
    ]
    series = vevent_to_event(master_component, base, uid, floating, defined)
    series = _with_overrides(
        series, [o for c, o in fresh if not changes_this_and_future(c)]
    )
    series = _normalised(series, rdate_periods(master_component, floating, defined))
    ranges = sorted(
        (o for c, o in fresh if changes_this_and_future(c) and o.recurrence_id),
        key=lambda o: instant(o.recurrence_id or o.start, UTC),
    )
    parts: list[Event] = []
    for change in ranges:
        assert change.recurrence_id is not None
        head, tail = split_this_and_future(
            series,
            change,
            part_id=_part(base, "from", change.recurrence_id),
            part_uid=f"{uid}_R{stamp(change.recurrence_id)}",
        )
        if tail is None:
            series = head
        else:
            parts.append(head)
            series = tail
    parts.append(series)
    found: list[Event] = []
    for part in parts:
        kept, detached = detach_strays(part, partial(_part, part.id, "on"))
        found.append(kept)
        found.extend(detached)
    return found


def _aligned(override: Event, series_start: DateOrDateTime) -> Event:
    assert override.recurrence_id is not None
    return replace(
        override,
        recurrence_id=align_recurrence_id(override.recurrence_id, series_start),
    )


def _lone(override: Event, event_id: str) -> Event:
    """Return an override without its series as a single event; it keeps its recurrence id."""
    return replace(
        override, id=event_id, rrule=None, extra_rrules=(), rdate=(), exdate=()
    )


def _normalised(
    series: Event, periods: list[tuple[DateOrDateTime, DateOrDateTime]]
) -> Event:
    rules = [normalise_until(rule, series.start) for rule in series.rrules]
    series = replace(
        series,
        rrule=rules[0] if rules else None,
        extra_rrules=tuple(rules[1:]),
    )
    return with_period_ends(series, periods) if periods else series


def _with_overrides(series: Event, overrides: list[Event]) -> Event:
    return replace(
        series,
        overrides=tuple(
            sorted(overrides, key=lambda o: instant(o.recurrence_id or o.start, UTC))
        ),
    )
