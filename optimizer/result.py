"""The one result type every optimizer entry point returns (like scipy's ``OptimizeResult``)."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from optimizer.plan import Plan
from simulator.results import SimulationResult
from simulator.scenario import Scenario


@dataclass
class OptimizationResult:
    """What :func:`optimizer.optimize` found.

    Attributes:
        plan: the staffing plan (:class:`optimizer.plan.Plan`): agents on duty per group per
            interval, and the shifts when the shift program ran.
        cost: paid cost of the plan over the horizon (currency of ``cost_per_hour``).
        feasible: every target met under ``rule`` on the verification run (fresh seeds).
        status: ``"feasible"``, ``"infeasible"`` (no plan found meets every target: the
            closest one is returned), ``"unverified"`` (met on the search seeds, failed on
            fresh seeds after every repair), ``"interrupted"`` (Ctrl-C: best so far).
        message: one paragraph for people: what was found, and what is unmet by how much.
        rule: the feasibility rule used, in words.
        targets: one row per target instance (per interval for per-interval targets): the
            simulated mean, its 95% CI, met, shortfall (KPI units) — on the verification run.
        kpis: the verification run's full :class:`SimulationResult` (None for analytic runs).
        staffing: agents on duty per group (rows) and interval (columns), a DataFrame.
        evaluations: simulation evaluations (plans simulated, verification included).
        replications: replications simulated in all.
        run_time_s: wall-clock seconds.
        history: one dict per evaluated plan: phase, evaluation, cost, feasible, shortfall,
            elapsed_s (and the verification rounds).
        settings: seed, replications, verification seeds and replications, margin, rule,
            evaluator — everything needed to reproduce the run.
    """

    plan: Plan
    cost: float
    feasible: bool
    status: str
    message: str
    rule: str
    targets: pd.DataFrame
    staffing: pd.DataFrame
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

    def plan_yaml(self) -> str:
        """The plan file (``staffsim simulate SCENARIO --plan``)."""
        assert self.scenario is not None
        return self.plan.to_yaml(
            self.scenario, feasible=self.feasible, status=self.status, rule=self.rule
        )

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
            "staffing": {
                g: [_num(v) for v in self.staffing.loc[g].to_numpy()] for g in self.staffing.index
            },
            "intervals": list(self.staffing.columns),
            "shifts": shifts,
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

    def summary(self) -> str:
        """The readable report: status, cost, targets (horizon rows, and failing intervals),
        staffing per group per interval, effort."""
        lines = [
            f"{self.status.upper()}: {self.message}",
            f"cost {self.cost:,.2f}; rule: {self.rule}",
            "",
        ]
        t = self.targets
        if len(t):
            overall = t[t["scope"] == "overall"]
            per = t[t["scope"] == "per_interval"]
            table = []
            for _, r in overall.iterrows():
                table.append(_target_line(r))
            for (entity, label), rows in per.groupby(["entity", "target"], sort=False):
                bad = rows[~rows["met"]]
                worst = rows.loc[
                    rows["mean"].idxmin()
                    if rows["kpi"].iloc[0] in _HIGHER
                    else rows["mean"].idxmax()
                ]
                table.append(
                    f"  {entity:<14} {label} in each of {len(rows)} intervals: "
                    f"{'all met' if bad.empty else f'{len(bad)} MISSED'}; "
                    f"worst {_fmt(worst['mean'], worst['kpi'])} "
                    f"at {worst['interval']}"
                )
                for _, r in bad.iterrows():
                    table.append("    " + _target_line(r).strip())
            lines += ["targets (mean, 95% CI, verification run):", *table, ""]
        lines.append("agents on duty per interval:")
        lines += _staffing_blocks(self.staffing)
        if self.plan.shifts:
            lines.append("")
            lines.append("shifts:")
            for g, shifts in self.plan.shifts.items():
                for s in shifts:
                    brk = ", ".join(
                        f"break {b.minutes} min after {b.after_minutes} min" for b in s.breaks
                    )
                    days = "" if s.days is None else f" days {list(s.days)}"
                    lines.append(
                        f"  {g:<16} {s.count:>3} x {s.start} {s.hours:g} h{days}"
                        + (f"; {brk}" if brk else "")
                    )
        lines += [
            "",
            f"{self.evaluations} simulation evaluations ({self.replications} replications), "
            f"{self.run_time_s:.1f} s",
        ]
        return "\n".join(lines)


_HIGHER = {"service_level", "fcr", "within_promise"}


def _staffing_blocks(staffing: pd.DataFrame) -> list[str]:
    """The staffing table, one block per day for multi-day horizons (columns "dN HH:MM")."""
    days = sorted({c.split(" ")[0] for c in staffing.columns if " " in c})
    if not days:
        return [staffing.to_string(float_format=lambda v: f"{v:g}")]
    out = []
    for day in days:
        block = staffing[[c for c in staffing.columns if c.startswith(day + " ")]]
        block.columns = [c.split(" ")[1] for c in block.columns]
        out += [f"day {day[1:]}:", block.to_string(float_format=lambda v: f"{v:g}")]
    return out


def _fmt(value: float, kpi: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if kpi == "asa_s":
        return f"{value:.1f} s"
    return f"{value:.1%}"


def _target_line(r: pd.Series) -> str:
    ci = f"[{_fmt(r['ci_low'], r['kpi'])}, {_fmt(r['ci_high'], r['kpi'])}]"
    where = "" if r["interval"] == "all" else f" at {r['interval']}"
    mark = "met" if r["met"] else f"MISSED by {_fmt(r['shortfall'], r['kpi'])}"
    return f"  {r['entity']:<14} {r['target']}{where}: {_fmt(r['mean'], r['kpi'])} {ci} {mark}"


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


__all__ = ["OptimizationResult", "plain"]
