"""Sweeps: a scenario crossed with axes, evaluated by the closed form or the simulator.

:func:`run_sweep` is the one sweep API (CLI, notebooks and reports call it).
The closed form evaluates the whole grid in one vectorised call
(:func:`~ukspace_lab.inputs.points_from_scenario`); the simulator runs one
point per task on local processes (``concurrent.futures``) or on a
``dask.distributed`` cluster. Results are cached in ``.cache/sweeps`` (see
:mod:`ukspace_lab.cache`): the closed form per grid, the simulator per point,
written as each point finishes, so a killed sweep resumes where it stopped.
"""

from __future__ import annotations

import argparse
import difflib
import multiprocessing
import os
import sys
import types
import typing
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import closing
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel
from tqdm import tqdm

from .cache import (
    SweepCache,
    cache_key,
    code_fingerprint,
    frame_from_bytes,
    frame_to_bytes,
    write_atomic,
)
from .closed import MODEL_VERSION, RESULT_KEYS, evaluate, evaluate_points
from .inputs import points_from_scenario
from .scenario import SWEEP_ALIASES, Scenario, ScenarioError
from .units import parse_size

ENGINES = ("closed", "sim")
EXECUTORS = ("local", "dask")
OUT_FORMATS = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv"}
NOT_SWEEPABLE = ("title", "strategies", "sweep")
KEY_EXCLUDES = ("title", "sweep")        # do not change any result
# not results of a point: ``wall_seconds`` differs run to run, so a table would not reproduce
DROPPED_COLUMNS = ("point", "engine", "model_version", "wall_seconds")


# --- axes ----------------------------------------------------------------------------------

def axis_key(name: str) -> str:
    """The dotted scenario key of an axis name (``tasks`` -> ``workload.tasks``)."""
    return SWEEP_ALIASES.get(name, name)


def _field(key: str) -> Any:
    model: type[BaseModel] = Scenario
    parts = key.split(".")
    for i, part in enumerate(parts):
        if part not in model.model_fields:
            return None
        info = model.model_fields[part]
        if i == len(parts) - 1:
            return info
        if not (isinstance(info.annotation, type) and issubclass(info.annotation, BaseModel)):
            return None
        model = info.annotation
    return None


def value_kind(key: str) -> str:
    """'size', 'int', 'float' or 'other': how a range of ``key`` is generated."""
    if key.startswith("costs."):
        return "float"
    info = _field(key)
    if info is None:
        return "other"
    candidates = [(info.annotation, list(info.metadata))]
    if isinstance(info.annotation, types.UnionType) or typing.get_origin(info.annotation) in (
            typing.Union,):
        candidates = [(a, []) for a in typing.get_args(info.annotation)]
    for ann, meta in candidates:
        if typing.get_origin(ann) is typing.Annotated:
            ann, *extra = typing.get_args(ann)
            meta = meta + extra
        if ann is bool:
            return "other"
        if ann is int:
            sized = any(getattr(getattr(m, "func", None), "__name__", "") == "_size" for m in meta)
            return "size" if sized else "int"
        if ann is float:
            return "float"
    return "other"


def _number(axis: str, kind: str, text: str) -> float:
    try:
        return float(parse_size(text)) if kind == "size" else float(text)
    except ValueError:
        allowed = "a byte count or a size such as 16GiB" if kind == "size" else "a number"
        raise ScenarioError([f"--axis {axis}: {text!r} is not {allowed}"], "axis") from None


