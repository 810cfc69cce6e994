"""``staffsim batch SWEEP.yaml --out results.parquet``: run a parameter sweep.

Every point of the sweep is validated before anything runs; tasks (point x replication)
run on local processes (default: all cores), in this process (``--workers 1``) or on Dask
(``--dask-local N``, ``--scheduler ADDR``); results are stored as tasks finish, and an
interrupted run continues with ``--resume``. Exit status: 0 complete, 1 tasks failed or are
missing (a worker died), 2 bad input, 130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import argparse
import math

import pandas as pd

from simulator import limits
from simulator.batch.run import BatchResult, resolve_sweep, run_batch
from simulator.batch.sweep import Sweep
from simulator.cli.common import ProgressBar, add_progress_option, check_writable, positive_int
from simulator.errors import InputError

MAX_TABLE_POINTS = 20
"""The closing table lists at most this many points (all are in the output files)."""


ORDER = 70
"""Where ``staffsim --help`` lists this command."""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "batch",
        help="run a parameter sweep (many scenarios x replications) to Parquet/CSV",
        description="Run every point of a sweep file for its replications, in parallel, "
        "storing results as they finish. The summary (point x entity x KPI with 95%% CIs) "
        "goes to --out; the raw per-replication values to <name>.replications.<ext>.",
    )
    parser.add_argument("sweep", help="sweep YAML file (base scenario + parameters to vary)")
    parser.add_argument(
        "--out", "-o", help="results file: .parquet (needs pyarrow), .csv or .csv.gz"
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--workers", type=int, help="local processes (default: all cores; 1 = this process)"
    )
    where.add_argument("--scheduler", metavar="ADDR", help="Dask scheduler, tcp://host:8786")
    where.add_argument(
        "--dask-local", type=int, metavar="N", help="start a Dask LocalCluster of N workers"
    )
    parser.add_argument(
        "--resume", action="store_true", help="keep stored results, run only missing tasks"
    )
    parser.add_argument(
        "--overwrite", action="store_true", help="discard results already stored at --out"
    )
    parser.add_argument(
        "--chunk",
        type=int,
        metavar="N",
        help="replications per submitted task (default: 1 locally, up to 4 on Dask)",
    )
    parser.add_argument("--replications", "-n", type=int, help="override the sweep's")
    parser.add_argument("--seed", type=int, help="override the sweep's seed")
    parser.add_argument(
        "--common-random-numbers",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="all points share the seed (precise differences between points); "
        "default: the sweep file's setting",
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="validate and list the points; run nothing"
    )
    add_progress_option(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    positive_int("--replications", args.replications)
    positive_int("--workers", args.workers, minimum=0)
    positive_int("--dask-local", args.dask_local)
    positive_int("--chunk", args.chunk)
    if args.seed is not None:
        problems = limits.check_seed(args.seed, field="--seed")
        if problems:
            raise InputError(problems)
    if args.replications is not None and args.replications > limits.MAX_REPLICATIONS:
        raise InputError(
            f"--replications: must be <= {limits.MAX_REPLICATIONS:,}, got {args.replications:,}"
        )
    if args.resume and args.overwrite:
        raise InputError("--resume/--overwrite: choose one")
    sweep = resolve_sweep(args.sweep, args.replications, args.seed, args.common_random_numbers)
    if args.dry_run:
        print(format_points(sweep))
        return 0
    if not args.out:
        raise InputError("--out: required (results.parquet or results.csv); or use --dry-run")
    check_writable(args.out)  # before any task runs
    bar = ProgressBar("batch", enabled=args.progress)
    try:
        result = run_batch(
            sweep,
            workers=args.workers,
            scheduler=args.scheduler,
            dask_local=args.dask_local,
            out=args.out,
            resume=args.resume,
            overwrite=args.overwrite,
            chunk=args.chunk,
            progress=bar,
        )
    finally:
        bar.close()
    print(format_report(result, sweep))
    if result.interrupted:
        return 130
    return 0 if result.complete else 1


def format_points(sweep: Sweep) -> str:
    """The ``--dry-run`` listing: every point with its parameters and seed."""
    seeding = "common random numbers" if sweep.common_random_numbers else "a seed per point"
    lines = [
        f"{sweep.name}: {len(sweep.points)} points x {sweep.replications} replications = "
        f"{sweep.tasks} tasks; seed {sweep.seed}, {seeding}",
        "",
        sweep.points_frame().to_string(index=False),
    ]
    return "\n".join(lines)


def format_report(result: BatchResult, sweep: Sweep) -> str:
    """The closing summary: what ran, what failed, where it went, key KPIs per point."""
    lines = [
        f"{result.name}: {len(sweep.points)} points x {sweep.replications} replications = "
        f"{result.tasks_total} tasks"
    ]
    if result.tasks_run or result.failures or not result.complete:
        lines.append(
            f"ran {result.tasks_run} task(s) in {result.elapsed_s:,.1f} s on {result.backend}"
            f" ({result.tasks_resumed} already stored; worker time {result.compute_s:,.1f} s)"
        )
    else:
        lines.append(f"all {result.tasks_total} tasks were already stored: nothing to run")
    if result.failures:
        lines.append(f"FAILED: {len(result.failures)} task(s); the sweep went on:")
        lines += [f"  {f.describe()}" for f in result.failures[:10]]
        if len(result.failures) > 10:
            lines.append(f"  ... and {len(result.failures) - 10} more")
    if result.discarded:
        lines.append(
            f"DISCARDED: {len(result.discarded)} stored task(s) failed their row count or "
            "checksum and were computed again:"
        )
        lines += [f"  {line}" for line in result.discarded[:10]]
        if len(result.discarded) > 10:
            lines.append(f"  ... and {len(result.discarded) - 10} more")
    if result.stopped:
        lines.append(f"STOPPED: {result.stopped}")
    if result.interrupted:
        lines.append("INTERRUPTED")
    if result.outputs:
        written = ", ".join(str(p) for p in result.outputs)
        lines.append(
            f"wrote {written} ({len(result.summary):,} summary rows, "
            f"{len(result.replications):,} replication rows)"
        )
    if not result.complete:
        lines.append(
            f"incomplete: {result.missing} task(s) missing; run the same command with "
            "--resume to compute only those"
        )
    table = key_kpis(result)
    if not table.empty:
        lines += ["", "mean ± 95% CI half-width", table.to_string(index=False)]
        if len(sweep.points) > MAX_TABLE_POINTS:
            lines.append(f"... {len(sweep.points) - MAX_TABLE_POINTS} more points in the file")
    return "\n".join(lines)


def key_kpis(result: BatchResult) -> pd.DataFrame:
    """Per point: the parameters, each channel's service level, overall abandon rate and
    cost, as readable strings (first ``MAX_TABLE_POINTS`` points)."""
    summary = result.summary
    if summary.empty:
        return pd.DataFrame()
    shown = sorted(summary["point"].unique())[:MAX_TABLE_POINTS]
    summary = summary[summary["point"].isin(shown)]
    table = summary.drop_duplicates("point")[["point", *result.parameters]].set_index("point")
    wanted = [("channel", ch, "service_level", f"SL {ch}") for ch in _channels(summary)]
    wanted += [
        ("overall", "all", "abandon_rate", "abandon"),
        ("overall", "all", "cost", "cost"),
    ]
    for entity_type, entity, kpi, title in wanted:
        rows = summary[
            (summary.entity_type == entity_type) & (summary.entity == entity) & (summary.kpi == kpi)
        ].set_index("point")
        if rows.empty or rows["mean"].isna().all():
            continue
        table[title] = [
            _fmt(rows["mean"].get(p, math.nan), rows["ci_half_width"].get(p, math.nan), kpi)
            for p in table.index
        ]
    return table.reset_index()


def _channels(summary: pd.DataFrame) -> list[str]:
    return list(dict.fromkeys(summary.loc[summary.entity_type == "channel", "entity"]))


def _fmt(mean: float, half: float, kpi: str) -> str:
    if math.isnan(mean):
        return "n/a"
    if kpi in ("service_level", "abandon_rate"):
        text = f"{mean:.1%}"
        return text if math.isnan(half) else f"{text} ± {half * 100:.1f}"
    text = f"{mean:,.0f}"
    return text if math.isnan(half) else f"{text} ± {half:,.0f}"


__all__ = ["format_points", "format_report", "key_kpis", "register", "run"]
