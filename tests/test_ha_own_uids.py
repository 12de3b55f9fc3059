"""A combined calendar whose entity gives events uids of its own, as Google's in Home Assistant.

Real parts: Home Assistant's Local Calendar as the source, and a calendar entity
of a test platform that names its events the way Home Assistant's Google
integration does (`own_uids_calendar.py`). The copies are found after each
create and their uids kept in the status database.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
import sqlite3

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.shared_calendars.const import DOMAIN
from custom_components.shared_calendars.coordinator import SharedCalendarsCoordinator
from custom_components.shared_calendars.engine.state import SyncState
from custom_components.shared_calendars.repairs import refused_issue_id
from custom_components.shared_calendars.status_db import StatusDatabase
from custom_components.shared_calendars.store import database_path

from .group import group_entry, member
from .ha_calendars import HA_ACCOUNT, ha_account, local_calendar, tomorrow_at
from .own_uids_calendar import Killed, OwnUidsCalendar, own_uids_calendar
from .stored import count_rows, reloaded

type Shown = tuple[str, datetime]


async def _shown(hass: HomeAssistant, entity: OwnUidsCalendar) -> list[Shown]:
    """Return the titles and starts (UTC) of the occurrences of the next weeks."""
    now = dt_util.now()
    events = await entity.async_get_events(
        hass, now - timedelta(days=1), now + timedelta(days=40)
    )
    return sorted(
        (event.summary, dt_util.as_utc(event.start_datetime_local)) for event in events
    )


async def _uid_of(hass: HomeAssistant, entity: object, summary: str) -> str:
    """Return the uid of the event titled `summary` in a calendar entity."""
    now = dt_util.now()
    events = await entity.async_get_events(  # type: ignore[attr-defined]
        hass, now, now + timedelta(days=40)
    )
    uid = next(event.uid for event in events if event.summary == summary)
    assert uid is not None
    return str(uid)


async def _set_up(
    hass: HomeAssistant,
) -> tuple[object, OwnUidsCalendar, MockConfigEntry]:
    """Return Anna's Local Calendar, Ben's combined calendar and their group, loaded."""
    ben_all = await own_uids_calendar(hass, "Ben all")
    anna = await local_calendar(hass, "Anna")
    entry = group_entry(
        ha_account(),
        member("Anna", sources=[(HA_ACCOUNT, anna.entity_id)], combined=None),
        member("Ben", sources=[], combined=(HA_ACCOUNT, ben_all.entity_id)),
    )
    return anna, ben_all, entry


async def _load(
    hass: HomeAssistant, entry: MockConfigEntry
) -> SharedCalendarsCoordinator:
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    coordinator: SharedCalendarsCoordinator = entry.runtime_data.coordinator
    return coordinator


async def _assert_quiet(
    coordinator: SharedCalendarsCoordinator, calendar: OwnUidsCalendar
) -> None:
    """Run a cycle with nothing new: it writes nothing to the calendar."""
    writes = Counter(calendar.writes)
    await coordinator.async_refresh()
    report = coordinator.data
    assert (report.created, report.updated, report.deleted) == (0, 0, 0)
    assert calendar.writes == writes


def _kept_uids(hass: HomeAssistant, entry: MockConfigEntry) -> int:
    return count_rows(database_path(hass, entry.entry_id), "copy_uids")


async def test_copies_follow_their_originals_under_the_uids_the_calendar_gave(
    hass: HomeAssistant,
) -> None:
    """Create, change, a moved occurrence and delete reach the copies; Ben's own stay."""
    anna, ben_all, entry = await _set_up(hass)
    start = tomorrow_at(9)
    await anna.async_create_event(  # type: ignore[attr-defined]
        summary="Dentist", dtstart=start, dtend=start + timedelta(hours=1)
    )
    swim = start + timedelta(hours=8)
    await anna.async_create_event(  # type: ignore[attr-defined]
        summary="Swimming",
        dtstart=swim,
        dtend=swim + timedelta(hours=1),
        rrule="FREQ=WEEKLY;COUNT=4",
    )
    swim_uid = await _uid_of(hass, anna, "Swimming")
    await anna.async_delete_event(  # type: ignore[attr-defined]
        swim_uid, recurrence_id=f"{swim + timedelta(days=7):%Y%m%dT%H%M%S}"
    )
    # Ben's own events in his combined calendar, one with the same title.
    await ben_all.async_create_event(
        summary="Dentist",
        dtstart=start + timedelta(days=2),
        dtend=start + timedelta(days=2, hours=1),
    )
    await ben_all.async_create_event(
        summary="Bike repair",
        dtstart=start + timedelta(hours=2),
        dtend=start + timedelta(hours=3),
    )
    own = dict(ben_all.stored)
    ben_all.writes.clear()

    coordinator = await _load(hass, entry)

    utc = dt_util.as_utc
    week = timedelta(days=7)
    assert await _shown(hass, ben_all) == sorted(
        [
            ("Dentist", utc(start)),
            ("Dentist", utc(start + timedelta(days=2))),
            ("Bike repair", utc(start + timedelta(hours=2))),
            ("Swimming", utc(swim)),
            ("Swimming", utc(swim + 2 * week)),
            ("Swimming", utc(swim + 3 * week)),
        ]
    )
    assert ben_all.writes == Counter(create=2, delete=1)  # the series' cancelled one
    assert all(uid.endswith("@google.com") for uid in ben_all.stored)
    assert _kept_uids(hass, entry) == 2
    await _assert_quiet(coordinator, ben_all)

    # A changed single event is changed in place, under the uid it was given.
    dentist_uid = await _uid_of(hass, anna, "Dentist")
    await anna.async_update_event(  # type: ignore[attr-defined]
        dentist_uid,
        {
            "summary": "Dentist (moved)",
            "dtstart": start + timedelta(hours=1),
            "dtend": start + timedelta(hours=2),
        },
    )
    writes = Counter(ben_all.writes)
    await coordinator.async_refresh()
    assert coordinator.data.updated == 1
    assert ben_all.writes - writes == Counter(update=1)
    assert ("Dentist (moved)", utc(start + timedelta(hours=1))) in await _shown(
        hass, ben_all
    )
    await _assert_quiet(coordinator, ben_all)

    # One occurrence of the series moves an hour later: the series is written
    # anew, with the moved occurrence named by the instance id the entity gave it.
    moved_from = swim + 2 * week
    await anna.async_update_event(  # type: ignore[attr-defined]
        swim_uid,
        {
            "summary": "Swimming",
            "dtstart": moved_from + timedelta(hours=1),
            "dtend": moved_from + timedelta(hours=2),
        },
        recurrence_id=f"{moved_from:%Y%m%dT%H%M%S}",
    )
    await coordinator.async_refresh()
    swims = [item for item in await _shown(hass, ben_all) if item[0] == "Swimming"]
    assert swims == [
        ("Swimming", utc(swim)),
        ("Swimming", utc(moved_from + timedelta(hours=1))),
        ("Swimming", utc(swim + 3 * week)),
    ]
    assert len(ben_all.stored) == 4  # Ben's two, the dentist's copy, one series
    assert _kept_uids(hass, entry) == 2
    await _assert_quiet(coordinator, ben_all)

    # Deleted originals take their copies along; Ben's own events stay as they were.
    # (One at a time: both at once would look like an emptied calendar.)
    for uid in (dentist_uid, swim_uid):
        await anna.async_delete_event(uid)  # type: ignore[attr-defined]
        await coordinator.async_refresh()
        assert coordinator.data.deleted == 1
    assert ben_all.stored == own
    assert _kept_uids(hass, entry) == 0
    await _assert_quiet(coordinator, ben_all)


