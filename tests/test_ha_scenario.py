"""Local Calendars with Google and CalDAV: a family that mixes all three.

Real parts: Home Assistant's Local Calendar, the fake Google API with the real
gcal-sync client, and Radicale on loopback.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from homeassistant.components.calendar import CalendarEntity
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util

from custom_components.shared_calendars.coordinator import SharedCalendarsCoordinator
from custom_components.shared_calendars.engine.ids import copy_id
from custom_components.shared_calendars.engine.model import Event

from .group import caldav_account, google_account, group_entry, member
from .ha_calendars import HA_ACCOUNT, ha_account, local_calendar, tomorrow_at
from .providers.caldav_harness import CalDavHarness
from .providers.google_harness import GoogleHarness

type Occurrences = list[tuple[str, datetime]]


async def occurrences(hass: HomeAssistant, entity: CalendarEntity) -> Occurrences:
    """Return a Local Calendar's occurrences of the next weeks: title and start."""
    now = dt_util.now()
    events = await entity.async_get_events(
        hass, now - timedelta(days=1), now + timedelta(days=40)
    )
    return sorted(
        (event.summary, dt_util.as_utc(event.start_datetime_local)) for event in events
    )


def series(summary: str, first: datetime, step: timedelta, count: int) -> Occurrences:
    """Return a series' occurrences as `occurrences` gives them."""
    return [(summary, dt_util.as_utc(first + step * n)) for n in range(count)]


def original(name: str, summary: str, start: datetime, **fields: object) -> Event:
    """Return a member's own event, as their calendar app would write it."""
    event_id = copy_id("original", name)
    return Event(
        id=event_id,
        ical_uid=f"{event_id}@example.com",
        summary=summary,
        start=start,
        end=start + timedelta(hours=1),
        **fields,  # type: ignore[arg-type]
    )


async def _assert_quiet(coordinator: SharedCalendarsCoordinator) -> None:
    await coordinator.async_refresh()
    report = coordinator.data
    assert (report.created, report.updated, report.deleted) == (0, 0, 0)


async def _local_uid(
    hass: HomeAssistant, entity: CalendarEntity, summary: str
) -> tuple[str, list[str | None]]:
    """Return the uid of an event and the recurrence ids of its occurrences."""
    now = dt_util.now()
    found = [
        event
        for event in await entity.async_get_events(hass, now, now + timedelta(days=40))
        if event.summary == summary
    ]
    uid = found[0].uid
    assert uid is not None
    return uid, [event.recurrence_id for event in found]


