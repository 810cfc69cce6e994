"""A staffing plan, its YAML file format, and applying it to a scenario.

A :class:`Plan` is headcount per agent group per interval (``staffing``, paid agents on duty)
and, when it came from the shift program, the shifts that produce it. The plan file is what
``staffsim optimize --out plan.yaml`` writes and ``staffsim simulate SCENARIO --plan
plan.yaml`` reads::

    staffsim_plan: 1
    scenario: Retail bank inbound - weekday
    interval_minutes: 30
    days: 1
    cost: 6852.0            # paid cost over the horizon
    feasible: true
    agent_groups:
      generalists:
        staffing: [9, 14, 19, ...]          # one value per interval (list of lists per day)
      card_specialists:
        shifts:                             # or shifts, in the scenario's own format
          - {start: "08:00", hours: 8, count: 4, breaks: [{after_minutes: 240, minutes: 30}]}

Groups missing from the file keep the scenario's staffing. Applying replaces each listed
group's ``staffing`` or ``shifts`` (whichever the plan gives) and nothing else.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from simulator.errors import InputError
from simulator.scenario import Scenario, Shift
from simulator.yamlfile import read_yaml

PLAN_VERSION = 1


@dataclass(frozen=True)
class Plan:
    """Headcount per group (rows, ``groups`` order) per global interval (columns), and
    optionally the shifts behind it (group -> tuple of :class:`simulator.scenario.Shift`).

    ``staffing`` is whole agents for a per-interval plan; for a shift plan it is the
    time-average number on duty in each interval (breaks make it fractional).
    """

    groups: tuple[str, ...]
    staffing: np.ndarray
    shifts: Mapping[str, tuple[Shift, ...]] | None = None
    meta: Mapping[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> bytes:
        """Identity for caches: equal plans have equal keys."""
        if self.shifts is None:
            return b"x" + np.asarray(self.staffing, dtype=np.int64).tobytes()
        text = repr(
            sorted((g, tuple(s.model_dump_json() for s in v)) for g, v in self.shifts.items())
        )
        return b"s" + text.encode()

    def cost(self, scenario: Scenario) -> float:
        """Paid cost over the horizon (shift time outside opening hours included)."""
        total = 0.0
        h = scenario.horizon
        for gi, name in enumerate(self.groups):
            rate = scenario.agent_groups[name].cost_per_hour
            if self.shifts is not None and name in self.shifts:
                total += rate * sum(shift_paid_hours(s, h.days) for s in self.shifts[name])
            else:
                total += rate * float(np.asarray(self.staffing[gi]).sum()) * h.interval_s / 3600
        return total

    def apply(self, scenario: Scenario) -> Scenario:
        """The scenario staffed by this plan (a new frozen scenario)."""
        changes: dict[str, Any] = {}
        per_day = scenario.horizon.intervals_per_day
        for gi, name in enumerate(self.groups):
            if self.shifts is not None and name in self.shifts:
                changes[f"agent_groups.{name}.staffing"] = None
                changes[f"agent_groups.{name}.shifts"] = [
                    s.model_dump(mode="json", exclude_none=True) for s in self.shifts[name]
                ]
            else:
                changes[f"agent_groups.{name}.shifts"] = None
                changes[f"agent_groups.{name}.staffing"] = _staffing_value(
                    self.staffing[gi], scenario.horizon.days, per_day
                )
        return scenario.with_changes(changes)

    def to_dict(self, scenario: Scenario, **meta: Any) -> dict[str, Any]:
        """The plan file's content (see module docstring)."""
        h = scenario.horizon
        groups: dict[str, Any] = {}
        for gi, name in enumerate(self.groups):
            if self.shifts is not None and name in self.shifts:
                groups[name] = {
                    "shifts": [
                        s.model_dump(mode="json", exclude_none=True) for s in self.shifts[name]
                    ]
                }
            else:
                groups[name] = {
                    "staffing": _staffing_value(self.staffing[gi], h.days, h.intervals_per_day)
                }
        return {
            "staffsim_plan": PLAN_VERSION,
            "scenario": scenario.name,
            "interval_minutes": h.interval_minutes,
            "days": h.days,
            "cost": round(self.cost(scenario), 2),
            **{k: v for k, v in {**self.meta, **meta}.items()},
            "agent_groups": groups,
        }

    def to_yaml(self, scenario: Scenario, **meta: Any) -> str:
        return yaml.safe_dump(
            self.to_dict(scenario, **meta),
            sort_keys=False,
            allow_unicode=True,
            default_flow_style=None,
            width=100,
        )


