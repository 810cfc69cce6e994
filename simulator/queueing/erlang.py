"""Exact Erlang B, Erlang C and Erlang A (M/M/c+M) formulas, vectorised over numpy arrays.

Units, throughout this module (and :mod:`simulator.queueing.staffing`):

* rates are **per hour** (``arrival_rate_per_hour``);
* times are in **seconds** (``aht_s``, ``within_s``, ``patience_s``; results ``asa_s``,
  ``mean_wait_s``);
* offered load is in **Erlangs**: ``arrival_rate_per_hour * aht_s / 3600``, the hours of work
  arriving per hour, i.e. the number of agents the work would keep busy.

Every function broadcasts its array arguments against each other (numpy rules), so a week of
672 quarter-hour intervals, or a grid of agents x loads, is one call. Results have the
broadcast shape; scalar inputs give numpy scalars.

Numerics. No factorials or powers are formed. Erlang B comes from its closed form
``1/B(n, A) = e^A A^-n n! Q(n+1, A)`` evaluated in log space (``Q`` is scipy's regularised
upper incomplete gamma); this is exactly the classic recursion ``1/B(n) = 1 + n/A * 1/B(n-1)``
summed up. Where ``Q`` underflows (load far above the agents) the same sum is evaluated as a
series, which converges geometrically there. Erlang A uses the analogous lower incomplete
gamma sum (Palm's formula, see :func:`erlang_a_kpis`). Loads up to 5,000 Erlangs with 1 to
5,000+ agents give finite probabilities in [0, 1] with a relative accuracy of about 1e-12
(tested against exact rational arithmetic).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import special

from simulator.errors import InputError

__all__ = [
    "QueueKpis",
    "erlang_a_kpis",
    "erlang_b",
    "erlang_c",
    "erlang_c_asa_s",
    "erlang_c_kpis",
    "erlang_c_queue_length",
    "erlang_c_service_level",
    "occupancy",
    "offered_load",
]

SECONDS_PER_HOUR = 3600.0

# Below this the regularised incomplete gamma function is replaced by an explicit series:
# far from underflow, so the closed form keeps full relative precision above it.
_TINY = 1e-250
# Series terms below this fraction of the running sum are negligible in double precision.
_SERIES_EPS = 1e-17
# Rows x window cells evaluated at once when summing over queue lengths (bounds memory).
_CHUNK_CELLS = 2_000_000


# --------------------------------------------------------------------------------------
# Input checking
# --------------------------------------------------------------------------------------
def as_checked_array(
    name: str,
    value: ArrayLike,
    *,
    gt: float | None = None,
    ge: float | None = None,
    lt: float | None = None,
    le: float | None = None,
    integer: bool = False,
    hint: str = "",
) -> np.ndarray:
    """``value`` as a float array, or :class:`InputError` naming ``name`` and the bad value.

    Used at every public entry point of the analytic modules so that a bad argument says which
    one is wrong (``aht_s: must be > 0, got 0``) instead of surfacing as a NaN later.
    """
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise InputError(
            f"{name}: must be a number or an array of numbers, got {value!r}"
        ) from None
    checks: list[tuple[np.ndarray, str]] = [(~np.isfinite(arr), "must be a finite number")]
    if integer:
        checks.append((arr != np.round(arr), "must be a whole number"))
    if gt is not None:
        checks.append((~(arr > gt), f"must be > {gt:g}"))
    if ge is not None:
        checks.append((~(arr >= ge), f"must be >= {ge:g}"))
    if lt is not None:
        checks.append((~(arr < lt), f"must be < {lt:g}"))
    if le is not None:
        checks.append((~(arr <= le), f"must be <= {le:g}"))
    for bad, rule in checks:
        if np.any(bad):
            index = np.argwhere(bad)[0]
            where = f" (at index {', '.join(map(str, index))})" if arr.size > 1 else ""
            got = arr[tuple(index)]
            extra = f" ({hint})" if hint else ""
            raise InputError(f"{name}: {rule}{extra}, got {got:g}{where}")
    return arr


def _scalar_or_array(x: np.ndarray) -> np.ndarray:
    """0-d arrays become numpy scalars (``float(result)`` and ``result == 14`` just work)."""
    return x[()]


# --------------------------------------------------------------------------------------
# Erlang B
# --------------------------------------------------------------------------------------
def _log_inv_erlang_b(agents: np.ndarray, load: np.ndarray) -> np.ndarray:
    """``log(1/B(n, A))`` for whole ``n >= 0`` and ``A > 0`` (float arrays, broadcast)."""
    n, a = np.broadcast_arrays(np.asarray(agents, float), np.asarray(load, float))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        q = special.gammaincc(n + 1.0, a)
        out = np.array(a - n * np.log(a) + special.gammaln(n + 1.0) + np.log(q), dtype=float)
    low = ~(q > _TINY)
    if np.any(low):
        out[low] = _log_inv_erlang_b_series(n[low], a[low])
    return out


def _log_inv_erlang_b_series(n: np.ndarray, a: np.ndarray) -> np.ndarray:
    """``log(sum_{k=0..n} prod_{i<k} (n-i)/A)`` where ``A`` is far above ``n`` (terms shrink
    at least geometrically, ratio <= n/A, so a few hundred steps reach double precision)."""
    total = np.zeros_like(a)
    term = np.ones_like(a)
    n_max = int(n.max(initial=0))
    for k in range(n_max + 1):
        term = term * np.maximum(n - k, 0.0) / a
        total += term
        if not np.any(term > _SERIES_EPS * (1.0 + total)):
            break
    return np.log1p(total)


def erlang_b(agents: ArrayLike, offered_load: ArrayLike) -> np.ndarray:
    """Blocking probability of the Erlang loss system M/M/n/n (Erlang B).

    ``agents`` are whole numbers >= 0 (lines, trunks or agents); ``offered_load`` is in
    Erlangs (>= 0). ``B(0, A) = 1``; ``B(n, 0) = 0`` for ``n >= 1``.
    """
    n = as_checked_array("agents", agents, ge=0, integer=True)
    a = as_checked_array("offered_load", offered_load, ge=0)
    n, a = np.broadcast_arrays(n, a)
    safe = np.where(a > 0, a, 1.0)
    b = np.exp(-_log_inv_erlang_b(n, safe))
    b = np.where(a > 0, b, np.where(n == 0, 1.0, 0.0))
    return _scalar_or_array(b)


# --------------------------------------------------------------------------------------
# Erlang C
# --------------------------------------------------------------------------------------
def _erlang_c(n: np.ndarray, a: np.ndarray) -> np.ndarray:
    """Unchecked Erlang C: ``C = B / (1 - rho (1 - B))`` with ``rho = A/n``; 1.0 if ``A >= n``."""
    n, a = np.broadcast_arrays(np.asarray(n, float), np.asarray(a, float))
    stable = n > a
    n_safe = np.where(stable, n, 1.0)
    a_safe = np.where(stable & (a > 0), a, 0.5)
    rho = a_safe / n_safe
    b = np.exp(-_log_inv_erlang_b(n_safe, a_safe))
    c = b / (1.0 - rho * (1.0 - b))
    c = np.where(a > 0, c, 0.0)
    return np.where(stable, c, 1.0)


def erlang_c(agents: ArrayLike, offered_load: ArrayLike) -> np.ndarray:
    """Probability that a contact has to wait in the M/M/n queue (Erlang C).

    ``agents`` whole >= 0, ``offered_load`` in Erlangs >= 0. Exactly 1.0 when the load is at or
    above the agents (the queue is unstable: everybody waits), 0.0 for zero load with agents.
    """
    n = as_checked_array("agents", agents, ge=0, integer=True)
    a = as_checked_array("offered_load", offered_load, ge=0)
    return _scalar_or_array(_erlang_c(n, a))


def offered_load(arrival_rate_per_hour: ArrayLike, aht_s: ArrayLike) -> np.ndarray:
    """Offered load in Erlangs: arrivals per hour x average handle time in hours."""
    lam = as_checked_array("arrival_rate_per_hour", arrival_rate_per_hour, ge=0)
    aht = as_checked_array("aht_s", aht_s, gt=0)
    return _scalar_or_array(np.asarray(lam * aht / SECONDS_PER_HOUR))


@dataclass(frozen=True)
class QueueKpis:
    """Steady-state KPIs of one queue (arrays of the broadcast shape, or numpy scalars).

    Service-level definitions (the classic source of disagreements between calculators):

    * ``service_level``: contacts **answered within** ``within_s`` / contacts **offered**.
      Abandoned contacts count as failures, however soon they hang up. This is the default
      everywhere in staffsim.
    * ``service_level_answered``: answered within ``within_s`` / answered.
    Without abandonment (Erlang C) both equal ``P(wait <= within_s)``. Both are NaN when no
    ``within_s`` was given.

    ``asa_s`` is the mean wait of *answered* contacts (what an ACD reports as ASA);
    ``mean_wait_s`` the mean time in queue of *all* offered contacts, abandoned included.
    ``occupancy`` is carried load / agents (busy share of the agents' available time); 0 with
    zero load, 1 with load and no agents. ``mean_queue_length`` is the mean number waiting.
    Unstable Erlang C queues (load >= agents) report ``p_wait`` 1, ``service_level`` 0 and
    infinite ``asa_s`` and ``mean_queue_length``; with zero agents and abandonment nobody is
    answered, so ``asa_s`` is NaN there.
    """

    agents: np.ndarray
    offered_load: np.ndarray
    within_s: np.ndarray
    p_wait: np.ndarray
    service_level: np.ndarray
    service_level_answered: np.ndarray
    asa_s: np.ndarray
    mean_wait_s: np.ndarray
    p_abandon: np.ndarray
    occupancy: np.ndarray
    mean_queue_length: np.ndarray

    def as_dict(self) -> dict[str, np.ndarray]:
        """Field name -> value, for tables and JSON."""
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def _checked_queue_inputs(
    arrival_rate_per_hour: ArrayLike,
    aht_s: ArrayLike,
    agents: ArrayLike,
    within_s: ArrayLike | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    lam = as_checked_array("arrival_rate_per_hour", arrival_rate_per_hour, ge=0)
    aht = as_checked_array("aht_s", aht_s, gt=0)
    n = as_checked_array("agents", agents, ge=0, integer=True)
    within = np.nan if within_s is None else as_checked_array("within_s", within_s, ge=0)
    lam, aht, n, within = np.broadcast_arrays(lam, aht, n, within)
    return lam, aht, n, within


def _erlang_c_kpis(
    lam: np.ndarray, aht: np.ndarray, n: np.ndarray, within: np.ndarray
) -> QueueKpis:
    """Unchecked M/M/n KPIs on broadcast float arrays (the staffing search calls this)."""
    a = lam * aht / SECONDS_PER_HOUR
    zero = a == 0
    stable = n > a
    p_wait = np.where(zero, 0.0, _erlang_c(n, a))
    gap = np.where(stable, n - a, 1.0)
    with np.errstate(invalid="ignore"):
        sl = np.where(stable, 1.0 - p_wait * np.exp(-gap * within / aht), 0.0)
    asa = np.where(stable, p_wait * aht / gap, np.inf)
    lq = np.where(stable, p_wait * a / gap, np.inf)
    occ = np.where(n > 0, np.minimum(a / np.where(n > 0, n, 1.0), 1.0), 1.0)
    sl = np.where(zero, np.where(np.isnan(within), np.nan, 1.0), sl)
    asa = np.where(zero, 0.0, asa)
    lq = np.where(zero, 0.0, lq)
    occ = np.where(zero, 0.0, occ)
    return _kpis(n, a, within, p_wait, sl, sl, asa, asa, np.zeros_like(a), occ, lq)


def _kpis(*fields: np.ndarray) -> QueueKpis:
    return QueueKpis(*(_scalar_or_array(np.asarray(f, dtype=float)) for f in fields))


def erlang_c_kpis(
    arrival_rate_per_hour: ArrayLike,
    aht_s: ArrayLike,
    agents: ArrayLike,
    *,
    within_s: ArrayLike | None = None,
) -> QueueKpis:
    """All M/M/n (Erlang C) KPIs at once; see :class:`QueueKpis` for the definitions.

    ``P(W <= t) = 1 - C e^{-(n - A) t / AHT}``, ``ASA = C AHT / (n - A)``,
    ``Lq = C A / (n - A)``, occupancy ``A / n``.
    """
    lam, aht, n, within = _checked_queue_inputs(arrival_rate_per_hour, aht_s, agents, within_s)
    return _erlang_c_kpis(lam, aht, n, within)


def erlang_c_service_level(
    arrival_rate_per_hour: ArrayLike, aht_s: ArrayLike, agents: ArrayLike, within_s: ArrayLike
) -> np.ndarray:
    """``P(wait <= within_s)`` in the M/M/n queue (0 when unstable, 1 with zero load)."""
    kpis = erlang_c_kpis(arrival_rate_per_hour, aht_s, agents, within_s=within_s)
    return kpis.service_level


def erlang_c_asa_s(
    arrival_rate_per_hour: ArrayLike, aht_s: ArrayLike, agents: ArrayLike
) -> np.ndarray:
    """Average speed of answer in seconds, ``C AHT / (n - A)`` (inf when unstable)."""
    return erlang_c_kpis(arrival_rate_per_hour, aht_s, agents).asa_s


def erlang_c_queue_length(
    arrival_rate_per_hour: ArrayLike, aht_s: ArrayLike, agents: ArrayLike
) -> np.ndarray:
    """Mean number of contacts waiting, ``C A / (n - A)`` (inf when unstable)."""
    return erlang_c_kpis(arrival_rate_per_hour, aht_s, agents).mean_queue_length


def occupancy(arrival_rate_per_hour: ArrayLike, aht_s: ArrayLike, agents: ArrayLike) -> np.ndarray:
    """Agent occupancy without abandonment: ``min(A / n, 1)`` (0 for zero load)."""
    return erlang_c_kpis(arrival_rate_per_hour, aht_s, agents).occupancy


# --------------------------------------------------------------------------------------
# Erlang A (M/M/n+M)
# --------------------------------------------------------------------------------------
def _log_queue_sum(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``log S(x, y)`` with ``S = sum_{j>=0} prod_{i=1..j} y / (x + i)`` for ``x, y >= 0``.

    ``S = x e^y y^-x gamma(x, y) = e^y y^-x Gamma(x+1) P(x, y)`` (``P`` regularised lower
    incomplete gamma). Where ``P`` underflows (``y`` far below ``x``) the sum itself is used:
    its terms fall at least geometrically there.
    """
    x, y = np.broadcast_arrays(np.asarray(x, float), np.asarray(y, float))
    y_safe = np.where(y > 0, y, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = special.gammainc(x, y_safe)
        out = np.array(y_safe - x * np.log(y_safe) + special.gammaln(x + 1.0) + np.log(p))
    out[y == 0] = 0.0
    low = (y > 0) & ~(p > _TINY)
    if np.any(low):
        out[low] = _log_queue_sum_series(x[low], y[low])
    return out


def _log_queue_sum_series(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    total = np.zeros_like(y)
    term = np.ones_like(y)
    j = 0
    while True:
        j += 1
        term = term * y / (x + j)
        total += term
        if not np.any(term > _SERIES_EPS * (1.0 + total)):
            return np.log1p(total)


def _served_wait_times_theta(log_pi: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``theta * E[W; served]`` by summing over the queue length ``j`` an arrival finds.

    A contact finding all agents busy and ``j`` waiting ahead reaches an agent after
    ``V = sum_{i=0..j} Exp(n mu + i theta)`` and is served iff its patience exceeds ``V``, so
    ``E[V; served | j] = x/(x+j+1) * sum_{i=1..j+1} 1/(theta (x+i))`` (``x = n mu/theta``).
    The weights ``q_j = pi_n prod_{i<=j} y/(x+i)`` are a Poisson(y)-shaped bump; the sum runs
    over a window of +-9 standard deviations (or until the geometric tail is below 1e-18)
    around its mode, so the truncation error is below 1e-15 relative.
    """
    flat_pi, flat_x, flat_y = (v.ravel() for v in np.broadcast_arrays(log_pi, x, y))
    result = np.zeros(flat_x.shape)
    mode = np.maximum(np.floor(flat_y - flat_x), 0.0)
    spread = 9.0 * np.sqrt(flat_y + 1.0)
    with np.errstate(divide="ignore"):
        geometric = 42.0 / np.log((flat_x + 1.0) / flat_y)
    upper = np.where(flat_y < flat_x, np.minimum(spread, geometric), spread)
    start = np.maximum(mode - spread - 10.0, 0.0)
    stop = mode + np.ceil(upper) + 10.0
    width = (stop - start + 1).astype(int)
    step = max(1, _CHUNK_CELLS // max(int(width.max(initial=1)), 1))
    for lo in range(0, flat_x.size, step):
        sl = slice(lo, lo + step)
        result[sl] = _served_wait_window(flat_pi[sl], flat_x[sl], flat_y[sl], start[sl], width[sl])
    return result.reshape(np.broadcast(log_pi, x, y).shape)


def _served_wait_window(
    log_pi: np.ndarray, x: np.ndarray, y: np.ndarray, start: np.ndarray, width: np.ndarray
) -> np.ndarray:
    """The window sum of :func:`_served_wait_times_theta` for rows of (x, y), j from ``start``.

    ``log q_j`` is accumulated along the window from ``q_{j+1}/q_j = y/(x+j+1)`` (one log per
    cell; ``gammaln`` only at the window's start), and ``sum_{i<=j+1} 1/(x+i)`` likewise
    (``digamma`` only at the start).
    """
    offsets = np.arange(int(width.max(initial=1)))
    inside = offsets[None, :] < width[:, None]
    inv = 1.0 / (x[:, None] + start[:, None] + offsets[None, :] + 1.0)  # 1/(x+j+1)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_y = np.log(y)
        # log(q_start * x / y); adding the running sum of log(y/(x+i+1)), i = start..j,
        # gives log(q_j * x / (x+j+1)), the weight of each term.
        base = (
            log_pi
            + start * log_y
            + special.gammaln(x + 1.0)
            - special.gammaln(x + start + 1.0)
            + np.log(x)
            - log_y
        )
        log_weight = base[:, None] + np.cumsum(np.log(y[:, None] * inv), axis=1)
        head = special.digamma(x + start + 1.0) - special.digamma(x + 1.0)
        harmonic = head[:, None] + np.cumsum(inv, axis=1)
        terms = np.where(inside & (x[:, None] > 0), np.exp(log_weight) * harmonic, 0.0)
    return terms.sum(axis=1)


def _log_expm1(v: np.ndarray) -> np.ndarray:
    """``log(e^v - 1)`` without overflow for large ``v`` (-inf at ``v = 0``)."""
    big = v > 30.0
    with np.errstate(divide="ignore"):
        small = np.log(np.expm1(np.where(big, 0.0, v)))
    return np.where(big, v + np.log1p(-np.exp(-np.where(big, v, 30.0))), small)


def _erlang_a_kpis(
    lam: np.ndarray,
    aht: np.ndarray,
    n: np.ndarray,
    patience: np.ndarray,
    within: np.ndarray,
    *,
    with_asa: bool = True,
) -> QueueKpis:
    """Erlang A KPIs on checked, broadcast arrays, with the no-agent limit written out."""
    kpis = _erlang_a_kpis_closed_form(lam, aht, n, patience, within, with_asa=with_asa)
    nobody = (n == 0) & (lam > 0)
    if not np.any(nobody):
        return kpis
    # No agents: every caller waits and abandons after their patience. The closed forms
    # divide 0 by 0 for small loads, so the limit is written out.
    return dataclasses.replace(
        kpis,
        p_wait=np.where(nobody, 1.0, kpis.p_wait),
        service_level=np.where(nobody, 0.0, kpis.service_level),
        service_level_answered=np.where(nobody, 0.0, kpis.service_level_answered),
        p_abandon=np.where(nobody, 1.0, kpis.p_abandon),
        mean_wait_s=np.where(nobody, patience, kpis.mean_wait_s),
        mean_queue_length=np.where(nobody, lam / 3600 * patience, kpis.mean_queue_length),
    )


def _erlang_a_kpis_closed_form(
    lam: np.ndarray,
    aht: np.ndarray,
    n: np.ndarray,
    patience: np.ndarray,
    within: np.ndarray,
    *,
    with_asa: bool = True,
) -> QueueKpis:
    """Unchecked Erlang A KPIs on broadcast float arrays (see :func:`erlang_a_kpis`)."""
    a = lam * aht / SECONDS_PER_HOUR
    zero = a == 0
    a_safe = np.where(zero, 1.0, a)
    y = np.where(zero, 1.0, lam) * patience / SECONDS_PER_HOUR  # lambda / theta
    x = n * patience / aht  # n mu / theta
    log_inv_b = _log_inv_erlang_b(n, a_safe)
    log_s0 = _log_queue_sum(x, y)
    log_s1 = _log_queue_sum(x + 1.0, y)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_pi = -np.logaddexp(_log_expm1(log_inv_b), log_s0)  # P(all busy, none waiting)
        log_frac = np.log(x / (x + 1.0))
    p_wait = np.exp(log_pi + log_s0)
    served_waited = np.exp(log_pi + log_frac + log_s1)
    p_ab = np.clip(p_wait - served_waited, 0.0, 1.0)

    sl = _erlang_a_answered_within(p_wait, log_pi, log_frac, log_s1, x, y, patience, within)
    answered = 1.0 - p_ab
    with np.errstate(divide="ignore", invalid="ignore"):
        sl_answered = np.where(answered > 0, sl / answered, 0.0)
        occ = np.where(n > 0, a_safe * answered / np.where(n > 0, n, 1.0), 1.0)
        if with_asa:
            served_wait = _served_wait_times_theta(log_pi, x, y) * patience
            asa = np.where(answered > 0, served_wait / answered, np.nan)
        else:
            asa = np.full(a.shape, np.nan)
    mean_wait = p_ab * patience
    lq = p_ab * y
    no_within = np.isnan(within)
    values = {
        "p_wait": (p_wait, 0.0),
        "sl": (sl, 1.0),
        "sl_answered": (sl_answered, 1.0),
        "asa": (asa, 0.0),
        "mean_wait": (mean_wait, 0.0),
        "p_ab": (p_ab, 0.0),
        "occ": (occ, 0.0),
        "lq": (lq, 0.0),
    }
    v = {key: np.where(zero, empty, arr) for key, (arr, empty) in values.items()}
    v["sl"] = np.where(no_within, np.nan, v["sl"])
    v["sl_answered"] = np.where(no_within, np.nan, v["sl_answered"])
    return _kpis(
        n,
        a,
        within,
        v["p_wait"],
        v["sl"],
        v["sl_answered"],
        v["asa"],
        v["mean_wait"],
        v["p_ab"],
        v["occ"],
        v["lq"],
    )


def _erlang_a_answered_within(
    p_wait: np.ndarray,
    log_pi: np.ndarray,
    log_frac: np.ndarray,
    log_s1: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    patience: np.ndarray,
    within: np.ndarray,
) -> np.ndarray:
    """P(answered with wait <= t) = P(no wait) + P(served after waiting, wait <= t).

    With ``u = e^{-theta t}``:
    ``P(served, 0 < W <= t) = pi_n x/(x+1) [S(x+1, y) - e^{y(1-u)} u^{x+1} S(x+1, y u)]``.
    """
    t = np.where(np.isnan(within), 0.0, within)
    log_u = -t / patience
    with np.errstate(invalid="ignore", divide="ignore"):
        log_b = (
            y * -np.expm1(log_u) + (x + 1.0) * log_u + _log_queue_sum(x + 1.0, y * np.exp(log_u))
        )
        served_within = np.exp(log_pi + log_frac + log_s1) * -np.expm1(log_b - log_s1)
    served_within = np.where(np.isfinite(served_within), served_within, 0.0)
    return np.clip(1.0 - p_wait + served_within, 0.0, 1.0)


def erlang_a_kpis(
    arrival_rate_per_hour: ArrayLike,
    aht_s: ArrayLike,
    agents: ArrayLike,
    patience_s: ArrayLike,
    *,
    within_s: ArrayLike | None = None,
    with_asa: bool = True,
) -> QueueKpis:
    """KPIs of the M/M/n+M queue (Erlang A: exponential patience with mean ``patience_s``).

    Method. The number in system is a birth-death chain (births ``lambda``; deaths
    ``min(k, n) mu + max(k - n, 0) theta``, ``theta = 1/patience``). Its queue part sums in
    closed form (Palm): with ``x = n mu/theta``, ``y = lambda/theta``,
    ``S(x, y) = sum_j prod_{i<=j} y/(x+i) = e^y y^-x Gamma(x+1) P(x, y)``, so no truncation is
    needed for ``p_wait = pi_n S(x, y)``, ``p_abandon = pi_n [S(x, y) - x/(x+1) S(x+1, y)]``,
    ``mean_wait_s = p_abandon * patience_s`` (Little) and the service level.

    Waiting time. A contact finding ``j`` waiting reaches an agent after
    ``V = sum_{i=0..j} Exp(n mu + i theta)`` (agents finish, those ahead abandon); it is served
    iff its own patience exceeds ``V``. ``P(V > t)`` is the regularised incomplete beta
    ``I_{e^{-theta t}}(x, j+1)`` and ``P(served, V <= t | j) = x/(x+j+1) (1 - I_u(x+1, j+1))``;
    summing these over the stationary ``j`` gives the closed form used by
    ``service_level`` (see ``_erlang_a_answered_within``). ``asa_s`` (answered contacts) has
    no closed form: it sums ``x/(x+j+1) sum_{i<=j+1} 1/(theta(x+i))`` over ``j``, truncated
    where the remaining weight is below 1e-15 (a +-9 sigma window around the mode of the
    queue-length distribution). ``with_asa=False`` skips that sum (NaN) when speed matters.

    As ``patience_s -> inf`` every KPI tends to its Erlang C value (tested).
    """
    lam, aht, n, within = _checked_queue_inputs(arrival_rate_per_hour, aht_s, agents, within_s)
    patience = as_checked_array("patience_s", patience_s, gt=0)
    lam, aht, n, within, patience = np.broadcast_arrays(lam, aht, n, within, patience)
    return _erlang_a_kpis(lam, aht, n, patience, within, with_asa=with_asa)
