"""Booking a room through the event actions: no double bookings.

A booking that overlaps one holding the room is refused, naming that booking,
before anything is written. A prioritised booking (the room options' marker in
its title or description, or an organiser on their list) takes the room instead:
it is written, then what it overlaps is removed by the rules and with the notices
of `clear_overlaps` (`room_clearing`).

The room is read as the last cycle saw it plus what changed since, asked with the
cycle's own cursor: one small request on a quiet calendar, and it sees bookings
made a moment ago, by this action too, before the next cycle has run. The check
and the write of one room run under one lock, so that two calls at once cannot
both take the same time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, Any

from homeassistant.util import dt as dt_util

from .const import CLEAR_WINDOW, DOMAIN
from .engine.booking import BookingCheck, check_booking, with_changes
from .engine.content import instant, shown_end
from .engine.model import DateOrDateTime, Event, resource_of
from .engine.overlaps import Clash, ClearPlan, Priority
from .helpers import failed, provider_errors, refused
from .providers.base import CursorExpired, ProviderError
from .room_clearing import RoomsReport, async_carry_out
from .room_notices import local_moment
from .room_options import Room, priority_in

if TYPE_CHECKING:
    from .coordinator import SharedCalendarsCoordinator

_LOCKS = f"{DOMAIN}_room_locks"


def _lock(coordinator: SharedCalendarsCoordinator, room: Room) -> asyncio.Lock:
    locks: dict[str, asyncio.Lock] = coordinator.hass.data.setdefault(_LOCKS, {})
    key = f"{coordinator.config_entry.entry_id}|{room.ref.key}"
    return locks.setdefault(key, asyncio.Lock())


async def _async_bookings_now(
    coordinator: SharedCalendarsCoordinator, room: Room
) -> list[Event]:
    """Return the room's events: the synced ones, updated by what changed since."""
    provider = coordinator.providers.get(room.ref.account)
    if provider is None:
        raise failed("account_not_loaded", calendar=room.name)
    synced = coordinator.state.calendars.get(room.ref.key)
    events = dict(synced.events) if synced is not None else {}
    cursor = synced.cursor if synced is not None else None
    with provider_errors(room.name, room.ref.account):
        try:
            changes = await provider.changes(room.ref.calendar_id, cursor, events)
        except CursorExpired:
            changes = await provider.changes(room.ref.calendar_id, None)
    return with_changes(events, changes)


def _span(event: Event, zone: tzinfo) -> tuple[datetime, datetime]:
    """Return when the booking wants the room; a series, as far as rooms are cleared."""
    start = instant(event.start, zone)
    if event.recurring:
        return start, max(start, dt_util.now()) + CLEAR_WINDOW
    return start, instant(shown_end(event), zone)


def _when(value: DateOrDateTime, zone: tzinfo) -> str:
    if not isinstance(value, datetime):
        return value.isoformat()
    moment = local_moment(value, zone)
    assert moment is not None
    return moment.strftime("%Y-%m-%d %H:%M")


def _taken(room: Room, clash: Clash, zone: tzinfo) -> Exception:
    holder = clash.booking
    where = {
        "room": room.name,
        "booking": holder.name,
        "start": _when(holder.start, zone),
        "end": _when(holder.end, zone),
    }
    if holder.prioritised:
        return refused("room_taken_by_prioritised", **where)
    return refused("room_taken", **where)


def _check(
    now: list[Event],
    written: Sequence[Event],
    zone: tzinfo,
    priority: Priority,
) -> BookingCheck:
    """Check each event written against the room as it will be once all are.

    A series split in two (its head kept, its tail a new event) is one change:
    the tail is checked against the head, not against the series it was cut from.
    """
    replaced = {resource_of(event.id) for event in written}
    in_the_way: list[Clash] = []
    deleted: list[Clash] = []
    cancelled: list[Clash] = []
    for event in written:
        mine = resource_of(event.id)
        room = [
            booking
            for booking in now
            if resource_of(booking.id) not in replaced - {mine}
        ]
        room.extend(other for other in written if other is not event)
        start, end = _span(event, zone)
        check = check_booking(room, event, start, end, zone=zone, priority=priority)
        in_the_way.extend(check.in_the_way)
        deleted.extend(check.takes.deleted)
        cancelled.extend(check.takes.cancelled_occurrences)
    if in_the_way:
        return BookingCheck(in_the_way=tuple(in_the_way))
    return BookingCheck(
        takes=ClearPlan(deleted=tuple(deleted), cancelled_occurrences=tuple(cancelled))
    )


async def async_book_room(
    coordinator: SharedCalendarsCoordinator,
    room: Room,
    events: Sequence[Event],
    put: Callable[[Event], Awaitable[Event]],
) -> tuple[list[Event], dict[str, Any]]:
    """Write bookings with `put`, in order, unless the room is taken.

    Returns them as written and what they took, in the shape of `clear_overlaps`'
    answer. Where a prioritised booking was written but clearing what it took
    failed, the translated error says so: the booking stays, and each booking
    removed by then was announced.
    """
    zone = dt_util.get_default_time_zone()
    priority = priority_in(coordinator.config_entry.options)
    async with _lock(coordinator, room):
        now = await _async_bookings_now(coordinator, room)
        check = _check(now, events, zone, priority)
        if check.in_the_way:
            raise _taken(room, check.in_the_way[0], zone)
        stored = [await put(event) for event in events]
        if not check.takes.empty:
            try:
                await async_carry_out(coordinator, room, check.takes)
            except ProviderError as err:
                raise failed(
                    "booked_but_not_cleared",
                    booking=stored[-1].summary,
                    room=room.name,
                    error=str(err),
                ) from err
    report = RoomsReport(dry_run=False, plans=[(room, check.takes)])
    return stored, report.response(zone)
