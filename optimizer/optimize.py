"""``optimize(scenario) -> OptimizationResult``: the cheapest staffing (and shift) plan that
meets every target, with the rule it was judged by.

Order of work (details in :mod:`optimizer.search` and :mod:`optimizer.shifts`):

1. analytic warm start; 2. simulation-corrected refinement on the search seeds (common
random numbers); 3. local polish by simulation; 4. when shift types exist, the shift
integer program on the per-interval requirements, the shift plan simulated and corrected;
5. verification on fresh seeds (repairs and re-verification when a target fails there).

Ctrl-C at any point returns the best plan found so far (``status="interrupted"``).
"""

from __future__ import annotations

import math
import time
from concurrent.futures import Executor, ProcessPoolExecutor
from typing import Any

import numpy as np
import pandas as pd

from optimizer.evaluators import AnalyticEvaluator, Evaluation, SimulationEvaluator
from optimizer.options import OptimizeOptions
from optimizer.plan import Plan
from optimizer.problem import Problem
from optimizer.result import OptimizationResult
from optimizer.search import (
    Budget,
    Candidate,
    Progress,
    StaffingSearch,
    _add_one_everywhere_short,
    verify,
)
from optimizer.shifts import ShiftSolution, default_shift_types, solve_shifts, with_counts
from optimizer.surrogate import solve
from optimizer.targets import Target, check_table, scenario_targets
from simulator.scenario import Scenario


def optimize(
    scenario: Scenario,
    options: OptimizeOptions | None = None,
    *,
    progress: Progress | None = None,
    executor: Executor | None = None,
    **overrides: Any,
) -> OptimizationResult:
    """Find the cheapest plan meeting the scenario's targets (see module docstring).

    ``options``: :class:`OptimizeOptions`; keyword ``overrides`` replace single fields
    (``optimize(s, time_limit_seconds=30, seed=7)``). ``executor``: a
    ``concurrent.futures.Executor`` for the replications (else ``options.workers``
    processes, made once for the whole run). ``progress(info)`` is called after every
    evaluation with the phase, evaluations, elapsed seconds and the best cost so far.

    Never raises for targets that cannot be met: the result is then ``feasible=False`` and
    ``targets``/``unmet`` say which targets fail in which intervals, and by how much. Bad
    input (unknown group in the options, bad shift types) raises ``InputError``.
    """
    options = options or OptimizeOptions()
    if overrides:
        options = OptimizeOptions.model_validate({**options.model_dump(), **overrides})
    started = time.perf_counter()
    problem = Problem.from_scenario(scenario)
    targets = scenario_targets(scenario, options)
    types = (
        options.shift_types if options.shift_types is not None else default_shift_types(scenario)
    )
    use_shifts = bool(types) if options.shifts is None else options.shifts
    if options.shifts and not types:
        from simulator.errors import InputError

        raise InputError("shifts: true needs shift_types (the scenario has no shifts to copy)")
    seed = options.seed if options.seed is not None else scenario.run.seed
    reps = options.replications or scenario.run.replications
    reps = max(reps, 2)
    verify_reps = options.verify_replications or 2 * reps
    rule_margin = 0.0 if options.rule == "mean" else 1.0
    margin = max(options.margin, rule_margin)
    own_pool = None
    if options.evaluator == "simulation" and executor is None and options.workers != 1:
        own_pool = ProcessPoolExecutor(max_workers=options.workers or None)
        executor = own_pool
    if options.evaluator == "analytic":
        evaluator: Any = AnalyticEvaluator(problem)
        margin = rule_margin = 0.0
    else:
        evaluator = SimulationEvaluator(problem, reps, seed, workers=1, executor=executor)
    budget = Budget(options.time_limit_seconds, options.max_evaluations, evaluator)
    search = StaffingSearch(
        problem,
        targets,
        evaluator,
        margin=margin,
        budget=budget,
        cost_cap=options.budget,
        progress=progress,
    )
    search.verify_factor = verify_reps / reps
    verify_seeds = fresh_seeds(seed, options.verify_rounds)
    final: Candidate | None = None
    verification: Evaluation | None = None
    passed = False
    interrupted = False
    rounds: list[dict[str, Any]] = []
    try:
        if not targets:
            x = problem.lower.copy()
            final = search.simulate(x, "no targets")
        else:
            x0 = search.warm_start()
            search.refine(x0)
            search.polish()
            final = search.log.best or search.log.closest
            if final is None:  # out of time before any simulation: judge the warm start
                final = search.simulate(x0, "refine")
            if final is not None and use_shifts:
                final = _shift_phase(search, final, types, options)
        if final is not None and options.evaluator == "simulation":
            plan_for = None
            if final.evaluation.plan.shifts:
                make = _shift_planner(problem, types)[0]

                def plan_for(x: np.ndarray) -> Plan:
                    return make(x)[0]

            final, verification, passed, rounds = verify(
                search,
                evaluator,
                candidate=final,
                replications=verify_reps,
                seeds=verify_seeds,
                rule_margin=rule_margin,
                plan_for=plan_for,
            )
        elif final is not None:
            verification, passed = final.evaluation, final.feasible
    except KeyboardInterrupt:
        interrupted = True
    finally:
        if own_pool is not None:
            own_pool.shutdown(cancel_futures=True)
    if final is None or interrupted:
        final = search.log.best or search.log.closest or final
    if final is None:  # interrupted before the first simulation: the analytic plan
        x = problem.lower.copy()
        plan = Plan(problem.groups, x)
        final = Candidate(x, AnalyticEvaluator(problem).evaluate(plan), False, math.inf)
    if verification is None or verification.plan.key != final.evaluation.plan.key:
        verification = final.evaluation
        passed = final.feasible and options.evaluator == "analytic"
    return _result(
        scenario,
        problem,
        targets,
        options,
        search,
        final,
        verification,
        passed,
        interrupted,
        rounds,
        started,
        {
            "seed": seed,
            "replications": reps,
            "verify_replications": verify_reps,
            "verify_seeds": verify_seeds,
            "margin": margin,
            "rule": options.rule,
            "evaluator": options.evaluator,
            "time_limit_s": options.time_limit_seconds,
            "shift_program": bool(use_shifts),
            "budget": options.budget,
        },
    )


