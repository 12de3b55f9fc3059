"""iCalendar (RFC 5545) <-> `engine.model.Event`: the one place CalDAV data is converted.

Pure functions, no I/O. One calendar object resource holds one `Event`: the series
(the VEVENT without RECURRENCE-ID) and its modified or cancelled occurrences (the
VEVENTs with RECURRENCE-ID) as `overrides`.

Choices made here, so that a round trip model -> iCalendar -> model loses nothing:

- Time zones: a TZID naming an IANA zone (directly, as a Windows name, or behind a
  vendor prefix such as `/mozilla.org/.../Europe/Berlin`) becomes a `ZoneInfo`, even
  when the resource carries its own VTIMEZONE; any other zone is read from the
  resource's own VTIMEZONE (icalendar keeps the first definition of a TZID it sees
  for the whole process, and Outlook names all its custom zones alike): as the IANA
  zone that keeps the same times, else as that definition (`DefinedZone`). Floating
  times (no TZID, no `Z`) are read in the `floating` zone the caller passes: the
  calendar's own zone, else UTC. Writing emits TZID plus a VTIMEZONE for `ZoneInfo`
  and `DefinedZone` times, `Z` for UTC, and converts any other tzinfo to UTC (the
  instant is kept; only its zone name is lost). A zone that is UTC under another
  name (Etc/GMT) is written as `Z`, so it is read as UTC.
- RRULE is kept as written (part order included); only its parts are re-encoded.
- COLOR (RFC 7986) is a CSS3 colour name: each `EventColor` has its own name
  (`EVENT_COLOR_CSS`); any other name, or `#rrggbb`, maps to the nearest by RGB.
- The managed-copy marker is the `X-SHARED-CALENDARS-SOURCE` property.
- DTSTAMP is when the object was written; `Event.updated` is LAST-MODIFIED.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from copy import deepcopy
from datetime import UTC, date, datetime, time, timedelta, tzinfo
import re
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from icalendar import (
    Calendar,
    Event as VEvent,
    Timezone as VTimezone,
    vCalAddress,
    vRecur,
    vText,
)
from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

from ..engine.content import instant
from ..engine.defined_zones import DefinedZone, defined_zone
from ..engine.intake import Unreadable
from ..engine.model import (
    CopyMarker,
    DateOrDateTime,
    Event,
    EventColor,
    EventStatus,
    SkipReason,
    Transparency,
)
from .ical_compat import add_date_list, is_utc
from .zones import iana_zone_like

_WHEN = frozenset(
    {"DTSTART", "DTEND", "DURATION", "RRULE", "RDATE", "EXDATE", "RECURRENCE-ID"}
)
"""The properties that decide when an event happens."""

MARKER_PROPERTY = "X-SHARED-CALENDARS-SOURCE"
"""The X- property that marks a managed copy; its value is the source's ledger key."""

PRODID = "-//shared_calendars//Home Assistant Shared Calendars//EN"

EVENT_COLOR_CSS: dict[EventColor, str] = {
    EventColor.LAVENDER: "mediumpurple",
    EventColor.SAGE: "mediumseagreen",
    EventColor.GRAPE: "darkorchid",
    EventColor.FLAMINGO: "lightcoral",
    EventColor.BANANA: "goldenrod",
    EventColor.TANGERINE: "orangered",
    EventColor.PEACOCK: "dodgerblue",
    EventColor.GRAPHITE: "dimgray",
    EventColor.BLUEBERRY: "darkslateblue",
    EventColor.BASIL: "forestgreen",
    EventColor.TOMATO: "red",
}
"""The CSS3 colour name written for each event colour: the CSS name nearest to it."""

EVENT_COLOR_RGB: dict[EventColor, int] = {
    EventColor.LAVENDER: 0x7986CB,
    EventColor.SAGE: 0x33B679,
    EventColor.GRAPE: 0x8E24AA,
    EventColor.FLAMINGO: 0xE67C73,
    EventColor.BANANA: 0xF6BF26,
    EventColor.TANGERINE: 0xF4511E,
    EventColor.PEACOCK: 0x039BE5,
    EventColor.GRAPHITE: 0x616161,
    EventColor.BLUEBERRY: 0x3F51B5,
    EventColor.BASIL: 0x0B8043,
    EventColor.TOMATO: 0xD50000,
}
"""Google Calendar's own shade of each event colour."""

