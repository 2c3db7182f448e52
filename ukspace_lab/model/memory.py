"""The lowmem/highmem budget: mem_map, kernel, per-task costs, the largest task count.

Lowmem is the RAM the kernel maps directly (ZONE_DMA + ZONE_NORMAL, at most
MAXMEM). Everything the kernel must reach without kmap lives there: mem_map
(one ``struct page`` per page frame the memory map spans, holes included),
the kernel image, each thread's kernel stack (THREAD_SIZE) and task_struct,
each process's files/fs/signal slabs, each mm's pgd and pmd pages and VMAs,
2.4's buffer_heads of cached pages (``create_empty_buffers()``), and PTE
pages unless the strategy puts them in highmem. What prefers highmem (the
SGA, resident private memory, CONFIG_HIGHPTE's PTE pages from
``pte_alloc_one()`` with ``GFP_KERNEL|__GFP_HIGHMEM``) falls back to lowmem
when highmem is full, as the zonelist does. So ``max_tasks`` is the smallest
of: lowmem for what must be there (``lowmem``), all of RAM for everything
(``RAM``: highmem full and its spill filling lowmem), and PID_MAX.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import yaml

from ..resources import data_file
from .inputs import Points
from .kernel import ALL_ERAS
from .layout import FOUR_GIB, Space, address_space, region_bytes
from .pagetables import PAGE, pte_span, task_pte_pages, upper_pagetable_bytes
from .strategies import Strategy, design_constant

TASK_LIMITS = ("lowmem", "RAM", "PID_MAX")


@dataclass(frozen=True)
class Budget:
    """Lowmem figures of one strategy per point (bytes, except max_tasks)."""

    space: Space
    mem_map: np.ndarray
    fixed: np.ndarray            # lowmem: mem_map, kernel image, swiotlb, buffer_heads, shpte
    per_task_lowmem: np.ndarray  # one mm with its threads
    pte_pages_per_task: np.ndarray
    pagetable_per_task: np.ndarray       # PTE + pmd + pgd bytes, wherever they live
    pagetable_lowmem_per_task: np.ndarray
    region_pt_pages_per_task: np.ndarray  # pages that map the u-k-space region
    lowmem_used: np.ndarray
    lowmem_free: np.ndarray
    max_tasks: np.ndarray
    boots: np.ndarray
    task_limit: np.ndarray     # what caps max_tasks: "lowmem", "RAM" or "PID_MAX"
    consumers: dict[str, tuple[np.ndarray, np.ndarray]]  # lowmem: (fixed, per task) bytes
    highmem_fixed: np.ndarray      # resident, highmem first: the SGA, shared PTE pages
    highmem_per_task: np.ndarray   # resident private memory, highmem PTE pages
    page_cache: np.ndarray         # bytes of page cache at the scenario's task count


@cache
def _lowmem_raw() -> dict:
    with open(data_file("lowmem.yaml"), encoding="utf-8") as fh:
        return yaml.safe_load(fh)["eras"]


def lowmem_constant(era: str, name: str) -> float:
    """A lowmem consumer size of an era (data/lowmem.yaml, following ``inherit``)."""
    entry = _lowmem_raw()[era]
    if name in entry:
        return float(entry[name]["value"])
    return lowmem_constant(entry["inherit"], name)


def _per_point(p: Points, name: str) -> np.ndarray:
    return np.array([lowmem_constant(e, name) for e in ALL_ERAS])[p["era_index"].astype(int)]


def process_slabs(p: Points) -> np.ndarray:
    """files_struct + fs_struct + signal_struct (2.6: + sighand_struct) per process."""
    return sum(_per_point(p, k) for k in ("files_struct", "fs_struct", "signal_struct"))


def mem_map_bytes(p: Points, s: Strategy) -> np.ndarray:
    """sizeof(struct page) for every page frame up to the top of RAM (plus holes)."""
    size = design_constant("flat64", "struct_page") if s.space == "flat64" \
        else p.era("struct_page")
    return (p["ram"] + p["phys_hole"]) / PAGE * size


def resident_shared(p: Points) -> np.ndarray:
    """The SGA's resident bytes: all of it (pinned in large pages; hot and locked, as
    Oracle's lock_sga, in 4 KiB pages), never more than RAM."""
    return np.minimum(p["shared"], p["ram"])


def resident_private(p: Points) -> np.ndarray:
    """Resident private memory per task: ``private_resident`` of private + stack."""
    return p["private_resident"] * (p["private"] + p["stack"])


def cache_highmem_share(p: Points, highmem: np.ndarray) -> np.ndarray:
    """The page cache's real share of highmem: cache pages go where free memory is.
    Highmem free after the SGA and resident private memory (GFP_HIGHUSER, highmem
    first) against lowmem free after mem_map and the kernel image (the per-task
    lowmem of each design is left out, so both engines see one figure per point)."""
    lowmem = p["ram"] - highmem
    users = resident_shared(p) + p["tasks"] * resident_private(p)
    high_free = np.clip(highmem - users, 0, None)
    spill = np.clip(users - highmem, 0, None)
    low_free = np.clip(lowmem - (p["ram"] + p["phys_hole"]) / PAGE * p.era("struct_page")
                       - p.era("kernel_reserved") - spill, 0, None)
    total = high_free + low_free
    return np.where(total > 0, high_free / np.where(total > 0, total, 1), highmem / p["ram"])


