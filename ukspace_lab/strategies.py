"""What each strategy does where: the rows of every table.

Each :class:`Strategy` says where a task's PTE pages live and how the kernel
reaches them (in the task's own context, and from outside it, as swapout
does), and how highmem page-cache data is mapped for a read() or write().
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Literal

import yaml

from .paths import DATA_DIR

Access = Literal["direct", "atomic", "local", "window", "kmap"]


@dataclass(frozen=True)
class Strategy:
    """One design for pagetables and highmem access on 32-bit x86."""

    name: str
    pte_home: Literal["lowmem", "highmem"]
    own_pt: Access          # faults, exit: the task's own pagetables
    other_pt: Access        # swapout scanning: another mm's pagetables
    fork_child: Access      # fork's copy_page_range writing the child's PTE pages
    data: Literal["era", "pool", "local", "none"]  # 'era' = the scenario's read_kmap
    window: bool            # per-task pagetable window in u-k-space
    pool: bool              # per-task kmap pool in u-k-space
    space: Literal["split", "4g4g", "flat64"]
    summary: str

    @property
    def has_region(self) -> bool:
        """Does the strategy need a per-task u-k-space region?"""
        return self.window or self.pool


STRATEGY_TABLE: dict[str, Strategy] = {s.name: s for s in (
    Strategy("mainline", "lowmem", "direct", "direct", "direct", "era", False, False, "split",
             "2.4: PTE pages in ZONE_NORMAL, reached through the direct map; "
             "highmem data through the global persistent kmap"),
    Strategy("highpte", "highmem", "atomic", "atomic", "atomic", "era", False, False, "split",
             "2.5/2.6 CONFIG_HIGHPTE: PTE pages in highmem, kmap_atomic(KM_PTE0) "
             "per access (pte_offset_map)"),
    Strategy("ukspace", "highmem", "window", "kmap", "atomic", "pool", True, True, "split",
             "the seed: PTE pages in highmem, mapped permanently in a per-task window; "
             "a per-task kmap pool; other mms through the global kmap"),
    Strategy("ukspace-pt", "highmem", "window", "kmap", "atomic", "era", True, False, "split",
             "the seed's first half alone: the pagetable window, data as mainline"),
    Strategy("ukspace-kmap", "lowmem", "direct", "direct", "direct", "pool", False, True, "split",
             "the seed's second half alone: PTE pages as mainline, a per-task kmap pool"),
    Strategy("kmap-local", "highmem", "local", "local", "local", "local", False, False, "split",
             "Linux 5.11+: kmap_local for PTE pages and data, per-task slots "
             "re-installed at context switch"),
    Strategy("4g4g", "lowmem", "direct", "direct", "direct", "era", False, False, "4g4g",
             "Ingo Molnar's 4G/4G (RHEL3): a 4 GiB kernel address space, a CR3 switch "
             "on every kernel entry and exit"),
    Strategy("flat64", "lowmem", "direct", "direct", "direct", "none", False, False, "flat64",
             "a 64-bit kernel: everything in the direct map, no kmap, no flush (the floor)"),
)}


def strategy(name: str) -> Strategy:
    """The strategy called ``name``."""
    try:
        return STRATEGY_TABLE[name]
    except KeyError:
        raise KeyError(f"unknown strategy {name!r}; allowed: {', '.join(STRATEGY_TABLE)}") \
            from None


@cache
def _design_raw() -> dict:
    with open(DATA_DIR / "strategies.yaml", encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def design_constant(group: str, key: str) -> float:
    """A constant of a design (4g4g, flat64, ukspace) from data/strategies.yaml."""
    return _design_raw()[group][key]["value"]
