"""Long runs from the app in the background: a simulation bigger than one click's limit and
the optimizer's search, each in a worker thread of the session, with progress (done / total,
elapsed, an estimate of the time left) and a Stop that keeps what is done.

A job is a :class:`app_pages._shared.Job` kept in ``st.session_state``, so moving between
pages does not lose it, and the sidebar shows it on every page (:func:`sidebar_status`).
The worker thread never calls Streamlit; the pages poll it with ``st.fragment(run_every=…)``.

Runs stay reproducible: a background simulation runs its replications in order in one
thread, so Stop after ``k`` replications gives exactly what ``simulate(scenario, k, seed)``
gives (replication ``r`` always meets the customers keyed by ``(seed, r)``).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any

import streamlit as st

from app_pages import _shared
from simulator import Scenario, simulate
from simulator.whatif import estimate_contacts

SIMULATION_JOB = "simulate_job"
"""Session-state key of the Simulate page's background run."""

MAX_BACKGROUND_CONTACTS = 25_000_000
"""Cap on expected first contacts of one background simulation: about 15-20 minutes on one
core at the engine's ~25,000 contacts per second (a week of ~23,000 contacts per replication
at 1,000 replications fits). Bigger runs belong to the CLI, which uses every core."""

CONTACTS_PER_SECOND = 25_000
"""The engine's rough speed on one core, for the time a run will take before it starts."""

JOBS = (
    (SIMULATION_JOB, "Simulation", "Simulate"),
    ("optimize_job", "Optimization", "Optimize"),
    ("frontier_job", "Frontier", "Frontier"),
)
"""Background jobs the sidebar reports: (session-state key, what it is, the page showing it)."""


# --------------------------------------------------------------------------------------
# Simulations
# --------------------------------------------------------------------------------------
def too_big(scenario: Scenario, replications: int) -> str | None:
    """Why ``replications`` of ``scenario`` cannot run even in the background (over
    :data:`MAX_BACKGROUND_CONTACTS`), or None when they can."""
    total = estimate_contacts(scenario, replications)
    if total <= MAX_BACKGROUND_CONTACTS:
        return None
    about = _clock(MAX_BACKGROUND_CONTACTS / CONTACTS_PER_SECOND)
    return (
        f"About {total:,.0f} contacts is above what the app runs in the background "
        f"({MAX_BACKGROUND_CONTACTS:,}, roughly {about} on one core): run it from the "
        "command line on all cores, "
        f"`staffsim simulate scenario.yaml --replications {replications} --workers 0`."
    )


def start_simulation(text: str, replications: int, seed: int) -> _shared.Job:
    """Simulate the scenario (YAML text) in a worker thread; Stop keeps the replications done.

    ``job.progress`` holds ``done``, ``total`` and ``elapsed_s`` (seconds from the start to
    the last finished replication); ``job.result`` is the :class:`SimulationResult`, marked
    ``interrupted`` when stopped, or None when stopped before the first replication ended.
    """
    scenario = _shared.parse_scenario(text)

    def work(job: _shared.Job) -> Any:
        job.progress = {"done": 0, "total": replications, "elapsed_s": 0.0}

        def progress(done: int, total: int) -> None:
            elapsed = time.monotonic() - job.started
            job.progress = {"done": done, "total": total, "elapsed_s": elapsed}
            job.check_stop()  # raises StopRequested: the runner keeps what finished

        return simulate(scenario, replications, seed, progress=progress)

    return _shared.start_job(SIMULATION_JOB, (text, replications, seed), work)


# --------------------------------------------------------------------------------------
# Progress text
# --------------------------------------------------------------------------------------
def remaining_s(done: int, total: int, elapsed_s: float, since_s: float = 0.0) -> float | None:
    """Seconds left if the rest goes at the pace so far: ``elapsed_s`` for ``done`` of
    ``total`` steps, ``since_s`` already spent on the next one. None before the first step
    (no pace yet)."""
    if done <= 0 or elapsed_s <= 0:
        return None
    return max(0.0, elapsed_s / done * (total - done) - since_s)


