"""The findings of a scenario: where the u-k-space proposal wins, loses, and why.

:func:`verdict` compares the proposal (``ukspace``) with a baseline, by default
the design the scenario's kernel era shipped (``mainline`` for 2.4.18 and 2.5,
``highpte`` for 2.6, ``kmap-local`` for modern). Every sentence is assembled
from comparisons of the results (which is larger, by what factor, which limit
binds), and break-even points come from sweeping the closed form
(:func:`ukspace_lab.closed.evaluate_points`) with all other inputs fixed.
The writeup (``writeup.py``) and the 05-verdict notebook both read a
:class:`Verdict`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np
import pandas as pd

from . import fmt
from .closed import MODEL_VERSION, evaluate, evaluate_points
from .costs import COST_FIELDS, cost_sources
from .inputs import Points, points_from_arrays, points_from_scenario
from .kernel import kernel_era
from .layout import address_space
from .memory import budget
from .pagetables import PAGE, pte_pages, ptrs_per_pte
from .scenario import STRATEGIES, Scenario, ScenarioError
from .strategies import strategy

PROPOSAL = "ukspace"
ERA_BASELINE = {"2.4.18": "mainline", "2.5": "mainline", "2.6": "highpte",
                "modern": "kmap-local"}
TIE_RATIO = 1.10          # within 10% of each other: "about the same"
CPU_NOISE_PCT = 0.05      # CPU differences below this many points do not matter
FLOOR_STRATEGY = "flat64"
PROPOSAL_FAMILY = ("ukspace", "ukspace-pt", "ukspace-kmap")
MAX_THREADS_SWEPT = 4096
MAX_SCAN_SWEPT = 1e7      # PTEs/s: 40 GB/s of mapped memory scanned


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


@dataclass(frozen=True)
class Finding:
    """One sentence group of the verdict, on one topic."""

    topic: str      # capacity, flushes, ipis, cpu, space, swapout, halves
    outcome: str    # win, loss, even, note
    text: str


@dataclass(frozen=True)
class BreakEven:
    """Where a comparison flips when one input is swept (others fixed)."""

    name: str
    axis: str
    value: float | None       # None: no flip within the searched range
    current: float
    text: str
    searched_to: float | None = None


@dataclass(frozen=True)
class CostSensitivity:
    """How the CPU gap (baseline minus proposal, points of CPU) moves with one figure."""

    name: str
    value: float
    basis: str                # estimate, sourced, or scenario (overridden)
    source: str
    gap: float
    gap_doubled: float
    gap_halved: float

    @property
    def swing(self) -> float:
        return max(abs(self.gap_doubled - self.gap), abs(self.gap_halved - self.gap))

    @property
    def flips(self) -> bool:
        """Does doubling or halving the figure change who is cheaper?"""
        return any(abs(g) > CPU_NOISE_PCT and np.sign(g) != np.sign(self.gap)
                   for g in (self.gap_doubled, self.gap_halved)) and abs(self.gap) > CPU_NOISE_PCT


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
                    f"{_threads_range(th[0].searched_to or 0, self.tasks)} (this scenario: "
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


# --- formatting helpers used in sentences ----------------------------------------

def ratio(a: float, b: float) -> float:
    """max/min of two non-negative numbers (1 when equal, inf when one is 0)."""
    lo, hi = sorted((abs(a), abs(b)))
    if hi == 0:
        return 1.0
    return math.inf if lo == 0 else hi / lo


def times(f: float) -> str:
    """A factor to two significant figures: ``5.6x``, ``25x``, ``7,700x``."""
    if math.isinf(f):
        return "infinitely"
    return f"{float(f'{f:.2g}'):,.2g}x" if f < 9.95 else f"{float(f'{f:.2g}'):,.0f}x"


def pct(x: float) -> str:
    """Percentages without exponents: tiny values as ``<0.001%``."""
    if x != 0 and abs(x) < 0.001:
        return "<0.001%"
    return fmt.pct(x)


def per_s(x: float, noun: str = "") -> str:
    """A rate with its unit: ``4.43k/s`` or ``4.43k IPIs/s``."""
    return f"{fmt.rate(x)} {noun}/s" if noun else f"{fmt.rate(x)}/s"


def by_factor(c: Comparison, more: str, less: str) -> str:
    """``, 5.6x less`` or ``, 2x more``; ``, none left`` when the proposal has
    none, nothing when the baseline has none (the numbers already say it)."""
    if math.isinf(c.factor):
        return ", none left" if c.proposal == 0 else ""
    return f", {times(c.factor)} {more if c.proposal > c.baseline else less}"


def _threads_range(top: float, tasks: int) -> str:
    note = f", all PID_MAX allows at {fmt.count(tasks)} tasks" \
        if top < MAX_THREADS_SWEPT else ""
    return f"{fmt.count(top)} per task{note}"


def _plural(n: float, word: str) -> str:
    return f"{fmt.count(n)} {word}{'' if n == 1 else 's'}"


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


def _task_limit(p: Points, name: str) -> tuple[str, float, float]:
    """(binding limit, max tasks, lowmem per task) of a strategy (memory.budget)."""
    s = strategy(name)
    b = budget(p, s)
    per_task = float(b.per_task_lowmem[0])
    low = math.floor(max(float(b.space.lowmem[0] - b.fixed[0]), 0.0) / per_task)
    pid = math.floor(float(p.era("pid_max")[0] / p["threads"][0]))
    highmem = float(b.space.highmem[0])
    pte_bytes = float(b.pte_pages_per_task[0]) * PAGE
    high = math.inf if (s.pte_home == "lowmem" or highmem <= 0 or pte_bytes <= 0) \
        else math.floor(highmem / pte_bytes)
    limits = {"lowmem": low, "highmem": high, "PID_MAX": pid}
    name_ = min(limits, key=lambda k: limits[k])
    return name_, limits[name_], per_task


def _rows(scn: Scenario, df: pd.DataFrame, names: list[str]) -> tuple[Row, ...]:
    p = points_from_scenario(scn)
    out = []
    for name in names:
        r = df[df["strategy"] == name].iloc[0]
        limit, _, per_task = _task_limit(p, name)
        fits = bool(r["lowmem_free_bytes"] >= 0 and scn.workload.tasks <= r["max_tasks"])
        out.append(Row(
            strategy=name, task_limit=limit, fits=fits, per_task_lowmem_bytes=per_task,
            **{f.name: float(r[f.name]) for f in fields(Row)
               if f.name not in ("strategy", "task_limit", "fits", "per_task_lowmem_bytes")}))
    return tuple(out)


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
    ctx = _Context(scn, {r.strategy: r for r in rows}, proposal, baseline)
    comparisons = ctx.comparisons()
    findings = tuple(f for f in (ctx.capacity(), ctx.flushes(), ctx.ipis(), ctx.cpu(),
                                 ctx.space(), ctx.swapout(), ctx.halves()) if f is not None)
    outcome, summary = _outcome(findings, proposal, baseline)
    engine = str(df["engine"].iloc[0]) if "engine" in df.columns else "closed"
    return Verdict(scn.title, proposal, baseline, scn.workload.tasks, rows, comparisons,
                   findings, break_evens(scn, ctx.by, proposal, baseline),
                   cost_sensitivity(scn, proposal, baseline), outcome, summary, engine,
                   MODEL_VERSION)


MAJOR_TOPICS = {"capacity": "the task count", "flushes": "global TLB flushes",
                "ipis": "IPIs", "cpu": "CPU time"}
DECISIVE = ("capacity", "ipis", "cpu")   # flushes count through their IPIs and cycles
COMPARED = (  # metric, higher is better, differences up to this are noise
    ("max_tasks", True, 0.0),
    ("global_tlb_flushes_per_s", False, 10.0),
    ("ipis_per_s", False, 10.0),
    ("kmap_lock_utilization", False, 0.001),
    ("cpu_overhead_pct", False, CPU_NOISE_PCT),
    ("lowmem_bytes", True, 0.0),
    ("user_vaddr_bytes", True, 0.0),
)


def _outcome(findings: tuple[Finding, ...], p: str, b: str) -> tuple[str, str]:
    """The overall outcome (from the decisive topics) and a one-line summary."""
    by = {f.topic: f.outcome for f in findings if f.topic in MAJOR_TOPICS}
    decisive = [by[t] for t in DECISIVE if t in by]
    won, lost = "win" in decisive, "loss" in decisive
    outcome = "mixed" if won and lost else "wins" if won else "loses" if lost else "even"
    parts = []
    for result, verb in (("win", "wins on"), ("loss", "loses on"), ("even", "is level on")):
        topics = [MAJOR_TOPICS[t] for t in MAJOR_TOPICS if by.get(t) == result]
        if topics:
            parts.append(f"{verb} {_join(topics)}")
    return outcome, f"Against {b}, {p} {'; '.join(parts)}."


def _join(items: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def region_cost(scn: Scenario, name: str) -> tuple[float, float, float]:
    """(lowmem and user space of the same split kernel without a region, lowmem
    per task for the pages that map the region) of strategy ``name``."""
    pts = points_from_scenario(scn)
    plain = address_space(pts, strategy("highpte"))   # a split layout with no region
    extra = float(budget(pts, strategy(name)).region_pt_pages_per_task[0]) * PAGE
    return float(plain.lowmem[0]), float(plain.task_size[0]), extra


class _Context:
    """The pieces every finding needs: the scenario, the rows, the two names."""

    def __init__(self, scn: Scenario, by: dict[str, Row], proposal: str, baseline: str):
        self.scn, self.by, self.pn, self.bn = scn, by, proposal, baseline
        self.p, self.b = by[proposal], by[baseline]
        self.w, self.m = scn.workload, scn.machine
        self._noscan_rows: dict[str, Row] | None = None

    def comparisons(self) -> tuple[Comparison, ...]:
        p, b = self.p, self.b
        return tuple(Comparison(metric, getattr(p, metric), getattr(b, metric), up, noise)
                     for metric, up, noise in COMPARED)

    def _cmp(self, metric: str) -> Comparison:
        return next(c for c in self.comparisons() if c.metric == metric)

    @staticmethod
    def _outcome(c: Comparison) -> str:
        return {"proposal": "win", "baseline": "loss", "tie": "even"}[c.better]

    def _limit_phrase(self, r: Row) -> str:
        """Which limit binds a strategy's task count, in words (no parentheses)."""
        if r.task_limit == "highmem":
            pte = fmt.size(r.pte_pages_per_task * PAGE)
            return f"highmem, filled by {pte} of PTE pages per task"
        if r.task_limit == "PID_MAX":
            pid = kernel_era(self.m.kernel).pid_max
            return f"PID_MAX, {fmt.count(pid)} PIDs at {self.w.threads_per_task} per task"
        return f"lowmem, at {fmt.size(r.per_task_lowmem_bytes)} per task"

    def _pte_detail(self, r: Row) -> str:
        shared = int(pte_pages(self.w.shared_segment, self.m.arch == "i386-pae"))
        n = r.pte_pages_per_task
        tail = (f", {fmt.count(shared)} of them for the {fmt.size(self.w.shared_segment)} "
                "shared segment") if shared and shared >= n / 2 else ""
        return f"{_plural(n, 'PTE page')}{tail}"

    def capacity(self) -> Finding:
        p, b, T = self.p, self.b, self.w.tasks
        c = self._cmp("max_tasks")
        factor = by_factor(c, "as many", "fewer")
        if not b.fits and p.fits:
            share = b.pagetable_lowmem_bytes / T / b.per_task_lowmem_bytes
            why = (f", {pct(100 * share)} of it pagetables ({self._pte_detail(b)})"
                   if share > 0.5 else "")
            text = (f"On {b.strategy} the {fmt.count(T)} tasks do not fit. Each needs "
                    f"{fmt.size(b.per_task_lowmem_bytes)} of lowmem{why}, so lowmem runs "
                    f"out at {fmt.count(b.max_tasks)} tasks. {p.strategy} keeps PTE pages "
                    f"in highmem and fits {fmt.count(p.max_tasks)}"
                    f"{factor}; its limit is {self._limit_phrase(p)}.")
            if p.task_limit == "highmem":
                left = ("the shared segment, private memory and page cache"
                        if self.w.shared_segment else "private memory and page cache")
                text += (" At that count PTE pages alone would fill highmem, leaving "
                         f"nothing for {left}, so the practical ceiling is lower.")
            return Finding("capacity", "win", text)
        if b.fits and not p.fits:
            text = (f"On {p.strategy} the {fmt.count(T)} tasks do not fit: its limit is "
                    f"{self._limit_phrase(p)}, reached at {fmt.count(p.max_tasks)} tasks. "
                    f"{b.strategy} fits {fmt.count(b.max_tasks)}; its limit is "
                    f"{self._limit_phrase(b)}.")
            return Finding("capacity", "loss", text)
        if not b.fits and not p.fits:
            text = (f"Neither design fits the {fmt.count(T)} tasks. {b.strategy} stops at "
                    f"{fmt.count(b.max_tasks)} ({self._limit_phrase(b)}), {p.strategy} at "
                    f"{fmt.count(p.max_tasks)} ({self._limit_phrase(p)}).")
            return Finding("capacity", self._outcome(c), text)
        if p.task_limit == b.task_limit and p.max_tasks == b.max_tasks:
            return Finding("capacity", "even",
                           f"Both fit the {fmt.count(T)} tasks and both stop at "
                           f"{fmt.count(p.max_tasks)}, on {self._limit_phrase(p)}.")
        text = (f"Both fit the {fmt.count(T)} tasks. {b.strategy} tops out at "
                f"{fmt.count(b.max_tasks)} ({self._limit_phrase(b)}), {p.strategy} at "
                f"{fmt.count(p.max_tasks)} ({self._limit_phrase(p)})")
        if c.better == "tie":
            return Finding("capacity", "even", text + ", about the same.")
        text += f"{factor}."
        extra = p.per_task_lowmem_bytes - b.per_task_lowmem_bytes
        if c.better == "baseline" and p.task_limit == "lowmem" and extra > 0:
            text += (f" The difference is the {fmt.size(extra)} of lowmem each task pays "
                     "for the pages that map its region.")
        elif c.better == "baseline" and p.task_limit == "highmem":
            text += (f" Highmem is small here ({fmt.size(self.m.ram - p.lowmem_bytes)}), "
                     "so moving PTE pages into it lowers the ceiling.")
        headroom = min(p.max_tasks, b.max_tasks) / T
        if headroom >= 2:
            text += (f" Either ceiling is {times(headroom)} the tasks modelled, so it does "
                     "not matter for this workload.")
            return Finding("capacity", "even", text)
        return Finding("capacity", self._outcome(c), text)

    def flushes(self) -> Finding:
        p, b = self.p, self.b
        c = self._cmp("global_tlb_flushes_per_s")
        lock = self._cmp("kmap_lock_utilization")
        if c.better == "tie" and max(c.proposal, c.baseline) <= c.noise:
            text = (f"Global TLB flushes are negligible in both: "
                    f"{per_s(b.global_tlb_flushes_per_s)} for {b.strategy}, "
                    f"{per_s(p.global_tlb_flushes_per_s)} for {p.strategy}.")
            if b.invlpg_per_s > 0:
                text += (f" {b.strategy} maps highmem with kmap_atomic instead and pays an "
                         f"invlpg per mapping, {per_s(b.invlpg_per_s, 'invlpg')}.")
            return Finding("flushes", "even", text)
        if c.better == "proposal":
            text = (f"{p.strategy} cuts global TLB flushes (flush_all_zero_pkmaps, then "
                    f"flush_tlb_all to every CPU) from {per_s(b.global_tlb_flushes_per_s)} to "
                    f"{per_s(p.global_tlb_flushes_per_s)}{by_factor(c, 'more', 'fewer')}")
            if lock.better == "proposal":
                text += (f", and kmap_lock from {pct(100 * b.kmap_lock_utilization)} busy to "
                         f"{pct(100 * p.kmap_lock_utilization)}")
            text += ": highmem reads map through each task's own pool, not the global one."
            if p.global_tlb_flushes_per_s > 0:
                text += f" {self._residual_phrase()}"
            return Finding("flushes", "win", text)
        if c.better == "baseline":
            text = (f"{p.strategy} does more global TLB flushes than {b.strategy}: "
                    f"{per_s(p.global_tlb_flushes_per_s)} against "
                    f"{per_s(b.global_tlb_flushes_per_s)}. {self._residual_phrase()}")
            return Finding("flushes", "loss", text)
        text = (f"Global TLB flushes are about the same: {per_s(p.global_tlb_flushes_per_s)} "
                f"for {p.strategy}, {per_s(b.global_tlb_flushes_per_s)} for {b.strategy}.")
        return Finding("flushes", "even", text)

    def _noscan(self) -> dict[str, Row]:
        """The two rows again with swapout scanning switched off (closed form)."""
        if self._noscan_rows is None:
            names = [s for s in STRATEGIES if s in (self.pn, self.bn)]
            scn0 = self.scn.with_overrides({"workload.scan_pages_per_s": 0, "strategies": names})
            self._noscan_rows = {r.strategy: r for r in _rows(scn0, evaluate(scn0), names)}
        return self._noscan_rows

    def _residual_phrase(self) -> str:
        g = self.p.global_tlb_flushes_per_s
        share = 1 - self._noscan()[self.pn].global_tlb_flushes_per_s / g if g else 0.0
        if share >= 0.995:
            return ("The flushes left all come from swapout scanning other mms' PTE pages, "
                    "which still goes through the global kmap.")
        if share > 0.005:
            return (f"Of those, {pct(100 * share)} come from swapout scanning other mms' "
                    "PTE pages through the global kmap.")
        return "They come from the data path, not from swapout scanning."

    def ipis(self) -> Finding:
        p, w = self.p, self.w
        c = self._cmp("ipis_per_s")
        glob_ipis = p.global_tlb_flushes_per_s * (self.m.cpus - 1)
        pool_ipis = max(p.ipis_per_s - glob_ipis, 0.0)
        wraps = p.local_tlb_flushes_per_s
        tail = self._vs_ipis(c)
        if strategy(self.pn).pool and w.threads_per_task > 1 and wraps > 0:
            text = (f"Threads take the pool's locality away. Each of the "
                    f"{_plural(w.tasks, 'mm')} runs {w.threads_per_task} threads on several "
                    f"CPUs at once, so each of the pool's {per_s(wraps, 'wraps')} is a "
                    f"flush_tlb_mm() that IPIs {pool_ipis / wraps:.2g} other CPUs on average, "
                    "and a switch between two threads of one mm reloads no CR3, so the free "
                    f"reset at context switch never happens. {tail}")
        elif strategy(self.pn).pool and w.threads_per_task == 1:
            if self.scn.ukspace.piggyback and w.ctxsw_per_s > 0:
                text = (f"Every task is single-threaded, so the CR3 reload at each of its "
                        f"{fmt.rate(w.ctxsw_per_s)} context switches/s resets its pool for "
                        f"free; pool wraps that need a flush of their own come to "
                        f"{per_s(wraps)} machine-wide. {tail}")
            else:
                text = (f"With no reset at context switch the pools flush themselves "
                        f"{per_s(wraps)} machine-wide, each on its own CPU. {tail}")
        else:
            text = tail
        return Finding("ipis", self._outcome(c), text)

    def _vs_ipis(self, c: Comparison) -> str:
        pn, bn, pv, bv = self.pn, self.bn, c.proposal, c.baseline
        if max(pv, bv) <= c.noise:
            return (f"IPIs are negligible in both: {per_s(pv, 'IPIs')} for {pn}, "
                    f"{per_s(bv)} for {bn}.")
        if c.better == "tie":
            return f"IPIs are about the same: {per_s(pv, 'IPIs')} for {pn}, {per_s(bv)} for {bn}."
        return (f"{pn} sends {per_s(pv, 'IPIs')} against {per_s(bv)} for {bn}"
                f"{by_factor(c, 'more', 'fewer')}.")

    def cpu(self) -> Finding:
        p, b = self.p, self.b
        c = self._cmp("cpu_overhead_pct")
        cpus = self.m.cpus
        text = (f"In CPU time {p.strategy} costs {pct(p.cpu_overhead_pct)} of the "
                f"{_plural(cpus, 'CPU')} against {pct(b.cpu_overhead_pct)} for {b.strategy}")
        if max(p.cpu_overhead_pct, b.cpu_overhead_pct) < CPU_NOISE_PCT:
            return Finding("cpu", "even", text + f"; both are below {pct(CPU_NOISE_PCT)} "
                           "of the machine, too little to measure.")
        if c.better == "tie":
            text += ", the same within 10%."
        else:
            text += f"{by_factor(c, 'more', 'less')}."
        if max(p.cpu_overhead_pct, b.cpu_overhead_pct) > 100:
            text += (" Past 100% the machine could not keep up at all; read the figures as "
                     "relative cost.")
        if not b.fits:
            text += (f" A {b.strategy} box cannot hold {fmt.count(self.w.tasks)} tasks at "
                     "all, so its figures are what it would pay if it could.")
        others = [r for r in self.by.values()
                  if r.strategy not in PROPOSAL_FAMILY and r.strategy != FLOOR_STRATEGY]
        best = min(others, key=lambda r: (r.cpu_overhead_pct, STRATEGIES.index(r.strategy)))
        if best.cpu_overhead_pct * TIE_RATIO < p.cpu_overhead_pct and \
                p.cpu_overhead_pct - best.cpu_overhead_pct > CPU_NOISE_PCT:
            how = "cheaper still" if c.better == "proposal" else "the cheapest design here"
            text += (f" {best.strategy} is {how} at {pct(best.cpu_overhead_pct)}, "
                     f"{times(ratio(best.cpu_overhead_pct, p.cpu_overhead_pct))} below "
                     f"{p.strategy}.")
        elif all(p.cpu_overhead_pct <= r.cpu_overhead_pct * TIE_RATIO for r in others):
            floor = self.by.get(FLOOR_STRATEGY) if self.bn != FLOOR_STRATEGY else None
            text += " No other 32-bit design in the table is cheaper" + (
                f"; the 64-bit floor (flat64) is {pct(floor.cpu_overhead_pct)}." if floor
                else ".")
        return Finding("cpu", self._outcome(c), text)

    def space(self) -> Finding | None:
        p, u = self.p, self.scn.ukspace
        if p.region_bytes <= 0:
            return None
        plain_low, plain_user, extra = region_cost(self.scn, self.pn)
        pmd = (", its own copy of the kernel pmd included"
               if self.m.arch == "i386-pae" and u.carve_from == "kernel" else "")
        if u.carve_from == "kernel":
            if p.lowmem_bytes < plain_low:
                moved = (f"so the direct map, and lowmem, shrink from "
                         f"{fmt.size(plain_low)} to {fmt.size(p.lowmem_bytes)}")
            else:
                moved = (f"which costs no lowmem here: all {fmt.size(self.m.ram)} of RAM "
                         "still fit in the smaller direct map")
            text = (f"The region takes {fmt.size(p.region_bytes)} of kernel virtual space "
                    f"below PKMAP_BASE, {moved}; each task also pays {fmt.size(extra)} of "
                    f"lowmem for the pages that map its region{pmd}.")
        else:
            text = (f"The region is taken from user space: TASK_SIZE drops from "
                    f"{fmt.size(plain_user)} to {fmt.size(p.user_vaddr_bytes)}, "
                    f"{fmt.size(plain_user - p.user_vaddr_bytes)} less for every "
                    f"process, and each task pays {fmt.size(extra)} of lowmem for the pages "
                    "that map it.")
        return Finding("space", "note", text)

    def swapout(self) -> Finding | None:
        w = self.w
        if w.scan_pages_per_s <= 0 or strategy(self.pn).other_pt != "kmap":
            return None
        nos = self._noscan()
        dp = self.p.cpu_overhead_pct - nos[self.pn].cpu_overhead_pct
        db = self.b.cpu_overhead_pct - nos[self.bn].cpu_overhead_pct
        dg = self.p.global_tlb_flushes_per_s - nos[self.pn].global_tlb_flushes_per_s
        ptes = int(ptrs_per_pte(self.m.arch == "i386-pae"))
        text = (f"Swapout scanning other mms' pagetables ({per_s(w.scan_pages_per_s, 'PTEs')}, "
                f"{per_s(w.scan_pages_per_s / ptes, 'PTE pages')}) cannot use the per-task "
                f"window, so {self.pn} maps those PTE pages through the global kmap: "
                f"{per_s(dg, 'global flushes')} and {pct(dp)} of CPU. ")
        if abs(db) < 1e-9 and strategy(self.bn).pte_home == "lowmem":
            text += f"{self.bn} reads its lowmem PTE pages through the direct map for nothing."
        elif abs(db) < 1e-9:
            text += f"{self.bn} pays nothing measurable for the same scan."
        else:
            text += f"{self.bn} pays {pct(db)} for the same scan."
        return Finding("swapout", "loss" if dp - db > CPU_NOISE_PCT else "note", text)

    def halves(self) -> Finding | None:
        if self.pn != PROPOSAL or not {"ukspace-pt", "ukspace-kmap"} <= set(self.by):
            return None
        metrics = (("max_tasks", "the task count", "the lower task count", fmt.count),
                   ("cpu_overhead_pct", "the CPU saving", "the extra CPU", pct),
                   ("ipis_per_s", "the IPI saving", "the extra IPIs",
                    lambda x: per_s(x, "IPIs")))
        moved = {c.metric: c for c in self.comparisons() if c.better != "tie"}
        parts = []
        for half, label in (("ukspace-pt", "the pagetable window alone (ukspace-pt)"),
                            ("ukspace-kmap", "the per-task pool alone (ukspace-kmap)")):
            h = self.by[half]
            got = []
            for metric, good, bad, unit in metrics:
                c = moved.get(metric)
                hv = getattr(h, metric)
                if c is not None and ratio(hv, c.proposal) <= 1.25:
                    got.append(f"{good if c.better == 'proposal' else bad} ({unit(hv)})")
            parts.append(f"{label} brings {_join(got)}" if got
                         else f"{label} brings none of it")
        if all(p.endswith("none of it") for p in parts):
            return None
        return Finding("halves", "note", f"Split in two, {parts[0]}, and {parts[1]}.")


