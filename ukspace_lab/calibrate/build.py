"""Build the guest: the static i386 workload program and the initramfs around it."""

from __future__ import annotations

import gzip
import hashlib
import shutil
import subprocess
from pathlib import Path

from .fetch import FetchError, GuestAssets
from .paths import GUEST_INIT, GUEST_JOBS, WORKLOAD_SOURCE

CFLAGS = ("-m32", "-static", "-O2", "-Wall", "-D_FILE_OFFSET_BITS=64")
ROOTFS_DIRS = ("bin", "proc", "sys", "dev", "tmp", "mnt")


def _digest(*paths: Path) -> str:
    h = hashlib.sha256()
    for p in paths:
        h.update(p.read_bytes())
    return h.hexdigest()[:16]


def build_workload(out_dir: Path, source: Path = WORKLOAD_SOURCE) -> Path:
    """Compile ``workload.c`` with ``gcc -m32 -static``; reuse the binary for unchanged source."""
    out_dir.mkdir(parents=True, exist_ok=True)
    binary = out_dir / f"uks-workload-{_digest(source)}"
    if binary.is_file():
        return binary
    cmd = ["gcc", *CFLAGS, "-o", str(binary), str(source)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise FetchError(f"building the i386 workload failed: {' '.join(cmd)}\n{proc.stderr}"
                         "\n(is gcc-multilib installed?)")
    return binary


def _write_cpio_gz(rootfs: Path, target: Path) -> None:
    """Pack ``rootfs`` as a gzip'd newc cpio archive (the initramfs format)."""
    names = sorted(str(p.relative_to(rootfs)) for p in rootfs.rglob("*"))
    listing = "\n".join([".", *names]) + "\n"
    proc = subprocess.run(["cpio", "-o", "-H", "newc", "--quiet"], cwd=rootfs,
                          input=listing.encode(), capture_output=True)
    if proc.returncode != 0:
        raise FetchError(f"cpio failed: {proc.stderr.decode(errors='replace')}")
    with gzip.open(target, "wb", compresslevel=1) as f:
        f.write(proc.stdout)


def _install(src: Path, dst: Path) -> None:
    shutil.copy2(src, dst)
    dst.chmod(0o755)


def build_initramfs(assets: GuestAssets, workload: Path, out_dir: Path) -> Path:
    """Assemble the initramfs: busybox, the workload, ``/init`` and ``/jobs.sh``."""
    key = _digest(workload, GUEST_INIT, GUEST_JOBS, assets.busybox)
    target = out_dir / f"initramfs-{key}.cpio.gz"
    if target.is_file():
        return target
    rootfs = out_dir / "rootfs"
    shutil.rmtree(rootfs, ignore_errors=True)
    for d in ROOTFS_DIRS:
        (rootfs / d).mkdir(parents=True)
    _install(assets.busybox, rootfs / "bin" / "busybox")
    _install(workload, rootfs / "bin" / "uks-workload")
    _install(GUEST_INIT, rootfs / "init")
    _install(GUEST_JOBS, rootfs / "jobs.sh")
    _write_cpio_gz(rootfs, target)
    return target
