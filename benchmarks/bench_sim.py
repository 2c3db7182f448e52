"""Event simulator throughput, one core: the default scenario, and a flush-heavy stream
against the plain C loop of the same pkmap algorithm.

``simulator default``: events per wall second of ``simulate`` on the default
scenario, against the same loop run by the interpreter
(``ukspace_lab.sim.reference``) in the same run; their counts must agree.

``simulator flush-heavy``: 16 CPUs, 16 tasks, 64 KiB reads of distinct highmem
pages (every page-cache page in highmem, no faults, switches or scans),
mainline on 2.4.18: simulated kmaps per wall second against the C loop
``pkmap_ref N LAST_PKMAP 0`` (kmap_high, map_new_virtual,
flush_all_zero_pkmaps, kunmap_high; no reuse) built with ``cc -O2`` from
``/work/shared/bench/pkmap_ref.c`` or the project's copy ``benchmarks/pkmap_ref.c``.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
from pathlib import Path

import numpy as np

from ukspace_lab import load_scenario
from ukspace_lab.model.inputs import points_from_scenario
from ukspace_lab.model.layout import last_pkmap
from ukspace_lab.resources import cache_dir
from ukspace_lab.sim import simulate

from .common import REPEATS, figure, rate, size

DEFAULT_EVENTS = size(3_000_000, 20_000)
PLAIN_EVENTS = size(30_000, 2_000)
FLUSH_READS = size(1_000_000, 5_000)           # 16 kmaps each
C_SOURCES = (Path("/work/shared/bench/pkmap_ref.c"), Path(__file__).with_name("pkmap_ref.c"))
FLUSH_HEAVY = {"machine.cpus": 16, "workload.tasks": 16, "workload.read_size": "64KiB",
               "machine.kernel": "2.4.18", "workload.read_kmap": "kmap",
               "workload.highmem_cache_fraction": 1.0, "workload.faults_per_s": 0,
               "workload.ctxsw_per_s": 0, "workload.scan_pages_per_s": 0,
               "strategies": ["mainline"]}


def c_loop() -> Path:
    """The C reference built into the cache folder (rebuilt when its source is newer)."""
    src = next((p for p in C_SOURCES if p.is_file()), None)
    if src is None:
        raise FileNotFoundError("pkmap_ref.c: neither " + " nor ".join(map(str, C_SOURCES)))
    exe = cache_dir() / "pkmap_ref"
    if not exe.is_file() or exe.stat().st_mtime < src.stat().st_mtime:
        exe.parent.mkdir(parents=True, exist_ok=True)
        cc = shutil.which("cc") or shutil.which("gcc")
        subprocess.run([cc, "-O2", "-o", str(exe), str(src)], check=True)
    return exe


def _sim_rate(scn, ops: int, column: str) -> tuple[float, dict]:
    rates, row = [], {}
    for _ in range(REPEATS):
        row = simulate(scn, ops=ops, seed=1).iloc[0].to_dict()
        count = row["events"] if column == "events" else row[column] * row["sim_seconds"]
        rates.append(count / row["wall_seconds"])
    return statistics.median(rates), row


def bench_default() -> None:
    scn = load_scenario("default", {"strategies": ["mainline"]})
    simulate(scn, ops=1000)                                  # load the compiled cache
    fast, _ = _sim_rate(scn, DEFAULT_EVENTS, "events")
    plain, same = "not available", None
    try:
        from ukspace_lab.sim import state as S
        from ukspace_lab.sim.engine import run_plan
        from ukspace_lab.sim.plan import plan
        from ukspace_lab.sim.reference import plain_functions
        run, fin = plain_functions()
        pl = plan(scn, "mainline")
        w_plain, t_plain = run_plan(pl, ops=PLAIN_EVENTS, seed=1, runner=run, finisher=fin)
        w_fast, _ = run_plan(pl, ops=PLAIN_EVENTS, seed=1)
        same = np.array_equal(w_plain.st[S.C_EVENTS:], w_fast.st[S.C_EVENTS:])
        slow = PLAIN_EVENTS / t_plain
        plain = f"{rate(slow, 'events')}: compiled / plain = {fast / slow:,.0f}x"
    except (ImportError, AttributeError, TypeError) as exc:
        plain = f"not available ({exc})"
    figure("simulator default", f"default scenario, mainline, {DEFAULT_EVENTS:,} events: "
           f"{rate(fast, 'events')} (aim 20 M/s: {fast / 20e6:.2f} of it); baseline the "
           f"plain Python loop {plain}; identical counts: {same}")


def bench_flush_heavy() -> None:
    scn = load_scenario("default", FLUSH_HEAVY)
    simulate(scn, ops=1000)
    sim_rate, row = _sim_rate(scn, FLUSH_READS, "kmaps_per_s")
    kmaps = row["kmaps_per_s"] * row["sim_seconds"]
    last = int(last_pkmap(points_from_scenario(scn))[0])
    exe = c_loop()
    runs = [subprocess.run([str(exe), str(int(kmaps)), str(last), "0"], check=True,
                           capture_output=True, text=True).stdout.split()
            for _ in range(REPEATS)]
    c_rate = statistics.median(float(r[4]) for r in runs)
    c_flushes = int(runs[0][1])
    sim_flushes = row["global_tlb_flushes_per_s"] * row["sim_seconds"]
    figure("simulator flush-heavy", f"16 CPUs, 16 tasks, 64 KiB reads of distinct highmem "
           f"pages, mainline on 2.4.18, {kmaps:,.0f} kmaps: {rate(sim_rate, 'kmaps')}; "
           f"baseline the C loop (LAST_PKMAP {last}) {rate(c_rate, 'kmaps')}: simulator / C = "
           f"1/{c_rate / sim_rate:.1f} (aim 1/5); flushes simulator {sim_flushes:,.0f}, "
           f"C {c_flushes:,}")


def main() -> None:
    bench_default()
    bench_flush_heavy()


if __name__ == "__main__":
    main()
