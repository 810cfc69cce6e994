"""Shared helpers for the engine tests: queueing-theory scenarios and per-replication runs.

The validation scenarios are built in code (``Scenario.from_dict``) rather than read from
files, so each test states its queue (arrivals per hour, handle time, agents, patience) in
one line next to the exact value it is compared with.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy import stats as sps

if TYPE_CHECKING:
    from simulator.results import SimulationResult
    from simulator.scenario import Scenario
    from simulator.stats import ReplicationStats

# The simulator is imported inside the helpers, not here: this conftest is loaded for every
# test module, and a simulator that fails to import should fail its own tests, not the
# collection of the whole suite.


def mmc_scenario(
    rate_per_hour: float,
    aht_s: float,
    agents: int,
    *,
    days: int,
    warmup_minutes: float,
    patience_s: float | None = None,
    within_s: float = 20.0,
    interval_minutes: int = 60,
    name: str = "M/M/c validation",
) -> Scenario:
    """One call channel with Poisson arrivals and exponential handle times (and exponential
    patience when ``patience_s`` is given), served by one group of ``agents`` agents that is
    open around the clock: the M/M/c (Erlang C) or M/M/c+M (Erlang A) queue.

    Opening 00:00-24:00 every day makes consecutive days one continuous queue, so a
    replication of ``days`` days is one long steady-state run after ``warmup_minutes``.
    """
    from simulator.scenario import Scenario

    channel: dict[str, Any] = {
        "kind": "call",
        "arrivals": {"rate_per_hour": rate_per_hour},
        "handle_time": {"distribution": "exponential", "mean_seconds": aht_s},
        "targets": {"service_level": 0.8, "within_seconds": within_s},
    }
    if patience_s is not None:
        channel["patience"] = {"distribution": "exponential", "mean_seconds": patience_s}
    return Scenario.from_dict(
        {
            "name": name,
            "horizon": {
                "days": days,
                "interval_minutes": interval_minutes,
                "open": "00:00",
                "close": "24:00",
            },
            "channels": {"calls": channel},
            "agent_groups": {
                "agents": {"cost_per_hour": 25.0, "skills": ["calls"], "staffing": agents}
            },
            "run": {"warmup_minutes": warmup_minutes},
        }
    )


def run_with_stats(
    scenario: Scenario, replications: int, seed: int, *, workers: int = 1
) -> tuple[SimulationResult, list[ReplicationStats]]:
    """What ``simulate(scenario, replications, seed, workers=workers)`` does, also handing
    back the raw per-replication statistics (per-interval counters and areas, for the
    paired Little's-law checks).
    ``test_engine_properties.py`` checks that the result equals ``simulate``'s."""
    from simulator.engine import run_replication
    from simulator.model import compile_scenario
    from simulator.results import aggregate
    from simulator.runner import local_pool

    model = compile_scenario(scenario)
    if workers == 1:
        reps = [run_replication(model, seed, r) for r in range(replications)]
    else:
        with local_pool(workers, tasks=replications) as pool:
            futures = [pool.submit(run_replication, model, seed, r) for r in range(replications)]
            reps = [f.result() for f in futures]
    targets = {
        name: ch.targets.model_dump(exclude_none=True) for name, ch in scenario.channels.items()
    }
    return aggregate(model, reps, seed=seed, targets=targets), reps


def counted(stats: ReplicationStats, channel: str, counter: str, scenario: Scenario) -> float:
    """Sum of a per-interval counter over the intervals after the warm-up (those the
    results count)."""
    interval_s = scenario.horizon.interval_s
    first = int(np.ceil(scenario.run.warmup_minutes * 60 / interval_s - 1e-9))
    return float(stats.channels[channel][counter][first:].sum())


def bonferroni_k(replications: int, comparisons: int, family_alpha: float = 0.05) -> float:
    """Factor that widens a 95% Student-t CI half-width (``replications − 1`` degrees of
    freedom) into a simultaneous interval for ``comparisons`` checks at family-wise error
    ``family_alpha`` (Bonferroni: each check at ``family_alpha / comparisons``)."""
    dof = replications - 1
    per_check = family_alpha / comparisons
    return float(sps.t.ppf(1 - per_check / 2, dof) / sps.t.ppf(0.975, dof))


def exponential(mean_s: float) -> dict:
    """An exponential distribution of mean ``mean_s`` seconds, as a scenario writes it."""
    return {"distribution": "exponential", "mean_seconds": mean_s}


def blended_scenario(base: Scenario, **fields: object) -> Scenario:
    """``base`` (one call channel, group ``agents``) with an endless outbound list
    ``collections`` its agents dial: right-party connects 30%, exponential talk of 240 s,
    failed attempts of 30 s, one attempt a record, a threshold dialer keeping 1 agent idle;
    ``fields`` override the list's fields (``dialer=...`` for another policy)."""
    from simulator.scenario import Scenario

    spec = {
        "records_per_day": 100_000,  # never runs out
        "right_party_connect": 0.3,
        "handle_time": exponential(240),
        "failed_attempt_time": exponential(30),
        "max_attempts": 1,
        "groups": ["agents"],
        "dialer": {"threshold": 1},
    } | fields
    data = base.model_dump(mode="json", exclude_none=True)
    data["outbound"] = {"collections": spec}
    return Scenario.from_dict(data)


def assert_blend_matches_chain(
    result: SimulationResult, checks: list, occupancy: float, replications: int
) -> None:
    """Each ``(entity, kpi, exact, scale)`` of a blended run (entity ``calls`` or the list
    ``collections``; the simulated mean and half-width divided by ``scale``, e.g. counted
    hours for a count) and the group's occupancy within its 95% CI half-width, widened to
    a Bonferroni interval over all the checks."""
    k = bonferroni_k(replications, len(checks) + 1)
    for entity, kpi, value, scale in checks:
        if entity == "calls":
            mean, half = result.kpi(entity, kpi), result.half_width(entity, kpi)
        else:
            mean = result.outbound_kpi(entity, kpi)
            half = result.outbound_half_width(entity, kpi)
        mean, half = mean / scale, half / scale
        assert abs(mean - value) <= k * half, (
            f"{kpi}: {mean:.5g} ± {k * half:.3g}, exact {value:.5g}"
        )
    g = result.groups
    row = g[(g.group == "agents") & (g.kpi == "occupancy")].iloc[0]
    assert abs(row["mean"] - occupancy) <= k * row["ci_half_width"]


def mean_and_half_width(values: np.ndarray) -> tuple[float, float]:
    """Mean and 95% CI half-width over replications, exactly as the results compute them."""
    from simulator.results import summarise

    mean, half, _ = summarise(values)
    return mean, half


# --------------------------------------------------------------------------------------
# Textbook Erlang C in exact arithmetic: the independent reference for simulator.queueing.erlang
# and simulator.queueing.staffing (no code shared with them)
# --------------------------------------------------------------------------------------
def exact_erlang_b(agents: int, load: Fraction) -> Fraction:
    """Erlang B by the textbook recursion ``1/B(k) = 1 + k/A · 1/B(k−1)`` in fractions."""
    inverse = Fraction(1)
    for k in range(1, agents + 1):
        inverse = 1 + k / load * inverse
    return 1 / inverse


def exact_erlang_c(agents: int, load: Fraction) -> Fraction:
    """P(wait) of M/M/c, ``C = B / (1 − ρ(1 − B))`` with ρ = A/c < 1, in fractions."""
    b = exact_erlang_b(agents, load)
    return b / (1 - load / agents * (1 - b))


def textbook_load(rate_per_hour: float, aht_s: float) -> Fraction:
    """Offered Erlangs, exactly: calls per hour × hours per call."""
    return Fraction(rate_per_hour) * Fraction(aht_s) / 3600


def textbook_service_level(rate_per_hour: float, aht_s: float, agents: int, within_s: float):
    """``P(W <= t) = 1 − C·exp(−(c − A)·t / AHT)`` for a stable M/M/c queue, else 0."""
    load = textbook_load(rate_per_hour, aht_s)
    if load == 0:
        return 1.0
    if agents <= load:
        return 0.0
    gap = float(agents - load)
    return 1.0 - float(exact_erlang_c(agents, load)) * math.exp(-gap * within_s / aht_s)


def textbook_agents(rate_per_hour: float, aht_s: float, service_level: float, within_s: float):
    """Fewest agents whose textbook service level reaches the target: a plain scan up from
    the load."""
    agents = math.floor(textbook_load(rate_per_hour, aht_s))
    while textbook_service_level(rate_per_hour, aht_s, agents, within_s) < service_level:
        agents += 1
    return agents


# --------------------------------------------------------------------------------------
# The end-to-end browser test must not vanish into one "s" in the progress line
# --------------------------------------------------------------------------------------
def pytest_terminal_summary(terminalreporter) -> None:
    """When the browser test (``test_app_browser.py``) was collected but skipped, end the
    run with a red banner saying why and what to install. (CI sets
    ``STAFFSIM_REQUIRE_BROWSER=1``, where the same condition fails the test instead.)"""
    skipped = [
        report
        for report in terminalreporter.stats.get("skipped", [])
        if "test_app_browser.py" in report.nodeid
    ]
    if not skipped:
        return
    longrepr = skipped[0].longrepr
    reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
    terminalreporter.write_sep("!", "THE BROWSER TEST DID NOT RUN", red=True, bold=True)
    terminalreporter.write_line(reason.removeprefix("Skipped: "), red=True, bold=True)
    terminalreporter.write_line(
        "The app was not checked end to end in a real browser. Install Debian's chromium "
        "(apt-get install chromium) and the test extras (pip install -e '.[test]'); "
        "STAFFSIM_REQUIRE_BROWSER=1 (as in CI) makes this a failure.",
        red=True,
    )
    terminalreporter.write_sep("!", red=True, bold=True)


# ---------------------------------------------------------------------------- app tests
def app_ok(app) -> None:
    """An AppTest run raised nothing (the page's exceptions listed otherwise)."""
    assert not app.exception, [e.value for e in app.exception]


def app_button(app, label: str):
    """The AppTest button labelled ``label`` (the page's labels listed when it is missing)."""
    matches = [b for b in app.button if b.label == label]
    assert matches, f"no button {label!r}: {[b.label for b in app.button]}"
    return matches[0]
