"""Reading what changed in a CalDAV calendar.

Changes come from the sync-collection REPORT (RFC 6578); the cursor is the sync
token. A server that refuses that report is read by ctag (CS:getctag) and an etag
listing instead; that cursor is compact JSON holding the ctag and every resource's
etag. A managed copy this provider wrote comes back with the ETag its PUT got and
is not downloaded again: the sync cycle recorded it when it wrote it; after writes,
sync-collection asks for etags only and a calendar-multiget fetches the rest.
An answer that one object's data makes unparsable (a control character some
servers write into their XML raw) is asked again without data, its multiget in
halves down to that object, which is then read alone by GET (`narrowing`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import tzinfo
from functools import partial
import json
import logging
from urllib.parse import quote

from caldav.lib import error as dav_error

from ..engine.model import ChangeSet, Event, SkippedEvent
from .base import CursorExpired, NotShared
from .caldav_client import in_executor
from .caldav_connection import CalDavConnection, _Malformed, _ReportRefused
from .caldav_xml import (
    CALSERVER,
    DAV,
    SAFE_PATH,
    event_id_for,
    multiget_body,
    path_of,
    resource_name,
    sync_collection_body,
    tags,
    text,
    url_for,
)
from .ical_objects import read_resource
from .narrowing import Unparsable, fetch_narrowing

_LOGGER = logging.getLogger(__name__)

_MULTIGET_BATCH = 100
_MAX_SYNC_PAGES = 1000
_CURSOR_VERSION = 1


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
class Resource:
    """Where an event was seen, and its ETag then."""

    url: str
    etag: str | None


@dataclass(frozen=True, slots=True)
class _Fetched:
    path: str
    etag: str | None
    data: str | None


class _SyncUnsupported(Exception):
    """The server refused the sync-collection REPORT."""


@dataclass(slots=True)
class KnownResources:
    """What the provider's own requests taught it about each calendar's resources."""

    resources: dict[str, dict[str, Resource]] = field(default_factory=dict)
    """Calendar -> event id -> where the event was last seen."""
    written: dict[str, dict[str, str]] = field(default_factory=dict)
    """Calendar -> resource path -> the ETag our PUT of a managed copy got.

    Only copies: the sync cycle writes them and records each as written
    (`SyncState.record_put`), so reading one back tells nothing new. Anything
    else written here (a user's event, through a service) is news to the
    engine, which learns of it from `changes`.
    """
    unsynced_writes: set[str] = field(default_factory=set)
    """Calendars written to since their last sync-collection began."""

    def not_own_writes(self, calendar_id: str, items: list[_Fetched]) -> list[_Fetched]:
        """Drop the copies that still hold what we wrote; forget the others' PUTs.

        A resource's ETag changes with its content (RFC 4791 5.3.4: a server that
        alters what it stores sends no ETag with the PUT, so nothing is recorded),
        so one that still has the ETag of our PUT holds exactly what we wrote, and
        the engine recorded that when it wrote it.
        """
        written = self.written.get(calendar_id)
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

    def forget_writes(self, calendar_id: str, paths: Iterable[str]) -> None:
        """Forget the ETags our PUTs got for resources at `paths`."""
        written = self.written.get(calendar_id, {})
        for path in paths:
            written.pop(path.rstrip("/"), None)

    def forget(self, calendar_id: str, event_ids: Iterable[str]) -> None:
        """Forget where the events `event_ids` were seen."""
        known = self.resources.get(calendar_id, {})
        for event_id in event_ids:
            known.pop(event_id, None)


class ChangeReader:
    """Reads the changes of one CalDAV account's calendars."""

    def __init__(
        self,
        connection: CalDavConnection,
        known: KnownResources,
        floating_zone: Callable[[str], Awaitable[tzinfo]],
    ) -> None:
        """Read through `connection`, into and from what `known` holds.

        `floating_zone` returns the zone a calendar's floating times are read in.
        """
        self._connection = connection
        self._known = known
        self._floating_zone = floating_zone
        self._sync_unsupported: set[str] = set()

    async def changes(self, calendar_id: str, cursor: str | None) -> ChangeSet:
        """Return what changed since `cursor`; everything when `cursor` is None."""
        if cursor is not None and cursor.startswith("{"):
            return await self._listing_changes(calendar_id, _Listing.decode(cursor))
        if calendar_id not in self._sync_unsupported:
            try:
                return await self._sync_changes(calendar_id, cursor)
            except _SyncUnsupported:
                _LOGGER.debug(
                    "%s refuses sync-collection; reading %s by ctag and etags",
                    self._connection.host,
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
        collection = path_of(calendar_id)
        fetched: dict[str, _Fetched] = {}
        deleted: dict[str, None] = {}
        current = token or ""
        # After copies we wrote, ask for etags only: they come back with the
        # etag their PUT got and need no download; the rest comes by multiget.
        # Otherwise (a quiet calendar, a first sync after a restart) the data comes
        # in the same request.
        with_data = token is None or calendar_id not in self._known.unsynced_writes
        self._known.unsynced_writes.discard(calendar_id)
        for _ in range(_MAX_SYNC_PAGES):
            try:
                response = await self._connection.send(
                    "REPORT",
                    calendar_id,
                    body=sync_collection_body(current, with_data=with_data),
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
                raise self._connection.not_shared(calendar_id)
            preconditions = dav_error.parse_preconditions(response.raw)
            if f"{DAV}valid-sync-token" in preconditions:
                raise CursorExpired(
                    f"The sync token of {calendar_id} is no longer valid"
                )
            if response.status not in (200, 207):
                raise _SyncUnsupported
            try:
                result = self._connection.sync_result(response)
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
            items = self._known.not_own_writes(calendar_id, items)
        events, gone, skipped = await self._complete(calendar_id, items, floating)
        self._known.forget_writes(calendar_id, [*deleted, *gone])
        removed = [event_id_for(resource_name(path)) for path in [*deleted, *gone]]
        self._known.forget(calendar_id, removed)
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
            _, response = await self._connection.propfind(
                calendar_id, ("CS:getctag",), depth=0, calendar=calendar_id
            )
            if response.status == 404:
                raise self._connection.not_shared(calendar_id)
            if response.status not in (200, 207):
                raise self._connection.unexpected(response, "PROPFIND")
            results = self._connection.results(response, "PROPFIND")
            ctag = (
                text(results[0].properties.get(f"{CALSERVER}getctag"))
                if results
                else None
            )
            if ctag == known.ctag:
                return ChangeSet(changed=(), deleted=(), cursor=known.encode())
        _, response = await self._connection.propfind(
            calendar_id,
            ("D:resourcetype", "D:getetag", "CS:getctag"),
            depth=1,
            calendar=calendar_id,
        )
        if response.status == 404:
            raise self._connection.not_shared(calendar_id)
        if response.status not in (200, 207):
            raise self._connection.unexpected(response, "PROPFIND")
        collection = path_of(calendar_id)
        ctag = None
        etags: dict[str, str | None] = {}
        paths: dict[str, str] = {}
        for result in self._connection.results(response, "PROPFIND"):
            if result.href.rstrip("/") == collection:
                ctag = text(result.properties.get(f"{CALSERVER}getctag"))
                continue
            if result.href.endswith("/") or f"{DAV}collection" in tags(
                result.properties.get(f"{DAV}resourcetype")
            ):
                continue
            name = resource_name(result.href)
            etags[name] = text(result.properties.get(f"{DAV}getetag"))
            paths[name] = result.href
        previous = known.etags if known is not None else {}
        wanted = [
            _Fetched(paths[name], etag, None)
            for name, etag in etags.items()
            if known is None or etag is None or previous.get(name) != etag
        ]
        listed = len(wanted)
        if known is not None:
            wanted = self._known.not_own_writes(calendar_id, wanted)
        events, gone, skipped = await self._complete(calendar_id, wanted, floating)
        for path in gone:
            etags.pop(resource_name(path), None)
        removed = [name for name in previous if name not in etags]
        written = self._known.written.get(calendar_id, {})
        for path in [path for path in written if resource_name(path) not in etags]:
            del written[path]
        removed_ids = [event_id_for(name) for name in removed]
        removed_ids += [event_id_for(resource_name(path)) for path in gone]
        self._known.forget(calendar_id, removed_ids)
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
        converted = await in_executor(
            convert_all,
            [(item.path, item.data or "") for item in ready.values()],
            floating,
        )
        events: list[Event] = []
        skipped: list[SkippedEvent] = []
        known = self._known.resources.setdefault(calendar_id, {})
        for path, held, unreadable in converted:
            if held:
                known[event_id_for(resource_name(path))] = Resource(
                    url_for(calendar_id, path), ready[path].etag
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
            response = await self._connection.send(
                "REPORT",
                calendar_id,
                body=multiget_body(quote(path, safe=SAFE_PATH) for path in paths),
                calendar=calendar_id,
            )
            if response.status == 404:
                raise self._connection.not_shared(calendar_id)
            if response.status not in (200, 207):
                raise self._connection.unexpected(response, "REPORT")
            results = self._connection.query_results(response)
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
            self._connection.host,
            calendar_id,
        )
        response = await self._connection.send(
            "GET", url_for(calendar_id, path), calendar=calendar_id
        )
        if response.status in (404, 410):
            return _Fetched(path, None, None)
        if response.status != 200:
            raise self._connection.unexpected(response, "GET")
        return _Fetched(path, response.headers.get("ETag"), response.raw)


def convert_all(
    items: Sequence[tuple[str, str]], floating: tzinfo
) -> list[tuple[str, list[Event], list[SkippedEvent]]]:
    """Convert calendar object resources (path, data), and say what is unreadable."""
    converted: list[tuple[str, list[Event], list[SkippedEvent]]] = []
    for path, data in items:
        events, skipped = read_resource(
            data, event_id_for(resource_name(path)), floating=floating
        )
        for item in skipped:
            _LOGGER.debug("Cannot read %s in %s (%s)", item.id, path, item.reason)
        converted.append((path, events, skipped))
    return converted
