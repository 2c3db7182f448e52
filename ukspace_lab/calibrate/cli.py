"""``ukspace-lab calibrate``: argparse surface; wired into ukspace_lab.cli by add_parser/run."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .fetch import FetchError
from .options import JOBS, CalibrateOptions, OptionError, parse_int_list, parse_mib_list, parse_size
from .parse import GuestError

HELP = "boot a real i386 686-pae kernel under QEMU and measure lowmem, pagetables and kmaps"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The calibrate options (all strings; validated by :func:`options_from_args`)."""
    d = CalibrateOptions()
    parser.add_argument("--ram", default="6GiB", help="guest RAM for the pt/kmap/tmpfs boots")
    parser.add_argument("--cpus", default=str(d.cpus), help="guest CPUs (-smp)")
    parser.add_argument("--tasks", default="1,10,50,100", help="task counts N (comma list)")
    parser.add_argument("--segment", default="64MiB,256MiB,1GiB",
                        help="shared segment sizes S (comma list)")
    parser.add_argument("--userpte", choices=("high", "nohigh", "both"), default="both",
                        help="PTE pages in highmem (default), lowmem (userpte=nohigh), or both")
    parser.add_argument("--ram-sweep", default="2GiB,4GiB,6GiB,12GiB,16GiB",
                        help="RAM sizes for the meminfo-vs-RAM boots")
    parser.add_argument("--jobs", default=",".join(JOBS),
                        help=f"which measurements to run, from {','.join(JOBS)}")
    parser.add_argument("--touch", default=d.touch,
                        help="child touch modes: none|sparse|dense, MODE:N = only when tasks <= N")
    parser.add_argument("--kmap-cpus", default=None,
                        help="guest CPU counts for the kmap_high boots (default: --cpus)")
    parser.add_argument("--hold", default="256MiB", help="highmem region read via /proc/PID/mem")
    parser.add_argument("--read-pages", default=str(d.read_pages),
                        help="pages read through /proc/PID/mem in the kmap_high run")
    parser.add_argument("--tmpfs", default="1GiB", help="tmpfs file size for the kmap_local run")
    parser.add_argument("--timeout", default=str(d.timeout_s), help="seconds per boot")
    parser.add_argument("--out", type=Path, default=None,
                        help="output folder for the CSVs (default data/calibration/)")
    parser.add_argument("--refetch", action="store_true",
                        help="search the package index again instead of reusing .cache/calibrate")


def _one_int(text: str, option: str, low: int, high: int) -> int:
    return parse_int_list(text, option, low, high)[0] if "," not in text else \
        _raise(f"{option}: one value expected, got {text!r}")


def _raise(message: str) -> int:
    raise OptionError(message)


def options_from_args(args: argparse.Namespace) -> CalibrateOptions:
    """Validate the parsed strings into :class:`CalibrateOptions` (OptionError names the flag)."""
    jobs = tuple(j.strip() for j in args.jobs.split(",") if j.strip())
    unknown = sorted(set(jobs) - set(JOBS))
    if unknown or not jobs:
        raise OptionError(f"--jobs: unknown {unknown or 'empty'}; choose from {', '.join(JOBS)}")
    cpus = _one_int(args.cpus, "--cpus", 1, 64)
    return CalibrateOptions(
        ram_mib=parse_mib_list(args.ram, "--ram")[0] if "," not in args.ram
        else _raise(f"--ram: one size expected, got {args.ram!r}"),
        cpus=cpus,
        tasks=parse_int_list(args.tasks, "--tasks", 1, 4096),
        segments_mib=parse_mib_list(args.segment, "--segment"),
        userpte=("high", "nohigh") if args.userpte == "both" else (args.userpte,),
        ram_sweep_mib=parse_mib_list(args.ram_sweep, "--ram-sweep"),
        jobs=jobs, touch=args.touch,
        kmap_cpus=parse_int_list(args.kmap_cpus, "--kmap-cpus", 1, 64) if args.kmap_cpus
        else (cpus,),
        hold_mib=parse_size(args.hold, "--hold") >> 20,
        read_pages=_one_int(args.read_pages, "--read-pages", 1, 1 << 24),
        tmpfs_mib=parse_size(args.tmpfs, "--tmpfs") >> 20,
        timeout_s=_one_int(args.timeout, "--timeout", 30, 24 * 3600),
        out_dir=args.out, refetch=args.refetch,
    ).validate()


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register the ``calibrate`` subcommand on the main CLI's subparsers."""
    parser = subparsers.add_parser("calibrate", help=HELP, description=HELP)
    add_arguments(parser)
    parser.set_defaults(run=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Run the calibration; 0 on success, 2 on a bad option, 1 when fetching or a boot fails."""
    from .harness import run_calibration  # heavy imports only when actually running

    try:
        options = options_from_args(args)
    except OptionError as exc:
        print(f"ukspace-lab calibrate: error: {exc}", file=sys.stderr)
        return 2
    try:
        run_calibration(options)
    except FetchError as exc:
        print(f"ukspace-lab calibrate: could not fetch what the guest needs: {exc}",
              file=sys.stderr)
        return 1
    except GuestError as exc:
        print(f"ukspace-lab calibrate: guest run failed: {exc}", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    """Standalone entry point: ``python -m ukspace_lab.calibrate``."""
    parser = argparse.ArgumentParser(prog="ukspace-lab calibrate", description=HELP)
    add_arguments(parser)
    return run(parser.parse_args(argv))
