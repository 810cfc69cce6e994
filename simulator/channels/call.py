"""``call``: inbound voice (a walk-in counter behaves the same). Real time, one contact per
agent; waiting callers abandon when their patience runs out and may redial. Finite
``lines`` give a busy signal (blocked callers may redial); a ``callback`` offer lets a
caller leave the line for a callback queue (virtual hold)."""

from __future__ import annotations

from typing import Any

from simulator.channels.base import SINGLE, ChannelKind
from simulator.stats import ratio


def rules(channel: Any) -> str | None:
    t = channel.targets
    if t.max_blocked_rate is not None and channel.lines is None:
        return "targets.max_blocked_rate needs lines: without them nobody is blocked"
    if t.callback_within_promise is not None and channel.callback is None:
        return "targets.callback_within_promise needs callback"
    return None


def foreign(channel: Any) -> str | None:
    if channel.lines is not None:
        return f"lines applies to call only, not {channel.kind}"
    if channel.callback is not None:
        return f"callback applies to call only, not {channel.kind}"
    t = channel.targets
    if t.max_blocked_rate is not None or t.callback_within_promise is not None:
        return (
            "targets.max_blocked_rate and targets.callback_within_promise apply to call only, "
            f"not {channel.kind}"
        )
    return None


def _counted_kpis(channel: Any, counts: dict) -> dict:
    """Busy signals (with ``lines``) and callbacks (with ``callback``) from their counters:
    horizon totals (one value per replication) or per-interval arrays (replications x
    intervals) alike, so the two tables share one formula. Empty for a channel without
    either, which keeps its rows."""
    out: dict[str, Any] = {}
    if channel.lines is not None:
        out["blocked"] = counts["blocked"]
        out["blocked_rate"] = ratio(counts["blocked"], counts["offered"])
    if channel.callback is not None:
        out["callbacks_offered"] = counts["callbacks_offered"]
        out["callbacks_accepted"] = counts["callbacks_accepted"]
        out["callback_uptake"] = ratio(counts["callbacks_accepted"], counts["callbacks_offered"])
        out["callbacks_made"] = counts["callbacks_made"]
        out["callback_within_promise"] = ratio(counts["callbacks_within"], counts["callbacks_due"])
        out["callback_delay_s"] = ratio(counts["callback_delay_sum"], counts["callbacks_made"])
    return out


def extra_kpis(*, channel: Any, tot: dict, sc: dict, **_: Any) -> dict:
    """Busy signals and callbacks over the horizon, reported only for a channel that has
    them, so every other result keeps its rows."""
    out = _counted_kpis(channel, tot)
    if channel.callback is not None:
        out["callbacks_waiting_at_end"] = sc["callbacks_waiting_at_end"]
    return out


def interval_kpis(*, channel: Any, arrays: dict, **_: Any) -> dict:
    """Busy signals and callbacks per interval. Each counter is filed under the interval in
    which the attempt arrived: a busy signal under the attempt (a redial under its own
    arrival), a callback offer, its acceptance, the callback's delay and whether it was
    made by its deadline under the call that was offered it - when it was made does not
    matter."""
    return _counted_kpis(channel, arrays)


KIND = ChannelKind(
    name="call",
    service=SINGLE,
    default_priority=1,
    summary="inbound voice: one contact per agent, abandonment after patience, redials, "
    "finite lines (busy signals), callbacks",
    own_fields=(
        "lines",
        "callback",
        "targets.max_blocked_rate",
        "targets.callback_within_promise",
    ),
    rules=rules,
    foreign=foreign,
    extra_kpis=extra_kpis,
    interval_kpis=interval_kpis,
)

__all__ = ["KIND"]
