"""Two meeting rooms on the loopback servers, booked as in the room-booking service's example.

Meeting room 1: Finance Monthly (created in January) and Fundraising Weekly, an
all-day booking of a whole week made in July, which overlaps it; and a cancelled
offsite. Meeting room 2: the Workers Council Meeting (created in February) and Job
Interviews, weekly from 7 July (created in June), whose 14 July occurrence overlaps
the council. Anna, a member, books nothing there and must receive no copies.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
import time
from typing import Any
from zoneinfo import ZoneInfo

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.shared_calendars.const import (
    CONF_ACCOUNT,
    CONF_CALENDAR_ID,
    CONF_CALENDAR_NAME,
    CONF_ROOMS,
)
from custom_components.shared_calendars.engine.model import Event, EventStatus

from .family import event
from .group import caldav_account, google_account, group_entry, member
from .providers.caldav_harness import CalDavHarness
from .providers.google_harness import GoogleHarness

type Harness = CalDavHarness | GoogleHarness

BERLIN = ZoneInfo("Europe/Berlin")
ROOM_1 = "Meeting room 1"
ROOM_2 = "Meeting room 2"


def at(month: int, day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    """Return a time in 2025 in Berlin."""
    return datetime(2025, month, day, hour, minute, second, tzinfo=BERLIN)


FINANCE = event(
    "finance",
    "Finance Monthly",
    at(7, 15, 10),
    at(7, 15, 12),
    created=at(1, 14, 8, 33, 20),
    organizer="head-of-finance@my-awesome.org",
)
FUNDRAISING = event(
    "fundraising",
    "Fundraising Weekly",
    date(2025, 7, 14),
    date(2025, 7, 19),
    created=at(7, 9, 15, 11, 19),
    organizer="head-of-fundraising@my-awesome.org",
)
OFFSITE = event(
    "offsite",
    "Offsite",
    at(7, 22, 9),
    at(7, 22, 17),
    created=at(5, 2, 9),
    organizer="ceo@my-awesome.org",
    status=EventStatus.CANCELLED,
)
COUNCIL = event(
    "council",
    "Workers Council Meeting",
    at(7, 14, 14),
    at(7, 14, 15),
    created=at(2, 10, 12, 33, 39),
    organizer="workers-council@my-awesome.org",
)
INTERVIEWS = event(
    "interviews",
    "Job Interviews",
    at(7, 7, 14),
    at(7, 7, 15),
    rrule="FREQ=WEEKLY;COUNT=4",
    created=at(6, 30, 12, 4, 14),
    organizer="head-of-hr@my-awesome.org",
)
BOOKINGS = {ROOM_1: [FINANCE, FUNDRAISING, OFFSITE], ROOM_2: [COUNCIL, INTERVIEWS]}
WINDOW = {"start_date_time": "2025-07-01 00:00:00", "end_date_time": "2025-09-01"}


@dataclass(kw_only=True)
class Rooms:
    """A loaded group with two rooms, and the calendars behind it."""

    entry: MockConfigEntry
    harness: Harness
    calendars: dict[str, str]
    """Calendar id by room name (and "anna", "anna-combined")."""

    async def events(self, name: str) -> dict[str, Event]:
        """Return what a calendar holds now, from its server, by title."""
        listing = await self.harness.provider.changes(self.calendars[name], None)
        return {event.summary: event for event in listing.changed}

    def writes(self) -> int:
        """Return how many writes reached the server so far."""
        if isinstance(self.harness, GoogleHarness):
            return sum(
                number
                for (verb, route), number in self.harness.server.requests.items()
                if route != "token" and verb in ("POST", "PUT", "PATCH", "DELETE")
            )
        methods = self.harness.proxy.methods()
        return sum(methods[verb] for verb in ("PUT", "DELETE", "PROPPATCH"))

    def expected_organizer(self, booking: Event, room: str) -> str | None:
        """Return the organizer the server reports: Google makes the room organize."""
        if isinstance(self.harness, GoogleHarness):
            return self.calendars[room]
        return booking.organizer


async def _put(harness: Harness, calendar_id: str, booking: Event) -> None:
    """Write a booking; Google stamps `created` itself, at its clock's time."""
    if isinstance(harness, GoogleHarness) and booking.created is not None:
        stamp = booking.created.timestamp()
        harness.server.clock = lambda: stamp
        try:
            await harness.provider.put_event(calendar_id, booking)
        finally:
            harness.server.clock = time.time
        return
    await harness.provider.put_event(calendar_id, booking)


async def setup_rooms(
    hass: HomeAssistant, harness: Harness, options: dict[str, Any] | None = None
) -> Rooms:
    """Make the calendars, book the rooms, and set the group up with both rooms."""
    await hass.config.async_set_time_zone("Europe/Berlin")
    # A token first, from the real clock: one stamped in 2025 would be expired.
    await harness.provider.list_calendars()
    calendars = {
        name: await harness.new_calendar(name)
        for name in (ROOM_1, ROOM_2, "anna", "anna-combined")
    }
    for room, bookings in BOOKINGS.items():
        for booking in bookings:
            await _put(harness, calendars[room], booking)
    account = (
        google_account(harness)
        if isinstance(harness, GoogleHarness)
        else caldav_account(harness)
    )
    account_id = account["unique_id"]
    assert account_id is not None
    entry = group_entry(
        account,
        member(
            "Anna",
            sources=[(account_id, calendars["anna"])],
            combined=(account_id, calendars["anna-combined"]),
            subentry_id="anna",
        ),
        options={
            CONF_ROOMS: [
                {
                    CONF_ACCOUNT: account_id,
                    CONF_CALENDAR_ID: calendars[room],
                    CONF_CALENDAR_NAME: room,
                }
                for room in (ROOM_1, ROOM_2)
            ],
            **(options or {}),
        },
        entry_id="family",
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    return Rooms(entry=entry, harness=harness, calendars=calendars)
