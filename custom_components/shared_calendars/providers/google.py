"""Google Calendar through one service account.

Every member shares their calendars with the service account ("Make changes to
events"), so this provider signs its own tokens: a JWT signed with the account's key
is exchanged at the key's `token_uri` for an access token (RFC 7523), which is cached
and refreshed before it expires.

gcal-sync does the plumbing where it fits: `AbstractAuth` carries the token and the
API root, its `Calendar` and `DateOrDatetime` models read calendar-list entries and
event times, and its calendar-list call pages the account's calendars. Where it falls
short, requests go through the same `AbstractAuth` and this module checks the answer:

- its status mapping folds every 403 into one exception, so a rate limit would look
  like a missing share, and it drops Retry-After: `ServiceAccountAuth.request` maps
  the status itself, for gcal-sync's calls too;
- its `Event` drops `updated`, `extendedProperties`, `etag` and `organizer`, and
  rewrites zero-length events and recurrence dates: events are read from the raw JSON
  (`google_events` converts them, and says how a series maps to Google's instances;
  `google_fold` folds a listing's items into series);
- its patch and delete ignore the HTTP status, and it has no insert-with-id, update
  or watch: those requests are made here (`google_writes` writes one event, part by
  part), and its requests carry no header of ours (If-Match).

Nothing here logs or raises a secret: the key, the signed assertion and the access
token never reach a message.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from functools import partial
import json
import logging
import time
from typing import Any, Final
from urllib.parse import quote

from aiohttp import ClientError, ClientResponse, ClientSession, ClientTimeout
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from gcal_sync.api import CalendarListRequest, GoogleCalendarService
from gcal_sync.auth import AbstractAuth
from gcal_sync.exceptions import CalendarParseException, GoogleCalendarException
from gcal_sync.model import Calendar
import jwt

from ..engine.model import CalendarInfo, ChangeSet, Event, SkippedEvent, SkipReason
from .base import (
    AuthFailed,
    CursorExpired,
    InvalidEvent,
    NotShared,
    ProviderError,
    RateLimited,
    Unreachable,
)
from .google_events import (
    SERIES_PROPERTY,
    Json,
    has_detached,
    layout,
    read,
    series_of,
    well_formed,
)
from .google_fold import Folder, fold
from .google_writes import GoogleApiError, SeriesWriter

_LOGGER = logging.getLogger(__name__)

DEFAULT_API_ROOT: Final = "https://www.googleapis.com/calendar/v3"
CALENDAR_SCOPE: Final = "https://www.googleapis.com/auth/calendar"
JWT_BEARER_GRANT: Final = "urn:ietf:params:oauth:grant-type:jwt-bearer"
SHARE_PERMISSION: Final = "Make changes to events"

_ASSERTION_LIFETIME: Final = 3600
_REFRESH_MARGIN: Final = 300
_PAGE_SIZE: Final = 1000
_FULL_LISTINGS: Final = 1
"""Calendars an account lists in full at once. A first sync or a resync lists
every calendar, and each listing holds a page of Google's resources (a few MB)
while it is read: one at a time keeps that to one page, at the cost of a
request's latency per calendar. Listings of changes do not wait."""
_RATE_LIMIT_REASONS: Final = frozenset(
    {"rateLimitExceeded", "userRateLimitExceeded", "quotaExceeded"}
)

type _Json = Json


class InvalidKey(AuthFailed):
    """The service-account key is not one this provider can use."""


