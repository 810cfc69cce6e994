"""``staffsim frontier SCENARIO``: cost against service level (or budget), one optimization
per point.

Examples::

    staffsim frontier scenarios/default.yaml --service-levels 0.7 0.8 0.9
    staffsim frontier scenarios/default.yaml --budgets 6000 7000 8000 --format csv
    staffsim frontier scenarios/default.yaml --evaluator analytic      # instant, approximate
    staffsim frontier scenarios/blended_collections.yaml --list-completions 0.6 0.7 0.8 0.9

Each row: the point swept, the plan's cost, whether it met every target, and per channel
the simulated service level, ASA, abandonment and FCR (verification run); with outbound
lists, each list's completion and connects per dialing hour.
"""

from __future__ import annotations

import argparse
import math

import pandas as pd

from simulator.cli.common import ProgressBar, add_set_option, load_scenario, write_output

DEFAULT_LEVELS = (0.7, 0.75, 0.8, 0.85, 0.9, 0.95)


ORDER = 30
"""Where ``staffsim --help`` lists this command."""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "frontier",
        help="cost versus service level (or budget): one optimization per point",
        description=(
            "Sweep the service-level target of every channel that has one (or --channel), or "
            "a cost budget, optimizing at each point; report cost and simulated KPIs."
        ),
    )
    parser.add_argument("scenario", help="scenario YAML file")
    sweep = parser.add_mutually_exclusive_group()
    sweep.add_argument(
        "--service-levels",
        type=float,
        nargs="+",
        metavar="SL",
        help=f"targets to sweep (default {' '.join(str(v) for v in DEFAULT_LEVELS)})",
    )
    sweep.add_argument("--budgets", type=float, nargs="+", metavar="COST", help="budgets to sweep")
    sweep.add_argument(
        "--list-completions",
        type=float,
        nargs="+",
        metavar="Q",
        help="outbound min_list_completion targets to sweep (every list, or --list)",
    )
    parser.add_argument("--channel", help="sweep only this channel's service level")
    parser.add_argument("--list", dest="outbound_list", help="sweep only this outbound list")
    parser.add_argument(
        "--max-evaluations", type=int, default=20, help="simulations per point (default 20)"
    )
    parser.add_argument("--time-limit", type=float, help="seconds per point (cuts the search)")
    parser.add_argument("--seed", type=int, help="search seed (default: the scenario's)")
    parser.add_argument("--replications", "-n", type=int, help="per search evaluation")
    parser.add_argument("--evaluator", choices=("simulation", "analytic"), default="simulation")
    parser.add_argument(
        "--workers", type=int, help="processes per simulation (default 0 = all cores)"
    )
    parser.add_argument("--options", help="YAML file with an `optimizer:` section")
    parser.add_argument("--format", choices=("table", "json", "csv"), default="table")
    parser.add_argument("--out", help="write the table to this file instead of stdout")
    add_set_option(parser)
    parser.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from optimizer import frontier
    from optimizer.cli.optimize import build_options

    options = build_options(args)
    scenario = load_scenario(args.scenario, args.sets)
    levels = (
        None
        if args.budgets or args.list_completions
        else (args.service_levels or list(DEFAULT_LEVELS))
    )
    bar = ProgressBar("frontier", enabled=args.progress)
    try:
        table = frontier(
            scenario,
            service_levels=levels,
            budgets=args.budgets,
            list_completions=args.list_completions,
            channel=args.channel,
            outbound_list=args.outbound_list,
            options=options,
            on_point=lambda i, n, _r: bar(i, n),
        )
    finally:
        bar.close()
    if args.format == "json":
        text = table.to_json(orient="records", indent=2)
    elif args.format == "csv":
        text = table.to_csv(index=False)
    else:
        text = format_table(table)
    write_output(text, args.out)
    return 0


def format_table(table: pd.DataFrame) -> str:
    """Point x channel rows, KPIs as percentages / seconds."""
    from optimizer.frontier import FEATURE_KPIS

    out = table.copy()
    for kpi in ("service_level", "abandon_rate", "fcr", *FEATURE_KPIS):
        if kpi in out:
            out[kpi] = [("-" if math.isnan(v) else f"{v:.1%}") for v in out[kpi]]
    out["asa_s"] = [("-" if math.isnan(v) else f"{v:.1f}") for v in out["asa_s"]]
    for column in out.columns:
        if column.endswith(": list_completion"):
            out[column] = [("-" if math.isnan(v) else f"{v:.1%}") for v in out[column]]
        elif column.endswith(": connects_per_hour"):
            out[column] = [("-" if math.isnan(v) else f"{v:.1f}") for v in out[column]]
    out["cost"] = [f"{v:,.0f}" for v in out["cost"]]
    out["cost_per_point"] = [
        ("-" if math.isnan(v) else f"{v:+,.0f}") for v in out["cost_per_point"]
    ]
    drop = ["sweep", "plan_from", "meets_targets"]
    if out["sweep"].iloc[0] in ("service_level", "list_completion"):
        out["point"] = [f"{v:.1%}".replace(".0%", "%") for v in out["point"]]
        header = {
            "service_level": "service-level target",
            "list_completion": "list-completion target",
        }[out["sweep"].iloc[0]]
    else:
        out["point"] = [f"{v:,.0f}" for v in out["point"]]
        header = "budget"
        drop.append("cost_per_point")
    out = out.rename(
        columns={
            "point": header,
            "asa_s": "ASA s",
            "abandon_rate": "abandon",
            "blocked_rate": "busy signals",
            "callback_within_promise": "callbacks in promise",
            "balk_rate": "balked",
            "cost_per_point": "cost per pt",
            "binding": "binding target",
        }
    )
    # The point's columns once per point (not repeated on every channel row).
    lines = out.drop(columns=drop).to_string(index=False)
    return (
        lines
        + "\n\ncost per pt: extra cost per percentage point of target over the previous point; "
        "binding target: the one that limits the cost (least slack, or missed)"
    )


__all__ = ["format_table", "register", "run"]
