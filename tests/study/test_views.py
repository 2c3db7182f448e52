"""The notebooks' views, checked against numbers worked out by hand.

The default scenario: 2.4.18 PAE, 16 GiB, 16 CPUs, 400 tasks each mapping a
2 GiB shared segment, 32 MiB private, 4 MiB text, a 128 KiB stack. With PAE a
PTE page maps 2 MiB, so a task has 1024 + 16 + 2 + 1 = 1043 PTE pages
(4.07 MiB). Lowmem is 896 MiB (MAXMEM on 3G/1G); mem_map is 16 GiB / 4 KiB x
64 B = 256 MiB, so mainline's PTE pages fit at most (896 - 256) / 4.07 = 157
tasks. highpte keeps them in the 15.125 GiB of highmem: 15.125 GiB / 4.07 MiB
= 3801 tasks.
"""

import math

import numpy as np
import pandas as pd
import pytest

from ukspace_lab import evaluate, load_scenario
from ukspace_lab.study import views as V

MiB, GiB = 1 << 20, 1 << 30
PTE_PAGES = 1024 + 16 + 2 + 1


@pytest.fixture(scope="module")
def default():
    return load_scenario("default")


@pytest.fixture(scope="module")
def runout(default):
    return V.task_runout(default).set_index("strategy")


def test_mainline_runs_out_of_lowmem_where_the_pte_pages_fill_it(runout):
    """Mainline's run-out lies under (896 - 256) MiB / 1043 PTE pages, bound by lowmem."""
    m = runout.loc["mainline"]
    assert m["limit"] == "lowmem"
    assert 140 <= m["max_tasks"] <= math.floor((896 - 256) * MiB / (PTE_PAGES * 4096))
    assert not m["fits"]


def test_highpte_runs_out_of_highmem(runout):
    """PTE pages in highmem: floor(15.125 GiB / (1043 x 4 KiB)) = 3801 tasks."""
    h = runout.loc["highpte"]
    assert h["limit"] == "highmem"
    assert h["max_tasks"] == math.floor((16 * GiB - 896 * MiB) / (PTE_PAGES * 4096))


def test_runout_is_where_free_lowmem_crosses_zero(default, runout):
    """At max_tasks lowmem is not exhausted; one task more and it is (lowmem-bound ones)."""
    for name in ("mainline", "ukspace-kmap", "4g4g"):
        m = int(runout.loc[name, "max_tasks"])
        at = evaluate(default.with_overrides({"workload.tasks": m})).set_index("strategy")
        past = evaluate(default.with_overrides({"workload.tasks": m + 1})).set_index("strategy")
        assert at.loc[name, "lowmem_free_bytes"] >= 0
        assert past.loc[name, "lowmem_free_bytes"] < 0


def test_task_grid_contains_each_runout_and_stays_under_pid_max(default, runout):
    """The grid passes through every run-out point and the count after it."""
    grid = V.task_grid(default)
    assert grid == sorted(set(grid))
    assert grid[0] == 1 and grid[-1] <= 32768
    for m in runout["max_tasks"]:
        assert int(m) in grid and int(m) + 1 in grid


def test_task_sweep_is_tidy_and_monotone(default):
    """One row per count and strategy; lowmem used grows with the task count."""
    df = V.task_sweep(default, [1, 10, 100])
    assert len(df) == 3 * len(default.strategies)
    for _, part in df.groupby("strategy"):
        assert part["lowmem_used_bytes"].is_monotonic_increasing
    assert list(dict.fromkeys(df["strategy"]))[0] == "mainline"


def test_mem_map_per_era_by_hand(default):
    """mem_map = RAM / 4 KiB x sizeof(struct page): 64 B in 2.4.18, 32 B in 2.6; at
    64 GiB 2.4.18's 1 GiB mem_map does not fit in 896 MiB of lowmem."""
    df = V.mem_map_by_era(default).set_index(["ram_gib", "kernel"])
    assert df.loc[(16.0, "2.4.18"), "mem_map_bytes"] == 256 * MiB
    assert df.loc[(64.0, "2.6"), "mem_map_bytes"] == 512 * MiB
    assert not df.loc[(64.0, "2.4.18"), "boots"]
    assert df.loc[(64.0, "2.6"), "boots"]
    assert df.loc[(1.0, "2.4.18"), "lowmem_left_bytes"] < 896 * MiB


def test_ram_grid_stops_at_4gib_without_pae():
    """A non-PAE desktop sweeps no further than MAX_NONPAE_PFN allows."""
    grid = V.ram_grid(load_scenario("desktop"))
    assert max(grid) == 4 * GiB
    assert max(V.ram_grid(load_scenario("default"))) == 64 * GiB


def test_highmem_cache_share_is_highmem_over_ram(default):
    """'auto': the share of page cache in highmem is highmem / RAM: (4096 - 896) / 4096
    for mainline at 4 GiB, (4096 - 888) / 4096 for ukspace (its region costs 8 MiB)."""
    df = V.highmem_sweep(default, [4 * GiB]).set_index("strategy")
    assert df.loc["mainline", "highmem_cache_fraction"] == pytest.approx(3200 / 4096)
    assert df.loc["ukspace", "highmem_cache_fraction"] == pytest.approx(3208 / 4096)


@pytest.fixture(scope="module")
def pool(default):
    return V.pool_sweep(default, sim=False)


