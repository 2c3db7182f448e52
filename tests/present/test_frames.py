"""Tables formatted for a reader, live slider order, inactive live explorers in the page,
and figures without overlapping text or repeated legend entries."""

from __future__ import annotations

import re

import nbformat
import numpy as np
import pandas as pd
import pytest

from ukspace_lab import load_scenario, scenario_names
from ukspace_lab.present import frames as F
from ukspace_lab.present import htmlpage, plots
from ukspace_lab.present import widgets as X
from ukspace_lab.present.plots.address import text_artists
from ukspace_lab.study import views as V

EXPONENT = re.compile(r"\d[eE][+-]?\d")


def test_hand_formatted_cells():
    """Each rule against a value worked by hand:
    939,524,096 B = 896 x 2**20 -> 896 MiB; 938,186,304 B / 2**20 = 894.72 -> 894.7 MiB;
    -1,055,124,000 B / 2**30 = -0.983 GiB -> /2**20 = -1006.2 MiB;
    295.391 flushes/s -> 3 significant figures 295; 151,240.2/s -> 151k;
    0.738695 % -> 0.739%; utilisation 0.061658 -> 6.17%; factor 7743.499 -> 7,743x;
    sim/closed 0.998676 -> 0.999x; 3,801.0 tasks -> 3,801; 2.95391e-2 (no unit) -> 0.02954."""
    df = pd.DataFrame({"lowmem_bytes": [939524096.0], "lowmem_used_at_max_bytes": [938186304.0],
                       "lowmem_free_bytes": [-1055124000.0], "global_tlb_flushes_per_s": [295.391],
                       "kmaps_per_s": [151240.2], "cpu_overhead_pct": [0.738695],
                       "kmap_lock_utilization": [0.061658], "factor": [7743.499],
                       "sim_over_closed": [0.998676], "max_tasks": [3801.0],
                       "other": [2.95391e-2], "fits": [True]})
    row = F.reader_frame(df).iloc[0].to_dict()
    assert row == {"lowmem_bytes": "896 MiB", "lowmem_used_at_max_bytes": "894.7 MiB",
                   "lowmem_free_bytes": "-1006.2 MiB", "global_tlb_flushes_per_s": "295",
                   "kmaps_per_s": "151k", "cpu_overhead_pct": "0.739%",
                   "kmap_lock_utilization": "6.17%", "factor": "7,743x",
                   "sim_over_closed": "0.999x", "max_tasks": "3,801", "other": "0.02954",
                   "fits": "True"}


def test_long_table_rows_format_by_their_metric():
    """A comparisons table (metric per row): each value column takes the row's metric."""
    df = pd.DataFrame({"metric": ["max_tasks", "ipis_per_s", "cpu_overhead_pct"],
                       "ukspace": [3803.0, 0.572205, 0.094642],
                       "mainline": [154.0, 4430.866, 0.738695], "factor": [24.69, 7743.499, 7.8]})
    shown = F.reader_frame(df)
    assert shown["ukspace"].tolist() == ["3,803", "0.57", "0.095%"]   # < 0.1%: 2 figures
    assert shown["mainline"].tolist() == ["154", "4.43k", "0.739%"]
    assert shown["factor"].tolist() == ["24.7x", "7,743x", "7.8x"]


def test_tiny_percentages_have_no_exponent():
    """2.1e-05 % (a lock held 2.1e-7 of the time) prints as '<0.001%', 0.0095 % as is."""
    from ukspace_lab.present import fmt

    assert fmt.pct(2.1e-05) == "<0.001%" and fmt.pct(0.0095) == "0.0095%"
    assert F.reader_frame(pd.DataFrame({"kmap_lock_utilization": [2.1e-7]})).iloc[0, 0] \
        == "<0.001%"


def test_non_finite_and_huge_values_read_as_words():
    assert F.number(float("nan")) == "-" and F.number(float("inf")) == "inf"
    assert F.ratio(3.369291e101) == ">1,000,000x" and F.ratio(0.0) == "0x"
    assert F.number(1.713779e9) == "1,713,779,000" and F.number(3e-7) == "<0.0001"


def _default_tables(scn) -> dict[str, pd.DataFrame]:
    from ukspace_lab.present import notes
    from ukspace_lab.study.verdict import verdict

    out = {"strategies": V.strategy_table(scn), "runout": V.task_runout(scn),
           "tasks": V.task_sweep(scn), "ram": V.highmem_sweep(scn),
           "pool": V.pool_sweep(scn, pool=[scn.ukspace.pool_entries], sim=False)}
    out.update(notes.verdict_frames(verdict(scn)))
    return out


def test_no_exponent_in_any_notebook_table(default):
    """Every table the notebooks show for default, as the reader sees it: no e-notation
    anywhere, while the frames themselves hold values that pandas prints as 9.38e+08."""
    tables = _default_tables(default)
    assert any(EXPONENT.search(df.to_string()) for df in tables.values())   # the check bites
    for name, df in tables.items():
        html = X.html_table(df)
        assert not EXPONENT.search(html), (name, EXPONENT.findall(html)[:5])


