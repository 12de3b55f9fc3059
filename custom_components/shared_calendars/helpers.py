"""Translated errors for what people ask of calendars, shared by entities and actions."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from homeassistant.exceptions import HomeAssistantError, ServiceValidationError

from .const import DOMAIN
from .providers.base import AuthFailed, InvalidEvent, NotShared, ProviderError


def refused(key: str, **placeholders: str) -> ServiceValidationError:
    """Return the translated error for a request that cannot be carried out as given."""
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders=placeholders,
    )


def failed(key: str, **placeholders: str) -> HomeAssistantError:
    """Return the translated error for a calendar that failed while the request ran."""
    return HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders=placeholders,
    )


@contextmanager
def provider_errors(calendar: str, account: str) -> Iterator[None]:
    """Turn a provider's failure into a translated error naming the calendar.

    Whatever the user can fix (sharing, the event's content) is a validation
    error; a server or credential failure is an error of the calendar.
    """
    try:
        yield
    except NotShared as err:
        raise refused(
            "read_only_calendar", calendar=calendar, account=err.account
        ) from err
    except InvalidEvent as err:
        raise refused("event_refused", calendar=calendar, error=str(err)) from err
    except AuthFailed as err:
        raise failed("auth_failed", accounts=account) from err
    except ProviderError as err:
        raise failed("calendar_failed", calendar=calendar, error=str(err)) from err
