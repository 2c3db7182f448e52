"""Sweep throughput: the closed form over a million-point grid, and the simulator's
speed-up from one local worker to two, both measured in one run.

The closed-form grid is 100 task counts x 10 RAM sizes x 10 pool sizes x 10
read rates x 10 CPU counts through :func:`ukspace_lab.sweep.run_sweep` (one
vectorised call, the tidy table built, no cache), for two strategies so the
table (2 million rows) fits a shared machine. The simulator sweep runs the same
points with one and with two worker processes (no cache) and prints the ratio.
Medians of a few repeats.
"""

from __future__ import annotations

import statistics
import time

from ukspace_lab import load_scenario
from ukspace_lab.study.axes import parse_axes
from ukspace_lab.study.sweep import run_sweep

GRID_AXES = ["tasks=10:10000:100", "ram=1GiB:64GiB:10", "pool_entries=8:512:10",
             "reads_per_s=0:2000:10", "cpus=1:64:10"]
GRID_STRATEGIES = ["mainline", "ukspace"]
SIM_AXES = {"tasks": [50, 100, 200, 400], "pool_entries": [16, 64]}
SIM_SECONDS = 4.0
REPEATS = 3


def _median_time(fn) -> float:
    times = []
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def bench_closed() -> None:
    scn = load_scenario("default", {"strategies": GRID_STRATEGIES})
    axes = parse_axes(GRID_AXES)
    n = 1
    for values in axes.values():
        n *= len(values)
    run_sweep(scn, axes, cache=False, progress=False)          # warm-up: page faults, imports
    t = _median_time(lambda: run_sweep(scn, axes, cache=False, progress=False))
    print(f"closed form, {n:,} points x {len(GRID_STRATEGIES)} strategies via run_sweep "
          f"(median of {REPEATS})")
    print(f"  {t:.2f} s per grid: {n / t:12,.0f} points/s, "
          f"{n * len(GRID_STRATEGIES) / t:12,.0f} strategy-points/s")


def _sim_engine() -> tuple[str, dict]:
    try:
        from ukspace_lab.sim import simulate  # noqa: F401
    except ImportError:
        return "closed-point", {}
    return "sim", {"sim_seconds": SIM_SECONDS}


def bench_sim_speedup() -> None:
    scn = load_scenario("default", {"strategies": ["mainline", "ukspace"]})
    engine, extra = _sim_engine()
    n = len(SIM_AXES["tasks"]) * len(SIM_AXES["pool_entries"])
    if engine != "sim":
        print("ukspace_lab.sim.simulate is not built: timing the per-point closed form "
              "through the same executor instead")

    def sweep(workers: int) -> None:
        run_sweep(scn, SIM_AXES, engine=engine, workers=workers, cache=False,
                  progress=False, **extra)

    one = _median_time(lambda: sweep(1))
    two = _median_time(lambda: sweep(2))
    print(f"{engine} sweep, {n} points, local processes (median of {REPEATS})")
    print(f"  1 worker : {one:6.2f} s ({n / one:6.1f} points/s)")
    print(f"  2 workers: {two:6.2f} s ({n / two:6.1f} points/s)")
    print(f"  speed-up : {one / two:6.2f}x")


def main() -> None:
    bench_closed()
    bench_sim_speedup()


if __name__ == "__main__":
    main()
