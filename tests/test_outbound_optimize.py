"""The optimizer with outbound lists: it plans for the inbound targets while the dialer runs
(the simulation judges, so dialing agents are never counted as free inbound capacity), and
searches for the outbound targets (dialing capacity in its master program,
:mod:`optimizer.outbound`), and refuses what it cannot do (an unreachable connects target;
the analytic evaluator) naming the field."""

from __future__ import annotations

import dataclasses
import io
import math

import numpy as np
import pytest

from optimizer import optimize
from simulator.errors import InputError
from simulator.runner import simulate
from simulator.scenario import Scenario

BLENDED = "scenarios/blended_collections.yaml"
TWO_LISTS = "scenarios/blended_two_lists.yaml"


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


def test_a_list_completion_target_is_searched_for_and_met_on_fresh_seeds() -> None:
    # The file's staffing completes about 59% of the list: the optimizer must find more
    # dialing capacity, and no more than the target needs.
    scenario = Scenario.from_yaml(BLENDED).with_changes(
        {"outbound.overdue.targets.min_list_completion": 0.8}
    )
    assert simulate(scenario, 6, 99).outbound_kpi("overdue", "list_completion") < 0.8
    result = optimize(scenario, max_evaluations=24, replications=6, workers=1, seed=3)
    assert result.feasible, result.message
    planned = result.plan.apply(scenario)
    fresh = simulate(planned, 10, 99)
    assert fresh.verdicts().met.all(), fresh.verdicts()  # inbound targets and the list's
    assert fresh.outbound_kpi("overdue", "list_completion") >= 0.8
    # Cheaper than the file's staffing with one more collector (the dialing group) in
    # every interval, which still misses the list.
    padded = scenario.with_changes({"agent_groups.collectors.staffing": 13})
    assert not simulate(padded, 10, 99).verdicts().met.all()
    assert result.cost < 13 * 28 * 10 + 4 * 36 * 10  # the padded file staffing: 5,080
    assert fresh.outbound_kpi("overdue", "list_completion") < 0.9
    # Not padded where it is most padded: take collectors off the dialing intervals with
    # the most collectors beyond what inbound alone needs (the analytic plan without the
    # list), one at a time from the current largest excess, 3% of the plan's cost in all
    # (10 collector half-hours): the list misses its target on the same fresh seeds. A
    # plan padded 5% would still meet it there. (One collector fewer in a single half-hour
    # moves completion by about 1 point, inside the 95% CI of 10 replications (+-2.5
    # points): the search cannot resolve it, so the property is stated at 3% of cost.)
    g_name = "collectors"
    g = result.plan.groups.index(g_name)
    inbound = optimize(scenario.with_changes({"outbound": None}), evaluator="analytic", workers=1)
    excess = result.plan.staffing[g] - inbound.plan.staffing[inbound.plan.groups.index(g_name)]
    dialing = np.zeros(len(excess), dtype=bool)
    dialing[2:18] = True  # 09:00-17:00
    fewer = result.plan.staffing.copy()
    for _ in range(math.ceil(0.03 * result.cost / 14)):  # a collector half-hour costs 14
        k = int(np.argmax(np.where(dialing, excess, -np.inf)))
        fewer[g, k] -= 1
        excess[k] -= 1
    thin = dataclasses.replace(result.plan, staffing=fewer)
    assert thin.cost(scenario) <= 0.97 * result.cost + 1e-9
    thin_run = simulate(thin.apply(scenario), 10, 99)
    assert thin_run.outbound_kpi("overdue", "list_completion") < 0.8


def test_an_unreachable_connects_target_is_refused_naming_the_field() -> None:
    # 400 records x (1 - 0.7^3) = 263 connects at most, 8 dialing hours: 40/h cannot be.
    scenario = Scenario.from_yaml(BLENDED).with_changes(
        {"outbound.overdue.targets.min_connects_per_hour": 40}
    )
    with pytest.raises(InputError, match=r"outbound\.overdue\.targets\.min_connects_per_hour"):
        optimize(scenario, max_evaluations=2, workers=1)


