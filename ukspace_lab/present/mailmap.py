"""The writeup's address map: one or two strategies' 32-bit maps side by side,
top down and not to scale, in plain ASCII."""

from __future__ import annotations

import difflib

from ..model.layout import Area
from ..model.record import Evaluation
from . import fmt

BOX = 22                  # inner width of one column of the address map


SHORT_AREA = {"direct map (lowmem)": "direct map", "kernel: direct map": "direct map",
              "u-k-space (from kernel)": "u-k-space", "u-k-space (from user)": "u-k-space",
              "user (own 4 GiB space)": "user (4G/4G)", "user (64-bit)": "user"}


def _label(a: Area) -> str:
    name, size = SHORT_AREA.get(a.name, a.name), fmt.size(a.size)
    room = BOX - 2 - len(size) - 1
    return f" {name[:room]:<{room}} {size} "


def _merge(cols: list[list[Area]]) -> list[list[Area | None]]:
    """Rows of areas, top down, aligned by name across the columns."""
    keyed = []
    for col in cols:
        seen: dict[str, int] = {}
        keys = []
        for a in reversed(col):
            seen[a.name] = seen.get(a.name, 0) + 1
            keys.append((SHORT_AREA.get(a.name, a.name), seen[a.name]))
        keyed.append((keys, list(reversed(col))))
    if len(cols) == 1:
        return [[a] for a in keyed[0][1]]
    (ka, aa), (kb, ab) = keyed
    rows: list[list[Area | None]] = []
    sm = difflib.SequenceMatcher(a=ka, b=kb, autojunk=False)
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if tag == "equal":
            rows += [[aa[i], ab[j]] for i, j in zip(range(i1, i2), range(j1, j2), strict=True)]
        else:
            rows += [[aa[i], None] for i in range(i1, i2)]
            rows += [[None, ab[j]] for j in range(j1, j2)]
    return rows


def address_map(ev: Evaluation, names: list[str]) -> str:
    """The 32-bit maps of one or two strategies side by side, top down (not to scale)."""
    cols = [list(ev.results[n].layout) for n in names]
    if len(cols) == 2 and any(a.end > 0xFFFFFFFF for col in cols for a in col):
        cols, names = cols[1:], names[1:]      # a 64-bit map does not fit beside a 32-bit one
    rows = _merge(cols)
    wall, edge = f"|{' ' * BOX}|", f"+{'-' * BOX}+"
    n = len(cols)

    def line(addrs: list[str | None], cells: list[str]) -> str:
        left = f"{addrs[0]:>10} " if addrs[0] else " " * 11
        right = f" {addrs[1]}" if n == 2 and addrs[1] else ""
        return (left + "  ".join(cells) + right).rstrip()

    head = " " * 11 + "  ".join(f"{nm:^{BOX + 2}}" for nm in names)
    tops = [next(r[i] for r in rows if r[i] is not None) for i in range(n)]
    out = [head.rstrip(), line([f"{t.end:#010x}" for t in tops], [edge] * n)]
    for row in rows:
        out.append(line([None] * n, [f"|{_label(a)}|" if a else wall for a in row]))
        out.append(line([f"{a.start:#010x}" if a else None for a in row],
                        [edge if a else wall for a in row]))
    return "\n".join(out)
