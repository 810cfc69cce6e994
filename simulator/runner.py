"""Many replications of one scenario: the only place that knows about parallelism.

``simulate`` compiles the scenario once, runs replications ``0 .. n-1`` (in this process or
in a pool of worker processes), and aggregates them. Replication ``r`` always uses the
streams keyed by ``(seed, r, ...)``, so results are identical whatever the number of
workers and whatever order the workers finish in.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

from simulator import limits
from simulator.engine import run_replication
from simulator.errors import InputError
from simulator.model import CompiledModel, compile_scenario
from simulator.results import SimulationResult, aggregate
from simulator.scenario import Scenario
from simulator.stats import ReplicationStats
from simulator.targets import scenario_targets

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
    problems = limits.replications_problems(
        replications,
        len(scenario.channels),
        len(scenario.agent_groups),
        scenario.horizon.n_intervals,
        field="replications",
    )
    problems += limits.check_seed(seed, field="seed")
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 0:
        problems.append(f"workers: must be a whole number >= 0, got {workers!r}")
    if problems:
        raise InputError(problems)
    logs = _log_paths(contact_log_dir, replications)
    model = compile_scenario(scenario)
    done: dict[int, ReplicationStats] = {}
    interrupted = False
    try:
        if executor is not None:
            _run_on(executor, model, seed, replications, logs, done, progress)
        elif workers != 1:
            with local_pool(workers, tasks=replications) as pool:
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
    return aggregate(
        model,
        reps,
        seed=seed,
        targets=_targets(scenario),
        interrupted=interrupted,
        target_list=tuple(scenario_targets(scenario)),
    )


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
    """The contact-log file of each replication, the folder created and checked writable
    *before* any replication runs (a bad folder then costs nothing)."""
    if directory is None:
        return [None] * replications
    path = Path(directory)
    if path.exists() and not path.is_dir():
        raise InputError(
            f"contact_log_dir: {path} is a file; give a folder (one contacts-<r>.csv is "
            "written per replication)"
        )
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / f".staffsim-write-test-{os.getpid()}"
        probe.touch()
        probe.unlink()
    except OSError as exc:
        raise InputError(
            f"contact_log_dir: cannot write in {path}: {exc.strerror or exc}"
        ) from None
    return [path / f"contacts-{r}.csv" for r in range(replications)]


def worker_count(workers: int | None) -> int:
    """Local worker processes for ``workers``: ``0`` or None mean one per CPU."""
    return (os.cpu_count() or 1) if workers in (None, 0) else int(workers)


def local_pool(workers: int | None, *, tasks: int | None = None) -> ProcessPoolExecutor:
    """The one way staffsim creates local worker processes (``simulate``, batch runs, the
    optimizer): :func:`worker_count` processes (at most ``tasks``), each started by
    :func:`worker_setup`."""
    count = worker_count(workers)
    if tasks is not None:
        count = max(1, min(count, tasks))
    return ProcessPoolExecutor(max_workers=count, initializer=worker_setup)


def worker_setup() -> None:
    """Initializer of every local worker process (``simulate`` and batch pools).

    Ctrl-C goes to the parent only, which cancels the pool and keeps what finished, so
    workers do not print a traceback each. And a worker whose parent is gone (killed with
    SIGKILL, which no handler sees) exits within a second instead of waiting for work for
    ever: a daemon thread compares the parent's process id with the one it started under.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(_PARENT_CHECK_S)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, name="staffsim-parent-watch", daemon=True).start()


_PARENT_CHECK_S = 0.5
"""How often a worker checks that its parent still runs, seconds."""


def _targets(scenario: Scenario) -> dict[str, dict[str, Any]]:
    return {
        name: ch.targets.model_dump(exclude_none=True) for name, ch in scenario.channels.items()
    }


__all__ = ["Progress", "local_pool", "simulate", "worker_count", "worker_setup"]
