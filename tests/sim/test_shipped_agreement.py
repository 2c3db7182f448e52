"""Closed form against the event simulator on every shipped scenario (issue #13 item 5).

Each shipped scenario is simulated for SECONDS after WARMUP simulated seconds (the
pools and TLBs warm, so the closed form's steady state is what is measured), and
every rate of every strategy must satisfy

    |sim - closed| <= 2% x |closed| + 4 sigma,

where sigma is the counting noise of the simulated rate. Derivation: a rate ``r``
(per second) is a count ``n`` over ``t`` simulated seconds. The events behind it
arrive as a Poisson stream, except that a read's ``b = ceil(read_size / 4 KiB)``
pages come together, so the count is ``n / b`` independent bursts of ``b`` events:
Var(n) = b^2 x (n / b) = b n, and sigma(r) = sqrt(b n) / t with n = r t u, where
``u`` is the events behind one unit of the rate (1 for a per-event rate; for the
lock utilisation the global pool's kmaps per unit, for refills the TLB flushes per
unit, for cycles the kmaps and flushes per unit: the events they are charged on).
With fewer than one expected burst the count is 0 or one burst: sigma is taken
at one burst, b / (t u).

Rates where the closed form does not apply are left out, by name:
GOODNESS_PLACEMENT, 2.4 goodness() placing threads of one mm on several busy
CPUs (``model.sched.closed_form_applies``; the writeup says the simulator is the
reference there). Rates that still disagree are listed in KNOWN_DISAGREEMENTS
with the measured numbers; the test fails if one of them starts to agree (so
that the list is kept honest) or if any other rate disagrees.
"""

from __future__ import annotations

import math

import pytest

from ukspace_lab import load_scenario, scenario_names
from ukspace_lab.model import sched
from ukspace_lab.model.closed import evaluate
from ukspace_lab.model.kernel import kernel_era
from ukspace_lab.sim import simulate

pytestmark = pytest.mark.slow

SECONDS, WARMUP = 1.0, 0.5
REL = 0.02
RATES = ("kmaps_per_s", "kmap_new_per_s", "kmap_hits_per_s", "global_tlb_flushes_per_s",
         "ipis_per_s", "local_tlb_flushes_per_s", "invlpg_per_s", "kmap_lock_utilization",
         "tlb_refills_per_s", "cpu_cycles_per_s")
# 2.4 goodness() placement: the closed form's equal-chance placement does not apply
GOODNESS_PLACEMENT = ("tlb_refills_per_s", "cpu_cycles_per_s")
GOODNESS_PLACEMENT_POOLED = ("ipis_per_s",)
POOLED = ("ukspace", "ukspace-kmap")

# (scenario, strategy, rate) -> why; measured closed / sim, 1 s after 0.5 s warm-up
# WRAP_SPIN_RESIDUAL: the kmap_lock spin behind a flush_all_zero_pkmaps() wrap still
# differs (lock utilisation, flushes and refills agree): the closed form's spinners are
# independent, the simulator's queue behind the wrap and each other (the convoy after
# the wrap, and at dbench's 74% lock utilisation the short-section queue), not modelled
WRAP_SPIN_RESIDUAL = "kmap_lock spin behind a wrap (convoy), see sim/__init__.py"
KNOWN_DISAGREEMENTS: dict[tuple[str, str, str], str] = {
    ("dbench", "mainline", "cpu_cycles_per_s"): WRAP_SPIN_RESIDUAL,     # 1.6224e9 / 1.5736e9
    ("dbench", "highpte", "cpu_cycles_per_s"): WRAP_SPIN_RESIDUAL,      # 1.6225e9 / 1.5527e9
    ("dbench", "ukspace-pt", "cpu_cycles_per_s"): WRAP_SPIN_RESIDUAL,   # 1.6272e9 / 1.5761e9
    ("default", "mainline", "cpu_cycles_per_s"): WRAP_SPIN_RESIDUAL,    # 3.1762e8 / 3.3435e8
    ("default", "highpte", "cpu_cycles_per_s"): WRAP_SPIN_RESIDUAL,     # 3.2883e8 / 3.5503e8
    ("default", "shpte", "cpu_cycles_per_s"): WRAP_SPIN_RESIDUAL,       # 3.1762e8 / 3.3435e8
    ("default", "ukspace-pt", "cpu_cycles_per_s"): WRAP_SPIN_RESIDUAL,  # 3.1763e8 / 3.4387e8
}


