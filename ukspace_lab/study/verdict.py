"""The verdict of a scenario: where the u-k-space proposal wins, loses, and why.

:func:`verdict` compares the proposal (``ukspace``) with a baseline, by default
the best design that could run the scenario in its era: each design the era
shipped, with each page size of the shared segment it had (bigpages on 2.4,
hugetlbfs on 2.6), chosen by the rule of :mod:`~ukspace_lab.study.candidates`;
the proposal gets its own best page size by the same rule.
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
from ..model.layout import address_space, placement
from ..model.record import Evaluation, evaluation
from ..model.scenario import Scenario
from ..model.strategies import strategy, strategy_names
from .breakeven import BreakEven, CostSensitivity, break_evens, cost_sensitivity
from .candidates import RULE, Candidate, best, candidates, era_designs, page_records
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
    baseline_design: str = ""   # the baseline with its page size, e.g. mainline+bigpages
    proposal_design: str = ""
    baseline_page: str = "4KiB"
    proposal_page: str = "4KiB"
    candidates: tuple[Candidate, ...] = ()   # the era's designs the baseline was chosen from
    rule: str = RULE
    placement: str = "kernel"   # where the proposal's region sits: hole, kernel, user, none

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
    """The design the scenario's kernel era shipped as its default kernel (the old
    fixed baseline; the verdict now takes the best design of the era, candidates.py)."""
    return ERA_BASELINE[kernel_era(scn.machine.kernel).name]


def _check_names(proposal: str, baseline: str | None) -> None:
    known = strategy_names()
    problems = []
    for label, name in (("baseline", baseline), ("proposal", proposal)):
        if name is not None and name not in known:
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


def _records(scn: Scenario, ev: Evaluation | None, names: list[str],
             pool: tuple[str, ...]) -> dict[str, Evaluation]:
    """The records to choose from: one per page option of the era (closed form), or
    the given record alone (its own page option)."""
    if ev is None:
        return page_records(scn, [s for s in strategy_names() if s in set(names) | set(pool)])
    missing = [n for n in names if n not in ev.strategies]
    if missing:
        raise ScenarioError([f"the record has no result for strategy {', '.join(missing)}; "
                             "include it or let the verdict evaluate"], source="verdict")
    return {ev.scenario.workload.shared_segment_page: ev}


def _pool(scn: Scenario, ev: Evaluation | None, baseline: str | None,
          proposal: str) -> tuple[str, ...]:
    if baseline is not None:
        return (baseline,)
    pool = era_designs(scn.machine.kernel, proposal)
    if ev is not None:
        pool = tuple(n for n in pool if n in ev.strategies) or \
            tuple(n for n in ev.strategies if n != proposal)[:1]
    return pool or (default_baseline(scn),)


def verdict(scn: Scenario | Evaluation, baseline: str | None = None, *,
            proposal: str = PROPOSAL, strategies: list[str] | None = None) -> Verdict:
    """The verdict of a scenario (evaluated here by the closed form, at each page size
    of the shared segment the era had) or of an evaluated record: ``proposal`` at its
    best page size against the best design of the era (candidates.RULE), or against
    ``baseline`` at its best page size when one is named."""
    ev = scn if isinstance(scn, Evaluation) else None
    scn = ev.scenario if ev is not None else scn
    _check_names(proposal, baseline)
    pool = _pool(scn, ev, baseline, proposal)
    asked = strategies if strategies is not None else \
        (list(ev.strategies) if ev is not None else None)
    records = _records(scn, ev, strategies_for(scn, asked, proposal, pool[0]), pool)
    cands = candidates(records, pool)
    b_c = best(cands)
    p_c = best(candidates(records, [proposal]))
    baseline = b_c.strategy
    names = strategies_for(scn, asked, proposal, baseline)
    ev = records[b_c.page]
    scn = ev.scenario
    by = {r.strategy: r for r in rows_from(ev, names)}
    by[proposal] = p_c.row
    p, b = by[proposal], by[baseline]
    comparisons = compare(p, b)
    cmp = {c.metric: c for c in comparisons}
    noscan_by = {}
    for c in (p_c, b_c):
        s0 = records[c.page].scenario.with_overrides(
            {"workload.scan_pages_per_s": 0, "strategies": [c.strategy]})
        noscan_by[c.strategy] = rows_from(evaluation(s0), [c.strategy])[0]
    found = [_capacity(p, b, cmp["max_tasks"], scn.workload.tasks),
             _flushes(cmp["global_tlb_flushes_per_s"]),
             Decision("ipis", _outcome(cmp["ipis_per_s"]), "ipis"),
             _cpu(p, b, cmp["cpu_overhead_pct"]),
             _swapout(scn, proposal, p, b, noscan_by, baseline)]
    decisions = MappingProxyType({d.topic: d for d in found if d is not None})
    pts = points_from_scenario(scn)
    plain = address_space(pts, strategy("highpte"))   # a split layout with no region
    extra = records[p_c.page].results[proposal].lowmem["u-k-space mapping pages"]
    return Verdict(ev, proposal, baseline, scn.workload.tasks, MappingProxyType(by),
                   MappingProxyType(cmp), decisions, MappingProxyType(noscan_by),
                   float(plain.lowmem[0]), float(plain.task_size[0]),
                   float(extra.per_task_bytes),
                   break_evens(scn, by, proposal, baseline),
                   cost_sensitivity(scn, proposal, baseline), overall(decisions),
                   ev.engine, ev.model_version, b_c.label, p_c.label, b_c.page, p_c.page,
                   cands, RULE, placement(scn, proposal))
