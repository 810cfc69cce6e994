"""Shift scheduling: the cheapest set of shifts covering per-interval requirements.

An integer program solved by HiGHS through ``scipy.optimize.milp``. For each agent group
and each *pattern* — a shift type, a day, a start time and a placement of each break — an
integer variable counts the agents working it. Constraints: in every interval, the agents
on duty (time-average: a shift covering half an interval, or with a break in it, counts
half) reach the requirement. Objective: paid cost (shift hours minus unpaid breaks, times
the group's cost per hour). A slack per interval, priced far above any shift, keeps the
program solvable when no shift type reaches an interval; the result then says exactly
where and by how much the requirement is not covered.

Units: requirements are agents on duty per interval; times are seconds from day 0 00:00
inside, ``"HH:MM"`` and minutes in the output shifts (the scenario's own format).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_matrix

from optimizer.options import ShiftType
from optimizer.problem import Problem
from simulator.errors import InputError
from simulator.scenario import Break, Scenario, Shift, _clock_seconds

DAY_S = 86_400


@dataclass(frozen=True)
class Pattern:
    """One way to work: a shift type on a day, from a start, with breaks placed."""

    group: int
    type_name: str
    day: int
    start_s: int  # seconds after midnight of ``day``
    hours: float
    breaks: tuple[tuple[int, int], ...]  # (after_minutes, minutes)
    coverage: np.ndarray  # (K,) time-average agents on duty per interval for one agent
    paid_hours: float
    max_count: int | None

    def shift(self, count: int, days: tuple[int, ...] | None) -> Shift:
        start = f"{self.start_s // 3600:02d}:{self.start_s % 3600 // 60:02d}"
        return Shift(
            start=start,
            hours=self.hours,
            count=count,
            days=days,
            breaks=tuple(Break(after_minutes=a, minutes=m) for a, m in self.breaks),
        )


@dataclass(frozen=True)
class ShiftSolution:
    """What :func:`solve_shifts` returns.

    ``shifts``: group -> scenario shifts; ``coverage`` (G, K): agents on duty per interval
    (time-average); ``uncovered`` (G, K): requirement minus coverage where positive;
    ``cost``: paid cost; ``status``: HiGHS's message; ``optimal``: proven optimal;
    ``patterns``/``counts``: the program's variables (for :func:`with_counts`)."""

    shifts: dict[str, tuple[Shift, ...]]
    coverage: np.ndarray
    uncovered: np.ndarray
    cost: float
    status: str
    optimal: bool
    patterns: tuple[Pattern, ...] = ()
    counts: np.ndarray | None = None


def default_shift_types(scenario: Scenario) -> tuple[ShiftType, ...]:
    """Shift types taken from the scenario's shifts: each distinct length and break rule
    (per group) may start at any interval boundary from opening time until it would end
    after closing (and at the start the scenario uses, if that lies outside); days as in
    the scenario. The program then re-optimizes starts and counts."""
    h = scenario.horizon
    types: dict[tuple, ShiftType] = {}
    for gname, group in scenario.agent_groups.items():
        for shift in group.shifts or ():
            key = (gname, shift.hours, shift.breaks, shift.days)
            start = _clock_seconds(shift.start)
            latest = max(h.open_s, int(h.close_s - shift.hours * 3600))
            latest -= (latest - h.open_s) % h.interval_s
            first = min(start, h.open_s)
            last = max(start, latest)
            if key in types:
                old = types[key]
                first = min(first, _clock_seconds(old.earliest_start))
                last = max(last, _clock_seconds(old.latest_start or old.earliest_start))
            step = h.interval_minutes if (last - first) % h.interval_s == 0 else 15
            types[key] = ShiftType.model_validate(
                {
                    "name": f"{gname} {shift.hours:g}h",
                    "hours": shift.hours,
                    "earliest_start": _label(first),
                    "latest_start": _label(last),
                    "start_step_minutes": step,
                    "breaks": [
                        {"after_minutes": b.after_minutes, "minutes": b.minutes}
                        for b in shift.breaks
                    ],
                    "groups": (gname,),
                    "days": shift.days,
                }
            )
    return tuple(types.values())


