"""The ``ukspace-lab`` command: one parser, subcommands from small modules.

Each subcommand module defines ``add_parser(subparsers)`` and ``run(args) -> int``
and imports what it computes with only when it runs. User errors
(:class:`~ukspace_lab.errors.ScenarioError`) print one message and exit 2,
never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from ..errors import ScenarioError

SUBCOMMAND_MODULES = (
    "ukspace_lab.cli.evaluate",    # layout, evaluate
    "ukspace_lab.cli.simulate",    # simulate
    "ukspace_lab.cli.writeup",     # writeup
    "ukspace_lab.cli.report",      # report
    "ukspace_lab.cli.sweep",       # sweep
    "ukspace_lab.calibrate.cli",   # calibrate
)


def _modules():
    for name in SUBCOMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name is not None and name.startswith(exc.name):
                continue  # that part of the tool is not built yet
            raise
        if hasattr(module, "add_parser"):
            yield module


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser."""
    parser = argparse.ArgumentParser(
        prog="ukspace-lab",
        description="Measure 32-bit x86 Linux address-space designs: Martin Bligh's 2002 "
                    "per-task u-k-space proposal against mainline, HIGHPTE, kmap_local, "
                    "4G/4G and a 64-bit floor.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in _modules():
        module.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except ScenarioError as exc:
        print(f"ukspace-lab {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"ukspace-lab {args.command}: interrupted", file=sys.stderr)
        return 130
