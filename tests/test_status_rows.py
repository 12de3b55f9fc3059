"""How the status database keeps copies: one short row each (issue 12, state size).

A copy's event is kept in its ledger row as its differences from an original of
its group, so a plain copy costs a few dozen bytes beside its record; whatever
happens to the originals, every copy reads back exactly as the mirror holds it.
A database of version 2 (copies' events in `events`) is brought up to date.
"""

from __future__ import annotations

from contextlib import closing
from dataclasses import replace
from datetime import UTC, datetime, timedelta
import os
from pathlib import Path
import sqlite3
from uuid import uuid4
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings, strategies as st

from custom_components.shared_calendars.cycle import SAVE_EVERY_WRITES, SyncCycle
from custom_components.shared_calendars.engine.ids import copy_id, ical_uid_of
from custom_components.shared_calendars.engine.journal import StateChanges
from custom_components.shared_calendars.engine.lazy_events import copies_undecoded
from custom_components.shared_calendars.engine.model import (
    CalendarRef,
    ChangeSet,
    CopyMarker,
    Event,
    Member,
)
from custom_components.shared_calendars.engine.plan import PlanOptions
from custom_components.shared_calendars.engine.state import (
    CopyRecord,
    SyncState,
    group_key,
)
from custom_components.shared_calendars.status_db import StatusDatabase

from .memory_provider import MemoryProvider
from .stored import StoredState, count_rows, kept, reloaded, write_version_2
from .strategies import assert_identical, events

BERLIN = ZoneInfo("Europe/Berlin")
T0 = datetime(2026, 12, 7, 9, 0, tzinfo=BERLIN)
SOURCES = ("acct|anna", "acct|ben")
COMBINED = CalendarRef(account="acct", calendar_id="cleo-combined")
GROUPS = ("uid:lunch@example.com", "uid:trip@example.com")


def _original(event_id: str, uid: str, summary: str, hours: int = 0) -> Event:
    written = datetime(2026, 12, 2, 13, 50, 53, 896000, tzinfo=UTC)
    return Event(
        id=event_id,
        ical_uid=uid,
        summary=summary,
        description="Bring the blue folder",
        start=T0 + timedelta(hours=hours),
        end=T0 + timedelta(hours=hours + 1),
        organizer="anna",
        updated=written,
        created=written,
    )


def _copy_of(original: Event, prefix: str = "Anna: ") -> Event:
    group = group_key(original)
    event_id = copy_id(group, COMBINED.key)
    written = datetime(2026, 12, 2, 13, 51, 2, 120000, tzinfo=UTC)
    return replace(
        original,
        id=event_id,
        ical_uid=ical_uid_of(event_id),
        summary=prefix + original.summary,
        organizer="cleo-combined",
        updated=written,
        created=written,
        copy_of=CopyMarker(source=group),
    )


def _record(group: str) -> CopyRecord:
    return CopyRecord(group=group, target=COMBINED, fingerprint="ab" * 32)


def test_a_plain_copy_keeps_a_few_bytes_beside_its_record(tmp_path: Path) -> None:
    """Its row holds what differs from the original: title and write times."""
    original = _original("a1", "lunch@example.com", "Lunch")
    copy = _copy_of(original)
    state = SyncState()
    state.apply("acct|anna", ChangeSet(changed=(original,), deleted=(), cursor="c"))
    state.record_put(_record(GROUPS[0]), copy)
    path = tmp_path / "state.db"

    loaded = reloaded(state, path)

    assert_identical(loaded.calendar(COMBINED.key).events[copy.id], copy)
    assert kept(loaded) == kept(state)
    assert count_rows(path, "events") == 1  # the original alone
    with closing(sqlite3.connect(path)) as connection:
        ((body,),) = connection.execute("SELECT body FROM copies").fetchall()
    # {"t":"Anna: Lunch","u":<microseconds>}: neither times, nor the text, nor
    # the group, which the original and the record hold.
    assert len(body) <= 40, body
    assert b"blue folder" not in body


def test_copies_follow_their_original_through_edits_and_deletion(
    tmp_path: Path,
) -> None:
    """An edited or deleted original rewrites its copies' rows in the same flush."""
    stored = StoredState(tmp_path / "state.db")
    state = stored.state
    first = _original("a1", "lunch@example.com", "Lunch")
    second = _original("b1", "lunch@example.com", "Lunch", hours=2)
    copy = _copy_of(first)
    state.apply("acct|anna", ChangeSet(changed=(first,), deleted=(), cursor="c1"))
    state.apply("acct|ben", ChangeSet(changed=(second,), deleted=(), cursor="c1"))
    state.record_put(_record(GROUPS[0]), copy)
    stored.database.write(state.changes())

    # The original changes before its copy is written again (a cycle killed then).
    state.apply(
        "acct|anna",
        ChangeSet(
            changed=(replace(first, summary="Dinner", description=""),),
            deleted=(),
            cursor="c2",
        ),
    )
    stored.database.write(state.changes())
    assert_identical(stored.restart().calendar(COMBINED.key).events[copy.id], copy)

    # Its first original gone, the copy is kept against the other one.
    stored.state.apply("acct|anna", ChangeSet(changed=(), deleted=("a1",), cursor="c3"))
    stored.database.write(stored.state.changes())
    assert_identical(stored.restart().calendar(COMBINED.key).events[copy.id], copy)

    # No original left: the copy's row holds it whole.
    stored.state.apply("acct|ben", ChangeSet(changed=(), deleted=("b1",), cursor="c2"))
    stored.database.write(stored.state.changes())
    assert_identical(stored.restart().calendar(COMBINED.key).events[copy.id], copy)
    stored.close()


