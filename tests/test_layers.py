"""The package's layers, read from its imports: no cycle, every arrow pointing down.

Every import of every module under ``ukspace_lab/`` (module level and inside
functions, relative ones resolved; ``if TYPE_CHECKING:`` blocks are not run and
are left out) is an arrow. The layers, top down: cli and calibrate, present,
study, sim, model, then the base modules (units, errors, resources, atomic,
version, _api).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "ukspace_lab"
LAYER = {"cli": 5, "calibrate": 5, "present": 4, "study": 3, "sim": 2, "model": 1}
MAX_LINES = 300


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PKG.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _type_checking_lines(tree: ast.AST) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                lines.update(range(child.lineno, child.end_lineno + 1))
    return lines


def imports(path: Path) -> set[str]:
    """The ukspace_lab modules ``path`` imports (a package import counts as its __init__)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _type_checking_lines(tree)
    me = module_name(path)
    package = me if path.name == "__init__.py" else me.rpartition(".")[0]
    out = set()
    for node in ast.walk(tree):
        if getattr(node, "lineno", 0) in skip:
            continue
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.startswith("ukspace_lab")}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            if not target.startswith("ukspace_lab"):
                continue
            subs = {f"{target}.{a.name}" for a in node.names if _is_module(f"{target}.{a.name}")}
            out |= subs                       # from . import fmt: the module fmt
            if node.module is not None or len(subs) < len(node.names):
                out.add(target)
    return out - {me}


def _is_module(name: str) -> bool:
    path = PKG.parent / name.replace(".", "/")
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def graph() -> dict[str, set[str]]:
    return {module_name(p): imports(p) for p in sorted(PKG.rglob("*.py"))}


def layer(module: str) -> int:
    parts = module.split(".")
    return LAYER.get(parts[1], 0) if len(parts) > 1 else 6   # the package face is on top


def test_the_walk_sees_the_imports():
    """The walker finds known arrows (a test of the test)."""
    g = graph()
    assert "ukspace_lab.model.layout" in g["ukspace_lab.model.memory"]
    assert "ukspace_lab.present.fmt" in g["ukspace_lab.present.writeup"]
    assert "ukspace_lab.study.verdict" in g["ukspace_lab.present.writeup"]


def test_no_import_cycle():
    """No module imports itself through others (depth-first search for a back edge)."""
    g = graph()
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(m: str) -> None:
        state[m] = 1
        path.append(m)
        for n in sorted(g.get(m, ())):
            if state.get(n) == 1:
                pytest.fail("import cycle: " + " -> ".join(path[path.index(n):] + [n]))
            if n in g and n not in state:
                visit(n)
        path.pop()
        state[m] = 2

    for m in sorted(g):
        if m not in state:
            visit(m)


def test_arrows_point_down():
    """model and sim never import study, present or cli; study never present or cli;
    the simulator never the closed form's presentation; nothing below the top imports
    the package face."""
    up = [(m, n) for m, deps in graph().items() for n in deps
          if n != "ukspace_lab" and layer(n) > layer(m) and layer(m) > 0]
    assert not up, "imports that climb a layer: " + ", ".join(f"{m} -> {n}" for m, n in up)
    faced = [m for m, deps in graph().items() if "ukspace_lab" in deps and m != "ukspace_lab"
             and not m.startswith("ukspace_lab.calibrate")]
    assert not faced, f"import the package face instead of a module: {faced}"


def test_model_and_sim_do_not_import_study_or_present():
    """The issue's rule, spelled out."""
    bad = [(m, n) for m, deps in graph().items() for n in deps
           if m.startswith(("ukspace_lab.model", "ukspace_lab.sim"))
           and n.startswith(("ukspace_lab.study", "ukspace_lab.present", "ukspace_lab.cli"))]
    assert not bad, bad


@pytest.mark.parametrize("path", sorted(PKG.rglob("*.py")), ids=lambda p: module_name(p))
def test_module_is_short(path):
    """Every module is 300 lines or fewer."""
    n = len(path.read_text(encoding="utf-8").splitlines())
    assert n <= MAX_LINES, f"{path.relative_to(PKG.parent)} has {n} lines"
