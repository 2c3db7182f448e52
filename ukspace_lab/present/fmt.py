"""Plain-text number formatting shared by the CLI, the writeup and the notebooks."""

from __future__ import annotations

import math
import textwrap
import unicodedata

from ..units import format_size

WIDTH = 72                # the mail's columns


def wrap(text: str, indent: str = "") -> str:
    """One paragraph filled to 72 columns, never breaking words or hyphens."""
    return textwrap.fill(text, WIDTH, initial_indent=indent, subsequent_indent=indent,
                         break_long_words=False, break_on_hyphens=False)


def rate(x: float) -> str:
    """``12.3k/s``-style rates with three significant figures."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    if x == 0:
        return "0"
    for unit, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(x) >= scale:
            return f"{x / scale:.3g}{unit}"
    if abs(x) >= 1:
        return f"{x:.3g}"
    if abs(x) < 0.01:
        return "<0.01"
    return f"{x:.2g}"


def pct(x: float) -> str:
    """Percentages with sensible precision."""
    if x == 0:
        return "0%"
    if abs(x) >= 100:
        return f"{x:.0f}%"
    if abs(x) >= 0.1:
        return f"{x:.3g}%"
    return f"{x:.2g}%"


def pct_range(bounds: tuple[float, float]) -> str:
    """An interval of percentages as ``0.1-0.31%`` (one figure when it is closed)."""
    lo, hi = bounds
    if lo == hi:
        return pct(lo)
    return f"{pct(lo)[:-1] if lo else '0'}-{pct(hi)}"


def size(x: float) -> str:
    """Bytes as ``896 MiB``."""
    return format_size(x)


def count(x: float) -> str:
    """Whole counts; infinity as 'inf'."""
    if math.isinf(x):
        return "inf"
    return f"{int(x):,}"


def render_table(headers: list[str], rows: list[list[str]], align: str | None = None) -> str:
    """A space-aligned plain-text table (first column left, others right)."""
    align = align or "l" + "r" * (len(headers) - 1)
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]

    def line(cells: list[str]) -> str:
        out = []
        for c, w, a in zip(cells, widths, align, strict=True):
            out.append(str(c).ljust(w) if a == "l" else str(c).rjust(w))
        return "  ".join(out).rstrip()

    sep = "  ".join("-" * w for w in widths)
    return "\n".join([line(headers), sep, *[line(r) for r in rows]])


def ascii_text(text: str) -> str:
    """``text`` in ASCII for the mail: accents dropped by Unicode decomposition
    (``Café`` -> ``Cafe``, NFKD), anything with no ASCII form as ``?``."""
    if text.isascii():
        return text
    plain = "".join(c for c in unicodedata.normalize("NFKD", text)
                    if not unicodedata.combining(c))
    return plain.encode("ascii", "replace").decode("ascii")
