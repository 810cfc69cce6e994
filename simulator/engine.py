"""One replication of the contact centre, as a lean agent-pull SimPy model.

Design (why it is fast): there is no SimPy process per contact. Every event is a plain
``simpy.Timeout`` carrying a payload, with one bound-method callback:

* an *arrival* creates the contact, draws its attributes (handle time, patience) from its
  channel's named streams, and hands it to an idle skilled agent or queues it;
* a queued contact gets one *abandonment* timeout; if an agent takes the contact first,
  the timeout later fires into a no-op (lazy cancellation is cheaper than removal);
* a *completion* frees the agent, who **pulls** the next contact: the oldest waiting one
  among the highest-priority channels it is skilled for;
* *staffing changes* (interval boundaries, shift starts/ends, breaks) add or remove agents;
  a leaving agent finishes the contact in hand, an arriving one picks up work at once;
* *interval boundaries* close the time-weighted statistics of the interval.

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

from simulator.model import DAY_S, CompiledModel
from simulator.stats import ChannelTally, GroupTally, ReplicationStats, wait_bin
from simulator.streams import Draws, Purpose, stream, uniforms

WAITING, SERVED, ABANDONED, CLOSED = 0, 1, 2, 3


class Contact:
    """One attempt by a customer on a channel. Attributes are set once at arrival."""

    __slots__ = (
        "arrival",
        "attempt",
        "channel",
        "counted",
        "handle",
        "interval",
        "resolve_u",
        "state",
    )

    def __init__(self, channel, arrival, interval, handle, resolve_u, attempt, counted):
        self.channel = channel
        self.arrival = arrival
        self.interval = interval
        self.handle = handle
        self.resolve_u = resolve_u
        self.attempt = attempt
        self.counted = counted
        self.state = WAITING


class Agent:
    __slots__ = ("group", "idle_since")

    def __init__(self, group: int, now: float):
        self.group = group
        self.idle_since = now


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
        self.redial_u = Draws(stream(seed, replication, Purpose.REDIAL, ch.name), uniforms)
        retrial = stream(seed, replication, Purpose.RETRIAL_ATTRIBUTES, ch.name)
        self.redial_delay = (
            Draws(retrial, ch.redial_delay.sample, block=256) if ch.redial_delay else None
        )
        self.retry_handle = Draws(retrial, ch.handle.sample, block=256)
        self.retry_patience = (
            Draws(retrial, ch.patience.sample, block=256) if ch.patience is not None else None
        )
        self.retry_resolve = Draws(retrial, uniforms, block=256)


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
        self.gtally = [GroupTally(n) for _ in range(ng)]
        self.queues: list[deque[Contact]] = [deque() for _ in range(nc)]
        self.n_waiting = [0] * nc
        self.q_area = [0.0] * nc
        self.q_last = [0.0] * nc
        self.idle: list[deque[Agent]] = [deque() for _ in range(ng)]
        self.present = [0] * ng
        self.pending_leave = [0] * ng
        self.busy = [0] * ng
        self.busy_area = [0.0] * ng
        self.present_area = [0.0] * ng
        self.g_last = [0.0] * ng
        self.interval = -1  # current global interval, -1 when closed
        self.closed = True
        self.first_counted = math.ceil(model.warmup_s / model.interval_s - 1e-9)
        # Static routing tables.
        self.factor = [[g.factors.get(c, 0.0) for c in range(nc)] for g in model.groups]
        self.fcr = [[g.fcr.get(c, 0.0) for c in range(nc)] for g in model.groups]
        self.tiers = [g.tiers for g in model.groups]
        self.within = [ch.within_s for ch in model.channels]
        self.patience_draws = [s.patience for s in self.streams]
        self.skilled = self._selection_order()
        self.arrival_times: list[list[float]] = [[] for _ in range(nc)]
        self.arrival_interval = [0] * nc
        self.contact_log = csv.writer(contact_log) if contact_log is not None else None
        if self.contact_log is not None:
            self.contact_log.writerow(
                ["channel", "attempt", "arrival_s", "outcome", "end_s", "wait_s", "group"]
            )
        self.day_multipliers = [self._day_multipliers(c) for c in range(nc)]

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

    def _at(self, time: float, callback: Any, value: Any = None) -> None:
        Timeout(self.env, time - self.env.now, value).callbacks.append(callback)

    def run(self) -> ReplicationStats:
        m = self.m
        interval_s = m.interval_s
        # Boundary events: (time, interval ending or -1, interval starting or -1).
        points: dict[float, list[int]] = {}
        for k, start in enumerate(m.interval_starts):
            points.setdefault(float(start), [-1, -1])[1] = k
            points.setdefault(float(start) + interval_s, [-1, -1])[0] = k
        for t, (ending, starting) in sorted(points.items()):
            self._at(t, self._on_boundary, (ending, starting))
        for g, group in enumerate(m.groups):
            for t, level in group.changes:
                self._at(t, self._on_staffing, (g, level))
        self.env.run()
        return self._collect()

    # ------------------------------------------------------------------ boundaries
    def _on_boundary(self, event: Timeout) -> None:
        ending, starting = event._value
        now = self.env.now
        if ending >= 0:
            self._flush(ending, now)
        if starting >= 0:
            self._reset_levels(now)
            self.interval = starting
            self.closed = False
            self._start_arrivals(starting, now)
        else:
            self.interval = -1
            self.closed = True
            if not self.m.serve_queue_at_close:
                self._close_queues(now)

    def _flush(self, k: int, now: float) -> None:
        for c in range(self.n_channels):
            self.tally[c].queue_area[k] = self.q_area[c] + self.n_waiting[c] * (
                now - self.q_last[c]
            )
        for g in range(self.n_groups):
            gt = self.gtally[g]
            gt.busy_area[k] = self.busy_area[g] + self.busy[g] * (now - self.g_last[g])
            gt.present_area[k] = self.present_area[g] + self.present[g] * (now - self.g_last[g])
        self._reset_levels(now)

    def _reset_levels(self, now: float) -> None:
        for c in range(self.n_channels):
            self.q_area[c] = 0.0
            self.q_last[c] = now
        for g in range(self.n_groups):
            self.busy_area[g] = 0.0
            self.present_area[g] = 0.0
            self.g_last[g] = now

    def _close_queues(self, now: float) -> None:
        """Without ``serve_queue_at_close``, contacts waiting at closing go unanswered."""
        for c, queue in enumerate(self.queues):
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
            rate = ch.rate_per_s[k]
            rate *= self.day_multipliers[c][day]
            s = self.streams[c]
            count = s.arrivals.poisson(rate * m.interval_s) if rate > 0 else 0
            if count == 0:
                continue
            times = np.sort(s.arrivals.random(count))[::-1] * m.interval_s + now
            pending = times.tolist()  # descending: pop() yields the next arrival
            self.arrival_times[c] = pending
            self.arrival_interval[c] = k
            self._at(pending[-1], self._on_arrival, c)

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

    def _on_arrival(self, event: Timeout) -> None:
        c = event._value
        pending = self.arrival_times[c]
        now = pending.pop()
        if pending:
            Timeout(self.env, pending[-1] - now, c).callbacks.append(self._on_arrival)
        s = self.streams[c]
        k = self.arrival_interval[c]
        contact = Contact(c, now, k, s.handle.next(), s.resolve.next(), 1, k >= self.first_counted)
        if contact.counted:
            self.tally[c].offered[k] += 1
        patience = self.patience_draws[c]
        self._route(contact, patience.next() if patience is not None else None, now)

    def _on_redial(self, event: Timeout) -> None:
        c, attempt = event._value
        now = self.env.now
        k = self.m.interval_of(now)
        s = self.streams[c]
        contact = Contact(
            c,
            now,
            k,
            s.retry_handle.next(),
            s.retry_resolve.next(),
            attempt,
            k >= self.first_counted,
        )
        if contact.counted:
            t = self.tally[c]
            t.offered[k] += 1
            t.redials[k] += 1
        patience = s.retry_patience
        self._route(contact, patience.next() if patience is not None else None, now)

    def _route(self, contact: Contact, patience: float | None, now: float) -> None:
        """Give a new contact to an idle skilled agent, or queue it with its patience."""
        c = contact.channel
        idle = self.idle
        chosen = -1
        if self.m.agent_selection == "longest_idle":
            best = math.inf
            for g in self.skilled[c]:
                pool = idle[g]
                if pool and pool[0].idle_since < best:
                    best = pool[0].idle_since
                    chosen = g
        else:
            for g in self.skilled[c]:
                if idle[g]:
                    chosen = g
                    break
        if chosen >= 0:
            self._serve(idle[chosen].popleft(), contact, now)
            return
        self._touch_queue(c, now)
        self.queues[c].append(contact)
        self.n_waiting[c] += 1
        if patience is not None:
            Timeout(self.env, patience, contact).callbacks.append(self._on_abandon)

    def _touch_queue(self, c: int, now: float) -> None:
        self.q_area[c] += self.n_waiting[c] * (now - self.q_last[c])
        self.q_last[c] = now

    def _touch_group(self, g: int, now: float) -> None:
        dt = now - self.g_last[g]
        self.busy_area[g] += self.busy[g] * dt
        self.present_area[g] += self.present[g] * dt
        self.g_last[g] = now

    # ------------------------------------------------------------------ service
    def _serve(self, agent: Agent, contact: Contact, now: float) -> None:
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
            t.wait_hist[wait_bin(wait)] += 1
            if contact.resolve_u < self.fcr[g][c]:
                t.resolved[k] += 1
            if self.contact_log is not None:
                self._log(contact, "answered", now, wait, g)
        self._touch_group(g, now)
        self.busy[g] += 1
        if contact.counted:
            self.gtally[g].handled[contact.interval] += 1
        Timeout(self.env, handle, agent).callbacks.append(self._on_complete)

    def _on_complete(self, event: Timeout) -> None:
        agent: Agent = event._value
        g = agent.group
        now = self.env.now
        self._touch_group(g, now)
        self.busy[g] -= 1
        if self.pending_leave[g] and not (self.closed and self.m.serve_queue_at_close):
            self.pending_leave[g] -= 1
            self.present[g] -= 1
            return
        contact = self._next_contact(g, now)
        if contact is not None:
            self._serve(agent, contact, now)
        elif self.pending_leave[g]:  # closed and nothing left to answer: go home
            self.pending_leave[g] -= 1
            self.present[g] -= 1
        else:
            agent.idle_since = now
            self.idle[g].append(agent)

    def _next_contact(self, g: int, now: float) -> Contact | None:
        """Oldest waiting contact among the highest-priority skilled channels with work."""
        queues = self.queues
        for tier in self.tiers[g]:
            best: Contact | None = None
            for c in tier:
                queue = queues[c]
                while queue and queue[0].state != WAITING:
                    queue.popleft()
                if queue and (best is None or queue[0].arrival < best.arrival):
                    best = queue[0]
            if best is not None:
                c = best.channel
                queues[c].popleft()
                self._touch_queue(c, now)
                self.n_waiting[c] -= 1
                return best
        return None

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
            if wait <= self.within[c]:
                t.abandoned_within[contact.interval] += 1
        if self.contact_log is not None:
            self._log(contact, "abandoned", now, wait, -1)
        ch = self.m.channels[c]
        if contact.attempt < ch.max_attempts and ch.redial_probability > 0:
            s = self.streams[c]
            if s.redial_u.next() < ch.redial_probability and s.redial_delay is not None:
                when = self.m.next_open_s(now + s.redial_delay.next())
                if when is None:
                    self.tally[c].redials_lost += 1
                else:
                    self._at(when, self._on_redial, (c, contact.attempt + 1))

    # ------------------------------------------------------------------ staffing
    def _on_staffing(self, event: Timeout) -> None:
        g, paid_level = event._value
        now = self.env.now
        target = self._available(g, paid_level)
        self._touch_group(g, now)
        effective = self.present[g] - self.pending_leave[g]
        if target > effective:
            extra = target - effective
            cancel = min(extra, self.pending_leave[g])
            self.pending_leave[g] -= cancel
            for _ in range(extra - cancel):
                self.present[g] += 1
                agent = Agent(g, now)
                contact = None if self.closed else self._next_contact(g, now)
                if contact is not None:
                    self._serve(agent, contact, now)
                else:
                    self.idle[g].append(agent)
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
    def _log(self, contact: Contact, outcome: str, now: float, wait: float, g: int) -> None:
        if self.contact_log is None:
            return
        self.contact_log.writerow(
            [
                self.m.channels[contact.channel].name,
                contact.attempt,
                f"{contact.arrival:.3f}",
                outcome,
                f"{now:.3f}",
                f"{wait:.3f}",
                self.m.groups[g].name if g >= 0 else "",
            ]
        )

    def _collect(self) -> ReplicationStats:
        m = self.m
        channels, scalars, hists = {}, {}, {}
        for c, ch in enumerate(m.channels):
            t = self.tally[c]
            still = sum(1 for x in self.queues[c] if x.state == WAITING and x.counted)
            channels[ch.name] = {
                name: np.asarray(getattr(t, name), dtype=float)
                for name in (
                    "offered",
                    "redials",
                    "answered",
                    "answered_within",
                    "abandoned",
                    "abandoned_within",
                    "unanswered_at_close",
                    "wait_sum",
                    "handle_sum",
                    "resolved",
                    "queue_area",
                )
            }
            scalars[ch.name] = {"redials_lost": float(t.redials_lost), "waiting_at_end": still}
            hists[ch.name] = np.asarray(t.wait_hist, dtype=np.int64)
        groups = {
            grp.name: {
                "busy_area": np.asarray(self.gtally[g].busy_area),
                "present_area": np.asarray(self.gtally[g].present_area),
                "handled": np.asarray(self.gtally[g].handled, dtype=float),
            }
            for g, grp in enumerate(m.groups)
        }
        return ReplicationStats(channels, scalars, hists, groups, events=0)


def run_replication(
    model: CompiledModel,
    seed: int,
    replication: int,
    *,
    contact_log: str | Path | None = None,
) -> ReplicationStats:
    """Simulate one replication. ``contact_log`` (opt-in) writes one CSV row per contact
    outcome to that file; otherwise memory does not grow with the number of contacts."""
    if contact_log is None:
        return Replication(model, seed, replication).run()
    with open(contact_log, "w", newline="", encoding="utf-8") as handle:
        return Replication(model, seed, replication, handle).run()


__all__ = ["DAY_S", "Replication", "run_replication"]
