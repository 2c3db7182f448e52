"""What a CPU does: copy pages, touch pagetables, enter the kernel, switch tasks.

The 2.4 kernel is not preemptive: a mapping is held across its copy and the
CPU does nothing else meanwhile, unless the copy faults and the thread sleeps
(``copy_fault_probability``, ``fault_sleep_ms``). Then the thread blocks with
the mapping held, the CPU switches to the next runnable thread, and the rest
of the read is copied when the thread runs again.

``switch_in`` is ``switch_mm()``: another mm means a CR3 reload (non-global
TLB entries gone, the piggyback reset of a per-task pool); a thread of the
same mm reloads nothing. A CPU with nothing to run idles and keeps its mm
loaded (lazy TLB). kmap_local slots held across the sleep are torn down at
``__kmap_local_sched_out()`` with one invlpg each.
"""

from __future__ import annotations

from ._jit import jit
from .holds import drain, push_hold
from .lock import lock_wait, unlock
from .pkmap import kmap_high
from .pool import pool_kmap, pool_reset
from .runq import runq_pick
from .state import (
    A_ATOMIC,
    A_KMAP,
    A_LOCAL,
    C_ATOMIC,
    C_BLOCKS,
    C_CR3_4G,
    C_CR3_CTX,
    C_CTXSW,
    C_CYCLES,
    C_INVLPG,
    C_PAGES,
    D_ATOMIC,
    D_GLOBAL,
    D_POOL,
    I_FRESH,
    I_IDLE,
    K_GLOBAL,
    K_NONE,
    K_POOL,
    P_COPY,
    P_COPY_MAPS,
    P_CR3,
    P_CR3_PER_ENTRY,
    P_DATA,
    P_FB,
    P_H,
    P_INVLPG,
    P_KATOMIC,
    P_KDATA,
    P_KTH,
    P_PF,
    P_PIGGY,
    P_SLEEP,
    P_SU,
    P_T,
    P_W,
    S_KRET,
    T_BLOCKED,
    T_RUNNING,
    next_u,
)
from .tlb import tlb_busy, tlb_drop


@jit
def atomic_maps(w, n):
    """``n`` kmap_atomic (or kmap_local) maps: one invlpg each, no lock."""
    w.st[C_ATOMIC] += n
    w.st[C_INVLPG] += n
    w.st[C_CYCLES] += n * (w.par[P_KATOMIC] + w.par[P_INVLPG])


@jit
def pt_access(w, access, n, t):
    """``n`` PTE-page accesses through ``access`` (window and direct cost nothing)."""
    if access == A_ATOMIC or access == A_LOCAL:
        atomic_maps(w, n)
    elif access == A_KMAP:
        for _ in range(n):
            page = w.ist[I_FRESH]
            w.ist[I_FRESH] += 1
            slot = kmap_high(w, page, t)
            push_hold(w, w.st[S_KRET] + w.par[P_COPY], K_GLOBAL, 0, slot, -1, False)


@jit
def kernel_entry_4g4g(w, cpu, t):
    """4G/4G: switch to the kernel pgd on entry and back on exit, and the entry's
    share of user copies through KM_USER_COPY (model/mechanisms.py streams)."""
    w.st[C_CR3_4G] += w.par[P_CR3_PER_ENTRY]
    w.st[C_CYCLES] += w.par[P_CR3_PER_ENTRY] * w.par[P_CR3]
    tlb_drop(w, cpu, t, False)
    atomic_maps(w, w.par[P_COPY_MAPS])


