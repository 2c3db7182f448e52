"""The kmap mechanics of docs/kmap-mechanics.md, each against a number worked out by
hand from the cost table (pentium3-xeon, data/costs.yaml) and the kernel's rules.

The base case is tests/model/test_closed.py's ``stream``: 2.4.18 PAE on 4 CPUs, one
task reading 1000 one-page highmem pages per second from a 1 TiB file set.
"""

import math

import numpy as np
import pytest

from tests.model.test_closed import STREAM, run
from ukspace_lab import evaluate, load_scenario
from ukspace_lab.model import kmap, tlb
from ukspace_lab.model.inputs import points_from_scenario

CLOCK = 700e6


def test_kunmap_high_is_a_second_lock_arrival():
    """kunmap_high() takes kmap_lock again (2.5.7 mm/highmem.c): its hold is
    18 + 3/4 x 150 + 30 = 160.5 cycles per kmap. Zeroing kunmap_hold_cycles removes
    exactly its 30 cycles x 1000 kunmaps/s of lock time."""
    base = run().loc["mainline"].kmap_lock_utilization
    less = run(**{"costs.kunmap_hold_cycles": 0}).loc["mainline"].kmap_lock_utilization
    assert (base - less) * CLOCK == pytest.approx(1000 * 30, rel=1e-6)


def test_wrap_clears_every_count_1_entry_with_a_remote_line():
    """Per wrap, 512 - held entries each cost pkmap_wrap_entry (20) + 3/4 x 150 of the
    struct page line: raising pkmap_wrap_entry_cycles by 100 adds
    (512 - held) x 100 x flushes = 100 x 1000 x (512 - held)/(512 - held) = 100,000
    cycles/s of lock time."""
    base = run().loc["mainline"].kmap_lock_utilization
    more = run(**{"costs.pkmap_wrap_entry_cycles": 120}).loc["mainline"].kmap_lock_utilization
    assert (more - base) * CLOCK == pytest.approx(100 * 1000, rel=1e-6)


def test_slots_held_across_a_wrap_divide_the_flushes():
    """5 % of copies fault and sleep 10 ms: a data kmap is held 4000/700e6 s +
    0.05 x 0.01 s = 505.714 us, so 1000/s hold 0.505714 slots (Little's law); the wrap
    comes every 512 - 0.505714 new mappings: 1000 / 511.494 flushes/s."""
    held = 1000 * (4000 / CLOCK + 0.05 * 0.010)
    row = run(**{"workload.copy_fault_probability": 0.05,
                 "workload.fault_sleep_ms": 10}).loc["mainline"]
    assert row.global_tlb_flushes_per_s == pytest.approx(1000 / (512 - held), rel=1e-5)


def test_rmap_eras_map_a_pte_page_per_mapping_visited():
    """On 2.6 (rmap) highpte maps a PTE page for each (page, mapping) scanned. Ten
    tasks share a 2 GiB SGA and 4 MiB text (525,312 pages mapped 10 times) beside 32 MiB
    + 128 KiB private each (8,224 pages x 10 mapped once): E[mapcount] =
    (525,312 x 10 + 82,240) / (525,312 + 82,240) = 8.782; 1000 pages scanned/s give
    8,782 kmap_atomic/s. 2.4's swap_out maps 1000/512 = 1.953 PTE pages."""
    S, P, T = (2 * 2**30 + 4 * 2**20) / 4096, (32 * 2**20 + 128 * 1024) / 4096, 10
    expect = 1000 * (S * T + T * P) / (S + T * P)
    extra = {"workload.scan_pages_per_s": 1000, "workload.reads_per_s": 0,
             "workload.tasks": T}
    assert run(**extra, **{"machine.kernel": "2.6"}).loc["highpte"].invlpg_per_s == \
        pytest.approx(expect, rel=1e-9)
    assert run(**extra).loc["highpte"].invlpg_per_s == pytest.approx(1000 / 512, rel=1e-9)


def test_kernel_thread_io_goes_to_the_global_pool_in_per_task_designs():
    """A quarter of the I/O from knfsd-like kernel threads: on 2.4 it goes through
    kmap(): 250 new mappings/s, 250/512 global flushes (held ~0.0014), 3 IPIs each; the
    per-task pool gets 750/s and wraps 750/64 times."""
    row = run(**{"workload.kthread_io_share": 0.25}).loc["ukspace"]
    held = 250 * 4000 / CLOCK
    assert row.global_tlb_flushes_per_s == pytest.approx(250 / (512 - held), rel=1e-4)
    assert row.ipis_per_s == pytest.approx(3 * 250 / (512 - held), rel=1e-4)
    assert row.local_tlb_flushes_per_s == pytest.approx(750 / 64, rel=1e-6)
    assert run(**{"workload.kthread_io_share": 0.25}).loc["mainline"].kmaps_per_s == 1000


def test_exec_tears_down_the_copied_mm_out_of_context():
    """A default task (1,043 PTE pages: 1,024 SGA, 16 private, 2 text, 1 stack) that
    forks once a second: ukspace maps the child's PTE pages atomically (zero + copy,
    2 x 1,043) and its own through the window. Adding an exec a second, exec_mmap()
    drops the copied mm after activate_mm(), so its zap is out of context: through
    kmap_atomic, 1,043 more invlpg/s (through the window it would be none)."""
    base = {"workload.forks_per_s": 1, "workload.reads_per_s": 0}
    fork = run(**base).loc["ukspace"].invlpg_per_s
    execs = run(**base, **{"workload.execs_per_s": 1}).loc["ukspace"].invlpg_per_s
    assert fork == 2 * 1043
    assert execs - fork == 1043


