"""Plan files: written by the optimizer, read back by ``simulate --plan``, bad ones named."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from simulator.errors import InputError
from simulator.model import compile_scenario
from simulator.plan import Plan, apply_plan, apply_plan_file, plan_from_dict, plan_from_scenario
from simulator.scenario import Scenario, Shift

SMALL = Path(__file__).resolve().parents[1] / "scenarios" / "opt_small.yaml"


@pytest.fixture()
def scenario() -> Scenario:
    return Scenario.from_yaml(SMALL)


def test_a_plan_round_trips_through_its_file(scenario: Scenario, tmp_path: Path) -> None:
    plan = Plan(("generalists", "card_specialists"), np.array([[7, 9], [3, 4]]))
    path = tmp_path / "plan.yaml"
    path.write_text(plan.to_yaml(scenario, feasible=True))
    data = yaml.safe_load(path.read_text())
    assert data["staffsim_plan"] == 1 and data["cost"] == pytest.approx(plan.cost(scenario))
    staffed = apply_plan_file(scenario, path)
    assert staffed.agent_groups["generalists"].staffing == (7, 9)
    assert staffed.agent_groups["card_specialists"].staffing == (3, 4)
    # Everything else is the scenario's own.
    assert staffed.channels == scenario.channels
    assert plan.cost(scenario) == pytest.approx((7 + 9) * 24 + (3 + 4) * 30)


def test_shift_plans_apply_as_shifts_and_cost_their_paid_hours(scenario: Scenario) -> None:
    shifts = {"generalists": (Shift(start="09:00", hours=2, count=5),)}
    plan = Plan(("generalists", "card_specialists"), np.array([[5, 5], [2, 2]]), shifts)
    staffed = apply_plan(scenario, plan)
    assert staffed.agent_groups["generalists"].staffing is None
    assert staffed.agent_groups["generalists"].shifts == shifts["generalists"]
    model = compile_scenario(staffed)
    assert model.groups[0].paid_hours_total == pytest.approx(10)
    assert plan.cost(scenario) == pytest.approx(10 * 24 + 4 * 30)
    # The file form of the same plan gives the same scenario.
    again = plan_from_dict(scenario, plan.to_dict(scenario))
    assert again.apply(scenario) == staffed
    assert np.allclose(plan_from_scenario(staffed).staffing, [[5, 5], [2, 2]])


def test_bad_plan_files_list_every_problem(scenario: Scenario) -> None:
    data = {
        "staffsim_plan": 1,
        "interval_minutes": 30,
        "agent_groups": {
            "generalist": {"staffing": [1, 2]},
            "generalists": {"staffing": [1, 2, 3]},
            "card_specialists": {"staffing": [1, -2]},
        },
    }
    with pytest.raises(InputError) as err:
        plan_from_dict(scenario, data)
    text = "\n".join(err.value.problems)
    assert "interval_minutes" in text
    assert "agent_groups.generalist: unknown agent group" in text
    assert "generalists.staffing: day 0: 3 values given, a day has 2" in text
    assert "card_specialists.staffing[1]: must be a whole number >= 0" in text


def test_missing_or_malformed_plan_file_is_an_input_error(
    scenario: Scenario, tmp_path: Path
) -> None:
    with pytest.raises(InputError, match="no such file"):
        apply_plan_file(scenario, tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("agent_groups: [1, 2")
    with pytest.raises(InputError, match="malformed YAML"):
        apply_plan_file(scenario, bad)
