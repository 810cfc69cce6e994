"""staffsim's simulator: scenario format, SimPy engine, results, and exact Erlang formulas.

Public API (everything a script needs)::

    from simulator import Scenario, simulate
    result = simulate(Scenario.from_yaml("scenarios/default.yaml"), replications=20, seed=1)
    result.channels        # tidy DataFrame: channel, kpi, mean, ci_half_width, ...
"""

from simulator.errors import InputError
from simulator.results import SimulationResult
from simulator.runner import simulate
from simulator.scenario import Scenario

__all__ = ["InputError", "Scenario", "SimulationResult", "simulate"]
