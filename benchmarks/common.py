"""What every benchmark shares: the figure names, quick mode, repeats and the printout.

Each figure is printed as one ``[name]`` line: its median rate over the
repeats, the baseline measured in the same run, and their ratio. ``--quick``
shrinks every size (a smoke test of the printout, not a measurement).
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable

FIGURES = ("closed form", "closed form scalar baseline", "sweep command", "simulator default",
           "simulator flush-heavy", "sim sweep workers", "report", "report parts")
QUICK = os.environ.get("UKSPACE_BENCH_QUICK") == "1"
REPEATS = int(os.environ.get("UKSPACE_BENCH_REPEATS", "1" if QUICK else "3"))


def size(full: int, quick: int) -> int:
    """A problem size: ``full`` normally, ``quick`` under ``--quick``."""
    return quick if QUICK else full


def timed(fn: Callable[[], object], clock: Callable[[], float] = time.perf_counter) -> float:
    t0 = clock()
    fn()
    return clock() - t0


def median_time(fn: Callable[[], object], repeats: int | None = None,
                clock: Callable[[], float] = time.perf_counter) -> float:
    """Median seconds of ``repeats`` calls of ``fn``."""
    return statistics.median(timed(fn, clock) for _ in range(repeats or REPEATS))


def figure(name: str, text: str) -> None:
    """Print one figure line (``name`` from FIGURES)."""
    assert name in FIGURES, name
    print(f"[{name}] {text}", flush=True)


def rate(x: float, unit: str = "") -> str:
    """A rate as ``1.23 M unit/s`` (or k)."""
    unit = f" {unit}" if unit else ""
    return f"{x / 1e6:.2f} M{unit}/s" if x >= 1e5 else f"{x / 1e3:.2f} k{unit}/s"
