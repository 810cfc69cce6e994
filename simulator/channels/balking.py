"""Balking (walk-in counters): a customer who walks in, finds every agent busy and sees a
line, leaves at once with a probability that grows with the length of the line.

"Line length" is the number of customers of the channel **waiting** (not those being
served) at the moment the customer arrives. Two ways to say how people react, one of them:

* ``probabilities``: the probability of leaving for a line of 0, 1, 2, ... waiting; the
  last value holds for every longer line (``[0, 0, 0.1, 0.3, 0.6, 1]``: nobody leaves a
  line of 0 or 1, 10% leave a line of 2, ..., everybody a line of 5 or more);
* ``from_length`` / ``all_at_length``: the planner's rule of thumb "people start leaving
  once the line is longer than A, and nobody joins a line of B": probability 0 up to a line
  of A, rising linearly to 1 at B (``(L - A) / (B - A)`` for a line of L in between).

Both become one table (:meth:`Balking.table`), which the engine and the exact birth–death
chain (:func:`simulator.queueing.finite.balking_kpis`) read.
"""

from __future__ import annotations

from pydantic import Field, field_validator, model_validator

from simulator.distributions import FrozenModel

MAX_TABLE = 1_000
"""Longest table (lines of 0 .. 999 waiting): a walk-in line beyond that is not a line."""


class Balking(FrozenModel):
    """How customers react to the line they see (see the module docstring)."""

    probabilities: tuple[float, ...] | None = Field(
        None,
        min_length=1,
        max_length=MAX_TABLE,
        description="Probability of leaving at once for a line of 0, 1, 2, ... waiting; the "
        "last value holds for longer lines.",
    )
    from_length: int | None = Field(
        None, ge=0, le=MAX_TABLE - 2, description="Nobody leaves a line of this many or fewer."
    )
    all_at_length: int | None = Field(
        None, ge=1, le=MAX_TABLE - 1, description="Everybody leaves a line of this many or more."
    )

    @field_validator("probabilities")
    @classmethod
    def _shares(cls, value: tuple[float, ...] | None) -> tuple[float, ...] | None:
        for i, p in enumerate(value or ()):
            if not 0 <= p <= 1:
                raise ValueError(f"item {i}: a probability must be in [0, 1], got {p:g}")
        return value

    @model_validator(mode="after")
    def _one_form(self) -> Balking:
        linear = (self.from_length, self.all_at_length)
        if self.probabilities is not None and any(v is not None for v in linear):
            raise ValueError("give probabilities, or from_length with all_at_length, not both")
        if self.probabilities is None:
            if None in linear:
                raise ValueError("give probabilities, or from_length with all_at_length")
            if self.all_at_length <= self.from_length:  # type: ignore[operator]
                raise ValueError(
                    f"all_at_length ({self.all_at_length}) must be greater than from_length "
                    f"({self.from_length})"
                )
        return self

    def table(self) -> tuple[float, ...]:
        """Probability of leaving for a line of 0, 1, ... waiting; the last entry holds for
        every longer line."""
        if self.probabilities is not None:
            return tuple(float(p) for p in self.probabilities)
        a, b = int(self.from_length), int(self.all_at_length)  # type: ignore[arg-type]
        return tuple(min(max((n - a) / (b - a), 0.0), 1.0) for n in range(b + 1))


def balk_probability(table: tuple[float, ...], waiting: int) -> float:
    """The table's probability for a line of ``waiting`` (the last entry beyond its end)."""
    return table[waiting] if waiting < len(table) else table[-1]


__all__ = ["MAX_TABLE", "Balking", "balk_probability"]
