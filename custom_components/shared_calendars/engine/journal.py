"""Which parts of the sync state changed since they were last kept.

`SyncState` marks here every row it changes, as it changes it; a flush turns the
marks into the rows to write (`StateChanges`), so that what is written grows with
the change, never with the state, and a cycle that changed nothing writes nothing.
A mark names what changed, not how: the value is read when the marks are drained,
so a row changed twice between two flushes is written once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .model import Event, SkippedEvent, SyncWindow

if TYPE_CHECKING:
    from .state import CopyRecord, ParkedCopy

type RowKey = tuple[str, str]
"""(calendar key, event id): an event in a mirror, a copy in the ledger, a parked copy."""
type Planned = tuple[str | None, SyncWindow | None]
"""What every group was last planned for, and in which window."""


@dataclass(kw_only=True)
class Journal:
    """The rows changed since the last flush."""

    events: set[RowKey] = field(default_factory=set)
    calendars: set[str] = field(default_factory=set)
    """Calendars whose cursor or unreadable events changed, or that were forgotten."""
    copies: set[RowKey] = field(default_factory=set)
    parked: set[RowKey] = field(default_factory=set)
    pending: set[str] = field(default_factory=set)
    copy_uids: set[RowKey] = field(default_factory=set)
    """(calendar key, uid): the copy a calendar's own uid names changed."""
    kept_plan: Planned | None = (None, None)
    """The plan's digest and window as last kept; None when unknown (never equal)."""

    def clear(self) -> None:
        """Forget every mark: what they named is written."""
        self.events.clear()
        self.calendars.clear()
        self.copies.clear()
        self.parked.clear()
        self.pending.clear()
        self.copy_uids.clear()

    def mark_again(self, changes: StateChanges) -> None:
        """Mark once more what a flush that failed was to write."""
        self.events.update(changes.events)
        self.calendars.update(changes.cursors)
        self.copies.update(changes.copies)
        self.parked.update(changes.parked)
        self.pending.update(changes.pending)
        self.copy_uids.update(changes.copy_uids)
        if changes.planned is not None:
            self.kept_plan = None


@dataclass(frozen=True, kw_only=True)
class StateChanges:
    """The rows to write: each key's value now, None for a row to delete.

    Values are immutable, so a flush may write them from another thread while the
    state goes on changing.
    """

    events: dict[RowKey, Event | None] = field(default_factory=dict)
    cursors: dict[str, str | None] = field(default_factory=dict)
    """Every marked calendar's cursor; None also for a forgotten calendar."""
    skipped: dict[str, tuple[SkippedEvent, ...]] = field(default_factory=dict)
    """Every marked calendar's unreadable events, replacing those kept."""
    copies: dict[RowKey, CopyRecord | None] = field(default_factory=dict)
    parked: dict[RowKey, ParkedCopy | None] = field(default_factory=dict)
    pending: dict[str, bool] = field(default_factory=dict)
    """Group -> whether it is pending now."""
    copy_uids: dict[RowKey, str | None] = field(default_factory=dict)
    """(calendar key, uid the calendar gave a copy) -> the copy's id."""
    planned: Planned | None = None
    """The plan's digest and window, when they changed."""

    def __bool__(self) -> bool:
        """Return whether there is anything to write."""
        return bool(
            self.events
            or self.cursors
            or self.copies
            or self.parked
            or self.pending
            or self.copy_uids
            or self.planned is not None
        )

    @property
    def rows(self) -> int:
        """Return how many rows the changes write or delete (a plan counts one)."""
        return (
            len(self.events)
            + len(self.cursors)
            + sum(map(len, self.skipped.values()))
            + len(self.copies)
            + len(self.parked)
            + len(self.pending)
            + len(self.copy_uids)
            + (self.planned is not None)
        )
