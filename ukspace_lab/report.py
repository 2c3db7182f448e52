"""``ukspace-lab report``: render scenarios into reviewable, reproducible report folders.

For each scenario, :func:`render_report` executes ``notebooks/0*.ipynb`` in
order with papermill (kernel ``ukspace-lab``, an explicit per-cell timeout,
parameters ``scenario``/``overrides``/``output_dir``) into a temporary folder
next to the destination, then adds ``index.html`` (one offline page, see
:mod:`ukspace_lab.htmlpage`), ``writeup.txt`` and ``manifest.json``, and only
then swaps the folder into ``reports/<scenario>/``. A failure or Ctrl-C
removes the temporary folder and leaves the previous report as it was.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import errno
import json
import multiprocessing
import os
import re
import shutil
import signal
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .closed import MODEL_VERSION
from .manifest import build_manifest, sha256, write_manifest
from .paths import NOTEBOOK_DIR, REPORT_DIR, ROOT, SCENARIO_DIR
from .scenario import (
    Scenario,
    ScenarioError,
    load_scenario,
    parse_overrides,
    resolve_scenario_path,
)

KERNEL_NAME = "ukspace-lab"
CELL_TIMEOUT_S = 1800.0          # per cell; a cold-cache pool sweep took >600 s on 2 cores
KERNEL_START_TIMEOUT_S = 120.0
NOTEBOOK_GLOB = "0*.ipynb"
SOURCE_DATE_EPOCH = "946684800"  # 2000-01-01: fixed dates in anything that embeds one
KERNEL_ENV = {"SOURCE_DATE_EPOCH": SOURCE_DATE_EPOCH, "PYTHONHASHSEED": "0"}
WRITEUP_PLACEHOLDER = ("writeup unavailable: ukspace_lab.writeup.render_writeup is not in this "
                       "build, so no mailing-list text was written for this report.\n")

Progress = Callable[[str, str], None]  # (scenario, event): "start:<nb>", "done:<nb>", "page"


class ReportFailed(RuntimeError):
    """A report could not be rendered; the previous report is untouched.

    ``executed`` is the partly executed notebook of a failed notebook run.
    """

    def __init__(self, message: str, executed: Path | None = None):
        super().__init__(message)
        self.executed = executed


@dataclass(frozen=True)
class ReportJob:
    """One scenario to render: what, where, with which notebooks and limits."""

    scenario: str
    overrides: dict[str, Any] = field(default_factory=dict)
    out_dir: Path = REPORT_DIR
    notebook_dir: Path = NOTEBOOK_DIR
    cell_timeout: float = CELL_TIMEOUT_S
    kernel_name: str = KERNEL_NAME

    @property
    def name(self) -> str:
        """The report folder's name: the scenario name, or a YAML file's stem."""
        path = resolve_scenario_path(self.scenario)
        return self.scenario if path.parent == SCENARIO_DIR else path.stem

    @property
    def scenario_param(self) -> str:
        """What the notebooks get as ``scenario``: the name, or an absolute path."""
        path = resolve_scenario_path(self.scenario)
        return self.scenario if path.parent == SCENARIO_DIR else str(path.resolve())

    def notebooks(self) -> list[Path]:
        """The notebooks to execute, in order."""
        found = sorted(self.notebook_dir.glob(NOTEBOOK_GLOB))
        if not found:
            raise ScenarioError([f"no notebooks matching {NOTEBOOK_GLOB} in {self.notebook_dir}"],
                                source="report")
        return found

    def load(self) -> Scenario:
        """The validated scenario (raises ScenarioError before any kernel starts)."""
        return load_scenario(self.scenario, dict(self.overrides))


# --- executing notebooks ------------------------------------------------------

@contextlib.contextmanager
def kernel_environment() -> Iterator[None]:
    """Environment the kernels inherit (fixed dates and hash seed), restored afterwards."""
    saved = {k: os.environ.get(k) for k in KERNEL_ENV}
    os.environ.update(KERNEL_ENV)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _first_line(source: str) -> str:
    lines = [ln.strip() for ln in source.splitlines() if ln.strip()]
    text = lines[0] if lines else "(empty cell)"
    return text if len(text) <= 70 else text[:67] + "..."


def _source_cell_number(input_nb: Path, executed_index: int) -> str:
    """1-based cell number in the source notebook for a cell index in papermill's output
    (which has an extra ``injected-parameters`` cell after the ``parameters`` cell)."""
    import nbformat

    nb = nbformat.read(input_nb, as_version=4)
    tagged = [i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", [])]
    injected = tagged[0] + 1 if tagged else 0
    if executed_index == injected:
        return "the injected parameters cell"
    return f"cell {executed_index + (0 if executed_index < injected else -1) + 1}"


def _running_cell(output_nb: Path) -> tuple[int, Any] | None:
    """The last cell papermill started in a (partially) executed notebook."""
    import nbformat

    try:
        nb = nbformat.read(output_nb, as_version=4)
    except (OSError, ValueError):
        return None
    started = [(i, c) for i, c in enumerate(nb.cells)
               if c.metadata.get("papermill", {}).get("start_time")]
    return started[-1] if started else None


def _describe_failure(nb_path: Path, out_path: Path, exc: BaseException) -> str:
    """'notebooks/02-x.ipynb, cell 5 (In [4]: `first line`): Error: message'."""
    from papermill.exceptions import PapermillExecutionError

    rel = _display_path(nb_path)
    if isinstance(exc, PapermillExecutionError):
        where = _source_cell_number(nb_path, exc.cell_index)
        evalue = (exc.evalue or "").strip()
        return (f"{rel}, {where} (In [{exc.exec_count}]: `{_first_line(exc.source)}`): "
                f"{exc.ename}: {evalue}")
    found = _running_cell(out_path)
    where = "before the first cell"
    if found is not None:
        index, cell = found
        where = f"{_source_cell_number(nb_path, index)} (`{_first_line(cell.source)}`)"
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{rel}, {where}: {type(exc).__name__}: {text}"


def _display_path(path: Path) -> str:
    try:
        return path.resolve().relative_to(ROOT).as_posix()
    except ValueError:
        return str(path)


def execute_notebook(job: ReportJob, nb_path: Path, out_path: Path, output_dir: Path) -> None:
    """Run one notebook with papermill; raise ReportFailed naming the notebook and cell."""
    import papermill as pm

    params = {"scenario": job.scenario_param, "overrides": dict(job.overrides),
              "output_dir": str(output_dir)}
    try:
        with kernel_environment():
            pm.execute_notebook(
                str(nb_path), str(out_path), parameters=params, kernel_name=job.kernel_name,
                execution_timeout=job.cell_timeout, start_timeout=KERNEL_START_TIMEOUT_S,
                progress_bar=False, log_output=False, cwd=str(nb_path.parent))
    except KeyboardInterrupt:
        raise
    except Exception as exc:
        raise ReportFailed(_describe_failure(nb_path, out_path, exc), out_path) from exc


# --- one report ---------------------------------------------------------------

def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove_stale_partials(out_dir: Path, name: str) -> None:
    """Delete temporary folders left by renders that were killed (their pid is gone)."""
    for path in out_dir.glob(f".{name}.partial-*"):
        m = re.match(rf"\.{re.escape(name)}\.partial-(\d+)-", path.name)
        if m and not _pid_alive(int(m.group(1))):
            shutil.rmtree(path, ignore_errors=True)


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths (Linux renameat2 RENAME_EXCHANGE); False if unsupported."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                          ctypes.c_uint]
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(b))


@contextlib.contextmanager
def _no_interrupts() -> Iterator[None]:
    """Hold SIGINT/SIGTERM back while the report folder is swapped in (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held = {signal.SIGINT, signal.SIGTERM}
    old = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def install_report(tmp: Path, dest: Path) -> None:
    """Move the finished ``tmp`` folder to ``dest``, replacing a previous report at once."""
    if dest.exists() and not dest.is_dir():
        raise ReportFailed(f"{dest} exists and is not a report folder")
    with _no_interrupts():
        if not dest.exists():
            os.rename(tmp, dest)
            return
        if _exchange(tmp, dest):
            shutil.rmtree(tmp)  # now holds the previous report
            return
        old = dest.with_name(f".{dest.name}.old-{os.getpid()}")
        os.rename(dest, old)
        os.rename(tmp, dest)
    shutil.rmtree(old)


def write_writeup(scn: Scenario, name: str, path: Path) -> str:
    """Write ``writeup.txt`` via :func:`ukspace_lab.writeup.render_writeup`; its status."""
    try:
        from .writeup import render_writeup
    except ImportError as exc:
        path.write_text(WRITEUP_PLACEHOLDER, encoding="utf-8")
        return f"missing ({exc})"
    text = render_writeup(scn, name)
    path.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
    return "ok"


def _check_figures(report: Path) -> list[str]:
    """Figures saved without their other format (every figure is PNG and SVG)."""
    figs = report / "figures"
    if not figs.is_dir():
        return []
    stems = {p.stem for p in figs.glob("*.png")} ^ {p.stem for p in figs.glob("*.svg")}
    return sorted(stems)


def _header(job: ReportJob, scn: Scenario, git: dict[str, Any]) -> dict[str, str]:
    m, w = scn.machine, scn.workload
    commit = (git.get("commit") or "unknown")[:12] + (" (dirty tree)" if git.get("dirty") else "")
    rows = {"scenario": job.name, "machine": f"{m.arch}, {m.ram / 2**30:g} GiB, {m.cpus} CPUs, "
            f"{m.split}, kernel {m.kernel}, {m.cpu_model}",
            "workload": f"{w.tasks} tasks x {w.threads_per_task} threads",
            "strategies": ", ".join(scn.strategies), "seed": str(scn.seed),
            "model version": str(MODEL_VERSION), "git commit": commit}
    if job.overrides:
        rows["overrides"] = ", ".join(f"{k}={v}" for k, v in job.overrides.items())
    return rows


def _build(job: ReportJob, scn: Scenario, tmp: Path, progress: Progress) -> dict[str, Any]:
    """Fill ``tmp`` with the whole report but its manifest; the manifest's run section."""
    from . import htmlpage
    from .manifest import git_state

    notebooks = job.notebooks()
    (tmp / "notebooks").mkdir()
    executed, nb_info = [], []
    for nb in notebooks:
        progress(job.name, f"start:{nb.name}")
        out = tmp / "notebooks" / nb.name
        t0 = datetime.now(UTC)
        execute_notebook(job, nb, out, tmp)
        executed.append(out)
        nb_info.append({"name": nb.name, "source_sha256": sha256(nb),
                        "seconds": round((datetime.now(UTC) - t0).total_seconds(), 3)})
        progress(job.name, f"done:{nb.name}")
    unpaired = _check_figures(tmp)
    if unpaired:
        raise ReportFailed(f"figures without both PNG and SVG: {', '.join(unpaired)}")
    writeup = write_writeup(scn, job.name, tmp / "writeup.txt")
    git = git_state()
    version = htmlpage.widget_manager_version()
    htmlpage.copy_widget_manager(tmp)
    links = [(p, p) for p in ("writeup.txt", "manifest.json", "data/", "figures/", "notebooks/")
             if p == "manifest.json" or (tmp / p).exists()]
    page = htmlpage.render_page(
        executed, title=scn.title, header=_header(job, scn, git), parameters=scn.to_plain(),
        overrides=job.overrides, links=links)
    (tmp / "index.html").write_text(page, encoding="utf-8")
    progress(job.name, "page")
    return {"tool": "ukspace-lab report", "scenario": job.name,
            "scenario_source": _display_path(resolve_scenario_path(job.scenario)),
            "title": scn.title, "overrides": dict(job.overrides), "seed": scn.seed,
            "model_version": MODEL_VERSION, "parameters": scn.to_plain(),
            "kernel": {"name": job.kernel_name, "cell_timeout_s": job.cell_timeout,
                       "environment": KERNEL_ENV},
            "notebooks": nb_info, "writeup": writeup,
            "widget_manager": {"package": "@jupyter-widgets/html-manager", "version": version}}


def render_report(scenario: str = "default", overrides: dict[str, Any] | None = None, *,
                  out_dir: Path | str = REPORT_DIR, notebook_dir: Path | str = NOTEBOOK_DIR,
                  cell_timeout: float = CELL_TIMEOUT_S, kernel_name: str = KERNEL_NAME,
                  progress: Progress | None = None) -> Path:
    """Render one scenario into ``<out_dir>/<scenario>/`` and return that folder.

    Raises :class:`ScenarioError` for a bad scenario or override (before any
    kernel starts) and :class:`ReportFailed` naming the notebook, cell and
    error when a notebook fails; either way the previous report is untouched.
    """
    job = ReportJob(scenario, dict(overrides or {}), Path(out_dir), Path(notebook_dir),
                    float(cell_timeout), kernel_name)
    scn = job.load()
    job.notebooks()
    from .htmlpage import WidgetManagerMissing, widget_manager_version
    try:
        widget_manager_version()
    except WidgetManagerMissing as exc:
        raise ReportFailed(str(exc)) from None
    job.out_dir.mkdir(parents=True, exist_ok=True)
    _remove_stale_partials(job.out_dir, job.name)
    dest = job.out_dir / job.name
    tmp = Path(tempfile.mkdtemp(prefix=f".{job.name}.partial-{os.getpid()}-", dir=job.out_dir))
    failed_nb = dest.with_name(f"{dest.name}.failed.ipynb")
    try:
        os.chmod(tmp, 0o777 & ~_umask())
        started = datetime.now(UTC)
        run = _build(job, scn, tmp, progress or (lambda s, e: None))
        finished = datetime.now(UTC)
        write_manifest(tmp, build_manifest(tmp, run=run, started=started, finished=finished))
        install_report(tmp, dest)
        failed_nb.unlink(missing_ok=True)
    except ReportFailed as exc:
        _keep_failed_notebook(tmp, dest, exc)
        raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return dest


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _keep_failed_notebook(tmp: Path, dest: Path, exc: ReportFailed) -> None:
    """Save the notebook that failed as ``<out>/<scenario>.failed.ipynb`` for debugging."""
    if exc.executed is None or not exc.executed.is_file():
        return
    failed = dest.with_name(f"{dest.name}.failed.ipynb")
    shutil.copyfile(exc.executed, failed)
    exc.args = (f"{exc.args[0]}\n  the executed notebook is saved as {_display_path(failed)}",)


# --- many reports ---------------------------------------------------------------

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
                   out_dir: Path | str = REPORT_DIR, notebook_dir: Path | str = NOTEBOOK_DIR,
                   jobs: int = 1, cell_timeout: float = CELL_TIMEOUT_S,
                   show_progress: bool = True) -> tuple[list[Path], dict[str, str]]:
    """Render several scenarios (``jobs`` at a time, in processes) with one progress bar.

    Returns the report folders written and ``{scenario: error}`` for those that failed.
    Every scenario and override is validated before any notebook runs.
    """
    from tqdm.auto import tqdm

    overrides = dict(overrides or {})
    jobs_list = [ReportJob(s, overrides, Path(out_dir), Path(notebook_dir), cell_timeout)
                 for s in scenarios]
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


