"""Shift rules a planner can staff: the scenario's ``shift_types``.

A scenario's ``agent_groups.<g>.shifts`` is one plan (who works when); ``shift_types`` are the
*rules* the optimizer must respect when it makes a new plan: shift lengths, the window in
which a shift may start, where its breaks may fall, the days it may be worked, how many
agents may work it, and weekly rules such as "5 days on, 2 off". The optimizer chooses how
many agents of each group work each allowed pattern (:mod:`optimizer.patterns`).

Units are in the key names: ``hours``, ``*_minutes``; clock times are ``"HH:MM"``.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator, model_validator

from simulator.clock import clock_label, clock_text, parse_clock
from simulator.distributions import FrozenModel as _Model


class BreakRule(_Model):
    """A break inside a shift: ``minutes`` long, starting ``after_minutes`` after the shift
    start — or anywhere from ``after_minutes`` to ``latest_after_minutes`` in steps of
    ``step_minutes`` (a break window: the optimizer staggers breaks across agents, so the
    floor is never emptied at lunch). Unpaid unless ``paid: true``."""

    minutes: int = Field(gt=0, le=240, description="Length of the break, minutes.")
    after_minutes: int = Field(ge=0, description="Earliest start, minutes after shift start.")
    latest_after_minutes: int | None = Field(
        None, ge=0, description="Latest start (a window); default: after_minutes only."
    )
    step_minutes: int = Field(15, gt=0, description="Step between allowed break starts.")
    paid: bool = Field(False, description="Paid breaks cost money; unpaid ones do not.")

    @model_validator(mode="after")
    def _window(self) -> BreakRule:
        if self.latest_after_minutes is not None and self.latest_after_minutes < self.after_minutes:
            raise ValueError(
                f"latest_after_minutes ({self.latest_after_minutes}) must be >= "
                f"after_minutes ({self.after_minutes})"
            )
        return self

    def offsets(self) -> list[int]:
        """Allowed break starts, minutes after the shift start."""
        last = (
            self.after_minutes if self.latest_after_minutes is None else self.latest_after_minutes
        )
        return list(range(self.after_minutes, last + 1, self.step_minutes))


class ShiftType(_Model):
    """A shift the optimizer may staff (see module docstring).

    ``min_agents`` / ``max_agents`` count agents working this type on one day; with a weekly
    rule (``days_per_week``) they count the agents employed on it (each working
    ``days_per_week`` days of every 7-day week).
    """

    name: str = Field(min_length=1, description="Shown in plans and schedules.")
    groups: tuple[str, ...] | None = Field(None, description="Agent groups; default: all.")
    hours: float = Field(gt=0, le=16, description="Length from start to end, breaks included.")
    earliest_start: str = Field(description="Earliest start, HH:MM.")
    latest_start: str | None = Field(None, description="Latest start, HH:MM; default: earliest.")
    start_step_minutes: int = Field(30, gt=0, le=1440, description="Step between starts.")
    breaks: tuple[BreakRule, ...] = ()
    days: tuple[int, ...] | None = Field(None, description="Days it may be worked; default all.")
    min_agents: int = Field(0, ge=0, description="At least this many agents (see above).")
    max_agents: int | None = Field(None, ge=0, description="At most this many agents.")
    days_per_week: int | None = Field(
        None, ge=1, le=7, description="Weekly rule: days worked in every 7-day week."
    )
    consecutive_days_off: bool = Field(
        True, description="Weekly rule: the days off of a week are consecutive (wrapping)."
    )

    @field_validator("earliest_start", "latest_start", mode="before")
    @classmethod
    def _clock_type(cls, value: Any) -> Any:
        return clock_text(value)

    @field_validator("earliest_start", "latest_start")
    @classmethod
    def _clock(cls, value: str | None) -> str | None:
        if value is not None:
            parse_clock(value)
        return value

    @model_validator(mode="after")
    def _consistent(self) -> ShiftType:
        problems = []
        if self.latest_start is not None and parse_clock(self.latest_start) < parse_clock(
            self.earliest_start
        ):
            problems.append(
                f"latest_start ({self.latest_start}) must not be before earliest_start "
                f"({self.earliest_start})"
            )
        for i, brk in enumerate(self.breaks):
            last = brk.offsets()[-1]
            if last + brk.minutes > self.hours * 60:
                problems.append(
                    f"breaks.{i}: a {brk.minutes}-minute break starting {last} minutes in ends "
                    f"after the {self.hours:g}-hour shift"
                )
        if self.max_agents is not None and self.max_agents < self.min_agents:
            problems.append(
                f"max_agents ({self.max_agents}) must be >= min_agents ({self.min_agents})"
            )
        if self.days is not None and len(set(self.days)) != len(self.days):
            problems.append("days: a day is listed twice")
        if self.days is not None and not self.days:
            problems.append("days: is empty (omit days for every day)")
        if self.days_per_week is None and not self.consecutive_days_off:
            problems.append("consecutive_days_off applies only with days_per_week")
        if problems:
            raise ValueError("\n".join(problems))
        return self

    def start_seconds(self) -> list[int]:
        """Allowed start times, seconds after midnight."""
        first = parse_clock(self.earliest_start)
        last = first if self.latest_start is None else parse_clock(self.latest_start)
        return list(range(first, last + 1, self.start_step_minutes * 60))

    def paid_hours(self, break_minutes_unpaid: float | None = None) -> float:
        """Paid hours of one shift: its length less the unpaid breaks."""
        unpaid = (
            sum(b.minutes for b in self.breaks if not b.paid)
            if break_minutes_unpaid is None
            else break_minutes_unpaid
        )
        return self.hours - unpaid / 60

    def describe(self) -> str:
        """``"8.5 h starting 08:00-11:30 every 30 min, break 30 min after 3-5 h"``."""
        starts = self.start_seconds()
        window = (
            clock_label(starts[0])
            if len(starts) == 1
            else f"{clock_label(starts[0])}-{clock_label(starts[-1])} every "
            f"{self.start_step_minutes} min"
        )
        parts = [f"{self.hours:g} h starting {window}"]
        for brk in self.breaks:
            offsets = brk.offsets()
            at = f"{offsets[0]} min" if len(offsets) == 1 else f"{offsets[0]}-{offsets[-1]} min"
            parts.append(f"{'paid ' if brk.paid else ''}break {brk.minutes} min after {at}")
        if self.days_per_week is not None:
            off = "consecutive " if self.consecutive_days_off else ""
            parts.append(f"{self.days_per_week} days a week ({off}days off)")
        return ", ".join(parts)


__all__ = ["BreakRule", "ShiftType"]
