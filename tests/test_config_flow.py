"""Setting a group up in the UI: the group, its accounts, its members, options, reauth.

Every account is checked against the real loopback servers (the fake Google API,
Radicale behind its proxy); nothing of the integration is mocked. Every result a
test sees is also checked against strings.json and serialized as the frontend
receives it, so a missing string or an unserializable form fails here.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
import json
from pathlib import Path
import re
from typing import Any
import uuid

from aiohttp import FormData
from homeassistant.config_entries import (
    SOURCE_USER,
    ConfigEntryState,
    ConfigSubentryData,
)
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType, InvalidData
from homeassistant.helpers import config_validation as cv, entity_registry as er
from homeassistant.setup import async_setup_component
import probatio
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.shared_calendars.accounts import (
    caldav_account_id,
    google_account_id,
)
from custom_components.shared_calendars.const import DOMAIN
from custom_components.shared_calendars.engine.ids import copy_id
from custom_components.shared_calendars.engine.model import Event, EventColor, Privacy
from custom_components.shared_calendars.members import members_of

from .group import caldav_account, google_account, group_entry, member
from .providers.caldav_harness import USER, CalDavHarness
from .providers.google_harness import SERVICE_ACCOUNT, GoogleHarness
from .servers.fake_google import free_port, rsa_test_key, service_account_key
from .servers.radicale import USERS

PACKAGE = Path(__file__).parent.parent / "custom_components" / DOMAIN
STRINGS: dict[str, Any] = json.loads((PACKAGE / "strings.json").read_text())
OTHER_ACCOUNT = "other-sync@shared-calendars-test.iam.gserviceaccount.com"
PLACEHOLDER = re.compile(r"{(\w+)}")


# ------------------------------------------------------------------ helpers


def _strings_of(result: Any) -> dict[str, Any]:
    handler = result["handler"]
    if isinstance(handler, tuple):
        strings: dict[str, Any] = STRINGS["config_subentries"][handler[1]]
    elif handler == DOMAIN:
        strings = STRINGS["config"]
    else:
        strings = STRINGS["options"]
    return strings


def _checked(result: Any) -> Any:
    """Assert that what the frontend shows for `result` is translated and serializes."""
    strings = _strings_of(result)
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


async def _user_flow(hass: HomeAssistant) -> Any:
    return _checked(
        await hass.config_entries.flow.async_init(
            DOMAIN, context={"source": SOURCE_USER}
        )
    )


async def _subentry_flow(hass: HomeAssistant, entry: MockConfigEntry, kind: str) -> Any:
    return _checked(
        await hass.config_entries.subentries.async_init(
            (entry.entry_id, kind), context={"source": SOURCE_USER}
        )
    )


async def _reconfigure_subentry(
    hass: HomeAssistant, entry: MockConfigEntry, subentry_id: str
) -> Any:
    return _checked(await entry.start_subentry_reconfigure_flow(hass, subentry_id))


async def _submit(
    hass: HomeAssistant, result: Any, user_input: dict[str, Any] | None = None
) -> Any:
    handler = result["handler"]
    if isinstance(handler, tuple):
        manager: Any = hass.config_entries.subentries
    elif handler == DOMAIN:
        manager = hass.config_entries.flow
    else:
        manager = hass.config_entries.options
    return _checked(await manager.async_configure(result["flow_id"], user_input))


def _suggested(result: Any) -> dict[str, Any]:
    """Return what a form shows pre-filled (nested for sections)."""
    shown: dict[str, Any] = {}
    for marker, value in result["data_schema"].schema.items():
        if isinstance(getattr(value, "schema", None), probatio.Schema):
            inner = _suggested({"data_schema": value.schema})
            if inner:
                shown[str(marker)] = inner
        elif marker.description and "suggested_value" in marker.description:
            shown[str(marker)] = marker.description["suggested_value"]
    return shown


def _google_input(
    harness: GoogleHarness, key: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {
        "service_account_json": json.dumps(key or harness.key),
        "advanced": {"api_root": harness.server.api_root},
    }


def _caldav_input(harness: CalDavHarness, **changes: Any) -> dict[str, Any]:
    return {
        "url": harness.proxy.url,
        "username": USER,
        "password": USERS[USER],
        "verify_ssl": True,
    } | changes


def _register_new_key(harness: GoogleHarness, email: str = SERVICE_ACCOUNT) -> Any:
    """Give the service account a second key (as rotating keys does); return it."""
    harness.server.register_service_account(
        email, rsa_test_key(1).public_key(), key_id="k2"
    )
    return service_account_key(email, harness.server.token_uri, rsa_test_key(1), "k2")


START = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)


def _original(key: str, summary: str) -> Event:
    event_id = copy_id("original", key)
    return Event(
        id=event_id,
        ical_uid=f"{event_id}@example.com",
        summary=summary,
        start=START,
        end=START + timedelta(hours=1),
    )


async def _titles(harness: CalDavHarness | GoogleHarness, calendar: str) -> list[str]:
    listing = await harness.provider.changes(calendar, None)
    return sorted(event.summary for event in listing.changed)


def _choice(account: ConfigSubentryData, calendar_id: str) -> str:
    return f"{account['unique_id']}|{calendar_id}"


def _member_input(
    name: str,
    sources: list[str] | None = None,
    combined: str | None = None,
    **sharing: Any,
) -> dict[str, Any]:
    user_input: dict[str, Any] = {
        "name": name,
        "sources": sources or [],
        "sharing": sharing,
        "filters": {},
    }
    if combined:
        user_input["combined"] = combined
    return user_input


async def _set_up(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED


# ----------------------------------------------------------- a new group


async def test_group_starts_with_a_google_service_account_and_loads(
    hass: HomeAssistant, google_harness: GoogleHarness
) -> None:
    """Name, key, then the address to share with: the group is created and set up."""
    await google_harness.new_calendar("Anna")
    result = await _user_flow(hass)
    assert result["step_id"] == "user"

    result = await _submit(
        hass, result, {"name": "  Family ", "account_type": "google"}
    )
    assert result["step_id"] == "google"
    assert _suggested(result) == {}

    result = await _submit(hass, result, _google_input(google_harness))
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "share"
    assert result["description_placeholders"] == {
        "email": SERVICE_ACCOUNT,
        "count": "1",
    }

    result = await _submit(hass, result, {})
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
    result = await _user_flow(hass)
    result = await _submit(hass, result, {"name": "Office", "account_type": "caldav"})
    assert result["step_id"] == "caldav"

    result = await _submit(hass, result, _caldav_input(caldav_harness))
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
    assert await async_setup_component(hass, "file_upload", {})
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

    result = await _user_flow(hass)
    result = await _submit(hass, result, {"name": "Family", "account_type": "google"})
    google_harness.server.rate_limit_next(1, retry_after=1)
    upload = {
        "service_account_file": file_id,
        "advanced": {"api_root": google_harness.server.api_root},
    }
    result = await _submit(hass, result, upload)
    assert result["errors"] == {"base": "rate_limited"}

    result = await _submit(hass, result, upload)
    assert result["step_id"] == "share"
    result = await _submit(hass, result, {})
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
    result = await _user_flow(hass)
    result = await _submit(hass, result, {"name": "Family", "account_type": "google"})
    if knob:
        knob(google_harness)
    user_input = make_input(google_harness) | {
        "advanced": {"api_root": google_harness.server.api_root}
    }
    result = await _submit(hass, result, user_input)

    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "google"
    assert result["errors"] == errors
    assert key_error in result["description_placeholders"]["key_error"]
    assert _suggested(result) == {
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
    result = await _user_flow(hass)
    result = await _submit(hass, result, {"name": "Office", "account_type": "caldav"})
    if knob:
        knob(caldav_harness)
    user_input = _caldav_input(caldav_harness, **changes)
    result = await _submit(hass, result, user_input)

    assert result["step_id"] == "caldav"
    assert result["errors"] == errors
    assert _suggested(result) == {
        key: value for key, value in user_input.items() if key != "password"
    }


async def test_group_name_is_required_and_unique(hass: HomeAssistant) -> None:
    """A blank name or the name of another group is refused on the field."""
    MockConfigEntry(domain=DOMAIN, title="Family", data={"name": "Family"}).add_to_hass(
        hass
    )
    result = await _user_flow(hass)
    result = await _submit(hass, result, {"name": "  ", "account_type": "caldav"})
    assert result["errors"] == {"name": "name_required"}
    result = await _submit(hass, result, {"name": "family ", "account_type": "caldav"})
    assert result["errors"] == {"name": "name_in_use"}
    assert result["step_id"] == "user"


async def test_account_of_another_group_cannot_start_a_group(
    hass: HomeAssistant, google_harness: GoogleHarness, caldav_harness: CalDavHarness
) -> None:
    """The same account in two groups is refused, whatever its kind."""
    group_entry(
        google_account(google_harness), caldav_account(caldav_harness)
    ).add_to_hass(hass)
    result = await _user_flow(hass)
    result = await _submit(hass, result, {"name": "Office", "account_type": "google"})
    result = await _submit(hass, result, _google_input(google_harness))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"

    result = await _user_flow(hass)
    result = await _submit(hass, result, {"name": "Office", "account_type": "caldav"})
    result = await _submit(hass, result, _caldav_input(caldav_harness))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_the_same_group_cannot_be_added_twice(
    hass: HomeAssistant, google_harness: GoogleHarness, caldav_harness: CalDavHarness
) -> None:
    """A group is known by its first account: adding it again aborts, translated."""
    result = await _user_flow(hass)
    result = await _submit(hass, result, {"name": "Family", "account_type": "caldav"})
    result = await _submit(hass, result, _caldav_input(caldav_harness))
    entry = result["result"]
    assert entry.unique_id == caldav_account_id(USER, caldav_harness.proxy.url)

    result = await _user_flow(hass)
    result = await _submit(hass, result, {"name": "Family 2", "account_type": "caldav"})
    result = await _submit(hass, result, _caldav_input(caldav_harness))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"

    result = await _user_flow(hass)
    result = await _submit(hass, result, {"name": "Office", "account_type": "google"})
    result = await _submit(hass, result, _google_input(google_harness))
    result = await _submit(hass, result, {})
    office = result["result"]
    assert office.unique_id == google_account_id(SERVICE_ACCOUNT)
    # Known before the address to share with is shown: nothing to read twice.
    result = await _user_flow(hass)
    result = await _submit(hass, result, {"name": "Office 2", "account_type": "google"})
    result = await _submit(hass, result, _google_input(google_harness))
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
    await _set_up(hass, entry)
    assert entry.unique_id == google["unique_id"]

    [google_subentry] = [
        sub for sub in entry.subentries.values() if sub.unique_id == google["unique_id"]
    ]
    hass.config_entries.async_remove_subentry(entry, google_subentry.subentry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert entry.unique_id == caldav["unique_id"]


# --------------------------------------------------------------- accounts


async def test_caldav_account_joins_a_google_group(
    hass: HomeAssistant, google_harness: GoogleHarness, caldav_harness: CalDavHarness
) -> None:
    """A group mixes Google and CalDAV: a second account is a subentry."""
    entry = group_entry(google_account(google_harness))
    entry.add_to_hass(hass)
    result = await _subentry_flow(hass, entry, "account")
    assert result["type"] is FlowResultType.MENU

    result = await _submit(hass, result, {"next_step_id": "caldav"})
    result = await _submit(hass, result, _caldav_input(caldav_harness, password="nope"))
    assert result["errors"] == {"base": "invalid_auth"}
    result = await _submit(hass, result, _caldav_input(caldav_harness))
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
    result = await _subentry_flow(hass, entry, "account")
    result = await _submit(hass, result, {"next_step_id": "google"})
    result = await _submit(hass, result, {"advanced": {}})
    assert result["errors"] == {"base": "key_required"}
    result = await _submit(hass, result, _google_input(google_harness))
    assert result["step_id"] == "share"
    assert result["description_placeholders"]["email"] == SERVICE_ACCOUNT

    result = await _submit(hass, result, {})
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
        ("google", _google_input(google_harness)),
        ("caldav", _caldav_input(caldav_harness)),
    ):
        result = await _subentry_flow(hass, entry, "account")
        result = await _submit(hass, result, {"next_step_id": kind})
        result = await _submit(hass, result, user_input)
        assert result["type"] is FlowResultType.ABORT
        assert result["reason"] == "already_configured"


async def test_rotated_google_key_replaces_the_old_one_in_a_loaded_group(
    hass: HomeAssistant, google_harness: GoogleHarness
) -> None:
    """Reconfigure takes a new key of the same service account; the group reloads."""
    account = google_account(google_harness)
    entry = group_entry(account)
    await _set_up(hass, entry)
    [subentry_id] = entry.subentries
    result = await _reconfigure_subentry(hass, entry, subentry_id)
    assert result["step_id"] == "reconfigure_google"
    assert _suggested(result) == {
        "advanced": {"api_root": google_harness.server.api_root}
    }

    new_key = _register_new_key(google_harness)
    result = await _submit(hass, result, {"service_account_json": "[]", "advanced": {}})
    assert result["errors"] == {"base": "invalid_key"}
    result = await _submit(hass, result, _google_input(google_harness, new_key))
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
    other_key = _register_new_key(google_harness, OTHER_ACCOUNT)
    result = await _reconfigure_subentry(hass, entry, subentry_id)
    result = await _submit(hass, result, _google_input(google_harness, other_key))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_account"
    assert result["description_placeholders"] == {
        "account": SERVICE_ACCOUNT,
        "other": OTHER_ACCOUNT,
    }
    assert entry.subentries[subentry_id].data["service_account"] == google_harness.key


async def test_caldav_account_is_reconfigured_on_its_server_and_the_group_retried(
    hass: HomeAssistant, caldav_harness: CalDavHarness
) -> None:
    """Same server only; an empty password keeps the stored one; a failed group reloads."""
    account = caldav_account(caldav_harness)
    entry = group_entry(account)
    entry.add_to_hass(hass)
    [subentry_id] = entry.subentries
    result = await _reconfigure_subentry(hass, entry, subentry_id)
    assert result["step_id"] == "reconfigure_caldav"
    assert _suggested(result) == {"url": caldav_harness.proxy.url, "verify_ssl": True}

    other_host = caldav_harness.proxy.url.replace("127.0.0.1", "localhost")
    result = await _submit(hass, result, {"url": other_host, "verify_ssl": True})
    assert result["errors"] == {"url": "other_server"}
    assert caldav_harness.request_count() == 0  # the password went nowhere

    result = await _submit(
        hass,
        result,
        {"url": caldav_harness.proxy.url, "password": "nope", "verify_ssl": True},
    )
    assert result["errors"] == {"base": "invalid_auth"}

    principal = caldav_harness.proxy.url.rstrip("/") + f"/{USER}/"
    result = await _submit(hass, result, {"url": principal, "verify_ssl": True})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    subentry = entry.subentries[subentry_id]
    assert subentry.data["url"] == principal
    assert subentry.data["password"] == USERS[USER]
    assert subentry.title == f"{USER} on {principal}"
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED


# ---------------------------------------------------------------- members


async def test_member_needs_an_account_first(hass: HomeAssistant) -> None:
    """A group without accounts has no calendars to pick."""
    entry = group_entry()
    entry.add_to_hass(hass)
    result = await _subentry_flow(hass, entry, "member")
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "no_accounts"


async def test_member_picks_calendars_of_google_and_caldav_accounts(
    hass: HomeAssistant, google_harness: GoogleHarness, caldav_harness: CalDavHarness
) -> None:
    """Both accounts' calendars are offered; the member and its policy are stored."""
    google, caldav = google_account(google_harness), caldav_account(caldav_harness)
    anna = await google_harness.new_calendar("Anna")
    holidays = await google_harness.new_read_only_calendar("Holidays")
    combined = await caldav_harness.new_calendar("Anna combined")
    entry = group_entry(google, caldav)
    entry.add_to_hass(hass)

    result = await _subentry_flow(hass, entry, "member")
    assert result["step_id"] == "user"
    assert result["errors"] == {}
    sources = result["data_schema"].schema["sources"].config["options"]
    assert {"value": _choice(google, anna), "label": f"Anna ({SERVICE_ACCOUNT})"} in (
        sources
    )
    assert _choice(google, holidays) in [option["value"] for option in sources]
    writable = result["data_schema"].schema["combined"].config["options"]
    assert _choice(google, holidays) not in [option["value"] for option in writable]
    assert _choice(caldav, combined) in [option["value"] for option in writable]

    user_input = _member_input(
        " Anna ",
        [_choice(google, anna), _choice(google, holidays)],
        _choice(caldav, combined),
        receive_own=True,
        privacy="busy_only",
        title_prefix="Anna: ",
        color="tomato",
    )
    user_input["filters"] = {
        "skip_all_day": True,
        "include_keywords": [" school ", " "],
        "exclude_keywords": ["secret"],
    }
    result = await _submit(hass, result, user_input)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Anna"
    assert result["unique_id"] == "anna"
    assert result["data"] == {
        "sources": [
            {"account": google["unique_id"], "calendar_id": anna, "name": "Anna"},
            {
                "account": google["unique_id"],
                "calendar_id": holidays,
                "name": "Holidays",
            },
        ],
        "combined": {
            "account": caldav["unique_id"],
            "calendar_id": combined,
            "name": "Anna combined",
        },
        "receive_own": True,
        "privacy": "busy_only",
        "title_prefix": "Anna: ",
        "color": "tomato",
        "skip_all_day": True,
        "skip_free": False,
        "skip_tentative": False,
        "include_keywords": ["school"],
        "exclude_keywords": ["secret"],
    }
    [anna_member] = members_of(entry)
    assert anna_member.policy.privacy is Privacy.BUSY_ONLY
    assert anna_member.policy.color is EventColor.TOMATO


