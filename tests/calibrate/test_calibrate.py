"""ukspace_lab.calibrate: guest-log parsing, options, the committed measurements, a live boot.

The fast tests read a captured serial log (tests/data/calibrate_smoke.log) and the CSVs
in data/calibration/. The slow test boots the real i386 686-pae kernel under QEMU.
"""

from __future__ import annotations

import argparse
import math
import re
import shutil
import subprocess
import warnings
from pathlib import Path

import pandas as pd
import pytest

from ukspace_lab.calibrate import boot, cli, compare, fetch, options, parse, results
from ukspace_lab.calibrate.paths import WORKLOAD_SOURCE, cache_dir, default_out_dir

SAMPLE_LOG = Path(__file__).parents[1] / "data" / "calibrate_smoke.log"
DATA = default_out_dir()
MIB = 1 << 20
KIB = 1 << 10
PTE_SPAN = 2 * MIB  # one PAE PTE page maps 2 MiB
LAST_PKMAP = 512  # PAE
BASE_PER_TASK_KB = 28  # 3 PAE pmd pages + 4 PTE pages of the static workload (measured)
# with address-space randomisation the [vvar]/[vdso] pages sometimes share a 2 MiB span
# with another mapping: then every child of that round (fork keeps the layout) has one
# PTE page fewer
ASLR_SHARED_SPAN_KB = 4


def expected_child_vmpte_kb(segment_bytes: int, touch: str) -> int:
    """Hand-derived: base + one 4 KiB PTE page per touched 2 MiB of the segment."""
    if touch == "none":
        return BASE_PER_TASK_KB
    return BASE_PER_TASK_KB + math.ceil(segment_bytes / PTE_SPAN) * 4


def vmpte_matches(measured_kb: int, expected_kb: int) -> bool:
    """The expectation, or one PTE page less when the vdso shares a span (ASLR)."""
    return expected_kb - measured_kb in (0, ASLR_SHARED_SPAN_KB)


def meta() -> results.BootMeta:
    return results.BootMeta("r1", "6.1.0-50-686-pae", "pkg 1", "7.2", 2048, 2, "default", "x")


@pytest.fixture(scope="module")
def sample() -> list[parse.Record]:
    return parse.parse_records(SAMPLE_LOG.read_text())


# --- parsing ---------------------------------------------------------------------------

def test_parse_line_reads_typed_key_values():
    """A UKS line after console escape codes becomes a dict of ints, floats and strings."""
    rec = parse.parse_line("\x1b[2JUKS kind=boot release=6.1.0-50-686-pae cpus=2 uptime_s=3.7\r")
    assert rec == {"kind": "boot", "release": "6.1.0-50-686-pae", "cpus": 2, "uptime_s": 3.7}
    assert parse.parse_line("[    1.0] random kernel line") is None


def test_sample_log_records(sample):
    """The captured boot has every job's records and passes the completion check."""
    kinds = {r["kind"] for r in sample}
    assert {"boot", "meminfo", "pt", "memread", "probes", "done"} <= kinds
    parse.check_boot(SAMPLE_LOG.read_text(), sample, 0)


@pytest.mark.parametrize("bad_log, why", [
    ("UKS kind=boot release=x\n", "never reported kind=done"),
    ("UKS kind=job_done job=pt status=1\nUKS kind=done uptime_s=1\n", "exited with status 1"),
    ("Kernel panic - not syncing: x\nUKS kind=done uptime_s=1\n", "Kernel panic"),
    ("UKS kind=error what=fork errno=12\nUKS kind=done uptime_s=1\n", "guest error record"),
])
def test_check_boot_names_the_failure(bad_log, why):
    """A guest that panicked, failed a job or never finished raises GuestError saying so."""
    with pytest.raises(parse.GuestError, match=why):
        parse.check_boot(bad_log, parse.parse_records(bad_log), 124)


# --- rows built from the sample --------------------------------------------------------

def test_pagetable_rows_match_hand_expectation(sample):
    """Each child's VmPTE is 28 kB + ceil(S/2MiB)*4 kB; the meminfo delta agrees within a page."""
    rows = results.pagetable_rows(meta(), sample)
    assert [(r["tasks"], r["touch"]) for r in rows] == [
        (1, "none"), (1, "sparse"), (20, "none"), (20, "sparse")]
    for r in rows:
        per_child = r["child_vmpte_min_kB"]
        assert per_child == r["child_vmpte_max_kB"]
        assert vmpte_matches(per_child, expected_child_vmpte_kb(r["segment_bytes"], r["touch"]))
        assert r["child_vmpte_sum_kB"] == per_child * r["tasks"]
        assert abs(r["delta_PageTables_kB"] - per_child * r["tasks"]) <= 4
        assert r["delta_KernelStack_kB"] == 8 * r["tasks"]  # THREAD_SIZE per task


