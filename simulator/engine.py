"""One replication of the contact centre, as a lean agent-pull SimPy model.

Design (why it is fast): there is no SimPy process per contact. Every event is a plain
``simpy.Timeout`` carrying a payload, with one bound-method callback:

* an *arrival* creates the contact, draws its attributes (handle time, patience, the
  uniform that decides resolution) from its channel's named streams, and hands it to an
  idle skilled agent or queues it;
* a queued real-time contact gets one *abandonment* timeout; if an agent takes the contact
  first, the timeout later fires into a no-op (lazy cancellation is cheaper than removal);
* a *completion* frees the agent, who **pulls** the next contact: the oldest waiting one
  among the highest-priority channels it is skilled for (calls, then chats, then emails by
  default); the first-contact-resolution loop decides what the customer does next;
* *staffing changes* (interval boundaries, shift starts/ends, breaks) add or remove agents;
  a leaving agent finishes the contact in hand, an arriving one picks up work at once;
* *interval boundaries* close the time-weighted statistics of the interval.

Channel kinds (each kind's service mode, ``SINGLE``, ``CONCURRENT`` or ``DEFERRED``, comes
from its module in :mod:`simulator.channels`; the engine branches on the mode, never on a
kind's name):

* ``call``: one contact per agent; abandonment after patience; redials. With ``lines``
  a caller who finds them full is *blocked* (busy signal) and may redial through the same
  redial model; with ``callback`` a caller who would wait may be offered a call back and,
  accepting, leaves the line for the channel's *callback queue* (an extra queue index
  after the channels': deferred work with a deadline, pulled by the channel's skilled
  agents at the callback priority). Both route through ``_route_limited``, so a channel
  without them takes the same path, with the same random numbers, as before.
* ``walk_in``: served like a call. Its own opening hours only gate arrivals (its rates are
  0 while it is closed); with ``balking`` a customer who finds no idle skilled agent leaves
  at once with the probability its table gives for the line seen (customers of the channel
  waiting), one uniform per customer from its own stream; also via ``_route_limited``.
* ``chat``: an agent holds up to ``max_concurrency`` chats; each chat's handle time is
  stretched by ``1 + concurrency_slowdown × (chats held − 1)`` at its start (then fixed).
  An agent holding chats takes no calls or emails until all its chats end.
* ``email``: deferred work, never abandons; arrives around the clock; waits in a backlog
  that carries over intervals and days; started only when ``email_reserve_agents`` agents
  skilled for real-time work stay idle; never interrupted once started.

Outbound lists (agents dialling in idle time) are not served here: a scenario with them
runs :class:`simulator.outbound.replication.BlendedReplication`, a subclass that hooks in
where an agent goes idle, so this event loop is the same with or without the feature.

Customer attributes are drawn at arrival, in arrival order, from streams keyed by channel
and purpose, so they do not depend on staffing (common random numbers): the handle time of
the 1,000th caller is the same whoever answers; the agent's factor scales it at service.

Times are seconds from day 0 00:00.
"""

from __future__ import annotations

import csv
import math
from collections import deque
from pathlib import Path
from typing import IO, Any

import numpy as np
import simpy
from simpy.events import Timeout

from simulator.channels import CONCURRENT, DEFERRED, KINDS, SINGLE
from simulator.clock import first_counted_interval
from simulator.model import DAY_S, CompiledModel
from simulator.stats import (
    ChannelTally,
    GroupTally,
    IssueTally,
    ReplicationStats,
    response_bin,
    wait_bin,
)
from simulator.streams import Draws, Purpose, stream, uniforms

WAITING, SERVED, ABANDONED, CLOSED, BLOCKED, BALKED = 0, 1, 2, 3, 4, 5


class Contact:
    """One attempt by a customer on a channel. Attributes are set once at arrival.

    ``origin`` is the channel where the customer's issue first came in and ``issue_seq``
    counts the handled-or-offered contacts of that issue (1 = first contact); ``attempt``
    counts redials of this contact after abandonment (1 = first try).
    """

    __slots__ = (
        "arrival",
        "attempt",
        "channel",
        "counted",
        "deadline",
        "handle",
        "interval",
        "issue_seq",
        "origin",
        "resolve_u",
        "state",
    )

    def __init__(self, channel, arrival, interval, handle, resolve_u, counted):
        self.channel = channel
        self.arrival = arrival
        self.interval = interval
        self.handle = handle
        self.resolve_u = resolve_u
        self.counted = counted
        self.attempt = 1
        self.origin = channel
        self.issue_seq = 1
        self.deadline = 0.0
        self.state = WAITING

    is_callback = False


class Callback(Contact):
    """A caller who accepted a callback: waits in the channel's callback queue (deferred
    work, never abandons) until an agent calls back; ``arrival`` is the acceptance time
    (the original call's) and ``deadline`` the promise."""

    __slots__ = ()
    is_callback = True

    @classmethod
    def of(cls, call: Contact, deadline: float) -> Callback:
        cb = cls(call.channel, call.arrival, call.interval, call.handle, call.resolve_u,
                 call.counted)  # fmt: skip
        cb.attempt = call.attempt
        cb.origin = call.origin
        cb.issue_seq = call.issue_seq
        cb.deadline = deadline
        return cb


class Agent:
    """One available agent; ``chats`` counts chats in hand (0 when idle or on a call)."""

    __slots__ = ("chats", "group", "idle_since")

    def __init__(self, group: int, now: float):
        self.group = group
        self.idle_since = now
        self.chats = 0


