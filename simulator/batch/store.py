"""Batch results on disk: one part file per finished task, compacted into Parquet or CSV.

Layout for ``--out results.parquet`` (``results.csv`` / ``results.csv.gz`` alike)::

    results.parquet                  summary: point x entity x KPI, mean and 95% CI
    results.replications.parquet     raw rows: point x replication x entity x KPI, value
    results.parquet.parts/           while a run is unfinished:
        <point_id>-r<replication>.json   one per finished (point, replication) task
        failures.json                    tasks that raised, with parameters and traceback

Why this design survives Ctrl-C, ``kill -9`` and lost workers: a task's rows are written to
a temporary file and renamed into place (atomic on POSIX and Windows), so a part file is
either complete or absent, and its name is its key, so a task can never be stored twice.
Only the parent process writes. ``--resume`` reads the parts (and the replications file
of an earlier finished or interrupted run), checks that each was computed for the same
scenario and seed, and runs only the missing tasks. When every task is stored the two
output files are rewritten (again atomically) and the parts folder is removed; the
replications file then carries the raw rows needed to extend the run later (more
replications, more points) with ``--resume``.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from simulator.errors import InputError

PART_FORMAT = 1
ROW_COLUMNS = ["entity_type", "entity", "kpi", "value"]
KEY_COLUMNS = ["point_id", "replication", "seed", "scenario_digest"]
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


class DirectoryStore:
    """Part files in ``<out>.parts/`` and the compacted outputs (module docstring)."""

    def __init__(self, out: str | Path, *, resume: bool = False, overwrite: bool = False):
        self.paths = OutputPaths.for_out(out)
        self.resume = resume
        self._previous_frame: pd.DataFrame | None = None
        existing = [
            p for p in (self.paths.summary, self.paths.replications, self.paths.parts) if p.exists()
        ]
        if existing and overwrite:
            for path in existing:
                _remove(path)
        elif existing and not resume:
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
            data = _read_part(path)
            if data is None:
                path.unlink(missing_ok=True)
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
        return frame


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
        return pd.read_csv(path, dtype={c: str for c in _TEXT_COLUMNS})
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: cannot read: {exc}") from None


def _read_part(path: Path) -> dict[str, Any] | None:
    """A part file's content; None when it is unreadable (cut short by a crash of the
    machine before the data reached the disk), so the task is simply run again."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if data.get("format") != PART_FORMAT:
        raise InputError(f"--resume: {path}: unknown part format {data.get('format')!r}")
    data.pop("format")
    data["rows"] = [tuple(row) for row in data["rows"]]
    return data


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
    "DirectoryStore",
    "MemoryStore",
    "OutputPaths",
    "StoredTask",
    "TaskResult",
    "read_table",
    "rows_frame",
    "write_table",
]
