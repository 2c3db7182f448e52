"""The closed-form engine: every strategy's budget and rates, numpy over grids.

``evaluate_points`` takes a :class:`~ukspace_lab.inputs.Points` record (one or
a million points) and returns a tidy table: one row per point and strategy.
Rates are machine-wide per second. Costs are the cycles of the mechanisms that
differ between designs (see data/costs.yaml); ``cpu_overhead_pct`` is those
cycles over the machine's total (cpus x clock).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from ..version import MODEL_VERSION
from . import kmap, mechanisms, pkmap, tlb
from .inputs import Points, axis_key, points_from_scenario
from .memory import budget, cache_highmem_share
from .pagetables import PAGE, ptrs_per_pte
from .scenario import Scenario
from .strategies import Strategy, design_constant, strategy

READ_KMAP_CODES = {"kmap": 0, "atomic": 1, "local": 2}

RESULT_KEYS = (
    "strategy", "lowmem_bytes", "lowmem_used_bytes", "lowmem_free_bytes", "highmem_bytes",
    "mem_map_bytes", "pagetable_bytes", "pagetable_lowmem_bytes", "pte_pages_per_task",
    "max_tasks", "boots", "user_vaddr_bytes", "kernel_vaddr_bytes", "region_bytes",
    "highmem_cache_fraction", "kmaps_per_s", "kmap_hits_per_s", "kmap_new_per_s",
    "global_tlb_flushes_per_s", "ipis_per_s", "local_tlb_flushes_per_s", "invlpg_per_s",
    "kmap_sleeps_per_s", "kmap_lock_utilization", "tlb_refills_per_s", "cpu_cycles_per_s",
    "cpu_overhead_pct", "cpu_overhead_pct_low", "cpu_overhead_pct_high",
)


def _highmem_fraction(p: Points, highmem: np.ndarray) -> np.ndarray:
    """Share of page-cache pages in highmem: given, or where free memory is ('auto',
    memory.cache_highmem_share)."""
    auto = cache_highmem_share(p, highmem)
    given = p["highmem_fraction"]
    frac = np.where(given < 0, auto, given)
    return np.where(highmem > 0, np.clip(frac, 0, 1), 0.0)


def _map_cost(p: Points, access: str) -> tuple[np.ndarray, np.ndarray]:
    """(cycles, invlpg) of one mapping of a highmem page through ``access``."""
    if access in ("atomic", "local"):
        return p.cost("kmap_atomic_cycles") + p.cost("invlpg_cycles"), np.ones(len(p))
    return np.zeros(len(p)), np.zeros(len(p))


def _era_data(p: Points, data: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(global kmap, kmap_atomic, kmap_local) shares of ``data`` on the era's read path."""
    rk = p["read_kmap"]
    fb = np.where(rk == READ_KMAP_CODES["kmap"], 1.0,
                  np.where(rk == READ_KMAP_CODES["atomic"], p["atomic_fallback"], 0.0))
    return (data * fb, data * (1 - fb) * (rk == READ_KMAP_CODES["atomic"]),
            data * (1 - fb) * (rk == READ_KMAP_CODES["local"]))


def evaluate_strategy(p: Points, s: Strategy) -> dict[str, np.ndarray]:
    """All result columns of strategy ``s`` at every point, with the CPU interval:
    ``cpu_overhead_pct_low``/``_high`` are the least and most of the CPU sum over the
    points' costs at their value, at every cost's low and at every cost's high end."""
    out = _evaluate_strategy(p, s)
    ends = [out["cpu_overhead_pct"]] + [_evaluate_strategy(p.at_cost_level(level), s)[
        "cpu_overhead_pct"] for level in ("low", "high")]
    out["cpu_overhead_pct_low"] = np.minimum.reduce(ends)
    out["cpu_overhead_pct_high"] = np.maximum.reduce(ends)
    return out


