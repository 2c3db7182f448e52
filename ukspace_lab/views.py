"""The tables each notebook plots: tidy DataFrames computed by the engines.

One function per view. Sweeps go through :func:`ukspace_lab.sweep.run_sweep`
(cached on disk) when that module is present, else straight through the
closed form (:func:`ukspace_lab.closed.evaluate`) and the event simulator
(:func:`ukspace_lab.sim.simulate`). Nothing here plots; :mod:`ukspace_lab.plots`
draws these frames.
"""

from __future__ import annotations

import importlib
import itertools
from typing import Any

import numpy as np
import pandas as pd

from .closed import evaluate, evaluate_points
from .inputs import points_from_arrays, points_from_scenario
from .kernel import ERAS, kernel_era
from .memory import budget
from .scenario import STRATEGIES, Scenario
from .strategies import strategy
from .units import GiB, parse_size

TASK_GRID_POINTS = 48          # geometric task counts on the task sweep
RAM_GRID_GIB = (1, 2, 4, 8, 16, 32, 64)
POOL_GRID = (8, 16, 32, 64, 128, 256, 512, 1024)
SIM_POOL_GRID = (8, 64, 512)   # pool sizes the simulator also plays
SIM_SECONDS = 0.2              # simulated seconds per simulator point
THREADED_DEFAULT = 8           # threads per task of the "threaded" pool variant
POOL_COMPARE = ("mainline", "ukspace", "ukspace-kmap")
POOL_METRICS = ("global_tlb_flushes_per_s", "ipis_per_s", "local_tlb_flushes_per_s",
                "cpu_overhead_pct")
RATE_METRICS = ("highmem_cache_fraction", "kmaps_per_s", "global_tlb_flushes_per_s",
                "ipis_per_s", "local_tlb_flushes_per_s", "invlpg_per_s", "cpu_overhead_pct")


def _optional(module: str) -> Any | None:
    """An optional sibling module (sweep, sim, verdict), or None when not installed."""
    try:
        return importlib.import_module(f"ukspace_lab.{module}")
    except ModuleNotFoundError as exc:
        if exc.name != f"ukspace_lab.{module}":
            raise
        return None


def sim_available() -> bool:
    """Is the event simulator (ukspace_lab.sim) installed?"""
    return _optional("sim") is not None


def sweep(scn: Scenario, axes: dict[str, list], engine: str = "closed",
          sim_seconds: float | None = None) -> pd.DataFrame:
    """Tidy results over ``axes``: run_sweep (cached) when present, else the engines."""
    mod = _optional("sweep")
    if mod is not None and hasattr(mod, "run_sweep"):
        return mod.run_sweep(scn, axes, engine=engine, progress=False, sim_seconds=sim_seconds)
    if engine == "closed":
        out = evaluate(scn, axes)
        out["engine"] = "closed"
        return out
    sim = _optional("sim")
    if sim is None:
        raise RuntimeError("the simulator (ukspace_lab.sim) is not installed")
    frames = []
    names = list(axes)
    for values in itertools.product(*axes.values()):
        point = scn.with_overrides({_key(n): v for n, v in zip(names, values, strict=True)})
        frame = sim.simulate(point, seconds=sim_seconds, seed=scn.seed)
        for name, value in zip(names, values, strict=True):
            frame[name] = value
        frames.append(frame)
    out = pd.concat(frames, ignore_index=True)
    out["engine"] = "sim"
    return out


def _key(axis: str) -> str:
    from .inputs import axis_key
    return axis_key(axis)


def by_strategy(df: pd.DataFrame, then: list[str]) -> pd.DataFrame:
    """Rows sorted by strategy in the canonical order (mainline first), then ``then``."""
    rank = df["strategy"].map({s: i for i, s in enumerate(STRATEGIES)})
    return (df.assign(_rank=rank).sort_values(["_rank", *then], kind="stable")
            .drop(columns="_rank").reset_index(drop=True))


def only(scn: Scenario, names: tuple[str, ...] | list[str]) -> Scenario:
    """The scenario restricted to those of ``names`` it lists (all of its own if none)."""
    keep = [s for s in scn.strategies if s in names] or list(scn.strategies)
    return scn.with_overrides({"strategies": keep})


# --- 01: the proposal --------------------------------------------------------

def strategy_table(scn: Scenario) -> pd.DataFrame:
    """Per strategy: where PTE pages live, how they are reached, and what it costs."""
    res = evaluate(scn).set_index("strategy")
    rows = []
    for name in scn.strategies:
        s, r = strategy(name), res.loc[name]
        rows.append({
            "strategy": name, "pte_pages_in": s.pte_home, "own_pagetables_via": s.own_pt,
            "other_mm_pagetables_via": s.other_pt, "highmem_data_via": s.data,
            "region_bytes": r["region_bytes"], "pagetable_lowmem_bytes":
            r["pagetable_lowmem_bytes"], "lowmem_free_bytes": r["lowmem_free_bytes"],
            "max_tasks": r["max_tasks"], "invlpg_per_s": r["invlpg_per_s"],
            "global_tlb_flushes_per_s": r["global_tlb_flushes_per_s"],
            "local_tlb_flushes_per_s": r["local_tlb_flushes_per_s"],
            "cpu_overhead_pct": r["cpu_overhead_pct"]})
    return pd.DataFrame(rows)


