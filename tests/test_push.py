"""Google push: the fake Google API notifies the group's real webhook over HTTP.

Home Assistant's HTTP app runs on a loopback test server; the fake posts each
notification meant for the group's public HTTPS address to it, as a reverse
proxy in front of Home Assistant would.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
import copy
from datetime import timedelta
import logging
from typing import Any

from aiohttp.test_utils import TestClient
from aiohttp.web import Application, Request
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed
from yarl import URL

from custom_components.shared_calendars.const import DOMAIN
from custom_components.shared_calendars.diagnostics import (
    async_get_config_entry_diagnostics,
)
from custom_components.shared_calendars.push import (
    NOTIFICATION_COOLDOWN,
    SAFETY_INTERVAL,
    GroupPush,
    push_issue_id,
)

from .family import BEN, ENTRY_ID, Family, at, setup_family
from .providers.google_harness import GoogleHarness
from .secret_search import logged_texts

PUBLIC_URL = "https://family-home.example.org"
PUSH_STORE = f"{DOMAIN}.{ENTRY_ID}.push"

type Client = TestClient[Request, Application]
type ClientFactory = Callable[[], Coroutine[Any, Any, Client]]


@pytest.fixture
async def webhook_client(
    hass: HomeAssistant,
    google_harness: GoogleHarness,
    hass_client_no_auth: ClientFactory,
) -> Client:
    """Serve Home Assistant's HTTP app, reachable as PUBLIC_URL through the fake."""
    # Every view is registered before the test server freezes the router.
    for domain in (DOMAIN, "calendar", "binary_sensor", "sensor", "button"):
        assert await async_setup_component(hass, domain, {})
    client = await hass_client_no_auth()
    home = client.make_url("/")
    google_harness.server.push_reroute = lambda address: str(
        home.with_path(URL(address).path)
    )
    return client


async def _public_url(hass: HomeAssistant, url: str | None = PUBLIC_URL) -> None:
    """Set the external URL as the user does under Settings > System > Network."""
    await hass.config.async_update(external_url=url)


def _push(family: Family) -> GroupPush:
    push = family.entry.runtime_data.push
    assert push is not None
    return push  # type: ignore[no-any-return]


def _push_sensor(hass: HomeAssistant) -> str:
    state = hass.states.get("binary_sensor.family_push_notifications")
    assert state is not None
    return state.state


