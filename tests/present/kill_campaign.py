"""A seeded kill campaign: real ``report`` and ``sweep`` commands killed at random moments.

Each run starts ``python -m ukspace_lab.cli ...`` in a session of its own, with a
token in its environment that every process it starts inherits (a kernel, a
forkserver, a worker). At a seeded moment it gets SIGINT, SIGTERM or SIGKILL,
sent to the command alone or to its process group. Then the campaign counts:

- tracebacks: "Traceback (most recent call last)" anywhere in the output;
- hangs: not gone ``STOP_S`` after the signal;
- wrong exit codes: SIGINT 130, SIGTERM 143 (or the death by that signal when it
  landed before Python could handle it), SIGKILL -9; 0 when the work was done first;
- noisy stops: more than one line on stderr after SIGINT/SIGTERM;
- bad states: a process with the token alive ``ORPHAN_GRACE_S`` after the command
  ended, a report folder failing its manifest, anything but the report, or a
  partial folder after a handled signal, in the output folder; a table at the final
  path that is not the whole table; a cache entry that does not read back.

``python -m tests.present.kill_campaign --sweeps 20 --reports 3 --seed 11`` runs
one from the shell and prints the counts.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import random
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

from ukspace_lab.resources import ROOT
from ukspace_lab.study.cache import SweepCache

STOP_S = 90.0             # a handled stop must end within this (a kernel is killed, not asked)
ORPHAN_GRACE_S = 10.0     # kernels poll their parent every second; workers watch a pidfd
SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGKILL)
EXPECTED = {signal.SIGINT: {130, -signal.SIGINT}, signal.SIGTERM: {143, -signal.SIGTERM},
            signal.SIGKILL: {-signal.SIGKILL}}
SWEEP_ARGS = ["sweep", "default", "--engine", "sim", "--sim-seconds", "0.05",
              "--axis", "tasks=10:300:16", "--workers", "2", "--no-progress"]
SWEEP_POINTS = 16
TOKEN_VAR = "UKSPACE_KILL_TOKEN"
IGNORED_STDERR = ("[IPKernelApp] WARNING",)     # ipykernel's TCP notice (issue #11 part 4)


@dataclasses.dataclass
class Tally:
    """What a campaign saw; every count but ``kills`` and ``finished_first`` must be 0."""

    kills: int = 0
    finished_first: int = 0      # the command was done before the signal landed
    tracebacks: int = 0
    hangs: int = 0
    wrong_codes: int = 0
    noisy: int = 0
    bad_states: int = 0
    problems: list[str] = dataclasses.field(default_factory=list)

    def bad(self, kind: str, text: str) -> None:
        setattr(self, kind, getattr(self, kind) + 1)
        self.problems.append(f"{kind}: {text}")

    def zero(self) -> bool:
        return not (self.tracebacks or self.hangs or self.wrong_codes or self.noisy
                    or self.bad_states)

    def line(self) -> str:
        return (f"kills {self.kills} (finished first {self.finished_first}): tracebacks "
                f"{self.tracebacks}, hangs {self.hangs}, wrong exit codes {self.wrong_codes}, "
                f"noisy stops {self.noisy}, bad states {self.bad_states}")


def survivors(token: str) -> list[str]:
    """Processes whose environment carries ``token``: '<pid> <command line>'."""
    needle = f"{TOKEN_VAR}={token}".encode()
    found = []
    for env in Path("/proc").glob("[0-9]*/environ"):
        try:
            if needle in env.read_bytes():
                cmd = (env.parent / "cmdline").read_bytes().replace(b"\0", b" ")[:120]
                found.append(f"{env.parent.name} {cmd.decode(errors='replace')}")
        except OSError:
            continue
    return found


def _reap(token: str, grace: float) -> list[str]:
    deadline = time.monotonic() + grace
    while (left := survivors(token)) and time.monotonic() < deadline:
        time.sleep(0.2)
    for line in left:                      # do not leave them for the next kill
        try:
            os.kill(int(line.split()[0]), signal.SIGKILL)
        except OSError:
            pass
    return left


@dataclasses.dataclass
class Run:
    code: int | None
    stderr: str
    stdout: str
    left: list[str]
    hung: bool


def run_command(args: list[str], env: dict[str, str], work: Path,
                kill_at: float | None = None, sig: int = signal.SIGINT,
                group: bool = False) -> Run:
    """Start the command, send ``sig`` after ``kill_at`` seconds (None: let it finish)."""
    token = uuid.uuid4().hex
    out, err = work / f"out-{token}", work / f"err-{token}"
    with out.open("wb") as fo, err.open("wb") as fe:  # files: an orphan on a pipe would hang us
        proc = subprocess.Popen([sys.executable, "-m", "ukspace_lab.cli", *args], cwd=ROOT,
                                env={**env, TOKEN_VAR: token}, stdout=fo, stderr=fe,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    hung = False
    try:
        if kill_at is not None:
            try:
                proc.wait(timeout=kill_at)
            except subprocess.TimeoutExpired:
                (os.killpg if group else os.kill)(proc.pid, sig)
        try:
            proc.wait(timeout=STOP_S if kill_at is not None else 1800)
        except subprocess.TimeoutExpired:
            hung = True
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    left = _reap(token, ORPHAN_GRACE_S)
    run = Run(proc.returncode, err.read_text(errors="replace"), out.read_text(errors="replace"),
              left, hung)
    out.unlink()
    err.unlink()
    return run


def judge(tally: Tally, what: str, run: Run, sig: int) -> bool:
    """Count what the run's exit says; True when it had finished before the signal."""
    tally.kills += 1
    text = run.stderr + run.stdout
    if (at := text.find("Traceback (most recent call last)")) >= 0:
        tally.bad("tracebacks", f"{what}: {text[max(0, at - 300):at + 1500]}")
    if run.hung:
        tally.bad("hangs", what)
    if run.left:
        tally.bad("bad_states", f"{what}: orphans {run.left}")
    finished = run.code == 0
    if finished:
        tally.finished_first += 1
    elif run.code not in EXPECTED[sig]:
        tally.bad("wrong_codes", f"{what}: exit {run.code}; stderr {run.stderr[-300:]!r}")
    lines = [ln for ln in run.stderr.splitlines()
             if ln.strip() and not ln.startswith(IGNORED_STDERR)]
    if sig != signal.SIGKILL and not finished and len(lines) > 1:
        tally.bad("noisy", f"{what}: {lines[-5:]}")
    return finished


