"""Exact KPIs of a blended team: inbound calls plus a threshold dialer, as a continuous-time
Markov chain solved numerically. The reference for the simulator's outbound model; it
shares no code with the engine.

Model: ``c`` agents; Poisson inbound calls at ``rate_per_hour``, exponential handle time
(mean ``aht_s``) and exponential patience (mean ``patience_s``); an endless outbound list
dialled by the threshold dialer: whenever more than ``threshold`` agents are idle (so no
call waits), each idle agent above the threshold starts an attempt at once; an attempt
reaches the right party with probability ``rpc`` and then takes an exponential talk time
(mean ``connect_s``), else an exponential ``failed_s``. Agents are reserved for their
attempt and never pre-empted; a freed agent takes a waiting call first.

State ``(n, f, o)``: calls in the system (in service + waiting), agents on failed
attempts, agents on connects. Calls in service ``b = min(n, c − f − o)``, waiting
``n − b``. Dialing is instantaneous: after every event the chain moves, with binomial
probabilities, to the state where the new attempts have started. The number of calls is
truncated at ``n_max`` (the default leaves a tail mass below 1e-12 in the cases we use;
the result reports it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from simulator.queueing.finite import stationary_distribution


@dataclass(frozen=True)
class BlendingKpis:
    """Steady-state KPIs of :func:`threshold_dialer_kpis` (rates per hour)."""

    p_wait: float  # an arriving call finds no idle agent (PASTA)
    p_abandon: float  # abandoned / offered calls
    mean_queue_length: float  # calls waiting, time average
    connects_per_hour: float
    attempts_per_hour: float
    occupancy: float  # (calls in service + agents on attempts) / c
    outbound_occupancy: float  # agents on attempts / c
    tail_mass: float  # probability of the truncation level n_max (should be ~0)


def threshold_dialer_kpis(
    agents: int,
    rate_per_hour: float,
    aht_s: float,
    patience_s: float,
    threshold: int,
    rpc: float,
    connect_s: float,
    failed_s: float,
    n_max: int | None = None,
) -> BlendingKpis:
    """Solve the chain described in the module docstring (times in seconds)."""
    if agents < 1 or not 0 <= threshold < agents or not 0 <= rpc <= 1:
        raise ValueError("need agents >= 1, 0 <= threshold < agents and 0 <= rpc <= 1")
    c = agents
    lam = rate_per_hour / 3600
    mu, theta = 1 / aht_s, 1 / patience_s
    alpha, beta = 1 / failed_s, 1 / connect_s
    if n_max is None:  # calls in system: agents plus a generous queue (abandonment bounds it)
        n_max = c + max(60, int(12 * lam / theta) + 60)

    def stable(n: int, f: int, o: int) -> bool:
        return max(0, c - f - o - n) <= threshold

    states = [
        (n, f, o)
        for n in range(n_max + 1)
        for f in range(c + 1)
        for o in range(c + 1 - f)
        if stable(n, f, o)
    ]
    index = {s: i for i, s in enumerate(states)}
    binom = [
        [math.comb(k, j) * rpc**j * (1 - rpc) ** (k - j) for j in range(k + 1)]
        for k in range(c + 1)
    ]

    def settle(n: int, f: int, o: int) -> list[tuple[int, float]]:
        """Post-dial states (and probabilities) of the pre-dial state (n, f, o)."""
        k = max(0, c - f - o - n) - threshold
        if k <= 0:
            return [(index[(n, f, o)], 1.0)]
        return [(index[(n, f + k - j, o + j)], binom[k][j]) for j in range(k + 1)]

    rows, cols, vals = [], [], []
    for i, (n, f, o) in enumerate(states):
        b = min(n, c - f - o)
        q = n - b
        events = []
        if n < n_max:
            events.append((lam, (n + 1, f, o)))
        if b:
            events.append((b * mu, (n - 1, f, o)))
        if q:
            events.append((q * theta, (n - 1, f, o)))
        if f:
            events.append((f * alpha, (n, f - 1, o)))
        if o:
            events.append((o * beta, (n, f, o - 1)))
        for rate, target in events:
            for j, p in settle(*target):
                if j != i:
                    rows.append(i)
                    cols.append(j)
                    vals.append(rate * p)
    pi = stationary_distribution(rows, cols, vals, len(states))
    arr = np.array(states)
    n, f, o = arr[:, 0], arr[:, 1], arr[:, 2]
    b = np.minimum(n, c - f - o)
    queue = n - b
    mean_q = float(pi @ queue)
    return BlendingKpis(
        p_wait=float(pi[n >= c - f - o].sum()),
        p_abandon=theta * mean_q / lam,
        mean_queue_length=mean_q,
        connects_per_hour=3600 * beta * float(pi @ o),
        attempts_per_hour=3600 * (alpha * float(pi @ f) + beta * float(pi @ o)),
        occupancy=float(pi @ (b + f + o)) / c,
        outbound_occupancy=float(pi @ (f + o)) / c,
        tail_mass=float(pi[n == n_max].sum()),
    )


@dataclass(frozen=True)
class PredictiveKpis:
    """Steady-state KPIs of :func:`predictive_dialer_kpis` (rates per hour)."""

    p_wait: float  # an arriving call finds no idle agent (PASTA)
    p_abandon: float  # abandoned / offered inbound calls
    mean_queue_length: float  # inbound calls waiting, time average
    connects_per_hour: float  # answered right parties put through to an agent
    nuisance_per_hour: float  # answered right parties abandoned: no agent free
    attempts_per_hour: float
    nuisance_rate: float  # nuisance / (connects + nuisance)
    occupancy: float  # (calls in service + agents on outbound talk) / c
    outbound_occupancy: float  # agents on outbound talk / c
    mean_ringing: float  # calls ringing, time average
    tail_mass: float  # probability of the truncation level n_max (should be ~0)


def predictive_dialer_kpis(
    agents: int,
    rate_per_hour: float,
    aht_s: float,
    patience_s: float,
    threshold: int,
    ratio: float,
    rpc: float,
    connect_s: float,
    failed_s: float,
    answer_s: float,
    n_max: int | None = None,
) -> PredictiveKpis:
    """Exact KPIs of a blended team with a predictive dialer (times in seconds), the
    reference for ``dialer: {policy: predictive}``; shares no code with the engine.

    Model: inbound as in :func:`threshold_dialer_kpis`; an endless list; after every event
    the dialer tops the calls ringing up to ``ceil(ratio × (idle − threshold))`` (nothing
    when ``idle ≤ threshold``; inbound first: an agent is idle only when no call waits).
    A dialled call is a right party with probability ``rpc`` and then rings an exponential
    ``answer_s``, else an exponential ``failed_s`` and ends. An answered right party takes
    an idle agent (any, the threshold's reserve too) for an exponential ``connect_s``; with
    no idle agent it is abandoned (a nuisance call). Ringing calls hold no agent.

    State ``(n, o, a, f)``: inbound calls in the system, agents on outbound talk, calls
    ringing that will be answered, calls ringing that will fail. Calls in service
    ``b = min(n, c − o)``, idle agents ``c − o − b``. Dialing is instantaneous: the ``k``
    new calls split binomially into answers and failures.
    """
    if agents < 1 or not 0 <= threshold < agents or not 0 <= rpc <= 1 or ratio < 1:
        raise ValueError("need agents >= 1, 0 <= threshold < agents, 0 <= rpc <= 1, ratio >= 1")
    c = agents
    lam = rate_per_hour / 3600
    mu, theta = 1 / aht_s, 1 / patience_s
    alpha, beta, gamma = 1 / failed_s, 1 / connect_s, 1 / answer_s
    if n_max is None:
        n_max = c + max(25, int(2 * lam / theta) + 25)

    def target(n: int, o: int) -> int:
        spare = max(0, c - o - n) - threshold
        return math.ceil(ratio * spare - 1e-9) if spare > 0 else 0

    r_max = target(0, 0)
    states = [
        (n, o, a, f)
        for n in range(n_max + 1)
        for o in range(c + 1)
        for a in range(r_max + 1)
        for f in range(r_max + 1 - a)
        if a + f >= target(n, o)
    ]
    index = {s: i for i, s in enumerate(states)}
    binom = [
        [math.comb(k, j) * rpc**j * (1 - rpc) ** (k - j) for j in range(k + 1)]
        for k in range(r_max + 1)
    ]

    def settle(n: int, o: int, a: int, f: int) -> list[tuple[int, float]]:
        """Post-dial states (and probabilities) of the pre-dial state."""
        k = target(n, o) - a - f
        if k <= 0:
            return [(index[(n, o, a, f)], 1.0)]
        return [(index[(n, o, a + j, f + k - j)], binom[k][j]) for j in range(k + 1)]

    rows, cols, vals = [], [], []
    for i, (n, o, a, f) in enumerate(states):
        b = min(n, c - o)
        q = n - b
        idle = c - o - b
        events = []
        if n < n_max:
            events.append((lam, (n + 1, o, a, f)))
        if b:
            events.append((b * mu, (n - 1, o, a, f)))
        if q:
            events.append((q * theta, (n - 1, o, a, f)))
        if o:
            events.append((o * beta, (n, o - 1, a, f)))
        if a:  # answered: put through, or a nuisance call
            events.append((a * gamma, (n, o + 1, a - 1, f) if idle else (n, o, a - 1, f)))
        if f:
            events.append((f * alpha, (n, o, a, f - 1)))
        for rate, to in events:
            for j, p in settle(*to):
                if j != i:
                    rows.append(i)
                    cols.append(j)
                    vals.append(rate * p)
    pi = stationary_distribution(rows, cols, vals, len(states))
    arr = np.array(states)
    n, o, a, f = arr[:, 0], arr[:, 1], arr[:, 2], arr[:, 3]
    b = np.minimum(n, c - o)
    idle = c - o - b
    mean_q = float(pi @ (n - b))
    connects = 3600 * gamma * float(pi @ (a * (idle > 0)))
    nuisance = 3600 * gamma * float(pi @ (a * (idle == 0)))
    return PredictiveKpis(
        p_wait=float(pi[idle == 0].sum()),
        p_abandon=theta * mean_q / lam,
        mean_queue_length=mean_q,
        connects_per_hour=connects,
        nuisance_per_hour=nuisance,
        attempts_per_hour=3600 * (gamma * float(pi @ a) + alpha * float(pi @ f)),
        nuisance_rate=nuisance / (connects + nuisance) if connects + nuisance > 0 else 0.0,
        occupancy=float(pi @ (b + o)) / c,
        outbound_occupancy=float(pi @ o) / c,
        mean_ringing=float(pi @ (a + f)),
        tail_mass=float(pi[n == n_max].sum()),
    )


__all__ = ["BlendingKpis", "PredictiveKpis", "predictive_dialer_kpis", "threshold_dialer_kpis"]