def _channels(hass_storage: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return hass_storage[PUSH_STORE]["data"]["channels"]  # type: ignore[no-any-return]


async def _settle(hass: HomeAssistant, harness: GoogleHarness) -> None:
    """Let the fake deliver, the notifications gather, and the cycle they start run."""
    await harness.server.drain_notifications()
    await hass.async_block_till_done()
    async_fire_time_changed(
        hass, dt_util.utcnow() + timedelta(seconds=NOTIFICATION_COOLDOWN + 0.5)
    )
    await hass.async_block_till_done()


async def test_a_change_reaches_every_copy_through_push(
    hass: HomeAssistant,
    google_harness: GoogleHarness,
    webhook_client: Client,
    hass_storage: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A new event in Anna's calendar is copied to Ben at once, reading only hers."""
    caplog.set_level(logging.DEBUG)
    await _public_url(hass)
    family = await setup_family(hass, google_harness)
    server = google_harness.server
    push = _push(family)
    await _settle(hass, google_harness)

    assert server.count("events.watch") == 5  # every Google calendar of the group
    assert push.active
    assert family.coordinator.update_interval == SAFETY_INTERVAL
    assert _push_sensor(hass) == "on"
    assert push.counts.sync == 5  # each channel's opening notification ...
    assert push.counts.reads == 0  # ... is not a change
    assert all(
        note.status == 200 and note.resource_state == "sync"
        for note in server.notifications
    )
    assert ir.async_get(hass).async_get_issue(DOMAIN, push_issue_id(ENTRY_ID)) is None

    server.insert_event(
        family.calendars["anna"],
        {
            "summary": "Dentist",
            "start": {"dateTime": at(3, 9).isoformat()},
            "end": {"dateTime": at(3, 10).isoformat()},
        },
    )
    await _settle(hass, google_harness)

    assert push.counts.reads == 1
    assert await family.titles("ben-combined") == ["Dentist"]
    report = family.coordinator.data
    assert report.requests == {"changes": 1, "put": 1}  # Anna's calendar alone
    # The copy's own notification makes one more read, of Ben's combined calendar,
    # which finds only the copy it wrote and writes nothing.
    await _settle(hass, google_harness)
    assert push.counts.changes == 2
    assert push.counts.reads == 2
    assert family.coordinator.data.requests == {"changes": 1}
    assert await family.titles("ben-combined") == ["Dentist"]

    stored = _channels(hass_storage)
    secrets = [
        value
        for channel in stored.values()
        for value in (channel["id"], channel["resource_id"], channel["token"])
    ]
    diagnostics = repr(await async_get_config_entry_diagnostics(hass, family.entry))
    # Home Assistant itself logs the webhook id of every request, as for any webhook.
    assert hass_storage[PUSH_STORE]["data"]["webhook_id"] not in diagnostics
    assert diagnostics.count("'active': True") == 1
    logged = "\n".join(logged_texts(caplog.records))
    shown = [secret for secret in secrets if secret in diagnostics or secret in logged]
    assert shown == []


async def test_forged_missing_and_unknown_tokens_are_ignored_alike(
    hass: HomeAssistant,
    google_harness: GoogleHarness,
    webhook_client: Client,
    hass_storage: dict[str, Any],
) -> None:
    """Only a notification with its channel's token starts a read; replies are equal."""
    await _public_url(hass)
    family = await setup_family(hass, google_harness)
    push = _push(family)
    await _settle(hass, google_harness)
    webhook_id = hass_storage[PUSH_STORE]["data"]["webhook_id"]
    key, channel = next(iter(_channels(hass_storage).items()))
    path = f"/api/webhook/{webhook_id}"
    genuine = {
        "X-Goog-Channel-ID": channel["id"],
        "X-Goog-Resource-ID": channel["resource_id"],
        "X-Goog-Resource-State": "exists",
    }
    forged = [
        {**genuine, "X-Goog-Channel-Token": "guessed"},
        genuine,  # no token at all
        {**genuine, "X-Goog-Channel-ID": "unknown", "X-Goog-Channel-Token": "x"},
        {
            **genuine,
            "X-Goog-Channel-ID": "unknown",
            "X-Goog-Channel-Token": channel["token"],
        },
    ]
    replies = []
    for headers in forged:
        response = await webhook_client.post(path, headers=headers)
        replies.append((response.status, await response.text()))
    await _settle(hass, google_harness)
    assert push.counts.rejected == 4
    assert push.counts.reads == 0

    response = await webhook_client.post(
        path, headers={**genuine, "X-Goog-Channel-Token": channel["token"]}
    )
    replies.append((response.status, await response.text()))
    await _settle(hass, google_harness)
    assert len(set(replies)) == 1  # the caller learns nothing from the reply
    assert push.counts.rejected == 4
    assert push.counts.reads == 1
    assert family.coordinator.data.requests == {"changes": 1}
    diagnostics = await async_get_config_entry_diagnostics(hass, family.entry)
    assert diagnostics["push"]["notifications"]["rejected"] == 4
    assert key not in repr(diagnostics)


async def test_a_burst_of_notifications_makes_one_read(
    hass: HomeAssistant, google_harness: GoogleHarness, webhook_client: Client
) -> None:
    """Changes arriving together, in two calendars, are read in one cycle."""
    await _public_url(hass)
    family = await setup_family(hass, google_harness)
    push = _push(family)
    server = google_harness.server
    await _settle(hass, google_harness)
    reads_before = server.count("events.list")

    for number in range(4):
        server.insert_event(
            family.calendars["anna" if number % 2 else "ben"],
            {
                "summary": f"Meeting {number}",
                "start": {"dateTime": at(4, 9 + number).isoformat()},
                "end": {"dateTime": at(4, 10 + number).isoformat()},
            },
        )
    await server.drain_notifications()
    await hass.async_block_till_done()
    assert push.counts.changes == 4
    assert push.counts.reads == 0  # still gathering
    await _settle(hass, google_harness)

    assert push.counts.reads == 1
    assert server.count("events.list") - reads_before == 2  # Anna's and Ben's
    assert await family.titles("ben-combined") == ["Meeting 1", "Meeting 3"]
    assert await family.titles("anna-combined") == ["Meeting 0", "Meeting 2"]


async def test_channels_are_renewed_before_they_expire(
    hass: HomeAssistant,
    google_harness: GoogleHarness,
    webhook_client: Client,
    hass_storage: dict[str, Any],
    freezer: FrozenDateTimeFactory,
) -> None:
    """A day before Google's expiry (a week), each channel is replaced and stopped.

    Time is frozen at the real now: the fake Google keeps real time, so its
    channels stay open while Home Assistant's clock moves on.
    """
    await _public_url(hass)
    family = await setup_family(hass, google_harness)
    server = google_harness.server
    first = dict(_channels(hass_storage))
    assert server.count("events.watch") == 5

    freezer.tick(timedelta(days=5))
    async_fire_time_changed(hass, fire_all=True)  # the hourly check among them
    await hass.async_block_till_done(wait_background_tasks=True)
    assert server.count("events.watch") == 5  # two days left: nothing to do

    freezer.tick(timedelta(days=1, hours=1))
    async_fire_time_changed(hass, fire_all=True)  # the hourly check among them
    await hass.async_block_till_done(wait_background_tasks=True)
    assert server.count("events.watch") == 10
    renewed = _channels(hass_storage)
    assert renewed.keys() == first.keys()
    assert all(renewed[key]["id"] != first[key]["id"] for key in first)
    assert all(server.channel(old["id"]).stopped for old in first.values())
    assert _push(family).active

    server.insert_event(
        family.calendars["anna"],
        {
            "summary": "After renewal",
            "start": {"dateTime": at(9, 9).isoformat()},
            "end": {"dateTime": at(9, 10).isoformat()},
        },
    )
    await _settle(hass, google_harness)
    assert await family.titles("ben-combined") == ["After renewal"]


async def test_channels_stop_when_a_calendar_leaves_on_unload_and_removal(
    hass: HomeAssistant,
    google_harness: GoogleHarness,
    webhook_client: Client,
    hass_storage: dict[str, Any],
) -> None:
    """Ben leaving stops his channels; unloading stops the rest; removal forgets all."""
    await _public_url(hass)
    family = await setup_family(hass, google_harness)
    server = google_harness.server
    bens = {family.calendars[key]: None for key in ("ben", "ben-combined")}.keys()
    channels = dict(_channels(hass_storage))

    hass.config_entries.async_remove_subentry(family.entry, BEN)
    await hass.async_block_till_done()
    assert family.entry.state is ConfigEntryState.LOADED
    left = _channels(hass_storage)
    assert len(left) == 3
    assert not any(calendar in key for key in left for calendar in bens)
    assert all(server.channel(channel["id"]).stopped for channel in channels.values())

    assert await hass.config_entries.async_unload(family.entry.entry_id)
    assert all(server.channel(channel["id"]).stopped for channel in left.values())
    assert _channels(hass_storage) == {}

    await hass.config_entries.async_remove(family.entry.entry_id)
    await hass.async_block_till_done()
    assert PUSH_STORE not in hass_storage
    assert server.count("channels.stop") == 8  # five, then the three reopened


async def test_a_group_removed_after_a_failed_restart_stops_its_channels(
    hass: HomeAssistant,
    google_harness: GoogleHarness,
    webhook_client: Client,
    hass_storage: dict[str, Any],
) -> None:
    """Channels left open by a group that could not start again are stopped at removal."""
    await _public_url(hass)
    family = await setup_family(hass, google_harness)
    server = google_harness.server
    entry_id = family.entry.entry_id
    left_open = copy.deepcopy(hass_storage[PUSH_STORE])
    channels = _channels(hass_storage).values()
    # Home Assistant stops without unloading: the channels stay open and stored.
    server.fail_next(len(channels))
    assert await hass.config_entries.async_unload(entry_id)
    hass_storage[PUSH_STORE] = left_open
    assert not any(server.channel(channel["id"]).stopped for channel in channels)

    # Started again while Google answers nothing: the group waits to retry.
    server.fail_next(1000)
    assert not await hass.config_entries.async_setup(entry_id)
    assert family.entry.state is ConfigEntryState.SETUP_RETRY
    server.stop_failing()

    await hass.config_entries.async_remove(entry_id)
    await hass.async_block_till_done()
    assert all(server.channel(channel["id"]).stopped for channel in channels)
    assert PUSH_STORE not in hass_storage


async def test_restart_keeps_live_channels_and_reopens_expired_ones(
    hass: HomeAssistant,
    google_harness: GoogleHarness,
    webhook_client: Client,
    hass_storage: dict[str, Any],
) -> None:
    """Stored channels Google still holds are used as they are; expired ones reopened."""
    server = google_harness.server
    webhook_id = "a1b2c3d4" * 8
    address = f"{PUBLIC_URL}/api/webhook/{webhook_id}"
    # The calendars must exist before a channel is opened: make the family first,
    # with push unavailable, then store what the "last run" left and set up again.
    await _public_url(hass, None)
    family = await setup_family(hass, google_harness)
    assert server.count("events.watch") == 0
    calendars = family.coordinator.calendars()
    assert await hass.config_entries.async_unload(family.entry.entry_id)
    anna_key = next(
        key for key in calendars if key.endswith("|anna@group.calendar.google.com")
    )
    ben_key = next(
        key for key in calendars if key.endswith("|ben@group.calendar.google.com")
    )
    opened = await google_harness.google.watch(
        "anna@group.calendar.google.com",
        channel_id="live-channel",
        address=address,
        token="live-token-of-the-last-run",
    )
    hass_storage[PUSH_STORE] = {
        "version": 1,
        "minor_version": 1,
        "key": PUSH_STORE,
        "data": {
            "webhook_id": webhook_id,
            "cloudhook": None,
            "channels": {
                anna_key: {
                    "id": opened.id,
                    "resource_id": opened.resource_id,
                    "token": "live-token-of-the-last-run",
                    "address": address,
                    "expiration": opened.expiration.isoformat()
                    if opened.expiration
                    else None,
                },
                ben_key: {
                    "id": "expired-channel",
                    "resource_id": "res-ben",
                    "token": "expired-token",
                    "address": address,
                    "expiration": (dt_util.utcnow() - timedelta(hours=1)).isoformat(),
                },
            },
        },
    }
    await _public_url(hass)
    assert await hass.config_entries.async_setup(family.entry.entry_id)
    await hass.async_block_till_done()

    stored = _channels(hass_storage)
    assert stored[anna_key]["id"] == "live-channel"  # kept
    assert stored[ben_key]["id"] != "expired-channel"  # reopened
    assert server.count("events.watch") == 1 + 5 - 1  # the last run's, then 4 new
    assert server.count("channels.stop") == 0  # an expired channel needs no stop
    assert _push(family).active

    server.insert_event(
        family.calendars["anna"],
        {
            "summary": "Through the kept channel",
            "start": {"dateTime": at(5, 9).isoformat()},
            "end": {"dateTime": at(5, 10).isoformat()},
        },
    )
    await _settle(hass, google_harness)
    assert await family.titles("ben-combined") == ["Through the kept channel"]


async def test_without_a_public_https_url_the_group_polls_and_says_how_to_push(
    hass: HomeAssistant, google_harness: GoogleHarness, webhook_client: Client
) -> None:
    """No external HTTPS URL: no channel, a repairs issue, the usual interval."""
    await _public_url(hass, "http://family-home.example.org:8123")
    family = await setup_family(hass, google_harness)
    push = _push(family)
    assert google_harness.server.count("events.watch") == 0
    assert not push.active
    assert family.coordinator.update_interval == family.coordinator.polling_interval
    assert _push_sensor(hass) == "off"
    issue = ir.async_get(hass).async_get_issue(DOMAIN, push_issue_id(ENTRY_ID))
    assert issue is not None
    assert issue.translation_key == "push_unavailable"

    await _public_url(hass)
    await push.async_check_channels()
    await hass.async_block_till_done()
    assert push.active
    assert ir.async_get(hass).async_get_issue(DOMAIN, push_issue_id(ENTRY_ID)) is None
    assert _push_sensor(hass) == "on"
