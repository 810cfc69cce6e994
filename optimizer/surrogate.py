"""The corrected analytic model the search optimizes between simulations, and its solver.

The analytic model (:mod:`optimizer.analytic`) is fast but approximate: it misses carry-over
between intervals, skills-based routing details, non-exponential handle times. After each
simulation of a plan ``x``, :meth:`Corrections.fit` records, per channel, KPI and interval,
how far the simulation is from the analytic value *at x* — as a ratio on the "bad side" of
the KPI (1 - service level, abandonment, ASA: ``sim = (analytic + eps) x r - eps``), as a
difference for FCR and occupancy, plus one difference per target over the horizon — so the
corrected model reproduces the simulation at ``x`` exactly and keeps the analytic model's
*shape* (how KPIs move with headcount) around it.

:func:`solve` then finds a cheap plan meeting every target on the corrected model: greedy
marginal allocation (add the agent that closes the most of the remaining shortfalls per unit
of cost), then local search (remove agents, swap an expensive agent for a cheaper one in the
same interval, move agents between intervals) until no move helps. On small problems
(at most ``EXHAUSTIVE_LIMIT`` plans within +-2 agents of every headcount) it also scans that
whole neighbourhood, so it returns the enumerated optimum of the model it is given.
"""

from __future__ import annotations

import itertools
import math
import time
from dataclasses import dataclass, field

import numpy as np

from optimizer.analytic import AnalyticModel, kpi_from_fields
from optimizer.evaluators import Evaluation
from optimizer.problem import Problem
from optimizer.targets import Target

EXHAUSTIVE_LIMIT = 20_000
_EPS = {"service_level": 0.005, "abandon_rate": 0.005, "asa_s": 1.0}
_RATIO_CLIP = (0.2, 10.0)
_INTERVAL_SPREAD = 2.0
_TOL = 1e-9


@dataclass
class Corrections:
    """Simulation-minus-analytic corrections (see module docstring). Arrays are (C, K) per
    channel KPI and (G, K) for occupancy; ``overall`` is per target index."""

    ratio: dict[str, np.ndarray] = field(default_factory=dict)  # kpi -> (C, K)
    shift_fcr: np.ndarray | None = None  # (C,) additive on every interval
    shift_occupancy: np.ndarray | None = None  # (G, K)
    overall: dict[int, float] = field(default_factory=dict)
    capacity_need: dict[int, float] = field(default_factory=dict)  # deferred targets

    @classmethod
    def fit(
        cls,
        surrogate: Surrogate,
        x: np.ndarray,
        evaluation: Evaluation,
        previous: Corrections | None,
    ) -> Corrections:
        """Corrections making ``surrogate``'s model match ``evaluation`` of plan ``x``.

        Interval ratios are fitted on the analytic model itself; where an interval has no
        simulated value (nothing offered) the channel's overall ratio is used. ``previous``
        is ignored except as a fallback for KPIs the evaluation lacks."""
        p = surrogate.p
        model = surrogate.model
        fields = model.columns(x.T.astype(float), np.arange(p.n_intervals))
        total = fields.sum(axis=0)
        lay = model.layout
        out = cls()
        for kpi, eps in _EPS.items():
            ratio = np.ones((p.n_channels, p.n_intervals))
            for c, name in enumerate(p.channels):
                if c not in model.real_time:
                    continue
                an = _bad(kpi, kpi_from_fields(fields, lay, c, kpi, model.sl_over_answered))
                an_all = _bad(kpi, kpi_from_fields(total, lay, c, kpi, model.sl_over_answered))
                sim_all = evaluation.overall.get((name, kpi), (math.nan, 0))[0]
                overall_r = (_bad(kpi, sim_all) + eps) / (an_all + eps)
                if not np.isfinite(overall_r):
                    overall_r = 1.0
                sim, _ = evaluation.intervals.get(
                    (name, kpi), (np.full(p.n_intervals, np.nan), None)
                )
                with np.errstate(invalid="ignore", divide="ignore"):
                    r = (_bad(kpi, sim) + eps) / (an + eps)
                r = np.where(np.isfinite(r), r, overall_r)
                # An interval may differ from its channel (carry-over at a peak), but only
                # within a factor 2: wilder ratios are noise, or a starved interval that a
                # ratio would keep starving.
                overall_r = float(np.clip(overall_r, *_RATIO_CLIP))
                r = np.clip(r, overall_r / _INTERVAL_SPREAD, overall_r * _INTERVAL_SPREAD)
                ratio[c] = np.clip(r, *_RATIO_CLIP)
            out.ratio[kpi] = ratio
        fcr_shift = np.zeros(p.n_channels)
        for c, name in enumerate(p.channels):
            sim = evaluation.overall.get((name, "fcr"), (math.nan, 0))[0]
            an = kpi_from_fields(total, lay, c, "fcr")
            if np.isfinite(sim) and np.isfinite(an):
                fcr_shift[c] = sim - an
        out.shift_fcr = fcr_shift
        occ = np.zeros((p.n_groups, p.n_intervals))
        for g, name in enumerate(p.groups):
            sim, _ = evaluation.intervals.get((name, "occupancy"), (None, None))
            if sim is not None:
                an = kpi_from_fields(fields, lay, g, "occupancy")
                occ[g] = np.where(np.isfinite(sim) & np.isfinite(an), sim - an, 0.0)
        out.shift_occupancy = occ
        for i, t in enumerate(surrogate.targets):
            if t.kpi == "within_promise":
                sim = evaluation.overall.get((t.entity, t.kpi), (math.nan, 0))[0]
                out.capacity_need[i] = surrogate.deferred_need(i, x, sim)
        # Horizon-level residuals, so the corrected model equals the simulation at x.
        surrogate_fit = Surrogate(p, model, surrogate.targets, out, surrogate.goals)
        values = surrogate_fit.overall_values(surrogate_fit.columns_of(x).sum(axis=0))
        for i, t in enumerate(surrogate.targets):
            if t.scope != "overall" or t.kpi == "within_promise":
                continue
            sim = evaluation.overall.get((t.entity, t.kpi), (math.nan, 0))[0]
            if np.isfinite(sim) and np.isfinite(values[i]):
                out.overall[i] = float(sim - values[i])
        return out


