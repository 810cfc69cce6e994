"""Sweep specification: a base scenario, the parameters to vary, replications and seed.

A sweep file (YAML)::

    name: Volume vs card specialists
    base: default.yaml            # path relative to this file, or an inline scenario mapping
    set:                          # optional: fixed changes applied to the base first
      run.warmup_minutes: 0
    grid:                         # every combination (cartesian product), in file order
      agent_groups.card_specialists.staffing: [4, 6, 8, 10]
    zip:                          # lists of equal length, varied together (row k with row k)
      channels.general.arrivals.scale: [0.9, 1.0, 1.1, 1.2]
      channels.cards.arrivals.scale: [0.9, 1.0, 1.1, 1.2]
    replications: 20              # default: the base scenario's run.replications
    seed: 7                       # default: the base scenario's run.seed
    common_random_numbers: false  # see below

Points are ``product(grid) x zip rows`` (4 x 4 = 16 above); parameters are dotted paths into
the scenario, exactly as :meth:`Scenario.with_changes` takes them. Every point is built and
compiled up front, so a bad path or value is reported before anything runs, one line per
problem, with the nearest valid paths.

Seeds. Each point has an identity, ``point_id``: a stable hash of its parameter values (not
of its position), so adding or removing points never changes another point's id or seed.

* ``common_random_numbers: false`` (default): each point gets its own seed, spawned from the
  sweep seed by ``numpy.random.SeedSequence`` keyed on the point's hash. Points are
  statistically independent, so their CIs can be combined or a curve fitted across them as
  if each were a separate experiment.
* ``common_random_numbers: true``: every point uses the sweep seed itself, so replication r
  sees the same customers (arrivals, handle times, patience) at every point. Differences
  *between* points are then far more precise (the noise common to both cancels), which is
  what "plan A vs plan B" comparisons want; but point estimates are correlated, so do not
  treat them as independent samples.

Either way a point's results equal ``simulate(point.scenario, replications, seed=point.seed)``.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simulator import limits
from simulator.errors import InputError
from simulator.model import CompiledModel, compile_scenario
from simulator.scenario import Scenario
from simulator.yamlfile import read_yaml

_TOP_LEVEL = (
    "name",
    "description",
    "base",
    "set",
    "grid",
    "zip",
    "replications",
    "seed",
    "common_random_numbers",
)
# Paths that would silently do nothing: the sweep passes replications and seeds itself.
_RESERVED_PATHS = {
    "run.seed": "use the sweep's seed (or common_random_numbers) instead",
    "run.replications": "use the sweep's replications instead",
}
MAX_REPORTED_POINTS = 10
"""At most this many failing points are listed one by one; the rest are counted."""


@dataclass(frozen=True)
class Point:
    """One scenario of the sweep, ready to run.

    ``params`` maps each swept dotted path (or ``"scenario"`` for a list of scenarios) to its
    value here; ``seed`` is the seed its replications use; ``digest`` fingerprints the
    scenario content (without name, description and run seed/replications) so stored results
    are never reused for a changed scenario.
    """

    index: int
    point_id: str
    params: dict[str, Any]
    seed: int
    digest: str
    scenario: Scenario = field(repr=False)
    model: CompiledModel = field(repr=False)

    def label(self) -> str:
        """``path=value, path=value`` for messages."""
        return ", ".join(f"{k}={_short(v)}" for k, v in self.params.items())


@dataclass(frozen=True)
class Sweep:
    """A validated sweep: every point built and compiled, seeds assigned."""

    name: str
    points: tuple[Point, ...]
    parameters: tuple[str, ...]
    replications: int
    seed: int
    common_random_numbers: bool

    @property
    def tasks(self) -> int:
        """Number of (point, replication) tasks."""
        return len(self.points) * self.replications

    def points_frame(self) -> pd.DataFrame:
        """One row per point: point, point_id, the parameters, seed."""
        rows = [
            {"point": p.index, "point_id": p.point_id, **p.params, "seed": p.seed}
            for p in self.points
        ]
        frame = pd.DataFrame(rows, columns=["point", "point_id", *self.parameters, "seed"])
        return encode_parameter_columns(frame, self.parameters)


@dataclass(frozen=True)
class SweepSpec:
    """A sweep as written (see the module docstring); :meth:`resolve` validates every point.

    Build it from a file (:meth:`from_yaml`), a mapping (:meth:`from_dict`), or in code::

        SweepSpec(base=Scenario.from_yaml("scenarios/default.yaml"),
                  grid={"channels.general.arrivals.scale": [0.9, 1.0, 1.1]})
    """

    base: Scenario
    grid: Mapping[str, Sequence[Any]] = field(default_factory=dict)
    zip: Mapping[str, Sequence[Any]] = field(default_factory=dict)
    set: Mapping[str, Any] = field(default_factory=dict)
    replications: int | None = None
    seed: int | None = None
    common_random_numbers: bool = False
    name: str | None = None

    # ---- construction ----------------------------------------------------------------
    @classmethod
    def from_yaml(cls, path: str | Path) -> SweepSpec:
        """Read a sweep file; ``base:`` paths are relative to the file's folder."""
        path = Path(path)
        data = read_yaml(path)
        return cls.from_dict(data, base_dir=path.parent, source=str(path))

    @classmethod
    def from_dict(
        cls, data: Any, *, base_dir: str | Path = ".", source: str = "sweep"
    ) -> SweepSpec:
        """Validate a plain mapping (the parsed YAML); one error line per problem."""
        if not isinstance(data, Mapping):
            kind = "nothing (empty file)" if data is None else type(data).__name__
            raise InputError(f"{source}: expected a mapping at the top level, got {kind}")
        problems: list[str] = []
        for key in data:
            if key not in _TOP_LEVEL:
                problems.append(f"{key}: unknown field{_hint(str(key), _TOP_LEVEL)}")
        base = _load_base(data.get("base"), Path(base_dir), problems)
        grid = _value_lists(data.get("grid"), "grid", problems)
        zipped = _value_lists(data.get("zip"), "zip", problems)
        changes = data.get("set") or {}
        if not isinstance(changes, Mapping):
            problems.append(f"set: expected a mapping of path: value, got {_short(changes)}")
            changes = {}
        replications = _optional_int(data, "replications", 1, problems)
        seed = _optional_int(data, "seed", 0, problems)
        crn = data.get("common_random_numbers", False)
        if not isinstance(crn, bool):
            problems.append(f"common_random_numbers: must be true or false, got {crn!r}")
        name = data.get("name")
        if name is not None and not isinstance(name, str):
            problems.append(f"name: must be text, got {name!r}")
        if problems:
            raise InputError(problems)
        assert base is not None
        return cls(
            base=base,
            grid=grid,
            zip=zipped,
            set=dict(changes),
            replications=replications,
            seed=seed,
            common_random_numbers=bool(crn),
            name=name,
        )

    # ---- validation ------------------------------------------------------------------
    def resolve(
        self,
        replications: int | None = None,
        seed: int | None = None,
        common_random_numbers: bool | None = None,
    ) -> Sweep:
        """Build and compile every point; raise :class:`InputError` listing every problem.

        Arguments override the spec's values (the CLI's ``--replications``/``--seed``).
        """
        replications = _first(replications, self.replications, self.base.run.replications)
        seed = _first(seed, self.seed, self.base.run.seed)
        crn = (
            self.common_random_numbers
            if common_random_numbers is None
            else bool(common_random_numbers)
        )
        problems = _check_run(replications, seed)
        grid = {k: list(v) for k, v in self.grid.items()}
        zipped = {k: list(v) for k, v in self.zip.items()}
        problems += _check_parameters(grid, zipped)
        base = self.base
        if self.set and not problems:
            try:
                base = base.with_changes(self.set)
            except InputError as exc:
                problems += [f"set: {line}" for line in exc.problems]
        if not problems:
            problems += _check_paths(base, {**grid, **zipped})
        if problems:
            raise InputError(problems)
        combos = _combinations(grid, zipped)
        problems += _check_duplicates(combos)
        if problems:
            raise InputError(problems)
        points, bad = [], []
        for index, params in enumerate(combos):
            try:
                scenario = base.with_changes(params) if params else base
                model = compile_scenario(scenario)
            except InputError as exc:
                bad.append((index, params, exc.problems))
                continue
            except (ValueError, TypeError) as exc:
                bad.append((index, params, [str(exc)]))
                continue
            points.append(_point(index, params, scenario, model, seed, crn))
        if bad:
            raise InputError(_point_problems(bad))
        return Sweep(
            name=self.name or base.name,
            points=tuple(points),
            parameters=tuple(grid) + tuple(zipped),
            replications=replications,
            seed=seed,
            common_random_numbers=crn,
        )


