"""Sweeps: a scenario crossed with axes, evaluated by the closed form or the simulator.

:func:`run_sweep` is the one sweep API (CLI, notebooks and reports call it).
The closed form evaluates the whole grid in one vectorised call
(:func:`~ukspace_lab.model.inputs.points_from_variants`, from the axes' values
validated once); the simulator runs
one point per task (:mod:`~ukspace_lab.study.executors`) on local processes
or on a ``dask.distributed`` cluster. Axes are parsed and validated in
:mod:`~ukspace_lab.study.axes`, the grid is :mod:`~ukspace_lab.study.grid`.
Results are cached (:mod:`ukspace_lab.study.cache`): the closed form per grid,
the simulator per point,
written as each point finishes, so a killed sweep resumes where it stopped.
"""

from __future__ import annotations

import errno
import math
import os
import time
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool
from contextlib import closing
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from tqdm import tqdm

from ..errors import ScenarioError, shown
from ..model.closed import MODEL_VERSION
from ..model.scenario import Scenario
from .cache import (
    SweepCache,
    cache_key,
    code_fingerprint,
    frame_from_bytes,
    frame_to_bytes,
    write_atomic,
)
from .executors import POINT_ENGINES, Task, _dask, _local, probe_scheduler, simulate_point
from .grid import Grid, make_grid
from .tidy import assemble, closed_results, frame_columns

ENGINES = ("closed", "sim")
EXECUTORS = ("local", "dask")
OUT_FORMATS = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv"}


def _describe(grid: Grid, i: int) -> str:
    return ", ".join(f"{a.name}={a.values[grid.index[k, i]]!r}" for k, a in enumerate(grid.axes))


def _point_tables(grid: Grid, engine: str, fn: Callable[..., pd.DataFrame],
                  options: dict[str, Any], version: str, executor: str, workers: int,
                  scheduler: str | None, cache: SweepCache | None, progress: bool,
                  stats: dict[str, int]) -> list[pd.DataFrame]:
    """Every point's rows, read from the cache or computed in parallel and cached."""
    fn_name = f"{fn.__module__}.{fn.__qualname__}"
    frames: list[pd.DataFrame | None] = [None] * len(grid)
    todo: list[Task] = []
    for i in range(len(grid)):
        key = cache_key({"engine": engine, "function": fn_name, "model_version": version,
                         "code": code_fingerprint(), "options": options,
                         "point": grid.point_plain(i)})
        frames[i] = cache.get_frame(key) if cache is not None else None
        if frames[i] is None:
            todo.append((i, key, (fn, grid.scn, grid.overrides(i), options)))
    stats.update(cached=len(grid) - len(todo), computed=len(todo))
    keys = {i: key for i, key, _ in todo}
    with tqdm(total=len(grid), initial=len(grid) - len(todo), unit="point", disable=not progress,
              desc=f"sweep {engine}", dynamic_ncols=True) as bar:
        if todo:
            n = max(1, min(workers, len(todo)))
            results = _local(todo, n) if executor == "local" else _dask(todo, n, scheduler)
            with closing(results):       # stop the pool or cluster even on an error
                for i, fut in results:
                    try:
                        payload = fut.result()
                    except ScenarioError as exc:   # pickles with its problems
                        raise ScenarioError([f"point {i} ({_describe(grid, i)}): {p}"
                                             for p in exc.problems], "sweep") from None
                    except BrokenProcessPool:
                        time.sleep(1.0)    # a SIGTERM to the group killed the workers first:
                        raise OSError(     # its Stopped lands here; else a worker truly died
                            errno.ECHILD, "a sweep worker process died (killed, or out of "
                            "memory); finished points are cached, rerun to resume") from None
                    if cache is not None:
                        cache.put(keys[i], payload)
                    frames[i] = frame_from_bytes(payload)
                    bar.update(1)
    return frames  # type: ignore[return-value]


def _sim_version() -> str:
    try:
        from .. import sim
    except ImportError:
        return MODEL_VERSION
    return str(getattr(sim, "SIM_VERSION", MODEL_VERSION))


def _check(engine: str, executor: str, workers: int | None, scheduler: str | None,
           sim_seconds: float | None, point_fn: Callable[..., pd.DataFrame] | None) -> None:
    problems = []
    if engine not in ENGINES and engine not in POINT_ENGINES and point_fn is None:
        problems.append(f"engine {shown(engine)}: allowed: {', '.join(ENGINES)}")
    if engine == "closed" and point_fn is not None:
        problems.append("engine closed is vectorised; a point function needs another engine name")
    if executor not in EXECUTORS:
        problems.append(f"executor {shown(executor)}: allowed: {', '.join(EXECUTORS)}")
    elif engine == "closed" and (executor != "local" or scheduler):
        problems.append(f"executor {executor}: the closed form evaluates the whole grid in one "
                        "vectorised call in this process; use --engine sim to run on Dask")
    if scheduler and executor != "dask":
        problems.append(f"scheduler {shown(scheduler)}: needs executor dask")
    if scheduler is not None and not isinstance(scheduler, str):
        problems.append(f"scheduler = {shown(scheduler)}: expected an address such as "
                        "tcp://host:8786")
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int)
                                or workers < 1):
        problems.append(f"workers = {shown(workers)}: must be a whole number >= 1")
    if sim_seconds is not None and (engine != "sim" or isinstance(sim_seconds, bool)
                                    or not isinstance(sim_seconds, int | float)
                                    or not 0 < sim_seconds < math.inf):
        problems.append(f"sim_seconds = {shown(sim_seconds)}: needs engine sim and a finite "
                        "value > 0")
    if problems:
        raise ScenarioError(problems, "sweep options")
    if scheduler and executor == "dask":
        probe_scheduler(scheduler)             # before the simulator's slow import
    if engine == "sim" and point_fn is None:
        try:
            from ..sim import simulate  # noqa: F401
        except ImportError as exc:
            raise ScenarioError([f"engine sim: the simulator cannot be imported ({exc})"],
                                "sweep options") from None


