"""Fixtures that start the loopback servers, for every test folder.

Registered as a plugin by the root conftest. Radicale and Xandikos run once per
session (each when a test first asks for it); the fake Google API, the proxies in
front of the CalDAV servers and the providers are new for every test, so that knobs
and request counts never leak between tests.
"""

from collections.abc import AsyncIterator, Iterator

import pytest

from tests.providers.caldav_harness import CalDavHarness, XandikosHarness
from tests.providers.google_harness import GoogleHarness
from tests.servers.dav_proxy import DavProxy
from tests.servers.radicale import USERS, RadicaleServer
from tests.servers.xandikos import XandikosServer


@pytest.fixture
async def google_harness(socket_enabled: None) -> AsyncIterator[GoogleHarness]:
    """Yield a Google provider connected to a fresh fake Google Calendar API."""
    harness = await GoogleHarness.start()
    try:
        yield harness
    finally:
        await harness.stop()


@pytest.fixture(scope="session")
def radicale_server(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[RadicaleServer]:
    """Run one Radicale for the whole test session."""
    server = RadicaleServer.start(tmp_path_factory.mktemp("radicale"))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
async def dav_proxy(
    socket_enabled: None, radicale_server: RadicaleServer
) -> AsyncIterator[DavProxy]:
    """Yield a fresh fault-injecting proxy in front of Radicale."""
    await radicale_server.ensure_private_calendar()
    proxy = DavProxy(radicale_server.url)
    await proxy.start()
    try:
        yield proxy
    finally:
        await proxy.close()


@pytest.fixture
async def caldav_harness(
    radicale_server: RadicaleServer, dav_proxy: DavProxy
) -> AsyncIterator[CalDavHarness]:
    """Yield a CalDAV provider (alice) connected to Radicale through the proxy."""
    harness = CalDavHarness(server=radicale_server, proxy=dav_proxy)
    try:
        yield harness
    finally:
        await harness.close()


@pytest.fixture(scope="session")
def xandikos_server(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[XandikosServer]:
    """Run one Xandikos for the whole test session."""
    server = XandikosServer.start(tmp_path_factory.mktemp("xandikos"))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
async def xandikos_harness(
    socket_enabled: None, xandikos_server: XandikosServer
) -> AsyncIterator[CalDavHarness]:
    """Yield a CalDAV provider (alice) connected to Xandikos through a fresh proxy.

    The proxy checks alice's password, as the reverse proxy Xandikos expects does.
    """
    proxy = DavProxy(xandikos_server.url)
    proxy.require_basic({"alice": USERS["alice"]})
    await proxy.start()
    harness = XandikosHarness(server=xandikos_server, proxy=proxy)
    try:
        yield harness
    finally:
        await harness.close()
        await proxy.close()
