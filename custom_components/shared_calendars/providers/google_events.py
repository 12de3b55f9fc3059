"""Google Calendar's event resources to and from the model.

Google keeps a series as a master event plus one event per changed occurrence, an
"instance" with the id `{series id}_{original start}` (a date for an all-day series,
a UTC time otherwise); the model keeps a series with its `overrides`. What Google
cannot hold as such is written so that it reads back as it was written, or a copy
would differ from what was written and be written again on every cycle:

- an override of an instant the series does not make (EXDATE'd, past UNTIL or
  COUNT, never produced by the rules): Google answers 404 for its instance id, so
  it becomes a single event of its own, "detached", whose id derives from the series
  id and the recurrence id, and which names both in private extended properties;
  reading folds it back into its series. A cancelled one shows nothing: the master
  keeps its recurrence id in a property;
- the recurrence id of a lone override (no series) and the exact recurrence id of
  an override (its type or zone may differ from the series' start);
- a zone Google does not know: a series in a zone of its own definition (a custom
  VTIMEZONE) is written as the list of its occurrences in UTC, each at its instant
  (`listed_in_utc`); one at a fixed offset is written in UTC;
- a zero-length all-day event: one day, as `shown_end` counts it;
- an occurrence carries the copy marker of its series (so every managed event in a
  combined calendar is marked) and says when the marker is not its own.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from functools import cache, lru_cache
import json
import re
from typing import Any, Final, TypeGuard
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from gcal_sync.exceptions import CalendarParseException
from gcal_sync.model import DateOrDatetime
from ical.recurrence import Recurrences

from ..engine.codec import decode_moment, encode_moment
from ..engine.content import instant, shown_end
from ..engine.defined_zones import DefinedZone
from ..engine.ids import copy_id, ical_uid_of
from ..engine.intake import Unreadable, problem, sanitised, title_of
from ..engine.model import (
    CopyMarker,
    DateOrDateTime,
    Event,
    EventColor,
    EventStatus,
    SkippedEvent,
    SkipReason,
    Transparency,
)
from ..engine.occurrences import listed_in_utc, occurrences
from .base import InvalidEvent
from .ical import unalias_utc

type Json = dict[str, Any]

MARKER_PROPERTY: Final = "shared_calendars_source"
"""The `extendedProperties.private` key that marks a managed copy (value: its source)."""
INHERITED_PROPERTY: Final = "shared_calendars_inherited"
"""On an occurrence: the marker it carries is its series', it has none of its own."""
RECURRENCE_PROPERTY: Final = "shared_calendars_recurrence_id"
"""The recurrence id as written, on overrides and lone overrides (codec JSON)."""
SERIES_PROPERTY: Final = "shared_calendars_series"
"""On a detached override: the id of its series."""
DETACHED_PROPERTY: Final = "shared_calendars_detached"
"""On a master: it has detached overrides, to be read with it."""
CANCELLED_PROPERTY: Final = "shared_calendars_cancelled"
"""On a master: recurrence ids of cancelled overrides of instants it does not make."""
PROPERTY_LIMIT: Final = 1024
"""Google truncates longer extended property values without a word."""

EVENT_ID = re.compile(r"[a-v0-9]{5,1024}")
_UTC_NAMES: Final = frozenset({"UTC", "Etc/UTC", "GMT", "Etc/GMT", "Z"})
_UTC_ZONE: Final = ZoneInfo("UTC")
_STATUSES: Final = frozenset(status.value for status in EventStatus)
_TRANSPARENCIES: Final = frozenset(value.value for value in Transparency)
_COLORS: Final = tuple(EventColor)
"""Google's colorId n is the n-th colour of the model (1-based)."""
_NEAR: Final = timedelta(seconds=1)


# ------------------------------------------------------------ Google -> model


# (`google_fold` folds a listing's items into series with these.)


def well_formed(item: object) -> TypeGuard[Json]:
    """Return whether an item can be sorted into series at all: an object with an id."""
    return (
        isinstance(item, dict)
        and isinstance(item.get("id"), str)
        and isinstance(item.get("recurringEventId", ""), str)
    )