@dataclass(frozen=True, kw_only=True, slots=True)
class ServiceAccountKey:
    """A validated service-account key: who signs, where, and the parsed private key."""

    client_email: str
    token_uri: str
    key_id: str | None
    signer: RSAPrivateKey = field(repr=False)

    @classmethod
    def parse(cls, raw: str | bytes | Mapping[str, Any]) -> ServiceAccountKey:
        """Validate a key as Google issues it (JSON text or its parsed dict).

        Raises `InvalidKey` naming exactly what is wrong, never quoting the key.
        Parsing the private key costs a few milliseconds of CPU: in the event loop
        use `async_parse_key`.
        """
        if isinstance(raw, str | bytes):
            try:
                raw = json.loads(raw)
            except ValueError:
                # `from None`: a JSONDecodeError keeps the whole document.
                raise InvalidKey("The service-account key is not valid JSON.") from None
        if not isinstance(raw, Mapping):
            raise InvalidKey("The service-account key must be a JSON object.")
        kind = raw.get("type")
        if kind != "service_account":
            shown = (
                f'"{kind}"' if isinstance(kind, str) and len(kind) <= 40 else "missing"
            )
            raise InvalidKey(
                f'The key\'s "type" is {shown}, not "service_account": create a JSON '
                "key for a service account (IAM & Admin, Service accounts, Keys)."
            )
        missing = [
            name
            for name in ("client_email", "private_key", "token_uri")
            if not isinstance(raw.get(name), str) or not raw[name].strip()
        ]
        if missing:
            raise InvalidKey(
                "The service-account key lacks "
                + ", ".join(f'"{name}"' for name in missing)
                + "."
            )
        email, token_uri = raw["client_email"].strip(), raw["token_uri"].strip()
        if "@" not in email:
            raise InvalidKey('The key\'s "client_email" is not an e-mail address.')
        if not token_uri.startswith(("https://", "http://")):
            raise InvalidKey('The key\'s "token_uri" is not an http(s) URL.')
        try:
            signer = load_pem_private_key(raw["private_key"].encode(), password=None)
        except TypeError:
            raise InvalidKey(
                'The key\'s "private_key" is encrypted; Google issues it unencrypted.'
            ) from None
        except ValueError:
            raise InvalidKey(
                'The key\'s "private_key" is not a PEM-encoded private key '
                "(was the JSON edited or cut?)."
            ) from None
        if not isinstance(signer, RSAPrivateKey):
            raise InvalidKey('The key\'s "private_key" is not an RSA key.')
        key_id = raw.get("private_key_id")
        return cls(
            client_email=email,
            token_uri=token_uri,
            key_id=key_id if isinstance(key_id, str) and key_id else None,
            signer=signer,
        )


async def async_parse_key(raw: str | bytes | Mapping[str, Any]) -> ServiceAccountKey:
    """Validate a key in the default executor, off the event loop."""
    return await asyncio.get_running_loop().run_in_executor(
        None, ServiceAccountKey.parse, raw
    )


@dataclass(frozen=True, kw_only=True, slots=True)
class WatchChannel:
    """A push-notification channel Google opened for a calendar."""

    id: str
    resource_id: str
    """Google's id of the watched resource; needed to stop the channel."""
    expiration: datetime | None


class _RequestCount:
    """How many Calendar API requests one provider call made."""

    def __init__(self) -> None:
        self.value = 0


_REQUESTS: ContextVar[_RequestCount | None] = ContextVar(
    "shared_calendars_google_requests", default=None
)


