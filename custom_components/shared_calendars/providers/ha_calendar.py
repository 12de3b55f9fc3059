"""Home Assistant's own calendar entities as a provider: Local Calendar, ICS feeds, any.

An entity answers only "the events between two moments": there is no change
feed. Each read covers the sync window, and the cursor keeps a short digest of
what each event's occurrences were, so the next read reports just the events
whose digest changed (a quiet read changes nothing and writes nothing).

Copies are written under the uid `<id>@shared-calendars`, so reading one back
gives the id the ledger knows. An entity that gives events uids of its own
(Google through Home Assistant, Microsoft 365) gets its copies found after each
create, and their uids kept in the sync state (see `ha_uids.py`).
"""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import datetime, timedelta, tzinfo
import json
from typing import Any, Final

from homeassistant.components.calendar import CalendarEntity, CalendarEvent
from homeassistant.components.calendar.const import (
    DATA_COMPONENT,
    CalendarEntityFeature,
)
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.util import dt as dt_util

from ..const import DOMAIN
from ..engine.content import instant
from ..engine.model import (
    CalendarInfo,
    CalendarRef,
    ChangeSet,
    DateOrDateTime,
    Event,
    EventStatus,
    SyncWindow,
    resource_of,
)
from ..engine.state import SyncState
from .base import CursorExpired, InvalidEvent, NotShared, ProviderError
from .ha_events import (
    event_id_of,
    fold,
    group_key_of,
    is_copy_uid,
    occurrence_digest,
    recurrence_id_text,
    recurrence_moment,
    uid_of,
    write_fields,
)
from .ha_uids import CopyUidBook, around, by_uid, showing

HA_ACCOUNT_NAME: Final = "Home Assistant"
HA_CALENDARS_TITLE: Final = "Home Assistant calendars"
"""The title of a group's account for Home Assistant's calendar entities."""
WRITE_FEATURES: Final = (
    CalendarEntityFeature.CREATE_EVENT
    | CalendarEntityFeature.UPDATE_EVENT
    | CalendarEntityFeature.DELETE_EVENT
)
_CURSOR_PREFIX: Final = "ha1:"


def can_write(entity: CalendarEntity) -> bool:
    """Return whether an entity can create, change and delete events."""
    features = entity.supported_features or 0
    return features & WRITE_FEATURES == WRITE_FEATURES


def is_own_entity(entity: CalendarEntity) -> bool:
    """Return whether an entity is one of this integration's combined calendars."""
    return entity.platform is not None and entity.platform.platform_name == DOMAIN


def own_entity_ids(hass: HomeAssistant) -> set[str]:
    """Return the entity ids of this integration's calendars."""
    if (component := hass.data.get(DATA_COMPONENT)) is None:
        return set()
    return {entity.entity_id for entity in component.entities if is_own_entity(entity)}


def calendar_entities(hass: HomeAssistant) -> list[CalendarEntity]:
    """Return the calendar entities of other integrations."""
    if (component := hass.data.get(DATA_COMPONENT)) is None:
        return []
    return [entity for entity in component.entities if not is_own_entity(entity)]


def entity_name(hass: HomeAssistant, entity: CalendarEntity) -> str:
    """Return an entity's name as the user sees it."""
    state = hass.states.get(entity.entity_id)
    if state is not None and (name := state.attributes.get("friendly_name")):
        return str(name)
    return entity.entity_id


