"""Rendering several reports at once, each in its own process, under one progress bar.

Every scenario and override is validated before any notebook runs. A Ctrl-C
or SIGTERM stops the batch: a report already installed stays, the one being
built is dropped (its kernel killed, its partial folder removed). In
parallel, the workers ignore Ctrl-C themselves: the command sends each a
SIGTERM, and a worker whose command died (``kill -9``) stops by itself
(:func:`ukspace_lab.lifeline.tie_to`).
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

from .. import interrupts, resources
from ..errors import ScenarioError
from ..lifeline import tie_to
from .execute import CELL_TIMEOUT_S, ReportFailed
from .report import Progress, ReportJob, render_report

_QUEUE: Any = None


def _worker_init(queue: Any) -> None:
    global _QUEUE
    _QUEUE = queue
    signal.signal(signal.SIGINT, signal.SIG_IGN)     # the command forwards a SIGTERM
    tie_to(os.getppid(), interrupt=True)


def _render_in_worker(kwargs: dict[str, Any]) -> tuple[str, str]:
    """Process-pool entry: ("ok", path), ("failed", message) or ("stopped", signal)."""
    def progress(name: str, event: str) -> None:
        _QUEUE.put((name, event))
    parent = os.getppid()
    try:
        with interrupts.stoppable():
            return "ok", str(render_report(**kwargs, progress=progress))
    except (ReportFailed, ScenarioError) as exc:
        return "failed", str(exc)
    except KeyboardInterrupt as exc:
        if os.getppid() != parent:     # the command is gone: nobody reads the answer
            os._exit(interrupts.exit_code(exc))
        return "stopped", str(interrupts.exit_code(exc))


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
                interrupts.resume()  # a stop noted while the last report was installed
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
                    elif status == "stopped":
                        raise interrupts.Stopped(int(text) - 128)
                    else:
                        failed[futures[fut].name] = text
            interrupts.hold()                  # every report is in place
            _drain(queue, progress)
        except BaseException:
            for fut in pending:
                fut.cancel()
            _interrupt_workers(pool)  # they drop their partial folders, install nothing
            raise


def _interrupt_workers(pool: ProcessPoolExecutor) -> None:
    """SIGTERM every worker still alive: each kills its kernel and drops its partial folder."""
    for proc in list((getattr(pool, "_processes", None) or {}).values()):
        if proc.is_alive():
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, signal.SIGTERM)


def _drain(queue: Any, progress: Progress) -> None:
    import queue as queue_mod

    while True:
        try:
            name, event = queue.get_nowait()
        except queue_mod.Empty:
            return
        progress(name, event)
