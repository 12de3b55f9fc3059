"""What a copy shows, normalised, and its digest: how a copy is known to be right.

Kept apart from planning because the synced state uses it too: it notices, as
changes come in, when a member edited a copy in their combined calendar.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta, tzinfo
from hashlib import sha256
import json

from .codec import encode_moment
from .defined_zones import DefinedZone
from .model import DateOrDateTime, Event, EventStatus
from .rules import normalise_until


def instant(value: DateOrDateTime, zone: tzinfo) -> datetime:
    """Return an aware datetime: a date counts from midnight in `zone`, a naive time in it."""
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=zone)
    return datetime.combine(value, time.min, zone)


def fingerprint(event: Event) -> str:
    """Return a digest of what a copy shows, blind to what providers rewrite.

    Ids, timestamps and the organiser are left out; times count as instants and
    rule parts in any order, so reading back a copy gives the digest it was written with.
    """
    return sha256(_ENCODER.encode(content(event)).encode()).hexdigest()


_ENCODER = json.JSONEncoder(sort_keys=True)
"""As `json.dumps(..., sort_keys=True)` encodes, without building an encoder each time."""


def _moment(value: DateOrDateTime) -> str | list[str]:
    if isinstance(value, datetime):
        return instant(value, UTC).astimezone(UTC).isoformat()
    return encode_moment(value)


def _zone(event: Event) -> str | None:
    """Return the zone of a series' start: it decides where occurrences fall across DST."""
    if not event.recurring or not isinstance(event.start, datetime):
        return None
    # A fixed offset is written as UTC by every provider, and read back as "UTC".
    return getattr(event.start.tzinfo, "key", None) or "UTC"


def _as_listed(event: Event) -> Event:
    """Return a series in a zone of its own making as the list of its instants.

    Google, which knows IANA zones only, holds such a series so (see
    `occurrences.listed_in_utc`); CalDAV keeps its rule and zone. Counted as its
    instants, both copies read back as written, and a change of the zone's
    definition that moves an occurrence changes the fingerprint.
    """
    if event.recurring and isinstance(
        getattr(event.start, "tzinfo", None), DefinedZone
    ):
        # Imported here: expanding needs `occurrences`, which needs this module.
        from .occurrences import listed_in_utc

        return listed_in_utc(event)
    return event


def _rules(event: Event) -> list[str] | str | None:
    """Return the rules with their parts in a fixed order; one rule as a string."""
    rules = [
        ";".join(sorted(normalise_until(rule, event.start).upper().split(";")))
        for rule in event.rrules
    ]
    if len(rules) > 1:
        return sorted(rules)
    return rules[0] if rules else None


def _moments(values: tuple[DateOrDateTime, ...]) -> list[str]:
    """Return moments in a fixed order, as text."""
    return sorted(map(str, map(_moment, values))) if values else []


def shown_end(event: Event) -> DateOrDateTime:
    """Return the end as calendars show it: a zero-length all-day event fills its day.

    Holiday feeds write DTEND = DTSTART; Google cannot store that and writes one
    day, which shows the same, so both read back as one fingerprint.
    """
    start, end = event.start, event.end
    if (
        not isinstance(start, datetime)
        and not isinstance(end, datetime)
        and end <= start
    ):
        return start + timedelta(days=1)
    return end


def _latest(overrides: tuple[Event, ...]) -> list[Event]:
    """Return one override per occurrence: the newest, as calendars keep only it."""
    newest: dict[object, Event] = {}
    for override in overrides:
        key = str(_moment(override.recurrence_id)) if override.recurrence_id else None
        held = newest.get(key)
        if held is None or _revision(override) > _revision(held):
            newest[key] = override
    return list(newest.values())


def _revision(event: Event) -> tuple[int, datetime]:
    return event.sequence, event.updated or datetime.min.replace(tzinfo=UTC)


def content(event: Event) -> dict[str, object]:
    """Return what a copy shows, normalised as `fingerprint` digests it."""
    if event.recurrence_id is not None and event.status is EventStatus.CANCELLED:
        # A cancelled occurrence shows nothing; calendars keep different leftovers of it.
        return {
            "recurrence_id": _moment(event.recurrence_id),
            "status": event.status.value,
        }
    event = _as_listed(event)
    return {
        "summary": event.summary.strip(),
        "description": event.description.strip(),
        "location": event.location.strip(),
        "start": _moment(event.start),
        "end": _moment(shown_end(event)),
        "zone": _zone(event),
        "rrule": _rules(event) if event.rrule else None,
        "rdate": _moments(event.rdate),
        "exdate": _moments(event.exdate),
        "recurrence_id": _moment(event.recurrence_id) if event.recurrence_id else None,
        "overrides": sorted(
            (content(override) for override in _latest(event.overrides)),
            key=lambda content: str(content["recurrence_id"]),
        )
        if event.overrides
        else [],
        "status": event.status.value,
        "transparency": event.transparency.value,
        "color": event.color.value if event.color else None,
        "copy_of": event.copy_of.source if event.copy_of else None,
    }
