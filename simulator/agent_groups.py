"""The scenario model of agent groups: skills with their proficiency, headcount per
interval or shifts (with breaks), shrinkage, cost."""

from __future__ import annotations

import itertools
from typing import Any

from pydantic import (
    Field,
    field_validator,
    model_validator,
)

from simulator import limits
from simulator.clock import (
    PerIntervalValues,
    clock_text,
    parse_clock,
)
from simulator.distributions import FrozenModel
from simulator.messages import short


class Skill(FrozenModel):
    """How well a group serves one channel."""

    handle_time_factor: float = Field(
        1.0, gt=0, le=10, description="Multiplies the channel's handle time (0.8 = 20% faster)."
    )
    fcr: float = Field(
        1.0, ge=0, le=1, description="Probability an issue is resolved at this contact."
    )


class Break(FrozenModel):
    """An unpaid break inside a shift, as an offset from the shift start."""

    after_minutes: int = Field(ge=0)
    minutes: int = Field(gt=0)
    paid: bool = Field(False, description="Paid breaks count in paid hours and cost.")


class Shift(FrozenModel):
    """``count`` agents working from ``start`` for ``hours`` hours on the given days."""

    start: str
    hours: float = Field(gt=0, le=16)
    count: int = Field(ge=0, le=limits.MAX_AGENTS_PER_GROUP)
    days: tuple[int, ...] | None = Field(None, description="Day indices (0-based); all if omitted.")
    breaks: tuple[Break, ...] = ()

    @model_validator(mode="after")
    def _breaks_inside(self) -> Shift:
        for i, brk in enumerate(self.breaks):
            if brk.after_minutes + brk.minutes > self.hours * 60:
                raise ValueError(
                    f"breaks.{i}: a {brk.minutes}-minute break after {brk.after_minutes} minutes "
                    f"ends after the {self.hours:g}-hour shift"
                )
        return self

    @model_validator(mode="after")
    def _breaks_apart(self) -> Shift:
        """Overlapping breaks would take the same agents off duty twice (a negative
        headcount): each break must end before the next one starts."""
        order = sorted(range(len(self.breaks)), key=lambda i: self.breaks[i].after_minutes)
        for before, after in itertools.pairwise(order):
            a, b = self.breaks[before], self.breaks[after]
            if b.after_minutes < a.after_minutes + a.minutes:
                raise ValueError(
                    f"breaks.{after}: starts after {b.after_minutes} minutes, inside break "
                    f"{before} ({a.after_minutes}-{a.after_minutes + a.minutes} minutes); "
                    "breaks may not overlap"
                )
        return self

    @field_validator("days")
    @classmethod
    def _days_once(cls, value: tuple[int, ...] | None) -> tuple[int, ...] | None:
        """A day listed twice would count the shift twice on it; an empty list would be a
        shift never worked (almost certainly a mistake: omit ``days`` for every day)."""
        if value is not None and not value:
            raise ValueError("is empty: list the days the shift is worked, or omit days for all")
        if value is not None:
            repeated = sorted({d for d in value if value.count(d) > 1})
            if repeated:
                raise ValueError(
                    f"day {repeated[0]} is listed {value.count(repeated[0])} times; "
                    "list each day once"
                )
        return value

    @field_validator("start", mode="before")
    @classmethod
    def _clock_type(cls, value: Any) -> Any:
        return clock_text(value)

    @field_validator("start")
    @classmethod
    def _clock(cls, value: str) -> str:
        parse_clock(value)
        return value


class AgentGroup(FrozenModel):
    """Agents sharing skills, proficiency, cost and a staffing plan."""

    cost_per_hour: float = Field(
        ge=0, le=limits.MAX_COST_PER_HOUR, description="Cost of one paid agent-hour."
    )
    skills: dict[str, Skill] = Field(min_length=1)
    staffing: int | PerIntervalValues | None = Field(
        None, description="Headcount: constant, per interval (list) or per day (list of lists)."
    )
    shifts: tuple[Shift, ...] | None = None
    shrinkage: float = Field(0.0, ge=0, lt=1, description="Share of paid time unavailable.")
    min_headcount: int = Field(
        0, ge=0, le=limits.MAX_AGENTS_PER_GROUP, description="Optimizer bound per interval."
    )
    max_headcount: int | None = Field(
        None, ge=0, le=limits.MAX_AGENTS_PER_GROUP, description="Optimizer bound per interval."
    )
    max_occupancy: float | None = Field(
        None, gt=0, le=1, description="Target: busy time / available time over the horizon."
    )

    @field_validator("skills", mode="before")
    @classmethod
    def _skill_list(cls, value: Any) -> Any:
        """Allow ``skills: [voice, chat]`` as shorthand for default proficiency. A list of
        mappings (``- voice: {fcr: 0.8}``) is a likely slip for the mapping form: say so."""
        if isinstance(value, list | tuple):
            for item in value:
                if not isinstance(item, str):
                    raise ValueError(
                        f"a list of skills holds channel names only, got {short(item)}; "
                        "to give proficiency write a mapping, e.g. "
                        "skills: {calls: {fcr: 0.8}, chat: {}}"
                    )
            repeated = sorted({name for name in value if value.count(name) > 1})
            if repeated:
                raise ValueError(f"{repeated[0]!r} is listed more than once")
            return {name: {} for name in value}
        return value

    @field_validator("staffing")
    @classmethod
    def _staffing_values(cls, value: Any) -> Any:
        most = limits.MAX_AGENTS_PER_GROUP
        if value is None or isinstance(value, int):
            if isinstance(value, int) and value < 0:
                raise ValueError(f"headcount must be >= 0, got {value}")
            if isinstance(value, int) and value > most:
                raise ValueError(
                    f"headcount must be <= {most:,} agents per group (split a larger group), "
                    f"got {value:,}"
                )
            return value
        rows = value if value and isinstance(value[0], tuple) else (value,)
        for row in rows:
            for v in row:
                if not (v >= 0 and float(v).is_integer()):
                    raise ValueError(f"headcount must be a whole number >= 0, got {v}")
                if v > most:
                    raise ValueError(
                        f"headcount must be <= {most:,} agents per group (split a larger "
                        f"group), got {v:,.0f}"
                    )
        return value

    @model_validator(mode="after")
    def _one_staffing(self) -> AgentGroup:
        if (self.staffing is None) == (self.shifts is None):
            raise ValueError("give exactly one of staffing or shifts")
        if self.max_headcount is not None and self.max_headcount < self.min_headcount:
            raise ValueError("max_headcount must be >= min_headcount")
        return self
