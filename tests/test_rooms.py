"""Room calendars end to end: clear_overlaps on Radicale and on the fake Google API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import entity_registry as er
import probatio
import pytest
from pytest_homeassistant_custom_component.common import (
    async_capture_events,
    async_mock_service,
)

from custom_components.shared_calendars.const import DOMAIN, EVENT_BOOKING_REMOVED
from custom_components.shared_calendars.engine.model import Event, EventStatus
from custom_components.shared_calendars.engine.occurrences import occurrences

from .family import event
from .flows import checked, submit, suggested
from .providers.caldav_harness import CalDavHarness
from .providers.google_harness import GoogleHarness
from .rooms import (
    BERLIN,
    COUNCIL,
    FINANCE,
    FUNDRAISING,
    INTERVIEWS,
    OFFSITE,
    ROOM_1,
    ROOM_2,
    WINDOW,
    Rooms,
    at,
    setup_rooms,
)


@pytest.fixture(params=["caldav", "google"])
def harness(
    request: pytest.FixtureRequest,
) -> CalDavHarness | GoogleHarness:
    """Run a test on Radicale and on the fake Google API."""
    return request.getfixturevalue(f"{request.param}_harness")  # type: ignore[no-any-return]


def fields(
    rooms: Rooms, booking: Event, room: str, start: str, end: str
) -> dict[str, Any]:
    """Return a booking as the report shows it."""
    assert booking.created is not None
    return {
        "uid": booking.ical_uid,
        "name": booking.summary,
        "start": start,
        "end": end,
        "created": booking.created.astimezone(BERLIN).isoformat(),
        "organizer": rooms.expected_organizer(booking, room),
    }


def expected(rooms: Rooms, *, dry_run: bool) -> dict[str, Any]:
    """Return the report the example calls for, field by field.

    Google keeps a cancelled event only as a deleted one: nothing to delete there.
    """
    on_google = isinstance(rooms.harness, GoogleHarness)
    return {
        "deleted_cancelled_events": []
        if on_google
        else [
            {
                "event": fields(
                    rooms,
                    OFFSITE,
                    ROOM_1,
                    "2025-07-22T09:00:00+02:00",
                    "2025-07-22T17:00:00+02:00",
                ),
                "calendar": ROOM_1,
            }
        ],
        "deleted_overlapping_events": [
            {
                "event": fields(
                    rooms,
                    FUNDRAISING,
                    ROOM_1,
                    "2025-07-14T00:00:00+02:00",
                    "2025-07-19T00:00:00+02:00",
                ),
                "overlaps_with": fields(
                    rooms,
                    FINANCE,
                    ROOM_1,
                    "2025-07-15T10:00:00+02:00",
                    "2025-07-15T12:00:00+02:00",
                ),
                "calendar": ROOM_1,
            }
        ],
        "cancelled_overlapping_recurring_events": [
            {
                "event": fields(
                    rooms,
                    INTERVIEWS,
                    ROOM_2,
                    "2025-07-14T14:00:00+02:00",
                    "2025-07-14T15:00:00+02:00",
                ),
                "overlaps_with": fields(
                    rooms,
                    COUNCIL,
                    ROOM_2,
                    "2025-07-14T14:00:00+02:00",
                    "2025-07-14T15:00:00+02:00",
                ),
                "calendar": ROOM_2,
            }
        ],
        "ignored_overlapping_events": [],
        "test_mode": dry_run,
    }


async def clear(hass: HomeAssistant, **data: Any) -> dict[str, Any]:
    """Call clear_overlaps for July and August 2025 and return its response."""
    response = await hass.services.async_call(
        DOMAIN,
        "clear_overlaps",
        {**WINDOW, **data},
        blocking=True,
        return_response=True,
    )
    assert isinstance(response, dict)
    return response


async def test_the_original_example_is_cleared_as_the_dry_run_said(
    hass: HomeAssistant, harness: CalDavHarness | GoogleHarness
) -> None:
    """The dry run writes nothing; the real run reports and does the same."""
    rooms = await setup_rooms(hass, harness)
    removed = async_capture_events(hass, EVENT_BOOKING_REMOVED)
    writes = rooms.writes()

    assert await clear(hass, dry_run=True) == expected(rooms, dry_run=True)
    assert rooms.writes() == writes, "a dry run writes nothing"
    assert removed == []

    assert await clear(hass) == expected(rooms, dry_run=False)
    room_1 = await rooms.events(ROOM_1)
    assert sorted(room_1) == ["Finance Monthly"]
    room_2 = await rooms.events(ROOM_2)
    assert sorted(room_2) == ["Job Interviews", "Workers Council Meeting"]
    series = room_2["Job Interviews"]
    assert series.rrule == INTERVIEWS.rrule, "the series stays whole"
    starts = [
        occurrence.start
        for occurrence in occurrences(series, at(7, 1, 0), at(9, 1, 0), BERLIN)
    ]
    assert starts == [at(7, 7, 14), at(7, 21, 14), at(7, 28, 14)]
    [cancelled] = series.overrides
    assert cancelled.status is EventStatus.CANCELLED
    assert cancelled.recurrence_id is not None
    assert cancelled.recurrence_id == at(7, 14, 14)

    reasons = [(event.data["reason"], event.data["name"]) for event in removed]
    if isinstance(harness, CalDavHarness):
        assert reasons.pop(0) == ("cancelled", "Offsite")
        removed.pop(0)
    assert reasons == [
        ("overlap", "Fundraising Weekly"),
        ("overlap", "Job Interviews"),
    ]
    assert removed[1].data["is_cancelled"] and removed[1].data["is_recurring"]
    assert removed[0].data["is_deleted"]
    assert removed[0].data["overlap_events"][0]["name"] == "Finance Monthly"

    # Anna's combined calendar receives no booking: a room is no member.
    assert await rooms.events("anna-combined") == {}

    # Once the sync has seen the changes, there is nothing left to clear.
    await rooms.entry.runtime_data.coordinator.async_refresh()
    again = await clear(hass)
    assert again == {
        "deleted_cancelled_events": [],
        "deleted_overlapping_events": [],
        "cancelled_overlapping_recurring_events": [],
        "ignored_overlapping_events": [],
        "test_mode": False,
    }


async def test_one_room_is_cleared_when_picked_by_its_entity(
    hass: HomeAssistant,
    caldav_harness: CalDavHarness,
    entity_registry: er.EntityRegistry,
) -> None:
    """Room 2 picked by its calendar entity: room 1 keeps its bookings."""
    rooms = await setup_rooms(hass, caldav_harness)
    [room_2] = [
        entry.entity_id
        for entry in er.async_entries_for_config_entry(entity_registry, "family")
        if entry.domain == "calendar" and entry.original_name == ROOM_2
    ] or [
        entity_id
        for entity_id in hass.states.async_entity_ids("calendar")
        if hass.states.get(entity_id).name.endswith(ROOM_2)  # type: ignore[union-attr]
    ]
    response = await clear(hass, room=room_2)
    assert [item["calendar"] for item in response["deleted_overlapping_events"]] == []
    assert [
        item["event"]["name"]
        for item in response["cancelled_overlapping_recurring_events"]
    ] == ["Job Interviews"]
    assert "Fundraising Weekly" in await rooms.events(ROOM_1)
    by_name = await clear(hass, room="meeting room 1", dry_run=True)
    assert [
        item["event"]["name"] for item in by_name["deleted_overlapping_events"]
    ] == ["Fundraising Weekly"]
    with pytest.raises(ServiceValidationError) as refused:
        await clear(hass, room="Kitchen")
    assert refused.value.translation_key == "not_a_room"


async def test_room_entities_show_bookings_and_occupancy(
    hass: HomeAssistant, caldav_harness: CalDavHarness
) -> None:
    """A calendar and an occupied sensor per room, named after it, on the group."""
    await setup_rooms(hass, caldav_harness)
    calendar = hass.states.get("calendar.family_meeting_room_1")
    occupied = hass.states.get("binary_sensor.family_meeting_room_1_occupied")
    assert calendar is not None and occupied is not None
    assert occupied.state == "off", "July 2025 is long over"
    assert occupied.attributes["device_class"] == "occupancy"
    response = await hass.services.async_call(
        "calendar",
        "get_events",
        {
            "entity_id": "calendar.family_meeting_room_2",
            "start_date_time": "2025-07-14 00:00:00",
            "end_date_time": "2025-07-15 00:00:00",
        },
        blocking=True,
        return_response=True,
    )
    found: Any = response
    titles = [
        event["summary"] for event in found["calendar.family_meeting_room_2"]["events"]
    ]
    assert sorted(titles) == ["Job Interviews", "Workers Council Meeting"]


async def test_rooms_are_cleared_after_a_sync_when_asked(
    hass: HomeAssistant, caldav_harness: CalDavHarness
) -> None:
    """With the option on, the sync itself clears the next 90 days.

    The example lies in 2025, so a booking made now for tomorrow shows it.
    """
    rooms = await setup_rooms(hass, caldav_harness, {"clear_rooms_after_sync": True})
    now = datetime.now(UTC).replace(microsecond=0)
    tomorrow = now.astimezone(BERLIN).replace(hour=9, minute=0, second=0)
    tomorrow += timedelta(days=1)
    first = event(
        "first", "First", tomorrow, tomorrow + timedelta(hours=1), created=now
    )
    second = event(
        "second",
        "Second",
        tomorrow,
        tomorrow + timedelta(hours=1),
        created=now + timedelta(seconds=1),
    )
    for booking in (first, second):
        await caldav_harness.provider.put_event(rooms.calendars[ROOM_1], booking)
    removed = async_capture_events(hass, EVENT_BOOKING_REMOVED)
    await rooms.entry.runtime_data.coordinator.async_refresh()
    await hass.async_block_till_done()
    assert "Second" not in await rooms.events(ROOM_1)
    assert "First" in await rooms.events(ROOM_1)
    assert [event.data["name"] for event in removed] == ["Second"]
    # 2025's bookings lie outside the window: left alone.
    assert "Fundraising Weekly" in await rooms.events(ROOM_1)


MESSAGE = (
    "{{ name }} in {{ calendar_name }} lost to {{ overlap_events[0].name }}"
    " ({{ overlap_events[0].organizer }}); deleted={{ is_deleted }}"
    " cancelled={{ is_cancelled }} recurring={{ is_recurring }}"
    " priorized={{ is_priorized }} deprioritized={{ is_deprioritized }}"
    " at {{ start.strftime('%d.%m. %H:%M') }} by {{ organizer }}"
)


async def test_organizers_are_told_through_a_notify_action_and_entity(
    hass: HomeAssistant, caldav_harness: CalDavHarness
) -> None:
    """Each booking that lost is told to its organizer; cancelled ones are not."""
    action_calls = async_mock_service(hass, "notify", "smtp")
    entity_calls = async_mock_service(hass, "notify", "send_message")
    await setup_rooms(
        hass,
        caldav_harness,
        {
            "notify_action": "notify.smtp",
            "notify_entity": "notify.front_desk",
            "notify_message": MESSAGE,
        },
    )
    await clear(hass)
    assert [call.data for call in action_calls] == [
        {
            "message": "Fundraising Weekly in Meeting room 1 lost to Finance Monthly"
            " (head-of-finance@my-awesome.org); deleted=True cancelled=False"
            " recurring=False priorized=False deprioritized=False"
            " at 14.07. 00:00 by head-of-fundraising@my-awesome.org",
            "target": ["head-of-fundraising@my-awesome.org"],
        },
        {
            "message": "Job Interviews in Meeting room 2 lost to Workers Council"
            " Meeting (workers-council@my-awesome.org); deleted=False cancelled=True"
            " recurring=True priorized=False deprioritized=False"
            " at 14.07. 14:00 by head-of-hr@my-awesome.org",
            "target": ["head-of-hr@my-awesome.org"],
        },
    ]
    assert [call.data["entity_id"] for call in entity_calls] == [
        "notify.front_desk",
        "notify.front_desk",
    ]
    assert entity_calls[0].data["message"] == action_calls[0].data["message"]


async def test_a_template_error_is_logged_and_the_clearing_still_reported(
    hass: HomeAssistant,
    caldav_harness: CalDavHarness,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A broken message tells nobody, says why, and removes the bookings all the same."""
    calls = async_mock_service(hass, "notify", "smtp")
    rooms = await setup_rooms(
        hass,
        caldav_harness,
        {"notify_action": "notify.smtp", "notify_message": "{{ 1 / 0 }}"},
    )
    removed = async_capture_events(hass, EVENT_BOOKING_REMOVED)
    response = await clear(hass)
    assert len(response["deleted_overlapping_events"]) == 1
    assert len(response["cancelled_overlapping_recurring_events"]) == 1
    assert calls == []
    assert len(removed) == 3
    assert "Fundraising Weekly" not in await rooms.events(ROOM_1)
    assert (
        "The message about the removed booking Fundraising Weekly could not be"
        " written: the template failed" in caplog.text
    )
    assert "division by zero" in caplog.text


