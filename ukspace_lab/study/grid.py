"""A sweep's grid: the cartesian product of validated axes over a scenario."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from ..errors import ScenarioError, shown
from ..model.closed import RESULT_KEYS
from ..model.scenario import Scenario
from .axes import Axis, axis_key, validate_axis

KEY_EXCLUDES = ("title", "sweep")        # do not change any result
MAX_POINTS = 10_000_000                  # benchmarks/bench_sweep.py runs 1,000,000


@dataclass(frozen=True)
class Grid:
    """The cartesian product of axes over a scenario; point i in C order (last axis fastest)."""

    scn: Scenario
    axes: tuple[Axis, ...]

    @cached_property
    def index(self) -> np.ndarray:
        shape = [len(a.values) for a in self.axes] or [1]
        return np.indices(shape).reshape(len(shape), -1)

    def __len__(self) -> int:
        return int(np.prod([len(a.values) for a in self.axes])) if self.axes else 1

    def overrides(self, i: int) -> dict[str, Any]:
        """The dotted-key values of point ``i``."""
        return {a.key: a.values[self.index[k, i]] for k, a in enumerate(self.axes)}

    def columns(self) -> dict[str, np.ndarray]:
        """One array per axis: its value at each point (named by its dotted key when the
        name is also a result column, e.g. ``highmem_cache_fraction``)."""
        return {a.key if a.name in RESULT_KEYS else a.name: a.column()[self.index[k]]
                for k, a in enumerate(self.axes)}

    def base_plain(self) -> dict[str, Any]:
        """The scenario's plain parameters that decide results."""
        plain = self.scn.to_plain()
        return {k: v for k, v in plain.items() if k not in KEY_EXCLUDES}

    def point_plain(self, i: int) -> dict[str, Any]:
        """The plain parameters of point ``i`` (axis values are already validated)."""
        plain = self.base_plain()
        for key, value in self.overrides(i).items():
            node = plain
            *parents, last = key.split(".")
            for part in parents:
                node = node.setdefault(part, {})
            node[last] = value
        return plain


def make_grid(scn: Scenario, axes: dict[str, list[Any]] | None) -> Grid:
    """A :class:`Grid` from axes (default: the scenario's ``sweep`` section)."""
    axes = scn.sweep if axes is None else axes
    if not isinstance(axes, dict) or not all(isinstance(n, str) for n in axes):
        raise ScenarioError([f"axes = {shown(axes)}: expected a dict of axis name to a list of "
                             "values, e.g. {'tasks': [1, 10, 100]}"], "sweep")
    axes = dict(axes)
    keys = [axis_key(n) for n in axes]
    dup = sorted({k for k in keys if keys.count(k) > 1})
    if dup:
        raise ScenarioError([f"axis {k}: given twice (by alias and by key)" for k in dup], "sweep")
    size = math.prod(len(v) if isinstance(v, list | tuple) else 1 for v in axes.values())
    if size > MAX_POINTS:
        raise ScenarioError([f"axes {', '.join(axes)}: {size:.3g} points; a sweep takes at most "
                             f"{MAX_POINTS:,} (split it into several)"], "sweep")
    return Grid(scn, tuple(validate_axis(scn, n, v) for n, v in axes.items()))