def test_the_analytic_evaluator_is_refused_for_blended_teams() -> None:
    with pytest.raises(InputError, match=r"analytic.*outbound\.overdue"):
        optimize(Scenario.from_yaml(BLENDED), evaluator="analytic", workers=1)


def test_the_service_level_frontier_of_a_blended_team_reports_what_each_plan_dials(
    capsys,
) -> None:
    # The inbound frontier with the list's target held at every point: a stricter service
    # level never comes out cheaper, every point's plan keeps the list at its target, and
    # the table shows the list's completion beside the cost.
    from simulator.cli import main

    args = ["frontier", BLENDED, "--service-levels", "0.8", "0.9", "--max-evaluations", "8",
            "-n", "6", "--seed", "3", "--format", "json",
            "--set", "outbound.overdue.targets.min_list_completion=0.8"]  # fmt: skip
    assert main(args) == 0
    import pandas as pd

    table = pd.read_json(io.StringIO(capsys.readouterr().out))
    points = table.drop_duplicates("point").sort_values("point")
    assert list(points["point"]) == pytest.approx([0.8, 0.9])
    assert points["meets_targets"].all()
    assert points["cost"].is_monotonic_increasing
    assert (points["overdue: list_completion"] >= 0.8).all()
    assert (points["overdue: connects_per_hour"] > 0).all()
    from optimizer.cli.frontier import format_table

    assert "overdue: list_completion" in format_table(table)


def test_the_list_completion_frontier_is_monotone_and_each_plan_meets_its_point(capsys) -> None:
    # `staffsim frontier --list-completions`: the list's min_list_completion set to each
    # point in turn; a higher completion never comes out cheaper, and each point's plan
    # completes at least its point on the verification run (the inbound targets held).
    from simulator.cli import main

    args = ["frontier", BLENDED, "--list-completions", "0.7", "0.9", "--list", "overdue",
            "--max-evaluations", "8", "-n", "6", "--seed", "3", "--format", "json"]  # fmt: skip
    assert main(args) == 0
    import pandas as pd

    table = pd.read_json(io.StringIO(capsys.readouterr().out))
    points = table.drop_duplicates("point").sort_values("point")
    assert list(points["point"]) == pytest.approx([0.7, 0.9])
    assert set(points["sweep"]) == {"list_completion"}
    assert points["meets_targets"].all()
    assert points["cost"].is_monotonic_increasing
    assert (points["overdue: list_completion"] >= points["point"]).all()
    assert points["cost_per_point"].iloc[1] == pytest.approx(
        (points["cost"].iloc[1] - points["cost"].iloc[0]) / 20, abs=0.01
    )
    from optimizer.cli.frontier import format_table

    assert "list-completion target" in format_table(table)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"service_levels": [0.8], "channel": "overdue"}, r"outbound list, not a channel.*"
         r"outbound\.overdue\.targets\.min_list_completion.*--list-completions"),
        ({"list_completions": [0.8], "outbound_list": "overdu"}, r"--list: unknown outbound "
         r"list 'overdu' \(known: overdue\)"),
        ({"service_levels": [0.8], "outbound_list": "overdue"}, r"--list: .*--list-completions"),
        ({"list_completions": [0.0, 1.2]}, r"list completion 1\.2: must be in \(0, 1\]"),
        ({"list_completions": [0.8], "budgets": [4000]}, "exactly one of"),
    ],
)  # fmt: skip
def test_the_frontier_refuses_a_bad_outbound_sweep_naming_the_field(kwargs, message) -> None:
    from optimizer import frontier

    with pytest.raises(InputError, match=message):
        frontier(Scenario.from_yaml(BLENDED), **kwargs)


def test_a_list_completion_frontier_without_lists_is_refused() -> None:
    from optimizer import frontier

    with pytest.raises(InputError, match=r"no outbound list \(outbound:\)"):
        frontier(Scenario.from_yaml(BLENDED).with_changes({"outbound": None}),
                 list_completions=[0.8])  # fmt: skip