class HaCalendarProvider:
    """Reads and writes Home Assistant calendar entities, named by entity id."""

    def __init__(self, hass: HomeAssistant, window: Callable[[], SyncWindow]) -> None:
        """Read the window `window` gives at each read (it moves once a day)."""
        self._hass = hass
        self._window = window
        self._written: dict[tuple[str, str], str] = {}
        """The digest each event this provider wrote reads back with, until read:
        the next read takes it as the copy the ledger holds, not as an edit."""
        self._writing: Counter[str] = Counter()
        """Entities being written now: their state updates are this provider's echo."""
        self._uids: CopyUidBook = SyncState()
        """Kept nowhere until `keep_uids_in` names the group's state."""
        self._account = ""
        self._keeps_uids: dict[str, bool] = {}
        """Entity -> whether it keeps the uid a new event is given, once known."""
        self._fresh: dict[str, set[str]] = {}
        """Entity -> uids new at its last read, of no known copy: where a copy
        created just before a crash, its uid never kept, is taken back from
        (adopted) rather than written twice."""
        self._creating: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        """One create at a time per entity: each finds the one event it made."""

    def keep_uids_in(self, book: CopyUidBook, account: str) -> None:
        """Keep the uids entities give copies in `book`, under the group's account id."""
        self._uids = book
        self._account = account

    def _key(self, calendar_id: str) -> str:
        return CalendarRef(account=self._account, calendar_id=calendar_id).key

    def _event_id(self, calendar_id: str, uid: str) -> str:
        """Return the id of the event a uid names: a copy's when the entity gave it."""
        return self._uids.copy_with_uid(self._key(calendar_id), uid) or event_id_of(uid)

    def _uid(self, calendar_id: str, event_id: str) -> str:
        """Return the uid an event is held under in the entity."""
        resource = resource_of(event_id)
        return self._uids.uid_of_copy(self._key(calendar_id), resource) or uid_of(
            resource
        )

    def is_writing(self, entity_id: str) -> bool:
        """Return whether this provider is writing to an entity at this moment."""
        return self._writing[entity_id] > 0

    @asynccontextmanager
    async def _writing_to(self, entity_id: str) -> AsyncIterator[None]:
        self._writing[entity_id] += 1
        try:
            yield
        finally:
            self._writing[entity_id] -= 1

    @property
    def account(self) -> str:
        """Return who the provider acts as."""
        return HA_ACCOUNT_NAME

    def _entity(self, calendar_id: str) -> CalendarEntity:
        component = self._hass.data.get(DATA_COMPONENT)
        entity = component.get_entity(calendar_id) if component else None
        if entity is None or is_own_entity(entity):
            raise NotShared(
                calendar_id,
                HA_ACCOUNT_NAME,
                f"Calendar {calendar_id} is not a calendar entity of Home Assistant",
            )
        return entity

    def _info(self, entity: CalendarEntity) -> CalendarInfo:
        return CalendarInfo(
            id=entity.entity_id,
            name=entity_name(self._hass, entity),
            writable=can_write(entity),
            timezone=self._hass.config.time_zone,
        )

    async def list_calendars(self) -> list[CalendarInfo]:
        """Return every calendar entity but this integration's own."""
        return [self._info(entity) for entity in calendar_entities(self._hass)]

    async def get_calendar(self, calendar_id: str) -> CalendarInfo:
        """Return one calendar entity."""
        return self._info(self._entity(calendar_id))

    @property
    def _zone(self) -> tzinfo:
        return dt_util.get_default_time_zone()

    async def _occurrences(
        self, entity: CalendarEntity, start: datetime, end: datetime
    ) -> list[CalendarEvent]:
        try:
            return await entity.async_get_events(self._hass, start, end)
        except HomeAssistantError as err:
            raise ProviderError(
                f"Calendar {entity.entity_id} could not be read: {err}"
            ) from err

    async def _read(self, calendar_id: str) -> dict[str, list[CalendarEvent]]:
        """Return the window's occurrences by uid."""
        entity = self._entity(calendar_id)
        window = self._window()
        by_uid: dict[str, list[CalendarEvent]] = defaultdict(list)
        for occurrence in await self._occurrences(entity, window.start, window.end):
            by_uid[group_key_of(occurrence)].append(occurrence)
        return by_uid

    async def changes(
        self,
        calendar_id: str,
        cursor: str | None,
        known: Mapping[str, Event] | None = None,
    ) -> ChangeSet:
        """Return the events whose occurrences changed since the cursor's read."""
        before = _parse_cursor(cursor) if cursor is not None else None
        read = await self._read(calendar_id)
        ids = {uid: self._event_id(calendar_id, uid) for uid in read}
        digests = {ids[uid]: occurrence_digest(items) for uid, items in read.items()}
        self._note_fresh(calendar_id, ids, known)
        changed: list[Event] = []
        own_writes = 0
        for uid, items in read.items():
            event_id, digest = ids[uid], digests[ids[uid]]
            written = self._written.pop((calendar_id, event_id), None)
            if before is not None:
                if before.get(event_id) == digest:
                    continue
                if written == digest and known is not None and event_id in known:
                    own_writes += 1  # the cursor moved over our own write: keep it
                    continue
            changed.extend(
                self._recognised(event, known)
                for event in fold(uid, items, self._zone, event_id)
            )
        deleted: list[str] = []
        if before is not None:
            gone = set(before) - set(digests)
            deleted = sorted(
                event_id for event_id in (known or {}) if resource_of(event_id) in gone
            ) or sorted(gone)
        return ChangeSet(
            changed=tuple(changed),
            deleted=tuple(deleted),
            cursor=_CURSOR_PREFIX + json.dumps(digests, sort_keys=True),
            complete=before is None,
            requests=1,
            own_writes=own_writes,
        )

    def _note_fresh(
        self,
        calendar_id: str,
        ids: Mapping[str, str],
        known: Mapping[str, Event] | None,
    ) -> None:
        """Keep which uids a create before a crash may have left: new, no copy's.

        New means not in the mirror (`known`): the member's own events there,
        read before, are never taken.
        """
        if any(map(is_copy_uid, ids)):
            self._keeps_uids[calendar_id] = True  # it holds copies under their uids
        key = self._key(calendar_id)
        self._fresh[calendar_id] = {
            uid
            for uid, event_id in ids.items()
            if event_id not in (known or {})
            and not is_copy_uid(uid)
            and self._uids.copy_with_uid(key, uid) is None
        }

    @staticmethod
    def _recognised(event: Event, known: Mapping[str, Event] | None) -> Event:
        """Keep the copy marker of an event this integration wrote: its id is the ledger's."""
        previous = known.get(event.id) if known is not None else None
        if previous is not None and previous.copy_of is not None:
            return replace(event, copy_of=previous.copy_of)
        return event

    async def get_event(self, calendar_id: str, event_id: str) -> Event | None:
        """Return one event as the window shows it."""
        uid = self._uid(calendar_id, event_id)
        items = (await self._read(calendar_id)).get(uid)
        if not items:
            return None
        folded = fold(uid, items, self._zone, self._event_id(calendar_id, uid))
        return next((event for event in folded if event.id == event_id), None)

    async def put_event(
        self, calendar_id: str, event: Event, previous: Event | None = None
    ) -> Event:
        """Write an event: changed in place when it is a single event, else anew."""
        entity = self._entity(calendar_id)
        if not can_write(entity):
            raise InvalidEvent(f"Calendar {calendar_id} cannot be written")
        zone = self._zone
        try:
            async with self._writing_to(calendar_id):
                if (
                    previous is not None
                    and not previous.recurring
                    and not event.recurring
                ):
                    uid = self._uid(calendar_id, event.id)
                    await entity.async_update_event(uid, write_fields(event, zone))
                else:
                    async with self._creating[calendar_id]:
                        uid = await self._write_anew(entity, event, previous)
                    await self._write_exceptions(entity, uid, event, zone)
        except (HomeAssistantError, ValueError) as err:
            raise InvalidEvent(
                f"Calendar {calendar_id} refused event {event.id}: {err}"
            ) from err
        items = (await self._read(calendar_id)).get(uid)
        if items:
            self._written[(calendar_id, event.id)] = occurrence_digest(items)
        return replace(event, ical_uid=uid)

    async def _write_anew(
        self, entity: CalendarEntity, event: Event, previous: Event | None
    ) -> str:
        """Create an event (a series without its exceptions); return its uid.

        A copy the entity holds already though the state lost its uid (a crash
        right after its create) is taken back instead.
        """
        calendar_id = entity.entity_id
        if previous is None and (uid := await self._adopt(entity, event)) is not None:
            return uid
        key = self._key(calendar_id)
        uid = uid_of(event.id)
        held = self._uids.uid_of_copy(key, event.id) or uid
        fields = write_fields(event, self._zone)
        if self._keeps_uids.get(calendar_id):
            await self._remove(entity, held)  # written before: once is enough
            await entity.async_create_event(uid=uid, **fields)
            return uid
        start, end = around(event, self._zone)
        before = by_uid(await self._occurrences(entity, start, end))
        if held != uid or uid in before:
            await self._remove(entity, held)
        await entity.async_create_event(uid=uid, **fields)
        after = by_uid(await self._occurrences(entity, start, end))
        self._keeps_uids[calendar_id] = uid in after
        if uid in after:
            return uid
        new = {
            other: items
            for other, items in after.items()
            if other not in before and self._uids.copy_with_uid(key, other) is None
        }
        found = showing(new, event, self._zone, exact=True) or showing(
            new, event, self._zone, exact=False
        )
        if found is None:
            raise InvalidEvent(
                f"Calendar {calendar_id} shows no new event for copy {event.id}"
            )
        self._uids.remember_copy_uid(key, found, event.id)
        return found

    async def _adopt(self, entity: CalendarEntity, event: Event) -> str | None:
        """Return the uid of a new event that shows the copy exactly, now its copy's."""
        calendar_id = entity.entity_id
        fresh = self._fresh.get(calendar_id)
        if not fresh or self._keeps_uids.get(calendar_id):
            return None
        shown = by_uid(await self._occurrences(entity, *around(event, self._zone)))
        candidates = {uid: items for uid, items in shown.items() if uid in fresh}
        if (found := showing(candidates, event, self._zone, exact=True)) is None:
            return None
        fresh.discard(found)
        self._uids.remember_copy_uid(self._key(calendar_id), found, event.id)
        return found

    async def _write_exceptions(
        self, entity: CalendarEntity, uid: str, event: Event, zone: tzinfo
    ) -> None:
        """Delete the series' excluded and cancelled occurrences; change the moved ones.

        Each occurrence is named by the recurrence id the entity gives it (Google
        names instances by their own ids), or as Local Calendar names them.
        """
        if not event.exdate and not event.overrides:
            return
        window = self._window()
        named = {
            instant(recurrence_moment(item, zone), zone): item.recurrence_id
            for item in await self._occurrences(entity, window.start, window.end)
            if item.uid == uid and item.recurrence_id
        }

        def recurrence_id(moment: DateOrDateTime) -> str:
            return named.get(instant(moment, zone)) or recurrence_id_text(moment, zone)

        for moment in event.exdate:
            if _in(moment, window, zone):
                await self._remove(entity, uid, recurrence_id(moment))
        for override in event.overrides:
            if override.recurrence_id is None or not _in(
                override.recurrence_id, window, zone
            ):
                continue
            if override.status is EventStatus.CANCELLED:
                await self._remove(entity, uid, recurrence_id(override.recurrence_id))
            else:
                await entity.async_update_event(
                    uid,
                    write_fields(override, zone),
                    recurrence_id=recurrence_id(override.recurrence_id),
                )

    @staticmethod
    async def _remove(
        entity: CalendarEntity, uid: str, recurrence_id: str | None = None
    ) -> None:
        """Delete an event or one occurrence; one that is not there is no error."""
        try:
            await entity.async_delete_event(uid, recurrence_id=recurrence_id)
        except HomeAssistantError:
            return

    async def delete_event(self, calendar_id: str, event_id: str) -> None:
        """Delete an event; one already gone is not an error."""
        entity = self._entity(calendar_id)
        self._written.pop((calendar_id, event_id), None)
        uid = self._uid(calendar_id, event_id)
        async with self._writing_to(calendar_id):
            await self._remove(entity, uid)
        key = self._key(calendar_id)
        if self._uids.copy_with_uid(key, uid) is not None:
            self._uids.remember_copy_uid(key, uid, None)

    async def close(self) -> None:
        """Nothing to release: the entities belong to Home Assistant."""


def _in(moment: Any, window: SyncWindow, zone: tzinfo) -> bool:
    start = (
        moment
        if isinstance(moment, datetime)
        else datetime(moment.year, moment.month, moment.day, tzinfo=zone)
    )
    return window.start - timedelta(days=1) <= start <= window.end


def _parse_cursor(cursor: str) -> dict[str, str]:
    if not cursor.startswith(_CURSOR_PREFIX):
        raise CursorExpired("Not a cursor of a Home Assistant calendar")
    digests = json.loads(cursor.removeprefix(_CURSOR_PREFIX))
    return {str(key): str(value) for key, value in digests.items()}
