"""The family scenario, one strategy on one kind of server, in a process of its own.

Members each have source calendars of originals (a tenth of them weekly series, a
twentieth with a moved occurrence) and a combined calendar that receives everyone
else's. The servers run in another process (`bench_servers`), so this process's CPU,
peak memory and disk writes are the sync's: the integration's `SyncCycle` with its
state kept as the coordinator keeps it (`BenchStore`), or the naive reference
(`bench_baseline`). Run by `scripts/bench.py`, which reads the JSON it writes.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable
from contextlib import closing
from dataclasses import asdict, dataclass, field
import gc
import json
from pathlib import Path
import sqlite3
import time
from types import SimpleNamespace
from typing import Any

from aiohttp import (
    ClientSession,
    TraceConfig,
    TraceRequestChunkSentParams,
    TraceResponseChunkReceivedParams,
)
from homeassistant.core import HomeAssistant

from custom_components.shared_calendars.cycle import SyncCycle
from custom_components.shared_calendars.engine.plan import PlanOptions
from custom_components.shared_calendars.engine.state import SyncState
from custom_components.shared_calendars.providers.base import CalendarProvider
from custom_components.shared_calendars.providers.caldav import CalDavProvider
from custom_components.shared_calendars.providers.google import (
    GoogleProvider,
    ServiceAccountKey,
)
from custom_components.shared_calendars.push import NOTIFICATION_COOLDOWN
from custom_components.shared_calendars.store import StateStore, database_path
from scripts.bench_baseline import NaiveSync
from scripts.bench_servers import Connect, ServerProcess

WRITES = frozenset(
    {"events.insert", "events.update", "events.patch", "events.delete", "PUT", "DELETE"}
)


def proc_kib(field_name: str) -> int:
    """Return a field of /proc/self/status in KiB (VmRSS, VmHWM)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field_name + ":"):
            return int(line.split()[1])
    raise LookupError(field_name)


def _disk_written() -> int:
    """Return the bytes this process has sent to the disk so far (all its threads)."""
    for line in Path("/proc/self/io").read_text().splitlines():
        if line.startswith("write_bytes:"):
            return int(line.split()[1])
    raise LookupError("write_bytes")


def reset_peak() -> None:
    """Start the peak resident size (VmHWM) over from the current size."""
    Path("/proc/self/clear_refs").write_text("5")


class BenchStore:
    """The state on disk, loaded and saved as the coordinator does it.

    Uses the coordinator's own store, so the disk figures follow whatever the
    integration persists with (only this class changes when that does).
    """

    def __init__(self, directory: Path) -> None:
        """Keep the state under `directory` (Home Assistant's config directory)."""
        self.directory = directory
        self._hass = HomeAssistant(str(directory))
        self._store = StateStore(self._hass, "bench")

    async def load(self) -> SyncState:
        """Read the state as Home Assistant's start-up does (a fresh store)."""
        await self._store.async_close()
        self._store = StateStore(self._hass, "bench")
        return await self._store.async_load()

    async def save(self, state: SyncState) -> None:
        """Write the state as `SharedCalendarsCoordinator.async_save_state` does."""
        await self._store.async_flush(state)

    def size(self) -> int:
        """Return the bytes the stored state takes on disk, its WAL folded in first.

        The write-ahead log is a passing buffer (bounded by the database's
        `journal_size_limit`), not the state: a checkpoint moves it into the file.
        """
        database = database_path(self._hass, "bench")
        with closing(sqlite3.connect(database)) as connection:
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return database.stat().st_size

    async def close(self) -> None:
        """Let Home Assistant finish its writes."""
        await self._store.async_close()
        await self._hass.async_stop(force=True)


@dataclass(kw_only=True)
class Traffic:
    """Bytes an aiohttp session sent and received (bodies)."""

    sent: int = 0
    received: int = 0

    def trace(self) -> TraceConfig:
        """Return an aiohttp trace that adds every chunk up."""
        config = TraceConfig()

        async def on_sent(
            _: ClientSession, __: SimpleNamespace, params: TraceRequestChunkSentParams
        ) -> None:
            self.sent += len(params.chunk)

        async def on_received(
            _: ClientSession,
            __: SimpleNamespace,
            params: TraceResponseChunkReceivedParams,
        ) -> None:
            self.received += len(params.chunk)

        config.on_request_chunk_sent.append(on_sent)
        config.on_response_chunk_received.append(on_received)
        return config


