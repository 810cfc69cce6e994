"""Shift patterns and the shift program on small cases checked by hand, weekly rules, and a
shift plan end to end."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from optimizer import optimize
from optimizer.master import cover
from optimizer.patterns import build_decisions, shift_types_of
from optimizer.problem import Problem
from optimizer.search import _neighbours, _tour_moves, _within_rules
from simulator.errors import InputError
from simulator.model import compile_scenario
from simulator.scenario import Scenario


def centre(
    open_: str = "08:00",
    close: str = "16:00",
    days: int = 1,
    types: list[dict[str, Any]] | None = None,
    groups: dict[str, Any] | None = None,
    open_min: int = 0,
    **group: Any,
) -> Scenario:
    """One call channel, one group (or ``groups``), 60-minute intervals (the shift program
    only needs the horizon, the groups, their costs and the shift types). The channel may
    go unstaffed (``min_agents_while_open: 0``): these cases check the program against the
    requirement alone; ``test_an_open_line_is_never_left_with_nobody_on_duty`` the rule."""
    base = {"cost_per_hour": 20, "skills": ["calls"], "staffing": 1, **group}
    return Scenario.from_dict(
        {
            "horizon": {"days": days, "interval_minutes": 60, "open": open_, "close": close},
            "channels": {
                "calls": {
                    "arrivals": {"rate_per_hour": 60},
                    "handle_time": {"distribution": "exponential", "mean_seconds": 180},
                    "targets": {"service_level": 0.8, "within_seconds": 20},
                    "min_agents_while_open": open_min,
                }
            },
            "agent_groups": groups or {"agents": base},
            "shift_types": types or [],
        }
    )


FOUR = {
    "name": "4h",
    "hours": 4,
    "earliest_start": "08:00",
    "latest_start": "12:00",
    "start_step_minutes": 60,
}


def solve(scenario: Scenario, requirement: list[list[float]]):
    d = build_decisions(Problem.from_scenario(scenario), "auto")
    return d, cover(d, np.array(requirement, dtype=float))


def test_two_four_hour_shifts_cover_a_step_requirement_exactly() -> None:
    # 08-16, requirement 2 agents 08-12 and 3 agents 12-16; 4-hour shifts starting on the hour.
    # By hand: 2 x 08:00 and 3 x 12:00, 20 paid hours, cost 400; nothing else is as cheap.
    d, sol = solve(centre(types=[FOUR]), [[2, 2, 2, 2, 3, 3, 3, 3]])
    assert sol.cost == pytest.approx(400.0)
    assert np.array_equal(sol.y, [[2, 2, 2, 2, 3, 3, 3, 3]])
    table = d.schedule(sol.x)
    assert {(r.start, r.end, r.agents) for r in table.itertuples()} == {
        ("08:00", "12:00", 2),
        ("12:00", "16:00", 3),
    }


def test_overlapping_shifts_pick_the_cheapest_cover() -> None:
    # Requirement 1,1,2,2,2,2,1,1 with 4-hour shifts every hour from 08:00 to 12:00:
    # 08:00 + 10:00 + 12:00 covers it exactly (3 shifts, 12 paid hours); two shifts cannot
    # (the 4 middle hours need 2 agents, the ends 1 each: 10 agent-hours > 8).
    d, sol = solve(centre(types=[FOUR]), [[1, 1, 2, 2, 2, 2, 1, 1]])
    assert sol.cost == pytest.approx(3 * 4 * 20)
    assert np.array_equal(sol.y, [[1, 1, 2, 2, 2, 2, 1, 1]])
    assert set(d.schedule(sol.x)["start"]) == {"08:00", "10:00", "12:00"}


def test_unpaid_breaks_count_half_an_interval_and_are_not_paid_paid_ones_are() -> None:
    # One 8-hour shift from 08:00 with a 30-minute break after 4 h (12:00-12:30): coverage 1
    # everywhere but 0.5 at 12:00; unpaid: 7.5 paid hours, paid: 8.
    for paid, hours in ((False, 7.5), (True, 8.0)):
        eight = {
            "name": "8h",
            "hours": 8,
            "earliest_start": "08:00",
            "breaks": [{"after_minutes": 240, "minutes": 30, "paid": paid}],
        }
        d, sol = solve(centre(types=[eight]), [[1, 1, 1, 1, 0, 1, 1, 1]])
        assert sol.cost == pytest.approx(hours * 20)
        assert np.allclose(sol.y, [[1, 1, 1, 1, 0.5, 1, 1, 1]])
        # The engine agrees on the plan: the same paid hours, the same agents on duty.
        plan = d.plan_of(sol.x)
        model = compile_scenario(plan.apply(d.problem.scenario))
        assert model.groups[0].paid_hours_total == pytest.approx(hours)
        assert np.allclose(model.groups[0].paid_hours_per_interval, sol.y[0])
        assert plan.cost(d.problem.scenario) == pytest.approx(hours * 20)


def test_break_windows_let_the_program_stagger_breaks() -> None:
    # One agent on duty all day 08-17; 9-hour shifts with a 60-minute break anywhere from 3
    # to 4 hours in: staggering lets two agents cover every hour (one of them on a break at
    # 11:00, the other at 12:00); with a fixed break they would leave one hour half-empty.
    brk = {"after_minutes": 180, "latest_after_minutes": 240, "minutes": 60, "step_minutes": 60}
    nine = {"name": "9h", "hours": 9, "earliest_start": "08:00", "breaks": [brk]}
    d, sol = solve(centre(close="17:00", types=[nine]), [[1] * 9])
    assert sol.cost == pytest.approx(2 * 8 * 20)  # two agents, 8 paid hours each
    assert (sol.y >= 1 - 1e-9).all()
    assert sorted(d.schedule(sol.x)["breaks"]) == ["11:00-12:00", "12:00-13:00"]


def test_requirements_no_shift_reaches_make_the_program_infeasible() -> None:
    # 4-hour shifts that all start at 08:00 cannot staff 12:00-16:00.
    four = {"name": "4h", "hours": 4, "earliest_start": "08:00"}
    _, sol = solve(centre(types=[four]), [[1] * 8])
    assert sol is None


def test_max_agents_caps_a_shift_type_per_day() -> None:
    four = {**FOUR, "start_step_minutes": 240, "max_agents": 3}
    d, sol = solve(centre(days=2, types=[four]), [[2, 2, 2, 2, 1, 1, 1, 1] * 2])
    assert np.array_equal(sol.y, [[2, 2, 2, 2, 1, 1, 1, 1] * 2])
    plan = d.plan_of(sol.x)
    lines = {(s.start, s.count, s.days) for s in plan.shifts["agents"]}
    assert lines == {("08:00", 2, None), ("12:00", 1, None)}  # merged over both days
    _, capped = solve(centre(days=2, types=[four]), [[3, 3, 3, 3, 1, 1, 1, 1] * 2])
    assert capped is None  # 3 + 1 agents a day > max_agents 3


def test_groups_substitute_in_the_coverage_rows_only_per_group() -> None:
    # Two groups, each with its own requirement: the program covers each group's rows with
    # that group's shifts only, at that group's cost (juniors 20/h, seniors 30/h).
    groups = {
        "juniors": {"cost_per_hour": 20, "skills": ["calls"], "staffing": 1},
        "seniors": {"cost_per_hour": 30, "skills": ["calls"], "staffing": 1},
    }
    d, sol = solve(centre(types=[FOUR], groups=groups), [[2] * 8, [1, 1, 1, 1, 0, 0, 0, 0]])
    assert sol.cost == pytest.approx(2 * 2 * 4 * 20 + 4 * 30)
    table = d.schedule(sol.x)
    assert set(table[table["group"] == "seniors"]["start"]) == {"08:00"}


def test_weekly_rule_five_on_two_off_builds_seven_patterns_and_links_the_days() -> None:
    # A 7-day horizon, one 8-hour type worked 5 days a week with 2 consecutive days off:
    # 7 weekly patterns; covering 1 agent every day needs 7 agent-days, i.e. 2 agents (10
    # agent-days: two patterns overlap on 3 days), cost 2 x 5 x 8 x 20.
    eight = {"name": "8h", "hours": 8, "earliest_start": "08:00", "days_per_week": 5}
    d, sol = solve(centre(days=7, types=[eight]), [[1] * 8 * 7])
    tours = [v for v in d.variables if v.kind == "tour"]
    assert len(tours) == 7
    assert all(len(v.days) == 5 for v in tours)
    assert sol.cost == pytest.approx(2 * 5 * 8 * 20)
    worked = d.tours(sol.x)
    assert worked["agents"].sum() == 2
    days = [set(map(int, r.days.replace("d", "").split())) for r in worked.itertuples()]
    assert set().union(*days) == set(range(7))  # every day staffed, by weekly patterns


def test_derived_shift_types_keep_lengths_and_breaks_and_free_the_starts() -> None:
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
    types, source = shift_types_of(scenario)
    assert "derived" in source
    by_hours = {t.hours: t for t in types}
    assert set(by_hours) == {8, 4}
    # 8 h in an 08:00-16:00 day: only 08:00; 4 h: any hour from 08:00 to 12:00.
    assert (by_hours[8].earliest_start, by_hours[8].latest_start) == ("08:00", "08:00")
    assert by_hours[8].breaks[0].after_minutes == 240
    assert by_hours[4].start_seconds() == [h * 3600 for h in range(8, 13)]


def test_shift_type_rules_are_validated_with_the_field_named() -> None:
    with pytest.raises(InputError) as err:
        centre(types=[{**FOUR, "days": []}])
    assert "shift_types.0: days: is empty" in "\n".join(err.value.problems)
    bad = [{**FOUR, "groups": ["nobody"]}, {**FOUR, "name": "4h", "days": [0, 5]}]
    with pytest.raises(InputError) as err:
        centre(types=bad)
    text = "\n".join(err.value.problems)
    assert "shift_types.0.groups: unknown agent group 'nobody'" in text
    assert "shift_types.1.name: '4h' is used by another shift type" in text
    assert "shift_types.1.days: day 5 is outside the horizon" in text


def test_optimize_with_shift_types_returns_shifts_that_meet_the_targets() -> None:
    # The two-interval test centre with 1- and 2-hour shifts for both groups.
    scenario = Scenario.from_yaml("scenarios/opt_small.yaml").with_changes(
        {
            "shift_types": [
                {"name": "2h", "hours": 2, "earliest_start": "09:00"},
                {
                    "name": "1h",
                    "hours": 1,
                    "earliest_start": "09:00",
                    "latest_start": "10:00",
                    "start_step_minutes": 60,
                },
            ]
        }
    )
    result = optimize(scenario, max_evaluations=12)
    assert result.plan.shifts is not None and len(result.schedule)
    assert result.feasible, result.message
    # The plan's staffing is what its shifts put on duty, the cost their paid hours, and the
    # schedule lists those shifts.
    model = compile_scenario(result.plan.apply(scenario))
    for g, group in enumerate(model.groups):
        assert np.allclose(group.paid_hours_per_interval, result.staffing.iloc[g].to_numpy())
    assert result.cost == pytest.approx(
        sum(g.paid_hours_total * g.cost_per_hour for g in model.groups)
    )
    assert result.schedule["paid_hours"].sum() == pytest.approx(
        sum(g.paid_hours_total for g in model.groups)
    )
    assert result.lower_bound is not None and result.lower_bound["cost"] > 0


def _benchmark_instances():
    """``benchmarks/optimize.py``'s small shift instances (one definition for both)."""
    path = Path(__file__).resolve().parents[1] / "benchmarks" / "optimize.py"
    spec = importlib.util.spec_from_file_location("benchmark_optimize", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_two_group_optimum_needs_a_long_shift_split_into_short_cheaper_ones() -> None:
    """The benchmark's two-group instance. Simulating every combination of shift counts
    (0-10 each) on the search seeds in increasing order of cost
    (``benchmarks/optimize.py --part small``) finds the optimum at 1,392: 8 specialists on
    4-hour shifts, 1 generalist on a 4-hour shift, generalists' 2-hour shifts 1 at 09:00 and
    6 at 10:00. Single moves stop at 1,416 (9 specialists, 5 generalists at 10:00); only
    trading one specialist's 4 hours for two generalists' 2-hour shifts reaches it."""
    bench = _benchmark_instances()
    name, two, volumes, seed = bench.SMALL[2]
    scenario = bench.small_instance(name, two_groups=two, volumes=volumes, seed=seed)
    result = optimize(scenario, margin=1.5, replications=10, max_evaluations=40)
    shift_plans = [
        h["cost"]
        for h in result.history
        if h["feasible"] and h["phase"] in ("search", "polish")  # not the per-interval bound
    ]
    assert min(shift_plans) == pytest.approx(1392.0), result.schedule
    assert result.feasible and result.cost == pytest.approx(1392.0), result.message


def test_polish_moves_on_weekly_tours_keep_the_week_whole() -> None:
    # On 5-on/2-off tours every single move (one shift fewer on one day) breaks the link
    # between a day's shifts and the tours working it; the polish's tour moves take one
    # agent off a tour and one shift off each of its days, so they obey every rule and
    # save the tour's five paid shifts.
    eight = {"name": "8h", "hours": 8, "earliest_start": "08:00", "latest_start": "08:00"}
    four = {"name": "4h", "hours": 4, "earliest_start": "08:00", "start_step_minutes": 240}
    types = [{**eight, "days_per_week": 5}, {**four, "name": "4h", "days_per_week": 5}]
    d, sol = solve(centre(days=7, types=types), [[3] * 8 * 7])
    x = np.rint(sol.x)
    singles = [z for z in _neighbours(d, x) if _within_rules(d, z)]
    assert not [z for z in singles if d.cost_of(z) < d.cost_of(x) - 1e-9]
    moves = _tour_moves(d, x)
    tours_on = sum(1 for j in np.flatnonzero(x) if d.variables[j].kind == "tour")
    assert len(moves) >= tours_on
    for z in moves:
        assert _within_rules(d, z)
        saved = d.cost_of(x) - d.cost_of(z)
        assert saved in (pytest.approx(5 * 8 * 20), pytest.approx(5 * 4 * 20))


def test_a_bound_search_that_finds_nothing_cheaper_says_the_gap_is_not_measured() -> None:
    # The per-interval search only re-confirmed the shift plan's own coverage (the nearest
    # cheaper plan missed): reporting "gap +0.0%" would claim the shift rules cost nothing.
    from optimizer.result import bound_text

    found = {"cost": 76028.25, "met": True, "cheaper_found": True, "gap": 0.0472, "evaluations": 14}
    assert bound_text(found) == "per-interval plan (lower bound) 76,028.25, gap +4.7%"
    none = {**found, "cost": 73675.5, "met": False, "cheaper_found": False, "gap": float("nan")}
    text = bound_text(none)
    assert "not measured" in text and "gap +" not in text and "73,675.50, missed" in text


def test_an_open_line_is_never_left_with_nobody_on_duty() -> None:
    """``min_agents_while_open`` (1 unless the scenario says otherwise): an interval the
    requirement leaves at 0 still gets one agent while the line is open, and a shift's
    break is covered by a second shift rather than leaving the line empty."""
    scenario = centre(open_min=1)
    _, sol = solve(scenario, [[2, 2, 0, 2, 2, 2, 2, 0]])
    assert sol.y.min() >= 1
    assert sol.cost == pytest.approx(8 * 20 + 6 * 20)  # 1 agent all day, a 2nd where needed
    two = centre(open_min=2)
    assert solve(two, [[0] * 8])[1].y.min() >= 2
    brk = {"after_minutes": 180, "latest_after_minutes": 240, "minutes": 60, "step_minutes": 60}
    nine = {"name": "9h", "hours": 9, "earliest_start": "08:00", "breaks": [brk]}
    need = [[1, 1, 1, 0, 0, 1, 1, 1, 1]]  # one agent; the break can fall at 11:00 or 12:00
    for open_min, agents in ((0, 1), (1, 2)):
        _, sol = solve(centre(close="17:00", types=[nine], open_min=open_min), need)
        assert sol.cost == pytest.approx(agents * 8 * 20)
    assert (sol.y >= 1 - 1e-9).all()  # two agents, breaks staggered: nobody leaves it empty


def test_an_opening_rule_the_headcount_cannot_reach_is_refused_naming_the_field() -> None:
    """Two agents on duty while open, at most one employed: refused before any search, the
    field and the first interval named; email has no opening to staff and refuses it."""
    with pytest.raises(InputError, match=r"channels\.calls\.min_agents_while_open.*08:00"):
        Problem.from_scenario(centre(open_min=2, max_headcount=1))
    data = centre().model_dump(mode="json", exclude_none=True)
    data["channels"]["calls"] |= {"kind": "email", "promise_hours": 24}
    data["channels"]["calls"].pop("targets")
    with pytest.raises(InputError, match="min_agents_while_open applies to real-time"):
        Scenario.from_dict(data)


def test_an_open_line_served_by_two_groups_needs_one_of_either() -> None:
    """Two groups answer the line: the rule is one row over both (either may be there, the
    cheaper one is), not a floor on each; per-interval staffing, nothing else required."""
    groups = {
        "juniors": {"cost_per_hour": 20, "skills": ["calls"], "staffing": 1},
        "seniors": {"cost_per_hour": 30, "skills": ["calls"], "staffing": 1},
    }
    d, sol = solve(centre(groups=groups, open_min=1), [[0] * 8, [0] * 8])
    assert d.rows.matrix.shape[0] == 8 and not d.cover_lower.any()
    assert np.array_equal(sol.y, [[1] * 8, [0] * 8])  # the cheaper group, every hour
    assert sol.cost == pytest.approx(8 * 20)