def sweep_from_scenarios(
    scenarios: Mapping[str, Scenario] | Sequence[Scenario],
    replications: int | None = None,
    seed: int | None = None,
    common_random_numbers: bool = False,
    name: str = "scenarios",
) -> Sweep:
    """A sweep over ready-made scenarios: a mapping label -> scenario, or a list labelled by
    ``scenario.name`` (names must then be unique). The single parameter is ``scenario`` (the
    label), which also keys the per-point seed. ``replications`` and ``seed`` default to the
    first scenario's ``run`` settings."""
    if isinstance(scenarios, Mapping):
        items = [(str(label), sc) for label, sc in scenarios.items()]
    else:
        items = [(getattr(sc, "name", ""), sc) for sc in scenarios]
    problems: list[str] = []
    if not items:
        raise InputError("scenarios: give at least one scenario")
    for label, sc in items:
        if not isinstance(sc, Scenario):
            problems.append(f"scenarios.{label}: expected a Scenario, got {type(sc).__name__}")
    labels = [label for label, _ in items]
    duplicates = sorted({lab for lab in labels if labels.count(lab) > 1})
    if duplicates:
        problems.append(
            f"scenarios: names must be unique to label the points, repeated: "
            f"{', '.join(duplicates)} (pass a dict label -> scenario instead)"
        )
    if problems:
        raise InputError(problems)
    first = items[0][1]
    replications = _first(replications, None, first.run.replications)
    seed = _first(seed, None, first.run.seed)
    problems = _check_run(replications, seed)
    if problems:
        raise InputError(problems)
    points = []
    for index, (label, scenario) in enumerate(items):
        try:
            model = compile_scenario(scenario)
        except (InputError, ValueError, TypeError) as exc:
            problems.append(f"scenarios.{label}: {exc}")
            continue
        points.append(
            _point(index, {"scenario": label}, scenario, model, seed, common_random_numbers)
        )
    if problems:
        raise InputError(problems)
    return Sweep(
        name=name,
        points=tuple(points),
        parameters=("scenario",),
        replications=replications,
        seed=seed,
        common_random_numbers=common_random_numbers,
    )


