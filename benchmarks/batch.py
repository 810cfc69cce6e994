"""Batch sweep throughput: 1 worker vs 2 local processes vs a 2-worker Dask LocalCluster.

The sweep is ``scenarios/sweep_volume.yaml`` (the retail bank's weekday, 20 points x 10
replications = 200 tasks). Each configuration runs the whole sweep through the public
``run_batch`` call, writing Parquet as tasks finish (so storage is included), in one process,
one after the other:

* **1 worker**: tasks run in this process (``workers=1``), the baseline;
* **2 local processes**: ``workers=2`` (a ``ProcessPoolExecutor``);
* **Dask LocalCluster, 2 workers**: ``dask_local=2`` (single-threaded worker processes);
  the wall time includes starting and closing the cluster.

Reported per configuration: wall time, speed-up over 1 worker (goal: >= 1.8x on 2 cores
for both parallel engines), and the *overhead per task*: ``(wall x workers - worker compute)
/ tasks``, i.e. worker capacity per task not spent simulating (dispatch, pickling, storing
results, start-up, the idle tail at the end). Then the CPU seconds of each run (this
process and its worker processes) and the extra CPU per task over the 1-worker run: the
cost of parallelism itself, which other programs on the machine barely disturb. The three
runs must give identical results; the script checks it. Load average before and after is
printed: on a shared machine any other busy process lowers the measured speed-up.

Usage::

    .venv/bin/python benchmarks/batch.py                  # 20 x 10, ~1-2 minutes on 2 cores
    .venv/bin/python benchmarks/batch.py --replications 4 # quicker
    .venv/bin/python benchmarks/batch.py --no-dask        # without dask installed
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pandas as pd

from simulator.batch import BatchResult, Sweep, resolve_sweep, run_batch

ROOT = Path(__file__).resolve().parent.parent
GOAL_SPEEDUP = 1.8


@dataclass(frozen=True)
class Timing:
    label: str
    workers: int
    tasks: int
    wall_s: float
    startup_s: float
    running_s: float
    compute_s: float
    cpu_s: float

    @property
    def overhead_per_task_ms(self) -> float:
        return (self.wall_s * self.workers - self.compute_s) / self.tasks * 1000


def timed(
    sweep: Sweep, label: str, slots: int, out: Path, **how: object
) -> tuple[Timing, BatchResult]:
    """Run the whole sweep once; wall time includes starting and closing the executor."""
    cpu_before = _cpu_s()
    started = time.perf_counter()
    result = run_batch(sweep, out=out, **how)  # type: ignore[arg-type]
    wall = time.perf_counter() - started
    cpu = _cpu_s() - cpu_before
    if not result.complete:
        raise SystemExit(f"{label}: incomplete run ({result.failures or result.stopped})")
    timing = Timing(
        label,
        slots,
        result.tasks_run,
        wall,
        result.startup_s,
        result.running_s,
        result.compute_s,
        cpu,
    )
    return timing, result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sweep", default=str(ROOT / "scenarios" / "sweep_volume.yaml"))
    parser.add_argument("--replications", "-n", type=int, default=None)
    parser.add_argument("--no-dask", action="store_true", help="skip the Dask LocalCluster")
    parser.add_argument("--json", action="store_true", help="also print the numbers as JSON")
    args = parser.parse_args(argv)

    sweep = resolve_sweep(args.sweep, args.replications)
    print(
        f"sweep: {sweep.name}: {len(sweep.points)} points x {sweep.replications} replications"
        f" = {sweep.tasks} tasks"
    )
    print(
        f"machine: {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"load average before {_load()}"
    )
    runs: list[tuple[str, int, dict[str, object]]] = [
        ("1 worker (in process)", 1, {"workers": 1}),
        ("2 local processes", 2, {"workers": 2}),
    ]
    if not args.no_dask:
        runs.append(("Dask LocalCluster, 2 workers", 2, {"dask_local": 2}))
    timings: list[Timing] = []
    summaries: list[pd.DataFrame] = []
    with tempfile.TemporaryDirectory() as tmp:
        for i, (label, slots, how) in enumerate(runs):
            timing, result = timed(sweep, label, slots, Path(tmp) / f"run{i}.parquet", **how)
            timings.append(timing)
            summaries.append(result.summary)
            print(f"  {label:<30} {timing.wall_s:7.1f} s", flush=True)
    for summary in summaries[1:]:
        pd.testing.assert_frame_equal(summaries[0], summary, check_exact=True)
    print(f"load average after {_load()}; results identical in all runs: yes")
    base = timings[0]
    per_task = base.compute_s / base.tasks
    print(f"one task (replication + KPI rows) takes {per_task * 1000:.0f} ms of compute\n")
    print(
        f"{'configuration':<30} {'wall s':>7} {'start-up s':>10} {'speed-up':>9} "
        f"{'tasks only':>10} {'overhead/task':>14}  goal >= {GOAL_SPEEDUP}x"
    )
    for t in timings:
        speedup = base.wall_s / t.wall_s
        steady = base.running_s / t.running_s
        goal = "" if t.workers == 1 else ("met" if speedup >= GOAL_SPEEDUP else "MISSED")
        print(
            f"{t.label:<30} {t.wall_s:7.1f} {t.startup_s:10.1f} {speedup:8.2f}x "
            f"{steady:9.2f}x {t.overhead_per_task_ms:11.1f} ms  {goal}"
        )
    print(
        "wall and speed-up include start-up (process pool; Dask cluster start and worker "
        "imports), shut-down and writing Parquet;\n'tasks only' compares the time from the "
        "first submitted task to the last result"
    )
    print(
        f"\nCPU time (robust to other load on the machine); extra = CPU beyond the "
        f"1-worker run, per task:\n{'configuration':<30} {'CPU s':>7} {'extra/task':>11}"
    )
    for t in timings:
        extra = (t.cpu_s - base.cpu_s) / t.tasks * 1000
        print(f"{t.label:<30} {t.cpu_s:7.1f} {extra:8.1f} ms")
    if args.json:
        print(json.dumps([asdict(t) | {"speedup": base.wall_s / t.wall_s} for t in timings]))
    return 0


def _cpu_s() -> float:
    """CPU seconds used so far by this process and its finished children (worker processes
    count once the pool or cluster has closed). Unlike wall time, CPU time is hardly
    inflated when other programs compete for the cores."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def _load() -> str:
    """1-minute load average (number of busy processes; 2 = both cores fully used)."""
    return f"{os.getloadavg()[0]:.2f}"


if __name__ == "__main__":
    raise SystemExit(main())
