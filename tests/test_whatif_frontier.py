"""What-ifs that mean what they say: a headcount change on a shift group applies once per
interval; the frontier names the target that limits the cost at each point and the cost
of each extra percentage point."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from optimizer.cli.frontier import format_table
from optimizer.frontier import binding_target, frontier
from simulator.errors import InputError
from simulator.scenario import Scenario
from simulator.whatif import Edit, apply_edits, editable_paths, staffing_profile

ROOT = Path(__file__).parent.parent
WEEK = ROOT / "scenarios" / "week.yaml"
DEFAULT = ROOT / "scenarios" / "default.yaml"


def _on_duty(scenario: Scenario, group: str) -> np.ndarray:
    profile = staffing_profile(scenario)
    return profile[profile.group == group].sort_values(["day", "interval"])["on_duty"].to_numpy()


@pytest.mark.parametrize("group", ["experts", "agents"])
def test_fewer_agents_on_a_shift_group_is_fewer_in_every_interval_once(group: str) -> None:
    """Two fewer on a group staffed by overlapping shifts: every interval of the week has
    exactly 2 fewer on duty than the shifts gave (rounded to whole agents, never below 0),
    where editing every shift line would remove 2 per overlapping shift."""
    week = Scenario.from_yaml(WEEK)
    before = np.round(_on_duty(week, group))
    fewer = apply_edits(week, [Edit(f"agent_groups.{group}.staffing", -2, op="add")])
    after = _on_duty(fewer, group)
    np.testing.assert_array_equal(after, np.maximum(before - 2, 0))
    # other groups keep their shifts untouched
    others = [g for g in week.agent_groups if g != group]
    for other in others:
        assert fewer.agent_groups[other].shifts == week.agent_groups[other].shifts
    # the per-shift edit is a different what-if: it removes more where shifts overlap
    per_shift = apply_edits(week, [Edit(f"agent_groups.{group}.shifts.*.count", -2, op="add")])
    assert (before - np.round(_on_duty(per_shift, group))).max() > 2


def test_headcount_multiply_on_a_shift_group_and_paths_offered() -> None:
    week = Scenario.from_yaml(WEEK)
    half = apply_edits(week, [Edit("agent_groups.experts.staffing", 0.5, op="multiply")])
    expected = np.round(np.round(_on_duty(week, "experts")) * 0.5)
    np.testing.assert_array_equal(_on_duty(half, "experts"), expected)
    assert "agent_groups.experts.staffing" in editable_paths(week)
    with pytest.raises(InputError, match=re.escape("agent_groups.nobody.staffing: unknown path")):
        apply_edits(week, [Edit("agent_groups.nobody.staffing", 1, op="add")])


def _verdict(entity, target, kpi, goal, mean, half, met):
    return {
        "entity": entity,
        "target": target,
        "kpi": kpi,
        "goal": goal,
        "mean": mean,
        "ci_low": mean - half,
        "ci_high": mean + half,
        "met": met,
    }


def test_binding_target_is_the_met_one_with_least_slack_or_the_worst_missed() -> None:
    """Slack in percentage points for shares, in 5% of the goal for times: abandonment
    1 pt inside its 5% limit binds before service level 3 pt above 80% and an ASA of 25 s
    against 30 s (1 unit of 1.5 s = 5% of 30 s is 3.3 units)."""
    rows = [
        _verdict(
            "general", "service level >= 80% within 20 s", "service_level", 0.8, 0.83, 0.01, True
        ),
        _verdict("general", "abandonment <= 5%", "abandon_rate", 0.05, 0.04, 0.002, True),
        _verdict("cards", "ASA <= 30 s", "asa_s", 30.0, 25.0, 1.0, True),
    ]
    result = SimpleNamespace(verdicts=pd.DataFrame(rows))
    assert binding_target(result) == "general: abandonment <= 5%"
    rows[2] = _verdict("cards", "ASA <= 30 s", "asa_s", 30.0, 31.0, 1.0, False)
    result = SimpleNamespace(verdicts=pd.DataFrame(rows))
    assert binding_target(result) == "cards: ASA <= 30 s"
    assert binding_target(SimpleNamespace(verdicts=pd.DataFrame())) == ""


def test_frontier_names_the_binding_target_and_the_cost_per_point() -> None:
    """Analytic frontier of the default scenario: the cost per point is the cost step over
    the target step in points; at a loose target the binding one is not the swept target
    (abandonment limits the cost, hence the flat stretch); sweeping one channel (--channel)
    reaches that channel's new target."""
    scenario = Scenario.from_yaml(DEFAULT)
    levels = [0.7, 0.8, 0.9]
    table = frontier(scenario, service_levels=levels, evaluator="analytic")
    points = table.drop_duplicates("point").set_index("point")
    assert np.isnan(points.loc[0.7, "cost_per_point"])
    for low, high in ((0.7, 0.8), (0.8, 0.9)):
        step = (points.loc[high, "cost"] - points.loc[low, "cost"]) / ((high - low) * 100)
        assert points.loc[high, "cost_per_point"] == pytest.approx(step, abs=0.01)
    assert points.loc[0.7, "binding"].split(": ")[0] in scenario.channels
    assert "service level >= 70%" not in points.loc[0.7, "binding"]
    one = frontier(scenario, service_levels=[0.95], channel="general", evaluator="analytic")
    sl = one.set_index("channel")["service_level"]
    assert sl["general"] >= 0.95 - 0.01
    assert one["binding"].iloc[0] != ""
    assert not {"blocked_rate", "callback_within_promise", "balk_rate"} & set(table.columns)


def test_a_frontier_over_finite_lines_reports_each_points_busy_signals() -> None:
    """A line with 14 trunks: each point of the frontier carries the plan's busy-signal
    share (what a stricter service level does to the lines, which can fill faster when
    more callers are served), within the analytic model's range; no callback or balking
    column for a scenario without them."""
    scenario = Scenario.from_dict(
        {
            "horizon": {"days": 1, "interval_minutes": 60, "open": "09:00", "close": "13:00"},
            "channels": {
                "calls": {
                    "arrivals": {"rate_per_hour": 120},
                    "handle_time": {"distribution": "exponential", "mean_seconds": 240},
                    "patience": {"distribution": "exponential", "mean_seconds": 120},
                    "lines": {"max_in_system": 14},
                    "targets": {"service_level": 0.8, "within_seconds": 20},
                }
            },
            "agent_groups": {"agents": {"cost_per_hour": 20, "skills": ["calls"], "staffing": 8}},
        }
    )
    table = frontier(scenario, service_levels=[0.7, 0.9], evaluator="analytic")
    assert "blocked_rate" in table and "callback_within_promise" not in table
    blocked = table.set_index("point")["blocked_rate"]
    assert ((blocked > 0) & (blocked < 0.2)).all()
    assert "busy signals" in format_table(table).splitlines()[0]  # the CLI's column
