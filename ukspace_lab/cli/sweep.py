"""``ukspace-lab sweep``: a scenario crossed with axes, written as a tidy table."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from .evaluate import add_scenario_args, scenario_from_args
from .options import check_out_file, positive_float, positive_int

ENGINES = ("closed", "sim")
EXECUTORS = ("local", "dask")
AXIS_ALIASES = ("tasks", "ram", "pool_entries", "cpus", "threads_per_task", "shared_segment",
                "reads_per_s", "ctxsw_per_s", "scan_pages_per_s", "highmem_cache_fraction")


def add_parser(sub: Any) -> None:
    p = sub.add_parser("sweep", help="evaluate a grid of points (closed form or simulator)",
                       description="Cross a scenario with axes and write a tidy table: one row "
                                   "per point and strategy. Axes default to the scenario's "
                                   "sweep section. Results are cached in .cache/sweeps; a "
                                   "killed sweep resumes where it stopped.")
    add_scenario_args(p)
    p.add_argument("--axis", action="append", default=[], metavar="NAME=VALUES",
                   help="name=v1,v2,... or name=start:stop:count[:log]; name is an alias ("
                        f"{', '.join(AXIS_ALIASES)}), seed, costs.NAME or a dotted key")
    p.add_argument("--engine", default="closed", choices=ENGINES)
    p.add_argument("--executor", default="local", choices=EXECUTORS,
                   help="where simulator points run (default: local processes)")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="a Dask scheduler address (default: start a LocalCluster)")
    p.add_argument("--workers", type=positive_int, default=None, metavar="N",
                   help="processes or Dask workers (default: one per CPU)")
    p.add_argument("--sim-seconds", type=positive_float, default=None, metavar="S",
                   help="simulated seconds per point (engine sim)")
    p.add_argument("--out", default=None, metavar="FILE",
                   help="write .parquet or .csv (default: CSV on standard output)")
    p.add_argument("--no-cache", action="store_true", help="neither read nor write the cache")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..study.axes import parse_axes
    from ..study.cache import SweepCache
    from ..study.sweep import out_format, run_sweep, write_table

    if args.out:
        out_format(args.out)
        check_out_file("--out", args.out)
    scn = scenario_from_args(args)
    axes = parse_axes(args.axis) if args.axis else None
    df = run_sweep(scn, axes, engine=args.engine, executor=args.executor, workers=args.workers,
                   scheduler=args.scheduler, cache=not args.no_cache,
                   progress=not args.no_progress, sim_seconds=args.sim_seconds)
    if args.out is None:
        df.to_csv(sys.stdout, index=False)
        return 0
    from .. import interrupts

    stats = df.attrs["sweep"]
    interrupts.hold()        # computed: a stop now no longer loses the table
    path = write_table(df, args.out, cache=None if args.no_cache else SweepCache())
    print(f"{stats['points']} points x {len(scn.strategies)} strategies = {len(df)} rows "
          f"({stats['computed']} computed, {stats['cached']} from cache) -> {path}")
    return 0
