"""The one place that decides how the simulator's hot functions are compiled.

``jit`` is numba's ``njit`` with an on-disk cache, so only the first run in a
checkout pays the compile time. :mod:`ukspace_lab.sim.reference` runs the same
functions uncompiled (their ``py_func``) as the plain Python reference.
"""

from __future__ import annotations

from numba import njit


def jit(fn):
    """Compile ``fn`` in nopython mode, cached on disk."""
    return njit(cache=True, nogil=True, _nrt=False)(fn)
