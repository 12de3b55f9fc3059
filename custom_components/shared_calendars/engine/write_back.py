"""Planning of two-way sync: members' edits and deletions of copies, back to originals.

`plan` asks `write_backs` about each group before it reconciles the copies: a
group whose original is to be written (or deleted) gets only that this cycle;
the cycle then plans it again, and the copies follow the new original.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .content import fingerprint
from .ids import copy_id
from .model import CalendarRef, Event
from .state import SyncState
from .two_way import Conflict, edited_original, updated


@dataclass(frozen=True, kw_only=True, slots=True)
class PutOriginal:
    """Write a member's edit of a copy to the original it was made from."""

    target: CalendarRef
    event: Event
    previous: Event
    group: str


@dataclass(frozen=True, kw_only=True, slots=True)
class DeleteOriginal:
    """Delete an original whose copy a member deleted."""

    target: CalendarRef
    event_id: str
    group: str


@dataclass(frozen=True, kw_only=True, slots=True)
class Leader:
    """The original the group's copies are made from, and where it lives."""

    event: Event
    calendar: CalendarRef
    busy: bool
    """Its copies show it as busy only: their text is not the original's."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Receiver:
    """A member's combined calendar, and the copy wanted there."""

    name: str
    target: CalendarRef
    template: Event
    digest: str


@dataclass(kw_only=True)
class WriteBacks:
    """What two-way sync plans for one group."""

    actions: list[PutOriginal | DeleteOriginal] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)


@dataclass(frozen=True, kw_only=True, slots=True)
class _Edit:
    member: str
    present: Event
    template: Event
    original_changed: bool


def deletions(
    group: str, state: SyncState, sources: dict[str, CalendarRef]
) -> list[DeleteOriginal]:
    """Return the deletions of a group's originals, when a member deleted a copy."""
    if not any(record.originals_follow for _, record in state.copies_of(group)):
        return []
    return [
        DeleteOriginal(target=sources[calendar], event_id=event_id, group=group)
        for calendar, event_id in sorted(state.sources_of(group))
        if calendar in sources
    ]


def write_backs(
    group: str, leader: Leader, receivers: list[Receiver], state: SyncState
) -> WriteBacks:
    """Return the write of the newest member edit of a copy to the original.

    The copy was written from `template` when the ledger's fingerprint is its
    digest; otherwise the original changed too since, and the later of the two
    (`updated`) wins whole. Other edits of the same group lose to the newest.
    """
    edits = []
    for receiver in receivers:
        event_id = copy_id(group, receiver.target.key)
        record = state.copies.get((receiver.target.key, event_id))
        present = state.calendar(receiver.target.key).events.get(event_id)
        if (
            record is None
            or record.hidden
            or not record.diverged
            or present is None
            or fingerprint(present) == receiver.digest
        ):
            continue
        edits.append(
            _Edit(
                member=receiver.name,
                present=present,
                template=receiver.template,
                original_changed=record.fingerprint != receiver.digest,
            )
        )
    planned = WriteBacks()
    if not edits:
        return planned
    edits.sort(key=lambda edit: updated(edit.present), reverse=True)
    newest, *older = edits
    original = leader.event
    if newest.original_changed and updated(newest.present) <= updated(original):
        older.insert(0, newest)
        kept_title = original.summary
        new = None
    else:
        new = edited_original(
            original,
            newest.template,
            newest.present,
            busy=leader.busy,
            whole=newest.original_changed,
        )
        kept_title = newest.present.summary
        if newest.original_changed and new is not None:
            planned.conflicts.append(
                Conflict(
                    group=group,
                    title=kept_title,
                    lost="original",
                    lost_title=original.summary,
                    lost_start=original.start,
                )
            )
    planned.conflicts.extend(
        Conflict(
            group=group,
            title=kept_title,
            lost=edit.member,
            lost_title=edit.present.summary,
            lost_start=edit.present.start,
        )
        for edit in older
    )
    if new is not None:
        planned.actions.append(
            PutOriginal(
                target=leader.calendar, event=new, previous=original, group=group
            )
        )
    return planned