def _events_per_unit(row, key: str, value: float) -> float:
    """u: the counted events behind one unit of rate ``key`` (see the docstring)."""
    flushes = float(row["global_tlb_flushes_per_s"] + row["local_tlb_flushes_per_s"])
    if key == "kmap_lock_utilization":      # kmap_lock is taken by the pool's kmaps only
        return float(row["kmap_hits_per_s"] + row["kmap_new_per_s"]) / max(abs(value), 1e-300)
    if key == "tlb_refills_per_s":
        return flushes / max(abs(value), 1e-300)
    if key == "cpu_cycles_per_s":           # cycles are charged per kmap and per flush
        return (flushes + float(row["kmaps_per_s"])) / max(abs(value), 1e-300)
    return 1.0


def band(closed: float, seconds: float, unit: float, burst: float) -> float:
    """2% of |closed| plus 4 sigma of the simulated count (module docstring)."""
    if unit <= 0:
        return REL * abs(closed)
    bursts = abs(closed) * seconds * unit / burst
    sigma = math.sqrt(max(bursts, 1.0)) * burst / (seconds * unit)
    return REL * abs(closed) + 4.0 * sigma


def disagreements(name: str) -> dict[tuple[str, str, str], str]:
    """Every checked rate of scenario ``name`` outside its band."""
    scn = load_scenario(name)
    closed = evaluate(scn).set_index("strategy")
    sim = simulate(scn, seconds=SECONDS, warmup=WARMUP).set_index("strategy")
    m, w = scn.machine, scn.workload
    placed = not bool(sched.closed_form_applies(
        sched.policy(kernel_era(m.kernel).name) == "goodness", w.tasks,
        w.threads_per_task, m.cpus, w.ctxsw_per_s))
    burst = float(math.ceil(w.read_size / 4096))
    out = {}
    for st in scn.strategies:
        seconds = float(sim.at[st, "sim_seconds"])
        for key in RATES:
            if placed and (key in GOODNESS_PLACEMENT or (
                    st in POOLED and key in GOODNESS_PLACEMENT_POOLED)):
                continue                        # GOODNESS_PLACEMENT
            c, s = float(closed.at[st, key]), float(sim.at[st, key])
            tol = band(c, seconds, _events_per_unit(closed.loc[st], key, c), burst)
            if abs(s - c) > tol:
                out[(name, st, key)] = f"closed {c:.5g} sim {s:.5g} (band {tol:.3g})"
    return out


def test_band_by_hand():
    """1000 events/s over 2 s, one event each: n = 2000, sigma = sqrt(2000)/2 = 22.36;
    the band is 20 + 4 x 22.36 = 109.4. In bursts of 4: sigma = sqrt(4 x 2000)/2."""
    assert band(1000.0, 2.0, 1.0, 1.0) == pytest.approx(20 + 4 * math.sqrt(2000) / 2)
    assert band(1000.0, 2.0, 1.0, 4.0) == pytest.approx(20 + 4 * math.sqrt(8000) / 2)
    # a rate of 0.1/s over 1 s: under one burst expected, sigma is one burst
    assert band(0.1, 1.0, 1.0, 1.0) == pytest.approx(0.002 + 4.0)


@pytest.mark.parametrize("name", scenario_names())
def test_engines_agree_on_shipped_scenario(name):
    """Every rate of every strategy where the closed form applies, within its band."""
    found = disagreements(name)
    known = {k for k in KNOWN_DISAGREEMENTS if k[0] == name}
    unexpected = {k: v for k, v in found.items() if k not in known}
    fixed = sorted(known - set(found))
    assert not unexpected, "\n".join(f"{k}: {v}" for k, v in sorted(unexpected.items()))
    assert not fixed, f"now agree, drop from KNOWN_DISAGREEMENTS: {fixed}"
