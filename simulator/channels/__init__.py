"""Channel kinds: one module per kind, and this registry, the only list of kinds.

Everything that differs by kind — which fields a channel of the kind may set and its
validation rules (:mod:`simulator.scenario`), how the engine serves it
(:data:`~simulator.channels.base.SINGLE` / ``CONCURRENT`` / ``DEFERRED``), its default
routing priority, the KPIs reported for it and its own extra KPIs
(:mod:`simulator.results`, :mod:`simulator.kpis`) — is read from its
:class:`~simulator.channels.base.ChannelKind`. Adding a kind: a new module here, one line
in :data:`KINDS`, its analytic treatment (``optimizer/analytic.py``), docs and tests.
"""

from __future__ import annotations

from typing import Any, Literal

from simulator.channels import call, chat, email, walk_in
from simulator.channels.base import CONCURRENT, DEFERRED, SINGLE, ChannelKind

KINDS: dict[str, ChannelKind] = {m.KIND.name: m.KIND for m in (call, chat, email, walk_in)}
"""Every channel kind by name, in the order the docs list them."""

KindName = Literal[tuple(KINDS)]  # type: ignore[valid-type]  # "call" | "chat" | "email" | "walk_in"


def kind_problem(channel: Any) -> str | None:
    """The first kind rule ``channel`` (a ``simulator.scenario.Channel``) breaks: its own
    kind's rules, then fields of other kinds it sets."""
    own = KINDS[channel.kind]
    problem = own.rules(channel)
    for other in KINDS.values():
        if problem is None and other is not own:
            problem = other.foreign(channel)
    return problem


def field_applies(kind: str, field: str) -> bool:
    """Whether a channel of ``kind`` may set ``field`` (a path inside the channel)."""
    return all(field not in k.own_fields for k in KINDS.values() if k.name != kind)


__all__ = [
    "CONCURRENT",
    "DEFERRED",
    "KINDS",
    "SINGLE",
    "ChannelKind",
    "KindName",
    "field_applies",
    "kind_problem",
]
