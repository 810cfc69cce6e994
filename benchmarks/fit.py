"""Fit and forecast from history against known truth: staffsim fit / forecast, side by side.

Run:  .venv/bin/python benchmarks/fit.py [--seeds 5] [--weeks 12]     (~15 s a seed)

For each seed, ``simulator.history.synthetic_history`` writes ``--weeks`` weeks of a
two-channel interval export with known truth (weekly pattern, gamma day effects, Poisson
counts, per-interval handle times, exponential patience, one holiday). Then:

* **fit** (``fit_history``, the last 8 weeks): interval-volume WAPE against the truth's
  expected volumes, for the robust mean (outlier days left out) and the plain mean of the
  same weeks; mean absolute error of per-interval handle-time means; relative error of
  patience and of the day-to-day cv;
* **forecast**: the back-test of ``staffsim forecast`` — the last 2 weeks held out, every
  model fitted on the weeks before — interval-level WAPE and bias against the held-out
  actual counts, for seasonal-naive (same interval last week), the recent mean and
  statsmodels Holt-Winters on daily totals × intraday profile. Twice: with the holiday in
  the week seasonal-naive copies (the generator's default), and with it in week 2, where
  seasonal-naive only pays for copying one noisy week;
* **email** (``synthetic_history(..., email=True)`` fitted with a base whose ``email`` is
  email): WAPE of the open-interval volumes against the truth, relative error of the
  closed-hours emails per day (``closed_hours_volume``), mean absolute error of the
  per-interval handle-time means in opening hours;
* **back-check** (``simulator.history.replay``: six weeks of a centre simulated by staffsim,
  ~5,500 calls and ~1,500 chats a week, with its agents): simulated minus recorded service
  level, ASA and abandonment of the last week (10 replications), per channel — the error
  a planner sees when the fitted model is right.

Printed: the mean over seeds, per channel (back-check: the mean and the largest absolute
difference).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from simulator.history.columns import read_history, wape
from simulator.history.fit import fit_history
from simulator.history.forecast import backtest
from simulator.history.replay import export_of, truth_scenario
from simulator.history.synthetic import synthetic_history
from simulator.scenario import Scenario

_EMAIL_BASE = {
    "channels": {
        name: {
            "kind": kind,
            "arrivals": {"rate_per_hour": 1},
            "handle_time": {"distribution": "exponential", "mean_seconds": 1},
            **extra,
        }
        for name, kind, extra in (
            ("calls", "call", {}),
            ("chat", "chat", {}),
            ("email", "email", {"promise_hours": 24}),
        )
    },
    "agent_groups": {
        "team": {"cost_per_hour": 30, "skills": ["calls", "chat", "email"], "staffing": 60}
    },
}


def email_seed(seed: int, weeks: int) -> dict:
    """Recovery errors of the email channel (arrivals around the clock)."""
    frame, truth = synthetic_history(weeks, seed=seed, email=True)
    fitted = fit_history(frame, base=Scenario.from_dict(_EMAIL_BASE))
    fit = fitted.channels["email"]
    step = truth.interval_minutes * 60
    mask = np.zeros_like(truth.expected["email"], dtype=bool)
    for w, span in enumerate(truth.hours):
        if span is not None:
            a, b = ((t - truth.grid_open_s) // step for t in span)
            mask[w, a:b] = True
    closed = fitted.scenario.channels["email"].arrivals.closed_hours_volume
    return {
        "open-interval volume WAPE": wape(fit.volumes[mask], truth.expected["email"][mask]),
        "closed-hours emails per day, error": closed / truth.closed_per_day["email"] - 1,
        "AHT per open interval, mean abs error": float(
            np.mean(np.abs(fit.aht_s[mask] / truth.aht_s["email"][mask] - 1))
        ),
        "hours right": fitted.hours == truth.hours,
    }


def back_check_seed(seed: int) -> pd.DataFrame:
    """Simulated minus recorded service of the last week of a replayed centre."""
    frame = export_of(truth_scenario(volume_share=0.5), weeks=6, seed=seed)
    check = fit_history(frame, back_check_replications=10, seed=3).back_check
    assert check is not None
    return check.table.assign(seed=seed)


def one_seed(seed: int, weeks: int) -> tuple[list[dict], pd.DataFrame]:
    frame, truth = synthetic_history(weeks, seed=seed)
    history = read_history(frame)
    fitted = fit_history(history)
    rows = []
    for c, fit in fitted.channels.items():
        open_ = truth.expected[c] > 0
        rows.append(
            {
                "channel": c,
                "volume WAPE, robust mean": wape(fit.volumes, truth.expected[c]),
                "volume WAPE, plain mean": wape(fit.plain_volumes, truth.expected[c]),
                "AHT per interval, mean abs error": float(
                    np.mean(np.abs(fit.aht_s[open_] / truth.aht_s[c][open_] - 1))
                ),
                "patience, error": (fit.patience_s or np.nan) / truth.patience_s[c] - 1,
                "day cv, error": (fit.day_cv or 0.0) / truth.day_cv[c] - 1,
                "holiday found": fit.outlier_days == (truth.holiday,),
            }
        )
    scores = backtest(history, weeks=2).assign(seed=seed, holiday="week copied by naive")
    # the same seed with the holiday early (week 2): no holiday in or just before the test
    early = read_history(synthetic_history(weeks, seed=seed, holiday_week=2)[0])
    scores = pd.concat([scores, backtest(early, weeks=2).assign(seed=seed, holiday="week 2")])
    return rows, scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--weeks", type=int, default=12)
    args = parser.parse_args()
    started = time.perf_counter()
    fits, tests, emails, checks = [], [], [], []
    for seed in range(1, args.seeds + 1):
        rows, scores = one_seed(seed, args.weeks)
        fits += [dict(r, seed=seed) for r in rows]
        tests.append(scores)
        emails.append(email_seed(seed, args.weeks))
        checks.append(back_check_seed(seed))
    pd.set_option("display.width", 160)
    fit = pd.DataFrame(fits).drop(columns="seed").groupby("channel", sort=False).mean()
    print(f"fit of the last 8 of {args.weeks} weeks, mean over {args.seeds} seeds:")
    print(fit.to_string(float_format=lambda v: f"{v:+.1%}" if v < 0 else f"{v:.1%}"))
    back = (
        pd.concat(tests)
        .groupby(["holiday", "channel", "model"], sort=False)[["wape", "bias"]]
        .mean()
    )
    print(f"\nforecast back-test, last 2 weeks held out, mean over {args.seeds} seeds:")
    print(back.to_string(float_format=lambda v: f"{v:+.1%}" if v < 0 else f"{v:.1%}"))
    email = pd.DataFrame(emails).mean()
    print(f"\nemail channel (arrivals around the clock), mean over {args.seeds} seeds:")
    for name, value in email.items():
        print(f"  {name}: {value:+.1%}" if name.endswith("error") else f"  {name}: {value:.1%}")
    table = pd.concat(checks)
    table["abs"] = table.difference.abs()
    summary = table.groupby(["channel", "kpi"], sort=False).agg(
        recorded=("recorded", "mean"),
        mean_difference=("difference", "mean"),
        largest_abs_difference=("abs", "max"),
        ci_half_width=("ci_half_width", "mean"),
    )
    print(f"\nback-check, simulated - recorded on the last week, {args.seeds} seeds:")
    print(summary.to_string(float_format=lambda v: f"{v:.4f}"))
    print(f"\n({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
