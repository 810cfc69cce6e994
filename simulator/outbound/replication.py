"""The blended replication: the engine's replication plus outbound dialing.

Used only when a scenario has outbound lists (:func:`simulator.engine.run_replication`
picks it), so the inbound-only event loop runs the exact code it ran before. Everything
outbound happens through three hooks:

* an agent who finds no inbound work (``_take_work`` leaves it idle) may dial at once;
* a dialing window opening, a day's records loading, or a failed record coming due for a
  retry pokes the dialer;
* an attempt's end frees the agent like a completion does (inbound first, then dialing).

**Threshold dialer** (per list): dial while more than ``threshold`` agents of the list's
groups are idle, one attempt per idle agent above it, and only with agents whose groups
have no inbound contact waiting (calls, chats, emails, callbacks: outbound comes last).
The most recently idle agent dials (inbound keeps the longest-idle ones). The agent is
reserved for the attempt (progressive dialing): a right-party connect is talked at once;
an attempt without one costs the agent ``failed_attempt_time``. Never pre-empted.

**Predictive dialer** (per list, ``policy: predictive``): keep ``ceil(ratio × a)`` calls
ringing, ``a`` = the idle agents of the list's groups with no inbound work waiting, less
``threshold`` (at most the groups' idle agents less ``threshold``). Ringing calls reserve no
agent. A failed attempt rings ``failed_attempt_time`` and ends; a right party answers after
``answer_time`` (at once when omitted) and is put through to the most recently idle agent
of the list's groups whose groups have no inbound work waiting — the threshold's reserve
included — for ``handle_time``; with no such agent the customer is abandoned at once (a
nuisance call) and the record is retried like a failed attempt. Every call's end pokes
the dialer. Attempts, connects and nuisance calls are filed under the interval the call was
dialled in (a call dialled at 16:59:55 may be answered after the close); the agent's time
from the answer on, interval by interval.

Random numbers come from the list's own streams (purposes ``OUTBOUND_*``), so the inbound
customers' attributes are drawn exactly as without outbound (common random numbers): the
inbound difference between a run with and without a list is the blending's impact.
"""

from __future__ import annotations

import math
from collections import deque
from typing import IO

import numpy as np
from simpy.events import Timeout

from simulator.clock import DAY_S
from simulator.engine import Agent, Replication
from simulator.model import CompiledModel
from simulator.outbound.model import OutboundModel
from simulator.stats import ReplicationStats
from simulator.streams import Draws, Purpose, stream, uniforms

_COUNTERS = ("loaded", "attempts", "connects", "exhausted", "nuisance")
_SUMS = ("connect_s", "failed_s")  # agent seconds, filed under the intervals they pass in


class OutboundTally:
    """Per-interval counts of one list (by the interval the event happened in): records
    loaded, attempts started, right-party connects, records given up after their last
    attempt, answered customers abandoned for want of an agent (predictive dialer only);
    agent seconds on connects and on failed attempts."""

    def __init__(self, n: int):
        for name in _COUNTERS:
            setattr(self, name, [0] * n)
        for name in _SUMS:
            setattr(self, name, [0.0] * n)

    def arrays(self) -> dict[str, np.ndarray]:
        return {name: np.asarray(getattr(self, name), dtype=float) for name in _COUNTERS + _SUMS}


class _ListState:
    """The records of one list and its streams, for one replication."""

    def __init__(self, spec: OutboundModel, seed: int, replication: int, n: int):
        self.spec = spec
        self.fresh = 0  # records never dialled
        self.due: deque[int] = deque()  # failed records due for a retry (next attempt number)
        self.scheduled = 0  # failed records waiting for their retry time
        self.dialing = False  # inside a dialing window
        self.connect_u = Draws(
            stream(seed, replication, Purpose.OUTBOUND_CONNECT, spec.name), uniforms
        )
        self.handle = Draws(
            stream(seed, replication, Purpose.OUTBOUND_HANDLE, spec.name), spec.handle.sample
        )
        self.failed = Draws(
            stream(seed, replication, Purpose.OUTBOUND_FAILED, spec.name), spec.failed.sample
        )
        self.tally = OutboundTally(n)
        self.ringing = 0  # predictive: calls dialled, not yet answered or failed
        if spec.predictive and spec.answer is not None:
            self.answer: Draws | None = Draws(
                stream(seed, replication, Purpose.OUTBOUND_ANSWER, spec.name), spec.answer.sample
            )
        else:
            self.answer = None

    @property
    def has_records(self) -> bool:
        return bool(self.fresh or self.due)

    def take(self) -> int:
        """The next record's attempt number: due retries first (oldest first), then fresh."""
        if self.due:
            return self.due.popleft()
        self.fresh -= 1
        return 1


