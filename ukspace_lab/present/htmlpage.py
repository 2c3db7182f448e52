"""The report page: executed notebooks joined into one offline ``index.html``.

nbconvert's :class:`~nbconvert.HTMLExporter` renders the concatenated notebooks
with code hidden and images embedded, through the ``ukspace_report`` template
(``ukspace_lab/templates/``), which drops every CDN script (require.js,
MathJax, mermaid) and loads the widget manager from the report folder. The
widget state saved by the kernel (nbclient's ``store_widget_state``) is merged
into the page, so the precomputed explorers switch views with no kernel.
"""

from __future__ import annotations

import html
import re
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import nbformat

from .widget_manager import WidgetManagerMissing, ensure, installed_version

WIDGET_STATE_MIME = "application/vnd.jupyter.widget-state+json"
WIDGET_STATIC = "static/html-manager"  # where a report keeps the widget manager
TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
TOC_MARK = "<!-- ukspace-toc -->"
# Cell tags (nbconvert's and Jupyter Book's spellings) that keep a cell or its
# outputs out of the page, e.g. a live explorer whose callbacks need a kernel.
REMOVE_CELL_TAGS = frozenset({"remove_cell", "remove-cell", "report-hide"})
REMOVE_OUTPUT_TAGS = frozenset({"remove_output", "remove-output"})
# A live explorer recomputes in the kernel on every change; in the static page its
# controls would do nothing, so they are disabled and a note says what they need.
LIVE_TAGS = frozenset({"live-explorer"})
VIEW_MIME = "application/vnd.jupyter.widget-view+json"
NEEDS_KERNEL = ('<p class="ukspace-needs-kernel"><b>Live explorer: needs a running kernel.</b> '
                "In this page its controls are disabled and it shows the scenario as rendered; "
                'open <a href="notebooks/{nb}">notebooks/{nb}</a> in JupyterLab to use it.</p>')


def widget_manager_version(src: Path | None = None) -> str:
    """The @jupyter-widgets/html-manager version a report bundles (fetched with npm on
    first use when ``src`` is not given)."""
    version = installed_version(src if src is not None else ensure())
    if version is None:
        raise WidgetManagerMissing(f"the widget manager is missing in {src}: run `make setup` "
                                   "or `python -m ukspace_lab.present.widget_manager`")
    return version


def copy_widget_manager(report_dir: Path, src: Path | None = None) -> Path:
    """Copy embed.js and its fonts into ``report_dir/static/html-manager``."""
    src = src if src is not None else ensure()
    widget_manager_version(src)
    dest = report_dir / WIDGET_STATIC
    shutil.copytree(src / "dist", dest)
    return dest / "embed.js"


def merge_notebooks(paths: Sequence[Path]) -> nbformat.NotebookNode:
    """One notebook holding every cell of ``paths`` in order and all their widget state.

    stderr streams (warnings, progress bars) and cells tagged with
    REMOVE_CELL_TAGS (or their outputs, REMOVE_OUTPUT_TAGS) are left out of the
    page; they stay in the executed notebooks next to it.
    """
    merged = nbformat.v4.new_notebook()
    state: dict[str, Any] = {}
    live: list[str] = []
    versions = {"version_major": 2, "version_minor": 0}
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            tags = set(cell.metadata.get("tags", []))
            if tags & REMOVE_CELL_TAGS:
                continue
            if tags & REMOVE_OUTPUT_TAGS and cell.cell_type == "code":
                cell.outputs = []
            if tags & LIVE_TAGS and cell.cell_type == "code":
                live += _mark_live(cell, Path(path).name)
            if cell.cell_type == "code":
                cell.outputs = [o for o in cell.get("outputs", [])
                                if not (o.output_type == "stream" and o.name == "stderr")]
            merged.cells.append(cell)
        saved = nb.metadata.get("widgets", {}).get(WIDGET_STATE_MIME)
        if saved:
            state.update(saved.get("state", {}))
            versions = {k: saved.get(k, v) for k, v in versions.items()}
        merged.metadata.setdefault("kernelspec", nb.metadata.get("kernelspec", {}))
        merged.metadata.setdefault("language_info", nb.metadata.get("language_info", {}))
    disable_controls(state, live)
    if state:
        merged.metadata["widgets"] = {WIDGET_STATE_MIME: {**versions, "state": state}}
    return merged


def _mark_live(cell: nbformat.NotebookNode, notebook: str) -> list[str]:
    """Put the needs-a-kernel note before a live explorer's output; its view model ids."""
    ids = [o["data"][VIEW_MIME]["model_id"] for o in cell.get("outputs", [])
           if o.get("output_type") in ("display_data", "execute_result")
           and VIEW_MIME in o.get("data", {})]
    note = nbformat.v4.new_output("display_data", data={
        "text/html": NEEDS_KERNEL.format(nb=html.escape(notebook))})
    cell.outputs = [note, *cell.get("outputs", [])]
    return ids


