"""The command line's tables: the evaluate table and the address map, as plain text.

Both read an evaluated record (:class:`~ukspace_lab.model.record.Evaluation`):
the rows and the layouts an engine already computed.
"""

from __future__ import annotations

from ..model.layout import Area
from ..model.record import Evaluation
from . import fmt

EVALUATE_COLUMNS = (
    ("strategy", "strategy", str),
    ("lowmem free", "lowmem_free_bytes", fmt.size),
    ("PT lowmem", "pagetable_lowmem_bytes", fmt.size),
    ("max tasks", "max_tasks", fmt.count),
    ("kmaps/s", "kmaps_per_s", fmt.rate),
    ("glob.fl/s", "global_tlb_flushes_per_s", fmt.rate),
    ("IPIs/s", "ipis_per_s", fmt.rate),
    ("loc.fl/s", "local_tlb_flushes_per_s", fmt.rate),
    ("invlpg/s", "invlpg_per_s", fmt.rate),
    ("sleeps/s", "kmap_sleeps_per_s", fmt.rate),
    ("lock", "kmap_lock_utilization", lambda x: fmt.pct(100 * x)),
    ("CPU", "cpu_overhead_pct", fmt.pct),
    ("CPU range", ("cpu_overhead_pct_low", "cpu_overhead_pct_high"), fmt.pct_range),
)


def _cell(r, key):
    """One value of a result: a key, or a tuple of keys (a range)."""
    if key == "strategy":
        return r.strategy
    return tuple(r[k] for k in key) if isinstance(key, tuple) else r[key]


def evaluate_text(ev: Evaluation) -> str:
    """The evaluate table as plain text: a two-line header, then one row per strategy."""
    rows = [[f(_cell(r, k)) for _, k, f in EVALUATE_COLUMNS] for r in ev.results.values()]
    scn = ev.scenario
    m = scn.machine
    head = (f"{scn.title}\n{m.arch}, {fmt.size(m.ram)}, {m.cpus} CPUs, {m.split}, "
            f"kernel {m.kernel}, {m.cpu_model}; {scn.workload.tasks} tasks x "
            f"{scn.workload.threads_per_task} threads\n")
    return head + "\n" + fmt.render_table([h for h, _, _ in EVALUATE_COLUMNS], rows)


def ascii_map(rows: tuple[Area, ...] | list[Area], width: int = 44) -> str:
    """A top-down ASCII drawing of the address map (not to scale; sizes printed)."""
    out = [f"{'':10} +{'-' * width}+"]
    for a in reversed(rows):
        label = f"{a.name} ({fmt.size(a.size)})"
        out.append(f"{a.end:#010x} |{label[:width].center(width)}|")
        out.append(f"{'':10} +{'-' * width}+")
    out.append(f"{rows[0].start:#010x}")
    return "\n".join(out)


def layout_text(ev: Evaluation, name: str) -> str:
    """One strategy's address map: the drawing and the table of areas."""
    rows = ev.results[name].layout
    table = fmt.render_table(
        ["area", "start", "end", "size", "note"],
        [[a.name, f"{a.start:#010x}", f"{a.end:#010x}", fmt.size(a.size), a.note] for a in rows],
        align="lrrrl")
    return f"{name}\n\n{ascii_map(rows)}\n\n{table}\n"


def layout_json(ev: Evaluation, name: str, names: list[str]) -> dict:
    """What ``layout --json`` prints."""
    return {"scenario": name, "model_version": ev.model_version,
            "layouts": {n: [{"area": a.name, "start": a.start, "end": a.end, "size": a.size,
                             "note": a.note} for a in ev.results[n].layout] for n in names}}


def simulate_text(ev: Evaluation) -> str:
    """The simulator's table: the evaluate table, then events, times, kmap waits and the
    peak flush rate per strategy."""
    rows = []
    for r in ev.results.values():
        d = ev.distributions[r.strategy]
        wait = d["kmap_wait"]
        e = r.engine_values
        rows.append([r.strategy, fmt.count(e["events"]), f"{e['sim_seconds']:.3g}",
                     f"{e['wall_seconds']:.2f}", f"{wait['p50_ns']:.0f}",
                     f"{wait['p99_ns']:.0f}", f"{wait['max_ns']:.0f}",
                     fmt.rate(max(d["flushes_per_s_over_time"]["rates"]))])
    return "\n".join([evaluate_text(ev), "", fmt.render_table(
        ["strategy", "events", "sim s", "wall s", "wait p50 ns", "p99 ns", "max ns",
         "peak fl/s"], rows)])