async def test_a_restart_keeps_the_uids_the_calendar_gave(hass: HomeAssistant) -> None:
    """After a restart the copies are known by their uids: nothing written twice."""
    anna, ben_all, entry = await _set_up(hass)
    start = tomorrow_at(10)
    await anna.async_create_event(  # type: ignore[attr-defined]
        summary="Lunch", dtstart=start, dtend=start + timedelta(hours=1)
    )
    coordinator = await _load(hass, entry)
    await coordinator.async_refresh()  # meets its own copy
    assert ben_all.writes == Counter(create=1)

    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    coordinator = entry.runtime_data.coordinator
    database = coordinator.store._database
    assert database is not None
    assert database._connection.total_changes == 0
    assert ben_all.writes == Counter(create=1)

    lunch_uid = await _uid_of(hass, anna, "Lunch")
    await anna.async_update_event(  # type: ignore[attr-defined]
        lunch_uid,
        {
            "summary": "Long lunch",
            "dtstart": start,
            "dtend": start + timedelta(hours=2),
        },
    )
    await coordinator.async_refresh()
    assert ben_all.writes == Counter(create=1, update=1)
    assert await _shown(hass, ben_all) == [("Long lunch", dt_util.as_utc(start))]


async def test_a_copy_created_just_before_a_crash_is_taken_back_not_written_again(
    hass: HomeAssistant,
) -> None:
    """The process dies between a series' create and keeping its uid: no duplicate."""
    anna, ben_all, entry = await _set_up(hass)
    start = tomorrow_at(11)
    await anna.async_create_event(  # type: ignore[attr-defined]
        summary="Lunch", dtstart=start, dtend=start + timedelta(hours=1)
    )
    coordinator = await _load(hass, entry)
    piano = start + timedelta(hours=5)
    week = timedelta(days=7)
    await anna.async_create_event(  # type: ignore[attr-defined]
        summary="Piano",
        dtstart=piano,
        dtend=piano + timedelta(hours=1),
        rrule="FREQ=WEEKLY;COUNT=3",
    )
    piano_uid = await _uid_of(hass, anna, "Piano")
    await anna.async_delete_event(  # type: ignore[attr-defined]
        piano_uid, recurrence_id=f"{piano + week:%Y%m%dT%H%M%S}"
    )
    ben_all.crash_after_create = True
    with pytest.raises(Killed):
        await coordinator.async_refresh()
    assert ben_all.writes == Counter(create=2)
    assert _kept_uids(hass, entry) == 1  # the series' uid was never kept

    assert await hass.config_entries.async_unload(entry.entry_id)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    coordinator = entry.runtime_data.coordinator
    # Taken back, and its cancelled occurrence written: no create again.
    assert ben_all.writes == Counter(create=2, delete=1)
    utc = dt_util.as_utc
    assert await _shown(hass, ben_all) == [
        ("Lunch", utc(start)),
        ("Piano", utc(piano)),
        ("Piano", utc(piano + 2 * week)),
    ]
    assert _kept_uids(hass, entry) == 2
    await coordinator.async_refresh()  # meets the copy it took back
    await _assert_quiet(coordinator, ben_all)

    await anna.async_update_event(  # type: ignore[attr-defined]
        piano_uid,
        {
            "summary": "Piano lesson",
            "dtstart": piano,
            "dtend": piano + timedelta(hours=1),
            "rrule": "FREQ=WEEKLY;COUNT=3",
        },
    )
    await coordinator.async_refresh()
    assert await _shown(hass, ben_all) == [
        ("Lunch", utc(start)),
        ("Piano lesson", utc(piano)),
        ("Piano lesson", utc(piano + 2 * week)),
    ]
    assert len(ben_all.stored) == 2
    assert _kept_uids(hass, entry) == 2
    await _assert_quiet(coordinator, ben_all)


