"""Stopping a long command cleanly: SIGTERM handled as Ctrl-C, and the moment after
which a stop no longer undoes the work.

``ukspace-lab report`` and ``sweep`` run inside :func:`stoppable`: SIGINT and
SIGTERM raise :class:`Stopped` (a ``KeyboardInterrupt``) in the main thread,
so both take the same way out: partial folders removed, kernels and worker
processes shut down, one line, exit status 128 + the signal (130, 143).

Once the work is in place (a report folder swapped in), :func:`hold` turns
the signals into a note: the command finishes and reports success.
:func:`resume` (before the next scenario of a batch) raises the noted stop.
:func:`on_stop` runs a function at the signal, before the unwinding (a report
kills its kernel there, so no kernel is shut down politely mid-cell), and
:func:`finish` makes any later signal end the process with the status already
decided. A SIGINT ignored when the command started (``nohup``, a background
job) stays ignored. Outside :func:`stoppable` (the Python API), nothing here
changes a handler.
SIGKILL cannot be handled: what survives it is the atomic installs, the
cache's sealed entries and :mod:`ukspace_lab.lifeline`.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

SIGNALS = (signal.SIGINT, signal.SIGTERM)
_state: dict[str, Any] = {"active": False, "holding": False, "pending": None, "final": None}
_on_stop: list[Callable[[], None]] = []


class Stopped(KeyboardInterrupt):
    """SIGINT or SIGTERM arrived; ``exit_code`` is 128 + the signal number."""

    def __init__(self, signum: int = signal.SIGINT):
        super().__init__(signal.Signals(signum).name)
        self.signum = int(signum)

    @property
    def exit_code(self) -> int:
        """130 for SIGINT, 143 for SIGTERM (what a shell reports for a killed command)."""
        return 128 + self.signum


def exit_code(exc: BaseException) -> int:
    """The exit status of a command stopped by ``exc`` (a bare KeyboardInterrupt: 130)."""
    return exc.exit_code if isinstance(exc, Stopped) else 128 + signal.SIGINT


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()


def _on_signal(signum: int, frame: Any) -> None:
    if _state["final"] is not None:
        _flush()
        os._exit(_state["final"])
    if _state["holding"]:
        _state["pending"] = _state["pending"] or signum
        return
    for fn in list(_on_stop):
        with contextlib.suppress(Exception):
            fn()
    raise Stopped(signum)


@contextlib.contextmanager
def stoppable() -> Iterator[None]:
    """SIGINT and SIGTERM raise :class:`Stopped` while inside (main thread only);
    the previous handlers are restored on the way out (unless :func:`finish` ran)."""
    if threading.current_thread() is not threading.main_thread() or _state["active"]:
        yield
        return
    previous = {s: signal.getsignal(s) for s in SIGNALS}
    _state.update(active=True, holding=False, pending=None, final=None)
    try:
        for s in SIGNALS:
            if previous[s] is not signal.SIG_IGN:
                signal.signal(s, _on_signal)
        yield
    finally:
        if _state["final"] is None:
            for s, handler in previous.items():
                signal.signal(s, handler)
        _state.update(active=False, holding=False, pending=None)


def finish(code: int) -> None:
    """The outcome is decided: output is flushed, and a signal from now on ends the
    process at once with ``code`` (no traceback from the interpreter's tear-down)."""
    if not _state["active"]:
        return
    _flush()
    _state["final"] = int(code)


@contextlib.contextmanager
def on_stop(fn: Callable[[], None]) -> Iterator[None]:
    """Call ``fn`` at a SIGINT/SIGTERM, before :class:`Stopped` unwinds (while inside)."""
    _on_stop.append(fn)
    try:
        yield
    finally:
        _on_stop.remove(fn)


def hold() -> None:
    """From now on a SIGINT/SIGTERM is noted, not raised (inside :func:`stoppable`)."""
    if _state["active"]:
        _state["holding"] = True


def resume() -> None:
    """Raise again from now on; first raise :class:`Stopped` for a signal noted while held."""
    _state["holding"] = False
    pending, _state["pending"] = _state["pending"], None
    if pending:
        raise Stopped(pending)


def pending() -> int | None:
    """The signal noted while held, if any."""
    return _state["pending"]


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """SIGINT/SIGTERM arriving inside are acted on at the way out, not in the middle
    (main thread only). Python runs signal handlers in the main thread whichever
    thread the kernel delivered the signal to, so this holds where a signal mask
    (per thread) would not."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    if _state["active"]:
        was = _state["holding"]
        _state["holding"] = True
        try:
            yield
        except BaseException:
            _state["holding"] = was
            if not was and _state["pending"]:
                resume()           # the stop came first: the error is its consequence
            raise
        _state["holding"] = was
        if not was:
            resume()
        return
    got: list[int] = []
    previous = {s: signal.getsignal(s) for s in SIGNALS}
    for s, handler in previous.items():
        if handler not in (signal.SIG_IGN, None):
            signal.signal(s, lambda signum, frame: got.append(signum))
    try:
        yield
    finally:
        for s, handler in previous.items():
            if handler is not None:
                signal.signal(s, handler)
    if got:
        signal.raise_signal(got[0])
