"""The status database: disk writes grow with the change, never with the state.

A quiet cycle writes nothing at all; an edit writes a few rows; a cycle's writes
are saved every few hundred or every few seconds, and a process killed between two
saves converges after a restart from the database, with no duplicate; a state
kept by version 1 (one JSON document) moves in once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import closing
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
import os
from pathlib import Path
import sqlite3
from typing import Any
from uuid import uuid4
from zoneinfo import ZoneInfo

from homeassistant.const import EVENT_HOMEASSISTANT_FINAL_WRITE
from homeassistant.core import HomeAssistant
from hypothesis import HealthCheck, given, settings, strategies as st
import pytest

from custom_components.shared_calendars.const import DOMAIN, STORAGE_VERSION
from custom_components.shared_calendars.cycle import (
    SAVE_EVERY_SECONDS,
    SAVE_EVERY_WRITES,
    SyncCycle,
)
from custom_components.shared_calendars.engine.journal import StateChanges
from custom_components.shared_calendars.engine.model import (
    CalendarRef,
    ChangeSet,
    CopyMarker,
    Event,
    Member,
    SkippedEvent,
    SkipReason,
)
from custom_components.shared_calendars.engine.plan import PlanOptions
from custom_components.shared_calendars.engine.state import SyncState
from custom_components.shared_calendars.status_db import SCHEMA_VERSION
from custom_components.shared_calendars.store import StateStore, database_path

from .family import ENTRY_ID, Family, at, hour_long, setup_family
from .invented_zone import LAKESIDE
from .memory_provider import MemoryProvider
from .providers.caldav_harness import CalDavHarness
from .providers.google_harness import GoogleHarness
from .stored import StoredState, count_rows, kept, reloaded, write_version_2
from .strategies import assert_identical, events

T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def _disk(hass: HomeAssistant) -> list[tuple[int, int]]:
    """Return the size and time of change of the database and its WAL."""
    database = database_path(hass, ENTRY_ID)
    return [
        (path.stat().st_size, path.stat().st_mtime_ns)
        for path in (database, database.with_name(database.name + "-wal"))
    ]


def _changes(family: Family) -> int:
    """Return the rows the group's database connection inserted, changed or deleted."""
    database = family.coordinator.store._database
    assert database is not None
    return database._connection.total_changes


async def _synced_family(hass: HomeAssistant, harness: Any, events: int) -> Family:
    """Set a family up with `events` of Anna's, and read its own copies back once."""
    family = await setup_family(
        hass,
        harness,
        {
            "anna": [
                hour_long(f"a{n}", f"Anna {n}", at(2 + n % 20, 8 + n % 10))
                for n in range(events)
            ],
            "ben": [hour_long("b0", "Ben 0", at(3, 9))],
        },
    )
    await family.coordinator.async_refresh()
    assert family.coordinator.last_update_success
    return family


async def _quiet_cycle_writes_nothing(hass: HomeAssistant, harness: Any) -> None:
    family = await _synced_family(hass, harness, 5)
    disk, changes = _disk(hass), _changes(family)

    await family.coordinator.async_refresh()

    report = family.coordinator.data
    assert sum(report.requests.values()) == len(family.calendars)
    assert _changes(family) == changes
    assert _disk(hass) == disk


async def test_a_quiet_cycle_on_google_writes_nothing_to_disk(
    hass: HomeAssistant, google_harness: GoogleHarness
) -> None:
    """No transaction, no byte: the database and its WAL are left as they were."""
    await _quiet_cycle_writes_nothing(hass, google_harness)


async def test_a_quiet_cycle_on_caldav_writes_nothing_to_disk(
    hass: HomeAssistant, caldav_harness: CalDavHarness
) -> None:
    """The same on Radicale, whose sync tokens stay put when nothing changed."""
    await _quiet_cycle_writes_nothing(hass, caldav_harness)


