"""Closed-form rates on cases worked out by hand.

Base case (``stream``): 2.4.18 PAE on 4 CPUs, one task reading 1000 one-page
highmem page-cache pages per second out of a 1 TiB file set (so practically
every kmap needs a new slot), no faults, scans or context switches.

* global pkmap: one flush_tlb_all() per LAST_PKMAP = 512 new mappings:
  1000 / 512 = 1.953125 flushes/s, each an IPI to the 3 other CPUs: 5.859375 IPIs/s.
* ukspace's per-task pool of 64 with no context switches: one local flush per
  64 new mappings: 15.625/s, and no IPI for a single-threaded task.
* with 4 threads on 4 CPUs: the 3 other CPUs run the same mm, 3 IPIs per flush.
"""

import pytest

from ukspace_lab import evaluate, load_scenario

STREAM = {
    "machine.kernel": "2.4.18", "machine.arch": "i386-pae", "machine.ram": "16GiB",
    "machine.cpus": 4, "workload.tasks": 1, "workload.threads_per_task": 1,
    "workload.reads_per_s": 1000, "workload.read_size": 4096,
    "workload.highmem_cache_fraction": 1.0, "workload.file_set": "1TiB",
    "workload.faults_per_s": 0, "workload.ctxsw_per_s": 0, "workload.forks_per_s": 0,
    "workload.scan_pages_per_s": 0, "ukspace.pool_entries": 64,
}


def run(**extra):
    scn = load_scenario("default", {**STREAM, **extra})
    return evaluate(scn).set_index("strategy")


def test_global_pkmap_flush_per_512_new_mappings():
    df = run()
    row = df.loc["mainline"]
    assert row.kmaps_per_s == 1000
    assert row.global_tlb_flushes_per_s == pytest.approx(1000 / 512, rel=1e-3)
    assert row.ipis_per_s == pytest.approx(3 * 1000 / 512, rel=1e-3)
    assert row.invlpg_per_s == 0


def test_non_pae_flushes_per_1024():
    df = run(**{"machine.arch": "i386", "machine.ram": "4GiB"})
    assert df.loc["mainline"].global_tlb_flushes_per_s == pytest.approx(1000 / 1024, rel=1e-3)


def test_kmap_lock_utilisation_by_hand():
    """Both lock sections of every kmap, the new mapping, and each wrap, over 700 MHz
    (pentium3-xeon, 4 CPUs so a shared line is remote with f = 3/4, flat APIC):

    * kmap_high: 18 lock op + 2 x 3/4 x 150 (lock and pkmap_count[] lines) + 40 = 283;
      map_new_virtual: + 80; kunmap_high: 18 + 3/4 x 150 + 30 = 160.5;
    * held slots: 1000/s x 4000/700e6 s of copy = 0.005714 (Little), so a wrap every
      512 - 0.005714 new mappings;
    * a wrap: (512 - held) x (20 + 3/4 x 150) cleared + held x 4 tested
      + 3/4 x 150 x 512 x (8 + 4) / 32 lines + flush_tlb_all's sender
      300 + 1750 (ALLBUT) + 2000 + 3 x 300 (wait per target).

    (A 1 TiB file set still gives about 512/2/2^28 = 1e-6 hits per kmap: rel 1e-5.)"""
    held = 1000 * 4000 / 700e6
    wrap = ((512 - held) * (20 + 0.75 * 150) + held * 4 + 0.75 * 150 * 512 * 12 / 32
            + 300 + 1750 + 2000 + 3 * 300)
    busy = 1000 * (283 + 80) + 1000 * 160.5 + 1000 / (512 - held) * wrap
    assert run().loc["mainline"].kmap_lock_utilization == pytest.approx(busy / 700e6, rel=1e-5)


def test_per_task_pool_flushes_locally_once_per_pool():
    row = run().loc["ukspace"]
    assert row.local_tlb_flushes_per_s == pytest.approx(1000 / 64, rel=1e-3)
    assert row.global_tlb_flushes_per_s == 0
    assert row.ipis_per_s == 0


def test_threaded_pool_flush_ipis_the_other_cpus():
    row = run(**{"workload.threads_per_task": 4}).loc["ukspace"]
    assert row.local_tlb_flushes_per_s == pytest.approx(1000 / 64, rel=1e-3)
    assert row.ipis_per_s == pytest.approx(3 * 1000 / 64, rel=1e-3)


def test_piggyback_removes_wrap_flushes_when_slices_are_short():
    """8 single-threaded tasks on 4 CPUs, 500 switches/s each: about 2 new mappings per
    slice, so a 64-entry pool reset at every switch-in from another mm practically
    never wraps: with exponential slices, P(>64 maps in one) ~ (2/3)^64, about 1e-11,
    times 4,000 switches/s. (One task alone on 4 CPUs never switches into another mm:
    no reset.)"""
    df = run(**{"workload.ctxsw_per_s": 500, "workload.tasks": 8})
    assert df.loc["ukspace"].local_tlb_flushes_per_s < 1e-6
    off = run(**{"workload.ctxsw_per_s": 500, "workload.tasks": 8, "ukspace.piggyback": False})
    assert off.loc["ukspace"].local_tlb_flushes_per_s == pytest.approx(8 * 1000 / 64, rel=1e-3)
    alone = run(**{"workload.ctxsw_per_s": 500})
    assert alone.loc["ukspace"].local_tlb_flushes_per_s == pytest.approx(1000 / 64, rel=1e-3)