@st.composite
def _steps(draw: st.DrawFn) -> list[tuple[str, Event | str]]:
    """Draw changes to two source calendars and to copies of two groups."""
    steps: list[tuple[str, Event | str]] = []
    for _ in range(draw(st.integers(1, 8))):
        kind = draw(st.sampled_from(["original", "delete", "copy", "forget"]))
        group = draw(st.sampled_from(GROUPS))
        if kind == "original":
            drawn = draw(events())
            calendar = draw(st.sampled_from(SOURCES))
            steps.append(
                (
                    calendar,
                    replace(
                        drawn,
                        id=draw(st.sampled_from(["e1", "e2"])),
                        ical_uid=group.removeprefix("uid:"),
                        organizer=draw(st.sampled_from([None, "anna", "ben"])),
                        copy_of=None,
                    ),
                )
            )
        elif kind == "delete":
            steps.append(
                (draw(st.sampled_from(SOURCES)), draw(st.sampled_from(["e1", "e2"])))
            )
        elif kind == "copy":
            drawn = draw(events())
            event_id = copy_id(group, COMBINED.key)
            marker = draw(
                st.sampled_from(
                    [CopyMarker(source=group), CopyMarker(source="x"), None]
                )
            )
            steps.append(
                (
                    "copy",
                    replace(
                        drawn,
                        id=event_id,
                        ical_uid=draw(
                            st.sampled_from([ical_uid_of(event_id), drawn.ical_uid])
                        ),
                        copy_of=marker,
                    ),
                )
            )
        else:
            steps.append(("forget", group))
    return steps


