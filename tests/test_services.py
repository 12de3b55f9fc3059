"""The actions: writing members' events, upsert, free/busy and removing the copies.

Every test sets a group up on the real loopback servers (Radicale, the fake Google
Calendar API) and checks what the servers hold afterwards, so that "nothing is
written" means nothing reached a server.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
import json
from pathlib import Path
import re
from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import (
    HomeAssistantError,
    ServiceValidationError,
    Unauthorized,
)
from homeassistant.helpers import device_registry as dr, entity_registry as er, selector
from homeassistant.helpers.service import async_get_all_descriptions
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from homeassistant.util.yaml import load_yaml_dict
import probatio
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, MockUser

from custom_components.shared_calendars import services
from custom_components.shared_calendars.const import DOMAIN
from custom_components.shared_calendars.engine.ids import copy_id, upsert_event_id
from custom_components.shared_calendars.engine.model import (
    CalendarRef,
    CopyMarker,
    Event,
    Transparency,
)
from custom_components.shared_calendars.event_fields import TEXT_LIMITS

from .group import caldav_account, google_account, group_entry, member
from .providers.caldav_harness import CalDavHarness
from .providers.google_harness import GoogleHarness

type Harness = CalDavHarness | GoogleHarness

DAY = date(2026, 12, 2)
AT_3PM = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)
TIMES = {
    "start_date_time": "2026-12-06T10:00:00+00:00",
    "end_date_time": "2026-12-06T11:00:00+00:00",
}
EVENT_ID = re.compile(r"[0-9a-v]{40}")
"""What a new event's id looks like: 40 hex digits, a subset of base32hex, which Google accepts."""


def _event(key: str, summary: str, start: Any, end: Any, **fields: Any) -> Event:
    event_id = copy_id("seed", key)
    return Event(
        id=event_id,
        ical_uid=f"{event_id}@example.com",
        summary=summary,
        start=start,
        end=end,
        **fields,
    )


DENTIST = _event(
    "dentist",
    "Dentist",
    AT_3PM,
    AT_3PM + timedelta(hours=1),
    description="Bring the card",
    location="Main Street 1",
)
REVIEW = _event(
    "review", "Review", AT_3PM + timedelta(minutes=30), AT_3PM + timedelta(hours=2)
)
GYM = _event(
    "gym",
    "Gym",
    AT_3PM + timedelta(hours=3),
    AT_3PM + timedelta(hours=4),
    transparency=Transparency.TRANSPARENT,
)
FOOTBALL = _event(
    "football", "Football", DAY + timedelta(days=1), DAY + timedelta(days=2)
)
LEFTOVER = _event(
    "leftover",
    "Copy left by an earlier installation",
    AT_3PM,
    AT_3PM + timedelta(hours=1),
    copy_of=CopyMarker(source="uid:gone@example.com"),
)


@dataclass(kw_only=True)
class Family:
    """A loaded group: Anna (two sources), Ben (one), Carol (a read-only source)."""

    hass: HomeAssistant
    harness: Harness
    entry: MockConfigEntry
    calendars: dict[str, str]

    async def call(self, service: str, **data: Any) -> dict[str, Any]:
        """Call an action of the group and return its response."""
        return await self.call_unnamed(
            service, config_entry_id=self.entry.entry_id, **data
        )

    async def call_unnamed(self, service: str, **data: Any) -> dict[str, Any]:
        """Call an action without naming the group; return its response."""
        response = await self.hass.services.async_call(
            DOMAIN, service, data, blocking=True, return_response=True
        )
        assert response is not None
        return response

    def member_id(self, name: str) -> str:
        """Return the id of a member's subentry."""
        members = self.entry.runtime_data.coordinator.members
        return str(next(member.id for member in members if member.name == name))

    def device(self, name: str | None) -> str:
        """Return the id of a member's device, or of the group's for None."""
        subentry = self.member_id(name) if name is not None else None
        devices = dr.async_entries_for_config_entry(
            dr.async_get(self.hass), self.entry.entry_id
        )
        return next(d.id for d in devices if d.config_subentry_id == subentry)

    def entity(self, name: str) -> str:
        """Return the entity id of a calendar: a source, `<member>-combined`, `everyone`."""
        if name == "everyone":
            suffix = "_everyone"
        elif name.endswith("-combined"):
            suffix = (
                f"_{self.member_id(name.split('-', maxsplit=1)[0].title())}_combined"
            )
        else:
            suffix = f"_source_{_account(self)}|{self.calendars[name]}"
        entities = er.async_entries_for_config_entry(
            er.async_get(self.hass), self.entry.entry_id
        )
        return next(
            entity.entity_id
            for entity in entities
            if entity.domain == "calendar" and entity.unique_id.endswith(suffix)
        )

    async def events(self, name: str) -> dict[str, Event]:
        """List a calendar on its server, by event id."""
        listing = await self.harness.provider.changes(self.calendars[name], None)
        return {event.id: event for event in listing.changed}

    async def titles(self, name: str) -> list[str]:
        """Return the titles of a calendar's events, live from its server."""
        return sorted(event.summary for event in (await self.events(name)).values())

    async def everything(self) -> dict[str, dict[str, Event]]:
        """Return every calendar of the group as its server holds it."""
        return {name: await self.events(name) for name in self.calendars}

    def writes(self) -> int:
        """Return how many writing requests reached the server so far."""
        if isinstance(self.harness, CalDavHarness):
            methods: Counter[str] = self.harness.proxy.methods()
            return methods["PUT"] + methods["DELETE"]
        server = self.harness.server
        return sum(
            server.count(route)
            for route in (
                "events.insert",
                "events.update",
                "events.patch",
                "events.delete",
            )
        )