def _label(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


def check_shift_types(scenario: Scenario, types: tuple[ShiftType, ...]) -> None:
    """Unknown groups or days in shift types: one line per problem."""
    problems = []
    for i, t in enumerate(types):
        for g in t.groups or ():
            if g not in scenario.agent_groups:
                problems.append(f"shift_types.{i}.groups: unknown agent group {g!r}")
        for d in t.days or ():
            if not 0 <= d < scenario.horizon.days:
                problems.append(f"shift_types.{i}.days: day {d} is outside the horizon")
    if problems:
        raise InputError(problems)


def patterns(problem: Problem, types: tuple[ShiftType, ...]) -> list[Pattern]:
    """Every pattern of every shift type for every group it applies to."""
    h = problem.scenario.horizon
    starts = np.array(
        [h.interval_start_s(d, i) for d in range(h.days) for i in range(h.intervals_per_day)],
        dtype=float,
    )
    ends = starts + h.interval_s
    out: list[Pattern] = []
    for t in types:
        groups = (
            [problem.groups.index(g) for g in t.groups] if t.groups else range(problem.n_groups)
        )
        days = t.days if t.days is not None else range(h.days)
        placements = list(itertools.product(*(b.offsets() for b in t.breaks)))
        for day, start, placement in itertools.product(days, t.start_seconds(), placements):
            begin = day * DAY_S + start
            end = begin + t.hours * 3600
            on = [(begin, end)]
            breaks = tuple((off, b.minutes) for off, b in zip(placement, t.breaks, strict=True))
            for off, minutes in sorted(breaks):
                b0, b1 = begin + off * 60, begin + (off + minutes) * 60
                on = [
                    piece
                    for a, z in on
                    for piece in ((a, min(z, b0)), (max(a, b1), z))
                    if piece[0] < piece[1]
                ]
            coverage = np.zeros(len(starts))
            for a, z in on:
                coverage += np.clip(np.minimum(ends, z) - np.maximum(starts, a), 0, None)
            coverage /= h.interval_s
            paid = t.hours - sum(m for _, m in breaks) / 60
            for g in groups:
                out.append(
                    Pattern(g, t.name, day, start, t.hours, breaks, coverage, paid, t.max_count)
                )
    return out


def solve_shifts(
    problem: Problem,
    requirement: np.ndarray,
    types: tuple[ShiftType, ...],
    *,
    time_limit_s: float = 30.0,
) -> ShiftSolution:
    """Cheapest shifts whose coverage reaches ``requirement`` (G, K) in every interval."""
    check_shift_types(problem.scenario, types)
    req = np.asarray(requirement, dtype=float)
    pats = patterns(problem, types)
    g_n, k_n = problem.n_groups, problem.n_intervals
    cost_h = problem.unit_cost / problem.interval_hours
    n_p = len(pats)
    n_slack = g_n * k_n
    penalty = 1e3 * float(cost_h.max() if cost_h.size else 1.0) * 24 + 1e3
    c = np.concatenate([[p.paid_hours * cost_h[p.group] for p in pats], np.full(n_slack, penalty)])
    rows, cols, vals = [], [], []
    for j, p in enumerate(pats):
        ks = np.flatnonzero(p.coverage > 0)
        rows += (p.group * k_n + ks).tolist()
        cols += [j] * len(ks)
        vals += p.coverage[ks].tolist()
    rows += list(range(n_slack))
    cols += list(range(n_p, n_p + n_slack))
    vals += [1.0] * n_slack
    a = coo_matrix((vals, (rows, cols)), shape=(n_slack, n_p + n_slack)).tocsr()
    constraints = [LinearConstraint(a, lb=req.ravel() - 1e-9, ub=np.inf)]
    # max_count: agents per start per day, over the break placements of one shift type.
    limited: dict[tuple, list[int]] = {}
    for j, p in enumerate(pats):
        if p.max_count is not None:
            limited.setdefault((p.group, p.type_name, p.day, p.start_s), []).append(j)
    if limited:
        r2, c2 = [], []
        for i, js in enumerate(limited.values()):
            r2 += [i] * len(js)
            c2 += js
        caps = [pats[js[0]].max_count for js in limited.values()]
        m = coo_matrix((np.ones(len(r2)), (r2, c2)), shape=(len(limited), n_p + n_slack))
        constraints.append(LinearConstraint(m.tocsr(), lb=-np.inf, ub=np.array(caps, dtype=float)))
    integrality = np.concatenate([np.ones(n_p), np.zeros(n_slack)])
    res = milp(
        c,
        constraints=constraints,
        integrality=integrality,
        bounds=Bounds(0, np.inf),
        options={"time_limit": time_limit_s, "disp": False},
    )
    if res.x is None:
        raise InputError(f"shift program: HiGHS found no solution ({res.message})")
    counts = np.rint(res.x[:n_p]).astype(int)
    coverage = np.zeros((g_n, k_n))
    for j, p in enumerate(pats):
        if counts[j]:
            coverage[p.group] += counts[j] * p.coverage
    shifts = _merge_days(problem, pats, counts)
    cost = float(sum(counts[j] * pats[j].paid_hours * cost_h[pats[j].group] for j in range(n_p)))
    return ShiftSolution(
        shifts=shifts,
        coverage=coverage,
        uncovered=np.maximum(req - coverage, 0.0) * (np.maximum(req - coverage, 0) > 1e-6),
        cost=cost,
        status=str(res.message),
        optimal=res.status == 0,
        patterns=tuple(pats),
        counts=counts,
    )


def with_counts(problem: Problem, sol: ShiftSolution, counts: np.ndarray) -> ShiftSolution:
    """``sol`` with other agent counts per pattern (e.g. after removing shifts)."""
    pats = list(sol.patterns)
    coverage = np.zeros((problem.n_groups, problem.n_intervals))
    for j, p in enumerate(pats):
        if counts[j]:
            coverage[p.group] += counts[j] * p.coverage
    cost_h = problem.unit_cost / problem.interval_hours
    cost = float(
        sum(counts[j] * pats[j].paid_hours * cost_h[pats[j].group] for j in range(len(pats)))
    )
    return ShiftSolution(
        shifts=_merge_days(problem, pats, counts),
        coverage=coverage,
        uncovered=np.zeros_like(coverage),
        cost=cost,
        status="modified",
        optimal=False,
        patterns=sol.patterns,
        counts=counts,
    )


def _merge_days(
    problem: Problem, pats: list[Pattern], counts: np.ndarray
) -> dict[str, tuple[Shift, ...]]:
    """Scenario shifts per group: one line per (start, length, breaks, count) with the days
    it is worked (``days`` omitted when it is every day)."""
    lines: dict[tuple, list[int]] = {}
    for j, p in enumerate(pats):
        if counts[j]:
            lines.setdefault((p.group, p.start_s, p.hours, p.breaks, int(counts[j])), []).append(
                p.day
            )
    out: dict[str, list[Shift]] = {g: [] for g in problem.groups}
    every = list(range(problem.days))
    for (g, start, hours, breaks, count), days in sorted(lines.items()):
        ds = sorted(days)
        ref = next(
            p for p in pats if (p.group, p.start_s, p.hours, p.breaks) == (g, start, hours, breaks)
        )
        out[problem.groups[g]].append(ref.shift(count, None if ds == every else tuple(ds)))
    return {g: tuple(v) for g, v in out.items()}


__all__ = [
    "Pattern",
    "ShiftSolution",
    "check_shift_types",
    "default_shift_types",
    "patterns",
    "solve_shifts",
    "with_counts",
]