def _bisect(f, goal: float, lo: float = 0.05, hi: float = 20.0) -> float:
    """Smallest scale in [lo, hi] with ``f(scale) >= goal`` for increasing ``f`` (hi if
    none), to 1e-3 relative."""
    if f(hi) < goal:
        return hi
    if f(lo) >= goal:
        return lo
    for _ in range(40):
        mid = (lo * hi) ** 0.5
        if f(mid) >= goal:
            hi = mid
        else:
            lo = mid
        if hi / lo < 1.001:
            break
    return hi


def _bad(kpi: str, value: np.ndarray | float) -> np.ndarray:
    """The "bad side" of a KPI (what the ratio correction scales)."""
    v = np.asarray(value, dtype=float)
    return 1.0 - v if kpi == "service_level" else v


class Surrogate:
    """Corrected analytic model with per-instance goals (see module docstring).

    ``goals`` maps a target index to its goal per interval (K,) or over the horizon (scalar):
    the target moved by the search margin, in KPI units.
    """

    def __init__(
        self,
        problem: Problem,
        model: AnalyticModel,
        targets: list[Target],
        corrections: Corrections | None = None,
        goals: dict[int, np.ndarray | float] | None = None,
    ):
        self.p = problem
        self.model = model
        self.targets = targets
        self.corr = corrections or Corrections()
        self.goals = goals or {i: t.value for i, t in enumerate(targets)}
        self.lay = model.layout
        self._cache: dict[tuple[int, bytes], np.ndarray] = {}
        self.channel_index = {n: i for i, n in enumerate(problem.channels)}
        self.group_index = {n: i for i, n in enumerate(problem.groups)}
        self.has_deferred_targets = False  # deferred work enters as a capacity target
        self.capacity_need = dict(self.corr.capacity_need)

    # ---- columns ------------------------------------------------------------------------
    def columns(self, agents: np.ndarray, ks: np.ndarray) -> np.ndarray:
        """Corrected fields of columns ``agents`` (N, G) in intervals ``ks`` (memoised)."""
        agents = np.asarray(agents)
        out = np.empty((len(ks), self.lay.size))
        missing = []
        for i, (k, col) in enumerate(zip(ks, agents, strict=True)):
            hit = self._cache.get((int(k), col.tobytes()))
            if hit is None:
                missing.append(i)
            else:
                out[i] = hit
        if missing:
            idx = np.array(missing)
            raw = self.model.columns(agents[idx].astype(float), np.asarray(ks)[idx])
            fixed = self._correct(raw, np.asarray(ks)[idx])
            for j, i in enumerate(idx):
                self._cache[(int(ks[i]), agents[i].tobytes())] = fixed[j]
                out[i] = fixed[j]
        return out

    def columns_of(self, x: np.ndarray) -> np.ndarray:
        return self.columns(np.ascontiguousarray(x.T), np.arange(self.p.n_intervals))

    def _correct(self, f: np.ndarray, ks: np.ndarray) -> np.ndarray:
        lay, corr = self.lay, self.corr
        f = f.copy()
        for c in self.model.real_time:
            off = f[:, lay.ch(c, "offered")]
            ans = f[:, lay.ch(c, "answered")]
            with np.errstate(divide="ignore", invalid="ignore"):
                ab = np.where(off > 0, f[:, lay.ch(c, "abandoned")] / off, 0.0)
                den_old = ans if self.model.sl_over_answered else off
                sl = np.where(den_old > 0, f[:, lay.ch(c, "answered_within")] / den_old, 1.0)
                asa = np.where(ans > 0, f[:, lay.ch(c, "wait_sum")] / ans, 0.0)
                fcr = np.where(ans > 0, f[:, lay.ch(c, "resolved")] / ans, 0.0)
            if "abandon_rate" in corr.ratio:
                e = _EPS["abandon_rate"]
                ab = np.clip((ab + e) * corr.ratio["abandon_rate"][c, ks] - e, 0.0, 1.0)
            if "service_level" in corr.ratio:
                e = _EPS["service_level"]
                sl = 1.0 - np.clip((1.0 - sl + e) * corr.ratio["service_level"][c, ks] - e, 0, 1)
            if "asa_s" in corr.ratio:
                e = _EPS["asa_s"]
                asa = np.maximum((asa + e) * corr.ratio["asa_s"][c, ks] - e, 0.0)
            if corr.shift_fcr is not None:
                fcr = np.clip(fcr + corr.shift_fcr[c], 0.0, 1.0)
            ans = off * (1.0 - ab)
            f[:, lay.ch(c, "abandoned")] = off * ab
            f[:, lay.ch(c, "answered")] = ans
            f[:, lay.ch(c, "answered_within")] = sl * (ans if self.model.sl_over_answered else off)
            f[:, lay.ch(c, "wait_sum")] = asa * ans
            f[:, lay.ch(c, "resolved")] = fcr * ans
        if corr.shift_occupancy is not None:
            for g in range(self.p.n_groups):
                avail = f[:, lay.grp(g, "available_h")]
                with np.errstate(divide="ignore", invalid="ignore"):
                    occ = np.where(avail > 0, f[:, lay.grp(g, "busy_h")] / avail, 0.0)
                occ = np.clip(occ + corr.shift_occupancy[g, ks], 0.0, 1.0)
                f[:, lay.grp(g, "busy_h")] = occ * avail
        return f

    # ---- target values ------------------------------------------------------------------
    def _kpi(self, fields: np.ndarray, t: Target) -> np.ndarray:
        if t.kpi == "occupancy":
            return kpi_from_fields(fields, self.lay, self.group_index[t.entity], "occupancy")
        return kpi_from_fields(
            fields, self.lay, self.channel_index[t.entity], t.kpi, self.model.sl_over_answered
        )

    def overall_values(self, total: np.ndarray, x: np.ndarray | None = None) -> np.ndarray:
        """Value of each target over the horizon from summed fields ``total`` (..., F)
        (per-interval targets: NaN). Deferred-work targets compare the capacity left for
        them with what they need (:meth:`deferred_need`)."""
        out = np.full((*total.shape[:-1], len(self.targets)), np.nan)
        for i, t in enumerate(self.targets):
            if t.scope != "overall":
                continue
            if t.kpi == "within_promise":
                need = self.capacity_need.get(i)
                if need is None:
                    need = self.capacity_need[i] = self.deferred_need(i, None, None)
                cap = self.deferred_capacity(total, self.channel_index[t.entity])
                goal = float(np.asarray(self.goals[i]))
                out[..., i] = goal * np.minimum(cap / need, 1.0) if need > 0 else 1.0
                continue
            out[..., i] = self._kpi(total, t) + self.corr.overall.get(i, 0.0)
        return out

    # ---- deferred work as capacity --------------------------------------------------------
    def _pool(self, fields: np.ndarray, c: int) -> np.ndarray:
        """Agent-hours (factor-1.0 units) the groups skilled for deferred channel ``c`` have
        left after real-time work, from fields (..., F)."""
        p, lay = self.p, self.lay
        out = 0.0
        for g in range(p.n_groups):
            if p.skilled[g, c]:
                left = fields[..., lay.grp(g, "available_h")] - fields[..., lay.grp(g, "busy_h")]
                out = out + np.maximum(left, 0.0) / p.factor[g, c]
        return np.asarray(out)

    def deferred_capacity(self, total: np.ndarray, c: int) -> np.ndarray:
        return self._pool(total, c)

    def deferred_need(self, i: int, x: np.ndarray | None, simulated: float | None) -> float:
        """Agent-hours left after real-time work that deferred target ``i`` needs over the
        horizon: the fluid model's need (scaling the plan's leftover profile until its
        share within the promise reaches the goal), divided by how much less effective the
        simulation found that capacity at plan ``x`` (when ``simulated`` is given)."""
        t = self.targets[i]
        c = self.channel_index[t.entity]
        p = self.p
        x = p.lower if x is None else x
        cols = self.model.columns(np.asarray(x, dtype=float).T, np.arange(p.n_intervals))
        profile = self._pool(cols, c) / p.interval_hours  # agents per interval
        if profile.sum() <= 0:
            profile = np.ones(p.n_intervals)
        base = float(profile.sum() * p.interval_hours)

        def within(scale: float) -> float:
            return float(self.model._deferred_profile(c, profile * scale)[0].share_within_promise)

        goal = float(np.asarray(self.goals[i]))
        s_goal = _bisect(within, goal)
        need = s_goal * base
        if simulated is not None and np.isfinite(simulated) and x is not None:
            s_sim = _bisect(within, min(float(simulated), 0.999))
            need = need / float(np.clip(s_sim, 0.5, 2.0))
            # Stay consistent with the simulation at x: enough there if it met the goal,
            # not enough (by the share missed) if it did not.
            if simulated >= goal:
                need = min(need, base)
            else:
                need = max(need, base * (1.0 + (goal - float(simulated))))
        return need

    def shortfalls(self, x: np.ndarray) -> dict[int, np.ndarray]:
        """Per target: normalised shortfall per interval (K,) or over the horizon (1,),
        0 where met. Units: KPI units (share or seconds)."""
        cols = self.columns_of(x)
        return self._shortfalls(cols, cols.sum(axis=0), x)

    def _shortfalls(
        self, cols: np.ndarray, total: np.ndarray, x: np.ndarray
    ) -> dict[int, np.ndarray]:
        out: dict[int, np.ndarray] = {}
        overall = self.overall_values(total)
        for i, t in enumerate(self.targets):
            sign = 1.0 if t.sense == ">=" else -1.0
            goal = self.goals[i]
            if t.scope == "overall":
                value = overall[i]
                out[i] = np.atleast_1d(np.nan_to_num(np.maximum(sign * (goal - value), 0.0)))
            else:
                value = self._kpi(cols, t)
                with np.errstate(invalid="ignore"):
                    out[i] = np.where(np.isnan(value), 0.0, np.maximum(sign * (goal - value), 0.0))
        return out

    def feasible(self, x: np.ndarray) -> bool:
        return all(float(v.max(initial=0.0)) <= _TOL for v in self.shortfalls(x).values())


