"""Walk-in counters (``kind: walk_in``): balking by line length and reneging against the
exact birth–death chain, the counter's own opening hours, and the scenario rules.

Simulation checks compare the exact value with the simulation's own 95% confidence
interval, widened to a Bonferroni interval over the checks of the test (``bonferroni_k``),
with fixed seeds and a few seconds of simulation each.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import bonferroni_k, mmc_scenario

from optimizer import optimize
from optimizer.analytic import AnalyticModel, kpi_from_fields
from optimizer.problem import Problem
from simulator.channels.balking import Balking
from simulator.errors import InputError
from simulator.model import compile_scenario
from simulator.queueing.finite import balking_kpis
from simulator.runner import simulate
from simulator.scenario import Scenario
from simulator.whatif import load_warnings

AHT_S = 300.0


def _counter(scenario: Scenario, **fields: object) -> Scenario:
    """The M/M/c scenario's channel as a walk-in counter with ``fields``."""
    data = scenario.model_dump(mode="json", exclude_none=True)
    data["channels"]["calls"]["kind"] = "walk_in"
    data["channels"]["calls"].update(fields)
    return Scenario.model_validate(data)


def _within(result, kpi: str, exact: float, k: float) -> None:
    mean, half = result.kpi("calls", kpi), result.half_width("calls", kpi)
    message = f"{kpi}: simulated {mean:.5g} ± {k * half:.3g}, exact {exact:.5g}"
    assert abs(mean - exact) <= k * half, message


CASES = [  # agents, customers per hour, balking, patience (None = nobody reneges), T
    (3, 45.0, {"probabilities": [0, 0.2, 0.4, 0.6, 0.8, 1]}, None, 300.0),
    (4, 60.0, {"from_length": 1, "all_at_length": 8}, 600.0, 120.0),
    (6, 90.0, {"probabilities": [0.1, 0.3]}, 300.0, 60.0),  # the last value for any line
]


@pytest.mark.parametrize("case", CASES, ids=["table", "linear+patience", "open-ended+patience"])
def test_balking_and_reneging_match_the_birth_death_chain(case) -> None:
    agents, rate, balking, patience, within = case
    base = mmc_scenario(
        rate, AHT_S, agents, days=3, warmup_minutes=120, patience_s=patience, within_s=within
    )
    result = simulate(_counter(base, balking=balking), 20, 21)
    exact = balking_kpis(rate, AHT_S, agents, Balking(**balking).table(), patience, within_s=within)
    checks = {
        "balk_rate": float(exact.p_balk),
        "service_level": float(exact.service_level),
        "asa_s": float(exact.asa_s),
        "p_wait": float(exact.p_wait),
        "mean_queue_length": float(exact.mean_queue_length),
    }
    if patience is not None:
        checks["abandon_rate"] = float(exact.p_abandon)
    k = bonferroni_k(20, len(checks))
    for kpi, value in checks.items():
        _within(result, kpi, value, k)


def test_a_counter_without_balking_is_served_exactly_like_a_call() -> None:
    """walk_in reuses the call path: the same customers, the same results bit for bit."""
    base = mmc_scenario(60.0, AHT_S, 5, days=1, warmup_minutes=0, patience_s=300.0)
    a, b = simulate(base, 3, 5), simulate(_counter(base), 3, 5)
    assert a.per_replication.equals(b.per_replication)
    assert a.intervals.equals(b.intervals)


def test_balking_draws_leave_every_other_stream_alone() -> None:
    """Balking only removes customers: with a table of zeros nobody balks and every result
    but the two balking rows is the counter's without balking."""
    base = _counter(mmc_scenario(60.0, AHT_S, 4, days=1, warmup_minutes=0, patience_s=300.0))
    a = simulate(base, 3, 5)
    b = simulate(_counter(base, balking={"probabilities": [0.0]}), 3, 5)
    kept = b.per_replication[~b.per_replication.kpi.isin({"balked", "balk_rate"})]
    assert kept.reset_index(drop=True).equals(a.per_replication)
    assert b.kpi("calls", "balked") == 0


