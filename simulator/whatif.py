"""What-if work on a scenario: variants as lists of edits, pre-run checks, side-by-side KPIs.

A *variant* is a base scenario plus a few :class:`Edit` s, each naming a dotted path of the
scenario (the same paths :meth:`Scenario.with_changes` takes) and what to do there::

    Edit("agent_groups.seniors.staffing", -5, op="add")         # 5 fewer seniors, every interval
    Edit("channels.*.arrivals.scale", 1.15, op="multiply")      # +15% volume on every channel
    Edit("channels.voice.targets.service_level", 0.9)           # 90/20 instead of 80/20

``*`` matches every key of a mapping or every item of a list, so
``agent_groups.night.shifts.*.count`` edits the headcount of every shift of a group. Every
variant is built with one ``with_changes`` call, so it is validated like a scenario file and
a bad edit raises :class:`InputError` naming the path.

The module also holds the checks the app runs *before* a simulation (expected contacts,
intervals with load but nobody on duty) and the comparison of several results into one
table. It knows no Streamlit: the CLI, notebooks and the app share it.
"""

from __future__ import annotations

import copy
import difflib
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from simulator.errors import InputError
from simulator.model import ChannelModel, compile_scenario
from simulator.results import SimulationResult
from simulator.scenario import Scenario

EditOp = Literal["set", "add", "multiply"]
EDIT_OPS: tuple[EditOp, ...] = ("set", "add", "multiply")

# Scenario fields holding whole numbers (headcounts, counts): "add"/"multiply" results on
# them are rounded to the nearest integer, so "staffing x 0.9" stays a valid headcount.
WHOLE_NUMBER_FIELDS = frozenset(
    {
        "staffing",
        "count",
        "min_headcount",
        "max_headcount",
        "max_attempts",
        "max_contacts",
        "max_concurrency",
        "email_reserve_agents",
        "after_minutes",
        "minutes",
        "days",
    }
)

# The KPIs the comparison table shows, in order: (scope, kpi). Scope "channel" repeats per
# channel, "group" per agent group, "overall" once.
COMPARE_KPIS: tuple[tuple[str, str], ...] = (
    ("channel", "offered"),
    ("channel", "service_level"),
    ("channel", "asa_s"),
    ("channel", "abandon_rate"),
    ("channel", "wait_p90_s"),
    ("channel", "fcr"),
    ("group", "occupancy"),
    ("group", "cost"),
    ("overall", "paid_hours"),
    ("overall", "cost"),
)


@dataclass(frozen=True)
class Edit:
    """One change to a scenario: at dotted ``path``, ``op`` the current value with ``value``.

    * ``set``: replace (any value the field accepts, e.g. a list of 24 volumes).
    * ``add``: add a number to a number or to every number of a list (per-interval lists);
      results never go below 0 (every such field is a count, rate, time or cost).
    * ``multiply``: multiply likewise; the factor must be >= 0.

    Results on :data:`WHOLE_NUMBER_FIELDS` are rounded to whole numbers.
    """

    path: str
    value: Any
    op: EditOp = "set"

    def describe(self) -> str:
        """Short human text, e.g. ``agent_groups.seniors.staffing -5``."""
        if self.op == "add":
            return f"{self.path} {self.value:+g}" if _is_number(self.value) else self.path
        if self.op == "multiply":
            return f"{self.path} x{self.value:g}" if _is_number(self.value) else self.path
        return f"{self.path} = {self.value}"


@dataclass(frozen=True)
class Variant:
    """A named what-if: the base scenario with ``edits`` applied in order."""

    name: str
    edits: tuple[Edit, ...] = field(default_factory=tuple)

    def apply(self, base: Scenario) -> Scenario:
        return apply_edits(base, self.edits)


def apply_edits(scenario: Scenario, edits: Iterable[Edit]) -> Scenario:
    """The scenario with every edit applied in order, validated once at the end.

    Raises :class:`InputError` with one line per problem (unknown path, a number expected,
    or the resulting scenario failing validation).
    """
    edits = list(edits)
    if not edits:
        return scenario
    data = scenario.model_dump(mode="json")
    changes: dict[str, Any] = {}
    problems: list[str] = []
    for edit in edits:
        if edit.op not in EDIT_OPS:
            problems.append(f"{edit.path}: unknown operation {edit.op!r} (use set, add, multiply)")
            continue
        try:
            for path in expand_path(data, edit.path):
                parts = path.split(".")
                head = _mapping_prefix(data, parts)
                _set(data, parts, _new_value(_get(data, parts), edit, parts[-1], path))
                changes[".".join(parts[:head])] = _get(data, parts[:head])
        except InputError as exc:
            problems += exc.problems
    if problems:
        raise InputError(problems)
    return scenario.with_changes({p: copy.deepcopy(v) for p, v in changes.items()})