async def test_typed_google_calendar_must_be_shared_with_the_service_account(
    hass: HomeAssistant, google_harness: GoogleHarness
) -> None:
    """A typed id is checked; unshared, the error names the calendar and the e-mail."""
    google = google_account(google_harness)
    entry = group_entry(google)
    entry.add_to_hass(hass)
    family = google_harness.unshared_calendar_id()
    result = await _subentry_flow(hass, entry, "member")

    result = await _submit(hass, result, _member_input("Anna", [family]))
    assert result["errors"] == {"sources": "not_shared"}
    assert result["description_placeholders"]["calendar"] == family
    assert result["description_placeholders"]["account"] == SERVICE_ACCOUNT

    google_harness.server.share(
        family, SERVICE_ACCOUNT, "writer", in_calendar_list=False
    )
    result = await _submit(hass, result, _member_input("Anna", [family]))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"]["sources"] == [
        {"account": google["unique_id"], "calendar_id": family, "name": "Not shared"}
    ]


async def test_typed_caldav_calendar_is_looked_up_only_on_its_own_server(
    hass: HomeAssistant, caldav_harness: CalDavHarness
) -> None:
    """A URL goes to the login on that server only; another server has no account."""
    caldav = caldav_account(caldav_harness)
    entry = group_entry(caldav)
    entry.add_to_hass(hass)
    result = await _subentry_flow(hass, entry, "member")
    elsewhere = f"http://localhost:{free_port()}/alice/calendar/"
    result = await _submit(hass, result, _member_input("Anna", combined=elsewhere))
    assert result["errors"] == {"combined": "no_account_for_calendar"}
    assert result["description_placeholders"]["calendar"] == elsewhere

    result = await _submit(
        hass, result, _member_input("Anna", [_choice(caldav, elsewhere)])
    )
    assert result["errors"] == {"sources": "no_account_for_calendar"}

    bobs = _choice(caldav, caldav_harness.unshared_calendar_id())
    result = await _submit(hass, result, _member_input("Anna", [bobs]))
    assert result["errors"] == {"sources": "not_shared"}
    assert result["description_placeholders"]["account"] == caldav["title"]

    typed = _choice(caldav, await caldav_harness.new_calendar("Typed"))
    result = await _submit(hass, result, _member_input("Anna", combined=typed))
    assert result["type"] is FlowResultType.CREATE_ENTRY


