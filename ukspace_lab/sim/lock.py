"""``kmap_lock`` as a FIFO server (the Lindley recursion), taken twice per kmap.

``kmap_high()`` takes it to map and ``kunmap_high()`` to unmap (2.5.7
mm/highmem.c): two arrivals per kmap, each holding it for its section's cycles
(docs/kmap-mechanics.md sec. 1). An acquirer waits for the holder in front of
it, spinning, when there is more than one CPU. The holder does the section's
work, so its cycles are CPU cycles too; the spin is charged apart.
"""

from __future__ import annotations

from ._jit import jit
from .state import (
    C_CYCLES,
    C_LOCKHOLD,
    C_SPIN,
    P_CLOCK,
    P_CPUS,
    P_SU,
    S_LOCKFREE,
    S_LOCKSTART,
)


@jit
def lock_wait(w, t):
    """Acquire kmap_lock at ``t``; returns the spin wait in seconds. Arrivals
    are only nearly in time order (the pages of one read are stamped a copy
    apart): one earlier than the last acquirer's arrival is taken as ahead of it."""
    if w.par[P_CPUS] < 2.0 or t < w.st[S_LOCKSTART]:
        return 0.0
    wait = w.st[S_LOCKFREE] - t
    return wait if wait > 0.0 else 0.0


@jit
def unlock(w, arrival, start, hold_cycles, wait):
    """Release kmap_lock after ``hold_cycles`` from ``start``; charge hold and spin."""
    if arrival >= w.st[S_LOCKSTART]:
        w.st[S_LOCKSTART] = arrival
        w.st[S_LOCKFREE] = start + hold_cycles / w.par[P_CLOCK]
    else:
        w.st[S_LOCKFREE] += hold_cycles / w.par[P_CLOCK]
    w.st[C_LOCKHOLD] += hold_cycles
    w.st[C_SPIN] += wait * w.par[P_CLOCK]
    w.st[C_CYCLES] += hold_cycles + wait * w.par[P_CLOCK]


@jit
def kunmap_high(w, t):
    """kunmap_high()'s own take of kmap_lock at ``t`` (the second arrival of a kmap)."""
    wait = lock_wait(w, t)
    unlock(w, t, t + wait, w.par[P_SU], wait)
