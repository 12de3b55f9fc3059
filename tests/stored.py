"""A sync state kept in a real status database, for tests that restart.

A restart is what Home Assistant does: close the database, open it again, and
build the state from its rows alone.
"""

from __future__ import annotations

from contextlib import closing
from pathlib import Path
import sqlite3
from typing import Any

import orjson

from custom_components.shared_calendars.engine.model import Event
from custom_components.shared_calendars.engine.state import SyncState
from custom_components.shared_calendars.status_db import StatusDatabase
from custom_components.shared_calendars.status_rows import event_fields


class StoredState:
    """One group's status database, and the state last loaded from it."""

    def __init__(self, path: Path) -> None:
        """Open (or create) the database at `path` and load its state."""
        self.path = path
        self.database = StatusDatabase.open(path)
        self.state = self.database.load()
        _OPEN.add(self)

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
        _OPEN.discard(self)


_OPEN: set[StoredState] = set()
"""Held until the test ends: a database collected unclosed is a ResourceWarning."""


def close_every_stored_state() -> None:
    """Close the databases tests left open (property tests make one per example)."""
    for stored in list(_OPEN):
        stored.close()


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


def write_version_2(path: Path, state: SyncState) -> None:
    """Write a state as version 2 kept it: events in `events`, groups by name."""
    database = StatusDatabase.open(path)
    database.write(state.changes())
    database.close()
    with closing(sqlite3.connect(path)) as connection:
        rows = connection.execute("SELECT calendar, id FROM copies").fetchall()
        for calendar, event_id in rows:
            key = connection.execute(
                "SELECT key FROM calendars WHERE id = ?", (calendar,)
            ).fetchone()[0]
            event = state.calendars[key].events[
                event_id.hex() if isinstance(event_id, bytes) else event_id
            ]
            connection.execute(
                "INSERT INTO events VALUES (?, ?, ?)",
                (calendar, event_id, _version_2_body(event, key)),
            )
        connection.executescript(
            """
            CREATE TABLE copies_2 (
                calendar INTEGER NOT NULL, id NOT NULL, grp TEXT NOT NULL,
                fingerprint NOT NULL, flags INTEGER NOT NULL,
                PRIMARY KEY (calendar, id)
            ) WITHOUT ROWID;
            INSERT INTO copies_2 SELECT calendar, copies.id, groups.key,
                fingerprint, flags FROM copies JOIN groups ON groups.id = grp;
            DROP TABLE copies;
            DROP TABLE groups;
            DROP TABLE copy_uids;
            DROP TABLE zones;
            ALTER TABLE copies_2 RENAME TO copies;
            """
        )
        connection.execute("PRAGMA user_version = 2")
        connection.commit()


def _version_2_body(event: Event, calendar: str) -> bytes:
    """Return an event's body as version 2 wrote it (its own `created`)."""
    fields = event_fields(event, calendar, _no_zone_rows)
    if fields.pop("c=u", None):
        fields["created"] = fields["u"]
    return orjson.dumps(fields)


def _no_zone_rows(tzid: str, definition: str) -> int:
    raise AssertionError(f"version 2 kept no zone definitions ({tzid})")
