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
        f"{len(scenario.agent_groups)} agent group(s), "
        + (f"{len(scenario.outbound)} outbound list(s), " if scenario.outbound else "")
        + f"{h.days} day(s) of "
        f"{h.intervals_per_day} x {h.interval_minutes}-minute intervals ({h.open}-{h.close})"
        + (_weekday_hours(h) if h.hours is not None else "")
    )
    return 0


def _weekday_hours(h) -> str:
    """``; hours by weekday: sat 09:00-14:00, sun closed`` for the weekdays that differ."""
    from simulator.scenario import WEEKDAYS

    parts = [
        f"{day} closed" if value == "closed" else f"{day} {value.open}-{value.close}"
        for day, value in h.hours.items()
        if day in WEEKDAYS
    ]
    return f"; hours by weekday: {', '.join(parts)}" if parts else ""
