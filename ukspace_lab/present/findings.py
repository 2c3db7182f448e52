"""The sentences of a verdict: each finding worded from the verdict's decisions.

:class:`Findings` turns a :class:`~ukspace_lab.study.verdict.Verdict` into the
paragraphs the writeup and the 05-verdict notebook show: the task count,
global flushes, IPIs and CPU time here, the notes (the region's cost, the
swapout fallback, the two halves of the seed) and the break-even points in
:mod:`ukspace_lab.present.notes`. The verdict decides who wins each topic;
these words only say it, from the numbers of the record.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..model.pagetables import pte_pages
from ..model.strategies import strategy_names
from ..study.rows import CPU_NOISE_PCT, TIE_RATIO, Comparison, Row, ratio
from ..study.verdict import Verdict
from . import fmt
from .words import _join, _plural, by_factor, pct, per_s, times

MAJOR_TOPICS = {"capacity": "the task count", "flushes": "global TLB flushes",
                "ipis": "IPIs", "cpu": "CPU time"}
FLOOR_STRATEGY = "flat64"
PROPOSAL_FAMILY = ("ukspace", "ukspace-pt", "ukspace-kmap")


@dataclass(frozen=True)
class Finding:
    """One sentence group of the verdict, on one topic."""

    topic: str      # capacity, flushes, ipis, cpu, space, swapout, halves, placement
    outcome: str    # win, loss, even, note
    text: str


class Findings:
    """The pieces every finding needs: the verdict, its rows, the two names."""

    def __init__(self, v: Verdict):
        self.v = v
        self.scn = v.scenario
        self.by = v.rows
        self.pn, self.bn = v.proposal, v.baseline
        self.p, self.b = self.by[self.pn], self.by[self.bn]
        self.w, self.m = self.scn.workload, self.scn.machine
        self.design = v.evaluation.results[self.pn].design
        self.order = strategy_names()

    def _cmp(self, metric: str) -> Comparison:
        return self.v.comparisons[metric]

    def _limit_phrase(self, r: Row) -> str:
        """Which limit binds a strategy's task count, in words (no parentheses)."""
        if r.task_limit == "RAM":
            res = self.v.evaluation.results.get(r.strategy)
            per = (f" at {fmt.size(res.resident_per_task_bytes)} resident per task"
                   if res is not None and res.resident_per_task_bytes else "")
            return f"RAM, highmem full and its overflow filling lowmem,{per}".rstrip(",")
        if r.task_limit == "PID_MAX":
            pid = self.v.evaluation.era.pid_max
            return f"PID_MAX, {fmt.count(pid)} PIDs at {self.w.threads_per_task} per task"
        return f"lowmem, at {fmt.size(r.per_task_lowmem_bytes)} per task"

    def _pte_detail(self, r: Row) -> str:
        shared = int(pte_pages(self.w.shared_segment, self.m.arch == "i386-pae"))
        n = r.pte_pages_per_task
        tail = (f", {fmt.count(shared)} of them for the {fmt.size(self.w.shared_segment)} "
                "shared segment") if shared and shared >= n / 2 else ""
        return f"{_plural(n, 'PTE page')}{tail}"

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
        d = self.v.decisions["capacity"]
        if d.case == "proposal_fits":
            share = b.pagetable_lowmem_bytes / T / b.per_task_lowmem_bytes
            why = (f", {pct(100 * share)} of it pagetables ({self._pte_detail(b)})"
                   if share > 0.5 else "")
            text = (f"On {b.strategy} the {fmt.count(T)} tasks do not fit. Each needs "
                    f"{fmt.size(b.per_task_lowmem_bytes)} of lowmem{why}, so lowmem runs "
                    f"out at {fmt.count(b.max_tasks)} tasks. {p.strategy} keeps PTE pages "
                    f"in highmem and fits {fmt.count(p.max_tasks)}"
                    f"{factor}; its limit is {self._limit_phrase(p)}.")
            return Finding("capacity", d.outcome, text)
        if d.case == "baseline_fits":
            text = (f"On {p.strategy} the {fmt.count(T)} tasks do not fit: its limit is "
                    f"{self._limit_phrase(p)}, reached at {fmt.count(p.max_tasks)} tasks. "
                    f"{b.strategy} fits {fmt.count(b.max_tasks)}; its limit is "
                    f"{self._limit_phrase(b)}.")
            return Finding("capacity", d.outcome, text)
        if d.case == "neither_fits":
            text = (f"Neither design fits the {fmt.count(T)} tasks. {b.strategy} stops at "
                    f"{fmt.count(b.max_tasks)} ({self._limit_phrase(b)}), {p.strategy} at "
                    f"{fmt.count(p.max_tasks)} ({self._limit_phrase(p)}).")
            return Finding("capacity", d.outcome, text)
        if d.case == "same":
            return Finding("capacity", d.outcome,
                           f"Both fit the {fmt.count(T)} tasks and both stop at "
                           f"{fmt.count(p.max_tasks)}, on {self._limit_phrase(p)}.")
        text = (f"Both fit the {fmt.count(T)} tasks. {b.strategy} tops out at "
                f"{fmt.count(b.max_tasks)} ({self._limit_phrase(b)}), {p.strategy} at "
                f"{fmt.count(p.max_tasks)} ({self._limit_phrase(p)})")
        if d.case == "tie":
            return Finding("capacity", d.outcome, text + ", about the same.")
        text += f"{factor}."
        extra = p.per_task_lowmem_bytes - b.per_task_lowmem_bytes
        if c.better == "baseline" and p.task_limit == "lowmem" and extra > 0:
            text += (f" The difference is the {fmt.size(extra)} of lowmem each task pays "
                     "for the pages that map its region.")
        if d.case == "headroom":
            headroom = min(p.max_tasks, b.max_tasks) / T
            text += (f" Either ceiling is {times(headroom)} the tasks modelled, so it does "
                     "not matter for this workload.")
        return Finding("capacity", d.outcome, text)

    def flushes(self) -> Finding:
        p, b = self.p, self.b
        c = self._cmp("global_tlb_flushes_per_s")
        lock = self._cmp("kmap_lock_utilization")
        d = self.v.decisions["flushes"]
        if d.case == "negligible":
            text = (f"Global TLB flushes are negligible in both: "
                    f"{per_s(b.global_tlb_flushes_per_s)} for {b.strategy}, "
                    f"{per_s(p.global_tlb_flushes_per_s)} for {p.strategy}.")
            if b.invlpg_per_s > 0:
                text += (f" {b.strategy} maps highmem with kmap_atomic instead and pays an "
                         f"invlpg per mapping, {per_s(b.invlpg_per_s, 'invlpg')}.")
            return Finding("flushes", d.outcome, text)
        if d.case == "fewer":
            text = (f"{p.strategy} cuts global TLB flushes (flush_all_zero_pkmaps, then "
                    f"flush_tlb_all to every CPU) from {per_s(b.global_tlb_flushes_per_s)} to "
                    f"{per_s(p.global_tlb_flushes_per_s)}{by_factor(c, 'more', 'fewer')}")
            if lock.better == "proposal":
                text += (f", and kmap_lock from {pct(100 * b.kmap_lock_utilization)} busy to "
                         f"{pct(100 * p.kmap_lock_utilization)}")
            text += ": highmem reads map through each task's own pool, not the global one."
            if p.global_tlb_flushes_per_s > 0:
                text += f" {self._residual_phrase()}"
            return Finding("flushes", d.outcome, text)
        if d.case == "more":
            text = (f"{p.strategy} does more global TLB flushes than {b.strategy}: "
                    f"{per_s(p.global_tlb_flushes_per_s)} against "
                    f"{per_s(b.global_tlb_flushes_per_s)}. {self._residual_phrase()}")
            return Finding("flushes", d.outcome, text)
        text = (f"Global TLB flushes are about the same: {per_s(p.global_tlb_flushes_per_s)} "
                f"for {p.strategy}, {per_s(b.global_tlb_flushes_per_s)} for {b.strategy}.")
        return Finding("flushes", d.outcome, text)

    def _residual_phrase(self) -> str:
        g = self.p.global_tlb_flushes_per_s
        share = 1 - self.v.noscan[self.pn].global_tlb_flushes_per_s / g if g else 0.0
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
        if self.design.pool and w.threads_per_task > 1 and wraps > 0:
            text = (f"Threads take the pool's locality away. Each of the "
                    f"{_plural(w.tasks, 'mm')} runs {w.threads_per_task} threads on several "
                    f"CPUs at once, so each of the pool's {per_s(wraps, 'wraps')} is a "
                    f"flush_tlb_mm() that IPIs {pool_ipis / wraps:.2g} other CPUs on average, "
                    "and a switch between two threads of one mm reloads no CR3, so the free "
                    f"reset at context switch never happens. {tail}")
        elif self.design.pool and w.threads_per_task == 1:
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
        return Finding("ipis", self.v.decisions["ipis"].outcome, text)

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
        d = self.v.decisions["cpu"]
        if d.case == "negligible":
            return Finding("cpu", d.outcome, text + f"; both are below {pct(CPU_NOISE_PCT)} "
                           "of the machine, too little to measure.")
        if d.case == "tie":
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
        best = min(others, key=lambda r: (r.cpu_overhead_pct, self.order.index(r.strategy)))
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
        return Finding("cpu", d.outcome, text)


def summary(v: Verdict, findings: tuple[Finding, ...]) -> str:
    """The one-line summary: which topics the proposal wins, loses and draws."""
    by = {f.topic: f.outcome for f in findings if f.topic in MAJOR_TOPICS}
    parts = []
    for result, verb in (("win", "wins on"), ("loss", "loses on"), ("even", "is level on")):
        topics = [MAJOR_TOPICS[t] for t in MAJOR_TOPICS if by.get(t) == result]
        if topics:
            parts.append(f"{verb} {_join(topics)}")
    return f"Against {v.baseline_design or v.baseline}, {v.proposal} {'; '.join(parts)}."
