"""``staffsim optimize SCENARIO``: the cheapest staffing (and shift) plan meeting every target.

Examples::

    staffsim optimize scenarios/default.yaml --time-limit 60 --out plan.yaml
    staffsim simulate scenarios/default.yaml --plan plan.yaml
    staffsim optimize scenarios/default.yaml --options opt.yaml --format json

``--out`` writes the plan file (YAML) that ``simulate --plan`` reads; the report (table,
JSON or YAML) goes to stdout. Ctrl-C returns the best plan found so far. Exit status 0 when
the plan meets every target, 1 when it does not (the report says which and by how much),
2 for bad input.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

import yaml

from simulator.cli._common import StatusLine, load_scenario, positive_int, write_output
from simulator.errors import InputError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "optimize",
        help="find the cheapest staffing / shift plan meeting every target",
        description=(
            "Search the cheapest agents per group per interval (and shifts, when shift types "
            "are given or the scenario uses shifts) meeting every target of the scenario: "
            "analytic warm start, simulation with common random numbers, verification on "
            "fresh seeds."
        ),
    )
    parser.add_argument("scenario", help="scenario YAML file")
    parser.add_argument("--time-limit", type=float, help="seconds (default 60)")
    parser.add_argument("--seed", type=int, help="search seed (default: the scenario's)")
    parser.add_argument("--replications", "-n", type=int, help="per search evaluation")
    parser.add_argument("--workers", type=int, help="processes per evaluation (0 = all cores)")
    parser.add_argument(
        "--rule", choices=("mean", "ci"), help="feasibility rule on fresh seeds (default mean)"
    )
    parser.add_argument("--margin", type=float, help="search margin in CI half-widths (default 1)")
    parser.add_argument("--budget", type=float, help="cost ceiling over the horizon")
    parser.add_argument(
        "--evaluator", choices=("simulation", "analytic"), help="default simulation"
    )
    parser.add_argument("--options", help="YAML file with an `optimizer:` section")
    parser.add_argument("--format", choices=("table", "json", "yaml"), default="table")
    parser.add_argument("--out", help="write the plan file (YAML) here")
    parser.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="progress line on stderr (default: when stderr is a terminal)",
    )
    parser.set_defaults(func=run)


def build_options(args: argparse.Namespace) -> Any:
    """Options file first, then the command-line flags on top."""
    from optimizer.options import OptimizeOptions

    base = OptimizeOptions.from_yaml(args.options) if args.options else OptimizeOptions()
    flags = {
        "time_limit_seconds": args.time_limit if args.time_limit is not None else None,
        "seed": args.seed,
        "replications": args.replications,
        "workers": args.workers,
        "rule": args.rule,
        "margin": args.margin,
        "budget": args.budget,
        "evaluator": args.evaluator,
    }
    changes = {k: v for k, v in flags.items() if v is not None}
    if args.time_limit is None and not args.options:
        changes["time_limit_seconds"] = 60.0
    problems = []
    if args.time_limit is not None and args.time_limit <= 0:
        problems.append(f"--time-limit: must be > 0, got {args.time_limit:g}")
    if args.seed is not None and args.seed < 0:
        problems.append(f"--seed: must be >= 0, got {args.seed}")
    if args.margin is not None and args.margin < 0:
        problems.append(f"--margin: must be >= 0, got {args.margin:g}")
    if args.budget is not None and args.budget <= 0:
        problems.append(f"--budget: must be > 0, got {args.budget:g}")
    if problems:
        raise InputError(problems)
    positive_int("--replications", args.replications, minimum=2)
    positive_int("--workers", args.workers, minimum=0)
    return OptimizeOptions.model_validate({**base.model_dump(), **changes})


class OptimizeStatus(StatusLine):
    """The optimizer's status line: phase, evaluations, best cost, elapsed of the limit."""

    def __init__(self, limit_s: float, *, enabled: bool | None = None, stream=None):
        super().__init__(enabled=enabled, stream=stream)
        self.limit_s = limit_s

    def __call__(self, info: dict[str, Any]) -> None:
        if not self.enabled:
            return
        width = 24
        frac = min(info["elapsed_s"] / self.limit_s, 1.0) if self.limit_s else 1.0
        bar = "#" * int(width * frac) + "-" * (width - int(width * frac))
        best = "-" if info["best_cost"] is None else f"{info['best_cost']:,.0f}"
        self.draw(
            f"optimizing [{bar}] {info['phase']:<8} evals {info['evaluations']:>3} "
            f"best {best:>10} {info['elapsed_s']:5.1f}/{self.limit_s:.0f}s "
        )


def run(args: argparse.Namespace) -> int:
    from optimizer import optimize
    from optimizer.result import plain

    options = build_options(args)
    scenario = load_scenario(args.scenario)
    status = OptimizeStatus(options.time_limit_seconds, enabled=args.progress)
    started = time.perf_counter()
    try:
        result = optimize(scenario, options, progress=status)
    finally:
        status.close()
    if result.status == "interrupted":
        print(
            f"interrupted after {time.perf_counter() - started:.1f} s: "
            "reporting the best plan so far",
            file=sys.stderr,
        )
    if args.out:
        write_output(result.plan_yaml(), args.out)
    if args.format == "json":
        text = result.to_json()
    elif args.format == "yaml":
        text = yaml.safe_dump(plain(result), sort_keys=False, allow_unicode=True, width=100)
    else:
        text = result.summary()
    write_output(text, None)
    return 0 if result.feasible else 1


__all__ = ["build_options", "register", "run"]
