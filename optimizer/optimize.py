"""``optimize(scenario) -> OptimizationResult``: the cheapest plan meeting every target of the
scenario, verified on fresh seeds — as a pipeline:

problem (groups, channels, costs, bounds) → targets (:mod:`simulator.targets`) → decision
variables (:mod:`optimizer.patterns`: headcount per interval, or shift patterns and weekly
tours) → search (:mod:`optimizer.search`: the master integer program on the corrected
analytic model, simulation with common random numbers for values) → verification
(:mod:`optimizer.verify`: fresh seeds, repair into a different plan) → result
(:mod:`optimizer.result`).

When some groups are planned with shifts, the run then searches the per-interval plan
(agents free to change every interval) from the shift plan's coverage: its cost bounds
what the shift rules cost, and the result reports the gap.

Reproducible: the effort is a number of simulations (``max_evaluations``) and the integer
programs stop at node limits, not clocks, so the same scenario and seed give the same plan
on any machine and with any number of workers (each program also has a 60 s guard clock
against pathological cases; ``settings["master_hit_limit"]`` of the result says when any
program stopped at a limit). ``time_limit_seconds`` may cut a run short; the result then
says so (status ``time_limit``). Ctrl-C returns the best plan so far.
"""

from __future__ import annotations

import math
import time
from concurrent.futures import Executor
from typing import Any

import numpy as np
import pandas as pd

from optimizer.evaluators import AnalyticEvaluator, SimulationEvaluator
from optimizer.master import CutPool, solve_master
from optimizer.options import OptimizeOptions
from optimizer.patterns import Decisions, build_decisions, shift_types_of
from optimizer.problem import Problem, optimizer_targets
from optimizer.result import OptimizationResult
from optimizer.search import Budget, Candidate, Progress, Search
from optimizer.verify import Verification, fresh_seeds, verify
from simulator.errors import InputError
from simulator.runner import local_pool
from simulator.scenario import Scenario
from simulator.targets import Target, check_table, verdicts