class ServiceAccountAuth(AbstractAuth):
    """gcal-sync's auth for a service account: tokens from signed JWTs, errors mapped."""

    def __init__(
        self,
        session: ClientSession,
        key: ServiceAccountKey,
        *,
        api_root: str,
        clock: Callable[[], float],
        timeout: float,
    ) -> None:
        """Prepare to sign with `key`; no request is made until one is needed."""
        super().__init__(session, api_root.rstrip("/"))
        self._api_root = api_root.rstrip("/")
        self._session = session
        self._key = key
        self._clock = clock
        self._timeout = ClientTimeout(total=timeout)
        self._lock = asyncio.Lock()
        self._token: str | None = None
        self._refresh_at = 0.0

    async def async_get_access_token(self) -> str:
        """Return a token valid for a while yet; one refresh at a time."""
        if self._token is not None and self._clock() < self._refresh_at:
            return self._token
        async with self._lock:
            if self._token is None or self._clock() >= self._refresh_at:
                self._token, self._refresh_at = await self._fetch_token()
            return self._token

    async def _fetch_token(self) -> tuple[str, float]:
        """Exchange a freshly signed assertion for an access token."""
        key = self._key
        now = self._clock()
        claims = {
            "iss": key.client_email,
            "scope": CALENDAR_SCOPE,
            "aud": key.token_uri,
            "iat": int(now),
            "exp": int(now) + _ASSERTION_LIFETIME,
        }
        headers = {"kid": key.key_id} if key.key_id else None
        assertion = jwt.encode(claims, key.signer, algorithm="RS256", headers=headers)
        form = {"grant_type": JWT_BEARER_GRANT, "assertion": assertion}
        try:
            async with self._session.post(
                key.token_uri, data=form, timeout=self._timeout
            ) as response:
                status, retry_after = response.status, _retry_after(response)
                try:
                    body = await response.json(content_type=None)
                except ValueError:
                    body = None
        except (ClientError, TimeoutError) as err:
            raise Unreachable(
                f"Google's token endpoint could not be reached for {key.client_email}: "
                f"{_describe(err)}"
            ) from None
        if not isinstance(body, dict):
            raise Unreachable(
                f"Google's token endpoint answered {status} without JSON for "
                f"{key.client_email}."
            )
        if status == 200 and isinstance(body.get("access_token"), str):
            lifetime = float(body.get("expires_in", 3600))
            _LOGGER.debug(
                "Got an access token for %s, valid %d s", key.client_email, lifetime
            )
            refresh_in = max(lifetime - _REFRESH_MARGIN, lifetime / 2)
            return body["access_token"], now + refresh_in
        error = str(body.get("error", "unknown_error"))[:80]
        description = str(body.get("error_description", ""))[:200]
        if status == 429:
            raise RateLimited(
                f"Google's token endpoint asks to slow down ({error}).", retry_after
            )
        if status >= 500:
            raise Unreachable(f"Google's token endpoint failed ({status} {error}).")
        raise AuthFailed(
            f"Google refused the service-account key of {key.client_email}: "
            f"{error} ({description}). Check that the key is still active."
        )

    def _drop_token(self, token: str) -> None:
        if self._token == token:
            self._token = None

    async def request(self, method: str, url: str, **kwargs: Any) -> ClientResponse:
        """Make a request; retry once with a new token on 401; raise on HTTP errors.

        Overriding this (not gcal-sync's `_raise_for_status`) gives gcal-sync's own
        calls the same error mapping as ours: it folds every 403 into one type. Not
        calling gcal-sync's own lets a request carry headers (If-Match).
        """
        kwargs.setdefault("timeout", self._timeout)
        extra = kwargs.pop("headers", None) or {}
        if not url.startswith(("http://", "https://")):
            url = f"{self._api_root}/{url}"
        _LOGGER.debug("request[%s]=%s %s", method, url, kwargs.get("params"))
        for attempt in (1, 2):
            token = await self.async_get_access_token()
            if (count := _REQUESTS.get()) is not None:
                count.value += 1
            headers = {**extra, "Authorization": f"Bearer {token}"}
            try:
                response = await self._session.request(
                    method, url, headers=headers, **kwargs
                )
            except (ClientError, TimeoutError) as err:
                raise Unreachable(
                    f"Google Calendar could not be reached: {_describe(err)}"
                ) from None
            if response.status == 401 and attempt == 1:
                # Expired early or revoked: one new token, then believe the answer.
                response.release()
                self._drop_token(token)
                continue
            if response.status >= 400:
                raise await _api_error(response)
            return response
        raise AssertionError("unreachable")  # pragma: no cover


