"""Explorers for the notebooks: a static one for HTML reports and a live one for JupyterLab.

:func:`static_explorer` precomputes one view per swept value (a PNG in an
``Image`` or a table in an ``HTML`` widget) and switches them with a slider or
a dropdown ``jslink``-ed to a ``Stack``'s ``selected_index``: the link runs in
the browser, so a static HTML page with embedded widget state still works
without a kernel. :class:`LiveExplorer` recomputes on every change (sliders for
the swept axis and other keys, a strategy selector); its :meth:`update` is the
callback, so tests drive it directly.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import ipywidgets as W
import pandas as pd
from matplotlib.figure import Figure

from ..errors import ScenarioError
from ..model.record import Evaluation
from ..model.scenario import Scenario
from ..study import views
from ..units import format_size
from . import plots
from .frames import table_html

View = Figure | pd.DataFrame | W.Widget | str
Render = Callable[[Scenario, Any], tuple[pd.DataFrame, Figure]]

def html_table(df: pd.DataFrame) -> str:
    """A DataFrame as an HTML table, numbers formatted for a reader (frames.reader_frame)."""
    return table_html(df)


def as_widget(view: View) -> W.Widget:
    """A figure as an Image (PNG), a table or a string as HTML, a widget unchanged."""
    if isinstance(view, W.Widget):
        return view
    if isinstance(view, Figure):
        return W.Image(value=plots.figure_png(view), format="png",
                       layout=W.Layout(max_width="100%"))
    if isinstance(view, pd.DataFrame):
        return W.HTML(html_table(view))
    return W.HTML(str(view))


def static_explorer(views_by_value: dict[str, View], description: str,
                    slider: bool = True) -> W.VBox:
    """Precomputed views switched in the browser: a SelectionSlider (or Dropdown)
    whose ``index`` is jslink-ed to a Stack's ``selected_index``."""
    if not views_by_value:
        raise ValueError("static_explorer needs at least one view")
    labels = list(views_by_value)
    stack = W.Stack([as_widget(v) for v in views_by_value.values()], selected_index=0)
    style = {"description_width": "initial"}
    control = (W.SelectionSlider(options=labels, value=labels[0], description=description,
                                 continuous_update=True, style=style,
                                 layout=W.Layout(width="60%"))
               if slider else W.Dropdown(options=labels, value=labels[0],
                                         description=description, style=style))
    link = W.jslink((control, "index"), (stack, "selected_index"))
    box = W.VBox([control, stack])
    box.link = link  # keep the link reachable (tests, and so it is not collected)
    return box


def table_explorer(df: pd.DataFrame, axis: str, columns: Sequence[str], description: str,
                   label: Callable[[Any], str] = str) -> W.VBox:
    """One table per value of ``axis`` (rows: strategies), switched by a slider."""
    out = {}
    for value, part in df.groupby(axis, sort=True):
        out[label(value)] = part[list(columns)]
    return static_explorer(out, description)


