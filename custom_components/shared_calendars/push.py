"""Google push: watch channels into a Home Assistant webhook, one webhook per group.

Every Google calendar of a group (sources and combined calendars) gets a watch
channel whose notifications Google POSTs to the group's webhook; a notification
starts a cycle that reads just the calendars it names. Polling goes on as the
safety net, at a longer interval while every channel is open.

Channel ids, resource ids and tokens are secrets: anyone holding them could make
the group read its calendars at will (or stop a channel). They are kept in a small
Store of their own, never logged, and left out of diagnostics.
"""

from __future__ import annotations

import asyncio
from contextlib import suppress
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
import hmac
import secrets
from types import ModuleType
from typing import Any

from aiohttp.web import Request, Response
from homeassistant.components import webhook
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.debounce import Debouncer
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.helpers.network import NoURLAvailableError, get_url
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .accounts import accounts_of, async_build_provider
from .const import DOMAIN, LOGGER
from .coordinator import SharedCalendarsConfigEntry, SharedCalendarsCoordinator
from .providers.base import AuthFailed, ProviderError
from .providers.google import GoogleProvider, WatchChannel

PUSH_STORAGE_VERSION = 1
SAFETY_INTERVAL = timedelta(minutes=30)
"""How often a group polls while push is healthy: what a lost notification costs."""
RENEW_BEFORE = timedelta(days=1)
"""A channel is replaced when it expires sooner than this."""
CHECK_EVERY = timedelta(hours=1)
"""How often channels are checked for renewal, and failed ones tried again."""
NOTIFICATION_COOLDOWN = 1.0
"""Seconds notifications gather before one cycle reads their calendars."""
ISSUE_NO_URL = "push_unavailable"
_DECOY_TOKEN = secrets.token_urlsafe(32)
"""Compared against when a notification names no known channel: the reply then
takes as long, and says as much, as for a known channel with a wrong token."""


def _push_store(hass: HomeAssistant, entry_id: str) -> Store[dict[str, Any]]:
    return Store(hass, PUSH_STORAGE_VERSION, f"{DOMAIN}.{entry_id}.push", private=True)


def _cloud_failures(cloud: ModuleType) -> tuple[type[Exception], ...]:
    """Return what Home Assistant Cloud raises when a cloudhook cannot be had.

    Besides `CloudNotAvailable`: ValueError for a hook the cloud already holds
    (or no longer holds), and its client's own errors and timeout when the
    request to Nabu Casa fails.
    """
    # Imported here, as `cloud` is: both come with the cloud integration.
    from hass_nabucasa.exceptions import NabuCasaBaseError

    return (cloud.CloudNotAvailable, ValueError, TimeoutError, NabuCasaBaseError)


def push_issue_id(entry_id: str) -> str:
    """Return the id of the issue saying push cannot be used for a group."""
    return f"{ISSUE_NO_URL}_{entry_id}"


@dataclass(kw_only=True)
class StoredChannel:
    """An open watch channel, as kept between runs."""

    id: str
    resource_id: str
    token: str
    address: str
    expiration: str | None
    """ISO time Google will close the channel at."""

    def expires_before(self, moment: datetime) -> bool:
        """Return True when the channel is closed (or will be) at `moment`."""
        expires = dt_util.parse_datetime(self.expiration) if self.expiration else None
        return expires is not None and expires <= moment

    def as_watch(self) -> WatchChannel:
        """Return what `stop_watch` needs."""
        return WatchChannel(id=self.id, resource_id=self.resource_id, expiration=None)


@dataclass(kw_only=True)
class PushCounts:
    """What the webhook received since setup, for diagnostics."""

    changes: int = 0
    sync: int = 0
    """The notification that opens a channel: not a change."""
    rejected: int = 0
    """Notifications with an unknown channel or a wrong or missing token."""
    reads: int = 0
    """Cycles started by notifications."""


