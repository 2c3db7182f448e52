"""Validation cases: a published measurement posed as a scenario, read from YAML.

A case file (``data/validation/*.yaml``, or a user's own) says where a number
was published, which scenario reproduces the measured machine and workload,
which model output corresponds to it, and how close the model must come. The
format is documented in ``docs/validation.md``. Files are read with the same
bounded loader as scenarios (:mod:`~ukspace_lab.model.safeyaml`) and every
problem becomes one :class:`~ukspace_lab.errors.ScenarioError` naming the
field (``measure.quantity``, ``tolerance``, ...), never a traceback.

Finding and reading case files is :mod:`~ukspace_lab.study.casefiles`, running
them :mod:`~ukspace_lab.study.validation`.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from ..errors import ScenarioError, shown
from ..model.closed import RESULT_KEYS
from ..model.fields import Duration, Text
from ..model.strategies import strategy_names

SPECIAL = ("cpu_seconds",)
COUNT_SUFFIX = "_count"
LONG_CHARS = 4000          # a quote or a rates_from paragraph
ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.+-]{0,39}")


def _date(v: Any) -> Any:
    return v.isoformat() if isinstance(v, dt.date) else v


def _long(v: str) -> str:
    if len(v) > LONG_CHARS:
        raise ValueError(f"a text of {len(v)} characters; at most {LONG_CHARS}")
    return v


LongText = Annotated[str, AfterValidator(_long)]
Number = Annotated[float, Field(allow_inf_nan=False)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Source(_Strict):
    """Where the number was published (a mail: author, date, Subject, Message-ID)."""

    author: Text
    date: Annotated[Text, BeforeValidator(_date)]
    subject: Text | None = None
    message_id: Text | None = None
    url: Text | None = None


class CaseScenario(_Strict):
    """The scenario of the measurement: a named or path scenario plus dotted overrides."""

    base: Text = "kernbench"
    set: dict[str, Any] = Field(default_factory=dict)


Item = Text | dict[str, Any]   # a strategy name, or dotted overrides of one variant


class Measure(_Strict):
    """Which model output, over how long, and of which strategy or which two."""

    quantity: Text
    run_seconds: Duration = Field(1.0, gt=0)
    strategy: Text | None = None
    difference: list[Item] | None = Field(None, min_length=2, max_length=2)
    ratio: list[Item] | None = Field(None, min_length=2, max_length=2)

    @field_validator("quantity")
    @classmethod
    def _known(cls, v: str) -> str:
        allowed = quantities()
        if v not in allowed:
            near = difflib.get_close_matches(v[:80], allowed, n=1)
            hint = f"; did you mean {near[0]!r}?" if near else ""
            raise ValueError(f"unknown quantity{hint} allowed: cpu_seconds, a result key "
                             "(e.g. pagetable_bytes) or a per-second key + '_count' (e.g. "
                             "kmaps_per_s_count)")
        return v

    @field_validator("strategy")
    @classmethod
    def _strategy(cls, v: str | None) -> str | None:
        if v is not None:
            _check_strategy(v)
        return v

    @field_validator("difference", "ratio")
    @classmethod
    def _sides(cls, v: list[Any] | None) -> list[Any] | None:
        for item in v or []:
            if isinstance(item, str):
                _check_strategy(item)
        return v

    @model_validator(mode="after")
    def _one_form(self) -> Measure:
        forms = [k for k in ("difference", "ratio") if getattr(self, k) is not None]
        if len(forms) > 1:
            raise ValueError("give one of difference: [A, B] or ratio: [A, B], not both")
        if not forms and self.strategy is None:
            raise ValueError("give strategy: NAME for a plain value, or difference: [A, B] "
                             "(A minus B) or ratio: [A, B] (A over B)")
        for form in forms:
            items = getattr(self, form)
            for item in items:
                if not isinstance(item, str) and self.strategy is None:
                    raise ValueError(f"{form} compares two variants ({shown(item)}): also give "
                                     "strategy: NAME, the strategy evaluated in both")
        return self

    @property
    def form(self) -> str:
        """``difference``, ``ratio`` or ``value``."""
        return "difference" if self.difference else "ratio" if self.ratio else "value"

    @property
    def items(self) -> tuple[Item, ...]:
        """What is evaluated: one strategy, or the two sides of the comparison."""
        return tuple(self.difference or self.ratio or [self.strategy])


class Published(_Strict):
    """The published number and its unit."""

    value: Number
    unit: Text = ""


class Tolerance(_Strict):
    """How close is close: a factor either way, a relative or an absolute error."""

    factor: Number | None = Field(None, gt=1)
    rel: Number | None = Field(None, gt=0)
    abs: Number | None = Field(None, gt=0)

    @model_validator(mode="after")
    def _one(self) -> Tolerance:
        given = [k for k in ("factor", "rel", "abs") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of factor: F (> 1, within F times either way), "
                             "rel: R (|predicted - published| <= R x |published|) or abs: A "
                             f"(|predicted - published| <= A); got {', '.join(given) or 'none'}")
        return self

    def within(self, predicted: float, published: float) -> bool:
        """Is ``predicted`` close enough to ``published``?"""
        if self.factor is not None:
            if predicted == 0 or published == 0 or (predicted > 0) != (published > 0):
                return predicted == published
            r = predicted / published
            return 1 / self.factor <= r <= self.factor
        if self.rel is not None:
            return abs(predicted - published) <= self.rel * abs(published)
        return abs(predicted - published) <= self.abs

    def band(self, published: float) -> tuple[float, float]:
        """The predictions accepted for ``published``: (lowest, highest)."""
        if self.factor is not None:
            a, b = published / self.factor, published * self.factor
            return (min(a, b), max(a, b))
        half = self.rel * abs(published) if self.rel is not None else float(self.abs)
        return (published - half, published + half)

    def text(self) -> str:
        """``x1.5``, ``+-25%`` or ``+-2.3``."""
        if self.factor is not None:
            return f"x{self.factor:g}"
        if self.rel is not None:
            return f"+-{100 * self.rel:g}%"
        return f"+-{self.abs:g}"


class Case(_Strict):
    """One published measurement and the scenario that poses it."""

    id: Text
    title: Text
    kind: Literal["A2A", "IND"] = "A2A"
    source: Source
    quote: LongText = ""
    scenario: CaseScenario = CaseScenario()
    rates_from: LongText
    measure: Measure
    published: Published
    tolerance: Tolerance

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        if not ID_RE.fullmatch(v):
            raise ValueError("an id is up to 40 letters, digits and _ . + - (e.g. C7)")
        return v


def quantities() -> list[str]:
    """Every quantity a case may name."""
    keys = [k for k in RESULT_KEYS if k != "strategy"]
    return [*SPECIAL, *keys, *(k + COUNT_SUFFIX for k in keys if k.endswith("_per_s"))]


def _check_strategy(v: str) -> None:
    known = strategy_names()
    if v not in known:
        near = difflib.get_close_matches(v[:80], known, n=1)
        hint = f"; did you mean {near[0]!r}?" if near else ""
        raise ValueError(f"unknown strategy {shown(v)}{hint} allowed: {', '.join(known)}")


def _describe(err: dict[str, Any]) -> str:
    loc = ".".join(str(p) for p in err["loc"] if not str(p).startswith(("function-", "str",
                                                                          "dict[")))
    key = loc[:120] or "case"
    msg = err["msg"].removeprefix("Value error, ")
    if err["type"] == "missing":
        return f"{key}: missing; every case has id, title, source, rates_from, measure, " \
               "published and tolerance (docs/validation.md)"
    if err["type"] == "extra_forbidden":
        return f"{key}: unknown field (docs/validation.md lists the fields)"
    if isinstance(err.get("input"), dict) or not err["loc"]:
        return f"{key}: {msg}"
    return f"{key} = {shown(err.get('input'))}: {msg}"


def validate_case(data: Any, source: str = "case") -> Case:
    """A :class:`Case` from plain data, or one :class:`ScenarioError` naming each field."""
    if not isinstance(data, dict):
        raise ScenarioError([f"the top level is {type(data).__name__} {shown(data)}, expected "
                             "a mapping with id, title, source, scenario, measure, published, "
                             "tolerance"], source)
    try:
        return Case.model_validate(data)
    except ValidationError as exc:
        seen: list[str] = []
        for e in exc.errors():
            text = _describe(e)
            if text not in seen:
                seen.append(text)
        raise ScenarioError(seen, source) from None


__all__ = ["Case", "Measure", "Published", "Source", "Tolerance", "quantities", "validate_case"]
