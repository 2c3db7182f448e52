"""Loading scenarios: by name from ``papermill_params/`` or from a path, and
``--set dotted.key=value`` overrides parsed as YAML values.

Files are read with :mod:`~ukspace_lab.model.safeyaml` (bounded, UTF-8,
no duplicate keys); a file that is empty or whose top level is not a mapping
is refused. An override of a key that takes only text (``machine.kernel``,
``title``, ...) is the text as typed, so ``--set machine.kernel=2.6`` is
``"2.6"``, not the YAML float 2.6.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Any

import yaml

from ..errors import ScenarioError, shown
from ..resources import scenario_dir
from . import safeyaml
from .keys import is_text
from .scenario import Scenario, _set_dotted, validate_scenario

KEY_RE = re.compile(r"[A-Za-z0-9_-]{1,60}(\.[A-Za-z0-9_-]{1,60}){0,3}")
EXAMPLE = "e.g. 'machine: {ram: 8GiB}'"


def override_value(key: str, raw: str) -> Any:
    """The value of ``--set key=raw``: the text for text keys, else ``raw`` read as YAML
    (text when it is not YAML, refused when it breaks the loader's limits)."""
    text = raw.strip()
    if is_text(key):
        quoted = len(text) >= 2 and text[0] == text[-1] and text[0] in "'\""
        if quoted:
            try:
                value = safeyaml.load(text)
            except yaml.YAMLError:
                return text
            return value if isinstance(value, str) else text
        return text
    if not text:
        return ""
    try:
        return safeyaml.load(raw)
    except safeyaml.LimitError as exc:
        raise ScenarioError([f"--set {key}: the value is {safeyaml.where(exc)}"],
                            source="override") from None
    except yaml.YAMLError:
        return raw


def _check_key(key: Any, given: Any) -> str:
    if not isinstance(key, str) or not KEY_RE.fullmatch(key.strip()):
        raise ScenarioError([f"--set {shown(given)}: expected dotted.key=value with a key "
                             "such as machine.ram or costs.invlpg_cycles, e.g. "
                             "--set machine.ram=8GiB"], source="override")
    return key.strip()


def parse_overrides(items: list[str] | tuple[str, ...] | None) -> dict[str, Any]:
    """``["machine.ram=8GiB", "workload.tasks=10"]`` to a dict (values: :func:`override_value`)."""
    if items is None:
        return {}
    if not isinstance(items, list | tuple):
        raise ScenarioError([f"overrides = {shown(items)}: expected a list of 'key=value' "
                             "texts or a dict of dotted keys"], source="override")
    out: dict[str, Any] = {}
    for item in items:
        if not isinstance(item, str):
            raise ScenarioError([f"--set {shown(item)}: expected a 'key=value' text"],
                                source="override")
        key, sep, raw = item.partition("=")
        key = _check_key(key if sep else None, item)
        out[key] = override_value(key, raw)
    return out


def scenario_names() -> list[str]:
    """The scenarios shipped in ``papermill_params/``."""
    return sorted(p.stem for p in scenario_dir().glob("*.yaml"))


def resolve_scenario_path(name_or_path: str | Path) -> Path:
    """A scenario file from a name in ``papermill_params/`` or a path."""
    if not isinstance(name_or_path, str | Path) or not str(name_or_path).strip():
        raise ScenarioError([f"scenario {shown(name_or_path)}: expected a name such as "
                             "default or a path to a YAML file"], source="scenario")
    p = Path(name_or_path)
    try:
        if p.suffix in (".yaml", ".yml") or p.exists():
            if not p.is_file():
                raise ScenarioError([f"no scenario file at {shown(str(p))}"], source="scenario")
            return p
        candidate = scenario_dir() / f"{name_or_path}.yaml"
        if candidate.is_file():
            return candidate
    except (OSError, ValueError):           # a name too long, or with a NUL byte
        raise ScenarioError([f"scenario {shown(str(name_or_path))}: not a usable file name"],
                            source="scenario") from None
    names = scenario_names()
    near = difflib.get_close_matches(str(name_or_path)[:80], names, n=1)
    hint = f" Did you mean {near[0]!r}?" if near else ""
    raise ScenarioError(
        [f"no scenario named {shown(str(name_or_path))}.{hint} Available: {', '.join(names)}"],
        source="scenario")


def read_scenario_file(path: Path) -> dict[str, Any]:
    """The plain mapping of scenario file ``path`` (bounded, UTF-8, a mapping at the top)."""
    name = path.name[:60]
    try:
        with open(path, "rb") as fh:
            raw = fh.read(safeyaml.MAX_BYTES + 1)
    except OSError as exc:
        raise ScenarioError([f"{name}: cannot read it ({exc.strerror})"],
                            source=f"scenario {name}") from None
    try:
        text = safeyaml.decode(raw, name)
        data = safeyaml.load(text)
    except ValueError as exc:
        raise ScenarioError([str(exc)], source=f"scenario {name}") from None
    except yaml.YAMLError as exc:
        raise ScenarioError([f"{name}: not valid YAML at {safeyaml.where(exc)}"],
                            source=f"scenario {name}") from None
    if data is None:
        raise ScenarioError([f"{name}: empty, no keys; a scenario is a mapping of keys, "
                             f"{EXAMPLE} ({{}} for every default)"], source=f"scenario {name}")
    if not isinstance(data, dict):
        raise ScenarioError([f"{name}: the top level is {type(data).__name__} {shown(data)}, "
                             f"expected a mapping of keys, {EXAMPLE}"], source=f"scenario {name}")
    return data


def _overrides(overrides: Any) -> dict[str, Any]:
    if isinstance(overrides, list | tuple):
        return parse_overrides(list(overrides))
    if overrides is None:
        return {}
    if not isinstance(overrides, dict):
        raise ScenarioError([f"overrides = {shown(overrides)}: expected a dict of dotted keys "
                             "to values or a list of 'key=value' texts"], source="override")
    return {_check_key(k, k): v for k, v in overrides.items()}


def load_scenario(name_or_path: str | Path = "default",
                  overrides: dict[str, Any] | list[str] | None = None) -> Scenario:
    """Load a scenario by name or path and apply overrides (dict or ``key=value`` list)."""
    path = resolve_scenario_path(name_or_path)
    data = read_scenario_file(path)
    for key, value in _overrides(overrides).items():
        _set_dotted(data, key, value)
    return validate_scenario(data, source=f"scenario {path.name}")


def named_base(name_or_path: str | Path) -> dict[str, Any] | None:
    """The plain parameters of the scenario file ``name_or_path`` as it stands, or None
    when it does not load (the writeup's reproduce lines diff against it)."""
    try:
        return load_scenario(name_or_path).to_plain()
    except ScenarioError:
        return None
