"""How hard the optimizer searches and how it judges a plan — nothing about *what* a plan must
achieve: every target and shift rule lives in the scenario (``channels.<c>.targets``,
``agent_groups.<g>.max_occupancy``, ``shift_types``), so ``simulate`` checks exactly what
``optimize`` optimized.

Read from Python (``OptimizeOptions(...)``) or from a YAML file with an ``optimizer:``
section (``OptimizeOptions.from_yaml(path)``, the CLI's ``--options``). Validated once, frozen.
An old options file that still sets targets or shift types gets a message saying where each
one moved.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from simulator.errors import InputError
from simulator.messages import format_validation_error
from simulator.yamlfile import read_yaml

FeasibilityRule = Literal["mean", "ci"]
"""How a plan is judged on the verification replications (fresh seeds):

* ``mean`` (default): the mean over the replications meets every target;
* ``ci``: the 95% confidence bound on the target's side meets it (lower bound of a service
  level, upper bound of an abandonment rate / ASA / occupancy) — stricter, costs more agents.
"""

PlanKind = Literal["auto", "shifts", "per_interval"]
"""What the optimizer plans: ``auto`` (shifts for groups a shift type applies to, headcount
per interval for the others), ``shifts`` (the same, but an error without shift types) or
``per_interval`` (headcount per interval for every group: the lower bound of any shift plan).
"""

MOVED = {
    "min_fcr": "channels.<channel>.targets.min_fcr in the scenario",
    "max_occupancy": "agent_groups.<group>.max_occupancy in the scenario",
    "shift_types": "shift_types in the scenario (same fields; see docs/scenario-format.md)",
    "shifts": "plan: shifts | per_interval | auto",
}


class OptimizeOptions(BaseModel):
    """Search effort and the feasibility rule of :func:`optimizer.optimize`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # ---- the evidence a plan is judged on ------------------------------------------------
    replications: int | None = Field(
        None, ge=2, le=10_000, description="Replications per search evaluation; default 20."
    )
    verify_replications: int | None = Field(
        None, ge=2, le=100_000, description="Replications per verification run; default 2x."
    )
    seed: int | None = Field(None, ge=0, description="Search seed; default the scenario's.")
    rule: FeasibilityRule = "mean"
    margin: float = Field(
        1.5,
        ge=0,
        le=5,
        description="Safety margin in the search, in 95%-CI half-widths of each KPI on the "
        "search seeds (1 = the CI bound must meet the target, 0 = the mean). 1.5 lets a plan "
        "found on 20 replications pass 40 on fresh seeds with about 97% probability per "
        "target instance near its goal.",
    )
    verify_rounds: int = Field(
        3, ge=1, le=10, description="Verification runs (each on fresh seeds), at most."
    )

    # ---- effort ---------------------------------------------------------------------------
    max_evaluations: int = Field(
        40,
        ge=1,
        le=10_000,
        description="Simulation evaluations of the search (verification not included): the "
        "budget that makes a run reproducible on any machine.",
    )
    time_limit_seconds: float | None = Field(
        None,
        gt=0,
        allow_inf_nan=False,
        description="Wall-clock cut; a run it cuts says so (status time_limit). Default none.",
    )
    evaluator: Literal["simulation", "analytic"] = "simulation"
    workers: int = Field(0, ge=0, le=256, description="Processes for replications (0 = all).")
    plan: PlanKind = "auto"
    budget: float | None = Field(
        None, gt=0, allow_inf_nan=False, description="Cost ceiling over the horizon."
    )

    @property
    def search_replications(self) -> int:
        return self.replications or 20

    @property
    def verification_replications(self) -> int:
        return self.verify_replications or 2 * self.search_replications

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = "options") -> OptimizeOptions:
        """Validate a mapping (the ``optimizer:`` section itself, or a file holding one)."""
        if not isinstance(data, Mapping):
            raise InputError(f"{source}: expected a mapping, got {type(data).__name__}")
        if "optimizer" in data:
            data = data["optimizer"] or {}
            if not isinstance(data, Mapping):
                raise InputError(f"{source}: optimizer: expected a mapping")
        moved = [
            f"{source}: optimizer.{key}: moved to {MOVED[key]}" for key in data if key in MOVED
        ]
        if moved:
            raise InputError(moved)
        try:
            return cls.model_validate(dict(data))
        except ValidationError as exc:
            raise InputError(
                [f"{source}: optimizer.{line}" for line in format_validation_error(exc, cls)]
            ) from None

    @classmethod
    def from_yaml(cls, path: str | Path) -> OptimizeOptions:
        data = read_yaml(path, label="--options")
        return cls.from_dict(data or {}, source=str(path))


__all__ = ["MOVED", "FeasibilityRule", "OptimizeOptions", "PlanKind"]