async def test_a_prioritised_booking_takes_the_room_and_two_are_ignored(
    hass: HomeAssistant, caldav_harness: CalDavHarness
) -> None:
    """The marker beats age; two prioritised bookings both stay, reported as ignored."""
    rooms = await setup_rooms(hass, caldav_harness, {"priority_marker": "[board]"})
    calendar = rooms.calendars[ROOM_1]
    for key, title, created in (
        ("board", "Board [board]", at(7, 10, 9)),
        ("board-2", "Audit [board]", at(7, 11, 9)),
    ):
        await caldav_harness.provider.put_event(
            calendar,
            event(key, title, at(7, 15, 11), at(7, 15, 13), created=created),
        )
    await rooms.entry.runtime_data.coordinator.async_refresh()
    response = await clear(hass, room=ROOM_1, dry_run=True)
    assert [
        (item["event"]["name"], item["overlaps_with"]["name"])
        for item in response["deleted_overlapping_events"]
    ] == [
        ("Fundraising Weekly", "Board [board]"),
        ("Finance Monthly", "Board [board]"),
    ]
    assert [
        (item["event"]["name"], item["overlaps_with"]["name"])
        for item in response["ignored_overlapping_events"]
    ] == [("Audit [board]", "Board [board]")]


async def test_a_group_without_rooms_refuses_to_clear(
    hass: HomeAssistant, caldav_harness: CalDavHarness
) -> None:
    """The refusal says where rooms are picked."""
    rooms = await setup_rooms(hass, caldav_harness)
    hass.config_entries.async_update_entry(rooms.entry, options={})
    await hass.async_block_till_done()
    with pytest.raises(ServiceValidationError) as refused:
        await clear(hass)
    assert refused.value.translation_key == "no_rooms"


