"""The group's button: sync now."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, override

from homeassistant.components.button import ButtonEntity, ButtonEntityDescription
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import SharedCalendarsConfigEntry, SharedCalendarsCoordinator
from .entity import SharedCalendarsEntity

PARALLEL_UPDATES = 1


@dataclass(frozen=True, kw_only=True)
class SharedCalendarsButtonDescription(ButtonEntityDescription):
    """A button of a group."""

    press_fn: Callable[[SharedCalendarsCoordinator], Awaitable[Any]]


DESCRIPTIONS: tuple[SharedCalendarsButtonDescription, ...] = (
    SharedCalendarsButtonDescription(
        key="sync_now",
        translation_key="sync_now",
        # A failed cycle raises its (translated) error, so the press shows it.
        press_fn=lambda coordinator: coordinator.async_resync(),
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SharedCalendarsConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the group's buttons."""
    async_add_entities(
        SharedCalendarsButton(entry.runtime_data.coordinator, description)
        for description in DESCRIPTIONS
    )


class SharedCalendarsButton(SharedCalendarsEntity, ButtonEntity):
    """A button of a group."""

    entity_description: SharedCalendarsButtonDescription

    @property
    @override
    def available(self) -> bool:
        """Stay pressable after a failed cycle: that is when one wants to retry."""
        return True

    @override
    async def async_press(self) -> None:
        """Run the button's action."""
        await self.entity_description.press_fn(self.coordinator)
