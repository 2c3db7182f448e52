"""The event loop: a machine-wide Poisson stream of workload events.

Every task issues read()/write() calls and context switches as independent
Poisson processes (the closed form's rates per task), and the per-operation
streams of model/mechanisms.py come in at their rates: PTE-page maps in the
own mm (faults, fork's parent side, exit), fork's child PTE pages, exec's
out-of-context teardown, exec's argument kmaps and, under 4G/4G, kernel entries
(ticks, interrupts, syscalls, faults); kswapd visits other mms' PTE pages at the
scenario's scan rate (per mapping on rmap eras). Their
superposition is one Poisson stream of rate R: each step draws the gap
(exponential), the kind of event (by rate) and the CPU it happens on (uniform
over the busy CPUs, each running one thread). Held mappings and sleeping
threads come back through :mod:`holds` before each event.

``run_chunk`` consumes pre-drawn uniforms ``w.U`` and exponentials ``w.E``
and returns when they run low (0) or when the run is over (1), so the driver
can refill them, show progress, and stay deterministic.
"""

from __future__ import annotations

from ._jit import jit
from .holds import drain, push_hold
from .pkmap import kmap_high
from .pool import pool_kmap
from .runq import runq_push, slice_end
from .sched import atomic_maps, dispatch_idle, kernel_entry_4g4g, pt_access, read_call, schedule
from .state import (
    A_KMAP,
    C_CALLS,
    C_CTXEV,
    C_EVENTS,
    C_FAULTS,
    C_FORKS,
    C_LOST,
    C_SCANS,
    I_EPOS,
    I_FRESH,
    I_RQN,
    I_SCAN,
    I_UPOS,
    K_GLOBAL,
    K_POOL,
    P_A,
    P_ARG_FRESH,
    P_ARG_G,
    P_ARG_L,
    P_COPY,
    P_CPUS,
    P_FORKC,
    P_MAXEV,
    P_OTHER,
    P_OWN,
    P_PPC,
    P_Q,
    P_RARG,
    P_RCALL,
    P_RCTX,
    P_RENTRY,
    P_RFAULT,
    P_RFORK,
    P_RTEAR,
    P_RTOT,
    P_SCHED,
    P_T,
    P_TEAR,
    P_TEND,
    P_W,
    S_KRET,
    S_T,
    SCHED_GOODNESS,
    next_u,
)
from .tlb import tlb_advance


@jit
def scan_visit(w, t):
    """kswapd's swap_out() reaches one PTE page of another mm (cyclic over all)."""
    access = int(w.par[P_OTHER])
    if access == A_KMAP:
        Q = int(w.par[P_Q])
        page = int(w.par[P_W]) + w.ist[I_SCAN] % Q
        w.ist[I_SCAN] += 1
        slot = kmap_high(w, page, t)
        push_hold(w, w.st[S_KRET] + w.par[P_COPY], K_GLOBAL, 0, slot, -1, False)
    else:
        pt_access(w, access, 1, t)


@jit
def exec_arg(w, cpu, thread, t):
    """One of exec's copy_strings() kmaps of a highmem argument page: the global pool
    (the first kmap of a page new, the repeats of a string-by-string copy hits),
    kmap_local, or the design's per-task pool (model/mechanisms.py exec_route)."""
    par = w.par
    u = next_u(w)
    if u < par[P_ARG_G]:
        if next_u(w) < par[P_ARG_FRESH]:
            w.ist[I_FRESH] += 1
        slot = kmap_high(w, w.ist[I_FRESH] - 1, t)
        push_hold(w, w.st[S_KRET] + par[P_COPY], K_GLOBAL, 0, slot, -1, False)
    elif u < par[P_ARG_G] + par[P_ARG_L]:
        atomic_maps(w, 1)
    else:
        mm = thread % int(par[P_T])
        page = int(next_u(w) * par[P_W])
        slot = pool_kmap(w, mm, page, cpu, t)
        push_hold(w, t + par[P_COPY], K_POOL, mm, slot, -1, False)


@jit
def run_chunk(w):
    """Process events until the drawn numbers run low (0) or the run ends (1)."""
    par = w.par
    R = par[P_RTOT]
    t_end = par[P_TEND]
    max_ev = par[P_MAXEV]
    A = int(par[P_A])
    ppc = int(par[P_PPC])
    r_call = par[P_RCALL]
    r_fault = r_call + par[P_RFAULT]
    r_ctx = r_fault + par[P_RCTX]
    r_fork = r_ctx + par[P_RFORK]
    r_tear = r_fork + par[P_RTEAR]
    r_arg = r_tear + par[P_RARG]
    r_entry = r_arg + par[P_RENTRY]
    own = int(par[P_OWN])
    forkc = int(par[P_FORKC])
    tear = int(par[P_TEAR])
    goodness = int(par[P_SCHED]) == SCHED_GOODNESS
    need_u = 8 + 3 * ppc + A
    nU = w.U.shape[0]
    nE = w.E.shape[0]
    if R <= 0.0:
        w.st[S_T] = t_end
        return 1
    while True:
        if w.st[C_EVENTS] >= max_ev:
            return 1
        if w.ist[I_EPOS] >= nE or w.ist[I_UPOS] + need_u > nU:
            return 0
        t = w.st[S_T] + w.E[w.ist[I_EPOS]] / R
        w.ist[I_EPOS] += 1
        if t >= t_end:
            w.st[S_T] = t_end
            return 1
        w.st[S_T] = t
        drain(w, t)
        dispatch_idle(w, t, A)
        w.st[C_EVENTS] += 1.0
        x = w.U[w.ist[I_UPOS]] * R
        cpu = int(w.U[w.ist[I_UPOS] + 1] * A)
        w.ist[I_UPOS] += 2
        if cpu >= A:
            cpu = A - 1
        if x >= r_entry:                                 # kswapd scanning
            w.st[C_SCANS] += 1.0
            scan_visit(w, t)
            continue
        thread = w.cpu_i[cpu, 0]
        if thread < 0:
            w.st[C_LOST] += 1.0                          # that CPU idles: nobody to issue it
            continue
        if x < r_call:
            w.st[C_CALLS] += 1.0
            if read_call(w, cpu, thread, ppc, t):
                schedule(w, cpu, t)
        elif x < r_fault:                                # a PTE-page map in its own mm
            w.st[C_FAULTS] += 1.0
            pt_access(w, own, 1, t)
        elif x < r_ctx:
            w.st[C_CTXEV] += 1.0
            if w.ist[I_RQN] > 0:                         # preempted for the next runnable thread
                w.cpu_i[cpu, 0] = -1
                if goodness:                             # 2.4: its counter ran out
                    slice_end(w, thread)
                schedule(w, cpu, t)                      # it is no candidate of its own switch
                runq_push(w, thread)
        elif x < r_fork:                                 # fork: a PTE page of the child
            w.st[C_FORKS] += 1.0
            pt_access(w, forkc, 1, t)
        elif x < r_tear:                                 # exec: the old mm, out of context
            pt_access(w, tear, 1, t)
        elif x < r_arg:
            exec_arg(w, cpu, thread, t)
        else:                                            # 4G/4G: a kernel entry
            kernel_entry_4g4g(w, cpu, t)


@jit
def finish(w):
    """Bring every CPU's TLB account up to the end of the run."""
    for c in range(int(w.par[P_CPUS])):
        tlb_advance(w, c, w.st[S_T])