def test_summary_is_the_groups_extremes():
    """summarise: one row per group; min / median / max as numpy computes them, inf left
    out of the statistics (a zero closed-form value)."""
    df = pd.DataFrame({"strategy": ["a", "a", "a", "b"], "metric": ["m"] * 4,
                       "sim_over_closed": [0.9, 1.1, np.inf, 2.0]})
    s = F.summarise(df, ["strategy", "metric"], "sim_over_closed")
    assert s["rows"].tolist() == [3, 1]
    assert s["min sim_over_closed"].tolist() == [0.9, 2.0]
    assert s["median sim_over_closed"].tolist() == [np.median([0.9, 1.1]), 2.0]
    assert s["max sim_over_closed"].tolist() == [1.1, 2.0]
    html = F.summary_html(df, ["strategy", "metric"], "sim_over_closed", "data/x.csv")
    assert '<a href="data/x.csv">' in html and "0.9x" in html and "4 rows" in html
    long = F.reader_frame(F.summarise(df.assign(metric="cpu_overhead_pct"), ["strategy",
                                                                            "metric"],
                                      "sim_over_closed"))
    assert long["rows"].tolist() == ["3", "1"]        # a count, not the metric's percent


@pytest.mark.parametrize("scenario", scenario_names())
@pytest.mark.parametrize("group", sorted(X.KNOBS))
def test_live_slider_options_in_order(scenario, group):
    """Every live knob of every shipped scenario: numbers ascending, each once, the
    scenario's own value among them and selected (default's ctxsw 500 between 100 and 1000)."""
    scn = load_scenario(scenario)
    e = X.LiveExplorer(scn, lambda s, at: (pd.DataFrame(), plots.new_figure(1, 1)),
                       X.KNOBS[group])
    for key, control in e.controls.items():
        values = [v for _, v in control.options]
        if all(isinstance(v, int | float) for v in values):
            assert values == sorted(values) and len(set(values)) == len(values), (key, values)
        assert control.value == X._current(scn, key), key


def test_default_ctxsw_reads_in_order(default):
    e = X.LiveExplorer(default, lambda s, at: (pd.DataFrame(), plots.new_figure(1, 1)),
                       {"workload.ctxsw_per_s": X.KNOBS["pool"]["workload.ctxsw_per_s"]})
    labels = [label for label, _ in e.controls["workload.ctxsw_per_s"].options]
    assert labels == ["0", "100", str(int(default.workload.ctxsw_per_s)), "1000", "10000"]


def test_live_explorer_is_disabled_with_a_note(tmp_path):
    """A cell tagged live-explorer: a needs-a-kernel note comes first and every control
    reachable from its view is disabled in the page's widget state; others are not."""
    state = {
        "root": {"state": {"children": ["IPY_MODEL_box", "IPY_MODEL_img"]}},
        "box": {"state": {"children": ["IPY_MODEL_s1", "IPY_MODEL_d1"]}},
        "s1": {"state": {"disabled": False}}, "d1": {"state": {"disabled": False}},
        "img": {"state": {"value": "x"}}, "other": {"state": {"disabled": False}}}
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("e.widget", metadata={"tags": ["live-explorer"]},
                                          outputs=[nbformat.v4.new_output(
                                              "display_data", data={htmlpage.VIEW_MIME: {
                                                  "model_id": "root", "version_major": 2}})])]
    nb.metadata["widgets"] = {htmlpage.WIDGET_STATE_MIME: {"state": state}}
    path = tmp_path / "01-x.ipynb"
    nbformat.write(nb, path)
    merged = htmlpage.merge_notebooks([path])
    got = merged.metadata["widgets"][htmlpage.WIDGET_STATE_MIME]["state"]
    assert got["s1"]["state"]["disabled"] and got["d1"]["state"]["disabled"]
    assert got["other"]["state"]["disabled"] is False
    first = merged.cells[0].outputs[0]["data"]["text/html"]
    assert "needs a running kernel" in first and 'href="notebooks/01-x.ipynb"' in first


def _overlaps(fig) -> list[tuple[str, str]]:
    r = fig.canvas.get_renderer()
    boxes = [(t.get_text(), t.get_window_extent(r)) for t in text_artists(fig)]
    return [(a, b) for i, (a, x) in enumerate(boxes) for b, y in boxes[i + 1:] if x.overlaps(y)]


@pytest.mark.parametrize("scenario", scenario_names())
def test_address_space_labels_do_not_overlap(scenario):
    """No two texts of the address-space figure overlap as drawn (labels, ticks, titles,
    legend), and the direct map is still labelled in the full-range panel."""
    scn = load_scenario(scenario)
    fig = plots.address_space_figure(V.proposal_columns(scn), scn.title)
    assert _overlaps(fig) == []
    labels = [t.get_text() for t in fig.axes[0].texts if t.get_visible()]
    assert any(t.startswith("direct map") for t in labels), labels


def test_pool_legend_lists_each_entry_once(default):
    pool = V.pool_sweep(default, pool=[8, 64], sim=False)
    fig = plots.pool_sweep_figure(V.pool_long(pool))
    texts = [t.get_text() for leg in fig.legends for t in leg.get_texts()]
    assert len(texts) == len(set(texts)), texts
    assert "with piggyback" in texts and "no piggyback" in texts
