"""Google requests grow with the change: counted on the fake API, never timed.

A copy the ledger knows is updated in place, one request per resource that
changed; the integration's own writes are not read back; a changed occurrence is
folded into the series the mirror holds; a copy the ledger lost still works out.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from custom_components.shared_calendars.cycle import SyncCycle
from custom_components.shared_calendars.engine.content import fingerprint
from custom_components.shared_calendars.engine.model import (
    CalendarRef,
    CopyMarker,
    Event,
    EventStatus,
    Member,
)
from custom_components.shared_calendars.engine.plan import PlanOptions
from custom_components.shared_calendars.engine.state import SyncState
from custom_components.shared_calendars.providers.google import GoogleProvider
from tests.providers.google_harness import GoogleHarness
from tests.servers.fake_google import FakeGoogle

BERLIN = ZoneInfo("Europe/Berlin")
MONDAY = datetime(2024, 1, 8, 10, tzinfo=BERLIN)
WEEK = timedelta(days=7)
MARKER = CopyMarker(source="uid:choir@test")


def copy(**fields: Any) -> Event:
    """Return a managed copy of a one-hour event."""
    values: dict[str, Any] = {
        "id": "c0ee00000001",
        "ical_uid": "c0ee00000001@copies",
        "summary": "Dentist",
        "start": MONDAY,
        "end": MONDAY + timedelta(hours=1),
        "copy_of": MARKER,
    } | fields
    return Event(**values)


def moved(week: int, summary: str = "Choir (moved)") -> Event:
    """Return the series' occurrence of `week` moved two hours later."""
    start = MONDAY + week * WEEK + timedelta(hours=2)
    return Event(
        id="",
        ical_uid="c0ee00000002@copies",
        summary=summary,
        start=start,
        end=start + timedelta(hours=1),
        recurrence_id=MONDAY + week * WEEK,
    )


def series(*overrides: Event, **fields: Any) -> Event:
    """Return a managed copy of a weekly series."""
    values: dict[str, Any] = {
        "id": "c0ee00000002",
        "ical_uid": "c0ee00000002@copies",
        "summary": "Choir",
        "rrule": "FREQ=WEEKLY;COUNT=10",
        "overrides": overrides,
    } | fields
    return copy(**values)


def counted(server: FakeGoogle) -> Counter[str]:
    """Return the Calendar API requests answered so far, by route."""
    found: Counter[str] = Counter()
    for (_, route), number in server.requests.items():
        if route != "token":
            found[route] += number
    return found


def since(server: FakeGoogle, before: Counter[str]) -> dict[str, int]:
    """Return the requests answered since `before`, by route."""
    return {k: n for k, n in (counted(server) - before).items() if n}


async def read_back(harness: GoogleHarness, calendar_id: str, event_id: str) -> Event:
    """Read an event through a second client, as a member's app would see it."""
    got = await harness.make_provider(harness.key).get_event(calendar_id, event_id)
    assert got is not None
    return got


# ------------------------------------------------------------------ writes


async def test_an_update_of_a_known_copy_is_one_request(
    google_harness: GoogleHarness,
) -> None:
    """The ledger knows the copy exists: one events.update, no insert tried first."""
    calendar_id = await google_harness.new_calendar("Combined")
    stored = await google_harness.provider.put_event(calendar_id, copy())
    before = counted(google_harness.server)

    changed = copy(summary="Dentist (moved)", start=MONDAY + WEEK)
    changed = replace(changed, end=changed.start + timedelta(hours=1))
    updated = await google_harness.provider.put_event(calendar_id, changed, stored)

    assert since(google_harness.server, before) == {"events.update": 1}
    got = await read_back(google_harness, calendar_id, changed.id)
    assert fingerprint(got) == fingerprint(updated) == fingerprint(changed)


async def test_a_series_update_writes_only_the_occurrence_that_changed(
    google_harness: GoogleHarness,
) -> None:
    """Of a master and two moved occurrences, only the one changed is written."""
    calendar_id = await google_harness.new_calendar("Combined")
    event = series(moved(1), moved(3))
    stored = await google_harness.provider.put_event(calendar_id, event)
    before = counted(google_harness.server)

    changed = series(moved(1), moved(3, "Choir (moved again)"))
    updated = await google_harness.provider.put_event(calendar_id, changed, stored)

    assert since(google_harness.server, before) == {"events.update": 1}
    got = await read_back(google_harness, calendar_id, event.id)
    assert fingerprint(got) == fingerprint(updated) == fingerprint(changed)


