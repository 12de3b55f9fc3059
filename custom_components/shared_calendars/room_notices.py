"""Telling people that a room booking was removed.

Each removed booking fires `shared_calendars_booking_removed` for automations.
The organiser of a booking that lost an overlap is also told, when the group's
options name a notify entity or a notify action: the message is a Home Assistant
template with the variables of the room-booking service this follows (`name`,
`start`, `end`, `created`, `is_deleted`, `is_cancelled`, `is_recurring`,
`is_priorized`, `is_deprioritized`, `organizer`, `overlap_events`,
`calendar_name`). A template or a notifier that fails is logged and skipped:
the booking is removed all the same, and reported.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, tzinfo
from typing import TYPE_CHECKING, Any

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, TemplateError
from homeassistant.helpers.template import Template
from homeassistant.util import dt as dt_util

from .const import EVENT_BOOKING_REMOVED, LOGGER
from .engine.model import DateOrDateTime, Event
from .engine.overlaps import Booking, Clash
from .room_options import Notice, Room, notice_in

if TYPE_CHECKING:
    from .coordinator import SharedCalendarsCoordinator

NOTIFY_DOMAIN = "notify"
SEND_MESSAGE = "send_message"


@dataclass(frozen=True, kw_only=True, slots=True)
class RemovedBooking:
    """A booking clearing removed: a cancelled one, or one that lost an overlap."""

    event: Event | None = None
    """A cancelled booking, deleted whole."""
    clash: Clash | None = None
    """A booking that lost: deleted, or (an occurrence) cancelled."""


def local_moment(value: DateOrDateTime | None, zone: tzinfo) -> datetime | None:
    """Return a time in Home Assistant's zone; a date is midnight there."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(zone)
    assert isinstance(value, date)
    return datetime.combine(value, time.min, zone)


def _other(booking: Booking, zone: tzinfo) -> dict[str, Any]:
    return {
        "name": booking.name,
        "start": local_moment(booking.start, zone),
        "end": local_moment(booking.end, zone),
        "created": local_moment(booking.created, zone),
        "organizer": booking.organizer,
        "is_priorized": booking.prioritised,
    }


def variables(removed: RemovedBooking, room: Room, zone: tzinfo) -> dict[str, Any]:
    """Return what a message template is given about one removed booking."""
    if removed.clash is None:
        assert removed.event is not None
        event = removed.event
        return {
            "name": event.summary,
            "start": local_moment(event.start, zone),
            "end": local_moment(event.end, zone),
            "created": local_moment(event.created, zone),
            "is_deleted": True,
            "is_cancelled": False,
            "is_recurring": event.recurring,
            "is_priorized": False,
            "is_deprioritized": False,
            "organizer": event.organizer,
            "overlap_events": [],
            "calendar_name": room.name,
        }
    booking = removed.clash.booking
    winners = removed.clash.overlaps_with
    return {
        **_other(booking, zone),
        "is_deleted": not booking.recurring,
        "is_cancelled": booking.recurring,
        "is_recurring": booking.recurring,
        "is_deprioritized": not booking.prioritised
        and any(other.prioritised for other in winners),
        "overlap_events": [_other(other, zone) for other in winners],
        "calendar_name": room.name,
    }


def _as_json(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list):
        return [_as_json(item) for item in value]
    if isinstance(value, dict):
        return {key: _as_json(item) for key, item in value.items()}
    return value


async def async_tell(
    coordinator: SharedCalendarsCoordinator, room: Room, removed: list[RemovedBooking]
) -> None:
    """Fire an event for each removed booking, and tell the organisers of those that lost."""
    hass = coordinator.hass
    zone = dt_util.get_default_time_zone()
    notice = notice_in(coordinator.config_entry.options)
    for item in removed:
        values = variables(item, room, zone)
        hass.bus.async_fire(
            EVENT_BOOKING_REMOVED,
            {
                "config_entry_id": coordinator.config_entry.entry_id,
                "reason": "overlap" if item.clash is not None else "cancelled",
                **_as_json(values),
            },
        )
        if item.clash is not None and (notice.entity_id or notice.action):
            await _async_notify(hass, notice, values)


def render(hass: HomeAssistant, notice: Notice, values: dict[str, Any]) -> str | None:
    """Return the message for one booking; None (logged) when the template fails."""
    try:
        return str(
            Template(notice.message, hass).async_render(values, parse_result=False)
        )
    except TemplateError as err:
        LOGGER.warning(
            "The message about the removed booking %s could not be written: "
            "the template failed: %s",
            values["name"],
            err,
        )
        return None


async def _async_notify(
    hass: HomeAssistant, notice: Notice, values: dict[str, Any]
) -> None:
    if (message := render(hass, notice, values)) is None:
        return
    organizer = values["organizer"]
    calls: list[tuple[str, str, dict[str, Any]]] = []
    if notice.entity_id:
        calls.append(
            (
                NOTIFY_DOMAIN,
                SEND_MESSAGE,
                {"entity_id": notice.entity_id, "message": message},
            )
        )
    if notice.action:
        domain, _, service = notice.action.partition(".")
        data: dict[str, Any] = {"message": message}
        if organizer:
            data["target"] = [organizer]
        calls.append((domain, service, data))
    for domain, service, data in calls:
        try:
            await hass.services.async_call(domain, service, data, blocking=True)
        except (HomeAssistantError, ValueError) as err:
            LOGGER.warning(
                "Telling the organizer of %s with %s.%s failed: %s",
                values["name"],
                domain,
                service,
                err,
            )
