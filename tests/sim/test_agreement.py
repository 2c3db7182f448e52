"""Closed form against the event simulator on random valid scenarios.

Where the closed form applies (no copy faults, so no sleeps; no pool
exhaustion; see the account in ``ukspace_lab.sim``), each rate must agree
within its tolerance: a relative band per rate (TOLERANCE), widened by the
noise of the simulated count (4 standard deviations of the events the closed
form expects in the simulated time, counting a read's pages as one burst),
plus an absolute floor of two events over the run for rates near zero, plus
the cold start (the closed form is the steady state; the first visit of a
page is always new, each cold per-task pool skips its first wrap).

Where it is not checked: copy faults (sleeps, blocking) are off here; a
per-task pool that a single read nearly fills has its refills and cycles
unchecked (BURSTY_POOL_REFILLS); on 2.4 with threads of one mm on several busy
CPUs, goodness()'s same-mm bonus places threads in a way the closed form does
not model (``model.sched.closed_form_applies``): the refills and cycles there,
and the pool-flush IPIs, are the simulator's alone (GOODNESS_PLACEMENT).

The era's scheduler enters the closed form through ``model.sched.switch_cr3_rate``
(the CR3 reloads at switch), which ``model.tlb.switch_cr3_rate`` calls.
"""

from __future__ import annotations

import math

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from ukspace_lab import load_scenario
from ukspace_lab.model import sched
from ukspace_lab.model.closed import evaluate
from ukspace_lab.model.kernel import kernel_era
from ukspace_lab.sim import simulate

OPS = 60_000
COPY_CYCLES, CLOCK_HZ = 4000, 700e6      # pentium3-xeon copy_page_cycles and clock_hz
STRATEGIES = ["mainline", "highpte", "ukspace", "ukspace-kmap", "kmap-local", "4g4g"]
# rate -> relative tolerance where the closed form applies
TOLERANCE = {
    "kmaps_per_s": 0.03,
    "kmap_new_per_s": 0.05,
    "kmap_hits_per_s": 0.10,
    "global_tlb_flushes_per_s": 0.05,
    "ipis_per_s": 0.10,
    "local_tlb_flushes_per_s": 0.10,
    "invlpg_per_s": 0.03,
    "kmap_lock_utilization": 0.05,
    "tlb_refills_per_s": 0.25,
    "cpu_cycles_per_s": 0.25,
}
# a per-task pool that one read can nearly fill (4 x pages per read >= pool),
# reset at every switch (piggyback): the simulator shows 0.5-0.85 x the closed
# form's refills per wrap; not checked there (see ukspace_lab.sim)
BURSTY_POOL_REFILLS = "not checked"
# 2.4, threads of one mm on several busy CPUs: placement by goodness() (see above)
GOODNESS_PLACEMENT = ("tlb_refills_per_s", "cpu_cycles_per_s")
GOODNESS_PLACEMENT_POOLED = ("ipis_per_s",)


@st.composite
def scenarios(draw):
    arch = draw(st.sampled_from(["i386", "i386-pae"]))
    ram = draw(st.sampled_from(["2GiB", "4GiB"] if arch == "i386" else
                               ["2GiB", "8GiB", "16GiB"]))
    over = {
        "machine.arch": arch, "machine.ram": ram,
        "machine.cpus": draw(st.sampled_from([1, 2, 4, 8, 16])),
        "machine.kernel": draw(st.sampled_from(["2.4.18", "2.6"])),
        "workload.tasks": draw(st.integers(1, 200)),
        "workload.threads_per_task": draw(st.sampled_from([1, 1, 2, 4])),
        "workload.shared_segment": draw(st.sampled_from([0, "256MiB"])),
        "workload.reads_per_s": draw(st.sampled_from([20, 100, 400])),
        "workload.read_size": draw(st.sampled_from([4096, "16KiB", "64KiB"])),
        "workload.faults_per_s": draw(st.sampled_from([0, 100, 500])),
        "workload.ctxsw_per_s": draw(st.sampled_from([0, 100, 1000])),
        "workload.scan_pages_per_s": draw(st.sampled_from([0, 10000, 100000])),
        "workload.file_set": draw(st.sampled_from(["auto", "auto", "8MiB", "64MiB"])),
        "workload.read_kmap": draw(st.sampled_from(["auto", "kmap"])),
        "ukspace.pool_entries": draw(st.sampled_from([16, 64, 256])),
        "strategies": STRATEGIES,
    }
    scn = load_scenario("default", over)
    # the CPUs must be able to do the copies (the closed form does not count copy time;
    # an oversubscribed simulator runs its CPUs' copies ever further behind the clock,
    # holding slots that long): at most half the machine copying
    w = scn.workload
    copies = w.tasks * (w.reads_per_s + w.writes_per_s) * math.ceil(w.read_size / 4096)
    assume(copies * COPY_CYCLES <= 0.5 * scn.machine.cpus * CLOCK_HZ)
    return scn


