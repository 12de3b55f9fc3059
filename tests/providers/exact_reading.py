"""Read calendars the way an RFC 5545 reader does, independently of the integration.

The exact-copy tests compare what a source holds with what its copies hold,
occurrence by occurrence. Both sides are read here, from raw server data, with
`recurring_ical_events` (a well-kept expander that handles RANGE=THISANDFUTURE,
several RRULEs, RDATE periods, SEQUENCE and the common broken forms) and a small
converter of Google's event JSON to iCalendar written for these tests alone.
Nothing here imports the integration.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event as VEvent
import recurring_ical_events

BERLIN = ZoneInfo("Europe/Berlin")
"""The zone of every calendar in these tests: floating times are read in it."""
WINDOW_START = datetime(2027, 1, 1, tzinfo=UTC)
WINDOW_END = datetime(2028, 1, 1, tzinfo=UTC)
"""The sync window and the span every calendar is expanded over."""

type When = date | datetime


class Occurrence(NamedTuple):
    """One occurrence as a person sees it: a date span, or UTC instants."""

    start: When
    end: When
    title: str


def _sort_key(occurrence: Occurrence) -> tuple[datetime, datetime, str]:
    def moment(value: When) -> datetime:
        if isinstance(value, datetime):
            return value
        return datetime(value.year, value.month, value.day, tzinfo=BERLIN)

    return moment(occurrence.start), moment(occurrence.end), occurrence.title


def describe(occurrence: Occurrence | None) -> str:
    """Return an occurrence in Berlin time, for failure messages."""
    if occurrence is None:
        return "nothing"

    def show(value: When) -> str:
        if isinstance(value, datetime):
            return value.astimezone(BERLIN).strftime("%Y-%m-%d %H:%M")
        return value.isoformat()

    return f"{show(occurrence.start)} -> {show(occurrence.end)} {occurrence.title!r}"


# ---------------------------------------------------------------------------
# expansion
# ---------------------------------------------------------------------------


def _anchored(value: Any) -> Any:
    """Return a floating DATE-TIME in the calendar's zone; anything else as it is."""
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=BERLIN)
    return value


def _anchor_floating(calendar: Calendar) -> None:
    """Read floating times in the calendar's zone, as clients do (RFC 5545 3.3.5).

    `recurring_ical_events` has no notion of a calendar's zone: it reads a floating
    DTSTART next to a UTC DTEND as UTC, which no client shows.
    """
    for component in calendar.walk("VEVENT"):
        for name in ("DTSTART", "DTEND", "RECURRENCE-ID"):
            prop = component.get(name)
            if prop is None or not isinstance(prop.dt, datetime):
                continue
            if prop.dt.tzinfo is None:
                params = dict(prop.params)
                del component[name]
                component.add(name, _anchored(prop.dt), parameters=params)


def _value(prop: Any) -> When:
    value = prop.dt
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=BERLIN)).astimezone(UTC)
    if not isinstance(value, date):
        raise TypeError(f"not a date or date-time: {value!r}")
    return value


def _occurrence(component: VEvent) -> Occurrence:
    start = _value(component["DTSTART"])
    if (end_prop := component.get("DTEND")) is not None:
        end: When = _value(end_prop)
    elif (duration := component.get("DURATION")) is not None:
        end = start + duration.dt
    else:
        end = start
    return Occurrence(start, end, str(component.get("SUMMARY", "")))


def expand(texts: Iterable[str | bytes]) -> list[Occurrence]:
    """Return the occurrences of calendar objects inside the window, sorted.

    Cancelled occurrences (STATUS:CANCELLED) are left out: nobody attends them.
    """
    found: list[Occurrence] = []
    for text in texts:
        calendar = Calendar.from_ical(text)
        _anchor_floating(calendar)
        components = recurring_ical_events.of(calendar).between(
            WINDOW_START, WINDOW_END
        )
        found.extend(
            _occurrence(component)
            for component in components
            if str(component.get("STATUS", "")).upper() != "CANCELLED"
        )
    return sorted(found, key=_sort_key)


