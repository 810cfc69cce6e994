"""Back-check of a fitted history against its own recorded service (issue 14).

Known truth: the history is staffsim's own simulation of a centre
(:func:`simulator.history.replay.export_of`: six weeks of ~5,500 calls and ~1,500 chats a
week, staffed per interval, exponential patience), so a correct fit and back-check must
reproduce the last week's recorded figures up to the noise of one recorded week: service
level and abandonment over ~5,500 calls have a standard error near 0.5 points (~0.9 for
~1,500 chats), the simulated mean over 10 replications about as much again. Tolerances are
3 standard errors: 3 points of service level, 2 of abandonment, 30% of an ASA of 5-7 s.
Measured over six history seeds: |difference| at most 1.8 points of service level and 1.3
of abandonment.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from simulator import InputError
from simulator.cli import main
from simulator.history.backcheck import back_check
from simulator.history.fit import fit_history
from simulator.history.replay import export_of, truth_scenario


@pytest.fixture(scope="module")
def export():
    return export_of(truth_scenario(volume_share=0.5), weeks=6, seed=1)


@pytest.fixture(scope="module")
def fitted(export):
    return fit_history(export, back_check_replications=10, seed=3)


def _last_week(export):
    dates = export.interval_start.str[:10]
    return export[dates >= sorted(dates.unique())[-6]]  # 6 open days: Sunday is closed


def test_recorded_figures_are_the_exports_own(export, fitted):
    table = fitted.back_check.table.set_index(["channel", "kpi"])
    week = _last_week(export)
    for c, rows in week.groupby("channel"):
        sl = rows.answered_within_target.sum() / rows.offered.sum()
        assert table.loc[(c, "service_level"), "recorded"] == pytest.approx(sl)
        abandon = rows.abandoned.sum() / rows.offered.sum()
        assert table.loc[(c, "abandon_rate"), "recorded"] == pytest.approx(abandon)
        asa = np.nansum(rows.asa_seconds.replace("", np.nan).astype(float) * rows.answered)
        assert table.loc[(c, "asa_s"), "recorded"] == pytest.approx(asa / rows.answered.sum())


@pytest.mark.parametrize("channel", ["calls", "chat"])
def test_fitted_model_reproduces_the_recorded_service(fitted, channel):
    table = fitted.back_check.table.set_index(["channel", "kpi"])
    assert abs(table.loc[(channel, "service_level"), "difference"]) < 0.03
    assert abs(table.loc[(channel, "abandon_rate"), "difference"]) < 0.02
    asa = table.loc[(channel, "asa_s")]
    assert asa.simulated == pytest.approx(asa.recorded, rel=0.3)


def test_per_day_rows_hold_each_days_recorded_volume(fitted):
    days = fitted.back_check.days
    assert len(days) == 12  # 2 channels x 6 open days (Sunday closed)
    assert set(days.weekday) == {"mon", "tue", "wed", "thu", "fri", "sat"}
    np.testing.assert_allclose(days.offered_simulated, days.offered_recorded, rtol=0.08)
    assert days.service_level_simulated.between(0.5, 1).all()


def test_understaffed_model_is_caught(export):
    """The back-check is a test that can fail: the same recorded service with one agent
    fewer in every interval than the export says is far off."""
    short = export.assign(agents=(export.agents - 1).clip(lower=0))
    check = fit_history(short, back_check_replications=5, seed=3).back_check
    table = check.table.set_index(["channel", "kpi"])
    assert table.loc[("calls", "service_level"), "difference"] < -0.05
    assert table.loc[("calls", "abandon_rate"), "difference"] > 0.02


def test_back_check_scenario_is_the_last_week_with_recorded_agents(export, fitted):
    check = fitted.back_check
    sc = check.scenario
    assert sc.horizon.start_date == check.first and check.first.weekday() == 6  # a Sunday
    assert (check.last - check.first).days == 6
    week = _last_week(export)
    monday = week[week.interval_start.str.startswith(str(check.first + dt.timedelta(days=1)))]
    calls = monday[monday.channel == "calls"].agents.to_numpy()
    staffing = np.asarray(sc.agent_groups["calls"].staffing)
    np.testing.assert_array_equal(staffing[1], calls)  # day 1 = Monday, 08:00-20:00
    assert (staffing[0] == 0).all()  # Sunday closed
    assert sc.channels["calls"].arrivals.day_multiplier is None


def test_without_agents_column_no_back_check_and_a_note(export):
    result = fit_history(export.drop(columns="agents"))
    assert result.back_check is None
    assert any("no agents column" in n for n in result.notes)
    assert fit_history(export, back_check_replications=0).back_check is None


def test_back_check_input_errors_name_the_field(fitted):
    with pytest.raises(InputError, match="back_check_replications: must be >= 0, got -1"):
        fit_history(fitted.history, back_check_replications=-1)
    no_agents = dataclasses.replace(fitted.history, measures=("offered", "answered"))
    with pytest.raises(InputError, match="back-check: the history has no agents column"):
        back_check(fit_history(no_agents, back_check_replications=0))


def test_cli_fit_prints_the_back_check(export, tmp_path: Path, capsys):
    history = tmp_path / "centre.csv"
    export.to_csv(history, index=False)
    out = tmp_path / "week.yaml"
    assert main(["fit", str(history), "--out", str(out), "--back-check-replications", "3"]) == 0
    printed = capsys.readouterr().out
    assert "back-check: 2026-10-04 to 2026-10-10 simulated with the recorded agents" in printed
    assert "service_level" in printed and "2026-10-05     mon" in printed
    assert main(["fit", str(history), "--out", str(out), "--back-check-replications", "0"]) == 0
    assert "back-check" not in capsys.readouterr().out


def test_email_channel_is_back_checked_with_its_end_of_week_note():
    """A centre with an email channel (24-hour promise, its own group): the back-check
    reports the share within the promise and the response time, recorded from the export's
    own columns, and says that the simulated week ends with emails in the backlog."""
    scenario = truth_scenario(volume_share=0.5, email=True)
    export = export_of(scenario, weeks=3, seed=2)
    fitted = fit_history(export, base=scenario, back_check_replications=3, seed=3)
    table = fitted.back_check.table.set_index(["channel", "kpi"])
    week = export[export.interval_start.str[:10] >= str(fitted.back_check.first)]
    emails = week[week.channel == "email"]
    recorded = emails.answered_within_target.sum() / emails.answered.sum()
    assert table.loc[("email", "within_promise"), "recorded"] == pytest.approx(recorded)
    assert 0.9 < table.loc[("email", "within_promise"), "simulated"] <= 1
    response = table.loc[("email", "response_mean_s")]
    assert 3600 < response.simulated < response.recorded * 1.2  # hours, not seconds
    assert any("emails still in the backlog" in n for n in fitted.notes)
    assert fitted.back_check.scenario.channels["email"].arrivals.closed_hours_volume > 0
