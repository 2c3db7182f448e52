"""Where a sweep's per-point engines run: local processes or a Dask cluster.

A point is validated and run in the worker, and its rows come back as Parquet
bytes (what the cache stores), so every executor returns the same table.
"""

from __future__ import annotations

import atexit
import contextlib
import errno
import multiprocessing
import os
import signal
import socket
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any

import pandas as pd

from ..errors import ScenarioError, shown
from ..interrupts import deferred
from ..lifeline import quiet_worker
from ..model.closed import evaluate
from ..model.scenario import Scenario
from .cache import frame_to_bytes

DROPPED_COLUMNS = ("point", "engine", "model_version", "wall_seconds")
SCHEDULER_TIMEOUT_S = 10.0     # connecting to --scheduler (Dask's own default is 30 s)
PROBE_S = 3.0                  # the TCP probe of --scheduler before any work


def closed_point(scn: Scenario) -> pd.DataFrame:
    """One point through the closed form: the per-point cross-check of the vectorised grid."""
    return evaluate(scn)


def simulate_point(scn: Scenario, *, sim_seconds: float | None = None) -> pd.DataFrame:
    """One point through the simulator (:func:`ukspace_lab.sim.simulate`)."""
    from ..sim import simulate

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
MAX_BATCH = 16             # points per batch: a kill loses at most one batch per worker
BATCHES_PER_WORKER = 4     # at least this many batches each, so the workers finish together


