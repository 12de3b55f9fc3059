"""The planner's rules: who receives what, how it looks, and when copies go."""

from dataclasses import replace
from datetime import UTC, date, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from custom_components.shared_calendars.engine.content import fingerprint
from custom_components.shared_calendars.engine.ids import copy_id
from custom_components.shared_calendars.engine.model import (
    ChangeSet,
    CopyMarker,
    Event,
    EventColor,
    EventStatus,
    Member,
    MemberPolicy,
    Privacy,
    SyncWindow,
    Transparency,
)
from custom_components.shared_calendars.engine.occurrences import occurrences
from custom_components.shared_calendars.engine.plan import (
    DeleteCopy,
    ForgetCopy,
    PlanOptions,
    PutCopy,
    plan,
)
from custom_components.shared_calendars.engine.state import CopyRecord, SyncState
from custom_components.shared_calendars.engine.write_back import PutOriginal

from ..stored import kept, reloaded
from .factories import T0, event, member, seed

BERLIN = ZoneInfo("Europe/Berlin")


def _puts(actions: tuple[object, ...]) -> dict[str, PutCopy]:
    return {a.target.calendar_id: a for a in actions if isinstance(a, PutCopy)}


def _apply(state: SyncState, actions: tuple[object, ...]) -> None:
    """Carry out actions the way the cycle does, with a perfect calendar."""
    for action in actions:
        if isinstance(action, PutCopy):
            state.record_put(action.record, action.event)
        elif isinstance(action, DeleteCopy):
            state.record_delete(action.target, action.event_id)
        elif isinstance(action, ForgetCopy):
            state.forget_copy(action.target, action.event_id)


def test_event_is_copied_to_every_other_member_but_not_back() -> None:
    """Anna's event reaches Ben and Cleo, not Anna's own combined calendar."""
    anna, ben, cleo = member("Anna"), member("Ben"), member("Cleo")
    state = SyncState()
    groups = seed(state, anna.sources[0], event("e1"))

    result = plan([anna, ben, cleo], state, groups)

    puts = _puts(result.actions)
    assert set(puts) == {"ben-combined", "cleo-combined"}
    copy = puts["ben-combined"].event
    assert copy.summary == "Dentist"
    assert copy.copy_of == CopyMarker(source="uid:e1@example.com")
    assert copy.id == copy_id("uid:e1@example.com", ben.combined.key)  # type: ignore[union-attr]
    assert copy.organizer is None


def test_receive_own_sends_a_members_events_back_to_them() -> None:
    """With receive_own, the originator's combined calendar gets the event too."""
    anna = member("Anna", policy=MemberPolicy(receive_own=True))
    ben = member("Ben")
    state = SyncState()
    groups = seed(state, anna.sources[0], event("e1"))

    assert set(_puts(plan([anna, ben], state, groups).actions)) == {
        "anna-combined",
        "ben-combined",
    }


def test_busy_only_hides_title_description_and_location() -> None:
    """A busy-only member's copies say Busy and nothing else."""
    anna = member(
        "Anna", policy=MemberPolicy(privacy=Privacy.BUSY_ONLY, title_prefix="Anna: ")
    )
    ben = member("Ben")
    state = SyncState()
    groups = seed(
        state,
        anna.sources[0],
        event("e1", "Therapy", description="room 4", location="Main St"),
    )

    copy = _puts(plan([anna, ben], state, groups).actions)["ben-combined"].event
    assert (copy.summary, copy.description, copy.location) == ("Anna: Busy", "", "")


