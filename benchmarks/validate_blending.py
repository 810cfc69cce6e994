"""Blended teams (inbound calls + a threshold dialer) against their Markov chain: the rows
of the "Outbound blending" section of ``docs/validation.md`` (``benchmarks/validate.py``
runs this after its other tables).

Each case is an M/M/c+M call queue whose agents also dial an endless outbound list with the
threshold dialer (dial while more than T agents are idle; right-party connect with
probability p, exponential talk and failed-attempt times), simulated as an ordinary
scenario; exact values from :func:`simulator.queueing.blending.threshold_dialer_kpis`, a
continuous-time Markov chain solved numerically that shares no code with the engine.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from benchmarks._scenarios import QueueCase
from simulator.queueing.blending import threshold_dialer_kpis
from simulator.runner import simulate
from simulator.scenario import Scenario

AHT_S = 180.0
DAYS, WARMUP_MINUTES = 4, 180
KPIS = {  # (entity, kpi) -> label
    ("calls", "p_wait"): "inbound P(wait)",
    ("calls", "abandon_rate"): "inbound P(abandon)",
    ("calls", "mean_queue_length"): "inbound queue length",
    ("list", "connects_per_hour"): "connects per hour",
    ("list", "attempts"): "attempts per hour",
    ("list", "outbound_occupancy"): "outbound share of agent time",
}


@dataclass(frozen=True)
class BlendingCase:
    agents: int
    rate_per_hour: float
    patience_s: float
    threshold: int
    rpc: float
    connect_s: float
    failed_s: float

    @property
    def label(self) -> str:
        return (
            f"blended c={self.agents} λ={self.rate_per_hour:g}/h θ⁻¹={self.patience_s:g}s "
            f"T={self.threshold} p={self.rpc:g} talk {self.connect_s:g}s fail {self.failed_s:g}s"
        )

    def scenario(self, seed: int) -> Scenario:
        return blended_case_scenario(self, seed, {"dialer": {"threshold": self.threshold}})

    def exact(self) -> dict[str, float]:
        k = threshold_dialer_kpis(
            self.agents,
            self.rate_per_hour,
            AHT_S,
            self.patience_s,
            self.threshold,
            self.rpc,
            self.connect_s,
            self.failed_s,
        )
        return {
            "p_wait": k.p_wait,
            "abandon_rate": k.p_abandon,
            "mean_queue_length": k.mean_queue_length,
            "connects_per_hour": k.connects_per_hour,
            "attempts": k.attempts_per_hour,
            "outbound_occupancy": k.outbound_occupancy,
        }


CASES = (
    BlendingCase(6, 100.0, 300.0, 1, 0.3, 240.0, 30.0),
    BlendingCase(8, 140.0, 240.0, 2, 0.3, 240.0, 30.0),
    BlendingCase(15, 270.0, 180.0, 2, 0.25, 300.0, 25.0),
)


def blended_case_scenario(case: Any, seed: int, fields: dict[str, Any]) -> Scenario:
    """One around-the-clock call channel of ``case`` (agents, rate per hour, patience;
    exponential handle time of ``AHT_S``) whose agents dial an endless list ``list``:
    right-party probability ``case.rpc``, exponential talk ``case.connect_s`` and failed
    attempts ``case.failed_s``, one attempt a record; ``fields`` add the list's dialer (and
    what else the policy needs)."""
    base = QueueCase(case.label, case.rate_per_hour, AHT_S, case.agents, case.patience_s)
    data = base.scenario(days=DAYS, warmup_minutes=WARMUP_MINUTES, seed=seed).to_dict()
    data["outbound"] = {
        "list": {
            "records_per_day": 50_000,  # never runs out (about 2,000 attempts a day)
            "right_party_connect": case.rpc,
            "handle_time": {"distribution": "exponential", "mean_seconds": case.connect_s},
            "failed_attempt_time": {"distribution": "exponential", "mean_seconds": case.failed_s},
            "max_attempts": 1,
            "groups": ["agents"],
        }
        | fields
    }
    return Scenario.from_dict(data)


def blending_rows(replications: int, seed: int, workers: int) -> list[dict]:
    """Simulate every case (seed + 200 + i) and compare with the chain; rows in the format
    of ``validate.py``'s tables (attempts are turned into a rate per counted hour)."""
    return dialer_rows(CASES, KPIS, replications, seed, 200, workers)


def dialer_rows(
    cases: Sequence[Any],
    kpis: dict[tuple[str, str], str],
    replications: int,
    seed: int,
    offset: int,
    workers: int,
) -> list[dict]:
    """Case i simulated with seed ``seed + offset + i`` against its ``exact()`` chain
    values: one row per KPI of ``kpis`` ((entity, kpi) -> label; entity ``calls`` or the
    list), inside its 95% CI or not (the symmetric half-width, not the interval clipped at
    0); attempts as a rate per counted hour. The threshold and the predictive dialer's
    sections share it."""
    rows = []
    hours = DAYS * 24 - WARMUP_MINUTES / 60
    for i, case in enumerate(cases):
        result = simulate(case.scenario(seed), replications, seed + offset + i, workers=workers)
        exact = case.exact()
        offered = result.kpi("calls", "offered") * result.replications
        for (entity, kpi), label in kpis.items():
            if entity == "calls":
                mean, half = result.kpi(entity, kpi), result.half_width(entity, kpi)
            else:
                mean = result.outbound_kpi(entity, kpi)
                half = result.outbound_half_width(entity, kpi)
            scale = hours if kpi == "attempts" else 1.0
            mean, half = mean / scale, half / scale
            rows.append(
                {
                    "case": case.label,
                    "kpi": label,
                    "exact": exact[kpi],
                    "mean": mean,
                    "half": half,
                    "inside": abs(mean - exact[kpi]) <= half,
                    "calls": offered,
                }
            )
    return rows


def blending_section(
    rows: list[dict], replications: int, seed: int, table: Callable[[list[dict]], list[str]]
) -> list[str]:
    """The Markdown section for ``docs/validation.md``."""
    inside = sum(r["inside"] for r in rows)
    return [
        "",
        "## Outbound blending (threshold dialer)",
        "",
        "One call channel open around the clock (Poisson arrivals, exponential handle time of "
        f"mean {AHT_S:g} s and patience θ⁻¹), c agents who also dial an endless outbound list: "
        "an agent dials only when no call waits and more than T agents are idle (one attempt "
        "per idle agent above T), is reserved for the attempt and never pre-empted; a "
        "right-party connect (probability p) talks for an exponential time, a failed attempt "
        f"takes an exponential time. {DAYS} days per replication after a "
        f"{WARMUP_MINUTES // 60}-hour warm-up, {replications} replications, seed {seed} + "
        "200 + i. Exact values from the continuous-time Markov chain "
        "`simulator.queueing.blending.threshold_dialer_kpis` (state: calls in system, agents "
        "on failed attempts, agents on connects; solved with scipy's sparse solver). "
        "P(wait) = share of calls not answered at once; outbound share = agent time on "
        "attempts / agent time present.",
        "",
        f"**{inside} of {len(rows)} intervals contain the exact value** "
        f"({inside / len(rows):.0%}).",
        "",
        *table(rows),
    ]


__all__ = ["CASES", "BlendingCase", "blending_rows", "blending_section"]