@settings(
    max_examples=int(os.environ.get("PROPERTY_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(steps=_steps(), flush_each=st.booleans())
def test_every_copy_comes_back_as_the_mirror_holds_it(
    tmp_path: Path, steps: list[tuple[str, Event | str]], flush_each: bool
) -> None:
    """Whatever becomes of the originals it is kept against, and whenever flushed."""
    path = tmp_path / f"{uuid4().hex}.db"
    database = StatusDatabase.open(path)
    state = database.load()
    for where, what in steps:
        if where == "copy":
            assert isinstance(what, Event)
            group = next(g for g in GROUPS if copy_id(g, COMBINED.key) == what.id)
            state.record_put(_record(group), what)
        elif where == "forget":
            assert isinstance(what, str)
            state.forget_copy(COMBINED, copy_id(what, COMBINED.key))
        elif isinstance(what, Event):
            state.apply(where, ChangeSet(changed=(what,), deleted=(), cursor="c"))
        else:
            state.apply(
                where,
                ChangeSet(changed=(), deleted=(what,), cursor="c"),
                guard_empty=False,
            )
        if flush_each:
            database.write(state.changes())
    database.write(state.changes())
    database.close()
    database = StatusDatabase.open(path)
    loaded = database.load()
    database.close()

    assert kept(loaded) == kept(state)
    for key, held in state.calendars.items():
        for event_id, event in held.events.items():
            assert_identical(loaded.calendars[key].events[event_id], event)


def _family(provider: MemoryProvider, originals: int) -> list[Member]:
    """Three members: each one's originals go to the two others' combined calendars."""
    members = []
    for name in ("anna", "ben", "cleo"):
        provider.add_calendar(name)
        provider.add_calendar(f"{name}-combined")
        for n in range(originals):
            start = T0 + timedelta(hours=n)
            provider.write(
                name,
                Event(
                    id=f"{name}{n}",
                    ical_uid=f"{name}{n}@example.com",
                    summary=f"{name} {n}",
                    description="Meet at the entrance",
                    start=start,
                    end=start + timedelta(hours=1),
                ),
            )
        members.append(
            Member(
                id=name,
                name=name.title(),
                sources=(CalendarRef(account=provider.account, calendar_id=name),),
                combined=CalendarRef(
                    account=provider.account, calendar_id=f"{name}-combined"
                ),
            )
        )
    return members


async def test_a_synced_family_keeps_one_short_row_a_copy(tmp_path: Path) -> None:
    """After a first sync and its read-back: the originals' rows and one per copy."""
    provider = MemoryProvider()
    members = _family(provider, 20)
    stored = StoredState(tmp_path / "state.db")
    cycle = SyncCycle(
        providers={provider.account: provider}, state=stored.state, save=stored.save
    )
    await cycle.run(members, PlanOptions())
    await cycle.run(members, PlanOptions())  # reads its copies back

    assert count_rows(stored.path, "events") == 60
    assert count_rows(stored.path, "copies") == 120
    with closing(sqlite3.connect(stored.path)) as connection:
        (copy_bytes,) = connection.execute(
            "SELECT SUM(LENGTH(body)) FROM copies"
        ).fetchone()
    assert copy_bytes <= 120 * 40
    before = kept(stored.state)
    assert kept(stored.restart()) == before
    stored.close()


def _undecoded(state: SyncState) -> int:
    return sum(
        len(list(copies_undecoded(held.events))) for held in state.calendars.values()
    )


async def test_a_restart_decodes_only_the_copies_a_cycle_reads(tmp_path: Path) -> None:
    """A quiet cycle after a restart decodes no copy; an edit, those of its group."""
    provider = MemoryProvider()
    members = _family(provider, 20)
    stored = StoredState(tmp_path / "state.db")
    first = SyncCycle(
        providers={provider.account: provider}, state=stored.state, save=stored.save
    )
    await first.run(members, PlanOptions())
    await first.run(members, PlanOptions())  # reads its copies back
    synced = {key: dict(held.events) for key, held in stored.state.calendars.items()}

    state = stored.restart()
    cycle = SyncCycle(
        providers={provider.account: provider}, state=state, save=stored.save
    )
    assert _undecoded(state) == 120
    await cycle.run(members, PlanOptions())
    assert _undecoded(state) == 120

    provider.write(
        "anna", replace(provider.calendars["anna"].events["anna3"], summary="Moved")
    )
    report = await cycle.run(members, PlanOptions())
    assert report.updated == 2
    assert _undecoded(state) == 118  # the two copies of the edited original

    # What a calendar entity reads: every other event as before the restart.
    edited = CopyMarker(source="uid:anna3@example.com")
    del synced[f"{provider.account}|anna"]
    for key, held in synced.items():
        for event_id, event in held.items():
            if event.copy_of != edited:
                assert_identical(state.calendars[key].events[event_id], event)
    stored.close()


def test_a_version_2_database_is_brought_up_to_date(tmp_path: Path) -> None:
    """Its copies' events move into their ledger rows; the state reads back the same."""
    original = _original("a1", "lunch@example.com", "Lunch")
    copy = _copy_of(original)
    state = SyncState()
    state.apply("acct|anna", ChangeSet(changed=(original,), deleted=(), cursor="c"))
    state.record_put(_record(GROUPS[0]), copy)
    path = tmp_path / "state.db"
    write_version_2(path, state)

    database = StatusDatabase.open(path)
    loaded = database.load()
    database.close()

    assert kept(loaded) == kept(state)
    assert_identical(loaded.calendar(COMBINED.key).events[copy.id], copy)
    assert count_rows(path, "events") == 1
    assert count_rows(path, "copy_uids") == 0
    with closing(sqlite3.connect(path)) as connection:
        assert connection.execute("PRAGMA user_version").fetchone() == (3,)
        ((body,),) = connection.execute("SELECT body FROM copies").fetchall()
    assert len(body) <= 40


async def test_a_first_sync_writes_each_page_about_once(tmp_path: Path) -> None:
    """Saves every 400 writes, copies' rows appended: few pages are written again."""
    provider = MemoryProvider()
    members = _family(provider, 400)  # 2,400 copies
    stored = StoredState(tmp_path / "state.db")
    connection = stored.database._connection
    connection.execute(
        "PRAGMA wal_autocheckpoint = 0"
    )  # every page written stays in the log
    transactions: list[int] = []
    keep = stored.database.write

    def counted(changes: StateChanges) -> None:
        transactions.append(changes.rows)
        keep(changes)

    stored.database.write = counted  # type: ignore[method-assign]
    await SyncCycle(
        providers={provider.account: provider},
        state=stored.state,
        save=stored.save,
        clock=lambda: 0,  # no save falls due by time
    ).run(members, PlanOptions())

    # The groups made pending; 2,400 copies in saves of 400; what settled at the end.
    assert len(transactions) == 1 + 2400 // SAVE_EVERY_WRITES + 1
    _, written, _ = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    (pages,) = connection.execute("PRAGMA page_count").fetchone()
    # Each page of the database reaches the log 1.6 times on average (rows keyed
    # by copy id, scattered over the pages, made it 2.1 with these saves).
    assert written < 1.75 * pages, (written, pages)
    stored.close()
