"""Decide which copies to write and which to delete: every sync decision lives here.

`plan` is a pure function of the members, the synced state and the groups that
may have changed. It never sees a provider; it returns actions for the caller to
carry out, and is cheap enough to run on every cycle (its cost is proportional
to the groups it is given).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime

from .content import content, fingerprint, instant
from .ids import copy_id, ical_uid_of
from .model import (
    CalendarRef,
    CopyMarker,
    DateOrDateTime,
    Event,
    EventStatus,
    Member,
    Privacy,
    SyncWindow,
    Transparency,
)
from .state import CopyRecord, SyncState
from .two_way import Conflict
from .window import in_window, span
from .write_back import (
    DeleteOriginal,
    Leader,
    PutOriginal,
    Receiver,
    deletions,
    write_backs,
)

DEFAULT_BUSY_TITLE = "Busy"
PLAN_VERSION = 1
"""Raise it when planning changes what copies look like: every group is then
planned again once, after the update."""


@dataclass(frozen=True, kw_only=True, slots=True)
class PutCopy:
    """Create or replace a copy in a combined calendar."""

    target: CalendarRef
    event: Event
    record: CopyRecord
    """What the ledger holds once the write succeeded."""

    @property
    def group(self) -> str:
        """Return the group the copy belongs to."""
        return self.record.group


@dataclass(frozen=True, kw_only=True, slots=True)
class DeleteCopy:
    """Delete a copy from a combined calendar."""

    target: CalendarRef
    event_id: str
    group: str


@dataclass(frozen=True, kw_only=True, slots=True)
class ForgetCopy:
    """Drop a copy from the ledger without touching any calendar."""

    target: CalendarRef
    event_id: str
    group: str


@dataclass(frozen=True, kw_only=True, slots=True)
class SettleCopy:
    """Record that a copy already holds what is wanted: nothing to write.

    A member's edit the original took over (two-way sync).
    """

    target: CalendarRef
    event_id: str
    record: CopyRecord

    @property
    def group(self) -> str:
        """Return the group the copy belongs to."""
        return self.record.group


type Action = (
    PutCopy | DeleteCopy | ForgetCopy | SettleCopy | PutOriginal | DeleteOriginal
)


@dataclass(frozen=True, kw_only=True, slots=True)
class Plan:
    """The actions of one cycle, and what planning left out on purpose."""

    actions: tuple[Action, ...] = ()
    skipped_by_filter: int = 0
    """Originals that a member's filters or the time window kept from being shared."""
    unchanged: int = 0
    """Copies that already match their source."""
    parked: int = 0
    """Copies left aside: their calendar refused this very version of them."""
    conflicts: tuple[Conflict, ...] = ()
    """Edits of an original and of its copies that two-way sync did not keep."""


@dataclass(frozen=True, kw_only=True, slots=True)
class PlanOptions:
    """Group-wide settings of planning."""

    window: SyncWindow | None = None
    busy_title: str = DEFAULT_BUSY_TITLE
    restore_hidden: bool = False
    """Bring back copies that members deleted from their combined calendars."""
    keep_copies_of_removed_targets: bool = False
    """When a combined calendar leaves the group, forget its copies instead of deleting them."""
    two_way: bool = False
    """Members' edits of copies (title, description, location, time) go to the originals."""
    two_way_delete: bool = False
    """With `two_way`, a member deleting a copy deletes its originals."""


@dataclass(frozen=True, kw_only=True, slots=True)
class _Contribution:
    member: Member
    order: int
    event: Event
    calendar: str


@dataclass(kw_only=True)
class _Tally:
    skipped: int = 0
    unchanged: int = 0
    parked: int = 0
    actions: list[Action] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)


