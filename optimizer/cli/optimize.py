"""``staffsim optimize SCENARIO``: the cheapest staffing (and shift) plan meeting every target.

Examples::

    staffsim optimize scenarios/default.yaml --out plan.yaml
    staffsim simulate scenarios/default.yaml --plan plan.yaml
    staffsim optimize scenarios/telecom.yaml --schedule schedule.csv --format json

Targets and shift rules come from the scenario. ``--out`` writes the plan file (YAML) that
``simulate --plan`` reads and ``--schedule`` the plan as CSV (the shift schedule, or agents
per interval); both paths are checked before the search starts. The report (table, JSON or
YAML) goes to stdout. Exit status 0 when the plan met every target on fresh seeds, 1 when it
did not (the report says which and by how much), 2 for bad input, 130 after Ctrl-C (the best
plan so far is still reported and written).
"""

from __future__ import annotations

import argparse
import math
import sys
from typing import Any

import yaml

from simulator.cli.common import (
    StatusLine,
    add_fte_option,
    add_progress_option,
    add_set_option,
    full_time_hours,
    load_scenario,
    positive_int,
    write_output,
)
from simulator.errors import InputError

ORDER = 20
"""Where ``staffsim --help`` lists this command."""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "optimize",
        help="find the cheapest staffing / shift plan meeting every target",
        description=(
            "Search the cheapest plan meeting every target of the scenario - shifts for the "
            "groups its shift_types apply to, agents per interval for the others: an integer "
            "program on a queueing model corrected by simulation with common random numbers, "
            "then verification on fresh seeds."
        ),
    )
    parser.add_argument("scenario", help="scenario YAML file")
    parser.add_argument(
        "--max-evaluations",
        type=int,
        help="simulations the search may use (default 40): the same plan on any machine",
    )
    parser.add_argument(
        "--time-limit", type=float, help="seconds; cuts the search short (and says so)"
    )
    parser.add_argument("--seed", type=int, help="search seed (default: the scenario's)")
    parser.add_argument("--replications", "-n", type=int, help="per search evaluation (20)")
    parser.add_argument("--workers", type=int, help="processes (default 0 = all cores)")
    parser.add_argument(
        "--rule", choices=("mean", "ci"), help="feasibility rule on fresh seeds (default mean)"
    )
    parser.add_argument(
        "--margin", type=float, help="search margin in CI half-widths (default 1.5)"
    )
    parser.add_argument("--budget", type=float, help="cost ceiling over the horizon")
    parser.add_argument(
        "--plan",
        choices=("auto", "shifts", "per_interval"),
        help="shifts where shift types apply (auto, default), or agents per interval",
    )
    parser.add_argument(
        "--evaluator", choices=("simulation", "analytic"), help="default simulation"
    )
    parser.add_argument("--options", help="YAML file with an `optimizer:` section")
    parser.add_argument("--format", choices=("table", "json", "yaml"), default="table")
    parser.add_argument("--out", help="write the plan file (YAML) here")
    parser.add_argument("--schedule", metavar="CSV", help="write the plan as CSV here")
    add_set_option(parser)
    add_fte_option(parser)
    add_progress_option(parser, "progress line")
    parser.set_defaults(func=run)


class _Flags:
    """The parsed flags, None for a flag the command does not define."""

    def __init__(self, args: argparse.Namespace):
        self.args = args

    def __getattr__(self, name: str) -> Any:
        return getattr(self.args, name, None)


def build_options(args: argparse.Namespace) -> Any:
    """Options file first, then the command-line flags on top (``optimize`` and
    ``frontier``; a flag a command does not have counts as not given)."""
    from optimizer.options import OptimizeOptions

    given = _Flags(args)

    base = OptimizeOptions.from_yaml(args.options) if args.options else OptimizeOptions()
    problems = []
    for flag, value, minimum in (
        ("--time-limit", given.time_limit, 0.0),
        ("--budget", given.budget, 0.0),
    ):
        if value is not None and not (math.isfinite(value) and value > minimum):
            problems.append(f"{flag}: must be a number > {minimum:g}, got {value:g}")
    if given.margin is not None and not (math.isfinite(given.margin) and 0 <= given.margin <= 5):
        problems.append(f"--margin: must be between 0 and 5, got {given.margin:g}")
    if given.seed is not None and given.seed < 0:
        problems.append(f"--seed: must be >= 0, got {given.seed}")
    if problems:
        raise InputError(problems)
    positive_int("--replications", given.replications, minimum=2)
    positive_int("--workers", given.workers, minimum=0)
    positive_int("--max-evaluations", given.max_evaluations, minimum=1)
    flags = {
        "max_evaluations": given.max_evaluations,
        "time_limit_seconds": given.time_limit,
        "seed": given.seed,
        "replications": given.replications,
        "workers": given.workers,
        "rule": given.rule,
        "margin": given.margin,
        "budget": given.budget,
        "plan": given.plan,
        "evaluator": given.evaluator,
    }
    changes = {k: v for k, v in flags.items() if v is not None}
    try:
        return OptimizeOptions.model_validate({**base.model_dump(), **changes})
    except Exception as exc:  # pydantic ValidationError: say which option
        raise InputError(f"options: {exc}") from None


class OptimizeStatus(StatusLine):
    """The optimizer's status line: phase, evaluations used of the budget, best cost."""

    def __call__(self, info: dict[str, Any]) -> None:
        if not self.enabled:
            return
        total = info.get("max_evaluations") or 1
        width = 24
        frac = min(info["evaluations"] / total, 1.0)
        bar = "#" * int(width * frac) + "-" * (width - int(width * frac))
        best = "-" if info["best_cost"] is None else f"{info['best_cost']:,.0f}"
        self.draw(
            f"optimizing [{bar}] {info['phase']:<12} evals {info['evaluations']:>3}/{total} "
            f"best {best:>10} {info['elapsed_s']:6.1f}s "
        )


def run(args: argparse.Namespace) -> int:
    from optimizer import optimize
    from optimizer.result import plain
    from simulator.cli.common import check_writable

    options = build_options(args)
    week_hours = full_time_hours(args)
    scenario = load_scenario(args.scenario, args.sets)
    for flag, path in (("--out", args.out), ("--schedule", args.schedule)):
        if path:
            check_writable(path, flag)
    status = OptimizeStatus(enabled=args.progress)
    try:
        result = optimize(scenario, options, progress=status)
    finally:
        status.close()
    if result.status == "interrupted":
        print(
            f"interrupted after {result.run_time_s:.1f} s: reporting the best plan so far",
            file=sys.stderr,
        )
    if args.out:
        write_output(result.plan_yaml(), args.out)
    if args.schedule:
        write_output(result.schedule_csv(), args.schedule)
    if args.format == "json":
        text = result.to_json()
    elif args.format == "yaml":
        text = yaml.safe_dump(plain(result), sort_keys=False, allow_unicode=True, width=100)
    else:
        text = result.summary(full_time_week_hours=week_hours)
    write_output(text, None)
    if result.status == "interrupted":
        return 130
    return 0 if result.feasible else 1


__all__ = ["build_options", "register", "run"]
