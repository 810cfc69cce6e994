"""Batch experiments: parameter sweeps over scenarios, many replications, in parallel.

For researchers: describe a sweep (a base scenario and dotted paths to vary, as a grid or
zipped lists) in YAML or in code, run it on all local cores or a Dask cluster, and get tidy
pandas tables, stored incrementally as Parquet or CSV and resumable after an interruption::

    from simulator.batch import run_batch
    result = run_batch("scenarios/sweep_volume.yaml", out="results.parquet")
    result.summary                                    # point x entity x KPI, mean and 95% CI
    result.kpi_table("service_level", "general")      # one row per point
    result.replications                               # the raw per-replication values

The CLI is ``staffsim batch SWEEP.yaml --out results.parquet``. See :mod:`.sweep` for the
file format and the seeding rules (per-point seeds or common random numbers).
"""

from simulator.batch.run import (
    OVERALL_ENTITY,
    BatchResult,
    TaskFailure,
    load_results,
    resolve_sweep,
    run_batch,
)
from simulator.batch.sweep import Point, Sweep, SweepSpec, sweep_from_scenarios

__all__ = [
    "OVERALL_ENTITY",
    "BatchResult",
    "Point",
    "Sweep",
    "SweepSpec",
    "TaskFailure",
    "load_results",
    "resolve_sweep",
    "run_batch",
    "sweep_from_scenarios",
]