async def _family(hass: HomeAssistant, harness: Harness) -> Family:
    calendars = {
        name: await harness.new_calendar(name)
        for name in ("anna", "anna-work", "anna-combined", "ben", "ben-combined")
    }
    calendars["carol"] = await harness.new_read_only_calendar("carol")
    for name, event in (
        ("anna", DENTIST),
        ("anna", GYM),
        ("anna-work", REVIEW),
        ("anna-work", LEFTOVER),
        ("ben", FOOTBALL),
    ):
        await harness.provider.put_event(calendars[name], event)
    account = (
        caldav_account(harness)
        if isinstance(harness, CalDavHarness)
        else google_account(harness)
    )
    account_id = account["unique_id"]
    assert account_id is not None

    def ref(name: str) -> tuple[str, str]:
        return (account_id, calendars[name])

    entry = group_entry(
        account,
        member(
            "Anna",
            sources=[ref("anna"), ref("anna-work")],
            combined=ref("anna-combined"),
        ),
        member("Ben", sources=[ref("ben")], combined=ref("ben-combined")),
        member("Carol", sources=[ref("carol")], combined=None),
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    return Family(hass=hass, harness=harness, entry=entry, calendars=calendars)


@pytest.fixture
async def family(hass: HomeAssistant, caldav_harness: CalDavHarness) -> Family:
    """Return the family's group on Radicale, synced once."""
    return await _family(hass, caldav_harness)


@pytest.fixture
async def google_family(hass: HomeAssistant, google_harness: GoogleHarness) -> Family:
    """Return the family's group on the fake Google Calendar API, synced once."""
    return await _family(hass, google_harness)


@pytest.fixture(params=["caldav", "google"])
def harness(request: pytest.FixtureRequest) -> Harness:
    """Return each kind of harness in turn."""
    harness: Harness = request.getfixturevalue(f"{request.param}_harness")
    return harness


@pytest.fixture
async def any_family(hass: HomeAssistant, harness: Harness) -> Family:
    """Return the family's group on each kind of server in turn."""
    return await _family(hass, harness)


def _local(value: datetime) -> str:
    return dt_util.as_local(value).isoformat()


# ------------------------------------------------------------------ create_event


async def test_create_event_writes_to_the_members_first_source_and_sync_shares_it(
    family: Family,
) -> None:
    """The new event lands in Anna's first source calendar and reaches Ben at once."""
    response = await family.call(
        "create_event",
        member="anna",
        summary="Parents' evening",
        description="Room 4",
        location="School",
        start_date_time="2026-12-03T18:00:00+01:00",
        end_date_time="2026-12-03T19:30:00+01:00",
    )

    assert EVENT_ID.fullmatch(response["event_id"])
    assert response["calendar_id"] == family.calendars["anna"]
    created = (await family.events("anna"))[response["event_id"]]
    assert (created.summary, created.description, created.location) == (
        "Parents' evening",
        "Room 4",
        "School",
    )
    assert created.start == datetime(2026, 12, 3, 17, 0, tzinfo=UTC)
    assert created.end == datetime(2026, 12, 3, 18, 30, tzinfo=UTC)
    assert created.copy_of is None
    assert "Parents' evening" in await family.titles("ben-combined")


async def test_create_event_on_google_keeps_dates_and_repeats_in_the_local_zone(
    google_family: Family,
) -> None:
    """All-day dates stay dates (end exclusive); a timed series repeats in HA's zone."""
    calendar = google_family.calendars["anna-work"]
    holiday = await google_family.call(
        "create_event",
        member="Anna",
        calendar=calendar,
        summary="Holiday",
        start_date="2026-12-24",
        end_date="2026-12-27",
        rrule="FREQ=YEARLY",
    )
    standup = await google_family.call(
        "create_event",
        member="Anna",
        calendar=calendar,
        summary="Standup",
        start_date_time="2026-12-07T09:00:00+00:00",
        end_date_time="2026-12-07T09:15:00+00:00",
        rrule="rrule:FREQ=weekly;BYDAY=mo",
    )

    harness = google_family.harness
    assert isinstance(harness, GoogleHarness)
    server = harness.server
    stored = server.event(calendar, holiday["event_id"])
    assert stored is not None
    assert stored["start"] == {"date": "2026-12-24"}
    assert stored["end"] == {"date": "2026-12-27"}
    assert stored["recurrence"] == ["RRULE:FREQ=YEARLY"]
    stored = server.event(calendar, standup["event_id"])
    assert stored is not None
    assert stored["start"]["timeZone"] == google_family.hass.config.time_zone
    assert stored["recurrence"] == ["RRULE:FREQ=WEEKLY;BYDAY=MO"]


# ------------------------------------------------------------------ update_event


async def test_update_event_changes_only_the_given_fields(family: Family) -> None:
    """A new title and end; description, location and start stay as they were."""
    response = await family.call(
        "update_event",
        member="Anna",
        event_id=DENTIST.id,
        summary="Dentist (check-up)",
        end_date_time="2026-12-02T16:30:00+00:00",
    )

    assert response == {"event_id": DENTIST.id, "calendar_id": family.calendars["anna"]}
    updated = (await family.events("anna"))[DENTIST.id]
    assert updated.summary == "Dentist (check-up)"
    assert (updated.description, updated.location) == (
        "Bring the card",
        "Main Street 1",
    )
    assert updated.start == DENTIST.start
    assert updated.end == AT_3PM + timedelta(hours=1, minutes=30)
    assert "Dentist (check-up)" in await family.titles("ben-combined")


async def test_update_event_can_clear_a_field_and_turn_a_series_into_one_event(
    family: Family,
) -> None:
    """An empty description or rule removes it."""
    created = await family.call(
        "create_event",
        member="Ben",
        summary="Swimming",
        description="Lane 3",
        start_date_time="2026-12-04T17:00:00+00:00",
        end_date_time="2026-12-04T18:00:00+00:00",
        rrule="FREQ=WEEKLY",
    )

    await family.call(
        "update_event",
        member="Ben",
        event_id=created["event_id"],
        description="",
        rrule="",
    )

    updated = (await family.events("ben"))[created["event_id"]]
    assert updated.description == ""
    assert not updated.recurring
    assert updated.summary == "Swimming"


async def test_update_event_renames_the_moved_occurrences_that_kept_the_title(
    any_family: Family,
) -> None:
    """Renaming a series renames its moved occurrence; one with a title of its own keeps it.

    Both keep their times, and the copies show the same (issue 10).
    """
    family = any_family
    week, hour = timedelta(weeks=1), timedelta(hours=1)
    first = AT_3PM + timedelta(days=1)

    def moved(rid: datetime, summary: str, start: datetime) -> Event:
        return Event(
            id="",
            ical_uid="",
            summary=summary,
            start=start,
            end=start + hour,
            recurrence_id=rid,
        )

    swim = _event(
        "swim",
        "Swim",
        first,
        first + hour,
        rrule="FREQ=WEEKLY;COUNT=4",
        overrides=(
            moved(first + week, "Swim", first + week + 2 * hour),
            moved(first + 2 * week, "Swim gala", first + 2 * week - hour),
        ),
    )
    await family.harness.provider.put_event(family.calendars["ben"], swim)
    await family.entry.runtime_data.coordinator.async_refresh()

    await family.call(
        "update_event", member="Ben", event_id=swim.id, summary="Swimming"
    )

    expected = [
        ("Swimming", first + week + 2 * hour),
        ("Swim gala", first + 2 * week - hour),
    ]
    own = (await family.events("ben"))[swim.id]
    assert own.summary == "Swimming"
    assert [(o.summary, o.start) for o in own.overrides] == expected
    (copy,) = [
        event
        for event in (await family.events("anna-combined")).values()
        if event.recurring
    ]
    assert copy.summary == "Swimming"
    assert [(o.summary, o.start) for o in copy.overrides] == expected


# ------------------------------------------------------------------ delete_event


async def test_delete_event_removes_it_and_its_copies_and_is_idempotent(
    family: Family,
) -> None:
    """The original goes, sync takes its copy away, and a second delete is fine."""
    assert "Dentist" in await family.titles("ben-combined")

    first = await family.call("delete_event", member="Anna", event_id=DENTIST.id)
    assert first == {
        "event_id": DENTIST.id,
        "calendar_id": family.calendars["anna"],
        "deleted": True,
    }
    assert DENTIST.id not in await family.events("anna")
    assert "Dentist" not in await family.titles("ben-combined")

    again = await family.call("delete_event", member="Anna", event_id=DENTIST.id)
    assert again["deleted"] is False


# ------------------------------------------------------------------ upsert_event


async def test_upsert_twice_creates_one_event_then_replaces_it(
    any_family: Family,
) -> None:
    """The caller's own id names one event: created once, then replaced."""
    family = any_family
    booking = {
        "member": "Ben",
        "event_id": "booking-42",
        "start_date_time": "2026-12-05T10:00:00+00:00",
        "end_date_time": "2026-12-05T11:00:00+00:00",
    }

    first = await family.call(
        "upsert_event", **booking, summary="Room booked", location="Room 1"
    )
    second = await family.call("upsert_event", **booking, summary="Room booked (2)")

    assert first["created"] is True
    assert second["created"] is False
    assert first["event_id"] == second["event_id"]
    assert EVENT_ID.fullmatch(first["event_id"])
    ben = CalendarRef(account=_account(family), calendar_id=family.calendars["ben"])
    assert first["event_id"] == upsert_event_id("booking-42", ben.key)
    events = await family.events("ben")
    assert sorted(event.summary for event in events.values()) == [
        "Football",
        "Room booked (2)",
    ]
    assert events[first["event_id"]].location == ""

    deleted = await family.call("delete_event", member="Ben", event_id="booking-42")
    assert deleted == {
        "event_id": first["event_id"],
        "calendar_id": family.calendars["ben"],
        "deleted": True,
    }
    assert await family.titles("ben") == ["Football"]


def _account(family: Family) -> str:
    """Return the id of the group's only account."""
    (account,) = family.entry.runtime_data.providers
    return str(account)


# ----------------------------------------------------------------- get_free_busy


async def test_free_busy_merges_a_members_calendars_from_the_synced_state(
    family: Family,
) -> None:
    """Overlapping events of two calendars make one block; free events do not count."""
    requests = family.harness.request_count()

    response = await family.call(
        "get_free_busy",
        start_date_time="2026-12-02T00:00:00+00:00",
        end_date_time="2026-12-05T00:00:00+00:00",
    )

    assert family.harness.request_count() == requests
    zone = dt_util.get_default_time_zone()
    assert response["members"] == {
        "Anna": [{"start": _local(AT_3PM), "end": _local(AT_3PM + timedelta(hours=2))}],
        "Ben": [
            {
                "start": datetime.combine(FOOTBALL.start, time.min, zone).isoformat(),
                "end": datetime.combine(FOOTBALL.end, time.min, zone).isoformat(),
            }
        ],
        "Carol": [],
    }
    assert response["synced_at"] is not None


async def test_free_busy_of_chosen_members_or_calendars(family: Family) -> None:
    """Members by name; calendars narrow each member to those calendars."""
    span = {
        "start_date_time": "2026-12-02T00:00:00+00:00",
        "end_date_time": "2026-12-03T00:00:00+00:00",
    }

    by_member = await family.call("get_free_busy", members=["ben", "Anna"], **span)
    by_calendar = await family.call(
        "get_free_busy", calendars=[family.calendars["anna-work"]], **span
    )

    assert list(by_member["members"]) == ["Ben", "Anna"]
    assert by_calendar["members"] == {
        "Anna": [
            {
                "start": _local(AT_3PM + timedelta(minutes=30)),
                "end": _local(AT_3PM + timedelta(hours=2)),
            }
        ]
    }


# --------------------------------------------------------- remove_managed_copies


async def test_remove_managed_copies_dry_run_lists_and_the_real_run_removes_only_copies(
    family: Family,
) -> None:
    """Copies in every calendar of the group go; originals and foreign events stay."""
    lunch = _event("lunch", "Lunch", AT_3PM, AT_3PM + timedelta(hours=1))
    await family.harness.provider.put_event(family.calendars["ben-combined"], lunch)
    before = await family.everything()
    assert sorted(e.summary for e in before["ben-combined"].values()) == [
        "Dentist",
        "Gym",
        "Lunch",
        "Review",
    ]

    dry = await family.call("remove_managed_copies", dry_run=True)

    assert dry["dry_run"] is True
    assert dry["total"] == 5  # Dentist, Gym, Review to Ben; Football to Anna; leftover
    counts = {item["calendar_id"]: item["count"] for item in dry["calendars"]}
    assert counts == {
        family.calendars["anna"]: 0,
        family.calendars["anna-work"]: 1,
        family.calendars["anna-combined"]: 1,
        family.calendars["ben"]: 0,
        family.calendars["ben-combined"]: 3,
        family.calendars["carol"]: 0,
    }
    assert await family.everything() == before

    real = await family.call("remove_managed_copies")

    assert real["dry_run"] is False
    assert real["total"] == 5
    assert real["errors"] == {}
    assert await family.titles("ben-combined") == ["Lunch"]
    assert await family.titles("anna-combined") == []
    assert await family.titles("anna") == ["Dentist", "Gym"]
    assert await family.titles("anna-work") == ["Review"]
    assert await family.titles("ben") == ["Football"]

    # The next cycle leaves them away; a resync that restores hidden copies brings them back.
    await family.entry.runtime_data.coordinator.async_refresh()
    assert await family.titles("ben-combined") == ["Lunch"]
    await family.call("resync", restore_hidden=True)
    assert await family.titles("ben-combined") == ["Dentist", "Gym", "Lunch", "Review"]
    assert await family.titles("anna-combined") == ["Football"]


async def test_remove_managed_copies_of_one_member_or_one_calendar(
    family: Family, hass_read_only_user: MockUser
) -> None:
    """A member scopes the removal to their calendars, a calendar to itself.

    Only administrators (and automations) may remove copies.
    """
    with pytest.raises(Unauthorized):
        await family.hass.services.async_call(
            DOMAIN,
            "remove_managed_copies",
            {"config_entry_id": family.entry.entry_id, "member": "Ben"},
            blocking=True,
            return_response=True,
            context=Context(user_id=hass_read_only_user.id),
        )
    assert await family.titles("ben-combined") == ["Dentist", "Gym", "Review"]

    ben = await family.call("remove_managed_copies", member="Ben")
    assert ben["total"] == 3
    assert await family.titles("ben-combined") == []
    assert await family.titles("anna-combined") == ["Football"]

    work = await family.call(
        "remove_managed_copies", calendar=family.calendars["anna-work"]
    )
    assert [item["calendar_id"] for item in work["calendars"]] == [
        family.calendars["anna-work"]
    ]
    assert work["calendars"][0]["events"] == [
        {
            "event_id": LEFTOVER.id,
            "summary": LEFTOVER.summary,
            "start": LEFTOVER.start.isoformat(),
        }
    ]
    assert await family.titles("anna-combined") == ["Football"]


# ------------------------------------------------------------- failing servers


async def test_a_failing_server_is_reported_and_nothing_is_removed(
    google_family: Family,
) -> None:
    """A calendar that fails is named in the error; no copy goes while one cannot be listed."""
    harness = google_family.harness
    assert isinstance(harness, GoogleHarness)
    before = await google_family.everything()

    harness.fail_next(1, 503)
    with pytest.raises(HomeAssistantError) as create:
        await google_family.call("create_event", member="Anna", summary="x", **TIMES)
    harness.fail_next(1, 503)
    with pytest.raises(HomeAssistantError) as remove:
        await google_family.call("remove_managed_copies")

    assert create.value.translation_key == "calendar_failed"
    assert remove.value.translation_key == "calendar_failed"
    assert "503" in str(remove.value)
    assert await google_family.everything() == before


# ---------------------------------------------------------------------- bad data


REFUSALS: list[tuple[str, str, dict[str, Any], str]] = [
    # (case, action, data, translation key of the refusal); calendars by name
    (
        "create-end-before-start",
        "create_event",
        {
            "member": "Anna",
            "summary": "x",
            **TIMES,
            "end_date_time": "2026-12-06T09:00:00+00:00",
        },
        "end_not_after_start",
    ),
    (
        "create-end-equals-start",
        "create_event",
        {
            "member": "Anna",
            "summary": "x",
            **TIMES,
            "end_date_time": TIMES["start_date_time"],
        },
        "end_not_after_start",
    ),
    (
        "create-all-day-end-not-exclusive",
        "create_event",
        {
            "member": "Anna",
            "summary": "x",
            "start_date": "2026-12-06",
            "end_date": "2026-12-06",
        },
        "end_not_after_start",
    ),
    (
        "create-date-and-datetime",
        "create_event",
        {
            "member": "Anna",
            "summary": "x",
            "start_date": "2026-12-06",
            "end_date_time": TIMES["end_date_time"],
        },
        "mixed_date_types",
    ),
    (
        "create-two-starts",
        "create_event",
        {"member": "Anna", "summary": "x", **TIMES, "start_date": "2026-12-06"},
        "mixed_date_types",
    ),
    (
        "create-no-end",
        "create_event",
        {"member": "Anna", "summary": "x", "start_date": "2026-12-06"},
        "missing_time",
    ),
    (
        "create-neither-member-nor-calendar",
        "create_event",
        {"summary": "x", **TIMES},
        "member_or_calendar_needed",
    ),
    (
        "create-title-too-long",
        "create_event",
        {"member": "Anna", "summary": "x" * 1_001, **TIMES},
        "summary_too_long",
    ),
    (
        "create-description-too-long",
        "create_event",
        {"member": "Anna", "summary": "x", "description": "x" * 8_001, **TIMES},
        "description_too_long",
    ),
    (
        "update-location-too-long",
        "update_event",
        {"member": "Anna", "event_id": DENTIST.id, "location": "x" * 1_001},
        "location_too_long",
    ),
    (
        "update-rrule-too-long",
        "update_event",
        {
            "member": "Anna",
            "event_id": DENTIST.id,
            "rrule": "FREQ=DAILY;" + "BYDAY=MO;" * 111,
        },
        "rrule_too_long",
    ),
    (
        "upsert-own-id-too-long",
        "upsert_event",
        {"member": "Ben", "event_id": "b" * 1_001, "summary": "x", **TIMES},
        "event_id_too_long",
    ),
    (
        "delete-id-too-long",
        "delete_event",
        {"member": "Ben", "event_id": "b" * 1_001},
        "event_id_too_long",
    ),
    (
        "create-unknown-member",
        "create_event",
        {"member": "Dora", "summary": "x", **TIMES},
        "member_not_found",
    ),
    (
        "create-in-a-combined-calendar",
        "create_event",
        {"member": "Anna", "calendar": "anna-combined", "summary": "x", **TIMES},
        "not_a_source_calendar",
    ),
    (
        "create-unknown-calendar",
        "create_event",
        {"member": "Anna", "calendar": "nowhere", "summary": "x", **TIMES},
        "not_a_source_calendar",
    ),
    (
        "create-read-only",
        "create_event",
        {"member": "Carol", "summary": "x", **TIMES},
        "read_only_calendar",
    ),
    (
        "rrule-unknown-frequency",
        "create_event",
        {"member": "Anna", "summary": "x", **TIMES, "rrule": "FREQ=SOMETIMES"},
        "invalid_rrule",
    ),
    (
        "rrule-without-frequency",
        "create_event",
        {"member": "Anna", "summary": "x", **TIMES, "rrule": "BYDAY=MO"},
        "invalid_rrule",
    ),
    (
        "rrule-more-than-daily",
        "create_event",
        {"member": "Anna", "summary": "x", **TIMES, "rrule": "FREQ=HOURLY"},
        "invalid_rrule",
    ),
    (
        "rrule-bad-count",
        "create_event",
        {
            "member": "Anna",
            "summary": "x",
            **TIMES,
            "rrule": "FREQ=WEEKLY;COUNT=many",
        },
        "invalid_rrule",
    ),
    (
        "update-missing-event",
        "update_event",
        {"member": "Anna", "event_id": "no-such-event", "summary": "x"},
        "event_not_found",
    ),
    (
        "update-managed-copy",
        "update_event",
        {
            "member": "Anna",
            "calendar": "anna-work",
            "event_id": LEFTOVER.id,
            "summary": "x",
        },
        "managed_copy",
    ),
    (
        "update-end-before-kept-start",
        "update_event",
        {
            "member": "Anna",
            "event_id": DENTIST.id,
            "end_date_time": "2026-12-02T14:00:00+00:00",
        },
        "end_not_after_start",
    ),
    (
        "update-date-end-on-timed-event",
        "update_event",
        {"member": "Anna", "event_id": DENTIST.id, "end_date": "2026-12-03"},
        "mixed_date_types",
    ),
    (
        "delete-managed-copy",
        "delete_event",
        {"member": "Anna", "calendar": "anna-work", "event_id": LEFTOVER.id},
        "managed_copy",
    ),
    (
        "delete-read-only",
        "delete_event",
        {"member": "Carol", "event_id": "anything"},
        "read_only_calendar",
    ),
    (
        "upsert-bad-until",
        "upsert_event",
        {
            "member": "Ben",
            "event_id": "booking-1",
            "summary": "x",
            "rrule": "FREQ=DAILY;UNTIL=soon",
            **TIMES,
        },
        "invalid_rrule",
    ),
    (
        "free-busy-over-62-days",
        "get_free_busy",
        {
            "start_date_time": "2026-12-02T00:00:00+00:00",
            "end_date_time": "2027-02-03T00:00:00+00:00",
        },
        "span_too_long",
    ),
    (
        "free-busy-end-before-start",
        "get_free_busy",
        {
            "start_date_time": "2026-12-02T00:00:00+00:00",
            "end_date_time": "2026-12-01T00:00:00+00:00",
        },
        "end_not_after_start",
    ),
    (
        "free-busy-unknown-member",
        "get_free_busy",
        {"members": ["Dora"], **TIMES},
        "member_not_found",
    ),
    (
        "free-busy-not-a-source",
        "get_free_busy",
        {"calendars": ["anna-combined"], **TIMES},
        "not_a_source_calendar",
    ),
    (
        "remove-unknown-calendar",
        "remove_managed_copies",
        {"calendar": "nowhere"},
        "calendar_not_in_group",
    ),
    (
        "remove-calendar-of-another-member",
        "remove_managed_copies",
        {"member": "Ben", "calendar": "anna-combined"},
        "calendar_not_in_group",
    ),
    (
        "remove-unknown-member",
        "remove_managed_copies",
        {"member": "Dora", "dry_run": True},
        "member_not_found",
    ),
]


async def test_bad_data_is_refused_with_a_translated_error_and_nothing_is_written(
    family: Family,
) -> None:
    """Each refusal names its reason and leaves every calendar as it was."""
    before = await family.everything()
    writes = family.writes()

    for case, service, data, key in REFUSALS:
        named = {
            name: family.calendars.get(value, value) if name == "calendar" else value
            for name, value in data.items()
        }
        if "calendars" in named:
            named["calendars"] = [family.calendars.get(c, c) for c in data["calendars"]]
        with pytest.raises(ServiceValidationError) as refused:
            await family.call(service, **named)
        _assert_translated(refused.value, key, case)
        assert family.writes() == writes, case

    assert await family.everything() == before


def _assert_translated(error: HomeAssistantError, key: str, case: str) -> None:
    """Check that an error is ours, has the key, and reads as a filled-in sentence."""
    assert error.translation_domain == DOMAIN, case
    assert error.translation_key == key, case
    message = str(error)
    assert message != key, case
    assert "{" not in message, f"{case}: {message}"


async def test_text_at_its_limit_is_written_whole(family: Family) -> None:
    """A title of exactly 1,000 characters and a description of 8,000 are fine."""
    title, text = "T" * TEXT_LIMITS["summary"], "D" * TEXT_LIMITS["description"]

    created = await family.call(
        "create_event", member="Anna", summary=title, description=text, **TIMES
    )

    stored = (await family.events("anna"))[created["event_id"]]
    assert (stored.summary, stored.description) == (title, text)


# ----------------------------------------------------------- times as HA takes them


ZONE_FREE_TIMES: dict[str, tuple[dict[str, Any], tuple[Any, Any]]] = {
    # (the call's fields, the start and end the calendar then holds)
    "naive": (
        {
            "start_date_time": "2026-12-06 10:00:00",
            "end_date_time": "2026-12-06 11:30:00",
        },
        (datetime(2026, 12, 6, 10), datetime(2026, 12, 6, 11, 30)),
    ),
    "aware": (
        {
            "start_date_time": "2026-12-06T10:00:00+01:00",
            "end_date_time": "2026-12-06T11:30:00+01:00",
        },
        (
            datetime(2026, 12, 6, 9, tzinfo=UTC),
            datetime(2026, 12, 6, 10, 30, tzinfo=UTC),
        ),
    ),
    "date": (
        {"start_date": "2026-12-06", "end_date": "2026-12-08"},
        (date(2026, 12, 6), date(2026, 12, 8)),
    ),
}
"""A naive time is in HA's zone (set to US/Pacific by the harness), an aware one is
the moment its offset says, dates make an all-day event: as `calendar.create_event`."""


def _in_zone(value: Any) -> Any:
    """Return an expected time in HA's zone when it is naive; anything else as is."""
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=dt_util.get_default_time_zone())
    return value


