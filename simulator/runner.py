"""Many replications of one scenario: the only place that knows about parallelism.

``simulate`` compiles the scenario once, runs replications ``0 .. n-1`` (in this process or
in a pool of worker processes), and aggregates them. Replication ``r`` always uses the
streams keyed by ``(seed, r, ...)``, so results are identical whatever the number of
workers and whatever order the workers finish in.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

from simulator.engine import run_replication
from simulator.errors import InputError
from simulator.model import CompiledModel, compile_scenario
from simulator.results import SimulationResult, aggregate
from simulator.scenario import Scenario
from simulator.stats import ReplicationStats

Progress = Callable[[int, int], None]
"""Called as ``progress(done, total)`` after each finished replication."""


def simulate(
    scenario: Scenario | str | Path,
    replications: int | None = None,
    seed: int | None = None,
    *,
    workers: int = 1,
    executor: Executor | None = None,
    progress: Progress | None = None,
    contact_log_dir: str | Path | None = None,
) -> SimulationResult:
    """Simulate ``replications`` independent replications and summarise them with 95% CIs.

    ``replications`` and ``seed`` default to the scenario's ``run`` settings. ``workers > 1``
    runs replications in that many local processes (``0`` = one per CPU); pass ``executor``
    (any ``concurrent.futures.Executor``, e.g. a Dask ``client.get_executor()``) to use your
    own. ``contact_log_dir`` (opt-in) writes ``contacts-<r>.csv`` per replication.

    Ctrl-C (KeyboardInterrupt) after at least one finished replication returns the
    replications done so far, marked ``interrupted=True``, instead of losing them.
    """
    if not isinstance(scenario, Scenario):
        scenario = Scenario.from_yaml(scenario)
    replications = scenario.run.replications if replications is None else replications
    seed = scenario.run.seed if seed is None else seed
    if replications < 1:
        raise InputError(f"replications: must be >= 1, got {replications}")
    if seed < 0:
        raise InputError(f"seed: must be >= 0, got {seed}")
    if workers < 0:
        raise InputError(f"workers: must be >= 0, got {workers}")
    model = compile_scenario(scenario)
    logs = _log_paths(contact_log_dir, replications)
    done: dict[int, ReplicationStats] = {}
    interrupted = False
    try:
        if executor is not None:
            _run_on(executor, model, seed, replications, logs, done, progress)
        elif workers != 1:
            count = (os.cpu_count() or 1) if workers == 0 else workers
            with ProcessPoolExecutor(max_workers=min(count, replications)) as pool:
                _run_on(pool, model, seed, replications, logs, done, progress)
        else:
            for r in range(replications):
                done[r] = run_replication(model, seed, r, contact_log=logs[r])
                if progress:
                    progress(len(done), replications)
    except KeyboardInterrupt:
        if not done:
            raise
        interrupted = True
    reps = [done[r] for r in sorted(done)]
    return aggregate(model, reps, seed=seed, targets=_targets(scenario), interrupted=interrupted)


def _run_on(
    executor: Executor,
    model: CompiledModel,
    seed: int,
    replications: int,
    logs: list[Path | None],
    done: dict[int, ReplicationStats],
    progress: Progress | None,
) -> None:
    futures = {
        executor.submit(run_replication, model, seed, r, contact_log=logs[r]): r
        for r in range(replications)
    }
    try:
        for future in as_completed(futures):
            done[futures[future]] = future.result()
            if progress:
                progress(len(done), replications)
    except KeyboardInterrupt:
        for future in futures:
            future.cancel()
        raise


def _log_paths(directory: str | Path | None, replications: int) -> list[Path | None]:
    if directory is None:
        return [None] * replications
    path = Path(directory)
    path.mkdir(parents=True, exist_ok=True)
    return [path / f"contacts-{r}.csv" for r in range(replications)]


def _targets(scenario: Scenario) -> dict[str, dict[str, Any]]:
    return {
        name: ch.targets.model_dump(exclude_none=True) for name, ch in scenario.channels.items()
    }


__all__ = ["Progress", "simulate"]
