"""``ukspace-lab report``: complete, checksummed, reproducible, atomic report folders.

The fast tests execute a tiny notebook (tests/data/report_notebooks/) with the
same parameters cell as the real notebooks; the slow ones run notebooks/.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from ukspace_lab import ScenarioError, load_scenario
from ukspace_lab.cli import main
from ukspace_lab.model.closed import MODEL_VERSION
from ukspace_lab.present import htmlpage
from ukspace_lab.present.execute import ReportFailed
from ukspace_lab.present.install import install_report
from ukspace_lab.present.manifest import verify_manifest
from ukspace_lab.present.report import render_report
from ukspace_lab.present.widget_manager import widget_manager_dir
from ukspace_lab.resources import ROOT, notebook_dir

NOTEBOOK_DIR = notebook_dir()

TINY_NOTEBOOKS = ROOT / "tests" / "data" / "report_notebooks"
REAL_NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("0*.ipynb"))
REPRODUCIBLE = ("writeup.txt", "data", "figures")
TIMEOUT = 120.0

needs_widget_manager = pytest.mark.usefixtures("widget_manager")
pytestmark = [needs_widget_manager]


def tree_bytes(root: Path, parts=None) -> dict[str, bytes]:
    """Every file under root (or under root/<part> for each part) as {relpath: bytes}."""
    bases = [root / p for p in parts] if parts else [root]
    out = {}
    for base in bases:
        files = [base] if base.is_file() else sorted(p for p in base.rglob("*") if p.is_file())
        for f in files:
            out[f.relative_to(root).as_posix()] = f.read_bytes()
    return out


def render_tiny(out: Path, scenario: str = "desktop", **kw) -> Path:
    """The tiny notebook rendered into out/<scenario>."""
    return render_report(scenario, kw.pop("overrides", {}), out_dir=out,
                         notebook_dir=kw.pop("notebook_dir", TINY_NOTEBOOKS),
                         cell_timeout=TIMEOUT, **kw)


def write_notebook(path: Path, *cells: str) -> None:
    """A notebook with the standard parameters cell followed by ``cells``."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "ukspace-lab", "display_name": "ukspace-lab",
                                 "language": "python"}
    params = nbformat.v4.new_code_cell('scenario = "default"\noverrides = {}\noutput_dir = ""')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_markdown_cell(f"# {path.stem}"), params,
                *(nbformat.v4.new_code_cell(c) for c in cells)]
    nbformat.write(nb, path)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    return render_tiny(tmp_path_factory.mktemp("reports"))


def test_report_holds_every_file(tiny):
    """index.html, writeup.txt, manifest.json, data/, figures/ (PNG+SVG), the executed
    notebooks and the bundled widget manager are all there, and nothing is left over."""
    for name in ("index.html", "writeup.txt", "manifest.json", "notebooks/01-tiny.ipynb",
                 "data/tiny-lowmem.csv", "figures/tiny-lowmem.png", "figures/tiny-lowmem.svg",
                 f"{htmlpage.WIDGET_STATIC}/embed.js"):
        assert (tiny / name).is_file(), name
    assert (tiny / "figures/tiny-lowmem.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert b"<svg" in (tiny / "figures/tiny-lowmem.svg").read_bytes()[:2000]
    assert [p.name for p in tiny.parent.iterdir()] == [tiny.name]  # no partial folders


def test_manifest_checksums_match_files(tiny):
    """Every file but the manifest is listed with its sha256 and size, recomputed here."""
    doc = json.loads((tiny / "manifest.json").read_text())
    on_disk = {k: v for k, v in tree_bytes(tiny).items() if k != "manifest.json"}
    assert set(doc["files"]) == set(on_disk)
    for rel, data in on_disk.items():
        assert doc["files"][rel]["sha256"] == hashlib.sha256(data).hexdigest(), rel
        assert doc["files"][rel]["bytes"] == len(data), rel
    assert verify_manifest(tiny) == []
    (tiny / "data" / "tiny-lowmem.csv").write_bytes(b"tampered\n")
    try:
        assert verify_manifest(tiny) == ["data/tiny-lowmem.csv: sha256 differs"]
    finally:
        (tiny / "data" / "tiny-lowmem.csv").write_bytes(on_disk["data/tiny-lowmem.csv"])


def test_manifest_says_what_produced_the_report(tiny):
    """Exact parameters, seed, model version, git commit and dirt, versions, times."""
    doc = json.loads((tiny / "manifest.json").read_text())
    scn = load_scenario("desktop")
    assert doc["parameters"] == scn.to_plain()
    assert doc["seed"] == scn.seed == 1
    assert doc["model_version"] == MODEL_VERSION
    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True,
                          text=True).stdout.strip()
    assert doc["git"]["commit"] == head and isinstance(doc["git"]["dirty"], bool)
    assert doc["python"]["version"] == ".".join(map(str, sys.version_info[:3]))
    assert doc["packages"]["papermill"] and doc["packages"]["ipywidgets"]
    assert doc["kernel"] == {"name": "ukspace-lab", "cell_timeout_s": TIMEOUT,
                             "environment": {"SOURCE_DATE_EPOCH": "946684800",
                                             "PYTHONHASHSEED": "0"}}
    assert [n["name"] for n in doc["notebooks"]] == ["01-tiny.ipynb"]
    assert doc["started"] <= doc["finished"]
    assert doc["widget_manager"]["version"] == (widget_manager_dir() /
                                                "VERSION").read_text().strip()


