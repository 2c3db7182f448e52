"""Cycle costs per event for each CPU model, read from ``data/costs.yaml``."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from functools import cache
from typing import Any

import yaml

from ..resources import data_file


@dataclass(frozen=True)
class CostTable:
    """Cycles per event on one CPU model (see data/costs.yaml for sources)."""

    name: str
    clock_hz: float
    tlb_entries: int
    tlb_live_fraction: float
    tlb_refill_cycles: float
    invlpg_cycles: float
    cr3_reload_cycles: float
    global_flush_cycles: float
    ipi_send_cycles: float
    ipi_receive_cycles: float
    ipi_wait_cycles: float
    pkmap_fast_cycles: float
    pkmap_new_cycles: float
    pkmap_scan_entry_cycles: float
    pkmap_lock_hold_cycles: float
    kmap_atomic_cycles: float
    ukspace_map_cycles: float
    pte_clear_cycles: float
    copy_page_cycles: float

    @property
    def refills_per_full_flush(self) -> float:
        """TLB entries a task needs back after a full flush."""
        return self.tlb_entries * self.tlb_live_fraction


COST_FIELDS = tuple(f.name for f in fields(CostTable) if f.name != "name")


@cache
def _raw() -> dict[str, Any]:
    with open(data_file("costs.yaml"), encoding="utf-8") as fh:
        return yaml.safe_load(fh)["cpu_models"]


def cpu_models() -> tuple[str, ...]:
    """The CPU models that have a cost table."""
    return tuple(_raw())


def cost_sources(model: str) -> dict[str, str]:
    """The source of every figure of ``model``."""
    return {k: v["source"] for k, v in _raw()[model].items() if isinstance(v, dict)}


@cache
def _table(model: str) -> CostTable:
    raw = _raw()[model]
    return CostTable(name=model, **{k: raw[k]["value"] for k in COST_FIELDS})


def cost_table(model: str, overrides: dict[str, float] | None = None) -> CostTable:
    """The cost table of ``model``, with user ``overrides`` (cycles) applied."""
    if model not in _raw():
        raise KeyError(f"unknown cpu_model {model!r}; allowed: {', '.join(cpu_models())}")
    table = _table(model)
    return replace(table, **overrides) if overrides else table