def fresh_seeds(seed: int, count: int) -> list[int]:
    """Verification seeds: derived from the search seed, never equal to it."""
    state = np.random.SeedSequence([seed, 0x5EED]).generate_state(count + 1)
    return [int(s) for s in state if int(s) != seed][:count]


def _shift_planner(problem: Problem, types):
    """requirement (G, K) -> (shift plan, program solution) for the groups that have shift
    types; the other groups keep per-interval staffing."""
    groups_with_types = {g for t in types for g in (t.groups or problem.groups)}
    mask = np.array([g in groups_with_types for g in problem.groups])[:, None]

    def plan_of(sol: ShiftSolution, requirement: np.ndarray) -> Plan:
        staffing = np.where(mask, sol.coverage, requirement)
        shifts = {g: s for g, s in sol.shifts.items() if g in groups_with_types}
        return Plan(problem.groups, staffing, shifts)

    def plan_for(requirement: np.ndarray) -> tuple[Plan, ShiftSolution]:
        sol = solve_shifts(problem, np.where(mask, requirement, 0), types)
        return plan_of(sol, requirement), sol

    return plan_for, plan_of


def _shift_phase(
    search: StaffingSearch, best: Candidate, types, options: OptimizeOptions
) -> Candidate:
    """Shifts covering the per-interval plan; simulate. Where the shift plan misses a target
    (breaks and partial intervals thin the cover), raise the requirements there and solve
    again. Once a shift plan is feasible, remove whole shifts while the corrected model
    says every target still holds (shifts cover peaks, so they leave surplus elsewhere),
    and keep the trimmed plan if the simulation agrees. Returns the cheapest
    search-feasible shift plan (or the closest one)."""
    p = search.p
    plan_for, plan_of = _shift_planner(p, types)
    # Two starting requirements: the optimizer's plan (cheapest per interval, but groups
    # that share skills swap from interval to interval, which shifts cannot follow) and
    # the standard practice's (each channel on its home group: smooth per group).
    from optimizer.baseline import baseline

    starts = [np.rint(best.x).astype(int), baseline(search.p.scenario, options).requirement]
    found: list[tuple[Candidate, ShiftSolution | None, np.ndarray]] = []
    for start in starts:
        if not search.budget.left(search.reserve_s(), 1):
            break
        found.append(_shift_run(search, start, plan_for, plan_of))
    found = [f for f in found if f[0] is not None]
    if not found:
        return best
    found.sort(key=lambda f: (not f[0].feasible, f[0].cost if f[0].feasible else f[0].shortfall))
    return found[0][0]


