"""``optimize`` with the simulation evaluator on small scenarios (each simulation takes a few
milliseconds): the optimum against enumeration on the search seeds, verdicts that hold on
fresh seeds, honest statuses, reproducibility, the FCR target and the floor, the CLI."""

from __future__ import annotations

import importlib
import itertools
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from optimizer import frontier, optimize
from optimizer.evaluators import SimulationEvaluator
from optimizer.options import OptimizeOptions
from optimizer.patterns import build_decisions
from optimizer.problem import Problem
from optimizer.search import Budget, Search, judge
from optimizer.verify import Verification, verify
from simulator.cli import main
from simulator.plan import Plan
from simulator.runner import simulate
from simulator.scenario import Scenario
from simulator.targets import check_table, scenario_targets

optimize_module = importlib.import_module("optimizer.optimize")  # the module, not the function
ROOT = Path(__file__).resolve().parents[1]
SMALL = ROOT / "scenarios" / "opt_small.yaml"


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return Scenario.from_yaml(SMALL)


@pytest.fixture(scope="module")
def result(scenario: Scenario):
    return optimize(scenario)


def one_interval(box: tuple[int, int] = (14, 12), **group: Any) -> Scenario:
    """One 60-minute interval: 110 general calls (generalists, or card specialists when free)
    and 35 card calls (specialists), exponential times, headcounts within ``box``."""

    def channel(volume: float, aht: float, within: float) -> dict[str, Any]:
        return {
            "arrivals": {"volumes": [volume]},
            "handle_time": {"distribution": "exponential", "mean_seconds": aht},
            "patience": {"distribution": "exponential", "mean_seconds": 300},
            "targets": {"service_level": 0.8, "within_seconds": within, "max_abandon_rate": 0.05},
        }

    return Scenario.from_dict(
        {
            "horizon": {"days": 1, "interval_minutes": 60, "open": "09:00", "close": "10:00"},
            "channels": {"general": channel(110, 240, 20), "cards": channel(35, 300, 30)},
            "agent_groups": {
                "generalists": {
                    "cost_per_hour": 24,
                    "skills": ["general"],
                    "staffing": 1,
                    "max_headcount": box[0],
                },
                "card_specialists": {
                    "cost_per_hour": 30,
                    "skills": {"cards": {"handle_time_factor": 0.9}, "general": {}},
                    "staffing": 1,
                    "max_headcount": box[1],
                    **group,
                },
            },
            "routing": {"priorities": {"cards": 1, "general": 2}},
            "run": {"replications": 10, "seed": 31},
        }
    )


def test_the_search_finds_the_cheapest_plan_that_enumeration_finds_on_its_seeds() -> None:
    """Every plan in the headcount box simulated on the search's own seeds and replications,
    in increasing order of cost: the first that meets every target at the search's margin
    is the optimum, and the search must reach a plan of that cost."""
    scenario = one_interval()
    result = optimize(scenario, max_evaluations=30, replications=10)
    p = Problem.from_scenario(scenario)
    targets = scenario_targets(scenario)
    evaluator = SimulationEvaluator(p, 10, scenario.run.seed)
    plans = sorted(
        (np.array(c, dtype=float).reshape(2, 1) for c in itertools.product(range(15), range(13))),
        key=p.cost,
    )
    best = next(
        x for x in plans if judge(evaluator.evaluate(Plan(p.groups, x)).kpis, targets, 1.5)[0]
    )
    searched = [h["cost"] for h in result.history if h["feasible"] and h["phase"] != "verify"]
    assert min(searched) == pytest.approx(p.cost(best)), (best, result.staffing)
    assert result.cost == pytest.approx(p.cost(best))  # and verification kept it


def test_a_feasible_plan_holds_up_on_seeds_nobody_searched_with(scenario, result) -> None:
    assert result.feasible and result.status == "feasible"
    settings = result.settings
    assert settings["seed"] not in settings["verify_seeds"]
    assert result.kpis is not None and result.kpis.seed in settings["verify_seeds"]
    assert result.verdicts["met"].all() and result.targets["met"].all()
    # A third set of seeds, 40 replications: the mean meets every target (margin 0).
    fresh = simulate(result.plan.apply(scenario), 40, 987_654)
    table = check_table(fresh.kpi_summary, scenario_targets(scenario), margin=0.0)
    assert table["met"].all(), table[~table["met"]]


def test_the_plan_is_not_padded(scenario, result) -> None:
    """One agent fewer anywhere misses a target on the search seeds at the search margin,
    or is a plan the search judged and rejected: the plan is locally the cheapest."""
    p = Problem.from_scenario(scenario)
    evaluator = SimulationEvaluator(p, 20, scenario.run.seed)
    targets = scenario_targets(scenario)
    x = result.plan.staffing.astype(float)
    for g, k in itertools.product(range(p.n_groups), range(p.n_intervals)):
        if x[g, k] == 0:
            continue
        y = x.copy()
        y[g, k] -= 1
        assert not judge(evaluator.evaluate(Plan(p.groups, y)).kpis, targets, 1.5)[0], (g, k)


