"""The staffing search against enumeration, on the analytic evaluator (deterministic).

For each small instance (one or two intervals, two groups, headcounts within 0..12/0..25)
every plan in the headcount box is judged on the analytic model, and the one meeting every
target with the least objective (paid cost, plus the search's small price for changing a
headcount between intervals) is the known optimum; ``optimize(..., evaluator="analytic")``
must return a plan of that cost. The search never sees the enumeration: it works with cuts
of the same model in an integer program.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest

from optimizer import optimize
from optimizer.analytic import AnalyticModel, kpi_from_fields
from optimizer.master import SMOOTHING
from optimizer.options import OptimizeOptions
from optimizer.problem import Problem
from simulator.errors import InputError
from simulator.scenario import Scenario
from simulator.targets import FLOOR_MIN_CONTACTS, scenario_targets


def instance(
    *,
    volumes: tuple[list[float], list[float]],
    costs: tuple[float, float] = (24.0, 30.0),
    scope: str = "per_interval",
    patience: float | None = 300.0,
    max_headcount: tuple[int, int] = (12, 10),
    shrinkage: float = 0.0,
    abandon: float | None = 0.05,
    max_occupancy: float | None = None,
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
                    **({"max_occupancy": max_occupancy} if max_occupancy else {}),
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
    """The plan in the headcount box that the analytic model judges to meet every target
    (per-interval targets and floors in each interval, horizon targets on the sums) with the
    least objective: paid cost plus the search's price for changing a group's headcount
    between intervals (``SMOOTHING`` agent-intervals per agent changed). Brute force: every
    column of the box in every interval, every combination of columns. Returns (its paid
    cost, the plan)."""
    p = Problem.from_scenario(scenario)
    model = AnalyticModel(p)
    lay = model.layout
    targets = scenario_targets(scenario)
    ranges = [range(p.lower[g, 0], p.upper[g, 0] + 1) for g in range(p.n_groups)]
    columns = np.array(list(itertools.product(*ranges)), dtype=float)  # (M, G)
    fields = [model.columns(columns, np.full(len(columns), k)) for k in range(p.n_intervals)]
    combos = np.array(list(itertools.product(range(len(columns)), repeat=p.n_intervals)))
    ok = np.ones(len(combos), dtype=bool)
    total = sum(fields[k][combos[:, k]] for k in range(p.n_intervals))
    for t in targets:
        e = p.groups.index(t.entity) if t.kpi == "occupancy" else p.channels.index(t.entity)
        sign = 1.0 if t.sense == ">=" else -1.0
        if t.scope == "overall":
            value = kpi_from_fields(total, lay, e, t.kpi, model.sl_over_answered)
            ok &= np.nan_to_num(sign * (value - t.value), nan=1.0) >= -1e-9
            continue
        for k in range(p.n_intervals):
            f = fields[k][combos[:, k]]
            if t.floor and f[0, lay.ch(e, "offered")] < FLOOR_MIN_CONTACTS:
                continue
            value = kpi_from_fields(f, lay, e, t.kpi, model.sl_over_answered)
            ok &= np.nan_to_num(sign * (value - t.value), nan=1.0) >= -1e-9
    plans = columns[combos].transpose(0, 2, 1)  # (N, G, K)
    cost = (plans * p.unit_cost[None, :, None]).sum(axis=(1, 2))
    steps = np.abs(np.diff(plans, axis=2)).sum(axis=2)  # (N, G)
    objective = cost + SMOOTHING * (steps * p.unit_cost[None, :]).sum(axis=1)
    assert ok.any(), "no feasible plan in the box: widen the instance's bounds"
    best = int(np.flatnonzero(ok)[np.argmin(objective[ok])])
    return float(cost[best]), plans[best]


CASES = {
    "one interval, per-interval targets": {"volumes": ([120], [40])},
    "one interval, cheap specialists": {"volumes": ([100], [60]), "costs": (24.0, 25.0)},
    "one interval, Erlang C (no patience)": {
        "volumes": ([80], [30]),
        "patience": None,
        "max_headcount": (25, 25),
    },
    "two intervals, per-interval targets": {"volumes": ([60, 110], [20, 35])},
    "two intervals, horizon targets and floor": {
        "volumes": ([60, 110], [20, 35]),
        "scope": "overall",
    },
    "two intervals, shrinkage": {"volumes": ([70, 95], [25, 15]), "shrinkage": 0.2},
    "one interval, occupancy cap": {"volumes": ([120], [40]), "max_occupancy": 0.6},
}


@pytest.mark.parametrize("case", list(CASES))
def test_search_finds_the_enumerated_optimum_on_the_analytic_evaluator(case: str) -> None:
    """The master program with cuts on the queueing model returns the plan that evaluating
    every plan of the box finds cheapest (the model is the judge here, so the optimum is
    known exactly)."""
    scenario = instance(**CASES[case])
    cost, plan = enumerate_optimum(scenario)
    result = optimize(scenario, evaluator="analytic")
    assert result.status == "estimate" and not result.feasible  # never "feasible" unsimulated
    assert result.verdicts["met"].all(), result.verdicts
    assert result.cost == pytest.approx(cost), (case, result.staffing, plan)


def test_unreachable_targets_give_the_closest_plan_and_list_what_is_unmet() -> None:
    # 400 calls an hour need ~30 agents; at most 12 + 10 are allowed.
    scenario = instance(volumes=([400], [40]))
    result = optimize(scenario, evaluator="analytic")
    assert not result.feasible
    assert not result.verdicts["met"].all()
    unmet = result.unmet
    assert set(unmet["entity"]) >= {"general"}
    assert (unmet["shortfall"] > 0).all()
    # The closest plan uses every agent it may.
    assert result.staffing.loc["generalists"].iloc[0] == 12
    assert result.staffing.loc["card_specialists"].iloc[0] == 10


def test_budget_too_small_returns_a_plan_within_it_that_misses() -> None:
    scenario = instance(volumes=([120], [40]))
    cost, _ = enumerate_optimum(scenario)
    result = optimize(scenario, evaluator="analytic", budget=cost * 0.7)
    assert result.cost <= cost * 0.7 + 1e-9
    assert not result.verdicts["met"].all()
    assert not result.unmet.empty


def test_occupancy_cap_costs_agents_and_holds() -> None:
    free = optimize(instance(volumes=([120], [40])), evaluator="analytic")
    capped = optimize(instance(volumes=([120], [40]), max_occupancy=0.6), evaluator="analytic")
    row = capped.verdicts[capped.verdicts["kpi"] == "occupancy"].iloc[0]
    assert row["met"] and row["mean"] <= 0.6 + 1e-9
    assert capped.cost > free.cost


def test_targets_in_an_old_options_file_say_where_they_moved() -> None:
    with pytest.raises(InputError) as err:
        OptimizeOptions.from_dict(
            {"optimizer": {"min_fcr": {"calls": 0.7}, "max_occupancy": {"a": 0.8}}},
            source="opt.yaml",
        )
    text = "\n".join(err.value.problems)
    assert "opt.yaml: optimizer.min_fcr: moved to channels.<channel>.targets.min_fcr" in text
    assert "optimizer.max_occupancy: moved to agent_groups.<group>.max_occupancy" in text
