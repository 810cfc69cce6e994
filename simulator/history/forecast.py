"""Forecast next weeks' volumes per interval, choosing the model by a back-test.

Top-down, as workforce planners forecast: each channel's **daily totals** are forecast, then
split over the day by the weekday's **intraday profile** (its share of the day per interval,
from the recent weeks' robust mean of :mod:`simulator.history.fit`). Candidates:

* ``seasonal_naive`` — the baseline: each interval as it was one week earlier (the last
  observed week repeated);
* ``recent_mean`` — the fit's robust mean of recent weeks, per weekday and interval;
* ``holt_winters`` — statsmodels' exponential smoothing of daily totals with a damped
  additive trend and additive weekly seasonality (period 7), × the intraday profile.

Outlier days (holidays, outages: more than ``outlier_factor`` off their weekday's median)
and missing days are replaced by their weekday's median before a model sees the series.
The back-test holds out the last ``backtest_weeks`` weeks, fits every candidate on the rest,
and scores interval-level WAPE (Σ|F − A| / ΣA) and bias (Σ(F − A) / ΣA) per channel; the
candidate with the lowest WAPE over all channels is refitted on the whole history.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from simulator.errors import InputError
from simulator.history.columns import IntervalHistory, bias, read_history, wape
from simulator.history.fit import (
    build_scenario,
    fit_channel,
    fit_history,
    next_monday,
    outlier_days,
)
from simulator.scenario import Scenario

MODELS = ("seasonal_naive", "recent_mean", "holt_winters")


@dataclass(frozen=True)
class ForecastResult:
    """The forecast scenario, the model chosen and the back-test behind the choice."""

    scenario: Scenario
    model: str
    backtest: pd.DataFrame  # channel, model, wape, bias
    volumes: dict[str, np.ndarray] = field(repr=False)  # (days, grid intervals) per channel
    notes: tuple[str, ...] = ()


def _subset(h: IntervalHistory, days: int) -> IntervalHistory:
    """The history without its last ``days`` dates."""
    keep = len(h.dates) - days
    data = {c: {m: a[:keep] for m, a in arrays.items()} for c, arrays in h.data.items()}
    return IntervalHistory(
        channels=h.channels,
        interval_minutes=h.interval_minutes,
        grid_open_s=h.grid_open_s,
        per_day=h.per_day,
        dates=h.dates[:keep],
        data=data,
        measures=h.measures,
    )


def _clean_totals(totals: np.ndarray, weekdays: np.ndarray, factor: float) -> np.ndarray:
    """Daily totals with outlier and missing days replaced by their weekday's median."""
    bad = outlier_days(totals, weekdays, factor) | np.isnan(totals)
    out = totals.copy()
    for w in range(7):
        mine = weekdays == w
        good = totals[mine & ~bad]
        out[mine & bad] = float(np.median(good)) if len(good) else 0.0
    return out


def statsmodels_available() -> bool:
    """Whether the optional ``forecast`` extra (statsmodels) is installed."""
    try:
        import statsmodels.tsa.holtwinters  # noqa: F401
    except ImportError:
        return False
    return True


def _holt_winters(totals: np.ndarray, steps: int) -> np.ndarray:
    if not statsmodels_available():
        raise InputError(
            "forecast: the holt_winters model needs statsmodels: pip install 'staffsim[forecast]'"
        )
    from statsmodels.tools.sm_exceptions import ConvergenceWarning
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    if len(totals) < 21:
        raise InputError("forecast: holt_winters needs at least 3 weeks of history")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        model = ExponentialSmoothing(
            totals,
            trend="add",
            damped_trend=True,
            seasonal="add",
            seasonal_periods=7,
            initialization_method="estimated",
        ).fit()
        return np.maximum(np.asarray(model.forecast(steps), dtype=float), 0.0)


def channel_forecast(
    h: IntervalHistory,
    channel: str,
    steps: int,
    model: str,
    *,
    recent_weeks: int,
    outlier_factor: float,
) -> np.ndarray:
    """(steps, grid intervals) forecast for the ``steps`` days after the history."""
    offered = h.data[channel]["offered"]
    weekdays = h.weekday_of()
    first_weekday = (h.dates[-1].weekday() + 1) % 7
    future = (first_weekday + np.arange(steps)) % 7
    if model == "seasonal_naive":
        last_week = offered[-7:]
        # a missing day in the last week: the same weekday's recent mean stands in
        fallback = fit_channel(
            h, channel, np.arange(max(0, len(h.dates) - 7 * recent_weeks), len(h.dates)),
            outlier_factor,
        ).volumes  # fmt: skip
        by_weekday = {int(weekdays[-7:][i]): last_week[i] for i in range(len(last_week))}
        rows = [
            np.where(np.isnan(by_weekday[w]), fallback[w], by_weekday[w])
            if w in by_weekday
            else fallback[w]
            for w in future
        ]
        return np.array(rows)
    dates = np.arange(max(0, len(h.dates) - 7 * recent_weeks), len(h.dates))
    fit = fit_channel(h, channel, dates, outlier_factor)
    if model == "recent_mean":
        return fit.volumes[future]
    if model != "holt_winters":
        raise InputError(f"forecast: unknown model {model!r} (known: {', '.join(MODELS)})")
    with np.errstate(invalid="ignore"):
        totals = np.where(np.isnan(offered).all(axis=1), np.nan, np.nansum(offered, axis=1))
    clean = _clean_totals(totals, weekdays, outlier_factor)
    daily = _holt_winters(clean, steps)
    day_sum = fit.volumes.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        profile = np.where(day_sum > 0, fit.volumes / day_sum, 0.0)
    closed = day_sum[:, 0] <= 0
    daily = np.where(closed[future], 0.0, daily)
    return daily[:, None] * profile[future]


