"""The sample group of scripts/demo: a CalDAV server with a family's calendars.

Run it with the Python of the Home Assistant venv (scripts/demo does):

  radicale-config DIR              write Radicale's config, logins and rights into DIR
  seed CALDAV_URL                  create the calendars and write their events (PUT .ics),
                                   laid out around today; safe to repeat
  setup HA_URL USER PASSWORD CALDAV_URL
                                   set the Family group up in a running Home Assistant the
                                   way the UI does (config-flow and subentry-flow REST API),
                                   with Grandpa's Local Calendars (demo_local.py), sync it
                                   once and make the dashboard; skips what exists

The CalDAV server has two logins. `family` reaches Anna's, Ben's and Cleo's calendars
(each a personal calendar and a combined one) and a meeting room's; the demo's Family
group uses it. `friends` reaches Dana's and Eli's calendars and is left for you (and
the end-to-end test) to add as a second group through the UI.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
import json
from pathlib import Path
import sys
import time as clock
from typing import Any
import urllib.error
import urllib.parse
import urllib.request
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

import demo_local
import ha_config

DOMAIN = "shared_calendars"
HOME_TZ = "Europe/Berlin"
"""The family's time zone; Home Assistant's too."""
BERLIN = ZoneInfo(HOME_TZ)
NEW_YORK = ZoneInfo("America/New_York")

LOGINS: Mapping[str, str] = {"family": "family", "friends": "friends"}
"""The CalDAV server's logins and their passwords (plain text: a loopback demo)."""
GROUP_LOGIN = "family"
GROUP_NAME = "Family"
DASHBOARD_URL = "shared-calendars"
DASHBOARD_TITLE = "Shared Calendars"

RIGHTS = """\
# Every login may read the root and use its own principal and calendars.
[root]
user: .+
collection:
permissions: R

[own-principal]
user: .+
collection: {user}
permissions: RW

[own-calendars]
user: .+
collection: {user}/[^/]+
permissions: rw
"""

# ------------------------------------------------------------------ the data


@dataclass(frozen=True, kw_only=True)
class Occurrence:
    """A moved or changed occurrence of a series (a RECURRENCE-ID override)."""

    of: datetime
    """The original start of the occurrence."""
    start: datetime
    end: datetime
    summary: str | None = None
    location: str | None = None


@dataclass(frozen=True, kw_only=True)
class Event:
    """One VEVENT with what the demo needs of RFC 5545."""

    uid: str
    summary: str
    start: date | datetime
    """A `date` for all-day events, otherwise an aware `datetime` (ZoneInfo or UTC)."""
    end: date | datetime
    """Exclusive; it may be in another time zone than the start (a flight)."""
    location: str = ""
    description: str = ""
    rrule: str | None = None
    exdates: tuple[date | datetime, ...] = ()
    overrides: tuple[Occurrence, ...] = ()
    status: str | None = None
    """CONFIRMED, TENTATIVE or CANCELLED."""
    transparent: bool = False
    priority: int | None = None
    created: datetime | None = None
    """When it was booked: in a room, the first booked keeps it (clear_overlaps)."""
    organizer: str | None = None
    """Who booked it (an e-mail address): told when a room's booking is removed."""


@dataclass(frozen=True, kw_only=True)
class Calendar:
    """A calendar of one login."""

    login: str
    slug: str
    name: str
    color: str
    events: tuple[Event, ...] = ()

    @property
    def path(self) -> str:
        """Return the calendar's path on the server."""
        return f"/{self.login}/{self.slug}/"


@dataclass(frozen=True, kw_only=True)
class Member:
    """A member of a group: a personal calendar, a combined one, how they share."""

    name: str
    source: str
    combined: str
    color: str
    sharing: Mapping[str, Any] = field(default_factory=dict)


FAMILY: tuple[Member, ...] = (
    Member(
        name="Anna",
        source="anna",
        combined="anna-combined",
        color="tomato",
        sharing={"title_prefix": "Anna: "},
    ),
    Member(
        name="Ben",
        source="ben",
        combined="ben-combined",
        color="peacock",
        sharing={"title_prefix": "Ben: "},
    ),
    Member(
        name="Cleo",
        source="cleo",
        combined="cleo-combined",
        color="basil",
        sharing={"title_prefix": "Cleo: "},
    ),
)


MEMBER_NAMES: tuple[str, ...] = (*(member.name for member in FAMILY), demo_local.MEMBER)
"""Everyone in the Family group: Grandpa's calendars are Local Calendars (demo_local)."""


