"""Actions of the integration, registered once in `async_setup`.

The event actions write to a member's source calendars and only to originals:
copies belong to the sync, which fans every change out right after the action.
Every check that can refuse a call runs before anything is written, and a refusal
is a translated `ServiceValidationError` that says what to fix; a calendar that
fails is a translated `HomeAssistantError`. What a call names (group, member,
calendar) is resolved in `targets`, what it says about an event in `event_fields`.
"""

from __future__ import annotations

import asyncio
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from homeassistant.const import ATTR_CONFIG_ENTRY_ID
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.service import async_register_admin_service
from homeassistant.util import dt as dt_util
from homeassistant.util.json import JsonValueType
import probatio

from .accounts import account_names
from .const import CONF_CONCURRENCY, DEFAULT_CONCURRENCY, DOMAIN
from .coordinator import SharedCalendarsConfigEntry, SharedCalendarsCoordinator
from .cycle import SyncReport
from .engine.ids import copy_id, new_event_id, upsert_event_id
from .engine.model import CalendarRef, Event, Member
from .engine.occurrences import busy_periods
from .event_fields import (
    ATTR_DESCRIPTION,
    ATTR_END_DATE,
    ATTR_END_DATE_TIME,
    ATTR_LOCATION,
    ATTR_RRULE,
    ATTR_START_DATE,
    ATTR_START_DATE_TIME,
    ATTR_SUMMARY,
    ID_LIMIT,
    check_length,
    compose,
    event_fields,
    local_time,
)
from .helpers import failed, provider_errors, refused
from .providers.base import CalendarProvider, InvalidEvent, ProviderError
from .room_actions import (
    ATTR_ROOM,
    CLEAR_OVERLAPS_SCHEMA,
    SERVICE_CLEAR_OVERLAPS,
    async_clear_overlaps,
    room_named,
)
from .room_booking import async_book_room
from .room_options import Room
from .schedule_actions import (
    FIND_FREE_TIME_SCHEMA,
    SERVICE_FIND_FREE_TIME,
    async_find_free_time,
)
from .targets import (
    calendar_label,
    is_named,
    loaded_group,
    member_named,
    picked_calendar,
    source_calendar,
)

SERVICE_RESYNC = "resync"
SERVICE_CREATE_EVENT = "create_event"
SERVICE_UPDATE_EVENT = "update_event"
SERVICE_DELETE_EVENT = "delete_event"
SERVICE_UPSERT_EVENT = "upsert_event"
SERVICE_GET_FREE_BUSY = "get_free_busy"
SERVICE_REMOVE_MANAGED_COPIES = "remove_managed_copies"

ATTR_FULL = "full"
ATTR_RESTORE_HIDDEN = "restore_hidden"
ATTR_CONFIRM_EMPTY = "confirm_empty"
ATTR_MEMBER = "member"
ATTR_MEMBERS = "members"
ATTR_CALENDAR = "calendar"
ATTR_CALENDARS = "calendars"
ATTR_EVENT_ID = "event_id"
ATTR_DRY_RUN = "dry_run"

MAX_FREE_BUSY_SPAN = timedelta(days=62)
"""The longest span one free/busy request may ask for (Google allows about two months)."""

GROUP_SCHEMA = probatio.Schema({probatio.Optional(ATTR_CONFIG_ENTRY_ID): cv.string})

RESYNC_SCHEMA = GROUP_SCHEMA.extend(
    {
        probatio.Optional(ATTR_FULL, default=False): bool,
        probatio.Optional(ATTR_RESTORE_HIDDEN, default=False): bool,
        probatio.Optional(ATTR_CONFIRM_EMPTY, default=False): bool,
    }
)

TARGET_SCHEMA = GROUP_SCHEMA.extend(
    {
        probatio.Optional(ATTR_MEMBER): cv.string,
        probatio.Optional(ATTR_CALENDAR): cv.string,
    }
)

