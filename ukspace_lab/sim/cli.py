"""``ukspace-lab simulate``: the event simulator's table, JSON and distributions."""

from __future__ import annotations

import argparse
import json
from typing import Any

from .. import fmt
from ..commands import _plain, add_scenario_args, evaluate_text, results_json, scenario_from_args
from .engine import simulate


def add_parser(sub: Any) -> None:
    p = sub.add_parser("simulate", help="event simulation: the mechanisms played step by step")
    add_scenario_args(p)
    length = p.add_mutually_exclusive_group()
    length.add_argument("--seconds", type=float, default=None,
                        help="simulated seconds per strategy (default 0.5)")
    length.add_argument("--ops", type=int, default=None, help="events per strategy instead")
    p.add_argument("--warmup", type=float, default=0.0, metavar="S",
                   help="simulated seconds run first and left out of the rates (default 0)")
    p.add_argument("--seed", type=int, default=None, help="random seed (default: the scenario's)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(run=run)


def _text(scn, df) -> str:
    lines = [evaluate_text(scn, df), ""]
    rows = []
    for r in df.to_dict(orient="records"):
        d = df.attrs["distributions"][r["strategy"]]
        wait = d["kmap_wait"]
        rows.append([r["strategy"], fmt.count(r["events"]), f"{r['sim_seconds']:.3g}",
                     f"{r['wall_seconds']:.2f}", f"{wait['p50_ns']:.0f}",
                     f"{wait['p99_ns']:.0f}", f"{wait['max_ns']:.0f}",
                     fmt.rate(max(d["flushes_per_s_over_time"]["rates"]))])
    lines.append(fmt.render_table(["strategy", "events", "sim s", "wall s", "wait p50 ns",
                                   "p99 ns", "max ns", "peak fl/s"], rows))
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    scn = scenario_from_args(args)
    df = simulate(scn, seconds=args.seconds, ops=args.ops, seed=args.seed, progress=True,
                  warmup=args.warmup)
    if args.json:
        doc = results_json(scn, args.scenario, df)
        doc["engine"] = "sim"
        doc["seed"] = scn.seed if args.seed is None else args.seed
        doc["distributions"] = {k: {kk: _plain(vv) if not isinstance(vv, dict | list) else vv
                                    for kk, vv in v.items()}
                                for k, v in df.attrs["distributions"].items()}
        print(json.dumps(doc, indent=2))
    else:
        print(_text(scn, df))
    return 0
