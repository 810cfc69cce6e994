"""Hostile and careless inputs: every one runs or is refused with a clear InputError.

* Hypothesis over scenario dicts and over YAML text: a valid scenario or ``InputError``,
  never another exception (the reader's, pydantic's, numpy's).
* ``tests/hostile/``: files built to exhaust memory or time (alias bomb, deep nesting, huge
  numbers, bad tags, binary, a billion-hour promise, a zero-delay retry loop), each refused
  by ``staffsim validate`` with exit 2 and one ``error:`` line, in a subprocess whose
  address space is capped (``resource.setrlimit``), so a regression fails by MemoryError
  instead of taking the machine.
* The rules behind them, one test each: booleans are not numbers, clock times are exactly
  ``HH:MM``, breaks do not overlap, days are not repeated, the documented limits.
"""

from __future__ import annotations

import copy
import json
import math
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator import limits
from simulator.errors import InputError, printable
from simulator.model import DAY_S, _integrate_intervals, _merge, compile_scenario
from simulator.scenario import Scenario
from simulator.stats import N_WAIT_BINS, histogram_quantile, wait_bin

ROOT = Path(__file__).parent.parent
HOSTILE = Path(__file__).parent / "hostile"

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
            },
            "resolution": {
                "repeat_share": 0.5,
                "repeat_delay": {"distribution": "gamma", "mean_seconds": 3600, "cv": 1.0},
            },
            "targets": {"service_level": 0.8, "within_seconds": 20},
        },
        "mail": {
            "kind": "email",
            "arrivals": {"volumes": [5, 5, 5, 5], "closed_hours_volume": 10},
            "handle_time": {"distribution": "empirical", "samples_seconds": [200, 300]},
            "promise_hours": 24,
            "promise_clock": "working",
        },
    },
    "agent_groups": {
        "agents": {
            "cost_per_hour": 25,
            "skills": {"calls": {"fcr": 0.8}, "mail": {}},
            "staffing": [5, 5, 5, 5],
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
    "run": {"replications": 2, "seed": 1},
}


def _paths(data: Any, prefix: str = "") -> list[str]:
    out = [prefix] if prefix else []
    if isinstance(data, dict):
        for key, value in data.items():
            out += _paths(value, f"{prefix}.{key}" if prefix else key)
    elif isinstance(data, list):
        for i, value in enumerate(data):
            out += _paths(value, f"{prefix}.{i}")
    return out


PATHS = _paths(BASE)


def _set(data: Any, path: str, value: Any) -> None:
    parts = path.split(".")
    node = data
    for part in parts[:-1]:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if isinstance(node, list):
        node[int(parts[-1])] = value
    else:
        node[parts[-1]] = value


def with_changes(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(BASE)
    for path, value in changes.items():
        _set(data, path.replace("__", "."), value)
    return data


def problems(data: dict[str, Any]) -> str:
    with pytest.raises(InputError) as err:
        Scenario.from_dict(data)
    return "\n".join(err.value.problems)


# --------------------------------------------------------------------------------------
# Hypothesis: valid result or InputError, nothing else
# --------------------------------------------------------------------------------------
LEAF = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=10),
    st.sampled_from(["08:00", "24:00", "08:00\n", "calls", "mail", "exponential", "gamma"]),
)
VALUE = st.recursive(
    LEAF,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(
            st.sampled_from(["calls", "mail", "fcr", "mean_seconds", "distribution", "cv"])
            | st.text(max_size=4),
            inner,
            max_size=3,
        ),
    ),
    max_leaves=10,
)


