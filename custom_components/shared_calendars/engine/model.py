"""The neutral data model every provider converts to and from.

Nothing here knows Google or CalDAV. An `Event` is one calendar item as a person
sees it: a single event, or a recurring series together with its modified and
cancelled occurrences (Google keeps those as separate items, CalDAV inside one
resource; providers fold both into `overrides`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

type DateOrDateTime = date | datetime

PART_SEPARATOR = "/"
"""Joins a resource name and a part in the id of one of several events of one
resource (see `ChangeSet`). A resource name is one path segment: it holds no `/`."""


def resource_of(event_id: str) -> str:
    """Return the name of the resource an event id was read from."""
    return event_id.partition(PART_SEPARATOR)[0]


class EventStatus(StrEnum):
    """Whether an event takes place (RFC 5545 STATUS, Google `status`)."""

    CONFIRMED = "confirmed"
    TENTATIVE = "tentative"
    CANCELLED = "cancelled"


class Transparency(StrEnum):
    """Whether an event makes its owner busy (RFC 5545 TRANSP, Google `transparency`)."""

    OPAQUE = "opaque"
    TRANSPARENT = "transparent"


class EventColor(StrEnum):
    """The colours both kinds of calendar can carry per event.

    Google offers exactly these eleven event colours (colorId 1..11, named as in
    Google Calendar); CalDAV stores a CSS colour name, which providers map to the
    nearest of them.
    """

    LAVENDER = "lavender"
    SAGE = "sage"
    GRAPE = "grape"
    FLAMINGO = "flamingo"
    BANANA = "banana"
    TANGERINE = "tangerine"
    PEACOCK = "peacock"
    GRAPHITE = "graphite"
    BLUEBERRY = "blueberry"
    BASIL = "basil"
    TOMATO = "tomato"


@dataclass(frozen=True, kw_only=True, slots=True)
class CopyMarker:
    """What marks an event as a copy made by this integration."""

    source: str
    """The ledger key of the source event this is a copy of."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Event:
    """One event, or one recurring series with its exceptions."""

    id: str
    """The provider's id: Google's event id, or the CalDAV resource name."""
    ical_uid: str
    """The iCalendar UID, shared by every copy of an invitation across calendars."""
    summary: str = ""
    description: str = ""
    location: str = ""
    start: DateOrDateTime
    """A `date` for all-day events, otherwise an aware `datetime`."""
    end: DateOrDateTime
    """Exclusive: an all-day event on 1 May ends on 2 May."""
    rrule: str | None = None
    """The recurrence rule without its `RRULE:` prefix, e.g. `FREQ=WEEKLY;BYDAY=MO`."""
    extra_rrules: tuple[str, ...] = ()
    """Further rules of a series that has several (deprecated by RFC 5545, still
    exported): its occurrences are the union of all rules. Set only with `rrule`."""
    rdate: tuple[DateOrDateTime, ...] = ()
    exdate: tuple[DateOrDateTime, ...] = ()
    recurrence_id: DateOrDateTime | None = None
    """Set on an occurrence that overrides one instance of a series."""
    overrides: tuple[Event, ...] = ()
    """Modified or cancelled occurrences of this series."""
    status: EventStatus = EventStatus.CONFIRMED
    sequence: int = 0
    """The revision (RFC 5545 SEQUENCE, Google `sequence`); copies carry it so that
    a client never takes a stale version for the newer one. Not part of a copy's
    fingerprint: servers raise it on their own."""
    transparency: Transparency = Transparency.OPAQUE
    color: EventColor | None = None
    organizer: str | None = None
    """The organiser's e-mail address, when the calendar gives one."""
    updated: datetime | None = None
    """When the provider last saw a change; informative only, never compared."""
    created: datetime | None = None
    """When the event was first written (RFC 5545 CREATED, Google `created`): of
    two bookings of a room, the one created first keeps it."""
    copy_of: CopyMarker | None = None
    """Set when this event is a copy this integration manages."""

    @property
    def all_day(self) -> bool:
        """Return whether the event spans whole days."""
        return not isinstance(self.start, datetime)

    @property
    def recurring(self) -> bool:
        """Return whether the event is a series."""
        return self.rrule is not None or bool(self.rdate)

    @property
    def rrules(self) -> tuple[str, ...]:
        """Return every recurrence rule of the series, the first one first."""
        return (self.rrule, *self.extra_rrules) if self.rrule else ()


