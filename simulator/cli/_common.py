"""Helpers shared by the sub-commands: reading scenarios, progress bars, writing output."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from simulator.errors import InputError
from simulator.scenario import Scenario


def load_scenario(path: str) -> Scenario:
    """Read and validate a scenario file, or raise InputError naming each problem."""
    return Scenario.from_yaml(Path(path))


def positive_int(option: str, value: int | None, minimum: int = 1) -> None:
    if value is not None and value < minimum:
        raise InputError(f"{option}: must be >= {minimum}, got {value}")


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
