"""A status database row's body: an event as compact JSON, a copy as differences.

Events are encoded by the codec, then shortened: frequent field names in a
letter, datetimes as numbers, and what the row's key says (the id, a UID made
of it, the calendar as organiser) left out. A copy in the ledger keeps only
what differs from an original of its group (`copy_body`): the database writes a
group's copies again whenever its originals change (see `engine.journal`). A zone
that only its own VTIMEZONE defines is named by its row in the `zones` table
(`ZoneRow`), its definition kept once there.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import orjson

from .engine.codec import decode_event, encode_event
from .engine.ids import COPY_UID_DOMAIN
from .engine.journal import CopyRow
from .engine.model import Event

_HEX = frozenset("0123456789abcdef")

type ZoneRow = Callable[[str, str], int]
"""(TZID, its VTIMEZONE) -> the row that keeps the definition, added when new."""


def pack(text: str) -> str | bytes:
    """Store lower-case hex (copy ids, fingerprints) as the bytes it spells: half the size."""
    if text and len(text) % 2 == 0 and _HEX.issuperset(text):
        return bytes.fromhex(text)
    return text


def unpack(value: str | bytes) -> str:
    """Return the text `pack` stored."""
    return value.hex() if isinstance(value, bytes) else value


_SHORT_NAMES = {
    "ical_uid": "i",
    "start": "s",
    "end": "e",
    "summary": "t",
    "description": "d",
    "location": "l",
    "rrule": "r",
    "organizer": "o",
    "updated": "u",
    "copy_of": "c",
    "overrides": "v",
}
"""The codec's most frequent field names, shortened on disk; others are kept."""
_LONG_NAMES = {short: name for name, short in _SHORT_NAMES.items()}
_UID_AT = "i@"
"""The domain of a UID that is the event's id and a domain (Google's, and copies')."""
_OWN_ORGANIZER = "o="
"""Set when the organiser is the event's own calendar (Google says so of every event)."""
_CREATED_WHEN_UPDATED = "c=u"
"""Set for an event never changed since it was created (written so by Google)."""
_ID_AFTER = "+"
"""An override's id after its series' (Google's instance ids: series id, time)."""
_PARENT_ORGANIZER = "o^"
"""Set in an override whose organiser is its series'; a missing UID is the series' too."""
_GONE = "-"
"""In a copy's differences from its original: the original's fields it lacks."""
_UID = _SHORT_NAMES["ical_uid"]
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def _shortened(data: dict[str, Any]) -> dict[str, Any]:
    if "overrides" in data:
        data["overrides"] = [_shortened(override) for override in data["overrides"]]
    return {_SHORT_NAMES.get(name, name): value for name, value in data.items()}


def _lengthened(data: dict[str, Any]) -> dict[str, Any]:
    data = {_LONG_NAMES.get(name, name): value for name, value in data.items()}
    if "overrides" in data:
        data["overrides"] = [_lengthened(override) for override in data["overrides"]]
    return data


def _compact_moments(event: Event, data: dict[str, Any]) -> None:
    """Write an event's datetimes as numbers: a third of their ISO text, and quicker read.

    A start in a named zone becomes [seconds since the epoch, zone], an end in that
    zone its seconds after the start, and an instant in UTC its microseconds since
    the epoch. Whatever else (dates, fixed offsets, fractions of a second, skipped
    or repeated wall times) keeps the codec's form.
    """
    start, end = event.start, event.end
    if (
        isinstance(start, datetime)
        and isinstance(zone := start.tzinfo, ZoneInfo)
        and _as_number_again(start)
    ):
        seconds = int(start.timestamp())
        data["start"] = [seconds, zone.key]
        if isinstance(end, datetime) and end.tzinfo is zone and _as_number_again(end):
            data["end"] = int(end.timestamp()) - seconds
    for name in ("updated", "created"):
        moment = getattr(event, name)
        if moment is not None and moment.tzinfo is UTC:
            data[name] = (moment - _EPOCH) // _MICROSECOND
    if (
        event.created is not None
        and event.created == event.updated
        and data["created"] == data["updated"]
    ):
        del data["created"]
        data[_CREATED_WHEN_UPDATED] = 1
    for override, override_data in zip(
        event.overrides, data.get("overrides", ()), strict=True
    ):
        _compact_moments(override, override_data)


def _as_number_again(moment: datetime) -> bool:
    """Return whether a time comes back from its seconds as it is.

    Not a fraction of a second, nor a wall time its zone skips (02:30 on the night
    clocks go forward comes back as 03:30): those keep the codec's form.
    """
    if moment.microsecond:
        return False
    again = datetime.fromtimestamp(int(moment.timestamp()), moment.tzinfo)
    return (again.replace(tzinfo=None), again.fold) == (
        moment.replace(tzinfo=None),
        moment.fold,
    )


def _expand_moments(data: dict[str, Any]) -> dict[str, Any]:
    """Turn what `_compact_moments` wrote back into dates and datetimes."""
    start = data["start"]
    if isinstance(start, list) and isinstance(seconds := start[0], int):
        zone = ZoneInfo(start[1])
        data["start"] = datetime.fromtimestamp(seconds, zone)
        if isinstance(end := data["end"], int):
            data["end"] = datetime.fromtimestamp(seconds + end, zone)
    if data.pop(_CREATED_WHEN_UPDATED, None):
        data["created"] = data["updated"]
    for name in ("updated", "created"):
        if isinstance(moment := data.get(name), int):
            data[name] = _EPOCH + moment * _MICROSECOND
    if "overrides" in data:
        data["overrides"] = [
            _expand_moments(override) for override in data["overrides"]
        ]
    return data