class GoogleProvider:
    """Reads and writes Google calendars shared with one service account."""

    def __init__(
        self,
        key: ServiceAccountKey,
        session: ClientSession | None = None,
        *,
        api_root: str = DEFAULT_API_ROOT,
        clock: Callable[[], float] = time.time,
        timeout: float = 30.0,
        page_size: int = _PAGE_SIZE,
    ) -> None:
        """Act as `key`'s service account; without `session`, own one (and close it)."""
        self._key = key
        self._owned_session = session is None
        self._session = session or ClientSession()
        self._auth = ServiceAccountAuth(
            self._session, key, api_root=api_root, clock=clock, timeout=timeout
        )
        self._service = GoogleCalendarService(self._auth)
        self._page_size = page_size
        self._full_listings = asyncio.Semaphore(_FULL_LISTINGS)
        self._written: dict[str, dict[str, str]] = {}
        """Calendar -> event id -> the etag our write of a managed copy got.

        Only copies: the sync cycle records each copy as written, so reading one
        back tells nothing new, and an update of it may say If-Match. Anything else
        written here (a user's event, through a service) is news to the engine.
        """

    @property
    def account(self) -> str:
        """Return the service account's e-mail address."""
        return self._key.client_email

    async def close(self) -> None:
        """Close the HTTP session when this provider made it."""
        if self._owned_session:
            await self._session.close()

    # ---------------------------------------------------------------- calendars

    async def list_calendars(self) -> list[CalendarInfo]:
        """Return the calendars in the service account's calendar list.

        Google does not list a calendar merely shared with a service account until
        it is added (as `get_calendar` does), so address calendars by id.
        """
        calendars: list[CalendarInfo] = []
        page_token: str | None = None
        with self._errors(None):
            while True:
                request = CalendarListRequest(pageToken=page_token)
                response = await self._service.async_list_calendars(request)
                calendars.extend(_calendar_info(entry) for entry in response.items)
                if not (page_token := response.page_token):
                    return calendars

    async def get_calendar(self, calendar_id: str) -> CalendarInfo:
        """Return a calendar, adding it to the account's calendar list if needed."""
        path = f"users/me/calendarList/{_quote(calendar_id)}"
        with self._errors(calendar_id):
            try:
                entry = await self._auth.get_json(path)
            except GoogleApiError as err:
                if err.status != 404:
                    raise
                # Shared but not listed: inserting it is how Google lists it.
                entry = await self._auth.post_json(
                    "users/me/calendarList", json={"id": calendar_id}
                )
            return _calendar_info(Calendar(**entry))

    # ------------------------------------------------------------------ reading

    async def changes(
        self,
        calendar_id: str,
        cursor: str | None,
        known: Mapping[str, Event] | None = None,
    ) -> ChangeSet:
        """Return what changed since the sync token `cursor` (everything without one).

        Series come whole. Of an incremental listing, the copies this provider
        wrote that still hold what it wrote are left out, and the rest is folded
        into the series `known` holds (the calendar's events as the caller last
        read them); only a series found nowhere is fetched whole, by its iCalUID.
        A 410 raises `CursorExpired`.
        """
        count = _RequestCount()
        reset = _REQUESTS.set(count)
        try:
            with self._errors(calendar_id):
                params = {"singleEvents": "false", "maxResults": str(self._page_size)}
                if cursor is not None:
                    params |= {"syncToken": cursor, "showDeleted": "true"}
                own_writes = 0
                if cursor is None:
                    # Folded page by page: a full listing is never held whole.
                    folder = Folder()
                    async with self._full_listings:
                        sync_token = await self._pages(calendar_id, params, folder.add)
                    changed, deleted, skipped = folder.folded()
                else:
                    items, malformed, sync_token, own_writes = await self._news(
                        calendar_id, params
                    )
                    known = known or {}
                    items = await self._with_unknown_series(calendar_id, items, known)
                    changed, deleted, skipped = fold([*items, *malformed], known)
        finally:
            _REQUESTS.reset(reset)
        if sync_token is None:
            raise Unreachable(f"Google gave no sync token for calendar {calendar_id}.")
        _LOGGER.debug(
            "Calendar %s: %d changed, %d deleted, %d skipped, %d requests",
            calendar_id,
            len(changed),
            len(deleted),
            len(skipped),
            count.value,
        )
        return ChangeSet(
            changed=tuple(changed),
            deleted=tuple(deleted),
            cursor=sync_token,
            complete=cursor is None,
            skipped=tuple(skipped),
            own_writes=own_writes,
            requests=count.value,
        )

    async def get_event(self, calendar_id: str, event_id: str) -> Event | None:
        """Return an event (a series with its exceptions), or None when it is gone."""
        with self._errors(calendar_id):
            try:
                raw = await self._auth.get_json(_event_path(calendar_id, event_id))
            except GoogleApiError as err:
                if err.status not in (404, 410):
                    raise
                await self._require_calendar(calendar_id)
                return None
            if not well_formed(raw):
                raise _unreadable(calendar_id, event_id, SkipReason.UNREADABLE)
            if raw.get("status") == "cancelled":
                return None
            if raw.get("recurrence"):
                series = await self._series(calendar_id, raw, detached=True)
                folded = fold(series or [raw])
                for skipped in folded.skipped:
                    if skipped.id == raw["id"]:
                        raise _unreadable(calendar_id, event_id, skipped.reason)
                return next((e for e in folded.changed if e.id == raw["id"]), None)
            found = read(raw, occurrence=True)
            if isinstance(found, SkippedEvent):
                raise _unreadable(calendar_id, event_id, found.reason)
            return found

    async def _news(
        self, calendar_id: str, params: dict[str, str]
    ) -> tuple[list[_Json], list[object], str | None, int]:
        """List changes; return them, the malformed items, the token, own writes left out.

        Own writes are left out page by page: reading back a first sync's writes
        then never holds them all.
        """
        items: list[_Json] = []
        # Items that are no event resource are left for `fold` to report.
        malformed: list[object] = []
        own_writes = 0

        def take(page: list[_Json]) -> None:
            nonlocal own_writes
            malformed.extend(item for item in page if not well_formed(item))
            listed = [item for item in page if well_formed(item)]
            news = self._not_own_writes(calendar_id, listed)
            own_writes += len(listed) - len(news)
            items.extend(news)

        sync_token = await self._pages(calendar_id, params, take)
        return items, malformed, sync_token, own_writes

    async def _list(
        self, calendar_id: str, params: dict[str, str]
    ) -> tuple[list[_Json], str | None]:
        """Return every page of events.list, and the last page's nextSyncToken."""
        items: list[_Json] = []
        return items, await self._pages(calendar_id, params, items.extend)

    async def _pages(
        self,
        calendar_id: str,
        params: dict[str, str],
        take: Callable[[list[_Json]], None],
    ) -> str | None:
        """Hand every page of events.list to `take`; return the last nextSyncToken."""
        path = f"calendars/{_quote(calendar_id)}/events"
        page: dict[str, str] = {}
        while True:
            # Not gcal-sync's list: its `fields` and model drop updated and extendedProperties.
            body = await self._auth.get_json(path, params=params | page)
            listed = body.get("items", []) if isinstance(body, dict) else None
            if not isinstance(listed, list):
                raise Unreachable(
                    f"Google answered the events of {calendar_id} with no event list."
                )
            take(listed)
            if not (page_token := body.get("nextPageToken")):
                token: str | None = body.get("nextSyncToken")
                return token
            page = {"pageToken": page_token}

    async def _series(
        self, calendar_id: str, master: _Json, *, detached: bool = False
    ) -> list[_Json]:
        """Return a series' master and all its exceptions (cancelled ones included).

        With `detached`, also its detached overrides when the master has some.
        """
        uid = master.get("iCalUID")
        params = {
            "iCalUID": uid
            if isinstance(uid, str) and uid
            else f"{master['id']}@google.com",
            "singleEvents": "false",
            "showDeleted": "true",
            "maxResults": str(self._page_size),
        }
        listed, _ = await self._list(calendar_id, params)
        items = [
            item
            for item in listed
            if well_formed(item)
            and master["id"] in (item.get("id"), item.get("recurringEventId"))
        ]
        current = next((item for item in items if item["id"] == master["id"]), None)
        if current is None:  # not (yet) found by its iCalUID: take it as it came
            current = master
            items.insert(0, master)
        if detached and has_detached(current):
            items.extend(await self._detached(calendar_id, master["id"]))
        return items

    async def _detached(self, calendar_id: str, series_id: str) -> list[_Json]:
        """Return the live detached overrides of a series."""
        params = {
            "privateExtendedProperty": f"{SERIES_PROPERTY}={series_id}",
            "singleEvents": "false",
            "maxResults": str(self._page_size),
        }
        items, _ = await self._list(calendar_id, params)
        return [item for item in items if series_of(item) == series_id]

    def _not_own_writes(self, calendar_id: str, items: list[_Json]) -> list[_Json]:
        """Drop the copies that still hold what we wrote; forget the others' etags.

        Google gives a resource a new etag with every change, so one that still has
        the etag of our write holds what we wrote, and the engine recorded that.
        """
        written = self._written.get(calendar_id)
        if not written:
            return items
        kept = []
        for item in items:
            etag = written.get(item["id"])
            if etag is not None and etag == item.get("etag"):
                continue
            written.pop(item["id"], None)
            kept.append(item)
        return kept

    async def _with_unknown_series(
        self, calendar_id: str, items: list[_Json], known: Mapping[str, Event]
    ) -> list[_Json]:
        """Replace the items of every series `known` lacks by the whole series.

        Such a series (a new one, or one the caller never read) is fetched by its
        iCalUID, with its detached overrides; one that is not visible here keeps
        what was listed.
        """
        listed = {item["id"]: item for item in items if "recurringEventId" not in item}
        unknown: dict[str, _Json | None] = {}
        for item in items:
            if master_id := item.get("recurringEventId") or series_of(item):
                if master_id in known:
                    continue
                master = listed.get(master_id)
                if (
                    master is None
                    and "recurringEventId" in item
                    and isinstance(item.get("iCalUID"), str)
                    and item["iCalUID"]
                ):
                    # A live exception carries the series' iCalUID: no need to get it.
                    master = {"id": master_id, "iCalUID": item["iCalUID"]}
                unknown.setdefault(master_id, master)
            elif item.get("recurrence") and item["id"] not in known:
                unknown[item["id"]] = item
        if not unknown:
            return items
        kept = [item for item in items if not _belongs(item, unknown)]
        for master_id, listed_master in unknown.items():
            master = listed_master or await self._master(calendar_id, master_id)
            if master is None or master.get("status") == "cancelled":
                # The series is not visible here: keep what we were told.
                kept.extend(item for item in items if _belongs(item, {master_id: None}))
                continue
            kept.extend(await self._series(calendar_id, master, detached=True))
        return kept

    async def _master(self, calendar_id: str, master_id: str) -> _Json | None:
        try:
            master = await self._auth.get_json(_event_path(calendar_id, master_id))
        except GoogleApiError as err:
            if err.status in (404, 410):
                return None
            raise
        return master if well_formed(master) else None

    async def _require_calendar(self, calendar_id: str) -> None:
        """Raise `NotShared` unless the account can see the calendar (404 is ambiguous)."""
        await self._auth.get_json(f"calendars/{_quote(calendar_id)}")

    # ------------------------------------------------------------------ writing

    async def put_event(
        self, calendar_id: str, event: Event, previous: Event | None = None
    ) -> Event:
        """Create the event under its id, or replace it.

        `previous` is the event as the caller last read it from the calendar (a
        copy the ledger knows): only what differs from it is written, one update
        per resource. Without it the event is inserted, and updated when its id is
        taken (409). A series' overrides are written as its instances `{id}_{original
        start}`, overrides of instants it does not make as detached events (see
        `google_events`). Google has no cancelled-but-shown event: a cancelled
        series or event is a deleted one there, and reads back as gone.
        """
        plan = layout(event)
        writer = SeriesWriter(
            send=partial(self._send_event, calendar_id),
            delete=partial(self._delete, calendar_id),
            series=partial(self._series, calendar_id),
            detached=partial(self._detached, calendar_id),
            etags=self._written.get(calendar_id, {}),
        )
        try:
            with self._errors(calendar_id):
                stored = await writer.put(plan, previous)
        finally:
            # What this write did is what we know of those resources now; a write
            # that failed half-way is news to the next listing.
            self._forget_writes(calendar_id, [*writer.written, *writer.removed])
        if event.copy_of is not None:
            self._written.setdefault(calendar_id, {}).update(writer.written)
        return stored

    def _forget_writes(self, calendar_id: str, event_ids: Iterable[str]) -> None:
        written = self._written.get(calendar_id, {})
        for event_id in event_ids:
            written.pop(event_id, None)

    async def _send_event(
        self,
        calendar_id: str,
        method: str,
        event_id: str | None,
        body: _Json,
        if_match: str | None,
    ) -> _Json:
        """Insert (without `event_id`), update or patch an event."""
        if event_id is None:
            path = f"calendars/{_quote(calendar_id)}/events"
        else:
            path = _event_path(calendar_id, event_id)
        headers = {"If-Match": if_match} if if_match else None
        return await self._send(method, path, body, headers)

    async def _send(
        self,
        method: str,
        path: str,
        body: _Json,
        headers: Mapping[str, str] | None = None,
    ) -> _Json:
        # gcal-sync has no insert-with-id, update or watch, and returns nothing from writes.
        response = await self._auth.request(method, path, json=body, headers=headers)
        result = await response.json()
        if not isinstance(result, dict):
            raise Unreachable("Google answered a write with something not an event.")
        return result

    async def delete_event(self, calendar_id: str, event_id: str) -> None:
        """Delete an event and its detached overrides; one already gone is fine."""
        with self._errors(calendar_id):
            for item in await self._detached(calendar_id, event_id):
                await self._delete(calendar_id, item["id"])
                self._forget_writes(calendar_id, [item["id"]])
            self._forget_writes(calendar_id, [event_id])
            if not await self._delete(calendar_id, event_id):
                await self._require_calendar(calendar_id)

    async def _delete(self, calendar_id: str, event_id: str) -> bool:
        """Delete one event; return False when Google does not know it (404)."""
        try:
            # Not gcal-sync's delete: it ignores the HTTP status.
            response = await self._auth.request(
                "delete", _event_path(calendar_id, event_id)
            )
            response.release()
        except GoogleApiError as err:
            if err.status == 410:
                return True
            if err.status != 404:
                raise
            return False
        return True

    # ------------------------------------------------------------------- push

    async def watch(
        self,
        calendar_id: str,
        *,
        channel_id: str,
        address: str,
        token: str | None = None,
        expiration: datetime | None = None,
    ) -> WatchChannel:
        """Ask Google to POST to `address` whenever the calendar's events change.

        `token` comes back in every notification's X-Goog-Channel-Token: use it to
        tell genuine notifications from forged ones.
        """
        body: _Json = {"id": channel_id, "type": "web_hook", "address": address}
        if token is not None:
            body["token"] = token
        if expiration is not None:
            body["expiration"] = str(int(expiration.timestamp() * 1000))
        with self._errors(calendar_id):
            reply = await self._send(
                "post", f"calendars/{_quote(calendar_id)}/events/watch", body
            )
        expires = reply.get("expiration")
        return WatchChannel(
            id=reply["id"],
            resource_id=reply["resourceId"],
            expiration=(
                datetime.fromtimestamp(int(expires) / 1000, UTC) if expires else None
            ),
        )

    async def stop_watch(self, channel: WatchChannel) -> None:
        """Stop a channel; one Google no longer knows is fine."""
        with self._errors(None):
            try:
                response = await self._auth.request(
                    "post",
                    "channels/stop",
                    json={"id": channel.id, "resourceId": channel.resource_id},
                )
                response.release()
            except GoogleApiError as err:
                if err.status != 404:
                    raise

    # ------------------------------------------------------------------ errors

    @contextmanager
    def _errors(self, calendar_id: str | None) -> Iterator[None]:
        """Turn every failure into one of the provider errors, naming the calendar."""
        try:
            yield
        except ProviderError:
            raise
        except GoogleApiError as err:
            raise self._meaning(err, calendar_id) from None
        except (ClientError, TimeoutError) as err:
            raise Unreachable(
                f"Google Calendar could not be reached: {_describe(err)}"
            ) from None
        except CalendarParseException as err:
            raise InvalidEvent(
                f"Google sent data this integration cannot read: {err}"
            ) from None
        except GoogleCalendarException as err:
            # gcal-sync wraps transport trouble (e.g. a body that is not JSON).
            raise Unreachable(f"Google Calendar answered unexpectedly: {err}") from None

    def _meaning(self, err: GoogleApiError, calendar_id: str | None) -> ProviderError:
        status, reason = err.status, err.reason
        if status == 401 or reason == "insufficientPermissions":
            return AuthFailed(
                f"Google refused the access token of {self.account} ({err.message})."
            )
        if status == 429 or (status == 403 and reason in _RATE_LIMIT_REASONS):
            return RateLimited(
                f"Google asks to slow down ({reason}: {err.message}).", err.retry_after
            )
        if status in (403, 404) and calendar_id is not None:
            return NotShared(
                calendar_id,
                self.account,
                f'Calendar "{calendar_id}" is not shared with {self.account} with the '
                f'permission "{SHARE_PERMISSION}": share it with that address in the '
                "calendar's settings in Google Calendar.",
            )
        if status == 410:
            return CursorExpired(
                f"The sync token of calendar {calendar_id} expired ({reason})."
            )
        if status == 400:
            return InvalidEvent(
                f"Google refused the request for calendar {calendar_id}: {err.message}"
            )
        if status >= 500 or status == 408:
            return Unreachable(f"Google Calendar failed ({status} {reason}).")
        return ProviderError(
            f"Google Calendar answered {status} {reason}: {err.message}"
        )


