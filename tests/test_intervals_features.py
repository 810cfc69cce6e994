"""Busy signals, callbacks and balking per interval (the ``intervals`` table).

* the per-interval counts add up to the horizon KPI of the same result;
* each row is filed where ``docs/results-format.md`` says: rebuilt from the contact log (the
  engine's own record of each contact, written apart from the tallies) by the interval the
  attempt, or the call offered the callback, arrived in;
* on a stationary queue, the per-interval busy-signal and balking shares match the exact
  birth–death chain (:func:`simulator.queueing.finite.mmck_kpis`, ``balking_kpis``) in
  every counted interval, within the simulation's own 95% CI widened by Bonferroni over the
  intervals;
* on the storm scenario the busy signals and callback offers sit in the morning surge;
* a channel without the feature has none of the rows (and results of scenarios without
  them are today's bit for bit: ``test_lines_callbacks.py``).
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import bonferroni_k, mmc_scenario

from simulator.channels.balking import Balking
from simulator.kpis import CHANNEL_INTERVAL_KPIS
from simulator.model import compile_scenario
from simulator.queueing.finite import balking_kpis, mmck_kpis
from simulator.runner import simulate
from simulator.scenario import Scenario

ROOT = Path(__file__).resolve().parent.parent
STORM = ROOT / "scenarios" / "storm_callbacks.yaml"
BRANCH = ROOT / "scenarios" / "branch_walkin.yaml"
LINES = ("blocked", "blocked_rate")
CALLBACKS = ("callbacks_offered", "callbacks_accepted", "callback_within_promise",
             "callback_delay_s")  # fmt: skip
BALKING = ("balked", "balk_rate")
NEW = (*LINES, *CALLBACKS, *BALKING)


def _per_interval(result, channel: str, kpi: str) -> pd.Series:
    """Means of one channel KPI by global interval (day-major), warm-up included."""
    iv = result.intervals
    rows = iv[(iv.channel == channel) & (iv.kpi == kpi)]
    return rows.set_index(["day", "interval"])["mean"]


def _counted(result, channel: str, kpi: str) -> np.ndarray:
    iv = result.intervals
    rows = iv[(iv.channel == channel) & (iv.kpi == kpi) & ~iv.warmup.astype(bool)]
    return rows["mean"].to_numpy(dtype=float)


def test_the_new_rows_are_listed_in_the_interval_kpis_in_catalogue_order() -> None:
    assert set(NEW) <= set(CHANNEL_INTERVAL_KPIS)
    assert CHANNEL_INTERVAL_KPIS[-1] == "backlog"  # the end-of-interval level stays last


@pytest.mark.parametrize(
    ("path", "channel", "counts"),
    [
        (STORM, "claims", ("blocked", "callbacks_offered", "callbacks_accepted")),
        (BRANCH, "counter", ("balked",)),
    ],
    ids=["storm", "branch"],
)
def test_interval_counts_add_up_to_the_horizon(path: Path, channel: str, counts) -> None:
    result = simulate(path, 3, 5)
    for kpi in counts:
        total = _counted(result, channel, kpi).sum()
        assert total > 0, kpi
        assert total == pytest.approx(result.kpi(channel, kpi), rel=1e-12), kpi


def test_a_warm_up_adds_no_busy_signal_to_the_counted_intervals() -> None:
    """Warm-up intervals list 0 busy signals (and no share): they are not counted."""
    data = Scenario.from_yaml(STORM).to_dict()
    data["run"]["warmup_minutes"] = 60
    result = simulate(Scenario.from_dict(data), 2, 5)
    iv = result.intervals
    warm = iv[(iv.channel == "claims") & iv.warmup.astype(bool)].set_index("kpi")["mean"]
    assert (warm.loc["blocked"] == 0).all() and warm.loc["blocked_rate"].isna().all()
    total = _counted(result, "claims", "blocked").sum()
    assert total == pytest.approx(result.kpi("claims", "blocked"), rel=1e-12)


def _log(folder: Path) -> pd.DataFrame:
    with open(folder / "contacts-0.csv", newline="", encoding="utf-8") as handle:
        return pd.DataFrame(list(csv.DictReader(handle)))


def test_storm_rows_are_filed_by_the_arrival_of_the_attempt(tmp_path: Path) -> None:
    """One replication, rebuilt from its contact log: busy signals by the attempt's arrival;
    callbacks accepted, their delay and whether they were made by the promise by the arrival
    of the call that accepted (not when the callback was made)."""
    scenario = Scenario.from_yaml(STORM)
    result = simulate(scenario, 1, 3, contact_log_dir=tmp_path)
    model = compile_scenario(scenario)
    log = _log(tmp_path)
    log = log[log.channel == "claims"].copy()
    log["arrival_s"] = log["arrival_s"].astype(float)
    log["time_s"] = log["time_s"].astype(float)
    log["k"] = [model.tally_interval(t) for t in log["arrival_s"]]
    n = model.n_intervals
    promise_s = scenario.channels["claims"].callback.promise_minutes * 60

    def by_interval(rows: pd.DataFrame, weights: pd.Series | None = None) -> np.ndarray:
        k = rows["k"].to_numpy(dtype=int)
        w = None if weights is None else weights.to_numpy(dtype=float)
        return np.bincount(k, weights=w, minlength=n).astype(float)

    blocked = by_interval(log[log.outcome == "blocked"])
    taken = log[log.outcome == "callback_accepted"]
    accepted = by_interval(taken)
    due = by_interval(taken[taken.arrival_s + promise_s <= model.horizon_end_s])
    made = log[log.outcome == "called_back"]  # arrival_s: the call that accepted
    kept = made[made.time_s <= made.arrival_s + promise_s]
    within = by_interval(kept[kept.arrival_s + promise_s <= model.horizon_end_s])
    delay_sum = by_interval(made, made.time_s - made.arrival_s)
    made_n = by_interval(made)
    offered = _per_interval(result, "claims", "offered").to_numpy()
    table = {kpi: _per_interval(result, "claims", kpi).to_numpy() for kpi in NEW[:6]}

    assert blocked.sum() > 0 and accepted.sum() > 0 and made_n.sum() > 0
    np.testing.assert_array_equal(table["blocked"], blocked)
    with np.errstate(invalid="ignore", divide="ignore"):
        np.testing.assert_allclose(table["blocked_rate"], blocked / offered, rtol=1e-12)
        np.testing.assert_allclose(table["callback_within_promise"], within / due, rtol=1e-12)
        # the log keeps times to the millisecond
        np.testing.assert_allclose(table["callback_delay_s"], delay_sum / made_n, atol=2e-3)
    np.testing.assert_array_equal(table["callbacks_accepted"], accepted)
    assert (table["callbacks_offered"] >= accepted).all()


def test_balking_is_filed_by_the_interval_the_customer_walked_in(tmp_path: Path) -> None:
    scenario = Scenario.from_yaml(BRANCH)
    result = simulate(scenario, 1, 3, contact_log_dir=tmp_path)
    model = compile_scenario(scenario)
    log = _log(tmp_path)
    balked = log[(log.channel == "counter") & (log.outcome == "balked")]
    k = [model.tally_interval(float(t)) for t in balked["arrival_s"]]
    expected = np.bincount(np.asarray(k, dtype=int), minlength=model.n_intervals)
    assert expected.sum() > 0
    np.testing.assert_array_equal(_per_interval(result, "counter", "balked").to_numpy(), expected)
    offered = _per_interval(result, "counter", "offered").to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        np.testing.assert_allclose(
            _per_interval(result, "counter", "balk_rate").to_numpy(), expected / offered
        )


# ---------------------------------------------------------------------------- theory
REPS = 30
AHT_S = 180.0


def _check_every_interval(result, kpi: str, exact: float) -> None:
    """Each counted interval's mean within its own 95% CI widened by Bonferroni over the
    intervals checked."""
    iv = result.intervals
    rows = iv[(iv.channel == "calls") & (iv.kpi == kpi) & ~iv.warmup.astype(bool)]
    k = bonferroni_k(REPS, len(rows))
    assert len(rows) >= 20
    for row in rows.itertuples():
        message = (
            f"{kpi} at {row.start}: {row.mean:.4g} ± {k * row.ci_half_width:.3g}, exact {exact:.4g}"
        )
        assert row.n == REPS and abs(row.mean - exact) <= k * row.ci_half_width, message


def test_busy_signals_per_interval_match_the_mmck_chain() -> None:
    """M/M/5/8 around the clock (hourly intervals, two hours of warm-up): every hour has the
    chain's blocking probability (about 10%), not only the day."""
    agents, rate, max_waiting = 5, 90.0, 3
    base = mmc_scenario(rate, AHT_S, agents, days=1, warmup_minutes=120)
    data = base.model_dump(mode="json", exclude_none=True)
    data["channels"]["calls"]["lines"] = {"max_waiting": max_waiting}
    result = simulate(Scenario.model_validate(data), REPS, 31)
    exact = float(mmck_kpis(rate, AHT_S, agents, max_waiting, None).p_block)
    assert 0.05 < exact < 0.2
    _check_every_interval(result, "blocked_rate", exact)