def _tolerance(key: str, closed: float, seconds: float, events_per_unit: float,
               burst: float, rel: float) -> float:
    """Relative band or 4 sigma of the count, whichever is wider; kmaps come in
    bursts of ``burst`` pages per read, so the count is that much noisier."""
    expected = abs(closed) * seconds * events_per_unit / burst
    noise = 4.0 / math.sqrt(expected) if expected > 0 else 1.0
    return max(rel, noise) * abs(closed)


@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_closed_form_agrees_with_the_simulator(scn):
    """Every rate of every strategy within tolerance of the simulation."""
    closed = evaluate(scn).set_index("strategy")
    sim = simulate(scn, ops=OPS).set_index("strategy")
    m = scn.machine
    placed = not bool(sched.closed_form_applies(
        sched.policy(kernel_era(m.kernel).name) == "goodness", scn.workload.tasks,
        scn.workload.threads_per_task, m.cpus, scn.workload.ctxsw_per_s))
    burst = math.ceil(scn.workload.read_size / 4096)
    w = scn.workload
    pool, tasks = scn.ukspace.pool_entries, w.tasks
    problems = []
    for name in STRATEGIES:
        seconds = float(sim.at[name, "sim_seconds"])
        for key in TOLERANCE:
            c, s = float(closed.at[name, key]), float(sim.at[name, key])
            # counts behind a rate: per-event rates count themselves; the lock
            # utilisation and cycles follow the kmaps and flushes behind them
            unit = 1.0
            tol_floor = 0.0
            if key == "kmap_lock_utilization":
                unit = float(closed.at[name, "kmaps_per_s"]) / max(c, 1e-300)
            elif key in ("cpu_cycles_per_s", "tlb_refills_per_s"):
                flushes = (closed.at[name, "global_tlb_flushes_per_s"]
                           + closed.at[name, "local_tlb_flushes_per_s"])
                unit = float(flushes) / max(c, 1e-300)
                # a handful of flushes over the run: allow three either way
                cpus = scn.machine.cpus
                tol_floor = 3 * 72 * cpus * (30 if key == "cpu_cycles_per_s" else 1)
            else:
                tol_floor = 0.0
            rel = TOLERANCE[key]
            if name in ("ukspace", "ukspace-kmap") and 4 * burst >= pool and \
                    scn.ukspace.piggyback and key in ("tlb_refills_per_s", "cpu_cycles_per_s"):
                continue                        # BURSTY_POOL_REFILLS: not checked
            if placed and (key in GOODNESS_PLACEMENT or (
                    name in ("ukspace", "ukspace-kmap") and key in GOODNESS_PLACEMENT_POOLED)):
                continue                        # GOODNESS_PLACEMENT: the simulator's alone
            tol = _tolerance(key, c, seconds, unit, burst, rel)
            tol += 2.0 / seconds * key.endswith("_per_s")
            tol += tol_floor / seconds
            if key == "kmap_lock_utilization":
                tol += 1e-4
            # the closed form is the steady state; the run starts cold: the first
            # visit of each scanned PTE page and of each file page is new
            h = float(closed.at[name, "highmem_cache_fraction"])
            file_set = scn.machine.ram if w.file_set == "auto" else w.file_set
            pages = file_set * h / 4096
            q = tasks * float(closed.at[name, "pte_pages_per_task"])
            cold = (min(q, 1024) + min(pages, 1024) + tasks * min(pages, pool)) / seconds
            if key in ("kmap_new_per_s", "kmap_hits_per_s"):
                tol += cold
            elif key == "kmap_lock_utilization":
                tol += cold * 400 / 700e6
            elif key == "cpu_cycles_per_s":
                tol += cold * 400
            if name in ("ukspace", "ukspace-kmap"):
                # each cold per-mm pool skips its first wrap: one flush per mm
                warm = tasks / seconds
                th = w.threads_per_task
                tol += warm * {"local_tlb_flushes_per_s": 1, "ipis_per_s": th,
                               "tlb_refills_per_s": 72 * th,
                               "cpu_cycles_per_s": 2400 + 8000 * th}.get(key, 0)
            if abs(s - c) > tol:
                problems.append(f"{name} {key}: closed {c:.6g} sim {s:.6g} (tol {tol:.3g})")
    assert not problems, "\n".join(problems)
