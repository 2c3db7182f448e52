"""The writeup's "to reproduce" lines: the commands that rebuild its numbers, with
every ``--set`` that turns the named scenario file into the one written up."""

from __future__ import annotations

import shlex
from typing import Any

from .fmt import WIDTH, wrap


def _overrides_from(plain: dict[str, Any], base: dict[str, Any] | None) -> list[str]:
    """``--set`` arguments that turn the named scenario file (``base``) into ``plain``."""
    if base is None:
        return []
    flat_a, flat_b = _flatten(base), _flatten(plain)
    out = []
    for key in sorted(set(flat_a) | set(flat_b)):
        if flat_a.get(key) != flat_b.get(key) and key != "strategies":
            out.append(f"--set {shlex.quote(f'{key}={_token(flat_b.get(key))}')}")
    return out


def _flatten(d: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, val in d.items():
        key = f"{prefix}{k}"
        if isinstance(val, dict) and k != "sweep":
            out.update(_flatten(val, key + "."))
        else:
            out[key] = val
    return out


def _token(x: Any) -> str:
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, float) and x.is_integer():
        return str(int(x))
    if isinstance(x, list):
        return "[" + ",".join(str(i) for i in x) + "]"
    return str(x)


def commands(lines: str) -> list[list[str]]:
    """The argument lists of the commands in ``lines`` (backslash continuations joined),
    as a shell would split them: what a test runs."""
    return [shlex.split(c) for c in lines.replace("\\\n", " ").splitlines() if c.strip()]


def _command(words: list[str]) -> str:
    """A shell command indented two spaces, continued with backslashes at 72."""
    lines, cur = [], "  " + words[0]
    for word in words[1:]:
        if len(cur) + 1 + len(word) + 2 > WIDTH:
            lines.append(cur + " \\")
            cur = "      " + word
        else:
            cur += " " + word
    return "\n".join([*lines, cur])


def reproduce(plain: dict[str, Any], base: dict[str, Any] | None, name: str,
              strategies: list[str] | None, baseline: str | None,
              model_version: str) -> list[str]:
    """The paragraph and the two commands (report, writeup) that rebuild the numbers;
    every word shell-quoted (``--set 'title=A box'``), so the lines run as printed."""
    sets = _overrides_from(plain, base)
    name = shlex.quote(name)
    extra = []
    if strategies:
        extra.append(f"--strategies {shlex.quote(','.join(strategies))}")
    if baseline:
        extra.append(f"--baseline {shlex.quote(baseline)}")
    return [
        wrap(f"To reproduce (ukspace-lab, model {model_version}; the same scenario and "
             "model version give the same numbers):"),
        _command(["ukspace-lab", "report", name, *sets]) + "\n"
        + _command(["ukspace-lab", "writeup", name, *sets, *extra]),
    ]
