"""What every page of the app shares: the current scenario in session state, cached library
calls, run-size checks and small display helpers.

The current scenario lives in ``st.session_state["scenario_yaml"]`` as YAML text (hashable,
so every cached call is keyed on it), never as a model object. Pages change it only through
:func:`set_scenario`, which validates first, so the stored text is always a valid scenario.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from simulator import InputError, Scenario, SimulationResult, simulate
from simulator.kpis import SHARE_KPIS
from simulator.results import display_beyond_range
from simulator.whatif import estimate_contacts, expected_contacts, load_warnings

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS_DIR = ROOT / "scenarios"
DEFAULT_SCENARIO = SCENARIOS_DIR / "default.yaml"

MAX_UPLOAD_BYTES = 1_000_000
"""Uploaded scenario files above 1 MB are refused (a year of 15-minute volumes is ~200 kB)."""

MAX_CONTACTS = 500_000
"""Cap on expected first contacts per app run (all replications, all variants together).
The engine handles ~25,000 contacts per second on one core, so the cap keeps a click under
about 20-30 seconds on a shared server; larger runs belong to the CLI, which uses all cores."""

MINUTE_KPIS = frozenset({"callback_delay_s"})
"""Times always shown in minutes: a callback's delay is read against its promise, which
the scenario gives in minutes."""

WARN_CONTACTS = 100_000
"""Above this many expected contacts the page says the run will take a few seconds."""


KPI_LABELS = {
    "offered": "Offered",
    "answered": "Answered",
    "abandoned": "Abandoned",
    "service_level": "Service level",
    "asa_s": "ASA",
    "abandon_rate": "Abandon rate",
    "wait_p90_s": "90th pct wait",
    "fcr": "FCR",
    "within_promise": "Answered within promise",
    "response_p90_s": "90th pct response",
    "backlog_at_end": "Backlog at the end",
    "blocked_rate": "Busy signals",
    "callbacks_offered": "Callbacks offered",
    "callbacks_accepted": "Callbacks accepted",
    "callback_within_promise": "Callbacks within promise",
    "callback_delay_s": "Callback delay",
    "fte": "FTE",
    "occupancy": "Occupancy",
    "cost": "Cost",
    "paid_hours": "Paid hours",
    "targets_met": "Targets met",
    "targets": "Targets",
}


# --------------------------------------------------------------------------------------
# The current scenario
# --------------------------------------------------------------------------------------
def bundled_scenarios() -> dict[str, Path]:
    """Scenario files shipped in ``scenarios/``, by file name."""
    return {path.name: path for path in sorted(SCENARIOS_DIR.glob("*.yaml"))}


def init_state() -> None:
    """Load the default scenario on a session's first run."""
    if "scenario_yaml" not in st.session_state:
        st.session_state["scenario_yaml"] = DEFAULT_SCENARIO.read_text(encoding="utf-8")
        st.session_state["scenario_source"] = DEFAULT_SCENARIO.name
        st.session_state["scenario_version"] = 0
        st.session_state["scenario_edited"] = False


def scenario_yaml() -> str:
    return st.session_state["scenario_yaml"]


def current_scenario() -> Scenario:
    """The current scenario (always valid: :func:`set_scenario` validates before storing)."""
    return parse_scenario(scenario_yaml())


def data_editor(data: pd.DataFrame, **kwargs: Any) -> pd.DataFrame:
    """``st.data_editor`` for the scenario forms, where an empty cell means "not set" (no
    line limit, no callback, the centre's hours): shown blank, not as Streamlit's grey
    "None", which a planner reads as a value."""
    return st.data_editor(data, placeholder="", **kwargs)


@st.cache_data(max_entries=64, show_spinner=False)
def parse_scenario(text: str) -> Scenario:
    """Validate YAML text (``yaml.safe_load``); raises :class:`InputError`, never caches it."""
    return Scenario.from_yaml_text(text, source="scenario")


def set_scenario(text: str, *, source: str | None = None, edited: bool = True) -> Scenario:
    """Validate ``text`` and make it the current scenario; raises :class:`InputError`.

    Bumps ``scenario_version``, which keys the editors on the Scenario page so they show
    the new values instead of replaying stale cell edits.
    """
    scenario = parse_scenario(text)
    st.session_state["scenario_yaml"] = text
    st.session_state["scenario_version"] = st.session_state.get("scenario_version", 0) + 1
    st.session_state["scenario_edited"] = edited
    if source is not None:
        st.session_state["scenario_source"] = source
    return scenario


def apply_changes(changes: dict[str, object]) -> Scenario:
    """Apply dotted-path changes to the current scenario and store the result as YAML."""
    if not changes:
        return current_scenario()
    scenario = current_scenario().with_changes(changes)
    set_scenario(scenario.to_yaml())
    return scenario