def plan(
    members: Iterable[Member],
    state: SyncState,
    groups: Iterable[str],
    options: PlanOptions | None = None,
) -> Plan:
    """Return the actions that make every combined calendar right for `groups`."""
    options = options or PlanOptions()
    members = tuple(members)
    owners: dict[str, list[tuple[int, Member]]] = {}
    for order, member in enumerate(members):
        for source in member.sources:
            owners.setdefault(source.key, []).append((order, member))
    targets = [member for member in members if member.combined is not None]
    target_refs = {
        member.combined.key: member.combined for member in targets if member.combined
    }
    source_refs = {ref.key: ref for member in members for ref in member.sources}

    tally = _Tally()
    for group in sorted(set(groups)):
        if (
            options.two_way
            and options.two_way_delete
            and (removals := deletions(group, state, source_refs))
        ):
            tally.actions.extend(removals)
            continue
        contributions = _contributions(group, state, owners, options, tally)
        holders = _holders(group, state, owners)
        # Most targets receive the same senders; build and digest each variant once.
        variants: dict[tuple[str, ...], tuple[Event, str] | None] = {}
        wanted: list[tuple[Member, CalendarRef, tuple[Event, str] | None]] = []
        for member in targets:
            assert member.combined is not None
            # A member who holds the meeting already sees it; only receive_own
            # brings it back to them.
            senders = (
                contributions
                if member.policy.receive_own or member.id not in holders
                else []
            )
            variant = tuple(sender.member.id for sender in senders)
            if variant not in variants:
                template = _build_copy(group, senders, options) if senders else None
                variants[variant] = (
                    None if template is None else (template, fingerprint(template))
                )
            wanted.append((member, member.combined, variants[variant]))
        if options.two_way and _plan_write_back(
            group,
            contributions=contributions,
            wanted=wanted,
            sources=source_refs,
            state=state,
            tally=tally,
        ):
            continue
        for _, target, copy in wanted:
            _reconcile(
                group=group,
                target=target,
                wanted=copy,
                state=state,
                options=options,
                tally=tally,
            )
        _drop_copies_of_removed_targets(group, set(target_refs), state, options, tally)
        _drop_strays(group, target_refs, state, tally)
    return Plan(
        actions=tuple(tally.actions),
        skipped_by_filter=tally.skipped,
        unchanged=tally.unchanged,
        parked=tally.parked,
        conflicts=tuple(tally.conflicts),
    )


def _plan_write_back(
    group: str,
    *,
    contributions: list[_Contribution],
    wanted: list[tuple[Member, CalendarRef, tuple[Event, str] | None]],
    sources: dict[str, CalendarRef],
    state: SyncState,
    tally: _Tally,
) -> bool:
    """Plan the write of a member's edit of a copy to the original; True if planned.

    The original is the one the copies are made from. Copies of occurrences a
    member was invited to without their series are not written back.
    """
    if not contributions or _lone(contributions[0].event):
        return False
    leader = contributions[0]
    planned = write_backs(
        group,
        Leader(
            event=leader.event,
            calendar=sources[leader.calendar],
            busy=leader.member.policy.privacy is Privacy.BUSY_ONLY,
        ),
        [
            Receiver(name=member.name, target=target, template=copy[0], digest=copy[1])
            for member, target, copy in wanted
            if copy is not None
        ],
        state,
    )
    tally.conflicts.extend(planned.conflicts)
    tally.actions.extend(planned.actions)
    return bool(planned.actions)


def _contributions(
    group: str,
    state: SyncState,
    owners: dict[str, list[tuple[int, Member]]],
    options: PlanOptions,
    tally: _Tally,
) -> list[_Contribution]:
    contributions: list[_Contribution] = []
    for calendar, event_id in sorted(state.sources_of(group)):
        event = state.calendar(calendar).events.get(event_id)
        if event is None or event.copy_of is not None:
            continue
        for order, member in owners.get(calendar, ()):
            if _shared(event, member, options.window):
                contributions.append(
                    _Contribution(
                        member=member, order=order, event=event, calendar=calendar
                    )
                )
            else:
                tally.skipped += 1
    # The fullest version leads: a member who shares details beats one who shares
    # busy, a whole series one occurrence of it.
    contributions.sort(
        key=lambda c: (
            c.member.policy.privacy is not Privacy.FULL,
            _lone(c.event),
            c.order,
        )
    )
    return contributions