async def test_an_all_day_copy_is_told_from_a_look_alike_the_member_had(
    hass: HomeAssistant,
) -> None:
    """The copy is the event new after the create; Ben's look-alike is left alone."""
    anna, ben_all, entry = await _set_up(hass)
    day = tomorrow_at(0).date()
    trip = {"dtstart": day, "dtend": day + timedelta(days=2)}
    await ben_all.async_create_event(summary="School trip", **trip)
    (own_uid,) = ben_all.stored
    await anna.async_create_event(  # type: ignore[attr-defined]
        summary="School trip", description="Packed lunch", location="Zoo", **trip
    )
    ben_all.writes.clear()
    coordinator = await _load(hass, entry)

    assert ben_all.writes == Counter(create=1)
    copy_uid = next(uid for uid in ben_all.stored if uid != own_uid)
    copy = ben_all.stored[copy_uid].shown
    assert (copy.summary, copy.start, copy.end) == ("School trip", day, trip["dtend"])
    assert (copy.description, copy.location) == ("Packed lunch", "Zoo")
    assert ben_all.stored[own_uid].shown.description is None
    await coordinator.async_refresh()
    await _assert_quiet(coordinator, ben_all)

    await anna.async_update_event(  # type: ignore[attr-defined]
        await _uid_of(hass, anna, "School trip"),
        {"summary": "School trip", "description": "No lunch needed", **trip},
    )
    await coordinator.async_refresh()
    assert ben_all.writes == Counter(create=1, update=1)
    assert ben_all.stored[copy_uid].shown.description == "No lunch needed"
    assert ben_all.stored[own_uid].shown.description is None


