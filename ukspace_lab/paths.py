"""Where the project's files live: one place, no side effects on import."""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
ROOT = PACKAGE_DIR.parent
DATA_DIR = ROOT / "data"
SCENARIO_DIR = ROOT / "papermill_params"
NOTEBOOK_DIR = ROOT / "notebooks"
REPORT_DIR = ROOT / "reports"
CACHE_DIR = ROOT / ".cache"
