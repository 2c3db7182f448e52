"""The scenario schema's field types: what a count, a rate, a fraction, a size, a cost,
a line of text and a sweep value accept.

Each is an ``Annotated`` type, so a field names its kind and adds its own
bounds: ``tasks: Count = Field(400, ge=1)``. Every number refuses what pydantic's
lax mode would take silently: booleans (YAML's ``true`` is not 1), NaN and
infinity, integers too long to mean anything (a 100,000-digit literal arrives
from :mod:`~ukspace_lab.model.safeyaml` as an ``Oversized`` marker and is
refused here, under its key). Integer and float types of numpy are accepted as
the numbers they are.
"""

from __future__ import annotations

import math
import numbers
import re
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field

from ..units import MAX_SIZE, parse_size
from .safeyaml import Oversized

COUNT_LIMIT = 1 << 63     # no count the model takes comes near (PID_MAX is 32768)
NUMBER_CHARS = 40         # a number written as text, at most
TEXT_CHARS = 200          # a title fits a mail subject
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _refuse_non_numbers(v: Any) -> None:
    if isinstance(v, bool) or type(v).__name__ in ("bool_", "bool"):
        raise ValueError("a boolean (true/false) is not a number; give a number")
    if isinstance(v, Oversized):
        raise ValueError(f"an integer of {v.chars} characters is too large to mean anything")
    if isinstance(v, str) and len(v) > NUMBER_CHARS:
        raise ValueError(f"a text of {len(v)} characters is not a number")


def _whole(v: Any) -> Any:
    """A whole number: not a boolean, not past :data:`COUNT_LIMIT`."""
    if type(v) is int and -COUNT_LIMIT < v < COUNT_LIMIT:
        return v                                  # the common case, without the ABCs
    _refuse_non_numbers(v)
    if isinstance(v, numbers.Integral):
        v = int(v)
        too_big = abs(v) >= COUNT_LIMIT
    else:
        too_big = isinstance(v, float) and math.isfinite(v) and abs(v) >= COUNT_LIMIT
    if too_big:
        raise ValueError("too large to mean anything (at most 2**63)")
    return v


def _real(v: Any) -> Any:
    """A real number: not a boolean; numpy and int inputs as floats."""
    if type(v) is float:
        return v
    _refuse_non_numbers(v)
    if isinstance(v, numbers.Real) and not isinstance(v, float):
        try:
            v = float(v)
        except OverflowError:
            raise ValueError("too large to mean anything") from None
    return v


def _size(value: Any) -> Any:
    """Bytes from a count or a size such as ``16GiB`` (:func:`~ukspace_lab.units.parse_size`)."""
    if type(value) is int and 0 <= value <= MAX_SIZE:
        return value
    if isinstance(value, Oversized):
        _refuse_non_numbers(value)
    try:
        return parse_size(value)
    except ValueError as exc:
        raise ValueError(str(exc)) from None


def cost_problem(name: str, value: float) -> str:
    """What is wrong with cost figure ``name`` = ``value`` beyond finite and >= 0 ('' if
    nothing): the clock divides every cycle count, the live fraction is a share of the TLB."""
    if name == "clock_hz" and not value > 0:
        return "the clock must be > 0 Hz (every cycle count is divided by it)"
    if name == "cache_line_bytes" and not value >= 1:
        return "a cache line is at least 1 byte (line counts are divided by it)"
    if name == "tlb_live_fraction" and value > 1:
        return "a share of the TLB's entries, from 0 to 1"
    if name == "tlb_entries" and value != int(value):
        return "a whole number of TLB entries"
    return ""


def _one_line(v: str) -> str:
    if not _CONTROL.search(v):
        return v
    bad = sorted({f"U+{ord(c):04X}" for c in v if _CONTROL.match(c)})
    if bad:
        raise ValueError(f"control characters ({', '.join(bad[:4])}) do not belong in one line "
                         "of text")
    return v


def _scalar(v: Any) -> Any:
    """One sweep value: a number, a word or a boolean, checked again when it is swept."""
    if type(v) in (int, bool) or (type(v) is float and math.isfinite(v)):
        return v
    if type(v) is str and len(v) <= TEXT_CHARS and not _CONTROL.search(v):
        return v
    if isinstance(v, dict | list | tuple | set):
        raise ValueError("a sweep value is one number, size or word, not a "
                         f"{type(v).__name__}")
    if isinstance(v, Oversized):
        _refuse_non_numbers(v)
    if not isinstance(v, str | numbers.Real):
        raise ValueError("a sweep value is one number, size or word")
    if isinstance(v, numbers.Integral) and not isinstance(v, bool):
        v = int(v)
    elif isinstance(v, numbers.Real) and not isinstance(v, bool):
        v = float(v)
    if isinstance(v, float) and not math.isfinite(v):
        raise ValueError("NaN and infinity are not values")
    if isinstance(v, str):
        _one_line(v[:TEXT_CHARS])
        if len(v) > TEXT_CHARS:
            raise ValueError(f"a text of {len(v)} characters; at most {TEXT_CHARS}")
    return v


Count = Annotated[int, BeforeValidator(_whole)]
Rate = Annotated[float, BeforeValidator(_real), Field(ge=0, allow_inf_nan=False)]
Fraction = Annotated[float, BeforeValidator(_real), Field(ge=0, le=1, allow_inf_nan=False)]
Duration = Annotated[float, BeforeValidator(_real), Field(ge=0, allow_inf_nan=False)]
Cost = Annotated[float, BeforeValidator(_real), Field(ge=0, allow_inf_nan=False)]
Size = Annotated[int, BeforeValidator(_size), Field(ge=0)]
Text = Annotated[str, Field(max_length=TEXT_CHARS), AfterValidator(_one_line)]
SweepValue = Annotated[Any, BeforeValidator(_scalar)]

__all__ = ["COUNT_LIMIT", "Cost", "Count", "Duration", "Fraction", "Rate", "Size", "SweepValue",
           "Text", "cost_problem"]
