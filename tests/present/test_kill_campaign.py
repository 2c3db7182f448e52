"""Killed at any moment (issue #11 part 3): report and sweep lose nothing finished, leave
nothing half-written, no orphan, and a rerun resumes.

The slow tests are the seeded campaign (tests/present/kill_campaign.py) over the real
commands; the others pin one moment each: a signal during and right after the
install, at the interpreter's exit, SIGTERM mid-notebook, a ``kill -9`` of a sweep
whose workers are still computing, and what the next render clears.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests.present import kill_campaign as kc
from ukspace_lab import interrupts
from ukspace_lab.present.install import remove_stale
from ukspace_lab.present.manifest import verify_manifest
from ukspace_lab.present.report import render_report
from ukspace_lab.resources import ROOT

TINY = ROOT / "tests" / "data" / "report_notebooks"
pytestmark = pytest.mark.usefixtures("widget_manager")


# --- the signal plumbing, in process --------------------------------------------------------

def test_deferred_acts_on_a_signal_at_the_way_out():
    """Inside stoppable, a SIGTERM raised inside deferred() is a Stopped after the block,
    with exit code 143; the block itself ran to its end."""
    reached = []
    with interrupts.stoppable():
        with pytest.raises(interrupts.Stopped) as err:
            with interrupts.deferred():
                signal.raise_signal(signal.SIGTERM)
                reached.append("end of block")
        assert reached == ["end of block"] and err.value.exit_code == 143


def test_hold_notes_a_stop_and_resume_raises_it():
    with interrupts.stoppable():
        interrupts.hold()
        signal.raise_signal(signal.SIGINT)
        assert interrupts.pending() == signal.SIGINT
        with pytest.raises(interrupts.Stopped) as err:
            interrupts.resume()
        assert err.value.exit_code == 130
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_deferred_outside_stoppable_redelivers_the_signal():
    """The Python API (no stoppable): the handler in place sees the signal after the block."""
    with pytest.raises(KeyboardInterrupt):
        with interrupts.deferred():
            signal.raise_signal(signal.SIGINT)
            assert True                     # still running here


def test_remove_stale_clears_dead_runs_and_puts_back_a_stranded_report(tmp_path):
    """A dead pid's partial folder goes; a live one's stays; a previous report left as
    .default.old-<dead pid> (the fallback's renames cut between) goes back in place."""
    dead = subprocess.Popen(["true"])
    dead.wait()
    (tmp_path / f".default.partial-{dead.pid}-abc").mkdir()
    (tmp_path / f".default.partial-{os.getpid()}-live").mkdir()
    (tmp_path / f".default.old-{dead.pid}").mkdir()
    (tmp_path / f".default.old-{dead.pid}" / "index.html").write_text("previous")
    removed = remove_stale(tmp_path, "default")
    assert [p.name for p in removed] == [f".default.partial-{dead.pid}-abc"]
    assert sorted(p.name for p in tmp_path.iterdir()) == \
        [f".default.partial-{os.getpid()}-live", "default"]
    assert (tmp_path / "default" / "index.html").read_text() == "previous"


# --- one moment each, through the real command -------------------------------------------------

DRIVER = """
import atexit, os, signal, sys
import ukspace_lab.present.report as report
from ukspace_lab.cli import main

moment, sig = sys.argv[1], getattr(signal, sys.argv[2])
real = report.install_report

def install(tmp, dest):
    if moment == "during":
        os.kill(os.getpid(), sig)          # noted while the folder is swapped
    real(tmp, dest)
    if moment == "after":
        os.kill(os.getpid(), sig)          # the report is in place: too late to stop it

report.install_report = install
if moment == "exit":
    atexit.register(lambda: os.kill(os.getpid(), sig))   # in the interpreter's tear-down
sys.argv = ["ukspace-lab", *sys.argv[3:]]
sys.exit(main())
"""


@pytest.mark.parametrize(("moment", "sig"), [("during", "SIGINT"), ("after", "SIGINT"),
                                             ("after", "SIGTERM"), ("exit", "SIGINT")])
def test_a_stop_once_the_report_is_installed_is_success(tmp_path, moment, sig):
    """Issue #11 part 5: a SIGINT in the last moment said "interrupted" (rc 130) although
    the new report was installed. Now: exit 0, the report line, a report that verifies."""
    render_report("desktop", out_dir=tmp_path, notebook_dir=TINY, cell_timeout=120)
    before = (tmp_path / "desktop" / "manifest.json").read_bytes()
    proc = subprocess.run(
        [sys.executable, "-c", DRIVER, moment, sig, "report", "desktop", "--out", str(tmp_path),
         "--notebooks", str(TINY), "--no-progress"], cwd=ROOT, capture_output=True, text=True,
        timeout=300, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, proc.stderr
    assert "report: " in proc.stdout and "interrupted" not in proc.stderr
    assert "Traceback" not in proc.stderr
    assert (tmp_path / "desktop" / "manifest.json").read_bytes() != before
    assert verify_manifest(tmp_path / "desktop") == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["desktop"]


def _start(args: list[str], token: str, **kw) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "ukspace_lab.cli", *args], cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT), kc.TOKEN_VAR: token,
                                 **kw.pop("env", {})},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