# --------------------------------------------------------------------------------------
# solver
# --------------------------------------------------------------------------------------
@dataclass
class _State:
    """A plan with its corrected columns and their sum (kept in step)."""

    x: np.ndarray
    cols: np.ndarray
    total: np.ndarray

    def set_column(self, k: int, column: np.ndarray, fields: np.ndarray) -> None:
        self.total = self.total - self.cols[k] + fields
        self.cols[k] = fields
        self.x[:, k] = column


@dataclass(frozen=True)
class _Moves:
    """M candidate moves, each replacing one or two columns of the current plan."""

    k1: np.ndarray  # (M,) interval of the first replaced column
    col1: np.ndarray  # (M, G) its new headcounts
    f1: np.ndarray  # (M, F) its corrected fields
    k2: np.ndarray | None = None  # second column (or None: single-column moves)
    col2: np.ndarray | None = None
    f2: np.ndarray | None = None


def solve(
    s: Surrogate,
    start: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    *,
    budget: float | None = None,
    remove: bool = True,
    deadline: float | None = None,
) -> tuple[np.ndarray, bool]:
    """Cheap plan meeting every target of ``s`` within ``lower``/``upper`` (G, K), starting
    from ``start``. Returns ``(plan, feasible)``; when no plan within the bounds (or the
    ``budget``) meets every target, the plan closes as much of the shortfalls as it can.
    ``remove=False`` only adds agents (used to repair a plan without undoing the rest).
    ``deadline`` (``time.perf_counter()`` value): stop improving then, return what is
    there."""
    x = np.clip(np.asarray(start, dtype=int), lower, upper).copy()
    cols = s.columns_of(x).copy()
    state = _State(x, cols, cols.sum(axis=0))
    _add(s, state, lower, upper, budget, deadline)
    if not remove:
        return state.x, _is_feasible(s, state)
    for _ in range(200):
        if not _is_feasible(s, state) or (deadline is not None and time.perf_counter() > deadline):
            break
        changed = _remove(s, state, lower, deadline)
        changed = _swap(s, state, lower, upper) or changed
        if _small(s.p):
            changed = _exhaustive(s, state, lower, upper, budget) or changed
        if not changed:
            break
    return state.x, _is_feasible(s, state)


