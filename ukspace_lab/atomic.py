"""Writing files so that a reader never sees half of one.

Every file the tool writes (a writeup, a sweep table, a cache entry, a
manifest) goes to a temporary file in the same folder first and is then
``os.replace``'d into place: killed at any moment, the old file or the new
one is there, never a torn one.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

TMP_PREFIX = ".tmp-"


def write_atomic(path: Path | str, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file and ``os.replace``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=TMP_PREFIX)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_text_atomic(path: Path | str, text: str, encoding: str = "utf-8") -> Path:
    """:func:`write_atomic` for text (``\\n`` line ends, no translation)."""
    return write_atomic(path, text.encode(encoding))
