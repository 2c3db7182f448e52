"""Held mappings and sleeping threads: two FIFO rings of future releases.

A kmap is held for the copy it serves (``copy_page_cycles``), or, when the
copy faults, for the copy plus ``fault_sleep_ms`` while its thread sleeps.
Both durations are constants, so releases come out of each ring in time
order; the loop drains them before every event. A release drops
``pkmap_count`` (or the per-mm pool's count) by one, as ``kunmap_high()``
does (taking kmap_lock for it: the second arrival of a global kmap), and wakes
the thread if it slept.
"""

from __future__ import annotations

from ._jit import jit
from .lock import kunmap_high
from .runq import runq_push
from .state import (
    I_Q0H,
    I_Q0N,
    I_Q1H,
    I_Q1N,
    K_GLOBAL,
    K_POOL,
)


@jit
def _release(w, ring):
    """Pop the head of ``ring`` and apply it; returns (time, kind, mm)."""
    hi = I_Q0H if ring == 0 else I_Q1H
    ni = I_Q0N if ring == 0 else I_Q1N
    cap = w.q_t.shape[1]
    h = w.ist[hi]
    t = w.q_t[ring, h]
    kind = w.q_i[ring, h, 0]
    mm = w.q_i[ring, h, 1]
    slot = w.q_i[ring, h, 2]
    thread = w.q_i[ring, h, 3]
    w.ist[hi] = (h + 1) % cap
    w.ist[ni] -= 1
    if kind == K_GLOBAL:
        w.g_slot[0, slot] -= 1
        kunmap_high(w, t)                  # its own take of kmap_lock
    elif kind == K_POOL:
        w.p_slot[mm, 0, slot] -= 1
    if thread >= 0:
        runq_push(w, thread)
    return t, kind, mm


@jit
def _earliest(w):
    """The ring whose head releases first, or -1 when both are empty."""
    n0 = w.ist[I_Q0N]
    n1 = w.ist[I_Q1N]
    if n0 == 0 and n1 == 0:
        return -1
    if n0 == 0:
        return 1
    if n1 == 0:
        return 0
    if w.q_t[1, w.ist[I_Q1H]] < w.q_t[0, w.ist[I_Q0H]]:
        return 1
    return 0


@jit
def push_hold(w, t_release, kind, mm, slot, thread, long_hold):
    """Schedule a release (and a wake-up when ``thread`` >= 0)."""
    ring = 1 if long_hold else 0
    hi = I_Q0H if ring == 0 else I_Q1H
    ni = I_Q0N if ring == 0 else I_Q1N
    cap = w.q_t.shape[1]
    if w.ist[ni] == cap:          # ring full: release its oldest entry early
        _release(w, ring)
    i = (w.ist[hi] + w.ist[ni]) % cap
    w.q_t[ring, i] = t_release
    w.q_i[ring, i, 0] = kind
    w.q_i[ring, i, 1] = mm
    w.q_i[ring, i, 2] = slot
    w.q_i[ring, i, 3] = thread
    w.ist[ni] += 1


@jit
def drain(w, t):
    """Apply every release due by ``t``, in time order."""
    while True:
        r = _earliest(w)
        if r < 0:
            return
        h = w.ist[I_Q0H] if r == 0 else w.ist[I_Q1H]
        if w.q_t[r, h] > t:
            return
        _release(w, r)


@jit
def drain_until(w, kind, mm):
    """Apply releases in time order until one frees a slot of the wanted pool
    (the sleeper on ``pkmap_map_wait`` wakes then); returns that time, or -1.0."""
    while True:
        r = _earliest(w)
        if r < 0:
            return -1.0
        t, k, m = _release(w, r)
        if k == kind and (kind != K_POOL or m == mm):
            return t
