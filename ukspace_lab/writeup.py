"""``ukspace-lab writeup``: the plain-text mail a kernel list can read.

:func:`render_writeup` turns a scenario into an LKML-style RFC: a Subject line,
what was modelled on which machine and kernel, the address map before and
after, two compact tables, the findings of :func:`ukspace_lab.verdict.verdict`,
the cost figures that matter, how to reproduce, and a closing question.
ASCII only, no tabs, lines of at most 72 columns, no markup, and the same
bytes for the same scenario and model version (closed form only).
"""

from __future__ import annotations

import argparse
import difflib
import math
import os
import tempfile
import textwrap
from pathlib import Path
from typing import Any

from . import fmt
from .closed import MODEL_VERSION
from .commands import add_scenario_args, scenario_from_args
from .costs import cost_table
from .findings import CPU_NOISE_PCT, Row, pct, per_s, region_cost, times
from .kernel import kernel_era
from .layout import Area, areas
from .scenario import STRATEGIES, Scenario, ScenarioError, load_scenario
from .verdict import Verdict, default_baseline, verdict

WIDTH = 72
BOX = 22                  # inner width of one column of the address map
SHORT_AREA = {"direct map (lowmem)": "direct map", "kernel: direct map": "direct map",
              "u-k-space (from kernel)": "u-k-space", "u-k-space (from user)": "u-k-space",
              "user (own 4 GiB space)": "user (4G/4G)", "user (64-bit)": "user"}
READ_PATH = {"kmap": "kmap() per page, as 2.4's file_read_actor does",
             "atomic": "kmap_atomic() with a kmap() fallback, as 2.6's file_read_actor does",
             "local": "kmap_local_page(), as kernels since 5.11 do"}


def wrap(text: str, indent: str = "") -> str:
    """One paragraph filled to 72 columns, never breaking words or hyphens."""
    return textwrap.fill(text, WIDTH, initial_indent=indent, subsequent_indent=indent,
                         break_long_words=False, break_on_hyphens=False)


# --- the address map ----------------------------------------------------------

def _label(a: Area) -> str:
    name, size = SHORT_AREA.get(a.name, a.name), fmt.size(a.size)
    room = BOX - 2 - len(size) - 1
    return f" {name[:room]:<{room}} {size} "


def _merge(cols: list[list[Area]]) -> list[list[Area | None]]:
    """Rows of areas, top down, aligned by name across the columns."""
    keyed = []
    for col in cols:
        seen: dict[str, int] = {}
        keys = []
        for a in reversed(col):
            seen[a.name] = seen.get(a.name, 0) + 1
            keys.append((SHORT_AREA.get(a.name, a.name), seen[a.name]))
        keyed.append((keys, list(reversed(col))))
    if len(cols) == 1:
        return [[a] for a in keyed[0][1]]
    (ka, aa), (kb, ab) = keyed
    rows: list[list[Area | None]] = []
    sm = difflib.SequenceMatcher(a=ka, b=kb, autojunk=False)
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if tag == "equal":
            rows += [[aa[i], ab[j]] for i, j in zip(range(i1, i2), range(j1, j2), strict=True)]
        else:
            rows += [[aa[i], None] for i in range(i1, i2)]
            rows += [[None, ab[j]] for j in range(j1, j2)]
    return rows


def address_map(scn: Scenario, names: list[str]) -> str:
    """The 32-bit maps of one or two strategies side by side, top down (not to scale)."""
    cols = [areas(scn, n) for n in names]
    if len(cols) == 2 and any(a.end > 0xFFFFFFFF for col in cols for a in col):
        cols, names = cols[1:], names[1:]      # a 64-bit map does not fit beside a 32-bit one
    rows = _merge(cols)
    wall, edge = f"|{' ' * BOX}|", f"+{'-' * BOX}+"
    n = len(cols)

    def line(addrs: list[str | None], cells: list[str]) -> str:
        left = f"{addrs[0]:>10} " if addrs[0] else " " * 11
        right = f" {addrs[1]}" if n == 2 and addrs[1] else ""
        return (left + "  ".join(cells) + right).rstrip()

    head = " " * 11 + "  ".join(f"{nm:^{BOX + 2}}" for nm in names)
    tops = [next(r[i] for r in rows if r[i] is not None) for i in range(n)]
    out = [head.rstrip(), line([f"{t.end:#010x}" for t in tops], [edge] * n)]
    for row in rows:
        out.append(line([None] * n, [f"|{_label(a)}|" if a else wall for a in row]))
        out.append(line([f"{a.start:#010x}" if a else None for a in row],
                        [edge if a else wall for a in row]))
    return "\n".join(out)


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


