"""Two-way sync against real servers: members' edits of copies reach the originals.

Each scenario runs on the fake Google API and on Radicale: Anna's event is
copied to Ben and Cleo, Ben edits or deletes his copy in his calendar app, and
the cycle carries that to Anna's original and on to Cleo's copy.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
import time
from urllib.parse import urlparse

import pytest

from custom_components.shared_calendars.cycle import SyncCycle, SyncReport
from custom_components.shared_calendars.engine.edits import (
    occurrence_of,
    with_occurrence,
)
from custom_components.shared_calendars.engine.model import (
    CalendarRef,
    Event,
    MemberPolicy,
    Privacy,
)
from custom_components.shared_calendars.engine.plan import PlanOptions
from custom_components.shared_calendars.engine.two_way import Conflict

from .caldav_harness import CalDavHarness
from .google_harness import GoogleHarness
from .harness import ProviderHarness
from .test_sync_scenarios import NAMES, START, World

TWO_WAY = PlanOptions(two_way=True)
HOUR = timedelta(hours=1)


@pytest.fixture(params=["google", "caldav"])
def server(request: pytest.FixtureRequest) -> ProviderHarness:
    """Return the harness of every calendar: the fake Google API, or Radicale."""
    harness: ProviderHarness = request.getfixturevalue(f"{request.param}_harness")
    return harness


@pytest.fixture
async def world(server: ProviderHarness) -> World:
    """Anna (whose copies say "Anna: "), Ben and Cleo, all on one kind of server."""
    world = World(source=server, target=server)
    for name in NAMES:
        policy = MemberPolicy(title_prefix="Anna: ") if name == "Anna" else None
        await world.add_member(name, policy)
    return world


async def _run(world: World, options: PlanOptions = TWO_WAY) -> SyncReport:
    async def save() -> None:
        """Keep the state in memory."""

    async def sleep(_: float) -> None:
        """Skip back-off waits."""

    cycle = SyncCycle(
        providers=world.providers,  # type: ignore[arg-type]
        state=world.state,
        save=save,
        sleep=sleep,
    )
    return await cycle.run(world.members, options)


def _combined(world: World, name: str) -> CalendarRef:
    combined = world.member(name).combined
    assert combined is not None
    return combined


async def _copy(world: World, name: str) -> Event:
    (copy,) = await world.combined(name)
    return copy


async def _original(world: World) -> Event:
    (original,) = (await world.own("Anna")).values()
    return original


def _at(world: World, seconds: float) -> datetime:
    """Return a time `seconds` from now, as the server will stamp a write made then.

    The fake Google server stamps `updated` by its clock, moved here; a CalDAV
    client writes LAST-MODIFIED itself, from the event's `updated`.
    """
    if isinstance(world.target, GoogleHarness):
        world.target.server.clock = lambda: time.time() + seconds
    return datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=seconds)


async def _edit_copy(world: World, name: str, **fields: object) -> None:
    """Change a member's copy in their calendar app."""
    copy = await _copy(world, name)
    app = world.target.another_client()
    await app.put_event(_combined(world, name).calendar_id, replace(copy, **fields))  # type: ignore[arg-type]


async def _owner_writes(server: ProviderHarness, calendar_id: str) -> None:
    """Store "Dentist" in a calendar the account may only read, as its owner."""
    if isinstance(server, GoogleHarness):
        server.server.insert_event(
            calendar_id,
            {
                "summary": "Dentist",
                "start": {"dateTime": START.isoformat()},
                "end": {"dateTime": (START + HOUR).isoformat()},
            },
        )
        return
    assert isinstance(server, CalDavHarness)
    ics = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\n"
        f"UID:dentist@example.com\r\nDTSTAMP:20261201T000000Z\r\n"
        f"DTSTART:{START:%Y%m%dT%H%M%SZ}\r\nDTEND:{START + HOUR:%Y%m%dT%H%M%SZ}\r\n"
        "SUMMARY:Dentist\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    path = urlparse(calendar_id).path
    await server.server.put_raw("bob", f"{path}dentist.ics", ics)


async def _quiet(world: World) -> None:
    """Two more cycles write nothing: the edit does not come round again."""
    for _ in range(2):
        report = await _run(world)
        assert (report.created, report.updated, report.deleted) == (0, 0, 0)
        assert (report.written_back, report.requests["put"]) == (0, 0)


