"""Seeded generator of bad inputs and the harness that runs them through the CLI.

Every generated case is invalid by construction (one bad thing each) and says
which text the refusal must name: the dotted key, the option, or the file.
The categories are those of issue #11: bad files (not UTF-8, binary, alias
bombs, cycles, deep nesting, duplicate keys, empty, not a mapping, too big,
huge integers), bad values in a file (every key of the schema, read from
pydantic, with values of the wrong kind or out of range, plus machines and
workloads that cannot exist), the same through ``--set``, bad ``--axis`` and
bad options of every command. ``run_case`` runs one through
``ukspace_lab.cli.main`` in this process, or through a real subprocess.

``python -m tests.cli.fuzz --cases 5000`` runs a larger sample and prints the
counts (cases, tracebacks, hangs, wrong exit codes, oversize outputs).
"""

from __future__ import annotations

import contextlib
import io
import random
import signal
import subprocess
import sys
import time
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import annotated_types as at

MAX_OUTPUT = 4096         # bytes of stdout + stderr a refusal may print
CASE_LIMIT_S = 10.0       # wall time of one case
COMMANDS = ("evaluate", "layout", "simulate", "writeup", "sweep")
WORDS = ("nope", "2.7", "i686", "4G/0G", "pentium9", "atomik", "sideways", "2.4.19", "x" * 300)


@dataclass
class Case:
    """One bad input: the command line, the files it reads, the text the refusal names."""

    category: str
    argv: list[str]
    expect: str
    files: dict[str, bytes] = field(default_factory=dict)
    in_process_only: bool = False          # holds a NUL or non-UTF-8 byte in argv


@dataclass
class Outcome:
    case: Case
    code: int | None
    out: str
    err: str
    seconds: float
    escaped: str = ""                      # an exception that left main()

    def problems(self) -> list[str]:
        text = self.out + self.err
        found = []
        if self.escaped or "Traceback (most recent call last)" in text:
            found.append(f"traceback {self.escaped}".strip())
        if self.code is None:
            found.append(f"hang past {CASE_LIMIT_S:g} s")
        elif self.code != 2:
            found.append(f"exit {self.code}, not 2")
        if len(text.encode("utf-8", "replace")) > MAX_OUTPUT:
            found.append(f"output of {len(text.encode('utf-8', 'replace'))} bytes")
        if self.code == 2 and self.case.expect.lower() not in text.lower():
            found.append(f"message does not name {self.case.expect!r}")
        return found


# --- the schema's keys, read from pydantic -------------------------------------------------

def _leaves(model: Any = None, prefix: str = "") -> dict[str, Any]:
    from ukspace_lab.model.scenario import Scenario

    model = model or Scenario
    out = {}
    for name, info in model.model_fields.items():
        ann = info.annotation
        if isinstance(ann, type) and hasattr(ann, "model_fields"):
            out.update(_leaves(ann, f"{prefix}{name}."))
        else:
            out[f"{prefix}{name}"] = info
    return out


def _kind(info: Any) -> tuple[str, float | None, float | None, bool]:
    """(size | int | float | choice | bool | text | other, low, high, takes 'auto')."""
    members = typing.get_args(info.annotation) if typing.get_origin(info.annotation) in (
        typing.Union, types.UnionType) else (info.annotation,)
    auto = any(typing.get_origin(m) is Literal and typing.get_args(m) == ("auto",)
               for m in members)
    members = [m for m in members if not (typing.get_origin(m) is Literal
                                          and typing.get_args(m) == ("auto",))]
    ann = members[0]
    meta = list(info.metadata)
    if typing.get_origin(ann) is typing.Annotated:
        ann, *extra = typing.get_args(ann)
        for m in extra:
            meta += list(getattr(m, "metadata", [m]))
    low = next((m.ge for m in meta if isinstance(m, at.Ge)), None)
    high = next((m.le for m in meta if isinstance(m, at.Le)), None)
    sized = any(getattr(getattr(m, "func", None), "__name__", "") == "_size" for m in meta)
    if typing.get_origin(ann) is Literal:
        return "choice", None, None, auto
    if ann is bool:
        return "bool", None, None, auto
    if ann is int:
        return ("size" if sized else "int"), low, high, auto
    if ann is float:
        return "float", low, high, auto
    if ann is str:
        return "text", None, None, auto
    return "other", None, None, auto


