"""What the integration knows between cycles: calendars' events and the ledger.

Every calendar's events and cursor, and the ledger of the copies made.

The state is the mirror the calendar entities read from and the memory that
makes planning incremental. It is plain data that records in its journal every
row it changes, so that the caller keeps only those after every batch of writes
(`changes`); losing it costs a full listing, never a duplicate, because copy ids
are derived from the source and the target.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from enum import StrEnum

from .content import fingerprint
from .journal import CopyRow, Journal, StateChanges
from .lazy_events import copies_undecoded, copy_ids, decoded
from .model import (
    PART_SEPARATOR,
    CalendarRef,
    ChangeSet,
    Event,
    SkippedEvent,
    SyncWindow,
    resource_of,
)
from .window import WindowIndex

EMPTIED_MIN_HELD = 2
"""A calendar that held at least this many events and loses all of them at once
looks emptied (a calendar of one event may lose it)."""
LARGE_LOSS_MIN_HELD = 20
"""A calendar that held at least this many events and loses more than half of
them at once looks half-emptied."""


class Confirm(StrEnum):
    """The user's answer about a calendar whose change set was held back."""

    EMPTIED = "emptied"
    """It really was emptied: copies of its vanished events go, and copies that
    vanished from it (a combined calendar) are written again."""
    DELETED_BY_MEMBER = "deleted_by_member"
    """As `EMPTIED`, but copies that vanished from it stay away, as if the member
    had deleted each of them (until a resync restores hidden copies)."""


def group_key(event: Event) -> str:
    """Return the key of the event across calendars.

    An invitation that several members accepted is one event with one iCalendar UID;
    so are the occurrences of one series someone was invited to without the series.
    """
    return f"uid:{event.ical_uid}"


def _parts_gone(previous: dict[str, Event], changes: ChangeSet) -> set[str]:
    """Return the parts of changed or deleted resources that the change no longer holds."""
    resources = {resource_of(event.id) for event in changes.changed}
    resources.update(map(resource_of, changes.deleted))
    if not resources:
        return set()
    kept = {event.id for event in changes.changed} | _unreadable(previous, changes)
    return {
        event_id
        for event_id in previous
        if PART_SEPARATOR in event_id
        and resource_of(event_id) in resources
        and event_id not in kept
    }


def _unreadable(previous: dict[str, Event], changes: ChangeSet) -> set[str]:
    """Return the known events the change set could not read again: they stay."""
    if not changes.skipped:
        return set()
    ids = {skipped.id for skipped in changes.skipped}
    return {
        event_id
        for event_id in previous
        if event_id in ids or resource_of(event_id) in ids
    }


def _identical(held: Event, listed: Event) -> bool:
    """Return whether an event is the one held, down to the zones of its times.

    Equal aware times in different zones compare equal; the zone still counts
    (a series' occurrences follow it), and the state keeps it.
    """
    return held == listed and _zones(held) == _zones(listed)


def _zones(event: Event) -> tuple[object, ...]:
    moments = (
        event.start,
        event.end,
        event.recurrence_id,
        event.updated,
        event.created,
        *event.rdate,
        *event.exdate,
    )
    return (
        *(getattr(moment, "tzinfo", None) for moment in moments),
        *map(_zones, event.overrides),
    )


@dataclass(kw_only=True)
class CalendarState:
    """One calendar as last seen."""

    cursor: str | None = None
    events: dict[str, Event] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True, slots=True)
