"""staffsim's optimizer: the cheapest staffing and shift plan meeting every target.

Public API::

    from optimizer import optimize, OptimizeOptions
    result = optimize(Scenario.from_yaml("scenarios/default.yaml"), time_limit_seconds=60)
    result.feasible, result.cost, result.staffing, result.targets, result.plan_yaml()

Also: :func:`baseline` (the standard two-step practice: Erlang C per interval, then the same
shift program), :func:`frontier` (cost against service level or budget), the evaluators
(:class:`AnalyticEvaluator`, :class:`SimulationEvaluator`), plan files
(:func:`apply_plan`, :func:`apply_plan_file`) and the shift program (:func:`solve_shifts`).
"""

from optimizer.baseline import BaselinePlan, baseline
from optimizer.evaluators import AnalyticEvaluator, Evaluation, Evaluator, SimulationEvaluator
from optimizer.frontier import frontier
from optimizer.optimize import optimize
from optimizer.options import BreakRule, OptimizeOptions, ShiftType
from optimizer.plan import Plan, apply_plan, apply_plan_file
from optimizer.result import OptimizationResult
from optimizer.shifts import ShiftSolution, solve_shifts

__all__ = [
    "AnalyticEvaluator",
    "BaselinePlan",
    "BreakRule",
    "Evaluation",
    "Evaluator",
    "OptimizationResult",
    "OptimizeOptions",
    "Plan",
    "ShiftSolution",
    "ShiftType",
    "SimulationEvaluator",
    "apply_plan",
    "apply_plan_file",
    "baseline",
    "frontier",
    "optimize",
    "solve_shifts",
]
