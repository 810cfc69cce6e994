"""A channel's own opening hours (``channels.<c>.hours``): a branch counter open 09:00-16:00
and Saturday morning while the phones run 08:00-20:00.

Same shape as the centre's hours (:class:`simulator.horizon.Horizon`): a default
``open``/``close`` and per weekday ``{open, close}`` or ``closed``. A weekday not listed
takes the channel's ``open``/``close`` within the centre's hours of that weekday (cut to
them: a counter open 09:00-17:00 closes at 13:00 on a Saturday the centre closes then);
without those, the centre's hours. A weekday given explicitly must lie inside the centre's
hours that weekday, and every span on its interval grid (checked by
:func:`hours_problems`, which knows the horizon).

What the hours mean: the channel takes arrivals only while it is open (its expected volume
is 0 in its closed intervals); customers already waiting at its closing stay in line and are
served (agents stay on duty until the centre's staffing ends; at the centre's closing
``run.serve_queue_at_close`` decides, as for every real-time channel). Redials and repeat
contacts meant for a closed channel come back when it opens (see
:meth:`simulator.model.CompiledModel.return_time`). Real-time kinds only: email arrives
around the clock and an email team's working hours are its agent group's staffing or
shifts.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from pydantic import Field, model_validator

from simulator.clock import clock_label, parse_clock
from simulator.horizon import WEEKDAYS, DayHours, Horizon, _OpenClose

DayOrClosed = DayHours | Literal["closed"] | None


class ChannelHours(_OpenClose):
    """Opening hours of one channel (see the module docstring)."""

    open: str | None = Field(None, description="Opening time, HH:MM, on weekdays not listed.")
    close: str | None = Field(None, description="Closing time, HH:MM, on weekdays not listed.")
    mon: DayOrClosed = None
    tue: DayOrClosed = None
    wed: DayOrClosed = None
    thu: DayOrClosed = None
    fri: DayOrClosed = None
    sat: DayOrClosed = None
    sun: DayOrClosed = None

    @model_validator(mode="after")
    def _pair(self) -> ChannelHours:
        if (self.open is None) != (self.close is None):
            raise ValueError("open and close go together: give both or neither")
        if self.open is not None and parse_clock(self.open) >= parse_clock(self.close or ""):
            raise ValueError(f"open ({self.open}) must be before close ({self.close})")
        return self

    def weekday_span(self, weekday: int, horizon: Horizon) -> tuple[int, int] | None:
        """Opening and closing second of the channel on ``weekday`` (0 = Monday), None when
        it is closed (by its own hours or the centre's)."""
        given = getattr(self, WEEKDAYS[weekday])
        if given == "closed":
            return None
        if isinstance(given, DayHours):
            return parse_clock(given.open), parse_clock(given.close)
        centre = horizon.weekday_span(weekday)
        if self.open is not None and self.close is not None:
            if centre is None:
                return None  # the centre is closed that weekday
            # the defaults hold within the centre's hours of the day (a counter open
            # 09:00-17:00 closes with the centre at 13:00 on its short Saturday)
            start = max(parse_clock(self.open), centre[0])
            end = min(parse_clock(self.close), centre[1])
            return (start, end) if start < end else None
        return centre

    def open_mask(self, horizon: Horizon) -> np.ndarray:
        """(days, intervals_per_day) bool: the intervals of the grid the channel is open
        (always inside the centre's open intervals)."""
        mask = horizon.open_mask().copy()
        first_s, step = horizon.open_s, horizon.interval_s
        for day in range(horizon.days):
            span = self.weekday_span(horizon.weekday(day), horizon)
            if span is None:
                mask[day] = False
                continue
            starts = first_s + step * np.arange(horizon.intervals_per_day)
            mask[day] &= (starts >= span[0]) & (starts + step <= span[1])
        return mask


def hours_problems(hours: ChannelHours, horizon: Horizon, where: str) -> list[str]:
    """Why ``hours`` (at path ``where``) does not fit the centre's ``horizon``: a weekday
    span outside the centre's hours that weekday, or off its interval grid."""
    problems: list[str] = []
    first, step = horizon.open_s, horizon.interval_s
    for w, name in enumerate(WEEKDAYS):
        span = hours.weekday_span(w, horizon)
        if span is None:
            continue
        centre = horizon.weekday_span(w)
        shown = f"{clock_label(span[0])}-{clock_label(span[1])}"
        field = f"{where}.{name}" if getattr(hours, name) is not None else where
        if centre is None:
            problems.append(f"{field}: {shown} on {name}, but the centre is closed then")
        elif span[0] < centre[0] or span[1] > centre[1]:
            problems.append(
                f"{field}: {shown} on {name} is outside the centre's hours "
                f"{clock_label(centre[0])}-{clock_label(centre[1])} (horizon)"
            )
        elif (span[0] - first) % step or (span[1] - first) % step:
            problems.append(
                f"{field}: {shown} on {name} does not fall on the {horizon.interval_minutes}-"
                f"minute interval grid starting at {clock_label(first)}"
            )
    return problems


def channel_open_mask(channel: Any, horizon: Horizon) -> np.ndarray | None:
    """The channel's own open intervals (days, intervals_per_day), or None when it keeps
    the centre's hours (no ``hours``)."""
    hours = getattr(channel, "hours", None)
    return None if hours is None else hours.open_mask(horizon)


__all__ = ["ChannelHours", "channel_open_mask", "hours_problems"]