def _holders(
    group: str, state: SyncState, owners: dict[str, list[tuple[int, Member]]]
) -> set[str]:
    """Return the ids of the members who hold an original of the group in a source.

    Holding counts whatever their filters share: the event is in their own
    calendar already, so a copy of another holder's version would show it twice.
    """
    return {
        member.id
        for calendar, event_id in state.sources_of(group)
        if (event := state.calendar(calendar).events.get(event_id)) is not None
        and event.copy_of is None
        for _, member in owners.get(calendar, ())
    }


def shares(member: Member, event: Event) -> bool:
    """Return whether a member's filters let the others see one of their originals."""
    return _shared(event, member, None)


def _shared(event: Event, member: Member, window: SyncWindow | None) -> bool:
    """Return whether the member's filters and the window let this original through."""
    policy = member.policy
    title = event.summary.casefold()
    return not (
        event.status is EventStatus.CANCELLED
        or (policy.skip_all_day and event.all_day)
        or (policy.skip_free and event.transparency is Transparency.TRANSPARENT)
        or (policy.skip_tentative and event.status is EventStatus.TENTATIVE)
        or (
            policy.include_keywords
            and not any(word.casefold() in title for word in policy.include_keywords)
        )
        or any(word.casefold() in title for word in policy.exclude_keywords)
        or (window is not None and not in_window(span(event), window))
    )


def _build_copy(
    group: str, senders: list[_Contribution], options: PlanOptions
) -> Event:
    """Return the copy the senders' originals make, before it gets a target's id."""
    if all(_lone(sender.event) for sender in senders):
        return replace(
            _occurrences_copy(senders, options), copy_of=CopyMarker(source=group)
        )
    source = senders[0].event
    return replace(
        _shown(source, senders, options),
        # No calendar holds an override without its series.
        recurrence_id=None,
        overrides=tuple(
            _shown(override, senders, options) for override in source.overrides
        ),
        copy_of=CopyMarker(source=group),
    )


def _shown(event: Event, holders: list[_Contribution], options: PlanOptions) -> Event:
    """Return a series or an occurrence as the first holder's policy shows it.

    Titled with every holder's name when several members have it.
    """
    policy = holders[0].member.policy
    names = list(dict.fromkeys(holder.member.name for holder in holders))
    busy = policy.privacy is Privacy.BUSY_ONLY
    summary = options.busy_title if busy else event.summary
    if len(names) > 1:
        summary = f"{summary} ({', '.join(names)})"
    else:
        summary = f"{policy.title_prefix}{summary}"
    return replace(
        event,
        summary=summary,
        description="" if busy else event.description,
        location="" if busy else event.location,
        color=policy.color or event.color,
        organizer=None,
        updated=None,
        created=None,
        overrides=(),
        copy_of=None,
    )


def _lone(event: Event) -> bool:
    """Return whether an event is an occurrence of a series its calendar lacks.

    An invitation to one or some occurrences of another's series: the first is
    the event, any others its overrides (as one calendar object holds them).
    """
    return event.recurrence_id is not None and not event.recurring


def _occurrences_copy(senders: list[_Contribution], options: PlanOptions) -> Event:
    """Return one copy of the occurrences the senders were invited to.

    One occurrence is a single event; several are a series of those dates (RDATE),
    each occurrence unlike the first an override of its date. Each is titled with
    the members who have that occurrence.
    """
    found: dict[datetime, tuple[Event, list[_Contribution]]] = {}
    for sender in senders:
        for occurrence in (sender.event, *sender.event.overrides):
            if occurrence.status is EventStatus.CANCELLED:
                continue
            moment = instant(occurrence.recurrence_id or occurrence.start, UTC)
            found.setdefault(moment, (occurrence, []))[1].append(sender)
    (first, holders), *others = sorted(
        found.values(), key=lambda item: instant(item[0].start, UTC)
    )
    copy = replace(_shown(first, holders, options), recurrence_id=None)
    # A series' dates are all of one kind, that of its start.
    rest = [
        replace(_shown(occurrence, its, options), recurrence_id=occurrence.start)
        for occurrence, its in others
        if isinstance(occurrence.start, datetime) == isinstance(first.start, datetime)
    ]
    if not rest:
        return copy
    return replace(
        copy,
        rdate=tuple(occurrence.start for occurrence in rest),
        # One that looks like the first would read back as no override at all.
        overrides=tuple(
            occurrence
            for occurrence in rest
            if content(occurrence) != content(_moved_to(copy, occurrence.start))
        ),
    )


