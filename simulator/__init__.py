"""staffsim's simulator: scenario format, SimPy engine, results, and exact Erlang formulas.

Public API (everything a script needs)::

    from simulator import Scenario, simulate
    result = simulate(Scenario.from_yaml("scenarios/default.yaml"), replications=20, seed=1)
    result.channels        # tidy DataFrame: channel, kpi, mean, ci_half_width, ...

    from simulator import required_agents      # exact Erlang C/A staffing, vectorised
    required_agents(200.0, 180, service_level=0.8, within_s=20, shrinkage=0.3)
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from simulator.errors import InputError

# The public names, imported on first use (PEP 562): ``import simulator`` stays light, so the
# ``staffsim`` command starts in milliseconds and a Ctrl-C during its heavy imports (numpy,
# pandas, scipy: about a second) happens inside ``simulator.cli.main``, which reports it as
# "interrupted" (exit 130) instead of a traceback.
_EXPORTS = {
    "DeferredRequirement": "simulator.queueing.deferred",
    "deferred_profile": "simulator.queueing.deferred",
    "deferred_requirement": "simulator.queueing.deferred",
    "QueueKpis": "simulator.queueing.erlang",
    "erlang_a_kpis": "simulator.queueing.erlang",
    "erlang_b": "simulator.queueing.erlang",
    "erlang_c": "simulator.queueing.erlang",
    "erlang_c_kpis": "simulator.queueing.erlang",
    "SimulationResult": "simulator.results",
    "simulate": "simulator.runner",
    "Scenario": "simulator.scenario",
    "StaffingRequirement": "simulator.queueing.staffing",
    "kpis_for_agents": "simulator.queueing.staffing",
    "required_agents": "simulator.queueing.staffing",
    "square_root_agents": "simulator.queueing.staffing",
}

if TYPE_CHECKING:
    from simulator.queueing.deferred import (
        DeferredRequirement,
        deferred_profile,
        deferred_requirement,
    )
    from simulator.queueing.erlang import (
        QueueKpis,
        erlang_a_kpis,
        erlang_b,
        erlang_c,
        erlang_c_kpis,
    )
    from simulator.queueing.staffing import (
        StaffingRequirement,
        kpis_for_agents,
        required_agents,
        square_root_agents,
    )
    from simulator.results import SimulationResult
    from simulator.runner import simulate
    from simulator.scenario import Scenario


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'simulator' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])


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
