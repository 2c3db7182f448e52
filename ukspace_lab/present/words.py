"""Numbers as the sentences of a verdict say them: factors, rates, percentages."""

from __future__ import annotations

import math

from ..study.rows import MAX_THREADS_SWEPT, Comparison
from . import fmt


def times(f: float) -> str:
    """A factor to two significant figures: ``5.6x``, ``25x``, ``7,700x``."""
    if math.isinf(f):
        return "infinitely"
    return f"{float(f'{f:.2g}'):,.2g}x" if f < 9.95 else f"{float(f'{f:.2g}'):,.0f}x"


def pct(x: float) -> str:
    """Percentages without exponents: tiny values as ``<0.001%``."""
    if x != 0 and abs(x) < 0.001:
        return "<0.001%"
    return fmt.pct(x)


def per_s(x: float, noun: str = "") -> str:
    """A rate with its unit: ``4.43k/s`` or ``4.43k IPIs/s``."""
    return f"{fmt.rate(x)} {noun}/s" if noun else f"{fmt.rate(x)}/s"


def by_factor(c: Comparison, more: str, less: str) -> str:
    """``, 5.6x less`` or ``, 2x more``; ``, none left`` when the proposal has
    none, nothing when the baseline has none (the numbers already say it)."""
    if math.isinf(c.factor):
        return ", none left" if c.proposal == 0 else ""
    return f", {times(c.factor)} {more if c.proposal > c.baseline else less}"


def threads_range(top: float, tasks: int) -> str:
    note = f", all PID_MAX allows at {fmt.count(tasks)} tasks" \
        if top < MAX_THREADS_SWEPT else ""
    return f"{fmt.count(top)} per task{note}"


def _plural(n: float, word: str) -> str:
    return f"{fmt.count(n)} {word}{'' if n == 1 else 's'}"


def _join(items: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]