# ---------------------------------------------------------------------------- hours
BRANCH = """
name: branch
horizon:
  days: 7
  interval_minutes: 30
  open: "08:00"
  close: "18:00"
  hours: {sun: closed}
channels:
  phone:
    arrivals: {rate_per_hour: 30}
    handle_time: {distribution: exponential, mean_seconds: 240}
  counter:
    kind: walk_in
    hours: {open: "09:00", close: "16:00", sat: {open: "09:00", close: "12:00"}}
    arrivals: {rate_per_hour: 50}
    handle_time: {distribution: exponential, mean_seconds: 420}
    patience: {distribution: exponential, mean_seconds: 1800}
    balking: {from_length: 4, all_at_length: 12}
agent_groups:
  staff:
    cost_per_hour: 22
    skills: [phone, counter]
    staffing: 7
run: {replications: 2}
"""


def test_the_counter_takes_customers_only_in_its_own_hours_and_serves_those_inside() -> None:
    scenario = Scenario.from_yaml_text(BRANCH)
    result = simulate(scenario, 2, 3)
    iv = result.intervals
    offered = iv[(iv.channel == "counter") & (iv.kpi == "offered")]
    hour = offered.start.str.slice(0, 2).astype(int)
    saturday, sunday = offered.day == 5, offered.day == 6
    closed = (hour < 9) | (hour >= 16) | (saturday & (hour >= 12)) | sunday
    assert (offered[closed]["mean"] == 0).all()
    assert (offered[~closed]["mean"] > 0).all()
    phone = iv[(iv.channel == "phone") & (iv.kpi == "offered")]
    assert (phone[~sunday.to_numpy()]["mean"] > 0).all()  # the phones keep the centre's hours
    # Customers inside at closing are served (or leave by patience): nobody is dropped.
    for r in range(2):
        rep = result.per_replication
        v = {k: rep[(rep.replication == r) & (rep.entity == "counter") & (rep.kpi == k)]
             ["value"].item() for k in ("offered", "answered", "abandoned", "balked",
                                        "unanswered_at_close", "waiting_at_end")}  # fmt: skip
        assert v["unanswered_at_close"] == v["waiting_at_end"] == 0
        assert v["offered"] == v["answered"] + v["abandoned"] + v["balked"]


def test_customers_coming_back_to_a_closed_counter_come_when_it_opens() -> None:
    model = compile_scenario(Scenario.from_yaml_text(BRANCH))
    c = 1  # the counter
    day = 86_400
    assert model.return_time(c, 10 * 3600, 0.5) == 10 * 3600  # open: now
    later = model.return_time(c, 17 * 3600, 0.5)  # after closing on Monday: Tuesday 9-16
    assert day + 9 * 3600 <= later < day + 16 * 3600
    early = model.return_time(c, 2 * day + 8 * 3600, 0.99)  # before opening: that day
    assert 2 * day + 9 * 3600 <= early < 2 * day + 16 * 3600
    weekend = model.return_time(c, 5 * day + 13 * 3600, 0.5)  # Sat after 12, Sun closed
    assert weekend is None  # Monday is past the 7-day horizon
    assert model.return_time(0, 17 * 3600, 0.5) == 17 * 3600  # the phones are still open


def _branch(change: dict) -> dict:
    import yaml

    data = yaml.safe_load(BRANCH)
    for path, value in change.items():
        node = data
        *head, last = path.split(".")
        for part in head:
            node = node[part]
        node[last] = value
    return data


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"channels.counter.hours": {"mon": {"open": "07:00", "close": "16:00"}}},
         "channels.counter.hours.mon: 07:00-16:00 on mon is outside the centre's hours"),
        ({"channels.counter.hours": {"sun": {"open": "10:00", "close": "12:00"}}},
         "channels.counter.hours.sun: 10:00-12:00 on sun, but the centre is closed"),
        ({"channels.counter.hours": {"open": "09:15", "close": "16:00"}},
         "does not fall on the 30-minute interval grid"),
        ({"channels.counter.hours": {"open": "09:00"}}, "open and close go together"),
        ({"channels.counter.balking": {"probabilities": [0, 1.5]}}, "item 1"),
        ({"channels.counter.balking": {"from_length": 5, "all_at_length": 5}},
         "all_at_length (5) must be greater than from_length (5)"),
        ({"channels.counter.balking": {"from_length": 2}}, "from_length with all_at_length"),
        ({"channels.counter.balking": {"probabilities": [0], "from_length": 1,
                                       "all_at_length": 3}}, "not both"),
        ({"channels.phone.balking": {"probabilities": [0, 1]}},
         "balking and targets.max_balk_rate apply to walk_in only, not call"),
        ({"channels.counter.balking": None, "channels.counter.targets": {"max_balk_rate": 0.1}},
         "targets.max_balk_rate needs balking"),
        ({"channels.counter.arrivals": {"volumes": [[5] * 20] * 6 + [[0] * 20]}},
         "channels.counter.arrivals.volumes.0.0: day 0 (mon) is closed at 08:00 "
         "(channels.counter.hours)"),
    ],
)  # fmt: skip
def test_bad_hours_or_balking_name_the_field(change: dict, message: str) -> None:
    data = _branch(change)
    with pytest.raises(InputError) as err:
        Scenario.from_dict(data)
    assert message in str(err.value)


