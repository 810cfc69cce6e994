"""Several results side by side: key KPIs of each, with differences against a base."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from simulator.errors import InputError
from simulator.horizon import FULL_TIME_WEEK_HOURS
from simulator.results import SimulationResult, summarise
from simulator.whatif.verdicts import target_checks

# The KPIs the comparison table shows, in order: (scope, kpi). Scope "channel" repeats per
# channel, "group" per agent group, "outbound" per outbound list (none without), "overall"
# once. Comparing a blended scenario with ``outbound=null`` shows the inbound impact.
COMPARE_KPIS: tuple[tuple[str, str], ...] = (
    ("channel", "offered"),
    ("channel", "service_level"),
    ("channel", "asa_s"),
    ("channel", "abandon_rate"),
    ("channel", "wait_p90_s"),
    ("channel", "fcr"),
    ("channel", "within_promise"),
    ("channel", "response_p90_s"),
    ("channel", "backlog_at_end"),
    ("channel", "blocked_rate"),
    ("channel", "callbacks_offered"),
    ("channel", "callbacks_accepted"),
    ("channel", "callback_within_promise"),
    ("channel", "callback_delay_s"),
    ("group", "occupancy"),
    ("group", "paid_hours"),
    ("group", "cost"),
    ("outbound", "connects"),
    ("outbound", "list_completion"),
    ("outbound", "outbound_occupancy"),
    ("outbound", "nuisance_rate"),  # predictive lists only (a threshold list has no row)
    ("overall", "paid_hours"),
    ("overall", "cost"),
)


def compare(
    results: Mapping[str, SimulationResult],
    base: str,
    *,
    days: int | None = None,
    full_time_week_hours: float = FULL_TIME_WEEK_HOURS,
) -> pd.DataFrame:
    """Key KPIs of several results in one tidy table, with differences against ``base``.

    Columns: variant, scope (channel/group/overall), entity, kpi, mean, ci_half_width,
    diff (mean − base mean; NaN for the base itself), diff_ci_half_width (95% CI
    half-width of the paired difference, replication by replication; for an overall KPI,
    whose per-replication values are not kept, 0 when it does not vary by replication in
    either result (paid hours and cost of a plan: the difference is exact), else NaN),
    targets_met (count of the variant's targets met on the mean, on its
    ``overall``/``targets`` row). With ``days`` (the horizon's), an ``fte`` row follows
    each ``paid_hours`` row: paid hours per week / ``full_time_week_hours``
    (:meth:`Horizon.fte`). Variants keep the order of ``results``. Run every variant with
    the same seed (common random numbers) so the differences are the plan's, not sampling
    noise, and the paired CI is narrow.
    """
    if base not in results:
        raise InputError(f"base: {base!r} is not one of the variants ({', '.join(results)})")
    records: list[tuple[Any, ...]] = []
    for name, result in results.items():
        records += _kpi_rows(name, result)
    frame = pd.DataFrame(
        records, columns=["variant", "scope", "entity", "kpi", "mean", "ci_half_width"]
    )
    key = ["scope", "entity", "kpi"]
    base_means = frame[frame.variant == base].set_index(key)["mean"]
    joined = frame.join(base_means.rename("base_mean"), on=key)
    frame["diff"] = np.where(frame.variant == base, np.nan, joined["mean"] - joined["base_mean"])
    frame["diff_ci_half_width"] = [
        math.nan
        if variant == base
        else _exact_or_nan(results[variant], results[base], k)
        if scope == "overall"
        else _paired_half_width(results[variant], results[base], e, k)
        for variant, scope, e, k in zip(
            frame.variant, frame.scope, frame.entity, frame.kpi, strict=True
        )
    ]
    if days is not None:
        if not full_time_week_hours > 0:
            raise InputError(f"full-time week: must be > 0 hours, got {full_time_week_hours:g}")
        factor = 7 / days / full_time_week_hours
        hours = frame[frame.kpi == "paid_hours"].copy()
        hours["kpi"] = "fte"
        for column in ("mean", "ci_half_width", "diff", "diff_ci_half_width"):
            hours[column] = hours[column] * factor
        frame = pd.concat([frame, hours]).sort_index(kind="stable").reset_index(drop=True)
    return frame


def _exact_or_nan(result: SimulationResult, base: SimulationResult, kpi: str) -> float:
    """Paired CI half-width of an overall KPI: 0 when the KPI is the same in every
    replication of both results (within rounding), so the difference is exact; NaN
    otherwise (overall values are not kept per replication)."""

    def fixed(r: SimulationResult) -> bool:
        row = r.overall[r.overall.kpi == kpi]
        if len(row) != 1:
            return False
        mean, half = float(row["mean"].iloc[0]), float(row["ci_half_width"].iloc[0])
        return math.isclose(half, 0.0, abs_tol=1e-9 * max(1.0, abs(mean)))

    return 0.0 if fixed(result) and fixed(base) else math.nan


def _paired_half_width(
    result: SimulationResult, base: SimulationResult, entity: str, kpi: str
) -> float:
    """95% CI half-width of the mean of (variant − base) replication by replication."""

    def values(r: SimulationResult) -> pd.Series:
        rows = r.per_replication
        sel = rows[(rows.entity == entity) & (rows.kpi == kpi)]
        return sel.set_index("replication")["value"]

    a, b = values(result), values(base)
    if a.empty or b.empty:
        return math.nan
    pairs = (a - b).dropna()
    if len(pairs) < 2:
        return math.nan
    return summarise(pairs.to_numpy())[1]


def _kpi_rows(name: str, result: SimulationResult) -> list[tuple[Any, ...]]:
    rows: list[tuple[Any, ...]] = []
    tables = {
        "channel": (result.channels, "channel"),
        "group": (result.groups, "group"),
        "outbound": (result.outbound, "outbound"),
    }
    for scope, kpi in COMPARE_KPIS:
        if scope == "overall":
            row = result.overall[result.overall.kpi == kpi]
            if len(row):
                rows.append(
                    (name, scope, "all", kpi, *row[["mean", "ci_half_width"]].iloc[0].tolist())
                )
            continue
        table, column = tables[scope]
        for _, row in table[table.kpi == kpi].iterrows():
            rows.append((name, scope, row[column], kpi, row["mean"], row["ci_half_width"]))
    checks = target_checks(result)
    rows.append((name, "overall", "all", "targets_met", float(checks.met.sum()), math.nan))
    rows.append((name, "overall", "all", "targets", float(len(checks)), math.nan))
    return rows