EVENT_FIELDS: dict[Any, Any] = {
    probatio.Optional(ATTR_DESCRIPTION): cv.string,
    probatio.Optional(ATTR_LOCATION): cv.string,
    probatio.Optional(ATTR_START_DATE_TIME): cv.datetime,
    probatio.Optional(ATTR_END_DATE_TIME): cv.datetime,
    probatio.Optional(ATTR_START_DATE): cv.date,
    probatio.Optional(ATTR_END_DATE): cv.date,
    probatio.Optional(ATTR_RRULE): cv.string,
}

# A room takes the place of a member's calendar: the booking goes to the room.
ROOM_FIELD: dict[Any, Any] = {probatio.Optional(ATTR_ROOM): cv.string}

CREATE_EVENT_SCHEMA = TARGET_SCHEMA.extend(
    {probatio.Required(ATTR_SUMMARY): cv.string, **EVENT_FIELDS, **ROOM_FIELD}
)

UPDATE_EVENT_SCHEMA = TARGET_SCHEMA.extend(
    {
        probatio.Required(ATTR_EVENT_ID): cv.string,
        probatio.Optional(ATTR_SUMMARY): cv.string,
        **EVENT_FIELDS,
        **ROOM_FIELD,
    }
)

DELETE_EVENT_SCHEMA = TARGET_SCHEMA.extend(
    {probatio.Required(ATTR_EVENT_ID): cv.string}
)

UPSERT_EVENT_SCHEMA = TARGET_SCHEMA.extend(
    {
        probatio.Required(ATTR_EVENT_ID): probatio.All(
            cv.string, probatio.Length(min=1)
        ),
        probatio.Required(ATTR_SUMMARY): cv.string,
        **EVENT_FIELDS,
        **ROOM_FIELD,
    }
)

# A date alone (YAML, a template) is the first moment of that day.
MOMENT = probatio.Any(cv.datetime, cv.date)

GET_FREE_BUSY_SCHEMA = GROUP_SCHEMA.extend(
    {
        probatio.Optional(ATTR_MEMBERS): probatio.All(cv.ensure_list, [cv.string]),
        probatio.Optional(ATTR_CALENDARS): probatio.All(cv.ensure_list, [cv.string]),
        probatio.Required(ATTR_START_DATE_TIME): MOMENT,
        probatio.Required(ATTR_END_DATE_TIME): MOMENT,
    }
)

REMOVE_MANAGED_COPIES_SCHEMA = GROUP_SCHEMA.extend(
    {
        probatio.Optional(ATTR_MEMBER): cv.string,
        probatio.Optional(ATTR_CALENDAR): cv.string,
        probatio.Optional(ATTR_DRY_RUN, default=False): cv.boolean,
    }
)


# --------------------------------------------------------------- the group's parts


def _picks(call: ServiceCall) -> list[str]:
    """Return the devices and entities a call may have picked, which name its group."""
    single = (call.data.get(key) for key in (ATTR_CALENDAR, ATTR_MEMBER))
    lists = (call.data.get(key) or () for key in (ATTR_CALENDARS, ATTR_MEMBERS))
    return [pick for pick in single if pick is not None] + [
        pick for picks in lists for pick in picks
    ]


def _loaded_group(call: ServiceCall) -> SharedCalendarsConfigEntry:
    return loaded_group(call.hass, call.data, *_picks(call))


@dataclass(frozen=True, kw_only=True, slots=True)
class _Target:
    """The source calendar an event action writes to."""

    entry: SharedCalendarsConfigEntry
    calendar: CalendarRef
    provider: CalendarProvider
    room: Room | None = None
    """The room booked, when the calendar is a room's."""

    @property
    def coordinator(self) -> SharedCalendarsCoordinator:
        """Return the group's coordinator."""
        return self.entry.runtime_data.coordinator


