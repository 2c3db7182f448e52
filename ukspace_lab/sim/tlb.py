"""Per-CPU TLBs with a finite live set: what a flush really costs in refills.

Each CPU's TLB holds ``tlb_entries``; the running task lives in ``L =
tlb_entries x tlb_live_fraction`` of them. After a flush it touches each live
entry again at rate ``lambda = 1/retouch_time_s`` (data/sim.yaml), so the
covered fraction ``x`` grows as ``1 - (1 - x) e^(-lambda dt)`` while the CPU is
busy, and every increment is a refill (``L`` per unit of ``x``).

Two coverages are kept per CPU: the actual one, dropped by every flush
(``flush_tlb_all()``, a per-mm pool flush, a 4G/4G CR3 switch, a context
switch to another mm), and a baseline dropped only by the context-switch CR3
reloads every design pays. The refills a design causes are the difference: a
flush just before a context switch, or right after one, costs little.
"""

from __future__ import annotations

import math

from ._jit import jit
from .state import C_REFILL_ACT, C_REFILL_BASE, P_L, P_LAM, S_T


@jit
def tlb_advance(w, cpu, t):
    """Refill CPU ``cpu`` up to time ``t`` (nothing while it is idle). A flush stamped
    later than the event being played (a page of a read still to be copied) is
    accounted at the event's time, so every CPU's account follows one clock."""
    if t > w.st[S_T]:
        t = w.st[S_T]
    dt = t - w.cpu_f[cpu, 2]
    if dt <= 0.0:
        return
    w.cpu_f[cpu, 2] = t
    if w.cpu_f[cpu, 3] == 0.0:
        return
    f = math.exp(-w.par[P_LAM] * dt)
    L = w.par[P_L]
    xa = w.cpu_f[cpu, 0]
    xb = w.cpu_f[cpu, 1]
    w.st[C_REFILL_ACT] += L * (1.0 - xa) * (1.0 - f)
    w.st[C_REFILL_BASE] += L * (1.0 - xb) * (1.0 - f)
    w.cpu_f[cpu, 0] = 1.0 - (1.0 - xa) * f
    w.cpu_f[cpu, 1] = 1.0 - (1.0 - xb) * f


@jit
def tlb_drop(w, cpu, t, baseline):
    """A flush on ``cpu`` at ``t``; ``baseline`` when every design pays it (CR3 at switch)."""
    tlb_advance(w, cpu, t)
    w.cpu_f[cpu, 0] = 0.0
    if baseline:
        w.cpu_f[cpu, 1] = 0.0


@jit
def tlb_busy(w, cpu, t, busy):
    """The CPU starts (1.0) or stops (0.0) running a task at ``t``."""
    tlb_advance(w, cpu, t)
    w.cpu_f[cpu, 3] = busy
