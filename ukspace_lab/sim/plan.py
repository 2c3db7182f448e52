"""From a scenario and a strategy to the simulator's parameter vector.

The workload is read exactly as the closed form reads it (same Points, same
budget, same cost table), so the two engines differ only in how they play it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

import numpy as np
import yaml

from ..model.closed import READ_KMAP_CODES, _highmem_fraction
from ..model.inputs import Points, points_from_scenario
from ..model.layout import last_pkmap
from ..model.memory import budget
from ..model.pagetables import PAGE, ptrs_per_pte
from ..model.scenario import Scenario
from ..model.sched import policy_code
from ..model.strategies import Strategy, design_constant, strategy
from ..resources import data_file
from . import state as S

ACCESS_CODES = {"direct": S.A_NONE, "window": S.A_NONE, "atomic": S.A_ATOMIC,
                "local": S.A_LOCAL, "kmap": S.A_KMAP}
MAX_SCAN_CYCLE = 1 << 30


@cache
def sim_constant(group: str, key: str) -> float:
    """A constant of data/sim.yaml."""
    with open(data_file("sim.yaml"), encoding="utf-8") as fh:
        return float(yaml.safe_load(fh)[group][key]["value"])


@dataclass(frozen=True)
class Plan:
    """One strategy's run: the parameter vector and what it was built from."""

    strategy: str
    par: np.ndarray
    rate: float                 # events per simulated second (R)

    def value(self, index: int) -> float:
        return float(self.par[index])


def _data_code(p: Points, s: Strategy) -> int:
    if s.data == "pool":
        return S.D_POOL
    if s.data == "local":
        return S.D_LOCAL
    if s.data == "none":
        return S.D_NONE
    rk = int(p["read_kmap"][0])
    if rk == READ_KMAP_CODES["kmap"]:
        return S.D_GLOBAL
    if rk == READ_KMAP_CODES["atomic"]:
        return S.D_ATOMIC
    return S.D_LOCAL


def plan(scn: Scenario, name: str, p: Points | None = None) -> Plan:
    """The parameter vector of strategy ``name`` for scenario ``scn``."""
    p = p if p is not None else points_from_scenario(scn)
    s = strategy(name)
    b = budget(p, s)
    c = p.cost
    par = np.zeros(S.NPAR)
    T, th, cpus = int(p["tasks"][0]), int(p["threads"][0]), int(p["cpus"][0])
    h = 0.0 if s.space == "flat64" else float(_highmem_fraction(p, b.space.highmem)[0])
    file_set = p["file_set"][0] if p["file_set"][0] >= 0 else p["ram"][0]
    W = max(int(math.floor(file_set * h / PAGE)), 1)
    pte_high = s.pte_home == "highmem" and b.space.highmem[0] > 0
    pte_pages = int(round(float(b.pte_pages_per_task[0])))
    data = _data_code(p, s) if h > 0 else S.D_NONE
    calls = p["reads_per_s"][0] + p["writes_per_s"][0]
    clock = float(c("clock_hz")[0])
    par[S.P_RCALL] = T * calls
    par[S.P_RFAULT] = T * p["faults_per_s"][0]
    par[S.P_RCTX] = T * p["ctxsw_per_s"][0]
    par[S.P_RFORK] = T * p["forks_per_s"][0]
    scan = p["scan_pages_per_s"][0] / float(ptrs_per_pte(p["pae"][0] > 0))
    par[S.P_RSCAN] = scan if pte_high else 0.0
    par[S.P_RTOT] = par[S.P_RCALL:S.P_RSCAN + 1].sum()
    par[S.P_H] = h
    par[S.P_W] = W
    par[S.P_PPC] = math.ceil(p["read_size"][0] / PAGE)
    par[S.P_PF] = p["copy_fault_p"][0]
    par[S.P_FB] = p["atomic_fallback"][0]
    par[S.P_COPY] = c("copy_page_cycles")[0] / clock
    par[S.P_SLEEP] = p["fault_sleep_s"][0]
    par[S.P_CLOCK] = clock
    par[S.P_N] = last_pkmap(p)[0]
    par[S.P_P] = p["pool"][0]
    par[S.P_FLUSH_ALWAYS] = p.era("flush_on_wrap_always")[0]
    par[S.P_L] = c("tlb_entries")[0] * c("tlb_live_fraction")[0]
    par[S.P_LAM] = 1.0 / sim_constant("tlb", "retouch_time_s")
    par[S.P_T] = T
    par[S.P_TH] = th
    par[S.P_CPUS] = cpus
    par[S.P_A] = min(cpus, T * th)
    par[S.P_PTE_PAGES] = pte_pages
    par[S.P_Q] = min(max(T * pte_pages, 1), MAX_SCAN_CYCLE)
    par[S.P_TEND] = math.inf
    par[S.P_MAXEV] = math.inf
    par[S.P_BINW] = 1.0
    par[S.P_DATA] = data
    par[S.P_OWN] = ACCESS_CODES[s.own_pt]
    par[S.P_OTHER] = ACCESS_CODES[s.other_pt]
    par[S.P_FORKC] = ACCESS_CODES[s.fork_child]
    par[S.P_PTE_HIGH] = float(pte_high)
    par[S.P_IS4G] = float(s.space == "4g4g")
    par[S.P_SCHED] = policy_code(p["era_index"][0])
    par[S.P_PIGGY] = float(data == S.D_POOL and p["piggyback"][0] > 0 and th == 1)
    if s.space == "4g4g":
        par[S.P_CR3_PER_ENTRY] = design_constant("4g4g", "cr3_loads_per_kernel_entry")
        par[S.P_COPY_MAPS] = design_constant("4g4g", "user_copy_kmap_per_page")
    for index, cost in ((S.P_PK_FAST, "pkmap_fast_cycles"), (S.P_PK_NEW, "pkmap_new_cycles"),
                        (S.P_PK_SCAN, "pkmap_scan_entry_cycles"),
                        (S.P_PK_LOCK, "pkmap_lock_hold_cycles"),
                        (S.P_KATOMIC, "kmap_atomic_cycles"), (S.P_INVLPG, "invlpg_cycles"),
                        (S.P_CR3, "cr3_reload_cycles"), (S.P_GFLUSH, "global_flush_cycles"),
                        (S.P_IPI_SEND, "ipi_send_cycles"), (S.P_IPI_RECV, "ipi_receive_cycles"),
                        (S.P_IPI_WAIT, "ipi_wait_cycles"), (S.P_UKMAP, "ukspace_map_cycles"),
                        (S.P_PTECLR, "pte_clear_cycles"), (S.P_REFILL, "tlb_refill_cycles")):
        par[index] = c(cost)[0]
    return Plan(strategy=name, par=par, rate=float(par[S.P_RTOT]))
