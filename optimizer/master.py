"""The master integer program: the cheapest counts ``x`` whose coverage meets every target
*on the corrected model*, with the targets as linear cuts (Kelley's cutting planes).

Every target instance is a constraint ``Σ_{k in K_i} h_{i,k}(y_k) >= R_i`` where ``y_k`` is
the column of agents on duty in interval ``k`` (all groups — groups substitute for each other)
and ``h_{i,k} = w_i · F_k(y_k)`` is a fixed linear combination of the corrected model's fields
in that interval: for "service level >= g", ``w`` picks ``answered_within − g × offered``; for
"abandonment <= g", ``g × offered − abandoned`` (busy signals, balking alike); for email
and for a call channel's callbacks, the agent-hours left for them after real-time work,
against the capacity their promise needs; for an outbound list's targets, the dialing
groups' idle agent-hours in its dialing hours against the work the target needs
(:mod:`optimizer.outbound`). Accepted callbacks leave the service level's
offered denominator (``answered_within − g × (offered − callbacks)``). So one model
evaluation per column serves every target.

``h`` is (roughly) concave in ``y_k`` above the knee of the Erlang curves, so the tangent plane
at any point over-estimates it and ``tangent_p(y_k) >= ...`` is a valid outer approximation.
Tangents come from forward differences of the model (one more agent of each group) at sample
points around the plan; a tangent that falls below the model at another sample (the convex,
understaffed side of the curve) is dropped. A horizon target gets one auxiliary variable per
interval, bounded above by its tangents (``u_{i,k} <= tangent``) with ``Σ_k u_{i,k} >= R_i``:
the program can trade service between intervals exactly as the model allows.

The program: minimise paid cost subject to the cuts, the shift rules' side rows, the
headcount bounds and (optionally) a budget; solved by HiGHS (``scipy.optimize.milp``) with
a node limit rather than a clock, so the same input gives the same plan on any machine.
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from optimizer.analytic import CHANNEL_FIELDS
from optimizer.corrected import CorrectedModel
from optimizer.outbound import (
    OUTBOUND_KPIS,
    capacity_weights,
    dialing_intervals,
    interval_caps,
    joint_caps,
    joint_intervals,
    joint_need,
    joint_weights,
    outbound_list,
    outbound_need,
    shared_ratio,
    sharing_lists,
)
from optimizer.patterns import Decisions
from simulator.outbound.model import compile_outbound
from simulator.targets import FLOOR_MIN_CONTACTS, KpiSummary, Target

_NUM_DEN = {
    # kpi -> (numerator field, denominator field); the SL denominator depends on the
    # definition (answered, or offered).
    "service_level": ("answered_within", None),
    "abandon_rate": ("abandoned", "offered"),
    "balk_rate": ("balked", "offered"),
    "blocked_rate": ("blocked", "offered"),
    "asa_s": ("wait_sum", "answered"),
    "fcr": ("resolved", "answered"),
    "occupancy": ("busy_h", "available_h"),
}
SAMPLE_STEPS = (-2, -1, 1, 2, 4)  # agents, along each group's axis, around the plan
SMOOTHING = 0.05  # price of a headcount change between intervals, in agent-intervals


@dataclass(frozen=True)
class Constraint:
    """``Σ_{k in intervals} w · F_k >= rhs`` (see module docstring)."""

    name: str
    target: int  # index into the target list (-1: none)
    intervals: np.ndarray  # global interval indices
    weights: np.ndarray  # (F,)
    rhs: float
    per_interval: bool  # one interval: a plain cut; several: auxiliary variables
    cap: np.ndarray | None = None  # (len(intervals),) most each interval may count, or None
    monotone: bool = True  # False: not monotone in agents, local linearisations only


@dataclass
class CutPool:
    """Cuts gathered for one corrected model: per constraint, rows ``(k, value, slope)``
    meaning ``h_k(y) <= value + slope · (y_k − point)`` with ``point`` folded into value."""

    rows: dict[int, list[tuple[int, float, np.ndarray]]] = field(default_factory=dict)
    keys: set[tuple[int, int, bytes]] = field(default_factory=set)
    # constraint -> interval -> (value, slope) of the one linearisation kept for a
    # constraint that is not monotone in agents (replaced, never accumulated)
    local: dict[int, dict[int, tuple[float, np.ndarray]]] = field(default_factory=dict)
    revisions: int = 0  # cuts added or linearisations replaced so far

    def set_local(self, i: int, k: int, point: np.ndarray, value: float, slope: np.ndarray) -> None:
        """The linearisation of constraint ``i`` in interval ``k`` at ``point``, replacing the
        one before (see :func:`add_cuts`)."""
        row = (float(value - slope @ point), slope.copy())
        old = self.local.setdefault(i, {}).get(k)
        if old is None or abs(old[0] - row[0]) > 1e-9 or not np.allclose(old[1], row[1]):
            self.local[i][k] = row
            self.revisions += 1

    def rows_of(self, i: int) -> list[tuple[int, float, np.ndarray]]:
        """Every row of constraint ``i``: its cuts, then its local linearisations."""
        return self.rows.get(i, []) + [(k, v, s) for k, (v, s) in self.local.get(i, {}).items()]

    def add(self, i: int, k: int, point: np.ndarray, value: float, slope: np.ndarray) -> None:
        key = (i, k, np.round(np.concatenate([point, slope]), 6).tobytes())
        if key in self.keys:
            return
        self.keys.add(key)
        self.revisions += 1
        # h(y) <= value + slope·(y − point) = (value − slope·point) + slope·y
        self.rows.setdefault(i, []).append((k, float(value - slope @ point), slope.copy()))

    @property
    def size(self) -> int:
        return sum(len(v) for v in self.rows.values()) + sum(len(v) for v in self.local.values())


def build_constraints(
    decisions: Decisions,
    model: CorrectedModel,
    targets: list[Target],
    goals: dict[int, float | np.ndarray],
    deferred_need: dict[int, tuple[float, np.ndarray]],
) -> list[Constraint]:
    """Constraints of every target instance, with the goals moved by the search margin.

    ``goals[i]``: target ``i``'s goal (horizon targets: a float, per-interval ones: (K,));
    ``deferred_need[c]``: (agent-hours over the horizon, cumulative share due by the end of
    each day) the promise of deferred channel ``c`` needs (see :func:`deferred_need`)."""
    p = decisions.problem
    lay = model.lay
    sl_over_answered = model.analytic.sl_over_answered
    k_all = np.arange(p.n_intervals)
    # first attempts and repeat contacts expected per interval (C, K)
    offered = (p.rate_per_hour + model.analytic.extra) * p.interval_hours
    out: list[Constraint] = []
    for i, t in enumerate(targets):
        if t.kpi in OUTBOUND_KPIS:
            # The dialing groups' idle agent-hours in the dialing intervals, against the
            # work the target needs (optimizer.outbound).
            # Lists sharing groups: the list's own constraint with the ratio of all the
            # lists sharing, and a joint one with the lists dialled before it.
            spec = outbound_list(p.scenario, t.entity)
            sim_all = model.corr.simulated_outbound
            simulated = sim_all.get((t.entity, t.kpi))
            specs = compile_outbound(p.scenario)
            sharing = sharing_lists(specs, spec)
            shared = shared_ratio(model, sharing, sim_all) if len(sharing) > 1 else None
            need = outbound_need(model, spec, t.kpi, float(goals[i]), simulated, shared)
            ks = dialing_intervals(spec)
            out.append(Constraint(f"{t.entity} {t.kpi}", i, ks, capacity_weights(model, spec),
                                  need, False, interval_caps(spec, need)))  # fmt: skip
            joint = joint_need(model, specs, spec, t.kpi, float(goals[i]), sim_all)
            if joint is not None:
                covered, j_need = joint
                name = f"{t.entity} {t.kpi} after {', '.join(s.name for s in covered[:-1])}"
                out.append(Constraint(name, i, joint_intervals(covered),
                                      joint_weights(model, covered), j_need, False,
                                      joint_caps(covered, j_need)))  # fmt: skip
            continue
        if t.kpi == "callback_within_promise":
            # The callback queue's capacity: what the skilled groups have left after
            # real-time work, over the horizon, against what the promise needs.
            c = p.channels.index(t.entity)
            anchor = model.anchor if model.anchor is not None else p.upper.astype(float)
            need, _ = callback_need(model, c, float(goals[i]), anchor)
            out.append(Constraint(f"{t.entity} callbacks", i, k_all, _left_for(p, lay, c), need,
                                  False))  # fmt: skip
            continue
        if t.kpi == "within_promise":
            c = p.channels.index(t.entity)
            need, due_share = deferred_need[c]
            w = _left_for(p, lay, c)
            out.append(Constraint(f"{t.entity} capacity", i, k_all, w, need, False))
            per_day = p.intervals_per_day
            for d in range(p.days - 1):
                if due_share[d] > 0:
                    ks = np.arange((d + 1) * per_day)
                    out.append(
                        Constraint(
                            f"{t.entity} capacity by day {d}", i, ks, w, need * due_share[d], False
                        )
                    )
            continue
        is_group = t.kpi == "occupancy"
        e = p.groups.index(t.entity) if is_group else p.channels.index(t.entity)
        num, den = _NUM_DEN[t.kpi]
        if t.kpi == "service_level":
            den = "answered" if sl_over_answered else "offered"
        goal = goals[i]
        sign = 1.0 if t.sense == ">=" else -1.0
        if t.kpi == "fcr" and e in model.analytic.deferred:
            # Deferred work goes to whoever has time left: each skilled group resolves its
            # share of the capacity left for the channel at its own FCR.
            w = np.zeros(lay.size)
            for g in range(p.n_groups):
                if p.skilled[g, e]:
                    gain = (p.fcr[g, e] - float(goal)) / p.factor[g, e]
                    w[lay.grp(g, "available_h")] += gain
                    w[lay.grp(g, "busy_h")] -= gain
            out.append(Constraint(f"{t.entity} fcr", i, k_all, w, 0.0, False))
            continue
        idx = lay.grp if is_group else lay.ch
        # accepted callbacks leave the service level's offered denominator
        live = t.kpi == "service_level" and den == "offered"
        monotone = not (t.kpi == "blocked_rate" and lines_bind(p, e))
        if t.scope == "overall":
            w = np.zeros(lay.size)
            w[idx(e, num)] += sign
            w[idx(e, den)] -= sign * float(goal)
            if live:
                w[idx(e, "callbacks")] += sign * float(goal)
            out.append(Constraint(f"{t.entity} {t.kpi}", i, k_all, w, 0.0, False, None, monotone))
            continue
        goal_k = np.broadcast_to(np.asarray(goal, dtype=float), (p.n_intervals,))
        if is_group:
            defined = np.ones(p.n_intervals, dtype=bool)
        else:
            minimum = FLOOR_MIN_CONTACTS if t.floor else 1e-9
            defined = offered[e] >= minimum
        for k in np.flatnonzero(defined & np.isfinite(goal_k)):
            w = np.zeros(lay.size)
            w[idx(e, num)] += sign
            w[idx(e, den)] -= sign * float(goal_k[k])
            if live:
                w[idx(e, "callbacks")] += sign * float(goal_k[k])
            name = f"{t.entity} {t.kpi} @{k}"
            out.append(Constraint(name, i, np.array([k]), w, 0.0, True, None, monotone))
    return out


def lines_bind(p, c: int) -> bool:
    """Whether channel ``c``'s busy signals may *rise* with staffing: with a limit on the
    callers in the system, a served caller holds a line for a whole handle time (longer for
    a slower agent) while one who waits may leave it sooner (patience, a callback), so more
    agents can mean fuller lines (``storm_callbacks.yaml``: 17% blocked at the 08:30 peak
    with 51 agents, 1% with 15 claims handlers fewer, on the model). A limit on holding
    alone keeps blocking falling with agents."""
    lines = p.scenario.channels[p.channels[c]].lines
    return lines is not None and lines.max_in_system is not None


def _left_for(p, lay, c: int) -> np.ndarray:
    """Weights of the agent-hours (factor-1.0) channel ``c``'s skilled groups have left
    after real-time work, in one interval."""
    w = np.zeros(lay.size)
    for g in range(p.n_groups):
        if p.skilled[g, c]:
            w[lay.grp(g, "available_h")] += 1.0 / p.factor[g, c]
            w[lay.grp(g, "busy_h")] -= 1.0 / p.factor[g, c]
    return w


# --------------------------------------------------------------------------------------
# cut generation
# --------------------------------------------------------------------------------------
def add_cuts(
    pool: CutPool,
    constraints: list[Constraint],
    model: CorrectedModel,
    y: np.ndarray,
    far: np.ndarray,
    *,
    steps: tuple[int, ...] = SAMPLE_STEPS,
    only: set[int] | None = None,
) -> None:
    """Cuts of every constraint (or those in ``only``) around the plan ``y`` (G, K).

    * Tangents at ``y`` and at ``y ± step`` agents along each group's axis; a tangent that
      lies below the model at another sample of its interval is dropped (not concave there).
    * A one-interval constraint that ``y`` misses also gets a *level-set* cut: the tangent
      plane of ``{h >= 0}`` where the segment from ``y`` to the well-staffed plan ``far``
      crosses it. Service level is monotone in every group's agents, so that set is convex
      and the cut is valid even on the understaffed side of the Erlang curve.
    * An interval of a horizon constraint with no valid tangent takes the tangent of the
      first point on the way to ``far`` whose tangent is valid.
    """
    p = model.p
    g_n = p.n_groups
    base = np.asarray(y, dtype=float)
    far = np.maximum(np.asarray(far, dtype=float), base)
    points = [base]
    for g in range(g_n):
        for s in steps:
            q = base.copy()
            q[g] = np.maximum(q[g] + s, 0.0)
            points.append(q)
    on_way = [base + t * (far - base) for t in (0.25, 0.5, 0.75, 1.0)]
    at, diff = _fields_and_slopes(model, points + on_way)  # (S, K, F), (S, G, K, F)
    pts = np.stack(points + on_way)  # (S, G, K)
    n_s = len(points)
    crossings: list[tuple[int, int]] = []
    for i, con in enumerate(constraints):
        if only is not None and i not in only:
            continue
        ks_i = con.intervals
        h = at[:, ks_i] @ con.weights  # (S, Ki)
        slope = np.einsum("sgkf,f->skg", diff[:, :, ks_i], con.weights)  # (S, Ki, G)
        if not con.monotone:
            # Neither concave nor monotone: no tangent bounds it from above everywhere and
            # no level set is convex. Its linearisation at y (central differences: the
            # curve bends both ways) replaces the one before - a local model that the trust
            # region around the plan and the Kelley loop's re-linearisation keep honest.
            central = _central_slopes(model, base, ks_i)  # (Ki, G)
            for col, k in enumerate(ks_i):
                pool.set_local(i, int(k), base[:, k], float(h[0, col]), central[col] @ con.weights)
            continue
        pt = np.transpose(pts[:, :, ks_i], (0, 2, 1))  # (S, Ki, G)
        # tangent of sample a evaluated at sample b: h_a + slope_a · (pt_b − pt_a)
        pred = h[:, None, :] + np.einsum("akg,abkg->abk", slope, pt[None, :, :, :] - pt[:, None])
        tol = 1e-6 + 1e-4 * np.abs(h).max(axis=0)
        valid = (pred >= h[None, :, :] - tol[None, None, :]).all(axis=1)  # (S, Ki)
        for col, k in enumerate(ks_i):
            chosen = list(np.flatnonzero(valid[:n_s, col]))
            if not con.per_interval and not valid[0, col]:
                # Not concave at y (the understaffed, convex side of the curve): cut with the
                # chord from y to the first point on the way to ``far`` whose tangent is
                # valid (exact at both ends, group weights from that point's slope), and
                # keep that point's tangent for beyond it.
                later = np.flatnonzero(valid[n_s:, col])
                b = n_s + (later[0] if len(later) else len(on_way) - 1)
                step = pt[b, col] - pt[0, col]
                along = float(slope[b, col] @ step)
                if along > 1e-12:
                    chord = slope[b, col] * (h[b, col] - h[0, col]) / along
                    pool.add(i, int(k), pt[0, col], float(h[0, col]), chord)
                chosen.append(b)
            for a in chosen:
                pool.add(i, int(k), pt[a, col], float(h[a, col]), slope[a, col])
        if con.per_interval and h[0, 0] < 0 and h[-1, 0] > 0:
            crossings.append((i, int(ks_i[0])))
    _level_set_cuts(pool, constraints, model, base, far, crossings)


def _level_set_cuts(
    pool: CutPool,
    constraints: list[Constraint],
    model: CorrectedModel,
    base: np.ndarray,
    far: np.ndarray,
    jobs: list[tuple[int, int]],
) -> None:
    """For each (one-interval constraint i, interval k) missed at ``base`` and met at
    ``far``: bisect the segment between the two columns for the crossing ``h = 0`` (to 1/1024
    of the segment, all jobs at once) and cut with the tangent plane there."""
    if not jobs:
        return
    g_n = model.p.n_groups
    ks = np.array([k for _, k in jobs])
    w = np.stack([constraints[i].weights for i, _ in jobs])  # (M, F)
    lo, hi = base[:, ks].T, far[:, ks].T  # (M, G)
    a, b = np.zeros(len(jobs)), np.ones(len(jobs))
    for _ in range(10):
        m = 0.5 * (a + b)
        cols = lo + m[:, None] * (hi - lo)
        value = (model.columns(cols, ks) * w).sum(axis=1)
        ok = value >= 0
        b = np.where(ok, m, b)
        a = np.where(ok, a, m)
    points = lo + b[:, None] * (hi - lo)  # (M, G)
    bumped = np.repeat(points[:, None, :], g_n + 1, axis=1)
    for g in range(g_n):
        bumped[:, g + 1, g] += 1.0
    f = model.columns(bumped.reshape(-1, g_n), np.repeat(ks, g_n + 1)).reshape(
        len(jobs), g_n + 1, -1
    )
    h0 = (f[:, 0] * w).sum(axis=1)
    slopes = ((f[:, 1:] - f[:, :1]) * w[:, None, :]).sum(axis=2)  # (M, G)
    for n, (i, k) in enumerate(jobs):
        pool.add(i, k, points[n], float(h0[n]), slopes[n])


def _central_slopes(model: CorrectedModel, y: np.ndarray, ks: np.ndarray) -> np.ndarray:
    """Central differences of the fields at plan ``y`` (G, K) for one agent more and one
    fewer of each group, in intervals ``ks``: (Ki, G, F) (one-sided at zero agents)."""
    g_n = model.p.n_groups
    ks = np.asarray(ks, dtype=int)
    cols, idx, span = [], [], np.zeros((len(ks), g_n))
    for g in range(g_n):
        up = y[:, ks].T.copy()
        down = up.copy()
        up[:, g] += 1.0
        down[:, g] = np.maximum(down[:, g] - 1.0, 0.0)
        span[:, g] = up[:, g] - down[:, g]
        cols += [up, down]
        idx += [ks, ks]
    f = model.columns(np.concatenate(cols), np.concatenate(idx)).reshape(2 * g_n, len(ks), -1)
    out = (f[0::2] - f[1::2]) / span.T[:, :, None]  # (G, Ki, F)
    return np.transpose(out, (1, 0, 2))


def _fields_and_slopes(
    model: CorrectedModel, points: list[np.ndarray], ks: list[int] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Fields at each plan of ``points`` (each (G, K)) and their forward differences for one
    more agent of each group: ``(S, K, F)`` and ``(S, G, K, F)`` (``ks``: these intervals)."""
    g_n = model.p.n_groups
    kk = np.arange(model.p.n_intervals) if ks is None else np.asarray(ks)
    cols, idx = [], []
    for q in points:
        for d in range(g_n + 1):
            r = q[:, kk].copy()
            if d:
                r[d - 1] += 1.0
            cols.append(r.T)
            idx.append(kk)
    f = model.columns(np.concatenate(cols), np.concatenate(idx))
    f = f.reshape(len(points), g_n + 1, len(kk), -1)
    return f[:, 0], f[:, 1:] - f[:, :1]


