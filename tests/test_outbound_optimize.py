"""The optimizer with outbound lists: it plans for the inbound targets while the dialer runs
(the simulation judges, so dialing agents are never counted as free inbound capacity), and
refuses what it cannot do (outbound targets; the analytic evaluator) naming the field."""

from __future__ import annotations

import pytest

from optimizer import optimize
from simulator.errors import InputError
from simulator.runner import simulate
from simulator.scenario import Scenario

BLENDED = "scenarios/blended_collections.yaml"


def test_a_verified_plan_meets_the_inbound_targets_with_the_dialer_running() -> None:
    scenario = Scenario.from_yaml(BLENDED)
    result = optimize(scenario, max_evaluations=8, replications=6, workers=1, seed=3)
    assert result.feasible, result.message
    assert result.kpis is not None and result.kpis.outbound_kpi("overdue", "connects") > 0
    # The plan, simulated on seeds nobody searched with, meets the inbound targets with the
    # list being dialled; the same plan judged without the dialer has slack it would not
    # have in the centre (what the analytic model alone would have planned on).
    planned = result.plan.apply(scenario)
    with_list = simulate(planned, 10, 99)
    assert with_list.verdicts().met.all(), with_list.verdicts()
    without = simulate(planned.with_changes({"outbound": None}), 10, 99)
    sl = "service_level"
    assert without.kpi("accounts", sl) > with_list.kpi("accounts", sl)


def test_outbound_targets_are_refused_naming_the_field() -> None:
    scenario = Scenario.from_yaml(BLENDED).with_changes(
        {"outbound.overdue.targets.min_list_completion": 0.5}
    )
    with pytest.raises(InputError, match=r"outbound\.overdue\.targets\.min_list_completion"):
        optimize(scenario, max_evaluations=2, workers=1)


def test_the_analytic_evaluator_is_refused_for_blended_teams() -> None:
    with pytest.raises(InputError, match=r"analytic.*outbound\.overdue"):
        optimize(Scenario.from_yaml(BLENDED), evaluator="analytic", workers=1)
