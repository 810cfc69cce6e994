"""One small interface for judging a plan, with two implementations.

``evaluator.evaluate(plan) -> Evaluation``: the KPIs the targets are about (service level,
abandonment, ASA, FCR, email within promise per channel; occupancy per group), over the
horizon and per interval, each as a mean and a 95% CI half-width.

* :class:`AnalyticEvaluator` — Erlang C / A per interval (:mod:`optimizer.analytic`):
  instant, deterministic, half-widths 0. Warm start, and the ground on which the search is
  tested against enumeration.
* :class:`SimulationEvaluator` — ``simulate(scenario, replications, seed)`` with the *same*
  seed for every candidate (common random numbers: the same customers meet every plan, so
  differences between plans are differences of staffing, not of luck). Parallel through the
  project's executor: ``workers`` processes, or any ``concurrent.futures.Executor``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from optimizer.analytic import AnalyticModel, kpi_from_fields
from optimizer.plan import Plan
from optimizer.problem import Problem
from simulator.results import SimulationResult
from simulator.runner import simulate

CHANNEL_KPIS = ("service_level", "abandon_rate", "asa_s", "fcr", "within_promise")
INTERVAL_KPIS = ("service_level", "abandon_rate", "asa_s", "offered")


@dataclass(frozen=True)
class Evaluation:
    """KPIs of one plan. ``overall[(entity, kpi)] = (mean, half_width)``;
    ``intervals[(entity, kpi)] = (means, half_widths)`` over global intervals (NaN where
    undefined or in the warm-up). Entities are channel names, and group names for
    ``occupancy``. ``cost`` is the plan's paid cost over the horizon."""

    source: str  # "analytic" | "simulation"
    plan: Plan
    cost: float
    n_intervals: int
    overall: dict[tuple[str, str], tuple[float, float]]
    intervals: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]]
    replications: int = 0
    seed: int | None = None
    result: SimulationResult | None = field(default=None, repr=False)


class Evaluator(Protocol):
    """What the search needs from an evaluator."""

    name: str
    evaluations: int  # plans evaluated (cache hits not counted)

    def evaluate(self, plan: Plan) -> Evaluation: ...


class AnalyticEvaluator:
    """Erlang C / A estimates (see :mod:`optimizer.analytic`); deterministic and instant."""

    name = "analytic"

    def __init__(self, problem: Problem, model: AnalyticModel | None = None):
        self.problem = problem
        self.model = model or AnalyticModel(problem)
        self.evaluations = 0

    def evaluate(self, plan: Plan) -> Evaluation:
        self.evaluations += 1
        p = self.problem
        fields, within = self.model.evaluate(np.asarray(plan.staffing, dtype=float))
        lay = self.model.layout
        total = fields.sum(axis=0)
        overall: dict[tuple[str, str], tuple[float, float]] = {}
        intervals: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = {}
        zeros = np.zeros(p.n_intervals)
        over_answered = self.model.sl_over_answered
        for c, name in enumerate(p.channels):
            if c in self.model.deferred:
                overall[(name, "within_promise")] = (within.get(c, math.nan), 0.0)
                overall[(name, "fcr")] = (float(kpi_from_fields(total, lay, c, "fcr")), 0.0)
                continue
            for kpi in ("service_level", "abandon_rate", "asa_s", "fcr"):
                value = kpi_from_fields(total, lay, c, kpi, over_answered)
                overall[(name, kpi)] = (float(value), 0.0)
                per = kpi_from_fields(fields, lay, c, kpi, over_answered)
                intervals[(name, kpi)] = (per, zeros)
            intervals[(name, "offered")] = (fields[:, lay.ch(c, "offered")], zeros)
        for g, name in enumerate(p.groups):
            overall[(name, "occupancy")] = (float(kpi_from_fields(total, lay, g, "occupancy")), 0.0)
            intervals[(name, "occupancy")] = (kpi_from_fields(fields, lay, g, "occupancy"), zeros)
        return Evaluation(
            "analytic", plan, plan.cost(p.scenario), p.n_intervals, overall, intervals
        )


