"""``run_batch``: many scenario points x replications, in parallel, stored as they finish.

A *task* is one replication of one point: ``run_replication(point.model, point.seed, r)``,
reduced in the worker to its KPI values (one row per entity x KPI) by
:func:`simulator.results.aggregate`, the same code that ``simulate`` uses. The parent only
submits tasks, stores results (see :mod:`simulator.batch.store`) and, at the end, summarises
each point over its replications: mean and 95% CI half-width ``t(0.975, n-1) * s / sqrt(n)``,
exactly as :class:`simulator.results.SimulationResult` does. Since every task's random
streams are keyed by (point seed, replication, purpose, name), results do not depend on the
number of workers, the executor, the order tasks finish in, or on resuming.

Tasks are submitted replication-major (replication 0 of every point, then 1, ...), so an
interrupted sweep already has a summary for every point, with fewer replications. On Dask a
submitted task carries a few replications of one point (``chunk``) to save round trips;
each replication is still stored, resumed and reported on its own.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, CancelledError, Executor, Future, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simulator import limits
from simulator.batch.executors import check_choice, open_backend
from simulator.batch.store import (
    CHECK_COLUMNS,
    DirectoryStore,
    MemoryStore,
    OutputPaths,
    StoredTask,
    add_checks,
    read_table,
    verify_tasks,
)
from simulator.batch.sweep import Point, Sweep, SweepSpec, sweep_from_scenarios
from simulator.batch.worker import OVERALL_ENTITY, ChunkOutput, describe_error, run_chunk
from simulator.errors import InputError
from simulator.kpis import ci_bounds
from simulator.results import summarise
from simulator.runner import Progress
from simulator.scenario import Scenario

SUMMARY_STATS = ["mean", "ci_half_width", "ci_low", "ci_high", "n"]
_ROW_KEYS = ["entity_type", "entity", "kpi"]


@dataclass(frozen=True)
class TaskFailure:
    """A task that raised: which point (with its parameters) and replication, and why."""

    point: int
    point_id: str
    params: dict[str, Any]
    replication: int
    error: str
    traceback: str = field(repr=False, default="")

    def describe(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"point {self.point} ({params}) replication {self.replication}: {self.error}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "point": self.point,
            "point_id": self.point_id,
            "params": self.params,
            "replication": self.replication,
            "error": self.error,
            "traceback": self.traceback,
        }


@dataclass
class BatchResult:
    """What a batch run produced.

    * ``summary``: one row per point x entity x KPI — ``point``, ``point_id``, one column per
      swept parameter, ``seed``, ``entity_type`` (channel / group / overall), ``entity``,
      ``kpi``, ``mean``, ``ci_half_width``, ``ci_low``, ``ci_high``, ``n`` (replications).
    * ``replications``: the raw rows behind it — the same point columns, ``replication``,
      ``entity_type``, ``entity``, ``kpi``, ``value`` (and ``scenario_digest``).

    ``complete`` is False when tasks are missing (interrupted, failed, or a worker died);
    the summary then covers the finished replications and ``--resume`` completes it.
    ``discarded`` lists stored tasks that failed their row count or checksum (altered or
    damaged files); they were set aside and computed again in this run.

    Times (wall seconds): ``elapsed_s`` the whole call; ``startup_s`` opening the executor
    (process pool, Dask cluster and its workers' imports); ``running_s`` from the first
    submitted task to the last result; ``compute_s`` the workers' time inside tasks, summed.
    """

    name: str
    parameters: list[str]
    summary: pd.DataFrame
    replications: pd.DataFrame
    tasks_total: int
    tasks_stored: int
    tasks_resumed: int = 0
    tasks_run: int = 0
    failures: list[TaskFailure] = field(default_factory=list)
    interrupted: bool = False
    stopped: str | None = None
    elapsed_s: float = 0.0
    startup_s: float = 0.0
    running_s: float = 0.0
    compute_s: float = 0.0
    backend: str = ""
    outputs: list[Path] = field(default_factory=list)
    discarded: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return self.tasks_stored == self.tasks_total

    @property
    def missing(self) -> int:
        return self.tasks_total - self.tasks_stored

    def kpi_table(self, kpi: str, entity: str | None = None) -> pd.DataFrame:
        """One row per point for one KPI of one entity: the parameters, mean, CI and n.

        ``entity`` is a channel or group name, or ``"all"`` for the overall rows; it may be
        left out when only one entity has this KPI."""
        rows = self.summary[self.summary["kpi"] == kpi]
        if rows.empty:
            known = ", ".join(sorted(self.summary["kpi"].unique()))
            raise InputError(f"kpi: unknown KPI {kpi!r} (known: {known})")
        entities = list(dict.fromkeys(rows["entity"]))
        if entity is None:
            if len(entities) > 1:
                raise InputError(f"entity: {kpi} exists for {', '.join(entities)}; say which one")
            entity = entities[0]
        rows = rows[rows["entity"] == entity]
        if rows.empty:
            raise InputError(
                f"entity: {entity!r} has no KPI {kpi!r} (entities: {', '.join(entities)})"
            )
        columns = ["point", *self.parameters, *SUMMARY_STATS]
        return rows[columns].reset_index(drop=True)


def run_batch(
    spec: SweepSpec | Sweep | str | Path | Mapping[str, Any] | Sequence[Scenario],
    replications: int | None = None,
    seed: int | None = None,
    *,
    common_random_numbers: bool | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    dask_local: int | None = None,
    executor: Executor | None = None,
    out: str | Path | None = None,
    resume: bool = False,
    overwrite: bool = False,
    chunk: int | None = None,
    progress: Progress | None = None,
) -> BatchResult:
    """Run every (point, replication) task of a sweep and summarise each point.

    ``spec``: a sweep file path, a :class:`SweepSpec`, its mapping form (parsed YAML; paths
    relative to the working directory), a resolved :class:`Sweep`, or ready-made scenarios
    (a list, labelled by name, or a dict label -> Scenario). ``replications``, ``seed`` and
    ``common_random_numbers`` override the spec's.

    Where tasks run (pick one; default: local processes on all cores): ``workers`` local
    processes (``1`` = in this process); ``dask_local`` starts a Dask LocalCluster with that
    many workers; ``scheduler`` is the address of a running Dask scheduler; ``executor`` is
    any ``concurrent.futures.Executor`` you manage (e.g. ``client.get_executor()``).

    ``out`` (``.parquet`` or ``.csv``) stores results as tasks finish; ``resume=True``
    keeps what is stored there and runs only the missing tasks; ``overwrite=True`` discards
    it. Without ``out`` results are kept in memory only.

    ``chunk`` replications of a point run in one submitted task (default: automatic, 1 on
    local processes, up to 4 on Dask where each task costs tens of ms); results are the
    same whatever the chunk.

    A task that raises is reported in ``result.failures`` (with its parameters) and the
    sweep goes on. Ctrl-C stops submitting, stores what finished and returns a result
    marked ``interrupted`` (incomplete runs keep their parts for ``--resume``).
    """
    started = time.perf_counter()
    check_choice(workers=workers, scheduler=scheduler, dask_local=dask_local, executor=executor)
    if chunk is not None and chunk < 1:
        raise InputError(f"chunk: must be >= 1 replication per task, got {chunk}")
    sweep = resolve_sweep(spec, replications, seed, common_random_numbers)
    _check_rows(sweep)
    store: DirectoryStore | MemoryStore = MemoryStore()
    if out is not None:
        store = DirectoryStore(out, resume=resume, overwrite=overwrite)
    try:
        return _run(sweep, store, out, workers, scheduler, dask_local, executor, chunk, progress,
                    started)  # fmt: skip
    finally:
        store.close()


def _run(
    sweep: Sweep,
    store: DirectoryStore | MemoryStore,
    out: str | Path | None,
    workers: int | None,
    scheduler: str | None,
    dask_local: int | None,
    executor: Executor | None,
    chunk: int | None,
    progress: Progress | None,
    started: float,
) -> BatchResult:
    """The body of :func:`run_batch`, with ``--out`` locked by ``store``."""
    stored = _check_stored(sweep, store.stored()) if out is not None else set()
    todo = [
        (point, r)
        for r in range(sweep.replications)
        for point in sweep.points
        if (point.point_id, r) not in stored
    ]
    outcome = _Outcome()
    backend_name = "nothing to run"
    startup_s = running_s = 0.0
    if todo:
        opening = time.perf_counter()
        with open_backend(
            tasks=len(todo),
            workers=workers,
            scheduler=scheduler,
            dask_local=dask_local,
            executor=executor,
        ) as backend:
            backend_name = backend.description
            size = chunk_size(chunk, len(todo), backend.slots, backend.batch)
            if size > 1:
                backend_name += f", {size} replications per task"
            window = max(2, 2 * backend.slots)
            startup_s = time.perf_counter() - opening
            chunks = make_chunks(todo, size)
            _execute(backend.executor, window, chunks, store, outcome, progress)
            running_s = time.perf_counter() - opening - startup_s
    store.write_failures([f.to_dict() for f in outcome.failures])
    rows = store.rows()
    replications_frame = replications_table(rows, sweep)
    summary = summary_table(replications_frame, sweep)
    stored_count = len(stored) + outcome.done
    complete = stored_count == sweep.tasks
    outputs = store.finish(summary, replications_frame, complete) if not rows.empty else []
    return BatchResult(
        name=sweep.name,
        parameters=list(sweep.parameters),
        summary=summary,
        replications=replications_frame,
        tasks_total=sweep.tasks,
        tasks_stored=stored_count,
        tasks_resumed=len(stored),
        tasks_run=outcome.done,
        failures=outcome.failures,
        interrupted=outcome.interrupted,
        stopped=outcome.stopped,
        elapsed_s=time.perf_counter() - started,
        startup_s=startup_s,
        running_s=running_s,
        compute_s=outcome.compute_s,
        backend=backend_name,
        outputs=outputs,
        discarded=store.discarded,
    )


def _check_rows(sweep: Sweep) -> None:
    """Refuse a sweep whose per-replication KPI rows would not fit in memory (a guess from
    the first point: one row per channel KPI, group KPI and overall KPI)."""
    model = sweep.points[0].model
    per_task = 27 * len(model.channels) + 5 * len(model.groups) + 7
    rows = sweep.tasks * per_task
    if rows > limits.MAX_BATCH_ROWS:
        raise InputError(
            f"replications: {len(sweep.points):,} points x {sweep.replications:,} replications "
            f"would keep about {rows:,} KPI rows; the limit is {limits.MAX_BATCH_ROWS:,} "
            "(fewer points or replications, or several runs)"
        )


def resolve_sweep(
    spec: SweepSpec | Sweep | str | Path | Mapping[str, Any] | Sequence[Scenario],
    replications: int | None = None,
    seed: int | None = None,
    common_random_numbers: bool | None = None,
) -> Sweep:
    """Any accepted form of a sweep -> a validated :class:`Sweep` (every point compiled)."""
    if isinstance(spec, Sweep):
        if replications is None and seed is None and common_random_numbers is None:
            return spec
        raise InputError("replications/seed: give them when building the Sweep, not here")
    if isinstance(spec, str | Path):
        spec = SweepSpec.from_yaml(spec)
    elif isinstance(spec, Mapping) and spec and all(isinstance(v, Scenario) for v in spec.values()):
        return sweep_from_scenarios(spec, replications, seed, bool(common_random_numbers))
    elif isinstance(spec, Mapping):
        spec = SweepSpec.from_dict(spec)
    elif isinstance(spec, Sequence) and not isinstance(spec, SweepSpec):
        return sweep_from_scenarios(spec, replications, seed, bool(common_random_numbers))
    if not isinstance(spec, SweepSpec):
        raise InputError(f"spec: expected a sweep file or SweepSpec, got {type(spec).__name__}")
    return spec.resolve(replications, seed, common_random_numbers)


def replications_table(rows: pd.DataFrame, sweep: Sweep) -> pd.DataFrame:
    """Raw stored rows joined to the point columns, in point, replication, row order."""
    points = sweep.points_frame()
    columns = [
        "point",
        "point_id",
        *sweep.parameters,
        "seed",
        "scenario_digest",
        "replication",
        *_ROW_KEYS,
        "value",
    ]
    if rows.empty:
        return pd.DataFrame(columns=[*columns, *CHECK_COLUMNS])
    frame = rows.merge(points.drop(columns="seed"), on="point_id", how="inner")
    frame = frame.sort_values(["point", "replication", "order"], kind="stable")
    return add_checks(frame[columns].reset_index(drop=True))


def summary_table(replications: pd.DataFrame, sweep: Sweep) -> pd.DataFrame:
    """Mean and 95% CI over replications per point x entity x KPI (NaN values skipped,
    as for per-replication KPIs undefined in a replication)."""
    points = sweep.points_frame()
    columns = ["point", "point_id", *sweep.parameters, "seed", *_ROW_KEYS, *SUMMARY_STATS]
    if replications.empty:
        return pd.DataFrame(columns=columns)
    keys = ["point", *_ROW_KEYS]
    groups = replications.groupby(keys, sort=False).indices
    values = replications["value"].to_numpy(dtype=float)
    count = len(groups)
    mean, half, n = np.full(count, np.nan), np.full(count, np.nan), np.zeros(count, dtype=int)
    for i, index in enumerate(groups.values()):
        # simulate's own summary, so a point's numbers are bit-identical to
        # simulate(point.scenario, replications, seed=point.seed).
        mean[i], half[i], n[i] = summarise(values[index])
    stats = pd.DataFrame(list(groups), columns=keys)
    stats["mean"] = mean
    stats["ci_half_width"] = half
    stats["ci_low"], stats["ci_high"] = ci_bounds(stats.kpi, mean, half)
    stats["n"] = n.astype("int64")
    frame = stats.merge(points, on="point", how="left")
    return frame[columns].reset_index(drop=True)


def load_results(out: str | Path) -> BatchResult:
    """Read the outputs of a finished (or interrupted) batch run written to ``out``."""
    paths = OutputPaths.for_out(out)
    summary = read_table(paths.summary, paths.fmt)
    replications = (
        read_table(paths.replications, paths.fmt) if paths.replications.exists() else pd.DataFrame()
    )
    if not replications.empty:
        _, problems = verify_tasks(replications)
        if problems:
            shown = [
                f"{paths.replications}: {p.removesuffix('; computed again')}" for p in problems
            ]
            raise InputError(
                [*shown[:10], *([f"... and {len(shown) - 10} more"] if len(shown) > 10 else []),
                 "rerun the sweep with --resume on this --out to compute them again"]
            )  # fmt: skip
    columns = list(summary.columns)
    try:
        parameters = columns[columns.index("point_id") + 1 : columns.index("seed")]
    except ValueError:
        raise InputError(f"{paths.summary}: not a staffsim batch summary") from None
    tasks = (
        len(replications.drop_duplicates(["point_id", "replication"]))
        if not replications.empty
        else 0
    )
    return BatchResult(
        name=paths.summary.stem,
        parameters=parameters,
        summary=summary,
        replications=replications,
        tasks_total=tasks,
        tasks_stored=tasks,
        outputs=[paths.summary, paths.replications],
    )


# --------------------------------------------------------------------------------------
# the run loop
# --------------------------------------------------------------------------------------
@dataclass
class _Outcome:
    done: int = 0
    compute_s: float = 0.0
    failures: list[TaskFailure] = field(default_factory=list)
    interrupted: bool = False
    stopped: str | None = None


WORKER_DIED = "a worker process died (killed, or out of memory); finished tasks are stored"

Chunk = tuple[Point, tuple[int, ...]]
"""What one submitted task runs: some replications of one point."""


def _execute(
    executor: Executor,
    window: int,
    chunks: list[Chunk],
    store: DirectoryStore | MemoryStore,
    outcome: _Outcome,
    progress: Progress | None,
) -> None:
    """Keep up to ``window`` chunks submitted; store each replication as its chunk ends."""
    pending: dict[Future, Chunk] = {}
    queue = iter(chunks)
    total = sum(len(reps) for _, reps in chunks)
    try:
        while True:
            while len(pending) < window:
                chunk = next(queue, None)
                if chunk is None:
                    break
                point, reps = chunk
                try:
                    future = executor.submit(
                        run_chunk, point.model, point.seed, reps, point.point_id, point.digest
                    )
                except BrokenProcessPool:  # a worker died after the last results came in
                    outcome.stopped = WORKER_DIED
                    return
                pending[future] = chunk
            if not pending:
                return
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            carry_on = True
            for future in finished:  # store every finished chunk, even when stopping
                carry_on = _collect(future, *pending.pop(future), store, outcome) and carry_on
                if progress is not None:
                    progress(outcome.done + len(outcome.failures), total)
            if not carry_on:
                return
    except KeyboardInterrupt:
        outcome.interrupted = True
    finally:
        for future in pending:
            future.cancel()


def _collect(
    future: Future,
    point: Point,
    replications: tuple[int, ...],
    store: DirectoryStore | MemoryStore,
    outcome: _Outcome,
) -> bool:
    """Store a finished chunk and record its failed replications; False when the run must
    stop (interrupted, or the process pool lost a worker)."""
    try:
        output: ChunkOutput = future.result()
    except (KeyboardInterrupt, CancelledError):
        outcome.interrupted = True
        return False
    except BrokenProcessPool:
        outcome.stopped = WORKER_DIED
        return False
    except Exception as exc:  # the chunk never ran or its worker was lost (Dask)
        error, text = describe_error(exc)
        outcome.failures += [_failure(point, r, error, text) for r in replications]
        return True
    for result in output.results:
        store.write(result)
        outcome.done += 1
        outcome.compute_s += result.compute_s
    outcome.failures += [_failure(point, r, error, text) for r, error, text in output.errors]
    return True


def _failure(point: Point, replication: int, error: str, text: str) -> TaskFailure:
    return TaskFailure(
        point=point.index,
        point_id=point.point_id,
        params=point.params,
        replication=replication,
        error=error,
        traceback=text,
    )


def make_chunks(todo: list[tuple[Point, int]], size: int) -> list[Chunk]:
    """Group each point's missing replications, in order, into tasks of at most ``size``;
    chunks are ordered replication-major (first chunk of every point, then the second...)."""
    by_point: dict[str, tuple[Point, list[int]]] = {}
    for point, r in todo:
        by_point.setdefault(point.point_id, (point, []))[1].append(r)
    rounds: list[list[Chunk]] = []
    for point, reps in by_point.values():
        for k, start in enumerate(range(0, len(reps), size)):
            if k == len(rounds):
                rounds.append([])
            rounds[k].append((point, tuple(reps[start : start + size])))
    return [chunk for round_ in rounds for chunk in round_]


def chunk_size(requested: int | None, todo: int, slots: int, batch: int) -> int:
    """Replications per task: ``requested``, or automatically up to the backend's ``batch``
    (1 for local processes, whose per-task cost is a few ms; 4 for Dask, whose per-task cost
    is tens of ms) while keeping at least 4 tasks per slot for load balance."""
    if requested is not None:
        return requested
    return max(1, min(batch, todo // (4 * max(1, slots))))


def _check_stored(sweep: Sweep, stored: list[StoredTask]) -> set[tuple[str, int]]:
    """Stored tasks that belong to this sweep; refuse results of a different sweep."""
    by_id = {p.point_id: p for p in sweep.points}
    changed: dict[str, Point] = {}
    unknown: set[str] = set()
    beyond = 0
    keep: set[tuple[str, int]] = set()
    for task in stored:
        point = by_id.get(task.point_id)
        if point is None:
            unknown.add(task.point_id)
        elif task.seed != point.seed or task.digest != point.digest:
            changed[point.point_id] = point
        elif task.replication >= sweep.replications:
            beyond = max(beyond, task.replication + 1)
        else:
            keep.add((task.point_id, task.replication))
    why = "(the base scenario, set:, seed, common_random_numbers or staffsim's version changed)"
    matching = {t.point_id for t in stored if t.point_id in by_id}
    if changed and len(changed) == len(matching):
        problems = [
            f"--resume: the stored results of all {len(changed)} point(s) were computed for "
            f"another scenario or seed {why}"
        ]
    else:
        problems = [
            f"--resume: point {p.index} ({p.label()}): stored results were computed for "
            f"another scenario or seed {why}"
            for p in sorted(changed.values(), key=lambda p: p.index)[:10]
        ]
        if len(changed) > 10:
            problems.append(f"--resume: ... and {len(changed) - 10} more changed points")
    if unknown:
        problems.append(
            f"--resume: {len(unknown)} stored point(s) are not in this sweep "
            "(values removed from grid/zip?)"
        )
    if beyond:
        problems.append(
            f"--resume: {beyond} replications are stored but the sweep asks for "
            f"{sweep.replications}"
        )
    if problems:
        problems.append("use a new --out, or --overwrite to discard the stored results")
        raise InputError(problems)
    return keep


__all__ = [
    "OVERALL_ENTITY",
    "BatchResult",
    "Progress",
    "TaskFailure",
    "load_results",
    "replications_table",
    "resolve_sweep",
    "run_batch",
    "summary_table",
]