def _clock(seconds: float) -> str:
    """``45 s``, ``3 min 05 s``, ``1 h 02 min`` for a person watching a run."""
    seconds = max(0, math.ceil(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, secs = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def progress_text(done: int, total: int, elapsed_s: float, left_s: float | None, unit: str) -> str:
    """``7 of 40 replications · 12 s elapsed · about 1 min 05 s left``."""
    left = "estimating the time left" if left_s is None else f"about {_clock(left_s)} left"
    return f"{done} of {total} {unit} · {_clock(elapsed_s)} elapsed · {left}"


def simulation_progress(job: _shared.Job) -> tuple[float, str]:
    """Share done and the progress line of a background simulation."""
    info = job.progress
    done, total = int(info.get("done", 0)), int(info.get("total", 1))
    now = time.monotonic() - job.started
    left = remaining_s(done, total, info.get("elapsed_s", 0.0), now - info.get("elapsed_s", 0.0))
    return done / max(total, 1), progress_text(done, total, now, left, "replications")


def optimizer_progress(job: _shared.Job, max_evaluations: int) -> tuple[float, str]:
    """Share of the current phase's budget used and the progress line of an optimization.

    The estimate is an upper bound for the phase: the search may stop before its budget is
    spent (it converged), and verification on fresh seeds follows the search."""
    info = job.progress
    phase = info.get("phase", "starting")
    done = int(info.get("evaluations", 0))
    total = int(info.get("max_evaluations") or max_evaluations)
    now = time.monotonic() - job.started
    best = info.get("best_cost")
    if "evaluations" not in info:  # before the first plan, or after the search
        return (0.99 if "two-step" in phase else 0.0), f"{phase} · {_clock(now)} elapsed"
    parts = [phase, f"{done} of {total} simulation(s) in the budget"]
    if best is not None:
        parts.append(f"best cost so far {best:,.0f}")
    parts.append(f"{_clock(now)} elapsed")
    if phase != "verify":
        left = remaining_s(done, total, float(info.get("elapsed_s", 0.0)))
        if left is not None:
            parts.append(f"at most about {_clock(left)} left in this phase")
    return min(done / max(total, 1), 0.99), " · ".join(parts)


# --------------------------------------------------------------------------------------
# Stopping the optimizer between replications
# --------------------------------------------------------------------------------------
class StopExecutor(Executor):
    """Runs each task as it is submitted, in the submitting thread, and refuses new tasks
    once Stop is pressed (raising :class:`~app_pages._shared.StopRequested`).

    Handed to ``optimize(..., executor=...)``, it lets Stop end a search within one
    replication instead of one whole evaluation (20 replications of a week is a minute on
    one core): the interrupted simulation is discarded and the optimizer reports the best
    plan so far with status ``interrupted``, as after Ctrl-C on the command line. Results
    are those of the serial run (same replications, same order)."""

    def __init__(self, job: _shared.Job):
        self.job = job

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        self.job.check_stop()
        future: Future[Any] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # handed to whoever reads the future, as a pool would
            future.set_exception(exc)
        return future


# --------------------------------------------------------------------------------------
# On every page
# --------------------------------------------------------------------------------------
def sidebar_status() -> None:
    """A line in the sidebar per background job that is running, on every page, so a run
    started on Simulate or Optimize is not lost from sight elsewhere; it turns into "ended"
    when the job ends (until the next interaction redraws the page)."""
    running = tuple(
        key for key, _, _ in JOBS if (job := st.session_state.get(key)) is not None and job.running
    )
    if running:
        _sidebar_jobs(running)


@st.fragment(run_every=2.0)
def _sidebar_jobs(keys: tuple[str, ...]) -> None:
    for key, label, page in JOBS:
        job = st.session_state.get(key)
        if key not in keys or job is None:
            continue
        if not job.running:
            st.caption(f":material/check_circle: **{label}** ended: see the {page} page")
            continue
        stopping = " (stopping)" if job.stop.is_set() else ""
        if key == SIMULATION_JOB:
            info = job.progress
            state = f"{info.get('done', 0)} of {info.get('total', '?')} replications"
        else:
            state = str(job.progress.get("phase", "starting"))
        st.caption(f":material/pending: **{label}** running{stopping}: {state} ({page} page)")
