"""The plain Python reference: the same event loop, run by the interpreter.

Every compiled function of the simulator is rebuilt from its Python source
(``py_func``) in a namespace where its callees are rebuilt the same way, so
``plain_runner()`` plays the identical algorithm one event at a time with no
numba anywhere. Given the same seed it must produce the same counts as the
compiled loop; the benchmark reports how much faster the compiled one is.
"""

from __future__ import annotations

import types
from functools import cache
from typing import Any

from numba.core.registry import CPUDispatcher

from . import loop


def _plain(fn: Any, memo: dict[int, Any]) -> Any:
    """``fn`` (a numba dispatcher) as a plain function with plain callees."""
    if id(fn) in memo:
        return memo[id(fn)]
    py = fn.py_func
    namespace: dict[str, Any] = {}
    plain = types.FunctionType(py.__code__, namespace, py.__name__, py.__defaults__,
                               py.__closure__)
    memo[id(fn)] = plain
    for key, value in py.__globals__.items():
        namespace[key] = _plain(value, memo) if isinstance(value, CPUDispatcher) else value
    return plain


@cache
def plain_functions() -> tuple[Any, Any]:
    """(run_chunk, finish) as uncompiled Python."""
    memo: dict[int, Any] = {}
    return _plain(loop.run_chunk, memo), _plain(loop.finish, memo)


def simulate_plain(scn, **kwargs):
    """:func:`ukspace_lab.sim.simulate` with the plain interpreter loop."""
    from .engine import simulate

    run, fin = plain_functions()
    return simulate(scn, runner=run, finisher=fin, **kwargs)