@pytest.mark.parametrize("action", ["create_event", "update_event", "upsert_event"])
async def test_every_event_action_takes_naive_aware_and_date_times(
    any_family: Family, action: str
) -> None:
    """Each way of giving a time gives the event Home Assistant's own action would."""
    family = any_family
    for kind, (times, expected) in ZONE_FREE_TIMES.items():
        call: dict[str, Any] = {"member": "Anna", "summary": f"{action} {kind}"}
        if action == "update_event":
            call["event_id"] = DENTIST.id
        elif action == "upsert_event":
            call["event_id"] = f"booking-{kind}"

        response = await family.call(action, **call, **times)

        stored = (await family.events("anna"))[response["event_id"]]
        start, end = (_in_zone(value) for value in expected)
        assert (stored.summary, stored.start, stored.end) == (
            call["summary"],
            start,
            end,
        ), kind
        assert type(stored.start) is type(start), kind


async def test_free_busy_takes_naive_aware_and_date_bounds(family: Family) -> None:
    """A naive bound is in HA's zone, an aware one keeps its moment, a date is its midnight."""
    zone = dt_util.get_default_time_zone()
    start = datetime(2026, 12, 2, tzinfo=zone)
    end = datetime(2026, 12, 4, tzinfo=zone)
    bounds = {
        "naive": ("2026-12-02 00:00:00", "2026-12-04 00:00:00"),
        "aware": ("2026-12-02T09:00:00+01:00", "2026-12-04T08:00:00Z"),
        "date as text": ("2026-12-02", "2026-12-04"),
        "date": (date(2026, 12, 2), date(2026, 12, 4)),
    }
    assert start.utcoffset() == timedelta(hours=-8), "US/Pacific in December"

    for kind, (first, last) in bounds.items():
        response = await family.call(
            "get_free_busy", members=["Anna"], start_date_time=first, end_date_time=last
        )

        assert (response["start"], response["end"]) == (
            start.isoformat(),
            end.isoformat(),
        ), kind
        assert response["members"] == {
            "Anna": [
                {"start": _local(AT_3PM), "end": _local(AT_3PM + timedelta(hours=2))}
            ]
        }, kind


