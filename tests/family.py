"""A family on the loopback servers, as the entity tests set it up.

Anna has a personal calendar she may change and a school calendar she may only
read; Ben has a personal calendar. Each has a combined calendar. Ids are fixed
(entry, members and, on Google, calendars) so that snapshots stay the same.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from homeassistant.config_entries import RELOAD_AFTER_UPDATE_DELAY, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.shared_calendars.coordinator import SharedCalendarsCoordinator
from custom_components.shared_calendars.engine.ids import copy_id
from custom_components.shared_calendars.engine.model import Event

from .group import caldav_account, google_account, group_entry, member
from .providers.caldav_harness import CalDavHarness
from .providers.google_harness import SERVICE_ACCOUNT, GoogleHarness

type Harness = CalDavHarness | GoogleHarness

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=BERLIN)
"""Tuesday, 1 December 2026, noon in Berlin: when every test starts."""
ENTRY_ID = "family"
ANNA = "anna"
BEN = "ben"

CALENDARS = {
    # key: (display name, writable)
    "anna": ("Personal", True),
    "anna-school": ("School", False),
    "anna-combined": ("Combined", True),
    "ben": ("Personal", True),
    "ben-combined": ("Combined", True),
}


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """Return a time in December 2026 in Berlin."""
    return datetime(2026, 12, day, hour, minute, tzinfo=BERLIN)


def event(key: str, summary: str, start: Any, end: Any, **fields: Any) -> Event:
    """Return an original event with an id Google accepts."""
    event_id = copy_id("original", key)
    fields.setdefault("ical_uid", f"{event_id}@example.com")
    return Event(id=event_id, summary=summary, start=start, end=end, **fields)


def hour_long(key: str, summary: str, start: datetime, **fields: Any) -> Event:
    """Return an original event of one hour."""
    return event(key, summary, start, start + timedelta(hours=1), **fields)


@dataclass(kw_only=True)
class Family:
    """A loaded group and the calendars behind it."""

    hass: HomeAssistant
    entry: MockConfigEntry
    harness: Harness
    calendars: dict[str, str]
    """Calendar id by key of `CALENDARS`."""

    @property
    def coordinator(self) -> SharedCalendarsCoordinator:
        """Return the group's coordinator."""
        return self.entry.runtime_data.coordinator  # type: ignore[no-any-return]

    async def titles(self, key: str) -> list[str]:
        """Return the titles of the events a calendar holds now, from its server."""
        listing = await self.harness.provider.changes(self.calendars[key], None)
        return sorted(event.summary for event in listing.changed)

    async def events(self, key: str) -> dict[str, Event]:
        """Return the events a calendar holds now, from its server, by id."""
        listing = await self.harness.provider.changes(self.calendars[key], None)
        return {event.id: event for event in listing.changed}


async def _new_calendars(harness: Harness) -> dict[str, str]:
    calendars: dict[str, str] = {}
    for key, (name, writable) in CALENDARS.items():
        if isinstance(harness, GoogleHarness):
            calendars[key] = harness.server.create_calendar(
                name, calendar_id=f"{key}@group.calendar.google.com"
            )
            harness.server.share(
                calendars[key], SERVICE_ACCOUNT, "writer" if writable else "reader"
            )
        elif writable:
            calendars[key] = await harness.new_calendar(name)
        else:
            calendars[key] = await harness.new_read_only_calendar(name)
    return calendars


async def setup_family(
    hass: HomeAssistant,
    harness: Harness,
    events: Mapping[str, Iterable[Event]] | None = None,
    *,
    ben_combined_is_his_source: bool = False,
) -> Family:
    """Make the calendars, put `events` in them (by calendar key), and set the group up.

    With `ben_combined_is_his_source`, Ben's copies land in his own calendar: a
    calendar that holds both his events and copies of Anna's.
    """
    await hass.config.async_set_time_zone("Europe/Berlin")
    calendars = await _new_calendars(harness)
    for key, originals in (events or {}).items():
        for original in originals:
            await harness.provider.put_event(calendars[key], original)
    account = (
        google_account(harness)
        if isinstance(harness, GoogleHarness)
        else caldav_account(harness)
    )
    account_id = account["unique_id"]
    assert account_id is not None
    ben_combined = "ben" if ben_combined_is_his_source else "ben-combined"
    entry = group_entry(
        account,
        member(
            "Anna",
            sources=[
                (account_id, calendars["anna"]),
                (account_id, calendars["anna-school"]),
            ],
            combined=(account_id, calendars["anna-combined"]),
            subentry_id=ANNA,
        ),
        member(
            "Ben",
            sources=[(account_id, calendars["ben"])],
            combined=(account_id, calendars[ben_combined]),
            subentry_id=BEN,
        ),
        entry_id=ENTRY_ID,
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    return Family(hass=hass, entry=entry, harness=harness, calendars=calendars)


def snapshot_domain(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    entry_id: str,
    domain: str,
) -> None:
    """Compare a platform's registry entries and states with their snapshots."""
    entries = [
        entry
        for entry in er.async_entries_for_config_entry(entity_registry, entry_id)
        if entry.domain == domain
    ]
    assert entries
    for entry in sorted(entries, key=lambda entry: entry.entity_id):
        assert entry == snapshot(name=f"{entry.entity_id}-entry")
        state = hass.states.get(entry.entity_id)
        if entry.disabled_by is not None:
            assert state is None, f"{entry.entity_id} is disabled but has a state"
            continue
        assert state is not None, f"no state for {entry.entity_id}"
        assert state == snapshot(name=f"{entry.entity_id}-state")


async def enable(hass: HomeAssistant, *entity_ids: str) -> None:
    """Enable entities that are disabled by default, as a user does.

    Home Assistant reloads the group once the registry settles; so does this.
    """
    registry = er.async_get(hass)
    for entity_id in entity_ids:
        registry.async_update_entity(entity_id, disabled_by=None)
    async_fire_time_changed(
        hass, dt_util.utcnow() + timedelta(seconds=RELOAD_AFTER_UPDATE_DELAY + 1)
    )
    await hass.async_block_till_done()
    for entity_id in entity_ids:
        assert hass.states.get(entity_id) is not None, f"{entity_id} was not enabled"