def parse_axis(text: str) -> tuple[str, list[Any]]:
    """``name=v1,v2,...`` or ``name=start:stop:count[:log]`` to (name, values).

    Listed values stay strings (the scenario schema converts them: ``16GiB``,
    ``2.6``, ``auto``); ranges are numbers, integers for integer and size keys.
    """
    name, sep, spec = text.partition("=")
    name, spec = name.strip(), spec.strip()
    if not sep or not name or not spec:
        raise ScenarioError([f"--axis {text!r}: expected name=v1,v2,... or "
                             "name=start:stop:count[:log], e.g. --axis tasks=1:1000:4:log"], "axis")
    if ":" not in spec or "," in spec:
        return name, [v.strip() for v in spec.split(",")]
    parts = spec.split(":")
    key = axis_key(name)
    kind = value_kind(key)
    if kind == "other":
        raise ScenarioError([f"--axis {name}: {key} is not numeric, so it takes a list "
                             f"(name=v1,v2,...), not the range {spec!r}"], "axis")
    if len(parts) not in (3, 4) or (len(parts) == 4 and parts[3] not in ("log", "lin")):
        raise ScenarioError([f"--axis {name}={spec}: a range is start:stop:count or "
                             "start:stop:count:log"], "axis")
    start, stop = _number(name, kind, parts[0]), _number(name, kind, parts[1])
    if not parts[2].strip().isdigit() or int(parts[2]) < 1:
        raise ScenarioError([f"--axis {name}: count {parts[2]!r} must be a whole number >= 1"],
                            "axis")
    count, log = int(parts[2]), len(parts) == 4 and parts[3] == "log"
    if log and (start <= 0 or stop <= 0):
        raise ScenarioError([f"--axis {name}: a log range needs start and stop > 0, "
                             f"got {parts[0]} and {parts[1]}"], "axis")
    values = (np.geomspace if log else np.linspace)(start, stop, count)
    if kind == "float":
        return name, [float(v) for v in values]
    return name, list(dict.fromkeys(int(round(v)) for v in values))


def parse_axes(texts: list[str]) -> dict[str, list[Any]]:
    """Every ``--axis`` option, in order; an axis given twice is an error."""
    axes: dict[str, list[Any]] = {}
    for text in texts:
        name, values = parse_axis(text)
        if name in axes or any(axis_key(n) == axis_key(name) for n in axes):
            raise ScenarioError([f"--axis {name}: given twice; list all its values in one "
                                 "--axis"], "axis")
        axes[name] = values
    return axes


def _get_dotted(data: dict[str, Any], key: str) -> Any:
    for part in key.split("."):
        data = data[part]
    return data


@dataclass(frozen=True)
class Axis:
    """One validated axis: its name as given, its scenario key and its plain values."""

    name: str
    key: str
    values: tuple[Any, ...]

    def column(self) -> np.ndarray:
        """The values as one array (strings when they mix kinds, e.g. auto and 0.5)."""
        kinds = {type(v) for v in self.values}
        if kinds <= {int, float} and float in kinds:
            return np.array(self.values, dtype=float)
        if len(kinds) > 1:
            return np.array([str(v) for v in self.values], dtype=object)
        return np.array(self.values, dtype=object if kinds == {str} else None)


def validate_axis(scn: Scenario, name: str, values: list[Any]) -> Axis:
    """Each value checked against ``scn`` on its own, returned in its plain form."""
    key = axis_key(name)
    root = key.split(".")[0]
    if (key != "seed" and "." not in key) or root in NOT_SWEEPABLE \
            or (root == "costs" and key.count(".") != 1):
        near = difflib.get_close_matches(name, list(SWEEP_ALIASES), n=1)
        hint = f" did you mean {near[0]!r}?" if near else ""
        raise ScenarioError([f"axis {name!r}: not a sweepable parameter;{hint} use one of "
                             f"{', '.join(SWEEP_ALIASES)}, seed, costs.NAME or a dotted key "
                             "such as machine.cpus"], "sweep")
    if not values:
        raise ScenarioError([f"axis {name}: no values"], "sweep")
    out = []
    for v in values:
        try:
            plain = scn.with_overrides({key: v}).to_plain()
        except ScenarioError as exc:
            raise ScenarioError([f"axis {name} = {v!r}: {p}" for p in exc.problems],
                                "sweep") from None
        out.append(_get_dotted(plain, key))
    dup = sorted({repr(v) for v in out if out.count(v) > 1})
    if dup:
        raise ScenarioError([f"axis {name}: the value {', '.join(dup)} is listed twice"], "sweep")
    return Axis(name=name, key=key, values=tuple(out))


