"""A papermill parameter a notebook does not declare stops it (papermill only warns)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from ukspace_lab.present.notebook import PARAMETERS, undeclared_parameters
from ukspace_lab.resources import notebook_dir

pytest.importorskip("papermill")

DECLARED = 'scenario = "default"\noverrides = {}\noutput_dir = ""'


def test_injected_names_checked_against_the_parameters_cell():
    """History as IPython's In holds it: the parameters cell, then papermill's cell."""
    ok = ["", DECLARED, '# Parameters\nscenario = "desktop"\n', "scn = setup(...)"]
    assert undeclared_parameters(ok) == []
    typo = ["", DECLARED, '# Parameters\nscenaro = "desktop"\noutput_dir = "x"\n']
    assert undeclared_parameters(typo) == ["scenaro"]
    assert undeclared_parameters(["", DECLARED, "x = 1"]) == []        # not run by papermill
    own = ["", "a = 1\nb: int = 2", "# Parameters\nb = 3\nc = 4"]        # another notebook
    assert undeclared_parameters(own) == ["c"]
    assert undeclared_parameters(["# Parameters\nscenario = 'x'\nzz = 1"]) == ["zz"]
    assert set(PARAMETERS) == {"scenario", "overrides", "output_dir"}


def test_papermill_with_a_misspelt_parameter_fails(tmp_path):
    """The run the issue reports: exit 0 with the default scenario before, a failure
    naming the parameter now."""
    out = tmp_path / "out.ipynb"
    r = subprocess.run([sys.executable, "-m", "papermill", "-p", "scenaro", "desktop",
                        str(notebook_dir() / "01-proposal.ipynb"), str(out),
                        "-k", "ukspace-lab", "--execution-timeout", "600"],
                       capture_output=True, text=True, timeout=900)
    assert r.returncode != 0
    assert "parameter 'scenaro': this notebook has no such parameter" in r.stderr
    assert "did you mean 'scenario'" in r.stderr
