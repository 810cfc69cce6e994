"""Blended teams with a predictive (ratio) dialer against their Markov chain: the rows of
the "Outbound blending (predictive dialer)" section of ``docs/validation.md``
(``benchmarks/validate.py`` runs this after the threshold dialer's section).

Each case is an M/M/c+M call queue whose agents also take the calls of an endless list
dialled predictively (``ratio × (idle agents − T)`` calls kept ringing, no agent reserved;
exponential ring times; an answered right party with no idle agent is a nuisance call),
simulated as an ordinary scenario; exact values from
:func:`simulator.queueing.blending.predictive_dialer_kpis`, a continuous-time Markov chain
solved numerically that shares no code with the engine.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from benchmarks.validate_blending import (
    AHT_S,
    DAYS,
    WARMUP_MINUTES,
    blended_case_scenario,
    dialer_rows,
)
from simulator.queueing.blending import predictive_dialer_kpis
from simulator.scenario import Scenario

KPIS = {  # (entity, kpi) -> label
    ("calls", "p_wait"): "inbound P(wait)",
    ("calls", "abandon_rate"): "inbound P(abandon)",
    ("list", "connects_per_hour"): "connects per hour",
    ("list", "attempts"): "attempts per hour",
    ("list", "nuisance_rate"): "nuisance rate",
    ("list", "outbound_occupancy"): "outbound share of agent time",
}


def _exp(mean_s: float) -> dict:
    return {"distribution": "exponential", "mean_seconds": mean_s}


@dataclass(frozen=True)
class PredictiveCase:
    agents: int
    rate_per_hour: float
    patience_s: float
    threshold: int
    ratio: float
    rpc: float
    connect_s: float
    failed_s: float  # ring time of a failed call (no agent)
    answer_s: float  # ring time before a right party answers

    @property
    def label(self) -> str:
        return (
            f"predictive c={self.agents} λ={self.rate_per_hour:g}/h θ⁻¹={self.patience_s:g}s "
            f"T={self.threshold} R={self.ratio:g} p={self.rpc:g} talk {self.connect_s:g}s "
            f"ring {self.answer_s:g}s/{self.failed_s:g}s"
        )

    def scenario(self, seed: int) -> Scenario:
        dialer = {"policy": "predictive", "ratio": self.ratio, "threshold": self.threshold}
        fields = {"answer_time": _exp(self.answer_s), "dialer": dialer}
        return blended_case_scenario(self, seed, fields)

    def exact(self) -> dict[str, float]:
        k = predictive_dialer_kpis(self.agents, self.rate_per_hour, AHT_S, self.patience_s,
                                   self.threshold, self.ratio, self.rpc, self.connect_s,
                                   self.failed_s, self.answer_s)  # fmt: skip
        return {
            "p_wait": k.p_wait,
            "abandon_rate": k.p_abandon,
            "connects_per_hour": k.connects_per_hour,
            "attempts": k.attempts_per_hour,
            "nuisance_rate": k.nuisance_rate,
            "outbound_occupancy": k.outbound_occupancy,
        }


CASES = (
    PredictiveCase(6, 100.0, 300.0, 1, 1.5, 0.3, 240.0, 30.0, 15.0),
    PredictiveCase(8, 140.0, 240.0, 2, 1.3, 0.3, 240.0, 30.0, 20.0),
    PredictiveCase(10, 180.0, 240.0, 2, 1.2, 0.35, 300.0, 25.0, 12.0),
)


def predictive_rows(replications: int, seed: int, workers: int) -> list[dict]:
    """Simulate every case (seed + 300 + i) and compare with the chain; rows in the format
    of ``validate.py``'s tables (attempts are turned into a rate per counted hour)."""
    return dialer_rows(CASES, KPIS, replications, seed, 300, workers)


def predictive_section(
    rows: list[dict], replications: int, seed: int, table: Callable[[list[dict]], list[str]]
) -> list[str]:
    """The Markdown section for ``docs/validation.md``."""
    inside = sum(r["inside"] for r in rows)
    return [
        "",
        "## Outbound blending (predictive dialer)",
        "",
        "As above, but the list is dialled predictively: the dialer keeps "
        "⌈R × (idle agents − T)⌉ calls ringing (only when no call waits), no agent is reserved "
        "while they ring; a call reaches the right party with probability p and is answered "
        "after an exponential ring time, else fails after another; an answered right party "
        "takes an idle agent (the T kept idle included) for an exponential talk time, or is "
        "abandoned at once when none is idle (a nuisance call). "
        f"{DAYS} days per replication after a {WARMUP_MINUTES // 60}-hour warm-up, "
        f"{replications} replications, seed {seed} + 300 + i. Exact values from the "
        "continuous-time Markov chain `simulator.queueing.blending.predictive_dialer_kpis` "
        "(state: calls in system, agents on outbound talk, calls ringing to an answer, calls "
        "ringing to a failure). Nuisance rate = nuisance calls / (connects + nuisance calls).",
        "",
        f"**{inside} of {len(rows)} intervals contain the exact value** "
        f"({inside / len(rows):.0%}).",
        "",
        *table(rows),
    ]


__all__ = ["CASES", "PredictiveCase", "predictive_rows", "predictive_section"]
