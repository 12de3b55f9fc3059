"""The CalDAV provider: any CalDAV server (Nextcloud, iCloud, Fastmail, Radicale, ...).

The provider finds the account's calendars and writes events; its parts are
`caldav_connection` (requests and what their failures mean), `caldav_changes`
(reading changes), `caldav_xml` (request bodies and hrefs) and `caldav_client`
(what the caldav library needs around it). Writes are plain PUT and DELETE
requests: the library's save/delete send neither `If-None-Match: *` nor `If-Match`.

Identities, so that reading and writing agree:
- A calendar's id is its collection URL.
- An event's id is its resource name without the `.ics` suffix (a name without
  that suffix is the id itself); events this provider creates are stored as
  `<id>.ics`, with UID `Event.ical_uid`.

Floating times are read in the calendar's own time zone
(CALDAV:calendar-timezone), else in the provider's `default_timezone`, else UTC.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, tzinfo
import logging
import ssl
from typing import Any
from urllib.parse import quote, urljoin
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from caldav.lib import error as dav_error

from ..engine.model import CalendarInfo, ChangeSet, Event, resource_of
from .base import InvalidEvent, NotShared, Unreachable
from .caldav_changes import ChangeReader, KnownResources, Resource, convert_all
from .caldav_client import in_executor, request_counter
from .caldav_connection import CalDavConnection, _Forbidden
from .caldav_xml import (
    APPLE,
    CALDAV,
    DAV,
    SAFE_PATH,
    color,
    event_id_for,
    path_of,
    resource_name,
    tags,
    text,
    url_for,
)
from .ical import event_to_ical, timezone_from_vtimezone

__all__ = ["CalDavProvider", "event_id_for"]

_LOGGER = logging.getLogger(__name__)

_CALENDAR_PROPS = (
    "D:resourcetype",
    "D:displayname",
    "D:current-user-privilege-set",
    "C:supported-calendar-component-set",
    "C:calendar-timezone",
    "A:calendar-color",
)
_WRITE_PRIVILEGES = frozenset({f"{DAV}all", f"{DAV}write", f"{DAV}write-content"})
_ICALENDAR = {"Content-Type": 'text/calendar; charset="utf-8"'}


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
        self._connection = CalDavConnection(
            url=url,
            username=username,
            password=password,
            ssl_context=ssl_context,
            timeout=timeout,
        )
        self._default_timezone = default_timezone
        self._home: str | None = None
        self._zones: dict[str, tzinfo] = {}
        self._known = KnownResources()
        self._reader = ChangeReader(self._connection, self._known, self._floating_zone)

    @property
    def account(self) -> str:
        """Return the account as user@host."""
        return self._connection.account

    async def close(self) -> None:
        """Release connections."""
        await self._connection.close()

    # -- discovery --------------------------------------------------------------

    async def _calendar_home(self) -> str:
        """Find the calendar home: the URL given, its principal, or well-known."""
        if self._home is not None:
            return self._home
        well_known = urljoin(self._connection.url, "/.well-known/caldav")
        refusal: _Forbidden | None = None
        for start in dict.fromkeys((self._connection.url, well_known)):
            try:
                url, response = await self._connection.propfind(
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
            props = self._connection.results(response, "PROPFIND")
            found = props[0].properties if props else {}
            home = found.get(f"{CALDAV}calendar-home-set")
            principal = text(found.get(f"{DAV}current-user-principal"))
            if home is None and principal is not None:
                principal_url = urljoin(url, principal)
                _, answer = await self._connection.propfind(
                    principal_url, ("C:calendar-home-set",), depth=0
                )
                if answer.status in (200, 207) and (
                    results := self._connection.results(answer, "PROPFIND")
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
        raise Unreachable(f"No CalDAV service found at {self._connection.url}")

    async def list_calendars(self) -> list[CalendarInfo]:
        """Return the event calendars in the account's calendar home."""
        home = await self._calendar_home()
        url, response = await self._connection.propfind(home, _CALENDAR_PROPS, depth=1)
        if response.status not in (200, 207):
            raise self._connection.unexpected(response, "PROPFIND")
        calendars = []
        for result in self._connection.results(response, "PROPFIND"):
            info = await self._calendar_info(
                url_for(url, result.href), result.properties
            )
            if info is not None:
                calendars.append(info)
        return calendars

    async def get_calendar(self, calendar_id: str) -> CalendarInfo:
        """Return one calendar, or raise `NotShared` when the account cannot use it."""
        _, response = await self._connection.propfind(
            calendar_id, _CALENDAR_PROPS, depth=0, calendar=calendar_id
        )
        if response.status == 404:
            raise self._connection.not_shared(calendar_id)
        if response.status not in (200, 207):
            raise self._connection.unexpected(response, "PROPFIND")
        results = self._connection.results(response, "PROPFIND")
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
        if f"{CALDAV}calendar" not in tags(props.get(f"{DAV}resourcetype")):
            return None
        components = tags(props.get(f"{CALDAV}supported-calendar-component-set"))
        if components and "VEVENT" not in components:
            return None
        privileges = props.get(f"{DAV}current-user-privilege-set")
        writable = privileges is None or bool(
            _WRITE_PRIVILEGES.intersection(tags(privileges))
        )
        zone_name, self._zones[url] = await in_executor(
            _calendar_zone,
            text(props.get(f"{CALDAV}calendar-timezone")),
            self._default_timezone,
        )
        return CalendarInfo(
            id=url,
            name=text(props.get(f"{DAV}displayname")) or resource_name(url),
            writable=writable,
            color=color(props.get(f"{APPLE}calendar-color")),
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
        token = request_counter.set(counter)
        try:
            changes = await self._reader.changes(calendar_id, cursor)
        finally:
            request_counter.reset(token)
        return replace(changes, requests=counter[0])

    def _candidate_urls(self, calendar_id: str, event_id: str) -> list[str]:
        """Where an event may live: where it was last seen, else `<id>.ics`, `<id>`."""
        base = calendar_id if calendar_id.endswith("/") else calendar_id + "/"
        candidates = [
            urljoin(base, quote(event_id + ".ics", safe=SAFE_PATH.replace("/", ""))),
            urljoin(base, quote(event_id, safe=SAFE_PATH.replace("/", ""))),
        ]
        if (
            seen := self._known.resources.get(calendar_id, {}).get(event_id)
        ) is not None:
            candidates.insert(0, seen.url)
        return list(dict.fromkeys(candidates))

    async def get_event(self, calendar_id: str, event_id: str) -> Event | None:
        """Return one event (a series with its overrides), or None when it is gone."""
        floating = await self._floating_zone(calendar_id)
        resource = resource_of(event_id)
        for url in self._candidate_urls(calendar_id, resource):
            response = await self._connection.send("GET", url, calendar=calendar_id)
            if response.status in (404, 410):
                continue
            if response.status != 200:
                raise self._connection.unexpected(response, "GET")
            converted = await in_executor(
                convert_all, [(path_of(url), response.raw)], floating
            )
            _, held, _ = converted[0]
            if held:
                self._known.resources.setdefault(calendar_id, {})[resource] = Resource(
                    url, response.headers.get("ETag")
                )
            return next((event for event in held if event.id == event_id), None)
        self._known.forget(calendar_id, [resource])
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
        seen = self._known.resources.get(calendar_id, {}).get(event.id)
        etag = seen.etag if seen is not None else None
        body = await in_executor(event_to_ical, event, stamp=datetime.now(UTC))
        for _ in range(3):
            if etag:
                condition = {"If-Match": etag}
            else:
                condition = {} if previous is not None else {"If-None-Match": "*"}
            response = await self._connection.send(
                "PUT",
                url,
                body=body.decode(),
                headers={**_ICALENDAR, **condition},
                calendar=calendar_id,
            )
            if response.status in (200, 201, 204):
                written = response.headers.get("ETag")
                self._known.resources.setdefault(calendar_id, {})[event.id] = Resource(
                    url, written
                )
                if written and event.copy_of is not None:
                    self._known.written.setdefault(calendar_id, {})[path_of(url)] = (
                        written
                    )
                    self._known.unsynced_writes.add(calendar_id)
                else:
                    self._known.forget_writes(calendar_id, [path_of(url)])
                return event
            if response.status == 412 or (response.status == 404 and etag):
                etag = await self._current_etag(calendar_id, url)
                continue
            preconditions = dav_error.parse_preconditions(response.raw)
            if response.status == 404 or (response.status == 409 and not preconditions):
                # No such collection (RFC 4918: 409 when the parent is missing).
                raise self._connection.not_shared(calendar_id)
            if response.status in (400, 409, 413, 415, 422):
                raise InvalidEvent(
                    f"{calendar_id} refused event {event.id}: HTTP {response.status}"
                )
            raise self._connection.unexpected(response, "PUT")
        raise Unreachable(
            f"Event {event.id} in {calendar_id} kept changing while it was written"
        )

    async def _current_etag(self, calendar_id: str, url: str) -> str | None:
        _, response = await self._connection.propfind(
            url, ("D:getetag",), depth=0, calendar=calendar_id
        )
        if response.status == 404:
            return None
        if response.status not in (200, 207):
            raise self._connection.unexpected(response, "PROPFIND")
        for result in self._connection.results(response, "PROPFIND"):
            if result.status < 300:
                return text(result.properties.get(f"{DAV}getetag"))
        return None

    async def delete_event(self, calendar_id: str, event_id: str) -> None:
        """Delete an event; one that is already gone is not an error."""
        _refuse_part(calendar_id, event_id)
        for url in self._candidate_urls(calendar_id, event_id):
            response = await self._connection.send("DELETE", url, calendar=calendar_id)
            if response.status in (200, 202, 204):
                break
            if response.status not in (404, 410):
                raise self._connection.unexpected(response, "DELETE")
        self._known.forget_writes(
            calendar_id, map(path_of, self._candidate_urls(calendar_id, event_id))
        )
        self._known.forget(calendar_id, [event_id])


def _refuse_part(calendar_id: str, event_id: str) -> None:
    """Refuse to write one of several events stored in one calendar object.

    Writing it alone would replace the others; they are changed where they were made.
    """
    if resource_of(event_id) != event_id:
        raise InvalidEvent(
            f"Event {event_id} in {calendar_id} is stored together with other events "
            "in one calendar object; change it in the calendar app that made it"
        )