def disable_controls(state: dict[str, Any], roots: list[str]) -> int:
    """Set ``disabled`` on every control reachable from the ``roots`` models (children,
    and any ``IPY_MODEL_`` reference); the count disabled."""
    seen, todo, count = set(), list(roots), 0
    while todo:
        mid = todo.pop()
        if mid in seen or mid not in state:
            continue
        seen.add(mid)
        model = state[mid].get("state", {})
        if "disabled" in model:
            model["disabled"] = True
            count += 1
        for value in model.values():
            refs = value if isinstance(value, list) else [value]
            todo += [r[len("IPY_MODEL_"):] for r in refs
                     if isinstance(r, str) and r.startswith("IPY_MODEL_")]
    return count


def flatten(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"machine": {"ram": 1}}`` to ``{"machine.ram": 1}``."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            out.update(flatten(value, f"{name}."))
        else:
            out[name] = value
    return out


def _show(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(_show(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}={_show(v)}" for k, v in value.items()) or "(none)"
    return str(value)


def parameters_html(parameters: dict[str, Any], overrides: dict[str, Any]) -> str:
    """The scenario's parameters as an HTML table; overridden keys are marked."""
    rows = []
    for key, value in flatten(parameters).items():
        mark = ' class="override" title="set on the command line"' if key in overrides else ""
        rows.append(f"<tr{mark}><th>{html.escape(key)}</th>"
                    f"<td>{html.escape(_show(value))}</td></tr>")
    return '<table class="ukspace-params">\n' + "\n".join(rows) + "\n</table>"


_HEADING = re.compile(r"<h([1-3])((?:\s[^>]*)?)>(.*?)</h\1>", re.S)
_ANCHOR = re.compile(r'<a class="anchor-link"[^>]*>.*?</a>', re.S)
_TAG = re.compile(r"<[^>]+>")


def add_toc(page: str) -> str:
    """Give every h1-h3 a unique id and put a nested table of contents at TOC_MARK."""
    entries: list[tuple[int, str, str]] = []

    def renumber(m: re.Match[str]) -> str:
        level, attrs, inner = int(m.group(1)), m.group(2), m.group(3)
        anchor = f"s{len(entries) + 1}"
        text = html.unescape(_TAG.sub("", _ANCHOR.sub("", inner))).strip()
        attrs = re.sub(r'\s+id="[^"]*"', "", attrs)
        inner = re.sub(r'(<a class="anchor-link" href=")#[^"]*"', rf'\1#{anchor}"', inner)
        entries.append((level, anchor, text))
        return f'<h{level} id="{anchor}"{attrs}>{inner}</h{level}>'

    head, mark, body = page.partition(TOC_MARK)
    if not mark:
        raise ValueError("the report template has no table-of-contents mark")
    body = _HEADING.sub(renumber, body)
    return head + toc_html(entries) + body


def toc_html(entries: list[tuple[int, str, str]]) -> str:
    """Nested ``<ul>`` lists for (level, anchor, text) headings."""
    if not entries:
        return "<p>(no headings)</p>"
    top = min(level for level, _, _ in entries)
    out, depth = [], top - 1
    for level, anchor, text in entries:
        while depth < level:
            out.append("<ul>")
            depth += 1
        while depth > level:
            out.append("</li></ul>")
            depth -= 1
        if out[-1] != "<ul>":
            out.append("</li>")
        out.append(f'<li><a href="#{anchor}">{html.escape(text)}</a>')
    while depth >= top:
        out.append("</li></ul>")
        depth -= 1
    return "\n".join(out)


def render_page(notebooks: Sequence[Path], *, title: str, header: dict[str, str],
                parameters: dict[str, Any], overrides: dict[str, Any],
                links: Sequence[tuple[str, str]] = ()) -> str:
    """The whole ``index.html`` for executed ``notebooks``.

    ``header`` rows (label to text) go above the parameter table, ``links``
    (href, label) point at the report's other files.
    """
    from nbconvert import HTMLExporter

    nb = merge_notebooks(notebooks)
    exporter = HTMLExporter(
        template_name="ukspace_report", extra_template_basedirs=[str(TEMPLATE_DIR)],
        exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True,
        embed_images=True, theme="light", widget_renderer_url=f"{WIDGET_STATIC}/embed.js")
    resources = {
        "metadata": {"name": title},
        "ukspace": {
            "title": title,
            "header": [(k, v) for k, v in header.items()],
            "parameters_html": parameters_html(parameters, overrides),
            "links": list(links),
            "toc_mark": TOC_MARK,
        },
    }
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    return add_toc(body)
