"""Hostile inputs against ``staffsim validate``, ``staffsim simulate -n 2`` and the Python API.

What a hostile (or just careless) user can hand staffsim: scenario files with alias bombs,
deep nesting, huge or tiny numbers, booleans where numbers belong, bad tags, binary junk,
overlapping breaks, zero-delay retry loops; command lines with absurd options. Every input
must either run or be refused with a clear message (exit 2, no traceback) — never a hang,
never gigabytes of memory, never a wrong number with exit 0.

Three parts:

1. **Files** (handcrafted cases + every numeric field of a small base scenario replaced by
   hostile values), each tried with ``staffsim validate FILE`` and ``staffsim simulate FILE
   -n 2``. Each try runs in a forked child of this process (the package already imported,
   so a try costs milliseconds, not an interpreter start-up), with stdout/stderr in files,
   an address-space cap of ``--memory-cap-gib`` (protects the machine) and a wall-clock
   limit of ``--timeout`` seconds. Peak memory is the child's maximum resident set
   (``wait4``).
2. **Command lines**: absurd options on a valid file (``-n 1000000000``, ``--seed 2**70``,
   ``--contact-log`` at an existing file, ``--out`` where nothing can be written).
3. **Python API**: Hypothesis-generated scenario dicts (the base scenario with fields
   replaced by arbitrary values) through ``Scenario.from_dict``, and arbitrary text through
   ``Scenario.from_yaml_text``: each must give a scenario or :class:`InputError`.

Each try is classified:

* ``clean error``: exit 2, stderr lines all ``staffsim CMD: error: ...``, no traceback;
* ``ran``: exit 0 with a sane output (for a case that may run);
* ``traceback``: a Python traceback or any other exit status;
* ``hang``: still running after ``--timeout`` seconds (killed);
* ``> 2 GiB``: peak resident memory above 2 GiB, or a MemoryError under the cap;
* ``accepted nonsense``: exit 0 on a case that must be refused, or an output containing
  ``nan``, ``inf``, a negative cost or raw terminal control characters, or failing the
  case's own check (e.g. waits over a day must say ``> 24 h``).

Usage (numbers in the issue's table come from the default run)::

    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/hostile_inputs.py
    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/hostile_inputs.py --quick  # handcrafted
    # the code before a change: a copy of another commit first on the path
    git archive main | tar -x -C /tmp/main && \\
        PYTHONPATH=/tmp/main .venv/bin/python benchmarks/hostile_inputs.py

``--details FILE`` writes one JSON line per try (case, surface, outcome, exit code, peak
MiB, seconds, first stderr line) for a closer look.
"""

from __future__ import annotations

import argparse
import copy
import io
import json
import math
import os
import re
import resource
import signal
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

if __package__ in (None, ""):  # run as a script: make the repository importable, last, so
    # that a copy of other code first on PYTHONPATH is the one measured
    sys.path.append(str(Path(__file__).resolve().parent.parent))

# --------------------------------------------------------------------------------------
# the base scenario: small (4 hours, two channels), so a simulate try takes well under 1 s
# --------------------------------------------------------------------------------------
BASE: dict[str, Any] = {
    "name": "hostile base",
    "horizon": {"days": 1, "interval_minutes": 60, "open": "08:00", "close": "12:00"},
    "channels": {
        "calls": {
            "kind": "call",
            "arrivals": {"rate_per_hour": 60, "day_multiplier": {"cv": 0.1}},
            "handle_time": {"distribution": "lognormal", "mean_seconds": 180, "cv": 0.8},
            "patience": {"distribution": "exponential", "mean_seconds": 120},
            "redial": {
                "probability": 0.3,
                "delay": {"distribution": "exponential", "mean_seconds": 600},
                "max_attempts": 3,
            },
            "resolution": {
                "repeat_share": 0.5,
                "repeat_delay": {"distribution": "gamma", "mean_seconds": 3600, "cv": 1.0},
                "max_contacts": 3,
            },
            "targets": {
                "service_level": 0.8,
                "within_seconds": 20,
                "max_abandon_rate": 0.05,
                "max_asa_seconds": 30,
            },
        },
        "mail": {
            "kind": "email",
            "arrivals": {"volumes": [5, 5, 5, 5], "closed_hours_volume": 10},
            "handle_time": {"distribution": "empirical", "samples_seconds": [200, 300, 400]},
            "promise_hours": 24,
            "promise_clock": "working",
            "targets": {"within_promise": 0.9},
        },
    },
    "agent_groups": {
        "agents": {
            "cost_per_hour": 25,
            "skills": {"calls": {"handle_time_factor": 1.0, "fcr": 0.8}, "mail": {}},
            "staffing": [5, 5, 5, 5],
            "shrinkage": 0.1,
        },
        "shifted": {
            "cost_per_hour": 20,
            "skills": ["calls"],
            "shifts": [
                {
                    "start": "08:00",
                    "hours": 4,
                    "count": 2,
                    "days": [0],
                    "breaks": [{"after_minutes": 60, "minutes": 15}],
                }
            ],
        },
    },
    "routing": {"agent_selection": "longest_idle", "email_reserve_agents": 0},
    "run": {"replications": 2, "seed": 1, "warmup_minutes": 0},
}

