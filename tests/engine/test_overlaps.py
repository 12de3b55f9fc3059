"""The rules that decide which bookings of a room go (engine/overlaps.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from custom_components.shared_calendars.engine.model import (
    CopyMarker,
    Event,
    EventStatus,
    Transparency,
)
from custom_components.shared_calendars.engine.overlaps import (
    ClearPlan,
    Priority,
    plan_clear,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
WINDOW = (datetime(2025, 7, 1, tzinfo=BERLIN), datetime(2025, 9, 1, tzinfo=BERLIN))


def booking(
    uid: str,
    start: Any,
    end: Any,
    created: datetime | None,
    **fields: Any,
) -> Event:
    """Return a booking whose id and title are its UID."""
    fields.setdefault("summary", uid)
    return Event(id=uid, ical_uid=uid, start=start, end=end, created=created, **fields)


def at(day: int, hour: int, month: int = 7) -> datetime:
    """Return a time in 2025 in Berlin."""
    return datetime(2025, month, day, hour, tzinfo=BERLIN)


def clear(*events: Event, priority: Priority | None = None) -> ClearPlan:
    """Plan clearing the room of the window."""
    return plan_clear(list(events), *WINDOW, BERLIN, priority or Priority())


def names(plan: ClearPlan) -> dict[str, list[tuple[str, list[str]]]]:
    """Return the plan as titles: each loser with what it overlaps."""
    return {
        kind: [
            (clash.booking.name, [other.name for other in clash.overlaps_with])
            for clash in clashes
        ]
        for kind, clashes in (
            ("deleted", plan.deleted),
            ("cancelled_occurrences", plan.cancelled_occurrences),
            ("ignored", plan.ignored),
        )
    }


def test_the_original_example_deletes_the_newer_booking_and_one_occurrence() -> None:
    """Fundraising Weekly (all-day, newer) goes; one Job Interviews occurrence goes.

    Job Interviews runs weekly from 7 July; on 14 July it meets the older council.
    """
    finance = booking("Finance Monthly", at(15, 10), at(15, 12), at(14, 8, month=1))
    fundraising = booking(
        "Fundraising Weekly", date(2025, 7, 14), date(2025, 7, 19), at(9, 15)
    )
    council = booking(
        "Workers Council Meeting", at(14, 14), at(14, 15), at(10, 12, month=2)
    )
    interviews = booking(
        "Job Interviews",
        at(7, 14),
        at(7, 15),
        at(30, 12, month=6),
        rrule="FREQ=WEEKLY;COUNT=4",
    )
    # Meeting room 1, then meeting room 2.
    assert names(clear(finance, fundraising)) == {
        "deleted": [("Fundraising Weekly", ["Finance Monthly"])],
        "cancelled_occurrences": [],
        "ignored": [],
    }
    plan = clear(council, interviews)
    assert names(plan) == {
        "deleted": [],
        "cancelled_occurrences": [("Job Interviews", ["Workers Council Meeting"])],
        "ignored": [],
    }
    occurrence = plan.cancelled_occurrences[0].booking
    assert occurrence.recurrence_id == at(14, 14)
    assert occurrence.event is interviews
    assert plan.cancelled == ()


def test_first_created_keeps_the_room_whatever_the_order_of_the_calendar() -> None:
    """Age decides, not which booking starts first nor the listing order."""
    older = booking("older", at(3, 10), at(3, 12), at(1, 9))
    newer = booking("newer", at(3, 9), at(3, 11), at(2, 9))
    for events in ((older, newer), (newer, older)):
        assert names(clear(*events))["deleted"] == [("newer", ["older"])]


def test_bookings_that_only_touch_do_not_overlap() -> None:
    """One ending at 10:00 and one starting at 10:00 both keep the room."""
    plan = clear(
        booking("a", at(3, 9), at(3, 10), at(1, 9)),
        booking("b", at(3, 10), at(3, 11), at(2, 9)),
    )
    assert plan.empty
    assert plan.ignored == ()


def test_a_booking_without_a_creation_time_loses_to_a_dated_one() -> None:
    """It cannot prove it came first."""
    plan = clear(
        booking("undated", at(3, 9), at(3, 10), None),
        booking("dated", at(3, 9), at(3, 10), at(2, 9)),
    )
    assert names(plan)["deleted"] == [("undated", ["dated"])]


def test_cancelled_bookings_are_deleted_and_block_nothing() -> None:
    """A cancelled booking is deleted; the booking it overlapped stays."""
    cancelled = booking(
        "cancelled", at(3, 9), at(3, 10), at(1, 9), status=EventStatus.CANCELLED
    )
    later = booking("later", at(3, 9), at(3, 10), at(2, 9))
    outside = booking(
        "outside",
        at(3, 9, month=10),
        at(3, 10, month=10),
        at(1, 9),
        status=EventStatus.CANCELLED,
    )
    plan = clear(cancelled, later, outside)
    assert plan.cancelled == (cancelled,)
    assert plan.deleted == ()


def test_a_cancelled_series_is_deleted_when_an_occurrence_falls_in_the_window() -> None:
    """The window is asked of its occurrences, as if it took place."""
    series = booking(
        "series",
        at(1, 9, month=6),
        at(1, 10, month=6),
        at(1, 9, month=5),
        rrule="FREQ=WEEKLY",
        status=EventStatus.CANCELLED,
    )
    assert clear(series).cancelled == (series,)


def test_a_series_own_cancelled_occurrence_is_not_a_cancelled_booking() -> None:
    """What an earlier clearing cancelled stays cancelled, and is not reported again."""
    series = booking(
        "series", at(7, 14), at(7, 15), at(1, 9), rrule="FREQ=WEEKLY;COUNT=3"
    )
    occurrence = booking(
        "series",
        at(14, 14),
        at(14, 15),
        at(1, 9),
        recurrence_id=at(14, 14),
        status=EventStatus.CANCELLED,
    )
    series = Event(**{**_fields(series), "overrides": (occurrence,)})
    other = booking("other", at(14, 14), at(14, 15), at(2, 9))
    plan = clear(series, other)
    assert plan.empty
    assert plan.ignored == ()


def _fields(event: Event) -> dict[str, Any]:
    return {name: getattr(event, name) for name in Event.__slots__}


def test_a_prioritised_booking_beats_an_older_one() -> None:
    """The marker in the title or the description, or an organiser on the list."""
    older = booking("older", at(3, 9), at(3, 10), at(1, 9))
    for prioritised in (
        booking("Board [VIP]", at(3, 9), at(3, 10), at(2, 9)),
        booking("board", at(3, 9), at(3, 10), at(2, 9), description="[vip] ceo"),
        booking("board", at(3, 9), at(3, 10), at(2, 9), organizer="CEO@org.example"),
    ):
        plan = clear(
            older,
            prioritised,
            priority=Priority(marker="[VIP]", organizers=("ceo@org.example",)),
        )
        assert names(plan)["deleted"] == [("older", [prioritised.summary])]


def test_without_a_marker_nothing_is_prioritised() -> None:
    """An empty marker matches no title."""
    older = booking("older", at(3, 9), at(3, 10), at(1, 9))
    newer = booking("newer", at(3, 9), at(3, 10), at(2, 9))
    assert names(clear(older, newer, priority=Priority(marker="  ")))["deleted"] == [
        ("newer", ["older"])
    ]


def test_two_prioritised_bookings_both_stay_and_are_reported_as_ignored() -> None:
    """And a third, not prioritised, loses to both."""
    priority = Priority(marker="!")
    first = booking("first!", at(3, 9), at(3, 11), at(1, 9))
    second = booking("second!", at(3, 10), at(3, 12), at(2, 9))
    third = booking("third", at(3, 10), at(3, 11), at(0 + 1, 8))
    plan = clear(first, second, third, priority=priority)
    assert names(plan) == {
        "deleted": [("third", ["first!", "second!"])],
        "cancelled_occurrences": [],
        "ignored": [("second!", ["first!"])],
    }


def test_a_lost_booking_blocks_nobody() -> None:
    """A chain: B loses to A, so C (overlapping only B) keeps the room."""
    a = booking("a", at(3, 9), at(3, 10), at(1, 9))
    b = booking(
        "b",
        at(
            3,
            9,
        ),
        at(3, 12),
        at(2, 9),
    )
    c = booking("c", at(3, 11), at(3, 12), at(3, 9))
    assert names(clear(a, b, c))["deleted"] == [("b", ["a"])]


def test_a_series_loses_only_its_overlapping_occurrences() -> None:
    """Two of four weekly occurrences clash with an older booking each."""
    series = booking(
        "weekly", at(7, 14), at(7, 15), at(30, 9, month=6), rrule="FREQ=WEEKLY;COUNT=4"
    )
    first = booking("first", at(14, 14), at(14, 16), at(1, 9, month=1))
    second = booking(
        "second",
        at(28, 13),
        at(
            28,
            14,
        )
        + timedelta(minutes=1),
        at(1, 9, month=1),
    )
    plan = clear(series, first, second)
    assert [clash.booking.recurrence_id for clash in plan.cancelled_occurrences] == [
        at(14, 14),
        at(28, 14),
    ]
    assert plan.deleted == ()


def test_an_older_series_takes_the_room_from_a_newer_single_booking() -> None:
    """The single booking is deleted; the series keeps all its occurrences."""
    series = booking(
        "weekly", at(7, 14), at(7, 15), at(1, 9, month=1), rrule="FREQ=WEEKLY"
    )
    single = booking("single", at(21, 14), at(21, 15), at(1, 9))
    plan = clear(series, single)
    assert names(plan)["deleted"] == [("single", ["weekly"])]
    assert plan.deleted[0].overlaps_with[0].recurrence_id == at(21, 14)


def test_a_moved_occurrence_is_judged_where_it_now_is() -> None:
    """The override moved to 16:00 no longer overlaps the 14:00 booking."""
    series = booking(
        "weekly", at(7, 14), at(7, 15), at(30, 9, month=6), rrule="FREQ=WEEKLY;COUNT=3"
    )
    moved = booking(
        "weekly", at(14, 16), at(14, 17), at(30, 9, month=6), recurrence_id=at(14, 14)
    )
    series = Event(**{**_fields(series), "overrides": (moved,)})
    other = booking("other", at(14, 14), at(14, 15), at(1, 9, month=1))
    assert clear(series, other).empty
    late = booking("late", at(14, 16), at(14, 17), at(1, 9, month=1))
    plan = clear(series, late)
    assert [clash.booking.recurrence_id for clash in plan.cancelled_occurrences] == [
        at(14, 14)
    ]


def test_time_zones_compare_as_instants() -> None:
    """9:00 in New York is 15:00 in Berlin."""
    berlin = booking("berlin", at(3, 15), at(3, 16), at(1, 9))
    new_york = booking(
        "new york",
        datetime(2025, 7, 3, 9, 30, tzinfo=NEW_YORK),
        datetime(2025, 7, 3, 10, tzinfo=NEW_YORK),
        datetime(2025, 7, 2, tzinfo=UTC),
    )
    assert names(clear(berlin, new_york))["deleted"] == [("new york", ["berlin"])]
    earlier = booking(
        "earlier",
        datetime(2025, 7, 3, 8, tzinfo=NEW_YORK),
        datetime(2025, 7, 3, 9, tzinfo=NEW_YORK),
        datetime(2025, 7, 2, tzinfo=UTC),
    )
    assert clear(berlin, earlier).empty


def test_all_day_bookings_fill_their_days_in_the_rooms_time_zone() -> None:
    """An all-day booking on the 3rd overlaps 23:30 on the 3rd, not 00:30 on the 4th."""
    day = booking("day", date(2025, 7, 3), date(2025, 7, 4), at(1, 9))
    late = booking("late", at(3, 23) + timedelta(minutes=30), at(4, 0), at(2, 9))
    after = booking("after", at(4, 0) + timedelta(minutes=30), at(4, 1), at(2, 9))
    assert names(clear(day, late, after))["deleted"] == [("late", ["day"])]


def test_free_bookings_and_copies_take_no_part() -> None:
    """A transparent booking leaves the room free; a copy is the sync's, not a booking."""
    older = booking("older", at(3, 9), at(3, 10), at(1, 9))
    free = booking(
        "free", at(3, 9), at(3, 10), at(2, 9), transparency=Transparency.TRANSPARENT
    )
    copy = booking(
        "copy", at(3, 9), at(3, 10), at(2, 9), copy_of=CopyMarker(source="uid:x")
    )
    assert clear(older, free, copy).empty


def test_bookings_outside_the_window_are_left_alone() -> None:
    """Both in September: the window ends on 1 September."""
    plan = clear(
        booking("a", at(3, 9, month=9), at(3, 10, month=9), at(1, 9)),
        booking("b", at(3, 9, month=9), at(3, 10, month=9), at(2, 9)),
    )
    assert plan.empty


def test_the_plan_is_the_same_for_any_order_of_the_events() -> None:
    """Equal creation times: the UID settles who keeps the room, every time."""
    same = at(1, 9)
    events = [booking(uid, at(3, 9), at(3, 10), same) for uid in "dcba"]
    expected = names(clear(*events))
    assert expected["deleted"] == [("b", ["a"]), ("c", ["a"]), ("d", ["a"])]
    assert names(clear(*reversed(events))) == expected
