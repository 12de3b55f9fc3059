"""The sync state as version 1 kept it: one JSON document, read once to migrate it.

Later versions keep the state as rows that change one by one (see `store.py`);
this reads what a group saved before, so that upgrading costs no full listing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .codec import decode_event
from .model import CalendarRef, SkippedEvent, SkipReason, SyncWindow
from .state import CalendarState, CopyRecord, ParkedCopy, SyncState


def _target(stored: dict[str, Any]) -> CalendarRef:
    return CalendarRef(account=stored["account"], calendar_id=stored["calendar"])


def state_from_json(data: dict[str, Any]) -> SyncState:
    """Rebuild the state from the JSON document version 1 saved."""
    calendars = {
        key: CalendarState(
            cursor=stored["cursor"],
            events={event.id: event for event in map(decode_event, stored["events"])},
        )
        for key, stored in data["calendars"].items()
    }
    copies = {
        (_target(stored).key, stored["id"]): CopyRecord(
            group=stored["group"],
            target=_target(stored),
            fingerprint=stored["fingerprint"],
            hidden=stored["hidden"],
            diverged=stored.get("diverged", False),
        )
        for stored in data["copies"]
    }
    skipped = {
        key: {
            item["id"]: SkippedEvent(
                id=item["id"], title=item["title"], reason=SkipReason(item["reason"])
            )
            for item in held
        }
        for key, held in data.get("skipped", {}).items()
    }
    parked = {
        (_target(stored).key, stored["id"]): ParkedCopy(
            record=CopyRecord(
                group=stored["group"],
                target=_target(stored),
                fingerprint=stored["fingerprint"],
            ),
            title=stored["title"],
            reason=stored["reason"],
        )
        for stored in data.get("parked", ())
    }
    window = data.get("planned_window")
    return SyncState(
        calendars=calendars,
        copies=copies,
        pending=set(data["pending"]),
        skipped=skipped,
        parked=parked,
        planned_for=data.get("planned_for"),
        planned_window=None
        if window is None
        else SyncWindow(
            start=datetime.fromisoformat(window[0]),
            end=datetime.fromisoformat(window[1]),
        ),
    )
