"""04: the kmap pool size against flushes, IPIs and CPU, closed form and simulator."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...model.scenario import Scenario
from .common import by_strategy, only, sim_available, sweep
from .tasks import _task_cap

POOL_GRID = (8, 16, 32, 64, 128, 256, 512, 1024)


SIM_POOL_GRID = (8, 64, 512)   # pool sizes the simulator also plays


SIM_SECONDS = 0.2              # simulated seconds per simulator point


THREADED_DEFAULT = 8           # threads per task of the "threaded" pool variant


POOL_COMPARE = ("mainline", "ukspace", "ukspace-kmap")


POOL_METRICS = ("global_tlb_flushes_per_s", "ipis_per_s", "local_tlb_flushes_per_s",
                "cpu_overhead_pct")


def threaded_count(scn: Scenario) -> int:
    """Threads per task of the pool sweep's threaded variant."""
    t = scn.workload.threads_per_task
    return t if t > 1 else min(THREADED_DEFAULT, max(_task_cap(scn) // scn.workload.tasks, 1))


def pool_sweep(scn: Scenario, pool: list[int] | None = None, *, sim: bool = True,
               sim_pool: list[int] | None = None,
               sim_seconds: float = SIM_SECONDS) -> pd.DataFrame:
    """Flushes, IPIs and CPU cost against the pool size, for the global pkmap
    (mainline) and the per-task pool, with and without the context-switch
    piggyback, single-threaded and threaded; closed form on the whole grid and
    the simulator on a few pool sizes (``engine`` column)."""
    pool = pool or list(POOL_GRID)
    base = only(scn, POOL_COMPARE)
    threads = sorted({1, threaded_count(scn)})
    axes = {"pool_entries": pool, "ukspace.piggyback": [True, False],
            "threads_per_task": threads}
    frames = [sweep(base, axes)]
    if sim and sim_available():
        sp = sim_pool or [x for x in SIM_POOL_GRID if min(pool) <= x <= max(pool)] or pool[:1]
        frames.append(sweep(base, {**axes, "pool_entries": sp}, engine="sim",
                            sim_seconds=sim_seconds))
    df = pd.concat(frames, ignore_index=True)
    df = df.rename(columns={"ukspace.piggyback": "piggyback"})
    df["piggyback"] = df["piggyback"].astype(bool)
    df["threads_per_task"] = df["threads_per_task"].astype(int)
    df["pool_entries"] = df["pool_entries"].astype(int)
    df["threading"] = np.where(df["threads_per_task"] > 1,
                               "threaded (" + df["threads_per_task"].astype(str) + "/task)",
                               "single-threaded")
    cols = ["pool_entries", "piggyback", "threads_per_task", "threading", "strategy",
            "engine", *POOL_METRICS, "kmap_new_per_s", "kmap_hits_per_s"]
    return by_strategy(df[cols], ["engine", "threads_per_task", "piggyback", "pool_entries"])


def pool_long(df: pd.DataFrame) -> pd.DataFrame:
    """The pool sweep melted to one row per metric (for faceted plots)."""
    ids = ["pool_entries", "piggyback", "threading", "strategy", "engine"]
    return df.melt(id_vars=ids, value_vars=list(POOL_METRICS), var_name="metric")


def pool_agreement(df: pd.DataFrame) -> pd.DataFrame:
    """Closed form against simulator at the points both ran: one row per point,
    strategy and metric where either is non-zero, with both values and sim / closed."""
    keys = ["pool_entries", "piggyback", "threads_per_task", "strategy"]
    closed = df[df["engine"] == "closed"].set_index(keys)
    sim = df[df["engine"] == "sim"].set_index(keys)
    both = closed.index.intersection(sim.index)
    rows = []
    for key in both:
        for m in POOL_METRICS:
            c, s = float(closed.loc[key, m]), float(sim.loc[key, m])
            if c == 0 and s == 0:
                continue
            rows.append({**dict(zip(keys, key, strict=True)), "metric": m, "closed": c,
                         "sim": s, "sim_over_closed": s / c if c else np.inf})
    return pd.DataFrame(rows, columns=[*keys, "metric", "closed", "sim", "sim_over_closed"])
