"""Cost against service: optimize once per service-level target (or per budget).

``frontier(scenario, service_levels=[0.7, 0.8, 0.9])`` sets every channel's service-level
target (or only ``channel``'s) to each value in turn and optimizes; ``budgets=[...]``
instead keeps the targets and caps the cost, so each point is the best service that budget
buys. Each point reports the plan's cost, whether it met every target, and the simulated
KPIs per channel (service level, ASA, abandonment, FCR) from its verification run — one row
per point and channel, ready for a table or a plot.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from optimizer.evaluators import AnalyticEvaluator
from optimizer.optimize import optimize
from optimizer.options import OptimizeOptions
from optimizer.problem import Problem
from optimizer.result import OptimizationResult
from simulator.errors import InputError
from simulator.kpis import SHARE_KPIS
from simulator.scenario import Scenario
from simulator.whatif import with_slack

FRONTIER_KPIS = ("service_level", "asa_s", "abandon_rate", "fcr")
FEATURE_KPIS = ("blocked_rate", "callback_within_promise", "balk_rate")
"""Columns only a scenario whose channels have finite lines, callbacks or balking gets (the
plan's busy signals, callbacks made within their promise and balking: what the extra
agents of a stricter point buy there); NaN on the rows of channels without them."""


def frontier(
    scenario: Scenario,
    *,
    service_levels: Sequence[float] | None = None,
    budgets: Sequence[float] | None = None,
    list_completions: Sequence[float] | None = None,
    channel: str | None = None,
    outbound_list: str | None = None,
    options: OptimizeOptions | None = None,
    on_point: Callable[[int, int, OptimizationResult], None] | None = None,
    **overrides: Any,
) -> pd.DataFrame:
    """One row per (point, channel): ``point`` (the target or budget swept), ``cost``,
    ``feasible``, ``status``, ``plan_from`` (the point whose plan is reported: a stricter
    target's plan when that one came out cheaper), ``binding`` (the target that limits the
    cost at this point: the met target with least slack, or the worst missed one — see
    :func:`binding_target`), ``cost_per_point`` (target sweeps: the extra cost per
    percentage point of target over the previous, lower point; NaN for the first point and
    for budgets), ``channel``, the mean of each KPI in ``FRONTIER_KPIS`` and, with outbound
    lists, each list's :data:`OUTBOUND_FRONTIER_KPIS` (:func:`outbound_columns`).

    Give exactly one of ``service_levels`` (each in (0, 1); every channel with a
    service-level target, or ``channel``'s), ``list_completions`` (each in (0, 1]: the
    ``min_list_completion`` of every outbound list, or ``outbound_list``'s) or ``budgets``
    (> 0). ``options``/``overrides`` apply to every point (e.g. ``time_limit_seconds=20``
    per point); ``on_point(i, n, result)`` is called after each point."""
    sweeps = [v is not None for v in (service_levels, budgets, list_completions)]
    if sum(sweeps) != 1:
        raise InputError(
            "frontier: give exactly one of service_levels, list_completions or budgets"
        )
    options = options or OptimizeOptions()
    if overrides:
        options = OptimizeOptions.model_validate({**options.model_dump(), **overrides})
    channels = (
        [channel]
        if channel
        else [c for c, ch in scenario.channels.items() if ch.targets.service_level is not None]
    )
    lists = list(scenario.outbound or {})
    if channel is not None and channel in lists:
        raise InputError(
            f"--channel: {channel!r} is an outbound list, not a channel: sweep its "
            f"outbound.{channel}.targets.min_list_completion with --list-completions "
            f"(and --list {channel})"
        )
    if channel is not None and channel not in scenario.channels:
        raise InputError(
            f"--channel: unknown channel {channel!r} (known: {', '.join(scenario.channels)})"
        )
    problems = []
    if outbound_list is not None:
        if list_completions is None:
            problems.append("--list: names the outbound list whose --list-completions to sweep")
        elif outbound_list not in lists:
            known = ", ".join(lists) or "none: the scenario has no outbound section"
            problems.append(f"--list: unknown outbound list {outbound_list!r} (known: {known})")
        lists = [outbound_list]
    if service_levels is not None:
        if not channels:
            problems.append("frontier: no channel has a service-level target to sweep")
        problems += [
            f"service level {v}: must be in (0, 1)" for v in service_levels if not 0 < v < 1
        ]
        for name in channels:
            if scenario.channels[name].targets.within_seconds is None:
                problems.append(
                    f"channels.{name}.targets.within_seconds: needed to sweep its service level"
                )
    if list_completions is not None:
        if not lists:
            problems.append(
                "frontier: the scenario has no outbound list (outbound:) whose "
                "min_list_completion to sweep"
            )
        problems += [
            f"list completion {v}: must be in (0, 1] (outbound.<list>.targets.min_list_completion)"
            for v in list_completions
            if not 0 < v <= 1
        ]
    if budgets is not None:
        problems += [f"budget {b}: must be > 0" for b in budgets if not b > 0]
    if problems:
        raise InputError(problems)
    if service_levels is not None:
        sweep, points = "service_level", [float(v) for v in service_levels]
    elif list_completions is not None:
        sweep, points = "list_completion", [float(v) for v in list_completions]
    else:
        sweep, points = "budget", [float(v) for v in budgets or ()]

    def variant(value: float) -> Scenario:
        """The scenario with the swept target set to ``value``."""
        if sweep == "service_level":
            return scenario.with_changes(
                {f"channels.{name}.targets.service_level": value for name in channels}
            )
        return scenario.with_changes(
            {f"outbound.{name}.targets.min_list_completion": value for name in lists}
        )

    features = tuple(k for k in FEATURE_KPIS if _reported(scenario, k))
    results: list[OptimizationResult] = []
    for i, value in enumerate(points):
        if sweep == "budget":
            result = optimize(scenario, options, budget=value)
        else:
            result = optimize(variant(value), options)
        results.append(result)
        if on_point is not None:
            on_point(i + 1, len(points), result)
    used = list(range(len(points)))
    if sweep != "budget":
        # A plan meeting a stricter target meets every looser one: each point keeps the
        # cheapest feasible plan found at its target or a stricter one (a monotone frontier
        # even where the heuristic search landed on a dearer plan).
        order = sorted(range(len(points)), key=lambda i: -points[i])
        best = None
        for i in order:
            r = results[i]
            if meets_targets(r) and (best is None or r.cost < results[best].cost - 1e-9):
                best = i
            elif best is not None and results[best].cost < r.cost - 1e-9:
                used[i] = best
    rows = []
    for i, value in enumerate(points):
        result = results[used[i]]
        binding = binding_target(result)
        for name in scenario.channels:
            row: dict[str, Any] = {
                "point": float(value),
                "sweep": sweep,
                "cost": round(result.cost, 2),
                "cost_per_point": float("nan"),
                "feasible": result.feasible,
                "meets_targets": meets_targets(result),
                "status": result.status,
                "plan_from": float(points[used[i]]),
                "binding": binding,
                "channel": name,
            }
            for kpi in FRONTIER_KPIS + features:
                row[kpi] = result_kpi(result, name, kpi)
            row.update(outbound_columns(result, scenario))
            rows.append(row)
    return with_cost_per_point(pd.DataFrame(rows))


def with_cost_per_point(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` (frontier rows, possibly several runs concatenated) with
    ``cost_per_point`` set: for a sweep of a target (service level, list completion),
    (cost − the next lower point's cost) / (target step in percentage points); NaN for the
    lowest point and for budgets."""
    out = table.copy()
    out["cost_per_point"] = np.nan
    if out.empty or out["sweep"].nunique() != 1 or out["sweep"].iloc[0] == "budget":
        return out
    costs = out.drop_duplicates("point").set_index("point")["cost"].sort_index()
    steps = pd.Series(costs.index, index=costs.index).diff() * 100
    per_point = (costs.diff() / steps).round(2)
    out["cost_per_point"] = out["point"].map(per_point)
    return out


def binding_target(result: OptimizationResult) -> str:
    """The target that limits the plan's cost, in words (``"general: abandonment <= 5%"``):
    the worst missed target when one is missed, else the met target with the least slack
    (:func:`simulator.whatif.with_slack`), slack measured in percentage points for shares
    and in 5% of the goal for times — the one that would break first with fewer agents.
    Empty when the plan has no verdicts."""
    verdicts = result.verdicts
    if verdicts is None or not len(verdicts):
        return ""
    table = with_slack(verdicts.dropna(subset=["mean"]))
    if not len(table):
        return ""
    unit = np.where(table["kpi"].isin(SHARE_KPIS), 0.01, 0.05 * table["goal"].abs())
    table = table.assign(scaled=table["slack"] / np.where(unit > 0, unit, 1.0))
    row = table.sort_values("scaled").iloc[0]
    return f"{row['entity']}: {row['target']}"


def meets_targets(result: OptimizationResult) -> bool:
    """Feasible (verified on fresh seeds), or, for an analytic estimate, every target met on
    the analytic model."""
    if result.status == "estimate":
        return bool(result.verdicts["met"].all()) if len(result.verdicts) else True
    return result.feasible


OUTBOUND_FRONTIER_KPIS = ("list_completion", "connects_per_hour")
"""Outbound KPIs of each point's plan, a column per list (``"<list>: <kpi>"``)."""


def outbound_columns(result: OptimizationResult, scenario: Scenario) -> dict[str, float]:
    """``{"<list>: <kpi>": mean}`` of each outbound list's :data:`OUTBOUND_FRONTIER_KPIS` on
    the point's verification run (NaN without one: the analytic evaluator refuses outbound
    lists): what the point's plan dials, beside its inbound service and cost."""
    out: dict[str, float] = {}
    for name in scenario.outbound or {}:
        for kpi in OUTBOUND_FRONTIER_KPIS:
            value = float("nan")
            if result.kpis is not None:
                with contextlib.suppress(KeyError):
                    value = result.kpis.outbound_kpi(name, kpi)
            out[f"{name}: {kpi}"] = value
    return out


def _reported(scenario: Scenario, kpi: str) -> bool:
    """Whether some channel of ``scenario`` reports ``kpi`` (it has lines, a callback offer
    or balking)."""
    field = {"blocked_rate": "lines", "callback_within_promise": "callback"}.get(kpi, "balking")
    return any(getattr(ch, field) is not None for ch in scenario.channels.values())


def result_kpi(result: OptimizationResult, channel: str, kpi: str) -> float:
    """Mean of a channel KPI: from the verification simulation, or (analytic runs) from
    the analytic model's estimate of the plan."""
    if result.kpis is not None:
        frame = result.kpis.channels
        sel = frame[(frame.channel == channel) & (frame.kpi == kpi)]
        return float(sel["mean"].iloc[0]) if len(sel) else float("nan")
    assert result.scenario is not None
    problem = Problem.from_scenario(result.scenario)
    evaluation = AnalyticEvaluator(problem).evaluate(result.plan)
    return float(evaluation.kpis.overall.get((channel, kpi), (float("nan"), 0.0))[0])


__all__ = [
    "FEATURE_KPIS",
    "FRONTIER_KPIS",
    "OUTBOUND_FRONTIER_KPIS",
    "binding_target",
    "frontier",
    "meets_targets",
    "outbound_columns",
    "with_cost_per_point",
]
