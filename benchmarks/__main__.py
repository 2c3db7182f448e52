"""Run every benchmark module (``python -m benchmarks [--quick] [NAME ...]``) and print
its figures: ``make bench``. ``--quick`` is a smoke test with tiny sizes."""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys
import time
from pathlib import Path


def main(argv: list[str]) -> int:
    if "--quick" in argv:
        os.environ["UKSPACE_BENCH_QUICK"] = "1"
        argv = [a for a in argv if a != "--quick"]
    here = Path(__file__).parent
    names = sorted(m.name for m in pkgutil.iter_modules([str(here)]) if m.name.startswith("bench_"))
    wanted = [n for n in names if not argv or any(a in n for a in argv)]
    for name in wanted:
        t0 = time.perf_counter()
        print(f"== {name}", flush=True)
        importlib.import_module(f"benchmarks.{name}").main()
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"   ({time.perf_counter() - t0:.0f} s; load average {load} on "
              f"{os.cpu_count()} CPUs)\n", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
