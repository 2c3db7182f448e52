"""Per-operation mechanisms (model/mechanisms.py) and kernel versions (model/kernel.py).

Tiny kernbench (``TINY``): 2.5.59 (era 2.5-late: HZ 1000, pte_chains in cache-line
nodes, copy_strings one kmap per page), i386-pae, 4 CPUs, pentium3-xeon (a kernel built
for it has 32-byte L1 lines), 4 GiB. Two tasks, each per second: 100 faults, 1 fork,
1 exec (2 argument pages, 30 strings), 1 exit (auto = forks), 50 other syscalls; no
reads; 200 device interrupts machine-wide. Half of new user pages are in highmem.

Per task: PTE pages P (PAE, 2 MiB each): text 1 MiB -> 1, private 4 MiB -> 2, stack
128 KiB -> 1, no shared segment: P = 4. Mapped pages: shared (text) 256, private
(4 MiB + 128 KiB)/4 KiB = 1056, M = 1312.

* new PTE pages in faults: min(F, E x P) = min(100, 4) = 4 per task.
* own-context PTE maps: 2 x (2 x 100 faults + 4 new + 1 fork x 4 + 1 exit x 4 +
  1 exec x 2 arg pages) = 2 x 214 = 428/s.
* child PTE maps: 2 x 1 fork x 4 x 2 (zero + map) = 16/s.
* out-of-context (exec teardown after activate_mm): 2 x 1 x 4 = 8/s.
* argument kmaps: 2 tasks x 1 exec x 2 pages x 0.5 in highmem = 2/s; on 2.4.18 (a kmap
  per string chunk): 2 x 1 x (30 strings + 1 file name + 2 pages - 1) x 0.5 = 32/s,
  of which 2/s are new slots (each page's first kmap) and 30/s hits.
* rmap: adds 2 x (100 + 1 fork x 1312 + 1 exec x 2) = 2828/s; removes 2 x (1 exit +
  1 exec) x 1312 = 5248/s; 8076 calls/s. With 2 tasks a chain has 2 ptes: one node
  at 7 (lowmem pointers: (32-4)/4) or 3 (u64: (32-4)/8) ptes per node, no extra walk.
* ticks: HZ 1000 x (4 local APIC timers + IRQ0) = 5000/s; syscalls 2 x (50 + fork +
  exec + exit) = 106/s; faults 200/s; entries 5000 + 200 + 106 + 200 = 5506/s.
* 4G/4G user copy pages: 2 x (50 x 1 + 1 exec x 2) = 104/s. New mms: 2 x (1 + 1) = 4/s.
"""

import pytest
import yaml

from ukspace_lab import evaluate, load_scenario
from ukspace_lab.errors import ScenarioError
from ukspace_lab.model import mechanisms
from ukspace_lab.model.inputs import points_from_scenario
from ukspace_lab.model.kernel import kernel_era, parse_version, resolve
from ukspace_lab.model.memory import budget
from ukspace_lab.model.record import evaluation
from ukspace_lab.model.strategies import strategy
from ukspace_lab.resources import data_file

TINY = {
    "machine.kernel": "2.5.59", "machine.arch": "i386-pae", "machine.ram": "4GiB",
    "machine.cpus": 4, "machine.cpu_model": "pentium3-xeon", "machine.interrupts_per_s": 200,
    "workload.tasks": 2, "workload.threads_per_task": 1, "workload.shared_segment": 0,
    "workload.text": "1MiB", "workload.private": "4MiB", "workload.stack": "128KiB",
    "workload.reads_per_s": 0, "workload.writes_per_s": 0, "workload.faults_per_s": 100,
    "workload.forks_per_s": 1, "workload.execs_per_s": 1, "workload.exec_arg_pages": 2,
    "workload.exec_strings": 30, "workload.syscalls_per_s": 50, "workload.ctxsw_per_s": 0,
    "workload.scan_pages_per_s": 0, "workload.highmem_cache_fraction": 0.5,
}


def tiny_streams(**extra):
    scn = load_scenario("default", {**TINY, **extra})
    p = points_from_scenario(scn)
    b = budget(p, strategy("highpte"))
    return mechanisms.streams(p, b.pte_pages_per_task, p["highmem_fraction"]), b


