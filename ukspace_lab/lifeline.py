"""Worker processes that end with the command that started them, and its kernels.

A sweep's point workers and a batch report's workers start with
:func:`quiet_worker` or :func:`tie_to` as their initializer, naming the
command's pid, so a ``kill -9`` of the command leaves no orphan computing on:
a thread waits on a pidfd of the command (Linux 5.3+; else it polls every
``POLL_S``) and ends the worker when the command is gone. Watching the parent
would not do: a forkserver worker's parent is the forkserver, and the
forkserver stays alive as long as any of its workers hold its pipe open.
Jupyter kernels end on their own (ipykernel's ``ParentPollerUnix``), and
:func:`kill_own_groups` kills a command's kernels with all they started.
"""

from __future__ import annotations

import os
import select
import signal
import threading
import time

POLL_S = 0.5
CLEANUP_S = 15.0   # what a worker told to stop gets before it is ended anyway


def _wait_for_exit(pid: int) -> None:
    """Return once process ``pid`` has exited."""
    try:
        fd = os.pidfd_open(pid)
    except (AttributeError, OSError):
        fd = None
    if fd is not None:
        try:
            poller = select.poll()
            poller.register(fd, select.POLLIN)
            while not poller.poll(None):
                pass
        finally:
            os.close(fd)
        return
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        except PermissionError:
            pass
        time.sleep(POLL_S)


def _watch(pid: int, interrupt: bool) -> None:
    _wait_for_exit(pid)
    if interrupt:
        os.kill(os.getpid(), signal.SIGTERM)   # its own clean-up, or the default: death
        time.sleep(CLEANUP_S)
    os._exit(1)


def tie_to(pid: int, interrupt: bool = False) -> None:
    """End this process when process ``pid`` (the command) ends.

    ``interrupt=False``: at once, for workers holding nothing.
    ``interrupt=True``: a SIGTERM first, so a worker inside
    :func:`~ukspace_lab.interrupts.stoppable` removes what it was building and
    stops its own children (a kernel); ended anyway after ``CLEANUP_S``.
    """
    threading.Thread(target=_watch, args=(int(pid), interrupt), daemon=True,
                     name="ukspace-lifeline").start()


def quiet_worker(command_pid: int) -> None:
    """Initializer of sweep point workers: tied to the command, deaf to Ctrl-C (the
    command stops them itself; a worker's KeyboardInterrupt would print a traceback)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    tie_to(command_pid)


def _children() -> list[tuple[int, int]]:
    """(pid, process group) of this process's children, from ``/proc`` (Linux)."""
    me, out = os.getpid(), []
    try:
        names = os.listdir("/proc")
    except OSError:
        return out
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        fields = stat[stat.rfind(b")") + 2:].split()   # after "pid (comm) "
        if len(fields) > 2 and int(fields[1]) == me:
            out.append((int(name), int(fields[2])))
    return out


def kill_own_groups() -> int:
    """SIGKILL every child that leads a process group of its own, with its group:
    a Jupyter kernel (jupyter_client starts it in a new session) and whatever it
    started (a sweep's forkserver and workers). Returns how many groups."""
    killed = 0
    for pid, pgid in _children():
        if pgid == pid and pgid != os.getpgrp():
            try:
                os.killpg(pgid, signal.SIGKILL)
                killed += 1
            except OSError:
                continue
    return killed
