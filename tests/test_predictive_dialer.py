"""The predictive (ratio) dialer against exact values and its own limits.

* the blended team against its continuous-time Markov chain solved numerically
  (:func:`simulator.queueing.blending.predictive_dialer_kpis`, which shares no code with
  the engine): inbound P(wait), abandonment and queue length; outbound connects per hour,
  attempts, outbound occupancy, nuisance calls and nuisance rate — each within the
  simulation's 95% CI widened to a Bonferroni interval over the test's checks;
* the chain of ratio 1 with (almost) no ring time is the threshold dialer's chain with
  (almost) free failed attempts — two chains written apart, one answer;
* the simulator with ratio 1 and no ring time connects as the threshold dialer does with
  free failed attempts, and never abandons anybody;
* a predictive list reports nuisance KPIs and its target is judged; a threshold list's
  tables do not change;
* bad input names the field; the optimizer refuses the nuisance target naming it, and
  counts connects only as a predictive list's agent time.
"""

from __future__ import annotations

import pytest
from conftest import (
    assert_blend_matches_chain,
    blended_scenario,
    bonferroni_k,
    exponential,
    mmc_scenario,
)

from simulator.errors import InputError
from simulator.queueing.blending import predictive_dialer_kpis, threshold_dialer_kpis
from simulator.runner import simulate
from simulator.scenario import Scenario

AHT_S = 180.0
BLENDED = "scenarios/blended_collections.yaml"


def _predictive(ratio: float, threshold: int = 1) -> dict:
    return {"policy": "predictive", "ratio": ratio, "threshold": threshold}


# ---------------------------------------------------------------------------- the chain
def test_ratio_one_without_ring_time_is_the_threshold_dialers_chain() -> None:
    """One call per free agent answered at once: the agent is taken as if it had dialled
    (failed calls free, in both chains), so nobody is abandoned and every KPI agrees."""
    pred = predictive_dialer_kpis(6, 100.0, AHT_S, 300.0, 1, 1.0, 0.3, 240.0, 1e-4, 1e-4)
    thr = threshold_dialer_kpis(6, 100.0, AHT_S, 300.0, 1, 0.3, 240.0, 1e-4)
    assert pred.nuisance_rate < 1e-9
    for name in ("p_wait", "p_abandon", "mean_queue_length", "connects_per_hour",
                 "attempts_per_hour", "occupancy", "outbound_occupancy"):  # fmt: skip
        assert getattr(pred, name) == pytest.approx(getattr(thr, name), rel=1e-5), name


def test_a_higher_ratio_connects_more_and_abandons_more() -> None:
    kpis = [
        predictive_dialer_kpis(6, 100.0, AHT_S, 300.0, 1, r, 0.3, 240.0, 30.0, 15.0)
        for r in (1.0, 1.3, 1.6)
    ]
    assert kpis[0].connects_per_hour < kpis[1].connects_per_hour < kpis[2].connects_per_hour
    assert kpis[0].nuisance_rate < kpis[1].nuisance_rate < kpis[2].nuisance_rate
    assert kpis[0].p_wait < kpis[1].p_wait < kpis[2].p_wait  # inbound pays for it
    assert all(abs(k.tail_mass) < 1e-12 for k in kpis)


CASES = [  # agents, calls per hour, patience (s), threshold, ratio, answer time (s)
    (6, 100.0, 300.0, 1, 1.5, 15.0),
    (8, 140.0, 240.0, 2, 1.3, 20.0),
]


