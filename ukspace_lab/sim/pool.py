"""The seed's per-task (per-mm) kmap pool in u-k-space.

The same count 0/1/n discipline as the global pool, ``pool_entries`` slots per
mm, non-global PTEs, no global lock. Two differences make the design:

- on the wrap, ``flush_all_zero`` frees the count-1 slots and, if it freed
  any, flushes only this mm: a CR3 reload here and an IPI (``flush_tlb_mm()``)
  to each other CPU whose loaded mm is this one (its ``cpu_vm_mask``);
- with ``ukspace.piggyback``, a single-threaded mm switched in after another
  mm ran on this CPU (so the CR3 reload already dropped the pool's non-global
  entries) frees its count-1 slots with no flush and restarts at slot 0,
  provided no other CPU still has the mm loaded (lazy TLB).

Thread-to-thread switches within one mm reload no CR3 and reset nothing.
"""

from __future__ import annotations

from ._jit import jit
from .hashmap import h_delete, h_find, h_insert
from .holds import drain_until
from .state import (
    C_CYCLES,
    C_IPI,
    C_PFLUSH,
    C_PHIT,
    C_PMAP,
    C_PNEW,
    C_PRESET,
    C_PSLEEP,
    K_POOL,
    P_CLUSTER,
    P_CPUS,
    P_CR3,
    P_IPI_ALLBUT,
    P_IPI_RECV,
    P_IPI_SEND,
    P_IPI_WAIT,
    P_IPI_WPC,
    P_LINE,
    P_LOCKOP,
    P_PTECLR,
    P_TH,
    P_UKMAP,
    count_flush,
    record_wait,
)
from .tlb import tlb_drop


@jit
def _free_zero(w, mm, upto):
    """Free the count-1 slots below ``upto``; recompute the span; return the count."""
    freed = 0
    span = 0
    for i in range(upto):
        c = w.p_slot[mm, 0, i]
        if c == 1:
            w.p_slot[mm, 0, i] = 0
            h_delete(w.p_hash[mm], w.p_slot[mm, 1, i])
            w.p_slot[mm, 1, i] = -1
            freed += 1
        elif c > 1:
            span = i + 1
    w.p_meta[mm, 1] = span
    return freed


@jit
def flush_tlb_mm(w, mm, cpu, t):
    """The pool's wrap flush: CR3 reload here, IPI + flush on the mm's other CPUs."""
    par = w.par
    w.st[C_PFLUSH] += 1.0
    tlb_drop(w, cpu, t, False)
    others = 0
    if w.mm_cpus[mm] > 1:
        for c in range(int(par[P_CPUS])):
            if c != cpu and w.cpu_i[c, 1] == mm:
                others += 1
                tlb_drop(w, c, t, False)
    w.st[C_IPI] += others
    w.st[C_CYCLES] += par[P_CR3] * (1 + others) + others * par[P_IPI_RECV]
    if others > 0:                     # clustered: one ICR per target; flat: one message
        send = others * par[P_IPI_SEND] if par[P_CLUSTER] > 0.0 else par[P_IPI_ALLBUT]
        w.st[C_CYCLES] += send + par[P_IPI_WAIT] + others * par[P_IPI_WPC]
    count_flush(w, t)


@jit
def pool_reset(w, mm):
    """The piggyback: free count-1 slots without a flush (CR3 already reloaded)."""
    span = w.p_meta[mm, 1]
    if span == 0:
        return
    freed = _free_zero(w, mm, span)
    w.st[C_PRESET] += freed
    w.st[C_CYCLES] += freed * w.par[P_PTECLR]
    w.p_meta[mm, 0] = -1


@jit
def pool_kmap(w, mm, page, cpu, t):
    """Map ``page`` in mm's pool from ``cpu`` at ``t``; returns the slot."""
    P = w.p_slot.shape[2]
    w.st[C_PMAP] += 1.0
    w.st[C_CYCLES] += w.par[P_UKMAP]
    if w.par[P_TH] > 1.0:              # threads share the pool: its lock in map and unmap,
        last = w.p_meta[mm, 2]         # its line moving when another CPU took it last
        w.st[C_CYCLES] += 2.0 * (w.par[P_LOCKOP]
                                 + (w.par[P_LINE] if last >= 0 and last != cpu else 0.0))
        w.p_meta[mm, 2] = cpu
    slot = h_find(w.p_hash[mm], page)
    if slot >= 0:
        w.st[C_PHIT] += 1.0
        w.p_slot[mm, 0, slot] += 1
        record_wait(w, 0.0)
        return slot
    w.st[C_PNEW] += 1.0
    waited = 0.0
    count = P
    while True:
        last = w.p_meta[mm, 0] + 1
        if last >= P:
            last = 0
            if _free_zero(w, mm, P) > 0:
                flush_tlb_mm(w, mm, cpu, t)
            count = P
        w.p_meta[mm, 0] = last
        if w.p_slot[mm, 0, last] == 0:
            break
        count -= 1
        if count > 0:
            continue
        w.st[C_PSLEEP] += 1.0                      # every slot of this mm held
        woke = drain_until(w, K_POOL, mm)
        if woke > t:
            waited += woke - t
        count = P
    w.p_slot[mm, 0, last] = 2
    w.p_slot[mm, 1, last] = page
    h_insert(w.p_hash[mm], page, last)
    if last + 1 > w.p_meta[mm, 1]:
        w.p_meta[mm, 1] = last + 1
    record_wait(w, waited)
    return last
