"""``simulate()``: run every strategy of a scenario through the event loop.

Random numbers come from numpy's PCG64 seeded with the scenario seed, drawn
in fixed-size chunks and handed to the compiled loop, so a seed gives the
same bytes in every process (and the plain reference consumes exactly the
same numbers). Every strategy sees the same seed: common random numbers, so
differences between rows are design, not noise.
"""

from __future__ import annotations

import math
import numbers
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from ..errors import ScenarioError, shown
from ..model.closed import MODEL_VERSION, RESULT_KEYS, evaluate
from ..model.inputs import points_from_scenario
from ..model.record import Evaluation, evaluation
from ..model.scenario import Scenario
from . import state as S
from .loop import finish, run_chunk
from .plan import Plan, plan

DEFAULT_SECONDS = 0.5
CHUNK_U = 1 << 18
CHUNK_E = 1 << 16
BUDGET_COLUMNS = ("lowmem_bytes", "lowmem_used_bytes", "lowmem_free_bytes", "highmem_bytes",
                  "mem_map_bytes", "pagetable_bytes", "pagetable_lowmem_bytes",
                  "pte_pages_per_task", "max_tasks", "boots", "user_vaddr_bytes",
                  "kernel_vaddr_bytes", "region_bytes", "highmem_cache_fraction")
Runner = Callable[[Any], int]


def _check_length(seconds: float | None, ops: int | None) -> None:
    if seconds is not None and ops is not None:
        raise ScenarioError(["give either seconds or ops, not both"], source="simulate")
    if seconds is not None and not (seconds > 0 and math.isfinite(seconds)):
        raise ScenarioError([f"seconds = {seconds!r}: must be a positive number of "
                             "simulated seconds, e.g. 0.5"], source="simulate")
    if ops is not None and (isinstance(ops, bool) or not isinstance(ops, int | float)
                            or not math.isfinite(ops) or int(ops) != ops or ops < 1):
        raise ScenarioError([f"ops = {ops!r}: must be a positive whole number of events"],
                            source="simulate")


def _check_seed(seed: Any) -> int:
    """The seed as an int: a whole number from 0 (numpy's SeedSequence refuses less)."""
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) \
            or not 0 <= seed < 1 << 63:
        raise ScenarioError([f"seed = {shown(seed)}: must be a whole number from 0 to "
                             "2**63-1"], source="simulate")
    return int(seed)


def run_plan(pl: Plan, *, seconds: float | None = None, ops: int | None = None,
             seed: int = 1, progress: bool = False, runner: Runner = run_chunk,
             finisher: Runner = finish, warmup: float = 0.0,
             start: str = "steady") -> tuple[S.World, float]:
    """Play one strategy; returns the final world and the wall time it took.

    ``start="steady"`` puts every pool's scan cursor where the steady state has
    it (uniformly anywhere); ``start="boot"`` starts them at 0, as after boot
    (the hand-arithmetic tests count from there).

    With ``warmup`` > 0 the first ``warmup`` simulated seconds bring the pools,
    TLBs and run queue to their steady state and are then taken out of every
    counter (the closed form is a steady state; a cold run's pools skip their
    first wrap). The flushes-over-time bins cover the whole run.
    """
    _check_length(seconds, ops)
    _check_warmup(warmup, ops)
    if seconds is None and ops is None:
        seconds = DEFAULT_SECONDS
    par = pl.par.copy()
    if seconds is not None:
        par[S.P_TEND] = warmup if warmup > 0 else seconds
        par[S.P_BINW] = (warmup + seconds) / S.TIME_BINS
    else:
        par[S.P_MAXEV] = ops
        par[S.P_BINW] = max(ops / max(pl.rate, 1e-300), 1e-12) / S.TIME_BINS
    w = S.new_world(par)
    if start not in ("steady", "boot"):
        raise ScenarioError([f"start = {start!r}: allowed: steady, boot"], source="simulate")
    if start == "steady":
        _steady_cursors(w, seed)
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed)))
    need_u = 16 * (8 + 3 * int(par[S.P_PPC]) + int(par[S.P_A]))
    n_u = max(CHUNK_U, need_u)
    total = warmup + seconds if seconds is not None else float(ops)
    bar = tqdm(total=total, desc=pl.strategy, unit="sim s" if seconds else "ev", delay=2.0,
               disable=not progress, leave=False)
    t0 = time.perf_counter()
    done = 0
    shown = 0.0
    warm = None
    while True:
        while not done:
            w = w._replace(U=rng.random(n_u), E=rng.standard_exponential(CHUNK_E))
            w.ist[S.I_UPOS] = 0
            w.ist[S.I_EPOS] = 0
            done = runner(w)
            now = w.st[S.S_T] if seconds is not None else w.st[S.C_EVENTS]
            bar.update(min(now, total) - shown)
            shown = min(now, total)
        finisher(w)
        if warmup > 0 and warm is None:       # end of the warm-up: go on to the measured part
            warm = w.st.copy()
            w.hist[:] = 0
            w.par[S.P_TEND] = warmup + seconds
            done = 0
            continue
        break
    if warm is not None:
        w.st[S.C_EVENTS:] -= warm[S.C_EVENTS:]
        w.st[S.S_T] -= warmup
    bar.close()
    return w, time.perf_counter() - t0


