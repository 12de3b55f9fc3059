"""One sync cycle: fetch changes, plan, write copies, report.

This module does the I/O that `engine.plan` decides on, through the providers,
and knows nothing of Home Assistant, so that it can be driven as well by the
coordinator as by a test or a benchmark.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import (
    AsyncGenerator,
    Awaitable,
    Callable,
    Collection,
    Iterable,
    Mapping,
)
from contextlib import aclosing
from dataclasses import dataclass, field, replace
import hashlib
import itertools
import logging
from pathlib import Path
import time
import traceback
from typing import Any

from .engine.model import CalendarRef, ChangeSet, Member, SkippedEvent
from .engine.plan import (
    PLAN_VERSION,
    Action,
    DeleteCopy,
    ForgetCopy,
    Plan,
    PlanOptions,
    PutCopy,
    SettleCopy,
    plan,
)
from .engine.state import Confirm, Loss, SyncState
from .engine.two_way import Conflict
from .engine.write_back import DeleteOriginal, PutOriginal
from .pacing import Deferred, Pacer
from .providers.base import (
    AuthFailed,
    CalendarProvider,
    CursorExpired,
    InvalidEvent,
    NotShared,
    ProviderError,
    RateLimited,
    Unreachable,
)

_LOGGER = logging.getLogger(__name__)

DEFAULT_CONCURRENCY = 4
SAVE_EVERY_WRITES = 400
"""Actions done between two saves of the state during a cycle's writes, at most.

Each save writes only the rows changed since the last one, but the copies' ids
are scattered over the database's pages: saves of a few rows each rewrite many
pages (a first sync saved every 25 wrote 16 KB a copy). A crash loses at most the
records of the writes since the last save; those are put again under their ids,
never duplicated."""
SAVE_EVERY_SECONDS = 5.0
"""Seconds between two saves during a cycle's writes, at most (slow accounts)."""
WORKERS_PER_REQUEST = 2
"""Actions under way per request allowed at once: one is handled while another waits."""
PLAN_SLICE = 500
"""Groups planned between two turns of the event loop (about 50 ms here)."""
MAX_ATTEMPTS = 4
MAX_RATE_LIMITED = 8
"""Refusals of one write in one cycle before it waits for the next cycle."""
BACKOFF_BASE = 1.0
BACKOFF_CAP = 60.0
WRITE_BUDGET = 240.0
"""Seconds into a cycle after which a paced or paused account starts no more
writes: the rest waits for the next cycle, which reads the calendars anew."""


@dataclass(kw_only=True)
class SyncReport:
    """What one cycle did."""

    requests: Counter[str] = field(default_factory=Counter)
    """Provider calls by kind: changes, put, delete."""
    created: int = 0
    updated: int = 0
    deleted: int = 0
    skipped_by_filter: int = 0
    unchanged: int = 0
    errors: dict[str, str] = field(default_factory=dict)
    """Calendar key -> what went wrong there."""
    error_kinds: dict[str, str] = field(default_factory=dict)
    """Calendar key -> the kind of error (AuthFailed, NotShared, Unreachable, ...)."""
    auth_failed: dict[str, str] = field(default_factory=dict)
    """Account -> why its credentials were refused."""
    held_back: dict[str, Loss] = field(default_factory=dict)
    """Calendar key -> what its change set would remove: it looked emptied, so
    the change set waits for the user's confirmation (see `SyncState.apply`)."""
    pending: int = 0
    """Groups still to be made right after this cycle."""
    refused: int = 0
    """Writes the servers refused as over their rate limits (each retried later)."""
    deferred: int = 0
    """Writes left for a later cycle because their account's pace or pause."""
    parked: int = 0
    """Copies refused as invalid in this cycle, parked until their original changes."""
    pace: dict[str, float] = field(default_factory=dict)
    """Account -> writes a minute, for the accounts whose writes are paced."""
    duration: float = 0.0
    """Seconds the cycle took."""
    skipped: dict[str, tuple[SkippedEvent, ...]] = field(default_factory=dict)
    """Calendar key -> the events there that cannot be read, left out until they
    change (see `ChangeSet.skipped`)."""
    written_back: int = 0
    """Originals changed or deleted after a member's edit of a copy (two-way sync)."""
    not_written_back: int = 0
    """Members' edits of copies whose original the account may not write: the
    copies were put back as their originals are."""
    conflicts: list[Conflict] = field(default_factory=list)
    """Versions two-way sync did not keep: an original and a copy both changed."""

    def counts(self) -> dict[str, Any]:
        """Return what the cycle did, in numbers that name no calendar."""
        return {
            "created": self.created,
            "updated": self.updated,
            "deleted": self.deleted,
            "unchanged": self.unchanged,
            "skipped_by_filter": self.skipped_by_filter,
            "pending": self.pending,
            "refused": self.refused,
            "deferred": self.deferred,
            "parked": self.parked,
            "written_back": self.written_back,
            "not_written_back": self.not_written_back,
            "conflicts": len(self.conflicts),
            "requests": dict(self.requests),
            "duration": round(self.duration, 3),
        }