# --------------------------------------------------------------------------------------
# identities and seeds
# --------------------------------------------------------------------------------------
def canonical(value: Any) -> str:
    """Stable JSON text of a value (sorted keys, no spaces): the input of every hash."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def point_key(params: Mapping[str, Any]) -> bytes:
    """SHA-256 of the point's parameter values: its identity, independent of position."""
    return hashlib.sha256(canonical(dict(params)).encode("utf-8")).digest()


def point_id(params: Mapping[str, Any]) -> str:
    """Short stable id of a point (16 hex digits of :func:`point_key`)."""
    return point_key(params).hex()[:16]


def point_seed(sweep_seed: int, params: Mapping[str, Any]) -> int:
    """The seed of one point: ``SeedSequence(sweep_seed)`` spawned with the point's hash as
    spawn key, reduced to a 63-bit integer (fits int64 columns; the engine turns it back
    into a ``SeedSequence``). Same inputs, same seed, in any process."""
    words = np.frombuffer(point_key(params)[:16], dtype="<u4")
    sequence = np.random.SeedSequence(entropy=sweep_seed, spawn_key=tuple(int(w) for w in words))
    return int(sequence.generate_state(1, np.uint64)[0] >> np.uint64(1))


def scenario_digest(scenario: Scenario) -> str:
    """Fingerprint of what a point simulates (16 hex digits): the scenario and the staffsim
    version that simulates it (another version may compute other numbers, so its stored
    results are not mixed in on ``--resume``). Cosmetic fields (name, description) and the
    run's replications/seed (the sweep sets those) are left out."""
    data = scenario.to_dict()
    data.pop("name", None)
    data.pop("description", None)
    run = dict(data.get("run", {}))
    run.pop("seed", None)
    run.pop("replications", None)
    data["run"] = run
    data["staffsim_version"] = package_version()
    return hashlib.sha256(canonical(data).encode("utf-8")).hexdigest()[:16]