class GroupPush:
    """A group's webhook and its Google watch channels."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: SharedCalendarsConfigEntry,
        coordinator: SharedCalendarsCoordinator,
    ) -> None:
        """Prepare; `async_start` registers the webhook and opens the channels."""
        self._hass = hass
        self._entry = entry
        self._coordinator = coordinator
        self._store = _push_store(hass, entry.entry_id)
        self._webhook_id = ""
        self._cloudhook: str | None = None
        self._channels: dict[str, StoredChannel] = {}
        """By calendar key."""
        self._address: str | None = None
        self._touched: set[str] = set()
        self._debouncer = Debouncer(
            hass,
            LOGGER,
            cooldown=NOTIFICATION_COOLDOWN,
            immediate=False,
            function=self._async_read_touched,
        )
        self._stop_checks: Any = None
        self._checking = asyncio.Lock()
        """One check at a time: two would open two channels for a calendar."""
        self.counts = PushCounts()
        self.active = False
        """Every Google calendar of the group has an open channel."""

    # ------------------------------------------------------------- lifecycle

    async def async_start(self) -> None:
        """Register the webhook, then open (or keep) a channel per Google calendar."""
        stored = await self._store.async_load() or {}
        self._webhook_id = stored.get("webhook_id") or webhook.async_generate_id()
        self._cloudhook = stored.get("cloudhook")
        self._channels = {
            key: StoredChannel(**channel)
            for key, channel in stored.get("channels", {}).items()
        }
        webhook.async_register(
            self._hass,
            DOMAIN,
            f"Shared Calendars {self._entry.title}",
            self._webhook_id,
            self._async_handle,
            local_only=False,
            allowed_methods=["POST"],
        )
        await self.async_check_channels()
        self._stop_checks = async_track_time_interval(
            self._hass, self._async_periodic_check, CHECK_EVERY
        )
        if not stored:
            await self._async_save()

    async def async_stop(self) -> None:
        """Stop every channel and the webhook: the group is unloaded."""
        if self._stop_checks is not None:
            self._stop_checks()
        webhook.async_unregister(self._hass, self._webhook_id)
        self._debouncer.async_shutdown()
        async with self._checking:
            if self._channels:
                for key in list(self._channels):
                    await self._async_close(key)
                await self._async_save()
        self.active = False

    # -------------------------------------------------------------- channels

    def _google_calendars(self) -> dict[str, GoogleProvider]:
        """Return each Google calendar of the group (by key) with its provider."""
        providers = self._coordinator.providers
        return {
            key: provider
            for key, ref in self._coordinator.calendars().items()
            if isinstance(provider := providers.get(ref.account), GoogleProvider)
        }

    async def async_check_channels(self) -> None:
        """Open missing channels, renew expiring ones, stop those no longer wanted."""
        async with self._checking:
            await self._async_check_channels()

    async def _async_check_channels(self) -> None:
        wanted = self._google_calendars()
        self._address = await self._async_address() if wanted else None
        changed = False
        for key in set(self._channels) - set(wanted):
            await self._async_close(key)
            changed = True
        renew_by = dt_util.utcnow() + RENEW_BEFORE
        for key, provider in wanted.items():
            held = self._channels.get(key)
            if self._address is None:
                if held is not None:
                    await self._async_close(key)
                    changed = True
                continue
            if (
                held is not None
                and held.address == self._address
                and not held.expires_before(renew_by)
            ):
                continue
            changed |= await self._async_open(key, provider, replacing=held)
        if changed:
            await self._async_save()
        self._update_health(wanted)

    async def _async_open(
        self, key: str, provider: GoogleProvider, *, replacing: StoredChannel | None
    ) -> bool:
        """Open a channel for a calendar, then stop the one it replaces.

        Returns False when Google refused: the calendar is polled meanwhile.
        """
        assert self._address is not None
        ref = self._coordinator.calendars()[key]
        token = secrets.token_urlsafe(32)
        try:
            opened = await provider.watch(
                ref.calendar_id,
                channel_id=secrets.token_hex(16),
                address=self._address,
                token=token,
            )
        except ProviderError as err:
            LOGGER.warning(
                "No push channel for a calendar of %s (polling it instead): %s",
                self._coordinator.owners(ref) or ref.account,
                type(err).__name__,
            )
            return False
        self._channels[key] = StoredChannel(
            id=opened.id,
            resource_id=opened.resource_id,
            token=token,
            address=self._address,
            expiration=opened.expiration.isoformat() if opened.expiration else None,
        )
        if replacing is not None:
            await self._async_stop_quietly(key, replacing)
        return True

    async def _async_close(self, key: str) -> None:
        channel = self._channels.pop(key)
        await self._async_stop_quietly(key, channel)

    async def _async_stop_quietly(self, key: str, channel: StoredChannel) -> None:
        provider = self._coordinator.providers.get(key.partition("|")[0])
        if isinstance(provider, GoogleProvider):
            await _async_stop_channel(provider, channel)

    def _update_health(self, wanted: dict[str, GoogleProvider]) -> None:
        """Poll rarely while every channel is open; raise the issue when none can be."""
        now = dt_util.utcnow()
        self.active = bool(wanted) and all(
            key in self._channels and not self._channels[key].expires_before(now)
            for key in wanted
        )
        coordinator = self._coordinator
        coordinator.update_interval = (
            max(SAFETY_INTERVAL, coordinator.polling_interval)
            if self.active
            else coordinator.polling_interval
        )
        issue_id = push_issue_id(self._entry.entry_id)
        if wanted and self._address is None:
            ir.async_create_issue(
                self._hass,
                DOMAIN,
                issue_id,
                is_fixable=False,
                severity=ir.IssueSeverity.WARNING,
                translation_key=ISSUE_NO_URL,
                translation_placeholders={"group": self._entry.title},
                learn_more_url="https://www.home-assistant.io/docs/configuration/remote/",
            )
        else:
            ir.async_delete_issue(self._hass, DOMAIN, issue_id)
        coordinator.async_update_listeners()

    async def _async_periodic_check(self, _: datetime) -> None:
        await self.async_check_channels()

    async def _async_address(self) -> str | None:
        """Return where Google should POST: the cloudhook, or the external HTTPS URL."""
        if (cloudhook := await self._async_cloudhook()) is not None:
            return cloudhook
        try:
            base = get_url(
                self._hass,
                allow_internal=False,
                allow_ip=False,
                require_ssl=True,
            )
        except NoURLAvailableError:
            return None
        return f"{base}{webhook.async_generate_path(self._webhook_id)}"

    async def _async_cloudhook(self) -> str | None:
        """Return the group's cloudhook when Home Assistant Cloud is subscribed."""
        if "cloud" not in self._hass.config.components:
            return None
        # Imported here: the cloud integration is heavy and often not installed.
        from homeassistant.components import cloud

        if not cloud.async_active_subscription(self._hass):
            return None
        if self._cloudhook is None:
            # The cloud refuses a second hook for a webhook: one it still holds
            # (made just before a crash, say) goes first.
            with suppress(*_cloud_failures(cloud)):
                await cloud.async_delete_cloudhook(self._hass, self._webhook_id)
            try:
                self._cloudhook = await cloud.async_create_cloudhook(
                    self._hass, self._webhook_id
                )
            except _cloud_failures(cloud) as err:
                # The external URL or polling serves until the next check.
                LOGGER.debug("No cloudhook for now: %s", type(err).__name__)
                return None
            await self._async_save()
        return self._cloudhook

    async def _async_save(self) -> None:
        await self._store.async_save(
            {
                "webhook_id": self._webhook_id,
                "cloudhook": self._cloudhook,
                "channels": {
                    key: asdict(channel) for key, channel in self._channels.items()
                },
            }
        )

    # ---------------------------------------------------------- notifications

    async def _async_handle(
        self, hass: HomeAssistant, webhook_id: str, request: Request
    ) -> Response:
        """Take a notification; every reply is the same, whatever it held."""
        headers = request.headers
        channel_id = headers.get("X-Goog-Channel-ID", "")
        found = next(
            (
                (key, channel)
                for key, channel in self._channels.items()
                if hmac.compare_digest(channel.id.encode(), channel_id.encode())
            ),
            None,
        )
        expected = found[1].token if found else _DECOY_TOKEN
        given = headers.get("X-Goog-Channel-Token", "")
        if not hmac.compare_digest(expected.encode(), given.encode()) or not found:
            self.counts.rejected += 1
            return Response(status=200)
        if headers.get("X-Goog-Resource-State") == "sync":
            self.counts.sync += 1
            return Response(status=200)
        self.counts.changes += 1
        self._touched.add(found[0])
        # Scheduled, not awaited: Google wants its reply fast, and a notification
        # arriving while the group unloads is dropped quietly.
        self._debouncer.async_schedule_call()
        return Response(status=200)

    async def _async_read_touched(self) -> None:
        """Read the calendars notifications named since the last read, and write copies."""
        touched, self._touched = self._touched, set()
        if not touched:
            return
        self.counts.reads += 1
        await self._coordinator.async_sync_calendars(touched)

    @callback
    def diagnostics(self) -> dict[str, Any]:
        """Return how push is doing, naming no channel, token or address."""
        now = dt_util.utcnow()
        return {
            "active": self.active,
            "via": None
            if self._address is None
            else ("cloud" if self._address == self._cloudhook else "external_url"),
            "channels": len(self._channels),
            "expired_channels": sum(
                1 for channel in self._channels.values() if channel.expires_before(now)
            ),
            "notifications": asdict(self.counts),
        }