class SimulationEvaluator:
    """Simulation with common random numbers: every plan meets the same customers.

    ``replications``/``seed`` are the search defaults; :meth:`evaluate` may override them
    (verification runs use fresh seeds and more replications). Results are cached per
    (plan, replications, seed). ``on_evaluation(done)`` is called after each one.

    A simulation interrupted by Ctrl-C is not a valid comparison (fewer replications than
    its rivals): it re-raises ``KeyboardInterrupt`` so the search can stop cleanly.
    """

    name = "simulation"

    def __init__(
        self,
        problem: Problem,
        replications: int,
        seed: int,
        *,
        workers: int = 1,
        executor: Executor | None = None,
        on_evaluation: Callable[[int], None] | None = None,
    ):
        self.problem = problem
        self.replications = replications
        self.seed = seed
        self.workers = workers
        self.executor = executor
        self.on_evaluation = on_evaluation
        self.evaluations = 0
        self.replications_run = 0
        self.seconds = 0.0
        self._cache: dict[tuple[bytes, int, int], Evaluation] = {}

    def evaluate(
        self, plan: Plan, *, replications: int | None = None, seed: int | None = None
    ) -> Evaluation:
        reps = self.replications if replications is None else replications
        seed = self.seed if seed is None else seed
        key = (plan.key, reps, seed)
        if key in self._cache:
            return self._cache[key]
        p = self.problem
        scenario = plan.apply(p.scenario)
        started = time.perf_counter()
        if self.executor is not None:
            result = simulate(scenario, reps, seed, executor=self.executor)
        else:
            result = simulate(scenario, reps, seed, workers=self.workers)
        self.seconds += time.perf_counter() - started
        if result.interrupted:
            raise KeyboardInterrupt
        self.evaluations += 1
        self.replications_run += reps
        evaluation = from_result(p, plan, result, seed)
        self._cache[key] = evaluation
        if self.on_evaluation is not None:
            self.on_evaluation(self.evaluations)
        return evaluation


def from_result(problem: Problem, plan: Plan, result: SimulationResult, seed: int) -> Evaluation:
    """The :class:`Evaluation` view of a :class:`SimulationResult`."""
    k = problem.n_intervals
    overall: dict[tuple[str, str], tuple[float, float]] = {}
    intervals: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = {}
    ch = result.channels
    for entity, kpi, mean, half in zip(
        ch["channel"], ch["kpi"], ch["mean"], ch["ci_half_width"], strict=True
    ):
        if kpi in CHANNEL_KPIS:
            overall[(entity, kpi)] = (float(mean), float(half))
    gr = result.groups
    for entity, kpi, mean, half in zip(
        gr["group"], gr["kpi"], gr["mean"], gr["ci_half_width"], strict=True
    ):
        if kpi == "occupancy":
            overall[(entity, kpi)] = (float(mean), float(half))
    iv = result.intervals
    iv = iv[iv["kpi"].isin(INTERVAL_KPIS)]
    _per_interval(iv, "channel", problem, intervals)
    gi = result.group_intervals
    _per_interval(gi[gi["kpi"] == "occupancy"], "group", problem, intervals)
    for key, (mean, half) in list(intervals.items()):
        if len(mean) != k:  # defensive: a result for another horizon
            del intervals[key]
        else:
            intervals[key] = (mean, half)
    return Evaluation(
        "simulation",
        plan,
        plan.cost(problem.scenario),
        k,
        overall,
        intervals,
        replications=result.replications,
        seed=seed,
        result=result,
    )


def _per_interval(frame, column: str, problem: Problem, out: dict) -> None:
    if frame.empty:
        return
    k = problem.n_intervals
    index = frame["day"].to_numpy() * problem.intervals_per_day + frame["interval"].to_numpy()
    warm = frame["warmup"].to_numpy().astype(bool)
    means = np.where(warm, np.nan, frame["mean"].to_numpy(dtype=float))
    halves = frame["ci_half_width"].to_numpy(dtype=float)
    names = frame[column].to_numpy()
    kpis = frame["kpi"].to_numpy()
    for entity in np.unique(names):
        for kpi in np.unique(kpis[names == entity]):
            sel = (names == entity) & (kpis == kpi)
            mean = np.full(k, np.nan)
            half = np.full(k, np.nan)
            mean[index[sel]] = means[sel]
            half[index[sel]] = halves[sel]
            out[(str(entity), str(kpi))] = (mean, half)


__all__ = ["AnalyticEvaluator", "Evaluation", "Evaluator", "SimulationEvaluator", "from_result"]
