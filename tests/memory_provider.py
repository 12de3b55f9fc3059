"""An in-memory calendar server behind the provider protocol, with fault injection.

It keeps the contract of `CalendarProvider` (change cursors, complete listings,
idempotent puts, forgiving deletes) without HTTP, so that property tests can run
hundreds of cycles in seconds. The same behaviour is checked against the real
servers by the contract tests.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from custom_components.shared_calendars.engine.model import (
    CalendarInfo,
    ChangeSet,
    Event,
)
from custom_components.shared_calendars.providers.base import (
    CursorExpired,
    NotShared,
    Unreachable,
)


@dataclass
class _Calendar:
    events: dict[str, Event] = field(default_factory=dict)
    log: list[tuple[int, str]] = field(default_factory=list)
    """(sequence, event id) of every write, in order."""


class MemoryProvider:
    """One account's calendars, in memory."""

    def __init__(self, account: str = "memory") -> None:
        """Start with no calendars."""
        self._account = account
        self.calendars: dict[str, _Calendar] = {}
        self.requests: Counter[str] = Counter()
        self._sequence = 0
        self._cursor_epoch = 0
        self.fail_after_writes: int | None = None
        """Raise `Unreachable` on every write once this many more writes succeeded."""
        self.cancel_after_writes: int | None = None
        """Cancel the calling task once this many more writes succeeded."""

    @property
    def account(self) -> str:
        """Return the account's name."""
        return self._account

    def add_calendar(self, calendar_id: str) -> None:
        """Create an empty calendar."""
        self.calendars.setdefault(calendar_id, _Calendar())

    def expire_cursors(self) -> None:
        """Invalidate every cursor handed out so far."""
        self._cursor_epoch += 1

    def write(self, calendar_id: str, event: Event) -> None:
        """Store an event as its owner would, outside the integration."""
        self._store(calendar_id, event)

    def remove(self, calendar_id: str, event_id: str) -> None:
        """Delete an event as its owner would."""
        calendar = self.calendars[calendar_id]
        if calendar.events.pop(event_id, None) is not None:
            self._sequence += 1
            calendar.log.append((self._sequence, event_id))

    def _store(self, calendar_id: str, event: Event) -> None:
        calendar = self._calendar(calendar_id)
        self._sequence += 1
        calendar.events[event.id] = event
        calendar.log.append((self._sequence, event.id))

    def _calendar(self, calendar_id: str) -> _Calendar:
        if (calendar := self.calendars.get(calendar_id)) is None:
            raise NotShared(calendar_id, self._account, f"No calendar {calendar_id}")
        return calendar

    def _count_write(self) -> None:
        self.requests["write"] += 1
        if self.fail_after_writes is not None:
            if self.fail_after_writes == 0:
                raise Unreachable("injected failure")
            self.fail_after_writes -= 1
        if self.cancel_after_writes is not None:
            if self.cancel_after_writes == 0:
                self.cancel_after_writes = None
                raise asyncio.CancelledError
            self.cancel_after_writes -= 1

    async def list_calendars(self) -> list[CalendarInfo]:
        """Return every calendar."""
        self.requests["list_calendars"] += 1
        return [CalendarInfo(id=key, name=key, writable=True) for key in self.calendars]

    async def get_calendar(self, calendar_id: str) -> CalendarInfo:
        """Return one calendar."""
        self.requests["get_calendar"] += 1
        self._calendar(calendar_id)
        return CalendarInfo(id=calendar_id, name=calendar_id, writable=True)

    async def changes(
        self,
        calendar_id: str,
        cursor: str | None,
        known: Mapping[str, Event] | None = None,
    ) -> ChangeSet:
        """Return what changed since the cursor, or everything (whole events)."""
        self.requests["changes"] += 1
        calendar = self._calendar(calendar_id)
        new_cursor = f"{self._cursor_epoch}:{self._sequence}"
        if cursor is None:
            return ChangeSet(
                changed=tuple(calendar.events.values()),
                deleted=(),
                cursor=new_cursor,
                complete=True,
                requests=1,
            )
        epoch, _, since = cursor.partition(":")
        if int(epoch) != self._cursor_epoch:
            raise CursorExpired(f"Cursor of {calendar_id} expired")
        touched = dict.fromkeys(
            event_id for sequence, event_id in calendar.log if sequence > int(since)
        )
        return ChangeSet(
            changed=tuple(calendar.events[i] for i in touched if i in calendar.events),
            deleted=tuple(i for i in touched if i not in calendar.events),
            cursor=new_cursor,
            requests=1,
        )

    async def get_event(self, calendar_id: str, event_id: str) -> Event | None:
        """Return one event."""
        self.requests["get_event"] += 1
        return self._calendar(calendar_id).events.get(event_id)

    async def put_event(
        self, calendar_id: str, event: Event, previous: Event | None = None
    ) -> Event:
        """Create or replace an event under its id."""
        self._calendar(calendar_id)
        self._count_write()
        stored = replace(event, updated=None)
        self._store(calendar_id, stored)
        return stored

    async def delete_event(self, calendar_id: str, event_id: str) -> None:
        """Delete an event; a missing one is fine."""
        self._calendar(calendar_id)
        self._count_write()
        self.remove(calendar_id, event_id)

    async def close(self) -> None:
        """Nothing to release."""