def bad_values(kind: str, low: float | None, high: float | None) -> list[str]:
    """YAML texts a key of ``kind`` must refuse."""
    huge = "1" * random.choice((41, 500, 100_000))
    if kind in ("int", "float", "size"):
        vals = ["true", "false", ".nan", ".inf", "-.inf", "1.0e+400", huge, "[1, 2]",
                "{a: 1}", "abc", "-" + huge]
        if low is not None:
            vals += [str(int(low) - 1), str(low - 0.5)]
        if high is not None:
            vals += [str(int(high) + 1), str(high * 10)]
        if kind == "int":
            vals += ["1.5", "3.25"]
        if kind == "size":
            vals += ["-1", "16GB", "1.5", "99999999999TiB", "1e3", "0x" + "f" * 30, "2KB"]
        if kind == "float":
            vals += ["-1", "-0.001"]
        return vals
    if kind == "choice":
        return [w for w in WORDS] + ["[a]", "{a: b}", "123"]
    if kind == "bool":
        return ["maybe", "2", "0.5", "[]", "{}", "sometimes"]
    if kind == "text":
        return ["[1, 2]", "{a: 1}", "123", '"a\\x01b"', '"' + "t" * 300 + '"', '"line\\nbreak"']
    return []


# --- the generators --------------------------------------------------------------------------

def _yaml_with(key: str, value: str) -> bytes:
    return _yaml_of({key: value})


def _yaml_of(sets: dict[str, str]) -> bytes:
    """A scenario file setting dotted keys to YAML texts, one block per section."""
    sections: dict[str, list[str]] = {}
    for key, value in sets.items():
        head, _, last = key.rpartition(".")
        sections.setdefault(head, []).append(f"{last}: {value}")
    lines = list(sections.pop("", []))
    for head, items in sections.items():
        lines += [f"{head}:", *(f"  {item}" for item in items)]
    return ("\n".join(lines) + "\n").encode()


def _command(rng: random.Random) -> list[str]:
    cmd = rng.choice(COMMANDS)
    return {"sweep": ["sweep", "--no-cache", "--no-progress"],
            "simulate": ["simulate", "--seconds", "0.01"]}.get(cmd, [cmd])


def _value_cases(rng: random.Random, via_set: bool) -> Case:
    leaves = {k: v for k, v in _leaves().items() if k not in ("costs", "sweep", "strategies")}
    key = rng.choice(sorted(leaves))
    kind, low, high, _ = _kind(leaves[key])
    value = rng.choice(bad_values(kind, low, high))
    if kind == "text" and via_set:                       # --set takes text keys as typed
        value = rng.choice(["a\x01b", "t" * 300, "line\nbreak"])
        return Case("set-value", [*_command(rng), "default", "--set", f"{key}={value}"], key,
                    in_process_only=True)
    if via_set:
        return Case("set-value", [*_command(rng), "default", "--set", f"{key}={value}"], key)
    return Case("file-value", [*_command(rng), "{dir}/bad.yaml"], key,
                {"bad.yaml": _yaml_with(key, value)})


IMPOSSIBLE = [
    ({"workload.shared_segment": "5GiB"}, "workload.shared_segment"),
    ({"workload.private": "1000000TiB"}, "workload.private"),
    ({"workload.text": "4GiB"}, "workload.text"),
    ({"workload.tasks": "20000", "workload.threads_per_task": "2"}, "workload.tasks"),
    ({"ukspace.region_size": "4096"}, "ukspace.region_size"),
    ({"machine.arch": "i386", "machine.ram": "8GiB"}, "machine.ram"),
    ({"machine.ram": "8MiB"}, "machine.ram"),
    ({"machine.ram": "128GiB"}, "machine.ram"),
    ({"workload.reads_per_s": "1e12"}, "reads_per_s"),
    ({"workload.scan_pages_per_s": "1.0e+20"}, "scan_pages_per_s"),
    ({"costs.clock_hz": "0"}, "costs.clock_hz"),
    ({"costs.clock_hz": "-5"}, "costs.clock_hz"),
    ({"costs.invlpg_cycles": ".nan"}, "costs.invlpg_cycles"),
    ({"costs.invlpg_cycles": "true"}, "costs.invlpg_cycles"),
    ({"costs.tlb_live_fraction": "2"}, "costs.tlb_live_fraction"),
    ({"costs.tlb_entries": "1.5"}, "costs.tlb_entries"),
    ({"costs.invlpg_cycle": "100"}, "invlpg_cycle"),
    ({"strategies": "[mainline, nope]"}, "strategies"),
    ({"strategies": "[]"}, "strategies"),
    ({"strategies": "[highpte, highpte]"}, "strategies"),
    ({"workload.taks": "3"}, "workload.taks"),
    ({"machin.ram": "1GiB"}, "machin"),
    ({"sweep.tasks": "[[1, 2]]"}, "sweep.tasks"),
    ({"sweep.tasks": "[.nan]"}, "sweep.tasks"),
    ({"sweep.taks": "[1]"}, "taks"),
    ({"ukspace.pool_entries": "1024", "ukspace.region_size": "2MiB"}, "ukspace.region_size"),
]


