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

import math
from dataclasses import dataclass, field

import numpy as np

from simulator.clock import DAY_S

# Wait histogram bins (seconds): bin 0 holds exact zeros (answered at once, the bulk of
# contacts in a well-staffed centre), then 0.5 s wide bins below 2 min, 5 s below 30 min,
# 60 s below 24 h, and one overflow bin above.
_FINE_END, _MID_END, _COARSE_END = 120.0, 1800.0, float(DAY_S)
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


# Email response-time histogram: 5-minute bins up to 14 days, one overflow bin above.
RESPONSE_BIN_S = 300.0
N_RESPONSE_BINS = int(14 * DAY_S / RESPONSE_BIN_S) + 1


def response_bin(response_s: float) -> int:
    """Histogram bin of an email response time in seconds (5-minute resolution)."""
    return min(int(response_s / RESPONSE_BIN_S), N_RESPONSE_BINS - 1)


def response_bin_edges() -> np.ndarray:
    """Edges of the response-time bins (seconds); the overflow bin is drawn 14-28 days."""
    edges = np.arange(N_RESPONSE_BINS) * RESPONSE_BIN_S
    return np.append(edges, 28.0 * DAY_S)


def wait_bin_edges() -> np.ndarray:
    """Edges of the bins (seconds): bin b spans [edges[b], edges[b+1]); the zero bin is
    [0, 0] and the overflow bin is drawn as [1 day, 2 days)."""
    fine = np.arange(_FINE_BINS) * 0.5
    mid = _FINE_END + np.arange(_MID_BINS) * 5
    coarse = _MID_END + np.arange(_COARSE_BINS) * 60
    return np.concatenate([[0.0], fine, mid, coarse, [_COARSE_END, _COARSE_END * 2]])


def histogram_quantile(counts: np.ndarray, q: float, edges: np.ndarray | None = None) -> float:
    """The q-quantile (0..1) of waits from histogram counts, linear within a bin.

    Resolution: 0.5 s below 2 min, 5 s below 30 min, 60 s below a day. NaN when empty;
    ``inf`` when the quantile lies in the overflow (last) bin, whose values are only known
    to be beyond the histogram's range (a day for waits, 14 days for email responses):
    shown as "> 24 h", never as a made-up number inside the bin.
    """
    total = counts.sum()
    if total == 0:
        return float("nan")
    edges = wait_bin_edges() if edges is None else edges
    cumulative = np.cumsum(counts)
    target = q * total
    b = int(np.searchsorted(cumulative, target, side="left"))
    b = min(b, len(counts) - 1)
    if b == len(counts) - 1 and counts[b] > 0:
        return math.inf
    before = cumulative[b - 1] if b > 0 else 0
    inside = counts[b]
    fraction = 0.0 if inside == 0 else (target - before) / inside
    return float(edges[b] + fraction * (edges[b + 1] - edges[b]))


_COUNTERS = (
    "offered",  # attempts offered (first contacts, redials, repeats)
    "redials",  # offered attempts that are redials after abandoning
    "repeats",  # offered contacts that are repeats of an unresolved issue (or escalations)
    "answered",
    "answered_within",
    "abandoned",
    "abandoned_within",
    "unanswered_at_close",
    "resolved",  # handled and resolved at that contact
    "due",  # email: promise deadline falls inside the horizon
    "within_promise",  # email: due and answered (completed) by the deadline
    "backlog",  # email (any channel): waiting + in service at the interval's end
    "blocked",  # call with lines: attempts that heard a busy signal
    "callbacks_offered",  # call with callback: callers offered a callback
    "callbacks_accepted",  # ... who accepted (left the line for the callback queue)
    "callbacks_made",  # callbacks started by an agent (filed under the original call)
    "callbacks_due",  # accepted callbacks whose deadline falls inside the horizon
    "callbacks_within",  # ... started by the deadline
    "balked",  # walk-in with balking: customers who left at once, seeing the line
)
_SUMS = (
    "wait_sum",  # seconds, answered contacts
    "abandon_wait_sum",  # seconds, time abandoned contacts waited before hanging up
    "handle_sum",  # seconds, answered contacts
    "response_sum",  # seconds, email: arrival to completion
    "queue_area",  # contact-seconds waiting during the interval (time-weighted)
    "callback_delay_sum",  # seconds, callbacks made: from acceptance to the call back
)


class ChannelTally:
    """Per-interval counters of one channel (lists indexed by global interval).

    Per-contact tallies are filed under the contact's *arrival* interval; ``queue_area``
    and ``backlog`` under the clock interval.
    """

    def __init__(self, n: int):
        for name in _COUNTERS:
            setattr(self, name, [0] * n)
        for name in _SUMS:
            setattr(self, name, [0.0] * n)
        self.wait_hist = [0] * N_WAIT_BINS
        self.response_hist = [0] * N_RESPONSE_BINS
        self.redials_lost = 0

    def arrays(self) -> dict[str, np.ndarray]:
        return {name: np.asarray(getattr(self, name), dtype=float) for name in _COUNTERS + _SUMS}


@dataclass
class IssueTally:
    """Issue-level counts of one origin channel (the first-contact-resolution loop)."""

    issues: int = 0  # new issues (fresh arrivals)
    first_handled: int = 0  # issues whose first contact was handled
    first_resolved: int = 0  # ... and resolved at it
    contacts_handled: int = 0  # handled contacts of these issues, repeats included
    resolved: int = 0  # issues resolved at some contact
    escalated: int = 0
    gave_up: int = 0
    dropped: int = 0  # reached max_contacts unresolved
    repeats_lost: int = 0  # repeat would fall after the horizon
    unresolved_left: int = 0  # unresolved, channel has no loop: nothing more happens

    def as_dict(self) -> dict[str, float]:
        return {f"issue_{k}": float(v) for k, v in self.__dict__.items()}


class GroupTally:
    """Per-interval time-weighted levels of one agent group (agent-seconds)."""

    def __init__(self, n: int):
        self.busy_area = [0.0] * n  # agents with any work
        self.present_area = [0.0] * n  # agents present (available, shrinkage applied)
        self.chat_area = [0.0] * n  # chats held (sum over agents)
        self.chatting_area = [0.0] * n  # agents holding at least one chat
        self.handled = [0] * n  # contacts answered, by the contact's arrival interval

    def arrays(self) -> dict[str, np.ndarray]:
        return {
            name: np.asarray(getattr(self, name), dtype=float)
            for name in ("busy_area", "present_area", "chat_area", "chatting_area", "handled")
        }


@dataclass
class ReplicationStats:
    """Everything one replication measured; small, picklable, aggregated by ``results``."""

    channels: dict[str, dict[str, np.ndarray]]  # channel -> counter -> per-interval array
    channel_scalars: dict[str, dict[str, float]]
    wait_hist: dict[str, np.ndarray]  # channel -> histogram counts of answered waits
    response_hist: dict[str, np.ndarray]  # channel -> histogram of email response times
    groups: dict[str, dict[str, np.ndarray]]  # group -> level -> per-interval array
    # outbound list -> counter -> per-interval array (simulator/outbound/); empty without
    outbound: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    outbound_scalars: dict[str, dict[str, float]] = field(default_factory=dict)


def ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """``num / den`` elementwise, NaN where ``den`` is 0 (a KPI with nothing to measure)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)