def test_prefix_and_colour_apply_to_series_and_occurrences() -> None:
    """The title prefix and the member's colour mark every part of a series copy."""
    anna = member(
        "Anna", policy=MemberPolicy(title_prefix="Anna: ", color=EventColor.TOMATO)
    )
    ben = member("Ben")
    series = event(
        "s1",
        "Yoga",
        rrule="FREQ=WEEKLY;BYDAY=MO",
        overrides=(
            event("s1", "Yoga (moved)", hours=2, recurrence_id=T0 + timedelta(days=7)),
        ),
    )
    state = SyncState()
    groups = seed(state, anna.sources[0], series)

    copy = _puts(plan([anna, ben], state, groups).actions)["ben-combined"].event
    assert copy.summary == "Anna: Yoga"
    assert copy.color is EventColor.TOMATO
    assert copy.rrule == "FREQ=WEEKLY;BYDAY=MO"
    assert [o.summary for o in copy.overrides] == ["Anna: Yoga (moved)"]
    assert copy.overrides[0].copy_of is None


def test_filters_skip_all_day_free_tentative_cancelled_and_keywords() -> None:
    """Each filter keeps its kind of event from the others."""
    policy = MemberPolicy(
        skip_all_day=True,
        skip_free=True,
        skip_tentative=True,
        include_keywords=("work", "gym"),
        exclude_keywords=("private",),
    )
    anna, ben = member("Anna", policy=policy), member("Ben")
    all_day = event("a", "Work day", start=date(2026, 11, 23), end=date(2026, 11, 24))
    state = SyncState()
    groups = seed(
        state,
        anna.sources[0],
        all_day,
        event("b", "Work lunch", transparency=Transparency.TRANSPARENT),
        event("c", "Gym maybe", status=EventStatus.TENTATIVE),
        event("d", "Work cancelled", status=EventStatus.CANCELLED),
        event("e", "Dinner"),
        event("f", "Work private review"),
        event("g", "GYM class"),
    )

    result = plan([anna, ben], state, groups)
    assert [a.event.summary for a in result.actions if isinstance(a, PutCopy)] == [
        "GYM class"
    ]
    assert result.skipped_by_filter == 6


def test_window_bounds_single_events_but_keeps_whole_series() -> None:
    """Events outside the window are skipped; a series that began long ago is kept."""
    anna, ben = member("Anna"), member("Ben")
    window = SyncWindow(start=T0 - timedelta(days=30), end=T0 + timedelta(days=365))
    old = event("old", hours=-24 * 60)
    far = event("far", hours=24 * 400)
    series = event("series", hours=-24 * 400, rrule="FREQ=YEARLY")
    state = SyncState()
    groups = seed(state, anna.sources[0], old, far, series, event("now"))

    result = plan([anna, ben], state, groups, PlanOptions(window=window))
    assert sorted(a.group for a in result.actions if isinstance(a, PutCopy)) == [
        "uid:now@example.com",
        "uid:series@example.com",
    ]


def _co_held(
    *names: str, **policies: MemberPolicy
) -> tuple[list[Member], SyncState, set[str]]:
    """Return members, and a state where the first two hold one invitation (one UID)."""
    members = [member(name, policy=policies.get(name)) for name in names]
    state = SyncState()
    meeting = event("m1", "Planning")
    groups = seed(state, members[0].sources[0], meeting) | seed(
        state, members[1].sources[0], replace(meeting, id="other-id")
    )
    return members, state, groups


def test_shared_invitation_reaches_only_those_who_do_not_hold_it() -> None:
    """An invitation in Anna's and Ben's calendars is one copy for Cleo, naming both.

    Anna and Ben have it in their own calendars already: neither gets the other's.
    """
    members, state, groups = _co_held("Anna", "Ben", "Cleo")

    puts = _puts(plan(members, state, groups).actions)
    assert list(puts) == ["cleo-combined"]
    assert puts["cleo-combined"].event.summary == "Planning (Anna, Ben)"


def test_receive_own_brings_a_shared_invitation_back_to_its_holder() -> None:
    """A holder who asks for their own events back gets the meeting, named with both."""
    members, state, groups = _co_held(
        "Anna", "Ben", "Cleo", Anna=MemberPolicy(receive_own=True)
    )

    puts = _puts(plan(members, state, groups).actions)
    assert {target: put.event.summary for target, put in puts.items()} == {
        "anna-combined": "Planning (Anna, Ben)",
        "cleo-combined": "Planning (Anna, Ben)",
    }


