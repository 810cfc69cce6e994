"""The worker side of a batch run: what runs in a worker process or on a Dask worker.

A task is one or more replications of one point (:func:`run_chunk`); each replication is
reduced to its KPI rows (:func:`run_task`) by :func:`simulator.results.aggregate`, the same
code that ``simulate`` uses. This module imports nothing of the parent's run loop
(:mod:`simulator.batch.run`), so workers load only what tasks need.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Sequence
from dataclasses import dataclass

from simulator.batch.store import TaskResult
from simulator.engine import run_replication
from simulator.model import CompiledModel
from simulator.results import OVERALL, kpi_values

OVERALL_ENTITY = OVERALL
"""Entity name of the ``overall`` rows (all channels / all groups together)."""


def run_task(
    model: CompiledModel, seed: int, replication: int, point_id: str, digest: str
) -> TaskResult:
    """One replication of one point, reduced to its KPI rows (runs in a worker).

    Each row is ``(entity_type, entity, kpi, value)``: every channel KPI, every group KPI,
    then the overall KPIs (entity ``"all"``), the values :func:`simulator.results.aggregate`
    summarises. Time in ``compute_s`` is wall seconds spent in the worker.
    """
    started = time.perf_counter()
    stats = run_replication(model, seed, replication)
    values = kpi_values(model, [stats], intervals=False)  # arrays: no tables per task
    rows = [(etype, entity, kpi, float(v[0])) for etype, entity, kpi, v in values.horizon_rows()]
    return TaskResult(
        point_id, replication, seed, digest, rows, compute_s=time.perf_counter() - started
    )


@dataclass(frozen=True)
class ChunkOutput:
    """What :func:`run_chunk` returns: the finished replications and, for each one that
    raised, ``(replication, "Type: message", traceback text)``."""

    results: list[TaskResult]
    errors: list[tuple[int, str, str]]


def run_chunk(
    model: CompiledModel,
    seed: int,
    replications: Sequence[int],
    point_id: str,
    digest: str,
) -> ChunkOutput:
    """Several replications of one point in one task (fewer round trips on Dask). A
    replication that raises is reported without losing the others."""
    results, errors = [], []
    for r in replications:
        try:
            results.append(run_task(model, seed, r, point_id, digest))
        except Exception as exc:
            errors.append((r, *describe_error(exc)))
    return ChunkOutput(results, errors)


def describe_error(exc: BaseException) -> tuple[str, str]:
    """``"Type: first line"`` and the full traceback (the worker's, when it is remote)."""
    remote = exc.__cause__
    text = (
        str(remote)
        if remote is not None and type(remote).__name__ == "_RemoteTraceback"
        else "".join(traceback.format_exception(exc))
    )
    message = str(exc).strip().splitlines()
    error = f"{type(exc).__name__}: {message[0]}" if message else type(exc).__name__
    return error, text


__all__ = ["OVERALL_ENTITY", "ChunkOutput", "describe_error", "run_chunk", "run_task"]
