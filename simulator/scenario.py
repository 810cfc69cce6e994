"""The scenario: one validated, immutable description of a contact centre.

A scenario is read once at the boundary (``Scenario.from_yaml``), validated completely, and
frozen. Variants are made with :meth:`Scenario.with_changes` (copy-and-replace by dotted
path), never by mutation, so a bad scenario cannot exist past this module.

Units are in the key names: ``*_seconds``, ``*_minutes``, ``*_hours``, ``rate_per_hour``,
``cost_per_hour``. Clock times (``open``/``close``, shift starts) are ``"HH:MM"`` strings.
Inside the engine every time is in **seconds** from the start of day 0 at 00:00.

The full format is documented, with an annotated example, in ``docs/scenario-format.md``.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from simulator import limits
from simulator.agent_groups import AgentGroup, Break, Shift, Skill
from simulator.channels import KINDS
from simulator.channels.hours import hours_problems
from simulator.channels.spec import (
    INTERVAL_FLOOR_BELOW_TARGET,
    Arrivals,
    Channel,
    DayMultiplier,
    Redial,
    Resolution,
    Targets,
)
from simulator.clock import (
    first_counted_interval,
)
from simulator.distributions import FrozenModel
from simulator.errors import InputError, printable
from simulator.horizon import WEEKDAYS, DayHours, Horizon, Weekday
from simulator.limits import (
    MAX_AGENTS_PER_GROUP,
    MAX_BREAKS_PER_SHIFT,
    MAX_CHANNELS,
    MAX_EXPECTED_CONTACTS,
    MAX_GROUPS,
    MAX_INTERVAL_CELLS,
    MAX_SHIFT_DAYS,
)
from simulator.messages import check_size, format_validation_error, suggest
from simulator.shift_types import ShiftType
from simulator.yamlfile import parse_yaml, read_text

AgentSelection = Literal["longest_idle", "most_proficient", "cheapest"]
ServiceLevelDefinition = Literal[
    "answered_within_over_offered",
    "answered_within_over_answered",
    "answered_within_over_offered_minus_short_abandons",
]
"""How service level is computed (T = the channel's ``within_seconds``):

* ``answered_within_over_offered`` (default): answered within T / offered. Abandoned
  contacts count as failures; the strictest and the one planners usually mean by "80/20".
* ``answered_within_over_answered``: answered within T / answered. Ignores abandonment.
* ``answered_within_over_offered_minus_short_abandons``: answered within T / (offered −
  abandoned within T). Callers hanging up within T are not held against the centre.
"""

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")  # matched whole


_Model = FrozenModel


# --------------------------------------------------------------------------------------
# Routing and run settings
# --------------------------------------------------------------------------------------
class Routing(_Model):
    """Skills-based routing rules."""

    agent_selection: AgentSelection = Field(
        "longest_idle", description="Which idle agent gets a new contact."
    )
    priorities: dict[str, int] = Field(
        default_factory=dict,
        description="Channel -> priority (lower is served first). Default by kind: "
        + ", ".join(f"{k.name} {k.default_priority}" for k in KINDS.values())
        + ".",
    )
    email_reserve_agents: int = Field(
        0,
        ge=0,
        le=limits.MAX_AGENTS_PER_GROUP,
        description="Start an email only if this many skilled agents stay idle.",
    )


class Run(_Model):
    """Replications, seed and statistics settings."""

    replications: int = Field(10, ge=1, le=limits.MAX_REPLICATIONS)
    seed: int = Field(12345, ge=0, le=limits.MAX_SEED)
    warmup_minutes: float = Field(0.0, ge=0, description="Contacts arriving earlier are ignored.")
    service_level_definition: ServiceLevelDefinition = "answered_within_over_offered"
    serve_queue_at_close: bool = Field(
        True,
        description="At closing, agents still answer real-time contacts already waiting "
        "(no new arrivals); otherwise those are reported as unanswered at close.",
    )


# --------------------------------------------------------------------------------------
# Scenario
# --------------------------------------------------------------------------------------
class Scenario(_Model):
    """A whole contact centre: horizon, channels, agent groups, routing and run settings."""

    name: str = "unnamed scenario"
    description: str = ""
    horizon: Horizon = Horizon()
    channels: dict[str, Channel] = Field(min_length=1)
    agent_groups: dict[str, AgentGroup] = Field(min_length=1)
    routing: Routing = Routing()
    run: Run = Run()
    shift_types: tuple[ShiftType, ...] = Field(
        (), description="Shift rules the optimizer plans with (see shift_types.py)."
    )

    @field_validator("name", "description")
    @classmethod
    def _text(cls, value: str, info: ValidationInfo) -> str:
        """Names are printed in every result and terminal: no control characters (escape
        codes would be obeyed), and a bounded length."""
        most = limits.MAX_NAME_CHARS if info.field_name == "name" else limits.MAX_DESCRIPTION_CHARS
        if len(value) > most:
            raise ValueError(f"at most {most:,} characters, got {len(value):,}")
        allowed = "" if info.field_name == "name" else "\n\t"
        bad = next((ch for ch in value if not ch.isprintable() and ch not in allowed), None)
        if bad is not None:
            raise ValueError(f"contains the control character {printable(bad)}; use plain text")
        return value

    @model_validator(mode="after")
    def _cross_references(self) -> Scenario:
        problems: list[str] = []
        for names, where in ((self.channels, "channels"), (self.agent_groups, "agent_groups")):
            for name in names:
                if not _NAME.fullmatch(name):
                    problems.append(
                        f"{where}.{printable(name)}: names use letters, digits, _ and - "
                        f"(got {name!r})"
                    )
        per_day = self.horizon.intervals_per_day
        for cname, channel in self.channels.items():
            volumes = channel.arrivals.volumes
            volume_problems: list[str] = []
            if volumes is not None:
                where = f"channels.{cname}.arrivals.volumes"
                grid_problems = _check_grid(volumes, per_day, self.horizon.days, where)
                volume_problems = grid_problems or _closed_problems(self.horizon, volumes, where)
                problems += volume_problems
            if channel.hours is not None:
                wrong = hours_problems(channel.hours, self.horizon, f"channels.{cname}.hours")
                problems += wrong
                if volumes is not None and not wrong and not volume_problems:
                    problems += _closed_problems(
                        self.horizon,
                        volumes,
                        f"channels.{cname}.arrivals.volumes",
                        channel.hours.open_mask(self.horizon),
                        f"channels.{cname}.hours",
                    )
            means = channel.handle_time_means_seconds
            if means is not None:
                problems += _check_grid(
                    means, per_day, self.horizon.days, f"channels.{cname}.handle_time_means_seconds"
                )
            if not any(cname in g.skills for g in self.agent_groups.values()):
                problems.append(f"channels.{cname}: no agent group has this skill")
            res = channel.resolution
            if res is not None:
                for field, target in [("repeat_mix", t) for t in res.repeat_mix] + (
                    [("escalate_to", res.escalate_to)] if res.escalate_to else []
                ):
                    if target not in self.channels:
                        problems.append(
                            f"channels.{cname}.resolution.{field}: unknown channel {target!r}"
                            f"{suggest(target, self.channels)}"
                        )
        for gname, group in self.agent_groups.items():
            for sname in group.skills:
                if sname not in self.channels:
                    problems.append(
                        f"agent_groups.{gname}.skills.{sname}: unknown channel {sname!r}"
                        f"{suggest(sname, self.channels)}"
                    )
            if group.staffing is not None and not isinstance(group.staffing, int):
                where = f"agent_groups.{gname}.staffing"
                grid_problems = _check_grid(group.staffing, per_day, self.horizon.days, where)
                problems += grid_problems or _closed_problems(self.horizon, group.staffing, where)
            for i, shift in enumerate(group.shifts or ()):
                for day in shift.days or ():
                    if not 0 <= day < self.horizon.days:
                        problems.append(
                            f"agent_groups.{gname}.shifts.{i}.days: day {day} is outside the "
                            f"horizon (0..{self.horizon.days - 1})"
                        )
        warmup_intervals = first_counted_interval(
            self.run.warmup_minutes, self.horizon.interval_minutes
        )
        if warmup_intervals >= self.horizon.n_intervals:
            problems.append(
                f"run.warmup_minutes: {self.run.warmup_minutes:g} minutes leaves no interval to "
                f"measure (the horizon has {self.horizon.n_intervals} intervals of "
                f"{self.horizon.interval_minutes} minutes)"
            )
        problems += self._shift_type_problems()
        for cname in self.routing.priorities:
            if cname not in self.channels:
                problems.append(
                    f"routing.priorities.{cname}: unknown channel {cname!r}"
                    f"{suggest(cname, self.channels)}"
                )
        if problems:
            raise ValueError("\n".join(problems))
        return self

    @model_validator(mode="after")
    def _limits(self) -> Scenario:
        """What sizes the work or the memory of a run (simulator.limits), checked once
        every field is valid."""
        problems = _limit_problems(self)
        if problems:
            raise ValueError("\n".join(problems))
        return self

    def _shift_type_problems(self) -> list[str]:
        problems: list[str] = []
        names: set[str] = set()
        for i, st in enumerate(self.shift_types):
            where = f"shift_types.{i}"
            if st.name in names:
                problems.append(f"{where}.name: {st.name!r} is used by another shift type")
            names.add(st.name)
            for g in st.groups or ():
                if g not in self.agent_groups:
                    problems.append(
                        f"{where}.groups: unknown agent group {g!r}{suggest(g, self.agent_groups)}"
                    )
            for day in st.days or ():
                if not 0 <= day < self.horizon.days:
                    problems.append(
                        f"{where}.days: day {day} is outside the horizon "
                        f"(0..{self.horizon.days - 1})"
                    )
        return problems

    # ---- derived views ---------------------------------------------------------------
    def expected_contacts(self) -> dict[str, float]:
        """Expected first contacts per channel in one replication, from the scenario alone
        (no compilation): volume × scale over the open intervals of each day (closed weekdays
        and hours count nothing), plus closed-hours email. ``inf`` when
        the arithmetic overflows (e.g. volumes of 1e308)."""
        h = self.horizon
        open_mask = h.open_mask()  # closed weekdays and hours take no arrivals
        open_hours_total = int(open_mask.sum()) * h.interval_minutes / 60
        out: dict[str, float] = {}
        for name, channel in self.channels.items():
            arrivals = channel.arrivals
            try:
                if channel.hours is not None:  # its own hours: its open intervals' volumes
                    total = float(channel.interval_volumes(h).sum())
                elif arrivals.rate_per_hour is not None:
                    total = arrivals.rate_per_hour * open_hours_total
                else:
                    volumes = arrivals.volumes or ()
                    if volumes and isinstance(volumes[0], tuple):
                        total = math.fsum(v for row in volumes for v in row)  # type: ignore[union-attr]
                    elif h.uniform_hours:
                        total = math.fsum(volumes) * h.days  # type: ignore[arg-type]
                    else:  # one row for every day: only its open intervals take arrivals
                        total = math.fsum(
                            v
                            for row in open_mask
                            for v, is_open in zip(volumes, row, strict=True)  # type: ignore[arg-type]
                            if is_open
                        )
                total += arrivals.closed_hours_volume * h.days
                with_scale = total * arrivals.scale if total else 0.0
            except OverflowError:  # fsum of values near 1e308
                with_scale = math.inf
            out[name] = with_scale if math.isfinite(with_scale) else math.inf
        return out

    def priority(self, channel: str) -> int:
        """Routing priority of a channel (lower first)."""
        kind = KINDS[self.channels[channel].kind]
        return self.routing.priorities.get(channel, kind.default_priority)

    # ---- construction ----------------------------------------------------------------
    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = "scenario") -> Scenario:
        """Validate a plain mapping; raise :class:`InputError` with one line per problem."""
        if not isinstance(data, Mapping):
            raise InputError(
                f"{source}: expected a mapping at the top level, got {type(data).__name__}"
            )
        check_size(data, source)
        try:
            return cls.model_validate(dict(data))
        except ValidationError as exc:
            raise InputError(format_validation_error(exc, cls)) from None

    @classmethod
    def from_yaml_text(cls, text: str, *, source: str = "scenario") -> Scenario:
        """Parse YAML safely (no object construction) and validate."""
        data = parse_yaml(text, source=source)
        if data is None:
            raise InputError(f"{source}: the file is empty")
        return cls.from_dict(data, source=source)

    @classmethod
    def from_yaml(cls, path: str | Path) -> Scenario:
        """Read and validate a scenario file."""
        return cls.from_yaml_text(read_text(path), source=str(path))

    def to_dict(self) -> dict[str, Any]:
        """Plain data (JSON/YAML-ready) that :meth:`from_dict` turns back into this scenario."""
        return self.model_dump(mode="json", exclude_none=True)

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True)

    def with_changes(self, changes: Mapping[str, Any]) -> Scenario:
        """A copy with values replaced by dotted path, e.g.
        ``{"channels.voice.arrivals.scale": 1.1, "agent_groups.senior.staffing": 12}``.
        Unknown paths raise :class:`InputError` naming the nearest valid paths."""
        data = self.model_dump(mode="json")
        for path, value in changes.items():
            _set_path(data, path, value)
        return Scenario.from_dict(data, source="scenario with changes")


# --------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------
def _check_grid(values: Any, per_day: int, days: int, where: str) -> list[str]:
    """A per-interval list must have one value per open interval; a list of lists one row
    per day."""
    if values and isinstance(values[0], tuple):
        problems = []
        if len(values) != days:
            problems.append(f"{where}: {len(values)} day rows given, horizon has {days} days")
        for d, row in enumerate(values):
            if len(row) != per_day:
                problems.append(
                    f"{where}.{d}: {len(row)} values given, a day has {per_day} intervals"
                )
        return problems
    if len(values) != per_day:
        return [f"{where}: {len(values)} values given, a day has {per_day} intervals"]
    return []


def _closed_problems(
    horizon: Horizon,
    values: Any,
    where: str,
    mask: Any = None,
    hours_field: str = "horizon.hours",
) -> list[str]:
    """Per-day rows (a list of lists) must hold 0 in the intervals a day is closed
    (``horizon.hours``, or a channel's own ``mask`` from ``hours_field``): a volume or a
    headcount there would be silently dropped. A single row, the same every day, is the
    profile of an open day: closed intervals take none of it.
    """
    if not (values and isinstance(values[0], tuple)):
        return []
    if mask is None:
        if horizon.hours is None:
            return []
        mask = horizon.open_mask()
    problems = []
    for day, row in enumerate(values):
        for i, v in enumerate(row):
            if v and not mask[day, i]:
                weekday = WEEKDAYS[horizon.weekday(day)]
                problems.append(
                    f"{where}.{day}.{i}: day {day} ({weekday}) is closed at "
                    f"{horizon.interval_label(i)} ({hours_field}) but the value is {v:g}; "
                    "write 0 there"
                )
                break
    return problems


def _set_path(data: dict[str, Any], path: str, value: Any) -> None:
    parts = path.split(".")
    node: Any = data
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if isinstance(node, list | tuple) and part.isdigit():
            index = int(part)
            if index >= len(node):
                raise InputError(
                    f"{path}: {'.'.join(parts[:i])} has {len(node)} items, no item {index}"
                )
            if isinstance(node, tuple):  # frozen sequences dump as tuples: make editable
                raise InputError(f"{path}: {'.'.join(parts[:i])} cannot be edited by item")
            if last:
                node[index] = value
            else:
                node = node[index]
            continue
        if isinstance(node, dict):
            if part not in node:
                known = _paths(data)
                close = difflib.get_close_matches(path, known, n=3, cutoff=0.5)
                hint = f" (nearest valid: {', '.join(close)})" if close else ""
                raise InputError(f"{path}: unknown path{hint}")
            if last:
                node[part] = value
            else:
                if node[part] is None:
                    node[part] = {}
                node = node[part]
        else:
            raise InputError(f"{path}: {'.'.join(parts[:i])} is not a mapping")


def _paths(data: Any, prefix: str = "") -> list[str]:
    out: list[str] = []
    items: Any = ()
    if isinstance(data, dict):
        items = data.items()
    elif isinstance(data, list) and data and isinstance(data[0], dict):
        items = enumerate(data)
    for key, value in items:
        path = f"{prefix}.{key}" if prefix else str(key)
        out.append(path)
        out += _paths(value, path)
    return out


def _limit_problems(scenario: Scenario) -> list[str]:
    """Every limit a valid-looking scenario breaks, one line each (field path first)."""
    problems: list[str] = []
    h = scenario.horizon
    if len(scenario.channels) > MAX_CHANNELS:
        problems.append(f"channels: at most {MAX_CHANNELS} channels, got {len(scenario.channels)}")
    if len(scenario.agent_groups) > MAX_GROUPS:
        problems.append(
            f"agent_groups: at most {MAX_GROUPS} groups, got {len(scenario.agent_groups)}"
        )
    cells = (len(scenario.channels) + len(scenario.agent_groups)) * h.n_intervals
    if cells > MAX_INTERVAL_CELLS:
        problems.append(
            f"horizon: {len(scenario.channels)} channels + {len(scenario.agent_groups)} "
            f"groups over {h.n_intervals:,} intervals is {cells:,} per-interval series; the "
            f"limit is {MAX_INTERVAL_CELLS:,} (fewer days, longer intervals, or split the "
            "scenario)"
        )
    contacts = scenario.expected_contacts()
    total = math.fsum(contacts.values())
    if not total <= MAX_EXPECTED_CONTACTS:
        biggest = max(contacts, key=lambda c: contacts[c])
        problems.append(
            f"channels.{biggest}.arrivals: {_amount(total)} expected contacts per replication "
            f"(all channels); the limit is {MAX_EXPECTED_CONTACTS:,} (a shorter horizon, or "
            "a lower rate or scale)"
        )
    shift_days = 0
    for gname, group in scenario.agent_groups.items():
        for i, shift in enumerate(group.shifts or ()):
            shift_days += len(shift.days) if shift.days is not None else h.days
            if len(shift.breaks) > MAX_BREAKS_PER_SHIFT:
                problems.append(
                    f"agent_groups.{gname}.shifts.{i}.breaks: at most {MAX_BREAKS_PER_SHIFT} "
                    f"breaks per shift, got {len(shift.breaks)}"
                )
        counts = sum(shift.count for shift in group.shifts or ())
        if counts > MAX_AGENTS_PER_GROUP:
            problems.append(
                f"agent_groups.{gname}.shifts: the counts add up to {counts:,} agents; a group "
                f"may have at most {MAX_AGENTS_PER_GROUP:,} (split it into several groups)"
            )
    if shift_days > MAX_SHIFT_DAYS:
        problems.append(
            f"agent_groups: {shift_days:,} shift-days (days each shift is worked, summed over "
            f"all shifts); the limit is {MAX_SHIFT_DAYS:,}"
        )
    if not problems:
        problems += limits.replications_problems(
            scenario.run.replications,
            len(scenario.channels),
            len(scenario.agent_groups),
            h.n_intervals,
            field="run.replications",
        )
    return problems


def _amount(value: float) -> str:
    if math.isinf(value):
        return "infinitely many"
    return f"{value:,.0f}" if value < 1e15 else f"{value:.3g}"


__all__ = [
    "INTERVAL_FLOOR_BELOW_TARGET",
    "WEEKDAYS",
    "AgentGroup",
    "Arrivals",
    "Break",
    "Channel",
    "DayHours",
    "DayMultiplier",
    "Horizon",
    "Redial",
    "Resolution",
    "Routing",
    "Run",
    "Scenario",
    "Shift",
    "Skill",
    "Targets",
    "Weekday",
]
