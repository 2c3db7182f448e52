"""Per-operation mechanisms: the PTE-page maps, argument-page kmaps, rmap work and kernel
entries that a workload's faults, forks, execs, exits, system calls and ticks cause.

Each operation's counts are rows of ``data/mechanisms.yaml`` sourced to the kernel
function that does the work (the 2.5.59 tree unless a row says otherwise); which
versions have a mechanism is gated in ``data/kernels.yaml`` (HZ, rmap pte_chains and
their node layout, copy_strings' kmaps, NO_HZ). :func:`streams` turns a scenario's
rates into :class:`Streams`: machine-wide per-second counts, the same for every
design. How a design pays for them (a PTE-page map is free in lowmem, a kmap_atomic
under highpte, a window hit under u-k-space; an entry costs 4G/4G two CR3 loads) is
the closed form's (``model/closed.py``), which calls :func:`streams` once per strategy.

Per task (T tasks, rates per task per second; under ``workload.cpu_bound`` already
scaled by min(1, cpus/(T x threads)) in :mod:`~ukspace_lab.model.inputs`), with P =
PTE pages per task, F faults, K forks, E execs, X exits, A = exec_arg_pages,
S = exec_strings:

* fault: 2 PTE-page maps (handle_mm_fault's pte_alloc_map, the do_*_page re-map
  after sleeping work), +1 per new PTE page (pte_alloc_one's clear_highpage). An
  exec'd image faults its PTE pages in anew: new PTE pages = min(F, E x P).
* fork: copy_page_range maps each of the parent's P PTE pages once (own context) and
  each of the child's twice (pte_alloc_map: zero + map; child context).
* exit: zap_pte_range maps each PTE page once (own context: lazy TLB keeps its pgd).
* exec: copy_strings kmaps argument pages: once per string chunk before 2.5.31
  (S + 1 + A - 1 = S + A: each string, the file name, and each page boundary a string
  crosses), once per page from 2.5.31 (kmapped_page), through kmap_local from 6.0;
  only pages in highmem are real kmaps (fraction h). setup_arg_pages maps the new
  stack's PTE page once per argument page (A). The old mm is zapped after
  activate_mm(new), so its P PTE-page maps are out of context.
* rmap (pte_chains kernels, 2.5.27-2.6.6): page_add_rmap per page mapped (F + K x M
  + E x A), page_remove_rmap per page unmapped ((X + E) x M), M = mapped pages per
  task. Under HIGHPTE each calls ptep_to_paddr (kmap_atomic_to_page), and with PAE
  pte_addr_t is u64, so a cache-line chain node holds NRPTE = (L - 4)/8 ptes instead
  of (L - 4)/4: page_remove_rmap of a page mapped by all T tasks walks
  (ceil(T/NRPTE) + 1)/2 nodes on average; the extra nodes are charged.
* kernel entries: ticks (HZ on every CPU, plus IRQ0's do_timer on one of an SMP box;
  a uniprocessor takes IRQ0 alone; with NO_HZ only busy CPUs tick, no IRQ0), device
  interrupts, and per task reads + writes +
  other syscalls + forks + execs + exits + faults. Context switches are reported but
  are no entry: 4G/4G loads the next user pgd at the exit the entries already count.
* 4G/4G user copies: each user page the kernel copies is kmapped (read/write data
  pages, one page per other syscall, the exec's argument pages).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from functools import cache
from typing import Any

import numpy as np
import yaml

from ..resources import data_file
from .costs import cpu_models
from .inputs import Points
from .pagetables import PAGE

EXEC_STRING, EXEC_PAGE, EXEC_LOCAL = 0.0, 1.0, 2.0      # kernel.EXEC_COPIES codes


@cache
def table() -> dict[str, dict[str, Any]]:
    """data/mechanisms.yaml: operation -> row -> {value, source}."""
    with open(data_file("mechanisms.yaml"), encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def per_op(op: str, row: str) -> float:
    """One per-operation count of ``data/mechanisms.yaml``."""
    return float(table()[op][row]["value"])


@dataclass(frozen=True)
class Streams:
    """Machine-wide events per second that the workload's operations cause, before any
    design decides how each is paid. Arrays, one element per point."""

    own_pte_maps: np.ndarray        # PTE-page maps of the current mm in its own context
    child_pte_maps: np.ndarray      # fork: the child's PTE pages (zero + copy)
    other_pte_maps: np.ndarray      # exec: the old mm's PTE pages, zapped after activate_mm
    new_pte_pages: np.ndarray       # PTE pages allocated and zeroed in faults (in own)
    exec_arg_kmaps: np.ndarray      # copy_strings maps of highmem argument pages
    exec_arg_pages: np.ndarray      # highmem argument pages, each mapped new once
    exec_arg_local: np.ndarray      # 1 where copy_strings uses kmap_local (6.0+), else 0
    rmap_ops: np.ndarray            # page_add_rmap + page_remove_rmap calls
    rmap_extra_nodes: np.ndarray    # pte_chain nodes walked more with a u64 pte_addr_t
    ticks: np.ndarray               # timer interrupts
    interrupts: np.ndarray          # device interrupts
    syscalls: np.ndarray            # system calls of every kind
    faults: np.ndarray              # page faults
    ctxsw: np.ndarray               # context switches (reported; not an entry)
    kernel_entries: np.ndarray      # ticks + interrupts + syscalls + faults
    user_copy_pages: np.ndarray     # user pages the kernel copies to or from
    new_mms: np.ndarray             # forks + execs: a pgd, pmds and (u-k-space) a window

    def as_dict(self) -> dict[str, np.ndarray]:
        """The streams by field name (for reports and the simulator's cross-checks)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


def mapped_pages(p: Points) -> tuple[np.ndarray, np.ndarray]:
    """(shared, private) pages each task maps: text and the shared segment are mapped by
    every task (mapcount T), private memory and the stack by one (PageDirect)."""
    return (p["text"] + p["shared"]) / PAGE, (p["private"] + p["stack"]) / PAGE


def l1_cache_bytes(p: Points) -> np.ndarray:
    """L1_CACHE_BYTES of the kernel built for each point's CPU model (mechanisms.yaml)."""
    built = table()["kernel_build"]["l1_cache_bytes"]["value"]
    own = np.array([float(built.get(m, np.nan)) for m in cpu_models()])[
        p["cpu_index"].astype(int)]
    return np.where(np.isnan(own), p.cost("cache_line_bytes"), own)


def nrpte(p: Points, pte_addr_bytes: float) -> np.ndarray:
    """PTEs per pte_chain node: one before 2.5.35, else (L1_CACHE_BYTES - 4)/width
    (2.5.59 mm/rmap.c NRPTE)."""
    line = l1_cache_bytes(p)
    per_line = np.floor((line - per_op("rmap", "chain_next_bytes")) / pte_addr_bytes)
    return np.where(p.era("pte_chain_block") > 0, np.maximum(per_line, 1.0), 1.0)


def remove_walk(mapcount: np.ndarray, per_node: np.ndarray) -> np.ndarray:
    """Mean pte_chain nodes page_remove_rmap walks to find one of ``mapcount`` ptes
    (uniformly placed) in nodes of ``per_node``: (ceil(M/n) + 1)/2; none when M < 2
    (PageDirect, no chain)."""
    nodes = np.ceil(mapcount / per_node)
    return np.where(mapcount >= 2, (nodes + 1) / 2, 0.0)


def ticks(p: Points) -> np.ndarray:
    """Timer interrupts per second: HZ per ticking CPU, plus IRQ0 on SMP before NO_HZ
    (a uniprocessor takes IRQ0 alone)."""
    nohz = p.era("tick_idle_stop") > 0
    busy = np.minimum(p["cpus"], p["tasks"] * p["threads"])
    ticking = np.where(nohz, busy, p["cpus"])
    irq0 = np.where(nohz | (p["cpus"] < 2), 0.0, per_op("entry", "global_timer_irq"))
    return p["hz"] * (ticking + irq0)


def streams(p: Points, pte_pages_per_task: np.ndarray,
            highmem_fraction: np.ndarray) -> Streams:
    """The per-second streams of every operation, machine-wide, at every point.

    ``pte_pages_per_task`` is P of the strategy's budget, ``highmem_fraction`` the
    share of freshly allocated user pages (argument pages, GFP_HIGHUSER) in highmem.
    """
    T, P, h = p["tasks"], pte_pages_per_task, highmem_fraction
    F, K, E, X = p["faults_per_s"], p["forks_per_s"], p["execs_per_s"], p["exits_per_s"]
    A, S = p["exec_arg_pages"], p["exec_strings"]

    new_pte = np.minimum(F, E * P)
    own = T * (F * per_op("fault", "pte_maps") + new_pte * per_op("fault", "new_pte_page_maps")
               + K * P * per_op("fork", "parent_pte_maps_per_pte_page")
               + X * P * per_op("exit", "pte_maps_per_pte_page")
               + E * A * per_op("exec", "setup_pte_maps_per_arg_page"))
    child = T * K * P * per_op("fork", "child_pte_maps_per_pte_page")
    other = T * E * P * per_op("exec", "teardown_out_of_context") \
        * per_op("exit", "pte_maps_per_pte_page")

    mode = p.era("exec_copy")
    per_exec = np.where(mode == EXEC_STRING, S + per_op("exec", "filename_strings") + A - 1, A)
    arg_kmaps = T * E * per_exec * h

    shared, private = mapped_pages(p)
    M = shared + private
    rmap = p.era("rmap_pte_chains") > 0
    adds = T * (F * per_op("fault", "rmap_adds") + K * M * per_op("fork", "rmap_adds_per_page")
                + E * A)
    removes = T * (X + E) * M * per_op("exit", "rmap_removes_per_page")
    rmap_ops = np.where(rmap, adds + removes, 0.0)
    walk_low = remove_walk(T, nrpte(p, per_op("rmap", "pte_addr_bytes_lowmem")))
    walk_high = remove_walk(T, nrpte(p, per_op("rmap", "pte_addr_bytes_highpte_pae")))
    shared_removes = T * (X + E) * shared
    extra = np.where(rmap & (p["pae"] > 0), shared_removes * (walk_high - walk_low), 0.0)

    calls = p["reads_per_s"] + p["writes_per_s"]
    syscalls = T * (calls + p["syscalls_per_s"] + K + E + X)
    faults = T * F
    tk = ticks(p)
    irq = p["interrupts_per_s"]
    data_pages = T * calls * np.ceil(p["read_size"] / PAGE)
    copies = data_pages + T * (p["syscalls_per_s"] * per_op("entry", "user_copy_pages_per_syscall")
                               + E * A)
    return Streams(
        own_pte_maps=own, child_pte_maps=child, other_pte_maps=other,
        new_pte_pages=T * new_pte, exec_arg_kmaps=arg_kmaps, exec_arg_pages=T * E * A * h,
        exec_arg_local=(mode == EXEC_LOCAL).astype(float),
        rmap_ops=rmap_ops, rmap_extra_nodes=extra,
        ticks=tk, interrupts=irq + 0 * T, syscalls=syscalls, faults=faults,
        ctxsw=T * p["ctxsw_per_s"], kernel_entries=tk + irq + syscalls + faults,
        user_copy_pages=copies, new_mms=T * (K + E))


def exec_route(st: Streams, data: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(global kmap, kmap_local, per-task pool) shares of exec's argument kmaps for a
    design whose data path is ``data`` (strategies.yaml): the era's copy_strings
    (kmap, or kmap_local from 6.0), the design's own local kmaps or pool, or none."""
    zero = 0 * st.exec_arg_kmaps
    if data == "era":
        local = st.exec_arg_kmaps * st.exec_arg_local
        return st.exec_arg_kmaps - local, local, zero
    if data == "local":
        return zero, st.exec_arg_kmaps, zero
    if data == "pool":
        return zero, zero, st.exec_arg_kmaps
    return zero, zero, zero


def rmap_cycles(p: Points, st: Streams) -> np.ndarray:
    """Cycles that pte_chains cost a design whose PTE pages are in highmem, beyond
    lowmem PTEs: ptep_to_paddr's kmap_atomic_to_page per rmap call and the extra
    nodes of u64 pte_addr_t chains (the caller multiplies by its pte_high)."""
    return (st.rmap_ops * per_op("rmap", "paddr_lookups_per_op")
            * p.cost("kmap_atomic_to_page_cycles")
            + st.rmap_extra_nodes * p.cost("pte_chain_node_cycles"))


__all__ = ["Streams", "exec_route", "l1_cache_bytes", "mapped_pages", "nrpte", "per_op",
           "remove_walk", "rmap_cycles", "streams", "ticks"]