def test_page_is_offline_with_hidden_code_toc_and_parameters(tiny):
    """No CDN or network URL is loaded, code is hidden, the TOC links to each heading,
    the parameters are at the top and the widget state is embedded."""
    page = (tiny / "index.html").read_text()
    loaded = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)""", page)
    assert not [u for u in loaded if re.match(r"(https?:)?//", u)]
    assert "cdn.jsdelivr" not in page and "require.min.js" not in page
    assert "'static/html-manager/embed.js'" in page
    assert "counts = [10, 50, 200]" not in page and "widgets.jslink(" not in page
    toc = re.search(r'<nav class="ukspace-toc">(.*?)</nav>', page, re.S).group(1)
    targets = re.findall(r'href="#(s\d+)"', toc)
    assert len(targets) == 3
    for t in targets:
        assert re.search(rf'<h[1-3] id="{t}"', page)
    assert page.index("ukspace-params") < page.index('id="s1"')
    assert "<th>workload.tasks</th><td>60</td>" in page
    state = re.search(r'<script type="application/vnd.jupyter.widget-state\+json">(.*?)</script>',
                      page, re.S)
    models = json.loads(state.group(1))["state"]
    names = {m["model_name"] for m in models.values()}
    assert {"StackModel", "IntSliderModel", "DropdownModel", "LinkModel"} <= names


def test_render_twice_gives_identical_writeup_data_figures(tiny, tmp_path):
    """Same scenario, same bytes: writeup.txt, data/ and figures/ (not the times)."""
    again = render_tiny(tmp_path)
    assert tree_bytes(again, REPRODUCIBLE) == tree_bytes(tiny, REPRODUCIBLE)
    first = json.loads((tiny / "manifest.json").read_text())["files"]
    second = json.loads((again / "manifest.json").read_text())["files"]
    for rel in first:
        if rel.startswith(("data/", "figures/")) or rel == "writeup.txt":
            assert first[rel] == second[rel], rel


def test_failing_notebook_keeps_previous_report(tiny, tmp_path, capsys):
    """A notebook that raises: non-zero exit naming notebook, cell and error; the previous
    report's bytes are unchanged and no partial folder is left."""
    out = tmp_path / "reports"
    shutil.copytree(tiny, out / "desktop")
    before = tree_bytes(out / "desktop")
    nbs = tmp_path / "nbs"
    shutil.copytree(TINY_NOTEBOOKS, nbs)
    write_notebook(nbs / "02-broken.ipynb", "x = 1",
                   "raise RuntimeError('boom on purpose')", "y = 2")
    with pytest.raises(ReportFailed) as err:
        render_tiny(out, notebook_dir=nbs)
    msg = str(err.value)
    assert "02-broken.ipynb, cell 4 (In [4]: `raise RuntimeError('boom on purpose')`)" in msg
    assert "RuntimeError: boom on purpose" in msg
    assert tree_bytes(out / "desktop") == before
    assert sorted(p.name for p in out.iterdir()) == ["desktop", "desktop.failed.ipynb"]

    code = main(["report", "desktop", "--out", str(out), "--notebooks", str(nbs),
                 "--timeout", "60", "--no-progress"])
    err_text = capsys.readouterr().err
    assert code == 1
    assert "desktop failed: " in err_text and "02-broken.ipynb, cell 4" in err_text
    assert "previous report" in err_text
    assert tree_bytes(out / "desktop") == before