async def async_remove_push(
    hass: HomeAssistant, entry: SharedCalendarsConfigEntry
) -> None:
    """Forget a removed group's webhook: its Store, its cloudhook, its channels."""
    entry_id = entry.entry_id
    store = _push_store(hass, entry_id)
    stored = await store.async_load() or {}
    await _async_stop_left_channels(hass, entry, stored.get("channels") or {})
    if stored.get("cloudhook") and "cloud" in hass.config.components:
        from homeassistant.components import cloud

        try:
            await cloud.async_delete_cloudhook(hass, stored["webhook_id"])
        except _cloud_failures(cloud) as err:
            # Gone already (deleted under Home Assistant Cloud's settings) or the
            # cloud is out of reach: the group's secrets are removed all the same.
            LOGGER.debug(
                "The removed group's cloudhook was not deleted: %s", type(err).__name__
            )
    await store.async_remove()
    ir.async_delete_issue(hass, DOMAIN, push_issue_id(entry_id))


async def _async_stop_left_channels(
    hass: HomeAssistant,
    entry: SharedCalendarsConfigEntry,
    channels: dict[str, dict[str, Any]],
) -> None:
    """Stop the channels of a group removed while not loaded (its setup had failed).

    A loaded group stops them when unloaded; one that never started again after a
    restart still has them open, and Google would post to a dead webhook for days.
    """
    by_account: dict[str, list[StoredChannel]] = {}
    for key, fields in channels.items():
        by_account.setdefault(key.partition("|")[0], []).append(StoredChannel(**fields))
    accounts = accounts_of(entry)
    for account_id, left in by_account.items():
        if (subentry := accounts.get(account_id)) is None:
            continue
        try:
            provider = await async_build_provider(hass, subentry.data)
        except AuthFailed:
            continue  # a refused key stops nothing; the channels lapse by themselves
        try:
            if isinstance(provider, GoogleProvider):
                for channel in left:
                    await _async_stop_channel(provider, channel)
        finally:
            await provider.close()


async def _async_stop_channel(provider: GoogleProvider, channel: StoredChannel) -> None:
    """Stop a channel; one expired, or that cannot be stopped, lapses by itself."""
    if channel.expires_before(dt_util.utcnow()):
        return
    try:
        await provider.stop_watch(channel.as_watch())
    except ProviderError as err:
        LOGGER.debug("A push channel could not be stopped: %s", type(err).__name__)