# --- command line -------------------------------------------------------------

def _positive(kind: type) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"{text!r}: must be greater than 0")
        return value
    return parse


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "report", help="execute the notebooks for scenarios into reports/<scenario>/",
        description="Execute notebooks/0*.ipynb with papermill for each scenario and write "
                    "reports/<scenario>/ (index.html, writeup.txt, data/, figures/, the "
                    "executed notebooks, manifest.json). The previous report is replaced only "
                    "when everything succeeded.")
    p.add_argument("scenarios", nargs="*", default=["default"], metavar="SCENARIO",
                   help="names in papermill_params/ or YAML paths (default: default)")
    p.add_argument("--out", type=Path, default=REPORT_DIR, metavar="DIR",
                   help="where report folders go (default: reports/)")
    p.add_argument("--jobs", type=_positive(int), default=1, metavar="N",
                   help="scenarios rendered at once, each in its own process (default: 1)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a key for every scenario, e.g. --set machine.ram=8GiB")
    p.add_argument("--timeout", type=_positive(float), default=CELL_TIMEOUT_S, metavar="SECONDS",
                   help=f"per-cell execution timeout (default: {CELL_TIMEOUT_S:g})")
    p.add_argument("--notebooks", type=Path, default=NOTEBOOK_DIR, metavar="DIR",
                   help=f"directory of {NOTEBOOK_GLOB} to execute (default: notebooks/)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import sys

    overrides = parse_overrides(args.overrides)
    done, failed = render_reports(args.scenarios, overrides, out_dir=args.out,
                                  notebook_dir=args.notebooks, jobs=args.jobs,
                                  cell_timeout=args.timeout, show_progress=not args.no_progress)
    for path in done:
        print(f"report: {_display_path(path / 'index.html')}")
    for name, message in failed.items():
        print(f"ukspace-lab report: {name} failed: {message}\n"
              f"  the previous report in {_display_path(Path(args.out) / name)} is unchanged",
              file=sys.stderr)
    return 1 if failed else 0


def load_manifest(report_dir: Path) -> dict[str, Any]:
    """A report's manifest as a dict."""
    return json.loads((report_dir / "manifest.json").read_text(encoding="utf-8"))
