"""The event loop: a machine-wide Poisson stream of workload events.

Every task issues read()/write() calls, page faults, context switches and
forks as independent Poisson processes (the closed form's rates per task);
kswapd visits other mms' PTE pages at the scenario's scan rate. Their
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
from .runq import runq_push, slice_end
from .sched import dispatch_idle, kernel_entry_4g4g, pt_access, read_call, schedule
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
    I_RQN,
    I_SCAN,
    I_UPOS,
    K_GLOBAL,
    P_A,
    P_COPY,
    P_CPUS,
    P_FORKC,
    P_IS4G,
    P_MAXEV,
    P_OTHER,
    P_OWN,
    P_PPC,
    P_PTE_HIGH,
    P_PTE_PAGES,
    P_Q,
    P_RCALL,
    P_RCTX,
    P_RFAULT,
    P_RFORK,
    P_RTOT,
    P_SCHED,
    P_TEND,
    P_W,
    S_T,
    SCHED_GOODNESS,
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
        push_hold(w, t + w.par[P_COPY], K_GLOBAL, 0, slot, -1, False)
    else:
        pt_access(w, access, 1, t)


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
    pte_high = par[P_PTE_HIGH] > 0.0
    own = int(par[P_OWN])
    forkc = int(par[P_FORKC])
    pte_pages = int(par[P_PTE_PAGES])
    is4g = par[P_IS4G] > 0.0
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
        if x >= r_fork:                                  # kswapd scanning
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
        elif x < r_fault:
            w.st[C_FAULTS] += 1.0
            if is4g:
                kernel_entry_4g4g(w, cpu, t)
            if pte_high:
                pt_access(w, own, 1, t)
        elif x < r_ctx:
            w.st[C_CTXEV] += 1.0
            if w.ist[I_RQN] > 0:                         # preempted for the next runnable thread
                w.cpu_i[cpu, 0] = -1
                if goodness:                             # 2.4: its counter ran out
                    slice_end(w, thread)
                schedule(w, cpu, t)                      # it is no candidate of its own switch
                runq_push(w, thread)
        else:
            w.st[C_FORKS] += 1.0                         # copy_page_range, then the child exits
            if pte_high:
                pt_access(w, own, 2 * pte_pages, t)
                pt_access(w, forkc, pte_pages, t)


@jit
def finish(w):
    """Bring every CPU's TLB account up to the end of the run."""
    for c in range(int(w.par[P_CPUS])):
        tlb_advance(w, c, w.st[S_T])