def _steady_cursors(w: S.World, seed: int) -> None:
    """Start every pool's scan cursor (last_pkmap_nr, and each mm's) where the
    steady state has it: uniformly anywhere. From a common cursor 0 all pools
    would wrap in lockstep for the first cycles. Drawn from a stream of its
    own, so the event stream of a seed does not change."""
    init = np.random.default_rng([seed, 0x5EED])
    w.ist[S.I_GLAST] = init.integers(0, w.g_slot.shape[1])
    P = w.p_slot.shape[2]
    w.p_meta[:, 0] = init.integers(-1, P - 1, size=w.p_meta.shape[0])


def _check_warmup(warmup: float, ops: int | None) -> None:
    if not (warmup >= 0 and math.isfinite(warmup)):
        raise ScenarioError([f"warmup = {warmup!r}: must be 0 or a positive number of "
                             "simulated seconds"], source="simulate")
    if warmup > 0 and ops is not None:
        raise ScenarioError(["warmup goes with seconds, not with ops"], source="simulate")


def _percentiles(hist: np.ndarray) -> dict[str, float]:
    """kmap wait percentiles in nanoseconds (upper edge of the log2 bin)."""
    total = int(hist.sum())
    out: dict[str, float] = {}
    if total == 0:
        return {k: 0.0 for k in ("p50_ns", "p90_ns", "p99_ns", "p999_ns", "max_ns")}
    cum = np.cumsum(hist)
    edges = np.concatenate([[0.0], 2.0 ** np.arange(1, len(hist))])
    for name, q in (("p50_ns", 0.5), ("p90_ns", 0.9), ("p99_ns", 0.99), ("p999_ns", 0.999)):
        out[name] = float(edges[int(np.searchsorted(cum, q * total))])
    out["max_ns"] = float(edges[int(np.nonzero(hist)[0][-1])])
    return out


def measures(w: S.World, sim_seconds: float) -> dict[str, float]:
    """The rate columns (RESULT_KEYS) measured by one run."""
    st, par = w.st, w.par
    span = sim_seconds if sim_seconds > 0 else 1.0
    clock, cpus = par[S.P_CLOCK], par[S.P_CPUS]
    refills = st[S.C_REFILL_ACT] - st[S.C_REFILL_BASE]
    # rmap's kmap_atomic_to_page and longer pte_chain walks: a cycle rate, no events
    cycles = st[S.C_CYCLES] + refills * par[S.P_REFILL] + par[S.P_RMAPCYC] * span
    return {
        "kmaps_per_s": (st[S.C_GK] + st[S.C_PMAP] + st[S.C_ATOMIC]) / span,
        "kmap_hits_per_s": (st[S.C_GHIT] + st[S.C_PHIT]) / span,
        "kmap_new_per_s": (st[S.C_GNEW] + st[S.C_PNEW]) / span,
        "global_tlb_flushes_per_s": st[S.C_GFLUSH] / span,
        "ipis_per_s": st[S.C_IPI] / span,
        "local_tlb_flushes_per_s": (st[S.C_PFLUSH] + st[S.C_CR3_4G]) / span,
        "invlpg_per_s": st[S.C_INVLPG] / span,
        "kmap_sleeps_per_s": (st[S.C_GSLEEP] + st[S.C_PSLEEP]) / span,
        "kmap_lock_utilization": st[S.C_LOCKHOLD] / (span * clock),
        "tlb_refills_per_s": refills / span,
        "cpu_cycles_per_s": cycles / span,
        "cpu_overhead_pct": 100.0 * cycles / (span * cpus * clock),
    }


