"""The committed calibration CSVs against the model's prediction for the same machine.

:func:`compare` returns one tidy row per (measurement, quantity): the measured
value, the model's prediction for an ``i386-pae`` / kernel era ``modern`` machine
with the guest's RAM, CPUs, task count and segment, and the error in percent.
Only the public model API is used (``load_scenario``, ``evaluate``, ``budget``,
``points_from_scenario``, ``strategy``).

How each guest run is described to the model:

- machine: ``machine.phys_hole`` is QEMU's PCI hole (``pc`` machine: with 3.5 GiB
  of RAM or more, RAM above 3 GiB is placed from 4 GiB up, so the memory map spans
  1 GiB more than the RAM);
- ``job=pt``: strategy ``highpte`` (default boot) or ``mainline`` (``userpte=nohigh``:
  PTE pages in lowmem); ``shared_segment`` = S when the children touch it, else 0;
  the rest of each task is the workload binary's own layout (:data:`WORKLOAD_LAYOUT`);
- ``job=kmap``: strategy ``highpte`` with ``read_kmap: kmap``: ``access_remote_vm()``
  maps every page with ``kmap()``, so every access is a global-pool kmap; a file set
  of the distinct pages read, all in highmem, one read per page;
- ``job=tmpfs``: strategy ``kmap-local``, page-cache reads/writes of ``bufsize``
  bytes, ``highmem_cache_fraction`` left at ``auto`` unless ``measured_fraction``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .paths import committed_dir

KIB = 1 << 10
MIB = 1 << 20
GIB = 1 << 30
QEMU_HIGH_RAM_THRESHOLD = 3584 * MIB  # hw/i386/pc_piix.c: ram_size >= 0xe0000000
QEMU_PCI_HOLE = 1 * GIB               # then below_4g = 3 GiB and the rest starts at 4 GiB

WORKLOAD_LAYOUT: dict[str, Any] = {
    # /proc/PID/maps of uks-workload in the guest: text+data+bss 0x08048000-0x08119000,
    # a [heap] of 132 KiB elsewhere (randomised brk), a 132 KiB [stack]; 13 VMAs with the
    # reservation and the shared segment. [vvar]/[vdso] are not a workload region.
    "workload.text": 836 * KIB,
    "workload.private": 132 * KIB,
    "workload.stack": 132 * KIB,
    "workload.vmas": 13,
    "workload.threads_per_task": 1,
}
QUIET: dict[str, Any] = {
    "workload.reads_per_s": 0, "workload.writes_per_s": 0, "workload.faults_per_s": 0,
    "workload.ctxsw_per_s": 0, "workload.forks_per_s": 0, "workload.scan_pages_per_s": 0,
}
TABLES = ("meminfo_vs_ram", "pagetables", "kmap_high", "kmap_local")


def qemu_phys_hole(ram_bytes: int) -> int:
    """Bytes of address space the guest's memory map spans beyond its RAM (the PCI hole)."""
    return QEMU_PCI_HOLE if ram_bytes >= QEMU_HIGH_RAM_THRESHOLD else 0


def error_pct(measured: float, predicted: float) -> float:
    """100 (predicted - measured) / measured; 0 when both are 0, inf when only measured is."""
    if measured == 0:
        return 0.0 if predicted == 0 else float("inf")
    return 100.0 * (predicted - measured) / measured


def load_measurements(data_dir: Path | None = None) -> dict[str, pd.DataFrame]:
    """The committed calibration tables (``data/calibration/*.csv``) that exist."""
    folder = data_dir or committed_dir()
    return {n: pd.read_csv(folder / f"{n}.csv") for n in TABLES if (folder / f"{n}.csv").is_file()}


class Model:
    """The model for the calibration machine: a base scenario plus per-run overrides."""

    def __init__(self, scenario: str = "default", overrides: dict[str, Any] | None = None):
        import ukspace_lab as lab  # late: the calibrate harness does not need the model

        self.lab = lab
        self.base = lab.load_scenario(scenario, overrides or {})
        self.version = lab.MODEL_VERSION

    def scenario(self, row: pd.Series, strategy: str, extra: dict[str, Any]):
        machine = {"machine.arch": "i386-pae", "machine.kernel": "modern",
                   "machine.ram": int(row["ram_bytes"]), "machine.cpus": int(row["cpus"]),
                   "machine.phys_hole": qemu_phys_hole(int(row["ram_bytes"])),
                   "machine.split": "3G/1G", "strategies": [strategy]}
        return self.base.with_overrides({**machine, **WORKLOAD_LAYOUT, **QUIET, **extra})

    def budget(self, row: pd.Series, strategy: str, extra: dict[str, Any]):
        scn = self.scenario(row, strategy, extra)
        return self.lab.budget(self.lab.points_from_scenario(scn), self.lab.strategy(strategy))

    def evaluate(self, row: pd.Series, strategy: str, extra: dict[str, Any]) -> pd.Series:
        return self.lab.evaluate(self.scenario(row, strategy, extra)).iloc[0]


