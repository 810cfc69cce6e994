"""Helpers shared by the sub-commands: reading scenarios, progress bars, writing output."""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
import uuid
from collections.abc import Sequence
from pathlib import Path

from simulator.errors import InputError
from simulator.scenario import Scenario


def load_scenario(path: str, sets: Sequence[str] | None = None) -> Scenario:
    """Read and validate a scenario file, then apply the ``--set`` edits (each
    ``PATH=VALUE``, ``PATH+=N``, ``PATH-=N`` or ``PATH*=F``; see
    :func:`simulator.whatif.edits.parse_edit`), validated like the file; or raise
    InputError naming each problem and its path."""
    scenario = Scenario.from_yaml(Path(path))
    if not sets:
        return scenario
    from simulator.whatif.edits import apply_edits, parse_edit

    edits = [parse_edit(text) for text in sets]
    try:
        return apply_edits(scenario, edits)
    except InputError as exc:
        raise InputError([_with_option(line) for line in exc.problems]) from None


def _with_option(line: str) -> str:
    return line if line.startswith("--set") else f"--set {line}"


def add_set_option(parser: argparse.ArgumentParser) -> None:
    """``--set PATH=VALUE`` (repeatable): change a scenario value without editing the file."""
    parser.add_argument(
        "--set",
        dest="sets",
        action="append",
        default=[],
        metavar="PATH=VALUE",
        help=(
            "change a scenario value, e.g. channels.voice.targets.service_level=0.9 or "
            "agent_groups.seniors.staffing-=2 (also +=, *=); repeatable, validated like the file"
        ),
    )


def add_fte_option(parser: argparse.ArgumentParser) -> None:
    """``--full-time-hours H``: the paid hours of a full-time week, for FTE figures."""
    from simulator.horizon import FULL_TIME_WEEK_HOURS

    parser.add_argument(
        "--full-time-hours",
        type=float,
        default=FULL_TIME_WEEK_HOURS,
        metavar="H",
        help=(
            "paid hours of a full-time week: FTE = paid hours per week / H "
            f"(default {FULL_TIME_WEEK_HOURS:g})"
        ),
    )


def full_time_hours(args: argparse.Namespace) -> float:
    """The checked ``--full-time-hours``: in (0, 168]."""
    value = args.full_time_hours
    if not (math.isfinite(value) and 0 < value <= 168):
        raise InputError(f"--full-time-hours: must be in (0, 168] hours, got {value:g}")
    return value


def add_progress_option(parser: argparse.ArgumentParser, what: str = "progress bar") -> None:
    """``--progress/--no-progress``: a status line on stderr (default: when it is a
    terminal; see :class:`StatusLine`)."""
    parser.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help=f"{what} on stderr (default: when stderr is a terminal)",
    )


def positive_int(option: str, value: int | None, minimum: int = 1) -> None:
    if value is not None and value < minimum:
        raise InputError(f"{option}: must be >= {minimum}, got {value}")


def check_writable(out: str | Path | None, option: str = "--out") -> Path | None:
    """Refuse an output file that cannot be written, *before* the work starts, so a finished
    simulation, batch or plan is never thrown away for want of a place to put it.

    Creates the missing parent folders (as writing would) and writes and removes a probe
    file beside ``out``; an existing ``out`` is left untouched until the result replaces
    it. Returns ``out`` as a path (None when no file was asked for)."""
    if out is None:
        return None
    path = Path(out)
    if path.is_dir():
        raise InputError(f"{option}: {out} is a folder; give a file name")
    if path.exists() and not os.access(path, os.W_OK):
        raise InputError(f"{option}: cannot write {out}: the file is read-only")
    check_folder(path.parent, option, shown=str(out))
    return path


def check_folder(folder: str | Path, option: str, *, shown: str | None = None) -> Path:
    """Create ``folder`` if needed and make sure a file can be written in it (a probe file
    is written and removed); else :class:`InputError` naming ``option``."""
    path = Path(folder)
    shown = shown or str(folder)
    probe = path / f".staffsim-probe-{uuid.uuid4().hex[:8]}"
    try:
        if path.exists() and not path.is_dir():
            raise NotADirectoryError(f"{path} is not a folder")
        path.mkdir(parents=True, exist_ok=True)
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        reason = exc.strerror or str(exc)
        if isinstance(exc, NotADirectoryError | FileExistsError):
            reason = f"{_first_file(path)} is a file, not a folder"
        raise InputError(f"{option}: cannot write {shown}: {reason}") from None
    return path


def _first_file(path: Path) -> Path:
    """The first ancestor of ``path`` (or itself) that exists and is not a folder."""
    for candidate in [*reversed(path.parents), path]:
        if candidate.exists() and not candidate.is_dir():
            return candidate
    return path


class StatusLine:
    """One line on stderr redrawn in place (only when stderr is a terminal, or forced);
    ``close()`` ends it. Subclasses decide what the line says."""

    def __init__(self, *, enabled: bool | None = None, stream=None):
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.drawn = False

    def draw(self, line: str) -> None:
        self.stream.write("\r" + line)
        self.stream.flush()
        self.drawn = True

    def close(self) -> None:
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()


class ProgressBar(StatusLine):
    """A one-line progress bar: ``bar(done, total)`` redraws it with done/total, percent,
    elapsed time and an ETA, so long runs never look frozen."""

    def __init__(self, label: str, *, enabled: bool | None = None, stream=None):
        super().__init__(enabled=enabled, stream=stream)
        self.label = label
        self.started = time.monotonic()

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        elapsed = time.monotonic() - self.started
        eta = elapsed / done * (total - done) if done else float("nan")
        width = 28
        filled = int(width * done / total) if total else width
        bar = "#" * filled + "-" * (width - filled)
        self.draw(
            f"{self.label} [{bar}] {done}/{total} {done / total:4.0%} "
            f"elapsed {elapsed:5.1f}s eta {eta:5.1f}s"
        )


def write_output(text: str, out: str | None) -> None:
    """Print ``text``, or write it to ``out`` (creating parent folders)."""
    if out is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return
    path = Path(out)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"--out: cannot write {out}: {exc.strerror or exc}") from None
    print(f"wrote {path}", file=sys.stderr)
