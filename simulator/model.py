"""The scenario compiled into plain arrays the engine reads in its hot loop.

The scenario tree is for people (names, units in keys, validation); the compiled model is for
the event loop: channel and group *indices*, rates in contacts per **second**, times in
**seconds** from day 0 00:00, and per-group staffing as a list of change points. It is built
once per ``simulate`` call and shipped to worker processes as is (it pickles small).
"""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass

import numpy as np

from simulator.channels.spec import Callback, Lines
from simulator.clock import DAY_S, day_grid, parse_clock
from simulator.distributions import DistributionBase
from simulator.scenario import AgentGroup, Channel, Scenario


@dataclass(frozen=True)
class ChannelModel:
    index: int
    name: str
    kind: str
    priority: int
    rate_per_s: np.ndarray  # expected arrivals per second, per global interval
    handle: DistributionBase
    patience: DistributionBase | None
    redial_probability: float
    redial_delay: DistributionBase | None
    max_attempts: int
    within_s: float  # T of the service level (seconds); 20 s when no target is set
    day_multiplier_cv: float | None
    groups: tuple[int, ...]  # indices of groups skilled for this channel
    max_concurrency: int = 1  # chat: contacts one agent holds at once
    concurrency_slowdown: float = 0.0  # chat: handle-time growth per extra chat
    promise_s: float | None = None  # email: response promise (seconds)
    promise_working: bool = False  # email: promise counted in opening hours only
    closed_hours_volume: float = 0.0  # email: expected arrivals per day outside hours
    loop: ResolutionModel | None = None  # what unresolved issues do next
    handle_scale: np.ndarray | None = None  # per global interval: mean there / dist. mean
    lines: Lines | None = None  # call: finite lines (busy signal)
    callback: Callback | None = None  # call: callbacks offered instead of holding
    balk_table: tuple[float, ...] | None = None  # walk-in: P(leave) by line length seen
    hours_mask: np.ndarray | None = None  # (days, intervals) bool: the channel's own hours


@dataclass(frozen=True)
class ResolutionModel:
    """The first-contact-resolution loop of one channel, with channel names as indices."""

    repeat_share: float
    escalate_share: float
    escalate_to: int  # channel index, -1 if none
    repeat_delay: DistributionBase | None
    repeat_channels: tuple[int, ...]  # where repeat contacts come back
    repeat_cumulative: tuple[float, ...]  # cumulative weights (last = 1.0)
    max_contacts: int


@dataclass(frozen=True)
class GroupModel:
    index: int
    name: str
    cost_per_hour: float
    shrinkage: float
    factors: dict[int, float]  # channel index -> handle-time factor
    fcr: dict[int, float]  # channel index -> resolution probability
    tiers: tuple[tuple[int, ...], ...]  # skilled channel indices grouped by priority
    changes: tuple[tuple[float, int], ...]  # (time s, paid agents on duty from then on)
    paid_hours_per_interval: np.ndarray  # paid agent-hours falling in each global interval
    paid_hours_total: float  # includes paid time outside opening hours (shifts)