def test_hits_when_the_file_set_fits_in_the_pool():
    """256 highmem pages and 512 slots: once mapped, every kmap is a hit and the
    pool never wraps."""
    row = run(**{"workload.file_set": "1MiB"}).loc["mainline"]
    assert row.kmap_hits_per_s == pytest.approx(1000)
    assert row.global_tlb_flushes_per_s == 0


def test_hit_ratio_against_the_explicit_sum():
    """W = 2048 pages, N = 512 slots: after j new mappings a kmap hits with j/W, so a
    cycle holds sum_j j/(W-j) hits for N misses (no digamma here). The wrap comes every
    N - held new mappings, held = 1000/s x 4000/700e6 s (Little's law)."""
    W, N = 2048, 512
    hits = sum(j / (W - j) for j in range(1, N + 1))
    held = 1000 * 4000 / 700e6
    row = run(**{"workload.file_set": f"{W * 4}KiB"}).loc["mainline"]
    assert row.kmap_hits_per_s / row.kmaps_per_s == pytest.approx(hits / (hits + N), rel=1e-6)
    assert row.global_tlb_flushes_per_s == pytest.approx(
        1000 * N / (hits + N) / (N - held), rel=1e-6)


def test_2_6_reads_use_kmap_atomic():
    row = run(**{"machine.kernel": "2.6"}).loc["mainline"]
    assert row.invlpg_per_s == 1000
    assert row.global_tlb_flushes_per_s == 0


def test_highpte_maps_a_pte_page_twice_per_fault():
    """handle_mm_fault's pte_alloc_map() and the do_*_page re-map after the page is
    allocated (2.5.59 mm/memory.c): 2 x 250 faults/s = 500 kmap_atomic + invlpg/s; no
    exec, so no new PTE page is zeroed."""
    row = run(**{"workload.faults_per_s": 250}).loc["highpte"]
    assert row.invlpg_per_s == 500
    assert run(**{"workload.faults_per_s": 250}).loc["ukspace"].invlpg_per_s == 0


def test_2_4_ukspace_sends_no_global_flush_for_swapout_scanning():
    """51,200 PTEs scanned/s = 100 PTE pages (512 entries each) mapped/s. swap_out_mm()
    holds page_table_lock (2.4.15 mm/vmscan.c), so the fallback is kmap_atomic: 100
    invlpg/s, no flush_tlb_all() and no IPI."""
    row = run(**{"workload.scan_pages_per_s": 51200, "workload.reads_per_s": 0}).loc["ukspace"]
    assert row.kmaps_per_s == pytest.approx(100)
    assert row.invlpg_per_s == pytest.approx(100)
    assert row.global_tlb_flushes_per_s == 0
    assert row.ipis_per_s == 0


def test_4g4g_reloads_cr3_on_every_entry_and_exit():
    """Entries: 1000 reads + 100 faults of the task, and 2.4.18's timer: HZ 100 on each
    of the 4 CPUs plus IRQ0 on one = 500 ticks; two CR3 loads each."""
    row = run(**{"workload.faults_per_s": 100}).loc["4g4g"]
    assert row.local_tlb_flushes_per_s == 2 * (1000 + 100 + 100 * (4 + 1))


def test_flat64_costs_nothing():
    row = run().loc["flat64"]
    assert row.kmaps_per_s == row.cpu_overhead_pct == row.global_tlb_flushes_per_s == 0


def test_sweep_axes_become_columns_with_their_values():
    """Every axis is a column holding its validated value, in the order given; an
    axis named like a result column takes its dotted key. (The 2 GiB SGA of default
    does not fit a 2G/2G task beside its text, private memory and stack: 1 GiB.)"""
    scn = load_scenario("default", {"workload.shared_segment": "1GiB"})
    df = evaluate(scn, {"machine.split": ["3G/1G", "2G/2G"], "ram": ["4GiB"],
                        "highmem_cache_fraction": [0.5, "auto"]})
    assert list(df.columns[1:4]) == ["machine.split", "ram",
                                     "workload.highmem_cache_fraction"]
    assert set(df["machine.split"]) == {"3G/1G", "2G/2G"}
    assert set(df["ram"]) == {4 << 30}
    row = df[(df.strategy == "mainline") & (df["machine.split"] == "2G/2G")
             & (df["workload.highmem_cache_fraction"] == "auto")].iloc[0]
    assert row.lowmem_bytes == (2 << 30) - (128 << 20)   # 4G - 2G - VMALLOC_RESERVE


def test_chunked_grid_equals_one_pass():
    """evaluate_arrays works through cache-sized chunks; the numbers are those of
    one pass over the whole grid."""
    import numpy as np

    from ukspace_lab import points_from_arrays, strategy
    from ukspace_lab.model.closed import CHUNK, evaluate_arrays, evaluate_strategy

    scn = load_scenario("default")
    rng = np.random.default_rng(3)
    n = 2 * CHUNK + 17
    arrays = {"tasks": rng.integers(1, 3000, n).astype(float),
              "pool": rng.choice([8.0, 64.0, 512.0], n),
              "cpus": rng.choice([1.0, 4.0, 16.0], n)}
    chunked = evaluate_arrays(points_from_arrays(scn, arrays), scn.strategies)
    for name in scn.strategies:
        whole = evaluate_strategy(points_from_arrays(scn, arrays), strategy(name))
        for key, values in chunked[name].items():
            np.testing.assert_array_equal(values, np.broadcast_to(whole[key], (n,)),
                                          err_msg=f"{name} {key}")