def shift_paid_hours(shift: Shift, days: int) -> float:
    """Paid agent-hours of one scenario shift line over the horizon (unpaid breaks out)."""
    breaks_h = (
        sum(
            min(b.minutes, max(shift.hours * 60 - b.after_minutes, 0))
            for b in shift.breaks
            if not b.paid
        )
        / 60
    )
    n_days = len(shift.days) if shift.days is not None else days
    return shift.count * (shift.hours - breaks_h) * n_days


def _staffing_value(row: np.ndarray, days: int, per_day: int) -> list[int] | list[list[int]]:
    values = [round(float(v)) for v in np.asarray(row).ravel()]
    if days == 1:
        return values
    return [values[d * per_day : (d + 1) * per_day] for d in range(days)]


def plan_from_scenario(scenario: Scenario, groups: tuple[str, ...] | None = None) -> Plan:
    """The scenario's own staffing as a plan (shift groups keep their shifts)."""
    from simulator.model import compile_scenario

    model = compile_scenario(scenario)
    interval_h = scenario.horizon.interval_s / 3600
    names = groups or tuple(scenario.agent_groups)
    by_name = {g.name: g for g in model.groups}
    staffing = np.array([by_name[n].paid_hours_per_interval / interval_h for n in names])
    shifts = {
        n: tuple(scenario.agent_groups[n].shifts or ())
        for n in names
        if scenario.agent_groups[n].shifts is not None
    }
    return Plan(names, staffing, shifts or None)


def apply_plan(scenario: Scenario, plan: Plan | Mapping[str, Any]) -> Scenario:
    """``scenario`` staffed by ``plan`` (a :class:`Plan` or the plan file's mapping).

    Raises :class:`InputError` listing every problem: unknown groups, a staffing list of the
    wrong length, a plan made for another interval length, invalid shifts.
    """
    if isinstance(plan, Plan):
        return plan.apply(scenario)
    return plan_from_dict(scenario, plan).apply(scenario)


def plan_from_dict(scenario: Scenario, data: Mapping[str, Any], *, source: str = "plan") -> Plan:
    """Validate a plan file's mapping against ``scenario`` (see :func:`apply_plan`)."""
    problems: list[str] = []
    if not isinstance(data, Mapping):
        raise InputError(
            f"{source}: expected a mapping at the top level, got {type(data).__name__}"
        )
    version = data.get("staffsim_plan")
    if version != PLAN_VERSION:
        problems.append(f"{source}: staffsim_plan: expected {PLAN_VERSION}, got {version!r}")
    h = scenario.horizon
    minutes = data.get("interval_minutes", h.interval_minutes)
    if minutes != h.interval_minutes:
        problems.append(
            f"{source}: interval_minutes: the plan has {minutes}-minute intervals, the scenario "
            f"{h.interval_minutes}"
        )
    groups = data.get("agent_groups")
    if not isinstance(groups, Mapping) or not groups:
        problems.append(
            f"{source}: agent_groups: expected a mapping of group -> staffing or shifts"
        )
        raise InputError(problems)
    names = tuple(scenario.agent_groups)
    current = plan_from_scenario(scenario)
    staffing = np.array(current.staffing, dtype=float)
    shifts: dict[str, tuple[Shift, ...]] = dict(current.shifts or {})
    for name, entry in groups.items():
        where = f"{source}: agent_groups.{name}"
        if name not in scenario.agent_groups:
            problems.append(f"{where}: unknown agent group (scenario has {', '.join(names)})")
            continue
        if not isinstance(entry, Mapping) or (("staffing" in entry) == ("shifts" in entry)):
            problems.append(f"{where}: give exactly one of staffing or shifts")
            continue
        gi = names.index(name)
        if "staffing" in entry:
            row, row_problems = _staffing_row(entry["staffing"], h.days, h.intervals_per_day, where)
            problems += row_problems
            if row is not None:
                staffing[gi] = row
                shifts.pop(name, None)
        else:
            parsed, shift_problems = _shifts(entry["shifts"], h.days, where)
            problems += shift_problems
            if parsed is not None:
                shifts[name] = parsed
    if problems:
        raise InputError(problems)
    plan = Plan(names, staffing, shifts or None)
    if plan.shifts:  # recompute the on-duty averages the shifts produce
        staffing = plan_from_scenario(plan.apply(scenario)).staffing
        plan = Plan(names, staffing, shifts)
    return plan


