"""Calendar entities: what they show from the synced state, and changes made through them."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_OFF, STATE_ON, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed
from pytest_homeassistant_custom_component.typing import (
    ClientSessionGenerator,
    WebSocketGenerator,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.shared_calendars.const import DOMAIN
from custom_components.shared_calendars.engine.model import EventStatus, Transparency

from .family import (
    ANNA,
    BEN,
    ENTRY_ID,
    NOW,
    Family,
    Harness,
    at,
    event,
    hour_long,
    setup_family,
    snapshot_domain,
)
from .providers.google_harness import SERVICE_ACCOUNT, GoogleHarness

DENTIST = hour_long(
    "dentist",
    "Dentist",
    at(1, 14),
    description="Check-up",
    location="Main Street 1",
)
HOLIDAY = event("holiday", "Holiday", date(2026, 12, 5), date(2026, 12, 7))
FOOTBALL = event(
    "football",
    "Football",
    at(1, 18),
    at(1, 19, 30),
    rrule="FREQ=WEEKLY;COUNT=4",
)
PLANNING_UID = "planning@example.com"
"""One invitation both accepted: one iCalendar UID in two calendars."""
ANNAS_PLANNING = hour_long("planning-a", "Planning", at(2, 9), ical_uid=PLANNING_UID)
BENS_PLANNING = hour_long("planning-b", "Planning", at(2, 9), ical_uid=PLANNING_UID)
MAYBE = hour_long("maybe", "Maybe lunch", at(3, 12), status=EventStatus.TENTATIVE)
OFF = hour_long("off", "Called off", at(3, 15), status=EventStatus.CANCELLED)
EVENTS = {
    "anna": [DENTIST, HOLIDAY, ANNAS_PLANNING, MAYBE, OFF],
    "ben": [FOOTBALL, BENS_PLANNING],
}


@pytest.fixture(autouse=True)
def _frozen(freezer: FrozenDateTimeFactory) -> None:
    freezer.move_to(NOW)


@pytest.fixture
async def family(hass: HomeAssistant, google_harness: GoogleHarness) -> Family:
    """Return the family on Google with this file's events."""
    return await setup_family(hass, google_harness, EVENTS)


@pytest.fixture(params=["caldav", "google"])
def harness(request: pytest.FixtureRequest) -> Harness:
    """Return each kind of server in turn."""
    harness: Harness = request.getfixturevalue(f"{request.param}_harness")
    return harness


@pytest.fixture
async def any_family(hass: HomeAssistant, harness: Harness) -> Family:
    """Return the family with this file's events, on each kind of server."""
    return await setup_family(hass, harness, EVENTS)


async def _get_events(
    hass: HomeAssistant, entity_id: str, days: int = 7
) -> list[dict[str, Any]]:
    response = await hass.services.async_call(
        "calendar",
        "get_events",
        {"entity_id": entity_id, "start_date_time": NOW, "duration": {"days": days}},
        blocking=True,
        return_response=True,
    )
    assert response is not None
    calendar = response[entity_id]
    assert isinstance(calendar, dict)
    events: list[dict[str, Any]] = calendar["events"]  # type: ignore[assignment]
    return events


async def _api_events(
    hass_client: ClientSessionGenerator, entity_id: str, days: int = 30
) -> list[dict[str, Any]]:
    """Return events as the frontend reads them: with uid, recurrence_id and rrule."""
    client = await hass_client()
    start, end = NOW.isoformat(), (NOW + timedelta(days=days)).isoformat()
    response = await client.get(
        f"/api/calendars/{entity_id}", params={"start": start, "end": end}
    )
    assert response.status == 200
    result: list[dict[str, Any]] = await response.json()
    return result


async def _ws(
    hass_ws_client: WebSocketGenerator, command: str, **fields: Any
) -> dict[str, Any]:
    client = await hass_ws_client()
    await client.send_json_auto_id({"type": f"calendar/event/{command}", **fields})
    result: dict[str, Any] = await client.receive_json()
    return result


