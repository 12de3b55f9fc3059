"""Members of a group: their calendars, picked or typed, and how they share.

Every account is checked against the real loopback servers (the fake Google API,
Radicale behind its proxy); nothing of the integration is mocked.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest

from custom_components.shared_calendars.engine.model import EventColor, Privacy
from custom_components.shared_calendars.members import members_of

from .flows import (
    choice,
    member_input,
    reconfigure_subentry,
    subentry_flow,
    submit,
    suggested,
)
from .group import caldav_account, google_account, group_entry, member
from .providers.caldav_harness import CalDavHarness
from .providers.google_harness import SERVICE_ACCOUNT, GoogleHarness
from .servers.fake_google import free_port

# ---------------------------------------------------------------- members


async def test_member_needs_an_account_first(hass: HomeAssistant) -> None:
    """A group without accounts has no calendars to pick."""
    entry = group_entry()
    entry.add_to_hass(hass)
    result = await subentry_flow(hass, entry, "member")
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

    result = await subentry_flow(hass, entry, "member")
    assert result["step_id"] == "user"
    assert result["errors"] == {}
    # Without Home Assistant's calendars in the group, no entity pickers.
    assert not {"ha_sources", "ha_combined"} & set(result["data_schema"].schema)
    sources = result["data_schema"].schema["sources"].config["options"]
    assert {"value": choice(google, anna), "label": f"Anna ({SERVICE_ACCOUNT})"} in (
        sources
    )
    assert choice(google, holidays) in [option["value"] for option in sources]
    writable = result["data_schema"].schema["combined"].config["options"]
    assert choice(google, holidays) not in [option["value"] for option in writable]
    assert choice(caldav, combined) in [option["value"] for option in writable]

    user_input = member_input(
        " Anna ",
        [choice(google, anna), choice(google, holidays)],
        choice(caldav, combined),
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
    user_input["schedule"] = {"work_start": "07:30:00", "work_end": "16:00:00"}
    result = await submit(hass, result, user_input)
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
        "work_start": "07:30:00",
        "work_end": "16:00:00",
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
    result = await subentry_flow(hass, entry, "member")

    result = await submit(hass, result, member_input("Anna", [family]))
    assert result["errors"] == {"sources": "not_shared"}
    assert result["description_placeholders"]["calendar"] == family
    assert result["description_placeholders"]["account"] == SERVICE_ACCOUNT

    google_harness.server.share(
        family, SERVICE_ACCOUNT, "writer", in_calendar_list=False
    )
    result = await submit(hass, result, member_input("Anna", [family]))
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
    result = await subentry_flow(hass, entry, "member")
    elsewhere = f"http://localhost:{free_port()}/alice/calendar/"
    result = await submit(hass, result, member_input("Anna", combined=elsewhere))
    assert result["errors"] == {"combined": "no_account_for_calendar"}
    assert result["description_placeholders"]["calendar"] == elsewhere

    result = await submit(
        hass, result, member_input("Anna", [choice(caldav, elsewhere)])
    )
    assert result["errors"] == {"sources": "no_account_for_calendar"}

    bobs = choice(caldav, caldav_harness.unshared_calendar_id())
    result = await submit(hass, result, member_input("Anna", [bobs]))
    assert result["errors"] == {"sources": "not_shared"}
    assert result["description_placeholders"]["account"] == caldav["title"]

    typed = choice(caldav, await caldav_harness.new_calendar("Typed"))
    result = await submit(hass, result, member_input("Anna", combined=typed))
    assert result["type"] is FlowResultType.CREATE_ENTRY


@pytest.mark.parametrize(
    ("make_input", "errors"),
    [
        pytest.param(
            lambda c: member_input("Cleo", [c["cleo"]], c["cleo"]),
            {"combined": "combined_is_source"},
            id="own-source-as-combined",
        ),
        pytest.param(
            lambda c: member_input("Cleo", [c["cleo"]], c["ben"]),
            {"combined": "combined_is_source"},
            id="another-members-source-as-combined",
        ),
        pytest.param(
            lambda c: member_input("Cleo", [c["cleo"]], c["ben-combined"]),
            {"combined": "combined_in_use"},
            id="another-members-combined",
        ),
        pytest.param(
            lambda c: member_input("Cleo", [c["ben-combined"]]),
            {"sources": "source_is_combined"},
            id="another-members-combined-as-source",
        ),
        pytest.param(
            lambda c: member_input("Cleo", [c["cleo"]], c["read-only"]),
            {"combined": "combined_read_only"},
            id="read-only-combined",
        ),
        pytest.param(
            lambda c: member_input("Cleo"),
            {"base": "no_calendars"},
            id="no-calendar",
        ),
        pytest.param(
            lambda c: member_input(" ", [c["cleo"]]),
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
    choices = {name: choice(google, calendar) for name, calendar in ids.items()}
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
    result = await subentry_flow(hass, entry, "member")
    result = await submit(hass, result, make_input(choices))
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
    result = await subentry_flow(hass, entry, "member")
    user_input = member_input("ben ", [choice(google, others)], privacy="busy_only")
    result = await submit(hass, result, user_input)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"name": "name_in_use"}
    shown = suggested(result)
    assert shown["sources"] == [choice(google, others)]
    assert shown["sharing"]["privacy"] == "busy_only"

    result = await submit(hass, result, user_input | {"name": "Ben junior"})
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
    result = await reconfigure_subentry(hass, entry, subentry_id)
    assert result["step_id"] == "reconfigure"
    assert suggested(result) == {
        "name": "Anna",
        "sources": [choice(google, anna)],
        "combined": choice(google, combined),
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
        "schedule": {"work_start": "08:00:00", "work_end": "20:00:00"},
    }

    user_input = member_input(
        "Annie", [choice(google, anna)], choice(google, combined), privacy="full"
    )
    result = await submit(hass, result, user_input)
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
    result = await reconfigure_subentry(hass, entry, subentry_id)
    assert _options(result, "combined")[choice(google, combined)] == (
        f"Anna combined ({SERVICE_ACCOUNT})"
    )
    family = google_harness.unshared_calendar_id()
    google_harness.server.share(
        family, SERVICE_ACCOUNT, "writer", in_calendar_list=False
    )
    result = await submit(
        hass, result, member_input("Anna", [family], choice(google, combined))
    )
    assert result["errors"] == {"combined": "combined_read_only"}
    # The typed id is shown as the calendar it was found to be.
    shown = suggested(result)
    assert shown["sources"] == [choice(google, family)]
    assert shown["combined"] == choice(google, combined)
    assert choice(google, family) in _options(result, "sources")
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
    result = await reconfigure_subentry(hass, entry, subentry_id)
    shown = suggested(result)
    assert "combined" not in shown
    assert "color" not in shown["sharing"]

    combined = choice(caldav, await caldav_harness.new_calendar("Ben combined"))
    result = await submit(
        hass, result, member_input("Ben", [choice(caldav, ben)], combined)
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

    result = await subentry_flow(hass, entry, "member")
    assert result["errors"] == {"base": "accounts_unavailable"}
    assert result["description_placeholders"]["accounts"] == SERVICE_ACCOUNT

    result = await submit(
        hass, result, member_input("Anna", [anna], choice(caldav, combined))
    )
    assert result["errors"] == {
        "base": "accounts_unavailable",
        "sources": "key_refused",
    }
    result = await submit(
        hass, result, member_input("Anna", [choice(caldav, combined)])
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