def expand_path(data: Mapping[str, Any] | Scenario, path: str) -> list[str]:
    """Concrete dotted paths matched by ``path`` (``*`` = every key or list item).

    A wildcard match whose rest of the path does not exist is skipped (e.g.
    ``channels.*.patience.mean_seconds`` skips a channel without patience); no match at all
    raises :class:`InputError` naming the nearest valid paths.
    """
    if isinstance(data, Scenario):
        data = data.model_dump(mode="json")
    parts = path.split(".")
    found: list[str] = []

    def walk(node: Any, i: int, done: list[str]) -> None:
        if i == len(parts):
            found.append(".".join(done))
            return
        part = parts[i]
        if part == "*":
            keys: Iterable[str] = (
                [str(k) for k in node]
                if isinstance(node, Mapping)
                else [str(k) for k in range(len(node))]
                if isinstance(node, list)
                else []
            )
            for key in keys:
                walk(_child(node, key), i + 1, [*done, key])
            return
        if isinstance(node, Mapping) and part in node:
            walk(node[part], i + 1, [*done, part])
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            walk(node[int(part)], i + 1, [*done, part])

    walk(data, 0, [])
    if not found:
        close = difflib.get_close_matches(path, _all_paths(data), n=3, cutoff=0.5)
        hint = f" (nearest valid: {', '.join(close)})" if close else ""
        raise InputError(f"{path}: unknown path{hint}")
    return found


def editable_paths(scenario: Scenario) -> list[str]:
    """Paths a what-if usually edits: every number or list of numbers in the scenario, each
    channel's targets (also when unset), the shift counts of groups staffed by shifts, and
    ``channels.*``/``agent_groups.*`` forms of paths shared by several channels or groups.
    ``run`` settings are left out: the comparison chooses replications and seed for all
    variants alike."""
    data = scenario.model_dump(mode="json")
    paths: list[str] = []

    def walk(node: Any, prefix: str) -> None:
        if isinstance(node, Mapping):
            for key, value in node.items():
                walk(value, f"{prefix}.{key}" if prefix else str(key))
        elif _is_number(node) or _is_number_list(node):
            paths.append(prefix)

    for top in ("channels", "agent_groups", "routing"):
        walk(data.get(top, {}), top)
    paths = [p for p in paths if _relevant(scenario, p)]
    for group_name, group in scenario.agent_groups.items():
        if group.shifts:
            paths.append(f"agent_groups.{group_name}.shifts.*.count")
    for channel in scenario.channels:
        for name in ("service_level", "within_seconds", "max_asa_seconds", "max_abandon_rate"):
            path = f"channels.{channel}.targets.{name}"
            if path not in paths:
                paths.append(path)
    wildcards: list[str] = []
    for top, names in (("channels", scenario.channels), ("agent_groups", scenario.agent_groups)):
        if len(names) < 2:
            continue
        suffixes: dict[str, int] = {}
        for path in paths:
            parts = path.split(".")
            if parts[0] == top:
                rest = ".".join(parts[2:])
                suffixes[rest] = suffixes.get(rest, 0) + 1
        wildcards += [f"{top}.*.{rest}" for rest, n in suffixes.items() if n > 1]
    return sorted(set(paths)) + sorted(wildcards)


# --------------------------------------------------------------------------------------
# Checks before running
# --------------------------------------------------------------------------------------
def expected_contacts(scenario: Scenario) -> dict[str, float]:
    """Expected first contacts per channel over the horizon of one replication (arrival
    volumes × scale, closed-hours email included; redials and repeat contacts come on top)."""
    model = compile_scenario(scenario)
    horizon = scenario.horizon
    out: dict[str, float] = {}
    for ch in model.channels:
        arrivals = scenario.channels[ch.name].arrivals
        open_hours = float(np.sum(ch.rate_per_s) * model.interval_s)
        closed = arrivals.closed_hours_volume * arrivals.scale * horizon.days
        out[ch.name] = open_hours + closed
    return out