async def test_edit_of_a_copy_reaches_the_original_and_every_other_copy(
    world: World,
) -> None:
    """Title (without the "Anna: " the copy adds), time and location go back."""
    await world.write("Anna", "dentist", "Dentist", description="Bring the card")
    await _run(world)

    await _edit_copy(
        world,
        "Ben",
        summary="Anna: Dentist (moved)",
        location="Main street 1",
        start=START + 2 * HOUR,
        end=START + 3 * HOUR,
    )
    report = await _run(world)
    assert report.written_back == 1
    assert (report.created, report.updated, report.deleted) == (0, 1, 0)
    assert report.requests["put"] == 2  # the original, then Cleo's copy

    original = await _original(world)
    assert (original.summary, original.location, original.description) == (
        "Dentist (moved)",
        "Main street 1",
        "Bring the card",
    )
    assert (original.start, original.end) == (START + 2 * HOUR, START + 3 * HOUR)
    assert original.copy_of is None
    for name in ("Ben", "Cleo"):
        copy = await _copy(world, name)
        assert (copy.summary, copy.location, copy.start) == (
            "Anna: Dentist (moved)",
            "Main street 1",
            START + 2 * HOUR,
        )
    await _quiet(world)


async def test_option_off_puts_the_edited_copy_back(world: World) -> None:
    """Without two-way sync the original stays as it is and leads the copy."""
    await world.write("Anna", "dentist", "Dentist")
    await _run(world, PlanOptions())
    await _edit_copy(world, "Ben", summary="Mine now")
    report = await _run(world, PlanOptions())
    assert (report.written_back, report.updated) == (0, 1)
    assert (await _original(world)).summary == "Dentist"
    assert (await _copy(world, "Ben")).summary == "Anna: Dentist"


async def test_busy_only_copy_brings_back_its_time_only(world: World) -> None:
    """A busy copy's title is not the original's: only a new time goes back."""
    world.set_policy("Anna", MemberPolicy(privacy=Privacy.BUSY_ONLY))
    await world.write("Anna", "dentist", "Dentist", location="Clinic")
    await _run(world)
    await _edit_copy(
        world, "Ben", summary="Ben's note", start=START + HOUR, end=START + 2 * HOUR
    )
    report = await _run(world)
    assert report.written_back == 1
    original = await _original(world)
    assert (original.summary, original.location, original.start) == (
        "Dentist",
        "Clinic",
        START + HOUR,
    )
    assert [(c.summary, c.start) for c in await world.combined("Cleo")] == [
        ("Busy", START + HOUR)
    ]
    # The copy says "Busy" again, at the new time.
    assert [(c.summary, c.start) for c in await world.combined("Ben")] == [
        ("Busy", START + HOUR)
    ]
    await _quiet(world)


async def test_conflict_the_later_copy_wins_and_the_original_is_named(
    world: World,
) -> None:
    """Anna and Ben both changed the event: Ben's later edit is kept whole."""
    await world.write("Anna", "dentist", "Dentist")
    await _run(world)
    when = _at(world, 10)
    await world.write("Anna", "dentist", "Dentist at noon", updated=when)
    later = _at(world, 20)
    await _edit_copy(world, "Ben", description="Bring the card", updated=later)

    report = await _run(world)
    assert report.conflicts == [
        Conflict(
            group=report.conflicts[0].group,
            title="Anna: Dentist",
            lost="original",
            lost_title="Dentist at noon",
            lost_start=START,
        )
    ]
    original = await _original(world)
    assert (original.summary, original.description) == ("Dentist", "Bring the card")
    assert (await _copy(world, "Cleo")).description == "Bring the card"
    await _quiet(world)


async def test_conflict_the_later_original_wins_and_the_copy_is_named(
    world: World,
) -> None:
    """Ben edited first, Anna later: Anna's version leads, Ben's edit is named."""
    await world.write("Anna", "dentist", "Dentist")
    await _run(world)
    await _edit_copy(world, "Ben", summary="Anna: Dentist?", updated=_at(world, 10))
    await world.write("Anna", "dentist", "Dentist at noon", updated=_at(world, 20))

    report = await _run(world)
    assert [(c.lost, c.lost_title, c.title) for c in report.conflicts] == [
        ("Ben", "Anna: Dentist?", "Dentist at noon")
    ]
    assert report.written_back == 0
    assert (await _original(world)).summary == "Dentist at noon"
    for name in ("Ben", "Cleo"):
        assert (await _copy(world, name)).summary == "Anna: Dentist at noon"
    await _quiet(world)


