"""The notebooks' figures: style and saving, the address space, the sweeps."""

from .address import address_space_figure
from .figures import (
    highmem_rates_figure,
    max_tasks_figure,
    mem_map_figure,
    pool_sweep_figure,
    strategy_cost_figure,
    swapout_figure,
    task_sweep_figure,
    verdict_figure,
)
from .style import (
    AREA_COLORS,
    STRATEGY_COLORS,
    figure_png,
    figure_svg,
    new_figure,
    save_data,
    save_figure,
    use_style,
)
from .validation import validation_figure

__all__ = [
    "AREA_COLORS", "STRATEGY_COLORS", "address_space_figure", "figure_png", "figure_svg",
    "highmem_rates_figure", "max_tasks_figure", "mem_map_figure", "new_figure",
    "pool_sweep_figure", "save_data", "save_figure", "strategy_cost_figure", "swapout_figure",
    "task_sweep_figure", "use_style", "validation_figure", "verdict_figure",
]
