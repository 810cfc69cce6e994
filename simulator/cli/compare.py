"""``staffsim compare SCENARIO --variant "NAME: PATH=VALUE[, PATH=VALUE]" ...``: what-ifs side
by side on the same customers.

Examples::

    staffsim compare scenarios/default.yaml \
        --variant "2 fewer card specialists: agent_groups.card_specialists.staffing-=2" \
        --variant "90/20: channels.general.targets.service_level=0.9"
    staffsim compare scenarios/default.yaml \
        --variant "+15% volume: channels.*.arrivals.scale=1.15" --format csv --out compare.csv

The scenario as written (after any ``--set``, staffed by the ``--plan`` file when given) is
the base; every variant is the base with its edits (``PATH=VALUE``, ``PATH+=N``,
``PATH-=N``, ``PATH*=F``; see ``--set``). Every variant runs with the same seed, so they
see the same customers (common random numbers): each difference comes with the 95% CI of
the paired difference, replication by replication, which is much narrower than the two
CIs side by side (paid hours and cost of a plan do not vary: their differences are exact).
"""

from __future__ import annotations

import argparse
import math

import pandas as pd

from simulator import limits
from simulator.cli.common import (
    ProgressBar,
    add_fte_option,
    add_progress_option,
    add_set_option,
    check_writable,
    full_time_hours,
    load_scenario,
    positive_int,
    write_output,
)
from simulator.errors import InputError
from simulator.kpis import SHARE_KPIS
from simulator.results import UNDEFINED, display_beyond_range
from simulator.runner import simulate
from simulator.whatif import compare, parse_variant

ORDER = 15
"""Where ``staffsim --help`` lists this command."""

