"""Emptied and half-emptied calendars: held back whole until the user answers."""

from custom_components.shared_calendars.engine.model import ChangeSet, Event, Member
from custom_components.shared_calendars.engine.plan import (
    DeleteCopy,
    ForgetCopy,
    PutCopy,
    plan,
)
from custom_components.shared_calendars.engine.state import Confirm, Loss, SyncState

from .factories import event, listing, member, seed
from .test_plan import _apply


def _events(count: int, prefix: str = "e") -> list[Event]:
    return [event(f"{prefix}{n}", f"Event {n}", hours=n) for n in range(count)]


def _deleting(events: list[Event], *, cursor: str = "c2") -> ChangeSet:
    return ChangeSet(
        changed=(), deleted=tuple(event.id for event in events), cursor=cursor
    )


def _source(count: int) -> tuple[SyncState, Member, list[Event]]:
    anna = member("Anna")
    state = SyncState()
    events = _events(count)
    seed(state, anna.sources[0], *events)
    state.pending.clear()
    return state, anna, events


def test_source_of_twenty_losing_eleven_is_held_back_whole() -> None:
    """More than half of at least twenty: nothing applied, cursor and mirror kept."""
    state, anna, events = _source(20)
    key = anna.sources[0].key

    result = state.apply(key, _deleting(events[:11]))

    assert result.held_back == Loss(held=20, gone=11, copies=False)
    assert result.groups == frozenset()
    assert state.calendar(key).cursor == "c1"
    assert len(state.calendar(key).events) == 20
    assert state.pending == set()


def test_source_of_twenty_losing_ten_is_applied() -> None:
    """Half of twenty is an ordinary clean-up."""
    state, anna, events = _source(20)
    key = anna.sources[0].key

    result = state.apply(key, _deleting(events[:10]))

    assert result.held_back is None
    assert len(result.groups) == 10
    assert len(state.calendar(key).events) == 10
    assert state.calendar(key).cursor == "c2"


def test_source_of_nineteen_answering_empty_is_held_back() -> None:
    """A listing with nothing in it, of a calendar that held nineteen events."""
    state, anna, _ = _source(19)

    result = state.apply(anna.sources[0].key, listing(cursor="c9"))

    assert result.held_back == Loss(held=19, gone=19, copies=False)
    assert len(state.calendar(anna.sources[0].key).events) == 19


def test_source_of_nineteen_losing_eighteen_is_applied() -> None:
    """Below twenty only losing everything looks emptied."""
    state, anna, events = _source(19)

    result = state.apply(anna.sources[0].key, _deleting(events[:18]))

    assert result.held_back is None
    assert len(state.calendar(anna.sources[0].key).events) == 1


def test_source_of_two_losing_both_is_held_back_but_one_may_lose_its_only_event() -> (
    None
):
    """Emptied means several events gone; deleting one's only event is ordinary."""
    state, anna, events = _source(2)
    assert state.apply(anna.sources[0].key, _deleting(events)).held_back == Loss(
        held=2, gone=2, copies=False
    )

    state, anna, events = _source(1)
    assert state.apply(anna.sources[0].key, _deleting(events)).held_back is None
    assert state.calendar(anna.sources[0].key).events == {}


def test_held_back_source_waits_for_an_answer_however_many_cycles_pass() -> None:
    """No time rule: the hundredth cycle holds the same change set back."""
    state, anna, _ = _source(5)
    key = anna.sources[0].key

    for _ in range(100):
        assert state.apply(key, listing(cursor="c9")).held_back is not None
    assert len(state.calendar(key).events) == 5
    assert state.calendar(key).cursor == "c1"


def test_events_added_to_a_held_back_source_wait_with_the_rest() -> None:
    """The change set waits whole: what it adds arrives once it is answered."""
    state, anna, events = _source(20)
    key = anna.sources[0].key
    added = event("new", "New", hours=30)
    change = ChangeSet(
        changed=(added,), deleted=tuple(e.id for e in events[:15]), cursor="c2"
    )

    assert state.apply(key, change).held_back is not None
    assert "new" not in state.calendar(key).events

    result = state.apply(key, change, confirm=Confirm.EMPTIED)
    assert result.held_back is None
    assert set(state.calendar(key).events) == {"new"} | {e.id for e in events[15:]}
    assert state.calendar(key).cursor == "c2"


def test_calendar_that_lists_its_events_again_is_taken_in_as_usual() -> None:
    """A broken server that recovers: the full listing changes nothing."""
    state, anna, events = _source(20)
    key = anna.sources[0].key
    assert state.apply(key, listing(cursor="c9")).held_back is not None

    result = state.apply(key, listing(*events, cursor="c10"))

    assert result.held_back is None
    assert len(state.calendar(key).events) == 20
    assert state.calendar(key).cursor == "c10"


