"""The merge sync against real servers: Google, CalDAV, and each into the other.

Every scenario runs four times: members' own calendars and combined calendars
both on Google (the fake API), both on CalDAV (Radicale), Google sources into
CalDAV combined calendars, and CalDAV sources into Google combined calendars.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

import pytest

from custom_components.shared_calendars.cycle import SyncCycle, SyncReport
from custom_components.shared_calendars.engine.edits import rescheduled
from custom_components.shared_calendars.engine.ids import copy_id
from custom_components.shared_calendars.engine.model import (
    CalendarRef,
    DateOrDateTime,
    Event,
    EventColor,
    EventStatus,
    Member,
    MemberPolicy,
    Privacy,
)
from custom_components.shared_calendars.engine.occurrences import occurrences
from custom_components.shared_calendars.engine.plan import PlanOptions
from custom_components.shared_calendars.engine.state import SyncState

from .google_harness import GoogleHarness
from .harness import ProviderHarness

START = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)
NAMES = ("Anna", "Ben", "Cleo")


@dataclass(kw_only=True)
class World:
    """Three members: own calendars on one server, combined calendars on another."""

    source: ProviderHarness
    target: ProviderHarness
    members: list[Member] = field(default_factory=list)
    state: SyncState = field(default_factory=SyncState)
    slept: list[float] = field(default_factory=list)
    cycle: SyncCycle | None = None

    @property
    def providers(self) -> dict[str, object]:
        """Return the providers by account id."""
        return {"source": self.source.provider, "target": self.target.provider}

    async def add_member(self, name: str, policy: MemberPolicy | None = None) -> Member:
        """Create a member with a fresh own calendar and a fresh combined calendar."""
        own = await self.source.new_calendar(f"{name}'s calendar")
        combined = await self.target.new_calendar(f"{name}'s combined calendar")
        member = Member(
            id=name.lower(),
            name=name,
            sources=(CalendarRef(account="source", calendar_id=own),),
            combined=CalendarRef(account="target", calendar_id=combined),
            policy=policy or MemberPolicy(),
        )
        self.members.append(member)
        return member

    def set_policy(self, name: str, policy: MemberPolicy) -> None:
        """Change a member's policy."""
        self.members = [
            replace(member, policy=policy) if member.name == name else member
            for member in self.members
        ]

    def member(self, name: str) -> Member:
        """Return a member by name."""
        return next(member for member in self.members if member.name == name)

    async def write(self, name: str, key: str, summary: str, **fields: object) -> Event:
        """Store an event in a member's own calendar, as they would."""
        event_id = copy_id("original", f"{name}/{key}")
        values: dict[str, object] = {
            "id": event_id,
            "ical_uid": f"{event_id}@example.com",
            "summary": summary,
            "start": START,
            "end": START + timedelta(hours=1),
        }
        values.update(fields)
        return await self.source.provider.put_event(
            self.member(name).sources[0].calendar_id,
            Event(**values),  # type: ignore[arg-type]
        )

    async def remove(self, name: str, key: str) -> None:
        """Delete an event from a member's own calendar."""
        await self.source.provider.delete_event(
            self.member(name).sources[0].calendar_id,
            copy_id("original", f"{name}/{key}"),
        )

    async def own(self, name: str) -> dict[str, Event]:
        """Return a member's own calendar, straight from the server."""
        calendar = self.member(name).sources[0].calendar_id
        listing = await self.source.provider.changes(calendar, None)
        return {event.id: event for event in listing.changed}

    async def combined(self, name: str) -> list[Event]:
        """Return a member's combined calendar, straight from the server."""
        combined = self.member(name).combined
        assert combined is not None
        listing = await self.target.provider.changes(combined.calendar_id, None)
        return sorted(listing.changed, key=lambda event: event.summary)

    async def titles(self, name: str) -> list[str]:
        """Return the titles in a member's combined calendar."""
        return [event.summary for event in await self.combined(name)]

    async def run(self, **kwargs: object) -> SyncReport:
        """Run one cycle."""
        if self.cycle is None:

            async def sleep(seconds: float) -> None:
                self.slept.append(seconds)

            async def save() -> None:
                """Keep the state in memory only."""

            self.cycle = SyncCycle(
                providers=self.providers,  # type: ignore[arg-type]
                state=self.state,
                save=save,
                sleep=sleep,
            )
        return await self.cycle.run(self.members, PlanOptions(), **kwargs)  # type: ignore[arg-type]

    def requests(self) -> int:
        """Return the requests both servers answered so far."""
        if self.source is self.target:
            return self.source.request_count()
        return self.source.request_count() + self.target.request_count()