# ------------------------------------------------------- members and calendars picked


async def test_members_are_picked_as_devices_and_calendars_as_entities(
    family: Family,
) -> None:
    """A device or a calendar entity names its member and its group at once."""
    copies = await family.call_unnamed(
        "remove_managed_copies",
        calendar=family.entity("ben-combined"),
        dry_run=True,
    )
    assert [item["calendar_id"] for item in copies["calendars"]] == [
        family.calendars["ben-combined"]
    ]
    assert copies["total"] == 3

    by_device = await family.call_unnamed(
        "create_event",
        member=family.device("Anna"),
        summary="Piano",
        **TIMES,
    )
    by_entity = await family.call_unnamed(
        "create_event",
        calendar=family.entity("anna-work"),
        summary="Budget",
        **TIMES,
    )
    both = await family.call(
        "update_event",
        member=family.device("Anna"),
        calendar=family.entity("anna-work"),
        event_id=by_entity["event_id"],
        summary="Budget (final)",
    )

    assert by_device["calendar_id"] == family.calendars["anna"]
    assert (
        by_entity["calendar_id"] == both["calendar_id"] == family.calendars["anna-work"]
    )
    assert "Piano" in await family.titles("anna")
    assert "Budget (final)" in await family.titles("anna-work")

    span = {
        "start_date_time": "2026-12-02 00:00:00",
        "end_date_time": "2026-12-03 00:00:00",
    }
    by_devices = await family.call_unnamed(
        "get_free_busy", members=[family.device("Ben")], **span
    )
    # Names and member entry ids work too; the only group is the group.
    by_id = await family.call_unnamed(
        "get_free_busy", members=[family.member_id("Ben")], **span
    )
    by_name = await family.call_unnamed(
        "create_event", member="ben", summary="Swim", **TIMES
    )
    assert by_name["calendar_id"] == family.calendars["ben"]
    assert by_id["members"] == by_devices["members"]
    by_entities = await family.call_unnamed(
        "get_free_busy", calendars=[family.entity("anna-work")], **span
    )
    assert list(by_devices["members"]) == ["Ben"]
    assert by_entities["members"] == {
        "Anna": [
            {
                "start": _local(AT_3PM + timedelta(minutes=30)),
                "end": _local(AT_3PM + timedelta(hours=2)),
            }
        ]
    }


