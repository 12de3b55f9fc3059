"""Calendar entities: each member's combined and source calendars, and Everyone.

They read the mirror the last cycle kept, so a dashboard showing a month costs no
request. A change made on a source calendar goes to its provider at once, shows
here at once, and the next cycle (requested right away) copies it to the others.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from contextlib import AbstractContextManager
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, tzinfo
import re
from typing import Any, override

from homeassistant.components.calendar import (
    CalendarEntity,
    CalendarEntityDescription,
    CalendarEvent,
)
from homeassistant.components.calendar.const import (
    EVENT_DESCRIPTION,
    EVENT_END,
    EVENT_LOCATION,
    EVENT_RRULE,
    EVENT_START,
    EVENT_SUMMARY,
    CalendarEntityFeature,
    CalendarEventStatus,
)
from homeassistant.components.calendar.helper import validate_rrule
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.util import dt as dt_util
import probatio

from .accounts import account_names
from .const import DOMAIN, LOGGER
from .coordinator import SharedCalendarsConfigEntry, SharedCalendarsCoordinator
from .engine.content import instant
from .engine.edits import (
    ending_before,
    has_occurrence,
    occurrence_of,
    rescheduled,
    with_occurrence,
    without_occurrence,
)
from .engine.ids import ical_uid_of, new_event_id
from .engine.model import (
    CalendarInfo,
    CalendarRef,
    ChangeSet,
    DateOrDateTime,
    Event,
    EventStatus,
    Member,
)
from .engine.occurrences import Occurrence, occurrences
from .engine.views import everyone
from .entity import SharedCalendarsEntity, async_remove_stale_entities
from .event_fields import TEXT_LIMITS, check_length
from .helpers import provider_errors
from .providers.base import CalendarProvider, InvalidEvent, ProviderError
from .room_booking import async_book_room
from .room_options import Room

PARALLEL_UPDATES = 0

LOOKAHEAD = timedelta(days=365)
"""How far ahead a calendar looks for its current or next event (its state)."""
UPCOMING = 20
"""How many upcoming occurrences a calendar keeps at hand between cycles."""
THIS_AND_FUTURE = "THISANDFUTURE"
"""The recurrence range Home Assistant sends for "this and the following events"."""

EVERYONE = CalendarEntityDescription(key="everyone", translation_key="everyone")
COMBINED = CalendarEntityDescription(key="combined", translation_key="combined")
SOURCE = CalendarEntityDescription(key="source", translation_key="source")
ROOM = CalendarEntityDescription(key="room", translation_key="room")
SOURCE_NAMED_AFTER_MEMBER = "source_named_after_member"
"""A source calendar whose name already names its member: shown by that name."""


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SharedCalendarsConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the group's Everyone calendar and each member's calendars."""
    coordinator = entry.runtime_data.coordinator
    members = coordinator.members
    # Every calendar's name, for messages too; a source's rights, for its entity.
    calendars = list(coordinator.calendars().values())
    found = await asyncio.gather(
        *(_async_calendar_info(entry.runtime_data.providers, ref) for ref in calendars)
    )
    infos = {ref.key: info for ref, info in zip(calendars, found, strict=True)}
    for ref, info in zip(calendars, found, strict=True):
        if info is not None:
            coordinator.remember_calendar_name(ref, info.name)
    group: list[SharedCalendarsCalendarEntity] = [
        EveryoneCalendarEntity(coordinator),
        *(
            RoomCalendarEntity(coordinator, room, infos.get(room.ref.key))
            for room in coordinator.rooms
        ),
    ]
    async_add_entities(group)
    unique_ids = [entity.unique_id for entity in group]
    for member in members:
        entities: list[SharedCalendarsCalendarEntity] = [
            SourceCalendarEntity(coordinator, member, ref, infos.get(ref.key))
            for ref in member.sources
        ]
        if member.combined is not None:
            entities.append(CombinedCalendarEntity(coordinator, member))
        async_add_entities(entities, config_subentry_id=member.id)
        unique_ids.extend(entity.unique_id for entity in entities)
    async_remove_stale_entities(
        hass, entry, Platform.CALENDAR, (uid for uid in unique_ids if uid)
    )