@pytest.fixture(params=["google", "caldav", "google-to-caldav", "caldav-to-google"])
def servers(request: pytest.FixtureRequest) -> tuple[ProviderHarness, ProviderHarness]:
    """Return the harnesses of the own calendars and of the combined calendars."""
    source_kind, _, target_kind = request.param.partition("-to-")
    source: ProviderHarness = request.getfixturevalue(f"{source_kind}_harness")
    target: ProviderHarness = request.getfixturevalue(
        f"{target_kind or source_kind}_harness"
    )
    return source, target


@pytest.fixture
async def world(servers: tuple[ProviderHarness, ProviderHarness]) -> World:
    """Three members on the parametrised servers."""
    world = World(source=servers[0], target=servers[1])
    for name in NAMES:
        await world.add_member(name)
    return world


async def test_event_reaches_every_other_member_and_a_quiet_cycle_asks_once_per_calendar(
    world: World,
) -> None:
    """Anna's event lands in Ben's and Cleo's combined calendars, not Anna's."""
    await world.write("Anna", "dentist", "Dentist")

    report = await world.run()
    assert report.created == 2
    before = world.requests()
    again = await world.run()  # the combined calendars' first look at the copies
    assert (again.created, again.updated, again.deleted) == (0, 0, 0)
    if world.target.kind == "caldav":  # copies just written are known by etag, not read
        assert world.requests() - before == 6
    assert await world.titles("Anna") == []
    assert await world.titles("Ben") == ["Dentist"]
    assert await world.titles("Cleo") == ["Dentist"]
    assert all(copy.copy_of is not None for copy in await world.combined("Ben"))

    before = world.requests()
    quiet = await world.run()
    assert world.requests() - before == 6  # 3 own + 3 combined calendars
    assert (quiet.created, quiet.updated, quiet.deleted) == (0, 0, 0)


async def test_changes_and_deletions_propagate_and_a_touch_costs_nothing(
    world: World,
) -> None:
    """An edit updates every copy, a deletion removes them, a no-op save writes nothing."""
    original = await world.write("Anna", "dentist", "Dentist")
    await world.write("Ben", "football", "Football")
    await world.run()

    await world.write(
        "Anna", "dentist", "Dentist", description=original.description
    )  # touched only
    touched = await world.run()
    assert (touched.created, touched.updated, touched.deleted) == (0, 0, 0)

    await world.write(
        "Anna",
        "dentist",
        "Dentist (moved)",
        start=START + timedelta(hours=2),
        end=START + timedelta(hours=3),
    )
    await world.remove("Ben", "football")
    report = await world.run()
    assert (report.updated, report.deleted) == (2, 2)
    assert await world.titles("Cleo") == ["Dentist (moved)"]
    assert await world.titles("Anna") == []
    moved = (await world.combined("Ben"))[0]
    assert moved.start == START + timedelta(hours=2)


