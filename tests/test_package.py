"""The package as users get it: a design added by its table row alone, and a wheel
installed outside the checkout that finds everything it ships."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest
import yaml

from ukspace_lab.resources import ROOT, data_dir

TOY = ("  - {name: toypte, pte_home: highmem, own_pt: atomic, other_pt: atomic, "
       "fork_child: atomic,\n     data: era, window: false, pool: false, space: split,\n"
       "     summary: \"a test copy of highpte\", source: \"tests/test_package.py\"}\n")


def _run(cmd: list[str], env: dict[str, str], cwd: Path, timeout: float = 600) -> str:
    r = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert r.returncode == 0, f"{' '.join(cmd)}\n{r.stdout[-2000:]}\n{r.stderr[-3000:]}"
    return r.stdout


@pytest.fixture
def toy_data(tmp_path) -> dict[str, str]:
    """A copy of data/ whose strategy table has one more row, a copy of highpte."""
    data = tmp_path / "data"
    shutil.copytree(data_dir(), data)
    (data / "strategies.yaml").write_text((data / "strategies.yaml").read_text() + TOY)
    return {**os.environ, "UKSPACE_LAB_DATA": str(data),
            "UKSPACE_LAB_CACHE": str(tmp_path / "cache")}


def test_a_design_is_one_row_of_the_strategy_table(toy_data, tmp_path, widget_manager):
    """A toy strategy added to data/strategies.yaml alone shows up in evaluate (with
    highpte's numbers), in the writeup's tables and in the report's data."""
    cli = [sys.executable, "-m", "ukspace_lab.cli"]
    sets = ["--set", "strategies=[mainline,highpte,ukspace,toypte]"]
    doc = json.loads(_run([*cli, "evaluate", "default", "--json", *sets], toy_data, ROOT))
    rows = {r["strategy"]: r for r in doc["results"]}
    assert {k: v for k, v in rows["toypte"].items() if k != "strategy"} == \
        {k: v for k, v in rows["highpte"].items() if k != "strategy"}
    mail = _run([*cli, "writeup", "default", "--strategies", "mainline,ukspace,toypte"],
                toy_data, ROOT)
    assert sum(line.startswith("toypte ") for line in mail.splitlines()) == 3  # all tables
    nbs = tmp_path / "notebooks"
    nbs.mkdir()
    shutil.copy(ROOT / "notebooks" / "01-proposal.ipynb", nbs)
    _run([*cli, "report", "default", *sets, "--out", str(tmp_path / "reports"),
          "--notebooks", str(nbs), "--no-progress"], toy_data, ROOT)
    table = (tmp_path / "reports" / "default" / "data" / "01-strategies.csv").read_text()
    assert any(line.startswith("toypte,") for line in table.splitlines())


@pytest.mark.slow
@pytest.mark.timeout(1500)
def test_the_wheel_works_outside_the_checkout(tmp_path, widget_manager):
    """Build the wheel, install it into a fresh virtual environment (so a dependency
    missing from pyproject.toml fails here), and from an empty folder run evaluate
    --json, writeup and report: data, scenarios and notebooks come from the wheel,
    reports go to the working folder, caches to the user cache folder."""
    dist = tmp_path / "dist"
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(ROOT)],
         dict(os.environ), ROOT)
    (wheel,) = dist.glob("ukspace_lab-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    tracked = subprocess.run(["git", "-C", str(ROOT), "ls-files", "data", "papermill_params",
                              "notebooks"], capture_output=True, text=True, check=True)
    shipped = {"data": "_data", "papermill_params": "_scenarios", "notebooks": "_notebooks"}
    for f in tracked.stdout.split():
        top, rest = f.split("/", 1)
        assert f"ukspace_lab/{shipped[top]}/{rest}" in names, f"{f} is not in the wheel"
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    py = env_dir / "bin" / "python"
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith(("PYTHON", "VIRTUAL_ENV", "UKSPACE_LAB", "JUPYTER"))}
    clean["HOME"] = str(tmp_path / "home")
    cache = Path(clean["HOME"]) / ".cache" / "ukspace-lab"
    shutil.copytree(widget_manager, cache / "html-manager")   # npm is not the point here
    _run([str(py), "-m", "pip", "install", "-q", str(wheel)], clean, tmp_path, timeout=900)
    work = tmp_path / "empty"
    work.mkdir()
    exe = env_dir / "bin" / "ukspace-lab"
    doc = json.loads(_run([str(exe), "evaluate", "default", "--json"], clean, work))
    listed = yaml.safe_load((ROOT / "papermill_params" / "default.yaml").read_text())
    assert doc["scenario"] == "default"
    assert [r["strategy"] for r in doc["results"]] == listed["strategies"]
    mail = _run([str(exe), "writeup", "default"], clean, work)
    assert mail.startswith("Subject: [RFC][NUMBERS] u-k-space vs mainline")
    _run([str(exe), "report", "desktop", "--no-progress"], clean, work, timeout=1200)
    assert (work / "reports" / "desktop" / "index.html").is_file()
    assert sorted(p.name for p in work.iterdir()) == ["reports"]
    site = subprocess.run([str(py), "-c", "import ukspace_lab, pathlib; "
                           "print(pathlib.Path(ukspace_lab.__file__).parent)"],
                          capture_output=True, text=True, env=clean, check=True).stdout.strip()
    assert not any(Path(site).rglob("sweeps")), "a cache was written into site-packages"