async def test_a_device_or_calendar_that_does_not_fit_is_refused(
    family: Family,
) -> None:
    """Each picked device or calendar that cannot be used is refused by name.

    The group's own device, another integration's device, a calendar that is not
    a source, a read-only one, someone else's: nothing is written.
    """
    other = MockConfigEntry(domain="demo", title="Elsewhere")
    other.add_to_hass(family.hass)
    foreign = dr.async_get(family.hass).async_get_or_create(
        config_entry_id=other.entry_id, identifiers={("demo", "lamp")}, name="Lamp"
    )
    busy_sensor = next(
        entity.entity_id
        for entity in er.async_entries_for_config_entry(
            er.async_get(family.hass), family.entry.entry_id
        )
        if entity.domain == "binary_sensor"
    )
    before = await family.everything()
    writes = family.writes()
    cases: list[tuple[str, str, dict[str, Any], str]] = [
        (
            "group-device-as-member",
            "create_event",
            {"member": family.device(None), "summary": "x", **TIMES},
            "device_not_a_member",
        ),
        (
            "device-of-another-integration",
            "create_event",
            {"member": foreign.id, "summary": "x", **TIMES},
            "device_not_in_group",
        ),
        (
            "entity-that-is-no-calendar",
            "create_event",
            {"calendar": busy_sensor, "summary": "x", **TIMES},
            "calendar_not_in_group",
        ),
        (
            "combined-calendar-entity",
            "create_event",
            {"calendar": family.entity("anna-combined"), "summary": "x", **TIMES},
            "not_a_source_calendar",
        ),
        (
            "everyone-calendar-entity",
            "upsert_event",
            {
                "calendar": family.entity("everyone"),
                "event_id": "b-1",
                "summary": "x",
                **TIMES,
            },
            "not_a_source_calendar",
        ),
        (
            "calendar-of-another-member",
            "create_event",
            {
                "member": family.device("Anna"),
                "calendar": family.entity("ben"),
                "summary": "x",
                **TIMES,
            },
            "calendar_of_another_member",
        ),
        (
            "read-only-calendar-entity",
            "create_event",
            {"calendar": family.entity("carol"), "summary": "x", **TIMES},
            "read_only_calendar",
        ),
        (
            "combined-calendar-for-free-busy",
            "get_free_busy",
            {"calendars": [family.entity("ben-combined")], **TIMES},
            "not_a_source_calendar",
        ),
        (
            "everyone-calendar-for-removal",
            "remove_managed_copies",
            {"calendar": family.entity("everyone")},
            "calendar_not_in_group",
        ),
    ]

    for case, service, data, key in cases:
        with pytest.raises(ServiceValidationError) as refused:
            await family.call(service, **data)
        _assert_translated(refused.value, key, case)
        assert family.writes() == writes, case

    assert await family.everything() == before


