"""The 32-bit virtual address space to scale, one bar per design."""

from __future__ import annotations

import textwrap
from collections import Counter

from matplotlib.figure import Figure
from matplotlib.patches import Patch

from ...units import format_size
from .style import AREA_COLORS, new_figure


def _area_key(name: str) -> str:
    for key in AREA_COLORS:
        if name.startswith(key) or key in name:
            return key
    return "other"


def _area_color(name: str) -> str:
    return AREA_COLORS.get(_area_key(name), "#cccccc")


def _boundaries(columns, lo: int, hi: int, gap: float = 0.03) -> list[int]:
    """Area boundaries inside [lo, hi] for y ticks, at least ``gap`` of the range apart;
    boundaries shared by more columns (PAGE_OFFSET, PKMAP_BASE) win over the others."""
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
    labels: list = []
    for ax, (wname, lo, hi) in zip(axes, windows, strict=True):
        for i, (_, found) in enumerate(columns):
            for a in found:
                s, e = max(a.start, lo), min(a.end, hi)
                if e <= s:
                    continue
                bar = ax.bar(i, e - s, bottom=s, width=0.8, color=_area_color(a.name),
                             edgecolor="#333333", linewidth=0.6)[0]
                if (e - s) / (hi - lo) > 0.02:
                    text = ax.text(i, (s + e) / 2, "", ha="center", va="center", fontsize=7)
                    labels.append((text, bar, _labels(a.name, a.size)))
        ax.set_ylim(lo, hi)
        ax.set_xticks(range(len(columns)), [c[0] for c in columns], fontsize=8)
        ax.set_yticks(ticks := _boundaries(columns, lo, hi),
                      [f"0x{int(t):08x}" for t in ticks], fontsize=7)
        ax.set_title(f"{wname} ({format_size(hi - lo)})", fontsize=10)
        ax.grid(False)
    axes[0].set_ylabel("virtual address")
    shown = {_area_key(a.name) for _, found in columns for a in found}
    fig.legend([Patch(facecolor=c, edgecolor="#333333") for k, c in AREA_COLORS.items()
                if k in shown], [k for k in AREA_COLORS if k in shown],
               loc="outside lower center", ncols=len(shown), fontsize=8)
    if title:
        fig.suptitle(title, fontsize=11)
    drop_overlapping(fig, labels)
    return fig


def _labels(name: str, size: int) -> list[str]:
    """An area's label, longest first: the name wrapped to a bar's width (``direct map``
    / ``(lowmem)``) over its size, the name on one line with the size, the size alone."""
    wrapped = textwrap.wrap(name, 12, break_long_words=False)
    return ["\n".join([*wrapped, format_size(size)]), f"{name} {format_size(size)}",
            format_size(size)]


def drop_overlapping(fig: Figure, labels: list) -> list:
    """Give each bar label (text, bar, candidates) the longest candidate whose box, as
    drawn, lies inside its bar and overlaps no earlier label and no tick label, title or
    legend text; hide it when none does. The hidden texts."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    fig.draw_without_rendering()
    renderer = fig.canvas.get_renderer()
    texts = {id(t) for t, _, _ in labels}
    fixed = [t.get_window_extent(renderer) for t in text_artists(fig) if id(t) not in texts]
    kept, hidden = [], []
    for t, bar, candidates in labels:
        room = bar.get_window_extent(renderer)
        for text in candidates:
            t.set_text(text)
            box = t.get_window_extent(renderer)
            inside = (box.x0 >= room.x0 and box.x1 <= room.x1 and box.y0 >= room.y0
                      and box.y1 <= room.y1)
            if inside and not any(box.overlaps(o) for o in [*fixed, *kept]):
                kept.append(box)
                break
        else:
            t.set_text("")
            t.set_visible(False)
            hidden.append(t)
    return hidden


def text_artists(fig: Figure) -> list:
    """Every visible, non-empty text of ``fig``: bar labels, tick labels, titles, legends."""
    from matplotlib.text import Text

    return [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()
            and t.get_figure() is fig]
