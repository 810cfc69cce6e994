"""The confidence-interval helper behind every reported CI (and every CI-derived tolerance
in the statistical tests): ``simulator.results.summarise`` against scipy's Student-t
interval and a value worked by hand from a printed t table."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import mmc_scenario, run_with_stats
from scipy import stats as sps

from simulator.kpis import SHARE_KPIS
from simulator.results import summarise
from simulator.runner import simulate


def _scipy_interval(values: list[float]) -> tuple[float, float, int]:
    """Mean, 95% half-width and count from ``scipy.stats.t.interval`` (NaN left out)."""
    data = np.array([v for v in values if not math.isnan(v)])
    mean = float(data.mean())
    if np.ptp(data) == 0:
        return mean, 0.0, int(data.size)  # scipy has no interval of zero width
    low, high = sps.t.interval(0.95, df=data.size - 1, loc=mean, scale=sps.sem(data))
    return mean, float(high - low) / 2, int(data.size)


def test_half_width_worked_by_hand() -> None:
    # 1, 2, 3, 4, 5: mean 3, s = sqrt(10 / 4), s / sqrt(5) = sqrt(1/2); the t table gives
    # t(0.975, 4 dof) = 2.776445, so the half-width is 2.776445 x 0.707107 = 1.963243.
    mean, half, n = summarise(np.array([1.0, 2.0, 3.0, 4.0, 5.0]))
    assert (mean, n) == (3.0, 5)
    assert half == pytest.approx(1.963243, abs=1e-6)


@pytest.mark.parametrize(
    "values",
    [
        [0.81, 0.77, 0.92, 0.85, 0.79],  # service levels of five replications
        [12.5, 30.1],  # two replications: t(0.975, 1) = 12.7
        [4.0, float("nan"), 6.0, 9.0, float("nan"), 5.5],  # undefined replications skipped
        list(np.random.default_rng(3).normal(100.0, 15.0, 40)),
    ],
    ids=["five", "two", "with-nan", "forty"],
)
def test_summarise_is_the_student_t_interval(values: list[float]) -> None:
    mean, half, n = summarise(np.array(values))
    ref_mean, ref_half, ref_n = _scipy_interval(values)
    assert n == ref_n
    assert mean == pytest.approx(ref_mean, rel=1e-12)
    assert half == pytest.approx(ref_half, rel=1e-12)


def test_undefined_half_widths() -> None:
    mean, half, n = summarise(np.array([7.0]))
    assert (mean, n) == (7.0, 1) and math.isnan(half)  # one replication: no interval
    mean, half, n = summarise(np.array([float("nan"), float("nan")]))
    assert n == 0 and math.isnan(mean) and math.isnan(half)
    mean, half, n = summarise(np.array([2.5, 2.5, 2.5]))
    assert (mean, half, n) == (2.5, 0.0, 3)


def test_per_interval_cis_are_the_intervals_of_each_interval() -> None:
    """The per-interval tables (summarised column by column) give each interval the t
    interval of its own per-replication values, with its own count of replications where
    the KPI is defined (ASA needs an answered call)."""
    # 3 calls an hour of 15 minutes each on one agent: some hours of some replications
    # have no call (probability e^-3 each), the others have waits of every size.
    scenario = mmc_scenario(3, 900, 1, days=1, warmup_minutes=0)
    result, reps = run_with_stats(scenario, 5, 2)
    table = result.intervals[result.intervals.kpi == "asa_s"].sort_values(["day", "interval"])
    partly_defined = 0
    for k, row in enumerate(table.itertuples()):
        waits = np.array([r.channels["calls"]["wait_sum"][k] for r in reps])
        answered = np.array([r.channels["calls"]["answered"][k] for r in reps])
        values = [w / a if a > 0 else float("nan") for w, a in zip(waits, answered, strict=True)]
        defined = [v for v in values if not math.isnan(v)]
        assert row.n == len(defined)
        partly_defined += len(defined) < len(values)
        if len(defined) < 2:
            continue
        mean, half, _ = _scipy_interval(values)
        assert row.mean == pytest.approx(mean, rel=1e-12)
        assert row.ci_half_width == pytest.approx(half, rel=1e-12, abs=1e-12)
    assert len(table) == 24 and partly_defined >= 2


def test_reported_cis_are_the_intervals_of_the_per_replication_values() -> None:
    """Every channel KPI of a real result: ``ci_low``/``ci_high`` are scipy's 95% t
    interval over the per-replication values that the result also reports, clipped to the
    values the KPI can take (none below 0, no share above 1)."""
    scenario = mmc_scenario(300, 180, 16, days=1, warmup_minutes=60, patience_s=200)
    result = simulate(scenario, replications=6, seed=4)
    rep = result.per_replication
    checked = 0
    for row in result.channels.itertuples():
        values = rep[(rep.entity == row.channel) & (rep.kpi == row.kpi)].value.tolist()
        defined = [v for v in values if not math.isnan(v)]
        if len(defined) < 2 or np.ptp(defined) == 0:
            continue
        mean, half, n = _scipy_interval(values)
        assert row.n == n, row.kpi
        high = min(mean + half, 1.0) if row.kpi in SHARE_KPIS else mean + half
        assert row.ci_low == pytest.approx(max(mean - half, 0.0), rel=1e-12, abs=1e-12), row.kpi
        assert row.ci_high == pytest.approx(high, rel=1e-12, abs=1e-12), row.kpi
        checked += 1
    assert checked >= 10


def test_a_rare_rate_near_zero_has_no_negative_ci_bound() -> None:
    """A light queue abandons rarely: the symmetric t-interval of its abandonment runs
    below 0, which no rate can be. Every reported bound is inside the KPI's range and the
    half-width stays the symmetric one."""
    scenario = mmc_scenario(120, 180, 13, days=1, warmup_minutes=60, patience_s=300)
    result = simulate(scenario, replications=3, seed=11)
    row = result.channels[result.channels.kpi == "abandon_rate"].iloc[0]
    assert row["mean"] - row.ci_half_width < 0  # the case this test is about
    assert row.ci_low == 0.0
    assert row.ci_high == pytest.approx(row["mean"] + row.ci_half_width)
    # comparisons with theory take the symmetric half-width, not the clipped interval's
    low, high = result.ci("calls", "abandon_rate")
    assert result.half_width("calls", "abandon_rate") == row.ci_half_width > (high - low) / 2
    for table in (result.channels, result.groups, result.overall):
        bounded = table.dropna(subset=["mean", "ci_half_width"])
        assert (bounded.ci_low >= 0).all()
        assert (bounded[bounded.kpi.isin(SHARE_KPIS)].ci_high <= 1).all()
