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
    n = len(states)
    gen = sparse.csr_matrix((vals, (rows, cols)), shape=(n, n))
    gen = gen - sparse.diags(np.asarray(gen.sum(axis=1)).ravel())
    system = gen.T.tolil()
    system[0, :] = 1.0  # replace one balance equation by the normalisation
    rhs = np.zeros(n)
    rhs[0] = 1.0
    pi = spsolve(system.tocsc(), rhs)
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
    "FiniteQueueKpis",
    "RetrialKpis",
    "callback_chain_kpis",
    "erlang_b_retrial",
    "mmck_kpis",
]
