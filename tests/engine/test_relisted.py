"""A calendar listed again as the state holds it: nothing to keep again."""

from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

from custom_components.shared_calendars.engine.state import SyncState

from .factories import event, listing, ref, seed

CALENDAR = ref("anna-0")


def test_a_full_listing_of_what_is_held_marks_no_event_to_keep() -> None:
    """A resync lists 3 events as held: no event row is written again."""
    state = SyncState()
    seed(state, CALENDAR, event("e1"), event("e2", hours=1), event("e3", hours=2))
    assert len(state.changes().events) == 3

    # New objects, equal to those held (as every full listing makes them).
    relisted = listing(event("e1"), event("e2", hours=1), event("e3", hours=2))
    groups = state.apply(CALENDAR.key, relisted).groups

    assert state.changes().events == {}
    assert len(groups) == 3  # planned as before: a resync plans every group anyway


def test_an_event_relisted_in_another_zone_or_changed_is_kept_again() -> None:
    """The same instant in another zone is a change; so is a new title."""
    state = SyncState()
    seed(state, CALENDAR, event("e1"), event("e2", hours=1), event("e3", hours=2))
    state.changes()
    berlin = ZoneInfo("Europe/Berlin")
    held = event("e1")
    assert isinstance(held.start, datetime) and isinstance(held.end, datetime)
    moved = replace(
        held, start=held.start.astimezone(berlin), end=held.end.astimezone(berlin)
    )
    assert moved == event("e1")  # equal instants compare equal

    state.apply(
        CALENDAR.key,
        listing(moved, event("e2", "Dentist (moved)", hours=1), event("e3", hours=2)),
    )

    assert set(state.changes().events) == {
        (CALENDAR.key, "e1"),
        (CALENDAR.key, "e2"),
    }
    kept = state.calendar(CALENDAR.key).events["e1"].start
    assert isinstance(kept, datetime) and kept.tzinfo is berlin