def _impossible(rng: random.Random, via_set: bool) -> Case:
    sets, expect = rng.choice(IMPOSSIBLE)
    if via_set:
        argv = [*_command(rng), "default"]
        for k, v in sets.items():
            argv += ["--set", f"{k}={v}"]
        return Case("set-impossible", argv, expect)
    text = _yaml_of(sets)
    return Case("file-impossible", [*_command(rng), "{dir}/bad.yaml"], expect, {"bad.yaml": text})


def _bomb(levels: int, width: int) -> bytes:
    lines = [f"a0: &a0 [{', '.join(['lol'] * width)}]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * width)}]" for i in range(1, levels)]
    return ("\n".join(lines) + "\n").encode()


def _bad_file(rng: random.Random) -> Case:
    name = f"f{rng.randrange(10**6)}.yaml"
    depth = rng.choice((33, 100, 500, 5000))
    choices = [
        lambda: bytes(rng.randrange(256) for _ in range(rng.randrange(1, 4000))) + b"\xff\xfe",
        lambda: "title: caf\xe9\n".encode("latin-1"),
        lambda: "title: x\n".encode("utf-16"),
        lambda: b"\x00\x01\x02binary\x00",
        lambda: _bomb(rng.randrange(7, 12), rng.randrange(8, 12)),
        lambda: b"&a [*a]\n",
        lambda: b"machine: &m {ram: *m}\n",
        lambda: ("title: " + "[" * depth + "]" * depth + "\n").encode(),
        lambda: ("x:\n" + "".join("  " * i + "- \n" for i in range(1, depth % 200 + 40))).encode(),
        lambda: b"workload:\n  tasks: 1\n  tasks: 2\n",
        lambda: b"machine: {ram: 1GiB}\nmachine: {ram: 2GiB}\n",
        lambda: b"",
        lambda: b"# only a comment\n\n",
        lambda: rng.choice([b"false\n", b"0\n", b"- a\n- b\n", b"just text\n", b"null\n",
                            b"[1, 2]\n", b"3.5\n"]),
        lambda: b"a: 1\n---\nb: 2\n",
        lambda: b"title: " + b"x" * (1 << 20) + b"\n",
        lambda: b"machine:\n\tram: 1GiB\n",
        lambda: b"machine: {ram: 1GiB\n",
        lambda: b"title: \x00\n",
        lambda: b"workload:\n  tasks: " + b"9" * rng.choice((41, 4301, 100_000)) + b"\n",
        lambda: b"machine: 5\n",
        lambda: b"machine: [1, 2]\n",
        lambda: b"!!python/object/apply:os.system ['true']\n",
    ]
    data = rng.choice(choices)()
    if data in (b"machine: 5\n", b"machine: [1, 2]\n"):
        return Case("file", [*_command(rng), "{dir}/" + name], "machine", {name: data})
    return Case("file", [*_command(rng), "{dir}/" + name], name, {name: data})


def _bad_set(rng: random.Random) -> Case:
    depth = rng.choice((33, 500, 3000))
    choices = [
        (["noequals"], "noequals"), (["=5"], "=5"), (["a..b=1"], "a..b"),
        (["machine.ram"], "machine.ram"), ([" =x"], "--set"),
        ([f"workload.tasks={'[' * depth}{']' * depth}"], "workload.tasks"),
        (["workload.tasks=&a [*a]"], "workload.tasks"),
        ([f"sweep.tasks={_bomb(9, 9).decode()}"], "sweep.tasks"),
        (["title.x=1"], "title"), (["machine=5"], "machine"),
        (["workload.tasks=" + "7" * 100_000], "workload.tasks"),
        (["x" * 5000 + "=1"], "--set"),
    ]
    sets, expect = rng.choice(choices)
    argv = [*_command(rng), "default"]
    for s in sets:
        argv += ["--set", s]
    return Case("set", argv, expect)