BASE = "base"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "compare",
        help="what-if variants of a scenario side by side (same customers), with deltas",
        description=(
            "Simulate a scenario and variants of it with the same seeds; report KPIs, cost "
            "and FTE of each, and each variant's difference from the base with its 95% CI."
        ),
    )
    parser.add_argument("scenario", help="scenario YAML file (the base)")
    parser.add_argument(
        "--variant",
        dest="variants",
        action="append",
        default=[],
        metavar='"NAME: PATH=VALUE[, ...]"',
        help="a named variant: the base with these edits (repeatable; at least one)",
    )
    parser.add_argument("--replications", "-n", type=int, help="default: the scenario's run")
    parser.add_argument("--seed", type=int, help="default: the scenario's run.seed")
    parser.add_argument("--workers", type=int, default=1, help="processes (0 = all cores)")
    add_fte_option(parser)
    parser.add_argument("--format", choices=("table", "json", "csv"), default="table")
    parser.add_argument("--out", help="write the result to this file instead of stdout")
    parser.add_argument(
        "--plan",
        help="staffing plan YAML (from `staffsim optimize --out`): the base is the scenario "
        "staffed by this plan, and every variant edits that",
    )
    add_set_option(parser)
    add_progress_option(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if not args.variants:
        raise InputError('--variant: give at least one, e.g. --variant "NAME: PATH=VALUE"')
    positive_int("--replications", args.replications, minimum=2)
    positive_int("--workers", args.workers, minimum=0)
    if args.seed is not None and (problems := limits.check_seed(args.seed, field="--seed")):
        raise InputError(problems)
    week_hours = full_time_hours(args)
    base = load_scenario(args.scenario, args.sets)
    if args.plan:  # as `simulate --plan`: after --set, before the variants' edits
        from simulator.plan import apply_plan_file

        base = apply_plan_file(base, args.plan)
    variants = []
    problems: list[str] = []
    for text in args.variants:
        try:
            variants.append(parse_variant(text))
        except InputError as exc:
            problems += exc.problems
    if problems:
        raise InputError(problems)
    names = [BASE] + [v.name for v in variants]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise InputError(
            f"--variant: names must differ from each other and from {BASE!r}: "
            + ", ".join(repr(n) for n in duplicates)
        )
    scenarios = {BASE: base}
    for variant in variants:
        try:
            scenarios[variant.name] = variant.apply(base)
        except InputError as exc:
            problems += [f"--variant {variant.name!r}: {line}" for line in exc.problems]
    if problems:
        raise InputError(problems)
    replications = args.replications or base.run.replications
    seed = base.run.seed if args.seed is None else args.seed
    for name, scenario in scenarios.items():
        problems = limits.replications_problems(
            replications,
            len(scenario.channels),
            len(scenario.agent_groups),
            scenario.horizon.n_intervals,
            field="--replications",
        )
        if problems:
            raise InputError([f"{name}: {p}" for p in problems])
    check_writable(args.out)
    results = {}
    for i, (name, scenario) in enumerate(scenarios.items()):
        bar = ProgressBar(f"{name} ({i + 1}/{len(scenarios)})", enabled=args.progress)
        try:
            result = simulate(scenario, replications, seed, workers=args.workers, progress=bar)
        finally:
            bar.close()
        if result.interrupted:
            raise KeyboardInterrupt
        results[name] = result
    table = compare(results, BASE, days=base.horizon.days, full_time_week_hours=week_hours)
    if args.format == "json":
        text = table.to_json(orient="records", indent=2)
    elif args.format == "csv":
        text = table.to_csv(index=False)
    else:
        text = format_table(table, variants, replications, seed, week_hours)
    write_output(text, args.out)
    return 0


def format_table(
    table: pd.DataFrame,
    variants: list,
    replications: int,
    seed: int,
    full_time_hours: float,
) -> str:
    """One row per KPI (per channel or group), one column per variant (mean ± 95% CI) and,
    for each variant, its difference from the base (± the paired 95% CI)."""
    names = list(dict.fromkeys(table.variant))
    shown = table.copy()
    rows: dict[tuple[str, str], dict[str, str]] = {}
    for _, r in shown.iterrows():
        if r.kpi == "targets":
            continue
        key = (r.entity, r.kpi)
        cells = rows.setdefault(key, {})
        cells[r.variant] = _value(r.kpi, r["mean"], r.ci_half_width)
        if r.variant != BASE:
            cells[f"Δ {r.variant}"] = _delta(r.kpi, r["diff"], r.diff_ci_half_width)
    targets = shown[shown.kpi == "targets"].set_index("variant")["mean"]
    for name in names:
        met = rows[("all", "targets_met")]
        met[name] = f"{met[name].split(' ')[0]} of {targets[name]:.0f}"
        if name != BASE:
            met[f"Δ {name}"] = ""
    columns = [BASE]
    for name in names[1:]:
        columns += [name, f"Δ {name}"]
    frame = pd.DataFrame.from_dict(rows, orient="index").reindex(columns=columns).fillna("")
    frame = frame.reindex(_merged_order(shown))
    # KPIs undefined in every variant (e.g. email KPIs of a call channel) are left out.
    frame = frame[[any(v != UNDEFINED for v in row[names]) for _, row in frame.iterrows()]]
    frame.index = [f"{entity} {kpi}" if entity != "all" else kpi for entity, kpi in frame.index]
    lines = [
        f"{replications} replications, seed {seed}, the same customers in every variant "
        "(common random numbers)",
        "mean ± 95% CI half-width; Δ = variant − base ± 95% CI of the paired difference "
        "(pt = percentage points)",
        f"FTE = paid hours per week / {full_time_hours:g} h (a shorter horizon taken as "
        "repeating every day of the week)",
        "",
    ]
    for variant in variants:
        edits = ", ".join(e.describe() for e in variant.edits) or "no change"
        lines.append(f"{variant.name}: {edits}")
    lines += ["", *(line.rstrip() for line in frame.to_string().splitlines())]
    return "\n".join(lines)


def _merged_order(table: pd.DataFrame) -> list[tuple[str, str]]:
    """Row keys (entity, kpi) in the order the variants list them: a row only some variants
    have (a predictive list's ``nuisance_rate``) goes after the row it follows there, not
    at the end of the table."""
    order: list[tuple[str, str]] = []
    for _, part in table[table.kpi != "targets"].groupby("variant", sort=False):
        previous = -1
        for key in zip(part.entity, part.kpi, strict=True):
            if key in order:
                previous = order.index(key)
            else:
                previous += 1
                order.insert(previous, key)
    return order


def _value(kpi: str, mean: float, half: float) -> str:
    if math.isnan(mean):
        return UNDEFINED
    beyond = display_beyond_range(kpi, mean)
    if beyond is not None:
        return beyond
    if kpi == "targets_met":
        return f"{mean:.0f}"
    if kpi in SHARE_KPIS:
        text = f"{mean:.1%}"
        return text if math.isnan(half) or half == 0 else f"{text} ± {half * 100:.1f}"
    digits = 1 if abs(mean) < 1000 else 0
    text = f"{mean:,.{digits}f}"
    return text if math.isnan(half) or half == 0 else f"{text} ± {half:,.{digits}f}"


def _delta(kpi: str, diff: float, half: float) -> str:
    if math.isnan(diff) or math.isinf(diff):
        return ""
    if kpi in SHARE_KPIS:
        text = f"{diff * 100:+.1f} pt"
        return text if math.isnan(half) or half == 0 else f"{text} ± {half * 100:.1f}"
    digits = 1 if abs(diff) < 1000 else 0
    text = f"{diff:+,.{digits}f}"
    return text if math.isnan(half) or half == 0 else f"{text} ± {half:,.{digits}f}"


__all__ = ["format_table", "register", "run"]
