"""Figures of the calibration: the real kernel (markers) against the model (lines/bars).

Each function takes the table of :func:`ukspace_lab.calibrate.compare.compare` and
returns a plain :class:`matplotlib.figure.Figure` (no pyplot state).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..present.plots import STRATEGY_COLORS, new_figure

GIB = float(1 << 30)
MIB = float(1 << 20)
KERNEL = dict(marker="o", linestyle="none", color="black", label="kernel (QEMU guest)")


def lowmem_vs_ram_figure(table: pd.DataFrame) -> Figure:
    """LowTotal and HighTotal against guest RAM: kernel points, model line."""
    fig = new_figure(9, 3.5)
    mem = table[table["table"] == "meminfo_vs_ram"].sort_values("ram_bytes")
    for ax, quantity in zip(fig.subplots(1, 2), ("LowTotal", "HighTotal"), strict=True):
        q = mem[mem["quantity"] == quantity]
        ram = q["ram_bytes"] / GIB
        ax.plot(ram, q["measured"] / 1024, **KERNEL)
        ax.plot(ram, q["predicted"] / 1024, color=STRATEGY_COLORS["highpte"], label="model")
        ax.set(xlabel="guest RAM [GiB]", ylabel=f"{quantity} [MiB]", title=quantity)
        ax.legend()
    return fig


def pagetables_figure(table: pd.DataFrame) -> Figure:
    """Per-process pagetables (left) and lowmem used per process (right) against segment size."""
    fig = new_figure(10, 3.8)
    pt = table[(table["table"] == "pagetables") & (table["tasks"] == table["tasks"].max())]
    left, right = fig.subplots(1, 2)
    for ax, quantity, label in ((left, "VmPTE_children", "pagetables per process [kB]"),
                                (right, "lowmem_used", "lowmem used per process [kB]")):
        for (strategy, touch), g in pt[pt["quantity"] == quantity].groupby(["strategy", "touch"]):
            g = g.sort_values("segment_bytes")
            seg = g["segment_bytes"] / MIB
            style = "-" if touch != "none" else ":"
            ax.plot(seg, g["predicted"] / g["tasks"], style, color=STRATEGY_COLORS[strategy],
                    label=f"model {strategy}, {touch}")
            ax.plot(seg, g["measured"] / g["tasks"], marker="o", linestyle="none",
                    color=STRATEGY_COLORS[strategy], markerfacecolor="none")
        ax.set(xscale="log", yscale="log", xlabel="shared segment [MiB]", ylabel=label,
               title=f"{label.split(' [')[0]}, {int(pt['tasks'].max())} tasks "
                     "(circles: kernel)")
        ax.legend(fontsize="small")
    return fig


def kmap_counts_figure(table: pd.DataFrame) -> Figure:
    """kmap_high calls, pool-wrap flushes and flush IPIs per guest CPU count."""
    km = table[(table["table"] == "kmap_high") & (table["phase"] == "distinct_pages")]
    quantities = ("kmap_high", "pool_wrap_flushes", "flush_ipis")
    fig = new_figure(10, 3.3)
    for ax, quantity in zip(fig.subplots(1, 3), quantities, strict=True):
        q = km[km["quantity"] == quantity].sort_values("cpus")
        x = np.arange(len(q))
        ax.bar(x - 0.2, q["measured"], 0.4, color="0.3", label="kernel")
        ax.bar(x + 0.2, q["predicted"], 0.4, color=STRATEGY_COLORS["highpte"], label="model")
        ax.set_xticks(x, [f"{c} CPU" for c in q["cpus"]])
        ax.set(title=quantity, ylabel="calls")
        ax.legend(fontsize="small")
    fig.suptitle(f"/proc/PID/mem over {int(km['pages_read'].max())} distinct highmem pages")
    return fig


def error_figure(table: pd.DataFrame) -> Figure:
    """Model error in percent for every measured quantity (one dot per measurement)."""
    finite = table[np.isfinite(table["error_pct"])]
    labels = [f"{t}: {q}" for t, q in zip(finite["table"], finite["quantity"], strict=True)]
    order = sorted(set(labels))
    fig = new_figure(9, 0.35 * len(order) + 1.2)
    ax = fig.subplots()
    ypos = [order.index(lbl) for lbl in labels]
    colors = [STRATEGY_COLORS.get(s, "black") for s in finite["strategy"]]
    ax.scatter(finite["error_pct"], ypos, c=colors, s=14)
    ax.axvspan(-2, 2, color="0.9", zorder=0)
    ax.set_yticks(range(len(order)), order)
    ax.set(xlabel="model error [%] (shaded: ±2 %)", title="model against kernel")
    return fig
