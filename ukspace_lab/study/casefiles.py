"""Case files: the shipped ones in ``data/validation/``, a user's by path, read safely.

A case is named by a path, by the file name of a shipped case (``C7-highpte-kernbench``)
or by its ``id`` (``C7``). Files are read with the bounded loader of scenarios
(:mod:`~ukspace_lab.model.safeyaml`) and checked by
:func:`~ukspace_lab.study.cases.validate_case`: every problem is one
:class:`~ukspace_lab.errors.ScenarioError`, never a traceback.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from ..errors import ScenarioError, shown
from ..model import safeyaml
from ..resources import data_file
from .cases import Case, validate_case


def case_dir() -> Path:
    """The shipped cases: ``data/validation/``."""
    return data_file("validation")


def resolve_case_path(name: str | Path) -> Path:
    """A case file from a path, or from the id/stem of a shipped case (``C7``)."""
    p = Path(name)
    try:
        if p.suffix in (".yaml", ".yml") or p.exists():
            if not p.is_file():
                raise ScenarioError([f"no case file at {shown(str(p))}"], source="validate")
            return p
        shipped = sorted(case_dir().glob("*.yaml"))
        for candidate in shipped:
            if candidate.stem == str(name):
                return candidate
        for candidate in shipped:
            if _case_id(candidate) == str(name):
                return candidate
    except (OSError, ValueError):
        raise ScenarioError([f"case {shown(str(name))}: not a usable file name"],
                            source="validate") from None
    names = [c.stem for c in sorted(case_dir().glob("*.yaml"))]
    raise ScenarioError([f"no case file or shipped case named {shown(str(name))}; shipped: "
                         f"{', '.join(names)}"], source="validate")


def _case_id(path: Path) -> str | None:
    """The ``id:`` of a shipped case file (None when it does not read)."""
    try:
        data = safeyaml.load(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, yaml.YAMLError):
        return None
    return str(data.get("id")) if isinstance(data, dict) else None


def load_case(name: str | Path) -> Case:
    """Read and validate one case file (by path, or a shipped case's id)."""
    path = resolve_case_path(name)
    label = f"case {path.name[:60]}"
    try:
        with open(path, "rb") as fh:
            raw = fh.read(safeyaml.MAX_BYTES + 1)
        data = safeyaml.load(safeyaml.decode(raw, path.name[:60]))
    except OSError as exc:
        raise ScenarioError([f"cannot read it ({exc.strerror})"], source=label) from None
    except ValueError as exc:
        raise ScenarioError([str(exc)], source=label) from None
    except yaml.YAMLError as exc:
        raise ScenarioError([f"not valid YAML at {safeyaml.where(exc)}"], source=label) from None
    if data is None:
        raise ScenarioError(["empty; a case is a mapping (docs/validation.md)"], source=label)
    return validate_case(data, source=label)


def shipped_cases() -> list[Path]:
    """Every case file in ``data/validation/``, by name."""
    return sorted(case_dir().glob("*.yaml"))


__all__ = ["case_dir", "load_case", "resolve_case_path", "shipped_cases"]
