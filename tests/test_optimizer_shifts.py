"""The shift program on small cases checked by hand, and shift plans end to end."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from optimizer import optimize
from optimizer.options import ShiftType
from optimizer.plan import Plan
from optimizer.problem import Problem
from optimizer.shifts import default_shift_types, patterns, solve_shifts
from simulator.model import compile_scenario
from simulator.scenario import Scenario


def centre(open_: str = "08:00", close: str = "16:00", days: int = 1, **group: Any) -> Scenario:
    """One call channel, one group, 60-minute intervals (the shift program only needs the
    horizon, the groups and their costs)."""
    return Scenario.from_dict(
        {
            "horizon": {"days": days, "interval_minutes": 60, "open": open_, "close": close},
            "channels": {
                "calls": {
                    "arrivals": {"rate_per_hour": 60},
                    "handle_time": {"distribution": "exponential", "mean_seconds": 180},
                    "targets": {"service_level": 0.8, "within_seconds": 20},
                }
            },
            "agent_groups": {
                "agents": {"cost_per_hour": 20, "skills": ["calls"], "staffing": 1, **group}
            },
        }
    )


def test_two_four_hour_shifts_cover_a_step_requirement_exactly() -> None:
    # 08-16, requirement 2 agents 08-12 and 3 agents 12-16; 4-hour shifts starting on the hour.
    # By hand: 2 x 08:00 and 3 x 12:00, 20 paid hours, cost 400; nothing else is as cheap.
    p = Problem.from_scenario(centre())
    req = np.array([[2, 2, 2, 2, 3, 3, 3, 3]])
    four = ShiftType(
        name="4h", hours=4, earliest_start="08:00", latest_start="12:00", start_step_minutes=60
    )
    sol = solve_shifts(p, req, (four,))
    assert sol.optimal
    assert sol.cost == pytest.approx(400.0)
    assert np.array_equal(sol.coverage, req)
    assert not sol.uncovered.any()
    lines = {(s.start, s.count) for s in sol.shifts["agents"]}
    assert lines == {("08:00", 2), ("12:00", 3)}


def test_overlapping_shifts_pick_the_cheapest_cover() -> None:
    # Requirement 1,1,2,2,2,2,1,1 with 4-hour shifts every hour from 08:00 to 12:00:
    # 08:00 + 10:00 + 12:00 covers it exactly (3 shifts, 12 paid hours); two shifts cannot
    # (the 4 middle hours need 2 agents, the ends 1 each: 10 agent-hours > 8).
    p = Problem.from_scenario(centre())
    req = np.array([[1, 1, 2, 2, 2, 2, 1, 1]])
    four = ShiftType(
        name="4h", hours=4, earliest_start="08:00", latest_start="12:00", start_step_minutes=60
    )
    sol = solve_shifts(p, req, (four,))
    assert sol.cost == pytest.approx(3 * 4 * 20)
    assert np.array_equal(sol.coverage, req)
    assert {s.start for s in sol.shifts["agents"]} == {"08:00", "10:00", "12:00"}


def test_unpaid_breaks_count_half_an_interval_and_are_not_paid() -> None:
    # One 8-hour shift from 08:00 with a 30-minute unpaid break after 4 h (12:00-12:30):
    # coverage 1 everywhere but 0.5 in the 12:00 interval; paid 7.5 h.
    p = Problem.from_scenario(centre())
    eight = ShiftType.model_validate(
        {
            "name": "8h",
            "hours": 8,
            "earliest_start": "08:00",
            "breaks": [{"after_minutes": 240, "minutes": 30}],
        }
    )
    (pattern,) = patterns(p, (eight,))
    assert pattern.paid_hours == pytest.approx(7.5)
    assert np.allclose(pattern.coverage, [1, 1, 1, 1, 0.5, 1, 1, 1])
    sol = solve_shifts(p, np.array([[1, 1, 1, 1, 0, 1, 1, 1]]), (eight,))
    assert sol.cost == pytest.approx(7.5 * 20)
    # The engine agrees: the same shift gives 7.5 paid hours and 0.5 agents at 12:00.
    plan = Plan(p.groups, sol.coverage, sol.shifts)
    model = compile_scenario(plan.apply(p.scenario))
    assert model.groups[0].paid_hours_total == pytest.approx(7.5)
    assert np.allclose(model.groups[0].paid_hours_per_interval, pattern.coverage)


def test_break_windows_let_the_program_stagger_breaks() -> None:
    # Two agents must be on duty all day; 8-hour shifts with a 60-minute break anywhere from
    # 3 to 4 hours in: without staggering a third agent would be needed at the break hour.
    p = Problem.from_scenario(centre(close="17:00"))
    eight = ShiftType.model_validate(
        {
            "name": "8h+1",
            "hours": 9,
            "earliest_start": "08:00",
            "breaks": [
                {
                    "after_minutes": 180,
                    "latest_after_minutes": 240,
                    "minutes": 60,
                    "step_minutes": 60,
                }
            ],
        }
    )
    req = np.array([[1] * 9])
    sol = solve_shifts(p, req, (eight,))
    assert not sol.uncovered.any()
    assert sol.cost == pytest.approx(2 * 8 * 20)  # two agents, breaks staggered


def test_requirements_no_shift_reaches_are_reported_not_hidden() -> None:
    p = Problem.from_scenario(centre())
    four = ShiftType(name="4h", hours=4, earliest_start="08:00")
    sol = solve_shifts(p, np.array([[1, 1, 1, 1, 1, 1, 1, 1]]), (four,))
    assert np.allclose(sol.uncovered, [[0, 0, 0, 0, 1, 1, 1, 1]])


def test_multi_day_shifts_merge_days_and_respect_max_count() -> None:
    p = Problem.from_scenario(centre(days=2))
    four = ShiftType(
        name="4h",
        hours=4,
        earliest_start="08:00",
        latest_start="12:00",
        start_step_minutes=240,
        max_count=2,
    )
    req = np.array([[2, 2, 2, 2, 1, 1, 1, 1] * 2])
    sol = solve_shifts(p, req, (four,))
    assert np.array_equal(sol.coverage, req)
    shifts = {(s.start, s.count, s.days) for s in sol.shifts["agents"]}
    assert shifts == {("08:00", 2, None), ("12:00", 1, None)}
    capped = solve_shifts(p, np.array([[3, 3, 3, 3, 1, 1, 1, 1] * 2]), (four,))
    assert np.allclose(capped.uncovered[0, :4], 1)


def test_default_shift_types_keep_lengths_and_breaks_and_free_the_starts() -> None:
    scenario = centre(
        staffing=None,
        shifts=[
            {
                "start": "08:00",
                "hours": 8,
                "count": 3,
                "breaks": [{"after_minutes": 240, "minutes": 30}],
            },
            {"start": "12:00", "hours": 4, "count": 1},
        ],
    )
    types = {t.hours: t for t in default_shift_types(scenario)}
    assert set(types) == {8, 4}
    # 8 h in an 08:00-16:00 day: only 08:00; 4 h: any hour from 08:00 to 12:00.
    assert (types[8].earliest_start, types[8].latest_start) == ("08:00", "08:00")
    assert types[8].breaks[0].after_minutes == 240
    assert types[4].start_seconds() == [h * 3600 for h in range(8, 13)]


def test_optimize_with_shift_types_returns_shifts_that_meet_the_targets() -> None:
    scenario = Scenario.from_yaml("scenarios/opt_small.yaml")
    two = ShiftType(name="2h", hours=2, earliest_start="09:00")
    one = ShiftType(
        name="1h", hours=1, earliest_start="09:00", latest_start="10:00", start_step_minutes=60
    )
    result = optimize(scenario, shift_types=(two, one), time_limit_seconds=30)
    assert result.plan.shifts is not None
    assert result.feasible, result.message
    # The plan's staffing is what its shifts put on duty, and the cost is their paid hours.
    model = compile_scenario(result.plan.apply(scenario))
    for g, group in enumerate(model.groups):
        assert np.allclose(group.paid_hours_per_interval, result.staffing.iloc[g].to_numpy())
    assert result.cost == pytest.approx(
        sum(g.paid_hours_total * g.cost_per_hour for g in model.groups)
    )