def test_a_holder_who_does_not_share_the_invitation_still_gets_no_copy() -> None:
    """Filters decide what a member shares, not what their own calendar holds."""
    members, state, groups = _co_held(
        "Anna", "Ben", "Cleo", Anna=MemberPolicy(exclude_keywords=("planning",))
    )

    result = plan(members, state, groups)
    puts = _puts(result.actions)
    assert {target: put.event.summary for target, put in puts.items()} == {
        "cleo-combined": "Planning"  # Ben's version only
    }
    assert result.skipped_by_filter == 1


def test_a_holder_who_leaves_the_invitation_receives_it_from_the_other() -> None:
    """When Ben removes the meeting, he gets Anna's copy; copies held before go."""
    members, state, groups = _co_held("Anna", "Ben", "Cleo")
    anna, ben, cleo = members
    _apply(state, plan(members, state, groups).actions)
    assert ben.combined is not None
    # A copy written for Anna before holders were left out: it goes as well.
    assert anna.combined is not None
    stale = replace(
        event(copy_id("uid:m1@example.com", anna.combined.key), "Planning"),
        copy_of=CopyMarker(source="uid:m1@example.com"),
    )
    seed(state, anna.combined, stale)
    state.copies[(anna.combined.key, stale.id)] = CopyRecord(
        group="uid:m1@example.com", target=anna.combined, fingerprint="old"
    )

    touched = state.apply(
        ben.sources[0].key,
        ChangeSet(changed=(), deleted=("other-id",), cursor="c2"),
        guard_empty=False,
    ).groups
    result = plan(members, state, touched)
    puts = _puts(result.actions)
    assert {target: put.event.summary for target, put in puts.items()} == {
        "ben-combined": "Planning",
        "cleo-combined": "Planning",
    }
    assert [
        (type(a), a.target.calendar_id)
        for a in result.actions
        if not isinstance(a, PutCopy)
    ] == [(DeleteCopy, "anna-combined")]
    _apply(state, result.actions)
    assert plan([anna, ben, cleo], state, state.all_groups()).actions == ()


def test_a_lone_occurrence_is_copied_as_a_single_event() -> None:
    """An invitation to one occurrence of another's series loses its recurrence id.

    No calendar holds an override without its series (Google drops the id), so a
    copy that kept it would differ from what the calendar reads back, every cycle.
    """
    anna, ben = member("Anna"), member("Ben")
    occurrence = event(
        "series-elsewhere",
        "Board meeting",
        hours=2,
        recurrence_id=T0 + timedelta(days=7),
        location="Room 1",
    )
    state = SyncState()
    groups = seed(state, anna.sources[0], occurrence)

    (put,) = _puts(plan([anna, ben], state, groups).actions).values()
    copy = put.event
    assert copy.recurrence_id is None
    assert (copy.summary, copy.start, copy.end, copy.location) == (
        "Board meeting",
        occurrence.start,
        occurrence.end,
        "Room 1",
    )
    assert not copy.recurring
    _apply(state, (put,))
    assert ben.combined is not None
    # The calendar reads the copy back as it was written: nothing to do next cycle.
    touched = state.apply(
        ben.combined.key,
        ChangeSet(changed=(copy,), deleted=(), cursor="b2"),
        guard_empty=False,
    ).groups
    assert plan([anna, ben], state, touched | groups).actions == ()


def _board(key: str, week: int, summary: str = "Board", **fields: object) -> Event:
    """Return occurrence `week` of someone else's weekly 9:00 board meeting."""
    original = T0 + timedelta(weeks=week)
    values: dict[str, object] = {"recurrence_id": original, "ical_uid": "board@x"}
    values.update(fields)
    return event(key, summary, hours=week * 24 * 7, **values)


