"""``ukspace-lab layout`` and ``ukspace-lab evaluate``: the address map and the table."""

from __future__ import annotations

import argparse
import json
from typing import Any


def add_scenario_args(p: argparse.ArgumentParser) -> None:
    """SCENARIO and --set, shared by every subcommand that reads a scenario."""
    p.add_argument("scenario", nargs="?", default="default",
                   help="a name in papermill_params/ or a path to a YAML file (default: default)")
    p.add_argument("--set", dest="overrides", action="append", default=[],
                   metavar="KEY=VALUE", help="override a key, e.g. --set machine.ram=8GiB")


def scenario_from_args(args: argparse.Namespace) -> Any:
    """The validated scenario named on the command line, with its overrides."""
    from ..model.loading import load_scenario, parse_overrides

    return load_scenario(args.scenario, parse_overrides(args.overrides))


def add_parser(sub: Any) -> None:
    p = sub.add_parser("layout", help="print the virtual address map of a scenario")
    add_scenario_args(p)
    p.add_argument("--strategy", default=None, help="one strategy (default: every one)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(run=run_layout)

    p = sub.add_parser("evaluate", help="closed-form results, one row per strategy")
    add_scenario_args(p)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(run=run_evaluate)


def run_evaluate(args: argparse.Namespace) -> int:
    from ..model.record import evaluation
    from ..present.tables import evaluate_text

    ev = evaluation(scenario_from_args(args))
    print(json.dumps(ev.to_json(args.scenario), indent=2) if args.json else evaluate_text(ev))
    return 0


def run_layout(args: argparse.Namespace) -> int:
    from ..errors import ScenarioError, shown
    from ..model.record import evaluation
    from ..model.strategies import strategy_names
    from ..present.tables import layout_json, layout_text

    scn = scenario_from_args(args)
    names = [args.strategy] if args.strategy else list(scn.strategies)
    unknown = [n for n in names if n not in strategy_names()]
    if unknown:
        raise ScenarioError([f"--strategy {shown(unknown[0])}: allowed: "
                             f"{', '.join(strategy_names())}"], source="command line")
    if args.strategy and args.strategy not in scn.strategies:
        scn = scn.with_overrides({"strategies": [*scn.strategies, args.strategy]})
    ev = evaluation(scn)
    if args.json:
        print(json.dumps(layout_json(ev, args.scenario, names), indent=2))
    else:
        print("\n".join(layout_text(ev, n) for n in names))
    return 0