def _shift_run(search: StaffingSearch, requirement: np.ndarray, plan_for, plan_of):
    """One start of the shift phase (see :func:`_shift_phase`)."""
    p = search.p
    best_shift: Candidate | None = None
    tried: set[bytes] = set()
    sol = None
    for _ in range(4):
        if requirement.tobytes() in tried or not search.budget.left(search.reserve_s(), 1):
            break
        tried.add(requirement.tobytes())
        plan, sol = plan_for(requirement)
        cand = search.simulate(np.asarray(plan.staffing, dtype=float), "shifts", plan)
        if best_shift is None or (cand.feasible, -cand.cost, -cand.shortfall) > (
            best_shift.feasible,
            -best_shift.cost,
            -best_shift.shortfall,
        ):
            best_shift = cand
        if cand.feasible:
            break
        # Short somewhere: raise the requirements where the shift plan fails, solve again.
        staffing = np.rint(cand.x).astype(int)
        s = search.surrogate(cand, search.model.with_repeats(staffing))
        nxt, _ = solve(s, np.maximum(requirement, staffing), requirement, p.upper, remove=False)
        if np.array_equal(nxt, np.maximum(requirement, staffing)):
            nxt = _add_one_everywhere_short(
                p, search.targets, cand.evaluation, requirement, search.margin
            )
        requirement = nxt
    # Trim: drop whole shifts the corrected model can spare. The model extrapolates, so
    # simulate the whole list of removals, then half of it, a quarter... keep the first
    # that holds, refit there and go on while removals are accepted.
    while (
        best_shift is not None
        and best_shift.feasible
        and sol is not None
        and search.budget.left(search.reserve_s(), 1)
    ):
        s = search.surrogate(
            best_shift, search.model.with_repeats(np.rint(best_shift.x).astype(int))
        )
        order = _trim_order(search, s, sol, best_shift.x)
        accepted = False
        length = len(order)
        while length >= 1 and search.budget.left(search.reserve_s(), 1):
            counts = np.array(sol.counts, dtype=int)
            for j in order[:length]:
                counts[j] -= 1
            trimmed = with_counts(p, sol, counts)
            plan = plan_of(trimmed, requirement)
            cand = search.simulate(np.asarray(plan.staffing, dtype=float), "shifts", plan)
            if cand.feasible and cand.cost < best_shift.cost - 1e-9:
                best_shift, sol, accepted = cand, trimmed, True
                break
            length //= 2
        if not accepted:
            break
    return best_shift, sol, requirement


def _trim_order(search: StaffingSearch, s, sol: ShiftSolution, staffing: np.ndarray) -> list[int]:
    """Patterns to remove one agent from, in order: each time the dearest shift whose
    removal the corrected model says leaves every target met (empty if none)."""
    p = search.p
    counts = np.array(sol.counts, dtype=int)
    x = np.asarray(staffing, dtype=float).copy()
    cost_h = p.unit_cost / p.interval_hours
    order: list[int] = []
    deadline = search.budget.deadline - search.reserve_s()
    while time.perf_counter() < deadline:
        options = sorted(
            np.flatnonzero(counts > 0),
            key=lambda j: -sol.patterns[j].paid_hours * cost_h[sol.patterns[j].group],
        )
        for j in options:
            pat = sol.patterns[j]
            y = x.copy()
            y[pat.group] = np.maximum(y[pat.group] - pat.coverage, 0.0)
            if s.feasible(y):
                counts[j] -= 1
                x = y
                order.append(int(j))
                break
        else:
            break
    return order


