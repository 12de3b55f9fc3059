"""What people see of the synced state beside the copies.

A member's own events, and every member's events together on one calendar.

Both read the mirror the last cycles kept; neither asks a calendar anything.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from .model import Event, EventStatus, Member, Privacy
from .plan import DEFAULT_BUSY_TITLE, shares
from .state import SyncState


def originals_of(member: Member, state: SyncState) -> list[Event]:
    """Return the events of a member's source calendars, copies and cancelled ones left out."""
    return [
        event
        for ref in member.sources
        if (calendar := state.calendars.get(ref.key)) is not None
        for event in calendar.events.values()
        if event.copy_of is None and event.status is not EventStatus.CANCELLED
    ]


def everyone(
    members: Iterable[Member], state: SyncState, busy_title: str = DEFAULT_BUSY_TITLE
) -> list[Event]:
    """Return every member's shared events once, each titled with whose it is.

    An event several members have (one invitation, one iCalendar UID) shows once,
    as "Planning (Anna, Ben)"; one member's as "Anna: Dentist". Members' policies
    apply as to their copies: filters leave events out, busy-only shows "Busy".
    """
    found: dict[str, list[tuple[Member, Event]]] = {}
    for member in members:
        for event in originals_of(member, state):
            if shares(member, event):
                found.setdefault(event.ical_uid, []).append((member, event))
    shown: list[Event] = []
    for holders in found.values():
        # The fullest version leads, as in the copies; then the member order.
        holders.sort(key=lambda holder: holder[0].policy.privacy is not Privacy.FULL)
        lead, event = holders[0]
        names = list(dict.fromkeys(member.name for member, _ in holders))
        busy = lead.policy.privacy is Privacy.BUSY_ONLY

        def titled(item: Event, names: list[str] = names, busy: bool = busy) -> Event:
            summary = busy_title if busy else item.summary
            return replace(
                item,
                summary=f"{summary} ({', '.join(names)})"
                if len(names) > 1
                else f"{names[0]}: {summary}",
                description="" if busy else item.description,
                location="" if busy else item.location,
            )

        shown.append(
            replace(titled(event), overrides=tuple(map(titled, event.overrides)))
        )
    return shown
