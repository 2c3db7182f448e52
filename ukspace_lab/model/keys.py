"""Every scenario key, read from the schema: where it is, what it accepts, its default.

:func:`field_at` finds the pydantic field of a dotted key, :func:`is_text`
says whether a key takes only words (so ``--set machine.kernel=2.6`` is the
text ``2.6``, not a YAML float), and :func:`scenario_keys` lists every key with
what it accepts, for ``ukspace-lab keys`` and ``docs/scenario-keys.md``.
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass, replace
from typing import Any, Literal

import annotated_types as at
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from ..units import size_token
from .costs import COST_FIELDS, cost_table, cpu_models
from .fields import TEXT_CHARS, Cost
from .keydocs import MEANINGS
from .scenario import SWEEP_ALIASES, Scenario
from .strategies import strategy_names

CHOICES_FROM = {"machine.cpu_model": cpu_models, "strategies": strategy_names}


def field_at(key: str) -> FieldInfo | None:
    """The field of dotted ``key`` (``workload.tasks``), or None (unknown, or under a dict)."""
    model: type[BaseModel] = Scenario
    parts = key.split(".")
    for i, part in enumerate(parts):
        info = model.model_fields.get(part)
        if info is None:
            return None
        if i == len(parts) - 1:
            return info
        if not (isinstance(info.annotation, type) and issubclass(info.annotation, BaseModel)):
            return None
        model = info.annotation
    return None


def _members(ann: Any) -> list[Any]:
    """The types a union annotation admits (the annotation itself when not a union)."""
    if isinstance(ann, types.UnionType) or typing.get_origin(ann) is typing.Union:
        return [m for a in typing.get_args(ann) for m in _members(a)]
    if typing.get_origin(ann) is typing.Annotated:
        return _members(typing.get_args(ann)[0])
    return [ann]


def is_text(key: str) -> bool:
    """Does ``key`` take only text (str, or a Literal of strings)?"""
    info = field_at(key)
    if info is None:
        return False
    members = _members(info.annotation)
    return all(m is str or (typing.get_origin(m) is Literal
                            and all(isinstance(a, str) for a in typing.get_args(m)))
               for m in members)


@dataclass(frozen=True)
class Key:
    """One documented key: dotted name, what it accepts, its default."""

    key: str
    accepts: str
    default: str
    meaning: str = ""


def _flat(metadata: list[Any]) -> list[Any]:
    """Constraint objects, with those inside a nested ``Field(...)`` taken out."""
    out = []
    for m in metadata:
        out += _flat(list(m.metadata)) if isinstance(m, FieldInfo) else [m]
    return out


def _bounds(metadata: list[Any]) -> str:
    found: dict[str, float] = {}
    for m in _flat(metadata):
        for attr in ("ge", "gt", "le", "lt"):
            if isinstance(m, getattr(at, attr.capitalize())):
                found[attr] = getattr(m, attr)
    low = f">= {found['ge']:g}" if "ge" in found else f"> {found['gt']:g}" if "gt" in found \
        else ""
    high = f"<= {found['le']:g}" if "le" in found else f"< {found['lt']:g}" if "lt" in found \
        else ""
    if "ge" in found and "le" in found:
        return f"from {found['ge']:g} to {found['le']:g}"
    return ", ".join(w for w in (low, high) if w)


def _meta(ann: Any) -> list[Any]:
    return list(typing.get_args(ann)[1:]) if typing.get_origin(ann) is typing.Annotated else []


def _accepts_one(ann: Any, metadata: list[Any], key: str) -> str:
    metadata = metadata + _meta(ann)
    base = typing.get_args(ann)[0] if typing.get_origin(ann) is typing.Annotated else ann
    sized = _sized(metadata)
    bounds = _bounds(metadata)
    if typing.get_origin(base) is Literal:
        return " \\| ".join(f"`{a}`" for a in typing.get_args(base))
    if base is bool:
        return "`true` \\| `false`"
    if base is int and sized:
        return "a size: bytes, or `64KiB`, `32MiB`, `16GiB`"
    if base is int:
        return "a whole number" + (f" {bounds}" if bounds else "")
    if base is float:
        return "a number" + (f" {bounds}" if bounds else "")
    if base is str and key in CHOICES_FROM:
        return " \\| ".join(f"`{c}`" for c in CHOICES_FROM[key]())
    if base is str:
        return f"one line of text, up to {TEXT_CHARS} characters"
    return str(base)


def _accepts(info: FieldInfo, key: str) -> str:
    members = _members_with_meta(info.annotation)
    words = [_accepts_one(a, list(info.metadata) if len(members) == 1 else [], key)
             for a in members]
    return " or ".join(words)


def _members_with_meta(ann: Any) -> list[Any]:
    if isinstance(ann, types.UnionType) or typing.get_origin(ann) is typing.Union:
        return list(typing.get_args(ann))
    return [ann]


def _sized(metadata: list[Any]) -> bool:
    return any(getattr(getattr(m, "func", None), "__name__", "") == "_size"
               for m in _flat(metadata))


def _default(value: Any, info: FieldInfo) -> str:
    inner = [x for a in _members_with_meta(info.annotation) for x in _meta(a)]
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if _sized([*info.metadata, *inner]) and isinstance(value, int):
        return f"`{size_token(value)}`"
    if isinstance(value, float):
        return f"`{value:g}`"
    if isinstance(value, list):
        return "every one, in table order" if value == list(strategy_names()) else f"`{value}`"
    if isinstance(value, dict):
        return "none"
    return f"`{value}`"


def scenario_keys() -> list[Key]:
    """Every key of the schema, section by section, then ``costs.*`` and ``sweep.*``."""
    out: list[Key] = []
    defaults = Scenario().model_dump()

    def walk(model: type[BaseModel], prefix: str, plain: dict[str, Any]) -> None:
        for name, info in model.model_fields.items():
            key = f"{prefix}{name}"
            if isinstance(info.annotation, type) and issubclass(info.annotation, BaseModel):
                walk(info.annotation, f"{key}.", plain[name])
            elif name == "costs" and not prefix:
                cost_meta = _meta(Cost)
                for cost in COST_FIELDS:
                    per_model = ", ".join(f"{m} {getattr(cost_table(m), cost):g}"
                                          for m in cpu_models())
                    out.append(Key(f"costs.{cost}", _accepts_one(float, cost_meta, key),
                                   f"the CPU model's (`data/costs.yaml`): {per_model}"))
            elif name == "sweep" and not prefix:
                out.append(Key("sweep.AXIS", "a list of values of AXIS: an alias ("
                               + ", ".join(f"`{a}`" for a in SWEEP_ALIASES)
                               + "), `seed`, `costs.NAME` or a dotted key", "none"))
            elif name == "strategies":
                out.append(Key(key, "a list of " + _accepts_one(str, [], key),
                               _default(plain[name], info)))
            else:
                out.append(Key(key, _accepts(info, key), _default(plain[name], info)))

    walk(Scenario, "", defaults)
    return [replace(k, meaning=MEANINGS.get(k.key, "")) for k in out]


__all__ = ["Key", "field_at", "is_text", "scenario_keys"]