def constraint_values(
    constraints: list[Constraint], model: CorrectedModel, y: np.ndarray
) -> np.ndarray:
    """``Σ_k w · F_k(y_k) − rhs`` of every constraint at plan ``y`` (>= 0: met)."""
    f = model.fields_of(y)
    out = []
    for c in constraints:
        h = f[c.intervals] @ c.weights
        if c.cap is not None:
            h = np.minimum(h, c.cap)
        out.append(float(h.sum()) - c.rhs)
    return np.array(out)


def scale_of(constraints: list[Constraint], model: CorrectedModel) -> np.ndarray:
    """A tolerance unit per constraint: 0.1% of the offered contacts it sums over (or of
    its right-hand side), so "met" does not hinge on rounding."""
    p = model.p
    off = model.fields_of(np.zeros((p.n_groups, p.n_intervals)))
    out = []
    for c in constraints:
        mass = float(np.abs(off[c.intervals] @ np.abs(c.weights)).sum())
        out.append(1e-3 * max(mass, abs(c.rhs), 1.0))
    return np.array(out)


# --------------------------------------------------------------------------------------
# the program
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class MasterSolution:
    x: np.ndarray  # counts per variable (integers)
    y: np.ndarray  # (G, K) agents on duty
    cost: float
    status: str
    optimal: bool  # HiGHS proved optimality (within its gap)
    hit_limit: bool  # stopped by its node or time limit


