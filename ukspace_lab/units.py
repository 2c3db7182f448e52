"""Sizes in and out: ``"16GiB"``, ``"64KiB"``, ``4096`` and back."""

from __future__ import annotations

import math
import numbers
import re

from .errors import shown

KiB = 1 << 10
MiB = 1 << 20
GiB = 1 << 30
TiB = 1 << 40
PAGE_SIZE = 4096
MAX_SIZE = 1 << 64          # no size of a 32- or 64-bit x86 machine is larger
_MAX_SIZE_TEXT = 40        # "18446744073709551616" is 20 characters

_UNITS = {"": 1, "B": 1, "KIB": KiB, "MIB": MiB, "GIB": GiB, "TIB": TiB,
          "K": KiB, "M": MiB, "G": GiB, "T": TiB}
_SIZE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]?(?:iB)?|B)?\s*$", re.IGNORECASE)


class SizeError(ValueError):
    """A string that is not a size."""


def parse_size(value: int | float | str) -> int:
    """Bytes from ``4096``, ``"64KiB"``, ``"16GiB"`` or ``"1.5GiB"``.

    Binary units only (KiB = 1024 B); the bare letters K, M, G, T mean the same.
    Decimal "kB/MB/GB" are refused rather than guessed. Any integer type
    (numpy's too) is a byte count; booleans, non-finite numbers and sizes past
    :data:`MAX_SIZE` are refused.
    """
    if isinstance(value, bool) or type(value).__name__ in ("bool_", "bool"):
        raise SizeError(f"{value!r} is not a size")
    if isinstance(value, numbers.Integral):
        return _bounded(int(value), value)
    if isinstance(value, numbers.Real):
        value = float(value)
        if not math.isfinite(value) or value < 0 or value != int(value):
            raise SizeError(f"{value!r} is not a whole number of bytes")
        return _bounded(int(value), value)
    if not isinstance(value, str):
        raise SizeError(f"{type(value).__name__} is not a size")
    if len(value) > _MAX_SIZE_TEXT:
        raise SizeError(f"a text of {len(value)} characters is not a size; use a byte count or "
                        "a binary unit such as 64KiB, 32MiB, 16GiB")
    m = _SIZE_RE.match(value)
    unit = (m.group(2) or "").upper() if m else ""
    if not m or unit not in _UNITS:
        raise SizeError(
            f"{value!r} is not a size; use a byte count or a binary unit such "
            "as 64KiB, 32MiB, 16GiB"
        )
    number = float(m.group(1)) * _UNITS[unit]
    if not math.isfinite(number) or number != int(number):
        raise SizeError(f"{value!r} is not a whole number of bytes")
    return _bounded(int(number), value)


def _bounded(n: int, given: object) -> int:
    if n < 0:
        raise SizeError(f"{shown(given)} is negative")
    if n > MAX_SIZE:
        raise SizeError("larger than 16 EiB (2**64 bytes, a 64-bit address space); no "
                        "size here can be that large")
    return n


def format_size(nbytes: float, precision: int = 1) -> str:
    """``16 GiB``, ``3.5 MiB``, ``512 B``: the largest unit that keeps the number >= 1."""
    sign = "-" if nbytes < 0 else ""
    n = abs(float(nbytes))
    for name, unit in (("TiB", TiB), ("GiB", GiB), ("MiB", MiB), ("KiB", KiB)):
        if n >= unit:
            value = n / unit
            text = f"{value:.{precision}f}".rstrip("0").rstrip(".")
            return f"{sign}{text} {name}"
    return f"{sign}{n:.0f} B"


def size_token(nbytes: int) -> str:
    """The compact form used in scenario files: ``16GiB``, ``64KiB``, ``4096``."""
    for name, unit in (("TiB", TiB), ("GiB", GiB), ("MiB", MiB), ("KiB", KiB)):
        if nbytes and nbytes % unit == 0:
            return f"{nbytes // unit}{name}"
    return str(nbytes)
