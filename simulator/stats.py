"""Streaming statistics for one replication: counters and time-weighted areas per interval.

Nothing here keeps a list of contacts: memory depends on the number of intervals and
channels, never on the number of contacts. Waiting-time percentiles come from a fixed-bin
histogram (bounded memory, resolution stated in :class:`WaitHistogram`).

Two kinds of statistic, kept apart as salabim taught: *per-contact tallies* (offered,
answered, waits) are filed under the interval in which the contact **arrived**;
*time-weighted levels* (queue length, busy agents, agents present) are integrated over clock
time and filed under the interval in which the time passed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

# Wait histogram bins (seconds): bin 0 holds exact zeros (answered at once, the bulk of
# contacts in a well-staffed centre), then 0.5 s wide bins below 2 min, 5 s below 30 min,
# 60 s below 24 h, and one overflow bin above.
_FINE_END, _MID_END, _COARSE_END = 120.0, 1800.0, 86400.0
_FINE_BINS = int(_FINE_END / 0.5)
_MID_BINS = int((_MID_END - _FINE_END) / 5)
_COARSE_BINS = int((_COARSE_END - _MID_END) / 60)
N_WAIT_BINS = 1 + _FINE_BINS + _MID_BINS + _COARSE_BINS + 1


def wait_bin(wait_s: float) -> int:
    """Histogram bin of a wait in seconds (see the bin layout above)."""
    if wait_s <= 0.0:
        return 0
    if wait_s < _FINE_END:
        return 1 + int(wait_s * 2)
    if wait_s < _MID_END:
        return 1 + _FINE_BINS + int((wait_s - _FINE_END) / 5)
    if wait_s < _COARSE_END:
        return 1 + _FINE_BINS + _MID_BINS + int((wait_s - _MID_END) / 60)
    return N_WAIT_BINS - 1


def wait_bin_edges() -> np.ndarray:
    """Edges of the bins (seconds): bin b spans [edges[b], edges[b+1]); the zero bin is
    [0, 0] and the overflow bin is drawn as [1 day, 2 days)."""
    fine = np.arange(_FINE_BINS) * 0.5
    mid = _FINE_END + np.arange(_MID_BINS) * 5
    coarse = _MID_END + np.arange(_COARSE_BINS) * 60
    return np.concatenate([[0.0], fine, mid, coarse, [_COARSE_END, _COARSE_END * 2]])


def histogram_quantile(counts: np.ndarray, q: float) -> float:
    """The q-quantile (0..1) of waits from histogram counts, linear within a bin.

    Resolution: 0.5 s below 2 min, 5 s below 30 min, 60 s below a day. NaN when empty.
    """
    total = counts.sum()
    if total == 0:
        return float("nan")
    edges = wait_bin_edges()
    cumulative = np.cumsum(counts)
    target = q * total
    b = int(np.searchsorted(cumulative, target, side="left"))
    b = min(b, len(counts) - 1)
    before = cumulative[b - 1] if b > 0 else 0
    inside = counts[b]
    fraction = 0.0 if inside == 0 else (target - before) / inside
    return float(edges[b] + fraction * (edges[b + 1] - edges[b]))


@dataclass
class ChannelTally:
    """Per-interval counters of one channel (lists indexed by global interval)."""

    n: int
    offered: list[int] = field(default_factory=list)
    redials: list[int] = field(default_factory=list)  # offered attempts that are redials
    answered: list[int] = field(default_factory=list)
    answered_within: list[int] = field(default_factory=list)
    abandoned: list[int] = field(default_factory=list)
    abandoned_within: list[int] = field(default_factory=list)
    unanswered_at_close: list[int] = field(default_factory=list)
    wait_sum: list[float] = field(default_factory=list)  # seconds, answered contacts
    handle_sum: list[float] = field(default_factory=list)  # seconds, answered contacts
    resolved: list[int] = field(default_factory=list)  # answered and resolved at that contact
    queue_area: list[float] = field(default_factory=list)  # contact-seconds waiting
    wait_hist: list[int] = field(default_factory=list)  # answered waits, all intervals
    redials_lost: int = 0  # redials that would fall after the horizon
    waiting_at_end: int = 0

    def __post_init__(self) -> None:
        for name in (
            "offered",
            "redials",
            "answered",
            "answered_within",
            "abandoned",
            "abandoned_within",
            "unanswered_at_close",
            "resolved",
        ):
            setattr(self, name, [0] * self.n)
        for name in ("wait_sum", "handle_sum", "queue_area"):
            setattr(self, name, [0.0] * self.n)
        self.wait_hist = [0] * N_WAIT_BINS


@dataclass
class GroupTally:
    """Per-interval time-weighted levels of one agent group (agent-seconds)."""

    n: int
    busy_area: list[float] = field(default_factory=list)
    present_area: list[float] = field(default_factory=list)
    handled: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.busy_area = [0.0] * self.n
        self.present_area = [0.0] * self.n
        self.handled = [0] * self.n


@dataclass
class ReplicationStats:
    """Everything one replication measured; small, picklable, aggregated by ``results``."""

    channels: dict[str, dict[str, np.ndarray]]  # channel -> counter -> per-interval array
    channel_scalars: dict[str, dict[str, float]]
    wait_hist: dict[str, np.ndarray]  # channel -> histogram counts of answered waits
    groups: dict[str, dict[str, np.ndarray]]  # group -> level -> per-interval array
    events: int  # events processed (for the benchmark's contacts-per-second figures)