def test_same_scenario_and_seed_give_the_same_plan_whatever_the_workers(scenario) -> None:
    one = optimize(scenario, workers=1)
    two = optimize(scenario, workers=2)
    assert np.array_equal(one.plan.staffing, two.plan.staffing)
    assert one.cost == two.cost and one.status == two.status
    assert [h["cost"] for h in one.history] == [h["cost"] for h in two.history]


def test_a_plan_that_fails_verification_and_cannot_be_repaired_is_never_feasible(
    scenario,
) -> None:
    """The plan's headcounts are the upper bounds and verification demands 4 CI half-widths:
    it fails on fresh seeds, no repair can add an agent, and the result says so - the same
    plan is not re-rolled on another seed until it passes."""
    result = optimize(scenario)
    top = result.plan.staffing.max(axis=1).astype(int)
    capped = scenario.with_changes(
        {
            "agent_groups.generalists.max_headcount": int(top[0]),
            "agent_groups.card_specialists.max_headcount": int(top[1]),
        }
    )
    p = Problem.from_scenario(capped)
    decisions = build_decisions(p, "auto")
    decisions = decisions.__class__(
        **{**decisions.__dict__, "upper": result.plan.staffing.ravel().astype(float)}
    )
    evaluator = SimulationEvaluator(p, 20, capped.run.seed)
    search = Search(
        decisions, scenario_targets(capped), evaluator, margin=1.0, budget=Budget(5, None)
    )
    outcome = verify(
        search, result.plan.staffing.ravel(), seeds=[11, 12, 13], replications=40, rule_margin=4.0
    )
    assert not outcome.passed and outcome.stopped == "no repair"
    assert len(outcome.rounds) == 1  # never the same plan on a second seed


def test_optimize_reports_a_failed_verification_as_unverified(scenario, monkeypatch) -> None:
    def failing(search, x, *, seeds, replications, rule_margin):
        ev = search.evaluator.evaluate(
            search.d.plan_of(x), replications=replications, seed=seeds[0]
        )
        return Verification(x, search.d.coverage_of(x), ev, False, ({"round": 1},), "no repair")

    monkeypatch.setattr(optimize_module, "verify", failing)
    result = optimize(scenario)
    assert result.status == "unverified" and not result.feasible
    assert "not on fresh seeds" in result.message


def test_unreachable_targets_return_the_closest_plan_with_what_is_unmet(scenario) -> None:
    tight = scenario.with_changes(
        {
            "agent_groups.generalists.max_headcount": 3,
            "agent_groups.card_specialists.max_headcount": 2,
        }
    )
    result = optimize(tight, max_evaluations=10)
    assert not result.feasible and result.status == "infeasible"
    unmet = result.unmet
    assert {"general"} <= set(unmet["entity"])
    assert (unmet["shortfall"] > 0).all()
    assert (result.staffing.to_numpy() <= [[3], [2]]).all()
    assert "short by" in result.message


def test_a_time_limit_cut_says_so(scenario) -> None:
    result = optimize(scenario, time_limit_seconds=1e-6)
    assert result.status == "time_limit" and result.settings["cut_by_time_limit"]
    assert "time limit" in result.message


def test_ctrl_c_returns_the_best_plan_so_far(scenario) -> None:
    calls = []

    def progress(info: dict) -> None:
        calls.append(info)
        if info["evaluations"] >= 2:
            raise KeyboardInterrupt

    result = optimize(scenario, progress=progress)
    assert result.status == "interrupted" and not result.feasible
    assert result.plan is not None and result.cost > 0
    assert len(calls) >= 2


def fcr_centre(**overrides: Any) -> Scenario:
    """One call line: juniors (20/h, FCR 0.6) and seniors (30/h, FCR 0.85), min FCR 75%."""
    data = {
        "horizon": {"days": 1, "interval_minutes": 60, "open": "09:00", "close": "12:00"},
        "channels": {
            "calls": {
                "arrivals": {"volumes": [90, 120, 100]},
                "handle_time": {"distribution": "exponential", "mean_seconds": 240},
                "patience": {"distribution": "exponential", "mean_seconds": 300},
                "targets": {"service_level": 0.8, "within_seconds": 20, "min_fcr": 0.75},
            }
        },
        "agent_groups": {
            "juniors": {"cost_per_hour": 20, "skills": {"calls": {"fcr": 0.6}}, "staffing": 5},
            "seniors": {"cost_per_hour": 30, "skills": {"calls": {"fcr": 0.85}}, "staffing": 5},
        },
        "run": {"replications": 20, "seed": 5},
    }
    return Scenario.from_dict(data).with_changes(overrides)


def test_a_min_fcr_target_mixes_groups_and_beats_an_all_senior_plan() -> None:
    result = optimize(fcr_centre())
    assert result.feasible, result.message
    fcr = result.verdicts[result.verdicts["kpi"] == "fcr"].iloc[0]
    assert fcr["mean"] >= 0.75
    seniors_only = optimize(fcr_centre(**{"agent_groups.juniors.max_headcount": 0}))
    assert seniors_only.feasible
    assert result.cost < seniors_only.cost
    assert result.staffing.loc["juniors"].sum() > 0  # the cheap group is used where it may
    # Without the FCR target juniors alone would do: the target is what brings seniors in.
    free = optimize(fcr_centre(**{"channels.calls.targets.min_fcr": None}))
    assert free.kpis is not None and free.kpis.kpi("calls", "fcr") < 0.75


