"""History in (issue 14): an interval export read, fitted and forecast into a scenario.

Recovery is checked against the known truth of ``simulator.history.synthetic`` (12 weeks,
fixed seed; 8 recent weeks averaged). Tolerances come from the sampling error of 8 weeks of
data: per interval a Poisson count of ~20-100 averaged over 8 days (relative error ~4-8%),
daily totals with a day cv of 8-10% (the cv itself has a ~25% relative error from 8 values
per weekday), answered-weighted handle times over ~1,000 contacts per weekday-interval.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulator import InputError, Scenario, simulate
from simulator.cli import main
from simulator.history.columns import read_history, wape
from simulator.history.fit import fit_history
from simulator.history.forecast import _holt_winters, backtest, forecast_history
from simulator.history.synthetic import synthetic_history

SAMPLE = Path(__file__).resolve().parent.parent / "examples" / "history_sample.csv"


@pytest.fixture(scope="module")
def generated():
    return synthetic_history(12, seed=2026)


@pytest.fixture(scope="module")
def fitted(generated):
    frame, _ = generated
    return fit_history(frame)


# ---- recovery of known truth -------------------------------------------------------------
@pytest.mark.parametrize(("channel", "limit"), [("calls", 0.04), ("chat", 0.08)])
def test_volumes_recovered_better_than_the_plain_mean(generated, fitted, channel, limit):
    """Interval volumes within the Poisson error of 8 weeks (WAPE against the truth), and
    closer than the plain mean, which the holiday drags down."""
    _, truth = generated
    fit = fitted.channels[channel]
    robust = wape(fit.volumes, truth.expected[channel])
    plain = wape(fit.plain_volumes, truth.expected[channel])
    assert robust < limit
    assert robust < 0.9 * plain
    assert fit.volumes.sum() == pytest.approx(truth.expected[channel].sum(), rel=0.03)


def test_holiday_is_the_outlier_day(generated, fitted):
    _, truth = generated
    for fit in fitted.channels.values():
        assert fit.outlier_days == (truth.holiday,)
    assert any(str(truth.holiday) in note for note in fitted.notes)


@pytest.mark.parametrize("channel", ["calls", "chat"])
def test_handle_times_recovered(generated, fitted, channel):
    """Per-interval means within 5% on average (each over ~8 x 20-100 contacts with cv
    0.8), the volume-weighted mean within 1.5%, and the single-contact cv within 0.05."""
    _, truth = generated
    fit = fitted.channels[channel]
    open_ = truth.expected[channel] > 0
    errors = np.abs(fit.aht_s[open_] / truth.aht_s[channel][open_] - 1)
    assert errors.mean() < 0.05
    weights = truth.expected[channel][open_]
    fitted_mean = (fit.aht_s[open_] * weights).sum() / weights.sum()
    true_mean = (truth.aht_s[channel][open_] * weights).sum() / weights.sum()
    assert fitted_mean == pytest.approx(true_mean, rel=0.015)
    assert fit.handle_cv == pytest.approx(truth.handle_cv, abs=0.05)


@pytest.mark.parametrize("channel", ["calls", "chat"])
def test_patience_recovered(generated, fitted, channel):
    """Total waiting time / abandoned: the censored exponential MLE, within 4% (~2,000
    abandoned contacts: a relative error of ~2%)."""
    _, truth = generated
    assert fitted.channels[channel].patience_s == pytest.approx(truth.patience_s[channel], rel=0.04)


@pytest.mark.parametrize("channel", ["calls", "chat"])
def test_day_cv_beyond_poisson_recovered(generated, fitted, channel):
    """0.08 / 0.10 in truth; 6 weekdays x 7-8 days give a relative error near 25%."""
    _, truth = generated
    assert fitted.channels[channel].day_cv == pytest.approx(truth.day_cv[channel], rel=0.3)


def test_opening_hours_by_weekday(generated, fitted):
    _, truth = generated
    assert fitted.hours == truth.hours


def test_fitted_scenario_is_next_week_and_runs(generated, fitted):
    _, truth = generated
    sc = fitted.scenario
    h = sc.horizon
    last = truth.first_date + dt.timedelta(weeks=12) - dt.timedelta(days=2)  # a Saturday
    assert h.start_date == last + dt.timedelta(days=2) and h.start_date.weekday() == 0
    assert (h.days, h.interval_minutes, h.open, h.close) == (7, 30, "08:00", "20:00")
    assert h.hours["sun"] == "closed" and h.hours["sat"].open == "09:00"
    volumes = np.asarray(sc.channels["calls"].arrivals.volumes)
    np.testing.assert_allclose(volumes, fitted.channels["calls"].volumes, atol=1e-3)
    assert sc.channels["calls"].patience.mean_s == pytest.approx(
        fitted.channels["calls"].patience_s, abs=0.01
    )
    assert list(sc.agent_groups) == ["agents"]
    result = simulate(sc, replications=1, seed=1)
    sl = result.channels.set_index(["channel", "kpi"]).loc[("calls", "service_level"), "mean"]
    assert sl > 0.75  # staffed by Erlang C for 80/20 per interval


def test_base_scenario_keeps_groups_and_targets(generated):
    frame, _ = generated
    base = Scenario.from_dict(
        {
            "channels": {
                "calls": {
                    "arrivals": {"rate_per_hour": 1},
                    "handle_time": {"distribution": "exponential", "mean_seconds": 1},
                    "targets": {"service_level": 0.9, "within_seconds": 30},
                },
                "chat": {
                    "kind": "chat",
                    "max_concurrency": 2,
                    "arrivals": {"rate_per_hour": 1},
                    "handle_time": {"distribution": "exponential", "mean_seconds": 1},
                },
            },
            "agent_groups": {
                "team": {"cost_per_hour": 31, "skills": ["calls", "chat"], "staffing": 40}
            },
        }
    )
    sc = fit_history(frame, base=base).scenario
    assert sc.agent_groups["team"].cost_per_hour == 31
    assert sc.channels["calls"].targets.service_level == 0.9
    assert sc.channels["chat"].max_concurrency == 2
    assert sc.channels["calls"].handle_time.mean_s == pytest.approx(306, rel=0.03)


# ---- reading: mapping, time zones, duplicates, gaps, errors ------------------------------
def test_column_mapping(generated):
    frame, _ = generated
    renamed = frame.rename(columns={"interval_start": "Start", "offered": "Calls Offered"})
    mapped = read_history(renamed, columns={"interval_start": "Start", "offered": "Calls Offered"})
    plain = read_history(frame)
    np.testing.assert_array_equal(mapped.data["calls"]["offered"], plain.data["calls"]["offered"])
    with pytest.raises(InputError, match=r"missing column 'offered'.*--columns offered="):
        read_history(renamed.rename(columns={"Start": "interval_start"}))
    with pytest.raises(InputError, match=r"--columns: 'volume' is not a column staffsim reads"):
        read_history(frame, columns={"volume": "offered"})


def test_utc_export_with_timezone_matches_local_export(generated):
    """The same export written in UTC ('Z') and read with --timezone Europe/Berlin lands on
    the same local grid across the October daylight-saving change."""
    frame, _ = generated
    utc = frame.assign(
        interval_start=pd.to_datetime(frame.interval_start, utc=True).dt.strftime(
            "%Y-%m-%dT%H:%M:%SZ"
        )
    )
    a = read_history(frame)
    b = read_history(utc, timezone="Europe/Berlin")
    assert (a.grid_open_s, a.per_day, a.dates) == (b.grid_open_s, b.per_day, b.dates)
    np.testing.assert_array_equal(a.data["chat"]["offered"], b.data["chat"]["offered"])
    with pytest.raises(InputError, match="--timezone"):
        read_history(utc, timezone="Mars/Olympus")


def test_duplicates_and_gaps_reported_and_repaired(generated):
    frame, _ = generated
    clean = read_history(frame)
    first_day = frame.interval_start.str.startswith("2026-09-01")
    gap_row = frame.index[first_day & (frame.channel == "calls")][5]
    damaged = pd.concat([frame.drop(index=gap_row), frame.iloc[[10, 11]]], ignore_index=True)
    h = read_history(damaged)
    notes = "\n".join(h.notes)
    assert "2 duplicated row(s) (same interval, same values) dropped" in notes
    assert "calls: 1 interval(s) missing inside a day's rows (first: 2026-09-01 10:30)" in notes
    assert np.isnan(h.data["calls"]["offered"][1, 5])
    np.testing.assert_array_equal(h.data["chat"]["offered"], clean.data["chat"]["offered"])
    # a repeated interval with other values (the hour repeated when clocks go back): added
    twice = frame.iloc[[0]].assign(offered=7, answered=7, abandoned=0)
    h = read_history(pd.concat([frame, twice], ignore_index=True))
    assert h.data["calls"]["offered"][0, 0] == frame.offered.iloc[0] + 7
    assert any("given twice with different values" in n for n in h.notes)


def test_missing_day_is_no_data_not_zero(generated):
    frame, truth = generated
    day = "2026-11-10"  # a Tuesday in the recent weeks
    h = read_history(frame[~frame.interval_start.str.startswith(day)])
    assert "2026-11-10" in "\n".join(h.notes)
    fit = fit_history(h)
    tuesday = fit.channels["calls"].volumes[1].sum()
    assert tuesday == pytest.approx(truth.expected["calls"][1].sum(), rel=0.05)


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("offered", "many", r"history.offered: row 4: 'many' is not a number"),
        ("answered", "-3", r"history.answered: row 4: must be a finite number >= 0, got -3"),
        ("offered", "", r"history.offered: row 4: empty"),
        ("interval_start", "yesterday", r"history.interval_start: row 4"),
    ],
)
def test_bad_values_name_column_and_row(generated, column, value, message):
    frame, _ = generated
    bad = frame.astype(str)
    bad.loc[3, column] = value
    with pytest.raises(InputError, match=message):
        read_history(bad)


def test_interval_length_must_be_plannable(generated):
    frame, _ = generated
    start = pd.Timestamp("2026-09-01 08:00")
    rows = frame.iloc[:3].assign(
        interval_start=[str(start + pd.Timedelta(minutes=20 * i)) for i in range(3)],
        channel="calls",
    )
    with pytest.raises(InputError, match="intervals of 20 minutes"):
        read_history(rows)


# ---- forecast ---------------------------------------------------------------------------
def test_backtest_beats_seasonal_naive():
    """With the holiday far from the held-out weeks (week 2 of 12), so seasonal-naive only
    pays for copying one noisy week: both statistical models below 85% of its WAPE (the
    benchmark measures ~70% over 5 seeds), with |bias| under 10% (the held-out 12 open days
    carry their own day effects: cv 0.08-0.10 gives a total off by ~3% sd, more for chat)."""
    frame, _ = synthetic_history(12, seed=2026, holiday_week=2)
    scores = backtest(read_history(frame), weeks=2).set_index(["channel", "model"])
    for channel in ("calls", "chat"):
        naive = scores.loc[(channel, "seasonal_naive"), "wape"]
        for model in ("recent_mean", "holt_winters"):
            assert scores.loc[(channel, model), "wape"] < 0.85 * naive
            assert abs(scores.loc[(channel, model), "bias"]) < 0.1


def test_forecast_scenario_covers_the_weeks_asked(generated):
    frame, truth = generated
    result = forecast_history(frame, weeks=2)
    h = result.scenario.horizon
    assert h.days == 14 and h.start_date.weekday() == 0
    weekly = np.asarray(result.scenario.channels["calls"].arrivals.volumes).sum() / 2
    assert weekly == pytest.approx(truth.expected["calls"].sum(), rel=0.05)
    assert result.model in ("recent_mean", "holt_winters")


def test_holt_winters_follows_a_trend():
    """Daily totals growing 0.5% a day with a weekly pattern: next week's total within 2%."""
    days = np.arange(84)
    pattern = np.array([1.2, 1.1, 1.0, 1.0, 0.9, 0.5, 0.3])
    series = 1000 * (1 + 0.005 * days) * pattern[days % 7]
    future = np.arange(84, 91)
    truth = (1000 * (1 + 0.005 * future) * pattern[future % 7]).sum()
    assert _holt_winters(series, 7).sum() == pytest.approx(truth, rel=0.02)
    flat = series[-28:].reshape(4, 7).mean(axis=0).sum()  # a recent mean lags the trend
    assert abs(flat / truth - 1) > 0.05


