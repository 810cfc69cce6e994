"""Deferred work (email, letters, web forms): agents needed to answer within the promise.

Nobody abandons deferred work; it waits in a backlog that carries across intervals and days,
and the target is a response time ("answered within 24 hours"). Work may arrive around the
clock while agents only work opening hours. This module sizes such a queue with a **fluid
(workload) approximation**, not a queueing formula:

* work content per interval = volume x AHT (agent-hours);
* capacity per open interval = agents x interval length x ``max_occupancy`` (the share of
  their time agents actually spend on this work), 0 when closed;
* the backlog carries over (``backlog_k = max(0, backlog_{k-1} + work_k - capacity_k)``),
  worked first-in first-out; the volume profile is taken as **cyclic** (a typical day or week
  repeating), and results are for the steady-state cycle, so Monday inherits Sunday's backlog;
* an item arriving at time ``t`` is answered when the cumulative work done reaches the
  cumulative work arrived at ``t``; the promise holds if that happens by ``t + promise``
  (``promise_clock="calendar"``) or within ``promise`` hours of opening time
  (``"working"``). The check is made at interval boundaries, with the promise rounded down to
  whole intervals (conservative).

Randomness (Poisson arrivals, handle-time variance) is ignored, so the result is a lower
bound-style estimate for planning; the simulator checks it.
Units: volumes are items per interval, ``aht_s`` seconds, ``interval_minutes`` minutes,
``promise_hours`` and delays hours, agents are people.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from simulator.errors import InputError
from simulator.queueing.erlang import as_checked_array

__all__ = ["DeferredProfile", "DeferredRequirement", "deferred_profile", "deferred_requirement"]

PromiseClock = Literal["calendar", "working"]

_REL_TOL = 1e-9  # fluid comparisons forgive this share of a cycle's work (rounding noise)
_SEARCH_CANDIDATES = 64
_SEARCH_REL_TOL = 1e-9


@dataclass(frozen=True)
class DeferredProfile:
    """Steady-state fluid backlog over one cycle of intervals, for a given staffing.

    Per interval (arrays of the cycle's length): ``arrivals``, ``handled`` and ``backlog``
    (items waiting at the interval's end) in items; ``delay_hours``, the time until the item
    arriving at the interval's end is answered, on the promise's clock (calendar hours, or
    opening hours with ``promise_clock="working"``). ``share_within_promise`` is the share of
    the cycle's items answered within the promise, the delay taken linear across an interval
    (NaN without a promise). ``stable`` is False when the cycle's capacity is below its work:
    the backlog then grows without bound, so ``share_within_promise`` is 0 and
    ``max_delay_hours`` infinite in the long run, while the per-interval arrays show the first
    cycle from an empty backlog.
    """

    arrivals: np.ndarray
    handled: np.ndarray
    backlog: np.ndarray
    delay_hours: np.ndarray
    share_within_promise: float
    max_delay_hours: float
    workload_hours: float
    capacity_hours: float
    stable: bool


@dataclass(frozen=True)
class DeferredRequirement:
    """Agents needed in every open interval so all deferred work meets its promise.

    ``agents``: the fluid minimum (fractional, productive agents); ``raw_agents``: rounded
    up; ``scheduled_agents = ceil(raw_agents / (1 - shrinkage))``; ``scheduled_unrounded =
    agents / (1 - shrinkage)`` for planners who aggregate before rounding. ``profile`` is the
    backlog with ``raw_agents``.
    """

    agents: float
    raw_agents: int
    scheduled_agents: int
    scheduled_unrounded: float
    shrinkage: float
    profile: DeferredProfile


@dataclass(frozen=True)
class _Cycle:
    """Checked inputs: one cycle of intervals, work in agent-hours."""

    volumes: np.ndarray
    work_h: np.ndarray  # agent-hours arriving per interval
    interval_h: float
    open_mask: np.ndarray
    max_occupancy: float
    promise_steps: int | None
    promise_clock: PromiseClock

    @property
    def size(self) -> int:
        return int(self.volumes.size)


def _check_cycle(
    volumes: ArrayLike,
    aht_s: ArrayLike,
    interval_minutes: float,
    open_intervals: ArrayLike | None,
    promise_hours: float | None,
    promise_clock: str,
    max_occupancy: float,
) -> _Cycle:
    vol = as_checked_array("volumes", volumes, ge=0)
    if vol.ndim != 1 or vol.size == 0:
        raise InputError(f"volumes: must be a non-empty list of numbers, got shape {vol.shape}")
    aht = np.broadcast_to(as_checked_array("aht_s", aht_s, gt=0), vol.shape)
    minutes = float(as_checked_array("interval_minutes", interval_minutes, gt=0))
    occ = float(as_checked_array("max_occupancy", max_occupancy, gt=0, le=1))
    if open_intervals is None:
        open_mask = np.ones(vol.size, dtype=bool)
    else:
        open_mask = np.asarray(open_intervals, dtype=bool)
        if open_mask.shape != vol.shape:
            raise InputError(
                f"open_intervals: must have one entry per interval ({vol.size}), "
                f"got {open_mask.size}"
            )
    if promise_clock not in ("calendar", "working"):
        raise InputError(f"promise_clock: must be 'calendar' or 'working', got {promise_clock!r}")
    steps = None
    if promise_hours is not None:
        hours = float(as_checked_array("promise_hours", promise_hours, gt=0))
        steps = math.floor(hours * 60.0 / minutes + 1e-9)
        if steps < 1:
            raise InputError(
                f"promise_hours: must be at least one interval ({minutes / 60:g} h), got {hours:g}"
            )
    if vol.sum() > 0 and not open_mask.any():
        raise InputError("open_intervals: work arrives but no interval is open")
    return _Cycle(vol, vol * aht / 3600.0, minutes / 60.0, open_mask, occ, steps, promise_clock)  # type: ignore[arg-type]


def _cycles_needed(cycle: _Cycle) -> int:
    """Cycles to lay out: one to reach the steady backlog, one to check, enough after it for
    the deadlines of the checked cycle's arrivals."""
    steps = cycle.promise_steps or 0
    if cycle.promise_clock == "working":
        opened = max(int((cycle.open_mask > 0).sum()), 1)
        return 3 + math.ceil(steps / opened)
    return 3 + math.ceil(steps / cycle.size)


def _served(cycle: _Cycle, agents: np.ndarray, cycles: int) -> tuple[np.ndarray, np.ndarray]:
    """Cumulative work arrived and done (agent-hours) at every interval boundary of
    ``cycles`` repeated cycles, for each agent level in ``agents`` (shape ``(K,)``).

    The Lindley recursion ``Q_k = max(0, Q_{k-1} + W_k - C_k)`` is solved for all intervals at
    once by its reflection form ``Q = X - min(0, running min of X)``, ``X = cumsum(W - C)``.
    """
    work = np.tile(cycle.work_h, cycles)
    per_agent = np.tile(cycle.open_mask * cycle.interval_h * cycle.max_occupancy, cycles)
    # Capacity above all the work there is changes nothing (the backlog empties either way);
    # capping it keeps the cumulative sums small, hence exact to ~1e-12 of the work.
    capacity = np.minimum(agents[:, None] * per_agent[None, :], work.sum())
    net = np.cumsum(work[None, :] - capacity, axis=1)
    backlog = net - np.minimum(np.minimum.accumulate(net, axis=1), 0.0)
    arrived = np.concatenate([[0.0], np.cumsum(work)])
    done = arrived[None, :] - np.concatenate([np.zeros((agents.size, 1)), backlog], axis=1)
    return arrived, done


def _deadlines(cycle: _Cycle, cycles: int) -> np.ndarray:
    """Boundary index of the deadline of an item arriving at each boundary of cycle 2."""
    start, stop = cycle.size, 2 * cycle.size
    boundaries = np.arange(start, stop + 1)
    steps = cycle.promise_steps or 0
    if cycle.promise_clock == "calendar":
        return boundaries + steps
    opened = np.concatenate([[0], np.cumsum(np.tile(cycle.open_mask > 0, cycles))])
    return np.searchsorted(opened, opened[boundaries] + steps, side="left")


def _meets_promise(cycle: _Cycle, agents: np.ndarray) -> np.ndarray:
    """For each agent level: is every item of the steady cycle answered within the promise?"""
    cycles = _cycles_needed(cycle)
    arrived, done = _served(cycle, agents, cycles)
    deadline = _deadlines(cycle, cycles)
    boundaries = np.arange(cycle.size, 2 * cycle.size + 1)
    tol = _REL_TOL * max(float(cycle.work_h.sum()), 1.0)
    late = done[:, deadline] < arrived[None, boundaries] - tol
    return ~late.any(axis=1)


def deferred_profile(
    volumes: ArrayLike,
    aht_s: ArrayLike,
    agents: ArrayLike,
    *,
    interval_minutes: float,
    promise_hours: float | None = None,
    promise_clock: PromiseClock = "calendar",
    max_occupancy: float = 1.0,
) -> DeferredProfile:
    """Steady-state fluid backlog of deferred work with ``agents`` per interval.

    ``volumes``: items arriving per interval over one cycle (e.g. 96 quarter-hours of a
    typical day, or 672 of a week), repeated. ``aht_s``: handle time, scalar or per interval.
    ``agents``: productive agents per interval (scalar or per interval; 0 = closed).
    """
    n = as_checked_array("agents", agents, ge=0)
    vol = as_checked_array("volumes", volumes, ge=0)
    n = np.broadcast_to(n, vol.shape) if vol.ndim == 1 else n
    cycle = _check_cycle(
        vol, aht_s, interval_minutes, None, promise_hours, promise_clock, max_occupancy
    )
    # Capacity per interval is agents x length x occupancy: fold the agent counts into the
    # open mask's per-interval capacity by passing one "agent" of the right size.
    weighted = _Cycle(
        cycle.volumes,
        cycle.work_h,
        cycle.interval_h,
        np.asarray(n, dtype=float),
        cycle.max_occupancy,
        cycle.promise_steps,
        cycle.promise_clock,
    )
    return _profile(weighted, np.ones(1), promise_hours)


def _profile(cycle: _Cycle, agents: np.ndarray, promise_hours: float | None) -> DeferredProfile:
    """Profile for one agent level (``agents`` of shape ``(1,)``) on the steady cycle."""
    size = cycle.size
    cycles = _cycles_needed(cycle)
    arrived, done = _served(cycle, agents, cycles)
    done = done[0]
    workload = float(cycle.work_h.sum())
    capacity = float(agents[0] * (cycle.open_mask * cycle.interval_h).sum() * cycle.max_occupancy)
    tol = _REL_TOL * max(workload, 1.0)
    stable = capacity >= workload - tol
    first = size if stable else 0  # steady cycle, or the first one when the backlog diverges
    window = slice(first, first + size + 1)
    # Items: FIFO, so the k-th agent-hour done belongs to the item that brought it.
    items_arrived = np.concatenate([[0.0], np.cumsum(np.tile(cycle.volumes, cycles))])
    items_done = np.interp(done, arrived, items_arrived)
    arrivals = np.diff(items_arrived[window])
    handled = np.diff(items_done[window])
    backlog = (items_arrived - items_done)[window][1:]
    clock = _clock_hours(cycle, cycles)
    delays = _delays(arrived, done, clock, tol)[window]
    share, longest = math.nan, float(np.max(delays))
    if promise_hours is not None:
        share = _share_within(delays, arrivals, float(promise_hours))
    if not stable:  # the backlog, hence every delay, grows cycle after cycle
        share, longest = (math.nan if promise_hours is None else 0.0), math.inf
    return DeferredProfile(
        arrivals=arrivals,
        handled=handled,
        backlog=np.maximum(backlog, 0.0),
        delay_hours=delays[1:],
        share_within_promise=share,
        max_delay_hours=longest,
        workload_hours=workload,
        capacity_hours=capacity,
        stable=bool(stable),
    )


def _clock_hours(cycle: _Cycle, cycles: int) -> np.ndarray:
    """Hours elapsed on the promise's clock at every interval boundary: calendar hours, or
    opening hours only (``promise_clock="working"``)."""
    ticks = np.ones(cycle.size) if cycle.promise_clock == "calendar" else cycle.open_mask > 0
    return np.concatenate([[0.0], np.cumsum(np.tile(ticks, cycles))]) * cycle.interval_h


def _delays(arrived: np.ndarray, done: np.ndarray, clock: np.ndarray, tol: float) -> np.ndarray:
    """Hours on ``clock`` from each boundary until the work arrived by then is done (inf if
    never within the horizon). Work done is taken linear within an interval."""
    index = np.searchsorted(done, arrived - tol, side="left")
    finite = index < done.size
    i = np.clip(index, 1, done.size - 1)
    lo, hi = done[i - 1], done[i]
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = np.clip(np.where(hi > lo, (arrived - lo) / (hi - lo), 1.0), 0.0, 1.0)
    finish = clock[i - 1] + frac * (clock[i] - clock[i - 1])
    finish = np.where(index == 0, clock[0], finish)
    return np.where(finite, np.maximum(finish - clock, 0.0), np.inf)


def _share_within(delays: np.ndarray, arrivals: np.ndarray, promise_h: float) -> float:
    """Share of items within the promise, the delay taken linear across each interval."""
    d0, d1 = delays[:-1], delays[1:]
    with np.errstate(divide="ignore", invalid="ignore"):
        f = (promise_h - d0) / (d1 - d0)
    rising = np.where(d1 > d0, np.clip(f, 0.0, 1.0), np.clip(1.0 - f, 0.0, 1.0))
    flat = np.where(d0 <= promise_h, 1.0, 0.0)
    within = np.where(np.isclose(d0, d1) | ~np.isfinite(d0 + d1), flat * (d1 <= promise_h), rising)
    total = arrivals.sum()
    return float((within * arrivals).sum() / total) if total > 0 else 1.0


def deferred_requirement(
    volumes: ArrayLike,
    aht_s: ArrayLike,
    *,
    interval_minutes: float,
    promise_hours: float,
    open_intervals: ArrayLike | None = None,
    promise_clock: PromiseClock = "calendar",
    max_occupancy: float = 1.0,
    shrinkage: float = 0.0,
) -> DeferredRequirement:
    """Fewest agents, the same in every open interval, answering all work within the promise.

    ``open_intervals``: booleans, one per interval (default: always open). The search
    evaluates 64 agent levels per step on whole arrays (vectorised Lindley recursion), first
    doubling from the workload bound ``work / (open hours x max_occupancy)``, then refining to
    a relative 1e-9. Raises :class:`InputError` when no number of agents can keep the promise
    (e.g. a 4 h promise for mail arriving on Friday evening with the office closed till
    Monday).
    """
    cycle = _check_cycle(
        volumes,
        aht_s,
        interval_minutes,
        open_intervals,
        promise_hours,
        promise_clock,
        max_occupancy,
    )
    s = float(as_checked_array("shrinkage", shrinkage, ge=0, lt=1))
    agents = _minimum_level(cycle)
    raw = math.ceil(agents - 1e-9)
    profile = _profile(cycle, np.array([float(raw)]), promise_hours)
    return DeferredRequirement(
        agents=agents,
        raw_agents=raw,
        scheduled_agents=math.ceil(raw / (1.0 - s) - 1e-9),
        scheduled_unrounded=agents / (1.0 - s),
        shrinkage=s,
        profile=profile,
    )


def _minimum_level(cycle: _Cycle) -> float:
    """Smallest agent level (fractional) meeting the promise; 0 for no work."""
    open_h = float((cycle.open_mask * cycle.interval_h).sum()) * cycle.max_occupancy
    work = float(cycle.work_h.sum())
    if work <= 0:
        return 0.0
    floor = work / open_h  # below this the backlog grows cycle after cycle
    ladder = floor * 2.0 ** np.arange(_SEARCH_CANDIDATES)
    ok = _meets_promise(cycle, ladder)
    if not ok.any():
        raise InputError(
            "promise_hours: work cannot be answered within the promise with any number of "
            "agents: some work arrives more than the promise before the next open interval"
        )
    first = int(np.argmax(ok))
    if first == 0:
        return floor
    lo, hi = ladder[first - 1], ladder[first]
    while hi - lo > _SEARCH_REL_TOL * hi:
        grid = np.linspace(lo, hi, _SEARCH_CANDIDATES + 1)[1:]
        ok = _meets_promise(cycle, grid)
        k = int(np.argmax(ok))  # grid[-1] == hi is feasible
        lo, hi = (grid[k - 1] if k > 0 else lo), grid[k]
    return float(hi)
