"""Home Assistant's own calendar entities as a provider: Local Calendar, ICS feeds, any.

An entity answers only "the events between two moments": there is no change
feed. Each read covers the sync window, and the cursor keeps a short digest of
what each event's occurrences were, so the next read reports just the events
whose digest changed (a quiet read changes nothing and writes nothing).

Copies are written under the uid `<id>@shared-calendars`, so reading one back
gives the id the ledger knows. Entities that replace the uid they are given
cannot hold copies (see README).
"""

from __future__ import annotations

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
from ..engine.model import (
    CalendarInfo,
    ChangeSet,
    Event,
    EventStatus,
    SyncWindow,
    resource_of,
)
from .base import CursorExpired, InvalidEvent, NotShared, ProviderError
from .ha_events import (
    event_id_of,
    fold,
    group_key_of,
    occurrence_digest,
    recurrence_id_text,
    uid_of,
    write_fields,
)

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
        by_uid = await self._read(calendar_id)
        digests = {
            event_id_of(uid): occurrence_digest(items) for uid, items in by_uid.items()
        }
        changed: list[Event] = []
        own_writes = 0
        for uid, items in by_uid.items():
            event_id, digest = event_id_of(uid), digests[event_id_of(uid)]
            written = self._written.pop((calendar_id, event_id), None)
            if before is not None:
                if before.get(event_id) == digest:
                    continue
                if written == digest and known is not None and event_id in known:
                    own_writes += 1  # the cursor moved over our own write: keep it
                    continue
            changed.extend(
                self._recognised(event, known) for event in fold(uid, items, self._zone)
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

    @staticmethod
    def _recognised(event: Event, known: Mapping[str, Event] | None) -> Event:
        """Keep the copy marker of an event this integration wrote: its id is the ledger's."""
        previous = known.get(event.id) if known is not None else None
        if previous is not None and previous.copy_of is not None:
            return replace(event, copy_of=previous.copy_of)
        return event

    async def get_event(self, calendar_id: str, event_id: str) -> Event | None:
        """Return one event as the window shows it."""
        uid = uid_of(resource_of(event_id))
        items = (await self._read(calendar_id)).get(uid)
        if not items:
            return None
        return next(
            (event for event in fold(uid, items, self._zone) if event.id == event_id),
            None,
        )

    async def put_event(
        self, calendar_id: str, event: Event, previous: Event | None = None
    ) -> Event:
        """Write an event under its uid: changed in place when it is a single event."""
        entity = self._entity(calendar_id)
        if not can_write(entity):
            raise InvalidEvent(f"Calendar {calendar_id} cannot be written")
        uid = uid_of(event.id)
        zone = self._zone
        try:
            async with self._writing_to(calendar_id):
                if (
                    previous is not None
                    and not previous.recurring
                    and not event.recurring
                ):
                    await entity.async_update_event(uid, write_fields(event, zone))
                else:
                    await self._remove(entity, uid)
                    await entity.async_create_event(
                        uid=uid, **write_fields(event, zone)
                    )
                    await self._write_exceptions(entity, uid, event, zone)
        except (HomeAssistantError, ValueError) as err:
            raise InvalidEvent(
                f"Calendar {calendar_id} refused event {event.id}: {err}"
            ) from err
        items = (await self._read(calendar_id)).get(uid)
        if not items and _in(event.start, self._window(), zone):
            raise InvalidEvent(
                f"Calendar {calendar_id} did not keep the uid of event {event.id}: "
                "it cannot hold copies"
            )
        if items:
            self._written[(calendar_id, event.id)] = occurrence_digest(items)
        return event

    async def _write_exceptions(
        self, entity: CalendarEntity, uid: str, event: Event, zone: tzinfo
    ) -> None:
        """Delete the series' excluded and cancelled occurrences; change the moved ones."""
        window = self._window()
        for moment in event.exdate:
            if _in(moment, window, zone):
                await self._remove(entity, uid, recurrence_id_text(moment, zone))
        for override in event.overrides:
            if override.recurrence_id is None or not _in(
                override.recurrence_id, window, zone
            ):
                continue
            recurrence_id = recurrence_id_text(override.recurrence_id, zone)
            if override.status is EventStatus.CANCELLED:
                await self._remove(entity, uid, recurrence_id)
            else:
                await entity.async_update_event(
                    uid, write_fields(override, zone), recurrence_id=recurrence_id
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
        async with self._writing_to(calendar_id):
            await self._remove(entity, uid_of(resource_of(event_id)))

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