def _staffing_row(
    value: Any, days: int, per_day: int, where: str
) -> tuple[np.ndarray | None, list[str]]:
    if isinstance(value, int) and not isinstance(value, bool):
        value = [value] * per_day
    if not isinstance(value, list) or not value:
        return None, [f"{where}.staffing: expected a whole number or a list, got {value!r}"]
    rows = value if isinstance(value[0], list) else [value] * days
    if len(rows) != days:
        return None, [f"{where}.staffing: {len(rows)} day rows given, the horizon has {days} days"]
    out: list[float] = []
    problems: list[str] = []
    for d, row in enumerate(rows):
        if not isinstance(row, list) or len(row) != per_day:
            size = len(row) if isinstance(row, list) else "no"
            problems.append(f"{where}.staffing: day {d}: {size} values given, a day has {per_day}")
            continue
        for i, v in enumerate(row):
            ok = isinstance(v, int | float) and not isinstance(v, bool) and v >= 0
            if not ok or not float(v).is_integer() or math.isinf(v):
                problems.append(f"{where}.staffing[{i}]: must be a whole number >= 0, got {v!r}")
            else:
                out.append(float(v))
    return (np.array(out) if not problems else None), problems


def _shifts(value: Any, days: int, where: str) -> tuple[tuple[Shift, ...] | None, list[str]]:
    if not isinstance(value, list):
        return None, [f"{where}.shifts: expected a list of shifts, got {value!r}"]
    parsed: list[Shift] = []
    problems: list[str] = []
    for i, item in enumerate(value):
        try:
            shift = Shift.model_validate(item)
        except Exception as exc:  # pydantic's ValidationError, reported in one line
            problems.append(f"{where}.shifts.{i}: {str(exc).splitlines()[-1].strip()}")
            continue
        if shift.days is not None and any(not 0 <= d < days for d in shift.days):
            problems.append(f"{where}.shifts.{i}.days: outside the horizon (0..{days - 1})")
        parsed.append(shift)
    return (tuple(parsed) if not problems else None), problems


def load_plan(path: str | Path) -> dict[str, Any]:
    """Read a plan file (YAML) into a mapping."""
    data = read_yaml(path, label="--plan")
    if data is None:
        raise InputError(f"--plan: {path}: the file is empty")
    return data


def apply_plan_file(scenario: Scenario, path: str | Path) -> Scenario:
    """``scenario`` staffed by the plan in ``path`` (what ``simulate --plan`` calls)."""
    data = load_plan(path)
    return plan_from_dict(scenario, data, source=str(path)).apply(scenario)


__all__ = [
    "PLAN_VERSION",
    "Plan",
    "apply_plan",
    "apply_plan_file",
    "load_plan",
    "plan_from_dict",
    "plan_from_scenario",
    "shift_paid_hours",
]