def estimate_contacts(scenario: Scenario, replications: int) -> float:
    """Expected first contacts of a whole run: sum of expected volumes × replications. The
    cost of a simulation grows with this number (see the app's cap)."""
    return sum(expected_contacts(scenario).values()) * replications


def arrival_profile(scenario: Scenario) -> pd.DataFrame:
    """Expected load per channel and interval, before simulating.

    Columns: channel, kind, day, interval, start (``HH:MM``), contacts (expected first
    contacts in the interval, scale applied), erlangs (contacts × mean handle time /
    interval length: the agents kept busy on average, at proficiency factor 1).
    """
    model = compile_scenario(scenario)
    rows = []
    for ch in model.channels:
        volume = np.asarray(ch.rate_per_s) * model.interval_s
        for k, v in enumerate(volume):
            day, index = divmod(k, model.intervals_per_day)
            rows.append(
                (
                    ch.name,
                    ch.kind,
                    day,
                    index,
                    scenario.horizon.interval_label(index),
                    float(v),
                    float(v * _handle_mean(ch, k) / model.interval_s),
                )
            )
    return pd.DataFrame(
        rows, columns=["channel", "kind", "day", "interval", "start", "contacts", "erlangs"]
    )


def _handle_mean(ch: ChannelModel, k: int) -> float:
    """Mean handle time (s) of contacts filed in global interval ``k``."""
    if ch.handle_scale is None:
        return ch.handle.mean_s
    return ch.handle.mean_s * float(ch.handle_scale[k])


def staffing_profile(scenario: Scenario) -> pd.DataFrame:
    """Agents per group and interval as the scenario staffs them (headcounts or shifts).

    Columns: group, day, interval, start, on_duty (time-average paid agents in the
    interval, unpaid breaks excluded), available (on_duty × (1 − shrinkage)).
    """
    model = compile_scenario(scenario)
    interval_h = model.interval_s / 3600
    rows = []
    for grp in model.groups:
        for k, paid_h in enumerate(np.asarray(grp.paid_hours_per_interval)):
            day, index = divmod(k, model.intervals_per_day)
            agents = float(paid_h / interval_h)
            rows.append(
                (
                    grp.name,
                    day,
                    index,
                    scenario.horizon.interval_label(index),
                    agents,
                    agents * (1 - grp.shrinkage),
                )
            )
    return pd.DataFrame(rows, columns=["group", "day", "interval", "start", "on_duty", "available"])


def load_warnings(scenario: Scenario) -> list[str]:
    """Plain-words warnings about a plan that cannot work, found without simulating:
    real-time contacts expected in intervals where no skilled agent is on duty, and
    intervals whose offered load (Erlangs) exceeds the agents available.

    Emails are left out: they wait in a backlog by design and are worked in idle time.
    """
    model = compile_scenario(scenario)
    horizon = scenario.horizon
    interval_h = model.interval_s / 3600
    on_duty = {g.index: np.asarray(g.paid_hours_per_interval) / interval_h for g in model.groups}
    available = sum(
        (on_duty[g.index] * (1 - g.shrinkage) for g in model.groups),
        start=np.zeros(model.n_intervals),
    )

    def label(k: int) -> str:
        day, index = divmod(k, model.intervals_per_day)
        text = horizon.interval_label(index)
        return f"day {day} {text}" if horizon.days > 1 else text

    warnings: list[str] = []
    load = np.zeros(model.n_intervals)
    for ch in model.channels:
        if ch.kind == "email":
            continue
        volume = np.asarray(ch.rate_per_s) * model.interval_s
        skilled = sum((on_duty[g] for g in ch.groups), start=np.zeros(model.n_intervals))
        empty = np.flatnonzero((volume > 0) & (skilled <= 0))
        if len(empty):
            lost = float(volume[empty].sum())
            warnings.append(
                f"channels.{ch.name}: {len(empty)} interval(s) with about {lost:,.0f} expected "
                f"contacts but no skilled agent on duty (first at {label(int(empty[0]))}); "
                "these customers wait or abandon"
            )
        concurrency = getattr(ch, "max_concurrency", 1) or 1
        mean = ch.handle.mean_s if ch.handle_scale is None else ch.handle.mean_s * ch.handle_scale
        load += volume * mean / model.interval_s / concurrency
    over = np.flatnonzero((load > available + 1e-9) & (load > 0))
    if len(over):
        worst = int(over[np.argmax(load[over] - available[over])])
        warnings.append(
            f"{len(over)} interval(s) where the offered load exceeds the agents available "
            f"(worst {label(worst)}: {load[worst]:.1f} Erlangs of calls and chats for "
            f"{available[worst]:.1f} agents after shrinkage); queues will grow there"
        )
    return warnings


