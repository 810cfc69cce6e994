"""Optimizer settings that are not part of the scenario: search effort, feasibility rule,
extra targets (FCR, occupancy), a budget, and the shift types the shift program may use.

Read from Python (``OptimizeOptions(...)``) or from a YAML file with an ``optimizer:``
section (``OptimizeOptions.from_yaml(path)``, the CLI's ``--options``). Validated once, frozen.

Units are in the key names, as in the scenario: ``*_seconds``, ``*_minutes``, ``hours``,
clock times ``"HH:MM"``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from simulator.errors import InputError
from simulator.scenario import _clock_seconds, format_validation_error
from simulator.yamlfile import read_yaml

FeasibilityRule = Literal["mean", "ci"]
"""How a plan is judged feasible on the verification replications (fresh seeds):

* ``mean`` (default): the mean over the replications meets every target;
* ``ci``: the 95% confidence bound on the target's side meets it (lower bound of a service
  level, upper bound of an abandonment rate / ASA / occupancy) — stricter, costs more agents.
"""


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class BreakRule(_Model):
    """An unpaid break inside a shift type: ``minutes`` long, starting ``after_minutes``
    after the shift start, or anywhere from ``after_minutes`` to ``latest_after_minutes``
    in steps of ``step_minutes`` (a break window: the shift program picks the placement)."""

    after_minutes: int = Field(ge=0)
    minutes: int = Field(gt=0)
    latest_after_minutes: int | None = Field(None, ge=0)
    step_minutes: int = Field(30, gt=0)

    @model_validator(mode="after")
    def _window(self) -> BreakRule:
        if self.latest_after_minutes is not None and self.latest_after_minutes < self.after_minutes:
            raise ValueError("latest_after_minutes must be >= after_minutes")
        return self

    def offsets(self) -> list[int]:
        """Allowed break starts, minutes after the shift start."""
        last = (
            self.after_minutes if self.latest_after_minutes is None else self.latest_after_minutes
        )
        return list(range(self.after_minutes, last + 1, self.step_minutes))


class ShiftType(_Model):
    """A shift shape the shift program may staff: ``hours`` from its start (breaks included;
    unpaid breaks are not paid), starting any time from ``earliest_start`` to
    ``latest_start`` in steps of ``start_step_minutes``."""

    name: str
    hours: float = Field(gt=0, le=16)
    earliest_start: str
    latest_start: str | None = Field(None, description="Default: earliest_start only.")
    start_step_minutes: int = Field(30, gt=0)
    breaks: tuple[BreakRule, ...] = ()
    groups: tuple[str, ...] | None = Field(None, description="Agent groups; default: all.")
    days: tuple[int, ...] | None = Field(None, description="Day indices; default: every day.")
    max_count: int | None = Field(None, ge=0, description="Agents per start per day, at most.")

    @field_validator("earliest_start", "latest_start")
    @classmethod
    def _clock(cls, value: str | None) -> str | None:
        if value is not None:
            _clock_seconds(value)
        return value

    @model_validator(mode="after")
    def _order(self) -> ShiftType:
        if self.latest_start is not None and _clock_seconds(self.latest_start) < _clock_seconds(
            self.earliest_start
        ):
            raise ValueError("latest_start must not be before earliest_start")
        for brk in self.breaks:
            last = brk.latest_after_minutes or brk.after_minutes
            if last + brk.minutes > self.hours * 60:
                raise ValueError(
                    f"a break ending {last + brk.minutes} min in is past the shift end"
                )
        return self

    def start_seconds(self) -> list[int]:
        """Allowed start times, seconds after midnight."""
        first = _clock_seconds(self.earliest_start)
        last = first if self.latest_start is None else _clock_seconds(self.latest_start)
        return list(range(first, last + 1, self.start_step_minutes * 60))


class OptimizeOptions(_Model):
    """Everything :func:`optimizer.optimize` can be told besides the scenario."""

    # ---- search effort ------------------------------------------------------------------
    replications: int | None = Field(
        None, ge=2, description="Replications per search evaluation; default the scenario's."
    )
    verify_replications: int | None = Field(
        None, ge=2, description="Replications of each verification run; default 2x search."
    )
    seed: int | None = Field(None, ge=0, description="Search seed; default the scenario's.")
    time_limit_seconds: float = Field(120.0, gt=0)
    max_evaluations: int = Field(200, ge=1, description="Simulation evaluations, at most.")
    margin: float = Field(
        1.0,
        ge=0,
        description="Safety margin in the search, in 95%-CI half-widths of each KPI on the "
        "search seeds: 1 = the CI bound must meet the target, 0 = the mean.",
    )
    rule: FeasibilityRule = "mean"
    verify_rounds: int = Field(3, ge=1, description="Verification runs (fresh seeds), at most.")
    evaluator: Literal["simulation", "analytic"] = "simulation"
    workers: int = Field(1, ge=0, description="Processes per evaluation (0 = all cores).")

    # ---- extra targets and limits -------------------------------------------------------
    min_fcr: dict[str, float] = Field(
        default_factory=dict, description="Channel -> minimum first-contact resolution."
    )
    max_occupancy: dict[str, float] = Field(
        default_factory=dict, description="Agent group -> maximum occupancy over the horizon."
    )
    budget: float | None = Field(None, gt=0, description="Cost ceiling over the horizon.")

    # ---- shifts -------------------------------------------------------------------------
    shift_types: tuple[ShiftType, ...] | None = Field(
        None,
        description="Shift shapes for the shift program; default: those of the scenario's "
        "shifts, if any (their starts, lengths and breaks), else staffing per interval.",
    )
    shifts: bool | None = Field(
        None, description="Force (true) or skip (false) the shift program; default: auto."
    )

    @field_validator("min_fcr", "max_occupancy")
    @classmethod
    def _shares(cls, value: dict[str, float]) -> dict[str, float]:
        for name, share in value.items():
            if not 0 < share <= 1:
                raise ValueError(f"{name}: must be in (0, 1], got {share}")
        return value

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = "options") -> OptimizeOptions:
        """Validate a mapping (the ``optimizer:`` section itself, or a file holding one)."""
        if not isinstance(data, Mapping):
            raise InputError(f"{source}: expected a mapping, got {type(data).__name__}")
        if "optimizer" in data:
            data = data["optimizer"] or {}
        try:
            return cls.model_validate(dict(data))
        except ValidationError as exc:
            raise InputError(
                [f"{source}: optimizer.{line}" for line in format_validation_error(exc)]
            ) from None

    @classmethod
    def from_yaml(cls, path: str | Path) -> OptimizeOptions:
        data = read_yaml(path)
        return cls.from_dict(data or {}, source=str(path))


__all__ = ["BreakRule", "FeasibilityRule", "OptimizeOptions", "ShiftType"]
