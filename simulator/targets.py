"""The one target model: every target a scenario sets, and judging KPIs against them.

``simulate`` (its verdict lines), ``optimize`` (search, verification, result), the app's
cards and the compare table all read targets from here, so a target means the same thing
everywhere. Targets come from the scenario only:

* per channel (``channels.<c>.targets``): ``service_level`` within ``within_seconds``,
  ``max_abandon_rate``, ``max_asa_seconds``, email ``within_promise``, ``min_fcr``, walk-in
  ``max_balk_rate``, and the
  per-interval floor ``min_interval_service_level`` (default: the service-level target less
  20 points; see :attr:`simulator.scenario.Targets.interval_floor`);
* per agent group (``agent_groups.<g>.max_occupancy``);
* per outbound list (``outbound.<l>.targets``): ``min_connects_per_hour``,
  ``min_list_completion`` (judged by the simulation; the optimizer searches for them),
  ``max_nuisance_rate`` (predictive dialer; judged by the simulation only).

A target expands into *instances*: one over the horizon (``scope: overall``) or one per
interval (``scope: per_interval`` and the floor). Intervals where the KPI is undefined
(nothing offered) or inside the warm-up have no instance: there is nothing to miss there; nor
do intervals below :data:`FLOOR_MIN_CONTACTS` expected contacts for the floor.

An instance is *met* when its judged value is on the right side of the goal: the mean moved
against the plan by ``margin`` 95%-CI half-widths (``margin=0``: the mean; 1: the CI bound).
Its *shortfall* is by how much the judged value misses, in the KPI's own units (a share, or
seconds for ASA).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np
import pandas as pd

from simulator.kpis import KPIS, ci_bounds
from simulator.scenario import Scenario

Sense = Literal[">=", "<="]
Scope = Literal["overall", "per_interval"]
_TOL = 1e-9
FLOOR_MIN_CONTACTS = 10.0
"""A per-interval floor judges only intervals where the channel is offered at least this many
contacts on average: below that, one interval's service level swings between 0 and 1 with a
handful of callers (a tier-2 queue with three escalations per half-hour), and the horizon
target already governs it. ``scope: per_interval`` targets judge every interval."""


@dataclass(frozen=True)
class Target:
    """One target: ``kpi`` of ``entity`` (a channel; an agent group for ``occupancy``)."""

    entity: str
    kpi: str  # service_level | abandon_rate | asa_s | within_promise | fcr | occupancy
    sense: Sense
    value: float
    scope: Scope
    field: str  # where the scenario sets it, e.g. "channels.calls.targets.max_abandon_rate"
    label: str  # "abandonment <= 5.0%"
    floor: bool = False  # the per-interval floor under an overall service-level target

    @property
    def higher_is_better(self) -> bool:
        return self.sense == ">="

    def describe(self) -> str:
        where = "in every interval" if self.scope == "per_interval" else "over the horizon"
        return f"{self.entity}: {self.label} ({where})"


def _pct(value: float) -> str:
    return f"{value:.1%}".replace(".0%", "%")


def _target(
    entity: str,
    kpi: str,
    value: float,
    scope: Scope,
    label: str,
    *,
    field: str | None = None,
) -> Target:
    """A target on ``kpi``: its sense and scenario field from the KPI catalogue."""
    k = KPIS[kpi]
    where = field or str(k.target).replace("<c>", entity).replace("<g>", entity)
    return Target(entity, kpi, k.sense, value, scope, where, label)


def scenario_targets(scenario: Scenario) -> list[Target]:
    """Every target of ``scenario``, channels first (in file order), then groups, then
    outbound lists."""
    out: list[Target] = []
    for name, ch in scenario.channels.items():
        t = ch.targets
        scope = t.scope
        if t.service_level is not None and t.within_seconds is not None:
            label = f"service level >= {_pct(t.service_level)} within {t.within_seconds:g} s"
            out.append(_target(name, "service_level", t.service_level, scope, label))
        floor = t.interval_floor
        if floor is not None:
            label = f"no interval below {_pct(floor)} within {t.within_seconds:g} s"
            path = f"channels.{name}.targets.min_interval_service_level"
            target = _target(name, "service_level", floor, "per_interval", label, field=path)
            out.append(replace(target, floor=True))
        if t.max_asa_seconds is not None:
            label = f"ASA <= {t.max_asa_seconds:g} s"
            out.append(_target(name, "asa_s", t.max_asa_seconds, scope, label))
        if t.max_abandon_rate is not None:
            label = f"abandonment <= {_pct(t.max_abandon_rate)}"
            out.append(_target(name, "abandon_rate", t.max_abandon_rate, scope, label))
        if t.within_promise is not None:
            label = f"answered within {ch.promise_hours:g} h >= {_pct(t.within_promise)}"
            out.append(_target(name, "within_promise", t.within_promise, "overall", label))
        if t.max_blocked_rate is not None:
            label = f"busy signals <= {_pct(t.max_blocked_rate)} of attempts"
            out.append(_target(name, "blocked_rate", t.max_blocked_rate, "overall", label))
        if t.max_balk_rate is not None:
            label = f"balking <= {_pct(t.max_balk_rate)} of arrivals"
            out.append(_target(name, "balk_rate", t.max_balk_rate, "overall", label))
        if t.callback_within_promise is not None and ch.callback is not None:
            label = (
                f"callbacks within {ch.callback.promise_minutes:g} min >= "
                f"{_pct(t.callback_within_promise)}"
            )
            target = _target(name, "callback_within_promise", t.callback_within_promise,
                             "overall", label)  # fmt: skip
            out.append(target)
        if t.min_fcr is not None:
            label = f"first-contact resolution >= {_pct(t.min_fcr)}"
            out.append(_target(name, "fcr", t.min_fcr, "overall", label))
    for name, group in scenario.agent_groups.items():
        if group.max_occupancy is not None:
            label = f"occupancy <= {_pct(group.max_occupancy)}"
            out.append(_target(name, "occupancy", group.max_occupancy, "overall", label))
    for name, spec in (scenario.outbound or {}).items():
        t, where = spec.targets, f"outbound.{name}.targets"
        if t.min_connects_per_hour is not None:
            label = f"connects per dialing hour >= {t.min_connects_per_hour:g}"
            out.append(_target(name, "connects_per_hour", t.min_connects_per_hour, "overall",
                               label, field=f"{where}.min_connects_per_hour"))  # fmt: skip
        if t.min_list_completion is not None:
            label = f"list completion >= {_pct(t.min_list_completion)}"
            out.append(_target(name, "list_completion", t.min_list_completion, "overall",
                               label, field=f"{where}.min_list_completion"))  # fmt: skip
        if t.max_nuisance_rate is not None:
            label = f"nuisance calls <= {_pct(t.max_nuisance_rate)} of live answers"
            out.append(_target(name, "nuisance_rate", t.max_nuisance_rate, "overall",
                               label, field=f"{where}.max_nuisance_rate"))  # fmt: skip
    return out


@dataclass(frozen=True)
class KpiSummary:
    """The KPIs targets are judged on, as arrays (from a simulation or a model).

    ``overall[(entity, kpi)] = (mean, half_width)`` over the horizon;
    ``intervals[(entity, kpi)] = (means, half_widths)`` over global intervals, NaN where the
    KPI is undefined or in the warm-up. ``labels`` name the intervals (``"d1 08:30"``)."""

    overall: dict[tuple[str, str], tuple[float, float]]
    intervals: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]]
    labels: tuple[str, ...] = field(default=())

    @property
    def n_intervals(self) -> int:
        return len(self.labels)


@dataclass(frozen=True)
class Instances:
    """Every target instance of one KPI summary as flat arrays (one entry per instance)."""

    target: np.ndarray  # index into the target list
    interval: np.ndarray  # global interval, -1 for overall
    mean: np.ndarray  # NaN: undefined (nothing offered) - met, nothing to miss
    half: np.ndarray  # 95% CI half-width, 0 when unknown (a model, one replication)
    goal: np.ndarray
    sign: np.ndarray  # +1 for ">=", -1 for "<="

    def judged(self, margin: float) -> np.ndarray:
        """The value judged: the mean moved against the plan by ``margin`` half-widths."""
        return self.mean - self.sign * margin * self.half

    def shortfall(self, margin: float) -> np.ndarray:
        """How far each judged value misses its goal (0 when met or undefined), KPI units."""
        with np.errstate(invalid="ignore"):
            short = np.maximum(self.sign * (self.goal - self.judged(margin)), 0.0)
        return np.nan_to_num(short, nan=0.0)

    def met(self, margin: float) -> np.ndarray:
        return self.shortfall(margin) <= _TOL * np.maximum(1.0, np.abs(self.goal))


def instances(summary: KpiSummary, targets: list[Target]) -> Instances:
    """Expand ``targets`` over the intervals of ``summary`` (see module docstring)."""
    t_idx, k_idx, mean, half, goal, sign = [], [], [], [], [], []
    for i, t in enumerate(targets):
        s = 1.0 if t.sense == ">=" else -1.0
        if t.scope == "overall":
            m, h = summary.overall.get((t.entity, t.kpi), (math.nan, math.nan))
            m_arr, h_arr, ks = np.array([m]), np.array([h]), np.array([-1])
            keep = np.ones(1, dtype=bool)
        else:
            nan = np.full(summary.n_intervals, np.nan)
            m_arr, h_arr = summary.intervals.get((t.entity, t.kpi), (nan, nan))
            ks = np.arange(len(m_arr))
            keep = ~np.isnan(m_arr)
            if t.floor:
                offered = summary.intervals.get((t.entity, "offered"), (nan, nan))[0]
                keep &= np.nan_to_num(offered) >= FLOOR_MIN_CONTACTS
        t_idx.append(np.full(keep.sum(), i))
        k_idx.append(ks[keep])
        mean.append(np.asarray(m_arr, dtype=float)[keep])
        half.append(np.nan_to_num(np.asarray(h_arr, dtype=float)[keep], nan=0.0))
        goal.append(np.full(keep.sum(), t.value))
        sign.append(np.full(keep.sum(), s))

    def cat(parts: list[np.ndarray], dtype: type = float) -> np.ndarray:
        return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype=dtype)

    return Instances(cat(t_idx, int), cat(k_idx, int), cat(mean), cat(half), cat(goal), cat(sign))


CHECK_COLUMNS = [
    "target_index",
    "entity",
    "kpi",
    "target",
    "field",
    "goal",
    "sense",
    "scope",
    "interval",
    "interval_index",
    "mean",
    "ci_low",
    "ci_high",
    "met",
    "sure",
    "shortfall",
]


def check_table(summary: KpiSummary, targets: list[Target], *, margin: float = 0.0) -> pd.DataFrame:
    """One row per target instance (columns ``CHECK_COLUMNS``): the mean and its 95% CI,
    ``met`` at the margin, ``sure`` (the whole CI lies on the side of the goal the verdict
    says), and the ``shortfall`` in KPI units. An undefined KPI (NaN mean: nothing offered)
    is met with nothing to miss."""
    inst = instances(summary, targets)
    short = inst.shortfall(margin)
    met = inst.met(margin)
    low, high = ci_bounds([targets[i].kpi for i in inst.target], inst.mean, inst.half)
    rows = []
    for j in range(len(inst.target)):
        t = targets[inst.target[j]]
        k = int(inst.interval[j])
        defined = not math.isnan(inst.mean[j])
        if met[j]:
            sure = (low[j] >= t.value) if t.sense == ">=" else (high[j] <= t.value)
        else:
            sure = (high[j] < t.value) if t.sense == ">=" else (low[j] > t.value)
        rows.append(
            (
                int(inst.target[j]),
                t.entity,
                t.kpi,
                t.label,
                t.field,
                t.value,
                t.sense,
                t.scope,
                "all" if k < 0 else summary.labels[k],
                k,
                float(inst.mean[j]),
                float(low[j]),
                float(high[j]),
                bool(met[j]),
                bool(sure) if defined else True,
                float(short[j]),
            )
        )
    return pd.DataFrame(rows, columns=CHECK_COLUMNS)


VERDICT_COLUMNS = [
    "entity",
    "kpi",
    "target",
    "field",
    "goal",
    "sense",
    "scope",
    "floor",
    "mean",
    "ci_low",
    "ci_high",
    "met",
    "sure",
    "intervals",
    "missed_intervals",
    "worst_interval",
    "note",
]


def verdicts(summary: KpiSummary, targets: list[Target], *, margin: float = 0.0) -> pd.DataFrame:
    """One row per target (columns ``VERDICT_COLUMNS``): what a person reads.

    A horizon target gives its mean, CI and verdict. A per-interval target (or floor) is met
    when every interval is; ``mean``/``ci_*`` are those of its worst interval (named in
    ``worst_interval``), ``intervals`` counts the intervals judged and ``missed_intervals``
    those missed. ``note`` says why a KPI is undefined ("n/a: no contacts offered")."""
    table = check_table(summary, targets, margin=margin)
    rows = []
    for i, t in enumerate(targets):
        sel = table[table["target_index"] == i]
        note = ""
        if t.scope == "overall":
            r = sel.iloc[0]
            if math.isnan(r["mean"]):
                note = f"n/a: {undefined_reason(summary, t)}"
            rows.append(
                (*_ident(t), r["mean"], r["ci_low"], r["ci_high"], bool(r["met"]), bool(r["sure"]),
                 1, int(not r["met"]), "", note)
            )  # fmt: skip
            continue
        if sel.empty:
            why = (
                f"no interval with {FLOOR_MIN_CONTACTS:g} or more contacts offered"
                if t.floor
                else "no contacts offered in any interval"
            )
            rows.append(
                (*_ident(t), math.nan, math.nan, math.nan, True, True, 0, 0, "", f"n/a: {why}")
            )
            continue
        worst = sel.loc[sel["mean"].idxmin() if t.sense == ">=" else sel["mean"].idxmax()]
        missed = sel[~sel["met"]]
        if len(missed):
            worst = missed.loc[missed["shortfall"].idxmax()]
        rows.append(
            (*_ident(t), worst["mean"], worst["ci_low"], worst["ci_high"], missed.empty,
             bool(sel["sure"].all()) if missed.empty else bool(missed["sure"].any()),
             len(sel), len(missed), worst["interval"], note)
        )  # fmt: skip
    return pd.DataFrame(rows, columns=VERDICT_COLUMNS)


def undefined_reason(summary: KpiSummary, t: Target) -> str:
    """Why a target's KPI has no value over the horizon: nothing offered, nothing answered,
    (email) nothing due within the horizon, (occupancy) no agent available."""
    if t.kpi == "occupancy":
        return "no agent available"
    offered = summary.overall.get((t.entity, "offered"), (math.nan, 0.0))[0]
    if not offered > 0:
        return "no contacts offered"
    if t.kpi == "within_promise":
        return "no email due within the horizon (the promise ends after it)"
    if t.kpi == "callback_within_promise":
        return "no callback due within the horizon (none accepted, or the promise ends after it)"
    answered = summary.overall.get((t.entity, "answered"), (math.nan, 0.0))[0]
    if t.kpi in ("asa_s", "fcr") and not answered > 0:
        return "no contacts answered"
    return "not measured in any replication"


def _ident(t: Target) -> tuple:
    return (t.entity, t.kpi, t.label, t.field, t.value, t.sense, t.scope, t.floor)


def format_value(value: float, kpi: str) -> str:
    """A KPI value as people read it: shares in %, ASA in seconds; ``n/a`` when undefined."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if KPIS[kpi].unit == "seconds":
        return f"{value:,.1f} s"
    if KPIS[kpi].unit == "per hour":
        return f"{value:,.1f}/h"
    return f"{value:.1%}"