# --------------------------------------------------------------------------------------
# Targets and comparison
# --------------------------------------------------------------------------------------
def target_checks(result: SimulationResult) -> pd.DataFrame:
    """Each scenario target against the simulated KPIs, one row per target — the verdicts of
    :meth:`SimulationResult.verdicts` (the one target model, :mod:`simulator.targets`) in
    the app's vocabulary.

    Columns: channel (the entity: a channel, or an agent group for ``max_occupancy``),
    target (the scenario key: ``service_level``, ``min_interval_service_level``,
    ``max_abandon_rate``, ``max_asa_seconds``, ``within_promise``, ``min_fcr``,
    ``max_occupancy``), kpi, goal, direction (``>=`` or ``<=``), scope, mean, ci_low,
    ci_high (for per-interval targets: those of the worst interval), met (judged on the
    mean), sure (the 95% CI lies on the verdict's side), label, worst_interval, note.
    """
    v = result.verdicts()
    return pd.DataFrame(
        {
            "channel": v["entity"],
            "target": [f.rsplit(".", 1)[-1] for f in v["field"]],
            "kpi": v["kpi"],
            "goal": v["goal"],
            "direction": v["sense"],
            "scope": v["scope"],
            "mean": v["mean"],
            "ci_low": v["ci_low"],
            "ci_high": v["ci_high"],
            "met": v["met"],
            "sure": v["sure"],
            "label": v["target"],
            "worst_interval": v["worst_interval"],
            "note": v["note"],
        }
    )


def undefined_reason(result: SimulationResult, channel: str, kpi: str) -> str:
    """Why a channel KPI has no value: nothing offered, nothing answered, or (email) no
    email due within the horizon."""
    if result.kpi(channel, "offered") == 0:
        return "no contacts offered"
    if kpi == "within_promise":
        return "no email due within the horizon (the promise ends after it)"
    if kpi == "asa_s" and result.kpi(channel, "answered") == 0:
        return "no contacts answered"
    return "not measured in any replication"


HIGHER_IS_BETTER = frozenset({"service_level", "fcr", "within_promise"})
SHARE_KPIS = frozenset({"service_level", "abandon_rate", "fcr", "occupancy", "within_promise"})


def with_slack(targets: pd.DataFrame) -> pd.DataFrame:
    """Target rows (columns kpi, goal, mean, ci_low, ci_high, met: the optimizer's
    ``result.targets`` or :func:`target_checks`) plus ``slack`` and ``binding``.

    ``slack`` is how far the mean is on the good side of the goal, in the KPI's units
    (negative = missed). A met target is *binding* when its slack is within the 95% CI
    half-width, or within 1 percentage point (shares) or 5% of the goal (seconds): the plan
    cannot lose agents without putting it at risk.
    """
    out = targets.copy()
    higher = out["kpi"].isin(HIGHER_IS_BETTER)
    out["slack"] = np.where(higher, out["mean"] - out["goal"], out["goal"] - out["mean"])
    half = ((out["ci_high"] - out["ci_low"]) / 2).fillna(0)
    tolerance = np.where(out["kpi"].isin(SHARE_KPIS), 0.01, 0.05 * out["goal"].abs())
    out["binding"] = out["met"].astype(bool) & (out["slack"] <= np.maximum(half, tolerance))
    return out


def compare(results: Mapping[str, SimulationResult], base: str) -> pd.DataFrame:
    """Key KPIs of several results in one tidy table, with differences against ``base``.

    Columns: variant, scope (channel/group/overall), entity, kpi, mean, ci_half_width,
    diff (mean − base mean; NaN for the base itself), targets_met (count of the variant's
    targets met on the mean, on its ``overall``/``targets`` row). Variants keep the order
    of ``results``. Run every variant with the same seed (common random numbers) so the
    differences are the plan's, not sampling noise.
    """
    if base not in results:
        raise InputError(f"base: {base!r} is not one of the variants ({', '.join(results)})")
    records: list[tuple[Any, ...]] = []
    for name, result in results.items():
        records += _kpi_rows(name, result)
    frame = pd.DataFrame(
        records, columns=["variant", "scope", "entity", "kpi", "mean", "ci_half_width"]
    )
    key = ["scope", "entity", "kpi"]
    base_means = frame[frame.variant == base].set_index(key)["mean"]
    joined = frame.join(base_means.rename("base_mean"), on=key)
    frame["diff"] = np.where(frame.variant == base, np.nan, joined["mean"] - joined["base_mean"])
    return frame