def _evaluate_strategy(p: Points, s: Strategy) -> dict[str, np.ndarray]:
    """All result columns but the CPU interval, at the points' cost level."""
    n = len(p)
    zero = np.zeros(n)
    b = budget(p, s)
    sp = b.space
    cpus, T, th = p["cpus"], p["tasks"], p["threads"]
    clock = p.cost("clock_hz")
    h = np.zeros(n) if s.space == "flat64" else _highmem_fraction(p, sp.highmem)
    pte_high = (s.pte_home == "highmem") & (sp.highmem > 0)

    pages_per_call = np.ceil(p["read_size"] / PAGE)
    calls = p["reads_per_s"] + p["writes_per_s"]
    data_task = calls * pages_per_call * h          # highmem page-cache maps per task
    data = T * data_task
    file_set = np.where(p["file_set"] < 0, p["ram"], p["file_set"])
    W = np.maximum(file_set * h / PAGE, 1.0)
    copy_s = p.cost("copy_page_cycles") / clock
    hold_s = copy_s + p["copy_fault_p"] * p["fault_sleep_s"]

    # --- data path -------------------------------------------------------
    if s.data == "era":
        data_global, data_atomic, data_local = _era_data(p, data)
        data_pool = zero
    elif s.data == "local":
        data_global, data_atomic, data_local, data_pool = zero, zero, data, zero
    elif s.data == "pool":
        # kernel threads (knfsd, kswapd, loop, bdflush) have no mm: no per-task pool
        data_global, data_atomic, data_local = _era_data(p, data * p["kthread_io"])
        data_pool = data * (1 - p["kthread_io"])
    else:
        data_global = data_atomic = data_local = data_pool = zero

    # --- pagetable path: event streams come in here ------------------------
    ptes_pp = ptrs_per_pte(p["pae"] > 0)
    # 2.4 swap_out visits PTE pages; rmap eras map a PTE page per (page, mapping)
    visits = np.where(p.era("rmap_scan") > 0, p["scan_pages_per_s"] * kmap.mean_mapcount(
        T, p["shared"], p["text"], p["private"], p["stack"], PAGE),
        p["scan_pages_per_s"] / ptes_pp)
    scan_pt = visits * pte_high
    # the workload's operations (model/mechanisms.py): PTE-page maps by context, exec's
    # argument-page kmaps, rmap pte_chain work, kernel entries and user copies
    st = mechanisms.streams(p, b.pte_pages_per_task, h)
    own_pt, child_pt = st.own_pte_maps * pte_high, st.child_pte_maps * pte_high
    teardown_pt = st.other_pte_maps * pte_high     # exec_mmap: zapped after activate_mm()
    arg = mechanisms.exec_route(st, s.data)        # (global, local, pool) argument kmaps
    data_local, data_pool = data_local + arg[1], data_pool + arg[2]
    fresh = (arg[0], np.minimum(arg[0], st.exec_arg_pages))
    out_of_context = kmap.scan_primitive(s.other_pt)
    counts = {"atomic": data_atomic.copy(), "local": data_local.copy(), "kmap": zero.copy()}
    for access, rate in ((s.own_pt, own_pt), (out_of_context, scan_pt),
                         (s.fork_child, child_pt),
                         (out_of_context if s.own_pt == "window" else s.own_pt, teardown_pt)):
        if access in counts:
            counts[access] = counts[access] + rate
    scan_global = counts["kmap"]

    # --- context switches: the CR3 reloads every design pays ----------------
    # a copy that faults blocks its thread, which is one more switch of its mm
    blocking = p["copy_fault_p"] * (data_global + data_pool + data_local) / T
    C = p["ctxsw_per_s"] + blocking                                 # switch-ins per mm
    A = tlb.busy_cpus(p)
    base_drops = tlb.switch_cr3_rate(p, C)                          # per busy CPU
    design_drops = zero

    # --- global persistent kmap pool --------------------------------------
    hits_g = new_g = flushes_g = ipis = sleeps = rho = cycles = zero
    if np.any(data_global > 0) or np.any(scan_global > 0) or np.any(fresh[0] > 0):
        g = pkmap.global_pool(p, data_global, scan_global, W, T * b.pte_pages_per_task,
                              hold_s, copy_s, concurrency=T * th, fresh=fresh,
                              burst=np.maximum(pages_per_call * h, 1.0),
                              read_pages=pages_per_call)
        hits_g, new_g, flushes_g, ipis = g.hits, g.new, g.flushes, g.ipis
        sleeps, rho, cycles = g.sleeps, g.lock_utilization, g.cycles
        design_drops = design_drops + flushes_g

    # --- per-task pool (u-k-space) ----------------------------------------
    pool_new = pool_flushes = pool_hits = pool_ipis = pool_sleeps = zero
    if s.pool:
        P = p["pool"]
        pool_task = data_pool / T
        others = tlb.other_cpus_in_mm(p)
        # the piggyback needs a switch into another mm (more threads than CPUs) and no
        # other CPU still holding the mm in cpu_vm_mask: a CPU that switched to a kernel
        # thread keeps it lazily, taken as the kernel threads' share of the I/O
        piggy = (p["piggyback"] > 0) & (th == 1) & (C > 0) & (T * th > cpus)
        safe = np.where(piggy, 1 - p["kthread_io"], 0.0)
        hr_cycle = kmap.pool_hit_ratio(pool_task, 0.0, W, P)
        k = np.where(C > 0, pool_task / np.where(C > 0, C, 1), 0.0)     # accesses per slice
        fill = kmap.draws_to_fill(P, W)
        misses_slice = np.where(k <= fill, kmap.distinct_pages(k, W),
                                np.minimum(P, W) + (k - fill) * (1 - hr_cycle))
        misses_piggy = misses_slice * C
        burst = np.maximum(pages_per_call * h, 1.0)             # highmem pages per read
        flush_piggy = kmap.wraps_in_slice(misses_slice, P, burst) * C
        misses_plain = pool_task * (1 - hr_cycle)
        pool_new = T * (safe * misses_piggy + (1 - safe) * misses_plain)
        pool_flushes = T * (safe * flush_piggy + (1 - safe) * misses_plain / P)
        pool_flushes = np.where(data_pool > 0, pool_flushes, 0.0)
        pool_new = np.where(data_pool > 0, pool_new, 0.0)
        pool_hits = np.clip(data_pool - pool_new, 0, None)
        pool_ipis = pool_flushes * others
        resets = np.where(data_pool > 0, safe * T * C * np.minimum(misses_slice, P), 0.0)
        pool_sleeps = kmap.sleep_rate(data_pool / T, hold_s, P, concurrency_cap=th) * T
        pool_sleeps = np.where(th > 1, pool_sleeps, 0.0)
        # threads of one mm share its pool: a per-mm lock in map and unmap, its line
        # last written by another CPU of the mm with probability others / (1 + others)
        pool_lock = np.where(th > 1, 2 * (p.cost("lock_op_cycles") + others / (1 + others)
                                          * p.cost("kmap_lock_line_cycles")), 0.0)
        cycles = cycles + (data_pool * (p.cost("ukspace_map_cycles") + pool_lock)
                           + pool_flushes * tlb.local_flush_work_cycles(
                               p, others, tlb.any_other_cpu_in_mm(p))
                           + resets * p.cost("pte_clear_cycles"))
        design_drops = design_drops + pool_flushes * (1 + others) / A

    # --- kmap_atomic and kmap_local ----------------------------------------
    atomic_like = counts["atomic"] + counts["local"]
    # a local kmap held across a sleeping copy is torn down and re-installed
    # by __kmap_local_sched_out()/__kmap_local_sched_in(): one more invlpg
    local_resched = data_local * p["copy_fault_p"]
    invlpg = atomic_like + local_resched
    cycles = cycles + invlpg * (p.cost("kmap_atomic_cycles") + p.cost("invlpg_cycles"))

    # --- 4G/4G: a CR3 switch on every kernel entry and exit ---------------
    local_flushes = pool_flushes.copy()
    if s.space == "4g4g":
        entries = st.kernel_entries
        cr3 = entries * design_constant("4g4g", "cr3_loads_per_kernel_entry")
        copy_maps = st.user_copy_pages * design_constant("4g4g", "user_copy_kmap_per_page")
        local_flushes = local_flushes + cr3
        invlpg = invlpg + copy_maps
        cycles = cycles + cr3 * p.cost("cr3_reload_cycles") \
            + copy_maps * (p.cost("kmap_atomic_cycles") + p.cost("invlpg_cycles"))
        atomic_like = atomic_like + copy_maps
        design_drops = design_drops + entries / A      # the TLB is lost once per entry

    # rmap: ptep_to_paddr's kmap_atomic_to_page and the longer u64 pte_chain walks
    cycles = cycles + pte_high * mechanisms.rmap_cycles(p, st)
    refills = tlb.flush_refills(p, base_drops, design_drops)
    cycles = cycles + refills * p.cost("tlb_refill_cycles")

    kmaps = data_global + scan_global + fresh[0] + data_pool + atomic_like
    total_cycles = cycles
    return {
        "lowmem_bytes": sp.lowmem,
        "lowmem_used_bytes": b.lowmem_used,
        "lowmem_free_bytes": b.lowmem_free,
        "highmem_bytes": sp.highmem,
        "mem_map_bytes": b.mem_map,
        "pagetable_bytes": T * b.pagetable_per_task,
        "pagetable_lowmem_bytes": T * b.pagetable_lowmem_per_task,
        "pte_pages_per_task": b.pte_pages_per_task,
        "max_tasks": b.max_tasks,
        "boots": b.boots,
        "user_vaddr_bytes": sp.user_vaddr,
        "kernel_vaddr_bytes": sp.kernel_vaddr,
        "region_bytes": sp.region,
        "highmem_cache_fraction": h,
        "kmaps_per_s": kmaps,
        "kmap_hits_per_s": hits_g + pool_hits,
        "kmap_new_per_s": new_g + pool_new,
        "global_tlb_flushes_per_s": flushes_g,
        "ipis_per_s": ipis + pool_ipis,
        "local_tlb_flushes_per_s": local_flushes,
        "invlpg_per_s": invlpg,
        "kmap_sleeps_per_s": sleeps + pool_sleeps,
        "kmap_lock_utilization": rho,
        "tlb_refills_per_s": refills,
        "cpu_cycles_per_s": total_cycles,
        "cpu_overhead_pct": 100.0 * total_cycles / (cpus * clock),
    }


