"""The kernel virtual address map per strategy, with exact addresses.

For the 3G/1G-style splits the map is the one of include/asm-i386/{page,
pgtable,highmem,fixmap}.h: the direct map from PAGE_OFFSET, an 8 MiB guard,
vmalloc up to PKMAP_BASE - 2 pages, the pkmap page table, the fixmap under
FIXADDR_TOP. A u-k-space region in the hole (2.4/2.5.7: whole pmds between
the pkmap page table and the fixmap) costs no address space anyone uses;
carved from the kernel it sits just below PKMAP_BASE and shrinks MAXMEM (so
the direct map, so lowmem) by its size; carved from user space it sits just
below PAGE_OFFSET and shrinks TASK_SIZE. ``carve_from: auto`` takes the hole
when the region fits it, else the kernel.
All functions are vectorised over :class:`~ukspace_lab.inputs.Points`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..units import format_size
from . import geometry as geo
from .inputs import Points, points_from_scenario
from .kernel import ALL_ERAS
from .machine import machine_constant
from .pagetables import PAGE
from .strategies import Strategy, design_constant, strategy

if TYPE_CHECKING:
    from .scenario import Scenario

FOUR_GIB = geo.FOUR_GIB


def last_pkmap(p: Points) -> np.ndarray:
    """LAST_PKMAP per point: 512 with PAE, 1024 without."""
    return geo.last_pkmap(p["pae"] > 0, p.era("last_pkmap_nonpae"), p.era("last_pkmap_pae"))


def nr_cpus(p: Points) -> np.ndarray:
    """NR_CPUS per point: the era's, but on 2.6 the Kconfig default of the subarch the box
    needs, 8, or 32 for more than 8 CPUs (NUMAQ/SUMMIT/BIGSMP/ES7000; data/machine.yaml)."""
    eras = machine_constant("nr_cpus_2_6", "eras")
    by_cpus = np.where(p["cpus"] > machine_constant("nr_cpus_2_6", "small"),
                       machine_constant("nr_cpus_2_6", "big"),
                       machine_constant("nr_cpus_2_6", "small"))
    in_era = np.array([e in eras for e in ALL_ERAS])[p["era_index"].astype(int)]
    return np.where(in_era, by_cpus, p.era("nr_cpus"))


def fixmap(p: Points) -> tuple[np.ndarray, np.ndarray]:
    """(FIXADDR_START, FIXADDR_BOOT_START) per point (:func:`geometry.fixmap_start`)."""
    return geo.fixmap_start(p.era("fixaddr_top"), p.era("fixmap_permanent_pages"),
                          p.era("km_type_nr"), nr_cpus(p), p.era("fixmap_boot_pages"))


def pkmap_base(p: Points) -> np.ndarray:
    """PKMAP_BASE: static in 2.4/2.5, below the fixmap on a pmd boundary in 2.6."""
    _, boot = fixmap(p)
    return geo.pkmap_base(p["pae"] > 0, p.era("pkmap_dynamic") > 0, p.era("pkmap_base"), boot,
                        last_pkmap(p))


def region_bytes(p: Points, s: Strategy) -> np.ndarray:
    """Size of the per-task u-k-space region (0 for strategies without one).

    'auto' sizes it for a window of one page per PTE page of user VA (6 MiB for a
    3 GiB PAE user space), the PAE pmd pages, and the pool, rounded up to a pmd.
    """
    if not s.has_region:
        return np.zeros(len(p))
    return geo.region_bytes(p["page_offset"], p["pae"] > 0, p.era("pae_pmd_pages"), p["pool"],
                          s.window, s.pool, p["region_size"])


def region_need(p: Points, s: Strategy) -> np.ndarray:
    """Bytes the window and the pool need inside the region."""
    return geo.region_need(p["page_offset"], p["pae"] > 0, p["pool"], s.window, s.pool)


def hole_era(p: Points) -> np.ndarray:
    """Does the era leave the pkmap-fixmap pmds unused (ukspace.hole_eras)?"""
    eras = design_constant("ukspace", "hole_eras")
    return np.array([e in eras for e in ALL_ERAS])[p["era_index"].astype(int)]


@dataclass(frozen=True)
class Space:
    """Address-space figures of one strategy, per point (bytes, addresses)."""

    task_size: np.ndarray
    user_vaddr: np.ndarray
    kernel_vaddr: np.ndarray
    maxmem: np.ndarray
    lowmem: np.ndarray
    highmem: np.ndarray
    region: np.ndarray
    region_start: np.ndarray
    vmalloc_start: np.ndarray
    vmalloc_end: np.ndarray
    pkmap_base: np.ndarray
    fixmap_start: np.ndarray
    region_in_hole: np.ndarray | None = None   # the region sits in the pkmap-fixmap hole


def address_space(p: Points, s: Strategy) -> Space:
    """The address space of strategy ``s`` at every point."""
    return p.memo(("space", s.space, s.window, s.pool), lambda: _address_space(p, s))


def _address_space(p: Points, s: Strategy) -> Space:
    ram = p["ram"]
    region = region_bytes(p, s)
    fix_start, _ = fixmap(p)
    pk = pkmap_base(p)
    vmalloc_end = pk - 2 * PAGE
    if s.space == "flat64":
        big = np.full(len(p), float(design_constant("flat64", "user_vaddr")))
        kv = np.full(len(p), float(design_constant("flat64", "kernel_vaddr")))
        zero = np.zeros(len(p))
        return Space(big, big, kv, ram, ram, zero, zero, zero, zero, zero, zero, zero,
                     zero > 0)
    if s.space == "4g4g":
        po = np.full(len(p), float(design_constant("4g4g", "kernel_page_offset")))
        user_top = np.full(len(p), float(design_constant("4g4g", "user_top")))
        maxmem = FOUR_GIB - po - p.era("vmalloc_reserve")
        lowmem = np.minimum(ram, maxmem)
        vstart = po + lowmem + p.era("vmalloc_offset")
        zero = np.zeros(len(p))
        return Space(user_top, user_top, FOUR_GIB - po, maxmem, lowmem, ram - lowmem,
                     zero, zero, vstart, vmalloc_end, pk, fix_start, zero > 0)
    po = p["page_offset"]
    maxmem = geo.maxmem(po, p.era("vmalloc_reserve"), vmalloc_end,
                      p.era("maxmem_from_vmalloc_end") > 0)
    carve_kernel = (p["carve_user"] == 0) & (region > 0)
    _, boot = fixmap(p)
    slots = last_pkmap(p)
    hole_start, _ = geo.hole(p["pae"] > 0, pk, slots, boot)
    in_hole = (carve_kernel & (p["carve_hole"] > 0) & hole_era(p)
               & geo.fits_hole(region, p["pae"] > 0, pk, slots, boot))
    below_pk = carve_kernel & ~in_hole
    maxmem = np.where(below_pk, maxmem - region, maxmem)
    task_size = np.where(carve_kernel, po, po - region)
    region_start = np.where(region > 0, np.where(
        in_hole, hole_start, np.where(carve_kernel, pk - region, po - region)), 0.0)
    lowmem = np.clip(np.minimum(ram, maxmem), 0, None)
    high_memory = po + lowmem
    off = p.era("vmalloc_offset")
    vstart = np.where(p.era("vmalloc_start_aligned") > 0,
                      np.floor((high_memory + 2 * off - 1) / off) * off, high_memory + off)
    vend = np.where(below_pk, region_start - 2 * PAGE, vmalloc_end)
    return Space(task_size, task_size, FOUR_GIB - po, maxmem, lowmem, ram - lowmem, region,
                 region_start, vstart, vend, pk, fix_start, in_hole)


def placement(scn: Scenario, name: str = "ukspace") -> str:
    """Where strategy ``name``'s region sits: hole, kernel (below PKMAP_BASE), user, or
    none; ``carve_from: auto`` resolved."""
    s = strategy(name)
    if not s.has_region or s.space != "split":
        return "none"
    if scn.ukspace.carve_from == "user":
        return "user"
    sp = address_space(points_from_scenario(scn), s)
    return "hole" if bool(sp.region_in_hole[0]) else "kernel"


@dataclass(frozen=True)
class Area:
    """One row of the printed address map."""

    name: str
    start: int
    end: int
    note: str

    @property
    def size(self) -> int:
        return self.end - self.start


def areas(scn: Scenario, name: str) -> list[Area]:
    """The 32-bit virtual address map of one strategy for one scenario, top-down
    order reversed (lowest address first)."""
    s = strategy(name)
    p = points_from_scenario(scn)
    sp = address_space(p, s)
    g = {k: int(getattr(sp, k)[0]) for k in Space.__dataclass_fields__
         if getattr(sp, k) is not None}
    hole_region = bool(g.get("region_in_hole", 0)) and s.space == "split"
    top = int(p.era("fixaddr_top")[0])
    lp = int(last_pkmap(p)[0])
    if s.space == "flat64":
        return [Area("user (64-bit)", 0, g["user_vaddr"], "47-bit user space"),
                Area("direct map", 0, int(scn.machine.ram), "all RAM, no highmem")]
    out = []
    if s.space == "4g4g":
        po = int(design_constant("4g4g", "kernel_page_offset"))
        out.append(Area("user (own 4 GiB space)", 0, g["user_vaddr"],
                        "separate pgd; kernel entry switches CR3"))
        out.append(Area("kernel: direct map", po, po + g["lowmem"],
                        f"lowmem {format_size(g['lowmem'])} in the kernel's 4 GiB space"))
    else:
        po = int(p["page_offset"][0])
        out.append(Area("user", 0, g["task_size"], "u-space, per task"))
        if g["region"] and scn.ukspace.carve_from == "user":
            out.append(Area("u-k-space (from user)", g["region_start"], po,
                            "per task, supervisor-only PTEs"))
        out.append(Area("direct map (lowmem)", po, po + g["lowmem"],
                        "ZONE_DMA + ZONE_NORMAL"))
    out.append(Area("guard", out[-1].end, g["vmalloc_start"], "VMALLOC_OFFSET hole"))
    out.append(Area("vmalloc", g["vmalloc_start"], g["vmalloc_end"], ""))
    if g["region"] and placement(scn, name) == "kernel" and s.space == "split":
        out.append(Area("guard", g["vmalloc_end"], g["region_start"], "2 pages"))
        out.append(Area("u-k-space (from kernel)", g["region_start"], g["pkmap_base"],
                        "per task: pagetable window and/or kmap pool"))
    else:
        out.append(Area("guard", g["vmalloc_end"], g["pkmap_base"], "2 pages"))
    out.append(Area("pkmap", g["pkmap_base"], g["pkmap_base"] + lp * PAGE,
                    f"LAST_PKMAP = {lp} persistent kmap slots"))
    if hole_region:
        out.append(Area("unused", g["pkmap_base"] + lp * PAGE, g["region_start"], ""))
        out.append(Area("u-k-space (in the hole)", g["region_start"],
                        g["region_start"] + g["region"],
                        "per task, in whole pmds between pkmap and the fixmap"))
        out.append(Area("unused", g["region_start"] + g["region"], g["fixmap_start"], ""))
    else:
        out.append(Area("unused", g["pkmap_base"] + lp * PAGE, g["fixmap_start"], ""))
    out.append(Area("fixmap", g["fixmap_start"], top,
                    "kmap_atomic slots, APIC, IO-APIC"))
    return [a for a in out if a.size > 0]
