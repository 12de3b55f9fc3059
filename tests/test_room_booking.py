"""Booking rooms with create_event and upsert_event on Radicale and the fake Google API."""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
import pytest
from pytest_homeassistant_custom_component.common import async_capture_events

from custom_components.shared_calendars.const import DOMAIN, EVENT_BOOKING_REMOVED
from custom_components.shared_calendars.engine.model import EventStatus

from .family import event
from .providers.caldav_harness import CalDavHarness
from .providers.google_harness import GoogleHarness
from .rooms import COUNCIL, ROOM_1, ROOM_2, at, setup_rooms


@pytest.fixture(params=["caldav", "google"])
def harness(
    request: pytest.FixtureRequest,
) -> CalDavHarness | GoogleHarness:
    """Run a test on Radicale and on the fake Google API."""
    return request.getfixturevalue(f"{request.param}_harness")  # type: ignore[no-any-return]


async def book(hass: HomeAssistant, action: str = "create_event", **data: Any) -> Any:
    """Call an event action and return its response."""
    return await hass.services.async_call(
        DOMAIN, action, data, blocking=True, return_response=True
    )


async def test_a_taken_room_is_refused_naming_the_booking_and_nothing_is_written(
    hass: HomeAssistant, harness: CalDavHarness | GoogleHarness
) -> None:
    """Job Interviews hold room 2 from 14:00 to 15:00 on Mondays: 21 July is taken."""
    rooms = await setup_rooms(hass, harness)
    writes = rooms.writes()

    with pytest.raises(ServiceValidationError) as refused:
        await book(
            hass,
            room=ROOM_2,
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
    assert rooms.writes() == writes, "a refused booking writes nothing"
    assert "Budget review" not in await rooms.events(ROOM_2)


async def test_a_free_time_is_booked_and_the_next_booking_sees_it_at_once(
    hass: HomeAssistant, harness: CalDavHarness | GoogleHarness
) -> None:
    """A booking made outside, after the last cycle, is in the way at once.

    The cancelled offsite holds nothing on 22 July.
    """
    rooms = await setup_rooms(hass, harness)
    response = await book(
        hass,
        room=ROOM_1,
        summary="Budget review",
        start_date_time="2025-07-22 13:00:00",
        end_date_time="2025-07-22 14:00:00",
    )
    assert response["calendar_id"] == rooms.calendars[ROOM_1]
    assert response["cleared"]["deleted_overlapping_events"] == []
    assert "Budget review" in await rooms.events(ROOM_1)

    # Written behind the integration's back, after its last cycle.
    lunch = event("lunch", "Team lunch", at(7, 22, 14), at(7, 22, 15))
    await harness.provider.put_event(rooms.calendars[ROOM_1], lunch)
    coordinator = rooms.entry.runtime_data.coordinator
    [room_1] = [room for room in coordinator.rooms if room.name == ROOM_1]
    synced = coordinator.state.calendars[room_1.ref.key].events.values()
    assert "Team lunch" not in {booking.summary for booking in synced}
    for start, holder in (("13:30:00", "Budget review"), ("14:30:00", "Team lunch")):
        with pytest.raises(ServiceValidationError) as refused:
            await book(
                hass,
                room=ROOM_1,
                summary="Retro",
                start_date_time=f"2025-07-22 {start}",
                end_date_time="2025-07-22 16:00:00",
            )
        assert (refused.value.translation_placeholders or {})["booking"] == holder


async def test_a_prioritised_booking_takes_the_room_and_the_losers_are_told(
    hass: HomeAssistant, harness: CalDavHarness | GoogleHarness
) -> None:
    """The council loses its booking; Job Interviews only its 14 July occurrence."""
    rooms = await setup_rooms(hass, harness, {"priority_marker": "[VIP]"})
    removed = async_capture_events(hass, EVENT_BOOKING_REMOVED)

    response = await book(
        hass,
        room=ROOM_2,
        summary="[VIP] Board meeting",
        start_date_time="2025-07-14 14:00:00",
        end_date_time="2025-07-14 15:00:00",
    )

    cleared = response["cleared"]
    assert [
        (item["event"]["name"], item["overlaps_with"]["name"], item["calendar"])
        for item in cleared["deleted_overlapping_events"]
    ] == [("Workers Council Meeting", "[VIP] Board meeting", ROOM_2)]
    [occurrence] = cleared["cancelled_overlapping_recurring_events"]
    assert occurrence["event"]["name"] == "Job Interviews"
    assert occurrence["event"]["start"] == "2025-07-14T14:00:00+02:00"
    assert cleared["test_mode"] is False
    assert sorted((item.data["name"], item.data["reason"]) for item in removed) == [
        ("Job Interviews", "overlap"),
        ("Workers Council Meeting", "overlap"),
    ]

    room_2 = await rooms.events(ROOM_2)
    assert sorted(room_2) == ["Job Interviews", "[VIP] Board meeting"]
    [cancelled] = room_2["Job Interviews"].overrides
    assert cancelled.status is EventStatus.CANCELLED
    assert cancelled.recurrence_id == at(7, 14, 14)


async def test_a_prioritised_booking_is_refused_where_another_one_holds_the_room(
    hass: HomeAssistant, harness: CalDavHarness | GoogleHarness
) -> None:
    """The council's organiser is prioritised: a [VIP] booking cannot take its time."""
    rooms = await setup_rooms(hass, harness)
    organizer = rooms.expected_organizer(COUNCIL, ROOM_2)
    assert organizer is not None
    await setup_options(hass, rooms.entry, organizer)
    writes = rooms.writes()

    with pytest.raises(ServiceValidationError) as refused:
        await book(
            hass,
            room=ROOM_2,
            summary="[VIP] Board meeting",
            start_date_time="2025-07-14 14:00:00",
            end_date_time="2025-07-14 15:00:00",
        )
    assert refused.value.translation_key == "room_taken_by_prioritised"
    assert rooms.writes() == writes


async def setup_options(hass: HomeAssistant, entry: Any, organizer: str) -> None:
    """Prioritise [VIP] and the given organiser, as the options flow stores them."""
    hass.config_entries.async_update_entry(
        entry,
        options={
            **entry.options,
            "priority_marker": "[VIP]",
            "priority_organizers": [organizer],
        },
    )
    await hass.async_block_till_done()


async def test_upserting_a_booking_moves_it_past_its_own_old_time(
    hass: HomeAssistant, caldav_harness: CalDavHarness
) -> None:
    """The caller's own booking is replaced, never in its own way; others still are."""
    rooms = await setup_rooms(hass, caldav_harness)
    first = await book(
        hass,
        "upsert_event",
        room=ROOM_1,
        event_id="review-1",
        summary="Budget review",
        start_date_time="2025-07-22 13:00:00",
        end_date_time="2025-07-22 14:00:00",
    )
    moved = await book(
        hass,
        "upsert_event",
        room=ROOM_1,
        event_id="review-1",
        summary="Budget review",
        start_date_time="2025-07-22 13:30:00",
        end_date_time="2025-07-22 14:30:00",
    )
    assert (first["created"], moved["created"]) == (True, False)
    assert moved["event_id"] == first["event_id"]
    review = (await rooms.events(ROOM_1))["Budget review"]
    assert review.start == at(7, 22, 13, 30)
    with pytest.raises(ServiceValidationError) as refused:
        await book(
            hass,
            "upsert_event",
            room=ROOM_1,
            event_id="review-1",
            summary="Budget review",
            start_date_time="2025-07-16 11:00:00",
            end_date_time="2025-07-16 12:00:00",
        )
    assert (refused.value.translation_placeholders or {})[
        "booking"
    ] == "Fundraising Weekly"


async def test_a_room_with_a_member_or_calendar_is_refused(
    hass: HomeAssistant, caldav_harness: CalDavHarness
) -> None:
    """Either a room or a member's calendar: a booking goes to one place."""
    await setup_rooms(hass, caldav_harness)
    with pytest.raises(ServiceValidationError) as refused:
        await book(
            hass,
            room=ROOM_1,
            member="Anna",
            summary="Budget review",
            start_date_time="2025-07-22 13:00:00",
            end_date_time="2025-07-22 14:00:00",
        )
    assert refused.value.translation_key == "room_or_calendar"
    with pytest.raises(ServiceValidationError) as refused:
        await book(
            hass,
            room="Broom cupboard",
            summary="Budget review",
            start_date_time="2025-07-22 13:00:00",
            end_date_time="2025-07-22 14:00:00",
        )
    assert refused.value.translation_key == "not_a_room"


async def test_moving_a_booking_onto_a_taken_time_is_refused(
    hass: HomeAssistant, harness: CalDavHarness | GoogleHarness
) -> None:
    """update_event checks a room as create_event does; a booking never blocks itself."""
    rooms = await setup_rooms(hass, harness, {"priority_marker": "[VIP]"})
    made = await book(
        hass,
        room=ROOM_2,
        summary="Budget review",
        start_date_time="2025-07-22 10:00:00",
        end_date_time="2025-07-22 11:00:00",
    )
    writes = rooms.writes()
    with pytest.raises(ServiceValidationError) as refused:
        await book(
            hass,
            "update_event",
            room=ROOM_2,
            event_id=made["event_id"],
            start_date_time="2025-07-21 14:30:00",
            end_date_time="2025-07-21 15:30:00",
        )
    assert refused.value.translation_key == "room_taken"
    assert (refused.value.translation_placeholders or {})["booking"] == "Job Interviews"
    assert rooms.writes() == writes, "a refused move writes nothing"
    assert (await rooms.events(ROOM_2))["Budget review"].start == at(7, 22, 10)

    # Over its own old time, half an hour later: nothing else is there.
    moved = await book(
        hass,
        "update_event",
        room=ROOM_2,
        event_id=made["event_id"],
        start_date_time="2025-07-22 10:30:00",
        end_date_time="2025-07-22 11:30:00",
    )
    assert moved["cleared"]["deleted_overlapping_events"] == []
    assert (await rooms.events(ROOM_2))["Budget review"].start == at(7, 22, 10, 30)


async def test_a_booking_that_already_clashes_can_still_be_renamed(
    hass: HomeAssistant, harness: CalDavHarness | GoogleHarness
) -> None:
    """The council overlaps Job Interviews on 14 July; retitling it moves nothing."""
    rooms = await setup_rooms(hass, harness)
    council = (await rooms.events(ROOM_2))["Workers Council Meeting"]
    await book(
        hass,
        "update_event",
        room=ROOM_2,
        event_id=council.id,
        summary="Works council",
    )
    assert "Works council" in await rooms.events(ROOM_2)


async def test_a_booking_made_prioritised_by_an_update_takes_the_room(
    hass: HomeAssistant, harness: CalDavHarness | GoogleHarness
) -> None:
    """Moved onto 21 July's interviews with the marker, it cancels that occurrence."""
    rooms = await setup_rooms(hass, harness, {"priority_marker": "[VIP]"})
    made = await book(
        hass,
        room=ROOM_2,
        summary="Board meeting",
        start_date_time="2025-07-22 10:00:00",
        end_date_time="2025-07-22 11:00:00",
    )
    response = await book(
        hass,
        "update_event",
        room=ROOM_2,
        event_id=made["event_id"],
        summary="[VIP] Board meeting",
        start_date_time="2025-07-21 14:00:00",
        end_date_time="2025-07-21 15:00:00",
    )
    [occurrence] = response["cleared"]["cancelled_overlapping_recurring_events"]
    assert occurrence["event"]["start"] == "2025-07-21T14:00:00+02:00"
    [cancelled] = (await rooms.events(ROOM_2))["Job Interviews"].overrides
    assert cancelled.status is EventStatus.CANCELLED
    assert cancelled.recurrence_id == at(7, 21, 14)
