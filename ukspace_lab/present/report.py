"""``ukspace-lab report``: render scenarios into reviewable, reproducible report folders.

For each scenario, :func:`render_report` executes ``notebooks/0*.ipynb`` in
order with papermill (kernel ``ukspace-lab``, an explicit per-cell timeout,
parameters ``scenario``/``overrides``/``output_dir``) into a temporary folder
next to the destination, then adds ``index.html`` (one offline page, see
:mod:`ukspace_lab.htmlpage`), ``writeup.txt`` and ``manifest.json``, and only
then swaps the folder into ``reports/<scenario>/``. A failure, Ctrl-C or
SIGTERM kills the kernel, removes the temporary folder and leaves the previous
report as it was; a stop that comes once the folder is complete no longer
undoes it (:func:`ukspace_lab.interrupts.hold`). A ``kill -9`` leaves the
temporary folder, removed by the next render (:mod:`ukspace_lab.present.install`).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .. import interrupts, lifeline, resources
from ..atomic import write_atomic
from ..errors import ScenarioError
from ..model.closed import MODEL_VERSION
from ..model.loading import load_scenario, resolve_scenario_path
from ..model.scenario import Scenario
from .execute import (
    CELL_TIMEOUT_S,
    KERNEL_ENV,
    KERNEL_NAME,
    ReportFailed,
    _display_path,
    ensure_kernel,
    execute_notebook,
)
from .install import _umask, install_report, remove_stale
from .manifest import build_manifest, sha256, write_manifest

NOTEBOOK_GLOB = "0*.ipynb"
WRITEUP_PLACEHOLDER = ("writeup unavailable: ukspace_lab.writeup.render_writeup is not in this "
                       "build, so no mailing-list text was written for this report.\n")

Progress = Callable[[str, str], None]  # (scenario, event): "start:<nb>", "done:<nb>", "page"


@dataclass(frozen=True)
class ReportJob:
    """One scenario to render: what, where, with which notebooks and limits."""

    scenario: str
    overrides: dict[str, Any] = field(default_factory=dict)
    out_dir: Path = field(default_factory=resources.report_dir)
    notebook_dir: Path = field(default_factory=resources.notebook_dir)
    cell_timeout: float = CELL_TIMEOUT_S
    kernel_name: str = KERNEL_NAME

    @property
    def name(self) -> str:
        """The report folder's name: the scenario name, or a YAML file's stem."""
        path = resolve_scenario_path(self.scenario)
        return self.scenario if path.parent == resources.scenario_dir() else path.stem

    @property
    def scenario_param(self) -> str:
        """What the notebooks get as ``scenario``: the name, or an absolute path."""
        path = resolve_scenario_path(self.scenario)
        return self.scenario if path.parent == resources.scenario_dir() else str(path.resolve())

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


# --- one report ---------------------------------------------------------------


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
        execute_notebook(nb, out, tmp, scenario=job.scenario_param, overrides=job.overrides,
                         kernel_name=job.kernel_name, cell_timeout=job.cell_timeout)
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
                  out_dir: Path | str | None = None, notebook_dir: Path | str | None = None,
                  cell_timeout: float = CELL_TIMEOUT_S, kernel_name: str = KERNEL_NAME,
                  progress: Progress | None = None) -> Path:
    """Render one scenario into ``<out_dir>/<scenario>/`` and return that folder.

    Raises :class:`ScenarioError` for a bad scenario or override (before any
    kernel starts) and :class:`ReportFailed` naming the notebook, cell and
    error when a notebook fails; either way the previous report is untouched.
    """
    job = ReportJob(scenario, dict(overrides or {}), Path(out_dir or resources.report_dir()),
                    Path(notebook_dir or resources.notebook_dir()), float(cell_timeout),
                    kernel_name)
    scn = job.load()
    job.notebooks()
    if job.kernel_name == KERNEL_NAME:
        ensure_kernel()
    from .htmlpage import WidgetManagerMissing, widget_manager_version
    try:
        widget_manager_version()
    except WidgetManagerMissing as exc:
        raise ReportFailed(str(exc)) from None
    job.out_dir.mkdir(parents=True, exist_ok=True)
    remove_stale(job.out_dir, job.name)
    dest = job.out_dir / job.name
    tmp = Path(tempfile.mkdtemp(prefix=f".{job.name}.partial-{os.getpid()}-", dir=job.out_dir))
    failed_nb = dest.with_name(f"{dest.name}.failed.ipynb")
    try:
        os.chmod(tmp, 0o777 & ~_umask())
        started = datetime.now(UTC)
        with interrupts.on_stop(lifeline.kill_own_groups):   # the kernel, at the signal
            run = _build(job, scn, tmp, progress or (lambda s, e: None))
        finished = datetime.now(UTC)
        write_manifest(tmp, build_manifest(tmp, run=run, started=started, finished=finished))
        interrupts.hold()          # complete: from here a stop is noted, not obeyed
        install_report(tmp, dest)
        failed_nb.unlink(missing_ok=True)
    except ReportFailed as exc:
        _keep_failed_notebook(tmp, dest, exc)
        raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return dest


def _keep_failed_notebook(tmp: Path, dest: Path, exc: ReportFailed) -> None:
    """Save the notebook that failed as ``<out>/<scenario>.failed.ipynb`` for debugging."""
    if exc.executed is None or not exc.executed.is_file():
        return
    failed = dest.with_name(f"{dest.name}.failed.ipynb")
    write_atomic(failed, exc.executed.read_bytes())
    exc.args = (f"{exc.args[0]}\n  the executed notebook is saved as {_display_path(failed)}",)


def load_manifest(report_dir: Path) -> dict[str, Any]:
    """A report's manifest as a dict."""
    return json.loads((report_dir / "manifest.json").read_text(encoding="utf-8"))
