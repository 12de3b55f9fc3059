"""The sync state on disk: a SQLite status database whose rows change one by one.

One row per event of a mirror, per copy in the ledger (its record and its event,
see `status_rows`), per pending group: a flush writes the rows the state's journal
names, in one transaction, and a cycle that changed nothing writes nothing. A
copy's row is keyed by its group first, groups numbered as they are first written,
so that a first sync appends rows rather than rewrite pages all over the file. WAL with `synchronous=NORMAL` keeps every
transaction whole across a crash; a power cut may lose the last ones, which the
pending groups make good (they leave `pending` only in a later transaction than
their copies' records).

Blocking: Home Assistant calls it through its executor (see `store.py`); tests
and scripts may call it directly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
import sqlite3
from typing import Any
from zoneinfo import ZoneInfo

import orjson

from .engine.journal import CopyRow, StateChanges
from .engine.lazy_events import LazyEvents, Undecoded
from .engine.model import CalendarRef, Event, SkippedEvent, SkipReason, SyncWindow
from .engine.state import CalendarState, CopyRecord, ParkedCopy, SyncState, group_key
from .status_rows import (
    Originals,
    copy_body,
    copy_fields,
    event_body,
    event_from,
    is_whole,
    pack,
    unpack,
)

SCHEMA_VERSION = 3
"""2: datetimes stored as numbers. 3: a copy's event in its ledger row, as its
differences from an original of its group (`status_rows.copy_body`); groups
numbered; an override without what its series says; `copy_uids`: the uid (`id`) a
calendar gave a copy written there, when it did not keep the copy's own; `zones`:
the zones only their own VTIMEZONE defines, named by the rows of the events in them.
"""
_ADDED_IN_3 = """
CREATE TABLE groups (id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE);
CREATE TABLE copies (
    grp INTEGER NOT NULL, calendar INTEGER NOT NULL, id NOT NULL,
    fingerprint NOT NULL, flags INTEGER NOT NULL, body BLOB,
    PRIMARY KEY (grp, calendar, id)
) WITHOUT ROWID;
CREATE TABLE copy_uids (
    calendar INTEGER NOT NULL, id NOT NULL, copy NOT NULL,
    PRIMARY KEY (calendar, id)
) WITHOUT ROWID;
CREATE TABLE zones (
    id INTEGER PRIMARY KEY, tzid TEXT NOT NULL, definition TEXT NOT NULL,
    UNIQUE (tzid, definition)
);
"""
_SCHEMA = (
    """
