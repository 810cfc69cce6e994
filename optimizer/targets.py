"""Targets a plan must meet, and checking an evaluation against them with a margin.

Targets come from the scenario (``channels.<name>.targets``: service level X within T,
max ASA, max abandonment, email share within promise; ``scope`` overall or per interval)
and from the optimizer options (minimum FCR per channel, maximum occupancy per group, both
over the horizon). Each target expands into *instances*: one for ``overall`` scope, one per
interval for ``per_interval`` scope (intervals where the KPI is undefined — nothing offered —
or inside the warm-up are skipped).

An instance is met when its checked value is on the right side of the target: the mean,
moved against the plan by ``margin`` 95%-CI half-widths (``margin=0``: the mean;
``margin=1``: the CI bound). Its *shortfall* is by how much the checked value misses, in the
KPI's units (share, seconds).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from optimizer.evaluators import Evaluation
from optimizer.options import OptimizeOptions
from simulator.errors import InputError
from simulator.scenario import Scenario

Sense = Literal[">=", "<="]
_TOL = 1e-9


@dataclass(frozen=True)
class Target:
    """One target: ``kpi`` of ``entity`` (a channel, or an agent group for occupancy)."""

    entity: str
    kpi: str  # service_level | abandon_rate | asa_s | within_promise | fcr | occupancy
    sense: Sense
    value: float
    scope: Literal["overall", "per_interval"]
    label: str

    def describe(self) -> str:
        where = "each interval" if self.scope == "per_interval" else "over the horizon"
        return f"{self.entity}: {self.label} ({where})"


def scenario_targets(scenario: Scenario, options: OptimizeOptions | None = None) -> list[Target]:
    """Every target of the scenario and the options, in channel order."""
    options = options or OptimizeOptions()
    out: list[Target] = []
    for name, ch in scenario.channels.items():
        t = ch.targets
        scope = t.scope
        if t.service_level is not None and t.within_seconds is not None:
            label = f"service level >= {t.service_level:.0%} within {t.within_seconds:g} s"
            out.append(Target(name, "service_level", ">=", t.service_level, scope, label))
        if t.max_asa_seconds is not None:
            label = f"ASA <= {t.max_asa_seconds:g} s"
            out.append(Target(name, "asa_s", "<=", t.max_asa_seconds, scope, label))
        if t.max_abandon_rate is not None:
            label = f"abandonment <= {t.max_abandon_rate:.1%}"
            out.append(Target(name, "abandon_rate", "<=", t.max_abandon_rate, scope, label))
        if t.within_promise is not None:
            label = f"answered within {ch.promise_hours:g} h >= {t.within_promise:.0%}"
            out.append(Target(name, "within_promise", ">=", t.within_promise, "overall", label))
    problems = []
    for name, share in options.min_fcr.items():
        if name not in scenario.channels:
            problems.append(
                f"min_fcr.{name}: unknown channel (known: {', '.join(scenario.channels)})"
            )
            continue
        out.append(Target(name, "fcr", ">=", share, "overall", f"FCR >= {share:.0%}"))
    for name, share in options.max_occupancy.items():
        if name not in scenario.agent_groups:
            known = ", ".join(scenario.agent_groups)
            problems.append(f"max_occupancy.{name}: unknown agent group (known: {known})")
            continue
        out.append(Target(name, "occupancy", "<=", share, "overall", f"occupancy <= {share:.0%}"))
    if problems:
        raise InputError(problems)
    return out


@dataclass(frozen=True)
class Instances:
    """Every target instance of one evaluation as flat arrays (one entry per instance)."""

    target: np.ndarray  # index into the target list
    interval: np.ndarray  # global interval, -1 for overall
    mean: np.ndarray
    half: np.ndarray  # 95% CI half-width, 0 when unknown (analytic, one replication)
    goal: np.ndarray
    sign: np.ndarray  # +1 for ">=", -1 for "<="

    def checked(self, margin: float) -> np.ndarray:
        """The value judged: mean moved against the plan by ``margin`` half-widths."""
        return self.mean - self.sign * margin * self.half

    def shortfall(self, margin: float) -> np.ndarray:
        """How far each checked value misses its goal (0 when met), in KPI units."""
        return np.maximum(self.sign * (self.goal - self.checked(margin)), 0.0)

    def met(self, margin: float) -> np.ndarray:
        return self.shortfall(margin) <= _TOL * np.maximum(1.0, np.abs(self.goal))


def instances(evaluation: Evaluation, targets: list[Target]) -> Instances:
    """Expand ``targets`` over the intervals of ``evaluation``."""
    t_idx, k_idx, mean, half, goal, sign = [], [], [], [], [], []
    for i, t in enumerate(targets):
        s = 1.0 if t.sense == ">=" else -1.0
        if t.scope == "overall":
            m, h = evaluation.overall.get((t.entity, t.kpi), (math.nan, math.nan))
            m_arr, h_arr, ks = np.array([m]), np.array([h]), np.array([-1])
        else:
            m_arr, h_arr = evaluation.intervals.get(
                (t.entity, t.kpi), (np.full(evaluation.n_intervals, np.nan),) * 2
            )
            ks = np.arange(len(m_arr))
        defined = ~np.isnan(m_arr)
        t_idx.append(np.full(defined.sum(), i))
        k_idx.append(ks[defined])
        mean.append(m_arr[defined])
        half.append(np.nan_to_num(h_arr[defined], nan=0.0))
        goal.append(np.full(defined.sum(), t.value))
        sign.append(np.full(defined.sum(), s))

    def cat(parts: list[np.ndarray], dtype: type = float) -> np.ndarray:
        return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype=dtype)

    return Instances(cat(t_idx, int), cat(k_idx, int), cat(mean), cat(half), cat(goal), cat(sign))


def check_table(
    evaluation: Evaluation,
    targets: list[Target],
    *,
    margin: float = 0.0,
    labels: list[str] | None = None,
) -> pd.DataFrame:
    """One row per target instance: entity, kpi, target, scope, interval, the mean and its
    95% CI, met, and the shortfall (KPI units) at the given margin. Targets whose KPI the
    evaluation does not measure get one row with ``met = False`` and NaN values."""
    inst = instances(evaluation, targets)
    rows = []
    shortfall = inst.shortfall(margin)
    met = inst.met(margin)
    for j in range(len(inst.target)):
        t = targets[inst.target[j]]
        k = int(inst.interval[j])
        rows.append(
            {
                "entity": t.entity,
                "kpi": t.kpi,
                "target": t.label,
                "goal": t.value,
                "scope": t.scope,
                "interval": "all" if k < 0 else (labels[k] if labels else str(k)),
                "interval_index": k,
                "mean": float(inst.mean[j]),
                "ci_low": float(inst.mean[j] - inst.half[j]),
                "ci_high": float(inst.mean[j] + inst.half[j]),
                "met": bool(met[j]),
                "shortfall": float(shortfall[j]),
            }
        )
    measured = set(inst.target.tolist())
    for i, t in enumerate(targets):
        if i not in measured:
            rows.append(
                {
                    "entity": t.entity,
                    "kpi": t.kpi,
                    "target": t.label,
                    "goal": t.value,
                    "scope": t.scope,
                    "interval": "all",
                    "interval_index": -1,
                    "mean": math.nan,
                    "ci_low": math.nan,
                    "ci_high": math.nan,
                    "met": t.scope == "per_interval",  # no interval had contacts: nothing to miss
                    "shortfall": 0.0 if t.scope == "per_interval" else math.nan,
                }
            )
    return pd.DataFrame(
        rows,
        columns=[
            "entity",
            "kpi",
            "target",
            "goal",
            "scope",
            "interval",
            "interval_index",
            "mean",
            "ci_low",
            "ci_high",
            "met",
            "shortfall",
        ],
    )


__all__ = ["Instances", "Target", "check_table", "instances", "scenario_targets"]
