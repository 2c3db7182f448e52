"""Seaborn figures of the notebooks' views: one function per figure, each drawing a
tidy frame that :mod:`ukspace_lab.study.views` computed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure

from .style import (
    LABELS,
    STRATEGY_COLORS,
    MiB,
    _compact_x,
    _log2_x,
    _num,
    _order,
    _palette,
    _rate_axis,
    new_figure,
)


def strategy_cost_figure(table: pd.DataFrame) -> Figure:
    """Where the pagetables live and what reaching them costs, per strategy."""
    metrics = [("pagetable_lowmem_bytes", "pagetables in lowmem [MiB]", 1 / MiB),
               ("invlpg_per_s", "invlpg (kmap_atomic/local) [1/s]", 1.0),
               ("global_tlb_flushes_per_s", "global TLB flushes [1/s]", 1.0),
               ("cpu_overhead_pct", "CPU cost [%]", 1.0)]
    fig = new_figure(15, 0.4 * len(table) + 1.6)
    axes = fig.subplots(1, len(metrics), sharey=True)
    pal = _palette(table["strategy"])
    for ax, (m, label, scale) in zip(axes, metrics, strict=True):
        data = table.assign(v=table[m] * scale)
        sns.barplot(data=data, y="strategy", x="v", hue="strategy", palette=pal, ax=ax,
                    legend=False)
        for i, x in enumerate(data["v"]):
            ax.text(x, i, f" {_num(x)}", va="center", fontsize=8)
        ax.set(xlabel=label, ylabel="")
        _compact_x(ax)
        ax.set_xlim(right=max(data["v"].max(), 1e-9) * 1.4)
    return fig


def swapout_figure(df: pd.DataFrame) -> Figure:
    """Global flushes and CPU cost against the swapout scan rate (the seed's fallback)."""
    fig = new_figure(10, 3.8)
    axes = fig.subplots(1, 2)
    data = df.assign(scan=df["scan_pages_per_s"].clip(lower=1))
    for ax, metric in zip(axes, ("global_tlb_flushes_per_s", "cpu_overhead_pct"), strict=True):
        sns.lineplot(data=data, x="scan", y=metric, hue="strategy", marker="o", ax=ax,
                     palette=_palette(data["strategy"].unique()),
                     hue_order=_order(data["strategy"]))
        ax.set_xscale("log")
        _rate_axis(ax, data[metric])
        ax.set_xlabel("swapout scan of other mms [PTEs/s] (0 drawn at 1)")
        ax.set_ylabel(LABELS[metric])
    return fig


# --- 02: the task sweep ------------------------------------------------------

def task_sweep_figure(curves: pd.DataFrame, runout: pd.DataFrame) -> Figure:
    """Lowmem used and free against the task count; an X where each strategy runs out
    (the legend names the count and the limit that binds)."""
    fig = new_figure(13, 5.2)
    left, right = fig.subplots(1, 2, sharex=True)
    label = {r["strategy"]: f"{r['strategy']}: {r['max_tasks']:,.0f} ({r['limit']})"
             for r in runout.to_dict(orient="records")}
    data = curves.assign(used_mib=curves["lowmem_used_bytes"] / MiB,
                         free_mib=curves["lowmem_free_bytes"] / MiB,
                         runs_out=curves["strategy"].map(label))
    pal = {label[s]: STRATEGY_COLORS[s] for s in label}
    order = [label[s] for s in runout["strategy"]]
    kw = {"x": "tasks", "hue": "runs_out", "hue_order": order, "palette": pal}
    sns.lineplot(data=data, y="used_mib", ax=left, **kw)
    sns.lineplot(data=data, y="free_mib", ax=right, legend=False, **kw)
    small = runout[runout["lowmem_bytes"] < (1 << 30)]["lowmem_bytes"]
    span = (small.max() if len(small) else runout["lowmem_bytes"].max()) / MiB
    for r in runout.to_dict(orient="records"):
        c, m = STRATEGY_COLORS[r["strategy"]], r["max_tasks"]
        left.axhline(r["lowmem_bytes"] / MiB, color=c, lw=0.8, ls=":")
        if m >= 1:
            left.plot(m, r["lowmem_used_at_max_bytes"] / MiB, "X", color=c, ms=10, mec="k")
            right.plot(m, (r["lowmem_bytes"] - r["lowmem_used_at_max_bytes"]) / MiB, "X",
                       color=c, ms=10, mec="k")
    left.set(xscale="log", yscale="log", xlabel="tasks (processes)",
             ylabel="lowmem used [MiB]", title="lowmem used (dotted: each strategy's lowmem)")
    sns.move_legend(left, "upper left", title="runs out at [tasks] (limit)", fontsize=8)
    right.axhline(0, color="k", lw=1)
    right.set(xscale="log", ylim=(-0.3 * span, 1.15 * span), xlabel="tasks (processes)",
              ylabel="lowmem free [MiB]", title="lowmem free; X = the largest task count that fits")
    return fig


def max_tasks_figure(runout: pd.DataFrame, scenario_tasks: int) -> Figure:
    """The largest task count that fits, per strategy, against the scenario's count."""
    fig = new_figure(8, 0.45 * len(runout) + 1.5)
    ax = fig.subplots()
    data = runout.assign(shown=runout["max_tasks"].clip(lower=0.8))
    sns.barplot(data=data, y="strategy", x="shown", hue="strategy", ax=ax,
                palette=_palette(data["strategy"]), legend=False)
    for i, r in enumerate(data.to_dict(orient="records")):
        ax.text(r["shown"], i, f" {r['max_tasks']:,.0f} ({r['limit']})", va="center",
                fontsize=8)
    ax.axvline(scenario_tasks, color="k", ls="--", lw=1)
    ax.text(scenario_tasks, -0.6, f" scenario: {scenario_tasks:,} tasks", fontsize=8)
    ax.set(xscale="log", xlabel="largest task count that fits [tasks]", ylabel="")
    ax.set_xlim(right=data["shown"].max() * 8)
    return fig


# --- 03: the highmem sweep ---------------------------------------------------

def mem_map_figure(df: pd.DataFrame) -> Figure:
    """mem_map per kernel era against RAM, and the lowmem left after it."""
    fig = new_figure(12, 4.5)
    left, right = fig.subplots(1, 2, sharex=True)
    data = df.assign(mem_map_mib=df["mem_map_bytes"] / MiB,
                     left_mib=df["lowmem_left_bytes"] / MiB, lowmem_mib=df["lowmem_bytes"] / MiB)
    sns.lineplot(data=data, x="ram_gib", y="mem_map_mib", hue="kernel", marker="o", ax=left)
    sns.lineplot(data=data, x="ram_gib", y="lowmem_mib", hue="kernel", ax=left, ls=":",
                 legend=False)
    sns.lineplot(data=data, x="ram_gib", y="left_mib", hue="kernel", marker="o", ax=right,
                 legend=False)
    bad = data[~data["boots"]]
    right.plot(bad["ram_gib"], bad["left_mib"], "X", color="k", ms=9, label="does not boot")
    right.axhline(0, color="k", lw=1)
    for ax in (left, right):
        _log2_x(ax, data["ram_gib"])
        ax.set_xlabel("RAM [GiB]")
    left.set(ylabel="mem_map [MiB]", title="mem_map (dotted: lowmem)")
    right.set(ylabel="lowmem left after mem_map + kernel [MiB]",
              title="lowmem left for tasks")
    if len(bad):
        right.legend(loc="lower left", fontsize=8)
    return fig


def highmem_rates_figure(df: pd.DataFrame) -> Figure:
    """Per strategy against RAM: lowmem free, highmem cache share, kmaps, invlpg,
    flushes, IPIs and CPU cost."""
    data = df.assign(lowmem_free_mib=df["lowmem_free_bytes"] / MiB,
                     highmem_cache_fraction=100 * df["highmem_cache_fraction"])
    metrics = ["lowmem_free_mib", "highmem_cache_fraction", "kmaps_per_s", "invlpg_per_s",
               "global_tlb_flushes_per_s", "ipis_per_s", "local_tlb_flushes_per_s",
               "cpu_overhead_pct"]
    fig = new_figure(16, 7.5)
    axes = fig.subplots(2, 4, sharex=True).ravel()
    pal = _palette(data["strategy"].unique())
    for i, (ax, m) in enumerate(zip(axes, metrics, strict=True)):
        sns.lineplot(data=data, x="ram_gib", y=m, hue="strategy", marker="o", ms=4, ax=ax,
                     palette=pal, hue_order=_order(data["strategy"]), legend=i == 0)
        _log2_x(ax, data["ram_gib"])
        if m == "lowmem_free_mib":
            ax.axhline(0, color="k", lw=1)
            ax.set_yscale("symlog", linthresh=64)
        else:
            _rate_axis(ax, data[m])
        ax.set(xlabel="RAM [GiB]", ylabel=LABELS[m])
        ax.tick_params(axis="x", labelsize=8)
    _figure_legend(fig, axes[0], ncols=8)
    return fig


def _figure_legend(fig: Figure, ax, ncols: int, title: str | None = None) -> None:
    """Move ``ax``'s legend under the whole figure (constrained layout keeps room)."""
    legend = ax.get_legend()
    if legend is None:
        return
    handles, labels = ax.get_legend_handles_labels()
    legend.remove()
    fig.legend(handles, labels, loc="outside lower center", ncols=ncols, fontsize=8,
               title=title)


# --- 04: the pool sweep ------------------------------------------------------

def pool_sweep_figure(long: pd.DataFrame) -> Figure:
    """Flushes, IPIs and CPU cost against the pool size: rows are metrics, columns
    single-threaded / threaded; solid with piggyback, dashed without; lines the closed
    form, circles the simulator."""
    data = long.assign(piggyback=long["piggyback"].map({True: "piggyback", False: "no piggyback"}))
    metrics = list(dict.fromkeys(data["metric"]))
    threads = sorted(data["threading"].unique(), key=lambda t: t != "single-threaded")
    fig = new_figure(6 * len(threads), 2.8 * len(metrics) + 0.8)
    axes = np.atleast_2d(fig.subplots(len(metrics), len(threads), sharex=True, squeeze=False))
    pal = _palette(data["strategy"].unique())
    order = _order(data["strategy"])
    for i, m in enumerate(metrics):
        for j, t in enumerate(threads):
            ax = axes[i, j]
            sub = data[(data["metric"] == m) & (data["threading"] == t)]
            closed, sim = sub[sub["engine"] == "closed"], sub[sub["engine"] == "sim"]
            sns.lineplot(data=closed, x="pool_entries", y="value", hue="strategy",
                         style="piggyback", style_order=["piggyback", "no piggyback"],
                         palette=pal, hue_order=order, ax=ax, legend=False)
            if len(sim):
                sns.scatterplot(data=sim, x="pool_entries", y="value", hue="strategy",
                                style="piggyback", markers={"piggyback": "o",
                                                            "no piggyback": "s"},
                                palette=pal, hue_order=order, ax=ax, s=50, edgecolor="k",
                                legend=False)
            _log2_x(ax, data["pool_entries"])
            _rate_axis(ax, data[data["metric"] == m]["value"])
            ax.set(xlabel="pool entries (per-task kmap pool)", ylabel=LABELS[m],
                   title=t if i == 0 else "")
    _pool_legend(fig, [s for s in order if s in set(data["strategy"])])
    return fig


def _pool_legend(fig: Figure, strategies: list[str]) -> None:
    """One legend under the figure, each entry once: the strategies' colours, then
    what the line styles and markers mean (seaborn's own repeats the style's name)."""
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], color=STRATEGY_COLORS[s], lw=2) for s in strategies]
    labels = list(strategies)
    handles += [Line2D([], [], color="k", ls="-"), Line2D([], [], color="k", ls="--"),
                Line2D([], [], color="grey", marker="o", ls="", mec="k"),
                Line2D([], [], color="grey", marker="s", ls="", mec="k")]
    labels += ["with piggyback", "no piggyback", "simulator, piggyback",
               "simulator, no piggyback"]
    fig.legend(handles, labels, loc="outside lower center", ncols=min(len(labels), 4),
               fontsize=8, title="lines: closed form; markers: simulator")


