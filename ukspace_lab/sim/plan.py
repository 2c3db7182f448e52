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

from ..model import mechanisms, pkmap, tlb
from ..model.closed import READ_KMAP_CODES, _highmem_fraction
from ..model.inputs import Points, points_from_scenario
from ..model.kmap import mean_mapcount, scan_primitive
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
    return _era_code(p)


def _era_code(p: Points) -> int:
    """The era's read path (file_read_actor's kmap, kmap_atomic or kmap_local)."""
    rk = int(p["read_kmap"][0])
    if rk == READ_KMAP_CODES["kmap"]:
        return S.D_GLOBAL
    if rk == READ_KMAP_CODES["atomic"]:
        return S.D_ATOMIC
    return S.D_LOCAL


def _kmap_costs(p: Points, par: np.ndarray) -> None:
    """The cycles of each kmap_lock section and of a wrap, by docs/kmap-mechanics.md
    secs. 1-2 (the closed form's own functions, so both engines charge the same)."""
    s_kmap, s_new, s_kunmap = pkmap.lock_sections(p)
    par[S.P_SK], par[S.P_SNEW], par[S.P_SU] = s_kmap[0], s_new[0], s_kunmap[0]
    cpus = p["cpus"][0]
    remote = (cpus - 1) / max(cpus, 1)
    line = p.cost("kmap_lock_line_cycles")[0]
    par[S.P_WENTRY] = (p.cost("pkmap_wrap_entry_cycles")[0] + remote * line
                       + p.era("page_address_hashed")[0] * p.cost("set_page_address_cycles")[0])
    pte_bytes = 8.0 if p["pae"][0] > 0 else 4.0
    par[S.P_WLINES] = remote * line * last_pkmap(p)[0] * (pte_bytes + pkmap.COUNTER_BYTES) \
        / p.cost("cache_line_bytes")[0]
    par[S.P_FSEND] = tlb.flush_sender_cycles(p)[0]
    par[S.P_CLUSTER] = float(tlb.clustered_apic(p)[0])


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
    st = mechanisms.streams(p, b.pte_pages_per_task, np.full(len(p), h))
    own_mult = 1.0 if pte_high else 0.0
    par[S.P_RCALL] = T * calls
    par[S.P_RFAULT] = float(st.own_pte_maps[0]) * own_mult
    par[S.P_RCTX] = T * p["ctxsw_per_s"][0]
    par[S.P_RFORK] = float(st.child_pte_maps[0]) * own_mult
    par[S.P_RTEAR] = float(st.other_pte_maps[0]) * own_mult
    arg = mechanisms.exec_route(st, s.data)
    arg_rate = float(arg[0][0] + arg[1][0] + arg[2][0]) if h > 0 else 0.0
    par[S.P_RARG] = arg_rate
    if arg_rate > 0:
        par[S.P_ARG_G] = float(arg[0][0]) / arg_rate
        par[S.P_ARG_L] = float(arg[1][0]) / arg_rate
        par[S.P_ARG_FRESH] = min(float(st.exec_arg_pages[0]) / max(float(arg[0][0]), 1e-300),
                                 1.0)
    par[S.P_RENTRY] = float(st.kernel_entries[0]) if s.space == "4g4g" else 0.0
    par[S.P_RMAPCYC] = float(mechanisms.rmap_cycles(p, st)[0]) * own_mult
    # 2.4 swap_out visits PTE pages; rmap eras map a PTE page per (page, mapping)
    if p.era("rmap_scan")[0] > 0:
        visits = p["scan_pages_per_s"][0] * float(mean_mapcount(
            T, p["shared"][0], p["text"][0], p["private"][0], p["stack"][0], PAGE))
    else:
        visits = p["scan_pages_per_s"][0] / float(ptrs_per_pte(p["pae"][0] > 0))
    par[S.P_RSCAN] = visits if pte_high else 0.0
    par[S.P_RTOT] = sum(par[i] for i in (S.P_RCALL, S.P_RFAULT, S.P_RCTX, S.P_RFORK,
                                         S.P_RTEAR, S.P_RARG, S.P_RENTRY, S.P_RSCAN))
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
    par[S.P_L] = tlb.refills_per_flush(p)[0]   # the live TLB, large-page reach included
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
    out_of_context = scan_primitive(s.other_pt)
    par[S.P_OTHER] = ACCESS_CODES[out_of_context]
    par[S.P_TEAR] = ACCESS_CODES[out_of_context if s.own_pt == "window" else s.own_pt]
    par[S.P_FORKC] = ACCESS_CODES[s.fork_child]
    par[S.P_PTE_HIGH] = float(pte_high)
    par[S.P_IS4G] = float(s.space == "4g4g")
    par[S.P_SCHED] = policy_code(p["era_index"][0])
    par[S.P_PIGGY] = float(data == S.D_POOL and p["piggyback"][0] > 0 and th == 1)
    if s.space == "4g4g":
        par[S.P_CR3_PER_ENTRY] = design_constant("4g4g", "cr3_loads_per_kernel_entry")
        par[S.P_COPY_MAPS] = design_constant("4g4g", "user_copy_kmap_per_page") * float(
            st.user_copy_pages[0]) / max(float(st.kernel_entries[0]), 1e-300)
    par[S.P_KTH] = p["kthread_io"][0] if s.data == "pool" else 0.0
    par[S.P_KDATA] = _era_code(p) if h > 0 else S.D_NONE
    _kmap_costs(p, par)
    for index, cost in ((S.P_PK_SCAN, "pkmap_scan_entry_cycles"),
                        (S.P_KATOMIC, "kmap_atomic_cycles"), (S.P_INVLPG, "invlpg_cycles"),
                        (S.P_CR3, "cr3_reload_cycles"), (S.P_GFLUSH, "global_flush_cycles"),
                        (S.P_IPI_SEND, "ipi_send_cycles"), (S.P_IPI_RECV, "ipi_receive_cycles"),
                        (S.P_IPI_WAIT, "ipi_wait_cycles"), (S.P_UKMAP, "ukspace_map_cycles"),
                        (S.P_PTECLR, "pte_clear_cycles"), (S.P_REFILL, "tlb_refill_cycles"),
                        (S.P_IPI_ALLBUT, "ipi_allbut_cycles"),
                        (S.P_IPI_WPC, "ipi_wait_per_cpu_cycles"),
                        (S.P_LOCKOP, "lock_op_cycles"), (S.P_LINE, "kmap_lock_line_cycles")):
        par[index] = c(cost)[0]
    return Plan(strategy=name, par=par, rate=float(par[S.P_RTOT]))
