"""The staffing search: analytic warm start, simulation-corrected refinement, local polish,
verification on fresh seeds.

1. **Warm start.** The cheapest plan meeting every target on the analytic model.
2. **Refine** (one simulation per step, all intervals corrected at once). Simulate the plan
   on the search seeds; fit the corrected model to it (:class:`Corrections`: per channel,
   KPI and interval, so carry-over between intervals and routing effects are captured);
   re-optimize on the corrected model — adding agents where targets fail, removing them
   where targets hold with margin, trading groups against each other for cost. Repeat until
   the plan stops changing (or repeats, or the budget is spent).
3. **Polish.** Try the moves the corrected model ranks best (drop an agent, swap an
   expensive agent for a cheaper one, on small problems every cheaper plan within +-2
   agents) by simulation on the same seeds; keep any that stays feasible.
4. **Verify** on fresh seeds with more replications under the feasibility rule; if a target
   fails there, add agents where it fails (corrected model fitted to the verification run)
   and verify again on new seeds, up to ``verify_rounds`` times.

A plan is *search-feasible* when every target holds on the search seeds with the margin
(``mean`` moved ``margin`` 95%-CI half-widths against the plan). Everything the search
simulated is in the history.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from optimizer.analytic import AnalyticModel
from optimizer.evaluators import Evaluation, Evaluator
from optimizer.plan import Plan
from optimizer.problem import Problem
from optimizer.surrogate import Corrections, Surrogate, solve
from optimizer.targets import Target, instances

Progress = Callable[[dict[str, Any]], None]
"""Called with ``{"phase", "evaluations", "elapsed_s", "best_cost", "feasible"}``."""


class Budget:
    """Wall-clock deadline and evaluation count shared by every phase."""

    def __init__(self, time_limit_s: float, max_evaluations: int, evaluator: Evaluator):
        self.started = time.perf_counter()
        self.deadline = self.started + time_limit_s
        self.max_evaluations = max_evaluations
        self.evaluator = evaluator

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def left(self, reserve_s: float = 0.0, reserve_evals: int = 0) -> bool:
        """Time and evaluations remain (keeping ``reserve_s`` seconds and ``reserve_evals``
        evaluations back)."""
        return (
            time.perf_counter() + reserve_s < self.deadline
            and self.evaluator.evaluations + reserve_evals < self.max_evaluations
        )


@dataclass
class Candidate:
    """A simulated plan and how it fared on the search seeds."""

    x: np.ndarray
    evaluation: Evaluation
    feasible: bool
    shortfall: float  # sum of shortfalls, each divided by its goal's scale

    @property
    def cost(self) -> float:
        return self.evaluation.cost


@dataclass
class SearchLog:
    history: list[dict[str, Any]] = field(default_factory=list)
    best: Candidate | None = None  # cheapest search-feasible
    closest: Candidate | None = None  # smallest shortfall (for infeasible problems)

    def consider(self, cand: Candidate) -> None:
        if cand.feasible and (self.best is None or cand.cost < self.best.cost - 1e-9):
            self.best = cand
        if self.closest is None or (cand.shortfall, cand.cost) < (
            self.closest.shortfall,
            self.closest.cost,
        ):
            self.closest = cand


def goals_from(targets: list[Target], evaluation: Evaluation | None, margin: float) -> dict:
    """Each target's goal moved by ``margin`` half-widths of ``evaluation`` (per interval for
    per-interval targets), in KPI units."""
    goals: dict[int, np.ndarray | float] = {}
    for i, t in enumerate(targets):
        sign = 1.0 if t.sense == ">=" else -1.0
        if evaluation is None or margin == 0:
            goals[i] = t.value
        elif t.scope == "overall":
            half = evaluation.overall.get((t.entity, t.kpi), (math.nan, 0.0))[1]
            goals[i] = t.value + sign * margin * (0.0 if not np.isfinite(half) else half)
        else:
            _, half = evaluation.intervals.get(
                (t.entity, t.kpi), (None, np.zeros(evaluation.n_intervals))
            )
            goals[i] = t.value + sign * margin * np.nan_to_num(half, nan=0.0)
    return goals


def judge(evaluation: Evaluation, targets: list[Target], margin: float) -> tuple[bool, float]:
    """(every target met at ``margin``, total normalised shortfall)."""
    inst = instances(evaluation, targets)
    measured = set(inst.target.tolist())
    unmeasured = [i for i, t in enumerate(targets) if i not in measured and t.scope == "overall"]
    short = inst.shortfall(margin)
    scale = np.maximum(np.abs(inst.goal), 1e-3)
    return bool(inst.met(margin).all()) and not unmeasured, float((short / scale).sum())


class StaffingSearch:
    """Steps 1-3 of the module docstring for one problem (step 4: :meth:`verify`)."""

    def __init__(
        self,
        problem: Problem,
        targets: list[Target],
        evaluator: Evaluator,
        *,
        margin: float,
        budget: Budget,
        cost_cap: float | None = None,
        progress: Progress | None = None,
        model: AnalyticModel | None = None,
    ):
        self.p = problem
        self.targets = targets
        self.evaluator = evaluator
        self.margin = margin
        self.budget = budget
        self.cost_cap = cost_cap
        self.progress = progress
        self.model = model or AnalyticModel(problem)
        self.log = SearchLog()
        self.verify_factor = 2.0  # verification replications / search replications
        self._seen: set[bytes] = set()

    # ---- bookkeeping --------------------------------------------------------------------
    def simulate(self, x: np.ndarray, phase: str, plan: Plan | None = None) -> Candidate:
        """Evaluate plan ``x`` (or ``plan``, whose staffing is ``x``) on the search seeds."""
        plan = plan or Plan(self.p.groups, x.copy())
        evaluation = self.evaluator.evaluate(plan)
        feasible, shortfall = judge(evaluation, self.targets, self.margin)
        cand = Candidate(x.copy(), evaluation, feasible, shortfall)
        self._seen.add(x.tobytes())
        self.log.consider(cand)
        self.log.history.append(
            {
                "phase": phase,
                "evaluation": self.evaluator.evaluations,
                "cost": round(cand.cost, 2),
                "feasible": feasible,
                "shortfall": round(shortfall, 6),
                "elapsed_s": round(self.budget.elapsed, 3),
            }
        )
        self.report(phase)
        return cand

    def report(self, phase: str) -> None:
        if self.progress is None:
            return
        best = self.log.best
        self.progress(
            {
                "phase": phase,
                "evaluations": self.evaluator.evaluations,
                "elapsed_s": self.budget.elapsed,
                "best_cost": None if best is None else best.cost,
                "feasible": best is not None,
            }
        )

    def surrogate(self, cand: Candidate | None, model: AnalyticModel | None = None) -> Surrogate:
        """The analytic model corrected to ``cand``'s simulation (plain analytic if None)."""
        model = model or self.model
        if cand is None or cand.evaluation.source == "analytic":
            return Surrogate(self.p, model, self.targets)
        goals = goals_from(self.targets, cand.evaluation, self.margin)
        base = Surrogate(self.p, model, self.targets, goals=goals)
        corr = Corrections.fit(base, cand.x, cand.evaluation, None)
        return Surrogate(self.p, model, self.targets, corr, goals)

    # ---- phases -------------------------------------------------------------------------
    def warm_start(self, start: np.ndarray | None = None) -> np.ndarray:
        s = self.surrogate(None)
        x, _ = solve(
            s,
            self.p.lower if start is None else start,
            self.p.lower,
            self.p.upper,
            budget=self.cost_cap,
            deadline=self.budget.deadline,
        )
        self.log.history.append(
            {
                "phase": "analytic",
                "evaluation": 0,
                "cost": round(self.p.cost(x), 2),
                "feasible": None,
                "shortfall": None,
                "elapsed_s": round(self.budget.elapsed, 3),
            }
        )
        return x

    def refine(self, x: np.ndarray, max_steps: int = 16, patience: int = 5) -> None:
        """Simulate, correct, re-optimize until the plan repeats, or ``patience``
        simulations in a row have not lowered the best feasible cost by 0.1% (step 2)."""
        stale = 0
        for _ in range(max_steps):
            if x.tobytes() in self._seen or not self.budget.left(self.reserve_s(), 1):
                return
            before = self.log.best.cost if self.log.best else math.inf
            cand = self.simulate(x, "refine")
            after = self.log.best.cost if self.log.best else math.inf
            improved = after < before * (1 - 1e-3)
            stale = 0 if improved or self.log.best is None else stale + 1
            if stale >= patience:
                return
            model = self.model.with_repeats(x)
            s = self.surrogate(cand, model)
            # Close to feasible (each shortfall within a CI half-width): only add, so
            # the step cannot undo what holds; otherwise re-optimize the whole plan.
            near = not cand.feasible and cand.shortfall > 0 and self._near(cand)
            nxt, _ = solve(
                s,
                x,
                x if near else self.p.lower,
                self._direct_upper(cand) if near else self.p.upper,
                budget=self.cost_cap,
                deadline=self.budget.deadline,
            )
            if np.array_equal(nxt, x) and not cand.feasible:
                # The corrected model cannot see what fails (e.g. a ratio at its clip):
                # add an agent wherever a target is short, and learn from that.
                nxt = _add_one_everywhere_short(
                    self.p, self.targets, cand.evaluation, x, self.margin
                )
                if self.cost_cap is not None and self.p.cost(nxt) > self.cost_cap + 1e-9:
                    return
            if np.array_equal(nxt, x):
                return
            x = nxt

    def _near(self, cand: Candidate) -> bool:
        """Every shortfall of ``cand`` is within one CI half-width (or 0.5 point / 1 s)."""
        inst = instances(cand.evaluation, self.targets)
        floor = np.where(np.isin(inst.target, self._asa_targets()), 1.0, 0.005)
        return bool((inst.shortfall(self.margin) <= np.maximum(inst.half, floor)).all())

    def _direct_upper(self, cand: Candidate) -> np.ndarray:
        """Upper bounds letting only groups that serve a short channel (or are the short
        group, for occupancy) grow: near the goal, add where the target fails, not where
        the model's routing approximation says it might help indirectly."""
        p = self.p
        inst = instances(cand.evaluation, self.targets)
        allowed = np.zeros(p.n_groups, dtype=bool)
        for j in np.flatnonzero(~inst.met(self.margin)):
            t = self.targets[inst.target[j]]
            if t.kpi == "occupancy":
                allowed[p.groups.index(t.entity)] = True
            else:
                allowed |= p.skilled[:, p.channels.index(t.entity)]
        return np.where(allowed[:, None], p.upper, np.minimum(cand.x, p.upper)).astype(int)

    def _asa_targets(self) -> list[int]:
        return [i for i, t in enumerate(self.targets) if t.kpi == "asa_s"]

    def reserve_s(self) -> float:
        """Seconds kept back for the verification run(s) after the search."""
        ev = self.evaluator
        done = getattr(ev, "evaluations", 0)
        if not done or not getattr(ev, "seconds", 0):
            return 0.0
        return 1.5 * ev.seconds / done * self.verify_factor

    def polish(self, max_per_round: int = 6, max_total: int | None = None) -> None:
        """Simulation-checked local moves from the best plan (step 3): at most
        ``max_per_round`` tries per accepted move and ``max_total`` in all (default: no
        limit on small problems, 10 otherwise)."""
        small = _box_size(self.p) <= SMALL_BOX
        if max_total is None:
            max_total = 200 if small else 10
        tries = 0
        while self.budget.left(self.reserve_s(), 1) and tries < max_total:
            base = self.log.best
            if base is None:
                return
            s = self.surrogate(base, self.model.with_repeats(base.x))
            moves = self._ranked_moves(s, base)
            accepted = False
            limit = min(len(moves) if small else max_per_round, max_total - tries)
            for y in moves[:limit]:
                if not self.budget.left(self.reserve_s(), 1):
                    return
                tries += 1
                cand = self.simulate(y, "polish")
                if cand.feasible and cand.cost < base.cost - 1e-9:
                    accepted = True
                    break
            if not accepted:
                return

    def _ranked_moves(self, s: Surrogate, base: Candidate) -> list[np.ndarray]:
        """Cheaper plans near ``base`` not simulated yet, most promising first.

        Large problems: single moves (drop an agent, swap groups in an interval) that the
        corrected model predicts within one CI half-width of feasible, biggest saving first.
        Small problems (at most ``SMALL_BOX`` plans within the headcount bounds): every
        cheaper plan in the box, by predicted shortfall (in steps of half a half-width),
        then cheapest first — a guided enumeration."""
        p = self.p
        x = base.x
        scale = self._shortfall_scale(base.evaluation)
        small = _box_size(p) <= SMALL_BOX
        out: list[tuple[float, float, np.ndarray]] = []
        for y in _box_plans(p) if small else _neighbours(p, x):
            if y.tobytes() in self._seen:
                continue
            saving = p.cost(x) - p.cost(y)
            if saving <= 1e-9:
                continue
            short = s.shortfalls(y)
            pred = max(float((v / scale[i]).max(initial=0.0)) for i, v in short.items())
            if small and pred <= 4.0:
                out.append((float(np.floor(pred / 0.5)), -saving, y))
            elif pred <= 1.0:
                out.append((float(pred > 0.25), -saving, y))
        out.sort(key=lambda item: (item[0], item[1]))
        return [y for _, _, y in out]

    def _shortfall_scale(self, evaluation: Evaluation) -> dict[int, float]:
        """Per target, a tolerance unit for predicted shortfalls: its CI half-width on the
        search seeds (at least 0.5% of a share or 1 s)."""
        out = {}
        for i, t in enumerate(self.targets):
            floor = 1.0 if t.kpi == "asa_s" else 0.005
            half = evaluation.overall.get((t.entity, t.kpi), (0, 0))[1]
            out[i] = max(float(half) if np.isfinite(half) else 0.0, floor)
        return out


