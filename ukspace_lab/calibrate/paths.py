"""Filesystem locations used by the calibration harness (no side effects on import)."""

from __future__ import annotations

import os
from pathlib import Path

from .. import resources

PACKAGE_DIR = Path(__file__).resolve().parent
"""Directory holding ``workload.c`` and the guest shell scripts."""

WORKLOAD_SOURCE = PACKAGE_DIR / "workload.c"
GUEST_INIT = PACKAGE_DIR / "guest_init.sh"
GUEST_JOBS = PACKAGE_DIR / "guest_jobs.sh"


def project_root() -> Path:
    """The checkout root (log lines show paths relative to it), else the working folder."""
    return resources.ROOT if resources.in_checkout() else Path.cwd()


def cache_dir() -> Path:
    """Where fetched packages, unpacked trees and built images go (never committed).

    Overridable with the ``UKSPACE_CALIBRATE_CACHE`` environment variable.
    """
    override = os.environ.get("UKSPACE_CALIBRATE_CACHE")
    return Path(override) if override else resources.cache_dir() / "calibrate"


def committed_dir() -> Path:
    """The committed measurements the model is held against: ``data/calibration/``."""
    return resources.data_dir() / "calibration"


def default_out_dir() -> Path:
    """Where ``ukspace-lab calibrate`` writes: ``data/calibration/`` of a checkout (it
    refreshes the committed measurements), else ``calibration/`` of the working folder
    (an installed package never writes into site-packages)."""
    return committed_dir() if resources.in_checkout() else Path.cwd() / "calibration"
