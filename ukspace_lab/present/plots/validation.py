"""Predicted against published, on log-log axes: the validation cases in one picture.

Each case is a point at (published, predicted) with a vertical bar over the
predictions its own tolerance accepts; the y = x line and the factor-1.5 band
(the A2A target of issue #14) are drawn behind. Log axes take positive values
only: a case whose published or predicted value is 0 or negative (a difference
that is noise, such as C1-cpu) is listed under the plot instead.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from .style import new_figure

BAND = 1.5          # the A2A target: within a factor of 1.5
COLORS = {True: "#2a9d8f", False: "#e76f51"}
MARKERS = {"A2A": "o", "IND": "s"}


def plottable(frame: pd.DataFrame) -> pd.Series:
    """Rows that log axes can show: published and predicted both > 0."""
    return (frame["published"] > 0) & (frame["predicted"] > 0)


def validation_figure(frame: pd.DataFrame) -> Figure:
    """Predicted against published per case (a frame of
    :func:`ukspace_lab.study.validation.results_frame`)."""
    fig = new_figure(7.5, 7.0)
    ax = fig.subplots()
    ok = plottable(frame)
    shown, left = frame[ok], frame[~ok]
    if len(shown):
        values = np.concatenate([shown["published"], shown["predicted"]])
        lo, hi = values.min() / 10, values.max() * 10
    else:
        lo, hi = 0.01, 100.0
    line = np.geomspace(lo, hi, 50)
    ax.plot(line, line, color="0.3", lw=1, label="y = x")
    ax.fill_between(line, line / BAND, line * BAND, color="0.85",
                    label=f"within a factor of {BAND:g}")
    for _, r in shown.iterrows():
        low = max(r["accept_low"], lo)
        ax.plot([r["published"]] * 2, [low, r["accept_high"]], color=COLORS[bool(r["within"])],
                lw=3, alpha=0.35, solid_capstyle="butt")
        ax.scatter(r["published"], r["predicted"], color=COLORS[bool(r["within"])],
                   marker=MARKERS.get(r["kind"], "o"), s=40, zorder=3, edgecolor="black",
                   linewidth=0.5)
        ax.annotate(r["id"], (r["published"], r["predicted"]), xytext=(4, 3),
                    textcoords="offset points", fontsize=8)
    for kind, marker in MARKERS.items():
        ax.scatter([], [], marker=marker, color="0.5", label=kind)
    for within, color in COLORS.items():
        ax.scatter([], [], marker="o", color=color, label="within tolerance" if within
                   else "outside tolerance")
    ax.set(xscale="log", yscale="log", xlim=(lo, hi), ylim=(lo, hi),
           xlabel="published (each case in its own unit)", ylabel="predicted by the model")
    ax.set_aspect("equal")
    ax.legend(loc="upper left", fontsize=8)
    if len(left):
        notes = "; ".join(f"{r['id']}: {r['predicted']:.3g} vs {r['published']:.3g}"
                          f" ({'within' if r['within'] else 'outside'})"
                          for _, r in left.iterrows())
        ax.set_title(f"not on log axes (0 or negative): {notes}", fontsize=7, loc="left",
                     wrap=True)
    return fig


__all__ = ["plottable", "validation_figure"]
