"""Fitting email history (issue 14): arrivals around the clock, a team working opening hours.

Known truth: ``synthetic_history(12, seed=2026, email=True)`` adds an ``email`` channel whose
emails arrive in every interval of every day (~4,400 a week, ~230 a day outside opening
hours, Sunday included) and are worked first in, first out in opening hours. The base
scenario says ``email`` is deferred work with a 24-hour promise. Tolerances come from the
sampling error of 8 weeks: per open interval a Poisson count of ~10-60 averaged over 8 days
(~5-10% each), closed-hours emails ~230 a day over 55 days with a day cv of 12% (~2%).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from simulator import Scenario, simulate
from simulator.cli import main
from simulator.history.columns import wape
from simulator.history.fit import fit_history
from simulator.history.synthetic import synthetic_history


def _channel(kind: str, **extra) -> dict:
    return {
        "kind": kind,
        "arrivals": {"rate_per_hour": 1},
        "handle_time": {"distribution": "exponential", "mean_seconds": 1},
        **extra,
    }


BASE = {
    "channels": {
        "calls": _channel("call"),
        "chat": _channel("chat"),
        "email": _channel("email", promise_hours=24, targets={"within_promise": 0.9}),
    },
    "agent_groups": {
        "team": {"cost_per_hour": 31, "skills": ["calls", "chat", "email"], "staffing": 60}
    },
}


@pytest.fixture(scope="module")
def generated():
    return synthetic_history(12, seed=2026, email=True)


@pytest.fixture(scope="module")
def base():
    return Scenario.from_dict(BASE)


@pytest.fixture(scope="module")
def fitted(generated, base):
    frame, _ = generated
    return fit_history(frame, base=base)


def _open(truth) -> np.ndarray:
    """(7, intervals) bool: the truth's opening hours on its 24-hour grid."""
    step = truth.interval_minutes * 60
    mask = np.zeros_like(truth.expected["email"], dtype=bool)
    for w, span in enumerate(truth.hours):
        if span is not None:
            a, b = ((s - truth.grid_open_s) // step for s in span)
            mask[w, a:b] = True
    return mask


def test_opening_hours_from_real_time_channels_not_from_emails(generated, fitted):
    """Emails arrive all night and on Sunday; the centre's hours still come out right."""
    _, truth = generated
    assert fitted.hours == truth.hours
    h = fitted.scenario.horizon
    assert (h.open, h.close, h.hours["sun"]) == ("08:00", "20:00", "closed")


def test_open_hours_volumes_recovered(generated, fitted):
    _, truth = generated
    mask = _open(truth)
    fit = fitted.channels["email"]
    assert wape(fit.volumes[mask], truth.expected["email"][mask]) < 0.08
    assert fit.volumes.sum() == pytest.approx(truth.expected["email"].sum(), rel=0.03)
    assert fit.patience_s is None  # emails do not abandon


def test_closed_hours_volume_recovered(generated, fitted):
    """Emails per day outside opening hours (nights, Saturday afternoon, all Sunday)."""
    _, truth = generated
    arrivals = fitted.scenario.channels["email"].arrivals
    assert arrivals.closed_hours_volume == pytest.approx(truth.closed_per_day["email"], rel=0.04)
    report = fitted.report.set_index("channel")
    assert report.loc["email", "closed_hours_per_day"] == pytest.approx(
        arrivals.closed_hours_volume, abs=0.1
    )
    # the week's emails are all in the scenario: open intervals plus closed hours
    assert fitted.scenario.expected_contacts()["email"] == pytest.approx(
        truth.expected["email"].sum(), rel=0.03
    )


def test_email_handle_times_recovered(generated, fitted):
    """Per open interval within 6% on average (~8 x 10-60 emails, cv 0.8); the cv within
    0.05."""
    _, truth = generated
    mask = _open(truth)
    fit = fitted.channels["email"]
    errors = np.abs(fit.aht_s[mask] / truth.aht_s["email"][mask] - 1)
    assert errors.mean() < 0.06
    assert fit.handle_cv == pytest.approx(truth.handle_cv, abs=0.05)
    means = np.asarray(fitted.scenario.channels["email"].handle_time_means_seconds)
    assert means.shape == (7, 24)


def test_fitted_email_keeps_the_base_promise_and_runs(fitted):
    channel = fitted.scenario.channels["email"]
    assert channel.kind == "email" and channel.promise_hours == 24
    assert channel.targets.within_promise == 0.9
    assert channel.patience is None and channel.redial is None
    result = simulate(fitted.scenario, replications=1, seed=3)
    kpis = result.channels.set_index(["channel", "kpi"])["mean"]
    assert kpis[("email", "offered")] == pytest.approx(4411, rel=0.06)
    assert kpis[("email", "within_promise")] > 0.9  # 60 blended agents keep up


def test_calls_fitted_the_same_with_or_without_the_email_rows(generated, fitted):
    """The email channel's night rows widen the history's grid; the calls are unchanged."""
    frame, _ = generated
    alone = fit_history(frame[frame.channel != "email"])
    a = fitted.scenario.channels["calls"].arrivals.volumes
    assert a == alone.scenario.channels["calls"].arrivals.volumes
    assert fitted.channels["calls"].patience_s == pytest.approx(alone.channels["calls"].patience_s)


def test_email_only_history_takes_hours_from_the_base(generated, tmp_path):
    frame, _ = generated
    emails = frame[frame.channel == "email"]
    base = Scenario.from_dict(
        {
            "horizon": {"open": "08:00", "close": "20:00", "hours": {"sun": "closed"}},
            "channels": {"email": BASE["channels"]["email"]},
            "agent_groups": {"office": {"cost_per_hour": 30, "skills": ["email"], "staffing": 14}},
        }
    )
    result = fit_history(emails, base=base)
    assert result.hours[6] is None and result.hours[0] == (8 * 3600, 20 * 3600)
    assert any("the base scenario's" in n for n in result.notes)


def test_cli_fit_email_with_base(generated, tmp_path: Path, capsys):
    frame, _ = generated
    history = tmp_path / "history.csv"
    frame.to_csv(history, index=False)
    base = tmp_path / "base.yaml"
    base.write_text(Scenario.from_dict(BASE).to_yaml(), encoding="utf-8")
    out = tmp_path / "week.yaml"
    assert main(["fit", str(history), "--base", str(base), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "closed_hours_per_day" in printed
    channel = Scenario.from_yaml(out).channels["email"]
    assert channel.kind == "email" and channel.arrivals.closed_hours_volume > 200


def test_base_with_per_interval_staffing_lists_is_restaffed_with_a_note(generated):
    """A base staffed per interval for its own horizon (2 days x 20 intervals here): each
    listed group gets its agent-hour share of the fitted week's requirement (Erlang C 80/20
    on calls and chat, offered load on email), the constant group is kept."""
    frame, _ = generated
    data = {
        **BASE,
        "horizon": {"days": 2, "open": "08:00", "close": "18:00"},
        "agent_groups": {
            "front": {
                "cost_per_hour": 30,
                "skills": ["calls", "chat"],
                "staffing": [[30] * 20] * 2,
            },
            "back": {"cost_per_hour": 28, "skills": ["email"], "staffing": [[10] * 20] * 2},
            "extra": {"cost_per_hour": 28, "skills": ["calls"], "staffing": 2},
        },
    }
    result = fit_history(frame, base=Scenario.from_dict(data))
    groups = result.scenario.agent_groups
    assert groups["extra"].staffing == 2
    front = np.asarray(groups["front"].staffing)
    back = np.asarray(groups["back"].staffing)
    assert front.shape == back.shape == (7, 24)
    assert (front[6] == 0).all() and back.sum() > 0
    assert front.sum() == pytest.approx(3 * back.sum(), rel=0.05)  # 30 vs 10 agents in the base
    # enough agent-hours for the week's work, not wildly more (Erlang C margins ~10-40%)
    workload_h = (
        sum(
            float(
                np.sum(np.asarray(ch.arrivals.volumes) * np.asarray(ch.handle_time_means_seconds))
            )
            + ch.arrivals.closed_hours_volume * 7 * ch.handle_time.mean_s
            for ch in result.scenario.channels.values()
        )
        / 3600
    )
    assert workload_h < (front.sum() + back.sum()) * 0.5 < 1.6 * workload_h
    notes = [n for n in result.notes if "per-interval list" in n]
    assert len(notes) == 2
    assert "agent_groups.front.staffing" in notes[0] and "(2 x 20)" in notes[0]
    assert "75%" in notes[0] and "25%" in notes[1]
    # each group gets its share of the whole requirement (calls, chat and email together)
    assert "calls, chat, email" in notes[0]
    sim = simulate(result.scenario, replications=1, seed=1)
    kpis = sim.channels.set_index(["channel", "kpi"])["mean"]
    assert kpis[("email", "within_promise")] > 0.5