@pytest.mark.parametrize(
    ("make_input", "errors"),
    [
        pytest.param(
            lambda c: _member_input("Cleo", [c["cleo"]], c["cleo"]),
            {"combined": "combined_is_source"},
            id="own-source-as-combined",
        ),
        pytest.param(
            lambda c: _member_input("Cleo", [c["cleo"]], c["ben"]),
            {"combined": "combined_is_source"},
            id="another-members-source-as-combined",
        ),
        pytest.param(
            lambda c: _member_input("Cleo", [c["cleo"]], c["ben-combined"]),
            {"combined": "combined_in_use"},
            id="another-members-combined",
        ),
        pytest.param(
            lambda c: _member_input("Cleo", [c["ben-combined"]]),
            {"sources": "source_is_combined"},
            id="another-members-combined-as-source",
        ),
        pytest.param(
            lambda c: _member_input("Cleo", [c["cleo"]], c["read-only"]),
            {"combined": "combined_read_only"},
            id="read-only-combined",
        ),
        pytest.param(
            lambda c: _member_input("Cleo"),
            {"base": "no_calendars"},
            id="no-calendar",
        ),
        pytest.param(
            lambda c: _member_input(" ", [c["cleo"]]),
            {"name": "name_required"},
            id="no-name",
        ),
    ],
)
async def test_member_calendars_follow_the_rules_of_the_merge(
    hass: HomeAssistant,
    google_harness: GoogleHarness,
    make_input: Callable[[dict[str, str]], dict[str, Any]],
    errors: dict[str, str],
) -> None:
    """A combined calendar is nobody's source and one member's only; it is writable."""
    google = google_account(google_harness)
    ids = {
        name: await google_harness.new_calendar(name)
        for name in ("ben", "ben-combined", "cleo", "dora")
    }
    ids["read-only"] = await google_harness.new_read_only_calendar("Read only")
    choices = {name: _choice(google, calendar) for name, calendar in ids.items()}
    entry = group_entry(
        google,
        member(
            "Ben",
            sources=[(google["unique_id"] or "", ids["ben"])],
            combined=(google["unique_id"] or "", ids["ben-combined"]),
        ),
        member(
            "Dora", sources=[(google["unique_id"] or "", ids["dora"])], combined=None
        ),
    )
    entry.add_to_hass(hass)
    result = await _subentry_flow(hass, entry, "member")
    result = await _submit(hass, result, make_input(choices))
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == errors