def _kpi_rows(name: str, result: SimulationResult) -> list[tuple[Any, ...]]:
    rows: list[tuple[Any, ...]] = []
    tables = {"channel": (result.channels, "channel"), "group": (result.groups, "group")}
    for scope, kpi in COMPARE_KPIS:
        if scope == "overall":
            row = result.overall[result.overall.kpi == kpi]
            if len(row):
                rows.append(
                    (name, scope, "all", kpi, *row[["mean", "ci_half_width"]].iloc[0].tolist())
                )
            continue
        table, column = tables[scope]
        for _, row in table[table.kpi == kpi].iterrows():
            rows.append((name, scope, row[column], kpi, row["mean"], row["ci_half_width"]))
    checks = target_checks(result)
    rows.append((name, "overall", "all", "targets_met", float(checks.met.sum()), math.nan))
    rows.append((name, "overall", "all", "targets", float(len(checks)), math.nan))
    return rows


# --------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------
def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_number_list(value: Any) -> bool:
    if not isinstance(value, list) or not value:
        return False
    return all(_is_number(v) or _is_number_list(v) for v in value)


def _child(node: Any, key: str) -> Any:
    return node[key] if isinstance(node, Mapping) else node[int(key)]


def _get(data: Any, parts: Sequence[str]) -> Any:
    node = data
    for part in parts:
        node = _child(node, part)
    return node


def _set(data: Any, parts: Sequence[str], value: Any) -> None:
    parent = _get(data, parts[:-1])
    if isinstance(parent, Mapping):
        parent[parts[-1]] = value  # type: ignore[index]
    else:
        parent[int(parts[-1])] = value


def _mapping_prefix(data: Any, parts: Sequence[str]) -> int:
    """How many leading parts walk through mappings only (what ``with_changes`` can set)."""
    node = data
    for i, part in enumerate(parts):
        if not isinstance(node, Mapping):
            return i
        node = node[part]
    return len(parts)


def _new_value(old: Any, edit: Edit, name: str, path: str) -> Any:
    if edit.op == "set":
        return edit.value
    if not _is_number(edit.value):
        raise InputError(f"{path}: {edit.op} needs a number, got {edit.value!r}")
    if edit.op == "multiply" and edit.value < 0:
        raise InputError(f"{path}: multiply needs a factor >= 0, got {edit.value:g}")
    if old is None:
        hint = " (the group is staffed by shifts: edit its shifts.*.count)"
        raise InputError(
            f"{path}: not set in this scenario, so there is nothing to {edit.op}"
            + (hint if name == "staffing" else "")
        )
    whole = name in WHOLE_NUMBER_FIELDS

    def one(v: Any) -> Any:
        if isinstance(v, list):
            return [one(x) for x in v]
        if not _is_number(v):
            raise InputError(f"{path}: {edit.op} needs a number here, found {v!r}")
        new = v + edit.value if edit.op == "add" else v * edit.value
        new = max(new, 0)
        return round(new) if whole else float(new)

    return one(old)


def _relevant(scenario: Scenario, path: str) -> bool:
    """Leave out numbers that do not apply to the channel's kind or to a simulation."""
    parts = path.split(".")
    if parts[0] == "channels":
        kind = scenario.channels[parts[1]].kind
        rest = ".".join(parts[2:])
        if rest in ("max_concurrency", "concurrency_slowdown") and kind != "chat":
            return False
        if rest == "arrivals.closed_hours_volume" and kind != "email":
            return False
    return not (parts[0] == "agent_groups" and parts[-1] in ("min_headcount", "max_headcount"))


def _all_paths(data: Any, prefix: str = "") -> list[str]:
    out: list[str] = []
    if isinstance(data, Mapping):
        for key, value in data.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            out.append(path)
            out += _all_paths(value, path)
    return out


__all__ = [
    "COMPARE_KPIS",
    "EDIT_OPS",
    "WHOLE_NUMBER_FIELDS",
    "Edit",
    "Variant",
    "apply_edits",
    "arrival_profile",
    "compare",
    "editable_paths",
    "estimate_contacts",
    "expand_path",
    "expected_contacts",
    "load_warnings",
    "staffing_profile",
    "target_checks",
    "undefined_reason",
    "with_slack",
]