def solve_master(
    decisions: Decisions,
    constraints: list[Constraint],
    pool: CutPool,
    *,
    budget: float | None = None,
    floor: np.ndarray | None = None,
    box: tuple[np.ndarray, np.ndarray] | None = None,
    x_lower: np.ndarray | None = None,
    x_upper: np.ndarray | None = None,
    integer: bool = True,
    node_limit: int = 500,
    time_limit_s: float = 60.0,
    gap: float = 0.01,
    smooth: float = SMOOTHING,
) -> MasterSolution | None:
    """Cheapest counts meeting every cut (see module docstring). ``floor`` (G, K): agents on
    duty at least this (repairs only add); ``box`` ((G, K), (G, K)): agents on duty within
    these bounds (the search's trust region); ``x_lower`` (J,): counts at least this (the
    integer program is solved in the neighbourhood of its linear relaxation: the whole
    agents of the relaxation are kept, the program places the rest) and ``x_upper`` at most
    this (rounding the relaxation: each count is its floor or its ceiling). ``integer=False``
    solves the linear relaxation. ``None`` when the program is infeasible (the targets
    cannot be met within the bounds and rules, on the model)."""
    d = decisions
    p = d.problem
    g_n, k_n, j_n = p.n_groups, p.n_intervals, d.n
    n_y = g_n * k_n
    aux_of: dict[int, int] = {}  # constraint index -> first aux column
    n_aux = 0
    aux_hi: list[np.ndarray] = []
    for i, con in enumerate(constraints):
        if not con.per_interval:
            aux_of[i] = j_n + n_y + n_aux
            n_aux += len(con.intervals)
            cap = np.full(len(con.intervals), np.inf) if con.cap is None else con.cap
            aux_hi.append(np.asarray(cap, dtype=float))
    # Headcount-per-interval groups: a small price on every change of headcount from one
    # interval to the next (within a day) breaks the ties between groups that substitute
    # for each other towards steady staffing, instead of all juniors one half-hour and all
    # seniors the next - which no centre runs and the simulation punishes.
    smooth_pairs = [
        (g, k)
        for g in range(g_n)
        if g not in d.shift_groups
        for k in range(1, k_n)
        if k % p.intervals_per_day
    ]
    n_smooth = len(smooth_pairs) if smooth > 0 else 0
    n_var = j_n + n_y + n_aux + n_smooth
    # objective: cost of x (+ the smoothing price)
    c = np.zeros(n_var)
    c[:j_n] = d.cost
    if n_smooth:
        c[j_n + n_y + n_aux :] = [smooth * p.unit_cost[g] for g, _ in smooth_pairs]
    rows_a: list[sparse.spmatrix] = []
    lbs: list[np.ndarray] = []
    ubs: list[np.ndarray] = []
    # y - A x = 0
    link = sparse.hstack(
        [-d.coverage, sparse.identity(n_y), sparse.csr_matrix((n_y, n_aux + n_smooth))],
        format="csr",
    )
    rows_a.append(link)
    lbs.append(np.zeros(n_y))
    ubs.append(np.zeros(n_y))
    if d.rows.matrix.shape[0]:
        rows_a.append(
            sparse.hstack(
                [d.rows.matrix, sparse.csr_matrix((d.rows.matrix.shape[0], n_y + n_aux + n_smooth))]
            )
        )
        lbs.append(d.rows.lb)
        ubs.append(d.rows.ub)
    # cuts
    r_i, r_j, r_v, r_lb, r_ub = [], [], [], [], []
    row = 0
    for i, con in enumerate(constraints):
        cuts = pool.rows_of(i)
        if con.per_interval:
            for k, const, slope in cuts:
                # const + slope·y_k >= rhs
                r_i += [row] * g_n
                r_j += [j_n + g * k_n + k for g in range(g_n)]
                r_v += slope.tolist()
                r_lb.append(con.rhs - const)
                r_ub.append(np.inf)
                row += 1
            continue
        pos = {int(k): aux_of[i] + n for n, k in enumerate(con.intervals)}
        for k, const, slope in cuts:
            if k not in pos:
                continue
            # u_k - slope·y_k <= const
            r_i += [row] * (g_n + 1)
            r_j += [pos[k]] + [j_n + g * k_n + k for g in range(g_n)]
            r_v += [1.0, *(-slope).tolist()]
            r_lb.append(-np.inf)
            r_ub.append(const)
            row += 1
        # Σ u >= rhs
        r_i += [row] * len(con.intervals)
        r_j += list(pos.values())
        r_v += [1.0] * len(con.intervals)
        r_lb.append(con.rhs)
        r_ub.append(np.inf)
        row += 1
    for n, (g, k) in enumerate(smooth_pairs[:n_smooth]):
        # s >= y_k - y_{k-1} and s >= y_{k-1} - y_k
        col = j_n + n_y + n_aux + n
        a_, b_ = j_n + g * k_n + k, j_n + g * k_n + k - 1
        r_i += [row] * 3 + [row + 1] * 3
        r_j += [col, a_, b_, col, a_, b_]
        r_v += [1.0, -1.0, 1.0, 1.0, 1.0, -1.0]
        r_lb += [0.0, 0.0]
        r_ub += [np.inf, np.inf]
        row += 2
    if row:
        rows_a.append(sparse.csr_matrix((r_v, (r_i, r_j)), shape=(row, n_var)))
        lbs.append(np.array(r_lb))
        ubs.append(np.array(r_ub))
    if budget is not None:
        cost_row = np.zeros(n_var)
        cost_row[:j_n] = d.cost
        rows_a.append(sparse.csr_matrix(cost_row[None, :]))
        lbs.append(np.array([-np.inf]))
        ubs.append(np.array([budget]))
    a = sparse.vstack(rows_a, format="csr")
    x_lo = d.lower if x_lower is None else np.maximum(d.lower, x_lower)
    y_lo = d.cover_lower if floor is None else np.maximum(d.cover_lower, floor)
    y_hi = d.cover_upper
    if box is not None:
        y_lo, y_hi = np.maximum(y_lo, box[0]), np.minimum(y_hi, box[1])
        y_hi = np.maximum(y_hi, y_lo)
    lo = np.concatenate([x_lo, y_lo.ravel(), np.full(n_aux, -np.inf), np.zeros(n_smooth)])
    x_hi = d.upper if x_upper is None else np.minimum(d.upper, np.maximum(x_upper, x_lo))
    hi = np.concatenate([x_hi, y_hi.ravel(), *aux_hi, np.full(n_smooth, np.inf)])
    integrality = np.zeros(n_var)
    if integer:
        integrality[:j_n] = 1
    with _quiet_stdout():
        res = milp(
            c,
            constraints=[LinearConstraint(a, np.concatenate(lbs), np.concatenate(ubs))],
            integrality=integrality,
            bounds=Bounds(lo, hi),
            options={
                "disp": False,
                "node_limit": node_limit,
                "time_limit": time_limit_s,
                "mip_rel_gap": gap,
                "presolve": True,
            },
        )
    if res.x is None:
        return None
    x = res.x[:j_n]
    x = np.rint(x) if integer else x
    y = np.asarray(decisions.coverage @ x).reshape(g_n, k_n)
    hit = res.status not in (0, 2)  # stopped by a node / iteration / time limit
    return MasterSolution(x, y, float(d.cost @ x), str(res.message), res.status == 0, hit)