def test_occurrences_invited_to_together_are_copied_as_a_series_of_those_dates() -> (
    None
):
    """One calendar object with two occurrences of a series: one copy, both dates.

    The second differs (a room of its own), so it is an override of its date.
    """
    anna, ben = member("Anna"), member("Ben")
    first = _board("b", 1)
    second = _board("b", 3, location="Room 2")
    state = SyncState()
    groups = seed(state, anna.sources[0], replace(first, overrides=(second,)))

    copy = _puts(plan([anna, ben], state, groups).actions)["ben-combined"].event
    assert (copy.start, copy.recurrence_id, copy.rdate) == (
        first.start,
        None,
        (second.start,),
    )
    assert [(o.recurrence_id, o.location) for o in copy.overrides] == [
        (second.start, "Room 2")
    ]
    shown = occurrences(copy, T0, T0 + timedelta(weeks=5), UTC)
    assert [(o.start, o.end, o.event.location) for o in shown] == [
        (first.start, first.end, ""),
        (second.start, second.end, "Room 2"),
    ]


def test_occurrences_members_were_invited_to_apart_are_one_copy_naming_each() -> None:
    """Anna has weeks 1 and 2 of a series, Ben weeks 2 and 3: Cleo gets all three.

    Each occurrence carries the names of who has it; the same-looking dates are
    plain dates of the series, the others overrides.
    """
    anna = member("Anna", policy=MemberPolicy(title_prefix="Anna: "))
    ben = member("Ben", policy=MemberPolicy(title_prefix="Ben: "))
    cleo = member("Cleo")
    state = SyncState()
    groups = seed(state, anna.sources[0], _board("a1", 1), _board("a2", 2)) | seed(
        state, ben.sources[0], _board("b2", 2), _board("b3", 3)
    )

    copy = _puts(plan([anna, ben, cleo], state, groups).actions)["cleo-combined"].event
    shown = occurrences(copy, T0, T0 + timedelta(weeks=5), UTC)
    assert [(o.start, o.event.summary) for o in shown] == [
        (T0 + timedelta(weeks=1), "Anna: Board"),
        (T0 + timedelta(weeks=2), "Board (Anna, Ben)"),
        (T0 + timedelta(weeks=3), "Ben: Board"),
    ]
    assert copy.recurrence_id is None
    assert all(o.recurrence_id == o.start for o in copy.overrides)


def test_a_whole_series_leads_over_one_occurrence_of_it() -> None:
    """Ben has only one occurrence of the series Anna has whole: Cleo gets the series."""
    anna, ben, cleo = member("Anna"), member("Ben"), member("Cleo")
    series = event("s", "Board", ical_uid="board@x", rrule="FREQ=WEEKLY;COUNT=4")
    state = SyncState()
    groups = seed(state, ben.sources[0], _board("b1", 1)) | seed(
        state, anna.sources[0], series
    )

    copy = _puts(plan([ben, anna, cleo], state, groups).actions)["cleo-combined"].event
    assert (copy.rrule, copy.summary, copy.recurrence_id) == (
        "FREQ=WEEKLY;COUNT=4",
        "Board (Anna, Ben)",
        None,
    )


def test_a_copy_is_never_copied_again() -> None:
    """A combined calendar configured as a source by mistake adds no copies of copies."""
    anna, ben = member("Anna"), member("Ben")
    state = SyncState()
    groups = seed(state, anna.sources[0], event("e1"))
    _apply(
        state, plan([anna, ben], state, groups).actions
    )  # Ben's calendar has the copy
    assert ben.combined is not None
    confused = replace(anna, sources=(*anna.sources, ben.combined))

    assert plan([confused, ben], state, state.all_groups()).actions == ()


