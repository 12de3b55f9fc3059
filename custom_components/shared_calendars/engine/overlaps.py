"""Which bookings of a room calendar go: cancelled ones, and the losers of overlaps.

A room is booked by putting an event in its calendar; two bookings that overlap
cannot both have it. The rules, decided here before anything is written (so that
a dry run reports exactly what a real run does):

- a cancelled booking is deleted;
- of two overlapping bookings the one created first keeps the room;
- a prioritised booking beats one that is not, whatever their ages; two
  prioritised bookings that overlap both stay, and are reported as ignored;
- a recurring booking loses only the occurrence that overlaps, never its series.

Free (transparent) bookings leave the room free, as they leave a member free,
and take no part. Pure: no I/O, no Home Assistant.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, tzinfo

from .content import instant
from .model import DateOrDateTime, Event, EventStatus, Transparency
from .occurrences import Occurrence, occurrences

LATEST = datetime.max
"""The age given to a booking whose calendar does not say when it was created:
it cannot prove it came first, so it ranks after every dated one."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Priority:
    """What makes a booking prioritised."""

    marker: str = ""
    """Text that, in the title or the description (any case), prioritises it."""
    organizers: tuple[str, ...] = ()
    """Organisers (e-mail addresses, any case) whose bookings are prioritised."""

    def of(self, event: Event) -> bool:
        """Return whether the event is prioritised."""
        marker = self.marker.strip().casefold()
        if marker and (
            marker in event.summary.casefold() or marker in event.description.casefold()
        ):
            return True
        organizer = (event.organizer or "").casefold()
        return bool(organizer) and organizer in {
            address.strip().casefold() for address in self.organizers
        }


@dataclass(frozen=True, kw_only=True, slots=True)
class Booking:
    """One occurrence of an event in a room: a single event, or one of a series."""

    event: Event
    """The event as its calendar holds it: the single event, or the whole series."""
    shown: Event
    """What this occurrence shows: the event, the series, or its override."""
    start: DateOrDateTime
    end: DateOrDateTime
    recurrence_id: DateOrDateTime | None
    """Which occurrence of the series this is; None for a single event."""
    prioritised: bool

    @property
    def uid(self) -> str:
        """Return the booking's iCalendar UID."""
        return self.event.ical_uid

    @property
    def name(self) -> str:
        """Return the booking's title."""
        return self.shown.summary

    @property
    def created(self) -> datetime | None:
        """Return when the booking was made (an occurrence: when its series was)."""
        return self.shown.created or self.event.created

    @property
    def organizer(self) -> str | None:
        """Return the organiser's address."""
        return self.shown.organizer or self.event.organizer

    @property
    def recurring(self) -> bool:
        """Return whether the booking is an occurrence of a series."""
        return self.recurrence_id is not None


@dataclass(frozen=True, kw_only=True, slots=True)
class Clash:
    """A booking that overlaps others that rank before it."""

    booking: Booking
    """The booking that loses (or, when ignored, the later of two prioritised)."""
    overlaps_with: tuple[Booking, ...]
    """The bookings kept that it overlaps, the highest ranked first."""


@dataclass(frozen=True, kw_only=True, slots=True)
class ClearPlan:
    """What clearing one room does."""

    cancelled: tuple[Event, ...] = ()
    """Cancelled bookings (single events or whole series): deleted."""
    deleted: tuple[Clash, ...] = ()
    """Single bookings that lost an overlap: deleted."""
    cancelled_occurrences: tuple[Clash, ...] = ()
    """Occurrences of series that lost an overlap: cancelled, the series kept."""
    ignored: tuple[Clash, ...] = ()
    """Prioritised bookings overlapping other prioritised ones: both kept."""

    @property
    def empty(self) -> bool:
        """Return whether nothing is to be written."""
        return not (self.cancelled or self.deleted or self.cancelled_occurrences)


@dataclass(kw_only=True)
class _Ranked:
    booking: Booking
    begin: datetime
    finish: datetime
    overlapping: list[Booking] = field(default_factory=list)


