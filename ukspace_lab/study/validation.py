"""Holding the model against published measurements: run each case, compare.

A :class:`~ukspace_lab.study.cases.Case` names a scenario, a quantity and a
published value. :func:`run_case` evaluates the scenario in the closed form
(:func:`~ukspace_lab.model.record.evaluation`) and reads the quantity:

- ``cpu_seconds``: the CPU time the modelled mechanisms cost over the run,
  ``cpu_overhead_pct / 100 x cpus x run_seconds``;
- ``KEY_count``: a per-second result key times ``run_seconds``
  (``kmaps_per_s_count`` is the kmap calls of the whole run);
- any other result key: its value as it stands (``pagetable_bytes``).

``difference: [A, B]`` is A minus B and ``ratio: [A, B]`` A over B, where A
and B are strategies, or dotted overrides of two variants of the scenario
evaluated with ``strategy``. Where the record carries the cost interval
(``cpu_overhead_pct_low``/``_high``), the quantity is also computed with every
cost at its low and at its high value.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ScenarioError
from ..model.loading import load_scenario
from ..model.record import Evaluation, evaluation
from ..model.scenario import Scenario
from .casefiles import load_case, resolve_case_path, shipped_cases
from .cases import COUNT_SUFFIX, Case

BOUNDS = ("", "_low", "_high")


@dataclass(frozen=True)
class CaseResult:
    """One case run: the prediction beside the published value."""

    id: str
    title: str
    kind: str
    quantity: str
    unit: str
    predicted: float
    published: float
    ratio: float | None            # predicted / published, None when signs differ or 0
    within: bool
    tolerance: str
    predicted_low: float | None    # the quantity with every cost at its low / high value
    predicted_high: float | None
    accept_low: float              # the predictions the tolerance accepts
    accept_high: float
    era: str                       # the kernel era the model used
    source: str                    # the case file
    rates_from: str

    def to_json(self) -> dict[str, Any]:
        """Plain JSON values (what ``validate --json`` prints per case)."""
        return {k: (None if isinstance(v, float) and not math.isfinite(v) else v)
                for k, v in self.__dict__.items()}


def _variant(case: Case, item: Any) -> tuple[Mapping[str, Any], str]:
    """(extra overrides, strategy) of one side of the measure."""
    if isinstance(item, str):
        return {}, item
    return item, str(case.measure.strategy)


def case_scenarios(case: Case) -> list[tuple[Scenario, str]]:
    """The validated scenario and strategy of each side of ``case``'s measure."""
    out = []
    for item in case.measure.items:
        extra, strat = _variant(case, item)
        overrides = {**case.scenario.set, **extra, "strategies": [strat]}
        try:
            out.append((load_scenario(case.scenario.base, overrides), strat))
        except ScenarioError as exc:
            raise ScenarioError([f"scenario: {p}" for p in exc.problems],
                                source=f"case {case.id} ({exc.source})") from None
    return out


def quantity_value(ev: Evaluation, strat: str, quantity: str, run_seconds: float,
                   bound: str = "") -> float | None:
    """``quantity`` of strategy ``strat`` in ``ev`` (``bound`` '_low'/'_high' reads the
    cost interval where the record has one, else None)."""
    values = ev.results[strat].values
    cpus = ev.scenario.machine.cpus
    if quantity == "cpu_seconds":
        pct = values.get("cpu_overhead_pct" + bound)
        return None if pct is None else float(pct) / 100.0 * cpus * run_seconds
    if quantity.endswith(COUNT_SUFFIX) and quantity not in values:
        key, scale = quantity.removesuffix(COUNT_SUFFIX), run_seconds
    else:
        key, scale = quantity, 1.0
    if bound and key + bound not in values:
        return None
    return float(values[key + bound]) * scale


def _combine(form: str, a: float, b: float) -> float:
    if form == "difference":
        return a - b
    if form == "ratio":
        return a / b if b != 0 else math.inf
    return a


def predict(case: Case) -> tuple[float, float | None, float | None, str]:
    """(predicted, at low costs, at high costs, era) of ``case``."""
    runs = [(evaluation(scn), strat) for scn, strat in case_scenarios(case)]
    m = case.measure
    out: list[float | None] = []
    for bound in BOUNDS:
        sides = [quantity_value(ev, s, m.quantity, m.run_seconds, bound) for ev, s in runs]
        if any(v is None for v in sides):
            out.append(None)
            continue
        vals = [float(v) for v in sides if v is not None]
        out.append(_combine(m.form, vals[0], vals[-1]) if len(vals) == 2 else vals[0])
    point, lo, hi = out
    if lo is not None and hi is not None:
        lo, hi = min(lo, hi), max(lo, hi)
    era = getattr(runs[0][0].era, "name", None) or runs[0][0].scenario.machine.kernel
    assert point is not None
    return point, lo, hi, str(era)


def run_case(case: Case, source: str = "") -> CaseResult:
    """Evaluate ``case`` and compare with its published value."""
    predicted, lo, hi, era = predict(case)
    published = case.published.value
    same_sign = predicted != 0 and published != 0 and (predicted > 0) == (published > 0)
    ratio = predicted / published if same_sign else None
    within = math.isfinite(predicted) and case.tolerance.within(predicted, published)
    a, b = case.tolerance.band(published)
    return CaseResult(case.id, case.title, case.kind, case.measure.quantity, case.published.unit,
                      predicted, published, ratio, within, case.tolerance.text(), lo, hi, a, b,
                      era, source, case.rates_from)


def results_frame(results: Iterable[CaseResult]) -> Any:
    """The results as a tidy table, one row per case (what the notebook plots)."""
    import pandas as pd

    return pd.DataFrame([r.to_json() for r in results])


def load_cases(names: Iterable[str | Path] | None = None) -> list[tuple[Case, Path]]:
    """The cases named (paths or shipped ids), else every shipped case; all are read and
    checked before any runs, so a malformed file stops the run at once."""
    paths = [resolve_case_path(n) for n in names] if names else shipped_cases()
    if not paths:
        raise ScenarioError(["no case files in data/validation/"], source="validate")
    return [(load_case(p), p) for p in paths]


def validate(names: Iterable[str | Path] | None = None) -> list[CaseResult]:
    """Run the cases named (default: every shipped one), one :class:`CaseResult` each."""
    return [run_case(case, path.name) for case, path in load_cases(names)]


__all__ = ["CaseResult", "case_scenarios", "load_cases", "predict", "quantity_value",
           "results_frame", "run_case", "validate"]
