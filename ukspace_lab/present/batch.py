"""Rendering several reports at once, each in its own process, under one progress bar.

Every scenario and override is validated before any notebook runs; a Ctrl-C
reaches every worker, which drops its partial folder and installs nothing.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from pathlib import Path
from typing import Any

from .. import resources
from ..errors import ScenarioError
from .execute import CELL_TIMEOUT_S, ReportFailed
from .report import Progress, ReportJob, render_report

_QUEUE: Any = None


def _worker_init(queue: Any) -> None:
    global _QUEUE
    _QUEUE = queue
    signal.signal(signal.SIGINT, signal.default_int_handler)


def _render_in_worker(kwargs: dict[str, Any]) -> tuple[str, str]:
    """Process-pool entry: ("ok", path) or ("failed", message)."""
    def progress(name: str, event: str) -> None:
        _QUEUE.put((name, event))
    try:
        return "ok", str(render_report(**kwargs, progress=progress))
    except (ReportFailed, ScenarioError) as exc:
        return "failed", str(exc)


def render_reports(scenarios: Sequence[str], overrides: dict[str, Any] | None = None, *,
                   out_dir: Path | str | None = None, notebook_dir: Path | str | None = None,
                   jobs: int = 1, cell_timeout: float = CELL_TIMEOUT_S,
                   show_progress: bool = True) -> tuple[list[Path], dict[str, str]]:
    """Render several scenarios (``jobs`` at a time, in processes) with one progress bar.

    Returns the report folders written and ``{scenario: error}`` for those that failed.
    Every scenario and override is validated before any notebook runs.
    """
    from tqdm.auto import tqdm

    overrides = dict(overrides or {})
    out = Path(out_dir or resources.report_dir())
    nbs = Path(notebook_dir or resources.notebook_dir())
    jobs_list = [ReportJob(s, overrides, out, nbs, cell_timeout) for s in scenarios]
    for job in jobs_list:
        job.load()
    names = [j.name for j in jobs_list]
    if len(set(names)) != len(names):
        raise ScenarioError([f"scenarios {', '.join(scenarios)} share a report folder name"],
                            source="report")
    per = len(jobs_list[0].notebooks()) + 1 if jobs_list else 0
    bar = tqdm(total=per * len(jobs_list), unit="step", desc="report",
               disable=not show_progress, dynamic_ncols=True)

    def progress(name: str, event: str) -> None:
        kind, _, what = event.partition(":")
        if kind == "start":
            bar.set_postfix_str(f"{name}: {what}")
        else:
            bar.update(1)

    done: list[Path] = []
    failed: dict[str, str] = {}
    kwargs = [{"scenario": j.scenario, "overrides": overrides, "out_dir": j.out_dir,
               "notebook_dir": j.notebook_dir, "cell_timeout": cell_timeout} for j in jobs_list]
    try:
        if jobs <= 1 or len(jobs_list) <= 1:
            for job, kw in zip(jobs_list, kwargs, strict=True):
                try:
                    done.append(render_report(**kw, progress=progress))
                except ReportFailed as exc:
                    failed[job.name] = str(exc)
        else:
            _render_parallel(jobs_list, kwargs, jobs, progress, done, failed)
    finally:
        bar.close()
    return done, failed


def _render_parallel(jobs_list: list[ReportJob], kwargs: list[dict[str, Any]], jobs: int,
                     progress: Progress, done: list[Path], failed: dict[str, str]) -> None:
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    with ProcessPoolExecutor(max_workers=min(jobs, len(jobs_list)), mp_context=ctx,
                             initializer=_worker_init, initargs=(queue,)) as pool:
        futures = {pool.submit(_render_in_worker, kw): job
                   for job, kw in zip(jobs_list, kwargs, strict=True)}
        pending = set(futures)
        try:
            while pending:
                finished, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
                _drain(queue, progress)
                for fut in finished:
                    status, text = fut.result()
                    if status == "ok":
                        done.append(Path(text))
                    else:
                        failed[futures[fut].name] = text
            _drain(queue, progress)
        except BaseException:
            for fut in pending:
                fut.cancel()
            _interrupt_workers(pool)  # they drop their partial folders, install nothing
            raise


def _interrupt_workers(pool: ProcessPoolExecutor) -> None:
    """SIGINT every worker still alive (a Ctrl-C may have reached only this process)."""
    for proc in list(getattr(pool, "_processes", {}).values()):
        if proc.is_alive():
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, signal.SIGINT)


def _drain(queue: Any, progress: Progress) -> None:
    import queue as queue_mod

    while True:
        try:
            name, event = queue.get_nowait()
        except queue_mod.Empty:
            return
        progress(name, event)
