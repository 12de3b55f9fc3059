"""Home Assistant calendar events to and from the neutral model.

A calendar entity answers with occurrences in a time range, each with a uid, a
recurrence id and a rule where it keeps them. Occurrences that share a uid and a
rule are folded back into one series: the first occurrence read is its start, the
rule's occurrences that were not read are exceptions (EXDATE), and those that
differ from the first are overrides.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta, tzinfo
from hashlib import sha256
import json
from typing import Any
from urllib.parse import quote, unquote

from dateutil.rrule import rrulestr
from homeassistant.components.calendar import CalendarEvent
from homeassistant.components.calendar.const import CalendarEventStatus
from homeassistant.util import dt as dt_util

from ..engine.content import instant
from ..engine.ids import COPY_UID_DOMAIN
from ..engine.model import PART_SEPARATOR, DateOrDateTime, Event, EventStatus

_COPY_UID_SUFFIX = f"@{COPY_UID_DOMAIN}"
_DATE_FORMAT = "%Y%m%d"
_DATETIME_FORMAT = "%Y%m%dT%H%M%S"


def event_id_of(uid: str) -> str:
    """Return the event id for a uid: what this integration wrote is known by its id.

    A copy is written with the uid `<id>@shared-calendars`, so reading it back gives
    the id the ledger knows. Other uids are kept, `/` and `%` escaped (an id holds
    no `/`: it would name a part).
    """
    if uid.endswith(_COPY_UID_SUFFIX):
        return uid.removesuffix(_COPY_UID_SUFFIX)
    return quote(uid, safe="@.-_~+:=")


def is_copy_uid(uid: str) -> bool:
    """Return whether a uid is one this integration gave a copy."""
    return uid.endswith(_COPY_UID_SUFFIX)


def uid_of(event_id: str) -> str:
    """Return the uid an event id is written and deleted under."""
    if all(char in "0123456789abcdef" for char in event_id) and len(event_id) == 40:
        return f"{event_id}{_COPY_UID_SUFFIX}"
    return unquote(event_id)


def recurrence_id_text(moment: DateOrDateTime, zone: tzinfo) -> str:
    """Return an occurrence's recurrence id as calendar entities take it (local, floating)."""
    if isinstance(moment, datetime):
        local = moment.astimezone(zone) if moment.tzinfo else moment
        return local.strftime(_DATETIME_FORMAT)
    return moment.strftime(_DATE_FORMAT)


def _parse_recurrence_id(text: str | None, zone: tzinfo) -> DateOrDateTime | None:
    """Read a recurrence id, bare or after an instance's event id (Google's `<id>_<time>`)."""
    if not text:
        return None
    text = text.strip().rpartition("_")[2]
    try:
        if "T" not in text:
            return datetime.strptime(text, _DATE_FORMAT).date()
        if text.endswith("Z"):
            return datetime.strptime(text[:-1], _DATETIME_FORMAT).replace(
                tzinfo=dt_util.UTC
            )
        return datetime.strptime(text, _DATETIME_FORMAT).replace(tzinfo=zone)
    except ValueError:
        return None


def recurrence_moment(occurrence: CalendarEvent, zone: tzinfo) -> DateOrDateTime:
    """Return the moment the rule gave an occurrence: its recurrence id, else its start."""
    return _parse_recurrence_id(occurrence.recurrence_id, zone) or _moment(
        occurrence.start, zone
    )


def _moment(value: DateOrDateTime, zone: tzinfo) -> DateOrDateTime:
    if isinstance(value, datetime):
        return value.astimezone(zone) if value.tzinfo else value.replace(tzinfo=zone)
    return value


def _status(status: CalendarEventStatus | None) -> EventStatus:
    if status is CalendarEventStatus.TENTATIVE:
        return EventStatus.TENTATIVE
    return EventStatus.CONFIRMED


def occurrence_digest(occurrences: Iterable[CalendarEvent]) -> str:
    """Return a short digest of what the entity answered for one event."""
    shown = sorted(
        json.dumps(occurrence.as_dict(), sort_keys=True, default=str)
        for occurrence in occurrences
    )
    return sha256("\n".join(shown).encode()).hexdigest()[:20]


def _single(occurrence: CalendarEvent, event_id: str, uid: str, zone: tzinfo) -> Event:
    return Event(
        id=event_id,
        ical_uid=uid,
        summary=occurrence.summary or "",
        description=occurrence.description or "",
        location=occurrence.location or "",
        start=_moment(occurrence.start, zone),
        end=_moment(occurrence.end, zone),
        status=_status(occurrence.status),
    )


