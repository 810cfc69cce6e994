"""``call``: inbound voice (a walk-in counter behaves the same). Real time, one contact per
agent; waiting callers abandon when their patience runs out and may redial."""

from __future__ import annotations

from simulator.channels.base import SINGLE, ChannelKind

KIND = ChannelKind(
    name="call",
    service=SINGLE,
    default_priority=1,
    summary="inbound voice: one contact per agent, abandonment after patience, redials",
)

__all__ = ["KIND"]
