"""``ukspace-lab layout`` and ``ukspace-lab evaluate``: the address map and the table."""

from __future__ import annotations

import argparse
import json
import math
from typing import Any

import pandas as pd

from . import fmt
from .closed import MODEL_VERSION, evaluate
from .layout import Area, areas
from .scenario import STRATEGIES, Scenario, ScenarioError, load_scenario, parse_overrides
from .strategies import STRATEGY_TABLE


def add_scenario_args(p: argparse.ArgumentParser) -> None:
    """SCENARIO and --set, shared by every subcommand that reads a scenario."""
    p.add_argument("scenario", nargs="?", default="default",
                   help="a name in papermill_params/ or a path to a YAML file (default: default)")
    p.add_argument("--set", dest="overrides", action="append", default=[],
                   metavar="KEY=VALUE", help="override a key, e.g. --set machine.ram=8GiB")


def scenario_from_args(args: argparse.Namespace) -> Scenario:
    """The validated scenario named on the command line, with its overrides."""
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


def _plain(x: Any) -> Any:
    if isinstance(x, bool):
        return x
    if hasattr(x, "item"):
        x = x.item()
    if isinstance(x, float) and math.isinf(x):
        return None
    return x


def results_json(scn: Scenario, name: str, df: pd.DataFrame) -> dict[str, Any]:
    """The JSON document of ``evaluate --json`` (and ``simulate --json``)."""
    rows = [{k: _plain(v) for k, v in row.items() if k not in ("point", "model_version")}
            for row in df.to_dict(orient="records")]
    return {"scenario": name, "title": scn.title, "model_version": MODEL_VERSION,
            "parameters": scn.to_plain(), "results": rows}


EVALUATE_COLUMNS = (
    ("strategy", "strategy", str),
    ("lowmem free", "lowmem_free_bytes", fmt.size),
    ("PT lowmem", "pagetable_lowmem_bytes", fmt.size),
    ("max tasks", "max_tasks", fmt.count),
    ("kmaps/s", "kmaps_per_s", fmt.rate),
    ("glob.fl/s", "global_tlb_flushes_per_s", fmt.rate),
    ("IPIs/s", "ipis_per_s", fmt.rate),
    ("loc.fl/s", "local_tlb_flushes_per_s", fmt.rate),
    ("invlpg/s", "invlpg_per_s", fmt.rate),
    ("sleeps/s", "kmap_sleeps_per_s", fmt.rate),
    ("lock", "kmap_lock_utilization", lambda x: fmt.pct(100 * x)),
    ("CPU", "cpu_overhead_pct", fmt.pct),
)


def evaluate_text(scn: Scenario, df: pd.DataFrame) -> str:
    """The evaluate table as plain text."""
    rows = [[f(r[k]) for _, k, f in EVALUATE_COLUMNS] for r in df.to_dict(orient="records")]
    m = scn.machine
    head = (f"{scn.title}\n{m.arch}, {fmt.size(m.ram)}, {m.cpus} CPUs, {m.split}, "
            f"kernel {m.kernel}, {m.cpu_model}; {scn.workload.tasks} tasks x "
            f"{scn.workload.threads_per_task} threads\n")
    return head + "\n" + fmt.render_table([h for h, _, _ in EVALUATE_COLUMNS], rows)


def run_evaluate(args: argparse.Namespace) -> int:
    scn = scenario_from_args(args)
    df = evaluate(scn)
    if args.json:
        print(json.dumps(results_json(scn, args.scenario, df), indent=2))
    else:
        print(evaluate_text(scn, df))
    return 0


def ascii_map(rows: list[Area], width: int = 44) -> str:
    """A top-down ASCII drawing of the address map (not to scale; sizes printed)."""
    out = [f"{'':10} +{'-' * width}+"]
    for a in reversed(rows):
        label = f"{a.name} ({fmt.size(a.size)})"
        out.append(f"{a.end:#010x} |{label[:width].center(width)}|")
        out.append(f"{'':10} +{'-' * width}+")
    out.append(f"{rows[0].start:#010x}")
    return "\n".join(out)


def layout_text(scn: Scenario, name: str) -> str:
    rows = areas(scn, name)
    table = fmt.render_table(
        ["area", "start", "end", "size", "note"],
        [[a.name, f"{a.start:#010x}", f"{a.end:#010x}", fmt.size(a.size), a.note] for a in rows],
        align="lrrrl")
    return f"{name}\n\n{ascii_map(rows)}\n\n{table}\n"


def run_layout(args: argparse.Namespace) -> int:
    scn = scenario_from_args(args)
    names = [args.strategy] if args.strategy else list(scn.strategies)
    unknown = [n for n in names if n not in STRATEGY_TABLE]
    if unknown:
        raise ScenarioError([f"--strategy {unknown[0]!r}: allowed: {', '.join(STRATEGIES)}"],
                            source="command line")
    if args.json:
        doc = {"scenario": args.scenario, "model_version": MODEL_VERSION,
               "layouts": {n: [{"area": a.name, "start": a.start, "end": a.end,
                                "size": a.size, "note": a.note} for a in areas(scn, n)]
                           for n in names}}
        print(json.dumps(doc, indent=2))
    else:
        print("\n".join(layout_text(scn, n) for n in names))
    return 0
