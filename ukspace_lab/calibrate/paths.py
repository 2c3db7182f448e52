"""Filesystem locations used by the calibration harness (no side effects on import)."""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
"""Directory holding ``workload.c`` and the guest shell scripts."""

WORKLOAD_SOURCE = PACKAGE_DIR / "workload.c"
GUEST_INIT = PACKAGE_DIR / "guest_init.sh"
GUEST_JOBS = PACKAGE_DIR / "guest_jobs.sh"


def project_root() -> Path:
    """The checkout root: the nearest parent of the package with a pyproject.toml, else cwd."""
    for parent in PACKAGE_DIR.parents:
        if (parent / "pyproject.toml").is_file():
            return parent
    return Path.cwd()


def cache_dir() -> Path:
    """Where fetched packages, unpacked trees and built images go (never committed).

    Overridable with the ``UKSPACE_CALIBRATE_CACHE`` environment variable.
    """
    override = os.environ.get("UKSPACE_CALIBRATE_CACHE")
    return Path(override) if override else project_root() / ".cache" / "calibrate"


def default_out_dir() -> Path:
    """The committed measurement folder, ``data/calibration/``."""
    return project_root() / "data" / "calibration"
