"""Providers for the accounts of a group, built from the entry's settings."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit
from uuid import uuid4

from homeassistant.config_entries import ConfigSubentry
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.util import dt as dt_util
from homeassistant.util.ssl import get_default_context, get_default_no_verify_context

from .const import (
    ACCOUNT_CALDAV,
    ACCOUNT_GOOGLE,
    ACCOUNT_HA,
    CONF_ACCOUNT_TYPE,
    CONF_API_ROOT,
    CONF_PASSWORD,
    CONF_SERVICE_ACCOUNT,
    CONF_URL,
    CONF_USERNAME,
    CONF_VERIFY_SSL,
    CONF_WINDOW_FUTURE_DAYS,
    CONF_WINDOW_PAST_DAYS,
    DEFAULT_WINDOW_FUTURE_DAYS,
    DEFAULT_WINDOW_PAST_DAYS,
    DOMAIN,
    SUBENTRY_ACCOUNT,
)
from .engine.model import SyncWindow
from .providers.base import AuthFailed, CalendarProvider
from .providers.caldav import CalDavProvider
from .providers.google import DEFAULT_API_ROOT, GoogleProvider, async_parse_key
from .providers.ha_calendar import HaCalendarProvider

if TYPE_CHECKING:
    from .coordinator import SharedCalendarsConfigEntry

REFUSED_ACCOUNTS: Final = "refused_accounts"
"""Reauthentication data: the ids of the accounts whose credentials were refused."""


def sync_window(options: Mapping[str, Any]) -> SyncWindow:
    """Return the group's sync window, moved once a day (from local midnight)."""
    today = dt_util.start_of_local_day()
    return SyncWindow(
        start=today
        - timedelta(days=options.get(CONF_WINDOW_PAST_DAYS, DEFAULT_WINDOW_PAST_DAYS)),
        end=today
        + timedelta(
            days=options.get(CONF_WINDOW_FUTURE_DAYS, DEFAULT_WINDOW_FUTURE_DAYS)
        ),
    )


async def async_build_provider(
    hass: HomeAssistant,
    settings: Mapping[str, Any],
    window: Callable[[], SyncWindow] | None = None,
) -> CalendarProvider:
    """Return the provider for one account's settings.

    `window` is what a Home Assistant calendar reads (it has no change feed); the
    default window when not given. Raises `AuthFailed` (an `InvalidKey`) when a
    service-account key is unusable.
    """
    if settings[CONF_ACCOUNT_TYPE] == ACCOUNT_HA:
        return HaCalendarProvider(hass, window or (lambda: sync_window({})))
    if settings[CONF_ACCOUNT_TYPE] == ACCOUNT_GOOGLE:
        key = await async_parse_key(settings[CONF_SERVICE_ACCOUNT])
        return GoogleProvider(
            key,
            async_get_clientsession(hass),
            api_root=settings.get(CONF_API_ROOT) or DEFAULT_API_ROOT,
        )
    if settings[CONF_ACCOUNT_TYPE] == ACCOUNT_CALDAV:
        # Home Assistant's shared SSL contexts: building one loads certificates, which
        # is blocking I/O in the event loop.
        verify = settings.get(CONF_VERIFY_SSL, True)
        return CalDavProvider(
            url=settings[CONF_URL],
            username=settings[CONF_USERNAME],
            password=settings[CONF_PASSWORD],
            ssl_context=get_default_context()
            if verify
            else get_default_no_verify_context(),
            default_timezone=hass.config.time_zone,
        )
    raise ValueError(f"Unknown account type {settings[CONF_ACCOUNT_TYPE]!r}")


def google_account_id(client_email: str) -> str:
    """Return the id of a service account in its group."""
    return f"{ACCOUNT_GOOGLE}:{client_email.lower()}"


def ha_account_id() -> str:
    """Return a new id for a group's Home Assistant calendars (each group its own).

    Random rather than fixed: a group is known by its first account, and several
    groups may start with Home Assistant's calendars.
    """
    return f"{ACCOUNT_HA}:{uuid4().hex[:12]}"


def has_ha_account(entry: SharedCalendarsConfigEntry) -> bool:
    """Return whether a group reaches Home Assistant's calendars already."""
    return any(
        subentry.data.get(CONF_ACCOUNT_TYPE) == ACCOUNT_HA
        for subentry in accounts_of(entry).values()
    )


def caldav_account_id(username: str, url: str) -> str:
    """Return the id of a CalDAV login in its group: the user at the server's host."""
    return f"{ACCOUNT_CALDAV}:{username}@{urlsplit(url).netloc.lower()}"


def accounts_of(entry: SharedCalendarsConfigEntry) -> dict[str, ConfigSubentry]:
    """Return the group's account subentries by account id, in the order added."""
    return {
        subentry.unique_id: subentry
        for subentry in entry.subentries.values()
        if subentry.subentry_type == SUBENTRY_ACCOUNT and subentry.unique_id
    }


def account_names(entry: SharedCalendarsConfigEntry, account_ids: Iterable[str]) -> str:
    """Return accounts as the user knows them (their titles), for a message."""
    accounts = accounts_of(entry)
    return ", ".join(
        sorted(
            accounts[account_id].title if account_id in accounts else account_id
            for account_id in account_ids
        )
    )


@callback
def async_ask_for_credentials(
    hass: HomeAssistant, entry: SharedCalendarsConfigEntry, account_ids: Iterable[str]
) -> None:
    """Start reauthentication for the accounts whose credentials were refused.

    The flow asks for these accounts only. One already under way is left alone.
    """
    entry.async_start_reauth(hass, data={REFUSED_ACCOUNTS: sorted(account_ids)})


@callback
def async_keep_unique_id(
    hass: HomeAssistant, entry: SharedCalendarsConfigEntry
) -> None:
    """Keep the group known by an account it has: the first, once that one is removed.

    The group's unique id is the account it was created with, so that the same
    group cannot be added twice; a group set up before it had one gets it here.
    """
    accounts = list(accounts_of(entry))
    if accounts and entry.unique_id not in accounts:
        hass.config_entries.async_update_entry(entry, unique_id=accounts[0])


async def async_build_providers(
    hass: HomeAssistant, entry: SharedCalendarsConfigEntry
) -> dict[str, CalendarProvider]:
    """Return a provider per account subentry of a group, by account id.

    An unusable key starts reauthentication of its account and fails the setup.
    """
    providers: dict[str, CalendarProvider] = {}
    try:
        for account_id, subentry in accounts_of(entry).items():
            try:
                providers[account_id] = await async_build_provider(
                    hass, subentry.data, lambda: sync_window(entry.options)
                )
            except AuthFailed as err:
                async_ask_for_credentials(hass, entry, [account_id])
                raise ConfigEntryAuthFailed(
                    translation_domain=DOMAIN,
                    translation_key="invalid_key",
                    translation_placeholders={
                        "account": subentry.title,
                        "error": str(err),
                    },
                ) from err
    except BaseException:
        for provider in providers.values():
            await provider.close()
        raise
    return providers
