"""Machine and kernel-configuration defaults that depend on the box (data/machine.yaml):
the remapped PCI hole of a PAE server above 4 GiB, 2.6's NR_CPUS by subarch."""

from __future__ import annotations

from functools import cache
from typing import Any

import yaml

from ..resources import data_file


@cache
def _machine_raw() -> dict[str, Any]:
    with open(data_file("machine.yaml"), encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def machine_constant(*path: str) -> Any:
    """A value of data/machine.yaml (``phys_hole_pae_above_4g``, ``nr_cpus_2_6 big``)."""
    node: Any = _machine_raw()
    for k in path:
        node = node[k]
    return node["value"]


def phys_hole(m: Any) -> float:
    """machine.phys_hole: given, or auto: the remapped PCI hole of a PAE box with RAM
    above 4 GiB (data/machine.yaml), else none."""
    if m.phys_hole != "auto":
        return float(m.phys_hole)
    big = m.arch == "i386-pae" and m.ram > 4 * 2**30
    return float(machine_constant("phys_hole_pae_above_4g")) if big else 0.0