CREATE TABLE calendars (
    id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE,
    account TEXT, calendar_id TEXT, cursor TEXT
);
CREATE TABLE events (
    calendar INTEGER NOT NULL, id NOT NULL, body BLOB NOT NULL,
    PRIMARY KEY (calendar, id)
) WITHOUT ROWID;
CREATE TABLE parked (
    calendar INTEGER NOT NULL, id NOT NULL, grp TEXT NOT NULL,
    fingerprint NOT NULL, title TEXT NOT NULL, reason TEXT NOT NULL,
    PRIMARY KEY (calendar, id)
) WITHOUT ROWID;
CREATE TABLE skipped (
    calendar INTEGER NOT NULL, id TEXT NOT NULL, title TEXT NOT NULL,
    reason TEXT NOT NULL, PRIMARY KEY (calendar, id)
) WITHOUT ROWID;
CREATE TABLE pending (grp TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE plan (
    id INTEGER PRIMARY KEY CHECK (id = 0), digest TEXT,
    window_start TEXT, window_end TEXT
);
"""
    + _ADDED_IN_3
)
_HIDDEN = 1
_DIVERGED = 2
_ORIGINALS_FOLLOW = 4
_FILE_SUFFIXES = ("", "-wal", "-shm")
_WAL_LIMIT = 1 << 20
"""Bytes of write-ahead log kept on disk after a checkpoint."""


@dataclass(kw_only=True, slots=True)
class _Calendar:
    id: int
    ref: CalendarRef | None
    """Known once a copy was recorded there: the ledger needs it back."""


class StatusDatabase:
    """One group's state in one SQLite file."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        """Use an open connection; `open` makes one."""
        self._connection = connection
        self._calendars = self._read_calendars()
        self._groups = self._read_groups()
        self._zones = self._read_zones()
        self._copy_groups: dict[tuple[int, str | bytes], int] | None = None
        """(calendar, id) -> group of every copy's row, once read: its key leads
        with the group, numbered as first written, so that a first sync appends."""

    @classmethod
    def open(cls, path: Path) -> StatusDatabase:
        """Open the database, creating it (and its folder) when missing.

        A database of version 2 is brought up to date; one of another version is
        started over: losing the state costs one full listing of every calendar,
        never a duplicate.
        """
        path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(
            path, isolation_level=None, check_same_thread=False
        )
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")
            # A first sync's batches grow the log; cut it back at each checkpoint
            # rather than keep megabytes on an SD card for good.
            connection.execute(f"PRAGMA journal_size_limit={_WAL_LIMIT}")
            version = connection.execute("PRAGMA user_version").fetchone()[0]
            if version == 2:
                _from_version_2(connection)
            elif version != SCHEMA_VERSION:
                _start_over(connection)
            # Groups whose copies are all gone (a few bytes each, found once a start).
            connection.execute(
                "DELETE FROM groups WHERE id NOT IN (SELECT grp FROM copies)"
            )
        except BaseException:
            connection.close()
            raise
        return cls(connection)

    @staticmethod
    def remove(path: Path) -> None:
        """Delete a database and its WAL files (close it first)."""
        for suffix in _FILE_SUFFIXES:
            path.with_name(path.name + suffix).unlink(missing_ok=True)

    def close(self) -> None:
        """Close the connection; the last one to close folds the WAL back in."""
        self._connection.close()

    def _read_calendars(self) -> dict[str, _Calendar]:
        return {
            key: _Calendar(
                id=row_id,
                ref=CalendarRef(account=account, calendar_id=calendar_id)
                if account is not None and calendar_id is not None
                else None,
            )
            for row_id, key, account, calendar_id in self._connection.execute(
                "SELECT id, key, account, calendar_id FROM calendars"
            )
        }

    def _read_zones(self) -> dict[tuple[str, str], int]:
        return {
            (tzid, definition): row_id
            for row_id, tzid, definition in self._connection.execute(
                "SELECT id, tzid, definition FROM zones"
            )
        }

    def _zone(self, tzid: str, definition: str) -> int:
        """Return the row of a zone's definition, adding it when missing."""
        if (known := self._zones.get((tzid, definition))) is None:
            cursor = self._connection.execute(
                "INSERT INTO zones (tzid, definition) VALUES (?, ?)", (tzid, definition)
            )
            assert cursor.lastrowid is not None
            known = self._zones[tzid, definition] = cursor.lastrowid
        return known

    def _read_groups(self) -> dict[str, int]:
        return {
            key: row_id
            for row_id, key in self._connection.execute("SELECT id, key FROM groups")
        }

    def load(self) -> SyncState:
        """Return the state the database holds (an empty one when new)."""
        run = self._connection.execute
        keys: dict[int, str] = {}
        refs: dict[int, CalendarRef | None] = {}
        calendars: dict[str, CalendarState] = {}
        for row_id, key, account, calendar_id, cursor in run(
            "SELECT id, key, account, calendar_id, cursor FROM calendars"
        ):
            keys[row_id] = key
            refs[row_id] = (
                CalendarRef(account=account, calendar_id=calendar_id)
                if account is not None
                else None
            )
            if cursor is not None:
                calendars[key] = CalendarState(cursor=cursor, events=LazyEvents())
        ledger: dict[tuple[str, str], tuple[CopyRecord, bytes | None]] = {}
        copy_groups: dict[tuple[int, str | bytes], int] = {}
        for number, group, calendar, event_id, fingerprint, flags, body in run(
            "SELECT grp, groups.key, calendar, copies.id, fingerprint, flags, body"
            " FROM copies JOIN groups ON groups.id = grp"
        ):
            record = _record(refs[calendar], group, fingerprint, flags)
            ledger[keys[calendar], unpack(event_id)] = record, body
            copy_groups[calendar, event_id] = number
        self._copy_groups = copy_groups
        zones = {row: definition for (_, definition), row in self._zones.items()}
        # The first original of each group (outside the ledger): what its copies'
        # rows keep their differences from (`copy_body`).
        bases: dict[str, tuple[tuple[str, str], dict[str, Any]]] = {}
        for calendar, event_id, body in run("SELECT calendar, id, body FROM events"):
            key = (keys[calendar], unpack(event_id))
            fields = orjson.loads(body)
            event = event_from(key[1], fields, key[0], zones)
            if (held := calendars.get(key[0])) is None:
                held = calendars[key[0]] = CalendarState(events=LazyEvents())
            held.events[event.id] = event
            if event.copy_of is None and key not in ledger:
                known = bases.get(group := group_key(event))
                if known is None or key < known[0]:
                    bases[group] = key, fields
        copies: dict[tuple[str, str], CopyRecord] = {}
        for key, (record, body) in ledger.items():
            copies[key] = record
            if body is None:
                continue
            if (held := calendars.get(key[0])) is None:
                held = calendars[key[0]] = CalendarState(events=LazyEvents())
            base = bases.get(record.group)
            stored = orjson.loads(body)
            read = partial(_copy, key, stored, record.group, base and base[1], zones)
            if is_whole(stored):
                held.events[key[1]] = read()
            else:  # a copy of its group: decoded when read (engine.lazy_events)
                events = held.events
                assert isinstance(events, LazyEvents)
                events.add_undecoded(key[1], Undecoded(record.group, read))
        parked = {
            (keys[calendar], unpack(event_id)): ParkedCopy(
                record=_record(refs[calendar], group, fingerprint, 0),
                title=title,
                reason=reason,
            )
            for calendar, event_id, group, fingerprint, title, reason in run(
                "SELECT calendar, id, grp, fingerprint, title, reason FROM parked"
            )
        }
        skipped: dict[str, dict[str, SkippedEvent]] = {}
        for calendar, event_id, title, reason in run(
            "SELECT calendar, id, title, reason FROM skipped"
        ):
            skipped.setdefault(keys[calendar], {})[event_id] = SkippedEvent(
                id=event_id, title=title, reason=SkipReason(reason)
            )
        plan = run("SELECT digest, window_start, window_end FROM plan").fetchone()
        digest, start, end = plan if plan is not None else (None, None, None)
        copy_uids = {
            (keys[calendar], unpack(uid)): unpack(copy)
            for calendar, uid, copy in run("SELECT calendar, id, copy FROM copy_uids")
        }
        return SyncState(
            calendars=calendars,
            copies=copies,
            copy_uids=copy_uids,
            skipped=skipped,
            pending={group for (group,) in run("SELECT grp FROM pending")},
            parked=parked,
            planned_for=digest,
            planned_window=SyncWindow(
                start=datetime.fromisoformat(start), end=datetime.fromisoformat(end)
            )
            if start is not None and end is not None
            else None,
        )

    def write(self, changes: StateChanges) -> None:
        """Write the changed rows in one transaction: all of them, or none."""
        connection = self._connection
        try:
            connection.execute("BEGIN IMMEDIATE")
            self._write(changes)
            connection.execute("COMMIT")
        except BaseException:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            # Calendars, groups and zones numbered in the transaction are gone with it.
            self._calendars = self._read_calendars()
            self._groups = self._read_groups()
            self._zones = self._read_zones()
            self._copy_groups = None
            raise

    def _write(self, changes: StateChanges) -> None:
        run, many = self._connection.execute, self._connection.executemany
        for key, cursor in changes.cursors.items():
            run(
                "UPDATE calendars SET cursor = ? WHERE id = ?",
                (cursor, self._calendar(key)),
            )
        for key, held in changes.skipped.items():
            calendar = self._calendar(key)
            run("DELETE FROM skipped WHERE calendar = ?", (calendar,))
            many(
                "INSERT INTO skipped VALUES (?, ?, ?, ?)",
                ((calendar, item.id, item.title, item.reason.value) for item in held),
            )
        self._replace(
            "events",
            changes.events,
            lambda key, event: (
                self._calendar(key[0]),
                pack(key[1]),
                event_body(event, key[0], self._zone),
            ),
        )
        self._write_copies(changes.copies)
        self._replace(
            "parked",
            changes.parked,
            lambda key, parked: (
                self._calendar(key[0], parked.record.target),
                pack(key[1]),
                parked.record.group,
                pack(parked.record.fingerprint),
                parked.title,
                parked.reason,
            ),
        )
        self._replace(
            "copy_uids",
            changes.copy_uids,
            lambda key, copy: (self._calendar(key[0]), pack(key[1]), pack(copy)),
        )
        many(
            "INSERT OR IGNORE INTO pending VALUES (?)",
            ((group,) for group, pending in changes.pending.items() if pending),
        )
        many(
            "DELETE FROM pending WHERE grp = ?",
            ((group,) for group, pending in changes.pending.items() if not pending),
        )
        if changes.planned is not None:
            digest, window = changes.planned
            run(
                "INSERT OR REPLACE INTO plan VALUES (0, ?, ?, ?)",
                (
                    digest,
                    window.start.isoformat() if window else None,
                    window.end.isoformat() if window else None,
                ),
            )

    def _replace[V](
        self,
        table: str,
        rows: dict[tuple[str, str], V | None],
        columns: Callable[[tuple[str, str], V], tuple[object, ...]],
    ) -> None:
        """Write rows keyed by (calendar key, event id); a None value deletes its row."""
        gone: Iterable[tuple[int, str | bytes]] = (
            (self._calendar(calendar), pack(event_id))
            for (calendar, event_id), value in rows.items()
            if value is None
        )
        self._connection.executemany(
            f"DELETE FROM {table} WHERE calendar = ? AND id = ?",  # noqa: S608
            gone,
        )
        written = [
            columns(key, value) for key, value in rows.items() if value is not None
        ]
        if written:
            marks = ", ".join("?" * len(written[0]))
            self._connection.executemany(
                f"INSERT OR REPLACE INTO {table} VALUES ({marks})",  # noqa: S608
                written,
            )

    def _write_copies(self, rows: dict[tuple[str, str], CopyRow | None]) -> None:
        """Write copies' rows, keyed by (group, calendar, id); None deletes one."""
        if (known := self._copy_groups) is None:
            known = self._copy_groups = {
                (calendar, event_id): group
                for group, calendar, event_id in self._connection.execute(
                    "SELECT grp, calendar, id FROM copies"
                )
            }
        bases = Originals(self._zone)
        gone: list[tuple[int, int, str | bytes]] = []
        written: list[tuple[object, ...]] = []
        for (calendar_key, event_id), row in rows.items():
            key = (
                self._calendar(calendar_key, row.record.target if row else None),
                pack(event_id),
            )
            group = self._group(row.record.group) if row is not None else None
            if (old := known.get(key)) is not None and old != group:
                gone.append((old, *key))
            if row is None:
                known.pop(key, None)
                continue
            assert group is not None
            known[key] = group
            record = row.record
            written.append(
                (
                    group,
                    *key,
                    pack(record.fingerprint),
                    (_HIDDEN if record.hidden else 0)
                    | (_DIVERGED if record.diverged else 0)
                    | (_ORIGINALS_FOLLOW if record.originals_follow else 0),
                    copy_body(row, calendar_key, bases),
                )
            )
        self._connection.executemany(
            "DELETE FROM copies WHERE grp = ? AND calendar = ? AND id = ?", gone
        )
        self._connection.executemany(
            "INSERT OR REPLACE INTO copies VALUES (?, ?, ?, ?, ?, ?)", written
        )

    def _group(self, key: str) -> int:
        """Return a group's number, numbering it when new."""
        if (known := self._groups.get(key)) is None:
            cursor = self._connection.execute(
                "INSERT INTO groups (key) VALUES (?)", (key,)
            )
            assert cursor.lastrowid is not None
            known = self._groups[key] = cursor.lastrowid
        return known

    def _calendar(self, key: str, ref: CalendarRef | None = None) -> int:
        """Return a calendar's row id, adding the row (or its account) when missing."""
        known = self._calendars.get(key)
        if known is None:
            cursor = self._connection.execute(
                "INSERT INTO calendars (key, account, calendar_id) VALUES (?, ?, ?)",
                (key, ref and ref.account, ref and ref.calendar_id),
            )
            assert cursor.lastrowid is not None
            known = self._calendars[key] = _Calendar(id=cursor.lastrowid, ref=ref)
        elif ref is not None and known.ref is None:
            self._connection.execute(
                "UPDATE calendars SET account = ?, calendar_id = ? WHERE id = ?",
                (ref.account, ref.calendar_id, known.id),
            )
            known.ref = ref
        return known.id


def _copy(
    key: tuple[str, str],
    stored: dict[str, Any],
    group: str,
    base: dict[str, Any] | None,
    zones: Mapping[int, str],
) -> Event:
    return event_from(key[1], copy_fields(stored, group, base), key[0], zones)


def _start_over(connection: sqlite3.Connection) -> None:
    connection.execute("BEGIN IMMEDIATE")
    tables = connection.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table'"
    ).fetchall()
    for (table,) in tables:
        connection.execute(f'DROP TABLE "{table}"')
    for statement in _SCHEMA.split(";"):
        if statement.strip():
            connection.execute(statement)
    connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    connection.execute("COMMIT")


