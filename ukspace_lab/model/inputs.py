"""Scenarios as arrays: the flat, vectorised inputs of the closed-form engine.

:func:`points_from_scenario` turns one validated scenario, optionally crossed
with sweep axes, into a :class:`Points` record of equal-length numpy arrays
(one element per point). Era constants and cost figures are gathered per
point, so the kernel and the CPU model can be swept like any number.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any

import numpy as np

from ..errors import ScenarioError
from .costs import COST_FIELDS, cost_table, cpu_models
from .geometry import SPLITS
from .kernel import ALL_ERAS, EXEC_COPIES, GATED, READ_KMAPS, era_index, kernel_era
from .scenario import SWEEP_ALIASES, Scenario

AUTO = -1.0
_ERA_FIELDS = tuple(f.name for f in fields(kernel_era(ALL_ERAS[0]).__class__)
                    if f.name not in ("name", "description", "version", *GATED))


@dataclass(frozen=True)
class Points:
    """Equal-length arrays, one element per evaluated point."""

    columns: dict[str, np.ndarray]
    axes: tuple[str, ...]
    labels: dict[str, np.ndarray] = field(default_factory=dict)  # axis -> value per point
    _memo: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)

    def memo(self, key: Any, compute: Callable[[], Any]) -> Any:
        """A derived value computed once per Points (strategies share geometry)."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    def __len__(self) -> int:
        return len(next(iter(self.columns.values())))

    def __getitem__(self, key: str) -> np.ndarray:
        return self.columns[key]

    def slice(self, start: int, stop: int) -> Points:
        """Points start..stop (views, a memo of their own)."""
        return Points({k: v[start:stop] for k, v in self.columns.items()}, self.axes,
                      {k: v[start:stop] for k, v in self.labels.items()})

    def era(self, name: str) -> np.ndarray:
        """An era constant per point (data/kernels.yaml)."""
        return self.columns[f"era.{name}"]

    def cost(self, name: str) -> np.ndarray:
        """A cost figure per point (data/costs.yaml, with overrides)."""
        return self.columns[f"cost.{name}"]

    def at_cost_level(self, level: str) -> Points:
        """These points with every cost figure at its ``low`` or ``high`` end (overrides
        stay pinned): the ends of the cpu_overhead_pct interval."""
        src = {"low": "costlow.", "high": "costhigh."}[level]
        cols = dict(self.columns)
        cols.update({"cost." + k[len(src):]: v for k, v in self.columns.items()
                     if k.startswith(src)})
        return Points(cols, self.axes, self.labels)


def _numeric(scn: Scenario) -> dict[str, float]:
    """The scenario's inputs as numbers (codes for choices, -1 for auto)."""
    m, w, u = scn.machine, scn.workload, scn.ukspace
    k = kernel_era(m.kernel)
    read_kmap = w.read_kmap if w.read_kmap != "auto" else k.read_kmap
    return {
        "pae": float(m.arch == "i386-pae"),
        "ram": float(m.ram),
        "phys_hole": float(m.phys_hole),
        "cpus": float(m.cpus),
        "apic": {"auto": AUTO, "flat": 0.0, "clustered": 1.0}[m.apic],
        "page_offset": float(SPLITS[m.split]),
        "era_index": float(era_index(m.kernel)),
        # version-gated constants (kernels.yaml gated) of the version machine.kernel names;
        # read like era constants, p.era("hz")
        **{f"era.{g}": float(EXEC_COPIES.index(getattr(k, g)) if g == "exec_copy"
                             else getattr(k, g)) for g in GATED},
        "hz": float(k.hz if m.hz == "auto" else m.hz),
        "interrupts_per_s": float(m.interrupts_per_s),
        "last_pkmap": 0.0 if m.last_pkmap == "auto" else float(m.last_pkmap),
        "cpu_index": float(cpu_models().index(m.cpu_model)),
        "tasks": float(w.tasks),
        "threads": float(w.threads_per_task),
        "shared": float(w.shared_segment),
        "private": float(w.private),
        "text": float(w.text),
        "stack": float(w.stack),
        "vmas": float(w.vmas),
        "reads_per_s": float(w.reads_per_s),
        "writes_per_s": float(w.writes_per_s),
        "read_size": float(w.read_size),
        "file_set": AUTO if w.file_set == "auto" else float(w.file_set),
        "highmem_fraction": (AUTO if w.highmem_cache_fraction == "auto"
                             else float(w.highmem_cache_fraction)),
        "faults_per_s": float(w.faults_per_s),
        "ctxsw_per_s": float(w.ctxsw_per_s),
        "forks_per_s": float(w.forks_per_s),
        "execs_per_s": float(w.execs_per_s),
        "exits_per_s": float(w.forks_per_s if w.exits_per_s == "auto" else w.exits_per_s),
        "exec_arg_pages": float(w.exec_arg_pages),
        "exec_strings": float(w.exec_strings),
        "syscalls_per_s": float(w.syscalls_per_s),
        "cpu_bound": float(w.cpu_bound),
        "scan_pages_per_s": float(w.scan_pages_per_s),
        "read_kmap": float(READ_KMAPS.index(read_kmap)),
        "atomic_fallback": float(w.atomic_fallback_fraction),
        "copy_fault_p": float(w.copy_fault_probability),
        "fault_sleep_s": float(w.fault_sleep_ms) / 1000.0,
        "kthread_io": float(w.kthread_io_share),
        "pool": float(u.pool_entries),
        "carve_user": float(u.carve_from == "user"),
        "region_size": 0.0 if u.region_size == "auto" else float(u.region_size),
        "piggyback": float(u.piggyback),
        # a cost override replaces the figure for every CPU model (NaN: the table's own)
        **{f"costov.{k}": float(scn.costs.get(k, np.nan)) for k in COST_FIELDS},
    }


