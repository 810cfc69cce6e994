"""The KPI catalogue: every KPI staffsim reports, once — its unit, which way is better, the
scenario field that sets a target on it, which channel kinds report it, and what it means.

Results (:mod:`simulator.results`), targets (:mod:`simulator.targets`), the comparison
tables (:mod:`simulator.whatif`) and the app read units, directions and kinds from here;
``docs/results-format.md`` states the full definitions. Which KPIs each table has, in
order, is :data:`CHANNEL_KPIS`, :data:`CHANNEL_INTERVAL_KPIS`, :data:`GROUP_KPIS`,
:data:`GROUP_INTERVAL_KPIS` and :data:`OVERALL_KPIS`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

Unit = Literal[
    "contacts", "share", "seconds", "chats", "agents", "agent-hours", "currency", "per hour"
]
Applies = Literal["all", "realtime", "deferred", "concurrent", "single", "call", "walk_in"]


@dataclass(frozen=True)
class Kpi:
    """One KPI. ``higher_is_better`` is None where neither way is a goal (volumes);
    ``target`` is the scenario field that sets a target on it (``channels.<c>.targets.…``
    or ``agent_groups.<g>.…``); ``applies`` which channel kinds report it: every kind,
    real-time kinds (call, chat), deferred kinds (email), concurrent kinds (chat) or
    one-contact-per-agent real-time kinds (call, walk_in), or one kind by name (``call``:
    lines and callbacks; ``walk_in``: balking — reported only when the channel has the
    feature) — see :class:`simulator.channels.base.ChannelKind`."""

    name: str
    unit: Unit
    description: str
    higher_is_better: bool | None = None
    target: str | None = None
    applies: Applies = "all"

    @property
    def is_share(self) -> bool:
        """A fraction (0.8), shown as a percentage (80.0%)."""
        return self.unit == "share"

    @property
    def sense(self) -> Literal[">=", "<="]:
        """How a target on this KPI reads: ``>=`` goal when higher is better."""
        return ">=" if self.higher_is_better else "<="

    def applies_to(self, kind: Any) -> bool:
        """Whether a channel of ``kind`` (a :class:`simulator.channels.base.ChannelKind`: its
        ``realtime``, ``deferred`` and ``concurrent`` traits) reports this KPI."""
        if self.applies == "all":
            return True
        if self.applies in ("call", "walk_in"):
            return kind.name == self.applies
        return bool(getattr(kind, self.applies))


def _k(*args, **kwargs) -> Kpi:
    return Kpi(*args, **kwargs)


_CATALOGUE = (
    _k("offered", "contacts", "contacts offered (attempts, redials included)"),
    _k("answered", "contacts", "contacts answered"),
    _k("abandoned", "contacts", "contacts abandoned while waiting", False, applies="realtime"),
    _k(
        "abandon_rate",
        "share",
        "abandoned / offered",
        False,
        "channels.<c>.targets.max_abandon_rate",
        "realtime",
    ),
    _k(
        "service_level",
        "share",
        "share answered within T (definition in the result header)",
        True,
        "channels.<c>.targets.service_level",
        "realtime",
    ),
    _k(
        "p_wait",
        "share",
        "share of offered contacts not answered at once (waited, abandoned or left)",
        False,
        applies="realtime",
    ),
    _k(
        "asa_s",
        "seconds",
        "average speed of answer of answered contacts, seconds",
        False,
        "channels.<c>.targets.max_asa_seconds",
    ),
    _k(
        "mean_wait_all_s",
        "seconds",
        "mean wait of answered and abandoned contacts (Erlang A's mean wait), seconds",
        False,
        applies="realtime",
    ),
    _k("wait_p50_s", "seconds", "median wait of answered contacts, seconds", False),
    _k("wait_p90_s", "seconds", "90th percentile wait of answered contacts, seconds", False),
    _k("wait_p95_s", "seconds", "95th percentile wait of answered contacts, seconds", False),
    _k("aht_s", "seconds", "average handle time of answered contacts, seconds"),
    _k("resolved_at_contact", "share", "share of handled contacts that resolved the issue", True),
    _k(
        "fcr",
        "share",
        "first-contact resolution: issues resolved at their first contact / "
        "first contacts handled (issues that came in on this channel)",
        True,
        "channels.<c>.targets.min_fcr",
    ),
    _k(
        "repeat_rate", "share", "offered contacts that were repeats or escalations / offered", False
    ),
    _k(
        "contacts_per_issue",
        "contacts",
        "handled contacts per issue whose first contact was handled",
        False,
    ),
    _k(
        "unresolved_issue_share",
        "share",
        "issues not resolved within the horizon / new issues",
        False,
    ),
    _k("redials", "contacts", "offered attempts that were redials", applies="realtime"),
    _k(
        "repeats",
        "contacts",
        "offered contacts that were repeats of unresolved issues or escalations",
    ),
    _k(
        "unanswered_at_close",
        "contacts",
        "contacts still waiting at closing and not served",
        False,
        applies="realtime",
    ),
    _k("waiting_at_end", "contacts", "contacts still waiting when the simulation ended"),
    _k("mean_queue_length", "contacts", "time-average number waiting during opening hours", False),
    _k(
        "within_promise",
        "share",
        "email: answered by the promise / emails due within the horizon",
        True,
        "channels.<c>.targets.within_promise",
        "deferred",
    ),
    _k(
        "response_mean_s",
        "seconds",
        "email: mean time from arrival to answer (completion), seconds",
        False,
        applies="deferred",
    ),
    _k(
        "response_p90_s",
        "seconds",
        "email: 90th percentile response time, seconds",
        False,
        applies="deferred",
    ),
    _k(
        "backlog_at_end",
        "contacts",
        "email: emails not yet answered when the horizon ends",
        False,
        applies="deferred",
    ),
    _k(
        "avg_concurrency",
        "chats",
        "chat: average chats held by an agent while chatting",
        applies="concurrent",
    ),
    _k(
        "blocked",
        "contacts",
        "call with lines: attempts that heard a busy signal (lines full)",
        False,
        applies="call",
    ),
    _k(
        "blocked_rate",
        "share",
        "call with lines: blocked / offered",
        False,
        "channels.<c>.targets.max_blocked_rate",
        "call",
    ),
    _k(
        "callbacks_offered",
        "contacts",
        "call with callback: callers offered a callback instead of holding",
        applies="call",
    ),
    _k(
        "callbacks_accepted",
        "contacts",
        "call with callback: offered callers who accepted and left the line",
        applies="call",
    ),
    _k(
        "callback_uptake",
        "share",
        "call with callback: callbacks accepted / offered",
        applies="call",
    ),
    _k(
        "callbacks_made",
        "contacts",
        "call with callback: callbacks an agent made (by the original call's interval)",
        applies="call",
    ),
    _k(
        "callback_within_promise",
        "share",
        "call with callback: callbacks made by their deadline / accepted callbacks due "
        "within the horizon",
        True,
        "channels.<c>.targets.callback_within_promise",
        "call",
    ),
    _k(
        "callback_delay_s",
        "seconds",
        "call with callback: mean time from accepting to being called back, seconds",
        False,
        applies="call",
    ),
    _k(
        "callbacks_waiting_at_end",
        "contacts",
        "call with callback: accepted callbacks not yet made when the simulation ended",
        False,
        applies="call",
    ),
    _k(
        "balked",
        "contacts",
        "walk-in with balking: customers who saw the line and left at once",
        False,
        applies="walk_in",
    ),
    _k(
        "balk_rate",
        "share",
        "walk-in with balking: balked / offered",
        False,
        "channels.<c>.targets.max_balk_rate",
        "walk_in",
    ),
    _k("backlog", "contacts", "contacts waiting or in service at the end of the interval"),
    _k(
        "occupancy",
        "share",
        "busy time / time present (available agents); an agent holding any chat counts as busy",
        False,
        "agent_groups.<g>.max_occupancy",
    ),
    _k("agents_available", "agents", "time-average agents present and available"),
    _k("handled", "contacts", "contacts answered by the group"),
    _k("paid_hours", "agent-hours", "paid agent-hours (shrinkage included)", False),
    _k("cost", "currency", "paid hours x cost per hour", False),
    # Outbound lists (table ``outbound``; simulator/outbound/)
    _k("attempts", "contacts", "outbound: dial attempts started"),
    _k("connects", "contacts", "outbound: right-party connects (talked)", True),
    _k("connects_per_hour", "per hour", "outbound: connects per hour of dialing window", True),
    _k(
        "right_party_rate",
        "share",
        "outbound: right parties reached / attempts (predictive dialer: nuisance calls "
        "included, they reached the right party)",
    ),
    _k(
        "nuisance_calls",
        "contacts",
        "outbound, predictive dialer: right parties who answered when no agent was free and "
        "were abandoned at once (silent or nuisance calls)",
        False,
    ),
    _k(
        "nuisance_rate",
        "share",
        "outbound, predictive dialer: nuisance calls / live-answered calls (connects + "
        "nuisance calls), the rate Ofcom and the US TSR cap at 3%",
        False,
        "outbound.<l>.targets.max_nuisance_rate",
    ),
    _k(
        "list_completion",
        "share",
        "outbound: records finished (connected, or out of attempts) / records loaded, "
        "over the whole horizon (warm-up included: a list is a stock, not a flow)",
        True,
    ),
    _k("records_left_at_end", "contacts", "outbound: records not finished at the end", False),
    _k(
        "outbound_agent_hours",
        "agent-hours",
        "outbound: agent time on attempts and connects, in opening hours",
    ),
    _k(
        "outbound_occupancy",
        "share",
        "outbound: agent time on the list / time present of its dialing groups (part of "
        "those groups' occupancy)",
    ),
)

KPIS: dict[str, Kpi] = {k.name: k for k in _CATALOGUE}
"""Every KPI by name."""

CHANNEL_KPIS: tuple[str, ...] = tuple(
    k.name for k in _CATALOGUE[: [k.name for k in _CATALOGUE].index("backlog")]
)
"""Rows of a channel in ``channels``, in the order tables list them (kinds permitting)."""
CHANNEL_INTERVAL_KPIS = (
    "offered",
    "answered",
    "abandoned",
    "abandon_rate",
    "service_level",
    "asa_s",
    "mean_queue_length",
    "blocked",
    "blocked_rate",
    "callbacks_offered",
    "callbacks_accepted",
    "callback_within_promise",
    "callback_delay_s",
    "balked",
    "balk_rate",
    "backlog",
)
"""Rows of a channel per interval in ``intervals`` (kinds and features permitting: busy
signals only with ``lines``, callbacks only with ``callback``, balking only with
``balking``; see each kind's ``interval_kpis``)."""
GROUP_KPIS = ("occupancy", "agents_available", "handled", "paid_hours", "cost")
"""Rows of an agent group in ``groups``."""
GROUP_INTERVAL_KPIS = ("occupancy", "agents_available", "handled", "paid_hours")
"""Rows of an agent group per interval in ``group_intervals``."""
OVERALL_KPIS = ("offered", "answered", "abandoned", "abandon_rate", "fcr", "paid_hours", "cost")
"""Rows of ``overall`` (all channels, all groups)."""

OUTBOUND_KPIS = (
    "attempts",
    "connects",
    "connects_per_hour",
    "right_party_rate",
    "list_completion",
    "records_left_at_end",
    "outbound_agent_hours",
    "outbound_occupancy",
)
"""Rows of an outbound list in ``outbound``."""
OUTBOUND_INTERVAL_KPIS = ("attempts", "connects", "connects_per_hour", "outbound_occupancy")
"""Rows of an outbound list per interval in ``outbound_intervals``."""
PREDICTIVE_KPIS = ("nuisance_calls", "nuisance_rate")
"""Rows a list with the predictive dialer adds, in ``outbound`` and ``outbound_intervals``
(a threshold dialer never abandons a customer, so its tables do not carry them)."""

SHARE_KPIS = frozenset(k.name for k in _CATALOGUE if k.is_share)
"""KPIs that are fractions, shown as percentages."""


def ci_bounds(kpi: Any, mean: Any, half: Any) -> tuple[np.ndarray, np.ndarray]:
    """The 95% confidence interval ``mean ∓ half``, clipped to the values the KPI can take.

    Every KPI is a count, a share, a time, a level or money, so none is below 0, and a share
    is at most 1. The symmetric t-interval of a rate near 0 (abandonment at 0.6% ± 0.8)
    would otherwise read "-0.2% – 1.4%": the true mean cannot be there, and a planner reads
    it as a bug. ``kpi`` is one name or one per ``mean``; the half-width itself stays
    symmetric (``ci_half_width``).
    """
    mean, half = np.asarray(mean, dtype=float), np.asarray(half, dtype=float)
    share = (
        np.isin(np.asarray(kpi, dtype=object), list(SHARE_KPIS))
        if not isinstance(kpi, str)
        else np.full(mean.shape, kpi in SHARE_KPIS)
    )
    low = np.maximum(mean - half, 0.0)
    high = np.where(share, np.minimum(mean + half, 1.0), mean + half)
    return low, high


__all__ = [
    "CHANNEL_INTERVAL_KPIS",
    "CHANNEL_KPIS",
    "GROUP_INTERVAL_KPIS",
    "GROUP_KPIS",
    "KPIS",
    "OUTBOUND_INTERVAL_KPIS",
    "OUTBOUND_KPIS",
    "OVERALL_KPIS",
    "PREDICTIVE_KPIS",
    "SHARE_KPIS",
    "Kpi",
    "ci_bounds",
]
