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
  ``balking``, and a call channel with finite ``lines`` or a ``callback`` offer, use an
  exact birth–death chain instead (:mod:`optimizer.chains`: balking by line length; the
  M/M/c/K (+M) chain with busy signals; callers who accept a callback leave the line).
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
  email-skilled agents;
* accepted callbacks are deferred work too, with the callback promise as their deadline
  (calendar time): served by the channel's skilled groups from the capacity left after
  real-time work, before email (the simulator serves them right after the channel's live
  callers), through the same fluid backlog model, their share within the promise
  reported as the channel's ``callback_within_promise``.

Intervals are independent (no carry-over of queues between them; the simulation-driven
search corrects for it). Everything is vectorised over *columns* — one interval's headcount
vector — and Erlang values come from per-(channel, interval) tables over the number of
servers, built once, so a column costs a few array look-ups.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from optimizer.chains import (
    ASA_CAP_S,
    MixedTable,
    OfferTable,
    Table,
    call_table,
    walk_in_table,
)
from optimizer.problem import REAL_TIME, Problem
from simulator.channels import KINDS
from simulator.clock import DAY_S
from simulator.queueing.deferred import DeferredProfile, deferred_profile
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
    "callbacks",  # call channels with callbacks: callers who accepted one (0 elsewhere)
)
GROUP_FIELDS = ("busy_h", "deferred_h", "available_h")
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
        # accepted callbacks are judged by their promise: out of the denominator
        den = f("answered") if sl_over_answered else f("offered") - f("callbacks")
        num = f("answered_within")
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
        tables: dict[int, Table | MixedTable] | None = None,
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
        self.callbacks = sorted(
            (c for c, name in enumerate(problem.channels) if sc.channels[name].callback),
            key=lambda c: self._callback_priority(c),
        )  # call channels offering callbacks, in the callback queues' routing order
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
    def _table(self, c: int) -> Table | MixedTable:
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
        if ch.lines is not None or ch.callback is not None:
            # Lines and the callback offer count people (in service, present), not
            # factor-1.0 servers: one table per handle-time factor of the skilled groups,
            # over people, each person that many times slower (see MixedTable).
            factors = sorted({float(f) for f in p.factor[p.skilled[:, c], c]}) or [1.0]
            people = np.arange(math.ceil(servers_max * factors[-1]) + 2, dtype=float)[None, :]
            wide = (p.rate_per_hour[c] + self.extra[c])[:, None] * np.ones_like(people)
            if ch.callback is not None and ch.callback.offer_at_expected_wait_seconds:
                # the offer reads the agents present, not the chain's servers: a second
                # coordinate, solved lazily (OfferTable)
                top = people.shape[1] - 1
                rule = (patience, within, self.sl_over_answered, redial)
                lazy = tuple(
                    OfferTable(wide[:, 0], aht_k * f, aht_k, top, ch.lines, ch.callback, rule)
                    for f in factors
                )
                return MixedTable(tuple(factors), lazy)
            rule = (ch.lines, ch.callback, patience, within, self.sl_over_answered, redial)
            tables = tuple(call_table(wide, aht * f, people, *rule) for f in factors)
            return MixedTable(tuple(factors), tables)
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
        return Table(
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
        (:meth:`with_repeats`) and the agents its email and callback work occupies taken out
        of the real-time pool, refined over ``sweeps`` rounds (email work depends on the capacity
        real-time work leaves, and the other way round)."""
        x = np.asarray(x, dtype=float)
        model = self.with_repeats(x)
        if not self.deferred and not self.callbacks:
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
                table = self.tables[c]
                if isinstance(table, MixedTable):  # call channels with lines or callbacks
                    # the callback offer counts the skilled groups' agents present, busy or
                    # not (simulator.engine), the chain the people left for the channel
                    present = avail[:, skilled].sum(axis=1)
                    values = table.at(ks, pool, rem.sum(axis=1), present)
                else:
                    values = table.at(ks, pool * self.concurrency[c])
                lam, sl, pab, asa, balk, block, cb = values
                offered = lam * h
                answered = offered * (1 - pab - balk - block - cb)
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
                lost = (offered * balk, offered * block, offered * cb)
                kpis[c] = (offered, answered, sl, asa, fcr, *lost)
        for c, (offered, answered, sl, asa, fcr, balked, blocked, called) in kpis.items():
            out[:, lay.ch(c, "offered")] = offered
            out[:, lay.ch(c, "abandoned")] = offered - answered - balked - blocked - called
            out[:, lay.ch(c, "balked")] = balked
            out[:, lay.ch(c, "blocked")] = blocked
            out[:, lay.ch(c, "callbacks")] = called
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
        """Fields of every interval (K, layout.size) of plan ``x`` (G, K), deferred work
        (accepted callbacks, then deferred channels) served with the capacity left (its busy
        time added to the groups), and the share answered within the promise of each
        deferred channel (NaN without a promise) and of each call channel's callbacks."""
        p, lay = self.p, self.layout
        fields = self.columns(np.asarray(x, dtype=float).T, np.arange(p.n_intervals))
        within: dict[int, float] = {}
        if not self.deferred and not self.callbacks:
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
        # The email reserve keeps R agents skilled for real-time work out of email's reach
        # (and out of the callback queues', which sit behind it in the simulator).
        reserve = float(p.scenario.routing.email_reserve_agents)
        realtime = p.skilled[:, [c for c in range(p.n_channels) if c in self.real_time]].any(axis=1)
        if reserve > 0 and realtime.any():
            rt_free = remaining[:, realtime]
            total = rt_free.sum(axis=1, keepdims=True)
            with np.errstate(divide="ignore", invalid="ignore"):
                cut = np.where(total > 0, rt_free / total, 0.0) * np.minimum(total, reserve)
            remaining[:, realtime] = rt_free - cut
        usable = remaining.copy()
        for c in self.callbacks + self.deferred:
            skilled = p.skilled[:, c]
            rem = np.maximum(remaining[:, skilled], 0.0)
            pool = (rem / p.factor[skilled, c][None, :]).sum(axis=1)
            if c in self.deferred:
                profile, slots = self.deferred_profile(c, pool)
            else:
                profile, slots = self.callback_profile(c, fields[:, lay.ch(c, "callbacks")], pool)
            handled = profile.handled[slots]  # items handled in each open interval
            busy_agents = handled * p.aht_grid_s[c] / 3600 / h  # factor-1.0 agents
            with np.errstate(divide="ignore", invalid="ignore"):
                take = np.where(pool[:, None] > 0, rem / pool[:, None], 0.0) * busy_agents[:, None]
            remaining[:, skilled] = np.maximum(rem - np.minimum(take, rem), 0.0)
            within[c] = profile.share_within_promise
            if c not in self.deferred:
                continue  # callbacks made: the live call's fields stay as they are
            with np.errstate(divide="ignore", invalid="ignore"):
                share = np.where(pool[:, None] > 0, rem / p.factor[skilled, c] / pool[:, None], 0.0)
            fields[:, lay.ch(c, "answered")] = handled
            fields[:, lay.ch(c, "resolved")] = handled * (share * p.fcr[skilled, c]).sum(axis=1)
        for g in range(p.n_groups):
            fields[:, lay.grp(g, "deferred_h")] = (usable[:, g] - remaining[:, g]) * h
        return fields, within

    def deferred_profile(self, c: int, pool: np.ndarray) -> tuple[DeferredProfile, np.ndarray]:
        """Fluid backlog of deferred channel ``c`` over the horizon as one cycle of
        calendar slots (closed hours included, where mail still arrives), with ``pool``
        factor-1.0 agents in each open interval; and the open intervals' slots."""
        p = self.p
        sc = p.scenario
        ch = sc.channels[p.channels[c]]
        per_day, open_slots = self._slots()
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
        return self._fluid(c, volumes, pool, ch.promise_hours, ch.promise_clock), open_slots

    def callback_profile(
        self, c: int, accepted: np.ndarray, pool: np.ndarray
    ) -> tuple[DeferredProfile, np.ndarray]:
        """Fluid backlog of the callback queue of call channel ``c``: ``accepted`` callbacks
        per open interval (K,), ``pool`` factor-1.0 agents left for them per open interval,
        the promise (``callback.promise_minutes``, at least one interval: the fluid model
        checks deadlines at interval ends) on the calendar; and the open intervals' slots."""
        p = self.p
        callback = p.scenario.channels[p.channels[c]].callback
        assert callback is not None
        per_day, open_slots = self._slots()
        volumes = np.zeros(p.days * per_day)
        volumes[open_slots] = np.maximum(accepted, 0.0)
        promise_h = max(callback.promise_minutes / 60, p.interval_hours)
        return self._fluid(c, volumes, pool, promise_h, "calendar"), open_slots

    def _slots(self) -> tuple[int, np.ndarray]:
        """Calendar slots per day, and the slot of every planning interval."""
        p = self.p
        hz = p.scenario.horizon
        per_day = DAY_S // hz.interval_s
        first = hz.open_s // hz.interval_s
        open_slots = np.array(
            [d * per_day + first + i for d in range(p.days) for i in range(p.intervals_per_day)]
        )
        return per_day, open_slots

    def _fluid(
        self,
        c: int,
        volumes: np.ndarray,
        pool: np.ndarray,
        promise_hours: float | None,
        clock: str,
    ) -> DeferredProfile:
        """:func:`simulator.queueing.deferred.deferred_profile` of ``volumes`` per calendar
        slot, worked by ``pool`` agents in the open intervals, at channel ``c``'s handle
        times."""
        p = self.p
        _, open_slots = self._slots()
        agents = np.zeros_like(volumes)
        agents[open_slots] = np.maximum(pool, 0.0)
        aht = np.full(len(volumes), p.aht_s[c])
        aht[open_slots] = p.aht_grid_s[c]
        return deferred_profile(
            volumes,
            aht,
            agents,
            interval_minutes=p.scenario.horizon.interval_minutes,
            promise_hours=promise_hours,
            promise_clock=clock,  # type: ignore[arg-type]
        )

    def _callback_priority(self, c: int) -> int:
        """Routing priority of channel ``c``'s callback queue (its own, or the channel's)."""
        callback = self.p.scenario.channels[self.p.channels[c]].callback
        assert callback is not None
        return int(callback.priority or self.p.priority[c])


__all__ = [
    "CHANNEL_FIELDS",
    "GROUP_FIELDS",
    "AnalyticModel",
    "Layout",
    "kpi_from_fields",
]