@dataclass(frozen=True)
class Grid:
    """The cartesian product of axes over a scenario; point i in C order (last axis fastest)."""

    scn: Scenario
    axes: tuple[Axis, ...]

    @cached_property
    def index(self) -> np.ndarray:
        shape = [len(a.values) for a in self.axes] or [1]
        return np.indices(shape).reshape(len(shape), -1)

    def __len__(self) -> int:
        return int(np.prod([len(a.values) for a in self.axes])) if self.axes else 1

    def overrides(self, i: int) -> dict[str, Any]:
        """The dotted-key values of point ``i``."""
        return {a.key: a.values[self.index[k, i]] for k, a in enumerate(self.axes)}

    def columns(self) -> dict[str, np.ndarray]:
        """One array per axis: its value at each point (named by its dotted key when the
        name is also a result column, e.g. ``highmem_cache_fraction``)."""
        return {a.key if a.name in RESULT_KEYS else a.name: a.column()[self.index[k]]
                for k, a in enumerate(self.axes)}

    def base_plain(self) -> dict[str, Any]:
        """The scenario's plain parameters that decide results."""
        plain = self.scn.to_plain()
        return {k: v for k, v in plain.items() if k not in KEY_EXCLUDES}

    def point_plain(self, i: int) -> dict[str, Any]:
        """The plain parameters of point ``i`` (axis values are already validated)."""
        plain = self.base_plain()
        for key, value in self.overrides(i).items():
            node = plain
            *parents, last = key.split(".")
            for part in parents:
                node = node.setdefault(part, {})
            node[last] = value
        return plain


def make_grid(scn: Scenario, axes: dict[str, list[Any]] | None) -> Grid:
    """A :class:`Grid` from axes (default: the scenario's ``sweep`` section)."""
    axes = dict(scn.sweep if axes is None else axes)
    keys = [axis_key(n) for n in axes]
    dup = sorted({k for k in keys if keys.count(k) > 1})
    if dup:
        raise ScenarioError([f"axis {k}: given twice (by alias and by key)" for k in dup], "sweep")
    return Grid(scn, tuple(validate_axis(scn, n, list(v)) for n, v in axes.items()))


# --- engines -------------------------------------------------------------------------------

def closed_point(scn: Scenario) -> pd.DataFrame:
    """One point through the closed form: the per-point cross-check of the vectorised grid."""
    return evaluate(scn)


def simulate_point(scn: Scenario, *, sim_seconds: float | None = None) -> pd.DataFrame:
    """One point through the simulator (:func:`ukspace_lab.sim.simulate`)."""
    from .sim import simulate

    return simulate(scn, seconds=sim_seconds, progress=False)


POINT_ENGINES: dict[str, Callable[..., pd.DataFrame]] = {
    "sim": simulate_point, "closed-point": closed_point}


def _run_point(fn: Callable[..., pd.DataFrame], scn: Scenario, overrides: dict[str, Any],
               options: dict[str, Any]) -> bytes:
    """Worker side: validate the point, run it, return its rows as Parquet bytes."""
    df = fn(scn.with_overrides(overrides) if overrides else scn, **options)
    keep = [c for c in df.columns if c not in DROPPED_COLUMNS]
    return frame_to_bytes(df[keep].reset_index(drop=True))


Task = tuple[int, str, tuple[Any, ...]]      # (point, key for Dask, _run_point args)


