"""``staffsim fit HISTORY.csv`` and ``staffsim forecast HISTORY.csv``: a scenario from the
centre's own interval export (see :mod:`simulator.history`)."""

from __future__ import annotations

import argparse

import pandas as pd

from simulator.cli.common import check_writable, load_scenario
from simulator.errors import InputError


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("history", help="interval export, CSV (one row per interval and channel)")
    parser.add_argument("--out", required=True, help="scenario YAML file to write")
    parser.add_argument(
        "--base",
        help="scenario whose agent groups, targets, routing and run settings are kept "
        "(default: one group staffed by Erlang C for 80%% in 20 s)",
    )
    parser.add_argument(
        "--columns",
        help="other column names, e.g. 'interval_start=Start,offered=Calls Offered'",
    )
    parser.add_argument(
        "--timezone",
        help="convert timestamps to this time zone (e.g. Europe/Berlin); default: the local "
        "times as written",
    )
    parser.add_argument(
        "--recent-weeks", type=int, default=8, help="weeks averaged, counted back (default 8)"
    )


ORDER = 75
"""Where ``staffsim --help`` lists these commands (``fit``, ``forecast``)."""


def register(subparsers: argparse._SubParsersAction) -> None:
    fit = subparsers.add_parser(
        "fit",
        help="fit a one-week scenario to an interval export",
        description="Fit a one-week scenario (volumes, handle times per interval, day-to-day "
        "variation, patience, opening hours by weekday) to an ACD/WFM interval export.",
    )
    _common(fit)
    fit.add_argument(
        "--kind",
        choices=("intervals", "contacts"),
        default="intervals",
        help="an interval export (default) or per-contact records (arrival_time, channel, "
        "wait_seconds, outcome, handle_seconds)",
    )
    fit.add_argument(
        "--interval-minutes",
        type=int,
        default=30,
        choices=(15, 30, 60),
        help="--kind contacts: planning interval the records are counted into (default 30)",
    )
    fit.add_argument(
        "--back-check-replications",
        type=int,
        default=10,
        help="with an agents column: replications simulating the last history week with its "
        "recorded agents, compared with its recorded service (default 10; 0 skips)",
    )
    fit.add_argument("--seed", type=int, default=1, help="seed of the back-check (default 1)")
    fit.set_defaults(func=run_fit)
    forecast = subparsers.add_parser(
        "forecast",
        help="forecast next weeks from an interval export into a scenario",
        description="Forecast the volumes of the weeks after the history (model chosen by a "
        "back-test against seasonal-naive) into a scenario.",
    )
    _common(forecast)
    forecast.add_argument("--weeks", type=int, default=1, help="weeks to forecast (default 1)")
    forecast.add_argument(
        "--backtest-weeks", type=int, default=2, help="weeks held out to choose the model"
    )
    forecast.add_argument(
        "--model",
        choices=("seasonal_naive", "recent_mean", "holt_winters"),
        help="use this model instead of the back-test's best",
    )
    forecast.set_defaults(func=run_forecast)


def _inputs(args: argparse.Namespace):
    from simulator.history.columns import parse_columns

    if args.recent_weeks < 1:
        raise InputError(f"--recent-weeks: must be >= 1, got {args.recent_weeks}")
    out = check_writable(args.out)
    base = load_scenario(args.base) if args.base else None
    return out, base, parse_columns(args.columns)


def _table(frame: pd.DataFrame) -> str:
    return frame.to_string(index=False, na_rep="-")


def run_fit(args: argparse.Namespace) -> int:
    from simulator.history.fit import fit_history

    out, base, columns = _inputs(args)
    extra: list[tuple[str, pd.DataFrame]] = []
    if args.kind == "contacts":
        from simulator.history.contacts import fit_contacts

        contact_fit = fit_contacts(
            args.history,
            interval_minutes=args.interval_minutes,
            columns=columns,
            base=base,
            recent_weeks=args.recent_weeks,
            timezone=args.timezone,
        )
        result = contact_fit.fit
        extra = [
            ("handle time, maximum likelihood (smallest AIC chosen):", contact_fit.shapes),
            ("patience, answered waits censored:", contact_fit.patience),
        ]
    else:
        result = fit_history(
            args.history,
            columns=columns,
            timezone=args.timezone,
            base=base,
            recent_weeks=args.recent_weeks,
            back_check_replications=args.back_check_replications,
            seed=args.seed,
        )
    assert out is not None
    out.write_text(result.scenario.to_yaml(), encoding="utf-8")
    h = result.history
    print(
        f"read {h.rows:,} rows: {len(h.channels)} channel(s), {h.dates[0]} to {h.dates[-1]}, "
        f"{h.interval_minutes}-minute intervals"
    )
    print(f"volumes: {result.method}")
    print()
    print(_table(result.report))
    print()
    print(_table(result.weekday_report))
    for title, table in extra:
        print()
        print(title)
        print(_table(table))
    check = result.back_check
    if check is not None:
        from simulator.history.backcheck import readable, readable_days

        print()
        print(
            f"back-check: {check.first} to {check.last} simulated with the recorded agents "
            f"({check.replications} replications, seed {check.seed}), recorded vs simulated:"
        )
        print(_table(readable(check.table)))
        print()
        print(_table(readable_days(check.days)))
    for note in result.notes:
        print(f"note: {note}")
    print(f"wrote {out} (week from {result.scenario.horizon.start_date})")
    return 0


def run_forecast(args: argparse.Namespace) -> int:
    from simulator.history.forecast import forecast_history

    out, base, columns = _inputs(args)
    result = forecast_history(
        args.history,
        weeks=args.weeks,
        columns=columns,
        timezone=args.timezone,
        base=base,
        backtest_weeks=args.backtest_weeks,
        model=args.model,
        recent_weeks=args.recent_weeks,
    )
    assert out is not None
    out.write_text(result.scenario.to_yaml(), encoding="utf-8")
    print(f"back-test on the last {args.backtest_weeks} week(s), interval level:")
    shown = result.backtest.assign(
        wape=lambda f: f.wape.map("{:.1%}".format), bias=lambda f: f.bias.map("{:+.1%}".format)
    )
    print(_table(shown))
    for note in result.notes:
        print(f"note: {note}")
    h = result.scenario.horizon
    print(f"wrote {out} ({h.days} days from {h.start_date}, model {result.model})")
    return 0
