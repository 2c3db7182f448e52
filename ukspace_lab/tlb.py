"""TLB flush costs: what a flush_tlb_all(), a local CR3 reload and an IPI cost.

``flush_tlb_all()`` (arch/i386/kernel/smp.c) sends an IPI to every other
online CPU and waits for all of them; each CPU then runs ``__flush_tlb_all()``
and loses its live entries, globals included. A local flush (a CR3 reload)
drops the non-global entries of one CPU. The refills a flush causes are the
live entries the running code needs again.
"""

from __future__ import annotations

import numpy as np

from .inputs import Points


def refills_per_flush(p: Points) -> np.ndarray:
    """TLB refills one CPU takes after a full flush (live fraction of its TLB)."""
    return p.cost("tlb_entries") * p.cost("tlb_live_fraction")


def global_flush_cycles(p: Points) -> np.ndarray:
    """Machine-wide cycles of one flush_tlb_all(): every CPU flushes and refills,
    the sender builds and sends cpus-1 IPIs and waits for their acks."""
    cpus = p["cpus"]
    others = cpus - 1
    return (cpus * (p.cost("global_flush_cycles")
                    + refills_per_flush(p) * p.cost("tlb_refill_cycles"))
            + others * (p.cost("ipi_send_cycles") + p.cost("ipi_receive_cycles"))
            + np.where(others > 0, p.cost("ipi_wait_cycles"), 0.0))


def local_flush_cycles(p: Points, remote_cpus) -> np.ndarray:
    """Cycles of one mm-scoped flush: a CR3 reload and refills here, plus an IPI
    and the same work on each CPU in the mm's cpu_vm_mask (flush_tlb_mm())."""
    one = p.cost("cr3_reload_cycles") + refills_per_flush(p) * p.cost("tlb_refill_cycles")
    return (one * (1 + remote_cpus)
            + remote_cpus * (p.cost("ipi_send_cycles") + p.cost("ipi_receive_cycles"))
            + np.where(remote_cpus > 0, p.cost("ipi_wait_cycles"), 0.0))


def other_cpus_in_mm(p: Points) -> np.ndarray:
    """Expected other CPUs running a thread of the same mm at a given moment.

    With n = tasks x threads runnable threads on ``cpus`` CPUs, each other CPU
    runs a thread of this mm with probability (threads-1)/(n-1), and never more
    than threads-1 of them.
    """
    n = p["tasks"] * p["threads"]
    share = np.where(n > 1, (p["threads"] - 1) / np.maximum(n - 1, 1), 0.0)
    return np.minimum(p["threads"] - 1, (p["cpus"] - 1) * share)
