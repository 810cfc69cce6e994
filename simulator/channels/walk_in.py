"""``walk_in``: a counter in a branch (bank, utility, town hall). Real time, one customer
per agent, like a call: waiting customers leave when their patience runs out (reneging).
What differs:

* its own opening hours (``hours``, see :mod:`simulator.channels.hours`): customers walk in
  only while the counter is open; those inside at closing are still served;
* **balking**: a customer who finds every agent busy looks at the line and may leave at
  once, with a probability that depends on the number waiting (``balking``, see
  :mod:`simulator.channels.balking`); drawn from a stream of its own;
* no redial by default (a customer who left may come back another day: set ``redial``).

KPIs as for calls plus ``balked`` and ``balk_rate`` (balked / offered); a balked customer
is a lost customer and stays in the service level's denominator (see
``docs/results-format.md``). Target ``max_balk_rate``.
"""

from __future__ import annotations

from typing import Any

from simulator.channels.base import SINGLE, ChannelKind
from simulator.stats import ratio


def rules(channel: Any) -> str | None:
    if channel.targets.max_balk_rate is not None and channel.balking is None:
        return "targets.max_balk_rate needs balking: without it nobody balks"
    return None


def foreign(channel: Any) -> str | None:
    if channel.balking is not None or channel.targets.max_balk_rate is not None:
        return f"balking and targets.max_balk_rate apply to walk_in only, not {channel.kind}"
    return None


def _balk_kpis(channel: Any, counts: dict) -> dict:
    """Balking from its counters, over the horizon or per interval alike; empty for a
    counter without ``balking`` (every other result keeps its rows). ``channel`` is the
    compiled :class:`simulator.model.ChannelModel`."""
    if channel.balk_table is None:
        return {}
    return {"balked": counts["balked"], "balk_rate": ratio(counts["balked"], counts["offered"])}


def extra_kpis(*, channel: Any, tot: dict, **_: Any) -> dict:
    """Balking over the horizon (one value per replication)."""
    return _balk_kpis(channel, tot)


def interval_kpis(*, channel: Any, arrays: dict, **_: Any) -> dict:
    """Balking per interval, filed under the interval the customer walked in (a customer
    who comes back later is a new arrival in that later interval)."""
    return _balk_kpis(channel, arrays)


KIND = ChannelKind(
    name="walk_in",
    service=SINGLE,
    default_priority=1,
    summary="walk-in counter: one customer per agent, its own opening hours, customers "
    "leave a long line (balking) or when their patience runs out",
    own_fields=("balking", "targets.max_balk_rate"),
    rules=rules,
    foreign=foreign,
    extra_kpis=extra_kpis,
    interval_kpis=interval_kpis,
)

__all__ = ["KIND"]
