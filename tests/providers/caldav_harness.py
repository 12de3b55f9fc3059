"""The CalDAV `ProviderHarness`: the provider, as alice, talking to a server via a proxy.

The server is Radicale, or Xandikos (`XandikosHarness`). Calendars are made directly
on the server (not through the proxy), so that the proxy's request count is the
provider's alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol
import uuid

import pytest

from custom_components.shared_calendars.providers.caldav import CalDavProvider
from tests.servers.dav_proxy import DavProxy
from tests.servers.radicale import USERS, free_port

USER = "alice"
"""Whom the harness's provider acts as."""


class CalDavServer(Protocol):
    """What the harness needs of a CalDAV server the tests run."""

    private_calendar_path: str
    """A calendar alice may not use."""

    async def mkcalendar(
        self, user: str, slug: str | None = None, *, displayname: str | None = None
    ) -> str:
        """Create a calendar for `user`; return its path."""
        ...


@dataclass(kw_only=True)
class CalDavHarness:
    """A `ProviderHarness` for kind "caldav"."""

    server: CalDavServer
    proxy: DavProxy
    kind: str = "caldav"
    provider: CalDavProvider = field(init=False)
    _providers: list[CalDavProvider] = field(default_factory=list)

    def __post_init__(self) -> None:
        """Connect the harness's own provider."""
        self.provider = self.make_provider()

    def make_provider(
        self, *, url: str | None = None, password: str | None = None, **kwargs: Any
    ) -> CalDavProvider:
        """Return a provider for alice (closed with the harness)."""
        provider = CalDavProvider(
            url=url or self.proxy.url,
            username=USER,
            password=USERS[USER] if password is None else password,
            **kwargs,
        )
        self._providers.append(provider)
        return provider

    def calendar_id(self, path: str) -> str:
        """Return the id (the URL through the proxy) of a calendar path."""
        return self.proxy.url.rstrip("/") + path

    async def new_calendar(self, name: str, **kwargs: Any) -> str:
        """Create an empty calendar of alice's; return its id."""
        path = await self.server.mkcalendar(USER, displayname=name, **kwargs)
        return self.calendar_id(path)

    async def new_read_only_calendar(self, name: str) -> str:
        """Create a calendar of bob's that alice may read but not write."""
        path = await self.server.mkcalendar(
            "bob", f"shared-{uuid.uuid4().hex[:12]}", displayname=name
        )
        return self.calendar_id(path)

    def unshared_calendar_id(self) -> str:
        """Return a calendar of bob's that alice may not see."""
        return self.calendar_id(self.server.private_calendar_path)

    def another_client(self) -> CalDavProvider:
        """Return a second provider for alice: a member's calendar app."""
        return self.make_provider()

    def provider_with_wrong_credentials(self) -> CalDavProvider:
        """Return a provider for alice with a wrong password."""
        return self.make_provider(password="not-alices-password")

    def provider_for_unreachable_server(self) -> CalDavProvider:
        """Return a provider pointed at a loopback port where nothing listens."""
        return self.make_provider(url=f"http://127.0.0.1:{free_port()}/")

    def expire_cursors(self) -> None:
        """Make the server refuse every sync token issued so far."""
        self.proxy.expire_sync_tokens()

    def answer_empty(self, calendar_id: str, empty: bool = True) -> None:
        """Answer the calendar's sync-collection with nothing, until `empty` is False."""
        self.proxy.answer_empty(
            calendar_id.removeprefix(self.proxy.url.rstrip("/")), empty
        )

    def rate_limit_next(self, requests: int, retry_after: int | None) -> None:
        """Answer the next requests with 429 and Retry-After."""
        self.proxy.rate_limit_next(requests, retry_after)

    def fail_next(self, requests: int, status: int) -> None:
        """Answer the next requests with `status`."""
        self.proxy.fail_next(requests, status)

    def request_count(self) -> int:
        """Return how many requests reached the server."""
        return self.proxy.request_count()

    async def close(self) -> None:
        """Close every provider the harness made."""
        for provider in self._providers:
            await provider.close()


@dataclass(kw_only=True)
class XandikosHarness(CalDavHarness):
    """The same provider against Xandikos, behind a proxy that checks passwords."""

    async def new_read_only_calendar(self, name: str) -> str:
        """Skip: Xandikos has no access control, every calendar is writable."""
        pytest.skip("Xandikos has no access control: no calendar is read-only")