@pytest.mark.parametrize("case", CASES, ids=["c6-T1-R1.5", "c8-T2-R1.3"])
def test_predictive_dialer_matches_its_markov_chain(case) -> None:
    agents, rate, patience, threshold, ratio, answer_s = case
    days, warmup_h, reps = 3, 2, 20
    base = mmc_scenario(rate, AHT_S, agents, days=days, warmup_minutes=60 * warmup_h,
                        patience_s=patience)  # fmt: skip
    scenario = blended_scenario(
        base, dialer=_predictive(ratio, threshold), answer_time=exponential(answer_s)
    )
    result = simulate(scenario, reps, 31)
    exact = predictive_dialer_kpis(agents, rate, AHT_S, patience, threshold, ratio, 0.3,
                                   240.0, 30.0, answer_s)  # fmt: skip
    assert exact.nuisance_rate > 0.03  # a case where abandoning matters
    hours = days * 24 - warmup_h
    checks = [
        ("calls", "p_wait", exact.p_wait, 1.0),
        ("calls", "abandon_rate", exact.p_abandon, 1.0),
        ("calls", "mean_queue_length", exact.mean_queue_length, 1.0),
        ("collections", "connects_per_hour", exact.connects_per_hour, 1.0),
        ("collections", "attempts", exact.attempts_per_hour, hours),
        ("collections", "outbound_occupancy", exact.outbound_occupancy, 1.0),
        ("collections", "nuisance_calls", exact.nuisance_per_hour, hours),
        ("collections", "nuisance_rate", exact.nuisance_rate, 1.0),
    ]
    assert_blend_matches_chain(result, checks, exact.occupancy, reps)


# ---------------------------------------------------------------------------- simulator
def test_ratio_one_without_ring_time_connects_like_the_threshold_dialer() -> None:
    """Answers at once, failures all but free: the predictive dialer at ratio 1 is the
    threshold dialer with free failed attempts (its outbound throughput and its inbound
    waiting agree within the CIs) and abandons nobody."""
    base = mmc_scenario(100.0, AHT_S, 6, days=2, warmup_minutes=60, patience_s=300.0)
    quick = exponential(1e-3)
    thr = simulate(
        blended_scenario(base, failed_attempt_time=quick, dialer={"threshold": 1}), 10, 4
    )
    pred = simulate(
        blended_scenario(base, failed_attempt_time=quick, dialer=_predictive(1.0)), 10, 4
    )
    assert pred.outbound_kpi("collections", "nuisance_calls") == 0.0
    k = bonferroni_k(10, 2)
    for entity, kpi in (("collections", "connects_per_hour"), ("calls", "p_wait")):
        if entity == "calls":
            a, b = thr.kpi(entity, kpi), pred.kpi(entity, kpi)
            ha, hb = thr.half_width(entity, kpi), pred.half_width(entity, kpi)
        else:
            a, b = thr.outbound_kpi(entity, kpi), pred.outbound_kpi(entity, kpi)
            ha = thr.outbound_half_width(entity, kpi)
            hb = pred.outbound_half_width(entity, kpi)
        assert abs(a - b) <= k * (ha**2 + hb**2) ** 0.5, f"{kpi}: {a} vs {b}"
    exact = threshold_dialer_kpis(6, 100.0, AHT_S, 300.0, 1, 0.3, 240.0, 1e-3)
    assert pred.outbound_kpi("collections", "connects_per_hour") == pytest.approx(
        exact.connects_per_hour, rel=0.1
    )


def test_a_predictive_list_reports_and_judges_nuisance_a_threshold_list_does_not() -> None:
    base = Scenario.from_yaml(BLENDED)
    threshold = simulate(base, 2, 1)
    assert "nuisance_rate" not in set(threshold.outbound.kpi)
    assert "nuisance_calls" not in set(threshold.outbound_intervals.kpi)
    predictive = base.with_changes(
        {
            "outbound.overdue.dialer": _predictive(3.0, 2),
            "outbound.overdue.answer_time": exponential(20),
            "outbound.overdue.targets.max_nuisance_rate": 0.001,
        }
    )
    result = simulate(predictive, 3, 1)
    rate = result.outbound_kpi("overdue", "nuisance_rate")
    calls = result.outbound_kpi("overdue", "nuisance_calls")
    connects = result.outbound_kpi("overdue", "connects")
    assert calls > 0 and rate == pytest.approx(calls / (connects + calls), rel=0.2)
    per = result.outbound_intervals
    assert per[per.kpi == "nuisance_calls"]["mean"].sum() == pytest.approx(calls, rel=1e-9)
    v = result.verdicts()
    row = v[v.kpi == "nuisance_rate"].iloc[0]
    assert not row.met  # a ratio of 3 abandons far more than 0.1%
    assert "outbound.overdue.targets.max_nuisance_rate" in set(v.field)
    # agents spend time on connects only: hours = connects x mean handle time (420 s)
    hours = result.outbound_kpi("overdue", "outbound_agent_hours")
    assert hours == pytest.approx(connects * 420 / 3600, rel=0.1)


