"""The search: integer program on the corrected model, simulation for values, repeated.

One round:

1. **Plan on the model** (:meth:`Search.plan_on_model`): the master integer program
   (:mod:`optimizer.master`) finds the cheapest counts whose coverage meets every target on
   the corrected model; cuts are added where its answer still misses on the model (Kelley's
   loop) until it does not.
2. **Simulate** that plan on the search seeds (common random numbers: the same customers
   for every plan) and judge it against every target with the search margin.
3. **Correct** the model to that simulation (:func:`optimizer.corrected.fit_corrections`) and
   go back to 1, until the plan repeats (the model, pinned to the simulation, finds nothing
   cheaper) or the evaluation budget is spent.

Then :meth:`Search.polish` tries moves the model ranks best (one agent fewer on a shift or
in an interval; a shift started a step earlier or later; an agent of a dearer group swapped
for a cheaper one; one agent's pattern traded for one or two cheaper ones within its hours;
one agent fewer on a weekly tour), each simulated, keeping what the simulation accepts —
and when the model approves too few, the ones it doubts, nearest first.

The budget is a number of simulations, so the same scenario and seed give the same plan on
any machine; a wall-clock limit may cut the search short, and the result then says so.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import sparse

from optimizer.analytic import AnalyticModel
from optimizer.corrected import CorrectedModel, fit_corrections
from optimizer.evaluators import Evaluation
from optimizer.master import (
    CutPool,
    MasterSolution,
    add_cuts,
    build_constraints,
    constraint_values,
    deferred_need,
    lines_bind,
    scale_of,
    search_goals,
    solve_master,
)
from optimizer.patterns import Decisions
from simulator.targets import KpiSummary, Target, instances

Progress = Callable[[dict[str, Any]], None]
"""Called after every evaluation with ``phase``, ``evaluations``, ``elapsed_s``,
``best_cost`` (None until a plan meets every target) and ``feasible``."""

INNER_ROUNDS = 8  # Kelley rounds per model before taking the last answer
TRUST_START, TRUST_MIN, TRUST_MAX = 4.0, 1.0, 12.0  # agents per group and interval
POLISH_TRIES = 4  # simulated moves per polish round before giving up
REPAIR_UP = 2.0  # agents per group and interval a repair may add
EXCHANGE_PARTNERS = 40  # cheaper patterns inside a pattern's hours, at most, for pair moves


@dataclass
class Candidate:
    """A plan evaluated on the search seeds: counts ``x``, coverage ``y`` (G, K), its
    evaluation, whether it meets every target at the search margin, and by how much it
    misses otherwise (normalised shortfall, 0 when feasible)."""

    x: np.ndarray
    y: np.ndarray
    evaluation: Evaluation
    feasible: bool
    shortfall: float

    @property
    def cost(self) -> float:
        return self.evaluation.cost


def judge(kpis: KpiSummary, targets: list[Target], margin: float) -> tuple[bool, float]:
    """(every target instance met at ``margin``, total normalised shortfall): shares count
    as they are, seconds relative to the goal."""
    inst = instances(kpis, targets)
    short = inst.shortfall(margin)
    scale = np.array([1.0 if targets[t].kpi != "asa_s" else targets[t].value for t in inst.target])
    met = bool(inst.met(margin).all())
    return met, float((short / np.maximum(scale, 1e-9)).sum()) if len(short) else 0.0


class Budget:
    """Simulations left, and an optional wall-clock deadline that may cut the search."""

    def __init__(self, max_evaluations: int, time_limit_s: float | None):
        self.max_evaluations = max_evaluations
        self.started = time.perf_counter()
        self.deadline = None if time_limit_s is None else self.started + time_limit_s
        self.used = 0
        self.cut = False  # the deadline stopped work that the budget allowed

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def allows(self, n: int = 1) -> bool:
        if self.used + n > self.max_evaluations:
            return False
        if self.deadline is not None and time.perf_counter() > self.deadline:
            self.cut = True
            return False
        return True


@dataclass
class SearchLog:
    """Every candidate simulated, the best feasible one, and the closest infeasible one."""

    history: list[dict[str, Any]] = field(default_factory=list)
    best: Candidate | None = None
    closest: Candidate | None = None

    def consider(self, cand: Candidate) -> None:
        if cand.feasible:
            if self.best is None or cand.cost < self.best.cost - 1e-9:
                self.best = cand
        elif self.closest is None or cand.shortfall < self.closest.shortfall - 1e-12:
            self.closest = cand


class Search:
    """State of one search (see module docstring)."""

    def __init__(
        self,
        decisions: Decisions,
        targets: list[Target],
        evaluator: Any,
        *,
        margin: float,
        budget: Budget,
        cost_cap: float | None = None,
        progress: Progress | None = None,
    ):
        self.d = decisions
        self.p = decisions.problem
        self.targets = targets
        self.evaluator = evaluator
        self.margin = margin
        self.budget = budget
        self.cost_cap = cost_cap
        self.progress = progress
        self.log = SearchLog()
        self.analytic = AnalyticModel(self.p)
        self.seen: dict[bytes, Candidate] = {}
        self.model_rounds = 0
        self.stuck = False  # refine stopped on a plan short of the margin (see refine)
        self.master_limited = False  # a master program stopped at its node/time limit
        self._generous: np.ndarray | None = None
        # groups skilled for a channel whose busy-signal target is not monotone in agents
        lines = [
            self.p.channels.index(t.entity)
            for t in targets
            if t.kpi == "blocked_rate" and lines_bind(self.p, self.p.channels.index(t.entity))
        ]
        self.lines_groups = (
            self.p.skilled[:, lines].any(axis=1) if lines else np.zeros(self.p.n_groups, bool)
        )

    # ---- evaluation ---------------------------------------------------------------------
    def evaluate(self, x: np.ndarray, phase: str) -> Candidate:
        """Simulate counts ``x`` on the search seeds (one evaluation of the budget)."""
        x = np.rint(np.asarray(x, dtype=float))
        key = plan_key(x)
        if key in self.seen:
            return self.seen[key]
        plan = self.d.plan_of(x)
        evaluation = self.evaluator.evaluate(plan)
        self.budget.used += 1
        feasible, shortfall = judge(evaluation.kpis, self.targets, self.margin)
        cand = Candidate(x, self.d.coverage_of(x), evaluation, feasible, shortfall)
        self.seen[key] = cand
        self.log.consider(cand)
        self.log.history.append(
            {
                "phase": phase,
                "evaluation": self.budget.used,
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
                "evaluations": self.budget.used,
                "max_evaluations": self.budget.max_evaluations,
                "elapsed_s": self.budget.elapsed,
                "best_cost": None if best is None else best.cost,
                "feasible": best is not None,
            }
        )

    # ---- the model ------------------------------------------------------------------------
    def model_at(self, cand: Candidate | None, y: np.ndarray | None = None) -> CorrectedModel:
        """The corrected model pinned to ``cand``'s simulation (plain analytic if None),
        with the repeat contacts the plan's first-contact resolution causes."""
        y = cand.y if cand is not None else y
        base = self.analytic if y is None else self.analytic.anchored(y)
        if cand is None or cand.evaluation.source != "simulation":
            return CorrectedModel(self.p, base, anchor=y)
        return fit_corrections(self.p, base, cand.y, cand.evaluation.kpis)

    def plan_on_model(
        self,
        model: CorrectedModel,
        kpis: KpiSummary | None,
        anchor: np.ndarray,
        *,
        floor: np.ndarray | None = None,
        box: tuple[np.ndarray, np.ndarray] | None = None,
        margin: float | None = None,
    ) -> MasterSolution | None:
        """The cheapest plan meeting every target on ``model`` (Kelley's loop, see module
        docstring); goals moved by ``margin`` half-widths of ``kpis``. ``floor`` (G, K):
        agents on duty at least this; ``box``: agents on duty within these bounds. None when
        no plan within the rules (and box) meets them."""
        margin = self.margin if margin is None else margin
        goals = search_goals(self.targets, kpis, margin, model)
        needs = {
            self.p.channels.index(t.entity): deferred_need(
                model, self.p.channels.index(t.entity), float(goals[i]), anchor
            )
            for i, t in enumerate(self.targets)
            if t.kpi == "within_promise"
        }
        constraints = build_constraints(self.d, model, self.targets, goals, needs)
        scale = scale_of(constraints, model)
        pool = CutPool()
        far = self.generous()
        add_cuts(pool, constraints, model, anchor, far)

        def short_of(sol: MasterSolution) -> np.ndarray:
            values = constraint_values(constraints, model, sol.y)
            return np.flatnonzero(values < -scale)

        def cut(sol: MasterSolution, short: np.ndarray) -> bool:
            before = pool.revisions
            add_cuts(pool, constraints, model, sol.y, far, steps=(1,), only=set(short.tolist()))
            return pool.revisions > before

        best: MasterSolution | None = None
        for _ in range(INNER_ROUNDS):
            # Kelley's loop on the linear relaxation (fast) until the model agrees ...
            relaxed = None
            for _ in range(INNER_ROUNDS):
                relaxed = solve_master(
                    self.d,
                    constraints,
                    pool,
                    budget=self.cost_cap,
                    floor=floor,
                    box=box,
                    integer=False,
                )
                self.model_rounds += 1
                if relaxed is None:
                    return best
                short = short_of(relaxed)
                if not len(short) or not cut(relaxed, short):
                    break
            # ... then whole agents around the relaxation's, checked on the model again:
            # each count rounded down or up from the relaxation (a small program). Nothing
            # wider: a program free above the floors (or only one count above the
            # ceilings) takes HiGHS minutes on weekly tours, and stopping it by a clock
            # would make the plan depend on the machine; when no rounding works, the step
            # finds nothing new and the caller narrows its region. The box stays with the
            # relaxation: on the coverage of whole shift counts it is an exact-cover
            # problem, and the rounding keeps the plan next to the relaxation's anyway.
            whole = solve_master(
                self.d,
                constraints,
                pool,
                budget=self.cost_cap,
                floor=floor,
                x_lower=np.floor(relaxed.x + 1e-6),
                x_upper=np.ceil(relaxed.x - 1e-6),
            )
            self.model_rounds += 1
            if whole is None:
                return best
            self.master_limited |= whole.hit_limit
            best = whole
            short = short_of(whole)
            if not len(short) or not cut(whole, short):
                break
        return best

    # ---- phases -------------------------------------------------------------------------
    def generous(self) -> np.ndarray:
        if self._generous is None:
            self._generous = self._generous_plan()
        return self._generous

    def _generous_plan(self) -> np.ndarray:
        """A well-staffed plan (G, K) to take the first tangents at: each group staffed as if
        it alone carried 130% of every channel it is skilled for, plus 3. Tangents of the
        concave side of the Erlang curves are valid everywhere; those of an understaffed
        plan (the convex side) are not."""
        p = self.p
        load = (p.skilled * p.factor) @ (p.rate_per_hour * p.aht_grid_s / 3600)  # (G, K)
        y = np.ceil(1.3 * load / (1 - p.shrinkage)[:, None]) + 3
        return np.clip(y, self.d.cover_lower, self.d.cover_upper)

    def warm_start(self) -> np.ndarray | None:
        """The plan the uncorrected model finds, with its own repeat contacts (twice: the
        first plan's resolution sets the repeat load the second one meets)."""
        y = self.generous()
        x = None
        for _ in range(2):
            model = self.model_at(None, y)
            sol = self.plan_on_model(model, None, y, margin=0.0)
            if sol is None:
                return x
            x, y = sol.x, sol.y
        return x

    def refine(self, x: np.ndarray, phase: str = "search") -> bool:
        """Trust-region loop (see module docstring): simulate, correct the model at the
        best plan so far (the *centre*) and step from it. A step that comes out cheaper than a
        feasible centre but narrowly short is repaired (agents added where it is short) if
        that still costs less than the centre. While the centre misses a target, the step
        re-plans within a box of up to ``radius`` more agents and at most one fewer per group
        and interval; once such a step fails to improve, at most ``REPAIR_UP`` more (a
        repair: what holds keeps holding), and when the model cannot see what fails, it
        plans for goals beyond the margin (:meth:`_push`). Once the centre meets every
        target, the step re-plans within ``radius``
        agents per group and interval of it; a better plan becomes the centre and widens the
        region, a worse one narrows it. Returns True when it converged (nothing new near a
        feasible centre within the smallest region), False when the budget ran out. ``stuck``
        says why it stopped short: True when the best plan still misses a target at the
        margin and the model has nothing left to add (the plan may still pass on fresh
        seeds, which the margin guards)."""
        radius = TRUST_START
        centre: Candidate | None = None
        trial: Candidate | None = None  # cheaper than a feasible centre, narrowly short
        repairing = False
        while self.budget.allows():
            cand = self.evaluate(x, phase)
            trial = None
            if centre is None or _better(cand, centre):
                if centre is not None and centre.feasible:
                    radius = min(radius * 1.5, TRUST_MAX)
                if cand.feasible:
                    repairing = False
                centre = cand
            elif centre.feasible and cand.cost < centre.cost - 1e-9:
                trial = cand  # repair it before giving up the step
            elif centre.feasible:
                radius = max(radius / 2, TRUST_MIN)
            else:
                repairing = True
            nxt = None
            if trial is not None:
                nxt = self._repair(trial, below=centre.cost)
                if nxt is None:
                    radius = max(radius / 2, TRUST_MIN)
            if nxt is None:
                nxt = self._step(centre, radius, repairing)
            while nxt is None:
                if not centre.feasible and self.lines_groups.any() and radius < TRUST_MAX:
                    # a busy-signal target not monotone in agents may need a wider swap
                    # (claims handlers for generalists at the peak) than the region, or a
                    # repair's few added agents, allow
                    radius = min(radius * 2, TRUST_MAX)
                    repairing = False
                    nxt = self._step(centre, radius, repairing)
                    continue
                if not centre.feasible:
                    nxt = self._push(centre)
                    if nxt is None:
                        self.stuck = True
                        return True  # short, and nothing left to add within the bounds
                    break
                if radius <= TRUST_MIN:
                    return True  # nothing new near the centre: converged
                radius = max(radius / 2, TRUST_MIN)
                nxt = self._step(centre, radius, repairing)
            x = nxt
        return False

    def _repair(self, cand: Candidate, below: float) -> np.ndarray | None:
        """Agents added to ``cand`` where its simulation is short, if the model says that
        costs less than ``below``; None otherwise. Adding only comes first (up to
        ``REPAIR_UP`` per group and interval, none taken away): what holds on the search
        seeds keeps holding, so repairs converge. Letting the program also take one agent
        away anywhere made it save elsewhere what it added where the plan was short — on a
        week of 15-minute intervals each repaired plan then missed a target in some *other*
        interval (14 of 14 per-interval plans short by a hair). That wider box is the
        fallback, for the swaps that adding alone cannot express (one group for another)."""
        model = self.model_at(cand)
        for down in (0.0, 1.0):
            box = (cand.y - down, cand.y + REPAIR_UP)
            sol = self.plan_on_model(model, cand.evaluation.kpis, cand.y, box=box)
            if sol is None or sol.cost >= below - 1e-9:
                continue
            nxt = np.rint(sol.x)
            if plan_key(nxt) not in self.seen:
                return nxt
        return None

    def _step(self, centre: Candidate, radius: float, repairing: bool) -> np.ndarray | None:
        """The next plan to simulate from ``centre`` (see :meth:`refine`), or None when the
        model finds none not simulated yet. Every step stays in a box around the centre
        (the corrections are local): ``radius`` agents per group and interval either way
        from a feasible centre; from one that misses a target, up to ``radius`` more but at
        most one fewer (one fewer lets a group be swapped for a better one, e.g. for
        first-contact resolution) — and with ``repairing``, at most ``REPAIR_UP`` more.
        Groups that answer a channel whose busy signals may rise with staffing
        (:attr:`lines_groups`) may also go ``radius`` fewer: fewer agents at a peak where
        the lines bind can be what meets the busy-signal target (callers who wait may leave
        for a callback and free their line), and one fewer per step does not get there."""
        model = self.model_at(centre)
        kpis = centre.evaluation.kpis
        up = min(radius, REPAIR_UP) if repairing else radius
        down = np.where(self.lines_groups, radius, 1.0)[:, None]
        if centre.feasible:
            down = np.full_like(down, radius)
        box = (centre.y - down, centre.y + up)
        sol = self.plan_on_model(model, kpis, centre.y, box=box)
        if sol is None:
            return None
        nxt = np.rint(sol.x)
        return None if plan_key(nxt) in self.seen else nxt

    def _push(self, centre: Candidate) -> np.ndarray | None:
        """Last resort when the model pinned at a centre that misses a target finds no new
        plan near it (it does not see what fails): plan for goals one, then two, more CI
        half-widths beyond the search margin, the relaxation only adding agents (up to
        twice ``REPAIR_UP`` per group and interval; groups answering a channel whose busy
        signals may rise with staffing may also lose as many). None when nothing new comes
        of it."""
        model = self.model_at(centre)
        down = np.where(self.lines_groups, 2 * REPAIR_UP, 0.0)[:, None]  # see _step
        box = (centre.y - down, centre.y + 2 * REPAIR_UP)
        for extra in (1.0, 2.0):
            sol = self.plan_on_model(
                model, centre.evaluation.kpis, centre.y, box=box, margin=self.margin + extra
            )
            if sol is None:
                continue
            nxt = np.rint(sol.x)
            if plan_key(nxt) not in self.seen:
                return nxt
        return None

    def polish(self, max_tries: int | None = None, phase: str = "polish") -> None:
        """Single moves from the best plan, ranked by the model, each simulated; a move is
        kept when the simulation meets every target at a lower cost (see module docstring).
        Moves the model expects to hold at the search margin come first, biggest saving
        first; then those it expects to hold on the mean (the model is approximate, the
        simulation decides)."""
        tries = 0
        while self.budget.allows() and (max_tries is None or tries < max_tries):
            base = self.log.best
            if base is None:
                return
            accepted = False
            for x in self._moves(base)[:POLISH_TRIES]:
                if not self.budget.allows() or (max_tries is not None and tries >= max_tries):
                    return
                tries += 1
                cand = self.evaluate(x, phase)
                if cand.feasible and cand.cost < base.cost - 1e-9:
                    accepted = True
                    break
            if not accepted:
                return

    def _moves(self, base: Candidate) -> list[np.ndarray]:
        """Cheaper neighbours of ``base`` not simulated yet and within the rules: first those
        the model pinned at ``base`` expects to meet every target at the search margin,
        biggest saving first, then those it expects to meet them on the mean, then the
        doubtful ones, nearest first. The doubtful ones are only reached when the round's
        first ``POLISH_TRIES`` hold fewer model-approved moves: on the week the model
        approved no single move or exchange from the plan the search stopped at, and the
        polish ended with most of the budget unspent — the model is approximate, the
        simulation decides."""
        d, p = self.d, self.p
        model = self.model_at(base)
        kpis = base.evaluation.kpis
        checks = []
        for margin in (self.margin, 0.0):
            goals = search_goals(self.targets, kpis, margin, model)
            needs = {
                p.channels.index(t.entity): deferred_need(
                    model, p.channels.index(t.entity), float(goals[i]), base.y
                )
                for i, t in enumerate(self.targets)
                if t.kpi == "within_promise"
            }
            constraints = build_constraints(d, model, self.targets, goals, needs)
            checks.append((constraints, scale_of(constraints, model)))
        ranked: list[tuple[int, float, np.ndarray]] = []
        listed: set[bytes] = set()
        for x in _neighbours(d, base.x) + _exchanges(d, base.x) + _tour_moves(d, base.x):
            key = plan_key(x)
            if key in self.seen or key in listed or not _within_rules(d, x):
                continue
            listed.add(key)
            cost = d.cost_of(x)
            saving = d.cost_of(base.x) - cost
            if saving <= 1e-9 or (self.cost_cap is not None and cost > self.cost_cap + 1e-9):
                continue
            y = d.coverage_of(x)
            for level, (constraints, scale) in enumerate(checks):
                values = constraint_values(constraints, model, y)
                if (values >= -scale).all():
                    ranked.append((level, -saving, x))
                    break
            else:  # doubtful: ranked by how far the model puts it short on the mean
                ranked.append((len(checks), float((np.maximum(-values, 0) / scale).sum()), x))
        ranked.sort(key=lambda item: (item[0], item[1]))
        return [x for _, _, x in ranked]