async def test_local_calendar_to_google_and_back(
    hass: HomeAssistant, google_harness: GoogleHarness
) -> None:
    """A Local Calendar source reaches a Google combined calendar, and Google's reach it."""
    anna = await local_calendar(hass, "Anna")
    anna_all = await local_calendar(hass, "Anna all")
    ben = await google_harness.new_calendar("ben")
    ben_all = await google_harness.new_calendar("ben-all")
    google = google_account(google_harness)
    google_id = google["unique_id"]
    assert google_id is not None
    start = tomorrow_at(9)
    await anna.async_create_event(
        summary="Dentist", dtstart=start, dtend=start + timedelta(hours=1)
    )
    football = original("ben", "Football", start + timedelta(hours=3))
    await google_harness.provider.put_event(ben, football)
    entry = group_entry(
        ha_account(),
        google,
        member(
            "Anna",
            sources=[(HA_ACCOUNT, anna.entity_id)],
            combined=(HA_ACCOUNT, anna_all.entity_id),
        ),
        member("Ben", sources=[(google_id, ben)], combined=(google_id, ben_all)),
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    coordinator: SharedCalendarsCoordinator = entry.runtime_data.coordinator

    async def google_copies() -> list[tuple[str, object]]:
        listing = await google_harness.provider.changes(ben_all, None)
        return sorted((event.summary, event.start) for event in listing.changed)

    assert await google_copies() == [("Dentist", start)]
    assert await occurrences(hass, anna_all) == [
        ("Football", dt_util.as_utc(start + timedelta(hours=3)))
    ]
    await _assert_quiet(coordinator)

    uid, _ = await _local_uid(hass, anna, "Dentist")
    later = start + timedelta(hours=1)
    await anna.async_update_event(
        uid,
        {
            "summary": "Dentist (moved)",
            "dtstart": later,
            "dtend": later + timedelta(hours=1),
        },
    )
    await google_harness.provider.put_event(
        ben, original("ben", "Football (cup)", start + timedelta(hours=3)), football
    )
    await coordinator.async_refresh()
    assert await google_copies() == [("Dentist (moved)", later)]
    assert await occurrences(hass, anna_all) == [
        ("Football (cup)", dt_util.as_utc(start + timedelta(hours=3)))
    ]
    await _assert_quiet(coordinator)

    await anna.async_delete_event(uid)
    await google_harness.provider.delete_event(ben, football.id)
    await coordinator.async_refresh()
    assert await google_copies() == []
    assert await occurrences(hass, anna_all) == []
    await _assert_quiet(coordinator)


async def test_family_of_local_google_and_caldav_sources(
    hass: HomeAssistant, google_harness: GoogleHarness, caldav_harness: CalDavHarness
) -> None:
    """Three sources of three kinds, three Local Calendar combined calendars."""
    anna = await local_calendar(hass, "Anna")
    combined = {
        name: await local_calendar(hass, f"{name} all")
        for name in ("Anna", "Ben", "Carl")
    }
    ben = await google_harness.new_calendar("ben")
    carl = await caldav_harness.new_calendar("carl")
    google, caldav = google_account(google_harness), caldav_account(caldav_harness)
    google_id, caldav_id = google["unique_id"], caldav["unique_id"]
    assert google_id is not None and caldav_id is not None

    start = tomorrow_at(8)
    day, week = timedelta(days=1), timedelta(days=7)
    await anna.async_create_event(
        summary="Dentist", dtstart=start, dtend=start + timedelta(hours=1)
    )
    swim_at = start + timedelta(hours=7)
    await anna.async_create_event(
        summary="Swimming",
        dtstart=swim_at,
        dtend=swim_at + timedelta(hours=1),
        rrule="FREQ=WEEKLY;COUNT=3",
    )
    football = original("ben", "Football", start + timedelta(hours=3))
    await google_harness.provider.put_event(ben, football)
    choir_at = start + timedelta(hours=10)
    choir = original("carl", "Choir", choir_at, rrule="FREQ=DAILY;COUNT=3")
    await caldav_harness.provider.put_event(carl, choir)

    entry = group_entry(
        ha_account(),
        google,
        caldav,
        member(
            "Anna",
            sources=[(HA_ACCOUNT, anna.entity_id)],
            combined=(HA_ACCOUNT, combined["Anna"].entity_id),
        ),
        member(
            "Ben",
            sources=[(google_id, ben)],
            combined=(HA_ACCOUNT, combined["Ben"].entity_id),
        ),
        member(
            "Carl",
            sources=[(caldav_id, carl)],
            combined=(HA_ACCOUNT, combined["Carl"].entity_id),
        ),
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    coordinator: SharedCalendarsCoordinator = entry.runtime_data.coordinator

    async def assert_family(shared: dict[str, Occurrences]) -> None:
        """Each combined calendar holds the others' occurrences, one by one."""
        for name, calendar in combined.items():
            expected = sorted(
                item
                for other, items in shared.items()
                if other != name
                for item in items
            )
            assert await occurrences(hass, calendar) == expected, name

    await assert_family(
        {
            "Anna": [
                ("Dentist", dt_util.as_utc(start)),
                *series("Swimming", swim_at, week, 3),
            ],
            "Ben": [("Football", dt_util.as_utc(start + timedelta(hours=3)))],
            "Carl": series("Choir", choir_at, day, 3),
        }
    )
    await _assert_quiet(coordinator)

    # Anna moves her dentist and skips one swim; Ben drops football; Carl's
    # choir loses its second evening and its third moves an hour later.
    dentist_uid, _ = await _local_uid(hass, anna, "Dentist")
    moved = start + timedelta(hours=1)
    await anna.async_update_event(
        dentist_uid,
        {
            "summary": "Dentist (moved)",
            "dtstart": moved,
            "dtend": moved + timedelta(hours=1),
        },
    )
    swim_uid, swim_ids = await _local_uid(hass, anna, "Swimming")
    await anna.async_delete_event(swim_uid, recurrence_id=swim_ids[1])
    await google_harness.provider.delete_event(ben, football.id)
    late = choir_at + 2 * day + timedelta(hours=1)
    changed_choir = Event(
        **{
            **{name: getattr(choir, name) for name in ("id", "ical_uid", "summary")},
            "start": choir.start,
            "end": choir.end,
            "rrule": choir.rrule,
            "exdate": (choir_at + day,),
            "overrides": (
                Event(
                    id=choir.id,
                    ical_uid=choir.ical_uid,
                    summary="Choir (late)",
                    start=late,
                    end=late + timedelta(hours=1),
                    recurrence_id=choir_at + 2 * day,
                ),
            ),
        }
    )
    await caldav_harness.provider.put_event(carl, changed_choir, choir)
    await coordinator.async_refresh()
    await assert_family(
        {
            "Anna": [
                ("Dentist (moved)", dt_util.as_utc(moved)),
                *series("Swimming", swim_at, 2 * week, 2),
            ],
            "Ben": [],
            "Carl": [
                ("Choir", dt_util.as_utc(choir_at)),
                ("Choir (late)", dt_util.as_utc(late)),
            ],
        }
    )
    await _assert_quiet(coordinator)
