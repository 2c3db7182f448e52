"""The figures' shared style and deterministic saving.

Figures are plain :class:`matplotlib.figure.Figure` objects (no pyplot state,
so no backend and no leaked figures); :func:`use_style` teaches IPython to show
them. :func:`save_figure` and :func:`save_data` write the same bytes for the
same inputs: PNG without the Software tag, SVG without a date and with a fixed
hash salt, CSV with a fixed float format. Every strategy keeps one colour in
every figure.
"""

from __future__ import annotations

import io
from pathlib import Path

import matplotlib as mpl
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure

from ...model.strategies import strategy_names

DPI = 100


SVG_SALT = "ukspace-lab"


CSV_FLOAT = "%.12g"


MiB = float(1 << 20)


STRATEGY_COLORS = dict(zip(strategy_names(),
                           sns.color_palette("tab10", len(strategy_names())).as_hex(),
                           strict=True))


AREA_COLORS = {"user": "#9ecae1", "u-k-space": "#e6550d", "direct map": "#74c476",
               "vmalloc": "#bcbddc", "pkmap": "#fd8d3c",
               "fixmap": "#fdd0a2", "guard": "#f0f0f0", "unused": "#ffffff"}


LABELS = {
    "global_tlb_flushes_per_s": "global TLB flushes [1/s]", "ipis_per_s": "IPIs [1/s]",
    "local_tlb_flushes_per_s": "local TLB flushes [1/s]", "cpu_overhead_pct": "CPU cost [%]",
    "kmaps_per_s": "kmaps [1/s]", "invlpg_per_s": "invlpg [1/s]",
    "highmem_cache_fraction": "page cache in highmem [%]",
    "lowmem_free_mib": "lowmem free [MiB]",
}


def use_style() -> None:
    """The seaborn theme, and IPython display of bare Figures as PNG."""
    sns.set_theme(context="notebook", style="whitegrid", palette="tab10")
    mpl.rcParams["svg.hashsalt"] = SVG_SALT
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython ships with ipykernel
        return
    ip = get_ipython()
    if ip is not None:
        ip.display_formatter.formatters["image/png"].for_type(Figure, figure_png)


def new_figure(width: float, height: float, **kw) -> Figure:
    """A Figure of ``width`` x ``height`` inches, constrained layout."""
    return Figure(figsize=(width, height), dpi=DPI, layout="constrained", **kw)


def figure_png(fig: Figure) -> bytes:
    """The PNG bytes of ``fig`` (no Software tag, so stable across runs)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None})
    return buf.getvalue()


def figure_svg(fig: Figure) -> bytes:
    """The SVG bytes of ``fig`` (no date, fixed id salt)."""
    buf = io.BytesIO()
    with mpl.rc_context({"svg.hashsalt": SVG_SALT, "svg.fonttype": "path"}):
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    return buf.getvalue()


def save_figure(fig: Figure, name: str, output_dir: str | Path) -> list[Path]:
    """Write ``<output_dir>/figures/<name>.png`` and ``.svg``; nothing when output_dir is ''."""
    if not str(output_dir):
        return []
    out = Path(output_dir) / "figures"
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / f"{name}.png", out / f"{name}.svg"]
    paths[0].write_bytes(figure_png(fig))
    paths[1].write_bytes(figure_svg(fig))
    return paths


def save_data(df: pd.DataFrame, name: str, output_dir: str | Path) -> None:
    """Write ``<output_dir>/data/<name>.csv`` (fixed float format, every digit kept);
    nothing when ''. Returns None, so a notebook cell ending in it shows no path."""
    if not str(output_dir):
        return
    out = Path(output_dir) / "data"
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{name}.csv"
    path.write_text(df.to_csv(index=False, float_format=CSV_FLOAT, lineterminator="\n"),
                    encoding="utf-8")


def _num(x: float) -> str:
    """A bar label: whole numbers from 100 up (with thousands separators), else 3 digits."""
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.3g}"


def _compact_x(ax) -> None:
    """Engineering tick labels (10k, 1M) so large rates do not overlap (from 10k up)."""
    from matplotlib.ticker import EngFormatter
    if ax.get_xlim()[1] >= 1e4:
        ax.xaxis.set_major_formatter(EngFormatter(sep=""))


def _palette(names) -> dict[str, str]:
    return {n: STRATEGY_COLORS[n] for n in names}


def _order(names) -> list[str]:
    """Strategies in the canonical order (mainline first), as seaborn's hue_order."""
    present = set(names)
    return [s for s in strategy_names() if s in present]


def _rate_axis(ax, data: pd.Series) -> None:
    """Symlog for rates spanning decades (zeros stay on the axis), linear otherwise."""
    pos = data[data > 0]
    if len(pos) and pos.max() / max(pos.min(), 1e-12) > 50:
        ax.set_yscale("symlog", linthresh=max(pos.min(), 1e-3))
    ax.set_ylim(bottom=0)


def _log2_x(ax, values) -> None:
    ax.set_xscale("log", base=2)
    ticks = sorted(set(values))
    ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
    ax.minorticks_off()
