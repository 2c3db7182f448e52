"""The verdict of a scenario: where the u-k-space proposal wins, loses, and why.

:func:`verdict` compares the proposal (``ukspace``) with a baseline, by default
the design the scenario's kernel era shipped (``mainline`` for 2.4.18 and 2.5,
``highpte`` for 2.6, ``kmap-local`` for modern), from one evaluated record.
It decides each topic (the task count, global flushes, IPIs, CPU time, the
swapout fallback) from comparisons of the results: which is larger, by what
factor, which limit binds. It also holds what the sentences need beyond the
record: the two rows with swapout scanning switched off, the layout of the
same kernel without a region, the break-even sweeps and the cost figures that
matter. :mod:`ukspace_lab.present.findings` words it; the writeup and the
05-verdict notebook read it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from types import MappingProxyType

import pandas as pd

from ..errors import ScenarioError
from ..model.inputs import points_from_scenario
from ..model.kernel import kernel_era
from ..model.layout import address_space
from ..model.record import Evaluation, evaluation
from ..model.scenario import Scenario
from ..model.strategies import strategy, strategy_names
from .breakeven import BreakEven, CostSensitivity, break_evens, cost_sensitivity
from .rows import CPU_NOISE_PCT, Comparison, Row, compare, rows_from

PROPOSAL = "ukspace"
ERA_BASELINE = {"2.4.18": "mainline", "2.5": "mainline", "2.6": "highpte",
                "modern": "kmap-local", "2.5-late": "mainline", "2.6.3x": "highpte"}
DECISIVE = ("capacity", "ipis", "cpu")   # flushes count through their IPIs and cycles


@dataclass(frozen=True)
class Decision:
    """The outcome of one topic and the case that decided it."""

    topic: str      # capacity, flushes, ipis, cpu, swapout
    outcome: str    # win, loss, even, note
    case: str       # the situation, for the words: e.g. "proposal_fits", "negligible"


@dataclass(frozen=True)
class Verdict:
    """Headline rows, comparisons, decisions and break-even points of one scenario."""

    evaluation: Evaluation
    proposal: str
    baseline: str
    tasks: int
    rows: Mapping[str, Row]                 # by strategy, canonical order
    comparisons: Mapping[str, Comparison]   # by metric
    decisions: Mapping[str, Decision]       # by topic
    noscan: Mapping[str, Row]          # proposal and baseline with swapout scanning off
    plain_lowmem_bytes: float          # the same split kernel without a region
    plain_task_size_bytes: float
    region_lowmem_per_task_bytes: float  # the pages that map the proposal's region
    break_evens: tuple[BreakEven, ...]
    sensitivities: tuple[CostSensitivity, ...]
    outcome: str              # wins, loses, mixed, even
    engine: str
    model_version: str

    @property
    def scenario(self) -> Scenario:
        return self.evaluation.scenario

    @property
    def title(self) -> str:
        return self.scenario.title

    def frame(self) -> pd.DataFrame:
        """The rows as a DataFrame (for the notebook)."""
        return pd.DataFrame([{f.name: getattr(r, f.name) for f in fields(Row)}
                             for r in self.rows.values()])


# --- the decisions ----------------------------------------------------------------

def _outcome(c: Comparison) -> str:
    return {"proposal": "win", "baseline": "loss", "tie": "even"}[c.better]


def _capacity(p: Row, b: Row, c: Comparison, tasks: int) -> Decision:
    if not b.fits and p.fits:
        return Decision("capacity", "win", "proposal_fits")
    if b.fits and not p.fits:
        return Decision("capacity", "loss", "baseline_fits")
    if not b.fits and not p.fits:
        return Decision("capacity", _outcome(c), "neither_fits")
    if p.task_limit == b.task_limit and p.max_tasks == b.max_tasks:
        return Decision("capacity", "even", "same")
    if c.better == "tie":
        return Decision("capacity", "even", "tie")
    if min(p.max_tasks, b.max_tasks) / tasks >= 2:
        return Decision("capacity", "even", "headroom")
    return Decision("capacity", _outcome(c), "differ")


def _flushes(c: Comparison) -> Decision:
    if c.better == "tie" and max(c.proposal, c.baseline) <= c.noise:
        return Decision("flushes", "even", "negligible")
    if c.better == "proposal":
        return Decision("flushes", "win", "fewer")
    if c.better == "baseline":
        return Decision("flushes", "loss", "more")
    return Decision("flushes", "even", "same")


def _cpu(p: Row, b: Row, c: Comparison) -> Decision:
    if max(p.cpu_overhead_pct, b.cpu_overhead_pct) < CPU_NOISE_PCT:
        return Decision("cpu", "even", "negligible")
    return Decision("cpu", _outcome(c), "tie" if c.better == "tie" else "differ")


def _swapout(scn: Scenario, pn: str, p: Row, b: Row, noscan: dict[str, Row],
             bn: str) -> Decision | None:
    if scn.workload.scan_pages_per_s <= 0 or strategy(pn).other_pt != "kmap":
        return None
    dp = p.cpu_overhead_pct - noscan[pn].cpu_overhead_pct
    db = b.cpu_overhead_pct - noscan[bn].cpu_overhead_pct
    return Decision("swapout", "loss" if dp - db > CPU_NOISE_PCT else "note", "fallback")


def overall(decisions: Mapping[str, Decision]) -> str:
    """wins, loses, mixed or even: from the decisive topics."""
    by = {t: d.outcome for t, d in decisions.items()}
    decisive = [by[t] for t in DECISIVE if t in by]
    won, lost = "win" in decisive, "loss" in decisive
    return "mixed" if won and lost else "wins" if won else "loses" if lost else "even"


# --- building the verdict ---------------------------------------------------------

def default_baseline(scn: Scenario) -> str:
    """The design the scenario's kernel era shipped."""
    return ERA_BASELINE[kernel_era(scn.machine.kernel).name]


