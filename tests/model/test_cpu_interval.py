"""The CPU interval over the cost ranges of data/costs.yaml: cpu_overhead_pct_low and
_high are the CPU sum with every cost at its low and at its high end."""

import pytest

from ukspace_lab import evaluate, load_scenario
from ukspace_lab.model.costs import COST_FIELDS, cost_range, cpu_models
from ukspace_lab.model.record import evaluation

SHIPPED = ("default", "desktop", "pae64g", "threaded")


@pytest.mark.parametrize("name", SHIPPED)
def test_low_point_high_on_every_strategy_and_shipped_scenario(name):
    df = evaluate(load_scenario(name))
    assert (df.cpu_overhead_pct_low <= df.cpu_overhead_pct).all()
    assert (df.cpu_overhead_pct <= df.cpu_overhead_pct_high).all()
    mapped = df[df.kmaps_per_s > 0]
    assert (mapped.cpu_overhead_pct_high > mapped.cpu_overhead_pct_low).all()


def test_every_cost_has_an_ordered_range_and_a_source():
    from ukspace_lab.model.costs import cost_sources
    for model in cpu_models():
        sources = cost_sources(model)
        for name in COST_FIELDS:
            low, value, high = cost_range(model, name)
            assert low <= value <= high, (model, name)
            assert sources[name].strip(), (model, name)


def test_the_ends_are_the_sums_at_each_cost_end():
    """kmap-local on default (2.4.18, 16 CPUs) charges 191k kmap_atomic + invlpg per
    second and no flush: at the point (40 + 100) x kmaps, at the low ends (20 + 25) x
    kmaps, at the high ends (80 + 250) x kmaps (plus refills, which are 0 here)."""
    row = evaluate(load_scenario("default")).set_index("strategy").loc["kmap-local"]
    machine = 16 * 700e6
    k = row.invlpg_per_s
    assert row.tlb_refills_per_s == 0
    assert row.cpu_overhead_pct == pytest.approx(100 * k * 140 / machine, rel=1e-9)
    assert row.cpu_overhead_pct_low == pytest.approx(100 * k * 45 / machine, rel=1e-9)
    assert row.cpu_overhead_pct_high == pytest.approx(100 * k * 330 / machine, rel=1e-9)


def test_an_override_pins_the_cost_at_every_end():
    """With every cost of kmap-local's sum overridden, its interval closes."""
    scn = load_scenario("default", {"costs.kmap_atomic_cycles": 40,
                                    "costs.invlpg_cycles": 100})
    row = evaluate(scn).set_index("strategy").loc["kmap-local"]
    assert row.cpu_overhead_pct_low == row.cpu_overhead_pct == row.cpu_overhead_pct_high


def test_the_record_carries_the_interval():
    rec = evaluation(load_scenario("default"))
    for r in rec.results.values():
        assert r["cpu_overhead_pct_low"] <= r["cpu_overhead_pct"] <= r["cpu_overhead_pct_high"]


def test_an_engine_frame_without_an_interval_gets_the_closed_forms_around_its_point():
    """The 0.2 simulator measures one CPU figure: the record scales it by the closed
    form's low/point and high/point (here a made-up engine value of twice the closed
    form's point: its ends are twice the closed form's ends)."""
    scn = load_scenario("default")
    closed = evaluate(scn)
    frame = closed.drop(columns=["cpu_overhead_pct_low", "cpu_overhead_pct_high"])
    frame["cpu_overhead_pct"] = 2 * frame["cpu_overhead_pct"]
    rec = evaluation(scn, frame, engine="sim")
    for _, row in closed.iterrows():
        r = rec.results[row.strategy]
        assert r["cpu_overhead_pct_low"] == pytest.approx(2 * row.cpu_overhead_pct_low)
        assert r["cpu_overhead_pct_high"] == pytest.approx(2 * row.cpu_overhead_pct_high)