def test_calls_answered_after_the_close_are_filed_where_they_were_dialled() -> None:
    """Dialing 09:00-17:00 in a centre open 08:00-18:00, customers answering 90 minutes
    after the dial: those dialled after 16:30 answer when the centre is closed (nobody there:
    nuisance calls). They count in the interval they were dialled in, never in a closed
    interval nor in the horizon's last one (18:00 has no interval: filed under "closed",
    index -1, they landed in 17:30, outside the dialing hours)."""
    scenario = Scenario.from_yaml(BLENDED).with_changes(
        {
            "outbound.overdue.dialer": _predictive(1.5, 2),
            "outbound.overdue.answer_time": {
                "distribution": "deterministic",
                "mean_seconds": 5400,
            },
        }
    )
    result = simulate(scenario, 2, 3)
    per = result.outbound_intervals
    for kpi in ("attempts", "connects", "nuisance_calls"):
        rows = per[per.kpi == kpi]
        outside = rows[(rows.start < "09:00") | (rows.start >= "17:00")]
        assert (outside["mean"] == 0).all(), (kpi, outside)
        assert rows["mean"].sum() == pytest.approx(result.outbound_kpi("overdue", kpi))
    late = per[(per.kpi == "nuisance_calls") & (per.start >= "16:30")]["mean"].sum()
    assert late > 0  # the ones answered into the closed evening
    assert result.outbound_kpi("overdue", "outbound_occupancy") <= 1


# ---------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"outbound.overdue.dialer": {"policy": "predictive", "ratio": 0.8}},
         "outbound.overdue.dialer.ratio"),
        ({"outbound.overdue.dialer": {"policy": "predictive"}}, "outbound.overdue.dialer.ratio"),
        ({"outbound.overdue.dialer": {"ratio": 1.5}}, "outbound.overdue.dialer.ratio: only"),
        ({"outbound.overdue.answer_time": exponential(10)}, "outbound.overdue.answer_time: only"),
        ({"outbound.overdue.targets.max_nuisance_rate": 0.03},
         "outbound.overdue.targets.max_nuisance_rate: the threshold dialer"),
        ({"outbound.overdue.dialer": {"policy": "predictive", "ratio": 1.2, "threshold": 12}},
         "outbound.overdue.dialer.threshold: 12 idle agents"),
    ],
)  # fmt: skip
def test_bad_predictive_input_names_the_field(change: dict, message: str) -> None:
    base = Scenario.from_yaml(BLENDED)
    with pytest.raises(InputError, match=message.replace(".", r"\.")):
        base.with_changes(change)


# ---------------------------------------------------------------------------- optimizer
def test_the_optimizer_refuses_the_nuisance_target_naming_it() -> None:
    from optimizer.problem import Problem

    scenario = Scenario.from_yaml(BLENDED).with_changes(
        {
            "outbound.overdue.dialer": _predictive(1.3, 2),
            "outbound.overdue.targets.max_nuisance_rate": 0.03,
        }
    )
    with pytest.raises(InputError, match=r"outbound\.overdue\.targets\.max_nuisance_rate: the "
                       "optimizer cannot search"):  # fmt: skip
        Problem.from_scenario(scenario)


def test_a_predictive_lists_agent_time_is_its_connects_only() -> None:
    """Ringing and failed calls hold no agent: a predictive list needs the agent-hours of
    its connects alone, a threshold list those plus its failed attempts."""
    from optimizer.outbound import dialing_hours, outbound_list, work_hours

    base = Scenario.from_yaml(BLENDED)
    pred = base.with_changes({"outbound.overdue.dialer": _predictive(1.3, 2)})
    t, p = outbound_list(base, "overdue"), outbound_list(pred, "overdue")
    # 10 connects per dialing hour (09:00-17:00) of 420 s; threshold adds (0.7/0.3) x 35 s
    assert dialing_hours(p) == dialing_hours(t) == 8.0
    assert work_hours(p, "connects_per_hour", 10) == pytest.approx(10 * 8 * 420 / 3600)
    assert work_hours(t, "connects_per_hour", 10) == pytest.approx(
        10 * 8 * (420 + 0.7 / 0.3 * 35) / 3600
    )


