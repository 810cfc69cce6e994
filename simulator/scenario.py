"""The scenario: one validated, immutable description of a contact centre.

A scenario is read once at the boundary (``Scenario.from_yaml``), validated completely, and
frozen. Variants are made with :meth:`Scenario.with_changes` (copy-and-replace by dotted
path), never by mutation, so a bad scenario cannot exist past this module.

Units are in the key names: ``*_seconds``, ``*_minutes``, ``*_hours``, ``rate_per_hour``,
``cost_per_hour``. Clock times (``open``/``close``, shift starts) are ``"HH:MM"`` strings.
Inside the engine every time is in **seconds** from the start of day 0 at 00:00.

The full format is documented, with an annotated example, in ``docs/scenario-format.md``.
"""

from __future__ import annotations

import datetime
import difflib
import itertools
import math
import re
import reprlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, get_args

import numpy as np
import yaml
from pydantic import (
    BaseModel,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from simulator import limits
from simulator.clock import DAY_S, clock_label, clock_text, interval_label, parse_clock
from simulator.distributions import Distribution, FrozenModel
from simulator.errors import InputError, printable
from simulator.shift_types import ShiftType
from simulator.yamlfile import parse_yaml, read_text

ChannelKind = Literal["call", "chat", "email"]
AgentSelection = Literal["longest_idle", "most_proficient", "cheapest"]
ServiceLevelDefinition = Literal[
    "answered_within_over_offered",
    "answered_within_over_answered",
    "answered_within_over_offered_minus_short_abandons",
]
"""How service level is computed (T = the channel's ``within_seconds``):

* ``answered_within_over_offered`` (default): answered within T / offered. Abandoned
  contacts count as failures; the strictest and the one planners usually mean by "80/20".
* ``answered_within_over_answered``: answered within T / answered. Ignores abandonment.
* ``answered_within_over_offered_minus_short_abandons``: answered within T / (offered −
  abandoned within T). Callers hanging up within T are not held against the centre.
"""

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")  # matched whole
DEFAULT_PRIORITY: dict[str, int] = {"call": 1, "chat": 2, "email": 3}
INTERVAL_FLOOR_BELOW_TARGET = 0.30
"""Default per-interval service-level floor: this many points below the channel's target."""


_Model = FrozenModel


# --------------------------------------------------------------------------------------
# Horizon
# --------------------------------------------------------------------------------------
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[str, ...] = get_args(Weekday)
"""Weekday keys of ``horizon.hours``, Monday first (``date.weekday()`` order)."""


class DayHours(_Model):
    """Opening hours of one weekday (``horizon.hours``)."""

    open: str = Field(description="Opening time, HH:MM.")
    close: str = Field(description="Closing time, HH:MM (24:00 = midnight).")

    @field_validator("open", "close", mode="before")
    @classmethod
    def _clock_type(cls, value: Any) -> Any:
        return clock_text(value)

    @field_validator("open", "close")
    @classmethod
    def _clock(cls, value: str) -> str:
        parse_clock(value)
        return value

    @model_validator(mode="after")
    def _open_before_close(self) -> DayHours:
        if parse_clock(self.open) >= parse_clock(self.close):
            raise ValueError(f"open ({self.open}) must be before close ({self.close})")
        return self


class Horizon(_Model):
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

    @field_validator("open", "close", mode="before")
    @classmethod
    def _clock_type(cls, value: Any) -> Any:
        return clock_text(value)

    @field_validator("open", "close")
    @classmethod
    def _clock(cls, value: str) -> str:
        parse_clock(value)
        return value

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

    def label(self, k: int) -> str:
        """Label of global interval ``k``: ``"08:30"`` on one day, ``"d2 08:30"`` (days
        from 0) on a multi-day horizon — the one format every table and chart uses."""
        day, index = divmod(k, self.intervals_per_day)
        return interval_label(day, self.interval_label(index), self.days)


# --------------------------------------------------------------------------------------
# Channels
# --------------------------------------------------------------------------------------
PerIntervalValues = tuple[float, ...] | tuple[tuple[float, ...], ...]


class DayMultiplier(_Model):
    """Day-level uncertainty of volume: each day's arrivals are multiplied by a gamma
    variate with mean 1 and this coefficient of variation (overdispersion)."""

    cv: float = Field(ge=limits.MIN_CV, le=2)


class Arrivals(_Model):
    """Poisson arrivals, constant within each interval.

    Give exactly one of ``rate_per_hour`` (the same rate in every open interval) or
    ``volumes`` (expected contacts per interval: one list for every day, or one list per
    day). ``scale`` multiplies either (what-if "+10% volume").
    """

    rate_per_hour: float | None = Field(None, ge=0, description="Constant arrival rate.")
    volumes: PerIntervalValues | None = Field(
        None, description="Expected contacts per interval (list), or per day (list of lists)."
    )
    scale: float = Field(1.0, ge=0, description="Multiplies every rate/volume.")
    day_multiplier: DayMultiplier | None = None
    closed_hours_volume: float = Field(
        0.0,
        ge=0,
        description="Email: expected contacts per calendar day arriving outside opening "
        "hours, spread uniformly over the closed hours (00:00-open and close-24:00).",
    )

    @field_validator("volumes")
    @classmethod
    def _volumes_non_negative(cls, value: PerIntervalValues | None) -> PerIntervalValues | None:
        if value is None:
            return value
        rows = value if value and isinstance(value[0], tuple) else (value,)
        for row in rows:
            for v in row:  # type: ignore[union-attr]
                if not (v >= 0 and math.isfinite(v)):
                    raise ValueError(f"every volume must be a finite number >= 0, got {v}")
        return value

    @model_validator(mode="after")
    def _exactly_one(self) -> Arrivals:
        if (self.rate_per_hour is None) == (self.volumes is None):
            raise ValueError("give exactly one of rate_per_hour or volumes")
        return self


class Redial(_Model):
    """Callers who abandoned try again: with ``probability``, after ``delay``."""

    probability: float = Field(ge=0, le=1)
    delay: Distribution
    max_attempts: int = Field(
        3,
        ge=1,
        le=limits.MAX_ATTEMPTS,
        description="Total attempts per customer, first included.",
    )


class Resolution(_Model):
    """What happens to an issue that a handled contact did not resolve (first-contact
    resolution loop). Shares of unresolved issues: ``repeat_share`` come back after
    ``repeat_delay`` on a channel drawn from ``repeat_mix``; ``escalate_share`` go at once
    to the ``escalate_to`` channel (e.g. a tier-2 queue); the rest give up unresolved."""

    repeat_share: float = Field(1.0, ge=0, le=1)
    repeat_delay: Distribution | None = Field(None, description="Time until the customer returns.")
    repeat_mix: dict[str, float] = Field(
        default_factory=dict, description="Channel -> weight of repeat contacts; default: same."
    )
    escalate_share: float = Field(0.0, ge=0, le=1)
    escalate_to: str | None = None
    max_contacts: int = Field(
        5,
        ge=1,
        le=limits.MAX_CONTACTS_PER_ISSUE,
        description="Contacts per issue before it is dropped.",
    )

    @model_validator(mode="after")
    def _shares(self) -> Resolution:
        if self.repeat_share + self.escalate_share > 1 + 1e-9:
            raise ValueError(
                f"repeat_share + escalate_share must be <= 1, got "
                f"{self.repeat_share + self.escalate_share:g}"
            )
        if self.repeat_share > 0 and self.repeat_delay is None:
            raise ValueError("repeat_share > 0 needs repeat_delay")
        if self.escalate_share > 0 and self.escalate_to is None:
            raise ValueError("escalate_share > 0 needs escalate_to")
        for name, weight in self.repeat_mix.items():
            if weight < 0:
                raise ValueError(f"repeat_mix.{name}: must be >= 0, got {weight}")
        if self.repeat_mix and sum(self.repeat_mix.values()) <= 0:
            raise ValueError("repeat_mix: weights must not all be 0")
        return self


class Targets(_Model):
    """Service targets a plan must meet for this channel (all optional)."""

    service_level: float | None = Field(None, gt=0, le=1, description="Share answered in T.")
    within_seconds: float | None = Field(None, ge=0, description="T of the service level.")
    max_asa_seconds: float | None = Field(None, gt=0)
    max_abandon_rate: float | None = Field(None, ge=0, le=1)
    within_promise: float | None = Field(
        None, gt=0, le=1, description="Email: share answered within the channel's promise."
    )
    min_fcr: float | None = Field(
        None,
        gt=0,
        le=1,
        description="First-contact resolution of the issues that come in on this channel.",
    )
    min_interval_service_level: float | None = Field(
        None,
        ge=0,
        le=1,
        description="Floor: no single interval's service level below this (default: "
        "service_level - 0.30; 0 switches it off).",
    )
    scope: Literal["overall", "per_interval"] = Field(
        "overall", description="Whether targets must hold over the horizon or in each interval."
    )

    @model_validator(mode="after")
    def _pairs(self) -> Targets:
        if (self.service_level is None) != (self.within_seconds is None):
            raise ValueError("service_level and within_seconds go together: give both or neither")
        if self.service_level == 1 and self.within_seconds == 0:
            raise ValueError("service_level 1.0 within 0 seconds is impossible to meet")
        floor = self.min_interval_service_level
        if floor is not None and floor > 0 and self.service_level is None:
            raise ValueError(
                "min_interval_service_level needs service_level and within_seconds (the floor "
                "is measured against the same T)"
            )
        if floor is not None and self.service_level is not None and floor > self.service_level:
            raise ValueError(
                f"min_interval_service_level ({floor:g}) must not exceed service_level "
                f"({self.service_level:g}): it is a floor under the target"
            )
        return self

    @property
    def interval_floor(self) -> float | None:
        """The per-interval service-level floor in force (None: none). Default: the target
        less ``INTERVAL_FLOOR_BELOW_TARGET``, so a plan cannot buy its daily average by
        leaving a quiet interval unstaffed; ``scope: per_interval`` already holds every
        interval to the target itself."""
        if self.service_level is None or self.scope == "per_interval":
            return None
        floor = self.min_interval_service_level
        if floor is None:
            floor = round(self.service_level - INTERVAL_FLOOR_BELOW_TARGET, 6)
        return floor if floor > 0 else None


class Channel(_Model):
    """A stream of contacts of one kind (call, chat or email) with its own load and targets."""

    kind: ChannelKind = "call"
    arrivals: Arrivals
    handle_time: Distribution = Field(description="Talk + wrap-up, for a factor-1.0 agent.")
    handle_time_means_seconds: PerIntervalValues | None = Field(
        None,
        description="Mean handle time per interval (list) or per day and interval (list of "
        "lists), seconds; the handle_time distribution gives the shape, scaled to each mean.",
    )
    patience: Distribution | None = Field(
        None,
        description="Time a waiting customer is willing to wait (real-time kinds); "
        "omitted = customers never abandon.",
    )
    redial: Redial | None = None
    resolution: Resolution | None = Field(
        None, description="First-contact-resolution loop; omitted = unresolved issues vanish."
    )
    targets: Targets = Targets()
    max_concurrency: int = Field(1, ge=1, le=10, description="Chat: contacts per agent.")
    concurrency_slowdown: float = Field(
        0.0, ge=0, le=2, description="Chat: handle time grows by this fraction per extra chat."
    )
    promise_hours: float | None = Field(
        None, gt=0, le=limits.MAX_PROMISE_HOURS, description="Email: response promise."
    )
    promise_clock: Literal["calendar", "working"] = "calendar"

    @field_validator("handle_time_means_seconds")
    @classmethod
    def _means_positive(cls, value: PerIntervalValues | None) -> PerIntervalValues | None:
        if value is None:
            return value
        rows = value if value and isinstance(value[0], tuple) else (value,)
        for row in rows:
            for v in row:  # type: ignore[union-attr]
                if not (0 < v <= limits.MAX_DURATION_S):
                    raise ValueError(
                        f"every mean must be a number of seconds > 0 and <= "
                        f"{limits.MAX_DURATION_S:,}, got {v}"
                    )
        return value

    @property
    def handle_scale(self) -> PerIntervalValues | None:
        """Per-interval multipliers of the handle-time distribution (each interval's mean /
        the distribution's mean), or None without ``handle_time_means_seconds``."""
        means = self.handle_time_means_seconds
        if means is None:
            return None
        base = self.handle_time.mean_s
        if means and isinstance(means[0], tuple):
            return tuple(tuple(v / base for v in row) for row in means)  # type: ignore[union-attr]
        return tuple(v / base for v in means)  # type: ignore[union-attr]

    @model_validator(mode="after")
    def _kind_rules(self) -> Channel:
        if self.kind == "email":
            if self.patience is not None or self.redial is not None:
                raise ValueError("email contacts do not abandon: remove patience/redial")
            if self.targets.within_promise is not None and self.promise_hours is None:
                raise ValueError("targets.within_promise needs promise_hours")
        if self.kind != "chat" and self.max_concurrency != 1:
            raise ValueError(f"max_concurrency applies to chat only, not {self.kind}")
        if self.kind != "chat" and self.concurrency_slowdown:
            raise ValueError(f"concurrency_slowdown applies to chat only, not {self.kind}")
        if self.kind != "email" and (
            self.promise_hours is not None or self.targets.within_promise is not None
        ):
            raise ValueError(
                f"promise_hours and targets.within_promise apply to email only, not {self.kind}"
            )
        if self.kind == "email" and (
            self.targets.service_level is not None
            or self.targets.max_abandon_rate is not None
            or self.targets.max_asa_seconds is not None
        ):
            raise ValueError(
                "email is deferred work: use promise_hours with targets.within_promise, not "
                "service_level / max_abandon_rate / max_asa_seconds"
            )
        if self.arrivals.closed_hours_volume and self.kind != "email":
            raise ValueError("arrivals.closed_hours_volume applies to email only")
        if self.redial is not None and self.patience is None:
            raise ValueError("redial needs patience: without it nobody abandons")
        return self


# --------------------------------------------------------------------------------------
# Agent groups
# --------------------------------------------------------------------------------------
class Skill(_Model):
    """How well a group serves one channel."""

    handle_time_factor: float = Field(
        1.0, gt=0, le=10, description="Multiplies the channel's handle time (0.8 = 20% faster)."
    )
    fcr: float = Field(
        1.0, ge=0, le=1, description="Probability an issue is resolved at this contact."
    )


class Break(_Model):
    """An unpaid break inside a shift, as an offset from the shift start."""

    after_minutes: int = Field(ge=0)
    minutes: int = Field(gt=0)
    paid: bool = Field(False, description="Paid breaks count in paid hours and cost.")


class Shift(_Model):
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
        """A day listed twice would count the shift twice on it."""
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


class AgentGroup(_Model):
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
                        f"a list of skills holds channel names only, got {_short(item)}; "
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


# --------------------------------------------------------------------------------------
# Routing and run settings
# --------------------------------------------------------------------------------------
class Routing(_Model):
    """Skills-based routing rules."""

    agent_selection: AgentSelection = Field(
        "longest_idle", description="Which idle agent gets a new contact."
    )
    priorities: dict[str, int] = Field(
        default_factory=dict,
        description="Channel -> priority (lower is served first). Default by kind: "
        "call 1, chat 2, email 3.",
    )
    email_reserve_agents: int = Field(
        0,
        ge=0,
        le=limits.MAX_AGENTS_PER_GROUP,
        description="Start an email only if this many skilled agents stay idle.",
    )


class Run(_Model):
    """Replications, seed and statistics settings."""

    replications: int = Field(10, ge=1, le=limits.MAX_REPLICATIONS)
    seed: int = Field(12345, ge=0, le=limits.MAX_SEED)
    warmup_minutes: float = Field(0.0, ge=0, description="Contacts arriving earlier are ignored.")
    service_level_definition: ServiceLevelDefinition = "answered_within_over_offered"
    serve_queue_at_close: bool = Field(
        True,
        description="At closing, agents still answer real-time contacts already waiting "
        "(no new arrivals); otherwise those are reported as unanswered at close.",
    )


# --------------------------------------------------------------------------------------
# Scenario
# --------------------------------------------------------------------------------------
class Scenario(_Model):
    """A whole contact centre: horizon, channels, agent groups, routing and run settings."""

    name: str = "unnamed scenario"
    description: str = ""
    horizon: Horizon = Horizon()
    channels: dict[str, Channel] = Field(min_length=1)
    agent_groups: dict[str, AgentGroup] = Field(min_length=1)
    routing: Routing = Routing()
    run: Run = Run()
    shift_types: tuple[ShiftType, ...] = Field(
        (), description="Shift rules the optimizer plans with (see shift_types.py)."
    )

    @field_validator("name", "description")
    @classmethod
    def _text(cls, value: str, info: ValidationInfo) -> str:
        """Names are printed in every result and terminal: no control characters (escape
        codes would be obeyed), and a bounded length."""
        most = limits.MAX_NAME_CHARS if info.field_name == "name" else limits.MAX_DESCRIPTION_CHARS
        if len(value) > most:
            raise ValueError(f"at most {most:,} characters, got {len(value):,}")
        allowed = "" if info.field_name == "name" else "\n\t"
        bad = next((ch for ch in value if not ch.isprintable() and ch not in allowed), None)
        if bad is not None:
            raise ValueError(f"contains the control character {printable(bad)}; use plain text")
        return value

    @model_validator(mode="after")
    def _cross_references(self) -> Scenario:
        problems: list[str] = []
        for names, where in ((self.channels, "channels"), (self.agent_groups, "agent_groups")):
            for name in names:
                if not _NAME.fullmatch(name):
                    problems.append(
                        f"{where}.{printable(name)}: names use letters, digits, _ and - "
                        f"(got {name!r})"
                    )
        per_day = self.horizon.intervals_per_day
        for cname, channel in self.channels.items():
            volumes = channel.arrivals.volumes
            if volumes is not None:
                where = f"channels.{cname}.arrivals.volumes"
                grid_problems = _check_grid(volumes, per_day, self.horizon.days, where)
                problems += grid_problems or _closed_problems(self.horizon, volumes, where)
            means = channel.handle_time_means_seconds
            if means is not None:
                problems += _check_grid(
                    means, per_day, self.horizon.days, f"channels.{cname}.handle_time_means_seconds"
                )
            if not any(cname in g.skills for g in self.agent_groups.values()):
                problems.append(f"channels.{cname}: no agent group has this skill")
            res = channel.resolution
            if res is not None:
                for field, target in [("repeat_mix", t) for t in res.repeat_mix] + (
                    [("escalate_to", res.escalate_to)] if res.escalate_to else []
                ):
                    if target not in self.channels:
                        problems.append(
                            f"channels.{cname}.resolution.{field}: unknown channel {target!r}"
                            f"{_suggest(target, self.channels)}"
                        )
        for gname, group in self.agent_groups.items():
            for sname in group.skills:
                if sname not in self.channels:
                    problems.append(
                        f"agent_groups.{gname}.skills.{sname}: unknown channel {sname!r}"
                        f"{_suggest(sname, self.channels)}"
                    )
            if group.staffing is not None and not isinstance(group.staffing, int):
                where = f"agent_groups.{gname}.staffing"
                grid_problems = _check_grid(group.staffing, per_day, self.horizon.days, where)
                problems += grid_problems or _closed_problems(self.horizon, group.staffing, where)
            for i, shift in enumerate(group.shifts or ()):
                for day in shift.days or ():
                    if not 0 <= day < self.horizon.days:
                        problems.append(
                            f"agent_groups.{gname}.shifts.{i}.days: day {day} is outside the "
                            f"horizon (0..{self.horizon.days - 1})"
                        )
        warmup_intervals = math.ceil(self.run.warmup_minutes / self.horizon.interval_minutes - 1e-9)
        if warmup_intervals >= self.horizon.n_intervals:
            problems.append(
                f"run.warmup_minutes: {self.run.warmup_minutes:g} minutes leaves no interval to "
                f"measure (the horizon has {self.horizon.n_intervals} intervals of "
                f"{self.horizon.interval_minutes} minutes)"
            )
        problems += self._shift_type_problems()
        for cname in self.routing.priorities:
            if cname not in self.channels:
                problems.append(
                    f"routing.priorities.{cname}: unknown channel {cname!r}"
                    f"{_suggest(cname, self.channels)}"
                )
        if problems:
            raise ValueError("\n".join(problems))
        return self

    @model_validator(mode="after")
    def _limits(self) -> Scenario:
        """What sizes the work or the memory of a run (simulator.limits), checked once
        every field is valid."""
        problems = limits.scenario_problems(self)
        if problems:
            raise ValueError("\n".join(problems))
        return self

    def _shift_type_problems(self) -> list[str]:
        problems: list[str] = []
        names: set[str] = set()
        for i, st in enumerate(self.shift_types):
            where = f"shift_types.{i}"
            if st.name in names:
                problems.append(f"{where}.name: {st.name!r} is used by another shift type")
            names.add(st.name)
            for g in st.groups or ():
                if g not in self.agent_groups:
                    problems.append(
                        f"{where}.groups: unknown agent group {g!r}{_suggest(g, self.agent_groups)}"
                    )
            for day in st.days or ():
                if not 0 <= day < self.horizon.days:
                    problems.append(
                        f"{where}.days: day {day} is outside the horizon "
                        f"(0..{self.horizon.days - 1})"
                    )
        return problems

    # ---- derived views ---------------------------------------------------------------
    def priority(self, channel: str) -> int:
        """Routing priority of a channel (lower first)."""
        return self.routing.priorities.get(channel, DEFAULT_PRIORITY[self.channels[channel].kind])

    # ---- construction ----------------------------------------------------------------
    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = "scenario") -> Scenario:
        """Validate a plain mapping; raise :class:`InputError` with one line per problem."""
        if not isinstance(data, Mapping):
            raise InputError(f"{source}: expected a mapping at the top level, got {_kind(data)}")
        _check_size(data, source)
        try:
            return cls.model_validate(dict(data))
        except ValidationError as exc:
            raise InputError(format_validation_error(exc)) from None

    @classmethod
    def from_yaml_text(cls, text: str, *, source: str = "scenario") -> Scenario:
        """Parse YAML safely (no object construction) and validate."""
        data = parse_yaml(text, source=source)
        if data is None:
            raise InputError(f"{source}: the file is empty")
        return cls.from_dict(data, source=source)

    @classmethod
    def from_yaml(cls, path: str | Path) -> Scenario:
        """Read and validate a scenario file."""
        return cls.from_yaml_text(read_text(path), source=str(path))

    def to_dict(self) -> dict[str, Any]:
        """Plain data (JSON/YAML-ready) that :meth:`from_dict` turns back into this scenario."""
        return self.model_dump(mode="json", exclude_none=True)

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True)

    def with_changes(self, changes: Mapping[str, Any]) -> Scenario:
        """A copy with values replaced by dotted path, e.g.
        ``{"channels.voice.arrivals.scale": 1.1, "agent_groups.senior.staffing": 12}``.
        Unknown paths raise :class:`InputError` naming the nearest valid paths."""
        data = self.model_dump(mode="json")
        for path, value in changes.items():
            _set_path(data, path, value)
        return Scenario.from_dict(data, source="scenario with changes")