def _same(a: float, b: float) -> bool:
    return a == b or (a != a and b != b)          # NaN (no override) equals NaN


def axis_key(name: str) -> str:
    """The dotted scenario key of a sweep axis (``tasks`` -> ``workload.tasks``)."""
    return SWEEP_ALIASES.get(name, name)


def _axis_scenarios(scn: Scenario, axes: dict[str, list[Any]]) -> list[list[Scenario]]:
    out = []
    for name, values in axes.items():
        key = axis_key(name)
        row = []
        for v in values:
            try:
                row.append(scn.with_overrides({key: v}))
            except ScenarioError as exc:
                raise ScenarioError([f"sweep axis {name} = {v!r}: {p}" for p in exc.problems],
                                    source="sweep") from None
        out.append(row)
    return out


def points_from_scenario(scn: Scenario, axes: dict[str, list[Any]] | None = None) -> Points:
    """One point, or the cartesian product of ``axes`` (dotted keys or aliases).

    Each axis value is validated against the scenario on its own; the grid
    itself is built with numpy, not by validating every combination.
    """
    axes = dict(axes or {})
    variants = dict(zip(axes, _axis_scenarios(scn, axes), strict=True))
    labels = {name: [_label(s, axis_key(name)) for s in row] for name, row in variants.items()}
    return points_from_variants(scn, variants, labels)


def points_from_variants(scn: Scenario, variants: dict[str, Sequence[Scenario]],
                         labels: dict[str, Sequence[Any]] | None = None) -> Points:
    """The cartesian product of axes given as already validated scenarios: axis name ->
    ``scn`` with that axis set to each of its values (what a sweep's validated axes
    hold, so a value is validated once). ``labels`` are the axis values per point."""
    base = _numeric(scn)
    per_axis = [list(row) for row in variants.values()]
    changed: list[list[dict[str, float]]] = []
    for row in per_axis:
        nums = [_numeric(s) for s in row]
        changed.append([{k: v for k, v in n.items() if not _same(v, base[k])} for n in nums])
    shape = [len(r) for r in per_axis] or [1]
    n = int(np.prod(shape))
    cols = {k: np.full(n, v) for k, v in base.items()}
    index = np.indices(shape).reshape(len(shape), -1)
    for axis, row in enumerate(changed):
        for j, delta in enumerate(row):
            sel = index[axis] == j
            for k, v in delta.items():
                cols[k][sel] = v
    out = {}
    for name, values in (labels or {}).items():
        vals = np.empty(len(values), dtype=object)
        vals[:] = list(values)
        out[name] = vals[index[list(variants).index(name)]]
    return replace(_finish(cols, tuple(variants)), labels=out)


def _label(scn: Scenario, key: str) -> Any:
    """The validated value of a dotted key (sizes in bytes, choices as text)."""
    node: Any = scn.to_plain()
    for part in key.split("."):
        node = node[part]
    return node


