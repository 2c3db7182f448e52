"""What each strategy does where: the rows of every table.

Each :class:`Strategy` says where a task's PTE pages live and how the kernel
reaches them (in the task's own context, and from outside it, as swapout
does), and how highmem page-cache data is mapped for a read() or write().
The rows are the ``table`` of ``data/strategies.yaml``, each with its source;
a design is added there, and with the mechanism it needs if that is new.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from functools import cache
from typing import Any, Literal, get_args

import yaml

from ..resources import data_file

Access = Literal["direct", "atomic", "local", "window", "kmap"]
DataPath = Literal["era", "pool", "local", "none"]
Space = Literal["split", "4g4g", "flat64"]
Home = Literal["lowmem", "highmem"]


@dataclass(frozen=True)
class Strategy:
    """One design for pagetables and highmem access on 32-bit x86."""

    name: str
    pte_home: Home
    own_pt: Access          # faults, exit: the task's own pagetables
    other_pt: Access        # swapout scanning: another mm's pagetables
    fork_child: Access      # fork's copy_page_range writing the child's PTE pages
    data: DataPath          # 'era' = the scenario's read_kmap
    window: bool            # per-task pagetable window in u-k-space
    pool: bool              # per-task kmap pool in u-k-space
    space: Space
    summary: str
    source: str = ""
    share_pt: bool = False          # shpte: PTE pages of a shared mapping shared between mms
    shipped: tuple[str, ...] = ()   # kernel eras with a kernel (vanilla or vendor) of it
    shipped_note: str = ""          # which kernel that was

    @property
    def has_region(self) -> bool:
        """Does the strategy need a per-task u-k-space region?"""
        return self.window or self.pool


@cache
def _design_raw() -> dict[str, Any]:
    with open(data_file("strategies.yaml"), encoding="utf-8") as fh:
        return yaml.safe_load(fh)


_CHOICES = {"pte_home": Home, "own_pt": Access, "other_pt": Access, "fork_child": Access,
            "data": DataPath, "space": Space}


_OPTIONAL = ("source", "shipped", "shipped_note", "share_pt")


def _row(raw: dict[str, Any]) -> Strategy:
    """One row of the table, checked: a wrong field is a data error naming the row."""
    names = [f.name for f in fields(Strategy)]
    unknown = sorted(set(raw) - set(names))
    missing = [n for n in names if n not in raw and n not in _OPTIONAL]
    bad = [f"{k} = {raw[k]!r} (allowed: {', '.join(get_args(t))})"
           for k, t in _CHOICES.items() if k in raw and raw[k] not in get_args(t)]
    if unknown or missing or bad:
        raise ValueError(f"data/strategies.yaml, row {raw.get('name', '?')!r}: "
                         + "; ".join([*(f"unknown field {u}" for u in unknown),
                                      *(f"missing field {m}" for m in missing), *bad]))
    return Strategy(**{**raw, "shipped": tuple(raw.get("shipped", ()))})


@cache
def strategy_table() -> dict[str, Strategy]:
    """Every strategy by name, in the table's order."""
    return {s.name: s for s in map(_row, _design_raw()["table"])}


def strategy_names() -> tuple[str, ...]:
    """The strategy names in the table's (canonical) order."""
    return tuple(strategy_table())


def strategy(name: str) -> Strategy:
    """The strategy called ``name``."""
    try:
        return strategy_table()[name]
    except KeyError:
        raise KeyError(f"unknown strategy {name!r}; allowed: {', '.join(strategy_table())}") \
            from None


def design_constant(group: str, key: str) -> float:
    """A constant of a design (4g4g, flat64, ukspace) from data/strategies.yaml."""
    return _design_raw()[group][key]["value"]
