"""The notebooks' first step: validate the papermill parameters through the package.

Papermill only warns about unknown parameters (``-p scenaro desktop`` would run
the default scenario), so every notebook calls :func:`setup` right after its
``parameters`` cell. It reads the cell papermill injected from the kernel's
input history (IPython's ``In``; papermill's cell starts with ``# Parameters``)
and refuses a name the notebook's ``parameters`` cell does not assign. A bad
scenario name, an unknown override key or a bad value stops the notebook with
the validator's own message, shown without a traceback from deep inside the
package.
"""

from __future__ import annotations

import ast
import difflib
from pathlib import Path
from typing import Any

from ..errors import ScenarioError, shown
from ..model.loading import load_scenario
from ..model.scenario import Scenario
from .plots import use_style


class NotebookParameterError(ScenarioError):
    """A parameter of a notebook the model cannot run; IPython shows only its message."""

    def _render_traceback_(self) -> list[str]:
        """IPython hook: the message instead of a traceback (see IPython's showtraceback)."""
        return [f"{type(self).__name__}: {self}"]


PARAMETERS = ("scenario", "overrides", "output_dir")    # every notebook's parameters cell
INJECTED_MARK = "# Parameters"                          # papermill's injected cell, line 1


def _assigned(source: str) -> list[str] | None:
    """Names a cell assigns at its top level, or None if it is not plain Python."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    names = []
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else \
            [node.target] if isinstance(node, ast.AnnAssign) else []
        names += [t.id for t in targets if isinstance(t, ast.Name)]
    return names


def undeclared_parameters(history: list[str]) -> list[str]:
    """Names in the last papermill-injected cell of ``history`` (cell sources in the order
    run) that the cell run before it, the notebook's ``parameters`` cell, does not assign."""
    for i in range(len(history) - 1, -1, -1):
        if history[i].lstrip().startswith(INJECTED_MARK):
            injected = _assigned(history[i]) or []
            declared = _assigned(history[i - 1]) if i > 0 else None
            known = set(declared) if declared else set(PARAMETERS)
            return [n for n in injected if n not in known]
    return []


def _history() -> list[str]:
    try:
        from IPython import get_ipython
    except ImportError:
        return []
    shell = get_ipython()
    return list(shell.user_ns.get("In", [])) if shell is not None else []


def setup(scenario: str | Path = "default", overrides: dict[str, Any] | None = None,
          output_dir: str | Path = "") -> Scenario:
    """The validated scenario for a notebook run, with the plotting style set.

    ``scenario`` is a name in ``papermill_params/`` or a path, ``overrides`` a
    dict of dotted keys (the same as ``--set``), ``output_dir`` where figures
    and data go ("" writes no files). Raises :class:`NotebookParameterError`
    carrying the validator's text.
    """
    unknown = undeclared_parameters(_history())
    if unknown:
        problems = []
        for name in unknown:
            near = difflib.get_close_matches(name[:80], PARAMETERS, n=1)
            hint = f"; did you mean {near[0]!r}?" if near else ""
            problems.append(f"parameter {shown(name)}: this notebook has no such "
                            f"parameter{hint} its parameters: {', '.join(PARAMETERS)}")
        raise NotebookParameterError(problems, source="notebook parameters")
    if overrides is None:
        overrides = {}
    if not isinstance(overrides, dict):
        raise NotebookParameterError(
            [f"overrides = {overrides!r}: expected a dict of dotted keys to values, "
             "e.g. {'machine.ram': '8GiB'}"], source="notebook parameters")
    if not isinstance(output_dir, str | Path):
        raise NotebookParameterError(
            [f"output_dir = {output_dir!r}: expected a directory path, or '' to write no files"],
            source="notebook parameters")
    try:
        scn = load_scenario(scenario, dict(overrides))
    except ScenarioError as exc:
        raise NotebookParameterError(exc.problems, source=exc.source) from None
    use_style()
    return scn


__all__ = ["NotebookParameterError", "setup", "undeclared_parameters"]