class CopyRecord:
    """One copy the integration made, and what it last wrote there."""

    group: str
    target: CalendarRef
    fingerprint: str
    hidden: bool = False
    """The member deleted this copy from their combined calendar: leave it deleted."""
    diverged: bool = False
    """The calendar's version no longer shows what was written (a member edited it)."""
    originals_follow: bool = False
    """The member deleted this copy while two-way sync deletes originals with
    their copies: the originals are to be deleted too."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Loss:
    """What a change set that looks like an emptied calendar would remove."""

    held: int
    """How many events the calendar held: originals, or for `copies` the copies
    the ledger placed there."""
    gone: int
    """How many of them the change set removes."""
    copies: bool
    """Whether these are copies in a combined calendar rather than originals."""


@dataclass(frozen=True, kw_only=True, slots=True)
class ParkedCopy:
    """A copy its calendar refused as invalid: not tried again until its original changes."""

    record: CopyRecord
    """What would have been written, with the fingerprint that was refused."""
    title: str
    reason: str


@dataclass(frozen=True, kw_only=True, slots=True)
class ApplyResult:
    """What applying one change set did."""

    groups: frozenset[str]
    """The groups whose copies may need work."""
    held_back: Loss | None = None
    """The change set would have emptied the calendar; it was not applied."""


@dataclass(kw_only=True)
class SyncState:
    """Every calendar's mirror, and the ledger of copies."""

    calendars: dict[str, CalendarState] = field(default_factory=dict)
    copies: dict[tuple[str, str], CopyRecord] = field(default_factory=dict)
    """Keyed by (target calendar key, copy id)."""
    skipped: dict[str, dict[str, SkippedEvent]] = field(default_factory=dict)
    """Calendar key -> id -> an event there that could not be read, until it is
    read, deleted, or missing from a complete listing."""
    pending: set[str] = field(default_factory=set)
    """Groups whose copies are not known to be right yet: planned again next cycle
    until all their actions succeed, so a cycle that dies loses nothing. Changed
    through `mark_pending` and `settle_pending`, which the journal sees."""
    parked: dict[tuple[str, str], ParkedCopy] = field(default_factory=dict)
    """Copies refused as invalid, keyed as in `copies`."""
    planned_for: str | None = None
    """What every group was last planned for (members and options, see
    `cycle.plan_digest`): the same again needs only changed groups planned."""
    planned_window: SyncWindow | None = None
    """The window the groups were last planned for."""
    copy_uids: dict[tuple[str, str], str] = field(default_factory=dict)
    """(combined calendar key, uid) -> copy id: the uid a calendar gave a copy
    written there, for a calendar that does not keep the uid it is given."""
    _uid_of_copy: dict[tuple[str, str], str] = field(default_factory=dict)
    _sources_of_group: dict[str, set[tuple[str, str]]] = field(
        default_factory=lambda: defaultdict(set)
    )
    _copies_of_group: dict[str, set[tuple[str, str]]] = field(
        default_factory=lambda: defaultdict(set)
    )
    _copies_seen_of_group: dict[str, set[tuple[str, str]]] = field(
        default_factory=lambda: defaultdict(set)
    )
    _window: WindowIndex = field(default_factory=WindowIndex, compare=False, repr=False)
    journal: Journal = field(default_factory=Journal, compare=False, repr=False)
    """The rows changed since they were last kept: the state starts as kept."""

    def __post_init__(self) -> None:
        """Index the events and copies already held."""
        for calendar, state in self.calendars.items():
            for event_id, group in copies_undecoded(state.events):
                self._copies_seen_of_group[group].add((calendar, event_id))
            for event in decoded(state.events):
                self._index(calendar, event)
        for key, record in self.copies.items():
            self._copies_of_group[record.group].add(key)
        for (calendar, uid), copy in self.copy_uids.items():
            self._uid_of_copy[(calendar, copy)] = uid
        self.journal.bases.clear()  # the state starts as kept
        self.journal.kept_plan = (self.planned_for, self.planned_window)

    def changes(self) -> StateChanges:
        """Return the rows changed since the last call, and start a new journal.

        A caller that fails to keep them hands them back to `journal.mark_again`.
        """
        journal = self.journal
        plan = (self.planned_for, self.planned_window)
        planned = plan if plan != journal.kept_plan else None
        if not (
            journal.events
            or journal.calendars
            or journal.copies
            or journal.parked
            or journal.pending
            or journal.copy_uids
            or planned
        ):
            return StateChanges()
        events: dict[tuple[str, str], Event | None] = {}
        copies: dict[tuple[str, str], CopyRow | None] = {}
        bases: dict[str, tuple[str, Event] | None] = {}
        for key in self._rows_to_write():
            event = self._mirrored(key)
            if (record := self.copies.get(key)) is None:
                events[key] = event
                copies[key] = None
                continue
            events[key] = None  # the copy's row holds its event
            base = None
            marker = event.copy_of if event is not None else None
            if marker is not None and marker.source == record.group:
                if record.group not in bases:
                    bases[record.group] = self._base(record.group)
                base = bases[record.group]
            copies[key] = CopyRow(record=record, event=event, base=base)
        changes = StateChanges(
            events=events,
            cursors={
                key: held.cursor if (held := self.calendars.get(key)) else None
                for key in journal.calendars
            },
            skipped={
                key: tuple(self.skipped.get(key, {}).values())
                for key in journal.calendars
            },
            copies=copies,
            parked={key: self.parked.get(key) for key in journal.parked},
            pending={group: group in self.pending for group in journal.pending},
            copy_uids={key: self.copy_uids.get(key) for key in journal.copy_uids},
            planned=planned,
        )
        journal.clear()
        journal.kept_plan = plan
        return changes

    def _mirrored(self, key: tuple[str, str]) -> Event | None:
        held = self.calendars.get(key[0])
        return held.events.get(key[1]) if held is not None else None

    def _rows_to_write(self) -> set[tuple[str, str]]:
        """Return the marked events and copies, and the copies of changed originals."""
        journal = self.journal
        # A ledger key that holds an original (a copy a member unmarked) leaves
        # its group's originals or joins them.
        for key in journal.copies:
            if (event := self._mirrored(key)) is not None and event.copy_of is None:
                journal.bases.add(group_key(event))
        keys = journal.events | journal.copies
        for group in journal.bases:
            keys.update(self.copies_seen(group))
        return keys

    def _base(self, group: str) -> tuple[str, Event] | None:
        """Return the original a group's copies are kept as differences from.

        The first by (calendar key, id) of its originals outside the ledger: the
        database finds the same one again from its rows.
        """
        keys = [key for key in self.sources_of(group) if key not in self.copies]
        if not keys:
            return None
        calendar, event_id = min(keys)
        return calendar, self.calendars[calendar].events[event_id]

    def mark_all_changed(self) -> None:
        """Mark every row as changed, for a store that holds none of them yet."""
        journal = self.journal
        for calendar, state in self.calendars.items():
            journal.events.update((calendar, event_id) for event_id in state.events)
        journal.calendars.update(self.calendars, self.skipped)
        journal.copies.update(self.copies)
        journal.parked.update(self.parked)
        journal.pending.update(self.pending)
        journal.copy_uids.update(self.copy_uids)
        journal.kept_plan = None

    def copy_with_uid(self, calendar: str, uid: str) -> str | None:
        """Return the copy a calendar gave `uid`, when it did not keep the copy's own."""
        return self.copy_uids.get((calendar, uid))

    def uid_of_copy(self, calendar: str, copy_id: str) -> str | None:
        """Return the uid a calendar gave a copy, when it did not keep the copy's own."""
        return self._uid_of_copy.get((calendar, copy_id))

    def remember_copy_uid(self, calendar: str, uid: str, copy_id: str | None) -> None:
        """Remember which copy a calendar's uid holds (None: none any more).

        A copy has one uid: one it is given anew replaces the one it had.
        """
        if (old_copy := self.copy_uids.pop((calendar, uid), None)) is not None:
            self._uid_of_copy.pop((calendar, old_copy), None)
        self.journal.copy_uids.add((calendar, uid))
        if copy_id is None:
            return
        if (old_uid := self._uid_of_copy.get((calendar, copy_id))) is not None:
            del self.copy_uids[(calendar, old_uid)]
            self.journal.copy_uids.add((calendar, old_uid))
        self.copy_uids[(calendar, uid)] = copy_id
        self._uid_of_copy[(calendar, copy_id)] = uid

    def mark_pending(self, groups: Iterable[str]) -> None:
        """Make groups pending: planned again until all their actions succeed."""
        new = set(groups) - self.pending
        self.pending |= new
        self.journal.pending |= new

    def settle_pending(self, failed: set[str]) -> None:
        """End a cycle that planned every pending group: only `failed` stay pending."""
        self.journal.pending |= self.pending ^ failed
        self.pending = set(failed)

    def unpark_all(self) -> None:
        """Let every refused copy be tried again."""
        self.journal.parked.update(self.parked)
        self.parked.clear()

    def copies_of(self, group: str) -> list[tuple[tuple[str, str], CopyRecord]]:
        """Return the ledger's copies of one group, keyed as in `copies`."""
        return [
            (key, self.copies[key])
            for key in sorted(self._copies_of_group.get(group, ()))
        ]

    def copy_keys_of(self, group: str) -> set[tuple[str, str]]:
        """Return the keys of the ledger's copies of one group, in no order."""
        return self._copies_of_group.get(group, set())

    def _remember_copy(self, key: tuple[str, str], record: CopyRecord) -> None:
        self.copies[key] = record
        self._copies_of_group[record.group].add(key)
        self.journal.copies.add(key)

    def park(self, record: CopyRecord, event_id: str, title: str, reason: str) -> None:
        """Keep a refused copy aside until the copy wanted there is another one."""
        key = (record.target.key, event_id)
        self.parked[key] = ParkedCopy(record=record, title=title, reason=reason)
        self.journal.parked.add(key)

    def _unpark(self, key: tuple[str, str]) -> None:
        if self.parked.pop(key, None) is not None:
            self.journal.parked.add(key)

    def forget_copy(self, target: CalendarRef, event_id: str) -> None:
        """Drop a copy from the ledger, leaving the calendar as it is."""
        key = (target.key, event_id)
        self._unpark(key)
        if (record := self.copies.pop(key, None)) is not None:
            self.journal.copies.add(key)
            keys = self._copies_of_group[record.group]
            keys.discard(key)
            if not keys:
                del self._copies_of_group[record.group]

    def hide_copy(
        self,
        target: CalendarRef,
        event_id: str,
        group: str,
        *,
        originals_follow: bool = False,
    ) -> None:
        """Remember a copy as removed on purpose, as if its member had deleted it.

        Planning leaves a hidden copy away until a cycle runs with `restore_hidden`;
        with `originals_follow`, two-way sync deletes its originals.
        """
        key = (target.key, event_id)
        old = self.copies.get(key)
        self._remember_copy(
            key,
            CopyRecord(
                group=group,
                target=target,
                fingerprint=old.fingerprint if old is not None else "",
                hidden=True,
                originals_follow=originals_follow,
            ),
        )

    def keep_originals(self, group: str) -> None:
        """Let a group's originals stay, though a member deleted a copy of them.

        Two-way sync could not delete them (the account may not): the copy stays
        hidden, as without the option.
        """
        for key, record in self.copies_of(group):
            if record.originals_follow:
                self._remember_copy(key, replace(record, originals_follow=False))

    def settle_copy(self, record: CopyRecord, event_id: str) -> None:
        """Remember that a copy already holds what is wanted there: nothing to write."""
        self._remember_copy((record.target.key, event_id), record)

    def record_original(self, calendar: str, stored: Event) -> None:
        """Remember an original that two-way sync wrote, as the calendar now holds it."""
        state = self.calendar(calendar)
        if (old := state.events.get(stored.id)) is not None:
            self._unindex(calendar, old)
        state.events[stored.id] = stored
        self._index(calendar, stored)
        self.journal.events.add((calendar, stored.id))

    def record_original_gone(self, calendar: str, event_id: str) -> None:
        """Forget an original that two-way sync deleted."""
        state = self.calendar(calendar)
        if (old := state.events.pop(event_id, None)) is not None:
            self._unindex(calendar, old)
            self.journal.events.add((calendar, event_id))

    def calendar(self, key: str) -> CalendarState:
        """Return a calendar's state, creating an empty one for a new calendar."""
        return self.calendars.setdefault(key, CalendarState())

    def sources_of(self, group: str) -> set[tuple[str, str]]:
        """Return the (calendar key, event id) of every original in a group."""
        return self._sources_of_group.get(group, set())

    def groups_crossing(
        self, old: SyncWindow | None, new: SyncWindow | None
    ) -> set[str]:
        """Return the groups with an original one window lets through, the other not."""
        originals = (
            ((calendar, event.id), event)
            for calendar, state in self.calendars.items()
            for event in decoded(state.events)
            if event.copy_of is None
        )
        return {
            group_key(self.calendars[calendar].events[event_id])
            for calendar, event_id in self._window.crossing(old, new, lambda: originals)
        }

    def all_groups(self) -> set[str]:
        """Return every group known from originals or from copies."""
        return (
            set(self._sources_of_group)
            | set(self._copies_of_group)
            | set(self._copies_seen_of_group)
        )

    def apply(
        self,
        calendar: str,
        changes: ChangeSet,
        *,
        guard_empty: bool = True,
        confirm: Confirm | None = None,
        delete_originals: bool = False,
    ) -> ApplyResult:
        """Take in what changed in one calendar.

        With `guard_empty`, a change set that removes every original (or every
        copy the ledger placed) of a calendar holding several, or more than half
        of at least `LARGE_LOSS_MIN_HELD`, is held back whole, cursor included:
        a server that answers with nothing is more often broken than emptied.
        The same change then comes again every cycle, together with anything
        added since, until the user answers with `confirm` or the calendar
        lists its events again. Changes the user made through Home Assistant
        itself are applied unguarded. With `delete_originals` (two-way sync), a
        copy a member deleted marks its originals for deletion.
        """
        state = self.calendar(calendar)
        previous = state.events
        remaining: dict[str, Event] | None = None
        if changes.complete:
            remaining = {event.id: event for event in changes.changed}
            for event_id in _unreadable(previous, changes) - set(remaining):
                remaining[event_id] = previous[event_id]
            removed = set(previous) - set(remaining)
        else:
            # Applied in place once let through: work grows with the change.
            removed = {event_id for event_id in changes.deleted if event_id in previous}
            removed |= _parts_gone(previous, changes)
        loss = (
            self._loss(calendar, previous, removed) if guard_empty and removed else None
        )
        if loss is not None and confirm is None:
            return ApplyResult(groups=frozenset(), held_back=loss)
        # Copies that vanished with a confirmed emptying are written again, unless
        # the user said the member deleted them.
        hide = loss is None or confirm is Confirm.DELETED_BY_MEMBER

        touched: set[str] = set()
        # Listed again exactly as held (a full listing, mostly): nothing to keep.
        same: set[str] = set()
        for event_id in removed:
            event = previous[event_id]
            self._unindex(calendar, event)
            touched.add(self._group_of(event))
            if hide:
                self._hide_if_copy_deleted(
                    calendar, event, originals_follow=delete_originals and loss is None
                )
        for event in changes.changed:
            if (old := previous.get(event.id)) is not None:
                self._unindex(calendar, old)
                touched.add(self._group_of(old))
                if _identical(old, event):
                    same.add(event.id)
            self._index(calendar, event)
            touched.add(self._group_of(event))
            self._note_divergence(calendar, event)
        if remaining is None:
            for event_id in removed:
                del previous[event_id]
            previous.update((event.id, event) for event in changes.changed)
        else:
            state.events = remaining
        marks = self.journal
        marks.events.update((calendar, event_id) for event_id in removed)
        marks.events.update(
            (calendar, event.id) for event in changes.changed if event.id not in same
        )
        # A cursor that moved over nothing need not be kept: the one kept before
        # brings nothing more (and Google hands out a new token every time). One
        # that moved over our own writes is kept, once: else a restart reads them
        # all again from the cursor kept before them.
        moved_over_nothing = state.cursor is not None and not (
            removed or changes.changed or changes.complete or changes.own_writes
        )
        if changes.cursor != state.cursor and not moved_over_nothing:
            marks.calendars.add(calendar)
        state.cursor = changes.cursor
        self._note_skipped(calendar, changes)
        self.mark_pending(touched)
        return ApplyResult(groups=frozenset(touched))

    def _note_skipped(self, calendar: str, changes: ChangeSet) -> None:
        """Keep what a calendar holds but cannot be read, until it changes."""
        if not (changes.skipped or changes.complete or calendar in self.skipped):
            return
        before = self.skipped.get(calendar, {})
        held = {} if changes.complete else self.skipped.get(calendar, {})
        touched = {resource_of(event.id) for event in changes.changed}
        touched.update(map(resource_of, changes.deleted))
        held = {
            event_id: skipped
            for event_id, skipped in held.items()
            if resource_of(event_id) not in touched
        }
        held.update((skipped.id, skipped) for skipped in changes.skipped)
        if held != before:
            self.journal.calendars.add(calendar)
        if held:
            self.skipped[calendar] = held
        else:
            self.skipped.pop(calendar, None)

    def _loss(
        self, calendar: str, previous: dict[str, Event], removed: set[str]
    ) -> Loss | None:
        """Return what removing `removed` would lose, if it looks like an emptying.

        Originals and the copies the ledger placed count apart: a calendar can
        hold both (a member's own calendar that receives the others' copies).
        A copy whose originals are gone is due to go (a deletion of ours that a
        crash kept from the ledger) and does not count.
        """
        originals = [event.id for event in decoded(previous) if event.copy_of is None]
        placed = [
            event_id
            for event_id in copy_ids(previous)
            if (record := self.copies.get((calendar, event_id))) is not None
            and not record.hidden
            and self.sources_of(record.group)
        ]
        for ids, copies in ((originals, False), (placed, True)):
            held = len(ids)
            gone = sum(1 for event_id in ids if event_id in removed)
            if (held >= EMPTIED_MIN_HELD and gone == held) or (
                held >= LARGE_LOSS_MIN_HELD and 2 * gone > held
            ):
                return Loss(held=held, gone=gone, copies=copies)
        return None

    def record_put(self, record: CopyRecord, stored: Event) -> None:
        """Remember a copy that was written, as the calendar now holds it."""
        key = (record.target.key, stored.id)
        self._remember_copy(key, record)
        self._unpark(key)
        state = self.calendar(record.target.key)
        if (old := state.events.get(stored.id)) is not None:
            self._unindex(record.target.key, old)
        state.events[stored.id] = stored
        self._index(record.target.key, stored)
        self.journal.events.add(key)

    def record_delete(self, target: CalendarRef, event_id: str) -> None:
        """Forget a copy that was deleted."""
        self.forget_copy(target, event_id)
        state = self.calendar(target.key)
        if (old := state.events.pop(event_id, None)) is not None:
            self._unindex(target.key, old)
            self.journal.events.add((target.key, event_id))

    def forget_calendar(self, calendar: str) -> None:
        """Drop a calendar nobody uses any more (its copies' records stay)."""
        self.skipped.pop(calendar, None)
        self.journal.calendars.add(calendar)
        if (state := self.calendars.pop(calendar, None)) is not None:
            for event in state.events.values():
                self._unindex(calendar, event)
                self.journal.events.add((calendar, event.id))

    def reset_cursors(self) -> None:
        """Make the next cycle list every calendar in full."""
        for key, state in self.calendars.items():
            if state.cursor is not None:
                state.cursor = None
                self.journal.calendars.add(key)

    def _hide_if_copy_deleted(
        self, calendar: str, event: Event, *, originals_follow: bool
    ) -> None:
        """Mark a vanished copy the ledger still holds as deleted by the member."""
        record = self.copies.get((calendar, event.id))
        if record is not None and event.copy_of is not None:
            self.hide_copy(
                record.target,
                event.id,
                record.group,
                originals_follow=originals_follow and not record.hidden,
            )

    def _note_divergence(self, calendar: str, event: Event) -> None:
        """Compare a copy as the calendar now holds it with what was written there.

        Done once, as the change arrives, so that planning need not digest every
        copy of the group to find the few a member edited.
        """
        record = self.copies.get((calendar, event.id))
        if record is None or record.hidden:
            return
        diverged = fingerprint(event) != record.fingerprint
        if diverged != record.diverged:
            self._remember_copy(
                (calendar, event.id), replace(record, diverged=diverged)
            )

    @staticmethod
    def _group_of(event: Event) -> str:
        return event.copy_of.source if event.copy_of else group_key(event)

    def copies_seen(self, group: str) -> set[tuple[str, str]]:
        """Return the (calendar key, event id) of every copy of a group in the mirrors."""
        return self._copies_seen_of_group.get(group, set())

    def _index_of(self, event: Event) -> tuple[dict[str, set[tuple[str, str]]], str]:
        if event.copy_of is None:
            return self._sources_of_group, group_key(event)
        return self._copies_seen_of_group, event.copy_of.source

    def _index(self, calendar: str, event: Event) -> None:
        index, group = self._index_of(event)
        index[group].add((calendar, event.id))
        if event.copy_of is None:
            self._window.add((calendar, event.id), event)
            self.journal.bases.add(group)

    def _unindex(self, calendar: str, event: Event) -> None:
        self._window.discard((calendar, event.id))
        index, group = self._index_of(event)
        if event.copy_of is None:
            self.journal.bases.add(group)
        if (keys := index.get(group)) is not None:
            keys.discard((calendar, event.id))
            if not keys:
                del index[group]
