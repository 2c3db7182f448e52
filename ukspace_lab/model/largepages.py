"""The shared segment in large pages: Red Hat AS 2.1 bigpages, hugetlbfs (2.5.36+).

With ``workload.shared_segment_page: large`` the SGA is mapped by pmd entries
(2 MiB pages under PAE, 4 MiB PSE pages without: HPAGE_SHIFT 21/22 in
include/asm-i386/page.h), so no mm pays PTE pages for it; the segment is
pinned (hugetlbfs pages are never swapped, ``hugetlb_prefault()`` fills the
whole mapping at shmat) and its TLB entries live in the CPU's separate
large-page TLB. Which eras had it, and how, is ``large_pages`` in
data/strategies.yaml: bigpages on 2.4 only in a vendor kernel, none in 2.5.7,
hugetlbfs from 2.5.36.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import yaml

from ..resources import data_file
from .kernel import kernel_era
from .strategies import design_constant


@cache
def _costs_raw() -> dict:
    with open(data_file("costs.yaml"), encoding="utf-8") as fh:
        return yaml.safe_load(fh)["large_page_tlb"]


@cache
def _eras() -> dict:
    with open(data_file("strategies.yaml"), encoding="utf-8") as fh:
        return yaml.safe_load(fh)["large_pages"]["eras"]


def large_page_mechanism(kernel: str) -> str:
    """How era ``kernel`` maps a shared segment in large pages ('' if it cannot)."""
    return str(_eras()[kernel_era(kernel).name]["value"])


def large_page_source(kernel: str) -> str:
    """The source behind :func:`large_page_mechanism`."""
    return str(_eras()[kernel_era(kernel).name]["source"])


def large_pages_available(kernel: str) -> bool:
    """Could a kernel of this era map a SysV segment in large pages?"""
    return bool(large_page_mechanism(kernel))


def page_options(kernel: str) -> tuple[str, ...]:
    """The ``workload.shared_segment_page`` values the era could run."""
    return ("4KiB", "large") if large_pages_available(kernel) else ("4KiB",)


def large_page_bytes(pae: np.ndarray | bool) -> np.ndarray:
    """HPAGE_SIZE: 2 MiB with PAE, 4 MiB without."""
    return np.where(pae, design_constant("large_pages", "page_pae"),
                    design_constant("large_pages", "page_nonpae"))


def large_tlb_entries(cpu_model: str) -> int:
    """Entries of the CPU's large-page TLB (data/costs.yaml large_page_tlb)."""
    return int(_costs_raw()[cpu_model]["value"])


def large_tlb_entries_by_index(models: tuple[str, ...]) -> np.ndarray:
    """Large-page TLB entries per CPU model, in ``models`` order (for Points)."""
    return np.array([large_tlb_entries(m) for m in models], dtype=float)


def refills_per_flush_large(L: np.ndarray, live_fraction: np.ndarray, shared: np.ndarray,
                            large: np.ndarray, pae: np.ndarray,
                            large_entries: np.ndarray) -> np.ndarray:
    """Refills per full flush when the SGA is in large pages.

    Of the ``L`` live 4 KiB entries a share ``sga_tlb_share`` (estimate,
    data/strategies.yaml) maps the SGA; with large pages those move to the
    large-page TLB, where at most ``min(entries, segment / HPAGE_SIZE)`` can be
    live, the same live fraction of them. Without large pages ``L`` is unchanged.
    """
    share = design_constant("large_pages", "sga_tlb_share")
    pages = shared / large_page_bytes(pae)
    sga_live = live_fraction * np.minimum(large_entries, np.ceil(pages))
    moved = np.where(shared > 0, L * share, 0.0)
    with_large = L - moved + np.where(shared > 0, sga_live, 0.0)
    return np.where(large > 0, np.minimum(with_large, L), L)