async def test_deleting_a_copy_hides_it_unless_deletions_go_back(
    world: World,
) -> None:
    """By default a deleted copy stays away; with the option the original goes too."""
    await world.write("Anna", "dentist", "Dentist")
    await world.write("Anna", "lunch", "Lunch")
    await _run(world)
    ben = _combined(world, "Ben").calendar_id
    copies = {copy.summary: copy for copy in await world.combined("Ben")}
    app = world.target.another_client()

    await app.delete_event(ben, copies["Anna: Lunch"].id)
    report = await _run(world)
    assert (report.written_back, report.deleted) == (0, 0)
    assert len(await world.own("Anna")) == 2

    deleting = PlanOptions(two_way=True, two_way_delete=True)
    await app.delete_event(ben, copies["Anna: Dentist"].id)
    report = await _run(world, deleting)
    assert (report.written_back, report.deleted) == (1, 1)  # Cleo's copy
    assert [e.summary for e in (await world.own("Anna")).values()] == ["Lunch"]
    assert await world.titles("Cleo") == ["Anna: Lunch"]
    report = await _run(world, deleting)
    assert (report.written_back, report.deleted, report.requests["put"]) == (0, 0, 0)


async def test_series_edits_of_one_occurrence_and_of_the_whole_series(
    world: World,
) -> None:
    """One occurrence edited becomes an override; a new series title retitles the series."""
    await world.write("Anna", "swim", "Swimming", rrule="FREQ=WEEKLY;COUNT=4")
    await _run(world)
    week = timedelta(weeks=1)
    copy = await _copy(world, "Ben")
    moved = replace(
        occurrence_of(copy, START + week, UTC),
        summary="Anna: Swim gala",
        start=START + week + HOUR,
        end=START + week + 2 * HOUR,
    )
    app = world.target.another_client()
    await app.put_event(
        _combined(world, "Ben").calendar_id,
        with_occurrence(copy, START + week, moved, UTC),
    )
    report = await _run(world)
    assert report.written_back == 1
    original = await _original(world)
    assert original.summary == "Swimming"
    assert [(o.summary, o.start) for o in original.overrides] == [
        ("Swim gala", START + week + HOUR)
    ]
    cleo = await _copy(world, "Cleo")
    assert [(o.summary, o.start) for o in cleo.overrides] == [
        ("Anna: Swim gala", START + week + HOUR)
    ]
    await _quiet(world)

    await _edit_copy(world, "Cleo", summary="Anna: Swimming club")
    report = await _run(world)
    assert report.written_back == 1
    original = await _original(world)
    assert original.summary == "Swimming club"
    assert original.rrule == "FREQ=WEEKLY;COUNT=4"
    assert [o.summary for o in original.overrides] == ["Swim gala"]
    assert (await _copy(world, "Ben")).summary == "Anna: Swimming club"
    await _quiet(world)


async def test_original_the_account_may_not_write_leads_the_copies(
    world: World,
) -> None:
    """An edit of a copy of a read-only original is undone, and counted."""
    anna = world.member("Anna")
    read_only = await world.source.new_read_only_calendar("Anna's shared calendar")
    world.members = [
        replace(
            member,
            sources=(CalendarRef(account="source", calendar_id=read_only),),
        )
        if member is anna
        else member
        for member in world.members
    ]
    await _owner_writes(world.source, read_only)
    await _run(world)
    await _edit_copy(world, "Ben", summary="Anna: Mine now")
    report = await _run(world)
    assert (report.written_back, report.not_written_back) == (0, 1)
    assert (await _copy(world, "Ben")).summary == "Anna: Dentist"
    await _quiet(world)

    # A deletion that cannot reach the original only hides the copy, once.
    deleting = PlanOptions(two_way=True, two_way_delete=True)
    copy = await _copy(world, "Ben")
    await world.target.another_client().delete_event(
        _combined(world, "Ben").calendar_id, copy.id
    )
    report = await _run(world, deleting)
    assert (report.written_back, report.not_written_back) == (0, 1)
    assert await world.titles("Ben") == []
    assert await world.titles("Cleo") == ["Anna: Dentist"]
    report = await _run(world, deleting)
    assert (report.not_written_back, report.requests["delete"]) == (0, 0)
