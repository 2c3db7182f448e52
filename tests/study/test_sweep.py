"""Sweeps: axes, the vectorised grid, local and Dask executors, the crash-safe cache."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ukspace_lab import evaluate, load_scenario
from ukspace_lab.cli import main
from ukspace_lab.errors import ScenarioError
from ukspace_lab.study.axes import parse_axes, parse_axis
from ukspace_lab.study.cache import MAGIC, SweepCache, cache_key
from ukspace_lab.study.sweep import run_sweep
from ukspace_lab.units import GiB

ROOT = Path(__file__).resolve().parents[2]
KILL_AXES = {"tasks": [1, 10, 100, 1000, 3000, 10000], "pool_entries": [8, 32, 128, 512]}
SLOW_POINT_S = 0.15


def slow_point(scn):
    """A per-point function slow enough to kill a sweep part-way (closed form + a pause)."""
    time.sleep(SLOW_POINT_S)
    return evaluate(scn)


def entries(root: Path) -> list[Path]:
    return [p for p in root.glob("*/*") if not p.name.startswith(".tmp-")]


# --- axes ----------------------------------------------------------------------------------

def test_axis_lists_stay_strings_for_the_schema_to_convert():
    """A listed axis keeps its spellings; the scenario schema turns them into values."""
    assert parse_axis("machine.kernel=2.4.18,2.6") == ("machine.kernel", ["2.4.18", "2.6"])
    axes = parse_axes(["ram=1GiB,4GiB", "machine.kernel=2.4.18,2.6"])
    df = run_sweep(load_scenario("default"), axes, cache=False, progress=False)
    assert list(df["ram"].unique()) == [GiB, 4 * GiB] and df["ram"].dtype == np.int64
    assert list(df["machine.kernel"].unique()) == ["2.4.18", "2.6"]


def test_axis_ranges_integers_sizes_and_log():
    """Ranges: integers stay integers for integer keys, sizes take units, log spacing."""
    assert parse_axis("tasks=1:1000:4:log") == ("tasks", [1, 10, 100, 1000])
    assert parse_axis("ram=1GiB:4GiB:4") == ("ram", [GiB, 2 * GiB, 3 * GiB, 4 * GiB])
    assert parse_axis("reads_per_s=0:100:3") == ("reads_per_s", [0.0, 50.0, 100.0])
    assert parse_axis("cpus=1:2:5") == ("cpus", [1, 2])     # rounded, repeats dropped
    assert parse_axis("costs.invlpg_cycles=100:400:2") == ("costs.invlpg_cycles", [100.0, 400.0])


@pytest.mark.parametrize(("text", "words"), [
    ("tasks", ["--axis 'tasks'", "name=v1,v2"]),
    ("tasks=1:10:x", ["count 'x'"]),
    ("tasks=0:10:3:log", ["log range needs start and stop > 0"]),
    ("tasks=1:10:3:cubic", ["start:stop:count:log"]),
    ("ram=1GB:4GiB:3", ["ram", "'1GB' is not a byte count or a size"]),
    ("machine.kernel=1:3:3", ["machine.kernel is not numeric", "takes a list"]),
])
def test_axis_parse_errors_name_the_axis(text, words):
    """A malformed --axis is one message naming the axis and what is allowed."""
    with pytest.raises(ScenarioError) as err:
        parse_axis(text)
    assert all(w in str(err.value) for w in words), str(err.value)


@pytest.mark.parametrize(("axes", "words"), [
    ({"taks": [1]}, ["'taks'", "did you mean 'tasks'"]),
    ({"title": ["x"]}, ["'title': not a sweepable parameter"]),
    ({"ram": ["1GiB", "128GiB"]}, ["axis ram = '128GiB'", "64GiB"]),
    ({"tasks": [10, 10]}, ["axis tasks", "listed twice"]),
    ({"tasks": [1], "workload.tasks": [2]}, ["workload.tasks: given twice"]),
    ({"machine.cpu_model": ["pentium9"]}, ["axis machine.cpu_model = 'pentium9'",
                                           "unknown CPU model"]),
])
def test_axis_value_errors(axes, words):
    """Bad axis names and values are refused before anything runs."""
    with pytest.raises(ScenarioError) as err:
        run_sweep(load_scenario("default"), axes, cache=False, progress=False)
    assert all(w in str(err.value) for w in words), str(err.value)
    with pytest.raises(ScenarioError, match="given twice"):
        parse_axes(["tasks=1,2", "tasks=3"])


def test_option_errors():
    """Options that do not fit the engine are refused with the option named."""
    scn = load_scenario("default")
    for kw, word in [({"engine": "monte"}, "engine 'monte'"),
                     ({"executor": "dask"}, "executor dask: the closed form"),
                     ({"sim_seconds": 1.0}, "sim_seconds = 1.0: needs engine sim"),
                     ({"engine": "closed-point", "workers": 0}, "workers = 0"),
                     ({"engine": "closed-point", "scheduler": "tcp://x:1"}, "needs executor dask")]:
        with pytest.raises(ScenarioError, match=word):
            run_sweep(scn, {"tasks": [1]}, cache=False, progress=False, **kw)


# --- the closed form over a grid --------------------------------------------------------------

def test_default_axes_come_from_the_scenario_sweep_section():
    """No axes: the scenario's sweep section; rows point-major, one per point and strategy."""
    scn = load_scenario("default")
    df = run_sweep(scn, cache=False, progress=False)
    assert len(df) == 5 * 4 * 4 * len(scn.strategies)
    assert list(df.columns[:4]) == ["tasks", "ram", "pool_entries", "strategy"]
    assert list(df.columns[-3:]) == ["point", "engine", "model_version"]
    assert list(df["strategy"][:len(scn.strategies)]) == list(scn.strategies)
    first = df[df["point"] == 0]
    assert (first["tasks"] == 1).all() and (first["ram"] == GiB).all()
    assert (first["pool_entries"] == 8).all() and (df["engine"] == "closed").all()
    last = df[df["point"] == 79].iloc[0]
    assert (last["tasks"], last["ram"], last["pool_entries"]) == (10000, 64 * GiB, 512)


