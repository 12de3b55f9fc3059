"""What an event action says about an event, checked, and the event it makes.

Times are taken as Home Assistant's own `calendar.create_event` takes them: a
date-time without a UTC offset is in Home Assistant's time zone, one with an
offset is the moment the offset says, and `start_date`/`end_date` (dates) make an
all-day event. Text is refused past lengths no calendar should carry, since a
title is copied into every member's combined calendar.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Final

from homeassistant.util import dt as dt_util

from .engine.content import instant
from .engine.edits import rescheduled
from .engine.ids import ical_uid_of
from .engine.model import DateOrDateTime, Event
from .engine.occurrences import occurrences
from .helpers import refused

ATTR_SUMMARY = "summary"
ATTR_DESCRIPTION = "description"
ATTR_LOCATION = "location"
ATTR_START_DATE_TIME = "start_date_time"
ATTR_END_DATE_TIME = "end_date_time"
ATTR_START_DATE = "start_date"
ATTR_END_DATE = "end_date"
ATTR_RRULE = "rrule"

TEXT_LIMITS: Final = {
    ATTR_SUMMARY: 1_000,
    ATTR_LOCATION: 1_000,
    ATTR_DESCRIPTION: 8_000,
    ATTR_RRULE: 1_000,
}
"""The most characters each text may have; Google's own limit for a description
is 8,192, and a title or place longer than a line of a page is a mistake."""
ID_LIMIT: Final = 1_000
"""The most characters of an event id a caller may give."""
FREQUENCIES = frozenset({"DAILY", "WEEKLY", "MONTHLY", "YEARLY"})
"""Series repeat at most daily, as in Home Assistant's own calendar actions."""


def check_length(field: str, value: str | None, limit: int) -> None:
    """Refuse a text longer than `limit` characters, naming the field."""
    if value is not None and len(value) > limit:
        raise refused(f"{field}_too_long", length=f"{len(value):,}", limit=f"{limit:,}")


def local_time(value: date) -> datetime:
    """Return a moment in Home Assistant's time zone, as its calendar actions do.

    Without an offset it is a time in Home Assistant's zone; with one, the moment
    the offset says. The local zone, not a fixed offset, is kept, so that a series
    repeats at the same local time across daylight saving time and Google gets
    the zone name it needs for a series. A date is its first moment.
    """
    if not isinstance(value, datetime):
        value = datetime.combine(value, time.min)
    return dt_util.as_local(value)


def _time(data: Mapping[str, Any], key: str) -> datetime | None:
    value: datetime | None = data.get(key)
    return local_time(value) if value is not None else None


def _day(data: Mapping[str, Any], key: str) -> date | None:
    value: date | None = data.get(key)
    if isinstance(value, datetime):
        raise refused("mixed_date_types")
    return value


def _rule(value: str | None) -> str | None:
    """Return a recurrence rule as the model keeps it; refuse what is not one."""
    if value is None:
        return None
    rule = value.strip()
    if rule.upper().startswith("RRULE:"):
        rule = rule[len("RRULE:") :]
    if not rule:
        return ""
    parts: dict[str, str] = {}
    for part in rule.split(";"):
        name, equals, setting = part.partition("=")
        if not (equals and name.strip() and setting.strip()):
            raise refused(
                "invalid_rrule", rrule=value, error=f"{part!r} is not NAME=VALUE"
            )
        parts[name.strip().upper()] = setting.strip().upper()
    if parts.get("FREQ") not in FREQUENCIES:
        raise refused(
            "invalid_rrule",
            rrule=value,
            error=f"FREQ must be one of {', '.join(sorted(FREQUENCIES))}",
        )
    return ";".join(f"{name}={setting}" for name, setting in parts.items())


@dataclass(frozen=True, kw_only=True, slots=True)
class EventFields:
    """What a call says about an event, checked; None where it says nothing."""

    summary: str | None
    description: str | None
    location: str | None
    start: DateOrDateTime | None
    end: DateOrDateTime | None
    rrule: str | None
    """The rule without `RRULE:`; "" removes the recurrence."""


def event_fields(data: Mapping[str, Any]) -> EventFields:
    """Check what needs no calendar: lengths, kinds of time, the rule's form."""
    for field, limit in TEXT_LIMITS.items():
        check_length(field, data.get(field), limit)
    start_time = _time(data, ATTR_START_DATE_TIME)
    end_time = _time(data, ATTR_END_DATE_TIME)
    start_day = _day(data, ATTR_START_DATE)
    end_day = _day(data, ATTR_END_DATE)
    if (start_time and start_day) or (end_time and end_day):
        raise refused("mixed_date_types")
    return EventFields(
        summary=data.get(ATTR_SUMMARY),
        description=data.get(ATTR_DESCRIPTION),
        location=data.get(ATTR_LOCATION),
        start=start_time or start_day,
        end=end_time or end_day,
        rrule=_rule(data.get(ATTR_RRULE)),
    )


def compose(
    fields: EventFields, *, event_id: str, existing: Event | None, complete: bool
) -> Event:
    """Return the event to write: `existing` with the call's fields, or a new one.

    `complete` (create, upsert) makes the call the whole event: what it leaves out
    is empty. Otherwise (update) what it leaves out stays as it is. The series'
    modified and cancelled occurrences follow `engine.edits.rescheduled`.
    """
    keep = existing if existing is not None and not complete else None
    start = fields.start
    end = fields.end
    if keep is not None:
        start = keep.start if start is None else start
        end = keep.end if end is None else end
    if start is None or end is None:
        raise refused("missing_time")
    if isinstance(start, datetime) != isinstance(end, datetime):
        raise refused("mixed_date_types")
    if end <= start:
        raise refused("end_not_after_start", start=str(start), end=str(end))
    if fields.rrule is not None:
        rrule = fields.rrule or None
    else:
        rrule = keep.rrule if keep is not None else None

    def given(value: str | None, kept: str | None) -> str:
        return value if value is not None else kept or ""

    changed = Event(
        id=event_id,
        ical_uid=ical_uid_of(event_id),
        summary=given(fields.summary, keep.summary if keep else None),
        description=given(fields.description, keep.description if keep else None),
        location=given(fields.location, keep.location if keep else None),
        start=start,
        end=end,
        rrule=rrule,
    )
    event = rescheduled(existing, changed) if existing is not None else changed
    _check_recurrence(event)
    return event


def _check_recurrence(event: Event) -> None:
    """Expand the first occurrence as the engine will, to catch a rule it cannot."""
    if event.rrule is None:
        return
    zone = dt_util.get_default_time_zone()
    first = instant(event.start, zone)
    try:
        next(occurrences(event, first, first + timedelta(days=1), zone), None)
    except (ValueError, TypeError) as err:
        raise refused("invalid_rrule", rrule=event.rrule, error=str(err)) from err
