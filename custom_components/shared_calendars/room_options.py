"""Room calendars and how they are cleared, as the group's options keep them.

A room is a calendar, not a member: it has no combined calendar and receives no
copies. The cycle mirrors it like any other calendar so that its entities, the
clearing and the free-time search read the synced state.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .const import (
    CONF_CALENDAR_NAME,
    CONF_CLEAR_ROOMS_AFTER_SYNC,
    CONF_NOTIFY_ACTION,
    CONF_NOTIFY_ENTITY,
    CONF_NOTIFY_MESSAGE,
    CONF_PRIORITY_MARKER,
    CONF_PRIORITY_ORGANIZERS,
    CONF_ROOMS,
    DEFAULT_CLEAR_ROOMS_AFTER_SYNC,
    DEFAULT_NOTIFY_MESSAGE,
)
from .engine.model import CalendarRef
from .engine.overlaps import Priority
from .members import calendar_ref


@dataclass(frozen=True, kw_only=True, slots=True)
class Room:
    """A room calendar of the group."""

    ref: CalendarRef
    name: str
    """The calendar's name when it was picked."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Notice:
    """How the organiser of a removed booking is told."""

    entity_id: str | None = None
    """A notify entity (`notify.send_message`)."""
    action: str | None = None
    """A notify action, `notify.<name>`, called with the organiser as its target."""
    message: str = DEFAULT_NOTIFY_MESSAGE
    """A Home Assistant template."""


def rooms_in(options: Mapping[str, Any]) -> list[Room]:
    """Return the room calendars the options name, in the order they were picked."""
    return [
        Room(ref=calendar_ref(data), name=data.get(CONF_CALENDAR_NAME) or "")
        for data in options.get(CONF_ROOMS, ())
    ]


def priority_in(options: Mapping[str, Any]) -> Priority:
    """Return what prioritises a booking."""
    return Priority(
        marker=options.get(CONF_PRIORITY_MARKER) or "",
        organizers=tuple(options.get(CONF_PRIORITY_ORGANIZERS) or ()),
    )


def notice_in(options: Mapping[str, Any]) -> Notice:
    """Return how organisers are told; neither entity nor action: nobody is."""
    return Notice(
        entity_id=options.get(CONF_NOTIFY_ENTITY) or None,
        action=options.get(CONF_NOTIFY_ACTION) or None,
        message=options.get(CONF_NOTIFY_MESSAGE) or DEFAULT_NOTIFY_MESSAGE,
    )


def clear_after_sync(options: Mapping[str, Any]) -> bool:
    """Return whether the rooms are cleared after every cycle."""
    return bool(
        options.get(CONF_CLEAR_ROOMS_AFTER_SYNC, DEFAULT_CLEAR_ROOMS_AFTER_SYNC)
    )