async def test_calendars_show_the_synced_state(
    hass: HomeAssistant,
    family: Family,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """Everyone, each member's combined and source calendars, named and described."""
    snapshot_domain(hass, entity_registry, snapshot, ENTRY_ID, "calendar")


async def test_devices_are_the_group_and_each_member_under_it(
    hass: HomeAssistant, family: Family, device_registry: dr.DeviceRegistry
) -> None:
    """A service device for the group; one per member, on the member's subentry."""
    group = device_registry.async_get_device_by_identifier((DOMAIN, ENTRY_ID), ENTRY_ID)
    assert group is not None
    assert (group.name, group.entry_type) == ("Family", dr.DeviceEntryType.SERVICE)
    assert group.config_subentry_id is None
    for subentry_id, name in ((ANNA, "Anna"), (BEN, "Ben")):
        device = device_registry.async_get_device_by_identifier(
            (DOMAIN, f"{ENTRY_ID}_{subentry_id}"), ENTRY_ID
        )
        assert device is not None
        assert (device.name, device.entry_type) == (name, dr.DeviceEntryType.SERVICE)
        assert device.via_device_id == group.id
        assert device.config_subentry_id == subentry_id


async def test_calendars_say_whose_they_are_without_a_device(
    hass: HomeAssistant, family: Family, entity_registry: er.EntityRegistry
) -> None:
    """The Calendar panel lists calendars alone: each name names its member.

    They stay tied to the member's subentry, which takes them along when removed.
    """
    calendars = {
        entity.entity_id: entity
        for entity in er.async_entries_for_config_entry(entity_registry, ENTRY_ID)
        if entity.domain == "calendar"
    }
    names = {entity_id: hass.states.get(entity_id).name for entity_id in calendars}  # type: ignore[union-attr]
    assert names == {
        "calendar.anna_combined_calendar": "Anna's combined calendar",
        "calendar.anna_personal": "Anna's Personal",
        "calendar.anna_school": "Anna's School",
        "calendar.ben_combined_calendar": "Ben's combined calendar",
        "calendar.ben_personal": "Ben's Personal",
        "calendar.family_everyone": "Everyone in Family",
    }
    assert {entity.device_id for entity in calendars.values()} == {None}
    assert calendars["calendar.anna_combined_calendar"].config_subentry_id == ANNA
    assert calendars["calendar.ben_personal"].config_subentry_id == BEN


async def test_everyone_shows_each_event_once_titled_with_its_members(
    hass: HomeAssistant, family: Family, snapshot: SnapshotAssertion
) -> None:
    """The wall calendar: copies left out, an invitation once with both names."""
    requests = family.harness.request_count()

    everyone = await _get_events(hass, "calendar.family_everyone")

    assert [event["summary"] for event in everyone] == [
        "Anna: Dentist",
        "Ben: Football",
        "Planning (Anna, Ben)",
        "Anna: Maybe lunch",
        "Anna: Holiday",
    ]
    assert everyone == snapshot
    assert family.harness.request_count() == requests, "read from the synced state"


async def test_combined_calendar_shows_the_copies_sync_made(
    hass: HomeAssistant, family: Family
) -> None:
    """Ben's combined calendar holds Anna's events, and nothing of his own.

    The planning meeting both accepted is in Ben's own calendar: no copy of it.
    """
    events = await _get_events(hass, "calendar.ben_combined_calendar")

    assert [event["summary"] for event in events] == [
        "Dentist",
        "Maybe lunch",
        "Holiday",
    ]
    assert events[0]["start"] == "2026-12-01T14:00:00+01:00"
    assert events[2]["start"] == "2026-12-05" and events[2]["end"] == "2026-12-07"


async def test_source_calendar_gives_ids_occurrences_and_rules_to_the_frontend(
    hass: HomeAssistant, family: Family, hass_client: ClientSessionGenerator
) -> None:
    """Each occurrence of a series carries the series' id, its own start and the rule."""
    events = await _api_events(hass_client, "calendar.ben_personal")

    football = [event for event in events if event["summary"] == "Football"]
    assert [event["uid"] for event in football] == [FOOTBALL.id] * 4
    assert [event["recurrence_id"] for event in football] == [
        "20261201T170000Z",
        "20261208T170000Z",
        "20261215T170000Z",
        "20261222T170000Z",
    ]
    assert {event["rrule"] for event in football} == {"FREQ=WEEKLY;COUNT=4"}
    planning = next(event for event in events if event["summary"] == "Planning")
    assert planning["uid"] == BENS_PLANNING.id
    assert planning["recurrence_id"] is None


async def test_state_is_the_current_or_next_event_and_follows_the_clock(
    hass: HomeAssistant, family: Family, freezer: FrozenDateTimeFactory
) -> None:
    """Off before the dentist, on during it, then on to the next event."""
    state = hass.states.get("calendar.anna_personal")
    assert state is not None
    assert state.state == STATE_OFF
    assert state.attributes["message"] == "Dentist"

    freezer.move_to(at(1, 14))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    state = hass.states.get("calendar.anna_personal")
    assert state is not None
    assert state.state == STATE_ON

    freezer.move_to(at(1, 15))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    state = hass.states.get("calendar.anna_personal")
    assert state is not None
    assert (state.state, state.attributes["message"]) == (STATE_OFF, "Planning")


async def test_read_only_source_calendar_offers_no_changes(
    hass: HomeAssistant, family: Family
) -> None:
    """Anna may only read her school calendar: no create, update or delete."""
    state = hass.states.get("calendar.anna_school")
    assert state is not None
    assert state.attributes.get("supported_features", 0) == 0
    personal = hass.states.get("calendar.anna_personal")
    assert personal is not None
    assert personal.attributes["supported_features"] == 7
    combined = hass.states.get("calendar.anna_combined_calendar")
    assert combined is not None
    assert combined.attributes.get("supported_features", 0) == 0

    with pytest.raises(HomeAssistantError):
        await hass.services.async_call(
            "calendar",
            "create_event",
            {
                "entity_id": "calendar.anna_school",
                "summary": "Sports day",
                "start_date": "2026-12-10",
                "end_date": "2026-12-11",
            },
            blocking=True,
        )


async def test_event_created_on_a_source_calendar_is_shared_at_once(
    hass: HomeAssistant, any_family: Family
) -> None:
    """The new event is in Anna's calendar, on Everyone and copied to Ben."""
    family = any_family
    await hass.services.async_call(
        "calendar",
        "create_event",
        {
            "entity_id": "calendar.anna_personal",
            "summary": "Piano",
            "start_date_time": at(4, 16).isoformat(),
            "end_date_time": at(4, 17).isoformat(),
            "location": "Music school",
        },
        blocking=True,
    )
    await hass.async_block_till_done()

    assert "Piano" in await family.titles("anna")
    assert "Anna: Piano" in [
        event["summary"]
        for event in await _get_events(hass, "calendar.family_everyone")
    ]
    assert "Piano" in await family.titles("ben-combined")
    created = next(
        event
        for event in (await family.events("anna")).values()
        if event.summary == "Piano"
    )
    assert created.location == "Music school"
    assert created.start == at(4, 16)


async def test_one_occurrence_is_moved_and_another_removed(
    hass: HomeAssistant,
    any_family: Family,
    hass_ws_client: WebSocketGenerator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Only this event: an override for the moved one, an exclusion for the removed."""
    family = any_family
    moved = await _ws(
        hass_ws_client,
        "update",
        entity_id="calendar.ben_personal",
        uid=FOOTBALL.id,
        recurrence_id="20261208T170000Z",
        event={
            "summary": "Football final",
            "dtstart": at(8, 19).isoformat(),
            "dtend": at(8, 20, 30).isoformat(),
        },
    )
    assert moved["success"], moved
    removed = await _ws(
        hass_ws_client,
        "delete",
        entity_id="calendar.ben_personal",
        uid=FOOTBALL.id,
        recurrence_id="20261215T170000Z",
    )
    assert removed["success"], removed
    # Two changes in a row: the second one's cycle follows after the refresh cooldown.
    freezer.tick(timedelta(seconds=11))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()

    football = [
        (event["summary"], event["start"])
        for event in await _get_events(hass, "calendar.ben_personal", days=30)
        if event["summary"].startswith("Football")
    ]
    assert football == [
        ("Football", "2026-12-01T18:00:00+01:00"),
        ("Football final", "2026-12-08T19:00:00+01:00"),
        ("Football", "2026-12-22T18:00:00+01:00"),
    ]
    series = (await family.events("ben"))[FOOTBALL.id]
    assert [override.summary for override in series.overrides] == ["Football final"]
    copies = [
        (event["summary"], event["start"])
        for event in await _get_events(hass, "calendar.anna_combined_calendar", days=30)
        if event["summary"].startswith("Football")
    ]
    assert copies == football, "sync fanned the change out"


async def test_a_single_event_changed_in_the_dialog_is_changed_everywhere(
    hass: HomeAssistant, family: Family, hass_ws_client: WebSocketGenerator
) -> None:
    """The dentist moves an hour later: in Anna's calendar and in Ben's copy."""
    result = await _ws(
        hass_ws_client,
        "update",
        entity_id="calendar.anna_personal",
        uid=DENTIST.id,
        event={
            "summary": "Dentist (later)",
            "dtstart": at(1, 15).isoformat(),
            "dtend": at(1, 16).isoformat(),
        },
    )
    assert result["success"], result
    await hass.async_block_till_done()

    changed = (await family.events("anna"))[DENTIST.id]
    assert (changed.summary, changed.start) == ("Dentist (later)", at(1, 15))
    assert "Dentist (later)" in await family.titles("ben-combined")


async def test_occurrences_are_named_by_utc_local_or_date_recurrence_ids(
    hass: HomeAssistant,
    family: Family,
    hass_client: ClientSessionGenerator,
    hass_ws_client: WebSocketGenerator,
) -> None:
    """A local time means Home Assistant's zone, a date an all-day occurrence.

    A recurrence id in no iCalendar form is refused, naming it.
    """
    created = await _ws(
        hass_ws_client,
        "create",
        entity_id="calendar.anna_personal",
        event={
            "summary": "Bins",
            "dtstart": "2026-12-07",
            "dtend": "2026-12-08",
            "rrule": "FREQ=WEEKLY;COUNT=3",
        },
    )
    assert created["success"], created
    await hass.async_block_till_done()
    bins_id = next(
        event["uid"]
        for event in await _api_events(hass_client, "calendar.anna_personal")
        if event["summary"] == "Bins"
    )
    for entity_id, uid, recurrence_id in (
        ("calendar.anna_personal", bins_id, "20261214"),
        ("calendar.ben_personal", FOOTBALL.id, "20261215T180000"),
    ):
        removed = await _ws(
            hass_ws_client,
            "delete",
            entity_id=entity_id,
            uid=uid,
            recurrence_id=recurrence_id,
        )
        assert removed["success"], removed
    garbage = await _ws(
        hass_ws_client,
        "delete",
        entity_id="calendar.ben_personal",
        uid=FOOTBALL.id,
        recurrence_id="next tuesday",
    )
    assert not garbage["success"]
    assert "next tuesday" in garbage["error"]["message"]

    assert (await family.events("anna"))[bins_id].exdate == (date(2026, 12, 14),)
    assert (await family.events("ben"))[FOOTBALL.id].exdate == (at(15, 18),)


async def test_series_is_cut_from_one_occurrence_and_changed_as_a_whole(
    hass: HomeAssistant, any_family: Family, hass_ws_client: WebSocketGenerator
) -> None:
    """Cut from one occurrence on, the series ends; with no occurrence it all changes."""
    cut = await _ws(
        hass_ws_client,
        "delete",
        entity_id="calendar.ben_personal",
        uid=FOOTBALL.id,
        recurrence_id="20261215T170000Z",
        recurrence_range="THISANDFUTURE",
    )
    assert cut["success"], cut
    renamed = await _ws(
        hass_ws_client,
        "update",
        entity_id="calendar.ben_personal",
        uid=FOOTBALL.id,
        event={
            "summary": "Training",
            "dtstart": at(1, 18).isoformat(),
            "dtend": at(1, 19, 30).isoformat(),
            "rrule": "FREQ=WEEKLY;UNTIL=20261214T235959Z",
        },
    )
    assert renamed["success"], renamed
    await hass.async_block_till_done()

    assert [
        (event["summary"], event["start"])
        for event in await _get_events(hass, "calendar.ben_personal", days=30)
        if event["summary"] != "Planning"
    ] == [
        ("Training", "2026-12-01T18:00:00+01:00"),
        ("Training", "2026-12-08T18:00:00+01:00"),
    ]


async def test_future_occurrences_are_changed_as_a_new_series(
    hass: HomeAssistant, family: Family, hass_ws_client: WebSocketGenerator
) -> None:
    """Changed from one occurrence on: the old series ends, a new one goes on."""
    result = await _ws(
        hass_ws_client,
        "update",
        entity_id="calendar.ben_personal",
        uid=FOOTBALL.id,
        recurrence_id="20261215T170000Z",
        recurrence_range="THISANDFUTURE",
        event={
            "summary": "Football (new pitch)",
            "dtstart": at(15, 18).isoformat(),
            "dtend": at(15, 19, 30).isoformat(),
            "rrule": "FREQ=WEEKLY;COUNT=2",
        },
    )
    assert result["success"], result
    await hass.async_block_till_done()

    assert [
        event["summary"]
        for event in await _get_events(hass, "calendar.ben_personal", days=30)
        if event["summary"].startswith("Football")
    ] == ["Football", "Football", "Football (new pitch)", "Football (new pitch)"]
    assert len(await family.titles("ben")) == 3


async def test_deleting_a_single_event_removes_its_copies(
    hass: HomeAssistant, family: Family, hass_ws_client: WebSocketGenerator
) -> None:
    """A deleted source event leaves Everyone at once and Ben's calendar by sync."""
    result = await _ws(
        hass_ws_client, "delete", entity_id="calendar.anna_personal", uid=DENTIST.id
    )
    assert result["success"], result
    await hass.async_block_till_done()

    assert "Dentist" not in await family.titles("anna")
    assert "Dentist" not in await family.titles("ben-combined")
    assert "Anna: Dentist" not in [
        event["summary"]
        for event in await _get_events(hass, "calendar.family_everyone")
    ]


async def test_text_past_the_limits_is_refused_through_a_source_calendar(
    hass: HomeAssistant, family: Family, hass_ws_client: WebSocketGenerator
) -> None:
    """calendar.create_event and the event dialog keep the actions' text limits."""
    too_long = {
        "summary": "x" * 1_001,
        "location": "x" * 1_001,
        "description": "x" * 8_001,
    }
    for field, text in too_long.items():
        fields = {"summary": "Piano", field: text}
        with pytest.raises(ServiceValidationError) as refused:
            await hass.services.async_call(
                "calendar",
                "create_event",
                {
                    "entity_id": "calendar.anna_personal",
                    "start_date_time": at(4, 16).isoformat(),
                    "end_date_time": at(4, 17).isoformat(),
                    **fields,
                },
                blocking=True,
            )
        assert refused.value.translation_key == f"{field}_too_long"
    result = await _ws(
        hass_ws_client,
        "update",
        entity_id="calendar.anna_personal",
        uid=DENTIST.id,
        event={
            "summary": "x" * 1_001,
            "dtstart": at(1, 14).isoformat(),
            "dtend": at(1, 15).isoformat(),
        },
    )
    assert not result["success"]
    assert "1,001" in result["error"]["message"]
    titles = await family.titles("anna")
    assert "Piano" not in titles
    assert "Dentist" in titles


async def test_a_managed_copy_cannot_be_changed_through_a_source_calendar(
    hass: HomeAssistant,
    google_harness: GoogleHarness,
    hass_ws_client: WebSocketGenerator,
) -> None:
    """Ben's copies land in his own calendar; changing one there is refused."""
    family = await setup_family(
        hass, google_harness, EVENTS, ben_combined_is_his_source=True
    )
    copy = next(
        event
        for event in (await family.events("ben")).values()
        if event.summary == "Dentist"
    )
    assert copy.copy_of is not None

    for command, fields in (
        ("delete", {}),
        (
            "update",
            {
                "event": {
                    "summary": "Mine now",
                    "dtstart": at(1, 14).isoformat(),
                    "dtend": at(1, 15).isoformat(),
                }
            },
        ),
    ):
        result = await _ws(
            hass_ws_client,
            command,
            entity_id="calendar.ben_personal",
            uid=copy.id,
            **fields,
        )
        assert not result["success"]
        assert "copy the sync manages" in result["error"]["message"]
    assert "Dentist" in await family.titles("ben")


async def test_unknown_event_or_occurrence_is_refused(
    hass: HomeAssistant, family: Family, hass_ws_client: WebSocketGenerator
) -> None:
    """Nothing is written for an id or an occurrence the calendar does not have."""
    missing = await _ws(
        hass_ws_client, "delete", entity_id="calendar.anna_personal", uid="nosuchevent"
    )
    assert not missing["success"]
    assert "has no event nosuchevent" in missing["error"]["message"]
    no_occurrence = await _ws(
        hass_ws_client,
        "delete",
        entity_id="calendar.ben_personal",
        uid=FOOTBALL.id,
        recurrence_id="20261209T170000Z",
    )
    assert not no_occurrence["success"]
    assert "has no occurrence" in no_occurrence["error"]["message"]
    series = (await family.events("ben"))[FOOTBALL.id]
    assert series.exdate == ()


async def test_calendar_is_unavailable_while_its_account_cannot_reach_it(
    hass: HomeAssistant, family: Family
) -> None:
    """An unshared calendar makes its entity unavailable; the others stay."""
    assert isinstance(family.harness, GoogleHarness)
    family.harness.server.unshare(family.calendars["anna"], SERVICE_ACCOUNT)
    await family.coordinator.async_refresh()

    assert hass.states.get("calendar.anna_personal").state == STATE_UNAVAILABLE  # type: ignore[union-attr]
    for entity_id in ("calendar.ben_personal", "calendar.family_everyone"):
        assert hass.states.get(entity_id).state != STATE_UNAVAILABLE  # type: ignore[union-attr]

    family.harness.server.share(family.calendars["anna"], SERVICE_ACCOUNT, "writer")
    await family.coordinator.async_refresh()
    assert hass.states.get("calendar.anna_personal").state != STATE_UNAVAILABLE  # type: ignore[union-attr]


async def test_free_events_still_show_on_the_calendar(
    hass: HomeAssistant, google_harness: GoogleHarness
) -> None:
    """A free (transparent) event is an event to see, though it makes nobody busy."""
    await setup_family(
        hass,
        google_harness,
        {
            "anna": [
                hour_long(
                    "wfh",
                    "Home office",
                    at(2, 8),
                    transparency=Transparency.TRANSPARENT,
                )
            ]
        },
    )
    assert [
        event["summary"] for event in await _get_events(hass, "calendar.anna_personal")
    ] == ["Home office"]