# The CSS3 extended colour keywords (plus CSS4's rebeccapurple), as name:rrggbb.
_CSS_COLORS_TEXT = """
aliceblue:f0f8ff antiquewhite:faebd7 aqua:00ffff aquamarine:7fffd4 azure:f0ffff
beige:f5f5dc bisque:ffe4c4 black:000000 blanchedalmond:ffebcd blue:0000ff
blueviolet:8a2be2 brown:a52a2a burlywood:deb887 cadetblue:5f9ea0 chartreuse:7fff00
chocolate:d2691e coral:ff7f50 cornflowerblue:6495ed cornsilk:fff8dc crimson:dc143c
cyan:00ffff darkblue:00008b darkcyan:008b8b darkgoldenrod:b8860b darkgray:a9a9a9
darkgreen:006400 darkgrey:a9a9a9 darkkhaki:bdb76b darkmagenta:8b008b
darkolivegreen:556b2f darkorange:ff8c00 darkorchid:9932cc darkred:8b0000
darksalmon:e9967a darkseagreen:8fbc8f darkslateblue:483d8b darkslategray:2f4f4f
darkslategrey:2f4f4f darkturquoise:00ced1 darkviolet:9400d3 deeppink:ff1493
deepskyblue:00bfff dimgray:696969 dimgrey:696969 dodgerblue:1e90ff firebrick:b22222
floralwhite:fffaf0 forestgreen:228b22 fuchsia:ff00ff gainsboro:dcdcdc
ghostwhite:f8f8ff gold:ffd700 goldenrod:daa520 gray:808080 green:008000
greenyellow:adff2f grey:808080 honeydew:f0fff0 hotpink:ff69b4 indianred:cd5c5c
indigo:4b0082 ivory:fffff0 khaki:f0e68c lavender:e6e6fa lavenderblush:fff0f5
lawngreen:7cfc00 lemonchiffon:fffacd lightblue:add8e6 lightcoral:f08080
lightcyan:e0ffff lightgoldenrodyellow:fafad2 lightgray:d3d3d3 lightgreen:90ee90
lightgrey:d3d3d3 lightpink:ffb6c1 lightsalmon:ffa07a lightseagreen:20b2aa
lightskyblue:87cefa lightslategray:778899 lightslategrey:778899
lightsteelblue:b0c4de lightyellow:ffffe0 lime:00ff00 limegreen:32cd32 linen:faf0e6
magenta:ff00ff maroon:800000 mediumaquamarine:66cdaa mediumblue:0000cd
mediumorchid:ba55d3 mediumpurple:9370db mediumseagreen:3cb371
mediumslateblue:7b68ee mediumspringgreen:00fa9a mediumturquoise:48d1cc
mediumvioletred:c71585 midnightblue:191970 mintcream:f5fffa mistyrose:ffe4e1
moccasin:ffe4b5 navajowhite:ffdead navy:000080 oldlace:fdf5e6 olive:808000
olivedrab:6b8e23 orange:ffa500 orangered:ff4500 orchid:da70d6 palegoldenrod:eee8aa
palegreen:98fb98 paleturquoise:afeeee palevioletred:db7093 papayawhip:ffefd5
peachpuff:ffdab9 peru:cd853f pink:ffc0cb plum:dda0dd powderblue:b0e0e6
purple:800080 rebeccapurple:663399 red:ff0000 rosybrown:bc8f8f royalblue:4169e1
saddlebrown:8b4513 salmon:fa8072 sandybrown:f4a460 seagreen:2e8b57 seashell:fff5ee
sienna:a0522d silver:c0c0c0 skyblue:87ceeb slateblue:6a5acd slategray:708090
slategrey:708090 snow:fffafa springgreen:00ff7f steelblue:4682b4 tan:d2b48c
teal:008080 thistle:d8bfd8 tomato:ff6347 turquoise:40e0d0 violet:ee82ee
wheat:f5deb3 white:ffffff whitesmoke:f5f5f5 yellow:ffff00 yellowgreen:9acd32
"""

