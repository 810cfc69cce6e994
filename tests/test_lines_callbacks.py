"""Finite lines (busy signals, redials) and callbacks (virtual hold) against exact values.

Every check compares an exact value with the simulation's own 95% confidence interval,
widened to a Bonferroni interval over the checks of the test (``bonferroni_k``, as in
``test_engine_theory.py``), with fixed seeds and a few seconds of simulation each:

* M/M/c/K and M/M/c/K+M (``lines.max_waiting``) against their birth–death chain
  (:func:`simulator.queueing.finite.mmck_kpis`), and Erlang B as ``max_waiting = 0``;
* Erlang B with retrials (busy signals redialled) against the extended-Erlang-B fixed point;
* callbacks against a continuous-time Markov chain solved numerically
  (:func:`simulator.queueing.finite.callback_chain_kpis`, which shares no code with the
  engine);
* without callbacks and lines (or with zero uptake) results are today's, bit for bit.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
from conftest import bonferroni_k, mmc_scenario
from pydantic import ValidationError

from simulator.queueing.erlang import erlang_b
from simulator.queueing.finite import callback_chain_kpis, erlang_b_retrial, mmck_kpis
from simulator.runner import simulate
from simulator.scenario import Scenario

AHT_S = 180.0


def _with(scenario: Scenario, **channel: object) -> Scenario:
    data = scenario.model_dump(mode="json", exclude_none=True)
    for key, value in channel.items():
        if value is None:
            data["channels"]["calls"].pop(key, None)
        else:
            data["channels"]["calls"][key] = value
    return Scenario.model_validate(data)


def _within(result, kpi: str, exact: float, k: float, entity: str = "calls") -> None:
    mean, half = result.kpi(entity, kpi), result.half_width(entity, kpi)
    message = f"{kpi}: simulated {mean:.5g} ± {k * half:.3g}, exact {exact:.5g}"
    assert abs(mean - exact) <= k * half, message


def _occupancy(result) -> float:
    g = result.groups
    row = g[(g.group == "agents") & (g.kpi == "occupancy")].iloc[0]
    return float(row["mean"]), float(row["ci_half_width"])


# ---------------------------------------------------------------------------- bit for bit
TODAY = {  # simulate(scenarios/<name>.yaml, 2, 7) before lines and callbacks existed
    "default": "dcc66d0272cb8aad29a0b22deb3e9ea050eaa75ef2b0aca06ca26be0429bf200",
    "telecom": "b773b32ff76a6930f27cc8e5de8e967a9b270117a997ed3fc59cd12f198cd4fe",
    "week": "ae26951630c5e5691c2768427338dcb84db7655f5fb18cdb3f5360c92924e5cc",
}


def _digest(result) -> str:
    """The result's tables, with the CI bounds as they were written when the digests were
    taken (mean ∓ half-width; they are now clipped to the KPI's range, a display rule that
    changes no simulated number)."""
    h = hashlib.sha256()
    for frame in (
        result.channels,
        result.groups,
        result.overall,
        result.intervals,
        result.group_intervals,
        result.per_replication,
    ):
        if "ci_low" in frame:
            frame = frame.assign(
                ci_low=frame["mean"] - frame["ci_half_width"],
                ci_high=frame["mean"] + frame["ci_half_width"],
            )
        h.update(frame.to_csv(index=False, float_format="%.17g").encode())
    return h.hexdigest()


@pytest.mark.parametrize("name", list(TODAY))
def test_scenarios_without_lines_or_callbacks_give_todays_results_bit_for_bit(name: str) -> None:
    assert _digest(simulate(f"scenarios/{name}.yaml", 2, 7)) == TODAY[name]


def test_zero_uptake_changes_nothing_but_adds_the_callback_rows() -> None:
    base = Scenario.from_yaml("scenarios/default.yaml")
    data = base.model_dump(mode="json", exclude_none=True)
    data["channels"]["general"]["callback"] = {
        "uptake": 0.0,
        "offer_at_position": 0,
        "promise_minutes": 30,
    }
    offered = Scenario.model_validate(data)
    a, b = simulate(base, 3, 11), simulate(offered, 3, 11)
    extra = {"callbacks_offered", "callbacks_accepted", "callback_uptake", "callbacks_made",
             "callback_within_promise", "callback_delay_s", "callbacks_waiting_at_end"}  # fmt: skip
    kept = b.per_replication[~b.per_replication.kpi.isin(extra)].reset_index(drop=True)
    assert kept.equals(a.per_replication)
    # the callback's own interval rows are added; every other row is today's
    new = b.intervals.kpi.isin(extra)
    assert set(b.intervals.kpi[new]) == {"callbacks_offered", "callbacks_accepted",
                                         "callback_within_promise", "callback_delay_s"}  # fmt: skip
    assert a.intervals.equals(b.intervals[~new].reset_index(drop=True))
    assert a.groups.equals(b.groups)
    assert b.kpi("general", "callbacks_offered") > 0
    assert b.kpi("general", "callbacks_accepted") == 0


# ---------------------------------------------------------------------------- M/M/c/K
CASES = [  # agents, calls per hour, max_waiting, patience (None = never abandons)
    (5, 90.0, 3, None),  # M/M/5/8
    (5, 100.0, 4, 120.0),  # M/M/5/9+M, 11% overloaded
    (8, 160.0, 0, None),  # Erlang B: M/M/8/8
]


@pytest.mark.parametrize("case", CASES, ids=["mmck", "mmck+m", "erlang-b"])
def test_finite_lines_match_the_birth_death_chain(case) -> None:
    agents, rate, max_waiting, patience = case
    scenario = _with(
        mmc_scenario(rate, AHT_S, agents, days=3, warmup_minutes=120, patience_s=patience),
        lines={"max_waiting": max_waiting},
    )
    result = simulate(scenario, 20, 12)
    exact = mmck_kpis(rate, AHT_S, agents, max_waiting, patience)
    checks = {
        "blocked_rate": float(exact.p_block),
        "p_wait": float(exact.p_wait + exact.p_block),  # waited or heard a busy signal
        "mean_queue_length": float(exact.mean_queue_length),
    }
    if max_waiting > 0:
        checks["asa_s"] = float(exact.asa_s)
    if patience is not None:
        checks["abandon_rate"] = float(exact.p_abandon)
    k = bonferroni_k(20, len(checks) + 1)
    for kpi, value in checks.items():
        _within(result, kpi, value, k)
    occ, half = _occupancy(result)
    assert abs(occ - float(exact.occupancy)) <= k * half
    if max_waiting == 0:  # the chain's blocking is Erlang B
        assert float(exact.p_block) == pytest.approx(float(erlang_b(agents, rate * AHT_S / 3600)))


def test_max_in_system_is_the_same_queue_for_a_fixed_staff() -> None:
    base = mmc_scenario(90.0, AHT_S, 5, days=1, warmup_minutes=60)
    a = simulate(_with(base, lines={"max_waiting": 3}), 3, 5)
    b = simulate(_with(base, lines={"max_in_system": 8}), 3, 5)
    assert a.per_replication.equals(b.per_replication)


def test_busy_signals_redialled_match_extended_erlang_b() -> None:
    """Blocked callers redial with probability 0.7 after ~30 min (long against the 3-minute
    call, as the fixed point assumes), up to 4 attempts, on an Erlang B system."""
    agents, rate, prob, attempts = 10, 180.0, 0.7, 4
    scenario = _with(
        mmc_scenario(rate, AHT_S, agents, days=3, warmup_minutes=180),
        lines={"max_waiting": 0},
        redial={
            "probability": prob,
            "delay": {"distribution": "exponential", "mean_seconds": 1800},
            "max_attempts": attempts,
        },
    )
    result = simulate(scenario, 20, 3)
    exact = erlang_b_retrial(agents, rate * AHT_S / 3600, prob, attempts)
    k = bonferroni_k(20, 2)
    _within(result, "blocked_rate", float(exact.p_block), k)
    per_rep = result.per_replication
    offered = per_rep[(per_rep.entity == "calls") & (per_rep.kpi == "offered")].value.to_numpy()
    redials = per_rep[(per_rep.entity == "calls") & (per_rep.kpi == "redials")].value.to_numpy()
    ratio = offered / (offered - redials)
    half = 2.093 * ratio.std(ddof=1) / np.sqrt(len(ratio))
    assert abs(ratio.mean() - float(exact.attempts_per_caller)) <= k * half
    assert float(exact.p_block) > float(erlang_b(agents, rate * AHT_S / 3600))  # retrials add load


# ---------------------------------------------------------------------------- callbacks
def test_callbacks_match_a_markov_chain() -> None:
    c, rate, patience, q_max, position, uptake = 3, 60.0, 300.0, 6, 2, 0.5
    scenario = _with(
        mmc_scenario(rate, AHT_S, c, days=3, warmup_minutes=180, patience_s=patience),
        lines={"max_waiting": q_max},
        callback={"uptake": uptake, "offer_at_position": position, "promise_minutes": 15},
    )
    result = simulate(scenario, 20, 21)
    exact = callback_chain_kpis(c, rate, AHT_S, patience, q_max, position, uptake)
    k = bonferroni_k(20, 7)
    for kpi in ("blocked_rate", "abandon_rate", "mean_queue_length", "callback_delay_s"):
        _within(result, kpi, exact[kpi], k)
    rep = result.per_replication
    rep = rep[rep.entity == "calls"].pivot(index="replication", columns="kpi", values="value")
    share = (rep.callbacks_offered / rep.offered).to_numpy()
    half = 2.093 * share.std(ddof=1) / np.sqrt(len(share))
    assert abs(share.mean() - exact["callbacks_offered_share"]) <= k * half
    uptake_sim = result.kpi("calls", "callback_uptake")
    lo, hi = result.ci("calls", "callback_uptake")
    assert abs(uptake_sim - uptake) <= k * (hi - lo) / 2
    occ, half = _occupancy(result)
    assert abs(occ - exact["occupancy"]) <= k * half


def test_accepted_callbacks_leave_the_service_level_and_are_all_made() -> None:
    scenario = _with(
        mmc_scenario(60.0, AHT_S, 3, days=1, warmup_minutes=0, patience_s=300.0),
        callback={"uptake": 1.0, "offer_at_expected_wait_seconds": 60, "promise_minutes": 60},
    )
    result = simulate(scenario, 3, 4)
    rep = result.per_replication
    rep = rep[rep.entity == "calls"].pivot(index="replication", columns="kpi", values="value")
    assert (rep.callbacks_accepted == rep.callbacks_offered).all()
    assert (rep.callbacks_made + rep.callbacks_waiting_at_end == rep.callbacks_accepted).all()
    # every offered call is answered live, abandoned, or taken as a callback
    live = rep.answered + rep.abandoned + rep.waiting_at_end + rep.unanswered_at_close
    assert (live + rep.callbacks_accepted == rep.offered).all()


# ---------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("channel", "message"),
    [
        ({"lines": {}}, "give max_waiting, max_in_system or both"),
        ({"lines": {"max_waiting": -1}}, "channels.calls.lines.max_waiting"),
        ({"callback": {"uptake": 0.5, "promise_minutes": 10}}, "give offer_at_position"),
        (
            {"callback": {"uptake": 1.5, "offer_at_position": 3, "promise_minutes": 10}},
            "channels.calls.callback.uptake",
        ),
        (
            {"callback": {"uptake": 0.5, "offer_at_position": 3, "promise_minutes": 0}},
            "channels.calls.callback.promise_minutes",
        ),
    ],
)
def test_bad_lines_or_callback_name_the_field(channel, message) -> None:
    with pytest.raises(ValidationError, match=message.replace(".", r"\.")):
        Scenario.model_validate(_raw(channel))


def _raw(channel: dict) -> dict:
    data = mmc_scenario(60.0, AHT_S, 3, days=1, warmup_minutes=0).model_dump(
        mode="json", exclude_none=True
    )
    data["channels"]["calls"].update(channel)
    return data


def test_lines_and_callbacks_are_for_calls_only() -> None:
    data = _raw({})
    data["channels"]["calls"]["kind"] = "chat"
    data["channels"]["calls"]["lines"] = {"max_waiting": 3}
    with pytest.raises(ValidationError, match="lines applies to call only, not chat"):
        Scenario.model_validate(data)


# ---------------------------------------------------------------------------- targets
def test_blocked_and_callback_targets_get_verdicts() -> None:
    data = _raw(
        {
            "patience": {"distribution": "exponential", "mean_seconds": 300},
            "lines": {"max_waiting": 4},
            "callback": {"uptake": 0.5, "offer_at_position": 2, "promise_minutes": 15},
            "targets": {"max_blocked_rate": 0.05, "callback_within_promise": 0.8},
        }
    )
    scenario = Scenario.model_validate(data)
    verdicts = simulate(scenario, 3, 2).verdicts()
    assert set(verdicts.kpi) == {"blocked_rate", "callback_within_promise"}


@pytest.mark.parametrize(
    ("channel", "message"),
    [
        ({"targets": {"max_blocked_rate": 0.1}}, "targets.max_blocked_rate needs lines"),
        (
            {"targets": {"callback_within_promise": 0.8}},
            "targets.callback_within_promise needs callback",
        ),
    ],
)
def test_blocked_and_callback_targets_need_their_feature(channel, message) -> None:
    with pytest.raises(ValidationError, match=message.replace(".", r"\.")):
        Scenario.model_validate(_raw(channel))
