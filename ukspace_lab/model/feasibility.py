"""Machines the kernel could not build, refused before any work.

:func:`feasibility_problems` is the narrow check scenario validation calls: a
pool larger than its region, a region that leaves no direct map (MAXMEM <= 0)
or no user space. It reads the scenario's fields and the era's constants and
applies the formulas of :mod:`~ukspace_lab.model.geometry` to one point, so it
needs neither the grid inputs nor the layout module.
"""

from __future__ import annotations

from typing import Any

from ..units import format_size
from . import geometry as geo
from .kernel import kernel_era
from .strategies import strategy


def _split_space(scn: Any, window: bool, pool: bool) -> tuple[float, float, float, float]:
    """(region, region need, MAXMEM, TASK_SIZE) of a split-kernel design."""
    m, u = scn.machine, scn.ukspace
    era = kernel_era(m.kernel)
    pae = m.arch == "i386-pae"
    po = float(geo.SPLITS[m.split])
    given = 0.0 if u.region_size == "auto" else float(u.region_size)
    region = float(geo.region_bytes(po, pae, era.pae_pmd_pages, float(u.pool_entries),
                                    window, pool, given)) if (window or pool) else 0.0
    need = float(geo.region_need(po, pae, float(u.pool_entries), window, pool))
    slots = float(geo.last_pkmap(pae, era.last_pkmap_nonpae, era.last_pkmap_pae))
    _, boot = geo.fixmap_start(float(era.fixaddr_top), era.fixmap_permanent_pages,
                               era.km_type_nr, era.nr_cpus, era.fixmap_boot_pages)
    pk = float(geo.pkmap_base(pae, era.pkmap_dynamic, float(era.pkmap_base), boot, slots))
    maxmem = float(geo.maxmem(po, float(era.vmalloc_reserve), pk - 2 * geo.PAGE,
                              era.maxmem_from_vmalloc_end))
    carve_kernel = u.carve_from == "kernel" and region > 0
    if carve_kernel:
        maxmem -= region
    return region, need, maxmem, po if carve_kernel else po - region


def feasibility_problems(scn: Any) -> list[str]:
    """One message per impossible combination of the (schema-valid) scenario ``scn``:
    a pool larger than its region, no direct map left, or no user space left."""
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