@settings(max_examples=700, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(PATHS), VALUE), min_size=1, max_size=3))
def test_any_scenario_dict_gives_a_scenario_or_input_error(changes: list) -> None:
    """Fields of a valid scenario replaced by arbitrary values (wrong types, booleans,
    huge and tiny numbers, nested junk, skills as lists of mappings)."""
    data = copy.deepcopy(BASE)
    for path, value in changes:
        try:
            _set(data, path, value)
        except (KeyError, IndexError, TypeError, ValueError):
            continue  # an earlier change replaced the parent
    try:
        scenario = Scenario.from_dict(data)
    except InputError as exc:
        assert exc.problems and all(line.isprintable() for line in exc.problems)
        return
    compile_scenario(scenario)  # what is accepted compiles


BASE_TEXT = yaml.safe_dump(BASE, sort_keys=False)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(
        st.text(max_size=120),
        st.tuples(st.integers(0, len(BASE_TEXT)), st.text(max_size=20)).map(
            lambda t: BASE_TEXT[: t[0]] + t[1] + BASE_TEXT[t[0] :]
        ),
        st.tuples(st.integers(0, len(BASE_TEXT)), st.integers(0, 40)).map(
            lambda t: BASE_TEXT[: t[0]] + BASE_TEXT[t[0] + t[1] :]
        ),
    )
)
def test_any_yaml_text_gives_a_scenario_or_input_error(text: str) -> None:
    """Arbitrary text, and the base file with text inserted or cut out anywhere."""
    try:
        Scenario.from_yaml_text(text)
    except InputError as exc:
        assert exc.problems and all(line.isprintable() for line in exc.problems)


# --------------------------------------------------------------------------------------
# hostile files, under a memory cap
# --------------------------------------------------------------------------------------
_CAPPED = """
import io, json, resource, sys, contextlib
cap = int(sys.argv[1])
resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
from simulator.cli import main
out = {}
for path in sys.argv[2:]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(["validate", path])
    out[path] = [code, err.getvalue()]
print(json.dumps(out))
"""


def test_hostile_files_are_refused_cleanly_under_a_memory_cap() -> None:
    """Each file in tests/hostile/ gives exit 2 and printable ``error:`` lines, in a process
    limited to 1.5 GiB of address space (the alias bomb alone expands to 10¹⁰ values; a
    billion agents would need ~100 GB). The subprocess timeout only guards the suite."""
    files = sorted(str(p) for p in HOSTILE.iterdir())
    assert len(files) >= 15
    done = subprocess.run(
        [sys.executable, "-c", _CAPPED, str(int(1.5 * 2**30)), *files],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    results = json.loads(done.stdout)
    for path, (code, err) in results.items():
        lines = err.strip().splitlines()
        assert code == 2, f"{path}: exit {code}: {err[-500:]}"
        assert lines and all(line.startswith("staffsim validate: error: ") for line in lines), (
            f"{path}: {err[-500:]}"
        )
        assert all(line.isprintable() for line in lines), f"{path}: raw control characters"


# --------------------------------------------------------------------------------------
# the rules, one by one
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "path",
    [
        "channels.calls.arrivals.rate_per_hour",
        "channels.calls.handle_time.mean_seconds",
        "channels.calls.redial.probability",
        "agent_groups.agents.cost_per_hour",
        "agent_groups.agents.staffing",
        "agent_groups.agents.skills.calls.fcr",
        "agent_groups.shifted.shifts.0.count",
        "run.replications",
        "horizon.days",
    ],
)
def test_booleans_are_not_numbers(path: str) -> None:
    assert f"{path}: must be a number, got true" in problems(with_changes(**{path: True}))


def test_booleans_inside_number_lists_are_refused() -> None:
    text = problems(with_changes(channels__mail__arrivals__volumes=[5, True, 5, 5]))
    assert "channels.mail.arrivals.volumes: must be a number" in text


@pytest.mark.parametrize("text", ["08:00\n", "8:00", " 08:00", "08:00:00", "٠٨:٠٠", "08:0"])
def test_clock_times_are_hh_mm_exactly(text: str) -> None:
    assert "horizon.open: must be a clock time HH:MM" in problems(with_changes(horizon__open=text))


