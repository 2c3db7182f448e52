"""The commands of issue #11 that crashed, hung or said nothing: each now refuses in one
line with exit 2, and the command line starts without the heavy imports."""

from __future__ import annotations

import json
import socket
import subprocess
import sys

import pytest

from ukspace_lab.cli import main


def refused(capsys, argv: list[str]) -> str:
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err and len(captured.err) < 4096
    return captured.err


@pytest.mark.parametrize(("argv", "words"), [
    (["simulate", "--seed", "-1"], ["argument --seed", "'-1': must be >= 0"]),
    (["simulate", "--seconds", "inf"], ["argument --seconds", "not a finite number"]),
    (["simulate", "--set", "workload.reads_per_s=.inf"], ["workload.reads_per_s = inf"]),
    (["simulate", "--set", "costs.clock_hz=0"], ["costs.clock_hz = 0.0", "> 0 Hz"]),
    (["sweep", "--axis", "costs.invlpg_cycles=1:inf:2"],
     ["--axis costs.invlpg_cycles: 'inf' is not a finite number"]),
    (["sweep", "--axis", "tasks=1:1e400:3"], ["--axis tasks: '1e400' is not a finite number"]),
    (["sweep", "--set", "sweep.tasks=&a [1, *a]"], ["--set sweep.tasks", "a cycle"]),
    (["evaluate", "--set", "workload.tasks=" + "[" * 500 + "]" * 500],
     ["--set workload.tasks", "nested more than 32"]),
    (["writeup", "--out", "/tmp"], ["--out '/tmp': is a directory"]),
    (["sweep", "--workers", "0"], ["argument --workers"]),
    (["report", "--timeout", "nan"], ["argument --timeout", "not a finite number"]),
])
def test_refused_in_one_line(capsys, argv, words):
    err = refused(capsys, argv)
    assert all(w in err for w in words), err


def test_out_under_a_file(capsys, tmp_path):
    (tmp_path / "afile").write_text("x")
    err = refused(capsys, ["writeup", "--out", str(tmp_path / "afile" / "sub" / "mail.txt")])
    assert f"'{tmp_path / 'afile'}' is a file, not a folder" in err


def test_sweep_axis_from_a_cyclic_file(capsys, tmp_path):
    path = tmp_path / "cyc.yaml"
    path.write_text("sweep:\n  tasks: &t [1, *t]\n")
    assert "cyc.yaml" in refused(capsys, ["sweep", str(path), "--no-cache"])


def test_unreachable_dask_scheduler(capsys):
    """Nothing listens on a port just closed: one message, no 30 s connect timeout."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    err = refused(capsys, ["sweep", "--engine", "sim", "--executor", "dask", "--no-cache",
                           "--scheduler", f"tcp://127.0.0.1:{port}", "--axis", "tasks=1,2"])
    assert f"--scheduler 'tcp://127.0.0.1:{port}': nothing answers there" in err


def test_writeup_title_is_transliterated(capsys, tmp_path):
    """The mail is ASCII: 'Café' -> 'Cafe' (NFKD drops the accent); no UnicodeEncodeError."""
    out = tmp_path / "mail.txt"
    assert main(["writeup", "--set", "title=Café au lait", "--out", str(out)]) == 0
    text = out.read_bytes().decode("ascii")
    assert 'The scenario is "Cafe au lait"' in text.replace("\n", " ").replace("  ", " ")


def test_no_command_lists_the_commands(capsys):
    assert main([]) == 2
    err = capsys.readouterr().err
    for command in ("evaluate", "layout", "simulate", "writeup", "report", "sweep", "keys"):
        assert f"    {command}" in err


def test_help_imports_nothing_heavy():
    """--help builds the parser only: no numpy, pandas, pydantic, YAML or model."""
    code = ("import sys\nfrom ukspace_lab.cli import main\n"
            "assert main(['--help']) == 0\n"
            "heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
            "('numpy', 'pandas', 'pydantic', 'yaml', 'numba', 'dask') "
            "or m.startswith(('ukspace_lab.model', 'ukspace_lab.study', 'ukspace_lab.sim')))\n"
            "print(__import__('json').dumps(heavy))\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(r.stdout.splitlines()[-1]) == []


def test_every_value_of_an_axis_is_validated_once(monkeypatch):
    """The closed-form sweep validates each axis value once (study/axes.py), not again
    while building its inputs (the 30,000-point sweep spent its time there)."""
    from ukspace_lab import load_scenario
    from ukspace_lab.model import scenario as schema
    from ukspace_lab.study import axes
    from ukspace_lab.study.sweep import run_sweep

    calls = {"axes": 0, "with_overrides": 0}
    real = axes.validate_scenario

    def counted(*a, **k):
        calls["axes"] += 1
        return real(*a, **k)

    def refuse(self, overrides):
        calls["with_overrides"] += 1
        raise AssertionError("validated again")

    scn = load_scenario("default")
    monkeypatch.setattr(axes, "validate_scenario", counted)
    monkeypatch.setattr(schema.Scenario, "with_overrides", refuse)
    df = run_sweep(scn, {"tasks": list(range(1, 51)), "cpus": [2, 4]}, cache=False,
                   progress=False)
    assert calls == {"axes": 52, "with_overrides": 0}
    assert len(df) == 100 * len(scn.strategies)