async def test_home_assistant_stopping_closes_the_database(
    hass: HomeAssistant, caldav_harness: CalDavHarness
) -> None:
    """At Home Assistant's final write the WAL is folded back in and the file closed.

    A save that comes later (a cycle still running) is left to the next run.
    """
    family = await _synced_family(hass, caldav_harness, 3)
    database = database_path(hass, ENTRY_ID)
    wal = database.with_name(database.name + "-wal")
    assert wal.exists()

    hass.bus.async_fire(EVENT_HOMEASSISTANT_FINAL_WRITE)
    await hass.async_block_till_done()

    assert not wal.exists()  # SQLite removes it when its last connection closes
    assert family.coordinator.store._database is None
    await family.coordinator.async_save_state()


async def _restart_reads_nothing_again(hass: HomeAssistant, harness: Any) -> None:
    family = await _synced_family(hass, harness, 12)
    requests = harness.request_count()
    await family.coordinator.async_refresh()  # quiet: the cursors it moved stay out
    assert harness.request_count() - requests == len(family.calendars)

    assert await hass.config_entries.async_reload(family.entry.entry_id)
    await hass.async_block_till_done()

    # The first cycle after the restart lists from the cursors kept past the
    # group's own writes: one request a calendar, and nothing to take in again
    # (were the 12 copies listed again, the mirror would rewrite their rows).
    report = family.coordinator.data
    assert family.coordinator.last_update_success
    assert sum(report.requests.values()) == len(family.calendars)
    assert _changes(family) == 0


async def test_a_restart_on_google_lists_its_own_writes_no_more(
    hass: HomeAssistant, google_harness: GoogleHarness
) -> None:
    """The cycle that read the copies back kept its sync tokens, for the restart."""
    await _restart_reads_nothing_again(hass, google_harness)


async def test_a_restart_on_caldav_lists_its_own_writes_no_more(
    hass: HomeAssistant, caldav_harness: CalDavHarness
) -> None:
    """The same on Radicale, whose sync token moved over the copies' PUTs."""
    await _restart_reads_nothing_again(hass, caldav_harness)


async def test_an_edit_writes_a_few_rows_however_many_are_held(
    hass: HomeAssistant, google_harness: GoogleHarness
) -> None:
    """One changed original writes a handful of rows, not the 82 the group holds."""
    family = await _synced_family(hass, google_harness, 40)
    held = sum(
        count_rows(database_path(hass, ENTRY_ID), table)
        for table in ("events", "copies")
    )
    assert held == 41 + 41  # originals; copies, each its record and event in one row
    changes = _changes(family)

    await google_harness.provider.put_event(
        family.calendars["anna"], hour_long("a7", "Anna 7 moved", at(9, 15))
    )
    await family.coordinator.async_refresh()
    edited = _changes(family) - changes
    await family.coordinator.async_refresh()  # reads the updated copy back
    read_back = _changes(family) - changes - edited

    # The original, the copy's row, a cursor or two, the group made pending and
    # then settled: a handful, of the 82 rows held.
    assert 1 <= edited <= 8
    assert read_back <= 2  # at most the copy as read back, and its cursor


def _pair(provider: MemoryProvider) -> list[Member]:
    for calendar in ("anna", "ben", "ben-combined"):
        provider.add_calendar(calendar)
    return [
        Member(
            id="anna",
            name="Anna",
            sources=(CalendarRef(account=provider.account, calendar_id="anna"),),
        ),
        Member(
            id="ben",
            name="Ben",
            sources=(CalendarRef(account=provider.account, calendar_id="ben"),),
            combined=CalendarRef(account=provider.account, calendar_id="ben-combined"),
        ),
    ]


async def _no_sleep(_: float) -> None:
    """Skip back-off waits."""


def _originals(provider: MemoryProvider, count: int) -> None:
    for n in range(count):
        start = T0 + timedelta(hours=n)
        provider.write(
            "anna",
            Event(
                id=f"a{n}",
                ical_uid=f"a{n}@example.com",
                summary=f"Anna {n}",
                start=start,
                end=start + timedelta(hours=1),
            ),
        )