def event_fields(event: Event, calendar: str, zone_row: ZoneRow) -> dict[str, Any]:
    """Return an event as its row keeps it, without what the row's key already says."""
    data = encode_event(event)
    _compact_moments(event, data)
    if zones := data.get("zones"):
        data["zones"] = {tzid: zone_row(tzid, text) for tzid, text in zones.items()}
    event_id = data.pop("id")
    for override in data.get("overrides", ()):
        _without_parent(override, event)
    uid_id, at, domain = event.ical_uid.partition("@")
    if uid_id == event_id and at:
        del data["ical_uid"]
        data[_UID_AT] = domain
    if event.organizer is not None and event.organizer == calendar.rpartition("|")[2]:
        del data["organizer"]
        data[_OWN_ORGANIZER] = 1
    return _shortened(data)


def _without_parent(override: dict[str, Any], series: Event) -> None:
    """Leave out of an override what its series says already."""
    if (override_id := override["id"]).startswith(series.id):
        del override["id"]
        override[_ID_AFTER] = override_id.removeprefix(series.id)
    if override["ical_uid"] == series.ical_uid:
        del override["ical_uid"]
    if series.organizer is not None and override.get("organizer") == series.organizer:
        del override["organizer"]
        override[_PARENT_ORGANIZER] = 1


def _with_parent(override: dict[str, Any], series: dict[str, Any]) -> None:
    """Put back what `_without_parent` left out."""
    if (after := override.pop(_ID_AFTER, None)) is not None:
        override["id"] = series["id"] + after
    override.setdefault("ical_uid", series["ical_uid"])
    if override.pop(_PARENT_ORGANIZER, None):
        override["organizer"] = series["organizer"]


def event_body(event: Event, calendar: str, zone_row: ZoneRow) -> bytes:
    """Return an event as the compact JSON of its row."""
    return orjson.dumps(event_fields(event, calendar, zone_row))


def event_from(
    event_id: str, fields: dict[str, Any], calendar: str, zones: Mapping[int, str]
) -> Event:
    """Return the event whose row kept `fields` (`event_fields`).

    `zones` holds the definitions of zones by their rows.
    """
    data = _expand_moments(_lengthened(fields))
    if rows := data.get("zones"):
        data["zones"] = {tzid: zones[row] for tzid, row in rows.items()}
    data["id"] = event_id
    if (domain := data.pop(_UID_AT, None)) is not None:
        data["ical_uid"] = f"{event_id}@{domain}"
    if data.pop(_OWN_ORGANIZER, None):
        data["organizer"] = calendar.rpartition("|")[2]
    for override in data.get("overrides", ()):
        _with_parent(override, data)
    return decode_event(data)


def copy_body(row: CopyRow, calendar: str, bases: Originals) -> bytes | None:
    """Return a copy's event for its ledger row: its differences from its original.

    Without an original to differ from (or when the event is not marked a copy
    of the row's group), the whole event, its marker always written.
    """
    if (event := row.event) is None:
        return None
    data = event_fields(event, calendar, bases.zone_row)
    if row.base is None:
        data[_SHORT_NAMES["copy_of"]] = event.copy_of.source if event.copy_of else None
        return orjson.dumps(data)
    del data[_SHORT_NAMES["copy_of"]]  # the row's group
    reference = bases.fields(*row.base)
    differences = {
        name: value
        for name, value in data.items()
        if name not in reference or reference[name] != value
    }
    if gone := [name for name in reference if name not in data]:
        differences[_GONE] = gone
    return orjson.dumps(differences)


def is_whole(stored: dict[str, Any]) -> bool:
    """Return whether a copy's row keeps it whole, rather than as differences."""
    return _SHORT_NAMES["copy_of"] in stored


def copy_fields(
    stored: dict[str, Any], group: str, base: dict[str, Any] | None
) -> dict[str, Any]:
    """Return the fields of a copy whose row kept `stored` (`copy_body`)."""
    copy_of = _SHORT_NAMES["copy_of"]
    if is_whole(stored):
        return stored
    assert base is not None, "a copy kept as differences has its original"
    fields = _reference(base)
    for name in stored.pop(_GONE, ()):
        del fields[name]
    fields.update(stored)
    fields[copy_of] = group
    return fields


class Originals:
    """The fields of the originals copies are written against, each encoded once."""

    def __init__(self, zone_row: ZoneRow) -> None:
        """Start with none encoded."""
        self.zone_row = zone_row
        self._fields: dict[tuple[str, str], dict[str, Any]] = {}

    def fields(self, calendar: str, original: Event) -> dict[str, Any]:
        """Return what a copy of `original` is written as differences from."""
        key = (calendar, original.id)
        if (known := self._fields.get(key)) is None:
            known = self._fields[key] = _reference(
                event_fields(original, calendar, self.zone_row)
            )
        return known


def _reference(original: dict[str, Any]) -> dict[str, Any]:
    """Return what a copy's differences are taken from: its original, as a copy's UID."""
    fields = {name: value for name, value in original.items() if name != _UID}
    fields[_UID_AT] = COPY_UID_DOMAIN
    return fields
