"""Machines the kernel could not build, and workloads the machine could not run,
refused before any work.

:func:`feasibility_problems` is the narrow check scenario validation calls:

- a pool larger than its region, a region that leaves no direct map (MAXMEM <= 0)
  or no user space;
- a task whose mappings do not fit the user address space they are mapped into:
  the shared segment, the private memory, or text + private + stack + shared
  together larger than TASK_SIZE (PAGE_OFFSET, less a region carved from user
  space; ``user_top`` under 4G/4G; TASK_SIZE_MAX of the 64-bit floor);
- more events per second than the machine has cycles: each read()/write() page,
  fault, context switch, fork and scanned page costs at least one cycle, so their
  rates add up to at most cpus x clock_hz (this also bounds the simulator's work);
- a cost figure of more than a second of the CPU (clock_hz cycles) for one event,
  or a TLB whose refills after one flush would take that long (the figures are
  cycles per event, microseconds in every real table; 1e300 overflows the sums).

A shared segment larger than RAM is accepted, with a meaning: SysV shared memory
is swappable, so it is a segment partly swapped out; each task still maps all of
it, and the model counts its PTE pages in full (swap traffic is not modelled).
The shipped default sweeps RAM from 1 GiB under its 2 GiB SGA.

It reads the scenario's fields and the era's constants and applies the formulas
of :mod:`~ukspace_lab.model.geometry` to one point, so it needs neither the grid
inputs nor the layout module. The geometry of one (era, split, region) is
computed once and cached: a sweep validates thousands of values.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

from ..units import PAGE_SIZE, format_size
from . import geometry as geo
from .costs import COST_FIELDS, cost_table
from .kernel import kernel_era
from .strategies import design_constant, strategy


@lru_cache(maxsize=4096)
def _space(kernel: str, pae: bool, split: str, region_size: float, pool_entries: int,
           carve_from: str, window: bool, pool: bool,
           last_pkmap: int = 0) -> tuple[float, float, float, float]:
    """(region, region need, MAXMEM, TASK_SIZE) of a split-kernel design (``last_pkmap``:
    machine.last_pkmap, 0 for the era's)."""
    era = kernel_era(kernel)
    po = float(geo.SPLITS[split])
    region = float(geo.region_bytes(po, pae, era.pae_pmd_pages, float(pool_entries),
                                    window, pool, region_size)) if (window or pool) else 0.0
    need = float(geo.region_need(po, pae, float(pool_entries), window, pool))
    slots = float(last_pkmap or geo.last_pkmap(pae, era.last_pkmap_nonpae, era.last_pkmap_pae))
    _, boot = geo.fixmap_start(float(era.fixaddr_top), era.fixmap_permanent_pages,
                               era.km_type_nr, era.nr_cpus, era.fixmap_boot_pages)
    pk = float(geo.pkmap_base(pae, era.pkmap_dynamic, float(era.pkmap_base), boot, slots))
    maxmem = float(geo.maxmem(po, float(era.vmalloc_reserve), pk - 2 * geo.PAGE,
                              era.maxmem_from_vmalloc_end))
    carve_kernel = carve_from == "kernel" and region > 0
    if carve_kernel:
        maxmem -= region
    return region, need, maxmem, po if carve_kernel else po - region


def _split_space(scn: Any, window: bool, pool: bool) -> tuple[float, float, float, float]:
    m, u = scn.machine, scn.ukspace
    given = 0.0 if u.region_size == "auto" else float(u.region_size)
    return _space(m.kernel, m.arch == "i386-pae", m.split, given, u.pool_entries,
                  u.carve_from, window, pool, 0 if m.last_pkmap == "auto" else m.last_pkmap)


def _user_space(scn: Any, s: Any) -> tuple[float, str]:
    """TASK_SIZE of strategy ``s`` and where it comes from."""
    if s.space == "flat64":
        return float(design_constant("flat64", "user_vaddr")), "TASK_SIZE_MAX of x86-64"
    if s.space == "4g4g":
        return float(design_constant("4g4g", "user_top")), "4G/4G's own user space"
    task_size = _split_space(scn, s.window, s.pool)[3]
    carved = " less the u-k-space region" if s.has_region and scn.ukspace.carve_from == "user" \
        else ""
    return task_size, f"split {scn.machine.split}{carved}"


def _region_problems(scn: Any) -> list[str]:
    problems = []
    for name in scn.strategies:
        s = strategy(name)
        if s.space != "split":
            continue          # 4G/4G and the 64-bit floor have no u-k-space region
        region, need, maxmem, task_size = _split_space(scn, s.window, s.pool)
        if s.has_region and need > region:
            problems.append(
                f"ukspace.region_size = {format_size(region)}: strategy {name} needs "
                f"{format_size(need)} (pool_entries {scn.ukspace.pool_entries} x 4 KiB"
                f"{' plus the pagetable window' if s.window else ''}); raise it or use auto")
        if maxmem <= 0:
            problems.append(
                f"machine.split = {scn.machine.split}: strategy {name} leaves no direct map "
                f"(MAXMEM {format_size(maxmem)}); use a smaller ukspace.region_size "
                "or carve_from: user")
        if task_size <= 0:
            problems.append(f"ukspace.region_size: strategy {name} leaves no user space")
    return problems


def _mapping_problems(scn: Any) -> list[str]:
    """The task's mappings against each strategy's user space, one message per cause."""
    w = scn.workload
    total = w.text + w.private + w.stack + w.shared_segment
    causes: dict[tuple[str, str], list[str]] = {}
    for name in scn.strategies:
        user, why = _user_space(scn, strategy(name))
        if user <= 0:
            continue                                  # said by _region_problems
        for key, need in (("workload.shared_segment", w.shared_segment),
                          ("workload.private", w.private), ("workload.text", w.text)):
            if need > user:
                causes.setdefault((f"{key} = {format_size(need)}", f"{format_size(user, 2)} "
                                   f"({why})"), []).append(name)
                break
        else:
            if total > user:
                parts = " + ".join(f"{k} {format_size(getattr(w, k))}"
                                   for k in ("text", "private", "stack", "shared_segment"))
                causes.setdefault((f"workload mappings {parts} = {format_size(total)}",
                                   f"{format_size(user, 2)} ({why})"), []).append(name)
    return [f"{what}: does not fit the user address space of {', '.join(names)}, "
            f"TASK_SIZE {room}; shrink it or drop those strategies"
            for (what, room), names in causes.items()]


def _machine_problems(scn: Any) -> list[str]:
    """Costs of more than a second for one event; more events per second than cycles."""
    m, w = scn.machine, scn.workload
    problems = []
    table = cost_table(m.cpu_model, dict(scn.costs))
    clock = float(table.clock_hz)
    for name in COST_FIELDS:
        if name.endswith("_cycles") and getattr(table, name) > clock:
            problems.append(f"costs.{name} = {getattr(table, name):.3g} cycles: more than a "
                            f"second of the CPU (costs.clock_hz = {clock:.3g}) for one event")
    refill = table.tlb_entries * table.tlb_live_fraction * table.tlb_refill_cycles
    if refill > clock:
        problems.append(f"costs.tlb_entries x tlb_live_fraction x tlb_refill_cycles = "
                        f"{refill:.3g} cycles: refilling after one flush would take more than a "
                        f"second of the CPU (costs.clock_hz = {clock:.3g})")
    pages = math.ceil(w.read_size / PAGE_SIZE)
    exits = w.forks_per_s if w.exits_per_s == "auto" else w.exits_per_s
    events = (w.tasks * ((w.reads_per_s + w.writes_per_s) * pages + w.faults_per_s
                         + w.ctxsw_per_s + w.forks_per_s + w.execs_per_s + exits
                         + w.syscalls_per_s) + w.scan_pages_per_s + m.interrupts_per_s)
    cycles = m.cpus * clock
    if clock > 0 and events > cycles:
        problems.append(
            f"workload: tasks x ((reads_per_s + writes_per_s) x {pages} pages per read + "
            "faults_per_s + ctxsw_per_s + forks_per_s + execs_per_s + exits_per_s + "
            "syscalls_per_s) + scan_pages_per_s + machine.interrupts_per_s = "
            f"{events:.3g} events/s, more than the machine's machine.cpus x costs.clock_hz = "
            f"{cycles:.3g} cycles/s; each event costs at least one cycle")
    return problems


def feasibility_problems(scn: Any) -> list[str]:
    """One message per impossible combination of the (schema-valid) scenario ``scn``."""
    return _region_problems(scn) + _mapping_problems(scn) + _machine_problems(scn)