def as_google_holds(occurrences: Sequence[Occurrence]) -> list[Occurrence]:
    """Return occurrences as Google can hold them: no all-day event is shorter than a day."""
    return [
        occurrence._replace(end=occurrence.start + timedelta(days=1))
        if not isinstance(occurrence.start, datetime)
        and occurrence.end == occurrence.start
        else occurrence
        for occurrence in occurrences
    ]


def first_mismatch(
    expected: Sequence[Occurrence], actual: Sequence[Occurrence]
) -> str | None:
    """Describe where two sorted occurrence lists first differ, or return None."""
    if list(expected) == list(actual):
        return None
    for index in range(max(len(expected), len(actual))):
        want = expected[index] if index < len(expected) else None
        got = actual[index] if index < len(actual) else None
        if want != got:
            break
    return (
        f"{len(expected)} occurrences expected, {len(actual)} found; first"
        f" difference at #{index + 1}: expected {describe(want)}, found {describe(got)}"
    )


# ---------------------------------------------------------------------------
# Google's event JSON -> iCalendar
# ---------------------------------------------------------------------------


def _escape(text: str) -> str:
    return (
        text.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\n", "\\n")
    )


def _ical_time(name: str, when: Mapping[str, str]) -> str:
    """Return a DTSTART/DTEND/RECURRENCE-ID line for a Google `start`-like object."""
    if "date" in when:
        return f"{name};VALUE=DATE:{when['date'].replace('-', '')}"
    moment = datetime.fromisoformat(when["dateTime"])
    if zone := when.get("timeZone"):
        local = moment.astimezone(ZoneInfo(zone)).strftime("%Y%m%dT%H%M%S")
        return f"{name};TZID={zone}:{local}"
    return f"{name}:{moment.astimezone(UTC).strftime('%Y%m%dT%H%M%SZ')}"


def _vevent(uid: str, item: Mapping[str, Any], extra: Sequence[str]) -> list[str]:
    return [
        "BEGIN:VEVENT",
        f"UID:{uid}",
        "DTSTAMP:20270101T000000Z",
        _ical_time("DTSTART", item["start"]),
        _ical_time("DTEND", item["end"]),
        f"SUMMARY:{_escape(item.get('summary', ''))}",
        *extra,
        "END:VEVENT",
    ]


def google_to_ical(items: Iterable[Mapping[str, Any]]) -> list[str]:
    """Convert the items of an events.list answer to calendar objects, one per event.

    A series keeps its `recurrence` lines (they are iCalendar lines already); its
    changed instances become overrides (RECURRENCE-ID = `originalStartTime`) and
    its cancelled instances EXDATEs. Deleted events are left out.
    """
    items = list(items)
    series = {
        item["id"]: item
        for item in items
        if "recurringEventId" not in item and item.get("status") != "cancelled"
    }
    overrides: dict[str, list[str]] = {key: [] for key in series}
    exdates: dict[str, list[str]] = {key: [] for key in series}
    for item in items:
        master = item.get("recurringEventId")
        if master is None or master not in series:
            continue
        original = item["originalStartTime"]
        if item.get("status") == "cancelled":
            exdates[master].append(_ical_time("EXDATE", original))
        else:
            overrides[master] += _vevent(
                series[master].get("iCalUID", master),
                item,
                [_ical_time("RECURRENCE-ID", original)],
            )
    objects = []
    for key, item in series.items():
        lines = _vevent(
            item.get("iCalUID", key),
            item,
            [*item.get("recurrence", ()), *exdates[key]],
        )
        objects.append(
            "\r\n".join(
                [
                    "BEGIN:VCALENDAR",
                    "VERSION:2.0",
                    "PRODID:-//tests//Google JSON//EN",
                    *lines,
                    *overrides[key],
                    "END:VCALENDAR",
                    "",
                ]
            )
        )
    return objects