async def _async_calendar_info(
    providers: dict[str, CalendarProvider], ref: CalendarRef
) -> CalendarInfo | None:
    """Return a calendar's name and rights, or None when it cannot be asked now.

    Asked once at setup. Unknown rights count as writable: a refused write says so,
    while a calendar wrongly shown read-only could not be fixed without a reload.
    """
    if (provider := providers.get(ref.account)) is None:
        return None
    try:
        return await provider.get_calendar(ref.calendar_id)
    except ProviderError as err:
        LOGGER.warning("Could not read the settings of %s: %s", ref.calendar_id, err)
        return None


def name_under_member(calendar: str, member: str) -> str:
    """Return what a source calendar's name says after its member's name.

    "Anna's calendar" and "Anna: work" name Anna, and leave "Calendar" and
    "Work"; a name that does not start with hers ("Annabel" neither) is returned
    whole. Empty when nothing else is left.
    """
    after = calendar[len(member) :]
    if not calendar.casefold().startswith(member.casefold()) or after[:1].isalnum():
        return calendar  # not hers, or another name: "Annabel" for Anna
    # Its possessive (' or U+2019), then spaces and punctuation (- or U+2013).
    rest = re.sub(r"^(?:['\u2019]s\b)?[\s:,\u2013-]*", "", after)
    return rest[:1].upper() + rest[1:]


def format_recurrence_id(value: DateOrDateTime) -> str:
    """Return an occurrence's original start as Home Assistant passes it back.

    iCalendar's forms: `20261102` for a day, `20261102T170000Z` for a time (UTC).
    """
    if isinstance(value, datetime):
        return f"{value.astimezone(UTC):%Y%m%dT%H%M%SZ}"
    return f"{value:%Y%m%d}"


def parse_recurrence_id(value: str, zone: tzinfo) -> DateOrDateTime:
    """Read a recurrence id back; a time without `Z` is local to `zone`."""
    try:
        if re.fullmatch(r"\d{8}", value):
            return datetime.strptime(value, "%Y%m%d").date()
        if re.fullmatch(r"\d{8}T\d{6}Z", value):
            return datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        if re.fullmatch(r"\d{8}T\d{6}", value):
            return datetime.strptime(value, "%Y%m%dT%H%M%S").replace(tzinfo=zone)
    except ValueError:
        pass
    raise ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key="invalid_recurrence_id",
        translation_placeholders={"recurrence_id": value},
    )


def _rrule(series: Event) -> str | None:
    """Return the series' rule if Home Assistant can show it (one RRULE it knows)."""
    if series.rrule is None:
        return None
    try:
        return validate_rrule(series.rrule)
    except probatio.Invalid:
        return None


def calendar_event(
    uid: str, series: Event, occurrence: Occurrence, zone: tzinfo
) -> CalendarEvent:
    """Return one occurrence as Home Assistant's calendar event."""
    event = occurrence.event
    start: DateOrDateTime = occurrence.start
    end: DateOrDateTime = occurrence.end
    if isinstance(start, datetime) or isinstance(end, datetime):
        start = dt_util.as_local(instant(start, zone))
        end = max(start, dt_util.as_local(instant(end, zone)))
    else:
        end = max(start, end)
    recurring = occurrence.recurrence_id is not None
    return CalendarEvent(
        start=start,
        end=end,
        summary=event.summary,
        description=event.description or None,
        location=event.location or None,
        uid=uid,
        recurrence_id=format_recurrence_id(occurrence.recurrence_id)
        if occurrence.recurrence_id is not None
        else None,
        rrule=_rrule(series) if recurring else None,
        status=CalendarEventStatus.TENTATIVE
        if event.status is EventStatus.TENTATIVE
        else CalendarEventStatus.CONFIRMED,
    )


