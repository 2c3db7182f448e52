"""The sweep's tidy table built column by column equals the table built frame by frame."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from ukspace_lab import load_scenario
from ukspace_lab.cli import main
from ukspace_lab.model.closed import MODEL_VERSION, RESULT_KEYS, evaluate_points
from ukspace_lab.model.inputs import points_from_variants
from ukspace_lab.study import tidy
from ukspace_lab.study.axes import parse_axes
from ukspace_lab.study.cache import SweepCache
from ukspace_lab.study.grid import make_grid
from ukspace_lab.study.sweep import run_sweep


def framewise(scn, axes) -> pd.DataFrame:
    """The table as it was built before tidy.py: one evaluate_points frame per strategy,
    stacked point-major, axis columns and constants added through pandas."""
    grid = make_grid(scn, axes)
    points = replace(points_from_variants(scn, {a.name: a.scenarios for a in grid.axes}),
                     axes=())
    frames = [evaluate_points(points, [name]) for name in scn.strategies]
    n, n_strat = len(grid), len(scn.strategies)
    cols = {name: np.repeat(col, n_strat) for name, col in grid.columns().items()}
    cols["strategy"] = np.tile(np.array(scn.strategies, dtype=object), n)
    cols.update({c: np.stack([f[c].to_numpy() for f in frames], axis=1).ravel()
                 for c in RESULT_KEYS[1:]})
    cols["point"] = np.repeat(np.arange(n), n_strat)
    out = pd.DataFrame(cols)
    out["engine"] = "closed"
    out["model_version"] = MODEL_VERSION
    return out


def test_closed_table_equals_framewise_across_slices():
    """20,000 points (two slices of the closed form), a text axis and a mixed auto/number
    axis: every value and dtype as the frame-by-frame construction gives."""
    scn = load_scenario("default", {"strategies": ["mainline", "ukspace", "4g4g"]})
    axes = parse_axes(["machine.kernel=2.4.18,2.6", "highmem_cache_fraction=auto,0.5",
                       "tasks=10:10000:50", "pool_entries=8:512:100"])
    assert len(make_grid(scn, axes)) > tidy.SLICE
    got = run_sweep(scn, axes, cache=False, progress=False)
    pd.testing.assert_frame_equal(got, framewise(scn, axes), check_exact=True)


def test_text_column_is_pandas_own_text_column():
    words = ["mainline", "ukspace", "4g4g"]
    codes = np.array([2, 0, 1, 1, 0])
    want = pd.Series(np.array(words, dtype=object)[codes])
    pd.testing.assert_series_equal(pd.Series(tidy.text_column(codes, words)), want)


def test_command_writes_the_cache_entry_bytes(tmp_path, monkeypatch, capsys):
    """--out .parquet with the cache on writes the entry's bytes: the file reads back as
    the table run_sweep returns, and is byte for byte the cached payload."""
    monkeypatch.setenv("UKSPACE_LAB_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "t.parquet"
    args = ["sweep", "default", "--axis", "tasks=10,100,1000", "--no-progress", "--out", str(out)]
    assert main(args) == 0
    scn = load_scenario("default")
    store = SweepCache(tmp_path / "cache" / "sweeps")
    table = run_sweep(scn, {"tasks": [10, 100, 1000]}, cache=store, progress=False)
    assert table.attrs["sweep"]["cached"] == 3
    assert out.read_bytes() == store.get(table.attrs["sweep"]["cache_key"])
    pd.testing.assert_frame_equal(pd.read_parquet(out), table, check_exact=True)
    assert main(args[:-2] + ["--no-cache", "--out", str(tmp_path / "u.parquet")]) == 0
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "u.parquet"), table)