async def _killed_after(
    provider: MemoryProvider,
    members: list[Member],
    stored: StoredState,
    writes: int,
    clock: Callable[[], float],
) -> None:
    """Run a first sync that dies at its first save after `writes` writes."""

    async def save_until_killed() -> None:
        if provider.requests["write"] > writes:
            raise asyncio.CancelledError  # the process is gone: nothing more is kept
        await stored.save()

    provider.cancel_after_writes = writes
    cycle = SyncCycle(
        providers={provider.account: provider},
        state=stored.state,
        save=save_until_killed,
        sleep=_no_sleep,
        clock=clock,
    )
    with pytest.raises(asyncio.CancelledError):
        await cycle.run(members, PlanOptions())


async def test_a_process_killed_between_saves_converges_after_a_restart(
    tmp_path: Path,
) -> None:
    """The writes saved before the kill are kept; nothing is written twice over."""
    provider = MemoryProvider()
    members = _pair(provider)
    originals = 2 * SAVE_EVERY_WRITES
    _originals(provider, originals)
    stored = StoredState(tmp_path / "state.db")
    saves: list[int] = []
    save_rows = stored.database.write

    def counted(changes: StateChanges) -> None:
        saves.append(changes.rows)
        save_rows(changes)

    stored.database.write = counted  # type: ignore[method-assign]
    # A clock that stands still: only the count of writes brings a save.
    await _killed_after(provider, members, stored, SAVE_EVERY_WRITES + 10, lambda: 0)
    assert len(provider.calendars["ben-combined"].events) > SAVE_EVERY_WRITES
    # One save before the writes (the groups made pending), one after 400 of them.
    assert len(saves) == 2

    state = stored.restart()
    assert len(state.copies) == SAVE_EVERY_WRITES
    report = await SyncCycle(
        providers={provider.account: provider},
        state=state,
        save=stored.save_and_check,
        sleep=_no_sleep,
    ).run(members, PlanOptions())

    copies = provider.calendars["ben-combined"].events.values()
    assert sorted(copy.summary for copy in copies) == sorted(
        f"Anna {n}" for n in range(originals)
    )
    # The copies the ledger does not know are put again under their ids; those
    # saved before the kill are not written again.
    assert report.created + report.updated == originals - SAVE_EVERY_WRITES
    assert report.pending == 0
    assert len(stored.restart().copies) == originals
    stored.close()


async def test_a_slow_first_sync_saves_every_few_seconds(tmp_path: Path) -> None:
    """Writes that take long are saved by time, well before 400 of them."""
    provider = MemoryProvider()
    members = _pair(provider)
    _originals(provider, 40)
    stored = StoredState(tmp_path / "state.db")
    # Each write takes a second: a save falls due every SAVE_EVERY_SECONDS writes.
    await _killed_after(
        provider, members, stored, 12, lambda: float(provider.requests["write"])
    )

    kept_copies = len(stored.restart().copies)
    assert SAVE_EVERY_SECONDS <= kept_copies <= 12
    stored.close()


