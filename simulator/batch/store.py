"""Batch results on disk: one part file per finished task, compacted into Parquet or CSV.

Layout for ``--out results.parquet`` (``results.csv`` / ``results.csv.gz`` alike)::

    results.parquet                  summary: point x entity x KPI, mean and 95% CI
    results.replications.parquet     raw rows: point x replication x entity x KPI, value
    results.parquet.parts/           while a run is unfinished:
        <point_id>-r<replication>.json   one per finished (point, replication) task
        failures.json                    tasks that raised, with parameters and traceback

    results.parquet.lock             held while a run writes here (see below)

Why this design survives Ctrl-C, ``kill -9`` and lost workers: a task's rows are written to
a temporary file and renamed into place (atomic on POSIX and Windows), so a part file is
either complete or absent, and its name is its key, so a task can never be stored twice.
Only the parent process writes. ``--resume`` reads the parts (and the replications file
of an earlier finished or interrupted run), checks that each was computed for the same
scenario, seed and staffsim version, and runs only the missing tasks. When every task is
stored the two output files are rewritten (again atomically) and the parts folder is
removed; the replications file then carries the raw rows needed to extend the run later
(more replications, more points) with ``--resume``.

Tamper-evident: every stored task carries its row count and a checksum of its rows (SHA-256
of the task's key and rows, :func:`task_checksum`): in its part file (``n_rows``,
``checksum``) and on each of its rows in the replications file (``task_rows``,
``task_checksum``). A part or a task whose rows do not match (a value altered, rows deleted,
a malformed file) is not trusted: it is set aside, reported (``discarded``) and computed
again. Exclusive: a run holds an operating-system lock on ``<out>.lock`` (released by the
system even when the process is killed), and a second run on the same ``--out`` is refused
at once with a clear message instead of both writing the same files.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import shutil
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from filelock import FileLock, Timeout

from simulator.errors import InputError

PART_FORMAT = 2  # 2: parts carry n_rows and checksum
ROW_COLUMNS = ["entity_type", "entity", "kpi", "value"]
KEY_COLUMNS = ["point_id", "replication", "seed", "scenario_digest"]
CHECK_COLUMNS = ["task_rows", "task_checksum"]
"""Per-row copies of the task's row count and checksum, in the replications file."""
_TEXT_COLUMNS = ["point_id", "scenario_digest", "entity_type", "entity", "kpi"]
_FORMATS = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv", ".csv.gz": "csv"}


@dataclass(frozen=True)
class TaskResult:
    """The KPI values of one replication of one point, as a worker returns them.

    ``rows`` are ``(entity_type, entity, kpi, value)`` in a fixed order (channels, groups,
    overall); ``compute_s`` is the worker's wall time for the task, in seconds.
    """

    point_id: str
    replication: int
    seed: int
    digest: str
    rows: list[tuple[str, str, str, float]]
    compute_s: float = 0.0


@dataclass(frozen=True)
class StoredTask:
    """The identity of a stored task, used to decide what ``--resume`` still has to run."""

    point_id: str
    replication: int
    seed: int
    digest: str


@dataclass(frozen=True)
class OutputPaths:
    """Where one batch run writes (see the module docstring)."""

    summary: Path
    replications: Path
    parts: Path
    fmt: str

    @classmethod
    def for_out(cls, out: str | Path) -> OutputPaths:
        path = Path(out)
        name = path.name.lower()
        suffix = next((s for s in sorted(_FORMATS, key=len, reverse=True) if name.endswith(s)), "")
        if not suffix or len(name) == len(suffix):
            raise InputError(
                f"--out: {out}: name the file with .parquet (needs pyarrow) or .csv/.csv.gz"
            )
        fmt = _FORMATS[suffix]
        if fmt == "parquet":
            try:
                import pyarrow  # noqa: F401
            except ImportError:
                raise InputError(
                    f"--out: {out}: Parquet needs pyarrow: pip install 'staffsim[parquet]', "
                    "or write CSV (--out results.csv)"
                ) from None
        stem = path.name[: len(path.name) - len(suffix)]
        return cls(
            summary=path,
            replications=path.with_name(f"{stem}.replications{path.name[len(stem) :]}"),
            parts=path.with_name(path.name + ".parts"),
            fmt=fmt,
        )


class MemoryStore:
    """Keeps task results in memory: ``run_batch`` without ``out`` (no resume)."""

    def __init__(self) -> None:
        self._results: dict[tuple[str, int], TaskResult] = {}

    def stored(self) -> list[StoredTask]:
        return [
            StoredTask(r.point_id, r.replication, r.seed, r.digest) for r in self._results.values()
        ]

    def write(self, result: TaskResult) -> None:
        self._results[(result.point_id, result.replication)] = result

    def write_failures(self, failures: list[dict[str, Any]]) -> None:
        """Nothing to persist: failures are on the returned result."""

    def rows(self) -> pd.DataFrame:
        return rows_frame(self._results.values())

    def finish(self, summary: pd.DataFrame, replications: pd.DataFrame, complete: bool) -> list:
        return []

    def close(self) -> None:
        """Nothing held."""

    @property
    def discarded(self) -> list[str]:
        return []