# --- 05: the verdict ---------------------------------------------------------

def verdict_figure(table: pd.DataFrame, baseline: str) -> Figure:
    """CPU cost, global flushes and the largest task count per strategy, the baseline
    outlined."""
    metrics = [("cpu_overhead_pct", "CPU cost [%]"),
               ("global_tlb_flushes_per_s", "global TLB flushes [1/s]"),
               ("max_tasks", "largest task count that fits [tasks]")]
    fig = new_figure(14, 0.45 * len(table) + 1.8)
    axes = fig.subplots(1, len(metrics), sharey=True)
    pal = _palette(table["strategy"])
    for ax, (m, label) in zip(axes, metrics, strict=True):
        sns.barplot(data=table, y="strategy", x=m, hue="strategy", palette=pal, ax=ax,
                    legend=False)
        for i, r in enumerate(table.to_dict(orient="records")):
            ax.text(r[m], i, f" {_num(r[m])}", va="center", fontsize=8)
            if r["strategy"] == baseline:
                ax.patches[i].set_edgecolor("k")
                ax.patches[i].set_linewidth(2)
        ax.set(xlabel=label, ylabel="")
        ax.set_xlim(right=max(table[m].max(), 1e-9) * 1.35)
        _compact_x(ax)
    axes[0].set_title(f"baseline {baseline} outlined", fontsize=9, loc="left")
    return fig
