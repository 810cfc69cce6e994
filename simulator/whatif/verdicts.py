"""Target verdicts of a simulation for people: one row per target, why a KPI is
undefined, and how much slack a met target has."""

from __future__ import annotations

import numpy as np
import pandas as pd

from simulator.kpis import KPIS, SHARE_KPIS
from simulator.results import SimulationResult


def target_checks(result: SimulationResult) -> pd.DataFrame:
    """Each scenario target against the simulated KPIs, one row per target — the verdicts of
    :meth:`SimulationResult.verdicts` (the one target model, :mod:`simulator.targets`) in
    the app's vocabulary.

    Columns: channel (the entity: a channel, or an agent group for ``max_occupancy``),
    target (the scenario key: ``service_level``, ``min_interval_service_level``,
    ``max_abandon_rate``, ``max_asa_seconds``, ``within_promise``, ``min_fcr``,
    ``max_occupancy``), kpi, goal, direction (``>=`` or ``<=``), scope, mean, ci_low,
    ci_high (for per-interval targets: those of the worst interval), met (judged on the
    mean), sure (the 95% CI lies on the verdict's side), label, worst_interval, note.
    """
    v = result.verdicts()
    return pd.DataFrame(
        {
            "channel": v["entity"],
            "target": [f.rsplit(".", 1)[-1] for f in v["field"]],
            "kpi": v["kpi"],
            "goal": v["goal"],
            "direction": v["sense"],
            "scope": v["scope"],
            "mean": v["mean"],
            "ci_low": v["ci_low"],
            "ci_high": v["ci_high"],
            "met": v["met"],
            "sure": v["sure"],
            "label": v["target"],
            "worst_interval": v["worst_interval"],
            "note": v["note"],
        }
    )


def undefined_reason(result: SimulationResult, channel: str, kpi: str) -> str:
    """Why a channel KPI has no value: nothing offered, nothing answered, or (email) no
    email due within the horizon."""
    if result.kpi(channel, "offered") == 0:
        return "no contacts offered"
    if kpi == "within_promise":
        return "no email due within the horizon (the promise ends after it)"
    if kpi == "callback_within_promise":
        return "no callback due within the horizon (none accepted, or the promise ends after it)"
    if kpi == "asa_s" and result.kpi(channel, "answered") == 0:
        return "no contacts answered"
    return "not measured in any replication"


def with_slack(targets: pd.DataFrame) -> pd.DataFrame:
    """Target rows (columns kpi, goal, mean, ci_low, ci_high, met: the optimizer's
    ``result.targets`` or :func:`target_checks`) plus ``slack`` and ``binding``.

    ``slack`` is how far the mean is on the good side of the goal, in the KPI's units
    (negative = missed). A met target is *binding* when its slack is within the 95% CI
    half-width, or within 1 percentage point (shares) or 5% of the goal (seconds): the plan
    cannot lose agents without putting it at risk.
    """
    out = targets.copy()
    higher = np.array([bool(KPIS[k].higher_is_better) for k in out["kpi"]], dtype=bool)
    out["slack"] = np.where(higher, out["mean"] - out["goal"], out["goal"] - out["mean"])
    # the wider side: a CI clipped at 0 or 100% (simulator.kpis.ci_bounds) keeps the other
    half = np.maximum(out["ci_high"] - out["mean"], out["mean"] - out["ci_low"]).fillna(0)
    tolerance = np.where(out["kpi"].isin(SHARE_KPIS), 0.01, 0.05 * out["goal"].abs())
    out["binding"] = out["met"].astype(bool) & (out["slack"] <= np.maximum(half, tolerance))
    return out
