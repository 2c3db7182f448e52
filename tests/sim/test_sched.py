"""The era's scheduler in the simulator against hand arithmetic (ukspace_lab/sim/runq.py)."""

from __future__ import annotations

import pytest

from ukspace_lab import load_scenario
from ukspace_lab.model.sched import closed_form_applies, other_mm_share, policy
from ukspace_lab.sim import simulate

QUIET = {"workload.copy_fault_probability": 0, "workload.reads_per_s": 10,
         "workload.faults_per_s": 0, "workload.scan_pages_per_s": 0, "strategies": ["mainline"]}


def _reload_share(kernel: str, cpus: int, tasks: int, threads: int, seconds: float = 1.0):
    scn = load_scenario("threaded", {**QUIET, "machine.kernel": kernel, "machine.cpus": cpus,
                                     "workload.tasks": tasks, "workload.threads_per_task": threads})
    d = simulate(scn, seconds=seconds).attrs["distributions"]["mainline"]
    return d["cr3_reloads_at_switch_per_s"] / d["context_switches_per_s"]


def test_eras_pick_their_scheduler():
    """2.4.18 runs goodness() (kernel/sched.c); the O(1) scheduler (2.5.2+) and CFS do not."""
    assert policy("2.4.18") == "goodness"
    assert [policy(e) for e in ("2.5", "2.6", "modern")] == ["uniform"] * 3


@pytest.mark.parametrize("tasks,threads", [(4, 4), (8, 2)])
def test_one_cpu_on_2_4_runs_each_mm_back_to_back(tasks, threads):
    """One CPU, 2.4: each epoch runs every mm's threads in one run, and the last
    run goes on across the recalculation: tasks - 1 CR3 reloads per n = tasks x
    threads switches (4 x 4: 3/16 = 0.1875; 8 x 2: 7/16 = 0.4375), where a choice
    with no mm preference reloads 1 - (threads-1)/(n-1) (12/15 = 0.8; 14/15)."""
    n = tasks * threads
    assert _reload_share("2.4.18", 1, tasks, threads) == pytest.approx((tasks - 1) / n,
                                                                       rel=0.03)
    assert other_mm_share(True, tasks, threads, 1) == pytest.approx((tasks - 1) / n)
    uniform = 1 - (threads - 1) / (n - 1)
    assert _reload_share("2.6", 1, tasks, threads) == pytest.approx(uniform, rel=0.03)
    assert other_mm_share(False, tasks, threads, 1) == pytest.approx(uniform)


@pytest.mark.parametrize("cpus,tasks,threads", [(4, 4, 4), (16, 10, 8)])
def test_no_mm_preference_reloads_as_a_uniform_choice(cpus, tasks, threads):
    """2.6 on several CPUs: the next thread is any other runnable one, so a switch
    keeps the mm with probability (threads-1)/(n-1) (4 x 4: 3/15; 10 x 8: 7/79)."""
    n = tasks * threads
    assert _reload_share("2.6", cpus, tasks, threads) == pytest.approx(
        1 - (threads - 1) / (n - 1), rel=0.03)


def test_threads_of_one_mm_take_turns_on_2_4():
    """The shipped threaded server (8 CPUs, 4 mms x 64 threads) on 2.4: the same-mm
    bonus keeps CPUs on their mm, so far fewer switches reload than the 1 - 63/255 =
    0.753 of no preference, and never fewer than one CPU's (4-1)/256 = 0.0117.
    The closed form says it does not apply there."""
    share = _reload_share("2.4.18", 8, 4, 64, seconds=0.3)
    assert 3 / 256 < share < 0.5 * (1 - 63 / 255)
    assert not closed_form_applies(True, 4, 64, 8, 5000)
    assert closed_form_applies(False, 4, 64, 8, 5000)
    assert closed_form_applies(True, 4, 64, 1, 5000)


def test_one_thread_per_mm_always_reloads():
    """A thread per mm: the next thread is always another mm's, on either scheduler."""
    for kernel in ("2.4.18", "2.6"):
        assert _reload_share(kernel, 4, 40, 1, seconds=0.3) == 1.0
    assert other_mm_share(True, 40, 1, 4) == 1.0 == other_mm_share(False, 40, 1, 4)