def _bad_axis(rng: random.Random) -> Case:
    choices = [
        ("costs.invlpg_cycles=1:inf:2", "costs.invlpg_cycles"), ("tasks=1:1e400:3", "tasks"),
        ("tasks=1:nan:3", "tasks"), ("tasks=1:10:0", "tasks"), ("tasks=1:10:-3", "tasks"),
        ("tasks=1:10:x", "tasks"), ("tasks=1:10:99999999999", "tasks"),
        ("tasks=0:10:3:log", "tasks"), ("tasks=1:10:3:cubic", "tasks"),
        ("ram=1GB:4GiB:3", "ram"), ("machine.kernel=1:3:3", "machine.kernel"),
        ("taks=1,2", "taks"), ("title=a,b", "title"), ("tasks=", "tasks="),
        ("=1,2", "=1,2"), ("tasks=1,1", "tasks"), ("tasks=0,5", "tasks"),
        ("tasks=true,2", "tasks"), ("ram=1GiB,128GiB", "ram"),
        ("machine.cpu_model=pentium9", "machine.cpu_model"),
        ("costs.clock_hz=0,1e9", "costs.clock_hz"), ("costs.nope=1,2", "costs.nope"),
        ("workload.tasks=1:" + "9" * 500 + ":3", "workload.tasks"),
        ("tasks=1:1.0e+400:3:log", "tasks"), ("strategies=mainline", "strategies"),
        ("tasks=" + ",".join(["1"] * 3000), "tasks"),
    ]
    text, expect = rng.choice(choices)
    argv = ["sweep", "--no-cache", "--no-progress", "default", "--axis", text]
    if rng.random() < 0.2:
        argv += ["--axis", text]
    return Case("axis", argv, expect)


def _bad_option(rng: random.Random) -> Case:
    choices = [
        (["simulate", "--seed", "-1"], "--seed"), (["simulate", "--seed", "x"], "--seed"),
        (["simulate", "--seed", "9" * 40], "--seed"), (["simulate", "--seconds", "nan"],
                                                       "--seconds"),
        (["simulate", "--seconds", "inf"], "--seconds"), (["simulate", "--seconds", "-1"],
                                                          "--seconds"),
        (["simulate", "--seconds", "0"], "--seconds"), (["simulate", "--ops", "0"], "--ops"),
        (["simulate", "--ops", "1e3"], "--ops"), (["simulate", "--warmup", "-1"], "--warmup"),
        (["simulate", "--warmup", "nan"], "--warmup"),
        (["simulate", "--seconds", "1", "--ops", "5"], "--ops"),
        (["sweep", "--workers", "0"], "--workers"), (["sweep", "--sim-seconds", "inf"],
                                                     "--sim-seconds"),
        (["sweep", "--engine", "monte"], "--engine"), (["sweep", "--executor", "ray"],
                                                       "--executor"),
        (["sweep", "--out", "x.xlsx"], "--out"), (["sweep", "--out", "/tmp"], "--out"),
        (["sweep", "--out", "{dir}/afile/x.csv"], "--out"),
        (["writeup", "--out", "{dir}/afile/sub/mail.txt"], "--out"),
        (["sweep", "--engine", "sim", "--executor", "dask", "--scheduler", "tcp://127.0.0.1:1"],
         "--scheduler"),
        (["sweep", "--engine", "sim", "--executor", "dask", "--scheduler", "garbage"],
         "--scheduler"),
        (["sweep", "--scheduler", "tcp://127.0.0.1:1"], "scheduler"),
        (["sweep", "--sim-seconds", "1"], "sim_seconds"),
        (["writeup", "--out", "/tmp"], "--out"), (["writeup", "--strategies", "nope"],
                                                  "--strategies"),
        (["writeup", "--strategies", ","], "--strategies"),
        (["writeup", "--baseline", "nope"], "--baseline"),
        (["layout", "--strategy", "nope"], "--strategy"), (["evaluate", "--bogus"], "--bogus"),
        (["report", "--jobs", "0"], "--jobs"), (["report", "--timeout", "nan"], "--timeout"),
        (["report", "--timeout", "-5"], "--timeout"), (["report", "--out", "{dir}/afile"],
                                                       "--out"),
        (["nosuchcommand"], "nosuchcommand"), (["evaluate", "defualt"], "defualt"),
        (["evaluate", "x" * 5000], "scenario"), (["evaluate", "/tmp"], "/tmp"),
        (["evaluate", "/nonexistent.yaml"], "/nonexistent.yaml"),
        (["report", "default", "--set", "workload.tasks=true"], "workload.tasks"),
        (["evaluate", "--strategy", "x"], "--strategy"),
    ]
    argv, expect = rng.choice(choices)
    return Case("option", list(argv), expect, {"afile": b"not a folder\n"})


