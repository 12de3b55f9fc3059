"""The calendar files of issue 10 and how Google holds the same cases.

Each case is one file in `tests/fixtures/ical/`, written the way the client named
in its `X-TEST-NOTE` (on VCALENDAR) writes it, with the RFC 5545 section it
exercises. Everything happens in 2027, inside the sync window.

A case may also give:
- `google`: the same calendar as Google itself holds it (a series with its
  `recurrence` lines, changed or cancelled instances as their own items,
  RANGE=THISANDFUTURE as Google's split into two series), or `google_skip`
  saying why Google cannot hold it at all;
- `expected`: its occurrences written out, so that a wrong reading by the
  expander would be noticed;
- `library_reads`: how `recurring_ical_events` reads the file, when that is not
  what issue 10 asks for (`expected` is then the reference for the copies).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
import hashlib
from pathlib import Path
from typing import Any

from icalendar import Calendar

from .exact_reading import BERLIN, Occurrence

FIXTURES = Path(__file__).parent.parent / "fixtures" / "ical"
ZONE = "Europe/Berlin"


def timed(start: str, end: str, title: str) -> Occurrence:
    """Return an occurrence from two Berlin times of 2027, `MM-DD HH:MM`."""

    def moment(text: str) -> datetime:
        local = datetime.strptime(f"2027-{text}", "%Y-%m-%d %H:%M")
        return local.replace(tzinfo=BERLIN).astimezone(UTC)

    return Occurrence(moment(start), moment(end), title)


def all_day(start: str, end: str, title: str) -> Occurrence:
    """Return an all-day occurrence from two dates of 2027, `MM-DD` (end exclusive)."""
    return Occurrence(
        date.fromisoformat(f"2027-{start}"), date.fromisoformat(f"2027-{end}"), title
    )


def in_utc(days: str, hours: str, title: str) -> tuple[Occurrence, ...]:
    """Return occurrences on `MM-DD MM-DD ...` of 2027 at UTC `HH:MM-HH:MM`."""
    start, end = hours.split("-")

    def moment(day: str, clock: str) -> datetime:
        return datetime.strptime(f"2027-{day} {clock}", "%Y-%m-%d %H:%M").replace(
            tzinfo=UTC
        )

    return tuple(
        Occurrence(moment(day, start), moment(day, end), title) for day in days.split()
    )


def weekly(days: str, hours: str, title: str) -> tuple[Occurrence, ...]:
    """Return timed occurrences on `MM-DD MM-DD ...` at `HH:MM-HH:MM`."""
    start, end = hours.split("-")
    return tuple(timed(f"{day} {start}", f"{day} {end}", title) for day in days.split())


# ---------------------------------------------------------------------------
# Google's form
# ---------------------------------------------------------------------------


def google_id(key: str) -> str:
    """Return an event id Google accepts (base32hex letters), derived from a key."""
    return hashlib.sha256(key.encode()).hexdigest()[:26]


def at(local: str) -> dict[str, str]:
    """Return a Google `start`/`end` at a Berlin time, `YYYY-MM-DDTHH:MM`."""
    return {"dateTime": f"{local}:00", "timeZone": ZONE}


def on(day: str) -> dict[str, str]:
    """Return a Google all-day `start`/`end`."""
    return {"date": day}


@dataclass(frozen=True, kw_only=True)
class GoogleEvent:
    """An event or series, inserted as its owner would."""

    key: str
    body: dict[str, Any]

    @property
    def id(self) -> str:
        """Return the event's id."""
        return google_id(self.key)


@dataclass(frozen=True, kw_only=True)
class GoogleInstance:
    """A changed (or, without `body`, cancelled) instance of a series."""

    series: str
    """The series' key."""
    original: date | datetime
    body: dict[str, Any] | None = None

    @property
    def id(self) -> str:
        """Return the instance id Google derives from the series' own start."""
        if isinstance(self.original, datetime):
            suffix = self.original.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        else:
            suffix = self.original.strftime("%Y%m%d")
        return f"{google_id(self.series)}_{suffix}"


type GoogleItem = GoogleEvent | GoogleInstance


def event(
    key: str, uid: str, summary: str, start: Any, end: Any, *recurrence: str
) -> GoogleEvent:
    """Return an event (a series when `recurrence` lines are given)."""
    body: dict[str, Any] = {
        "id": google_id(key),
        "iCalUID": uid,
        "summary": summary,
        "start": start,
        "end": end,
    }
    if recurrence:
        body["recurrence"] = list(recurrence)
    return GoogleEvent(key=key, body=body)


