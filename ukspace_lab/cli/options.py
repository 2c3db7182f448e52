"""Option types and checks shared by the subcommands: each refuses a bad value with
one line naming the option, before any work.

The number types are argparse ``type=`` callables (argparse names the option
and exits 2); :func:`check_out_file` and :func:`check_out_dir` refuse an
output path that cannot be written (a directory given for a file, a file where
a folder must be, a folder not writable) as a
:class:`~ukspace_lab.errors.ScenarioError`. Missing folders are made when the
file is written, as before.
"""

from __future__ import annotations

import argparse
import math
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import ScenarioError, shown

SEED_LIMIT = 1 << 63      # as the scenario's seed (model/fields.py COUNT_LIMIT)


def _number(kind: type, text: str) -> Any:
    try:
        value = kind(text) if len(text) <= 40 else None
    except (ValueError, OverflowError):
        value = None
    if value is None or (kind is float and not math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"{shown(text)} is not a finite "
                                         f"{'whole number' if kind is int else 'number'}")
    return value


def bounded(kind: type, low: float, high: float | None = None,
            low_open: bool = False) -> Callable[[str], Any]:
    """An argparse type: a finite ``kind`` (int or float) from ``low`` (excluded when
    ``low_open``) up to ``high``."""
    def parse(text: str) -> Any:
        value = _number(kind, text)
        if (value <= low if low_open else value < low) or (high is not None and value > high):
            lo = f"> {low:g}" if low_open else f">= {low:g}"
            hi = f" and <= {high if kind is int else f'{high:g}'}" if high is not None else ""
            raise argparse.ArgumentTypeError(f"{shown(text)}: must be {lo}{hi}")
        return value
    parse.__name__ = f"{kind.__name__} {'>' if low_open else '>='} {low:g}"
    return parse


seed = bounded(int, 0, SEED_LIMIT - 1)
positive_int = bounded(int, 1)
positive_float = bounded(float, 0, low_open=True)
non_negative_float = bounded(float, 0)


def _existing_ancestor(p: Path) -> Path:
    for parent in [p, *p.parents]:
        if parent.exists():
            return parent
    return Path(".")


def check_out_file(option: str, path: str | os.PathLike[str]) -> Path:
    """``path`` as a file to write: not a directory, and its folder exists or can be made
    (the nearest existing folder above it is a writable folder, not a file)."""
    p = Path(path)
    try:
        is_dir = p.is_dir()
        above = _existing_ancestor(p.parent if str(p.parent) else Path("."))
        above_is_dir = above.is_dir()
    except (OSError, ValueError):                  # too long, or a NUL byte
        raise ScenarioError([f"{option} {shown(str(p))}: not a usable path"],
                            "command line") from None
    if is_dir:
        raise ScenarioError([f"{option} {shown(str(p))}: is a directory; give a file name"],
                            "command line")
    if not above_is_dir:
        raise ScenarioError([f"{option} {shown(str(p))}: {shown(str(above))} is a file, not "
                             "a folder"], "command line")
    if not os.access(above, os.W_OK | os.X_OK):
        raise ScenarioError([f"{option} {shown(str(p))}: the folder {shown(str(above))} is "
                             "not writable"], "command line")
    return p


def check_out_dir(option: str, path: str | os.PathLike[str]) -> Path:
    """``path`` as a folder to write into: a directory, or creatable (not a file)."""
    p = Path(path)
    try:
        is_file = p.exists() and not p.is_dir()
    except (OSError, ValueError):
        raise ScenarioError([f"{option} {shown(str(p))}: not a usable path"],
                            "command line") from None
    if is_file:
        raise ScenarioError([f"{option} {shown(str(p))}: is a file; give a folder"],
                            "command line")
    return p
