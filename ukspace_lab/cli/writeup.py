"""``ukspace-lab writeup``: print or write the plain-text mail for a scenario."""

from __future__ import annotations

import argparse
from typing import Any

from .evaluate import add_scenario_args, scenario_from_args
from .options import check_out_file


def add_parser(sub: Any) -> None:
    p = sub.add_parser("writeup", help="the plain-text mail (RFC with numbers) for a scenario")
    add_scenario_args(p)
    p.add_argument("--strategies", default=None, metavar="A,B,...",
                   help="strategies in the tables (default: the scenario's; the proposal "
                        "and the baseline are always shown)")
    p.add_argument("--baseline", default=None, metavar="S",
                   help="the design to compare against (default: the era's shipped one: "
                        "mainline for 2.4.18/2.5, highpte for 2.6, kmap-local for modern)")
    p.add_argument("--out", default=None, metavar="FILE",
                   help="write the mail to FILE (atomically) instead of printing it")
    p.set_defaults(run=run_writeup)


def _strategy_list(raw: str | None) -> list[str] | None:
    from ..errors import ScenarioError, shown
    from ..model.strategies import strategy_names

    if raw is None:
        return None
    names = [s.strip() for s in raw.split(",") if s.strip()]
    bad = [s for s in names if s not in strategy_names()]
    if bad or not names:
        unknown = shown(", ".join(bad))[1:-1] if bad else "empty list"
        raise ScenarioError([f"--strategies {shown(raw)}: unknown {unknown}; "
                             f"allowed: {', '.join(strategy_names())}"], source="command line")
    return names


def run_writeup(args: argparse.Namespace) -> int:
    from ..atomic import write_text_atomic
    from ..errors import ScenarioError, shown
    from ..model.loading import named_base
    from ..model.strategies import strategy_names
    from ..present.writeup import compose
    from ..study.verdict import default_baseline, verdict

    if args.out:
        check_out_file("--out", args.out)
    scn = scenario_from_args(args)
    strategies = _strategy_list(args.strategies)
    if args.baseline is not None and args.baseline not in strategy_names():
        raise ScenarioError([f"--baseline {shown(args.baseline)}: allowed: "
                             f"{', '.join(strategy_names())} (default for kernel "
                             f"{scn.machine.kernel}: {default_baseline(scn)})"],
                            source="command line")
    v = verdict(scn, baseline=args.baseline, strategies=strategies)
    text = compose(v, args.scenario, named_base(args.scenario), strategies, args.baseline)
    if args.out:
        write_text_atomic(args.out, text, encoding="ascii")
    else:
        print(text, end="")
    return 0
