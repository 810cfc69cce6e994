"""The corrected analytic model: queueing formulas, pinned to the last simulation.

The analytic model (:mod:`optimizer.analytic`) is instant but approximate: it misses
carry-over between intervals, routing details, non-exponential handle times. After a plan
``y`` is simulated, :meth:`Corrections.fit` records, per channel, KPI and interval, how far
the simulation is from the analytic value *at y* — a ratio on the "bad side" of the KPI
(1 − service level, abandonment, ASA, balking, busy signals:
``sim = (analytic + eps) × r − eps``), a difference for
FCR and occupancy, and one residual per KPI over the horizon — so the corrected model
reproduces the simulation at ``y`` and keeps the analytic model's *shape* (how KPIs move with
headcount) around it. Only values come from simulation; slopes come from the formulas.

Units: per-interval *fields* as in :data:`optimizer.analytic.CHANNEL_FIELDS` (contacts per
interval, seconds of waiting summed, agent-hours).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from optimizer.analytic import AnalyticModel, kpi_from_fields
from optimizer.problem import Problem
from simulator.targets import KpiSummary

_EPS = {
    "service_level": 0.005,
    "abandon_rate": 0.005,
    "asa_s": 1.0,
    "balk_rate": 0.005,
    "blocked_rate": 0.005,
}
_CHANNEL_WIDE = frozenset({"balk_rate", "blocked_rate"})
"""KPIs corrected by one ratio per channel, not per interval, though the simulation
reports them per interval: their targets are judged over the horizon only, and per-interval
ratios made the storm scenario's verified plan 2.2% dearer (9,798.50 against 9,584.50,
``staffsim optimize scenarios/storm_callbacks.yaml``), so the search keeps the channel-wide
ratio it used before the ``intervals`` table had these rows."""
_RATIO_CLIP = (0.2, 10.0)
_INTERVAL_SPREAD = 2.0


def _bad(kpi: str, value: np.ndarray | float) -> np.ndarray:
    """The "bad side" of a KPI (what the ratio correction scales)."""
    v = np.asarray(value, dtype=float)
    return 1.0 - v if kpi == "service_level" else v


@dataclass
class Corrections:
    """Simulation-minus-analytic corrections (see module docstring). ``ratio[kpi]`` is
    (C, K); ``fcr_shift`` (C,) is added to every interval; ``occupancy_shift`` is (G, K);
    ``overall[(entity, kpi)]`` is what remains between the corrected model and the
    simulation over the horizon; ``simulated_within[c]`` the simulated share within the
    promise of deferred channel ``c`` (of a call channel ``c``: of its callbacks);
    ``simulated_outbound[(list, kpi)]`` the simulated list completion and connects per
    dialing hour of each outbound list (the ratio :func:`optimizer.outbound.outbound_need`
    scales by)."""

    ratio: dict[str, np.ndarray] = field(default_factory=dict)
    fcr_shift: np.ndarray | None = None
    occupancy_shift: np.ndarray | None = None
    overall: dict[tuple[str, str], float] = field(default_factory=dict)
    simulated_within: dict[int, float] = field(default_factory=dict)
    simulated_outbound: dict[tuple[str, str], float] = field(default_factory=dict)


class CorrectedModel:
    """Fields of the analytic model with :class:`Corrections` applied (memoised per column)."""

    def __init__(
        self,
        problem: Problem,
        analytic: AnalyticModel,
        corrections: Corrections | None = None,
        anchor: np.ndarray | None = None,
    ):
        self.p = problem
        self.analytic = analytic
        self.corr = corrections or Corrections()
        self.anchor = anchor  # the plan (G, K) the corrections were fitted at
        self.lay = analytic.layout
        self._cache: dict[tuple[int, bytes], np.ndarray] = {}

    # ---- fields ------------------------------------------------------------------------
    def columns(self, agents: np.ndarray, ks: np.ndarray) -> np.ndarray:
        """Corrected fields (N, F) of columns ``agents`` (N, G) in intervals ``ks`` (N,)."""
        agents = np.ascontiguousarray(np.asarray(agents, dtype=float))
        ks = np.asarray(ks, dtype=int)
        out = np.empty((len(ks), self.lay.size))
        missing = []
        keys = []
        for i in range(len(ks)):
            key = (int(ks[i]), agents[i].tobytes())
            keys.append(key)
            hit = self._cache.get(key)
            if hit is None:
                missing.append(i)
            else:
                out[i] = hit
        if missing:
            idx = np.array(missing)
            fixed = self._correct(self.analytic.columns(agents[idx], ks[idx]), ks[idx])
            out[idx] = fixed
            if len(self._cache) < 2_000_000:
                for j, i in enumerate(idx):
                    self._cache[keys[i]] = fixed[j]
        return out

    def fields_of(self, y: np.ndarray) -> np.ndarray:
        """Corrected fields (K, F) of a whole plan ``y`` (G, K)."""
        return self.columns(np.asarray(y, dtype=float).T, np.arange(self.p.n_intervals))

    def _correct(self, f: np.ndarray, ks: np.ndarray) -> np.ndarray:
        lay, corr, model = self.lay, self.corr, self.analytic
        f = f.copy()
        for c in model.real_time:
            off = f[:, lay.ch(c, "offered")]
            ans = f[:, lay.ch(c, "answered")]
            with np.errstate(divide="ignore", invalid="ignore"):
                ab = np.where(off > 0, f[:, lay.ch(c, "abandoned")] / off, 0.0)
                cb = np.where(off > 0, f[:, lay.ch(c, "callbacks")] / off, 0.0)
                live = off - f[:, lay.ch(c, "callbacks")]  # accepted callbacks leave the SL
                den_old = ans if model.sl_over_answered else live
                sl = np.where(den_old > 0, f[:, lay.ch(c, "answered_within")] / den_old, 1.0)
                asa = np.where(ans > 0, f[:, lay.ch(c, "wait_sum")] / ans, 0.0)
                fcr = np.where(ans > 0, f[:, lay.ch(c, "resolved")] / ans, 0.0)
                bk = np.where(off > 0, f[:, lay.ch(c, "balked")] / off, 0.0)
                bl = np.where(off > 0, f[:, lay.ch(c, "blocked")] / off, 0.0)
            if "balk_rate" in corr.ratio and c in model.balking:
                e = _EPS["balk_rate"]
                bk = np.clip((bk + e) * corr.ratio["balk_rate"][c, ks] - e, 0.0, 1.0)
            if "blocked_rate" in corr.ratio and c in model.lines:
                e = _EPS["blocked_rate"]
                bl = np.clip((bl + e) * corr.ratio["blocked_rate"][c, ks] - e, 0.0, 1.0)
            if "abandon_rate" in corr.ratio:
                e = _EPS["abandon_rate"]
                ab = np.clip((ab + e) * corr.ratio["abandon_rate"][c, ks] - e, 0.0, 1.0)
            if "service_level" in corr.ratio:
                e = _EPS["service_level"]
                sl = 1.0 - np.clip((1.0 - sl + e) * corr.ratio["service_level"][c, ks] - e, 0, 1)
            if "asa_s" in corr.ratio:
                e = _EPS["asa_s"]
                asa = np.maximum((asa + e) * corr.ratio["asa_s"][c, ks] - e, 0.0)
            if corr.fcr_shift is not None:
                fcr = np.clip(fcr + corr.fcr_shift[c], 0.0, 1.0)
            if c in model.balking or c in model.lines or c in model.callbacks:
                # walk-in: customers lost by balking or reneging; lines: busy signals too;
                # callbacks: callers who left the line (the model's share, uncorrected)
                ab = np.minimum(ab, 1.0 - bk - bl - cb)
                ans = off * (1.0 - ab - bk - bl - cb)
                f[:, lay.ch(c, "balked")] = off * bk
                f[:, lay.ch(c, "blocked")] = off * bl
            else:
                ans = off * (1.0 - ab)
            f[:, lay.ch(c, "abandoned")] = off * ab
            f[:, lay.ch(c, "answered")] = ans
            f[:, lay.ch(c, "answered_within")] = sl * (ans if model.sl_over_answered else live)
            f[:, lay.ch(c, "wait_sum")] = asa * ans
            f[:, lay.ch(c, "resolved")] = fcr * ans
        if corr.occupancy_shift is not None:
            for g in range(self.p.n_groups):
                avail = f[:, lay.grp(g, "available_h")]
                with np.errstate(divide="ignore", invalid="ignore"):
                    occ = np.where(avail > 0, f[:, lay.grp(g, "busy_h")] / avail, 0.0)
                occ = np.clip(occ + corr.occupancy_shift[g, ks], 0.0, 1.0)
                f[:, lay.grp(g, "busy_h")] = occ * avail
        return f

    # ---- KPIs --------------------------------------------------------------------------
    def kpi(self, fields: np.ndarray, entity: int, kpi: str) -> np.ndarray:
        """A ratio KPI from (summed) fields; NaN where undefined."""
        return kpi_from_fields(fields, self.lay, entity, kpi, self.analytic.sl_over_answered)

    def pool(self, fields: np.ndarray, c: int) -> np.ndarray:
        """Agent-hours (factor-1.0 units) the groups skilled for deferred channel ``c`` have
        left after real-time work, from fields (..., F)."""
        p, lay = self.p, self.lay
        out = np.zeros(fields.shape[:-1])
        for g in range(p.n_groups):
            if p.skilled[g, c]:
                left = fields[..., lay.grp(g, "available_h")] - fields[..., lay.grp(g, "busy_h")]
                out = out + np.maximum(left, 0.0) / p.factor[g, c]
        return out

    def within_promise(
        self, c: int, pool_per_interval: np.ndarray, accepted: np.ndarray | None = None
    ) -> float:
        """Share of deferred channel ``c`` answered within its promise — or, given the
        ``accepted`` callbacks per interval of call channel ``c``, of its callbacks made
        within theirs — by the fluid backlog model, when ``pool_per_interval`` agent-hours
        (factor-1.0) are left for it."""
        agents = np.asarray(pool_per_interval, dtype=float) / self.p.interval_hours
        if accepted is not None:
            profile = self.analytic.callback_profile(c, accepted, agents)[0]
        else:
            profile = self.analytic.deferred_profile(c, agents)[0]
        return float(profile.share_within_promise)


def _outbound_occupancy(problem: Problem, g: int, kpis: KpiSummary) -> np.ndarray:
    """(K,) simulated share of group ``g``'s present time spent on outbound lists it dials
    (each list's ``outbound_occupancy``, over all its dialing groups; 0 where undefined).
    The analytic model's ``busy_h`` is inbound work only: the dialer fills idle time, so
    outbound time taken into the occupancy correction would hide the very capacity an
    outbound target needs (:mod:`optimizer.outbound`)."""
    out = np.zeros(problem.n_intervals)
    for name, spec in (problem.scenario.outbound or {}).items():
        if problem.groups[g] in spec.groups:
            nan = np.full(problem.n_intervals, np.nan)
            occ = kpis.intervals.get((name, "outbound_occupancy"), (nan, None))[0]
            out = out + np.nan_to_num(np.asarray(occ, dtype=float))
    return out


def fit_corrections(
    problem: Problem, analytic: AnalyticModel, y: np.ndarray, kpis: KpiSummary
) -> CorrectedModel:
    """The corrected model that reproduces the simulated ``kpis`` of plan ``y`` (G, K)."""
    p = problem
    raw = CorrectedModel(p, analytic)
    fields = analytic.columns(np.asarray(y, dtype=float).T, np.arange(p.n_intervals))
    total = fields.sum(axis=0)
    out = Corrections()
    for kpi, eps in _EPS.items():
        ratio = np.ones((p.n_channels, p.n_intervals))
        for c, name in enumerate(p.channels):
            if c not in analytic.real_time:
                continue
            an = _bad(kpi, raw.kpi(fields, c, kpi))
            an_all = _bad(kpi, raw.kpi(total, c, kpi))
            sim_all = kpis.overall.get((name, kpi), (math.nan, 0))[0]
            overall_r = (_bad(kpi, sim_all) + eps) / (an_all + eps)
            if not np.isfinite(overall_r):
                overall_r = 1.0
            nan = np.full(p.n_intervals, np.nan)
            sim = nan if kpi in _CHANNEL_WIDE else kpis.intervals.get((name, kpi), (nan, None))[0]
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
    out.fcr_shift = np.zeros(p.n_channels)
    for c, name in enumerate(p.channels):
        sim = kpis.overall.get((name, "fcr"), (math.nan, 0))[0]
        an = raw.kpi(total, c, "fcr")
        if np.isfinite(sim) and np.isfinite(an):
            out.fcr_shift[c] = sim - an
    out.occupancy_shift = np.zeros((p.n_groups, p.n_intervals))
    for g, name in enumerate(p.groups):
        sim = kpis.intervals.get((name, "occupancy"), (None, None))[0]
        if sim is not None:
            sim = sim - _outbound_occupancy(p, g, kpis)
            an = raw.kpi(fields, g, "occupancy")
            out.occupancy_shift[g] = np.where(np.isfinite(sim) & np.isfinite(an), sim - an, 0.0)
    for c, name in enumerate(p.channels):
        kpi = "within_promise" if c in analytic.deferred else "callback_within_promise"
        if c in analytic.deferred or c in analytic.callbacks:
            sim = kpis.overall.get((name, kpi), (math.nan, 0))[0]
            if np.isfinite(sim):
                out.simulated_within[c] = float(sim)
    for name in p.scenario.outbound or {}:
        for kpi in ("list_completion", "connects_per_hour"):
            sim = kpis.overall.get((name, kpi), (math.nan, 0))[0]
            if np.isfinite(sim):
                out.simulated_outbound[(name, kpi)] = float(sim)
    model = CorrectedModel(p, analytic, out, np.asarray(y, dtype=float))
    # What remains over the horizon, so the corrected model equals the simulation at y.
    corrected_total = model.fields_of(y).sum(axis=0)
    for c, name in enumerate(p.channels):
        if c not in analytic.real_time:
            continue
        for kpi in ("service_level", "abandon_rate", "asa_s", "fcr", "balk_rate", "blocked_rate"):
            sim = kpis.overall.get((name, kpi), (math.nan, 0))[0]
            value = float(model.kpi(corrected_total, c, kpi))
            if np.isfinite(sim) and np.isfinite(value):
                out.overall[(name, kpi)] = float(sim) - value
    for g, name in enumerate(p.groups):
        sim = kpis.overall.get((name, "occupancy"), (math.nan, 0))[0]
        value = float(model.kpi(corrected_total, g, "occupancy"))
        if np.isfinite(sim) and np.isfinite(value):
            out.overall[(name, "occupancy")] = float(sim) - value
    for c, name in enumerate(p.channels):
        if c in analytic.deferred:
            sim = kpis.overall.get((name, "fcr"), (math.nan, 0))[0]
            if np.isfinite(sim):
                out.overall[(name, "fcr")] = float(sim)  # deferred FCR: taken as simulated
    return model


__all__ = ["CorrectedModel", "Corrections", "fit_corrections"]
