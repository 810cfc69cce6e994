"""``staffsim schema``: print the scenario format's JSON Schema (for editors and tools)."""

from __future__ import annotations

import argparse
import json

from simulator.scenario import Scenario

ORDER = 50
"""Where ``staffsim --help`` lists this command."""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "schema",
        help="print the scenario JSON Schema",
        description="Print the JSON Schema of scenario files.",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    print(json.dumps(Scenario.model_json_schema(), indent=2))
    return 0