@dataclass(frozen=True, kw_only=True, slots=True)
class CalendarInfo:
    """A calendar as an account sees it."""

    id: str
    """Google's calendar id, or the CalDAV collection URL."""
    name: str
    writable: bool
    """Whether the account may change events in it."""
    color: str | None = None
    """The calendar's own colour as `#rrggbb`, when it has one."""
    timezone: str | None = None


class SkipReason(StrEnum):
    """Why an event a calendar holds could not be read."""

    MISSING_TIME = "missing_time"
    """It has no start or no end."""
    INVALID_TIME = "invalid_time"
    """A start, end or recurrence date that is no valid date or time, or a start
    and an end of different kinds."""
    INVALID_VALUE = "invalid_value"
    """A field of the wrong type, or a status or transparency no calendar knows."""
    INVALID_RECURRENCE = "invalid_recurrence"
    """Recurrence rules or dates that cannot be expanded."""
    UNREADABLE = "unreadable"
    """Not an event at all (not iCalendar, no id, not a JSON object)."""

    @classmethod
    def _missing_(cls, value: object) -> SkipReason:
        """Read a reason this version does not know (stored by another) as unreadable."""
        return cls.UNREADABLE


@dataclass(frozen=True, kw_only=True, slots=True)
class SkippedEvent:
    """An event a calendar holds that could not be read: left out, and reported."""

    id: str
    """The provider's id (the resource name on CalDAV), "" when even that is missing.
    A series whose override could not be read is named by the series' id."""
    title: str = ""
    """Its title, when that much could be read."""
    reason: SkipReason


@dataclass(frozen=True, kw_only=True, slots=True)
class ChangeSet:
    """What changed in one calendar since a cursor.

    An event id `name/part` is one of several events read from the resource `name`
    (a CalDAV object holding two UIDs, or a series split where a change applies to
    "this and future" occurrences): a changed or deleted resource replaces all of
    its parts, so parts it no longer holds count as deleted.
    """

    changed: tuple[Event, ...]
    """New or changed events, each complete (a series with all its overrides)."""
    deleted: tuple[str, ...]
    """Ids of events that no longer exist."""
    cursor: str
    """Pass it back next time to get only what changed after this."""
    complete: bool = False
    """True when `changed` lists every event of the calendar (a first or a renewed
    listing): whatever is known but absent from it was deleted."""
    skipped: tuple[SkippedEvent, ...] = ()
    """Events that changed but could not be read. Neither changed nor deleted: what
    was known of them stays as it was, even after a complete listing."""
    own_writes: int = 0
    """Changes left out as the integration's own writes, recognised as still holding
    what it wrote: the cursor moved over them, so it is worth keeping."""
    requests: int = field(default=0, compare=False)
    """How many HTTP requests the provider made to build this."""


@dataclass(frozen=True, kw_only=True, slots=True)
class CalendarRef:
    """One calendar of one account of the group."""

    account: str
    """The group's id for the account that reaches the calendar."""
    calendar_id: str

    @property
    def key(self) -> str:
        """Return the calendar's key in the ledger."""
        return f"{self.account}|{self.calendar_id}"


class Privacy(StrEnum):
    """How much of a member's events the others see."""

    FULL = "full"
    BUSY_ONLY = "busy_only"
    """Copies say "Busy" and carry no description or location."""


@dataclass(frozen=True, kw_only=True, slots=True)
class MemberPolicy:
    """What a member shares with the others, and how."""

    receive_own: bool = False
    """Whether the member's own events also appear in their combined calendar."""
    privacy: Privacy = Privacy.FULL
    title_prefix: str = ""
    """Put before the title of every copy of the member's events, e.g. "Anna: "."""
    color: EventColor | None = None
    """The colour of the copies of the member's events; None keeps the event's own."""
    skip_all_day: bool = False
    skip_free: bool = False
    """Do not share events that leave the member free (transparent)."""
    skip_tentative: bool = False
    include_keywords: tuple[str, ...] = ()
    """When set, share only events whose title contains one of these (any case)."""
    exclude_keywords: tuple[str, ...] = ()
    """Never share events whose title contains one of these (any case)."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Member:
    """A person of the group."""

    id: str
    name: str
    sources: tuple[CalendarRef, ...] = ()
    combined: CalendarRef | None = None
    policy: MemberPolicy = field(default_factory=MemberPolicy)


@dataclass(frozen=True, kw_only=True, slots=True)
class SyncWindow:
    """The span of time whose events are copied."""

    start: datetime
    end: datetime
