"""Scenario variants as lists of edits: each :class:`Edit` names a dotted path of the
scenario (the paths :meth:`Scenario.with_changes` takes) and what to do there::

    Edit("agent_groups.seniors.staffing", -5, op="add")         # 5 fewer seniors, every interval
    Edit("channels.*.arrivals.scale", 1.15, op="multiply")      # +15% volume on every channel
    Edit("channels.voice.targets.service_level", 0.9)           # 90/20 instead of 80/20

Adding to or multiplying the ``staffing`` of a group staffed by shifts first turns its
shifts into agents on duty per interval (rounded), so a headcount change applies once per
interval whatever the shifts.

``*`` matches every key of a mapping or every item of a list, so
``agent_groups.night.shifts.*.count`` edits the headcount of every shift of a group. Every
variant is built with one ``with_changes`` call, so it is validated like a scenario file and
a bad edit raises :class:`InputError` naming the path.

The command line writes edits as text (:func:`parse_edit`, :func:`parse_variant`)::

    channels.voice.targets.service_level=0.9        # set (the value is read as YAML)
    agent_groups.seniors.staffing-=2                # add -2 (also +=)
    channels.*.arrivals.scale*=1.15                 # multiply
    "2 fewer seniors: agent_groups.seniors.staffing-=2, channels.voice.arrivals.scale=1.1"
"""

from __future__ import annotations

import copy
import difflib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import yaml

from simulator.channels import field_applies
from simulator.errors import InputError
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


REMOVED = {
    "outbound": "outbound lists removed",
}
"""How :meth:`Edit.describe` words a whole section set to ``null`` (a planner reads "outbound
lists removed", not ``outbound = None``); any other path reads "<path> removed"."""


def _yaml_text(value: Any) -> str:
    """``value`` as the command line wrote it (YAML: ``true``, ``[1, 2]``), not as Python
    prints it (``True``)."""
    if isinstance(value, str):
        return value
    return (
        yaml.safe_dump(value, default_flow_style=True, width=10**6)
        .strip()
        .removesuffix("\n...")
        .strip()
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
        if self.value is None:
            return REMOVED.get(self.path, f"{self.path} removed")
        return f"{self.path} = {_yaml_text(self.value)}"


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
                if _is_shift_headcount(data, parts, edit):
                    changes.update(_headcount_from_shifts(scenario, data, parts[1]))
                head = _mapping_prefix(data, parts)
                _set(data, parts, _new_value(_get(data, parts), edit, parts[-1], path))
                changes[".".join(parts[:head])] = _get(data, parts[:head])
        except InputError as exc:
            problems += exc.problems
    if problems:
        raise InputError(problems)
    return scenario.with_changes({p: copy.deepcopy(v) for p, v in changes.items()})


_EDIT_TEXT = re.compile(
    r"^\s*(?P<path>[A-Za-z0-9_.*-]+?)\s*(?P<op>\+=|-=|\*=|=)\s*(?P<value>.*?)\s*$"
)


_CLOCK_TEXT = re.compile(r"\d{1,2}:\d{2}")


def parse_edit(text: str, where: str = "--set") -> Edit:
    """``PATH=VALUE`` (set), ``PATH+=N`` / ``PATH-=N`` (add), ``PATH*=F`` (multiply) as an
    :class:`Edit`. VALUE is read as YAML (``0.9``, ``[10, 12, 14]``, ``lognormal``); a
    malformed text raises :class:`InputError` starting with ``where``. Whether the path
    exists and the value is valid is checked when the edit is applied."""
    match = _EDIT_TEXT.match(text)
    if not match or not match["value"]:
        raise InputError(
            f"{where}: expected PATH=VALUE (or PATH+=N, PATH-=N, PATH*=F), got {text!r}"
        )
    try:
        # A bare clock time is text: YAML 1.1 reads 17:30 as the base-60 number 1050, and a
        # shell user cannot be asked to quote it twice (``--set 'hours.open="17:30"'``).
        raw = match["value"]
        value = raw if _CLOCK_TEXT.fullmatch(raw) else yaml.safe_load(raw)
    except yaml.YAMLError:
        raise InputError(
            f"{where}: {match['path']}: cannot read the value {match['value']!r}"
        ) from None
    op = match["op"]
    if op in ("+=", "-=", "*=") and not _is_number(value):
        raise InputError(f"{where}: {match['path']}{op} needs a number, got {match['value']!r}")
    if op == "-=":
        return Edit(match["path"], -value, op="add")
    return Edit(match["path"], value, op={"=": "set", "+=": "add", "*=": "multiply"}[op])


def parse_variant(text: str, where: str = "--variant") -> Variant:
    """``"NAME: EDIT[, EDIT ...]"`` (each EDIT as in :func:`parse_edit`) as a
    :class:`Variant`. A comma inside brackets (a list value) does not split edits; a
    variant without edits (``"base:"``) is the scenario unchanged."""
    name, sep, rest = text.partition(":")
    name = name.strip()
    if not sep or not name:
        raise InputError(f'{where}: expected "NAME: PATH=VALUE[, PATH=VALUE]", got {text!r}')
    edits = tuple(parse_edit(part, f"{where} {name!r}") for part in _split_edits(rest))
    return Variant(name, edits)


def _split_edits(text: str) -> list[str]:
    """Split at commas outside brackets and quotes."""
    parts, depth, quote, current = [], 0, "", []
    for char in text:
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    return [p.strip() for p in parts if p.strip()]


def _is_shift_headcount(data: Mapping[str, Any], parts: Sequence[str], edit: Edit) -> bool:
    """An add/multiply on the headcount of a group staffed by shifts."""
    if len(parts) != 3 or parts[0] != "agent_groups" or parts[2] != "staffing":
        return False
    group = data["agent_groups"][parts[1]]
    return edit.op != "set" and group.get("staffing") is None and bool(group.get("shifts"))


def _headcount_from_shifts(scenario: Scenario, data: dict[str, Any], name: str) -> dict:
    """Turn a shift-staffed group into agents per interval (those its shifts put on duty in
    each interval, time-averaged over breaks and rounded to whole agents), so a headcount
    change applies once per interval whatever the shifts: "2 fewer" is 2 fewer on duty in
    every interval, not 2 fewer on every shift line (4 fewer where two shifts overlap)."""
    from simulator.whatif.checks import staffing_profile

    profile = staffing_profile(scenario)
    rows = profile[profile.group == name].sort_values(["day", "interval"])
    per_day = scenario.horizon.intervals_per_day
    values = [round(v) for v in rows["on_duty"]]
    staffing: Any = (
        values
        if scenario.horizon.days == 1
        else [values[d * per_day : (d + 1) * per_day] for d in range(scenario.horizon.days)]
    )
    group = data["agent_groups"][name]
    group["staffing"], group["shifts"] = staffing, None
    return {f"agent_groups.{name}.shifts": None}


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
            paths.append(f"agent_groups.{group_name}.staffing")  # add/multiply: per interval
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
        hint = " (the group is staffed by shifts: set a staffing, or edit its shifts.*.count)"
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
    if parts[0] == "channels" and not field_applies(
        scenario.channels[parts[1]].kind, ".".join(parts[2:])
    ):
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