async def test_rooms_are_picked_in_the_groups_options(
    hass: HomeAssistant, caldav_harness: CalDavHarness
) -> None:
    """Any listed calendar but a member's; a notify action must exist."""
    rooms = await setup_rooms(hass, caldav_harness)
    async_mock_service(hass, "notify", "smtp")
    account = next(iter(rooms.entry.subentries.values())).unique_id
    assert account is not None
    result = checked(await hass.config_entries.options.async_init(rooms.entry.entry_id))
    result = await submit(
        hass, result, probatio.Schema(result["data_schema"].schema)({})
    )
    assert result["step_id"] == "rooms"
    room_1, anna = (f"{account}|{rooms.calendars[name]}" for name in (ROOM_1, "anna"))
    assert suggested(result)["rooms"] == [
        room_1,
        f"{account}|{rooms.calendars[ROOM_2]}",
    ]
    result = await submit(
        hass, result, {"rooms": [room_1, anna], "clear_rooms_after_sync": False}
    )
    assert result["errors"] == {"rooms": "room_is_member_calendar"}
    result = await submit(
        hass,
        result,
        {
            "rooms": [room_1],
            "notify_action": "notify.fax",
            "clear_rooms_after_sync": False,
        },
    )
    assert result["errors"] == {"notify_action": "unknown_notify_action"}
    result = await submit(
        hass,
        result,
        {
            "rooms": [room_1],
            "notify_action": "notify.smtp",
            "priority_organizers": [" ceo@my-awesome.org ", ""],
            "clear_rooms_after_sync": True,
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert rooms.entry.options["rooms"] == [
        {"account": account, "calendar_id": rooms.calendars[ROOM_1], "name": ROOM_1}
    ]
    assert rooms.entry.options["priority_organizers"] == ["ceo@my-awesome.org"]
    await hass.async_block_till_done()
    assert hass.states.get("calendar.family_meeting_room_2") is None