def test_tiny_kernbench_per_operation_counts():
    st, b = tiny_streams()
    assert b.pte_pages_per_task[0] == 4
    expect = {"own_pte_maps": 428, "child_pte_maps": 16, "other_pte_maps": 8,
              "new_pte_pages": 8, "exec_arg_kmaps": 2, "exec_arg_pages": 2,
              "rmap_ops": 8076, "rmap_extra_nodes": 0, "ticks": 5000, "interrupts": 200,
              "syscalls": 106, "faults": 200, "kernel_entries": 5506,
              "user_copy_pages": 104, "new_mms": 4, "ctxsw": 0}
    got = {k: float(v[0]) for k, v in st.as_dict().items() if k in expect}
    assert got == pytest.approx(expect)


def test_2_4_copy_strings_kmaps_each_string():
    st, _ = tiny_streams(**{"machine.kernel": "2.4.18"})
    assert st.exec_arg_kmaps[0] == pytest.approx(32)
    assert st.rmap_ops[0] == 0                      # no reverse map in 2.4
    assert st.ticks[0] == pytest.approx(100 * 5)    # HZ 100
    row = evaluate(load_scenario("default", {**TINY, "machine.kernel": "2.4.18"})
                   ).set_index("strategy").loc["mainline"]
    assert row.kmaps_per_s == pytest.approx(32)
    assert row.kmap_new_per_s == pytest.approx(2)
    assert row.kmap_hits_per_s == pytest.approx(30)


def test_u64_pte_chains_walk_more_nodes():
    """16 tasks share the 256 text pages: a chain of 16 ptes is ceil(16/7) = 3 nodes of
    lowmem pointers, walked (3+1)/2 = 2 on average, or ceil(16/3) = 6 u64 nodes, 3.5:
    1.5 more per remove; removes of shared pages 16 x (1 exit + 1 exec) x 256 = 8192/s,
    so 12,288 extra nodes/s."""
    st, _ = tiny_streams(**{"workload.tasks": 16})
    assert st.rmap_extra_nodes[0] == pytest.approx(12288)
    st, _ = tiny_streams(**{"workload.tasks": 16, "machine.kernel": "2.5.30"})
    assert st.rmap_extra_nodes[0] == 0              # one pte per node before 2.5.35


def test_highpte_pays_the_pte_maps_mainline_does_not():
    """highpte: every PTE-page map is a kmap_atomic + invlpg: 428 + 16 + 8 = 452/s, plus
    the 2 argument kmaps through the global pool; mainline maps only the arguments. The
    rmap lookups cost highpte 8076 x kmap_atomic_to_page_cycles more."""
    df = evaluate(load_scenario("default", TINY)).set_index("strategy")
    assert df.loc["highpte"].invlpg_per_s == pytest.approx(452)
    assert df.loc["highpte"].kmaps_per_s == pytest.approx(454)
    assert df.loc["mainline"].kmaps_per_s == pytest.approx(2)
    assert df.loc["mainline"].invlpg_per_s == 0


def test_cpu_bound_rates_scale_with_the_cpu_share():
    """8 tasks on 4 CPUs run half the time: 100 faults/s while running are 50/s."""
    st, _ = tiny_streams(**{"workload.tasks": 8, "workload.cpu_bound": True})
    assert st.faults[0] == pytest.approx(8 * 100 * 0.5)
    st, _ = tiny_streams(**{"workload.tasks": 2, "workload.cpu_bound": True})
    assert st.faults[0] == pytest.approx(200)       # 2 tasks, 4 CPUs: share 1


def test_a_uniprocessor_takes_irq0_alone():
    """C12's box: one CPU, HZ forced to 1000, a pure user-space loop: 1000 timer
    interrupts/s (no local APIC timer beside IRQ0), so 4G/4G loads CR3 2000 times/s."""
    scn = load_scenario("default", {
        "machine.kernel": "2.6.4-rc3-mm3", "machine.cpus": 1, "machine.ram": "1GiB",
        "machine.hz": 1000, "workload.tasks": 1, "workload.shared_segment": 0,
        "workload.reads_per_s": 0, "workload.faults_per_s": 0, "workload.ctxsw_per_s": 0,
        "workload.scan_pages_per_s": 0, "strategies": ["mainline", "4g4g"]})
    p = points_from_scenario(scn)
    assert mechanisms.ticks(p)[0] == 1000
    assert evaluate(scn).set_index("strategy").loc["4g4g"].local_tlb_flushes_per_s == 2000


