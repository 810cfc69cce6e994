"""Clock facts written once: day length, ``"HH:MM"`` parsing and labels, interval labels.

Inside the engine and the optimizer every time is in **seconds** from day 0 at 00:00; people
read and write clock times as ``"HH:MM"`` strings and interval labels as ``"08:30"`` (one
day) or ``"d2 08:30"`` (day 2 of a multi-day horizon, days numbered from 0).
"""

from __future__ import annotations

import datetime
import math
import re
from typing import Any

import numpy as np

DAY_S = 86_400
"""Seconds in a calendar day."""

PerIntervalValues = tuple[float, ...] | tuple[tuple[float, ...], ...]
"""Values per open interval: one list for every day, or one list per day."""

_HHMM = re.compile(r"([01][0-9]|2[0-4]):([0-5][0-9])")  # matched whole, ASCII digits


def clock_text(value: Any) -> Any:
    """YAML reads an unquoted ``10:30`` as the base-60 integer 630: say how to fix it.

    Used as a ``mode="before"`` validator on every clock-time field."""
    if isinstance(value, int) and not isinstance(value, bool):
        raise ValueError(
            f'clock times must be quoted strings such as "{value // 60:02d}:{value % 60:02d}" '
            f"(YAML read an unquoted time as the number {value})"
        )
    return value


def parse_clock(text: str) -> int:
    """``"08:30"`` → 30600 seconds after midnight; ``"24:00"`` is allowed as end of day.

    Raises ``ValueError`` (turned into a field error by the scenario's validation)."""
    match = _HHMM.fullmatch(text) if isinstance(text, str) else None
    if not match or (int(match.group(1)) == 24 and match.group(2) != "00"):
        raise ValueError(f"must be a clock time HH:MM between 00:00 and 24:00, got {text!r}")
    return int(match.group(1)) * 3600 + int(match.group(2)) * 60


def clock_label(seconds_after_midnight: float) -> str:
    """``30600`` → ``"08:30"`` (whole minutes; times past midnight wrap: ``"24:00"`` stays)."""
    minutes = round(seconds_after_midnight / 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def interval_label(
    day: int, time_label: str, days: int, start_date: datetime.date | None = None
) -> str:
    """``"d2 08:30"`` on multi-day horizons, ``"08:30"`` on one day (days from 0); with the
    calendar date of day 0, the day's weekday and date as the app names it: ``"Wed 9 Dec
    08:30"``."""
    if days <= 1:
        return time_label
    if start_date is None:
        return f"d{day} {time_label}"
    date = start_date + datetime.timedelta(days=day)
    return f"{date:%a} {date.day} {date:%b} {time_label}"


def day_grid(values: Any, days: int, per_day: int) -> np.ndarray:
    """Per-interval values as a ``days × per_day`` array: a constant, one list for every
    day, or one list per day (:data:`PerIntervalValues`)."""
    if isinstance(values, int | float):
        return np.full((days, per_day), float(values))
    array = np.asarray(values, dtype=float)
    if array.ndim == 1:
        return np.tile(array, (days, 1))
    return array


def first_counted_interval(warmup_s: float, interval_s: float) -> int:
    """The first interval measured after a warm-up of ``warmup_s`` seconds (intervals
    starting inside the warm-up are not counted)."""
    return math.ceil(warmup_s / interval_s - 1e-9)


__all__ = [
    "DAY_S",
    "PerIntervalValues",
    "clock_label",
    "clock_text",
    "day_grid",
    "first_counted_interval",
    "interval_label",
    "parse_clock",
]
