"""Two-way sync in a loaded group: the option, and conflicts in the logbook."""

from __future__ import annotations

from dataclasses import replace

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import EVENT_LOGBOOK_ENTRY
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import async_capture_events

from custom_components.shared_calendars.const import DOMAIN
from custom_components.shared_calendars.engine.model import Event

from .family import NOW, at, setup_family
from .providers.caldav_harness import CalDavHarness

DENTIST = Event(
    id="dentist",
    ical_uid="dentist@example.com",
    summary="Dentist",
    start=at(2, 10),
    end=at(2, 11),
)


async def test_conflict_keeps_the_later_edit_and_logs_the_other(
    hass: HomeAssistant, caldav_harness: CalDavHarness, freezer: FrozenDateTimeFactory
) -> None:
    """Ben's copy edited after Anna's original: Ben's edit wins, Anna's is logged."""
    freezer.move_to(NOW)
    family = await setup_family(hass, caldav_harness, {"anna": [DENTIST]})
    hass.config_entries.async_update_entry(
        family.entry, options={**family.entry.options, "two_way": True}
    )
    await hass.async_block_till_done()
    assert family.coordinator.plan_options().two_way
    (copy,) = (await family.events("ben-combined")).values()
    assert copy.summary == "Dentist"

    provider = caldav_harness.provider
    await provider.put_event(
        family.calendars["anna"],
        replace(DENTIST, summary="Dentist at noon", updated=at(1, 12, 1)),
    )
    await provider.put_event(
        family.calendars["ben-combined"],
        replace(copy, location="Main street 1", updated=at(1, 12, 2)),
    )
    logged = async_capture_events(hass, EVENT_LOGBOOK_ENTRY)
    await family.coordinator.async_refresh()

    report = family.coordinator.data
    assert (report.written_back, len(report.conflicts)) == (1, 1)
    (original,) = (await family.events("anna")).values()
    assert (original.summary, original.location) == ("Dentist", "Main street 1")
    assert [entry.data for entry in logged] == [
        {
            "name": family.entry.title,
            "message": 'kept "Dentist"; the original had been changed too and was '
            f'not kept: "Dentist at noon" at {at(2, 10)}',
            "domain": DOMAIN,
        }
    ]
    await family.coordinator.async_refresh()
    quiet = family.coordinator.data
    assert (quiet.written_back, quiet.created, quiet.updated, quiet.deleted) == (
        0,
        0,
        0,
        0,
    )
    assert quiet.conflicts == []