def read_upload(name: str, data: bytes) -> str:
    """Text of an uploaded scenario file, validated; raises :class:`InputError` with a
    readable line for a file that is too big, not UTF-8 text, not YAML or not a scenario."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise InputError(
            f"{name}: the file is {len(data) / 1e6:.1f} MB; the app accepts scenario files up "
            f"to {MAX_UPLOAD_BYTES / 1e6:.0f} MB (use the CLI for larger ones)"
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{name}: not a UTF-8 text file (expected a YAML scenario)") from None
    Scenario.from_yaml_text(text, source=name)
    return text


# --------------------------------------------------------------------------------------
# Cached runs
# --------------------------------------------------------------------------------------
@st.cache_data(max_entries=32, show_spinner=False)
def run_simulation(text: str, replications: int, seed: int, label: str = "") -> SimulationResult:
    """Simulate the scenario given as YAML text; cached on (text, replications, seed).

    The progress bar is created inside the cached function, so Streamlit records it with
    the result and replays it harmlessly on a cache hit (an element created outside and
    updated here could not be replayed).
    """
    scenario = parse_scenario(text)
    prefix = f"{label}: " if label else ""
    bar = st.progress(0.0, text=f"{prefix}simulating {replications} replication(s)…")

    def progress(done: int, total: int) -> None:
        bar.progress(done / total, text=f"{prefix}replication {done} of {total}")

    result = simulate(scenario, replications, seed, progress=progress)
    bar.empty()
    return result


def affordable_replications(scenarios: list[Scenario]) -> int:
    """The most replications of every scenario that stay within :data:`MAX_CONTACTS`."""
    per_rep = sum(sum(expected_contacts(s).values()) for s in scenarios)
    return int(MAX_CONTACTS // per_rep) if per_rep > 0 else 1000


def check_run_size(scenarios: list[Scenario], replications: int) -> tuple[list[str], list[str]]:
    """``(errors, warnings)`` before a run of ``replications`` of every scenario.

    Errors (the page refuses to run): more than :data:`MAX_CONTACTS` expected contacts.
    Warnings: a long run ahead, or a plan that cannot work (see ``load_warnings``).
    """
    errors: list[str] = []
    warnings: list[str] = []
    total = sum(estimate_contacts(s, replications) for s in scenarios)
    if total > MAX_CONTACTS:
        per_rep = sum(sum(expected_contacts(s).values()) for s in scenarios)
        fit = affordable_replications(scenarios)
        offer = (
            f"The app can run {fit} replications (95% CIs about "
            f"{math.sqrt(replications / fit):.1f}× as wide as with {replications}), or "
            if fit >= 2
            else ""
        )
        errors.append(
            f"About {total:,.0f} contacts ({per_rep:,.0f} per replication × {replications} "
            f"replications) is above the app's limit of {MAX_CONTACTS:,} per run. {offer}"
            "run it from the command line on all cores: "
            f"`staffsim simulate scenario.yaml --replications {replications} --workers 0`."
        )
    elif total > WARN_CONTACTS:
        seconds = total / 25_000
        warnings.append(
            f"About {total:,.0f} contacts to simulate: expect roughly {seconds:,.0f} s."
        )
    for scenario in scenarios:
        warnings += load_warnings(scenario)
    return errors, list(dict.fromkeys(warnings))


# --------------------------------------------------------------------------------------
# Display helpers
# --------------------------------------------------------------------------------------
def show_problems(exc: InputError, title: str) -> None:
    """An :class:`InputError` as one readable error box: a title and one line per problem."""
    lines = "\n".join(
        f"- `{p.split(': ', 1)[0]}`: {p.split(': ', 1)[1]}" if ": " in p else f"- {p}"
        for p in exc.problems
    )
    st.error(f"**{title}**\n\n{lines}", icon=":material/error:")


def fmt(kpi: str, mean: float, half: float | None = None) -> str:
    """``73.2% ± 6.8`` / ``13.1 s ± 4.6`` / ``2,408 ± 130`` for people."""
    if mean is None or (isinstance(mean, float) and math.isnan(mean)):
        return "n/a"
    beyond = display_beyond_range(kpi, mean)
    if beyond is not None:  # a percentile past the histogram's range
        return beyond
    has_half = half is not None and not math.isnan(half) and half != 0
    if kpi in SHARE_KPIS:
        text = f"{mean:.1%}"
        return f"{text} ± {half * 100:.1f}" if has_half else text
    if kpi == "cost":
        return f"{mean:,.0f}"
    if kpi in MINUTE_KPIS:
        return minutes(mean, half if has_half else None)
    if kpi.endswith("_s"):
        return duration(mean, half if has_half else None)
    digits = 1 if abs(mean) < 100 else 0
    text = f"{mean:,.{digits}f}"
    return f"{text} ± {half:,.{digits}f}" if has_half else text


def duration(seconds: float, half: float | None = None) -> str:
    """A time in the unit a person reads it: ``13.1 s``, ``12.5 min``, ``4.1 h`` (the CI
    half-width in the same unit): ``4.1 h ± 0.3``."""
    size = abs(seconds)
    unit, scale = ("s", 1.0) if size < 120 else ("min", 60.0) if size < 7200 else ("h", 3600.0)
    value = seconds / scale
    whole = half is None and float(value).is_integer()  # a goal: "20 s", "24 h"
    digits = 1 if abs(value) < 100 and not whole else 0
    text = f"{value:,.{digits}f} {unit}"
    if half is None or math.isnan(half) or half == 0:
        return text
    return f"{text} ± {half / scale:,.{digits}f}"


def minutes(seconds: float, half: float | None = None) -> str:
    """A time in minutes whatever its size: ``4.7 min ± 1.2``, ``34 min ± 24``, ``135 min``
    (whole minutes from 10 on, so a card shows it whole)."""
    value = seconds / 60
    digits = 1 if abs(value) < 10 else 0
    text = f"{value:,.{digits}f} min"
    if half is None or math.isnan(half) or half == 0:
        return text
    return f"{text} ± {half / 60:,.{digits}f}"


def fmt_diff(kpi: str, diff: float, half: float | None = None) -> str:
    """A difference against the base: percentage points for shares, times in the unit a
    person reads; ``± half`` (the paired 95% CI half-width) when given."""
    if diff is None or math.isnan(diff) or math.isinf(diff):
        return ""
    has_half = half is not None and not math.isnan(half) and half != 0
    if kpi in SHARE_KPIS:
        text = f"{diff * 100:+.1f} pts"
        return f"{text} ± {half * 100:.1f}" if has_half else text
    if kpi.endswith("_s"):
        show = minutes if kpi in MINUTE_KPIS else duration
        text = show(diff, half if has_half else None)
        return text if text.startswith("-") else "+" + text
    digits = 0 if kpi in ("cost", "count") or abs(diff) >= 100 else 1
    text = f"{diff:+,.{digits}f}"
    return f"{text} ± {half:,.{digits}f}" if has_half else text


def goal_text(target: str, goal: float, within: float | None = None) -> str:
    """The goal of a target in words: ``≥ 80% in 20 s``, ``≤ 5%``, ``≥ 90% in 24 h``,
    ``≤ 2.5%`` (busy signals), ``≥ 90% in 120 min`` (callbacks: the promise in minutes)."""
    if target == "callback_within_promise" and within is not None:
        return f"≥ {goal:.0%} in {within / 60:g} min"
    if target in ("service_level", "within_promise"):
        return f"≥ {goal:.0%} in {duration(within)}" if within is not None else f"≥ {goal:.0%}"
    if target == "max_blocked_rate":
        return f"≤ {goal:.1%}".replace(".0%", "%")
    if target in ("max_abandon_rate", "max_occupancy", "max_balk_rate"):
        return f"≤ {goal:.0%}"
    if target == "max_asa_seconds":
        return f"≤ {duration(goal)}"
    return f"≥ {goal:.0%}"


def results_csv(result: SimulationResult) -> str:
    """One tidy CSV of every summary KPI: scope, entity, kpi, mean, CI."""
    cols = ["scope", "entity", "kpi", "mean", "ci_half_width", "ci_low", "ci_high", "n"]
    channels = result.channels.rename(columns={"channel": "entity"}).assign(scope="channel")
    groups = result.groups.rename(columns={"group": "entity"}).assign(scope="group")
    overall = result.overall.assign(scope="overall", entity="all")
    frames = [channels[cols], groups[cols], overall[cols]]
    if len(result.outbound):
        frames.append(
            result.outbound.rename(columns={"outbound": "entity"}).assign(scope="outbound")[cols]
        )
    return pd.concat(frames).to_csv(index=False)


def kpi_table(frame: pd.DataFrame, entity: str) -> pd.DataFrame:
    """KPI rows (``entity``, ``kpi``, ``mean``, ``ci_half_width``) as a readable table: a row
    per KPI, a column per ``entity`` (group, outbound list), each cell the mean ± CI in the
    KPI's unit (:func:`fmt`)."""
    shown = frame.assign(
        value=[
            fmt(k, m, h)
            for k, m, h in zip(frame.kpi, frame["mean"], frame["ci_half_width"], strict=True)
        ]
    )
    return shown.pivot(index="kpi", columns=entity, values="value")


