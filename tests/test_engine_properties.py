"""Engine invariants: conservation, common random numbers, reproducibility, edge cases,
property-based tests on generated scenarios, and every bundled scenario simulates.

Statistical comparisons here use the simulation's own confidence intervals (see
``test_engine_theory.py`` for the method); everything else is exact.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import bonferroni_k, mmc_scenario, run_with_stats
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.queueing.erlang import erlang_a_kpis
from simulator.runner import simulate
from simulator.scenario import Scenario

SCENARIO_DIR = Path(__file__).resolve().parent.parent / "scenarios"


def _is_scenario(path: Path) -> bool:
    """scenarios/ also holds batch sweep files (``base:`` + ``grid:``), which are not
    scenarios; a scenario has ``channels`` at the top level."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return isinstance(data, dict) and "channels" in data


SCENARIOS = [p for p in sorted(SCENARIO_DIR.glob("*.yaml")) if _is_scenario(p)]
TABLES = ("channels", "intervals", "groups", "group_intervals", "overall", "per_replication")


# --------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------
def _per_rep(result: Any, channel: str, kpi: str) -> np.ndarray:
    """Per-replication values of a channel KPI (zeros when the KPI does not apply to the
    channel's kind, e.g. abandonments of emails)."""
    table = result.per_replication
    rows = table[(table.entity == channel) & (table.kpi == kpi)].sort_values("replication")
    if rows.empty:
        return np.zeros(result.replications)
    return rows["value"].to_numpy(dtype=float)


def assert_conservation(result: Any, channels: list[str]) -> None:
    """Every counted contact has exactly one fate, in every replication:
    offered = answered + abandoned + unanswered at close + still waiting at the end
    (+ blocked + callbacks accepted, on a call channel with lines or callbacks; an accepted
    callback is then made or still waiting at the end; + balked, at a walk-in counter with
    balking)."""
    for name in channels:
        offered = _per_rep(result, name, "offered")
        fates = sum(
            _per_rep(result, name, kpi)
            for kpi in (
                "answered",
                "abandoned",
                "unanswered_at_close",
                "waiting_at_end",
                "blocked",
                "callbacks_accepted",
                "balked",
            )
        )
        np.testing.assert_array_equal(offered, fates, err_msg=f"channel {name}")
        callbacks = _per_rep(result, name, "callbacks_made") + _per_rep(
            result, name, "callbacks_waiting_at_end"
        )
        np.testing.assert_array_equal(
            _per_rep(result, name, "callbacks_accepted"), callbacks, err_msg=f"channel {name}"
        )


def assert_kpis_sensible(result: Any) -> None:
    """Shares in [0, 1], times and levels >= 0, answered <= offered — per replication,
    per interval and in the summary tables."""
    rep = result.per_replication
    shares = ("service_level", "abandon_rate", "fcr", "resolved_at_contact", "occupancy")
    shares += ("blocked_rate", "callback_uptake", "callback_within_promise")
    for kpi in shares:
        values = rep.loc[rep.kpi == kpi, "value"].dropna()
        assert ((values >= 0) & (values <= 1 + 1e-12)).all(), (kpi, values.tolist())
    times = ("asa_s", "wait_p50_s", "wait_p90_s", "wait_p95_s", "aht_s", "mean_queue_length")
    for kpi in (*times, "callback_delay_s"):
        values = rep.loc[rep.kpi == kpi, "value"].dropna()
        assert (values >= 0).all(), (kpi, values.tolist())
    for name in result.channels.channel.unique():
        assert (_per_rep(result, name, "answered") <= _per_rep(result, name, "offered")).all()
        assert (_per_rep(result, name, "abandoned") <= _per_rep(result, name, "offered")).all()
    for table, key in ((result.intervals, "channel"), (result.group_intervals, "group")):
        shares = table[table.kpi.isin(["service_level", "abandon_rate", "occupancy"])]
        means = shares["mean"].dropna()
        assert ((means >= 0) & (means <= 1 + 1e-12)).all(), key
        counts = table[table.kpi.isin(["offered", "answered", "mean_queue_length"])]
        assert (counts["mean"].dropna() >= 0).all(), key


