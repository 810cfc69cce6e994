"""staffsim's simulator: scenario format, SimPy engine, results, and exact Erlang formulas.

Public API (everything a script needs)::

    from simulator import Scenario, simulate
    result = simulate(Scenario.from_yaml("scenarios/default.yaml"), replications=20, seed=1)
    result.channels        # tidy DataFrame: channel, kpi, mean, ci_half_width, ...

    from simulator import required_agents      # exact Erlang C/A staffing, vectorised
    required_agents(200.0, 180, service_level=0.8, within_s=20, shrinkage=0.3)
"""

# Analytic queueing core (Erlang B / C / A, staffing requirements, deferred work).
from simulator.deferred import DeferredRequirement, deferred_profile, deferred_requirement
from simulator.erlang import QueueKpis, erlang_a_kpis, erlang_b, erlang_c, erlang_c_kpis
from simulator.errors import InputError
from simulator.results import SimulationResult
from simulator.runner import simulate
from simulator.scenario import Scenario
from simulator.staffing import (
    StaffingRequirement,
    kpis_for_agents,
    required_agents,
    square_root_agents,
)

__all__ = [
    "DeferredRequirement",
    "InputError",
    "QueueKpis",
    "Scenario",
    "SimulationResult",
    "StaffingRequirement",
    "deferred_profile",
    "deferred_requirement",
    "erlang_a_kpis",
    "erlang_b",
    "erlang_c",
    "erlang_c_kpis",
    "kpis_for_agents",
    "required_agents",
    "simulate",
    "square_root_agents",
]