def _target(call: ServiceCall) -> _Target:
    hass = call.hass
    if (wanted_room := call.data.get(ATTR_ROOM)) is not None:
        if ATTR_MEMBER in call.data or ATTR_CALENDAR in call.data:
            raise refused("room_or_calendar")
        entry = loaded_group(hass, call.data, wanted_room)
        room = room_named(hass, entry, wanted_room)
        return _Target(
            entry=entry,
            calendar=room.ref,
            provider=_provider(entry, room.ref),
            room=room,
        )
    entry = _loaded_group(call)
    member = (
        member_named(hass, entry, wanted)
        if (wanted := call.data.get(ATTR_MEMBER)) is not None
        else None
    )
    _, calendar = source_calendar(hass, entry, member, call.data.get(ATTR_CALENDAR))
    return _Target(entry=entry, calendar=calendar, provider=_provider(entry, calendar))


def _provider(
    entry: SharedCalendarsConfigEntry, calendar: CalendarRef
) -> CalendarProvider:
    if (provider := entry.runtime_data.providers.get(calendar.account)) is None:
        raise failed(
            "account_not_loaded",
            calendar=entry.runtime_data.coordinator.calendar_label(calendar),
        )
    return provider


def _provider_errors(
    entry: SharedCalendarsConfigEntry, calendar: CalendarRef
) -> AbstractContextManager[None]:
    """Turn a provider's failure into a translated error in the user's words.

    The calendar by its name and the account by its title, never their ids.
    """
    return provider_errors(
        entry.runtime_data.coordinator.calendar_label(calendar),
        account_names(entry, [calendar.account]),
    )


async def _require_writable(target: _Target) -> None:
    """Refuse a calendar the account may only read, before anything is written."""
    with _provider_errors(target.entry, target.calendar):
        info = await target.provider.get_calendar(target.calendar.calendar_id)
    if not info.writable:
        raise refused(
            "read_only_calendar",
            calendar=info.name or target.coordinator.calendar_label(target.calendar),
            account=target.provider.account,
        )


async def _find_event(target: _Target, event_id: str) -> Event | None:
    """Return the event with this id, or the one upserted under this caller id."""
    calendar_id = target.calendar.calendar_id
    with _provider_errors(target.entry, target.calendar):
        try:
            if (
                event := await target.provider.get_event(calendar_id, event_id)
            ) is not None:
                return event
        except InvalidEvent:
            pass  # Google refuses ids outside its alphabet, like a caller's own id
        alias = upsert_event_id(event_id, target.calendar.key)
        return await target.provider.get_event(calendar_id, alias)


def _refuse_copy(target: _Target, event: Event) -> None:
    """Refuse a copy: it belongs to the sync, whose next cycle would undo a change."""
    if (
        event.copy_of is not None
        or (target.calendar.key, event.id) in target.coordinator.state.copies
    ):
        raise refused(
            "managed_copy",
            event_id=event.id,
            calendar=target.coordinator.calendar_label(target.calendar),
        )


async def _put(target: _Target, event: Event) -> Event:
    with _provider_errors(target.entry, target.calendar):
        return await target.provider.put_event(target.calendar.calendar_id, event)


async def _put_new(target: _Target, event: Event) -> tuple[Event, dict[str, Any]]:
    """Write a new or replaced event; in a room, only where it may have the room.

    The second value is, for a room, what the booking took from others.
    """
    if target.room is None:
        return await _put(target, event), {}
    [stored], taken = await async_book_room(
        target.coordinator, target.room, (event,), lambda booking: _put(target, booking)
    )
    return stored, {"cleared": taken}


# ------------------------------------------------------------------- the actions


def report_response(report: SyncReport) -> ServiceResponse:
    """Return a cycle's report as an action response."""
    return {
        **report.counts(),
        "held_back": sorted(report.held_back),
        "errors": dict(report.errors),
    }


async def _async_resync(call: ServiceCall) -> ServiceResponse:
    """Run a cycle of a group now."""
    entry = _loaded_group(call)
    report = await entry.runtime_data.coordinator.async_resync(
        full=call.data[ATTR_FULL],
        restore_hidden=call.data[ATTR_RESTORE_HIDDEN],
        confirm_empty=call.data[ATTR_CONFIRM_EMPTY],
    )
    return report_response(report)


def _event_id(call: ServiceCall) -> str:
    """Return the event id a call gives, refusing one no calendar would take."""
    wanted: str = call.data[ATTR_EVENT_ID]
    check_length(ATTR_EVENT_ID, wanted, ID_LIMIT)
    return wanted


