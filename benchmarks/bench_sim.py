"""Event simulator throughput: compiled loop vs the plain Python reference.

A realistic machine (the default scenario with 16 CPUs and 1,000 tasks), one
core: simulated events per second of the numba-compiled loop and of the same
loop run by the interpreter (ukspace_lab.sim.reference), in the same run, with
their ratio. The two must also agree count for count on the shared prefix.
"""

from __future__ import annotations

import time

import numpy as np

from ukspace_lab import load_scenario
from ukspace_lab.sim import state as S
from ukspace_lab.sim.engine import run_plan
from ukspace_lab.sim.plan import plan
from ukspace_lab.sim.reference import plain_functions

COMPILED_EVENTS = 3_000_000
PLAIN_EVENTS = 30_000
STRATEGIES = ("mainline", "ukspace", "kmap-local")


def _rate(pl, events: int, **runner) -> tuple[float, np.ndarray]:
    t0 = time.process_time()
    w, _ = run_plan(pl, ops=events, seed=1, **runner)
    return events / (time.process_time() - t0), w.st.copy()


def main() -> None:
    scn = load_scenario("default", {"machine.cpus": 16, "workload.tasks": 1000})
    run, fin = plain_functions()
    print("event simulator, default scenario with 16 CPUs x 1,000 tasks, one core")
    for name in STRATEGIES:
        pl = plan(scn, name)
        run_plan(pl, ops=1000, seed=1)                         # load the compiled cache
        fast, _ = _rate(pl, COMPILED_EVENTS)
        slow, st_plain = _rate(pl, PLAIN_EVENTS, runner=run, finisher=fin)
        _, st_fast = _rate(pl, PLAIN_EVENTS)
        same = np.array_equal(st_plain[S.C_EVENTS:], st_fast[S.C_EVENTS:])
        print(f"  {name:11s} compiled {fast:14,.0f} ev/s   plain {slow:10,.0f} ev/s   "
              f"ratio {fast / slow:6,.0f}x   identical counts: {same}")


if __name__ == "__main__":
    main()