# --------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------
def _check_grid(values: Any, per_day: int, days: int, where: str) -> list[str]:
    """A per-interval list must have one value per open interval; a list of lists one row
    per day."""
    if values and isinstance(values[0], tuple):
        problems = []
        if len(values) != days:
            problems.append(f"{where}: {len(values)} day rows given, horizon has {days} days")
        for d, row in enumerate(values):
            if len(row) != per_day:
                problems.append(
                    f"{where}.{d}: {len(row)} values given, a day has {per_day} intervals"
                )
        return problems
    if len(values) != per_day:
        return [f"{where}: {len(values)} values given, a day has {per_day} intervals"]
    return []


def _closed_problems(horizon: Horizon, values: Any, where: str) -> list[str]:
    """Per-day rows (a list of lists) must hold 0 in the intervals a day is closed
    (``horizon.hours``): a volume or a headcount there would be silently dropped. A single
    row, the same every day, is the profile of an open day: closed intervals take none of it.
    """
    if horizon.hours is None or not (values and isinstance(values[0], tuple)):
        return []
    mask = horizon.open_mask()
    problems = []
    for day, row in enumerate(values):
        for i, v in enumerate(row):
            if v and not mask[day, i]:
                weekday = WEEKDAYS[horizon.weekday(day)]
                problems.append(
                    f"{where}.{day}.{i}: day {day} ({weekday}) is closed at "
                    f"{horizon.interval_label(i)} (horizon.hours) but the value is {v:g}; "
                    "write 0 there"
                )
                break
    return problems


