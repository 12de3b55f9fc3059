"""Home Assistant's own calendar entities as sources and combined calendars.

Real parts throughout: Home Assistant's Local Calendar integration, set up in the
test instance, and Radicale on loopback through the CalDAV provider.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from homeassistant.components.calendar.const import CalendarEntityFeature
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType

from custom_components.shared_calendars.engine.ids import copy_id
from custom_components.shared_calendars.engine.model import Event

from .flows import reconfigure_subentry, subentry_flow, submit, suggested
from .group import caldav_account, group_entry, member
from .ha_calendars import (
    HA_ACCOUNT,
    caldav_summaries,
    entity_picker,
    ha_account,
    local_calendar,
    local_summaries,
    tomorrow_at,
)
from .providers.caldav_harness import CalDavHarness


async def test_local_calendar_and_radicale_sync_both_ways(
    hass: HomeAssistant, caldav_harness: CalDavHarness
) -> None:
    """Events, their changes, deletions and series cross between Local Calendar and Radicale."""
    anna = await local_calendar(hass, "Anna")
    anna_all = await local_calendar(hass, "Anna all")
    ben = await caldav_harness.new_calendar("ben")
    ben_all = await caldav_harness.new_calendar("ben-all")
    caldav = caldav_account(caldav_harness)
    caldav_id = caldav["unique_id"]
    assert caldav_id is not None
    start = tomorrow_at(9)
    await anna.async_create_event(
        summary="Dentist", dtstart=start, dtend=start + timedelta(hours=1)
    )
    await anna.async_create_event(
        summary="Swimming",
        dtstart=start + timedelta(hours=6),
        dtend=start + timedelta(hours=7),
        rrule="FREQ=WEEKLY;COUNT=4",
    )
    ben_event_id = copy_id("original", "ben")
    await caldav_harness.provider.put_event(
        ben,
        Event(
            id=ben_event_id,
            ical_uid=f"{ben_event_id}@example.com",
            summary="Football",
            start=start + timedelta(hours=2),
            end=start + timedelta(hours=3),
        ),
    )
    entry = group_entry(
        ha_account(),
        caldav,
        member(
            "Anna",
            sources=[(HA_ACCOUNT, anna.entity_id)],
            combined=(HA_ACCOUNT, anna_all.entity_id),
        ),
        member("Ben", sources=[(caldav_id, ben)], combined=(caldav_id, ben_all)),
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    coordinator = entry.runtime_data.coordinator

    assert await caldav_summaries(caldav_harness, ben_all) == ["Dentist", "Swimming"]
    assert await local_summaries(hass, anna_all) == ["Football"]
    copies = (await caldav_harness.provider.changes(ben_all, None)).changed
    series = next(event for event in copies if event.summary == "Swimming")
    assert series.rrule is not None and "COUNT=4" in series.rrule.upper()

    await coordinator.async_refresh()
    quiet = coordinator.data
    assert (quiet.created, quiet.updated, quiet.deleted) == (0, 0, 0)

    # A change and a deletion in the Local Calendar reach Radicale.
    dentist = next(
        event
        for event in await anna.async_get_events(
            hass, start - timedelta(hours=1), start + timedelta(hours=2)
        )
        if event.summary == "Dentist"
    )
    assert dentist.uid is not None
    await anna.async_update_event(
        dentist.uid,
        {
            "summary": "Dentist (moved)",
            "dtstart": start + timedelta(hours=1),
            "dtend": start + timedelta(hours=2),
        },
    )
    # One occurrence of the series is cancelled: the copy gets an exception.
    swimming = [
        event
        for event in await anna.async_get_events(
            hass, start, start + timedelta(days=30)
        )
        if event.summary == "Swimming"
    ]
    assert len(swimming) == 4
    assert swimming[1].uid is not None
    await anna.async_delete_event(
        swimming[1].uid, recurrence_id=swimming[1].recurrence_id
    )
    await coordinator.async_refresh()
    assert await caldav_summaries(caldav_harness, ben_all) == [
        "Dentist (moved)",
        "Swimming",
    ]
    copies = (await caldav_harness.provider.changes(ben_all, None)).changed
    series = next(event for event in copies if event.summary == "Swimming")
    cancelled = len(series.exdate) + sum(
        1 for override in series.overrides if override.status.value == "cancelled"
    )
    assert cancelled == 1

    # A change in Radicale reaches the Local Calendar; then a deletion.
    await caldav_harness.provider.put_event(
        ben,
        Event(
            id=ben_event_id,
            ical_uid=f"{ben_event_id}@example.com",
            summary="Football (cup)",
            start=start + timedelta(hours=2),
            end=start + timedelta(hours=3),
        ),
    )
    await coordinator.async_refresh()
    assert await local_summaries(hass, anna_all) == ["Football (cup)"]
    await coordinator.async_refresh()
    quiet = coordinator.data
    assert (quiet.created, quiet.updated, quiet.deleted) == (0, 0, 0)

    await caldav_harness.provider.delete_event(ben, ben_event_id)
    await anna.async_delete_event(dentist.uid)
    await coordinator.async_refresh()
    assert await local_summaries(hass, anna_all) == []
    assert await caldav_summaries(caldav_harness, ben_all) == ["Swimming"]
    await coordinator.async_refresh()
    quiet = coordinator.data
    assert (quiet.created, quiet.updated, quiet.deleted) == (0, 0, 0)


async def test_series_written_to_a_local_calendar_keeps_its_exceptions(
    hass: HomeAssistant, caldav_harness: CalDavHarness
) -> None:
    """A Radicale series with a cancelled occurrence arrives in a Local Calendar as one series."""
    anna_all = await local_calendar(hass, "Anna all")
    ben = await caldav_harness.new_calendar("ben")
    caldav = caldav_account(caldav_harness)
    caldav_id = caldav["unique_id"]
    assert caldav_id is not None
    start = tomorrow_at(18)
    series_id = copy_id("original", "series")
    await caldav_harness.provider.put_event(
        ben,
        Event(
            id=series_id,
            ical_uid=f"{series_id}@example.com",
            summary="Choir",
            start=start,
            end=start + timedelta(hours=1),
            rrule="FREQ=DAILY;COUNT=5",
            exdate=(start + timedelta(days=2),),
        ),
    )
    entry = group_entry(
        ha_account(),
        caldav,
        member("Anna", sources=[], combined=(HA_ACCOUNT, anna_all.entity_id)),
        member("Ben", sources=[(caldav_id, ben)], combined=None),
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert await local_summaries(hass, anna_all) == ["Choir"] * 4
    occurrences = await anna_all.async_get_events(
        hass, start - timedelta(hours=1), start + timedelta(days=6)
    )
    assert {event.rrule for event in occurrences} == {"FREQ=DAILY;COUNT=5"}
    assert len({event.uid for event in occurrences}) == 1
    coordinator = entry.runtime_data.coordinator
    await coordinator.async_refresh()
    quiet = coordinator.data
    assert (quiet.created, quiet.updated, quiet.deleted) == (0, 0, 0)


async def test_member_flow_offers_entities_and_refuses_read_only_and_loops(
    hass: HomeAssistant,
) -> None:
    """Entities are picked as entities; loops and two combined calendars are refused."""
    anna = await local_calendar(hass, "Anna")
    anna_all = await local_calendar(hass, "Anna all")
    other_group = group_entry(
        ha_account(),
        member("Zoe", sources=[(HA_ACCOUNT, anna_all.entity_id)], combined=None),
    )
    other_group.add_to_hass(hass)
    entry = group_entry(ha_account())
    entry.add_to_hass(hass)

    result = await subentry_flow(hass, entry, "member")
    fields = ["name", "sources", "ha_sources", "combined", "ha_combined"]
    assert _fields(result) == [*fields, "sharing", "filters", "schedule"]
    # Only Home Assistant's calendars: they have left the dropdowns.
    assert _options(result, "sources") == _options(result, "combined") == []
    assert entity_picker(result, "ha_sources")["domain"] == ["calendar"]
    assert entity_picker(result, "ha_sources")["multiple"] is True
    assert entity_picker(result, "ha_combined")["filter"] == [
        {
            "domain": ["calendar"],
            "supported_features": [CalendarEntityFeature.CREATE_EVENT],
        }
    ]
    assert entity_picker(result, "ha_combined")["multiple"] is False

    def form(sources: list[str], combined: str) -> dict[str, Any]:
        return {
            "name": "Anna",
            "ha_sources": sources,
            "ha_combined": combined,
            "sharing": {},
            "filters": {},
            "schedule": {},
        }

    result = await submit(hass, result, form([anna.entity_id], anna_all.entity_id))
    assert result["errors"] == {"ha_combined": "combined_source_elsewhere"}
    twice = form([anna_all.entity_id], anna.entity_id)
    twice["combined"] = f"{HA_ACCOUNT}|{anna.entity_id}"
    result = await submit(hass, result, twice)
    assert result["errors"] == {"ha_combined": "combined_twice"}
    result = await submit(hass, result, form([anna_all.entity_id], anna.entity_id))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    data = result["data"]
    assert [(s["account"], s["calendar_id"]) for s in data["sources"]] == [
        (HA_ACCOUNT, anna_all.entity_id)
    ]
    assert (data["combined"]["account"], data["combined"]["calendar_id"]) == (
        HA_ACCOUNT,
        anna.entity_id,
    )

    subentry_id = next(
        subentry.subentry_id
        for subentry in entry.subentries.values()
        if subentry.title == "Anna"
    )
    result = await reconfigure_subentry(hass, entry, subentry_id)
    shown = suggested(result)
    assert shown["ha_sources"] == [anna_all.entity_id]
    assert shown["ha_combined"] == anna.entity_id
    assert "sources" not in shown or shown["sources"] == []
    assert "combined" not in shown
    result = await submit(hass, result, form([anna_all.entity_id], anna.entity_id))
    assert result["reason"] == "reconfigure_successful"
    assert entry.subentries[subentry_id].data == data


def _fields(result: Any) -> list[str]:
    return [str(key) for key in result["data_schema"].schema]


def _options(result: Any, field: str) -> list[Any]:
    schema = result["data_schema"].schema
    key = next(key for key in schema if str(key) == field)
    return list(schema[key].config["options"])


async def test_a_restart_takes_in_no_copy_a_local_calendar_holds_again(
    hass: HomeAssistant, caldav_harness: CalDavHarness
) -> None:
    """The read that met the copies just written keeps its cursor, for the restart."""
    anna_all = await local_calendar(hass, "Anna all")
    ben = await caldav_harness.new_calendar("ben")
    caldav = caldav_account(caldav_harness)
    caldav_id = caldav["unique_id"]
    assert caldav_id is not None
    for hour in (9, 11, 15):
        start = tomorrow_at(hour)
        event_id = copy_id("original", f"at-{hour}")
        await caldav_harness.provider.put_event(
            ben,
            Event(
                id=event_id,
                ical_uid=f"{event_id}@example.com",
                summary=f"Ben at {hour}",
                start=start,
                end=start + timedelta(hours=1),
            ),
        )
    entry = group_entry(
        ha_account(),
        caldav,
        member("Anna", sources=[], combined=(HA_ACCOUNT, anna_all.entity_id)),
        member("Ben", sources=[(caldav_id, ben)], combined=None),
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    await entry.runtime_data.coordinator.async_refresh()  # meets its own copies
    assert len(await local_summaries(hass, anna_all)) == 3

    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()

    # The first cycle after the restart found nothing new: no row written.
    database = entry.runtime_data.coordinator.store._database
    assert database is not None
    assert database._connection.total_changes == 0