class DirectoryStore:
    """Part files in ``<out>.parts/`` and the compacted outputs (module docstring)."""

    def __init__(self, out: str | Path, *, resume: bool = False, overwrite: bool = False):
        self.paths = OutputPaths.for_out(out)
        self.resume = resume
        self._previous_frame: pd.DataFrame | None = None
        self._discarded: list[str] = []
        self._lock = _acquire(self.paths)
        try:
            self._prepare(overwrite)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Release the ``--out`` lock (the lock file stays: removing it could let two
        runs lock two different files of the same name)."""
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    @property
    def discarded(self) -> list[str]:
        """Stored tasks set aside because they failed their check (one line each)."""
        return list(self._discarded)

    def _prepare(self, overwrite: bool) -> None:
        existing = [
            p for p in (self.paths.summary, self.paths.replications, self.paths.parts) if p.exists()
        ]
        if existing and overwrite:
            for path in existing:
                _remove(path)
        elif existing and not self.resume:
            names = ", ".join(str(p) for p in existing)
            raise InputError(
                f"--out: {names} already exist(s): pass --resume to keep those results and "
                "run only the missing tasks, or --overwrite to start afresh"
            )
        for leftover in self.paths.parts.glob(".*.tmp"):
            leftover.unlink(missing_ok=True)  # a write cut short by a kill; never renamed
        self._ready = False

    # ---- what is there ---------------------------------------------------------------
    def stored(self) -> list[StoredTask]:
        """Tasks already stored: part files plus an earlier run's replications file."""
        keys: dict[tuple[str, int], StoredTask] = {}
        previous = self._previous()
        if previous is not None and not previous.empty:
            first = previous.drop_duplicates(["point_id", "replication"])
            for pid, rep, seed, digest in first[KEY_COLUMNS].itertuples(index=False):
                keys[(pid, int(rep))] = StoredTask(pid, int(rep), int(seed), digest)
        for part in self._parts():
            key = (part.point_id, part.replication)
            keys[key] = StoredTask(part.point_id, part.replication, part.seed, part.digest)
        return list(keys.values())

    def rows(self) -> pd.DataFrame:
        """Every stored raw row (parts win over the earlier replications file)."""
        parts = rows_frame(self._parts())
        previous = self._previous()
        if previous is None or previous.empty:
            return parts
        previous = previous[[*KEY_COLUMNS, *ROW_COLUMNS]].copy()
        previous["order"] = previous.groupby(["point_id", "replication"]).cumcount()
        if not parts.empty:
            done = pd.MultiIndex.from_frame(parts[["point_id", "replication"]].drop_duplicates())
            keep = ~pd.MultiIndex.from_frame(previous[["point_id", "replication"]]).isin(done)
            previous = previous[keep]
        return pd.concat([previous, parts], ignore_index=True)

    # ---- writing ---------------------------------------------------------------------
    def write(self, result: TaskResult) -> None:
        """Store one finished task atomically (temporary file, then rename)."""
        payload = {
            "format": PART_FORMAT,
            "point_id": result.point_id,
            "replication": result.replication,
            "seed": result.seed,
            "digest": result.digest,
            "compute_s": result.compute_s,
            "n_rows": len(result.rows),
            "checksum": task_checksum(
                result.point_id, result.replication, result.seed, result.digest, result.rows
            ),
            "rows": [list(row) for row in result.rows],
        }
        name = f"{result.point_id}-r{result.replication:06d}.json"
        self._ensure_folder()
        _atomic_write_text(self.paths.parts / name, json.dumps(payload))

    def write_failures(self, failures: list[dict[str, Any]]) -> None:
        """Record this run's failed tasks next to the parts (replaced by each run)."""
        path = self.paths.parts / "failures.json"
        if failures:
            self._ensure_folder()
            _atomic_write_text(path, json.dumps(failures, indent=1))
        else:
            path.unlink(missing_ok=True)

    def finish(
        self, summary: pd.DataFrame, replications: pd.DataFrame, complete: bool
    ) -> list[Path]:
        """Write both outputs atomically; remove the parts folder once the run is complete
        (the replications file then holds every raw row)."""
        written = []
        for frame, path in ((replications, self.paths.replications), (summary, self.paths.summary)):
            write_table(frame, path, self.paths.fmt)
            written.append(path)
        if complete:
            shutil.rmtree(self.paths.parts, ignore_errors=True)
        return written

    # ---- helpers ---------------------------------------------------------------------
    def _ensure_folder(self) -> None:
        """Create the parts folder with the first result, so a run that stops before any
        task finished leaves nothing behind."""
        if self._ready:
            return
        try:
            self.paths.parts.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(f"--out: cannot create {self.paths.parts}: {exc}") from None
        self._ready = True

    def _parts(self) -> Iterator[TaskResult]:
        for path in sorted(self.paths.parts.glob("*-r*.json")):
            data, problem = _read_part(path)
            if data is None:
                # Unreadable, malformed or failing its checksum: not trusted. Set aside
                # (renamed, so it can be looked at) and computed again.
                self._discarded.append(f"{path.name}: {problem}")
                with contextlib.suppress(OSError):
                    os.replace(path, path.with_name(path.name + ".discarded"))
                continue
            yield TaskResult(**data)

    def _previous(self) -> pd.DataFrame | None:
        """The replications file of an earlier run (read once; only ``finish`` rewrites it)."""
        if self._previous_frame is None and self.paths.replications.exists():
            self._previous_frame = self._read_previous()
        return self._previous_frame

    def _read_previous(self) -> pd.DataFrame:
        frame = read_table(self.paths.replications, self.paths.fmt)
        missing = [c for c in [*KEY_COLUMNS, *ROW_COLUMNS] if c not in frame.columns]
        if missing:
            raise InputError(
                f"--resume: {self.paths.replications} is not a staffsim replications file "
                f"(missing columns: {', '.join(missing)})"
            )
        good, problems = verify_tasks(frame)
        self._discarded += [f"{self.paths.replications.name}: {p}" for p in problems]
        return good


