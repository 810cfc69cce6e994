"""The optimizer on call channels with finite lines (busy signals, ``max_blocked_rate``).

* The analytic model of a channel with ``lines`` is the exact M/M/c/K (+M) chain: its
  blocked and abandoned shares equal :func:`simulator.queueing.finite.mmck_kpis` to
  rounding, for every way of giving the limit (on hold, in the system, both; a system limit
  below the servers is Erlang B on the lines).
* ``optimize`` searches ``max_blocked_rate``: the plan it returns meets it on seeds nobody
  searched with, and one agent fewer anywhere misses a target on the search seeds.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from optimizer import optimize
from optimizer.analytic import AnalyticModel, kpi_from_fields
from optimizer.evaluators import SimulationEvaluator
from optimizer.problem import Problem
from optimizer.search import judge
from simulator.plan import Plan
from simulator.queueing.erlang import erlang_b
from simulator.queueing.finite import balking_kpis, mmck_kpis
from simulator.runner import simulate
from simulator.scenario import Scenario
from simulator.targets import check_table, scenario_targets

SMALL_LINES = """
name: small lines
horizon: {days: 1, interval_minutes: 60, open: "09:00", close: "13:00"}
channels:
  calls:
    kind: call
    arrivals: {volumes: [60, 90, 120, 80]}
    handle_time: {distribution: exponential, mean_seconds: 240}
    patience: {distribution: exponential, mean_seconds: 300}
    redial: {probability: 0.5, delay: {distribution: exponential, mean_seconds: 600},
             max_attempts: 3}
    lines: {max_waiting: 3}
    targets: {service_level: 0.6, within_seconds: 60, max_blocked_rate: 0.03}
agent_groups:
  agents: {cost_per_hour: 20, skills: [calls], staffing: 5}
run: {replications: 10, seed: 5}
"""


def _one_call_channel(lines: dict, patience_s: float | None) -> Scenario:
    channel: dict = {
        "kind": "call",
        "arrivals": {"rate_per_hour": 120.0},
        "handle_time": {"distribution": "exponential", "mean_seconds": 180.0},
        "lines": lines,
        "targets": {"service_level": 0.8, "within_seconds": 20},
    }
    if patience_s is not None:
        channel["patience"] = {"distribution": "exponential", "mean_seconds": patience_s}
    return Scenario.from_dict(
        {
            "horizon": {"days": 1, "interval_minutes": 60, "open": "09:00", "close": "12:00"},
            "channels": {"calls": channel},
            "agent_groups": {"agents": {"cost_per_hour": 20, "skills": ["calls"], "staffing": 6}},
        }
    )


@pytest.mark.parametrize(
    "lines",
    [{"max_waiting": 4}, {"max_waiting": 0}, {"max_in_system": 9},
     {"max_waiting": 2, "max_in_system": 9}],
)  # fmt: skip
@pytest.mark.parametrize("patience_s", [240.0, None])
def test_the_analytic_blocked_share_is_the_mmck_chain(lines: dict, patience_s) -> None:
    problem = Problem.from_scenario(_one_call_channel(lines, patience_s))
    model = AnalyticModel(problem)
    lay = model.layout
    for agents in (3, 6, 8, 11):  # 11 > max_in_system: 9 callers in service at most
        fields = model.columns(np.array([[float(agents)]]), np.array([1]))[0]
        cap = lines.get("max_in_system")
        answering = agents if cap is None else min(agents, cap)
        hold = lines.get("max_waiting", 10**6)
        hold = hold if cap is None else min(hold, cap - answering)
        exact = mmck_kpis(120.0, 180.0, answering, hold, patience_s)
        blocked = kpi_from_fields(fields, lay, 0, "blocked_rate")
        assert blocked == pytest.approx(float(exact.p_block), rel=1e-12, abs=1e-15), agents
        abandoned = kpi_from_fields(fields, lay, 0, "abandon_rate")
        assert abandoned == pytest.approx(float(exact.p_abandon), rel=1e-9, abs=1e-12), agents
        asa = kpi_from_fields(fields, lay, 0, "asa_s")
        assert asa == pytest.approx(float(exact.asa_s), rel=1e-9, abs=1e-9), agents


def test_a_line_limit_of_zero_is_erlang_b_in_the_balking_chain() -> None:
    """Nobody may hold: arrivals still reach idle agents (the chain once blocked them all)."""
    for agents in (1, 4, 9):
        k = balking_kpis(120.0, 180.0, agents, [1.0], None)
        assert float(k.p_balk) == pytest.approx(float(erlang_b(agents, 6.0)), rel=1e-12)


@pytest.fixture(scope="module")
def small() -> Scenario:
    return Scenario.from_yaml_text(SMALL_LINES)


@pytest.fixture(scope="module")
def result(small: Scenario):
    return optimize(small, max_evaluations=30)


def test_optimize_meets_max_blocked_rate_on_fresh_seeds(small: Scenario, result) -> None:
    assert result.feasible, result.message
    rows = result.targets[result.targets.kpi == "blocked_rate"]
    assert len(rows) == 1 and bool(rows.met.iloc[0])
    fresh = simulate(result.plan.apply(small), 40, 424_242)  # seeds nobody searched with
    assert fresh.kpi("calls", "blocked_rate") <= 0.03
    table = check_table(fresh.kpi_summary, scenario_targets(small), margin=0.0)
    assert table["met"].all(), table[~table["met"]]


def test_the_lines_plan_is_not_padded(small: Scenario, result) -> None:
    """One agent fewer in any interval misses a target on the search seeds at the search
    margin; the busy-signal target is what binds (the service level alone would allow less)."""
    p = Problem.from_scenario(small)
    evaluator = SimulationEvaluator(p, 20, small.run.seed)
    targets = scenario_targets(small)
    blocked_only = [t for t in targets if t.kpi == "blocked_rate"]
    x = result.plan.staffing.astype(float)
    binding = 0
    for g, k in itertools.product(range(p.n_groups), range(p.n_intervals)):
        y = x.copy()
        y[g, k] -= 1
        kpis = evaluator.evaluate(Plan(p.groups, y)).kpis
        assert not judge(kpis, targets, 1.5)[0], (g, k)
        binding += not judge(kpis, blocked_only, 1.5)[0]
    assert binding >= 2  # the blocked rate, not only the service level, sets the plan


# ---------------------------------------------------------------------------- callbacks
SMALL_CALLBACKS = """
name: small callbacks
horizon: {days: 1, interval_minutes: 60, open: "09:00", close: "14:00"}
channels:
  calls:
    kind: call
    arrivals: {volumes: [70, 110, 120, 80, 50]}
    handle_time: {distribution: exponential, mean_seconds: 240}
    patience: {distribution: exponential, mean_seconds: 300}
    callback: {offer_at_position: 1, uptake: 0.8, promise_minutes: 60}
    targets: {service_level: 0.8, within_seconds: 30}