REFUSE, EITHER, RUN = "refuse", "either", "run"


@dataclass
class Case:
    """One hostile input: a file's text (or bytes), what it must do, extra CLI arguments."""

    name: str
    content: str | bytes
    expect: str = EITHER
    args: tuple[str, ...] = ()
    check: Callable[[str], str | None] | None = None  # output -> problem, or None
    surfaces: tuple[str, ...] = ("validate", "simulate")
    setup: Callable[[Path], list[str]] | None = None  # extra args needing a temp dir


def _with(changes: dict[str, Any], base: dict[str, Any] = BASE) -> dict[str, Any]:
    data = copy.deepcopy(base)
    for path, value in changes.items():
        node = data
        parts = path.split(".")
        for part in parts[:-1]:
            node = node[int(part)] if isinstance(node, list) else node[part]
        if isinstance(node, list):
            node[int(parts[-1])] = value
        elif value is _DELETE:
            node.pop(parts[-1], None)
        else:
            node[parts[-1]] = value
    return data


_DELETE = object()


def _dump(data: Any) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=10_000)


def _says(text: str) -> Callable[[str], str | None]:
    def check(output: str) -> str | None:
        return None if text in output else f"output does not say {text!r}"

    return check


# --------------------------------------------------------------------------------------
# handcrafted cases
# --------------------------------------------------------------------------------------
def handcrafted() -> list[Case]:
    base_text = _dump(BASE)
    cases: list[Case] = []

    def mut(name: str, changes: dict[str, Any], expect: str = REFUSE, **kw: Any) -> None:
        cases.append(Case(name, _dump(_with(changes)), expect, **kw))

    # --- memory from tiny inputs
    bomb = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        prev = f"*a{i - 1}"
        bomb.append(f"a{i}: &a{i} [{', '.join([prev] * 10)}]")
    bomb_text = "\n".join(bomb)
    cases.append(
        Case(
            "alias bomb in name",
            f"{bomb_text}\n" + base_text.replace("name: hostile base", "name: *a8"),
            REFUSE,
        )
    )
    cases.append(
        Case(
            "alias bomb in volumes",
            f"{bomb_text}\n" + base_text.replace("volumes: [5, 5, 5, 5]", "volumes: *a8"),
            REFUSE,
        )
    )
    cases.append(Case("alias bomb as unknown key", base_text + f"{bomb_text}\n", REFUSE))
    mut("staffing 1e9", {"agent_groups.agents.staffing": 1_000_000_000})
    mut("staffing 10^30", {"agent_groups.agents.staffing": 10**30})
    mut("staffing list 1e9", {"agent_groups.agents.staffing": [10**9] * 4})
    mut("shift count 1e9", {"agent_groups.shifted.shifts.0.count": 10**9})
    mut("rate 1e12 per hour", {"channels.calls.arrivals.rate_per_hour": 1e12})
    mut("rate 1e300 per hour", {"channels.calls.arrivals.rate_per_hour": 1e300})
    mut("closed-hours email 1e15", {"channels.mail.arrivals.closed_hours_volume": 1e15})
    mut(
        "volumes 1e308 scale 0",
        {"channels.mail.arrivals.volumes": [1e308] * 4, "channels.mail.arrivals.scale": 0},
    )
    many = copy.deepcopy(BASE)
    for i in range(2000):
        many["channels"][f"c{i}"] = {
            "arrivals": {"rate_per_hour": 0.001},
            "handle_time": {"distribution": "exponential", "mean_seconds": 60},
        }
    many["agent_groups"]["agents"]["skills"] = {f"c{i}": {} for i in range(2000)} | {
        "calls": {},
        "mail": {},
    }
    many["horizon"] = {"days": 366, "interval_minutes": 15, "open": "00:00", "close": "24:00"}
    many["agent_groups"]["agents"]["staffing"] = 5
    many["channels"]["mail"]["arrivals"] = {"rate_per_hour": 1}
    many["agent_groups"]["shifted"]["shifts"][0]["days"] = [0]
    cases.append(Case("2000 channels over 366 days of 15-minute intervals", _dump(many), REFUSE))
    shifts = copy.deepcopy(BASE)
    shifts["horizon"]["days"] = 366
    shifts["agent_groups"]["shifted"]["shifts"] = [
        {
            "start": "08:00",
            "hours": 4,
            "count": 1,
            "breaks": [{"after_minutes": 10 * b, "minutes": 5} for b in range(20)],
        }
        for _ in range(3000)
    ]
    cases.append(Case("3000 shifts x 20 breaks x 366 days", _dump(shifts), REFUSE))

    # --- hangs on accepted input
    mut("working promise 1e9 hours", {"channels.mail.promise_hours": 1e9})
    zero = {"distribution": "deterministic", "mean_seconds": 0}
    mut(
        "zero-delay redial loop, max_attempts 1e9",
        {
            "channels.calls.patience": zero,
            "channels.calls.redial.delay": zero,
            "channels.calls.redial.probability": 1,
            "channels.calls.redial.max_attempts": 10**9,
            "agent_groups.agents.staffing": 0,
            "agent_groups.shifted.shifts.0.count": 0,
        },
    )
    mut(
        "zero-delay repeat loop, max_contacts 1e9",
        {
            "channels.calls.handle_time": zero,
            "channels.calls.resolution.repeat_delay": zero,
            "channels.calls.resolution.repeat_share": 1,
            "channels.calls.resolution.max_contacts": 10**9,
            "agent_groups.agents.skills.calls.fcr": 0,
        },
    )
    mut(
        "zero-delay redial loop within limits",
        {
            "channels.calls.patience": zero,
            "channels.calls.redial.delay": zero,
            "channels.calls.redial.probability": 1,
            "channels.calls.redial.max_attempts": 20,
            "agent_groups.agents.staffing": 0,
            "agent_groups.shifted.shifts.0.count": 0,
        },
        EITHER,
    )
    mut(
        "zero-delay repeat loop within limits",
        {
            "channels.calls.handle_time": zero,
            "channels.calls.resolution.repeat_delay": zero,
            "channels.calls.resolution.repeat_share": 1,
            "channels.calls.resolution.max_contacts": 20,
            "agent_groups.agents.skills.calls.fcr": 0,
        },
        EITHER,
    )
    big = (
        "name: big\nchannels:\n  calls:\n    arrivals:\n      volumes: ["
        + ", ".join(["1.5"] * 4_000_000)
        + "]\n"
    )
    cases.append(Case("25 MB YAML list", big, REFUSE))

    # --- wrong numbers with exit 0
    mut(
        "overlapping breaks",
        {
            "agent_groups.shifted.shifts.0.breaks": [
                {"after_minutes": 60, "minutes": 30},
                {"after_minutes": 70, "minutes": 30},
                {"after_minutes": 80, "minutes": 30},
            ]
        },
    )
    mut(
        "duplicate shift days", {"horizon.days": 2, "agent_groups.shifted.shifts.0.days": [0, 0, 0]}
    )
    mut("day multiplier cv 1e-160", {"channels.calls.arrivals.day_multiplier.cv": 1e-160})
    mut("rate_per_hour: true", {"channels.calls.arrivals.rate_per_hour": True})
    mut("volumes with booleans", {"channels.mail.arrivals.volumes": [True, False, True, 5]})
    mut("staffing: true", {"agent_groups.agents.staffing": True})
    mut("shift count: true", {"agent_groups.shifted.shifts.0.count": True})
    mut("fcr: false", {"agent_groups.agents.skills.calls.fcr": False})
    mut("priority: true", {"routing.priorities": {"calls": True}})
    mut("replications: true", {"run.replications": True})
    mut("days: true", {"horizon.days": True})
    mut("open 08:00 + newline", {"horizon.open": "08:00\n"})
    mut("open 8:00 (one digit)", {"horizon.open": "8:00"})
    mut("open with spaces", {"horizon.open": " 08:00"})
    mut("open in Arabic-Indic digits", {"horizon.open": "٠٨:٠٠"})
    mut("open 08:00:00", {"horizon.open": "08:00:00"})
    mut("shift start 08:00 + newline", {"agent_groups.shifted.shifts.0.start": "08:00\n"})
    mut("handle time mean 1e308", {"channels.calls.handle_time.mean_seconds": 1e308})
    mut("patience mean 1e308", {"channels.calls.patience.mean_seconds": 1e308})
    mut("empirical sample 1e308", {"channels.mail.handle_time.samples_seconds": [1e308, 1]})
    mut("cost 1e308 per hour", {"agent_groups.agents.cost_per_hour": 1e308})
    mut("lognormal cv 1e-200", {"channels.calls.handle_time.cv": 1e-200})
    mut("gamma cv 1e-200", {"channels.calls.resolution.repeat_delay.cv": 1e-200})
    mut("seed 2^70", {"run.seed": 2**70})
    mut(
        "channel name with terminal escapes",
        {
            "channels": {"\x1b[31mred": BASE["channels"]["calls"]},
            "agent_groups.agents.skills": {"\x1b[31mred": {}},
            "agent_groups.shifted.skills": ["\x1b[31mred"],
        },
    )
    mut("scenario name with terminal escapes", {"name": "\x1b[2J\x1b[31mred alert"})
    mut(
        "channel name with trailing newline",
        {
            "channels": {"calls\n": BASE["channels"]["calls"]},
            "agent_groups.agents.skills": {"calls\n": {}},
            "agent_groups.shifted.skills": ["calls\n"],
        },
    )
    mut("name of 1 MB", {"name": "x" * 1_000_000})
    mut("min_headcount 10^30", {"agent_groups.agents.min_headcount": 10**30})
    mut("email reserve 10^30", {"routing.email_reserve_agents": 10**30})
    mut("within_seconds 1e308", {"channels.calls.targets.within_seconds": 1e308}, EITHER)

    # --- tracebacks (reader and types)
    mut(
        "skills as a list of mappings",
        {"agent_groups.agents.skills": [{"calls": {"fcr": 0.8}}, {"mail": {}}]},
    )
    mut("skills as a list of numbers", {"agent_groups.agents.skills": [1, 2]})
    mut("skills as a list of lists", {"agent_groups.agents.skills": [["calls"]]})
    cases.append(
        Case(
            "!!float abc",
            base_text.replace("rate_per_hour: 60", "rate_per_hour: !!float abc"),
            REFUSE,
        )
    )
    cases.append(
        Case(
            "!!int abc", base_text.replace("rate_per_hour: 60", "rate_per_hour: !!int abc"), REFUSE
        )
    )
    cases.append(
        Case(
            "!!timestamp 2020-13-45",
            base_text.replace("name: hostile base", "name: !!timestamp 2020-13-45"),
            REFUSE,
        )
    )
    cases.append(
        Case(
            "!!binary junk", base_text.replace("name: hostile base", "name: !!binary '%%%'"), REFUSE
        )
    )
    cases.append(
        Case(
            "!!python/object/apply",
            base_text.replace(
                "name: hostile base", "name: !!python/object/apply:os.system ['true']"
            ),
            REFUSE,
        )
    )
    cases.append(
        Case("unknown tag !foo", base_text.replace("name: hostile base", "name: !foo bar"), REFUSE)
    )
    cases.append(
        Case(
            "!!set of names",
            base_text.replace("skills:\n    - calls", "skills: !!set {calls}"),
            EITHER,
        )
    )
    deep = "name: deep\nchannels: " + "[" * 5000 + "]" * 5000 + "\n"
    cases.append(Case("nesting 5000 deep (flow)", deep, REFUSE))
    deep_block = "name: deep\nx:\n" + "".join(" " * i + "- \n" for i in range(1, 900))
    cases.append(Case("nesting 900 deep (block)", deep_block, REFUSE))
    deep_map = "name: deep\nchannels: " + "{a: " * 3000 + "1" + "}" * 3000 + "\n"
    cases.append(Case("mapping nesting 3000 deep", deep_map, REFUSE))
    cases.append(
        Case(
            "integer of 5000 digits",
            base_text.replace("rate_per_hour: 60", "rate_per_hour: " + "9" * 5000),
            REFUSE,
        )
    )
    cases.append(
        Case(
            "integer of 5000 digits as seed",
            base_text.replace("seed: 1", "seed: " + "9" * 5000),
            REFUSE,
        )
    )
    cases.append(
        Case(
            "float of 5000 digits",
            base_text.replace("rate_per_hour: 60", "rate_per_hour: 0." + "9" * 5000),
            EITHER,
        )
    )
    cases.append(Case("binary junk", bytes(range(256)) * 40, REFUSE))
    cases.append(Case("UTF-16 text", base_text.encode("utf-16"), REFUSE))
    cases.append(Case("NUL bytes in text", base_text.replace("hostile", "hos\x00tile"), REFUSE))
    cases.append(Case("empty file", "", REFUSE))
    cases.append(Case("only a comment", "# nothing\n", REFUSE))
    cases.append(Case("a list at the top", "- a\n- b\n", REFUSE))
    cases.append(Case("a number at the top", "42\n", REFUSE))
    cases.append(
        Case("duplicate channel key", base_text.replace("  mail:\n", "  calls:\n", 1), REFUSE)
    )
    cases.append(
        Case(
            "unquoted clock time 12:00 (YAML reads the number 720)",
            base_text.replace("'12:00'", "12:00"),
            REFUSE,
        )
    )
    cases.append(
        Case(".nan rate", base_text.replace("rate_per_hour: 60", "rate_per_hour: .nan"), REFUSE)
    )
    cases.append(
        Case(".inf rate", base_text.replace("rate_per_hour: 60", "rate_per_hour: .inf"), REFUSE)
    )
    cases.append(
        Case("1e999 rate", base_text.replace("rate_per_hour: 60", "rate_per_hour: 1e999"), REFUSE)
    )
    cases.append(
        Case("horizon: null", base_text.replace("horizon:\n", "horizon: null\nh:\n"), REFUSE)
    )

    # --- results that must not be lost or unclear
    mut(
        "no contacts offered",
        {
            "channels.calls.arrivals.rate_per_hour": 0,
            "channels.calls.arrivals.day_multiplier": _DELETE,
            "channels.mail.arrivals.volumes": [0, 0, 0, 0],
            "channels.mail.arrivals.closed_hours_volume": 0,
        },
        RUN,
        check=_says("n/a"),
    )
    long_wait = {
        "name": "waits over a day",
        "horizon": {"days": 3, "interval_minutes": 60, "open": "00:00", "close": "24:00"},
        "channels": {
            "calls": {
                "arrivals": {"rate_per_hour": 30},
                "handle_time": {"distribution": "exponential", "mean_seconds": 240},
            }
        },
        "agent_groups": {"one": {"cost_per_hour": 20, "skills": ["calls"], "staffing": 1}},
        "run": {"replications": 2},
    }
    cases.append(
        Case(
            "waits over a day", _dump(long_wait), RUN, check=_says("> 24 h"), surfaces=("simulate",)
        )
    )
    mut("working promise 8000 hours", {"channels.mail.promise_hours": 8000}, RUN)
    mut(
        "nobody staffed",
        {"agent_groups.agents.staffing": 0, "agent_groups.shifted.shifts.0.count": 0},
        RUN,
    )

    # --- command lines on a valid file
    valid = _dump(BASE)
    cases.append(
        Case("-n 1000000000", valid, REFUSE, args=("-n", "1000000000"), surfaces=("simulate",))
    )
    cases.append(
        Case("--seed 2**70", valid, REFUSE, args=("--seed", str(2**70)), surfaces=("simulate",))
    )
    cases.append(
        Case(
            "--workers 1000000",
            valid,
            EITHER,
            args=("--workers", "1000000"),
            surfaces=("simulate",),
        )
    )

    def existing_file(tmp: Path) -> list[str]:
        path = tmp / "existing.csv"
        path.write_text("keep me\n")
        return ["--contact-log", str(path)]

    cases.append(
        Case(
            "--contact-log at an existing file",
            valid,
            REFUSE,
            surfaces=("simulate",),
            setup=existing_file,
        )
    )

    def unwritable_out(tmp: Path) -> list[str]:
        blocker = tmp / "not-a-folder"
        blocker.write_text("a file where a folder is needed\n")
        return ["--out", str(blocker / "result.json")]

    cases.append(
        Case(
            "--out below a file",
            valid,
            REFUSE,
            surfaces=("simulate",),
            setup=unwritable_out,
            check=None,
        )
    )
    return cases