def test_pool_sweep_axes(default, pool):
    """8..1024 entries x piggyback on/off x single/threaded, for the compared strategies."""
    assert sorted(pool["pool_entries"].unique()) == list(V.POOL_GRID)
    assert set(pool["piggyback"]) == {True, False}
    assert sorted(pool["threads_per_task"].unique()) == [1, V.threaded_count(default)]
    assert set(pool["strategy"]) == set(V.POOL_COMPARE)
    assert set(pool["engine"]) == {"closed"}


def test_global_pkmap_does_not_depend_on_the_pool_size(pool):
    """mainline's pkmap has LAST_PKMAP slots whatever ukspace.pool_entries says."""
    m = pool[pool["strategy"] == "mainline"]
    for _, part in m.groupby(["threads_per_task", "piggyback"]):
        assert len(part) == len(V.POOL_GRID)
        for metric in V.POOL_METRICS:
            assert part[metric].nunique() == 1


def test_ukspace_sends_no_global_flush_at_any_pool_size(pool):
    """The swapout scan is the only out-of-context user, and under 2.4's page_table_lock
    it maps through kmap_atomic (model/kmap.py scan_primitive): no flush_tlb_all at any
    pool size (the invlpg count is in test_swapout_fallback_goes_through_kmap_atomic)."""
    u = pool[pool["strategy"] == "ukspace"]
    assert (u["global_tlb_flushes_per_s"].to_numpy() == 0).all()


def test_pool_local_flushes_without_piggyback(pool):
    """Without piggyback a single-threaded pool of P entries flushes once per P new
    mappings: 400 tasks x 100 reads x 4 pages x (15.125/16 in highmem) / 8 at P = 8."""
    u = pool[(pool["strategy"] == "ukspace") & ~pool["piggyback"]
             & (pool["threads_per_task"] == 1)].set_index("pool_entries")
    data = 400 * 100 * 4 * (16 * GiB - 888 * MiB) / (16 * GiB)
    assert u.loc[8, "local_tlb_flushes_per_s"] == pytest.approx(data / 8, rel=0.01)
    assert u.loc[8, "local_tlb_flushes_per_s"] / u.loc[16, "local_tlb_flushes_per_s"] \
        == pytest.approx(2, rel=0.01)
    assert (u["ipis_per_s"].to_numpy() == 0).all()    # single-threaded, scan atomic


def test_pool_long_keeps_every_value(pool):
    """Melted: one row per input row and metric."""
    long = V.pool_long(pool)
    assert len(long) == len(pool) * len(V.POOL_METRICS)


def test_pool_agreement_pairs_engines():
    """Ratios sim / closed at matching points; points both engines leave at 0 are dropped."""
    keys = {"pool_entries": [8, 8], "piggyback": [True, True], "threads_per_task": [1, 1],
            "strategy": ["ukspace", "ukspace"], "threading": ["single-threaded"] * 2}
    closed = pd.DataFrame({**keys, "engine": ["closed"] * 2, "global_tlb_flushes_per_s": [2.0, 2],
                           "ipis_per_s": [0.0, 0], "local_tlb_flushes_per_s": [10.0, 10],
                           "cpu_overhead_pct": [1.0, 1]}).iloc[:1]
    sim = closed.assign(engine="sim", global_tlb_flushes_per_s=3.0, local_tlb_flushes_per_s=0.0)
    out = V.pool_agreement(pd.concat([closed, sim])).set_index("metric")
    assert "ipis_per_s" not in out.index
    assert out.loc["global_tlb_flushes_per_s", "sim_over_closed"] == 1.5
    assert out.loc["local_tlb_flushes_per_s", "sim_over_closed"] == 0


def test_sweep_closed_matches_evaluate(default):
    """The sweep adapter (run_sweep when present) returns the closed form's numbers."""
    a = V.sweep(default, {"tasks": [10, 100]}).sort_values(["strategy", "tasks"])
    b = evaluate(default, {"tasks": [10, 100]}).sort_values(["strategy", "tasks"])
    np.testing.assert_allclose(a["cpu_overhead_pct"].to_numpy(),
                               b["cpu_overhead_pct"].to_numpy())


def test_swapout_fallback_goes_through_kmap_atomic(default):
    """1e6 PTEs/s scanned on 2.4: 1e6 / 512 = 1953 PTE pages mapped by kmap_atomic (one
    invlpg each), no global flush."""
    df = V.swapout_fallback(default).set_index(["strategy", "scan_pages_per_s"])
    assert df.loc[("ukspace", 1e6), "global_tlb_flushes_per_s"] == 0
    assert df.loc[("ukspace", 1e6), "invlpg_per_s"] == pytest.approx(1e6 / 512)
    assert df.loc[("ukspace", 0.0), "invlpg_per_s"] == 0


def test_strategy_table_says_where_pagetables_live(default):
    """mainline keeps PTE pages in lowmem via the direct map; the seed in a per-task window."""
    t = V.strategy_table(default).set_index("strategy")
    assert t.loc["mainline", "pte_pages_in"] == "lowmem"
    assert t.loc["ukspace", "own_pagetables_via"] == "window"
    assert t.loc["ukspace", "other_mm_pagetables_via"] == "kmap"
    assert t.loc["ukspace", "region_bytes"] == 8 * MiB