def closed_as_gaps(intervals: pd.DataFrame, scenario: Scenario) -> pd.DataFrame:
    """The per-interval channel rows with no value (NaN) where the channel is closed by its
    own ``hours``, so charts draw gaps there instead of a line at 0."""
    masks = {
        name: ch.hours.open_mask(scenario.horizon)
        for name, ch in scenario.channels.items()
        if ch.hours is not None
    }
    if not masks:
        return intervals
    out = intervals.copy()
    day = out["day"].to_numpy()
    index = out["interval"].to_numpy()
    closed = np.zeros(len(out), dtype=bool)
    for name, mask in masks.items():
        rows = (out["channel"] == name).to_numpy()
        closed[rows] = ~mask[day[rows], index[rows]]
    out.loc[closed, ["mean", "ci_half_width"]] = np.nan
    return out


WHOLE_HORIZON = "whole horizon"


def day_choices(horizon: Any) -> list[str]:
    """What a multi-day result can show: the whole horizon, one day (named as the charts
    name it: ``day 0`` or ``Mon 2 Dec``), or, when a weekday repeats, the average of that
    weekday (``every Mon (average)``)."""
    from app_pages._charts import day_name

    choices = [WHOLE_HORIZON, *(day_name(d, horizon) for d in range(horizon.days))]
    if horizon.days > 7:
        names = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
        seen = sorted({horizon.weekday(d) for d in range(horizon.days)})
        choices += [f"every {names[w]} (average)" for w in seen]
    return choices


