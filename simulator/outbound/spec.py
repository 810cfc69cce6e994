"""The scenario's ``outbound`` section: call lists that blended agent groups dial when
inbound work leaves them idle.

Units are in the key names (``*_minutes``); durations are distributions in seconds
(``mean_seconds``), like handle times. A list is loaded with ``records_per_day`` records
at the start of each day's dialing hours; records not finished carry over to the next day.
"""

from __future__ import annotations

import re
from typing import Literal

import numpy as np
from pydantic import Field

from simulator import limits
from simulator.distributions import Distribution, FrozenModel
from simulator.horizon import DayHours

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")  # as channel and group names

DialerPolicy = Literal["threshold", "predictive"]
"""Dialing policies (see :class:`Dialer`)."""

MAX_RATIO = 10.0
"""Largest predictive ``ratio``: calls in progress per free agent (industry dialers run
1.2-3)."""


class Dialer(FrozenModel):
    """When agents dial. Both policies are inbound first: only agents of groups with no
    inbound contact waiting count, and ``threshold`` idle agents of the list's groups are
    kept free for inbound arrivals.

    * ``threshold`` (progressive): one attempt per idle agent above the threshold; the agent
      is reserved for the whole attempt (a failed attempt costs it ``failed_attempt_time``,
      a connect ``handle_time``), so no answered customer ever waits. No pre-emption.
    * ``predictive``: the dialer keeps ``ratio × (idle agents − threshold)`` calls ringing
      (rounded up); agents are not reserved while calls ring. A right party answers after
      ``answer_time`` and is put through to any idle agent of the list's groups whose groups
      have no inbound work waiting (the reserve too: a live customer is never kept for a
      possible inbound call); if there is none, the call is abandoned at once (a nuisance or
      silent call, counted) and the record is retried like a failed attempt. Failed
      attempts ring for ``failed_attempt_time`` and cost no agent time.
    """

    policy: DialerPolicy = "threshold"
    threshold: int = Field(
        0,
        ge=0,
        le=limits.MAX_AGENTS_PER_GROUP,
        description="Idle agents kept free for inbound: dial only while more are idle.",
    )
    ratio: float | None = Field(
        None,
        ge=1.0,
        le=MAX_RATIO,
        description="Predictive only: calls kept in progress per idle agent above the "
        "threshold (1 = one call per free agent; 1.5 = half as many again).",
    )


class OutboundTargets(FrozenModel):
    """Outbound goals, judged by ``staffsim simulate`` over the horizon; ``staffsim
    optimize`` searches for them (dialing capacity in its master program,
    :mod:`optimizer.outbound`)."""

    min_connects_per_hour: float | None = Field(
        None, gt=0, le=1e6, description="Right-party connects per hour of dialing window."
    )
    min_list_completion: float | None = Field(
        None, gt=0, le=1, description="Records finished / records loaded, at least."
    )
    max_nuisance_rate: float | None = Field(
        None,
        ge=0,
        le=1,
        description="Predictive dialer: abandoned (nuisance) calls / live-answered calls, at "
        "most (UK Ofcom and US TSR: 0.03).",
    )


class OutboundList(FrozenModel):
    """One outbound call list (a campaign: collections, renewals, surveys)."""

    records_per_day: int = Field(
        ge=0,
        le=limits.MAX_EXPECTED_CONTACTS,
        description="Records added to the list at the start of each day's dialing hours.",
    )
    right_party_connect: float = Field(
        ge=0, le=1, description="Probability an attempt reaches the right person."
    )
    handle_time: Distribution = Field(
        description="A connect: talk + wrap-up, seconds, for every dialing agent."
    )
    failed_attempt_time: Distribution = Field(
        description="An attempt without a right-party connect (ring, no answer, voicemail, "
        "wrong party): agent seconds spent on it (threshold dialer); seconds the line rings "
        "before the dialer gives up, no agent time (predictive dialer)."
    )
    answer_time: Distribution | None = Field(
        None,
        description="Predictive dialer only: seconds a right-party call rings before it is "
        "answered (omitted: answered at once).",
    )
    max_attempts: int = Field(
        3, ge=1, le=limits.MAX_ATTEMPTS, description="Attempts per record, first included."
    )
    retry_delay_minutes: float = Field(
        120.0,
        ge=0,
        le=limits.MAX_DURATION_S / 60,
        description="A failed record may be dialled again this long after the failed attempt.",
    )
    groups: tuple[str, ...] = Field(
        min_length=1, description="Agent groups that dial this list (blended with inbound)."
    )
    hours: DayHours | None = Field(
        None, description="Dialing hours, HH:MM; omitted = the centre's opening hours."
    )
    dialer: Dialer = Dialer()
    targets: OutboundTargets = OutboundTargets()