def verdict_line(row: pd.Series) -> str:
    """``"calls: service level >= 80% within 20 s: 83.1% [82.0%, 84.2%] met"``; per-interval
    targets say how many intervals missed and the worst one."""
    ci = f"[{format_value(row['ci_low'], row['kpi'])}, {format_value(row['ci_high'], row['kpi'])}]"
    if row["note"]:
        return f"{row['entity']}: {row['target']}: {row['note']}"
    mark = "met" if row["met"] else "MISSED"
    if row["scope"] == "per_interval":
        status = (
            f"met in all {row['intervals']} intervals"
            if row["met"]
            else f"MISSED in {row['missed_intervals']} of {row['intervals']} intervals"
        )
        return (
            f"{row['entity']}: {row['target']}: {status}; worst "
            f"{format_value(row['mean'], row['kpi'])} {ci} at {row['worst_interval']}"
        )
    return f"{row['entity']}: {row['target']}: {format_value(row['mean'], row['kpi'])} {ci} {mark}"


__all__ = [
    "CHECK_COLUMNS",
    "FLOOR_MIN_CONTACTS",
    "VERDICT_COLUMNS",
    "Instances",
    "KpiSummary",
    "Target",
    "check_table",
    "format_value",
    "instances",
    "scenario_targets",
    "undefined_reason",
    "verdict_line",
    "verdicts",
]