def _moved_to(event: Event, start: DateOrDateTime) -> Event:
    """Return a single event moved to another start, as long as it was."""
    if isinstance(event.start, datetime) and isinstance(event.end, datetime):
        end: DateOrDateTime = start + (event.end - event.start)
    else:
        end = start + (_as_date(event.end) - _as_date(event.start))
    return replace(event, start=start, end=end, recurrence_id=start)


def _as_date(value: DateOrDateTime) -> date:
    return value.date() if isinstance(value, datetime) else value


def _reconcile(
    *,
    group: str,
    target: CalendarRef,
    wanted: tuple[Event, str] | None,
    state: SyncState,
    options: PlanOptions,
    tally: _Tally,
) -> None:
    """Compare the copy a target should have with what the ledger and calendar hold."""
    event_id = copy_id(group, target.key)
    record = state.copies.get((target.key, event_id))
    present = state.calendar(target.key).events.get(event_id)
    parked = state.parked.get((target.key, event_id))
    if wanted is None:
        if present is not None and (record is not None or present.copy_of is not None):
            tally.actions.append(
                DeleteCopy(target=target, event_id=event_id, group=group)
            )
        elif record is not None or parked is not None:
            tally.actions.append(
                ForgetCopy(target=target, event_id=event_id, group=group)
            )
        return
    if record is not None and record.hidden and not options.restore_hidden:
        return
    template, digest = wanted
    if parked is not None and parked.record.fingerprint == digest:
        tally.parked += 1
        return
    if (
        record is not None
        and not record.hidden
        and not record.diverged
        and record.fingerprint == digest
        and present is not None
    ):
        tally.unchanged += 1
        return
    if (
        record is not None
        and record.diverged
        and present is not None
        and fingerprint(present) == digest
    ):
        # A member's edit the original took over (two-way sync): already right.
        tally.actions.append(
            SettleCopy(
                target=target,
                event_id=event_id,
                record=CopyRecord(group=group, target=target, fingerprint=digest),
            )
        )
        return
    tally.actions.append(
        PutCopy(
            target=target,
            event=replace(template, id=event_id, ical_uid=ical_uid_of(event_id)),
            record=CopyRecord(group=group, target=target, fingerprint=digest),
        )
    )


def _drop_strays(
    group: str, target_refs: dict[str, CalendarRef], state: SyncState, tally: _Tally
) -> None:
    """Delete copies of a group in a combined calendar under an id it no longer gets.

    A combined calendar holds one copy of a group, under the id derived for it; any
    other copy there (left by an older id scheme, or written twice by hand) goes.
    """
    strays = {
        (calendar, event_id)
        for calendar, event_id in state.copies_seen(group)
        | {key for key, _ in state.copies_of(group)}
        if calendar in target_refs and event_id != copy_id(group, calendar)
    }
    for calendar, event_id in sorted(strays):
        action = (
            DeleteCopy if event_id in state.calendar(calendar).events else ForgetCopy
        )
        tally.actions.append(
            action(target=target_refs[calendar], event_id=event_id, group=group)
        )


def _drop_copies_of_removed_targets(
    group: str,
    target_keys: set[str],
    state: SyncState,
    options: PlanOptions,
    tally: _Tally,
) -> None:
    """Delete (or forget) the copies in calendars no longer anyone's combined calendar."""
    for (calendar, event_id), record in state.copies_of(group):
        if calendar in target_keys:
            continue
        if options.keep_copies_of_removed_targets:
            tally.actions.append(
                ForgetCopy(target=record.target, event_id=event_id, group=group)
            )
        else:
            tally.actions.append(
                DeleteCopy(target=record.target, event_id=event_id, group=group)
            )