def bookings(
    events: list[Event],
    start: datetime,
    end: datetime,
    zone: tzinfo,
    priority: Priority,
) -> list[Booking]:
    """Return the occurrences in [start, end) that occupy the room, in time order."""
    return [
        _booking(event, occurrence, priority)
        for event, occurrence in _occupying(events, start, end, zone)
    ]


def _occupying(
    events: list[Event], start: datetime, end: datetime, zone: tzinfo
) -> list[tuple[Event, Occurrence]]:
    found = [
        (event, occurrence)
        for event in events
        if event.copy_of is None and event.status is not EventStatus.CANCELLED
        for occurrence in occurrences(event, start, end, zone)
        if occurrence.event.transparency is Transparency.OPAQUE
        and occurrence.event.status is not EventStatus.CANCELLED
    ]
    found.sort(key=lambda item: instant(item[1].start, zone))
    return found


def _booking(event: Event, occurrence: Occurrence, priority: Priority) -> Booking:
    return Booking(
        event=event,
        shown=occurrence.event,
        start=occurrence.start,
        end=occurrence.end,
        recurrence_id=occurrence.recurrence_id if event.recurring else None,
        prioritised=priority.of(occurrence.event) or priority.of(event),
    )


def _rank(booking: Booking, zone: tzinfo) -> tuple[bool, datetime, str, datetime]:
    """Prioritised first, then the oldest; the UID and start settle ties for good."""
    created = booking.created
    return (
        not booking.prioritised,
        created.astimezone(zone).replace(tzinfo=None) if created else LATEST,
        booking.uid,
        instant(booking.start, zone).replace(tzinfo=None),
    )


def plan_clear(
    events: list[Event],
    start: datetime,
    end: datetime,
    zone: tzinfo,
    priority: Priority,
) -> ClearPlan:
    """Return what clearing a room's bookings in [start, end) deletes and cancels.

    Bookings are taken in rank order; each keeps the room unless it overlaps one
    kept before it. Only kept bookings block: a booking that lost blocks nobody.
    """
    cancelled = tuple(
        event
        for event in events
        if event.copy_of is None
        and event.status is EventStatus.CANCELLED
        and any(
            occurrences(replace(event, status=EventStatus.CONFIRMED), start, end, zone)
        )
    )
    ranked = sorted(
        (
            _Ranked(
                booking=booking,
                begin=instant(booking.start, zone),
                finish=instant(booking.end, zone),
            )
            for booking in bookings(events, start, end, zone, priority)
        ),
        key=lambda item: _rank(item.booking, zone),
    )
    kept: list[_Ranked] = []
    deleted: list[Clash] = []
    cancelled_occurrences: list[Clash] = []
    ignored: list[Clash] = []
    for item in ranked:
        booking = item.booking
        others = [
            other.booking
            for other in kept
            if other.begin < item.finish
            and item.begin < other.finish
            and other.booking.event.id != booking.event.id
        ]
        if not others:
            kept.append(item)
            continue
        if booking.prioritised and all(other.prioritised for other in others):
            ignored.append(Clash(booking=booking, overlaps_with=tuple(others)))
            kept.append(item)
            continue
        winners = tuple(other for other in others if other.prioritised) or tuple(others)
        clash = Clash(booking=booking, overlaps_with=winners)
        if booking.recurring:
            cancelled_occurrences.append(clash)
        else:
            deleted.append(clash)
    order = {id(item.booking): index for index, item in enumerate(ranked)}

    def in_time(clashes: list[Clash]) -> tuple[Clash, ...]:
        return tuple(
            sorted(
                clashes,
                key=lambda clash: (
                    instant(clash.booking.start, zone),
                    order[id(clash.booking)],
                ),
            )
        )

    return ClearPlan(
        cancelled=cancelled,
        deleted=in_time(deleted),
        cancelled_occurrences=in_time(cancelled_occurrences),
        ignored=in_time(ignored),
    )
