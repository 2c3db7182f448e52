"""A content-addressed, crash-safe cache of sweep results under ``.cache/sweeps/``.

An entry's key is the SHA-256 of the canonical JSON of what determines it (the
validated point's plain parameters, the engine, the model version, ...). Each
entry is written to a temporary file and ``os.replace``'d into place, and
carries its own key and the SHA-256 and length of its payload. On read:

- a truncated or corrupt entry (flipped bytes, a disk full, a crash before the
  data reached the disk) fails the checksum;
- an entry copied over another's path carries the other key;
- an entry replaced by a directory, or one that cannot be read, raises an
  ``OSError``;

and each is treated as a miss: deleted and recomputed, never read as data and
never a crash. A write that cannot be made (a directory in the way that cannot
be removed, a full disk) leaves the result uncached. Killing a writer at any
moment therefore loses nothing but the entries it had not yet renamed into place.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import shutil
import time
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd

from ..atomic import TMP_PREFIX, write_atomic
from ..resources import PACKAGE_DIR, cache_dir, data_dir

MAGIC = b"ukspace-lab cache 2\n"   # then "<key> <sha256> <length>\n" and the payload
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


def _seal(key: str, payload: bytes) -> bytes:
    digest = hashlib.sha256(payload).hexdigest()
    return MAGIC + f"{key} {digest} {len(payload)}\n".encode("ascii") + payload


def _unseal(key: str, blob: bytes) -> bytes | None:
    """The payload of an entry sealed under ``key``, or None when any byte of it is wrong
    (the magic, the key it was written for, its length or its checksum)."""
    if not blob.startswith(MAGIC):
        return None
    header, sep, payload = blob[len(MAGIC):].partition(b"\n")
    fields = header.split(b" ")
    if not sep or len(fields) != 3 or fields[0] != key.encode("ascii", "replace"):
        return None
    digest, length = fields[1], fields[2]
    if not length.isdigit() or int(length) != len(payload):
        return None
    if hashlib.sha256(payload).hexdigest().encode("ascii") != digest:
        return None
    return payload


def _evict(path: Path) -> None:
    """Remove whatever sits at ``path`` (a file, a link, a directory); never raises."""
    with contextlib.suppress(OSError):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)


@dataclass(frozen=True)
class SweepCache:
    """Sealed entries in ``root/<key[:2]>/<key>``; safe for concurrent readers and writers."""

    root: Path = field(default_factory=sweep_cache_dir)

    def path(self, key: str) -> Path:
        """Where the entry of ``key`` lives."""
        return Path(self.root) / key[:2] / key

    def get(self, key: str) -> bytes | None:
        """The payload of ``key``; None when absent or unusable (then it is removed):
        damaged, written for another key, a directory, or unreadable."""
        path = self.path(key)
        try:
            blob = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError:                   # a directory, unreadable, a shard that is a file
            _evict(path if path.parent.is_dir() else path.parent)
            return None
        payload = _unseal(key, blob)
        if payload is None:
            _evict(path)
        return payload

    def put(self, key: str, payload: bytes) -> bool:
        """Store ``payload`` under ``key`` atomically, sealed with its key and checksum.

        Whatever is in the way (a directory at the entry's path, a file at its
        shard's) is removed and the write retried once; False when it still
        cannot be written (the result is then simply not cached).
        """
        path, blob = self.path(key), _seal(key, payload)
        for _ in range(2):
            try:
                write_atomic(path, blob)
                return True
            except OSError:
                _evict(path.parent if path.parent.exists() and not path.parent.is_dir()
                       else path)
        return False

    def get_frame(self, key: str) -> pd.DataFrame | None:
        """A cached DataFrame, or None (absent, damaged, or not Parquet: then deleted)."""
        payload = self.get(key)
        if payload is None:
            return None
        try:
            return frame_from_bytes(payload)
        except Exception:  # a valid seal around bytes pyarrow cannot read: treat as damaged
            _evict(self.path(key))
            return None

    def put_frame(self, key: str, df: pd.DataFrame) -> bool:
        """Store a DataFrame as Parquet under ``key`` (False: it could not be written)."""
        return self.put(key, frame_to_bytes(df))

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
