"""Executing one report notebook with papermill, and saying where it failed.

The kernel is ``ukspace-lab`` (the project's own, registered by ``make``, or
on first use), with an explicit per-cell timeout and a fixed environment
(dates and hash seed), so the same parameters give the same outputs. A failure
names the notebook, the cell (numbered as in the stored notebook) and the
error.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .. import resources

KERNEL_NAME = "ukspace-lab"
CELL_TIMEOUT_S = 1800.0          # per cell; a cold-cache pool sweep took >600 s on 2 cores
KERNEL_START_TIMEOUT_S = 120.0
SOURCE_DATE_EPOCH = "946684800"  # 2000-01-01: fixed dates in anything that embeds one
KERNEL_ENV = {"SOURCE_DATE_EPOCH": SOURCE_DATE_EPOCH, "PYTHONHASHSEED": "0"}
# The kernel's own log to the terminal only from errors up: ipykernel warns at every
# start that a local TCP kernel is unencrypted (IPKernelApp.init_sockets), which a
# report would print once per notebook between the progress bar's lines.
KERNEL_ARGS = ["--IPKernelApp.log_level=ERROR"]


class ReportFailed(RuntimeError):
    """A report could not be rendered; the previous report is untouched.

    ``executed`` is the partly executed notebook of a failed notebook run.
    """

    def __init__(self, message: str, executed: Path | None = None):
        super().__init__(message)
        self.executed = executed


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
    """A path as a reader wants it: relative to the checkout (or the working folder)."""
    base = resources.ROOT if resources.in_checkout() else Path.cwd()
    try:
        return path.resolve().relative_to(base.resolve()).as_posix()
    except ValueError:
        return str(path)


def ensure_kernel(name: str = KERNEL_NAME) -> None:
    """Register the ``ukspace-lab`` kernel for this interpreter when it is missing (an
    installed wheel has no ``make setup`` to do it), in ``sys.prefix``, never globally."""
    import sys

    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        KernelSpecManager().get_kernel_spec(name)
        return
    except NoSuchKernel:
        pass
    from ipykernel.kernelspec import install

    install(kernel_name=name, display_name="Python (ukspace-lab)", prefix=sys.prefix)


def execute_notebook(nb_path: Path, out_path: Path, output_dir: Path, *, scenario: str,
                     overrides: dict[str, Any], kernel_name: str = KERNEL_NAME,
                     cell_timeout: float = CELL_TIMEOUT_S) -> None:
    """Run one notebook with papermill; raise ReportFailed naming the notebook and cell."""
    import papermill as pm

    params = {"scenario": scenario, "overrides": dict(overrides), "output_dir": str(output_dir)}
    try:
        with kernel_environment():
            pm.execute_notebook(
                str(nb_path), str(out_path), parameters=params, kernel_name=kernel_name,
                execution_timeout=cell_timeout, start_timeout=KERNEL_START_TIMEOUT_S,
                progress_bar=False, log_output=False, cwd=str(nb_path.parent),
                extra_arguments=list(KERNEL_ARGS))
    except KeyboardInterrupt:
        raise
    except Exception as exc:
        raise ReportFailed(_describe_failure(nb_path, out_path, exc), out_path) from exc