async def _async_create_event(call: ServiceCall) -> ServiceResponse:
    """Create an event in a member's source calendar; return its id."""
    fields = event_fields(call.data)
    target = _target(call)
    event = compose(fields, event_id=new_event_id(), existing=None, complete=True)
    await _require_writable(target)
    stored, taken = await _put_new(target, event)
    await target.coordinator.async_request_refresh()
    return {
        "event_id": stored.id,
        "calendar_id": target.calendar.calendar_id,
        **taken,
    }


async def _async_update_event(call: ServiceCall) -> ServiceResponse:
    """Change the given fields of an event in a member's source calendar or a room.

    A booking moved in its room is checked as a new one is (see `room_booking`).
    """
    fields = event_fields(call.data)
    wanted = _event_id(call)
    target = _target(call)
    await _require_writable(target)
    if (existing := await _find_event(target, wanted)) is None:
        raise refused(
            "event_not_found",
            event_id=wanted,
            calendar=target.coordinator.calendar_label(target.calendar),
        )
    _refuse_copy(target, existing)
    if existing.recurrence_id is not None:
        raise refused("event_is_occurrence", event_id=existing.id)
    event = compose(fields, event_id=existing.id, existing=existing, complete=False)
    stored, taken = await _put_new(target, event)
    await target.coordinator.async_request_refresh()
    return {
        "event_id": stored.id,
        "calendar_id": target.calendar.calendar_id,
        **taken,
    }


async def _async_delete_event(call: ServiceCall) -> ServiceResponse:
    """Delete an event from a member's source calendar; one already gone is fine.

    Deleting is idempotent, as the REST and Cronofy APIs this follows are: the
    response says whether there was anything to delete.
    """
    wanted = _event_id(call)
    target = _target(call)
    await _require_writable(target)
    if (existing := await _find_event(target, wanted)) is None:
        return {
            "event_id": wanted,
            "calendar_id": target.calendar.calendar_id,
            "deleted": False,
        }
    _refuse_copy(target, existing)
    with _provider_errors(target.entry, target.calendar):
        await target.provider.delete_event(target.calendar.calendar_id, existing.id)
    await target.coordinator.async_request_refresh()
    return {
        "event_id": existing.id,
        "calendar_id": target.calendar.calendar_id,
        "deleted": True,
    }


async def _async_upsert_event(call: ServiceCall) -> ServiceResponse:
    """Create or replace the event the caller knows by its own id."""
    fields = event_fields(call.data)
    wanted = _event_id(call)
    target = _target(call)
    event_id = upsert_event_id(wanted, target.calendar.key)
    await _require_writable(target)
    with _provider_errors(target.entry, target.calendar):
        existing = await target.provider.get_event(
            target.calendar.calendar_id, event_id
        )
    if existing is not None:
        _refuse_copy(target, existing)
    event = compose(fields, event_id=event_id, existing=existing, complete=True)
    stored, taken = await _put_new(target, event)
    await target.coordinator.async_request_refresh()
    return {
        "event_id": stored.id,
        "calendar_id": target.calendar.calendar_id,
        "created": existing is None,
        **taken,
    }


def _free_busy_members(
    entry: SharedCalendarsConfigEntry, call: ServiceCall
) -> list[tuple[Member, list[CalendarRef]]]:
    """Return the members asked about, each with the source calendars that count."""
    hass = call.hass
    coordinator = entry.runtime_data.coordinator
    members = coordinator.members
    if (wanted_members := call.data.get(ATTR_MEMBERS)) is not None:
        picked = [member_named(hass, entry, wanted) for wanted in wanted_members]
        members = list({member.id: member for member in picked}.values())
    calendars: list[str] | None = call.data.get(ATTR_CALENDARS)
    if calendars is None:
        return [(member, list(member.sources)) for member in members]
    sources = [ref for member in members for ref in member.sources]
    counted: set[CalendarRef] = set()
    for wanted in calendars:
        if (picked_entity := picked_calendar(hass, entry, wanted)) is not None:
            ref = picked_entity[1]
            found = [ref] if ref is not None and ref in sources else []
        else:
            found = [ref for ref in sources if is_named(ref, wanted)]
        if not found:
            raise refused(
                "not_a_source_calendar",
                calendar=calendar_label(hass, wanted),
                scope=entry.title,
                calendars=", ".join(
                    sorted({coordinator.calendar_label(ref) for ref in sources})
                )
                or "-",
            )
        counted.update(found)
    chosen = [
        (member, [ref for ref in member.sources if ref in counted])
        for member in members
    ]
    return [(member, refs) for member, refs in chosen if refs]