def test_kmap_rows_count_pool_wraps(sample):
    """Distinct highmem pages through /proc/PID/mem: one kmap_high each, a flush per 512."""
    cold, warm = results.kmap_rows(meta(), sample)
    pages = options.SMOKE_READ_PAGES
    assert cold["n_kmap_high"] == cold["n_kunmap_high"] == pages
    assert cold["n_flush_all_zero_pkmaps"] == pages // LAST_PKMAP
    assert cold["n_do_flush_tlb_all"] == cold["n_flush_all_zero_pkmaps"] * 2  # 2 CPUs
    assert warm["n_kmap_high"] == 64 * 10 and warm["n_flush_all_zero_pkmaps"] == 0
    assert "kmap_high" in cold["probes_used"].split(";")


def test_meminfo_row_has_zone_and_boot_log_fields(sample):
    """job=mem reports meminfo, zone present/managed pages and the 'Memory:' boot line."""
    (row,) = results.meminfo_rows(meta(), sample)
    assert row["LowTotal_kB"] == 4 * (row["DMA_managed_pages"] + row["Normal_managed_pages"])
    assert row["lowmem_MB"] == 879 and row["swiotlb_MB"] == 0


# --- options and command line ----------------------------------------------------------

def parse_cli(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    return parser.parse_args(list(argv))


def test_default_plan_covers_the_issue_matrix():
    """Defaults: 5 RAM sizes, pt with HIGHPTE and userpte=nohigh, one kmap and one tmpfs boot."""
    opts = cli.options_from_args(parse_cli())
    plan = opts.boot_plan()
    assert [s.jobs[0] for s in plan].count("mem") == 5
    assert [s.boot_options() for s in plan if s.jobs == ("pt",)] == ["default", "userpte=nohigh"]
    assert opts.tasks == (1, 10, 50, 100) and opts.segments_mib == (64, 256, 1024)


@pytest.mark.parametrize("argv, flag", [
    (["--segment", "64MiB,lots"], "--segment"),
    (["--tasks", "0,10"], "--tasks"),
    (["--ram", "100TiB"], "--ram"),
    (["--ram-sweep", "256MiB"], "--ram-sweep"),
    (["--segment", "8GiB"], "--segment"),
    (["--jobs", "pt,bogus"], "--jobs"),
    (["--cpus", "1,2"], "--cpus"),
    (["--touch", "everything"], "--touch"),
])
def test_bad_options_name_the_flag(argv, flag):
    """Every invalid value is rejected with a message that starts with the flag's name."""
    with pytest.raises(options.OptionError, match=f"^{flag}"):
        cli.options_from_args(parse_cli(*argv))


def test_run_returns_2_on_bad_option(capsys):
    """The subcommand reports a bad option on stderr and exits 2, before fetching anything."""
    assert cli.run(parse_cli("--tasks", "x")) == 2
    assert "--tasks" in capsys.readouterr().err


def test_boot_command_uses_x86_64_qemu_with_cpu_max():
    """qemu-system-i386 breaks above 4 GiB; the harness must use qemu-system-x86_64 -cpu max."""
    spec = boot.BootSpec(6144, 2, ("pt",), {"uks_tasks": "1,10"}, ("userpte=nohigh",))
    cmd = boot.qemu_command(spec, Path("vmlinuz"), Path("initrd"))
    assert cmd[:3] == ["qemu-system-x86_64", "-cpu", "max"] and "6144M" in cmd
    assert "job=pt uks_tasks=1,10" in spec.append() and "userpte=nohigh" in spec.append()


def test_kernel_package_search_prefers_newest_unsigned():
    """Newest ABI first; within an ABI the -unsigned image first; metapackages ignored."""
    out = "\n".join([
        "linux-image-686-pae - Linux for modern PCs (meta-package)",
        "linux-image-6.1.0-49-686-pae-unsigned - Linux 6.1 for modern PCs",
        "linux-image-6.1.0-50-686-pae - Linux 6.1 for modern PCs (signed)",
        "linux-image-6.1.0-50-686-pae-unsigned - Linux 6.1 for modern PCs",
    ])
    assert fetch.kernel_package_candidates(out) == [
        "linux-image-6.1.0-50-686-pae-unsigned", "linux-image-6.1.0-50-686-pae",
        "linux-image-6.1.0-49-686-pae-unsigned"]


@pytest.fixture(scope="session")
def host_tools() -> None:
    """qemu-system-x86, gcc-multilib and cpio. `make test` installs them first (`make
    host-tools`); run alone, this installs what is still missing (apt-get, as root) or
    FAILS saying what to install, so no test depends on the order it runs in."""
    try:
        fetch.ensure_host_tools(print)
    except fetch.FetchError as exc:
        pytest.fail(f"host tools missing and not installable here: {exc}\n"
                    "run `make host-tools` as root, or apt-get install qemu-system-x86 "
                    "gcc-multilib cpio")


def test_workload_compiles_static_i386(tmp_path, host_tools):
    """workload.c builds with gcc -m32 -static (gcc-multilib, from `make host-tools`)."""
    out = tmp_path / "w"
    subprocess.run(["gcc", "-m32", "-static", "-O2", "-Wall", "-Werror",
                    "-D_FILE_OFFSET_BITS=64", "-o", str(out), str(WORKLOAD_SOURCE)], check=True)
    info = subprocess.run(["file", str(out)], capture_output=True, text=True).stdout \
        if shutil.which("file") else "ELF 32-bit statically linked"
    assert "32-bit" in info and "statically linked" in info


# --- the committed measurements --------------------------------------------------------

def read(name: str) -> pd.DataFrame:
    path = DATA / f"{name}.csv"
    assert path.is_file(), f"missing {path}: run `ukspace-lab calibrate`"
    return pd.read_csv(path)


def test_committed_matrix_covers_the_issue():
    """tasks 1..100, segments 64 MiB..1 GiB, both PTE placements, RAM 2..16 GiB, kmap runs."""
    pt = read("pagetables")
    assert set(pt["tasks"]) >= {1, 10, 50, 100}
    assert set(pt["segment_bytes"] // MIB) >= {64, 256, 1024}
    assert set(pt["userpte"]) == {"high", "nohigh"}
    assert set(read("meminfo_vs_ram")["ram_bytes"] // (1 << 30)) >= {2, 4, 6, 12, 16}
    assert (read("kmap_high")["phase"] == "distinct_pages").any()
    assert set(read("boots")["run_id"]) >= set(pt["run_id"])


def test_committed_pagetables_are_exact():
    """Every child of every round: VmPTE = 28 kB + ceil(S/2 MiB) * 4 kB (one page less in
    a round whose vdso shares a span), the same for all children of a round."""
    pt = read("pagetables")
    pairs = zip(pt["segment_bytes"], pt["touch"], strict=True)
    want = [expected_child_vmpte_kb(s, t) for s, t in pairs]
    got = pt["child_vmpte_min_kB"]
    assert (got == pt["child_vmpte_max_kB"]).all()
    assert all(vmpte_matches(g, w) for g, w in zip(got, want, strict=True))
    assert (got == want).mean() >= 0.5  # the usual layout: the vdso in a span of its own
    assert ((pt["delta_PageTables_kB"] - pt["tasks"] * got).abs() <= 4).all()


def test_committed_pte_placement():
    """HIGHPTE keeps PTE pages out of lowmem; userpte=nohigh puts them there."""
    pt = read("pagetables")
    big = pt[(pt["tasks"] == 100) & (pt["segment_bytes"] == 1024 * MIB)
             & (pt["touch"] == "sparse")]
    high, low = (big[big["userpte"] == u].iloc[0] for u in ("high", "nohigh"))
    assert high["low_used_kB"] < 0.02 * high["delta_PageTables_kB"]
    assert low["low_used_kB"] >= low["delta_PageTables_kB"]


def test_committed_kmap_counts_follow_the_pool():
    """flush_all_zero_pkmaps = kmap_high/LAST_PKMAP; each wrap flushes every CPU once."""
    km = read("kmap_high")
    cold = km[km["phase"] == "distinct_pages"]
    assert (cold["n_kmap_high"] == cold["pages_read"]).all()
    assert (cold["n_flush_all_zero_pkmaps"] == cold["n_kmap_high"] // LAST_PKMAP).all()
    assert (cold["n_do_flush_tlb_all"] == cold["n_flush_all_zero_pkmaps"] * cold["cpus"]).all()


def test_committed_tmpfs_reads_use_kmap_local_only():
    """6.1 page-cache reads never take kmap_high; about one kmap_local per highmem page."""
    kl = read("kmap_local")
    reads = kl[kl["phase"] == "read"]
    assert (reads["n_kmap_high"] == 0).all()
    ratio = reads["n___kmap_local_pfn_prot"] / reads["file_pages"]
    assert ratio.between(0.99, 1.02).all()


# --- the committed measurements against the model (issue 8 tolerances) ----------------

@pytest.fixture(scope="module")
def committed_vs_model() -> pd.DataFrame:
    return compare.acceptance(compare.compare()).set_index("criterion")


@pytest.mark.parametrize("criterion", [c for c, _q, _t in compare.ACCEPTANCE
                                       if not c.startswith("PageTables")])
def test_committed_agree_with_model(committed_vs_model, criterion):
    """LowTotal (2%), lowmem drop with lowmem PTEs (5%), kmap_high/wrap/IPI counts (2%)."""
    row = committed_vs_model.loc[criterion]
    assert row["points"] > 0 and row["ok"], row.to_dict()


def test_committed_pagetables_agree_with_model(committed_vs_model):
    """PageTables within 2% of the model for every run with more than ten tasks."""
    row = committed_vs_model.loc["PageTables, runs with more than ten tasks"]
    assert row["points"] > 0 and row["ok"], row.to_dict()


def test_compare_table_shape():
    """compare() gives one row per measurement and quantity, with the model version."""
    table = compare.compare()
    assert {"table", "quantity", "measured", "predicted", "error_pct", "strategy",
            "model_version", "kernel_release", "qemu_version"} <= set(table.columns)
    assert set(table["table"]) == set(compare.TABLES)
    assert compare.error_pct(0, 0) == 0 and compare.error_pct(100, 102) == pytest.approx(2)


# --- live ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def live(tmp_path_factory, host_tools) -> dict:
    """One boot of the real kernel: 2 GiB, userpte=nohigh, N = 1, 20 over 64 MiB, 8192-page
    /proc/PID/mem run. If QEMU, gcc-multilib or the i386 packages cannot be fetched this
    FAILS, naming what is missing."""
    from ukspace_lab.calibrate import harness

    try:
        guest = harness.prepare_guest(cache_dir(), print)
    except fetch.FetchError as exc:
        pytest.fail(f"calibration prerequisites could not be fetched: {exc}")
    spec = options.smoke_spec()
    meta_, records, wall = harness.boot_once(spec, guest, tmp_path_factory.mktemp("boot"))
    tables = {name: pd.DataFrame(builder(meta_, records))
              for job in spec.jobs for name, builder in [results.ROW_BUILDERS[job]]}
    return {"spec": spec, "meta": meta_, "records": records, "wall": wall, "tables": tables}


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_live_guest_matches_hand_expectations(live):
    """Live PageTables, kmap_high and LowTotal equal the hand-derived and committed values."""
    spec, records, meta_ = live["spec"], live["records"], live["meta"]
    assert live["wall"] < 240

    for r in results.pagetable_rows(meta_, records):
        per_child = r["child_vmpte_min_kB"]
        assert per_child == r["child_vmpte_max_kB"], r
        assert vmpte_matches(per_child, expected_child_vmpte_kb(r["segment_bytes"], r["touch"])), r
        assert abs(r["delta_PageTables_kB"] - per_child * r["tasks"]) <= 4, r
        assert r["low_used_kB"] >= r["delta_PageTables_kB"], r  # userpte=nohigh: in lowmem

    cold, _warm = results.kmap_rows(meta_, records)
    assert cold["n_kmap_high"] == options.SMOKE_READ_PAGES
    assert cold["n_flush_all_zero_pkmaps"] == options.SMOKE_READ_PAGES // LAST_PKMAP
    assert cold["n_do_flush_tlb_all"] == cold["n_flush_all_zero_pkmaps"] * spec.cpus

    (mem,) = results.meminfo_rows(meta_, records)
    assert mem["LowTotal_kB"] + mem["HighTotal_kB"] == mem["MemTotal_kB"]
    # the guest is whatever 6.1 686-pae ABI Debian serves today: the mechanisms above
    # must match; the release only has to be one the modern era describes
    release = mem["kernel_release"]
    assert re.fullmatch(r"6\.1\.\d+-\d+-686-pae", release), release
    committed = set(read("meminfo_vs_ram")["kernel_release"])
    if release not in committed:
        warnings.warn(f"booted {release} ({meta_.kernel_package}); the committed "
                      f"measurements are from {', '.join(sorted(committed))}: the mechanisms "
                      "still match (`ukspace-lab calibrate` refreshes data/calibration/)",
                      stacklevel=1)


@pytest.mark.slow
@pytest.mark.timeout(600)
@pytest.mark.parametrize("criterion", [c for c, _q, _t in compare.ACCEPTANCE
                                       if not c.startswith("PageTables")])
def test_live_guest_agrees_with_model(live, criterion):
    """The live boot meets the issue's tolerances against the model (LowTotal, lowmem drop
    with lowmem PTEs, kmap_high, pool-wrap flushes, flush IPIs)."""
    accepted = compare.acceptance(compare.compare_tables(live["tables"])).set_index("criterion")
    row = accepted.loc[criterion]
    assert row["points"] > 0 and row["ok"], row.to_dict()


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_live_pagetables_agree_with_model(live):
    """Live PageTables (20 tasks) within 2% of the model."""
    accepted = compare.acceptance(compare.compare_tables(live["tables"])).set_index("criterion")
    row = accepted.loc["PageTables, runs with more than ten tasks"]
    assert row["points"] > 0 and row["ok"], row.to_dict()