def test_lists_sharing_collectors_are_planned_on_one_pool_of_idle_time() -> None:
    # The collectors dial the overdue list first (file order, no target) and the promises
    # (85% target) with what it leaves. Planned on the promises' own idle-time constraint,
    # the search took the overdue list's hours for the promises' and failed verification
    # even after two repairs (status infeasible at this budget); with the joint constraint
    # (the overdue list's whole work, then the promises') the search's own plan passes
    # verification at the first try and meets the target on fresh seeds.
    scenario = Scenario.from_yaml(TWO_LISTS)
    result = optimize(scenario, max_evaluations=24, replications=20, workers=1, seed=3)
    assert result.feasible, result.message
    assert [h["phase"] for h in result.history].count("verify") == 1  # no repair
    fresh = simulate(result.plan.apply(scenario), 10, 99)
    assert fresh.verdicts().met.all(), fresh.verdicts()
    assert fresh.outbound_kpi("promises", "list_completion") >= 0.85
    assert fresh.outbound_kpi("overdue", "list_completion") > 0.95  # served first: saturated
    # The report says what the idle time went to, the list without a target included.
    summary = result.summary()
    assert "outbound lists (mean, 95% CI, verification run):" in summary
    assert "  overdue: list completion 1" in summary or "  overdue: list completion 9" in summary


def _lists(*dialers: tuple[str, tuple[str, ...], int]) -> tuple:
    """The compiled lists of blended_collections with ``dialers`` (name, groups,
    threshold) in file order, each a copy of its overdue list."""
    from simulator.outbound.model import compile_outbound

    base = Scenario.from_yaml(BLENDED)
    spec = base.outbound["overdue"].model_dump(mode="json")
    lists = {
        name: {**spec, "groups": list(groups), "dialer": {"threshold": t}}
        for name, groups, t in dialers
    }
    return compile_outbound(base.with_changes({"outbound": lists}))


def test_which_lists_the_dialer_serves_before_a_list() -> None:
    # The dialer gives an idle agent the first list in the file it dials with a record:
    # a list waits for the earlier lists on its groups, and for earlier lists on their
    # other groups (x on seniors pushes y's work onto the collectors z dials), never for
    # later ones or lists on other groups.
    from optimizer.outbound import ahead_of, sharing_lists

    x, y, z, w = _lists(("x", ("seniors",), 0), ("y", ("seniors", "collectors"), 0),
                        ("z", ("collectors",), 0), ("w", ("collectors",), 0))  # fmt: skip
    names = lambda specs: [s.name for s in specs]  # noqa: E731
    assert names(ahead_of((x, y, z, w), x)) == []
    assert names(ahead_of((x, y, z, w), y)) == ["x"]
    assert names(ahead_of((x, y, z, w), z)) == ["x", "y"]
    assert names(ahead_of((x, y, z, w), w)) == ["x", "y", "z"]
    a, b, c = _lists(("a", ("collectors",), 0), ("b", ("seniors",), 0),
                     ("c", ("collectors",), 0))  # fmt: skip
    assert names(ahead_of((a, b, c), c)) == ["a"]
    assert names(ahead_of((a, b, c), b)) == []
    assert names(sharing_lists((a, b, c), c)) == ["a", "c"]
    assert names(sharing_lists((a, b, c), b)) == ["b"]


def test_the_reserve_of_lists_sharing_agents_is_the_smallest_threshold() -> None:
    # Below the smallest threshold nobody dials: 2 agents x 8 dialing hours, not 2 + 4.
    from optimizer.outbound import reserve_hours

    a, b = _lists(("a", ("collectors",), 2), ("b", ("collectors",), 4))
    assert reserve_hours((a, b)) == pytest.approx(2 * 8)
    assert reserve_hours((b,)) == pytest.approx(4 * 8)