def _at(day: date, hour: int, minute: int = 0, zone: ZoneInfo = BERLIN) -> datetime:
    return datetime.combine(day, time(hour, minute), zone)


def _weekly(today: date, weekday: int, hour: int, minute: int = 0) -> datetime:
    """Return the start of a weekly series: its first day three weeks back."""
    first = today - timedelta(weeks=3)
    first += timedelta(days=(weekday - first.weekday()) % 7)
    return _at(first, hour, minute)


def _next(series: datetime, today: date, skip: int = 0) -> datetime:
    """Return the occurrence of a weekly series after today (skipping `skip`)."""
    weeks = (today - series.date()).days // 7 + 1 + skip
    return series + timedelta(weeks=weeks)


def calendars(today: date) -> list[Calendar]:
    """Return every calendar of the demo with its events, laid out around `today`.

    One-off events are so many days from today; weekly series started three weeks
    ago, and their exceptions fall on their next occurrences. So whatever the day,
    the coming two weeks are busy and show each kind of event.
    """

    def day(offset: int) -> date:
        return today + timedelta(days=offset)

    yoga = _weekly(today, 1, 18, 30)  # Tuesdays
    anna = Calendar(
        login="family",
        slug="anna",
        name="Anna's calendar",
        color="#E67C73",
        events=(
            Event(
                uid="demo-anna-yoga",
                summary="Yoga",
                location="Studio Mitte",
                start=yoga,
                end=yoga + timedelta(hours=1),
                rrule="FREQ=WEEKLY;BYDAY=TU",
                # The next class is cancelled; the one after moves to Wednesday.
                exdates=(_next(yoga, today),),
                overrides=(
                    Occurrence(
                        of=_next(yoga, today, 1),
                        start=_next(yoga, today, 1) + timedelta(days=1, minutes=30),
                        end=_next(yoga, today, 1) + timedelta(days=1, minutes=90),
                        summary="Yoga (moved to Wednesday)",
                    ),
                ),
            ),
            Event(
                uid="demo-anna-dentist",
                summary="Dentist",
                location="Dr. Weber, Kastanienallee 12",
                start=_at(day(3), 8, 15),
                end=_at(day(3), 9),
            ),
            Event(
                uid="demo-anna-new-york-call",
                summary="Call with the New York office",
                description="9 am in New York.",
                start=_at(day(2), 9, zone=NEW_YORK),
                end=_at(day(2), 10, zone=NEW_YORK),
            ),
            Event(
                uid="demo-anna-lisbon",
                summary="Architecture conference, Lisbon",
                location="Lisbon",
                start=day(14),
                end=day(17),
            ),
            Event(
                uid="demo-anna-grandma",
                summary="Grandma's birthday",
                start=day(6),
                end=day(7),
                rrule="FREQ=YEARLY",
            ),
        ),
    )
    standup = _at(day(2), 9, 30, NEW_YORK)
    football = _weekly(today, 3, 19)  # Thursdays
    ben = Calendar(
        login="family",
        slug="ben",
        name="Ben's calendar",
        color="#039BE5",
        events=(
            Event(
                uid="demo-ben-football",
                summary="Football training",
                location="Sportpark Nord",
                start=football,
                end=football + timedelta(hours=1, minutes=30),
                rrule="FREQ=WEEKLY;BYDAY=TH",
                # No training for him while he is in New York.
                exdates=(_next(football, today),),
            ),
            Event(
                uid="demo-ben-flight-out",
                summary="Flight BER → JFK",
                location="Berlin Brandenburg Airport",
                description="Departs 10:05 Berlin time, lands 13:20 New York time.",
                start=_at(day(1), 10, 5),
                end=_at(day(1), 13, 20, NEW_YORK),
            ),
            Event(
                uid="demo-ben-new-york",
                summary="Business trip to New York",
                start=day(1),
                end=day(6),
            ),
            Event(
                uid="demo-ben-standup",
                summary="Stand-up with the New York team",
                location="Office, 5th Avenue",
                start=standup,
                end=standup + timedelta(minutes=15),
                rrule="FREQ=DAILY;COUNT=4",
                # The third is skipped for a client workshop.
                exdates=(standup + timedelta(days=2),),
            ),
            Event(
                uid="demo-ben-flight-back",
                summary="Flight JFK → BER",
                location="John F. Kennedy International Airport",
                description="Departs 18:00 New York time, lands 07:30 Berlin time.",
                start=_at(day(5), 18, zone=NEW_YORK),
                end=_at(day(6), 7, 30),
            ),
        ),
    )
    piano = _weekly(today, 2, 16)  # Wednesdays
    swimming = _weekly(today, 5, 10)  # Saturdays
    cleo = Calendar(
        login="family",
        slug="cleo",
        name="Cleo's calendar",
        color="#33B679",
        events=(
            Event(
                uid="demo-cleo-piano",
                summary="Piano lesson",
                location="Music school",
                start=piano,
                end=piano + timedelta(minutes=45),
                rrule="FREQ=WEEKLY;BYDAY=WE",
                overrides=(
                    Occurrence(
                        of=_next(piano, today, 1),
                        start=_next(piano, today, 1) + timedelta(days=2, hours=-1),
                        end=_next(piano, today, 1) + timedelta(days=2, minutes=-15),
                        summary="Piano lesson (on Friday this week)",
                    ),
                ),
            ),
            Event(
                uid="demo-cleo-swimming",
                summary="Swimming club",
                location="Stadtbad",
                start=swimming,
                end=swimming + timedelta(hours=1, minutes=30),
                rrule="FREQ=WEEKLY;BYDAY=SA",
            ),
            Event(
                uid="demo-cleo-parents-evening",
                summary="Parents' evening",
                location="School, room 104",
                start=_at(day(1), 19),
                end=_at(day(1), 20, 30),
            ),
            Event(
                uid="demo-cleo-school-trip",
                summary="School trip to the Baltic Sea",
                start=day(8),
                end=day(11),
            ),
            Event(
                uid="demo-cleo-playdate",
                summary="Maybe: playdate with Mia",
                start=_at(day(4), 15),
                end=_at(day(4), 17),
                status="TENTATIVE",
                transparent=True,
            ),
        ),
    )
    weekly_sync = _weekly(today, 3, 9)  # Thursdays
    # When each booking was made: the first booked keeps the room.
    booked = _at(today, 9)
    room = Calendar(
        login="family",
        slug="meeting-room",
        name="Meeting room Spree",
        color="#8E24AA",
        events=(
            Event(
                uid="demo-room-sprint-planning",
                created=booked - timedelta(weeks=2),
                organizer="ben@family.example",
                summary="Sprint planning",
                start=_at(day(1), 10),
                end=_at(day(1), 11, 30),
            ),
            Event(
                uid="demo-room-customer-call",
                created=booked - timedelta(days=3),
                organizer="anna@family.example",
                summary="Customer call",
                description="Booked after the sprint planning it overlaps: it loses.",
                start=_at(day(1), 11),
                end=_at(day(1), 12),
            ),
            Event(
                uid="demo-room-lunch",
                created=booked - timedelta(days=2),
                organizer="cleo@family.example",
                summary="Team lunch",
                description="Right after the customer call; no overlap.",
                start=_at(day(1), 12),
                end=_at(day(1), 13),
            ),
            Event(
                uid="demo-room-interview",
                created=booked - timedelta(weeks=1),
                organizer="anna@family.example",
                summary="Interview",
                start=_at(day(2), 14),
                end=_at(day(2), 15),
                status="CANCELLED",
            ),
            Event(
                uid="demo-room-design-review",
                created=booked - timedelta(days=1),
                organizer="ben@family.example",
                summary="Design review",
                description="Overlaps only the cancelled interview.",
                start=_at(day(2), 14, 30),
                end=_at(day(2), 15, 30),
            ),
            Event(
                uid="demo-room-weekly-sync",
                created=booked - timedelta(weeks=4),
                organizer="cleo@family.example",
                summary="Weekly sync",
                start=weekly_sync,
                end=weekly_sync + timedelta(hours=1),
                rrule="FREQ=WEEKLY;BYDAY=TH",
            ),
            Event(
                uid="demo-room-board",
                created=booked - timedelta(weeks=5),
                organizer="board@family.example",
                summary="Board meeting",
                description="Booked before the weekly sync series: takes its next occurrence.",
                start=_next(weekly_sync, today) + timedelta(minutes=30),
                end=_next(weekly_sync, today) + timedelta(hours=2),
                priority=1,
            ),
            Event(
                uid="demo-room-new-york",
                created=booked - timedelta(days=1),
                organizer="anna@family.example",
                summary="Video call with New York",
                description="9 am in New York; the design sprint was booked first.",
                start=_at(day(3), 9, zone=NEW_YORK),
                end=_at(day(3), 10, zone=NEW_YORK),
            ),
            Event(
                uid="demo-room-design-sprint",
                created=booked - timedelta(weeks=1),
                organizer="ben@family.example",
                summary="Design sprint",
                start=_at(day(3), 14),
                end=_at(day(3), 16),
            ),
        ),
    )
    bouldering = _weekly(today, 0, 19)  # Mondays
    dana = Calendar(
        login="friends",
        slug="dana",
        name="Dana's calendar",
        color="#F4511E",
        events=(
            Event(
                uid="demo-dana-bouldering",
                summary="Bouldering",
                location="Boulderhalle Ost",
                start=bouldering,
                end=bouldering + timedelta(hours=2),
                rrule="FREQ=WEEKLY;BYDAY=MO",
            ),
            Event(
                uid="demo-dana-concert",
                summary="Concert in the park",
                start=_at(day(5), 20),
                end=_at(day(5), 22, 30),
            ),
        ),
    )
    eli = Calendar(
        login="friends",
        slug="eli",
        name="Eli's calendar",
        color="#7986CB",
        events=(
            Event(
                uid="demo-eli-dinner",
                summary="Dinner at Eli's",
                location="Eli's flat",
                start=_at(today, 19, 30),
                end=_at(today, 22),
            ),
            Event(
                uid="demo-eli-book-club",
                summary="Book club",
                start=_at(day(2), 19, 30),
                end=_at(day(2), 21),
            ),
        ),
    )
    combined = [
        Calendar(
            login=login, slug=f"{slug}-combined", name=f"{name}: everyone", color=c
        )
        for login, slug, name, c in (
            ("family", "anna", "Anna", "#E67C73"),
            ("family", "ben", "Ben", "#039BE5"),
            ("family", "cleo", "Cleo", "#33B679"),
            ("friends", "dana", "Dana", "#F4511E"),
            ("friends", "eli", "Eli", "#7986CB"),
        )
    ]
    return [anna, ben, cleo, room, dana, eli, *combined]


