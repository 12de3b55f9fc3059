"""What an action names: its group, a member, a calendar.

The action editor picks them as Home Assistant's own actions do: the group with the
config-entry selector, a member as their device, a calendar as its entity. In YAML
the names and ids that worked before still do: a member's name (any case) or member
entry id, a calendar's id at its provider (a Google address, a CalDAV URL).

A picked device or entity names its group, so the group may then be left out; with
neither, Home Assistant's own rule applies: the one loaded group, if there is one.
Whatever is refused is refused before anything is written.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from homeassistant.const import ATTR_CONFIG_ENTRY_ID
from homeassistant.core import HomeAssistant, split_entity_id, valid_entity_id
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.service import async_get_config_entry

from .const import DOMAIN
from .coordinator import SharedCalendarsConfigEntry
from .engine.model import CalendarRef, Member
from .helpers import refused

type Picked = tuple[Member | None, CalendarRef | None]
"""A calendar entity's member and calendar; None for the group's Everyone calendar."""


def loaded_group(
    hass: HomeAssistant, data: Mapping[str, Any], *picks: str
) -> SharedCalendarsConfigEntry:
    """Return the group a call names, or the group of what it picked (`picks`).

    Home Assistant's own helper refuses an unknown or unloaded group, and without
    an id picks the only loaded group or says that there are several.
    """
    entry_id: str | None = data.get(ATTR_CONFIG_ENTRY_ID)
    if entry_id is None:
        entry_id = next(
            (found for wanted in picks if (found := _group_of(hass, wanted))), None
        )
    entry: SharedCalendarsConfigEntry = async_get_config_entry(hass, DOMAIN, entry_id)
    return entry


def _group_of(hass: HomeAssistant, wanted: str) -> str | None:
    """Return the id of the group a device or calendar entity belongs to."""
    if (device := dr.async_get(hass).async_get(wanted)) is not None:
        return device.config_entry_id
    if (entity := _our_entity(hass, wanted)) is not None:
        return entity.config_entry_id
    return None


def _our_entity(hass: HomeAssistant, wanted: str) -> er.RegistryEntry | None:
    if not valid_entity_id(wanted):
        return None
    entity = er.async_get(hass).async_get(wanted)
    return entity if entity is not None and entity.platform == DOMAIN else None


def names(members: Iterable[Member]) -> str:
    """Return members' names for a message."""
    return ", ".join(member.name for member in members) or "-"


def member_named(
    hass: HomeAssistant, entry: SharedCalendarsConfigEntry, wanted: str
) -> Member:
    """Return the member a device, a member entry id or a name (any case) names."""
    members = entry.runtime_data.coordinator.members
    if (device := dr.async_get(hass).async_get(wanted)) is not None:
        label = device.name_by_user or device.name or wanted
        if device.config_entry_id != entry.entry_id:
            raise refused("device_not_in_group", device=label, group=entry.title)
        for member in members:
            if member.id == device.config_subentry_id:
                return member
        raise refused("device_not_a_member", device=label, members=names(members))
    for member in members:
        if member.id == wanted:
            return member
    name = wanted.strip().casefold()
    for member in members:
        if member.name.casefold() == name:
            return member
    raise refused(
        "member_not_found", member=wanted, group=entry.title, members=names(members)
    )


def calendar_label(hass: HomeAssistant, wanted: str) -> str:
    """Return how a message names a calendar: an entity by its name."""
    if valid_entity_id(wanted) and (state := hass.states.get(wanted)) is not None:
        return state.name
    return wanted


def picked_calendar(
    hass: HomeAssistant, entry: SharedCalendarsConfigEntry, wanted: str
) -> Picked | None:
    """Return the member and calendar of a calendar entity; None for other text.

    An entity of another group, or not a calendar, is refused.
    """
    if (entity := _our_entity(hass, wanted)) is None:
        return None
    if (
        entity.config_entry_id != entry.entry_id
        or split_entity_id(wanted)[0] != "calendar"
    ):
        raise refused(
            "calendar_not_in_group",
            calendar=calendar_label(hass, wanted),
            scope=entry.title,
        )
    return _calendar_entities(entry).get(entity.unique_id, (None, None))


def _calendar_entities(entry: SharedCalendarsConfigEntry) -> dict[str, Picked]:
    """Return each calendar entity's member and calendar by unique id.

    The unique ids are calendar.py's (through entity.py): the group's entry id,
    the member's, and `source_<ledger key>` or `combined`.
    """
    found: dict[str, Picked] = {}
    for member in entry.runtime_data.coordinator.members:
        prefix = f"{entry.entry_id}_{member.id}_"
        for ref in member.sources:
            found[f"{prefix}source_{ref.key}"] = (member, ref)
        if member.combined is not None:
            found[f"{prefix}combined"] = (member, member.combined)
    return found


def is_named(ref: CalendarRef, wanted: str) -> bool:
    """Return whether a calendar is the one written as its id (or its ledger key)."""
    return wanted in (ref.calendar_id, ref.key)


def _source_list(refs: Iterable[CalendarRef]) -> str:
    return ", ".join(ref.calendar_id for ref in refs) or "-"


def source_calendar(
    hass: HomeAssistant,
    entry: SharedCalendarsConfigEntry,
    member: Member | None,
    wanted: str | None,
) -> tuple[Member, CalendarRef]:
    """Return the source calendar an event action writes to, and its member.

    A picked calendar entity names its member; a calendar id is looked up among
    the member's sources, or everyone's when no member is given.
    """
    members = entry.runtime_data.coordinator.members
    if wanted is None:
        if member is None:
            raise refused("member_or_calendar_needed")
        if not member.sources:
            raise refused("member_has_no_source", member=member.name)
        return member, member.sources[0]
    scope = member.name if member is not None else entry.title
    candidates = member.sources if member is not None else _all_sources(members)
    if (picked := picked_calendar(hass, entry, wanted)) is not None:
        owner, ref = picked
        if owner is None or ref is None or ref not in owner.sources:
            raise refused(
                "not_a_source_calendar",
                calendar=calendar_label(hass, wanted),
                scope=scope,
                calendars=_source_list(candidates),
            )
        if member is not None and owner.id != member.id:
            raise refused(
                "calendar_of_another_member",
                calendar=calendar_label(hass, wanted),
                member=member.name,
                owner=owner.name,
            )
        return owner, ref
    owners = [
        (owner, ref)
        for owner in ([member] if member is not None else members)
        for ref in owner.sources
        if is_named(ref, wanted)
    ]
    if not owners:
        raise refused(
            "not_a_source_calendar",
            calendar=wanted,
            scope=scope,
            calendars=_source_list(candidates),
        )
    if len({owner.id for owner, _ in owners}) > 1:
        raise refused(
            "calendar_of_several_members",
            calendar=wanted,
            members=names(owner for owner, _ in owners),
        )
    return owners[0]


def _all_sources(members: Iterable[Member]) -> list[CalendarRef]:
    return list({ref: None for member in members for ref in member.sources})
