"""The sentences of a verdict: each finding assembled from comparisons of results.

Which is larger, by what factor, which limit binds: :class:`Findings` turns one
scenario's rows into the paragraphs the writeup and the 05-verdict notebook
show. Nothing here is a template with numbers swapped in.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import pandas as pd

from . import fmt
from .closed import evaluate
from .inputs import Points, points_from_scenario
from .kernel import kernel_era
from .layout import address_space
from .memory import budget
from .pagetables import PAGE, pte_pages, ptrs_per_pte
from .scenario import STRATEGIES, Scenario
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


def threads_range(top: float, tasks: int) -> str:
    note = f", all PID_MAX allows at {fmt.count(tasks)} tasks" \
        if top < MAX_THREADS_SWEPT else ""
    return f"{fmt.count(top)} per task{note}"


def _plural(n: float, word: str) -> str:
    return f"{fmt.count(n)} {word}{'' if n == 1 else 's'}"


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


class Findings:
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


def _task_limit(p: Points, name: str) -> tuple[str, float, float]:
    """(binding limit, max tasks, lowmem per task) of a strategy (memory.budget)."""
    b = budget(p, strategy(name))
    return str(b.task_limit[0]), float(b.max_tasks[0]), float(b.per_task_lowmem[0])


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
