"""Where the verdict flips: break-even points and the cost figures that matter.

Both sweep the closed form (:func:`ukspace_lab.model.closed.evaluate_points`)
with all other inputs fixed: thread counts and swapout scan rates for the
break-even points, each cost figure doubled and halved for the sensitivity.
The records hold numbers; :mod:`ukspace_lab.present.findings` words them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..model.closed import evaluate_points
from ..model.costs import COST_FIELDS, cost_sources
from ..model.inputs import Points, points_from_arrays, points_from_scenario
from ..model.kernel import kernel_era
from ..model.scenario import Scenario
from .rows import CPU_NOISE_PCT, MAX_SCAN_SWEPT, MAX_THREADS_SWEPT, TIE_RATIO, Row


@dataclass(frozen=True)
class BreakEven:
    """Where a comparison flips when one input is swept (others fixed)."""

    name: str
    axis: str
    value: float | None       # None: no flip within the searched range
    current: float
    searched_to: float | None = None
    strategy: str = ""        # tasks_*: whose ceiling
    limit: str = ""           # tasks_*: the limit that binds it
    metric: str = ""          # threads_*: the result compared


@dataclass(frozen=True)
class CostSensitivity:
    """How the CPU gap (baseline minus proposal, points of CPU) moves with one figure."""

    name: str
    value: float
    basis: str                # estimate, sourced, or scenario (overridden)
    source: str
    gap: float
    gap_doubled: float
    gap_halved: float

    @property
    def swing(self) -> float:
        return max(abs(self.gap_doubled - self.gap), abs(self.gap_halved - self.gap))

    @property
    def flips(self) -> bool:
        """Does doubling or halving the figure change who is cheaper?"""
        return any(abs(g) > CPU_NOISE_PCT and np.sign(g) != np.sign(self.gap)
                   for g in (self.gap_doubled, self.gap_halved)) and abs(self.gap) > CPU_NOISE_PCT


# --- break-even points ----------------------------------------------------------

def _crossing(a: np.ndarray, b: np.ndarray, noise: float, plain: bool) -> int | None:
    """Where ``a`` overtakes ``b``: None unless somewhere a exceeds b by more than
    ``noise`` and 10%; else the start of the run of points leading there where
    a > b (``plain``) or where a exceeds b by more than the noise."""
    big = (a - b > noise) & (a > b * TIE_RATIO)
    idx = np.flatnonzero(big)
    if not idx.size:
        return None
    run = a > b if plain else big
    i = int(idx[0])
    while i > 0 and run[i - 1]:
        i -= 1
    return i


def _pair(scn: Scenario, arrays: dict[str, np.ndarray], p: str, b: str, col: str):
    df = evaluate_points(points_from_arrays(scn, arrays), [p, b])
    return (df[df["strategy"] == p][col].to_numpy(), df[df["strategy"] == b][col].to_numpy())


THREAD_SWEEPS = (("ipis_per_s", 10.0), ("cpu_overhead_pct", CPU_NOISE_PCT))


def break_evens(scn: Scenario, by: dict[str, Row], p: str, b: str) -> tuple[BreakEven, ...]:
    """Task ceilings, and the thread count and swapout scan rate at which the
    proposal's IPIs or CPU time overtake the baseline's (closed-form sweeps)."""
    w = scn.workload
    out = []
    for name in (b, p):
        r = by[name]
        out.append(BreakEven(f"tasks_{name}", "workload.tasks", r.max_tasks + 1, w.tasks,
                             strategy=name, limit=r.task_limit))
    top = int(min(MAX_THREADS_SWEPT, kernel_era(scn.machine.kernel).pid_max // w.tasks))
    if top >= 2:
        threads = np.arange(1, top + 1, dtype=float)
        for col, noise in THREAD_SWEEPS:
            pv, bv = _pair(scn, {"threads": threads}, p, b, col)
            i = _crossing(pv, bv, noise, plain=False)
            value = None if i is None else float(threads[i])
            out.append(BreakEven(f"threads_{col}", "workload.threads_per_task", value,
                                 w.threads_per_task, float(top), metric=col))
    out.append(_scan_break_even(scn, p, b))
    return tuple(out)


def _scan_break_even(scn: Scenario, p: str, b: str) -> BreakEven:
    """The swapout scan rate (PTEs/s) above which the proposal costs more CPU."""
    cur = scn.workload.scan_pages_per_s
    grid = np.concatenate([[0.0], np.logspace(0, np.log10(MAX_SCAN_SWEPT), 141)])
    pv, bv = _pair(scn, {"scan_pages_per_s": grid}, p, b, "cpu_overhead_pct")
    i = _crossing(pv, bv, CPU_NOISE_PCT, plain=True)
    key = "workload.scan_pages_per_s"
    if i is None:
        return BreakEven("scan_cpu", key, None, cur, MAX_SCAN_SWEPT)
    if i == 0:
        return BreakEven("scan_cpu", key, 0.0, cur, MAX_SCAN_SWEPT)
    fine = np.linspace(grid[i - 1], grid[i], 401)
    pv, bv = _pair(scn, {"scan_pages_per_s": fine}, p, b, "cpu_overhead_pct")
    j = np.flatnonzero(pv > bv)
    value = float(f"{fine[int(j[0]) if j.size else -1]:.2g}")
    return BreakEven("scan_cpu", key, value, cur, MAX_SCAN_SWEPT)


# --- which cost figures matter ---------------------------------------------------

def cost_sensitivity(scn: Scenario, p: str, b: str, top: int = 5) -> tuple[CostSensitivity, ...]:
    """The cost figures that move the CPU gap most when doubled or halved."""
    names = [n for n in COST_FIELDS if n != "clock_hz"]
    base = points_from_scenario(scn)
    n = 1 + 2 * len(names)
    cols = {k: np.repeat(v[:1], n) for k, v in base.columns.items()}
    for i, name in enumerate(names):
        cols[f"cost.{name}"][1 + 2 * i] *= 2.0
        cols[f"cost.{name}"][2 + 2 * i] *= 0.5
    df = evaluate_points(Points(columns=cols, axes=()), [p, b])
    gap = (df[df["strategy"] == b]["cpu_overhead_pct"].to_numpy()
           - df[df["strategy"] == p]["cpu_overhead_pct"].to_numpy())
    sources = cost_sources(scn.machine.cpu_model)
    out = []
    for i, name in enumerate(names):
        src = sources.get(name, "")
        basis = ("scenario" if name in scn.costs else
                 "estimate" if src.startswith("estimate") else "sourced")
        out.append(CostSensitivity(name, float(base.cost(name)[0]), basis, src,
                                   float(gap[0]), float(gap[1 + 2 * i]), float(gap[2 + 2 * i])))
    out.sort(key=lambda s: (-round(s.swing, 12), s.name))
    return tuple(s for s in out[:top] if s.swing > 0)