async def test_policies_shape_what_others_receive(world: World) -> None:
    """Receive-own, busy-only privacy, a title prefix and a colour all apply."""
    world.set_policy(
        "Anna",
        MemberPolicy(receive_own=True, title_prefix="Anna: ", color=EventColor.TOMATO),
    )
    world.set_policy("Ben", MemberPolicy(privacy=Privacy.BUSY_ONLY))
    await world.write("Anna", "yoga", "Yoga", location="Gym")
    await world.write(
        "Ben", "therapy", "Therapy", description="Dr. Who", location="Clinic"
    )

    await world.run()
    assert await world.titles("Anna") == ["Anna: Yoga", "Busy"]
    cleo = {event.summary: event for event in await world.combined("Cleo")}
    assert set(cleo) == {"Anna: Yoga", "Busy"}
    assert cleo["Anna: Yoga"].color is EventColor.TOMATO
    assert cleo["Anna: Yoga"].location == "Gym"
    assert (cleo["Busy"].description, cleo["Busy"].location) == ("", "")

    world.set_policy("Ben", MemberPolicy())
    await world.run()
    assert await world.titles("Cleo") == ["Anna: Yoga", "Therapy"]


async def test_recurring_series_is_copied_whole_with_its_exceptions(
    world: World,
) -> None:
    """A weekly series with a moved and a cancelled occurrence stays one series."""
    first = START
    await world.write(
        "Anna",
        "choir",
        "Choir",
        rrule="FREQ=WEEKLY;COUNT=6",
        overrides=(
            Event(
                id="",
                ical_uid="",
                summary="Choir (concert)",
                start=first + timedelta(weeks=1, hours=2),
                end=first + timedelta(weeks=1, hours=3),
                recurrence_id=first + timedelta(weeks=1),
            ),
            Event(
                id="",
                ical_uid="",
                summary="Choir",
                start=first + timedelta(weeks=2),
                end=first + timedelta(weeks=2, hours=1),
                recurrence_id=first + timedelta(weeks=2),
                status=EventStatus.CANCELLED,
            ),
        ),
    )
    await world.run()

    (copy,) = await world.combined("Ben")
    assert copy.rrule == "FREQ=WEEKLY;COUNT=6"
    by_occurrence = {o.recurrence_id: o for o in copy.overrides}
    assert by_occurrence[first + timedelta(weeks=1)].summary == "Choir (concert)"
    assert by_occurrence[first + timedelta(weeks=2)].status is EventStatus.CANCELLED


async def test_member_choices_on_their_combined_calendar(world: World) -> None:
    """A deleted copy stays deleted until restored; an edited copy is put right."""
    await world.write("Anna", "dentist", "Dentist")
    await world.write("Anna", "lunch", "Lunch")
    await world.run()
    ben = world.member("Ben").combined
    assert ben is not None
    copies = {event.summary: event for event in await world.combined("Ben")}

    calendar_app = world.target.another_client()
    await calendar_app.delete_event(ben.calendar_id, copies["Dentist"].id)
    await calendar_app.put_event(
        ben.calendar_id, replace(copies["Lunch"], summary="Mine now")
    )
    await world.run()
    assert await world.titles("Ben") == ["Lunch"]
    assert await world.titles("Cleo") == ["Dentist", "Lunch"]

    await world.run()
    assert await world.titles("Ben") == ["Lunch"]  # still hidden
    world.cycle = None  # the restore option is a plan option of a resync
    assert world.state is not None
    report = await SyncCycle(
        providers=world.providers,  # type: ignore[arg-type]
        state=world.state,
        save=_nothing,
    ).run(world.members, PlanOptions(restore_hidden=True), full=True)
    assert report.created == 1
    assert await world.titles("Ben") == ["Dentist", "Lunch"]


async def _nothing() -> None:
    """Keep the state in memory."""


async def test_expired_cursors_recover_with_no_duplicate(world: World) -> None:
    """After every cursor expires, the full listings change nothing that was right."""
    await world.write("Anna", "dentist", "Dentist")
    await world.run()
    world.source.expire_cursors()
    world.target.expire_cursors()
    await world.write("Cleo", "run", "Run")

    report = await world.run()
    assert (report.created, report.updated, report.deleted) == (2, 0, 0)
    assert await world.titles("Ben") == ["Dentist", "Run"]


