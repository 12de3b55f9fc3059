"""Whether a new booking may have a room, and what it takes from others.

The rules are those of `overlaps`, applied at the moment of booking: a new
booking is the newest of all, so it keeps the room only where it is prioritised
and what it overlaps is not. Anything else that holds the room when the new
booking wants it stands in the way, and the booking is refused whole. Free
(transparent) and cancelled bookings hold nothing. Pure: no I/O, no Home Assistant.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo

from .content import instant
from .model import ChangeSet, Event, resource_of
from .overlaps import Clash, ClearPlan, Priority, bookings


@dataclass(frozen=True, kw_only=True, slots=True)
class BookingCheck:
    """What booking a room at some time meets there."""

    in_the_way: tuple[Clash, ...] = ()
    """Bookings that keep the room against the new one (`booking` is the one in
    the way, `overlaps_with` the new booking's occurrence): the booking is refused."""
    takes: ClearPlan = field(default_factory=ClearPlan)
    """What a prioritised booking takes from others: deleted, or the occurrence
    of a series cancelled."""


def with_changes(events: Mapping[str, Event], changes: ChangeSet) -> list[Event]:
    """Return a calendar's events as `events` holds them, updated by `changes`.

    A changed or deleted resource replaces all of its parts, as the synced state
    takes it in (`state.SyncState.apply`), without touching that state.
    """
    if changes.complete:
        return list(changes.changed)
    gone = set(changes.deleted) | {resource_of(event.id) for event in changes.changed}
    kept = {
        event_id: event
        for event_id, event in events.items()
        if event_id not in gone and resource_of(event_id) not in gone
    }
    kept.update((event.id, event) for event in changes.changed)
    return list(kept.values())


def check_booking(
    events: list[Event],
    new: Event,
    start: datetime,
    end: datetime,
    *,
    zone: tzinfo,
    priority: Priority,
) -> BookingCheck:
    """Return what the new booking's occurrences in [start, end) meet in the room.

    An event of the new booking's resource is the version it replaces and meets
    nothing. An occurrence it keeps as that version had it (same times, same
    priority) is not checked again: changing a title, or one occurrence of a
    series, is never refused for a clash the booking already had.
    """
    own = resource_of(new.id)
    earlier = [event for event in events if resource_of(event.id) == own]
    kept = {
        (booking.start, booking.end, booking.prioritised)
        for booking in bookings(earlier, start, end, zone, priority)
    }
    wanted = [
        booking
        for booking in bookings([new], start, end, zone, priority)
        if (booking.start, booking.end, booking.prioritised) not in kept
    ]
    held = bookings(
        [event for event in events if resource_of(event.id) != own],
        start,
        end,
        zone,
        priority,
    )
    in_the_way: list[Clash] = []
    losers: list[Clash] = []
    for other in held:
        begin, finish = instant(other.start, zone), instant(other.end, zone)
        meets = [
            mine
            for mine in wanted
            if instant(mine.start, zone) < finish and begin < instant(mine.end, zone)
        ]
        if not meets:
            continue
        clash = Clash(booking=other, overlaps_with=(meets[0],))
        if not meets[0].prioritised or other.prioritised:
            in_the_way.append(clash)
        else:
            losers.append(clash)
    if in_the_way:
        return BookingCheck(in_the_way=tuple(in_the_way))
    return BookingCheck(
        takes=ClearPlan(
            deleted=tuple(clash for clash in losers if not clash.booking.recurring),
            cancelled_occurrences=tuple(
                clash for clash in losers if clash.booking.recurring
            ),
        )
    )
