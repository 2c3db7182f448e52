"""``python -m benchmarks --quick`` prints every figure of issue #15's table (a smoke test
of the printout with tiny sizes: no timing is asserted, speed is the benchmark's job)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_quick_benchmark_prints_every_figure():
    from benchmarks.common import FIGURES

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = subprocess.run([sys.executable, "-m", "benchmarks", "--quick"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=1800)
    assert run.returncode == 0, run.stderr[-2000:]
    printed = re.findall(r"^\[([^\]]+)\] (.+)$", run.stdout, flags=re.M)
    assert sorted({name for name, _ in printed}) == sorted(FIGURES), run.stdout
    for name, text in printed:
        assert re.search(r"\d", text), (name, text)      # a number, not an empty line
    assert "identical counts: True" in run.stdout
    assert "same numbers at 20 points: True" in run.stdout
