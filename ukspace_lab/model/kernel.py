"""Kernel eras and versions: the constants and mechanisms of the kernel a scenario runs.

``machine.kernel`` is an era name (``2.4.18``, ``2.5``, ``2.5-late``, ``2.6``,
``2.6.3x``, ``modern``) or any version from 2.4.0 to 6.x (``2.5.74``,
``2.6.32``, ``2.6.4-rc3-mm3``; a suffix after the numbers is ignored). A
version resolves to the era whose constants apply (the ``versions`` table of
``data/kernels.yaml``) and to the version-gated constants that change inside
an era (``gated``: HZ, rmap pte_chains, copy_strings' kmaps, tickless idle).
An era name stands for its representative version. Every row there carries its
source; this module only resolves the ``inherit`` chain and the gates and hands
out frozen records.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from functools import cache
from typing import Any

import yaml

from ..resources import data_file

ERAS = ("2.4.18", "2.5", "2.6", "modern")          # the named eras of model 0.2
ALL_ERAS = ("2.4.18", "2.5", "2.6", "modern", "2.5-late", "2.6.3x")   # indexable, stable order
READ_KMAPS = ("kmap", "atomic", "local")
EXEC_COPIES = ("string", "page", "local")           # copy_strings: a kmap per string chunk,
                                                    # per page (kmapped_page), kmap_local
GATED = ("hz", "rmap_pte_chains", "pte_chain_block", "exec_copy", "tick_idle_stop",
         "page_address_hashed", "rmap_scan")
_VERSION = re.compile(r"^(\d+)\.(\d+)(?:\.(\d+))?(?:[-+_.~][0-9A-Za-z.+_~-]*)?$")


@dataclass(frozen=True)
class KernelEra:
    """The constants of one kernel (an era, at a version) that the model reads."""

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
    page_address_hashed: bool         # 2.5.41+ (version-gated)
    rmap_scan: bool                   # 2.5.27+ (version-gated)
    version: str = ""                 # the version resolved ("2.5.74"; an era: its own)
    hz: int = 100                     # timer ticks per second per CPU (version-gated)
    rmap_pte_chains: bool = False     # 2.5.27-2.6.6 reverse map (version-gated)
    pte_chain_block: bool = False     # 2.5.35+: NRPTE ptes per cache-line chain node
    exec_copy: str = "string"         # how copy_strings maps argument pages (version-gated)
    tick_idle_stop: bool = False      # NO_HZ: an idle CPU takes no tick (version-gated)

    def last_pkmap(self, pae: bool) -> int:
        """LAST_PKMAP: one PTE page of slots (include/asm-i386/highmem.h)."""
        return self.last_pkmap_pae if pae else self.last_pkmap_nonpae


@cache
def _doc() -> dict[str, Any]:
    with open(data_file("kernels.yaml"), encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def _raw() -> dict[str, Any]:
    return _doc()["eras"]


def parse_version(text: str) -> tuple[int, int, int] | None:
    """(major, minor, patch) of a version string 2.4.0 .. 6.x, or None if it is not one."""
    m = _VERSION.match(str(text).strip())
    if not m:
        return None
    v = (int(m.group(1)), int(m.group(2)), int(m.group(3) or 0))
    if v[0] == 2 and v[1] in (4, 5, 6) and m.group(3) is not None:
        return v
    if 3 <= v[0] <= 6 and v[1] < 100:
        return v
    return None


def _key(text: str) -> tuple[int, int, int]:
    v = parse_version(text)
    if v is None:
        raise ValueError(f"kernels.yaml: {text!r} is not a version")
    return v


def era_of_version(version: tuple[int, int, int]) -> str:
    """The era whose constants apply at ``version`` (kernels.yaml ``versions``)."""
    for row in _doc()["versions"]:
        if _key(row["from"]) <= version <= _key(row["to"]):
            return str(row["era"])
    raise KeyError(f"no era covers version {'.'.join(map(str, version))}")


def gated_value(name: str, version: tuple[int, int, int]) -> Any:
    """A version-gated constant: the value of the last gate at or below ``version``."""
    value = None
    for row in _doc()["gated"][name]:
        if _key(row["from"]) <= version:
            value = row["value"]
    if value is None:
        raise KeyError(f"gated constant {name} has no value at {version}")
    return value


def resolve(text: str) -> tuple[str, tuple[int, int, int]]:
    """(era, version) of ``machine.kernel``: an era name (at its representative
    version) or a version 2.4.0 .. 6.x. KeyError naming what is allowed otherwise."""
    raw = _raw()
    if text in raw:
        return text, _key(raw[text]["representative"]["value"])
    v = parse_version(text)
    if v is None or v < (2, 4, 0):
        raise KeyError(f"unknown kernel {text!r}; allowed: an era ({', '.join(ALL_ERAS)}) "
                       "or a version from 2.4.0 to 6.x such as 2.5.74 or 2.6.32")
    return era_of_version(v), v


def _resolved(name: str) -> dict[str, Any]:
    raw = _raw()
    if name not in raw:
        raise KeyError(f"unknown kernel era {name!r}; allowed: {', '.join(ALL_ERAS)}")
    entry = dict(raw[name])
    parent = entry.pop("inherit", None)
    merged = _resolved(parent) if parent else {}
    merged.update(entry)
    return merged


@cache
def kernel_era(text: str) -> KernelEra:
    """The frozen constants of ``machine.kernel`` = ``text`` (an era name or a version):
    the era's constants with the version-gated ones at that version."""
    name, version = resolve(text)
    merged = _resolved(name)
    values: dict[str, Any] = {"name": name, "description": merged["description"],
                              "version": ".".join(map(str, version))}
    for g in GATED:
        values[g] = gated_value(g, version)
    for f in fields(KernelEra):
        if f.name not in values:
            values[f.name] = merged[f.name]["value"]
    return KernelEra(**values)


def era_index(text: str) -> int:
    """The position of the era ``text`` resolves to in :data:`ALL_ERAS`."""
    return ALL_ERAS.index(kernel_era(text).name)
