"""Multi-channel behaviour: email backlog, chat concurrency, blending, proficiency, the
first-contact-resolution loop and shifts. Seeded; tolerances come from the CIs."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from simulator import Scenario, simulate
from simulator.model import compile_scenario

EXP = "exponential"


def _scenario(channels: dict, groups: dict, **extra: Any) -> Scenario:
    data = {
        "horizon": extra.pop("horizon", {"days": 1, "interval_minutes": 60,
                                         "open": "08:00", "close": "18:00"}),
        "channels": channels,
        "agent_groups": groups,
        "run": {"replications": 10, "seed": 11, **extra.pop("run", {})},
        **extra,
    }  # fmt: skip
    return Scenario.from_dict(data)


def _email(staff: int, days: int = 3) -> Scenario:
    return _scenario(
        {
            "mail": {
                "kind": "email",
                "arrivals": {"rate_per_hour": 20, "closed_hours_volume": 100},
                "handle_time": {"distribution": EXP, "mean_seconds": 600},
                "promise_hours": 24,
                "targets": {"within_promise": 0.9},
            }
        },
        {"a": {"cost_per_hour": 20, "skills": ["mail"], "staffing": staff}},
        horizon={"days": days, "interval_minutes": 60, "open": "08:00", "close": "18:00"},
    )


def _per_rep(result, entity: str, kpi: str) -> np.ndarray:
    rows = result.per_replication
    return (
        rows[(rows.entity == entity) & (rows.kpi == kpi)]
        .sort_values("replication")["value"]
        .to_numpy()
    )


def _end_of_day_backlog(result, channel: str) -> np.ndarray:
    rows = result.intervals[
        (result.intervals.channel == channel) & (result.intervals.kpi == "backlog")
    ]
    return rows.groupby("day")["mean"].last().to_numpy()


# ---------------------------------------------------------------------------------- email
def test_email_conservation_every_email_answered_or_in_backlog() -> None:
    result = simulate(_email(staff=3), replications=6, seed=3)
    offered = _per_rep(result, "mail", "offered")
    answered = _per_rep(result, "mail", "answered")
    backlog = _per_rep(result, "mail", "backlog_at_end")
    # answered counts emails started; none are in service at the end (agents left at
    # closing and finished what they had), so every email is answered or still open.
    assert np.array_equal(offered, answered + backlog)
    assert backlog.min() > 0


def test_email_with_ample_staff_meets_24h_promise() -> None:
    result = simulate(_email(staff=8), replications=6, seed=3)
    assert result.kpi("mail", "within_promise") == 1.0
    # End-of-day backlog stays small: the day's work is cleared.
    assert _end_of_day_backlog(result, "mail").max() < 10


def test_email_backlog_grows_by_arrivals_minus_capacity_per_day() -> None:
    result = simulate(_email(staff=3, days=4), replications=8, seed=5)
    # Per day: 20/h x 10 h + 100 overnight = 300 arrive; 3 agents x 10 h x 6 per hour
    # (600 s each) = 180 handled at full occupancy, so the backlog grows by ~120 a day.
    growth = np.diff(_end_of_day_backlog(result, "mail"))
    assert growth == pytest.approx(np.full(3, 120.0), abs=25)
    assert result.kpi("mail", "within_promise") < 0.9


def test_email_working_hours_promise_is_stricter_than_calendar() -> None:
    base = _email(staff=3)
    working = base.with_changes(
        {"channels.mail.promise_clock": "working", "channels.mail.promise_hours": 4}
    )
    calendar = base.with_changes({"channels.mail.promise_hours": 4})
    # A 4-hour promise in opening hours spans the night for late emails: easier to meet.
    assert simulate(working, 4, 1).kpi("mail", "within_promise") > simulate(calendar, 4, 1).kpi(
        "mail", "within_promise"
    )


# ---------------------------------------------------------------------------------- chat
def _single(kind: str, **channel: Any) -> Scenario:
    ch = {
        "kind": kind,
        "arrivals": {"rate_per_hour": 100},
        "handle_time": {"distribution": EXP, "mean_seconds": 300},
        "patience": {"distribution": EXP, "mean_seconds": 120},
        **channel,
    }
    return _scenario({"c": ch}, {"a": {"cost_per_hour": 20, "skills": ["c"], "staffing": 9}})


def test_chat_with_concurrency_one_behaves_as_calls() -> None:
    calls = simulate(_single("call"), replications=10, seed=2)
    chats = simulate(_single("chat", max_concurrency=1), replications=10, seed=2)
    for kpi in ("service_level", "asa_s", "abandon_rate"):
        low, high = calls.ci("c", kpi)
        assert low - 1e-9 <= chats.kpi("c", kpi) <= high + 1e-9, kpi


def test_chat_concurrency_raises_capacity_and_slowdown_costs_some_back() -> None:
    k1 = simulate(_single("chat", max_concurrency=1), replications=6, seed=2)
    k3 = simulate(_single("chat", max_concurrency=3), replications=6, seed=2)
    k3_slow = simulate(
        _single("chat", max_concurrency=3, concurrency_slowdown=0.5), replications=6, seed=2
    )
    assert k3.kpi("c", "service_level") > k1.kpi("c", "service_level")
    assert 1.0 < k3.kpi("c", "avg_concurrency") <= 3.0
    assert k3_slow.kpi("c", "aht_s") > k3.kpi("c", "aht_s")


# ---------------------------------------------------------------------------------- blending
def _blend(reserve: int, email_rate: float) -> Scenario:
    return _scenario(
        {
            "voice": {
                "kind": "call",
                "arrivals": {"rate_per_hour": 120},
                "handle_time": {"distribution": EXP, "mean_seconds": 180},
            },
            "mail": {
                "kind": "email",
                "arrivals": {"rate_per_hour": email_rate},
                "handle_time": {"distribution": EXP, "mean_seconds": 120},
            },
        },
        {"blended": {"cost_per_hour": 25, "skills": ["voice", "mail"], "staffing": 10}},
        routing={"email_reserve_agents": reserve},
    )


def test_email_reserve_protects_calls_and_its_absence_does_not() -> None:
    reps, seed = 20, 4
    calls_only = simulate(_blend(0, 0.0), reps, seed).kpi("voice", "service_level")
    protected = simulate(_blend(5, 60.0), reps, seed)
    unprotected = simulate(_blend(0, 60.0), reps, seed)
    low, high = protected.ci("voice", "service_level")
    half = (high - low) / 2
    # With the reserve, email work moves call service level by less than its CI ...
    assert abs(protected.kpi("voice", "service_level") - calls_only) < half
    # ... without it, calls clearly degrade.
    assert calls_only - unprotected.kpi("voice", "service_level") > 2 * half
    # The price of the reserve is paid by email: fewer answered the same day, but still
    # a good share worked in idle time; without a reserve nearly all are answered.
    offered = protected.kpi("mail", "offered")
    assert 0.3 * offered < protected.kpi("mail", "answered") < 0.9 * offered
    assert unprotected.kpi("mail", "answered") > 0.95 * offered


# ---------------------------------------------------------------------------------- proficiency
def test_handle_time_factor_half_halves_occupancy() -> None:
    def scen(factor: float) -> Scenario:
        return _scenario(
            {"c": {"arrivals": {"rate_per_hour": 60},
                   "handle_time": {"distribution": EXP, "mean_seconds": 300}}},
            {"a": {"cost_per_hour": 20, "skills": {"c": {"handle_time_factor": factor}},
                   "staffing": 10}},
        )  # fmt: skip

    def occupancy(result) -> tuple[float, float]:
        row = result.groups[result.groups.kpi == "occupancy"].iloc[0]
        return row["mean"], row["ci_half_width"]

    full, full_hw = occupancy(simulate(scen(1.0), 10, 6))
    half, half_hw = occupancy(simulate(scen(0.5), 10, 6))
    assert full == pytest.approx(0.5, abs=3 * full_hw)  # 60/h x 300 s / 10 agents
    assert half == pytest.approx(full / 2, abs=2 * (half_hw + full_hw / 2))


def test_most_proficient_first_sends_work_to_the_faster_group() -> None:
    def scen(policy: str) -> Scenario:
        return _scenario(
            {"c": {"arrivals": {"rate_per_hour": 30},
                   "handle_time": {"distribution": EXP, "mean_seconds": 300}}},
            {"slow": {"cost_per_hour": 10, "skills": {"c": {"handle_time_factor": 1.5}},
                      "staffing": 5},
             "fast": {"cost_per_hour": 30, "skills": {"c": {"handle_time_factor": 0.7}},
                      "staffing": 5}},
            routing={"agent_selection": policy},
        )  # fmt: skip

    def handled(result, group: str) -> float:
        g = result.groups
        return float(g[(g.group == group) & (g.kpi == "handled")]["mean"].iloc[0])

    proficient = simulate(scen("most_proficient"), 4, 1)
    cheapest = simulate(scen("cheapest"), 4, 1)
    assert handled(proficient, "fast") > 2 * handled(proficient, "slow")
    assert handled(cheapest, "slow") > 2 * handled(cheapest, "fast")


# ---------------------------------------------------------------------------------- FCR loop
def _fcr(p: float) -> Scenario:
    return _scenario(
        {"c": {"arrivals": {"rate_per_hour": 60},
               "handle_time": {"distribution": EXP, "mean_seconds": 120},
               "resolution": {"repeat_share": 1.0, "max_contacts": 50,
                              "repeat_delay": {"distribution": EXP, "mean_seconds": 60}}}},
        {"a": {"cost_per_hour": 20, "skills": {"c": {"fcr": p}}, "staffing": 12}},
        horizon={"days": 1, "interval_minutes": 60, "open": "00:00", "close": "24:00"},
    )  # fmt: skip


def test_fcr_loop_measures_p_and_one_over_p_contacts() -> None:
    p = 0.6
    result = simulate(_fcr(p), replications=10, seed=8)
    low, high = result.ci("c", "fcr")
    assert low <= p <= high
    # Issues still open near the end of the horizon are cut short, so contacts per issue
    # is slightly below 1/p; they are a small share of a 24 h day with a 60 s return delay.
    assert result.kpi("c", "contacts_per_issue") == pytest.approx(1 / p, rel=0.03)


def test_lower_fcr_raises_offered_load() -> None:
    high = simulate(_fcr(0.9), replications=5, seed=8)
    low = simulate(_fcr(0.5), replications=5, seed=8)
    # Offered contacts = issues x contacts per issue: ~1/0.5 vs ~1/0.9.
    ratio = low.kpi("c", "offered") / high.kpi("c", "offered")
    assert ratio == pytest.approx(0.9 / 0.5, rel=0.06)
    assert low.kpi("c", "repeat_rate") > high.kpi("c", "repeat_rate")


def test_escalation_feeds_the_tier2_queue() -> None:
    scen = _scenario(
        {"front": {"arrivals": {"rate_per_hour": 60},
                   "handle_time": {"distribution": EXP, "mean_seconds": 120},
                   "resolution": {"repeat_share": 0.0, "escalate_share": 1.0,
                                  "escalate_to": "tier2"}},
         "tier2": {"arrivals": {"rate_per_hour": 0},
                   "handle_time": {"distribution": EXP, "mean_seconds": 300}}},
        {"front": {"cost_per_hour": 20, "skills": {"front": {"fcr": 0.7}}, "staffing": 6},
         "experts": {"cost_per_hour": 40, "skills": {"tier2": {"fcr": 1.0}}, "staffing": 4}},
    )  # fmt: skip
    result = simulate(scen, 5, 2)
    front_answered = result.kpi("front", "answered")
    assert result.kpi("tier2", "offered") == pytest.approx(0.3 * front_answered, rel=0.15)
    assert result.kpi("front", "unresolved_issue_share") < 0.05


# ---------------------------------------------------------------------------------- shifts
def _shifts() -> Scenario:
    return _scenario(
        {"c": {"arrivals": {"rate_per_hour": 40},
               "handle_time": {"distribution": EXP, "mean_seconds": 240},
               "patience": {"distribution": EXP, "mean_seconds": 300}}},
        {"early": {"cost_per_hour": 20, "skills": ["c"],
                   "shifts": [{"start": "08:00", "hours": 6, "count": 3,
                               "breaks": [{"after_minutes": 180, "minutes": 30}]}]},
         "late": {"cost_per_hour": 30, "skills": ["c"],
                  "shifts": [{"start": "12:00", "hours": 6, "count": 2}]}},
        # The late shift ends at closing: do not let it drain the queue after 18:00.
        run={"serve_queue_at_close": False},
    )  # fmt: skip


def test_shift_paid_hours_and_cost_are_exact() -> None:
    result = simulate(_shifts(), 2, 1)
    g = result.groups.set_index(["group", "kpi"])["mean"]
    assert g[("early", "paid_hours")] == 3 * 5.5  # 6 h minus an unpaid 30-min break
    assert g[("late", "paid_hours")] == 2 * 6
    assert g[("early", "cost")] == 3 * 5.5 * 20
    assert result.overall.set_index("kpi")["mean"]["cost"] == 3 * 5.5 * 20 + 12 * 30


def test_nobody_starts_work_outside_shift_or_during_break(tmp_path: Path) -> None:
    simulate(_shifts(), 2, 1, contact_log_dir=tmp_path)
    model = compile_scenario(_shifts())
    duty = {g.name: g.changes for g in model.groups}
    starts = 0
    for log in tmp_path.glob("contacts-*.csv"):
        with log.open() as handle:
            for row in csv.DictReader(handle):
                if row["outcome"] != "answered":
                    continue
                starts += 1
                t = float(row["time_s"])
                level = 0
                for when, on_duty in duty[row["group"]]:
                    if when <= t:
                        level = on_duty
                assert level > 0, f"{row['group']} answered at {t / 3600:.2f} h while off duty"
    assert starts > 100
    # The break (11:00-11:30 for the early shift) really is a gap in its duty:
    early = dict(duty["early"])
    assert early[11 * 3600.0] == 0 and early[11.5 * 3600] == 3


def test_day_multiplier_changes_days_but_keeps_common_random_numbers() -> None:
    base = _single("call").with_changes(
        {"horizon.days": 4, "channels.c.arrivals.day_multiplier": {"cv": 0.3}}
    )
    more_staff = base.with_changes({"agent_groups.a.staffing": 12})
    a = simulate(base, 3, 9)
    b = simulate(more_staff, 3, 9)
    offered = a.intervals[(a.intervals.kpi == "offered")].groupby("day")["mean"].sum()
    assert offered.max() / offered.min() > 1.1  # days differ
    assert a.kpi("c", "offered") - a.kpi("c", "redials") == pytest.approx(
        b.kpi("c", "offered") - b.kpi("c", "redials")
    )  # same customers whatever the staffing
