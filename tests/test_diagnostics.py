"""Diagnostics of a group: complete enough to help, with nothing private in them."""

from __future__ import annotations

import json

from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion
from syrupy.filters import props

from custom_components.shared_calendars.const import DOMAIN
from custom_components.shared_calendars.engine.model import CalendarRef
from custom_components.shared_calendars.repairs import not_shared_issue_id

from .group import caldav_account, google_account, group_entry, member
from .providers.caldav_harness import USER, CalDavHarness
from .providers.google_harness import SERVICE_ACCOUNT, GoogleHarness
from .secret_search import leaks
from .servers.radicale import USERS
from .test_sync import _original


async def test_diagnostics_show_the_sync_and_hide_everything_private(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    caldav_harness: CalDavHarness,
    google_harness: GoogleHarness,
    snapshot: SnapshotAssertion,
    issue_registry: ir.IssueRegistry,
) -> None:
    """A mixed group with one unreachable calendar: counts and kinds, no names."""
    dav, google = caldav_account(caldav_harness), google_account(google_harness)
    dav_id, google_id = dav["unique_id"], google["unique_id"]
    assert dav_id is not None
    assert google_id is not None
    anna = await google_harness.new_calendar("Anna")
    anna_combined = await google_harness.new_calendar("Anna combined")
    ben_combined = await caldav_harness.new_calendar("Ben combined")
    await google_harness.provider.put_event(anna, _original("anna/1", "Secret surgery"))
    entry = group_entry(
        dav,
        google,
        member(
            "Anna", sources=[(google_id, anna)], combined=(google_id, anna_combined)
        ),
        member("Ben", sources=[], combined=(dav_id, ben_combined)),
        member(
            "Cleo", sources=[], combined=(dav_id, caldav_harness.unshared_calendar_id())
        ),
        options={"sync_interval": 10},
    )
    entry.add_to_hass(hass)
    assert await async_setup_component(hass, "diagnostics", {})
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)

    assert diagnostics == snapshot(exclude=props("duration", "last_synced"))
    text = json.dumps(diagnostics)
    for private in (
        USER,
        USERS[USER],
        SERVICE_ACCOUNT,
        google_harness.key["private_key"][40:80],
        "Secret surgery",
        "Anna",
        anna,
        ben_combined,
        caldav_harness.proxy.url,
        "127.0.0.1",
        *google_harness.server.issued_tokens,
        *google_harness.server.assertions,
    ):
        assert private not in text
    assert google_harness.server.issued_tokens
    assert leaks([text]) == []
    cleos = CalendarRef(
        account=dav_id, calendar_id=caldav_harness.unshared_calendar_id()
    )
    issue = issue_registry.async_get_issue(
        DOMAIN, not_shared_issue_id(entry.entry_id, cleos.key)
    )
    assert issue is not None
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["member"] == "Cleo"