class SharedCalendarsCalendarEntity(SharedCalendarsEntity, CalendarEntity):
    """A calendar shown from the synced state.

    Like Home Assistant's own calendars, it belongs to no device: the Calendar panel
    and the event dialog list it alone, so its name says whose it is ("Anna's
    combined calendar"), which a device's name in front could not say.
    """

    _on_device = False
    _upcoming: list[tuple[Event, Occurrence]] | None = None
    _object_id: str
    """What its entity id is made of; English, as Home Assistant's own ids are."""

    @property
    @override
    def suggested_object_id(self) -> str:
        """Return the entity id's name part, as it was while calendars had devices."""
        return self._object_id

    def _events(self) -> Iterable[Event]:
        """Return the events (series whole) this calendar shows."""
        raise NotImplementedError

    def _uid(self, event: Event) -> str:
        """Return the id Home Assistant knows an event by."""
        return event.id

    def _occurrences(
        self, start: datetime, end: datetime, zone: tzinfo
    ) -> list[tuple[Event, Occurrence]]:
        found = [
            (event, occurrence)
            for event in self._events()
            if event.status is not EventStatus.CANCELLED
            for occurrence in occurrences(event, start, end, zone)
        ]
        found.sort(key=lambda item: instant(item[1].start, zone))
        return found

    @property
    @override
    def event(self) -> CalendarEvent | None:
        """Return the current or next event.

        The next few occurrences are worked out once per cycle and kept; only when
        all of them are over is the calendar expanded again.
        """
        now = dt_util.utcnow()
        zone = dt_util.get_default_time_zone()
        for attempt in range(2):
            if attempt or self._upcoming is None:
                self._upcoming = self._occurrences(now, now + LOOKAHEAD, zone)[
                    :UPCOMING
                ]
            for series, occurrence in self._upcoming:
                if instant(occurrence.end, zone) > now:
                    return calendar_event(self._uid(series), series, occurrence, zone)
        return None

    @override
    async def async_get_events(
        self, hass: HomeAssistant, start_date: datetime, end_date: datetime
    ) -> list[CalendarEvent]:
        """Return the occurrences between two moments, from the synced state."""
        zone = dt_util.get_default_time_zone()
        return [
            calendar_event(self._uid(series), series, occurrence, zone)
            for series, occurrence in self._occurrences(start_date, end_date, zone)
        ]

    @override
    def _handle_coordinator_update(self) -> None:
        self._upcoming = None
        super()._handle_coordinator_update()


class EveryoneCalendarEntity(SharedCalendarsCalendarEntity):
    """Every member's events once, each titled with its member: the wall calendar."""

    def __init__(self, coordinator: SharedCalendarsCoordinator) -> None:
        """Name it after its group."""
        super().__init__(coordinator, EVERYONE)
        group = coordinator.config_entry.title
        self._attr_translation_placeholders = {"group": group}
        self._object_id = f"{group} everyone"

    @override
    def _events(self) -> Iterable[Event]:
        return everyone(
            self.coordinator.members,
            self.coordinator.state,
            self.coordinator.plan_options().busy_title,
        )

    @override
    def _uid(self, event: Event) -> str:
        # Several members' calendars may hold the event: its iCalendar UID is its own.
        return event.ical_uid


class CombinedCalendarEntity(SharedCalendarsCalendarEntity):
    """A member's combined calendar, as sync keeps it: read only."""

    def __init__(self, coordinator: SharedCalendarsCoordinator, member: Member) -> None:
        """Name it after its member."""
        assert member.combined is not None
        super().__init__(
            coordinator, COMBINED, member=member, calendars=(member.combined,)
        )
        self._attr_translation_placeholders = {"member": member.name}
        self._object_id = f"{member.name} combined calendar"

    @override
    def _events(self) -> Iterable[Event]:
        assert self.member is not None and self.member.combined is not None
        calendar = self.coordinator.state.calendars.get(self.member.combined.key)
        return calendar.events.values() if calendar is not None else ()


