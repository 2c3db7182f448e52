"""Run a calibration: fetch, build, boot every planned guest, write the CSV tables."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from tqdm import tqdm

from . import boot, build, fetch
from .options import CalibrateOptions
from .parse import GuestError, check_boot, of_kind, parse_records
from .paths import cache_dir, default_out_dir
from .results import ROW_BUILDERS, BootMeta

Log = Callable[[str], None]


@dataclass(frozen=True)
class Guest:
    """Everything needed to boot: kernel, initramfs and the versions to record."""

    assets: fetch.GuestAssets
    initramfs: Path
    qemu_version: str


def prepare_guest(cache: Path, log: Log, refresh: bool = False) -> Guest:
    """Fetch host tools and i386 packages, build the workload and the initramfs."""
    assets = fetch.ensure_all(cache, log, refresh)
    workload = build.build_workload(cache / "build")
    initramfs = build.build_initramfs(assets, workload, cache / "build")
    return Guest(assets, initramfs, fetch.qemu_version())


def run_id_for(spec: boot.BootSpec) -> str:
    """A readable, unique id: UTC time, jobs, RAM, CPUs and boot options."""
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
    opts = "-".join(o.replace("=", "_") for o in spec.kernel_options) or "default"
    return f"{stamp}-{'+'.join(spec.jobs)}-{spec.ram_mib}M-{spec.cpus}cpu-{opts}"


def boot_once(spec: boot.BootSpec, guest: Guest, log_dir: Path) -> tuple[BootMeta, list, float]:
    """Boot one guest, check it finished cleanly, return its metadata and records."""
    run_id = run_id_for(spec)
    result = boot.boot(spec, guest.assets.vmlinuz, guest.initramfs, log_dir / f"{run_id}.log")
    records = parse_records(result.log)
    try:
        check_boot(result.log, records, result.returncode)
    except GuestError as exc:
        raise GuestError(f"boot {run_id} failed (log: {log_dir / run_id}.log): {exc}") from exc
    release = str(of_kind(records, "boot")[0]["release"])
    meta = BootMeta(run_id, release, f"{guest.assets.kernel_package} "
                    f"{guest.assets.kernel_package_version}", guest.qemu_version,
                    spec.ram_mib, spec.cpus, spec.boot_options(), spec.append())
    return meta, records, result.wall_s


def _boot_row(meta: BootMeta, spec: boot.BootSpec, wall_s: float, guest: Guest) -> dict:
    return {**meta.columns(), "jobs": "+".join(spec.jobs), "wall_s": round(wall_s, 2),
            "busybox_package": guest.assets.busybox_package_version}


def run_calibration(options: CalibrateOptions, log: Log = tqdm.write,
                    cache: Path | None = None) -> dict[str, pd.DataFrame]:
    """Run every planned boot and write ``<table>.csv`` files into the output folder."""
    options.validate()
    cache = cache or cache_dir()
    out_dir = options.out_dir or default_out_dir()
    guest = prepare_guest(cache, log, options.refetch)
    tables: dict[str, list[dict]] = {"boots": []}
    plan = options.boot_plan()
    with tqdm(plan, desc="calibrate boots", unit="boot") as bar:
        for spec in bar:
            bar.set_postfix_str(f"{'+'.join(spec.jobs)} {spec.ram_mib}M {spec.boot_options()}")
            meta, records, wall = boot_once(spec, guest, cache / "logs")
            log(f"booted {meta.run_id}: {wall:.1f} s")
            tables["boots"].append(_boot_row(meta, spec, wall, guest))
            for job in spec.jobs:
                name, builder = ROW_BUILDERS[job]
                tables.setdefault(name, []).extend(builder(meta, records))
    frames = {name: pd.DataFrame(rows) for name, rows in tables.items()}
    write_tables(frames, out_dir, log)
    copy_logs(frames["boots"]["run_id"], cache / "logs", out_dir / "logs")
    prune_stale(out_dir, log)
    return frames


def write_tables(frames: dict[str, pd.DataFrame], out_dir: Path, log: Log) -> None:
    """Write each table as CSV; ``boots.csv`` is appended to, the others replaced."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, frame in frames.items():
        path = out_dir / f"{name}.csv"
        if name == "boots" and path.is_file():
            frame = pd.concat([pd.read_csv(path), frame], ignore_index=True)
            frame = frame.drop_duplicates("run_id", keep="last")
        frame.to_csv(path, index=False)
        log(f"wrote {path} ({len(frame)} rows)")


def copy_logs(run_ids: pd.Series, log_dir: Path, dest: Path) -> None:
    """Copy the serial logs of the boots just written next to the CSVs (evidence)."""
    dest.mkdir(parents=True, exist_ok=True)
    for run_id in run_ids:
        shutil.copy2(log_dir / f"{run_id}.log", dest / f"{run_id}.log")


def prune_stale(out_dir: Path, log: Log) -> None:
    """Drop boots (rows of boots.csv, serial logs) that no measurement table refers to any more."""
    boots_csv = out_dir / "boots.csv"
    if not boots_csv.is_file():
        return
    live = {rid for name, _ in ROW_BUILDERS.values() if (out_dir / f"{name}.csv").is_file()
            for rid in pd.read_csv(out_dir / f"{name}.csv")["run_id"]}
    boots = pd.read_csv(boots_csv)
    boots[boots["run_id"].isin(live)].to_csv(boots_csv, index=False)
    for stale in (out_dir / "logs").glob("*.log"):
        if stale.stem not in live:
            stale.unlink()
            log(f"removed stale log {stale.name}")
