"""The event simulator against hand arithmetic, itself, and its plain reference."""

from __future__ import annotations

import hashlib
import subprocess
import sys

import numpy as np
import pytest

from ukspace_lab import load_scenario
from ukspace_lab.errors import ScenarioError
from ukspace_lab.model.closed import RESULT_KEYS
from ukspace_lab.sim import simulate
from ukspace_lab.sim import state as S
from ukspace_lab.sim.engine import run_plan
from ukspace_lab.sim.plan import plan
from ukspace_lab.sim.reference import simulate_plain

# the CPU interval (cpu_overhead_pct_low/_high) is the closed form's alone: NaN in sim rows
SIM_RATES = [k for k in RESULT_KEYS[1:] if not k.startswith("cpu_overhead_pct_")]

QUIET = {"workload.faults_per_s": 0, "workload.ctxsw_per_s": 0, "workload.forks_per_s": 0,
         "workload.scan_pages_per_s": 0, "workload.highmem_cache_fraction": 1.0,
         "workload.read_kmap": "kmap", "workload.shared_segment": 0}


def _counts(overrides: dict, name: str, ops: int = 60_000):
    scn = load_scenario("default", {**QUIET, **overrides})
    w, _ = run_plan(plan(scn, name), ops=ops, seed=7, start="boot")
    return w.st


@pytest.mark.parametrize("arch,ram,slots", [("i386-pae", "16GiB", 512), ("i386", "4GiB", 1024)])
def test_streaming_one_task_flushes_once_per_last_pkmap(arch, ram, slots):
    """One task reading distinct highmem pages: one flush_tlb_all() per LAST_PKMAP
    new mappings (512 PAE, 1024 without), each an IPI to every other CPU."""
    st = _counts({"machine.arch": arch, "machine.ram": ram, "machine.cpus": 4,
                  "workload.tasks": 1}, "mainline")
    new = int(st[S.C_GNEW])
    assert new > 20 * slots
    assert st[S.C_GNEW] + st[S.C_GHIT] == st[S.C_GK]
    assert int(st[S.C_GFLUSH]) == new // slots
    assert int(st[S.C_IPI]) == 3 * int(st[S.C_GFLUSH])
    assert st[S.C_GHIT] < 0.01 * st[S.C_GK]          # a huge file: almost every page is new


def test_steady_start_spreads_the_pool_cursors():
    """From steady-state cursors 400 pools of 512 slots, each taking ~378 new maps/s,
    flush at the steady rate from the first second (400 x 378 / 512 = 295/s), where a
    boot start (all cursors at 0, no wrap before 512 maps) flushes next to none in 1 s:
    a pool's ~100 reads of ~3.8 highmem pages give 378 +- 40 maps, so one pool in a few
    hundred passes 512 (3.4 sigma)."""
    scn = load_scenario("default", {"ukspace.pool_entries": 512, "ukspace.piggyback": False,
                                    "strategies": ["ukspace"]})
    steady = simulate(scn, seconds=1.0).iloc[0]
    assert steady.local_tlb_flushes_per_s == pytest.approx(400 * 100 * 4 * 0.9458 / 512,
                                                           rel=0.1)
    w, _ = run_plan(plan(scn, "ukspace"), seconds=1.0, seed=1, start="boot")
    assert w.st[S.C_PFLUSH] <= 3


def test_warmup_is_left_out_of_the_rates():
    """Counting after a warm-up: the rates are those of the measured second alone."""
    scn = load_scenario("default", {"strategies": ["mainline"]})
    df = simulate(scn, seconds=0.5, warmup=0.5)
    assert df.sim_seconds.iloc[0] == pytest.approx(0.5)
    assert df.global_tlb_flushes_per_s.iloc[0] == pytest.approx(295, rel=0.1)
    with pytest.raises(ScenarioError):
        simulate(scn, ops=100, warmup=1.0)


def test_rereading_mapped_pages_takes_no_new_slot():
    """100 highmem pages read over and over stay mapped: 100 new slots, the rest hits."""
    st = _counts({"machine.cpus": 4, "workload.tasks": 3, "workload.file_set": 100 * 4096},
                 "mainline")
    assert int(st[S.C_GNEW]) == 100
    assert st[S.C_GHIT] == st[S.C_GK] - 100
    assert st[S.C_GFLUSH] == 0 and st[S.C_IPI] == 0