def task_checksum(
    point_id: str,
    replication: int,
    seed: int,
    digest: str,
    rows: Iterable[tuple[str, str, str, float]],
) -> str:
    """SHA-256 (16 hex digits) of one task's key and rows, in order: what a stored task
    must still hash to. Values enter as ``repr(float)``, exact for every float."""
    h = hashlib.sha256(f"{point_id}|{int(replication)}|{int(seed)}|{digest}\n".encode())
    for entity_type, entity, kpi, value in rows:
        h.update(f"{entity_type}|{entity}|{kpi}|{float(value)!r}\n".encode())
    return h.hexdigest()[:16]


def add_checks(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` (rows of tasks, in row order) with each task's ``task_rows`` and
    ``task_checksum`` on every one of its rows."""
    frame = frame.copy()
    if frame.empty:
        frame["task_rows"] = pd.Series(dtype="int64")
        frame["task_checksum"] = pd.Series(dtype="object")
        return frame
    keys = ["point_id", "replication"]
    sums: dict[tuple[str, int], str] = {}
    for key, task in frame.groupby(keys, sort=False):
        first = task.iloc[0]
        sums[key] = task_checksum(
            first["point_id"],
            first["replication"],
            first["seed"],
            first["scenario_digest"],
            task[ROW_COLUMNS].itertuples(index=False),
        )
    index = pd.MultiIndex.from_frame(frame[keys])
    frame["task_rows"] = frame.groupby(keys, sort=False)["kpi"].transform("size").astype("int64")
    frame["task_checksum"] = [sums[k] for k in index]
    return frame


def verify_tasks(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """The rows of the tasks that still match their row count and checksum, and one line
    per task that does not (altered values, deleted or added rows, no checks at all)."""
    if frame.empty:
        return frame, []
    if any(c not in frame.columns for c in CHECK_COLUMNS):
        return frame.iloc[0:0], [
            "no row counts and checksums (written by an older staffsim, or edited): "
            "every task is computed again"
        ]
    keys = ["point_id", "replication"]
    keep = pd.Series(True, index=frame.index)
    problems: list[str] = []
    for (pid, rep), task in frame.groupby(keys, sort=False):
        first = task.iloc[0]
        problem = ""
        try:
            expected_rows = {int(x) for x in task["task_rows"]}
            expected_sum = set(task["task_checksum"].astype(str))
            if len(expected_rows) != 1 or len(expected_sum) != 1:
                problem = "its rows disagree on the task's row count or checksum"
            elif len(task) != expected_rows.pop():
                problem = f"{len(task)} rows where {int(first['task_rows'])} were written"
            elif (
                task_checksum(
                    pid,
                    rep,
                    first["seed"],
                    first["scenario_digest"],
                    task[ROW_COLUMNS].itertuples(index=False),
                )
                != expected_sum.pop()
            ):
                problem = "its values do not match their checksum (altered?)"
        except (TypeError, ValueError, OverflowError):
            problem = "unreadable row count or checksum"
        if problem:
            keep[task.index] = False
            problems.append(f"point {pid} replication {rep}: {problem}; computed again")
    return frame[keep], problems


def rows_frame(results: Iterable[TaskResult]) -> pd.DataFrame:
    """Raw rows of task results as one DataFrame (``order`` = row position in its task)."""
    columns: dict[str, list[Any]] = {c: [] for c in [*KEY_COLUMNS, "order", *ROW_COLUMNS]}
    for r in results:
        n = len(r.rows)
        columns["point_id"] += [r.point_id] * n
        columns["replication"] += [r.replication] * n
        columns["seed"] += [r.seed] * n
        columns["scenario_digest"] += [r.digest] * n
        columns["order"] += range(n)
        for i, name in enumerate(ROW_COLUMNS):
            columns[name] += [row[i] for row in r.rows]
    frame = pd.DataFrame(columns)
    return frame.astype(
        {"replication": "int64", "seed": "int64", "order": "int64", "value": "float64"}
    )


def write_table(frame: pd.DataFrame, path: Path, fmt: str) -> None:
    """Write Parquet or CSV atomically (temporary file in the same folder, then rename)."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if fmt == "parquet":
            frame.to_parquet(tmp, index=False)
        else:
            compression = "gzip" if path.name.lower().endswith(".gz") else None
            frame.to_csv(tmp, index=False, compression=compression)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise InputError(f"--out: cannot write {path}: {exc.strerror or exc}") from None


def read_table(path: Path, fmt: str | None = None) -> pd.DataFrame:
    """Read a summary or replications file written by :func:`write_table`."""
    fmt = fmt or OutputPaths.for_out(path).fmt
    try:
        if fmt == "parquet":
            return pd.read_parquet(path)
        return pd.read_csv(path, dtype={c: str for c in [*_TEXT_COLUMNS, "task_checksum"]})
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: cannot read: {exc}") from None


_PART_KEYS = {
    "format": int,
    "point_id": str,
    "replication": int,
    "seed": int,
    "digest": str,
    "compute_s": (int, float),
    "n_rows": int,
    "checksum": str,
    "rows": list,
}


def _read_part(path: Path) -> tuple[dict[str, Any] | None, str]:
    """A part file's content and ``""``, or ``(None, why)`` when it cannot be trusted: cut
    short (a crash of the machine before the data reached the disk), not a part of this
    format, malformed, or its rows not matching ``n_rows`` and ``checksum``. The caller
    then runs the task again."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return None, f"unreadable ({type(exc).__name__})"
    if not isinstance(data, dict):
        return None, f"not a part file (a JSON {type(data).__name__})"
    for key, kind in _PART_KEYS.items():
        if not isinstance(data.get(key), kind) or isinstance(data.get(key), bool):
            return None, f"missing or malformed {key!r}"
    if data["format"] != PART_FORMAT:
        return None, f"part format {data['format']} (this staffsim writes {PART_FORMAT})"
    rows = data["rows"]
    if not all(_valid_row(row) for row in rows):
        return None, "malformed rows"
    rows = [(r[0], r[1], r[2], float(r[3]) if r[3] is not None else math.nan) for r in rows]
    if len(rows) != data["n_rows"]:
        return None, f"{len(rows)} rows where {data['n_rows']} were written"
    expected = task_checksum(
        data["point_id"], data["replication"], data["seed"], data["digest"], rows
    )
    if expected != data["checksum"]:
        return None, "rows do not match their checksum (altered?)"
    del data["format"], data["n_rows"], data["checksum"]
    data["rows"] = rows
    return data, ""


def _valid_row(row: Any) -> bool:
    return (
        isinstance(row, list)
        and len(row) == 4
        and all(isinstance(v, str) for v in row[:3])
        and (row[3] is None or (isinstance(row[3], int | float) and not isinstance(row[3], bool)))
    )


def _acquire(paths: OutputPaths) -> FileLock | None:
    """The lock of ``--out``, or InputError naming the run that holds it."""
    lock_path = paths.summary.with_name(paths.summary.name + ".lock")
    try:
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        lock = FileLock(lock_path, timeout=0)
        lock.acquire()
    except Timeout:
        raise InputError(
            f"--out: another staffsim batch run is writing to {paths.summary} (it holds "
            f"{lock_path}); wait for it to finish, or choose another --out"
        ) from None
    except OSError as exc:
        raise InputError(f"--out: cannot lock {lock_path}: {exc.strerror or exc}") from None
    return lock


def _atomic_write_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise InputError(f"--out: cannot write {path}: {exc.strerror or exc}") from None


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    else:
        path.unlink()


__all__ = [
    "CHECK_COLUMNS",
    "DirectoryStore",
    "MemoryStore",
    "OutputPaths",
    "StoredTask",
    "TaskResult",
    "add_checks",
    "read_table",
    "rows_frame",
    "task_checksum",
    "verify_tasks",
    "write_table",
]
