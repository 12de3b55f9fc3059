"""Clearing room calendars: what `engine.overlaps` decides, written and reported.

The plan is made from the synced state before anything is written, and the report
is built from the plan alone, so a dry run answers exactly what the real run then
does. The report has the shape of the room-booking service this follows
(`deleted_cancelled_events`, `deleted_overlapping_events`, ...). Each removed
booking fires `shared_calendars_booking_removed`, and the organiser of each one
that lost an overlap is told, as the group's options say (`room_notices`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, Any

from homeassistant.exceptions import HomeAssistantError
from homeassistant.util import dt as dt_util

from .const import CLEAR_WINDOW, LOGGER
from .engine.edits import occurrence_of, with_occurrence
from .engine.model import Event, EventStatus
from .engine.overlaps import Booking, Clash, ClearPlan, plan_clear
from .helpers import failed
from .providers.base import ProviderError
from .room_notices import RemovedBooking, async_tell, local_moment as moment
from .room_options import Room, priority_in

if TYPE_CHECKING:
    from .coordinator import SharedCalendarsCoordinator


def _text(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def booking_fields(booking: Booking | Event, zone: tzinfo) -> dict[str, Any]:
    """Return a booking (or a whole cancelled event) as the report shows it."""
    event = booking.event if isinstance(booking, Booking) else booking
    return {
        "uid": event.ical_uid,
        "name": booking.name if isinstance(booking, Booking) else event.summary,
        "start": _text(moment(booking.start, zone)),
        "end": _text(moment(booking.end, zone)),
        "created": _text(moment(booking.created, zone)),
        "organizer": booking.organizer,
    }


@dataclass(kw_only=True)
class RoomsReport:
    """What clearing did (or, in a dry run, would do) in the rooms asked."""

    dry_run: bool
    plans: list[tuple[Room, ClearPlan]] = field(default_factory=list)

    def response(self, zone: tzinfo) -> dict[str, Any]:
        """Return the report in the shape of the room-booking service it follows."""

        def clashes(kind: str) -> list[dict[str, Any]]:
            return [
                {
                    "event": booking_fields(clash.booking, zone),
                    "overlaps_with": booking_fields(clash.overlaps_with[0], zone),
                    "calendar": room.name,
                }
                for room, plan in self.plans
                for clash in getattr(plan, kind)
            ]

        return {
            "deleted_cancelled_events": [
                {"event": booking_fields(event, zone), "calendar": room.name}
                for room, plan in self.plans
                for event in plan.cancelled
            ],
            "deleted_overlapping_events": clashes("deleted"),
            "cancelled_overlapping_recurring_events": clashes("cancelled_occurrences"),
            "ignored_overlapping_events": clashes("ignored"),
            "test_mode": self.dry_run,
        }

    @property
    def changed(self) -> bool:
        """Return whether anything was (or would be) written."""
        return any(not plan.empty for _, plan in self.plans)


def plan_rooms(
    coordinator: SharedCalendarsCoordinator,
    rooms: list[Room],
    start: datetime,
    end: datetime,
) -> list[tuple[Room, ClearPlan]]:
    """Plan every room from the synced state."""
    options = coordinator.config_entry.options
    priority = priority_in(options)
    zone = dt_util.get_default_time_zone()
    plans = []
    for room in rooms:
        calendar = coordinator.state.calendars.get(room.ref.key)
        events = list(calendar.events.values()) if calendar is not None else []
        plans.append((room, plan_clear(events, start, end, zone, priority)))
    return plans


async def async_clear_rooms(
    coordinator: SharedCalendarsCoordinator,
    rooms: list[Room],
    start: datetime,
    end: datetime,
    *,
    dry_run: bool,
) -> RoomsReport:
    """Clear the rooms' bookings in [start, end); with `dry_run`, only report.

    Raises a translated error naming the rooms where a write failed, once every
    room was tried; what was removed by then has been announced.
    """
    report = RoomsReport(dry_run=dry_run)
    report.plans = plan_rooms(coordinator, rooms, start, end)
    if dry_run or not report.changed:
        return report
    errors: dict[str, str] = {}
    for room, plan in report.plans:
        if plan.empty:
            continue
        removed: list[RemovedBooking] = []
        try:
            await _async_write(coordinator, room, plan, removed)
        except ProviderError as err:
            errors[room.name] = str(err)
        await async_tell(coordinator, room, removed)
    await coordinator.async_request_refresh()
    if errors:
        raise failed(
            "rooms_not_cleared",
            rooms=", ".join(errors),
            error="; ".join(errors.values()),
        )
    return report


async def async_carry_out(
    coordinator: SharedCalendarsCoordinator, room: Room, plan: ClearPlan
) -> None:
    """Write one room's plan and tell of what went, even when a write fails midway.

    Raises `ProviderError` when a write fails.
    """
    removed: list[RemovedBooking] = []
    try:
        await _async_write(coordinator, room, plan, removed)
    finally:
        await async_tell(coordinator, room, removed)


async def _async_write(
    coordinator: SharedCalendarsCoordinator,
    room: Room,
    plan: ClearPlan,
    removed: list[RemovedBooking],
) -> None:
    """Delete and cancel what the plan says, noting each booking once it is gone."""
    provider = coordinator.providers.get(room.ref.account)
    if provider is None:
        raise ProviderError(f"the account of {room.name} is not loaded")
    calendar_id = room.ref.calendar_id
    for event in plan.cancelled:
        await provider.delete_event(calendar_id, event.id)
        removed.append(RemovedBooking(event=event))
    for clash in plan.deleted:
        await provider.delete_event(calendar_id, clash.booking.event.id)
        removed.append(RemovedBooking(clash=clash))
    by_series: dict[str, list[Clash]] = defaultdict(list)
    for clash in plan.cancelled_occurrences:
        by_series[clash.booking.event.id].append(clash)
    zone = dt_util.get_default_time_zone()
    for series_id, lost in by_series.items():
        # Read again, so that a change made since the last cycle is kept.
        if (live := await provider.get_event(calendar_id, series_id)) is None:
            LOGGER.debug("A series in %s is gone before clearing", room.name)
            continue
        series = live
        for clash in lost:
            recurrence_id = clash.booking.recurrence_id
            assert recurrence_id is not None
            cancelled = replace(
                occurrence_of(series, recurrence_id, zone),
                status=EventStatus.CANCELLED,
            )
            series = with_occurrence(series, recurrence_id, cancelled, zone)
        await provider.put_event(calendar_id, series, previous=live)
        removed.extend(RemovedBooking(clash=clash) for clash in lost)


async def async_clear_after_cycle(coordinator: SharedCalendarsCoordinator) -> None:
    """Clear every room for the default window, as the option asks after a cycle.

    A failure is logged, never the cycle's: the next cycle tries again.
    """
    rooms = coordinator.rooms
    if not rooms:
        return
    start = dt_util.now()
    try:
        report = await async_clear_rooms(
            coordinator, rooms, start, start + CLEAR_WINDOW, dry_run=False
        )
    except HomeAssistantError as err:
        LOGGER.warning(
            "Clearing the rooms of %s failed: %s", coordinator.config_entry.title, err
        )
        return
    if report.changed:
        LOGGER.debug("Cleared the rooms of %s", coordinator.config_entry.title)