async def test_rate_limited_writes_wait_as_asked_and_complete(world: World) -> None:
    """Writes refused with Retry-After are retried after that delay, once each."""
    await world.write("Anna", "dentist", "Dentist")
    await world.run()  # first listing done, so the next requests are writes
    await world.write("Anna", "lunch", "Lunch")
    await world.run()
    await world.write("Anna", "gym", "Gym")
    world.target.rate_limit_next(2, retry_after=3)

    report = await world.run()
    assert 3 in world.slept
    assert report.created == 2
    assert await world.titles("Cleo") == ["Dentist", "Gym", "Lunch"]


async def test_a_calendar_that_fails_does_not_stop_the_others(world: World) -> None:
    """Cleo's combined calendar is gone: Ben still gets his copy; the error names Cleo's."""
    cleo = world.member("Cleo")
    broken = CalendarRef(
        account="target", calendar_id=world.target.unshared_calendar_id()
    )
    world.members[2] = replace(cleo, combined=broken)
    await world.write("Anna", "dentist", "Dentist")

    report = await world.run()
    assert await world.titles("Ben") == ["Dentist"]
    assert list(report.errors) == [broken.key]
    assert report.pending == 1


async def test_members_joining_and_leaving(world: World) -> None:
    """A new member gets everything; a leaving member's events and copies go."""
    await world.write("Anna", "dentist", "Dentist")
    await world.write("Ben", "football", "Football")
    await world.run()

    await world.add_member("Dora")
    report = await world.run()
    assert report.created == 2
    assert await world.titles("Dora") == ["Dentist", "Football"]

    ben = world.member("Ben")
    assert ben.combined is not None
    world.members.remove(ben)
    await world.run()
    assert await world.titles("Cleo") == ["Dentist"]
    assert await world.titles("Dora") == ["Dentist"]
    left_behind = await world.target.provider.changes(ben.combined.calendar_id, None)
    assert left_behind.changed == ()
    # Ben's own calendar is his: the sync never touched it.
    assert (
        await world.source.provider.changes(ben.sources[0].calendar_id, None)
    ).changed


async def test_an_invitation_two_members_accepted_appears_once_naming_both(
    world: World,
) -> None:
    """The same iCalendar UID in Anna's and Ben's calendars is one copy for Cleo."""
    invitation = "planning-2026@example.com"
    for name in ("Anna", "Ben"):
        if isinstance(world.source, GoogleHarness):
            # Google itself puts an invitation into each attendee's calendar under
            # the organiser's event id and UID; the server does it here as Google would.
            world.source.server.insert_event(
                world.member(name).sources[0].calendar_id,
                {
                    "id": copy_id("original", f"{name}/planning"),
                    "iCalUID": invitation,
                    "summary": "Planning",
                    "start": {"dateTime": START.isoformat()},
                    "end": {"dateTime": (START + timedelta(hours=1)).isoformat()},
                },
            )
        else:
            await world.write(name, "planning", "Planning", ical_uid=invitation)

    report = await world.run()
    assert report.created == 1
    assert await world.titles("Cleo") == ["Planning (Anna, Ben)"]
    # Anna and Ben have the meeting in their own calendars: no copy of it for them.
    assert await world.titles("Anna") == []
    assert await world.titles("Ben") == []
    for _ in range(2):  # the first reads back its own writes
        quiet = await world.run()
        assert (quiet.created, quiet.updated, quiet.deleted) == (0, 0, 0)

    await world.remove("Ben", "planning")
    report = await world.run()
    assert (report.created, report.updated, report.deleted) == (1, 1, 0)
    assert await world.titles("Cleo") == ["Planning"]
    assert await world.titles("Ben") == ["Planning"]  # from Anna, who still has it
    assert await world.titles("Anna") == []
    for _ in range(2):
        quiet = await world.run()
        assert (quiet.created, quiet.updated, quiet.deleted) == (0, 0, 0)


def _shown(event: Event) -> list[tuple[DateOrDateTime, DateOrDateTime, str]]:
    """Return every occurrence of an event this winter: start, end and title."""
    return [
        (o.start, o.end, o.event.summary)
        for o in occurrences(
            event, START - timedelta(days=30), START + timedelta(days=90), UTC
        )
    ]


