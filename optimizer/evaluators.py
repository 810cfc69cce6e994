"""One small interface for judging a plan, with two implementations.

``evaluator.evaluate(plan) -> Evaluation``: the KPIs the targets are about, over the horizon
and per interval, each as a mean and a 95% CI half-width (a
:class:`simulator.targets.KpiSummary`, the same the simulator's verdicts read).

* :class:`AnalyticEvaluator` — Erlang C / A per interval (:mod:`optimizer.analytic`):
  instant, deterministic, half-widths 0. The quick estimate, and the ground on which the
  search is tested against enumeration.
* :class:`SimulationEvaluator` — ``simulate(scenario, replications, seed)`` with the *same*
  seed for every candidate (common random numbers: the same customers meet every plan, so
  differences between plans are differences of staffing, not of luck), on the run's process
  pool. Results are cached per (plan, replications, seed), and never computed twice.
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
from optimizer.problem import Problem
from simulator.plan import Plan
from simulator.results import SimulationResult
from simulator.runner import simulate
from simulator.targets import KpiSummary


@dataclass(frozen=True)
class Evaluation:
    """KPIs of one plan (``kpis``), its paid cost over the horizon, and where they come
    from: ``source`` ``"analytic"`` or ``"simulation"`` (then ``replications``, ``seed`` and
    the full ``result``)."""

    source: str
    plan: Plan
    cost: float
    kpis: KpiSummary
    replications: int = 0
    seed: int | None = None
    result: SimulationResult | None = field(default=None, repr=False)


class Evaluator(Protocol):
    """What the search needs from an evaluator."""

    name: str
    evaluations: int  # plans evaluated (cache hits not counted)

    def evaluate(
        self, plan: Plan, *, replications: int | None = None, seed: int | None = None
    ) -> Evaluation: ...


class AnalyticEvaluator:
    """Erlang C / A estimates (see :mod:`optimizer.analytic`); deterministic and instant."""

    name = "analytic"

    def __init__(self, problem: Problem, model: AnalyticModel | None = None):
        self.problem = problem
        self.model = model or AnalyticModel(problem)
        self.evaluations = 0
        self.replications_run = 0

    def evaluate(
        self, plan: Plan, *, replications: int | None = None, seed: int | None = None
    ) -> Evaluation:
        del replications, seed  # the formulas have no noise to average
        self.evaluations += 1
        p = self.problem
        model = self.model.anchored(np.asarray(plan.staffing, dtype=float))
        fields, within = model.evaluate(np.asarray(plan.staffing, dtype=float))
        lay = model.layout
        total = fields.sum(axis=0)
        overall: dict[tuple[str, str], tuple[float, float]] = {}
        intervals: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = {}
        zeros = np.zeros(p.n_intervals)
        over_answered = model.sl_over_answered
        for c, name in enumerate(p.channels):
            overall[(name, "fcr")] = (float(kpi_from_fields(total, lay, c, "fcr")), 0.0)
            if c in model.deferred:
                overall[(name, "within_promise")] = (within.get(c, math.nan), 0.0)
                continue
            for kpi in ("service_level", "abandon_rate", "asa_s"):
                overall[(name, kpi)] = (
                    float(kpi_from_fields(total, lay, c, kpi, over_answered)),
                    0.0,
                )
                per = kpi_from_fields(fields, lay, c, kpi, over_answered)
                intervals[(name, kpi)] = (per, zeros)
            ch = p.scenario.channels[name]
            if ch.callback is not None:
                overall[(name, "callback_within_promise")] = (within.get(c, math.nan), 0.0)
            for kpi, present in (("balk_rate", ch.balking), ("blocked_rate", ch.lines)):
                if present is not None:
                    overall[(name, kpi)] = (float(kpi_from_fields(total, lay, c, kpi)), 0.0)
                    intervals[(name, kpi)] = (kpi_from_fields(fields, lay, c, kpi), zeros)
            intervals[(name, "offered")] = (fields[:, lay.ch(c, "offered")], zeros)
        for g, name in enumerate(p.groups):
            overall[(name, "occupancy")] = (float(kpi_from_fields(total, lay, g, "occupancy")), 0.0)
            intervals[(name, "occupancy")] = (kpi_from_fields(fields, lay, g, "occupancy"), zeros)
        kpis = KpiSummary(overall, intervals, p.labels)
        return Evaluation("analytic", plan, plan.cost(p.scenario), kpis)


class SimulationEvaluator:
    """Simulation with common random numbers: every plan meets the same customers.

    ``replications``/``seed`` are the search defaults; :meth:`evaluate` may override them
    (verification runs use fresh seeds and more replications). ``executor`` runs the
    replications (the optimizer's process pool); ``None`` runs them here. ``seconds`` is the
    wall time spent simulating.

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
        executor: Executor | None = None,
        on_evaluation: Callable[[int], None] | None = None,
    ):
        self.problem = problem
        self.replications = replications
        self.seed = seed
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
        result = simulate(scenario, reps, seed, executor=self.executor)
        self.seconds += time.perf_counter() - started
        if result.interrupted:
            raise KeyboardInterrupt
        self.evaluations += 1
        self.replications_run += reps
        evaluation = Evaluation(
            "simulation",
            plan,
            plan.cost(p.scenario),
            result.kpi_summary,
            replications=result.replications,
            seed=seed,
            result=result,
        )
        self._cache[key] = evaluation
        if self.on_evaluation is not None:
            self.on_evaluation(self.evaluations)
        return evaluation

    def seen(self, plan: Plan, *, replications: int | None = None, seed: int | None = None) -> bool:
        """Whether this plan was already evaluated on these replications and seed."""
        reps = self.replications if replications is None else replications
        return (plan.key, reps, self.seed if seed is None else seed) in self._cache


__all__ = ["AnalyticEvaluator", "Evaluation", "Evaluator", "SimulationEvaluator"]
