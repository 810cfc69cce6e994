"""The scenario's horizon: which days are simulated (from ``start_date``), the opening
hours of each weekday (closed days allowed), and the planning intervals they are cut into.
Clock times are ``"HH:MM"`` strings; inside, seconds from day 0 at 00:00
(:mod:`simulator.clock`)."""

from __future__ import annotations

import datetime
from typing import Any, Literal, get_args

import numpy as np
from pydantic import (
    Field,
    field_validator,
    model_validator,
)

from simulator.clock import (
    DAY_S,
    clock_label,
    clock_text,
    interval_label,
    parse_clock,
)
from simulator.distributions import FrozenModel

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[str, ...] = get_args(Weekday)
"""Weekday keys of ``horizon.hours``, Monday first (``date.weekday()`` order)."""


FULL_TIME_WEEK_HOURS = 37.5
"""Paid hours of one full-time agent per week: the default divisor of FTE figures."""


class _OpenClose(FrozenModel):
    """An ``open``/``close`` pair of ``HH:MM`` clock times, checked the same way wherever
    the format has one (the horizon's default hours and each weekday's own)."""

    @field_validator("open", "close", mode="before", check_fields=False)
    @classmethod
    def _clock_type(cls, value: Any) -> Any:
        return clock_text(value)

    @field_validator("open", "close", check_fields=False)
    @classmethod
    def _clock(cls, value: str) -> str:
        parse_clock(value)
        return value


class DayHours(_OpenClose):
    """Opening hours of one weekday (``horizon.hours``)."""

    open: str = Field(description="Opening time, HH:MM.")
    close: str = Field(description="Closing time, HH:MM (24:00 = midnight).")

    @model_validator(mode="after")
    def _open_before_close(self) -> DayHours:
        if parse_clock(self.open) >= parse_clock(self.close):
            raise ValueError(f"open ({self.open}) must be before close ({self.close})")
        return self


