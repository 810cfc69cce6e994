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
failed-attempt time (seconds → hours; 0 for a **predictive** list, whose calls ring and fail
without an agent: its agents spend time on connects only),
``E[attempts] = (1 − (1 − r)^m) / r`` for ``m`` attempts per record, and ``records``
loaded once per dialing day.

The model ignores retry delays, carry-over, partial intervals and a predictive list's
nuisance calls (answered with no agent free, retried); :func:`outbound_need`
corrects it by the simulation at the anchor plan, a ratio like the others in
:mod:`optimizer.corrected`: the modelled capacity at the anchor over the modelled work of
the *simulated* value is how much capacity one unit of modelled work really takes, and the
need is scaled by it (clipped to [0.5, 4]). Each dialing interval counts at most
:data:`SPREAD` times its share of the need (:func:`interval_caps`): the dialer cannot use a
crowd in one hour, the records are not there yet.

**Lists sharing dialing groups** draw on one pool of idle agents, and the dialer serves
them in file order: an idle agent dials the first of its lists that has a record to dial
(:meth:`simulator.outbound.replication.BlendedReplication._dial`), so a later list gets
only what the earlier ones leave. One constraint per list would let every list claim the
same idle hours. So a list whose groups an earlier list also dials (:func:`ahead_of`:
earlier lists sharing a group with it, or with one another on the way) gets a second,
*joint* constraint (:func:`joint_need`) over the union of their groups and dialing
intervals::

    capacity(groups of L and E…) >= ρ × (work_L(goal) + Σ_E work_E(completion 1)) + reserve

— before ``L`` reaches its goal the lists ahead of it have dialled every record they had
(their whole work, :func:`work_hours` at completion 1), since they are served first. This is
Hall's condition of the allocation of idle agent-hours to lists for the sets a list and the
lists ahead of it form. ``ρ`` is the ratio above taken over all lists sharing groups
(:func:`sharing_lists`): their joint modelled capacity at the anchor over the modelled work
*all* of them did there (attributing the shared capacity to one list would pad it by the
others' work); the reserve is the idle agents the thresholds keep (the smallest threshold of
the lists dialling in an interval). A list dialled by groups no other list dials keeps
exactly the one constraint and ratio it had.
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


def failed_agent_s(spec: OutboundModel) -> float:
    """Mean agent seconds of an attempt without a connect: ``f`` for the threshold dialer,
    whose agent waits through it; 0 for the predictive dialer, whose calls ring without an
    agent (its ringing and failures cost line time only)."""
    return 0.0 if spec.predictive else spec.failed.mean_s


def attempt_hours(spec: OutboundModel) -> float:
    """Mean agent-hours of one attempt: ``r × h + (1 − r) × f`` (seconds → hours; ``f = 0``
    for a predictive list, :func:`failed_agent_s`)."""
    r = spec.right_party_connect
    return (r * spec.handle.mean_s + (1 - r) * failed_agent_s(spec)) / 3600


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
        per_connect_h = (spec.handle.mean_s + (1 - r) / r * failed_agent_s(spec)) / 3600
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


def sharing_lists(
    specs: tuple[OutboundModel, ...], spec: OutboundModel
) -> tuple[OutboundModel, ...]:
    """The lists (file order, ``spec`` included) connected to ``spec`` by shared dialing
    groups, directly or through one another: the lists whose dialing draws on the same idle
    agents."""
    groups = set(spec.groups)
    members = {spec.index}
    grown = True
    while grown:
        grown = False
        for other in specs:
            if other.index not in members and groups & set(other.groups):
                members.add(other.index)
                groups |= set(other.groups)
                grown = True
    return tuple(o for o in specs if o.index in members)


def ahead_of(specs: tuple[OutboundModel, ...], spec: OutboundModel) -> tuple[OutboundModel, ...]:
    """Earlier lists (file order) the dialer serves before ``spec`` on a group ``spec``
    dials, directly or through one another's groups (an earlier list on another group
    pushes its neighbour's work onto the shared one): empty when no earlier list shares."""
    groups = set(spec.groups)
    ahead: set[int] = set()
    grown = True
    while grown:
        grown = False
        for other in specs[: spec.index]:
            if other.index not in ahead and groups & set(other.groups):
                ahead.add(other.index)
                groups |= set(other.groups)
                grown = True
    return tuple(o for o in specs if o.index in ahead)


def _union(specs: tuple[OutboundModel, ...]) -> tuple[tuple[int, ...], np.ndarray]:
    """The groups (sorted indices) and per-interval dialing seconds (the most any of the
    lists dials in each global interval) of a set of lists."""
    groups = tuple(sorted({g for s in specs for g in s.groups}))
    dial = np.max(np.stack([s.dial_s for s in specs]), axis=0)
    return groups, dial


def reserve_hours(specs: tuple[OutboundModel, ...]) -> float:
    """Agent-hours the thresholds keep idle over the dialing intervals of ``specs``: in each
    interval the smallest threshold of the lists dialling then (below it nobody dials)."""
    _, dial = _union(specs)
    t = np.full(len(dial), np.inf)
    for s in specs:
        t = np.where(s.dial_s > 0, np.minimum(t, s.threshold), t)
    t = np.where(np.isfinite(t), t, 0.0)
    return float((t * dial).sum()) / 3600