def plan_key(x: np.ndarray) -> bytes:
    """The identity of counts ``x`` (rounded to whole agents) in the sets of plans already
    simulated or tried."""
    return np.rint(np.asarray(x, dtype=float)).astype(np.int64).tobytes()


def _better(a: Candidate, b: Candidate) -> bool:
    """Feasible beats infeasible; then the cheaper, or the one missing by less."""
    if a.feasible != b.feasible:
        return a.feasible
    if a.feasible:
        return a.cost < b.cost - 1e-9
    return a.shortfall < b.shortfall - 1e-12


def _neighbours(d: Decisions, x: np.ndarray) -> list[np.ndarray]:
    """One agent fewer on a variable; a shift moved to the next or previous start of its
    type (same day, breaks); an agent moved to a cheaper group on the same pattern."""
    out = []
    index = {
        (v.kind, v.group, v.type_name, v.day, v.interval, v.start_s, v.breaks): j
        for j, v in enumerate(d.variables)
    }
    starts: dict[str, list[int]] = {}
    for t in d.types:
        starts[t.name] = t.start_seconds()
    for j in np.flatnonzero(x > d.lower + 1e-9):
        v = d.variables[j]
        y = x.copy()
        y[j] -= 1
        out.append(y)
        if v.kind == "shift":
            s = starts.get(v.type_name, [])
            pos = s.index(v.start_s) if v.start_s in s else -1
            for nb in (pos - 1, pos + 1):
                if 0 <= nb < len(s) and pos >= 0:
                    key = ("shift", v.group, v.type_name, v.day, -1, s[nb], v.breaks)
                    if key in index:
                        z = y.copy()
                        z[index[key]] += 1
                        out.append(z)
        for g in range(d.problem.n_groups):
            if g == v.group or d.problem.unit_cost[g] >= d.problem.unit_cost[v.group]:
                continue
            key = (v.kind, g, v.type_name, v.day, v.interval, v.start_s, v.breaks)
            if key in index:
                z = y.copy()
                z[index[key]] += 1
                out.append(z)
    return out


