"""Driving the config, options and subentry flows as the frontend does.

Every result a test sees is checked against strings.json and serialized as the
frontend receives it, so a missing string or an unserializable form fails.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import json
from pathlib import Path
import re
from typing import Any

from homeassistant.config_entries import (
    SOURCE_USER,
    ConfigEntryState,
    ConfigSubentryData,
)
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import config_validation as cv
import probatio
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.shared_calendars.const import DOMAIN
from custom_components.shared_calendars.engine.ids import copy_id
from custom_components.shared_calendars.engine.model import Event

from .providers.caldav_harness import USER, CalDavHarness
from .providers.google_harness import SERVICE_ACCOUNT, GoogleHarness
from .servers.fake_google import rsa_test_key, service_account_key
from .servers.radicale import USERS

PACKAGE = Path(__file__).parent.parent / "custom_components" / DOMAIN
STRINGS: dict[str, Any] = json.loads((PACKAGE / "strings.json").read_text())
OTHER_ACCOUNT = "other-sync@shared-calendars-test.iam.gserviceaccount.com"
PLACEHOLDER = re.compile(r"{(\w+)}")


def strings_of(result: Any) -> dict[str, Any]:
    """Return the strings of the flow a result belongs to."""
    handler = result["handler"]
    if isinstance(handler, tuple):
        strings: dict[str, Any] = STRINGS["config_subentries"][handler[1]]
    elif handler == DOMAIN:
        strings = STRINGS["config"]
    else:
        strings = STRINGS["options"]
    return strings


def checked(result: Any) -> Any:
    """Assert that what the frontend shows for `result` is translated and serializes."""
    strings = strings_of(result)
    if result["type"] is FlowResultType.ABORT:
        # Every reason is ours: Home Assistant's own are shown raw by the frontend.
        assert "translation_domain" not in result
        text = strings["abort"][result["reason"]]
        placeholders = set(result.get("description_placeholders") or {})
        assert set(PLACEHOLDER.findall(text)) <= placeholders
        return result
    if result["type"] is FlowResultType.MENU:
        step = strings["step"][result["step_id"]]
        assert set(result["menu_options"]) == set(step["menu_options"])
        return result
    if result["type"] is not FlowResultType.FORM:
        return result
    step = strings["step"][result["step_id"]]
    placeholders = set(result["description_placeholders"] or {})
    texts = [step.get("title", ""), step.get("description", "")]
    for field in probatio.to_field_list(
        result["data_schema"] or probatio.Schema({}),
        custom_serializer=cv.custom_serializer,
    ):
        assert isinstance(field, dict)
        name = field["name"]
        if field.get("type") == "expandable":
            section = step["sections"][name]
            for inner in field["schema"]:
                texts += [section["data"][inner["name"]]]
                texts += [section["data_description"][inner["name"]]]
        else:
            texts += [step["data"][name], step["data_description"][name]]
    for error in (result["errors"] or {}).values():
        texts.append(strings["error"][error])
    for text in texts:
        assert set(PLACEHOLDER.findall(text)) <= placeholders, text
    return result


async def user_flow(hass: HomeAssistant) -> Any:
    """Start a new group as Add integration does."""
    return checked(
        await hass.config_entries.flow.async_init(
            DOMAIN, context={"source": SOURCE_USER}
        )
    )


async def subentry_flow(hass: HomeAssistant, entry: MockConfigEntry, kind: str) -> Any:
    """Start adding an account or a member to a group."""
    return checked(
        await hass.config_entries.subentries.async_init(
            (entry.entry_id, kind), context={"source": SOURCE_USER}
        )
    )


async def reconfigure_subentry(
    hass: HomeAssistant, entry: MockConfigEntry, subentry_id: str
) -> Any:
    """Start changing an account or a member."""
    return checked(await entry.start_subentry_reconfigure_flow(hass, subentry_id))


async def submit(
    hass: HomeAssistant, result: Any, user_input: dict[str, Any] | None = None
) -> Any:
    """Submit a form (or a menu choice) of the flow a result belongs to."""
    handler = result["handler"]
    if isinstance(handler, tuple):
        manager: Any = hass.config_entries.subentries
    elif handler == DOMAIN:
        manager = hass.config_entries.flow
    else:
        manager = hass.config_entries.options
    return checked(await manager.async_configure(result["flow_id"], user_input))


def suggested(result: Any) -> dict[str, Any]:
    """Return what a form shows pre-filled (nested for sections)."""
    shown: dict[str, Any] = {}
    for marker, value in result["data_schema"].schema.items():
        if isinstance(getattr(value, "schema", None), probatio.Schema):
            inner = suggested({"data_schema": value.schema})
            if inner:
                shown[str(marker)] = inner
        elif marker.description and "suggested_value" in marker.description:
            shown[str(marker)] = marker.description["suggested_value"]
    return shown


def google_input(
    harness: GoogleHarness, key: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Return the Google form filled with a key (by default the harness's)."""
    return {
        "service_account_json": json.dumps(key or harness.key),
        "advanced": {"api_root": harness.server.api_root},
    }


def caldav_input(harness: CalDavHarness, **changes: Any) -> dict[str, Any]:
    """Return the CalDAV form filled with the harness's login, changed as given."""
    return {
        "url": harness.proxy.url,
        "username": USER,
        "password": USERS[USER],
        "verify_ssl": True,
    } | changes


def register_new_key(harness: GoogleHarness, email: str = SERVICE_ACCOUNT) -> Any:
    """Give the service account a second key (as rotating keys does); return it."""
    harness.server.register_service_account(
        email, rsa_test_key(1).public_key(), key_id="k2"
    )
    return service_account_key(email, harness.server.token_uri, rsa_test_key(1), "k2")


START = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)


def original(key: str, summary: str) -> Event:
    """Return an original event of one hour on 2 December."""
    event_id = copy_id("original", key)
    return Event(
        id=event_id,
        ical_uid=f"{event_id}@example.com",
        summary=summary,
        start=START,
        end=START + timedelta(hours=1),
    )


async def titles(harness: CalDavHarness | GoogleHarness, calendar: str) -> list[str]:
    """Return the titles a calendar holds now, from its server."""
    listing = await harness.provider.changes(calendar, None)
    return sorted(event.summary for event in listing.changed)


def choice(account: ConfigSubentryData, calendar_id: str) -> str:
    """Return the member form's value for a calendar of an account."""
    return f"{account['unique_id']}|{calendar_id}"


def member_input(
    name: str,
    sources: list[str] | None = None,
    combined: str | None = None,
    **sharing: Any,
) -> dict[str, Any]:
    """Return the member form filled in."""
    user_input: dict[str, Any] = {
        "name": name,
        "sources": sources or [],
        "sharing": sharing,
        "filters": {},
        "schedule": {},
    }
    if combined:
        user_input["combined"] = combined
    return user_input


async def set_up(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Add a group and set it up; it loads."""
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
