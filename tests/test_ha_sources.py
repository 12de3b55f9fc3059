"""Home Assistant calendars that only give events: read-only entities and ICS feeds.

Also what follows a source entity without a refresh, and the refusal of the
group's own calendars. Real parts: Home Assistant's Local Calendar and Remote
Calendar integrations, an ICS feed and Radicale on loopback, and a calendar
entity of a test platform that cannot write.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

from homeassistant.components.calendar import CalendarEvent
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType, InvalidData
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.shared_calendars.coordinator import SharedCalendarsCoordinator
from custom_components.shared_calendars.ha_watch import WATCH_COOLDOWN
from custom_components.shared_calendars.providers.ha_calendar import own_entity_ids

from .flows import subentry_flow, submit
from .group import caldav_account, group_entry, member
from .ha_calendars import (
    HA_ACCOUNT,
    caldav_summaries,
    entity_picker,
    ha_account,
    local_calendar,
    local_summaries,
    read_only_calendar,
    tomorrow_at,
)
from .providers.caldav_harness import CalDavHarness
from .servers.ics_feed import IcsFeed


def _options(result: Any, field: str) -> set[str]:
    schema = result["data_schema"].schema
    key = next(key for key in schema if str(key) == field)
    return {option["value"] for option in schema[key].config["options"]}


def _member_form(sources: list[str], combined: str | None) -> dict[str, Any]:
    """Return the member form with Home Assistant calendars picked as entities."""
    form: dict[str, Any] = {
        "name": "Zoe",
        "ha_sources": sources,
        "sharing": {},
        "filters": {},
        "schedule": {},
    }
    if combined is not None:
        form["ha_combined"] = combined
    return form


def _typed_form(sources: list[str], combined: str | None) -> dict[str, Any]:
    """Return the member form with entity ids typed in the dropdowns, as before."""
    form: dict[str, Any] = {
        "name": "Zoe",
        "sources": [f"{HA_ACCOUNT}|{source}" for source in sources],
        "sharing": {},
        "filters": {},
        "schedule": {},
    }
    if combined is not None:
        form["combined"] = f"{HA_ACCOUNT}|{combined}"
    return form


async def _set_up(
    hass: HomeAssistant, entry: MockConfigEntry
) -> SharedCalendarsCoordinator:
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    coordinator: SharedCalendarsCoordinator = entry.runtime_data.coordinator
    return coordinator


async def _assert_quiet(coordinator: SharedCalendarsCoordinator) -> None:
    await coordinator.async_refresh()
    report = coordinator.data
    assert (report.created, report.updated, report.deleted) == (0, 0, 0)


def _after_cooldown(hass: HomeAssistant) -> None:
    async_fire_time_changed(
        hass, dt_util.utcnow() + timedelta(seconds=WATCH_COOLDOWN + 1)
    )


async def test_read_only_entity_is_only_a_source(hass: HomeAssistant) -> None:
    """An entity that cannot write is offered as a source, refused as combined, and read."""
    start = tomorrow_at(9)
    events = [
        CalendarEvent(
            start=start,
            end=start + timedelta(hours=2),
            summary="Sports day",
            uid="sd-1",
        )
    ]
    school = await read_only_calendar(hass, "School", events)
    ben_all = await local_calendar(hass, "Ben all")
    form_entry = group_entry(ha_account())
    form_entry.add_to_hass(hass)

    result = await subentry_flow(hass, form_entry, "member")
    # Entities are picked with the entity pickers, not in the dropdowns.
    assert _options(result, "sources") == _options(result, "combined") == set()
    result = await submit(hass, result, _member_form([], school.entity_id))
    assert result["errors"] == {"ha_combined": "combined_read_only"}
    result = await submit(hass, result, _typed_form([], school.entity_id))
    assert result["errors"] == {"combined": "combined_read_only"}
    result = await submit(hass, result, _member_form([school.entity_id], None))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert [
        (source["account"], source["calendar_id"], source["name"])
        for source in result["data"]["sources"]
    ] == [(HA_ACCOUNT, school.entity_id, "School")]
    assert result["data"]["combined"] is None

    coordinator = await _set_up(
        hass,
        group_entry(
            ha_account(),
            member("Anna", sources=[(HA_ACCOUNT, school.entity_id)], combined=None),
            member("Ben", sources=[], combined=(HA_ACCOUNT, ben_all.entity_id)),
        ),
    )
    assert await local_summaries(hass, ben_all) == ["Sports day"]
    await _assert_quiet(coordinator)

    school.events = [
        CalendarEvent(
            start=start,
            end=start + timedelta(hours=3),
            summary="Sports day (longer)",
            uid="sd-1",
        )
    ]
    await coordinator.async_refresh()
    assert coordinator.data.updated == 1
    assert await local_summaries(hass, ben_all) == ["Sports day (longer)"]
    school.events = []
    await coordinator.async_refresh()
    assert coordinator.data.deleted == 1
    assert await local_summaries(hass, ben_all) == []
    await _assert_quiet(coordinator)


async def test_own_calendars_are_refused(hass: HomeAssistant) -> None:
    """The group's combined calendars are neither offered nor taken, even typed in."""
    anna = await local_calendar(hass, "Anna")
    anna_all = await local_calendar(hass, "Anna all")
    entry = group_entry(
        ha_account(),
        member(
            "Anna",
            sources=[(HA_ACCOUNT, anna.entity_id)],
            combined=(HA_ACCOUNT, anna_all.entity_id),
        ),
    )
    await _set_up(hass, entry)
    own = own_entity_ids(hass)
    assert own, "the group shows its combined calendar as an entity"
    own_id = min(own)

    result = await subentry_flow(hass, entry, "member")
    offered = _options(result, "sources") | _options(result, "combined")
    assert not any(
        value.endswith(f"|{entity_id}") for value in offered for entity_id in own
    )
    for field in ("ha_sources", "ha_combined"):
        assert entity_picker(result, field)["exclude_entities"] == sorted(own)
    result = await submit(hass, result, _typed_form([own_id], None))
    assert result["errors"] == {"sources": "own_calendar"}
    result = await submit(hass, result, _typed_form([], own_id))
    assert result["errors"] == {"combined": "own_calendar"}
    with pytest.raises(InvalidData):
        await submit(hass, result, _member_form([own_id], None))


