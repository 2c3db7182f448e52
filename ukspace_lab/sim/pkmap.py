"""The global persistent kmap pool, as mm/highmem.c plays it.

``pkmap_count[LAST_PKMAP]``: 0 free and flushed, 1 unmapped but maybe still
in some TLB, n > 1 in use by n-1 holders. ``kmap_high()`` takes ``kmap_lock``,
reuses the slot if the page is still mapped (a hit), else
``map_new_virtual()`` scans forward from ``last_pkmap_nr``; on the wrap to 0
it calls ``flush_all_zero_pkmaps()`` (count 1 -> 0, then ``flush_tlb_all()``:
an IPI to every other CPU and a full flush everywhere, under the lock). When a
whole sweep finds no free slot the caller sleeps on ``pkmap_map_wait`` until a
``kunmap_high()`` drops a count to 1, then starts again.

``kmap_lock`` is a FIFO server (the Lindley recursion): an acquirer waits for
the holder in front of it, spinning, when there is more than one CPU.
"""

from __future__ import annotations

from ._jit import jit
from .hashmap import h_delete, h_find, h_insert
from .holds import drain_until
from .state import (
    C_CYCLES,
    C_GFLUSH,
    C_GHIT,
    C_GK,
    C_GNEW,
    C_GSLEEP,
    C_IPI,
    C_LOCKHOLD,
    C_SPIN,
    I_GLAST,
    K_GLOBAL,
    P_CLOCK,
    P_CPUS,
    P_FLUSH_ALWAYS,
    P_GFLUSH,
    P_IPI_RECV,
    P_IPI_SEND,
    P_IPI_WAIT,
    P_N,
    P_PK_FAST,
    P_PK_LOCK,
    P_PK_NEW,
    P_PK_SCAN,
    S_LOCKFREE,
    S_LOCKSTART,
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
def flush_tlb_all(w, t):
    """IPI every other CPU and flush every TLB; returns the kmap_lock cycles it
    holds (the scan of pkmap_count, the IPIs and the wait for their acks)."""
    par = w.par
    cpus = int(par[P_CPUS])
    w.st[C_GFLUSH] += 1.0
    w.st[C_IPI] += cpus - 1
    for c in range(cpus):
        tlb_drop(w, c, t, False)
    wait = par[P_IPI_WAIT] if cpus > 1 else 0.0
    w.st[C_CYCLES] += cpus * par[P_GFLUSH] + (cpus - 1) * (par[P_IPI_SEND] + par[P_IPI_RECV]) \
        + wait
    count_flush(w, t)
    return par[P_N] * par[P_PK_SCAN] + wait + (cpus - 1) * par[P_IPI_SEND] + par[P_GFLUSH]


@jit
def _lock(w, t):
    """Acquire kmap_lock at ``t``; returns the spin wait in seconds. Arrivals
    are only nearly in time order (the pages of one read are stamped a copy
    apart): one earlier than the last acquirer's arrival is taken as ahead of it."""
    if w.par[P_CPUS] < 2.0 or t < w.st[S_LOCKSTART]:
        return 0.0
    wait = w.st[S_LOCKFREE] - t
    return wait if wait > 0.0 else 0.0


@jit
def _unlock(w, arrival, start, hold_cycles, wait):
    if arrival >= w.st[S_LOCKSTART]:
        w.st[S_LOCKSTART] = arrival
        w.st[S_LOCKFREE] = start + hold_cycles / w.par[P_CLOCK]
    else:
        w.st[S_LOCKFREE] += hold_cycles / w.par[P_CLOCK]
    w.st[C_LOCKHOLD] += hold_cycles
    w.st[C_SPIN] += wait * w.par[P_CLOCK]
    w.st[C_CYCLES] += wait * w.par[P_CLOCK]


@jit
def kmap_high(w, page, t):
    """Map ``page`` in the global pool at time ``t``; returns its slot (count
    already raised for the caller, who must release it)."""
    par = w.par
    N = int(par[P_N])
    always = par[P_FLUSH_ALWAYS] > 0.0
    w.st[C_GK] += 1.0
    w.st[C_CYCLES] += par[P_PK_FAST]
    arrival = t
    wait = _lock(w, t)
    start = t + wait
    waited = wait
    hold = par[P_PK_LOCK]
    slot = h_find(w.g_hash, page)
    if slot >= 0:
        w.st[C_GHIT] += 1.0
        w.g_slot[0, slot] += 1
        _unlock(w, arrival, start, hold, wait)
        record_wait(w, waited)
        return slot
    w.st[C_GNEW] += 1.0
    w.st[C_CYCLES] += par[P_PK_NEW]
    hold += par[P_PK_NEW]
    count = N
    while True:                                    # map_new_virtual()
        last = (w.ist[I_GLAST] + 1) % N
        w.ist[I_GLAST] = last
        if last == 0:
            if flush_all_zero_pkmaps(w) > 0 or always:
                hold += flush_tlb_all(w, start)
            count = N
        if w.g_slot[0, last] == 0:
            break
        count -= 1
        if count > 0:
            continue
        # every slot in use: sleep on pkmap_map_wait until a kunmap_high()
        w.st[C_GSLEEP] += 1.0
        _unlock(w, arrival, start, hold, wait)
        woke = drain_until(w, K_GLOBAL, 0)
        if woke < start:
            woke = start
        arrival = woke
        wait = _lock(w, woke)
        waited += (woke - start) + wait
        start = woke + wait
        hold = par[P_PK_LOCK]
        count = N
        again = h_find(w.g_hash, page)             # mapped by someone meanwhile
        if again >= 0:
            w.g_slot[0, again] += 1
            _unlock(w, arrival, start, hold, wait)
            record_wait(w, waited)
            return again
    w.g_slot[0, last] = 2
    w.g_slot[1, last] = page
    h_insert(w.g_hash, page, last)
    _unlock(w, arrival, start, hold, wait)
    record_wait(w, waited)
    return last
