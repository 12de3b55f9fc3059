"""What a plan builds: one copy per group, however many members receive it."""

from dataclasses import replace

from custom_components.shared_calendars.engine.content import fingerprint
from custom_components.shared_calendars.engine.ids import copy_id, ical_uid_of
from custom_components.shared_calendars.engine.plan import PutCopy, plan
from custom_components.shared_calendars.engine.state import CopyRecord, SyncState

from .factories import event, member, seed


def test_a_plan_holds_one_copy_per_group_for_all_its_receivers() -> None:
    """Five members, three events each: 15 copies held, one per group, not 60."""
    members = [member(name) for name in ("Anna", "Ben", "Cleo", "Dan", "Eve")]
    state = SyncState()
    groups: set[str] = set()
    for owner in members:
        groups |= seed(
            state,
            owner.sources[0],
            *(event(f"{owner.id}-{n}", f"Event {n}", hours=n) for n in range(3)),
        )

    puts = [a for a in plan(members, state, groups).actions if isinstance(a, PutCopy)]

    assert len(puts) == 60
    assert len({id(put.template) for put in puts}) == 15
    for put in puts:
        # Each write still gets the copy under the target's own id and UID.
        assert put.event_id == copy_id(put.group, put.target.key)
        assert put.event == replace(
            put.template, id=put.event_id, ical_uid=ical_uid_of(put.event_id)
        )
        assert put.fingerprint == fingerprint(put.event)
        assert put.record == CopyRecord(
            group=put.group, target=put.target, fingerprint=put.fingerprint
        )
