"""Where a group keeps its sync state between runs: its status database.

`.storage/shared_calendars.<entry id>.db` in Home Assistant's configuration
folder (see `status_db.py`), read and written only through the executor. A
group saved by version 1 (one JSON document in Home Assistant's storage) is
moved into it once.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
import sqlite3
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers.storage import STORAGE_DIR, Store
from homeassistant.helpers.update_coordinator import UpdateFailed

from .const import DOMAIN, LOGGER, STORAGE_VERSION
from .engine.legacy import state_from_json
from .engine.state import SyncState
from .status_db import StatusDatabase

_STARTED_OVER = (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB)
"""A database that is broken rather than unreachable: it is started over."""


class StateNotSaved(UpdateFailed):
    """The sync state could not be written to disk."""


def database_path(hass: HomeAssistant, entry_id: str) -> Path:
    """Return the file of a group's status database."""
    return Path(hass.config.path(STORAGE_DIR, f"{DOMAIN}.{entry_id}.db"))


def _legacy_store(hass: HomeAssistant, entry_id: str) -> Store[dict[str, Any]]:
    """Return where version 1 kept a group's state."""
    return Store(hass, STORAGE_VERSION, f"{DOMAIN}.{entry_id}", private=True)


def _open_and_load(path: Path) -> tuple[StatusDatabase, SyncState]:
    try:
        database = StatusDatabase.open(path)
        return database, database.load()
    except sqlite3.DatabaseError as err:
        if err.sqlite_errorcode not in _STARTED_OVER:
            raise
        LOGGER.warning("The sync state is damaged and is built anew: %s", err)
        StatusDatabase.remove(path)
        return StatusDatabase.open(path), SyncState()


class StateStore:
    """A group's state on disk: loaded once, then kept by changed rows."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Prepare the store; nothing is read before `async_load`."""
        self._hass = hass
        self._entry_id = entry_id
        self._database: StatusDatabase | None = None
        self._lock = asyncio.Lock()
        """Flushes write in the order they drained the journal."""

    async def async_load(self) -> SyncState:
        """Return the state the group kept, moving a version 1 state in first."""
        self._database, state = await self._hass.async_add_executor_job(
            _open_and_load, database_path(self._hass, self._entry_id)
        )
        legacy = _legacy_store(self._hass, self._entry_id)
        if (stored := await legacy.async_load()) is not None:
            state = state_from_json(stored)
            state.mark_all_changed()
            await self.async_flush(state)
            await legacy.async_remove()
            LOGGER.info("Moved the sync state of %s into its database", self._entry_id)
        return state

    async def async_flush(self, state: SyncState) -> None:
        """Write what changed in the state since the last flush; nothing when nothing did.

        Raises `StateNotSaved` when it could not be written; the changes are then
        written by the next flush.
        """
        async with self._lock:
            if (database := self._database) is None:
                # Closed as Home Assistant stops: what is left is written by the
                # next run (the pending groups are finished then).
                return
            if not (changes := state.changes()):
                return
            try:
                await self._hass.async_add_executor_job(database.write, changes)
            except (sqlite3.Error, OSError) as err:
                state.journal.mark_again(changes)
                raise StateNotSaved(
                    translation_domain=DOMAIN,
                    translation_key="state_not_saved",
                    translation_placeholders={"error": str(err)},
                ) from err

    async def async_close(self) -> None:
        """Close the database, once the last flush is done."""
        async with self._lock:
            if (database := self._database) is not None:
                self._database = None
                await self._hass.async_add_executor_job(database.close)


async def async_remove_state(hass: HomeAssistant, entry_id: str) -> None:
    """Delete a removed group's stored state, in either form."""
    await _legacy_store(hass, entry_id).async_remove()
    await hass.async_add_executor_job(
        StatusDatabase.remove, database_path(hass, entry_id)
    )