CSS_COLORS: dict[str, int] = {
    name: int(rgb, 16)
    for name, rgb in (pair.split(":") for pair in _CSS_COLORS_TEXT.split())
}
"""CSS3 colour names and their RGB value."""

_UTC = ZoneInfo("UTC")
_CSS_TO_EVENT_COLOR = {css: color for color, css in EVENT_COLOR_CSS.items()}
_TEXT_ESCAPE = re.compile(r"\\([\\;,nN])")
_STATUSES = {status.value.upper(): status for status in EventStatus}
_TRANSPARENCIES = {transp.value.upper(): transp for transp in Transparency}
type Defined = Mapping[str, DefinedZone]
"""The zones a resource defines itself (its VTIMEZONEs no IANA name stands for), by TZID."""
_NONE_DEFINED: Defined = {}


def _rgb_distance(first: int, second: int) -> int:
    return sum(
        ((first >> shift & 0xFF) - (second >> shift & 0xFF)) ** 2
        for shift in (16, 8, 0)
    )


def nearest_event_color(rgb: int) -> EventColor:
    """Return the event colour nearest to an RGB value."""
    return min(
        EVENT_COLOR_RGB, key=lambda color: _rgb_distance(EVENT_COLOR_RGB[color], rgb)
    )


def event_color_from_css(value: str) -> EventColor | None:
    """Map an RFC 7986 COLOR value (a CSS3 name, or `#rrggbb`) to an event colour."""
    name = value.strip().lower()
    if name in _CSS_TO_EVENT_COLOR:
        return _CSS_TO_EVENT_COLOR[name]
    if name in CSS_COLORS:
        return nearest_event_color(CSS_COLORS[name])
    if name.startswith("#") and len(name) in (7, 9):
        try:
            return nearest_event_color(int(name[1:7], 16))
        except ValueError:
            return None
    return None


def unalias_utc(value: DateOrDateTime) -> DateOrDateTime:
    """Return a time in a zone that is UTC under another name in UTC.

    Such zones are Etc/GMT, GMT, Zulu and, as icalendar counts them, zones on UTC all
    year such as Atlantic/Reykjavik. They are written as UTC (iCalendar `Z`; Google
    `timeZone: UTC` for Etc/GMT): the zone name does not survive a write. Read as
    UTC from the start, a copy reads back as it was written; read under its own name,
    a copy of a series in such a zone came back in "UTC", differed from what was
    written (a series' zone counts in `content`) and was rewritten on every cycle.
    """
    if isinstance(value, datetime) and value.tzinfo is not _UTC and is_utc(value):
        return value.astimezone(_UTC)
    return value


def zone_from_tzid(tzid: str) -> ZoneInfo | None:
    """Return the IANA zone a TZID names, when it names one.

    Accepts IANA names, Windows names (`W. Europe Standard Time`) and the
    "globally unique" vendor-prefixed form (`/mozilla.org/20050126_1/Europe/Berlin`).
    """
    candidates = [tzid.strip()]
    if tzid in WINDOWS_TO_OLSON:
        candidates.append(WINDOWS_TO_OLSON[tzid])
    if tzid.startswith("/"):
        parts = tzid.strip("/").split("/")
        candidates.extend("/".join(parts[start:]) for start in range(1, len(parts)))
    for candidate in candidates:
        if not candidate or candidate.startswith("/") or ".." in candidate:
            continue
        try:
            return ZoneInfo(candidate)
        except ZoneInfoNotFoundError, ValueError:
            continue
    return None


def timezone_from_vtimezone(text: str | None) -> str | None:
    """Return the IANA name of the zone a CALDAV:calendar-timezone property holds."""
    if not text:
        return None
    try:
        calendar = Calendar.from_ical(text.encode())
    except ValueError:
        return None
    for component in calendar.walk("VTIMEZONE"):
        zone = zone_from_tzid(str(component.get("TZID", "")))
        if zone is not None:
            return zone.key
    return None


