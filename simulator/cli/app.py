"""``staffsim app``: start the Streamlit app (``app.py``) in the browser.

The app lives next to the ``simulator`` package in a source checkout (``app.py`` and
``app_pages/``), which is where an editable install (``pip install -e ".[app]"``) points.
Arguments after ``--`` go to ``streamlit run`` unchanged, e.g.
``staffsim app -- --theme.base dark``.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

from simulator.errors import InputError

APP = Path(__file__).resolve().parents[2] / "app.py"


ORDER = 80
"""Where ``staffsim --help`` lists this command."""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "app",
        help="open the what-if app in the browser (Streamlit)",
        description="Start the Streamlit app: edit a scenario, simulate, compare what-ifs. "
        "Arguments after -- are passed to `streamlit run`.",
    )
    parser.add_argument("--port", type=int, help="port to serve on (default: Streamlit's, 8501)")
    parser.add_argument(
        "--address", help="address to listen on (default: Streamlit's; 127.0.0.1 = this machine)"
    )
    parser.add_argument(
        "--headless",
        action="store_true",
        help="do not open a browser (for servers; open the printed URL yourself)",
    )
    parser.add_argument(
        "streamlit_args", nargs=argparse.REMAINDER, help="-- then options for streamlit run"
    )
    parser.set_defaults(func=run)


def command(args: argparse.Namespace, app: Path = APP) -> list[str]:
    """The ``streamlit run`` command line for these options."""
    if args.port is not None and not 1 <= args.port <= 65535:
        raise InputError(f"--port: must be between 1 and 65535, got {args.port}")
    cmd = [sys.executable, "-m", "streamlit", "run", str(app)]
    if args.port is not None:
        cmd += ["--server.port", str(args.port)]
    if args.address:
        cmd += ["--server.address", args.address]
    if args.headless:
        cmd += ["--server.headless", "true"]
    extra = list(args.streamlit_args or [])
    if extra and extra[0] == "--":
        extra = extra[1:]
    return cmd + extra


def run(args: argparse.Namespace) -> int:
    if importlib.util.find_spec("streamlit") is None:
        raise InputError(
            'streamlit is not installed: install the app extra, pip install -e ".[app]"'
        )
    if not APP.is_file():
        raise InputError(
            f"app.py not found at {APP}: the app runs from a source checkout "
            '(git clone, then pip install -e ".[app]")'
        )
    cmd = command(args)
    os.chdir(APP.parent)  # bundled scenarios and pages resolve from the checkout
    if os.name == "posix":
        # Become the Streamlit server: signals (Ctrl-C, SIGTERM from a service manager)
        # reach it directly and no orphan server outlives this command.
        os.execv(sys.executable, cmd)  # pragma: no cover - replaces the process
    return subprocess.call(cmd)  # pragma: no cover - Windows


__all__ = ["command", "register", "run"]