def _is_feasible(s: Surrogate, state: _State) -> bool:
    short = s._shortfalls(state.cols, state.total, state.x)
    return all(float(v.max(initial=0.0)) <= _TOL for v in short.values())


def _small(p: Problem) -> bool:
    return 5 ** (p.n_groups * p.n_intervals) <= EXHAUSTIVE_LIMIT


def _single_moves(
    s: Surrogate, state: _State, delta: int, lower, upper
) -> tuple[_Moves, np.ndarray]:
    """Every ``x + delta * e_gk`` within the bounds, as moves, and their (g, k) pairs."""
    g_n, k_n = s.p.n_groups, s.p.n_intervals
    target = state.x + delta
    ok = (target >= lower) & (target <= upper)
    gs, ks = np.nonzero(ok)
    cols = state.x.T[ks].copy()
    cols[np.arange(len(gs)), gs] += delta
    fields = s.columns(cols, ks) if len(ks) else np.zeros((0, s.lay.size))
    _ = g_n, k_n
    return _Moves(ks, cols, fields), np.stack([gs, ks], axis=1)


def _shortfalls_of(s: Surrogate, state: _State, moves: _Moves) -> np.ndarray:
    """(M, T) shortfall of every target after each move; a per-interval target's entry is
    its largest shortfall over the moved intervals *and* the unmoved ones."""
    m = len(moves.k1)
    totals = state.total[None, :] - state.cols[moves.k1] + moves.f1
    if moves.k2 is not None:
        totals = totals - state.cols[moves.k2] + moves.f2
    overall = s.overall_values(totals)
    out = np.zeros((m, len(s.targets)))
    current = None
    for i, t in enumerate(s.targets):
        sign = 1.0 if t.sense == ">=" else -1.0
        goal = s.goals[i]
        if t.scope == "overall":
            out[:, i] = np.nan_to_num(np.maximum(sign * (goal - overall[:, i]), 0.0))
            continue
        if current is None:
            current = s._shortfalls(state.cols, state.total, state.x)
        goal_k = np.broadcast_to(np.asarray(goal, dtype=float), (s.p.n_intervals,))
        base = current[i].copy()
        parts = [(moves.k1, moves.f1)] + ([(moves.k2, moves.f2)] if moves.k2 is not None else [])
        worst_moved = np.zeros(m)
        unmoved_worst = np.full(m, float(base.max(initial=0.0)))
        for ks, fields in parts:
            value = s._kpi(fields, t)
            with np.errstate(invalid="ignore"):
                short = np.where(np.isnan(value), 0.0, np.maximum(sign * (goal_k[ks] - value), 0))
            worst_moved = np.maximum(worst_moved, short)
        if float(base.max(initial=0.0)) > _TOL:  # exclude the moved intervals' old values
            masked = np.repeat(base[None, :], m, axis=0)
            masked[np.arange(m), moves.k1] = 0.0
            if moves.k2 is not None:
                masked[np.arange(m), moves.k2] = 0.0
            unmoved_worst = masked.max(axis=1)
        out[:, i] = np.maximum(worst_moved, unmoved_worst)
    return out


