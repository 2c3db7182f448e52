"""The two commands a user types first: evaluate and layout."""

import json
import subprocess
import sys

from ukspace_lab.cli import main

REQUIRED = {"strategy", "lowmem_bytes", "lowmem_used_bytes", "pagetable_bytes",
            "pagetable_lowmem_bytes", "max_tasks", "user_vaddr_bytes", "kmaps_per_s",
            "global_tlb_flushes_per_s", "ipis_per_s", "local_tlb_flushes_per_s",
            "invlpg_per_s", "kmap_sleeps_per_s", "kmap_lock_utilization", "cpu_overhead_pct"}


def test_evaluate_json(capsys):
    assert main(["evaluate", "default", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["scenario"] == "default" and doc["model_version"]
    assert [r["strategy"] for r in doc["results"]][:3] == ["mainline", "highpte", "ukspace"]
    for row in doc["results"]:
        assert REQUIRED <= set(row)


def test_evaluate_table(capsys):
    assert main(["evaluate", "threaded"]) == 0
    out = capsys.readouterr().out
    assert "ukspace" in out and "IPIs/s" in out


def test_layout_prints_addresses(capsys):
    assert main(["layout", "default", "--strategy", "ukspace"]) == 0
    out = capsys.readouterr().out
    assert "0xfe200000" in out and "u-k-space (in the hole)" in out   # 2.4: auto -> hole
    assert main(["layout", "default", "--strategy", "ukspace",
                 "--set", "ukspace.carve_from=kernel"]) == 0
    assert "u-k-space (from kernel)" in capsys.readouterr().out
    assert main(["layout", "--json", "--strategy", "mainline"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["layouts"]["mainline"][0]["start"] == 0


def test_user_error_is_one_message_no_traceback():
    r = subprocess.run([sys.executable, "-m", "ukspace_lab.cli", "evaluate", "default",
                        "--set", "workload.taks=3"], capture_output=True, text=True)
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    assert "did you mean 'workload.tasks'" in r.stderr


def test_bad_strategy_name(capsys):
    assert main(["layout", "--strategy", "nope"]) == 2
    assert "allowed" in capsys.readouterr().err