def run_sweep(scn: Scenario, axes: dict[str, list[Any]] | None = None, *,
              engine: str = "closed", executor: str = "local", workers: int | None = None,
              scheduler: str | None = None, cache: bool | SweepCache = True,
              progress: bool = True, sim_seconds: float | None = None,
              point_fn: Callable[..., pd.DataFrame] | None = None) -> pd.DataFrame:
    """A tidy table: one row per point and strategy, each axis a column.

    ``axes`` maps an axis (alias such as ``tasks`` or dotted key such as
    ``machine.kernel`` or ``costs.invlpg_cycles``) to its values; None takes
    the scenario's ``sweep`` section. ``engine`` is ``closed`` (the grid in one
    vectorised call) or ``sim`` (one :func:`ukspace_lab.sim.simulate` per point,
    on ``executor`` ``local`` processes or ``dask``; ``scheduler`` is a Dask
    address, else a LocalCluster of ``workers``). ``cache`` is True (the
    shared ``.cache/sweeps``), False, or a :class:`SweepCache`. ``point_fn``
    replaces the per-point function (cross-checks and tests). The returned
    frame's ``attrs["sweep"]`` counts points cached and computed (and names the
    closed form's cache entry, ``cache_key``).

    Each axis value is validated against ``scn``; the per-point engines also
    validate every combination (a refused one is an error naming the point),
    while the closed form evaluates the grid as given, as
    :func:`~ukspace_lab.closed.evaluate` does. Local workers are started with
    ``forkserver``: a script calling this needs ``if __name__ == "__main__"``.
    """
    _check(engine, executor, workers, scheduler, sim_seconds, point_fn)
    grid = make_grid(scn, axes)
    store = SweepCache() if cache is True else (cache or None)
    if store is not None:
        store.prune_temporaries()
    n_strat = len(scn.strategies)
    if engine == "closed":
        key = cache_key({"engine": engine, "model_version": MODEL_VERSION,
                         "code": code_fingerprint(), "scenario": grid.base_plain(),
                         "axes": [[a.name, list(a.values)] for a in grid.axes]})
        table = store.get_frame(key) if store is not None else None
        stats = {"points": len(grid), "cached": len(grid), "computed": 0}
        if table is None:
            stats.update(cached=0, computed=len(grid))
            table = assemble(grid, closed_results(grid, progress), n_strat, engine,
                             MODEL_VERSION)
            if store is not None:
                store.put_frame(key, table)
        if store is not None:            # the command writes this entry's bytes as --out
            stats["cache_key"] = key
    else:
        fn = point_fn or POINT_ENGINES[engine]
        options = {"sim_seconds": sim_seconds} if fn is simulate_point else {}
        version = _sim_version() if fn is simulate_point else MODEL_VERSION
        stats = {"points": len(grid)}
        n = workers or len(os.sched_getaffinity(0))
        frames = _point_tables(grid, engine, fn, options, version, executor, n, scheduler,
                               store, progress, stats)
        table = assemble(grid, frame_columns(pd.concat(frames, ignore_index=True)),
                         np.array([len(f) for f in frames]), engine, version)
    table.attrs["sweep"] = stats
    return table


# --- output and the command ----------------------------------------------------------------

def out_format(path: str | Path) -> str:
    """'parquet' or 'csv' from a file name's extension."""
    ext = Path(path).suffix.lower()
    if ext not in OUT_FORMATS:
        raise ScenarioError([f"--out {str(path)!r}: unknown extension {ext or '(none)'!r}; "
                             f"allowed: {', '.join(OUT_FORMATS)}"], "command line")
    return OUT_FORMATS[ext]


def write_table(df: pd.DataFrame, path: str | Path, cache: SweepCache | None = None) -> Path:
    """Write ``df`` as Parquet or CSV (by extension), atomically.

    With ``cache``, a closed-form table just returned by :func:`run_sweep` is
    written as the cache entry's Parquet bytes (``attrs["sweep"]["cache_key"]``),
    the same bytes :func:`frame_to_bytes` makes, without serialising it again.
    """
    path = Path(path)
    data = None
    if out_format(path) == "csv":
        data = df.to_csv(index=False).encode("utf-8")
    elif cache is not None and df.attrs.get("sweep", {}).get("cache_key"):
        data = cache.get(df.attrs["sweep"]["cache_key"])
    if data is None:
        data = frame_to_bytes(df)
    write_atomic(path, data)
    return path


