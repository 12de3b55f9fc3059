"""What reading Google calendars holds and repeats: listings, pages, times."""

from __future__ import annotations

import asyncio
from contextlib import suppress
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from custom_components.shared_calendars.engine.model import Event
from custom_components.shared_calendars.providers.google_events import (
    _cached_when,
    read,
)
from custom_components.shared_calendars.providers.google_fold import Folder, fold
from tests.providers.google_harness import GoogleHarness

BERLIN = ZoneInfo("Europe/Berlin")


def _at(hour: int) -> dict[str, Any]:
    return {
        "start": {
            "dateTime": f"2024-05-01T{hour:02}:00:00",
            "timeZone": "Europe/Berlin",
        },
        "end": {
            "dateTime": f"2024-05-01T{hour + 1:02}:00:00",
            "timeZone": "Europe/Berlin",
        },
    }


async def test_calendars_are_listed_in_full_one_at_a_time(
    google_harness: GoogleHarness,
) -> None:
    """Three full listings asked at once run one after another; changes do not wait."""
    harness = google_harness
    calendars = [await harness.new_calendar(name) for name in ("A", "B", "C")]
    for number, calendar_id in enumerate(calendars):
        harness.server.insert_event(calendar_id, {"id": f"ev0000000{number}", **_at(9)})
    in_flight = most = 0
    all_in = asyncio.Event()

    async def hold(_: str) -> None:
        """Keep each request open until all three are in (or a while has passed)."""
        nonlocal in_flight, most
        in_flight += 1
        most = max(most, in_flight)
        if in_flight == len(calendars):
            all_in.set()
        with suppress(TimeoutError):
            await asyncio.wait_for(all_in.wait(), 0.3)
        in_flight -= 1

    harness.server.on_request = hold
    listed = await asyncio.gather(
        *(harness.provider.changes(calendar_id, None) for calendar_id in calendars)
    )
    assert most == 1
    assert [len(changes.changed) for changes in listed] == [1, 1, 1]

    most = 0
    all_in.clear()
    await asyncio.gather(
        *(
            harness.provider.changes(calendar_id, changes.cursor)
            for calendar_id, changes in zip(calendars, listed, strict=True)
        )
    )
    assert most == 3


def test_a_listing_folded_page_by_page_is_the_listing_folded_whole() -> None:
    """Series across pages, a repeated id, a cancelled master, bad items: as whole."""
    weekly = {"recurrence": ["RRULE:FREQ=WEEKLY;COUNT=4"]}
    moved = {
        "recurringEventId": "series01",
        "originalStartTime": {
            "dateTime": "2024-05-08T10:00:00",
            "timeZone": "Europe/Berlin",
        },
        "summary": "Choir (moved)",
        **_at(12),
    }
    items: list[object] = [
        {"id": "single01", "summary": "Dentist", **_at(8)},
        {"id": "series01", "summary": "Choir", **_at(10), **weekly},
        "not an event",
        {"id": "single02", "summary": "Lunch", **_at(12)},
        {"id": "gone0001", "status": "cancelled"},
        {**moved, "id": "series01_20240508T080000Z"},
        {"id": "single02", "summary": "Lunch (later)", **_at(13)},
        {"id": "single03", "summary": "No end", "start": _at(9)["start"]},
        {**moved, "id": "elsewhere_20240508T080000Z", "recurringEventId": "elsewhere"},
    ]
    folder = Folder()
    for start in range(0, len(items), 2):
        folder.add(items[start : start + 2])

    paged = folder.folded()

    assert paged == fold(items)
    assert [event.id for event in paged.changed] == [
        "single01",
        "series01",
        "single02",
        "elsewhere_20240508T080000Z",
    ]
    assert paged.changed[2].summary == "Lunch (later)"
    assert len(paged.changed[1].overrides) == 1
    assert paged.deleted == ["gone0001"]
    assert [skipped.id for skipped in paged.skipped] == ["", "single03"]


def test_times_every_copy_shares_are_parsed_once() -> None:
    """Four copies of one event: their start and end are parsed once each."""
    _cached_when.cache_clear()
    copies = [read({"id": f"copy000{n}", **_at(16)}) for n in range(4)]

    info = _cached_when.cache_info()
    assert (info.misses, info.hits) == (2, 6)
    for copy in copies:
        assert isinstance(copy, Event)
        assert isinstance(copy.start, datetime)
        assert copy.start == datetime(2024, 5, 1, 16, tzinfo=BERLIN)
        assert copy.start.tzinfo is BERLIN