async def test_member_name_in_use_is_refused_on_the_field_keeping_the_choices(
    hass: HomeAssistant, google_harness: GoogleHarness
) -> None:
    """A second "Ben" is an error on the name; what was picked stays on the form."""
    google = google_account(google_harness)
    bens, others = (
        await google_harness.new_calendar("Ben"),
        await google_harness.new_calendar("Other Ben"),
    )
    entry = group_entry(
        google,
        member("Ben", sources=[(google["unique_id"] or "", bens)], combined=None),
    )
    entry.add_to_hass(hass)
    result = await _subentry_flow(hass, entry, "member")
    user_input = _member_input("ben ", [_choice(google, others)], privacy="busy_only")
    result = await _submit(hass, result, user_input)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"name": "name_in_use"}
    shown = _suggested(result)
    assert shown["sources"] == [_choice(google, others)]
    assert shown["sharing"]["privacy"] == "busy_only"

    result = await _submit(hass, result, user_input | {"name": "Ben junior"})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["unique_id"] == "ben_junior"


async def test_member_is_changed_with_its_current_settings_filled_in(
    hass: HomeAssistant, google_harness: GoogleHarness
) -> None:
    """Reconfigure shows the member as stored; its own combined calendar is no conflict."""
    google = google_account(google_harness)
    account_id = google["unique_id"] or ""
    anna, combined = (
        await google_harness.new_calendar("Anna"),
        await google_harness.new_calendar("Anna combined"),
    )
    entry = group_entry(
        google,
        member(
            "Anna",
            sources=[(account_id, anna)],
            combined=(account_id, combined),
            privacy="busy_only",
            color="sage",
            include_keywords=["school"],
        ),
    )
    entry.add_to_hass(hass)
    subentry_id = next(
        sub.subentry_id for sub in entry.subentries.values() if sub.title == "Anna"
    )
    result = await _reconfigure_subentry(hass, entry, subentry_id)
    assert result["step_id"] == "reconfigure"
    assert _suggested(result) == {
        "name": "Anna",
        "sources": [_choice(google, anna)],
        "combined": _choice(google, combined),
        "sharing": {
            "receive_own": False,
            "privacy": "busy_only",
            "title_prefix": "",
            "color": "sage",
        },
        "filters": {
            "skip_all_day": False,
            "skip_free": False,
            "skip_tentative": False,
            "include_keywords": ["school"],
            "exclude_keywords": [],
        },
    }

    user_input = _member_input(
        "Annie", [_choice(google, anna)], _choice(google, combined), privacy="full"
    )
    result = await _submit(hass, result, user_input)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    subentry = entry.subentries[subentry_id]
    assert (subentry.title, subentry.unique_id) == ("Annie", "annie")
    assert "color" not in subentry.data
    assert subentry.data["privacy"] == "full"