def _check_names(proposal: str, baseline: str) -> None:
    known = strategy_names()
    problems = []
    for label, name in (("baseline", baseline), ("proposal", proposal)):
        if name not in known:
            problems.append(f"{label} {name!r}: unknown strategy; allowed: {', '.join(known)}")
    if not problems and baseline == proposal:
        problems.append(f"baseline {baseline!r}: must differ from the proposal {proposal!r}")
    if problems:
        raise ScenarioError(problems, source="verdict")


def strategies_for(scn: Scenario, strategies: list[str] | None, proposal: str,
                   baseline: str) -> list[str]:
    """The strategies to show: the requested ones plus proposal and baseline, in
    the canonical order of the strategy table."""
    known = strategy_names()
    wanted = set(strategies or scn.strategies) | {proposal, baseline}
    unknown = sorted(wanted - set(known))
    if unknown:
        raise ScenarioError([f"strategies {', '.join(unknown)}: unknown; allowed: "
                             f"{', '.join(known)}"], source="verdict")
    return [s for s in known if s in wanted]


def _record(scn: Scenario, ev: Evaluation | None, names: list[str]) -> Evaluation:
    if ev is None:
        return evaluation(scn.with_overrides({"strategies": names})
                          if list(scn.strategies) != names else scn)
    missing = [n for n in names if n not in ev.strategies]
    if missing:
        raise ScenarioError([f"the record has no result for strategy {', '.join(missing)}; "
                             "include it or let the verdict evaluate"], source="verdict")
    return ev


def verdict(scn: Scenario | Evaluation, baseline: str | None = None, *,
            proposal: str = PROPOSAL, strategies: list[str] | None = None) -> Verdict:
    """The verdict of a scenario (evaluated here by the closed form) or of an evaluated
    record: ``proposal`` against ``baseline`` (default: the era's shipped design)."""
    ev = scn if isinstance(scn, Evaluation) else None
    scn = ev.scenario if ev is not None else scn
    baseline = baseline or default_baseline(scn)
    _check_names(proposal, baseline)
    names = strategies_for(scn, strategies if strategies is not None
                           else (list(ev.strategies) if ev is not None else None),
                           proposal, baseline)
    ev = _record(scn, ev, names)
    rows = rows_from(ev, names)
    by = {r.strategy: r for r in rows}
    p, b = by[proposal], by[baseline]
    comparisons = compare(p, b)
    cmp = {c.metric: c for c in comparisons}
    pair = [s for s in strategy_names() if s in (proposal, baseline)]
    scn0 = scn.with_overrides({"workload.scan_pages_per_s": 0, "strategies": pair})
    noscan = rows_from(evaluation(scn0), pair)
    noscan_by = {r.strategy: r for r in noscan}
    found = [_capacity(p, b, cmp["max_tasks"], scn.workload.tasks),
             _flushes(cmp["global_tlb_flushes_per_s"]),
             Decision("ipis", _outcome(cmp["ipis_per_s"]), "ipis"),
             _cpu(p, b, cmp["cpu_overhead_pct"]),
             _swapout(scn, proposal, p, b, noscan_by, baseline)]
    decisions = MappingProxyType({d.topic: d for d in found if d is not None})
    pts = points_from_scenario(scn)
    plain = address_space(pts, strategy("highpte"))   # a split layout with no region
    extra = ev.results[proposal].lowmem["u-k-space mapping pages"].per_task_bytes
    engine = ev.engine
    return Verdict(ev, proposal, baseline, scn.workload.tasks, MappingProxyType(by),
                   MappingProxyType(cmp), decisions, MappingProxyType(noscan_by),
                   float(plain.lowmem[0]), float(plain.task_size[0]), float(extra),
                   break_evens(scn, by, proposal, baseline),
                   cost_sensitivity(scn, proposal, baseline), overall(decisions),
                   engine, ev.model_version)
