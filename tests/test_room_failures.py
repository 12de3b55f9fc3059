"""Rooms when a server lets them down, on Radicale and the fake Google API.

An expired cursor, and writes refused while a room is cleared: the user is told
what was done and what was not, and nothing half done passes in silence.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
import pytest
from pytest_homeassistant_custom_component.common import async_capture_events

from custom_components.shared_calendars.const import DOMAIN, EVENT_BOOKING_REMOVED
from custom_components.shared_calendars.engine.model import Event

from .family import event
from .providers.caldav_harness import CalDavHarness
from .providers.google_harness import GoogleHarness
from .rooms import BERLIN, ROOM_1, ROOM_2, WINDOW, Rooms, at, setup_rooms


@pytest.fixture(params=["caldav", "google"])
def harness(
    request: pytest.FixtureRequest,
) -> CalDavHarness | GoogleHarness:
    """Run a test on Radicale and on the fake Google API."""
    return request.getfixturevalue(f"{request.param}_harness")  # type: ignore[no-any-return]


async def call(hass: HomeAssistant, action: str, **data: Any) -> Any:
    """Call one of the integration's actions and return its response."""
    return await hass.services.async_call(
        DOMAIN, action, data, blocking=True, return_response=True
    )


def refuse_removing(
    rooms: Rooms, room: str, booking: Event, *, writes_before: int
) -> None:
    """Make the server refuse to delete or change one booking, from now on.

    Radicale (through the proxy) keeps its resource locked past the provider's
    three tries; Google takes `writes_before` more writes, then refuses every
    one (a quota): the booking's must come next.
    """
    if isinstance(rooms.harness, CalDavHarness):
        path = urlsplit(rooms.calendars[room]).path.rstrip("/")
        rooms.harness.proxy.lock(f"{path}/{booking.id}.ics", 100)
    else:
        rooms.harness.server.limit_writes(
            writes_before, period=3600, status=403, reason="quotaExceeded"
        )


async def test_a_booking_after_the_cursor_expired_reads_the_room_whole(
    hass: HomeAssistant, harness: CalDavHarness | GoogleHarness
) -> None:
    """The server refuses the cycle's cursor: the room is listed, lunch is seen."""
    rooms = await setup_rooms(hass, harness)
    lunch = event("lunch", "Team lunch", at(7, 22, 12), at(7, 22, 13))
    await harness.provider.put_event(rooms.calendars[ROOM_1], lunch)
    harness.expire_cursors()

    with pytest.raises(ServiceValidationError) as refused:
        await call(
            hass,
            "create_event",
            room=ROOM_1,
            summary="Retro",
            start_date_time="2025-07-22 12:30:00",
            end_date_time="2025-07-22 13:30:00",
        )
    assert (refused.value.translation_placeholders or {})["booking"] == "Team lunch"

    booked = await call(
        hass,
        "create_event",
        room=ROOM_1,
        summary="Retro",
        start_date_time="2025-07-22 13:00:00",
        end_date_time="2025-07-22 14:00:00",
    )
    assert booked["cleared"]["deleted_overlapping_events"] == []
    assert {"Finance Monthly", "Retro", "Team lunch"} <= set(await rooms.events(ROOM_1))


async def test_a_prioritised_booking_whose_clearing_fails_says_so(
    hass: HomeAssistant, harness: CalDavHarness | GoogleHarness
) -> None:
    """The board meeting is booked; the council cannot be removed: the error says both.

    Nobody is told of a removal that did not happen.
    """
    rooms = await setup_rooms(hass, harness, {"priority_marker": "[VIP]"})
    council = (await rooms.events(ROOM_2))["Workers Council Meeting"]
    removed = async_capture_events(hass, EVENT_BOOKING_REMOVED)
    refuse_removing(rooms, ROOM_2, council, writes_before=1)

    with pytest.raises(HomeAssistantError) as failed:
        await call(
            hass,
            "create_event",
            room=ROOM_2,
            summary="[VIP] Board meeting",
            start_date_time="2025-07-14 14:00:00",
            end_date_time="2025-07-14 15:00:00",
        )

    assert failed.value.translation_key == "booked_but_not_cleared"
    placeholders = failed.value.translation_placeholders or {}
    assert (placeholders["booking"], placeholders["room"]) == (
        "[VIP] Board meeting",
        ROOM_2,
    )
    assert "[VIP] Board meeting" in str(failed.value)
    assert removed == []
    room_2 = await rooms.events(ROOM_2)
    assert {"[VIP] Board meeting", "Workers Council Meeting"} <= set(room_2)
    assert room_2["Job Interviews"].overrides == (), "nothing after the failure"