def _check_size(data: Any, source: str) -> None:
    """Refuse data nested deeper than ``MAX_YAML_DEPTH`` or with more than ``MAX_YAML_NODES``
    values counting every reference to a shared list (a cycle counts as too deep): the same
    limits the YAML reader applies, for data built in Python. Cost: one walk, bounded."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    nodes = 0
    while stack:
        node, depth = stack.pop()
        nodes += 1
        if nodes > limits.MAX_YAML_NODES:
            raise InputError(
                f"{source}: more than {limits.MAX_YAML_NODES:,} values (shared lists counted "
                "at each use)"
            )
        if isinstance(node, Mapping | list | tuple | set | frozenset):
            if depth > limits.MAX_YAML_DEPTH:
                raise InputError(
                    f"{source}: nested deeper than {limits.MAX_YAML_DEPTH} levels (or refers to "
                    "itself)"
                )
            children = node.values() if isinstance(node, Mapping) else node
            stack.extend((child, depth + 1) for child in children)


_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxstring, _REPR.maxother = 3, 60, 60
_REPR.maxlist = _REPR.maxtuple = _REPR.maxdict = _REPR.maxset = 8


def _short(value: Any) -> str:
    """A bounded ``repr`` for messages: a huge or deeply shared value is shown in part."""
    return _REPR.repr(value)


def _suggest(name: str, known: Mapping[str, Any]) -> str:
    close = difflib.get_close_matches(name, list(known), n=2)
    return f" (did you mean {' or '.join(close)}?)" if close else f" (known: {', '.join(known)})"


def _kind(value: Any) -> str:
    return type(value).__name__


_MESSAGES = {
    "greater_than_equal": "must be >= {ge}",
    "greater_than": "must be > {gt}",
    "less_than_equal": "must be <= {le}",
    "less_than": "must be < {lt}",
    "missing": "is required",
    "extra_forbidden": "unknown field",
    "too_short": "must not be empty",
}


def format_validation_error(exc: ValidationError) -> list[str]:
    """pydantic's errors as ``dotted.path: problem, got value`` lines, one per problem."""
    lines: list[str] = []
    for err in exc.errors(include_url=False):
        loc = ".".join(str(p) for p in err["loc"] if not _is_union_tag(p))
        ctx = err.get("ctx") or {}
        kind = err["type"]
        if kind == "value_error":
            message = str(ctx.get("error", err["msg"]))
            lines += [f"{loc}: {part}" if loc else part for part in message.split("\n")]
            continue
        template = _MESSAGES.get(kind)
        ctx = {k: _number(v) for k, v in ctx.items()}
        message = template.format(**ctx) if template else err["msg"][:1].lower() + err["msg"][1:]
        if kind == "extra_forbidden":
            message = f"unknown field{_field_hint(exc, err['loc'])}"
        elif kind not in ("missing",):
            message += f", got {_short(err.get('input'))}"
        lines.append(f"{loc}: {message}" if loc else message)
    return lines


