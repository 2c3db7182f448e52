"""The writeup's headline: the Subject line, which design the baseline is, and the
closing question, each following from the verdict's numbers (nothing chosen by hand).

The baseline is the best design that could run the scenario in its era
(:mod:`~ukspace_lab.study.candidates`); :func:`baseline_paragraph` says which
one it is, which designs it was chosen from and by what rule.
"""

from __future__ import annotations

import math

from ..study.verdict import Verdict
from . import fmt
from .fmt import WIDTH, wrap
from .words import times


def subject(v: Verdict, found: tuple) -> str:
    """``Subject: [RFC][NUMBERS] ...``: the comparison and its largest effects."""
    m = v.scenario.machine
    claims = []      # (long, short) wording of each decided effect
    for topic, metric in (("capacity", "max_tasks"), ("cpu", "cpu_overhead_pct"),
                          ("ipis", "ipis_per_s")):
        f = next((f for f in found if f.topic == topic), None)
        if f is None or f.outcome not in ("win", "loss"):
            continue
        factor = v.comparisons[metric].factor
        if math.isinf(factor):
            continue
        k = times(factor)
        claims.append({("capacity", "win"): (f"{k} the tasks", f"{k} tasks"),
                       ("capacity", "loss"): (f"{k} fewer tasks", f"{k} fewer tasks"),
                       ("cpu", "win"): (f"{k} less CPU", f"{k} less CPU"),
                       ("cpu", "loss"): (f"{k} the CPU", f"{k} CPU"),
                       ("ipis", "win"): (f"{k} fewer IPIs", f"{k} fewer IPIs"),
                       ("ipis", "loss"): (f"{k} the IPIs", f"{k} IPIs")}[(topic, f.outcome)])
    ram = fmt.size(m.ram).replace(" ", "")
    forms = (f"u-k-space vs {v.baseline_design or v.baseline}, {m.cpus}-way {ram} {m.kernel}",
             f"u-k-space vs {v.baseline_design or v.baseline}, {m.cpus}-way {m.kernel}",
             f"u-k-space vs {v.baseline_design or v.baseline}")
    prefix = "Subject: [RFC][NUMBERS] "
    options = [[c[i] for c in claims[:n]] for n in range(len(claims), 0, -1)
               for i in (0, 1)] or [["no clear difference"]]
    for chosen in options:
        for form in forms:
            text = f"{prefix}{form}: {', '.join(chosen)}"
            if len(text) <= WIDTH:
                return text
    return f"{prefix}{forms[-1]}"


def baseline_paragraph(v: Verdict) -> str:
    """Which design the baseline is, the candidates it was chosen from, and the rule."""
    m, w = v.scenario.machine, v.scenario.workload
    if not v.candidates:
        return wrap(f"The baseline is {v.baseline}, as asked.")
    seen = ", ".join(f"{c.label} {fmt.count(c.row.max_tasks)} tasks "
                     f"{c.row.cpu_overhead_pct:.3g}% CPU" for c in v.candidates)
    big = (f" The proposal is shown as {v.proposal_design}, its better page size "
           "for the shared segment by the same rule."
           if v.proposal_design and v.proposal_design != v.proposal else "")
    pinned = (f" With large pages the {fmt.size(w.shared_segment)} segment is mapped "
              "by pmd entries (no PTE pages in any mm) and pinned in RAM."
              if "large" in (v.baseline_page, v.proposal_page) and w.shared_segment else "")
    return wrap(f"The baseline is {v.baseline_design}: the best design that could run "
                f"this on {m.kernel}, {v.rule}. The candidates were {seen}.{big}{pinned}")


def question(v: Verdict, found: tuple) -> str:
    """The closing question, aimed at what decides this scenario."""
    scn = v.scenario
    by = {f.topic: f.outcome for f in found}
    p, b = v.rows[v.proposal], v.rows[v.baseline]
    if by.get("ipis") == "loss" and scn.workload.threads_per_task > 1:
        return ("Would it be acceptable to give the pool only to mms with a single "
                "user and send threaded ones to the global kmap, or does someone see "
                "a cheaper way to keep the pool's flush local when threads share it?")
    plain_low, extra = v.plain_lowmem_bytes, v.region_lowmem_per_task_bytes
    if by.get("capacity") == "loss" and p.task_limit == "lowmem":
        return (f"Is {fmt.size(extra)} more lowmem per task a price people would pay for "
                "this, or should the region come out of user space instead?")
    if by.get("cpu") == "loss":
        return (f"Is there a workload I have missed where the per-task pool still beats "
                f"{b.strategy}?")
    if v.outcome in ("wins", "mixed"):
        if v.placement == "hole":
            return (f"The region fits the unused hole above pkmap, so the direct map keeps "
                    f"its {fmt.size(plain_low)}; is {fmt.size(extra)} of lowmem per task for "
                    "the pages that map it a price people would pay for this?")
        if v.placement == "kernel" and p.lowmem_bytes < plain_low:
            return (f"Is giving up {fmt.size(plain_low - p.lowmem_bytes)} of the direct "
                    f"map ({fmt.size(plain_low)} -> {fmt.size(p.lowmem_bytes)} of "
                    "lowmem) acceptable for this, or would people rather take the region "
                    "out of user space?")
        return (f"Would anyone miss {fmt.size(p.region_bytes)} of address space per "
                "process for this?")
    return ("On a box like this the proposal changes little; is there a machine people "
            "care about where it would matter more?")