def table(rows: tuple[Row, ...], columns: tuple) -> str:
    """A space-aligned table of verdict rows (strategy left, numbers right)."""
    cells = [[f(getattr(r, key)) for _, key, f in columns] for r in rows]
    align = "".join("l" if f is str else "r" for _, _, f in columns)
    return fmt.render_table([h for h, _, _ in columns], cells, align=align)


# --- prose --------------------------------------------------------------------

def subject(scn: Scenario, v: Verdict) -> str:
    """``Subject: [RFC][NUMBERS] ...``: the comparison and its largest effects."""
    m = scn.machine
    claims = []      # (long, short) wording of each decided effect
    for topic, metric in (("capacity", "max_tasks"), ("cpu", "cpu_overhead_pct"),
                          ("ipis", "ipis_per_s")):
        f = next((f for f in v.findings if f.topic == topic), None)
        if f is None or f.outcome not in ("win", "loss"):
            continue
        factor = v.comparison(metric).factor
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


def opening(scn: Scenario, v: Verdict) -> list[str]:
    """What was modelled, on what machine, kernel and workload."""
    m, w, u = scn.machine, scn.workload, scn.ukspace
    era = kernel_era(m.kernel)
    pae = m.arch == "i386-pae"
    b = v.row(v.baseline)
    clock = cost_table(m.cpu_model, scn.costs).clock_hz
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


def assumptions(scn: Scenario, v: Verdict) -> list[str]:
    """The cost figures that move the CPU gap most, and the other key inputs."""
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
    frac = v.row(v.proposal)
    piggy = ("the CR3 reload that switches a single-threaded task in also resets its pool"
             if u.piggyback else "no free reset of the pool at context switch")
    h = "given" if w.highmem_cache_fraction != "auto" else "highmem over RAM"
    out.append(wrap(
        f"Also assumed: page-cache reads hit highmem with probability "
        f"{_frac(scn, frac)} ({h}), uniformly over a file set the size of RAM; "
        f"{piggy}; a flush costs the refills of "
        f"{_refills(scn)} live TLB entries per CPU. The copy itself, syscall entry and "
        "the ordinary context switch are the same in every design and not counted."))
    return out


def _refills(scn: Scenario) -> str:
    t = cost_table(scn.machine.cpu_model, scn.costs)
    return f"{t.refills_per_full_flush:.0f} of {t.tlb_entries:.0f}"


def _frac(scn: Scenario, row: Row) -> str:
    from .closed import evaluate
    df = evaluate(scn.with_overrides({"strategies": [row.strategy]}))
    return pct(100 * float(df["highmem_cache_fraction"].iloc[0]))


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


def _overrides_from(scn: Scenario, name: str) -> list[str]:
    """``--set`` arguments that turn the named scenario file into ``scn``."""
    try:
        base = load_scenario(name).to_plain()
    except ScenarioError:
        return []
    flat_a, flat_b = _flatten(base), _flatten(scn.to_plain())
    out = []
    for key in sorted(set(flat_a) | set(flat_b)):
        if flat_a.get(key) != flat_b.get(key) and key != "strategies":
            out.append(f"--set {key}={_token(flat_b.get(key))}")
    return out


def _flatten(d: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, val in d.items():
        key = f"{prefix}{k}"
        if isinstance(val, dict) and k != "sweep":
            out.update(_flatten(val, key + "."))
        else:
            out[key] = val
    return out


def _token(x: Any) -> str:
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, float) and x.is_integer():
        return str(int(x))
    if isinstance(x, list):
        return "[" + ",".join(str(i) for i in x) + "]"
    return str(x)


def _command(words: list[str]) -> str:
    """A shell command indented two spaces, continued with backslashes at 72."""
    lines, cur = [], "  " + words[0]
    for word in words[1:]:
        if len(cur) + 1 + len(word) + 2 > WIDTH:
            lines.append(cur + " \\")
            cur = "      " + word
        else:
            cur += " " + word
    return "\n".join([*lines, cur])


def reproduce(scn: Scenario, name: str, strategies: list[str] | None,
              baseline: str | None) -> list[str]:
    sets = _overrides_from(scn, name)
    extra = []
    if strategies:
        extra.append(f"--strategies {','.join(strategies)}")
    if baseline:
        extra.append(f"--baseline {baseline}")
    return [
        wrap(f"To reproduce (ukspace-lab, model {MODEL_VERSION}; the same scenario and "
             "model version give the same numbers):"),
        _command(["ukspace-lab", "report", name, *sets]) + "\n"
        + _command(["ukspace-lab", "writeup", name, *sets, *extra]),
    ]