def _options(result: Any, field: str) -> dict[str, str]:
    """Return a select field's options, label by value."""
    options = result["data_schema"].schema[field].config["options"]
    return {option["value"]: option["label"] for option in options}


async def test_member_form_shows_each_chosen_calendar_by_its_label(
    hass: HomeAssistant, google_harness: GoogleHarness
) -> None:
    """A value that is no option is shown raw (`account|calendar`): each is one."""
    google = google_account(google_harness)
    anna = await google_harness.new_calendar("Anna")
    combined = await google_harness.new_read_only_calendar("Anna combined")
    entry = group_entry(
        google,
        member(
            "Anna",
            sources=[(google["unique_id"] or "", anna)],
            combined=(google["unique_id"] or "", combined),
        ),
    )
    entry.add_to_hass(hass)
    [subentry_id] = [
        s.subentry_id for s in entry.subentries.values() if s.title == "Anna"
    ]

    # Shared read only since: still shown by its name, and refused when kept.
    result = await _reconfigure_subentry(hass, entry, subentry_id)
    assert _options(result, "combined")[_choice(google, combined)] == (
        f"Anna combined ({SERVICE_ACCOUNT})"
    )
    family = google_harness.unshared_calendar_id()
    google_harness.server.share(
        family, SERVICE_ACCOUNT, "writer", in_calendar_list=False
    )
    result = await _submit(
        hass, result, _member_input("Anna", [family], _choice(google, combined))
    )
    assert result["errors"] == {"combined": "combined_read_only"}
    # The typed id is shown as the calendar it was found to be.
    shown = _suggested(result)
    assert shown["sources"] == [_choice(google, family)]
    assert shown["combined"] == _choice(google, combined)
    assert _choice(google, family) in _options(result, "sources")
    assert shown["combined"] in _options(result, "combined")


