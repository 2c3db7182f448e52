"""Bad input, generated: every case is refused with exit 2 and one short message naming
the key, no traceback, no output over 4 kB, each case under 10 s.

The cases come from :mod:`tests.cli.fuzz` (seeded): bad files, bad values in a
file and through ``--set`` for every key of the schema, machines that cannot
exist, bad ``--set`` syntax, bad ``--axis`` and bad options of every command.
They run in this process through ``ukspace_lab.cli.main`` (fast), and a sample
through a real ``python -m ukspace_lab.cli`` subprocess. ``UKSPACE_FUZZ_CASES``
changes the number per category (default 150, so 1,200 in all).
"""

from __future__ import annotations

import os
import random

import pytest

from tests.cli import fuzz

PER_CATEGORY = int(os.environ.get("UKSPACE_FUZZ_CASES", "150"))
SUBPROCESS_SAMPLE = 16
SEED = 20020320                       # the day of the seed's mail


def _category_cases(category: str, n: int, seed: int) -> list[fuzz.Case]:
    rng = random.Random(f"{seed}-{category}")
    out = []
    for _ in range(n):
        random.seed(rng.random())
        out.append(fuzz.GENERATORS[category](rng))
    return out


@pytest.fixture(scope="module", autouse=True)
def _warm():
    """Import what the commands import, so the first case's time is its own."""
    import ukspace_lab.model.record  # noqa: F401
    import ukspace_lab.present.writeup  # noqa: F401
    import ukspace_lab.study.sweep  # noqa: F401


def _failures(outcomes: list[fuzz.Outcome]) -> str:
    bad = [o for o in outcomes if o.problems()]
    return "\n".join(f"{o.case.category}: {' '.join(o.case.argv)[:160]!r} -> {o.problems()} "
                     f"stderr: {o.err[-300:]!r}" for o in bad[:10])


def test_at_least_a_thousand_cases():
    assert PER_CATEGORY * len(fuzz.GENERATORS) >= 1000 or "UKSPACE_FUZZ_CASES" in os.environ


@pytest.mark.timeout(600)
@pytest.mark.parametrize("category", sorted(fuzz.GENERATORS))
def test_bad_input_is_refused_in_process(category, tmp_path):
    outcomes = []
    for i, case in enumerate(_category_cases(category, PER_CATEGORY, SEED)):
        where = tmp_path / str(i)
        where.mkdir()
        outcomes.append(fuzz.run_case(case, where))
    assert not any(o.problems() for o in outcomes), _failures(outcomes)
    assert fuzz.summary(outcomes)["cases"] == PER_CATEGORY


@pytest.mark.timeout(600)
def test_bad_input_is_refused_by_the_real_command(tmp_path):
    """The same through a subprocess: the console entry point, real stdout and stderr."""
    rng = random.Random(SEED)
    pool = [c for cat in sorted(fuzz.GENERATORS) for c in _category_cases(cat, 6, SEED + 1)
            if not c.in_process_only]
    sample = rng.sample(pool, SUBPROCESS_SAMPLE)
    outcomes = []
    for i, case in enumerate(sample):
        where = tmp_path / str(i)
        where.mkdir()
        outcomes.append(fuzz.run_case(case, where, subprocess_run=True))
    assert not any(o.problems() for o in outcomes), _failures(outcomes)


def test_the_harness_sees_what_it_must_refuse(tmp_path):
    """A test of the test: a valid run, an escaped exception, a hang and a huge output are
    each reported as a problem."""
    ok = fuzz.run_case(fuzz.Case("check", ["evaluate", "default"], "x"), tmp_path)
    assert ok.code == 0 and any("exit 0" in p for p in ok.problems())
    crash = fuzz.Outcome(ok.case, -1, "", "", 0.1, escaped="ValueError: boom")
    assert any(p.startswith("traceback") for p in crash.problems())
    hang = fuzz.Outcome(ok.case, None, "", "", fuzz.CASE_LIMIT_S)
    assert any(p.startswith("hang") for p in hang.problems())
    loud = fuzz.Outcome(ok.case, 2, "", "x" * 5000, 0.1)
    assert any(p.startswith("output") for p in loud.problems())
    unnamed = fuzz.Outcome(ok.case, 2, "", "invalid scenario: something", 0.1)
    assert any(p.startswith("message") for p in unnamed.problems())


def test_every_schema_key_is_fuzzed():
    """The value generators read the schema, so a key added later is fuzzed too."""
    kinds = {k: fuzz._kind(info)[0] for k, info in fuzz._leaves().items()}
    others = {k for k, kind in kinds.items() if kind == "other"}
    assert others == {"costs", "sweep", "strategies"}, others
    assert all(fuzz.bad_values(kind, 0, 1) for k, kind in kinds.items() if k not in others)
