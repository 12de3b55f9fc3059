"""The requests of one CalDAV account, and what their failures mean.

HTTP goes through the caldav library's async client (`caldav.aio.AsyncDAVClient`):
it negotiates Basic or Digest authentication from the server's challenge, detects
429/503 with Retry-After, and parses multistatus answers. A request answered 423
Locked is sent again, briefly and at most three times.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
import ssl
from urllib.parse import urljoin, urlsplit

from caldav.aio import DAVResponse
from caldav.lib import error as dav_error
from caldav.response import CalendarQueryResult, PropfindResult, SyncCollectionResult

from .base import (
    AuthFailed,
    CursorExpired,
    InvalidEvent,
    NotShared,
    ProviderError,
    RateLimited,
    Unreachable,
)
from .caldav_client import (
    MALFORMED,
    TRANSPORT_ERRORS,
    Client,
    Refused,
    count_request,
    default_ssl_context,
    in_executor,
    unverified_ssl_context,
)
from .caldav_xml import CALDAV, DAV, path_of, propfind_body

_INVALID_DATA_PRECONDITIONS = frozenset(
    {
        f"{CALDAV}supported-calendar-data",
        f"{CALDAV}valid-calendar-data",
        f"{CALDAV}valid-calendar-object-resource",
        f"{CALDAV}supported-calendar-component",
        f"{CALDAV}no-uid-conflict",
        f"{CALDAV}max-resource-size",
        f"{CALDAV}min-date-time",
        f"{CALDAV}max-date-time",
        f"{CALDAV}max-instances",
        f"{CALDAV}max-attendees-per-instance",
    }
)
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_LOCKED_TRIES = 3
"""How often a request answered 423 Locked is sent in all (see `_request`)."""
_LOCKED_DELAY = 0.1
"""Seconds before the first repeat of a request answered 423; doubles each time."""


# Their names keep the leading underscore although other modules catch them: a
# sync report names an error by its first class without one (`cycle._record_error`),
# so these stay AuthFailed and Unreachable there.
class _Forbidden(AuthFailed):
    """A 403 outside any calendar: discovery tries the next URL before giving up."""


class _ReportRefused(Unreachable):
    """A REPORT refused with DAV:supported-report: the server does not know it."""


class _Malformed(Unreachable):
    """An answer that is not the XML it should be (see `ChangeReader._multiget`)."""


class CalDavConnection:
    """Sends the requests of one CalDAV account; maps their failures to our errors."""

    def __init__(
        self,
        *,
        url: str,
        username: str,
        password: str,
        ssl_context: ssl.SSLContext | bool,
        timeout: float,
    ) -> None:
        """Check the URL; nothing is sent until the first request."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("a CalDAV URL starts with http:// or https://")
        # Credentials never live in the URL (nor in any message built from it).
        host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
        netloc = host + (f":{parts.port}" if parts.port else "")
        self.url = parts._replace(netloc=netloc, path=parts.path or "/").geturl()
        """The URL given, without credentials."""
        self.host = netloc
        """The server's host and port, for messages."""
        self._username = username
        self._password = password
        self._ssl = ssl_context
        self._timeout = timeout
        self._client: Client | None = None
        self._connecting = asyncio.Lock()
        self._first_request = asyncio.Lock()
        self._authenticated = asyncio.Event()

    @property
    def account(self) -> str:
        """Return the account as user@host."""
        return f"{self._username}@{self.host}"

    async def _connect(self) -> Client:
        if self._client is not None:
            return self._client
        async with self._connecting:
            if self._client is None:
                if isinstance(self._ssl, ssl.SSLContext):
                    context = self._ssl
                elif self._ssl:
                    context = await in_executor(default_ssl_context)
                else:
                    context = unverified_ssl_context()
                self._client = Client(
                    url=self.url,
                    username=self._username,
                    password=self._password,
                    # httpx takes a ready SSLContext (no CA file read in the loop)
                    # and float seconds, though the signature says bool/str and int.
                    ssl_verify_cert=context,  # type: ignore[arg-type]
                    timeout=self._timeout,  # type: ignore[arg-type]
                    features={"http.multiplexing": {"support": "unsupported"}},
                    enable_rfc6764=False,
                    rate_limit_handle=False,
                )
            return self._client

    async def close(self) -> None:
        """Release connections."""
        if self._client is not None:
            client, self._client = self._client, None
            self._authenticated.clear()
            await client.close()

    async def send(
        self,
        method: str,
        url: str,
        *,
        body: str = "",
        headers: Mapping[str, str] | None = None,
        depth: int | None = None,
        calendar: str | None = None,
    ) -> DAVResponse:
        """Send one request; map every failure but an HTTP status to our errors.

        401/403, 429 and 503 with Retry-After, 5xx (but 501) and I/O failures raise;
        other statuses come back for the caller to judge.
        """
        client = await self._connect()
        all_headers = dict(headers or {})
        if depth is not None:
            all_headers["Depth"] = str(depth)
        if body and method in ("PROPFIND", "REPORT"):
            all_headers["Content-Type"] = 'application/xml; charset="utf-8"'
        if not self._authenticated.is_set():
            # The library negotiates Basic or Digest on the first 401, but requests
            # already in flight then fail: the first request goes alone.
            async with self._first_request:
                if not self._authenticated.is_set():
                    response = await self._request(
                        client,
                        method,
                        url,
                        body=body,
                        headers=all_headers,
                        calendar=calendar,
                    )
                    self._authenticated.set()
                    return response
        return await self._request(
            client, method, url, body=body, headers=all_headers, calendar=calendar
        )

    async def _request(
        self,
        client: Client,
        method: str,
        url: str,
        *,
        body: str,
        headers: dict[str, str],
        calendar: str | None,
    ) -> DAVResponse:
        """Send a request; repeat it, a few times and briefly, while it meets a lock.

        423 Locked (RFC 4918) is what Xandikos answers while another write holds
        the resource or its collection: it clears within moments, and the request
        was not carried out, so sending it again is safe (a PUT keeps its If-Match).
        """
        for attempt in range(_LOCKED_TRIES):
            response = await self._request_once(
                client, method, url, body=body, headers=headers, calendar=calendar
            )
            if response.status != 423:
                return response
            if attempt + 1 < _LOCKED_TRIES:
                await asyncio.sleep(_LOCKED_DELAY * 2**attempt)
        raise Unreachable(
            f"{self.host} kept {path_of(url) or '/'} locked (HTTP 423) for"
            f" {_LOCKED_TRIES} tries"
        )

    async def _request_once(
        self,
        client: Client,
        method: str,
        url: str,
        *,
        body: str,
        headers: dict[str, str],
        calendar: str | None,
    ) -> DAVResponse:
        if not client.counts_requests:
            count_request()
        try:
            response = await client.request(url, method, body, headers)
        except dav_error.RateLimitError as err:
            raise RateLimited(
                f"{self.host} asks to slow down", err.retry_after_seconds
            ) from err
        except Refused as err:
            raise self._refused(
                err.status, err.preconditions, method, calendar
            ) from err
        except dav_error.AuthorizationError as err:
            raise self._refused(None, err.preconditions, method, calendar) from err
        except TRANSPORT_ERRORS as err:
            raise Unreachable(
                f"{self.host} cannot be reached ({type(err).__name__})"
            ) from err
        except NotImplementedError as err:
            raise AuthFailed(
                f"{self.host} offers no authentication this client speaks"
                " (Basic, Digest)"
            ) from err
        except MALFORMED as err:
            raise self._malformed(method) from err
        if response.status >= 500 and response.status != 501:
            raise Unreachable(f"{self.host} failed: HTTP {response.status}")
        return response

    def _refused(
        self,
        status: int | None,
        preconditions: Sequence[str],
        method: str,
        calendar: str | None,
    ) -> ProviderError:
        if f"{DAV}valid-sync-token" in preconditions:
            return CursorExpired(f"The sync token of {calendar} is no longer valid")
        if f"{DAV}supported-report" in preconditions:
            return _ReportRefused(f"{self.host} does not support this REPORT")
        if _INVALID_DATA_PRECONDITIONS.intersection(preconditions):
            names = ", ".join(sorted(p.split("}")[-1] for p in preconditions))
            return InvalidEvent(f"{calendar} refused the event ({names})")
        if status == 403 and calendar is not None:
            return self.not_shared(calendar, write=method in ("PUT", "DELETE"))
        if status == 403:
            return _Forbidden(f"{self.account} may not use {self.host}")
        return AuthFailed(
            f"{self.host} refused the credentials of {self._username}: check the"
            " user name and password (iCloud needs an app-specific password)"
        )

    def not_shared(self, calendar: str, *, write: bool = False) -> NotShared:
        """Return the error for a calendar this account cannot read (or write)."""
        if write:
            message = (
                f"Calendar {calendar} may not be changed by {self.account}:"
                " share it with write access"
            )
        else:
            message = (
                f"Calendar {calendar} does not exist or is not shared with"
                f" {self.account}"
            )
        return NotShared(calendar, self.account, message)

    def _malformed(self, method: str) -> _Malformed:
        return _Malformed(
            f"{self.host} answered {method} with something that is not WebDAV"
        )

    def results(self, response: DAVResponse, method: str) -> list[PropfindResult]:
        """Parse a PROPFIND answer."""
        try:
            return response.parse_propfind()
        except MALFORMED as err:
            raise self._malformed(method) from err

    def sync_result(self, response: DAVResponse) -> SyncCollectionResult:
        """Parse a sync-collection answer."""
        try:
            return response.parse_sync_collection()
        except MALFORMED as err:
            raise self._malformed("REPORT") from err

    def query_results(self, response: DAVResponse) -> list[CalendarQueryResult]:
        """Parse a calendar-multiget (or calendar-query) answer."""
        try:
            return response.parse_calendar_query()
        except MALFORMED as err:
            raise self._malformed("REPORT") from err

    def unexpected(self, response: DAVResponse, method: str) -> Unreachable:
        """Return the error for an answer with a status the caller cannot use."""
        return Unreachable(f"{self.host} answered {method} with HTTP {response.status}")

    async def propfind(
        self,
        url: str,
        props: Sequence[str],
        *,
        depth: int,
        calendar: str | None = None,
        follow_redirects: bool = False,
    ) -> tuple[str, DAVResponse]:
        """PROPFIND; return the URL that answered and the answer."""
        for _ in range(5):
            response = await self.send(
                "PROPFIND",
                url,
                body=propfind_body(*props),
                depth=depth,
                calendar=calendar,
            )
            location = response.headers.get("Location")
            if not (follow_redirects and response.status in _REDIRECTS and location):
                break
            target = urljoin(url, location)
            source_parts, target_parts = urlsplit(url), urlsplit(target)
            if target_parts.scheme != "https" and (
                target_parts.netloc != source_parts.netloc
                or target_parts.scheme != source_parts.scheme
            ):
                break  # never send credentials to another host without TLS
            url = target
        return url, response
