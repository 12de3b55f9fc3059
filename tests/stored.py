"""A sync state kept in a real status database, for tests that restart.

A restart is what Home Assistant does: close the database, open it again, and
build the state from its rows alone.
"""

from __future__ import annotations

from contextlib import closing
from pathlib import Path
import sqlite3
from typing import Any

from custom_components.shared_calendars.engine.state import SyncState
from custom_components.shared_calendars.status_db import StatusDatabase


class StoredState:
    """One group's status database, and the state last loaded from it."""

    def __init__(self, path: Path) -> None:
        """Open (or create) the database at `path` and load its state."""
        self.path = path
        self.database = StatusDatabase.open(path)
        self.state = self.database.load()

    async def save(self) -> None:
        """Write what changed in the state, as the cycle's `save` does."""
        self.database.write(self.state.changes())

    async def save_and_check(self) -> None:
        """Write what changed, then check that the rows hold all the state."""
        await self.save()
        assert kept(self.database.load()) == kept(self.state)

    def restart(self) -> SyncState:
        """Close the database, open it again and load the state from its rows."""
        self.database.close()
        self.database = StatusDatabase.open(self.path)
        self.state = self.database.load()
        return self.state

    def close(self) -> None:
        """Close the database."""
        self.database.close()


def kept(state: SyncState) -> dict[str, Any]:
    """Return what a restart must find of a state.

    Not the cursor of a calendar that holds nothing yet, nor a cursor that moved
    over no change: the one kept before it brings nothing more.
    """
    return {
        "events": {
            key: held.events for key, held in state.calendars.items() if held.events
        },
        "copies": state.copies,
        "parked": state.parked,
        "skipped": state.skipped,
        "pending": state.pending,
        "copy_uids": state.copy_uids,
        "planned": (state.planned_for, state.planned_window),
    }


def count_rows(path: Path, table: str) -> int:
    """Return how many rows a table of a status database holds, read on the side."""
    with closing(sqlite3.connect(path)) as connection:
        (count,) = connection.execute(f"SELECT COUNT(*) FROM {table}").fetchone()
    return int(count)


def reloaded(state: SyncState, path: Path) -> SyncState:
    """Return `state` as a restart reads it back, after writing what it changed."""
    database = StatusDatabase.open(path)
    try:
        database.write(state.changes())
        database.close()
        database = StatusDatabase.open(path)
        return database.load()
    finally:
        database.close()