async def _async_get_free_busy(call: ServiceCall) -> ServiceResponse:
    """Return each member's merged busy periods, from the synced calendars.

    Read from what the last cycle saw, never with a live request, so that a
    dashboard or an automation may ask as often as it likes.
    """
    entry = _loaded_group(call)
    start = local_time(call.data[ATTR_START_DATE_TIME])
    end = local_time(call.data[ATTR_END_DATE_TIME])
    if end <= start:
        raise refused("end_not_after_start", start=str(start), end=str(end))
    if end - start > MAX_FREE_BUSY_SPAN:
        raise refused("span_too_long", days=str(MAX_FREE_BUSY_SPAN.days))
    coordinator = entry.runtime_data.coordinator
    zone = dt_util.get_default_time_zone()
    busy: dict[str, JsonValueType] = {}
    for member, refs in _free_busy_members(entry, call):
        originals = [
            event
            for ref in refs
            if (state := coordinator.state.calendars.get(ref.key)) is not None
            for event in state.events.values()
            if event.copy_of is None
        ]
        busy[member.name] = [
            {
                "start": dt_util.as_local(period.start).isoformat(),
                "end": dt_util.as_local(period.end).isoformat(),
            }
            for period in busy_periods(originals, start, end, zone)
        ]
    synced = coordinator.last_synced
    return {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "synced_at": dt_util.as_local(synced).isoformat() if synced else None,
        "members": busy,
    }


def _copy_scope(
    entry: SharedCalendarsConfigEntry, call: ServiceCall
) -> list[CalendarRef]:
    """Return the calendars to clear: the group's, a member's, or one of them."""
    hass = call.hass
    members = entry.runtime_data.coordinator.members
    scope = entry.title
    if (wanted_member := call.data.get(ATTR_MEMBER)) is not None:
        member = member_named(hass, entry, wanted_member)
        members, scope = [member], member.name
    refs = {
        ref.key: ref
        for member in members
        for ref in (*member.sources, *((member.combined,) if member.combined else ()))
    }
    if (wanted := call.data.get(ATTR_CALENDAR)) is not None:
        if (picked := picked_calendar(hass, entry, wanted)) is not None:
            ref = picked[1]
            refs = {ref.key: ref} if ref is not None and ref.key in refs else {}
        else:
            refs = {key: ref for key, ref in refs.items() if is_named(ref, wanted)}
        if not refs:
            raise refused(
                "calendar_not_in_group",
                calendar=calendar_label(hass, wanted),
                scope=scope,
            )
    return list(refs.values())


async def _managed_copies(
    entry: SharedCalendarsConfigEntry, ref: CalendarRef
) -> list[Event]:
    """List a calendar in full, live, and return the copies in it."""
    provider = _provider(entry, ref)
    with _provider_errors(entry, ref):
        listing = await provider.changes(ref.calendar_id, None)
    return [event for event in listing.changed if event.copy_of is not None]