async def test_local_calendar_edit_reaches_copies_without_refresh(
    hass: HomeAssistant,
) -> None:
    """An event created with calendar.create_event is copied after the cooldown."""
    anna = await local_calendar(hass, "Anna")
    ben_all = await local_calendar(hass, "Ben all")
    coordinator = await _set_up(
        hass,
        group_entry(
            ha_account(),
            member("Anna", sources=[(HA_ACCOUNT, anna.entity_id)], combined=None),
            member("Ben", sources=[], combined=(HA_ACCOUNT, ben_all.entity_id)),
        ),
    )
    start = tomorrow_at(15)
    await hass.services.async_call(
        "calendar",
        "create_event",
        {
            "summary": "Piano",
            "start_date_time": start,
            "end_date_time": start + timedelta(hours=1),
        },
        target={"entity_id": anna.entity_id},
        blocking=True,
    )
    assert await local_summaries(hass, ben_all) == []
    _after_cooldown(hass)
    await hass.async_block_till_done()
    assert await local_summaries(hass, ben_all) == ["Piano"]
    report = coordinator.data
    assert report.created == 1
    # The cycle read just the calendar that spoke, not Ben's.
    assert report.requests["changes"] == 1
    await _assert_quiet(coordinator)


def _feed(*events: str) -> str:
    return "\r\n".join(
        [
            "BEGIN:VCALENDAR",
            "VERSION:2.0",
            "PRODID:-//Club//Feed//EN",
            *events,
            "END:VCALENDAR",
            "",
        ]
    )


def _vevent(uid: str, summary: str, start: datetime, *extra: str) -> str:
    def utc(moment: datetime) -> str:
        return dt_util.as_utc(moment).strftime("%Y%m%dT%H%M%SZ")

    return "\r\n".join(
        [
            "BEGIN:VEVENT",
            f"UID:{uid}",
            f"DTSTAMP:{utc(start)}",
            f"DTSTART:{utc(start)}",
            f"DTEND:{utc(start + timedelta(hours=1))}",
            f"SUMMARY:{summary}",
            *extra,
            "END:VEVENT",
        ]
    )


@pytest.fixture
async def ics_feed(socket_enabled: None) -> AsyncIterator[IcsFeed]:
    """Yield an empty ICS feed on loopback."""
    feed = IcsFeed(_feed())
    await feed.start()
    try:
        yield feed
    finally:
        await feed.stop()


async def test_remote_calendar_feed_is_copied_to_radicale(
    hass: HomeAssistant, caldav_harness: CalDavHarness, ics_feed: IcsFeed
) -> None:
    """A club's feed reaches a Radicale combined calendar, and so do its changes."""
    start = tomorrow_at(10)
    match = _vevent("match-1@club", "Match", start)
    training = _vevent(
        "training@club",
        "Training",
        start + timedelta(hours=8),
        "RRULE:FREQ=WEEKLY;COUNT=3",
    )
    ics_feed.text = _feed(match, training)
    club_entry = MockConfigEntry(
        domain="remote_calendar",
        title="Club",
        data={"calendar_name": "Club", "url": ics_feed.url, "verify_ssl": False},
    )
    club_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(club_entry.entry_id)
    await hass.async_block_till_done()
    club = "calendar.club"
    assert hass.states.get(club) is not None
    ben_all = await caldav_harness.new_calendar("ben-all")
    caldav = caldav_account(caldav_harness)
    caldav_id = caldav["unique_id"]
    assert caldav_id is not None
    coordinator = await _set_up(
        hass,
        group_entry(
            ha_account(),
            caldav,
            member("Anna", sources=[(HA_ACCOUNT, club)], combined=None),
            member("Ben", sources=[], combined=(caldav_id, ben_all)),
        ),
    )
    assert await caldav_summaries(caldav_harness, ben_all) == ["Match", "Training"]
    copies = (await caldav_harness.provider.changes(ben_all, None)).changed
    series = next(event for event in copies if event.summary == "Training")
    assert series.rrule is not None and "COUNT=3" in series.rrule.upper()
    await _assert_quiet(coordinator)

    # The feed changes; the next download (Remote Calendar's own refresh) is followed.
    ics_feed.text = _feed(_vevent("match-1@club", "Match (away)", start), training)
    downloads = ics_feed.downloads
    await club_entry.runtime_data.async_refresh()
    await hass.async_block_till_done()  # The entity writes its state after.
    assert ics_feed.downloads == downloads + 1
    _after_cooldown(hass)
    await hass.async_block_till_done()
    assert coordinator.data.updated == 1
    assert await caldav_summaries(caldav_harness, ben_all) == [
        "Match (away)",
        "Training",
    ]
    await _assert_quiet(coordinator)

    ics_feed.text = _feed(training)
    await club_entry.runtime_data.async_refresh()
    await hass.async_block_till_done()  # The entity writes its state after.
    _after_cooldown(hass)
    await hass.async_block_till_done()
    assert coordinator.data.deleted == 1
    assert await caldav_summaries(caldav_harness, ben_all) == ["Training"]
    await _assert_quiet(coordinator)
