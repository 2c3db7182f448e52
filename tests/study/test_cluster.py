"""The sweep command against a Dask cluster the test starts: progress, the same table as
local processes, and a run killed part-way resumed from the cache (docs/cluster.md)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from ukspace_lab.cli import main

ROOT = Path(__file__).resolve().parents[2]
SIM = ["--set", "strategies=[mainline,ukspace]", "--engine", "sim", "--sim-seconds", "0.005"]


@pytest.fixture(scope="module")
def scheduler():
    from dask.distributed import LocalCluster

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                           dashboard_address=":0", silence_logs=40)
    yield cluster.scheduler_address
    cluster.close()


def entries(root: Path) -> list[Path]:
    return [p for p in root.glob("sweeps/*/*") if not p.name.startswith(".tmp-")]


@pytest.mark.slow
def test_command_on_a_cluster_shows_progress_and_equals_local(scheduler, tmp_path, monkeypatch,
                                                             capsys):
    monkeypatch.setenv("UKSPACE_LAB_CACHE", str(tmp_path / "cache"))
    axes = ["--axis", "tasks=10:400:12"]
    out_dask, out_local = tmp_path / "dask.parquet", tmp_path / "local.parquet"
    assert main(["sweep", "default", *SIM, *axes, "--executor", "dask", "--scheduler",
                 scheduler, "--out", str(out_dask)]) == 0
    captured = capsys.readouterr()
    assert "sweep sim" in captured.err and "12/12" in captured.err      # the tqdm bar
    assert "12 computed, 0 from cache" in captured.out
    assert main(["sweep", "default", *SIM, *axes, "--workers", "2", "--no-cache",
                 "--no-progress", "--out", str(out_local)]) == 0
    pd.testing.assert_frame_equal(pd.read_parquet(out_dask), pd.read_parquet(out_local),
                                  check_exact=True)


@pytest.mark.slow
def test_command_on_a_cluster_killed_resumes(scheduler, tmp_path, monkeypatch, capsys):
    """SIGKILL of the command part-way: the rerun computes only the points not cached."""
    cache = tmp_path / "cache"
    total = 120
    args = ["sweep", "default", *SIM, "--axis", f"tasks=10:4000:{total}", "--executor", "dask",
            "--scheduler", scheduler, "--no-progress"]
    env = {**os.environ, "UKSPACE_LAB_CACHE": str(cache), "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "ukspace_lab.cli", *args, "--out",
                             str(tmp_path / "killed.parquet")], cwd=ROOT, env=env,
                            start_new_session=True, stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 300
        while len(entries(cache)) < 10 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    done = len(entries(cache))
    assert 10 <= done < total, f"kill landed after {done} of {total} points"
    monkeypatch.setenv("UKSPACE_LAB_CACHE", str(cache))
    out = tmp_path / "resumed.parquet"
    assert main([*args, "--out", str(out)]) == 0
    assert f"{total - done} computed, {done} from cache" in capsys.readouterr().out
    assert len(pd.read_parquet(out)) == 2 * total


def test_batches_cover_every_point_once_in_order():
    """About BATCHES_PER_WORKER batches per worker, at most MAX_BATCH points, none lost:
    8 points on 2 workers go one by one; 10,000 on 2 in batches of 16 (625 batches)."""
    from ukspace_lab.study.executors import MAX_BATCH, batches

    def tasks(n):
        return [(i, f"k{i}", ("fn", "scn", {"tasks": i}, {})) for i in range(n)]

    assert [len(b) for b in batches(tasks(8), 2)] == [1] * 8
    big = batches(tasks(10_000), 2)
    assert len(big) == 10_000 // MAX_BATCH and {len(b) for b in big} == {MAX_BATCH}
    assert [t[0] for b in big for t in b] == list(range(10_000))
    assert [len(b) for b in batches(tasks(24), 2)] == [3] * 8
