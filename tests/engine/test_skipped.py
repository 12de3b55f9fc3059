"""How the synced state holds events a calendar has but that cannot be read.

Such an event is neither changed nor deleted: what was known of it stays (copies
made of it are kept), and it is listed as skipped until it is read, deleted, or
missing from a complete listing.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from custom_components.shared_calendars.engine.model import (
    ChangeSet,
    Event,
    SkippedEvent,
    SkipReason,
)
from custom_components.shared_calendars.engine.state import SyncState

from ..stored import reloaded

CAL = "acct|cal"
START = datetime(2026, 5, 4, 10, tzinfo=UTC)


def _event(event_id: str, summary: str = "Dentist") -> Event:
    return Event(
        id=event_id,
        ical_uid=f"{event_id}@test",
        summary=summary,
        start=START,
        end=START + timedelta(hours=1),
    )


def _skip(event_id: str, reason: SkipReason = SkipReason.INVALID_TIME) -> SkippedEvent:
    return SkippedEvent(id=event_id, title=f"Bad {event_id}", reason=reason)


def _state_with(*events: Event) -> SyncState:
    state = SyncState()
    state.apply(CAL, ChangeSet(changed=events, deleted=(), cursor="c0", complete=True))
    return state


def test_a_complete_listing_keeps_what_it_could_not_read_again() -> None:
    """An event that turned unreadable is not deleted: its last version stays."""
    state = _state_with(_event("a"), _event("b"), _event("c"))

    state.apply(
        CAL,
        ChangeSet(
            changed=(_event("a"),),
            deleted=(),
            cursor="c1",
            complete=True,
            skipped=(_skip("b"),),
        ),
    )

    assert sorted(state.calendar(CAL).events) == ["a", "b"]
    assert state.calendar(CAL).cursor == "c1"
    assert state.skipped == {CAL: {"b": _skip("b")}}


def test_an_unreadable_resource_keeps_all_its_parts_and_a_part_only_itself() -> None:
    """A CalDAV resource skipped whole keeps its parts; a skipped part keeps itself."""
    state = _state_with(_event("r1"), _event("r1/on-1"), _event("r2"), _event("r2/x"))

    state.apply(
        CAL,
        ChangeSet(
            changed=(_event("r2"),),
            deleted=(),
            cursor="c1",
            skipped=(_skip("r1"), _skip("r2/x")),
        ),
    )
    assert sorted(state.calendar(CAL).events) == ["r1", "r1/on-1", "r2", "r2/x"]

    state.apply(
        CAL,
        ChangeSet(
            changed=(_event("r2"),),
            deleted=(),
            cursor="c2",
            complete=True,
            skipped=(_skip("r1"),),
        ),
    )
    assert sorted(state.calendar(CAL).events) == ["r1", "r1/on-1", "r2"]


def test_a_skipped_event_is_listed_until_it_is_read_or_deleted() -> None:
    """Incremental change sets add to the list; reading or deleting takes off."""
    state = _state_with(_event("a"))
    state.apply(
        CAL,
        ChangeSet(
            changed=(), deleted=(), cursor="c1", skipped=(_skip("b"), _skip("c"))
        ),
    )
    state.apply(CAL, ChangeSet(changed=(), deleted=(), cursor="c2"))
    assert set(state.skipped[CAL]) == {"b", "c"}

    state.apply(CAL, ChangeSet(changed=(_event("b"),), deleted=("c",), cursor="c3"))

    assert state.skipped == {}
    assert sorted(state.calendar(CAL).events) == ["a", "b"]


def test_a_complete_listing_replaces_the_list() -> None:
    """What a full listing no longer holds, or reads now, is no longer skipped."""
    state = _state_with(_event("a"))
    state.apply(
        CAL, ChangeSet(changed=(), deleted=(), cursor="c1", skipped=(_skip("b"),))
    )

    state.apply(
        CAL,
        ChangeSet(
            changed=(_event("a"),),
            deleted=(),
            cursor="c2",
            complete=True,
            skipped=(_skip("d", SkipReason.MISSING_TIME),),
        ),
    )

    assert state.skipped == {CAL: {"d": _skip("d", SkipReason.MISSING_TIME)}}


def test_the_skipped_list_survives_a_restart_and_goes_with_its_calendar(
    tmp_path: Path,
) -> None:
    """Saved and loaded with the state; a calendar that leaves the group takes it."""
    state = _state_with(_event("a"))
    state.apply(
        CAL,
        ChangeSet(changed=(), deleted=(), cursor="c1", skipped=(_skip("b"),)),
    )

    loaded = reloaded(state, tmp_path / "state.db")

    assert loaded.skipped == state.skipped
    loaded.forget_calendar(CAL)
    assert loaded.skipped == {}
