"""``ukspace-lab validate [CASE.yaml ...] [--json] [--strict]``: the model against the era.

Runs every case in ``data/validation/`` (or the files or shipped ids named) and
prints one row per case: id, quantity, predicted, published, their ratio and
whether the prediction is within the case's tolerance. ``--strict`` exits 1
when any case is outside. A malformed case file is one message naming the
field (exit 2), as a bad scenario is. The format: ``docs/validation.md``.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

COLUMNS = ("id", "kind", "quantity", "predicted", "at low-high costs", "published", "unit",
           "ratio", "tol", "within")


def add_parser(sub: Any) -> None:
    p = sub.add_parser("validate", help="hold the model against published measurements "
                                        "(data/validation/)")
    p.add_argument("cases", nargs="*", metavar="CASE",
                   help="case files or shipped case ids (default: every case in "
                        "data/validation/)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--strict", action="store_true",
                   help="exit 1 if any case is outside its tolerance")
    p.set_defaults(run=run)


def number(x: float | None) -> str:
    """Four significant figures, thousands grouped; '-' for none."""
    if x is None:
        return "-"
    if x == 0:
        return "0"
    if abs(x) >= 1e4 and abs(x) < 1e15:
        return f"{x:,.0f}"
    return f"{x:.4g}"


def table(results: list[Any]) -> str:
    """The validate table: one row per case, then a count of those within tolerance."""
    rows = [COLUMNS]
    for r in results:
        span = "-" if r.predicted_low is None else \
            f"{number(r.predicted_low)} to {number(r.predicted_high)}"
        rows.append((r.id, r.kind, r.quantity, number(r.predicted), span, number(r.published),
                     r.unit,
                     "-" if r.ratio is None else f"{r.ratio:.3g}", r.tolerance,
                     "yes" if r.within else "NO"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    right = {3, 4, 5, 7}
    lines = ["  ".join(c.rjust(w) if i in right else c.ljust(w)
                       for i, (c, w) in enumerate(zip(row, widths, strict=True))).rstrip()
             for row in rows]
    inside = sum(r.within for r in results)
    lines.append(f"{inside} of {len(results)} cases within tolerance")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from ..model.closed import MODEL_VERSION
    from ..study.validation import validate

    results = validate(args.cases or None)
    if args.json:
        print(json.dumps({"model_version": MODEL_VERSION,
                          "cases": [r.to_json() for r in results],
                          "within": sum(r.within for r in results),
                          "total": len(results)}, indent=2))
    else:
        print(table(results))
    return 1 if args.strict and not all(r.within for r in results) else 0
