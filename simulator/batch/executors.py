"""Where batch tasks run: this process, local worker processes, or a Dask cluster.

Every backend is a :class:`concurrent.futures.Executor`, so :func:`simulator.batch.run_batch`
has one code path: submit tasks (replications of one point), wait for the first to finish,
store it, submit the next. Dask's ``Client.get_executor()`` is such an executor.

* ``workers=1``: tasks run in this process, one at a time (easiest to debug).
* ``workers=N`` (default: all cores): a pool of N local processes. Workers ignore Ctrl-C;
  the parent handles it, stores what finished and stops cleanly. A worker whose parent is
  killed outright exits within a second (:func:`simulator.runner.local_pool`): no
  orphans keep running.
* ``dask_local=N``: starts a Dask ``LocalCluster`` of N single-threaded worker processes
  for the run and closes it afterwards. It costs ~3 s to start (each worker imports
  staffsim) and ~10% of throughput (scheduler and heartbeats share the cores), so on one
  machine ``workers=N`` is faster; the LocalCluster is the way to try the Dask path.
  Its workers are spawned, so a script calling it needs ``if __name__ == "__main__":``.
* ``scheduler="tcp://host:8786"``: connects to a running Dask cluster. Its workers need
  staffsim installed (same version) and should run one thread per process
  (``dask worker ADDR --nworkers N --nthreads 1``): the simulation is pure Python, so
  threads in one process do not run in parallel.

Dask (``pip install 'staffsim[dask]'``) is imported only when asked for.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from simulator.errors import InputError
from simulator.runner import local_pool, worker_count

DASK_MISSING = (
    "Dask is not installed: pip install 'staffsim[dask]' (or dask[distributed]); "
    "without it use --workers N for local processes"
)
DASK_BATCH = 4
"""Default replications per task on Dask (and on executors passed in): amortises ~25 ms of
scheduler and worker overhead per task (measured on a LocalCluster) over several
replications, while keeping tasks short enough for load balance and resume."""
WORKER_WAIT_S = 60
"""How long to wait for the first worker of a Dask cluster, seconds."""


@dataclass(frozen=True)
class Backend:
    """An open executor and what the run loop needs to know about it.

    ``slots`` is how many tasks run at once (the loop keeps about twice as many submitted,
    so workers never idle while the parent stores a result). ``description`` is for people
    ("2 local processes", "Dask LocalCluster, 2 workers"). ``batch`` is how many
    replications one task may carry by default: 1 where a task costs a few ms (this process,
    a local pool), more where it costs tens of ms (Dask: scheduler and worker round trips).
    """

    executor: Executor
    slots: int
    description: str
    batch: int = 1


def check_choice(
    *,
    workers: int | None,
    scheduler: str | None,
    dask_local: int | None,
    executor: Executor | None,
) -> None:
    """Reject contradictory or out-of-range choices before anything starts."""
    problems = []
    chosen = [
        name
        for name, value in (
            ("scheduler", scheduler),
            ("dask_local", dask_local),
            ("executor", executor),
        )
        if value is not None
    ]
    if len(chosen) > 1:
        problems.append(f"{' and '.join(chosen)}: choose one way to run the tasks")
    if workers is not None and (scheduler is not None or dask_local is not None):
        problems.append("workers: applies to local processes, not with a Dask cluster")
    if workers is not None and workers < 0:
        problems.append(f"workers: must be >= 0 (0 = all cores), got {workers}")
    if dask_local is not None and dask_local < 1:
        problems.append(f"dask_local: must be >= 1 worker, got {dask_local}")
    if scheduler is not None and not str(scheduler).strip():
        problems.append("scheduler: give the address of a Dask scheduler, e.g. tcp://host:8786")
    if problems:
        raise InputError(problems)


@contextmanager
def open_backend(
    *,
    tasks: int,
    workers: int | None = None,
    scheduler: str | None = None,
    dask_local: int | None = None,
    executor: Executor | None = None,
) -> Iterator[Backend]:
    """Open the chosen executor for ``tasks`` tasks; close what was opened here on exit.

    A caller-supplied ``executor`` is used as is and left open (``workers`` then tells how
    many tasks it runs at once; default: the number of CPUs).
    """
    check_choice(workers=workers, scheduler=scheduler, dask_local=dask_local, executor=executor)
    if executor is not None:
        slots = worker_count(workers)
        yield Backend(executor, slots, f"the given executor ({slots} slots)", DASK_BATCH)
        return
    if scheduler is not None or dask_local is not None:
        with _dask(scheduler, dask_local) as backend:
            yield backend
        return
    count = max(1, min(worker_count(workers), tasks))
    if count == 1:
        yield Backend(InlineExecutor(), 1, "this process")
        return
    pool = local_pool(count)
    try:
        yield Backend(pool, count, f"{count} local processes")
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


class InlineExecutor(Executor):
    """Runs each task in this process at ``submit`` time and returns a finished future.

    Exceptions from the task are stored in the future like any executor does; Ctrl-C
    (KeyboardInterrupt) propagates at once instead, so the run loop can stop cleanly.
    """

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as exc:
            future.set_exception(exc)
        return future


def _worker_imports() -> str:
    """Run on every Dask worker: import the task code now (so the first tasks do not pay
    for it) and report the staffsim version the worker has."""
    from importlib.metadata import PackageNotFoundError, version

    import simulator.batch.worker  # noqa: F401

    try:
        return version("staffsim")
    except PackageNotFoundError:
        return "unknown"


def _check_workers(client: Any, where: str) -> None:
    """Fail early, with a clear message, when the cluster's workers cannot run the tasks."""
    try:
        client.wait_for_workers(1, timeout=WORKER_WAIT_S)
    except TimeoutError:
        raise InputError(
            f"{where}: no worker joined within {WORKER_WAIT_S} s; start workers with "
            "`dask worker ADDR --nthreads 1`"
        ) from None
    try:
        client.run(_worker_imports)
    except Exception as exc:  # unpickling or importing on the worker; its type varies
        raise InputError(
            f"{where}: a worker cannot run staffsim tasks ({type(exc).__name__}: {exc}); "
            "install the same staffsim version on every worker"
        ) from None


@contextmanager
def _dask(scheduler: str | None, local_workers: int | None) -> Iterator[Backend]:
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise InputError(DASK_MISSING) from None
    import logging

    cluster = None
    if local_workers is not None:
        cluster = LocalCluster(
            n_workers=local_workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.ERROR,
        )
        try:
            client = Client(cluster)
        except BaseException:
            cluster.close()
            raise
        where = f"Dask LocalCluster, {local_workers} workers"
    else:
        try:
            client = Client(scheduler, timeout="10s")
        except (OSError, TimeoutError, ValueError) as exc:
            raise InputError(f"--scheduler: cannot connect to {scheduler}: {exc}") from None
        where = f"Dask cluster at {scheduler}"
    try:
        _check_workers(client, where)
        threads = sum(client.nthreads().values()) or 1
        # pure=False: every task is distinct work; no hashing of the arguments.
        described = where if local_workers is not None else f"{where}, {threads} threads"
        yield Backend(client.get_executor(pure=False), threads, described, DASK_BATCH)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


__all__ = ["DASK_MISSING", "Backend", "InlineExecutor", "check_choice", "open_backend"]
