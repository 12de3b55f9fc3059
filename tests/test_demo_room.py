"""The demo's meeting room, as scripts/demo_data.py seeds it, and the README's answer.

The room's events are stored in Radicale exactly as the demo writes them (its own
iCalendar text), and a dry run of `clear_overlaps` must answer what the README shows
for the demo seeded on Monday 7 December 2026.
"""

from __future__ import annotations

from datetime import date, timedelta
import json
from pathlib import Path
import re
import sys
from typing import Any
from urllib.parse import urlsplit

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant

from custom_components.shared_calendars.const import (
    CONF_ACCOUNT,
    CONF_CALENDAR_ID,
    CONF_CALENDAR_NAME,
    CONF_ROOMS,
    DOMAIN,
)

from .group import caldav_account, group_entry, member
from .providers.caldav_harness import USER, CalDavHarness
from .servers.radicale import RadicaleServer

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import demo_data  # noqa: E402

SEEDED = date(2026, 12, 7)
"""The day the README's answer was seeded on: the demo lays its events around it."""
README_ANSWER = re.compile(
    r"seeded on Monday 7 December 2026, answers:\n\n```json\n(.*?)\n```", re.DOTALL
)


async def _demo_room(
    hass: HomeAssistant, harness: CalDavHarness, radicale: RadicaleServer
) -> None:
    """Store the demo's meeting room and set a group up with it as a room."""
    await hass.config.async_set_time_zone(demo_data.HOME_TZ)
    [room] = [
        calendar
        for calendar in demo_data.calendars(SEEDED)
        if calendar.slug == "meeting-room"
    ]
    calendar_id = await harness.new_calendar(room.name)
    path = urlsplit(calendar_id).path.rstrip("/")
    for booking in room.events:
        await radicale.put_raw(
            USER, f"{path}/{booking.uid}.ics", demo_data.to_ics(booking)
        )
    anna = await harness.new_calendar("anna")
    account = caldav_account(harness)
    account_id = account["unique_id"]
    assert account_id is not None
    entry = group_entry(
        account,
        member("Anna", sources=[(account_id, anna)], combined=None),
        options={
            CONF_ROOMS: [
                {
                    CONF_ACCOUNT: account_id,
                    CONF_CALENDAR_ID: calendar_id,
                    CONF_CALENDAR_NAME: room.name,
                }
            ]
        },
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED


async def test_the_readme_shows_what_a_dry_run_in_the_demos_room_answers(
    hass: HomeAssistant,
    caldav_harness: CalDavHarness,
    radicale_server: RadicaleServer,
) -> None:
    """The cancelled interview goes; of each overlapping pair, the later booked."""
    await _demo_room(hass, caldav_harness, radicale_server)
    start = f"{SEEDED} 00:00:00"
    end = f"{SEEDED + timedelta(days=90)} 00:00:00"

    answer: Any = await hass.services.async_call(
        DOMAIN,
        "clear_overlaps",
        {
            "room": "calendar.family_meeting_room_spree",
            "dry_run": True,
            "start_date_time": start,
            "end_date_time": end,
        },
        blocking=True,
        return_response=True,
    )

    found = README_ANSWER.search((ROOT / "README.md").read_text(encoding="utf-8"))
    assert found is not None, "the README shows the demo's answer"
    assert answer == json.loads(found.group(1)), json.dumps(answer, indent=2)
