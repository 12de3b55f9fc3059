"""The coordinator: runs a sync cycle on a schedule and publishes its report."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from .accounts import account_names, async_ask_for_credentials
from .const import (
    CONF_CONCURRENCY,
    CONF_KEEP_COPIES_OF_REMOVED_MEMBERS,
    CONF_SYNC_INTERVAL,
    CONF_TWO_WAY,
    CONF_TWO_WAY_DELETE,
    CONF_WINDOW_FUTURE_DAYS,
    CONF_WINDOW_PAST_DAYS,
    DEFAULT_CONCURRENCY,
    DEFAULT_KEEP_COPIES_OF_REMOVED_MEMBERS,
    DEFAULT_SYNC_INTERVAL,
    DEFAULT_TWO_WAY,
    DEFAULT_TWO_WAY_DELETE,
    DEFAULT_WINDOW_FUTURE_DAYS,
    DEFAULT_WINDOW_PAST_DAYS,
    DOMAIN,
    LOGGER,
)
from .cycle import SyncCycle, SyncReport
from .engine.model import CalendarRef, Member, SyncWindow
from .engine.plan import PlanOptions
from .engine.state import Confirm, SyncState
from .logbook_entries import async_log_conflicts
from .members import calendar_names, members_of
from .providers.base import CalendarProvider, ProviderError
from .providers.ha_calendar import HaCalendarProvider
from .repairs import (
    async_update_emptied_issues,
    async_update_not_shared_issues,
    async_update_refused_issues,
    async_update_skipped_issues,
)
from .room_clearing import async_clear_after_cycle
from .room_options import Room, clear_after_sync, rooms_in
from .store import StateStore

if TYPE_CHECKING:
    from .push import GroupPush


@dataclass(kw_only=True)
class SharedCalendarsRuntimeData:
    """What a loaded group holds."""

    coordinator: SharedCalendarsCoordinator
    providers: dict[str, CalendarProvider]
    """By account id."""
    push: GroupPush | None = None
    """Google's push notifications into a webhook, once set up."""


type SharedCalendarsConfigEntry = ConfigEntry[SharedCalendarsRuntimeData]


