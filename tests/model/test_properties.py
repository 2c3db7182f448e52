"""Invariants over random scenarios (hypothesis)."""

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from ukspace_lab import ScenarioError, evaluate, load_scenario

BASE = load_scenario("default")

machines = st.fixed_dictionaries({
    "machine.kernel": st.sampled_from(["2.4.18", "2.5", "2.6", "modern"]),
    "machine.ram": st.sampled_from(["512MiB", "1GiB", "4GiB", "16GiB", "32GiB", "64GiB"]),
    "machine.cpus": st.integers(1, 64),
    "workload.tasks": st.integers(1, 3000),
    "workload.threads_per_task": st.integers(1, 8),
    "workload.reads_per_s": st.floats(0, 5000),
    "workload.ctxsw_per_s": st.sampled_from([0, 10, 500, 5000]),
    "workload.scan_pages_per_s": st.floats(0, 1e6),
    "workload.faults_per_s": st.floats(0, 1000),
    "workload.shared_segment": st.sampled_from([0, "256MiB", "2GiB"]),
    "ukspace.pool_entries": st.sampled_from([8, 32, 64, 256]),
    "ukspace.piggyback": st.booleans(),
})
SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.filter_too_much])


def scenario(over):
    """The scenario, or a hypothesis discard when the combination is impossible."""
    try:
        return BASE.with_overrides(over)
    except ScenarioError:
        assume(False)


@SETTINGS
@given(machines, st.integers(1, 500))
def test_more_tasks_never_lowers_lowmem_use(over, extra):
    scn = scenario(over)
    more = scenario({**over, "workload.tasks": over["workload.tasks"] + extra})
    a, b = evaluate(scn), evaluate(more)
    assert (b.lowmem_used_bytes.to_numpy() >= a.lowmem_used_bytes.to_numpy()).all()


@SETTINGS
@given(machines, st.sampled_from(["kernel", "user"]))
def test_bigger_pool_never_raises_flushes(over, carve):
    fixed = {**over, "ukspace.carve_from": carve, "workload.highmem_cache_fraction": 0.9}
    small = scenario(fixed)
    big = scenario({**fixed, "ukspace.pool_entries": 4 * over["ukspace.pool_entries"]})
    cols = ["global_tlb_flushes_per_s", "local_tlb_flushes_per_s", "ipis_per_s"]
    a = evaluate(small).set_index("strategy").loc[["ukspace", "ukspace-kmap"], cols]
    b = evaluate(big).set_index("strategy").loc[["ukspace", "ukspace-kmap"], cols]
    assert (b.to_numpy() <= a.to_numpy() * (1 + 1e-9) + 1e-12).all()


@SETTINGS
@given(machines)
def test_flat64_is_the_floor(over):
    scn = scenario(over)
    df = evaluate(scn).set_index("strategy")
    assert (df.cpu_overhead_pct >= df.loc["flat64", "cpu_overhead_pct"]).all()
    assert (df.global_tlb_flushes_per_s >= df.loc["flat64", "global_tlb_flushes_per_s"]).all()


@SETTINGS
@given(machines)
def test_highpte_puts_no_pte_page_in_lowmem(over):
    scn = scenario(over)
    row = evaluate(scn).set_index("strategy").loc["highpte"]
    if row.highmem_bytes > 0:
        upper = 32 + 3 * 4096  # PAE pgd slab object + 3 pmd pages per mm
        assert row.pagetable_lowmem_bytes == scn.workload.tasks * upper


@SETTINGS
@given(machines, st.floats(0, 0.5), st.floats(0, 50))
def test_a_held_slot_never_lowers_flushes(over, p_fault, sleep_ms):
    """Copies that fault and sleep hold their slot longer; map_new_virtual() skips
    held slots, so a wrap comes every N - held new mappings, never fewer flushes."""
    fixed = {**over, "machine.kernel": "2.4.18", "workload.highmem_cache_fraction": 0.9}
    free = scenario(fixed)
    held = scenario({**fixed, "workload.copy_fault_probability": p_fault,
                     "workload.fault_sleep_ms": sleep_ms})
    a = evaluate(free).set_index("strategy").global_tlb_flushes_per_s
    b = evaluate(held).set_index("strategy").global_tlb_flushes_per_s
    assert (b.to_numpy() >= a.to_numpy() * (1 - 1e-9) - 1e-12).all()


@SETTINGS
@given(machines)
def test_cpu_interval_holds_the_point(over):
    df = evaluate(scenario(over))
    assert (df.cpu_overhead_pct_low <= df.cpu_overhead_pct).all()
    assert (df.cpu_overhead_pct <= df.cpu_overhead_pct_high).all()