async def test_an_occurrence_no_longer_moved_is_reset_without_reading_the_series(
    google_harness: GoogleHarness,
) -> None:
    """The copy it replaces says which exceptions Google holds: no listing."""
    calendar_id = await google_harness.new_calendar("Combined")
    stored = await google_harness.provider.put_event(
        calendar_id, series(moved(1), moved(3))
    )
    before = counted(google_harness.server)

    changed = series(moved(1))
    updated = await google_harness.provider.put_event(calendar_id, changed, stored)

    assert since(google_harness.server, before) == {"events.update": 1}
    got = await read_back(google_harness, calendar_id, changed.id)
    assert fingerprint(got) == fingerprint(updated) == fingerprint(changed)


async def test_a_renamed_series_is_its_master_and_a_look_at_its_exceptions(
    google_harness: GoogleHarness,
) -> None:
    """The master changed: its exceptions that are no override are checked too.

    An exception reset to its plain occurrence earlier would keep the old title
    once the master changes; one listing of the series finds any such.
    """
    calendar_id = await google_harness.new_calendar("Combined")
    stored = await google_harness.provider.put_event(calendar_id, series(moved(1)))
    stored = await google_harness.provider.put_event(
        calendar_id, series(), stored
    )  # the exception is reset to the plain occurrence
    before = counted(google_harness.server)

    changed = series(summary="Choir (new hall)")
    updated = await google_harness.provider.put_event(calendar_id, changed, stored)

    assert since(google_harness.server, before) == {
        "events.update": 2,  # the master, and the reset exception's title
        "events.list": 1,
    }
    got = await read_back(google_harness, calendar_id, changed.id)
    assert fingerprint(got) == fingerprint(updated) == fingerprint(changed)


async def test_a_copy_changed_by_someone_else_meanwhile_is_written_whole(
    google_harness: GoogleHarness,
) -> None:
    """If-Match fails (412): what the caller saw is stale, so every part is written."""
    calendar_id = await google_harness.new_calendar("Combined")
    stored = await google_harness.provider.put_event(calendar_id, copy())
    resource = google_harness.server.event(calendar_id, stored.id)
    assert resource is not None
    google_harness.server.update_event(
        calendar_id, stored.id, resource | {"summary": "Edited by hand"}
    )
    before = counted(google_harness.server)

    changed = copy(summary="Dentist (moved)")
    await google_harness.provider.put_event(calendar_id, changed, stored)

    assert since(google_harness.server, before) == {
        "events.update": 2,  # refused (412), then accepted
        "events.insert": 1,  # 409: the id is taken
        "events.list": 1,  # its detached overrides
    }
    got = await read_back(google_harness, calendar_id, changed.id)
    assert got.summary == "Dentist (moved)"


async def test_a_copy_the_ledger_lost_is_inserted_then_updated(
    google_harness: GoogleHarness,
) -> None:
    """Without what the calendar held, the insert finds the id taken (409)."""
    calendar_id = await google_harness.new_calendar("Combined")
    await google_harness.provider.put_event(calendar_id, series(moved(1)))
    before = counted(google_harness.server)

    changed = series(moved(2))
    await google_harness.provider.put_event(calendar_id, changed)

    assert since(google_harness.server, before) == {
        "events.insert": 1,
        "events.update": 3,  # the master, the stale exception reset, the new one
        "events.list": 2,  # the series' exceptions, its detached overrides
    }
    got = await read_back(google_harness, calendar_id, changed.id)
    assert fingerprint(got) == fingerprint(changed)


# ------------------------------------------------------------------- cycles