class _ChannelStreams:
    """Named streams of one channel for one replication."""

    def __init__(self, model: CompiledModel, c: int, seed: int, replication: int):
        ch = model.channels[c]
        self.arrivals = stream(seed, replication, Purpose.ARRIVALS, ch.name)
        self.day = stream(seed, replication, Purpose.DAY_MULTIPLIER, ch.name)
        self.handle = Draws(stream(seed, replication, Purpose.HANDLE, ch.name), ch.handle.sample)
        self.patience = (
            Draws(stream(seed, replication, Purpose.PATIENCE, ch.name), ch.patience.sample)
            if ch.patience is not None
            else None
        )
        self.resolve = Draws(stream(seed, replication, Purpose.RESOLUTION, ch.name), uniforms)
        self.redial_u = Draws(
            stream(seed, replication, Purpose.REDIAL, ch.name), uniforms, block=256
        )
        retrial = stream(seed, replication, Purpose.RETRIAL_ATTRIBUTES, ch.name)
        self.redial_delay = (
            Draws(retrial, ch.redial_delay.sample, block=256) if ch.redial_delay else None
        )
        self.retry_handle = Draws(retrial, ch.handle.sample, block=256)
        self.retry_patience = (
            Draws(retrial, ch.patience.sample, block=256) if ch.patience is not None else None
        )
        self.retry_resolve = Draws(retrial, uniforms, block=256)
        loop_rng = stream(seed, replication, Purpose.LOOP, ch.name)
        self.loop_u = Draws(loop_rng, uniforms, block=256)
        self.loop_delay = (
            Draws(loop_rng, ch.loop.repeat_delay.sample, block=256)
            if ch.loop is not None and ch.loop.repeat_delay is not None
            else None
        )
        # Finite lines and callbacks draw from streams of their own (created only for a
        # channel that has them), so every other stream is the same with or without them.
        self.busy_u = self.busy_delay = self.callback_u = None
        if ch.lines is not None:
            busy_rng = stream(seed, replication, Purpose.BUSY, ch.name)
            self.busy_u = Draws(busy_rng, uniforms, block=256)
            if ch.redial_delay is not None:
                self.busy_delay = Draws(busy_rng, ch.redial_delay.sample, block=256)
        if ch.callback is not None:
            self.callback_u = Draws(
                stream(seed, replication, Purpose.CALLBACK, ch.name), uniforms, block=256
            )
        # Walk-in balking: one uniform per customer routed (drawn whatever the staffing, so
        # the same customers balk at the same lines in every plan), and the redials of
        # those who balked, from a stream of its own.
        self.balk_u = self.balk_redial_u = self.balk_delay = None
        if ch.balk_table is not None:
            balk_rng = stream(seed, replication, Purpose.BALK, ch.name)
            self.balk_u = Draws(balk_rng, uniforms, block=256)
            self.balk_redial_u = Draws(balk_rng, uniforms, block=256)
            if ch.redial_delay is not None:
                self.balk_delay = Draws(balk_rng, ch.redial_delay.sample, block=256)


