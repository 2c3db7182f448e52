"""Where the project's files are: shipped data, and the folders it writes.

What the package reads ships with it: the sourced constants (``data/``), the
named scenarios (``papermill_params/``) and the notebooks (``notebooks/``). In
a checkout they are those folders at the top of the repository; in an
installed wheel the same files are package data (``ukspace_lab/_data``,
``_scenarios``, ``_notebooks``), found through :mod:`importlib.resources`.
``UKSPACE_LAB_DATA`` points the constants at another folder (a copy with a
CPU model or a strategy row of one's own).

What it writes never goes into site-packages: reports into ``reports/`` of
the working folder, caches into ``.cache/`` of the checkout or, installed,
the user cache folder (:func:`platformdirs.user_cache_dir`);
``UKSPACE_LAB_CACHE`` overrides. Nothing happens on import.
"""

from __future__ import annotations

import os
from functools import cache
from importlib.resources import files
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
ROOT = PACKAGE_DIR.parent
APP_NAME = "ukspace-lab"
SHIPPED = {"data": "_data", "papermill_params": "_scenarios", "notebooks": "_notebooks"}


def in_checkout() -> bool:
    """Is the package running from a source checkout (not an installed wheel)?"""
    return (ROOT / "pyproject.toml").is_file() and (ROOT / "data").is_dir() \
        and not (PACKAGE_DIR / "_data").is_dir()


@cache
def _shipped(folder: str) -> Path:
    """A shipped folder: the checkout's own, else the wheel's package data."""
    if in_checkout():
        return ROOT / folder
    return Path(str(files("ukspace_lab") / SHIPPED[folder]))


def data_dir() -> Path:
    """The sourced constants: ``UKSPACE_LAB_DATA``, else the shipped ``data/``."""
    override = os.environ.get("UKSPACE_LAB_DATA")
    return Path(override) if override else _shipped("data")


def data_file(name: str) -> Path:
    """One file of the constants, e.g. ``data_file("kernels.yaml")``."""
    return data_dir() / name


def scenario_dir() -> Path:
    """The named scenarios (``papermill_params/``)."""
    return _shipped("papermill_params")


def notebook_dir() -> Path:
    """The report's notebooks (``notebooks/``)."""
    return _shipped("notebooks")


def report_dir() -> Path:
    """Where reports go by default: ``reports/`` of the working folder."""
    return Path.cwd() / "reports"


def cache_dir() -> Path:
    """Caches: ``UKSPACE_LAB_CACHE``, the checkout's ``.cache/``, or the user cache."""
    override = os.environ.get("UKSPACE_LAB_CACHE")
    if override:
        return Path(override)
    if in_checkout():
        return ROOT / ".cache"
    from platformdirs import user_cache_dir

    return Path(user_cache_dir(APP_NAME))