# --- break-even points ----------------------------------------------------------

def _crossing(a: np.ndarray, b: np.ndarray, noise: float, plain: bool) -> int | None:
    """Where ``a`` overtakes ``b``: None unless somewhere a exceeds b by more than
    ``noise`` and 10%; else the start of the run of points leading there where
    a > b (``plain``) or where a exceeds b by more than the noise."""
    big = (a - b > noise) & (a > b * TIE_RATIO)
    idx = np.flatnonzero(big)
    if not idx.size:
        return None
    run = a > b if plain else big
    i = int(idx[0])
    while i > 0 and run[i - 1]:
        i -= 1
    return i


def _pair(scn: Scenario, arrays: dict[str, np.ndarray], p: str, b: str, col: str):
    df = evaluate_points(points_from_arrays(scn, arrays), [p, b])
    return (df[df["strategy"] == p][col].to_numpy(), df[df["strategy"] == b][col].to_numpy())


THREAD_SWEEPS = (("ipis_per_s", "sends more IPIs than", 10.0),
                 ("cpu_overhead_pct", "costs more CPU time than", CPU_NOISE_PCT))


def break_evens(scn: Scenario, by: dict[str, Row], p: str, b: str) -> tuple[BreakEven, ...]:
    """Task ceilings, and the thread count and swapout scan rate at which the
    proposal's IPIs or CPU time overtake the baseline's (closed-form sweeps)."""
    w = scn.workload
    out = []
    for name in (b, p):
        r = by[name]
        where = "past" if w.tasks > r.max_tasks else "below"
        verb = "hits PID_MAX" if r.task_limit == "PID_MAX" else f"runs out of {r.task_limit}"
        out.append(BreakEven(
            f"tasks_{name}", "workload.tasks", r.max_tasks + 1, w.tasks,
            f"{name} {verb} at {fmt.count(r.max_tasks + 1)} tasks "
            f"(this scenario, at {fmt.count(w.tasks)}, is {where} it)."))
    top = int(min(MAX_THREADS_SWEPT, kernel_era(scn.machine.kernel).pid_max // w.tasks))
    if top >= 2:
        threads = np.arange(1, top + 1, dtype=float)
        for col, what, noise in THREAD_SWEEPS:
            pv, bv = _pair(scn, {"threads": threads}, p, b, col)
            i = _crossing(pv, bv, noise, plain=False)
            value = None if i is None else float(threads[i])
            if value is None:
                text = (f"{p} never {what} {b} at any thread count up to "
                        f"{_threads_range(top, w.tasks)} (this scenario: "
                        f"{w.threads_per_task}).")
            elif value == 1:
                text = f"{p} {what} {b} at every thread count, single-threaded tasks included."
            else:
                text = (f"{p} {what} {b} from {fmt.count(value)} threads per task up "
                        f"(this scenario: {w.threads_per_task}).")
            out.append(BreakEven(f"threads_{col}", "workload.threads_per_task", value,
                                 w.threads_per_task, text, float(top)))
    out.append(_scan_break_even(scn, p, b))
    return tuple(out)


def _scan_break_even(scn: Scenario, p: str, b: str) -> BreakEven:
    """The swapout scan rate (PTEs/s) above which the proposal costs more CPU."""
    cur = scn.workload.scan_pages_per_s
    grid = np.concatenate([[0.0], np.logspace(0, np.log10(MAX_SCAN_SWEPT), 141)])
    pv, bv = _pair(scn, {"scan_pages_per_s": grid}, p, b, "cpu_overhead_pct")
    i = _crossing(pv, bv, CPU_NOISE_PCT, plain=True)
    key = "workload.scan_pages_per_s"
    if i is None:
        return BreakEven("scan_cpu", key, None, cur,
                         f"{p} costs no more CPU than {b} at any swapout scan rate up to "
                         f"{fmt.rate(MAX_SCAN_SWEPT)} PTEs/s (this scenario: {fmt.rate(cur)}).")
    if i == 0:
        return BreakEven("scan_cpu", key, 0.0, cur,
                         f"{p} costs more CPU than {b} even with no swapout scanning.")
    fine = np.linspace(grid[i - 1], grid[i], 401)
    pv, bv = _pair(scn, {"scan_pages_per_s": fine}, p, b, "cpu_overhead_pct")
    j = np.flatnonzero(pv > bv)
    value = float(f"{fine[int(j[0]) if j.size else -1]:.2g}")
    return BreakEven("scan_cpu", key, value, cur,
                     f"{p} costs more CPU than {b} once swapout scans more than about "
                     f"{fmt.rate(value)} PTEs/s (this scenario: {fmt.rate(cur)}).")


# --- which cost figures matter ---------------------------------------------------

def cost_sensitivity(scn: Scenario, p: str, b: str, top: int = 5) -> tuple[CostSensitivity, ...]:
    """The cost figures that move the CPU gap most when doubled or halved."""
    names = [n for n in COST_FIELDS if n != "clock_hz"]
    base = points_from_scenario(scn)
    n = 1 + 2 * len(names)
    cols = {k: np.repeat(v[:1], n) for k, v in base.columns.items()}
    for i, name in enumerate(names):
        cols[f"cost.{name}"][1 + 2 * i] *= 2.0
        cols[f"cost.{name}"][2 + 2 * i] *= 0.5
    df = evaluate_points(Points(columns=cols, axes=()), [p, b])
    gap = (df[df["strategy"] == b]["cpu_overhead_pct"].to_numpy()
           - df[df["strategy"] == p]["cpu_overhead_pct"].to_numpy())
    sources = cost_sources(scn.machine.cpu_model)
    out = []
    for i, name in enumerate(names):
        src = sources.get(name, "")
        basis = ("scenario" if name in scn.costs else
                 "estimate" if src.startswith("estimate") else "sourced")
        out.append(CostSensitivity(name, float(base.cost(name)[0]), basis, src,
                                   float(gap[0]), float(gap[1 + 2 * i]), float(gap[2 + 2 * i])))
    out.sort(key=lambda s: (-round(s.swing, 12), s.name))
    return tuple(s for s in out[:top] if s.swing > 0)