def _exchanges(d: Decisions, x: np.ndarray) -> list[np.ndarray]:
    """Compound moves the single moves cannot reach: one agent taken off a pattern and put
    on one or two patterns (of any group, the same one twice allowed) whose hours lie
    within its hours and which cost less together — a long shift split into shorter ones
    where the load is, a dear group's agent replaced by cheaper agents for part of the day.
    On the small instances of ``benchmarks/optimize.py`` the optimum of the two-group case
    is such a move from the plan the single moves stop at (one 4-hour specialist for two
    2-hour generalists). Pairs are formed only while a pattern has at most
    ``EXCHANGE_PARTNERS`` cheaper patterns inside its hours (weekly tours have hundreds:
    single exchanges only there)."""
    k_n = d.problem.n_intervals
    cov = d.coverage.tocoo()
    on = cov.data != 0
    # hours[j, k] = 1 where variable j puts someone on duty in interval k (any group)
    hours = sparse.csr_matrix(
        (np.ones(int(on.sum())), (cov.col[on], cov.row[on] % k_n)), shape=(d.n, k_n)
    )
    hours.sum_duplicates()
    hours.data[:] = 1.0  # several groups in one interval: the interval counts once
    length = np.asarray(hours.sum(axis=1)).ravel()
    room = (x < d.upper - 1e-9) & (length > 0)  # tours cover nothing by themselves
    out: list[np.ndarray] = []
    for j in np.flatnonzero((x > d.lower + 1e-9) & (length > 0)):
        overlap = hours @ hours.getrow(j).T.toarray().ravel()
        inside = (overlap >= length - 1e-9) & room
        inside[j] = False
        partners = np.flatnonzero(inside & (d.cost < d.cost[j] - 1e-9))
        base = x.copy()
        base[j] -= 1
        for k in partners:
            z = base.copy()
            z[k] += 1
            out.append(z)
        if len(partners) > EXCHANGE_PARTNERS:
            continue
        for a, k in enumerate(partners):
            for m in partners[a:]:
                if d.cost[k] + d.cost[m] < d.cost[j] - 1e-9:
                    z = base.copy()
                    z[k] += 1
                    z[m] += 1
                    out.append(z)
    return out