SMALL_BOX = 20_000  # plans within the headcount bounds: at most this many = "small"


def _box_size(p: Problem) -> float:
    return float(np.prod((p.upper - p.lower + 1).astype(float)))


def _box_plans(p: Problem) -> list[np.ndarray]:
    """Every plan within the headcount bounds (small problems only)."""
    ranges = [
        range(int(lo), int(hi) + 1) for lo, hi in zip(p.lower.ravel(), p.upper.ravel(), strict=True)
    ]
    return [np.array(v).reshape(p.n_groups, p.n_intervals) for v in itertools.product(*ranges)]


def _neighbours(p: Problem, x: np.ndarray) -> list[np.ndarray]:
    """Plans one move from ``x``: drop one agent, or swap one agent of a group for one of
    another group in the same interval."""
    out = []
    g_n, k_n = p.n_groups, p.n_intervals
    for g in range(g_n):
        for k in range(k_n):
            if x[g, k] > p.lower[g, k]:
                y = x.copy()
                y[g, k] -= 1
                out.append(y)
                for h in range(g_n):
                    if h != g and x[h, k] < p.upper[h, k]:
                        z = y.copy()
                        z[h, k] += 1
                        out.append(z)
    return out


def verify(
    search: StaffingSearch,
    evaluator,
    *,
    candidate: Candidate,
    replications: int,
    seeds: list[int],
    rule_margin: float,
    plan_for: Callable[[np.ndarray], Plan] | None = None,
) -> tuple[Candidate, Evaluation, bool, list[dict[str, Any]]]:
    """Step 4: check ``candidate`` on fresh seeds; repair and re-check on failure.

    Returns ``(final candidate, its verification evaluation, passed, rounds)``. Repairs only
    add agents (where the verification run shows a shortfall) so what held still holds;
    ``plan_for(requirement)`` turns a repaired requirement into a plan (the shift program
    when the plan is made of shifts)."""
    rounds = []
    p = search.p
    plan_for = plan_for or (lambda x: Plan(p.groups, x))
    current = candidate
    evaluation = None
    for round_no, seed in enumerate(seeds):
        evaluation = evaluator.evaluate(
            current.evaluation.plan, replications=replications, seed=seed
        )
        passed, shortfall = judge(evaluation, search.targets, rule_margin)
        rounds.append(
            {
                "round": round_no + 1,
                "seed": seed,
                "replications": replications,
                "cost": round(evaluation.cost, 2),
                "passed": passed,
                "shortfall": round(shortfall, 6),
            }
        )
        search.log.history.append(
            {
                "phase": "verify",
                "evaluation": evaluator.evaluations,
                "cost": round(evaluation.cost, 2),
                "feasible": passed,
                "shortfall": round(shortfall, 6),
                "elapsed_s": round(search.budget.elapsed, 3),
            }
        )
        search.report("verify")
        if passed:
            return current, evaluation, True, rounds
        if round_no == len(seeds) - 1:
            break
        # Repair: fit the corrected model to the verification run, add agents only.
        x_now = np.rint(current.x).astype(int)
        fit = Candidate(current.x, evaluation, False, shortfall)
        saved_margin = search.margin
        search.margin = max(rule_margin, saved_margin)
        s = search.surrogate(fit, search.model.with_repeats(x_now))
        search.margin = saved_margin
        x, _ = solve(s, x_now, x_now, p.upper, remove=False)
        if np.array_equal(x, x_now):
            x = _add_one_everywhere_short(p, search.targets, evaluation, x_now)
        plan = plan_for(x)
        current = search.simulate(np.asarray(plan.staffing), "repair", plan)
    return current, evaluation, False, rounds


def _add_one_everywhere_short(
    p: Problem, targets: list[Target], evaluation: Evaluation, x: np.ndarray, margin: float = 0.0
) -> np.ndarray:
    """Last-resort repair: one more agent of the cheapest skilled group in every interval
    where a failed target's channel is short (all intervals for a horizon target)."""
    y = x.copy()
    inst = instances(evaluation, targets)
    failed = ~inst.met(margin)
    for j in np.flatnonzero(failed):
        t = targets[inst.target[j]]
        if t.kpi == "occupancy":
            g_list = [p.groups.index(t.entity)]
        else:
            c = p.channels.index(t.entity)
            g_list = [g for g in range(p.n_groups) if p.skilled[g, c]]
        g = min(g_list, key=lambda g: p.unit_cost[g])
        ks = range(p.n_intervals) if inst.interval[j] < 0 else [int(inst.interval[j])]
        for k in ks:
            y[g, k] = min(y[g, k] + 1, p.upper[g, k])
    return y


__all__ = ["Budget", "Candidate", "Progress", "SearchLog", "StaffingSearch", "judge", "verify"]
