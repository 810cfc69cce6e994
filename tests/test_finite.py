"""The analytic side of finite lines and balking (``simulator.queueing.finite``):
hand-computed small chains, the limits where it must equal Erlang B / C / A or M/M/c/K, and
bad input."""

from __future__ import annotations

import numpy as np
import pytest

from simulator.errors import InputError
from simulator.queueing.erlang import erlang_a_kpis, erlang_b, erlang_c_kpis
from simulator.queueing.finite import (
    balking_kpis,
    callback_chain_kpis,
    erlang_b_retrial,
    mmck_kpis,
)


def test_mm12_by_hand() -> None:
    """M/M/1/2 with λ = μ: the three states are equally likely."""
    k = mmck_kpis(20.0, 180.0, 1, 1)  # 20 calls/h x 180 s = 1 Erlang
    assert float(k.p_block) == pytest.approx(1 / 3)
    assert float(k.p_wait) == pytest.approx(1 / 3)
    assert float(k.mean_queue_length) == pytest.approx(1 / 3)
    assert float(k.asa_s) == pytest.approx(90.0)  # half the answered callers wait one AHT
    assert float(k.occupancy) == pytest.approx(2 / 3)


def test_no_waiting_room_is_erlang_b_vectorised() -> None:
    agents = np.array([1, 5, 10, 30])
    rate = np.array([10.0, 80.0, 190.0, 600.0])
    k = mmck_kpis(rate, 180.0, agents, 0)
    np.testing.assert_allclose(k.p_block, erlang_b(agents, rate * 180 / 3600), rtol=1e-12)
    assert np.all(np.asarray(k.p_wait) == 0)


def test_a_large_waiting_room_is_erlang_c_and_erlang_a() -> None:
    c_kpis = erlang_c_kpis(300.0, 180.0, 17)
    k = mmck_kpis(300.0, 180.0, 17, 2000)
    assert float(k.p_block) < 1e-12
    assert float(k.p_wait) == pytest.approx(float(c_kpis.p_wait), rel=1e-9)
    assert float(k.asa_s) == pytest.approx(float(c_kpis.asa_s), rel=1e-9)
    a_kpis = erlang_a_kpis(400.0, 180.0, 18, within_s=20, patience_s=120)
    k = mmck_kpis(400.0, 180.0, 18, 400, 120)
    assert float(k.p_abandon) == pytest.approx(float(a_kpis.p_abandon), rel=1e-9)
    assert float(k.asa_s) == pytest.approx(float(a_kpis.asa_s), rel=1e-9)
    assert float(k.p_wait) == pytest.approx(float(a_kpis.p_wait), rel=1e-9)


def test_extended_erlang_b_limits() -> None:
    b = float(erlang_b(10, 9.0))
    assert float(erlang_b_retrial(10, 9.0, 0.0).p_block) == pytest.approx(b, rel=1e-12)
    assert float(erlang_b_retrial(10, 9.0, 0.9, max_attempts=1).p_block) == pytest.approx(b)
    k = erlang_b_retrial(10, 9.0, np.array([0.3, 0.6, 0.9]), max_attempts=5)
    assert np.all(np.diff(k.p_block) > 0)  # more retries, more load, more blocking
    # the fixed point holds: B = ErlangB(c, A0 * attempts per caller)
    np.testing.assert_allclose(k.p_block, erlang_b(10, k.offered_load), rtol=1e-9)
    assert float(erlang_b_retrial(0, 3.0, 0.5, 3).p_lost) == pytest.approx(1.0)


def test_callback_chain_without_uptake_is_mmck_with_patience() -> None:
    chain = callback_chain_kpis(3, 60.0, 180.0, 300.0, 6, 2, 0.0)
    k = mmck_kpis(60.0, 180.0, 3, 6, 300.0)
    assert chain["blocked_rate"] == pytest.approx(float(k.p_block), rel=1e-9)
    assert chain["abandon_rate"] == pytest.approx(float(k.p_abandon), rel=1e-9)
    assert chain["mean_queue_length"] == pytest.approx(float(k.mean_queue_length), rel=1e-9)


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: mmck_kpis(-1, 180, 2, 3), "arrival_rate_per_hour"),
        (lambda: mmck_kpis(60, 180, 0, 3), "agents"),
        (lambda: mmck_kpis(60, 180, 2, 1.5), "max_waiting"),
        (lambda: mmck_kpis(60, 180, 2, 3, 0), "patience_s"),
        (lambda: erlang_b_retrial(5, 3.0, 1.5), "retry_probability"),
    ],
)
def test_bad_input_names_the_argument(call, field) -> None:
    with pytest.raises(InputError, match=field):
        call()


# ---------------------------------------------------------------------------- balking
def test_balking_when_the_line_reaches_k_is_mmck() -> None:
    """Everybody leaving a line of q is M/M/c/(c+q): balking is the busy signal."""
    agents, rate = np.array([2, 5, 9]), np.array([30.0, 100.0, 200.0])
    k = balking_kpis(rate, 180.0, agents, [0, 0, 0, 1], 120.0)
    m = mmck_kpis(rate, 180.0, agents, 3, 120.0)
    np.testing.assert_allclose(k.p_balk, m.p_block, rtol=1e-12)
    np.testing.assert_allclose(k.p_abandon, m.p_abandon, rtol=1e-12)
    np.testing.assert_allclose(k.asa_s, m.asa_s, rtol=1e-12)
    np.testing.assert_allclose(k.mean_queue_length, m.mean_queue_length, rtol=1e-12)
    np.testing.assert_allclose(k.occupancy, m.occupancy, rtol=1e-12)


def test_nobody_balking_is_erlang_a_and_c_service_level() -> None:
    a = erlang_a_kpis(400.0, 180.0, 18, within_s=20, patience_s=120)
    k = balking_kpis(400.0, 180.0, 18, [0.0], 120.0, within_s=20)
    assert float(k.p_balk) < 1e-12  # only the truncated tail
    assert float(k.service_level) == pytest.approx(float(a.service_level), rel=1e-9)
    assert float(k.p_abandon) == pytest.approx(float(a.p_abandon), rel=1e-9)
    c = erlang_c_kpis(300.0, 180.0, 17, within_s=20)
    k = balking_kpis(300.0, 180.0, 17, [0.0] * 400 + [1.0], within_s=20)
    assert float(k.service_level) == pytest.approx(float(c.service_level), rel=1e-9)
    assert float(k.asa_s) == pytest.approx(float(c.asa_s), rel=1e-9)


def test_one_agent_balking_by_hand() -> None:
    """M/M/1, λ = μ, half of those who see one waiting leave, all who see two: states
    0, 1, 2 (one waiting), 3 with weights 1, 1, 1, 1/2 (p = 2/7, 2/7, 2/7, 1/7)."""
    k = balking_kpis(20.0, 180.0, 1, [0.0, 0.5, 1.0])
    assert float(k.p_balk) == pytest.approx(2 / 7 * 0.5 + 1 / 7)
    assert float(k.p_wait) == pytest.approx(5 / 7)
    assert float(k.mean_queue_length) == pytest.approx(2 / 7 + 2 / 7)
    assert float(k.occupancy) == pytest.approx(5 / 7)


def test_a_line_that_grows_without_bound_is_refused() -> None:
    with pytest.raises(InputError, match="grows without bound"):
        balking_kpis(100.0, 180.0, 2, [0.0, 0.1])  # 90/h join, 40/h served, nobody reneges
    with pytest.raises(InputError, match="balk_probabilities"):
        balking_kpis(10.0, 180.0, 2, [0.0, 1.5])