def read(
    raw: Json,
    *,
    ical_uid: str | None = None,
    recurrence_id: DateOrDateTime | None = None,
    occurrence: bool = False,
) -> Event | SkippedEvent:
    """Convert one event resource (not its exceptions), or say why it cannot be.

    With `occurrence`, the recurrence id is the item's original start.
    """
    try:
        if occurrence:
            recurrence_id = original_start(raw)
        event = sanitised(event_of(raw, ical_uid=ical_uid, recurrence_id=recurrence_id))
        reason = problem(event)
    except Unreadable as err:
        reason = err.reason
    except Exception:  # noqa: BLE001  # whatever else an odd item makes fail
        reason = SkipReason.UNREADABLE
    return event if reason is None else skipped_of(raw, reason)


def skipped_of(
    item: object, reason: SkipReason, series: str | None = None
) -> SkippedEvent:
    """Return what is reported of an item that cannot be read (by `series`' id)."""
    raw = item if isinstance(item, dict) else {}
    event_id = series or raw.get("id")
    return SkippedEvent(
        id=event_id if isinstance(event_id, str) else "",
        title=title_of(raw.get("summary")),
        reason=reason,
    )


def event_of(
    raw: Json,
    *,
    ical_uid: str | None = None,
    recurrence_id: DateOrDateTime | None = None,
) -> Event:
    """Convert one Google event resource (not its exceptions).

    Raises `Unreadable` for what no Google event holds (no start, a status Google
    does not know, a title that is no text); see `read` for one that never raises.
    """
    event_id: str = raw["id"]
    start = _bound(raw, "start")
    end = _bound(raw, "end")
    recurrence = raw.get("recurrence") or []
    if not isinstance(recurrence, list) or not all(
        isinstance(line, str) for line in recurrence
    ):
        raise Unreadable(SkipReason.INVALID_RECURRENCE)
    rules, rdate, exdate = _recurrence(recurrence, start)
    private = _private(raw)
    color_id = raw.get("colorId")
    organizer = raw.get("organizer")
    email = organizer.get("email") if isinstance(organizer, dict) else None
    marker = private.get(MARKER_PROPERTY)
    sequence = raw.get("sequence")
    uid = raw.get("iCalUID")
    return Event(
        id=event_id,
        ical_uid=ical_uid
        or (uid if isinstance(uid, str) and uid else None)
        or f"{event_id}@google.com",
        summary=_text(raw, "summary"),
        description=_text(raw, "description"),
        location=_text(raw, "location"),
        start=start,
        end=end,
        rrule=rules[0] if rules else None,
        extra_rrules=rules[1:],
        rdate=rdate,
        exdate=exdate,
        recurrence_id=recurrence_id or written_recurrence_id(raw),
        status=EventStatus(_choice(raw, "status", _STATUSES) or "confirmed"),
        sequence=sequence if isinstance(sequence, int) and sequence > 0 else 0,
        transparency=Transparency(
            _choice(raw, "transparency", _TRANSPARENCIES) or "opaque"
        ),
        color=(
            _COLORS[int(color_id) - 1]
            if isinstance(color_id, str)
            and color_id.isdigit()
            and 1 <= int(color_id) <= 11
            else None
        ),
        organizer=email if isinstance(email, str) else None,
        updated=updated_of(raw),
        created=updated_of(raw, "created"),
        copy_of=(
            CopyMarker(source=marker)
            if isinstance(marker, str) and private.get(INHERITED_PROPERTY) != "1"
            else None
        ),
    )


def _bound(raw: Json, name: str) -> DateOrDateTime:
    """Return `start` or `end`; raise `Unreadable` when it is missing or no time."""
    when = raw.get(name)
    if when is None:
        raise Unreadable(SkipReason.MISSING_TIME)
    if not isinstance(when, dict):
        raise Unreadable(SkipReason.INVALID_TIME)
    try:
        return when_value(when)
    except CalendarParseException, TypeError, ValueError:
        raise Unreadable(SkipReason.INVALID_TIME) from None


def _text(raw: Json, name: str) -> str:
    value = raw.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise Unreadable(SkipReason.INVALID_VALUE)
    return value


def _choice(raw: Json, name: str, known: frozenset[str]) -> str | None:
    """Return a field holding one of `known` values (None when absent or empty)."""
    value = raw.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str) or value not in known:
        raise Unreadable(SkipReason.INVALID_VALUE)
    return value


def series_of(raw: Json) -> str | None:
    """Return the series a live detached override belongs to (None for others)."""
    series_id = _private(raw).get(SERIES_PROPERTY)
    if raw.get("status") == "cancelled" or not isinstance(series_id, str):
        return None
    return series_id


def has_detached(master: Json) -> bool:
    """Return whether a master says it has detached overrides."""
    return _private(master).get(DETACHED_PROPERTY) == "1"


