"""find_free_time on Radicale (and the fake Google API): members and rooms together, from the synced state."""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
import pytest

from custom_components.shared_calendars.const import DOMAIN

from .family import event
from .providers.caldav_harness import CalDavHarness
from .providers.google_harness import GoogleHarness
from .rooms import ROOM_1, ROOM_2, Rooms, at, setup_rooms


async def find(hass: HomeAssistant, **data: Any) -> dict[str, Any]:
    """Call find_free_time and return its response."""
    response = await hass.services.async_call(
        DOMAIN, "find_free_time", data, blocking=True, return_response=True
    )
    assert isinstance(response, dict)
    return response


async def _with_anna_busy(hass: HomeAssistant, harness: CalDavHarness) -> Rooms:
    """Two rooms as in the example; Anna is at the dentist 15:00-16:00 on 14 July."""
    rooms = await setup_rooms(hass, harness)
    dentist = event("dentist", "Dentist", at(7, 14, 15), at(7, 14, 16))
    await harness.provider.put_event(rooms.calendars["anna"], dentist)
    await rooms.entry.runtime_data.coordinator.async_refresh()
    return rooms


async def test_the_first_hours_when_anna_and_a_room_are_free(
    hass: HomeAssistant, caldav_harness: CalDavHarness
) -> None:
    """Room 2 holds the council and a job interview 14-15, Anna the dentist 15-16."""
    await _with_anna_busy(hass, caldav_harness)
    requests = len(caldav_harness.proxy.requests)

    response = await find(
        hass,
        members=["Anna"],
        rooms=[ROOM_2],
        duration="01:00:00",
        start_date_time="2025-07-14 13:00:00",
        end_date_time="2025-07-14 20:00:00",
        limit=3,
    )

    assert response["slots"] == [
        {"start": "2025-07-14T13:00:00+02:00", "end": "2025-07-14T14:00:00+02:00"},
        {"start": "2025-07-14T16:00:00+02:00", "end": "2025-07-14T17:00:00+02:00"},
        {"start": "2025-07-14T17:00:00+02:00", "end": "2025-07-14T18:00:00+02:00"},
    ]
    assert response["members"] == ["Anna"]
    assert response["rooms"] == [ROOM_2]
    assert response["synced_at"] is not None
    assert len(caldav_harness.proxy.requests) == requests, "no calendar is asked"


async def test_a_busy_all_day_booking_blocks_the_room_for_whole_days(
    hass: HomeAssistant, caldav_harness: CalDavHarness
) -> None:
    """Fundraising Weekly holds room 1 from 14 to 18 July; rooms alone keep 08-20."""
    await setup_rooms(hass, caldav_harness)
    window = {
        "rooms": [ROOM_1],
        "duration": {"hours": 2},
        "start_date_time": "2025-07-14 00:00:00",
        "end_date_time": "2025-07-25",
    }

    within_hours = await find(hass, **window)
    any_time = await find(hass, **window, working_hours=False)

    assert within_hours["slots"] == [
        {"start": "2025-07-19T08:00:00+02:00", "end": "2025-07-19T10:00:00+02:00"}
    ]
    assert any_time["slots"][0]["start"] == "2025-07-19T00:00:00+02:00"

    # The cancelled offsite of 22 July holds nothing.
    offsite_day = await find(
        hass,
        rooms=[ROOM_1],
        duration={"hours": 2},
        start_date_time="2025-07-22 09:00:00",
        end_date_time="2025-07-22 17:00:00",
    )
    assert offsite_day["slots"][0]["start"] == "2025-07-22T09:00:00+02:00"