def distributions(w: S.World, sim_seconds: float,
                  bin_span: float | None = None) -> dict[str, Any]:
    """What the means hide: kmap waits, flushes over time, the scheduler's view.
    The time bins span ``bin_span`` (the whole run, warm-up included)."""
    st = w.st
    span = sim_seconds if sim_seconds > 0 else 1.0
    width = (bin_span or span) / S.TIME_BINS
    waits = _percentiles(w.hist)
    waits["mean_ns"] = float(st[S.C_WAIT_SUM] / st[S.C_WAIT_N] * 1e9) if st[S.C_WAIT_N] else 0.0
    waits["kmaps"] = int(st[S.C_WAIT_N])
    return {
        "kmap_wait": waits,
        "flushes_per_s_over_time": {
            "bin_seconds": width,
            "rates": [float(x) / width for x in w.bins],
        },
        "context_switches_per_s": st[S.C_CTXSW] / span,
        "cr3_reloads_at_switch_per_s": st[S.C_CR3_CTX] / span,
        "blocked_copies_per_s": st[S.C_BLOCKS] / span,
        "pool_slots_reset_per_s": st[S.C_PRESET] / span,
        "lost_events": int(st[S.C_LOST]),
        "lock_spin_cycles_per_s": st[S.C_SPIN] / span,
    }


def simulate(scn: Scenario, *, seconds: float | None = None, ops: int | None = None,
             seed: int | None = None, progress: bool = False,
             runner: Runner = run_chunk, finisher: Runner = finish,
             warmup: float = 0.0) -> pd.DataFrame:
    """Simulate every strategy of ``scn``: one row per strategy with every
    RESULT_KEYS column (budget columns from the closed form, rates measured; the
    closed form's CPU interval, cpu_overhead_pct_low/_high, is NaN here),
    plus ``events``, ``sim_seconds``, ``wall_seconds`` and ``engine`` = "sim".
    Per-strategy distributions are in ``df.attrs["distributions"]``.
    ``warmup`` simulated seconds are run first and left out of the rates."""
    _check_length(seconds, ops)
    seed = scn.seed if seed is None else _check_seed(seed)
    p = points_from_scenario(scn)
    closed = evaluate(scn).set_index("strategy")
    rows = []
    dists: dict[str, Any] = {}
    for name in tqdm(scn.strategies, desc="simulate", disable=not progress, delay=2.0,
                     leave=False):
        pl = plan(scn, name, p)
        w, wall = run_plan(pl, seconds=seconds, ops=ops, seed=seed, progress=progress,
                           runner=runner, finisher=finisher, warmup=warmup)
        sim_s = float(w.st[S.S_T])
        row: dict[str, Any] = {"strategy": name}
        row.update({k: closed.at[name, k] for k in BUDGET_COLUMNS})
        row.update(measures(w, sim_s))
        row.update(events=int(w.st[S.C_EVENTS]), sim_seconds=sim_s, wall_seconds=wall,
                   engine="sim")
        rows.append(row)
        dists[name] = distributions(w, sim_s, bin_span=sim_s + warmup)
    df = pd.DataFrame(rows, columns=[*RESULT_KEYS, "events", "sim_seconds", "wall_seconds",
                                     "engine"])
    df["point"] = 0
    df["model_version"] = MODEL_VERSION
    df.attrs["distributions"] = dists
    return df


SIM_COLUMNS = ("events", "sim_seconds", "wall_seconds", "engine")


def simulate_record(scn: Scenario, *, seconds: float | None = None, ops: int | None = None,
                    seed: int | None = None, progress: bool = False,
                    runner: Runner = run_chunk, finisher: Runner = finish,
                    warmup: float = 0.0) -> Evaluation:
    """:func:`simulate` as the evaluated record (engine ``"sim"``, its distributions and
    the seed it used): what the ``simulate`` command and the renderers read."""
    df = simulate(scn, seconds=seconds, ops=ops, seed=seed, progress=progress,
                  runner=runner, finisher=finisher, warmup=warmup)
    return evaluation(scn, df, engine="sim", engine_columns=SIM_COLUMNS,
                      distributions=df.attrs["distributions"],
                      seed=scn.seed if seed is None else int(seed))