def when_value(when: Json) -> DateOrDateTime:
    """Return a `start`/`end`: a date, or an aware datetime in its `timeZone`.

    Parsed once per distinct value: every copy of an event has its times, and
    gcal-sync's model validation costs as much as the rest of reading an event.
    """
    try:
        fields = tuple(sorted(when.items()))
        hash(fields)
    except TypeError:  # a value no JSON time holds (a list, an object)
        return _parsed_when(when)
    return _cached_when(fields)


@lru_cache(maxsize=4096)
def _cached_when(fields: tuple[tuple[str, Any], ...]) -> DateOrDateTime:
    return _parsed_when(dict(fields))


def _parsed_when(when: Json) -> DateOrDateTime:
    value = DateOrDatetime(**when).value
    if isinstance(value, datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    # A zone that is UTC under another name ("Etc/GMT") is written as "UTC" (see
    # `zone_name`, and CalDAV's `Z`): read it as UTC, or a copy never matches.
    return unalias_utc(value)


def original_start(raw: Json) -> DateOrDateTime | None:
    """Return an instance's original start, None for other events."""
    original = raw.get("originalStartTime")
    return when_value(original) if isinstance(original, dict) else None


def updated_of(raw: Json, field: str = "updated") -> datetime | None:
    """Return when Google last changed the event (or, with "created", made it)."""
    value = raw.get(field)
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def written_recurrence_id(raw: Json) -> DateOrDateTime | None:
    """Return the recurrence id this integration wrote on an event, if it did."""
    return _decoded(_private(raw).get(RECURRENCE_PROPERTY))


def _decoded(text: object) -> DateOrDateTime | None:
    if not isinstance(text, str):
        return None
    try:
        return _moment(json.loads(text))
    except ValueError:
        return None


def _moment(value: object) -> DateOrDateTime | None:
    """Decode what `encode_moment` made; None for anything else."""
    if not isinstance(value, str) and not (
        isinstance(value, list)
        and len(value) == 2
        and all(isinstance(part, str) for part in value)
    ):
        return None
    try:
        return decode_moment(value)
    except ValueError, KeyError:  # KeyError: ZoneInfoNotFoundError
        return None


def cancelled_ids(master: Json) -> list[DateOrDateTime]:
    """Return the recurrence ids a master cancels that its series does not make."""
    text = _private(master).get(CANCELLED_PROPERTY)
    try:
        values = json.loads(text) if isinstance(text, str) else []
    except ValueError:
        return []
    if not isinstance(values, list):
        return []
    return [moment for moment in map(_moment, values) if moment is not None]


def _private(raw: Json) -> dict[str, Any]:
    properties = raw.get("extendedProperties")
    private = properties.get("private") if isinstance(properties, dict) else None
    return private if isinstance(private, dict) else {}


def _recurrence(
    lines: list[str], start: DateOrDateTime
) -> tuple[tuple[str, ...], tuple[DateOrDateTime, ...], tuple[DateOrDateTime, ...]]:
    """Split Google's `recurrence` lines into RRULEs, RDATE and EXDATE values."""
    rules = tuple(
        line.removeprefix("RRULE:") for line in lines if line.startswith("RRULE:")
    )
    dates = [line for line in lines if line.startswith(("RDATE", "EXDATE"))]
    if not dates:
        return rules, (), ()
    try:
        parsed = Recurrences.from_basic_contentlines(dates)
    except Exception:  # noqa: BLE001  # ical raises several types
        raise Unreadable(SkipReason.INVALID_RECURRENCE) from None
    zone = start.tzinfo if isinstance(start, datetime) else None

    def aware(value: object) -> DateOrDateTime | None:
        if isinstance(value, datetime):
            return unalias_utc(
                value if value.tzinfo is not None else value.replace(tzinfo=zone or UTC)
            )
        if isinstance(value, date):
            return value
        return None  # a PERIOD, which Google does not use

    rdate = tuple(v for v in map(aware, parsed.rdate) if v is not None)
    exdate = tuple(v for v in map(aware, parsed.exdate) if v is not None)
    return rules, rdate, exdate


# ------------------------------------------------------------ model -> Google


@dataclass(frozen=True, kw_only=True, slots=True)
class Layout:
    """How one event is written to Google: a master, instances, detached events."""

    series: Event
    """The event as Google holds it (a zone it knows, all-day events a day long)."""
    master: Json
    instances: tuple[tuple[DateOrDateTime, Event], ...]
    """Overrides written as instances of the series, with their original starts."""
    detached: tuple[Event, ...]
    """Live overrides of instants the series does not make, under their own ids."""
    cancelled: tuple[DateOrDateTime, ...]
    """Recurrence ids of cancelled overrides of instants the series does not make."""


def layout(event: Event) -> Layout:
    """Return how `event` is written; raise `InvalidEvent` where Google cannot hold it.

    Of two overrides of one occurrence the one with the highest SEQUENCE wins, then
    the one updated last (RFC 5545 3.8.7.4): Google holds one per occurrence.
    """
    check_writable(event)
    series = _as_google_holds(event)
    instances: dict[str, tuple[DateOrDateTime, Event]] = {}
    strays: dict[str, Event] = {}
    if series.status is not EventStatus.CANCELLED:
        for override in sorted(series.overrides, key=_revision):
            assert override.recurrence_id is not None  # checked above
            original = instance_of(series, override.recurrence_id)
            if original is not None:
                instances[instance_id(series.id, original)] = (original, override)
            else:
                strays[detached_id(series.id, override.recurrence_id)] = override
    detached = tuple(
        replace(override, id=key)
        for key, override in strays.items()
        if override.status is not EventStatus.CANCELLED
    )
    cancelled = tuple(
        override.recurrence_id
        for override in strays.values()
        if override.status is EventStatus.CANCELLED
        and override.recurrence_id is not None
    )
    master = body(series)
    if properties := stray_properties(series.id, detached, cancelled):
        _private_of(master).update(properties)
    return Layout(
        series=series,
        master=master,
        instances=tuple(instances.values()),
        detached=detached,
        cancelled=cancelled,
    )


def stray_properties(
    series_id: str, detached: Iterable[Event], cancelled: Iterable[DateOrDateTime]
) -> dict[str, str]:
    """Return the master's properties that tell of its overrides of non-instances."""
    properties: dict[str, str] = {}
    if any(True for _ in detached):
        properties[DETACHED_PROPERTY] = "1"
    values = sorted((encode_moment(rid) for rid in cancelled), key=json.dumps)
    if values:
        text = json.dumps(values, separators=(",", ":"))
        if len(text) > PROPERTY_LIMIT:
            raise InvalidEvent(
                f"Event {series_id} cancels {len(values)} occurrences its rules do not "
                "make; Google cannot keep that many (remove them at the source)."
            )
        properties[CANCELLED_PROPERTY] = text
    return properties


def check_writable(event: Event) -> None:
    """Refuse what Google would refuse, before any request."""
    if not EVENT_ID.fullmatch(event.id):
        raise InvalidEvent(
            f"Event id {event.id[:80]!r} is not valid for Google: use 5 to 1024 "
            "characters from a-v and 0-9 (base32hex)."
        )
    if event.overrides and not event.recurring:
        raise InvalidEvent(f"Event {event.id} has overrides but no recurrence.")
    for override in event.overrides:
        if override.recurrence_id is None:
            raise InvalidEvent(f"An override of event {event.id} has no recurrence_id.")
    for value in (event.start, event.end, *event.rdate, *event.exdate):
        if isinstance(value, datetime) and value.tzinfo is None:
            raise InvalidEvent(f"Event {event.id} has a time without a time zone.")


def _as_google_holds(event: Event) -> Event:
    """Return the event as Google will hold it.

    A series in a zone Google does not know needs another form (Google expands a
    rule in a named zone): one in a zone of its own definition is listed instant by
    instant, one at a fixed offset goes in UTC. An all-day event of zero length
    lasts its day.
    """
    if event.recurring and isinstance(
        getattr(event.start, "tzinfo", None), DefinedZone
    ):
        event = listed_in_utc(event)
    start, end = event.start, shown_end(event)
    if (
        event.recurring
        and isinstance(start, datetime)
        and isinstance(end, datetime)
        and zone_name(start) is None
    ):
        start, end = start.astimezone(_UTC_ZONE), end.astimezone(_UTC_ZONE)
    return replace(
        event,
        start=start,
        end=end,
        overrides=tuple(replace(o, end=shown_end(o)) for o in event.overrides),
    )


def _revision(event: Event) -> tuple[int, float]:
    """Order versions of one occurrence: SEQUENCE, then when it was last changed."""
    return event.sequence, event.updated.timestamp() if event.updated else -1e18


def instance_of(series: Event, rid: DateOrDateTime) -> DateOrDateTime | None:
    """Return the start of the instance a recurrence id means, None when none.

    Typed and zoned as the series' own start (Google derives instance ids from it):
    a DATE-TIME recurrence id on an all-day series means its date, one in another
    zone that instant, a DATE on a timed series the instance on that date. The
    series' own expansion decides: an EXDATE'd instant, or one past UNTIL or COUNT,
    is none.
    """
    plain = replace(series, overrides=())
    if not isinstance(series.start, datetime):
        day = rid.date() if isinstance(rid, datetime) else rid
        midnight = datetime.combine(day, time.min, UTC)
        found = occurrences(plain, midnight - _NEAR, midnight + _NEAR, UTC)
        return day if any(o.recurrence_id == day for o in found) else None
    zone = series.start.tzinfo or UTC
    if isinstance(rid, datetime):
        moment = instant(rid, zone)
        found = occurrences(plain, moment - _NEAR, moment + _NEAR, zone)
        matches = (
            o.recurrence_id
            for o in found
            if o.recurrence_id is not None and instant(o.recurrence_id, zone) == moment
        )
        return next(matches, None)
    low = datetime.combine(rid, time.min, zone)
    high = datetime.combine(rid + timedelta(days=1), time.min, zone)
    on_the_day = (
        o.recurrence_id
        for o in occurrences(plain, low, high, zone)
        if isinstance(o.recurrence_id, datetime)
        and o.recurrence_id.astimezone(zone).date() == rid
    )
    return next(on_the_day, None)


def means(
    start: DateOrDateTime, written: DateOrDateTime, original: DateOrDateTime
) -> bool:
    """Return whether a written recurrence id names the instance at `original`.

    The cheap half of `instance_of`, for reading: the instance exists.
    """
    if not isinstance(start, datetime):
        return (
            written.date() if isinstance(written, datetime) else written
        ) == original
    zone = start.tzinfo or UTC
    if isinstance(written, datetime):
        return instant(written, zone) == instant(original, zone)
    return (
        isinstance(original, datetime) and original.astimezone(zone).date() == written
    )


def instance_id(series_id: str, original: DateOrDateTime) -> str:
    """Return Google's id of one occurrence: `{id}_20240501` or `{id}_20240501T080000Z`."""
    if isinstance(original, datetime):
        return f"{series_id}_{original.astimezone(UTC):%Y%m%dT%H%M%SZ}"
    return f"{series_id}_{original:%Y%m%d}"


def detached_id(series_id: str, rid: DateOrDateTime) -> str:
    """Return the id of a detached override: derived, so rewriting it replaces it."""
    if isinstance(rid, datetime):
        stamp = (
            rid.isoformat()
            if rid.tzinfo is None
            else f"{rid.astimezone(UTC):%Y%m%dT%H%M%SZ}"
        )
    else:
        stamp = f"{rid:%Y%m%d}"
    return copy_id(series_id, f"detached {stamp}")


def body(event: Event) -> Json:
    """Return the full event resource for an insert or an update (not exceptions)."""
    recurring = event.recurring
    resource: Json = {
        "id": event.id,
        "iCalUID": event.ical_uid,
        "start": when(event.start, recurring=recurring),
        "end": when(shown_end(event), recurring=recurring),
        "status": event.status.value,
        "transparency": event.transparency.value,
    }
    for name in ("summary", "description", "location"):
        if value := getattr(event, name):
            resource[name] = value
    if event.sequence > 0:
        resource["sequence"] = event.sequence
    if event.color is not None:
        resource["colorId"] = str(_COLORS.index(event.color) + 1)
    if recurring:
        resource["recurrence"] = _recurrence_lines(event)
    if event.copy_of is not None:
        _private_of(resource)[MARKER_PROPERTY] = event.copy_of.source
    if event.recurrence_id is not None:
        _private_of(resource)[RECURRENCE_PROPERTY] = json.dumps(
            encode_moment(event.recurrence_id)
        )
    return resource


def instance_body(series: Event, override: Event, original: DateOrDateTime) -> Json:
    """Return the resource of an override written as an instance of its series."""
    resource = _occurrence_body(series, override, instance_id(series.id, original))
    return resource | _instance_fields(series, original)


def plain_body(series: Event, original: DateOrDateTime) -> Json:
    """Return the resource of the plain occurrence at `original` (an override undone)."""
    plain = replace(
        series,
        id=instance_id(series.id, original),
        start=original,
        end=shift(original, duration_of(series.start, shown_end(series))),
        rrule=None,
        extra_rrules=(),
        rdate=(),
        exdate=(),
        overrides=(),
        recurrence_id=None,
    )
    return body(plain) | _instance_fields(series, original)


def detached_body(series: Event, override: Event) -> Json:
    """Return the resource of a detached override (`override.id` already its own)."""
    resource = _occurrence_body(series, override, override.id)
    resource["iCalUID"] = ical_uid_of(override.id)
    _private_of(resource)[SERIES_PROPERTY] = series.id
    return resource


def _occurrence_body(series: Event, override: Event, event_id: str) -> Json:
    """Return an override's resource; it carries its series' marker when it has none."""
    own = override.copy_of
    resource = body(
        replace(
            override,
            id=event_id,
            rrule=None,
            extra_rrules=(),
            rdate=(),
            exdate=(),
            overrides=(),
            copy_of=own or series.copy_of,
        )
    )
    if own is None and series.copy_of is not None:
        _private_of(resource)[INHERITED_PROPERTY] = "1"
    return resource


def _instance_fields(series: Event, original: DateOrDateTime) -> Json:
    return {
        "iCalUID": series.ical_uid,
        "recurringEventId": series.id,
        "originalStartTime": when(original, zone=zone_name(series.start)),
    }


def _private_of(resource: Json) -> dict[str, Any]:
    private: dict[str, Any] = resource.setdefault("extendedProperties", {}).setdefault(
        "private", {}
    )
    return private


@cache
def _known_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except ZoneInfoNotFoundError, ValueError:
        return False
    return True


def zone_name(value: DateOrDateTime) -> str | None:
    """Return the IANA name of a datetime's zone, "UTC" for UTC, None otherwise.

    A zone object without a name Google knows (one built from a custom VTIMEZONE)
    has none.
    """
    if not isinstance(value, datetime) or value.tzinfo is None:
        return None
    key = getattr(value.tzinfo, "key", None)
    if isinstance(key, str) and _known_zone(key):
        return "UTC" if key in _UTC_NAMES else key
    return "UTC" if value.utcoffset() == timedelta(0) else None


def when(
    value: DateOrDateTime, *, recurring: bool = False, zone: str | None = None
) -> Json:
    """Return Google's `start`/`end` for a date or an aware datetime.

    A series needs a named zone to expand in; without one it is written in UTC.
    """
    if not isinstance(value, datetime):
        return {"date": value.isoformat()}
    zone = zone or zone_name(value)
    if zone is None and recurring:
        value, zone = value.astimezone(UTC), "UTC"
    result: Json = {"dateTime": value.isoformat()}
    if zone is not None:
        result["timeZone"] = zone
    return result


def _recurrence_lines(event: Event) -> list[str]:
    lines = [f"RRULE:{rule}" for rule in event.rrules]
    lines.extend(_date_line("RDATE", value) for value in event.rdate)
    lines.extend(_date_line("EXDATE", value) for value in event.exdate)
    return lines


def _date_line(name: str, value: DateOrDateTime) -> str:
    if not isinstance(value, datetime):
        return f"{name};VALUE=DATE:{value:%Y%m%d}"
    zone = zone_name(value)
    if zone is None or zone == "UTC":
        return f"{name}:{value.astimezone(UTC):%Y%m%dT%H%M%SZ}"
    return f"{name};TZID={zone}:{value:%Y%m%dT%H%M%S}"


def duration_of(start: DateOrDateTime, end: DateOrDateTime) -> timedelta:
    """Return how long an event lasts (whole days for an all-day one)."""
    if isinstance(start, datetime) and isinstance(end, datetime):
        return end - start
    if not isinstance(start, datetime) and not isinstance(end, datetime):
        return end - start
    raise InvalidEvent("An event starts and ends with different kinds of time.")


def shift(value: DateOrDateTime, delta: timedelta) -> DateOrDateTime:
    """Return a date or a time moved by a duration."""
    if isinstance(value, datetime):
        return value + delta
    return value + timedelta(days=delta.days)


def occurrence_key(value: DateOrDateTime) -> DateOrDateTime:
    """Return what tells occurrences apart: the instant, or the date."""
    return instant(value, UTC) if isinstance(value, datetime) else value


def sort_key(value: DateOrDateTime | None) -> datetime:
    """Order recurrence ids of any type and zone."""
    if isinstance(value, datetime):
        return instant(value, UTC).astimezone(UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    return datetime.min.replace(tzinfo=UTC)
