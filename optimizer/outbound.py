"""Outbound targets in the master program: dialing capacity against the work a target needs.

A threshold dialer (:mod:`simulator.outbound`) turns the idle time of its list's groups into
attempts: an agent dials only when no inbound contact waits and more than ``T`` agents of the
groups are idle. The optimizer models this as a capacity, in agent-hours over the dialing
intervals of the horizon::

    capacity(y) = Σ_{k dialing} Σ_{g dialing} (available_h − busy_h − deferred_h)_{g,k}
                  − T × dialing hours

(the analytic model's fields: shrunk agent-hours on duty minus the real-time and deferred
work it assigns the group), against the agent-hours the target needs::

    min_list_completion q:   q × records × E[attempts per record] × (r × h + (1 − r) × f)
    min_connects_per_hour c: c × dialing hours × (h + (1 − r) / r × f)

with ``r`` the right-party-connect probability, ``h`` the connect handle time, ``f`` the
failed-attempt time (seconds → hours), ``E[attempts] = (1 − (1 − r)^m) / r`` for ``m``
attempts per record, and ``records`` loaded once per dialing day.

The model ignores retry delays, carry-over, partial intervals and lists sharing groups;
:func:`outbound_need` corrects it by the simulation at the anchor plan, a ratio like the
others in :mod:`optimizer.corrected`: the modelled capacity at the anchor over the modelled
work of the *simulated* value is how much capacity one unit of modelled work really takes,
and the need is scaled by it (clipped to [0.5, 4]). Each dialing interval counts at most
:data:`SPREAD` times its share of the need (:func:`interval_caps`): the dialer cannot use a
crowd in one hour, the records are not there yet.
"""

from __future__ import annotations

import math

import numpy as np

from optimizer.corrected import CorrectedModel
from simulator.errors import InputError
from simulator.outbound.model import OutboundModel, compile_outbound
from simulator.scenario import Scenario

OUTBOUND_KPIS = ("list_completion", "connects_per_hour")
"""Outbound target KPIs the optimizer searches for (see module docstring)."""

_RATIO_CLIP = (0.5, 4.0)


def outbound_list(scenario: Scenario, name: str) -> OutboundModel:
    """The compiled outbound list ``name`` of ``scenario``."""
    for spec in compile_outbound(scenario):
        if spec.name == name:
            return spec
    raise KeyError(name)


def attempt_hours(spec: OutboundModel) -> float:
    """Mean agent-hours of one attempt: ``r × h + (1 − r) × f`` (seconds → hours)."""
    r = spec.right_party_connect
    return (r * spec.handle.mean_s + (1 - r) * spec.failed.mean_s) / 3600


def attempts_per_record(spec: OutboundModel) -> float:
    """Mean attempts a record takes until a connect or ``max_attempts``:
    ``(1 − (1 − r)^m) / r`` (``m`` when ``r = 0``)."""
    r, m = spec.right_party_connect, spec.max_attempts
    return float(m) if r <= 0 else (1 - (1 - r) ** m) / r


def dialing_hours(spec: OutboundModel) -> float:
    """Hours of dialing window over the horizon."""
    return float(spec.dial_s.sum()) / 3600


def work_hours(spec: OutboundModel, kpi: str, value: float) -> float:
    """Agent-hours of outbound work the list needs to reach ``value`` of ``kpi`` over the
    horizon (see module docstring)."""
    r = spec.right_party_connect
    if kpi == "list_completion":
        records = spec.records_per_day * len(spec.windows)
        return value * records * attempts_per_record(spec) * attempt_hours(spec)
    if kpi == "connects_per_hour":
        if r <= 0:
            raise InputError(
                f"outbound.{spec.name}.targets.min_connects_per_hour: right_party_connect is 0, "
                "so no attempt ever connects"
            )
        per_connect_h = (spec.handle.mean_s + (1 - r) / r * spec.failed.mean_s) / 3600
        return value * dialing_hours(spec) * per_connect_h
    raise ValueError(f"not an outbound target KPI: {kpi}")


