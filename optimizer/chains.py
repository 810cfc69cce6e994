"""Per-interval tables of real-time channels whose line is a birth–death chain: walk-in
counters with balking, and call channels with finite lines and/or callbacks.

A table holds, per planning interval (rows) and number of servers (columns, from 0, in
factor-1.0 agents), the arrivals per hour (redials included), service level, the shares of
arrivals who abandon, balk, are blocked (busy signal) or accept a callback, and the ASA in
seconds. :class:`optimizer.analytic.AnalyticModel` reads it by linear interpolation between
whole servers. Every chain is :func:`simulator.queueing.finite.balking_kpis` (exact for
Poisson arrivals, exponential handle times and patience) with a table of leave-at-once
probabilities by callers waiting:

* walk-in counter: the channel's balking table;
* finite lines: nobody leaves below the limit, everybody at it (a busy signal) — the
  M/M/c/K (+M) chain of :func:`~simulator.queueing.finite.mmck_kpis`;
* callbacks: a caller who finds every agent busy and is offered a callback (the offer rule
  below) accepts with ``uptake`` and leaves the line at once — for the live line that is
  balking with probability ``uptake``. The accepted callbacks are deferred work, served by
  :meth:`optimizer.analytic.AnalyticModel.evaluate` from the capacity left.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from simulator.channels.spec import Callback, Lines
from simulator.clock import DAY_S
from simulator.queueing.finite import balking_kpis

ASA_CAP_S = float(DAY_S)  # an unstable queue reports ASA = inf; cap it at one day

Chain = Callable[[int, float], tuple[int, np.ndarray]]
"""``chain(servers, aht_s)`` -> (servers that answer, leave-at-once probabilities by callers
waiting; the last entry holds for longer lines)."""


@dataclass(frozen=True)
class Table:
    """Values of one real-time channel per interval (rows) and servers (columns)."""

    lam_total: np.ndarray  # contacts per hour, redials included
    service_level: np.ndarray
    p_abandon: np.ndarray
    asa_s: np.ndarray
    p_balk: np.ndarray | None = None  # walk-in counters with balking
    p_block: np.ndarray | None = None  # call channels with finite lines (busy signal)
    p_callback: np.ndarray | None = None  # call channels with callbacks (accepted)

    def at(self, k: np.ndarray, servers: np.ndarray) -> tuple[np.ndarray, ...]:
        """(arrivals per hour, service level, P(abandon), ASA, P(balk), P(blocked),
        P(callback accepted)) at ``servers``."""
        top = self.lam_total.shape[1] - 1
        s = np.clip(servers, 0.0, float(top))
        lo = np.minimum(np.floor(s).astype(int), top - 1) if top > 0 else np.zeros_like(k)
        w = s - lo if top > 0 else np.zeros_like(s)
        hi = np.minimum(lo + 1, top)
        out = []
        for table in (self.lam_total, self.service_level, self.p_abandon, self.asa_s):
            out.append((1 - w) * table[k, lo] + w * table[k, hi])
        for table in (self.p_balk, self.p_block, self.p_callback):
            if table is None:
                out.append(np.zeros_like(out[0]))
            else:
                out.append((1 - w) * table[k, lo] + w * table[k, hi])
        return tuple(out)


class OfferTable:
    """The table of a call channel whose callback is offered by *expected wait*, over people
    (columns, as :class:`Table`) and the offer position, built lazily.

    The simulator offers a callback to a caller who would wait behind ``q`` others when
    ``(q + 1) x mean handle time / present >= offer_at_expected_wait_seconds``, where
    *present* counts every agent present in the channel's skilled groups — also those busy
    on another channel or on callbacks — and the mean handle time is the channel's (no
    agent's handle-time factor) (``simulator.engine``, ``_offer_callback``). The chain's
    servers are the people left for the channel, so the offer position ``q >= T x present
    / aht - 1`` is a second coordinate: the value at a (people, present) pair is read
    from the chains at whole people (linear between them) and the whole present agents on
    either side of ``present`` (the simulator rounds shrunk headcounts at random: weighted
    by the fraction), each chain solved (over every interval at once) the first time it is
    needed. Reading the position off the chain's own servers at the slower agents'
    handle time (as before) offered callbacks at a third of the queue positions the
    simulator does on ``storm_callbacks.yaml`` (55.6 offers vs 17.7 simulated at the
    plan the search chose)."""

    def __init__(
        self,
        base: np.ndarray,
        aht: np.ndarray,
        offer_aht: np.ndarray,
        top: int,
        lines: Lines | None,
        callback: Callback,
        rule: tuple,
    ):
        """``base`` (K,) arrivals per hour, ``aht`` (K,) the people's handle time in
        seconds, ``offer_aht`` (K,) the channel's mean handle time the offer rule reads,
        ``top`` the last people column; ``rule``: (patience, within, sl_over_answered,
        redial) as :func:`call_table` takes them."""
        assert callback.offer_at_expected_wait_seconds is not None
        self.base = np.asarray(base, dtype=float)
        self.aht = np.asarray(aht, dtype=float)
        self.offer_aht = np.asarray(offer_aht, dtype=float)
        self.top = int(top)
        self.lines = lines
        self.callback = callback
        self.rule = rule
        self.threshold = float(callback.offer_at_expected_wait_seconds)
        self._index: dict[tuple[int, int], int] = {}
        self._rows: list[np.ndarray] = []  # each (7, K)
        self._store = np.zeros((0, 7, len(self.base)))

    def _hold(self, c: np.ndarray) -> np.ndarray:
        """Callers who may hold with ``c`` people answering (inf: no limit)."""
        hold = np.full(c.shape, np.inf)
        if self.lines is not None:
            if self.lines.max_waiting is not None:
                hold = np.minimum(hold, float(self.lines.max_waiting))
            if self.lines.max_in_system is not None:
                cap = float(self.lines.max_in_system)
                hold = np.minimum(hold, cap - np.minimum(c, cap))
        return hold

    def _key_index(self, c: np.ndarray, q: np.ndarray) -> np.ndarray:
        """Rows of the store for chains (people ``c``, offer position ``q``), solved where
        missing. A position beyond the callers who may hold is "never offered": one chain."""
        q = np.minimum(q, self._hold(c) + 1)
        if self.callback.offer_at_position is not None:
            q = np.minimum(q, float(self.callback.offer_at_position))
        keys = list(zip(c.astype(int).tolist(), q.astype(int).tolist(), strict=True))
        missing = sorted({key for key in keys if key not in self._index})
        if missing:
            for key in missing:
                self._index[key] = len(self._rows)
                self._rows.append(self._solve(*key))
            self._store = np.stack(self._rows)
        return np.array([self._index[key] for key in keys], dtype=int)

    def _solve(self, c: int, q: int) -> np.ndarray:
        """(7, K): :meth:`Table.at`'s values of the chain with ``c`` people and the offer at
        ``q`` callers on hold, every interval."""
        table = call_table(
            self.base[:, None], self.aht[:, None], np.array([[float(c)]]), self.lines,
            self.callback, *self.rule, offer_at=q,
        )  # fmt: skip
        k = np.arange(len(self.base))
        return np.stack(table.at(k, np.full(len(k), float(c))))

    def at(self, k: np.ndarray, people: np.ndarray, present: np.ndarray) -> tuple[np.ndarray, ...]:
        """:meth:`Table.at`'s values at ``people`` answering, ``present`` agents counted by
        the offer rule (see class docstring)."""
        k = np.asarray(k, dtype=int)
        s = np.clip(np.asarray(people, dtype=float), 0.0, float(self.top))
        lo = np.minimum(np.floor(s), max(self.top - 1, 0))
        w = s - lo
        hi = np.minimum(lo + 1, self.top)
        present = np.maximum(np.asarray(present, dtype=float), 0.0)
        p_lo = np.floor(present + 1e-9)
        v = np.clip(present - p_lo, 0.0, 1.0)
        out = np.zeros((7, len(k)))
        for p, wp in ((p_lo, 1 - v), (p_lo + 1, v)):
            # (q + 1) aht / p >= T  <=>  q >= T p / aht - 1; nobody present: offered at once
            q = np.where(p > 0, np.ceil(self.threshold * p / self.offer_aht[k] - 1 - 1e-9), 0)
            q = np.clip(q, 0.0, 1e6)
            for c, wc in ((lo, 1 - w), (hi, w)):
                rows = self._key_index(c, q)
                out += (wc * wp)[None, :] * self._store[rows, :, k].T
        return tuple(out)


@dataclass(frozen=True)
class MixedTable:
    """Tables of a call channel with lines or callbacks over *people* (columns), one per
    handle-time factor of its skilled groups (``tables[j]``: every person ``factors[j]``
    times slower than a factor-1.0 agent). A pool of ``people`` worth ``servers`` factor-1.0
    agents has the mean factor ``people / servers``; it is read from the two tables whose
    factors bracket it, weighted linearly. So slower agents hold the lines longer. A callback
    offered by expected wait reads the agents present in the skilled groups as well
    (:class:`OfferTable`)."""

    factors: tuple[float, ...]
    tables: tuple[Table | OfferTable, ...]

    def at(
        self, k: np.ndarray, servers: np.ndarray, people: np.ndarray, present: np.ndarray
    ) -> tuple[np.ndarray, ...]:
        """The values of :meth:`Table.at` for ``people`` worth ``servers`` factor-1.0 agents,
        with ``present`` agents in the skilled groups (the callback offer rule reads them:
        :class:`OfferTable`)."""
        f = np.asarray(self.factors)
        with np.errstate(divide="ignore", invalid="ignore"):
            mean = np.where(servers > 0, people / np.maximum(servers, 1e-300), f[0])
        mean = np.clip(mean, f[0], f[-1])

        def read(t: Table | OfferTable) -> tuple[np.ndarray, ...]:
            return t.at(k, people, present) if isinstance(t, OfferTable) else t.at(k, people)

        if len(f) == 1:
            return read(self.tables[0])
        j = np.clip(np.searchsorted(f, mean, side="right") - 1, 0, len(f) - 2)
        w = (mean - f[j]) / (f[j + 1] - f[j])
        values = [np.stack(read(t)) for t in self.tables]  # (T, 7, N)
        stacked = np.stack(values)
        idx = np.arange(len(k))
        low, high = stacked[j, :, idx], stacked[j + 1, :, idx]  # (N, 7)
        return tuple(((1 - w)[:, None] * low + w[:, None] * high).T)


def walk_in_table(
    base: np.ndarray,
    aht: np.ndarray,
    n: np.ndarray,
    balk: tuple[float, ...],
    patience: float | None,
    within: float,
    sl_over_answered: bool,
    redial: object | None,
) -> Table:
    """The table of a walk-in counter with balking: per interval (rows, ``base`` arrivals per
    hour and ``aht`` seconds) and servers (columns ``n``, from 0), the balking chain's KPIs.
    Customers who balked or reneged and come back (``redial``) add to the arrivals, as the
    calls' redials do (fixed point over 4 sweeps). Where the chain has no steady state (no
    patience, a last balk probability below 1 and more joiners than the servers serve) or
    no server is present, nobody is served in time: service level 0, ASA capped; a chain
    within 2% of that edge is treated the same (its line would run to thousands). Solved
    one server count (column) at a time, so the chain's length follows that column's load."""
    table = np.asarray(balk, dtype=float)
    lam, sl, pab, asa, left, _ = _solve(
        base, aht, n, lambda c, _aht: (c, table), patience, within, sl_over_answered, redial,
        redial_all_left=True,
    )  # fmt: skip
    return Table(lam, sl, pab, asa, p_balk=left)


def call_table(
    base: np.ndarray,
    aht: np.ndarray,
    n: np.ndarray,
    lines: Lines | None,
    callback: Callback | None,
    patience: float | None,
    within: float,
    sl_over_answered: bool,
    redial: object | None,
    offer_at: int | None = None,
) -> Table:
    """The table of a call channel with finite ``lines`` and/or a ``callback`` offer: per
    interval (rows) and servers (columns ``n``, from 0), the exact chain (module docstring).

    * Lines: with ``max_in_system`` = K, ``c`` servers answer at most ``min(c, K)`` callers
      at a time and ``K - min(c, K)`` may hold (also at most ``max_waiting``). Servers are
      counted in factor-1.0 agents, as everywhere in the model, so a pool of slower agents
      reaches the line limit later in the model than in the simulation (the corrected
      model's ratio on the blocked rate absorbs it).
    * Callbacks, offered as the simulator offers them to a caller who would wait behind ``q``
      others: ``q >= offer_at_position``, or ``(q + 1) x aht / present >=
      offer_at_expected_wait_seconds``, with the column's servers as the agents present
      and ``aht`` as the handle time unless ``offer_at`` (callers on hold) gives the
      position: the simulator counts the skilled groups' agents present, whatever else they
      are doing, at the channel's mean handle time - not the chain's servers at theirs
      (:class:`OfferTable` passes it).
    * Redials: blocked and abandoned callers redial (fixed point over 4 sweeps, as for
      calls); a caller who accepted a callback does not.

    The service level is answered within T over the arrivals (over answered with
    ``answered_within_over_answered``); :func:`optimizer.analytic.kpi_from_fields` takes the
    accepted callbacks out of its denominator, as the simulator's results do."""
    cap = lines.max_in_system if lines is not None else None
    waiting = lines.max_waiting if lines is not None else None

    def chain(c: int, aht_s: float) -> tuple[int, np.ndarray]:
        answering = c if cap is None else min(c, cap)
        hold = math.inf if waiting is None else float(waiting)
        if cap is not None:
            hold = min(hold, float(cap - answering))
        offer = math.inf
        if callback is not None:
            if callback.offer_at_position is not None:
                offer = float(callback.offer_at_position)
            threshold = callback.offer_at_expected_wait_seconds
            if offer_at is not None:
                offer = min(offer, float(offer_at))
            elif threshold is not None:
                # (q + 1) aht / c >= T  <=>  q >= T c / aht - 1
                offer = min(offer, max(math.ceil(threshold * c / aht_s - 1 - 1e-9), 0))
        uptake = callback.uptake if callback is not None else 0.0
        length = int(hold) if math.isfinite(hold) else int(offer)
        table = np.zeros(length + 1)
        if offer <= length:
            table[int(offer) :] = uptake
        if math.isfinite(hold):
            table[length] = 1.0  # the lines are full: a busy signal
        return answering, table

    lam, sl, pab, asa, left, full = _solve(
        base, aht, n, chain, patience, within, sl_over_answered, redial, redial_all_left=False
    )
    return Table(
        lam,
        sl,
        pab,
        asa,
        p_block=full if lines is not None else None,
        p_callback=np.maximum(left - full, 0.0) if callback is not None else None,
    )


def _solve(
    base: np.ndarray,
    aht: np.ndarray,
    n: np.ndarray,
    chain: Chain,
    patience: float | None,
    within: float,
    sl_over_answered: bool,
    redial: object | None,
    *,
    redial_all_left: bool,
) -> tuple[np.ndarray, ...]:
    """Per interval (rows) and servers (columns ``n``): the balking chain's (arrivals per
    hour, service level, P(abandon), ASA, P(left at once), P(found the line at its limit)),
    one column at a time (rows grouped by handle time, which the offer rule may read).
    Redials add those who abandoned and either everyone who left at once
    (``redial_all_left``: balking) or only those who found the line full (busy signals)."""
    columns = np.broadcast_to(n, base.shape)[0].astype(int)
    aht_all = np.broadcast_to(aht, base.shape)
    lam = base
    out: dict[str, np.ndarray] = {}
    for _ in range(4 if redial is not None else 1):
        sl = np.zeros(base.shape)
        pab = np.zeros(base.shape)
        left = np.zeros(base.shape)
        full = np.zeros(base.shape)
        asa = np.full(base.shape, ASA_CAP_S)
        for col, c in enumerate(columns):
            for a in np.unique(aht_all[:, col]):
                rows = aht_all[:, col] == a
                servers, table = chain(int(c), float(a))
                last = float(table[-1])
                if servers < 1:  # nobody to answer: everyone is lost at once
                    left[rows, col] = full[rows, col] = 1.0
                    continue
                stable = (
                    (patience is not None)
                    | (last >= 1)
                    | (lam[rows, col] / 3600 * (1 - last) < 0.98 * servers / a)
                )
                go = np.flatnonzero(rows)[stable & (lam[rows, col] > 0)]
                grow = np.flatnonzero(rows)[~stable]
                left[grow, col] = last  # the line grows: those who join are lost
                pab[grow, col] = 1 - last
                if not len(go):
                    continue
                k = balking_kpis(
                    lam[go, col], a, servers, table, patience, within_s=within
                )  # fmt: skip
                within_share = np.asarray(k.service_level)
                if sl_over_answered:
                    answered = 1 - np.asarray(k.p_balk) - np.asarray(k.p_abandon)
                    within_share = np.where(
                        answered > 0, within_share / np.maximum(answered, 1e-300), 0
                    )
                sl[go, col] = within_share
                pab[go, col] = np.asarray(k.p_abandon)
                left[go, col] = np.asarray(k.p_balk)
                full[go, col] = np.asarray(k.p_full)
                asa[go, col] = np.nan_to_num(np.asarray(k.asa_s), nan=0.0)
        out = {"sl": sl, "pab": pab, "left": left, "full": full, "asa": asa}
        if redial is None:
            break
        q = redial.probability * (pab + (left if redial_all_left else full))  # type: ignore[attr-defined]
        lam = base * sum(q**i for i in range(redial.max_attempts))  # type: ignore[attr-defined]
    idle = lam <= 0
    return (
        lam,
        np.where(idle, 1.0, out["sl"]),
        np.where(idle, 0.0, out["pab"]),
        np.minimum(np.where(idle, 0.0, out["asa"]), ASA_CAP_S),
        np.where(idle, 0.0, out["left"]),
        np.where(idle, 0.0, out["full"]),
    )


__all__ = [
    "ASA_CAP_S",
    "Chain",
    "MixedTable",
    "OfferTable",
    "Table",
    "call_table",
    "walk_in_table",
]