class SharedCalendarsCoordinator(DataUpdateCoordinator[SyncReport]):
    """Runs the group's sync cycles; entities read the synced state it keeps."""

    config_entry: SharedCalendarsConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: SharedCalendarsConfigEntry,
        providers: dict[str, CalendarProvider],
    ) -> None:
        """Prepare the group's coordinator; the state is loaded in `_async_setup`."""
        minutes = entry.options.get(CONF_SYNC_INTERVAL)
        self.polling_interval = (
            timedelta(minutes=minutes) if minutes else DEFAULT_SYNC_INTERVAL
        )
        """The configured interval; push lengthens `update_interval` while healthy."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} {entry.title}",
            update_interval=self.polling_interval,
        )
        self.providers = providers
        self.state = SyncState()
        self.store = StateStore(hass, entry.entry_id)
        self._cycle: SyncCycle | None = None
        self.last_synced: datetime | None = None
        """When a cycle last finished without failing as a whole."""
        self._full_next = False
        self._confirm_next: dict[str, Confirm] = {}
        self._restore_hidden_next = False
        self._only_next: Collection[str] | None = None
        self._calendar_names: dict[str, str] = {}
        self.latest: SyncReport | None = None
        """The last cycle's report, also of a cycle that failed; None while one
        runs or when one failed without a report."""

    @property
    def members(self) -> list[Member]:
        """Return the group's members as configured now."""
        return members_of(self.config_entry)

    @property
    def rooms(self) -> list[Room]:
        """Return the group's room calendars as configured now."""
        return rooms_in(self.config_entry.options)

    async def _async_setup(self) -> None:
        """Load what the last run knew, so the first cycle is incremental."""
        self.state = await self.store.async_load()
        for account, provider in self.providers.items():
            if isinstance(provider, HaCalendarProvider):
                provider.keep_uids_in(self.state, account)
        self._cycle = SyncCycle(
            providers=self.providers,
            state=self.state,
            save=self.async_save_state,
            concurrency=self.config_entry.options.get(
                CONF_CONCURRENCY, DEFAULT_CONCURRENCY
            ),
        )

    async def async_save_state(self) -> None:
        """Keep what changed in the state, after every batch and every action.

        Raises `StateNotSaved` when it could not be written: a cycle then fails
        (and says why) rather than go on with a state that a restart would lose.
        """
        await self.store.async_flush(self.state)

    async def async_shutdown(self) -> None:
        """Stop the cycles, then close the state's database."""
        await super().async_shutdown()
        await self.store.async_close()

    def plan_options(self) -> PlanOptions:
        """Return the group-wide planning settings from the entry's options."""
        options = self.config_entry.options
        # The window moves once a day, not every cycle: the cycle after a move
        # plans the groups of the events entering or leaving it (found by index).
        now = dt_util.start_of_local_day()
        window = SyncWindow(
            start=now
            - timedelta(
                days=options.get(CONF_WINDOW_PAST_DAYS, DEFAULT_WINDOW_PAST_DAYS)
            ),
            end=now
            + timedelta(
                days=options.get(CONF_WINDOW_FUTURE_DAYS, DEFAULT_WINDOW_FUTURE_DAYS)
            ),
        )
        return PlanOptions(
            window=window,
            restore_hidden=self._restore_hidden_next,
            keep_copies_of_removed_targets=options.get(
                CONF_KEEP_COPIES_OF_REMOVED_MEMBERS,
                DEFAULT_KEEP_COPIES_OF_REMOVED_MEMBERS,
            ),
            two_way=options.get(CONF_TWO_WAY, DEFAULT_TWO_WAY),
            two_way_delete=options.get(CONF_TWO_WAY_DELETE, DEFAULT_TWO_WAY_DELETE),
        )

    async def async_resync(
        self,
        *,
        full: bool = False,
        restore_hidden: bool = False,
        confirm_empty: bool = False,
    ) -> SyncReport:
        """Run a cycle now, as the resync action asks; return its report.

        `confirm_empty` answers for every calendar of the group that looks
        emptied: its events were deleted, and copies that vanished from a
        combined calendar are written again.
        """
        self._full_next = full
        self._restore_hidden_next = restore_hidden
        if confirm_empty:
            self._confirm_next = dict.fromkeys(self.calendars(), Confirm.EMPTIED)
        await self.async_refresh()
        if self.last_exception is not None:
            raise self.last_exception
        return self.data

    async def async_sync_calendars(self, keys: Collection[str]) -> None:
        """Run a cycle now that reads just these calendars (push said they changed)."""
        self._only_next = keys
        await self.async_refresh()

    async def async_confirm(self, calendar: str, confirm: Confirm) -> SyncReport:
        """Run a cycle now that lets one held-back calendar's change set through."""
        self._confirm_next = {calendar: confirm}
        return await self.async_resync()

    def calendars(self) -> dict[str, CalendarRef]:
        """Return every calendar of the group, sources, combined and rooms, by key."""
        return {
            ref.key: ref
            for member in self.members
            for ref in (
                *member.sources,
                *([member.combined] if member.combined else []),
            )
        } | {room.ref.key: room.ref for room in self.rooms}

    def remember_calendar_name(self, ref: CalendarRef, name: str) -> None:
        """Keep a calendar's name as its server gave it, for messages."""
        self._calendar_names[ref.key] = name

    async def async_calendar_label(self, ref: CalendarRef) -> str:
        """Return `calendar_label`, asking the server once when no name is known."""
        known = self._calendar_names.get(ref.key) or calendar_names(
            self.config_entry
        ).get(ref.key)
        if known is None and (provider := self.providers.get(ref.account)):
            try:
                self.remember_calendar_name(
                    ref, (await provider.get_calendar(ref.calendar_id)).name
                )
            except ProviderError as err:
                LOGGER.debug("No name for a calendar of %s: %s", ref.account, err)
        return self.calendar_label(ref)

    def calendar_label(self, ref: CalendarRef) -> str:
        """Return a calendar as the user knows it, without asking its server.

        Its name as the server last gave it, or as it was when it was picked;
        failing both, the members whose calendar it is. Never its id or URL.
        """
        return (
            self._calendar_names.get(ref.key)
            or calendar_names(self.config_entry).get(ref.key)
            or next((room.name for room in self.rooms if room.ref == ref), "")
            or self.owners(ref)
        )

    def owners(self, ref: CalendarRef) -> str:
        """Return the members whose source or combined calendar `ref` is."""
        return ", ".join(
            member.name
            for member in self.members
            if ref in member.sources or ref == member.combined
        )

    async def _async_update_data(self) -> SyncReport:
        assert self._cycle is not None, "set up before the first refresh"
        self.latest = None
        try:
            report = await self._cycle.run(
                self.members,
                self.plan_options(),
                full=self._full_next,
                confirm=self._confirm_next,
                rooms=[room.ref for room in self.rooms],
                only=self._only_next,
            )
        finally:
            self._only_next = None
            self._full_next = self._restore_hidden_next = False
            self._confirm_next = {}
        self.latest = report
        async_log_conflicts(self.hass, self.config_entry.title, report.conflicts)
        await async_update_emptied_issues(self, report)
        async_update_not_shared_issues(self, report)
        await async_update_skipped_issues(self, report)
        await async_update_refused_issues(self)
        if report.auth_failed:
            async_ask_for_credentials(self.hass, self.config_entry, report.auth_failed)
            if set(report.auth_failed) >= set(self.providers):
                # Nothing works until new credentials: stop until reauthentication
                # reloads the group. With an account left, the others keep syncing.
                raise ConfigEntryAuthFailed(
                    translation_domain=DOMAIN,
                    translation_key="auth_failed",
                    translation_placeholders={
                        "accounts": account_names(self.config_entry, report.auth_failed)
                    },
                )
        calendars = self.calendars()
        if calendars and set(report.errors) >= set(calendars):
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="no_calendar_reachable",
                translation_placeholders={
                    "group": self.config_entry.title,
                    "calendars": ", ".join(
                        sorted(
                            f"{self.calendar_label(ref)} ({self.owners(ref)})"
                            for ref in calendars.values()
                        )
                    ),
                },
            )
        self.last_synced = dt_util.utcnow()
        if clear_after_sync(self.config_entry.options):
            await async_clear_after_cycle(self)
        return report