class LiveExplorer:
    """Sliders for the swept axis and other scenario keys, a strategy selector and
    a figure redrawn by :meth:`update` on every change (needs a kernel)."""

    def __init__(self, scn: Scenario, render: Render, knobs: dict[str, Sequence[Any]],
                 axis: tuple[str, Sequence[Any]] | None = None, one_strategy: bool = False):
        self.base, self.render = scn, render
        style = {"description_width": "initial"}
        self.controls: dict[str, W.ValueWidget] = {}
        for key, options in knobs.items():
            options = _in_order([*options, _current(scn, key)])
            now = _current(scn, key)
            self.controls[key] = W.SelectionSlider(
                options=[(_label(v), v) for v in options], value=now, description=key,
                continuous_update=False, style=style) if len(options) > 3 else W.Dropdown(
                options=[(_label(v), v) for v in options], value=now, description=key,
                style=style)
        self.axis = axis[0] if axis else None
        if axis:
            values = list(axis[1])
            self.at = W.SelectionSlider(options=[(_label(v), v) for v in values],
                                        value=values[len(values) // 2],
                                        description=f"{axis[0]} (marked)",
                                        continuous_update=False, style=style)
        else:
            self.at = None
        if one_strategy:
            self.strategy = W.Dropdown(options=list(scn.strategies), value=scn.strategies[0],
                                       description="strategy")
        else:
            self.strategy = W.SelectMultiple(options=list(scn.strategies),
                                             value=tuple(scn.strategies),
                                             description="strategies", rows=len(scn.strategies))
        self.message = W.HTML()
        self.image = W.Image(format="png", layout=W.Layout(max_width="100%"))
        self.frame: pd.DataFrame | None = None
        self.figure: Figure | None = None
        self.error: str | None = None
        for w in [*self.controls.values(), self.strategy, *([self.at] if self.at else [])]:
            w.observe(self.update, names="value")
        self.widget = W.VBox([W.HBox([W.VBox(list(self.controls.values())
                                              + ([self.at] if self.at else [])),
                                      self.strategy]), self.message, self.image])
        self.update()

    def scenario(self) -> Scenario:
        """The base scenario with the controls' values (validated)."""
        chosen = self.strategy.value
        names = [chosen] if isinstance(chosen, str) else list(chosen)
        if not names:
            raise ScenarioError(["strategies: select at least one"], source="explorer")
        return self.base.with_overrides({**{k: c.value for k, c in self.controls.items()},
                                         "strategies": names})

    def update(self, change: Any = None) -> None:
        """The callback: recompute, redraw, or show the validator's message."""
        try:
            scn = self.scenario()
        except ScenarioError as exc:
            self.error = str(exc)
            self.message.value = f"<pre style='color:#b00'>{_escape(self.error)}</pre>"
            return
        self.error = None
        self.message.value = ""
        at = self.at.value if self.at else None
        self.frame, self.figure = self.render(scn, at)
        # an Image widget, not an Output: no captured display messages to wait for
        self.image.value = plots.figure_png(self.figure)

    def _repr_mimebundle_(self, **kw):
        return self.widget._repr_mimebundle_(**kw)


def _current(scn: Scenario, key: str) -> Any:
    node: Any = scn
    for part in key.split("."):
        node = getattr(node, part)
    return node


def _in_order(options: Sequence[Any]) -> list[Any]:
    """Distinct options, numbers ascending (the scenario's own value in its place, not
    appended), words as given; ``500.0`` next to ``500`` kept once."""
    seen = list(dict.fromkeys(options))
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in seen):
        return sorted(dict.fromkeys(seen))
    return seen


def _label(v: Any) -> str:
    if isinstance(v, int) and not isinstance(v, bool) and v >= 1 << 20:
        return format_size(v)
    if isinstance(v, float) and v.is_integer():
        return f"{v:.0f}"
    return str(v)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# --- the notebooks' explorers -------------------------------------------------

def show_table(df: pd.DataFrame):
    """A table for a notebook cell's output (plain HTML, no widget state needed)."""
    from IPython.display import HTML
    return HTML(html_table(df))


TASK_COLUMNS = ("strategy", "lowmem_used_bytes", "lowmem_free_bytes",
                "pagetable_lowmem_bytes", "max_tasks")
RAM_COLUMNS = ("strategy", "lowmem_free_bytes", "highmem_cache_fraction", "kmaps_per_s",
               "global_tlb_flushes_per_s", "ipis_per_s", "local_tlb_flushes_per_s",
               "cpu_overhead_pct")
POOL_COLUMNS = ("threading", "piggyback", "strategy", "global_tlb_flushes_per_s",
                "ipis_per_s", "local_tlb_flushes_per_s", "cpu_overhead_pct")


def task_static(scn: Scenario) -> W.VBox:
    """02, static: the strategies' lowmem at each of the scenario's sweep task counts."""
    tasks = [int(t) for t in scn.sweep.get("tasks", [])] or views.task_grid(scn, 8)
    tasks = [t for t in tasks if t <= views.task_grid(scn)[-1]]
    return table_explorer(views.task_sweep(scn, tasks), "tasks", TASK_COLUMNS, "tasks",
                          label=lambda t: f"{int(t):,}")


def highmem_static(scn: Scenario) -> W.VBox:
    """03, static: the strategies' rates at each RAM size."""
    return table_explorer(views.highmem_sweep(scn), "ram_bytes", RAM_COLUMNS, "RAM",
                          label=format_size)


def pool_static(pool: pd.DataFrame) -> W.VBox:
    """04, static: closed-form flushes and CPU at each pool size."""
    closed = pool[pool["engine"] == "closed"]
    return table_explorer(closed, "pool_entries", POOL_COLUMNS, "pool entries",
                          label=lambda n: str(int(n)))


