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
from collections.abc import Awaitable, Callable
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, Any

from homeassistant.util import dt as dt_util

from .const import CLEAR_WINDOW, DOMAIN
from .engine.booking import check_booking, with_changes
from .engine.content import instant, shown_end
from .engine.model import DateOrDateTime, Event
from .engine.overlaps import Clash
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


async def async_book_room(
    coordinator: SharedCalendarsCoordinator,
    room: Room,
    event: Event,
    put: Callable[[Event], Awaitable[Event]],
) -> tuple[Event, dict[str, Any]]:
    """Write a booking with `put` unless the room is taken; return it and what it took.

    What it took is reported in the shape of `clear_overlaps`' answer.
    """
    zone = dt_util.get_default_time_zone()
    async with _lock(coordinator, room):
        events = await _async_bookings_now(coordinator, room)
        start, end = _span(event, zone)
        priority = priority_in(coordinator.config_entry.options)
        check = check_booking(events, event, start, end, zone=zone, priority=priority)
        if check.in_the_way:
            raise _taken(room, check.in_the_way[0], zone)
        stored = await put(event)
        if not check.takes.empty:
            try:
                await async_carry_out(coordinator, room, check.takes)
            except ProviderError as err:
                raise failed(
                    "rooms_not_cleared", rooms=room.name, error=str(err)
                ) from err
    report = RoomsReport(dry_run=False, plans=[(room, check.takes)])
    return stored, report.response(zone)