def batches(tasks: list[Task], workers: int) -> list[list[Task]]:
    """Consecutive runs of ``tasks``, about ``BATCHES_PER_WORKER`` per worker, at most
    ``MAX_BATCH`` points each (one point each for small sweeps)."""
    size = max(1, min(MAX_BATCH, len(tasks) // (workers * BATCHES_PER_WORKER)))
    return [tasks[k:k + size] for k in range(0, len(tasks), size)]


def _run_batch(fn: Callable[..., pd.DataFrame], scn: Scenario,
               points: list[tuple[int, dict[str, Any]]],
               options: dict[str, Any]) -> list[tuple[int, bytes | ScenarioError]]:
    """Worker side: the points of one batch, each its Parquet bytes or the ScenarioError
    that refused it (the scenario and function are sent once per batch)."""
    out: list[tuple[int, bytes | ScenarioError]] = []
    for i, overrides in points:
        try:
            out.append((i, _run_point(fn, scn, overrides, options)))
        except ScenarioError as exc:
            out.append((i, exc))
    return out


def _batch_args(batch: list[Task]) -> tuple[Any, ...]:
    fn, scn, _, options = batch[0][2]
    return fn, scn, [(i, args[2]) for i, _, args in batch], options


class Done:
    """One point's finished result, as a future's ``result()``: its bytes, or the error."""

    def __init__(self, payload: bytes | ScenarioError):
        self.payload = payload

    def result(self) -> bytes:
        if isinstance(self.payload, ScenarioError):
            raise self.payload
        return self.payload


_POOLS: dict[tuple[int, tuple[str, ...]], ProcessPoolExecutor] = {}


def _pool(workers: int, preload: tuple[str, ...]) -> ProcessPoolExecutor:
    """The process pool of ``workers``: started once and kept for the next sweep of the
    same kind (its workers already warm); one pool at a time (another kind replaces it),
    replaced when broken, shut down at exit."""
    key = (workers, preload)
    pool = _POOLS.get(key)
    if pool is not None and not getattr(pool, "_broken", False):
        return pool
    while _POOLS:
        _POOLS.popitem()[1].shutdown(wait=True, cancel_futures=True)
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(list(preload))   # used when the forkserver first starts
    _start_forkserver_deaf_to_ctrl_c()
    pool = _POOLS[key] = ProcessPoolExecutor(max_workers=workers, mp_context=ctx,
                                             initializer=quiet_worker, initargs=(os.getpid(),))
    return pool


def shutdown_pools() -> None:
    """Stop every kept pool (at interpreter exit, or by a caller that wants them gone)."""
    while _POOLS:
        _, pool = _POOLS.popitem()
        pool.shutdown(wait=True, cancel_futures=True)


atexit.register(shutdown_pools)


def _local(tasks: list[Task], workers: int) -> Iterator[tuple[int, Any]]:
    """Points on local processes, in batches (a forkserver: safe beside threads, quick to
    start; it imports the point function's module once and, for the simulator, loads its
    compiled code once: :mod:`~ukspace_lab.study.warm`). The pool is kept for the next
    sweep. Workers ignore Ctrl-C and die with their parent (:func:`~ukspace_lab.lifeline.
    quiet_worker`); left early (a stop, a refused point) the batches not started are
    cancelled and the points in flight killed rather than waited for (finished ones are
    already in the cache), and the pool is replaced next time."""
    fn = tasks[0][2][0]
    preload = {__name__, fn.__module__, "ukspace_lab.lifeline"}
    if fn is simulate_point:
        preload.update({f"{__package__}.sim", f"{__name__.rpartition('.')[0]}.warm"})
    key = (workers, tuple(sorted(preload)))
    pool = _pool(*key)
    futures: dict = {}
    finished = False
    try:
        try:
            with deferred():   # every worker started is registered, so a stop can kill it
                futures = {pool.submit(_run_batch, *_batch_args(b)): b
                           for b in batches(tasks, workers)}
        except EOFError:       # the forkserver died under us (not by a stop: that raised)
            raise OSError(errno.ECHILD, "the sweep's forkserver process died") from None
        for fut in as_completed(futures):
            for i, payload in fut.result():
                yield i, Done(payload)
        finished = True
    finally:
        if not finished:
            for fut in futures:
                fut.cancel()
            if any(f.running() for f in futures) or getattr(pool, "_broken", False):
                _POOLS.pop(key, None)
                for proc in list((getattr(pool, "_processes", None) or {}).values()):
                    with contextlib.suppress(OSError, ValueError):
                        proc.kill()
                pool.shutdown(wait=True, cancel_futures=True)


def _start_forkserver_deaf_to_ctrl_c() -> None:
    """Start the forkserver with SIGINT ignored, so every worker it forks is deaf to a
    terminal's Ctrl-C from its first instruction (a worker still unpickling its
    arguments would otherwise print a KeyboardInterrupt traceback); the command
    stops its workers itself. SIGINT is blocked meanwhile, so none is lost."""
    from multiprocessing import forkserver

    _start_resource_tracker_quietly()
    if threading.current_thread() is not threading.main_thread():
        forkserver.ensure_running()
        return
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        forkserver.ensure_running()
    finally:
        signal.signal(signal.SIGINT, previous)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def _start_resource_tracker_quietly() -> None:
    """Start multiprocessing's resource tracker with its stderr on /dev/null: after a
    stop it prints a 'leaked semaphore objects' warning (it unlinks them all the same)
    under the command's one line."""
    from multiprocessing import resource_tracker

    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
            resource_tracker.ensure_running()
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def probe_scheduler(address: str) -> None:
    """Refuse a Dask scheduler address nothing listens on, in a second, before any work
    (``tcp://host:port`` or ``host:port``; other transports are left to Dask)."""
    scheme, _, rest = address.rpartition("://")
    if scheme not in ("", "tcp", "tls"):
        return
    host, _, port = rest.rpartition(":")
    problem = ""
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        problem = "not an address such as tcp://host:8786"
    else:
        try:
            socket.create_connection((host.strip("[]"), int(port)), timeout=PROBE_S).close()
        except OSError as exc:
            problem = f"nothing answers there ({exc.strerror or exc})"
    if problem:
        raise ScenarioError([f"--scheduler {shown(address)}: {problem}; start a scheduler "
                             "(dask scheduler) or leave --scheduler out for a local cluster"],
                            "sweep options")


def _dask(tasks: list[Task], workers: int, scheduler: str | None) -> Iterator[tuple[int, Any]]:
    """Points on a dask.distributed cluster: the one at ``scheduler``, or a LocalCluster."""
    from dask.distributed import Client, LocalCluster
    from dask.distributed import as_completed as dask_completed

    cluster = None
    if scheduler is None:
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               dashboard_address=":0", silence_logs=40)
    try:
        client = Client(cluster if cluster is not None else scheduler,
                        timeout=SCHEDULER_TIMEOUT_S)
    except (OSError, TimeoutError, ValueError, TypeError) as exc:
        if cluster is not None:
            cluster.close()
        raise ScenarioError([f"--scheduler {shown(scheduler)}: no Dask scheduler answered "
                             f"within {SCHEDULER_TIMEOUT_S:g} s ({str(exc)[:160]}); start one "
                             "(dask scheduler) or leave --scheduler out for a local cluster"],
                            "sweep options") from None
    try:
        futures = {client.submit(_run_batch, *_batch_args(b), pure=False,
                                 key=f"ukspace-sweep-{b[0][1]}-{len(b)}"): b
                   for b in batches(tasks, workers)}
        for fut in dask_completed(list(futures)):
            for i, payload in fut.result():
                yield i, Done(payload)
        futures.clear()
    finally:
        if futures:
            client.cancel(list(futures))
        client.close()
        if cluster is not None:
            cluster.close()
