"""A sweep's tidy table, built column by column: one row per point and strategy.

The closed form's grid is evaluated in cache-sized slices, each written
straight into point-major result arrays (row ``i * S + s`` is point ``i``,
strategy ``s``, as the per-point engines give), so no per-strategy frame is
built and stacked. Text columns (strategy, engine, model version, text axes)
are made in Arrow from a code per row and a few words, not from a Python
string per row. The table is the same, value for value and dtype for dtype,
as building it from per-strategy :func:`~ukspace_lab.model.closed.evaluate_points`
frames (tests/study/test_tidy.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from tqdm import tqdm

from ..model.closed import RESULT_KEYS, evaluate_arrays
from ..model.inputs import points_from_variants
from .grid import Grid

SLICE = 16_384   # points per evaluate_arrays call: its working arrays stay in cache


def _default_text_dtype() -> Any:
    return pd.Series(["x"]).dtype


def text_column(codes: np.ndarray, words: Sequence[str]) -> Any:
    """``words[codes]`` as pandas' default text column (Arrow-backed ``str``: built as an
    Arrow dictionary cast to strings; else an object array)."""
    dtype = _default_text_dtype()
    if isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow":
        dictionary = pa.array([str(w) for w in words], type=pa.large_string())
        arr = pa.DictionaryArray.from_arrays(pa.array(np.asarray(codes, dtype=np.int32)),
                                             dictionary).cast(pa.large_string())
        return pd.array(arr, dtype=dtype)
    return np.asarray(list(words), dtype=object)[codes]


def axis_columns(grid: Grid, per_point: np.ndarray | int) -> dict[str, Any]:
    """Every axis column, each value repeated ``per_point`` times (rows of that point)."""
    out: dict[str, Any] = {}
    for k, axis in enumerate(grid.axes):
        name = axis.key if axis.name in RESULT_KEYS else axis.name     # as Grid.columns
        codes = np.repeat(grid.index[k], per_point)
        col = axis.column()
        if col.dtype == object and all(isinstance(v, str) for v in col):
            out[name] = text_column(codes, list(col))
        else:
            out[name] = col[codes]
    return out


def frame_columns(frame: pd.DataFrame) -> dict[str, Any]:
    """A frame's columns as arrays, text columns left in Arrow (no round trip through
    Python strings)."""
    return {c: frame[c].to_numpy() if isinstance(frame[c].dtype, np.dtype) else frame[c].array
            for c in frame.columns}


def closed_results(grid: Grid, progress: bool) -> dict[str, Any]:
    """The closed form's result columns over the grid, point-major (``strategy`` first)."""
    scn = grid.scn
    names = list(scn.strategies)
    n, n_strat = len(grid), len(names)
    points = points_from_variants(scn, {a.name: a.scenarios for a in grid.axes})
    points = replace(points, axes=())       # the axis columns come from the grid
    dest: dict[str, np.ndarray] = {}
    with tqdm(total=n * n_strat, unit="pt", disable=not progress,
              desc="sweep closed (strategy-points)") as bar:
        for start in range(0, n, SLICE):
            stop = min(n, start + SLICE)
            part = points.slice(start, stop) if (start, stop) != (0, n) else points
            results = evaluate_arrays(part, names)
            for key in RESULT_KEYS[1:]:          # key by key: the block stays in cache
                if key not in dest:
                    dtype = np.asarray(results[names[0]][key]).dtype
                    dest[key] = np.empty((n, n_strat), dtype=dtype)
                block = dest[key][start:stop]
                for s, name in enumerate(names):
                    block[:, s] = results[name][key]
            bar.update((stop - start) * n_strat)
    out: dict[str, Any] = {"strategy": text_column(np.tile(np.arange(n_strat), n), names)}
    out.update({key: dest[key].reshape(-1) for key in RESULT_KEYS[1:]})
    return out


def assemble(grid: Grid, results: dict[str, Any], lengths: np.ndarray | int, engine: str,
             version: str) -> pd.DataFrame:
    """Axis columns first, then the results, then ``point``, ``engine``, ``model_version``.

    ``lengths`` is the rows of each point (an int when every point has as many)."""
    cols = axis_columns(grid, lengths)
    cols.update(results)
    cols["point"] = np.repeat(np.arange(len(grid)), lengths)
    rows = len(cols["point"])
    zeros = np.zeros(rows, dtype=np.int32)
    cols["engine"] = text_column(zeros, [engine])
    cols["model_version"] = text_column(zeros, [version])
    return pd.DataFrame(cols, copy=False)