def joint_weights(model: CorrectedModel, specs: tuple[OutboundModel, ...]) -> np.ndarray:
    """:func:`capacity_weights` over the union of the lists' dialing groups."""
    lay = model.lay
    w = np.zeros(lay.size)
    for g in _union(specs)[0]:
        w[lay.grp(g, "available_h")] += 1.0
        w[lay.grp(g, "busy_h")] -= 1.0
        w[lay.grp(g, "deferred_h")] -= 1.0
    return w


def joint_intervals(specs: tuple[OutboundModel, ...]) -> np.ndarray:
    """Global intervals where any of the lists dials."""
    return np.flatnonzero(_union(specs)[1] > 0)


def joint_capacity_at(
    model: CorrectedModel, specs: tuple[OutboundModel, ...], y: np.ndarray
) -> float:
    """Modelled dialing capacity (agent-hours) the lists share at plan ``y`` (G, K): the idle
    agent-hours of their groups in their dialing intervals, the reserve taken off."""
    f = model.fields_of(y)
    ks = joint_intervals(specs)
    return float((f[ks] @ joint_weights(model, specs)).sum()) - reserve_hours(specs)


def joint_caps(specs: tuple[OutboundModel, ...], need: float) -> np.ndarray:
    """:func:`interval_caps` of a joint constraint: each interval of
    :func:`joint_intervals` counts at most :data:`SPREAD` times its share (by the lists'
    dialing seconds) of ``need``."""
    dial = _union(specs)[1]
    dial = dial[dial > 0]
    return SPREAD * need * dial / max(float(dial.sum()), 1e-9)


def shared_ratio(
    model: CorrectedModel,
    specs: tuple[OutboundModel, ...],
    simulated: dict[tuple[str, str], float],
) -> float | None:
    """Capacity one unit of modelled work takes, for lists sharing groups: their joint
    modelled capacity at the anchor over the modelled work all of them did there (each
    list's simulated completion), clipped to [0.5, 4]; None without an anchor or a
    simulated completion of every list."""
    if model.anchor is None:
        return None
    done = 0.0
    for s in specs:
        c = simulated.get((s.name, "list_completion"))
        if c is None or not math.isfinite(c):
            return None
        done += work_hours(s, "list_completion", c)
    base = joint_capacity_at(model, specs, model.anchor)
    if done <= 1e-9 or base <= 1e-9:
        return None
    return float(np.clip(base / done, *_RATIO_CLIP))


def joint_need(
    model: CorrectedModel,
    specs: tuple[OutboundModel, ...],
    spec: OutboundModel,
    kpi: str,
    goal: float,
    simulated: dict[tuple[str, str], float],
) -> tuple[tuple[OutboundModel, ...], float] | None:
    """The joint constraint of ``spec``'s target (see module docstring): the lists it
    covers (``spec`` and the lists :func:`ahead_of` it) and the modelled idle agent-hours
    (reserve included) their groups must have over their dialing intervals; None when no
    earlier list shares a group with ``spec``. A simulated anchor that meets the goal never
    asks for more than the capacity it has."""
    ahead = ahead_of(specs, spec)
    if not ahead:
        return None
    keep = {s.index for s in ahead} | {spec.index}
    covered = tuple(s for s in specs if s.index in keep)
    work = work_hours(spec, kpi, goal) + sum(work_hours(e, "list_completion", 1.0) for e in ahead)
    ratio = shared_ratio(model, sharing_lists(specs, spec), simulated)
    need = work * (1.0 if ratio is None else ratio)
    sim = simulated.get((spec.name, kpi))
    if ratio is not None and sim is not None and math.isfinite(sim) and sim >= goal:
        need = min(need, joint_capacity_at(model, covered, model.anchor))
    return covered, need + reserve_hours(covered)


def outbound_need(
    model: CorrectedModel,
    spec: OutboundModel,
    kpi: str,
    goal: float,
    simulated: float | None,
    shared: float | None = None,
) -> float:
    """Modelled idle agent-hours (the ``T`` kept idle included) the dialing groups must
    have over the dialing intervals for ``kpi`` to reach ``goal``: the modelled work, scaled
    by the simulation at the model's anchor plan when there is one (``simulated``: the KPI
    simulated there). As :func:`optimizer.master.deferred_need`, a simulated anchor that
    meets the goal never asks for more capacity than it has, and one that misses it asks for
    more (at least its capacity times ``1 + the relative shortfall``), so the search moves.
    ``shared``: the ratio of a list sharing its groups (:func:`shared_ratio`), used instead
    of the list's own (which would count the other lists' dialing as this list's)."""
    need = work_hours(spec, kpi, goal)
    if simulated is not None and math.isfinite(simulated) and model.anchor is not None:
        base = capacity_at(model, spec, model.anchor)
        done = work_hours(spec, kpi, simulated)
        if done > 1e-9 and base > 1e-9:
            need *= float(np.clip(base / done, *_RATIO_CLIP)) if shared is None else shared
            if simulated >= goal:
                need = min(need, base)
            else:
                need = max(need, base * (1.0 + (goal - simulated) / max(goal, 1e-9)))
    return need + spec.threshold * dialing_hours(spec)


__all__ = [
    "OUTBOUND_KPIS",
    "ahead_of",
    "attempt_hours",
    "attempts_per_record",
    "capacity_at",
    "capacity_weights",
    "check_reachable",
    "dialing_hours",
    "dialing_intervals",
    "failed_agent_s",
    "interval_caps",
    "joint_capacity_at",
    "joint_caps",
    "joint_intervals",
    "joint_need",
    "joint_weights",
    "outbound_list",
    "outbound_need",
    "reserve_hours",
    "shared_ratio",
    "sharing_lists",
    "work_hours",
]