# ---- command line -----------------------------------------------------------------------
def test_cli_fit_and_forecast_on_the_bundled_sample(tmp_path, capsys):
    out = tmp_path / "fitted.yaml"
    assert main(["fit", str(SAMPLE), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "read 2,600 rows: 2 channel(s), 2026-08-31 to 2026-11-07" in printed
    assert "outlier days left out of the average: 2026-10-21" in printed
    scenario = Scenario.from_yaml(out)
    assert scenario.horizon.start_date == dt.date(2026, 11, 9)
    out2 = tmp_path / "forecast.yaml"
    assert main(["forecast", str(SAMPLE), "--weeks", "2", "--out", str(out2)]) == 0
    printed = capsys.readouterr().out
    assert "seasonal_naive" in printed and "holt_winters" in printed
    assert Scenario.from_yaml(out2).horizon.days == 14


def test_cli_fit_bad_input_is_one_line_not_a_traceback(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("Start,channel,offered\n2026-09-01 08:00,calls,3\n", encoding="utf-8")
    assert main(["fit", str(bad), "--out", str(tmp_path / "x.yaml")]) == 2
    err = capsys.readouterr().err
    assert "staffsim fit: error: history: missing column 'interval_start'" in err
    assert "Traceback" not in err
    assert main(["fit", str(tmp_path / "none.csv"), "--out", str(tmp_path / "x.yaml")]) == 2
    assert "no such file" in capsys.readouterr().err


# ---- per-contact records ----------------------------------------------------------------
@pytest.mark.parametrize("shape", ["lognormal", "gamma", "exponential"])
def test_contacts_handle_shape_chosen_by_aic(shape):
    """~5,500 answered calls of each shape: AIC picks the generating one; its cv within 0.06
    of the truth (pooled over intervals whose means differ by ±15%, which widens it a little)."""
    from simulator.history.contacts import fit_contacts
    from simulator.history.synthetic import synthetic_contacts

    records, truth = synthetic_contacts(3, seed=7, handle=shape)
    result = fit_contacts(records)
    chosen = result.shapes[result.shapes.chosen].iloc[0]
    if shape == "exponential" and chosen.distribution == "gamma":  # nests it: cv must be ~1
        assert chosen.cv == pytest.approx(1.0, abs=0.03)
        return
    assert chosen.distribution == shape
    expected_cv = 1.0 if shape == "exponential" else truth.handle_cv
    assert chosen.cv == pytest.approx(expected_cv, abs=0.06)
    handle = result.scenario.channels["calls"].handle_time
    assert handle.distribution == shape


def test_contacts_patience_censored():
    """Exponential patience of 180 s: the censored MLE within 6% (~1,000 abandoned) and the
    Kaplan-Meier median near 180 ln 2 = 125 s (within 10%); the naive mean of abandoned waits
    alone is far below (the impatient are the ones seen abandoning)."""
    from simulator.history.contacts import fit_contacts
    from simulator.history.synthetic import synthetic_contacts

    records, truth = synthetic_contacts(3, seed=7)
    result = fit_contacts(records)
    row = result.patience.iloc[0]
    assert row.exponential_mean_s == pytest.approx(truth.patience_s["calls"], rel=0.06)
    assert row.km_median_s == pytest.approx(truth.patience_s["calls"] * np.log(2), rel=0.1)
    naive = records[records.outcome == "abandoned"].wait_seconds.mean()
    assert naive < 0.5 * truth.patience_s["calls"]
    assert result.scenario.channels["calls"].patience.mean_s == pytest.approx(
        row.exponential_mean_s, rel=0.02
    )


def test_cli_fit_contacts(tmp_path, capsys):
    from simulator.history.synthetic import synthetic_contacts

    records, _ = synthetic_contacts(3, seed=7)
    path = tmp_path / "contacts.csv"
    records.to_csv(path, index=False)
    out = tmp_path / "s.yaml"
    assert main(["fit", str(path), "--kind", "contacts", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "handle time, maximum likelihood (smallest AIC chosen):" in printed
    assert Scenario.from_yaml(out).channels["calls"].handle_time.distribution == "lognormal"
    records.loc[4, "outcome"] = "hung up"
    records.to_csv(path, index=False)
    assert main(["fit", str(path), "--kind", "contacts", "--out", str(out)]) == 2
    assert "contacts.outcome: row 5: 'hung up' is not answered or abandoned" in (
        capsys.readouterr().err
    )


def test_cli_fit_contacts_in_utc_with_timezone(tmp_path, capsys):
    """Records written in UTC ('Z') and read with --timezone Europe/Berlin give the scenario
    of the same records written in local time; without --timezone the hours would be two
    hours early (06:00), which is what the conversion prevents."""
    from simulator.history.synthetic import synthetic_contacts

    records, _ = synthetic_contacts(3, seed=7)
    utc = records.assign(
        arrival_time=pd.to_datetime(records.arrival_time)
        .dt.tz_localize("Europe/Berlin")
        .dt.tz_convert("UTC")
        .dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    )
    local_path, utc_path = tmp_path / "local.csv", tmp_path / "utc.csv"
    records.to_csv(local_path, index=False)
    utc.to_csv(utc_path, index=False)
    a, b, c = (tmp_path / f"{n}.yaml" for n in "abc")
    assert main(["fit", str(local_path), "--kind", "contacts", "--out", str(a)]) == 0
    args = ["fit", str(utc_path), "--kind", "contacts", "--timezone", "Europe/Berlin"]
    assert main([*args, "--out", str(b)]) == 0
    assert "timestamps converted to Europe/Berlin local time" in capsys.readouterr().out
    local, converted = Scenario.from_yaml(a), Scenario.from_yaml(b)
    assert converted.horizon == local.horizon
    assert converted.channels["calls"].arrivals == local.channels["calls"].arrivals
    assert main(["fit", str(utc_path), "--kind", "contacts", "--out", str(c)]) == 0
    assert Scenario.from_yaml(c).horizon.open == "06:00"
    assert main([*args[:-1], "Mars/Olympus", "--out", str(c)]) == 2
    assert "--timezone: 'Mars/Olympus'" in capsys.readouterr().err