# ---------------------------------------------------------------------------
# iCalendar -> model
# ---------------------------------------------------------------------------


def defined_zones(calendar: Calendar) -> dict[str, DefinedZone]:
    """Return the zones a resource defines in VTIMEZONEs that no IANA name stands for.

    Cleaned as icalendar cleans it before dateutil reads it: X- properties left out
    (they define nothing), a DATE onset made midnight. A definition dateutil cannot
    read even so is left out; its times keep the zone icalendar made of it.
    """
    found: dict[str, DefinedZone] = {}
    for component in calendar.walk("VTIMEZONE"):
        tzid = str(component.get("TZID", ""))
        if not tzid or zone_from_tzid(tzid) is not None:
            continue
        definition = deepcopy(component)
        for part in definition.walk():
            for name in [name for name in part if name.upper().startswith("X-")]:
                del part[name]
            onset = getattr(part.get("DTSTART"), "dt", None)
            if isinstance(onset, date) and not isinstance(onset, datetime):
                del part["DTSTART"]
                part.add("DTSTART", datetime.combine(onset, time.min))
        try:
            found[tzid] = defined_zone(tzid, definition.to_ical().decode())
        except ValueError:
            continue
    return found


def vevent_to_event(
    component: VEvent,
    event_id: str,
    uid: str,
    floating: tzinfo,
    defined: Defined = _NONE_DEFINED,
) -> Event:
    """Convert one VEVENT; an RDATE period counts by its start (see `rdate_periods`).

    Raises `ValueError` when a property that decides when it happens is garbage:
    icalendar 6.3 drops such a property (noting it in `errors`), 7.x keeps it broken.
    """
    broken = sorted(
        {name for name, _ in getattr(component, "errors", ()) if name in _WHEN}
    )
    if broken:
        raise ValueError(f"unreadable {', '.join(broken)}")
    start, end = read_bounds(component, floating, defined)
    recurrence_id = _read_time(component.get("RECURRENCE-ID"), floating, defined)
    rrules = [_recur_text(rule) for rule in _as_list(component.get("RRULE"))]
    color = component.get("COLOR")
    marker = component.get(MARKER_PROPERTY)
    updated = _read_time(component.get("LAST-MODIFIED"), UTC)
    created = _read_time(component.get("CREATED"), UTC)
    return Event(
        id=event_id,
        ical_uid=uid,
        summary=_text(component.get("SUMMARY")),
        description=_text(component.get("DESCRIPTION")),
        location=_text(component.get("LOCATION")),
        start=start,
        end=end,
        rrule=rrules[0] if rrules else None,
        extra_rrules=tuple(rrules[1:]),
        rdate=tuple(
            moment
            for moment, _ in _read_time_lists(component.get("RDATE"), floating, defined)
        ),
        exdate=tuple(
            moment
            for moment, _ in _read_time_lists(
                component.get("EXDATE"), floating, defined
            )
        ),
        recurrence_id=recurrence_id,
        status=_STATUSES.get(
            _text(component.get("STATUS")).upper(), EventStatus.CONFIRMED
        ),
        sequence=sequence_of(component) or 0,
        transparency=_TRANSPARENCIES.get(
            _text(component.get("TRANSP")).upper(), Transparency.OPAQUE
        ),
        color=event_color_from_css(_text(color)) if color is not None else None,
        organizer=_organizer(component.get("ORGANIZER")),
        updated=updated if isinstance(updated, datetime) else None,
        created=created if isinstance(created, datetime) else None,
        copy_of=CopyMarker(source=_x_text(marker)) if marker is not None else None,
    )


def rdate_periods(
    component: VEvent, floating: tzinfo, defined: Defined = _NONE_DEFINED
) -> list[tuple[DateOrDateTime, DateOrDateTime]]:
    """Return the RDATE;VALUE=PERIOD values as (start, end)."""
    return [
        (moment, end)
        for moment, end in _read_time_lists(
            component.get("RDATE"), floating, defined, periods=True
        )
        if end is not None
    ]