def _number(value: Any) -> Any:
    """``0.0`` -> ``0`` in messages, so they read ``must be >= 0``."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _is_union_tag(part: Any) -> bool:
    """pydantic inserts the union member's tag (``lognormal``) or type name into the path."""
    return isinstance(part, str) and (
        part in {"exponential", "lognormal", "gamma", "deterministic", "empirical"}
        or part.startswith(("int", "tuple[", "float", "function-"))
    )


def _field_hint(exc: ValidationError, loc: tuple[Any, ...]) -> str:
    """For a misspelt key, name the nearest allowed one (difflib over the model's fields)."""
    model: Any = Scenario
    for part in loc[:-1]:
        if _is_union_tag(part):
            continue
        fields = getattr(model, "model_fields", None)
        if fields is None or part not in fields:
            # dict value (channels.<name>) keeps the model; try its value type
            model = _dict_value_model(model, part)
            continue
        annotation = fields[part].annotation
        model = _unwrap_model(annotation)
    fields = getattr(model, "model_fields", None)
    if not fields:
        return ""
    close = difflib.get_close_matches(str(loc[-1]), list(fields), n=1)
    return f" (did you mean {close[0]}?)" if close else f" (allowed: {', '.join(fields)})"


def _unwrap_model(annotation: Any) -> Any:
    from typing import get_args

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _unwrap_model(arg)
        if found is not None:
            return found
    return None


