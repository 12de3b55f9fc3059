"""The CalDAV provider: any CalDAV server (Nextcloud, iCloud, Fastmail, Radicale, ...).

HTTP goes through the caldav library's async client (`caldav.aio.AsyncDAVClient`):
it negotiates Basic or Digest authentication from the server's challenge, detects
429/503 with Retry-After, and parses multistatus answers. A request answered 423
Locked is sent again, briefly and at most three times. The WebDAV requests
themselves are built here, because the library's high-level objects hide what a
sync needs: it drops properties it does not know from PROPFIND (getctag,
current-user-privilege-set), and its save/delete send neither `If-None-Match: *`
nor `If-Match`.

Identities, so that reading and writing agree:
- A calendar's id is its collection URL.
- An event's id is its resource name without the `.ics` suffix (a name without
  that suffix is the id itself); events this provider creates are stored as
  `<id>.ics`, with UID `Event.ical_uid`.

Changes come from the sync-collection REPORT (RFC 6578); the cursor is the sync
token. A server that refuses that report is read by ctag (CS:getctag) and an etag
listing instead; that cursor is compact JSON holding the ctag and every resource's
etag. A managed copy this provider wrote comes back with the ETag its PUT got and
is not downloaded again: the sync cycle recorded it when it wrote it; after writes,
sync-collection asks for etags only and a calendar-multiget fetches the rest.
An answer that one object's data makes unparsable (a control character some
servers write into their XML raw) is asked again without data, its multiget in
halves down to that object, which is then read alone by GET (`narrowing`).
Floating times are read in the calendar's own time zone
(CALDAV:calendar-timezone), else in the provider's `default_timezone`, else UTC.

Nothing here blocks the event loop: the TLS context is built in the executor unless
the caller passes one (Home Assistant passes its shared context), and iCalendar
parsing and writing, which may load time-zone files, run in the executor too.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, replace
from datetime import UTC, datetime, tzinfo
from functools import partial
import json
import logging
import re
import ssl
from typing import Any, Final, NoReturn
from urllib.parse import quote, unquote, urljoin, urlsplit
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from caldav import async_davclient
from caldav.aio import AsyncDAVClient, DAVResponse
from caldav.lib import error as dav_error
from caldav.response import CalendarQueryResult, PropfindResult, SyncCollectionResult

from ..engine.model import CalendarInfo, ChangeSet, Event, SkippedEvent, resource_of
from .base import (
    AuthFailed,
    CursorExpired,
    InvalidEvent,
    NotShared,
    ProviderError,
    RateLimited,
    Unreachable,
)
from .ical import event_to_ical, timezone_from_vtimezone
from .ical_objects import read_resource
from .narrowing import Unparsable, fetch_narrowing

_LOGGER = logging.getLogger(__name__)

DAV: Final = "{DAV:}"
CALDAV: Final = "{urn:ietf:params:xml:ns:caldav}"
CALSERVER: Final = "{http://calendarserver.org/ns/}"
APPLE: Final = "{http://apple.com/ns/ical/}"

_NAMESPACES = (
    'xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav" '
    'xmlns:CS="http://calendarserver.org/ns/" xmlns:A="http://apple.com/ns/ical/"'
)
_CALENDAR_PROPS = (
    "D:resourcetype",
    "D:displayname",
    "D:current-user-privilege-set",
    "C:supported-calendar-component-set",
    "C:calendar-timezone",
    "A:calendar-color",
)
_WRITE_PRIVILEGES = frozenset({f"{DAV}all", f"{DAV}write", f"{DAV}write-content"})
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
_ICALENDAR = {"Content-Type": 'text/calendar; charset="utf-8"'}
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_MULTIGET_BATCH = 100
_LOCKED_TRIES = 3
"""How often a request answered 423 Locked is sent in all (see `_request`)."""
_LOCKED_DELAY = 0.1
"""Seconds before the first repeat of a request answered 423; doubles each time."""
_MAX_SYNC_PAGES = 1000
_CURSOR_VERSION = 1
_SAFE_PATH = "/@:+!$&'()*,;=~"


# ---------------------------------------------------------------------------
# What the caldav library needs around it
# ---------------------------------------------------------------------------

_requests: ContextVar[list[int] | None] = ContextVar(
    "shared_calendars_caldav_requests", default=None
)
"""The request counter of the provider call running in this task, if any."""


def _count_request() -> None:
    counter = _requests.get()
    if counter is not None:
        counter[0] += 1


async def _count_request_hook(_request: object) -> None:
    _count_request()


class _Refused(dav_error.AuthorizationError):
    """A 401 or 403, with its status (the library keeps only the reason phrase)."""

    def __init__(self, status: int | None, original: dav_error.AuthorizationError):
        super().__init__(
            url=original.url,
            reason=original.reason,
            preconditions=original.preconditions,
            body=original.body,
        )
        self.status = status


class _Client(AsyncDAVClient):
    """caldav's async client, counting HTTP requests and keeping 401/403 apart.

    Both are overrides of the library's internal hooks (caldav is pinned in the
    manifest): its session has no public request hook, and its 401/403 error keeps
    only the reason phrase, which HTTP/2 does not even send.
    """

    counts_requests = False

    def _create_session(self) -> None:
        super()._create_session()
        # Count every HTTP request, authentication retries included (httpx family).
        hooks = getattr(self.session, "event_hooks", None)
        if isinstance(hooks, dict):
            hooks["request"] = [*hooks.get("request", []), _count_request_hook]
            self.session.event_hooks = hooks
            self.counts_requests = True

    def _raise_authorization_error(self, url_str: str, reason_source: Any) -> NoReturn:
        status = getattr(reason_source, "status_code", None)
        try:
            super()._raise_authorization_error(url_str, reason_source)
        except dav_error.AuthorizationError as err:
            raise _Refused(status if isinstance(status, int) else None, err) from None


def _transport_errors() -> tuple[type[BaseException], ...]:
    """Return the exceptions the HTTP library caldav picked raises for I/O failures."""
    errors: list[type[BaseException]] = [OSError, TimeoutError]
    http = getattr(async_davclient, "httpx", None)
    if http is not None:
        errors.append(http.TransportError)
    niquests = getattr(async_davclient, "niquests", None)
    if niquests is not None:
        errors.append(niquests.exceptions.RequestException)
    return tuple(errors)


_TRANSPORT_ERRORS = _transport_errors()
_MALFORMED = (dav_error.DAVError, SyntaxError, ValueError)
"""What the library raises on answers it cannot parse (lxml's errors are SyntaxErrors)."""


class _RedactCredentials(logging.Filter):
    """Mask credentials in the library's DEBUG lines, which print whole header sets."""

    _HEADER = re.compile(
        r"""(?ix)
        (['"]?(?:proxy-)?(?:authorization|cookie|set-cookie)['"]?\s*[:,]\s*)
        (['"])(?:(?!\2).)*\2
        """
    )

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except TypeError, ValueError:
            return True
        redacted = self._HEADER.sub(r"\1\2***\2", message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True


class _LeaveOutAnswers(logging.Filter):
    """Keep event text out of the line caldav writes for an answer that is no XML.

    It logs the whole answer at INFO, on the root logger (`logging.info`).
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if (
            record.levelno >= logging.INFO
            and isinstance(record.msg, str)
            and record.msg.startswith("Expected some valid XML from the server")
        ):
            record.msg = "A CalDAV answer was not the XML expected (left out here)"
            record.args, record.exc_info, record.exc_text = (), None, None
        return True


def _install_redaction() -> None:
    for name in ("caldav", "caldav.response", "caldav.discovery"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, _RedactCredentials) for f in logger.filters):
            logger.addFilter(_RedactCredentials())
    root = logging.getLogger()
    if not any(isinstance(f, _LeaveOutAnswers) for f in root.filters):
        root.addFilter(_LeaveOutAnswers())


_install_redaction()


def _default_ssl_context() -> ssl.SSLContext:
    """Build a verifying TLS context (reads the CA bundle: call it in the executor)."""
    import certifi

    return ssl.create_default_context(cafile=certifi.where())


def _unverified_ssl_context() -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


# ---------------------------------------------------------------------------
# Small pure helpers
# ---------------------------------------------------------------------------


def _propfind_body(*props: str) -> str:
    return (
        f'<?xml version="1.0" encoding="utf-8"?><D:propfind {_NAMESPACES}><D:prop>'
        + "".join(f"<{prop}/>" for prop in props)
        + "</D:prop></D:propfind>"
    )


def _sync_collection_body(token: str, *, with_data: bool) -> str:
    data = "<C:calendar-data/>" if with_data else ""
    return (
        f'<?xml version="1.0" encoding="utf-8"?><D:sync-collection {_NAMESPACES}>'
        f"<D:sync-token>{escape(token)}</D:sync-token><D:sync-level>1</D:sync-level>"
        f"<D:prop><D:getetag/>{data}</D:prop></D:sync-collection>"
    )


def _multiget_body(paths: Iterable[str]) -> str:
    return (
        f'<?xml version="1.0" encoding="utf-8"?><C:calendar-multiget {_NAMESPACES}>'
        "<D:prop><D:getetag/><C:calendar-data/></D:prop>"
        + "".join(f"<D:href>{escape(path)}</D:href>" for path in paths)
        + "</C:calendar-multiget>"
    )


def _path_of(url: str) -> str:
    """Return the unquoted path of a URL, without a trailing slash."""
    return unquote(urlsplit(url).path).rstrip("/")


def _url_for(base: str, path: str) -> str:
    """Join an unquoted path (as the library returns hrefs) onto `base`."""
    return urljoin(base, quote(path, safe=_SAFE_PATH))


def _resource_name(path: str) -> str:
    return path.rstrip("/").rsplit("/", 1)[-1]


def event_id_for(resource_name: str) -> str:
    """Return the event id of a resource name (the name without `.ics`)."""
    return resource_name.removesuffix(".ics") or resource_name


def _tags(value: Any) -> set[str]:
    """Return the element tags in a parsed property value (an element or a list)."""
    if isinstance(value, str):
        return {value}
    if isinstance(value, list):
        return {item for item in value if isinstance(item, str)}
    iterator = getattr(value, "iter", None)
    if iterator is None:
        return set()
    return {element.tag for element in iterator() if isinstance(element.tag, str)}


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _color(value: Any) -> str | None:
    """Return an Apple calendar-color (`#RRGGBB` or `#RRGGBBAA`) as `#rrggbb`."""
    text = _text(value)
    if text is None or not re.fullmatch(r"#[0-9a-fA-F]{6}([0-9a-fA-F]{2})?", text):
        return None
    return text[:7].lower()


def _calendar_zone(
    vtimezone: str | None, fallback: str | None
) -> tuple[str | None, tzinfo]:
    """Return a calendar's zone name and the zone its floating times are read in.

    Loads zone files: call it in the executor.
    """
    name = timezone_from_vtimezone(vtimezone)
    for candidate in (name, fallback):
        if candidate:
            try:
                return name, ZoneInfo(candidate)
            except ZoneInfoNotFoundError, ValueError:
                continue
    return name, UTC


@dataclass(frozen=True, slots=True)
class _Listing:
    """The state behind a ctag/etag cursor."""

    ctag: str | None
    etags: Mapping[str, str | None]
    """Resource name -> etag."""

    def encode(self) -> str:
        return json.dumps(
            {"v": _CURSOR_VERSION, "ctag": self.ctag, "etags": dict(self.etags)},
            separators=(",", ":"),
            sort_keys=True,
        )

    @classmethod
    def decode(cls, cursor: str) -> _Listing:
        try:
            data = json.loads(cursor)
        except ValueError:
            data = None
        if (
            not isinstance(data, dict)
            or data.get("v") != _CURSOR_VERSION
            or not isinstance(etags := data.get("etags"), dict)
            or not isinstance(ctag := data.get("ctag"), str | None)
        ):
            raise CursorExpired("The CalDAV change cursor is unreadable")
        return cls(ctag=ctag, etags={str(k): v for k, v in etags.items()})


@dataclass(slots=True)
class _Resource:
    url: str
    etag: str | None


@dataclass(frozen=True, slots=True)
class _Fetched:
    path: str
    etag: str | None
    data: str | None


class _SyncUnsupported(Exception):
    """The server refused the sync-collection REPORT."""


# ---------------------------------------------------------------------------
# The provider
# ---------------------------------------------------------------------------


class CalDavProvider:
    """Reads and writes the calendars of one CalDAV account."""

    def __init__(
        self,
        *,
        url: str,
        username: str,
        password: str,
        ssl_context: ssl.SSLContext | bool = True,
        timeout: float = 30.0,
        default_timezone: str | None = None,
    ) -> None:
        """Prepare a provider; nothing is sent until the first call.

        `url` is the server (discovery follows /.well-known/caldav and
        current-user-principal), a principal or a calendar home URL.
        `ssl_context`: a context to use (Home Assistant's shared one), True to build a
        verifying one, False to skip verification. `default_timezone` is the IANA zone
        for floating times in calendars that name no zone of their own.
        """
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("a CalDAV URL starts with http:// or https://")
        # Credentials never live in the URL (nor in any message built from it).
        host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
        netloc = host + (f":{parts.port}" if parts.port else "")
        self._url = parts._replace(netloc=netloc, path=parts.path or "/").geturl()
        self._host = netloc
        self._username = username
        self._password = password
        self._ssl = ssl_context
        self._timeout = timeout
        self._default_timezone = default_timezone
        self._client: _Client | None = None
        self._connecting = asyncio.Lock()
        self._first_request = asyncio.Lock()
        self._authenticated = asyncio.Event()
        self._home: str | None = None
        self._zones: dict[str, tzinfo] = {}
        self._sync_unsupported: set[str] = set()
        self._resources: dict[str, dict[str, _Resource]] = {}
        self._written: dict[str, dict[str, str]] = {}
        """Calendar -> resource path -> the ETag our PUT of a managed copy got.

        Only copies: the sync cycle writes them and records each as written
        (`SyncState.record_put`), so reading one back tells nothing new. Anything
        else written here (a user's event, through a service) is news to the
        engine, which learns of it from `changes`.
        """
        self._unsynced_writes: set[str] = set()
        """Calendars written to since their last sync-collection began."""

    @property
    def account(self) -> str:
        """Return the account as user@host."""
        return f"{self._username}@{self._host}"

    # -- connection and error mapping ------------------------------------------

    async def _connect(self) -> _Client:
        if self._client is not None:
            return self._client
        async with self._connecting:
            if self._client is None:
                if isinstance(self._ssl, ssl.SSLContext):
                    context = self._ssl
                elif self._ssl:
                    context = await asyncio.get_running_loop().run_in_executor(
                        None, _default_ssl_context
                    )
                else:
                    context = _unverified_ssl_context()
                self._client = _Client(
                    url=self._url,
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

    async def _run[**P, R](
        self, func: Callable[P, R], *args: P.args, **kwargs: P.kwargs
    ) -> R:
        """Run CPU work or file reads (time-zone data) in the executor."""
        return await asyncio.get_running_loop().run_in_executor(
            None, partial(func, *args, **kwargs)
        )

    async def _send(
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
        client: _Client,
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
            f"{self._host} kept {_path_of(url) or '/'} locked (HTTP 423) for"
            f" {_LOCKED_TRIES} tries"
        )

    async def _request_once(
        self,
        client: _Client,
        method: str,
        url: str,
        *,
        body: str,
        headers: dict[str, str],
        calendar: str | None,
    ) -> DAVResponse:
        if not client.counts_requests:
            _count_request()
        try:
            response = await client.request(url, method, body, headers)
        except dav_error.RateLimitError as err:
            raise RateLimited(
                f"{self._host} asks to slow down", err.retry_after_seconds
            ) from err
        except _Refused as err:
            raise self._refused(
                err.status, err.preconditions, method, calendar
            ) from err
        except dav_error.AuthorizationError as err:
            raise self._refused(None, err.preconditions, method, calendar) from err
        except _TRANSPORT_ERRORS as err:
            raise Unreachable(
                f"{self._host} cannot be reached ({type(err).__name__})"
            ) from err
        except NotImplementedError as err:
            raise AuthFailed(
                f"{self._host} offers no authentication this client speaks"
                " (Basic, Digest)"
            ) from err
        except _MALFORMED as err:
            raise self._malformed(method) from err
        if response.status >= 500 and response.status != 501:
            raise Unreachable(f"{self._host} failed: HTTP {response.status}")
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
            return _ReportRefused(f"{self._host} does not support this REPORT")
        if _INVALID_DATA_PRECONDITIONS.intersection(preconditions):
            names = ", ".join(sorted(p.split("}")[-1] for p in preconditions))
            return InvalidEvent(f"{calendar} refused the event ({names})")
        if status == 403 and calendar is not None:
            return self._not_shared(calendar, write=method in ("PUT", "DELETE"))
        if status == 403:
            return _Forbidden(f"{self.account} may not use {self._host}")
        return AuthFailed(
            f"{self._host} refused the credentials of {self._username}: check the"
            " user name and password (iCloud needs an app-specific password)"
        )

    def _not_shared(self, calendar: str, *, write: bool = False) -> NotShared:
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
            f"{self._host} answered {method} with something that is not WebDAV"
        )

    def _results(self, response: DAVResponse, method: str) -> list[PropfindResult]:
        try:
            return response.parse_propfind()
        except _MALFORMED as err:
            raise self._malformed(method) from err

    def _sync_result(self, response: DAVResponse) -> SyncCollectionResult:
        try:
            return response.parse_sync_collection()
        except _MALFORMED as err:
            raise self._malformed("REPORT") from err

    def _query_results(self, response: DAVResponse) -> list[CalendarQueryResult]:
        try:
            return response.parse_calendar_query()
        except _MALFORMED as err:
            raise self._malformed("REPORT") from err

    def _unexpected(self, response: DAVResponse, method: str) -> Unreachable:
        return Unreachable(
            f"{self._host} answered {method} with HTTP {response.status}"
        )

    async def _propfind(
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
            response = await self._send(
                "PROPFIND",
                url,
                body=_propfind_body(*props),
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

    # -- discovery --------------------------------------------------------------

    async def _calendar_home(self) -> str:
        """Find the calendar home: the URL given, its principal, or well-known."""
        if self._home is not None:
            return self._home
        well_known = urljoin(self._url, "/.well-known/caldav")
        refusal: _Forbidden | None = None
        for start in dict.fromkeys((self._url, well_known)):
            try:
                url, response = await self._propfind(
                    start,
                    ("D:current-user-principal", "C:calendar-home-set"),
                    depth=0,
                    follow_redirects=True,
                )
            except _Forbidden as err:
                refusal = err
                continue
            if response.status not in (200, 207):
                continue
            props = self._results(response, "PROPFIND")
            found = props[0].properties if props else {}
            home = found.get(f"{CALDAV}calendar-home-set")
            principal = _text(found.get(f"{DAV}current-user-principal"))
            if home is None and principal is not None:
                principal_url = urljoin(url, principal)
                _, answer = await self._propfind(
                    principal_url, ("C:calendar-home-set",), depth=0
                )
                if answer.status in (200, 207) and (
                    results := self._results(answer, "PROPFIND")
                ):
                    home = results[0].properties.get(f"{CALDAV}calendar-home-set")
                home = home or principal_url
                url = principal_url
            if isinstance(home, list):
                home = home[0] if home else None
            if isinstance(home, str) and home.strip():
                self._home = urljoin(url, home.strip())
                _LOGGER.debug("Calendar home of %s: %s", self.account, self._home)
                return self._home
        if refusal is not None:
            raise refusal
        raise Unreachable(f"No CalDAV service found at {self._url}")

    async def list_calendars(self) -> list[CalendarInfo]:
        """Return the event calendars in the account's calendar home."""
        home = await self._calendar_home()
        url, response = await self._propfind(home, _CALENDAR_PROPS, depth=1)
        if response.status not in (200, 207):
            raise self._unexpected(response, "PROPFIND")
        calendars = []
        for result in self._results(response, "PROPFIND"):
            info = await self._calendar_info(
                _url_for(url, result.href), result.properties
            )
            if info is not None:
                calendars.append(info)
        return calendars

    async def get_calendar(self, calendar_id: str) -> CalendarInfo:
        """Return one calendar, or raise `NotShared` when the account cannot use it."""
        _, response = await self._propfind(
            calendar_id, _CALENDAR_PROPS, depth=0, calendar=calendar_id
        )
        if response.status == 404:
            raise self._not_shared(calendar_id)
        if response.status not in (200, 207):
            raise self._unexpected(response, "PROPFIND")
        results = self._results(response, "PROPFIND")
        info = (
            await self._calendar_info(calendar_id, results[0].properties)
            if results and results[0].status < 300
            else None
        )
        if info is None:
            raise NotShared(
                calendar_id,
                self.account,
                f"{calendar_id} is not an event calendar {self.account} can see",
            )
        return info

    async def _calendar_info(
        self, url: str, props: Mapping[str, Any]
    ) -> CalendarInfo | None:
        if f"{CALDAV}calendar" not in _tags(props.get(f"{DAV}resourcetype")):
            return None
        components = _tags(props.get(f"{CALDAV}supported-calendar-component-set"))
        if components and "VEVENT" not in components:
            return None
        privileges = props.get(f"{DAV}current-user-privilege-set")
        writable = privileges is None or bool(
            _WRITE_PRIVILEGES.intersection(_tags(privileges))
        )
        zone_name, self._zones[url] = await self._run(
            _calendar_zone,
            _text(props.get(f"{CALDAV}calendar-timezone")),
            self._default_timezone,
        )
        return CalendarInfo(
            id=url,
            name=_text(props.get(f"{DAV}displayname")) or _resource_name(url),
            writable=writable,
            color=_color(props.get(f"{APPLE}calendar-color")),
            timezone=zone_name,
        )

    async def _floating_zone(self, calendar_id: str) -> tzinfo:
        if calendar_id not in self._zones:
            await self.get_calendar(calendar_id)
        return self._zones[calendar_id]

    # -- reading ----------------------------------------------------------------

    async def changes(
        self,
        calendar_id: str,
        cursor: str | None,
        known: Mapping[str, Event] | None = None,
    ) -> ChangeSet:
        """Return what changed since `cursor`; everything when `cursor` is None.

        A resource holds a whole series: `known` is not needed.
        """
        counter = [0]
        token = _requests.set(counter)
        try:
            changes = await self._changes(calendar_id, cursor)
        finally:
            _requests.reset(token)
        return replace(changes, requests=counter[0])

    async def _changes(self, calendar_id: str, cursor: str | None) -> ChangeSet:
        if cursor is not None and cursor.startswith("{"):
            return await self._listing_changes(calendar_id, _Listing.decode(cursor))
        if calendar_id not in self._sync_unsupported:
            try:
                return await self._sync_changes(calendar_id, cursor)
            except _SyncUnsupported:
                _LOGGER.debug(
                    "%s refuses sync-collection; reading %s by ctag and etags",
                    self._host,
                    calendar_id,
                )
                self._sync_unsupported.add(calendar_id)
        if cursor is not None:
            raise CursorExpired(
                f"{calendar_id} no longer answers sync-collection: list it in full"
            )
        return await self._listing_changes(calendar_id, None)

    async def _sync_changes(self, calendar_id: str, token: str | None) -> ChangeSet:
        floating = await self._floating_zone(calendar_id)
        collection = _path_of(calendar_id)
        fetched: dict[str, _Fetched] = {}
        deleted: dict[str, None] = {}
        current = token or ""
        # After copies we wrote, ask for etags only: they come back with the
        # etag their PUT got and need no download; the rest comes by multiget.
        # Otherwise (a quiet calendar, a first sync after a restart) the data comes
        # in the same request.
        with_data = token is None or calendar_id not in self._unsynced_writes
        self._unsynced_writes.discard(calendar_id)
        for _ in range(_MAX_SYNC_PAGES):
            try:
                response = await self._send(
                    "REPORT",
                    calendar_id,
                    body=_sync_collection_body(current, with_data=with_data),
                    depth=0,
                    calendar=calendar_id,
                )
            except _Malformed:
                if not with_data:
                    raise
                with_data = False  # as below: the library parsed it already
                continue
            except _ReportRefused as err:
                raise _SyncUnsupported from err
            except NotShared as err:
                # A 403 on a calendar just read: the report, not the calendar, is
                # refused; unless sync worked before, then the calendar is gone.
                if token is not None:
                    raise
                raise _SyncUnsupported from err
            if response.status == 404:
                raise self._not_shared(calendar_id)
            preconditions = dav_error.parse_preconditions(response.raw)
            if f"{DAV}valid-sync-token" in preconditions:
                raise CursorExpired(
                    f"The sync token of {calendar_id} is no longer valid"
                )
            if response.status not in (200, 207):
                raise _SyncUnsupported
            try:
                result = self._sync_result(response)
            except _Malformed:
                if not with_data:
                    raise
                # An object's data broke the XML: the same page again without data;
                # the data comes by multigets that leave the object out.
                with_data = False
                continue
            for item in result.changed:
                if item.href.rstrip("/") != collection and not item.href.endswith("/"):
                    fetched[item.href] = _Fetched(
                        item.href, item.etag, item.calendar_data
                    )
                    deleted.pop(item.href, None)
            for href in result.deleted:
                fetched.pop(href, None)
                deleted[href] = None
            if not result.sync_token:
                raise _SyncUnsupported
            current = result.sync_token
            if not result.truncated:
                break
        items = list(fetched.values())
        listed = len(items)
        if token is not None:
            items = self._not_own_writes(calendar_id, items)
        events, gone, skipped = await self._complete(calendar_id, items, floating)
        self._forget_writes(calendar_id, [*deleted, *gone])
        removed = [event_id_for(_resource_name(path)) for path in [*deleted, *gone]]
        self._forget(calendar_id, removed)
        return ChangeSet(
            changed=tuple(events),
            deleted=tuple(removed),
            cursor=current,
            complete=token is None,
            skipped=tuple(skipped),
            own_writes=listed - len(items),
        )

    async def _listing_changes(
        self, calendar_id: str, known: _Listing | None
    ) -> ChangeSet:
        floating = await self._floating_zone(calendar_id)
        if known is not None and known.ctag is not None:
            _, response = await self._propfind(
                calendar_id, ("CS:getctag",), depth=0, calendar=calendar_id
            )
            if response.status == 404:
                raise self._not_shared(calendar_id)
            if response.status not in (200, 207):
                raise self._unexpected(response, "PROPFIND")
            results = self._results(response, "PROPFIND")
            ctag = (
                _text(results[0].properties.get(f"{CALSERVER}getctag"))
                if results
                else None
            )
            if ctag == known.ctag:
                return ChangeSet(changed=(), deleted=(), cursor=known.encode())
        _, response = await self._propfind(
            calendar_id,
            ("D:resourcetype", "D:getetag", "CS:getctag"),
            depth=1,
            calendar=calendar_id,
        )
        if response.status == 404:
            raise self._not_shared(calendar_id)
        if response.status not in (200, 207):
            raise self._unexpected(response, "PROPFIND")
        collection = _path_of(calendar_id)
        ctag = None
        etags: dict[str, str | None] = {}
        paths: dict[str, str] = {}
        for result in self._results(response, "PROPFIND"):
            if result.href.rstrip("/") == collection:
                ctag = _text(result.properties.get(f"{CALSERVER}getctag"))
                continue
            if result.href.endswith("/") or f"{DAV}collection" in _tags(
                result.properties.get(f"{DAV}resourcetype")
            ):
                continue
            name = _resource_name(result.href)
            etags[name] = _text(result.properties.get(f"{DAV}getetag"))
            paths[name] = result.href
        previous = known.etags if known is not None else {}
        wanted = [
            _Fetched(paths[name], etag, None)
            for name, etag in etags.items()
            if known is None or etag is None or previous.get(name) != etag
        ]
        listed = len(wanted)
        if known is not None:
            wanted = self._not_own_writes(calendar_id, wanted)
        events, gone, skipped = await self._complete(calendar_id, wanted, floating)
        for path in gone:
            etags.pop(_resource_name(path), None)
        removed = [name for name in previous if name not in etags]
        written = self._written.get(calendar_id, {})
        for path in [path for path in written if _resource_name(path) not in etags]:
            del written[path]
        removed_ids = [event_id_for(name) for name in removed]
        removed_ids += [event_id_for(_resource_name(path)) for path in gone]
        self._forget(calendar_id, removed_ids)
        return ChangeSet(
            changed=tuple(events),
            deleted=tuple(dict.fromkeys(removed_ids)),
            cursor=_Listing(ctag=ctag, etags=etags).encode(),
            complete=known is None,
            skipped=tuple(skipped),
            own_writes=listed - len(wanted),
        )

    async def _complete(
        self, calendar_id: str, items: list[_Fetched], floating: tzinfo
    ) -> tuple[list[Event], list[str], list[SkippedEvent]]:
        """Fetch the data the listing lacked and convert it.

        Returns the events, the paths of resources gone meanwhile, and what could
        not be read.
        """
        missing = [item.path for item in items if item.data is None]
        ready = {item.path: item for item in items if item.data is not None}
        gone: list[str] = []
        for start in range(0, len(missing), _MULTIGET_BATCH):
            batch = missing[start : start + _MULTIGET_BATCH]
            results, spoilers = await fetch_narrowing(
                batch, partial(self._multiget, calendar_id)
            )
            for path in spoilers:
                results.append(await self._get_alone(calendar_id, path))
            for result in results:
                if result.data is None:
                    gone.append(result.path)
                else:
                    ready[result.path] = result
        converted = await self._run(
            _convert_all,
            [(item.path, item.data or "") for item in ready.values()],
            floating,
        )
        events: list[Event] = []
        skipped: list[SkippedEvent] = []
        known = self._resources.setdefault(calendar_id, {})
        for path, held, unreadable in converted:
            if held:
                known[event_id_for(_resource_name(path))] = _Resource(
                    _url_for(calendar_id, path), ready[path].etag
                )
            events.extend(held)
            skipped.extend(unreadable)
        return events, gone, skipped

    async def _multiget(self, calendar_id: str, paths: Sequence[str]) -> list[_Fetched]:
        """Fetch resources by calendar-multiget; one gone has no data.

        Raises `Unparsable` for an answer that is not XML: an object's data may
        hold what XML cannot (see `narrowing`).
        """
        try:
            response = await self._send(
                "REPORT",
                calendar_id,
                body=_multiget_body(quote(path, safe=_SAFE_PATH) for path in paths),
                calendar=calendar_id,
            )
            if response.status == 404:
                raise self._not_shared(calendar_id)
            if response.status not in (200, 207):
                raise self._unexpected(response, "REPORT")
            results = self._query_results(response)
        except _Malformed as err:
            raise Unparsable from err
        return [
            _Fetched(result.href, result.etag, None)
            if result.status == 404 or result.calendar_data is None
            else _Fetched(result.href, result.etag, result.calendar_data)
            for result in results
        ]

    async def _get_alone(self, calendar_id: str, path: str) -> _Fetched:
        """GET a resource whose data no multistatus can carry (text/calendar can)."""
        _LOGGER.debug(
            "%s cannot put a resource of %s into XML; reading it alone",
            self._host,
            calendar_id,
        )
        response = await self._send(
            "GET", _url_for(calendar_id, path), calendar=calendar_id
        )
        if response.status in (404, 410):
            return _Fetched(path, None, None)
        if response.status != 200:
            raise self._unexpected(response, "GET")
        return _Fetched(path, response.headers.get("ETag"), response.raw)

    def _not_own_writes(
        self, calendar_id: str, items: list[_Fetched]
    ) -> list[_Fetched]:
        """Drop the copies that still hold what we wrote; forget the others' PUTs.

        A resource's ETag changes with its content (RFC 4791 5.3.4: a server that
        alters what it stores sends no ETag with the PUT, so nothing is recorded),
        so one that still has the ETag of our PUT holds exactly what we wrote, and
        the engine recorded that when it wrote it.
        """
        written = self._written.get(calendar_id)
        if not written:
            return items
        kept = []
        for item in items:
            path = item.path.rstrip("/")
            if item.etag is not None and written.get(path) == item.etag:
                continue
            written.pop(path, None)
            kept.append(item)
        return kept

    def _forget_writes(self, calendar_id: str, paths: Iterable[str]) -> None:
        written = self._written.get(calendar_id, {})
        for path in paths:
            written.pop(path.rstrip("/"), None)

    def _forget(self, calendar_id: str, event_ids: Iterable[str]) -> None:
        known = self._resources.get(calendar_id, {})
        for event_id in event_ids:
            known.pop(event_id, None)

    def _candidate_urls(self, calendar_id: str, event_id: str) -> list[str]:
        """Where an event may live: where it was last seen, else `<id>.ics`, `<id>`."""
        base = calendar_id if calendar_id.endswith("/") else calendar_id + "/"
        candidates = [
            urljoin(base, quote(event_id + ".ics", safe=_SAFE_PATH.replace("/", ""))),
            urljoin(base, quote(event_id, safe=_SAFE_PATH.replace("/", ""))),
        ]
        if (seen := self._resources.get(calendar_id, {}).get(event_id)) is not None:
            candidates.insert(0, seen.url)
        return list(dict.fromkeys(candidates))

    async def get_event(self, calendar_id: str, event_id: str) -> Event | None:
        """Return one event (a series with its overrides), or None when it is gone."""
        floating = await self._floating_zone(calendar_id)
        resource = resource_of(event_id)
        for url in self._candidate_urls(calendar_id, resource):
            response = await self._send("GET", url, calendar=calendar_id)
            if response.status in (404, 410):
                continue
            if response.status != 200:
                raise self._unexpected(response, "GET")
            converted = await self._run(
                _convert_all, [(_path_of(url), response.raw)], floating
            )
            _, held, _ = converted[0]
            if held:
                self._resources.setdefault(calendar_id, {})[resource] = _Resource(
                    url, response.headers.get("ETag")
                )
            return next((event for event in held if event.id == event_id), None)
        self._forget(calendar_id, [resource])
        return None

    # -- writing ----------------------------------------------------------------

    async def put_event(
        self, calendar_id: str, event: Event, previous: Event | None = None
    ) -> Event:
        """Create `event` as `<id>.ics` (If-None-Match: *) or replace it (If-Match).

        With `previous` (an event known to exist) but no etag seen since this
        provider started, the resource is replaced without a condition.

        A 412 means someone else wrote first: the current etag is read and the
        write repeated, once for a create that found the event there, once more
        for an update that lost a race.
        """
        _refuse_part(calendar_id, event.id)
        url = self._candidate_urls(calendar_id, event.id)[0]
        seen = self._resources.get(calendar_id, {}).get(event.id)
        etag = seen.etag if seen is not None else None
        body = await self._run(event_to_ical, event, stamp=datetime.now(UTC))
        for _ in range(3):
            if etag:
                condition = {"If-Match": etag}
            else:
                condition = {} if previous is not None else {"If-None-Match": "*"}
            response = await self._send(
                "PUT",
                url,
                body=body.decode(),
                headers={**_ICALENDAR, **condition},
                calendar=calendar_id,
            )
            if response.status in (200, 201, 204):
                written = response.headers.get("ETag")
                self._resources.setdefault(calendar_id, {})[event.id] = _Resource(
                    url, written
                )
                if written and event.copy_of is not None:
                    self._written.setdefault(calendar_id, {})[_path_of(url)] = written
                    self._unsynced_writes.add(calendar_id)
                else:
                    self._forget_writes(calendar_id, [_path_of(url)])
                return event
            if response.status == 412 or (response.status == 404 and etag):
                etag = await self._current_etag(calendar_id, url)
                continue
            preconditions = dav_error.parse_preconditions(response.raw)
            if response.status == 404 or (response.status == 409 and not preconditions):
                # No such collection (RFC 4918: 409 when the parent is missing).
                raise self._not_shared(calendar_id)
            if response.status in (400, 409, 413, 415, 422):
                raise InvalidEvent(
                    f"{calendar_id} refused event {event.id}: HTTP {response.status}"
                )
            raise self._unexpected(response, "PUT")
        raise Unreachable(
            f"Event {event.id} in {calendar_id} kept changing while it was written"
        )

    async def _current_etag(self, calendar_id: str, url: str) -> str | None:
        _, response = await self._propfind(
            url, ("D:getetag",), depth=0, calendar=calendar_id
        )
        if response.status == 404:
            return None
        if response.status not in (200, 207):
            raise self._unexpected(response, "PROPFIND")
        for result in self._results(response, "PROPFIND"):
            if result.status < 300:
                return _text(result.properties.get(f"{DAV}getetag"))
        return None

    async def delete_event(self, calendar_id: str, event_id: str) -> None:
        """Delete an event; one that is already gone is not an error."""
        _refuse_part(calendar_id, event_id)
        for url in self._candidate_urls(calendar_id, event_id):
            response = await self._send("DELETE", url, calendar=calendar_id)
            if response.status in (200, 202, 204):
                break
            if response.status not in (404, 410):
                raise self._unexpected(response, "DELETE")
        self._forget_writes(
            calendar_id, map(_path_of, self._candidate_urls(calendar_id, event_id))
        )
        self._forget(calendar_id, [event_id])


def _refuse_part(calendar_id: str, event_id: str) -> None:
    """Refuse to write one of several events stored in one calendar object.

    Writing it alone would replace the others; they are changed where they were made.
    """
    if resource_of(event_id) != event_id:
        raise InvalidEvent(
            f"Event {event_id} in {calendar_id} is stored together with other events "
            "in one calendar object; change it in the calendar app that made it"
        )


class _Forbidden(AuthFailed):
    """A 403 outside any calendar: discovery tries the next URL before giving up."""


class _ReportRefused(Unreachable):
    """A REPORT refused with DAV:supported-report: the server does not know it."""


class _Malformed(Unreachable):
    """An answer that is not the XML it should be (see `CalDavProvider._multiget`)."""


def _convert_all(
    items: Sequence[tuple[str, str]], floating: tzinfo
) -> list[tuple[str, list[Event], list[SkippedEvent]]]:
    """Convert calendar object resources (path, data), and say what is unreadable."""
    converted: list[tuple[str, list[Event], list[SkippedEvent]]] = []
    for path, data in items:
        events, skipped = read_resource(
            data, event_id_for(_resource_name(path)), floating=floating
        )
        for item in skipped:
            _LOGGER.debug("Cannot read %s in %s (%s)", item.id, path, item.reason)
        converted.append((path, events, skipped))
    return converted
