"""``ukspace-lab writeup``: the plain-text mail a kernel list can read.

:func:`compose` turns a :class:`~ukspace_lab.study.verdict.Verdict` into an
LKML-style RFC: a Subject line, what was modelled on which machine and kernel,
the address map before and after (:mod:`~ukspace_lab.present.mailmap`), two
compact tables, the findings, the cost figures that matter, how to reproduce
(:mod:`~ukspace_lab.present.reproduce`) and a closing question. It reads only
the verdict and the record inside it. :func:`render_writeup` builds both for
a scenario first. ASCII only, no tabs, lines of at most 72 columns, no markup,
and the same bytes for the same scenario and model version (closed form only).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from ..model.scenario import Scenario
from ..study.rows import CPU_NOISE_PCT, Row
from ..study.verdict import Verdict, verdict
from . import fmt
from .findings import summary
from .fmt import WIDTH, wrap
from .mailmap import address_map
from .notes import cpu_interval_text, findings, flips_text
from .reproduce import reproduce
from .words import pct, per_s, times

READ_PATH = {"kmap": "kmap() per page, as 2.4's file_read_actor does",
             "atomic": "kmap_atomic() with a kmap() fallback, as 2.6's file_read_actor does",
             "local": "kmap_local_page(), as kernels since 5.11 do"}


# --- tables -------------------------------------------------------------------

def _pct_lock(x: float) -> str:
    return pct(100 * x)


MEMORY_COLUMNS = (
    ("strategy", "strategy", str),
    ("PT lowmem", "pagetable_lowmem_bytes", fmt.size),
    ("lowmem free", "lowmem_free_bytes", fmt.size),
    ("max tasks", "max_tasks", fmt.count),
    ("limit", "task_limit", str),
)
RATE_COLUMNS = (
    ("strategy", "strategy", str),
    ("kmaps/s", "kmaps_per_s", fmt.rate),
    ("glob.fl/s", "global_tlb_flushes_per_s", fmt.rate),
    ("IPIs/s", "ipis_per_s", fmt.rate),
    ("loc.fl/s", "local_tlb_flushes_per_s", fmt.rate),
    ("lock", "kmap_lock_utilization", _pct_lock),
    ("CPU", "cpu_overhead_pct", pct),
)
CPU_COLUMNS = (
    ("strategy", "strategy", str),
    ("CPU", "cpu_overhead_pct", pct),
    ("costs low", "cpu_overhead_pct_low", pct),
    ("costs high", "cpu_overhead_pct_high", pct),
)


def table(rows: Iterable[Row], columns: tuple) -> str:
    """A space-aligned table of verdict rows (strategy left, numbers right)."""
    cells = [[f(getattr(r, key)) for _, key, f in columns] for r in rows]
    align = "".join("l" if f is str else "r" for _, _, f in columns)
    return fmt.render_table([h for h, _, _ in columns], cells, align=align)


# --- prose --------------------------------------------------------------------

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
    forms = (f"u-k-space vs {v.baseline}, {m.cpus}-way {ram} {m.kernel}",
             f"u-k-space vs {v.baseline}, {m.cpus}-way {m.kernel}",
             f"u-k-space vs {v.baseline}")
    prefix = "Subject: [RFC][NUMBERS] "
    options = [[c[i] for c in claims[:n]] for n in range(len(claims), 0, -1)
               for i in (0, 1)] or [["no clear difference"]]
    for chosen in options:
        for form in forms:
            text = f"{prefix}{form}: {', '.join(chosen)}"
            if len(text) <= WIDTH:
                return text
    return f"{prefix}{forms[-1]}"


def opening(v: Verdict) -> list[str]:
    """What was modelled, on what machine, kernel and workload."""
    scn = v.scenario
    m, w, u = scn.machine, scn.workload, scn.ukspace
    era = v.evaluation.era
    pae = m.arch == "i386-pae"
    b = v.rows[v.baseline]
    clock = v.evaluation.costs.clock_hz
    read_kmap = w.read_kmap if w.read_kmap != "auto" else era.read_kmap
    threads = f"{w.threads_per_task} threads" if w.threads_per_task > 1 else "1 thread"
    shared = (f", all mapping one {fmt.size(w.shared_segment)} shared segment"
              if w.shared_segment else "")
    forks = f", {fmt.rate(w.forks_per_s)} forks/s" if w.forks_per_s else ""
    region = "kernel" if u.carve_from == "kernel" else "user"
    return [
        wrap("Here are numbers for the per-task kernel space (\"u-k-space\") proposed "
             "on this list in March 2002: each task's pagetables mapped in a per-task "
             "window, a per-task kmap pool for highmem pages, and the global kmap kept "
             "for touching other mms' pagetables, as swapout does. They come from a "
             "closed-form model of the kernel's mechanisms, not from a benchmark; the "
             "cost figures that matter are listed at the end."),
        wrap(f"The scenario is \"{scn.title}\": {m.cpus} x {m.cpu_model} at "
             f"{clock / 1e6:.0f} MHz, {fmt.size(m.ram)} of RAM, "
             f"{'PAE' if pae else 'no PAE'}, {m.split} split, kernel {m.kernel}. That "
             f"leaves {fmt.size(b.lowmem_bytes)} of lowmem and "
             f"{fmt.size(m.ram - b.lowmem_bytes)} of highmem, and "
             f"LAST_PKMAP = {era.last_pkmap(pae)}."),
        wrap(f"The workload: {fmt.count(w.tasks)} processes of {threads} each, with "
             f"{fmt.size(w.private)} private{shared}. Per process "
             f"{fmt.rate(w.reads_per_s)} read()s/s of {fmt.size(w.read_size)}, "
             f"{fmt.rate(w.faults_per_s)} faults/s, {fmt.rate(w.ctxsw_per_s)} context "
             f"switches/s{forks}; swapout scans {per_s(w.scan_pages_per_s, 'PTEs')} of "
             f"other processes' pagetables. Reads map highmem page cache with "
             f"{READ_PATH[read_kmap]}. The u-k-space region holds a "
             f"{u.pool_entries}-entry pool and is carved from {region} space."),
    ]


def assumptions(v: Verdict) -> list[str]:
    """The cost figures that move the CPU gap most, and the other key inputs."""
    scn = v.scenario
    out = []
    sens = v.sensitivities[:4]
    if sens:
        gap = sens[0].gap
        out.append(wrap(
            f"What the numbers rest on. The CPU gap, {v.baseline} minus {v.proposal} in "
            f"points of the machine's CPU time, is {_points(gap)} (positive: "
            f"{v.proposal} is cheaper). The {scn.machine.cpu_model} figures that move "
            "it most when doubled or halved:"))
        rows = [[s.name, _cycles(s.value), s.basis, _points(s.gap_doubled),
                 _points(s.gap_halved)] for s in sens]
        out.append(fmt.render_table(["figure", "value", "basis", "gap x2", "gap x1/2"], rows,
                                    align="lrlrr"))
        flips = [s.name for s in sens if s.flips]
        n_est = sum(s.basis == "estimate" for s in sens)
        tail = ("" if not n_est else "All of them are estimates, not measurements. "
                if n_est == len(sens) else
                f"{n_est} of these {len(sens)} are estimates, not measurements. ")
        if abs(gap) <= CPU_NOISE_PCT:
            tail += (f"The gap is inside the noise margin ({_points(CPU_NOISE_PCT)[1:]} "
                     "points), so either design could be the cheaper one.")
        elif flips:
            tail += (f"Doubling or halving {_or(flips)} alone would change which design "
                     "is cheaper.")
        else:
            tail += "No single one of them, doubled or halved, changes which is cheaper."
        out.append(wrap(tail))
    w, u = scn.workload, scn.ukspace
    frac = v.rows[v.proposal]
    piggy = ("the CR3 reload that switches a single-threaded task in also resets its pool"
             if u.piggyback else "no free reset of the pool at context switch")
    h = "given" if w.highmem_cache_fraction != "auto" else "highmem over RAM"
    out.append(wrap(
        f"Also assumed: page-cache reads hit highmem with probability "
        f"{_frac(v, frac)} ({h}), uniformly over a file set the size of RAM; "
        f"{piggy}; a flush costs the refills of "
        f"{_refills(v)} live TLB entries per CPU. The copy itself, syscall entry and "
        "the ordinary context switch are the same in every design and not counted."))
    return out


def _refills(v: Verdict) -> str:
    t = v.evaluation.costs
    return f"{t.refills_per_full_flush:.0f} of {t.tlb_entries:.0f}"


def _frac(v: Verdict, row: Row) -> str:
    return pct(100 * float(v.evaluation.results[row.strategy]["highmem_cache_fraction"]))


def _or(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


def _points(g: float) -> str:
    if g == 0:
        return "0"
    if abs(g) < 0.001:
        return "+<0.001" if g > 0 else "-<0.001"
    return f"{g:+.2g}" if abs(g) < 10 else f"{g:+.0f}"


def _cycles(x: float) -> str:
    return fmt.count(x) if float(x).is_integer() else f"{x:g}"


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
        if scn.ukspace.carve_from == "kernel" and p.lowmem_bytes < plain_low:
            return (f"Is giving up {fmt.size(plain_low - p.lowmem_bytes)} of the direct "
                    f"map ({fmt.size(plain_low)} -> {fmt.size(p.lowmem_bytes)} of "
                    "lowmem) acceptable for this, or would people rather take the region "
                    "out of user space?")
        return (f"Would anyone miss {fmt.size(p.region_bytes)} of address space per "
                "process for this?")
    return ("On a box like this the proposal changes little; is there a machine people "
            "care about where it would matter more?")


def compose(v: Verdict, scenario_name: str, base: dict[str, Any] | None = None,
            strategies: list[str] | None = None, baseline: str | None = None) -> str:
    """The plain-text mail of verdict ``v``; ``scenario_name`` and ``base`` (the named
    scenario file's plain parameters, if any) make the reproduce lines."""
    scn, ev = v.scenario, v.evaluation
    found = findings(v)
    parts = [subject(v, found), "", *_paras(opening(v))]
    where = "kernel" if scn.ukspace.carve_from == "kernel" else "user"
    if any(a.end > 0xFFFFFFFF for a in ev.results[v.baseline].layout):
        intro = (f"The 32-bit address space of {v.proposal} ({v.baseline} has a 64-bit "
                 f"one), top down and not to scale; the region is carved from {where} space:")
    else:
        intro = (f"The address space, {v.baseline} (before) and {v.proposal} (after), top "
                 f"down and not to scale; the region is carved from {where} space:")
    parts += [wrap(intro), "", address_map(ev, [v.baseline, v.proposal]), ""]
    parts += [wrap(f"Lowmem per design, at {fmt.count(v.tasks)} tasks (PT lowmem: "
                   "pagetable pages that must live in lowmem; negative free means the "
                   "tasks do not fit; limit: what caps the task count):"), "",
              table(v.rows.values(), MEMORY_COLUMNS), ""]
    parts += [wrap("Per second, machine-wide (glob.fl: flush_tlb_all from pkmap wraps; "
                   "loc.fl: mm-local flushes; lock: kmap_lock busy; CPU: the cycles of "
                   "all this over the machine's):"), "",
              table(v.rows.values(), RATE_COLUMNS), ""]
    parts += [wrap("The CPU column with every cost figure at its low and at its high "
                   "end (data/costs.yaml gives each a range and its source):"), "",
              table(v.rows.values(), CPU_COLUMNS), "", wrap(cpu_interval_text(v)), ""]
    parts += _paras([wrap(summary(v, found)), *(wrap(f.text) for f in found)])
    flips = flips_text(v)
    if flips:
        parts += _paras([wrap("Where it flips, sweeping one input of the closed form with "
                              "everything else as above: " + flips)])
    parts += _paras(assumptions(v))
    parts += _paras(reproduce(scn.to_plain(), base, scenario_name, strategies, baseline,
                              v.model_version))
    parts.append(wrap(question(v, found)))
    return fmt.ascii_text("\n".join(parts) + "\n")     # the mail is ASCII (a title may not be)


def render_writeup(scn: Scenario, scenario_name: str, strategies: list[str] | None = None,
                   baseline: str | None = None) -> str:
    """The plain-text mail for ``scn`` (named ``scenario_name`` in the reproduce lines):
    its verdict (closed form), then :func:`compose`."""
    from ..model.loading import named_base

    v = verdict(scn, baseline=baseline, strategies=strategies)
    return compose(v, scenario_name, named_base(scenario_name), strategies, baseline)


def _paras(items: list[str]) -> list[str]:
    out = []
    for item in items:
        out += [item, ""]
    return out


# --- the subcommand -----------------------------------------------------------