def test_bad_override_is_refused_before_any_kernel(tmp_path, capsys):
    """A bad --set names the key and what is allowed, exits 2, writes nothing."""
    with pytest.raises(ScenarioError, match=r"machine\.cpus"):
        render_tiny(tmp_path, overrides={"machine.cpus": 0})
    assert main(["report", "desktop", "--set", "machine.cpus=0", "--out", str(tmp_path),
                 "--notebooks", str(TINY_NOTEBOOKS), "--no-progress"]) == 2
    assert "machine.cpus" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_notebook_rejecting_a_parameter_names_the_cell(tmp_path):
    """A value the schema accepts but a notebook refuses still fails with notebook+cell."""
    nbs = tmp_path / "nbs"
    nbs.mkdir()
    write_notebook(nbs / "01-check.ipynb",
                   "from ukspace_lab.present.notebook import setup\n"
                   "scn = setup(scenario, overrides, output_dir)\n"
                   "assert scn.workload.tasks < 1000, f'tasks = {scn.workload.tasks}: too many'")
    with pytest.raises(ReportFailed, match=r"01-check\.ipynb, cell 3 .*AssertionError: tasks = "
                                           r"5000: too many"):
        render_tiny(tmp_path / "out", notebook_dir=nbs, overrides={"workload.tasks": 5000})
    assert not (tmp_path / "out" / "desktop").exists()


