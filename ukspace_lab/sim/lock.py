"""``kmap_lock`` as a spinlock over a timeline of busy intervals, taken twice per kmap.

``kmap_high()`` takes it to map and ``kunmap_high()`` to unmap (2.5.7
mm/highmem.c): two arrivals per kmap, each holding it for its section's cycles
(docs/kmap-mechanics.md sec. 1). An acquirer that finds it held spins until it
is free, when there is more than one CPU. The holder does the section's work,
so its cycles are CPU cycles too; the spin is charged apart.

Arrivals are only nearly in time order: a read's pages are played at once, each
stamped a copy (and its own kmap_high()) after the one before, so a later-stamped
arrival can be played before an earlier one of another CPU. The lock therefore
keeps its last LOCK_RING busy intervals: an arrival at ``t`` inside one of them
spins to its end (and on through any interval that starts before it is free),
whatever order they were played in. One lock-free gap is taken by the first
arrival played into it, so two holds can overlap only when an earlier-stamped
arrival is played after a later one and its section runs into it.
"""

from __future__ import annotations

from ._jit import jit
from .state import (
    C_CYCLES,
    C_LOCKHOLD,
    C_SPIN,
    LK_END,
    LK_POS,
    LK_START,
    LOCK_RING,
    P_CLOCK,
    P_CPUS,
    P_SU,
    S_LOCKFREE,
    S_LOCKSTART,
)


@jit
def lock_wait(w, t):
    """Acquire kmap_lock at ``t``; returns the spin wait in seconds: to the end of
    the busy interval ``t`` falls in, and on through the ones that follow it."""
    if w.par[P_CPUS] < 2.0:
        return 0.0
    st = w.st
    s = t
    moved = True
    while moved:
        moved = False
        for i in range(LOCK_RING):
            if st[LK_START + i] <= s < st[LK_END + i]:
                s = st[LK_END + i]
                moved = True
    return s - t


@jit
def unlock(w, arrival, start, hold_cycles, wait):
    """Release kmap_lock after ``hold_cycles`` from ``start``; charge hold and spin."""
    st = w.st
    end = start + hold_cycles / w.par[P_CLOCK]
    i = int(st[LK_POS])
    st[LK_START + i] = start
    st[LK_END + i] = end
    st[LK_POS] = (i + 1) % LOCK_RING
    if arrival >= st[S_LOCKSTART]:
        st[S_LOCKSTART] = arrival
    if end > st[S_LOCKFREE]:
        st[S_LOCKFREE] = end
    st[C_LOCKHOLD] += hold_cycles
    st[C_SPIN] += wait * w.par[P_CLOCK]
    st[C_CYCLES] += hold_cycles + wait * w.par[P_CLOCK]


@jit
def kunmap_high(w, t):
    """kunmap_high()'s own take of kmap_lock at ``t`` (the second arrival of a kmap)."""
    wait = lock_wait(w, t)
    unlock(w, t, t + wait, w.par[P_SU], wait)