@jit
def copy_pages(w, cpu, thread, npages, t):
    """Copy ``npages`` page-cache pages for a read()/write(); True if the thread
    blocked on a faulting copy (the rest is left for when it runs again)."""
    par = w.par
    h = par[P_H]
    W = par[P_W]
    mode0 = int(par[P_DATA])
    if mode0 == D_POOL and par[P_KTH] > 0.0 and next_u(w) < par[P_KTH]:
        mode0 = int(par[P_KDATA])          # a kernel thread's I/O: no mm, the era's path
    mm = thread % int(par[P_T])
    copy_s = par[P_COPY]
    if w.cpu_f[cpu, 4] > t:                # still copying the previous call's pages
        t = w.cpu_f[cpu, 4]
        drain(w, t)
    w.cpu_f[cpu, 4] = t + npages * copy_s
    pending = -1                           # a global slot whose kunmap_high() is next
    for j in range(npages):
        if pending >= 0:
            # file_read_actor(): kunmap() after the copy, then the next page's kmap();
            # the kunmap_high()'s spin on kmap_lock delays this CPU's next page
            tk = t + j * copy_s
            drain(w, tk)
            w.g_slot[0, pending] -= 1
            spin = lock_wait(w, tk)
            unlock(w, tk, tk + spin, par[P_SU], spin)
            t += spin
            w.cpu_f[cpu, 4] += spin
            pending = -1
        w.st[C_PAGES] += 1.0
        u = next_u(w)
        if u >= h:
            continue                       # a lowmem page: the direct map, no kmap
        page = int(u / h * W)
        if page >= W:
            page = int(W) - 1
        mode = mode0
        if mode == D_ATOMIC and par[P_FB] > 0.0:
            if next_u(w) < par[P_FB]:
                mode = D_GLOBAL            # the kmap() fallback of file_read_actor
        fault = False
        if par[P_PF] > 0.0 and mode != D_ATOMIC:
            fault = next_u(w) < par[P_PF]
        tj = t + j * copy_s                # pages are copied one after another:
        if j > 0:
            drain(w, tj)                   # the previous page's kunmap is done
        release = t + (j + 1) * copy_s + (par[P_SLEEP] if fault else 0.0)
        waker = thread if fault else -1
        if mode == D_GLOBAL:
            slot = kmap_high(w, page, tj)
            # the copy starts when kmap_high() returns: after its spin (or sleep) and
            # its section under kmap_lock, a wrap's flush included; the CPU is a finite
            # source, its copy, its kunmap_high() and its next arrivals come that much later
            waited = w.st[S_KRET] - tj
            t += waited
            release += waited
            w.cpu_f[cpu, 4] += waited
            if fault or j == npages - 1:
                push_hold(w, release, K_GLOBAL, 0, slot, waker, fault)
            else:
                pending = slot
        elif mode == D_POOL:
            slot = pool_kmap(w, mm, page, cpu, tj)
            push_hold(w, release, K_POOL, mm, slot, waker, fault)
        else:
            atomic_maps(w, 1)
            if fault:
                w.st[C_INVLPG] += 1.0       # __kmap_local_sched_out()
                w.st[C_CYCLES] += par[P_KATOMIC] + par[P_INVLPG]
                push_hold(w, release, K_NONE, 0, 0, thread, True)
        if fault:
            w.thr[thread, 1] = npages - j - 1
            w.cpu_f[cpu, 4] = t + (j + 1) * copy_s
            w.thr[thread, 0] = T_BLOCKED
            w.cpu_i[cpu, 0] = -1
            w.st[C_BLOCKS] += 1.0
            return True
    return False


@jit
def read_call(w, cpu, thread, ppc, t):
    """One read()/write() call; True if its thread blocked. (Its 4G/4G kernel entry
    and user copies are in the loop's entry stream.)"""
    if int(w.par[P_DATA]) == 0:
        w.st[C_PAGES] += ppc
        return False
    return copy_pages(w, cpu, thread, ppc, t)


@jit
def switch_in(w, cpu, thread, t):
    """Run ``thread`` on ``cpu`` from ``t`` (switch_mm); True if it blocked again."""
    mm = thread % int(w.par[P_T])
    prev = w.cpu_i[cpu, 1]
    w.st[C_CTXSW] += 1.0
    if w.cpu_f[cpu, 3] == 0.0:
        w.ist[I_IDLE] -= 1
    tlb_busy(w, cpu, t, 1.0)
    if prev != mm:
        # safe only if no other CPU keeps the mm loaded; a CPU that ran a kernel
        # thread's I/O keeps it lazily (the kernel threads' share of switch-ins)
        reset = w.par[P_PIGGY] > 0.0 and w.mm_cpus[mm] == 0 and (
            w.par[P_KTH] <= 0.0 or next_u(w) >= w.par[P_KTH])
        w.st[C_CR3_CTX] += 1.0
        tlb_drop(w, cpu, t, True)
        if prev >= 0:
            w.mm_cpus[prev] -= 1
        w.mm_cpus[mm] += 1
        w.cpu_i[cpu, 1] = mm
        if reset:
            pool_reset(w, mm)
    w.cpu_i[cpu, 0] = thread
    w.thr[thread, 0] = T_RUNNING
    left = w.thr[thread, 1]
    if left > 0:
        w.thr[thread, 1] = 0
        return copy_pages(w, cpu, thread, left, t)
    return False


@jit
def schedule(w, cpu, t):
    """``cpu`` has no current thread: run the next runnable one, or idle."""
    while True:
        nxt = runq_pick(w, w.cpu_i[cpu, 1])
        if nxt < 0:
            w.cpu_i[cpu, 0] = -1
            if w.cpu_f[cpu, 3] != 0.0:
                w.ist[I_IDLE] += 1
            tlb_busy(w, cpu, t, 0.0)
            return
        if not switch_in(w, cpu, nxt, t):
            return


@jit
def dispatch_idle(w, t, A):
    """Give runnable threads to idle CPUs (a wake-up onto an idle CPU)."""
    if w.ist[I_IDLE] == 0:
        return
    for c in range(A):
        if w.cpu_i[c, 0] < 0 and w.cpu_f[c, 3] == 0.0:
            nxt = runq_pick(w, w.cpu_i[c, 1])
            if nxt < 0:
                return
            if switch_in(w, c, nxt, t):
                schedule(w, c, t)
