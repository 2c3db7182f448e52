"""The simulator's state: one :class:`World` of flat arrays per run.

Everything the compiled loop touches lives in a ``World`` namedtuple of numpy
arrays (numba compiles attribute access on it), so the same functions run
compiled or, for the reference, in the plain interpreter. Index constants name
the slots of the parameter (``par``), float state (``st``) and integer state
(``ist``) vectors; numba folds them as compile-time constants.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from ._jit import jit

# --- par: parameters (float64) -------------------------------------------
(P_RTOT, P_RCALL, P_RFAULT, P_RCTX, P_RFORK, P_RSCAN, P_H, P_W, P_PPC, P_PF, P_FB,
 P_COPY, P_SLEEP, P_CLOCK, P_N, P_P, P_FLUSH_ALWAYS, P_L, P_LAM, P_T, P_TH, P_CPUS, P_A,
 P_PTE_PAGES, P_Q, P_TEND, P_MAXEV, P_BINW, P_DATA, P_OWN, P_OTHER, P_FORKC, P_PTE_HIGH,
 P_IS4G, P_PIGGY, P_CR3_PER_ENTRY, P_COPY_MAPS, P_SK, P_SNEW, P_PK_SCAN, P_SU,
 P_KATOMIC, P_INVLPG, P_CR3, P_GFLUSH, P_IPI_SEND, P_IPI_RECV, P_IPI_WAIT, P_UKMAP,
 P_PTECLR, P_REFILL, P_SCHED, P_WENTRY, P_WLINES, P_FSEND, P_CLUSTER, P_IPI_ALLBUT,
 P_IPI_WPC, P_LOCKOP, P_LINE, P_KTH, P_KDATA, P_RTEAR, P_TEAR, P_RARG, P_ARG_FRESH,
 P_ARG_G, P_ARG_L, P_RENTRY, P_RMAPCYC, NPAR) = range(71)
# P_RFAULT: the own-context PTE-page map stream (model/mechanisms.py own_pte_maps),
# P_RFORK: fork's child PTE-page maps, P_RTEAR: exec's out-of-context teardown maps
# (access P_TEAR), P_RARG: exec's argument kmaps (shares P_ARG_G global, P_ARG_L local,
# the rest the pool), P_RENTRY: 4G/4G kernel entries (P_COPY_MAPS user-copy maps each)

# scheduler codes (P_SCHED): model.sched.POLICIES
SCHED_UNIFORM, SCHED_GOODNESS = range(2)
# data path codes (P_DATA) and pagetable access codes (P_OWN, P_OTHER, P_FORKC)
D_NONE, D_GLOBAL, D_ATOMIC, D_LOCAL, D_POOL = range(5)
A_NONE, A_ATOMIC, A_LOCAL, A_KMAP = range(4)

# --- st: float state and counters -------------------------------------------
(S_T, S_LOCKFREE, S_LOCKSTART, C_EVENTS, C_CALLS, C_PAGES, C_FAULTS, C_CTXEV, C_CTXSW, C_CR3_CTX,
 C_FORKS, C_SCANS, C_LOST, C_BLOCKS, C_GK, C_GHIT, C_GNEW, C_GFLUSH, C_IPI, C_GSLEEP,
 C_PMAP, C_PHIT, C_PNEW, C_PFLUSH, C_PRESET, C_PSLEEP, C_ATOMIC, C_INVLPG, C_CR3_4G,
 C_LOCKHOLD, C_SPIN, C_CYCLES, C_REFILL_ACT, C_REFILL_BASE, C_WAIT_SUM, C_WAIT_N,
 S_KRET, NST) = range(38)
# S_KRET: when the last kmap_high() returned (its spin, sleep and section under
# kmap_lock, a wrap's flush_all_zero_pkmaps() included): its copy starts then

# kmap_lock's recent busy intervals (sim/lock.py): a ring of LOCK_RING (start, end)
# pairs after the counters, then the ring's next position
LOCK_RING = 128
LK_START = NST
LK_END = NST + LOCK_RING
LK_POS = NST + 2 * LOCK_RING
ST_SIZE = LK_POS + 1

# --- ist: integer state -------------------------------------------------------
(I_UPOS, I_EPOS, I_GLAST, I_SCAN, I_FRESH, I_RQH, I_RQN, I_IDLE, I_Q0H, I_Q0N, I_Q1H,
 I_Q1N, I_UWRAP, I_RFN, I_RSN, NIST) = range(16)

# thread states and hold kinds
T_QUEUED, T_RUNNING, T_BLOCKED = range(3)
K_GLOBAL, K_POOL, K_NONE = range(3)

EMPTY = -1
HIST_BINS = 64
TIME_BINS = 20

World = namedtuple("World", [
    "par", "st", "ist", "U", "E",
    "cpu_i",    # int64[cpus, 2]: running thread (-1 idle), loaded mm (-1 none)
    "cpu_f",    # float64[cpus, 5]: TLB coverage actual, baseline, last update, busy,
                #   and the time its current copy ends (the kernel is not preemptive)
    "thr",      # int64[n, 3]: state, pages of an interrupted read still to copy,
                #   time left in this epoch (2.4 goodness: counter > 0)
    "rq_f",     # int64[n]: runnable threads with time left (any mm)
    "rq_s",     # int64[n]: 2.4: runnable threads whose counter ran out
    "rq_m",     # int64[T, threads]: runnable threads with time left, by mm
    "rq_pos",   # int64[n, 2]: a queued thread's index in rq_f or rq_s, and in rq_m
    "mm_fn",    # int64[T]: rq_m's length per mm
    "mm_cpus",  # int64[T]: CPUs whose loaded mm is this one (cpu_vm_mask)
    "g_slot",   # int64[2, N]: pkmap_count, page
    "g_hash",   # int64[2, HG]: page -> slot
    "p_slot",   # int64[T, 2, P]: per-mm pool count, page
    "p_hash",   # int64[T, 2, HP]
    "p_meta",   # int64[T, 3]: last slot, span of slots that may be mapped, the CPU
                #   that last took the mm's pool lock
    "q_t",      # float64[2, QC]: release times, short holds and long (faulting) holds
    "q_i",      # int64[2, QC, 4]: kind, mm, slot, thread to wake (-1 none)
    "hist",     # int64[HIST_BINS]: kmap wait, log2 ns bins (bin 0: no wait)
    "bins",     # int64[TIME_BINS]: TLB flushes (global + local) over time
])


def _pow2(x: int) -> int:
    return 1 << max(1, int(x - 1).bit_length())


def new_world(par: np.ndarray) -> World:
    """A fresh machine: CPUs 0..A-1 run threads 0..A-1, the rest wait in order."""
    cpus, T, th = int(par[P_CPUS]), int(par[P_T]), int(par[P_TH])
    n, N, P = T * th, int(par[P_N]), int(par[P_P])
    A = int(par[P_A])
    pooled = int(par[P_DATA]) == D_POOL
    cpu_i = np.full((cpus, 2), -1, dtype=np.int64)
    cpu_f = np.zeros((cpus, 5))
    thr = np.zeros((n, 3), dtype=np.int64)
    thr[:, 2] = 1                      # every thread starts the first epoch with time left
    mm_cpus = np.zeros(T, dtype=np.int64)
    for c in range(A):
        cpu_i[c] = (c, c % T)          # thread i belongs to mm i % T
        cpu_f[c, 3] = 1.0
        thr[c, 0] = T_RUNNING
        mm_cpus[c % T] += 1
    queued = np.arange(A, n, dtype=np.int64)
    ist = np.zeros(NIST, dtype=np.int64)
    ist[I_RQN] = len(queued)
    rq_f = np.zeros(n, dtype=np.int64)
    rq_m = np.zeros((T, th), dtype=np.int64)
    rq_pos = np.zeros((n, 2), dtype=np.int64)
    mm_fn = np.zeros(T, dtype=np.int64)
    rq_f[:len(queued)] = queued
    for i, q in enumerate(queued):
        m = q % T
        rq_pos[q] = (i, mm_fn[m])
        rq_m[m, mm_fn[m]] = q
        mm_fn[m] += 1
    ist[I_RFN] = len(queued)
    ist[I_IDLE] = 0
    ist[I_FRESH] = int(par[P_W]) + int(par[P_Q])
    pT, pP = (T, P) if pooled else (1, 1)
    qc = max(1 << 14, n + 64)
    return World(
        par=par, st=np.zeros(ST_SIZE), ist=ist,
        U=np.zeros(0), E=np.zeros(0),
        cpu_i=cpu_i, cpu_f=cpu_f, thr=thr, rq_f=rq_f,
        rq_s=np.zeros(n, dtype=np.int64), rq_m=rq_m, rq_pos=rq_pos, mm_fn=mm_fn,
        mm_cpus=mm_cpus,
        g_slot=np.stack([np.zeros(N, dtype=np.int64), np.full(N, EMPTY, dtype=np.int64)]),
        g_hash=np.full((2, _pow2(2 * N)), EMPTY, dtype=np.int64),
        p_slot=np.stack([np.zeros((pT, pP), dtype=np.int64),
                         np.full((pT, pP), EMPTY, dtype=np.int64)], axis=1),
        p_hash=np.full((pT, 2, _pow2(2 * pP)), EMPTY, dtype=np.int64),
        p_meta=np.stack([np.full(pT, -1, dtype=np.int64), np.zeros(pT, dtype=np.int64),
                         np.full(pT, -1, dtype=np.int64)], axis=1),
        q_t=np.zeros((2, qc)), q_i=np.zeros((2, qc, 4), dtype=np.int64),
        hist=np.zeros(HIST_BINS, dtype=np.int64), bins=np.zeros(TIME_BINS, dtype=np.int64),
    )


@jit
def next_u(w):
    """The next uniform draw of the chunk (wraps, and counts it, if a chunk runs dry)."""
    i = w.ist[I_UPOS]
    if i >= w.U.shape[0]:
        i = 0
        w.ist[I_UWRAP] += 1
    w.ist[I_UPOS] = i + 1
    return w.U[i]


@jit
def record_wait(w, wait_s):
    """One kmap's wait (lock spin plus sleep) into the log2-nanosecond histogram."""
    b = 0
    if wait_s > 0.0:
        ns = wait_s * 1e9
        b = 1
        while ns >= 2.0 and b < HIST_BINS - 1:
            ns *= 0.5
            b += 1
    w.hist[b] += 1
    w.st[C_WAIT_SUM] += wait_s
    w.st[C_WAIT_N] += 1.0


@jit
def count_flush(w, t):
    """One TLB flush (global or local) into the flushes-over-time histogram."""
    b = int(t / w.par[P_BINW])
    if b >= TIME_BINS:
        b = TIME_BINS - 1
    if b < 0:
        b = 0
    w.bins[b] += 1
