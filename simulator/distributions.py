"""Time distributions used in scenarios (handle time, patience, redial delay).

Every distribution is a small frozen pydantic model that knows its analytic ``mean_s`` and
``variance_s2`` and samples *blocks* of values in **seconds** from a ``numpy.random.Generator``.
Block sampling matters: the engine draws thousands of values per numpy call and hands them
out one by one (see :class:`simulator.streams.Draws`), which is ~30x cheaper per contact than
one numpy call per value.

The YAML form is tagged by ``distribution``::

    handle_time: {distribution: lognormal, mean_seconds: 240, cv: 0.8}
"""

from __future__ import annotations

import functools
import math
from typing import Annotated, Any, Literal, get_args

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from simulator.limits import MAX_DURATION_S, MIN_CV


@functools.cache
def _numeric_only(model: type[BaseModel], field: str) -> bool:
    """Whether ``field`` of ``model`` holds numbers (or lists / mappings of numbers) and
    nothing that may legitimately be a boolean or a nested model."""
    leaves: list[Any] = []

    def walk(annotation: Any) -> None:
        args = get_args(annotation)
        if args:
            for arg in args:
                walk(arg)
        else:
            leaves.append(annotation)

    walk(model.model_fields[field].annotation)
    if any(_bool_or_model(leaf) for leaf in leaves):
        return False
    return any(leaf in (int, float) for leaf in leaves)


def _bool_or_model(leaf: Any) -> bool:
    return leaf is bool or (isinstance(leaf, type) and issubclass(leaf, BaseModel))


def _first_boolean(value: Any) -> bool:
    """Whether ``value`` is a boolean or a list/mapping holding one (at any depth)."""
    if isinstance(value, bool):
        return True
    if isinstance(value, list | tuple):
        return any(_first_boolean(v) for v in value)
    if isinstance(value, dict):
        return any(_first_boolean(v) for v in value.values())
    return False


def refuse_booleans(model: type[BaseModel], field: str | None, value: Any) -> Any:
    """``value`` unchanged, unless ``field`` of ``model`` takes numbers and ``value`` is (or
    holds) a boolean: YAML reads ``yes``/``true`` as True, which pydantic would take as 1."""
    if field is not None and _numeric_only(model, field) and _first_boolean(value):
        shown = str(value).lower() if isinstance(value, bool) else repr(value)[:60]
        raise ValueError(f"must be a number, got {shown} (true/false is not a number)")
    return value


class FrozenModel(BaseModel):
    """Base of every scenario model: frozen, no unknown keys, no NaN/inf, and numeric fields
    refuse booleans (``rate_per_hour: true`` is a mistake, not 1)."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _no_booleans(cls, value: Any, info: ValidationInfo) -> Any:
        return refuse_booleans(cls, info.field_name, value)


class DistributionBase(BaseModel):
    """What every handle-time, patience and delay distribution is: samples, knows its
    analytic mean and variance, and scales."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    # Not "*": the ``distribution`` tag is a discriminator, which takes no validator.
    @field_validator("mean_seconds", "cv", "samples_seconds", mode="before", check_fields=False)
    @classmethod
    def _no_booleans(cls, value: Any, info: ValidationInfo) -> Any:
        return refuse_booleans(cls, info.field_name, value)

    @property
    def mean_s(self) -> float:  # pragma: no cover - overridden
        raise NotImplementedError

    @property
    def variance_s2(self) -> float:  # pragma: no cover - overridden
        raise NotImplementedError

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    def scaled(self, factor: float) -> DistributionBase:
        """The same shape with every value multiplied by ``factor`` (e.g. an agent's speed)."""
        raise NotImplementedError  # pragma: no cover


class Exponential(DistributionBase):
    """Memoryless; the M in M/M/c. ``mean_seconds`` > 0."""

    distribution: Literal["exponential"] = "exponential"
    mean_seconds: float = Field(gt=0, le=MAX_DURATION_S)

    @property
    def mean_s(self) -> float:
        return self.mean_seconds

    @property
    def variance_s2(self) -> float:
        return self.mean_seconds**2

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.exponential(self.mean_seconds, size)

    def scaled(self, factor: float) -> Exponential:
        return Exponential(mean_seconds=self.mean_seconds * factor)