CHUNK = 16384   # points per pass: the working arrays stay in cache (2x faster than 1M)


def evaluate_arrays(p: Points, strategies: Iterable[str]) -> dict[str, dict[str, np.ndarray]]:
    """Every result column of every strategy, as arrays over the points.

    The grid is evaluated in cache-sized chunks, all strategies per chunk, so
    the geometry they share (Points.memo) is computed once per chunk.
    """
    names = list(strategies)
    strats = [strategy(n) for n in names]
    if len(p) <= CHUNK:
        return {n: evaluate_strategy(p, s) for n, s in zip(names, strats, strict=True)}
    out: dict[str, dict[str, np.ndarray]] = {}
    for start in range(0, len(p), CHUNK):
        chunk = p.slice(start, start + CHUNK)
        for name, s in zip(names, strats, strict=True):
            cols = evaluate_strategy(chunk, s)
            dest = out.setdefault(name, {k: np.empty(len(p), dtype=np.asarray(v).dtype)
                                         for k, v in cols.items()})
            for k, v in cols.items():
                dest[k][start:start + len(chunk)] = v
    return out


def evaluate_points(p: Points, strategies: Iterable[str]) -> pd.DataFrame:
    """A tidy table: one row per point and strategy, the swept inputs as columns."""
    frames = []
    for name, cols in evaluate_arrays(p, strategies).items():
        frame = pd.DataFrame({"strategy": name, **{k: cols[k] for k in RESULT_KEYS[1:]}})
        for i, axis in enumerate(p.axes):
            column = axis_key(axis) if axis in frame.columns else axis
            # labels: validated values (points_from_scenario); else a numeric input
            frame.insert(1 + i, column, p.labels.get(axis, p.columns.get(axis)))
        frame["point"] = np.arange(len(p))
        frames.append(frame)
    out = pd.concat(frames, ignore_index=True)
    out["model_version"] = MODEL_VERSION
    return out


def evaluate(scn: Scenario, axes: dict | None = None) -> pd.DataFrame:
    """Evaluate a scenario (optionally over sweep ``axes``) for its strategies."""
    return evaluate_points(points_from_scenario(scn, axes), scn.strategies)
