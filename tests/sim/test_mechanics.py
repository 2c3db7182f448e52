"""The simulator's kmap mechanics (docs/kmap-mechanics.md) against hand arithmetic."""

from __future__ import annotations

import math

import pytest

from ukspace_lab import load_scenario
from ukspace_lab.model.closed import evaluate
from ukspace_lab.model.inputs import points_from_scenario
from ukspace_lab.sim import simulate
from ukspace_lab.sim import state as S
from ukspace_lab.sim.engine import run_plan
from ukspace_lab.sim.plan import plan

QUIET = {"workload.faults_per_s": 0, "workload.ctxsw_per_s": 0, "workload.forks_per_s": 0,
         "workload.scan_pages_per_s": 0, "workload.highmem_cache_fraction": 1.0,
         "workload.read_kmap": "kmap", "workload.shared_segment": 0}


def test_kunmap_high_takes_the_lock_again_and_a_wrap_holds_it_for_its_entries():
    """One CPU streaming distinct pages (i386, 4 GiB: LAST_PKMAP N = 1024), pentium3-xeon:
    kmap_high holds kmap_lock lock_op + kmap_high_hold = 18 + 40 = 58 cycles, a new
    mapping 80 more (pkmap_new), kunmap_high lock_op + kunmap_hold = 18 + 30 = 48 (no
    remote lines on one CPU, no hashed page_address on 2.4), and a wrap clears the
    count-1 entries at pkmap_wrap_entry = 20 each, tests the others at 4, and flushes
    its own TLB (global_flush 300; no IPI with one CPU). At a wrap at most the slot of
    the page being copied is held, so 20 (N - 2) + 8 + 300 <= W <= 20 N + 300; every
    kmap but the last one or two is unmapped."""
    scn = load_scenario("default", {**QUIET, "machine.arch": "i386", "machine.ram": "4GiB",
                                    "machine.cpus": 1, "workload.tasks": 1})
    w, _ = run_plan(plan(scn, "mainline"), ops=60_000, seed=3, start="boot")
    st = w.st
    gk, new, wraps = st[S.C_GK], st[S.C_GNEW], st[S.C_GFLUSH]
    assert wraps > 10 and st[S.C_SPIN] == 0
    low = 58 * gk + 80 * new + 48 * (gk - 2) + wraps * (20 * 1022 + 8 + 300)
    high = 58 * gk + 80 * new + 48 * gk + wraps * (20 * 1024 + 300)
    assert low <= st[S.C_LOCKHOLD] <= high


def test_a_spinning_cpu_is_a_finite_source():
    """default (16 CPUs, 2.4.18, mainline): a wrap holds kmap_lock for S = W/clock, W
    the cleared entries (about N = 512 at pkmap_wrap_entry + 15/16 of a line each), the
    pkmap PTE page's and pkmap_count[]'s lines (15/16 line x 512 x 12 / 32) and the
    sender's flush_tlb_all() (global_flush + 15 clustered ipi_send + ipi_wait + 15
    ipi_wait_per_cpu). A CPU between reads reaches the lock at its next read, at
    400 x 100 / 16 = 2,500 reads/s; it is inside a read's 4 page copies (4 x 4000 cycles
    at 700 MHz) a share q = 2,500 x 4 x copy of the time, and there it asks at its next
    highmem page (file_read_actor()'s kunmap() and kmap(), every copy / h). Each of the
    15 others spins S - Z (1 - exp(-S/Z)) per wrap, Z = 16 (1 - q) / 40,000 outside a
    read and copy / h inside; with Z = 16 / (all lock arrivals, 2 x 151k/s) it would be
    about 2.5x more. The short sections add a few percent."""
    scn = load_scenario("default", {"strategies": ["mainline"]})
    p = points_from_scenario(scn)

    def c(name):
        return float(p.cost(name)[0])

    line = 15 / 16 * c("kmap_lock_line_cycles")
    W = 512 * (c("pkmap_wrap_entry_cycles") + line) + line * 512 * 12 / c("cache_line_bytes") \
        + c("global_flush_cycles") + 15 * c("ipi_send_cycles") + c("ipi_wait_cycles") \
        + 15 * c("ipi_wait_per_cpu_cycles")
    clock = c("clock_hz")
    S_ = W / clock
    df = simulate(scn, seconds=0.3)
    wraps = float(df.global_tlb_flushes_per_s.iloc[0])
    spin = df.attrs["distributions"]["mainline"]["lock_spin_cycles_per_s"]

    def per_wrap(Z):
        return 15 * (S_ - Z * -math.expm1(-S_ / Z))

    copy = c("copy_page_cycles") / clock
    h = float(evaluate(scn).highmem_cache_fraction.iloc[0])
    q = 2500 * 4 * copy
    expected = (1 - q) * per_wrap(16 * (1 - q) / 40_000) + q * per_wrap(copy / h)
    assert spin == pytest.approx(wraps * expected * clock, rel=0.15)
    kmaps = float(df.kmaps_per_s.iloc[0])
    assert spin < 0.5 * wraps * per_wrap(16 / (2 * kmaps)) * clock


def test_kernel_threads_io_skips_the_per_task_pool():
    """workload.kthread_io_share = 0.25 under ukspace-kmap: a quarter of the reads go
    through the era's path (2.4.18: the global kmap), the rest through the mm's pool."""
    scn = load_scenario("default", {**QUIET, "workload.kthread_io_share": 0.25,
                                    "strategies": ["ukspace-kmap"]})
    w, _ = run_plan(plan(scn, "ukspace-kmap"), ops=40_000, seed=5, start="boot")
    share = w.st[S.C_GK] / (w.st[S.C_GK] + w.st[S.C_PMAP])
    assert share == pytest.approx(0.25, abs=0.03)