def local(text: str) -> datetime:
    """Return a Berlin time of 2027, `MM-DD HH:MM`."""
    return datetime.strptime(f"2027-{text}", "%Y-%m-%d %H:%M").replace(tzinfo=BERLIN)


# ---------------------------------------------------------------------------
# the cases
# ---------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Case:
    """One calendar file of the issue and how it is held elsewhere."""

    name: str
    """The file's name without `.ics`."""
    google: tuple[GoogleItem, ...] = ()
    google_skip: str = ""
    expected: tuple[Occurrence, ...] | None = None
    library_reads: tuple[Occurrence, ...] | None = None
    radicale_refuses: str = ""
    """What Radicale logs when it refuses the file. A placeholder is stored then,
    and the test proxy serves the file in its place, as a server would that
    keeps it (iCloud, Google's CalDAV and SabreDAV/Nextcloud store such objects)."""

    @property
    def text(self) -> str:
        """Return the calendar file, byte for byte (line ends included)."""
        return (FIXTURES / f"{self.name}.ics").read_bytes().decode()

    @property
    def note(self) -> str:
        """Return the file's X-TEST-NOTE."""
        return str(Calendar.from_ical(self.text).get("X-TEST-NOTE", ""))


def _uid(name: str) -> str:
    """Return the UID of a fixture's first VEVENT (Google keeps it on import)."""
    calendar = Calendar.from_ical((FIXTURES / f"{name}.ics").read_bytes())
    return str(next(iter(calendar.walk("VEVENT")))["UID"])


# The invented zone's club evenings, 19:00-20:30 there: UTC+1, and UTC+2 from the
# second Sunday of April (11 April 2027) to the first of October (3 October).
CLUB = (
    *in_utc("03-04 03-11 03-18 03-25 04-01 04-08", "18:00-19:30", "Club evening"),
    *in_utc(
        "04-15 04-22 04-29 05-06 05-20 05-27 06-03 06-10 06-17 06-24 07-01 07-08"
        " 07-15 07-22 07-29 08-05 08-12 08-19 08-26 09-02 09-09 09-16 09-23 09-30",
        "17:00-18:30",
        "Club evening",
    ),
    *in_utc("10-07", "18:00-19:30", "Club evening"),
    *in_utc("10-14", "19:00-20:30", "Club evening (regatta prize-giving)"),
    *in_utc("10-21 10-28 11-04 11-11 11-18", "18:00-19:30", "Club evening"),
)


def utc(moment: date | datetime) -> dict[str, str]:
    """Return a Google `start`/`end` in UTC."""
    assert isinstance(moment, datetime)
    return {"dateTime": moment.strftime("%Y-%m-%dT%H:%M:%SZ"), "timeZone": "UTC"}


def _club_on_google() -> tuple[GoogleItem, ...]:
    """Return the club evenings as Google holds them: each at its instant."""
    series = [o for o in CLUB if o.title == "Club evening"]
    moved = next(o for o in CLUB if o.title != "Club evening")
    original = datetime(2027, 10, 14, 18, tzinfo=UTC)  # 19:00 there, as the others
    starts = sorted([o.start for o in series[1:]] + [original])
    return (
        event(
            "club",
            _uid("handmade_invented_zone"),
            "Club evening",
            utc(series[0].start),
            utc(series[0].end),
            *(f"RDATE:{start:%Y%m%dT%H%M%SZ}" for start in starts),
        ),
        GoogleInstance(
            series="club",
            original=original,
            body={
                "summary": moved.title,
                "start": utc(moved.start),
                "end": utc(moved.end),
            },
        ),
    )


CHOIR = "nextcloud_weekly"
STANDUP = "apple_thisandfuture"
SWIM = "apple_thisandfuture_count"
STALE = weekly("09-02 09-09 09-16 09-23 09-30", "16:00-17:00", "Parent meeting")
CAMP = (
    *weekly("07-05 07-06", "09:00-12:00", "Holiday camp"),
    timed("07-07 13:00", "07-07 16:00", "Holiday camp (afternoon)"),
    *weekly("07-08 07-09", "09:00-12:00", "Holiday camp"),
)

