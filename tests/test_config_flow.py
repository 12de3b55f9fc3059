"""Setting a group up in the UI: the group, its first account, options, reauth.

Every account is checked against the real loopback servers (the fake Google API,
Radicale behind its proxy); nothing of the integration is mocked.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
import json
from typing import Any
import uuid

from aiohttp import FormData
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType, InvalidData
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
import probatio
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.shared_calendars.accounts import (
    caldav_account_id,
    google_account_id,
)
from custom_components.shared_calendars.const import DEFAULT_NOTIFY_MESSAGE, DOMAIN

from .flows import (
    OTHER_ACCOUNT,
    PACKAGE,
    STRINGS,
    caldav_input,
    checked,
    google_input,
    original,
    register_new_key,
    set_up,
    submit,
    suggested,
    titles,
    user_flow,
)
from .group import caldav_account, google_account, group_entry, member
from .providers.caldav_harness import USER, CalDavHarness
from .providers.google_harness import SERVICE_ACCOUNT, GoogleHarness
from .servers.fake_google import free_port, rsa_test_key, service_account_key
from .servers.radicale import USERS

# ----------------------------------------------------------- a new group


async def test_group_starts_with_a_google_service_account_and_loads(
    hass: HomeAssistant, google_harness: GoogleHarness
) -> None:
    """Name, key, then the address to share with: the group is created and set up."""
    await google_harness.new_calendar("Anna")
    result = await user_flow(hass)
    assert result["step_id"] == "user"

    result = await submit(hass, result, {"name": "  Family ", "account_type": "google"})
    assert result["step_id"] == "google"
    assert suggested(result) == {}

    result = await submit(hass, result, google_input(google_harness))
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "share"
    assert result["description_placeholders"] == {
        "email": SERVICE_ACCOUNT,
        "count": "1",
    }

    result = await submit(hass, result, {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Family"
    assert result["data"] == {"name": "Family"}
    entry = result["result"]
    [account] = entry.subentries.values()
    assert account.subentry_type == "account"
    assert account.unique_id == google_account_id(SERVICE_ACCOUNT)
    assert account.title == SERVICE_ACCOUNT
    assert dict(account.data) == {
        "type": "google",
        "service_account": google_harness.key,
        "api_root": google_harness.server.api_root,
    }
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED


async def test_group_starts_with_a_caldav_account_and_loads(
    hass: HomeAssistant, caldav_harness: CalDavHarness
) -> None:
    """URL, user name and password are checked by discovery; the group is created."""
    result = await user_flow(hass)
    result = await submit(hass, result, {"name": "Office", "account_type": "caldav"})
    assert result["step_id"] == "caldav"

    result = await submit(hass, result, caldav_input(caldav_harness))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    entry = result["result"]
    [account] = entry.subentries.values()
    assert account.unique_id == caldav_account_id(USER, caldav_harness.proxy.url)
    assert account.title == f"{USER} on {caldav_harness.proxy.url}"
    assert dict(account.data) == {
        "type": "caldav",
        "url": caldav_harness.proxy.url,
        "username": USER,
        "password": USERS[USER],
        "verify_ssl": True,
    }
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED


async def test_google_key_file_is_uploaded_and_may_be_submitted_again(
    hass: HomeAssistant,
    google_harness: GoogleHarness,
    hass_client: ClientSessionGenerator,
) -> None:
    """An uploaded key works; after an error the same upload is used again."""
    # Every view the integration needs is registered before the client freezes them.
    for dependency in ("file_upload", "webhook"):
        assert await async_setup_component(hass, dependency, {})
    client = await hass_client()
    form = FormData()
    form.add_field(
        "file",
        json.dumps(google_harness.key).encode(),
        filename="service-account.json",
        content_type="application/json",
    )
    response = await client.post("/api/file_upload", data=form)
    assert response.status == 200
    file_id = (await response.json())["file_id"]

    result = await user_flow(hass)
    result = await submit(hass, result, {"name": "Family", "account_type": "google"})
    google_harness.server.rate_limit_next(1, retry_after=1)
    upload = {
        "service_account_file": file_id,
        "advanced": {"api_root": google_harness.server.api_root},
    }
    result = await submit(hass, result, upload)
    assert result["errors"] == {"base": "rate_limited"}

    result = await submit(hass, result, upload)
    assert result["step_id"] == "share"
    result = await submit(hass, result, {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    [account] = result["result"].subentries.values()
    assert account.data["service_account"] == google_harness.key


@pytest.mark.parametrize(
    ("make_input", "knob", "errors", "key_error"),
    [
        pytest.param(
            lambda h: {"service_account_json": "{not json"},
            None,
            {"base": "invalid_key"},
            "not valid JSON",
            id="not-json",
        ),
        pytest.param(
            lambda h: {
                "service_account_json": json.dumps(h.key | {"type": "authorized_user"})
            },
            None,
            {"base": "invalid_key"},
            '"authorized_user", not "service_account"',
            id="not-a-service-account",
        ),
        pytest.param(
            lambda h: {"service_account_json": "  "},
            None,
            {"base": "key_required"},
            "",
            id="no-key",
        ),
        pytest.param(
            lambda h: {
                "service_account_json": json.dumps(h.key),
                "service_account_file": str(uuid.uuid4()),
            },
            None,
            {"base": "key_twice"},
            "",
            id="pasted-and-uploaded",
        ),
        pytest.param(
            lambda h: {"service_account_file": str(uuid.uuid4())},
            None,
            {"service_account_file": "upload_failed"},
            "",
            id="upload-gone",
        ),
        pytest.param(
            lambda h: {
                "service_account_json": json.dumps(
                    service_account_key(
                        SERVICE_ACCOUNT, h.server.token_uri, rsa_test_key(1)
                    )
                )
            },
            None,
            {"base": "key_refused"},
            "",
            id="key-google-does-not-know",
        ),
        pytest.param(
            lambda h: {
                "service_account_json": json.dumps(
                    service_account_key(
                        SERVICE_ACCOUNT,
                        f"http://127.0.0.1:{free_port()}/token",
                        rsa_test_key(0),
                    )
                )
            },
            None,
            {"base": "cannot_connect"},
            "",
            id="token-endpoint-unreachable",
        ),
        pytest.param(
            lambda h: {"service_account_json": json.dumps(h.key)},
            lambda h: h.server.rate_limit_next(1),
            {"base": "rate_limited"},
            "",
            id="rate-limited",
        ),
        pytest.param(
            lambda h: {"service_account_json": json.dumps(h.key)},
            lambda h: h.server.fail_next(1, 418),
            {"base": "unknown"},
            "",
            id="unexpected-answer",
        ),
    ],
)
async def test_google_key_errors_say_what_to_fix_and_never_echo_the_key(
    hass: HomeAssistant,
    google_harness: GoogleHarness,
    caplog: pytest.LogCaptureFixture,
    make_input: Callable[[GoogleHarness], dict[str, Any]],
    knob: Callable[[GoogleHarness], None] | None,
    errors: dict[str, str],
    key_error: str,
) -> None:
    """Each way a key fails is a translated error; the form comes back empty."""
    result = await user_flow(hass)
    result = await submit(hass, result, {"name": "Family", "account_type": "google"})
    if knob:
        knob(google_harness)
    user_input = make_input(google_harness) | {
        "advanced": {"api_root": google_harness.server.api_root}
    }
    result = await submit(hass, result, user_input)

    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "google"
    assert result["errors"] == errors
    assert key_error in result["description_placeholders"]["key_error"]
    assert suggested(result) == {
        "advanced": {"api_root": google_harness.server.api_root}
    }
    assert "PRIVATE KEY" not in caplog.text
    assert ("Unexpected error" in caplog.text) == (errors == {"base": "unknown"})


@pytest.mark.parametrize(
    ("changes", "knob", "errors"),
    [
        pytest.param(
            {"password": "not-alices-password"},
            None,
            {"base": "invalid_auth"},
            id="wrong-password",
        ),
        pytest.param(
            {"url": "ftp://calendar.example.com/"},
            None,
            {"url": "invalid_url"},
            id="not-http",
        ),
        pytest.param(
            {"url": f"http://127.0.0.1:{free_port()}/"},
            None,
            {"base": "cannot_connect"},
            id="nothing-listens",
        ),
        pytest.param(
            {},
            lambda h: h.proxy.rate_limit_next(5, 1),
            {"base": "rate_limited"},
            id="rate-limited",
        ),
    ],
)
async def test_caldav_errors_say_what_to_fix_and_never_echo_the_password(
    hass: HomeAssistant,
    caldav_harness: CalDavHarness,
    changes: dict[str, Any],
    knob: Callable[[CalDavHarness], None] | None,
    errors: dict[str, str],
) -> None:
    """A failed sign-in is a translated error; the form keeps all but the password."""
    result = await user_flow(hass)
    result = await submit(hass, result, {"name": "Office", "account_type": "caldav"})
    if knob:
        knob(caldav_harness)
    user_input = caldav_input(caldav_harness, **changes)
    result = await submit(hass, result, user_input)

    assert result["step_id"] == "caldav"
    assert result["errors"] == errors
    assert suggested(result) == {
        key: value for key, value in user_input.items() if key != "password"
    }


async def test_group_name_is_required_and_unique(hass: HomeAssistant) -> None:
    """A blank name or the name of another group is refused on the field."""
    MockConfigEntry(domain=DOMAIN, title="Family", data={"name": "Family"}).add_to_hass(
        hass
    )
    result = await user_flow(hass)
    result = await submit(hass, result, {"name": "  ", "account_type": "caldav"})
    assert result["errors"] == {"name": "name_required"}
    result = await submit(hass, result, {"name": "family ", "account_type": "caldav"})
    assert result["errors"] == {"name": "name_in_use"}
    assert result["step_id"] == "user"


async def test_account_of_another_group_cannot_start_a_group(
    hass: HomeAssistant, google_harness: GoogleHarness, caldav_harness: CalDavHarness
) -> None:
    """The same account in two groups is refused, whatever its kind."""
    group_entry(
        google_account(google_harness), caldav_account(caldav_harness)
    ).add_to_hass(hass)
    result = await user_flow(hass)
    result = await submit(hass, result, {"name": "Office", "account_type": "google"})
    result = await submit(hass, result, google_input(google_harness))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"

    result = await user_flow(hass)
    result = await submit(hass, result, {"name": "Office", "account_type": "caldav"})
    result = await submit(hass, result, caldav_input(caldav_harness))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_the_same_group_cannot_be_added_twice(
    hass: HomeAssistant, google_harness: GoogleHarness, caldav_harness: CalDavHarness
) -> None:
    """A group is known by its first account: adding it again aborts, translated."""
    result = await user_flow(hass)
    result = await submit(hass, result, {"name": "Family", "account_type": "caldav"})
    result = await submit(hass, result, caldav_input(caldav_harness))
    entry = result["result"]
    assert entry.unique_id == caldav_account_id(USER, caldav_harness.proxy.url)

    result = await user_flow(hass)
    result = await submit(hass, result, {"name": "Family 2", "account_type": "caldav"})
    result = await submit(hass, result, caldav_input(caldav_harness))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"

    result = await user_flow(hass)
    result = await submit(hass, result, {"name": "Office", "account_type": "google"})
    result = await submit(hass, result, google_input(google_harness))
    result = await submit(hass, result, {})
    office = result["result"]
    assert office.unique_id == google_account_id(SERVICE_ACCOUNT)
    # Known before the address to share with is shown: nothing to read twice.
    result = await user_flow(hass)
    result = await submit(hass, result, {"name": "Office 2", "account_type": "google"})
    result = await submit(hass, result, google_input(google_harness))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert [e.title for e in hass.config_entries.async_entries(DOMAIN)] == [
        "Family",
        "Office",
    ]


async def test_group_is_known_by_an_account_it_still_has(
    hass: HomeAssistant, google_harness: GoogleHarness, caldav_harness: CalDavHarness
) -> None:
    """A group set up before it had an id gets its first account's; a removed one moves it."""
    google, caldav = google_account(google_harness), caldav_account(caldav_harness)
    entry = group_entry(google, caldav)
    assert entry.unique_id is None
    await set_up(hass, entry)
    assert entry.unique_id == google["unique_id"]

    [google_subentry] = [
        sub for sub in entry.subentries.values() if sub.unique_id == google["unique_id"]
    ]
    hass.config_entries.async_remove_subentry(entry, google_subentry.subentry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert entry.unique_id == caldav["unique_id"]


# ---------------------------------------------------------------- options

NO_ROOMS = {
    "rooms": [],
    "priority_organizers": [],
    "notify_action": "",
    "clear_rooms_after_sync": False,
    "notify_message": DEFAULT_NOTIFY_MESSAGE,
}
"""What the rooms step keeps when nothing is entered in it."""


async def test_options_are_saved_and_the_group_reloads_with_them(
    hass: HomeAssistant, caldav_harness: CalDavHarness
) -> None:
    """Sync interval, window, concurrency and the removed-member choice take effect."""
    entry = group_entry(caldav_account(caldav_harness))
    await set_up(hass, entry)
    result = checked(await hass.config_entries.options.async_init(entry.entry_id))
    assert result["step_id"] == "init"
    defaults = probatio.Schema(result["data_schema"].schema)({})
    assert defaults == {
        "sync_interval": 5,
        "window_past_days": 30,
        "window_future_days": 365,
        "concurrency": 4,
        "keep_copies_of_removed_members": False,
        "two_way": False,
        "two_way_delete": False,
    }
    with pytest.raises(InvalidData):
        await submit(hass, result, defaults | {"sync_interval": 0})

    options = {
        "sync_interval": 15.0,
        "window_past_days": 7,
        "window_future_days": 90,
        "concurrency": 2,
        "keep_copies_of_removed_members": True,
        "two_way": True,
        "two_way_delete": False,
    }
    result = await submit(hass, result, options)
    assert result["step_id"] == "rooms"
    result = await submit(hass, result, {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options == options | {"sync_interval": 15} | NO_ROOMS
    await hass.async_block_till_done()
    coordinator = entry.runtime_data.coordinator
    assert coordinator.update_interval == timedelta(minutes=15)
    plan_options = coordinator.plan_options()
    assert plan_options.keep_copies_of_removed_targets
    assert (plan_options.two_way, plan_options.two_way_delete) == (True, False)
    assert plan_options.window is not None
    assert plan_options.window.end - plan_options.window.start == timedelta(days=97)

    result = checked(await hass.config_entries.options.async_init(entry.entry_id))
    assert suggested(result) == options | {"sync_interval": 15}


# ----------------------------------------------------------------- reauth


async def test_revoked_key_is_replaced_through_reauthentication(
    hass: HomeAssistant, google_harness: GoogleHarness
) -> None:
    """The group that failed to set up asks for a new key of the same account."""
    google = google_account(google_harness)
    anna = await google_harness.new_calendar("Anna")
    entry = group_entry(
        google,
        member("Anna", sources=[(google["unique_id"] or "", anna)], combined=None),
    )
    entry.add_to_hass(hass)
    google_harness.server.revoke_key(SERVICE_ACCOUNT)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    [flow] = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    result = checked(await hass.config_entries.flow.async_configure(flow["flow_id"]))
    assert result["step_id"] == "reauth_google"
    assert result["description_placeholders"]["account"] == SERVICE_ACCOUNT

    result = await submit(
        hass, result, {"service_account_json": json.dumps(google_harness.key)}
    )
    assert result["errors"] == {"base": "key_refused"}
    other_key = register_new_key(google_harness, OTHER_ACCOUNT)
    result = await submit(hass, result, {"service_account_json": json.dumps(other_key)})
    assert result["errors"] == {"base": "wrong_account"}
    assert result["description_placeholders"]["other"] == OTHER_ACCOUNT

    new_key = register_new_key(google_harness)
    result = await submit(hass, result, {"service_account_json": json.dumps(new_key)})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    [account] = [s for s in entry.subentries.values() if s.subentry_type == "account"]
    assert account.data["service_account"] == new_key
    assert account.data["api_root"] == google_harness.server.api_root
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED


async def test_key_revoked_while_loaded_is_replaced_and_the_group_reloads(
    hass: HomeAssistant, google_harness: GoogleHarness
) -> None:
    """A sync cycle that is refused starts reauthentication of a loaded group."""
    google = google_account(google_harness)
    anna = await google_harness.new_calendar("Anna")
    entry = group_entry(
        google,
        member("Anna", sources=[(google["unique_id"] or "", anna)], combined=None),
    )
    server = google_harness.server
    before = server.api_request_count()
    await set_up(hass, entry)
    one_setup = server.api_request_count() - before
    server.revoke_key(SERVICE_ACCOUNT)
    await entry.runtime_data.coordinator.async_refresh()
    await hass.async_block_till_done()
    [flow] = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    result = checked(await hass.config_entries.flow.async_configure(flow["flow_id"]))

    new_key = register_new_key(google_harness)
    result = await submit(hass, result, {"service_account_json": json.dumps(new_key)})
    assert result["reason"] == "reauth_successful"
    before = server.api_request_count()
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data.coordinator.last_update_success
    assert server.api_request_count() - before == one_setup  # reloaded once


async def test_changed_caldav_password_is_entered_through_reauthentication(
    hass: HomeAssistant, google_harness: GoogleHarness, caldav_harness: CalDavHarness
) -> None:
    """Of several accounts, the one refused is asked for; here a CalDAV password."""
    google = google_account(google_harness)
    caldav = caldav_account(caldav_harness)
    caldav["data"] = dict(caldav["data"]) | {"password": "the-old-password"}
    entry = group_entry(google, caldav)
    entry.add_to_hass(hass)
    result = checked(await entry.start_reauth_flow(hass))
    assert result["step_id"] == "reauth_caldav"
    assert result["description_placeholders"]["username"] == USER

    result = await submit(hass, result, {"password": "still-wrong"})
    assert result["errors"] == {"base": "invalid_auth"}
    result = await submit(hass, result, {"password": USERS[USER]})
    assert result["reason"] == "reauth_successful"
    [account] = [
        s for s in entry.subentries.values() if s.unique_id == caldav["unique_id"]
    ]
    assert account.data["password"] == USERS[USER]
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED


async def test_unusable_stored_key_is_replaced_through_reauthentication(
    hass: HomeAssistant, google_harness: GoogleHarness, caldav_harness: CalDavHarness
) -> None:
    """A key that cannot even be parsed any more is the account asked for."""
    google = google_account(google_harness)
    key = dict(google["data"]["service_account"]) | {"private_key": "cut"}
    google["data"] = dict(google["data"]) | {"service_account": key}
    entry = group_entry(caldav_account(caldav_harness), google)
    entry.add_to_hass(hass)
    result = checked(await entry.start_reauth_flow(hass))
    assert result["step_id"] == "reauth_google"
    result = await submit(
        hass, result, {"service_account_json": json.dumps(google_harness.key)}
    )
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED


async def test_key_unusable_at_setup_is_named_and_asked_for(
    hass: HomeAssistant, google_harness: GoogleHarness, caldav_harness: CalDavHarness
) -> None:
    """The setup says which account's key fails; reauthentication asks for it."""
    google = google_account(google_harness)
    key = dict(google["data"]["service_account"]) | {"private_key": "cut"}
    google["data"] = dict(google["data"]) | {"service_account": key}
    entry = group_entry(caldav_account(caldav_harness), google)
    entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_ERROR
    assert entry.error_reason_translation_key == "invalid_key"
    assert entry.error_reason_translation_placeholders is not None
    assert entry.error_reason_translation_placeholders["account"] == SERVICE_ACCOUNT

    requests = caldav_harness.request_count()
    result = await _reauth_form(hass)
    assert result["step_id"] == "reauth_google"
    assert result["description_placeholders"]["account"] == SERVICE_ACCOUNT
    assert caldav_harness.request_count() == requests  # named: nothing to find out
    result = await submit(
        hass, result, {"service_account_json": json.dumps(google_harness.key)}
    )
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED


async def test_reauthentication_of_a_group_of_one_account_asks_for_it(
    hass: HomeAssistant, caldav_harness: CalDavHarness
) -> None:
    """Started without naming the account, it asks for the only one at once."""
    entry = group_entry(caldav_account(caldav_harness))
    entry.add_to_hass(hass)
    result = checked(await entry.start_reauth_flow(hass))
    assert result["step_id"] == "reauth_caldav"
    assert caldav_harness.request_count() == 0


async def test_reauthentication_of_accounts_that_work_again_reloads_the_group(
    hass: HomeAssistant, google_harness: GoogleHarness, caldav_harness: CalDavHarness
) -> None:
    """Nothing to ask when every account signs in: the group just starts again."""
    entry = group_entry(google_account(google_harness), caldav_account(caldav_harness))
    entry.add_to_hass(hass)
    result = checked(await entry.start_reauth_flow(hass))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_not_needed"
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED


async def test_reauthentication_waits_for_an_unreachable_server(
    hass: HomeAssistant, google_harness: GoogleHarness, caldav_harness: CalDavHarness
) -> None:
    """An account that cannot be checked is not taken for a refused one."""
    caldav = caldav_account(caldav_harness)
    caldav["data"] = dict(caldav["data"]) | {"url": f"http://127.0.0.1:{free_port()}/"}
    entry = group_entry(google_account(google_harness), caldav)
    entry.add_to_hass(hass)
    result = checked(await entry.start_reauth_flow(hass))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "cannot_connect"


async def _group_of_two(
    hass: HomeAssistant,
    anna_harness: GoogleHarness | CalDavHarness,
    ben_harness: GoogleHarness | CalDavHarness,
) -> tuple[MockConfigEntry, dict[str, str]]:
    """Set a group up: Anna's calendars on one harness, Ben's on the other."""
    calendars = {
        name: await harness.new_calendar(name)
        for name, harness in (
            ("anna", anna_harness),
            ("anna-combined", anna_harness),
            ("ben", ben_harness),
            ("ben-combined", ben_harness),
        )
    }
    anna, ben = (
        google_account(harness)
        if isinstance(harness, GoogleHarness)
        else caldav_account(harness)
        for harness in (anna_harness, ben_harness)
    )
    anna_account, ben_account = anna["unique_id"] or "", ben["unique_id"] or ""
    entry = group_entry(
        *([anna] if anna_account == ben_account else [anna, ben]),
        member(
            "Anna",
            sources=[(anna_account, calendars["anna"])],
            combined=(anna_account, calendars["anna-combined"]),
            subentry_id="anna",
        ),
        member(
            "Ben",
            sources=[(ben_account, calendars["ben"])],
            combined=(ben_account, calendars["ben-combined"]),
            subentry_id="ben",
        ),
    )
    await set_up(hass, entry)
    return entry, calendars


def _unavailable(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, str | None]:
    """Return the group's unavailable entities, with the member each belongs to."""
    return {
        entity.entity_id: entity.config_subentry_id
        for entity in er.async_entries_for_config_entry(
            er.async_get(hass), entry.entry_id
        )
        if entity.disabled_by is None
        and (
            (state := hass.states.get(entity.entity_id)) is None
            or state.state == STATE_UNAVAILABLE
        )
    }


async def _reauth_form(hass: HomeAssistant) -> Any:
    [flow] = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    return checked(await hass.config_entries.flow.async_configure(flow["flow_id"]))


async def test_password_refused_for_a_while_resumes_syncing_when_entered_again(
    hass: HomeAssistant, caldav_harness: CalDavHarness
) -> None:
    """The same password after a passing 401: the group reloads and syncs again."""
    entry, calendars = await _group_of_two(hass, caldav_harness, caldav_harness)
    caldav_harness.proxy.fail_next(1000, 401)
    await entry.runtime_data.coordinator.async_refresh()
    await hass.async_block_till_done()
    assert not entry.runtime_data.coordinator.last_update_success
    result = await _reauth_form(hass)
    assert result["step_id"] == "reauth_caldav"
    assert result["description_placeholders"]["account"] == (
        f"{USER} on {caldav_harness.proxy.url}"
    )

    caldav_harness.proxy.heal()
    await caldav_harness.provider.put_event(
        calendars["anna"], original("anna/1", "Dentist")
    )
    result = await submit(hass, result, {"password": USERS[USER]})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data.coordinator.last_update_success
    assert await titles(caldav_harness, calendars["ben-combined"]) == ["Dentist"]
    assert not _unavailable(hass, entry)


async def test_one_refused_account_leaves_the_others_syncing_and_is_asked_for(
    hass: HomeAssistant, google_harness: GoogleHarness, caldav_harness: CalDavHarness
) -> None:
    """Only Ben's entities go unavailable; reauthentication asks for his account only."""
    entry, calendars = await _group_of_two(hass, google_harness, caldav_harness)
    assert not _unavailable(hass, entry)
    caldav_harness.proxy.fail_next(1000, 401)
    await google_harness.provider.put_event(
        calendars["anna"], original("anna/1", "Dentist")
    )
    await entry.runtime_data.coordinator.async_refresh()
    await hass.async_block_till_done()

    assert entry.runtime_data.coordinator.last_update_success
    unavailable = _unavailable(hass, entry)
    assert set(unavailable.values()) == {"ben"}
    assert len(unavailable) == 5  # Ben's calendars, busy and next-event sensors
    assert await titles(google_harness, calendars["anna-combined"]) == []
    google_requests = google_harness.server.api_request_count()
    result = await _reauth_form(hass)
    assert result["step_id"] == "reauth_caldav"
    assert google_harness.server.api_request_count() == google_requests

    caldav_harness.proxy.heal()
    result = await submit(hass, result, {"password": USERS[USER]})
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert not _unavailable(hass, entry)
    assert await titles(caldav_harness, calendars["ben-combined"]) == ["Dentist"]


def test_english_translation_is_the_strings_file() -> None:
    """translations/en.json is a copy of strings.json (custom integrations ship both)."""
    translation = json.loads((PACKAGE / "translations" / "en.json").read_text())
    assert translation == STRINGS