def backtest(
    h: IntervalHistory,
    *,
    weeks: int = 2,
    models: tuple[str, ...] = MODELS,
    recent_weeks: int = 8,
    outlier_factor: float = 1.5,
) -> pd.DataFrame:
    """WAPE and bias per channel and model on the last ``weeks`` weeks held out."""
    held = 7 * weeks
    if len(h.dates) - held < 21:
        raise InputError(
            f"forecast: {len(h.dates)} days of history leave fewer than 3 weeks to fit after "
            f"holding out {weeks} week(s) for the back-test"
        )
    train = _subset(h, held)
    rows = []
    for c in h.channels:
        actual = h.data[c]["offered"][-held:]
        for model in models:
            f = channel_forecast(
                train, c, held, model, recent_weeks=recent_weeks, outlier_factor=outlier_factor
            )
            rows.append(
                {
                    "channel": c,
                    "model": model,
                    "wape": wape(f, actual),
                    "bias": bias(f, actual),
                    "actual": float(np.nansum(actual)),
                }
            )
    return pd.DataFrame(rows)


def forecast_history(
    history: pd.DataFrame | str | Path | IntervalHistory,
    *,
    weeks: int = 1,
    columns: Mapping[str, str] | None = None,
    timezone: str | None = None,
    base: Scenario | None = None,
    backtest_weeks: int = 2,
    model: str | None = None,
    recent_weeks: int = 8,
    outlier_factor: float = 1.5,
) -> ForecastResult:
    """A scenario of the ``weeks`` weeks from the Monday after the history, with volumes
    forecast by the model with the best back-test WAPE (or ``model``), everything else
    fitted as :func:`simulator.history.fit_history` does."""
    if not 1 <= weeks <= 52:
        raise InputError(f"--weeks: must be between 1 and 52, got {weeks}")
    if backtest_weeks < 1:
        raise InputError(f"--backtest-weeks: must be >= 1, got {backtest_weeks}")
    if model is not None and model not in MODELS:
        raise InputError(f"--model: unknown model {model!r} (known: {', '.join(MODELS)})")
    h = (
        history
        if isinstance(history, IntervalHistory)
        else read_history(history, columns=columns, timezone=timezone)
    )
    candidates = MODELS if statsmodels_available() else MODELS[:2]
    if model is not None and model not in candidates:
        candidates = (*candidates, model)  # raises the install hint below
    scores = backtest(
        h,
        weeks=backtest_weeks,
        models=candidates,
        recent_weeks=recent_weeks,
        outlier_factor=outlier_factor,
    )
    overall = (
        scores.assign(err=scores.wape * scores.actual)
        .groupby("model", sort=False)
        .apply(lambda g: g.err.sum() / g.actual.sum(), include_groups=False)
    )
    chosen = model or str(overall.idxmin())
    fitted = fit_history(
        h,
        base=base,
        recent_weeks=recent_weeks,
        outlier_factor=outlier_factor,
        back_check_replications=0,  # a forecast is not judged against the past week
    )
    start = next_monday(h.dates[-1])
    gap = (start - h.dates[-1]).days - 1
    days = 7 * weeks
    volumes = {
        c: channel_forecast(
            h, c, gap + days, chosen, recent_weeks=recent_weeks, outlier_factor=outlier_factor
        )[gap:]
        for c in h.channels
    }
    notes = [
        n
        for n in fitted.notes
        if not n.startswith("no --base")  # said again by build_scenario below
    ]
    if "holt_winters" not in candidates:
        notes.append("statsmodels is not installed: holt_winters left out (staffsim[forecast])")
    notes.append(
        f"forecast model: {chosen} ({'given' if model else 'lowest back-test WAPE'}; "
        f"back-test on the last {backtest_weeks} week(s))"
    )
    scenario = build_scenario(
        h,
        fitted.channels,
        volumes,
        fitted.hours,
        start=start,
        days=days,
        base=base,
        name=f"forecast {start} + {weeks} week(s) ({chosen})",
        notes=notes,
    )
    return ForecastResult(
        scenario=scenario,
        model=chosen,
        backtest=scores.drop(columns="actual"),
        volumes=volumes,
        notes=tuple(notes),
    )


__all__ = ["MODELS", "ForecastResult", "backtest", "channel_forecast", "forecast_history"]
