"""Sweep axes: ``name=v1,v2`` lists and ``start:stop:count[:log]`` ranges, each value
validated against the scenario on its own, once: the validated scenarios are kept
with the axis, and the closed form builds its inputs from them."""

from __future__ import annotations

import difflib
import math
import types
import typing
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import ScenarioError, shown
from ..model.keys import field_at
from ..model.scenario import SWEEP_ALIASES, Scenario, _set_dotted, validate_scenario
from ..units import parse_size

NOT_SWEEPABLE = ("title", "strategies", "sweep")
MAX_RANGE_COUNT = 100_000     # values of one start:stop:count range (PID_MAX is 32768)


def axis_key(name: str) -> str:
    """The dotted scenario key of an axis name (``tasks`` -> ``workload.tasks``)."""
    return SWEEP_ALIASES.get(name, name)


def value_kind(key: str) -> str:
    """'size', 'int', 'float' or 'other': how a range of ``key`` is generated."""
    if key.startswith("costs."):
        return "float"
    info = field_at(key)
    if info is None:
        return "other"
    candidates = [(info.annotation, list(info.metadata))]
    if isinstance(info.annotation, types.UnionType) or typing.get_origin(info.annotation) in (
            typing.Union,):
        candidates = [(a, []) for a in typing.get_args(info.annotation)]
    for ann, meta in candidates:
        if typing.get_origin(ann) is typing.Annotated:
            ann, *extra = typing.get_args(ann)
            meta = meta + extra
        if ann is bool:
            return "other"
        if ann is int:
            sized = any(getattr(getattr(m, "func", None), "__name__", "") == "_size" for m in meta)
            return "size" if sized else "int"
        if ann is float:
            return "float"
    return "other"


def _number(axis: str, kind: str, text: str) -> float:
    try:
        value = float(parse_size(text)) if kind == "size" else float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        allowed = "a byte count or a size such as 16GiB" if kind == "size" else "a finite number"
        raise ScenarioError([f"--axis {axis}: {shown(text)} is not {allowed}"], "axis")
    return value


def parse_axis(text: str) -> tuple[str, list[Any]]:
    """``name=v1,v2,...`` or ``name=start:stop:count[:log]`` to (name, values).

    Listed values stay strings (the scenario schema converts them: ``16GiB``,
    ``2.6``, ``auto``); ranges are numbers, integers for integer and size keys.
    """
    name, sep, spec = text.partition("=")
    name, spec = name.strip(), spec.strip()
    if not sep or not name or not spec:
        raise ScenarioError([f"--axis {shown(text)}: expected name=v1,v2,... or "
                             "name=start:stop:count[:log], e.g. --axis tasks=1:1000:4:log"], "axis")
    if ":" not in spec or "," in spec:
        return name, [v.strip() for v in spec.split(",")]
    parts = spec.split(":")
    key = axis_key(name)
    kind = value_kind(key)
    if kind == "other":
        raise ScenarioError([f"--axis {shown(name)[1:-1]}: {shown(key)[1:-1]} is not numeric, "
                             f"so it takes a list (name=v1,v2,...), not the range "
                             f"{shown(spec)}"], "axis")
    if len(parts) not in (3, 4) or (len(parts) == 4 and parts[3] not in ("log", "lin")):
        raise ScenarioError([f"--axis {name}={shown(spec)}: a range is start:stop:count or "
                             "start:stop:count:log"], "axis")
    start, stop = _number(name, kind, parts[0]), _number(name, kind, parts[1])
    digits = parts[2].strip()
    if not (digits.isascii() and digits.isdigit()) or len(digits) > 7 \
            or not 1 <= int(digits) <= MAX_RANGE_COUNT:
        raise ScenarioError([f"--axis {name}: count {shown(parts[2])} must be a whole number "
                             f"from 1 to {MAX_RANGE_COUNT:,}"], "axis")
    count, log = int(parts[2]), len(parts) == 4 and parts[3] == "log"
    if log and (start <= 0 or stop <= 0):
        raise ScenarioError([f"--axis {name}: a log range needs start and stop > 0, "
                             f"got {parts[0]} and {parts[1]}"], "axis")
    values = (np.geomspace if log else np.linspace)(start, stop, count)
    if kind == "float":
        return name, [float(v) for v in values]
    return name, list(dict.fromkeys(int(round(v)) for v in values))


