"""Cycle costs per event for each CPU model, read from ``data/costs.yaml``.

Every figure there is ``{value, low, high, source}``. :func:`cost_table` gives
the point values (``level="value"``) or every figure at its low or high end;
an override (``--set costs.NAME=X``) pins all three levels to ``X``. How each
figure enters a formula is in docs/kmap-mechanics.md.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from functools import cache
from typing import Any

import yaml

from ..resources import data_file

LEVELS = ("value", "low", "high")


@dataclass(frozen=True)
class CostTable:
    """Cycles per event on one CPU model (see data/costs.yaml for sources)."""

    name: str
    clock_hz: float
    cache_line_bytes: float
    tlb_entries: int
    tlb_live_fraction: float
    tlb_refill_cycles: float
    invlpg_cycles: float
    cr3_reload_cycles: float
    global_flush_cycles: float
    ipi_send_cycles: float
    ipi_allbut_cycles: float
    ipi_receive_cycles: float
    ipi_wait_cycles: float
    ipi_wait_per_cpu_cycles: float
    lock_op_cycles: float
    kmap_lock_line_cycles: float
    kmap_high_hold_cycles: float
    kunmap_hold_cycles: float
    pkmap_new_cycles: float
    pkmap_scan_entry_cycles: float
    pkmap_wrap_entry_cycles: float
    set_page_address_cycles: float
    page_address_lookup_cycles: float
    kmap_atomic_cycles: float
    ukspace_map_cycles: float
    pte_clear_cycles: float
    copy_page_cycles: float
    kmap_atomic_to_page_cycles: float
    pte_chain_node_cycles: float

    @property
    def refills_per_full_flush(self) -> float:
        """TLB entries a task needs back after a full flush."""
        return self.tlb_entries * self.tlb_live_fraction


COST_FIELDS = tuple(f.name for f in fields(CostTable) if f.name != "name")
FIXED_FIELDS = ("clock_hz", "cache_line_bytes", "tlb_entries")  # no range: a property of the part


@cache
def _raw() -> dict[str, Any]:
    with open(data_file("costs.yaml"), encoding="utf-8") as fh:
        raw = yaml.safe_load(fh)["cpu_models"]
    for model, table in raw.items():
        for name in COST_FIELDS:
            entry = table.get(name)
            if not isinstance(entry, dict) or (set(LEVELS) | {"source"}) - set(entry):
                raise ValueError(f"data/costs.yaml {model}.{name}: needs value, low, high, "
                                 "source")
            if not entry["low"] <= entry["value"] <= entry["high"]:
                raise ValueError(f"data/costs.yaml {model}.{name}: low <= value <= high "
                                 f"does not hold ({entry['low']}, {entry['value']}, "
                                 f"{entry['high']})")
            if name in FIXED_FIELDS and entry["low"] != entry["high"]:
                raise ValueError(f"data/costs.yaml {model}.{name}: a fixed figure, low == high")
    return raw


def cpu_models() -> tuple[str, ...]:
    """The CPU models that have a cost table."""
    return tuple(_raw())


def cost_sources(model: str) -> dict[str, str]:
    """The source of every figure of ``model``."""
    return {k: v["source"] for k, v in _raw()[model].items() if isinstance(v, dict)}


def cost_range(model: str, name: str) -> tuple[float, float, float]:
    """(low, value, high) of one figure of ``model``."""
    entry = _raw()[model][name]
    return float(entry["low"]), float(entry["value"]), float(entry["high"])


@cache
def _table(model: str, level: str) -> CostTable:
    raw = _raw()[model]
    return CostTable(name=model, **{k: raw[k][level] for k in COST_FIELDS})


def cost_table(model: str, overrides: dict[str, float] | None = None,
               level: str = "value") -> CostTable:
    """The cost table of ``model`` at ``level`` (value, low or high), with user
    ``overrides`` (cycles) applied at every level."""
    if model not in _raw():
        raise KeyError(f"unknown cpu_model {model!r}; allowed: {', '.join(cpu_models())}")
    if level not in LEVELS:
        raise KeyError(f"unknown cost level {level!r}; allowed: {', '.join(LEVELS)}")
    table = _table(model, level)
    return replace(table, **overrides) if overrides else table
