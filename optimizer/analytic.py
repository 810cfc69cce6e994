"""Instant KPI estimates of a staffing plan from queueing formulas (Erlang C / Erlang A).

A multi-skill contact centre has no exact formula, so this is a documented approximation;
the simulation evaluator is the judge. Per planning interval:

* each group's paid agents lose their shrinkage: ``available = paid x (1 - shrinkage)``;
* real-time channels (call, chat, walk_in) are served in routing-priority order. A channel sees a
  pool of the capacity its skilled groups have *left*, in factor-1.0 agents
  (``sum remaining_g / handle_time_factor_g``; a chat agent counts ``max_concurrency``
  servers, each ``1 + slowdown x (concurrency - 1)`` times slower). Its KPIs are Erlang A
  (exponential patience with the channel's mean patience) or Erlang C (no patience) of that
  pool, interpolated linearly between whole numbers of servers (the simulator rounds
  shrunk headcounts at random, so this is its expectation). A walk-in counter with
  ``balking`` uses the exact balking birth–death chain instead
  (:func:`simulator.queueing.finite.balking_kpis`: M/M/c with balking by line length and
  exponential patience of the channel's mean; see :func:`walk_in_table`), and a call channel
  with finite ``lines`` the exact M/M/c/K (+M) chain (busy signals; see :func:`lines_table`).
  Redials inflate the arrival rate to the fixed point
  ``lambda_total = lambda x sum_i (p_redial x P(lost))^i``, lost = abandoned, balked or
  blocked;
* the carried work is taken from the skilled groups in proportion to their share of the
  pool, which also sets the channel's FCR (the answering groups' FCRs weighted by share);
* deferred channels (email) get the capacity left after real-time work, through the fluid
  backlog model of :mod:`simulator.queueing.deferred` over the whole horizon (carry-over included).
  Emails are blended into idle time but never interrupted: an agent who took an email when
  the phones were quiet is not there for the next call. A model *anchored* at a plan
  (:meth:`AnalyticModel.anchored`) takes the agents its email work occupies in each interval
  out of the real-time pool — at opening, with the night's mail waiting, that is most of the
  email-skilled agents.

Intervals are independent (no carry-over of queues between them; the simulation-driven
search corrects for it). Everything is vectorised over *columns* — one interval's headcount
vector — and Erlang values come from per-(channel, interval) tables over the number of
servers, built once, so a column costs a few array look-ups.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from optimizer.problem import REAL_TIME, Problem
from simulator.channels import KINDS
from simulator.channels.spec import Lines
from simulator.clock import DAY_S
from simulator.queueing.deferred import deferred_profile
from simulator.queueing.finite import balking_kpis
from simulator.queueing.staffing import kpis_for_agents

CHANNEL_FIELDS = (
    "offered",
    "answered",
    "abandoned",
    "answered_within",
    "wait_sum",
    "resolved",
    "balked",  # walk-in counters with balking (0 elsewhere)
    "blocked",  # call channels with finite lines: busy signals (0 elsewhere)
)
GROUP_FIELDS = ("busy_h", "deferred_h", "available_h")
ASA_CAP_S = float(DAY_S)  # an unstable Erlang C queue reports ASA = inf; cap it at one day
_SWEEPS = 6  # fixed-point sweeps when agents are shared by several real-time channels


@dataclass(frozen=True)
class Layout:
    """Where each quantity sits in a column's field vector (contacts per interval,
    seconds of waiting summed, agent-hours)."""

    n_channels: int
    n_groups: int

    @property
    def size(self) -> int:
        return len(CHANNEL_FIELDS) * self.n_channels + len(GROUP_FIELDS) * self.n_groups

    def ch(self, c: int, name: str) -> int:
        return c * len(CHANNEL_FIELDS) + CHANNEL_FIELDS.index(name)

    def grp(self, g: int, name: str) -> int:
        return (
            len(CHANNEL_FIELDS) * self.n_channels + g * len(GROUP_FIELDS) + GROUP_FIELDS.index(name)
        )


def kpi_from_fields(
    fields: np.ndarray, layout: Layout, entity: int, kpi: str, sl_over_answered: bool = False
) -> np.ndarray:
    """A ratio KPI from summed fields (``...`` leading dims), NaN where its denominator is 0."""

    def f(name: str) -> np.ndarray:
        if kpi == "occupancy":
            return fields[..., layout.grp(entity, name)]
        return fields[..., layout.ch(entity, name)]

    if kpi == "service_level":
        num, den = f("answered_within"), f("answered" if sl_over_answered else "offered")
    elif kpi == "abandon_rate":
        num, den = f("abandoned"), f("offered")
    elif kpi == "balk_rate":
        num, den = f("balked"), f("offered")
    elif kpi == "blocked_rate":
        num, den = f("blocked"), f("offered")
    elif kpi == "asa_s":
        num, den = f("wait_sum"), f("answered")
    elif kpi == "fcr":
        num, den = f("resolved"), f("answered")
    elif kpi == "occupancy":
        num, den = f("busy_h") + f("deferred_h"), f("available_h")
    else:
        raise KeyError(kpi)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 1e-12, num / np.where(den > 1e-12, den, 1.0), np.nan)


@dataclass(frozen=True)
class _Table:
    """Erlang values of one real-time channel per interval (rows) and servers (columns)."""

    lam_total: np.ndarray  # contacts per hour, redials included
    service_level: np.ndarray
    p_abandon: np.ndarray
    asa_s: np.ndarray
    p_balk: np.ndarray | None = None  # walk-in counters with balking
    p_block: np.ndarray | None = None  # call channels with finite lines (busy signal)

    def at(self, k: np.ndarray, servers: np.ndarray) -> tuple[np.ndarray, ...]:
        """(arrivals per hour, service level, P(abandon), ASA, P(balk), P(blocked)) at
        ``servers``."""
        top = self.lam_total.shape[1] - 1
        s = np.clip(servers, 0.0, float(top))
        lo = np.minimum(np.floor(s).astype(int), top - 1) if top > 0 else np.zeros_like(k)
        w = s - lo if top > 0 else np.zeros_like(s)
        hi = np.minimum(lo + 1, top)
        out = []
        for table in (self.lam_total, self.service_level, self.p_abandon, self.asa_s):
            out.append((1 - w) * table[k, lo] + w * table[k, hi])
        for table in (self.p_balk, self.p_block):
            if table is None:
                out.append(np.zeros_like(out[0]))
            else:
                out.append((1 - w) * table[k, lo] + w * table[k, hi])
        return tuple(out)


def walk_in_table(
    base: np.ndarray,
    aht: np.ndarray,
    n: np.ndarray,
    balk: tuple[float, ...],
    patience: float | None,
    within: float,
    sl_over_answered: bool,
    redial: object | None,
) -> _Table:
    """The table of a walk-in counter with balking: per interval (rows, ``base`` arrivals per
    hour and ``aht`` seconds) and servers (columns ``n``, from 0), the balking chain's KPIs.
    Customers who balked or reneged and come back (``redial``) add to the arrivals, as the
    calls' redials do (fixed point over 4 sweeps). Where the chain has no steady state (no
    patience, a last balk probability below 1 and more joiners than the servers serve) or
    no server is present, nobody is served in time: service level 0, ASA capped; a chain
    within 2% of that edge is treated the same (its line would run to thousands). Solved
    one server count (column) at a time, so the chain's length follows that column's load."""
    table = np.asarray(balk, dtype=float)
    out = _chain_table(
        base, aht, n, lambda c: (c, table), patience, within, sl_over_answered, redial
    )
    return replace(out, p_balk=out.p_block, p_block=None)


def lines_table(
    base: np.ndarray,
    aht: np.ndarray,
    n: np.ndarray,
    lines: Lines,
    patience: float | None,
    within: float,
    sl_over_answered: bool,
    redial: object | None,
) -> _Table:
    """The table of a call channel with finite ``lines``: per interval (rows) and servers
    (columns ``n``, from 0), the exact M/M/c/K chain (+M with ``patience``) — the balking
    chain of :func:`simulator.queueing.finite.balking_kpis` with nobody balking below the
    limit and everybody at it, which is :func:`~simulator.queueing.finite.mmck_kpis`'s chain
    with the service level added. With ``max_in_system`` = K, ``c`` servers answer at most
    ``min(c, K)`` callers at a time and ``K - min(c, K)`` may hold (also at most
    ``max_waiting``); servers are counted in factor-1.0 agents, as everywhere here, so a
    pool of slower agents reaches the line limit later in the model than in the simulation
    (the corrected model's ratio on the blocked rate absorbs it). Blocked callers who redial
    add to the arrivals with those who abandoned (fixed point over 4 sweeps, as for calls)."""
    cap = lines.max_in_system
    waiting = lines.max_waiting

    def chain(c: int) -> tuple[int, np.ndarray]:
        answering = c if cap is None else min(c, cap)
        hold = math.inf if waiting is None else waiting
        if cap is not None:
            hold = min(hold, cap - answering)
        return answering, np.concatenate([np.zeros(int(hold)), [1.0]])

    return _chain_table(base, aht, n, chain, patience, within, sl_over_answered, redial)


def _chain_table(
    base: np.ndarray,
    aht: np.ndarray,
    n: np.ndarray,
    chain: Callable[[int], tuple[int, np.ndarray]],
    patience: float | None,
    within: float,
    sl_over_answered: bool,
    redial: object | None,
) -> _Table:
    """Per interval (rows) and servers (columns ``n``): the balking chain's KPIs, where
    ``chain(servers)`` gives the servers that answer and the balk probabilities by callers
    waiting (see :func:`walk_in_table`); the customers turned away (balked, or blocked)
    are ``p_block`` of the result."""
    columns = np.broadcast_to(n, base.shape)[0].astype(int)
    chains = [chain(int(c)) for c in columns]
    servers = np.broadcast_to(np.array([float(c) for c, _ in chains])[None, :], base.shape)
    last = np.array([float(t[-1]) for _, t in chains])[None, :]
    lam = base
    out = {}
    for _ in range(4 if redial is not None else 1):
        mu = 1 / aht
        stable = (servers >= 1) & (
            (patience is not None) | (last >= 1) | (lam / 3600 * (1 - last) < 0.98 * servers * mu)
        )
        loaded = stable & (lam > 0)
        sl = np.zeros(base.shape)
        pab = np.zeros(base.shape)
        pbk = np.where(servers >= 1, 0.0, 1.0)
        asa = np.full(base.shape, ASA_CAP_S)
        aht_all = np.broadcast_to(aht, base.shape)
        for col in range(base.shape[1]):
            rows = loaded[:, col]
            if not rows.any():
                continue
            k = balking_kpis(
                lam[rows, col], aht_all[rows, col], servers[rows, col], chains[col][1],
                patience, within_s=within,
            )  # fmt: skip
            answered = 1 - np.asarray(k.p_balk) - np.asarray(k.p_abandon)
            within_share = np.asarray(k.service_level)
            if sl_over_answered:
                within_share = np.where(
                    answered > 0, within_share / np.maximum(answered, 1e-300), 0
                )
            sl[rows, col] = within_share
            pab[rows, col] = np.asarray(k.p_abandon)
            pbk[rows, col] = np.asarray(k.p_balk)
            asa[rows, col] = np.nan_to_num(np.asarray(k.asa_s), nan=0.0)
        unstable = ~stable & (servers >= 1)
        pbk = np.where(unstable, last, pbk)
        pab = np.where(unstable, 1 - last, pab)  # the line grows: joiners are lost
        out = {"sl": sl, "pab": pab, "pbk": pbk, "asa": asa}
        if redial is None:
            break
        q = redial.probability * (pab + pbk)  # type: ignore[attr-defined]
        lam = base * sum(q**i for i in range(redial.max_attempts))  # type: ignore[attr-defined]
    idle = lam <= 0
    return _Table(
        lam_total=lam,
        service_level=np.where(idle, 1.0, out["sl"]),
        p_abandon=np.where(idle, 0.0, out["pab"]),
        asa_s=np.minimum(np.where(idle, 0.0, out["asa"]), ASA_CAP_S),
        p_block=np.where(idle, 0.0, out["pbk"]),
    )


class AnalyticModel:
    """Vectorised KPI approximation of a :class:`Problem` (see module docstring).

    ``extra_rate_per_hour`` (C, K) adds load on top of the scenario's arrivals, e.g. repeat
    contacts of unresolved issues (see :meth:`with_repeats`).
    """

    def __init__(
        self,
        problem: Problem,
        extra_rate_per_hour: np.ndarray | None = None,
        deferred_busy: np.ndarray | None = None,
        tables: dict[int, _Table] | None = None,
    ):
        self.p = problem
        self.deferred_busy = (
            np.zeros((problem.n_groups, problem.n_intervals))
            if deferred_busy is None
            else np.asarray(deferred_busy, dtype=float)
        )  # (G, K) agents busy with deferred work (anchored), out of the real-time pool
        self.layout = Layout(problem.n_channels, problem.n_groups)
        sc = problem.scenario
        self.sl_over_answered = sc.run.service_level_definition == "answered_within_over_answered"
        self.extra = (
            np.zeros_like(problem.rate_per_hour)
            if extra_rate_per_hour is None
            else np.asarray(extra_rate_per_hour, dtype=float)
        )
        rt = [c for c in range(problem.n_channels) if problem.kinds[c] in REAL_TIME]
        self.real_time = sorted(
            rt, key=lambda c: (problem.priority[c], problem.skilled[:, c].sum())
        )
        self.balking = frozenset(
            c for c, name in enumerate(problem.channels) if sc.channels[name].balking is not None
        )  # walk-in counters with balking
        self.lines = frozenset(
            c for c, name in enumerate(problem.channels) if sc.channels[name].lines is not None
        )  # call channels with finite lines
        self.deferred = sorted(
            (c for c in range(problem.n_channels) if problem.kinds[c] not in REAL_TIME),
            key=lambda c: problem.priority[c],
        )
        self.concurrency = np.ones(problem.n_channels)
        self.slowdown = np.ones(problem.n_channels)
        for c, name in enumerate(problem.channels):
            ch = sc.channels[name]
            if KINDS[ch.kind].concurrent:
                self.concurrency[c] = ch.max_concurrency
                self.slowdown[c] = 1 + ch.concurrency_slowdown * (ch.max_concurrency - 1)
        self.tables = tables if tables is not None else {c: self._table(c) for c in self.real_time}

    # ---- construction -------------------------------------------------------------------
    def _table(self, c: int) -> _Table:
        p = self.p
        name = p.channels[c]
        ch = p.scenario.channels[name]
        skilled = p.skilled[:, c]
        aht_k = p.aht_grid_s[c] * self.slowdown[c]  # (K,) per-interval mean handle time
        aht = aht_k[:, None]
        # Servers beyond the peak load plus a wide safety band answer everyone at once: the
        # table stops there (values above it are read at its last column).
        peak = float(((p.rate_per_hour[c] + self.extra[c]) * aht_k).max(initial=0.0)) / 3600
        servers_max = min(
            float(
                (p.upper[skilled].max(axis=1) / p.factor[skilled, c]).sum() * self.concurrency[c]
            ),
            1.5 * peak + 8 * math.sqrt(peak) + 20,
        )
        del skilled
        n = np.arange(math.ceil(servers_max) + 2, dtype=float)[None, :]
        base = (p.rate_per_hour[c] + self.extra[c])[:, None] * np.ones_like(n)
        within = ch.targets.within_seconds if ch.targets.within_seconds is not None else 20.0
        patience = None if math.isnan(p.patience_s[c]) else p.patience_s[c]
        redial = ch.redial
        if ch.balking is not None:
            return walk_in_table(
                base, aht, n, ch.balking.table(), patience, within, self.sl_over_answered, redial
            )
        if ch.lines is not None:
            return lines_table(
                base, aht, n, ch.lines, patience, within, self.sl_over_answered, redial
            )
        lam = base
        for _ in range(4 if redial is not None else 1):
            kp = kpis_for_agents(
                lam, aht, np.broadcast_to(n, lam.shape), within_s=within, patience_s=patience
            )
            if redial is None:
                break
            q = redial.probability * np.nan_to_num(np.asarray(kp.p_abandon, dtype=float), nan=1.0)
            lam = base * sum(q**i for i in range(redial.max_attempts))
        kp = kpis_for_agents(
            lam, aht, np.broadcast_to(n, lam.shape), within_s=within, patience_s=patience
        )
        sl = np.asarray(kp.service_level_answered if self.sl_over_answered else kp.service_level)
        pab = np.asarray(kp.p_abandon, dtype=float)
        asa = np.asarray(kp.asa_s, dtype=float)
        # No servers, or a value the formulas leave undefined (NaN; e.g. Erlang A with 0
        # agents): nobody is answered. Zero load: nothing to miss.
        empty = (n == 0) | np.isnan(sl) | np.isnan(pab)
        loaded = lam > 0
        sl = np.where(loaded, np.where(empty, 0.0, sl), 1.0)
        pab = np.where(loaded & empty, 1.0 if patience is not None else 0.0, np.nan_to_num(pab))
        asa = np.where(loaded & empty, ASA_CAP_S, np.nan_to_num(asa, nan=0.0, posinf=ASA_CAP_S))
        return _Table(
            lam_total=lam,
            service_level=sl,
            p_abandon=np.where(loaded, pab, 0.0),
            asa_s=np.minimum(np.where(loaded, asa, 0.0), ASA_CAP_S),
        )

    def with_repeats(self, x: np.ndarray) -> AnalyticModel:
        """A model whose arrivals include the repeat and escalated contacts of issues the
        plan ``x`` leaves unresolved (the FCR loop), taken in the same interval — a
        first-order estimate; returns ``self`` when no channel has a resolution loop."""
        p = self.p
        loops = [(c, p.scenario.channels[n].resolution) for c, n in enumerate(p.channels)]
        loops = [(c, r) for c, r in loops if r is not None]
        if not loops:
            return self
        fields = self.columns(x.T.astype(float), np.arange(p.n_intervals))
        extra = np.zeros_like(p.rate_per_hour)
        for c, res in loops:
            answered = fields[:, self.layout.ch(c, "answered")]
            resolved = fields[:, self.layout.ch(c, "resolved")]
            unresolved_per_h = np.maximum(answered - resolved, 0.0) / p.interval_hours
            mix = res.repeat_mix or {p.channels[c]: 1.0}
            total = sum(mix.values())
            for target, weight in mix.items():
                extra[p.channels.index(target)] += (
                    unresolved_per_h * res.repeat_share * (weight / total)
                )
            if res.escalate_to is not None and res.escalate_share > 0:
                extra[p.channels.index(res.escalate_to)] += unresolved_per_h * res.escalate_share
        return AnalyticModel(p, extra, self.deferred_busy)

    def anchored(self, x: np.ndarray, sweeps: int = 2) -> AnalyticModel:
        """The model around plan ``x`` (G, K): its repeat contacts as extra load
        (:meth:`with_repeats`) and the agents its email work occupies taken out of the
        real-time pool, refined over ``sweeps`` rounds (email work depends on the capacity
        real-time work leaves, and the other way round)."""
        x = np.asarray(x, dtype=float)
        model = self.with_repeats(x)
        if not self.deferred:
            return model
        h = self.p.interval_hours
        for _ in range(sweeps):
            fields, _ = model.evaluate(x)
            busy = np.stack(
                [fields[:, self.layout.grp(g, "deferred_h")] / h for g in range(self.p.n_groups)]
            )
            model = AnalyticModel(self.p, model.extra, busy, model.tables)
        return model

    # ---- evaluation ---------------------------------------------------------------------
    def columns(self, agents: np.ndarray, intervals: np.ndarray) -> np.ndarray:
        """Fields (N, layout.size) of N columns: ``agents`` (N, G) paid agents on duty,
        ``intervals`` (N,) their global interval indices. Deferred channels get their
        ``offered`` only (their service needs the whole horizon: :meth:`evaluate`)."""
        p, lay = self.p, self.layout
        agents = np.asarray(agents, dtype=float)
        ks = np.asarray(intervals, dtype=int)
        out = np.zeros((len(ks), lay.size))
        avail = agents * (1 - p.shrinkage)[None, :]
        held = np.minimum(self.deferred_busy[:, ks].T, avail)  # on deferred work
        avail_rt = avail - held
        h = p.interval_hours
        n_ch = p.n_channels
        busy = np.zeros((len(ks), p.n_groups, n_ch))  # agents of g busy with channel c
        kpis: dict[int, tuple[np.ndarray, ...]] = {}
        for sweep in range(_SWEEPS if len(self.real_time) > 1 else 1):
            for c in self.real_time:
                skilled = p.skilled[:, c]
                others = busy.sum(axis=2) - busy[:, :, c]
                rem = np.maximum(avail_rt - others, 0.0)[:, skilled]
                pool = (rem / p.factor[skilled, c][None, :]).sum(axis=1)
                lam, sl, pab, asa, balk, block = self.tables[c].at(ks, pool * self.concurrency[c])
                offered = lam * h
                answered = offered * (1 - pab - balk - block)
                aht = p.aht_grid_s[c, ks]
                need = answered / h * aht * self.slowdown[c] / 3600 / self.concurrency[c]
                with np.errstate(divide="ignore", invalid="ignore"):
                    share = np.where(pool[:, None] > 0, rem / pool[:, None], 0.0)
                take = np.minimum(share * need[:, None], rem)
                new = np.zeros((len(ks), p.n_groups))
                new[:, skilled] = take
                # Damped (Jacobi-style) update: the channels share agents symmetrically.
                busy[:, :, c] = new if sweep == 0 else 0.5 * (busy[:, :, c] + new)
                with np.errstate(divide="ignore", invalid="ignore"):
                    served = np.where(
                        pool[:, None] > 0, rem / p.factor[skilled, c] / pool[:, None], 0
                    )
                fcr = (served * p.fcr[skilled, c][None, :]).sum(axis=1)
                kpis[c] = (offered, answered, sl, asa, fcr, offered * balk, offered * block)
        for c, (offered, answered, sl, asa, fcr, balked, blocked) in kpis.items():
            out[:, lay.ch(c, "offered")] = offered
            out[:, lay.ch(c, "abandoned")] = offered - answered - balked - blocked
            out[:, lay.ch(c, "balked")] = balked
            out[:, lay.ch(c, "blocked")] = blocked
            out[:, lay.ch(c, "answered")] = answered
            out[:, lay.ch(c, "answered_within")] = sl * (
                answered if self.sl_over_answered else offered
            )
            out[:, lay.ch(c, "wait_sum")] = asa * answered
            out[:, lay.ch(c, "resolved")] = fcr * answered
        rt_busy = np.minimum(busy.sum(axis=2), avail_rt)
        for c in self.deferred:
            out[:, lay.ch(c, "offered")] = (p.rate_per_hour[c, ks] + self.extra[c, ks]) * h
        for g in range(p.n_groups):
            out[:, lay.grp(g, "available_h")] = avail[:, g] * h
            out[:, lay.grp(g, "busy_h")] = rt_busy[:, g] * h
            out[:, lay.grp(g, "deferred_h")] = held[:, g] * h
        return out

    def evaluate(self, x: np.ndarray) -> tuple[np.ndarray, dict[int, float]]:
        """Fields of every interval (K, layout.size) of plan ``x`` (G, K), deferred channels
        served with the capacity left (their busy time added to the groups), and each
        deferred channel's share answered within its promise (NaN without a promise)."""
        p, lay = self.p, self.layout
        fields = self.columns(np.asarray(x, dtype=float).T, np.arange(p.n_intervals))
        within: dict[int, float] = {}
        if not self.deferred:
            return fields, within
        h = p.interval_hours
        remaining = (
            np.stack(
                [
                    fields[:, lay.grp(g, "available_h")] - fields[:, lay.grp(g, "busy_h")]
                    for g in range(p.n_groups)
                ],
                axis=1,
            )
            / h
        )  # (K, G) agents not on real-time work
        # The email reserve keeps R agents skilled for real-time work out of email's reach.
        reserve = float(p.scenario.routing.email_reserve_agents)
        realtime = p.skilled[:, [c for c in range(p.n_channels) if c in self.real_time]].any(axis=1)
        if reserve > 0 and realtime.any():
            rt_free = remaining[:, realtime]
            total = rt_free.sum(axis=1, keepdims=True)
            with np.errstate(divide="ignore", invalid="ignore"):
                cut = np.where(total > 0, rt_free / total, 0.0) * np.minimum(total, reserve)
            remaining[:, realtime] = rt_free - cut
        usable = remaining.copy()
        for c in self.deferred:
            skilled = p.skilled[:, c]
            rem = np.maximum(remaining[:, skilled], 0.0)
            pool = (rem / p.factor[skilled, c][None, :]).sum(axis=1)
            profile, slots = self.deferred_profile(c, pool)
            handled = profile.handled[slots]  # items handled in each open interval
            busy_agents = handled * p.aht_grid_s[c] / 3600 / h  # factor-1.0 agents
            with np.errstate(divide="ignore", invalid="ignore"):
                take = np.where(pool[:, None] > 0, rem / pool[:, None], 0.0) * busy_agents[:, None]
            remaining[:, skilled] = np.maximum(rem - np.minimum(take, rem), 0.0)
            with np.errstate(divide="ignore", invalid="ignore"):
                share = np.where(pool[:, None] > 0, rem / p.factor[skilled, c] / pool[:, None], 0.0)
            fields[:, lay.ch(c, "answered")] = handled
            fields[:, lay.ch(c, "resolved")] = handled * (share * p.fcr[skilled, c]).sum(axis=1)
            within[c] = profile.share_within_promise
        for g in range(p.n_groups):
            fields[:, lay.grp(g, "deferred_h")] = (usable[:, g] - remaining[:, g]) * h
        return fields, within

    def deferred_profile(self, c: int, pool: np.ndarray):
        """Fluid backlog of deferred channel ``c`` over the horizon as one cycle of
        calendar slots (closed hours included, where mail still arrives)."""
        p = self.p
        sc = p.scenario
        ch = sc.channels[p.channels[c]]
        hz = sc.horizon
        per_day = DAY_S // hz.interval_s
        first = hz.open_s // hz.interval_s
        open_slots = np.array(
            [d * per_day + first + i for d in range(p.days) for i in range(p.intervals_per_day)]
        )
        volumes = np.zeros(p.days * per_day)
        closed = per_day - p.intervals_per_day
        if closed > 0 and ch.arrivals.closed_hours_volume:
            volumes[:] = ch.arrivals.closed_hours_volume * ch.arrivals.scale / closed
        volumes[open_slots] = (p.rate_per_hour[c] + self.extra[c]) * p.interval_hours
        if p.open_mask is not None and ch.arrivals.closed_hours_volume:
            # weekday hours: a day's closed-hours mail over all of that day's closed slots
            is_open = np.zeros(p.days * per_day, dtype=bool)
            is_open[open_slots[p.open_mask]] = True
            daily = ch.arrivals.closed_hours_volume * ch.arrivals.scale
            for d in range(p.days):
                day = slice(d * per_day, (d + 1) * per_day)
                shut = ~is_open[day]
                volumes[day][shut] = daily / max(int(shut.sum()), 1)
        agents = np.zeros_like(volumes)
        agents[open_slots] = np.maximum(pool, 0.0)
        aht = np.full(len(volumes), p.aht_s[c])
        aht[open_slots] = p.aht_grid_s[c]
        profile = deferred_profile(
            volumes,
            aht,
            agents,
            interval_minutes=hz.interval_minutes,
            promise_hours=ch.promise_hours,
            promise_clock=ch.promise_clock,
        )
        return profile, open_slots


__all__ = [
    "CHANNEL_FIELDS",
    "GROUP_FIELDS",
    "AnalyticModel",
    "Layout",
    "kpi_from_fields",
    "lines_table",
    "walk_in_table",
]
