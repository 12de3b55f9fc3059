"""Build a group's config entry on the loopback servers, as the config flow would.

Accounts and members are config subentries; these builders give their data so
that tests of every platform set a group up the same way.
"""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigSubentryData
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.shared_calendars.accounts import (
    caldav_account_id,
    google_account_id,
)
from custom_components.shared_calendars.const import (
    ACCOUNT_CALDAV,
    ACCOUNT_GOOGLE,
    CONF_ACCOUNT,
    CONF_ACCOUNT_TYPE,
    CONF_API_ROOT,
    CONF_CALENDAR_ID,
    CONF_COMBINED,
    CONF_GROUP_NAME,
    CONF_PASSWORD,
    CONF_SERVICE_ACCOUNT,
    CONF_SOURCES,
    CONF_URL,
    CONF_USERNAME,
    CONF_VERIFY_SSL,
    DOMAIN,
    SUBENTRY_ACCOUNT,
    SUBENTRY_MEMBER,
)
from tests.providers.caldav_harness import USER, CalDavHarness
from tests.providers.google_harness import SERVICE_ACCOUNT, GoogleHarness
from tests.servers.radicale import USERS


def google_account(harness: GoogleHarness) -> ConfigSubentryData:
    """Return the account subentry of the harness's service account."""
    return ConfigSubentryData(
        subentry_type=SUBENTRY_ACCOUNT,
        unique_id=google_account_id(SERVICE_ACCOUNT),
        title=SERVICE_ACCOUNT,
        data={
            CONF_ACCOUNT_TYPE: ACCOUNT_GOOGLE,
            CONF_SERVICE_ACCOUNT: harness.key,
            CONF_API_ROOT: harness.server.api_root,
        },
    )


def caldav_account(harness: CalDavHarness) -> ConfigSubentryData:
    """Return the account subentry of the harness's CalDAV user, through its proxy."""
    url = harness.proxy.url
    return ConfigSubentryData(
        subentry_type=SUBENTRY_ACCOUNT,
        unique_id=caldav_account_id(USER, url),
        title=f"{USER} on {url}",
        data={
            CONF_ACCOUNT_TYPE: ACCOUNT_CALDAV,
            CONF_URL: url,
            CONF_USERNAME: USER,
            CONF_PASSWORD: USERS[USER],
            CONF_VERIFY_SSL: True,
        },
    )


def member(
    name: str,
    *,
    sources: list[tuple[str, str]],
    combined: tuple[str, str] | None,
    subentry_id: str | None = None,
    **policy: Any,
) -> ConfigSubentryData:
    """Return a member subentry; calendars are (account id, calendar id) pairs.

    A fixed `subentry_id` keeps the member's unique ids stable across test runs.
    """
    data = ConfigSubentryData(
        subentry_type=SUBENTRY_MEMBER,
        unique_id=name.lower(),
        title=name,
        data={
            CONF_SOURCES: [
                {CONF_ACCOUNT: account, CONF_CALENDAR_ID: calendar}
                for account, calendar in sources
            ],
            CONF_COMBINED: (
                {CONF_ACCOUNT: combined[0], CONF_CALENDAR_ID: combined[1]}
                if combined
                else None
            ),
            **policy,
        },
    )
    if subentry_id is not None:
        data["subentry_id"] = subentry_id  # type: ignore[typeddict-unknown-key]
    return data


def group_entry(
    *subentries: ConfigSubentryData,
    options: dict[str, Any] | None = None,
    entry_id: str | None = None,
) -> MockConfigEntry:
    """Return a group's entry with its account and member subentries."""
    return MockConfigEntry(
        domain=DOMAIN,
        entry_id=entry_id,
        title="Family",
        data={CONF_GROUP_NAME: "Family"},
        options=options or {},
        subentries_data=list(subentries),
    )
