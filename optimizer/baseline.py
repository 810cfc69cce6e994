"""The standard two-step practice, as a planner does it with a spreadsheet: the yardstick.

1. **Staff each interval.** Per channel and interval, Erlang C (no abandonment, exponential
   handle times) gives the agents its service-level / ASA target needs
   (:func:`simulator.queueing.staffing.required_agents`); a channel without such a target is
   staffed to 85% occupancy; an email channel gets the fluid requirement of its promise
   (:func:`simulator.queueing.deferred.deferred_requirement`), the same in every open interval. Each
   channel is staffed by its *home* group (the most specialised group with the skill, then
   the cheapest), at that group's speed; the sum is divided by ``1 − shrinkage`` and rounded
   up. Other skills help in the simulation but are not counted on — as in practice.
2. **Schedule.** With shift rules, the cheapest shifts whose coverage reaches each group's
   requirement in every interval (the same integer program and rules as the optimizer).
3. **Add agents until it works** (:func:`baseline_until_feasible`): simulate; where a target
   is missed, raise the home group's requirement by one agent in the intervals concerned
   (every interval for a horizon target), schedule again; until the simulation meets every
   target on the search seeds or the rounds run out.

Abandonment and first-contact-resolution targets are not part of step 1 (Erlang C has no
abandonment; the spreadsheet has no resolution loop): that is one reason the practice's plans
miss targets or over-staff — :mod:`benchmarks.optimizer` measures both.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from optimizer.master import CutPool, cover, solve_master
from optimizer.patterns import Decisions, build_decisions
from optimizer.problem import REAL_TIME, Problem
from optimizer.search import judge
from simulator.channels import KINDS
from simulator.clock import DAY_S
from simulator.plan import Plan
from simulator.queueing.deferred import deferred_requirement
from simulator.queueing.staffing import required_agents
from simulator.scenario import Scenario
from simulator.targets import instances, scenario_targets

DEFAULT_OCCUPANCY = 0.85


@dataclass(frozen=True)
class BaselinePlan:
    """The two-step plan: ``plan`` (shifts where shift rules apply), the per-interval
    ``requirement`` (G, K) it covers, the home group of each channel, and how many rounds of
    adding agents it took (0: the Erlang plan as is)."""

    plan: Plan
    requirement: np.ndarray
    home: dict[str, str]
    rounds: int = 0
    met: bool | None = None  # met every target on the search seeds (None: not simulated)

    def cost(self, scenario: Scenario) -> float:
        return self.plan.cost(scenario)


def home_group(problem: Problem, c: int) -> int:
    """Most specialised skilled group for channel ``c`` (fewest skills, then cheapest)."""
    skilled = [g for g in range(problem.n_groups) if problem.skilled[g, c]]
    return min(skilled, key=lambda g: (problem.skilled[g].sum(), problem.unit_cost[g]))


def erlang_requirement(scenario: Scenario) -> tuple[np.ndarray, dict[str, str]]:
    """Step 1: agents on duty per group and interval (G, K), and each channel's home group."""
    p = Problem.from_scenario(scenario)
    req = np.zeros((p.n_groups, p.n_intervals))
    home: dict[str, str] = {}
    for c, name in enumerate(p.channels):
        ch = scenario.channels[name]
        g = home_group(p, c)
        home[name] = p.groups[g]
        aht = p.aht_grid_s[c] * p.factor[g, c]  # (K,) per-interval mean handle time
        t = ch.targets
        if ch.kind in REAL_TIME:
            lam = p.rate_per_hour[c]
            conc = ch.max_concurrency if KINDS[ch.kind].concurrent else 1
            aht_eff = aht * (1 + ch.concurrency_slowdown * (conc - 1))
            kwargs: dict[str, float] = {}
            if t.service_level is not None and t.within_seconds is not None:
                kwargs.update(service_level=t.service_level, within_s=t.within_seconds)
            if t.max_asa_seconds is not None:
                kwargs["max_asa_s"] = t.max_asa_seconds
            if not kwargs:
                kwargs["max_occupancy"] = DEFAULT_OCCUPANCY
            need = np.zeros(p.n_intervals)
            busy = lam > 0
            if busy.any():
                r = required_agents(lam[busy], aht_eff[busy], **kwargs)
                need[busy] = np.ceil(np.asarray(r.raw_agents, dtype=float) / conc)
        else:
            lam = p.rate_per_hour[c]  # one handle time for the day cycle: volume-weighted
            mean_aht = float(p.aht_s[c] * p.factor[g, c])
            if p.aht_by_interval_s is not None and lam.sum() > 0:
                mean_aht = float((lam * aht).sum() / lam.sum())
            need = _deferred_need(scenario, p, c, mean_aht)
        req[g] += need
    scheduled = np.ceil(req / (1 - p.shrinkage[:, None]) - 1e-9)
    return np.clip(scheduled, p.lower, p.upper), home


