"""``ukspace-lab report``: render scenarios into report folders."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

CELL_TIMEOUT_S = 1800.0   # the default of ukspace_lab.present.execute, spelled out for --help
NOTEBOOK_GLOB = "0*.ipynb"


def _positive(kind: type) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        try:
            value = kind(text) if len(text) <= 40 else math.nan
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"{text[:40]!r} is not a finite number")
        if value <= 0:
            raise argparse.ArgumentTypeError(f"{text!r}: must be greater than 0")
        return value
    return parse


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "report", help="execute the notebooks for scenarios into reports/<scenario>/",
        description="Execute notebooks/0*.ipynb with papermill for each scenario and write "
                    "reports/<scenario>/ (index.html, writeup.txt, data/, figures/, the "
                    "executed notebooks, manifest.json). The previous report is replaced only "
                    "when everything succeeded.")
    p.add_argument("scenarios", nargs="*", default=["default"], metavar="SCENARIO",
                   help="names in papermill_params/ or YAML paths (default: default)")
    p.add_argument("--out", type=Path, default=None, metavar="DIR",
                   help="where report folders go (default: reports/)")
    p.add_argument("--jobs", type=_positive(int), default=1, metavar="N",
                   help="scenarios rendered at once, each in its own process (default: 1)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a key for every scenario, e.g. --set machine.ram=8GiB")
    p.add_argument("--timeout", type=_positive(float), default=CELL_TIMEOUT_S, metavar="SECONDS",
                   help=f"per-cell execution timeout (default: {CELL_TIMEOUT_S:g})")
    p.add_argument("--notebooks", type=Path, default=None, metavar="DIR",
                   help=f"directory of {NOTEBOOK_GLOB} to execute (default: notebooks/)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import sys

    from ..model.loading import parse_overrides
    from ..present.batch import render_reports
    from ..present.execute import _display_path
    from ..resources import report_dir
    from .options import check_out_dir

    if args.out is not None:
        check_out_dir("--out", args.out)
    overrides = parse_overrides(args.overrides)
    done, failed = render_reports(args.scenarios, overrides, out_dir=args.out,
                                  notebook_dir=args.notebooks, jobs=args.jobs,
                                  cell_timeout=args.timeout, show_progress=not args.no_progress)
    for path in done:
        print(f"report: {_display_path(path / 'index.html')}")
    for name, message in failed.items():
        print(f"ukspace-lab report: {name} failed: {message}\n"
              f"  the previous report in {_display_path(Path(args.out or report_dir()) / name)}"
              " is unchanged",
              file=sys.stderr)
    return 1 if failed else 0