def _rows():
    with open(data_file("kernels.yaml"), encoding="utf-8") as fh:
        return yaml.safe_load(fh)


@pytest.mark.parametrize("row", _rows()["versions"], ids=lambda r: r["era"])
def test_each_version_range_resolves_to_its_era(row):
    for end in ("from", "to"):
        assert resolve(row[end])[0] == row["era"]


def test_named_versions_resolve_to_the_eras_of_their_sources():
    assert kernel_era("2.5.74").name == "2.5-late"
    assert kernel_era("2.5.59-mjb5").name == "2.5-late"
    assert kernel_era("2.6.32").name == "2.6.3x"
    assert kernel_era("2.5.25").name == "2.5"
    assert kernel_era("6.1").name == "modern"
    for alias in ("2.4.18", "2.5", "2.6", "modern"):
        assert kernel_era(alias).name == alias


@pytest.mark.parametrize("name", list(_rows()["gated"]))
def test_gates_switch_at_their_first_version(name):
    """Each gate row's value holds from its first version; the version before it has
    the previous row's value."""
    rows = _rows()["gated"][name]
    for prev, row in zip(rows, rows[1:], strict=False):
        major, minor, patch = parse_version(row["from"])
        before = f"{major}.{minor}.{patch - 1}" if patch else None
        assert getattr(kernel_era(row["from"]), name) == row["value"]
        if before and parse_version(before):
            assert getattr(kernel_era(before), name) == prev["value"]


def test_evaluation_records_the_resolved_era():
    scn = load_scenario("default", {"machine.kernel": "2.5.74"})
    ev = evaluation(scn)
    assert (ev.era.name, ev.era.version, ev.era.hz) == ("2.5-late", "2.5.74", 1000)


@pytest.mark.parametrize("bad", ["2.50", "2.3.99", "7.0", "linux"])
def test_a_bad_kernel_is_refused_naming_the_key(bad):
    with pytest.raises(ScenarioError) as exc:
        load_scenario("default", {"machine.kernel": bad})
    assert "machine.kernel" in str(exc.value) and "2.6.32" in str(exc.value)


def test_json_names_the_era_used():
    ev = evaluation(load_scenario("default", {"machine.kernel": "2.6.32"}))
    assert ev.to_json("default")["kernel_era"] == {"given": "2.6.32", "era": "2.6.3x",
                                                   "version": "2.6.32"}


def test_every_event_counts_against_the_cpu_bound():
    """A billion syscalls per second per task on 16 x 700 MHz is refused, naming them."""
    with pytest.raises(ScenarioError) as exc:
        load_scenario("default", {"workload.syscalls_per_s": 1e9})
    assert "syscalls_per_s" in str(exc.value)


def test_a_larger_pkmap_pool_wraps_less_often():
    """One task kmaps 1000 new highmem pages/s (1 TiB file set, practically no hits): a
    wrap per LAST_PKMAP new mappings, 1000/512 flushes/s with 2.4's PAE pool and
    1000/4096 with C2/C3's 4096-slot pool (machine.last_pkmap)."""
    base = {"machine.kernel": "2.4.18", "machine.arch": "i386-pae", "machine.cpus": 4,
            "workload.tasks": 1, "workload.reads_per_s": 1000, "workload.read_size": 4096,
            "workload.highmem_cache_fraction": 1.0, "workload.file_set": "1TiB",
            "workload.faults_per_s": 0, "workload.ctxsw_per_s": 0,
            "workload.scan_pages_per_s": 0, "strategies": ["mainline"]}
    for slots, expect in (("auto", 1000 / 512), (4096, 1000 / 4096)):
        row = evaluate(load_scenario("default", {**base, "machine.last_pkmap": slots})).iloc[0]
        assert row.global_tlb_flushes_per_s == pytest.approx(expect, rel=0.01)
    with pytest.raises(ScenarioError, match="machine.last_pkmap"):
        load_scenario("default", {"machine.last_pkmap": 1000})
