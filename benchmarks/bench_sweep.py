"""Sweeps: the closed-form command end to end, and the simulator from one worker to two.

``sweep command``: ``ukspace-lab sweep --engine closed`` run in this process
(imports and a small warm-up sweep first: start-up excluded) on 256,000 points
x 6 strategies to Parquet, without the cache and with a cold one; the baseline
is the closed form alone (``evaluate_arrays``) on the same points, in the same run.

``sim sweep workers``: a sim sweep of 8 points with one and with two local
worker processes (no cache), after one sweep that starts the workers'
forkserver; the ratio is the speed-up.
"""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from ukspace_lab import load_scenario
from ukspace_lab.cli import main as command
from ukspace_lab.model.closed import evaluate_arrays
from ukspace_lab.model.inputs import points_from_variants
from ukspace_lab.study.axes import parse_axes
from ukspace_lab.study.grid import make_grid
from ukspace_lab.study.sweep import run_sweep

from .common import QUICK, figure, median_time, rate


def cli(args: list[str]) -> int:
    """The command in this process, its one-line summary swallowed."""
    with contextlib.redirect_stdout(io.StringIO()):
        return command(args)

STRATEGIES = ["mainline", "highpte", "ukspace", "ukspace-pt", "kmap-local", "4g4g"]
# 100 x 10 x 16 x 16 = 256,000 points
AXES = (["tasks=10:10000:4", "ram=1GiB:64GiB:4", "pool_entries=8:512:4"] if QUICK else
        ["tasks=10:10000:100", "ram=1GiB:64GiB:10", "pool_entries=8:512:16", "cpus=1:64:16"])
SIM_AXES = {"tasks": [50, 100], "pool_entries": [16]} if QUICK else \
    {"tasks": [50, 100, 200, 400], "pool_entries": [16, 64]}
SIM_SECONDS = 0.02 if QUICK else 2.0
AIM = 1e6


def bench_command() -> None:
    scn = load_scenario("default", {"strategies": STRATEGIES})
    axes = parse_axes(AXES)
    grid = make_grid(scn, axes)
    n = len(grid) * len(STRATEGIES)
    args = ["sweep", "default", "--set", f"strategies=[{','.join(STRATEGIES)}]",
            "--no-progress", *[x for a in AXES for x in ("--axis", a)]]
    points = replace(points_from_variants(scn, {a.name: a.scenarios for a in grid.axes}),
                     axes=())
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "sweep.parquet"
        cli([*args[:2], "--axis", "tasks=10,20", "--no-progress", "--no-cache",
             "--out", str(out)])                                     # warm-up: imports
        t_bare = median_time(lambda: evaluate_arrays(points, STRATEGIES))
        t_cmd = median_time(lambda: cli([*args, "--no-cache", "--out", str(out)]))
        cpu_bare = median_time(lambda: evaluate_arrays(points, STRATEGIES),
                               clock=time.process_time)
        cpu_cmd = median_time(lambda: cli([*args, "--no-cache", "--out", str(out)]),
                              clock=time.process_time)

        def cold_cache() -> float:
            os.environ["UKSPACE_LAB_CACHE"] = tempfile.mkdtemp(dir=tmp)
            try:
                t0 = time.perf_counter()
                cli([*args, "--out", str(out)])
                return time.perf_counter() - t0
            finally:
                del os.environ["UKSPACE_LAB_CACHE"]
        t_cache = sorted(cold_cache() for _ in range(3 if not QUICK else 1))[(1 if not QUICK
                                                                             else 0)]
    figure("sweep command", f"sweep --engine closed, {len(grid):,} points x {len(STRATEGIES)} "
           f"strategies to Parquet, start-up excluded: {rate(n / t_cmd, 'strategy-points')} "
           f"({t_cmd:.2f} s, --no-cache), {rate(n / t_cache, 'strategy-points')} with a cold "
           f"cache ({t_cache:.2f} s); baseline the closed form alone {rate(n / t_bare)} "
           f"({t_bare:.2f} s): command / closed form = {t_bare / t_cmd:.2f}; aim "
           f"{rate(AIM)}: {n / t_cmd / AIM:.2f} of it. In CPU time (one process): command "
           f"{rate(n / cpu_cmd, 'strategy-points')} ({cpu_cmd:.2f} s), closed form alone "
           f"{rate(n / cpu_bare)} ({cpu_bare:.2f} s): {cpu_bare / cpu_cmd:.2f}")


def bench_sim_workers() -> None:
    scn = load_scenario("default", {"strategies": ["mainline", "ukspace"]})
    n = len(make_grid(scn, SIM_AXES))

    def sweep(workers: int) -> None:
        run_sweep(scn, SIM_AXES, engine="sim", workers=workers, cache=False, progress=False,
                  sim_seconds=SIM_SECONDS)

    sweep(2)          # start the forkserver (imports, the simulator's compiled code) once
    one = median_time(lambda: sweep(1))
    two = median_time(lambda: sweep(2))
    figure("sim sweep workers", f"sim sweep, {n} points x 2 strategies, {SIM_SECONDS:g} "
           f"simulated s each, local processes: 1 worker {one:.2f} s, 2 workers {two:.2f} s: "
           f"speed-up {one / two:.2f}x (aim 1.8x)")


def main() -> None:
    bench_command()
    bench_sim_workers()


if __name__ == "__main__":
    main()