def _from_version_2(connection: sqlite3.Connection) -> None:
    """Move copies' events into their ledger rows, in one transaction, then shrink the file.

    Version 2 kept every event in `events`; read so (a copy's row without a body
    leaves its event there), the state is written again whole as version 3 keeps it.
    Version 2 also kept a zone it could not name at the fixed offset of each time,
    so such a series drifted by an hour at each change of daylight saving time: the
    calendars holding one lose their cursor, and the next cycle lists them whole,
    reads those zones with their definitions and corrects the copies.
    """
    connection.execute("BEGIN IMMEDIATE")
    try:
        connection.execute("ALTER TABLE copies RENAME TO copies_2")
        for statement in _ADDED_IN_3.split(";"):
            if statement.strip():
                connection.execute(statement)
        connection.execute("INSERT INTO groups (key) SELECT DISTINCT grp FROM copies_2")
        connection.execute(
            "INSERT INTO copies SELECT groups.id, calendar, copies_2.id, fingerprint,"
            " flags, NULL FROM copies_2 JOIN groups ON groups.key = grp"
        )
        connection.execute("DROP TABLE copies_2")
        database = StatusDatabase(connection)
        state = database.load()
        for held in state.calendars.values():
            if any(map(_at_fixed_offset, held.events.values())):
                held.cursor = None
        state.mark_all_changed()
        database._write(state.changes())  # noqa: SLF001
        connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("VACUUM")


def _at_fixed_offset(event: Event) -> bool:
    """Return whether an original series starts in a zone without a name, other than UTC."""
    start = event.start
    return (
        event.recurring
        and event.copy_of is None
        and isinstance(start, datetime)
        and not isinstance(start.tzinfo, ZoneInfo)
        and start.utcoffset() != timedelta(0)
    )


def _record(
    target: CalendarRef | None, group: str, fingerprint: str | bytes, flags: int
) -> CopyRecord:
    assert target is not None, "a copy's calendar row names its account"
    return CopyRecord(
        group=group,
        target=target,
        fingerprint=unpack(fingerprint),
        hidden=bool(flags & _HIDDEN),
        diverged=bool(flags & _DIVERGED),
        originals_follow=bool(flags & _ORIGINALS_FOLLOW),
    )
