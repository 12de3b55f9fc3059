"""Google push through Home Assistant Cloud's cloudhook.

Home Assistant's own cloud integration cannot be imported in the test venv (its
camera dependency needs turbojpeg), so these tests install a stand-in module for
`homeassistant.components.cloud` in `sys.modules`, for these tests only. It has
exactly the functions the group calls (`async_active_subscription`,
`async_create_cloudhook`, `async_delete_cloudhook`) and `CloudNotAvailable`,
plus `async_remote_ui_url`, which Home Assistant's own `get_url` imports once
"cloud" is loaded; it keeps the signatures and raises of Home Assistant's (with
the ValueError its client raises for a hook already held, or not held, and the
client's own errors, which are real). The fake Google posts to a cloudhook address as Nabu Casa's relay does: to the
webhook the cloudhook was made for.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import secrets
import sys
from types import ModuleType
from typing import Any

from hass_nabucasa.cloudhooks import CloudhookApiError
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
import pytest
from yarl import URL

from custom_components.shared_calendars.const import DOMAIN
from custom_components.shared_calendars.diagnostics import (
    async_get_config_entry_diagnostics,
)
from custom_components.shared_calendars.push import push_issue_id

from .family import ENTRY_ID, Family, at, setup_family
from .providers.google_harness import GoogleHarness
from .test_push import (
    PUBLIC_URL,
    PUSH_STORE,
    Client,
    _channels,
    _public_url,
    _push,
    _settle,
    webhook_client,  # noqa: F401  (a fixture the tests below use)
)

CLOUDHOOK_HOST = "hooks.nabu.casa"


class CloudNotAvailable(HomeAssistantError):
    """Raised, as Home Assistant's is, when the cloud cannot do what is asked."""


@dataclass
class Cloud:
    """The state of the stand-in: a subscription, a connection, its cloudhooks."""

    subscribed: bool = True
    connected: bool = True
    hooks: dict[str, str] = field(default_factory=dict)
    """Cloudhook URL by webhook id."""
    failure: Exception | None = None
    """Raised by the next creations, as the cloud's client raises its errors."""
    created: int = 0
    deleted: list[str] = field(default_factory=list)

    def module(self) -> ModuleType:
        """Return the module `homeassistant.components.cloud` stands for."""
        module = ModuleType("homeassistant.components.cloud")

        def async_active_subscription(hass: HomeAssistant) -> bool:
            return self.subscribed

        async def async_create_cloudhook(hass: HomeAssistant, webhook_id: str) -> str:
            if not self.connected:
                raise CloudNotAvailable
            if webhook_id in self.hooks:
                raise ValueError("Hook is already enabled for the cloud.")
            if self.failure is not None:
                raise self.failure
            self.created += 1
            hook = f"https://{CLOUDHOOK_HOST}/{secrets.token_hex(16)}"
            self.hooks[webhook_id] = hook
            return hook

        async def async_delete_cloudhook(hass: HomeAssistant, webhook_id: str) -> None:
            if not self.connected:
                raise CloudNotAvailable
            if webhook_id not in self.hooks:
                raise ValueError("Hook is not enabled for the cloud.")
            self.deleted.append(webhook_id)
            del self.hooks[webhook_id]

        def async_remote_ui_url(hass: HomeAssistant) -> str:
            raise CloudNotAvailable  # remote access is off: only cloudhooks

        module.__dict__.update(
            CloudNotAvailable=CloudNotAvailable,
            async_active_subscription=async_active_subscription,
            async_create_cloudhook=async_create_cloudhook,
            async_delete_cloudhook=async_delete_cloudhook,
            async_remote_ui_url=async_remote_ui_url,
        )
        return module

    def relay(self, address: str) -> str:
        """Return the webhook address a cloudhook forwards to; others unchanged."""
        url = URL(address)
        if url.host != CLOUDHOOK_HOST:
            return address
        webhook_id = next(key for key, hook in self.hooks.items() if hook == address)
        return f"{PUBLIC_URL}/api/webhook/{webhook_id}"


