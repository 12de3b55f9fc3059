"""Messages speak the user's words: calendars by their names, accounts by their labels.

Never a calendar id (Google's are e-mail addresses) or a CalDAV URL.
"""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er, issue_registry as ir
import pytest

from custom_components.shared_calendars.const import DOMAIN

from .family import setup_family
from .group import caldav_account, group_entry, member
from .providers.caldav_harness import USER, CalDavHarness
from .providers.google_harness import SERVICE_ACCOUNT, GoogleHarness


def _issues(hass: HomeAssistant) -> list[ir.IssueEntry]:
    """Return the group's issues but the one on push (these tests give no URL)."""
    return [
        issue
        for (domain, _), issue in ir.async_get(hass).issues.items()
        if domain == DOMAIN and issue.translation_key != "push_unavailable"
    ]


async def test_unshared_calendar_is_named_with_its_member_and_account(
    hass: HomeAssistant, google_harness: GoogleHarness
) -> None:
    """The repair names Anna's "School" and the address to share it with."""
    family = await setup_family(hass, google_harness)
    school = family.calendars["anna-school"]
    google_harness.server.unshare(school, SERVICE_ACCOUNT)
    await family.coordinator.async_refresh()

    [issue] = _issues(hass)
    assert issue.translation_key == "not_shared"
    assert issue.translation_placeholders == {
        "group": "Family",
        "member": "Anna",
        "calendar": "School",
        "account": SERVICE_ACCOUNT,
    }

    google_harness.server.share(school, SERVICE_ACCOUNT, "reader")
    await family.coordinator.async_refresh()
    assert _issues(hass) == []


async def test_sync_now_failure_names_the_calendars_not_their_addresses(
    hass: HomeAssistant, caldav_harness: CalDavHarness
) -> None:
    """Every server down: the button's error lists each calendar and its member."""
    family = await setup_family(hass, caldav_harness)
    caldav_harness.proxy.fail_next(1000, 500)
    with pytest.raises(HomeAssistantError) as caught:
        await hass.services.async_call(
            "button", "press", {"entity_id": "button.family_sync_now"}, blocking=True
        )
    assert caught.value.translation_key == "no_calendar_reachable"
    assert caught.value.translation_placeholders == {
        "group": "Family",
        "calendars": "Combined (Anna), Combined (Ben), Personal (Anna),"
        " Personal (Ben), School (Anna)",
    }
    assert family.calendars["anna"] not in str(caught.value.translation_placeholders)


async def test_refused_credentials_name_the_account_by_its_label(
    hass: HomeAssistant, caldav_harness: CalDavHarness
) -> None:
    """Not `caldav:alice@127.0.0.1:port`: the account as the group lists it."""
    await setup_family(hass, caldav_harness)
    caldav_harness.proxy.fail_next(1000, 401)
    with pytest.raises(HomeAssistantError) as caught:
        await hass.services.async_call(
            "button", "press", {"entity_id": "button.family_sync_now"}, blocking=True
        )
    assert caught.value.translation_key == "auth_failed"
    assert caught.value.translation_placeholders == {
        "accounts": f"{USER} on {caldav_harness.proxy.url}"
    }


async def test_calendar_named_after_its_member_does_not_repeat_the_name(
    hass: HomeAssistant,
    caldav_harness: CalDavHarness,
    entity_registry: er.EntityRegistry,
) -> None:
    """Anna's "Anna's calendar" and "Anna: work" keep their names; "Annabel" is hers."""
    account = caldav_account(caldav_harness)
    account_id = account["unique_id"] or ""
    calendars = [
        await caldav_harness.new_calendar(name)
        for name in ("Anna's calendar", "Anna: work", "Annabel")
    ]
    entry = group_entry(
        account,
        member(
            "Anna",
            sources=[(account_id, calendar) for calendar in calendars],
            combined=None,
        ),
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    names = {state.entity_id: state.name for state in hass.states.async_all("calendar")}
    assert names == {
        "calendar.anna_annabel": "Anna's Annabel",
        "calendar.anna_calendar": "Anna's calendar",
        "calendar.anna_work": "Anna: work",
        "calendar.family_everyone": "Everyone in Family",
    }


async def test_calendar_never_reached_is_named_as_it_was_picked(
    hass: HomeAssistant, caldav_harness: CalDavHarness
) -> None:
    """Its server never told its name here: the name kept with the member is used."""
    account = caldav_account(caldav_harness)
    account_id = account["unique_id"] or ""
    cleo = member(
        "Cleo",
        sources=[(account_id, await caldav_harness.new_calendar("Cleo"))],
        combined=(account_id, caldav_harness.unshared_calendar_id()),
    )
    combined = dict(cleo["data"]["combined"]) | {"name": "Cleo: everyone"}
    cleo["data"] = dict(cleo["data"]) | {"combined": combined}
    entry = group_entry(account, cleo)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    [issue] = _issues(hass)
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["calendar"] == "Cleo: everyone"
    assert issue.translation_placeholders["member"] == "Cleo"


async def test_action_errors_name_the_calendar_and_account_not_their_ids(
    hass: HomeAssistant, caldav_harness: CalDavHarness
) -> None:
    """An action given the calendar's URL still says "Personal" and the account's label."""
    family = await setup_family(hass, caldav_harness)
    url = family.calendars["anna"]
    event = {
        "summary": "Piano",
        "start_date_time": "2026-12-04 16:00:00",
        "end_date_time": "2026-12-04 17:00:00",
    }
    for status, key, placeholder, expected in (
        (500, "calendar_failed", "calendar", "Personal"),
        (401, "auth_failed", "accounts", f"{USER} on {caldav_harness.proxy.url}"),
    ):
        caldav_harness.proxy.fail_next(1000, status)
        with pytest.raises(HomeAssistantError) as caught:
            await hass.services.async_call(
                DOMAIN,
                "create_event",
                {"calendar": url, "member": "Anna", **event},
                blocking=True,
                return_response=True,
            )
        caldav_harness.proxy.heal()
        assert caught.value.translation_key == key
        placeholders = caught.value.translation_placeholders or {}
        assert placeholders[placeholder] == expected
        assert url not in str(placeholders)
        assert "caldav:" not in str(placeholders)
    assert "Piano" not in await family.titles("anna")