CASES: tuple[Case, ...] = (
    Case(
        name=CHOIR,
        google=(
            event(
                CHOIR,
                _uid(CHOIR),
                "Choir",
                at("2027-02-02T18:00"),
                at("2027-02-02T19:30"),
                "RRULE:FREQ=WEEKLY;BYDAY=TU;COUNT=10",
            ),
            # Google never writes EXDATE itself: a deleted instance is a cancelled item.
            GoogleInstance(series=CHOIR, original=local("02-16 18:00")),
            GoogleInstance(
                series=CHOIR,
                original=local("03-02 18:00"),
                body={
                    "summary": "Choir (dress rehearsal)",
                    "start": at("2027-03-02T19:00"),
                    "end": at("2027-03-02T20:30"),
                },
            ),
        ),
    ),
    Case(
        name="nextcloud_birthday",
        google=(
            event(
                "birthday",
                _uid("nextcloud_birthday"),
                "🎂 Lena Weber (1990)",
                on("1990-04-12"),
                on("1990-04-13"),
                "RRULE:FREQ=YEARLY",
            ),
        ),
        expected=(all_day("04-12", "04-13", "🎂 Lena Weber (1990)"),),
    ),
    Case(
        name=STANDUP,
        google=(
            # Google's "this and following events": the series ends before the
            # changed occurrence and a second series, with a UID of its own, goes on.
            event(
                STANDUP,
                _uid(STANDUP),
                "Team standup",
                at("2027-01-04T08:00"),
                at("2027-01-04T09:00"),
                "RRULE:FREQ=WEEKLY;UNTIL=20270131T225959Z",
            ),
            event(
                f"{STANDUP}/R",
                f"{google_id(STANDUP)}_R20270201T070000@google.com",
                "Team standup (new time)",
                at("2027-02-01T09:30"),
                at("2027-02-01T10:30"),
                "RRULE:FREQ=WEEKLY",
            ),
        ),
    ),
    Case(
        name=SWIM,
        google=(
            event(
                SWIM,
                _uid(SWIM),
                "Swimming",
                at("2027-03-03T17:00"),
                at("2027-03-03T18:00"),
                "RRULE:FREQ=WEEKLY;COUNT=3",
            ),
            event(
                f"{SWIM}/R",
                f"{google_id(SWIM)}_R20270324T160000@google.com",
                "Swimming (pool B)",
                at("2027-03-24T16:00"),
                at("2027-03-24T17:00"),
                "RRULE:FREQ=WEEKLY;COUNT=5",
            ),
        ),
        expected=(
            *weekly("03-03 03-10 03-17", "17:00-18:00", "Swimming"),
            *weekly(
                "03-24 03-31 04-07 04-14 04-21", "16:00-17:00", "Swimming (pool B)"
            ),
        ),
    ),
    Case(
        name="thunderbird_two_rrules",
        google=(
            # Google's `recurrence` takes several RRULE lines, as RFC 2445 did.
            event(
                "physio",
                _uid("thunderbird_two_rrules"),
                "Physio",
                at("2027-05-03T07:30"),
                at("2027-05-03T08:15"),
                "RRULE:FREQ=WEEKLY;COUNT=4;BYDAY=MO",
                "RRULE:FREQ=WEEKLY;COUNT=4;BYDAY=TH",
            ),
        ),
        expected=weekly(
            "05-03 05-06 05-10 05-13 05-17 05-20 05-24 05-27", "07:30-08:15", "Physio"
        ),
    ),
    Case(
        name="outlook_resent_master",
        radicale_refuses="Multiple main components",
        google=(
            # Google holds one version of an event: the newest.
            event(
                "budget",
                _uid("outlook_resent_master"),
                "Budget review (moved)",
                at("2027-06-15T14:00"),
                at("2027-06-15T15:00"),
            ),
        ),
        expected=(timed("06-15 14:00", "06-15 15:00", "Budget review (moved)"),),
    ),
    Case(
        name="outlook_stale_override",
        google=(
            event(
                "parents",
                _uid("outlook_stale_override"),
                "Parent meeting",
                at("2027-09-02T16:00"),
                at("2027-09-02T17:00"),
                "RRULE:FREQ=WEEKLY;COUNT=5;BYDAY=TH",
            ),
        ),
        expected=STALE,
        # recurring_ical_events applies an override whatever its SEQUENCE.
        library_reads=(
            *STALE[:2],
            timed("09-16 17:00", "09-16 18:00", "Parent meeting (room 12)"),
            *STALE[3:],
        ),
    ),
    Case(
        name="thunderbird_override_exdated",
        google=(
            # Google has no EXDATE next to a changed instance: it is a moved instance.
            event(
                "camp",
                _uid("thunderbird_override_exdated"),
                "Holiday camp",
                at("2027-07-05T09:00"),
                at("2027-07-05T12:00"),
                "RRULE:FREQ=DAILY;COUNT=5",
            ),
            GoogleInstance(
                series="camp",
                original=local("07-07 09:00"),
                body={
                    "summary": "Holiday camp (afternoon)",
                    "start": at("2027-07-07T13:00"),
                    "end": at("2027-07-07T16:00"),
                },
            ),
        ),
        expected=CAMP,
        # recurring_ical_events drops an override whose RECURRENCE-ID is EXDATE'd.
        library_reads=(*CAMP[:2], *CAMP[3:]),
    ),
    Case(
        name="thunderbird_override_past_until",
        google=(
            event(
                "chess",
                _uid("thunderbird_override_past_until"),
                "Chess club",
                at("2027-10-01T15:00"),
                at("2027-10-01T16:30"),
                "RRULE:FREQ=WEEKLY;UNTIL=20271015T130000Z",
            ),
            # Google has no instance outside its series: the occurrence is an event.
            event(
                "chess/extra",
                "chess-tournament-20271022@example.org",
                "Chess club (tournament)",
                at("2027-10-22T14:00"),
                at("2027-10-22T18:00"),
            ),
        ),
        expected=(
            *weekly("10-01 10-08 10-15", "15:00-16:30", "Chess club"),
            timed("10-22 14:00", "10-22 18:00", "Chess club (tournament)"),
        ),
    ),
    Case(
        name="exchange_allday_datetime_recurrence_id",
        google=(
            event(
                "bins",
                _uid("exchange_allday_datetime_recurrence_id"),
                "Bin collection",
                on("2027-03-01"),
                on("2027-03-02"),
                "RRULE:FREQ=WEEKLY;COUNT=6;BYDAY=MO",
            ),
            GoogleInstance(
                series="bins",
                original=date(2027, 3, 15),
                body={
                    "summary": "Bin collection (moved: holiday)",
                    "start": on("2027-03-16"),
                    "end": on("2027-03-17"),
                },
            ),
        ),
        expected=(
            all_day("03-01", "03-02", "Bin collection"),
            all_day("03-08", "03-09", "Bin collection"),
            all_day("03-16", "03-17", "Bin collection (moved: holiday)"),
            all_day("03-22", "03-23", "Bin collection"),
            all_day("03-29", "03-30", "Bin collection"),
            all_day("04-05", "04-06", "Bin collection"),
        ),
    ),
    Case(
        name="google_utc_recurrence_id",
        google=(
            event(
                "piano",
                _uid("google_utc_recurrence_id"),
                "Piano lesson",
                at("2027-04-07T10:00"),
                at("2027-04-07T10:45"),
                "RRULE:FREQ=WEEKLY;COUNT=4;BYDAY=WE",
            ),
            GoogleInstance(
                series="piano",
                original=local("04-14 10:00"),
                body={
                    "summary": "Piano lesson (later)",
                    "start": at("2027-04-14T11:00"),
                    "end": at("2027-04-14T11:45"),
                },
            ),
        ),
        expected=(
            timed("04-07 10:00", "04-07 10:45", "Piano lesson"),
            timed("04-14 11:00", "04-14 11:45", "Piano lesson (later)"),
            *weekly("04-21 04-28", "10:00-10:45", "Piano lesson"),
        ),
    ),
    Case(
        name="outlook_allday_until_utc",
        google=(
            event(
                "sports",
                _uid("outlook_allday_until_utc"),
                "Sports week",
                on("2027-04-02"),
                on("2027-04-03"),
                "RRULE:FREQ=WEEKLY;UNTIL=20270430T220000Z;BYDAY=FR",
            ),
        ),
        expected=(
            all_day("04-02", "04-03", "Sports week"),
            all_day("04-09", "04-10", "Sports week"),
            all_day("04-16", "04-17", "Sports week"),
            all_day("04-23", "04-24", "Sports week"),
            all_day("04-30", "05-01", "Sports week"),
        ),
    ),
    Case(
        name="apple_rdate_period",
        radicale_refuses="PERIOD not supported by used vobject",
        google=(
            # Google's RDATE has no period: the extra date's own end is a changed instance.
            event(
                "football",
                _uid("apple_rdate_period"),
                "Football training",
                at("2027-06-05T10:00"),
                at("2027-06-05T11:00"),
                "RRULE:FREQ=WEEKLY;COUNT=3",
                "RDATE;TZID=Europe/Berlin:20270609T170000",
            ),
            GoogleInstance(
                series="football",
                original=local("06-09 17:00"),
                body={
                    "summary": "Football training",
                    "start": at("2027-06-09T17:00"),
                    "end": at("2027-06-09T19:00"),
                },
            ),
        ),
        expected=(
            timed("06-05 10:00", "06-05 11:00", "Football training"),
            timed("06-09 17:00", "06-09 19:00", "Football training"),
            *weekly("06-12 06-19", "10:00-11:00", "Football training"),
        ),
    ),
    Case(
        name="broken_end_before_start",
        google_skip="Google refuses an end before the start (timeRangeEmpty).",
        expected=(timed("05-12 14:00", "05-12 15:00", "Parents' evening 4b"),),
    ),
    Case(
        name="broken_date_start_datetime_end",
        radicale_refuses="unsupported operand type(s) for -",
        google_skip="Google refuses a date start with a dateTime end.",
        expected=(timed("05-20 00:00", "05-21 12:00", "Hotel Seeblick"),),
    ),
    Case(
        name="broken_date_start_duration",
        google_skip="Google has no DURATION; held as dates it is a plain two-day event.",
        expected=(all_day("06-10", "06-12", "Bike rental"),),
    ),
    Case(
        name="thunderbird_mixed_floating_utc",
        google_skip="Google has no floating times.",
        expected=(timed("06-12 10:00", "06-12 12:00", "Flea market stand"),),
    ),
    Case(
        name="holiday_feed_zero_length",
        google_skip="Google refuses a zero-length all-day event (timeRangeEmpty).",
        expected=(all_day("10-03", "10-03", "Tag der Deutschen Einheit"),),
    ),
    Case(
        name="apple_override_only",
        radicale_refuses="Main component missing",
        google_skip=(
            "Google lists an invitation to single instances as instances"
            " (recurringEventId) of a series the calendar does not show; the fake"
            " API cannot hold an instance without its series."
        ),
        expected=(
            timed("09-08 14:00", "09-08 15:00", "Project sync"),
            timed("09-22 15:00", "09-22 16:00", "Project sync (moved)"),
        ),
    ),
    Case(
        name="google_two_uids",
        radicale_refuses="Multiple VEVENT components with different UIDs in object",
        google=(
            event(
                "car",
                "1a2b3c4d5e6f7g8h9i0j1k2l3m@google.com",
                "Car service",
                at("2027-07-05T09:00"),
                at("2027-07-05T10:00"),
            ),
            event(
                "tennis",
                "9p8o7n6m5l4k3j2i1h0g9f8e7d@google.com",
                "Tennis",
                at("2027-07-06T18:00"),
                at("2027-07-06T19:30"),
            ),
        ),
        expected=(
            timed("07-05 09:00", "07-05 10:00", "Car service"),
            timed("07-06 18:00", "07-06 19:30", "Tennis"),
        ),
    ),
    Case(
        name="outlook_w_europe_dst",
        google=(
            event(
                "jourfixe",
                _uid("outlook_w_europe_dst"),
                "Jour fixe",
                at("2027-03-16T09:00"),
                at("2027-03-16T10:00"),
                "RRULE:FREQ=WEEKLY;COUNT=4;BYDAY=TU",
            ),
        ),
        expected=weekly("03-16 03-23 03-30 04-06", "09:00-10:00", "Jour fixe"),
    ),
    Case(
        name="outlook_custom_zone_dst",
        google=(
            # Google knows IANA zones only; the custom zone follows Berlin's rules.
            event(
                "bookclub",
                _uid("outlook_custom_zone_dst"),
                "Book club",
                at("2027-10-14T19:00"),
                at("2027-10-14T20:30"),
                "RRULE:FREQ=WEEKLY;COUNT=4;BYDAY=TH",
            ),
        ),
        expected=weekly("10-14 10-21 10-28 11-04", "19:00-20:30", "Book club"),
    ),
    Case(
        name="handmade_invented_zone",
        # Google knows IANA zones only: the series is its list of instants there.
        google=_club_on_google(),
        expected=CLUB,
    ),
)