async def test_unknown_or_unloaded_groups_are_refused(family: Family) -> None:
    """Home Assistant's own checks name the group that cannot be used."""
    hass = family.hass
    with pytest.raises(ServiceValidationError) as unknown:
        await hass.services.async_call(
            DOMAIN,
            "get_free_busy",
            {"config_entry_id": "nope", **TIMES},
            blocking=True,
            return_response=True,
        )
    assert unknown.value.translation_key == "service_config_entry_not_found"

    assert await hass.config_entries.async_unload(family.entry.entry_id)
    with pytest.raises(ServiceValidationError) as unloaded:
        await family.call("create_event", member="Anna", summary="x", **TIMES)
    assert unloaded.value.translation_key == "service_config_entry_not_loaded"


# ------------------------------------------------------------------ descriptions


PACKAGE = Path(services.__file__).parent


def _read(name: str) -> str:
    return (PACKAGE / name).read_text(encoding="utf-8")


async def test_every_action_is_described_translated_and_has_an_icon(
    hass: HomeAssistant,
) -> None:
    """services.yaml, strings.json, icons.json and the schemas name the same fields."""
    assert await async_setup_component(hass, DOMAIN, {})
    described = load_yaml_dict(str(PACKAGE / "services.yaml"))
    strings = json.loads(_read("strings.json"))
    icons = json.loads(_read("icons.json"))
    registered = hass.services.async_services_for_domain(DOMAIN)

    assert set(described) == set(registered) == set(strings["services"])
    assert set(icons["services"]) == set(registered)
    for name, service in registered.items():
        assert isinstance(service.schema, probatio.Schema)
        keys = {str(key): key for key in service.schema.schema}
        fields = described[name]["fields"]
        translated = strings["services"][name]["fields"]
        assert set(fields) == set(keys) == set(translated), name
        for field, key in keys.items():
            required = isinstance(key, probatio.Required)
            assert fields[field].get("required", False) == required, (name, field)
            assert "selector" in fields[field], (name, field)
    raised = {
        key
        for module in (
            "services.py",
            "targets.py",
            "event_fields.py",
            "helpers.py",
            "room_actions.py",
            "room_clearing.py",
            "room_booking.py",
            "schedule_actions.py",
        )
        for key in re.findall(r'(?:refused|failed)\(\s*"(\w+)"', _read(module))
    }
    raised |= {f"{field}_too_long" for field in (*TEXT_LIMITS, "event_id")}
    assert raised <= set(strings["exceptions"])
    for name, service in strings["services"].items():
        for field, text in service["fields"].items():
            assert text["name"] and text["description"], (name, field)
    assert json.loads(_read("translations/en.json")) == strings


