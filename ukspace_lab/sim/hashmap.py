"""A page -> slot table: what ``page->virtual`` (2.4) or the ``page_address()``
hash (2.5.41+) answers for a pool: is this page still mapped, and where.

Open addressing with linear probing over ``keys``/``vals`` rows of a 2-row
array; deletion shifts later entries back, so there are no tombstones. Keys
are non-negative page ids below 2**35.
"""

from __future__ import annotations

from ._jit import jit

EMPTY = -1


@jit
def _home(key, mask):
    return ((key ^ (key >> 16)) * 73244475) & mask


@jit
def h_find(tab, key):
    """The slot mapping ``key``, or -1."""
    mask = tab.shape[1] - 1
    i = _home(key, mask)
    while True:
        k = tab[0, i]
        if k == key:
            return tab[1, i]
        if k == EMPTY:
            return -1
        i = (i + 1) & mask


@jit
def h_insert(tab, key, val):
    """Record that ``key`` is mapped at slot ``val`` (key not present)."""
    mask = tab.shape[1] - 1
    i = _home(key, mask)
    while tab[0, i] != EMPTY:
        i = (i + 1) & mask
    tab[0, i] = key
    tab[1, i] = val


@jit
def h_delete(tab, key):
    """Forget ``key`` (backward-shift deletion)."""
    mask = tab.shape[1] - 1
    i = _home(key, mask)
    while tab[0, i] != key:
        if tab[0, i] == EMPTY:
            return
        i = (i + 1) & mask
    j = i
    while True:
        j = (j + 1) & mask
        if tab[0, j] == EMPTY:
            break
        k = _home(tab[0, j], mask)
        if (j > i and (k <= i or k > j)) or (j < i and k <= i and k > j):
            tab[0, i] = tab[0, j]
            tab[1, i] = tab[1, j]
            i = j
    tab[0, i] = EMPTY
    tab[1, i] = EMPTY
