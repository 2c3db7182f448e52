"""The public surface in one table: every name ``ukspace_lab`` exports, where it
lives, and the old module names that keep working.

``ukspace_lab/__init__.py`` builds its exports from this table, lazily (a name
is imported on first use, so ``import ukspace_lab`` and the CLI start fast),
and ``docs/architecture.md`` lists it.
"""

from __future__ import annotations

# name -> (module, attribute), grouped by layer
PUBLIC: dict[str, tuple[str, str]] = {
    # the scenario
    "Scenario": ("ukspace_lab.model.scenario", "Scenario"),
    "ScenarioError": ("ukspace_lab.errors", "ScenarioError"),
    "load_scenario": ("ukspace_lab.model.loading", "load_scenario"),
    "validate_scenario": ("ukspace_lab.model.scenario", "validate_scenario"),
    "parse_overrides": ("ukspace_lab.model.loading", "parse_overrides"),
    "scenario_names": ("ukspace_lab.model.loading", "scenario_names"),
    # the sourced constants
    "ERAS": ("ukspace_lab.model.kernel", "ERAS"),
    "KernelEra": ("ukspace_lab.model.kernel", "KernelEra"),
    "kernel_era": ("ukspace_lab.model.kernel", "kernel_era"),
    "ALL_ERAS": ("ukspace_lab.model.kernel", "ALL_ERAS"),
    "resolve_kernel": ("ukspace_lab.model.kernel", "resolve"),
    "CostTable": ("ukspace_lab.model.costs", "CostTable"),
    "cost_table": ("ukspace_lab.model.costs", "cost_table"),
    "cpu_models": ("ukspace_lab.model.costs", "cpu_models"),
    "Strategy": ("ukspace_lab.model.strategies", "Strategy"),
    "strategy": ("ukspace_lab.model.strategies", "strategy"),
    "strategy_names": ("ukspace_lab.model.strategies", "strategy_names"),
    "strategy_table": ("ukspace_lab.model.strategies", "strategy_table"),
    # the model
    "Points": ("ukspace_lab.model.inputs", "Points"),
    "points_from_arrays": ("ukspace_lab.model.inputs", "points_from_arrays"),
    "points_from_scenario": ("ukspace_lab.model.inputs", "points_from_scenario"),
    "Area": ("ukspace_lab.model.layout", "Area"),
    "address_space": ("ukspace_lab.model.layout", "address_space"),
    "areas": ("ukspace_lab.model.layout", "areas"),
    "Budget": ("ukspace_lab.model.memory", "Budget"),
    "budget": ("ukspace_lab.model.memory", "budget"),
    "Streams": ("ukspace_lab.model.mechanisms", "Streams"),
    "mechanism_streams": ("ukspace_lab.model.mechanisms", "streams"),
    "MODEL_VERSION": ("ukspace_lab.model.closed", "MODEL_VERSION"),
    "RESULT_KEYS": ("ukspace_lab.model.closed", "RESULT_KEYS"),
    "evaluate": ("ukspace_lab.model.closed", "evaluate"),
    "evaluate_points": ("ukspace_lab.model.closed", "evaluate_points"),
    # the evaluated record
    "Evaluation": ("ukspace_lab.model.record", "Evaluation"),
    "StrategyResult": ("ukspace_lab.model.record", "StrategyResult"),
    "evaluation": ("ukspace_lab.model.record", "evaluation"),
    # the simulator
    "simulate": ("ukspace_lab.sim", "simulate"),
    "simulate_record": ("ukspace_lab.sim", "simulate_record"),
    # studies
    "run_sweep": ("ukspace_lab.study.sweep", "run_sweep"),
    "Verdict": ("ukspace_lab.study.verdict", "Verdict"),
    "verdict": ("ukspace_lab.study.verdict", "verdict"),
    # words and pictures
    "render_writeup": ("ukspace_lab.present.writeup", "render_writeup"),
    "render_report": ("ukspace_lab.present.report", "render_report"),
    # sizes
    "format_size": ("ukspace_lab.units", "format_size"),
    "parse_size": ("ukspace_lab.units", "parse_size"),
}

# names of 0.2 that keep working: computed, or a module under its old top-level name
COMPUTED = {
    "STRATEGIES": ("ukspace_lab.model.strategies", "strategy_names"),
    "STRATEGY_TABLE": ("ukspace_lab.model.strategies", "strategy_table"),
}
OLD_MODULES = {
    "scenario": "ukspace_lab.model.scenario", "kernel": "ukspace_lab.model.kernel",
    "costs": "ukspace_lab.model.costs", "strategies": "ukspace_lab.model.strategies",
    "inputs": "ukspace_lab.model.inputs", "layout": "ukspace_lab.model.layout",
    "memory": "ukspace_lab.model.memory", "pagetables": "ukspace_lab.model.pagetables",
    "kmap": "ukspace_lab.model.kmap", "tlb": "ukspace_lab.model.tlb",
    "closed": "ukspace_lab.model.closed", "sweep": "ukspace_lab.study.sweep",
    "cache": "ukspace_lab.study.cache", "views": "ukspace_lab.study.views",
    "verdict": "ukspace_lab.study.verdict", "breakeven": "ukspace_lab.study.breakeven",
    "findings": "ukspace_lab.present.findings", "writeup": "ukspace_lab.present.writeup",
    "plots": "ukspace_lab.present.plots", "widgets": "ukspace_lab.present.widgets",
    "htmlpage": "ukspace_lab.present.htmlpage", "manifest": "ukspace_lab.present.manifest",
    "report": "ukspace_lab.present.report", "notebook": "ukspace_lab.present.notebook",
    "fmt": "ukspace_lab.present.fmt", "paths": "ukspace_lab.resources",
}
