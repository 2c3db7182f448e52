"""Seaborn figures of the notebooks' views, and deterministic saving.

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
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure

from .layout import areas
from .scenario import STRATEGIES, Scenario
from .units import format_size

DPI = 100
SVG_SALT = "ukspace-lab"
CSV_FLOAT = "%.12g"
MiB = float(1 << 20)
STRATEGY_COLORS = dict(zip(STRATEGIES, sns.color_palette("tab10", len(STRATEGIES)).as_hex(),
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


def save_data(df: pd.DataFrame, name: str, output_dir: str | Path) -> Path | None:
    """Write ``<output_dir>/data/<name>.csv`` (fixed float format); nothing when ''."""
    if not str(output_dir):
        return None
    out = Path(output_dir) / "data"
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{name}.csv"
    path.write_text(df.to_csv(index=False, float_format=CSV_FLOAT, lineterminator="\n"),
                    encoding="utf-8")
    return path


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
    return [s for s in STRATEGIES if s in present]


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


# --- 01: the address space ---------------------------------------------------

def _area_key(name: str) -> str:
    for key in AREA_COLORS:
        if name.startswith(key) or key in name:
            return key
    return "other"


def _area_color(name: str) -> str:
    return AREA_COLORS.get(_area_key(name), "#cccccc")


def address_columns(scn: Scenario, strategies: list[str] | tuple[str, ...]):
    """(label, areas) columns to draw: 4G/4G's user space is its own column; the
    64-bit floor has no 32-bit map and is left out."""
    cols = []
    for name in strategies:
        label = f"{name}\n(from {scn.ukspace.carve_from})" if name.startswith("ukspace") else name
        if name == "flat64":
            continue
        found = areas(scn, name)
        if name == "4g4g":
            cols.append((f"{name}\nuser pgd", [a for a in found if a.name.startswith("user")]))
            found = [a for a in found if not a.name.startswith("user")]
            label = f"{name}\nkernel pgd"
        cols.append((label, found))
    return cols


def proposal_columns(scn: Scenario):
    """Before and after: mainline, then the seed's region carved from kernel space and
    carved from user space (the two options of the seed)."""
    out = address_columns(scn, ["mainline"])
    for carve in ("kernel", "user"):
        out += address_columns(scn.with_overrides({"ukspace.carve_from": carve}), ["ukspace"])
    return out


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


def _boundaries(columns, lo: int, hi: int, gap: float = 0.03) -> list[int]:
    """Area boundaries inside [lo, hi] for y ticks, at least ``gap`` of the range apart;
    boundaries shared by more columns (PAGE_OFFSET, PKMAP_BASE) win over the others."""
    from collections import Counter
    edges = Counter(e for _, found in columns for a in found
                    for e in {a.start, a.end} if lo <= e <= hi)
    kept: list[int] = [lo, hi]
    for e, _ in sorted(edges.items(), key=lambda kv: (-kv[1], kv[0])):
        if all(abs(e - k) / (hi - lo) >= gap for k in kept):
            kept.append(e)
    return sorted(kept)


def address_space_figure(columns, title: str = "") -> Figure:
    """The 32-bit virtual address space to scale: all 4 GiB, the top of kernel space
    (vmalloc to FIXADDR_TOP) and PAGE_OFFSET +- 16 MiB; one bar per column."""
    top = max(a.end for _, found in columns for a in found)
    po = max(a.start for _, found in columns for a in found if "direct map" in a.name)
    vm = min(a.start for _, found in columns for a in found if a.name == "vmalloc")
    windows = [("all 4 GiB", 0, 1 << 32), ("top of kernel space", vm - (8 << 20), top),
               ("around PAGE_OFFSET", po - (16 << 20), po + (16 << 20))]
    fig = new_figure(4.2 * len(windows), 6.5)
    axes = fig.subplots(1, len(windows))
    for ax, (wname, lo, hi) in zip(axes, windows, strict=True):
        for i, (_, found) in enumerate(columns):
            for a in found:
                s, e = max(a.start, lo), min(a.end, hi)
                if e <= s:
                    continue
                ax.bar(i, e - s, bottom=s, width=0.8, color=_area_color(a.name),
                       edgecolor="#333333", linewidth=0.6)
                if (e - s) / (hi - lo) > 0.035:
                    ax.text(i, (s + e) / 2, f"{a.name}\n{format_size(a.size)}",
                            ha="center", va="center", fontsize=7)
        ax.set_ylim(lo, hi)
        ax.set_xticks(range(len(columns)), [c[0] for c in columns], fontsize=8)
        ax.set_yticks(ticks := _boundaries(columns, lo, hi),
                      [f"0x{int(t):08x}" for t in ticks], fontsize=7)
        ax.set_title(f"{wname} ({format_size(hi - lo)})", fontsize=10)
        ax.grid(False)
    axes[0].set_ylabel("virtual address")
    from matplotlib.patches import Patch
    shown = {_area_key(a.name) for _, found in columns for a in found}
    fig.legend([Patch(facecolor=c, edgecolor="#333333") for k, c in AREA_COLORS.items()
                if k in shown], [k for k in AREA_COLORS if k in shown],
               loc="outside lower center", ncols=len(shown), fontsize=8)
    if title:
        fig.suptitle(title, fontsize=11)
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
                         palette=pal, hue_order=order, ax=ax, legend=(i == 0 and j == 0))
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
    _figure_legend(fig, axes[0, 0], ncols=6,
                   title="lines: closed form; markers: simulator; solid: with piggyback")
    return fig


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