_STDOUT_LOCK = threading.Lock()


@contextlib.contextmanager
def _quiet_stdout() -> Iterator[None]:
    """HiGHS prints a line of its own debugging to the C-level stdout now and then (seen:
    ``HighsMipSolverData::transformNewIntegerFeasibleSolution``), which would land inside
    ``staffsim optimize --format json``: send file descriptor 1 to /dev/null while it runs."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # no real file behind stdout (tests, app)
        yield
        return
    with _STDOUT_LOCK:
        sys.stdout.flush()
        saved = os.dup(fd)
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, fd)
            yield
        finally:
            os.dup2(saved, fd)
            os.close(saved)
            os.close(devnull)


def cover(decisions: Decisions, requirement: np.ndarray) -> MasterSolution | None:
    """The shift program alone: the cheapest counts whose coverage reaches ``requirement``
    (G, K) agents on duty in every interval, within the rules (None when they cannot)."""
    floor = np.minimum(np.asarray(requirement, dtype=float), decisions.cover_upper)
    return solve_master(decisions, [], CutPool(), floor=floor, smooth=0.0)


# --------------------------------------------------------------------------------------
# goals and deferred needs
# --------------------------------------------------------------------------------------
def search_goals(
    targets: list[Target], kpis: KpiSummary | None, margin: float, model: CorrectedModel
) -> dict[int, float | np.ndarray]:
    """Each target's goal in the search: the target moved against the plan by ``margin``
    95%-CI half-widths of the last simulation, less what the corrected model still misses
    over the horizon (its residual there), clipped to what a share can reach."""
    goals: dict[int, float | np.ndarray] = {}
    for i, t in enumerate(targets):
        sign = 1.0 if t.sense == ">=" else -1.0
        if t.scope == "overall":
            half = 0.0
            if kpis is not None:
                half = kpis.overall.get((t.entity, t.kpi), (math.nan, 0.0))[1]
                half = 0.0 if not np.isfinite(half) else float(half)
            residual = model.corr.overall.get((t.entity, t.kpi), 0.0)
            goal = t.value + sign * margin * half - residual
        else:
            half_k = np.zeros(model.p.n_intervals)
            if kpis is not None:
                nan = np.full(model.p.n_intervals, np.nan)
                half_k = np.nan_to_num(kpis.intervals.get((t.entity, t.kpi), (nan, nan))[1])
            goal = t.value + sign * margin * half_k
        if t.kpi == "connects_per_hour":
            goal = np.maximum(goal, 0.0)
        elif t.kpi != "asa_s":
            goal = np.clip(goal, 0.0, 0.995)
        goals[i] = goal
    return goals


def callback_need(
    model: CorrectedModel, c: int, goal: float, y_anchor: np.ndarray
) -> tuple[float, np.ndarray]:
    """:func:`deferred_need` of the callback queue of call channel ``c``: its accepted
    callbacks at the anchor plan as the volumes, the callback promise as the deadline."""
    return deferred_need(model, c, goal, y_anchor, callbacks=True)


def deferred_need(
    model: CorrectedModel, c: int, goal: float, y_anchor: np.ndarray, *, callbacks: bool = False
) -> tuple[float, np.ndarray]:
    """Agent-hours (factor-1.0) of capacity left for deferred channel ``c`` that its promise
    needs over the horizon, and the share of it due by the end of each day.

    The fluid backlog model scales the anchor plan's leftover profile until the share within
    the promise reaches ``goal``; when the anchor was simulated, the need is divided by how
    much more capacity the fluid model wants to reproduce the simulated share (so the need
    agrees with the simulation at the anchor)."""
    p = model.p
    f = model.fields_of(y_anchor)
    profile = np.maximum(model.pool(f, c), 0.0)
    if profile.sum() <= 0:
        profile = np.full(p.n_intervals, p.interval_hours)
    base = float(profile.sum())
    accepted = f[:, model.lay.ch(c, "callbacks")] if callbacks else None

    def within(scale: float) -> float:
        return model.within_promise(c, profile * scale, accepted)

    need = _bisect(within, min(goal, 0.999)) * base
    simulated = model.corr.simulated_within.get(c)
    if simulated is not None and np.isfinite(simulated):
        s_sim = _bisect(within, min(float(simulated), 0.999))
        need = need / float(np.clip(s_sim, 0.5, 2.0))
        if simulated >= goal:
            need = min(need, base)
        else:
            need = max(need, base * (1.0 + (goal - float(simulated))))
    if accepted is not None:  # callback promises are short: no daily milestones
        return need, np.zeros(p.days)
    # Share due by the end of each day: the fluid model's cumulative answers at the goal.
    prof, slots = model.analytic.deferred_profile(c, profile * need / base / p.interval_hours)
    handled = prof.handled[slots]
    cum = np.cumsum(handled.reshape(p.days, p.intervals_per_day).sum(axis=1))
    share = cum / cum[-1] if cum[-1] > 0 else np.zeros(p.days)
    return need, share * 0.95  # leave the fluid timing some slack within a day


def _bisect(f, goal: float, lo: float = 0.05, hi: float = 20.0) -> float:
    """Smallest scale in [lo, hi] with ``f(scale) >= goal`` for increasing ``f`` (hi if
    none), to 0.1% relative."""
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


__all__ = [
    "CHANNEL_FIELDS",
    "Constraint",
    "CutPool",
    "MasterSolution",
    "add_cuts",
    "build_constraints",
    "callback_need",
    "constraint_values",
    "cover",
    "deferred_need",
    "lines_bind",
    "scale_of",
    "search_goals",
    "solve_master",
]