def test_overlapping_breaks_are_refused() -> None:
    breaks = [{"after_minutes": 60, "minutes": 30}, {"after_minutes": 80, "minutes": 10}]
    text = problems(with_changes(agent_groups__shifted__shifts__0__breaks=breaks))
    assert "shifts.0: breaks.1: starts after 80 minutes, inside break 0" in text


def test_touching_breaks_are_fine() -> None:
    breaks = [{"after_minutes": 60, "minutes": 30}, {"after_minutes": 90, "minutes": 10}]
    Scenario.from_dict(with_changes(agent_groups__shifted__shifts__0__breaks=breaks))


def test_repeated_shift_days_are_refused() -> None:
    data = with_changes(horizon__days=2, agent_groups__shifted__shifts__0__days=[0, 1, 0])
    assert "shifts.0.days: day 0 is listed 2 times" in problems(data)


def test_a_shift_worked_on_no_day_is_refused() -> None:
    data = with_changes(agent_groups__shifted__shifts__0__days=[])
    assert "shifts.0.days: is empty" in problems(data)


def test_skills_as_a_list_of_mappings_explains_the_mapping_form() -> None:
    text = problems(with_changes(agent_groups__agents__skills=[{"calls": {"fcr": 0.8}}]))
    assert "agent_groups.agents.skills: a list of skills holds channel names only" in text
    assert "write a mapping" in text


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"agent_groups__agents__staffing": 10**30}, "headcount must be <= 100,000"),
        ({"agent_groups__shifted__shifts__0__count": 10**9}, "must be <= 100000"),
        ({"channels__calls__arrivals__rate_per_hour": 1e12}, "expected contacts per replication"),
        ({"channels__mail__arrivals__volumes": [1e308] * 4}, "infinitely many expected contacts"),
        ({"channels__calls__arrivals__day_multiplier__cv": 1e-160}, "must be >= 0.001"),
        ({"channels__calls__handle_time__cv": 1e-200}, "must be >= 0.001"),
        ({"channels__calls__handle_time__mean_seconds": 1e308}, "must be <= 31622400"),
        ({"channels__mail__promise_hours": 1e9}, "must be <= 8784"),
        ({"channels__calls__redial__max_attempts": 10**9}, "must be <= 50"),
        ({"agent_groups__agents__cost_per_hour": 1e308}, "must be <= 1000000000"),
        ({"run__seed": 2**70}, "must be <= 9223372036854775807"),
        ({"run__replications": 100_000}, "GiB of statistics in memory"),
        ({"name": "x" * 201}, "name: at most 200 characters"),
        ({"name": "\x1b[31mred"}, "name: contains the control character \\x1b"),
    ],
)
def test_documented_limits_are_enforced(changes: dict[str, Any], expected: str) -> None:
    assert expected in problems(with_changes(**changes))


def test_limits_accept_a_large_real_centre() -> None:
    """A big centre is well inside the limits: 4 weeks, 3 channels, 5,000 agents."""
    data = with_changes(
        horizon={"days": 28, "interval_minutes": 15, "open": "07:00", "close": "22:00"},
        agent_groups__agents__staffing=5_000,
        channels__calls__arrivals__rate_per_hour=2_500,
        channels__mail__arrivals={"rate_per_hour": 400},
    )
    data["agent_groups"]["shifted"]["shifts"][0]["days"] = list(range(28))
    scenario = Scenario.from_dict(data)
    assert 1e6 < sum(scenario.expected_contacts().values()) < limits.MAX_EXPECTED_CONTACTS


def test_shared_lists_from_python_are_counted_at_each_use() -> None:
    """An alias bomb built in Python (one list referenced 10⁹ times) is refused before
    pydantic walks it."""
    bomb: Any = [1.0] * 10
    for _ in range(9):
        bomb = [bomb] * 10
    data = with_changes(channels__mail__arrivals__volumes=bomb)
    assert "more than 2,000,000 values" in problems(data)
    cyclic = with_changes()
    cyclic["channels"]["calls"]["arrivals"]["self"] = cyclic
    assert "nested deeper than 64 levels" in problems(cyclic)


