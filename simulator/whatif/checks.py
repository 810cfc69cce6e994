"""Checks before a simulation runs: expected contacts, the expected load and staffing per
interval, and intervals with load but nobody on duty."""

from __future__ import annotations

import numpy as np
import pandas as pd

from simulator.channels import KINDS
from simulator.model import ChannelModel, CompiledModel, compile_scenario
from simulator.outbound.model import compile_outbound
from simulator.scenario import Scenario


def expected_contacts(scenario: Scenario) -> dict[str, float]:
    """Expected first contacts per channel over the horizon of one replication (arrival
    volumes × scale, closed-hours email included; redials and repeat contacts come on top):
    :meth:`Scenario.expected_contacts`."""
    return scenario.expected_contacts()


def estimate_contacts(scenario: Scenario, replications: int) -> float:
    """Expected first contacts of a whole run: sum of expected volumes × replications. The
    cost of a simulation grows with this number (see the app's cap)."""
    return sum(expected_contacts(scenario).values()) * replications


def arrival_profile(scenario: Scenario) -> pd.DataFrame:
    """Expected load per channel and interval, before simulating.

    Columns: channel, kind, day, interval, start (``HH:MM``), contacts (expected first
    contacts in the interval, scale applied), erlangs (contacts × mean handle time /
    interval length: the agents kept busy on average, at proficiency factor 1).
    """
    model = compile_scenario(scenario)
    rows = []
    for ch in model.channels:
        volume = np.asarray(ch.rate_per_s) * model.interval_s
        for k, v in enumerate(volume):
            day, index = divmod(k, model.intervals_per_day)
            rows.append(
                (
                    ch.name,
                    ch.kind,
                    day,
                    index,
                    scenario.horizon.interval_label(index),
                    float(v),
                    float(v * _handle_mean(ch, k) / model.interval_s),
                )
            )
    return pd.DataFrame(
        rows, columns=["channel", "kind", "day", "interval", "start", "contacts", "erlangs"]
    )


def _handle_mean(ch: ChannelModel, k: int) -> float:
    """Mean handle time (s) of contacts filed in global interval ``k``."""
    if ch.handle_scale is None:
        return ch.handle.mean_s
    return ch.handle.mean_s * float(ch.handle_scale[k])


def staffing_profile(scenario: Scenario) -> pd.DataFrame:
    """Agents per group and interval as the scenario staffs them (headcounts or shifts).

    Columns: group, day, interval, start, on_duty (time-average paid agents in the
    interval, unpaid breaks excluded), available (on_duty × (1 − shrinkage)).
    """
    model = compile_scenario(scenario)
    interval_h = model.interval_s / 3600
    rows = []
    for grp in model.groups:
        for k, paid_h in enumerate(np.asarray(grp.paid_hours_per_interval)):
            day, index = divmod(k, model.intervals_per_day)
            agents = float(paid_h / interval_h)
            rows.append(
                (
                    grp.name,
                    day,
                    index,
                    scenario.horizon.interval_label(index),
                    agents,
                    agents * (1 - grp.shrinkage),
                )
            )
    return pd.DataFrame(rows, columns=["group", "day", "interval", "start", "on_duty", "available"])


def load_warnings(scenario: Scenario) -> list[str]:
    """Plain-words warnings about a plan that cannot work, found without simulating:
    real-time contacts expected in intervals where no skilled agent is on duty (or fewer
    than the channel's ``min_agents_while_open``), and intervals whose offered load
    (Erlangs) exceeds the agents available.

    Emails are left out: they wait in a backlog by design and are worked in idle time.
    """
    model = compile_scenario(scenario)
    horizon = scenario.horizon
    interval_h = model.interval_s / 3600
    on_duty = {g.index: np.asarray(g.paid_hours_per_interval) / interval_h for g in model.groups}
    available = sum(
        (on_duty[g.index] * (1 - g.shrinkage) for g in model.groups),
        start=np.zeros(model.n_intervals),
    )

    label = horizon.label

    warnings: list[str] = []
    load = np.zeros(model.n_intervals)
    for ch in model.channels:
        if not KINDS[ch.kind].realtime:
            continue
        volume = np.asarray(ch.rate_per_s) * model.interval_s
        skilled = sum((on_duty[g] for g in ch.groups), start=np.zeros(model.n_intervals))
        empty = np.flatnonzero((volume > 0) & (skilled <= 0))
        if len(empty):
            lost = float(volume[empty].sum())
            warnings.append(
                f"channels.{ch.name}: {len(empty)} interval(s) with about {lost:,.0f} expected "
                f"contacts but no skilled agent on duty (first at {label(int(empty[0]))}); "
                "these customers wait or abandon"
            )
        least = scenario.channels[ch.name].min_agents_open
        thin = np.flatnonzero((volume > 0) & (skilled > 0) & (skilled < least - 1e-9))
        if len(thin):
            warnings.append(
                f"channels.{ch.name}: {len(thin)} interval(s) with fewer than the "
                f"{least} skilled agents on duty min_agents_while_open asks for (first at "
                f"{label(int(thin[0]))}: {skilled[thin[0]]:.1f})"
            )
        concurrency = getattr(ch, "max_concurrency", 1) or 1
        mean = ch.handle.mean_s if ch.handle_scale is None else ch.handle.mean_s * ch.handle_scale
        load += volume * mean / model.interval_s / concurrency
    warnings += _idle_dialers(scenario, model, on_duty)
    over = np.flatnonzero((load > available + 1e-9) & (load > 0))
    if len(over):
        worst = int(over[np.argmax(load[over] - available[over])])
        warnings.append(
            f"{len(over)} interval(s) where the offered load exceeds the agents available "
            f"(worst {label(worst)}: {load[worst]:.1f} Erlangs of calls and chats for "
            f"{available[worst]:.1f} agents after shrinkage); queues will grow there"
        )
    return warnings


def _idle_dialers(scenario: Scenario, model: CompiledModel, on_duty: dict) -> list[str]:
    """Outbound lists whose dialer can never start an attempt: the threshold dialer keeps
    ``threshold`` agents of the dialing groups idle, so with no more than that on duty in
    every dialing interval the list is never dialled (a threshold of 10 on a team of 8)."""
    out = []
    for spec in compile_outbound(scenario):
        dialing = spec.dial_s > 0
        if spec.records_per_day == 0 or not dialing.any():
            continue
        team = sum((on_duty[g] for g in spec.groups), start=np.zeros(model.n_intervals))
        most = float(team[dialing].max())
        if most <= spec.threshold:
            out.append(
                f"outbound.{spec.name}.dialer.threshold: {spec.threshold} idle agents are kept "
                f"for inbound, and its dialing groups have at most {most:g} on duty while it "
                "dials; the list is never dialled"
            )
    return out