def _row(table: str, meas: pd.Series, quantity: str, measured: float, predicted: float,
         strategy: str, unit: str, **extra: Any) -> dict[str, Any]:
    keys = ("run_id", "kernel_release", "qemu_version", "ram_bytes", "cpus", "userpte")
    return {"table": table, **{k: meas[k] for k in keys}, **extra, "quantity": quantity,
            "strategy": strategy, "unit": unit, "measured": float(measured),
            "predicted": float(predicted), "error_pct": error_pct(measured, predicted)}


def _meminfo(model: Model, df: pd.DataFrame) -> Iterator[dict]:
    for _, r in df.iterrows():
        b = model.budget(r, "highpte", {"workload.tasks": 1})
        low = float(b.space.lowmem[0] - b.fixed[0]) / KIB
        high = float(b.space.highmem[0]) / KIB
        for q, pred in (("LowTotal", low), ("HighTotal", high), ("MemTotal", low + high)):
            yield _row("meminfo_vs_ram", r, q, r[f"{q}_kB"], pred, "highpte", "kB")


def _pagetables(model: Model, df: pd.DataFrame) -> Iterator[dict]:
    for _, r in df.iterrows():
        strat = "highpte" if r["userpte"] == "high" else "mainline"
        shared = int(r["segment_bytes"]) if r["touch"] != "none" else 0
        b = model.budget(r, strat, {"workload.tasks": int(r["tasks"]),
                                    "workload.shared_segment": shared})
        n = int(r["tasks"])
        pt_kb = n * float(b.pagetable_per_task[0]) / KIB
        low_kb = n * float(b.per_task_lowmem[0]) / KIB
        point = {"tasks": n, "segment_bytes": int(r["segment_bytes"]), "touch": r["touch"]}
        yield _row("pagetables", r, "PageTables", r["delta_PageTables_kB"], pt_kb, strat, "kB",
                   **point)
        yield _row("pagetables", r, "VmPTE_children", r["child_vmpte_sum_kB"], pt_kb, strat,
                   "kB", **point)
        yield _row("pagetables", r, "lowmem_used", r["low_used_kB"], low_kb, strat, "kB",
                   **point)


def _reuse_set(r: pd.Series) -> int:
    """The model's ``file_set`` (uniform reuse over W pages) for a /proc/PID/mem run.

    One pass over distinct pages never reuses a page: described as reuse over all of
    RAM. Repeated passes over a few pages reuse exactly those pages.
    """
    if int(r["rounds"]) == 1:
        return int(r["ram_bytes"])
    return int(r["pages_read"]) * 4096


def _kmap_high(model: Model, df: pd.DataFrame) -> Iterator[dict]:
    for _, r in df.iterrows():
        accesses = int(r["pages_read"]) * int(r["rounds"])
        res = model.evaluate(r, "highpte", {
            "workload.tasks": 1, "workload.read_kmap": "kmap", "workload.reads_per_s": accesses,
            "workload.read_size": 4096, "workload.file_set": _reuse_set(r),
            "workload.highmem_cache_fraction": 1.0})
        ipis = r["n_do_flush_tlb_all"] - r["n_flush_tlb_kernel_range"]
        point = {"phase": r["phase"], "pages_read": int(r["pages_read"]),
                 "rounds": int(r["rounds"])}
        for q, meas, pred in (("kmap_high", r["n_kmap_high"], res["kmaps_per_s"]),
                              ("pool_wrap_flushes", r["n_flush_all_zero_pkmaps"],
                               res["global_tlb_flushes_per_s"]),
                              ("flush_ipis", ipis, res["ipis_per_s"])):
            yield _row("kmap_high", r, q, meas, pred, "highpte", "calls", **point)