def test_confirmed_emptying_removes_every_copy() -> None:
    """Once the user confirms, the copies of the vanished events go."""
    anna, ben = member("Anna"), member("Ben")
    state = SyncState()
    events = _events(3)
    _apply(
        state, plan([anna, ben], state, seed(state, anna.sources[0], *events)).actions
    )
    key = anna.sources[0].key
    assert state.apply(key, listing(cursor="c9")).held_back is not None
    assert plan([anna, ben], state, state.all_groups()).actions == ()

    result = state.apply(key, listing(cursor="c9"), confirm=Confirm.EMPTIED)

    actions = plan([anna, ben], state, result.groups).actions
    assert [type(a) for a in actions] == [DeleteCopy] * 3


def test_unguarded_change_applies_even_an_emptying() -> None:
    """What the user deletes through Home Assistant is taken at their word."""
    state, anna, events = _source(3)

    result = state.apply(anna.sources[0].key, _deleting(events), guard_empty=False)

    assert result.held_back is None
    assert state.calendar(anna.sources[0].key).events == {}


def _combined(copies: int) -> tuple[SyncState, list[Member], str]:
    """Anna shares `copies` events; Ben's combined calendar holds their copies."""
    anna, ben = member("Anna"), member("Ben")
    state = SyncState()
    groups = seed(state, anna.sources[0], *_events(copies))
    _apply(state, plan([anna, ben], state, groups).actions)
    assert ben.combined is not None
    state.pending.clear()
    return state, [anna, ben], ben.combined.key


def test_combined_calendar_answering_empty_hides_no_copy() -> None:
    """137 copies gone in one answer: held back, none marked deleted by the member."""
    state, members, key = _combined(137)

    result = state.apply(key, listing(cursor="c9"))

    assert result.held_back == Loss(held=137, gone=137, copies=True)
    assert not any(record.hidden for record in state.copies.values())
    assert len(state.calendar(key).events) == 137
    assert plan(members, state, state.all_groups()).actions == ()


def test_confirmed_emptied_combined_calendar_gets_its_copies_again() -> None:
    """The sensible answer to an emptied combined calendar: write the copies again."""
    state, members, key = _combined(25)
    emptied = listing(cursor="c9")
    assert state.apply(key, emptied).held_back is not None

    result = state.apply(key, emptied, confirm=Confirm.EMPTIED)

    assert not any(record.hidden for record in state.copies.values())
    actions = plan(members, state, result.groups).actions
    assert len(actions) == 25
    assert all(isinstance(a, PutCopy) and a.target.key == key for a in actions)


def test_copies_confirmed_as_deleted_by_the_member_stay_away() -> None:
    """The other answer: every vanished copy counts as deleted by the member."""
    state, members, key = _combined(25)

    result = state.apply(key, listing(cursor="c9"), confirm=Confirm.DELETED_BY_MEMBER)

    assert sum(record.hidden for record in state.copies.values()) == 25
    assert plan(members, state, result.groups).actions == ()


def test_member_deleting_half_of_twenty_copies_hides_them_at_once() -> None:
    """Below the threshold a member's deletions are their choice, as before."""
    state, members, key = _combined(20)
    copies = list(state.calendar(key).events.values())

    result = state.apply(key, _deleting(copies[:10]))

    assert result.held_back is None
    assert sum(record.hidden for record in state.copies.values()) == 10
    assert plan(members, state, result.groups).actions == ()


def test_copies_whose_originals_are_gone_may_vanish_together() -> None:
    """Deletions of ours that a crash kept from the ledger are no emptying."""
    state, members, key = _combined(3)
    anna = members[0].sources[0].key
    state.apply(anna, listing(cursor="c9"), confirm=Confirm.EMPTIED)

    result = state.apply(key, listing(cursor="c9"))

    assert result.held_back is None
    assert state.calendar(key).events == {}
    actions = plan(members, state, state.all_groups()).actions
    assert len(actions) == 3
    assert all(isinstance(action, ForgetCopy) for action in actions)


def test_originals_and_copies_in_one_calendar_count_apart() -> None:
    """Losing both originals of a calendar that also holds many copies looks emptied."""
    state, _, key = _combined(30)
    originals = _events(2, prefix="own")
    state.apply(key, ChangeSet(changed=tuple(originals), deleted=(), cursor="c3"))

    result = state.apply(key, _deleting(originals, cursor="c4"))

    assert result.held_back == Loss(held=2, gone=2, copies=False)