@functools.cache
def package_version() -> str:
    """The installed staffsim version (``"unknown"`` when run from a plain source tree)."""
    try:
        return version("staffsim")
    except PackageNotFoundError:
        return "unknown"


def encode_parameter_columns(frame: pd.DataFrame, parameters: Sequence[str]) -> pd.DataFrame:
    """Make parameter columns storable in Parquet/CSV: a column whose values are all
    numbers, all booleans or all text stays as it is; any other column (lists such as
    per-interval staffing, or mixed kinds) is stored as compact JSON text."""
    for name in parameters:
        values = list(frame[name])
        kinds = {_kind(v) for v in values}
        if len(kinds) == 1 and kinds <= {"number", "bool", "text"}:
            continue
        frame[name] = [canonical(v) for v in values]
    return frame


# --------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------
def _point(
    index: int,
    params: dict[str, Any],
    scenario: Scenario,
    model: CompiledModel,
    sweep_seed: int,
    crn: bool,
) -> Point:
    return Point(
        index=index,
        point_id=point_id(params),
        params=params,
        seed=sweep_seed if crn else point_seed(sweep_seed, params),
        digest=scenario_digest(scenario),
        scenario=scenario,
        model=model,
    )


def _load_base(value: Any, base_dir: Path, problems: list[str]) -> Scenario | None:
    if value is None:
        problems.append("base: is required (a scenario file path or an inline scenario)")
        return None
    try:
        if isinstance(value, Scenario):
            return value
        if isinstance(value, str | Path):
            path = Path(value)
            return Scenario.from_yaml(path if path.is_absolute() else base_dir / path)
        if isinstance(value, Mapping):
            return Scenario.from_dict(value, source="base")
    except InputError as exc:
        problems += [f"base: {line}" for line in exc.problems]
        return None
    problems.append(f"base: expected a file path or a scenario mapping, got {_short(value)}")
    return None


def _value_lists(value: Any, where: str, problems: list[str]) -> dict[str, list[Any]]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        problems.append(f"{where}: expected a mapping of dotted path: [values], got {value!r}")
        return {}
    out: dict[str, list[Any]] = {}
    for path, values in value.items():
        if not isinstance(values, list) or not values:
            problems.append(
                f"{where}.{path}: expected a non-empty list of values, got {_short(values)}"
                " (a single fixed value belongs under set:)"
            )
            continue
        out[str(path)] = values
    return out


def _optional_int(data: Mapping[str, Any], key: str, minimum: int, problems: list[str]):
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        problems.append(f"{key}: must be a whole number >= {minimum}, got {value!r}")
        return None
    return value


def _first(*values: int | None) -> int:
    return next(v for v in values if v is not None)