def test_vectorised_grid_equals_point_by_point():
    """One vectorised call over the grid gives what validating and evaluating each point
    on its own gives, categorical, auto-or-number and cost axes included."""
    scn = load_scenario("threaded")
    axes = {"tasks": [2, 8], "machine.kernel": ["2.4.18", "2.6"],
            "highmem_cache_fraction": ["auto", 0.5], "costs.invlpg_cycles": [100, 500]}
    grid = run_sweep(scn, axes, cache=False, progress=False)
    each = run_sweep(scn, axes, engine="closed-point", workers=2, cache=False, progress=False)
    pd.testing.assert_frame_equal(grid.drop(columns="engine"), each.drop(columns="engine"))
    assert list(grid.columns[:4]) == ["tasks", "machine.kernel", "workload.highmem_cache_fraction",
                                      "costs.invlpg_cycles"]
    # by hand: every invlpg costs invlpg_cycles, so 400 more cycles per invlpg
    cheap = grid[grid["costs.invlpg_cycles"] == 100].reset_index(drop=True)
    dear = grid[grid["costs.invlpg_cycles"] == 500].reset_index(drop=True)
    np.testing.assert_allclose(dear["cpu_cycles_per_s"] - cheap["cpu_cycles_per_s"],
                               400 * cheap["invlpg_per_s"], rtol=1e-9)
    assert (cheap["invlpg_per_s"] > 0).any()


# --- executors ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def cluster():
    from dask.distributed import LocalCluster

    c = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                     dashboard_address=":0", silence_logs=40)
    yield c
    c.close()


def test_local_and_dask_give_identical_tables(cluster):
    """The same sweep on local processes and on a two-worker Dask cluster: equal tables."""
    scn = load_scenario("default")
    axes = {"tasks": [1, 100, 10000], "cpus": [2, 16], "machine.kernel": ["2.4.18", "2.6"]}
    local = run_sweep(scn, axes, engine="closed-point", workers=2, cache=False, progress=False)
    dask = run_sweep(scn, axes, engine="closed-point", executor="dask",
                     scheduler=cluster.scheduler_address, cache=False, progress=False)
    pd.testing.assert_frame_equal(local, dask, check_exact=True)
    assert len(local) == 12 * len(scn.strategies)


def test_simulator_on_local_and_dask_identical(cluster):
    """The simulator engine, per point on local processes and on Dask: equal tables."""
    sim = pytest.importorskip("ukspace_lab.sim")
    if not hasattr(sim, "simulate"):
        pytest.skip("ukspace_lab.sim.simulate not built yet")
    scn = load_scenario("threaded", {"strategies": ["mainline", "ukspace", "kmap-local"]})
    axes = {"tasks": [2, 4], "pool_entries": [16, 64]}
    local = run_sweep(scn, axes, engine="sim", sim_seconds=0.02, workers=2, cache=False,
                      progress=False)
    dask = run_sweep(scn, axes, engine="sim", sim_seconds=0.02, executor="dask",
                     scheduler=cluster.scheduler_address, cache=False, progress=False)
    pd.testing.assert_frame_equal(local, dask, check_exact=True)
    assert (local["events"] > 0).all()


