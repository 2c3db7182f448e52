"""The ``ukspace-lab`` command: one parser, subcommands from small modules.

Each subcommand module defines ``add_parser(subparsers)`` and ``run(args) -> int``
and imports what it computes with only when it runs, so ``--help`` loads no
numpy, pandas, pydantic or model. User errors
(:class:`~ukspace_lab.errors.ScenarioError`, a bad option, a file that cannot be
written) print one short message and exit 2, never a traceback (an operating
system error met while working exits 1, also in one line); with no command, the
commands are listed. SIGINT and SIGTERM stop a command the same way
(:mod:`ukspace_lab.interrupts`): one line, exit 130 or 143.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import NoReturn

from ..errors import PROBLEM_CHARS, ScenarioError

SUBCOMMAND_MODULES = (
    "ukspace_lab.cli.evaluate",    # layout, evaluate
    "ukspace_lab.cli.simulate",    # simulate
    "ukspace_lab.cli.writeup",     # writeup
    "ukspace_lab.cli.report",      # report
    "ukspace_lab.cli.sweep",       # sweep
    "ukspace_lab.cli.keys",        # keys
    "ukspace_lab.cli.validate",    # validate
    "ukspace_lab.calibrate.cli",   # calibrate
)


class Parser(argparse.ArgumentParser):
    """argparse, with its error message cut short (it quotes the offending text whole)."""

    def error(self, message: str) -> NoReturn:
        if len(message) > PROBLEM_CHARS:
            message = message[:PROBLEM_CHARS - 3] + "..."
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\n")


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
    parser = Parser(
        prog="ukspace-lab",
        description="Measure 32-bit x86 Linux address-space designs: Martin Bligh's 2002 "
                    "per-task u-k-space proposal against mainline, HIGHPTE, kmap_local, "
                    "4G/4G and a 64-bit floor.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in _modules():
        module.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script: the exit status (2 for any user error)."""
    from .. import interrupts

    with interrupts.stoppable():
        try:
            parser = build_parser()
            args = parser.parse_args(argv)
        except SystemExit as exc:        # --help (0) or a bad option (2, already printed)
            return exc.code if isinstance(exc.code, int) else 2
        except KeyboardInterrupt as exc:  # stopped while the commands load
            interrupts.hold()
            print("ukspace-lab: interrupted", file=sys.stderr)
            return interrupts.exit_code(exc)
        if args.command is None:
            parser.print_help(sys.stderr)
            return 2
        code = _run(args)
        if argv is None:                 # the real command: nothing may change the outcome now
            interrupts.finish(code)
        return code


def _run(args: argparse.Namespace) -> int:
    """Run the parsed command; its exit status. SIGTERM is handled as Ctrl-C: both
    print one line and exit 128 + the signal (130, 143)."""
    from .. import interrupts

    try:
        return int(args.run(args) or 0)
    except ScenarioError as exc:
        print(f"ukspace-lab {args.command}: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:               # the machine, not the input: 1, still no traceback
        where = f" {str(exc.filename)[:200]}" if exc.filename else ""
        print(f"ukspace-lab {args.command}: cannot use{where}: {str(exc.strerror or exc)[:300]}",
              file=sys.stderr)
        return 1
    except KeyboardInterrupt as exc:     # interrupts.Stopped for SIGTERM too
        interrupts.hold()                # a second signal no longer cuts this line short
        how = " (SIGTERM)" if interrupts.exit_code(exc) == 143 else ""
        print(f"ukspace-lab {args.command}: interrupted{how}", file=sys.stderr)
        return interrupts.exit_code(exc)
