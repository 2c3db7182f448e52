"""The findings of a scenario: where the u-k-space proposal wins, loses, and why.

:func:`verdict` compares the proposal (``ukspace``) with a baseline, by default
the design the scenario's kernel era shipped (``mainline`` for 2.4.18 and 2.5,
``highpte`` for 2.6, ``kmap-local`` for modern). Every sentence is assembled
from comparisons of the results (which is larger, by what factor, which limit
binds), and break-even points come from sweeping the closed form
(:func:`ukspace_lab.closed.evaluate_points`) with all other inputs fixed.
The writeup (``writeup.py``) and the 05-verdict notebook both read a
:class:`Verdict`. The sentences are built in ``findings.py``, the break-even
points and cost sensitivity in ``breakeven.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import pandas as pd

from .breakeven import BreakEven, CostSensitivity, break_evens, cost_sensitivity
from .closed import MODEL_VERSION, evaluate
from .findings import (  # noqa: F401  (re-exported: the verdict's public vocabulary)
    CPU_NOISE_PCT,
    ERA_BASELINE,
    PROPOSAL,
    Comparison,
    Finding,
    Findings,
    Row,
    _outcome,
    _rows,
    by_factor,
    pct,
    per_s,
    ratio,
    threads_range,
    times,
)
from .scenario import STRATEGIES, Scenario, ScenarioError


@dataclass(frozen=True)
class Verdict:
    """Headline rows, comparisons, findings and break-even points of one scenario."""

    title: str
    proposal: str
    baseline: str
    tasks: int
    rows: tuple[Row, ...]
    comparisons: tuple[Comparison, ...]
    findings: tuple[Finding, ...]
    break_evens: tuple[BreakEven, ...]
    sensitivities: tuple[CostSensitivity, ...]
    outcome: str              # wins, loses, mixed, even
    summary: str
    engine: str
    model_version: str

    def row(self, name: str) -> Row:
        """The row of strategy ``name``."""
        for r in self.rows:
            if r.strategy == name:
                return r
        raise KeyError(f"no row for strategy {name!r} in this verdict")

    def comparison(self, metric: str) -> Comparison:
        return next(c for c in self.comparisons if c.metric == metric)

    def frame(self) -> pd.DataFrame:
        """The rows as a DataFrame (for the notebook)."""
        return pd.DataFrame([{f.name: getattr(r, f.name) for f in fields(Row)}
                             for r in self.rows])

    def flips_text(self) -> str:
        """The swept break-even points as sentences (thread sweeps merged when
        neither flips)."""
        th = [b for b in self.break_evens if b.axis == "workload.threads_per_task"]
        rest = [b.text for b in self.break_evens
                if b.axis not in ("workload.threads_per_task", "workload.tasks")]
        if len(th) == 2 and th[0].value is None and th[1].value is None:
            head = [f"{self.proposal} neither sends more IPIs nor costs more CPU time than "
                    f"{self.baseline} at any thread count up to "
                    f"{threads_range(th[0].searched_to or 0, self.tasks)} (this scenario: "
                    f"{th[0].current:g})."]
        else:
            head = [b.text for b in th]
        return " ".join(head + rest)

    def text(self) -> str:
        """Summary, findings and break-even points as plain paragraphs."""
        ceilings = [b.text for b in self.break_evens if b.axis == "workload.tasks"]
        parts = [self.summary, *(f.text for f in self.findings), " ".join(ceilings),
                 self.flips_text()]
        return "\n\n".join(p for p in parts if p)


# --- building the verdict ---------------------------------------------------------

def default_baseline(scn: Scenario) -> str:
    """The design the scenario's kernel era shipped."""
    return ERA_BASELINE[scn.machine.kernel]


def _check_names(proposal: str, baseline: str) -> None:
    problems = []
    for label, name in (("baseline", baseline), ("proposal", proposal)):
        if name not in STRATEGIES:
            problems.append(f"{label} {name!r}: unknown strategy; allowed: {', '.join(STRATEGIES)}")
    if not problems and baseline == proposal:
        problems.append(f"baseline {baseline!r}: must differ from the proposal {proposal!r}")
    if problems:
        raise ScenarioError(problems, source="verdict")


def strategies_for(scn: Scenario, strategies: list[str] | None, proposal: str,
                   baseline: str) -> list[str]:
    """The strategies to show: the requested ones plus proposal and baseline, in
    the canonical order of STRATEGIES."""
    wanted = set(strategies or scn.strategies) | {proposal, baseline}
    unknown = sorted(wanted - set(STRATEGIES))
    if unknown:
        raise ScenarioError([f"strategies {', '.join(unknown)}: unknown; allowed: "
                             f"{', '.join(STRATEGIES)}"], source="verdict")
    return [s for s in STRATEGIES if s in wanted]


def _results(scn: Scenario, results: pd.DataFrame | None, names: list[str]) -> pd.DataFrame:
    if results is None:
        return evaluate(scn.with_overrides({"strategies": names})
                        if list(scn.strategies) != names else scn)
    if "point" in results.columns and results["point"].nunique() > 1:
        raise ScenarioError([f"results hold {results['point'].nunique()} points; a verdict "
                             "needs one row per strategy (evaluate without sweep axes)"],
                            source="verdict")
    missing = [n for n in names if n not in set(results["strategy"])]
    if missing:
        raise ScenarioError([f"results have no row for strategy {', '.join(missing)}; "
                             f"include it or pass results=None"], source="verdict")
    return results


def verdict(scn: Scenario, results: pd.DataFrame | None = None, baseline: str | None = None,
            *, proposal: str = PROPOSAL, strategies: list[str] | None = None) -> Verdict:
    """The findings of ``scn``: ``proposal`` against ``baseline`` (default: the era's
    shipped design), from ``results`` (one row per strategy) or the closed form."""
    baseline = baseline or default_baseline(scn)
    _check_names(proposal, baseline)
    names = strategies_for(scn, strategies if strategies is not None
                           else (list(results["strategy"]) if results is not None else None),
                           proposal, baseline)
    df = _results(scn, results, names)
    rows = _rows(scn, df, names)
    ctx = Findings(scn, {r.strategy: r for r in rows}, proposal, baseline)
    comparisons = ctx.comparisons()
    findings = tuple(f for f in (ctx.capacity(), ctx.flushes(), ctx.ipis(), ctx.cpu(),
                                 ctx.space(), ctx.swapout(), ctx.halves()) if f is not None)
    outcome, summary = _outcome(findings, proposal, baseline)
    engine = str(df["engine"].iloc[0]) if "engine" in df.columns else "closed"
    return Verdict(scn.title, proposal, baseline, scn.workload.tasks, rows, comparisons,
                   findings, break_evens(scn, ctx.by, proposal, baseline),
                   cost_sensitivity(scn, proposal, baseline), outcome, summary, engine,
                   MODEL_VERSION)
