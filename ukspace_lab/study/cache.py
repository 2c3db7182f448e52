"""A content-addressed, crash-safe cache of sweep results under ``.cache/sweeps/``.

An entry's key is the SHA-256 of the canonical JSON of what determines it (the
validated point's plain parameters, the engine, the model version, ...). Each
entry is written to a temporary file and ``os.replace``'d into place, and
carries the SHA-256 of its payload: a truncated or corrupt entry (a disk full,
a crash before the data reached the disk) is detected, deleted and recomputed,
never read as data. Killing a writer at any moment therefore loses nothing but
the entries it had not yet renamed into place.
"""

from __future__ import annotations

import hashlib
import io
import json
import time
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd

from ..atomic import TMP_PREFIX, write_atomic
from ..resources import PACKAGE_DIR, cache_dir, data_dir

MAGIC = b"ukspace-lab cache 1\n"
STALE_TEMP_SECONDS = 3600.0
COMPUTING = ("units.py", "model/*.py", "sim/*.py", "study/*.py")  # what decides a result


def canonical_json(obj: Any) -> str:
    """One spelling per value: sorted keys, no spaces, plain JSON types only."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True,
                      allow_nan=False)


def cache_key(parts: dict[str, Any]) -> str:
    """The SHA-256 (hex) of the canonical JSON of ``parts``."""
    return hashlib.sha256(canonical_json(parts).encode("ascii")).hexdigest()


@cache
def code_fingerprint() -> str:
    """SHA-256 of the model's source and data (``data/*.yaml``, the computing modules).

    Part of every key, so an edited formula or cost figure never serves stale
    results, even when MODEL_VERSION was not bumped. The presentation (text,
    plots, reports) is left out: editing it keeps the cache.
    """
    digest = hashlib.sha256()
    files = [("data/" + f.name, f) for f in sorted(data_dir().glob("*.yaml"))]
    files += [(f.relative_to(PACKAGE_DIR).as_posix(), f)
              for pattern in COMPUTING for f in sorted(PACKAGE_DIR.glob(pattern))]
    for name, f in files:
        digest.update(name.encode() + b"\0" + f.read_bytes() + b"\0")
    return digest.hexdigest()


def sweep_cache_dir() -> Path:
    """Where sweep results are cached (``sweeps/`` of :func:`ukspace_lab.resources.cache_dir`)."""
    return cache_dir() / "sweeps"


def frame_to_bytes(df: pd.DataFrame) -> bytes:
    """A DataFrame as Parquet bytes (dtypes and floats round-trip exactly).

    ``df.attrs`` is left out: pandas would store it in the file, and it holds
    run facts (points cached, simulator distributions), not results.
    """
    buf = io.BytesIO()
    bare = df.copy(deep=False)
    bare.attrs = {}
    bare.to_parquet(buf, index=False, engine="pyarrow")
    return buf.getvalue()


def frame_from_bytes(payload: bytes) -> pd.DataFrame:
    """The DataFrame of :func:`frame_to_bytes`."""
    return pd.read_parquet(io.BytesIO(payload), engine="pyarrow")


def _seal(payload: bytes) -> bytes:
    digest = hashlib.sha256(payload).hexdigest().encode("ascii")
    return MAGIC + digest + b" " + str(len(payload)).encode("ascii") + b"\n" + payload


def _unseal(blob: bytes) -> bytes | None:
    """The payload of a sealed entry, or None when any byte of it is wrong."""
    if not blob.startswith(MAGIC):
        return None
    header, sep, payload = blob[len(MAGIC):].partition(b"\n")
    digest, _, length = header.partition(b" ")
    if not sep or not length.isdigit() or int(length) != len(payload):
        return None
    if hashlib.sha256(payload).hexdigest().encode("ascii") != digest:
        return None
    return payload


@dataclass(frozen=True)
class SweepCache:
    """Sealed entries in ``root/<key[:2]>/<key>``; safe for concurrent readers and writers."""

    root: Path = field(default_factory=sweep_cache_dir)

    def path(self, key: str) -> Path:
        """Where the entry of ``key`` lives."""
        return Path(self.root) / key[:2] / key

    def get(self, key: str) -> bytes | None:
        """The payload of ``key``; None when absent or damaged (a damaged entry is deleted)."""
        path = self.path(key)
        try:
            blob = path.read_bytes()
        except FileNotFoundError:
            return None
        payload = _unseal(blob)
        if payload is None:
            path.unlink(missing_ok=True)
        return payload

    def put(self, key: str, payload: bytes) -> None:
        """Store ``payload`` under ``key`` atomically, with its checksum."""
        write_atomic(self.path(key), _seal(payload))

    def get_frame(self, key: str) -> pd.DataFrame | None:
        """A cached DataFrame, or None (absent, damaged, or not Parquet: then deleted)."""
        payload = self.get(key)
        if payload is None:
            return None
        try:
            return frame_from_bytes(payload)
        except Exception:  # a valid seal around bytes pyarrow cannot read: treat as damaged
            self.path(key).unlink(missing_ok=True)
            return None

    def put_frame(self, key: str, df: pd.DataFrame) -> None:
        """Store a DataFrame as Parquet under ``key``."""
        self.put(key, frame_to_bytes(df))

    def prune_temporaries(self, older_than_s: float = STALE_TEMP_SECONDS) -> int:
        """Delete temporary files left by killed writers; returns how many."""
        root = Path(self.root)
        if not root.is_dir():
            return 0
        cutoff = time.time() - older_than_s
        removed = 0
        for tmp in root.glob(f"*/{TMP_PREFIX}*"):
            try:
                if tmp.stat().st_mtime < cutoff:
                    tmp.unlink()
                    removed += 1
            except FileNotFoundError:
                continue
        return removed


__all__ = ["SweepCache", "cache_key", "canonical_json", "code_fingerprint", "frame_from_bytes",
           "frame_to_bytes", "sweep_cache_dir", "write_atomic"]
