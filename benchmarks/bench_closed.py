"""Closed-form engine throughput: strategy-points per second, vectorised vs point by point.

The same evaluation twice in one run: one numpy call over a large grid, and a
plain Python loop that evaluates one point at a time. Prints medians and the ratio.
"""

from __future__ import annotations

import statistics
import time

import numpy as np

from ukspace_lab import load_scenario, points_from_arrays
from ukspace_lab.model.closed import evaluate_arrays, evaluate_strategy
from ukspace_lab.model.strategies import strategy_table

GRID_POINTS = 1_000_000
LOOP_POINTS = 200
REPEATS = 3


def _grid(scn, n: int):
    rng = np.random.default_rng(1)
    return points_from_arrays(scn, {
        "tasks": rng.integers(1, 5000, n).astype(float),
        "ram": rng.choice([1, 4, 16, 64], n) * float(1 << 30),
        "pool": rng.choice([8, 32, 128, 512], n).astype(float),
        "cpus": rng.choice([1, 2, 8, 16, 32], n).astype(float),
    })


def _time(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main() -> None:
    scn = load_scenario("default")
    strategies = [strategy_table()[s] for s in scn.strategies]
    big = _grid(scn, GRID_POINTS)
    singles = [_grid(scn, 1) for _ in range(1)]
    small = _grid(scn, LOOP_POINTS)
    singles = [points_from_arrays(scn, {k: small[k][i:i + 1] for k in
                                        ("tasks", "ram", "pool", "cpus")})
               for i in range(LOOP_POINTS)]

    def vectorised() -> None:
        evaluate_arrays(big, scn.strategies)

    def per_point() -> None:
        for p in singles:
            for s in strategies:
                evaluate_strategy(p, s)

    vec = [_time(vectorised) for _ in range(REPEATS)]
    loop = [_time(per_point) for _ in range(REPEATS)]
    vec_rate = GRID_POINTS * len(strategies) / statistics.median(vec)
    loop_rate = LOOP_POINTS * len(strategies) / statistics.median(loop)
    print(f"closed form, {GRID_POINTS:,} points x {len(strategies)} strategies "
          f"(median of {REPEATS})")
    print(f"  vectorised     : {vec_rate:14,.0f} strategy-points/s "
          f"({statistics.median(vec):.2f} s per grid)")
    print(f"  point by point : {loop_rate:14,.0f} strategy-points/s")
    print(f"  ratio          : {vec_rate / loop_rate:14,.0f}x")


if __name__ == "__main__":
    main()