def _assert_same_tables(a: Any, b: Any) -> None:
    for table in TABLES:
        pd.testing.assert_frame_equal(getattr(a, table), getattr(b, table), check_exact=True)
    for name, hist in a.wait_histograms.items():
        np.testing.assert_array_equal(hist, b.wait_histograms[name])


def _two_channel_scenario(generalists: int, specialists: int) -> Scenario:
    """Two call types with patience and redial, two groups (one multi-skilled)."""
    return Scenario.from_dict(
        {
            "name": "CRN check",
            "horizon": {"days": 1, "interval_minutes": 30, "open": "08:00", "close": "12:00"},
            "channels": {
                "general": {
                    "arrivals": {"rate_per_hour": 120},
                    "handle_time": {"distribution": "lognormal", "mean_seconds": 240, "cv": 0.8},
                    "patience": {"distribution": "exponential", "mean_seconds": 150},
                    "redial": {
                        "probability": 0.4,
                        "delay": {"distribution": "exponential", "mean_seconds": 300},
                    },
                },
                "cards": {
                    "arrivals": {"rate_per_hour": 40},
                    "handle_time": {"distribution": "gamma", "mean_seconds": 300, "cv": 0.5},
                    "patience": {"distribution": "exponential", "mean_seconds": 200},
                },
            },
            "agent_groups": {
                "generalists": {
                    "cost_per_hour": 20,
                    "skills": {"general": {"fcr": 0.8}},
                    "staffing": generalists,
                },
                "specialists": {
                    "cost_per_hour": 30,
                    "skills": {"cards": {"fcr": 0.9}, "general": {"fcr": 0.7}},
                    "staffing": specialists,
                },
            },
            "routing": {"priorities": {"cards": 1, "general": 2}},
        }
    )


