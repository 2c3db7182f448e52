"""The headline row of each strategy and the comparison of two of them.

A :class:`Row` is copied from an evaluated record; a :class:`Comparison` says,
for one metric, which of the proposal and the baseline is better, by what
factor, and when the difference is a tie (within 10%, or below a noise floor).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

from ..model.record import Evaluation

TIE_RATIO = 1.10          # within 10% of each other: "about the same"
CPU_NOISE_PCT = 0.05      # CPU differences below this many points do not matter
MAX_THREADS_SWEPT = 4096
MAX_SCAN_SWEPT = 1e7      # PTEs/s: 40 GB/s of mapped memory scanned
COMPARED = (  # metric, higher is better, differences up to this are noise
    ("max_tasks", True, 0.0),
    ("global_tlb_flushes_per_s", False, 10.0),
    ("ipis_per_s", False, 10.0),
    ("kmap_lock_utilization", False, 0.001),
    ("cpu_overhead_pct", False, CPU_NOISE_PCT),
    ("lowmem_bytes", True, 0.0),
    ("user_vaddr_bytes", True, 0.0),
)


@dataclass(frozen=True)
class Row:
    """The headline numbers of one strategy (copied from the result table)."""

    strategy: str
    lowmem_bytes: float
    lowmem_free_bytes: float
    pagetable_lowmem_bytes: float
    pte_pages_per_task: float
    per_task_lowmem_bytes: float
    max_tasks: float
    task_limit: str           # which limit binds max_tasks: lowmem, highmem or PID_MAX
    fits: bool
    user_vaddr_bytes: float
    region_bytes: float
    kmaps_per_s: float
    global_tlb_flushes_per_s: float
    ipis_per_s: float
    local_tlb_flushes_per_s: float
    invlpg_per_s: float
    kmap_lock_utilization: float
    cpu_overhead_pct: float
    cpu_overhead_pct_low: float    # every cost at its low end (data/costs.yaml)
    cpu_overhead_pct_high: float   # every cost at its high end

    @property
    def cpu_overhead_range(self) -> tuple[float, float]:
        """(low, high) CPU over the cost ranges."""
        return self.cpu_overhead_pct_low, self.cpu_overhead_pct_high


def ratio(a: float, b: float) -> float:
    """max/min of two non-negative numbers (1 when equal, inf when one is 0)."""
    lo, hi = sorted((abs(a), abs(b)))
    if hi == 0:
        return 1.0
    return math.inf if lo == 0 else hi / lo


@dataclass(frozen=True)
class Comparison:
    """The proposal against the baseline on one metric."""

    metric: str
    proposal: float
    baseline: float
    higher_is_better: bool
    noise: float              # absolute differences up to this are a tie

    @property
    def better(self) -> str:
        """'proposal', 'baseline' or 'tie'."""
        p, b = self.proposal, self.baseline
        if abs(p - b) <= self.noise or ratio(p, b) <= TIE_RATIO:
            return "tie"
        return "proposal" if (p > b) == self.higher_is_better else "baseline"

    @property
    def factor(self) -> float:
        """Larger over smaller (inf when the smaller is 0)."""
        return ratio(self.proposal, self.baseline)


_COPIED = tuple(f.name for f in fields(Row)
                if f.name not in ("strategy", "task_limit", "fits", "per_task_lowmem_bytes"))


def rows_from(ev: Evaluation, names: list[str]) -> tuple[Row, ...]:
    """The rows of strategies ``names`` of a record, in that order."""
    out = []
    for name in names:
        r = ev.results[name]
        fits = bool(r["lowmem_free_bytes"] >= 0 and ev.scenario.workload.tasks <= r["max_tasks"])
        out.append(Row(strategy=name, task_limit=r.task_limit, fits=fits,
                       per_task_lowmem_bytes=r.per_task_lowmem_bytes,
                       **{k: float(r[k]) for k in _COPIED}))
    return tuple(out)


def compare(p: Row, b: Row) -> tuple[Comparison, ...]:
    """The proposal's row against the baseline's on every compared metric."""
    return tuple(Comparison(metric, getattr(p, metric), getattr(b, metric), up, noise)
                 for metric, up, noise in COMPARED)