async def test_clearing_goes_on_in_the_next_room_when_one_fails(
    hass: HomeAssistant, harness: CalDavHarness | GoogleHarness
) -> None:
    """Job Interviews keep 14 July; the error names room 2; room 1 is cleared."""
    rooms = await setup_rooms(hass, harness)
    interviews = (await rooms.events(ROOM_2))["Job Interviews"]
    planned = await call(hass, "clear_overlaps", dry_run=True, **WINDOW)
    in_room_1 = [
        item
        for kind in ("deleted_cancelled_events", "deleted_overlapping_events")
        for item in planned[kind]
        if item["calendar"] == ROOM_1
    ]
    removed = async_capture_events(hass, EVENT_BOOKING_REMOVED)
    refuse_removing(rooms, ROOM_2, interviews, writes_before=len(in_room_1))

    with pytest.raises(HomeAssistantError) as failed:
        await call(hass, "clear_overlaps", **WINDOW)

    assert failed.value.translation_key == "rooms_not_cleared"
    assert (failed.value.translation_placeholders or {})["rooms"] == ROOM_2
    assert (await rooms.events(ROOM_2))["Job Interviews"].overrides == ()
    room_1 = await rooms.events(ROOM_1)
    assert "Fundraising Weekly" not in room_1
    assert sorted(item.data["name"] for item in removed) == sorted(
        item["event"]["name"] for item in in_room_1
    ), "what room 1 lost is announced, nothing of room 2"


async def test_a_series_deleted_since_the_last_cycle_is_left_alone(
    hass: HomeAssistant, harness: CalDavHarness | GoogleHarness
) -> None:
    """Job Interviews go behind the integration's back: nothing is written for them.

    Nobody is told of an occurrence the clearing did not cancel.
    """
    rooms = await setup_rooms(hass, harness)
    interviews = (await rooms.events(ROOM_2))["Job Interviews"]
    await harness.provider.delete_event(rooms.calendars[ROOM_2], interviews.id)
    removed = async_capture_events(hass, EVENT_BOOKING_REMOVED)

    await call(hass, "clear_overlaps", room=ROOM_2, **WINDOW)

    assert [item.data["name"] for item in removed] == []
    assert sorted(await rooms.events(ROOM_2)) == ["Workers Council Meeting"]


async def test_a_failed_clearing_after_a_cycle_is_logged_and_the_cycle_stands(
    hass: HomeAssistant,
    caldav_harness: CalDavHarness,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The option clears after each cycle; a refused delete is a warning, no more."""
    rooms = await setup_rooms(hass, caldav_harness, {"clear_rooms_after_sync": True})
    now = datetime.now(UTC).replace(microsecond=0)
    tomorrow = now.astimezone(BERLIN).replace(hour=9, minute=0, second=0)
    tomorrow += timedelta(days=1)
    first, second = (
        event(uid, uid.title(), tomorrow, tomorrow + timedelta(hours=1), created=made)
        for uid, made in (("first", now), ("second", now + timedelta(seconds=1)))
    )
    for booking in (first, second):
        await caldav_harness.provider.put_event(rooms.calendars[ROOM_1], booking)
    refuse_removing(rooms, ROOM_1, second, writes_before=0)
    coordinator = rooms.entry.runtime_data.coordinator

    await coordinator.async_refresh()
    await hass.async_block_till_done()

    assert coordinator.last_update_success
    assert "Clearing the rooms of Family failed" in caplog.text
    assert {"First", "Second"} <= set(await rooms.events(ROOM_1))