def day_view(frame: pd.DataFrame, horizon: Any, choice: str) -> pd.DataFrame:
    """The per-interval rows ``choice`` (from :func:`day_choices`) shows, as one day
    (``day`` 0): one day's rows, or each interval's mean over the days of a weekday (no CI
    then: the days' CIs do not combine into one)."""
    if choice == WHOLE_HORIZON:
        return frame
    from app_pages._charts import day_name

    for d in range(horizon.days):
        if day_name(d, horizon) == choice:
            return frame[frame["day"] == d].assign(day=0)
    names = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
    weekday = next(w for w, n in enumerate(names) if choice == f"every {n} (average)")
    days = [d for d in range(horizon.days) if horizon.weekday(d) == weekday]
    rows = frame[frame["day"].isin(days)]
    keys = [
        c for c in ("channel", "group", "outbound", "kpi", "interval", "start") if c in rows.columns
    ]
    out = rows.groupby(keys, as_index=False, sort=False)["mean"].mean()
    return out.assign(day=0, ci_half_width=np.nan)


# --------------------------------------------------------------------------------------
# Long jobs (optimizer, frontier) in a background thread
# --------------------------------------------------------------------------------------
class StopRequested(KeyboardInterrupt):
    """Raised inside a job's progress callback after the user pressed Stop: the optimizer
    treats it like Ctrl-C and returns the best plan found so far."""


@dataclass
class Job:
    """A long library call run in a worker thread, kept in ``st.session_state`` so the page
    can rerun (to poll it or to press Stop) while it works. The thread never calls
    Streamlit; it only fills ``progress``, ``result`` or ``error``."""

    key: tuple[Any, ...]
    started: float = field(default_factory=time.monotonic)
    progress: dict[str, Any] = field(default_factory=dict)
    result: Any = None
    error: BaseException | None = None
    stop: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self.thread is not None and self.thread.is_alive()

    def check_stop(self) -> None:
        if self.stop.is_set():
            raise StopRequested


def start_job(name: str, key: tuple[Any, ...], work: Callable[[Job], Any]) -> Job:
    """Run ``work(job)`` in a daemon thread and remember the job as ``st.session_state[name]``."""
    job = Job(key=key)

    def target() -> None:
        try:
            job.result = work(job)
        except StopRequested:
            job.error = None
        except Exception as exc:  # shown on the page as an error box, never a traceback
            job.error = exc

    job.thread = threading.Thread(target=target, name=f"staffsim-{name}", daemon=True)
    st.session_state[name] = job
    job.thread.start()
    return job


def job_error(job: Job, title: str) -> None:
    """Show a finished job's error: an InputError's lines, or one line for anything else."""
    if isinstance(job.error, InputError):
        show_problems(job.error, title)
    elif job.error is not None:
        st.error(f"**{title}**\n\n{type(job.error).__name__}: {job.error}", icon=":material/error:")


def optimizer_available() -> bool:
    """Whether the optimizer package provides ``optimize`` and ``frontier`` (the Optimize and
    Frontier pages are listed only then)."""
    try:
        import optimizer
    except ImportError:
        return False
    return all(hasattr(optimizer, name) for name in ("optimize", "frontier", "baseline"))
