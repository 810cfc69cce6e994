"""``staffsim validate FILE``: check a scenario file and say what is wrong with it."""

from __future__ import annotations

import argparse

from simulator.cli.common import load_scenario

ORDER = 40
"""Where ``staffsim --help`` lists this command."""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "validate", help="check a scenario file", description="Check a scenario file."
    )
    parser.add_argument("scenario", help="scenario YAML file")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    scenario = load_scenario(args.scenario)
    h = scenario.horizon
    print(
        f"{args.scenario}: OK - {scenario.name!r}: {len(scenario.channels)} channel(s), "
        f"{len(scenario.agent_groups)} agent group(s), {h.days} day(s) of "
        f"{h.intervals_per_day} x {h.interval_minutes}-minute intervals ({h.open}-{h.close})"
    )
    return 0