@dataclass(frozen=True)
class CompiledModel:
    scenario_name: str
    days: int
    interval_s: int
    open_s: int
    close_s: int
    intervals_per_day: int
    interval_starts: np.ndarray  # absolute start (s) of each global interval
    channels: tuple[ChannelModel, ...]
    groups: tuple[GroupModel, ...]
    agent_selection: str
    email_reserve_agents: int
    serve_queue_at_close: bool
    warmup_s: float
    service_level_definition: str
    return_cdf: tuple[np.ndarray, ...] = ()  # per channel: (days, intervals) cumulative shares
    open_mask: np.ndarray | None = None  # (days, intervals) bool; None: every interval open
    day_spans: tuple[tuple[int, int] | None, ...] = ()  # per day (open, close) s; None closed
    week_spans: tuple[tuple[int, int] | None, ...] = ()  # per weekday, for past the horizon
    first_weekday: int = 0  # weekday of day 0 (0 = Monday)
    start_date: datetime.date | None = None  # calendar date of day 0 (labels only)

    @property
    def open_starts(self) -> np.ndarray:
        """Absolute starts of the open intervals (all of them without weekday hours)."""
        if self.open_mask is None:
            return self.interval_starts
        return self.interval_starts[self.open_mask.ravel()]

    def _span(self, day: int) -> tuple[int, int] | None:
        """Opening span of ``day`` (seconds after its midnight), also past the horizon
        (the weekly pattern repeats)."""
        if 0 <= day < len(self.day_spans):
            return self.day_spans[day]
        return self.week_spans[(self.first_weekday + day) % 7]

    @property
    def n_intervals(self) -> int:
        return len(self.interval_starts)

    @property
    def end_s(self) -> float:
        """Closing time of the last day."""
        return (self.days - 1) * DAY_S + self.close_s

    def interval_of(self, t: float) -> int:
        """Global interval index of time ``t`` (seconds), or -1 when the centre is closed."""
        day, in_day = divmod(t, DAY_S)
        if not self.open_s <= in_day < self.close_s or day >= self.days:
            return -1
        k = int(day) * self.intervals_per_day + int((in_day - self.open_s) // self.interval_s)
        if self.open_mask is not None and not self.open_mask.flat[k]:
            return -1
        return k

    @property
    def horizon_end_s(self) -> float:
        """Midnight after the last day: emails keep arriving until then."""
        return self.days * DAY_S

    def tally_interval(self, t: float) -> int:
        """Interval a contact arriving at ``t`` is filed under: its own when open, else the
        next opening interval (when it first becomes workable), else the last interval."""
        k = self.interval_of(t)
        if k >= 0:
            return k
        opening = self.next_open_s(t)
        return self.interval_of(opening) if opening is not None else self.n_intervals - 1

    def add_working_seconds(self, t: float, seconds: float) -> float:
        """The time at which ``seconds`` of opening hours have passed after ``t`` (may run
        past the horizon: the same opening hours are assumed on later days).

        Closed form (what is left of ``t``'s day, then whole days of ``close − open``
        seconds, then part of a last day), so a year-long promise costs what a day's does.
        It returns exactly what walking day by day returns: whole days are taken off
        ``seconds`` as one multiple of the (integral) day length, an exact subtraction
        for times below 2⁵³ s. With opening hours by weekday it walks day by day instead
        (the weekly pattern assumed past the horizon)."""
        if self.open_mask is not None:
            return self._add_working_seconds_by_day(t, seconds)
        day = int(t // DAY_S)
        start = max(t, day * DAY_S + self.open_s)
        end = day * DAY_S + self.close_s
        if start < end:
            if seconds <= end - start:
                return start + seconds
            seconds -= end - start
        length = self.close_s - self.open_s  # opening seconds of every later day
        skip = max(0, math.ceil(seconds / length) - 1)  # whole days before the last one
        while skip > 0 and seconds - (skip - 1) * length <= length:  # rounding of the division
            skip -= 1
        while seconds - skip * length > length:
            skip += 1
        return (day + 1 + skip) * DAY_S + self.open_s + (seconds - skip * length)

    def _add_working_seconds_by_day(self, t: float, seconds: float) -> float:
        """:meth:`add_working_seconds` for opening hours that differ by weekday."""
        day = int(t // DAY_S)
        if not any(self.week_spans):  # pragma: no cover - validation refuses it
            raise ValueError("no weekday is open")
        while True:
            span = self._span(day)
            if span is not None:
                start = max(t, day * DAY_S + span[0])
                end = day * DAY_S + span[1]
                if start < end:
                    if seconds <= end - start:
                        return start + seconds
                    seconds -= end - start
            day += 1

    def return_time(self, c: int, t: float, u: float) -> float | None:
        """When a customer who means to come back on real-time channel ``c`` at ``t`` does:
        ``t`` while the channel is open; otherwise on the next opening day, at a time drawn
        (with the uniform ``u``) from that day's arrival profile of the channel — people who
        could not call at night call when people call, not all at the opening second.
        None past the horizon. A channel with its own ``hours`` counts as open in its own
        intervals only."""
        day, in_day = divmod(t, DAY_S)
        own = self.channels[c].hours_mask if self.channels else None
        if own is not None:
            k = self.interval_of(t)
            if k >= 0 and own.flat[k]:
                return t
            day = int(day)
            if day < self.days:
                is_open = np.flatnonzero(own[day])
                # past today's last open interval (or closed today): from tomorrow on
                if not len(is_open) or in_day >= self.open_s + (is_open[-1] + 1) * self.interval_s:
                    day += 1
            while day < self.days and not own[day].any():
                day += 1
            if day >= self.days:
                return None
        elif self.open_mask is not None:
            if self.interval_of(t) >= 0:
                return t
            day = int(day)
            span = self._span(day)
            if span is None or in_day >= span[1]:
                day += 1
            while day < self.days and self.day_spans[day] is None:
                day += 1
            if day >= self.days:
                return None
        else:
            if self.open_s <= in_day < self.close_s and day < self.days:
                return t
            day = int(day) + (1 if in_day >= self.close_s else 0)
            if day >= self.days:
                return None
        cdf = self.return_cdf[c][day]
        k = min(int(np.searchsorted(cdf, u, side="right")), len(cdf) - 1)
        below = cdf[k - 1] if k else 0.0
        share = cdf[k] - below
        within = (u - below) / share if share > 0 else 0.5
        return day * DAY_S + self.open_s + (k + min(max(within, 0.0), 1.0)) * self.interval_s

    def next_open_s(self, t: float) -> float | None:
        """``t`` if open, else the next opening time within the horizon (None past it)."""
        if self.open_mask is not None:
            if self.interval_of(t) >= 0:
                return t
            starts = self.open_starts
            i = int(np.searchsorted(starts, t, side="right"))
            return float(starts[i]) if i < len(starts) else None
        day, in_day = divmod(t, DAY_S)
        if in_day < self.open_s:
            candidate = day * DAY_S + self.open_s
        elif in_day < self.close_s:
            candidate = t
        else:
            candidate = (day + 1) * DAY_S + self.open_s
        return candidate if candidate < self.end_s else None


def _channel_rates(scenario: Scenario, name: str) -> np.ndarray:
    horizon = scenario.horizon
    channel = scenario.channels[name]
    arrivals = channel.arrivals
    grid = channel.interval_volumes(horizon)  # none while the channel is closed
    return (grid * arrivals.scale / horizon.interval_s).ravel()


def _handle_scale(scenario: Scenario, name: str) -> np.ndarray | None:
    """Per global interval, the handle-time multiplier of contacts filed there."""
    scale = scenario.channels[name].handle_scale
    if scale is None:
        return None
    h = scenario.horizon
    return day_grid(scale, h.days, h.intervals_per_day).ravel()


def _staffing_changes(
    scenario: Scenario, group: AgentGroup
) -> tuple[list[tuple[float, int]], np.ndarray, float]:
    """Change points of agents on duty, paid hours per interval and in total."""
    horizon = scenario.horizon
    starts = _interval_starts(scenario)
    interval_h = horizon.interval_s / 3600
    if group.staffing is not None:
        grid = day_grid(group.staffing, horizon.days, horizon.intervals_per_day).astype(int)
        if horizon.hours is not None:
            grid = np.where(horizon.open_mask(), grid, 0)  # nobody staffed while closed
        changes: list[tuple[float, int]] = []
        for day in range(horizon.days):
            for i in range(horizon.intervals_per_day):
                changes.append((float(horizon.interval_start_s(day, i)), int(grid[day, i])))
            changes.append((float(day * DAY_S + horizon.close_s), 0))
        paid = grid.ravel() * interval_h
        return _merge(changes), paid.astype(float), float(paid.sum())
    # Shifts: +count at start, -count at end, -/+ around each unpaid break.
    deltas: list[tuple[float, int]] = []
    total_paid_s = 0.0
    for shift in group.shifts or ():
        for day in shift.days if shift.days is not None else range(horizon.days):
            begin = day * DAY_S + parse_clock(shift.start)
            end = begin + shift.hours * 3600
            deltas += [(begin, shift.count), (end, -shift.count)]
            total_paid_s += shift.count * shift.hours * 3600
            for brk in shift.breaks:
                b0 = begin + brk.after_minutes * 60
                b1 = min(b0 + brk.minutes * 60, end)
                if b0 < end:
                    deltas += [(b0, -shift.count), (b1, shift.count)]
                    if not brk.paid:
                        total_paid_s -= shift.count * (b1 - b0)
    deltas.sort()
    level = 0
    changes = []
    for t, d in deltas:
        level += d
        changes.append((float(t), level))
    changes = _merge(changes)
    paid = _integrate_intervals(changes, starts, horizon.interval_s) / 3600
    return changes, paid, total_paid_s / 3600


def _merge(changes: list[tuple[float, int]]) -> list[tuple[float, int]]:
    """Keep the last level at each time and drop changes that change nothing."""
    merged: list[tuple[float, int]] = []
    for t, level in changes:
        if merged and merged[-1][0] == t:
            merged[-1] = (t, level)
        else:
            merged.append((t, level))
    out: list[tuple[float, int]] = []
    for t, level in merged:
        if not out or out[-1][1] != level:
            out.append((t, level))
    return out


def _integrate_intervals(
    changes: list[tuple[float, int]], starts: np.ndarray, length: float
) -> np.ndarray:
    """Agent-seconds of the step function ``changes`` over each [start, start + length),
    starts ascending. One pass over the changes for all intervals (a year of shifts has
    ~10⁵ changes and ~10⁴ intervals; one pass per interval would take minutes), with the
    same additions in the same order as integrating each interval on its own."""
    out = np.zeros(len(starts))
    first = 0  # first change after the previous interval's start
    level = 0  # level of the last change at or before the current start
    for k, a in enumerate(starts.tolist()):
        while first < len(changes) and changes[first][0] <= a:
            level = changes[first][1]
            first += 1
        b = a + length
        total, current, last = 0.0, level, a
        i = first
        while i < len(changes) and changes[i][0] < b:
            t, new = changes[i]
            total += current * (t - last)
            last = t
            current = new
            i += 1
        out[k] = total + current * (b - last)
    return out


def _interval_starts(scenario: Scenario) -> np.ndarray:
    h = scenario.horizon
    return np.array(
        [h.interval_start_s(d, i) for d in range(h.days) for i in range(h.intervals_per_day)],
        dtype=float,
    )


def _loop(ch: Channel, name: str, index: dict[str, int]) -> ResolutionModel | None:
    res = ch.resolution
    if res is None:
        return None
    mix = res.repeat_mix or {name: 1.0}
    total = sum(mix.values())
    cumulative, acc = [], 0.0
    for weight in mix.values():
        acc += weight / total
        cumulative.append(acc)
    cumulative[-1] = 1.0
    return ResolutionModel(
        repeat_share=res.repeat_share,
        escalate_share=res.escalate_share,
        escalate_to=index[res.escalate_to] if res.escalate_to else -1,
        repeat_delay=res.repeat_delay,
        repeat_channels=tuple(index[c] for c in mix),
        repeat_cumulative=tuple(cumulative),
        max_contacts=res.max_contacts,
    )


def compile_scenario(scenario: Scenario) -> CompiledModel:
    """Turn the validated scenario into the engine's arrays (see module docstring)."""
    h = scenario.horizon
    names = list(scenario.channels)
    index = {n: i for i, n in enumerate(names)}
    group_names = list(scenario.agent_groups)
    channels = []
    for i, name in enumerate(names):
        ch = scenario.channels[name]
        redial = ch.redial
        channels.append(
            ChannelModel(
                index=i,
                name=name,
                kind=ch.kind,
                priority=scenario.priority(name),
                rate_per_s=_channel_rates(scenario, name),
                handle=ch.handle_time,
                patience=ch.patience,
                redial_probability=redial.probability if redial else 0.0,
                redial_delay=redial.delay if redial else None,
                max_attempts=redial.max_attempts if redial else 1,
                within_s=float(
                    ch.targets.within_seconds if ch.targets.within_seconds is not None else 20.0
                ),
                day_multiplier_cv=(
                    ch.arrivals.day_multiplier.cv if ch.arrivals.day_multiplier else None
                ),
                groups=tuple(
                    g
                    for g, gname in enumerate(group_names)
                    if name in scenario.agent_groups[gname].skills
                ),
                max_concurrency=ch.max_concurrency,
                concurrency_slowdown=ch.concurrency_slowdown,
                promise_s=ch.promise_hours * 3600 if ch.promise_hours else None,
                promise_working=ch.promise_clock == "working",
                closed_hours_volume=ch.arrivals.closed_hours_volume * ch.arrivals.scale,
                loop=_loop(ch, name, index),
                handle_scale=_handle_scale(scenario, name),
                lines=ch.lines,
                callback=ch.callback,
                balk_table=ch.balking.table() if ch.balking is not None else None,
                hours_mask=ch.hours.open_mask(h) if ch.hours is not None else None,
            )
        )
    groups = []
    for g, gname in enumerate(group_names):
        group = scenario.agent_groups[gname]
        skilled = sorted(index[c] for c in group.skills)
        priorities = sorted({channels[c].priority for c in skilled})
        tiers = tuple(tuple(c for c in skilled if channels[c].priority == p) for p in priorities)
        changes, paid, paid_total = _staffing_changes(scenario, group)
        groups.append(
            GroupModel(
                index=g,
                name=gname,
                cost_per_hour=group.cost_per_hour,
                shrinkage=group.shrinkage,
                factors={index[c]: s.handle_time_factor for c, s in group.skills.items()},
                fcr={index[c]: s.fcr for c, s in group.skills.items()},
                tiers=tiers,
                changes=tuple(changes),
                paid_hours_per_interval=paid,
                paid_hours_total=paid_total,
            )
        )
    mask = None if h.uniform_hours else h.open_mask()
    uniform = 1.0 if mask is None else np.where(mask, 1.0, 0.0)
    return_cdf = []
    for ch in channels:
        grid = ch.rate_per_s.reshape(h.days, h.intervals_per_day)
        # no profile: uniform over the open intervals (a closed day keeps an all-zero row)
        own = uniform if ch.hours_mask is None else np.where(ch.hours_mask, 1.0, 0.0)
        grid = np.where(grid.sum(axis=1, keepdims=True) > 0, grid, own)
        with np.errstate(divide="ignore", invalid="ignore"):
            return_cdf.append(np.cumsum(grid, axis=1) / grid.sum(axis=1, keepdims=True))
    return CompiledModel(
        scenario_name=scenario.name,
        days=h.days,
        interval_s=h.interval_s,
        open_s=h.open_s,
        close_s=h.close_s,
        intervals_per_day=h.intervals_per_day,
        interval_starts=_interval_starts(scenario),
        channels=tuple(channels),
        groups=tuple(groups),
        agent_selection=scenario.routing.agent_selection,
        email_reserve_agents=scenario.routing.email_reserve_agents,
        serve_queue_at_close=scenario.run.serve_queue_at_close,
        warmup_s=scenario.run.warmup_minutes * 60,
        service_level_definition=scenario.run.service_level_definition,
        return_cdf=tuple(return_cdf),
        open_mask=mask,
        day_spans=tuple(h.day_span(d) for d in range(h.days)),
        week_spans=tuple(h.weekday_span(w) for w in range(7)),
        first_weekday=h.weekday(0),
        start_date=h.start_date,
    )