def test_dask_without_a_scheduler_starts_its_own_local_cluster():
    """No scheduler address: run_sweep starts (and closes) a two-worker LocalCluster."""
    scn, axes = load_scenario("threaded"), {"tasks": [1, 4], "cpus": [2, 8]}
    local = run_sweep(scn, axes, engine="closed-point", workers=2, cache=False, progress=False)
    dask = run_sweep(scn, axes, engine="closed-point", executor="dask", workers=2, cache=False,
                     progress=False)
    pd.testing.assert_frame_equal(local, dask, check_exact=True)


# --- the cache ------------------------------------------------------------------------------

def test_cache_reads_points_instead_of_recomputing(tmp_path):
    """A second run reads every point from the cache; the tables are equal."""
    scn, axes = load_scenario("default"), {"tasks": [1, 10], "ram": ["4GiB", "16GiB"]}
    first = run_sweep(scn, axes, engine="closed-point", workers=1, cache=SweepCache(tmp_path),
                      progress=False)
    again = run_sweep(scn, axes, engine="closed-point", workers=1, cache=SweepCache(tmp_path),
                      progress=False)
    assert first.attrs["sweep"] == {"points": 4, "cached": 0, "computed": 4}
    assert again.attrs["sweep"] == {"points": 4, "cached": 4, "computed": 0}
    pd.testing.assert_frame_equal(first, again)
    assert len(entries(tmp_path)) == 4


