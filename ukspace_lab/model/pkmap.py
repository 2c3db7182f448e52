"""The global persistent kmap pool (mm/highmem.c): its rates and cycles.

``kmap_high()`` and ``kunmap_high()`` each take ``kmap_lock``: two lock arrivals per
kmap. A new mapping runs ``map_new_virtual()``; every N - held new mappings the
scan wraps and ``flush_all_zero_pkmaps()`` clears each count-1 slot (pte_clear,
``page->virtual = NULL`` on a struct page line last written by another CPU, or
``set_page_address()`` with its two locks on 2.5.41+) and runs ``flush_tlb_all()``,
all under the lock. The formulas are docs/kmap-mechanics.md secs. 1, 2 and 4.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import kmap, tlb
from .inputs import Points
from .layout import last_pkmap

COUNTER_BYTES = 4     # int pkmap_count[LAST_PKMAP] (mm/highmem.c)


@dataclass(frozen=True)
class PoolRates:
    """What the global pool does per second at every point."""

    hits: np.ndarray
    new: np.ndarray
    flushes: np.ndarray
    ipis: np.ndarray
    sleeps: np.ndarray
    held: np.ndarray          # slots held at a wrap
    lock_utilization: np.ndarray
    cycles: np.ndarray        # lock sections, the receivers' flush work and the spin


def lock_sections(p: Points) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cycles under kmap_lock of (a kmap_high hit, the extra of a new mapping, a
    kunmap_high): the lock's own locked op, the lock line and pkmap_count[] line when
    last written by another CPU, the work, and the hashed page_address of 2.5.41+."""
    cpus = p["cpus"]
    remote = (cpus - 1) / np.maximum(cpus, 1)
    line = p.cost("kmap_lock_line_cycles")
    hashed = p.era("page_address_hashed")
    lookup = hashed * p.cost("page_address_lookup_cycles")
    s_kmap = p.cost("lock_op_cycles") + 2 * remote * line + p.cost("kmap_high_hold_cycles") \
        + lookup
    s_new = p.cost("pkmap_new_cycles") + hashed * p.cost("set_page_address_cycles")
    s_kunmap = p.cost("lock_op_cycles") + remote * line + p.cost("kunmap_hold_cycles") + lookup
    return s_kmap, s_new, s_kunmap


def wrap_cycles(p: Points, N, held) -> np.ndarray:
    """Cycles of flush_all_zero_pkmaps() under kmap_lock: N - held count-1 entries
    cleared, held entries tested, the PTE page's and pkmap_count[]'s lines, and the
    sender's flush_tlb_all()."""
    cpus = p["cpus"]
    remote = (cpus - 1) / np.maximum(cpus, 1)
    line = p.cost("kmap_lock_line_cycles")
    pte_bytes = np.where(p["pae"] > 0, 8.0, 4.0)
    cleared = (N - held) * (p.cost("pkmap_wrap_entry_cycles") + remote * line
                            + p.era("page_address_hashed") * p.cost("set_page_address_cycles"))
    tested = held * p.cost("pkmap_scan_entry_cycles")
    lines = remote * line * N * (pte_bytes + COUNTER_BYTES) / p.cost("cache_line_bytes")
    return cleared + tested + lines + tlb.flush_sender_cycles(p)


def global_pool(p: Points, data: np.ndarray, scan: np.ndarray, W, Q, hold_s, copy_s,
                concurrency, fresh: tuple[np.ndarray, np.ndarray] = (0.0, 0.0),
                burst=1.0, read_pages=1.0) -> PoolRates:
    """The pool's rates and cycles for ``data`` page-cache kmaps and ``scan`` PTE-page
    kmaps per second over W data pages (``burst`` highmem pages of ``read_pages`` per
    read), swapout
    cycling over Q PTE pages. ``fresh`` =
    (kmaps, pages) of pages just allocated (exec's argument pages, model/mechanisms.py):
    each page's first kmap is new, its repeats (copy_strings per string) hit."""
    N = last_pkmap(p)
    cpus, clock = p["cpus"], p.cost("clock_hz")
    f_maps, f_new = fresh
    hr = kmap.pool_hit_ratio(data, scan + f_new, W, N)
    # swapout walks the Q PTE pages cyclically; a page is still mapped at its next
    # visit if the pool has not wrapped since
    hs = kmap.scan_hit_ratio(data * (1 - hr) + f_new, scan, Q, N)
    scan_new = scan * (1 - hs)
    hr = kmap.pool_hit_ratio(data, scan_new + f_new, W, N)
    acquisitions = data + scan + f_maps
    hits = data * hr + scan * hs + (f_maps - f_new)
    new = data * (1 - hr) + scan_new + f_new
    held_work = data * hold_s + (scan + f_maps) * copy_s
    held = kmap.held_slots(held_work, N)                             # Little's law
    flushes = kmap.wrap_flushes(new, N, held)
    sleeps = kmap.sleep_rate(acquisitions, held_work / np.maximum(
        acquisitions, 1e-300), N, concurrency_cap=concurrency)
    s_kmap, s_new, s_kunmap = lock_sections(p)
    s_wrap = wrap_cycles(p, N, held)
    rates = (acquisitions - new, new, acquisitions)
    holds = (s_kmap, s_kmap + s_new, s_kunmap)
    busy = sum(r * h for r, h in zip(rates, holds, strict=True)) + flushes * s_wrap
    # a read's kmaps come back to back (kmap, copy, kunmap, kmap...): a CPU next asks
    # for the lock at its next read, so the wrap's spinners arrive at the read rate
    reads = data / np.maximum(burst, 1.0)
    sources = reads + scan + f_maps
    # a read copies its ``read_pages`` pages one after another, a kmap_lock ask at each
    # highmem one: a CPU inside a read when a wrap starts asks at its next such page
    read_s = np.maximum(read_pages, 1.0) * copy_s
    in_read = reads * read_s / np.maximum(cpus, 1.0)
    read_asks = np.maximum(burst, 1.0) / read_s
    spin = kmap.lock_spin_cycles(rates, holds, clock, cpus, flushes, s_wrap, sources,
                                 in_read=in_read, read_asks=read_asks)
    receivers = (cpus - 1) * (p.cost("ipi_receive_cycles") + p.cost("global_flush_cycles"))
    return PoolRates(hits=hits, new=new, flushes=flushes, ipis=flushes * (cpus - 1),
                     sleeps=sleeps, held=held, lock_utilization=busy / clock,
                     cycles=busy + flushes * receivers + spin)