type Sleep = Callable[[float], Awaitable[None]]


class SyncCycle:
    """Runs cycles for one group against its providers and state."""

    def __init__(
        self,
        *,
        providers: Mapping[str, CalendarProvider],
        state: SyncState,
        save: Callable[[], Awaitable[None]],
        concurrency: int = DEFAULT_CONCURRENCY,
        sleep: Sleep = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Use `providers` by account id; call `save` whenever the state should be kept.

        `sleep` and `clock` (seconds) pace the writes; tests pass a clock they move.
        """
        self._providers = providers
        self._state = state
        self._save = save
        self._concurrency = max(1, concurrency)
        self._sleep = sleep
        self._clock = clock
        self._pacers: dict[str, Pacer] = {}
        self._deadline = 0.0
        self._unsaved = 0
        """Actions done since the state was last saved."""
        self._saved_at = clock()

    async def run(
        self,
        members: Iterable[Member],
        options: PlanOptions,
        *,
        full: bool = False,
        confirm: Mapping[str, Confirm] | None = None,
        rooms: Iterable[CalendarRef] = (),
        only: Collection[str] | None = None,
    ) -> SyncReport:
        """Run one cycle; `full` lists every calendar anew instead of asking for changes.

        `confirm` answers, by calendar key, for calendars that look emptied.
        `rooms` are mirrored too, though no member's: nothing is copied from or to them.
        `only` reads just those calendars (a push notification named them); the
        groups their changes touch, and those still pending, are planned as usual.
        """
        started = time.monotonic()
        members = tuple(members)
        report = SyncReport()
        if full:
            self._state.reset_cursors()
            self._state.unpark_all()  # a full resync tries refused copies again
        sources = {ref.key: ref for member in members for ref in member.sources}
        combined = {
            member.combined.key: member.combined
            for member in members
            if member.combined
        }
        calendars = sources | combined | {ref.key: ref for ref in rooms}

        to_read = [ref for key, ref in calendars.items() if only is None or key in only]
        async with aclosing(self._fetched(to_read, report)) as fetched:
            async for ref, changes in fetched:
                if changes is None:
                    continue
                result = self._state.apply(
                    ref.key,
                    changes,
                    confirm=(confirm or {}).get(ref.key),
                    delete_originals=options.two_way and options.two_way_delete,
                )
                if result.held_back is not None:
                    report.held_back[ref.key] = result.held_back
        for key in set(self._state.calendars) - set(calendars):
            self._state.forget_calendar(key)
        report.skipped = {
            key: tuple(held.values()) for key, held in self._state.skipped.items()
        }

        groups = self._state.pending | self._groups_to_replan(members, options, full)
        self._state.mark_pending(groups)
        self._state.planned_for = plan_digest(members, options)
        self._state.planned_window = options.window
        await self._save_now()

        planned = await self._plan(members, groups, options)
        report.skipped_by_filter = planned.skipped_by_filter
        report.unchanged = planned.unchanged
        report.conflicts.extend(planned.conflicts)
        self._deadline = self._clock() + WRITE_BUDGET
        failed, again = await self._execute(planned, report)
        if again:
            # The originals two-way sync wrote (or could not) lead the copies now.
            follow = replace(options, two_way=False, two_way_delete=False)
            failed |= (
                await self._execute(await self._plan(members, again, follow), report)
            )[0]
        # Every pending group was planned; what did not fail is right now.
        self._state.settle_pending(failed)
        await self._save_now()
        report.pending = len(self._state.pending)
        report.pace = {
            account: pace
            for account, pacer in self._pacers.items()
            if (pace := pacer.per_minute()) is not None
        }
        report.duration = time.monotonic() - started
        return report

    async def _fetched(
        self, to_read: list[CalendarRef], report: SyncReport
    ) -> AsyncGenerator[tuple[CalendarRef, ChangeSet | None]]:
        """Read every calendar at once; yield each one's changes in order, when read.

        Each is taken in as soon as it and those before it are read: the state then
        drops the events they replace before the last listing arrives.
        """
        reads = [asyncio.ensure_future(self._fetch(ref, report)) for ref in to_read]
        try:
            for ref, read in zip(to_read, reads, strict=True):
                yield ref, await read
        finally:
            for read in reads:
                read.cancel()

    def _groups_to_replan(
        self, members: tuple[Member, ...], options: PlanOptions, full: bool
    ) -> set[str]:
        """Return the groups to plan though no change touched them.

        All of them when the members or the options changed since the last plan
        (after a restart too, which keeps the last plan's digest), or when asked
        to; when only the window moved, those with an original entering or
        leaving it.
        """
        state = self._state
        if full or options.restore_hidden:
            return state.all_groups()
        if state.planned_for != plan_digest(members, options):
            return state.all_groups()
        return state.groups_crossing(state.planned_window, options.window)

    async def _plan(
        self, members: tuple[Member, ...], groups: set[str], options: PlanOptions
    ) -> Plan:
        """Plan in slices, letting the event loop run between them.

        Groups are planned independently, so slices add up to the whole plan; a full
        plan of a large group (after a restart) then never blocks Home Assistant long.
        """
        ordered = sorted(groups)
        actions: list[Action] = []
        conflicts: list[Conflict] = []
        skipped = unchanged = parked = 0
        for start in range(0, len(ordered), PLAN_SLICE):
            part = plan(
                members, self._state, ordered[start : start + PLAN_SLICE], options
            )
            actions.extend(part.actions)
            conflicts.extend(part.conflicts)
            skipped += part.skipped_by_filter
            unchanged += part.unchanged
            parked += part.parked
            await asyncio.sleep(0)
        return Plan(
            actions=tuple(actions),
            skipped_by_filter=skipped,
            unchanged=unchanged,
            parked=parked,
            conflicts=tuple(conflicts),
        )

    async def _fetch(self, ref: CalendarRef, report: SyncReport) -> ChangeSet | None:
        provider = self._providers.get(ref.account)
        if provider is None:
            report.errors[ref.key] = f"No account {ref.account} in this group"
            report.error_kinds[ref.key] = "UnknownAccount"
            return None
        held = self._state.calendar(ref.key)
        cursor = held.cursor
        try:
            try:
                changes = await self._with_retries(
                    lambda: provider.changes(ref.calendar_id, cursor, held.events),
                    report,
                    "changes",
                )
            except CursorExpired:
                _LOGGER.info(
                    "Change cursor of %s expired; listing it in full", ref.calendar_id
                )
                changes = await self._with_retries(
                    lambda: provider.changes(ref.calendar_id, None), report, "changes"
                )
        except ProviderError as err:
            _record_error(report, ref, err)
            return None
        except Exception as err:  # noqa: BLE001  # a reader's bug fails one calendar
            _record_unexpected(report, ref, err)
            return None
        for skipped in changes.skipped:
            # The kind only: the title or the data may be private.
            _LOGGER.warning(
                "Skipped an event of calendar %s that cannot be read (%s)",
                ref.calendar_id,
                skipped.reason,
            )
        return changes

    async def _execute(
        self, planned: Plan, report: SyncReport
    ) -> tuple[set[str], set[str]]:
        """Carry out a plan; return the groups that failed, and those to plan again.

        Groups are planned again after two-way sync wrote their originals, or found
        it may not (then the copies are put back as the originals are).
        """
        failed_groups: set[str] = set()
        again: set[str] = set()
        lanes: dict[str, list[Action]] = {}
        for action in planned.actions:
            if action.target.key in report.errors:
                # A calendar that could not be read this cycle is not written either.
                failed_groups.add(action.group)
            else:
                lanes.setdefault(action.target.account, []).append(action)

        async def run_one(action: Action, semaphore: asyncio.Semaphore) -> None:
            try:
                await self._perform(action, report, semaphore)
            except Deferred:
                failed_groups.add(action.group)
                report.deferred += 1
            except (NotShared, InvalidEvent) as err:
                if isinstance(action, PutOriginal | DeleteOriginal):
                    # The account may not write the original: the copies follow it.
                    report.not_written_back += 1
                    again.add(action.group)
                    if isinstance(action, DeleteOriginal):
                        self._state.keep_originals(action.group)
                    _LOGGER.warning(
                        "Could not change an original in %s after an edit of its "
                        "copy (%s); the copies stay as the original is",
                        action.target.calendar_id,
                        type(err).__name__,
                    )
                elif isinstance(action, PutCopy) and isinstance(err, InvalidEvent):
                    self._park(action, err, report)
                else:
                    failed_groups.add(action.group)
                    _record_error(report, action.target, err)
            except ProviderError as err:
                failed_groups.add(action.group)
                _record_error(report, action.target, err)
            else:
                if isinstance(action, PutOriginal | DeleteOriginal):
                    again.add(action.group)

        async def run_lane(actions: list[Action]) -> None:
            """Write one account's actions: a slow account holds no other."""
            semaphore = asyncio.Semaphore(self._concurrency)
            queue = iter(actions)  # shared: each action is taken by one worker

            async def worker() -> None:
                for action in queue:
                    await run_one(action, semaphore)
                    await self._save_when_due()

            workers = min(len(actions), self._concurrency * WORKERS_PER_REQUEST)
            await asyncio.gather(*(worker() for _ in range(workers)))

        try:
            await asyncio.gather(*(run_lane(actions) for actions in lanes.values()))
        except BaseException:
            # Cancelled (Home Assistant stops): keep what was written so far.
            await self._save_now()
            raise
        return failed_groups, again - failed_groups

    async def _save_now(self) -> None:
        self._unsaved = 0
        self._saved_at = self._clock()
        await self._save()

    async def _save_when_due(self) -> None:
        """Save after `SAVE_EVERY_WRITES` actions or `SAVE_EVERY_SECONDS`, whichever first."""
        self._unsaved += 1
        if (
            self._unsaved >= SAVE_EVERY_WRITES
            or self._clock() - self._saved_at >= SAVE_EVERY_SECONDS
        ):
            await self._save_now()

    def _park(self, action: PutCopy, err: InvalidEvent, report: SyncReport) -> None:
        """Keep a copy its calendar refused as invalid aside until its original changes."""
        self._state.park(
            action.record, action.event_id, action.template.summary, str(err)[:300]
        )
        report.parked += 1
        _LOGGER.warning(
            "Copy %s refused by %s, kept aside until its original changes: %s",
            action.event_id,
            action.target.calendar_id,
            type(err).__name__,
        )

    async def _perform(
        self, action: Action, report: SyncReport, semaphore: asyncio.Semaphore
    ) -> None:
        target = action.target
        if isinstance(action, ForgetCopy):
            self._state.forget_copy(target, action.event_id)
            return
        if isinstance(action, SettleCopy):
            self._state.settle_copy(action.record, action.event_id)
            return
        provider = self._providers[target.account]
        if isinstance(action, PutOriginal | DeleteOriginal):
            await self._write_back(action, provider, report, semaphore)
            return
        if isinstance(action, DeleteCopy):
            await self._write(
                target.account,
                lambda: provider.delete_event(target.calendar_id, action.event_id),
                report,
                semaphore,
                "delete",
            )
            self._state.record_delete(target, action.event_id)
            report.deleted += 1
            return
        # The copy as the calendar holds it, when the mirror knows it exists: the
        # provider then writes only what changed, and need not ask first.
        previous = self._state.calendar(target.key).events.get(action.event_id)
        stored = await self._write(
            target.account,
            lambda: provider.put_event(target.calendar_id, action.event, previous),
            report,
            semaphore,
            "put",
        )
        self._state.record_put(action.record, stored)
        if previous is not None:
            report.updated += 1
        else:
            report.created += 1

    async def _write_back(
        self,
        action: PutOriginal | DeleteOriginal,
        provider: CalendarProvider,
        report: SyncReport,
        semaphore: asyncio.Semaphore,
    ) -> None:
        """Change an original as a member's edit (or deletion) of its copy says."""
        target = action.target
        if isinstance(action, DeleteOriginal):
            await self._write(
                target.account,
                lambda: provider.delete_event(target.calendar_id, action.event_id),
                report,
                semaphore,
                "delete",
            )
            self._state.record_original_gone(target.key, action.event_id)
        else:
            stored = await self._write(
                target.account,
                lambda: provider.put_event(
                    target.calendar_id, action.event, action.previous
                ),
                report,
                semaphore,
                "put",
            )
            self._state.record_original(target.key, stored)
        report.written_back += 1

    async def _write[T](
        self,
        account: str,
        call: Callable[[], Awaitable[T]],
        report: SyncReport,
        semaphore: asyncio.Semaphore,
        kind: str,
    ) -> T:
        """Write at the account's pace; a rate limit pauses all of its writes.

        Raises `Deferred` when the account's pace or pause leaves no turn before
        the cycle's deadline, or the server keeps refusing.
        """
        pacer = self._pacers.get(account)
        if pacer is None:
            pacer = self._pacers[account] = Pacer(clock=self._clock, sleep=self._sleep)
        refusals = 0
        for attempt in itertools.count(1):
            try:
                # The turn is taken with a slot in hand, so that a pause holds the
                # writes that were about to start, not only the ones that follow.
                async with semaphore:
                    started = await pacer.turn(self._deadline)
                    report.requests[kind] += 1
                    result = await call()
            except RateLimited as err:
                report.refused += 1
                pacer.refused(started, err.retry_after)
                _LOGGER.debug("%s refused, pausing the account's writes: %s", kind, err)
                refusals += 1
                if refusals == MAX_RATE_LIMITED:
                    raise Deferred from err
            except Unreachable as err:
                if attempt - refusals >= MAX_ATTEMPTS:
                    raise
                delay = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** (attempt - refusals - 1))
                _LOGGER.debug("Retrying %s in %.1f s: %s", kind, delay, err)
                await self._sleep(delay)
            else:
                pacer.accepted()
                return result
        raise AssertionError("unreachable")  # pragma: no cover

    async def _with_retries[T](
        self, call: Callable[[], Awaitable[T]], report: SyncReport, kind: str
    ) -> T:
        """Retry what the server asked us to slow down for, or failed transiently."""
        for attempt in range(1, MAX_ATTEMPTS + 1):
            report.requests[kind] += 1
            try:
                return await call()
            except (RateLimited, Unreachable) as err:
                if attempt == MAX_ATTEMPTS:
                    raise
                delay = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** (attempt - 1))
                if isinstance(err, RateLimited) and err.retry_after is not None:
                    delay = min(BACKOFF_CAP, err.retry_after)
                _LOGGER.debug("Retrying %s in %.1f s: %s", kind, delay, err)
                await self._sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover


