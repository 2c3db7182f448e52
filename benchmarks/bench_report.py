"""``ukspace-lab report default`` against bare papermill on the same notebooks, and where
the report's time goes.

``report``: ``render_report("default")`` into a temporary folder (the sweeps
warm in ``.cache/sweeps`` after a first render), against ``papermill.execute_notebook``
run on the same notebooks with the same parameters and kernel, one after the
other, in the same run. ``report parts``: from papermill's per-cell
durations in the executed notebooks: kernel start (a notebook's time outside
its cells), the setup cell (imports), data cells (views and sweeps: cached
sweeps), figure cells (build and save_figure's PNG and SVG), widgets, the rest.
Under ``--quick`` a two-cell notebook runs instead (kernel start only).
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

from ukspace_lab import resources
from ukspace_lab.present.execute import KERNEL_NAME, ensure_kernel, kernel_environment
from ukspace_lab.present.report import NOTEBOOK_GLOB, render_report

from .common import QUICK, REPEATS, figure

REPORT_REPEATS = int(os.environ.get("UKSPACE_BENCH_REPORT_REPEATS", REPEATS))
AIM_S = 60.0


def _tiny_notebook(folder: Path) -> Path:
    """A parameters cell and one print: ``--quick`` times the executors on it only."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell('scenario = "default"\noverrides = {}\noutput_dir = ""')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell("print(scenario)")]
    nb.metadata["kernelspec"] = {"name": KERNEL_NAME, "display_name": KERNEL_NAME,
                                 "language": "python"}
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "00-tiny.ipynb"
    nbformat.write(nb, path)
    return path


def _notebooks(tmp: Path) -> list[Path]:
    if QUICK:
        return [_tiny_notebook(tmp / "tiny")]
    return sorted(resources.notebook_dir().glob(NOTEBOOK_GLOB))


def _papermill(out: Path, notebooks: list[Path]) -> None:
    import papermill as pm

    (out / "notebooks").mkdir(parents=True, exist_ok=True)
    with kernel_environment():
        for nb in notebooks:
            pm.execute_notebook(str(nb), str(out / "notebooks" / nb.name),
                                parameters={"scenario": "default", "overrides": {},
                                            "output_dir": str(out)},
                                kernel_name=KERNEL_NAME, progress_bar=False, cwd=str(nb.parent))


def _ours(out: Path, notebooks: list[Path]) -> None:
    if QUICK:          # the tiny notebook through the report's own executor
        from ukspace_lab.present.execute import execute_notebook

        (out / "notebooks").mkdir(parents=True, exist_ok=True)
        for nb in notebooks:
            execute_notebook(nb, out / "notebooks" / nb.name, out, scenario="default",
                             overrides={})
        return
    render_report("default", out_dir=out)


def _kind(source: str) -> str:
    if "notebook.setup(" in source:
        return "setup cell (imports)"
    if "save_figure(" in source:
        return "figure cells (build + save PNG/SVG)"
    if "explorer(" in source or "_static(" in source or "show_table(" in source \
            and "save_data" not in source:
        return "widget cells"
    if "views." in source or "verdict(" in source or "compare(" in source:
        return "data cells (views, cached sweeps)"
    return "other cells"


def parts(executed: list[Path]) -> dict[str, float]:
    """Seconds per part, summed over the executed notebooks (papermill's metadata)."""
    import nbformat

    out: dict[str, float] = {}
    for path in executed:
        nb = nbformat.read(path, as_version=4)
        total = float(nb.metadata.get("papermill", {}).get("duration") or 0.0)
        cells = 0.0
        for cell in nb.cells:
            d = cell.metadata.get("papermill", {}).get("duration")
            if cell.cell_type != "code" or d is None:
                continue
            cells += float(d)
            kind = _kind(cell.source)
            out[kind] = out.get(kind, 0.0) + float(d)
        out["kernel start and papermill"] = out.get("kernel start and papermill", 0.0) + \
            max(0.0, total - cells)
    return out


def _numba_warmup() -> float:
    """Seconds of a fresh interpreter's first simulate() beyond its second (the compiled
    cache loading), measured in a subprocess."""
    import subprocess
    import sys

    code = ("import time; from ukspace_lab import load_scenario; from ukspace_lab.sim import "
            "simulate; s = load_scenario('default', {'strategies': ['mainline']}); "
            "t = time.perf_counter(); simulate(s, ops=100); a = time.perf_counter() - t; "
            "t = time.perf_counter(); simulate(s, ops=100); b = time.perf_counter() - t; "
            "print(a - b)")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env={**os.environ, "PYTHONPATH": str(resources.ROOT)})
    return float(run.stdout.split()[-1])


def main() -> None:
    ensure_kernel()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        notebooks = _notebooks(root)
        _ours(root / "warm", notebooks)                  # warm the sweep cache and disk
        ours, bare, runs = [], [], []
        for r in range(REPORT_REPEATS):
            out = root / f"ours{r}"
            t0 = time.perf_counter()
            _ours(out, notebooks)
            ours.append(time.perf_counter() - t0)
            runs.append(out)
            t0 = time.perf_counter()
            _papermill(root / f"bare{r}", notebooks)
            bare.append(time.perf_counter() - t0)
        t_ours, t_bare = statistics.median(ours), statistics.median(bare)
        which = "report default" if not QUICK else "quick: a two-cell notebook"
        figure("report", f"{which}, {len(notebooks)} notebooks, warm: {t_ours:.1f} s (aim "
               f"{AIM_S:.0f} s); baseline bare papermill on the same notebooks {t_bare:.1f} s: "
               f"report / papermill = {t_ours / t_bare:.2f} (aim <= 1.2); median of "
               f"{REPORT_REPEATS}")
        split = parts(sorted((runs[-1] / "notebooks").glob("*.ipynb")) if QUICK else
                      sorted((runs[-1] / "default" / "notebooks").glob("*.ipynb")))
        text = ", ".join(f"{k} {v:.1f} s" for k, v in sorted(split.items(), key=lambda x: -x[1]))
        figure("report parts", f"{text}; numba warm-up in a fresh process "
               f"{_numba_warmup():.1f} s")


if __name__ == "__main__":
    main()
