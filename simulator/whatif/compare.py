"""Several results side by side: key KPIs of each, with differences against a base."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from simulator.errors import InputError
from simulator.results import SimulationResult
from simulator.whatif.verdicts import target_checks

# The KPIs the comparison table shows, in order: (scope, kpi). Scope "channel" repeats per
# channel, "group" per agent group, "overall" once.
COMPARE_KPIS: tuple[tuple[str, str], ...] = (
    ("channel", "offered"),
    ("channel", "service_level"),
    ("channel", "asa_s"),
    ("channel", "abandon_rate"),
    ("channel", "wait_p90_s"),
    ("channel", "fcr"),
    ("group", "occupancy"),
    ("group", "cost"),
    ("overall", "paid_hours"),
    ("overall", "cost"),
)


def compare(results: Mapping[str, SimulationResult], base: str) -> pd.DataFrame:
    """Key KPIs of several results in one tidy table, with differences against ``base``.

    Columns: variant, scope (channel/group/overall), entity, kpi, mean, ci_half_width,
    diff (mean − base mean; NaN for the base itself), targets_met (count of the variant's
    targets met on the mean, on its ``overall``/``targets`` row). Variants keep the order
    of ``results``. Run every variant with the same seed (common random numbers) so the
    differences are the plan's, not sampling noise.
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
    return frame


def _kpi_rows(name: str, result: SimulationResult) -> list[tuple[Any, ...]]:
    rows: list[tuple[Any, ...]] = []
    tables = {"channel": (result.channels, "channel"), "group": (result.groups, "group")}
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
