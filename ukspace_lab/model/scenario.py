"""The scenario: one validated schema shared by the CLI, papermill and widgets.

A scenario is a YAML file in ``papermill_params/`` (loaded by name or path,
:mod:`~ukspace_lab.model.loading`) plus ``--set dotted.key=value`` overrides.
Every user error becomes one :class:`ScenarioError` that names the key, the
value and what is allowed. After the schema, :func:`validate_scenario` refuses
machines the kernel could not build (:mod:`~ukspace_lab.model.feasibility`).
"""

from __future__ import annotations

import difflib
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from ..errors import ScenarioError, shown
from ..units import GiB, MiB
from .costs import COST_FIELDS, cpu_models
from .feasibility import feasibility_problems
from .fields import Cost, Count, Duration, Fraction, Rate, Size, SweepValue, Text, cost_problem
from .kernel import kernel_era, resolve
from .strategies import strategy_names

SWEEP_ALIASES = {
    "tasks": "workload.tasks",
    "ram": "machine.ram",
    "pool_entries": "ukspace.pool_entries",
    "cpus": "machine.cpus",
    "threads_per_task": "workload.threads_per_task",
    "shared_segment": "workload.shared_segment",
    "reads_per_s": "workload.reads_per_s",
    "ctxsw_per_s": "workload.ctxsw_per_s",
    "scan_pages_per_s": "workload.scan_pages_per_s",
    "highmem_cache_fraction": "workload.highmem_cache_fraction",
}