def _result(
    scenario: Scenario,
    problem: Problem,
    targets: list[Target],
    options: OptimizeOptions,
    search: StaffingSearch,
    final: Candidate,
    verification: Evaluation,
    passed: bool,
    interrupted: bool,
    rounds: list[dict[str, Any]],
    started: float,
    settings: dict[str, Any],
) -> OptimizationResult:
    rule_margin = 0.0 if options.rule == "mean" else 1.0
    labels = [problem.interval_label(k) for k in range(problem.n_intervals)]
    table = check_table(verification, targets, margin=rule_margin, labels=labels)
    plan = verification.plan
    rule = _rule_text(options, settings, verification)
    if interrupted:
        status = "interrupted"
    elif passed:
        status = "feasible"
    elif final.feasible:
        status = "unverified"
    else:
        status = "infeasible"
    message = _message(status, table, plan.cost(scenario), options, search, targets)
    staffing = pd.DataFrame(
        np.asarray(plan.staffing, dtype=float), index=list(problem.groups), columns=labels
    )
    evaluator = search.evaluator
    history = list(search.log.history)
    if rounds:
        settings = {**settings, "verification_rounds": rounds}
    return OptimizationResult(
        plan=plan,
        cost=plan.cost(scenario),
        feasible=bool(passed) and not interrupted,
        status=status,
        message=message,
        rule=rule,
        targets=table,
        staffing=staffing,
        kpis=verification.result,
        evaluations=evaluator.evaluations,
        replications=getattr(evaluator, "replications_run", 0),
        run_time_s=time.perf_counter() - started,
        history=history,
        settings=settings,
        scenario=scenario,
    )


def _rule_text(options: OptimizeOptions, settings: dict[str, Any], ev: Evaluation) -> str:
    if options.evaluator == "analytic":
        return "analytic (Erlang C/A approximation, no simulation): every target met"
    bound = "the mean" if options.rule == "mean" else "the 95% CI bound"
    return (
        f"{bound} over {ev.replications} replications on fresh seeds meets every target "
        f"(search: mean moved {settings['margin']:g} CI half-widths, "
        f"{settings['replications']} replications, seed {settings['seed']})"
    )


def _message(
    status: str,
    table: pd.DataFrame,
    cost: float,
    options: OptimizeOptions,
    search: StaffingSearch,
    targets: list[Target],
) -> str:
    unmet = table[~table["met"]].sort_values("shortfall", ascending=False)
    if not targets:
        return "no targets: the plan is the minimum headcount"
    head = {
        "feasible": f"every target met; cost {cost:,.2f}",
        "unverified": "met on the search seeds but not on fresh seeds after every repair",
        "infeasible": "no plan found meets every target within the headcount bounds"
        + (f" and the budget {options.budget:,.2f}" if options.budget else ""),
        "interrupted": "interrupted: best plan so far",
    }[status]
    if unmet.empty:
        return head
    parts = []
    for _, r in unmet.head(8).iterrows():
        where = "over the horizon" if r["interval"] == "all" else f"at {r['interval']}"
        value = f"{r['mean']:.1f} s" if r["kpi"] == "asa_s" else f"{r['mean']:.1%}"
        short = (
            f"{r['shortfall']:.1f} s"
            if r["kpi"] == "asa_s"
            else f"{r['shortfall'] * 100:.1f} points"
        )
        parts.append(f"{r['entity']} {r['target']} {where}: {value}, short by {short}")
    more = f" (+{len(unmet) - 8} more)" if len(unmet) > 8 else ""
    return f"{head}; unmet: " + "; ".join(parts) + more


__all__ = ["fresh_seeds", "optimize"]