def baseline(scenario: Scenario, requirement: np.ndarray | None = None) -> BaselinePlan:
    """Steps 1 and 2 (see module docstring): the Erlang requirement, covered by the
    cheapest shifts where shift rules apply. ``requirement`` (G, K) replaces step 1."""
    req, home = erlang_requirement(scenario)
    if requirement is not None:
        req = np.asarray(requirement, dtype=float)
    p = Problem.from_scenario(scenario)
    decisions = build_decisions(p, "auto")
    return BaselinePlan(_schedule(decisions, req), req, home)


def baseline_until_feasible(
    scenario: Scenario, evaluator, *, rounds: int = 30, margin: float = 1.0
) -> BaselinePlan:
    """Step 3 (see module docstring): the practice's plan with agents added round by round
    until ``evaluator`` (a :class:`optimizer.evaluators.SimulationEvaluator` on the search
    seeds) finds every target met at ``margin``; the last plan if ``rounds`` run out."""
    p = Problem.from_scenario(scenario)
    targets = scenario_targets(scenario)
    req, home = erlang_requirement(scenario)
    decisions = build_decisions(p, "auto")
    home_index = {c: p.groups.index(home[name]) for c, name in enumerate(p.channels)}
    plan = _schedule(decisions, req)
    for n in range(rounds + 1):
        evaluation = evaluator.evaluate(plan)
        met, _ = judge(evaluation.kpis, targets, margin)
        if met or n == rounds:
            return BaselinePlan(plan, req, home, n, met)
        inst = instances(evaluation.kpis, targets)
        short = ~inst.met(margin)
        for j in np.flatnonzero(short):
            t = targets[inst.target[j]]
            g = (
                p.groups.index(t.entity)
                if t.kpi == "occupancy"
                else home_index[p.channels.index(t.entity)]
            )
            k = int(inst.interval[j])
            if k >= 0:
                req[g, k] += 1
            else:
                req[g] += 1
        req = np.minimum(req, p.upper)
        plan = _schedule(decisions, req)
    raise AssertionError("unreachable")  # pragma: no cover


def _schedule(decisions: Decisions, requirement: np.ndarray) -> Plan:
    """The cheapest counts whose coverage reaches ``requirement`` (G, K) in every interval:
    shifts for the shift groups, the requirement itself for the others."""
    sol = cover(decisions, requirement)
    if sol is None:  # the rules cannot reach the requirement: cover what they can
        sol = solve_master(decisions, [], CutPool(), smooth=0.0)
    assert sol is not None
    return decisions.plan_of(sol.x)


def _deferred_need(scenario: Scenario, p: Problem, c: int, aht: float) -> np.ndarray:
    """Agents in every open interval for a deferred channel's promise (fluid model, one
    day as the repeating cycle; 0 without a promise target)."""
    ch = scenario.channels[p.channels[c]]
    if ch.promise_hours is None or ch.targets.within_promise is None:
        return np.zeros(p.n_intervals)
    h = scenario.horizon
    per_day = DAY_S // h.interval_s
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


__all__ = [
    "BaselinePlan",
    "baseline",
    "baseline_until_feasible",
    "erlang_requirement",
    "home_group",
]
