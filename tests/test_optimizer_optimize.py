"""``optimize`` with the simulation evaluator, on the small two-interval scenario (each
simulation takes a few milliseconds): feasibility re-checked on fresh seeds, infeasible
targets, Ctrl-C, common random numbers, the frontier, the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml

from optimizer import frontier, optimize
from optimizer.evaluators import SimulationEvaluator
from optimizer.plan import Plan
from optimizer.problem import Problem
from optimizer.targets import check_table, scenario_targets
from simulator.cli import main
from simulator.runner import simulate
from simulator.scenario import Scenario

SMALL = Path(__file__).resolve().parents[1] / "scenarios" / "opt_small.yaml"


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return Scenario.from_yaml(SMALL)


@pytest.fixture(scope="module")
def result(scenario: Scenario):
    return optimize(scenario, time_limit_seconds=60)


def test_a_feasible_plan_holds_up_on_seeds_nobody_searched_with(scenario, result) -> None:
    assert result.feasible and result.status == "feasible"
    settings = result.settings
    assert settings["seed"] not in settings["verify_seeds"]
    assert result.kpis is not None and result.kpis.seed in settings["verify_seeds"]
    assert result.targets["met"].all()
    # A third set of seeds: the plan must not be *demonstrably* short of any target (the
    # target lies inside or beyond the 95% CI on the right side).
    staffed = result.plan.apply(scenario)
    fresh = simulate(staffed, 40, 987_654)
    p = Problem.from_scenario(scenario)
    evaluation = SimulationEvaluator(p, 40, 987_654).evaluate(result.plan)
    table = check_table(evaluation, scenario_targets(scenario), margin=-1.0)
    assert table["met"].all(), table[~table["met"]]
    assert fresh.replications == 40


def test_the_result_documents_itself(result) -> None:
    data = json.loads(result.to_json())
    assert {"status", "feasible", "cost", "rule", "staffing", "targets", "history"} <= set(data)
    assert "fresh seeds" in result.rule
    assert result.evaluations == len([h for h in result.history if h["phase"] != "analytic"])
    assert result.cost == pytest.approx(result.plan.cost(result.scenario))
    assert "agents on duty" in result.summary()


def test_unreachable_targets_return_the_closest_plan_with_what_is_unmet(scenario) -> None:
    tight = scenario.with_changes(
        {
            "agent_groups.generalists.max_headcount": 3,
            "agent_groups.card_specialists.max_headcount": 2,
        }
    )
    result = optimize(tight, time_limit_seconds=30)
    assert not result.feasible and result.status == "infeasible"
    unmet = result.unmet
    assert {"general"} <= set(unmet["entity"])
    assert (unmet["shortfall"] > 0).all()
    assert set(unmet["interval"]) <= {"09:00", "10:00"}
    assert (result.staffing.to_numpy() <= [[3], [2]]).all()
    assert "short by" in result.message


def test_ctrl_c_returns_the_best_plan_so_far(scenario) -> None:
    calls = []

    def progress(info: dict) -> None:
        calls.append(info)
        if info["evaluations"] >= 2:
            raise KeyboardInterrupt

    result = optimize(scenario, time_limit_seconds=60, progress=progress)
    assert result.status == "interrupted"
    assert not result.feasible
    assert result.plan is not None and result.cost > 0
    assert len(calls) >= 2


def test_common_random_numbers_give_every_plan_the_same_customers(scenario) -> None:
    p = Problem.from_scenario(scenario)
    evaluator = SimulationEvaluator(p, 5, 11)
    lean = evaluator.evaluate(Plan(p.groups, np.array([[4, 5], [2, 2]])))
    rich = evaluator.evaluate(Plan(p.groups, np.array([[9, 9], [5, 5]])))
    # Card calls never redial: the offered calls are the customers themselves.
    assert np.array_equal(
        lean.intervals[("cards", "offered")][0], rich.intervals[("cards", "offered")][0]
    )
    assert (
        rich.overall[("general", "service_level")][0]
        > lean.overall[("general", "service_level")][0]
    )
    again = SimulationEvaluator(p, 5, 11).evaluate(Plan(p.groups, np.array([[4, 5], [2, 2]])))
    assert again.overall == lean.overall


def test_frontier_costs_rise_with_the_service_level(scenario) -> None:
    table = frontier(scenario, service_levels=[0.6, 0.8, 0.95], evaluator="analytic")
    costs = table.drop_duplicates("point").set_index("point")["cost"]
    assert costs.is_monotonic_increasing and costs.iloc[-1] > costs.iloc[0]
    assert set(table["channel"]) == {"general", "cards"}


def test_cli_optimize_writes_a_plan_that_simulate_reads(tmp_path: Path, capsys) -> None:
    plan = tmp_path / "plan.yaml"
    code = main(
        ["optimize", str(SMALL), "--time-limit", "30", "--out", str(plan), "--format", "json"]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert json.loads(out)["feasible"] is True
    assert yaml.safe_load(plan.read_text())["staffsim_plan"] == 1
    assert main(["simulate", str(SMALL), "--plan", str(plan), "-n", "3"]) == 0
    assert "service_level" in capsys.readouterr().out


def test_cli_bad_options_exit_2_naming_the_option(capsys) -> None:
    assert main(["optimize", str(SMALL), "--time-limit", "-1", "--margin", "-2"]) == 2
    err = capsys.readouterr().err
    assert "--time-limit: must be > 0" in err and "--margin: must be >= 0" in err


def test_cli_frontier_analytic_table(capsys) -> None:
    code = main(
        ["frontier", str(SMALL), "--service-levels", "0.7", "0.9", "--evaluator", "analytic"]
    )
    assert code == 0
    out = capsys.readouterr().out
    assert "service-level target" in out and "70%" in out and "90%" in out
