"""Turn one boot's UKS records into tidy measurement rows (one per point)."""

from __future__ import annotations

from dataclasses import dataclass

from .parse import Record, of_kind, one

MIB = 1 << 20
PAGE_KB = 4
MEMINFO_FIELDS = ("MemTotal", "MemFree", "LowTotal", "LowFree", "HighTotal", "HighFree",
                  "PageTables", "KernelStack", "Slab", "SUnreclaim", "Shmem", "AnonHugePages",
                  "LowPcp", "HighPcp")
VMPTE_FIELDS = ("child_vmpte_min", "child_vmpte_max", "child_vmpte_sum", "parent_vmpte_before",
                "parent_vmpte_after")
PT_DELTA_FIELDS = ("PageTables", "KernelStack", "Slab", "LowFree", "HighFree", "LowPcp", "HighPcp")


@dataclass(frozen=True)
class BootMeta:
    """Columns every measurement row carries: which run, kernel, emulator and machine."""

    run_id: str
    kernel_release: str
    kernel_package: str
    qemu_version: str
    ram_mib: int
    cpus: int
    boot_options: str
    append: str

    def columns(self) -> dict[str, str | int]:
        return {"run_id": self.run_id, "kernel_release": self.kernel_release,
                "kernel_package": self.kernel_package, "qemu_version": self.qemu_version,
                "ram_bytes": self.ram_mib * MIB, "cpus": self.cpus,
                "userpte": "nohigh" if "userpte=nohigh" in self.boot_options else "high",
                "boot_options": self.boot_options, "append": self.append}


def probes_used(records: list[Record]) -> str:
    """The kprobe symbols registered in the guest, ``;``-separated ('' when none)."""
    setups = of_kind(records, "probes_setup")
    return str(setups[0].get("used", "")).replace(",", ";") if setups else ""


def _extra(records: list[Record], kind: str) -> dict:
    """The fields of an optional single record (zone sizes, boot log lines), minus ``kind``."""
    found = of_kind(records, kind)
    return {k: found[0][k] for k in sorted(found[0]) if k != "kind"} if found else {}


def meminfo_rows(meta: BootMeta, records: list[Record]) -> list[dict]:
    """``job=mem``: /proc/meminfo at boot, zone sizes (pages) and the kernel's memory lines."""
    snap = one(records, "meminfo", tag="boot")
    row = {**meta.columns(), **{f"{f}_kB": snap[f] for f in MEMINFO_FIELDS}}
    for kind in ("dmesg_lowmem", "dmesg_memory", "dmesg_swiotlb", "zones"):
        row.update(_extra(records, kind))
    row.setdefault("swiotlb_MB", 0)
    return [row]


def _pt_row(meta: BootMeta, rec: Record) -> dict:
    row = {**meta.columns(), "segment_bytes": int(rec["segment_mib"]) * MIB,
           "tasks": rec["tasks"], "touch": rec["touch"], "round_s": rec["round_s"]}
    # VmPTE (/proc/PID/status) as each child and the parent saw it: per-mm attribution.
    row.update({f"{k}_kB": rec.get(k) for k in VMPTE_FIELDS})
    for f in PT_DELTA_FIELDS:
        row[f"before_{f}_kB"] = rec[f"before_{f}"]
        row[f"after_{f}_kB"] = rec[f"after_{f}"]
        row[f"delta_{f}_kB"] = int(rec[f"after_{f}"]) - int(rec[f"before_{f}"])
    # Free pages parked on per-CPU lists are not in LowFree/HighFree: add them back.
    row["low_used_kB"] = -(row["delta_LowFree_kB"] + row["delta_LowPcp_kB"])
    row["high_used_kB"] = -(row["delta_HighFree_kB"] + row["delta_HighPcp_kB"])
    row["pagetables_per_task_kB"] = row["delta_PageTables_kB"] / int(rec["tasks"])
    return row


def pagetable_rows(meta: BootMeta, records: list[Record]) -> list[dict]:
    """One row per (segment, tasks, touch) round of ``job=pt``."""
    return [_pt_row(meta, r) for r in of_kind(records, "pt")]


def probe_delta(records: list[Record], before: str, after: str) -> dict[str, int]:
    """Per-probe hit-count differences between two ``kind=probes`` snapshots."""
    a, b = one(records, "probes", tag=before), one(records, "probes", tag=after)
    return {f"n_{k}": int(b[k]) - int(a[k]) for k in b if k not in ("kind", "tag")}


def kmap_rows(meta: BootMeta, records: list[Record]) -> list[dict]:
    """``job=kmap``: a cold pass over distinct highmem pages, then repeated hits."""
    read = one(records, "memread")
    hits = one(records, "kmap_hits")
    hold = one(records, "hold")
    held = one(records, "meminfo", tag="kmap_hold")
    common = {**meta.columns(), "probes_used": probes_used(records),
              "region_bytes": int(hold["mib"]) * MIB,
              "hold_AnonHugePages_kB": held.get("AnonHugePages")}
    cold = {**common, "phase": "distinct_pages", "pages_read": read["pages"], "rounds": 1,
            **probe_delta(records, "kmap_before", "kmap_after")}
    warm = {**common, "phase": "repeat_pages", "pages_read": hits["pages"],
            "rounds": hits["rounds"], **probe_delta(records, "hit_before", "hit_after")}
    return [cold, warm]


def kmap_local_rows(meta: BootMeta, records: list[Record]) -> list[dict]:
    """``job=tmpfs``: write a file larger than lowmem into tmpfs, read it back twice."""
    fill = one(records, "fill")
    before = one(records, "meminfo", tag="tmpfs_before")
    filled = one(records, "meminfo", tag="tmpfs_filled")
    common = {**meta.columns(), "probes_used": probes_used(records),
              "file_bytes": int(fill["mib"]) * MIB, "file_pages": int(fill["mib"]) * MIB // 4096,
              "LowTotal_kB": before["LowTotal"],
              "fill_low_used_kB": (before["LowFree"] + before["LowPcp"])
              - (filled["LowFree"] + filled["LowPcp"]),
              "fill_high_used_kB": (before["HighFree"] + before["HighPcp"])
              - (filled["HighFree"] + filled["HighPcp"]),
              "fill_shmem_kB": filled["Shmem"] - before["Shmem"]}
    rows = [{**common, "phase": "write", "bufsize": MIB, "calls": int(fill["mib"]),
             "seconds": fill["fill_s"], **probe_delta(records, "fill_before", "fill_after")}]
    for rec in of_kind(records, "read"):
        bs = int(rec["bufsize"])
        rows.append({**common, "phase": "read", "bufsize": bs, "calls": rec["calls"],
                     "seconds": rec["read_s"],
                     **probe_delta(records, f"read{bs}_before", f"read{bs}_after")})
    return rows


ROW_BUILDERS = {"mem": ("meminfo_vs_ram", meminfo_rows), "pt": ("pagetables", pagetable_rows),
                "kmap": ("kmap_high", kmap_rows), "tmpfs": ("kmap_local", kmap_local_rows)}
"""job name → (CSV table name, row builder)."""
