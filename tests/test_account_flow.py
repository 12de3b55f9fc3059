"""Accounts of a group: added, refused when in a group already, changed.

Every account is checked against the real loopback servers (the fake Google API,
Radicale behind its proxy); nothing of the integration is mocked.
"""

from __future__ import annotations

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.shared_calendars.accounts import (
    caldav_account_id,
    google_account_id,
)
from custom_components.shared_calendars.const import DOMAIN

from .flows import (
    OTHER_ACCOUNT,
    caldav_input,
    google_input,
    reconfigure_subentry,
    register_new_key,
    set_up,
    subentry_flow,
    submit,
    suggested,
)
from .group import caldav_account, google_account, group_entry
from .providers.caldav_harness import USER, CalDavHarness
from .providers.google_harness import SERVICE_ACCOUNT, GoogleHarness
from .servers.radicale import USERS

# --------------------------------------------------------------- accounts


async def test_caldav_account_joins_a_google_group(
    hass: HomeAssistant, google_harness: GoogleHarness, caldav_harness: CalDavHarness
) -> None:
    """A group mixes Google and CalDAV: a second account is a subentry."""
    entry = group_entry(google_account(google_harness))
    entry.add_to_hass(hass)
    result = await subentry_flow(hass, entry, "account")
    assert result["type"] is FlowResultType.MENU

    result = await submit(hass, result, {"next_step_id": "caldav"})
    result = await submit(hass, result, caldav_input(caldav_harness, password="nope"))
    assert result["errors"] == {"base": "invalid_auth"}
    result = await submit(hass, result, caldav_input(caldav_harness))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["unique_id"] == caldav_account_id(USER, caldav_harness.proxy.url)
    assert {sub.unique_id for sub in entry.subentries.values()} == {
        google_account_id(SERVICE_ACCOUNT),
        caldav_account_id(USER, caldav_harness.proxy.url),
    }


async def test_google_account_joins_a_caldav_group_after_naming_its_address(
    hass: HomeAssistant, google_harness: GoogleHarness, caldav_harness: CalDavHarness
) -> None:
    """Adding a service account shows the e-mail to share calendars with."""
    entry = group_entry(caldav_account(caldav_harness))
    entry.add_to_hass(hass)
    result = await subentry_flow(hass, entry, "account")
    result = await submit(hass, result, {"next_step_id": "google"})
    result = await submit(hass, result, {"advanced": {}})
    assert result["errors"] == {"base": "key_required"}
    result = await submit(hass, result, google_input(google_harness))
    assert result["step_id"] == "share"
    assert result["description_placeholders"]["email"] == SERVICE_ACCOUNT

    result = await submit(hass, result, {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == SERVICE_ACCOUNT
    assert result["data"]["service_account"] == google_harness.key


@pytest.mark.parametrize("same_group", [True, False])
async def test_account_already_in_a_group_is_not_added_again(
    hass: HomeAssistant,
    google_harness: GoogleHarness,
    caldav_harness: CalDavHarness,
    same_group: bool,
) -> None:
    """An account belongs to one group: this one or any other."""
    holder = group_entry(google_account(google_harness), caldav_account(caldav_harness))
    holder.add_to_hass(hass)
    entry = holder
    if not same_group:
        entry = MockConfigEntry(domain=DOMAIN, title="Office", data={"name": "Office"})
        entry.add_to_hass(hass)
    for kind, user_input in (
        ("google", google_input(google_harness)),
        ("caldav", caldav_input(caldav_harness)),
    ):
        result = await subentry_flow(hass, entry, "account")
        result = await submit(hass, result, {"next_step_id": kind})
        result = await submit(hass, result, user_input)
        assert result["type"] is FlowResultType.ABORT
        assert result["reason"] == "already_configured"


async def test_rotated_google_key_replaces_the_old_one_in_a_loaded_group(
    hass: HomeAssistant, google_harness: GoogleHarness
) -> None:
    """Reconfigure takes a new key of the same service account; the group reloads."""
    account = google_account(google_harness)
    entry = group_entry(account)
    await set_up(hass, entry)
    [subentry_id] = entry.subentries
    result = await reconfigure_subentry(hass, entry, subentry_id)
    assert result["step_id"] == "reconfigure_google"
    assert suggested(result) == {
        "advanced": {"api_root": google_harness.server.api_root}
    }

    new_key = register_new_key(google_harness)
    result = await submit(hass, result, {"service_account_json": "[]", "advanced": {}})
    assert result["errors"] == {"base": "invalid_key"}
    result = await submit(hass, result, google_input(google_harness, new_key))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.subentries[subentry_id].data["service_account"] == new_key
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED


async def test_key_of_another_service_account_is_refused_on_reconfigure(
    hass: HomeAssistant, google_harness: GoogleHarness
) -> None:
    """Members' calendars belong to the account: its e-mail cannot change."""
    entry = group_entry(google_account(google_harness))
    entry.add_to_hass(hass)
    [subentry_id] = entry.subentries
    other_key = register_new_key(google_harness, OTHER_ACCOUNT)
    result = await reconfigure_subentry(hass, entry, subentry_id)
    result = await submit(hass, result, google_input(google_harness, other_key))
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "wrong_account"}
    assert result["description_placeholders"]["account"] == SERVICE_ACCOUNT
    assert result["description_placeholders"]["other"] == OTHER_ACCOUNT
    assert entry.subentries[subentry_id].data["service_account"] == google_harness.key


async def test_caldav_account_is_reconfigured_on_its_server_and_the_group_retried(
    hass: HomeAssistant, caldav_harness: CalDavHarness
) -> None:
    """Same server only; an empty password keeps the stored one; a failed group reloads."""
    account = caldav_account(caldav_harness)
    entry = group_entry(account)
    entry.add_to_hass(hass)
    [subentry_id] = entry.subentries
    result = await reconfigure_subentry(hass, entry, subentry_id)
    assert result["step_id"] == "reconfigure_caldav"
    assert suggested(result) == {"url": caldav_harness.proxy.url, "verify_ssl": True}

    other_host = caldav_harness.proxy.url.replace("127.0.0.1", "localhost")
    result = await submit(hass, result, {"url": other_host, "verify_ssl": True})
    assert result["errors"] == {"url": "other_server"}
    assert caldav_harness.request_count() == 0  # the password went nowhere

    result = await submit(
        hass,
        result,
        {"url": caldav_harness.proxy.url, "password": "nope", "verify_ssl": True},
    )
    assert result["errors"] == {"base": "invalid_auth"}

    principal = caldav_harness.proxy.url.rstrip("/") + f"/{USER}/"
    result = await submit(hass, result, {"url": principal, "verify_ssl": True})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    subentry = entry.subentries[subentry_id]
    assert subentry.data["url"] == principal
    assert subentry.data["password"] == USERS[USER]
    assert subentry.title == f"{USER} on {principal}"
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