async def _async_remove_managed_copies(call: ServiceCall) -> ServiceResponse:
    """Remove every copy the integration made, and nothing else.

    Every calendar in scope is listed in full first, so that copies the synced
    state does not know of (left by an earlier installation, or by a cycle that
    died) go too; a listing that fails stops the action before anything is
    removed. Sync then treats the removed copies like copies their member deleted
    and leaves them away, until `resync` runs with `restore_hidden`; events that
    are added or changed afterwards are still shared until the group is disabled
    or deleted, which is the next step when leaving the integration.
    """
    entry = _loaded_group(call)
    coordinator = entry.runtime_data.coordinator
    dry_run: bool = call.data[ATTR_DRY_RUN]
    refs = _copy_scope(entry, call)
    listings = await asyncio.gather(
        *(_managed_copies(entry, ref) for ref in refs), return_exceptions=True
    )
    found: list[list[Event]] = []
    for result in listings:
        if isinstance(result, BaseException):
            raise result
        found.append(result)
    combined = {
        member.combined.key for member in coordinator.members if member.combined
    }
    semaphore = asyncio.Semaphore(
        max(1, entry.options.get(CONF_CONCURRENCY, DEFAULT_CONCURRENCY))
    )
    errors: dict[str, JsonValueType] = {}

    async def remove(ref: CalendarRef, event: Event) -> bool:
        assert event.copy_of is not None
        async with semaphore:
            try:
                await _provider(entry, ref).delete_event(ref.calendar_id, event.id)
            except ProviderError as err:
                errors.setdefault(ref.calendar_id, str(err))
                return False
        coordinator.state.record_delete(ref, event.id)
        if ref.key in combined:
            group = event.copy_of.source
            coordinator.state.hide_copy(ref, copy_id(group, ref.key), group)
        return True

    calendars: list[JsonValueType] = []
    total = 0
    for ref, listed in zip(refs, found, strict=True):
        copies = listed
        if not dry_run:
            removed = await asyncio.gather(*(remove(ref, event) for event in listed))
            copies = [
                event for event, done in zip(listed, removed, strict=True) if done
            ]
        total += len(copies)
        calendars.append(
            {
                "calendar_id": ref.calendar_id,
                "count": len(copies),
                "events": [
                    {
                        "event_id": event.id,
                        "summary": event.summary,
                        "start": event.start.isoformat(),
                    }
                    for event in copies
                ],
            }
        )
    if not dry_run:
        await coordinator.async_save_state()
    return {
        "dry_run": dry_run,
        "total": total,
        "calendars": calendars,
        "errors": errors,
    }


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the integration's actions."""
    for name, handler, schema, supports in (
        (SERVICE_RESYNC, _async_resync, RESYNC_SCHEMA, SupportsResponse.OPTIONAL),
        (
            SERVICE_CREATE_EVENT,
            _async_create_event,
            CREATE_EVENT_SCHEMA,
            SupportsResponse.OPTIONAL,
        ),
        (
            SERVICE_UPDATE_EVENT,
            _async_update_event,
            UPDATE_EVENT_SCHEMA,
            SupportsResponse.OPTIONAL,
        ),
        (
            SERVICE_DELETE_EVENT,
            _async_delete_event,
            DELETE_EVENT_SCHEMA,
            SupportsResponse.OPTIONAL,
        ),
        (
            SERVICE_UPSERT_EVENT,
            _async_upsert_event,
            UPSERT_EVENT_SCHEMA,
            SupportsResponse.OPTIONAL,
        ),
        (
            SERVICE_GET_FREE_BUSY,
            _async_get_free_busy,
            GET_FREE_BUSY_SCHEMA,
            SupportsResponse.ONLY,
        ),
        (
            SERVICE_FIND_FREE_TIME,
            async_find_free_time,
            FIND_FREE_TIME_SCHEMA,
            SupportsResponse.ONLY,
        ),
        (
            SERVICE_CLEAR_OVERLAPS,
            async_clear_overlaps,
            CLEAR_OVERLAPS_SCHEMA,
            SupportsResponse.OPTIONAL,
        ),
    ):
        hass.services.async_register(
            DOMAIN, name, handler, schema=schema, supports_response=supports
        )
    # It deletes from every member's calendars at once: for administrators only.
    async_register_admin_service(
        hass,
        DOMAIN,
        SERVICE_REMOVE_MANAGED_COPIES,
        _async_remove_managed_copies,
        REMOVE_MANAGED_COPIES_SCHEMA,
        SupportsResponse.OPTIONAL,
    )
