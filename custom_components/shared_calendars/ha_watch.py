"""Follow the Home Assistant calendar entities a group reads from.

A calendar entity has no change feed, but it writes its state whenever its
integration changes it (Local Calendar after each edit, an ICS feed after each
download): changed or merely reported again. Either starts, after a short
cooldown that gathers a burst of edits, a cycle that reads just the entities
that spoke. The provider's own writes are ignored: they would echo.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from homeassistant.core import (
    Event,
    EventStateChangedData,
    EventStateReportedData,
    HomeAssistant,
    callback,
)
from homeassistant.helpers.debounce import Debouncer
from homeassistant.helpers.event import (
    async_track_state_change_event,
    async_track_state_report_event,
)

from .const import LOGGER
from .coordinator import SharedCalendarsCoordinator
from .providers.ha_calendar import HaCalendarProvider

WATCH_COOLDOWN: Final = 2.0
"""Seconds a burst of edits gathers before one cycle reads the entities."""


class HaCalendarWatch:
    """Start a cycle for the source entities whose state was written."""

    def __init__(
        self, hass: HomeAssistant, coordinator: SharedCalendarsCoordinator
    ) -> None:
        """Find the group's source entities; `async_start` begins following them."""
        self._hass = hass
        self._coordinator = coordinator
        self._keys: dict[str, tuple[str, HaCalendarProvider]] = {}
        """Calendar key and provider, by entity id."""
        for member in coordinator.members:
            for ref in member.sources:
                provider = coordinator.providers.get(ref.account)
                if isinstance(provider, HaCalendarProvider):
                    self._keys[ref.calendar_id] = (ref.key, provider)
        self._touched: set[str] = set()
        self._debouncer = Debouncer(
            hass,
            LOGGER,
            cooldown=WATCH_COOLDOWN,
            immediate=False,
            function=self._async_read_touched,
        )
        self._stops: list[Callable[[], None]] = []

    @callback
    def async_start(self) -> None:
        """Follow the state of every source entity."""
        if not self._keys:
            return
        self._stops = [
            async_track_state_change_event(self._hass, self._keys, self._on_state),
            async_track_state_report_event(self._hass, self._keys, self._on_state),
        ]

    @callback
    def async_stop(self) -> None:
        """Stop following; a pending cycle is dropped."""
        for stop in self._stops:
            stop()
        self._stops = []
        self._debouncer.async_shutdown()

    @callback
    def _on_state(
        self, event: Event[EventStateChangedData] | Event[EventStateReportedData]
    ) -> None:
        if event.data["new_state"] is None:
            return  # The entity is gone: nothing to read.
        entity_id = event.data["entity_id"]
        key, provider = self._keys[entity_id]
        if provider.is_writing(entity_id):
            return
        self._touched.add(key)
        self._debouncer.async_schedule_call()

    async def _async_read_touched(self) -> None:
        keys, self._touched = self._touched, set()
        if keys:
            await self._coordinator.async_sync_calendars(keys)
