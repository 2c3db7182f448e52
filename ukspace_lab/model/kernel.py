"""Kernel-era constants (2.4.18, 2.5, 2.6, modern), read from ``data/kernels.yaml``.

Every constant there carries its source; this module only resolves the
``inherit`` chain and hands out frozen records.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from functools import cache
from typing import Any

import yaml

from ..resources import data_file

ERAS = ("2.4.18", "2.5", "2.6", "modern")
READ_KMAPS = ("kmap", "atomic", "local")


@dataclass(frozen=True)
class KernelEra:
    """The constants of one kernel era that the model reads."""

    name: str
    description: str
    page_size: int
    vmalloc_reserve: int
    vmalloc_offset: int
    pkmap_base: int
    pkmap_dynamic: bool
    last_pkmap_nonpae: int
    last_pkmap_pae: int
    km_type_nr: int
    nr_cpus: int
    fixaddr_top: int
    fixmap_permanent_pages: int
    fixmap_boot_pages: int
    thread_size: int
    task_struct_slab: int
    mm_struct: int
    vma: int
    struct_page: int
    kernel_reserved: int
    swiotlb: int
    pae_pmd_pages: int
    pgd_bytes_pae: int
    base_pte_pages: int
    highpte_available: bool
    read_kmap: str
    pid_max: int
    flush_on_wrap_always: bool
    maxmem_from_vmalloc_end: bool
    vmalloc_start_aligned: bool
    page_address_hashed: bool
    rmap_scan: bool

    def last_pkmap(self, pae: bool) -> int:
        """LAST_PKMAP: one PTE page of slots (include/asm-i386/highmem.h)."""
        return self.last_pkmap_pae if pae else self.last_pkmap_nonpae


@cache
def _raw() -> dict[str, Any]:
    with open(data_file("kernels.yaml"), encoding="utf-8") as fh:
        return yaml.safe_load(fh)["eras"]


def _resolved(name: str) -> dict[str, Any]:
    raw = _raw()
    if name not in raw:
        raise KeyError(f"unknown kernel era {name!r}; allowed: {', '.join(ERAS)}")
    entry = dict(raw[name])
    parent = entry.pop("inherit", None)
    merged = _resolved(parent) if parent else {}
    merged.update(entry)
    return merged


@cache
def kernel_era(name: str) -> KernelEra:
    """The frozen constants of era ``name`` (one of :data:`ERAS`)."""
    merged = _resolved(name)
    values: dict[str, Any] = {"name": name, "description": merged["description"]}
    for f in fields(KernelEra):
        if f.name in values:
            continue
        values[f.name] = merged[f.name]["value"]
    return KernelEra(**values)
