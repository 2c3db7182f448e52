"""The benchmark presets carry the rates their comments derive.

Each rate of ``papermill_params/{kernbench,sdet,dbench}.yaml`` is stated in the
file's comment as (events per unit of work) / (CPU seconds per unit); these
tests redo that arithmetic by hand so a preset cannot drift from its derivation.
"""

from __future__ import annotations

import pytest

from ukspace_lab.model.loading import load_scenario
from ukspace_lab.units import parse_size


def test_kernbench_rates_are_per_job_counts_over_the_job_time():
    """kbuild job, t = 0.6 s of CPU on a 700 MHz P3: 8 execs (sh, gcc, cpp0, cc1, as,
    fixdep, rm, mv), 4 forks (sh's children; make and gcc vfork), 8 exits, 4,300 faults,
    150 reads of 6 KiB, 10 writes, 3,000 other syscalls, 800 switches per job."""
    w = load_scenario("kernbench").workload
    t = 0.6
    assert w.cpu_bound is True
    for key, per_job in (("execs_per_s", 8), ("forks_per_s", 4), ("exits_per_s", 8),
                         ("faults_per_s", 4300), ("reads_per_s", 150), ("writes_per_s", 10),
                         ("syscalls_per_s", 3000), ("ctxsw_per_s", 800)):
        assert getattr(w, key) == pytest.approx(per_job / t, rel=0.02), key
    assert w.read_size == parse_size("6KiB") and w.exec_strings == 100


def test_sdet_rates_are_per_command_counts_over_the_command_time():
    """SDET command, t = 4 ms: 1 fork, 1 exec, 1 exit, 150 faults, 10 reads, 4 writes,
    150 other syscalls, 3 switches."""
    w = load_scenario("sdet").workload
    t = 0.004
    for key, per_cmd in (("forks_per_s", 1), ("execs_per_s", 1), ("exits_per_s", 1),
                         ("faults_per_s", 150), ("reads_per_s", 10), ("writes_per_s", 4),
                         ("syscalls_per_s", 150), ("ctxsw_per_s", 3)):
        assert getattr(w, key) == pytest.approx(per_cmd / t, rel=0.02), key


def test_dbench_rates_are_the_copy_rate_over_the_request_size():
    """0.7 GB/s of copy (4 KiB in 4,000 cycles at 700 MHz: 4096 / (4000 / 700e6) = 717 MB/s)
    x 60 % of the CPU = 430 MB/s, over 16 KiB requests = 26,000 calls/s, half reads and half
    writes; other syscalls 0.5 per data call."""
    w = load_scenario("dbench").workload
    copy = 4096 / (4000 / 700e6)
    calls = copy * 0.6 / parse_size("16KiB")
    assert w.reads_per_s + w.writes_per_s == pytest.approx(calls, rel=0.02)
    assert w.reads_per_s == w.writes_per_s
    assert w.syscalls_per_s == pytest.approx(0.5 * (w.reads_per_s + w.writes_per_s))
    assert w.forks_per_s == w.execs_per_s == 0