LEGACY_STATE: dict[str, Any] = {
    "version": 1,
    "calendars": {
        "acct|anna": {
            "cursor": "c7",
            "empty_cycles": 2,  # kept by a version before the emptied guard changed
            "events": [
                {
                    "id": "a1",
                    "ical_uid": "a1@example.com",
                    "summary": "Dentist",
                    "start": ["2026-12-02T09:00:00+01:00", "Europe/Berlin"],
                    "end": ["2026-12-02T10:00:00+01:00", "Europe/Berlin"],
                }
            ],
        },
        "acct|ben-combined": {
            "cursor": None,
            "events": [
                {
                    "id": "0123456789abcdef0123456789abcdef01234567",
                    "ical_uid": "0123456789abcdef0123456789abcdef01234567@x",
                    "summary": "Dentist",
                    "start": "2026-12-02",
                    "end": "2026-12-03",
                    "copy_of": "uid:a1@example.com",
                }
            ],
        },
    },
    "copies": [
        {
            "group": "uid:a1@example.com",
            "account": "acct",
            "calendar": "ben-combined",
            "id": "0123456789abcdef0123456789abcdef01234567",
            "fingerprint": "ab" * 32,
            "hidden": False,
        }
    ],
    "pending": ["uid:a1@example.com"],
    "planned_for": "digest",
    "planned_window": ["2026-11-01T00:00:00+00:00", "2027-03-01T00:00:00+00:00"],
    "parked": [
        {
            "group": "uid:b1@example.com",
            "account": "acct",
            "calendar": "ben-combined",
            "id": "b1copy",
            "fingerprint": "cd" * 32,
            "title": "Refused",
            "reason": "Invalid",
        }
    ],
}
"""What version 1 kept, including fields of older versions; no `skipped` list yet."""


async def test_a_version_1_state_moves_into_the_database_once(
    hass: HomeAssistant, hass_storage: dict[str, Any]
) -> None:
    """Read from Home Assistant's storage, written whole to the database, then removed."""
    key = f"{DOMAIN}.{ENTRY_ID}"
    hass_storage[key] = {"version": STORAGE_VERSION, "key": key, "data": LEGACY_STATE}

    store = StateStore(hass, ENTRY_ID)
    state = await store.async_load()
    await store.async_close()

    assert key not in hass_storage
    assert state.calendar("acct|anna").cursor == "c7"
    assert state.copies_of("uid:a1@example.com")[0][1].fingerprint == "ab" * 32
    assert state.pending == {"uid:a1@example.com"}
    assert state.skipped == {}
    assert state.parked[("acct|ben-combined", "b1copy")].title == "Refused"
    path = database_path(hass, ENTRY_ID)
    # The original in `events`; the copy, event and record, in its ledger row.
    assert (count_rows(path, "events"), count_rows(path, "copies")) == (1, 1)

    again = StateStore(hass, ENTRY_ID)
    reloaded = await again.async_load()
    await again.async_close()
    assert kept(reloaded) == kept(state)
    assert reloaded.planned_for == "digest"


async def test_a_damaged_database_is_started_over(hass: HomeAssistant) -> None:
    """A file that is no database costs one full listing, not the group."""
    path = database_path(hass, ENTRY_ID)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"not a database at all, " * 100)

    store = StateStore(hass, ENTRY_ID)
    state = await store.async_load()
    state.apply(
        "acct|anna",
        ChangeSet(
            changed=(),
            deleted=(),
            cursor="c1",
            skipped=(SkippedEvent(id="x", reason=SkipReason.MISSING_TIME),),
        ),
    )
    await store.async_flush(state)
    await store.async_close()

    assert count_rows(path, "skipped") == 1


@st.composite
def _held_events(draw: st.DrawFn) -> Event:
    """Draw an event, sometimes in the shapes the database shortens."""
    drawn = draw(events())
    event_id = draw(st.from_regex(r"[a-z0-9_]{1,12}|[0-9a-f]{40}", fullmatch=True))
    return replace(
        drawn,
        id=event_id,
        ical_uid=draw(
            st.sampled_from(
                [drawn.ical_uid, f"{event_id}@google.com", f"{event_id}@a@b"]
            )
        ),
        organizer=draw(st.sampled_from([drawn.organizer, "cal|x@example.com"])),
        updated=draw(
            st.sampled_from(
                [
                    drawn.updated,
                    datetime(2026, 12, 2, 13, 50, 53, 896001, tzinfo=UTC),
                    datetime(2026, 12, 2, 14, 50, tzinfo=ZoneInfo("Europe/Berlin")),
                ]
            )
        ),
    )


