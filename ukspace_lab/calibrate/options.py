"""Validated options of ``ukspace-lab calibrate`` and the boot plan they expand to."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .boot import BootSpec

_UNITS = {"": 1, "b": 1, "k": 1 << 10, "kib": 1 << 10, "m": 1 << 20, "mib": 1 << 20,
          "g": 1 << 30, "gib": 1 << 30, "kb": 1 << 10, "mb": 1 << 20, "gb": 1 << 30}
JOBS = ("mem", "pt", "kmap", "tmpfs")
USERPTE = {"high": (), "nohigh": ("userpte=nohigh",)}
MAX_TASKS = 4096  # MAX_TASKS in workload.c
PAE_MAX_RAM_MIB = 64 << 10
MAX_SEGMENT_MIB = 2048  # one contiguous mapping in a 3G/1G process, with text, heap and stack
TOUCH_SPEC = re.compile(r"(none|sparse|dense)(:\d+)?(,(none|sparse|dense)(:\d+)?)*")


class OptionError(ValueError):
    """A calibrate option is invalid; the message names the option."""


def parse_size(text: str, option: str) -> int:
    """``"6GiB"`` → bytes (binary units; ``G``/``GB`` are read as GiB too)."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*", text)
    unit = match.group(2).lower() if match else None
    if not match or unit not in _UNITS:
        raise OptionError(f"{option}: cannot read size {text!r} (use e.g. 64MiB, 6GiB)")
    return int(float(match.group(1)) * _UNITS[unit])


def parse_list(text: str, option: str) -> list[str]:
    items = [t.strip() for t in text.split(",") if t.strip()]
    if not items:
        raise OptionError(f"{option}: empty list")
    return items


def parse_mib_list(text: str, option: str) -> tuple[int, ...]:
    """A comma list of sizes, each a whole number of MiB."""
    sizes = [parse_size(t, option) for t in parse_list(text, option)]
    bad = [s for s in sizes if s <= 0 or s % (1 << 20)]
    if bad:
        raise OptionError(f"{option}: sizes must be positive whole MiB, got {bad} bytes")
    return tuple(s >> 20 for s in sizes)


def parse_int_list(text: str, option: str, low: int, high: int) -> tuple[int, ...]:
    """A comma list of integers in [low, high]."""
    try:
        values = tuple(int(t) for t in parse_list(text, option))
    except ValueError as exc:
        raise OptionError(f"{option}: not a comma list of integers: {text!r}") from exc
    out = [v for v in values if not low <= v <= high]
    if out:
        raise OptionError(f"{option}: values {out} outside {low}..{high}")
    return values


@dataclass(frozen=True)
class CalibrateOptions:
    """Everything one ``calibrate`` run measures; build with :meth:`from_strings`."""

    ram_mib: int = 6144
    cpus: int = 2
    tasks: tuple[int, ...] = (1, 10, 50, 100)
    segments_mib: tuple[int, ...] = (64, 256, 1024)
    userpte: tuple[str, ...] = ("high", "nohigh")
    ram_sweep_mib: tuple[int, ...] = (2048, 4096, 6144, 12288, 16384)
    jobs: tuple[str, ...] = JOBS
    touch: str = "none,sparse,dense:10"
    kmap_cpus: tuple[int, ...] = (2,)
    hold_mib: int = 256
    read_pages: int = 65536
    tmpfs_mib: int = 1024
    timeout_s: int = 1200
    out_dir: Path | None = None
    refetch: bool = False

    def validate(self) -> CalibrateOptions:
        """Cross-option checks; returns self so it chains."""
        rams = [("--ram", self.ram_mib), *[("--ram-sweep", r) for r in self.ram_sweep_mib]]
        for name, ram in rams:
            if not 512 <= ram <= PAE_MAX_RAM_MIB:
                raise OptionError(f"{name}: {ram} MiB outside 512 MiB..64 GiB (PAE limit)")
        if max(self.segments_mib) > MAX_SEGMENT_MIB:
            raise OptionError(f"--segment: {max(self.segments_mib)} MiB exceeds "
                              f"{MAX_SEGMENT_MIB} MiB, the largest mapping a 3G/1G task holds")
        if max(self.segments_mib) * 2 >= self.ram_mib:
            raise OptionError(f"--segment: {max(self.segments_mib)} MiB needs less than half "
                              f"of --ram {self.ram_mib} MiB")
        if self.read_pages * 4 > self.hold_mib * 1024:
            raise OptionError(f"--read-pages: {self.read_pages} pages exceed "
                              f"--hold {self.hold_mib} MiB")
        if self.tmpfs_mib * 2 > self.ram_mib:
            raise OptionError(f"--tmpfs: {self.tmpfs_mib} MiB does not fit in --ram")
        if not TOUCH_SPEC.fullmatch(self.touch):
            raise OptionError(f"--touch: {self.touch!r} is not a list of none|sparse|dense[:N]")
        return self

    def pt_params(self) -> dict[str, str]:
        return {"uks_segs": ",".join(map(str, self.segments_mib)),
                "uks_tasks": ",".join(map(str, self.tasks)), "uks_touch": self.touch}

    def kmap_params(self) -> dict[str, str]:
        return {"uks_hold_mib": str(self.hold_mib), "uks_read_pages": str(self.read_pages)}

    def boot_plan(self) -> list[BootSpec]:
        """The guest boots, in order: RAM sweep, pagetable matrix, kmap_high, kmap_local."""
        plan: list[BootSpec] = []
        if "mem" in self.jobs:
            plan += [BootSpec(r, self.cpus, ("mem",), timeout_s=300) for r in self.ram_sweep_mib]
        if "pt" in self.jobs:
            plan += [BootSpec(self.ram_mib, self.cpus, ("pt",), self.pt_params(), USERPTE[u],
                              self.timeout_s) for u in self.userpte]
        if "kmap" in self.jobs:
            plan += [BootSpec(self.ram_mib, c, ("kmap",), self.kmap_params(),
                              timeout_s=self.timeout_s) for c in self.kmap_cpus]
        if "tmpfs" in self.jobs:
            plan.append(BootSpec(self.ram_mib, self.cpus, ("tmpfs",),
                                 {"uks_tmpfs_mib": str(self.tmpfs_mib)}, timeout_s=self.timeout_s))
        return plan


SMOKE_READ_PAGES = 8192


def smoke_spec(ram_mib: int = 2048, cpus: int = 2) -> BootSpec:
    """One short boot for the slow test, PTE pages in lowmem (``userpte=nohigh``):
    meminfo, N = 1 and 20 tasks over 64 MiB, an 8192-page /proc/PID/mem kmap run."""
    params = {"uks_segs": "64", "uks_tasks": "1,20", "uks_touch": "none,sparse",
              "uks_hold_mib": "64", "uks_read_pages": str(SMOKE_READ_PAGES),
              "uks_hit_pages": "64", "uks_hit_rounds": "10"}
    return BootSpec(ram_mib, cpus, ("mem", "pt", "kmap"), params, USERPTE["nohigh"],
                    timeout_s=300)