def question(scn: Scenario, v: Verdict) -> str:
    """The closing question, aimed at what decides this scenario."""
    by = {f.topic: f.outcome for f in v.findings}
    p, b = v.row(v.proposal), v.row(v.baseline)
    if by.get("ipis") == "loss" and scn.workload.threads_per_task > 1:
        return ("Would it be acceptable to give the pool only to mms with a single "
                "user and send threaded ones to the global kmap, or does someone see "
                "a cheaper way to keep the pool's flush local when threads share it?")
    plain_low, _, extra = region_cost(scn, v.proposal)
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


def render_writeup(scn: Scenario, scenario_name: str, strategies: list[str] | None = None,
                   baseline: str | None = None) -> str:
    """The plain-text mail for ``scn`` (named ``scenario_name`` in the reproduce lines)."""
    v = verdict(scn, baseline=baseline, strategies=strategies)
    parts = [subject(scn, v), "", *_paras(opening(scn, v))]
    where = "kernel" if scn.ukspace.carve_from == "kernel" else "user"
    if any(a.end > 0xFFFFFFFF for a in areas(scn, v.baseline)):
        intro = (f"The 32-bit address space of {v.proposal} ({v.baseline} has a 64-bit "
                 f"one), top down and not to scale; the region is carved from {where} space:")
    else:
        intro = (f"The address space, {v.baseline} (before) and {v.proposal} (after), top "
                 f"down and not to scale; the region is carved from {where} space:")
    parts += [wrap(intro), "", address_map(scn, [v.baseline, v.proposal]), ""]
    parts += [wrap(f"Lowmem per design, at {fmt.count(v.tasks)} tasks (PT lowmem: "
                   "pagetable pages that must live in lowmem; negative free means the "
                   "tasks do not fit; limit: what caps the task count):"), "",
              table(v.rows, MEMORY_COLUMNS), ""]
    parts += [wrap("Per second, machine-wide (glob.fl: flush_tlb_all from pkmap wraps; "
                   "loc.fl: mm-local flushes; lock: kmap_lock busy; CPU: the cycles of "
                   "all this over the machine's):"), "",
              table(v.rows, RATE_COLUMNS), ""]
    parts += _paras([wrap(v.summary), *(wrap(f.text) for f in v.findings)])
    flips = v.flips_text()
    if flips:
        parts += _paras([wrap("Where it flips, sweeping one input of the closed form with "
                              "everything else as above: " + flips)])
    parts += _paras(assumptions(scn, v))
    parts += _paras(reproduce(scn, scenario_name, strategies, baseline))
    parts.append(wrap(question(scn, v)))
    return "\n".join(parts) + "\n"


def _paras(items: list[str]) -> list[str]:
    out = []
    for item in items:
        out += [item, ""]
    return out


# --- the subcommand -----------------------------------------------------------

def add_parser(sub: Any) -> None:
    p = sub.add_parser("writeup", help="the plain-text mail (RFC with numbers) for a scenario")
    add_scenario_args(p)
    p.add_argument("--strategies", default=None, metavar="A,B,...",
                   help="strategies in the tables (default: the scenario's; the proposal "
                        "and the baseline are always shown)")
    p.add_argument("--baseline", default=None, metavar="S",
                   help="the design to compare against (default: the era's shipped one: "
                        "mainline for 2.4.18/2.5, highpte for 2.6, kmap-local for modern)")
    p.add_argument("--out", default=None, metavar="FILE",
                   help="write the mail to FILE (atomically) instead of printing it")
    p.set_defaults(run=run_writeup)


def _strategy_list(raw: str | None) -> list[str] | None:
    if raw is None:
        return None
    names = [s.strip() for s in raw.split(",") if s.strip()]
    bad = [s for s in names if s not in STRATEGIES]
    if bad or not names:
        raise ScenarioError([f"--strategies {raw!r}: unknown {', '.join(bad) or 'empty list'}; "
                             f"allowed: {', '.join(STRATEGIES)}"], source="command line")
    return names


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and os.replace."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="ascii", newline="\n") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def run_writeup(args: argparse.Namespace) -> int:
    scn = scenario_from_args(args)
    strategies = _strategy_list(args.strategies)
    if args.baseline is not None and args.baseline not in STRATEGIES:
        raise ScenarioError([f"--baseline {args.baseline!r}: allowed: {', '.join(STRATEGIES)}"
                             f" (default for kernel {scn.machine.kernel}: "
                             f"{default_baseline(scn)})"], source="command line")
    text = render_writeup(scn, args.scenario, strategies, args.baseline)
    if args.out:
        write_atomically(Path(args.out), text)
    else:
        print(text, end="")
    return 0
