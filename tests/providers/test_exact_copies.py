"""Every calendar is copied exactly (issue 10, "Done when").

Each calendar file of `tests/fixtures/ical/` goes through real sync cycles in
three directions: CalDAV -> CalDAV (Radicale to Radicale), CalDAV -> Google
(Radicale to the fake Google API) and Google -> CalDAV (the same case as Google
holds it). Source and copy are both read back raw from their servers and
expanded with `recurring_ical_events` over the sync window; every occurrence's
start, end and title must match. A second cycle must then write nothing.

The cases of one direction run side by side, each in a world of its own
(calendars, providers, fake Google API, sync state), and report as subtests.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from tests.servers.radicale import RadicaleServer

from .caldav_harness import USER, CalDavHarness
from .exact_cases import CASES, FIXTURES, Case
from .exact_reading import as_google_holds, expand, first_mismatch
from .exact_world import ExactWorld, LenientDavProxy, placeholder, prepare_google_key

DIRECTIONS = ("caldav-to-caldav", "caldav-to-google", "google-to-caldav")
SIDE_BY_SIDE = 12
"""Cases run at once; Radicale answers each request in a thread of its own."""


@pytest.fixture
async def enable_event_loop_debug() -> None:
    """Run without asyncio's debug mode, which Home Assistant's plugin turns on.

    Debug mode records a stack for every callback; over the several hundred
    requests of these cycles it costs more than the cycles themselves. The same
    code paths run in debug mode in the other provider tests.
    """
    asyncio.get_running_loop().set_debug(False)


@pytest.fixture
async def lenient_caldav(
    socket_enabled: None, radicale_server: RadicaleServer
) -> AsyncIterator[CalDavHarness]:
    """Yield the CalDAV harness behind a proxy that can serve what Radicale refuses."""
    proxy = LenientDavProxy(radicale_server.url)
    await proxy.start()
    harness = CalDavHarness(server=radicale_server, proxy=proxy)
    try:
        yield harness
    finally:
        await harness.close()
        await proxy.close()


def test_every_fixture_is_a_case_and_says_where_it_comes_from() -> None:
    """The table names every file once, and every file names its RFC section or client."""
    files = sorted(path.stem for path in FIXTURES.glob("*.ics"))
    assert sorted(case.name for case in CASES) == files
    for case in CASES:
        assert case.note, f"{case.name} has no X-TEST-NOTE"
        assert case.google or case.google_skip, (
            f"{case.name}: no Google form, no reason"
        )


@pytest.mark.parametrize("case", [c for c in CASES if c.expected], ids=lambda c: c.name)
def test_the_expander_reads_each_case_as_written_down(case: Case) -> None:
    """`recurring_ical_events` gives the occurrences the table spells out.

    Where it reads a file otherwise than issue 10 asks (`library_reads`), that
    reading is pinned, so that a change in the library is noticed.
    """
    want = case.library_reads if case.library_reads is not None else case.expected
    assert want is not None
    assert expand([case.text]) == list(want)


async def test_radicale_refuses_what_the_proxy_serves_in_its_place(
    lenient_caldav: CalDavHarness,
) -> None:
    """The lenient proxy stands in only where Radicale really refuses a file."""
    server = lenient_caldav.server
    assert isinstance(server, RadicaleServer)
    path = await server.mkcalendar(USER)
    refused = [case for case in CASES if case.radicale_refuses]

    async def put(case: Case) -> None:
        with pytest.raises(RuntimeError, match="answered 400"):
            await server.put_raw(USER, f"{path}{case.name}.ics", case.text)
        await server.put_raw(
            USER, f"{path}{case.name}-stand-in.ics", placeholder(case.text)
        )

    # Radicale waits a second before each refusal: ask for all at once.
    await asyncio.gather(*(put(case) for case in refused))
    log = (server.root / "radicale.log").read_text(encoding="utf-8")
    for case in refused:
        reasons = [
            line for line in log.splitlines() if f"{path}{case.name}.ics" in line
        ]
        assert any(case.radicale_refuses in line for line in reasons), reasons


async def _copy(case: Case, direction: str, caldav: CalDavHarness) -> list[str]:
    """Copy one case through two cycles; return what went wrong."""
    world = await ExactWorld.open(caldav, direction)
    try:
        await world.hold(case)
        reading = (
            list(case.expected) if case.expected is not None else expand([case.text])
        )
        source = expand(await world.raw(world.source_kind, world.source))
        if world.source_kind == "caldav":
            assert source == expand([case.text]), "the server changed the file"
        else:
            assert source == reading, "Google's form is not the case"
        # Where the expander reads a file otherwise than issue 10 asks
        # (`library_reads`), the copies are held to the reading.
        reference = reading
        assert reference, "the case has no occurrence in the window"

        first = await world.run()
        copies = expand(await world.raw(world.target_kind, world.target))
        problems = [f"first cycle errors: {first.errors}"] if first.errors else []
        if world.target_kind == "google":
            reference = as_google_holds(reference)
        if mismatch := first_mismatch(reference, copies):
            problems.append(mismatch)

        before = world.writes()
        second = await world.run()
        written = world.writes() - before
        if written or second.created or second.updated or second.deleted:
            problems.append(
                f"second cycle wrote {dict(written)} (created {second.created},"
                f" updated {second.updated}, deleted {second.deleted})"
            )
        if second.errors:
            problems.append(f"second cycle errors: {second.errors}")
        return problems
    finally:
        await world.close()


@pytest.mark.parametrize("direction", DIRECTIONS)
async def test_every_occurrence_is_copied_and_a_second_cycle_writes_nothing(
    direction: str, lenient_caldav: CalDavHarness, subtests: pytest.Subtests
) -> None:
    """Source and copy, both read raw, hold the same occurrences; then all is quiet."""
    google_source = direction.startswith("google")
    cases = [case for case in CASES if case.google or not google_source]
    slots = asyncio.Semaphore(SIDE_BY_SIDE)
    if "google" in direction:
        await prepare_google_key()

    async def copy(case: Case) -> list[str] | BaseException:
        async with slots:
            try:
                return await _copy(case, direction, lenient_caldav)
            except Exception as err:  # noqa: BLE001  # reported as that case's failure
                return err

    done = await asyncio.gather(*(copy(case) for case in cases))
    outcomes = {case.name: outcome for case, outcome in zip(cases, done, strict=True)}
    for case in CASES:
        with subtests.test(case=case.name):
            if case.name not in outcomes:
                pytest.skip(case.google_skip)
            outcome = outcomes[case.name]
            if isinstance(outcome, BaseException):
                raise outcome
            assert not outcome, f"{case.name}, {direction}: " + " | ".join(outcome)
