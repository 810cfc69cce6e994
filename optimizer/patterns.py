"""The decision variables: what the optimizer chooses integer counts of.

A plan is a vector ``x`` of whole numbers, one per *variable*:

* ``interval`` — agents of a group on duty in one interval (groups planned per interval:
  no shift type applies to them, or the run plans per interval for the lower bound);
* ``shift`` — agents of a group working one shift pattern: a shift type, a day, a start and
  a placement of each break;
* ``tour`` — agents of a group on a weekly pattern of working days (shift types with
  ``days_per_week``). A tour covers nothing by itself; linking rows make the shifts worked on
  each day add up to the tours that work that day (start times may differ by day).

``coverage`` (sparse, rows ``g * K + k``) turns ``x`` into the agents on duty per group and
interval — time-average, so a shift that starts mid-interval or breaks inside it counts a
fraction. Costs are paid hours (unpaid breaks excluded) × the group's cost per hour.
``rows`` are the shift rules' side constraints (``min_agents``/``max_agents``, tour links)
and ``cover_lower``/``cover_upper`` the headcount bounds per group and interval.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import sparse

from optimizer.problem import Problem
from simulator.clock import DAY_S, clock_label, parse_clock
from simulator.errors import InputError
from simulator.plan import Plan
from simulator.scenario import Break, Shift
from simulator.shift_types import ShiftType

VariableKind = Literal["interval", "shift", "tour"]


@dataclass(frozen=True)
class Variable:
    """One decision variable (see module docstring). Times: ``start_s`` seconds after
    midnight of ``day``; breaks as ``(after_minutes, minutes, paid)``."""

    kind: VariableKind
    group: int
    type_name: str = ""
    day: int = -1
    interval: int = -1
    start_s: int = 0
    hours: float = 0.0
    breaks: tuple[tuple[int, int, bool], ...] = ()
    days: tuple[int, ...] = ()  # tours: the days worked
    paid_hours: float = 0.0


@dataclass(frozen=True)
class SideRows:
    """Linear rows ``lb <= matrix @ x <= ub`` over the variables, with a name per row."""

    matrix: sparse.csr_matrix
    lb: np.ndarray
    ub: np.ndarray
    names: tuple[str, ...]


@dataclass(frozen=True)
class Decisions:
    """All variables of one optimization and what they cover and cost (module docstring)."""

    problem: Problem
    variables: tuple[Variable, ...]
    coverage: sparse.csc_matrix  # (G*K, J)
    cost: np.ndarray  # (J,)
    lower: np.ndarray  # (J,)
    upper: np.ndarray  # (J,) np.inf = unbounded
    rows: SideRows
    cover_lower: np.ndarray  # (G, K)
    cover_upper: np.ndarray  # (G, K)
    shift_groups: frozenset[int]
    types: tuple[ShiftType, ...]

    @property
    def n(self) -> int:
        return len(self.variables)

    @property
    def per_interval(self) -> bool:
        return not self.shift_groups

    def coverage_of(self, x: np.ndarray) -> np.ndarray:
        """Agents on duty (G, K) of the counts ``x``."""
        p = self.problem
        return np.asarray(self.coverage @ np.asarray(x, dtype=float)).reshape(
            p.n_groups, p.n_intervals
        )

    def cost_of(self, x: np.ndarray) -> float:
        return float(self.cost @ np.asarray(x, dtype=float))

    def plan_of(self, x: np.ndarray, **meta) -> Plan:
        """The :class:`Plan` of counts ``x``: shifts for the shift groups (merged over the
        days with the same shift and count), headcount per interval for the others."""
        p = self.problem
        x = np.rint(np.asarray(x, dtype=float)).astype(int)
        staffing = self.coverage_of(x)
        if not self.shift_groups:
            return Plan(p.groups, np.rint(staffing), None, meta)
        lines: dict[tuple, list[int]] = {}
        for j in np.flatnonzero(x):
            v = self.variables[j]
            if v.kind == "shift":
                key = (v.group, v.start_s, v.hours, v.breaks, int(x[j]))
                lines.setdefault(key, []).append(v.day)
        shifts: dict[str, list[Shift]] = {p.groups[g]: [] for g in sorted(self.shift_groups)}
        every = list(range(p.days))
        for (g, start, hours, breaks, count), days in sorted(lines.items()):
            ds = sorted(days)
            shifts[p.groups[g]].append(
                Shift(
                    start=clock_label(start),
                    hours=hours,
                    count=count,
                    days=None if ds == every else tuple(ds),
                    breaks=tuple(
                        Break(after_minutes=a, minutes=m, paid=pd_) for a, m, pd_ in breaks
                    ),
                )
            )
        rows = staffing.copy()
        for g in range(p.n_groups):
            if g not in self.shift_groups:
                rows[g] = np.rint(rows[g])
        return Plan(p.groups, rows, {g: tuple(v) for g, v in shifts.items()}, meta)

    def schedule(self, x: np.ndarray) -> pd.DataFrame:
        """The shift schedule a planner staffs: one row per (group, shift type, day, start,
        breaks) worked — ``agents``, ``start``/``end`` (HH:MM; ``+1`` past midnight),
        ``breaks`` in clock times, ``paid_hours`` (all those agents). Empty without shifts."""
        p = self.problem
        x = np.rint(np.asarray(x, dtype=float)).astype(int)
        rows = []
        for j in np.flatnonzero(x):
            v = self.variables[j]
            if v.kind != "shift":
                continue
            end = v.start_s + v.hours * 3600
            brk = "; ".join(
                f"{clock_label(v.start_s + a * 60)}-{clock_label(v.start_s + (a + m) * 60)}"
                + (" paid" if paid else "")
                for a, m, paid in v.breaks
            )
            rows.append(
                {
                    "group": p.groups[v.group],
                    "shift_type": v.type_name,
                    "day": v.day,
                    "start": clock_label(v.start_s),
                    "end": clock_label(end % DAY_S) + (" +1" if end > DAY_S else ""),
                    "breaks": brk,
                    "agents": int(x[j]),
                    "paid_hours": round(int(x[j]) * v.paid_hours, 4),
                }
            )
        columns = ["group", "shift_type", "day", "start", "end", "breaks", "agents", "paid_hours"]
        frame = pd.DataFrame(rows, columns=columns)
        return frame.sort_values(["group", "day", "start", "shift_type"], ignore_index=True)

    def tours(self, x: np.ndarray) -> pd.DataFrame:
        """Weekly patterns worked: group, shift type, days worked, agents."""
        p = self.problem
        x = np.rint(np.asarray(x, dtype=float)).astype(int)
        rows = [
            {
                "group": p.groups[v.group],
                "shift_type": v.type_name,
                "days": " ".join(f"d{d}" for d in v.days),
                "agents": int(x[j]),
            }
            for j, v in enumerate(self.variables)
            if v.kind == "tour" and x[j] > 0
        ]
        return pd.DataFrame(rows, columns=["group", "shift_type", "days", "agents"])


# --------------------------------------------------------------------------------------
# building
# --------------------------------------------------------------------------------------
def build_decisions(problem: Problem, plan: Literal["auto", "shifts", "per_interval"]) -> Decisions:
    """The variables for ``plan`` (see :class:`optimizer.options.PlanKind`): shift patterns
    for every group a shift type applies to, per-interval headcounts for the others."""
    types = shift_types_of(problem.scenario)[0] if plan != "per_interval" else ()
    if plan == "shifts" and not types:
        raise InputError(
            "plan: shifts needs shift_types in the scenario (none are given, and the groups' "
            "own shifts give none to copy)"
        )
    g_n, k_n = problem.n_groups, problem.n_intervals
    shift_groups = frozenset(
        problem.groups.index(g) for t in types for g in (t.groups or problem.groups)
    )
    variables: list[Variable] = []
    columns: list[np.ndarray] = []  # per variable: coverage row indices
    weights: list[np.ndarray] = []
    cost: list[float] = []
    lower: list[float] = []
    upper: list[float] = []
    rate_h = problem.unit_cost / problem.interval_hours  # cost per paid agent-hour
    for g in range(g_n):
        if g in shift_groups:
            continue
        for k in range(k_n):
            variables.append(Variable("interval", g, interval=k, paid_hours=problem.interval_hours))
            columns.append(np.array([g * k_n + k]))
            weights.append(np.array([1.0]))
            cost.append(float(problem.unit_cost[g]))
            lower.append(float(problem.lower[g, k]))
            upper.append(float(problem.upper[g, k]))
    side_rows: list[tuple[dict[int, float], float, float, str]] = []
    for t in types:
        groups = [problem.groups.index(n) for n in (t.groups or problem.groups)]
        days = _type_days(problem, t)
        placements = list(itertools.product(*(b.offsets() for b in t.breaks)))
        cover = {}
        for day, start, placement in itertools.product(days, t.start_seconds(), placements):
            cover[(day, start, placement)] = _shift_cover(problem, t, day, start, placement)
        per_day: dict[tuple[int, int], list[int]] = {}
        for g in groups:
            for (day, start, placement), (ks, w) in cover.items():
                breaks = tuple(
                    (off, b.minutes, b.paid) for off, b in zip(placement, t.breaks, strict=True)
                )
                paid = t.hours - sum(m for _, m, pd_ in breaks if not pd_) / 60
                per_day.setdefault((g, day), []).append(len(variables))
                variables.append(
                    Variable("shift", g, t.name, day, -1, start, t.hours, breaks, (), paid)
                )
                columns.append(g * k_n + ks)
                weights.append(w)
                cost.append(paid * float(rate_h[g]))
                lower.append(0.0)
                upper.append(np.inf)
        if t.days_per_week is None:
            for day in days:
                js = [j for g in groups for j in per_day.get((g, day), [])]
                _limit_rows(side_rows, js, t, f"shift_types.{t.name} day {day}")
            continue
        tour_js = []
        for g in groups:
            for pattern in _weekly_patterns(t, problem.days, days):
                tour_js.append(len(variables))
                variables.append(Variable("tour", g, t.name, days=pattern))
                columns.append(np.array([], dtype=int))
                weights.append(np.array([]))
                cost.append(0.0)
                lower.append(0.0)
                upper.append(np.inf)
            for day in days:
                link = {j: 1.0 for j in per_day.get((g, day), [])}
                for j in tour_js:
                    v = variables[j]
                    if v.group == g and day in v.days:
                        link[j] = -1.0
                side_rows.append((link, 0.0, 0.0, f"{t.name}: {problem.groups[g]} day {day}"))
        _limit_rows(side_rows, tour_js, t, f"shift_types.{t.name}")
    j_n = len(variables)
    if not j_n:
        raise InputError("the optimizer has nothing to decide: no agent group to plan")
    indptr = np.cumsum([0] + [len(c) for c in columns])
    coverage = sparse.csc_matrix(
        (np.concatenate(weights), np.concatenate(columns), indptr), shape=(g_n * k_n, j_n)
    )
    open_rows, open_lower = _open_channel_rows(problem, coverage)
    side_rows += open_rows
    r_data, r_rows, r_cols = [], [], []
    for i, (entries, _, _, _) in enumerate(side_rows):
        for j, v in entries.items():
            r_rows.append(i)
            r_cols.append(j)
            r_data.append(v)
    rows = SideRows(
        sparse.csr_matrix((r_data, (r_rows, r_cols)), shape=(len(side_rows), j_n)),
        np.array([r[1] for r in side_rows], dtype=float),
        np.array([r[2] for r in side_rows], dtype=float),
        tuple(r[3] for r in side_rows),
    )
    cover_lower = np.maximum(problem.lower.astype(float), open_lower)
    cover_upper = np.where(problem.upper_given[:, None], problem.upper, np.inf).astype(float)
    return Decisions(
        problem,
        tuple(variables),
        coverage,
        np.array(cost),
        np.array(lower),
        np.array(upper),
        rows,
        cover_lower,
        cover_upper,
        shift_groups,
        types,
    )


def _open_channel_rows(
    problem: Problem, coverage: sparse.csc_matrix
) -> tuple[list[tuple[dict[int, float], float, float, str]], np.ndarray]:
    """The open-channel rule (:attr:`Problem.min_open`): "agents skilled for channel c on
    duty in interval k >= its ``min_agents_while_open``" as the weakest statement that
    holds it. A channel served by one group is a lower bound on that group's coverage
    (returned (G, K)); several groups give a side row over the shift counts. A rule another
    one implies (the same interval, a subset of its groups, a minimum as high) or that the
    groups' ``min_headcount`` already meets adds nothing, so a scenario whose every open
    interval is busy keeps the program it had."""
    lower = np.zeros((problem.n_groups, problem.n_intervals))
    need = problem.min_open
    if need is None or not need.any():
        return [], lower
    k_n = problem.n_intervals
    rows = coverage.tocsr()
    out: list[tuple[dict[int, float], float, float, str]] = []
    for k in np.flatnonzero(need.any(axis=0)):
        wanted: dict[frozenset[int], tuple[int, str]] = {}
        for c in np.flatnonzero(need[:, k]):
            groups = frozenset(int(g) for g in np.flatnonzero(problem.skilled[:, c]))
            if need[c, k] > wanted.get(groups, (0, ""))[0]:
                wanted[groups] = (int(need[c, k]), problem.channels[c])
        for groups, (m, name) in wanted.items():
            implied = any(other < groups and m_other >= m for other, (m_other, _) in wanted.items())
            if implied or problem.lower[sorted(groups), k].sum() >= m:
                continue
            if len(groups) == 1:
                (g,) = groups
                lower[g, k] = max(lower[g, k], m)
                continue
            line = rows[[g * k_n + int(k) for g in sorted(groups)]].sum(axis=0).A1
            entries = {int(j): float(line[j]) for j in np.flatnonzero(line)}
            label = problem.scenario.horizon.label(int(k))
            out.append(
                (entries, float(m), np.inf, f"channels.{name}.min_agents_while_open {label}")
            )
    return out, lower


def shift_types_of(scenario) -> tuple[tuple[ShiftType, ...], str]:
    """The shift rules to plan with, and where they come from: the scenario's
    ``shift_types``; else, for groups that work ``shifts`` today, each distinct shift length
    and break rule of the group, free to start at any interval boundary from opening until
    it would end after closing (breaks at the same offsets, days as today); else none."""
    if scenario.shift_types:
        return tuple(scenario.shift_types), "the scenario's shift_types"
    h = scenario.horizon
    types: dict[tuple, dict] = {}
    for gname, group in scenario.agent_groups.items():
        for shift in group.shifts or ():
            key = (gname, shift.hours, shift.breaks, shift.days)
            own = parse_clock(shift.start)
            latest = max(h.open_s, int(h.close_s - shift.hours * 3600))
            latest -= (latest - h.open_s) % h.interval_s
            first, last = min(own, h.open_s), max(own, latest)
            if key in types:
                first = min(first, types[key]["first"])
                last = max(last, types[key]["last"])
            types[key] = {"first": first, "last": last, "shift": shift, "group": gname}
    out = []
    for i, spec in enumerate(types.values()):
        shift = spec["shift"]
        step = h.interval_minutes if (spec["last"] - spec["first"]) % h.interval_s == 0 else 15
        out.append(
            ShiftType(
                name=f"{spec['group']} {shift.hours:g}h" + (f" #{i}" if i else ""),
                groups=(spec["group"],),
                hours=shift.hours,
                earliest_start=clock_label(spec["first"]),
                latest_start=clock_label(spec["last"]),
                start_step_minutes=step,
                breaks=tuple(
                    {"after_minutes": b.after_minutes, "minutes": b.minutes, "paid": b.paid}
                    for b in shift.breaks
                ),
                days=shift.days,
            )
        )
    if out:
        return tuple(out), "derived from the groups' shifts (no shift_types in the scenario)"
    return (), "none"


def _type_days(problem: Problem, t: ShiftType) -> list[int]:
    return sorted(t.days) if t.days is not None else list(range(problem.days))


def _shift_cover(
    problem: Problem, t: ShiftType, day: int, start: int, placement: tuple[int, ...]
) -> tuple[np.ndarray, np.ndarray]:
    """Intervals a shift covers and the time-average share of each (breaks taken out)."""
    h = problem.scenario.horizon
    begin = day * DAY_S + start
    pieces = [(begin, begin + t.hours * 3600)]
    for off, brk in sorted(zip(placement, t.breaks, strict=True)):
        b0, b1 = begin + off * 60, begin + (off + brk.minutes) * 60
        pieces = [
            piece
            for a, z in pieces
            for piece in ((a, min(z, b0)), (max(a, b1), z))
            if piece[0] < piece[1]
        ]
    starts = problem.interval_starts
    share = np.zeros(len(starts))
    for a, z in pieces:
        share += np.clip(np.minimum(starts + h.interval_s, z) - np.maximum(starts, a), 0, None)
    share /= h.interval_s
    ks = np.flatnonzero(share > 1e-12)
    return ks, share[ks]


def _weekly_patterns(t: ShiftType, horizon_days: int, allowed: list[int]) -> list[tuple[int, ...]]:
    """Working days (over the whole horizon) of every weekly pattern of ``t``: every choice
    of ``days_per_week`` days of the 7-day week that starts on day 0 (days off consecutive,
    wrapping, if so ruled), repeated every week; a horizon that ends mid-week keeps the part
    of each pattern inside it. Only patterns whose days the type allows are kept."""
    n = t.days_per_week or 7
    if t.consecutive_days_off:
        weekdays = {tuple(sorted((s + i) % 7 for i in range(n))) for s in range(7)}
    else:
        weekdays = set(itertools.combinations(range(7), n))
    ok = set(allowed)
    out: list[tuple[int, ...]] = []
    for pattern in sorted(weekdays):
        days = tuple(d for d in range(horizon_days) if d % 7 in pattern)
        if days and set(days) <= ok and days not in out:
            out.append(days)
    if not out:
        raise InputError(
            f"shift_types.{t.name}: no weekly pattern of {n} days fits the days it may be "
            f"worked ({sorted(ok)})"
        )
    return out


def _limit_rows(
    rows: list[tuple[dict[int, float], float, float, str]],
    js: list[int],
    t: ShiftType,
    name: str,
) -> None:
    if js and (t.min_agents > 0 or t.max_agents is not None):
        ub = float(t.max_agents) if t.max_agents is not None else np.inf
        rows.append(({j: 1.0 for j in js}, float(t.min_agents), ub, name))


__all__ = ["Decisions", "SideRows", "Variable", "build_decisions"]
