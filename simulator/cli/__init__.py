"""The ``staffsim`` command line: one module per sub-command, found through the
``staffsim.commands`` entry-point group (``pyproject.toml``).

Each package registers its own commands there: ``simulator.cli.*`` the simulation and
analytic ones, ``optimizer.cli.*`` ``optimize`` and ``frontier``, so ``simulator`` never
imports ``optimizer``. A command module exposes ``register(subparsers)``, which adds its
parser and sets ``func=run`` (a callable taking the parsed namespace and returning an exit
code).
Errors the user can fix (bad options, bad scenario files) are raised as
:class:`simulator.errors.InputError` and printed as one line per problem with exit code 2,
never as a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from importlib.metadata import entry_points

from simulator.errors import InputError

COMMAND_GROUP = "staffsim.commands"
"""The entry-point group naming each sub-command's module. ``staffsim --help`` lists the
commands by each module's ``ORDER`` (a number; the main job first)."""


def command_modules() -> list[str]:
    """The sub-command modules registered in :data:`COMMAND_GROUP`."""
    return [ep.value for ep in entry_points(group=COMMAND_GROUP)]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="staffsim",
        description="Contact-centre simulator and staffing optimizer.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    # A module that is not importable (an optional feature not installed) is skipped
    # rather than breaking the CLI.
    modules = []
    for name in command_modules():
        try:
            modules.append(importlib.import_module(name))
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue
            raise
    for module in sorted(modules, key=lambda m: m.ORDER):
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one sub-command. Exit status: 0 done, 2 bad input (one ``error:`` line per
    problem), 130 interrupted (Ctrl-C at any moment, imports included: never a traceback)."""
    command = "staffsim"
    try:
        parser = build_parser()  # imports the sub-commands (numpy, pandas: ~1 s)
        args = parser.parse_args(argv)
        command = f"staffsim {args.command}"
        return int(args.func(args) or 0)
    except InputError as exc:
        for line in exc.problems:
            print(f"{command}: error: {line}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `staffsim batch --dry-run | head`: the reader left
        sys.stderr.close()
        return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
