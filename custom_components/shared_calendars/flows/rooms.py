"""The rooms step of the group's options: room calendars and how they are cleared.

A room is a calendar the group's accounts see that is no member's: bookings are
kept there, and the integration mirrors it, shows it, and clears its overlaps.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers.selector import (
    BooleanSelector,
    EntitySelector,
    EntitySelectorConfig,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TemplateSelector,
    TextSelector,
    TextSelectorConfig,
)
import probatio

from ..const import (
    CONF_ACCOUNT,
    CONF_CALENDAR_ID,
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
from ..engine.model import Member
from .calendars import Choices, option_value

NOTIFY = "notify"


def rooms_schema(choices: Choices, current: list[dict[str, Any]]) -> probatio.Schema:
    """Return the form: the rooms among the calendars listed, and the clearing."""
    options = choices.options()
    listed = {option["value"] for option in options}
    # A room whose account cannot list it now stays on offer, by its name.
    options += [
        SelectOptionDict(
            value=value, label=room.get(CONF_CALENDAR_NAME) or room[CONF_CALENDAR_ID]
        )
        for room in current
        if (value := option_value(room[CONF_ACCOUNT], room[CONF_CALENDAR_ID]))
        not in listed
    ]
    return probatio.Schema(
        {
            probatio.Optional(CONF_ROOMS): SelectSelector(
                SelectSelectorConfig(
                    options=options, multiple=True, mode=SelectSelectorMode.DROPDOWN
                )
            ),
            probatio.Optional(CONF_PRIORITY_MARKER): TextSelector(),
            probatio.Optional(CONF_PRIORITY_ORGANIZERS): TextSelector(
                TextSelectorConfig(multiple=True)
            ),
            probatio.Required(
                CONF_CLEAR_ROOMS_AFTER_SYNC, default=DEFAULT_CLEAR_ROOMS_AFTER_SYNC
            ): BooleanSelector(),
            probatio.Optional(CONF_NOTIFY_ENTITY): EntitySelector(
                EntitySelectorConfig(domain=NOTIFY)
            ),
            probatio.Optional(CONF_NOTIFY_ACTION): TextSelector(),
            probatio.Optional(
                CONF_NOTIFY_MESSAGE, default=DEFAULT_NOTIFY_MESSAGE
            ): TemplateSelector(),
        }
    )


def form_values(options: Mapping[str, Any]) -> dict[str, Any]:
    """Return the stored options as the form shows them."""
    values = dict(options)
    values[CONF_ROOMS] = [
        option_value(room[CONF_ACCOUNT], room[CONF_CALENDAR_ID])
        for room in options.get(CONF_ROOMS, ())
    ]
    return values


def room_options(
    hass: HomeAssistant,
    user_input: Mapping[str, Any],
    choices: Choices,
    current: list[dict[str, Any]],
    members: list[Member],
) -> tuple[dict[str, Any], dict[str, str]]:
    """Return the options to store, or the form's errors by field."""
    errors: dict[str, str] = {}
    kept = {
        option_value(room[CONF_ACCOUNT], room[CONF_CALENDAR_ID]): room
        for room in current
    }
    taken = {
        ref.key
        for member in members
        for ref in (*member.sources, *([member.combined] if member.combined else []))
    }
    rooms: list[dict[str, Any]] = []
    for value in user_input.get(CONF_ROOMS, ()):
        if value in taken:
            errors[CONF_ROOMS] = "room_is_member_calendar"
        elif (calendar := choices.calendars.get(value)) is not None:
            rooms.append(
                {
                    CONF_ACCOUNT: calendar.account,
                    CONF_CALENDAR_ID: calendar.calendar_id,
                    CONF_CALENDAR_NAME: calendar.name,
                }
            )
        elif value in kept:
            rooms.append(kept[value])
    action = (user_input.get(CONF_NOTIFY_ACTION) or "").strip()
    if action:
        domain, _, service = action.partition(".")
        if domain != NOTIFY or not hass.services.has_service(domain, service):
            errors[CONF_NOTIFY_ACTION] = "unknown_notify_action"
    values = {
        **user_input,
        CONF_ROOMS: rooms,
        CONF_NOTIFY_ACTION: action,
        CONF_PRIORITY_ORGANIZERS: [
            address.strip()
            for address in user_input.get(CONF_PRIORITY_ORGANIZERS) or ()
            if address.strip()
        ],
    }
    return values, errors