@settings(
    max_examples=int(os.environ.get("PROPERTY_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(held=st.lists(_held_events(), max_size=4, unique_by=lambda event: event.id))
def test_every_event_comes_back_from_the_database_as_it_was(
    tmp_path: Path, held: list[Event]
) -> None:
    """Shortened on disk, but read back identical, zones and all."""
    state = SyncState()
    calendar = "acct|cal|x@example.com"
    state.apply(calendar, ChangeSet(changed=tuple(held), deleted=(), cursor="c1"))

    loaded = reloaded(state, tmp_path / f"{uuid4().hex}.db").calendar(calendar)

    assert loaded.events.keys() == {event.id for event in held}
    for event in held:
        assert_identical(loaded.events[event.id], event)


def test_a_plain_copy_takes_one_short_row(tmp_path: Path) -> None:
    """Its datetimes are numbers on disk (issue 12: state per copy), read back exact."""
    berlin = ZoneInfo("Europe/Berlin")
    written = datetime(2026, 12, 2, 13, 50, 53, 896000, tzinfo=UTC)
    copy = Event(
        id="0123456789abcdef0123456789abcdef01234567",
        ical_uid="0123456789abcdef0123456789abcdef01234567@shared-calendars",
        summary="Dentist",
        start=datetime(2026, 12, 21, 9, 30, tzinfo=berlin),
        end=datetime(2026, 12, 21, 10, 30, tzinfo=berlin),
        updated=written,
        created=written,
        copy_of=CopyMarker(source="uid:dentist@example.com"),
    )
    state = SyncState()
    calendar = "acct|cal|x@example.com"
    state.apply(calendar, ChangeSet(changed=(copy,), deleted=(), cursor="c1"))
    path = tmp_path / "state.db"

    loaded = reloaded(state, path).calendar(calendar).events[copy.id]

    assert_identical(loaded, copy)
    with closing(sqlite3.connect(path)) as connection:
        ((body,),) = connection.execute("SELECT body FROM events").fetchall()
    assert len(body) <= 160, body
    assert b"2026-12" not in body


def test_a_zone_of_its_own_definition_is_stored_once(tmp_path: Path) -> None:
    """Times in a zone only its VTIMEZONE defines come back in it.

    Its definition takes one row, however many events use it.
    """
    first = datetime(2027, 3, 4, 19, tzinfo=LAKESIDE)
    series = Event(
        id="club",
        ical_uid="club@example.org",
        start=first,
        end=first + timedelta(minutes=90),
        rrule="FREQ=WEEKLY;BYDAY=TH",
        exdate=(first + timedelta(weeks=10),),
    )
    single = replace(series, id="regatta", rrule=None, exdate=())
    state = SyncState()
    for calendar, event in (("acct|a", series), ("acct|b", single)):
        state.apply(calendar, ChangeSet(changed=(event,), deleted=(), cursor="c1"))
    path = tmp_path / "state.db"

    loaded = reloaded(state, path)

    assert_identical(loaded.calendar("acct|a").events["club"], series)
    assert_identical(loaded.calendar("acct|b").events["regatta"], single)
    assert loaded.calendar("acct|a").events["club"].start.tzinfo is LAKESIDE  # type: ignore[union-attr]
    assert count_rows(path, "zones") == 1
    with closing(sqlite3.connect(path)) as connection:
        bodies = [body for (body,) in connection.execute("SELECT body FROM events")]
    assert not any(b"VTIMEZONE" in body for body in bodies)


def test_an_older_database_lists_its_drifting_calendars_again(tmp_path: Path) -> None:
    """Version 2 kept a zone it could not name at fixed offsets: such series drift.

    Migrated, the calendars holding one lose their cursor (the next cycle lists
    them whole and reads the zones with their definitions); the others keep theirs,
    and every event and copy stays.
    """
    flattened = datetime(2027, 3, 4, 19, tzinfo=timezone(timedelta(hours=1)))
    berlin = datetime(2027, 3, 4, 19, tzinfo=ZoneInfo("Europe/Berlin"))
    held = {
        "acct|drifting": Event(
            id="club",
            ical_uid="club@example.org",
            start=flattened,
            end=flattened + timedelta(hours=1),
            rrule="FREQ=WEEKLY",
        ),
        "acct|named": Event(
            id="choir",
            ical_uid="choir@example.org",
            start=berlin,
            end=berlin + timedelta(hours=1),
            rrule="FREQ=WEEKLY",
        ),
        "acct|single": Event(
            id="regatta",
            ical_uid="regatta@example.org",
            start=flattened,
            end=flattened + timedelta(hours=1),
        ),
    }
    state = SyncState()
    for calendar, event in held.items():
        state.apply(calendar, ChangeSet(changed=(event,), deleted=(), cursor="c1"))
    path = tmp_path / "state.db"
    write_version_2(path, state)

    stored = StoredState(path)
    try:
        migrated = stored.state
        assert {key: migrated.calendar(key).cursor for key in held} == {
            "acct|drifting": None,
            "acct|named": "c1",
            "acct|single": "c1",
        }
        for key, event in held.items():
            assert_identical(migrated.calendar(key).events[event.id], event)
        assert count_rows(path, "zones") == 0
        with closing(sqlite3.connect(path)) as connection:
            assert connection.execute("PRAGMA user_version").fetchone() == (
                SCHEMA_VERSION,
            )
    finally:
        stored.close()


def test_a_database_of_an_unknown_version_is_started_over(tmp_path: Path) -> None:
    """No migration leads from it: it costs one full listing, never a duplicate."""
    state = SyncState()
    state.apply("acct|a", ChangeSet(changed=(), deleted=(), cursor="c1"))
    path = tmp_path / "state.db"
    reloaded(state, path)
    assert count_rows(path, "calendars") == 1
    with closing(sqlite3.connect(path)) as connection:
        connection.execute("PRAGMA user_version = 1")
        connection.commit()

    stored = StoredState(path)
    try:
        assert stored.state.calendars == {}
        assert count_rows(path, "calendars") == 0
    finally:
        stored.close()


def test_wall_times_a_change_of_clocks_skips_or_repeats_come_back_as_they_were(
    tmp_path: Path,
) -> None:
    """A series expands from its start's wall time: a restart must not move it.

    02:30 on 28 March 2027 does not exist in Berlin (clocks go from 02:00 to
    03:00): read as written, it would come back 03:30 and every later occurrence an
    hour late. 02:30 on 31 October happens twice: the second passing stays second.
    """
    berlin = ZoneInfo("Europe/Berlin")
    skipped = datetime(2027, 3, 28, 2, 30, tzinfo=berlin)
    repeated = datetime(2027, 10, 31, 2, 30, fold=1, tzinfo=berlin)
    held = [
        Event(
            id=name,
            ical_uid=f"{name}@example.org",
            start=moment,
            end=moment + timedelta(minutes=30),
            rrule="FREQ=DAILY;COUNT=3",
            rdate=(moment + timedelta(days=7),),
        )
        for name, moment in (("skipped", skipped), ("repeated", repeated))
    ]
    state = SyncState()
    state.apply("acct|a", ChangeSet(changed=tuple(held), deleted=(), cursor="c1"))

    loaded = reloaded(state, tmp_path / "state.db").calendar("acct|a").events

    for event in held:
        back = loaded[event.id]
        for ours, theirs in (
            (back.start, event.start),
            (back.rdate[0], event.rdate[0]),
        ):
            assert isinstance(ours, datetime)
            assert isinstance(theirs, datetime)
            assert (ours.replace(tzinfo=None), ours.fold, ours.tzinfo) == (
                theirs.replace(tzinfo=None),
                theirs.fold,
                berlin,
            )
