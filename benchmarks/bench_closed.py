"""Closed-form engine throughput: strategy-points per second on one core.

The same evaluation twice in one run: ``evaluate_arrays`` over a 1 M-point
grid (8 strategies), and point by point. There is no plain-Python scalar path
of the formulas in the model, so the point-by-point baseline is the closed
form called on 1-point inputs (numpy on 1-element arrays), as the issue's
table says; the two must give the same numbers for the same points.
"""

from __future__ import annotations

import time

import numpy as np

from ukspace_lab import load_scenario, points_from_arrays
from ukspace_lab.model.closed import evaluate_arrays

from .common import figure, median_time, rate, size

GRID_POINTS = size(1_000_000, 20_000)
LOOP_POINTS = size(300, 20)
AIM = 5e6


def _grid(scn, n: int):
    rng = np.random.default_rng(1)
    return points_from_arrays(scn, {
        "tasks": rng.integers(1, 5000, n).astype(float),
        "ram": rng.choice([1, 4, 16, 64], n) * float(1 << 30),
        "pool": rng.choice([8, 32, 128, 512], n).astype(float),
        "cpus": rng.choice([1, 2, 8, 16, 32], n).astype(float),
    })


def main() -> None:
    scn = load_scenario("default")
    names = list(scn.strategies)
    big = _grid(scn, GRID_POINTS)
    singles = [big.slice(i, i + 1) for i in range(LOOP_POINTS)]
    evaluate_arrays(big.slice(0, 1000), names)                       # warm-up
    t_vec = median_time(lambda: evaluate_arrays(big, names), clock=time.process_time)
    t_one = median_time(lambda: [evaluate_arrays(p, names) for p in singles],
                        clock=time.process_time)
    vec = GRID_POINTS * len(names) / t_vec
    per_point = LOOP_POINTS * len(names) / t_one
    grid = evaluate_arrays(big.slice(0, LOOP_POINTS), names)
    ones = [evaluate_arrays(p, names) for p in singles[:20]]
    same = all(np.array_equal(np.asarray(one[n][k]).reshape(-1), np.asarray(grid[n][k])[i:i + 1])
               for i, one in enumerate(ones) for n in names for k in grid[n])
    unit = "strategy-points"
    figure("closed form", f"{GRID_POINTS:,} points x {len(names)} strategies, one core (CPU "
           f"time): {rate(vec, unit)} ({t_vec:.2f} s); aim {rate(AIM)}: "
           f"{vec / AIM:.2f} of it")
    figure("closed form scalar baseline", f"point by point (the closed form on 1-point "
           f"inputs, no plain-Python path exists): {rate(per_point, unit)}; vectorised / "
           f"point by point = {vec / per_point:,.0f}x; same numbers at 20 points: {same}")


if __name__ == "__main__":
    main()