class WritableCalendarEntity(SharedCalendarsCalendarEntity):
    """A calendar of its own (a member's source, a room) that events can be written to."""

    _ref: CalendarRef
    calendar_name: str

    def _offer_changes(self, info: CalendarInfo | None) -> None:
        """Offer creating, changing and deleting events unless the account may not."""
        if info is None or info.writable:
            self._attr_supported_features = (
                CalendarEntityFeature.CREATE_EVENT
                | CalendarEntityFeature.UPDATE_EVENT
                | CalendarEntityFeature.DELETE_EVENT
            )

    @override
    def _events(self) -> Iterable[Event]:
        calendar = self.coordinator.state.calendars.get(self._ref.key)
        return calendar.events.values() if calendar is not None else ()

    @property
    def _provider(self) -> CalendarProvider:
        return self.coordinator.providers[self._ref.account]

    @override
    async def async_create_event(self, **kwargs: Any) -> None:
        """Create an event in this calendar."""
        event_id = new_event_id()
        event = Event(id=event_id, ical_uid=ical_uid_of(event_id), **_fields(kwargs))
        await self._async_write(event)

    @override
    async def async_update_event(
        self,
        uid: str,
        event: dict[str, Any],
        recurrence_id: str | None = None,
        recurrence_range: str | None = None,
    ) -> None:
        """Change an event, one of its occurrences, or the series from one on."""
        zone = dt_util.get_default_time_zone()
        current = await self._async_original(uid)
        fields = _fields(event)
        if not recurrence_id or not current.recurring:
            await self._async_write(rescheduled(current, replace(current, **fields)))
            return
        original = self._occurrence(current, recurrence_id, zone)
        if recurrence_range != THIS_AND_FUTURE:
            moved = replace(occurrence_of(current, original, zone), **fields)
            await self._async_write(with_occurrence(current, original, moved, zone))
            return
        head = ending_before(current, original, zone)
        if head is None:
            await self._async_write(rescheduled(current, replace(current, **fields)))
            return
        tail_id = new_event_id()
        tail = replace(
            current,
            id=tail_id,
            ical_uid=ical_uid_of(tail_id),
            rdate=(),
            exdate=(),
            overrides=(),
            **fields,
        )
        await self._async_write(head, tail)

    @override
    async def async_delete_event(
        self,
        uid: str,
        recurrence_id: str | None = None,
        recurrence_range: str | None = None,
    ) -> None:
        """Delete an event, one of its occurrences, or the series from one on."""
        zone = dt_util.get_default_time_zone()
        current = await self._async_original(uid)
        if recurrence_id and current.recurring:
            original = self._occurrence(current, recurrence_id, zone)
            if recurrence_range != THIS_AND_FUTURE:
                await self._async_write(without_occurrence(current, original, zone))
                return
            if (head := ending_before(current, original, zone)) is not None:
                await self._async_write(head)
                return
        with self._provider_errors():
            await self._provider.delete_event(self._ref.calendar_id, current.id)
        await self._async_written(deleted=(current.id,))

    def _provider_errors(self) -> AbstractContextManager[None]:
        """Turn a provider's failure into the translated error the actions raise too."""
        return provider_errors(
            self.calendar_name,
            account_names(self.coordinator.config_entry, [self._ref.account]),
        )

    async def _async_original(self, uid: str) -> Event:
        """Return the event as the calendar holds it now, if a person may change it.

        Read afresh rather than from the mirror, so that a change made elsewhere
        since the last cycle is not overwritten. A copy is refused: the next cycle
        would undo any change to it.
        """
        with self._provider_errors():
            try:
                event = await self._provider.get_event(self._ref.calendar_id, uid)
            except InvalidEvent:
                event = None  # an id the calendar could never have given
        if event is None:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="event_not_found",
                translation_placeholders={
                    "event_id": uid,
                    "calendar": self.calendar_name,
                },
            )
        if (
            event.copy_of is not None
            or (self._ref.key, event.id) in self.coordinator.state.copies
        ):
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="managed_copy",
                translation_placeholders={
                    "event_id": uid,
                    "calendar": self.calendar_name,
                },
            )
        return event

    def _occurrence(
        self, series: Event, recurrence_id: str, zone: tzinfo
    ) -> DateOrDateTime:
        original = parse_recurrence_id(recurrence_id, zone)
        if not has_occurrence(series, original, zone):
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="occurrence_not_found",
                translation_placeholders={
                    "recurrence_id": recurrence_id,
                    "summary": series.summary,
                },
            )
        return original

    async def _async_write(self, *events: Event) -> None:
        stored = [await self._async_put(event) for event in events]
        await self._async_written(changed=tuple(stored))

    async def _async_put(self, event: Event) -> Event:
        with self._provider_errors():
            return await self._provider.put_event(self._ref.calendar_id, event)

    async def _async_written(
        self, *, changed: tuple[Event, ...] = (), deleted: tuple[str, ...] = ()
    ) -> None:
        """Show a change at once, and let a cycle copy it to the others now.

        The change goes into the mirror under the calendar's current cursor: the
        next cycle sees it again among the changes and takes it in the same way.
        """
        state = self.coordinator.state
        calendar = state.calendars.get(self._ref.key)
        if calendar is not None and calendar.cursor is not None:
            state.apply(
                self._ref.key,
                ChangeSet(changed=changed, deleted=deleted, cursor=calendar.cursor),
                guard_empty=False,
            )
            self.coordinator.async_update_listeners()
        await self.coordinator.async_request_refresh()


