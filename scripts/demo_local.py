"""The demo's member who lives in Home Assistant only: Grandpa's two Local Calendars.

Grandpa's own events are in a Local Calendar ("Grandpa's calendar") and the family's
copies go to another one ("Grandpa: everyone"), both made with Home Assistant's
`local_calendar` integration through its config flow, as Settings > Devices &
services > Add integration does. The Family group reaches them through its "Home
Assistant calendars" account. scripts/demo_data.py calls this module; every step
skips what exists, so a reused demo keeps Grandpa's calendars and their events.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
import sys
from typing import Any
from zoneinfo import ZoneInfo

import ha_config

DOMAIN = "shared_calendars"
LOCAL_CALENDAR = "local_calendar"
MEMBER = "Grandpa"
SOURCE_TITLE = "Grandpa's calendar"
COMBINED_TITLE = "Grandpa: everyone"
BERLIN = ZoneInfo("Europe/Berlin")


def events(today: date) -> list[dict[str, Any]]:
    """Return Grandpa's events, laid out around `today` as the CalDAV ones are."""

    def at(offset: int, hour: int, minute: int = 0) -> str:
        day = today + timedelta(days=offset)
        return datetime.combine(day, time(hour, minute), BERLIN).isoformat()

    # A weekly series that started three weeks ago, on Thursdays.
    first = today - timedelta(weeks=3)
    first += timedelta(days=(3 - first.weekday()) % 7)
    chess = datetime.combine(first, time(15), BERLIN)
    return [
        {
            "summary": "Garden centre",
            "location": "Gartencenter Britz",
            "dtstart": at(1, 10, 30),
            "dtend": at(1, 12),
        },
        {
            "summary": "Chess club",
            "location": "Café Rix",
            "dtstart": chess.isoformat(),
            "dtend": (chess + timedelta(hours=2)).isoformat(),
            "rrule": "FREQ=WEEKLY;BYDAY=TH",
        },
        {
            "summary": "Eye doctor",
            "dtstart": at(4, 9),
            "dtend": at(4, 9, 45),
        },
    ]


def _local_calendars(url: str, token: str) -> dict[str, str]:
    """Return the Local Calendars' config entries: title -> entry id."""
    _, entries = ha_config.request(
        f"{url}/api/config/config_entries/entry?domain={LOCAL_CALENDAR}", token=token
    )
    return {entry["title"]: entry["entry_id"] for entry in entries}


def _create_local_calendar(url: str, token: str, title: str) -> str:
    """Create a Local Calendar as the Add integration dialog does; return its entry."""
    flow_url = f"{url}/api/config/config_entries/flow"
    status, form = ha_config.request(
        flow_url, token=token, data={"handler": LOCAL_CALENDAR}
    )
    if status != 200 or form.get("type") != "form":
        sys.exit(f"demo_local: the Local Calendar form did not open: {status} {form}")
    result = ha_config.answer_flow(flow_url, token, form, [{"calendar_name": title}])
    if result.get("type") != "create_entry":
        sys.exit(f"demo_local: creating the Local Calendar {title!r} failed: {result}")
    entry_id: str = result["result"]["entry_id"]
    if (state := ha_config.wait_loaded(url, token, LOCAL_CALENDAR, entry_id)) != (
        "loaded"
    ):
        sys.exit(f"demo_local: the Local Calendar {title!r} is {state}")
    print(f"demo_local: created the Local Calendar {title!r}")
    return entry_id


def _entity_of(url: str, token: str, entry_id: str) -> str:
    """Return the calendar entity of a Local Calendar's config entry."""
    (entities,) = ha_config.websocket(
        url, token, [{"type": "config/entity_registry/list"}]
    )
    for entity in entities:
        if entity["config_entry_id"] == entry_id:
            entity_id: str = entity["entity_id"]
            return entity_id
    sys.exit(f"demo_local: no calendar entity for the Local Calendar {entry_id}")


def _add_ha_account(url: str, token: str, entry_id: str) -> None:
    """Add the "Home Assistant calendars" account, as the Add account menu does."""
    flow_url = f"{url}/api/config/config_entries/subentries/flow"
    status, menu = ha_config.request(
        flow_url, token=token, data={"handler": [entry_id, "account"]}
    )
    if status != 200 or menu.get("type") != "menu":
        sys.exit(f"demo_local: the account menu did not open: {status} {menu}")
    result = ha_config.answer_flow(
        flow_url, token, menu, [{"next_step_id": "ha_calendar"}]
    )
    if result.get("type") == "abort" and result.get("reason") == "ha_calendar_added":
        return
    if result.get("type") != "create_entry":
        sys.exit(f"demo_local: adding Home Assistant calendars failed: {result}")
    print("demo_local: the Family group reaches Home Assistant's calendars")


def _picker(form: Mapping[str, Any], name: str) -> None:
    """Check that the member form picks Home Assistant's calendars in `name`."""
    for item in form.get("data_schema", []):
        if item["name"] == name and "entity" in item["selector"]:
            return
    sys.exit(f"demo_local: the member form has no entity picker {name}: {form}")


def _add_member(
    url: str, token: str, entry_id: str, source: str, combined: str
) -> None:
    """Add Grandpa through the "Add member" dialog's flow."""
    flow_url = f"{url}/api/config/config_entries/subentries/flow"
    status, form = ha_config.request(
        flow_url, token=token, data={"handler": [entry_id, "member"]}
    )
    if status != 200 or form.get("type") != "form":
        sys.exit(f"demo_local: the member form did not open: {status} {form}")
    _picker(form, "ha_sources")
    _picker(form, "ha_combined")
    answer = {
        "name": MEMBER,
        "ha_sources": [source],
        "ha_combined": combined,
        "sharing": {"color": "grape", "title_prefix": f"{MEMBER}: "},
        "filters": {},
        "schedule": {},
    }
    result = ha_config.answer_flow(flow_url, token, form, [answer])
    if result.get("type") != "create_entry":
        sys.exit(f"demo_local: adding {MEMBER} failed: {result}")
    print(f"demo_local: added member {MEMBER} (Local Calendars {source}, {combined})")


def setup(url: str, token: str, entry_id: str, members: Mapping[str, str]) -> None:
    """Give the group Grandpa, with Local Calendars and events; skip what exists."""
    existing = _local_calendars(url, token)
    entries: dict[str, str] = {}
    for title in (SOURCE_TITLE, COMBINED_TITLE):
        entries[title] = existing.get(title) or _create_local_calendar(
            url, token, title
        )
    source = _entity_of(url, token, entries[SOURCE_TITLE])
    combined = _entity_of(url, token, entries[COMBINED_TITLE])
    if SOURCE_TITLE not in existing:
        # What the calendar panel's "Add event" dialog sends.
        written = events(datetime.now(BERLIN).date())
        ha_config.websocket(
            url,
            token,
            [
                {"type": "calendar/event/create", "entity_id": source, "event": event}
                for event in written
            ],
        )
        print(f"demo_local: {len(written)} events written to {source}")
    if MEMBER in members.values():
        return
    _add_ha_account(url, token, entry_id)
    _add_member(url, token, entry_id, source, combined)