def _gains(s: Surrogate, state: _State, moves: _Moves) -> tuple[np.ndarray, np.ndarray]:
    """Share of each current shortfall a move closes: ``(gain (M, T), instance (M, T))``,
    ``instance`` = the interval of a per-interval target's instance, -1 for horizon ones."""
    current = s._shortfalls(state.cols, state.total, state.x)
    m, n_t = len(moves.k1), len(s.targets)
    gain = np.zeros((m, n_t))
    where = np.full((m, n_t), -1)
    totals = state.total[None, :] - state.cols[moves.k1] + moves.f1
    overall = s.overall_values(totals)
    for i, t in enumerate(s.targets):
        before = current[i]
        sign = 1.0 if t.sense == ">=" else -1.0
        if t.scope == "overall":
            d = float(before[0])
            if d <= _TOL:
                continue
            after = np.nan_to_num(np.maximum(sign * (s.goals[i] - overall[:, i]), 0.0))
            gain[:, i] = np.clip(d - after, 0.0, d) / d
        else:
            where[:, i] = moves.k1
            d = before[moves.k1]
            goal_k = np.broadcast_to(np.asarray(s.goals[i], dtype=float), (s.p.n_intervals,))
            value = s._kpi(moves.f1, t)
            with np.errstate(invalid="ignore", divide="ignore"):
                after = np.where(
                    np.isnan(value), 0.0, np.maximum(sign * (goal_k[moves.k1] - value), 0)
                )
                gain[:, i] = np.where(
                    d > _TOL, np.clip(d - after, 0.0, d) / np.where(d > _TOL, d, 1), 0
                )
    return gain, where