# --------------------------------------------------------------- iCalendar

VTIMEZONES: Mapping[str, str] = {
    "Europe/Berlin": (
        "BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\n"
        "BEGIN:DAYLIGHT\r\nTZNAME:CEST\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\n"
        "DTSTART:19700329T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\n"
        "END:DAYLIGHT\r\n"
        "BEGIN:STANDARD\r\nTZNAME:CET\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\n"
        "DTSTART:19701025T030000\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\n"
        "END:STANDARD\r\nEND:VTIMEZONE\r\n"
    ),
    "America/New_York": (
        "BEGIN:VTIMEZONE\r\nTZID:America/New_York\r\n"
        "BEGIN:DAYLIGHT\r\nTZNAME:EDT\r\nTZOFFSETFROM:-0500\r\nTZOFFSETTO:-0400\r\n"
        "DTSTART:19700308T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU\r\n"
        "END:DAYLIGHT\r\n"
        "BEGIN:STANDARD\r\nTZNAME:EST\r\nTZOFFSETFROM:-0400\r\nTZOFFSETTO:-0500\r\n"
        "DTSTART:19701101T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU\r\n"
        "END:STANDARD\r\nEND:VTIMEZONE\r\n"
    ),
}


def _text(value: str) -> str:
    """Escape a TEXT value (RFC 5545 3.3.11)."""
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\n", "\\n")
    )