def floor_centre(floor: float | None) -> Scenario:
    """A 6-hour day with a busy morning and a quiet afternoon, one group, SL 80/20 judged
    over the day; ``floor``: the per-interval floor (None = default, 0 = off)."""
    targets: dict[str, Any] = {"service_level": 0.8, "within_seconds": 20}
    if floor is not None:
        targets["min_interval_service_level"] = floor
    return Scenario.from_dict(
        {
            "horizon": {"days": 1, "interval_minutes": 60, "open": "08:00", "close": "14:00"},
            "channels": {
                "calls": {
                    "arrivals": {"volumes": [200, 220, 180, 40, 30, 30]},
                    "handle_time": {"distribution": "exponential", "mean_seconds": 180},
                    "patience": {"distribution": "exponential", "mean_seconds": 240},
                    "targets": targets,
                }
            },
            "agent_groups": {"team": {"cost_per_hour": 20, "skills": ["calls"], "staffing": 5}},
            "run": {"replications": 20, "seed": 17},
        }
    )


def test_the_floor_holds_in_every_interval_and_is_what_stops_starving_one() -> None:
    free = optimize(floor_centre(0.0))
    sl = free.kpis.kpi_summary.intervals[("calls", "service_level")][0]
    assert free.feasible and np.nanmin(sl) < 0.6  # the day's average bought with a starved hour
    floored = optimize(floor_centre(0.6))
    assert floored.feasible, floored.message
    rows = floored.targets[floored.targets["field"].str.endswith("min_interval_service_level")]
    assert len(rows) == 6 and rows["met"].all() and (rows["mean"] >= 0.6).all()
    assert floored.cost > free.cost


def test_common_random_numbers_give_every_plan_the_same_customers(scenario) -> None:
    p = Problem.from_scenario(scenario)
    evaluator = SimulationEvaluator(p, 5, 11)
    lean = evaluator.evaluate(Plan(p.groups, np.array([[4, 5], [2, 2]])))
    rich = evaluator.evaluate(Plan(p.groups, np.array([[9, 9], [5, 5]])))
    # Card calls never redial: the offered calls are the customers themselves.
    assert np.array_equal(
        lean.kpis.intervals[("cards", "offered")][0], rich.kpis.intervals[("cards", "offered")][0]
    )
    sl = ("general", "service_level")
    assert rich.kpis.overall[sl][0] > lean.kpis.overall[sl][0]
    again = SimulationEvaluator(p, 5, 11).evaluate(Plan(p.groups, np.array([[4, 5], [2, 2]])))
    assert again.kpis.overall == lean.kpis.overall


def test_frontier_costs_rise_with_the_service_level(scenario) -> None:
    table = frontier(scenario, service_levels=[0.6, 0.8, 0.95], evaluator="analytic")
    costs = table.drop_duplicates("point").set_index("point")["cost"]
    assert costs.is_monotonic_increasing and costs.iloc[-1] > costs.iloc[0]
    assert set(table["channel"]) == {"general", "cards"}


def test_cli_optimize_writes_a_plan_and_a_schedule_that_simulate_reads(
    tmp_path: Path, capsys
) -> None:
    plan, schedule = tmp_path / "plan.yaml", tmp_path / "plan.csv"
    code = main(
        [
            "optimize",
            str(SMALL),
            "--out",
            str(plan),
            "--schedule",
            str(schedule),
            "--format",
            "json",
        ]
    )
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["feasible"] is True and out["status"] == "feasible"
    assert yaml.safe_load(plan.read_text())["staffsim_plan"] == 1
    assert schedule.read_text().splitlines()[0] == "interval,generalists,card_specialists"
    assert main(["simulate", str(SMALL), "--plan", str(plan), "-n", "3"]) == 0
    text = capsys.readouterr().out
    assert "general: service level >= 80% within 20 s" in text


def test_cli_refuses_bad_options_and_unwritable_outputs_before_searching(
    tmp_path: Path, capsys
) -> None:
    assert main(["optimize", str(SMALL), "--time-limit", "nan", "--margin", "-2"]) == 2
    err = capsys.readouterr().err
    assert "--time-limit: must be a number > 0, got nan" in err
    assert "--margin: must be between 0 and 5" in err
    folder = tmp_path / "a-folder"
    folder.mkdir()
    assert main(["optimize", str(SMALL), "--out", str(folder)]) == 2
    assert "--out" in capsys.readouterr().err


def test_an_old_options_file_with_targets_is_refused_with_where_they_moved(tmp_path: Path) -> None:
    options = tmp_path / "opt.yaml"
    options.write_text("optimizer:\n  min_fcr: {general: 0.7}\n  time_limit_seconds: 10\n")
    from simulator.errors import InputError

    with pytest.raises(InputError, match=r"moved to channels\.<channel>\.targets\.min_fcr"):
        OptimizeOptions.from_yaml(options)