def test_ctrl_c_leaves_no_half_written_report(tiny, tmp_path):
    """SIGINT to the command (as a terminal's Ctrl-C) mid-notebook: exit 130, the previous
    report intact, no partial folder."""
    out = tmp_path / "reports"
    shutil.copytree(tiny, out / "desktop")
    before = tree_bytes(out / "desktop")
    nbs = tmp_path / "nbs"
    nbs.mkdir()
    write_notebook(nbs / "01-slow.ipynb", "import pathlib, time\n"
                   "pathlib.Path(output_dir, 'started').write_text('x')\ntime.sleep(60)")
    proc = subprocess.Popen(
        [sys.executable, "-m", "ukspace_lab.cli", "report", "desktop", "--out", str(out),
         "--notebooks", str(nbs), "--no-progress"], start_new_session=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 90
        while not list(out.glob(".desktop.partial-*/started")):
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the notebook never started"
            time.sleep(0.2)
        os.killpg(proc.pid, signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 130, err
    assert "interrupted" in err
    assert [p.name for p in out.iterdir()] == ["desktop"]
    assert tree_bytes(out / "desktop") == before


def test_parallel_jobs_render_each_scenario(tmp_path, capsys):
    """--jobs 2 renders two scenarios in two processes into their own folders."""
    code = main(["report", "desktop", "threaded", "--jobs", "2", "--out", str(tmp_path),
                 "--notebooks", str(TINY_NOTEBOOKS), "--timeout", "60", "--no-progress"])
    out = capsys.readouterr().out
    assert code == 0
    for name in ("desktop", "threaded"):
        assert f"{name}/index.html" in out
        doc = json.loads((tmp_path / name / "manifest.json").read_text())
        assert doc["parameters"] == load_scenario(name).to_plain()
        assert verify_manifest(tmp_path / name) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["desktop", "threaded"]


def test_install_report_replaces_previous_folder(tmp_path):
    """The finished folder takes the destination's place; the old one is gone."""
    dest, tmp = tmp_path / "r", tmp_path / ".r.partial"
    dest.mkdir()
    (dest / "old.txt").write_text("old")
    tmp.mkdir()
    (tmp / "new.txt").write_text("new")
    install_report(tmp, dest)
    assert [p.name for p in dest.iterdir()] == ["new.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r"]


def test_toc_gives_unique_ids_and_nests():
    """Two notebooks with the same heading get distinct anchors; h2 nest under h1."""
    page = ("<nav>" + htmlpage.TOC_MARK + "</nav>"
            '<h1 id="A">A<a class="anchor-link" href="#A">¶</a></h1>'
            '<h2 id="Setup">Setup<a class="anchor-link" href="#Setup">¶</a></h2>'
            '<h1 id="B">B &amp; C<a class="anchor-link" href="#B">¶</a></h1>'
            '<h2 id="Setup">Setup<a class="anchor-link" href="#Setup">¶</a></h2>')
    out = htmlpage.add_toc(page)
    assert re.findall(r'<h\d id="(s\d)"', out) == ["s1", "s2", "s3", "s4"]
    assert re.findall(r'anchor-link" href="#(s\d)"', out) == ["s1", "s2", "s3", "s4"]
    toc = out[:out.index("</nav>")]
    assert toc.count("<ul>") == 3
    assert '<a href="#s3">B &amp; C</a>' in toc


def test_merge_keeps_widget_state_and_drops_tagged_cells(tmp_path):
    """Widget models of every notebook end up in one state; tagged cells, tagged outputs
    and stderr streams stay out of the page."""
    paths = []
    for i, model in enumerate(("aaa", "bbb")):
        nb = nbformat.v4.new_notebook()
        live = nbformat.v4.new_code_cell("live()", outputs=[nbformat.v4.new_output(
            "display_data", data={"text/plain": "live"})])
        live.metadata["tags"] = ["report-hide"]
        quiet = nbformat.v4.new_code_cell("save()", outputs=[nbformat.v4.new_output(
            "execute_result", data={"text/plain": "PosixPath('x')"}, execution_count=1)])
        quiet.metadata["tags"] = ["remove-output"]
        noisy = nbformat.v4.new_code_cell("run()", outputs=[
            nbformat.v4.new_output("stream", name="stderr", text="100%|###|"),
            nbformat.v4.new_output("stream", name="stdout", text="table")])
        nb.cells = [nbformat.v4.new_markdown_cell(f"# N{i}"), live, quiet, noisy]
        nb.metadata["widgets"] = {htmlpage.WIDGET_STATE_MIME: {
            "version_major": 2, "version_minor": 0,
            "state": {model: {"model_name": "StackModel", "state": {}}}}}
        paths.append(tmp_path / f"0{i}.ipynb")
        nbformat.write(nb, paths[-1])
    merged = htmlpage.merge_notebooks(paths)
    assert [c.source for c in merged.cells] == ["# N0", "save()", "run()", "# N1", "save()",
                                                "run()"]
    assert merged.cells[1].outputs == []
    assert [o.text for o in merged.cells[2].outputs] == ["table"]
    assert set(merged.metadata.widgets[htmlpage.WIDGET_STATE_MIME]["state"]) == {"aaa", "bbb"}


_REAL_REPORTS: list[Path] = []


def real_report(tmp_path_factory) -> Path:
    """notebooks/ rendered for desktop, once per test session (shared with the browser test)."""
    if not _REAL_REPORTS:
        _REAL_REPORTS.append(render_report("desktop", out_dir=tmp_path_factory.mktemp("real")))
    return _REAL_REPORTS[0]


@pytest.mark.slow
@pytest.mark.skipif(not REAL_NOTEBOOKS, reason="notebooks/ has no 0*.ipynb yet")
def test_real_notebooks_render_reproducibly(tmp_path_factory, tmp_path):
    """The project's notebooks for the desktop scenario, twice: every file listed in the
    manifest, figures as PNG and SVG, identical writeup, data and figures."""
    first = real_report(tmp_path_factory)
    second = render_report("desktop", out_dir=tmp_path)
    for report in (first, second):
        assert verify_manifest(report) == []
        assert (report / "index.html").is_file() and (report / "writeup.txt").is_file()
        assert [p.name for p in sorted((report / "notebooks").iterdir())] == \
            [p.name for p in REAL_NOTEBOOKS]
        assert list((report / "data").glob("*.csv"))
        pngs = {p.stem for p in (report / "figures").glob("*.png")}
        assert pngs and pngs == {p.stem for p in (report / "figures").glob("*.svg")}
    assert tree_bytes(first, REPRODUCIBLE) == tree_bytes(second, REPRODUCIBLE)