# --------------------------------------------------------------------------------------
# systematic cases: every number of the base scenario replaced by hostile values
# --------------------------------------------------------------------------------------
HOSTILE_VALUES: list[tuple[str, Any, str]] = [
    ("true", True, REFUSE),
    ("-1", -1, EITHER),
    ("0", 0, EITHER),
    ("1e-320", 1e-320, EITHER),
    ("1e308", 1e308, EITHER),
    ("10^30", 10**30, EITHER),
    ("'abc'", "abc", REFUSE),
    ("null", None, EITHER),
    ("[]", [], REFUSE),
    ("{x: 1}", {"x": 1}, REFUSE),
]


def numeric_paths(data: Any, prefix: str = "") -> list[str]:
    """Dotted paths of every number (or list of numbers) in the base scenario."""
    out: list[str] = []
    if isinstance(data, dict):
        for key, value in data.items():
            out += numeric_paths(value, f"{prefix}.{key}" if prefix else key)
    elif isinstance(data, list):
        if data and all(isinstance(v, int | float) and not isinstance(v, bool) for v in data):
            out.append(prefix)
        for i, value in enumerate(data):
            if isinstance(value, dict | list):
                out += numeric_paths(value, f"{prefix}.{i}")
    elif isinstance(data, int | float) and not isinstance(data, bool):
        out.append(prefix)
    return out


