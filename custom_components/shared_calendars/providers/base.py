"""The interface every calendar provider implements, and the errors it raises.

Providers convert between their wire format and `engine.model`, and map every
failure to one of the few exception types below, so that callers handle Google
and CalDAV alike. Messages name calendars and accounts, never a secret.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from ..engine.model import CalendarInfo, ChangeSet, Event


class ProviderError(Exception):
    """A calendar provider failed."""


class AuthFailed(ProviderError):
    """The credentials are wrong, revoked or unusable: the user must fix them."""


class NotShared(ProviderError):
    """A calendar is missing or not shared with the account (with write access)."""

    def __init__(self, calendar_id: str, account: str, message: str) -> None:
        """Name the calendar and the account it must be shared with."""
        super().__init__(message)
        self.calendar_id = calendar_id
        self.account = account


class RateLimited(ProviderError):
    """The server asks us to slow down."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        """Keep the server's Retry-After, in seconds, when it sent one."""
        super().__init__(message)
        self.retry_after = retry_after


class Unreachable(ProviderError):
    """The server cannot be reached or failed (timeout, connection error, 5xx)."""


class CursorExpired(ProviderError):
    """The change cursor is no longer valid: list the calendar in full."""


class InvalidEvent(ProviderError):
    """The server refused an event as malformed."""


class CalendarProvider(Protocol):
    """Reads and writes the calendars of one account."""

    @property
    def account(self) -> str:
        """Return who the provider acts as: the service-account e-mail or CalDAV user@host."""
        ...

    async def list_calendars(self) -> list[CalendarInfo]:
        """Return the calendars the account can see."""
        ...

    async def get_calendar(self, calendar_id: str) -> CalendarInfo:
        """Return one calendar, or raise `NotShared` when the account cannot use it."""
        ...

    async def changes(
        self,
        calendar_id: str,
        cursor: str | None,
        known: Mapping[str, Event] | None = None,
    ) -> ChangeSet:
        """Return what changed since `cursor`; everything when `cursor` is None.

        `known` holds the calendar's events as the caller last read them: a
        provider that learns of a series in parts (Google: one changed exception)
        folds the parts into the series held there instead of fetching it whole.
        Raises `CursorExpired` when the cursor is no longer valid.
        """
        ...

    async def get_event(self, calendar_id: str, event_id: str) -> Event | None:
        """Return one event (a series with its overrides), or None when it is gone."""
        ...

    async def put_event(
        self, calendar_id: str, event: Event, previous: Event | None = None
    ) -> Event:
        """Create `event` under its own id, or replace the event with that id.

        `previous` is the event under that id as the caller last read it (a copy
        the ledger knows exists): the provider may write only what differs, and
        need not find out first whether it exists. Idempotent: calling it twice
        leaves one event. Returns the stored event.
        """
        ...

    async def delete_event(self, calendar_id: str, event_id: str) -> None:
        """Delete an event; one that is already gone is not an error."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...
