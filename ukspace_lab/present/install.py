"""Putting a finished report folder in place, all at once.

A report is built in a temporary folder beside its destination
(``.<name>.partial-<pid>-*``); then :func:`install_report` swaps it in with one
``renameat2(RENAME_EXCHANGE)`` (or two renames where that is missing) while
SIGINT and SIGTERM are held back, so a reader sees the old report or the new
one, never a mix, and the old one keeps verifying against its manifest until
the swap. A render killed with SIGKILL leaves its partial folder (or, between
the two fallback renames, the previous report as ``.<name>.old-<pid>``):
:func:`remove_stale`, at the start of the next render, deletes the folders of
processes that are gone and puts a stranded previous report back.
"""

from __future__ import annotations

import ctypes
import errno
import os
import re
import shutil
from pathlib import Path

from ..interrupts import deferred
from .execute import ReportFailed


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _owner(path: Path, name: str, kind: str) -> int | None:
    m = re.match(rf"\.{re.escape(name)}\.{kind}-(\d+)(-|$)", path.name)
    return int(m.group(1)) if m else None


def remove_stale(out_dir: Path, name: str) -> list[Path]:
    """Clear what renders of ``name`` killed with SIGKILL left in ``out_dir``; what was removed.

    Partial folders whose pid is gone are deleted. A previous report stranded as
    ``.<name>.old-<pid>`` (the fallback's two renames cut between) goes back to
    ``<name>`` when that is missing, else is deleted.
    """
    removed = []
    for kind in ("old", "partial"):
        for path in sorted(out_dir.glob(f".{name}.{kind}-*")):
            pid = _owner(path, name, kind)
            if pid is None or _pid_alive(pid):
                continue
            if kind == "old" and not (out_dir / name).exists():
                os.rename(path, out_dir / name)
                continue
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


_RENAME_EXCHANGE = 2


_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths (Linux renameat2 RENAME_EXCHANGE); False if unsupported."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                          ctypes.c_uint]
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def install_report(tmp: Path, dest: Path) -> None:
    """Move the finished ``tmp`` folder to ``dest``, replacing a previous report at once."""
    if dest.exists() and not dest.is_dir():
        raise ReportFailed(f"{dest} exists and is not a report folder")
    with deferred():
        if not dest.exists():
            os.rename(tmp, dest)
            return
        if _exchange(tmp, dest):
            old = tmp                   # now holds the previous report, under a partial name
        else:
            old = dest.with_name(f".{dest.name}.old-{os.getpid()}")
            os.rename(dest, old)
            os.rename(tmp, dest)
    shutil.rmtree(old, ignore_errors=True)   # cut short: remove_stale finishes it


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