def _tour_moves(d: Decisions, x: np.ndarray) -> list[np.ndarray]:
    """One agent fewer on a weekly tour, which takes one shift off each day the tour works
    (the linking rows make every single move break the week: on ``week.yaml``'s 5-on/2-off
    tours the polish had no move at all). Which shift goes each day: the earliest start,
    the latest, or — for a start worked on every one of those days — that one, so the
    candidates stay few and the model ranks them."""
    days_shifts: dict[tuple[int, int], list[int]] = {}
    for j in np.flatnonzero(x > d.lower + 1e-9):
        v = d.variables[j]
        if v.kind == "shift":
            days_shifts.setdefault((v.group, v.day), []).append(j)
    out: list[np.ndarray] = []
    for t in np.flatnonzero(x > d.lower + 1e-9):
        tour = d.variables[t]
        if tour.kind != "tour":
            continue
        per_day = [
            sorted(days_shifts.get((tour.group, day), []), key=lambda j: d.variables[j].start_s)
            for day in tour.days
        ]
        if not all(per_day):
            continue
        common = set.intersection(*({d.variables[j].start_s for j in js} for js in per_day))
        picks = [[js[0] for js in per_day], [js[-1] for js in per_day]]
        for start in sorted(common):
            picks.append([next(j for j in js if d.variables[j].start_s == start) for js in per_day])
        for pick in picks:
            z = x.copy()
            z[t] -= 1
            z[pick] -= 1
            out.append(z)
    return out


def _within_rules(d: Decisions, x: np.ndarray) -> bool:
    """Counts within their bounds, the shift rules' rows and the headcount bounds."""
    if (x < d.lower - 1e-9).any() or (x > d.upper + 1e-9).any():
        return False
    if d.rows.matrix.shape[0]:
        r = d.rows.matrix @ x
        if (r < d.rows.lb - 1e-9).any() or (r > d.rows.ub + 1e-9).any():
            return False
    y = d.coverage_of(x)
    return bool((y >= d.cover_lower - 1e-9).all() and (y <= d.cover_upper + 1e-9).all())


def normalised(value: float) -> float:
    return 0.0 if math.isnan(value) else value


__all__ = ["Budget", "Candidate", "Progress", "Search", "SearchLog", "judge", "plan_key"]
