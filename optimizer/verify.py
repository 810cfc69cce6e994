"""Verification is a test, not a retry: the chosen plan is simulated on seeds the search
never saw; a plan that fails is *repaired into a different plan* and that one is tested on
new seeds.

The repair pins the corrected model to the failed verification run (fresh evidence) and
asks the master program for the cheapest plan that keeps every agent of the failed one and
meets every target on that model with the search margin. When no such plan differs from the
failed one (a headcount bound, a shift rule or the budget stops it), verification ends: the
plan is reported as not verified, never as feasible.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from optimizer.corrected import fit_corrections
from optimizer.evaluators import Evaluation
from optimizer.search import Search, judge, plan_key


@dataclass(frozen=True)
class Verification:
    """Outcome of :func:`verify`: the plan's counts ``x`` and coverage ``y``, its last
    verification run, whether it passed, one record per round, and why it stopped."""

    x: np.ndarray
    y: np.ndarray
    evaluation: Evaluation
    passed: bool
    rounds: tuple[dict[str, Any], ...]
    stopped: str  # "passed" | "rounds" | "no repair"


def fresh_seeds(seed: int, count: int) -> list[int]:
    """Verification seeds: derived from the search seed, never equal to it."""
    state = np.random.SeedSequence([seed, 0x5EED]).generate_state(count + 1)
    return [int(s) for s in state if int(s) != seed][:count]


def verify(
    search: Search,
    x: np.ndarray,
    *,
    seeds: list[int],
    replications: int,
    rule_margin: float,
) -> Verification:
    """Test counts ``x`` on each fresh seed in turn until one passes (see module docstring).

    ``rule_margin``: 0 judges the mean, 1 the 95% CI bound (the feasibility rule)."""
    evaluator = search.evaluator
    d = search.d
    rounds: list[dict[str, Any]] = []
    tried = {plan_key(x)}
    evaluation: Evaluation | None = None
    for n, seed in enumerate(seeds):
        plan = d.plan_of(x)
        evaluation = evaluator.evaluate(plan, replications=replications, seed=seed)
        passed, shortfall = judge(evaluation.kpis, search.targets, rule_margin)
        rounds.append(
            {
                "round": n + 1,
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
                "evaluation": search.budget.used,
                "cost": round(evaluation.cost, 2),
                "feasible": passed,
                "shortfall": round(shortfall, 6),
                "elapsed_s": round(search.budget.elapsed, 3),
            }
        )
        search.report("verify")
        y = d.coverage_of(x)
        if passed:
            return Verification(x, y, evaluation, True, tuple(rounds), "passed")
        if n == len(seeds) - 1:
            return Verification(x, y, evaluation, False, tuple(rounds), "rounds")
        # Repair on the evidence of the failed run: only add, and only a different plan.
        pinned = fit_corrections(search.p, search.analytic.anchored(y), y, evaluation.kpis)
        sol = search.plan_on_model(
            pinned, evaluation.kpis, y, floor=y - 1e-6, margin=max(search.margin, rule_margin)
        )
        if sol is not None:
            nxt = np.maximum(np.rint(sol.x), 0)
            key = plan_key(nxt)
            if key not in tried:
                tried.add(key)
                rounds[-1]["repair_cost"] = round(d.cost_of(nxt), 2)
                x = nxt
                continue
        rounds[-1]["repair_cost"] = None
        return Verification(x, y, evaluation, False, tuple(rounds), "no repair")
    raise AssertionError("verify needs at least one seed")  # pragma: no cover


__all__ = ["Verification", "fresh_seeds", "verify"]