def test_balking_per_interval_matches_the_balking_chain() -> None:
    """A walk-in counter, 4 agents, 60 customers an hour of 5 minutes each, balking linear
    from a line of 1 to 8 and reneging after 10 minutes on average."""
    agents, rate, patience, aht = 4, 60.0, 600.0, 300.0
    balking = {"from_length": 1, "all_at_length": 8}
    base = mmc_scenario(rate, aht, agents, days=1, warmup_minutes=120, patience_s=patience)
    data = base.model_dump(mode="json", exclude_none=True)
    data["channels"]["calls"]["kind"] = "walk_in"
    data["channels"]["calls"]["balking"] = balking
    result = simulate(Scenario.model_validate(data), REPS, 32)
    exact = float(balking_kpis(rate, aht, agents, Balking(**balking).table(), patience).p_balk)
    assert 0.05 < exact < 0.3
    _check_every_interval(result, "balk_rate", exact)


# ---------------------------------------------------------------------------- storm
def test_storm_busy_signals_and_callback_offers_sit_in_the_morning_surge() -> None:
    """storm_callbacks.yaml: 110-160 claims calls per half-hour from 08:00 to 10:00 on 42
    lines, fewer than 75 after 12:00. Busy signals and callback offers fall in the surge;
    the afternoon has (almost) none."""
    result = simulate(STORM, 5, 20261202)
    iv = result.intervals[result.intervals.channel == "claims"]
    start = iv["start"]
    surge = iv[(start >= "08:00") & (start < "10:00")].groupby("kpi")["mean"]
    afternoon = iv[start >= "13:00"].groupby("kpi")["mean"]
    blocked_surge, blocked_pm = surge.sum()["blocked"], afternoon.sum()["blocked"]
    assert blocked_surge > 20 * max(blocked_pm, 1.0)
    assert surge.max()["blocked_rate"] > result.kpi("claims", "blocked_rate") * 2
    assert afternoon.max()["blocked_rate"] < 0.005
    offered_surge = surge.sum()["callbacks_offered"]
    assert offered_surge > 0.5 * result.kpi("claims", "callbacks_offered")
    assert afternoon.sum()["callbacks_offered"] < 0.1 * offered_surge


# ---------------------------------------------------------------------------- no feature
def test_channels_without_the_feature_have_none_of_the_rows() -> None:
    storm = simulate(STORM, 2, 1)
    kpis = storm.intervals.groupby("channel")["kpi"].agg(set)
    assert set(LINES) | set(CALLBACKS) <= kpis["claims"] and not set(BALKING) & kpis["claims"]
    assert not set(NEW) & kpis["policy"]  # a call without lines or callback
    branch = simulate(BRANCH, 2, 1)
    kpis = branch.intervals.groupby("channel")["kpi"].agg(set)
    assert set(BALKING) <= kpis["counter"] and not set(NEW) & kpis["phone"]
    # lines without a callback: busy signals only
    data = Scenario.from_yaml(STORM).to_dict()
    del data["channels"]["claims"]["callback"]
    del data["channels"]["claims"]["targets"]["callback_within_promise"]
    lines_only = simulate(Scenario.from_dict(data), 1, 1)
    claims = set(lines_only.intervals.kpi[lines_only.intervals.channel == "claims"])
    assert set(LINES) <= claims and not set(CALLBACKS) & claims
    default = simulate(ROOT / "scenarios" / "default.yaml", 1, 1)
    assert not set(NEW) & set(default.intervals.kpi)