def cache_problems(root: Path) -> list[str]:
    """Cache entries under ``root`` (a UKSPACE_LAB_CACHE folder) that do not read back
    (a sealed entry always does)."""
    store = SweepCache(root / "sweeps")
    bad = []
    for path in sorted(root.glob("sweeps/??/*")):
        if path.name.startswith("."):
            continue
        if store.get(path.name) is None:       # get() checks key, length and checksum
            bad.append(path.name)
    return bad


def entry_inodes(root: Path) -> dict[str, int]:
    return {p.name: p.stat().st_ino for p in root.glob("sweeps/??/*") if not p.name.startswith(".")}


def base_env(cache: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(UKSPACE_LAB_CACHE=str(cache), PYTHONPATH=str(ROOT))
    return env


# --- sweeps -------------------------------------------------------------------------------


def sweep_campaign(work: Path, kills: int, seed: int, reference: bytes | None = None) -> Tally:
    """``kills`` sweeps killed at seeded moments, then one rerun that must reuse the cache.

    ``reference`` is the CSV of the same sweep run straight through (computed here
    with ``--no-cache`` when None).
    """
    rng, tally = random.Random(seed), Tally()
    cache, table = work / "cache", work / "table.csv"
    work.mkdir(parents=True, exist_ok=True)
    env = base_env(cache)
    t0 = time.monotonic()
    if reference is None:
        ref = run_command([*SWEEP_ARGS, "--no-cache", "--out", str(work / "ref.csv")], env, work)
        assert ref.code == 0, ref.stderr
        reference = (work / "ref.csv").read_bytes()
    latest = max(2.0, time.monotonic() - t0)        # a whole uncached run, on this machine
    for k in range(kills):
        sig, group = rng.choice(SIGNALS), rng.random() < 0.5
        at = round(rng.uniform(0.2, latest), 2)
        cached = sorted(cache.glob("sweeps/??/*"))  # forget half: each run has work to do
        for entry in rng.sample(cached, len(cached) // 2):
            entry.unlink()
        what = f"sweep #{k} {signal.Signals(sig).name} to {'group' if group else 'pid'} at {at}s"
        run = run_command([*SWEEP_ARGS, "--out", str(table)], env, work, at, sig, group)
        judge(tally, what, run, sig)
        if table.exists() and table.read_bytes() != reference:
            tally.bad("bad_states", f"{what}: {table} is not the whole table")
        leftovers = [p.name for p in work.glob(".tmp-*")]
        if leftovers and sig != signal.SIGKILL:
            tally.bad("bad_states", f"{what}: temporary files left {leftovers}")
        if bad := cache_problems(cache):
            tally.bad("bad_states", f"{what}: unreadable cache entries {bad}")
    before = entry_inodes(cache)
    final = run_command([*SWEEP_ARGS, "--out", str(table)], env, work)
    if final.code != 0 or table.read_bytes() != reference:
        tally.bad("bad_states", f"rerun: exit {final.code}, table equal "
                                f"{table.exists() and table.read_bytes() == reference}")
    expect = f"({SWEEP_POINTS - len(before)} computed, {len(before)} from cache)"
    if expect not in final.stdout:
        tally.bad("bad_states", f"rerun did not reuse the {len(before)} cached points: "
                                f"{final.stdout.strip()!r}")
    changed = [k for k, ino in before.items() if entry_inodes(cache).get(k) != ino]
    if changed:
        tally.bad("bad_states", f"rerun rewrote cached entries {changed}")
    return tally


# --- reports ------------------------------------------------------------------------------


def report_campaign(work: Path, kills: int, seed: int, previous: Path,
                    widget_manager: Path, latest: float = 120.0) -> Tally:
    """``kills`` reports of the default scenario killed at seeded moments over the
    previous complete report ``previous`` (copied to ``work/reports/default``),
    then one rerun that must succeed, clear the dead runs' folders and keep the cache
    entries the killed runs finished."""
    from ukspace_lab.present.manifest import verify_manifest

    rng, tally = random.Random(seed), Tally()
    out, cache = work / "reports", work / "cache"
    dest = out / "default"
    out.mkdir(parents=True)
    shutil.copytree(previous, dest)
    shutil.copytree(widget_manager, cache / "html-manager")
    env = base_env(cache)
    order = list(SIGNALS)
    rng.shuffle(order)
    for k in range(kills):
        sig, group = order[k % len(order)], rng.random() < 0.5
        at = round(rng.uniform(2.0, latest), 2)
        what = f"report #{k} {signal.Signals(sig).name} to {'group' if group else 'pid'} at {at}s"
        manifest_before = (dest / "manifest.json").read_bytes()
        run = run_command(["report", "default", "--out", str(out), "--no-progress"], env, work,
                          at, sig, group)
        finished = judge(tally, what, run, sig)
        problems = verify_manifest(dest) if dest.is_dir() else ["missing"]
        if problems:
            tally.bad("bad_states", f"{what}: report does not verify: {problems[:5]}")
        if not finished and (dest / "manifest.json").read_bytes() != manifest_before:
            tally.bad("bad_states", f"{what}: stopped, yet the report changed")
        others = sorted(p.name for p in out.iterdir() if p.name != "default")
        partial_ok = sig == signal.SIGKILL
        if [n for n in others if not (partial_ok and n.startswith(".default.partial-"))]:
            tally.bad("bad_states", f"{what}: left in {out}: {others}")
        if bad := cache_problems(cache):
            tally.bad("bad_states", f"{what}: unreadable cache entries {bad}")
    before = entry_inodes(cache)
    final = run_command(["report", "default", "--out", str(out), "--no-progress"], env, work)
    if final.code != 0 or verify_manifest(dest):
        tally.bad("bad_states", f"rerun: exit {final.code}: {final.stderr[-500:]}")
    if sorted(p.name for p in out.iterdir()) != ["default"]:
        tally.bad("bad_states", f"rerun left {sorted(p.name for p in out.iterdir())}")
    changed = [k for k, ino in before.items() if entry_inodes(cache).get(k) != ino]
    if changed:
        tally.bad("bad_states", f"rerun recomputed {len(changed)} of {len(before)} cached entries")
    tally.problems.append(f"info: {len(before)} cache entries finished by killed runs, reused")
    return tally


def _main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sweeps", type=int, default=20)
    ap.add_argument("--reports", type=int, default=0)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--work", type=Path, default=None)
    a = ap.parse_args()
    import tempfile

    work = a.work or Path(tempfile.mkdtemp(prefix="kill-campaign-"))
    ok = True
    if a.sweeps:
        t = sweep_campaign(work / "sweep", a.sweeps, a.seed)
        print("sweep:", t.line(), *t.problems, sep="\n  ")
        ok &= t.zero()
    if a.reports:
        from ukspace_lab.present.report import render_report
        from ukspace_lab.present.widget_manager import ensure

        prev = render_report("default", out_dir=work / "prev",
                             notebook_dir=ROOT / "tests" / "data" / "report_notebooks")
        t = report_campaign(work / "report", a.reports, a.seed, prev, ensure())
        print("report:", t.line(), *t.problems, sep="\n  ")
        ok &= t.zero()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(_main())
