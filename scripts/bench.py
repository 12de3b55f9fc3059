"""Benchmarks of the sync beside the naive way and the goals of issue 12.

Every scenario runs in a process of its own (`bench_family`, `bench_planning`), its
servers in yet another, so that each CPU, memory and disk figure is one sync's. The
naive reference (`bench_baseline`) runs on the same servers through the same
providers. Prints Markdown tables; draws the chart. Figures to read, not thresholds
to pass.

`scripts/bench` runs the published scale (about 40 minutes on two cores);
`scripts/bench --quick` a small family in about two minutes (three on two cores
shared with other jobs; most of it is starting processes and Radicale's writes).
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
import json
import os
from pathlib import Path
import shutil
import subprocess
import sys
import time
from types import ModuleType
from typing import Any

from scripts import bench_family, bench_planning
from scripts.bench_chart import Series, draw_chart
from scripts.bench_report import Results, print_report

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True, kw_only=True)
class Scale:
    """How big each scenario is."""

    google_events: int
    """Events per source calendar of the family on the fake Google API."""
    caldav_events: int
    """... on Radicale, which writes each event to disk and is slower."""
    planning_events: int
    """Originals per member (5 members) planned in memory."""
    growth_events: tuple[int, int, int]
    """Sizes (1x, 2x, 4x) for the growth of a quiet cycle and of the first sync."""
    chart: Path


QUICK = Scale(
    google_events=20,
    caldav_events=12,
    planning_events=2000,
    growth_events=(10, 20, 40),
    chart=ROOT / ".bench" / "benchmark-quick.png",
)
MEDIUM = Scale(
    google_events=200,
    caldav_events=25,
    planning_events=10000,
    growth_events=(50, 100, 200),
    chart=ROOT / "docs" / "benchmark.png",
)
FULL = Scale(
    google_events=500,
    caldav_events=50,
    planning_events=10000,
    growth_events=(125, 250, 500),
    chart=ROOT / "docs" / "benchmark.png",
)


class Runner:
    """Runs scenario processes and keeps what they wrote."""

    def __init__(self, directory: Path) -> None:
        """Keep scratch files and results under `directory`."""
        self.directory = directory
        self._count = 0

    def run(self, module: ModuleType, **options: Any) -> dict[str, Any]:
        """Run `python -m <module>` with `options`; return its figures."""
        self._count += 1
        name = module.__name__
        out = self.directory / f"{self._count:02}-{name}.json"
        command = [sys.executable, "-m", name, "--out", str(out)]
        if module is bench_family:
            # A state left by an earlier run would be loaded against new servers.
            workdir = self.directory / f"{self._count:02}-work"
            shutil.rmtree(workdir, ignore_errors=True)
            options["workdir"] = str(workdir)
        for option, value in options.items():
            command += [f"--{option.replace('_', '-')}", str(value)]
        described = " ".join(f"{k}={v}" for k, v in options.items() if k != "workdir")
        print(f"running {name} {described}", file=sys.stderr, flush=True)
        began = time.monotonic()
        subprocess.run(  # noqa: S603 - our own scripts, with our own options
            command, check=True, cwd=ROOT, env=os.environ | {"PYTHONPATH": str(ROOT)}
        )
        figures: dict[str, Any] = json.loads(out.read_text())
        figures["process_seconds"] = time.monotonic() - began
        return figures


def main() -> None:
    """Run every scenario, print the tables and draw the chart."""
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="a small family (about two minutes)"
    )
    parser.add_argument(
        "--medium",
        action="store_true",
        help="200 events a calendar instead of the issue's 500 (about 15 minutes)",
    )
    args = parser.parse_args()
    name, scale = (
        ("quick", QUICK)
        if args.quick
        else ("medium", MEDIUM)
        if args.medium
        else ("full", FULL)
    )
    directory = ROOT / ".bench" / name
    directory.mkdir(parents=True, exist_ok=True)
    runner = Runner(directory)
    began = time.monotonic()
    google = {"kind": "google", "events": scale.google_events, "latency": 0.03}
    caldav = {"kind": "caldav", "events": scale.caldav_events, "latency": 0}
    results = Results(
        latency=0.03,
        google_events=scale.google_events,
        caldav_events=scale.caldav_events,
        ours=runner.run(bench_family, **google, strategy="ours"),
        naive=runner.run(bench_family, **google, strategy="naive"),
        ours_c8=runner.run(
            bench_family, **google, strategy="ours", concurrency=8, steps="first"
        ),
        caldav_ours=runner.run(bench_family, **caldav, strategy="ours"),
        caldav_naive=runner.run(bench_family, **caldav, strategy="naive"),
        planning=runner.run(bench_planning, events=scale.planning_events),
        growth={
            strategy: runner.run(
                bench_family,
                kind="google",
                sizes=",".join(map(str, scale.growth_events)),
                latency=0.03,
                setup_latency=0,
                strategy=strategy,
                steps="quiet",
            )["sizes"]
            for strategy in ("ours", "naive")
        },
        growth_events=scale.growth_events,
    )
    (directory / "results.json").write_text(json.dumps(results.__dict__, indent=1))
    print_report(results)
    draw_chart(
        scale.chart,
        [run_["copies"] for run_ in results.growth["ours"]],
        [
            Series.of(name, [run_["steps"] for run_ in results.growth[strategy]])
            for name, strategy in (("this integration", "ours"), ("naive", "naive"))
        ],
    )
    minutes = (time.monotonic() - began) / 60
    print(
        f"\nchart: {scale.chart.relative_to(ROOT)}; the run took {minutes:.1f} minutes"
    )


if __name__ == "__main__":
    main()
