"""Loading scenarios: by name from ``papermill_params/`` or from a path, and
``--set dotted.key=value`` overrides parsed as YAML values."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

import yaml

from ..errors import ScenarioError
from ..resources import scenario_dir
from .scenario import Scenario, _set_dotted, validate_scenario


def parse_overrides(items: list[str] | None) -> dict[str, Any]:
    """``["machine.ram=8GiB", "workload.tasks=10"]`` to a dict (values parsed as YAML)."""
    out: dict[str, Any] = {}
    for item in items or []:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise ScenarioError([f"--set {item!r}: expected dotted.key=value, "
                                 "e.g. --set machine.ram=8GiB"], source="override")
        try:
            out[key.strip()] = yaml.safe_load(raw) if raw.strip() else ""
        except yaml.YAMLError:
            out[key.strip()] = raw
    return out



def scenario_names() -> list[str]:
    """The scenarios shipped in ``papermill_params/``."""
    return sorted(p.stem for p in scenario_dir().glob("*.yaml"))


def resolve_scenario_path(name_or_path: str | Path) -> Path:
    """A scenario file from a name in ``papermill_params/`` or a path."""
    p = Path(name_or_path)
    if p.suffix in (".yaml", ".yml") or p.exists():
        if not p.is_file():
            raise ScenarioError([f"no scenario file at {p}"], source="scenario")
        return p
    candidate = scenario_dir() / f"{name_or_path}.yaml"
    if candidate.is_file():
        return candidate
    names = scenario_names()
    near = difflib.get_close_matches(str(name_or_path), names, n=1)
    hint = f" Did you mean {near[0]!r}?" if near else ""
    raise ScenarioError(
        [f"no scenario named {str(name_or_path)!r}.{hint} Available: {', '.join(names)}"],
        source="scenario")


def load_scenario(name_or_path: str | Path = "default",
                  overrides: dict[str, Any] | list[str] | None = None) -> Scenario:
    """Load a scenario by name or path and apply overrides (dict or ``key=value`` list)."""
    path = resolve_scenario_path(name_or_path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ScenarioError([f"{path}: not valid YAML: {exc}"], source=str(path)) from None
    if isinstance(overrides, list):
        overrides = parse_overrides(overrides)
    if isinstance(data, dict):
        for key, value in (overrides or {}).items():
            _set_dotted(data, key, value)
    return validate_scenario(data, source=f"scenario {path.name}")


def named_base(name_or_path: str | Path) -> dict[str, Any] | None:
    """The plain parameters of the scenario file ``name_or_path`` as it stands, or None
    when it does not load (the writeup's reproduce lines diff against it)."""
    try:
        return load_scenario(name_or_path).to_plain()
    except ScenarioError:
        return None
