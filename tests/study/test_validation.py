"""``ukspace-lab validate``: the case format, its errors, and every shipped case running.

These tests do not assert that a shipped case is within its tolerance: that is
what the command reports, and the model is never tuned to it.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from ukspace_lab.cli import main
from ukspace_lab.errors import ScenarioError
from ukspace_lab.model.loading import load_scenario
from ukspace_lab.model.record import evaluation
from ukspace_lab.study.casefiles import load_case, shipped_cases
from ukspace_lab.study.cases import Tolerance, validate_case
from ukspace_lab.study.validation import run_case

ROOT = Path(__file__).resolve().parents[2]

CASE = """\
id: T1
title: "a test case on the default scenario"
source: {{author: "A. Tester", date: 2003-02-08, subject: "s", message_id: "<a@b>", url: null}}
quote: "q"
scenario:
  base: default
  set: {{machine.cpus: 8}}
rates_from: "the default scenario as shipped"
measure:
  quantity: {quantity}
  run_seconds: 10
  {form}
published: {{value: {value}, unit: s}}
tolerance: {tolerance}
"""


def write(tmp_path: Path, name: str = "t.yaml", quantity: str = "cpu_seconds",
          form: str = "difference: [highpte, mainline]", value: float = 1.0,
          tolerance: str = "{factor: 1.5}") -> Path:
    path = tmp_path / name
    path.write_text(CASE.format(quantity=quantity, form=form, value=value, tolerance=tolerance))
    return path


@pytest.mark.parametrize("path", shipped_cases(), ids=lambda p: p.stem)
def test_every_shipped_case_validates(path):
    """Each committed case loads, runs, and gives a finite prediction and a ratio or none."""
    case = load_case(path)
    assert case.rates_from.strip() and case.source.author.strip()
    r = run_case(case, path.name)
    assert math.isfinite(r.predicted)
    assert r.within == case.tolerance.within(r.predicted, case.published.value)
    if r.predicted_low is not None:
        assert r.predicted_low <= r.predicted_high


def test_cpu_seconds_is_the_overhead_over_the_run(tmp_path):
    """cpu_seconds = cpu_overhead_pct / 100 x cpus x run_seconds, from the record itself."""
    r = run_case(load_case(write(tmp_path)))
    scn = load_scenario("default", {"machine.cpus": 8})
    res = evaluation(scn).results
    pct = res["highpte"]["cpu_overhead_pct"] - res["mainline"]["cpu_overhead_pct"]
    assert r.predicted == pytest.approx(pct / 100 * 8 * 10)


def test_count_and_ratio_of_variants(tmp_path):
    """KEY_count is the per-second key x run_seconds; ratio: [A, B] of two variants."""
    path = write(tmp_path, quantity="kmaps_per_s_count",
                 form="strategy: mainline\n  ratio: [{workload.tasks: 200}, "
                      "{workload.tasks: 100}]")
    r = run_case(load_case(path))
    base = load_scenario("default", {"machine.cpus": 8, "strategies": ["mainline"]})
    a = evaluation(base.with_overrides({"workload.tasks": 200})).results["mainline"]
    b = evaluation(base.with_overrides({"workload.tasks": 100})).results["mainline"]
    assert r.predicted == pytest.approx(a["kmaps_per_s"] * 10 / (b["kmaps_per_s"] * 10))


def test_tolerances_by_hand():
    assert Tolerance(factor=1.5).within(1.4, 1.0) and not Tolerance(factor=1.5).within(1.6, 1)
    assert Tolerance(factor=1.5).within(0.7, 1.0) and not Tolerance(factor=1.5).within(0.6, 1)
    assert not Tolerance(factor=1.5).within(-1.0, 1.0)
    assert Tolerance(rel=0.25).within(1.25, 1.0) and not Tolerance(rel=0.25).within(1.26, 1.0)
    assert Tolerance(abs=2.3).within(2.0, -0.2) and not Tolerance(abs=2.3).within(2.2, -0.2)
    with pytest.raises(ValueError):
        Tolerance(factor=1.5, rel=0.2)


def test_malformed_fields_are_named():
    with pytest.raises(ScenarioError) as e:
        validate_case({"id": "X", "title": "t", "source": {"author": "a", "date": "2002"},
                       "rates_from": "r", "measure": {"quantity": "kmaps_per_s_cont",
                                                      "strategy": "mainline"},
                       "published": {"value": 1}, "tolerance": {"factor": 0.5}})
    text = str(e.value)
    assert "measure.quantity" in text and "did you mean 'kmaps_per_s_count'" in text
    assert "tolerance.factor" in text


def test_malformed_case_is_one_message_no_traceback(tmp_path):
    bad = write(tmp_path, "bad.yaml", form="difference: [highpt, mainline]",
                tolerance="{rel: 0.2, factor: 2}")
    r = subprocess.run([sys.executable, "-m", "ukspace_lab.cli", "validate", str(bad)],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "measure.difference" in r.stderr and "did you mean 'highpte'" in r.stderr
    assert "tolerance" in r.stderr and len(r.stderr) < 4000
    yaml_bad = tmp_path / "notyaml.yaml"
    yaml_bad.write_text("id: [unclosed\n")
    r = subprocess.run([sys.executable, "-m", "ukspace_lab.cli", "validate", str(yaml_bad)],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 2 and "Traceback" not in r.stderr and "line" in r.stderr


def test_bad_scenario_in_a_case_names_the_case(tmp_path, capsys):
    path = tmp_path / "s.yaml"
    path.write_text(CASE.format(quantity="cpu_seconds", form="strategy: mainline", value=1,
                                tolerance="{factor: 2}").replace("machine.cpus: 8",
                                                                 "machine.cpuz: 8"))
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "case T1" in err and "machine.cpuz" in err


def test_strict_exit_code(tmp_path, capsys):
    """--strict: 0 when every case is inside, 1 when one is outside (a published value of
    the opposite sign is outside any factor)."""
    inside = write(tmp_path, "in.yaml", form="strategy: mainline", tolerance="{factor: 1e300}")
    outside = write(tmp_path, "out.yaml", form="strategy: mainline", value=-1.0)
    assert main(["validate", "--strict", str(inside)]) == 0
    assert main(["validate", "--strict", str(inside), str(outside)]) == 1
    assert main(["validate", str(inside), str(outside)]) == 0
    out = capsys.readouterr().out
    assert "1 of 2 cases within tolerance" in out


def test_json_shape(tmp_path, capsys):
    assert main(["validate", "--json", str(write(tmp_path))]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert set(doc) == {"model_version", "cases", "within", "total"} and doc["total"] == 1
    row = doc["cases"][0]
    assert {"id", "quantity", "predicted", "published", "ratio", "within", "tolerance", "unit",
            "predicted_low", "predicted_high", "era", "rates_from"} <= set(row)
    assert row["id"] == "T1" and isinstance(row["within"], bool)


def test_unknown_case_name(capsys):
    assert main(["validate", "C999"]) == 2
    assert "no case file" in capsys.readouterr().err


def test_there_are_cases():
    """The A2A cases of era-measurements.md and the shape checks are committed."""
    ids = {load_case(p).id for p in shipped_cases()}
    assert {"C1", "C1-cpu", "C2", "C2-flushes", "C7", "C8", "C9", "C12", "C12-nopae"} <= ids
    assert {"C3", "C4-4", "C4-8", "C4-16", "C5-4", "C5-8"} <= ids
    kinds = {load_case(p).id: load_case(p).kind for p in shipped_cases()}
    assert kinds["C7"] == "A2A" and kinds["C4-16"] == "IND"


def test_shipped_id_resolves(capsys):
    """A shipped case is named by its id as well as its file name."""
    assert main(["validate", "--json", "C7", "C1-cpu"]) == 0
    assert [c["id"] for c in json.loads(capsys.readouterr().out)["cases"]] == ["C7", "C1-cpu"]


def test_validation_figure_draws_each_positive_case(tmp_path):
    """One marker per case with both values > 0, at (published, predicted); the others are
    named in the title; the factor-1.5 band is drawn around y = x."""
    from ukspace_lab.present.plots.validation import plottable, validation_figure
    from ukspace_lab.study.validation import results_frame, validate

    cases = [write(tmp_path, "a.yaml", form="strategy: highpte", value=2.0),
             write(tmp_path, "b.yaml", form="strategy: mainline", value=-1.0)]
    frame = results_frame(validate(cases))
    assert list(plottable(frame)) == [True, False]
    fig = validation_figure(frame)
    ax = fig.axes[0]
    from matplotlib.collections import PathCollection

    points = [c.get_offsets() for c in ax.collections
              if isinstance(c, PathCollection) and len(c.get_offsets()) == 1]
    assert len(points) == 1
    assert points[0][0][0] == pytest.approx(2.0)
    assert points[0][0][1] == pytest.approx(frame["predicted"][0])
    assert "T1" in ax.get_title(loc="left")
    assert ax.get_xscale() == ax.get_yscale() == "log"


def test_public_names():
    """The validation is reachable from the package face (_api.py)."""
    import ukspace_lab

    (r,) = ukspace_lab.validate_cases(["C7"])
    assert isinstance(r, ukspace_lab.CaseResult) and r.id == ukspace_lab.load_case("C7").id
