"""Bad input refused at the model's door: the YAML loader's bounds, the field types,
and workloads that cannot fit the machine (issue #11, section 2)."""

from __future__ import annotations

import time

import numpy as np
import pytest

from ukspace_lab import ScenarioError, load_scenario, validate_scenario
from ukspace_lab.errors import MAX_PROBLEMS, shown
from ukspace_lab.model.loading import parse_overrides
from ukspace_lab.units import GiB, MiB


def refusal(fn, *args, **kwargs) -> str:
    with pytest.raises(ScenarioError) as exc:
        fn(*args, **kwargs)
    return str(exc.value)


def from_file(tmp_path, data: bytes, name: str = "s.yaml") -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return refusal(load_scenario, path)


# --- the file -----------------------------------------------------------------------------

def test_alias_bomb_refused_fast(tmp_path):
    """Nine levels of nine aliases would expand to 9**9 = 387 million nodes."""
    lines = ["a0: &a0 [" + ", ".join(["lol"] * 9) + "]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    t0 = time.monotonic()
    msg = from_file(tmp_path, "\n".join(lines).encode())
    assert time.monotonic() - t0 < 5, "expanded before refusing"    # a bound, not a benchmark
    assert "s.yaml" in msg and "aliases are expanded" in msg


@pytest.mark.parametrize(("data", "words"), [
    (b"\xff\xfe t\x00i\x00", ["s.yaml", "not UTF-8", "0xff at offset 0"]),
    ("title: caf\xe9\n".encode("latin-1"), ["not UTF-8", "offset 10"]),
    (b"\x00\x01binary", ["s.yaml", "not valid YAML"]),
    (b"workload:\n  tasks: 1\n  tasks: 2\n", ["'tasks' is given twice", "first at line 2"]),
    (b"", ["s.yaml", "empty"]),
    (b"# nothing\n", ["empty"]),
    (b"false\n", ["top level is bool False", "mapping"]),
    (b"- a\n- b\n", ["top level is list"]),
    (b"&a [*a]\n", ["*a refers to a node that contains it"]),
    (b"title: " + b"[" * 500 + b"]" * 500 + b"\n", ["nested more than 32 levels"]),
    (b"a: 1\n---\nb: 2\n", ["another document"]),
    (b"title: " + b"x" * (2 << 20) + b"\n", ["larger than 1024 KiB"]),
    (b"!!python/object/apply:os.system ['true']\n", ["not valid YAML"]),
])
def test_bad_files(tmp_path, data, words):
    msg = from_file(tmp_path, data)
    assert all(w in msg for w in words), msg
    assert "Traceback" not in msg and len(msg) < 4096


def test_an_explicit_empty_mapping_means_every_default(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("{}\n")
    assert load_scenario(path) == validate_scenario({})


def test_a_merge_key_is_not_a_duplicate(tmp_path):
    """YAML's merge key: the explicit key wins, as the spec says; not a duplicate."""
    path = tmp_path / "s.yaml"
    path.write_text("workload: {<<: {tasks: 10, vmas: 30}, tasks: 20}\n")
    w = load_scenario(path).workload
    assert (w.tasks, w.vmas) == (20, 30)


# --- the values -----------------------------------------------------------------------------

@pytest.mark.parametrize(("override", "words"), [
    ("workload.tasks=true", ["workload.tasks = True", "boolean"]),
    ("ukspace.pool_entries=false", ["ukspace.pool_entries", "boolean"]),
    ("workload.reads_per_s=.nan", ["workload.reads_per_s = nan", "finite"]),
    ("workload.reads_per_s=.inf", ["workload.reads_per_s = inf", "finite"]),
    ("workload.highmem_cache_fraction=.nan", ["highmem_cache_fraction"]),
    ("machine.ram=.inf", ["machine.ram = inf", "whole number of bytes"]),
    ("machine.ram=-.inf", ["machine.ram"]),
    ("machine.ram=99999999999TiB", ["machine.ram", "16 EiB"]),
    ("workload.tasks=" + "1" * 100_000, ["workload.tasks", "100000 characters",
                                         "too large"]),
    ("seed=" + "9" * 30, ["seed", "too large"]),
    ("costs.clock_hz=0", ["costs.clock_hz = 0.0", "> 0 Hz"]),
    ("costs.invlpg_cycles=.nan", ["costs.invlpg_cycles = nan", "finite"]),
    ("costs.invlpg_cycles=-1", ["costs.invlpg_cycles", "greater than or equal to 0"]),
    ("costs.invlpg_cycles=true", ["costs.invlpg_cycles", "boolean"]),
    ("costs.tlb_live_fraction=1.5", ["costs.tlb_live_fraction", "0 to 1"]),
    ("title=a\x07b", ["title", "control characters"]),
    ("sweep.tasks=[[1]]", ["sweep.tasks.0", "not a list"]),
    ("sweep.tasks=[.nan]", ["sweep.tasks.0", "NaN"]),
])
def test_bad_values(override, words):
    msg = refusal(load_scenario, "default", [override])
    assert all(w in msg for w in words), msg
    assert len(msg) < 1000


def test_huge_values_are_quoted_short():
    """The value is cut to 80 characters; a 100,000-digit int is described, not printed."""
    assert len(shown("x" * 10_000)) == 80 and shown(10 ** 5000).startswith("<integer of")
    msg = refusal(load_scenario, "default", ["title=" + "t" * 1_000_000])
    assert len(msg) < 600
    many = {f"workload.k{i}": 1 for i in range(50)}
    msg = refusal(load_scenario, "default", many)
    assert msg.count("\n  - ") == MAX_PROBLEMS and "and 44 more" in msg


def test_kernel_versions_are_text_as_typed():
    """2.6 and 2.5 are not floats when they are a kernel; 2.50 is not 2.5."""
    assert load_scenario("default", ["machine.kernel=2.6"]).machine.kernel == "2.6"
    assert load_scenario("default", ["machine.kernel=2.5"]).machine.kernel == "2.5"
    assert load_scenario("default", ["machine.kernel='2.6'"]).machine.kernel == "2.6"
    msg = refusal(load_scenario, "default", ["machine.kernel=2.50"])
    assert "machine.kernel = '2.50'" in msg
    assert parse_overrides(["title=12", "workload.tasks=12"]) == {"title": "12",
                                                                 "workload.tasks": 12}


def test_numpy_numbers_are_numbers():
    scn = load_scenario("default", {"machine.ram": np.int64(8 * GiB), "workload.tasks":
                                    np.int32(100), "workload.reads_per_s": np.float32(50.0)})
    assert scn.machine.ram == 8 * GiB and scn.workload.tasks == 100
    assert scn.workload.reads_per_s == 50.0 and type(scn.machine.ram) is int
    assert "boolean" in refusal(load_scenario, "default", {"workload.tasks": np.bool_(True)})


# --- what cannot fit ------------------------------------------------------------------------

def test_shared_segment_larger_than_task_size():
    """3G/1G: TASK_SIZE = PAGE_OFFSET = 0xC0000000 = 3 GiB for the split designs; 4G/4G's
    user space ends at 0xFF000000 = 4080 MiB (RHEL3 __PAGE_OFFSET_USER); the 64-bit floor
    takes 128 TiB - 4 KiB (TASK_SIZE_MAX), so 100 GiB fits only there."""
    msg = refusal(load_scenario, "default", ["workload.shared_segment=100GiB",
                                             "machine.ram=1GiB"])
    assert "workload.shared_segment = 100 GiB" in msg
    assert ("mainline, highpte, ukspace, ukspace-pt, ukspace-kmap, shpte, kmap-local, "
            "TASK_SIZE 3 GiB") in msg
    assert "4g4g, TASK_SIZE 3.98 GiB" in msg and "flat64" not in msg
    only64 = load_scenario("default", ["workload.shared_segment=100GiB", "machine.ram=1GiB",
                                       "strategies=[flat64]"])
    assert only64.workload.shared_segment == 100 * GiB      # fits 47 bits; partly swapped


def test_private_memory_larger_than_any_user_space():
    msg = refusal(load_scenario, "default", ["workload.private=1000000TiB"])
    assert "workload.private = 1000000 TiB" in msg and "flat64, TASK_SIZE 128 TiB" in msg


def test_mappings_together_larger_than_task_size():
    """2G/2G: 2 GiB SGA + 32 MiB private + 4 MiB text + 128 KiB stack > 2 GiB."""
    msg = refusal(load_scenario, "default", ["machine.split=2G/2G"])
    assert "text 4 MiB + private 32 MiB + stack 128 KiB + shared_segment 2 GiB" in msg
    assert "TASK_SIZE 2 GiB (split 2G/2G)" in msg
    load_scenario("default", ["machine.split=2G/2G", "workload.shared_segment=1GiB"])


def test_user_carve_shrinks_task_size():
    """carve_from user: the region comes off TASK_SIZE. ukspace and ukspace-pt carve 8 MiB
    (a 6 MiB window + 3 pmd pages + the pool, rounded to a 2 MiB pmd), leaving 3064 MiB;
    ukspace-kmap's 64-page pool rounds to 2 MiB. A 3064 MiB segment + 4 MiB of text fits
    3 GiB and 3070 MiB but not 3064 MiB."""
    msg = refusal(load_scenario, "default", ["ukspace.carve_from=user",
                                             f"workload.shared_segment={3 * GiB - 8 * MiB}",
                                             "workload.private=0", "workload.stack=0"])
    assert "of ukspace, ukspace-pt, TASK_SIZE 2.99 GiB" in msg
    assert "less the u-k-space region" in msg


def test_more_events_than_cycles():
    """16 CPUs x 700 MHz = 1.12e10 cycles/s; 400 tasks x 1e8 reads x 4 pages = 1.6e11."""
    msg = refusal(load_scenario, "default", ["workload.reads_per_s=1e8"])
    assert "1.6e+11 events/s" in msg and "1.12e+10 cycles/s" in msg
    load_scenario("default", ["workload.reads_per_s=1e5"])      # 1.6e8 + the rest: fits


def test_shared_segment_larger_than_ram_has_a_meaning():
    """Accepted: SysV shm is swappable; the shipped default sweeps 1 GiB under its SGA."""
    scn = load_scenario("default", ["machine.ram=1GiB"])
    assert scn.workload.shared_segment == 2 * GiB > scn.machine.ram
