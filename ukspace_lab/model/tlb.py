"""TLB flush costs: what a flush_tlb_all(), a local CR3 reload and an IPI cost.

``flush_tlb_all()`` (arch/i386/kernel/smp.c) sends an IPI to every other
online CPU and waits for all of them; each CPU then runs ``__flush_tlb_all()``
and loses its live entries, globals included. A local flush (a CR3 reload)
drops the non-global entries of one CPU. The refills a flush causes are the
live entries the running code needs again.

Refills (checked against the event simulator, ukspace_lab/sim/tlb.py): a busy
CPU's live set of ``L = tlb_entries x tlb_live_fraction`` entries is touched
again at rate ``lambda = 1/retouch_time_s`` (data/sim.yaml) after a drop. With
drops arriving as a Poisson stream of rate ``k`` the CPU refills
``L k lambda / (lambda + k)`` per second; a design's flushes add ``k_s`` to the
context-switch CR3 reloads ``k_b`` every design pays, so it costs
``L lambda (k/(lambda+k) - k_b/(lambda+k_b))`` per busy CPU, ``k = k_b + k_s``:
about L per flush when drops are rare, less when a context switch would have
dropped the entries anyway.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import yaml

from ..resources import data_file
from . import sched
from .costs import cpu_models
from .inputs import Points
from .largepages import large_tlb_entries_by_index, refills_per_flush_large


@cache
def retouch_rate() -> float:
    """lambda: the rate a running task re-touches each live TLB entry (data/sim.yaml)."""
    with open(data_file("sim.yaml"), encoding="utf-8") as fh:
        return 1.0 / float(yaml.safe_load(fh)["tlb"]["retouch_time_s"]["value"])


def busy_cpus(p: Points) -> np.ndarray:
    """CPUs with a thread to run: min(cpus, tasks x threads)."""
    return np.minimum(p["cpus"], p["tasks"] * p["threads"])


def switch_cr3_rate(p: Points, switches_per_task) -> np.ndarray:
    """CR3 reloads per second per busy CPU from context switches between mms, with the
    era's scheduler (:func:`ukspace_lab.model.sched.switch_cr3_rate`: 2.4's goodness()
    same-mm bonus, or no mm preference from 2.5)."""
    return sched.switch_cr3_rate(p, switches_per_task)


def flush_refills(p: Points, base_drops, design_drops) -> np.ndarray:
    """Machine-wide refills per second caused by ``design_drops`` (flushes per
    busy CPU per second) on top of ``base_drops`` (context-switch CR3 reloads)."""
    lam = retouch_rate()
    L = refills_per_flush(p)
    k_b = np.asarray(base_drops, dtype=float)
    k = k_b + np.asarray(design_drops, dtype=float)
    return busy_cpus(p) * L * lam * (k / (lam + k) - k_b / (lam + k_b))


APIC_AUTO_CLUSTERED_ABOVE = 8   # flat logical APIC mode addresses at most 8 CPUs (one bit each)


def clustered_apic(p: Points) -> np.ndarray:
    """machine.apic per point: clustered (NUMA-Q sequenced unicast) or flat; ``auto``
    is clustered above 8 CPUs, where flat logical mode runs out of destination bits."""
    return np.where(p["apic"] < 0, p["cpus"] > APIC_AUTO_CLUSTERED_ABOVE, p["apic"] > 0)


def ipi_send_cycles(p: Points, targets, any_target=None) -> np.ndarray:
    """Cycles to send one flush IPI to ``targets`` CPUs (expected). A clustered APIC
    (NUMA-Q, machine.apic) sends a sequenced unicast per target
    (``send_IPI_mask_sequence`` with ``apic_wait_icr_idle``, 2.4.15 smp.c); a flat APIC
    one message, the ALLBUT shortcut or a logical mask (``any_target``: the chance
    that there is a target at all, default 1 if targets > 0)."""
    targets = np.asarray(targets, dtype=float)
    if any_target is None:
        any_target = np.where(targets > 0, 1.0, 0.0)
    return np.where(clustered_apic(p), targets * p.cost("ipi_send_cycles"),
                    any_target * p.cost("ipi_allbut_cycles"))


def ipi_wait_cycles(p: Points, targets, any_target=None) -> np.ndarray:
    """Cycles the sender of smp_call_function(wait=1) spins: a base round trip, and
    its call_data line moves twice per target (``started``/``finished``)."""
    targets = np.asarray(targets, dtype=float)
    if any_target is None:
        any_target = np.where(targets > 0, 1.0, 0.0)
    return any_target * p.cost("ipi_wait_cycles") + targets * p.cost("ipi_wait_per_cpu_cycles")


def flush_sender_cycles(p: Points) -> np.ndarray:
    """The sender's part of one flush_tlb_all(): its own flush, the IPIs to the cpus-1
    others and the wait for them. In flush_all_zero_pkmaps() it runs under kmap_lock."""
    others = p["cpus"] - 1
    return (p.cost("global_flush_cycles") + ipi_send_cycles(p, others)
            + ipi_wait_cycles(p, others))


def global_flush_work_cycles(p: Points) -> np.ndarray:
    """Machine-wide cycles of one flush_tlb_all() without the refills it causes: the
    sender's part and each other CPU's interrupt and __flush_tlb_all()."""
    others = p["cpus"] - 1
    return flush_sender_cycles(p) + others * (p.cost("ipi_receive_cycles")
                                              + p.cost("global_flush_cycles"))


def local_flush_work_cycles(p: Points, remote_cpus, any_remote=None) -> np.ndarray:
    """Cycles of one mm-scoped flush without refills: CR3 reloads and the IPIs;
    the sender waits for acks only when some other CPU was interrupted
    (``any_remote``: the probability of that, default 1 if remote_cpus > 0)."""
    remote_cpus = np.asarray(remote_cpus, dtype=float)
    if any_remote is None:
        any_remote = np.where(remote_cpus > 0, 1.0, 0.0)
    return (p.cost("cr3_reload_cycles") * (1 + remote_cpus)
            + ipi_send_cycles(p, remote_cpus, any_remote)
            + remote_cpus * p.cost("ipi_receive_cycles")
            + ipi_wait_cycles(p, remote_cpus, any_remote))


def any_other_cpu_in_mm(p: Points) -> np.ndarray:
    """Probability that a flushing mm runs on at least one other CPU (see
    :func:`other_cpus_in_mm` for the two placements)."""
    T = p["tasks"]
    n = T * p["threads"]
    share = np.where(n > 1, (p["threads"] - 1) / np.maximum(n - 1, 1), 0.0)
    moving = np.where(n <= p["cpus"], (p["threads"] > 1) * 1.0,
                      1.0 - (1.0 - share) ** (p["cpus"] - 1))
    A = np.minimum(p["cpus"], n)
    f = np.floor(A / T)
    r = A - f * T
    static = (r * (f + 1) * (f + 1 > 1) + (T - r) * f * (f > 1)) / np.maximum(A, 1)
    return np.where(p["ctxsw_per_s"] > 0, moving, static)


def refills_per_flush(p: Points) -> np.ndarray:
    """TLB refills one CPU takes after a full flush (live fraction of its TLB)."""
    return large_page_refills(p, p.cost("tlb_entries") * p.cost("tlb_live_fraction"))


def large_page_refills(p: Points, L: np.ndarray) -> np.ndarray:
    """``L`` with the SGA's share moved to the large-page TLB when the segment is
    in large pages (:func:`~ukspace_lab.model.largepages.refills_per_flush_large`)."""
    entries = large_tlb_entries_by_index(cpu_models())[p["cpu_index"].astype(int)]
    return refills_per_flush_large(L, p.cost("tlb_live_fraction"), p["shared"],
                                   p["shared_large"], p["pae"], entries)


def other_cpus_in_mm(p: Points) -> np.ndarray:
    """Expected other CPUs running a thread of the same mm when it flushes.

    With context switches the threads move around: with n = tasks x threads
    runnable threads on ``cpus`` CPUs, each other CPU runs a thread of this mm
    with probability (threads-1)/(n-1), and never more than threads-1 of them.
    With none the placement is static (the simulator's: CPU c runs thread c of
    mm c mod tasks): an mm on k CPUs flushes k times as often and interrupts
    k-1 others, so the mean is sum k(k-1) / sum k over the busy CPUs.
    """
    T = p["tasks"]
    n = T * p["threads"]
    share = np.where(n > 1, (p["threads"] - 1) / np.maximum(n - 1, 1), 0.0)
    moving = np.minimum(p["threads"] - 1, (p["cpus"] - 1) * share)
    A = np.minimum(p["cpus"], n)
    f = np.floor(A / T)
    r = A - f * T
    static = (r * (f + 1) * f + (T - r) * f * (f - 1)) / np.maximum(A, 1)
    return np.where(p["ctxsw_per_s"] > 0, moving, static)