def systematic() -> list[Case]:
    cases = []
    for path in numeric_paths(BASE):
        for label, value, expect in HOSTILE_VALUES:
            cases.append(Case(f"{path} = {label}", _dump(_with({path: value})), expect))
    return cases


# --------------------------------------------------------------------------------------
# running one try in a forked child
# --------------------------------------------------------------------------------------
@dataclass
class Outcome:
    case: str
    surface: str
    outcome: str
    exit_code: int | None
    peak_mib: float
    seconds: float
    first_line: str = ""
    problem: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


_NONSENSE = re.compile(r"(?<![A-Za-z_])(nan|inf|-inf)(?![A-Za-z_])", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\x9b]")
_TOTAL = re.compile(r"total paid hours (-?[\d,.]+), cost (-?[\d,.]+)")


def _nonsense(case: Case, out: str, err: str) -> str | None:
    if _CONTROL.search(out) or _CONTROL.search(err):
        return "raw control characters printed"
    match = _NONSENSE.search(out)
    if match:
        return f"output contains {match.group(0)!r}"
    total = _TOTAL.search(out)
    if total and (total.group(1).startswith("-") or total.group(2).startswith("-")):
        return "negative paid hours or cost"
    if re.search(r"\s-\d[\d,.]*\s", out.split("targets", 1)[-1]) and "cost" in out:
        return "a negative number among the results"
    if case.check is not None:
        return case.check(out)
    return None