def test_unchanged_copies_cost_nothing_and_changes_update_them() -> None:
    """After a cycle, planning again is empty; a content change updates every copy."""
    anna, ben, cleo = member("Anna"), member("Ben"), member("Cleo")
    state = SyncState()
    groups = seed(state, anna.sources[0], event("e1"))
    _apply(state, plan([anna, ben, cleo], state, groups).actions)

    again = plan([anna, ben, cleo], state, groups)
    assert again.actions == ()
    assert again.unchanged == 2

    touched = state.apply(
        anna.sources[0].key,
        ChangeSet(
            changed=(event("e1", "Dentist", updated=T0),), deleted=(), cursor="c2"
        ),
        guard_empty=True,
    ).groups
    assert plan([anna, ben, cleo], state, touched).actions == ()  # only `updated` moved

    touched = state.apply(
        anna.sources[0].key,
        ChangeSet(
            changed=(event("e1", "Dentist (moved)", hours=1),), deleted=(), cursor="c3"
        ),
        guard_empty=True,
    ).groups
    puts = _puts(plan([anna, ben, cleo], state, touched).actions)
    assert {p.event.summary for p in puts.values()} == {"Dentist (moved)"}
    assert set(puts) == {"ben-combined", "cleo-combined"}


def test_deleted_source_event_removes_every_copy() -> None:
    """Deleting the original deletes each copy, and only copies."""
    anna, ben, cleo = member("Anna"), member("Ben"), member("Cleo")
    state = SyncState()
    groups = seed(state, anna.sources[0], event("e1"), event("e2"))
    _apply(state, plan([anna, ben, cleo], state, groups).actions)

    touched = state.apply(
        anna.sources[0].key,
        ChangeSet(changed=(), deleted=("e1",), cursor="c2"),
        guard_empty=True,
    ).groups
    result = plan([anna, ben, cleo], state, touched)
    assert {(a.target.calendar_id, type(a)) for a in result.actions} == {
        ("ben-combined", DeleteCopy),
        ("cleo-combined", DeleteCopy),
    }


def test_member_deleted_copy_stays_deleted_until_restored() -> None:
    """A copy the member deletes is not recreated, unless resync restores hidden copies."""
    anna, ben = member("Anna"), member("Ben")
    state = SyncState()
    groups = seed(state, anna.sources[0], event("e1"))
    _apply(state, plan([anna, ben], state, groups).actions)
    copy_event_id = next(iter(state.calendar(ben.combined.key).events))  # type: ignore[union-attr]

    touched = state.apply(
        ben.combined.key,  # type: ignore[union-attr]
        ChangeSet(changed=(), deleted=(copy_event_id,), cursor="b2"),
        guard_empty=False,
    ).groups
    assert plan([anna, ben], state, touched).actions == ()
    assert state.copies[(ben.combined.key, copy_event_id)].hidden  # type: ignore[union-attr]

    restored = plan([anna, ben], state, touched, PlanOptions(restore_hidden=True))
    assert [type(a) for a in restored.actions] == [PutCopy]


def test_member_edited_copy_is_restored_from_the_source() -> None:
    """The combined calendar mirrors the sources: an edited copy is written back."""
    anna, ben = member("Anna"), member("Ben")
    state = SyncState()
    groups = seed(state, anna.sources[0], event("e1"))
    _apply(state, plan([anna, ben], state, groups).actions)
    copy = next(iter(state.calendar(ben.combined.key).events.values()))  # type: ignore[union-attr]

    touched = state.apply(
        ben.combined.key,  # type: ignore[union-attr]
        ChangeSet(
            changed=(replace(copy, summary="mine now"),), deleted=(), cursor="b2"
        ),
        guard_empty=False,
    ).groups
    puts = _puts(plan([anna, ben], state, touched).actions)
    assert puts["ben-combined"].event.summary == "Dentist"