GENERATORS = {
    "file": _bad_file,
    "file-value": lambda rng: _value_cases(rng, via_set=False),
    "set-value": lambda rng: _value_cases(rng, via_set=True),
    "file-impossible": lambda rng: _impossible(rng, via_set=False),
    "set-impossible": lambda rng: _impossible(rng, via_set=True),
    "set": _bad_set,
    "axis": _bad_axis,
    "option": _bad_option,
}


def cases(n: int, seed: int) -> list[Case]:
    """``n`` cases, spread evenly over the categories, from ``seed``."""
    rng = random.Random(seed)
    names = sorted(GENERATORS)
    out = []
    for i in range(n):
        random.seed(rng.random())                       # bad_values' own choices
        out.append(GENERATORS[names[i % len(names)]](rng))
    return out


# --- running ---------------------------------------------------------------------------------

class CaseTimeout(BaseException):
    """A case past CASE_LIMIT_S (raised by SIGALRM in this process)."""


def _materialise(case: Case, where: Path) -> list[str]:
    for name, data in case.files.items():
        (where / name).write_bytes(data)
    return [a.replace("{dir}", str(where)) for a in case.argv]


def run_case(case: Case, where: Path, subprocess_run: bool = False) -> Outcome:
    """Run ``case`` (its files written into ``where``) and time it."""
    argv = _materialise(case, where)
    t0 = time.monotonic()
    if subprocess_run:
        try:
            r = subprocess.run([sys.executable, "-m", "ukspace_lab.cli", *argv],
                               capture_output=True, timeout=CASE_LIMIT_S, cwd=where)
        except subprocess.TimeoutExpired as exc:
            return Outcome(case, None, (exc.stdout or b"").decode("utf-8", "replace"),
                           (exc.stderr or b"").decode("utf-8", "replace"), CASE_LIMIT_S)
        return Outcome(case, r.returncode, r.stdout.decode("utf-8", "replace"),
                       r.stderr.decode("utf-8", "replace"), time.monotonic() - t0)
    from ukspace_lab.cli import main

    out, err = io.StringIO(), io.StringIO()

    def alarm(signum, frame):
        raise CaseTimeout()

    old = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, CASE_LIMIT_S)
    code: int | None
    escaped = ""
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(argv)
    except CaseTimeout:
        code = None
    except BaseException as exc:                         # noqa: BLE001 - that is the finding
        code, escaped = -1, f"{type(exc).__name__}: {str(exc)[:200]}"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
    return Outcome(case, code, out.getvalue(), err.getvalue(), time.monotonic() - t0, escaped)


def summary(outcomes: list[Outcome]) -> dict[str, int]:
    """The counts the issue asks for."""
    probs = [o.problems() for o in outcomes]
    return {"cases": len(outcomes),
            "tracebacks": sum(any(p.startswith("traceback") for p in ps) for ps in probs),
            "hangs": sum(any(p.startswith("hang") for p in ps) for ps in probs),
            "wrong exit codes": sum(any(p.startswith("exit") for p in ps) for ps in probs),
            "oversize outputs": sum(any(p.startswith("output") for p in ps) for ps in probs),
            "key not named": sum(any(p.startswith("message") for p in ps) for ps in probs)}


def _main() -> int:
    import argparse
    import tempfile

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=20020320)
    args = ap.parse_args()
    outcomes = []
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        for i, case in enumerate(cases(args.cases, args.seed)):
            where = Path(tmp) / str(i)
            where.mkdir()
            outcomes.append(run_case(case, where))
    counts = summary(outcomes)
    slowest = max(outcomes, key=lambda o: o.seconds)
    print(f"seed {args.seed}: " + ", ".join(f"{k} {v}" for k, v in counts.items())
          + f"; {time.monotonic() - t0:.0f} s in all, slowest case {slowest.seconds:.2f} s "
          f"({slowest.case.category}: {' '.join(slowest.case.argv)[:80]})")
    for o in outcomes:
        if o.problems():
            print(f"  {o.case.category} {' '.join(o.case.argv)[:120]!r}: {o.problems()}")
    return 1 if any(o.problems() for o in outcomes) else 0


if __name__ == "__main__":
    sys.exit(_main())
