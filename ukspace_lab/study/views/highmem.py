"""03: what RAM size does: mem_map per kernel era, highmem rates against RAM."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...model.inputs import points_from_scenario
from ...model.kernel import ERAS
from ...model.memory import budget
from ...model.scenario import Scenario
from ...model.strategies import strategy
from ...units import GiB, parse_size
from .common import by_strategy, sweep

RAM_GRID_GIB = (1, 2, 4, 8, 16, 32, 64)


RATE_METRICS = ("highmem_cache_fraction", "kmaps_per_s", "global_tlb_flushes_per_s",
                "ipis_per_s", "local_tlb_flushes_per_s", "invlpg_per_s", "cpu_overhead_pct")


def ram_grid(scn: Scenario) -> list[int]:
    """RAM sizes in bytes: 1..64 GiB in powers of two (4 GiB at most without PAE),
    plus the scenario's own sweep values."""
    top = 64 * GiB if scn.machine.arch == "i386-pae" else 4 * GiB
    grid = {g * GiB for g in RAM_GRID_GIB if g * GiB <= top}
    grid |= {parse_size(v) for v in scn.sweep.get("ram", []) if parse_size(v) <= top}
    grid.add(scn.machine.ram)
    return sorted(grid)


def mem_map_by_era(scn: Scenario, ram: list[int] | None = None) -> pd.DataFrame:
    """mem_map, lowmem, and the lowmem left after mem_map and the kernel image, per
    kernel era (sizeof(struct page) differs) against RAM, on a mainline split."""
    ram = ram or ram_grid(scn)
    base = scn.with_overrides({"strategies": ["mainline"]})
    p = points_from_scenario(base, {"ram": ram, "machine.kernel": list(ERAS)})
    b = budget(p, strategy("mainline"))
    return pd.DataFrame({
        "ram_bytes": p["ram"], "ram_gib": p["ram"] / GiB,
        "kernel": np.array(ERAS, dtype=object)[p["era_index"].astype(int)],
        "struct_page_bytes": p.era("struct_page"), "mem_map_bytes": b.mem_map,
        "lowmem_bytes": b.space.lowmem, "lowmem_left_bytes": b.space.lowmem - b.fixed,
        "boots": b.space.lowmem - b.fixed > 0})


def highmem_sweep(scn: Scenario, ram: list[int] | None = None) -> pd.DataFrame:
    """Per RAM size and strategy: lowmem left, highmem page-cache share, kmaps, flushes,
    IPIs, invlpg and CPU cost for the scenario's workload."""
    df = sweep(scn, {"ram": ram or ram_grid(scn)})
    df = df.rename(columns={"ram": "ram_bytes"})
    df["ram_gib"] = df["ram_bytes"] / GiB
    cols = ["ram_bytes", "ram_gib", "strategy", "lowmem_bytes", "lowmem_free_bytes",
            "highmem_bytes", "mem_map_bytes", "max_tasks", "boots", *RATE_METRICS]
    return by_strategy(df[cols], ["ram_bytes"])
