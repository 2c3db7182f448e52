"""02: lowmem against the task count, and where each design runs out."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...model.closed import evaluate, evaluate_points
from ...model.inputs import points_from_arrays
from ...model.kernel import kernel_era
from ...model.memory import budget
from ...model.scenario import Scenario
from ...model.strategies import strategy
from .common import by_strategy, sweep

TASK_GRID_POINTS = 48          # geometric task counts on the task sweep


def _task_cap(scn: Scenario) -> int:
    return kernel_era(scn.machine.kernel).pid_max // scn.workload.threads_per_task


def task_grid(scn: Scenario, n: int = TASK_GRID_POINTS) -> list[int]:
    """Task counts from 1 to past the last strategy's run-out (at most PID_MAX),
    including each run-out point, the one after it and the scenario's own counts."""
    limits = evaluate(scn)["max_tasks"].to_numpy()
    finite = limits[np.isfinite(limits) & (limits > 0)]
    wanted = [scn.workload.tasks, *scn.sweep.get("tasks", [])]
    top = max([2 * int(finite.max()) if finite.size else 1, *map(int, wanted), 2])
    top = min(top, _task_cap(scn))
    grid = set(np.unique(np.geomspace(1, top, n).round().astype(int)).tolist())
    grid |= {int(t) for t in wanted if int(t) <= top}
    grid |= {int(m) + d for m in finite for d in (0, 1) if 1 <= int(m) + d <= top}
    return sorted(grid)


def task_sweep(scn: Scenario, tasks: list[int] | None = None) -> pd.DataFrame:
    """Lowmem used and free against the task count, one row per count and strategy."""
    df = sweep(scn, {"tasks": tasks or task_grid(scn)})
    cols = ["tasks", "strategy", "lowmem_bytes", "lowmem_used_bytes", "lowmem_free_bytes",
            "pagetable_lowmem_bytes", "max_tasks", "boots"]
    return by_strategy(df[cols], ["tasks"])


def task_runout(scn: Scenario) -> pd.DataFrame:
    """Per strategy: the largest task count that fits and the limit that binds it
    (lowmem, RAM when highmem and its lowmem overflow are full, PID_MAX, or a mem_map
    that does not fit), as memory.budget names it."""
    res = evaluate(scn)
    cap = _task_cap(scn)
    rows = []
    for r in res.to_dict(orient="records"):
        m = float(r["max_tasks"])
        if not r["boots"]:
            limit = "mem_map does not fit"
        elif m >= cap:
            limit = "PID_MAX"
        else:
            limit = str(budget(points_from_arrays(scn, {"tasks": np.array([m + 1])}),
                               strategy(r["strategy"])).task_limit[0])
        at = evaluate_points(points_from_arrays(scn, {"tasks": np.array([max(m, 1)])}),
                             [r["strategy"]]).iloc[0]
        rows.append({"strategy": r["strategy"], "max_tasks": m, "limit": limit,
                     "lowmem_used_at_max_bytes": at["lowmem_used_bytes"],
                     "lowmem_bytes": r["lowmem_bytes"], "scenario_tasks": scn.workload.tasks,
                     "fits": bool(m >= scn.workload.tasks)})
    return pd.DataFrame(rows)