def test_email_keeps_its_hours_through_its_team() -> None:
    data = _branch({})
    data["channels"]["mail"] = {
        "kind": "email",
        "arrivals": {"rate_per_hour": 5},
        "handle_time": {"distribution": "exponential", "mean_seconds": 300},
        "hours": {"open": "09:00", "close": "17:00"},
    }
    data["agent_groups"]["staff"]["skills"].append("mail")
    with pytest.raises(InputError, match="an email team's working hours are its agent group"):
        Scenario.from_dict(data)


# ---------------------------------------------------------------------------- optimizer
SMALL_BRANCH = """
name: small branch
horizon: {days: 1, interval_minutes: 60, open: "09:00", close: "17:00"}
channels:
  phone:
    arrivals: {volumes: [20, 30, 30, 25, 25, 30, 25, 15]}
    handle_time: {distribution: exponential, mean_seconds: 240}
    patience: {distribution: exponential, mean_seconds: 180}
    targets: {service_level: 0.8, within_seconds: 30, max_abandon_rate: 0.08}
  counter:
    kind: walk_in
    hours: {open: "10:00", close: "16:00"}
    arrivals: {volumes: [0, 15, 20, 25, 25, 20, 15, 0]}
    handle_time: {distribution: exponential, mean_seconds: 420}
    patience: {distribution: exponential, mean_seconds: 1200}
    balking: {from_length: 2, all_at_length: 8}
    targets: {service_level: 0.7, within_seconds: 300, max_balk_rate: 0.03}
agent_groups:
  phones: {cost_per_hour: 20, skills: [phone], staffing: 3}
  tellers: {cost_per_hour: 24, skills: [counter], staffing: 3}
"""


def test_the_analytic_model_of_a_counter_is_the_balking_chain() -> None:
    scenario = Scenario.from_yaml_text(SMALL_BRANCH)
    problem = Problem.from_scenario(scenario)
    model = AnalyticModel(problem)
    plan = np.array([[3] * 8, [0, 2, 3, 4, 4, 3, 2, 0]], dtype=float)
    fields, _ = model.evaluate(plan)
    c = problem.channels.index("counter")
    balk = Balking(from_length=2, all_at_length=8).table()
    for k, (volume, agents) in enumerate(zip([15, 20, 25, 25, 20, 15], plan[1, 1:7], strict=True)):
        exact = balking_kpis(volume, 420.0, agents, balk, 1200.0, within_s=300.0)
        row = fields[k + 1]
        assert kpi_from_fields(row, model.layout, c, "balk_rate") == pytest.approx(
            float(exact.p_balk), rel=1e-9
        )
        assert kpi_from_fields(row, model.layout, c, "service_level") == pytest.approx(
            float(exact.service_level), rel=1e-9
        )
        assert kpi_from_fields(row, model.layout, c, "abandon_rate") == pytest.approx(
            float(exact.p_abandon), rel=1e-9
        )
    assert np.all(fields[[0, 7], model.layout.ch(c, "offered")] == 0)  # the counter is closed


