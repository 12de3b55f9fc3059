"""What the contract tests need from each provider's test set-up.

Each provider kind brings a fixture that yields a `ProviderHarness` wired to its
loopback server; `test_contract.py` runs the same specification against each.
"""

from typing import Protocol

from custom_components.shared_calendars.providers.base import CalendarProvider


class ProviderHarness(Protocol):
    """A provider connected to a loopback server, with the server's knobs."""

    kind: str
    """`google` or `caldav`."""
    provider: CalendarProvider
    """Connected with valid credentials."""

    async def new_calendar(self, name: str) -> str:
        """Create an empty calendar the provider may write to; return its id."""
        ...

    async def new_read_only_calendar(self, name: str) -> str:
        """Create a calendar the provider may read but not write; return its id."""
        ...

    def unshared_calendar_id(self) -> str:
        """Return the id of a calendar the account cannot see."""
        ...

    def another_client(self) -> CalendarProvider:
        """Return a second provider for the same account: a member's calendar app."""
        ...

    def provider_with_wrong_credentials(self) -> CalendarProvider:
        """Return a provider for the same server whose credentials are refused."""
        ...

    def provider_for_unreachable_server(self) -> CalendarProvider:
        """Return a provider pointed at a port where nothing listens."""
        ...

    def expire_cursors(self) -> None:
        """Make the server reject every change cursor issued so far."""
        ...

    def answer_empty(self, calendar_id: str, empty: bool = True) -> None:
        """List a calendar as empty, like a broken server, until `empty` is False."""
        ...

    def rate_limit_next(self, requests: int, retry_after: int | None) -> None:
        """Answer the next `requests` requests with the server's rate-limit reply."""
        ...

    def fail_next(self, requests: int, status: int) -> None:
        """Answer the next `requests` requests with HTTP `status` (a 5xx)."""
        ...

    def request_count(self) -> int:
        """Return how many requests the server has answered so far."""
        ...