def _check_run(replications: int, seed: int) -> list[str]:
    problems = []
    if isinstance(replications, bool) or not isinstance(replications, int) or replications < 1:
        problems.append(f"replications: must be a whole number >= 1, got {replications!r}")
    elif replications > limits.MAX_REPLICATIONS:
        problems.append(
            f"replications: must be <= {limits.MAX_REPLICATIONS:,}, got {replications:,}"
        )
    problems += limits.check_seed(seed, field="seed")
    return problems


def _check_parameters(grid: dict[str, list[Any]], zipped: dict[str, list[Any]]) -> list[str]:
    problems = []
    if not grid and not zipped:
        problems.append(
            "grid/zip: no parameter to vary (a sweep varies at least one dotted path; "
            "one scenario is `staffsim simulate`)"
        )
    for path in set(grid) & set(zipped):
        problems.append(f"{path}: appears in both grid and zip; keep it in one")
    for path in [*grid, *zipped]:
        if path in _RESERVED_PATHS:
            problems.append(f"{path}: cannot be swept: {_RESERVED_PATHS[path]}")
    lengths = {path: len(v) for path, v in zipped.items()}
    if len(set(lengths.values())) > 1:
        listed = ", ".join(f"{p} has {n}" for p, n in lengths.items())
        problems.append(f"zip: lists must have the same length: {listed}")
    return problems


def _check_paths(base: Scenario, parameters: dict[str, list[Any]]) -> list[str]:
    """Report each unknown path once (with the nearest valid ones), before the points."""
    problems = []
    for path, values in parameters.items():
        try:
            base.with_changes({path: values[0]})
        except InputError as exc:
            structural = [
                line
                for line in exc.problems
                if line.startswith(f"{path}: unknown path") or "is not a mapping" in line
            ]
            problems += structural
    return problems


def _combinations(grid: dict[str, list[Any]], zipped: dict[str, list[Any]]) -> list[dict]:
    grid_combos = [
        dict(zip(grid, values, strict=True)) for values in itertools.product(*grid.values())
    ]
    rows = (
        [dict(zip(zipped, values, strict=True)) for values in zip(*zipped.values(), strict=True)]
        if zipped
        else [{}]
    )
    return [{**g, **z} for g in grid_combos for z in rows]


def _check_duplicates(combos: list[dict[str, Any]]) -> list[str]:
    seen: dict[str, int] = {}
    problems = []
    for index, params in enumerate(combos):
        key = canonical(params)
        if key in seen:
            problems.append(
                f"point {index} ({_label(params)}) repeats point {seen[key]}: "
                "remove the repeated value"
            )
        else:
            seen[key] = index
    return problems


def _point_problems(bad: list[tuple[int, dict[str, Any], list[str]]]) -> list[str]:
    lines = []
    for index, params, problems in bad[:MAX_REPORTED_POINTS]:
        for problem in problems:
            lines.append(f"point {index} ({_label(params)}): {problem}")
    if len(bad) > MAX_REPORTED_POINTS:
        lines.append(f"... and {len(bad) - MAX_REPORTED_POINTS} more invalid points")
    return lines


def _label(params: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={_short(v)}" for k, v in params.items())


def _short(value: Any, limit: int = 40) -> str:
    text = canonical(value) if not isinstance(value, str) else value
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _hint(name: str, known: Sequence[str]) -> str:
    import difflib

    close = difflib.get_close_matches(name, list(known), n=1)
    return f" (did you mean {close[0]}?)" if close else f" (allowed: {', '.join(known)})"


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float) and not (isinstance(value, float) and math.isnan(value)):
        return "number"
    if isinstance(value, str):
        return "text"
    return "other"


__all__ = [
    "Point",
    "Sweep",
    "SweepSpec",
    "canonical",
    "encode_parameter_columns",
    "point_id",
    "point_seed",
    "scenario_digest",
    "sweep_from_scenarios",
]