def _read_log(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


# --------------------------------------------------------------------------------------
# the test helper is simulate()
# --------------------------------------------------------------------------------------
def test_theory_helper_is_exactly_simulate() -> None:
    """``run_with_stats`` (used by the theory tests for per-replication P(wait)) gives the
    same tables as the public ``simulate``, so the theory tests validate ``simulate``."""
    scenario = mmc_scenario(300, 180, 17, days=1, warmup_minutes=60, patience_s=240)
    helper, _ = run_with_stats(scenario, 3, 11)
    public = simulate(scenario, replications=3, seed=11)
    _assert_same_tables(helper, public)


# --------------------------------------------------------------------------------------
# conservation
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("serve_queue_at_close", [True, False])
def test_conservation_every_contact_has_one_fate(serve_queue_at_close: bool) -> None:
    """Under-staffed with patience, redials and a zero-staff interval, contacts are
    answered, abandon, are left at close or wait forever — and each is counted once."""
    scenario = _two_channel_scenario(3, 2).with_changes(
        {
            "agent_groups.generalists.staffing": [3, 3, 0, 0, 3, 3, 0, 0],
            "run.serve_queue_at_close": serve_queue_at_close,
            "run.warmup_minutes": 30,
        }
    )
    result = simulate(scenario, replications=4, seed=5)
    assert_conservation(result, ["general", "cards"])
    assert_kpis_sensible(result)
    assert result.kpi("general", "abandoned") > 0
    assert result.kpi("general", "redials") > 0
    if not serve_queue_at_close:
        assert result.kpi("general", "unanswered_at_close") > 0


# --------------------------------------------------------------------------------------
# common random numbers and reproducibility
# --------------------------------------------------------------------------------------
def test_common_random_numbers_same_customers_whatever_the_staffing(tmp_path: Path) -> None:
    """Same seed, two staffing plans: the same first-attempt arrivals on every channel, and
    the same handle time, patience and resolution draw for every customer the two plans
    treat alike (answered by the same group in both, or abandoned in both)."""
    logs = {}
    for label, (gen, spec) in {"lean": (2, 1), "rich": (6, 3)}.items():
        simulate(
            _two_channel_scenario(gen, spec),
            replications=1,
            seed=77,
            contact_log_dir=tmp_path / label,
        )
        logs[label] = _read_log(tmp_path / label / "contacts-0.csv")

    def first_attempts(rows: list[dict[str, str]]) -> dict[tuple[str, str], dict[str, str]]:
        fates = ("answered", "abandoned", "unanswered_at_close")
        return {
            (r["channel"], r["arrival_s"]): r
            for r in rows
            if r["outcome"] in fates and r["attempt"] == "1" and r["issue_seq"] == "1"
        }

    def handle_times(rows: list[dict[str, str]]) -> dict[tuple[str, str], float]:
        start = {
            (r["channel"], r["arrival_s"], r["attempt"]): float(r["time_s"])
            for r in rows
            if r["outcome"] == "answered"
        }
        return {
            (r["channel"], r["arrival_s"]): float(r["time_s"])
            - start[r["channel"], r["arrival_s"], r["attempt"]]
            for r in rows
            if r["outcome"] == "completed" and r["attempt"] == "1" and r["issue_seq"] == "1"
        }

    lean, rich = first_attempts(logs["lean"]), first_attempts(logs["rich"])
    assert set(lean) == set(rich)
    for channel in ("general", "cards"):
        assert sum(1 for c, _ in lean if c == channel) > 50
    # Outcomes differ (that is the point of staffing), attributes must not.
    outcomes = {key: (lean[key]["outcome"], rich[key]["outcome"]) for key in lean}
    assert any(a != b for a, b in outcomes.values())
    lean_handle, rich_handle = handle_times(logs["lean"]), handle_times(logs["rich"])
    compared = 0
    for key in lean:
        a, b = lean[key], rich[key]
        if a["outcome"] == b["outcome"] == "abandoned":
            assert a["wait_s"] == b["wait_s"], key  # the wait of an abandoner is its patience
            compared += 1
        elif a["outcome"] == b["outcome"] == "answered" and a["group"] == b["group"]:
            assert math.isclose(lean_handle[key], rich_handle[key], abs_tol=2e-3), key
            completed_a = _completion(logs["lean"], key)
            completed_b = _completion(logs["rich"], key)
            assert completed_a["resolved"] == completed_b["resolved"], key
            compared += 1
    assert compared > 100


def _completion(rows: list[dict[str, str]], key: tuple[str, str]) -> dict[str, str]:
    return next(
        r
        for r in rows
        if r["outcome"] == "completed"
        and (r["channel"], r["arrival_s"]) == key
        and r["attempt"] == "1"
        and r["issue_seq"] == "1"
    )


def test_same_seed_same_result_and_other_seed_differs() -> None:
    scenario = Scenario.from_yaml(SCENARIO_DIR / "default.yaml")
    first = simulate(scenario, replications=2, seed=3)
    _assert_same_tables(first, simulate(scenario, replications=2, seed=3))
    other = simulate(scenario, replications=2, seed=4)
    assert not first.channels["mean"].equals(other.channels["mean"])


def test_workers_do_not_change_results() -> None:
    """Replication r uses the streams keyed by (seed, r) in whatever process runs it."""
    scenario = Scenario.from_yaml(SCENARIO_DIR / "default.yaml")
    one = simulate(scenario, replications=4, seed=9, workers=1)
    two = simulate(scenario, replications=4, seed=9, workers=2)
    _assert_same_tables(one, two)


# --------------------------------------------------------------------------------------
# edge cases
# --------------------------------------------------------------------------------------
def _interval_kpi(result: Any, channel: str, kpi: str) -> np.ndarray:
    table = result.intervals
    rows = table[(table.channel == channel) & (table.kpi == kpi)]
    return rows.sort_values(["day", "interval"])["mean"].to_numpy(dtype=float)


def _group_interval_kpi(table: pd.DataFrame, kpi: str) -> np.ndarray:
    rows = table[table.kpi == kpi].sort_values(["day", "interval"])
    return rows["mean"].to_numpy(dtype=float)


@pytest.mark.parametrize("patience", [None, 120.0])
def test_interval_without_staff(patience: float | None) -> None:
    """08:00-09:00 staffed, 09:00-10:00 nobody, 10:00-11:00 staffed: contacts of the empty
    hour wait (or abandon) and are answered when agents return; nothing crashes."""
    channel: dict[str, Any] = {
        "arrivals": {"rate_per_hour": 60},
        "handle_time": {"distribution": "exponential", "mean_seconds": 120},
    }
    if patience is not None:
        channel["patience"] = {"distribution": "exponential", "mean_seconds": patience}
    scenario = Scenario.from_dict(
        {
            "horizon": {"days": 1, "interval_minutes": 60, "open": "08:00", "close": "11:00"},
            "channels": {"calls": channel},
            "agent_groups": {
                "team": {"cost_per_hour": 20, "skills": ["calls"], "staffing": [4, 0, 4]}
            },
        }
    )
    result = simulate(scenario, replications=5, seed=1)
    assert_conservation(result, ["calls"])
    assert_kpis_sensible(result)
    sl = _interval_kpi(result, "calls", "service_level")
    asa = _interval_kpi(result, "calls", "asa_s")
    assert sl[1] < min(sl[0], sl[2])
    assert asa[1] > max(asa[0], asa[2])
    team = result.group_intervals[result.group_intervals.group == "team"]
    available = _group_interval_kpi(team, "agents_available")
    occupancy = _group_interval_kpi(team, "occupancy")
    # At 09:00 agents on a call finish it and leave; nobody takes new work in the empty hour,
    # so the little presence there is all busy time.
    assert available[1] < available[0] / 4
    assert occupancy[1] == pytest.approx(1.0, abs=1e-9)
    if patience is None:
        assert result.kpi("calls", "answered") == result.kpi("calls", "offered")
        assert _interval_kpi(result, "calls", "mean_queue_length")[1] > 1
    else:
        abandon = _interval_kpi(result, "calls", "abandon_rate")
        assert abandon[1] > max(abandon[0], abandon[2])


def test_overload_with_patience_matches_erlang_a() -> None:
    """Offered load 1.5x the agents: only abandonment keeps the queue stable. The run
    finishes and P(wait), service level, ASA, abandonment, queue length and occupancy are
    what Erlang A predicts: the exact value inside the Bonferroni interval over the six
    checks (family-wise 5%), each interval at most 3% of the value (4% for the service
    level, which is small here: ~25%), so a KPI 5% off fails."""
    agents, aht, patience, load = 10, 180.0, 120.0, 15.0
    rate = load * 3600 / aht
    replications = 20
    scenario = mmc_scenario(rate, aht, agents, days=2, warmup_minutes=60, patience_s=patience)
    result = simulate(scenario, replications=replications, seed=8)
    exact = erlang_a_kpis(rate, aht, agents, patience, within_s=20)
    assert_conservation(result, ["calls"])
    groups = result.groups.set_index(["group", "kpi"])
    checks = {
        "p_wait": (exact.p_wait, 0.03),
        "service_level": (exact.service_level, 0.04),
        "asa_s": (exact.asa_s, 0.03),
        "abandon_rate": (exact.p_abandon, 0.03),
        "mean_queue_length": (exact.mean_queue_length, 0.03),
        "occupancy": (exact.occupancy, 0.01),
    }
    k = bonferroni_k(replications, len(checks))
    problems = []
    for kpi, (value, precision) in checks.items():
        if kpi == "occupancy":
            mean, half = groups.loc[("agents", kpi), ["mean", "ci_half_width"]]
        else:
            mean, half = result.kpi("calls", kpi), result.half_width("calls", kpi)
        value = float(value)
        if not abs(mean - value) <= k * half:
            problems.append(f"{kpi}: {mean:.5g} ± {k * half:.3g}, exact {value:.5g}")
        if not half <= precision * value:
            problems.append(f"{kpi}: half-width {half / value:.1%} > {precision:.0%}")
    assert not problems, "\n".join(problems)
    assert result.kpi("calls", "abandon_rate") > 1 - agents / load  # fluid bound 1/3


def _expected_queue_at_close(rate_per_hour: float, aht_s: float, agents: int, hours: float):
    """E[contacts waiting] after ``hours`` of an M/M/c queue started empty: the transient
    law of the birth-death chain (births λ, deaths min(n, c)·μ), ``p(T) = p(0)·exp(Q T)``,
    computed with scipy on a truncation far above any reachable state."""
    from scipy import sparse
    from scipy.sparse.linalg import expm_multiply

    lam, mu, top = rate_per_hour / 3600, 1 / aht_s, 4 * int(rate_per_hour * hours) + 100
    n = np.arange(top + 1)
    births, deaths = np.full(top, lam), np.minimum(n[1:], agents) * mu
    q = sparse.diags([births, deaths], [1, -1], shape=(top + 1, top + 1)).tolil()
    q.setdiag(-np.asarray(q.sum(axis=1)).ravel())
    start = np.zeros(top + 1)
    start[0] = 1.0
    p = expm_multiply(q.T.tocsc() * (hours * 3600), start)
    assert abs(p.sum() - 1) < 1e-9 and p[-100:].sum() < 1e-30  # the truncation is harmless
    return float(np.maximum(n - agents, 0) @ p)


@pytest.mark.parametrize("serve_queue_at_close", [True, False])
def test_overload_without_patience_finishes(serve_queue_at_close: bool) -> None:
    """Load 1.5x capacity for 8 hours and nobody hangs up: the queue grows all day. The run
    ends (the queue is bounded by the arrivals), waits grow hour by hour, and at closing the
    queue is either served to the end or reported as unanswered: as many as the M/M/c chain
    started empty at opening has waiting after 8 hours (~796, a fluid 800 less the first
    minutes' slack), within the CI of 50 replications, itself at most 2.5% of the value."""
    scenario = Scenario.from_dict(
        {
            "horizon": {"days": 1, "interval_minutes": 60, "open": "08:00", "close": "16:00"},
            "channels": {
                "calls": {
                    "arrivals": {"rate_per_hour": 300},
                    "handle_time": {"distribution": "exponential", "mean_seconds": 180},
                }
            },
            "agent_groups": {"team": {"cost_per_hour": 20, "skills": ["calls"], "staffing": 10}},
            "run": {"serve_queue_at_close": serve_queue_at_close},
        }
    )
    result = simulate(scenario, replications=3 if serve_queue_at_close else 50, seed=2)
    assert_conservation(result, ["calls"])
    assert_kpis_sensible(result)
    asa = _interval_kpi(result, "calls", "asa_s")
    queue = _interval_kpi(result, "calls", "mean_queue_length")
    assert np.all(np.diff(queue[1:]) > 0), queue  # grows every hour after the first
    if serve_queue_at_close:
        assert np.all(np.diff(asa[1:]) > 0), asa
        assert result.kpi("calls", "answered") == result.kpi("calls", "offered")
        # Fluid limit: the last hour's callers wait ~ (300 − 200)/h × 7.5 h / (200/h) hours.
        assert asa[-1] > 3600
    else:
        expected = _expected_queue_at_close(300, 180, 10, 8)
        mean = result.kpi("calls", "unanswered_at_close")
        half = result.half_width("calls", "unanswered_at_close")
        assert abs(mean - expected) <= half, (mean, half, expected)
        assert half <= 0.025 * expected
    assert result.kpi("calls", "waiting_at_end") == 0


def test_seven_day_horizon() -> None:
    """A week of the bank scenario (same daily curve each day) runs and reports every day."""
    scenario = Scenario.from_yaml(SCENARIO_DIR / "default.yaml").with_changes({"horizon.days": 7})
    result = simulate(scenario, replications=2, seed=4)
    offered = result.intervals[(result.intervals.kpi == "offered")]
    per_day = offered.groupby(["channel", "day"])["mean"].sum().unstack("day")
    assert list(per_day.columns) == list(range(7))
    expected_daily = {
        name: sum(ch.arrivals.volumes or ())  # type: ignore[arg-type]
        for name, ch in scenario.channels.items()
    }
    for name, expected in expected_daily.items():
        # Each day's volume is Poisson with this mean; 2 replications x 7 days all land
        # within 6 standard deviations (a loose sanity bound, not a statistical test).
        assert np.all(np.abs(per_day.loc[name] - expected) < 6 * math.sqrt(expected)), name
    assert_conservation(result, list(scenario.channels))
    assert_kpis_sensible(result)


# --------------------------------------------------------------------------------------
# property-based: small generated scenarios
# --------------------------------------------------------------------------------------
_DISTRIBUTIONS = st.sampled_from(
    ["exponential", "lognormal", "gamma", "deterministic", "empirical"]
)


@st.composite
def _distribution(draw: st.DrawFn, low: float, high: float) -> dict[str, Any]:
    kind = draw(_DISTRIBUTIONS)
    mean = draw(st.floats(low, high))
    if kind == "empirical":
        values = draw(st.lists(st.floats(0, 2 * high), min_size=1, max_size=6))
        return {"distribution": "empirical", "samples_seconds": values}
    if kind in ("lognormal", "gamma"):
        return {"distribution": kind, "mean_seconds": mean, "cv": draw(st.floats(0.2, 1.5))}
    return {"distribution": kind, "mean_seconds": mean}


@st.composite
def small_scenarios(draw: st.DrawFn) -> dict[str, Any]:
    """1-3 channels of random kinds, 1-3 groups with random skills, staffing (zeros
    included), shrinkage, routing policy and run settings, over 1-4 intervals x 1-2 days."""
    interval = draw(st.sampled_from([15, 30, 60]))
    n_intervals = draw(st.integers(1, 4))
    close_minutes = 8 * 60 + interval * n_intervals
    days = draw(st.integers(1, 2))
    n_channels = draw(st.integers(1, 3))
    names = [f"ch{i}" for i in range(n_channels)]
    channels: dict[str, Any] = {}
    for name in names:
        kind = draw(st.sampled_from(["call", "call", "chat", "email"]))
        channel: dict[str, Any] = {
            "kind": kind,
            "handle_time": draw(_distribution(20.0, 600.0)),
        }
        if draw(st.booleans()):
            channel["arrivals"] = {"rate_per_hour": draw(st.floats(0, 60))}
        else:
            channel["arrivals"] = {
                "volumes": draw(
                    st.lists(st.floats(0, 20), min_size=n_intervals, max_size=n_intervals)
                )
            }
        if kind != "email" and draw(st.booleans()):
            channel["patience"] = draw(_distribution(5.0, 400.0))
            if draw(st.booleans()):
                channel["redial"] = {
                    "probability": draw(st.floats(0, 1)),
                    "delay": draw(_distribution(10.0, 900.0)),
                    "max_attempts": draw(st.integers(1, 3)),
                }
        if kind == "call" and draw(st.integers(0, 2)) == 0:
            channel["lines"] = draw(
                st.sampled_from([{"max_waiting": draw(st.integers(0, 4))}, {"max_in_system": 3}])
            )
        if kind == "call" and draw(st.integers(0, 2)) == 0:
            channel["callback"] = {
                "uptake": draw(st.floats(0, 1)),
                "offer_at_position": draw(st.integers(0, 3)),
                "promise_minutes": draw(st.sampled_from([5.0, 60.0])),
            }
        if kind == "chat":
            channel["max_concurrency"] = draw(st.integers(1, 3))
            channel["concurrency_slowdown"] = draw(st.floats(0, 0.5))
        if kind == "email":
            channel["promise_hours"] = draw(st.sampled_from([1.0, 4.0, 24.0]))
        else:
            channel["targets"] = {"service_level": 0.8, "within_seconds": draw(st.floats(0, 60))}
        if draw(st.integers(0, 3)) == 0:
            channel["resolution"] = {
                "repeat_share": draw(st.floats(0, 1)),
                "repeat_delay": draw(_distribution(60.0, 3600.0)),
            }
        channels[name] = channel
    n_groups = draw(st.integers(1, 3))
    skills: list[set[str]] = [
        set(draw(st.lists(st.sampled_from(names), min_size=1, max_size=n_channels)))
        for _ in range(n_groups)
    ]
    for name in names:  # every channel needs a skilled group
        skills[draw(st.integers(0, n_groups - 1))].add(name)
    groups: dict[str, Any] = {}
    for g in range(n_groups):
        staffing = (
            draw(st.integers(0, 4))
            if draw(st.booleans())
            else draw(st.lists(st.integers(0, 4), min_size=n_intervals, max_size=n_intervals))
        )
        groups[f"g{g}"] = {
            "cost_per_hour": draw(st.floats(10, 40)),
            "skills": {
                name: {
                    "handle_time_factor": draw(st.floats(0.5, 2.0)),
                    "fcr": draw(st.floats(0, 1)),
                }
                for name in sorted(skills[g])
            },
            "staffing": staffing,
            "shrinkage": draw(st.sampled_from([0.0, 0.0, 0.3])),
        }
    return {
        "name": "generated",
        "horizon": {
            "days": days,
            "interval_minutes": interval,
            "open": "08:00",
            "close": f"{close_minutes // 60:02d}:{close_minutes % 60:02d}",
        },
        "channels": channels,
        "agent_groups": groups,
        "routing": {
            "agent_selection": draw(
                st.sampled_from(["longest_idle", "most_proficient", "cheapest"])
            ),
            "email_reserve_agents": draw(st.integers(0, 2)),
        },
        "run": {
            # Never the whole horizon: the schema rejects a warm-up that leaves nothing.
            "warmup_minutes": draw(st.sampled_from([0, interval])) if days * n_intervals > 1 else 0,
            "serve_queue_at_close": draw(st.booleans()),
            "service_level_definition": draw(
                st.sampled_from(
                    [
                        "answered_within_over_offered",
                        "answered_within_over_answered",
                        "answered_within_over_offered_minus_short_abandons",
                    ]
                )
            ),
        },
    }


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=small_scenarios(), seed=st.integers(0, 2**32 - 1))
def test_invariants_hold_for_generated_scenarios(data: dict[str, Any], seed: int) -> None:
    scenario = Scenario.from_dict(data)
    result = simulate(scenario, replications=2, seed=seed)
    assert_conservation(result, list(scenario.channels))
    assert_kpis_sensible(result)
    _assert_same_tables(result, simulate(scenario, replications=2, seed=seed))


# --------------------------------------------------------------------------------------
# bundled scenarios
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.name)
def test_bundled_scenario_simulates(path: Path) -> None:
    """Every file in scenarios/ loads and simulates (2 replications) with sane KPIs."""
    scenario = Scenario.from_yaml(path)
    result = simulate(scenario, replications=2)
    assert set(result.channels.channel) == set(scenario.channels)
    assert_conservation(result, list(scenario.channels))
    assert_kpis_sensible(result)
    assert (result.channels.loc[result.channels.kpi == "offered", "mean"] > 0).all()
