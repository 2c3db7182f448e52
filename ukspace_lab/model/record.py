"""The evaluated record: one immutable value per scenario and engine.

An :class:`Evaluation` is what an engine says about a scenario, computed once:
the validated scenario, the model version, the kernel era and the cost table it
used, and per strategy a :class:`StrategyResult`: the result row, the virtual
address map, the lowmem budget broken down by consumer, and the limit that
binds ``max_tasks``. The closed form builds one with :func:`evaluation`, the
simulator with :func:`ukspace_lab.sim.simulate_record`. The CLI tables, the
verdict and its sentences, the writeup, the notebook views, plots, widgets
and the report read this record; none of them calls the model again.
``to_frame()`` is the tidy table, ``to_json()`` what ``--json`` prints.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from .costs import CostTable, cost_table
from .inputs import points_from_scenario
from .kernel import KernelEra, kernel_era
from .layout import Area, areas
from .memory import budget
from .scenario import Scenario
from .strategies import Strategy, strategy


@dataclass(frozen=True)
class Consumer:
    """One consumer of lowmem: a fixed part, a part per task, and both at the scenario's
    task count."""

    name: str
    fixed_bytes: float
    per_task_bytes: float
    bytes: float


@dataclass(frozen=True)
class StrategyResult:
    """Everything an engine says about one strategy of one scenario."""

    strategy: str
    design: Strategy                    # the row of the strategy table
    values: Mapping[str, Any]           # the result row (RESULT_KEYS but strategy)
    layout: tuple[Area, ...]            # the 32-bit virtual map, lowest address first
    lowmem: Mapping[str, Consumer]      # lowmem by consumer
    task_limit: str                     # what binds max_tasks
    per_task_lowmem_bytes: float        # one mm with its threads
    engine_values: Mapping[str, Any] = field(default_factory=dict)  # simulator: events, ...

    def __getitem__(self, key: str) -> Any:
        return self.values[key]


@dataclass(frozen=True)
class Evaluation:
    """One scenario through one engine: the record every renderer reads."""

    scenario: Scenario
    model_version: str
    engine: str                          # "closed" or "sim"
    era: KernelEra
    costs: CostTable                     # the scenario's CPU model, overrides applied
    results: Mapping[str, StrategyResult]   # by strategy, in the scenario's order
    distributions: Mapping[str, Any] = field(default_factory=dict)
    seed: int | None = None

    @property
    def strategies(self) -> tuple[str, ...]:
        """The strategies evaluated, in the scenario's order."""
        return tuple(self.results)

    def to_frame(self) -> pd.DataFrame:
        """The tidy table: one row per strategy, the result keys, then the engine's own
        columns, ``point`` and ``model_version`` (as :func:`ukspace_lab.evaluate`)."""
        rows = [{"strategy": r.strategy, **r.values, **r.engine_values}
                for r in self.results.values()]
        df = pd.DataFrame(rows)
        df["point"] = 0
        df["model_version"] = self.model_version
        if self.distributions:
            df.attrs["distributions"] = {k: dict(v) for k, v in self.distributions.items()}
        return df

    def to_json(self, name: str) -> dict[str, Any]:
        """What ``evaluate --json`` (``simulate --json``) prints, ``name`` the scenario
        as given on the command line."""
        results = [{k: _plain(v) for k, v in {"strategy": r.strategy, **r.values,
                                              **r.engine_values}.items()}
                   for r in self.results.values()]
        doc: dict[str, Any] = {"scenario": name, "title": self.scenario.title,
                               "model_version": self.model_version,
                               "parameters": self.scenario.to_plain(),
                               "kernel_era": {"given": self.scenario.machine.kernel,
                                              "era": self.era.name,
                                              "version": self.era.version},
                               "results": results}
        if self.engine != "closed":
            doc["engine"] = self.engine
            doc["seed"] = self.seed
            doc["distributions"] = {
                k: {kk: _plain(vv) if not isinstance(vv, dict | list) else vv
                    for kk, vv in v.items()} for k, v in self.distributions.items()}
        return doc


def _plain(x: Any) -> Any:
    """A JSON-ready scalar: numpy to Python, infinity to null."""
    if isinstance(x, bool):
        return x
    if hasattr(x, "item"):
        x = x.item()
    if isinstance(x, float) and math.isinf(x):
        return None
    return x


def strategy_result(scn: Scenario, row: Mapping[str, Any],
                    engine_values: Mapping[str, Any] | None = None) -> StrategyResult:
    """A :class:`StrategyResult` from one row of a result table (the budget's limit and
    consumers, and the layout, taken from the model at the scenario's point)."""
    name = str(row["strategy"])
    b = budget(points_from_scenario(scn), strategy(name))
    tasks = scn.workload.tasks
    lowmem = MappingProxyType({k: Consumer(k, float(f[0]), float(t[0]),
                                           float(f[0] + tasks * t[0]))
                               for k, (f, t) in b.consumers.items()})
    values = {k: v for k, v in row.items() if k not in ("strategy", "point", "model_version")}
    return StrategyResult(name, strategy(name), MappingProxyType(values),
                          tuple(areas(scn, name)), lowmem,
                          str(b.task_limit[0]), float(b.per_task_lowmem[0]),
                          MappingProxyType(dict(engine_values or {})))


def evaluation(scn: Scenario, frame: pd.DataFrame | None = None, *, engine: str = "closed",
               engine_columns: tuple[str, ...] = (), distributions: Mapping | None = None,
               seed: int | None = None) -> Evaluation:
    """The record of ``scn``: from the closed form, or from an engine's result ``frame``
    (one row per strategy; ``engine_columns`` are kept as the engine's own values)."""
    from .closed import MODEL_VERSION, evaluate

    df = evaluate(scn) if frame is None else _with_interval(scn, frame)
    results = {}
    for row in df.to_dict(orient="records"):
        own = {c: row.pop(c) for c in engine_columns if c in row}
        r = strategy_result(scn, row, own)
        results[r.strategy] = r
    return Evaluation(scn, MODEL_VERSION, engine, kernel_era(scn.machine.kernel),
                      cost_table(scn.machine.cpu_model, scn.costs), MappingProxyType(results),
                      MappingProxyType(dict(distributions or {})), seed)


def _with_interval(scn: Scenario, frame: pd.DataFrame) -> pd.DataFrame:
    """An engine's frame with ``cpu_overhead_pct_low``/``_high``: its own if it measured
    them, else its point scaled by the closed form's interval around its point (the
    cost ranges move both engines' CPU sums alike; docs/kmap-mechanics.md)."""
    ends = ("cpu_overhead_pct_low", "cpu_overhead_pct_high")
    if all(c in frame and frame[c].notna().all() for c in ends):
        return frame
    from .closed import evaluate

    closed = evaluate(scn).set_index("strategy")
    out = frame.copy()
    point = closed.loc[out["strategy"], "cpu_overhead_pct"].to_numpy()
    for c in ends:
        ratio = closed.loc[out["strategy"], c].to_numpy() / np.where(point > 0, point, 1.0)
        scaled = out["cpu_overhead_pct"].to_numpy() * np.where(point > 0, ratio, 1.0)
        out[c] = scaled
    return out


__all__ = ["Consumer", "Evaluation", "StrategyResult", "evaluation", "strategy_result"]
