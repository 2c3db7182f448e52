"""The era's scheduler, as both engines read it: which policy picks the next thread.

2.4.18's ``schedule()`` weighs every runnable task with ``goodness()``
(kernel/sched.c): its ``counter`` (ticks left in this epoch), +1 when its mm is
the one being switched out, +PROC_CHANGE_PENALTY when it last ran on this CPU.
From 2.5.2 the O(1) scheduler (and CFS later) has no same-mm preference.
Constants and sources: data/sched.yaml.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import yaml

from ..resources import data_file
from .kernel import ALL_ERAS

POLICIES = ("uniform", "goodness")


@cache
def _table() -> dict:
    with open(data_file("sched.yaml"), encoding="utf-8") as fh:
        return yaml.safe_load(fh)


@cache
def policy(era: str) -> str:
    """``"goodness"`` (2.4's same-mm bonus) or ``"uniform"`` (no mm preference) for ``era``."""
    value = str(_table()["policy"][era]["value"])
    if value not in POLICIES:
        raise ValueError(f"data/sched.yaml policy.{era} = {value!r}; allowed: {POLICIES}")
    return value


def policy_code(era_index: float) -> int:
    """The policy of the era at ``era_index`` (Points' ``era_index``) as its POLICIES index."""
    return POLICIES.index(policy(ALL_ERAS[int(era_index)]))


@cache
def sched_constant(key: str) -> float:
    """A scheduler constant of data/sched.yaml (``mm_bonus``, ``proc_change_penalty``)."""
    return float(_table()[key]["value"])


def goodness_points(p) -> np.ndarray:
    """True at every point whose era runs 2.4's goodness() (Points' ``era_index``)."""
    codes = np.array([POLICIES.index(policy(e)) for e in ALL_ERAS])
    return codes[np.asarray(p["era_index"]).astype(int)] == POLICIES.index("goodness")


def other_mm_share(goodness, tasks, threads, cpus) -> np.ndarray:
    """Probability that a context switch runs a thread of another mm (a CR3 reload).

    No mm preference (2.5+): the next thread is any of the other n - 1 = tasks x
    threads - 1 threads with equal chance, threads - 1 of them of this mm:
    1 - (threads - 1)/(n - 1).

    2.4's goodness() on one busy CPU, in epochs where every thread runs one
    slice (ukspace_lab/sim/runq.py): the loaded mm's threads with time left go
    first, so the CPU runs each mm's threads back to back, tasks runs of an mm
    per epoch of n switches; at the recalculation the mm just run still has
    threads - 1 runnable threads, which get time again and go first, so one run
    continues across the epoch: (tasks - 1)/n. With one thread per mm every
    switch reloads (1).

    2.4 on several busy CPUs has no closed form here: other CPUs take threads
    of the loaded mm meanwhile, so the share lies between the one-CPU value and
    the no-preference one. This returns the no-preference value (the upper
    bound) there, and :func:`closed_form_applies` is False: the simulator is the
    reference (it measures 0.055 against 0.75 on the shipped ``threaded``).
    """
    tasks, threads, cpus = (np.asarray(x, dtype=float) for x in (tasks, threads, cpus))
    n = tasks * threads
    uniform = 1.0 - (threads - 1) / np.maximum(n - 1, 1)
    one_cpu = np.where(threads > 1, (tasks - 1) / np.maximum(n, 1), 1.0)
    return np.where(np.asarray(goodness) & (np.minimum(cpus, n) <= 1), one_cpu, uniform)


def closed_form_applies(goodness, tasks, threads, cpus, switches) -> np.ndarray:
    """False where the scheduler's placement has no closed form: 2.4 with threads
    of one mm on several busy CPUs and context switches (see :func:`other_mm_share`).
    There the CR3 reloads at switch, the refills they cause and the CPUs an mm is
    loaded on (the pool-flush IPIs) come from the simulator alone."""
    tasks, threads, cpus = (np.asarray(x, dtype=float) for x in (tasks, threads, cpus))
    busy = np.minimum(cpus, tasks * threads)
    placed = np.asarray(goodness) & (threads > 1) & (tasks > 1) & (busy > 1) \
        & (np.asarray(switches) > 0) & (tasks * threads > cpus)
    return ~placed


def switch_cr3_rate(p, switches_per_task) -> np.ndarray:
    """Drop-in for ``model.tlb.switch_cr3_rate`` with the era's scheduler: CR3 reloads
    per second per busy CPU from context switches between mms. A switch happens
    only when another thread is runnable (more threads than CPUs)."""
    T, th, cpus = p["tasks"], p["threads"], p["cpus"]
    n = T * th
    share = other_mm_share(goodness_points(p), T, th, cpus)
    rate = T * switches_per_task * share / np.minimum(cpus, n)
    return np.where(n > cpus, rate, 0.0)
