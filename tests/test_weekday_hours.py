"""Scenario additions of issue 14: ``horizon.start_date``, opening hours per weekday
(closed days allowed) and handle-time means per interval.

Old files must run exactly as before: the per-weekday code paths are checked against the
closed-form paths they replace on a scenario where both apply (bit-identical results), and a
handle-time profile equal to the channel mean changes nothing.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import yaml

from simulator import InputError, Scenario, simulate
from simulator.engine import run_replication
from simulator.model import compile_scenario
from simulator.scenario import WEEKDAYS

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"


def _week(days: int = 7, **horizon) -> dict:
    """Calls with redials and a next-day repeat loop, plus email with a working-hours
    promise and closed-hours mail: every path that depends on opening hours."""
    return {
        "name": "week",
        "horizon": {"days": days, "interval_minutes": 60, "open": "08:00", "close": "18:00"}
        | horizon,
        "channels": {
            "calls": {
                "kind": "call",
                "arrivals": {"rate_per_hour": 60},
                "handle_time": {"distribution": "exponential", "mean_seconds": 240},
                "patience": {"distribution": "exponential", "mean_seconds": 60},
                "redial": {
                    "probability": 0.5,
                    "delay": {"distribution": "exponential", "mean_seconds": 7200},
                },
                "resolution": {
                    "repeat_share": 1.0,
                    "repeat_delay": {"distribution": "exponential", "mean_seconds": 40000},
                },
                "targets": {"service_level": 0.8, "within_seconds": 20},
            },
            "email": {
                "kind": "email",
                "arrivals": {"rate_per_hour": 5, "closed_hours_volume": 30},
                "handle_time": {"distribution": "exponential", "mean_seconds": 300},
                "promise_hours": 8,
                "promise_clock": "working",
            },
        },
        "agent_groups": {
            "agents": {
                "cost_per_hour": 20,
                "skills": {"calls": {"fcr": 0.7}, "email": {}},
                "staffing": 4,
            }
        },
    }


def _stats_equal(a, b) -> None:
    for name in a.channels:
        for key, value in a.channels[name].items():
            np.testing.assert_array_equal(value, b.channels[name][key], err_msg=f"{name}.{key}")
        assert a.channel_scalars[name] == b.channel_scalars[name]
    for name in a.groups:
        for key, value in a.groups[name].items():
            np.testing.assert_array_equal(value, b.groups[name][key], err_msg=f"{name}.{key}")


# ---- old files unchanged -----------------------------------------------------------------
def test_weekday_code_paths_match_the_closed_form_paths_bit_for_bit():
    """The engine's per-weekday paths (boundaries, interval lookup, return times of redials
    and repeats, working-hours promises, closed-hours mail) forced on a scenario open the
    same hours every day give exactly the results of the closed-form paths old files take."""
    model = compile_scenario(Scenario.from_dict(_week(days=3)))
    assert model.open_mask is None
    forced = dataclasses.replace(
        model,
        open_mask=np.ones((model.days, model.intervals_per_day), dtype=bool),
        day_spans=((model.open_s, model.close_s),) * model.days,
        week_spans=((model.open_s, model.close_s),) * 7,
    )
    for replication in range(2):
        _stats_equal(
            run_replication(model, 7, replication), run_replication(forced, 7, replication)
        )


def test_working_seconds_by_day_equals_closed_form():
    model = compile_scenario(Scenario.from_dict(_week(days=2)))
    forced = dataclasses.replace(
        model,
        open_mask=np.ones((2, model.intervals_per_day), dtype=bool),
        day_spans=((model.open_s, model.close_s),) * 2,
        week_spans=((model.open_s, model.close_s),) * 7,
    )
    for t in (0.0, 30_000.0, 50_000.0, 70_000.0, 100_000.0):
        for seconds in (10.0, 36_000.0, 90_000.0, 400_000.0):
            assert forced.add_working_seconds(t, seconds) == model.add_working_seconds(t, seconds)


def test_flat_handle_time_profile_changes_nothing():
    """``handle_time_means_seconds`` equal to the distribution's mean in every interval is
    the old single distribution, bit for bit."""
    plain = Scenario.from_dict(_week(days=2))
    data = _week(days=2)
    data["channels"]["calls"]["handle_time_means_seconds"] = [240.0] * 10
    profiled = Scenario.from_dict(data)
    a = run_replication(compile_scenario(plain), 3, 0)
    b = run_replication(compile_scenario(profiled), 3, 0)
    _stats_equal(a, b)


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.yaml")), ids=lambda p: p.stem)
def test_bundled_scenarios_gain_no_keys(path):
    """Old files read back to the same plain data: the new fields stay out of them unless
    the file sets them (``week.yaml`` has a start date, to name its days)."""
    raw = yaml.safe_load(path.read_text())
    if "channels" not in raw:
        pytest.skip("not a scenario (a sweep definition)")
    if "hours" in raw.get("horizon", {}):
        pytest.skip("a scenario written with weekday hours (branch_walkin.yaml)")
    scenario = Scenario.from_yaml(path)
    assert scenario.horizon.hours is None and scenario.horizon.uniform_hours
    data = scenario.to_dict()
    assert "hours" not in data["horizon"]
    assert ("start_date" in data["horizon"]) == ("start_date" in raw["horizon"])
    assert (scenario.horizon.start_date is None) == ("start_date" not in raw["horizon"])
    assert Scenario.from_dict(data) == scenario


# ---- weekday hours ----------------------------------------------------------------------
def _saturday_short_sunday_closed(**extra) -> Scenario:
    data = _week(
        start_date="2026-12-07",  # a Monday
        hours={"sat": {"open": "09:00", "close": "13:00"}, "sun": "closed"},
        **extra,
    )
    return Scenario.from_dict(data)


def test_weekdays_follow_start_date():
    h = Scenario.from_dict(_week(start_date="2026-12-10")).horizon  # a Thursday
    assert [WEEKDAYS[h.weekday(d)] for d in range(4)] == ["thu", "fri", "sat", "sun"]
    assert Scenario.from_dict(_week()).horizon.weekday(0) == 0  # no date: day 0 is a Monday


def test_open_mask_and_grid():
    h = _saturday_short_sunday_closed().horizon
    assert (h.open_s, h.close_s, h.intervals_per_day) == (8 * 3600, 18 * 3600, 10)
    mask = h.open_mask()
    assert mask[:5].all()
    assert mask[5].tolist() == [False, True, True, True, True] + [False] * 5
    assert not mask[6].any()


def test_closed_intervals_get_no_contacts_and_no_paid_hours():
    scenario = _saturday_short_sunday_closed()
    result = simulate(scenario, replications=2, seed=5)
    iv = result.intervals
    offered = iv[(iv.kpi == "offered") & (iv.channel == "calls")]
    sat = offered[offered.day == 5].set_index("interval")["mean"]
    assert sat.loc[0] == 0 and (sat.loc[5:] == 0).all()
    assert sat.loc[1:4].sum() > 0
    # Sunday: no first calls, and redials / repeats of the weekend wait for Monday (outside
    # the horizon here), so nothing at all is offered on Sunday.
    assert (offered[offered.day == 6]["mean"] == 0).all()
    # A constant headcount of 4 is paid in open intervals only: 5 x 10 h + 4 h.
    paid = result.groups.set_index(["group", "kpi"]).loc[("agents", "paid_hours"), "mean"]
    assert paid == pytest.approx(4 * (5 * 10 + 4))


def test_expected_contacts_count_open_intervals_only():
    """The size limit's estimate: 5 x 10 h + 4 h open at 60 calls an hour (not 7 x 10 h),
    one volume row likewise only where open; closed-hours email per calendar day."""
    scenario = _saturday_short_sunday_closed()
    expected = scenario.expected_contacts()
    assert expected["calls"] == pytest.approx(60 * (5 * 10 + 4))
    assert expected["email"] == pytest.approx(5 * (5 * 10 + 4) + 30 * 7)
    data = scenario.to_dict()
    data["channels"]["calls"]["arrivals"] = {"volumes": [float(k) for k in range(10)]}
    row = Scenario.from_dict(data).expected_contacts()["calls"]
    assert row == pytest.approx(5 * 45 + (1 + 2 + 3 + 4))  # Saturday open 09:00-13:00
    result = simulate(scenario, replications=4, seed=2)  # what the engine offers
    offered = result.channels.set_index(["channel", "kpi"]).loc[("email", "offered")]
    assert offered["ci_low"] < expected["email"] < offered["ci_high"]


def test_redials_after_saturday_close_come_back_on_monday():
    """Nine days: redials and repeats that fall after Saturday 13:00 skip closed Sunday."""
    data = _week(days=9, start_date="2026-12-07", hours={"sat": {"open": "09:00", "close": "13:00"},
                                                         "sun": "closed"})  # fmt: skip
    model = compile_scenario(Scenario.from_dict(data))
    day = 86_400
    sat_evening = 5 * day + 15 * 3600
    when = model.return_time(0, sat_evening, 0.5)
    assert 7 * day + 8 * 3600 <= when < 7 * day + 18 * 3600  # Monday (day 7) opening hours
    assert model.next_open_s(sat_evening) == 7 * day + 8 * 3600
    assert model.return_time(0, 5 * day + 10 * 3600, 0.5) == 5 * day + 10 * 3600  # open: now
    # Working-hours promise of 8 h from Saturday 12:00: 1 h on Saturday, 7 h on Monday.
    assert model.add_working_seconds(5 * day + 12 * 3600, 8 * 3600) == 7 * day + 15 * 3600


def test_optimizer_problem_has_no_staff_or_load_when_closed():
    from optimizer.problem import Problem

    p = Problem.from_scenario(_saturday_short_sunday_closed())
    closed = ~_saturday_short_sunday_closed().horizon.open_mask().ravel()
    assert (p.upper[:, closed] == 0).all() and (p.lower[:, closed] == 0).all()
    assert (p.rate_per_hour[:, closed] == 0).all()
    assert (p.rate_per_hour[0, ~closed] == 60).all()


def test_hours_errors_name_the_field():
    with pytest.raises(InputError, match=r"horizon.hours.sat.close: must be a clock time"):
        Scenario.from_dict(_week(hours={"sat": {"open": "09:00", "close": "25:00"}}))
    with pytest.raises(InputError, match=r"hours.sat: 09:10-13:00 does not fall on the 60-minute"):
        Scenario.from_dict(_week(hours={"sat": {"open": "09:10", "close": "13:00"}}))
    with pytest.raises(InputError, match="every weekday is closed"):
        Scenario.from_dict(_week(hours=dict.fromkeys(WEEKDAYS, "closed")))
    with pytest.raises(InputError, match=r"horizon.hours.sunday"):
        Scenario.from_dict(_week(hours={"sunday": "closed"}))
    with pytest.raises(InputError, match=r"horizon.start_date"):
        Scenario.from_dict(_week(start_date="7 December"))


def test_volume_in_a_closed_interval_is_an_error():
    data = _week(days=7, hours={"sun": "closed"})
    rows = [[10.0] * 10 for _ in range(7)]
    data["channels"]["calls"]["arrivals"] = {"volumes": rows}
    with pytest.raises(InputError, match=r"calls.arrivals.volumes.6.0: day 6 \(sun\) is closed"):
        Scenario.from_dict(data)
    rows[6] = [0.0] * 10
    Scenario.from_dict(data)  # zeros are fine


def test_hours_round_trip_through_yaml():
    scenario = _saturday_short_sunday_closed()
    again = Scenario.from_yaml_text(scenario.to_yaml())
    assert again == scenario
    assert yaml.safe_load(scenario.to_yaml())["horizon"]["start_date"] == "2026-12-07"


# ---- handle time per interval ------------------------------------------------------------
def test_handle_time_per_interval_is_what_the_simulation_measures():
    """Mornings 180 s, afternoons 360 s (lognormal shape): the measured AHT of each half
    day matches within 3% (about 2,000 answered calls each; the sampling error is ~1.8%)."""
    data = _week(days=1)
    calls = data["channels"]["calls"]
    calls["handle_time"] = {"distribution": "lognormal", "mean_seconds": 240, "cv": 0.8}
    calls["handle_time_means_seconds"] = [180.0] * 5 + [360.0] * 5
    calls.pop("redial")
    calls.pop("patience")
    calls.pop("resolution")
    calls["arrivals"] = {"rate_per_hour": 100}
    data["agent_groups"]["agents"]["staffing"] = 20
    model = compile_scenario(Scenario.from_dict(data))
    handle = np.zeros(10)
    answered = np.zeros(10)
    for replication in range(4):
        stats = run_replication(model, 11, replication).channels["calls"]
        handle += stats["handle_sum"]
        answered += stats["answered"]
    assert handle[:5].sum() / answered[:5].sum() == pytest.approx(180, rel=0.03)
    assert handle[5:].sum() / answered[5:].sum() == pytest.approx(360, rel=0.03)


def test_analytic_requirement_uses_each_intervals_handle_time():
    """The Erlang C warm start staffs each interval for its own AHT."""
    from optimizer.baseline import erlang_requirement
    from simulator import required_agents

    data = _week(days=1)
    data["channels"].pop("email")
    data["agent_groups"]["agents"]["skills"] = {"calls": {}}
    for key in ("patience", "redial", "resolution"):
        data["channels"]["calls"].pop(key)
    means = [120.0, 180.0, 240.0, 300.0, 360.0, 420.0, 480.0, 540.0, 600.0, 660.0]
    data["channels"]["calls"]["handle_time_means_seconds"] = means
    req, _ = erlang_requirement(Scenario.from_dict(data))
    expected = required_agents(60.0, np.array(means), service_level=0.8, within_s=20)
    np.testing.assert_array_equal(req[0], np.ceil(expected.raw_agents))
    assert req[0, -1] > req[0, 0] + 5


def test_handle_time_means_errors():
    data = _week()
    data["channels"]["calls"]["handle_time_means_seconds"] = [240.0] * 9
    with pytest.raises(
        InputError, match=r"handle_time_means_seconds: 9 values given, a day has 10"
    ):
        Scenario.from_dict(data)
    data["channels"]["calls"]["handle_time_means_seconds"] = [240.0] * 9 + [0.0]
    with pytest.raises(InputError, match=r"handle_time_means_seconds: every mean must be"):
        Scenario.from_dict(data)


def test_interval_labels_name_weekday_and_date_with_a_start_date():
    """With ``start_date`` the tables (targets' floors, the optimizer's plans) name a day as
    the app does; without it days stay numbered from 0."""
    dated = _saturday_short_sunday_closed()  # from Monday 7 December 2026
    per_day = dated.horizon.intervals_per_day
    assert dated.horizon.label(2 * per_day + 1) == "Wed 9 Dec 09:00"
    assert Scenario.from_dict(_week()).horizon.label(2 * per_day + 1) == "d2 09:00"
    result = simulate(dated, replications=1, seed=1)
    assert result.kpi_summary.labels[per_day] == "Tue 8 Dec 08:00"