def _wait_for(cond, proc, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not cond():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, f"{what} never happened"
        time.sleep(0.1)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_stop_mid_notebook_kills_the_kernel_and_says_one_line(tmp_path, sig):
    """SIGTERM (as `kill`) or SIGINT to the command alone while a cell runs: exit 143/130,
    one line, the previous report untouched, no partial folder, no kernel left."""
    from tests.present.test_report import write_notebook

    out = tmp_path / "reports"
    prev = render_report("desktop", out_dir=out, notebook_dir=TINY, cell_timeout=120)
    before = (prev / "manifest.json").read_bytes()
    nbs = tmp_path / "nbs"
    nbs.mkdir()
    write_notebook(nbs / "01-slow.ipynb", "import pathlib, time\n"
                   "pathlib.Path(output_dir, 'started').write_text('x')\ntime.sleep(120)")
    token = uuid.uuid4().hex
    proc = _start(["report", "desktop", "--out", str(out), "--notebooks", str(nbs),
                   "--no-progress"], token)
    try:
        _wait_for(lambda: list(out.glob(".desktop.partial-*/started")), proc, 120, "the cell")
        os.kill(proc.pid, sig)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    lines = [ln for ln in err.splitlines() if ln.strip() and not ln.startswith(kc.IGNORED_STDERR)]
    assert proc.returncode == 128 + sig, err
    assert lines == ["ukspace-lab report: interrupted" + (" (SIGTERM)" if sig == 15 else "")]
    assert kc._reap(token, kc.ORPHAN_GRACE_S) == []
    assert sorted(p.name for p in out.iterdir()) == ["desktop"]
    assert (prev / "manifest.json").read_bytes() == before and verify_manifest(prev) == []


def test_kill_9_of_a_sweep_leaves_no_worker_computing(tmp_path):
    """SIGKILL to the sweep command alone (not its group) once points are cached: its
    forkserver workers end too (they used to block forever on the call queue, keeping
    the forkserver alive), the cached points read back, and the rerun reuses them."""
    pytest.importorskip("ukspace_lab.sim")
    token = uuid.uuid4().hex
    cache = tmp_path / "cache"
    args = [*kc.SWEEP_ARGS, "--out", str(tmp_path / "t.csv")]
    proc = _start(args, token, env={"UKSPACE_LAB_CACHE": str(cache)})
    try:
        _wait_for(lambda: len(kc.entry_inodes(cache)) >= 2, proc, 240, "two cached points")
        assert len(kc.survivors(token)) > 2          # command, forkserver, workers
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert kc._reap(token, kc.ORPHAN_GRACE_S) == []
    assert kc.cache_problems(cache) == []
    done = len(kc.entry_inodes(cache))
    assert 2 <= done < kc.SWEEP_POINTS
    again = kc.run_command(args, kc.base_env(cache), tmp_path)
    assert again.code == 0, again.stderr
    assert f"({kc.SWEEP_POINTS - done} computed, {done} from cache)" in again.stdout


# --- the campaign -----------------------------------------------------------------------------

@pytest.mark.slow
def test_sweep_kill_campaign(tmp_path):
    """20 sweeps (simulator, 2 local workers) killed at seeded moments with SIGINT, SIGTERM
    and SIGKILL, to the command or its group; then the rerun reuses every cached point."""
    tally = kc.sweep_campaign(tmp_path, kills=20, seed=11)
    print("sweep kill campaign:", tally.line())
    assert tally.kills == 20
    assert tally.zero(), "\n".join(tally.problems)


@pytest.mark.slow
def test_report_kill_campaign(tmp_path, widget_manager):
    """3 real `report default` runs over a previous complete report, killed at seeded
    moments (one each of SIGINT, SIGTERM, SIGKILL); then the rerun succeeds, clears the
    dead run's partial folder and keeps the cache entries the killed runs finished."""
    prev = render_report("default", out_dir=tmp_path / "prev", notebook_dir=TINY,
                         cell_timeout=120)
    tally = kc.report_campaign(tmp_path / "campaign", kills=3, seed=11, previous=prev,
                               widget_manager=Path(widget_manager))
    print("report kill campaign:", tally.line())
    assert tally.kills == 3
    assert tally.zero(), "\n".join(tally.problems)
