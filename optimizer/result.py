"""The one result type every optimizer entry point returns (like scipy's ``OptimizeResult``)."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from simulator.horizon import FULL_TIME_WEEK_HOURS
from simulator.plan import Plan
from simulator.results import SimulationResult
from simulator.scenario import Scenario
from simulator.targets import verdict_line

STATUSES = {
    "feasible": "every target met on fresh seeds the search never used",
    "unverified": "met every target on the search seeds, failed on fresh seeds, and no repair "
    "could be verified",
    "infeasible": "no plan found meets every target: the closest one is returned",
    "time_limit": "the wall-clock limit cut the search before its evaluation budget was spent",
    "interrupted": "stopped by Ctrl-C: the best plan so far",
    "estimate": "judged by the analytic model only (not simulated): an estimate",
}


@dataclass
class OptimizationResult:
    """What :func:`optimizer.optimize` found.

    Attributes:
        plan: the plan (:class:`simulator.plan.Plan`): agents on duty per group per interval,
            and the shifts for groups planned with shift types.
        cost: paid cost of the plan over the horizon (currency of ``cost_per_hour``).
        feasible: every target met, under ``rule``, on a verification run on seeds the search
            never used. Never True for a plan that failed verification or was not simulated.
        status: one of :data:`STATUSES` (``feasible``, ``unverified``, ``infeasible``,
            ``time_limit``, ``interrupted``, ``estimate``).
        message: a paragraph for people: what was found, what is unmet and by how much.
        rule: the feasibility rule used, in words.
        targets: one row per target instance (per interval for per-interval targets and
            floors) on the verification run: mean, 95% CI, met, shortfall
            (:func:`simulator.targets.check_table`).
        verdicts: one row per target (:func:`simulator.targets.verdicts`).
        staffing: agents on duty per group (rows) and interval (columns).
        schedule: the shift schedule (group, shift type, day, start, end, breaks, agents,
            paid hours); empty for groups planned per interval.
        tours: weekly patterns (group, shift type, days, agents) of weekly shift rules.
        lower_bound: the per-interval plan (agents free to change every interval) found in
            the same run, a lower bound on any shift plan's cost: ``cost``, ``met`` (on the
            search seeds), ``cheaper_found`` (a plan cheaper than this plan's coverage met
            every target), ``gap`` (this plan's cost over it, minus 1; NaN when none cheaper
            was found: then ``cost`` and ``staffing`` are the cheaper plan that came
            nearest), ``evaluations`` and ``staffing`` (agents per group and interval); None
            when the plan is per interval already.
        kpis: the verification run's full :class:`SimulationResult` (None for estimates).
        evaluations: simulations of the search and verification; ``replications`` in all.
        run_time_s: wall-clock seconds.
        history: one dict per evaluated plan: phase, evaluation, cost, feasible, shortfall,
            elapsed_s.
        settings: everything needed to reproduce the run (seeds, replications, margin, rule,
            budget, where the shift rules came from, verification rounds).
    """

    plan: Plan
    cost: float
    feasible: bool
    status: str
    message: str
    rule: str
    targets: pd.DataFrame
    verdicts: pd.DataFrame
    staffing: pd.DataFrame
    schedule: pd.DataFrame = field(default_factory=pd.DataFrame)
    tours: pd.DataFrame = field(default_factory=pd.DataFrame)
    lower_bound: dict[str, Any] | None = None
    kpis: SimulationResult | None = None
    evaluations: int = 0
    replications: int = 0
    run_time_s: float = 0.0
    history: list[dict[str, Any]] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)
    scenario: Scenario | None = field(default=None, repr=False)

    # ---- views --------------------------------------------------------------------------
    @property
    def unmet(self) -> pd.DataFrame:
        """The target instances not met, worst first."""
        rows = self.targets[~self.targets["met"]]
        return rows.sort_values("shortfall", ascending=False)

    def paid_hours(self) -> pd.Series:
        """Paid agent-hours of the plan per group over the horizon: the verification run's
        (shrinkage and paid breaks included), else agents on duty × interval length."""
        if self.kpis is not None:
            g = self.kpis.groups
            return g[g.kpi == "paid_hours"].set_index("group")["mean"]
        if self.scenario is None or self.staffing.empty:
            return pd.Series(dtype=float)
        return self.staffing.sum(axis=1) * self.scenario.horizon.interval_s / 3600

    def fte_line(self, full_time_week_hours: float = FULL_TIME_WEEK_HOURS) -> str:
        """``paid hours 300.5 = 56.1 FTE (...): generalists 32.0, ...`` (empty when unknown)."""
        hours = self.paid_hours()
        if self.scenario is None or hours.empty:
            return ""
        fte = self.scenario.horizon.fte
        per_group = ", ".join(f"{g} {fte(h, full_time_week_hours):,.1f}" for g, h in hours.items())
        return (
            f"paid hours {hours.sum():,.1f} = {fte(hours.sum(), full_time_week_hours):,.1f} FTE "
            f"(paid hours per week / {full_time_week_hours:g} h): {per_group}"
        )

    def plan_yaml(self) -> str:
        """The plan file (``staffsim simulate SCENARIO --plan``)."""
        assert self.scenario is not None
        return self.plan.to_yaml(
            self.scenario, feasible=self.feasible, status=self.status, rule=self.rule
        )

    def schedule_csv(self) -> str:
        """The plan as CSV a planner can staff: the shift schedule when there are shifts
        (one row per group, day, start and break placement), otherwise agents on duty per
        group and interval."""
        if len(self.schedule):
            return self.schedule.to_csv(index=False)
        frame = self.staffing.T.reset_index(names="interval")
        return frame.to_csv(index=False)

    def to_dict(self) -> dict[str, Any]:
        """Plain data (JSON-ready): everything but the full simulation result."""
        shifts = None
        if self.plan.shifts:
            shifts = {
                g: [s.model_dump(mode="json", exclude_none=True) for s in v]
                for g, v in self.plan.shifts.items()
            }
        return {
            "status": self.status,
            "feasible": self.feasible,
            "cost": round(self.cost, 2),
            "message": self.message,
            "rule": self.rule,
            "lower_bound": self.lower_bound,
            "staffing": {
                g: [_num(v) for v in self.staffing.loc[g].to_numpy()] for g in self.staffing.index
            },
            "intervals": list(self.staffing.columns),
            "shifts": shifts,
            "schedule": json.loads(self.schedule.to_json(orient="records")),
            "tours": json.loads(self.tours.to_json(orient="records")),
            "verdicts": json.loads(self.verdicts.to_json(orient="records")),
            "targets": json.loads(self.targets.to_json(orient="records")),
            "evaluations": self.evaluations,
            "replications": self.replications,
            "run_time_s": round(self.run_time_s, 2),
            "settings": self.settings,
            "history": self.history,
        }

    def to_json(self, indent: int | None = 2) -> str:
        """Strict JSON (NaN written as null)."""
        return json.dumps(_clean(self.to_dict()), indent=indent, default=_json_default)

    def summary(self, full_time_week_hours: float = FULL_TIME_WEEK_HOURS) -> str:
        """The readable report: status, cost and its lower bound, every target's verdict,
        the schedule (or agents per interval), effort."""
        lines = [f"{self.status.upper()}: {self.message}", f"cost {self.cost:,.2f}"]
        if self.lower_bound is not None:
            lines[-1] += "; " + bound_text(self.lower_bound)
        fte = self.fte_line(full_time_week_hours)
        if fte:
            lines.append(fte)
        lines += [f"rule: {self.rule}", ""]
        if len(self.verdicts):
            source = "verification run" if self.kpis is not None else "analytic estimate"
            lines.append(f"targets (mean, 95% CI, {source}):")
            for _, row in self.verdicts.iterrows():
                lines.append("  " + verdict_line(row))
            bad = self.unmet[self.unmet["scope"] == "per_interval"]
            for _, r in bad.head(12).iterrows():
                lines.append(
                    f"    {r['entity']} {r['interval']}: {r['kpi']} {r['mean']:.1%} "
                    f"short by {r['shortfall']:.1%}"
                )
            if len(bad) > 12:
                lines.append(f"    ... and {len(bad) - 12} more intervals")
            lines.append("")
        lines += self._outbound_lines()
        if len(self.schedule):
            lines.append("shift schedule (agents per start; breaks unpaid unless marked):")
            lines += _schedule_blocks(self.schedule)
            if len(self.tours):
                lines += ["", "weekly patterns (agents per set of working days):"]
                lines += ["  " + s for s in self.tours.to_string(index=False).splitlines()]
            per_interval = [g for g in self.staffing.index if g not in set(self.schedule["group"])]
            if per_interval:
                lines += ["", "agents on duty per interval (groups without shift types):"]
                lines += _staffing_blocks(self.staffing.loc[per_interval])
        else:
            lines.append("agents on duty per interval:")
            lines += _staffing_blocks(self.staffing)
        lines += [
            "",
            f"{self.evaluations} simulation evaluations ({self.replications} replications), "
            f"{self.run_time_s:.1f} s",
        ]
        return "\n".join(lines)

    def _outbound_lines(self) -> list[str]:
        """What the plan dials (verification run), a line per outbound list, targets or
        not: a list without a target is still dialled first when it is first in the file,
        and its completion says what the idle time went to."""
        if self.kpis is None or not len(self.kpis.outbound):
            return []
        lines = ["outbound lists (mean, 95% CI, verification run):"]
        for name in dict.fromkeys(self.kpis.outbound.outbound):
            lo, hi = self.kpis.outbound_ci(name, "list_completion")
            completion = self.kpis.outbound_kpi(name, "list_completion")
            per_hour = self.kpis.outbound_kpi(name, "connects_per_hour")
            share = self.kpis.outbound_kpi(name, "outbound_occupancy")
            lines.append(
                f"  {name}: list completion {completion:.1%} [{lo:.1%}, {hi:.1%}], "
                f"{per_hour:.1f} connects per dialing hour, {share:.1%} of the dialing "
                "agents' time"
            )
        return [*lines, ""]


def _schedule_blocks(schedule: pd.DataFrame) -> list[str]:
    """One line per group and day, then one per start: ``12 x 08:00-16:30, break ...``."""
    out = []
    for (group, day), rows in schedule.groupby(["group", "day"], sort=True):
        total = int(rows["agents"].sum())
        hours = float(rows["paid_hours"].sum())
        out.append(f"  {group} day {day}: {total} agents, {hours:,.1f} paid hours")
        for _, r in rows.iterrows():
            brk = f", break {r['breaks']}" if r["breaks"] else ""
            out.append(f"    {r['agents']:>4} x {r['start']}-{r['end']}{brk} ({r['shift_type']})")
    return out


def _staffing_blocks(staffing: pd.DataFrame) -> list[str]:
    """The staffing table, one block per day for multi-day horizons (columns "dN HH:MM", or
    "Wed 9 Dec HH:MM" with a start date: the day is all but the last word), days in column
    order."""
    days = list(dict.fromkeys(c.rsplit(" ", 1)[0] for c in staffing.columns if " " in c))
    if not days:
        return [staffing.to_string(float_format=lambda v: f"{v:g}")]
    out = []
    for day in days:
        block = staffing[[c for c in staffing.columns if c.rsplit(" ", 1)[0] == day]]
        block.columns = [c.rsplit(" ", 1)[1] for c in block.columns]
        shown = f"day {day[1:]}" if day[:1] == "d" and day[1:].isdigit() else day
        out += [f"{shown}:", block.to_string(float_format=lambda v: f"{v:.3g}")]
    return out


def _num(v: Any) -> float | int:
    f = float(v)
    return int(f) if f.is_integer() else round(f, 3)


def _clean(value: Any) -> Any:
    """NaN and numpy scalars to plain JSON/YAML values, recursively."""
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def plain(result: OptimizationResult) -> dict[str, Any]:
    """``result.to_dict()`` with NaN as None and plain Python scalars (for YAML)."""
    return _clean(result.to_dict())


def _json_default(value: Any) -> Any:
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def bound_text(bound: dict[str, Any]) -> str:
    """One line on the per-interval plan: the lower bound and the gap to it, or that its
    search found no cheaper plan meeting every target (then the gap is not measured)."""
    if bound.get("cheaper_found", True):
        return f"per-interval plan (lower bound) {bound['cost']:,.2f}, gap {bound['gap']:+.1%}"
    nearest = "" if bound["met"] else f" (the nearest, {bound['cost']:,.2f}, missed a target)"
    return (
        f"no per-interval plan cheaper than this plan's coverage met every target in "
        f"{bound['evaluations']} simulations{nearest}: the gap to the lower bound is not "
        "measured"
    )


__all__ = ["STATUSES", "OptimizationResult", "bound_text", "plain"]
