"""Putting a finished report folder in place, all at once.

A report is built in a temporary folder beside its destination; then
:func:`install_report` swaps it in with one ``renameat2(RENAME_EXCHANGE)``
(or two renames where that is missing) while SIGINT and SIGTERM are held
back, so a reader sees the old report or the new one, never a mix. Folders
left by renders that were killed are removed on the next render.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import re
import shutil
import signal
import threading
from collections.abc import Iterator
from pathlib import Path

from .execute import ReportFailed


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove_stale_partials(out_dir: Path, name: str) -> None:
    """Delete temporary folders left by renders that were killed (their pid is gone)."""
    for path in out_dir.glob(f".{name}.partial-*"):
        m = re.match(rf"\.{re.escape(name)}\.partial-(\d+)-", path.name)
        if m and not _pid_alive(int(m.group(1))):
            shutil.rmtree(path, ignore_errors=True)


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


@contextlib.contextmanager
def _no_interrupts() -> Iterator[None]:
    """Hold SIGINT/SIGTERM back while the report folder is swapped in (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held = {signal.SIGINT, signal.SIGTERM}
    old = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def install_report(tmp: Path, dest: Path) -> None:
    """Move the finished ``tmp`` folder to ``dest``, replacing a previous report at once."""
    if dest.exists() and not dest.is_dir():
        raise ReportFailed(f"{dest} exists and is not a report folder")
    with _no_interrupts():
        if not dest.exists():
            os.rename(tmp, dest)
            return
        if _exchange(tmp, dest):
            shutil.rmtree(tmp)  # now holds the previous report
            return
        old = dest.with_name(f".{dest.name}.old-{os.getpid()}")
        os.rename(dest, old)
        os.rename(tmp, dest)
    shutil.rmtree(old)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