class RoomCalendarEntity(WritableCalendarEntity):
    """A room's calendar, its bookings as the last cycle saw them.

    A booking made or moved here is checked as the event actions check one given
    a room: refused where the room is taken, unless it is prioritised.
    """

    def __init__(
        self,
        coordinator: SharedCalendarsCoordinator,
        room: Room,
        info: CalendarInfo | None,
    ) -> None:
        """Name the entity after the room; offer bookings unless it is read only."""
        super().__init__(
            coordinator,
            ROOM,
            calendars=(room.ref,),
            unique_key=f"room_{room.ref.key}",
        )
        self._room = room
        self._ref = room.ref
        self.calendar_name = room.name
        self._attr_translation_placeholders = {"room": room.name}
        self._object_id = f"{coordinator.config_entry.title} {room.name}"
        self._offer_changes(info)

    @override
    async def _async_write(self, *events: Event) -> None:
        stored, _ = await async_book_room(
            self.coordinator, self._room, events, self._async_put
        )
        await self._async_written(changed=tuple(stored))


class SourceCalendarEntity(WritableCalendarEntity):
    """One of a member's own calendars; events can be changed where the account may."""

    def __init__(
        self,
        coordinator: SharedCalendarsCoordinator,
        member: Member,
        ref: CalendarRef,
        info: CalendarInfo | None,
    ) -> None:
        """Name the entity after the calendar; offer changes unless it is read only.

        "Anna's Personal" for Anna's "Personal"; a name that already names her,
        such as "Anna's calendar", is shown as it is.
        """
        super().__init__(
            coordinator,
            SOURCE,
            member=member,
            calendars=(ref,),
            unique_key=f"source_{ref.key}",
        )
        self._ref = ref
        self.calendar_name = info.name if info else coordinator.calendar_label(ref)
        rest = name_under_member(self.calendar_name, member.name)
        if rest != self.calendar_name:
            self._attr_translation_key = SOURCE_NAMED_AFTER_MEMBER
        self._attr_translation_placeholders = {
            "member": member.name,
            "calendar": self.calendar_name,
        }
        self._object_id = f"{member.name} {rest or 'calendar'}"
        self._offer_changes(info)
        if info is not None and info.color:
            self._attr_initial_color = info.color


def _fields(values: dict[str, Any]) -> dict[str, Any]:
    """Return `Event` fields from Home Assistant's event values (create or update).

    Times come in Home Assistant's zone; one without a zone is taken to be in it.
    Text past the actions' limits is refused here too, as it would be copied into
    every member's combined calendar.
    """
    for field, limit in TEXT_LIMITS.items():
        check_length(field, values.get(field), limit)
    zone = dt_util.get_default_time_zone()

    def moment(value: date) -> DateOrDateTime:
        if isinstance(value, datetime):
            return dt_util.as_local(
                value if value.tzinfo is not None else value.replace(tzinfo=zone)
            )
        return value

    return {
        "summary": values[EVENT_SUMMARY],
        "description": values.get(EVENT_DESCRIPTION) or "",
        "location": values.get(EVENT_LOCATION) or "",
        "start": moment(values[EVENT_START]),
        "end": moment(values[EVENT_END]),
        "rrule": values.get(EVENT_RRULE) or None,
    }
