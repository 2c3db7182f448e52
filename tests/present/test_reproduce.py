"""The writeup's "to reproduce" lines run as printed.

Each case writes a mail with overrides a shell would mangle unquoted (spaces, an
apostrophe, a semicolon, an accent, a version that looks like a float), takes the
reproduce block out of the mail, splits it as a shell does, and runs it: the
``writeup`` line through the CLI must print the same mail byte for byte, and the
``report`` line must parse into the same scenario (a report render takes minutes,
so it is not run here).
"""

from __future__ import annotations

import pytest

from ukspace_lab.cli import build_parser, main
from ukspace_lab.cli.evaluate import scenario_from_args
from ukspace_lab.model.loading import load_scenario, parse_overrides
from ukspace_lab.present.reproduce import commands

CASES = [
    ["machine.kernel=2.6"],
    ["title=Bob's box; rm -rf ~", "machine.ram=8GiB"],
    ["title=Café at 16 GiB", "workload.tasks=300", "workload.threads_per_task=4"],
]


def reproduce_block(mail: str) -> str:
    """The indented command lines after the 'To reproduce' paragraph."""
    lines = mail.splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.startswith("To reproduce"))
    while lines[start].strip():
        start += 1
    block = []
    for ln in lines[start + 1:]:
        if not ln.strip():
            break
        block.append(ln)
    return "\n".join(block)


@pytest.mark.parametrize("sets", CASES, ids=["kernel-2.6", "shell-characters", "accent"])
def test_printed_lines_run(sets, capsys):
    argv = ["writeup", "default"] + [w for s in sets for w in ("--set", s)]
    assert main(argv) == 0
    mail = capsys.readouterr().out
    cmds = commands(reproduce_block(mail))
    assert [c[:2] for c in cmds] == [["ukspace-lab", "report"], ["ukspace-lab", "writeup"]]
    for c in cmds:
        given = [c[i + 1] for i, w in enumerate(c) if w == "--set"]
        # each override one argument, beside the shared segment's page size the verdict
        # chose (the writeup reproduces the scenario it evaluated)
        chosen = [g for g in given if g.startswith("workload.shared_segment_page=")]
        assert len(given) == len(sets) + len(chosen) and len(chosen) <= 1, c
    report, writeup = cmds
    assert main(writeup[1:]) == 0
    assert capsys.readouterr().out == mail
    rep = build_parser().parse_args(report[1:])
    assert rep.scenarios == ["default"]
    parsed = load_scenario(rep.scenarios[0], parse_overrides(rep.overrides))
    again = scenario_from_args(build_parser().parse_args(writeup[1:]))
    assert parsed.to_plain() == again.to_plain()


def test_unquoted_lines_would_not_run():
    """The check above can fail: the same block without quoting splits the title."""
    from ukspace_lab.present import reproduce as R

    lines = R._command(["ukspace-lab", "writeup", "default", "--set title=Bob's box"])
    with pytest.raises(ValueError):                  # the apostrophe opens a quote
        commands(lines)
