"""Fit and forecast from history against known truth: staffsim fit / forecast, side by side.

Run:  .venv/bin/python benchmarks/fit.py [--seeds 5] [--weeks 12]     (~10 s a seed)

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
  seasonal-naive only pays for copying one noisy week.

Printed: the mean over seeds, per channel.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from simulator.history.columns import read_history, wape
from simulator.history.fit import fit_history
from simulator.history.forecast import backtest
from simulator.history.synthetic import synthetic_history


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
    fits, tests = [], []
    for seed in range(1, args.seeds + 1):
        rows, scores = one_seed(seed, args.weeks)
        fits += [dict(r, seed=seed) for r in rows]
        tests.append(scores)
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
    print(f"\n({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