def test_optimize_finds_a_verified_plan_for_a_branch_with_a_counter() -> None:
    scenario = Scenario.from_yaml_text(SMALL_BRANCH)
    result = optimize(scenario, max_evaluations=30)
    assert result.feasible, result.message
    verdicts = result.targets
    balking = verdicts[(verdicts.entity == "counter") & (verdicts.kpi == "balk_rate")]
    assert len(balking) == 1 and bool(balking.met.iloc[0])
    assert result.kpis is not None and result.kpis.kpi("counter", "balk_rate") <= 0.03
    tellers = result.staffing.loc["tellers"].to_numpy()
    assert tellers[0] == tellers[-1] == 0  # nobody at the counter while it is closed


def test_default_hours_are_cut_to_the_centres_short_days() -> None:
    """``open``/``close`` hold on weekdays not listed, within the centre's hours."""
    data = _branch({"channels.counter.hours": {"open": "08:00", "close": "17:00"}})
    data["horizon"]["hours"] = {"sat": {"open": "09:00", "close": "13:00"}, "sun": "closed"}
    scenario = Scenario.from_dict(data)
    mask = scenario.channels["counter"].hours.open_mask(scenario.horizon)
    assert mask[0].sum() == 18  # Monday 08:00-17:00
    assert mask[5].sum() == 8  # Saturday 09:00-13:00, the centre's
    assert not mask[6].any()  # Sunday: the centre is closed


def test_the_plan_summary_splits_dated_days() -> None:
    """A scenario with a start date labels intervals "Mon 2 Mar 09:00": the optimizer's
    summary prints one block per day (it crashed reading "Mon" as "dN")."""
    import pandas as pd

    from optimizer.result import _staffing_blocks

    dated = pd.DataFrame(
        [[1, 2, 3, 4]], index=["tellers"],
        columns=["Mon 2 Mar 09:00", "Mon 2 Mar 09:30", "Tue 3 Mar 09:00", "Tue 3 Mar 09:30"],
    )  # fmt: skip
    lines = _staffing_blocks(dated)
    assert lines[0] == "Mon 2 Mar:" and lines[2] == "Tue 3 Mar:"
    assert "09:30" in lines[1] and "Mar" not in lines[1]
    plain = dated.set_axis(["d0 09:00", "d0 09:30", "d1 09:00", "d1 09:30"], axis=1)
    assert [line for line in _staffing_blocks(plain) if line.endswith(":")] == ["day 0:", "day 1:"]


QUIET_OPENING = """
name: quiet counter opening
horizon: {days: 1, interval_minutes: 30, open: "09:00", close: "13:00"}
channels:
  counter:
    kind: walk_in
    arrivals: {volumes: [3, 20, 30, 30, 25, 20, 15, 3]}
    handle_time: {distribution: exponential, mean_seconds: 300}
    patience: {distribution: exponential, mean_seconds: 1200}
    targets: {service_level: 0.8, within_seconds: 300}
agent_groups:
  tellers: {cost_per_hour: 20, skills: [counter], staffing: 4}
run: {replications: 10, seed: 7}
"""


def test_a_counter_is_never_open_with_nobody_behind_it() -> None:
    """Three customers at the 09:00 opening and at 12:30: the day's service level absorbs
    them (the floor judges intervals of 10 or more), so before ``min_agents_while_open`` the
    cheapest plan left the counter open with no teller at 09:00 and 12:30. It now staffs
    one; ``min_agents_while_open: 0`` gives the old freedom back, at a lower cost."""
    scenario = Scenario.from_yaml_text(QUIET_OPENING)
    result = optimize(scenario, max_evaluations=20)
    assert result.feasible, result.message
    tellers = result.staffing.loc["tellers"].to_numpy()
    assert tellers.min() >= 1 and tellers[0] == 1 and tellers[-1] == 1
    assert not [w for w in load_warnings(result.plan.apply(scenario)) if "no skilled" in w]
    free = scenario.with_changes({"channels.counter.min_agents_while_open": 0})
    loose = optimize(free, max_evaluations=20)
    assert loose.feasible and loose.cost < result.cost
    assert loose.staffing.loc["tellers"].to_numpy().min() == 0
    (empty,) = [w for w in load_warnings(loose.plan.apply(free)) if "no skilled" in w]
    assert empty.startswith("channels.counter: 2 interval(s)")
