"""A report's ``manifest.json``: what produced it and a checksum of every file.

The manifest is what lets a reviewer trust and rerun a report: the exact
parameters and seed, the model version, the git commit (and whether the tree
was dirty), Python and package versions, start and end times, and the sha256
of every file the report wrote.
"""

from __future__ import annotations

import hashlib
import importlib.metadata as md
import json
import platform
import re
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .. import resources

MANIFEST = "manifest.json"
DISTRIBUTION = "ukspace-lab"
# Besides the project's own dependencies: what executes and renders the notebooks.
EXTRA_PACKAGES = ("ipykernel", "ipython", "jupyter_client", "nbclient", "jupyterlab_widgets",
                  "pytest", "playwright")
IDENTICAL_BETWEEN_RUNS = ("writeup.txt", "data/", "figures/")
VARIES_BETWEEN_RUNS = {
    "started, finished, duration_s": "wall-clock times of this run",
    "notebooks/*.ipynb": "papermill's per-cell start/end times and the temporary output_dir",
    "index.html": "widget model ids are random per kernel session",
}


def sha256(path: Path) -> str:
    """Hex sha256 of a file."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


# Added to an installed report afterwards, not part of what the manifest vouches for:
# the browser test's screenshots of the page (tests/present/test_report_browser.py).
NOT_LISTED = ("screenshots/",)


def file_checksums(root: Path) -> dict[str, dict[str, Any]]:
    """``{relative/posix/path: {"sha256", "bytes"}}`` of every file under root but the
    manifest and NOT_LISTED."""
    out = {}
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = path.relative_to(root).as_posix()
        if rel != MANIFEST and not rel.startswith(NOT_LISTED):
            out[rel] = {"sha256": sha256(path), "bytes": path.stat().st_size}
    return out


def git_state(root: Path | None = None) -> dict[str, Any]:
    """The checkout's commit and whether tracked or untracked files differ from it
    (an installed wheel has no checkout: then no commit)."""
    root = root or resources.ROOT
    if not resources.in_checkout() and root == resources.ROOT:
        return {"commit": None, "dirty": None, "note": "installed package, not a git checkout"}
    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True,
                              check=True, timeout=30).stdout.strip()
    try:
        commit = git("rev-parse", "HEAD")
        dirty = bool(git("status", "--porcelain", "--untracked-files=normal"))
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None, "note": "not a git checkout or git missing"}
    return {"commit": commit, "dirty": dirty}


def package_versions() -> dict[str, str | None]:
    """Installed versions of the project's dependencies and the notebook machinery."""
    try:
        reqs = md.requires(DISTRIBUTION) or []
    except md.PackageNotFoundError:
        reqs = []
    names = {re.match(r"[A-Za-z0-9_.-]+", r).group(0) for r in reqs}
    names |= set(EXTRA_PACKAGES) | {DISTRIBUTION}
    out: dict[str, str | None] = {}
    for name in sorted(names, key=str.lower):
        try:
            out[name] = md.version(name)
        except md.PackageNotFoundError:
            out[name] = None
    return out


def now_iso() -> str:
    """The current UTC time, ISO 8601 with seconds."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def build_manifest(report_dir: Path, *, run: dict[str, Any], started: datetime,
                   finished: datetime) -> dict[str, Any]:
    """The manifest document for a finished report folder.

    ``run`` holds what the caller knows (scenario, parameters, seed, model
    version, notebooks, kernel, widget manager, writeup status); this adds the
    environment, the times and the checksums.
    """
    return {
        **run,
        "git": git_state(),
        "python": {"version": platform.python_version(),
                   "implementation": platform.python_implementation()},
        "platform": platform.platform(),
        "packages": package_versions(),
        "started": started.isoformat(timespec="seconds"),
        "finished": finished.isoformat(timespec="seconds"),
        "duration_s": round((finished - started).total_seconds(), 3),
        "reproducible": {"identical_between_runs": list(IDENTICAL_BETWEEN_RUNS),
                         "varies_between_runs": VARIES_BETWEEN_RUNS},
        "files": file_checksums(report_dir),
    }


def write_manifest(report_dir: Path, doc: dict[str, Any]) -> Path:
    """Write ``manifest.json`` (indented, UTF-8, trailing newline)."""
    path = report_dir / MANIFEST
    path.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def verify_manifest(report_dir: Path) -> list[str]:
    """Problems found re-checking a report against its manifest (empty when intact)."""
    doc = json.loads((report_dir / MANIFEST).read_text(encoding="utf-8"))
    listed = doc["files"]
    actual = file_checksums(report_dir)
    problems = [f"{rel}: listed but missing" for rel in listed if rel not in actual]
    problems += [f"{rel}: written but not listed" for rel in actual if rel not in listed]
    problems += [f"{rel}: sha256 differs" for rel, v in listed.items()
                 if rel in actual and actual[rel]["sha256"] != v["sha256"]]
    return problems
