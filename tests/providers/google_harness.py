"""The Google side of the contract tests: the real provider against the fake API.

The service account's RSA keys are generated once per test session (never stored);
every harness gets its own fake server on a free loopback port.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
import time
from typing import Any, Self

from aiohttp import ClientSession

from custom_components.shared_calendars.providers.base import CalendarProvider
from custom_components.shared_calendars.providers.google import (
    GoogleProvider,
    ServiceAccountKey,
    async_parse_key,
)
from tests.providers.harness import ProviderHarness
from tests.servers.fake_google import (
    FakeGoogle,
    free_port,
    rsa_test_key,
    service_account_key,
)

SERVICE_ACCOUNT = "calendar-sync@shared-calendars-test.iam.gserviceaccount.com"
"""The e-mail of the service account every harness provider acts as."""


@dataclass(kw_only=True)
class GoogleHarness:
    """A `ProviderHarness` for Google: a `GoogleProvider` wired to a `FakeGoogle`."""

    kind: str = "google"
    server: FakeGoogle
    session: ClientSession
    provider: CalendarProvider
    key: dict[str, str]
    """The service-account JSON key the provider was built from."""
    clock: Callable[[], float] = time.time
    _providers: list[GoogleProvider] = field(default_factory=list)

    @classmethod
    async def start(cls, *, clock: Callable[[], float] = time.time) -> Self:
        """Start a fake server and connect a provider with a valid key."""
        loop = asyncio.get_running_loop()
        for index in (0, 1):  # generated once per session, off the event loop
            await loop.run_in_executor(None, rsa_test_key, index)
        server = FakeGoogle(clock=clock)
        await server.start()
        server.register_service_account(SERVICE_ACCOUNT, rsa_test_key(0).public_key())
        session = ClientSession()
        key = service_account_key(SERVICE_ACCOUNT, server.token_uri, rsa_test_key(0))
        provider = GoogleProvider(
            await async_parse_key(key), session, api_root=server.api_root, clock=clock
        )
        return cls(
            server=server,
            session=session,
            provider=provider,
            key=key,
            clock=clock,
            _providers=[provider],
        )

    async def stop(self) -> None:
        """Close every provider made here, the session and the server."""
        for provider in self._providers:
            await provider.close()
        await self.session.close()
        await self.server.stop()

    @property
    def google(self) -> GoogleProvider:
        """Return the provider with its Google-only methods (watch, stop_watch)."""
        return self._providers[0]

    def make_provider(
        self,
        key: dict[str, Any],
        *,
        api_root: str | None = None,
        page_size: int = 1000,
        timeout: float = 30.0,
    ) -> GoogleProvider:
        """Return another provider for this server (closed by `stop`)."""
        provider = GoogleProvider(
            ServiceAccountKey.parse(key),
            self.session,
            api_root=api_root or self.server.api_root,
            clock=self.clock,
            page_size=page_size,
            timeout=timeout,
        )
        self._providers.append(provider)
        return provider

    # ProviderHarness

    async def new_calendar(self, name: str) -> str:
        """Create a calendar shared with the service account to make changes."""
        calendar_id = self.server.create_calendar(name)
        self.server.share(calendar_id, SERVICE_ACCOUNT, "writer")
        return calendar_id

    async def new_read_only_calendar(self, name: str) -> str:
        """Create a calendar shared with the service account to see all details."""
        calendar_id = self.server.create_calendar(name)
        self.server.share(calendar_id, SERVICE_ACCOUNT, "reader")
        return calendar_id

    def unshared_calendar_id(self) -> str:
        """Create a calendar nobody shared with the service account."""
        return self.server.create_calendar("Not shared")

    def another_client(self) -> CalendarProvider:
        """Return a second provider for the service account: a member's calendar app."""
        return self.make_provider(self.key)

    def provider_with_wrong_credentials(self) -> CalendarProvider:
        """Return a provider whose key is not the one Google knows for the account."""
        wrong = service_account_key(
            SERVICE_ACCOUNT, self.server.token_uri, rsa_test_key(1)
        )
        return self.make_provider(wrong)

    def provider_for_unreachable_server(self) -> CalendarProvider:
        """Return a provider whose token endpoint and API root answer nothing."""
        dead = f"http://127.0.0.1:{free_port()}"
        key = service_account_key(SERVICE_ACCOUNT, f"{dead}/token", rsa_test_key(0))
        return self.make_provider(key, api_root=f"{dead}/calendar/v3")

    def expire_cursors(self) -> None:
        """Answer 410 fullSyncRequired to every sync token issued so far."""
        self.server.expire_sync_tokens()

    def answer_empty(self, calendar_id: str, empty: bool = True) -> None:
        """List the calendar as empty (410 to sync tokens), until `empty` is False."""
        self.server.answer_empty(calendar_id, empty)

    def rate_limit_next(self, requests: int, retry_after: int | None) -> None:
        """Answer the next Calendar API requests with 429 (and Retry-After)."""
        self.server.rate_limit_next(requests, retry_after=retry_after)

    def fail_next(self, requests: int, status: int) -> None:
        """Answer the next Calendar API requests with `status`."""
        self.server.fail_next(requests, status)

    def request_count(self) -> int:
        """Return the Calendar API requests answered (token exchanges not counted)."""
        return self.server.api_request_count()


def _conforms(harness: GoogleHarness) -> ProviderHarness:
    """Let mypy prove that `GoogleHarness` is a `ProviderHarness`."""
    return harness


def _provider_conforms(provider: GoogleProvider) -> CalendarProvider:
    """Let mypy prove that `GoogleProvider` is a `CalendarProvider`."""
    return provider