async def test_renaming_and_moving_a_series_carries_to_its_moved_occurrences(
    world: World,
) -> None:
    """Anna renames "Swim" to "Swimming", then moves it an hour later, as the actions do.

    The occurrence she moved by itself takes the new title but keeps its time;
    "Swim gala" keeps its title and moves with the series; every copy follows.
    """
    week, hour = timedelta(weeks=1), timedelta(hours=1)
    await world.write(
        "Anna",
        "swim",
        "Swim",
        rrule="FREQ=WEEKLY;COUNT=5",
        overrides=(
            Event(
                id="",
                ical_uid="",
                summary="Swim",
                start=START + week + 2 * hour,
                end=START + week + 3 * hour,
                recurrence_id=START + week,
            ),
            Event(
                id="",
                ical_uid="",
                summary="Swim gala",
                start=START + 2 * week,
                end=START + 2 * week + 2 * hour,
                recurrence_id=START + 2 * week,
            ),
            Event(
                id="",
                ical_uid="",
                summary="Swim",
                start=START + 3 * week,
                end=START + 3 * week + hour,
                recurrence_id=START + 3 * week,
                status=EventStatus.CANCELLED,
            ),
        ),
    )
    await world.run()
    calendar = world.member("Anna").sources[0].calendar_id

    async def edit(**fields: object) -> None:
        (series,) = (await world.own("Anna")).values()
        changed = replace(series, **fields)  # type: ignore[arg-type]
        await world.source.provider.put_event(calendar, rescheduled(series, changed))

    async def check(expected: list[tuple[DateOrDateTime, DateOrDateTime, str]]) -> None:
        (original,) = (await world.own("Anna")).values()
        assert _shown(original) == expected
        for name in ("Ben", "Cleo"):
            (copy,) = await world.combined(name)
            assert _shown(copy) == expected
        report = await world.run()  # reads back its own writes
        assert (report.created, report.updated, report.deleted) == (0, 0, 0)

    await edit(summary="Swimming")
    report = await world.run()
    assert (report.created, report.updated, report.deleted) == (0, 2, 0)
    await check(
        [
            (START, START + hour, "Swimming"),
            (START + week + 2 * hour, START + week + 3 * hour, "Swimming"),
            (START + 2 * week, START + 2 * week + 2 * hour, "Swim gala"),
            (START + 4 * week, START + 4 * week + hour, "Swimming"),
        ]
    )

    await edit(start=START + hour, end=START + 2 * hour)
    report = await world.run()
    assert (report.created, report.updated, report.deleted) == (0, 2, 0)
    await check(
        [
            (START + hour, START + 2 * hour, "Swimming"),
            (START + week + 2 * hour, START + week + 3 * hour, "Swimming"),
            (START + 2 * week + hour, START + 2 * week + 3 * hour, "Swim gala"),
            (START + 4 * week + hour, START + 4 * week + 2 * hour, "Swimming"),
        ]
    )


async def test_copies_carry_the_sequence_of_their_original(world: World) -> None:
    """A series' and a moved occurrence's SEQUENCE go with every copy (issue 10).

    A client that compares versions by SEQUENCE then never takes a copy for older
    than a version of the original it has seen.
    """
    week, hour = timedelta(weeks=1), timedelta(hours=1)
    await world.write(
        "Anna",
        "swim",
        "Swim",
        rrule="FREQ=WEEKLY;COUNT=3",
        sequence=4,
        overrides=(
            Event(
                id="",
                ical_uid="",
                summary="Swim (late)",
                start=START + week + 2 * hour,
                end=START + week + 3 * hour,
                recurrence_id=START + week,
                sequence=5,
            ),
        ),
    )

    report = await world.run()

    assert (report.created, report.errors) == (2, {})
    for name in ("Ben", "Cleo"):
        (copy,) = await world.combined(name)
        assert copy.sequence == 4
        assert [(o.summary, o.sequence) for o in copy.overrides] == [("Swim (late)", 5)]
    for _ in range(2):  # the first reads back its own writes
        quiet = await world.run()
        assert (quiet.created, quiet.updated, quiet.deleted) == (0, 0, 0)