def run_try(case: Case, surface: str, workdir: Path, timeout: float, cap_bytes: int) -> Outcome:
    """Run ``staffsim SURFACE FILE [args]`` in a forked child and classify what happened."""
    scenario = workdir / "scenario.yaml"
    data = case.content if isinstance(case.content, bytes) else case.content.encode("utf-8")
    scenario.write_bytes(data)
    args = [surface, str(scenario)]
    if surface == "simulate":
        args += ["-n", "2", *case.args]
        if case.setup is not None:
            args += case.setup(workdir)
    out_path, err_path = workdir / "stdout", workdir / "stderr"
    started = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # child
        code = 1
        try:
            resource.setrlimit(resource.RLIMIT_AS, (cap_bytes, cap_bytes))
            out_fd = os.open(out_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
            err_fd = os.open(err_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
            os.dup2(out_fd, 1)
            os.dup2(err_fd, 2)
            sys.stdout = io.TextIOWrapper(os.fdopen(1, "wb", 0), write_through=True)
            sys.stderr = io.TextIOWrapper(os.fdopen(2, "wb", 0), write_through=True)
            from simulator.cli import main

            code = int(main(args) or 0)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        except BaseException:
            traceback.print_exc()
            code = 1
        finally:
            try:
                sys.stdout.flush()
                sys.stderr.flush()
            finally:
                os._exit(code)
    outcome = None
    deadline = started + timeout
    status, usage = 0, None
    while True:
        done, status, usage = os.wait4(pid, os.WNOHANG)
        if done:
            break
        if time.perf_counter() > deadline:
            os.kill(pid, signal.SIGKILL)
            _, status, usage = os.wait4(pid, 0)
            outcome = "hang"
            break
        time.sleep(0.02)
    seconds = time.perf_counter() - started
    peak_mib = usage.ru_maxrss / 1024 if usage else 0.0
    out = out_path.read_text(encoding="utf-8", errors="replace")
    err = err_path.read_text(encoding="utf-8", errors="replace")
    code = os.waitstatus_to_exitcode(status)
    first = next((line for line in err.splitlines() if line.strip()), "")
    problem = ""
    if outcome is None:
        if peak_mib > 2048 or "MemoryError" in err:
            outcome = "> 2 GiB"
        elif "Traceback" in err or code not in (0, 2):
            outcome = "traceback"
            problem = err.strip().splitlines()[-1] if err.strip() else f"exit {code}"
        elif code == 2:
            prefix = f"staffsim {surface}: error: "
            lines = [line for line in err.splitlines() if line.strip()]
            if _CONTROL.search(err):
                outcome, problem = "accepted nonsense", "raw control characters printed"
            elif all(line.startswith(prefix) for line in lines) and lines:
                outcome = "clean error"
            else:
                outcome, problem = "traceback", "unclear error output"
        else:  # exit 0
            if case.expect == REFUSE:
                outcome, problem = "accepted nonsense", "exit 0 on input that must be refused"
            else:
                problem = _nonsense(case, out, err) or "" if surface == "simulate" else ""
                if surface == "validate" and _CONTROL.search(out + err):
                    problem = "raw control characters printed"
                outcome = "accepted nonsense" if problem else "ran"
    return Outcome(
        case.name,
        surface,
        outcome,
        code,
        round(peak_mib, 1),
        round(seconds, 2),
        first[:200],
        problem[:200],
    )


# --------------------------------------------------------------------------------------
# the Python API under Hypothesis
# --------------------------------------------------------------------------------------
def api_trials(examples: int, seed: int) -> tuple[Counter, Counter, list[str]]:
    """``Scenario.from_dict`` on mutated base dicts and ``from_yaml_text`` on arbitrary
    text; counts of ``valid`` / ``InputError`` / other exception types."""
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import strategies as st

    from simulator.errors import InputError
    from simulator.scenario import Scenario

    paths = [
        *numeric_paths(BASE),
        "name",
        "horizon.open",
        "horizon.close",
        "channels.calls.kind",
        "channels.calls.handle_time",
        "channels.calls.arrivals",
        "agent_groups.agents.skills",
        "agent_groups.shifted.shifts",
        "agent_groups.shifted.shifts.0.start",
        "agent_groups.shifted.shifts.0.breaks",
        "routing.priorities",
        "run",
    ]
    leaf = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(),
        st.text(max_size=12),
        st.sampled_from(["08:00", "24:00", "calls", "mail", "exponential", "08:00\n"]),
    )
    value = st.recursive(
        leaf,
        lambda inner: st.one_of(
            st.lists(inner, max_size=5),
            st.dictionaries(
                st.sampled_from(["calls", "mail", "fcr", "mean_seconds", "distribution", "x"])
                | st.text(max_size=5),
                inner,
                max_size=4,
            ),
        ),
        max_leaves=12,
    )
    dict_counts: Counter = Counter()
    text_counts: Counter = Counter()
    samples: list[str] = []

    def record(counts: Counter, fn: Callable[[], Any]) -> None:
        try:
            fn()
            counts["valid"] += 1
        except InputError:
            counts["InputError"] += 1
        except Exception as exc:  # what the trial is looking for
            counts[type(exc).__name__] += 1
            if len(samples) < 20:
                samples.append(f"{type(exc).__name__}: {str(exc)[:150]}")

    options = settings(
        max_examples=examples,
        database=None,
        derandomize=True,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )

    @options
    @given(st.lists(st.tuples(st.sampled_from(paths), value), min_size=1, max_size=4))
    def dicts(changes: list[tuple[str, Any]]) -> None:
        data = copy.deepcopy(BASE)
        for path, new in changes:
            try:
                data = _with({path: new}, data)
            except (KeyError, IndexError, TypeError, ValueError):
                continue
        record(dict_counts, lambda: Scenario.from_dict(data))

    base_text = _dump(BASE)

    @options
    @given(
        st.one_of(
            st.text(max_size=200),
            st.tuples(st.integers(0, len(base_text)), st.text(max_size=30)).map(
                lambda t: base_text[: t[0]] + t[1] + base_text[t[0] :]
            ),
        )
    )
    def texts(text: str) -> None:
        record(text_counts, lambda: Scenario.from_yaml_text(text))

    del seed  # derandomized: the same examples on every run
    dicts()
    texts()
    return dict_counts, text_counts, samples


# --------------------------------------------------------------------------------------
# main
# --------------------------------------------------------------------------------------
COLUMNS = ["clean error", "ran", "traceback", "hang", "> 2 GiB", "accepted nonsense"]


def table(outcomes: list[Outcome]) -> str:
    lines = [
        "| where | tries | " + " | ".join(COLUMNS) + " |",
        "| --- | ---: | " + " | ".join("---:" for _ in COLUMNS) + " |",
    ]
    for surface in ("validate", "simulate"):
        rows = [o for o in outcomes if o.surface == surface]
        counts = Counter(o.outcome for o in rows)
        lines.append(
            f"| `staffsim {surface}{' -n 2' if surface == 'simulate' else ''}` | {len(rows)} | "
            + " | ".join(str(counts.get(c, 0)) for c in COLUMNS)
            + " |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per try")
    parser.add_argument(
        "--memory-cap-gib",
        type=float,
        default=4.0,
        help="address-space cap of each try (protects the machine)",
    )
    parser.add_argument("--quick", action="store_true", help="handcrafted cases only")
    parser.add_argument(
        "--examples",
        type=int,
        default=2000,
        help="Hypothesis examples for from_dict and for from_yaml_text each",
    )
    parser.add_argument("--details", help="write one JSON line per try to this file")
    args = parser.parse_args(argv)

    import simulator

    print(f"staffsim from {Path(simulator.__file__).parent}", flush=True)
    cases = handcrafted() + ([] if args.quick else systematic())
    outcomes: list[Outcome] = []
    cap = int(args.memory_cap_gib * 2**30)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        for i, case in enumerate(cases):
            for surface in case.surfaces:
                workdir = Path(tmp) / f"{i}-{surface}"
                workdir.mkdir()
                outcome = run_try(case, surface, workdir, args.timeout, cap)
                outcomes.append(outcome)
                if outcome.outcome not in ("clean error", "ran"):
                    print(
                        f"  {outcome.outcome:17s} {surface:8s} {case.name}: "
                        f"{outcome.problem or outcome.first_line}"[:160],
                        flush=True,
                    )
    elapsed = time.perf_counter() - started
    print(
        f"\n{len(cases)} files, {len(outcomes)} tries in {elapsed:,.0f} s; "
        f"peak memory of a try {max(o.peak_mib for o in outcomes):,.0f} MiB\n"
    )
    print(table(outcomes))
    dict_counts, text_counts, samples = api_trials(args.examples, 0)
    for label, counts in (
        ("Scenario.from_dict (Hypothesis dicts)", dict_counts),
        ("Scenario.from_yaml_text (Hypothesis text)", text_counts),
    ):
        other = sum(v for k, v in counts.items() if k not in ("valid", "InputError"))
        print(
            f"| `{label}` | {sum(counts.values())} | valid {counts['valid']}, "
            f"InputError {counts['InputError']}, other exceptions {other} "
            f"{dict((k, v) for k, v in counts.items() if k not in ('valid', 'InputError'))} |"
        )
    for sample in samples[:10]:
        print(f"  {sample}")
    if args.details:
        with open(args.details, "w", encoding="utf-8") as handle:
            for o in outcomes:
                handle.write(json.dumps(o.__dict__) + "\n")
    bad = sum(o.outcome not in ("clean error", "ran") for o in outcomes)
    return 1 if bad or math.isnan(elapsed) else 0


if __name__ == "__main__":
    raise SystemExit(main())