agent_groups:
  agents: {cost_per_hour: 20, skills: [calls], staffing: 5}
run: {replications: 10, seed: 9}
"""


def test_a_channel_offering_callbacks_gets_an_implied_callback_target() -> None:
    from optimizer.problem import implied_targets, optimizer_targets

    scenario = Scenario.from_yaml_text(SMALL_CALLBACKS)
    (implied,) = implied_targets(scenario)
    assert (implied.entity, implied.kpi, implied.sense) == (
        "calls",
        "callback_within_promise",
        ">=",
    )
    assert implied.value == 0.9 and "implied" in implied.label
    assert implied.field == "channels.calls.targets.callback_within_promise"
    assert optimizer_targets(scenario)[-1] == implied
    data = scenario.model_dump(mode="json", exclude_none=True)
    data["channels"]["calls"]["targets"]["service_level"] = 0.95  # the higher goal wins
    assert implied_targets(Scenario.model_validate(data))[0].value == 0.95
    data["channels"]["calls"]["targets"]["callback_within_promise"] = 0.7  # set: none implied
    assert implied_targets(Scenario.model_validate(data)) == []
    data["channels"]["calls"]["targets"] = {}  # no live-queue target: nothing to game
    assert implied_targets(Scenario.model_validate(data)) == []


def test_the_analytic_model_takes_accepted_callbacks_out_of_the_line() -> None:
    """Callers who accept leave the live line: fewer abandon and the service level, over the
    callers who stayed, is higher than without the offer; the callbacks are counted."""
    scenario = Scenario.from_yaml_text(SMALL_CALLBACKS)
    data = scenario.model_dump(mode="json", exclude_none=True)
    data["channels"]["calls"].pop("callback")
    plain = AnalyticModel(Problem.from_scenario(Scenario.model_validate(data)))
    model = AnalyticModel(Problem.from_scenario(scenario))
    cols, ks = np.array([[6.0], [8.0]]), np.array([2, 2])  # 120 calls/h: 8 Erlangs
    with_cb, without = model.columns(cols, ks), plain.columns(cols, ks)
    lay = model.layout
    calls = with_cb[:, lay.ch(0, "callbacks")]
    assert np.all(calls > 5) and np.all(without[:, lay.ch(0, "callbacks")] == 0)
    for kpi in ("abandon_rate", "asa_s"):
        assert np.all(kpi_from_fields(with_cb, lay, 0, kpi) < kpi_from_fields(without, lay, 0, kpi))
    sl = kpi_from_fields(with_cb, lay, 0, "service_level")
    assert np.all(sl > kpi_from_fields(without, lay, 0, "service_level"))
    # the service level's denominator is the callers who stayed on the line
    live = with_cb[:, lay.ch(0, "offered")] - calls
    np.testing.assert_allclose(sl, with_cb[:, lay.ch(0, "answered_within")] / live)


@pytest.fixture(scope="module")
def callbacks_result():
    return optimize(Scenario.from_yaml_text(SMALL_CALLBACKS), max_evaluations=30)


def test_optimize_keeps_the_callback_promise_it_implied(callbacks_result) -> None:
    """The channel sets only a service level; the optimizer adds the callback target,
    says so in the targets table, and the plan meets it on seeds nobody searched with."""
    scenario = Scenario.from_yaml_text(SMALL_CALLBACKS)
    result = callbacks_result
    assert result.feasible, result.message
    rows = result.targets[result.targets.kpi == "callback_within_promise"]
    assert len(rows) == 1 and bool(rows.met.iloc[0]) and "implied" in rows.target.iloc[0]
    fresh = simulate(result.plan.apply(scenario), 40, 515_151)
    assert fresh.kpi("calls", "callback_within_promise") >= 0.9
    assert fresh.kpi("calls", "service_level") >= 0.8
    assert fresh.kpi("calls", "callbacks_accepted") > 20  # callbacks were offered and taken


# ---------------------------------------------------- the callback offer by expected wait
SHARED_CALLBACKS = """
name: stationary callbacks by expected wait, a shared group
horizon: {days: 1, interval_minutes: 60, open: "08:00", close: "14:00"}
channels:
  claims:
    kind: call
    arrivals: {volumes: [150, 150, 150, 150, 150, 150]}
    handle_time: {distribution: exponential, mean_seconds: 480}
    patience: {distribution: exponential, mean_seconds: 300}
    lines: {max_in_system: 30}
    callback: {offer_at_expected_wait_seconds: 90, uptake: 0.5, promise_minutes: 120}
    targets: {service_level: 0.8, within_seconds: 60}
  policy:
    kind: call
    arrivals: {volumes: [40, 40, 40, 40, 40, 40]}
    handle_time: {distribution: exponential, mean_seconds: 300}
    patience: {distribution: exponential, mean_seconds: 240}
    targets: {service_level: 0.8, within_seconds: 20}
