"""A fake Google Calendar API v3 and OAuth 2.0 token endpoint, served on loopback.

It reproduces the documented behaviour our provider relies on, so that the real
`gcal-sync` client and the real JWT-bearer token exchange can be tested over HTTP:

- `POST /token`: the service-account grant
  (`urn:ietf:params:oauth:grant-type:jwt-bearer`). The assertion's RS256 signature is
  checked against the public half of the key registered for its `iss`; `aud` must be
  this endpoint; `scope` must name Google scopes (the API then refuses a token without
  a Calendar scope); `iat`/`exp` must describe a token of at most an hour, valid now.
  Answers `{"access_token", "expires_in", "token_type": "Bearer"}`, or OAuth's
  `{"error", "error_description"}` with 400. Tokens expire after `token_lifetime`.
- `/calendar/v3`: calendarList (list, get, insert), calendars (get, insert), events
  (list, get, insert, update, patch, delete, watch) and channels.stop, with Google's
  error JSON (`{"error": {"code", "message", "errors": [{"domain", "reason",
  "message"}]}}`).

Where Google's documentation leaves room, the fake takes the strict reading, so that a
client that works here does not lean on luck: deleted events come back in listings
with only the fields Google guarantees; an id that was ever used answers 409; sync
tokens are opaque and die on `expire_sync_tokens()`; an instance id names an
occurrence the series makes (its RRULEs, as a union, and RDATEs, less its EXDATEs)
or answers 404; an update whose `sequence` is below the stored one answers 400
("Invalid sequence value"), and Google raises the sequence itself when an update
changes the times or the recurrence.

Not implemented (a 400 says so where a client could ask): `singleEvents=true`,
`orderBy`, `q`, `updatedMin`, `fields` (always the full resource), events.instances,
events.move/import/quickAdd, ACL and settings resources, free/busy.
"""

from __future__ import annotations

import asyncio
from base64 import b32hexencode
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
import functools
import json
import math
import random
import re
import secrets
import socket
import time
from typing import Any, Final, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aiohttp import ClientError, ClientSession, ClientTimeout, web
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from gcal_sync.model import Event as GcalEvent
from ical.recurrence import Recurrences
import jwt
from multidict import MultiMapping

JWT_BEARER_GRANT: Final = "urn:ietf:params:oauth:grant-type:jwt-bearer"
CALENDAR_SCOPE: Final = "https://www.googleapis.com/auth/calendar"
"""The scope the provider asks for; `.../auth/calendar.events` also grants events."""
_EVENT_SCOPES: Final = frozenset({CALENDAR_SCOPE, f"{CALENDAR_SCOPE}.events"})
_API_PREFIX: Final = "/calendar/v3"
_EVENT_ID = re.compile(r"[a-v0-9]{5,1024}")
_INSTANCE_SUFFIX = re.compile(r"\d{8}(T\d{6}Z)?")
_MAX_TOKEN_LIFETIME: Final = 3600
_CLOCK_SKEW: Final = 300
_DEFAULT_PAGE: Final = 250
_MAX_PAGE: Final = 2500
_WRITE_ROLES: Final = frozenset({"writer", "owner"})
_READ_ROLES: Final = frozenset({"reader", "writer", "owner"})
_WRITABLE_FIELDS: Final = (
    "summary",
    "description",
    "location",
    "colorId",
    "start",
    "end",
    "recurrence",
    "transparency",
    "visibility",
    "status",
    "extendedProperties",
    "attendees",
    "reminders",
    "source",
)
_RATE_LIMIT_MESSAGES: Final = {
    "rateLimitExceeded": "Rate Limit Exceeded",
    "userRateLimitExceeded": "User Rate Limit Exceeded",
    "quotaExceeded": "Calendar usage limits exceeded.",
}
_EVENT_WRITES: Final = frozenset(
    {"events.insert", "events.update", "events.patch", "events.delete"}
)
_SYNC_INCOMPATIBLE: Final = (
    "iCalUID",
    "orderBy",
    "privateExtendedProperty",
    "q",
    "sharedExtendedProperty",
    "timeMin",
    "timeMax",
    "updatedMin",
)


def free_port() -> int:
    """Return a loopback TCP port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class ManualClock:
    """A clock for the fake and the provider that only moves when a test moves it."""

    def __init__(self) -> None:
        """Start at the real time."""
        self.now = time.time()

    def __call__(self) -> float:
        """Return the current (fake) epoch seconds."""
        return self.now

    def advance(self, seconds: float) -> None:
        """Move the clock forward."""
        self.now += seconds


@functools.cache
def rsa_test_key(index: int = 0) -> rsa.RSAPrivateKey:
    """Return an RSA key for tests, generated once per test session and index.

    Keys are never written to disk; generating a 2048-bit key takes ~100 ms, so the
    session shares them.
    """
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def service_account_key(
    email: str, token_uri: str, private_key: rsa.RSAPrivateKey, key_id: str = "k1"
) -> dict[str, str]:
    """Return a service-account JSON key shaped like the one Google issues."""
    pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    project = email.partition("@")[2].partition(".")[0] or "test-project"
    return {
        "type": "service_account",
        "project_id": project,
        "private_key_id": key_id,
        "private_key": pem,
        "client_email": email,
        "client_id": "100000000000000000001",
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": token_uri,
        "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
        "client_x509_cert_url": f"https://www.googleapis.com/robot/v1/metadata/x509/{email}",
        "universe_domain": "googleapis.com",
    }


class GoogleError(Exception):
    """An error the fake answers with, in Google's JSON shape."""

    def __init__(
        self,
        status: int,
        reason: str,
        message: str,
        *,
        domain: str = "global",
        headers: dict[str, str] | None = None,
    ) -> None:
        """Describe the reply: HTTP status, Google's reason code and message."""
        super().__init__(message)
        self.status = status
        self.reason = reason
        self.message = message
        self.domain = domain
        self.headers = headers or {}

    def response(self) -> web.Response:
        """Return the HTTP reply Google would send."""
        body = {
            "error": {
                "code": self.status,
                "message": self.message,
                "errors": [
                    {
                        "domain": self.domain,
                        "reason": self.reason,
                        "message": self.message,
                    }
                ],
            }
        }
        return web.json_response(body, status=self.status, headers=self.headers)


def _full_sync_required() -> GoogleError:
    return GoogleError(
        410,
        "fullSyncRequired",
        "Sync token is no longer valid, a full sync is required.",
        domain="calendar",
    )


def _not_found() -> GoogleError:
    return GoogleError(404, "notFound", "Not Found")


def _invalid(message: str, reason: str = "invalid") -> GoogleError:
    return GoogleError(400, reason, message)


def _rfc3339(epoch: float) -> str:
    """Format a time the way Google's `updated` and `created` fields are."""
    return (
        datetime.fromtimestamp(epoch, UTC)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z")
    )


def _random_id() -> str:
    """Return an id like the ones Google generates (base32hex, 26 characters)."""
    return b32hexencode(secrets.token_bytes(16)).decode().lower().rstrip("=")


