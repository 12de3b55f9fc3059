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
from .window import Bounds, bounds, span, within
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
    """Create or replace a copy in a combined calendar.

    Every target of a group gets the same copy under its own id: the plan holds
    that copy once (`template`), and each action builds its event when written.
    """

    target: CalendarRef
    event_id: str
    template: Event
    """The copy before it gets this target's id."""
    group: str
    fingerprint: str
    """The digest of the copy (see `content.fingerprint`)."""

    @property
    def event(self) -> Event:
        """Return the copy to write, under its id in the target calendar."""
        return _placed(self.template, self.event_id)

    @property
    def record(self) -> CopyRecord:
        """Return what the ledger holds once the write succeeded."""
        return CopyRecord(
            group=self.group, target=self.target, fingerprint=self.fingerprint
        )


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
    ordered = sorted(set(groups))
    if not ordered:
        return Plan()
    frame = _Frame.of(tuple(members), state, options)
    tally = _Tally()
    for group in ordered:
        _plan_group(group, frame, state, options, tally)
    return Plan(
        actions=tuple(tally.actions),
        skipped_by_filter=tally.skipped,
        unchanged=tally.unchanged,
        parked=tally.parked,
        conflicts=tuple(tally.conflicts),
    )


@dataclass(frozen=True, kw_only=True, slots=True)
class _Frame:
    """What every group of one plan looks up, worked out once per plan.

    A full plan of a large family visits every group: lookups per group and
    target add up to hundreds of thousands.
    """

    owners: dict[str, list[tuple[int, Member]]]
    """Source calendar key -> the members (and their order) who own it."""
    targets: tuple[_Target, ...]
    target_refs: dict[str, CalendarRef]
    source_refs: dict[str, CalendarRef]
    bounds: Bounds | None

    @classmethod
    def of(
        cls, members: tuple[Member, ...], state: SyncState, options: PlanOptions
    ) -> _Frame:
        owners: dict[str, list[tuple[int, Member]]] = {}
        for order, member in enumerate(members):
            for source in member.sources:
                owners.setdefault(source.key, []).append((order, member))
        targets = tuple(
            _Target(
                member=member,
                ref=member.combined,
                key=member.combined.key,
                events=state.calendar(member.combined.key).events,
            )
            for member in members
            if member.combined is not None
        )
        return cls(
            owners=owners,
            targets=targets,
            target_refs={target.key: target.ref for target in targets},
            source_refs={ref.key: ref for member in members for ref in member.sources},
            bounds=None if options.window is None else bounds(options.window),
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class _Target:
    """A member with a combined calendar, that calendar and its mirrored events."""

    member: Member
    ref: CalendarRef
    key: str
    """`ref.key`, built once."""
    events: dict[str, Event]

    def receives(self, holders: set[str]) -> bool:
        """Return whether the member gets the copy of a group these members hold.

        A member who holds the meeting already sees it; only receive_own brings
        it back to them.
        """
        return self.member.policy.receive_own or self.member.id not in holders


def _plan_group(
    group: str, frame: _Frame, state: SyncState, options: PlanOptions, tally: _Tally
) -> None:
    """Add the actions that make one group's copies right."""
    if (
        options.two_way
        and options.two_way_delete
        and (removals := deletions(group, state, frame.source_refs))
    ):
        tally.actions.extend(removals)
        return
    contributions, holders = _originals(group, state, frame, tally)
    # Every member who receives the group gets every contribution: one copy,
    # built and digested once for all of them.
    everyone: _Wanted | None = None
    if contributions:
        template = _build_copy(group, contributions, options)
        everyone = _Wanted(template=template, digest=fingerprint(template))
    if options.two_way and _plan_write_back(
        group,
        contributions=contributions,
        wanted=[
            (target.member, target.ref, everyone if target.receives(holders) else None)
            for target in frame.targets
        ],
        sources=frame.source_refs,
        state=state,
        tally=tally,
    ):
        return
    ids: dict[str, str] = {}
    for target in frame.targets:
        event_id = ids[target.key] = copy_id(group, target.key)
        _reconcile(
            group=group,
            target=target.ref,
            key=(target.key, event_id),
            present=target.events.get(event_id),
            wanted=everyone if target.receives(holders) else None,
            state=state,
            options=options,
            tally=tally,
        )
    _drop_copies_of_removed_targets(group, frame.target_refs, state, options, tally)
    _drop_strays(group, ids, frame.target_refs, state, tally)


@dataclass(frozen=True, kw_only=True, slots=True)
class _Wanted:
    """The copy a target should hold, before it gets the target's id, and its digest."""

    template: Event
    digest: str


def _placed(template: Event, event_id: str) -> Event:
    """Return a copy under its id in one target calendar."""
    return replace(template, id=event_id, ical_uid=ical_uid_of(event_id))


def _plan_write_back(
    group: str,
    *,
    contributions: list[_Contribution],
    wanted: list[tuple[Member, CalendarRef, _Wanted | None]],
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
            Receiver(
                name=member.name,
                target=target,
                template=copy.template,
                digest=copy.digest,
            )
            for member, target, copy in wanted
            if copy is not None
        ],
        state,
    )
    tally.conflicts.extend(planned.conflicts)
    tally.actions.extend(planned.actions)
    return bool(planned.actions)