def _kmap_local(model: Model, df: pd.DataFrame, measured_fraction: bool) -> Iterator[dict]:
    for _, r in df.iterrows():
        rate = "workload.writes_per_s" if r["phase"] == "write" else "workload.reads_per_s"
        extra = {"workload.tasks": 1, rate: int(r["calls"]),
                 "workload.read_size": int(r["bufsize"]), "workload.file_set": int(r["file_bytes"])}
        if measured_fraction:
            frac = float(np.clip(r["fill_high_used_kB"] / r["fill_shmem_kB"], 0, 1))
            extra["workload.highmem_cache_fraction"] = frac
        res = model.evaluate(r, "kmap-local", extra)
        point = {"phase": r["phase"], "bufsize": int(r["bufsize"])}
        for q, meas, pred in (("kmap_local", r["n___kmap_local_pfn_prot"], res["kmaps_per_s"]),
                              ("invlpg", r["n_native_flush_tlb_one_user"], res["invlpg_per_s"]),
                              ("kmap_high", r["n_kmap_high"],
                               res["kmap_hits_per_s"] + res["kmap_new_per_s"])):
            yield _row("kmap_local", r, q, meas, pred, "kmap-local", "calls", **point)


def compare(data_dir: Path | None = None, scenario: str = "default",
            overrides: dict[str, Any] | None = None,
            measured_fraction: bool = False) -> pd.DataFrame:
    """Every committed measurement next to the model's prediction, with ``error_pct``.

    ``scenario``/``overrides`` pick the base scenario whose costs and options the
    model uses; machine and workload keys are replaced per measurement.
    ``measured_fraction`` feeds the tmpfs runs the highmem share of the page cache
    the guest reported instead of the model's ``auto`` rule.
    """
    return compare_tables(load_measurements(data_dir), scenario, overrides, measured_fraction)


def compare_tables(tables: dict[str, pd.DataFrame], scenario: str = "default",
                   overrides: dict[str, Any] | None = None,
                   measured_fraction: bool = False) -> pd.DataFrame:
    """:func:`compare` for tables already in memory (e.g. rows of a live boot)."""
    model = Model(scenario, overrides)
    rows: list[dict] = []
    if "meminfo_vs_ram" in tables:
        rows += _meminfo(model, tables["meminfo_vs_ram"])
    if "pagetables" in tables:
        rows += _pagetables(model, tables["pagetables"])
    if "kmap_high" in tables:
        rows += _kmap_high(model, tables["kmap_high"])
    if "kmap_local" in tables:
        rows += _kmap_local(model, tables["kmap_local"], measured_fraction)
    out = pd.DataFrame(rows)
    out["model_version"] = model.version
    return out


def summary(table: pd.DataFrame) -> pd.DataFrame:
    """Worst absolute error per (table, quantity, strategy): the acceptance view."""
    worst = table.assign(abs_error_pct=table["error_pct"].abs())
    return (worst.groupby(["table", "quantity", "strategy"], as_index=False)
            .agg(points=("measured", "size"), max_abs_error_pct=("abs_error_pct", "max"),
                 mean_error_pct=("error_pct", "mean")))


ACCEPTANCE: tuple[tuple[str, str, float], ...] = (
    # (criterion, pandas query over the comparison table, tolerance in percent): issue 8
    ("PageTables, runs with more than ten tasks",
     "table == 'pagetables' and quantity in ('PageTables', 'VmPTE_children') and tasks > 10",
     2.0),
    ("LowTotal, every RAM size", "table == 'meminfo_vs_ram' and quantity == 'LowTotal'", 2.0),
    ("lowmem drop with lowmem PTEs (userpte=nohigh, > 10 tasks, segment touched)",
     "table == 'pagetables' and quantity == 'lowmem_used' and userpte == 'nohigh' "
     "and tasks > 10 and touch != 'none'", 5.0),
    ("kmap_high calls", "table == 'kmap_high' and quantity == 'kmap_high'", 2.0),
    ("pool-wrap flushes (flush_all_zero_pkmaps)",
     "table == 'kmap_high' and quantity == 'pool_wrap_flushes'", 2.0),
    ("flush IPIs (do_flush_tlb_all on other CPUs)",
     "table == 'kmap_high' and quantity == 'flush_ipis'", 2.0),
)


def acceptance(table: pd.DataFrame) -> pd.DataFrame:
    """The issue's agreement criteria over a :func:`compare` table: worst error and pass."""
    rows = []
    for name, query, tol in ACCEPTANCE:
        sel = table.query(query) if not table.empty else table
        worst = float(sel["error_pct"].abs().max()) if len(sel) else float("nan")
        rows.append({"criterion": name, "points": len(sel), "tolerance_pct": tol,
                     "max_abs_error_pct": worst, "ok": bool(len(sel)) and worst <= tol})
    return pd.DataFrame(rows)
