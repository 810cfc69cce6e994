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

import math
from typing import Annotated, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator


class _Distribution(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    @property
    def mean_s(self) -> float:  # pragma: no cover - overridden
        raise NotImplementedError

    @property
    def variance_s2(self) -> float:  # pragma: no cover - overridden
        raise NotImplementedError

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    def scaled(self, factor: float) -> _Distribution:
        """The same shape with every value multiplied by ``factor`` (e.g. an agent's speed)."""
        raise NotImplementedError  # pragma: no cover


class Exponential(_Distribution):
    """Memoryless; the M in M/M/c. ``mean_seconds`` > 0."""

    distribution: Literal["exponential"] = "exponential"
    mean_seconds: float = Field(gt=0)

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


class Lognormal(_Distribution):
    """Right-skewed handle times as seen in real centres, given by mean and coefficient of
    variation (std / mean) rather than the underlying normal's parameters, because those are
    what a planner reads off a report."""

    distribution: Literal["lognormal"] = "lognormal"
    mean_seconds: float = Field(gt=0)
    cv: float = Field(gt=0, le=10)

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


class Gamma(_Distribution):
    """Gamma by mean and cv (shape = 1/cv², scale = mean·cv²); cv = 1 is exponential."""

    distribution: Literal["gamma"] = "gamma"
    mean_seconds: float = Field(gt=0)
    cv: float = Field(gt=0, le=10)

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


class Deterministic(_Distribution):
    """Always ``mean_seconds`` (the field keeps the name every distribution shares)."""

    distribution: Literal["deterministic"] = "deterministic"
    mean_seconds: float = Field(ge=0)

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


class Empirical(_Distribution):
    """Resamples observed durations (with replacement), e.g. last month's handle times."""

    distribution: Literal["empirical"] = "empirical"
    samples_seconds: tuple[float, ...] = Field(min_length=1)

    @field_validator("samples_seconds")
    @classmethod
    def _non_negative(cls, values: tuple[float, ...]) -> tuple[float, ...]:
        bad = [v for v in values if not (v >= 0 and math.isfinite(v))]
        if bad:
            raise ValueError(f"every sample must be a finite number >= 0, got {bad[0]}")
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

__all__ = [
    "Deterministic",
    "Distribution",
    "Empirical",
    "Exponential",
    "Gamma",
    "Lognormal",
]
