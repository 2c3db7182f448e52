"""The best design that could run a scenario in its era: the verdict's baseline.

A candidate is a strategy the era shipped (``shipped`` in data/strategies.yaml:
vanilla or a vendor kernel of that era) crossed with each shared-segment page
size the era had (:func:`~ukspace_lab.model.largepages.page_options`). The
rule, stated once (:data:`RULE`): among the candidates that fit the
scenario's task count, the one with the cheapest CPU, where CPU figures within
10% of the cheapest (or within the noise floor) count as a tie broken by the
most tasks; if none fits, the most tasks. Later ties keep the table's order,
4 KiB pages before large. The proposal gets the same rule over its own page
options, so it is never handed a page size that is worse for it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ..model.kernel import kernel_era
from ..model.largepages import large_page_mechanism, page_options
from ..model.record import Evaluation, evaluation
from ..model.scenario import Scenario
from ..model.strategies import strategy, strategy_names
from .rows import CPU_NOISE_PCT, TIE_RATIO, Row, rows_from

RULE = ("among the designs of the era that fit the scenario's tasks, the cheapest in CPU; "
        "CPU within 10% (or 0.05 points) counts as a tie, broken by the most tasks; "
        "if none fits, the most tasks")


@dataclass(frozen=True)
class Candidate:
    """One design of the era with one page size for the shared segment, and its row."""

    strategy: str
    page: str                 # workload.shared_segment_page: 4KiB | large
    label: str                # e.g. "mainline+bigpages"
    row: Row

    @property
    def fits(self) -> bool:
        return self.row.fits


def design_label(name: str, page: str, kernel: str, shared: int) -> str:
    """``mainline``, ``mainline+bigpages`` (2.4) or ``highpte+hugetlbfs`` (2.6+)."""
    if page != "large" or shared <= 0:
        return name
    return f"{name}+{large_page_mechanism(kernel)}"


def era_designs(kernel: str, proposal: str) -> tuple[str, ...]:
    """The strategies that shipped in era ``kernel`` (never the proposal's family)."""
    return tuple(n for n in strategy_names()
                 if n != proposal and kernel_era(kernel).name in strategy(n).shipped)


def _cpu_tie(a: float, b: float) -> bool:
    lo, hi = sorted((a, b))
    return hi - lo <= CPU_NOISE_PCT or (lo > 0 and hi / lo <= TIE_RATIO)


def best(cands: Iterable[Candidate]) -> Candidate:
    """The best candidate by :data:`RULE` (the first one on a full tie)."""
    cands = list(cands)
    fitting = [c for c in cands if c.fits]
    if not fitting:
        return max(cands, key=lambda c: c.row.max_tasks)   # max keeps the first on ties
    cheapest = min(c.row.cpu_overhead_pct for c in fitting)
    tied = [c for c in fitting if _cpu_tie(c.row.cpu_overhead_pct, cheapest)]
    return max(tied, key=lambda c: c.row.max_tasks)


def page_records(scn: Scenario, names: list[str]) -> dict[str, Evaluation]:
    """One closed-form record per page option of the era, of strategies ``names``."""
    out = {}
    for page in page_options(scn.machine.kernel):
        s = scn.with_overrides({"workload.shared_segment_page": page, "strategies": names})
        out[page] = evaluation(s)
    return out


def candidates(records: Mapping[str, Evaluation], names: Iterable[str]) -> tuple[Candidate, ...]:
    """Every (strategy, page) of ``names`` over the page ``records``, table order first."""
    out = []
    for name in names:
        for page, ev in records.items():
            w, m = ev.scenario.workload, ev.scenario.machine
            out.append(Candidate(name, page, design_label(name, page, m.kernel,
                                                          w.shared_segment),
                                 rows_from(ev, [name])[0]))
    return tuple(out)
