"""What a channel kind is: the traits the scenario, the engine, the results and the
analytic model read, so none of them branches on a kind's name.

A kind module (``call.py``, ``chat.py``, ``email.py``) builds one :class:`ChannelKind`;
:mod:`simulator.channels` lists them. Kind modules import nothing of the scenario: the
rules receive a validated ``simulator.scenario.Channel`` and read its fields.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

SINGLE, CONCURRENT, DEFERRED = 0, 1, 2
"""How the engine serves a kind (an int: the engine compares it per contact).

* ``SINGLE``: real time, one contact per agent; waiting customers may abandon.
* ``CONCURRENT``: real time, an agent holds up to ``max_concurrency`` contacts at once.
* ``DEFERRED``: backlog work, never abandons, arrives around the clock, blended into idle
  time behind the real-time reserve, judged by a response promise.
"""

Rule = Callable[[Any], "str | None"]
"""Reads a ``simulator.scenario.Channel``; returns the first problem, or None."""

ExtraKpis = Callable[..., dict[str, Any]]
"""Computes a kind's own per-replication KPIs in :func:`simulator.results.aggregate`."""

IntervalKpis = Callable[..., dict[str, Any]]
"""Computes a kind's own KPIs per interval (replications x intervals arrays) from the
per-interval counters, for the ``intervals`` table."""


def _no_rule(_channel: Any) -> str | None:
    return None


def _no_kpis(**_: Any) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class ChannelKind:
    """One kind of channel and everything that differs by kind.

    ``own_fields`` are the scenario fields (paths inside a channel) only this kind may
    set; ``rules`` checks a channel of this kind, ``foreign`` a channel of *another* kind
    that sets this kind's fields (each returns the first problem, as the validation error).
    ``extra_kpis`` computes the KPIs only this kind has over the horizon (see
    :mod:`simulator.kpis`, whose ``applies`` says which kinds each KPI is reported for);
    ``interval_kpis`` the same per interval, from the per-interval counters (the
    ``intervals`` table keeps those listed in :data:`simulator.kpis.CHANNEL_INTERVAL_KPIS`).
    Both return only what the channel's features give (no ``lines``: no busy signals), so a
    channel without them keeps its rows.
    """

    name: str
    service: int  # SINGLE | CONCURRENT | DEFERRED
    default_priority: int  # lower is served first
    summary: str
    own_fields: tuple[str, ...] = ()
    rules: Rule = _no_rule
    foreign: Rule = _no_rule
    extra_kpis: ExtraKpis = field(default=_no_kpis)
    interval_kpis: IntervalKpis = field(default=_no_kpis)

    @property
    def realtime(self) -> bool:
        """Customers wait on the line (may abandon); not backlog work."""
        return self.service != DEFERRED

    @property
    def single(self) -> bool:
        """Real time, one contact per agent (call)."""
        return self.service == SINGLE

    @property
    def concurrent(self) -> bool:
        return self.service == CONCURRENT

    @property
    def deferred(self) -> bool:
        return self.service == DEFERRED


__all__ = [
    "CONCURRENT",
    "DEFERRED",
    "SINGLE",
    "ChannelKind",
    "ExtraKpis",
    "IntervalKpis",
    "Rule",
]