def check_reachable(scenario: Scenario) -> None:
    """Refuse outbound targets no staffing can reach, naming the field: more connects per
    hour than the list's records can give (``records × (1 − (1 − r)^m)`` connects at most)."""
    for spec in compile_outbound(scenario):
        goal = scenario.outbound[spec.name].targets.min_connects_per_hour
        hours = dialing_hours(spec)
        if goal is None or hours <= 0:
            continue
        r = spec.right_party_connect
        most = spec.records_per_day * len(spec.windows) * (1 - (1 - r) ** spec.max_attempts)
        if goal * hours > most + 1e-9:
            raise InputError(
                f"outbound.{spec.name}.targets.min_connects_per_hour: {goal:g} connects per "
                f"dialing hour x {hours:g} h = {goal * hours:,.0f} connects, but the list can "
                f"give at most {most:,.0f} ({spec.records_per_day:,} records a day, "
                f"right-party connect {r:g}, {spec.max_attempts} attempts)"
            )


def capacity_weights(model: CorrectedModel, spec: OutboundModel) -> np.ndarray:
    """Weights (F,) of the agent-hours the list's groups have idle in one interval:
    ``Σ_g available_h − busy_h − deferred_h``."""
    lay = model.lay
    w = np.zeros(lay.size)
    for g in spec.groups:
        w[lay.grp(g, "available_h")] += 1.0
        w[lay.grp(g, "busy_h")] -= 1.0
        w[lay.grp(g, "deferred_h")] -= 1.0
    return w


def dialing_intervals(spec: OutboundModel) -> np.ndarray:
    """Global intervals with any dialing window."""
    return np.flatnonzero(spec.dial_s > 0)


def capacity_at(model: CorrectedModel, spec: OutboundModel, y: np.ndarray) -> float:
    """Modelled dialing capacity (agent-hours over the horizon) of plan ``y`` (G, K), the
    ``T`` idle agents taken off (see module docstring)."""
    f = model.fields_of(y)
    ks = dialing_intervals(spec)
    return float((f[ks] @ capacity_weights(model, spec)).sum()) - spec.threshold * dialing_hours(
        spec
    )


SPREAD = 1.5
"""Most one dialing interval may count towards a target: this times its share (by dialing
seconds) of the need. Records are loaded once a day and retried hours later, so idle time
piled into a few intervals finds nothing to dial; without a cap the program would meet the
need with a crowd in the cheapest hour."""


def interval_caps(spec: OutboundModel, need: float) -> np.ndarray:
    """(len(dialing_intervals),) the most agent-hours each dialing interval may count
    towards a need of ``need`` agent-hours (:data:`SPREAD` times its share)."""
    dial = spec.dial_s[dialing_intervals(spec)]
    return SPREAD * need * dial / max(float(dial.sum()), 1e-9)


def outbound_need(
    model: CorrectedModel,
    spec: OutboundModel,
    kpi: str,
    goal: float,
    simulated: float | None,
) -> float:
    """Modelled idle agent-hours (the ``T`` kept idle included) the dialing groups must
    have over the dialing intervals for ``kpi`` to reach ``goal``: the modelled work, scaled
    by the simulation at the model's anchor plan when there is one (``simulated``: the KPI
    simulated there). As :func:`optimizer.master.deferred_need`, a simulated anchor that
    meets the goal never asks for more capacity than it has, and one that misses it asks for
    more (at least its capacity times ``1 + the relative shortfall``), so the search moves."""
    need = work_hours(spec, kpi, goal)
    if simulated is not None and math.isfinite(simulated) and model.anchor is not None:
        base = capacity_at(model, spec, model.anchor)
        done = work_hours(spec, kpi, simulated)
        if done > 1e-9 and base > 1e-9:
            need *= float(np.clip(base / done, *_RATIO_CLIP))
            if simulated >= goal:
                need = min(need, base)
            else:
                need = max(need, base * (1.0 + (goal - simulated) / max(goal, 1e-9)))
    return need + spec.threshold * dialing_hours(spec)


__all__ = [
    "OUTBOUND_KPIS",
    "attempt_hours",
    "attempts_per_record",
    "capacity_at",
    "capacity_weights",
    "check_reachable",
    "dialing_hours",
    "dialing_intervals",
    "interval_caps",
    "outbound_list",
    "outbound_need",
    "work_hours",
]