# ---------------------------------------------------------------------------- the app
def test_the_app_form_switches_a_list_to_the_predictive_dialer() -> None:
    pytest.importorskip("streamlit")
    import pandas as pd

    from app_pages._outbound import DEFAULT_RATIO, _row, changes

    base = Scenario.from_yaml(BLENDED)
    old = pd.DataFrame([_row(n, s, base) for n, s in base.outbound.items()])
    new = old.copy()
    new.loc[0, "dialer"] = "predictive"  # ratio left blank
    edits = changes(old, new)
    assert edits == {
        "outbound.overdue.dialer.policy": "predictive",
        "outbound.overdue.dialer.ratio": DEFAULT_RATIO,
    }
    predictive = base.with_changes(edits)
    assert predictive.outbound["overdue"].dialer.ratio == DEFAULT_RATIO
    # and back: the ratio goes with the policy (a threshold list refuses one)
    old = pd.DataFrame([_row(n, s, predictive) for n, s in predictive.outbound.items()])
    new = old.copy()
    new.loc[0, "dialer"] = "threshold"
    back = predictive.with_changes(changes(old, new))
    assert back.outbound["overdue"].dialer == base.outbound["overdue"].dialer
    # a new ratio alone
    new = old.copy()
    new.loc[0, "ratio (calls per free agent)"] = 1.6
    assert changes(old, new) == {
        "outbound.overdue.dialer.policy": "predictive",
        "outbound.overdue.dialer.ratio": 1.6,
    }


def test_the_simulate_page_shows_nuisance_cards_for_a_predictive_list() -> None:
    pytest.importorskip("streamlit")
    from pathlib import Path

    import yaml
    from streamlit.testing.v1 import AppTest

    root = Path(__file__).resolve().parent.parent
    data = yaml.safe_load((root / BLENDED).read_text())
    data["outbound"]["overdue"]["dialer"] = _predictive(1.6, 2)
    data["outbound"]["overdue"]["answer_time"] = exponential(15)
    data["outbound"]["overdue"]["targets"] = {"max_nuisance_rate": 0.03}
    app = AppTest.from_file(str(root / "app.py"), default_timeout=600)
    app.session_state["scenario_yaml"] = yaml.safe_dump(data, sort_keys=False)
    app.session_state["scenario_version"] = 1
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    app.switch_page("app_pages/simulate.py").run()
    app.number_input[0].set_value(2)
    next(b for b in app.button if b.label == "Run simulation").click().run()
    assert not app.exception, [e.value for e in app.exception]
    metrics = {m.label: m for m in app.metric}
    assert {"Connects", "Nuisance calls", "Nuisance rate (of live answers)"} <= set(metrics)
    assert "target" in str(metrics["Nuisance rate (of live answers)"].proto.delta)


def test_a_list_completion_target_is_searched_for_on_a_predictive_list() -> None:
    """The file's staffing completes well under 80% of the list even dialled predictively;
    the optimizer finds dialing capacity (connect time only) and the plan meets the target
    and the inbound ones on seeds nobody searched with."""
    from optimizer import optimize

    scenario = Scenario.from_yaml(BLENDED).with_changes(
        {
            "outbound.overdue.dialer": _predictive(1.3, 2),
            "outbound.overdue.answer_time": exponential(15),
            "outbound.overdue.targets.min_list_completion": 0.8,
        }
    )
    assert simulate(scenario, 6, 99).outbound_kpi("overdue", "list_completion") < 0.75
    result = optimize(scenario, max_evaluations=16, replications=6, workers=1, seed=3)
    assert result.feasible, result.message
    fresh = simulate(result.plan.apply(scenario), 10, 99)
    assert fresh.verdicts().met.all(), fresh.verdicts()
    assert fresh.outbound_kpi("overdue", "list_completion") >= 0.8
