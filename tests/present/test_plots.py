"""Figures: drawn to scale, labelled with units, saved as the same bytes every time."""

import pandas as pd
import pytest
from matplotlib.figure import Figure

from ukspace_lab import load_scenario
from ukspace_lab.present import plots as P
from ukspace_lab.present.plots import style
from ukspace_lab.study import views as V

MiB = 1 << 20


@pytest.fixture(scope="module")
def default():
    return load_scenario("default")


def _tiny() -> Figure:
    fig = P.new_figure(3, 2)
    ax = fig.subplots()
    ax.plot([1, 2, 3], [3, 1, 2], label="x")
    ax.set(xlabel="tasks", ylabel="lowmem [MiB]")
    return fig


def test_save_figure_is_deterministic(tmp_path):
    """Two saves of the same figure give the same PNG and SVG bytes, with no date."""
    a = P.save_figure(_tiny(), "f", tmp_path / "a")
    P.save_figure(_tiny(), "f", tmp_path / "b")
    assert [p.name for p in a] == ["f.png", "f.svg"]
    png = (tmp_path / "a/figures/f.png").read_bytes()
    assert png == (tmp_path / "b/figures/f.png").read_bytes()
    svg = (tmp_path / "a/figures/f.svg").read_bytes()
    assert svg == (tmp_path / "b/figures/f.svg").read_bytes()
    assert b"<dc:date>" not in svg
    assert b"Software" not in (tmp_path / "a/figures/f.png").read_bytes()


def test_empty_output_dir_writes_nothing(tmp_path, monkeypatch):
    """output_dir '' (the notebooks' default) saves no file."""
    monkeypatch.chdir(tmp_path)
    assert P.save_figure(_tiny(), "f", "") == []
    assert P.save_data(pd.DataFrame({"a": [1]}), "d", "") is None
    assert list(tmp_path.iterdir()) == []


def test_save_data_formats_floats_stably(tmp_path):
    """CSV with 12 significant digits: exact byte counts stay integers, no float noise."""
    df = pd.DataFrame({"strategy": ["mainline"], "lowmem_bytes": [939524096.0],
                       "rate": [0.1 + 0.2]})
    assert P.save_data(df, "d", tmp_path) is None   # a cell ending in it shows no path
    path = tmp_path / "data" / "d.csv"
    assert path.read_text() == "strategy,lowmem_bytes,rate\nmainline,939524096,0.3\n"


def _bars(ax, x):
    return [r for r in ax.patches if abs(r.get_x() + r.get_width() / 2 - x) < 1e-9]


def test_address_space_is_drawn_to_scale(default):
    """The full-range panel stacks the areas from 0 to FIXADDR_TOP without gaps, and the
    seed's region is exactly its 8 MiB."""
    cols = V.proposal_columns(default)
    assert [c[0] for c in cols] == ["mainline", "ukspace\n(from kernel)", "ukspace\n(from user)"]
    fig = P.address_space_figure(cols)
    full = fig.axes[0]
    for i in range(3):
        heights = sum(r.get_height() for r in _bars(full, i))
        assert heights == 0xFFFFE000
    region = [a for a in cols[1][1] if a.name.startswith("u-k-space")][0]
    assert region.size == 8 * MiB
    assert region.end == 0xFE000000          # just below PKMAP_BASE
    user_region = [a for a in cols[2][1] if a.name.startswith("u-k-space")][0]
    assert user_region.end == 0xC0000000     # just below PAGE_OFFSET


def test_address_columns_split_4g4g_and_skip_flat64(default):
    """4G/4G has two 4 GiB spaces (two columns); a 64-bit kernel has no 32-bit map."""
    labels = [c[0] for c in V.address_columns(default, ["4g4g", "flat64"])]
    assert labels == ["4g4g\nuser pgd", "4g4g\nkernel pgd"]


def _labelled(fig: Figure) -> None:
    for ax in fig.axes:
        if ax.get_visible() and ax.has_data():
            assert "[" in ax.get_xlabel() or "[" in ax.get_ylabel() or ax.get_xlabel() == "", \
                (ax.get_xlabel(), ax.get_ylabel())


def test_task_sweep_figure_marks_each_runout(default):
    """One X per strategy on the free-lowmem panel, at its max_tasks, and units on axes."""
    curves, runout = V.task_sweep(default, [1, 10, 100, 1000]), V.task_runout(default)
    fig = P.task_sweep_figure(curves, runout)
    _labelled(fig)
    right = fig.axes[1]
    xs = sorted(float(line.get_xdata()[0]) for line in right.lines
                if line.get_marker() == "X")
    assert xs == sorted(runout["max_tasks"].astype(float))
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert any(t.startswith("mainline: ") and "(lowmem)" in t for t in legend)


def test_sweep_figures_have_units(default):
    """Every sweep figure labels its axes with units."""
    figs = [P.max_tasks_figure(V.task_runout(default), 400),
            P.mem_map_figure(V.mem_map_by_era(default)),
            P.highmem_rates_figure(V.highmem_sweep(default)),
            P.pool_sweep_figure(V.pool_long(V.pool_sweep(default, sim=False))),
            P.swapout_figure(V.swapout_fallback(default)),
            P.strategy_cost_figure(V.strategy_table(default))]
    for fig in figs:
        _labelled(fig)
        assert P.figure_png(fig)[:8] == b"\x89PNG\r\n\x1a\n"


def test_strategy_colours_are_stable():
    """Each strategy keeps one colour in every figure."""
    assert len(set(P.STRATEGY_COLORS.values())) == len(P.STRATEGY_COLORS)
    assert style._order(["flat64", "ukspace", "mainline"]) == ["mainline", "ukspace", "flat64"]
