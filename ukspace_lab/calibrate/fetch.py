"""Fetch what the guest needs with the system's package tools, into the project cache.

Host tools (installed when missing, needs root): ``qemu-system-x86`` (for
``qemu-system-x86_64``), ``gcc-multilib`` (``gcc -m32 -static``) and ``cpio``.

Guest payload (downloaded and unpacked with ``dpkg -x``, never installed): the
current i386 ``linux-image-*-686-pae-unsigned`` package (or its signed twin),
found by searching the package index, and ``busybox-static:i386``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

Log = Callable[[str], None]

HOST_PACKAGES = ("qemu-system-x86", "gcc-multilib", "cpio")
BUSYBOX_PACKAGE = "busybox-static"
FOREIGN_ARCH = "i386"
APT_ENV = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
APT_LOCK_WAIT = ["-o", "DPkg::Lock::Timeout=300"]
KERNEL_NAME = re.compile(r"^linux-image-(\d+)\.(\d+)\.(\d+)-(\d+)-686-pae(-unsigned)?$")
MANIFEST = "assets.json"


class FetchError(RuntimeError):
    """A package or tool the calibration needs could not be obtained."""


@dataclass(frozen=True)
class GuestAssets:
    """Unpacked guest payload: the kernel image and a static i386 busybox."""

    vmlinuz: Path
    kernel_package: str
    kernel_package_version: str
    busybox: Path
    busybox_package_version: str
    modules_dir: Path


def _print(msg: str) -> None:
    print(msg, flush=True)


def run_cmd(cmd: Sequence[str], log: Log = _print, cwd: Path | None = None,
            check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run a command, logging it; raise FetchError naming the command when it fails."""
    log("$ " + " ".join(cmd))
    proc = subprocess.run(list(cmd), cwd=cwd, env=APT_ENV, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if check and proc.returncode != 0:
        tail = "\n".join(proc.stdout.strip().splitlines()[-15:])
        raise FetchError(f"command failed ({proc.returncode}): {' '.join(cmd)}\n{tail}")
    return proc


def _has_m32_libc() -> bool:
    """True when ``gcc -m32 -static`` can link (libc6-dev-i386 present)."""
    return shutil.which("gcc") is not None and any(
        Path(p).is_file() for p in ("/usr/lib32/libc.a", "/usr/i686-linux-gnu/lib/libc.a"))


def missing_host_tools() -> list[str]:
    """Names of the host packages whose tools are absent."""
    missing = []
    if shutil.which("qemu-system-x86_64") is None:
        missing.append("qemu-system-x86")
    if not _has_m32_libc():
        missing.append("gcc-multilib")
    if shutil.which("cpio") is None:
        missing.append("cpio")
    return missing


def ensure_host_tools(log: Log = _print) -> None:
    """Install qemu-system-x86, gcc-multilib and cpio with apt-get when missing."""
    missing = missing_host_tools()
    if not missing:
        return
    log(f"fetching host tools: {', '.join(missing)} (apt-get install)")
    if os.geteuid() != 0:
        raise FetchError(f"host packages missing: {', '.join(missing)}; run as root or "
                         f"`apt-get install --no-install-recommends {' '.join(missing)}`")
    run_cmd(["apt-get", *APT_LOCK_WAIT, "update", "-q"], log, check=False)
    run_cmd(["apt-get", *APT_LOCK_WAIT, "install", "-y", "-q", "--no-install-recommends",
             *missing], log)
    still = missing_host_tools()
    if still:
        raise FetchError(f"host packages still missing after apt-get install: {still}")


def qemu_version() -> str:
    """The QEMU version string, e.g. ``7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)``."""
    out = run_cmd(["qemu-system-x86_64", "--version"], lambda _m: None).stdout
    match = re.search(r"version (\S+(?: \([^)]*\))?)", out)
    if not match:
        raise FetchError(f"cannot parse qemu version from: {out!r}")
    return match.group(1)


def _foreign_arches() -> list[str]:
    return run_cmd(["dpkg", "--print-foreign-architectures"], lambda _m: None).stdout.split()


def add_i386_index(log: Log = _print) -> bool:
    """Make the i386 package index available; return True if this call added the arch."""
    added = FOREIGN_ARCH not in _foreign_arches()
    if added:
        log("adding dpkg foreign architecture i386 (temporarily) to see i386 packages")
        run_cmd(["dpkg", "--add-architecture", FOREIGN_ARCH], log)
    # An i386 security-index size mismatch can make `update` fail; the search below decides.
    run_cmd(["apt-get", *APT_LOCK_WAIT, "update", "-q"], log, check=False)
    return added


def remove_i386_index(log: Log = _print) -> None:
    """Undo :func:`add_i386_index` so later host apt runs carry no i386 indexes."""
    run_cmd(["dpkg", "--remove-architecture", FOREIGN_ARCH], log, check=False)
    run_cmd(["apt-get", *APT_LOCK_WAIT, "update", "-q"], log, check=False)


def _candidate_version(package: str) -> str | None:
    out = run_cmd(["apt-cache", "policy", f"{package}:{FOREIGN_ARCH}"], lambda _m: None).stdout
    match = re.search(r"Candidate:\s*(\S+)", out)
    return None if not match or match.group(1) == "(none)" else match.group(1)


def kernel_package_candidates(search_output: str) -> list[str]:
    """Kernel image names from ``apt-cache search`` output, newest ABI first, unsigned first."""
    names = {line.split(" - ")[0].strip() for line in search_output.splitlines()}
    matched = [(KERNEL_NAME.match(n), n) for n in names]
    keyed = [(tuple(int(g) for g in m.groups()[:4]), m.group(5) is not None, n)
             for m, n in matched if m]
    return [n for *_key, n in sorted(keyed, reverse=True)]


def find_kernel_package(log: Log = _print) -> tuple[str, str]:
    """Search the index for the current i386 686-pae image; return (name, version)."""
    out = run_cmd(["apt-cache", "search", "--names-only", r"^linux-image-.*-686-pae"],
                  log).stdout
    for name in kernel_package_candidates(out):
        version = _candidate_version(name)
        if version:
            log(f"kernel package: {name}:{FOREIGN_ARCH} {version}")
            return name, version
    raise FetchError(
        "no linux-image-*-686-pae(-unsigned) i386 package is in the apt index. Debian 13 "
        "(trixie) and later build no 32-bit x86 kernels, so on such a host add a Debian 12 "
        "(bookworm) source for i386, e.g. `deb [arch=i386] http://deb.debian.org/debian "
        "bookworm main` in /etc/apt/sources.list.d/bookworm-i386.list, then rerun; or run "
        "the calibration on a Debian 12 host. The committed measurements in "
        "data/calibration/ stay valid meanwhile.")


def download_and_unpack(package: str, dest: Path, log: Log = _print) -> Path:
    """``apt-get download package:i386`` into ``dest`` and ``dpkg -x`` it; return the tree."""
    dest.mkdir(parents=True, exist_ok=True)
    for old in dest.glob(f"{package}_*.deb"):
        old.unlink()
    run_cmd(["apt-get", "download", f"{package}:{FOREIGN_ARCH}"], log, cwd=dest)
    debs = sorted(dest.glob(f"{package}_*_{FOREIGN_ARCH}.deb"))
    if not debs:
        raise FetchError(f"apt-get download {package}:{FOREIGN_ARCH} produced no .deb in {dest}")
    tree = dest / f"{package}-tree"
    shutil.rmtree(tree, ignore_errors=True)
    run_cmd(["dpkg", "-x", str(debs[-1]), str(tree)], log)
    return tree


def _assets_from_trees(kernel: tuple[str, str], ktree: Path, bb: tuple[str, Path]) -> GuestAssets:
    vmlinuz = sorted((ktree / "boot").glob("vmlinuz-*"))
    busybox = bb[1] / "bin" / "busybox"
    if not vmlinuz:
        raise FetchError(f"no boot/vmlinuz-* in the unpacked {kernel[0]} ({ktree})")
    if not busybox.is_file():
        raise FetchError(f"no bin/busybox in the unpacked {BUSYBOX_PACKAGE} ({bb[1]})")
    modules = next((ktree / "lib" / "modules").glob("*"), ktree)
    return GuestAssets(vmlinuz[0], kernel[0], kernel[1], busybox, bb[0], modules)


def load_cached_assets(cache: Path) -> GuestAssets | None:
    """The assets recorded by a previous fetch, if all their files still exist."""
    manifest = cache / MANIFEST
    if not manifest.is_file():
        return None
    raw = json.loads(manifest.read_text())
    assets = GuestAssets(**{k: Path(v) if k in {"vmlinuz", "busybox", "modules_dir"} else v
                            for k, v in raw.items()})
    return assets if assets.vmlinuz.is_file() and assets.busybox.is_file() else None


def fetch_guest_assets(cache: Path, log: Log = _print, refresh: bool = False) -> GuestAssets:
    """Download and unpack the i386 kernel and busybox-static into ``cache`` (reused later)."""
    cached = None if refresh else load_cached_assets(cache)
    if cached:
        return cached
    log(f"fetching i386 guest packages into {cache} (downloaded and unpacked, not installed)")
    added = add_i386_index(log)
    try:
        kernel = find_kernel_package(log)
        ktree = download_and_unpack(kernel[0], cache / "debs", log)
        bb_version = _candidate_version(BUSYBOX_PACKAGE) or "unknown"
        bbtree = download_and_unpack(BUSYBOX_PACKAGE, cache / "debs", log)
    finally:
        if added:
            remove_i386_index(log)
    assets = _assets_from_trees(kernel, ktree, (bb_version, bbtree))
    (cache / MANIFEST).write_text(json.dumps(
        {k: str(v) for k, v in asdict(assets).items()}, indent=2) + "\n")
    return assets


def ensure_all(cache: Path, log: Log = _print, refresh: bool = False) -> GuestAssets:
    """Host tools plus guest payload; the one call the harness makes before building."""
    ensure_host_tools(log)
    return fetch_guest_assets(cache, log, refresh)