def points_from_arrays(scn: Scenario, arrays: dict[str, np.ndarray]) -> Points:
    """Points from raw arrays of numeric inputs (for large vectorised grids).

    ``arrays`` keys are the numeric input names of :func:`_numeric` (``tasks``,
    ``ram``, ``pool``, ...); the others come from ``scn``. Values are not validated.
    """
    base = _numeric(scn)
    unknown = sorted(set(arrays) - set(base))
    if unknown:
        raise ScenarioError([f"unknown input array {k!r}; allowed: {', '.join(base)}"
                             for k in unknown], source="grid")
    n = max(len(np.atleast_1d(a)) for a in arrays.values()) if arrays else 1
    cols = {k: np.broadcast_to(np.asarray(arrays.get(k, v), dtype=float), (n,)).copy()
            for k, v in base.items()}
    return _finish(cols, tuple(arrays))


def _era_number(era: str, name: str) -> float:
    """An era constant as a number (the read path as its READ_KMAPS code)."""
    value = getattr(kernel_era(era), name)
    return float(READ_KMAPS.index(value) if isinstance(value, str) else value)


PER_TASK_RATES = ("reads_per_s", "writes_per_s", "faults_per_s", "ctxsw_per_s", "forks_per_s",
                  "execs_per_s", "exits_per_s", "syscalls_per_s")


def cpu_share(cols: dict[str, np.ndarray]) -> np.ndarray:
    """A CPU-bound task's share of the CPUs: min(1, cpus / (tasks x threads)); 1 when the
    workload is not CPU-bound (its rates are per task of wall time)."""
    share = np.minimum(1.0, cols["cpus"] / (cols["tasks"] * cols["threads"]))
    return np.where(cols["cpu_bound"] > 0, share, 1.0)


def _finish(cols: dict[str, np.ndarray], axes: tuple[str, ...]) -> Points:
    """Gather each point's era constants and cost figures into columns; a CPU-bound
    workload's per-task rates (rates while running) become rates per second of wall
    time, scaled by :func:`cpu_share`."""
    share = cpu_share(cols)
    for name in PER_TASK_RATES:
        cols[name] = cols[name] * share
    era_idx = cols["era_index"].astype(int)
    for name in _ERA_FIELDS:
        cols[f"era.{name}"] = np.array([_era_number(e, name) for e in ALL_ERAS])[era_idx]
    pool = cols["last_pkmap"]                       # machine.last_pkmap: a patched pool
    for name in ("era.last_pkmap_pae", "era.last_pkmap_nonpae"):
        cols[name] = np.where(pool > 0, pool, cols[name])
    cpu_idx = cols["cpu_index"].astype(int)
    for level, prefix in (("value", "cost."), ("low", "costlow."), ("high", "costhigh.")):
        tables = [cost_table(m, level=level) for m in cpu_models()]
        for name in COST_FIELDS:
            own = np.array([float(getattr(t, name)) for t in tables])[cpu_idx]
            override = cols[f"costov.{name}"]        # an override pins every level
            cols[f"{prefix}{name}"] = np.where(np.isnan(override), own, override)
        legacy_lumped_costs(cols, prefix)
    return Points(columns=cols, axes=axes)


def legacy_lumped_costs(cols: dict[str, np.ndarray], prefix: str = "cost.") -> None:
    """The 0.2 lumped figures the 0.2 simulator still reads (pkmap_fast_cycles and
    pkmap_lock_hold_cycles: both lock sections of a hit), derived from the line costs.
    Not costs of the model and not keys: only until the simulator reads the
    per-mechanism figures (docs/kmap-mechanics.md)."""
    c = {k[len(prefix):]: v for k, v in cols.items() if k.startswith(prefix)}
    remote = (cols["cpus"] - 1) / np.maximum(cols["cpus"], 1)
    sections = (c["kmap_high_hold_cycles"] + c["kunmap_hold_cycles"]
                + 2 * (c["lock_op_cycles"] + remote * c["kmap_lock_line_cycles"]))
    cols[f"{prefix}pkmap_fast_cycles"] = sections
    cols[f"{prefix}pkmap_lock_hold_cycles"] = sections


__all__ = ["Points", "axis_key", "points_from_arrays", "points_from_scenario",
           "points_from_variants"]