@pytest.mark.parametrize("damage", ["truncate", "flip", "empty", "header"])
def test_damaged_point_entry_is_recomputed(tmp_path, damage):
    """A truncated, bit-flipped, empty or headerless entry is deleted and recomputed."""
    scn, axes = load_scenario("default"), {"tasks": [1, 10, 100]}
    store = SweepCache(tmp_path)
    straight = run_sweep(scn, axes, engine="closed-point", workers=1, cache=store, progress=False)
    victim = sorted(entries(tmp_path))[1]
    blob = victim.read_bytes()
    victim.write_bytes({"truncate": blob[: len(blob) // 2],
                        "flip": blob[:-100] + bytes([blob[-100] ^ 1]) + blob[-99:],
                        "empty": b"",
                        "header": blob[len(MAGIC):]}[damage])
    assert store.get(victim.name) is None and not victim.exists()
    victim.write_bytes(blob[: len(blob) // 3])
    again = run_sweep(scn, axes, engine="closed-point", workers=1, cache=store, progress=False)
    assert again.attrs["sweep"]["computed"] == 1
    pd.testing.assert_frame_equal(straight, again)
    assert victim.read_bytes() == blob


def test_damaged_closed_grid_entry_is_recomputed(tmp_path):
    """The closed form caches one entry per grid; a damaged one is recomputed."""
    scn, store = load_scenario("default"), SweepCache(tmp_path)
    first = run_sweep(scn, cache=store, progress=False)
    (entry,) = entries(tmp_path)
    assert run_sweep(scn, cache=store, progress=False).attrs["sweep"]["computed"] == 0
    entry.write_bytes(entry.read_bytes()[:-1])
    again = run_sweep(scn, cache=store, progress=False)
    assert again.attrs["sweep"]["computed"] == 80
    pd.testing.assert_frame_equal(first, again)


def test_edited_model_code_or_data_is_not_served_from_the_cache(tmp_path, monkeypatch):
    """Keys carry a fingerprint of the model's source and data/*.yaml: a change recomputes."""
    import ukspace_lab.study.sweep as sweep

    scn, axes, store = load_scenario("default"), {"tasks": [1, 10]}, SweepCache(tmp_path)
    run_sweep(scn, axes, engine="closed-point", workers=1, cache=store, progress=False)
    run_sweep(scn, axes, cache=store, progress=False)
    monkeypatch.setattr(sweep, "code_fingerprint", lambda: "edited")
    assert run_sweep(scn, axes, engine="closed-point", workers=1, cache=store,
                     progress=False).attrs["sweep"]["computed"] == 2
    assert run_sweep(scn, axes, cache=store, progress=False).attrs["sweep"]["computed"] == 2


def test_cache_key_is_canonical():
    """Key order does not matter; values do."""
    assert cache_key({"a": 1, "b": [1, 2]}) == cache_key({"b": [1, 2], "a": 1})
    assert cache_key({"a": 1}) != cache_key({"a": 1.5})


KILL_SCRIPT = """
import sys
from ukspace_lab import load_scenario
from ukspace_lab.study.cache import SweepCache
from ukspace_lab.study.sweep import run_sweep
from tests.study.test_sweep import KILL_AXES, slow_point

if __name__ == "__main__":
    run_sweep(load_scenario("default"), KILL_AXES, engine="slow", point_fn=slow_point,
              workers=2, cache=SweepCache(sys.argv[1]), progress=False)
"""


def test_sweep_killed_with_sigkill_resumes_to_the_same_table(tmp_path):
    """SIGKILL part-way loses only points in flight; the rerun computes exactly the rest
    and its table equals one run straight through."""
    store = tmp_path / "cache"
    proc = subprocess.Popen([sys.executable, "-c", KILL_SCRIPT, str(store)], cwd=ROOT,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while len(entries(store)) < 5 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    done = len(entries(store))
    total = len(KILL_AXES["tasks"]) * len(KILL_AXES["pool_entries"])
    assert 5 <= done < total, f"kill landed after {done} of {total} points"
    scn = load_scenario("default")
    resumed = run_sweep(scn, KILL_AXES, engine="slow", point_fn=slow_point, workers=2,
                        cache=SweepCache(store), progress=False)
    assert resumed.attrs["sweep"] == {"points": total, "cached": done, "computed": total - done}
    straight = run_sweep(scn, KILL_AXES, engine="slow", point_fn=slow_point, workers=2,
                         cache=False, progress=False)
    pd.testing.assert_frame_equal(resumed, straight, check_exact=True)


# --- the command ----------------------------------------------------------------------------

def test_cli_writes_parquet_and_csv(tmp_path, capsys):
    """``ukspace-lab sweep`` writes the table by extension; the files equal the API result."""
    args = ["sweep", "default", "--axis", "tasks=1:100:3:log",
            "--axis", "machine.kernel=2.4.18,2.6",
            "--no-cache", "--no-progress"]
    expected = run_sweep(load_scenario("default"),
                         {"tasks": [1, 10, 100], "machine.kernel": ["2.4.18", "2.6"]},
                         cache=False, progress=False)
    assert main([*args, "--out", str(tmp_path / "s.parquet")]) == 0
    assert "6 points x 9 strategies = 54 rows" in capsys.readouterr().out
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "s.parquet"), expected)
    assert main([*args, "--out", str(tmp_path / "s.csv")]) == 0
    csv = pd.read_csv(tmp_path / "s.csv", dtype={"machine.kernel": str})
    np.testing.assert_allclose(csv["cpu_overhead_pct"], expected["cpu_overhead_pct"], rtol=1e-15)
    assert [p.name for p in tmp_path.iterdir()] and not list(tmp_path.glob(".tmp-*"))


def test_cli_errors_exit_2(capsys):
    """A bad --out extension or --axis is one message and exit code 2."""
    assert main(["sweep", "default", "--out", "x.xlsx"]) == 2
    assert "--out 'x.xlsx': unknown extension '.xlsx'" in capsys.readouterr().err
    assert main(["sweep", "default", "--axis", "tasks=1:10:0"]) == 2
    assert "count '0' must be a whole number from 1 to 100,000" in capsys.readouterr().err


# --- the simulator --------------------------------------------------------------------------

def test_tiny_simulator_sweep(tmp_path):
    """The sim engine runs ukspace_lab.sim.simulate per point, cached and reproducible."""
    sim = pytest.importorskip("ukspace_lab.sim")
    if not hasattr(sim, "simulate"):
        pytest.skip("ukspace_lab.sim.simulate not built yet")
    scn = load_scenario("default", {"strategies": ["mainline", "ukspace"]})
    axes = {"tasks": [10, 100]}
    a = run_sweep(scn, axes, engine="sim", sim_seconds=0.01, workers=2,
                  cache=SweepCache(tmp_path), progress=False)
    b = run_sweep(scn, axes, engine="sim", sim_seconds=0.01, workers=1, cache=False,
                  progress=False)
    pd.testing.assert_frame_equal(a, b)
    assert len(a) == 4 and (a["engine"] == "sim").all() and "wall_seconds" not in a
    assert set(a["strategy"]) == {"mainline", "ukspace"}


def test_a_point_the_scenario_refuses_is_named(tmp_path):
    """Each value valid alone, the combination not: the per-point engines name the point."""
    axes = {"tasks": [100, 20000], "threads_per_task": [1, 2]}
    with pytest.raises(ScenarioError) as err:
        run_sweep(load_scenario("default"), axes, engine="closed-point", workers=2,
                  cache=SweepCache(tmp_path), progress=False)
    assert "point 3 (tasks=20000, threads_per_task=2)" in str(err.value)
    assert "exceeds PID_MAX" in str(err.value)