class Horizon(_OpenClose):
    """Which days and which part of each day is simulated, cut into planning intervals.

    With ``hours`` (per weekday, closed days allowed) the interval grid of every day runs
    from the earliest opening to the latest closing of any weekday; intervals outside a
    day's own hours are *closed*: no arrivals, no staffing, nobody answered there."""

    days: int = Field(1, ge=1, le=366, description="Number of consecutive days simulated.")
    interval_minutes: Literal[15, 30, 60] = Field(
        30, description="Length of a planning interval; KPIs and staffing are per interval."
    )
    open: str = Field("08:00", description="Opening time, HH:MM, same every day.")
    close: str = Field("20:00", description="Closing time, HH:MM (24:00 = midnight).")
    start_date: datetime.date | None = Field(
        None,
        description="Calendar date of day 0 (YYYY-MM-DD); sets each day's weekday. Omitted: "
        "day 0 is a Monday.",
    )
    hours: dict[Weekday, DayHours | Literal["closed"]] | None = Field(
        None,
        description="Opening hours by weekday (mon..sun): {open, close} or closed. Weekdays "
        "not listed keep open/close.",
    )

    @model_validator(mode="after")
    def _open_before_close(self) -> Horizon:
        default_open, default_close = parse_clock(self.open), parse_clock(self.close)
        if default_open >= default_close:
            raise ValueError(f"open ({self.open}) must be before close ({self.close})")
        if (default_close - default_open) % self.interval_s:
            raise ValueError(
                f"opening hours {self.open}-{self.close} must be a whole number of "
                f"{self.interval_minutes}-minute intervals"
            )
        if self.hours is not None:
            spans = [self.weekday_span(w) for w in range(7)]
            if all(span is None for span in spans):
                raise ValueError("hours: every weekday is closed; open at least one")
            first = self.open_s
            for w, span in enumerate(spans):
                if span is not None and (
                    (span[0] - first) % self.interval_s or (span[1] - first) % self.interval_s
                ):
                    hours = self.hours.get(WEEKDAYS[w])  # type: ignore[call-overload]
                    shown = (
                        f"{hours.open}-{hours.close}"
                        if isinstance(hours, DayHours)
                        else (f"{self.open}-{self.close}")
                    )
                    raise ValueError(
                        f"hours.{WEEKDAYS[w]}: {shown} does not fall on the "
                        f"{self.interval_minutes}-minute interval grid starting at "
                        f"{clock_label(first)} (the earliest opening)"
                    )
        return self

    # ---- opening hours by weekday (seconds after midnight) -----------------------------
    def weekday_span(self, weekday: int) -> tuple[int, int] | None:
        """Opening and closing second of ``weekday`` (0 = Monday), None when closed."""
        given = None if self.hours is None else self.hours.get(WEEKDAYS[weekday])  # type: ignore[call-overload]
        if given == "closed":
            return None
        if isinstance(given, DayHours):
            return parse_clock(given.open), parse_clock(given.close)
        return parse_clock(self.open), parse_clock(self.close)

    def weekday(self, day: int) -> int:
        """Weekday of horizon day ``day`` (0 = Monday): from ``start_date``, else day 0 is a
        Monday."""
        first = self.start_date.weekday() if self.start_date is not None else 0
        return (first + day) % 7

    def day_span(self, day: int) -> tuple[int, int] | None:
        """Opening and closing second (after that day's midnight) of horizon day ``day``,
        None when the centre is closed that day."""
        return self.weekday_span(self.weekday(day))

    def open_mask(self) -> np.ndarray:
        """(days, intervals_per_day) bool: which intervals of the grid are open."""
        mask = np.ones((self.days, self.intervals_per_day), dtype=bool)
        if self.hours is None:
            return mask
        for day in range(self.days):
            span = self.day_span(day)
            if span is None:
                mask[day] = False
                continue
            first = (span[0] - self.open_s) // self.interval_s
            last = (span[1] - self.open_s) // self.interval_s
            mask[day, :first] = False
            mask[day, last:] = False
        return mask

    @property
    def uniform_hours(self) -> bool:
        """Whether every day of the horizon is open over the whole interval grid (always the
        case without ``hours``): the engine then takes its closed-form paths."""
        return bool(self.open_mask().all())

    @property
    def open_s(self) -> int:
        """Start of the interval grid: ``open``, or the earliest opening of any weekday
        when ``hours`` is given."""
        if self.hours is None:
            return parse_clock(self.open)
        return min(s[0] for w in range(7) if (s := self.weekday_span(w)) is not None)

    @property
    def close_s(self) -> int:
        """End of the interval grid: ``close``, or the latest closing of any weekday."""
        if self.hours is None:
            return parse_clock(self.close)
        return max(s[1] for w in range(7) if (s := self.weekday_span(w)) is not None)

    @property
    def interval_s(self) -> int:
        return self.interval_minutes * 60

    @property
    def intervals_per_day(self) -> int:
        return (self.close_s - self.open_s) // self.interval_s

    @property
    def n_intervals(self) -> int:
        return self.days * self.intervals_per_day

    def interval_start_s(self, day: int, index: int) -> int:
        """Absolute start (seconds from day 0 00:00) of interval ``index`` of ``day``."""
        return day * DAY_S + self.open_s + index * self.interval_s

    def interval_label(self, index: int) -> str:
        """``"08:30"`` for the interval starting then (index within the day)."""
        return clock_label(self.open_s + index * self.interval_s)

    def fte(self, paid_hours: float, full_time_week_hours: float = FULL_TIME_WEEK_HOURS) -> float:
        """Full-time equivalents of ``paid_hours`` paid over the horizon: paid hours per week
        (``paid_hours`` × 7 / days; a horizon shorter than a week is taken as repeating every
        day of the week) divided by the hours of a full-time week."""
        return paid_hours * 7 / self.days / full_time_week_hours

    def label(self, k: int) -> str:
        """Label of global interval ``k``: ``"08:30"`` on one day, ``"d2 08:30"`` (days
        from 0) on a multi-day horizon, ``"Wed 9 Dec 08:30"`` with a ``start_date`` — the
        one format every table uses (the app's charts name days the same way)."""
        day, index = divmod(k, self.intervals_per_day)
        return interval_label(day, self.interval_label(index), self.days, self.start_date)
