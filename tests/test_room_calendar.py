"""Booking through a room's calendar entity, on Radicale and the fake Google API.

The calendar panel's dialog and `calendar.create_event` go through the same check
as the event actions given a room: a taken time is refused, naming the booking.
"""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.shared_calendars.const import DOMAIN
from custom_components.shared_calendars.room_actions import room_unique_id

from .providers.caldav_harness import CalDavHarness
from .providers.google_harness import GoogleHarness
from .rooms import ROOM_2, Rooms, at, setup_rooms


@pytest.fixture(params=["caldav", "google"])
def harness(
    request: pytest.FixtureRequest,
) -> CalDavHarness | GoogleHarness:
    """Run a test on Radicale and on the fake Google API."""
    return request.getfixturevalue(f"{request.param}_harness")  # type: ignore[no-any-return]


def room_entity(hass: HomeAssistant, rooms: Rooms, name: str) -> str:
    """Return the entity id of a room's calendar."""
    coordinator = rooms.entry.runtime_data.coordinator
    [room] = [room for room in coordinator.rooms if room.name == name]
    entity_id = er.async_get(hass).async_get_entity_id(
        "calendar", DOMAIN, room_unique_id(rooms.entry.entry_id, room)
    )
    assert entity_id is not None
    return entity_id


async def create(hass: HomeAssistant, entity_id: str, **fields: Any) -> None:
    """Call calendar.create_event, as a person or an automation would."""
    await hass.services.async_call(
        "calendar", "create_event", {"entity_id": entity_id, **fields}, blocking=True
    )


async def test_a_room_calendar_books_a_free_time_and_refuses_a_taken_one(
    hass: HomeAssistant, harness: CalDavHarness | GoogleHarness
) -> None:
    """Job Interviews hold room 2 on 21 July at 14:00; 22 July at 10:00 is free."""
    rooms = await setup_rooms(hass, harness)
    entity_id = room_entity(hass, rooms, ROOM_2)
    state = hass.states.get(entity_id)
    assert state is not None
    assert state.attributes["supported_features"] == 7, "create, update, delete"
    writes = rooms.writes()

    with pytest.raises(ServiceValidationError) as refused:
        await create(
            hass,
            entity_id,
            summary="Budget review",
            start_date_time="2025-07-21 14:30:00",
            end_date_time="2025-07-21 15:30:00",
        )
    assert refused.value.translation_key == "room_taken"
    assert refused.value.translation_placeholders == {
        "room": ROOM_2,
        "booking": "Job Interviews",
        "start": "2025-07-21 14:00",
        "end": "2025-07-21 15:00",
    }
    assert str(refused.value), "the message is translated"
    assert rooms.writes() == writes, "a refused booking writes nothing"

    await create(
        hass,
        entity_id,
        summary="Budget review",
        start_date_time="2025-07-22 10:00:00",
        end_date_time="2025-07-22 11:00:00",
    )
    assert (await rooms.events(ROOM_2))["Budget review"].start == at(7, 22, 10)


async def _update(
    hass_ws_client: WebSocketGenerator, entity_id: str, **fields: Any
) -> dict[str, Any]:
    """Change an event as the calendar panel's dialog does."""
    client = await hass_ws_client()
    await client.send_json_auto_id(
        {"type": "calendar/event/update", "entity_id": entity_id, **fields}
    )
    result: dict[str, Any] = await client.receive_json()
    return result


async def test_moving_an_occurrence_or_splitting_a_series_is_checked(
    hass: HomeAssistant,
    harness: CalDavHarness | GoogleHarness,
    hass_ws_client: WebSocketGenerator,
) -> None:
    """An occurrence moved onto a booking is refused; a split series is not.

    The series' new tail is not in the way of the series it was cut from.
    """
    rooms = await setup_rooms(hass, harness)
    entity_id = room_entity(hass, rooms, ROOM_2)
    await create(
        hass,
        entity_id,
        summary="Budget review",
        start_date_time="2025-07-22 10:00:00",
        end_date_time="2025-07-22 11:00:00",
    )
    interviews = (await rooms.events(ROOM_2))["Job Interviews"]
    writes = rooms.writes()

    moved = await _update(
        hass_ws_client,
        entity_id,
        uid=interviews.id,
        recurrence_id="20250721T120000Z",
        event={
            "summary": "Job Interviews",
            "dtstart": "2025-07-22T10:30:00+02:00",
            "dtend": "2025-07-22T11:30:00+02:00",
        },
    )
    assert not moved["success"]
    assert "Budget review" in moved["error"]["message"]
    assert rooms.writes() == writes

    split = await _update(
        hass_ws_client,
        entity_id,
        uid=interviews.id,
        recurrence_id="20250721T120000Z",
        recurrence_range="THISANDFUTURE",
        event={
            "summary": "Job Interviews (new panel)",
            "dtstart": "2025-07-21T14:30:00+02:00",
            "dtend": "2025-07-21T15:30:00+02:00",
            "rrule": "FREQ=WEEKLY;COUNT=2",
        },
    )
    assert split["success"], split
    room_2 = await rooms.events(ROOM_2)
    assert room_2["Job Interviews (new panel)"].start == at(7, 21, 14, 30)
    assert "COUNT=2" in (room_2["Job Interviews (new panel)"].rrule or "")
