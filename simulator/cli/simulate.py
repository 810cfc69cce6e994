"""``staffsim simulate SCENARIO``: run replications and print KPIs with 95% CIs."""

from __future__ import annotations

import argparse
import math
import sys

import pandas as pd

from simulator import limits
from simulator.cli.common import (
    ProgressBar,
    add_fte_option,
    add_progress_option,
    add_set_option,
    check_folder,
    check_writable,
    full_time_hours,
    load_scenario,
    positive_int,
    write_output,
)
from simulator.errors import InputError
from simulator.horizon import FULL_TIME_WEEK_HOURS
from simulator.kpis import OUTBOUND_KPIS, PREDICTIVE_KPIS, SHARE_KPIS
from simulator.results import UNDEFINED, SimulationResult
from simulator.runner import simulate
from simulator.targets import verdict_line
from simulator.whatif.checks import load_warnings

ORDER = 10
"""Where ``staffsim --help`` lists this command."""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "simulate",
        help="simulate a scenario and report KPIs with confidence intervals",
        description="Simulate a scenario; KPIs per channel and agent group with 95% CIs.",
    )
    parser.add_argument("scenario", help="scenario YAML file")
    parser.add_argument("--replications", "-n", type=int, help="default: the scenario's run")
    parser.add_argument("--seed", type=int, help="default: the scenario's run.seed")
    parser.add_argument("--workers", type=int, default=1, help="processes (0 = all cores)")
    parser.add_argument("--format", choices=("table", "json", "csv"), default="table")
    parser.add_argument("--out", help="write the result to this file instead of stdout")
    parser.add_argument("--plan", help="staffing plan YAML (from `staffsim optimize --out`)")
    parser.add_argument("--contact-log", metavar="DIR", help="opt-in per-contact CSV logs")
    add_set_option(parser)
    add_fte_option(parser)
    add_progress_option(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Exit status: 0 done, 2 bad input, 130 interrupted (the finished replications are
    still reported and written)."""
    positive_int("--replications", args.replications)
    if args.seed is not None:
        problems = limits.check_seed(args.seed, field="--seed")
        if problems:
            raise InputError(problems)
    positive_int("--workers", args.workers, minimum=0)
    week_hours = full_time_hours(args)
    scenario = load_scenario(args.scenario, args.sets)
    if args.plan:
        from simulator.plan import apply_plan_file

        scenario = apply_plan_file(scenario, args.plan)
    if args.replications is not None:
        problems = limits.replications_problems(
            args.replications,
            len(scenario.channels),
            len(scenario.agent_groups),
            scenario.horizon.n_intervals,
            field="--replications",
        )
        if problems:
            raise InputError(problems)
    # Where results go is checked before the run, so a finished run is never lost.
    check_writable(args.out)
    if args.contact_log:
        check_folder(args.contact_log, "--contact-log")
    # A plan that cannot work is said before minutes of simulating it (the app shows the
    # same lines above its Run button); the run goes ahead: the numbers show how badly.
    for warning in load_warnings(scenario):
        print(f"warning: {warning}", file=sys.stderr)
    bar = ProgressBar("simulating", enabled=args.progress)
    try:
        result = simulate(
            scenario,
            args.replications,
            args.seed,
            workers=args.workers,
            progress=bar,
            contact_log_dir=args.contact_log,
        )
    finally:
        bar.close()
    if result.interrupted:
        print(
            f"interrupted: reporting the {result.replications} finished replication(s)",
            file=sys.stderr,
        )
    if args.format == "json":
        text = result.to_json()
    elif args.format == "csv":
        text = result.channels.to_csv(index=False)
    else:
        text = format_table(result, days=scenario.horizon.days, full_time_week_hours=week_hours)
    write_output(text, args.out)
    return 130 if result.interrupted else 0


def format_table(
    result: SimulationResult,
    *,
    days: int | None = None,
    full_time_week_hours: float = FULL_TIME_WEEK_HOURS,
) -> str:
    """The readable summary: KPIs per channel with CIs and target marks, then groups; with
    the horizon's ``days``, FTE beside paid hours (paid hours per week /
    ``full_time_week_hours``)."""
    lines = [
        f"{result.scenario_name} - {result.replications} replications, seed {result.seed}",
        f"mean ± 95% CI half-width; service level = {result.service_level_definition}",
        "",
    ]
    lines.append(result.summary().to_string())
    marks = target_lines(result)
    if marks:
        lines += ["", "targets (judged on the mean, with its 95% CI):", *marks]
    lines.append("")
    groups = result.groups.copy()
    groups["value"] = [
        _group_value(m, h, k)
        for m, h, k in zip(groups["mean"], groups["ci_half_width"], groups.kpi, strict=True)
    ]
    fte_factor = 7 / days / full_time_week_hours if days else None
    order = ["occupancy", "agents_available", "handled", "paid_hours", "cost"]
    if fte_factor is not None:
        hours = groups[groups.kpi == "paid_hours"].copy()
        hours["kpi"] = "fte"
        hours["value"] = [f"{h * fte_factor:,.1f}" for h in hours["mean"]]
        groups = pd.concat([groups, hours])
        order.insert(4, "fte")
    lines.append(
        groups.pivot(index="kpi", columns="group", values="value").reindex(order).to_string()
    )
    if len(result.outbound):
        lines += [
            "",
            'outbound lists (see `staffsim compare ... --variant "no outbound: '
            'outbound=null"` for the inbound impact):',
            outbound_table(result),
        ]
    overall = result.overall.set_index("kpi")["mean"]
    abandon = overall["abandon_rate"]
    abandon_text = (
        f"{abandon:.1%}" if not math.isnan(abandon) else f"{UNDEFINED} (no calls or chats offered)"
    )
    lines += [
        "",
        f"total paid hours {overall['paid_hours']:,.1f}, cost {overall['cost']:,.2f}, "
        f"abandon rate {abandon_text}",
    ]
    if fte_factor is not None:
        lines.append(
            f"FTE {overall['paid_hours'] * fte_factor:,.1f} = paid hours per week / "
            f"{full_time_week_hours:g} h (a horizon shorter than a week taken as repeating "
            "every day)"
        )
    return "\n".join(lines)


def outbound_table(result: SimulationResult) -> str:
    """Outbound KPIs, one column per list, ``mean ± 95% CI half-width``."""
    table = result.outbound.copy()
    table["value"] = [
        f"{m:.1%} ± {h * 100:.1f}" if k in SHARE_KPIS else f"{m:,.1f} ± {h:,.1f}"
        for m, h, k in zip(table["mean"], table["ci_half_width"], table.kpi, strict=True)
    ]
    rows = list(OUTBOUND_KPIS) + [k for k in PREDICTIVE_KPIS if k in set(table.kpi)]
    return (
        table.pivot(index="kpi", columns="outbound", values="value")
        .reindex(rows)
        .fillna(UNDEFINED)
        .to_string()
    )


def _group_value(mean: float, half: float, kpi: str) -> str:
    if math.isnan(mean):
        return UNDEFINED
    if kpi == "occupancy":
        return f"{mean:.1%} ± {half * 100:.1f}" if not math.isnan(half) else f"{mean:.1%}"
    if kpi in ("paid_hours", "cost"):
        return f"{mean:,.1f}"
    return f"{mean:,.1f} ± {half:,.1f}" if not math.isnan(half) else f"{mean:,.1f}"


def target_lines(result: SimulationResult) -> list[str]:
    """One line per scenario target: the simulated mean, its 95% CI and met/MISSED; for a
    per-interval target or floor, how many intervals missed and the worst one. The verdict
    is :meth:`SimulationResult.verdicts`, the same one the optimizer and the app use."""
    return ["  " + verdict_line(row) for _, row in result.verdicts().iterrows()]


__all__ = ["format_table", "register", "run", "target_lines"]