def test_per_task_pool_flushes_locally_once_per_pool_size():
    """A pool of P entries and no context switch: one local flush per P new
    mappings after the first fill (floor((new-1)/P)), no IPI for one thread."""
    st = _counts({"machine.cpus": 4, "workload.tasks": 1, "ukspace.pool_entries": 64},
                 "ukspace-kmap")
    new = int(st[S.C_PNEW])
    assert new > 1000
    assert int(st[S.C_PFLUSH]) == (new - 1) // 64
    assert st[S.C_IPI] == 0 and st[S.C_GFLUSH] == 0


def test_threaded_pool_flush_interrupts_the_other_cpu():
    """Two threads of one mm on two CPUs: every pool flush sends one IPI."""
    st = _counts({"machine.cpus": 2, "workload.tasks": 1, "workload.threads_per_task": 2,
                  "ukspace.pool_entries": 16}, "ukspace-kmap")
    assert st[S.C_PFLUSH] > 100
    assert st[S.C_IPI] == st[S.C_PFLUSH]


def test_piggyback_resets_the_pool_at_switch():
    """Many single-threaded tasks switching often: slots come back through the
    free reset at switch-in, so the pool rarely wraps; without piggyback it does."""
    over = {"machine.cpus": 2, "workload.tasks": 8, "workload.ctxsw_per_s": 2000,
            "ukspace.pool_entries": 16}
    on = _counts(over, "ukspace-kmap")
    off = _counts({**over, "ukspace.piggyback": False}, "ukspace-kmap")
    assert on[S.C_PRESET] > 0 and off[S.C_PRESET] == 0
    assert on[S.C_PFLUSH] < 0.2 * off[S.C_PFLUSH]


def _digest(df) -> str:
    cols = [c for c in df.columns if c != "wall_seconds"]
    return hashlib.sha256(df[cols].to_csv(index=False).encode()).hexdigest()


def test_same_seed_same_bytes_in_this_and_another_process():
    """Same scenario and seed: identical results run to run and process to process."""
    scn = load_scenario("threaded")
    a = _digest(simulate(scn, seconds=0.02))
    assert a == _digest(simulate(scn, seconds=0.02))
    code = ("from ukspace_lab import load_scenario; from ukspace_lab.sim import simulate; "
            "from tests.sim.test_sim import _digest; "
            "print(_digest(simulate(load_scenario('threaded'), seconds=0.02)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=str(__import__("pathlib").Path(__file__).parents[2]))
    assert out.stdout.strip() == a
    assert a != _digest(simulate(scn, seconds=0.02, seed=2))


def test_plain_reference_gives_identical_counts():
    """The interpreter-run loop and the compiled one agree to the last count."""
    scn = load_scenario("threaded", {"strategies": ["mainline", "ukspace", "kmap-local",
                                                    "4g4g"]})
    cols = [*SIM_RATES, "events", "sim_seconds"]
    a = simulate(scn, ops=4000)
    b = simulate_plain(scn, ops=4000)
    # equal_nan: the 0.2 simulator leaves cpu_overhead_pct_low/_high empty (NaN); the
    # record fills them (model/record.py _with_interval)
    assert np.array_equal(a[cols].to_numpy(dtype=float), b[cols].to_numpy(dtype=float),
                          equal_nan=True)


def test_simulate_rows_and_columns():
    """One row per strategy, every result key, engine 'sim'."""
    scn = load_scenario("desktop")
    df = simulate(scn, seconds=0.05)
    assert list(df.strategy) == scn.strategies
    assert set(RESULT_KEYS) <= set(df.columns)
    assert (df.engine == "sim").all() and (df.events > 0).all()
    assert set(df.attrs["distributions"]) == set(scn.strategies)


def test_bad_length_is_a_user_error():
    """Both --seconds and --ops, or a non-positive length, is refused with a message."""
    scn = load_scenario("desktop")
    with pytest.raises(ScenarioError, match="seconds"):
        simulate(scn, seconds=-1)
    with pytest.raises(ScenarioError, match="not both"):
        simulate(scn, seconds=1, ops=10)