def group_key_of(occurrence: CalendarEvent) -> str:
    """Return the uid an occurrence belongs to; one without a uid is its own event."""
    if occurrence.uid:
        return occurrence.uid
    return (
        "noid-"
        + sha256(
            f"{occurrence.summary}\n{occurrence.start}\n{occurrence.end}".encode()
        ).hexdigest()[:24]
    )


def fold(
    uid: str,
    occurrences: Sequence[CalendarEvent],
    zone: tzinfo,
    event_id: str | None = None,
) -> list[Event]:
    """Return the events the occurrences of one uid make, under `event_id` or the uid's.

    A rule keeps them as one series; without one, each occurrence is an event
    of its own (a part of the uid, see `ChangeSet`).
    """
    ordered = sorted(
        occurrences, key=lambda item: dt_util.as_utc(instant(item.start, zone))
    )
    base_id = event_id or event_id_of(uid)
    rule = next((item.rrule for item in ordered if item.rrule), None)
    if rule is None:
        if len(ordered) == 1:
            return [_single(ordered[0], base_id, uid, zone)]
        return _apart(ordered, base_id, uid, zone)
    try:
        return [_series(uid, base_id, rule, ordered, zone)]
    except ValueError:  # A rule dateutil cannot expand: keep the occurrences.
        return _apart(ordered, base_id, uid, zone)


def _apart(
    ordered: list[CalendarEvent], base_id: str, uid: str, zone: tzinfo
) -> list[Event]:
    """Return each occurrence as an event of its own, a part named by its time."""
    return [
        _single(
            item,
            f"{base_id}{PART_SEPARATOR}"
            + recurrence_id_text(_moment(item.start, zone), zone),
            uid,
            zone,
        )
        for item in ordered
    ]


def _series(
    uid: str,
    event_id: str,
    rule: str,
    ordered: Sequence[CalendarEvent],
    zone: tzinfo,
) -> Event:
    """Fold a series' occurrences: first one as the start, the rest as exceptions."""
    by_recurrence: dict[DateOrDateTime, CalendarEvent] = {}
    for item in ordered:
        by_recurrence[recurrence_moment(item, zone)] = item
    first_key = min(by_recurrence, key=lambda key: instant(key, zone))
    first = by_recurrence[first_key]
    template = replace(
        _single(first, event_id, uid, zone),
        rrule=rule.removeprefix("RRULE:"),
    )
    if _moment(first.start, zone) != first_key:
        template = replace(template, start=first_key, end=first_key + _span(template))
    last = max(by_recurrence, key=lambda key: instant(key, zone))
    expected = _expand(template, instant(last, zone))
    exdates = tuple(moment for moment in expected if moment not in by_recurrence)
    duration = _span(template)
    overrides = []
    for key, item in by_recurrence.items():
        if (
            key == first_key
            and item is first
            and _moment(first.start, zone) == first_key
        ):
            continue
        occurrence = replace(_single(item, event_id, uid, zone), recurrence_id=key)
        if (
            occurrence.start == key
            and _span(occurrence) == duration
            and (
                occurrence.summary,
                occurrence.description,
                occurrence.location,
                occurrence.status,
            )
            == (
                template.summary,
                template.description,
                template.location,
                template.status,
            )
        ):
            continue
        overrides.append(occurrence)
    return replace(template, exdate=exdates, overrides=tuple(overrides))


def _span(event: Event) -> timedelta:
    return event.end - event.start  # type: ignore[operator]


def _expand(template: Event, until: datetime) -> list[DateOrDateTime]:
    """Return the rule's occurrences from the series' start up to `until`."""
    assert template.rrule is not None
    start = template.start
    all_day = not isinstance(start, datetime)
    dtstart = datetime(start.year, start.month, start.day) if all_day else start
    rule = rrulestr(template.rrule, dtstart=dtstart)
    limit = until.replace(tzinfo=None) if all_day else until
    moments: list[DateOrDateTime] = []
    for moment in rule:
        if moment > limit:
            break
        moments.append(moment.date() if all_day else moment)
    return moments


def write_fields(event: Event, zone: tzinfo) -> dict[str, Any]:
    """Return an event as the fields `async_create_event` / `async_update_event` take."""
    fields: dict[str, Any] = {
        "summary": event.summary,
        "dtstart": _moment(event.start, zone),
        "dtend": _moment(event.end, zone),
    }
    if event.description:
        fields["description"] = event.description
    if event.location:
        fields["location"] = event.location
    if event.rrule and event.recurrence_id is None:
        fields["rrule"] = event.rrule
    return fields