def _add(s: Surrogate, state: _State, lower, upper, budget, deadline: float | None = None) -> None:
    """Greedy marginal allocation until every target is met (or nothing helps).

    Each step takes the moves with the most shortfall closed per unit of cost, best first,
    at most one per interval, until the moves taken are predicted to close 60% of every
    shortfall they touch — one agent at a time near the goal, many at once far from it."""
    p = s.p
    unit = p.unit_cost
    for _ in range(int((upper - state.x).sum()) + 1):
        if _is_feasible(s, state) or (deadline is not None and time.perf_counter() > deadline):
            return
        moves, gk = _single_moves(s, state, +1, lower, upper)
        if budget is not None and len(gk):
            keep = p.cost(state.x) + unit[gk[:, 0]] <= budget + 1e-9
            moves = _Moves(moves.k1[keep], moves.col1[keep], moves.f1[keep])
            gk = gk[keep]
        if not len(gk):
            return
        gain, where = _gains(s, state, moves)
        score = gain.sum(axis=1) / unit[gk[:, 0]]
        # Ties (linear gains, e.g. capacity for deferred work) go to the emptier interval,
        # so agents spread instead of piling up in the first interval found.
        fill = state.x[gk[:, 0], gk[:, 1]] / np.maximum(upper[gk[:, 0], gk[:, 1]], 1)
        score = score * (1.0 - 1e-6 * fill)
        if float(score.max()) <= 1e-12:
            pick = _capacity_fallback(s, state, gk)
            if pick is None:
                return
            picks = [pick]
        else:
            picks = []
            closed: dict[tuple[int, int], float] = {}
            used: set[int] = set()
            spent = p.cost(state.x)
            for j in np.argsort(-score, kind="stable"):
                if score[j] <= 1e-12:
                    break
                k = int(moves.k1[j])
                if k in used:
                    continue
                keys = [(i, int(where[j, i])) for i in np.flatnonzero(gain[j] > 1e-12)]
                if not any(closed.get(key, 0.0) < 0.6 for key in keys):
                    continue
                if budget is not None and spent + unit[gk[j, 0]] > budget + 1e-9:
                    continue
                picks.append(int(j))
                used.add(k)
                spent += unit[gk[j, 0]]
                for key, i in zip(keys, np.flatnonzero(gain[j] > 1e-12), strict=True):
                    closed[key] = closed.get(key, 0.0) + float(gain[j, i])
        for j in picks:
            state.set_column(int(moves.k1[j]), moves.col1[j], moves.f1[j])