LOWER_BOUND_SHARE = 0.35  # of the evaluation budget, for the per-interval plan


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
    (``optimize(s, max_evaluations=20, seed=7)``). ``executor``: a
    ``concurrent.futures.Executor`` for the replications (else ``options.workers``
    processes, made once for the run). ``progress(info)`` is called after every evaluation.

    Never raises for targets that cannot be met: the result is then not feasible and its
    ``targets``/``unmet`` say which targets fail where, and by how much. Bad input raises
    ``InputError``.
    """
    options = options or OptimizeOptions()
    if overrides:
        try:
            options = OptimizeOptions.model_validate({**options.model_dump(), **overrides})
        except Exception as exc:  # pydantic's ValidationError: one line per problem
            raise InputError(f"options: {exc}") from None
    run = _Run(scenario, options, progress, executor)
    try:
        run.search_plans()
        run.verify()
        run.lower_bound()
    except KeyboardInterrupt:
        run.interrupted = True
    finally:
        run.close()
    return run.result()


class _Run:
    """The state of one :func:`optimize` call, phase by phase."""

    def __init__(
        self,
        scenario: Scenario,
        options: OptimizeOptions,
        progress: Progress | None,
        executor: Executor | None,
    ):
        self.started = time.perf_counter()
        self.scenario = scenario
        self.options = options
        self.problem = Problem.from_scenario(scenario)
        self.targets: list[Target] = optimizer_targets(scenario)  # implied ones included
        self.types_source = shift_types_of(scenario)[1]
        self.decisions = build_decisions(self.problem, options.plan)
        self.seed = options.seed if options.seed is not None else scenario.run.seed
        self.reps = options.search_replications
        self.verify_reps = options.verification_replications
        self.rule_margin = 0.0 if options.rule == "mean" else 1.0
        self.margin = max(options.margin, self.rule_margin)
        self.analytic = options.evaluator == "analytic"
        if self.analytic and scenario.outbound:
            raise InputError(
                f"evaluator: 'analytic' cannot see the outbound lists "
                f"({', '.join(f'outbound.{n}' for n in scenario.outbound)}): Erlang C/A would "
                "count dialing agents as free for inbound; use the simulation evaluator"
            )
        self.own_pool = None
        if not self.analytic and executor is None and options.workers != 1:
            self.own_pool = local_pool(options.workers)
            executor = self.own_pool
        if self.analytic:
            self.evaluator: Any = AnalyticEvaluator(self.problem)
            self.margin = self.rule_margin = 0.0
        else:
            self.evaluator = SimulationEvaluator(
                self.problem, self.reps, self.seed, executor=executor
            )
        self.budget = Budget(options.max_evaluations, options.time_limit_seconds)
        self.search = self._search(self.decisions, progress)
        self.bound: Search | None = None
        self.final: Candidate | None = None
        self.verification: Verification | None = None
        self.interrupted = False
        self.converged = False

    def _search(self, decisions: Decisions, progress: Progress | None) -> Search:
        return Search(
            decisions,
            self.targets,
            self.evaluator,
            margin=self.margin,
            budget=self.budget,
            cost_cap=self.options.budget,
            progress=progress,
        )

    # ---- phases -------------------------------------------------------------------------
    def search_plans(self) -> None:
        search = self.search
        if not self.targets:
            self.final = search.evaluate(self.decisions.lower.copy(), "no targets")
            self.converged = True
            return
        x0 = search.warm_start()
        if x0 is None:  # no plan within the rules meets the targets, even on the model
            x0 = self._largest_plan()
        self.converged = search.refine(x0)
        search.polish()
        self.final = search.log.best or search.log.closest

    def lower_bound(self) -> None:
        """The per-interval plan (agents free to change every interval), searched from the
        chosen shift plan's coverage rounded to whole agents, with a share of the evaluation
        budget of its own: any shift plan's coverage is a per-interval plan, so the best one
        found bounds what the shift rules cost."""
        if not self.decisions.shift_groups or self.analytic or self.final is None:
            return
        per_interval = build_decisions(self.problem, "per_interval")
        share = max(4, round(LOWER_BOUND_SHARE * self.options.max_evaluations))
        budget = Budget(share, None)
        budget.deadline = self.budget.deadline
        bound = Search(
            per_interval,
            self.targets,
            self.evaluator,
            margin=self.margin,
            budget=budget,
            cost_cap=None,
            progress=self.search.progress,
        )
        self.bound = bound
        y = self.decisions.coverage_of(self.final.x)
        x0 = np.clip(np.floor(y + 0.5), per_interval.cover_lower, per_interval.cover_upper)
        bound.refine(x0.ravel(), phase="per-interval")
        bound.polish(phase="per-interval polish")
        self.budget.cut |= budget.cut
        self.search.log.history += bound.log.history

    def _largest_plan(self) -> np.ndarray:
        """When no plan within the rules (and budget) meets the targets even on the model:
        the most staffing near the load that the rules and the budget allow, to report
        what stays unmet. The well-staffed plan scaled down until it fits the budget."""
        d = self.decisions
        top = np.minimum(self.search.generous(), d.cover_upper)
        sol = None
        for scale in np.linspace(1.0, 0.0, 21):
            sol = solve_master(d, [], CutPool(), floor=top * scale, budget=self.options.budget)
            if sol is not None:
                break
        return sol.x if sol is not None else d.lower.copy()

    def verify(self) -> None:
        if self.final is None or self.analytic:
            return
        seeds = fresh_seeds(self.seed, self.options.verify_rounds)
        self.verification = verify(
            self.search,
            self.final.x,
            seeds=seeds,
            replications=self.verify_reps,
            rule_margin=self.rule_margin,
        )

    def close(self) -> None:
        if self.own_pool is not None:
            self.own_pool.shutdown(cancel_futures=True)

    # ---- result -------------------------------------------------------------------------
    def result(self) -> OptimizationResult:
        d = self.decisions
        search = self.search
        final = self.final or search.log.best or search.log.closest
        if final is None:  # interrupted before any simulation: the analytic plan
            x = d.lower.copy()
            ev = AnalyticEvaluator(self.problem).evaluate(d.plan_of(x))
            final = Candidate(x, d.coverage_of(x), ev, False, math.inf)
        v = self.verification
        if v is not None and not np.array_equal(np.rint(v.x), np.rint(final.x)):
            x, evaluation = v.x, v.evaluation  # a repaired plan (verified or not)
        elif v is not None:
            x, evaluation = final.x, v.evaluation
        else:
            x, evaluation = final.x, final.evaluation
        passed = v is not None and v.passed
        status = self._status(final, passed)
        plan = d.plan_of(x)
        margin = self.rule_margin
        table = check_table(evaluation.kpis, self.targets, margin=margin)
        verdict = verdicts(evaluation.kpis, self.targets, margin=margin)
        labels = list(self.problem.labels)
        staffing = pd.DataFrame(np.asarray(plan.staffing, dtype=float), self.problem.groups, labels)
        cost = plan.cost(self.scenario)
        lower = self._bound_summary(cost)
        return OptimizationResult(
            plan=plan,
            cost=cost,
            feasible=passed and status in ("feasible", "time_limit"),
            status=status,
            message=self._message(status, table, cost, v),
            rule=self._rule_text(evaluation),
            targets=table,
            verdicts=verdict,
            staffing=staffing,
            schedule=d.schedule(x),
            tours=d.tours(x),
            lower_bound=lower,
            kpis=evaluation.result,
            evaluations=self.evaluator.evaluations,
            replications=getattr(self.evaluator, "replications_run", 0),
            run_time_s=time.perf_counter() - self.started,
            history=list(search.log.history),
            settings=self._settings(v),
            scenario=self.scenario,
        )

    def _status(self, final: Candidate, passed: bool) -> str:
        if self.interrupted:
            return "interrupted"
        if self.analytic:
            return "estimate"
        if self.budget.cut:
            return "time_limit"
        if passed:
            return "feasible"
        return "unverified" if final.feasible else "infeasible"

    def _bound_summary(self, cost: float) -> dict[str, Any] | None:
        """The per-interval plan as a lower bound, or — when its search found no plan
        cheaper than this plan's own coverage that meets every target — that it found none
        (``cheaper_found`` False, ``gap`` NaN: not measured) and the cheaper plan that came
        nearest. A search that only re-confirms the shift plan's coverage proves nothing
        about the price of the shift rules, so it must not read as a gap of 0%."""
        if self.bound is None:
            return None
        log = self.bound.log
        cheaper = log.best is not None and log.best.cost < cost - 1e-6
        shown = log.best if cheaper else (log.closest or log.best)
        if shown is None:
            return None
        return {
            "cost": round(shown.cost, 2),
            "met": bool(shown.feasible),
            "cheaper_found": cheaper,
            "gap": cost / shown.cost - 1 if cheaper and shown.cost > 0 else math.nan,
            "evaluations": self.bound.budget.used,
            "staffing": np.rint(shown.y).astype(int).tolist(),  # (G, K) agents on duty
        }

    def _message(
        self, status: str, table: pd.DataFrame, cost: float, v: Verification | None
    ) -> str:
        unmet = table[~table["met"]]
        n_eval = self.budget.used
        effort = f"{n_eval} of {self.options.max_evaluations} search evaluations"
        if status == "feasible":
            text = f"every target met on fresh seeds (cost {cost:,.2f}); {effort}"
            if v is not None and len(v.rounds) > 1:
                text += f"; verified after {len(v.rounds) - 1} repair(s)"
            if self.search.stuck:
                text += (
                    f"; no plan met every target with the search's margin ({self.margin:g} CI "
                    "half-widths on its own seeds); this is the closest one, and it met every "
                    "target on fresh seeds"
                )
            elif not self.converged:
                text += "; the search was still improving when its budget ran out"
            return text
        if status == "estimate":
            met = judge_table_met(table)
            return (
                f"{'every target met' if met else 'targets missed'} on the analytic model "
                f"(Erlang C/A per interval; not simulated, not verified)"
            )
        if status == "interrupted":
            return f"interrupted after {effort}: the best plan so far, not verified"
        parts = []
        if status == "time_limit":
            parts.append(
                f"the time limit ({self.options.time_limit_seconds:g} s) cut the search after "
                f"{effort}; without it the run would go on to its budget (the same plan on "
                f"any machine)"
            )
            parts.append(
                "the plan met every target on fresh seeds"
                if v is not None and v.passed
                else "the plan is not verified"
            )
        elif status == "unverified":
            why = {
                "no repair": "no different plan within the headcount bounds, shift rules and "
                "budget repairs it",
                "rounds": f"every one of {self.options.verify_rounds} verification rounds failed",
            }.get(v.stopped if v else "", "")
            parts.append(f"met every target on the search seeds but not on fresh seeds: {why}")
        else:
            parts.append(
                "no plan found meets every target within the headcount bounds, shift rules"
                + (" and budget" if self.options.budget is not None else "")
                + f" ({effort}): the closest plan is returned"
            )
        for _, r in unmet.sort_values("shortfall", ascending=False).head(5).iterrows():
            where = "" if r["interval"] == "all" else f" at {r['interval']}"
            unit = "s" if r["kpi"] == "asa_s" else "%"
            short = r["shortfall"] if unit == "s" else 100 * r["shortfall"]
            parts.append(f"{r['entity']} {r['target']}{where}: short by {short:.1f}{unit}")
        if len(unmet) > 5:
            parts.append(f"and {len(unmet) - 5} more target instances")
        return "; ".join(parts)

    def _rule_text(self, evaluation) -> str:
        if self.analytic:
            return "analytic estimate (Erlang C/A per interval); no simulation"
        judged = "the mean" if self.options.rule == "mean" else "the 95% CI bound"
        return (
            f"{judged} over {self.verify_reps} replications on fresh seeds meets every target "
            f"(search: mean moved {self.margin:g} CI half-widths, {self.reps} replications, "
            f"seed {self.seed})"
        )

    def _settings(self, v: Verification | None) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "replications": self.reps,
            "verify_replications": self.verify_reps,
            "verify_seeds": fresh_seeds(self.seed, self.options.verify_rounds),
            "verification_rounds": list(v.rounds) if v is not None else [],
            "margin": self.margin,
            "rule": self.options.rule,
            "evaluator": self.options.evaluator,
            "max_evaluations": self.options.max_evaluations,
            "search_evaluations": self.budget.used,
            "time_limit_s": self.options.time_limit_seconds,
            "cut_by_time_limit": self.budget.cut,
            "converged": self.converged and not self.search.stuck,
            "short_of_margin": self.search.stuck,
            "plan": self.options.plan,
            "shift_types": self.types_source if self.decisions.shift_groups else "none used",
            "budget": self.options.budget,
            "model_rounds": self.search.model_rounds,
            "master_hit_limit": self.search.master_limited,
        }


def judge_table_met(table: pd.DataFrame) -> bool:
    return bool(table["met"].all()) if len(table) else True


__all__ = ["optimize"]