async def test_a_members_working_hours_come_from_their_options(
    hass: HomeAssistant, caldav_harness: CalDavHarness
) -> None:
    """Anna works from 16:30: after the dentist, her first hour starts then."""
    rooms = await _with_anna_busy(hass, caldav_harness)
    entry = rooms.entry
    subentry = entry.subentries["anna"]
    hass.config_entries.async_update_subentry(
        entry,
        subentry,
        data={**subentry.data, "work_start": "16:30:00", "work_end": "18:00:00"},
    )
    await hass.async_block_till_done()

    response = await find(
        hass,
        members=["Anna"],
        duration="01:00:00",
        start_date_time="2025-07-14 09:00:00",
        end_date_time="2025-07-16 00:00:00",
        limit=3,
    )

    assert response["slots"] == [
        {"start": "2025-07-14T16:30:00+02:00", "end": "2025-07-14T17:30:00+02:00"},
        {"start": "2025-07-15T16:30:00+02:00", "end": "2025-07-15T17:30:00+02:00"},
    ]


async def test_a_search_names_what_it_cannot_use(
    hass: HomeAssistant, caldav_harness: CalDavHarness
) -> None:
    """An unknown room, a window backwards or too long: translated refusals."""
    await setup_rooms(hass, caldav_harness)
    with pytest.raises(ServiceValidationError) as refused:
        await find(hass, rooms=["Broom cupboard"], duration="01:00:00")
    assert refused.value.translation_key == "not_a_room"
    with pytest.raises(ServiceValidationError) as refused:
        await find(
            hass,
            duration="01:00:00",
            start_date_time="2025-07-14",
            end_date_time="2025-07-13",
        )
    assert refused.value.translation_key == "end_not_after_start"
    with pytest.raises(ServiceValidationError) as refused:
        await find(
            hass,
            duration="01:00:00",
            start_date_time="2025-07-01",
            end_date_time="2025-10-01",
        )
    assert refused.value.translation_key == "span_too_long"


async def test_an_automation_books_the_first_free_hour_in_two_steps(
    hass: HomeAssistant, caldav_harness: CalDavHarness
) -> None:
    """find_free_time, then create_event with its first slot: the README's automation."""
    rooms = await _with_anna_busy(hass, caldav_harness)
    search = {
        "members": ["Anna"],
        "rooms": [ROOM_2],
        "duration": "01:00:00",
        "start_date_time": "2025-07-14 14:00:00",
        "end_date_time": "2025-07-14 20:00:00",
    }
    [slot] = (await find(hass, **search))["slots"]
    assert slot["start"] == "2025-07-14T16:00:00+02:00"

    await hass.services.async_call(
        DOMAIN,
        "create_event",
        {
            "room": ROOM_2,
            "summary": "Planning",
            "start_date_time": slot["start"],
            "end_date_time": slot["end"],
        },
        blocking=True,
        return_response=True,
    )
    planning = (await rooms.events(ROOM_2))["Planning"]
    assert planning.start == at(7, 14, 16)

    await rooms.entry.runtime_data.coordinator.async_refresh()
    [later] = (await find(hass, **search))["slots"]
    assert later["start"] == "2025-07-14T17:00:00+02:00"


@pytest.fixture(params=["caldav", "google"])
def harness(
    request: pytest.FixtureRequest,
) -> CalDavHarness | GoogleHarness:
    """Run a test on Radicale and on the fake Google API."""
    return request.getfixturevalue(f"{request.param}_harness")  # type: ignore[no-any-return]


async def test_slots_start_on_the_quarter_hour_unless_asked_otherwise(
    hass: HomeAssistant, harness: CalDavHarness | GoogleHarness
) -> None:
    """Anna's call ends at 13:40: 13:45 by default, 13:40 with 0, 14:00 with 60."""
    rooms = await setup_rooms(hass, harness)
    call = event("call", "Call", at(7, 14, 13), at(7, 14, 13, 40))
    await harness.provider.put_event(rooms.calendars["anna"], call)
    await rooms.entry.runtime_data.coordinator.async_refresh()
    window = {
        "members": ["Anna"],
        "duration": {"minutes": 45},
        "start_date_time": "2025-07-14 13:00:00",
        "end_date_time": "2025-07-14 20:00:00",
    }

    starts = [
        (await find(hass, **window, **extra))["slots"][0]["start"]
        for extra in ({}, {"granularity": 0}, {"granularity": 60})
    ]

    assert starts == [
        "2025-07-14T13:45:00+02:00",
        "2025-07-14T13:40:00+02:00",
        "2025-07-14T14:00:00+02:00",
    ]