def _local(tasks: list[Task], workers: int) -> Iterator[tuple[int, Any]]:
    """Points on local processes (a forkserver: safe beside threads, quick to start;
    it imports the point function's module once, e.g. the simulator and numba)."""
    ctx = multiprocessing.get_context("forkserver")
    fn = tasks[0][2][0]
    preload = {__name__, fn.__module__}
    if fn is simulate_point:
        preload.add(f"{__package__}.sim")
    ctx.set_forkserver_preload(sorted(preload))
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx)
    try:
        futures = {pool.submit(_run_point, *args): i for i, _, args in tasks}
        for fut in as_completed(futures):
            yield futures[fut], fut
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _dask(tasks: list[Task], workers: int, scheduler: str | None) -> Iterator[tuple[int, Any]]:
    """Points on a dask.distributed cluster: the one at ``scheduler``, or a LocalCluster."""
    from dask.distributed import Client, LocalCluster
    from dask.distributed import as_completed as dask_completed

    cluster = None
    if scheduler is None:
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               dashboard_address=":0", silence_logs=40)
    client = Client(cluster if cluster is not None else scheduler)
    try:
        futures = {client.submit(_run_point, *args, key=f"ukspace-sweep-{key}", pure=False): i
                   for i, key, args in tasks}
        for fut in dask_completed(list(futures)):
            yield futures[fut], fut
        futures.clear()
    finally:
        if futures:
            client.cancel(list(futures))
        client.close()
        if cluster is not None:
            cluster.close()


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
                    if cache is not None:
                        cache.put(keys[i], payload)
                    frames[i] = frame_from_bytes(payload)
                    bar.update(1)
    return frames  # type: ignore[return-value]


def _sim_version() -> str:
    try:
        from . import sim
    except ImportError:
        return MODEL_VERSION
    return str(getattr(sim, "SIM_VERSION", MODEL_VERSION))


def _closed_table(grid: Grid, progress: bool) -> pd.DataFrame:
    """The whole grid in one vectorised closed-form evaluation, rows point-major."""
    scn = grid.scn
    points = points_from_scenario(scn, {a.name: list(a.values) for a in grid.axes})
    points = replace(points, axes=())       # the axis columns come from the grid
    frames = []
    with tqdm(total=len(grid) * len(scn.strategies), unit="pt",
              disable=not progress, desc="sweep closed (strategy-points)") as bar:
        for name in scn.strategies:
            frames.append(evaluate_points(points, [name]))
            bar.update(len(grid))
    # point-major: row i * S + s is point i, strategy s (as the per-point engines give)
    cols = {"strategy": np.tile(np.array(scn.strategies, dtype=object), len(grid))}
    cols.update({c: np.stack([f[c].to_numpy() for f in frames], axis=1).ravel()
                 for c in RESULT_KEYS[1:]})
    return pd.DataFrame(cols, copy=False)


def _assemble(grid: Grid, table: pd.DataFrame, lengths: np.ndarray, engine: str,
              version: str) -> pd.DataFrame:
    """Axis columns first, then the results, then ``point``, ``engine``, ``model_version``."""
    cols = {name: np.repeat(col, lengths) for name, col in grid.columns().items()}
    cols.update({c: table[c].to_numpy() for c in table.columns})
    cols["point"] = np.repeat(np.arange(len(grid)), lengths)
    out = pd.DataFrame(cols, copy=False)
    out["engine"] = engine
    out["model_version"] = version
    return out