def test_removed_member_loses_copies_in_their_calendar_unless_kept() -> None:
    """A member who leaves takes their copies along; or the ledger just forgets them."""
    anna, ben, cleo = member("Anna"), member("Ben"), member("Cleo")
    state = SyncState()
    groups = seed(state, anna.sources[0], event("e1"))
    _apply(state, plan([anna, ben, cleo], state, groups).actions)

    result = plan([anna, ben], state, state.all_groups())
    assert [(type(a), a.target.calendar_id) for a in result.actions] == [
        (DeleteCopy, "cleo-combined")
    ]
    kept = plan(
        [anna, ben],
        state,
        state.all_groups(),
        PlanOptions(keep_copies_of_removed_targets=True),
    )
    assert [type(a) for a in kept.actions] == [ForgetCopy]


def test_removed_originator_takes_their_events_from_everyone() -> None:
    """When Anna leaves, her events leave every combined calendar."""
    anna, ben = member("Anna"), member("Ben")
    state = SyncState()
    groups = seed(state, anna.sources[0], event("e1"))
    _apply(state, plan([anna, ben], state, groups).actions)

    result = plan([ben], state, state.all_groups())
    assert [(type(a), a.target.calendar_id) for a in result.actions] == [
        (DeleteCopy, "ben-combined")
    ]


def test_fingerprint_ignores_what_providers_rewrite() -> None:
    """A single event's zone, rule order, ids and stamps do not count; content does."""
    base = event("e1", rrule="FREQ=WEEKLY;BYDAY=MO")
    rewritten = replace(
        base,
        id="other",
        start=base.start.astimezone(ZoneInfo("Europe/Berlin")),  # type: ignore[union-attr]
        rrule="BYDAY=MO;FREQ=WEEKLY",
        updated=T0,
    )
    same_series = replace(
        rewritten, id="e1", rrule="FREQ=WEEKLY;BYDAY=MO", updated=None
    )
    assert fingerprint(rewritten) == fingerprint(same_series)
    single = event("e2")
    moved_zone = replace(single, start=single.start.astimezone(BERLIN))  # type: ignore[union-attr]
    assert fingerprint(moved_zone) == fingerprint(single)
    assert fingerprint(replace(base, summary="x")) != fingerprint(base)
    # A series in another zone is another series: its occurrences move with DST.
    assert fingerprint(rewritten) != fingerprint(base)


def test_state_survives_a_round_trip_through_the_status_database(
    tmp_path: Path,
) -> None:
    """What is saved is what comes back, indexes included."""
    anna, ben = member("Anna"), member("Ben")
    state = SyncState()
    groups = seed(
        state, anna.sources[0], event("e1", rrule="FREQ=DAILY", color=EventColor.SAGE)
    )
    _apply(state, plan([anna, ben], state, groups).actions)
    state.mark_pending({"uid:x"})

    again = reloaded(state, tmp_path / "state.db")
    assert kept(again) == kept(state)
    assert "uid:x" in again.pending
    assert plan([anna, ben], again, groups).actions == ()
    assert again.copies_of("uid:e1@example.com") == state.copies_of(
        "uid:e1@example.com"
    )
    assert isinstance(next(iter(again.copies.values())), CopyRecord)


def test_a_second_copy_under_another_id_is_deleted() -> None:
    """A copy of the group under an id the target no longer gets (an older scheme) goes."""
    anna, ben = member("Anna"), member("Ben")
    state = SyncState()
    groups = seed(state, anna.sources[0], event("e1"))
    _apply(state, plan([anna, ben], state, groups).actions)
    assert ben.combined is not None
    stray = event("old-scheme-id", copy_of=CopyMarker(source="uid:e1@example.com"))
    touched = state.apply(
        ben.combined.key,
        ChangeSet(changed=(stray,), deleted=(), cursor="b2"),
        guard_empty=False,
    ).groups

    result = plan([anna, ben], state, touched)
    assert [
        (type(a), a.event_id)
        for a in result.actions
        if not isinstance(a, PutCopy | PutOriginal)
    ] == [(DeleteCopy, "old-scheme-id")]
    assert not [a for a in result.actions if isinstance(a, PutCopy)]
