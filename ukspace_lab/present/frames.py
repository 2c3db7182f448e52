"""Tables for a reader: a tidy DataFrame's numbers as text, chosen by column name.

The tidy CSVs in a report's ``data/`` keep every digit; the tables shown in a
notebook, the report page and the explorers go through :func:`reader_frame`:
``*_bytes`` as KiB/MiB/GiB, ``*_per_s`` as rates with three significant
figures, ``*_pct`` and fractions as ``%``, ratios as ``x``, counts with
thousands separators, and any other float without an exponent. A table in
long form (a ``metric`` column naming what each row holds) formats each row
by its metric. :func:`summarise` shortens a long table to its extremes per group.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pandas as pd

from . import fmt

Format = Callable[[Any], str]


def number(x: Any) -> str:
    """A plain number with four significant figures and no exponent: ``0.0381``,
    ``295.4``, ``1,713,779,000``; tiny values as ``<0.0001``."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    if isinstance(x, bool) or not isinstance(x, int | float):
        return str(x)
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if x == 0:
        return "0"
    if float(x).is_integer() and abs(x) >= 1:
        return f"{int(x):,}"
    if abs(x) < 1e-4:
        return "<0.0001" if x > 0 else ">-0.0001"
    digits = max(0, 3 - math.floor(math.log10(abs(x))))
    return f"{x:,.{digits}f}".rstrip("0").rstrip(".")


def ratio(x: Any) -> str:
    """A ratio as ``1.02x``, ``7,743x``; infinity as ``inf``."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    if math.isinf(x):
        return "inf"
    if x != 0 and abs(x) < 0.001:
        return "<0.001x"
    if abs(x) >= 1e6:
        return ">1,000,000x" if x > 0 else "<-1,000,000x"
    return f"{x:,.3g}x" if abs(x) < 1000 else f"{x:,.0f}x"


def _safe(f: Format) -> Format:
    """``f`` for finite numbers; NaN as ``-``, infinity as ``inf``, text as it is."""
    def g(x: Any) -> str:
        if x is None or isinstance(x, bool | str):
            return "-" if x is None else str(x)
        if isinstance(x, float) and math.isnan(x):
            return "-"
        if isinstance(x, int | float) and math.isinf(x):
            return "inf" if x > 0 else "-inf"
        return f(x)
    return g


EXACT: dict[str, Format] = {
    "highmem_cache_fraction": lambda x: fmt.pct(100 * x),
    "kmap_lock_utilization": lambda x: fmt.pct(100 * x),
    "factor": ratio, "sim_over_closed": ratio,
    "ram_gib": lambda x: f"{x:g} GiB",
}
COUNT_NAMES = ("rows", "tasks", "max_tasks", "scenario_tasks", "pool_entries", "threads_per_task",
               "pte_pages_per_task", "cpus", "events")


def column_format(name: str) -> Format | None:
    """The format of a column (or a long table's metric) called ``name``; None keeps the
    generic :func:`number`. A summary's ``min x``/``median x``/``max x`` format as ``x``."""
    name = name.rsplit(" ", 1)[-1]
    if name in EXACT:
        return _safe(EXACT[name])
    if name.endswith("_bytes"):
        return _safe(fmt.size)
    if name.endswith("_per_s"):
        return _safe(fmt.rate)
    if name.endswith("_pct"):
        return _safe(fmt.pct)
    if name.endswith(("_fraction", "_utilization", "_share")):
        return _safe(lambda x: fmt.pct(100 * x))
    if name.endswith(("_over_closed", "_ratio")):
        return _safe(ratio)
    if name in COUNT_NAMES or name.endswith("_count"):
        return _safe(number)
    return None


def _cell(x: Any, f: Format | None) -> str:
    if f is not None:
        return f(x)
    return number(x) if isinstance(x, int | float) and not isinstance(x, bool) else str(x)


def reader_frame(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with every number as text for a reader (see the module docstring)."""
    shown = df.astype(object).copy()
    long = "metric" in df.columns
    for col in df.columns:
        if col == "metric":
            continue
        f = column_format(str(col))
        if long and f is None and pd.api.types.is_numeric_dtype(df[col].dtype) \
                and not pd.api.types.is_bool_dtype(df[col].dtype):
            shown[col] = [_cell(x, column_format(str(m))) for x, m in zip(df[col], df["metric"],
                                                                          strict=True)]
        else:
            shown[col] = [_cell(x, f) for x in df[col]]
    return shown


def table_html(df: pd.DataFrame) -> str:
    """``df`` as an HTML table for a reader: :func:`reader_frame`'s text, numbers right-
    and words left-aligned, the first column unbroken, wide tables scrolled sideways."""
    import html

    shown = reader_frame(df)
    numeric = [pd.api.types.is_numeric_dtype(df[c].dtype)
               and not pd.api.types.is_bool_dtype(df[c].dtype) for c in df.columns]

    def cell(tag: str, text: Any, i: int) -> str:
        style = "text-align:right" if numeric[i] else "text-align:left"
        if i == 0:
            style += ";white-space:nowrap"
        return f'<{tag} style="{style}">{html.escape(str(text))}</{tag}>'

    head = "".join(cell("th", c, i) for i, c in enumerate(df.columns))
    body = "\n".join("<tr>" + "".join(cell("td", v, i) for i, v in enumerate(row)) + "</tr>"
                     for row in shown.itertuples(index=False))
    return (f'<div style="overflow-x:auto"><table class="ukspace-table" border="0">\n'
            f"<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody></table></div>")


def summarise(df: pd.DataFrame, by: list[str], value: str) -> pd.DataFrame:
    """One row per ``by`` group: rows, and the smallest, median and largest ``value``
    (a long table's agreement column, say), so a page shows the shape and ``data/``
    keeps every row."""
    finite = df[value].replace([float("inf"), float("-inf")], float("nan"))
    grouped = df.assign(_v=finite).groupby(by, sort=False)["_v"]
    out = grouped.agg(["size", "min", "median", "max"]).reset_index()
    out.columns = [*by, "rows", f"min {value}", f"median {value}", f"max {value}"]
    return out


def summary_html(df: pd.DataFrame, by: list[str], value: str, full: str | None = None) -> str:
    """:func:`summarise` as an HTML table for a reader, with a relative link to the
    full table (``full``, e.g. ``data/04-agreement.csv``) when it was saved."""
    import html

    table = table_html(summarise(df, by, value))
    rows = f"{len(df):,} rows"
    note = (f'<p>Summary of {rows}; every row: <a href="{html.escape(full)}">'
            f"{html.escape(full)}</a>.</p>" if full else f"<p>Summary of {rows}.</p>")
    return table + "\n" + note


def show_summary(df: pd.DataFrame, by: list[str], value: str, output_dir: str = "",
                 name: str = ""):
    """:func:`summary_html` for a notebook cell, linking ``data/<name>.csv`` (relative to
    the report page) when ``output_dir`` is set, i.e. when plots.save_data wrote it."""
    from IPython.display import HTML

    full = f"data/{name}.csv" if str(output_dir) and name else None
    return HTML(summary_html(df, by, value, full))


__all__ = ["column_format", "number", "ratio", "reader_frame", "show_summary", "summarise",
           "summary_html", "table_html"]