async def _family(harness: GoogleHarness) -> tuple[list[Member], dict[str, str]]:
    """Anna and Ben, each with a source and a combined calendar; Anna has a series."""
    server = harness.server
    calendars = {
        key: await harness.new_calendar(key)
        for key in ("anna", "anna-combined", "ben", "ben-combined")
    }
    server.insert_event(
        calendars["anna"],
        {
            "id": "series0001",
            "summary": "Choir",
            "start": {"dateTime": "2024-01-08T10:00:00", "timeZone": "Europe/Berlin"},
            "end": {"dateTime": "2024-01-08T11:00:00", "timeZone": "Europe/Berlin"},
            "recurrence": ["RRULE:FREQ=WEEKLY;COUNT=10"],
        },
    )
    server.update_event(
        calendars["anna"], "series0001_20240115T090000Z", _occurrence(15, 12)
    )
    server.delete_event(calendars["anna"], "series0001_20240122T090000Z")
    for day in range(1, 4):
        for key in ("anna", "ben"):
            server.insert_event(calendars[key], _occurrence(day, 9, f"{key} {day}"))
    members = [
        Member(
            id=key,
            name=key.title(),
            sources=(CalendarRef(account="g", calendar_id=calendars[key]),),
            combined=CalendarRef(account="g", calendar_id=calendars[f"{key}-combined"]),
        )
        for key in ("anna", "ben")
    ]
    return members, calendars


def _occurrence(day: int, hour: int, summary: str = "Choir (moved)") -> dict[str, Any]:
    start = datetime(2024, 1, day, hour, tzinfo=BERLIN)
    return {
        "summary": summary,
        "start": {"dateTime": start.isoformat(), "timeZone": "Europe/Berlin"},
        "end": {"dateTime": (start + timedelta(hours=1)).isoformat()},
    }


def _cycle(provider: GoogleProvider, state: SyncState) -> SyncCycle:
    async def save() -> None:
        """Keep the state in memory."""

    return SyncCycle(providers={"g": provider}, state=state, save=save)


async def test_a_cycle_after_the_first_sync_reads_no_copy_again(
    google_harness: GoogleHarness,
) -> None:
    """Our own writes come back with the etags they got: one listing per calendar."""
    members, _ = await _family(google_harness)
    cycle = _cycle(google_harness.google, SyncState())
    first = await cycle.run(members, PlanOptions())
    assert first.created == 7  # Anna's 4 events to Ben, Ben's 3 to Anna
    before = counted(google_harness.server)

    second = await cycle.run(members, PlanOptions())

    assert since(google_harness.server, before) == {"events.list": 4}
    assert second.created == second.updated == second.deleted == 0
    assert second.unchanged == 0  # nothing was even planned


async def test_a_moved_occurrence_is_folded_into_the_series_held(
    google_harness: GoogleHarness,
) -> None:
    """No fetch of the whole series: the exception changes the mirror's series.

    The copies change that one occurrence.
    """
    members, calendars = await _family(google_harness)
    cycle = _cycle(google_harness.google, SyncState())
    await cycle.run(members, PlanOptions())
    google_harness.server.update_event(
        calendars["anna"], "series0001_20240115T090000Z", _occurrence(15, 14)
    )
    before = counted(google_harness.server)

    report = await cycle.run(members, PlanOptions())

    assert since(google_harness.server, before) == {
        "events.list": 4,
        "events.update": 1,
    }
    assert report.updated == 1
    reader = google_harness.make_provider(google_harness.key)
    held = await reader.changes(calendars["ben-combined"], None)
    (copied,) = (event for event in held.changed if event.recurring)
    starts = [o.start for o in copied.overrides if o.status is EventStatus.CONFIRMED]
    assert starts == [datetime(2024, 1, 15, 14, tzinfo=BERLIN)]
    (original,) = (
        event
        for event in (await reader.changes(calendars["anna"], None)).changed
        if event.recurring
    )
    assert len(copied.overrides) == len(original.overrides) == 2


async def test_a_member_s_edit_of_a_copy_is_seen_and_undone(
    google_harness: GoogleHarness,
) -> None:
    """A copy changed by someone else has a new etag: it is read, and written back."""
    members, calendars = await _family(google_harness)
    cycle = _cycle(google_harness.google, SyncState())
    await cycle.run(members, PlanOptions())
    combined = calendars["ben-combined"]
    (copied_id, resource), *_ = (
        (event_id, resource)
        for event_id, resource in google_harness.server.live_events(combined).items()
        if resource.get("summary") == "anna 1"
    )
    google_harness.server.update_event(
        combined, copied_id, resource | {"summary": "Not Anna's any more"}
    )
    before = counted(google_harness.server)

    report = await cycle.run(members, PlanOptions())

    assert since(google_harness.server, before) == {
        "events.list": 4,
        "events.update": 1,
    }
    assert report.updated == 1
    assert google_harness.server.live_events(combined)[copied_id]["summary"] == (
        "anna 1"
    )