def _largest_fitting(used_at, lowmem: np.ndarray, cap: np.ndarray) -> np.ndarray:
    """The largest task count n <= cap with used_at(n) <= lowmem, by bisection per point
    (used_at grows with n, but for the buffer_heads of a page cache that shrinks)."""
    lo = np.zeros(len(lowmem))
    hi = np.asarray(cap, dtype=float) + 1
    ok0 = used_at(lo) <= lowmem
    while np.any(hi - lo > 1):
        mid = np.floor((lo + hi) / 2)
        fits = used_at(mid) <= lowmem
        lo, hi = np.where(fits, mid, lo), np.where(fits, hi, mid)
    return np.where(ok0, lo, 0.0)


def budget(p: Points, s: Strategy) -> Budget:
    """The lowmem budget of strategy ``s`` at every point."""
    sp = address_space(p, s)
    pae = p["pae"] > 0
    if s.space == "flat64":
        pae = np.ones(len(p), dtype=bool)
    mem_map = mem_map_bytes(p, s)
    top = p["ram"] + p["phys_hole"]
    swiotlb = np.where(top > FOUR_GIB, p.era("swiotlb"), 0.0)
    base = mem_map + p.era("kernel_reserved") + (0.0 if s.space == "flat64" else swiotlb)

    ptes = p.memo(("ptes", s.space == "flat64"), lambda: task_pte_pages(
        p["text"], p["private"], p["stack"], p["shared"], pae, p["shared_large"]).astype(float)
        + p.era("base_pte_pages"))
    # shpte: the segment's PTE pages that map a whole PTE span are one copy machine-wide
    shared_once = np.zeros(len(p))
    if s.share_pt:
        shared_once = np.where(p["shared_large"] > 0, 0.0,
                               np.floor(p["shared"] / pte_span(pae)))
        ptes = ptes - shared_once
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
    slabs = 0.0 if s.space == "flat64" else process_slabs(p)
    per_task = (pt_low + region_pages * PAGE + p.era("mm_struct") + p["vmas"] * p.era("vma")
                + p["threads"] * per_thread + slabs)
    shpte_low = np.where(pte_in_low, shared_once * PAGE, 0.0)
    high_fixed = resident_shared(p) + np.where(pte_in_low, 0.0, shared_once * PAGE)
    high_task = resident_private(p) + np.where(pte_in_low, 0.0, ptes * PAGE)
    T = p["tasks"]
    # the page cache fills what the tasks leave, up to the file set; 2.4 gives each
    # cached page buffer_heads in lowmem (kept on page->buffers until reclaim)
    file_set = np.where(p["file_set"] < 0, p["ram"], p["file_set"])
    ram = sp.lowmem + sp.highmem
    bh_per_byte = (0.0 if s.space == "flat64" else
                   _per_point(p, "buffers_per_cached_page") * _per_point(p, "buffer_head")
                   / PAGE)
    lowmem_only = base + shpte_low

    def cache_at(n: np.ndarray) -> np.ndarray:
        return np.clip(np.minimum(file_set, ram - lowmem_only - high_fixed
                                  - n * (per_task + high_task)), 0, None)

    def used_at(n: np.ndarray) -> np.ndarray:     # lowmem that cannot move, at n tasks
        return lowmem_only + n * per_task + np.floor(cache_at(n) / PAGE) * PAGE * bh_per_byte

    cache = cache_at(T)
    bh = np.floor(cache / PAGE) * PAGE * bh_per_byte
    fixed = lowmem_only + bh
    spill = np.clip(high_fixed + T * high_task - sp.highmem, 0, None)
    used = fixed + T * per_task + spill
    free = sp.lowmem - used
    room = sp.lowmem - fixed
    max_low = _largest_fitting(used_at, sp.lowmem, p.era("pid_max"))
    # all of RAM: the cache (and its buffer_heads) gives way to resident memory
    room_ram = ram - lowmem_only - high_fixed
    max_ram = np.floor(np.clip(room_ram, 0, None) / (per_task + high_task))
    max_pid = np.floor(p.era("pid_max") / p["threads"])
    limits = np.stack([max_low, max_ram, max_pid])
    max_tasks = limits.min(axis=0)
    binding = np.array(TASK_LIMITS, dtype=object)[limits.argmin(axis=0)]
    zero = 0.0 * mem_map
    consumers = {   # (fixed bytes, bytes per task) in lowmem
        "mem_map": (mem_map, zero),
        "kernel image and reserved": (p.era("kernel_reserved") + zero, zero),
        "SWIOTLB": (zero if s.space == "flat64" else swiotlb + zero, zero),
        "buffer_heads of cached pages": (bh + zero, zero),
        "shared PTE pages (shpte)": (shpte_low + zero, zero),
        "pgd and pmd pages": (zero, upper + zero),
        "PTE pages": (zero, np.where(pte_in_low, ptes * PAGE, 0.0)),
        "u-k-space mapping pages": (zero, region_pages * PAGE),
        "mm_struct and VMAs": (zero, p.era("mm_struct") + p["vmas"] * p.era("vma")),
        "files, fs and signal slabs": (zero, slabs + zero),
        "kernel stacks and task_structs": (zero, p["threads"] * per_thread),
        "highmem overflow (falls back to lowmem)": (spill + zero, zero),
    }
    return Budget(sp, mem_map, fixed, per_task, ptes, pt_total, pt_low, region_pages,
                  used, free, max_tasks, room > 0, binding, consumers, high_fixed,
                  high_task, cache)