def _originals(
    group: str, state: SyncState, frame: _Frame, tally: _Tally
) -> tuple[list[_Contribution], set[str]]:
    """Return what members share of a group's originals, and who holds one.

    Holding counts whatever their filters share: the event is in their own
    calendar already, so a copy of another holder's version would show it twice.
    """
    contributions: list[_Contribution] = []
    holders: set[str] = set()
    for calendar, event_id in sorted(state.sources_of(group)):
        held = state.calendars.get(calendar)
        event = held.events.get(event_id) if held is not None else None
        if event is None or event.copy_of is not None:
            continue
        for order, member in frame.owners.get(calendar, ()):
            holders.add(member.id)
            if _shared(event, member, frame.bounds):
                contributions.append(
                    _Contribution(
                        member=member, order=order, event=event, calendar=calendar
                    )
                )
            else:
                tally.skipped += 1
    # The fullest version leads: a member who shares details beats one who shares
    # busy, a whole series one occurrence of it.
    if len(contributions) > 1:
        contributions.sort(
            key=lambda c: (
                c.member.policy.privacy is not Privacy.FULL,
                _lone(c.event),
                c.order,
            )
        )
    return contributions, holders


def shares(member: Member, event: Event) -> bool:
    """Return whether a member's filters let the others see one of their originals."""
    return _shared(event, member, None)


def _shared(event: Event, member: Member, window: Bounds | None) -> bool:
    """Return whether the member's filters and the window let this original through."""
    policy = member.policy
    if (
        event.status is EventStatus.CANCELLED
        or (policy.skip_all_day and event.all_day)
        or (policy.skip_free and event.transparency is Transparency.TRANSPARENT)
        or (policy.skip_tentative and event.status is EventStatus.TENTATIVE)
    ):
        return False
    if policy.include_keywords or policy.exclude_keywords:
        title = event.summary.casefold()
        if (
            policy.include_keywords
            and not any(word.casefold() in title for word in policy.include_keywords)
        ) or any(word.casefold() in title for word in policy.exclude_keywords):
            return False
    return window is None or within(span(event), window)


def _build_copy(
    group: str, senders: list[_Contribution], options: PlanOptions
) -> Event:
    """Return the copy the senders' originals make, before it gets a target's id."""
    if all(_lone(sender.event) for sender in senders):
        return replace(
            _occurrences_copy(senders, options), copy_of=CopyMarker(source=group)
        )
    source = senders[0].event
    return _shown(
        source,
        senders,
        options,
        # No calendar holds an override without its series.
        recurrence_id=None,
        overrides=tuple(
            _shown(override, senders, options, recurrence_id=override.recurrence_id)
            for override in source.overrides
        ),
        copy_of=CopyMarker(source=group),
    )


def _shown(
    event: Event,
    holders: list[_Contribution],
    options: PlanOptions,
    *,
    recurrence_id: DateOrDateTime | None,
    overrides: tuple[Event, ...] = (),
    copy_of: CopyMarker | None = None,
) -> Event:
    """Return a series or an occurrence as the first holder's policy shows it.

    Titled with every holder's name when several members have it; with the
    recurrence id, overrides and marker given (one `replace`, not several).
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
        recurrence_id=recurrence_id,
        overrides=overrides,
        copy_of=copy_of,
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
    copy = _shown(first, holders, options, recurrence_id=None)
    # A series' dates are all of one kind, that of its start.
    rest = [
        _shown(occurrence, its, options, recurrence_id=occurrence.start)
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
    key: tuple[str, str],
    present: Event | None,
    wanted: _Wanted | None,
    state: SyncState,
    options: PlanOptions,
    tally: _Tally,
) -> None:
    """Compare the copy a target should have with what the ledger and calendar hold.

    `key` is the copy's (calendar key, id); `present` the copy the target's mirror
    holds under that id, if any.
    """
    event_id = key[1]
    record = state.copies.get(key)
    parked = state.parked.get(key)
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
    digest = wanted.digest
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
            event_id=event_id,
            template=wanted.template,
            group=group,
            fingerprint=digest,
        )
    )


def _drop_strays(
    group: str,
    ids: dict[str, str],
    target_refs: dict[str, CalendarRef],
    state: SyncState,
    tally: _Tally,
) -> None:
    """Delete copies of a group in a combined calendar under an id it no longer gets.

    A combined calendar holds one copy of a group, under the id derived for it
    (`ids`, by calendar key); any other copy there (left by an older id scheme,
    or written twice by hand) goes.
    """
    strays = {
        (calendar, event_id)
        for calendar, event_id in state.copies_seen(group) | state.copy_keys_of(group)
        if calendar in target_refs and event_id != ids[calendar]
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
    target_keys: dict[str, CalendarRef],
    state: SyncState,
    options: PlanOptions,
    tally: _Tally,
) -> None:
    """Delete (or forget) the copies in calendars no longer anyone's combined calendar."""
    if target_keys.keys() >= {calendar for calendar, _ in state.copy_keys_of(group)}:
        return
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
