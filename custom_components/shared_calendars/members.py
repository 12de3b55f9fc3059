"""Members as the engine sees them, from the group entry's member subentries."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .const import (
    CONF_ACCOUNT,
    CONF_CALENDAR_ID,
    CONF_CALENDAR_NAME,
    CONF_COLOR,
    CONF_COMBINED,
    CONF_EXCLUDE_KEYWORDS,
    CONF_INCLUDE_KEYWORDS,
    CONF_PRIVACY,
    CONF_RECEIVE_OWN,
    CONF_SKIP_ALL_DAY,
    CONF_SKIP_FREE,
    CONF_SKIP_TENTATIVE,
    CONF_SOURCES,
    CONF_TITLE_PREFIX,
    SUBENTRY_MEMBER,
)
from .engine.model import CalendarRef, EventColor, Member, MemberPolicy, Privacy

if TYPE_CHECKING:
    from .coordinator import SharedCalendarsConfigEntry


def calendar_ref(data: Mapping[str, Any]) -> CalendarRef:
    """Return the calendar a subentry names."""
    return CalendarRef(account=data[CONF_ACCOUNT], calendar_id=data[CONF_CALENDAR_ID])


def member_from_subentry(
    subentry_id: str, title: str, data: Mapping[str, Any]
) -> Member:
    """Return the member a subentry describes."""
    color = data.get(CONF_COLOR)
    combined = data.get(CONF_COMBINED)
    return Member(
        id=subentry_id,
        name=title,
        sources=tuple(calendar_ref(source) for source in data.get(CONF_SOURCES, ())),
        combined=calendar_ref(combined) if combined else None,
        policy=MemberPolicy(
            receive_own=data.get(CONF_RECEIVE_OWN, False),
            privacy=Privacy(data.get(CONF_PRIVACY, Privacy.FULL)),
            title_prefix=data.get(CONF_TITLE_PREFIX, ""),
            color=EventColor(color) if color else None,
            skip_all_day=data.get(CONF_SKIP_ALL_DAY, False),
            skip_free=data.get(CONF_SKIP_FREE, False),
            skip_tentative=data.get(CONF_SKIP_TENTATIVE, False),
            include_keywords=tuple(data.get(CONF_INCLUDE_KEYWORDS, ())),
            exclude_keywords=tuple(data.get(CONF_EXCLUDE_KEYWORDS, ())),
        ),
    )


def calendar_names(entry: SharedCalendarsConfigEntry) -> dict[str, str]:
    """Return the name each member's calendar had when it was picked, by key.

    Kept with the member, so that a message can name a calendar its server does
    not answer for. Members set up before names were kept have none.
    """
    names: dict[str, str] = {}
    for subentry in entry.subentries.values():
        if subentry.subentry_type != SUBENTRY_MEMBER:
            continue
        combined = subentry.data.get(CONF_COMBINED)
        for data in (
            *subentry.data.get(CONF_SOURCES, ()),
            *([combined] if combined else ()),
        ):
            if name := data.get(CONF_CALENDAR_NAME):
                names[calendar_ref(data).key] = name
    return names


def members_of(entry: SharedCalendarsConfigEntry) -> list[Member]:
    """Return the group's members, in the order they were added."""
    return [
        member_from_subentry(subentry.subentry_id, subentry.title, subentry.data)
        for subentry in entry.subentries.values()
        if subentry.subentry_type == SUBENTRY_MEMBER
    ]
