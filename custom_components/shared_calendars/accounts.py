"""Providers for the accounts of a group, built from the entry's settings."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.util.ssl import get_default_context, get_default_no_verify_context

from .const import (
    ACCOUNT_CALDAV,
    ACCOUNT_GOOGLE,
    CONF_ACCOUNT_TYPE,
    CONF_API_ROOT,
    CONF_PASSWORD,
    CONF_SERVICE_ACCOUNT,
    CONF_URL,
    CONF_USERNAME,
    CONF_VERIFY_SSL,
    SUBENTRY_ACCOUNT,
)
from .providers.base import CalendarProvider
from .providers.caldav import CalDavProvider
from .providers.google import DEFAULT_API_ROOT, GoogleProvider, async_parse_key


async def async_build_provider(
    hass: HomeAssistant, settings: Mapping[str, Any]
) -> CalendarProvider:
    """Return the provider for one account's settings.

    Raises `AuthFailed` (an `InvalidKey`) when a service-account key is unusable.
    """
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


def caldav_account_id(username: str, url: str) -> str:
    """Return the id of a CalDAV login in its group: the user at the server's host."""
    return f"{ACCOUNT_CALDAV}:{username}@{urlsplit(url).netloc.lower()}"


async def async_build_providers(
    hass: HomeAssistant, entry: ConfigEntry[Any]
) -> dict[str, CalendarProvider]:
    """Return a provider per account subentry of a group, by account id."""
    providers: dict[str, CalendarProvider] = {}
    try:
        for subentry in entry.subentries.values():
            if subentry.subentry_type == SUBENTRY_ACCOUNT and subentry.unique_id:
                providers[subentry.unique_id] = await async_build_provider(
                    hass, subentry.data
                )
    except BaseException:
        for provider in providers.values():
            await provider.close()
        raise
    return providers