@pytest.fixture
def cloud(
    hass: HomeAssistant,
    google_harness: GoogleHarness,
    webhook_client: Client,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> Cloud:
    """Load the stand-in "cloud", subscribed and connected, behind the fake Google.

    The module is taken out again after the test; the `hass` holding "cloud" ends
    with it.
    """
    cloud = Cloud()
    monkeypatch.setitem(sys.modules, "homeassistant.components.cloud", cloud.module())
    hass.config.components.add("cloud")
    server = google_harness.server
    to_home = server.push_reroute
    assert to_home is not None
    server.push_reroute = lambda address: to_home(cloud.relay(address))
    return cloud


def _addresses(hass_storage: dict[str, Any]) -> set[str]:
    return {channel["address"] for channel in _channels(hass_storage).values()}


def _issue(hass: HomeAssistant) -> ir.IssueEntry | None:
    return ir.async_get(hass).async_get_issue(DOMAIN, push_issue_id(ENTRY_ID))


async def _via(hass: HomeAssistant, family: Family) -> Any:
    diagnostics = await async_get_config_entry_diagnostics(hass, family.entry)
    return diagnostics["push"]["via"]


async def test_channels_open_to_the_cloudhook_without_an_external_url(
    hass: HomeAssistant,
    google_harness: GoogleHarness,
    cloud: Cloud,
    hass_storage: dict[str, Any],
) -> None:
    """With a subscription every channel goes to one cloudhook; a change arrives."""
    await _public_url(hass, None)
    family = await setup_family(hass, google_harness)
    server = google_harness.server
    push = _push(family)
    await _settle(hass, google_harness)

    webhook_id = hass_storage[PUSH_STORE]["data"]["webhook_id"]
    assert cloud.created == 1
    assert hass_storage[PUSH_STORE]["data"]["cloudhook"] == cloud.hooks[webhook_id]
    assert server.count("events.watch") == 5
    assert _addresses(hass_storage) == {cloud.hooks[webhook_id]}
    assert push.active
    assert _issue(hass) is None
    assert await _via(hass, family) == "cloud"
    assert push.counts.sync == 5  # every opening notification came through the relay

    server.insert_event(
        family.calendars["anna"],
        {
            "summary": "Dentist",
            "start": {"dateTime": at(3, 9).isoformat()},
            "end": {"dateTime": at(3, 10).isoformat()},
        },
    )
    await _settle(hass, google_harness)
    assert push.counts.rejected == 0
    assert push.counts.reads == 1
    assert family.coordinator.data.requests == {"changes": 1, "put": 1}
    assert await family.titles("ben-combined") == ["Dentist"]
    # The cloudhook is an address like the channels': never in diagnostics.
    assert cloud.hooks[webhook_id] not in repr(
        await async_get_config_entry_diagnostics(hass, family.entry)
    )


async def test_the_cloudhook_and_its_channels_are_kept_across_a_restart(
    hass: HomeAssistant,
    google_harness: GoogleHarness,
    cloud: Cloud,
    hass_storage: dict[str, Any],
) -> None:
    """The stored cloudhook is used again: no new cloudhook, no new channel."""
    await _public_url(hass, None)
    family = await setup_family(hass, google_harness)
    server = google_harness.server
    hook = hass_storage[PUSH_STORE]["data"]["cloudhook"]
    channels = dict(_channels(hass_storage))

    # A restart that finds the channels still open: unloading stops them, so the
    # Store is put back as the last run left it, as a power cut would.
    saved = dict(hass_storage[PUSH_STORE]["data"], channels=channels)
    assert await hass.config_entries.async_unload(family.entry.entry_id)
    assert cloud.deleted == []  # unloading keeps the cloudhook
    for channel in channels.values():
        server.channel(channel["id"]).stopped = False
    hass_storage[PUSH_STORE]["data"] = saved
    assert await hass.config_entries.async_setup(family.entry.entry_id)
    await hass.async_block_till_done()

    assert cloud.created == 1
    assert hass_storage[PUSH_STORE]["data"]["cloudhook"] == hook
    assert _channels(hass_storage) == channels
    assert server.count("events.watch") == 5
    assert _push(family).active
    assert await _via(hass, family) == "cloud"

    server.insert_event(
        family.calendars["anna"],
        {
            "summary": "After the restart",
            "start": {"dateTime": at(5, 9).isoformat()},
            "end": {"dateTime": at(5, 10).isoformat()},
        },
    )
    await _settle(hass, google_harness)
    assert await family.titles("ben-combined") == ["After the restart"]


async def test_without_the_cloud_push_falls_back_to_the_external_url_or_polling(
    hass: HomeAssistant,
    google_harness: GoogleHarness,
    cloud: Cloud,
    hass_storage: dict[str, Any],
) -> None:
    """CloudNotAvailable: polling and the repair, then the external URL, then cloud."""
    cloud.connected = False
    await _public_url(hass, None)
    family = await setup_family(hass, google_harness)
    server = google_harness.server
    push = _push(family)
    assert server.count("events.watch") == 0
    assert not push.active
    assert family.coordinator.update_interval == family.coordinator.polling_interval
    assert _issue(hass) is not None
    assert await _via(hass, family) is None
    assert hass_storage[PUSH_STORE]["data"]["cloudhook"] is None

    await _public_url(hass)
    await push.async_check_channels()
    await hass.async_block_till_done()
    webhook_id = hass_storage[PUSH_STORE]["data"]["webhook_id"]
    assert _addresses(hass_storage) == {f"{PUBLIC_URL}/api/webhook/{webhook_id}"}
    assert push.active
    assert _issue(hass) is None
    assert await _via(hass, family) == "external_url"
    assert cloud.created == 0

    # The cloud connects: the channels move to the cloudhook, the old ones stop.
    outside = dict(_channels(hass_storage))
    cloud.connected = True
    await push.async_check_channels()
    await hass.async_block_till_done()
    assert cloud.created == 1
    assert _addresses(hass_storage) == {cloud.hooks[webhook_id]}
    assert all(server.channel(channel["id"]).stopped for channel in outside.values())
    assert await _via(hass, family) == "cloud"


async def test_a_lapsed_subscription_uses_the_external_url(
    hass: HomeAssistant,
    google_harness: GoogleHarness,
    cloud: Cloud,
    hass_storage: dict[str, Any],
) -> None:
    """Logged in but not subscribed: no cloudhook is made, the external URL serves."""
    cloud.subscribed = False
    await _public_url(hass)
    family = await setup_family(hass, google_harness)
    await _settle(hass, google_harness)
    assert cloud.created == 0
    webhook_id = hass_storage[PUSH_STORE]["data"]["webhook_id"]
    assert _addresses(hass_storage) == {f"{PUBLIC_URL}/api/webhook/{webhook_id}"}
    assert _push(family).counts.sync == 5
    assert await _via(hass, family) == "external_url"


async def test_a_failing_cloud_leaves_the_group_on_its_external_url(
    hass: HomeAssistant,
    google_harness: GoogleHarness,
    cloud: Cloud,
    hass_storage: dict[str, Any],
) -> None:
    """The cloud's own errors and timeouts do not stop the group setting up."""
    cloud.failure = CloudhookApiError("webhook_generate failed", status=502)
    await _public_url(hass)
    family = await setup_family(hass, google_harness)
    push = _push(family)
    webhook_id = hass_storage[PUSH_STORE]["data"]["webhook_id"]
    assert _addresses(hass_storage) == {f"{PUBLIC_URL}/api/webhook/{webhook_id}"}
    assert push.active

    cloud.failure = TimeoutError()
    await push.async_check_channels()
    assert await _via(hass, family) == "external_url"

    cloud.failure = None
    await push.async_check_channels()
    await hass.async_block_till_done()
    assert cloud.created == 1
    assert _addresses(hass_storage) == {cloud.hooks[webhook_id]}


async def test_a_cloudhook_the_store_lost_is_made_again(
    hass: HomeAssistant,
    google_harness: GoogleHarness,
    cloud: Cloud,
    hass_storage: dict[str, Any],
) -> None:
    """The cloud refuses a second hook for a webhook: the one it holds goes first."""
    await _public_url(hass, None)
    family = await setup_family(hass, google_harness)
    webhook_id = hass_storage[PUSH_STORE]["data"]["webhook_id"]
    assert await hass.config_entries.async_unload(family.entry.entry_id)
    lost = cloud.hooks[webhook_id]
    hass_storage[PUSH_STORE]["data"]["cloudhook"] = None  # a crash before the save

    assert await hass.config_entries.async_setup(family.entry.entry_id)
    await hass.async_block_till_done()
    assert cloud.deleted == [webhook_id]
    assert cloud.created == 2
    assert cloud.hooks[webhook_id] != lost
    assert _addresses(hass_storage) == {cloud.hooks[webhook_id]}
    assert _push(family).active


@pytest.mark.parametrize(
    ("connected", "gone"),
    [(True, False), (False, False), (True, True)],
    ids=["deleted", "unreachable", "deleted_in_the_cloud_settings"],
)
async def test_removing_the_group_deletes_its_cloudhook(
    hass: HomeAssistant,
    google_harness: GoogleHarness,
    cloud: Cloud,
    hass_storage: dict[str, Any],
    connected: bool,
    gone: bool,
) -> None:
    """Removal deletes the cloudhook; when the cloud cannot, the group still goes."""
    await _public_url(hass, None)
    family = await setup_family(hass, google_harness)
    webhook_id = hass_storage[PUSH_STORE]["data"]["webhook_id"]
    assert cloud.hooks.keys() == {webhook_id}

    cloud.connected = connected
    if gone:
        cloud.hooks.clear()
    await hass.config_entries.async_remove(family.entry.entry_id)
    await hass.async_block_till_done()
    assert cloud.deleted == ([webhook_id] if connected and not gone else [])
    assert PUSH_STORE not in hass_storage
    assert google_harness.server.count("channels.stop") == 5
