"""The tables each notebook plots: tidy DataFrames computed by the engines.

One function per view, in the module of its notebook (``proposal`` here, then
``tasks``, ``highmem``, ``pools``). Sweeps go through
:func:`ukspace_lab.study.sweep.run_sweep`, cached on disk. Nothing here plots;
:mod:`ukspace_lab.present.plots` draws these frames.
"""

from __future__ import annotations

import pandas as pd

from ...model.record import Evaluation, evaluation
from ...model.scenario import Scenario
from ...model.strategies import strategy_names
from ..sweep import run_sweep


def record(scn: Scenario) -> Evaluation:
    """The scenario's evaluated record (closed form): what the static views read."""
    return evaluation(scn)


def sim_available() -> bool:
    """Is the event simulator importable (numba and its loop)?"""
    try:
        from ... import sim  # noqa: F401
    except ImportError:
        return False
    return True


def sweep(scn: Scenario, axes: dict[str, list], engine: str = "closed",
          sim_seconds: float | None = None) -> pd.DataFrame:
    """Tidy results over ``axes`` (:func:`run_sweep`, cached, no progress bar)."""
    return run_sweep(scn, axes, engine=engine, progress=False, sim_seconds=sim_seconds)


def by_strategy(df: pd.DataFrame, then: list[str]) -> pd.DataFrame:
    """Rows sorted by strategy in the canonical order (mainline first), then ``then``."""
    rank = df["strategy"].map({s: i for i, s in enumerate(strategy_names())})
    return (df.assign(_rank=rank).sort_values(["_rank", *then], kind="stable")
            .drop(columns="_rank").reset_index(drop=True))


def only(scn: Scenario, names: tuple[str, ...] | list[str]) -> Scenario:
    """The scenario restricted to those of ``names`` it lists (all of its own if none)."""
    keep = [s for s in scn.strategies if s in names] or list(scn.strategies)
    return scn.with_overrides({"strategies": keep})


# --- 01: the proposal --------------------------------------------------------

def strategy_table(scn: Scenario) -> pd.DataFrame:
    """Per strategy: where PTE pages live, how they are reached, and what it costs."""
    rows = []
    for r in evaluation(scn).results.values():
        name, s = r.strategy, r.design
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
    reached through kmap_atomic: the seed's "existing kmap" cannot sleep under
    swap_out's page_table_lock; per (page, mapping) in rmap eras)."""
    rates = rates or sorted({0.0, 1e3, 1e4, 1e5, 1e6, float(scn.workload.scan_pages_per_s)})
    df = sweep(only(scn, ("mainline", "highpte", "ukspace", "ukspace-pt")),
               {"scan_pages_per_s": rates})
    return df[["scan_pages_per_s", "strategy", "global_tlb_flushes_per_s", "ipis_per_s",
               "invlpg_per_s", "cpu_overhead_pct"]].reset_index(drop=True)


def headline(scn: Scenario) -> pd.DataFrame:
    """The closed-form result at the scenario's point, one row per strategy."""
    return evaluation(scn).to_frame().drop(columns=["point"]).reset_index(drop=True)


def address_columns(scn: Scenario, strategies: list[str] | tuple[str, ...]):
    """(label, areas) columns to draw, from the record's layouts: 4G/4G's user space is
    its own column; the 64-bit floor has no 32-bit map and is left out."""
    ev = evaluation(scn.with_overrides({"strategies": list(strategies)}))
    cols = []
    for name in strategies:
        label = f"{name}\n(from {scn.ukspace.carve_from})" if name.startswith("ukspace") else name
        if name == "flat64":
            continue
        found = list(ev.results[name].layout)
        if name == "4g4g":
            cols.append((f"{name}\nuser pgd", [a for a in found if a.name.startswith("user")]))
            found = [a for a in found if not a.name.startswith("user")]
            label = f"{name}\nkernel pgd"
        cols.append((label, found))
    return cols


def proposal_columns(scn: Scenario):
    """Before and after: mainline, then the seed's region carved from kernel space and
    carved from user space (the two options of the seed)."""
    out = address_columns(scn, ["mainline"])
    for carve in ("kernel", "user"):
        out += address_columns(scn.with_overrides({"ukspace.carve_from": carve}), ["ukspace"])
    return out
