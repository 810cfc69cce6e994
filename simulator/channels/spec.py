"""The scenario model of a channel: its arrivals, handle time, patience and redials,
resolution loop and targets, and the fields of particular kinds (chat concurrency, email
promise). Which kind may set which field, and the kind rules, are the kinds' own
(:func:`simulator.channels.kind_problem`)."""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np
from pydantic import (
    Field,
    field_validator,
    model_validator,
)

from simulator import limits
from simulator.channels import KindName, kind_problem
from simulator.channels.balking import Balking
from simulator.channels.hours import ChannelHours
from simulator.clock import PerIntervalValues, day_grid
from simulator.distributions import Distribution, FrozenModel

INTERVAL_FLOOR_BELOW_TARGET = 0.30
"""Default per-interval service-level floor: this many points below the channel's target."""


class DayMultiplier(FrozenModel):
    """Day-level uncertainty of volume: each day's arrivals are multiplied by a gamma
    variate with mean 1 and this coefficient of variation (overdispersion)."""

    cv: float = Field(ge=limits.MIN_CV, le=2)


class Arrivals(FrozenModel):
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

    def interval_volumes(self, horizon: Any) -> np.ndarray:
        """Expected first contacts per interval (``horizon.days × intervals_per_day``, none
        in intervals closed by weekday hours), before ``scale``: the one expansion of
        ``rate_per_hour`` / ``volumes`` that the compiled model and the optimizer read."""
        if self.rate_per_hour is not None:
            values: Any = self.rate_per_hour * horizon.interval_s / 3600
        else:
            values = self.volumes
        grid = day_grid(values, horizon.days, horizon.intervals_per_day)
        if horizon.hours is not None:
            grid = np.where(horizon.open_mask(), grid, 0.0)  # closed intervals take no arrivals
        return grid


class Redial(FrozenModel):
    """Callers who abandoned try again: with ``probability``, after ``delay``."""

    probability: float = Field(ge=0, le=1)
    delay: Distribution
    max_attempts: int = Field(
        3,
        ge=1,
        le=limits.MAX_ATTEMPTS,
        description="Total attempts per customer, first included.",
    )


class Lines(FrozenModel):
    """Finite lines (call channels): a caller who finds them full hears a busy signal and
    is *blocked*; with ``redial`` set, blocked callers redial through the same redial model
    as those who abandoned. Give one or both limits."""

    max_waiting: int | None = Field(
        None, ge=0, le=100_000, description="Callers on hold at most (queue capacity)."
    )
    max_in_system: int | None = Field(
        None,
        ge=1,
        le=100_000,
        description="Lines: callers on hold plus calls in progress on the channel.",
    )

    @model_validator(mode="after")
    def _one(self) -> Lines:
        if self.max_waiting is None and self.max_in_system is None:
            raise ValueError("give max_waiting, max_in_system or both")
        return self


class Callback(FrozenModel):
    """Virtual hold (call channels): a caller who would have to wait is offered a call back
    when the queue position (callers already on hold) reaches ``offer_at_position`` or the
    expected wait reaches ``offer_at_expected_wait_seconds`` (on hold ahead + 1, times the
    mean handle time, over the agents present in the skilled groups). With ``uptake``
    the caller accepts, hangs up and joins the channel's *callback queue*: deferred work
    with a deadline ``promise_minutes`` later, never abandoned, carried over closing, served
    by the channel's skilled agents at ``priority`` (default: right after the channel's live
    callers) behind the email reserve. A caller who declines waits as before."""

    uptake: float = Field(ge=0, le=1, description="Probability an offered caller accepts.")
    offer_at_position: int | None = Field(
        None, ge=0, le=100_000, description="Offer when this many callers are already on hold."
    )
    offer_at_expected_wait_seconds: float | None = Field(
        None, ge=0, le=limits.MAX_DURATION_S, description="Offer when the expected wait is this."
    )
    promise_minutes: float = Field(
        gt=0, le=limits.MAX_PROMISE_HOURS * 60, description="Call back within this."
    )
    priority: int | None = Field(
        None, ge=1, le=99, description="Routing priority of the callback queue (lower first)."
    )

    @model_validator(mode="after")
    def _rule(self) -> Callback:
        if self.offer_at_position is None and self.offer_at_expected_wait_seconds is None:
            raise ValueError("give offer_at_position, offer_at_expected_wait_seconds or both")
        return self


class Resolution(FrozenModel):
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


class Targets(FrozenModel):
    """Service targets a plan must meet for this channel (all optional)."""

    service_level: float | None = Field(None, gt=0, le=1, description="Share answered in T.")
    within_seconds: float | None = Field(None, ge=0, description="T of the service level.")
    max_asa_seconds: float | None = Field(None, gt=0)
    max_abandon_rate: float | None = Field(None, ge=0, le=1)
    within_promise: float | None = Field(
        None, gt=0, le=1, description="Email: share answered within the channel's promise."
    )
    max_blocked_rate: float | None = Field(
        None, ge=0, le=1, description="Call with lines: share of attempts blocked, at most."
    )
    max_balk_rate: float | None = Field(
        None, ge=0, le=1, description="Walk-in with balking: share who leave a long line, at most."
    )
    callback_within_promise: float | None = Field(
        None,
        gt=0,
        le=1,
        description="Call with callback: share of callbacks made within the promise, at least.",
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


class Channel(FrozenModel):
    """A stream of contacts of one kind (call, chat, email or walk_in) with its own load and
    targets."""

    kind: KindName = "call"
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
    lines: Lines | None = Field(
        None, description="Call: finite lines (busy signal); omitted = unlimited."
    )
    callback: Callback | None = Field(
        None, description="Call: callbacks offered instead of holding (virtual hold)."
    )
    hours: ChannelHours | None = Field(
        None,
        description="Real-time kinds: the channel's own opening hours (inside the centre's); "
        "omitted = the centre's hours.",
    )
    balking: Balking | None = Field(
        None, description="Walk-in: customers who see a long line leave at once."
    )
    min_agents_while_open: int | None = Field(
        None,
        ge=0,
        le=limits.MAX_AGENTS_PER_GROUP,
        description="Real-time kinds: agents skilled for the channel on duty (scheduled, "
        "before shrinkage) in every interval it is open with contacts expected, at least; "
        "omitted = 1 (a line or counter open with nobody to serve it is not a plan); 0 lets "
        "the optimizer leave quiet intervals unstaffed.",
    )
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
    def min_agents_open(self) -> int:
        """Agents skilled for the channel that the optimizer keeps on duty while it is open
        and contacts are expected: ``min_agents_while_open``, 1 when omitted; 0 for email,
        whose backlog waits for the team's hours."""
        if self.kind == "email":
            return 0
        return 1 if self.min_agents_while_open is None else self.min_agents_while_open

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

    def interval_volumes(self, horizon: Any) -> np.ndarray:
        """Expected first contacts per interval (days × intervals_per_day) before
        ``arrivals.scale``: :meth:`Arrivals.interval_volumes`, none while the channel's own
        ``hours`` keep it closed."""
        grid = self.arrivals.interval_volumes(horizon)
        if self.hours is not None:
            grid = np.where(self.hours.open_mask(horizon), grid, 0.0)
        return grid

    @model_validator(mode="after")
    def _kind_rules(self) -> Channel:
        problem = kind_problem(self)  # the kind's own rules (simulator/channels/)
        if problem is not None:
            raise ValueError(problem)
        if self.redial is not None and self.patience is None and self.lines is None:
            raise ValueError(
                "redial needs patience or lines: without them nobody abandons or is blocked"
            )
        return self