def plan_digest(members: Iterable[Member], options: PlanOptions) -> str:
    """Return what a plan depends on besides the events: members, options, version.

    The window and a one-off restore of hidden copies are left out: the cycle
    handles those itself.
    """
    settings = replace(options, window=None, restore_hidden=False)
    text = repr((PLAN_VERSION, tuple(members), settings))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _record_unexpected(report: SyncReport, ref: CalendarRef, err: Exception) -> None:
    """Report an error no provider should raise; log where, but not its message.

    Its message may quote the calendar's data.
    """
    frames = traceback.extract_tb(err.__traceback__)
    where = f"{Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else "?"
    _LOGGER.error(
        "Reading calendar %s failed: %s at %s",
        ref.calendar_id,
        type(err).__name__,
        where,
    )
    report.errors[ref.key] = f"Unexpected {type(err).__name__} at {where}"
    report.error_kinds[ref.key] = "Unexpected"


def _record_error(report: SyncReport, ref: CalendarRef, err: ProviderError) -> None:
    report.errors[ref.key] = str(err)
    # a provider's private subclass (an answer that is no XML) is its public kind
    report.error_kinds[ref.key] = next(
        kind.__name__ for kind in type(err).__mro__ if not kind.__name__.startswith("_")
    )
    if isinstance(err, AuthFailed):
        report.auth_failed[ref.account] = str(err)