# --------------------------------------------------------------------- helpers


def _describe(err: BaseException) -> str:
    """Describe a transport error (aiohttp keeps request headers in some: not those)."""
    return f"{type(err).__name__}: {err}" if str(err) else type(err).__name__


def _retry_after(response: ClientResponse) -> float | None:
    """Read Retry-After: seconds, or an HTTP date."""
    raw = response.headers.get("Retry-After")
    if raw is None:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(raw)
    except TypeError, ValueError:
        return None
    return max(0.0, (moment - datetime.now(UTC)).total_seconds())


async def _api_error(response: ClientResponse) -> GoogleApiError:
    """Read Google's error JSON: `{"error": {"code", "message", "errors": [...]}}`."""
    retry_after = _retry_after(response)
    try:
        body = await response.json(content_type=None)
    except ClientError, ValueError:
        body = None
    finally:
        response.release()
    error = body.get("error") if isinstance(body, dict) else None
    reason, message = "", response.reason or ""
    if isinstance(error, dict):
        message = str(error.get("message", message))
        details = error.get("errors")
        if isinstance(details, list) and details and isinstance(details[0], dict):
            reason = str(details[0].get("reason", ""))
    return GoogleApiError(response.status, reason, message[:300], retry_after)


def _quote(value: str) -> str:
    return quote(value, safe="")


def _event_path(calendar_id: str, event_id: str) -> str:
    return f"calendars/{_quote(calendar_id)}/events/{_quote(event_id)}"


def _calendar_info(entry: Calendar) -> CalendarInfo:
    return CalendarInfo(
        id=entry.id,
        name=entry.summary,
        writable=entry.access_role.is_writer,
        color=entry.background_color,
        timezone=entry.timezone,
    )


def _unreadable(calendar_id: str, event_id: str, reason: SkipReason) -> InvalidEvent:
    return InvalidEvent(
        f"Event {event_id} in calendar {calendar_id} cannot be read ({reason})."
    )


def _belongs(item: _Json, series: Mapping[str, object]) -> bool:
    """Return whether an item is one of the series or their parts (keys: series ids)."""
    return (
        item.get("id") in series
        or item.get("recurringEventId") in series
        or series_of(item) in series
    )