def _zone(name: Any, what: str) -> ZoneInfo:
    if not isinstance(name, str):
        raise _invalid(f"Invalid time zone definition for {what}.")
    try:
        return ZoneInfo(name)
    except ZoneInfoNotFoundError, ValueError:
        raise _invalid(f"Invalid time zone definition for {what}.") from None


def _parse_datetime(value: Any, what: str) -> datetime:
    if not isinstance(value, str):
        raise _invalid(f"Invalid {what}.")
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise _invalid(f"Invalid {what}.") from None


def _normalize_when(value: Any, what: str, calendar_zone: str) -> dict[str, str]:
    """Validate a `start`/`end`/`originalStartTime` and return it as Google stores it.

    Google presents a `dateTime` in the event's `timeZone` (or the calendar's, when the
    event gives none) with its UTC offset.
    """
    if not isinstance(value, dict):
        raise _invalid(f"Missing {what}.", "required")
    if "date" in value and value["date"] is not None:
        if value.get("dateTime") is not None or value.get("timeZone") is not None:
            raise _invalid(f"Invalid {what}.")
        try:
            day = date.fromisoformat(value["date"])
        except TypeError, ValueError:
            raise _invalid(f"Invalid {what}.") from None
        return {"date": day.isoformat()}
    if value.get("dateTime") is None:
        raise _invalid(f"Missing {what}.", "required")
    moment = _parse_datetime(value["dateTime"], what).replace(microsecond=0)
    if (zone_name := value.get("timeZone")) is not None:
        zone = _zone(zone_name, what)
        moment = (
            moment.replace(tzinfo=zone)
            if moment.tzinfo is None
            else moment.astimezone(zone)
        )
        return {"dateTime": moment.isoformat(), "timeZone": zone_name}
    if moment.tzinfo is None:
        raise _invalid(f"Missing time zone definition for {what}.")
    return {"dateTime": moment.astimezone(ZoneInfo(calendar_zone)).isoformat()}


def _when_value(when: dict[str, str]) -> date | datetime:
    """Return a stored `start`/`end` as a date or an aware datetime."""
    if "date" in when:
        return date.fromisoformat(when["date"])
    return datetime.fromisoformat(when["dateTime"])


def _as_utc(value: date | datetime) -> datetime:
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    return datetime(value.year, value.month, value.day, tzinfo=UTC)


def _instance_suffix(original: date | datetime) -> str:
    """Return the part after `_` in an instance id: `20240101` or `20240101T100000Z`."""
    if isinstance(original, datetime):
        return original.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return original.strftime("%Y%m%d")


def _sequence(body: dict[str, Any]) -> int | None:
    """Return the `sequence` a write sends (None when it sends none)."""
    value = body.get("sequence")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _invalid("Invalid sequence value.")
    return value


def _next_sequence(
    current: dict[str, Any], body: dict[str, Any], *, moved: bool
) -> int:
    """Return the sequence an update stores.

    Google refuses a sequence below the stored one; without one (or with the stored
    one) it raises it itself when the times or the recurrence change.
    """
    stored = int(current.get("sequence", 0))
    given = _sequence(body)
    if given is not None and given < stored:
        raise _invalid(
            "Invalid sequence value. The specified sequence number is below the "
            "current sequence number of the resource."
        )
    if given is not None and given > stored:
        return given
    return stored + (1 if moved else 0)


def _merge_patch(target: dict[str, Any], patch: dict[str, Any]) -> None:
    """Apply patch semantics: objects merge, arrays and scalars replace, null removes."""
    for key, value in patch.items():
        if value is None:
            target.pop(key, None)
        elif isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge_patch(target[key], value)
        else:
            target[key] = value


@dataclass(kw_only=True)
class ServiceAccount:
    """A principal that may sign token requests."""

    email: str
    public_key: rsa.RSAPublicKey
    key_id: str
    revoked: bool = False


@dataclass(frozen=True, kw_only=True)
class Grant:
    """What an access token stands for.

    Google issues a token for any of its scopes; the Calendar API refuses one
    without a Calendar scope (403 insufficientPermissions).
    """

    email: str
    expires: float
    """Epoch seconds."""
    scopes: frozenset[str]


@dataclass(kw_only=True)
class StoredEvent:
    """One event resource and the change sequence number of its last write."""

    resource: dict[str, Any]
    seq: int

    @property
    def cancelled(self) -> bool:
        """Return whether the event is deleted (or, for an exception, cancelled)."""
        return isinstance(self.resource, dict) and self.resource.get("status") == (
            "cancelled"
        )

    def listed(self) -> dict[str, Any]:
        """Return the event as `events.list` shows it.

        Google guarantees only `id` on a deleted event, and only `id`,
        `recurringEventId` and `originalStartTime` on a cancelled exception.
        """
        if not isinstance(self.resource, dict):
            return self.resource  # stored raw by `put_raw`: listed as it is
        if not self.cancelled:
            return dict(self.resource)
        kept: tuple[str, ...] = ("kind", "etag", "id", "status", "updated")
        if "recurringEventId" in self.resource:
            kept += ("recurringEventId", "originalStartTime")
        return {key: self.resource[key] for key in kept if key in self.resource}


@dataclass(kw_only=True)
class Channel:
    """A push-notification channel opened by events.watch."""

    id: str
    resource_id: str
    calendar_id: str
    address: str
    token: str | None
    expiration_ms: int
    message_number: int = 0
    stopped: bool = False


@dataclass(frozen=True, kw_only=True)
class Notification:
    """A push notification the fake delivered (or tried to)."""

    channel_id: str
    resource_state: str
    message_number: int
    status: int | None
    """The receiver's HTTP status, None when it could not be reached."""


@dataclass(kw_only=True)
class FakeCalendar:
    """A calendar, its sharing and its events."""

    id: str
    summary: str
    time_zone: str
    acl: dict[str, str]
    """E-mail -> role (`reader`, `writer`, `owner`)."""
    events: dict[str, StoredEvent] = field(default_factory=dict)
    """Event id -> event, deleted ones included (Google never frees an id)."""


@dataclass(frozen=True, kw_only=True)
class _SyncToken:
    calendar_id: str
    seq: int
    generation: int


@dataclass(kw_only=True)
class _PageCursor:
    calendar_id: str
    access_role: str
    items: list[dict[str, Any]]
    offset: int
    page_size: int
    sync_token: str


@dataclass(kw_only=True)
class WriteQuota:
    """A sliding quota of event writes (by default a minute's), and what it let through."""

    writes: int
    period: float
    status: int
    reason: str
    accepted: int = 0
    """Writes let through (answered by the API, whatever the answer)."""
    refused: int = 0
    """Writes refused as over the quota."""
    _recent: deque[float] = field(default_factory=deque)

    def admit(self, now: float) -> GoogleError | None:
        """Count a write at `now`; return the refusal when it is over the quota."""
        while self._recent and self._recent[0] <= now - self.period:
            self._recent.popleft()
        if len(self._recent) < self.writes:
            self._recent.append(now)
            self.accepted += 1
            return None
        self.refused += 1
        headers = {}
        if self.status == 429:
            wait = max(1, math.ceil(self._recent[0] + self.period - now))
            headers["Retry-After"] = str(wait)
        message = _RATE_LIMIT_MESSAGES.get(self.reason, "Rate Limit Exceeded")
        return GoogleError(
            self.status, self.reason, message, domain="usageLimits", headers=headers
        )


