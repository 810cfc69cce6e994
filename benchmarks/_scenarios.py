"""Scenarios and exact values shared by the benchmarks (``engine.py``, ``validate.py``).

The validation queues are plain M/M/c (Erlang C) and M/M/c+M (Erlang A) models written as
ordinary staffsim scenarios: one call channel open around the clock (00:00-24:00, so the
days of the horizon form one continuous queue), Poisson arrivals, exponential handle time
and optionally exponential patience, one agent group with a constant headcount. The full
engine runs on them (skills routing, per-interval statistics, named streams); nothing is
switched off for the benchmark.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from simulator.queueing.erlang import QueueKpis, erlang_a_kpis, erlang_c_kpis
from simulator.scenario import Scenario

SECONDS_PER_DAY = 86_400


@dataclass(frozen=True)
class QueueCase:
    """An M/M/c (``patience_s`` None) or M/M/c+M queue. Rates per hour, times in seconds."""

    label: str
    rate_per_hour: float
    aht_s: float
    agents: int
    patience_s: float | None = None
    within_s: float = 20.0

    @property
    def offered_load(self) -> float:
        """Erlangs: arrivals per hour x handle time in hours."""
        return self.rate_per_hour * self.aht_s / 3600

    @property
    def load_per_agent(self) -> float:
        """Offered load / agents (rho); above 1 only a queue with abandonment is stable."""
        return self.offered_load / self.agents

    def exact(self) -> QueueKpis:
        """Exact steady-state KPIs: Erlang C without patience, Erlang A with it."""
        if self.patience_s is None:
            return erlang_c_kpis(
                self.rate_per_hour, self.aht_s, self.agents, within_s=self.within_s
            )
        return erlang_a_kpis(
            self.rate_per_hour, self.aht_s, self.agents, self.patience_s, within_s=self.within_s
        )

    def relaxation_s(self) -> float:
        """Rough time (seconds) the queue needs to forget its start: the inverse spectral gap
        ``1 / (mu (sqrt(c) - sqrt(A))^2)`` of the M/M/c queue (heavy traffic), capped by the
        patience with abandonment. Used to size warm-up and replication length."""
        gap = math.sqrt(self.agents) - math.sqrt(self.offered_load)
        no_patience = self.aht_s / gap**2 if gap > 0 else math.inf
        if self.patience_s is None:
            return no_patience
        return min(no_patience, max(self.aht_s, self.patience_s) * 4)

    def scenario(self, *, days: int, warmup_minutes: float, seed: int = 1) -> Scenario:
        """The queue as a staffsim scenario with 60-minute intervals over ``days`` days."""
        channel: dict[str, Any] = {
            "kind": "call",
            "arrivals": {"rate_per_hour": self.rate_per_hour},
            "handle_time": {"distribution": "exponential", "mean_seconds": self.aht_s},
            "targets": {"service_level": 0.8, "within_seconds": self.within_s},
        }
        if self.patience_s is not None:
            channel["patience"] = {"distribution": "exponential", "mean_seconds": self.patience_s}
        return Scenario.from_dict(
            {
                "name": self.label,
                "horizon": {
                    "days": days,
                    "interval_minutes": 60,
                    "open": "00:00",
                    "close": "24:00",
                },
                "channels": {"calls": channel},
                "agent_groups": {
                    "agents": {
                        "cost_per_hour": 25.0,
                        "skills": ["calls"],
                        "staffing": self.agents,
                    }
                },
                "run": {"warmup_minutes": warmup_minutes, "seed": seed},
            }
        )