Auto = Literal["auto"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class MachineConfig(_Strict):
    """The box: architecture, RAM, CPUs, split, kernel era and CPU model."""

    arch: Literal["i386", "i386-pae"] = "i386-pae"
    ram: Size = 16 * GiB
    cpus: Count = Field(16, ge=1, le=64)
    split: Literal["3G/1G", "2G/2G", "1G/3G"] = "3G/1G"
    kernel: Text = "2.4.18"
    cpu_model: str = "pentium3-xeon"
    phys_hole: Size = 0
    hz: Count | Auto = "auto"
    last_pkmap: Count | Auto = "auto"
    interrupts_per_s: Rate = Field(0.0, ge=0)
    apic: Literal["auto", "flat", "clustered"] = "auto"

    @field_validator("kernel")
    @classmethod
    def _known_kernel(cls, v: str) -> str:
        try:
            resolve(v)
        except KeyError as exc:
            raise ValueError(str(exc.args[0]).replace(f"unknown kernel {v!r}; ", "")) from None
        return v

    @field_validator("last_pkmap")
    @classmethod
    def _pool(cls, v: int | str) -> int | str:
        if v != "auto" and not (64 <= v <= 8192 and v & (v - 1) == 0):
            raise ValueError("slots of the global pkmap pool: a power of two from 64 to 8192 "
                             "(map_new_virtual wraps with LAST_PKMAP_MASK), or auto: the "
                             "era's LAST_PKMAP")
        return v

    @field_validator("hz")
    @classmethod
    def _tick(cls, v: int | str) -> int | str:
        if v != "auto" and not 1 <= v <= 10000:
            raise ValueError("timer ticks per second per CPU, from 1 to 10000 (or auto: "
                             "the kernel's HZ)")
        return v

    @field_validator("cpu_model")
    @classmethod
    def _known_cpu(cls, v: str) -> str:
        if v not in cpu_models():
            raise ValueError(f"unknown CPU model; allowed: {', '.join(cpu_models())}")
        return v

    @model_validator(mode="after")
    def _possible(self) -> MachineConfig:
        if self.ram < 16 * MiB:
            raise ValueError(f"machine.ram = {self.ram} B: at least 16MiB is needed")
        if self.arch == "i386" and self.ram > 4 * GiB:
            raise ValueError(
                f"machine.ram = {self.ram // GiB}GiB with arch i386: without PAE the "
                "kernel cuts RAM to 4GiB (MAX_NONPAE_PFN); use arch i386-pae or ram <= 4GiB")
        if self.ram > 64 * GiB:
            raise ValueError(
                f"machine.ram = {self.ram // GiB}GiB: i386 PAE addresses at most 64GiB "
                "(CONFIG_HIGHMEM64G)")
        return self


class WorkloadConfig(_Strict):
    """Per-task (per-mm) memory and per-second activity."""

    tasks: Count = Field(400, ge=1)
    threads_per_task: Count = Field(1, ge=1, le=4096)
    shared_segment: Size = 2 * GiB
    private: Size = 32 * MiB
    text: Size = 4 * MiB
    stack: Size = 128 * 1024
    vmas: Count = Field(24, ge=1, le=65536)
    reads_per_s: Rate = Field(2000.0, ge=0)
    writes_per_s: Rate = Field(0.0, ge=0)
    read_size: Size = 64 * 1024
    file_set: Size | Auto = "auto"
    highmem_cache_fraction: Fraction | Auto = "auto"
    faults_per_s: Rate = Field(100.0, ge=0)
    ctxsw_per_s: Rate = Field(500.0, ge=0)
    forks_per_s: Rate = Field(0.0, ge=0)
    execs_per_s: Rate = Field(0.0, ge=0)
    exits_per_s: Rate | Auto = "auto"
    exec_arg_pages: Count = Field(2, ge=1, le=8192)
    exec_strings: Count = Field(60, ge=1, le=131072)
    syscalls_per_s: Rate = Field(0.0, ge=0)
    cpu_bound: bool = False
    scan_pages_per_s: Rate = Field(10000.0, ge=0)
    read_kmap: Literal["auto", "kmap", "atomic", "local"] = "auto"
    atomic_fallback_fraction: Fraction = Field(0.0, ge=0, le=1)
    copy_fault_probability: Fraction = Field(0.0, ge=0, le=1)
    fault_sleep_ms: Duration = Field(10.0, ge=0)
    kthread_io_share: Fraction = Field(0.0, ge=0, le=1)

    @field_validator("read_size")
    @classmethod
    def _nonzero(cls, v: int) -> int:
        if v < 1:
            raise ValueError("must be at least 1 byte")
        return v


class UkspaceConfig(_Strict):
    """The seed's per-task region: pool size, where it is carved from."""

    pool_entries: Count = Field(64, ge=1, le=65536)
    carve_from: Literal["kernel", "user"] = "kernel"
    region_size: Size | Auto = "auto"
    piggyback: bool = True


class Scenario(_Strict):
    """A whole scenario: what is modelled, on what, with which strategies."""

    title: Text = "untitled scenario"
    seed: Count = Field(1, ge=0)
    machine: MachineConfig = MachineConfig()
    workload: WorkloadConfig = WorkloadConfig()
    strategies: list[str] = Field(default_factory=lambda: list(strategy_names()),
                                  min_length=1)
    ukspace: UkspaceConfig = UkspaceConfig()
    costs: dict[str, Cost] = Field(default_factory=dict)
    sweep: dict[str, list[SweepValue]] = Field(default_factory=dict)

    @field_validator("strategies")
    @classmethod
    def _unique(cls, v: list[str]) -> list[str]:
        known = strategy_names()
        unknown = [x for x in v if x not in known]
        if unknown:
            near = difflib.get_close_matches(unknown[0][:80], known, n=1)
            hint = f"; did you mean {near[0]!r}?" if near else ""
            raise ValueError(f"unknown strategy {shown(unknown[0])}{hint} allowed: "
                             f"{', '.join(known)}")
        dup = sorted({s for s in v if v.count(s) > 1})
        if dup:
            raise ValueError(f"listed twice: {', '.join(dup)}")
        return v

    @field_validator("costs")
    @classmethod
    def _cost_names(cls, v: dict[str, float]) -> dict[str, float]:
        for k, x in v.items():
            if k not in COST_FIELDS:
                near = difflib.get_close_matches(k[:80], COST_FIELDS, n=1)
                hint = f"; did you mean {near[0]!r}?" if near else ""
                raise ValueError(f"costs.{shown(k)[1:-1]}: unknown cost{hint} allowed: "
                                 f"{', '.join(COST_FIELDS)}")
            if cost_problem(k, x):
                raise ValueError(f"costs.{k} = {x!r}: {cost_problem(k, x)}")
        return v

    @field_validator("sweep")
    @classmethod
    def _sweep_axes(cls, v: dict[str, list[Any]]) -> dict[str, list[Any]]:
        for k, values in v.items():
            if k not in SWEEP_ALIASES and "." not in k:
                near = difflib.get_close_matches(k[:80], SWEEP_ALIASES, n=1)
                hint = f"; did you mean {near[0]!r}?" if near else ""
                raise ValueError(
                    f"unknown sweep axis {shown(k)}{hint} use one of {', '.join(SWEEP_ALIASES)} "
                    "or a dotted key such as machine.cpus")
            if not values:
                raise ValueError(f"sweep axis {shown(k)} has no values")
        return v

    @model_validator(mode="after")
    def _possible(self) -> Scenario:
        era = kernel_era(self.machine.kernel)
        n = self.workload.tasks * self.workload.threads_per_task
        if n > era.pid_max:
            raise ValueError(
                f"workload.tasks x workload.threads_per_task = {n} exceeds PID_MAX "
                f"{era.pid_max} of kernel {self.machine.kernel}")
        return self

    def to_plain(self) -> dict[str, Any]:
        """Plain JSON types (for papermill parameters, manifests and caches)."""
        return self.model_dump(mode="json")

    def with_overrides(self, overrides: dict[str, Any]) -> Scenario:
        """A new, re-validated scenario with dotted-key overrides applied."""
        data = self.to_plain()
        for key, value in overrides.items():
            _set_dotted(data, key, value)
        return validate_scenario(data, source="scenario with overrides")


def _set_dotted(data: dict[str, Any], key: str, value: Any) -> None:
    parts = key.split(".")
    node = data
    for i, part in enumerate(parts[:-1]):
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise ScenarioError([f"{'.'.join(parts[:i + 1])} is a value, not a section; "
                                 f"cannot set {key}"], source="override")
        node = child
    node[parts[-1]] = value


def _model_for(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    model: type[BaseModel] = Scenario
    for part in loc:
        field = model.model_fields.get(str(part))
        if field is None:
            return None
        ann = field.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            model = ann
        else:
            return None
    return model


def _describe(err: dict[str, Any]) -> str:
    loc = tuple(p for p in err["loc"] if not str(p).startswith(("function-", "literal[")))
    key = ".".join(str(p) for p in loc)[:120] or "scenario"
    if err["type"] == "extra_forbidden":
        parent = _model_for(loc[:-1])
        allowed = list(parent.model_fields) if parent else []
        near = difflib.get_close_matches(str(loc[-1])[:80], allowed, n=1)
        hint = f"; did you mean {'.'.join(map(str, loc[:-1] + (near[0],)))!r}?" if near else ""
        return f"{key}: unknown key{hint} allowed here: {', '.join(allowed)}"
    msg = err["msg"].removeprefix("Value error, ")
    if err["type"] == "model_type" or loc == () or isinstance(err.get("input"), dict):
        return msg if msg.startswith(key) else f"{key}: {msg}"
    return f"{key} = {shown(err.get('input'))}: {msg}"


def validate_scenario(data: Any, source: str = "scenario") -> Scenario:
    """A :class:`Scenario` from plain data, or one :class:`ScenarioError` with every problem."""
    if not isinstance(data, dict):
        raise ScenarioError([f"expected a mapping of keys, got {type(data).__name__}"], source)
    try:
        scn = Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError([_describe(e) for e in exc.errors()], source) from None
    problems = feasibility_problems(scn)
    if problems:
        raise ScenarioError(problems, source)
    return scn