def test_threads_of_one_mm_take_a_pool_lock():
    """4 threads of one mm on 4 CPUs: each of 1000 pool maps takes the per-mm lock in
    map and unmap, 2 x (18 + 3/(1+3) x 150) = 261 cycles; the 3 other CPUs run the mm
    (static placement). Without lock costs the CPU sum is 261,000 cycles/s lower."""
    extra = {"workload.threads_per_task": 4}
    with_lock = run(**extra).loc["ukspace"].cpu_cycles_per_s
    free = run(**extra, **{"costs.lock_op_cycles": 0,
                           "costs.kmap_lock_line_cycles": 0}).loc["ukspace"].cpu_cycles_per_s
    assert with_lock - free == pytest.approx(1000 * 2 * (18 + 0.75 * 150), rel=1e-9)


def test_lazy_tlb_cpus_forbid_the_piggyback():
    """8 single-threaded tasks on 4 CPUs, 500 switches/s: without kernel threads the
    reset at switch-in removes every wrap (test_closed). With half the I/O from kernel
    threads, half of the switch-ins find the mm still lazily loaded on another CPU: the
    pool (500/s per task) wraps plainly there: 8 x 0.5 x 500/64 = 31.25 local flushes."""
    row = run(**{"workload.ctxsw_per_s": 500, "workload.tasks": 8,
                 "workload.kthread_io_share": 0.5}).loc["ukspace"]
    assert row.local_tlb_flushes_per_s == pytest.approx(8 * 0.5 * 500 / 64, rel=1e-4)


@pytest.mark.parametrize(("cpus", "apic", "expect"), [
    (16, "auto", 300 + 15 * 1750 + 2000 + 15 * 300),      # clustered: 15 unicasts
    (16, "flat", 300 + 1750 + 2000 + 15 * 300),           # one ALLBUT
    (8, "auto", 300 + 1750 + 2000 + 7 * 300),             # flat up to 8 CPUs
    (8, "clustered", 300 + 7 * 1750 + 2000 + 7 * 300),
    (1, "auto", 300),                                     # nobody to interrupt
])
def test_flush_tlb_all_sender_by_apic_mode(cpus, apic, expect):
    """The sender's part of flush_tlb_all(): its __flush_tlb_all (300), the IPIs
    (ipi_send 1750 per target when clustered, one ipi_allbut 1750 when flat) and the
    wait, 2000 + 300 per target (the call_data line moves twice per target)."""
    scn = load_scenario("default", {**STREAM, "machine.cpus": cpus, "machine.apic": apic})
    assert tlb.flush_sender_cycles(points_from_scenario(scn))[0] == pytest.approx(expect)


def test_finite_source_spin_against_the_explicit_wrap_formula():
    """One wrap a second holding the lock 1 ms on 16 CPUs with 16,000 short
    acquisitions/s of 1 cycle: each of the 15 others asks again after an exponential
    time of mean 16/16,000 s = 1 ms, so it spins 1 - 1 x (1 - e^-1) = 0.3679 ms per
    wrap: 15 x 0.3679 ms = 5.518 ms of CPU per second (short spin ~0)."""
    spin = kmap.lock_spin_cycles([np.array([16000.0])], [np.array([1.0])], CLOCK,
                                 np.array([16.0]), np.array([1.0]), np.array([0.001 * CLOCK]))
    assert spin[0] / CLOCK == pytest.approx(15 * 0.001 * math.exp(-1), rel=1e-3)


def test_spin_never_exceeds_the_other_cpus():
    """Holds far beyond saturation: at most cpus - 1 CPUs spin, and one CPU never
    spins (the M/G/1 of 0.2 gave 115 % CPU at 1,000 cycles per wrap entry)."""
    for n in (1.0, 2.0, 16.0):
        spin = kmap.lock_spin_cycles([np.array([1e6]), np.array([1e6])],
                                     [np.array([5000.0]), np.array([3000.0])], CLOCK,
                                     np.array([n]), np.array([1000.0]), np.array([1e7]))
        assert spin[0] / CLOCK <= n - 1 + 1e-9
    scn = load_scenario("default", {"costs.pkmap_wrap_entry_cycles": 1000})
    assert (evaluate(scn)["cpu_overhead_pct"] < 100).all()


def test_wrap_spinners_arrive_at_the_read_rate():
    """The same wrap with 4,000 first acquisitions/s (reads whose pages follow back to
    back): Z = 16/4,000 s = 4 ms, so each of the 15 others spins
    1 - 4 x (1 - e^-0.25) = 0.1152 ms per wrap: 1.728 ms of CPU per second."""
    spin = kmap.lock_spin_cycles([np.array([16000.0])], [np.array([1.0])], CLOCK,
                                 np.array([16.0]), np.array([1.0]), np.array([0.001 * CLOCK]),
                                 np.array([4000.0]))
    assert spin[0] / CLOCK == pytest.approx(15 * 0.001 * (1 - 4 * (1 - math.exp(-0.25))),
                                            rel=1e-3)
