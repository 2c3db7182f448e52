"""The tables the notebooks plot, one module per notebook (see ``common``)."""

from .common import (
    address_columns,
    by_strategy,
    headline,
    only,
    proposal_columns,
    record,
    sim_available,
    strategy_table,
    swapout_fallback,
    sweep,
)
from .highmem import RATE_METRICS, highmem_sweep, mem_map_by_era, ram_grid
from .pools import (
    POOL_COMPARE,
    POOL_GRID,
    POOL_METRICS,
    pool_agreement,
    pool_long,
    pool_sweep,
    threaded_count,
)
from .tasks import task_grid, task_runout, task_sweep

__all__ = [
    "POOL_COMPARE", "POOL_GRID", "POOL_METRICS", "RATE_METRICS", "address_columns", "by_strategy",
    "headline", "highmem_sweep", "mem_map_by_era", "only", "pool_agreement", "pool_long",
    "pool_sweep", "proposal_columns", "ram_grid", "record", "sim_available", "strategy_table",
    "swapout_fallback", "sweep", "task_grid", "task_runout", "task_sweep", "threaded_count",
]