@dataclass(kw_only=True)
class Step:
    """The figures of one step of the scenario."""

    name: str
    requests: dict[str, int] = field(default_factory=dict)
    sent: int = 0
    received: int = 0
    wall: float = 0.0
    cpu: float = 0.0
    """Seconds of CPU of the whole sync process, every thread."""
    peak_mib: float = 0.0
    """Peak resident memory during the step above the post-import baseline."""
    disk: int = 0
    """Bytes written to disk during the step."""
    changes: int = 0
    """Copies written or deleted."""

    @property
    def writes(self) -> int:
        """Return the event writes made (refused inserts included)."""
        return sum(n for kind, n in self.requests.items() if kind in WRITES)


class Meter:
    """Measures steps: requests and bytes on the wire, time, CPU, memory, disk."""

    def __init__(self, server: ServerProcess, traffic: Traffic | None) -> None:
        """Count requests at `server`; bytes by `traffic` (else at the server)."""
        self._server = server
        self._traffic = traffic
        gc.collect()
        self.baseline_kib = proc_kib("VmRSS")
        self.steps: list[Step] = []

    def _wire(self) -> tuple[dict[str, int], int, int]:
        requests, sent, received = self._server.call("traffic")
        if self._traffic is not None:
            sent, received = self._traffic.sent, self._traffic.received
        return requests, sent, received

    async def measure(self, name: str, step: Callable[[], Awaitable[int]]) -> Step:
        """Run one step (it returns the copies it changed) and keep what it cost."""
        before, sent, received = self._wire()
        disk = _disk_written()
        reset_peak()
        wall, cpu = time.perf_counter(), time.process_time()
        changes = await step()
        result = Step(
            name=name,
            wall=time.perf_counter() - wall,
            cpu=time.process_time() - cpu,
            peak_mib=(proc_kib("VmHWM") - self.baseline_kib) / 1024,
            disk=_disk_written() - disk,
            changes=changes,
        )
        after, sent_after, received_after = self._wire()
        result.sent, result.received = sent_after - sent, received_after - received
        result.requests = {
            kind: grown
            for kind, number in sorted(after.items())
            if (grown := number - before.get(kind, 0)) > 0
        }
        self.steps.append(result)
        return result


async def _providers(
    connect: Connect, traffic: Traffic
) -> tuple[dict[str, CalendarProvider], ClientSession | None]:
    if connect.kind == "google":
        assert connect.google_key is not None
        session = ClientSession(trace_configs=[traffic.trace()])
        key = ServiceAccountKey.parse(json.dumps(connect.google_key))
        return {"g": GoogleProvider(key, session, api_root=connect.api_root)}, session
    provider = CalDavProvider(
        url=connect.caldav_url,
        username=connect.caldav_user,
        password=connect.caldav_password,
    )
    return {"c": provider}, None


async def run(args: argparse.Namespace) -> dict[str, Any]:
    """Run the scenario the arguments describe; return its figures.

    With `--sizes`, one family of each size in turn on the same servers (for the
    growth figures: the memory figures of later sizes then include what earlier
    ones left).
    """
    workdir = Path(args.workdir)
    server = ServerProcess(args.kind, workdir / "server")
    traffic = Traffic()
    session = None
    providers: dict[str, CalendarProvider] = {}
    try:
        sizes = [int(size) for size in args.sizes.split(",")] if args.sizes else []
        figures = []
        for events in sizes or [args.events]:
            server.call("set_latency", args.setup_latency)
            connect: Connect = server.call("populate", 5, 2, events)
            if not providers:
                providers, session = await _providers(connect, traffic)
            meter = Meter(server, traffic if connect.kind == "google" else None)
            figures.append(
                await _family(
                    args=args,
                    connect=connect,
                    providers=providers,
                    meter=meter,
                    server=server,
                    directory=workdir / f"{args.strategy}-{events}",
                )
            )
        return {"sizes": figures} if sizes else figures[0]
    finally:
        for provider in providers.values():
            await provider.close()
        if session is not None:
            await session.close()
        server.stop()


