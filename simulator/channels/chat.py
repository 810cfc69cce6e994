"""``chat``: real time; an agent holds up to ``max_concurrency`` chats at once, each
stretched by ``1 + concurrency_slowdown × (chats held − 1)`` at its start. An agent
holding chats takes no calls or emails until all its chats end."""

from __future__ import annotations

from typing import Any

import numpy as np

from simulator.channels.base import CONCURRENT, ChannelKind
from simulator.stats import ratio


def foreign(channel: Any) -> str | None:
    if channel.max_concurrency != 1:
        return f"max_concurrency applies to chat only, not {channel.kind}"
    if channel.concurrency_slowdown:
        return f"concurrency_slowdown applies to chat only, not {channel.kind}"
    return None


def extra_kpis(*, channel: Any, model: Any, reps: list, counted: slice, **_: Any) -> dict:
    """``avg_concurrency``: chats held per agent-second spent chatting, over the groups
    serving the channel."""
    chat_area = sum(
        np.stack([r.groups[model.groups[g].name]["chat_area"] for r in reps])
        for g in channel.groups
    )
    busy_area = sum(
        np.stack([r.groups[model.groups[g].name]["chatting_area"] for r in reps])
        for g in channel.groups
    )
    return {
        "avg_concurrency": ratio(
            chat_area[:, counted].sum(axis=1), busy_area[:, counted].sum(axis=1)
        )
    }


KIND = ChannelKind(
    name="chat",
    service=CONCURRENT,
    default_priority=2,
    summary="real time, several chats per agent (concurrency), each slower",
    own_fields=("max_concurrency", "concurrency_slowdown"),
    foreign=foreign,
    extra_kpis=extra_kpis,
)

__all__ = ["KIND"]
