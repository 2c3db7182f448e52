"""The notebooks' first step: validate the papermill parameters through the package.

Papermill only warns about unknown parameters, so every notebook calls
:func:`setup` right after its ``parameters`` cell. A bad scenario name, an
unknown override key or a bad value stops the notebook with the validator's
own message, shown without a traceback from deep inside the package.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import ScenarioError
from ..model.loading import load_scenario
from ..model.scenario import Scenario
from .plots import use_style


class NotebookParameterError(ScenarioError):
    """A parameter of a notebook the model cannot run; IPython shows only its message."""

    def _render_traceback_(self) -> list[str]:
        """IPython hook: the message instead of a traceback (see IPython's showtraceback)."""
        return [f"{type(self).__name__}: {self}"]


def setup(scenario: str | Path = "default", overrides: dict[str, Any] | None = None,
          output_dir: str | Path = "") -> Scenario:
    """The validated scenario for a notebook run, with the plotting style set.

    ``scenario`` is a name in ``papermill_params/`` or a path, ``overrides`` a
    dict of dotted keys (the same as ``--set``), ``output_dir`` where figures
    and data go ("" writes no files). Raises :class:`NotebookParameterError`
    carrying the validator's text.
    """
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


__all__ = ["NotebookParameterError", "setup"]
