"""The staffing search against enumeration, on the analytic evaluator (deterministic).

For each small instance (one or two intervals, two groups, headcounts within 0..12/0..25)
every plan in the headcount box is evaluated and the cheapest one meeting every target is
the known optimum; ``optimize(..., evaluator="analytic")`` must return a plan of that cost.
The enumeration uses the analytic model's column evaluation (vectorised) and is checked
against :class:`AnalyticEvaluator` at the optimum it finds.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest

from optimizer import optimize
from optimizer.analytic import AnalyticModel, kpi_from_fields
from optimizer.evaluators import AnalyticEvaluator
from optimizer.plan import Plan
from optimizer.problem import Problem
from optimizer.search import judge
from optimizer.targets import scenario_targets
from simulator.scenario import Scenario


def instance(
    *,
    volumes: tuple[list[float], list[float]],
    costs: tuple[float, float] = (24.0, 30.0),
    scope: str = "per_interval",
    patience: float | None = 300.0,
    max_headcount: tuple[int, int] = (12, 10),
    shrinkage: float = 0.0,
    abandon: float | None = 0.05,
) -> Scenario:
    """Two call channels (general, cards), generalists (general only) and specialists
    (cards first, general when free), 60-minute intervals."""
    n = len(volumes[0])
    close = f"{9 + n:02d}:00"

    def channel(vols: list[float], aht: float, within: float, sl: float) -> dict[str, Any]:
        targets: dict[str, Any] = {"service_level": sl, "within_seconds": within, "scope": scope}
        ch: dict[str, Any] = {
            "kind": "call",
            "arrivals": {"volumes": vols},
            "handle_time": {"distribution": "exponential", "mean_seconds": aht},
        }
        if patience is not None:
            ch["patience"] = {"distribution": "exponential", "mean_seconds": patience}
            if abandon is not None:
                targets["max_abandon_rate"] = abandon
        ch["targets"] = targets
        return ch

    return Scenario.from_dict(
        {
            "name": "enumeration instance",
            "horizon": {"days": 1, "interval_minutes": 60, "open": "09:00", "close": close},
            "channels": {
                "general": channel(volumes[0], 240, 20, 0.8),
                "cards": channel(volumes[1], 300, 30, 0.85),
            },
            "agent_groups": {
                "generalists": {
                    "cost_per_hour": costs[0],
                    "skills": ["general"],
                    "staffing": [1] * n,
                    "max_headcount": max_headcount[0],
                    "shrinkage": shrinkage,
                },
                "card_specialists": {
                    "cost_per_hour": costs[1],
                    "skills": {"cards": {"handle_time_factor": 0.9}, "general": {}},
                    "staffing": [1] * n,
                    "max_headcount": max_headcount[1],
                    "shrinkage": shrinkage,
                },
            },
            "routing": {"priorities": {"cards": 1, "general": 2}},
        }
    )


def enumerate_optimum(scenario: Scenario) -> tuple[float, np.ndarray]:
    """Cheapest plan in the headcount box meeting every target on the analytic model."""
    p = Problem.from_scenario(scenario)
    model = AnalyticModel(p)
    targets = scenario_targets(scenario)
    k_n = p.n_intervals
    ranges = [range(p.lower[g, 0], p.upper[g, 0] + 1) for g in range(p.n_groups)]
    columns = np.array(list(itertools.product(*ranges)), dtype=float)  # (M, G)
    fields = [model.columns(columns, np.full(len(columns), k)) for k in range(k_n)]
    best_cost, best = np.inf, None
    for combo in itertools.product(range(len(columns)), repeat=k_n):
        x = np.stack([columns[i] for i in combo], axis=1)
        cost = p.cost(x)
        if cost >= best_cost:
            continue
        per = np.stack([fields[k][i] for k, i in enumerate(combo)])
        if _meets(per, per.sum(axis=0), targets, p, model):
            best_cost, best = cost, x
    assert best is not None, "no feasible plan in the box: widen the instance's bounds"
    return float(best_cost), best


def _meets(per, total, targets, p: Problem, model: AnalyticModel) -> bool:
    for t in targets:
        c = p.channels.index(t.entity)
        values = (
            kpi_from_fields(total, model.layout, c, t.kpi)[None]
            if t.scope == "overall"
            else kpi_from_fields(per, model.layout, c, t.kpi)
        )
        values = values[~np.isnan(values)]
        ok = values >= t.value - 1e-9 if t.sense == ">=" else values <= t.value + 1e-9
        if not np.all(ok):
            return False
    return True


CASES = {
    "one interval, per-interval targets": {"volumes": ([120], [40])},
    "one interval, cheap specialists": {"volumes": ([100], [60]), "costs": (24.0, 25.0)},
    "one interval, Erlang C (no patience)": {
        "volumes": ([80], [30]),
        "patience": None,
        "max_headcount": (25, 25),
    },
    "two intervals, per-interval targets": {"volumes": ([60, 110], [20, 35])},
    "two intervals, horizon targets": {"volumes": ([60, 110], [20, 35]), "scope": "overall"},
    "two intervals, shrinkage": {"volumes": ([70, 95], [25, 15]), "shrinkage": 0.2},
}


@pytest.mark.parametrize("case", list(CASES))
def test_search_finds_the_enumerated_optimum_on_the_analytic_evaluator(case: str) -> None:
    scenario = instance(**CASES[case])
    cost, plan = enumerate_optimum(scenario)
    result = optimize(scenario, evaluator="analytic", time_limit_seconds=60)
    assert result.feasible
    assert result.cost == pytest.approx(cost), (case, result.staffing, plan)
    # The enumeration's model and the evaluator agree on the optimum.
    p = Problem.from_scenario(scenario)
    evaluation = AnalyticEvaluator(p).evaluate(Plan(p.groups, plan))
    assert judge(evaluation, scenario_targets(scenario), 0.0)[0]


def test_unreachable_targets_give_the_closest_plan_and_list_what_is_unmet() -> None:
    # 400 calls an hour need ~30 agents; at most 12 + 10 are allowed.
    scenario = instance(volumes=([400], [40]))
    result = optimize(scenario, evaluator="analytic", time_limit_seconds=30)
    assert not result.feasible
    assert result.status == "infeasible"
    unmet = result.unmet
    assert set(unmet["entity"]) >= {"general"}
    assert (unmet["shortfall"] > 0).all()
    assert "general" in result.message and "short by" in result.message
    # The closest plan uses every agent it may.
    assert result.staffing.loc["generalists"].iloc[0] == 12
    assert result.staffing.loc["card_specialists"].iloc[0] == 10


def test_budget_too_small_returns_the_best_plan_within_it() -> None:
    scenario = instance(volumes=([120], [40]))
    cost, _ = enumerate_optimum(scenario)
    result = optimize(scenario, evaluator="analytic", budget=cost * 0.7)
    assert not result.feasible
    assert result.cost <= cost * 0.7 + 1e-9
    assert "budget" in result.message
    assert not result.unmet.empty


def test_options_add_occupancy_targets_that_the_plan_then_meets() -> None:
    scenario = instance(volumes=([120], [40]))
    free = optimize(scenario, evaluator="analytic")
    capped = optimize(scenario, evaluator="analytic", max_occupancy={"generalists": 0.6})
    row = capped.targets[capped.targets["kpi"] == "occupancy"].iloc[0]
    assert capped.feasible and row["mean"] <= 0.6 + 1e-9
    assert capped.cost >= free.cost


def test_unknown_names_in_the_options_are_input_errors() -> None:
    from simulator.errors import InputError

    scenario = instance(volumes=([120], [40]))
    with pytest.raises(InputError) as err:
        optimize(scenario, evaluator="analytic", max_occupancy={"nobody": 0.5}, min_fcr={"x": 0.7})
    text = "\n".join(err.value.problems)
    assert "max_occupancy.nobody: unknown agent group" in text
    assert "min_fcr.x: unknown channel" in text
