"""PTE and pmd page counts from a task's regions (vectorised over numpy arrays).

A PTE page maps ``PTRS_PER_PTE`` entries: 1024 x 4 KiB = 4 MiB without PAE,
512 x 4 KiB = 2 MiB with PAE (include/asm-i386/pgtable-{2,3}level.h). Each
region is assumed aligned to that span, so it costs ``ceil(size / span)`` PTE
pages per mm: the shared segment is paid again by every task that maps it.
"""

from __future__ import annotations

import numpy as np

PAGE = 4096


def ptrs_per_pte(pae: np.ndarray | bool) -> np.ndarray:
    """PTRS_PER_PTE: 512 with PAE (8-byte entries), 1024 without."""
    return np.where(pae, 512, 1024)


def pte_span(pae: np.ndarray | bool) -> np.ndarray:
    """Bytes of user VA one PTE page maps: 2 MiB (PAE) or 4 MiB."""
    return ptrs_per_pte(pae) * PAGE


def pte_pages(size: np.ndarray | int, pae: np.ndarray | bool) -> np.ndarray:
    """PTE pages for one aligned region of ``size`` bytes."""
    span = pte_span(pae)
    return -(-np.asarray(size, dtype=np.int64) // span)


def task_pte_pages(text, private, stack, shared, pae, shared_large=0.0) -> np.ndarray:
    """PTE pages of one mm: text+data, private anonymous memory, stack, shared segment.

    A segment in large pages (``shared_large`` 1) is mapped by pmd entries of the
    pmd pages every mm already has (hugetlb_prefault() sets pmds, allocates no PTE
    page), so it costs none."""
    return (pte_pages(text, pae) + pte_pages(private, pae) + pte_pages(stack, pae)
            + np.where(np.asarray(shared_large) > 0, 0, pte_pages(shared, pae)))


def upper_pagetable_bytes(pae, pmd_pages, pgd_bytes_pae) -> np.ndarray:
    """pgd and pmd bytes of one mm: a 4 KiB pgd without PAE; with PAE a 32-byte
    pgd from pae_pgd_cachep plus the user pmd pages (get_pgd_slow / pgd_alloc)."""
    return np.where(pae, pgd_bytes_pae + pmd_pages * PAGE, PAGE)
