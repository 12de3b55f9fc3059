"""The views beside the copies: a member's own events, and everyone's together."""

from custom_components.shared_calendars.engine.model import (
    CopyMarker,
    EventStatus,
    MemberPolicy,
    Privacy,
)
from custom_components.shared_calendars.engine.state import SyncState
from custom_components.shared_calendars.engine.views import everyone, originals_of

from .factories import event, member, seed


def test_everyone_shows_an_invitation_once_with_every_name() -> None:
    """One UID in two members' calendars is one event, titled with both."""
    anna, ben = member("Anna"), member("Ben")
    state = SyncState()
    seed(state, anna.sources[0], event("a1", "Planning", ical_uid="p@x"))
    seed(state, ben.sources[0], event("b1", "Planning", ical_uid="p@x"))
    seed(
        state,
        ben.sources[0],
        event("b1", "Planning", ical_uid="p@x"),
        event("b2", "Gym"),
    )

    shown = sorted(e.summary for e in everyone([anna, ben], state))

    assert shown == ["Ben: Gym", "Planning (Anna, Ben)"]


def test_everyone_keeps_to_what_members_share() -> None:
    """Busy-only shows "Busy" without details; filtered and cancelled events stay out."""
    anna = member(
        "Anna",
        policy=MemberPolicy(privacy=Privacy.BUSY_ONLY, exclude_keywords=("private",)),
    )
    state = SyncState()
    seed(
        state,
        anna.sources[0],
        event("a1", "Dentist", description="Root canal", location="Main St"),
        event("a2", "Private call"),
        event("a3", "Party", status=EventStatus.CANCELLED),
    )

    (shown,) = everyone([anna], state)

    assert (shown.summary, shown.description, shown.location) == ("Anna: Busy", "", "")


def test_a_members_originals_leave_out_copies() -> None:
    """A copy in a source calendar is someone else's event."""
    anna = member("Anna")
    state = SyncState()
    seed(
        state,
        anna.sources[0],
        event("a1", "Dentist"),
        event("c1", "Football", copy_of=CopyMarker(source="uid:f@x")),
    )

    assert [e.summary for e in originals_of(anna, state)] == ["Dentist"]