def test_input_error_lines_are_printable_and_bounded() -> None:
    err = InputError(["a\x1b[2Jb", "x" * 10_000, "two\nlines"])
    assert err.problems[0] == "a\\x1b[2Jb"
    assert len(err.problems[1]) < 600 and "more characters" in err.problems[1]
    assert err.problems[2:] == ["two", "lines"]
    assert printable("\u202eevil") == "\\u202eevil"


# --------------------------------------------------------------------------------------
# arithmetic: closed forms equal the walks they replace
# --------------------------------------------------------------------------------------
def _walk_working_seconds(open_s: int, close_s: int, t: float, seconds: float) -> float:
    """The day-by-day walk ``add_working_seconds`` used to be (reference)."""
    day = int(t // DAY_S)
    while True:
        start = max(t, day * DAY_S + open_s)
        end = day * DAY_S + close_s
        if start < end:
            if seconds <= end - start:
                return start + seconds
            seconds -= end - start
        day += 1


def test_working_seconds_closed_form_equals_the_day_walk_exactly() -> None:
    rng = random.Random(7)
    scenario = Scenario.from_dict(BASE)
    for open_s, close_s in [(8 * 3600, 12 * 3600), (0, DAY_S), (9 * 3600, 9 * 3600 + 900)]:
        model = compile_scenario(scenario)
        object.__setattr__(model, "open_s", open_s)
        object.__setattr__(model, "close_s", close_s)
        length = close_s - open_s
        for _ in range(20_000):
            t = rng.choice([rng.uniform(0, 30 * DAY_S), rng.randrange(30) * DAY_S + close_s])
            s = rng.choice(
                [rng.uniform(0, 900 * 3600), rng.randrange(1, 60) * length, rng.random() * length]
            )
            assert model.add_working_seconds(t, s) == _walk_working_seconds(open_s, close_s, t, s)


def test_year_long_working_promise_is_computed_in_closed_form() -> None:
    model = compile_scenario(Scenario.from_dict(BASE))  # open 08:00-12:00
    hours = limits.MAX_PROMISE_HOURS
    due = model.add_working_seconds(8 * 3600, hours * 3600.0)
    days, rest = divmod(hours, 4)  # 4 opening hours a day
    assert due == (days - (rest == 0)) * DAY_S + 8 * 3600 + (rest or 4) * 3600


def test_paid_hours_in_one_pass_equal_per_interval_integration() -> None:
    rng = random.Random(3)
    times = sorted({rng.randrange(0, 40) * 900.0 + rng.choice([0, 0.5]) for _ in range(40)})
    changes = _merge([(t, rng.randrange(0, 9)) for t in times])
    starts = np.arange(0, 36_000, 1800.0)

    def reference(a: float, b: float) -> float:
        total, level, last = 0.0, 0, a
        for t, new in changes:
            if t >= b:
                break
            if t > a:
                total += level * (t - last)
                last = t
            level = new
        return total + level * (b - last)

    expected = [reference(a, a + 1800) for a in starts]
    assert _integrate_intervals(changes, starts, 1800).tolist() == expected


# --------------------------------------------------------------------------------------
# numbers never wrong: percentiles beyond the histogram
# --------------------------------------------------------------------------------------
def test_percentile_beyond_the_histogram_is_infinite_not_a_made_up_number() -> None:
    counts = np.zeros(N_WAIT_BINS, dtype=np.int64)
    counts[wait_bin(10.0)] += 10  # 10 short waits
    counts[wait_bin(3 * DAY_S)] += 10  # 10 waits of three days
    assert histogram_quantile(counts, 0.25) < 20
    assert math.isinf(histogram_quantile(counts, 0.9))
    counts[wait_bin(10.0)] += 80
    assert histogram_quantile(counts, 0.9) < 20  # 90% are short: a real number again
