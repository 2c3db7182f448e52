"""``ukspace-lab simulate``: the event simulator's table, JSON and distributions."""

from __future__ import annotations

import argparse
import json
from typing import Any

from .evaluate import add_scenario_args, scenario_from_args
from .options import non_negative_float, positive_float, positive_int, seed


def add_parser(sub: Any) -> None:
    p = sub.add_parser("simulate", help="event simulation: the mechanisms played step by step")
    add_scenario_args(p)
    length = p.add_mutually_exclusive_group()
    length.add_argument("--seconds", type=positive_float, default=None,
                        help="simulated seconds per strategy (default 0.5)")
    length.add_argument("--ops", type=positive_int, default=None,
                        help="events per strategy instead")
    p.add_argument("--warmup", type=non_negative_float, default=0.0, metavar="S",
                   help="simulated seconds run first and left out of the rates (default 0)")
    p.add_argument("--seed", type=seed, default=None,
                   help="random seed, 0 to 2**63-1 (default: the scenario's)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..present.tables import simulate_text
    from ..sim import simulate_record

    ev = simulate_record(scenario_from_args(args), seconds=args.seconds, ops=args.ops,
                         seed=args.seed, progress=True, warmup=args.warmup)
    print(json.dumps(ev.to_json(args.scenario), indent=2) if args.json else simulate_text(ev))
    return 0