class FakeGoogle:
    """Google Calendar API v3 and its token endpoint on 127.0.0.1.

    Use it as an async context manager, or call `start()` and `stop()`. The
    attributes and methods under "knobs" shape the next answers. Under
    pytest-homeassistant-custom-component, tests need the `socket_enabled` fixture.
    """

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.time,
        token_lifetime: int = 3600,
        seed: int = 0,
    ) -> None:
        """Prepare an empty server; `clock` gives the epoch seconds it believes in."""
        self.clock = clock
        self.token_lifetime = token_lifetime
        """Seconds an access token lives."""
        self.latency: float = 0.0
        """Seconds every request waits before it is answered (for benchmarks)."""
        self.on_request: Callable[[str], Awaitable[None]] | None = None
        """Called with each Calendar API request's method before it is handled (a
        test kills a sync cycle at its n-th request)."""
        self.error_rate: float = 0.0
        """Share of Calendar API requests answered with 503 at random."""
        self.requests: Counter[tuple[str, str]] = Counter()
        """Requests answered, by (HTTP method, route name such as `events.list`)."""
        self.notifications: list[Notification] = []
        """Push notifications delivered, in order."""
        self.assertions: list[str] = []
        """Every JWT assertion the token endpoint received (to prove none is logged)."""
        self.access_tokens: dict[str, Grant] = {}
        """Valid access tokens and what they grant."""
        self.issued_tokens: list[str] = []
        """Every access token ever issued (to prove none is logged)."""
        self._random = random.Random(seed)
        self._accounts: dict[str, ServiceAccount] = {}
        self._calendars: dict[str, FakeCalendar] = {}
        self._calendar_lists: dict[str, list[str]] = {}
        self._channels: dict[str, Channel] = {}
        self._sync_tokens: dict[str, _SyncToken] = {}
        self._pages: dict[str, _PageCursor] = {}
        self._seq = 0
        self._token_generation = 0
        self._forced: list[GoogleError] = []
        self._emptied: set[str] = set()
        self._tokens_while_empty: set[str] = set()
        self.write_quota: WriteQuota | None = None
        """A per-minute quota of event writes, when a test sets one (`limit_writes`)."""
        self.refused_summaries: set[str] = set()
        """Event writes whose summary contains one of these are refused with 400."""
        self.push_reroute: Callable[[str], str] | None = None
        """Where a notification for a channel's address really goes: the reverse
        proxy that, in front of Home Assistant, answers its public HTTPS address."""
        self._deliveries: set[asyncio.Task[None]] = set()
        self._runner: web.AppRunner | None = None
        self._session: ClientSession | None = None
        self.port = 0

    # ----------------------------------------------------------------- lifecycle

    async def start(self) -> None:
        """Listen on a free loopback port."""
        app = web.Application(middlewares=[self._middleware])
        self._routes(app)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        self._session = ClientSession(timeout=ClientTimeout(total=5))

    async def stop(self) -> None:
        """Deliver pending notifications, then stop listening."""
        await self.drain_notifications()
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> Self:
        """Start the server."""
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        """Stop the server."""
        await self.stop()

    @property
    def base_url(self) -> str:
        """Return `http://127.0.0.1:<port>`."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_root(self) -> str:
        """Return the Calendar API root, what Google serves at .../calendar/v3."""
        return f"{self.base_url}{_API_PREFIX}"

    @property
    def token_uri(self) -> str:
        """Return the token endpoint, what a key's `token_uri` points at."""
        return f"{self.base_url}/token"

    # ---------------------------------------------------------- set-up helpers

    def register_service_account(
        self, email: str, public_key: rsa.RSAPublicKey, key_id: str = "k1"
    ) -> None:
        """Accept token requests signed by the private half of `public_key`."""
        self._accounts[email] = ServiceAccount(
            email=email, public_key=public_key, key_id=key_id
        )
        self._calendar_lists.setdefault(email, [])

    def create_calendar(
        self,
        summary: str,
        *,
        owner: str = "owner@example.com",
        time_zone: str = "UTC",
        calendar_id: str | None = None,
    ) -> str:
        """Create a calendar owned by `owner` (a person, not an API principal)."""
        calendar_id = calendar_id or f"{_random_id()}@group.calendar.google.com"
        self._calendars[calendar_id] = FakeCalendar(
            id=calendar_id, summary=summary, time_zone=time_zone, acl={owner: "owner"}
        )
        self._calendar_lists.setdefault(owner, []).append(calendar_id)
        return calendar_id

    def share(
        self, calendar_id: str, email: str, role: str, *, in_calendar_list: bool = True
    ) -> None:
        """Share a calendar with `email` as `reader` or `writer`.

        Google does not add a calendar shared with a service account to its calendar
        list; pass `in_calendar_list=False` to reproduce that (calendarList.insert adds
        it later). The default spares tests that step.
        """
        self._calendars[calendar_id].acl[email] = role
        entries = self._calendar_lists.setdefault(email, [])
        if in_calendar_list and calendar_id not in entries:
            entries.append(calendar_id)

    def unshare(self, calendar_id: str, email: str) -> None:
        """Take a calendar away from `email` (it stays in its calendar list)."""
        self._calendars[calendar_id].acl.pop(email, None)

    def insert_event(self, calendar_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """Insert an event as the calendar's owner would, e.g. in the Google UI."""
        return self._insert(self._calendars[calendar_id], body, "owner@example.com")

    def update_event(
        self, calendar_id: str, event_id: str, body: dict[str, Any]
    ) -> dict[str, Any]:
        """Replace an event as the calendar's owner would (events.update)."""
        return self._update(self._calendars[calendar_id], event_id, body, patch=False)

    def put_raw(
        self, calendar_id: str, resource: Any, *, key: str | None = None
    ) -> str:
        """Store `resource` exactly as given, unchecked, and list it as it is.

        For data Google may send but a client cannot read (a missing `start`, a
        status no documentation names, an item that is no object). It is stored
        under `key`, else its `id`, else a new id; returns that key.
        """
        event_id = resource.get("id") if isinstance(resource, dict) else None
        key = key or (event_id if isinstance(event_id, str) else _random_id())
        calendar = self._calendars[calendar_id]
        calendar.events[key] = StoredEvent(resource=resource, seq=self._next_seq())
        self._notify(calendar)
        return key

    def delete_event(self, calendar_id: str, event_id: str) -> None:
        """Delete an event as the calendar's owner would (events.delete)."""
        self._delete(self._calendars[calendar_id], event_id)

    def event(self, calendar_id: str, event_id: str) -> dict[str, Any] | None:
        """Return the stored event resource (deleted ones too), for assertions."""
        stored = self._calendars[calendar_id].events.get(event_id)
        return None if stored is None else dict(stored.resource)

    def live_events(self, calendar_id: str) -> dict[str, dict[str, Any]]:
        """Return the calendar's events that are not deleted, by id, for assertions."""
        return {
            event_id: dict(stored.resource)
            for event_id, stored in self._calendars[calendar_id].events.items()
            if not stored.cancelled
        }

    def channel(self, channel_id: str) -> Channel:
        """Return a watch channel, for assertions."""
        return self._channels[channel_id]

    # -------------------------------------------------------------------- knobs

    def fail_next(self, count: int, status: int = 503) -> None:
        """Answer the next `count` Calendar API requests with `status` (a 5xx)."""
        reason = "backendError" if status >= 500 else "failedByTest"
        message = "Backend Error" if status >= 500 else "Failed by the test"
        self._forced.extend(GoogleError(status, reason, message) for _ in range(count))

    def stop_failing(self) -> None:
        """Answer normally again, whatever `fail_next` had left to fail."""
        self._forced.clear()

    def rate_limit_next(
        self,
        count: int,
        *,
        retry_after: int | str | None = None,
        status: int = 429,
        reason: str = "rateLimitExceeded",
    ) -> None:
        """Answer the next `count` Calendar API requests as rate limited.

        `status` 429 (with Retry-After, seconds or an HTTP date, when given), or 403 with `reason`
        `rateLimitExceeded`, `userRateLimitExceeded` or `quotaExceeded` as Google
        does for its per-user and per-project quotas.
        """
        headers = {} if retry_after is None else {"Retry-After": str(retry_after)}
        message = _RATE_LIMIT_MESSAGES.get(reason, "Rate Limit Exceeded")
        self._forced.extend(
            GoogleError(status, reason, message, domain="usageLimits", headers=headers)
            for _ in range(count)
        )

    def answer_empty(self, calendar_id: str, empty: bool = True) -> None:
        """List a calendar as empty, like a broken backend, until `empty` is False.

        Meanwhile full listings hold no event and every sync token answers 410
        `fullSyncRequired`; the tokens issued meanwhile stay refused afterwards.
        """
        if empty:
            self._emptied.add(calendar_id)
        else:
            self._emptied.discard(calendar_id)

    def limit_writes(
        self,
        writes: int,
        *,
        period: float = 60.0,
        status: int = 429,
        reason: str = "rateLimitExceeded",
    ) -> WriteQuota:
        """Accept at most `writes` event writes in any `period` s of the server's clock.

        A write over the quota is refused: 429 with Retry-After (the seconds until
        the oldest counted write leaves the period), or 403 with `reason` and no
        Retry-After, as Google answers for its per-user quotas. Refused writes do
        not count against the quota.
        """
        self.write_quota = WriteQuota(
            writes=writes, period=period, status=status, reason=reason
        )
        return self.write_quota

    def expire_sync_tokens(self) -> None:
        """Make every sync token issued so far answer 410 `fullSyncRequired`."""
        self._token_generation += 1

    def expire_access_tokens(self) -> None:
        """Make every access token issued so far answer 401, as expiry would."""
        self.access_tokens.clear()

    def revoke_key(self, email: str) -> None:
        """Delete the service account's key: no new tokens, existing ones answer 401."""
        self._accounts[email].revoked = True
        for token, grant in list(self.access_tokens.items()):
            if grant.email == email:
                del self.access_tokens[token]

    def count(self, route: str, method: str | None = None) -> int:
        """Return how many requests a route answered (any method unless given)."""
        return sum(
            number
            for (verb, name), number in self.requests.items()
            if name == route and method in (None, verb)
        )

    def api_request_count(self) -> int:
        """Return how many Calendar API requests were answered (token endpoint excluded)."""
        return sum(
            number for (_, name), number in self.requests.items() if name != "token"
        )

    async def drain_notifications(self) -> None:
        """Wait until every push notification scheduled so far was delivered."""
        while self._deliveries:
            await asyncio.gather(*self._deliveries)

    # ---------------------------------------------------------------- plumbing

    def _routes(self, app: web.Application) -> None:
        """Route each Google method; its name is what `requests` counts."""
        add = app.router.add_route
        api = _API_PREFIX
        listing = f"{api}/users/me/calendarList"
        calendar = f"{api}/calendars/{{calendarId}}"
        events = f"{calendar}/events"
        event = f"{events}/{{eventId}}"
        add("POST", "/token", self._token, name="token")
        add("GET", listing, self._calendar_list, name="calendarList.list")
        add("POST", listing, self._calendar_list_insert, name="calendarList.insert")
        add(
            "GET",
            f"{listing}/{{calendarId}}",
            self._calendar_list_get,
            name="calendarList.get",
        )
        add("POST", f"{api}/calendars", self._calendars_insert, name="calendars.insert")
        add("GET", calendar, self._calendars_get, name="calendars.get")
        add("GET", events, self._events_list, name="events.list")
        add("POST", events, self._events_insert, name="events.insert")
        add("POST", f"{events}/watch", self._events_watch, name="events.watch")
        add("GET", event, self._events_get, name="events.get")
        add("PUT", event, self._events_update, name="events.update")
        add("PATCH", event, self._events_patch, name="events.patch")
        add("DELETE", event, self._events_delete, name="events.delete")
        add("POST", f"{api}/channels/stop", self._channels_stop, name="channels.stop")

    @web.middleware
    async def _middleware(
        self,
        request: web.Request,
        handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
    ) -> web.StreamResponse:
        """Count, delay, apply the failure knobs, authenticate, map errors."""
        route = request.match_info.route.name or "unknown"
        self.requests[(request.method, route)] += 1
        if self.on_request is not None and route not in ("token", "unknown"):
            await self.on_request(request.method)
        if self.latency:
            await asyncio.sleep(self.latency)
        if route not in ("token", "unknown"):
            if self._forced:
                return self._forced.pop(0).response()
            if self.error_rate and self._random.random() < self.error_rate:
                return GoogleError(503, "backendError", "Backend Error").response()
            if (
                self.write_quota is not None
                and route in _EVENT_WRITES
                and (refusal := self.write_quota.admit(self.clock())) is not None
            ):
                return refusal.response()
        try:
            if route not in ("token", "unknown"):
                request["principal"] = self._authenticate(request)
            return await handler(request)
        except GoogleError as err:
            return err.response()

    def _authenticate(self, request: web.Request) -> str:
        header = request.headers.get("Authorization", "")
        token = header.removeprefix("Bearer ").strip()
        grant = self.access_tokens.get(token) if header.startswith("Bearer ") else None
        if grant is None or grant.expires <= self.clock():
            raise GoogleError(
                401,
                "authError",
                "Invalid Credentials",
                headers={
                    "WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'
                },
            )
        if not grant.scopes & _EVENT_SCOPES:
            raise GoogleError(
                403,
                "insufficientPermissions",
                "Request had insufficient authentication scopes.",
            )
        return grant.email

    async def _json_body(self, request: web.Request) -> dict[str, Any]:
        try:
            body = await request.json()
        except ValueError:
            raise GoogleError(400, "parseError", "Parse Error") from None
        if not isinstance(body, dict):
            raise GoogleError(400, "parseError", "Parse Error")
        return body

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def _etag(self, seq: int) -> str:
        return f'"{3_000_000_000_000_000 + seq}"'

    # ------------------------------------------------------------------ access

    def _calendar(
        self, principal: str, calendar_id: str, *, write: bool
    ) -> FakeCalendar:
        """Return a calendar the principal may read (or write), as Google decides it."""
        calendar = self._calendars.get(calendar_id)
        role = None if calendar is None else calendar.acl.get(principal)
        if calendar is None or role not in _READ_ROLES:
            raise _not_found()
        if write and role not in _WRITE_ROLES:
            raise GoogleError(
                403,
                "requiredAccessLevel",
                "You need to have writer access to this calendar.",
                domain="calendar",
            )
        return calendar

    def _list_entry(self, principal: str, calendar: FakeCalendar) -> dict[str, Any]:
        return {
            "kind": "calendar#calendarListEntry",
            "etag": self._etag(0),
            "id": calendar.id,
            "summary": calendar.summary,
            "timeZone": calendar.time_zone,
            "colorId": "14",
            "backgroundColor": "#9fe1e7",
            "foregroundColor": "#000000",
            "selected": True,
            "accessRole": calendar.acl[principal],
            "defaultReminders": [],
        }

    # ------------------------------------------------------------------- token

    async def _token(self, request: web.Request) -> web.StreamResponse:
        """OAuth 2.0 token endpoint for service accounts (RFC 7523 JWT bearer grant)."""
        form = await request.post()
        grant_type = form.get("grant_type")
        grant_type = grant_type if isinstance(grant_type, str) else None
        assertion = form.get("assertion")
        if grant_type != JWT_BEARER_GRANT:
            return _oauth_error(
                "unsupported_grant_type", f"Invalid grant_type: {grant_type}"
            )
        if not isinstance(assertion, str) or not assertion:
            return _oauth_error(
                "invalid_request", "Missing required parameter: assertion"
            )
        self.assertions.append(assertion)
        try:
            unverified = jwt.decode(assertion, options={"verify_signature": False})
            header = jwt.get_unverified_header(assertion)
        except jwt.PyJWTError:
            return _oauth_error("invalid_grant", "Invalid JWT: malformed.")
        account = self._accounts.get(str(unverified.get("iss")))
        if account is None:
            return _oauth_error("invalid_grant", "Invalid grant: account not found")
        if account.revoked or header.get("kid", account.key_id) != account.key_id:
            return _oauth_error("invalid_grant", "Invalid JWT Signature.")
        try:
            claims = jwt.decode(
                assertion,
                account.public_key,
                algorithms=["RS256"],
                audience=self.token_uri,
                issuer=account.email,
                options={
                    "verify_exp": False,
                    "verify_iat": False,
                    "verify_nbf": False,
                    "require": ["iss", "aud", "exp", "iat"],
                },
            )
        except jwt.InvalidSignatureError:
            return _oauth_error("invalid_grant", "Invalid JWT Signature.")
        except jwt.InvalidAudienceError:
            return _oauth_error("invalid_grant", "Invalid JWT: Failed audience check.")
        except jwt.PyJWTError as err:
            return _oauth_error("invalid_grant", f"Invalid JWT: {err}")
        now = self.clock()
        iat, exp = claims["iat"], claims["exp"]
        if (
            not isinstance(iat, int | float)
            or not isinstance(exp, int | float)
            or exp - iat > _MAX_TOKEN_LIFETIME
            or iat > now + _CLOCK_SKEW
            or exp < now - _CLOCK_SKEW
        ):
            return _oauth_error(
                "invalid_grant",
                "Invalid JWT: Token must be a short-lived token (60 minutes) and in a "
                "reasonable timeframe. Check your iat and exp values in the JWT claim.",
            )
        scopes = frozenset(str(claims.get("scope", "")).split())
        if not scopes:
            return _oauth_error("invalid_scope", "Empty or missing scope not allowed.")
        if not all(
            scope.startswith("https://www.googleapis.com/auth/") for scope in scopes
        ):
            return _oauth_error(
                "invalid_scope", "Invalid OAuth scope or ID token audience provided."
            )
        token = f"ya29.fake-{secrets.token_urlsafe(32)}"
        self.access_tokens[token] = Grant(
            email=account.email, expires=now + self.token_lifetime, scopes=scopes
        )
        self.issued_tokens.append(token)
        return web.json_response(
            {
                "access_token": token,
                "expires_in": self.token_lifetime,
                "token_type": "Bearer",
            }
        )

    # ----------------------------------------------------------- calendarList

    async def _calendar_list(self, request: web.Request) -> web.StreamResponse:
        principal: str = request["principal"]
        entries = [
            self._list_entry(principal, self._calendars[calendar_id])
            for calendar_id in self._calendar_lists.get(principal, [])
            if principal in self._calendars[calendar_id].acl
        ]
        page_size = _page_size(request, default=100, maximum=250)
        offset = _int_token(request.query.get("pageToken"))
        body: dict[str, Any] = {
            "kind": "calendar#calendarList",
            "etag": self._etag(self._seq),
            "items": entries[offset : offset + page_size],
        }
        if offset + page_size < len(entries):
            body["nextPageToken"] = str(offset + page_size)
        else:
            body["nextSyncToken"] = f"list-{self._seq}"
        return web.json_response(body)

    async def _calendar_list_get(self, request: web.Request) -> web.StreamResponse:
        principal: str = request["principal"]
        calendar_id = request.match_info["calendarId"]
        if calendar_id not in self._calendar_lists.get(principal, []):
            raise _not_found()
        calendar = self._calendar(principal, calendar_id, write=False)
        return web.json_response(self._list_entry(principal, calendar))

    async def _calendar_list_insert(self, request: web.Request) -> web.StreamResponse:
        principal: str = request["principal"]
        body = await self._json_body(request)
        calendar = self._calendar(principal, str(body.get("id", "")), write=False)
        entries = self._calendar_lists.setdefault(principal, [])
        if calendar.id not in entries:
            entries.append(calendar.id)
        return web.json_response(self._list_entry(principal, calendar))

    # -------------------------------------------------------------- calendars

    async def _calendars_insert(self, request: web.Request) -> web.StreamResponse:
        principal: str = request["principal"]
        body = await self._json_body(request)
        if not body.get("summary"):
            raise _invalid("Missing title.", "required")
        zone = body.get("timeZone", "UTC")
        _zone(zone, "calendar")
        calendar_id = self.create_calendar(
            str(body["summary"]), owner=principal, time_zone=zone
        )
        return web.json_response(self._calendar_resource(self._calendars[calendar_id]))

    async def _calendars_get(self, request: web.Request) -> web.StreamResponse:
        calendar = self._calendar(
            request["principal"], request.match_info["calendarId"], write=False
        )
        return web.json_response(self._calendar_resource(calendar))

    def _calendar_resource(self, calendar: FakeCalendar) -> dict[str, Any]:
        return {
            "kind": "calendar#calendar",
            "etag": self._etag(0),
            "id": calendar.id,
            "summary": calendar.summary,
            "timeZone": calendar.time_zone,
        }

    # ------------------------------------------------------------ events.list

    async def _events_list(self, request: web.Request) -> web.StreamResponse:
        calendar = self._calendar(
            request["principal"], request.match_info["calendarId"], write=False
        )
        query = request.query
        page_size = _page_size(request, default=_DEFAULT_PAGE, maximum=_MAX_PAGE)
        if (page_token := query.get("pageToken")) is not None:
            cursor = self._pages.get(page_token)
            if cursor is None or cursor.calendar_id != calendar.id:
                raise _invalid("Invalid page token value.")
            return web.json_response(self._page(cursor))
        if query.get("singleEvents", "false") != "false":
            raise _invalid(
                "The fake does not expand recurring events (singleEvents=true)."
            )
        for unsupported in ("orderBy", "q", "updatedMin", "sharedExtendedProperty"):
            if unsupported in query:
                raise _invalid(f"The fake does not implement {unsupported}.")
        if (sync_token := query.get("syncToken")) is not None:
            if clash := [name for name in _SYNC_INCOMPATIBLE if name in query]:
                raise _invalid(f"Sync token cannot be used with {', '.join(clash)}.")
            if query.get("showDeleted") == "false":
                raise _invalid("Sync token cannot be used with showDeleted=false.")
            if calendar.id in self._emptied or sync_token in self._tokens_while_empty:
                raise _full_sync_required()
            items = self._changed_since(calendar, sync_token)
        elif calendar.id in self._emptied:
            items = []
        else:
            items = self._matching(calendar, query)
        cursor = _PageCursor(
            calendar_id=calendar.id,
            items=items,
            offset=0,
            page_size=page_size,
            sync_token=self._issue_sync_token(calendar),
            access_role=calendar.acl[request["principal"]],
        )
        return web.json_response(self._page(cursor))

    def _issue_sync_token(self, calendar: FakeCalendar) -> str:
        token = f"sync-{secrets.token_urlsafe(12)}"
        if calendar.id in self._emptied:
            self._tokens_while_empty.add(token)
        self._sync_tokens[token] = _SyncToken(
            calendar_id=calendar.id, seq=self._seq, generation=self._token_generation
        )
        return token

    def _page(self, cursor: _PageCursor) -> dict[str, Any]:
        """Return one page; `nextSyncToken` only on the last one."""
        end = cursor.offset + cursor.page_size
        calendar = self._calendars[cursor.calendar_id]
        body: dict[str, Any] = {
            "kind": "calendar#events",
            "etag": self._etag(self._seq),
            "summary": calendar.summary,
            "timeZone": calendar.time_zone,
            "accessRole": cursor.access_role,
            "items": cursor.items[cursor.offset : end],
        }
        if end < len(cursor.items):
            token = f"page-{secrets.token_urlsafe(12)}"
            self._pages[token] = _PageCursor(
                calendar_id=cursor.calendar_id,
                items=cursor.items,
                offset=end,
                page_size=cursor.page_size,
                sync_token=cursor.sync_token,
                access_role=cursor.access_role,
            )
            body["nextPageToken"] = token
        else:
            body["nextSyncToken"] = cursor.sync_token
        return body

    def _changed_since(
        self, calendar: FakeCalendar, sync_token: str
    ) -> list[dict[str, Any]]:
        issued = self._sync_tokens.get(sync_token)
        if (
            issued is None
            or issued.calendar_id != calendar.id
            or issued.generation != self._token_generation
        ):
            raise _full_sync_required()
        changed = sorted(
            (stored for stored in calendar.events.values() if stored.seq > issued.seq),
            key=lambda stored: stored.seq,
        )
        return [stored.listed() for stored in changed]

    def _matching(
        self, calendar: FakeCalendar, query: MultiMapping[str]
    ) -> list[dict[str, Any]]:
        """Return a full listing under the request's filters."""
        show_deleted = query.get("showDeleted") == "true"
        ical_uid = query.get("iCalUID")
        wanted = [
            tuple(item.split("=", 1)) if "=" in item else (item, "")
            for item in query.getall("privateExtendedProperty", [])
        ]
        time_min = (
            _parse_datetime(query["timeMin"], "timeMin") if "timeMin" in query else None
        )
        time_max = (
            _parse_datetime(query["timeMax"], "timeMax") if "timeMax" in query else None
        )
        for bound in (time_min, time_max):
            if bound is not None and bound.tzinfo is None:
                raise _invalid("Bad Request")
        items = []
        for stored in calendar.events.values():
            resource = stored.resource
            if not isinstance(resource, dict):
                if ical_uid is None and not wanted and time_min is time_max is None:
                    items.append(stored.listed())  # stored raw by `put_raw`
                continue
            if stored.cancelled and not show_deleted:
                # Google lists cancelled exceptions of a live series even without
                # showDeleted (when singleEvents is false), so clients can hide them.
                master = calendar.events.get(resource.get("recurringEventId", ""))
                if master is None or master.cancelled:
                    continue
            if ical_uid is not None and resource.get("iCalUID") != ical_uid:
                continue
            properties = resource.get("extendedProperties")
            private = properties.get("private") if isinstance(properties, dict) else {}
            if not isinstance(private, dict):
                private = {}
            if any(private.get(key) != value for key, value in wanted):
                continue
            if not self._overlaps(resource, time_min, time_max):
                continue
            items.append(stored.listed())
        return items

    def _overlaps(
        self,
        resource: dict[str, Any],
        time_min: datetime | None,
        time_max: datetime | None,
    ) -> bool:
        """Apply timeMin (against the end) and timeMax (against the start).

        A series is kept whenever it starts before timeMax (the fake does not expand it).
        """
        start = resource.get("start") or resource.get("originalStartTime")
        if start is None:
            return True
        if time_max is not None and _as_utc(_when_value(start)) >= time_max:
            return False
        if (
            time_min is not None
            and not resource.get("recurrence")
            and "end" in resource
        ):
            return _as_utc(_when_value(resource["end"])) > time_min
        return True

    # ------------------------------------------------------- events, one by one

    async def _events_get(self, request: web.Request) -> web.StreamResponse:
        calendar = self._calendar(
            request["principal"], request.match_info["calendarId"], write=False
        )
        event_id = request.match_info["eventId"]
        if (stored := calendar.events.get(event_id)) is not None:
            return web.json_response(stored.resource)
        if (virtual := self._virtual_instance(calendar, event_id)) is not None:
            return web.json_response(virtual)
        raise _not_found()

    async def _events_insert(self, request: web.Request) -> web.StreamResponse:
        calendar = self._calendar(
            request["principal"], request.match_info["calendarId"], write=True
        )
        body = await self._json_body(request)
        self._check_refused(body)
        return web.json_response(self._insert(calendar, body, request["principal"]))

    async def _events_update(self, request: web.Request) -> web.StreamResponse:
        calendar = self._calendar(
            request["principal"], request.match_info["calendarId"], write=True
        )
        body = await self._json_body(request)
        self._check_refused(body)
        self._check_if_match(request, calendar)
        return web.json_response(
            self._update(calendar, request.match_info["eventId"], body, patch=False)
        )

    async def _events_patch(self, request: web.Request) -> web.StreamResponse:
        calendar = self._calendar(
            request["principal"], request.match_info["calendarId"], write=True
        )
        body = await self._json_body(request)
        self._check_refused(body)
        self._check_if_match(request, calendar)
        return web.json_response(
            self._update(calendar, request.match_info["eventId"], body, patch=True)
        )

    async def _events_delete(self, request: web.Request) -> web.StreamResponse:
        calendar = self._calendar(
            request["principal"], request.match_info["calendarId"], write=True
        )
        self._check_if_match(request, calendar)
        self._delete(calendar, request.match_info["eventId"])
        return web.Response(status=204)

    def _check_refused(self, body: dict[str, Any]) -> None:
        """Refuse a write through the API whose summary the test marked as refused."""
        summary = body.get("summary")
        if isinstance(summary, str) and any(
            text in summary for text in self.refused_summaries
        ):
            raise _invalid("Invalid value for: summary")

    def _check_if_match(self, request: web.Request, calendar: FakeCalendar) -> None:
        expected = request.headers.get("If-Match")
        stored = calendar.events.get(request.match_info["eventId"])
        if (
            expected is not None
            and stored is not None
            and stored.resource["etag"] != expected
        ):
            raise GoogleError(412, "conditionNotMet", "Precondition Failed")

    # ----------------------------------------------------------- event writes

    def _insert(
        self, calendar: FakeCalendar, body: dict[str, Any], creator: str
    ) -> dict[str, Any]:
        event_id = body.get("id")
        if event_id is None:
            event_id = _random_id()
        elif not isinstance(event_id, str) or not _EVENT_ID.fullmatch(event_id):
            raise _invalid("Invalid resource id value.")
        if event_id in calendar.events:
            # Also for a deleted event: Google never hands an id out twice.
            raise GoogleError(
                409, "duplicate", "The requested identifier already exists."
            )
        resource = self._validated(calendar, body)
        sequence = _sequence(body) or 0
        seq = self._next_seq()
        now = _rfc3339(self.clock())
        resource.update(
            {
                "kind": "calendar#event",
                "etag": self._etag(seq),
                "id": event_id,
                "htmlLink": f"https://www.google.com/calendar/event?eid={event_id}",
                "created": now,
                "updated": now,
                "creator": {"email": creator},
                "organizer": {
                    "email": calendar.id,
                    "displayName": calendar.summary,
                    "self": True,
                },
                "iCalUID": body.get("iCalUID") or f"{event_id}@google.com",
                "sequence": sequence,
                "eventType": "default",
            }
        )
        resource.setdefault("status", "confirmed")
        resource.setdefault("reminders", {"useDefault": True})
        calendar.events[event_id] = StoredEvent(resource=resource, seq=seq)
        self._notify(calendar)
        return resource

    def _update(
        self,
        calendar: FakeCalendar,
        event_id: str,
        body: dict[str, Any],
        *,
        patch: bool,
    ) -> dict[str, Any]:
        stored = calendar.events.get(event_id)
        if stored is None:
            virtual = self._virtual_instance(calendar, event_id)
            if virtual is None:
                raise _not_found()
            stored = StoredEvent(resource=virtual, seq=0)
        current = stored.resource
        if patch:
            merged = json.loads(json.dumps(current))
            _merge_patch(merged, body)
            candidate = {
                key: merged[key]
                for key in (*_WRITABLE_FIELDS, "sequence")
                if key in merged
            }
        else:
            candidate = dict(body)
            # An update without status restores a deleted event (Google's documented
            # way to undelete), so status defaults to confirmed like on insert.
            candidate.setdefault("status", "confirmed")
        is_instance = "recurringEventId" in current
        if is_instance:
            candidate.pop("recurrence", None)
        resource = self._validated(calendar, candidate, instance=is_instance)
        moved = any(
            current.get(key) != resource.get(key)
            for key in ("start", "end", "recurrence")
        )
        resource["sequence"] = _next_sequence(current, candidate, moved=moved)
        seq = self._next_seq()
        kept = (
            "kind",
            "id",
            "htmlLink",
            "created",
            "creator",
            "organizer",
            "iCalUID",
            "eventType",
            "recurringEventId",
            "originalStartTime",
        )
        for key in kept:
            if key in current:
                resource[key] = current[key]
        resource["etag"] = self._etag(seq)
        resource["updated"] = _rfc3339(self.clock())
        resource.setdefault("reminders", {"useDefault": True})
        calendar.events[event_id] = StoredEvent(resource=resource, seq=seq)
        if current.get("recurrence") and not resource.get("recurrence"):
            self._cancel_exceptions(calendar, event_id)
        self._notify(calendar)
        return resource

    def _delete(self, calendar: FakeCalendar, event_id: str) -> None:
        stored = calendar.events.get(event_id)
        if stored is None:
            virtual = self._virtual_instance(calendar, event_id)
            if virtual is None:
                raise _not_found()
            stored = StoredEvent(resource=virtual, seq=0)
        elif stored.cancelled:
            raise GoogleError(410, "deleted", "Resource has been deleted")
        self._cancel(calendar, event_id, stored.resource)
        self._cancel_exceptions(calendar, event_id)
        self._notify(calendar)

    def _cancel(
        self, calendar: FakeCalendar, event_id: str, resource: dict[str, Any]
    ) -> None:
        seq = self._next_seq()
        resource = dict(resource, status="cancelled", etag=self._etag(seq))
        resource["updated"] = _rfc3339(self.clock())
        calendar.events[event_id] = StoredEvent(resource=resource, seq=seq)

    def _cancel_exceptions(self, calendar: FakeCalendar, master_id: str) -> None:
        for event_id, stored in list(calendar.events.items()):
            if (
                stored.resource.get("recurringEventId") == master_id
                and not stored.cancelled
            ):
                self._cancel(calendar, event_id, stored.resource)

    def _validated(
        self, calendar: FakeCalendar, body: dict[str, Any], *, instance: bool = False
    ) -> dict[str, Any]:
        """Check the writable fields of an event body; return them as Google stores them."""
        resource = {
            key: body[key]
            for key in _WRITABLE_FIELDS
            if body.get(key) not in (None, "", [], {})
        }
        if resource.get("status", "confirmed") not in (
            "confirmed",
            "tentative",
            "cancelled",
        ):
            raise _invalid("Invalid value for: status")
        if resource.get("transparency", "opaque") not in ("opaque", "transparent"):
            raise _invalid("Invalid value for: transparency")
        if "colorId" in resource and resource["colorId"] not in {
            str(n) for n in range(1, 12)
        }:
            raise _invalid("Invalid color id.")
        if resource.get("status") == "cancelled" and instance:
            return resource
        start = _normalize_when(body.get("start"), "start time", calendar.time_zone)
        end = _normalize_when(body.get("end"), "end time", calendar.time_zone)
        if ("date" in start) != ("date" in end):
            raise _invalid(
                "Start and end times must either both be date or both be dateTime."
            )
        first, last = _when_value(start), _when_value(end)
        all_day = "date" in start
        if last < first or (all_day and last == first):
            raise _invalid("The specified time range is empty.", "timeRangeEmpty")
        resource["start"], resource["end"] = start, end
        if recurrence := resource.get("recurrence"):
            if not isinstance(recurrence, list) or not all(
                isinstance(line, str)
                and line.startswith(("RRULE:", "EXRULE:", "RDATE", "EXDATE"))
                for line in recurrence
            ):
                raise _invalid("Invalid recurrence rule.")
            try:
                Recurrences.from_basic_contentlines(recurrence)
            except Exception:  # noqa: BLE001  # ical raises several types
                raise _invalid("Invalid recurrence rule.") from None
            if "dateTime" in start and "timeZone" not in start:
                raise _invalid("Missing time zone definition for start time.")
        return resource

    # --------------------------------------------------------------- instances

    def _virtual_instance(
        self, calendar: FakeCalendar, event_id: str
    ) -> dict[str, Any] | None:
        """Return the unmodified occurrence an instance id names, if it is one."""
        master_id, _, suffix = event_id.rpartition("_")
        master = calendar.events.get(master_id)
        if (
            master is None
            or master.cancelled
            or not master.resource.get("recurrence")
            or not _INSTANCE_SUFFIX.fullmatch(suffix)
        ):
            return None
        resource = master.resource
        wanted = _suffix_value(suffix)
        if isinstance(wanted, datetime) != ("dateTime" in resource["start"]):
            return None
        original = None
        for value in _occurrences(resource):
            if _as_utc(value) > _as_utc(wanted):
                break
            if _instance_suffix(value) == suffix:
                original = value
                break
        if original is None:
            return None
        first, last = _when_value(resource["start"]), _when_value(resource["end"])
        zone = resource["start"].get("timeZone")
        virtual = {key: value for key, value in resource.items() if key != "recurrence"}
        virtual["id"] = event_id
        virtual["recurringEventId"] = master_id
        virtual["originalStartTime"] = _when(original, zone)
        virtual["start"] = _when(original, zone)
        virtual["end"] = _when(original + (last - first), zone)
        return virtual

    # ------------------------------------------------------------ push channels

    async def _events_watch(self, request: web.Request) -> web.StreamResponse:
        calendar = self._calendar(
            request["principal"], request.match_info["calendarId"], write=False
        )
        body = await self._json_body(request)
        channel_id, address = body.get("id"), body.get("address")
        if not isinstance(channel_id, str) or not channel_id:
            raise _invalid("Missing channel id.", "required")
        if body.get("type") not in ("web_hook", "webhook"):
            raise _invalid("Invalid channel type.")
        if not isinstance(address, str) or not (
            address.startswith(("https://", "http://127.0.0.1"))
        ):
            # Google insists on https; the fake lets loopback http through for tests.
            raise GoogleError(
                400,
                "push.webhookUrlNotHttps",
                "WebHook callback must be HTTPS: " + str(address),
                domain="push",
            )
        if channel_id in self._channels:
            raise GoogleError(
                400, "channelIdNotUnique", "Channel id not unique", domain="push"
            )
        now_ms = int(self.clock() * 1000)
        expiration = int(body.get("expiration") or now_ms + 7 * 24 * 3600 * 1000)
        channel = Channel(
            id=channel_id,
            resource_id=f"res-{calendar.id.partition('@')[0][:12]}",
            calendar_id=calendar.id,
            address=address,
            token=body.get("token"),
            expiration_ms=expiration,
        )
        self._channels[channel_id] = channel
        self._deliver(channel, "sync")
        reply = {
            "kind": "api#channel",
            "id": channel.id,
            "resourceId": channel.resource_id,
            "resourceUri": f"https://www.googleapis.com/calendar/v3/calendars/{calendar.id}/events?alt=json",
            "expiration": str(channel.expiration_ms),
        }
        if channel.token is not None:
            reply["token"] = channel.token
        return web.json_response(reply)

    async def _channels_stop(self, request: web.Request) -> web.StreamResponse:
        body = await self._json_body(request)
        channel = self._channels.get(str(body.get("id")))
        if (
            channel is None
            or channel.resource_id != body.get("resourceId")
            or channel.stopped
        ):
            raise GoogleError(404, "notFound", f"Channel '{body.get('id')}' not found")
        channel.stopped = True
        return web.Response(status=204)

    def _notify(self, calendar: FakeCalendar) -> None:
        now_ms = self.clock() * 1000
        for channel in self._channels.values():
            if (
                channel.calendar_id == calendar.id
                and not channel.stopped
                and channel.expiration_ms > now_ms
            ):
                self._deliver(channel, "exists")

    def _deliver(self, channel: Channel, state: str) -> None:
        """POST a notification as Google does: no body, everything in X-Goog-* headers."""
        channel.message_number += 1
        headers = {
            "X-Goog-Channel-ID": channel.id,
            "X-Goog-Channel-Expiration": datetime.fromtimestamp(
                channel.expiration_ms / 1000, UTC
            ).strftime("%a, %d %b %Y %H:%M:%S GMT"),
            "X-Goog-Resource-ID": channel.resource_id,
            "X-Goog-Resource-URI": f"https://www.googleapis.com/calendar/v3/calendars/{channel.calendar_id}/events?alt=json",
            "X-Goog-Resource-State": state,
            "X-Goog-Message-Number": str(channel.message_number),
        }
        if channel.token is not None:
            headers["X-Goog-Channel-Token"] = channel.token
        task = asyncio.get_running_loop().create_task(
            self._post(channel, state, channel.message_number, headers)
        )
        self._deliveries.add(task)
        task.add_done_callback(self._deliveries.discard)

    async def _post(
        self, channel: Channel, state: str, number: int, headers: dict[str, str]
    ) -> None:
        assert self._session is not None
        status: int | None
        try:
            address = channel.address
            if self.push_reroute is not None:
                address = self.push_reroute(address)
            async with self._session.post(address, headers=headers) as response:
                status = response.status
        except ClientError, TimeoutError:
            status = None
        self.notifications.append(
            Notification(
                channel_id=channel.id,
                resource_state=state,
                message_number=number,
                status=status,
            )
        )


def _oauth_error(error: str, description: str) -> web.Response:
    """Return the token endpoint's error reply (RFC 6749, section 5.2)."""
    return web.json_response(
        {"error": error, "error_description": description}, status=400
    )


def _page_size(request: web.Request, *, default: int, maximum: int) -> int:
    raw = request.query.get("maxResults")
    if raw is None:
        return default
    try:
        size = int(raw)
    except ValueError:
        raise _invalid("Invalid value for: maxResults") from None
    if size < 1:
        raise _invalid("Invalid value for: maxResults")
    return min(size, maximum)


def _int_token(raw: str | None) -> int:
    if raw is None:
        return 0
    try:
        return int(raw)
    except ValueError:
        raise _invalid("Invalid page token value.") from None


def _when(value: date | datetime, zone: str | None) -> dict[str, str]:
    if isinstance(value, datetime):
        when = {"dateTime": value.isoformat()}
        if zone is not None:
            when["timeZone"] = zone
        return when
    return {"date": value.isoformat()}


def _suffix_value(suffix: str) -> date | datetime:
    """Parse an instance id's suffix back into the original start."""
    if "T" in suffix:
        return datetime.strptime(suffix, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    return datetime.strptime(suffix, "%Y%m%d").date()


def _occurrences(resource: dict[str, Any]) -> Iterator[date | datetime]:
    """Yield a series' start times (up to ten years' worth of daily ones)."""
    parsed = GcalEvent(**resource)
    for number, value in enumerate(parsed.rrule):
        if number > 3660:
            return
        yield value