def parse_axes(texts: list[str]) -> dict[str, list[Any]]:
    """Every ``--axis`` option, in order; an axis given twice is an error."""
    axes: dict[str, list[Any]] = {}
    for text in texts:
        name, values = parse_axis(text)
        if name in axes or any(axis_key(n) == axis_key(name) for n in axes):
            raise ScenarioError([f"--axis {shown(name)[1:-1]}: given twice; list all its "
                                 "values in one --axis"], "axis")
        axes[name] = values
    return axes


def _value_at(scn: Scenario, key: str) -> Any:
    """The validated value of dotted ``key`` in ``scn`` (sizes in bytes, choices as text)."""
    node: Any = scn
    for part in key.split("."):
        node = node[part] if isinstance(node, dict) else getattr(node, part)
    return node


def _path_copy(plain: dict[str, Any], key: str) -> dict[str, Any]:
    """A copy of ``plain`` that shares everything but the sections on ``key``'s path."""
    top = dict(plain)
    node = top
    for part in key.split(".")[:-1]:
        if not isinstance(node.get(part), dict):
            break
        node[part] = dict(node[part])
        node = node[part]
    return top


@dataclass(frozen=True)
class Axis:
    """One validated axis: its name as given, its scenario key and its plain values."""

    name: str
    key: str
    values: tuple[Any, ...]
    scenarios: tuple[Scenario, ...] = field(default=(), compare=False, repr=False)

    def column(self) -> np.ndarray:
        """The values as one array (strings when they mix kinds, e.g. auto and 0.5)."""
        kinds = {type(v) for v in self.values}
        if kinds <= {int, float} and float in kinds:
            return np.array(self.values, dtype=float)
        if len(kinds) > 1:
            return np.array([str(v) for v in self.values], dtype=object)
        return np.array(self.values, dtype=object if kinds == {str} else None)


def _refuse_repeats(name: str, values: list[Any]) -> None:
    dup = sorted(shown(v) for v, n in Counter(values).items() if n > 1)
    if dup:
        raise ScenarioError([f"axis {name}: the value {', '.join(dup[:5])} is listed twice"],
                            "sweep")


def validate_axis(scn: Scenario, name: str, values: list[Any]) -> Axis:
    """Each value checked against ``scn`` on its own, returned in its plain form."""
    key = axis_key(name)
    root = key.split(".")[0]
    if (key != "seed" and "." not in key) or root in NOT_SWEEPABLE \
            or (root == "costs" and key.count(".") != 1):
        near = difflib.get_close_matches(name[:80], list(SWEEP_ALIASES), n=1)
        hint = f" did you mean {near[0]!r}?" if near else ""
        raise ScenarioError([f"axis {shown(name)}: not a sweepable parameter;{hint} use one of "
                             f"{', '.join(SWEEP_ALIASES)}, seed, costs.NAME or a dotted key "
                             "such as machine.cpus"], "sweep")
    if not isinstance(values, list | tuple) or not values:
        raise ScenarioError([f"axis {name}: expected a list of values, got {shown(values)}"],
                            "sweep")
    _refuse_repeats(name, [v if isinstance(v, str) else repr(v) for v in values])
    base = scn.to_plain()
    out, scenarios = [], []
    for v in values:                 # each value validated once, kept for the grid's inputs
        data = _path_copy(base, key)
        try:
            _set_dotted(data, key, v)
            one = validate_scenario(data, source="sweep")
        except ScenarioError as exc:
            raise ScenarioError([f"axis {name} = {shown(v)}: {p}" for p in exc.problems],
                                "sweep") from None
        scenarios.append(one)
        out.append(_value_at(one, key))
    _refuse_repeats(name, out)
    return Axis(name=name, key=key, values=tuple(out), scenarios=tuple(scenarios))
