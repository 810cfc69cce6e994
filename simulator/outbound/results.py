"""Outbound KPIs per replication, summarised like every other KPI (mean and 95% CI over
replications): one table over the horizon (``outbound``) and one per interval
(``outbound_intervals``). Definitions are in :mod:`simulator.kpis` and
``docs/results-format.md``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from simulator.kpis import OUTBOUND_INTERVAL_KPIS, OUTBOUND_KPIS, PREDICTIVE_KPIS
from simulator.model import CompiledModel
from simulator.stats import ReplicationStats, ratio

OutboundValues = list[tuple[str, dict[str, np.ndarray], dict[str, np.ndarray]]]
"""Per list: (name, KPI -> value per replication, KPI -> replications x intervals)."""


def outbound_values(
    model: CompiledModel, reps: list[ReplicationStats], counted: slice
) -> OutboundValues:
    """Every outbound KPI of each replication (see the module docstring)."""
    out = []
    for spec in model.outbound:
        arr = {
            name: np.stack([r.outbound[spec.name][name] for r in reps])
            for name in reps[0].outbound[spec.name]
        }
        cnt = {name: a[:, counted].sum(axis=1) for name, a in arr.items()}
        present = sum(
            np.stack([r.groups[model.groups[g].name]["present_area"] for r in reps])
            for g in spec.groups
        )
        agent_s = arr["connect_s"] + arr["failed_s"]
        dial_h = spec.dial_s / 3600
        left = np.array([r.outbound_scalars[spec.name]["records_left_at_end"] for r in reps])
        finished = arr["connects"].sum(axis=1) + arr["exhausted"].sum(axis=1)
        values = {
            "attempts": cnt["attempts"],
            "connects": cnt["connects"],
            "connects_per_hour": ratio(cnt["connects"], np.full(len(reps), dial_h[counted].sum())),
            "right_party_rate": ratio(cnt["connects"] + cnt["nuisance"], cnt["attempts"]),
            "nuisance_calls": cnt["nuisance"],
            "nuisance_rate": ratio(cnt["nuisance"], cnt["connects"] + cnt["nuisance"]),
            "list_completion": ratio(finished, arr["loaded"].sum(axis=1)),
            "records_left_at_end": left,
            "outbound_agent_hours": agent_s[:, counted].sum(axis=1) / 3600,
            "outbound_occupancy": ratio(
                agent_s[:, counted].sum(axis=1), present[:, counted].sum(axis=1)
            ),
        }
        per_interval = {
            "attempts": arr["attempts"],
            "connects": arr["connects"],
            "connects_per_hour": ratio(
                arr["connects"], np.broadcast_to(dial_h, arr["connects"].shape)
            ),
            "outbound_occupancy": ratio(agent_s, present),
            "nuisance_calls": arr["nuisance"],
            "nuisance_rate": ratio(arr["nuisance"], arr["connects"] + arr["nuisance"]),
        }
        extra = PREDICTIVE_KPIS if spec.predictive else ()
        out.append(
            (
                spec.name,
                {k: values[k] for k in OUTBOUND_KPIS + extra},
                {k: per_interval[k] for k in OUTBOUND_INTERVAL_KPIS + extra},
            )
        )
    return out


def add_outbound_rows(
    values: OutboundValues,
    add: Callable[[list[tuple], str, str, str, np.ndarray], Any],
    add_intervals: Callable[[list[tuple], str, str, np.ndarray], Any],
) -> tuple[list[tuple], list[tuple]]:
    """The rows of the ``outbound`` and ``outbound_intervals`` tables, built with the
    result's own summarising helpers (so CIs are computed exactly as for channels)."""
    rows: list[tuple] = []
    interval_rows: list[tuple] = []
    for name, horizon, per_interval in values:
        for kpi, v in horizon.items():
            add(rows, "outbound", name, kpi, v)
        for kpi, a in per_interval.items():
            add_intervals(interval_rows, name, kpi, a)
    return rows, interval_rows


__all__ = ["OutboundValues", "add_outbound_rows", "outbound_values"]
