"""environment.yml and pyproject.toml list the same dependencies."""

import re
import tomllib

import yaml

from ukspace_lab.resources import ROOT


def _name(req: str) -> set[str]:
    m = re.match(r"\s*([A-Za-z0-9_.-]+)(\[([^\]]+)\])?", req)
    base = m.group(1).lower()
    extras = {e.strip().lower() for e in (m.group(3) or "").split(",") if e.strip()}
    return {base} | extras


def test_environment_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = set().union(*map(_name, project["dependencies"]),
                         *map(_name, project["optional-dependencies"]["test"]))
    env = yaml.safe_load((ROOT / "environment.yml").read_text())["dependencies"]
    have = set().union(*(_name(d) for d in env if isinstance(d, str))) - {"python", "pip"}
    assert have == wanted