def _dict_value_model(model: Any, _key: Any) -> Any:
    return model


def _set_path(data: dict[str, Any], path: str, value: Any) -> None:
    parts = path.split(".")
    node: Any = data
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if isinstance(node, list | tuple) and part.isdigit():
            index = int(part)
            if index >= len(node):
                raise InputError(
                    f"{path}: {'.'.join(parts[:i])} has {len(node)} items, no item {index}"
                )
            if isinstance(node, tuple):  # frozen sequences dump as tuples: make editable
                raise InputError(f"{path}: {'.'.join(parts[:i])} cannot be edited by item")
            if last:
                node[index] = value
            else:
                node = node[index]
            continue
        if isinstance(node, dict):
            if part not in node:
                known = _paths(data)
                close = difflib.get_close_matches(path, known, n=3, cutoff=0.5)
                hint = f" (nearest valid: {', '.join(close)})" if close else ""
                raise InputError(f"{path}: unknown path{hint}")
            if last:
                node[part] = value
            else:
                if node[part] is None:
                    node[part] = {}
                node = node[part]
        else:
            raise InputError(f"{path}: {'.'.join(parts[:i])} is not a mapping")


def _paths(data: Any, prefix: str = "") -> list[str]:
    out: list[str] = []
    items: Any = ()
    if isinstance(data, dict):
        items = data.items()
    elif isinstance(data, list) and data and isinstance(data[0], dict):
        items = enumerate(data)
    for key, value in items:
        path = f"{prefix}.{key}" if prefix else str(key)
        out.append(path)
        out += _paths(value, path)
    return out


__all__ = [
    "AgentGroup",
    "Arrivals",
    "Channel",
    "DayHours",
    "Horizon",
    "Redial",
    "Resolution",
    "Routing",
    "Run",
    "Scenario",
    "Skill",
    "Targets",
]
