"""One sync cycle: fetch changes, plan, write copies, report.

This module does the I/O that `engine.plan` decides on, through the providers,
and knows nothing of Home Assistant, so that it can be driven as well by the
coordinator as by a test or a benchmark.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
import logging
from pathlib import Path
import time
import traceback
from typing import Any

from .engine.model import CalendarRef, ChangeSet, Member, SkippedEvent
from .engine.plan import Action, DeleteCopy, ForgetCopy, Plan, PlanOptions, plan
from .engine.state import Confirm, Loss, SyncState
from .providers.base import (
    AuthFailed,
    CalendarProvider,
    CursorExpired,
    ProviderError,
    RateLimited,
    Unreachable,
)

_LOGGER = logging.getLogger(__name__)

DEFAULT_CONCURRENCY = 4
BATCH_SIZE = 25
"""Writes between two saves of the state."""
PLAN_SLICE = 500
"""Groups planned between two turns of the event loop (about 50 ms here)."""
MAX_ATTEMPTS = 4
BACKOFF_BASE = 1.0
BACKOFF_CAP = 60.0


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
    duration: float = 0.0
    """Seconds the cycle took."""
    skipped: dict[str, tuple[SkippedEvent, ...]] = field(default_factory=dict)
    """Calendar key -> the events there that cannot be read, left out until they
    change (see `ChangeSet.skipped`)."""

    def counts(self) -> dict[str, Any]:
        """Return what the cycle did, in numbers that name no calendar."""
        return {
            "created": self.created,
            "updated": self.updated,
            "deleted": self.deleted,
            "unchanged": self.unchanged,
            "skipped_by_filter": self.skipped_by_filter,
            "pending": self.pending,
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
    ) -> None:
        """Use `providers` by account id; call `save` whenever the state should be kept."""
        self._providers = providers
        self._state = state
        self._save = save
        self._concurrency = max(1, concurrency)
        self._sleep = sleep
        self._planned_for: tuple[tuple[Member, ...], PlanOptions] | None = None

    async def run(
        self,
        members: Iterable[Member],
        options: PlanOptions,
        *,
        full: bool = False,
        confirm: Mapping[str, Confirm] | None = None,
    ) -> SyncReport:
        """Run one cycle; `full` lists every calendar anew instead of asking for changes.

        `confirm` answers, by calendar key, for calendars that look emptied.
        """
        started = time.monotonic()
        members = tuple(members)
        report = SyncReport()
        if full:
            self._state.reset_cursors()
        sources = {ref.key: ref for member in members for ref in member.sources}
        combined = {
            member.combined.key: member.combined
            for member in members
            if member.combined
        }
        calendars = sources | combined

        fetched = await asyncio.gather(
            *(self._fetch(ref, report) for ref in calendars.values())
        )
        for ref, changes in zip(calendars.values(), fetched, strict=True):
            if changes is None:
                continue
            result = self._state.apply(
                ref.key, changes, confirm=(confirm or {}).get(ref.key)
            )
            if result.held_back is not None:
                report.held_back[ref.key] = result.held_back
        for key in set(self._state.calendars) - set(calendars):
            self._state.forget_calendar(key)
        report.skipped = {
            key: tuple(held.values()) for key, held in self._state.skipped.items()
        }

        groups = set(self._state.pending)
        if full or self._planned_for != (members, options):
            groups |= self._state.all_groups()
        self._state.pending |= groups
        await self._save()

        planned = await self._plan(members, groups, options)
        self._planned_for = (members, options)
        report.skipped_by_filter = planned.skipped_by_filter
        report.unchanged = planned.unchanged
        await self._execute(planned, report)
        report.pending = len(self._state.pending)
        report.duration = time.monotonic() - started
        return report

    async def _plan(
        self, members: tuple[Member, ...], groups: set[str], options: PlanOptions
    ) -> Plan:
        """Plan in slices, letting the event loop run between them.

        Groups are planned independently, so slices add up to the whole plan; a full
        plan of a large group (after a restart) then never blocks Home Assistant long.
        """
        ordered = sorted(groups)
        actions: list[Action] = []
        skipped = unchanged = 0
        for start in range(0, len(ordered), PLAN_SLICE):
            part = plan(
                members, self._state, ordered[start : start + PLAN_SLICE], options
            )
            actions.extend(part.actions)
            skipped += part.skipped_by_filter
            unchanged += part.unchanged
            await asyncio.sleep(0)
        return Plan(
            actions=tuple(actions), skipped_by_filter=skipped, unchanged=unchanged
        )

    async def _fetch(self, ref: CalendarRef, report: SyncReport) -> ChangeSet | None:
        provider = self._providers.get(ref.account)
        if provider is None:
            report.errors[ref.key] = f"No account {ref.account} in this group"
            report.error_kinds[ref.key] = "UnknownAccount"
            return None
        cursor = self._state.calendar(ref.key).cursor
        try:
            try:
                changes = await self._with_retries(
                    lambda: provider.changes(ref.calendar_id, cursor), report, "changes"
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

    async def _execute(self, planned: Plan, report: SyncReport) -> None:
        failed_groups: set[str] = set()
        semaphore = asyncio.Semaphore(self._concurrency)
        # A calendar that could not be read this cycle is not written either.
        actions = [
            action
            for action in planned.actions
            if action.target.key not in report.errors
        ]
        failed_groups.update(
            action.group
            for action in planned.actions
            if action.target.key in report.errors
        )

        async def run_one(action: Action) -> None:
            async with semaphore:
                try:
                    await self._perform(action, report)
                except ProviderError as err:
                    failed_groups.add(action.group)
                    _record_error(report, action.target, err)

        for start in range(0, len(actions), BATCH_SIZE):
            batch = actions[start : start + BATCH_SIZE]
            try:
                await asyncio.gather(*(run_one(action) for action in batch))
            finally:
                await self._save()
        # Every pending group was planned; what did not fail is right now.
        self._state.pending = failed_groups
        await self._save()

    async def _perform(self, action: Action, report: SyncReport) -> None:
        target = action.target
        if isinstance(action, ForgetCopy):
            self._state.forget_copy(target, action.event_id)
            return
        provider = self._providers[target.account]
        if isinstance(action, DeleteCopy):
            await self._with_retries(
                lambda: provider.delete_event(target.calendar_id, action.event_id),
                report,
                "delete",
            )
            self._state.record_delete(target, action.event_id)
            report.deleted += 1
            return
        existed = action.event.id in self._state.calendar(target.key).events
        stored = await self._with_retries(
            lambda: provider.put_event(target.calendar_id, action.event), report, "put"
        )
        self._state.record_put(action.record, stored)
        if existed:
            report.updated += 1
        else:
            report.created += 1

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
    report.error_kinds[ref.key] = type(err).__name__
    if isinstance(err, AuthFailed):
        report.auth_failed[ref.account] = str(err)