def _fold(line: str) -> str:
    """Fold a content line at 75 octets (RFC 5545 3.1)."""
    out: list[str] = []
    current = ""
    for char in line:
        limit = 75 if not out else 74
        if len((current + char).encode()) > limit:
            out.append(current)
            current = char
        else:
            current += char
    out.append(current)
    return "\r\n ".join(out) + "\r\n"


def _zone_name(value: datetime) -> str | None:
    """Return the TZID of an aware datetime, None for UTC."""
    if value.tzinfo is UTC:
        return None
    if isinstance(value.tzinfo, ZoneInfo):
        return value.tzinfo.key
    raise ValueError(f"{value} needs a ZoneInfo or UTC")


def _when(name: str, value: date | datetime) -> str:
    """Return a DTSTART-like property line."""
    if not isinstance(value, datetime):
        return f"{name};VALUE=DATE:{value:%Y%m%d}"
    if (zone := _zone_name(value)) is None:
        return f"{name}:{value:%Y%m%dT%H%M%S}Z"
    return f"{name};TZID={zone}:{value:%Y%m%dT%H%M%S}"


def _zones(event: Event) -> set[str]:
    values: list[date | datetime] = [event.start, event.end, *event.exdates]
    for override in event.overrides:
        values += [override.of, override.start, override.end]
    return {
        zone
        for value in values
        if isinstance(value, datetime) and (zone := _zone_name(value)) is not None
    }


