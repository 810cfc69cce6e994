"""Reading YAML input safely, with errors a person can act on.

Every YAML file the project reads (scenarios, sweeps, plans, optimizer options) goes through
here, so they all parse with ``yaml.safe_load`` (no object construction) and all report a
missing file, an unreadable file or malformed YAML the same way: one :class:`InputError`
line starting with where the problem is (``file:line:column``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from simulator.errors import InputError


def parse_yaml(text: str, *, source: str) -> Any:
    """Parse YAML text; malformed YAML → ``source:line:col: malformed YAML: problem``.
    An empty document gives ``None`` (callers decide whether that is an error)."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}:{mark.column + 1}" if mark else source
        problem = getattr(exc, "problem", None) or str(exc)
        raise InputError(f"{where}: malformed YAML: {problem}") from None


def read_text(path: str | Path, *, label: str = "") -> str:
    """A UTF-8 file's text; a missing or unreadable file → one ``InputError`` line,
    prefixed with ``label`` (e.g. the CLI option that named the file) when given."""
    path = Path(path)
    prefix = f"{label}: " if label else ""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{prefix}{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{prefix}{path}: cannot read: {exc}") from None


def read_yaml(path: str | Path, *, label: str = "") -> Any:
    """:func:`read_text` then :func:`parse_yaml` (``None`` for an empty file)."""
    prefix = f"{label}: " if label else ""
    return parse_yaml(read_text(path, label=label), source=f"{prefix}{path}")
