"""Outbound lists compiled for the engine: group indices, seconds, dialing windows.

Dialing happens inside the centre's opening hours only (the scenario refuses dialing hours
outside them), so every attempt falls in an interval of the result grid.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from simulator.clock import DAY_S, parse_clock
from simulator.distributions import DistributionBase

if TYPE_CHECKING:
    from simulator.scenario import Scenario


@dataclass(frozen=True)
class OutboundModel:
    """One outbound list as the engine reads it (times in seconds from day 0 00:00)."""

    index: int
    name: str
    records_per_day: int
    right_party_connect: float
    handle: DistributionBase  # connect: talk + wrap-up (seconds)
    failed: DistributionBase  # attempt without a right-party connect (seconds)
    max_attempts: int
    retry_delay_s: float
    groups: tuple[int, ...]  # indices of the dialing groups, in the scenario's group order
    threshold: int  # idle agents of those groups kept free for inbound
    windows: tuple[tuple[float, float], ...]  # dialing windows (absolute seconds), by day
    dial_s: np.ndarray  # dialing seconds inside each global interval
    policy: str = "threshold"  # "threshold" (agent reserved per attempt) or "predictive"
    ratio: float = 1.0  # predictive: calls kept ringing per idle agent above the threshold
    answer: DistributionBase | None = None  # predictive: ring time of a right party (s)

    @property
    def predictive(self) -> bool:
        """Calls ring without an agent; answered customers may find none (nuisance)."""
        return self.policy == "predictive"


def dialing_windows(scenario: Scenario, hours_open: int, hours_close: int) -> list[tuple[int, int]]:
    """Per open day, the absolute [start, end) seconds where dialing is allowed: the day's
    opening hours cut to the list's dialing hours (seconds after midnight)."""
    h = scenario.horizon
    windows = []
    for day in range(h.days):
        span = h.day_span(day)
        if span is None:
            continue
        a, b = max(span[0], hours_open), min(span[1], hours_close)
        if a < b:
            windows.append((day * DAY_S + a, day * DAY_S + b))
    return windows


def _dial_seconds(scenario: Scenario, windows: list[tuple[int, int]]) -> np.ndarray:
    """Seconds of dialing window inside each global interval of the result grid."""
    h = scenario.horizon
    starts = np.array(
        [h.interval_start_s(d, i) for d in range(h.days) for i in range(h.intervals_per_day)],
        dtype=float,
    )
    ends = starts + h.interval_s
    out = np.zeros(len(starts))
    for a, b in windows:
        out += np.clip(np.minimum(ends, b) - np.maximum(starts, a), 0.0, None)
    return out


def compile_outbound(scenario: Scenario) -> tuple[OutboundModel, ...]:
    """The scenario's outbound lists, in file order (empty without an ``outbound`` section)."""
    if not scenario.outbound:
        return ()
    group_index = {name: g for g, name in enumerate(scenario.agent_groups)}
    h = scenario.horizon
    lists = []
    for i, (name, spec) in enumerate(scenario.outbound.items()):
        if spec.hours is None:
            hours_open, hours_close = h.open_s, h.close_s
        else:
            hours_open, hours_close = parse_clock(spec.hours.open), parse_clock(spec.hours.close)
        windows = dialing_windows(scenario, hours_open, hours_close)
        lists.append(
            OutboundModel(
                index=i,
                name=name,
                records_per_day=spec.records_per_day,
                right_party_connect=spec.right_party_connect,
                handle=spec.handle_time,
                failed=spec.failed_attempt_time,
                max_attempts=spec.max_attempts,
                retry_delay_s=spec.retry_delay_minutes * 60,
                groups=tuple(sorted(group_index[g] for g in spec.groups)),
                threshold=spec.dialer.threshold,
                windows=tuple((float(a), float(b)) for a, b in windows),
                dial_s=_dial_seconds(scenario, windows),
                policy=spec.dialer.policy,
                ratio=spec.dialer.ratio if spec.dialer.ratio is not None else 1.0,
                answer=spec.answer_time,
            )
        )
    return tuple(lists)


__all__ = ["OutboundModel", "compile_outbound", "dialing_windows"]
