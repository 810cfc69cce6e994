"""Finite lines: the M/M/c/K queue (with and without exponential patience) and Erlang B with
retrials (extended Erlang B).

* :func:`mmck_kpis` solves the birth–death chain of ``c`` agents, at most ``max_waiting``
  callers on hold (``K = c + max_waiting``) and, optionally, exponential patience: blocking
  (a busy signal: PASTA, the chain's probability of ``K``), P(wait), P(abandon), mean queue
  length and the mean wait of answered callers (exact, by the position-by-position
  recursion of a tagged caller). ``max_waiting = 0`` is Erlang B.
* :func:`erlang_b_retrial` is the extended Erlang B of the Erlang X calculators: a share
  ``retry_probability`` of blocked callers tries again (up to ``max_attempts`` attempts),
  the retrials add to the offered load, and the blocking probability is the fixed point
  ``B = ErlangB(c, A0 * sum_{i<N} (r B)^i)``, solved by bisection. It assumes retrials
  arrive as a Poisson stream independent of the state (accurate when redial delays are
  long against the handle time; the simulation is the judge otherwise).

Both broadcast over array inputs like :mod:`.erlang` (the chain is solved per element).
:func:`callback_chain_kpis` solves the Markov chain of a small call channel with callbacks
numerically (the exact reference the simulation's callbacks are validated against).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import sparse
from scipy.sparse.linalg import spsolve

from simulator.errors import InputError
from simulator.queueing.erlang import _scalar_or_array, as_checked_array, erlang_b


@dataclass(frozen=True)
class FiniteQueueKpis:
    """KPIs of M/M/c/K (+M) per element of the broadcast inputs (shares of arrivals)."""

    p_block: np.ndarray  # busy signal
    p_wait: np.ndarray  # joined the queue (neither blocked nor answered at once)
    p_abandon: np.ndarray  # abandoned while waiting
    asa_s: np.ndarray  # mean wait of answered callers, seconds
    mean_queue_length: np.ndarray  # time-average callers on hold
    occupancy: np.ndarray  # busy agents / agents

    def as_dict(self) -> dict[str, np.ndarray]:
        return dict(self.__dict__)


def _chain(lam: float, mu: float, c: int, q: int, theta: float) -> tuple[float, ...]:
    """One M/M/c/(c+q)+M chain: (p_block, p_wait, p_abandon, asa_s, lq, occupancy)."""
    size = c + q + 1
    logp = np.zeros(size)
    for n in range(1, size):
        death = min(n, c) * mu + max(n - c, 0) * theta
        logp[n] = logp[n - 1] + np.log(lam) - np.log(death)
    p = np.exp(logp - logp.max())
    p /= p.sum()
    n = np.arange(size)
    on_hold = np.maximum(n - c, 0)
    lq = float(on_hold @ p)
    p_block = float(p[-1])
    p_wait = float(p[c:-1].sum())
    busy = float(np.minimum(n, c) @ p)
    # A tagged caller who joins at position j (1 = next) is served with S_j and waits, when
    # served, E[W 1{served}] = T_j: it leaves position j at rate c mu + (j - 1) theta
    # (moving up) + theta (its own patience).
    served = np.zeros(q + 1)
    timed = np.zeros(q + 1)
    s_prev, t_prev = 1.0, 0.0  # position 0: answered now
    for j in range(1, q + 1):
        rate = c * mu + j * theta
        up = (c * mu + (j - 1) * theta) / rate
        s_j = up * s_prev
        t_j = up * (t_prev + s_prev / rate)
        served[j], timed[j] = s_j, t_j
        s_prev, t_prev = s_j, t_j
    joins = p[c:-1]  # arrivals who find n = c .. K-1 join at position n - c + 1
    answered = float(p[:c].sum() + joins @ served[1:])
    wait_served = float(joins @ timed[1:])
    p_abandon = float(joins @ (1 - served[1:]))
    asa = wait_served / answered if answered > 0 else float("nan")
    return p_block, p_wait, p_abandon, asa, lq, busy / c


def mmck_kpis(
    arrival_rate_per_hour: ArrayLike,
    aht_s: ArrayLike,
    agents: ArrayLike,
    max_waiting: ArrayLike,
    patience_s: ArrayLike | None = None,
) -> FiniteQueueKpis:
    """Exact KPIs of M/M/c/K (K = agents + max_waiting) with exponential handle time and,
    given ``patience_s``, exponential patience (M/M/c/K+M); see the module docstring."""
    lam = as_checked_array("arrival_rate_per_hour", arrival_rate_per_hour, ge=0) / 3600
    aht = as_checked_array("aht_s", aht_s, gt=0)
    c = as_checked_array("agents", agents, ge=1, integer=True)
    q = as_checked_array("max_waiting", max_waiting, ge=0, integer=True)
    theta = (
        np.zeros(()) if patience_s is None else 1 / as_checked_array("patience_s", patience_s, gt=0)
    )
    lam, aht, c, q, theta = np.broadcast_arrays(lam, aht, c, q, theta)
    out = np.full((6, *lam.shape), np.nan)
    for idx in np.ndindex(lam.shape):
        if lam[idx] == 0:
            out[(slice(None), *idx)] = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
            continue
        out[(slice(None), *idx)] = _chain(
            float(lam[idx]), 1 / float(aht[idx]), int(c[idx]), int(q[idx]), float(theta[idx])
        )
    return FiniteQueueKpis(*(_scalar_or_array(x) for x in out))


@dataclass(frozen=True)
class BalkingKpis:
    """KPIs of M/M/c with balking by line length and exponential patience, per element of
    the broadcast inputs (shares of arrivals)."""

    p_balk: np.ndarray  # saw the line and left at once
    p_abandon: np.ndarray  # joined the line, left when patience ran out
    p_wait: np.ndarray  # not answered at once (balked, or joined the line)
    service_level: np.ndarray  # answered within T / arrivals (balked ones included)
    asa_s: np.ndarray  # mean wait of answered customers, seconds
    mean_queue_length: np.ndarray  # time-average customers waiting
    occupancy: np.ndarray  # busy agents / agents
    p_full: np.ndarray  # found the line at its limit (the first length everybody leaves)

    def as_dict(self) -> dict[str, np.ndarray]:
        return dict(self.__dict__)


_MAX_LINE = 20_000
"""Longest line the balking chain is truncated at before it gives up (see
:func:`balking_kpis`)."""


def _balk_line(table: np.ndarray, lam: np.ndarray, mu: np.ndarray, c: np.ndarray,
               theta: np.ndarray) -> int:  # fmt: skip
    """Longest line the chain needs: where everybody balks, else long enough that the
    stationary mass above it is below 1e-14 for every element (far out, successive
    probabilities fall by ``join / (c μ + q θ)``, a geometric tail once that is below 1)."""
    full = np.flatnonzero(table >= 1.0)
    if len(full):
        return int(full[0])
    join = lam * (1 - float(table[-1]))  # arrival rate joining a long line
    line = len(table)
    while line <= _MAX_LINE:
        ratio = join / (c * mu + line * theta)
        if np.all(ratio < 1):
            extra = np.ceil(np.log(1e-14) / np.log(np.maximum(ratio, 1e-300)))
            total = line + max(int(extra.max(initial=0.0)), 1)
            if total <= _MAX_LINE:
                return total
        line *= 2
    raise InputError(
        "balk_probabilities: the line grows without bound (arrivals who join outpace the "
        "agents, and nobody abandons): let the last probability reach 1 or give patience_s"
    )


def balking_kpis(
    arrival_rate_per_hour: ArrayLike,
    aht_s: ArrayLike,
    agents: ArrayLike,
    balk_probabilities: ArrayLike,
    patience_s: ArrayLike | None = None,
    within_s: float = 0.0,
) -> BalkingKpis:
    """Exact KPIs of a walk-in counter: ``agents`` agents, Poisson arrivals, exponential
    handle time, a customer who finds every agent busy and ``q`` waiting leaves at once
    with probability ``balk_probabilities[q]`` (the last entry for longer lines), and,
    given ``patience_s``, exponential patience of those who join.

    The birth–death chain of customers present (birth ``λ`` below ``c``, ``λ (1 - b_q)``
    with ``q`` waiting; death ``min(n, c) μ + q θ``), solved in closed form in log space,
    vectorised over the broadcast inputs; balking by PASTA. A tagged customer who joins at
    position ``j`` moves up at rate ``c μ + (j - 1) θ`` and leaves at rate ``θ``: its chance
    of being served and mean wait follow the position-by-position recursion of
    :func:`mmck_kpis`; the share answered within ``within_s`` seconds, by uniformization of
    that pure-death chain (all arrival positions in one vector). Without patience the
    chain must be stable on its own: its last balk probability must stop the line growing.
    """
    lam = as_checked_array("arrival_rate_per_hour", arrival_rate_per_hour, ge=0) / 3600
    aht = as_checked_array("aht_s", aht_s, gt=0)
    c_in = as_checked_array("agents", agents, ge=1, integer=True)
    table = as_checked_array("balk_probabilities", balk_probabilities, ge=0, le=1).ravel()
    if table.size == 0:
        raise InputError("balk_probabilities: give at least one probability")
    theta_in = (
        np.zeros(()) if patience_s is None else 1 / as_checked_array("patience_s", patience_s, gt=0)
    )
    t_within = float(as_checked_array("within_s", within_s, ge=0))
    lam_b, aht_b, c_b, th_b = np.broadcast_arrays(lam, aht, c_in, theta_in)
    shape = lam_b.shape
    lam, mu = lam_b.ravel(), 1 / aht_b.ravel()
    c, theta = c_b.ravel().astype(int), th_b.ravel()
    line = _balk_line(table, lam, mu, c, theta)
    q_idx = np.arange(line + 1)
    b = np.where(q_idx < len(table), table[np.minimum(q_idx, len(table) - 1)], table[-1])
    n_states = int(c.max()) + line + 1
    n = np.arange(n_states)[None, :]
    cc = c[:, None]
    waiting = np.maximum(n - cc, 0)
    valid = waiting <= line
    # at the truncation line everybody balks (the table's own 1, or a negligible tail)
    b_at = np.where(waiting >= line, 1.0, b[np.minimum(waiting, line)])
    birth = np.where(n < cc, lam[:, None], lam[:, None] * (1 - b_at))
    # the truncation: nobody joins beyond (a line of 0 still lets arrivals reach idle agents)
    birth = np.where((waiting >= line) & (n >= cc), 0.0, birth)
    death = np.minimum(n, cc) * mu[:, None] + waiting * theta[:, None]
    with np.errstate(divide="ignore"):
        steps = np.log(birth[:, :-1]) - np.log(death[:, 1:])
    logp = np.concatenate([np.zeros((len(lam), 1)), np.cumsum(steps, axis=1)], axis=1)
    logp = np.where(valid, logp, -np.inf)
    p = np.exp(logp - logp.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    busy_all = n >= cc
    p_balk = (p * np.where(busy_all, b_at, 0.0)).sum(axis=1)
    answered_now = (p * ~busy_all).sum(axis=1)
    # joins[:, j - 1]: share of arrivals who join at position j = waiting + 1
    join_state = p * np.where(busy_all & valid, 1 - b_at, 0.0)
    joins = np.zeros((len(lam), line + 1))
    rows = np.repeat(np.arange(len(lam)), n_states)
    np.add.at(joins, (rows, np.minimum(waiting, line).ravel()), join_state.ravel())
    # position recursion (as in _chain): served share and E[wait; served] by position
    served = np.zeros_like(joins)
    timed = np.zeros_like(joins)
    s_prev, t_prev = np.ones(len(lam)), np.zeros(len(lam))
    cmu = c * mu
    for j in range(1, line + 2):
        rate = cmu + j * theta
        up = (cmu + (j - 1) * theta) / rate
        s_prev, t_prev = up * s_prev, up * (t_prev + s_prev / rate)
        served[:, j - 1], timed[:, j - 1] = s_prev, t_prev
    answered = answered_now + (joins * served).sum(axis=1)
    p_abandon = (joins * (1 - served)).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        asa = np.where(answered > 0, (joins * timed).sum(axis=1) / answered, np.nan)
    within = answered_now + _served_within(joins, cmu, theta, t_within)
    out = BalkingKpis(
        p_balk=p_balk,
        p_abandon=p_abandon,
        p_wait=1 - answered_now,
        service_level=within,
        asa_s=asa,
        mean_queue_length=(p * waiting).sum(axis=1),
        occupancy=(p * np.minimum(n, cc)).sum(axis=1) / c,
        p_full=(p * (busy_all & (waiting >= line))).sum(axis=1),
    )
    idle = lam == 0  # nobody arrives: nothing to measure, nothing missed
    values = {}
    for key, arr in out.as_dict().items():
        empty = 1.0 if key == "service_level" else 0.0
        values[key] = _scalar_or_array(np.where(idle, empty, arr).reshape(shape))
    return BalkingKpis(**values)


def _served_within(joins: np.ndarray, cmu: np.ndarray, theta: np.ndarray, t: float) -> np.ndarray:
    """Σ_j joins_j P(served within ``t`` | joined at position j), by uniformization: a
    customer at position i moves to i - 1 at rate ``c μ + (i - 1) θ`` and abandons at rate
    ``θ``; position 0 (answered) absorbs. One mass vector carries every starting position."""
    if t <= 0:
        return np.zeros(len(joins))
    line = joins.shape[1]  # positions 1 .. line
    pos = np.arange(1, line + 1)[None, :]
    move = cmu[:, None] + (pos - 1) * theta[:, None]
    leave = move + theta[:, None]
    uni = leave.max(axis=1)  # uniformization rate per element
    mean = uni * t
    v = joins.copy()
    absorbed = np.zeros(len(joins))
    steps = int(np.ceil(mean.max() + 12 * np.sqrt(mean.max()) + 30))
    log_weight = -mean  # log Poisson(mean) pmf at k, in log space (no underflow)
    total = np.zeros(len(joins))
    stay = 1 - leave / uni[:, None]
    up = move / uni[:, None]
    for k in range(1, steps + 1):
        arrived = v[:, 0] * up[:, 0]
        shifted = v * stay
        shifted[:, :-1] += v[:, 1:] * up[:, 1:]
        v = shifted
        absorbed = absorbed + arrived
        log_weight = log_weight + np.log(mean) - np.log(k)
        total += np.exp(log_weight) * absorbed
    # P(absorbed by time t) = Σ_k Poisson(k; uni t) P(absorbed within k steps)
    return total


@dataclass(frozen=True)
class RetrialKpis:
    """Extended Erlang B: blocking per attempt, the offered load with retrials (Erlangs),
    attempts per fresh caller, and the share of fresh callers finally lost."""

    p_block: np.ndarray
    offered_load: np.ndarray
    attempts_per_caller: np.ndarray
    p_lost: np.ndarray

    def as_dict(self) -> dict[str, np.ndarray]:
        return dict(self.__dict__)


def erlang_b_retrial(
    agents: ArrayLike,
    offered_load: ArrayLike,
    retry_probability: ArrayLike,
    max_attempts: int = 50,
) -> RetrialKpis:
    """Extended Erlang B (see the module docstring): ``offered_load`` is the fresh load in
    Erlangs, ``retry_probability`` the share of blocked callers who try again, and
    ``max_attempts`` the attempts per caller, first included (as ``redial.max_attempts``)."""
    n = as_checked_array("agents", agents, ge=0, integer=True)
    a0 = as_checked_array("offered_load", offered_load, ge=0)
    r = as_checked_array("retry_probability", retry_probability, ge=0, le=1)
    if not 1 <= int(max_attempts) <= 10_000:
        raise ValueError(f"max_attempts: must be 1..10000, got {max_attempts}")
    n, a0, r = np.broadcast_arrays(n, a0, r)

    def attempts(b: np.ndarray) -> np.ndarray:  # sum_{i<N} (r b)^i
        x = r * b
        with np.errstate(divide="ignore", invalid="ignore"):
            geometric = (1 - x**max_attempts) / (1 - x)
        return np.where(x < 1, geometric, float(max_attempts))

    lo, hi = np.zeros(n.shape), np.ones(n.shape)
    for _ in range(60):  # f(B) = ErlangB(n, A0 g(B)) - B falls from >= 0 to <= 0
        mid = (lo + hi) / 2
        above = np.asarray(erlang_b(n, a0 * attempts(mid))) > mid
        lo = np.where(above, mid, lo)
        hi = np.where(above, hi, mid)
    b = (lo + hi) / 2
    per_caller = attempts(b)
    lost = 1 - (1 - b) * per_caller
    return RetrialKpis(
        _scalar_or_array(b),
        _scalar_or_array(a0 * per_caller),
        _scalar_or_array(per_caller),
        _scalar_or_array(lost),
    )


def stationary_distribution(
    rows: list[int], cols: list[int], rates: list[float], size: int
) -> np.ndarray:
    """The stationary distribution of an irreducible continuous-time Markov chain on
    states ``0 … size-1`` given its transition rates as triplets (``rates[i]`` from
    ``rows[i]`` to ``cols[i]``, per unit time; repeated pairs add up): ``pi Q = 0`` with
    ``pi_0`` fixed at 1, the other balance equations solved sparse, then ``pi`` normalised.
    (Replacing a balance equation by the row of ones ``sum(pi) = 1`` instead fills the LU
    factors in.) Minimum-degree ordering on A + Aᵀ is ten times faster than the default
    COLAMD on these chains. The chains behind callbacks here and both dialers in
    :mod:`simulator.queueing.blending` are solved this way."""
    gen = sparse.csr_matrix((rates, (rows, cols)), shape=(size, size))
    gen = (gen - sparse.diags(np.asarray(gen.sum(axis=1)).ravel())).T.tocsc()
    x = spsolve(gen[1:, 1:], -gen[1:, 0].toarray().ravel(), permc_spec="MMD_AT_PLUS_A")
    pi = np.concatenate(([1.0], x))
    return pi / pi.sum()


def callback_chain_kpis(
    agents: int,
    arrival_rate_per_hour: float,
    aht_s: float,
    patience_s: float,
    max_waiting: int,
    offer_at_position: int,
    uptake: float,
    max_callbacks: int = 80,
) -> dict[str, float]:
    """Exact KPIs of a small call channel with callbacks, from its continuous-time Markov
    chain solved numerically: ``agents`` agents, Poisson arrivals, exponential handle time
    (callbacks alike) and patience, at most ``max_waiting`` on hold (busy signal above), a
    callback offered to a caller who finds all agents busy and at least
    ``offer_at_position`` on hold, accepted with ``uptake``; live callers are served before
    callbacks, callbacks never abandon. State: (agents on live calls, agents on callbacks,
    live callers on hold, callbacks waiting), callbacks truncated at ``max_callbacks``
    (checked negligible). Shares are of offered calls."""
    c, lam, mu, theta = int(agents), arrival_rate_per_hour / 3600, 1 / aht_s, 1 / patience_s
    q_max, position, r_max = int(max_waiting), int(offer_at_position), int(max_callbacks)
    grid = itertools.product(range(c + 1), range(c + 1), range(q_max + 1), range(r_max + 1))
    states = [
        (a, b, q, r) for a, b, q, r in grid if a + b <= c and (a + b == c or (q == 0 and r == 0))
    ]
    index = {s: i for i, s in enumerate(states)}
    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []

    def add(s: tuple, t: tuple, rate: float) -> None:
        if rate > 0 and t in index:
            rows.append(index[s])
            cols.append(index[t])
            vals.append(rate)

    def freed(a: int, b: int, q: int, r: int) -> tuple:  # a free agent pulls work
        if q:
            return a + 1, b, q - 1, r
        if r:
            return a, b + 1, q, r - 1
        return a, b, q, r

    for s in states:
        a, b, q, r = s
        if a + b < c:
            add(s, (a + 1, b, q, r), lam)
        elif q < q_max:
            if q >= position:
                add(s, (a, b, q, r + 1), lam * uptake)
                add(s, (a, b, q + 1, r), lam * (1 - uptake))
            else:
                add(s, (a, b, q + 1, r), lam)
        if a:
            add(s, freed(a - 1, b, q, r), a * mu)
        if b:
            add(s, freed(a, b - 1, q, r), b * mu)
        if q:
            add(s, (a, b, q - 1, r), q * theta)
    pi = stationary_distribution(rows, cols, vals, len(states))
    arr = np.array(states)
    if pi[arr[:, 3] == r_max].sum() > 1e-9:
        raise ValueError("max_callbacks is too small for this load: raise it")
    full = arr[:, 0] + arr[:, 1] == c
    offered = full & (arr[:, 2] >= position) & (arr[:, 2] < q_max)
    p_offer = float(pi[offered].sum())
    accepted = lam * p_offer * uptake
    return {
        "blocked_rate": float(pi[full & (arr[:, 2] == q_max)].sum()),
        "callbacks_offered_share": p_offer,
        "abandon_rate": float(theta * (pi @ arr[:, 2]) / lam),
        "mean_queue_length": float(pi @ arr[:, 2]),
        "callback_delay_s": float((pi @ arr[:, 3]) / accepted) if accepted > 0 else float("nan"),
        "occupancy": float((pi @ (arr[:, 0] + arr[:, 1])) / c),
    }


__all__ = [
    "BalkingKpis",
    "FiniteQueueKpis",
    "RetrialKpis",
    "balking_kpis",
    "callback_chain_kpis",
    "erlang_b_retrial",
    "mmck_kpis",
    "stationary_distribution",
]