def swapout_fallback(scn: Scenario, rates: list[float] | None = None) -> pd.DataFrame:
    """Global flushes and invlpgs against the swapout scan rate (other mms' PTE pages
    reached through the global kmap under the seed, kmap_atomic under highpte)."""
    rates = rates or sorted({0.0, 1e3, 1e4, 1e5, 1e6, float(scn.workload.scan_pages_per_s)})
    df = sweep(only(scn, ("mainline", "highpte", "ukspace", "ukspace-pt")),
               {"scan_pages_per_s": rates})
    return df[["scan_pages_per_s", "strategy", "global_tlb_flushes_per_s", "ipis_per_s",
               "invlpg_per_s", "cpu_overhead_pct"]].reset_index(drop=True)


# --- 02: the task sweep ------------------------------------------------------

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
    (lowmem, PID_MAX, highmem for highmem PTE pages, or a mem_map that does not fit)."""
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
            nxt = evaluate_points(points_from_arrays(scn, {"tasks": np.array([m + 1])}),
                                  [r["strategy"]])
            limit = "lowmem" if nxt["lowmem_free_bytes"].iloc[0] < 0 else "highmem"
        at = evaluate_points(points_from_arrays(scn, {"tasks": np.array([max(m, 1)])}),
                             [r["strategy"]]).iloc[0]
        rows.append({"strategy": r["strategy"], "max_tasks": m, "limit": limit,
                     "lowmem_used_at_max_bytes": at["lowmem_used_bytes"],
                     "lowmem_bytes": r["lowmem_bytes"], "scenario_tasks": scn.workload.tasks,
                     "fits": bool(m >= scn.workload.tasks)})
    return pd.DataFrame(rows)


# --- 03: the highmem sweep ---------------------------------------------------

def ram_grid(scn: Scenario) -> list[int]:
    """RAM sizes in bytes: 1..64 GiB in powers of two (4 GiB at most without PAE),
    plus the scenario's own sweep values."""
    top = 64 * GiB if scn.machine.arch == "i386-pae" else 4 * GiB
    grid = {g * GiB for g in RAM_GRID_GIB if g * GiB <= top}
    grid |= {parse_size(v) for v in scn.sweep.get("ram", []) if parse_size(v) <= top}
    grid.add(scn.machine.ram)
    return sorted(grid)


def mem_map_by_era(scn: Scenario, ram: list[int] | None = None) -> pd.DataFrame:
    """mem_map, lowmem, and the lowmem left after mem_map and the kernel image, per
    kernel era (sizeof(struct page) differs) against RAM, on a mainline split."""
    ram = ram or ram_grid(scn)
    base = scn.with_overrides({"strategies": ["mainline"]})
    p = points_from_scenario(base, {"ram": ram, "machine.kernel": list(ERAS)})
    b = budget(p, strategy("mainline"))
    return pd.DataFrame({
        "ram_bytes": p["ram"], "ram_gib": p["ram"] / GiB,
        "kernel": np.array(ERAS, dtype=object)[p["era_index"].astype(int)],
        "struct_page_bytes": p.era("struct_page"), "mem_map_bytes": b.mem_map,
        "lowmem_bytes": b.space.lowmem, "lowmem_left_bytes": b.space.lowmem - b.fixed,
        "boots": b.space.lowmem - b.fixed > 0})


def highmem_sweep(scn: Scenario, ram: list[int] | None = None) -> pd.DataFrame:
    """Per RAM size and strategy: lowmem left, highmem page-cache share, kmaps, flushes,
    IPIs, invlpg and CPU cost for the scenario's workload."""
    df = sweep(scn, {"ram": ram or ram_grid(scn)})
    df = df.rename(columns={"ram": "ram_bytes"})
    df["ram_gib"] = df["ram_bytes"] / GiB
    cols = ["ram_bytes", "ram_gib", "strategy", "lowmem_bytes", "lowmem_free_bytes",
            "highmem_bytes", "mem_map_bytes", "max_tasks", "boots", *RATE_METRICS]
    return by_strategy(df[cols], ["ram_bytes"])


# --- 04: the pool sweep ------------------------------------------------------

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


# --- 05: the verdict ---------------------------------------------------------

def headline(scn: Scenario) -> pd.DataFrame:
    """The closed-form result at the scenario's point, one row per strategy."""
    return evaluate(scn).drop(columns=["point"]).reset_index(drop=True)


def verdict_frames(v: Any) -> dict[str, pd.DataFrame]:
    """A :class:`ukspace_lab.verdict.Verdict` as tables: headline rows, the proposal
    against the baseline per metric, the findings and the break-even points."""
    comparisons = pd.DataFrame([{
        "metric": c.metric, v.proposal: c.proposal, v.baseline: c.baseline,
        "better": c.better, "factor": c.factor} for c in v.comparisons])
    findings = pd.DataFrame([{"topic": f.topic, "outcome": f.outcome, "finding": f.text}
                             for f in v.findings])
    breaks = pd.DataFrame([{"name": b.name, "axis": b.axis, "break_even": b.value,
                            "scenario": b.current, "meaning": b.text} for b in v.break_evens])
    return {"headline": v.frame(), "comparisons": comparisons, "findings": findings,
            "break_evens": breaks}


def writeup_text(scn: Scenario, scenario_name: str) -> str:
    """The plain-text mail of :func:`ukspace_lab.writeup.render_writeup`."""
    mod = _optional("writeup")
    if mod is None or not hasattr(mod, "render_writeup"):
        return "(ukspace_lab.writeup is not installed: no mail to show)"
    return mod.render_writeup(scn, scenario_name)


__all__ = [
    "POOL_COMPARE", "POOL_METRICS", "RATE_METRICS", "headline", "highmem_sweep",
    "by_strategy", "mem_map_by_era", "only", "pool_agreement", "verdict_frames",
    "writeup_text", "pool_long", "pool_sweep", "ram_grid", "sim_available",
    "strategy_table", "swapout_fallback", "sweep", "task_grid", "task_runout", "task_sweep",
    "threaded_count",
]
