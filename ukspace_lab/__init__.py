"""ukspace-lab: Martin Bligh's 2002 u-k-space proposal, and what shipped, in numbers.

The public surface, re-exported from the modules named after what they model.
"""

from .closed import MODEL_VERSION, RESULT_KEYS, evaluate, evaluate_points
from .costs import CostTable, cost_table, cpu_models
from .inputs import Points, points_from_arrays, points_from_scenario
from .kernel import ERAS, KernelEra, kernel_era
from .layout import Area, address_space, areas
from .memory import Budget, budget
from .scenario import (
    STRATEGIES,
    Scenario,
    ScenarioError,
    load_scenario,
    parse_overrides,
    scenario_names,
    validate_scenario,
)
from .strategies import STRATEGY_TABLE, Strategy, strategy
from .sweep import run_sweep
from .units import format_size, parse_size

__version__ = MODEL_VERSION

__all__ = [
    "MODEL_VERSION", "RESULT_KEYS", "evaluate", "evaluate_points",
    "CostTable", "cost_table", "cpu_models",
    "Points", "points_from_arrays", "points_from_scenario",
    "ERAS", "KernelEra", "kernel_era",
    "Area", "address_space", "areas",
    "Budget", "budget",
    "STRATEGIES", "Scenario", "ScenarioError", "load_scenario", "parse_overrides",
    "scenario_names", "validate_scenario",
    "STRATEGY_TABLE", "Strategy", "strategy",
    "run_sweep",
    "format_size", "parse_size",
]
