"""Emptied and half-emptied calendars on real servers: nothing goes until confirmed.

Each scenario runs on Google (the fake API) and on CalDAV (Radicale behind the
fault proxy). "Answers empty" is a broken server (`answer_empty`): it lists
nothing and refuses the old cursor. "Emptied" is a calendar whose events were
really deleted.
"""

from __future__ import annotations

import pytest

from custom_components.shared_calendars.engine.state import Confirm, Loss

from .harness import ProviderHarness
from .test_sync_scenarios import NAMES, World


@pytest.fixture(params=["google", "caldav"])
def harness(request: pytest.FixtureRequest) -> ProviderHarness:
    """Return the harness of one kind of server."""
    value: ProviderHarness = request.getfixturevalue(f"{request.param}_harness")
    return value


@pytest.fixture
async def world(harness: ProviderHarness) -> World:
    """Three members with own and combined calendars on one server."""
    world = World(source=harness, target=harness)
    for name in NAMES:
        await world.add_member(name)
    return world


def _own(world: World, name: str) -> str:
    return world.member(name).sources[0].key


def _combined(world: World, name: str) -> str:
    combined = world.member(name).combined
    assert combined is not None
    return combined.key


async def test_source_answering_empty_keeps_its_copies_until_it_lists_again(
    world: World,
) -> None:
    """A broken server holds one calendar back; the others sync; recovery is silent."""
    await world.write("Anna", "a", "One")
    await world.write("Anna", "b", "Two")
    await world.run()
    anna = world.member("Anna").sources[0]
    world.source.answer_empty(anna.calendar_id)

    for _ in range(3):
        report = await world.run()
        assert report.held_back == {
            _own(world, "Anna"): Loss(held=2, gone=2, copies=False)
        }
        assert report.deleted == 0
    await world.write("Ben", "football", "Football")
    await world.write("Anna", "c", "Three")  # waits with the held-back change set
    report = await world.run()
    assert report.created == 2
    assert await world.titles("Ben") == ["One", "Two"]
    assert await world.titles("Cleo") == ["Football", "One", "Two"]

    world.source.answer_empty(anna.calendar_id, False)
    report = await world.run()
    assert report.held_back == {}
    assert report.deleted == 0
    assert await world.titles("Ben") == ["One", "Three", "Two"]
    assert await world.titles("Cleo") == ["Football", "One", "Three", "Two"]


async def test_emptied_source_loses_its_copies_once_confirmed(world: World) -> None:
    """Every event deleted at once: the copies stay until the user confirms."""
    await world.write("Anna", "a", "One")
    await world.write("Anna", "b", "Two")
    await world.run()
    await world.remove("Anna", "a")
    await world.remove("Anna", "b")

    for _ in range(3):
        report = await world.run()
        assert report.held_back == {
            _own(world, "Anna"): Loss(held=2, gone=2, copies=False)
        }
    assert await world.titles("Ben") == ["One", "Two"]

    report = await world.run(confirm={_own(world, "Anna"): Confirm.EMPTIED})
    assert report.held_back == {}
    assert report.deleted == 4
    assert await world.titles("Ben") == []
    assert await world.titles("Cleo") == []


async def test_half_emptied_source_waits_for_confirmation(world: World) -> None:
    """Eleven of twenty events gone at once is held back; ten of twenty is not."""
    for n in range(20):
        await world.write("Anna", f"e{n}", f"Event {n:02}")
    await world.run()
    for n in range(11):
        await world.remove("Anna", f"e{n}")

    report = await world.run()
    assert report.held_back == {
        _own(world, "Anna"): Loss(held=20, gone=11, copies=False)
    }
    assert len(await world.titles("Ben")) == 20

    report = await world.run(confirm={_own(world, "Anna"): Confirm.EMPTIED})
    assert report.deleted == 22
    assert len(await world.titles("Ben")) == 9
    for n in range(11, 15):  # four of the nine left: an ordinary clean-up
        await world.remove("Anna", f"e{n}")
    report = await world.run()
    assert report.held_back == {}
    assert report.deleted == 8


async def test_combined_calendar_answering_empty_hides_no_copy(world: World) -> None:
    """A combined calendar that lists nothing: no copy is taken for deleted by Ben."""
    await world.write("Anna", "a", "One")
    await world.write("Anna", "b", "Two")
    await world.run()
    await world.run()  # reads its own writes back
    ben = world.member("Ben").combined
    assert ben is not None
    world.target.answer_empty(ben.calendar_id)

    report = await world.run()
    assert report.held_back == {
        _combined(world, "Ben"): Loss(held=2, gone=2, copies=True)
    }
    await world.write("Anna", "c", "Three")
    report = await world.run()  # the other calendars keep syncing
    assert await world.titles("Cleo") == ["One", "Three", "Two"]

    world.target.answer_empty(ben.calendar_id, False)
    report = await world.run()
    assert report.held_back == {}
    assert not any(record.hidden for record in world.state.copies.values())
    assert await world.titles("Ben") == ["One", "Three", "Two"]
    await world.write("Anna", "a", "One (moved)")
    await world.run()
    assert await world.titles("Ben") == ["One (moved)", "Three", "Two"]


async def test_half_emptied_combined_calendar_gets_its_copies_again(
    world: World,
) -> None:
    """Eleven of twenty copies gone from Ben's calendar: confirmed, they come back."""
    for n in range(20):
        await world.write("Anna", f"e{n}", f"Event {n:02}")
    await world.run()
    await world.run()  # reads its own writes back
    ben = world.member("Ben").combined
    assert ben is not None
    for copy in (await world.combined("Ben"))[:11]:
        await world.target.provider.delete_event(ben.calendar_id, copy.id)

    report = await world.run()
    assert report.held_back == {
        _combined(world, "Ben"): Loss(held=20, gone=11, copies=True)
    }
    assert len(await world.titles("Ben")) == 9

    report = await world.run(confirm={_combined(world, "Ben"): Confirm.EMPTIED})
    assert report.held_back == {}
    assert report.created == 11
    assert len(await world.titles("Ben")) == 20
    assert not any(record.hidden for record in world.state.copies.values())


async def test_copies_confirmed_as_deleted_by_the_member_stay_away(
    world: World,
) -> None:
    """The other answer about a combined calendar: Ben deleted them on purpose."""
    await world.write("Anna", "a", "One")
    await world.write("Anna", "b", "Two")
    await world.run()
    await world.run()
    ben = world.member("Ben").combined
    assert ben is not None
    for copy in await world.combined("Ben"):
        await world.target.provider.delete_event(ben.calendar_id, copy.id)
    assert (await world.run()).held_back

    key = _combined(world, "Ben")
    report = await world.run(confirm={key: Confirm.DELETED_BY_MEMBER})
    assert (report.held_back, report.created) == ({}, 0)
    await world.run()
    assert await world.titles("Ben") == []
    assert await world.titles("Cleo") == ["One", "Two"]
