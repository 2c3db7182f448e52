"""The lowmem/highmem budget: mem_map, kernel, per-task costs, the largest task count.

Lowmem is the RAM the kernel maps directly (ZONE_DMA + ZONE_NORMAL, at most
MAXMEM). Everything the kernel must reach without kmap lives there: mem_map
(one ``struct page`` per page frame the memory map spans, holes included),
the kernel image, each thread's kernel stack (THREAD_SIZE) and task_struct,
each mm's pgd and pmd pages, and PTE pages unless the strategy puts them in
highmem (CONFIG_HIGHPTE's ``alloc_pages(GFP_KERNEL|__GFP_HIGHMEM)``, which
falls back to lowmem on a machine without highmem).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .inputs import Points
from .layout import FOUR_GIB, Space, address_space, region_bytes
from .pagetables import PAGE, pte_span, task_pte_pages, upper_pagetable_bytes
from .strategies import Strategy, design_constant

TASK_LIMITS = ("lowmem", "highmem", "PID_MAX")


@dataclass(frozen=True)
class Budget:
    """Lowmem figures of one strategy per point (bytes, except max_tasks)."""

    space: Space
    mem_map: np.ndarray
    fixed: np.ndarray            # mem_map + kernel image and reserved + swiotlb
    per_task_lowmem: np.ndarray  # one mm with its threads
    pte_pages_per_task: np.ndarray
    pagetable_per_task: np.ndarray       # PTE + pmd + pgd bytes, wherever they live
    pagetable_lowmem_per_task: np.ndarray
    region_pt_pages_per_task: np.ndarray  # pages that map the u-k-space region
    lowmem_used: np.ndarray
    lowmem_free: np.ndarray
    max_tasks: np.ndarray
    boots: np.ndarray
    task_limit: np.ndarray     # what caps max_tasks: "lowmem", "highmem" or "PID_MAX"
    consumers: dict[str, tuple[np.ndarray, np.ndarray]]  # lowmem: (fixed, per task) bytes


def mem_map_bytes(p: Points, s: Strategy) -> np.ndarray:
    """sizeof(struct page) for every page frame up to the top of RAM (plus holes)."""
    size = design_constant("flat64", "struct_page") if s.space == "flat64" \
        else p.era("struct_page")
    return (p["ram"] + p["phys_hole"]) / PAGE * size


def budget(p: Points, s: Strategy) -> Budget:
    """The lowmem budget of strategy ``s`` at every point."""
    sp = address_space(p, s)
    pae = p["pae"] > 0
    if s.space == "flat64":
        pae = np.ones(len(p), dtype=bool)
    mem_map = mem_map_bytes(p, s)
    top = p["ram"] + p["phys_hole"]
    swiotlb = np.where(top > FOUR_GIB, p.era("swiotlb"), 0.0)
    fixed = mem_map + p.era("kernel_reserved") + (0.0 if s.space == "flat64" else swiotlb)

    ptes = p.memo(("ptes", s.space == "flat64"), lambda: task_pte_pages(
        p["text"], p["private"], p["stack"], p["shared"], pae, p["shared_large"]).astype(float)
        + p.era("base_pte_pages"))
    if s.space == "flat64":
        upper = np.full(len(p), design_constant("flat64", "upper_pt_pages") * PAGE)
    else:
        upper = upper_pagetable_bytes(pae, p.era("pae_pmd_pages"), p.era("pgd_bytes_pae"))
    region = region_bytes(p, s)
    region_pages = region / pte_span(pae)
    if s.has_region:
        # carved from the (shared) kernel pmd under PAE, each mm needs its own copy
        region_pages = region_pages + np.where(pae & (p["carve_user"] == 0), 1.0, 0.0)
    pte_in_low = (s.pte_home == "lowmem") | (sp.highmem <= 0)
    pt_total = ptes * PAGE + upper
    pt_low = np.where(pte_in_low, ptes * PAGE, 0.0) + upper
    per_thread = p.era("thread_size") + p.era("task_struct_slab")
    per_task = (pt_low + region_pages * PAGE + p.era("mm_struct") + p["vmas"] * p.era("vma")
                + p["threads"] * per_thread)
    used = fixed + p["tasks"] * per_task
    free = sp.lowmem - used
    room = sp.lowmem - fixed
    max_low = np.floor(np.clip(room, 0, None) / per_task)
    max_pid = np.floor(p.era("pid_max") / p["threads"])
    high_pt = np.where(pte_in_low, 0.0, ptes * PAGE)
    max_high = np.where(high_pt > 0, np.floor(sp.highmem / np.where(high_pt > 0, high_pt, 1)),
                        np.inf)
    limits = np.stack([max_low, max_high, max_pid])
    max_tasks = limits.min(axis=0)
    binding = np.array(TASK_LIMITS, dtype=object)[limits.argmin(axis=0)]
    zero = 0.0 * mem_map
    consumers = {   # (fixed bytes, bytes per task) in lowmem
        "mem_map": (mem_map, zero),
        "kernel image and reserved": (p.era("kernel_reserved") + zero, zero),
        "SWIOTLB": (zero if s.space == "flat64" else swiotlb + zero, zero),
        "pgd and pmd pages": (zero, upper + zero),
        "PTE pages": (zero, np.where(pte_in_low, ptes * PAGE, 0.0)),
        "u-k-space mapping pages": (zero, region_pages * PAGE),
        "mm_struct and VMAs": (zero, p.era("mm_struct") + p["vmas"] * p.era("vma")),
        "kernel stacks and task_structs": (zero, p["threads"] * per_thread),
    }
    return Budget(sp, mem_map, fixed, per_task, ptes, pt_total, pt_low, region_pages,
                  used, free, max_tasks, room > 0, binding, consumers)
