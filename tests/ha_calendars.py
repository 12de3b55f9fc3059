"""Home Assistant calendar entities for the tests: Local Calendar, and what they hold."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from homeassistant.components.calendar import CalendarEntity, CalendarEvent
from homeassistant.components.calendar.const import DATA_COMPONENT
from homeassistant.config_entries import ConfigSubentryData
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddEntitiesCallback
from homeassistant.helpers.typing import ConfigType, DiscoveryInfoType
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    MockPlatform,
    mock_platform,
)

from custom_components.shared_calendars.const import (
    ACCOUNT_HA,
    CONF_ACCOUNT_TYPE,
    SUBENTRY_ACCOUNT,
)
from tests.providers.caldav_harness import CalDavHarness

HA_ACCOUNT = "ha_calendar:test"


def ha_account() -> ConfigSubentryData:
    """Return the account subentry of Home Assistant's calendars."""
    return ConfigSubentryData(
        subentry_type=SUBENTRY_ACCOUNT,
        unique_id=HA_ACCOUNT,
        title="Home Assistant calendars",
        data={CONF_ACCOUNT_TYPE: ACCOUNT_HA},
    )


async def local_calendar(hass: HomeAssistant, name: str) -> CalendarEntity:
    """Set up a Local Calendar named `name`; return its entity."""
    # Local Calendar keeps its file under .storage, which a fresh test config lacks.
    storage = Path(hass.config.path(".storage"))
    await hass.async_add_executor_job(lambda: storage.mkdir(exist_ok=True))
    entry = MockConfigEntry(domain="local_calendar", data={"calendar_name": name})
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return next(
        entity
        for entity in hass.data[DATA_COMPONENT].entities
        if entity.registry_entry is not None
        and entity.registry_entry.config_entry_id == entry.entry_id
    )


async def local_summaries(hass: HomeAssistant, entity: CalendarEntity) -> list[str]:
    """Return the titles of the occurrences of the next weeks, in order."""
    now = dt_util.now()
    events = await entity.async_get_events(
        hass, now - timedelta(days=1), now + timedelta(days=40)
    )
    return sorted(event.summary for event in events)


async def caldav_summaries(harness: CalDavHarness, calendar: str) -> list[str]:
    """Return the titles of a Radicale calendar's events."""
    listing = await harness.provider.changes(calendar, None)
    return sorted(event.summary for event in listing.changed)


def entity_picker(result: Any, field: str) -> dict[str, Any]:
    """Return a member form's entity picker settings, as the frontend gets them."""
    schema = result["data_schema"].schema
    key = next(key for key in schema if str(key) == field)
    config: dict[str, Any] = schema[key].serialize()["selector"]["entity"]
    return config


def tomorrow_at(hour: int) -> datetime:
    """Return tomorrow at `hour`, local time."""
    return dt_util.start_of_local_day() + timedelta(days=1, hours=hour)


class ReadOnlyCalendar(CalendarEntity):
    """A calendar entity that only answers reads, as many integrations' do."""

    _attr_has_entity_name = False

    def __init__(self, name: str, events: list[CalendarEvent]) -> None:
        """Hold `events`; the test changes the list to change the calendar."""
        self._attr_name = name
        self._attr_unique_id = f"read_only_{name}"
        self.events = events

    @property
    def event(self) -> CalendarEvent | None:
        """Return no current event: the tests read through `async_get_events`."""
        return None

    async def async_get_events(
        self, hass: HomeAssistant, start_date: datetime, end_date: datetime
    ) -> list[CalendarEvent]:
        """Return the events that overlap the range."""
        return [
            event
            for event in self.events
            if event.start_datetime_local < end_date
            and event.end_datetime_local > start_date
        ]


async def read_only_calendar(
    hass: HomeAssistant, name: str, events: list[CalendarEvent]
) -> ReadOnlyCalendar:
    """Set up a read-only calendar entity through a test platform; return it."""
    return await add_test_calendar(hass, "read_only", ReadOnlyCalendar(name, events))


async def add_test_calendar[E: CalendarEntity](
    hass: HomeAssistant, platform: str, entity: E
) -> E:
    """Add a calendar entity through a test platform of its own; return it."""

    async def async_setup_platform(
        hass: HomeAssistant,
        config: ConfigType,
        async_add_entities: AddEntitiesCallback,
        discovery_info: DiscoveryInfoType | None = None,
    ) -> None:
        async_add_entities([entity])

    mock_platform(
        hass,
        f"{platform}.calendar",
        MockPlatform(async_setup_platform=async_setup_platform),
    )
    assert await async_setup_component(
        hass, "calendar", {"calendar": [{"platform": platform}]}
    )
    await hass.async_block_till_done()
    return entity