def _capacity_fallback(s: Surrogate, state: _State, gk: np.ndarray) -> int | None:
    """When no single agent improves any shortfall (an overloaded Erlang C queue stays at
    service level 0 until capacity exceeds the load), add capacity where an unmet
    channel is most overloaded, in the group cheapest per unit of its capacity."""
    p, lay = s.p, s.lay
    current = s._shortfalls(state.cols, state.total, state.x)
    allowed = {(int(g), int(k)): j for j, (g, k) in enumerate(gk)}
    best, pick = -1.0, None
    for i, short in current.items():
        t = s.targets[i]
        if float(short.max(initial=0.0)) <= _TOL or t.kpi == "occupancy":
            continue
        c = s.channel_index[t.entity]
        load = state.cols[:, lay.ch(c, "offered")] / p.interval_hours * p.aht_s[c] / 3600
        cap = (state.x * (1 - p.shrinkage)[:, None] * p.skilled[:, c : c + 1]).sum(axis=0)
        pressure = load / (cap + 1e-9)
        if t.scope == "per_interval":
            pressure = np.where(short > _TOL, pressure, 0.0)
        for k in np.argsort(-pressure):
            if pressure[k] <= best:
                break
            groups = [g for g in range(p.n_groups) if p.skilled[g, c] and (g, int(k)) in allowed]
            if groups:
                g = min(groups, key=lambda g: p.unit_cost[g] * p.factor[g, c])
                best, pick = float(pressure[k]), allowed[(g, int(k))]
                break
    return pick