class Replication:
    """State of one replication; its bound methods are the event callbacks."""

    def __init__(
        self,
        model: CompiledModel,
        seed: int,
        replication: int,
        contact_log: IO[str] | None = None,
    ):
        self.m = model
        self.env = simpy.Environment(initial_time=0.0)
        self.n_channels = nc = len(model.channels)
        self.n_groups = ng = len(model.groups)
        n = model.n_intervals
        self.streams = [_ChannelStreams(model, c, seed, replication) for c in range(nc)]
        self.shrink_rng = [
            stream(seed, replication, Purpose.SHRINKAGE, g.name) for g in model.groups
        ]
        self.tally = [ChannelTally(n) for _ in range(nc)]
        self.issues = [IssueTally() for _ in range(nc)]
        self._uncounted = IssueTally()  # warm-up contacts: tallied, then thrown away
        self.gtally = [GroupTally(n) for _ in range(ng)]
        # One queue per channel, then one callback queue per channel offering callbacks
        # (queue index nc + j; its contacts belong to their call channel).
        self.callback_parent = [ch.index for ch in model.channels if ch.callback is not None]
        nq = nc + len(self.callback_parent)
        self.callback_queue = [-1] * nc
        for j, c in enumerate(self.callback_parent):
            self.callback_queue[c] = nc + j
        self.queues: list[deque[Contact]] = [deque() for _ in range(nq)]
        self.n_waiting = [0] * nq
        self.in_service = [0] * nc
        self.q_area = [0.0] * nq
        self.q_last = [0.0] * nq
        self.idle: list[deque[Agent]] = [deque() for _ in range(ng)]
        self.partial: list[dict[Agent, None]] = [{} for _ in range(ng)]  # 0 < chats < k
        self.present = [0] * ng
        self.pending_leave = [0] * ng
        self.busy = [0] * ng
        self.chats = [0] * ng
        self.chatting = [0] * ng  # agents holding at least one chat
        self.chatting_area = [0.0] * ng
        self.busy_area = [0.0] * ng
        self.present_area = [0.0] * ng
        self.chat_area = [0.0] * ng
        self.busy_last = [0.0] * ng  # busy_area is integrated up to here
        self.levels_last = [0.0] * ng  # present/chat/chatting areas are integrated up to here
        self.closed = True
        self.first_counted = first_counted_interval(model.warmup_s, model.interval_s)
        # Static tables, looked up per contact.
        self.service = [KINDS[ch.kind].service for ch in model.channels]
        self.service += [DEFERRED] * len(self.callback_parent)  # callback queues
        # A call channel with lines or callbacks, or a walk-in counter with balking, routes
        # through _route_limited.
        self.limited = [
            ch.lines is not None or ch.callback is not None or ch.balk_table is not None
            for ch in model.channels
        ]
        self.factor = [[g.factors.get(c, 0.0) for c in range(nc)] for g in model.groups]
        self.fcr = [[g.fcr.get(c, 0.0) for c in range(nc)] for g in model.groups]
        self.tiers = [self._tiers(g) for g in model.groups]
        self.within = [ch.within_s for ch in model.channels]
        self.patience_draws = [s.patience for s in self.streams]
        self.skilled = self._selection_order()
        self.realtime_groups = tuple(
            g.index for g in model.groups if any(self.service[c] != DEFERRED for c in g.factors)
        )
        self.realtime_set = frozenset(self.realtime_groups)
        self.max_chats = [
            max(
                [
                    model.channels[c].max_concurrency
                    for c in g.factors
                    if self.service[c] == CONCURRENT
                ]
                or [1]
            )
            for g in model.groups
        ]
        self.reserve = model.email_reserve_agents
        self.longest_idle = model.agent_selection == "longest_idle"
        self.arrival_times: list[list[float]] = [[] for _ in range(nc)]
        self.arrival_interval = [0] * nc
        self.day_multipliers = [self._day_multipliers(c) for c in range(nc)]
        self.contact_log = csv.writer(contact_log) if contact_log is not None else None
        if self.contact_log is not None:
            self.contact_log.writerow(
                ["channel", "issue_seq", "attempt", "arrival_s", "outcome", "time_s", "wait_s",
                 "group", "resolved"]
            )  # fmt: skip

    # ------------------------------------------------------------------ set-up
    def _selection_order(self) -> list[tuple[int, ...]]:
        """Per channel, skilled groups in the order the selection policy tries them."""
        m = self.m
        order = []
        for ch in m.channels:
            groups = list(ch.groups)
            if m.agent_selection == "most_proficient":
                groups.sort(key=lambda g, c=ch.index: (m.groups[g].factors[c], -m.groups[g].fcr[c]))
            elif m.agent_selection == "cheapest":
                groups.sort(key=lambda g: m.groups[g].cost_per_hour)
            order.append(tuple(groups))
        return order

    def _tiers(self, g: Any) -> tuple[tuple[int, ...], ...]:
        """The group's queues by priority: its channels' tiers (compiled), with each
        callback queue of a channel it is skilled for placed right after the live queues
        of the callback priority (default: its channel's)."""
        if not self.callback_parent:
            return g.tiers
        channels = self.m.channels
        keyed = [(channels[c].priority, 0, c) for tier in g.tiers for c in tier]
        for c in self.callback_parent:
            if c in g.factors:
                prio = channels[c].callback.priority or channels[c].priority
                keyed.append((prio, 1, self.callback_queue[c]))
        keys = sorted({(p, f) for p, f, _ in keyed})
        return tuple(tuple(sorted(q for p, f, q in keyed if (p, f) == key)) for key in keys)

    def _day_multipliers(self, c: int) -> list[float]:
        """Per-day volume multipliers of channel c: Gamma(mean 1, cv) when the channel has
        day-level uncertainty, else 1. Drawn once for all days from the channel's own
        stream, so day d's multiplier is the same in every plan compared."""
        m = self.m
        cv = m.channels[c].day_multiplier_cv
        if cv is None:
            return [1.0] * m.days
        shape = 1.0 / cv**2
        return self.streams[c].day.gamma(shape, 1.0 / shape, m.days).tolist()

    def _at(self, time: float, callback: Any, value: Any = None) -> None:
        Timeout(self.env, time - self.env.now, value).callbacks.append(callback)

    def run(self) -> ReplicationStats:
        m = self.m
        interval_s = m.interval_s
        # Boundary events: (time, interval ending or -1, interval starting or -1).
        points: dict[float, list[int]] = {}
        mask = None if m.open_mask is None else m.open_mask.ravel()
        for k, start in enumerate(m.interval_starts):
            if mask is not None and not mask[k]:
                continue  # a closed interval (weekday hours): no arrivals, no boundary
            points.setdefault(float(start), [-1, -1])[1] = k
            points.setdefault(float(start) + interval_s, [-1, -1])[0] = k
        for t, (ending, starting) in sorted(points.items()):
            self._at(t, self._on_boundary, (ending, starting))
        for g, group in enumerate(m.groups):
            for t, level in group.changes:
                self._at(t, self._on_staffing, (g, level))
        # Email arriving outside opening hours: one batch per closed stretch of each day.
        closed_len = DAY_S - (m.close_s - m.open_s)
        for c, ch in enumerate(m.channels):
            if ch.closed_hours_volume <= 0:
                continue
            if m.open_mask is not None:
                self._closed_batches_by_day(c, ch.closed_hours_volume)
                continue
            if closed_len <= 0:
                continue
            for day in range(m.days):
                for a, b in ((0, m.open_s), (m.close_s, DAY_S)):
                    if b > a:
                        mean = ch.closed_hours_volume * (b - a) / closed_len
                        self._at(day * DAY_S + a, self._on_closed_batch, (c, b - a, mean))
        self.env.run()
        return self._collect()

    def _closed_batches_by_day(self, c: int, volume: float) -> None:
        """Email outside opening hours when the hours differ by weekday: each day's closed
        stretches share that day's ``closed_hours_volume`` by length (a closed day gets it
        all, spread over 24 hours)."""
        m = self.m
        for day in range(m.days):
            span = m.day_spans[day]
            stretches = ((0, DAY_S),) if span is None else ((0, span[0]), (span[1], DAY_S))
            closed_len = sum(b - a for a, b in stretches)
            for a, b in stretches:
                if b > a:
                    mean = volume * (b - a) / closed_len
                    self._at(day * DAY_S + a, self._on_closed_batch, (c, b - a, mean))

    # ------------------------------------------------------------------ boundaries
    def _on_boundary(self, event: Timeout) -> None:
        ending, starting = event._value
        now = self.env.now
        if ending >= 0:
            self._flush(ending, now)
        if starting >= 0:
            self._reset_levels(now)
            self.closed = False
            self._start_arrivals(starting, now)
        else:
            self.closed = True
            if not self.m.serve_queue_at_close:
                self._close_queues(now)

    def _flush(self, k: int, now: float) -> None:
        for c in range(self.n_channels):
            t = self.tally[c]
            t.queue_area[k] = self.q_area[c] + self.n_waiting[c] * (now - self.q_last[c])
            t.backlog[k] = self.n_waiting[c] + self.in_service[c]
        for g in range(self.n_groups):
            gt = self.gtally[g]
            gt.busy_area[k] = self.busy_area[g] + self.busy[g] * (now - self.busy_last[g])
            dt = now - self.levels_last[g]
            gt.present_area[k] = self.present_area[g] + self.present[g] * dt
            gt.chat_area[k] = self.chat_area[g] + self.chats[g] * dt
            gt.chatting_area[k] = self.chatting_area[g] + self.chatting[g] * dt
        self._reset_levels(now)

    def _reset_levels(self, now: float) -> None:
        for c in range(self.n_channels):
            self.q_area[c] = 0.0
            self.q_last[c] = now
        for g in range(self.n_groups):
            self.busy_area[g] = 0.0
            self.present_area[g] = 0.0
            self.chat_area[g] = 0.0
            self.chatting_area[g] = 0.0
            self.busy_last[g] = now
            self.levels_last[g] = now

    def _close_queues(self, now: float) -> None:
        """Without ``serve_queue_at_close``, real-time contacts waiting at closing go
        unanswered (emails stay in the backlog)."""
        for c, queue in enumerate(self.queues):
            if self.service[c] == DEFERRED:
                continue
            self._touch_queue(c, now)
            for contact in queue:
                if contact.state == WAITING:
                    contact.state = CLOSED
                    if contact.counted:
                        self.tally[c].unanswered_at_close[contact.interval] += 1
                    self._log(contact, "unanswered_at_close", now, now - contact.arrival, -1)
            queue.clear()
            self.n_waiting[c] = 0

    # ------------------------------------------------------------------ arrivals
    def _start_arrivals(self, k: int, now: float) -> None:
        m = self.m
        day = k // m.intervals_per_day
        for c, ch in enumerate(m.channels):
            rate = ch.rate_per_s[k] * self.day_multipliers[c][day]
            if rate > 0:
                self._schedule_batch(c, k, now, m.interval_s, rate * m.interval_s)

    def _on_closed_batch(self, event: Timeout) -> None:
        c, length, mean = event._value
        now = self.env.now
        day = int(now // DAY_S)
        mean *= self.day_multipliers[c][min(day, self.m.days - 1)]
        self._schedule_batch(c, self.m.tally_interval(now), now, length, mean)

    def _schedule_batch(self, c: int, k: int, start: float, length: float, mean: float) -> None:
        """Poisson(mean) arrivals spread uniformly over [start, start+length): the exact
        piecewise-constant-rate Poisson process, one numpy call per stretch."""
        rng = self.streams[c].arrivals
        count = rng.poisson(mean)
        if count == 0:
            return
        times = np.sort(rng.random(count))[::-1] * length + start
        pending = times.tolist()  # descending: pop() yields the next arrival
        self.arrival_interval[c] = k
        leftover = self.arrival_times[c]
        if leftover:
            # An arrival of the previous stretch rounded onto this boundary is still due
            # now: merge, and let its already-scheduled event carry the chain on.
            self.arrival_times[c] = sorted(leftover + pending, reverse=True)
            return
        self.arrival_times[c] = pending
        self._at(pending[-1], self._on_arrival, c)

    def _on_arrival(self, event: Timeout) -> None:
        c = event._value
        pending = self.arrival_times[c]
        now = pending.pop()
        if pending:
            Timeout(self.env, pending[-1] - now, c).callbacks.append(self._on_arrival)
        s = self.streams[c]
        k = self.arrival_interval[c]
        handle = s.handle.next()
        scale = self.m.channels[c].handle_scale
        if scale is not None:
            handle *= scale[k]  # this interval's mean handle time
        contact = Contact(c, now, k, handle, s.resolve.next(), k >= self.first_counted)
        if contact.counted:
            self.tally[c].offered[k] += 1
            self.issues[c].issues += 1
        patience = self.patience_draws[c]
        self._route(contact, patience.next() if patience is not None else None, now)

    def _new_contact(self, c: int, now: float, origin: int, issue_seq: int) -> Contact:
        """A redial or repeat contact: attributes from the channel's retrial stream."""
        k = self.m.tally_interval(now)
        s = self.streams[c]
        handle = s.retry_handle.next()
        scale = self.m.channels[c].handle_scale
        if scale is not None:
            handle *= scale[k]
        contact = Contact(c, now, k, handle, s.retry_resolve.next(), k >= self.first_counted)
        contact.origin = origin
        contact.issue_seq = issue_seq
        if contact.counted:
            self.tally[c].offered[k] += 1
        return contact

    def _on_redial(self, event: Timeout) -> None:
        c, attempt, origin, issue_seq = event._value
        now = self.env.now
        contact = self._new_contact(c, now, origin, issue_seq)
        contact.attempt = attempt
        if contact.counted:
            self.tally[c].redials[contact.interval] += 1
        patience = self.streams[c].retry_patience
        self._route(contact, patience.next() if patience is not None else None, now)

    def _on_repeat(self, event: Timeout) -> None:
        c, origin, issue_seq = event._value
        now = self.env.now
        contact = self._new_contact(c, now, origin, issue_seq)
        if contact.counted:
            self.tally[c].repeats[contact.interval] += 1
        patience = self.streams[c].retry_patience
        self._route(contact, patience.next() if patience is not None else None, now)

    # ------------------------------------------------------------------ routing
    def _route(self, contact: Contact, patience: float | None, now: float) -> None:
        """Give a new contact to an available skilled agent, or queue it."""
        c = contact.channel
        service = self.service[c]
        if service == SINGLE:
            if self.limited[c]:
                self._route_limited(contact, patience, now)
                return
            agent = self._idle_agent(c)
            if agent is not None:
                self._serve(agent, contact, now)
                return
        elif service == CONCURRENT:
            agent = self._chat_agent(c)
            if agent is not None:
                self._serve_chat(agent, contact, now)
                return
        else:
            ch = self.m.channels[c]
            if ch.promise_s is not None:
                contact.deadline = (
                    self.m.add_working_seconds(now, ch.promise_s)
                    if ch.promise_working
                    else now + ch.promise_s
                )
                if contact.counted and contact.deadline <= self.m.horizon_end_s:
                    self.tally[c].due[contact.interval] += 1
            agent = self._idle_agent(c)
            if agent is not None:
                if self._reserve_allows(agent.group):
                    self._serve(agent, contact, now)
                    return
                self.idle[agent.group].appendleft(agent)  # reserve forbids: put it back
        self._touch_queue(c, now)
        self.queues[c].append(contact)
        self.n_waiting[c] += 1
        if patience is not None:
            Timeout(self.env, patience, contact).callbacks.append(self._on_abandon)

    def _route_limited(self, contact: Contact, patience: float | None, now: float) -> None:
        """A call on a channel with finite lines or callbacks: a busy signal when the lines
        are full, else an idle agent, else (queue capacity permitting) a callback offer,
        else the queue."""
        c = contact.channel
        ch = self.m.channels[c]
        lines = ch.lines
        waiting = self.n_waiting[c]
        balk = ch.balk_table
        if balk is not None:
            u = self.streams[c].balk_u.next()  # drawn for every customer (common numbers)
            if self._no_idle_agent(c) and u < (balk[waiting] if waiting < len(balk) else balk[-1]):
                self._balk(contact, now)
                return
        if (
            lines is not None
            and lines.max_in_system is not None
            and waiting + self.in_service[c] >= lines.max_in_system
        ):
            self._block(contact, now)
            return
        agent = self._idle_agent(c)
        if agent is not None:
            self._serve(agent, contact, now)
            return
        if lines is not None and lines.max_waiting is not None and waiting >= lines.max_waiting:
            self._block(contact, now)
            return
        offer = ch.callback
        if offer is not None and self._offer_callback(c, offer, waiting, contact.interval):
            k = contact.interval
            if contact.counted:
                self.tally[c].callbacks_offered[k] += 1
            if self.streams[c].callback_u.next() < offer.uptake:
                deadline = now + offer.promise_minutes * 60
                if contact.counted:
                    t = self.tally[c]
                    t.callbacks_accepted[k] += 1
                    if deadline <= self.m.horizon_end_s:
                        t.callbacks_due[k] += 1
                contact.state = SERVED  # leaves the line
                if self.contact_log is not None:
                    self._log(contact, "callback_accepted", now, 0.0, -1)
                q = self.callback_queue[c]
                self._touch_queue(q, now)
                self.queues[q].append(Callback.of(contact, deadline))
                self.n_waiting[q] += 1
                return
        self._touch_queue(c, now)
        self.queues[c].append(contact)
        self.n_waiting[c] += 1
        if patience is not None:
            Timeout(self.env, patience, contact).callbacks.append(self._on_abandon)

    def _offer_callback(self, c: int, offer: Any, waiting: int, k: int) -> bool:
        """Whether a caller who would wait behind ``waiting`` others is offered a callback:
        by queue position, or by the expected wait ``(waiting + 1) x mean handle time /
        agents present in the skilled groups``."""
        if offer.offer_at_position is not None and waiting >= offer.offer_at_position:
            return True
        threshold = offer.offer_at_expected_wait_seconds
        if threshold is None:
            return False
        ch = self.m.channels[c]
        mean = ch.handle.mean_s * (ch.handle_scale[k] if ch.handle_scale is not None else 1.0)
        present = sum(self.present[g] - self.pending_leave[g] for g in self.skilled[c])
        if present <= 0:
            return True
        return (waiting + 1) * mean / present >= threshold

    def _block(self, contact: Contact, now: float) -> None:
        """Busy signal: the attempt is lost; with ``redial`` the caller may try again."""
        c = contact.channel
        contact.state = BLOCKED
        if contact.counted:
            self.tally[c].blocked[contact.interval] += 1
        if self.contact_log is not None:
            self._log(contact, "blocked", now, 0.0, -1)
        s = self.streams[c]
        self._maybe_redial(contact, now, s.busy_u, s.busy_delay)

    def _no_idle_agent(self, c: int) -> bool:
        """No idle agent skilled for channel ``c``: an arriving customer would have to wait."""
        idle = self.idle
        return not any(idle[g] for g in self.skilled[c])

    def _balk(self, contact: Contact, now: float) -> None:
        """A walk-in customer sees the line and leaves at once; with ``redial`` the customer
        may come back later (redial model, the balk stream's draws)."""
        c = contact.channel
        contact.state = BALKED
        if contact.counted:
            self.tally[c].balked[contact.interval] += 1
        if self.contact_log is not None:
            self._log(contact, "balked", now, 0.0, -1)
        s = self.streams[c]
        self._maybe_redial(contact, now, s.balk_redial_u, s.balk_delay)

    def _idle_agent(self, c: int) -> Agent | None:
        """Take an idle agent skilled for channel c, by the agent-selection policy."""
        idle = self.idle
        if self.longest_idle:
            chosen, best = -1, math.inf
            for g in self.skilled[c]:
                pool = idle[g]
                if pool and pool[0].idle_since < best:
                    best = pool[0].idle_since
                    chosen = g
            return idle[chosen].popleft() if chosen >= 0 else None
        for g in self.skilled[c]:
            if idle[g]:
                return idle[g].popleft()
        return None

    def _chat_agent(self, c: int) -> Agent | None:
        """An agent for a new chat: one already chatting with room left (keeps idle agents
        free for calls), else an idle one."""
        k = self.m.channels[c].max_concurrency
        for g in self.skilled[c]:
            if self.pending_leave[g]:
                continue  # the group is shrinking: let chatting agents wind down
            for agent in self.partial[g]:
                if agent.chats < k:
                    return agent
        return self._idle_agent(c)

    def _reserve_allows(self, taking_group: int) -> bool:
        """Email reserve: an agent of ``taking_group`` (already out of the idle pool) may
        start an email only if at least R agents skilled for real-time work stay idle.
        Agents skilled for email only are never held back."""
        if self.reserve == 0 or taking_group not in self.realtime_set:
            return True
        idle = sum(len(self.idle[g]) for g in self.realtime_groups)
        return idle >= self.reserve

    def _touch_queue(self, c: int, now: float) -> None:
        self.q_area[c] += self.n_waiting[c] * (now - self.q_last[c])
        self.q_last[c] = now

    def _touch_busy(self, g: int, now: float) -> None:
        """Integrate the busy-agents level up to ``now`` (before it changes)."""
        self.busy_area[g] += self.busy[g] * (now - self.busy_last[g])
        self.busy_last[g] = now

    def _touch_levels(self, g: int, now: float) -> None:
        """Integrate agents present and chats held up to ``now`` (before they change).
        Kept apart from the busy level so the per-call path touches one level only."""
        dt = now - self.levels_last[g]
        self.present_area[g] += self.present[g] * dt
        self.chat_area[g] += self.chats[g] * dt
        self.chatting_area[g] += self.chatting[g] * dt
        self.levels_last[g] = now

    # ------------------------------------------------------------------ service
    def _record_answer(self, contact: Contact, g: int, handle: float, now: float) -> None:
        c = contact.channel
        wait = now - contact.arrival
        k = contact.interval
        t = self.tally[c]
        t.answered[k] += 1
        t.wait_sum[k] += wait
        t.handle_sum[k] += handle
        if wait <= self.within[c]:
            t.answered_within[k] += 1
        t.wait_hist[wait_bin(wait)] += 1
        self.gtally[g].handled[k] += 1

    def _serve(self, agent: Agent, contact: Contact, now: float) -> None:
        """Start a call or an email: the agent is fully busy until it completes.
        (The hot path: tallies and the busy level are updated inline.)"""
        g = agent.group
        c = contact.channel
        contact.state = SERVED
        handle = contact.handle * self.factor[g][c]
        if contact.counted:
            wait = now - contact.arrival
            k = contact.interval
            t = self.tally[c]
            t.answered[k] += 1
            t.wait_sum[k] += wait
            t.handle_sum[k] += handle
            if wait <= self.within[c]:
                t.answered_within[k] += 1
            t.wait_hist[wait_bin(wait) if wait > 0.0 else 0] += 1
            self.gtally[g].handled[k] += 1
        if self.contact_log is not None:
            self._log(contact, "answered", now, now - contact.arrival, g)
        busy = self.busy
        self.busy_area[g] += busy[g] * (now - self.busy_last[g])
        self.busy_last[g] = now
        busy[g] += 1
        self.in_service[c] += 1
        Timeout(self.env, handle, (agent, contact)).callbacks.append(self._on_complete)

    def _serve_callback(self, agent: Agent, contact: Contact, now: float) -> None:
        """An agent calls a customer back: busy for the call's handle time; tallied as a
        callback made (delay from acceptance), not as a live answer."""
        g = agent.group
        c = contact.channel
        contact.state = SERVED
        handle = contact.handle * self.factor[g][c]
        if contact.counted:
            k = contact.interval
            t = self.tally[c]
            t.callbacks_made[k] += 1
            t.callback_delay_sum[k] += now - contact.arrival
            if now <= contact.deadline <= self.m.horizon_end_s:
                t.callbacks_within[k] += 1
            self.gtally[g].handled[k] += 1
        if self.contact_log is not None:
            self._log(contact, "called_back", now, now - contact.arrival, g)
        self._touch_busy(g, now)
        self.busy[g] += 1
        self.in_service[c] += 1
        Timeout(self.env, handle, (agent, contact)).callbacks.append(self._on_complete)

    def _serve_chat(self, agent: Agent, contact: Contact, now: float) -> None:
        """Add a chat to the agent's hand; its handle time stretches with the chats held."""
        g = agent.group
        c = contact.channel
        contact.state = SERVED
        self._touch_busy(g, now)
        self._touch_levels(g, now)
        if agent.chats == 0:
            self.busy[g] += 1
            self.chatting[g] += 1
        agent.chats += 1
        self.chats[g] += 1
        ch = self.m.channels[c]
        handle = (
            contact.handle * self.factor[g][c] * (1 + ch.concurrency_slowdown * (agent.chats - 1))
        )
        if agent.chats < self.max_chats[g]:
            self.partial[g][agent] = None
        else:
            self.partial[g].pop(agent, None)
        if contact.counted:
            self._record_answer(contact, g, handle, now)
        if self.contact_log is not None:
            self._log(contact, "answered", now, now - contact.arrival, g)
        self.in_service[c] += 1
        Timeout(self.env, handle, (agent, contact)).callbacks.append(self._on_complete)

    def _on_complete(self, event: Timeout) -> None:
        agent, contact = event._value
        g = agent.group
        c = contact.channel
        now = self.env.now
        self.in_service[c] -= 1
        busy = self.busy
        self.busy_area[g] += busy[g] * (now - self.busy_last[g])
        self.busy_last[g] = now
        self._resolve(contact, g, now)
        if self.service[c] == CONCURRENT:
            self._touch_levels(g, now)
            agent.chats -= 1
            self.chats[g] -= 1
            if agent.chats > 0:
                # Still chatting: may only take more chats, and stays unavailable otherwise.
                if self.pending_leave[g]:  # winding down to leave
                    self.partial[g].pop(agent, None)
                    return
                self.partial[g][agent] = None
                nxt = self._next_chat(g, now)
                if nxt is not None:
                    self._serve_chat(agent, nxt, now)
                return
            self.partial[g].pop(agent, None)
            self.chatting[g] -= 1
        busy[g] -= 1
        if self.pending_leave[g] and not (self.closed and self.m.serve_queue_at_close):
            self.pending_leave[g] -= 1
            self._touch_levels(g, now)
            self.present[g] -= 1
            return
        self._take_work(agent, now, realtime_only=bool(self.pending_leave[g]))

    def _take_work(self, agent: Agent, now: float, realtime_only: bool = False) -> None:
        """A free agent pulls work by priority, or goes idle (or home, when draining)."""
        g = agent.group
        contact = self._next_contact(g, now, realtime_only)
        if contact is None:
            if realtime_only and self.pending_leave[g]:  # closed, nothing left: go home
                self.pending_leave[g] -= 1
                self._touch_levels(g, now)
                self.present[g] -= 1
            else:
                agent.idle_since = now
                self.idle[g].append(agent)
            return
        if self.service[contact.channel] == CONCURRENT:
            self._serve_chat(agent, contact, now)
            while agent.chats < self.max_chats[g]:
                more = self._next_chat(g, now)
                if more is None:
                    break
                self._serve_chat(agent, more, now)
        elif contact.is_callback:
            self._serve_callback(agent, contact, now)
        else:
            self._serve(agent, contact, now)

    def _next_contact(self, g: int, now: float, realtime_only: bool = False) -> Contact | None:
        """Oldest waiting contact among the highest-priority skilled channels with work."""
        queues = self.queues
        service = self.service
        for tier in self.tiers[g]:
            best: Contact | None = None
            best_q = 0
            for c in tier:  # c: a queue index (a channel's, or a callback queue's)
                queue = queues[c]
                while queue and queue[0].state != WAITING:
                    queue.popleft()
                if not queue or (best is not None and queue[0].arrival >= best.arrival):
                    continue
                if service[c] == DEFERRED and (realtime_only or not self._reserve_allows(g)):
                    continue
                best = queue[0]
                best_q = c
            if best is not None:
                queues[best_q].popleft()
                self._touch_queue(best_q, now)
                self.n_waiting[best_q] -= 1
                return best
        return None

    def _next_chat(self, g: int, now: float) -> Contact | None:
        """Oldest waiting chat among the group's chat skills (for an agent with room)."""
        best: Contact | None = None
        for tier in self.tiers[g]:
            for c in tier:
                if self.service[c] != CONCURRENT:
                    continue
                queue = self.queues[c]
                while queue and queue[0].state != WAITING:
                    queue.popleft()
                if queue and (best is None or queue[0].arrival < best.arrival):
                    best = queue[0]
            if best is not None:
                break
        if best is None:
            return None
        c = best.channel
        self.queues[c].popleft()
        self._touch_queue(c, now)
        self.n_waiting[c] -= 1
        return best

    # ------------------------------------------------------------------ resolution loop
    def _resolve(self, contact: Contact, g: int, now: float) -> None:
        """After a handled contact: resolved with the agent's FCR probability for the
        channel; otherwise the loop sends the customer back, escalates, or lets go."""
        c = contact.channel
        resolved = contact.resolve_u < self.fcr[g][c]
        counted = contact.counted
        if counted:
            k = contact.interval
            t = self.tally[c]
            if resolved:
                t.resolved[k] += 1
            if self.service[c] == DEFERRED:
                response = now - contact.arrival
                t.response_sum[k] += response
                t.response_hist[response_bin(response)] += 1
                if contact.deadline and now <= contact.deadline <= self.m.horizon_end_s:
                    t.within_promise[k] += 1
        # Issue statistics belong to the channel where the issue first came in; only
        # contacts counted after warm-up contribute.
        issue = self.issues[contact.origin] if counted else self._uncounted
        issue.contacts_handled += 1
        if contact.issue_seq == 1:
            issue.first_handled += 1
            if resolved:
                issue.first_resolved += 1
        if self.contact_log is not None:
            self._log(contact, "completed", now, now - contact.arrival, g, resolved)
        if resolved:
            issue.resolved += 1
            return
        loop = self.m.channels[c].loop
        if loop is None:
            issue.unresolved_left += 1
            return
        s = self.streams[c]
        u = s.loop_u.next()
        seq = contact.issue_seq + 1
        if seq > loop.max_contacts:
            issue.dropped += 1
            return
        if u < loop.repeat_share:
            pick = s.loop_u.next()
            target = loop.repeat_channels[-1]
            for ch_index, edge in zip(loop.repeat_channels, loop.repeat_cumulative, strict=True):
                if pick < edge:
                    target = ch_index
                    break
            when = now + (s.loop_delay.next() if s.loop_delay is not None else 0.0)
            place = s.loop_u.next()  # drawn always, so the stream stays in step
            if self.service[target] != DEFERRED:
                when = self.m.return_time(target, when, place)
            if when is None or when >= self.m.horizon_end_s:
                issue.repeats_lost += 1
                return
            self._at(when, self._on_repeat, (target, contact.origin, seq))
        elif u < loop.repeat_share + loop.escalate_share:
            issue.escalated += 1
            self._at(now, self._on_repeat, (loop.escalate_to, contact.origin, seq))
        else:
            issue.gave_up += 1

    def _on_abandon(self, event: Timeout) -> None:
        contact: Contact = event._value
        if contact.state != WAITING:
            return
        contact.state = ABANDONED
        c = contact.channel
        now = self.env.now
        self._touch_queue(c, now)
        self.n_waiting[c] -= 1
        wait = now - contact.arrival
        if contact.counted:
            t = self.tally[c]
            t.abandoned[contact.interval] += 1
            t.abandon_wait_sum[contact.interval] += wait
            if wait <= self.within[c]:
                t.abandoned_within[contact.interval] += 1
        if self.contact_log is not None:
            self._log(contact, "abandoned", now, wait, -1)
        s = self.streams[c]
        self._maybe_redial(contact, now, s.redial_u, s.redial_delay)

    def _maybe_redial(self, contact: Contact, now: float, u: Any, delay: Any) -> None:
        """The redial model: with the channel's redial probability (attempts permitting) the
        caller tries again after a redial delay (moved into opening hours). ``u`` and
        ``delay`` are the draws of abandoned callers or, for busy signals, of blocked ones."""
        c = contact.channel
        ch = self.m.channels[c]
        if (
            contact.attempt < ch.max_attempts
            and ch.redial_probability > 0
            and u.next() < ch.redial_probability
            and delay is not None
        ):
            when = now + delay.next()
            when = self.m.return_time(c, when, u.next())
            if when is None:
                self.tally[c].redials_lost += 1
            else:
                value = (c, contact.attempt + 1, contact.origin, contact.issue_seq)
                self._at(when, self._on_redial, value)

    # ------------------------------------------------------------------ staffing
    def _on_staffing(self, event: Timeout) -> None:
        g, paid_level = event._value
        now = self.env.now
        target = self._available(g, paid_level)
        self._touch_levels(g, now)
        effective = self.present[g] - self.pending_leave[g]
        if target > effective:
            extra = target - effective
            cancel = min(extra, self.pending_leave[g])
            self.pending_leave[g] -= cancel
            for _ in range(extra - cancel):
                self.present[g] += 1
                self._take_work(Agent(g, now), now)
        elif target < effective:
            surplus = effective - target
            pool = self.idle[g]
            while surplus and pool:
                pool.popleft()
                self.present[g] -= 1
                surplus -= 1
            self.pending_leave[g] += surplus

    def _available(self, g: int, paid: int) -> int:
        """Agents actually available out of ``paid`` on duty: shrinkage removes a share,
        rounded at random so the expectation is exact (floor + Bernoulli(fraction))."""
        shrinkage = self.m.groups[g].shrinkage
        if paid == 0 or shrinkage == 0:
            return paid
        expected = paid * (1 - shrinkage)
        base = math.floor(expected)
        return base + int(self.shrink_rng[g].random() < expected - base)

    # ------------------------------------------------------------------ output
    def _log(
        self,
        contact: Contact,
        outcome: str,
        now: float,
        wait: float,
        g: int,
        resolved: bool | None = None,
    ) -> None:
        if self.contact_log is None:
            return
        self.contact_log.writerow(
            [
                self.m.channels[contact.channel].name,
                contact.issue_seq,
                contact.attempt,
                f"{contact.arrival:.3f}",
                outcome,
                f"{now:.3f}",
                f"{wait:.3f}",
                self.m.groups[g].name if g >= 0 else "",
                "" if resolved is None else int(resolved),
            ]
        )

    def _collect(self) -> ReplicationStats:
        m = self.m
        channels, scalars, hists, responses = {}, {}, {}, {}
        for c, ch in enumerate(m.channels):
            t = self.tally[c]
            waiting = sum(1 for x in self.queues[c] if x.state == WAITING and x.counted)
            channels[ch.name] = t.arrays()
            scalars[ch.name] = {
                "redials_lost": float(t.redials_lost),
                "waiting_at_end": float(waiting),
                **self.issues[c].as_dict(),
            }
            q = self.callback_queue[c]
            if q >= 0:
                scalars[ch.name]["callbacks_waiting_at_end"] = float(
                    sum(1 for x in self.queues[q] if x.state == WAITING and x.counted)
                )
            hists[ch.name] = np.asarray(t.wait_hist, dtype=np.int64)
            responses[ch.name] = np.asarray(t.response_hist, dtype=np.int64)
        groups = {grp.name: self.gtally[g].arrays() for g, grp in enumerate(m.groups)}
        return ReplicationStats(channels, scalars, hists, responses, groups)


def run_replication(
    model: CompiledModel,
    seed: int,
    replication: int,
    *,
    contact_log: str | Path | None = None,
) -> ReplicationStats:
    """Simulate one replication. ``contact_log`` (opt-in) writes one CSV row per contact
    event (answered, completed, abandoned, unanswered) to that file; otherwise memory does
    not grow with the number of contacts. A model with outbound lists runs the blended
    replication (:mod:`simulator.outbound.replication`); every other takes this module's."""
    cls: type[Replication] = Replication
    if model.outbound:
        from simulator.outbound.replication import BlendedReplication

        cls = BlendedReplication
    if contact_log is None:
        return cls(model, seed, replication).run()
    with open(contact_log, "w", newline="", encoding="utf-8") as handle:
        return cls(model, seed, replication, handle).run()


__all__ = ["DAY_S", "Replication", "run_replication"]
