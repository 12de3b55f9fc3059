"""Whether a new booking may have a room (engine/booking.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from custom_components.shared_calendars.engine.booking import (
    BookingCheck,
    check_booking,
    with_changes,
)
from custom_components.shared_calendars.engine.model import (
    ChangeSet,
    Event,
    EventStatus,
    Transparency,
)
from custom_components.shared_calendars.engine.overlaps import Priority

from .test_overlaps import BERLIN, at, booking

VIP = Priority(marker="[VIP]")
NEW_AT = (at(14, 10), at(14, 11))


def check(new: Event, *held: Event, priority: Priority = VIP) -> BookingCheck:
    """Check a new booking against the room's, for the new booking's own span."""
    return check_booking(list(held), new, *NEW_AT, zone=BERLIN, priority=priority)


def _new(summary: str = "Planning", **fields: object) -> Event:
    return booking("new", *NEW_AT, None, summary=summary, **fields)


def _names(found: BookingCheck) -> dict[str, list[str]]:
    return {
        "in_the_way": [clash.booking.name for clash in found.in_the_way],
        "deleted": [clash.booking.name for clash in found.takes.deleted],
        "cancelled": [
            clash.booking.name for clash in found.takes.cancelled_occurrences
        ],
    }


def test_a_booking_that_overlaps_one_holding_the_room_is_in_its_way() -> None:
    """9:30-10:30 holds the room when 10-11 is wanted; 11-12 only touches it."""
    early = booking(
        "early",
        at(14, 9).replace(minute=30),
        at(14, 10).replace(minute=30),
        at(1, 8, 1),
    )
    after = booking("after", at(14, 11), at(14, 12), at(1, 8, 1))
    found = check(_new(), early, after)
    assert _names(found) == {"in_the_way": ["early"], "deleted": [], "cancelled": []}
    assert found.in_the_way[0].overlaps_with[0].name == "Planning"


def test_free_and_cancelled_bookings_hold_nothing() -> None:
    """Free and cancelled bookings leave the room free, as clearing treats them."""
    free = booking("free", *NEW_AT, None, transparency=Transparency.TRANSPARENT)
    gone = booking("gone", *NEW_AT, None, status=EventStatus.CANCELLED)
    assert _names(check(_new(), free, gone)) == {
        "in_the_way": [],
        "deleted": [],
        "cancelled": [],
    }


def test_a_prioritised_booking_takes_a_single_booking_and_one_occurrence() -> None:
    """The single booking goes whole; the series loses only 14 July."""
    single = booking("single", at(14, 10), at(14, 12), at(1, 8, 1))
    series = booking(
        "series", at(7, 10), at(7, 11), at(1, 8, 1), rrule="FREQ=WEEKLY;COUNT=4"
    )
    found = check(_new("[VIP] Board"), single, series)
    assert _names(found) == {
        "in_the_way": [],
        "deleted": ["single"],
        "cancelled": ["series"],
    }
    [lost] = found.takes.cancelled_occurrences
    assert lost.booking.recurrence_id == at(14, 10)
    assert lost.overlaps_with[0].name == "[VIP] Board"


def test_a_prioritised_booking_does_not_take_the_room_from_another() -> None:
    """Two prioritised bookings both stay when clearing: so the new one is refused."""
    vip = booking("[VIP] Audit", *NEW_AT, at(1, 8, 1))
    plain = booking("plain", *NEW_AT, at(1, 8, 1))
    found = check(_new("[VIP] Board"), vip, plain)
    assert _names(found)["in_the_way"] == ["[VIP] Audit"]
    assert found.takes.empty, "refused whole: nothing is taken"


def test_the_version_a_booking_replaces_is_not_in_its_way() -> None:
    """An upsert moving a booking does not clash with its own old version."""
    old = booking("new", at(14, 9), at(14, 11), at(1, 8, 1))
    assert check(_new(), old).in_the_way == ()


def test_a_transparent_booking_wants_nothing() -> None:
    """A booking shown as free takes no room, so nothing is in its way."""
    held = booking("held", *NEW_AT, at(1, 8, 1))
    assert check(_new(transparency=Transparency.TRANSPARENT), held).in_the_way == ()


def test_changes_since_the_last_cycle_update_the_synced_bookings() -> None:
    """Changed replace, deleted go, and a changed resource replaces all its parts."""
    synced = {
        "a": booking("a", *NEW_AT, None),
        "b": booking("b", *NEW_AT, None),
        "c/1": booking("c/1", *NEW_AT, None),
        "c/2": booking("c/2", *NEW_AT, None),
    }
    changed = booking("c/1", *NEW_AT, None, summary="moved")
    fresh = with_changes(
        synced, ChangeSet(changed=(changed,), deleted=("a",), cursor="next")
    )
    assert sorted((event.id, event.summary) for event in fresh) == [
        ("b", "b"),
        ("c/1", "moved"),
    ]
    listing = ChangeSet(changed=(changed,), deleted=(), cursor="x", complete=True)
    assert with_changes(synced, listing) == [changed]


def test_a_series_booking_meets_every_occurrence_in_its_span() -> None:
    """Weekly 10-11 from 7 July meets a booking on 21 July."""
    held = booking("held", at(21, 10), at(21, 11), at(1, 8, 1))
    series = booking("new", at(7, 10), at(7, 11), None, rrule="FREQ=WEEKLY")
    found = check_booking(
        [held],
        series,
        at(7, 10),
        datetime(2025, 9, 1, tzinfo=BERLIN),
        zone=BERLIN,
        priority=VIP,
    )
    assert [clash.booking.name for clash in found.in_the_way] == ["held"]


def test_an_unchanged_time_is_not_checked_again_but_a_moved_one_is() -> None:
    """A clash the booking already had does not refuse a new title; a move is checked.

    "new" already overlaps "held" (say both were written behind the integration's
    back); retitling it keeps its time and meets nothing, moving it meets "held".
    """
    held = booking("held", at(14, 10), at(14, 12), at(1, 8, 1))
    old = booking("new", *NEW_AT, at(1, 8, 2))
    assert check(_new("Renamed"), held, old).in_the_way == ()
    moved = booking("new", at(14, 11), at(14, 13), None)
    found = check_booking(
        [held, old], moved, at(14, 11), at(14, 13), zone=BERLIN, priority=VIP
    )
    assert [clash.booking.name for clash in found.in_the_way] == ["held"]


def test_prioritising_a_booking_checks_its_time_again() -> None:
    """Adding the marker to a booking makes it take the room from what it overlaps."""
    held = booking("held", *NEW_AT, at(1, 8, 1))
    old = booking("new", *NEW_AT, at(1, 8, 2))
    assert _names(check(_new("[VIP] Planning"), held, old))["deleted"] == ["held"]


def test_a_series_changed_in_one_occurrence_is_checked_there_alone() -> None:
    """Moving 21 July of a weekly series meets only what is at its new time.

    Its 14 July occurrence already overlapped "held": not the change's doing.
    """
    held = booking("held", at(14, 10), at(14, 11), at(1, 8, 1))
    later = booking("later", at(21, 15), at(21, 16), at(1, 8, 1))
    rule = {"rrule": "FREQ=WEEKLY;COUNT=3"}
    series = booking("new", at(7, 10), at(7, 11), at(1, 8, 2), **rule)
    moved = replace(
        series,
        overrides=(
            booking(
                "new",
                at(21, 15),
                at(21, 16),
                None,
                recurrence_id=at(21, 10),
            ),
        ),
    )
    span = (at(7, 10), datetime(2025, 9, 1, tzinfo=BERLIN))
    found = check_booking(
        [held, later, series], moved, *span, zone=BERLIN, priority=VIP
    )
    assert [clash.booking.name for clash in found.in_the_way] == ["later"]