_GIB = 1 << 30
_ERAS = ["2.4.18", "2.5", "2.6", "modern"]
# The live explorers' knobs (the scenario's own value is added in order, see _in_order).
KNOBS: dict[str, dict[str, list[Any]]] = {
    "address": {"machine.arch": ["i386", "i386-pae"],
                "machine.split": ["3G/1G", "2G/2G", "1G/3G"],
                "machine.ram": [_GIB // 2, _GIB, 2 * _GIB, 4 * _GIB, 16 * _GIB, 64 * _GIB],
                "ukspace.carve_from": ["auto", "hole", "kernel", "user"]},
    "task": {"workload.shared_segment": [0, _GIB // 4, _GIB, 2 * _GIB],
             "machine.kernel": _ERAS, "workload.threads_per_task": [1, 2, 8, 64]},
    "highmem": {"machine.kernel": _ERAS, "machine.cpus": [1, 2, 4, 8, 16, 32],
                "workload.reads_per_s": [10, 100, 1000, 10000]},
    "pool": {"workload.threads_per_task": [1, 4, 16, 64], "machine.cpus": [1, 2, 4, 8, 16],
             "workload.ctxsw_per_s": [0, 100, 1000, 10000]},
}


def address_explorer(scn: Scenario) -> LiveExplorer:
    """01: machine RAM, split, PAE, carve side and strategy; redraws the address map."""
    def render(s: Scenario, _at: Any) -> tuple[pd.DataFrame, Figure]:
        name = s.strategies[0]
        if name == "flat64":
            return views.strategy_table(s), plots.new_figure(4, 1)
        cols = views.address_columns(s, [name])
        return views.strategy_table(s), plots.address_space_figure(cols, s.title)
    return LiveExplorer(scn, render, KNOBS["address"], one_strategy=True)


def address_static(ev: Evaluation) -> W.VBox:
    """01, static: the address map of each strategy as a table of areas (addresses in hex)."""
    out: dict[str, View] = {}
    for r in ev.results.values():
        name = r.strategy
        if name == "flat64":
            out[name] = "<p>flat64: a 64-bit kernel maps all RAM directly; no 32-bit map.</p>"
            continue
        out[name] = pd.DataFrame([{"area": a.name, "start": f"0x{a.start:08x}",
                                   "end": f"0x{a.end:08x}", "size": format_size(a.size),
                                   "note": a.note} for a in reversed(r.layout)])
    return static_explorer(out, "strategy", slider=False)


def task_explorer(scn: Scenario) -> LiveExplorer:
    """02: the task sweep with the shared segment, RAM, kernel and threads as knobs."""
    def render(s: Scenario, at: Any) -> tuple[pd.DataFrame, Figure]:
        curves, runout = views.task_sweep(s), views.task_runout(s)
        fig = plots.task_sweep_figure(curves, runout)
        for ax in fig.axes:
            ax.axvline(at, color="k", ls="--", lw=0.8)
        return curves[curves["tasks"] == curves["tasks"].iloc[
            (curves["tasks"] - at).abs().argmin()]], fig
    return LiveExplorer(scn, render, KNOBS["task"], axis=("tasks", views.task_grid(scn, 24)))


def highmem_explorer(scn: Scenario) -> LiveExplorer:
    """03: the RAM sweep with the kernel, CPUs and read rate as knobs."""
    def render(s: Scenario, at: Any) -> tuple[pd.DataFrame, Figure]:
        df = views.highmem_sweep(s)
        fig = plots.highmem_rates_figure(df)
        for ax in fig.axes:
            ax.axvline(at / (1 << 30), color="k", ls="--", lw=0.8)
        return df[df["ram_bytes"] == at], fig
    return LiveExplorer(scn, render, KNOBS["highmem"], axis=("ram", views.ram_grid(scn)))


def pool_explorer(scn: Scenario) -> LiveExplorer:
    """04: the pool sweep (closed form) with threads, CPUs and context switches as knobs."""
    def render(s: Scenario, at: Any) -> tuple[pd.DataFrame, Figure]:
        df = views.pool_sweep(s, sim=False)
        fig = plots.pool_sweep_figure(views.pool_long(df))
        for ax in fig.axes:
            ax.axvline(at, color="k", ls="--", lw=0.8)
        return df[df["pool_entries"] == at], fig
    return LiveExplorer(scn, render, KNOBS["pool"],
                        axis=("pool_entries", list(views.POOL_GRID)))


__all__ = ["KNOBS", "LiveExplorer", "address_explorer", "address_static", "as_widget",
           "highmem_explorer", "highmem_static", "html_table", "pool_explorer", "pool_static",
           "show_table", "static_explorer", "table_explorer", "task_explorer", "task_static"]
