"""The notes of a verdict (the region's cost, the swapout fallback, the two halves
of the seed), its break-even points in words, and the whole verdict as text."""

from __future__ import annotations

import pandas as pd

from ..model import sched
from ..model.kernel import kernel_era
from ..model.pagetables import ptrs_per_pte
from ..study.breakeven import BreakEven
from ..study.rows import ratio
from ..study.verdict import PROPOSAL, Verdict
from . import fmt
from .findings import Finding, Findings, summary
from .words import _join, pct, per_s, threads_range

THREAD_WORDS = {"ipis_per_s": "sends more IPIs than",
                "cpu_overhead_pct": "costs more CPU time than"}


def space(f: Findings) -> Finding | None:
    """What the region costs: kernel or user virtual space, and lowmem per task."""
    p = f.p
    if p.region_bytes <= 0:
        return None
    v = f.v
    plain_low, plain_user = v.plain_lowmem_bytes, v.plain_task_size_bytes
    extra = v.region_lowmem_per_task_bytes
    pmd = (", its own copy of the kernel pmd included"
           if f.m.arch == "i386-pae" and v.placement in ("kernel", "hole") else "")
    if v.placement == "hole":
        text = (f"The region takes {fmt.size(p.region_bytes)} of the unused kernel virtual "
                "space between the pkmap page table and the fixmap, so the direct map keeps "
                f"its {fmt.size(plain_low)} and vmalloc its size; each task pays "
                f"{fmt.size(extra)} of lowmem for the pages that map its region{pmd}.")
    elif v.placement == "kernel":
        if p.lowmem_bytes < plain_low:
            moved = (f"so the direct map, and lowmem, shrink from "
                     f"{fmt.size(plain_low)} to {fmt.size(p.lowmem_bytes)}")
        else:
            moved = (f"which costs no lowmem here: all {fmt.size(f.m.ram)} of RAM "
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

def swapout(f: Findings) -> Finding | None:
    """The seed's fallback: other mms' PTE pages through the global kmap."""
    w = f.w
    d = f.v.decisions.get("swapout")
    if d is None:
        return None
    nos = f.v.noscan
    dp = f.p.cpu_overhead_pct - nos[f.pn].cpu_overhead_pct
    db = f.b.cpu_overhead_pct - nos[f.bn].cpu_overhead_pct
    dg = f.p.global_tlb_flushes_per_s - nos[f.pn].global_tlb_flushes_per_s
    ptes = int(ptrs_per_pte(f.m.arch == "i386-pae"))
    text = (f"Swapout scanning other mms' pagetables ({per_s(w.scan_pages_per_s, 'PTEs')}, "
            f"{per_s(w.scan_pages_per_s / ptes, 'PTE pages')}) cannot use the per-task "
            f"window, so {f.pn} maps those PTE pages through the global kmap: "
            f"{per_s(dg, 'global flushes')} and {pct(dp)} of CPU. ")
    if abs(db) < 1e-9 and f.v.evaluation.results[f.bn].design.pte_home == "lowmem":
        text += f"{f.bn} reads its lowmem PTE pages through the direct map for nothing."
    elif abs(db) < 1e-9:
        text += f"{f.bn} pays nothing measurable for the same scan."
    else:
        text += f"{f.bn} pays {pct(db)} for the same scan."
    return Finding("swapout", d.outcome, text)

def halves(f: Findings) -> Finding | None:
    """What each half of the seed brings alone."""
    if f.pn != PROPOSAL or not {"ukspace-pt", "ukspace-kmap"} <= set(f.by):
        return None
    metrics = (("max_tasks", "the task count", "the lower task count", fmt.count),
               ("cpu_overhead_pct", "the CPU saving", "the extra CPU", pct),
               ("ipis_per_s", "the IPI saving", "the extra IPIs",
                lambda x: per_s(x, "IPIs")))
    moved = {c.metric: c for c in f.v.comparisons.values() if c.better != "tie"}
    parts = []
    for half, label in (("ukspace-pt", "the pagetable window alone (ukspace-pt)"),
                        ("ukspace-kmap", "the per-task pool alone (ukspace-kmap)")):
        h = f.by[half]
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


def placement(f: Findings) -> Finding | None:
    """Where the closed form has no formula for the era's scheduler
    (:func:`ukspace_lab.model.sched.closed_form_applies`), say so: the figures that
    depend on it are the closed form's no-preference bound, the simulator the reference."""
    w, m = f.w, f.m
    goodness = sched.policy(kernel_era(m.kernel).name) == "goodness"
    if bool(sched.closed_form_applies(goodness, w.tasks, w.threads_per_task, m.cpus,
                                      w.ctxsw_per_s)):
        return None
    return Finding("placement", "note", (
        f"On {m.kernel}, goodness() gives a thread of the mm a CPU already has loaded a "
        "bonus, so threads of one mm gather on CPUs in a way no closed form here "
        "captures. The CR3 reloads at switch, the TLB refills after them and the "
        "pool-flush IPIs above take the next thread as any other with equal chance; "
        "the simulator plays goodness() and is the reference for them "
        "(ukspace-lab simulate, with the scenario of the lines to reproduce below)."))


def findings(v: Verdict) -> tuple[Finding, ...]:
    """Every finding of the verdict, in the order the writeup prints them."""
    f = Findings(v)
    out = (f.capacity(), f.flushes(), f.ipis(), f.cpu(), space(f), swapout(f), halves(f),
           placement(f))
    return tuple(x for x in out if x is not None)


def break_even_text(v: Verdict, b: BreakEven) -> str:
    """One break-even point as a sentence."""
    p, base, w = v.proposal, v.baseline, v.scenario.workload
    if b.axis == "workload.tasks":
        where = "past" if w.tasks > b.value - 1 else "below"
        verb = "hits PID_MAX" if b.limit == "PID_MAX" else f"runs out of {b.limit}"
        return (f"{b.strategy} {verb} at {fmt.count(b.value)} tasks "
                f"(this scenario, at {fmt.count(w.tasks)}, is {where} it).")
    if b.axis == "workload.threads_per_task":
        what = THREAD_WORDS[b.metric]
        if b.value is None:
            return (f"{p} never {what} {base} at any thread count up to "
                    f"{threads_range(b.searched_to or 0, w.tasks)} (this scenario: "
                    f"{w.threads_per_task}).")
        if b.value == 1:
            return f"{p} {what} {base} at every thread count, single-threaded tasks included."
        return (f"{p} {what} {base} from {fmt.count(b.value)} threads per task up "
                f"(this scenario: {w.threads_per_task}).")
    cur = b.current
    if b.value is None:
        return (f"{p} costs no more CPU than {base} at any swapout scan rate up to "
                f"{fmt.rate(b.searched_to)} PTEs/s (this scenario: {fmt.rate(cur)}).")
    if b.value == 0:
        return f"{p} costs more CPU than {base} even with no swapout scanning."
    return (f"{p} costs more CPU than {base} once swapout scans more than about "
            f"{fmt.rate(b.value)} PTEs/s (this scenario: {fmt.rate(cur)}).")


def flips_text(v: Verdict) -> str:
    """The swept break-even points as sentences (thread sweeps merged when neither
    flips)."""
    th = [b for b in v.break_evens if b.axis == "workload.threads_per_task"]
    rest = [break_even_text(v, b) for b in v.break_evens
            if b.axis not in ("workload.threads_per_task", "workload.tasks")]
    if len(th) == 2 and th[0].value is None and th[1].value is None:
        head = [f"{v.proposal} neither sends more IPIs nor costs more CPU time than "
                f"{v.baseline} at any thread count up to "
                f"{threads_range(th[0].searched_to or 0, v.tasks)} (this scenario: "
                f"{th[0].current:g})."]
    else:
        head = [break_even_text(v, b) for b in th]
    return " ".join(head + rest)


def verdict_text(v: Verdict) -> str:
    """Summary, findings and break-even points as plain paragraphs."""
    found = findings(v)
    ceilings = [break_even_text(v, b) for b in v.break_evens if b.axis == "workload.tasks"]
    parts = [summary(v, found), *(f.text for f in found), " ".join(ceilings), flips_text(v)]
    return "\n\n".join(p for p in parts if p)


def verdict_frames(v: Verdict) -> dict[str, pd.DataFrame]:
    """The verdict as tables: headline rows, the proposal against the baseline per
    metric, the findings and the break-even points (the 05-verdict notebook)."""
    comparisons = pd.DataFrame([{
        "metric": c.metric, v.proposal: c.proposal, v.baseline: c.baseline,
        "better": c.better, "factor": c.factor} for c in v.comparisons.values()])
    found = pd.DataFrame([{"topic": f.topic, "outcome": f.outcome, "finding": f.text}
                          for f in findings(v)])
    breaks = pd.DataFrame([{"name": b.name, "axis": b.axis, "break_even": b.value,
                            "scenario": b.current, "meaning": break_even_text(v, b)}
                           for b in v.break_evens])
    return {"headline": v.frame(), "comparisons": comparisons, "findings": found,
            "break_evens": breaks}


def cpu_interval_text(v: Verdict) -> str:
    """Whether the CPU comparison holds across the cost ranges of data/costs.yaml (each
    design's CPU with every cost at its low and at its high end)."""
    p, b = v.rows[v.proposal], v.rows[v.baseline]
    span = (f"Over the cost ranges {p.strategy} costs {fmt.pct_range(p.cpu_overhead_range)}"
            f" of the CPUs and {b.strategy} {fmt.pct_range(b.cpu_overhead_range)}")
    if p.cpu_overhead_pct_high < b.cpu_overhead_pct_low:
        return span + f": {p.strategy} is cheaper across the whole interval."
    if b.cpu_overhead_pct_high < p.cpu_overhead_pct_low:
        return span + f": {b.strategy} is cheaper across the whole interval."
    return span + ": the intervals overlap, so the CPU comparison rests on the point costs."
