"""Boot the i386 PAE guest under QEMU (TCG) and capture its serial console."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .paths import project_root

QEMU = "qemu-system-x86_64"  # qemu-system-i386 7.2 faults on PAE entries above 4 GiB
BASE_APPEND = ("console=ttyS0", "panic=-1", "loglevel=3")


@dataclass(frozen=True)
class BootSpec:
    """One guest boot: machine size, jobs to run, their parameters, extra kernel options."""

    ram_mib: int
    cpus: int
    jobs: tuple[str, ...]
    params: Mapping[str, str] = field(default_factory=dict)
    kernel_options: tuple[str, ...] = ()
    timeout_s: int = 900

    def append(self) -> str:
        """The kernel command line: console, then options, then job and uks_* variables."""
        params = [f"{k}={v}" for k, v in sorted(self.params.items())]
        return " ".join([*BASE_APPEND, *self.kernel_options, f"job={','.join(self.jobs)}",
                         *params])

    def boot_options(self) -> str:
        """The kernel options that change the memory layout (e.g. ``userpte=nohigh``)."""
        return " ".join(self.kernel_options) or "default"


@dataclass(frozen=True)
class BootResult:
    """What a boot produced: the serial log, wall time and QEMU's exit code."""

    spec: BootSpec
    log: str
    wall_s: float
    returncode: int


def qemu_command(spec: BootSpec, vmlinuz: Path, initramfs: Path) -> list[str]:
    """The QEMU invocation (``-cpu max`` runs the 32-bit PAE kernel above 4 GiB)."""
    return [QEMU, "-cpu", "max", "-m", f"{spec.ram_mib}M", "-smp", str(spec.cpus),
            "-nic", "none", "-kernel", str(vmlinuz), "-initrd", str(initramfs),
            "-append", spec.append(), "-nographic", "-no-reboot"]


def _shown(arg: str) -> str:
    """A command-line word as logged: paths inside the checkout relative to its root."""
    root = str(project_root()) + "/"
    return arg.replace(root, "") if arg.startswith(root) else arg


def boot(spec: BootSpec, vmlinuz: Path, initramfs: Path, log_path: Path) -> BootResult:
    """Run one guest under ``timeout``; the serial output is also saved to ``log_path``."""
    cmd = ["timeout", "--kill-after=10", str(spec.timeout_s),
           *qemu_command(spec, vmlinuz, initramfs)]
    log_path.parent.mkdir(parents=True, exist_ok=True)
    start = time.monotonic()
    with open(log_path, "w") as out:
        out.write("# " + " ".join(_shown(c) for c in cmd) + "\n")
        out.flush()
        proc = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT,
                              stdin=subprocess.DEVNULL)
    wall = time.monotonic() - start
    return BootResult(spec, log_path.read_text(errors="replace"), wall, proc.returncode)