async def _family(
    *,
    args: argparse.Namespace,
    connect: Connect,
    providers: dict[str, CalendarProvider],
    meter: Meter,
    server: ServerProcess,
    directory: Path,
) -> dict[str, Any]:
    """Run one strategy on one family; return its figures, the copies checked."""
    strategy = _ours if args.strategy == "ours" else _naive
    figures = await strategy(
        args=args,
        connect=connect,
        providers=providers,
        meter=meter,
        server=server,
        directory=directory,
    )
    figures["copies"] = server.call("check")
    figures["steps"] = [asdict(step) | {"writes": step.writes} for step in meter.steps]
    figures["baseline_rss_mib"] = meter.baseline_kib / 1024
    # Each step's peak (VmHWM is started over per step, ru_maxrss with it).
    figures["peak_rss_mib"] = max(step.peak_mib for step in meter.steps)
    return figures


async def _ours(
    *,
    args: argparse.Namespace,
    connect: Connect,
    providers: dict[str, CalendarProvider],
    meter: Meter,
    server: ServerProcess,
    directory: Path,
) -> dict[str, Any]:
    store = BenchStore(directory)
    state = await store.load()
    options = PlanOptions()

    def cycle_for(held: SyncState) -> SyncCycle:
        async def save() -> None:
            await store.save(held)

        return SyncCycle(
            providers=providers, state=held, save=save, concurrency=args.concurrency
        )

    cycle = cycle_for(state)

    async def once(full: bool = False) -> int:
        report = await cycle.run(connect.members, options, full=full)
        return report.created + report.updated + report.deleted

    figures: dict[str, Any] = {}
    try:
        await meter.measure("first sync", once)
        server.call("set_latency", args.latency)
        figures["state_bytes"] = store.size()
        if args.steps == "first":
            return figures
        await meter.measure("second cycle", once)
        await meter.measure("quiet cycle", once)
        if args.steps == "quiet":
            return figures
        server.call("edit", 10)
        await meter.measure("10 edits", once)
        if connect.kind == "google":
            server.call("edit", 1)
            await meter.measure("push edit", lambda: _pushed(cycle, connect, options))

        async def restart() -> int:
            nonlocal cycle
            began = time.perf_counter()
            cycle = cycle_for(await store.load())
            figures["load_seconds"] = time.perf_counter() - began
            return await once()

        await meter.measure("restart", restart)
        await meter.measure("full resync", lambda: once(full=True))
        return figures
    finally:
        await store.close()


async def _pushed(cycle: SyncCycle, connect: Connect, options: PlanOptions) -> int:
    """Sync one changed original as a push notification about its calendar does.

    The notification waits out the cooldown that gathers a burst of them, then
    a cycle reads just that calendar and writes its copies: the time from the
    change to its last copy (Google's delivery of the notification aside).
    """
    source = connect.members[0].sources[0]  # the calendar `edit` changes first
    await asyncio.sleep(NOTIFICATION_COOLDOWN)
    report = await cycle.run(connect.members, options, only={source.key})
    return report.created + report.updated + report.deleted


async def _naive(
    *,
    args: argparse.Namespace,
    connect: Connect,
    providers: dict[str, CalendarProvider],
    meter: Meter,
    server: ServerProcess,
    directory: Path,
) -> dict[str, Any]:
    await asyncio.to_thread(directory.mkdir, parents=True, exist_ok=True)
    database = directory / "naive.sqlite3"
    naive = NaiveSync(providers, database, args.concurrency)

    async def once() -> int:
        return await naive.run(connect.members)

    figures: dict[str, Any] = {}
    await meter.measure("first sync", once)
    server.call("set_latency", args.latency)
    figures["state_bytes"] = database.stat().st_size
    if args.steps == "first":
        return figures
    await meter.measure("second cycle", once)
    await meter.measure("quiet cycle", once)
    if args.steps == "quiet":
        return figures
    server.call("edit", 10)
    await meter.measure("10 edits", once)

    async def restart() -> int:
        nonlocal naive
        naive = NaiveSync(providers, database, args.concurrency)
        return await once()

    await meter.measure("restart", restart)
    return figures


def main() -> None:
    """Run one scenario and write its figures as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--kind", choices=("google", "caldav"), default="google")
    parser.add_argument("--strategy", choices=("ours", "naive"), default="ours")
    parser.add_argument("--events", type=int, default=500)
    parser.add_argument("--sizes", default="", help="events a calendar, e.g. 10,20,40")
    parser.add_argument("--latency", type=float, default=0.03)
    parser.add_argument(
        "--setup-latency", type=float, default=None, help="latency of the first sync"
    )
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--steps", choices=("all", "first", "quiet"), default="all")
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    if args.setup_latency is None:
        args.setup_latency = args.latency
    figures = asyncio.run(run(args))
    Path(args.out).write_text(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
