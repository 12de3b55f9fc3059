"""Events to and from plain JSON values, for the stored sync state.

Dates are ISO strings; a `datetime` keeps its zone by name (IANA) where it has
one, so a stored event comes back exactly as it was seen. A zone only its own
VTIMEZONE defines is named by its TZID, and an encoded event carries the
definition of each such zone once, under "zones".
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from .defined_zones import DefinedZone, defined_zone
from .model import (
    CopyMarker,
    DateOrDateTime,
    Event,
    EventColor,
    EventStatus,
    Transparency,
)


def _zone_name(zone: tzinfo | None) -> str | None:
    return zone.key if isinstance(zone, ZoneInfo) else None


def encode_moment(
    value: DateOrDateTime, zones: dict[str, str] | None = None
) -> str | list[str]:
    """Encode a date, or a datetime with its zone name when it has one.

    A zone of its own definition is named when `zones` takes its definition;
    without, only the instant is kept.
    """
    if not isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value.tzinfo, DefinedZone) and zones is not None:
        zones[value.tzinfo.tzid] = value.tzinfo.definition
        return [value.isoformat(), value.tzinfo.tzid]
    zone = _zone_name(value.tzinfo)
    return [value.isoformat(), zone] if zone else value.isoformat()


def decode_moment(
    value: str | list[str] | DateOrDateTime, zones: Mapping[str, str] | None = None
) -> DateOrDateTime:
    """Decode what `encode_moment` made; a date or datetime stays as it is."""
    if isinstance(value, date):
        return value
    if isinstance(value, list):
        text, zone = value
        definition = zones.get(zone) if zones else None
        return in_zone(
            datetime.fromisoformat(text),
            defined_zone(zone, definition) if definition else ZoneInfo(zone),
        )
    if "T" in value:
        return datetime.fromisoformat(value)
    return date.fromisoformat(value)


def in_zone(moment: datetime, zone: tzinfo) -> datetime:
    """Return a time written with its offset as the same wall clock in `zone`.

    Not `astimezone`: a wall time the zone skips (02:30 on the night clocks go
    forward) would come back as another wall time (03:30), and a series expands
    from its start's wall time. The offset picks the passing of a repeated hour.
    """
    local = moment.replace(tzinfo=zone)
    if local.utcoffset() == moment.utcoffset():
        return local
    other = local.replace(fold=1 - local.fold)
    if other.utcoffset() == moment.utcoffset():
        return other
    return moment.astimezone(zone)


def _instant(value: str | datetime) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def encode_event(event: Event) -> dict[str, Any]:
    """Encode an event; fields left at their default are omitted."""
    zones: dict[str, str] = {}
    data = _encoded(event, zones)
    if zones:
        data["zones"] = zones
    return data


def _encoded(event: Event, zones: dict[str, str]) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": event.id,
        "ical_uid": event.ical_uid,
        "start": encode_moment(event.start, zones),
        "end": encode_moment(event.end, zones),
    }
    for name in ("summary", "description", "location", "rrule", "organizer"):
        if value := getattr(event, name):
            data[name] = value
    if event.extra_rrules:
        data["extra_rrules"] = list(event.extra_rrules)
    if event.sequence:
        data["sequence"] = event.sequence
    if event.rdate:
        data["rdate"] = [encode_moment(moment, zones) for moment in event.rdate]
    if event.exdate:
        data["exdate"] = [encode_moment(moment, zones) for moment in event.exdate]
    if event.recurrence_id is not None:
        data["recurrence_id"] = encode_moment(event.recurrence_id, zones)
    if event.overrides:
        data["overrides"] = [_encoded(override, zones) for override in event.overrides]
    if event.status is not EventStatus.CONFIRMED:
        data["status"] = event.status.value
    if event.transparency is not Transparency.OPAQUE:
        data["transparency"] = event.transparency.value
    if event.color is not None:
        data["color"] = event.color.value
    if event.updated is not None:
        data["updated"] = event.updated.isoformat()
    if event.created is not None:
        data["created"] = event.created.isoformat()
    if event.copy_of is not None:
        data["copy_of"] = event.copy_of.source
    return data


def decode_event(data: dict[str, Any], zones: Mapping[str, str] | None = None) -> Event:
    """Decode what `encode_event` made; moments may be decoded already.

    Fields left at their default skip their conversion: a restart decodes every
    stored event, most of them plain. An override takes its series' `zones`.
    """
    zones = data.get("zones", zones)
    recurrence_id = data.get("recurrence_id")
    updated = data.get("updated")
    created = data.get("created")
    color = data.get("color")
    copy_of = data.get("copy_of")
    status = data.get("status")
    transparency = data.get("transparency")
    return Event(
        id=data["id"],
        ical_uid=data["ical_uid"],
        summary=data.get("summary", ""),
        description=data.get("description", ""),
        location=data.get("location", ""),
        start=decode_moment(data["start"], zones),
        end=decode_moment(data["end"], zones),
        rrule=data.get("rrule"),
        extra_rrules=tuple(data["extra_rrules"]) if "extra_rrules" in data else (),
        sequence=data.get("sequence", 0),
        rdate=_moments(data["rdate"], zones) if "rdate" in data else (),
        exdate=_moments(data["exdate"], zones) if "exdate" in data else (),
        recurrence_id=decode_moment(recurrence_id, zones)
        if recurrence_id is not None
        else None,
        overrides=tuple(decode_event(override, zones) for override in data["overrides"])
        if "overrides" in data
        else (),
        status=EventStatus(status) if status is not None else EventStatus.CONFIRMED,
        transparency=Transparency(transparency)
        if transparency is not None
        else Transparency.OPAQUE,
        color=EventColor(color) if color is not None else None,
        organizer=data.get("organizer"),
        updated=_instant(updated) if updated is not None else None,
        created=_instant(created) if created is not None else None,
        copy_of=CopyMarker(source=copy_of) if copy_of is not None else None,
    )


def _moments(
    values: list[Any], zones: Mapping[str, str] | None
) -> tuple[DateOrDateTime, ...]:
    return tuple(decode_moment(value, zones) for value in values)