def sequence_of(component: VEvent) -> int | None:
    """Return the SEQUENCE a VEVENT states, None when it states none (or garbage)."""
    value = component.get("SEQUENCE")
    try:
        return int(str(value)) if value is not None else None
    except ValueError:
        return None


def revision(component: VEvent) -> tuple[int, datetime, datetime]:
    """Return what orders versions of one VEVENT: SEQUENCE, then DTSTAMP, LAST-MODIFIED."""
    stamps = []
    for name in ("DTSTAMP", "LAST-MODIFIED"):
        moment = _read_time(component.get(name), UTC)
        stamps.append(
            moment if isinstance(moment, datetime) else datetime.min.replace(tzinfo=UTC)
        )
    return sequence_of(component) or 0, stamps[0], stamps[1]


def changes_this_and_future(component: VEvent) -> bool:
    """Return whether an override applies to its occurrence and every later one."""
    params = getattr(component.get("RECURRENCE-ID"), "params", None)
    return (
        params is not None and str(params.get("RANGE", "")).upper() == "THISANDFUTURE"
    )


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        value = value[0] if value else ""
    if isinstance(value, bytes):
        return value.decode()
    return str(value)


def _x_text(value: Any) -> str:
    """Read an X- property written as TEXT: icalendar leaves unknown ones escaped."""
    if isinstance(value, vText):
        return str(value)
    return _TEXT_ESCAPE.sub(
        lambda match: "\n" if match.group(1) in "nN" else match.group(1), _text(value)
    )


def _organizer(value: Any) -> str | None:
    address = _text(value).strip()
    if address.lower().startswith("mailto:"):
        return address[len("mailto:") :] or None
    return None


def _recur_text(recur: vRecur) -> str:
    """Encode an RRULE with its parts in the order they were written."""
    parts = []
    for key, values in recur.items():
        kind = recur.types.get(key, vText)
        items = values if isinstance(values, (list, tuple)) else [values]
        encoded = b",".join(kind(item).to_ical() for item in items)
        parts.append(f"{key}={encoded.decode()}")
    return ";".join(parts)


def _localise(
    value: DateOrDateTime, tzid: str | None, floating: tzinfo, defined: Defined
) -> DateOrDateTime:
    """Make a parsed DATE-TIME aware, preferring IANA zones (see the module doc)."""
    if not isinstance(value, datetime):
        return value
    if value.tzinfo is None:
        # Floating, or a TZID icalendar 6.3 could not resolve (7 strips vendor prefixes).
        value = value.replace(
            tzinfo=(tzid and _zone_named(tzid, value, defined)) or floating
        )
    elif not isinstance(value.tzinfo, ZoneInfo) and tzid is not None:
        zone = _zone_named(tzid, value, defined) or iana_zone_like(
            value.tzinfo, tzid, value
        )
        value = value.replace(tzinfo=zone or value.tzinfo)
    return unalias_utc(value)


def _zone_named(tzid: str, around: datetime, defined: Defined) -> tzinfo | None:
    """Return the IANA zone a TZID names, else the zone the resource defines for it.

    A zone the resource defines is the IANA zone that keeps the same times around
    `around`, where there is one; else that definition.
    """
    zone = zone_from_tzid(tzid)
    if zone is None and (own := defined.get(tzid)) is not None:
        return iana_zone_like(own, tzid, around) or own
    return zone


def _read_time(
    prop: Any, floating: tzinfo, defined: Defined = _NONE_DEFINED
) -> DateOrDateTime | None:
    if prop is None:
        return None
    value = getattr(prop, "dt", None)
    if isinstance(value, tuple):  # a PERIOD: keep its start
        value = value[0]
    if not isinstance(value, date):
        return None
    return _localise(value, _tzid_param(prop), floating, defined)


def _tzid_param(prop: Any) -> str | None:
    params = getattr(prop, "params", None)
    tzid = params.get("TZID") if params is not None else None
    return str(tzid) if tzid else None