def _remove(s: Surrogate, state: _State, lower, deadline: float | None = None) -> bool:
    """Remove agents while every target stays met, the biggest saving first. Each step
    takes the feasible removals, one per interval, dearest first, checks them together and
    halves the batch until the plan stays feasible."""
    p = s.p
    changed = False
    for _ in range(int((state.x - lower).sum())):
        if deadline is not None and time.perf_counter() > deadline:
            return changed
        moves, gk = _single_moves(s, state, -1, lower, state.x)
        if not len(gk):
            return changed
        short = _shortfalls_of(s, state, moves)
        ok = np.flatnonzero((short <= _TOL).all(axis=1))
        if not len(ok):
            return changed
        loss = _losses(s, state, moves)[ok] / p.unit_cost[gk[ok, 0]]
        order = ok[np.argsort(loss, kind="stable")]
        batch, seen = [], set()
        for j in order:
            if int(moves.k1[j]) not in seen:
                seen.add(int(moves.k1[j]))
                batch.append(int(j))
        while batch:
            saved = (state.x.copy(), state.cols.copy(), state.total.copy())
            for j in batch:
                state.set_column(int(moves.k1[j]), moves.col1[j], moves.f1[j])
            if _is_feasible(s, state):
                changed = True
                break
            state.x[:], state.cols[:], state.total = saved
            batch = batch[: len(batch) // 2]
        if not batch:
            return changed
    return changed


def _losses(s: Surrogate, state: _State, moves: _Moves) -> np.ndarray:
    """How much each move worsens the targets' values, relative to their goals (summed)."""
    now = s.overall_values(state.total)
    totals = state.total[None, :] - state.cols[moves.k1] + moves.f1
    after = s.overall_values(totals)
    loss = np.zeros(len(moves.k1))
    for i, t in enumerate(s.targets):
        sign = 1.0 if t.sense == ">=" else -1.0
        scale = max(abs(float(np.mean(s.goals[i]))), 1e-3)
        if t.scope == "overall":
            loss += np.maximum(sign * (now[i] - after[:, i]), 0.0) / scale
        else:
            before = s._kpi(state.cols[moves.k1], t)
            value = s._kpi(moves.f1, t)
            diff = np.nan_to_num(sign * (before - value), nan=0.0)
            loss += np.maximum(diff, 0.0) / scale
    return loss


def _swap(s: Surrogate, state: _State, lower, upper) -> bool:
    """The best cost-saving pair move, if any keeps every target met: -1 agent of a
    dearer group and +1 of a cheaper one, in the same interval or two different ones."""
    p = s.p
    g_n = p.n_groups
    unit = p.unit_cost
    eye = np.eye(g_n, dtype=int)
    best_saving, best = 1e-9, None
    for g, h in itertools.permutations(range(g_n), 2):
        saving = unit[g] - unit[h]
        if saving <= best_saving:
            continue
        # Same interval.
        ks = np.flatnonzero((state.x[g] > lower[g]) & (state.x[h] < upper[h]))
        if len(ks):
            cols = state.x.T[ks] - eye[g] + eye[h]
            moves = _Moves(ks, cols, s.columns(cols, ks))
            ok = (_shortfalls_of(s, state, moves) <= _TOL).all(axis=1)
            if ok.any():
                j = int(np.flatnonzero(ok)[0])
                best_saving, best = saving, [(int(ks[j]), cols[j], moves.f1[j])]
                continue
        # Two intervals: -1 of g at k, +1 of h at j.
        k_out = np.flatnonzero(state.x[g] > lower[g])
        k_in = np.flatnonzero(state.x[h] < upper[h])
        if not len(k_out) or not len(k_in):
            continue
        kk, jj = np.meshgrid(k_out, k_in, indexing="ij")
        kk, jj = kk.ravel(), jj.ravel()
        keep = kk != jj
        kk, jj = kk[keep], jj[keep]
        if not len(kk):
            continue
        col_out = state.x.T[kk] - eye[g]
        col_in = state.x.T[jj] + eye[h]
        f_out = s.columns(state.x.T[k_out] - eye[g], k_out)
        f_in = s.columns(state.x.T[k_in] + eye[h], k_in)
        pos_out = {int(k): i for i, k in enumerate(k_out)}
        pos_in = {int(k): i for i, k in enumerate(k_in)}
        moves = _Moves(
            kk,
            col_out,
            f_out[[pos_out[int(k)] for k in kk]],
            jj,
            col_in,
            f_in[[pos_in[int(k)] for k in jj]],
        )
        ok = (_shortfalls_of(s, state, moves) <= _TOL).all(axis=1)
        if ok.any():
            j = int(np.flatnonzero(ok)[0])
            best_saving = saving
            best = [(int(kk[j]), col_out[j], moves.f1[j]), (int(jj[j]), col_in[j], moves.f2[j])]
    if best is None:
        return False
    for k, column, fields in best:
        state.set_column(k, column, fields)
    return True


def _exhaustive(s: Surrogate, state: _State, lower, upper, budget) -> bool:
    """Small problems: the cheapest feasible plan within +-2 agents of every headcount."""
    p = s.p
    k_n = p.n_intervals
    deltas = np.array(list(itertools.product(range(-2, 3), repeat=p.n_groups)))
    per_interval = []
    for k in range(k_n):
        cols = np.unique(np.clip(state.x[:, k][None, :] + deltas, lower[:, k], upper[:, k]), axis=0)
        per_interval.append((cols, s.columns(cols, np.full(len(cols), k))))
    best_cost = p.cost(state.x) - 1e-9
    best = None
    for combo in itertools.product(*(range(len(c)) for c, _ in per_interval)):
        y = np.stack([per_interval[k][0][i] for k, i in enumerate(combo)], axis=1)
        cost = p.cost(y)
        if cost >= best_cost or (budget is not None and cost > budget + 1e-9):
            continue
        cols = np.stack([per_interval[k][1][i] for k, i in enumerate(combo)])
        short = s._shortfalls(cols, cols.sum(axis=0), y)
        if all(float(v.max(initial=0.0)) <= _TOL for v in short.values()):
            best_cost, best = cost, (y, cols)
    if best is None:
        return False
    y, cols = best
    state.x[:] = y
    state.cols[:] = cols
    state.total = cols.sum(axis=0)
    return True


__all__ = ["EXHAUSTIVE_LIMIT", "Corrections", "Surrogate", "solve"]
