"""The global persistent kmap pool, as mm/highmem.c plays it.

``pkmap_count[LAST_PKMAP]``: 0 free and flushed, 1 unmapped but maybe still
in some TLB, n > 1 in use by n-1 holders. ``kmap_high()`` takes ``kmap_lock``,
reuses the slot if the page is still mapped (a hit), else
``map_new_virtual()`` scans forward from ``last_pkmap_nr``; on the wrap to 0
it calls ``flush_all_zero_pkmaps()`` (count 1 -> 0, then ``flush_tlb_all()``:
an IPI to every other CPU and a full flush everywhere, under the lock). When a
whole sweep finds no free slot the caller sleeps on ``pkmap_map_wait`` until a
``kunmap_high()`` drops a count to 1, then starts again.

``kmap_lock`` is :mod:`lock`'s FIFO server; ``kunmap_high()`` takes it again at
every release (:mod:`holds`). Slots held across a wrap are skipped, so flushes
come every N - held new mappings, as played.
"""

from __future__ import annotations

from ._jit import jit
from .hashmap import h_delete, h_find, h_insert
from .holds import drain_until
from .lock import lock_wait, unlock
from .state import (
    C_CYCLES,
    C_GFLUSH,
    C_GHIT,
    C_GK,
    C_GNEW,
    C_GSLEEP,
    C_IPI,
    I_GLAST,
    K_GLOBAL,
    P_CLOCK,
    P_CPUS,
    P_FLUSH_ALWAYS,
    P_FSEND,
    P_GFLUSH,
    P_IPI_RECV,
    P_N,
    P_PK_SCAN,
    P_SK,
    P_SNEW,
    P_WENTRY,
    P_WLINES,
    S_KRET,
    count_flush,
    record_wait,
)
from .tlb import tlb_drop


@jit
def flush_all_zero_pkmaps(w):
    """Free every slot with count 1; returns how many were freed."""
    N = w.g_slot.shape[1]
    freed = 0
    for i in range(N):
        if w.g_slot[0, i] == 1:
            w.g_slot[0, i] = 0
            h_delete(w.g_hash, w.g_slot[1, i])
            w.g_slot[1, i] = -1
            freed += 1
    return freed


@jit
def flush_tlb_all(w, t, freed):
    """The wrap's work under kmap_lock: ``freed`` count-1 entries cleared (pte_clear,
    page->virtual, its line; set_page_address on 2.5.41+), the rest tested, the
    pkmap PTE page's and pkmap_count[]'s lines, and flush_tlb_all()'s sender part
    (its flush, the IPIs by APIC mode, the wait for the acks); returns those cycles.
    Every other CPU takes the IPI and flushes (charged here, outside the lock)."""
    par = w.par
    cpus = int(par[P_CPUS])
    N = par[P_N]
    w.st[C_GFLUSH] += 1.0
    w.st[C_IPI] += cpus - 1
    for c in range(cpus):
        tlb_drop(w, c, t, False)
    w.st[C_CYCLES] += (cpus - 1) * (par[P_IPI_RECV] + par[P_GFLUSH])
    count_flush(w, t)
    return freed * par[P_WENTRY] + (N - freed) * par[P_PK_SCAN] + par[P_WLINES] + par[P_FSEND]


@jit
def kmap_high(w, page, t):
    """Map ``page`` in the global pool at time ``t``; returns its slot (count
    already raised for the caller, who must release it) and sets ``st[S_KRET]`` to
    when kmap_high() returns (spin, sleep and section: the copy starts then)."""
    par = w.par
    N = int(par[P_N])
    always = par[P_FLUSH_ALWAYS] > 0.0
    w.st[C_GK] += 1.0
    arrival = t
    wait = lock_wait(w, t)
    start = t + wait
    waited = wait
    hold = par[P_SK]
    slot = h_find(w.g_hash, page)
    if slot >= 0:
        w.st[C_GHIT] += 1.0
        w.g_slot[0, slot] += 1
        unlock(w, arrival, start, hold, wait)
        record_wait(w, waited)
        w.st[S_KRET] = start + hold / par[P_CLOCK]
        return slot
    w.st[C_GNEW] += 1.0
    hold += par[P_SNEW]
    count = N
    while True:                                    # map_new_virtual()
        last = (w.ist[I_GLAST] + 1) % N
        w.ist[I_GLAST] = last
        if last == 0:
            freed = flush_all_zero_pkmaps(w)
            if freed > 0 or always:
                hold += flush_tlb_all(w, start, freed)
            count = N
        if w.g_slot[0, last] == 0:
            break
        count -= 1
        if count > 0:
            continue
        # every slot in use: sleep on pkmap_map_wait until a kunmap_high()
        w.st[C_GSLEEP] += 1.0
        unlock(w, arrival, start, hold, wait)
        woke = drain_until(w, K_GLOBAL, 0)
        if woke < start:
            woke = start
        arrival = woke
        wait = lock_wait(w, woke)
        waited += (woke - start) + wait
        start = woke + wait
        hold = par[P_SK]
        count = N
        again = h_find(w.g_hash, page)             # mapped by someone meanwhile
        if again >= 0:
            w.g_slot[0, again] += 1
            unlock(w, arrival, start, hold, wait)
            record_wait(w, waited)
            w.st[S_KRET] = start + hold / par[P_CLOCK]
            return again
    w.g_slot[0, last] = 2
    w.g_slot[1, last] = page
    h_insert(w.g_hash, page, last)
    unlock(w, arrival, start, hold, wait)
    record_wait(w, waited)
    w.st[S_KRET] = start + hold / par[P_CLOCK]
    return last