def _vevent(
    event: Event,
    stamp: datetime,
    *,
    start: date | datetime,
    end: date | datetime,
    summary: str,
    location: str,
    recurrence_id: datetime | None = None,
) -> list[str]:
    lines = [
        "BEGIN:VEVENT",
        f"UID:{event.uid}",
        f"DTSTAMP:{stamp:%Y%m%dT%H%M%S}Z",
        _when("DTSTART", start),
        _when("DTEND", end),
        f"SUMMARY:{_text(summary)}",
    ]
    if recurrence_id is not None:
        lines.append(_when("RECURRENCE-ID", recurrence_id))
    elif event.rrule:
        lines.append(f"RRULE:{event.rrule}")
        lines.extend(_when("EXDATE", exdate) for exdate in event.exdates)
    if location:
        lines.append(f"LOCATION:{_text(location)}")
    if event.description:
        lines.append(f"DESCRIPTION:{_text(event.description)}")
    if event.status:
        lines.append(f"STATUS:{event.status}")
    if event.transparent:
        lines.append("TRANSP:TRANSPARENT")
    if event.priority is not None:
        lines.append(f"PRIORITY:{event.priority}")
    if event.created is not None:
        lines.append(f"CREATED:{event.created.astimezone(UTC):%Y%m%dT%H%M%S}Z")
    if event.organizer:
        lines.append(f"ORGANIZER:mailto:{event.organizer}")
    lines.append("END:VEVENT")
    return lines


def to_ics(event: Event, stamp: datetime | None = None) -> str:
    """Return the calendar object (one resource) of an event and its overrides."""
    stamp = (stamp or datetime.now(UTC)).astimezone(UTC)
    lines = [
        *_vevent(
            event,
            stamp,
            start=event.start,
            end=event.end,
            summary=event.summary,
            location=event.location,
        )
    ]
    for override in event.overrides:
        lines += _vevent(
            event,
            stamp,
            start=override.start,
            end=override.end,
            summary=override.summary or event.summary,
            location=override.location or event.location,
            recurrence_id=override.of,
        )
    head = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//shared_calendars//demo//EN\r\n"
    zones = "".join(VTIMEZONES[zone] for zone in sorted(_zones(event)))
    return head + zones + "".join(map(_fold, lines)) + "END:VCALENDAR\r\n"


# ------------------------------------------------------------------ CalDAV


def radicale_config(directory: str) -> None:
    """Write Radicale's config, logins (htpasswd) and rights into `directory`."""
    root = Path(directory).resolve()
    root.mkdir(parents=True, exist_ok=True)
    htpasswd = root / "htpasswd"
    htpasswd.write_text("".join(f"{u}:{p}\n" for u, p in LOGINS.items()))
    (root / "rights").write_text(RIGHTS)
    (root / "config").write_text(
        f"""\
# Written by scripts/demo_data.py. The address comes from scripts/demo (--server-hosts).
[auth]
type = htpasswd
htpasswd_filename = {htpasswd}
htpasswd_encryption = plain
[rights]
type = from_file
file = {root / "rights"}
[storage]
filesystem_folder = {root / "collections"}
[logging]
level = info
mask_passwords = True
"""
    )