def _check(engine: str, executor: str, workers: int | None, scheduler: str | None,
           sim_seconds: float | None, point_fn: Callable[..., pd.DataFrame] | None) -> None:
    problems = []
    if engine not in ENGINES and engine not in POINT_ENGINES and point_fn is None:
        problems.append(f"engine {engine!r}: allowed: {', '.join(ENGINES)}")
    if engine == "closed" and point_fn is not None:
        problems.append("engine closed is vectorised; a point function needs another engine name")
    if executor not in EXECUTORS:
        problems.append(f"executor {executor!r}: allowed: {', '.join(EXECUTORS)}")
    elif engine == "closed" and (executor != "local" or scheduler):
        problems.append(f"executor {executor}: the closed form evaluates the whole grid in one "
                        "vectorised call in this process; use --engine sim to run on Dask")
    if scheduler and executor != "dask":
        problems.append(f"scheduler {scheduler!r}: needs executor dask")
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int)
                                or workers < 1):
        problems.append(f"workers = {workers!r}: must be a whole number >= 1")
    if sim_seconds is not None and (engine != "sim" or not sim_seconds > 0):
        problems.append(f"sim_seconds = {sim_seconds!r}: needs engine sim and a value > 0")
    if engine == "sim" and point_fn is None:
        try:
            from .sim import simulate  # noqa: F401
        except ImportError as exc:
            problems.append(f"engine sim: the simulator cannot be imported ({exc})")
    if problems:
        raise ScenarioError(problems, "sweep options")


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
    frame's ``attrs["sweep"]`` counts points cached and computed.

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
            table = _assemble(grid, _closed_table(grid, progress),
                              np.full(len(grid), n_strat), engine, MODEL_VERSION)
            if store is not None:
                store.put_frame(key, table)
    else:
        fn = point_fn or POINT_ENGINES[engine]
        options = {"sim_seconds": sim_seconds} if fn is simulate_point else {}
        version = _sim_version() if fn is simulate_point else MODEL_VERSION
        stats = {"points": len(grid)}
        n = workers or len(os.sched_getaffinity(0))
        frames = _point_tables(grid, engine, fn, options, version, executor, n, scheduler,
                               store, progress, stats)
        table = _assemble(grid, pd.concat(frames, ignore_index=True),
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


def write_table(df: pd.DataFrame, path: str | Path) -> Path:
    """Write ``df`` as Parquet or CSV (by extension), atomically."""
    path = Path(path)
    data = frame_to_bytes(df) if out_format(path) == "parquet" else \
        df.to_csv(index=False).encode("utf-8")
    write_atomic(path, data)
    return path


def add_parser(sub: Any) -> None:
    from .commands import add_scenario_args

    p = sub.add_parser("sweep", help="evaluate a grid of points (closed form or simulator)",
                       description="Cross a scenario with axes and write a tidy table: one row "
                                   "per point and strategy. Axes default to the scenario's "
                                   "sweep section. Results are cached in .cache/sweeps; a "
                                   "killed sweep resumes where it stopped.")
    add_scenario_args(p)
    p.add_argument("--axis", action="append", default=[], metavar="NAME=VALUES",
                   help="name=v1,v2,... or name=start:stop:count[:log]; name is an alias ("
                        f"{', '.join(SWEEP_ALIASES)}), seed, costs.NAME or a dotted key")
    p.add_argument("--engine", default="closed", choices=ENGINES)
    p.add_argument("--executor", default="local", choices=EXECUTORS,
                   help="where simulator points run (default: local processes)")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="a Dask scheduler address (default: start a LocalCluster)")
    p.add_argument("--workers", type=int, default=None, metavar="N",
                   help="processes or Dask workers (default: one per CPU)")
    p.add_argument("--sim-seconds", type=float, default=None, metavar="S",
                   help="simulated seconds per point (engine sim)")
    p.add_argument("--out", default=None, metavar="FILE",
                   help="write .parquet or .csv (default: CSV on standard output)")
    p.add_argument("--no-cache", action="store_true", help="neither read nor write the cache")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from .commands import scenario_from_args

    if args.out:
        out_format(args.out)
    scn = scenario_from_args(args)
    axes = parse_axes(args.axis) if args.axis else None
    df = run_sweep(scn, axes, engine=args.engine, executor=args.executor, workers=args.workers,
                   scheduler=args.scheduler, cache=not args.no_cache,
                   progress=not args.no_progress, sim_seconds=args.sim_seconds)
    if args.out is None:
        df.to_csv(sys.stdout, index=False)
        return 0
    stats = df.attrs["sweep"]
    path = write_table(df, args.out)
    print(f"{stats['points']} points x {len(scn.strategies)} strategies = {len(df)} rows "
          f"({stats['computed']} computed, {stats['cached']} from cache) -> {path}")
    return 0