def outbound_problems(scenario: object) -> list[str]:
    """Cross-references of the ``outbound`` section of a ``simulator.scenario.Scenario``:
    list names, dialing groups that exist (once each), and dialing hours inside the
    centre's opening hours (attempts must fall in the result's intervals)."""
    from simulator.clock import clock_label, parse_clock
    from simulator.messages import suggest

    lists: dict[str, OutboundList] = getattr(scenario, "outbound", None) or {}
    groups = scenario.agent_groups  # type: ignore[attr-defined]
    horizon = scenario.horizon  # type: ignore[attr-defined]
    problems = []
    for name, spec in lists.items():
        where = f"outbound.{name}"
        if not _NAME.fullmatch(name):
            problems.append(f"{where}: names use letters, digits, _ and - (got {name!r})")
        if name in groups or name in scenario.channels:  # type: ignore[attr-defined]
            problems.append(
                f"{where}: the name is already a channel or agent group; results key KPIs by "
                "name, so give the list its own"
            )
        for g in spec.groups:
            if g not in groups:
                problems.append(f"{where}.groups: unknown agent group {g!r}{suggest(g, groups)}")
        if len(set(spec.groups)) != len(spec.groups):
            problems.append(f"{where}.groups: a group is listed twice")
        most = spec.records_per_day * spec.max_attempts * horizon.days
        if most > limits.MAX_EXPECTED_CONTACTS:
            problems.append(
                f"{where}.records_per_day: {spec.records_per_day:,} records a day x "
                f"{spec.max_attempts} attempts x {horizon.days} days allow {most:,} attempts; "
                f"at most {limits.MAX_EXPECTED_CONTACTS:,} per run (the simulation's memory "
                "does not grow with them, its run time does)"
            )
        d = spec.dialer
        if d.policy == "predictive":
            if d.ratio is None:
                problems.append(
                    f"{where}.dialer.ratio: the predictive dialer needs a ratio (calls kept in "
                    "progress per idle agent above the threshold, at least 1, e.g. 1.3)"
                )
            most_agents = _most_agents(scenario, spec.groups)
            if d.threshold >= most_agents:
                problems.append(
                    f"{where}.dialer.threshold: {d.threshold} idle agents kept, but the "
                    f"dialing groups never have more than {most_agents} agents, so the list "
                    "would never be dialled"
                )
        else:
            if d.ratio is not None:
                problems.append(
                    f"{where}.dialer.ratio: only the predictive policy dials a ratio; set "
                    "dialer.policy: predictive, or remove the ratio"
                )
            if spec.answer_time is not None:
                problems.append(
                    f"{where}.answer_time: only the predictive dialer rings without an agent; "
                    "the threshold dialer's agent time of a connect is its handle_time"
                )
            if spec.targets.max_nuisance_rate is not None:
                problems.append(
                    f"{where}.targets.max_nuisance_rate: the threshold dialer never abandons a "
                    "customer; set dialer.policy: predictive, or remove the target"
                )
        if spec.hours is not None:
            a, b = parse_clock(spec.hours.open), parse_clock(spec.hours.close)
            if a < horizon.open_s or b > horizon.close_s:
                problems.append(
                    f"{where}.hours: {spec.hours.open}-{spec.hours.close} must lie inside the "
                    f"centre's opening hours ({clock_label(horizon.open_s)}-"
                    f"{clock_label(horizon.close_s)}); agents dial "
                    "only while the centre is open"
                )
    return problems


def _most_agents(scenario: object, groups: tuple[str, ...]) -> int:
    """An upper bound of the agents the dialing ``groups`` ever have on duty together: each
    group's largest headcount of its staffing grid, or all its shifts' agents at once."""
    total = 0
    for name in groups:
        group = scenario.agent_groups.get(name)  # type: ignore[attr-defined]
        if group is None:
            continue
        if group.staffing is not None:
            total += int(np.max(np.asarray(group.staffing, dtype=float)))
        else:
            total += sum(shift.count for shift in group.shifts or ())
    return total


__all__ = [
    "MAX_RATIO",
    "Dialer",
    "DialerPolicy",
    "OutboundList",
    "OutboundTargets",
    "outbound_problems",
]