async def test_member_who_only_shares_gets_a_combined_calendar(
    hass: HomeAssistant, caldav_harness: CalDavHarness
) -> None:
    """A member without combined calendar or colour is shown so, and can get one."""
    caldav = caldav_account(caldav_harness)
    account_id = caldav["unique_id"] or ""
    ben = await caldav_harness.new_calendar("Ben")
    entry = group_entry(
        caldav, member("Ben", sources=[(account_id, ben)], combined=None)
    )
    entry.add_to_hass(hass)
    [subentry_id] = [
        s.subentry_id for s in entry.subentries.values() if s.title == "Ben"
    ]
    result = await _reconfigure_subentry(hass, entry, subentry_id)
    shown = _suggested(result)
    assert "combined" not in shown
    assert "color" not in shown["sharing"]

    combined = _choice(caldav, await caldav_harness.new_calendar("Ben combined"))
    result = await _submit(
        hass, result, _member_input("Ben", [_choice(caldav, ben)], combined)
    )
    assert result["reason"] == "reconfigure_successful"
    assert entry.subentries[subentry_id].data["combined"]["account"] == account_id


async def test_account_that_cannot_list_is_named_and_its_calendars_can_be_typed(
    hass: HomeAssistant, google_harness: GoogleHarness, caldav_harness: CalDavHarness
) -> None:
    """A refused account is named on the form; a typed id of it shows why it fails."""
    google, caldav = google_account(google_harness), caldav_account(caldav_harness)
    anna = await google_harness.new_calendar("Anna")
    combined = await caldav_harness.new_calendar("Anna combined")
    entry = group_entry(google, caldav)
    entry.add_to_hass(hass)
    google_harness.server.revoke_key(SERVICE_ACCOUNT)

    result = await _subentry_flow(hass, entry, "member")
    assert result["errors"] == {"base": "accounts_unavailable"}
    assert result["description_placeholders"]["accounts"] == SERVICE_ACCOUNT

    result = await _submit(
        hass, result, _member_input("Anna", [anna], _choice(caldav, combined))
    )
    assert result["errors"] == {
        "base": "accounts_unavailable",
        "sources": "key_refused",
    }
    result = await _submit(
        hass, result, _member_input("Anna", [_choice(caldav, combined)])
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


# ---------------------------------------------------------------- options


async def test_options_are_saved_and_the_group_reloads_with_them(
    hass: HomeAssistant, caldav_harness: CalDavHarness
) -> None:
    """Sync interval, window, concurrency and the removed-member choice take effect."""
    entry = group_entry(caldav_account(caldav_harness))
    await _set_up(hass, entry)
    result = _checked(await hass.config_entries.options.async_init(entry.entry_id))
    assert result["step_id"] == "init"
    defaults = probatio.Schema(result["data_schema"].schema)({})
    assert defaults == {
        "sync_interval": 5,
        "window_past_days": 30,
        "window_future_days": 365,
        "concurrency": 4,
        "keep_copies_of_removed_members": False,
    }
    with pytest.raises(InvalidData):
        await _submit(hass, result, defaults | {"sync_interval": 0})

    options = {
        "sync_interval": 15.0,
        "window_past_days": 7,
        "window_future_days": 90,
        "concurrency": 2,
        "keep_copies_of_removed_members": True,
    }
    result = await _submit(hass, result, options)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options == options | {"sync_interval": 15}
    await hass.async_block_till_done()
    coordinator = entry.runtime_data.coordinator
    assert coordinator.update_interval == timedelta(minutes=15)
    plan_options = coordinator.plan_options()
    assert plan_options.keep_copies_of_removed_targets
    assert plan_options.window is not None
    assert plan_options.window.end - plan_options.window.start == timedelta(days=97)

    result = _checked(await hass.config_entries.options.async_init(entry.entry_id))
    assert _suggested(result) == dict(entry.options)


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
    result = _checked(await hass.config_entries.flow.async_configure(flow["flow_id"]))
    assert result["step_id"] == "reauth_google"
    assert result["description_placeholders"]["account"] == SERVICE_ACCOUNT

    result = await _submit(
        hass, result, {"service_account_json": json.dumps(google_harness.key)}
    )
    assert result["errors"] == {"base": "key_refused"}
    other_key = _register_new_key(google_harness, OTHER_ACCOUNT)
    result = await _submit(
        hass, result, {"service_account_json": json.dumps(other_key)}
    )
    assert result["errors"] == {"base": "wrong_account"}
    assert result["description_placeholders"]["other"] == OTHER_ACCOUNT

    new_key = _register_new_key(google_harness)
    result = await _submit(hass, result, {"service_account_json": json.dumps(new_key)})
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
    await _set_up(hass, entry)
    google_harness.server.revoke_key(SERVICE_ACCOUNT)
    await entry.runtime_data.coordinator.async_refresh()
    await hass.async_block_till_done()
    [flow] = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    result = _checked(await hass.config_entries.flow.async_configure(flow["flow_id"]))

    new_key = _register_new_key(google_harness)
    result = await _submit(hass, result, {"service_account_json": json.dumps(new_key)})
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data.coordinator.last_update_success


async def test_changed_caldav_password_is_entered_through_reauthentication(
    hass: HomeAssistant, google_harness: GoogleHarness, caldav_harness: CalDavHarness
) -> None:
    """Of several accounts, the one refused is asked for; here a CalDAV password."""
    google = google_account(google_harness)
    caldav = caldav_account(caldav_harness)
    caldav["data"] = dict(caldav["data"]) | {"password": "the-old-password"}
    entry = group_entry(google, caldav)
    entry.add_to_hass(hass)
    result = _checked(await entry.start_reauth_flow(hass))
    assert result["step_id"] == "reauth_caldav"
    assert result["description_placeholders"]["username"] == USER

    result = await _submit(hass, result, {"password": "still-wrong"})
    assert result["errors"] == {"base": "invalid_auth"}
    result = await _submit(hass, result, {"password": USERS[USER]})
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
    result = _checked(await entry.start_reauth_flow(hass))
    assert result["step_id"] == "reauth_google"
    result = await _submit(
        hass, result, {"service_account_json": json.dumps(google_harness.key)}
    )
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED


async def test_reauthentication_of_accounts_that_work_again_reloads_the_group(
    hass: HomeAssistant, google_harness: GoogleHarness, caldav_harness: CalDavHarness
) -> None:
    """Nothing to ask when every account signs in: the group just starts again."""
    entry = group_entry(google_account(google_harness), caldav_account(caldav_harness))
    entry.add_to_hass(hass)
    result = _checked(await entry.start_reauth_flow(hass))
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
    result = _checked(await entry.start_reauth_flow(hass))
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
    await _set_up(hass, entry)
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
    return _checked(await hass.config_entries.flow.async_configure(flow["flow_id"]))


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
        calendars["anna"], _original("anna/1", "Dentist")
    )
    result = await _submit(hass, result, {"password": USERS[USER]})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data.coordinator.last_update_success
    assert await _titles(caldav_harness, calendars["ben-combined"]) == ["Dentist"]
    assert not _unavailable(hass, entry)