async def test_a_copy_the_calendar_shows_otherwise_is_set_aside_not_written_again(
    hass: HomeAssistant,
) -> None:
    """No new event shows what was written: the copy waits for its original to change."""
    anna, ben_all, entry = await _set_up(hass)
    ben_all.title_prefix = "[Google] "
    start = tomorrow_at(15)
    await anna.async_create_event(  # type: ignore[attr-defined]
        summary="Tennis", dtstart=start, dtend=start + timedelta(hours=1)
    )
    coordinator = await _load(hass, entry)
    assert coordinator.data.parked == 1
    issue_id = refused_issue_id(entry.entry_id, f"{HA_ACCOUNT}|{ben_all.entity_id}")
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_key == "refused"
    assert ben_all.writes == Counter(create=1)
    assert _kept_uids(hass, entry) == 0
    await _assert_quiet(coordinator, ben_all)


def test_uids_kept_for_copies_survive_a_restart_and_a_new_uid_replaces_the_old(
    tmp_path: Path,
) -> None:
    """One uid per copy; a forgotten uid leaves the database."""
    state = SyncState()
    calendar = f"{HA_ACCOUNT}|calendar.ben_all"
    copy_a, copy_b = "a" * 40, "b" * 40
    state.remember_copy_uid(calendar, "one@google.com", copy_a)
    state.remember_copy_uid(calendar, "0f1e2d", copy_b)  # hex, kept as bytes
    restarted = reloaded(state, tmp_path / "state.db")
    assert restarted.copy_uids == {
        (calendar, "one@google.com"): copy_a,
        (calendar, "0f1e2d"): copy_b,
    }
    assert restarted.uid_of_copy(calendar, copy_b) == "0f1e2d"

    restarted.remember_copy_uid(calendar, "two@google.com", copy_a)
    restarted.remember_copy_uid(calendar, "0f1e2d", None)
    again = reloaded(restarted, tmp_path / "state.db")
    assert again.copy_uids == {(calendar, "two@google.com"): copy_a}
    assert again.copy_with_uid(calendar, "one@google.com") is None
    assert again.uid_of_copy(calendar, copy_a) == "two@google.com"


def test_a_version_2_database_gains_the_uid_table_and_keeps_its_rows(
    tmp_path: Path,
) -> None:
    """The migration adds `copy_uids`: no full listing after the update."""
    path = tmp_path / "state.db"
    database = StatusDatabase.open(path)
    state = database.load()
    state.calendar("caldav:x|anna").cursor = "token-1"
    state.journal.calendars.add("caldav:x|anna")
    state.mark_pending(["uid:swim"])
    database.write(state.changes())
    database.close()
    with sqlite3.connect(path) as connection:
        for table in ("copy_uids", "zones"):  # neither is in a version 2 database
            connection.execute(f"DROP TABLE {table}")
        connection.execute("PRAGMA user_version = 2")
    connection.close()

    database = StatusDatabase.open(path)
    restored = database.load()
    database.close()
    assert restored.calendars["caldav:x|anna"].cursor == "token-1"
    assert restored.pending == {"uid:swim"}
    assert count_rows(path, "copy_uids") == 0