def _read_time_lists(
    value: Any, floating: tzinfo, defined: Defined, *, periods: bool = False
) -> Iterable[tuple[DateOrDateTime, DateOrDateTime | None]]:
    """Yield each date of RDATE/EXDATE lines; a PERIOD only when `periods`, with its end."""
    for prop in _as_list(value):
        tzid = _tzid_param(prop)
        for item in getattr(prop, "dts", ()):
            zone = _tzid_param(item) or tzid
            if isinstance(item.dt, tuple) != periods:
                continue
            if not periods and isinstance(item.dt, date):
                yield _localise(item.dt, zone, floating, defined), None
            elif periods:
                begin, finish = item.dt
                first = _localise(begin, zone, floating, defined)
                last = (
                    first + finish
                    if isinstance(finish, timedelta)
                    else _localise(finish, zone, floating, defined)
                )
                yield first, last


def read_bounds(
    component: VEvent, floating: tzinfo, defined: Defined = _NONE_DEFINED
) -> tuple[DateOrDateTime, DateOrDateTime]:
    """Return a VEVENT's start and exclusive end as calendar clients show them.

    Broken but common data gets the reading other clients give it: an end before
    the start is swapped; a DATE start with a DATE-TIME end, or with a DURATION of
    hours, is a timed event from that midnight; a floating bound beside a zoned one
    is read in the calendar's zone, as it is alone. A DATE start without an end lasts one day (RFC 5545
    3.6.1); a zero-length all-day event stays zero length (targets that cannot hold
    it write one day).
    """
    start_prop, end_prop = component.get("DTSTART"), component.get("DTEND")
    start = _read_time(start_prop, floating, defined)
    if start is None:
        raise Unreadable(
            SkipReason.MISSING_TIME if start_prop is None else SkipReason.INVALID_TIME
        )
    end = _read_time(end_prop, floating, defined)
    delta = getattr(component.get("DURATION"), "dt", None)
    if end is None and isinstance(delta, timedelta):
        if not isinstance(start, datetime) and delta % timedelta(days=1):
            start = datetime.combine(start, time.min, floating)
        end = start + delta
    if not isinstance(start, datetime):
        if isinstance(end, datetime):
            start = datetime.combine(start, time.min, end.tzinfo or floating)
        elif end is None:
            end = start + timedelta(days=1)
    elif end is None:
        end = start
    elif not isinstance(end, datetime):
        end = datetime.combine(end, time.min, start.tzinfo)
    assert end is not None
    return (end, start) if instant(end, UTC) < instant(start, UTC) else (start, end)


# ---------------------------------------------------------------------------
# model -> iCalendar
# ---------------------------------------------------------------------------


def event_to_ical(event: Event, *, stamp: datetime) -> bytes:
    """Convert an `Event` (a series with its overrides) to one calendar object.

    `stamp` becomes DTSTAMP, the time the object is written.
    """
    calendar = Calendar()
    calendar.add("PRODID", PRODID)
    calendar.add("VERSION", "2.0")
    for zone in _zones_defined_in(event):
        calendar.add_component(VTimezone.from_ical(zone.definition))
    calendar.add_component(_event_to_vevent(event, event.ical_uid, stamp))
    for override in event.overrides:
        calendar.add_component(_event_to_vevent(override, event.ical_uid, stamp))
    calendar.add_missing_timezones()
    result: bytes = calendar.to_ical()
    return result


class _Text(vText):
    r"""TEXT escaped as RFC 5545 3.3.11 says.

    icalendar's own escaping first turns a literal backslash-N (`C:\New`) into a
    line break; this keeps every character.
    """

    def to_ical(self) -> bytes:
        escaped = str(self).replace("\\", "\\\\")
        for char, escape in (
            (";", "\\;"),
            (",", "\\,"),
            ("\r\n", "\\n"),
            ("\n", "\\n"),
        ):
            escaped = escaped.replace(char, escape)
        return escaped.encode()