async def test_one_refused_account_leaves_the_others_syncing_and_is_asked_for(
    hass: HomeAssistant, google_harness: GoogleHarness, caldav_harness: CalDavHarness
) -> None:
    """Only Ben's entities go unavailable; reauthentication asks for his account only."""
    entry, calendars = await _group_of_two(hass, google_harness, caldav_harness)
    assert not _unavailable(hass, entry)
    caldav_harness.proxy.fail_next(1000, 401)
    await google_harness.provider.put_event(
        calendars["anna"], _original("anna/1", "Dentist")
    )
    await entry.runtime_data.coordinator.async_refresh()
    await hass.async_block_till_done()

    assert entry.runtime_data.coordinator.last_update_success
    unavailable = _unavailable(hass, entry)
    assert set(unavailable.values()) == {"ben"}
    assert len(unavailable) == 5  # Ben's calendars, busy and next-event sensors
    assert await _titles(google_harness, calendars["anna-combined"]) == []
    google_requests = google_harness.server.api_request_count()
    result = await _reauth_form(hass)
    assert result["step_id"] == "reauth_caldav"
    assert google_harness.server.api_request_count() == google_requests

    caldav_harness.proxy.heal()
    result = await _submit(hass, result, {"password": USERS[USER]})
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert not _unavailable(hass, entry)
    assert await _titles(caldav_harness, calendars["ben-combined"]) == ["Dentist"]


def test_english_translation_is_the_strings_file() -> None:
    """translations/en.json is a copy of strings.json (custom integrations ship both)."""
    translation = json.loads((PACKAGE / "translations" / "en.json").read_text())
    assert translation == STRINGS
