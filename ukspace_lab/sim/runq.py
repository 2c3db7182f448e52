"""The run queue: which runnable thread a CPU takes next, by the era's scheduler.

2.5+ (O(1), CFS; data/sched.yaml): no same-mm preference. Which thread comes
next has nothing to do with its mm, so it is played as a seeded uniform choice
among the runnable threads (not FIFO by label: thread i belongs to mm i mod
tasks, so a label-ordered queue would never run two threads of one mm in a row).

2.4 (kernel/sched.c ``schedule()``/``goodness()``): one global run queue,
played in scheduling epochs. A thread has time left in the epoch (``counter``
> 0) until its slice ends (the loop's context-switch event); a thread whose
slice ran out is not chosen while any runnable thread has time left. When none
has, every thread's counter is recalculated (a new epoch). Among the threads
with time left, goodness()'s +1 for ``p->mm == this_mm`` (the mm still loaded
on the CPU: the one switched out, or the lazy-TLB mm of an idle CPU) decides:
a thread of the loaded mm is taken if there is one. The counters of threads
that have not yet run in an epoch are equal, so the rest is the order of the
run-queue list, played as a seeded uniform choice.

Left out (see data/sched.yaml): PROC_CHANGE_PENALTY (the simulator has no
per-CPU cache state; with it threads would keep to one CPU), ``nice`` and the
tick-by-tick counter (slices are the loop's Poisson stream, so every thread
with time left is taken as equally good).

Queued threads with time left are kept both in one list (``rq_f``) and in their
mm's (``rq_m``); the others in ``rq_s``; removal swaps the last entry in, so a
pick costs O(1) and an epoch's recalculation O(threads).
"""

from __future__ import annotations

from ._jit import jit
from .state import I_RFN, I_RQN, I_RSN, P_SCHED, P_T, SCHED_GOODNESS, T_QUEUED, next_u


@jit
def _add_fresh(w, thread):
    mm = thread % int(w.par[P_T])
    i = w.ist[I_RFN]
    w.rq_f[i] = thread
    w.rq_pos[thread, 0] = i
    w.ist[I_RFN] = i + 1
    j = w.mm_fn[mm]
    w.rq_m[mm, j] = thread
    w.rq_pos[thread, 1] = j
    w.mm_fn[mm] = j + 1


@jit
def _take_fresh(w, thread):
    """Remove a queued thread with time left from rq_f and its mm's list."""
    mm = thread % int(w.par[P_T])
    i = w.rq_pos[thread, 0]
    last = w.ist[I_RFN] - 1
    moved = w.rq_f[last]
    w.rq_f[i] = moved
    w.rq_pos[moved, 0] = i
    w.ist[I_RFN] = last
    j = w.rq_pos[thread, 1]
    lastm = w.mm_fn[mm] - 1
    movedm = w.rq_m[mm, lastm]
    w.rq_m[mm, j] = movedm
    w.rq_pos[movedm, 1] = j
    w.mm_fn[mm] = lastm


@jit
def recalculate(w):
    """Every counter refilled (2.4 schedule()'s ``for_each_task`` loop): a new epoch."""
    w.thr[:, 2] = 1
    for k in range(w.ist[I_RSN]):
        _add_fresh(w, w.rq_s[k])
    w.ist[I_RSN] = 0


@jit
def runq_push(w, thread):
    """Make ``thread`` runnable (woken, or preempted)."""
    w.thr[thread, 0] = T_QUEUED
    if w.thr[thread, 2] > 0:
        _add_fresh(w, thread)
    else:
        i = w.ist[I_RSN]
        w.rq_s[i] = thread
        w.rq_pos[thread, 0] = i
        w.ist[I_RSN] = i + 1
    w.ist[I_RQN] += 1


@jit
def runq_pick(w, mm):
    """The thread a CPU whose loaded mm is ``mm`` (-1 none) runs next, or -1."""
    if w.ist[I_RQN] == 0:
        return -1
    w.ist[I_RQN] -= 1
    if w.ist[I_RFN] == 0:
        recalculate(w)
    if mm >= 0 and w.mm_fn[mm] > 0 and int(w.par[P_SCHED]) == SCHED_GOODNESS:
        # goodness() + 1 for the loaded mm
        k = int(next_u(w) * w.mm_fn[mm])
        if k >= w.mm_fn[mm]:
            k = w.mm_fn[mm] - 1
        th = w.rq_m[mm, k]
    else:
        k = int(next_u(w) * w.ist[I_RFN])
        if k >= w.ist[I_RFN]:
            k = w.ist[I_RFN] - 1
        th = w.rq_f[k]
    _take_fresh(w, th)
    return th


@jit
def slice_end(w, thread):
    """``thread``'s counter ran out (2.4): it waits for the next epoch."""
    w.thr[thread, 2] = 0
