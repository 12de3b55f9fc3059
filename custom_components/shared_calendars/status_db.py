"""The sync state on disk: a SQLite status database whose rows change one by one.

One row per event of a mirror, per copy in the ledger, per pending group: a
flush writes the rows the state's journal names, in one transaction, and a cycle
that changed nothing writes nothing. WAL with `synchronous=NORMAL` keeps every
transaction whole across a crash; a power cut may lose the last ones, which the
pending groups make good (they leave `pending` only in a later transaction than
their copies' records).

Blocking: Home Assistant calls it through its executor (see `store.py`); tests
and scripts may call it directly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
import sqlite3
from typing import Any
from zoneinfo import ZoneInfo

import orjson

from .engine.codec import decode_event, encode_event
from .engine.journal import StateChanges
from .engine.model import CalendarRef, Event, SkippedEvent, SkipReason, SyncWindow
from .engine.state import CalendarState, CopyRecord, ParkedCopy, SyncState

SCHEMA_VERSION = 4
"""2: datetimes stored as numbers (`_compact_moments`); 3: `copy_uids`; 4: `zones`,
the zones that only their own VTIMEZONE defines (`_zones_kept`)."""
_BASE_VERSION = 2
"""The version `_SCHEMA` makes; `_MIGRATIONS` bring it up to `SCHEMA_VERSION`."""
_SCHEMA = """
CREATE TABLE calendars (
    id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE,
    account TEXT, calendar_id TEXT, cursor TEXT
);
CREATE TABLE events (
    calendar INTEGER NOT NULL, id NOT NULL, body BLOB NOT NULL,
    PRIMARY KEY (calendar, id)
) WITHOUT ROWID;
CREATE TABLE copies (
    calendar INTEGER NOT NULL, id NOT NULL, grp TEXT NOT NULL,
    fingerprint NOT NULL, flags INTEGER NOT NULL,
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
_COPY_UIDS_TABLE = """
CREATE TABLE copy_uids (
    calendar INTEGER NOT NULL, id NOT NULL, copy NOT NULL,
    PRIMARY KEY (calendar, id)
) WITHOUT ROWID
"""
"""The uid (`id`) a calendar gave a copy written there, when it did not keep the
copy's own, and the copy's id."""
_ZONES_TABLE = """
CREATE TABLE zones (
    id INTEGER PRIMARY KEY, tzid TEXT NOT NULL, definition TEXT NOT NULL,
    UNIQUE (tzid, definition)
)"""
"""A zone's definition (its VTIMEZONE), named by the event bodies that use it."""
_HIDDEN = 1
_DIVERGED = 2
_ORIGINALS_FOLLOW = 4
_HEX = frozenset("0123456789abcdef")
_FILE_SUFFIXES = ("", "-wal", "-shm")
_WAL_LIMIT = 1 << 20
"""Bytes of write-ahead log kept on disk after a checkpoint."""


def _pack(text: str) -> str | bytes:
    """Store lower-case hex (copy ids, fingerprints) as the bytes it spells: half the size."""
    if text and len(text) % 2 == 0 and _HEX.issuperset(text):
        return bytes.fromhex(text)
    return text


def _unpack(value: str | bytes) -> str:
    return value.hex() if isinstance(value, bytes) else value


_SHORT_NAMES = {
    "ical_uid": "i",
    "start": "s",
    "end": "e",
    "summary": "t",
    "description": "d",
    "location": "l",
    "rrule": "r",
    "organizer": "o",
    "updated": "u",
    "copy_of": "c",
    "overrides": "v",
}
"""The codec's most frequent field names, shortened on disk; others are kept."""
_LONG_NAMES = {short: name for name, short in _SHORT_NAMES.items()}
_UID_AT = "i@"
"""The domain of a UID that is the event's id and a domain (Google's, and copies')."""
_OWN_ORGANIZER = "o="
"""Set when the organiser is the event's own calendar (Google says so of every event)."""
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def _shortened(data: dict[str, Any]) -> dict[str, Any]:
    if "overrides" in data:
        data["overrides"] = [_shortened(override) for override in data["overrides"]]
    return {_SHORT_NAMES.get(name, name): value for name, value in data.items()}


def _lengthened(data: dict[str, Any]) -> dict[str, Any]:
    data = {_LONG_NAMES.get(name, name): value for name, value in data.items()}
    if "overrides" in data:
        data["overrides"] = [_lengthened(override) for override in data["overrides"]]
    return data


def _compact_moments(event: Event, data: dict[str, Any]) -> None:
    """Write an event's datetimes as numbers: a third of their ISO text, and quicker read.

    A start in a named zone becomes [seconds since the epoch, zone], an end in that
    zone its seconds after the start, and an instant in UTC its microseconds since
    the epoch. Whatever else (dates, fixed offsets, fractions of a second, skipped
    wall times) keeps the codec's form.
    """
    start, end = event.start, event.end
    if (
        isinstance(start, datetime)
        and isinstance(zone := start.tzinfo, ZoneInfo)
        and _as_number_again(start)
    ):
        seconds = int(start.timestamp())
        data["start"] = [seconds, zone.key]
        if isinstance(end, datetime) and end.tzinfo is zone and _as_number_again(end):
            data["end"] = int(end.timestamp()) - seconds
    for name in ("updated", "created"):
        moment = getattr(event, name)
        if moment is not None and moment.tzinfo is UTC:
            data[name] = (moment - _EPOCH) // _MICROSECOND
    for override, override_data in zip(
        event.overrides, data.get("overrides", ()), strict=True
    ):
        _compact_moments(override, override_data)


def _as_number_again(moment: datetime) -> bool:
    """Return whether a time comes back from its seconds as it is.

    Not a fraction of a second, nor a wall time its zone skips (02:30 on the night
    clocks go forward comes back as 03:30): those keep the codec's form.
    """
    if moment.microsecond:
        return False
    again = datetime.fromtimestamp(int(moment.timestamp()), moment.tzinfo)
    return (again.replace(tzinfo=None), again.fold) == (
        moment.replace(tzinfo=None),
        moment.fold,
    )


def _expand_moments(data: dict[str, Any]) -> dict[str, Any]:
    """Turn what `_compact_moments` wrote back into dates and datetimes."""
    start = data["start"]
    if isinstance(start, list) and isinstance(seconds := start[0], int):
        zone = ZoneInfo(start[1])
        data["start"] = datetime.fromtimestamp(seconds, zone)
        if isinstance(end := data["end"], int):
            data["end"] = datetime.fromtimestamp(seconds + end, zone)
    for name in ("updated", "created"):
        if isinstance(moment := data.get(name), int):
            data[name] = _EPOCH + moment * _MICROSECOND
    if "overrides" in data:
        data["overrides"] = [
            _expand_moments(override) for override in data["overrides"]
        ]
    return data


def _body(event: Event, calendar: str, zone_row: Callable[[str, str], int]) -> bytes:
    """Return an event as compact JSON, without what its row's key already says.

    The definitions of zones the event's times are in (see `engine.codec`) are
    kept once in `zones`: the body names their rows.
    """
    data = encode_event(event)
    _compact_moments(event, data)
    event_id = data.pop("id")
    uid_id, at, domain = event.ical_uid.partition("@")
    if uid_id == event_id and at:
        del data["ical_uid"]
        data[_UID_AT] = domain
    if event.organizer is not None and event.organizer == calendar.rpartition("|")[2]:
        del data["organizer"]
        data[_OWN_ORGANIZER] = 1
    if zones := data.get("zones"):
        data["zones"] = {tzid: zone_row(tzid, text) for tzid, text in zones.items()}
    return orjson.dumps(_shortened(data))


def _event(event_id: str, body: bytes, calendar: str, zones: dict[int, str]) -> Event:
    """Return the event `_body` stored; `zones` holds the definitions by row."""
    data = _expand_moments(_lengthened(orjson.loads(body)))
    data["id"] = event_id
    if (domain := data.pop(_UID_AT, None)) is not None:
        data["ical_uid"] = f"{event_id}@{domain}"
    if data.pop(_OWN_ORGANIZER, None):
        data["organizer"] = calendar.rpartition("|")[2]
    if rows := data.get("zones"):
        data["zones"] = {tzid: zones[row] for tzid, row in rows.items()}
    return decode_event(data)


def _zones_kept(connection: sqlite3.Connection) -> None:
    """Bring a database from version 3 to 4: add `zones`, list some calendars again.

    Before, a zone no IANA zone matches was kept at the fixed offset of each time, so
    such a series drifted by an hour at each change of daylight saving time. The
    calendars holding one lose their cursor: the next cycle lists them whole, reads
    those zones with their definitions, and corrects the copies.
    """
    connection.execute(_ZONES_TABLE)
    drifting = {
        (calendar,)
        for calendar, event_id, body in connection.execute(
            "SELECT calendar, id, body FROM events"
        )
        if _at_fixed_offset(_event(_unpack(event_id), body, "", {}))
    }
    connection.executemany("UPDATE calendars SET cursor = NULL WHERE id = ?", drifting)


def _at_fixed_offset(event: Event) -> bool:
    """Return whether a series starts in a zone without a name, other than UTC."""
    start = event.start
    return (
        event.recurring
        and isinstance(start, datetime)
        and not isinstance(start.tzinfo, ZoneInfo)
        and start.utcoffset() != timedelta(0)
    )


def _table_added(statement: str) -> Callable[[sqlite3.Connection], None]:
    """Return a migration that adds one table."""

    def migrate(connection: sqlite3.Connection) -> None:
        connection.execute(statement)

    return migrate


_MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {
    2: _table_added(_COPY_UIDS_TABLE),
    3: _zones_kept,
}
"""Version -> what makes it the next one, keeping every row."""


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
        self._zones = self._read_zones()

    @classmethod
    def open(cls, path: Path) -> StatusDatabase:
        """Open the database, creating it (and its folder) when missing.

        A database of an older version is brought up to date where a migration
        keeps its rows; any other is started over: losing the state costs one
        full listing of every calendar, never a duplicate.
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
            if version != SCHEMA_VERSION:
                connection.execute("BEGIN IMMEDIATE")
                if not _BASE_VERSION <= version < SCHEMA_VERSION:
                    _start_over(connection)
                    version = _BASE_VERSION
                for step in range(version, SCHEMA_VERSION):
                    _MIGRATIONS[step](connection)
                connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                connection.execute("COMMIT")
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
        known = self._zones.get((tzid, definition))
        if known is None:
            cursor = self._connection.execute(
                "INSERT INTO zones (tzid, definition) VALUES (?, ?)", (tzid, definition)
            )
            assert cursor.lastrowid is not None
            known = self._zones[tzid, definition] = cursor.lastrowid
        return known

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
                calendars[key] = CalendarState(cursor=cursor)
        zones = {row: definition for (_, definition), row in self._zones.items()}
        for calendar, event_id, body in run("SELECT calendar, id, body FROM events"):
            key = keys[calendar]
            event = _event(_unpack(event_id), body, key, zones)
            if (held := calendars.get(key)) is None:
                held = calendars[key] = CalendarState()
            held.events[event.id] = event
        copies = {
            (keys[calendar], _unpack(event_id)): _record(
                refs[calendar], group, fingerprint, flags
            )
            for calendar, event_id, group, fingerprint, flags in run(
                "SELECT calendar, id, grp, fingerprint, flags FROM copies"
            )
        }
        parked = {
            (keys[calendar], _unpack(event_id)): ParkedCopy(
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
        copy_uids = {
            (keys[calendar], _unpack(uid)): _unpack(copy)
            for calendar, uid, copy in run("SELECT calendar, id, copy FROM copy_uids")
        }
        plan = run("SELECT digest, window_start, window_end FROM plan").fetchone()
        digest, start, end = plan if plan is not None else (None, None, None)
        return SyncState(
            calendars=calendars,
            copies=copies,
            skipped=skipped,
            pending={group for (group,) in run("SELECT grp FROM pending")},
            parked=parked,
            copy_uids=copy_uids,
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
            # Calendars and zones numbered in the transaction are gone with it.
            self._calendars = self._read_calendars()
            self._zones = self._read_zones()
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
                _pack(key[1]),
                _body(event, key[0], self._zone),
            ),
        )
        self._replace(
            "copies",
            changes.copies,
            lambda key, record: (
                self._calendar(key[0], record.target),
                _pack(key[1]),
                record.group,
                _pack(record.fingerprint),
                (_HIDDEN if record.hidden else 0)
                | (_DIVERGED if record.diverged else 0)
                | (_ORIGINALS_FOLLOW if record.originals_follow else 0),
            ),
        )
        self._replace(
            "parked",
            changes.parked,
            lambda key, parked: (
                self._calendar(key[0], parked.record.target),
                _pack(key[1]),
                parked.record.group,
                _pack(parked.record.fingerprint),
                parked.title,
                parked.reason,
            ),
        )
        self._replace(
            "copy_uids",
            changes.copy_uids,
            lambda key, copy: (self._calendar(key[0]), _pack(key[1]), _pack(copy)),
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
            (self._calendar(calendar), _pack(event_id))
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


def _start_over(connection: sqlite3.Connection) -> None:
    """Drop every table and make those of `_BASE_VERSION`."""
    tables = connection.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table'"
    ).fetchall()
    for (table,) in tables:
        connection.execute(f'DROP TABLE "{table}"')
    for statement in _SCHEMA.split(";"):
        if statement.strip():
            connection.execute(statement)


def _record(
    target: CalendarRef | None, group: str, fingerprint: str | bytes, flags: int
) -> CopyRecord:
    assert target is not None, "a copy's calendar row names its account"
    return CopyRecord(
        group=group,
        target=target,
        fingerprint=_unpack(fingerprint),
        hidden=bool(flags & _HIDDEN),
        diverged=bool(flags & _DIVERGED),
        originals_follow=bool(flags & _ORIGINALS_FOLLOW),
    )
