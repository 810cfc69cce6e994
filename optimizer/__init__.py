"""staffsim's optimizer: the cheapest staffing and shift plan meeting every target.

Public API::

    from optimizer import optimize
    result = optimize(Scenario.from_yaml("scenarios/telecom.yaml"), max_evaluations=40)
    result.status, result.feasible, result.cost, result.lower_bound
    result.schedule          # the shift schedule a planner staffs (DataFrame)
    result.verdicts          # every target of the scenario on fresh seeds
    result.plan_yaml()       # the plan file `staffsim simulate --plan` reads

Targets and shift rules come from the scenario; :class:`OptimizeOptions` holds only the
search effort and the feasibility rule. Also: :func:`baseline` and
:func:`baseline_until_feasible` (the two-step practice), :func:`frontier` (cost against
service level or budget), the evaluators, and plan files (:func:`apply_plan`,
:func:`apply_plan_file`).
"""

from optimizer.baseline import BaselinePlan, baseline, baseline_until_feasible
from optimizer.evaluators import AnalyticEvaluator, Evaluation, Evaluator, SimulationEvaluator
from optimizer.frontier import frontier
from optimizer.optimize import optimize
from optimizer.options import OptimizeOptions
from optimizer.result import STATUSES, OptimizationResult
from simulator.plan import Plan, apply_plan, apply_plan_file

__all__ = [
    "STATUSES",
    "AnalyticEvaluator",
    "BaselinePlan",
    "Evaluation",
    "Evaluator",
    "OptimizationResult",
    "OptimizeOptions",
    "Plan",
    "SimulationEvaluator",
    "apply_plan",
    "apply_plan_file",
    "baseline",
    "baseline_until_feasible",
    "frontier",
    "optimize",
]