agent_groups:
  handlers: {cost_per_hour: 30, skills: {claims: {handle_time_factor: 1.0}}, staffing: 10}
  generalists:
    cost_per_hour: 25
    skills: {policy: {handle_time_factor: 1.0}, claims: {handle_time_factor: 1.25}}
    staffing: 14
routing: {priorities: {claims: 1, policy: 1}}
run: {replications: 30, seed: 3}
"""


def test_the_analytic_callback_offers_follow_the_simulators_rule() -> None:
    """The simulator offers a callback by the expected wait over *every* agent present in
    the skilled groups (generalists busy on policy calls too) at the channel's mean handle
    time. The model, anchored at the plan (callback work out of the live pool), accepts as
    many callbacks per hour as the simulation within 20% on a stationary day (measured over
    60 replications: 10.4 vs 9.8; reading the offer off the people left for claims at the
    generalists' slower handle time gave 18.7, +90%)."""
    from simulator.engine import run_replication
    from simulator.runner import compile_scenario

    scenario = Scenario.from_yaml_text(SHARED_CALLBACKS)
    p = Problem.from_scenario(scenario)
    compiled = compile_scenario(scenario)
    reps = [run_replication(compiled, 11, r).channels["claims"] for r in range(60)]
    simulated = np.mean([r["callbacks_accepted"] for r in reps], axis=0)[1:].mean()
    y = np.array([[10.0] * p.n_intervals, [14.0] * p.n_intervals])
    model = AnalyticModel(p).anchored(y)
    fields = model.columns(y.T, np.arange(p.n_intervals))
    analytic = fields[1:, model.layout.ch(0, "callbacks")].mean()  # after the empty start
    assert simulated > 5  # the offer is in play
    assert analytic == pytest.approx(simulated, rel=0.2)


# ------------------------------------------------- busy signals that rise with staffing
STORM = Path(__file__).resolve().parents[1] / "scenarios" / "storm_callbacks.yaml"


def test_busy_signals_on_system_lines_get_local_linearisations_not_cuts() -> None:
    """With a limit on the callers in the system, blocking is neither monotone nor concave
    in agents (at storm's 08:30 peak the model blocks 17% with 51 agents, 1% with 15 claims
    handlers fewer, more with more generalists): its constraint gets one linearisation per
    interval, exact at the plan and replaced at the next one, never a tangent, chord or
    level-set cut that assumes a monotone target (those made the master program infeasible
    next to plans the model says meet every target). Other targets keep their cuts; a limit
    on holding alone keeps blocking monotone."""
    from optimizer.corrected import CorrectedModel
    from optimizer.master import CutPool, add_cuts, build_constraints, lines_bind, search_goals
    from optimizer.patterns import build_decisions
    from optimizer.problem import optimizer_targets

    scenario = Scenario.from_yaml(STORM)
    p = Problem.from_scenario(scenario)
    assert lines_bind(p, p.channels.index("claims"))
    assert not lines_bind(Problem.from_scenario(Scenario.from_yaml_text(SMALL_LINES)), 0)
    targets = optimizer_targets(scenario)
    d = build_decisions(p, "per_interval")
    y = np.array([[12.0] * 6 + [0.0] * 14, [25.0] * 20])
    model = CorrectedModel(p, AnalyticModel(p).anchored(y), anchor=y)
    goals = search_goals(targets, None, 0.0, model)
    constraints = build_constraints(d, model, targets, goals, {})
    blocked = [i for i, c in enumerate(constraints) if c.name == "claims blocked_rate"]
    assert len(blocked) == 1 and not constraints[blocked[0]].monotone
    assert all(c.monotone for c in constraints if "blocked" not in c.name)
    pool = CutPool()
    add_cuts(pool, constraints, model, y, y + 20)
    i = blocked[0]
    assert i not in pool.rows and set(pool.local[i]) == set(range(p.n_intervals))
    h = model.fields_of(y) @ constraints[i].weights
    for k, (value, slope) in pool.local[i].items():
        assert value + slope @ y[:, k] == pytest.approx(h[k], abs=1e-9)  # exact at the plan
    before = pool.local[i][2]
    z = y.copy()
    z[0, 2] -= 4
    add_cuts(pool, constraints, model, z, y + 20, only={i})
    assert len(pool.local[i]) == p.n_intervals and pool.local[i][2][0] != before[0]  # replaced


@pytest.fixture(scope="module")
def storm_result():
    return optimize(Scenario.from_yaml(STORM), max_evaluations=40)


def test_the_search_finds_the_storm_plan_itself(storm_result) -> None:
    """Where the lines bind, the search's own simulations lead to the plan and the
    verification passes it on its first fresh seed, unrepaired (it once stopped after one
    simulation: the cuts of a monotone busy-signal target left the master program nothing,
    and two repairs made a 9,584.50 plan). Measured: 8 search simulations, 8,942."""
    result = storm_result
    assert result.feasible, result.message
    settings = result.settings
    assert settings["search_evaluations"] >= 3
    rounds = settings["verification_rounds"]
    assert len(rounds) == 1 and rounds[0]["passed"]  # no repair
    assert result.cost < 9_584.5
    # The callback KPI is noisy (few callbacks a replication): no plan met it with the
    # search's margin. The result says so instead of "converged".
    met_at_margin = any(h["feasible"] for h in result.history if h["phase"] != "verify")
    assert settings["short_of_margin"] == (not met_at_margin)
    assert ("closest one" in result.message) == settings["short_of_margin"]
    assert not (settings["short_of_margin"] and settings["converged"])


def test_the_storm_plan_meets_every_target_on_unseen_seeds_and_is_not_padded(
    storm_result,
) -> None:
    """Every target (busy signals and callbacks within their promise included) is met on
    seeds nobody searched with; two generalists fewer in every interval misses one on the
    same seeds (measured: one fewer still meets them on the mean - the search margin of 1.5
    CI half-widths - two fewer miss the policy line's service level)."""
    from optimizer.problem import optimizer_targets

    scenario = Scenario.from_yaml(STORM)
    p = Problem.from_scenario(scenario)
    targets = optimizer_targets(scenario)
    evaluator = SimulationEvaluator(p, 40, 909_090)
    y = storm_result.plan.staffing.astype(float)
    assert judge(evaluator.evaluate(Plan(p.groups, y)).kpis, targets, 0.0)[0]
    fewer = y.copy()
    fewer[p.groups.index("generalists")] -= 2
    assert not judge(evaluator.evaluate(Plan(p.groups, fewer)).kpis, targets, 0.0)[0]