def _selector(field: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Return a field's selector type and its settings."""
    ((kind, config),) = field["selector"].items()
    return kind, config or {}


async def test_the_action_editor_picks_groups_members_calendars_and_times(
    hass: HomeAssistant,
) -> None:
    """Pickers for groups, members' devices, calendar entities, dates and times.

    Every field has an example or a default, and Home Assistant accepts every
    selector and reads every field of services.yaml.
    """
    described = load_yaml_dict(str(PACKAGE / "services.yaml"))
    writable = ["calendar.CalendarEntityFeature.CREATE_EVENT"]

    for name, action in described.items():
        for field, spec in action["fields"].items():
            where = (name, field)
            selector.validate_selector(spec["selector"])
            assert "example" in spec or "default" in spec, where
            kind, config = _selector(spec)
            if field == "config_entry_id":
                assert (kind, config) == ("config_entry", {"integration": DOMAIN})
            elif field in ("member", "members"):
                assert kind == "device", where
                assert config["filter"] == [{"integration": DOMAIN}], where
                assert config.get("multiple", False) == (field == "members"), where
                assert config["entity"], "only members' devices, not the group's"
            elif field in ("calendar", "calendars"):
                assert kind == "entity", where
                (wanted,) = config["filter"]
                assert (wanted["integration"], wanted["domain"]) == (DOMAIN, "calendar")
                assert config.get("multiple", False) == (field == "calendars"), where
            elif field.endswith("_date_time"):
                assert kind == "datetime", where
            elif field in ("start_date", "end_date"):
                assert kind == "date", where
    for name in ("create_event", "update_event", "delete_event", "upsert_event"):
        fields = described[name]["fields"]
        assert (
            _selector(fields["calendar"])[1]["filter"][0]["supported_features"]
            == writable
        ), "only calendars the group may write to"
        assert (
            _selector(fields["member"])[1]["entity"][0]["supported_features"]
            == writable
        ), "only members with such a calendar"

    assert await async_setup_component(hass, DOMAIN, {})
    descriptions = (await async_get_all_descriptions(hass))[DOMAIN]
    assert {name: set(d["fields"]) for name, d in descriptions.items()} == {
        name: set(action["fields"]) for name, action in described.items()
    }