def _dav(
    method: str,
    url: str,
    login: str,
    body: str | None = None,
    content_type: str = "application/xml; charset=utf-8",
) -> int:
    """Send one WebDAV request as `login`; return the status."""
    request = urllib.request.Request(  # noqa: S310 - a loopback URL from scripts/demo
        url,
        data=body.encode() if body is not None else None,
        method=method,
        headers={
            "Authorization": ha_config.basic_auth(login, LOGINS[login]),
            "Content-Type": content_type,
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return int(response.status)
    except urllib.error.HTTPError as err:
        return err.code


def _mkcalendar_body(calendar: Calendar) -> str:
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"'
        ' xmlns:A="http://apple.com/ns/ical/"><D:set><D:prop>'
        f"<D:displayname>{escape(calendar.name)}</D:displayname>"
        f"<A:calendar-color>{escape(calendar.color)}</A:calendar-color>"
        '<C:supported-calendar-component-set><C:comp name="VEVENT"/>'
        "</C:supported-calendar-component-set>"
        "</D:prop></D:set></C:mkcalendar>"
    )


def seed(caldav_url: str, today: str = "") -> None:
    """Create the demo's calendars (once) and (re)write their events."""
    base = caldav_url.rstrip("/")
    day = date.fromisoformat(today) if today else datetime.now(BERLIN).date()
    written = 0
    for calendar in calendars(day):
        url = base + calendar.path
        status = _dav("MKCALENDAR", url, calendar.login, _mkcalendar_body(calendar))
        if status not in (201, 405, 409):  # 405 or 409: it exists already
            sys.exit(f"demo_data: MKCALENDAR {calendar.path} answered {status}")
        for event in calendar.events:
            status = _dav(
                "PUT",
                f"{url}{event.uid}.ics",
                calendar.login,
                to_ics(event),
                "text/calendar; charset=utf-8",
            )
            if status not in (201, 204):
                sys.exit(f"demo_data: PUT {calendar.path}{event.uid}.ics: {status}")
            written += 1
    print(f"demo_data: {written} events written around {day} to {caldav_url}")


# ------------------------------------------------------- Home Assistant setup


def _calendar_value(options: Sequence[Mapping[str, str]], path: str) -> str:
    """Return the value of the select option that names the calendar at `path`."""
    for option in options:
        if urllib.parse.urlsplit(option["value"].split("|", 1)[-1]).path == path:
            return option["value"]
    sys.exit(f"demo_data: the member form does not offer {path}: {options}")


def _options(form: Mapping[str, Any], name: str) -> list[dict[str, str]]:
    for item in form.get("data_schema", []):
        if item["name"] == name:
            options: list[dict[str, str]] = item["selector"]["select"]["options"]
            return options
    sys.exit(f"demo_data: the member form has no field {name!r}: {form}")


def _add_member(url: str, token: str, entry_id: str, member: Member) -> None:
    """Add a member through the subentry flow, as the "Add member" dialog does."""
    flow_url = f"{url}/api/config/config_entries/subentries/flow"
    status, form = ha_config.request(
        flow_url, token=token, data={"handler": [entry_id, "member"]}
    )
    if status != 200 or form.get("type") != "form":
        sys.exit(f"demo_data: the member form did not open: {status} {form}")
    answer = {
        "name": member.name,
        "sources": [
            _calendar_value(
                _options(form, "sources"), f"/{GROUP_LOGIN}/{member.source}/"
            )
        ],
        "combined": _calendar_value(
            _options(form, "combined"), f"/{GROUP_LOGIN}/{member.combined}/"
        ),
        "sharing": {"color": member.color, **member.sharing},
        "filters": {},
        "schedule": {},
    }
    result = ha_config.answer_flow(flow_url, token, form, [answer])
    if result.get("type") != "create_entry":
        sys.exit(f"demo_data: adding {member.name} failed: {result}")
    print(f"demo_data: added member {member.name}")


def _add_room(url: str, token: str, entry_id: str) -> None:
    """Make the meeting room a room calendar through the options flow, as Configure does."""
    flow_url = f"{url}/api/config/config_entries/options/flow"
    status, form = ha_config.request(flow_url, token=token, data={"handler": entry_id})
    if status != 200 or form.get("type") != "form":
        sys.exit(f"demo_data: the options form did not open: {status} {form}")
    rooms = ha_config.answer_flow(flow_url, token, form, [{}])
    room = _calendar_value(_options(rooms, "rooms"), f"/{GROUP_LOGIN}/meeting-room/")
    result = ha_config.answer_flow(
        flow_url, token, rooms, [{"rooms": [room], "clear_rooms_after_sync": False}]
    )
    if result.get("type") != "create_entry":
        sys.exit(f"demo_data: making the meeting room a room failed: {result}")
    print("demo_data: the meeting room is a room calendar")


def _entity_ids(
    url: str, token: str, entry_id: str, subentries: Mapping[str, str]
) -> dict[tuple[str, str], str]:
    """Return the group's entity ids by (member name or "", translation key)."""
    (entities,) = ha_config.websocket(
        url, token, [{"type": "config/entity_registry/list"}]
    )
    found: dict[tuple[str, str], str] = {}
    for entity in entities:
        if entity["config_entry_id"] != entry_id:
            continue
        member = subentries.get(entity.get("config_subentry_id") or "", "")
        found[member, entity.get("translation_key") or ""] = entity["entity_id"]
    return found


def dashboard(entities: Mapping[tuple[str, str], str]) -> dict[str, Any]:
    """Return the dashboard: each member's combined calendar and status; the sync."""

    def entity(member: str, key: str) -> str:
        if (found := entities.get((member, key))) is None:
            sys.exit(f"demo_data: no {key} entity for {member or 'the group'}")
        return found

    sections: list[dict[str, Any]] = [
        {
            "type": "grid",
            "cards": [
                {
                    "type": "heading",
                    "heading": member,
                    "icon": "mdi:account",
                    "badges": [
                        {
                            "type": "entity",
                            "entity": entity(member, "busy"),
                            "show_state": True,
                            "show_icon": True,
                        }
                    ],
                },
                {
                    "type": "tile",
                    "entity": entity(member, "next_event_title"),
                    "name": "Next",
                    "grid_options": {"columns": "full"},
                },
                {
                    "type": "calendar",
                    "title": "Combined calendar",
                    "entities": [entity(member, "combined")],
                    "initial_view": "listWeek",
                    "grid_options": {"columns": "full", "rows": 8},
                },
            ],
        }
        for member in MEMBER_NAMES
    ]
    sections.append(
        {
            "type": "grid",
            "cards": [
                {"type": "heading", "heading": "Sync", "icon": "mdi:sync"},
                {
                    "type": "entities",
                    "entities": [
                        {"entity": entity("", key), "name": name}
                        # The sensors that are on by default; the developers'
                        # (last sync, copies, pending changes) are off.
                        for key, name in (
                            ("events_shared", "Events shared"),
                            ("sync_errors", "Sync errors"),
                            ("sync_now", "Sync now"),
                        )
                    ],
                },
            ],
        }
    )
    sections.append(
        {
            "type": "grid",
            "column_span": 2,
            "cards": [
                {
                    "type": "heading",
                    "heading": "Everyone",
                    "icon": "mdi:calendar-multiple",
                },
                {
                    "type": "calendar",
                    "entities": [entity("", "everyone")],
                    "initial_view": "listWeek",
                    "grid_options": {"columns": "full", "rows": 10},
                },
            ],
        }
    )
    return {
        "title": DASHBOARD_TITLE,
        "views": [
            {
                "title": GROUP_NAME,
                "path": "family",
                "icon": "mdi:calendar-multiple",
                "type": "sections",
                "max_columns": 3,
                "sections": sections,
            }
        ],
    }


def _make_dashboard(
    url: str, token: str, entities: Mapping[tuple[str, str], str]
) -> None:
    """Create the dashboard (as Settings > Dashboards does) and make it the default."""
    (dashboards,) = ha_config.websocket(
        url, token, [{"type": "lovelace/dashboards/list"}]
    )
    if any(item["url_path"] == DASHBOARD_URL for item in dashboards):
        print(f"demo_data: dashboard {DASHBOARD_URL} exists; left as it is")
        return
    ha_config.websocket(
        url,
        token,
        [
            {
                "type": "lovelace/dashboards/create",
                "url_path": DASHBOARD_URL,
                "title": DASHBOARD_TITLE,
                "icon": "mdi:calendar-multiple",
                "show_in_sidebar": True,
                "require_admin": False,
            },
            {
                "type": "lovelace/config/save",
                "url_path": DASHBOARD_URL,
                "config": dashboard(entities),
            },
            {
                "type": "frontend/set_system_data",
                "key": "core",
                "value": {"default_panel": DASHBOARD_URL},
            },
        ],
    )
    print(f"demo_data: dashboard {url}/{DASHBOARD_URL} made the default")


def setup(url: str, user: str, password: str, caldav_url: str) -> None:
    """Set up the Family group, its members and the dashboard; skip what exists."""
    token = ha_config.login(url, user, password)
    ha_config.wait_running(url, token)
    entries_url = f"{url}/api/config/config_entries/entry?domain={DOMAIN}"
    _, entries = ha_config.request(entries_url, token=token)
    entry = next((e for e in entries if e["title"] == GROUP_NAME), None)
    if entry is None:
        # Onboarding's location step was skipped: the family lives in Berlin.
        ha_config.websocket(
            url,
            token,
            [
                {
                    "type": "config/core/update",
                    "location_name": "Shared Calendars demo",
                    "time_zone": HOME_TZ,
                    "country": "DE",
                    "currency": "EUR",
                    "unit_system": "metric",
                    "latitude": 52.52,
                    "longitude": 13.405,
                }
            ],
        )
        _ignore_install_method_issue(url, token)
        entry_id = ha_config.create_group(
            url,
            token,
            DOMAIN,
            GROUP_NAME,
            caldav_url,
            username=GROUP_LOGIN,
            password=LOGINS[GROUP_LOGIN],
        )
    else:
        entry_id = entry["entry_id"]
    subentries = _members(url, token, entry_id)
    # Each change reloads the group; a change made while it is still setting up
    # cancels that setup (an error in the log), so wait as the UI's user would.
    for member in FAMILY:
        if member.name not in subentries.values():
            _wait_loaded(url, token, entry_id)
            _add_member(url, token, entry_id, member)
    _wait_loaded(url, token, entry_id)
    demo_local.setup(url, token, entry_id, subentries)
    subentries = _members(url, token, entry_id)
    if not _has_rooms(url, token, entry_id):
        _wait_loaded(url, token, entry_id)
        _add_room(url, token, entry_id)
    # The action the Sync now button runs, with its report as the response. The
    # group reloads after each member added; until it is back, the action fails.
    deadline = clock.monotonic() + 60
    while True:
        _wait_loaded(url, token, entry_id)
        status, report = ha_config.request(
            f"{url}/api/services/{DOMAIN}/resync?return_response",
            token=token,
            data={"config_entry_id": entry_id},
        )
        if status == 200:
            break
        if clock.monotonic() > deadline:
            sys.exit(f"demo_data: the first sync failed: {status} {report}")
        clock.sleep(1)
    print(f"demo_data: synced: {json.dumps(report.get('service_response'))}")
    entities = _entity_ids(url, token, entry_id, subentries)
    _make_dashboard(url, token, entities)
    _summary(url, token, entities)


def _wait_loaded(url: str, token: str, entry_id: str) -> None:
    """Wait until the group has (re)loaded; fail if it did not load."""
    state = ha_config.wait_loaded(url, token, DOMAIN, entry_id)
    if state != "loaded":
        sys.exit(f"demo_data: the group {GROUP_NAME} is {state}; see the log")


def _ignore_install_method_issue(url: str, token: str) -> None:
    """Ignore the repair a core install (this one) gets about its installation method.

    It says nothing about the demo; the UI's repair dialog offers the same.
    """
    (issues,) = ha_config.websocket(url, token, [{"type": "repairs/list_issues"}])
    for issue in issues["issues"]:
        if (
            issue["domain"] == "homeassistant"
            and issue["issue_id"] == "deprecated_method"
        ):
            ha_config.websocket(
                url,
                token,
                [
                    {
                        "type": "repairs/ignore_issue",
                        "domain": "homeassistant",
                        "issue_id": "deprecated_method",
                        "ignore": True,
                    }
                ],
            )


def _has_rooms(url: str, token: str, entry_id: str) -> bool:
    """Return whether the group has a room calendar entity: the room is made once."""
    (entities,) = ha_config.websocket(
        url, token, [{"type": "config/entity_registry/list"}]
    )
    return any(
        entity.get("unique_id", "").startswith(f"{entry_id}_room_")
        for entity in entities
    )


def _members(url: str, token: str, entry_id: str) -> dict[str, str]:
    """Return the group's members: subentry id -> name."""
    (subentries,) = ha_config.websocket(
        url, token, [{"type": "config_entries/subentries/list", "entry_id": entry_id}]
    )
    return {
        item["subentry_id"]: item["title"]
        for item in subentries
        if item["subentry_type"] == "member"
    }


def _summary(url: str, token: str, entities: Mapping[tuple[str, str], str]) -> None:
    """Print how many events each combined calendar shows in the next four weeks."""
    start = datetime.now(UTC)
    end = start + timedelta(weeks=4)
    query = urllib.parse.urlencode({"start": start.isoformat(), "end": end.isoformat()})
    for member in MEMBER_NAMES:
        entity_id = entities[member, "combined"]
        status, events = ha_config.request(
            f"{url}/api/calendars/{entity_id}?{query}", token=token
        )
        if status != 200:
            sys.exit(f"demo_data: reading {entity_id} failed: {status} {events}")
        titles = sorted({event["summary"] for event in events})
        print(f"demo_data: {entity_id}: {len(events)} events ahead, e.g. {titles[:3]}")


def _main(argv: Iterable[str]) -> None:
    args = list(argv)
    commands: dict[str, Callable[..., None]] = {
        "radicale-config": radicale_config,
        "seed": seed,
        "setup": setup,
    }
    if not args or args[0] not in commands:
        sys.exit(__doc__)
    commands[args[0]](*args[1:])


if __name__ == "__main__":
    _main(sys.argv[1:])
