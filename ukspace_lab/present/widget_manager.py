"""The offline page's widget manager: @jupyter-widgets/html-manager from npm.

Its ``embed.js`` bundle (no require.js, controls included) and the Font
Awesome files it loads are copied next to every report's ``index.html``, so
the widgets render from ``file://`` with no network and no CDN. They are
fetched once with ``npm pack`` into ``html-manager/`` of the cache folder
(:func:`ukspace_lab.resources.cache_dir`) and never committed.

``python -m ukspace_lab.present.widget_manager`` fetches it (``make`` does).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from ..resources import cache_dir

VERSION = "1.0.15"        # satisfies ipywidgets 8.1's __html_manager_version__ (^1.0.1)
PACKAGE = "@jupyter-widgets/html-manager"
FONT_SUFFIXES = (".woff2", ".woff", ".ttf", ".eot", ".svg")


class WidgetManagerMissing(RuntimeError):
    """The widget manager has not been fetched, and could not be."""


def widget_manager_dir() -> Path:
    """Where the fetched widget manager lives."""
    return cache_dir() / "html-manager"


def installed_version(src: Path | None = None) -> str | None:
    """The version in ``src`` (default: the cache), or None when it is not there."""
    src = src or widget_manager_dir()
    if not (src / "dist" / "embed.js").is_file() or not (src / "VERSION").is_file():
        return None
    return (src / "VERSION").read_text(encoding="utf-8").strip()


def fetch(version: str = VERSION, dest: Path | None = None, log=print) -> Path:
    """``npm pack`` the widget manager into ``dest`` (atomically); returns ``dest``."""
    dest = dest or widget_manager_dir()
    if installed_version(dest) == version:
        log(f"widget manager: {PACKAGE}@{version} already in {dest}")
        return dest
    if shutil.which("npm") is None:
        raise WidgetManagerMissing(f"npm is needed to fetch {PACKAGE}@{version} "
                                   "(Debian: apt-get install npm)")
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dest.parent, prefix=".html-manager.") as tmp:
        work = Path(tmp)
        log(f"widget manager: npm pack {PACKAGE}@{version}")
        proc = subprocess.run(["npm", "pack", "--silent", f"{PACKAGE}@{version}"], cwd=work,
                              capture_output=True, text=True)
        packs = sorted(work.glob("*.tgz"))
        if proc.returncode != 0 or not packs:
            raise WidgetManagerMissing(f"npm pack {PACKAGE}@{version} failed: "
                                       f"{proc.stderr.strip()[-500:]}")
        with tarfile.open(packs[0]) as tar:
            tar.extractall(work, filter="data")
        pkg = work / "package"
        meta = json.loads((pkg / "package.json").read_text(encoding="utf-8"))
        if meta["version"] != version:
            raise WidgetManagerMissing(f"asked for {version}, npm gave {meta['version']}")
        out = work / "out"
        (out / "dist").mkdir(parents=True)
        for f in (pkg / "dist").iterdir():
            if f.name in ("embed.js", "embed.js.LICENSE.txt") or f.suffix in FONT_SUFFIXES:
                shutil.copy2(f, out / "dist" / f.name)
        (out / "dist" / "PACKAGE.txt").write_text(
            f"{meta['name']}@{meta['version']} {meta.get('license', '')}\n", encoding="utf-8")
        (out / "VERSION").write_text(version + "\n", encoding="utf-8")
        old = work / "old"
        if dest.exists():
            dest.rename(old)
        out.rename(dest)
    log(f"widget manager: installed {PACKAGE}@{version} into {dest}")
    return dest


def ensure(version: str = VERSION) -> Path:
    """The widget manager's folder, fetched first when it is missing."""
    if installed_version() is None:
        fetch(version, log=lambda _m: None)
    return widget_manager_dir()


if __name__ == "__main__":  # pragma: no cover - used by make
    try:
        fetch()
    except WidgetManagerMissing as exc:
        print(f"widget manager: {exc}", file=sys.stderr)
        sys.exit(1)