class BlendedReplication(Replication):
    """:class:`simulator.engine.Replication` with outbound lists dialled in idle time."""

    def __init__(
        self,
        model: CompiledModel,
        seed: int,
        replication: int,
        contact_log: IO[str] | None = None,
    ):
        super().__init__(model, seed, replication, contact_log)
        n = model.n_intervals
        self.lists = [_ListState(spec, seed, replication, n) for spec in model.outbound]
        # Per group: the lists it dials, in file order (the first list with work wins).
        self.group_lists: list[tuple[_ListState, ...]] = [
            tuple(s for s in self.lists if g in s.spec.groups) for g in range(self.n_groups)
        ]
        # Per group: every queue index it serves (outbound waits while any holds work).
        self.group_queues = [tuple(q for tier in t for q in tier) for t in self.tiers]

    def run(self) -> ReplicationStats:
        for state in self.lists:
            for start, end in state.spec.windows:
                self._at(start, self._on_window_open, state)
                self._at(end, self._on_window_close, state)
        return super().run()

    # ------------------------------------------------------------------ hooks
    def _take_work(self, agent: Agent, now: float, realtime_only: bool = False) -> None:
        super()._take_work(agent, now, realtime_only)
        g = agent.group
        pool = self.idle[g]
        if pool and pool[-1] is agent and self.group_lists[g]:
            self._dial(self.group_lists[g], now)

    def _on_window_open(self, event: Timeout) -> None:
        state: _ListState = event._value
        now = self.env.now
        state.dialing = True
        k = self.m.interval_of(now)
        state.fresh += state.spec.records_per_day
        state.tally.loaded[k] += state.spec.records_per_day
        self._dial((state,), now)

    def _on_window_close(self, event: Timeout) -> None:
        event._value.dialing = False  # attempts in progress finish

    def _on_retry_due(self, event: Timeout) -> None:
        state, attempt = event._value
        state.scheduled -= 1
        state.due.append(attempt)
        self._dial((state,), self.env.now)

    # ------------------------------------------------------------------ dialer
    def _dial(self, lists: tuple[_ListState, ...], now: float) -> None:
        """Start attempts on ``lists`` (in order) while each one's threshold allows."""
        idle = self.idle
        for state in lists:
            spec = state.spec
            if spec.predictive:
                self._dial_predictive(state, now)
                continue
            while state.dialing and state.has_records:
                free = [g for g in spec.groups if idle[g] and not self._inbound_waiting(g)]
                if sum(len(idle[g]) for g in spec.groups) <= spec.threshold or not free:
                    break
                # the most recently idle agent among the free groups dials
                g = max(free, key=lambda h: idle[h][-1].idle_since)
                self._attempt(state, idle[g].pop(), now)

    def _dial_predictive(self, state: _ListState, now: float) -> None:
        """Dial until ``ratio × (free agents − threshold)`` calls of the list ring."""
        spec = state.spec
        if not (state.dialing and state.has_records):
            return
        idle = self.idle
        free = sum(len(idle[g]) for g in spec.groups if idle[g] and not self._inbound_waiting(g))
        idle_all = sum(len(idle[g]) for g in spec.groups)
        available = min(free, idle_all - spec.threshold)
        if available <= 0:
            return
        target = math.ceil(spec.ratio * available - 1e-9)
        while state.ringing < target and state.has_records:
            self._ring(state, now)

    def _ring(self, state: _ListState, now: float) -> None:
        """Start one predictive call: no agent yet; its outcome and ring time are drawn now."""
        spec = state.spec
        attempt = state.take()
        connect = state.connect_u.next() < spec.right_party_connect
        if connect:
            ring = state.answer.next() if state.answer is not None else 0.0
        else:
            ring = state.failed.next()
        k = self.m.interval_of(now)
        state.tally.attempts[k] += 1
        state.ringing += 1
        event = Timeout(self.env, ring, (state, attempt, connect, k))
        event.callbacks.append(self._on_ring_end)

    def _on_ring_end(self, event: Timeout) -> None:
        """A predictive call ends ringing: failed (retry), answered and put through to a free
        agent, or answered with none free (nuisance; retry). Then the dialer tops up."""
        state, attempt, connect, k = event._value  # k: the interval it was dialled in
        spec = state.spec
        now = self.env.now
        t = state.tally
        state.ringing -= 1
        agent = self._free_agent(spec) if connect else None
        if agent is not None:
            duration = state.handle.next()
            t.connects[k] += 1
            talk_k = self.m.interval_of(now)
            if talk_k >= 0:  # answered after the close: its time is not filed (as busy time)
                self._file_seconds(t.connect_s, talk_k, now, duration)
            g = agent.group
            self._touch_busy(g, now)
            self.busy[g] += 1
            Timeout(self.env, duration, agent).callbacks.append(self._on_attempt_end)
        else:
            if connect:
                t.nuisance[k] += 1
            if attempt < spec.max_attempts:
                state.scheduled += 1
                self._at(now + spec.retry_delay_s, self._on_retry_due, (state, attempt + 1))
            else:
                t.exhausted[k] += 1
        self._dial((state,), now)

    def _free_agent(self, spec: OutboundModel) -> Agent | None:
        """The most recently idle agent of ``spec``'s groups whose groups have no inbound work
        waiting (taken out of the idle pool), or None."""
        idle = self.idle
        free = [g for g in spec.groups if idle[g] and not self._inbound_waiting(g)]
        if not free:
            return None
        g = max(free, key=lambda h: idle[h][-1].idle_since)
        return idle[g].pop()

    def _inbound_waiting(self, g: int) -> bool:
        n_waiting = self.n_waiting
        return any(n_waiting[q] for q in self.group_queues[g])

    def _attempt(self, state: _ListState, agent: Agent, now: float) -> None:
        spec = state.spec
        attempt = state.take()
        connect = state.connect_u.next() < spec.right_party_connect
        duration = state.handle.next() if connect else state.failed.next()
        k = self.m.interval_of(now)
        t = state.tally
        t.attempts[k] += 1
        if connect:
            t.connects[k] += 1
            self._file_seconds(t.connect_s, k, now, duration)
        else:
            self._file_seconds(t.failed_s, k, now, duration)
            if attempt < spec.max_attempts:
                state.scheduled += 1
                self._at(now + spec.retry_delay_s, self._on_retry_due, (state, attempt + 1))
            else:
                t.exhausted[k] += 1
        g = agent.group
        self._touch_busy(g, now)
        self.busy[g] += 1
        Timeout(self.env, duration, agent).callbacks.append(self._on_attempt_end)

    def _file_seconds(self, out: list[float], k: int, start: float, seconds: float) -> None:
        """Add an attempt's agent ``seconds`` from ``start`` (in interval ``k``) to ``out``
        interval by interval, as the groups' busy time is: a 40-minute connect started at
        09:50 is 10 minutes of 09:30 and 30 of 10:00, so each interval's outbound occupancy
        is a share of that interval's presence. Time past the close (or into a closed
        interval) is not filed, like the groups' busy and present time then."""
        m = self.m
        end = start + seconds
        while True:
            boundary = (k // m.intervals_per_day) * DAY_S + m.open_s
            boundary += (k % m.intervals_per_day + 1) * m.interval_s
            if end <= boundary:
                out[k] += end - start
                return
            out[k] += boundary - start
            if m.interval_of(boundary) != k + 1:
                return
            start, k = boundary, k + 1

    def _on_attempt_end(self, event: Timeout) -> None:
        """The agent is free again: leaves if its group is shrinking, else takes inbound
        work first (:meth:`_take_work`), then dials."""
        agent: Agent = event._value
        g = agent.group
        now = self.env.now
        self._touch_busy(g, now)
        self.busy[g] -= 1
        if self.pending_leave[g] and not (self.closed and self.m.serve_queue_at_close):
            self.pending_leave[g] -= 1
            self._touch_levels(g, now)
            self.present[g] -= 1
            return
        self._take_work(agent, now, realtime_only=bool(self.pending_leave[g]))

    # ------------------------------------------------------------------ output
    def _collect(self) -> ReplicationStats:
        stats = super()._collect()
        for state in self.lists:
            stats.outbound[state.spec.name] = state.tally.arrays()
            stats.outbound_scalars[state.spec.name] = {
                "records_left_at_end": float(state.fresh + len(state.due) + state.scheduled)
            }
        return stats


__all__ = ["BlendedReplication", "OutboundTally"]
