"""The arithmetic of the i386 kernel's virtual map, on plain numbers or arrays.

These are the formulas of include/asm-i386/{page,pgtable,highmem,fixmap}.h,
written once: :mod:`~ukspace_lab.model.layout` applies them to every point of
a grid, :mod:`~ukspace_lab.model.feasibility` to one scenario before any
work. Every function works on Python numbers and on numpy arrays alike.
"""

from __future__ import annotations

import numpy as np

from .pagetables import PAGE, pte_span

FOUR_GIB = float(1 << 32)
SPLITS = {"3G/1G": 0xC0000000, "2G/2G": 0x80000000, "1G/3G": 0x40000000}  # PAGE_OFFSET


def round_up(x, to):
    """``x`` rounded up to a multiple of ``to``."""
    return -(-x // to) * to


def last_pkmap(pae, nonpae_slots, pae_slots):
    """LAST_PKMAP: one PTE page of slots, 512 with PAE and 1024 without (highmem.h)."""
    return np.where(pae, pae_slots, nonpae_slots)


def fixmap_start(fixaddr_top, permanent_pages, km_type_nr, nr_cpus, boot_pages):
    """(FIXADDR_START, FIXADDR_BOOT_START): the permanent slots and KM_TYPE_NR x NR_CPUS
    kmap_atomic slots grow down from FIXADDR_TOP, the boot-time btmaps below them."""
    start = fixaddr_top - (permanent_pages + km_type_nr * nr_cpus) * PAGE
    return start, start - boot_pages * PAGE


def pkmap_base(pae, dynamic, static_base, boot_start, slots):
    """PKMAP_BASE: static in 2.4/2.5, ``(FIXADDR_BOOT_START - PAGE_SIZE*(LAST_PKMAP + 1))
    & PMD_MASK`` in 2.6."""
    pmd = pte_span(pae) * 1.0
    moving = np.floor((boot_start - PAGE * (slots + 1)) / pmd) * pmd
    return np.where(dynamic, moving, static_base)


def window_bytes(page_offset, pae, pmd_pages):
    """A per-task pagetable window: one page per PTE page of user space (6 MiB for
    3 GiB under PAE), plus the PAE pmd pages."""
    return (page_offset / pte_span(pae)) * PAGE + np.where(pae, pmd_pages * PAGE, 0.0)


def region_bytes(page_offset, pae, pmd_pages, pool_entries, window, pool, given):
    """The u-k-space region: ``given`` (bytes) when set, else the window and the pool
    rounded up to a pmd ('auto'); 0 for a design without a region."""
    if not (window or pool):
        return np.zeros_like(np.asarray(page_offset, dtype=float))
    need = (window_bytes(page_offset, pae, pmd_pages) if window else 0.0) \
        + (pool_entries * PAGE if pool else 0.0)
    auto = round_up(need, pte_span(pae) * 1.0)
    return np.where(given > 0, given, auto)


def region_need(page_offset, pae, pool_entries, window, pool):
    """Bytes the window and the pool need inside the region (no pmd pages, no rounding)."""
    return ((page_offset / pte_span(pae)) * PAGE if window else 0.0) \
        + (pool_entries * PAGE if pool else 0.0)


def maxmem(page_offset, vmalloc_reserve, vmalloc_end, from_vmalloc_end):
    """MAXMEM: ``-PAGE_OFFSET - VMALLOC_RESERVE`` (2.4 to 2.6), or ``VMALLOC_END -
    PAGE_OFFSET - __VMALLOC_RESERVE`` (pgtable_32_areas.h, modern)."""
    return np.where(from_vmalloc_end, vmalloc_end - page_offset - vmalloc_reserve,
                    FOUR_GIB - page_offset - vmalloc_reserve)


def hole(pae, pkmap_base, slots, boot_start):
    """The pmd-aligned part of the unused hole between the pkmap page table's end
    (PKMAP_BASE + LAST_PKMAP pages) and FIXADDR_BOOT_START: (start, end). 29.3 MiB in
    2.4.18 PAE (0xfe200000-0xfff55000), 28 MiB of it whole 2 MiB pmds; none in 2.6,
    whose PKMAP_BASE sits just below the fixmap."""
    pmd = pte_span(pae) * 1.0
    start = np.ceil((pkmap_base + slots * PAGE) / pmd) * pmd
    end = np.floor(boot_start / pmd) * pmd
    return start, np.maximum(end, start)


def fits_hole(region, pae, pkmap_base, slots, boot_start):
    """Does a region of ``region`` bytes fit whole pmds of the pkmap-fixmap hole?"""
    start, end = hole(pae, pkmap_base, slots, boot_start)
    return (region > 0) & (end - start >= region)
