"""The standard two-step practice, as a planner does it with a spreadsheet: the yardstick.

1. Per channel and interval, Erlang C (no abandonment, exponential handle times) gives the
   agents needed for the channel's service-level / ASA target
   (:func:`simulator.staffing.required_agents`), divided by ``1 - shrinkage`` and rounded
   up. A channel without such a target is staffed to 85% occupancy. Deferred channels
   (email) get the fluid requirement for their promise
   (:func:`simulator.deferred.deferred_requirement`), the same in every open interval.
2. Each channel is staffed by its *home* group: the most specialised group with the skill
   (fewest skills; then the cheapest), handle time scaled by that group's factor. Other
   skills help in the simulation but are not counted on — as in practice.
3. With shift types, the same shift program as the optimizer covers the requirements.

Abandonment and FCR targets are not part of the practice (Erlang C has no abandonment);
that is one reason its plans miss targets or over-staff — :mod:`benchmarks.optimizer`
measures both.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from optimizer.options import OptimizeOptions
from optimizer.plan import Plan
from optimizer.problem import REAL_TIME, Problem
from optimizer.shifts import ShiftSolution, default_shift_types, solve_shifts
from simulator.deferred import deferred_requirement
from simulator.scenario import Scenario
from simulator.staffing import required_agents

DEFAULT_OCCUPANCY = 0.85


@dataclass(frozen=True)
class BaselinePlan:
    """The two-step plan: ``plan`` (with shifts when shift types exist), the per-interval
    ``requirement`` (G, K) it covers, and the home group chosen for each channel."""

    plan: Plan
    requirement: np.ndarray
    home: dict[str, str]
    shifts: ShiftSolution | None

    def cost(self, scenario: Scenario) -> float:
        return self.plan.cost(scenario)


def home_group(problem: Problem, c: int) -> int:
    """Most specialised skilled group for channel ``c`` (fewest skills, then cheapest)."""
    skilled = [g for g in range(problem.n_groups) if problem.skilled[g, c]]
    return min(skilled, key=lambda g: (problem.skilled[g].sum(), problem.unit_cost[g]))


def baseline(scenario: Scenario, options: OptimizeOptions | None = None) -> BaselinePlan:
    """The standard practice's plan for ``scenario`` (see module docstring)."""
    options = options or OptimizeOptions()
    p = Problem.from_scenario(scenario)
    req = np.zeros((p.n_groups, p.n_intervals))
    home: dict[str, str] = {}
    for c, name in enumerate(p.channels):
        ch = scenario.channels[name]
        g = home_group(p, c)
        home[name] = p.groups[g]
        aht = p.aht_s[c] * p.factor[g, c]
        t = ch.targets
        if ch.kind in REAL_TIME:
            lam = p.rate_per_hour[c]
            conc = ch.max_concurrency if ch.kind == "chat" else 1
            aht_eff = aht * (1 + ch.concurrency_slowdown * (conc - 1))
            kwargs = {}
            if t.service_level is not None:
                kwargs.update(service_level=t.service_level, within_s=t.within_seconds)
            if t.max_asa_seconds is not None:
                kwargs["max_asa_s"] = t.max_asa_seconds
            if not kwargs:
                kwargs["max_occupancy"] = DEFAULT_OCCUPANCY
            need = np.zeros(p.n_intervals)
            busy = lam > 0
            if busy.any():
                r = required_agents(lam[busy], aht_eff, **kwargs)
                need[busy] = np.ceil(np.asarray(r.raw_agents, dtype=float) / conc)
        else:
            need = _deferred_need(scenario, p, c, aht)
        req[g] += need
    shrink = p.shrinkage[:, None]
    scheduled = np.ceil(req / (1 - shrink) - 1e-9)
    x = np.clip(scheduled.astype(int), p.lower, p.upper)
    types = (
        options.shift_types if options.shift_types is not None else default_shift_types(scenario)
    )
    use_shifts = bool(types) if options.shifts is None else options.shifts
    if use_shifts and types:
        groups_with_types = {g for t in types for g in (t.groups or p.groups)}
        mask = np.array([g in groups_with_types for g in p.groups])[:, None]
        sol = solve_shifts(p, np.where(mask, x, 0), types)
        staffing = np.where(mask, sol.coverage, x)
        shifts = {g: s for g, s in sol.shifts.items() if g in groups_with_types}
        return BaselinePlan(Plan(p.groups, staffing, shifts), x, home, sol)
    return BaselinePlan(Plan(p.groups, x), x, home, None)


def _deferred_need(scenario: Scenario, p: Problem, c: int, aht: float) -> np.ndarray:
    """Agents in every open interval for a deferred channel's promise (fluid model, one
    day as the repeating cycle; 0 without a promise target)."""
    ch = scenario.channels[p.channels[c]]
    if ch.promise_hours is None or ch.targets.within_promise is None:
        return np.zeros(p.n_intervals)
    h = scenario.horizon
    per_day = 86400 // h.interval_s
    first = h.open_s // h.interval_s
    volumes = np.zeros(per_day)
    closed = per_day - h.intervals_per_day
    if closed and ch.arrivals.closed_hours_volume:
        volumes[:] = ch.arrivals.closed_hours_volume * ch.arrivals.scale / closed
    day_rates = p.rate_per_hour[c].reshape(p.days, p.intervals_per_day).mean(axis=0)
    volumes[first : first + h.intervals_per_day] = day_rates * p.interval_hours
    open_mask = np.zeros(per_day, dtype=bool)
    open_mask[first : first + h.intervals_per_day] = True
    if volumes.sum() <= 0:
        return np.zeros(p.n_intervals)
    r = deferred_requirement(
        volumes,
        aht,
        interval_minutes=h.interval_minutes,
        promise_hours=ch.promise_hours,
        open_intervals=open_mask,
        promise_clock=ch.promise_clock,
    )
    return np.full(p.n_intervals, float(math.ceil(r.agents - 1e-9)))


__all__ = ["BaselinePlan", "baseline", "home_group"]