class Lognormal(DistributionBase):
    """Right-skewed handle times as seen in real centres, given by mean and coefficient of
    variation (std / mean) rather than the underlying normal's parameters, because those are
    what a planner reads off a report."""

    distribution: Literal["lognormal"] = "lognormal"
    mean_seconds: float = Field(gt=0, le=MAX_DURATION_S)
    cv: float = Field(ge=MIN_CV, le=10)

    @property
    def mean_s(self) -> float:
        return self.mean_seconds

    @property
    def variance_s2(self) -> float:
        return (self.cv * self.mean_seconds) ** 2

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        sigma2 = math.log1p(self.cv**2)
        mu = math.log(self.mean_seconds) - sigma2 / 2
        return rng.lognormal(mu, math.sqrt(sigma2), size)

    def scaled(self, factor: float) -> Lognormal:
        return Lognormal(mean_seconds=self.mean_seconds * factor, cv=self.cv)


class Gamma(DistributionBase):
    """Gamma by mean and cv (shape = 1/cv², scale = mean·cv²); cv = 1 is exponential."""

    distribution: Literal["gamma"] = "gamma"
    mean_seconds: float = Field(gt=0, le=MAX_DURATION_S)
    cv: float = Field(ge=MIN_CV, le=10)

    @property
    def mean_s(self) -> float:
        return self.mean_seconds

    @property
    def variance_s2(self) -> float:
        return (self.cv * self.mean_seconds) ** 2

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        shape = 1.0 / self.cv**2
        return rng.gamma(shape, self.mean_seconds / shape, size)

    def scaled(self, factor: float) -> Gamma:
        return Gamma(mean_seconds=self.mean_seconds * factor, cv=self.cv)


class Deterministic(DistributionBase):
    """Always ``mean_seconds`` (the field keeps the name every distribution shares)."""

    distribution: Literal["deterministic"] = "deterministic"
    mean_seconds: float = Field(ge=0, le=MAX_DURATION_S)

    @property
    def mean_s(self) -> float:
        return self.mean_seconds

    @property
    def variance_s2(self) -> float:
        return 0.0

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return np.full(size, self.mean_seconds)

    def scaled(self, factor: float) -> Deterministic:
        return Deterministic(mean_seconds=self.mean_seconds * factor)


class Empirical(DistributionBase):
    """Resamples observed durations (with replacement), e.g. last month's handle times."""

    distribution: Literal["empirical"] = "empirical"
    samples_seconds: tuple[float, ...] = Field(min_length=1)

    @field_validator("samples_seconds")
    @classmethod
    def _non_negative(cls, values: tuple[float, ...]) -> tuple[float, ...]:
        bad = [v for v in values if not (0 <= v <= MAX_DURATION_S)]
        if bad:
            raise ValueError(
                f"every sample must be a number between 0 and {MAX_DURATION_S:,} "
                f"(a year, in seconds), got {bad[0]}"
            )
        return values

    @property
    def mean_s(self) -> float:
        return float(np.mean(self.samples_seconds))

    @property
    def variance_s2(self) -> float:
        return float(np.var(self.samples_seconds))

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.choice(np.asarray(self.samples_seconds, dtype=float), size)

    def scaled(self, factor: float) -> Empirical:
        return Empirical(samples_seconds=tuple(v * factor for v in self.samples_seconds))


Distribution = Annotated[
    Exponential | Lognormal | Gamma | Deterministic | Empirical,
    Field(discriminator="distribution"),
]
"""Any of the distributions, selected in YAML by its ``distribution`` key."""

_MEMBERS = (Exponential, Lognormal, Gamma, Deterministic, Empirical)
DISTRIBUTION_NAMES: tuple[str, ...] = tuple(
    get_args(m.model_fields["distribution"].annotation)[0] for m in _MEMBERS
)
"""The ``distribution`` names, in the order the docs list them."""
WITH_CV = frozenset(
    n for n, m in zip(DISTRIBUTION_NAMES, _MEMBERS, strict=True) if "cv" in m.model_fields
)
"""Distributions given by a mean and a coefficient of variation."""

__all__ = [
    "DISTRIBUTION_NAMES",
    "WITH_CV",
    "Deterministic",
    "Distribution",
    "Empirical",
    "Exponential",
    "Gamma",
    "Lognormal",
]