class _VerbatimRecur(vRecur):
    """An RRULE written with its parts in the order given (icalendar reorders them)."""

    def to_ical(self) -> bytes:
        return _recur_text(self).encode()


def _event_to_vevent(event: Event, uid: str, stamp: datetime) -> VEvent:
    vevent = VEvent()
    vevent.add("UID", uid)
    vevent.add("DTSTAMP", stamp.astimezone(UTC))
    if event.recurrence_id is not None:
        vevent.add("RECURRENCE-ID", _write_time(event.recurrence_id))
    # A series expands from its start's wall clock in its zone, even an ambiguous one.
    vevent.add("DTSTART", _write_time(event.start, ambiguous=event.recurring))
    vevent.add("DTEND", _write_time(event.end))
    if event.summary:
        vevent.add("SUMMARY", _Text(event.summary))
    if event.description:
        vevent.add("DESCRIPTION", _Text(event.description))
    if event.location:
        vevent.add("LOCATION", _Text(event.location))
    for rule in event.rrules:
        vevent.add("RRULE", _VerbatimRecur.from_ical(rule))
    for rdate in _grouped(event.rdate):
        add_date_list(vevent, "RDATE", rdate)
    for exdate in _grouped(event.exdate):
        add_date_list(vevent, "EXDATE", exdate)
    vevent.add("STATUS", event.status.value.upper())
    if event.sequence:
        vevent.add("SEQUENCE", event.sequence)
    vevent.add("TRANSP", event.transparency.value.upper())
    if event.color is not None:
        vevent.add("COLOR", EVENT_COLOR_CSS[event.color])
    if event.organizer:
        vevent.add("ORGANIZER", vCalAddress(f"mailto:{event.organizer}"))
    if event.updated is not None:
        vevent.add("LAST-MODIFIED", event.updated.astimezone(UTC))
    if event.created is not None:
        vevent.add("CREATED", event.created.astimezone(UTC))
    if event.copy_of is not None:
        vevent.add(MARKER_PROPERTY, vText(event.copy_of.source))
    return vevent


def _zones_defined_in(event: Event) -> list[DefinedZone]:
    """Return the zones of their own definition an event's times are in, by TZID."""
    found: dict[str, DefinedZone] = {}
    for part in (event, *event.overrides):
        for value in (
            part.start,
            part.end,
            part.recurrence_id,
            *part.rdate,
            *part.exdate,
        ):
            if isinstance(value, datetime) and isinstance(value.tzinfo, DefinedZone):
                found.setdefault(value.tzinfo.tzid, value.tzinfo)
    return list(found.values())


def _write_time(value: DateOrDateTime, *, ambiguous: bool = False) -> DateOrDateTime:
    """Keep dates and IANA-zoned, defined or UTC times; convert others to UTC.

    A `DefinedZone` names itself (TZID) as icalendar asks; its VTIMEZONE goes with
    the object (`event_to_ical`). A wall-clock time the zone shows twice, at its
    second passing (`fold`), is read back at its first (RFC 5545 3.3.5): it goes in
    UTC unless `ambiguous` allows it.
    """
    if not isinstance(value, datetime):
        return value
    if value.tzinfo is None:
        raise ValueError("event times must be aware")
    if (
        value.fold
        and not ambiguous
        and value.utcoffset() != value.replace(fold=0).utcoffset()
    ):
        return value.astimezone(UTC)
    if isinstance(value.tzinfo, (ZoneInfo, DefinedZone)) or value.tzinfo is UTC:
        return value
    return value.astimezone(UTC)


def _grouped(values: Sequence[DateOrDateTime]) -> Iterable[list[DateOrDateTime]]:
    """Split RDATE/EXDATE values into runs that share one value type and zone."""
    run: list[DateOrDateTime] = []
    run_key: object = None
    for value in values:
        written = _write_time(value)
        key = (
            (type(written), str(written.tzinfo))
            if isinstance(written, datetime)
            else (date, None)
        )
        if run and key != run_key:
            yield run
            run = []
        run.append(written)
        run_key = key
    if run:
        yield run
