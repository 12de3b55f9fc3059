"""A writable calendar entity that names its events itself, as Home Assistant's Google does.

Google's API picks an event's id when it is created (the uid Home Assistant
passes is dropped), shows every instance of a series with the series' iCalUID
and an instance id `<event id>_<start in UTC>` as its recurrence id, and changes
or cancels one instance by that id. This entity keeps its events in memory and
behaves the same, and counts the writes it is asked for. It also changes events,
which Google's entity in Home Assistant 2026.11 cannot.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any
from uuid import uuid4

from dateutil.rrule import rrulestr
from homeassistant.components.calendar import CalendarEntity, CalendarEvent
from homeassistant.components.calendar.const import CalendarEntityFeature
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.util import dt as dt_util

from .ha_calendars import add_test_calendar

type Moment = date | datetime


class Killed(BaseException):
    """The process died: nothing after the write that raised it runs."""


@dataclass(kw_only=True)
class _Shown:
    """What one event or instance shows."""

    summary: str
    start: Moment
    end: Moment
    description: str | None = None
    location: str | None = None


@dataclass(kw_only=True)
class _Stored:
    """One event as the server keeps it: a series with its changed instances."""

    event_id: str
    shown: _Shown
    rrule: str | None = None
    instances: dict[str, _Shown | None] = field(default_factory=dict)
    """Instance id -> what it shows instead, or None when it is cancelled."""

    @property
    def uid(self) -> str:
        return f"{self.event_id}@google.com"


def _shown(fields: dict[str, Any]) -> _Shown:
    return _Shown(
        summary=fields["summary"],
        start=fields["dtstart"],
        end=fields["dtend"],
        description=fields.get("description"),
        location=fields.get("location"),
    )


def _instance_id(event_id: str, moment: Moment) -> str:
    if isinstance(moment, datetime):
        return f"{event_id}_{dt_util.as_utc(moment):%Y%m%dT%H%M%SZ}"
    return f"{event_id}_{moment:%Y%m%d}"


def _as_datetime(moment: Moment) -> datetime:
    if isinstance(moment, datetime):
        return moment
    return datetime(
        moment.year, moment.month, moment.day, tzinfo=dt_util.get_default_time_zone()
    )


class OwnUidsCalendar(CalendarEntity):
    """A calendar entity that gives each new event a random id of its own."""

    _attr_has_entity_name = False
    _attr_supported_features = (
        CalendarEntityFeature.CREATE_EVENT
        | CalendarEntityFeature.UPDATE_EVENT
        | CalendarEntityFeature.DELETE_EVENT
    )

    def __init__(self, name: str) -> None:
        """Start empty."""
        self._attr_name = name
        self._attr_unique_id = f"own_uids_{name}"
        self.stored: dict[str, _Stored] = {}
        """By uid."""
        self.writes: Counter[str] = Counter()
        """create, update, delete: the calls made to write."""
        self.crash_after_create = False
        """Die (`Killed`) right after the next event is stored."""
        self.title_prefix = ""
        """Put in front of the title of each new event, as some servers do."""

    @property
    def event(self) -> CalendarEvent | None:
        """Return no current event: the tests read through `async_get_events`."""
        return None

    def _occurrences(
        self, stored: _Stored, until: datetime
    ) -> list[tuple[str | None, _Shown]]:
        """Return (instance id, what it shows) of a series' instances up to `until`."""
        if stored.rrule is None:
            return [(None, stored.shown)]
        start = stored.shown.start
        span = _as_datetime(stored.shown.end) - _as_datetime(start)
        shown: list[tuple[str | None, _Shown]] = []
        for moment in rrulestr(stored.rrule, dtstart=_as_datetime(start)):
            if moment >= until:
                break
            at: Moment = moment if isinstance(start, datetime) else moment.date()
            end: Moment = moment + span
            if not isinstance(start, datetime):
                end = (moment + span).date()
            instance = _instance_id(stored.event_id, at)
            if instance not in stored.instances:
                shown.append((instance, replace(stored.shown, start=at, end=end)))
            elif (changed := stored.instances[instance]) is not None:
                shown.append((instance, changed))
        return shown

    async def async_get_events(
        self, hass: HomeAssistant, start_date: datetime, end_date: datetime
    ) -> list[CalendarEvent]:
        """Return every occurrence that overlaps the range, as Google's entity does."""
        found = []
        for stored in self.stored.values():
            for instance, shown in self._occurrences(stored, end_date):
                if (
                    _as_datetime(shown.start) < end_date
                    and _as_datetime(shown.end) > start_date
                ):
                    changed = instance is not None and instance in stored.instances
                    found.append(
                        CalendarEvent(
                            uid=stored.uid,
                            recurrence_id=instance,
                            # A changed instance is an event of its own at Google.
                            rrule=None if changed else stored.rrule,
                            summary=shown.summary,
                            start=shown.start,
                            end=shown.end,
                            description=shown.description,
                            location=shown.location,
                        )
                    )
        return found

    def _find(self, uid: str) -> _Stored:
        if (stored := self.stored.get(uid)) is None:
            raise HomeAssistantError(f"No event {uid}")
        return stored

    async def async_create_event(self, **kwargs: Any) -> None:
        """Store an event under an id of the server's; the uid given is dropped."""
        self.writes["create"] += 1
        shown = _shown(kwargs)
        shown.summary = self.title_prefix + shown.summary
        stored = _Stored(
            event_id=uuid4().hex[:26], shown=shown, rrule=kwargs.get("rrule")
        )
        self.stored[stored.uid] = stored
        if self.crash_after_create:
            self.crash_after_create = False
            raise Killed

    async def async_update_event(
        self,
        uid: str,
        event: dict[str, Any],
        recurrence_id: str | None = None,
        recurrence_range: str | None = None,
    ) -> None:
        """Change an event, or one instance named by its instance id."""
        self.writes["update"] += 1
        stored = self._find(uid)
        if recurrence_id is None:
            stored.shown = _shown(event)
            stored.rrule = event.get("rrule")
            return
        until = dt_util.now() + timedelta(days=800)
        if not any(
            instance == recurrence_id
            for instance, _ in self._occurrences(stored, until)
        ):
            raise HomeAssistantError(f"No instance {recurrence_id}")
        stored.instances[recurrence_id] = _shown(event)

    async def async_delete_event(
        self,
        uid: str,
        recurrence_id: str | None = None,
        recurrence_range: str | None = None,
    ) -> None:
        """Delete an event, or cancel one instance named by its instance id."""
        self.writes["delete"] += 1
        stored = self._find(uid)
        if recurrence_id is None:
            del self.stored[uid]
        else:
            stored.instances[recurrence_id] = None


async def own_uids_calendar(hass: HomeAssistant, name: str) -> OwnUidsCalendar:
    """Set up an `OwnUidsCalendar` through a test platform; return it."""
    return await add_test_calendar(hass, "own_uids", OwnUidsCalendar(name))
