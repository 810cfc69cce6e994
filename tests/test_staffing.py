"""Staffing requirements: published answers, exactness of the vectorised search, units,
impossible targets, shrinkage rounding, square-root staffing."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import textbook_agents
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.errors import InputError
from simulator.queueing.erlang import erlang_a_kpis, erlang_c, erlang_c_kpis
from simulator.queueing.staffing import (
    halfin_whitt_beta,
    halfin_whitt_p_wait,
    kpis_for_agents,
    required_agents,
    scheduled_agents,
    square_root_agents,
)

EXAMPLE = {"service_level": 0.8, "within_s": 20}


# --------------------------------------------------------------------------------------
# Published answers
# --------------------------------------------------------------------------------------
def test_call_centre_helper_example() -> None:
    # Call Centre Helper's worked Erlang C example (and pyworkforce's test suite): 100 calls
    # in 30 min, AHT 180 s, 80% in 20 s, 30% shrinkage, max occupancy 85% -> 14 agents
    # answering, 20 scheduled; P(wait) 0.1741, service level 0.8884, ASA 7.84 s.
    req = required_agents(200, 180, **EXAMPLE, shrinkage=0.3, max_occupancy=0.85)
    assert req.raw_agents == 14
    assert req.scheduled_agents == 20
    assert req.scheduled_unrounded == pytest.approx(20.0)
    assert req.binding == "service_level"
    assert req.model == "erlang_c"
    assert round(float(req.kpis.p_wait), 4) == 0.1741
    assert round(float(req.kpis.service_level), 4) == 0.8884
    assert round(float(req.kpis.asa_s), 2) == 7.84
    assert round(float(req.kpis.occupancy), 3) == 0.714


def test_pyworkforce_over_occupancy_example() -> None:
    # pyworkforce/queuing/tests/test_erlang.py::test_over_occupancy_erlangc: max occupancy
    # 70% -> 15 raw, 22 scheduled, service level 0.941, P(wait) 0.102, occupancy 0.667.
    req = required_agents(200, 180, **EXAMPLE, shrinkage=0.3, max_occupancy=0.7)
    assert (req.raw_agents, req.scheduled_agents) == (15, 22)
    assert req.binding == "max_occupancy"
    assert round(float(req.kpis.service_level), 3) == 0.941
    assert round(float(req.kpis.p_wait), 3) == 0.102
    assert round(float(req.kpis.occupancy), 3) == 0.667


# --------------------------------------------------------------------------------------
# Units: seconds vs minutes, per hour vs per period
# --------------------------------------------------------------------------------------
# The expected numbers come from ``textbook_agents`` (conftest): a scan over the textbook
# Erlang C service level in exact fractions, sharing no code with simulator.queueing.staffing.
def test_units_handle_time_in_seconds_not_minutes() -> None:
    right = required_agents(200, 180, **EXAMPLE)  # AHT 3 minutes, given in seconds
    wrong = required_agents(200, 3, **EXAMPLE)  # the classic bug: 3 minutes passed as 3 s
    assert right.raw_agents == textbook_agents(200, 180, 0.8, 20) == 14
    assert wrong.raw_agents == textbook_agents(200, 3, 0.8, 20) == 1  # 0.17 Erlangs


def test_units_within_in_seconds_not_minutes() -> None:
    assert required_agents(200, 180, service_level=0.8, within_s=20).raw_agents == 14
    # 20 *minutes* (1,200 s) is a much looser target, so a unit slip shows.
    loose = required_agents(200, 180, service_level=0.8, within_s=1200).raw_agents
    assert loose == textbook_agents(200, 180, 0.8, 1200) == 11


def test_units_rate_is_per_hour() -> None:
    # 100 per 30 min = 200 per hour = 50 per 15 min: the same traffic.
    per_hour = [100 * 60 / 30, 50 * 60 / 15, 200 * 60 / 60]
    assert list(required_agents(per_hour, 180, **EXAMPLE).raw_agents) == [14, 14, 14]
    # 100 per *hour* is half the traffic.
    assert required_agents(100, 180, **EXAMPLE).raw_agents == textbook_agents(100, 180, 0.8, 20)
    assert textbook_agents(100, 180, 0.8, 20) == 8


# --------------------------------------------------------------------------------------
# Exactness of the vectorised search
# --------------------------------------------------------------------------------------
def _linear_scan(meets, start: int = 0) -> int:
    n = start
    while not meets(n):
        n += 1
    return n


def test_vectorised_week_equals_one_by_one_linear_scan() -> None:
    rng = np.random.default_rng(7)
    rates = np.concatenate([[0.0, 0.5, 3.0], rng.uniform(0, 2000, 40)])
    aht = rng.uniform(60, 600, rates.size)
    req = required_agents(rates, aht, service_level=0.8, within_s=20, max_occupancy=0.9)
    for i, (lam, h) in enumerate(zip(rates, aht, strict=True)):

        def meets(n: int, lam: float = lam, h: float = h) -> bool:
            k = erlang_c_kpis(lam, h, n, within_s=20)
            return bool(k.service_level >= 0.8 and k.occupancy <= 0.9)

        start = int(lam * h / 3600)  # at or below the load the queue is unstable
        assert start == 0 or not meets(start)
        assert req.raw_agents[i] == _linear_scan(meets, start), i


def test_erlang_a_requirement_equals_linear_scan() -> None:
    rates = np.array([30.0, 200.0, 900.0, 2400.0])
    req = required_agents(
        rates, 240, service_level=0.8, within_s=30, max_abandon_rate=0.04,
        max_asa_s=25, patience_s=150,
    )  # fmt: skip
    assert req.model == "erlang_a"
    for i, lam in enumerate(rates):

        def meets(n: int, lam: float = lam) -> bool:
            k = erlang_a_kpis(lam, 240, n, 150, within_s=30)
            return bool(k.service_level >= 0.8 and k.p_abandon <= 0.04 and k.asa_s <= 25)

        assert req.raw_agents[i] == _linear_scan(meets, start=1)
    assert np.all(req.kpis.p_abandon <= 0.04) and np.all(req.kpis.asa_s <= 25)


@settings(max_examples=200, deadline=None)
@given(
    rate=st.floats(min_value=0.0, max_value=20_000.0),
    aht=st.floats(min_value=10.0, max_value=900.0),
    sl=st.floats(min_value=0.05, max_value=0.99),
    within=st.floats(min_value=0.0, max_value=120.0),
    asa=st.floats(min_value=1.0, max_value=120.0),
    occ=st.floats(min_value=0.5, max_value=1.0),
)
def test_property_combined_targets_need_the_max_of_single_ones(rate, aht, sl, within, asa, occ):
    both = required_agents(
        rate, aht, service_level=sl, within_s=within, max_asa_s=asa, max_occupancy=occ
    )
    singles = [
        required_agents(rate, aht, service_level=sl, within_s=within).raw_agents,
        required_agents(rate, aht, max_asa_s=asa).raw_agents,
        required_agents(rate, aht, max_occupancy=occ).raw_agents,
    ]
    assert both.raw_agents == max(singles)
    if both.raw_agents > 0:  # minimal: one fewer misses something
        fewer = erlang_c_kpis(rate, aht, both.raw_agents - 1, within_s=within)
        assert fewer.service_level < sl or fewer.asa_s > asa or fewer.occupancy > occ
        assert both.binding != ""


def test_large_loads_and_zero_load() -> None:
    req = required_agents([0.0, 5000 * 3600 / 300.0], 300, **EXAMPLE, shrinkage=0.25)
    assert req.raw_agents[0] == 0 and req.scheduled_agents[0] == 0 and req.binding[0] == ""
    assert req.kpis.service_level[0] == 1.0 and req.kpis.occupancy[0] == 0.0
    assert 5000 < req.raw_agents[1] < 5100
    assert np.isfinite(req.kpis.asa_s[1])
    erlang_a = required_agents(5000 * 3600 / 300.0, 300, max_abandon_rate=0.05, patience_s=60)
    assert 4000 < erlang_a.raw_agents < 5100


def test_kpis_for_agents_is_the_reverse() -> None:
    req = required_agents(200, 180, **EXAMPLE, patience_s=120, max_asa_s=5)
    k = kpis_for_agents(200, 180, req.raw_agents, within_s=20, patience_s=120)
    assert float(k.asa_s) == pytest.approx(float(req.kpis.asa_s))
    assert float(k.asa_s) <= 5
    fewer = kpis_for_agents(200, 180, req.raw_agents - 1, within_s=20, patience_s=120)
    assert float(fewer.asa_s) > 5 or float(fewer.service_level) < 0.8
    c = kpis_for_agents(200, 180, 14, within_s=20)
    assert float(c.p_wait) == pytest.approx(float(erlang_c(14, 10.0)))


# --------------------------------------------------------------------------------------
# Shrinkage and bad input
# --------------------------------------------------------------------------------------
def test_shrinkage_rounding_forgives_float_noise() -> None:
    assert 21 / (1 - 0.3) > 30  # 30.000000000000004 in binary floating point
    rounded, unrounded = scheduled_agents(21, 0.3)
    assert rounded == 30 and unrounded == pytest.approx(30.0)
    assert scheduled_agents(14, 0.3)[0] == 20
    rounded, unrounded = scheduled_agents([10, 11, 0], 0.35)
    assert list(rounded) == [16, 17, 0]
    assert unrounded[0] == pytest.approx(15.3846, abs=1e-4)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"service_level": 1.0, "within_s": 0}, "service_level: must be < 1"),
        ({"service_level": 1.0, "within_s": 20}, "service_level: must be < 1"),
        ({"service_level": 0.0, "within_s": 20}, "service_level: must be > 0"),
        ({"service_level": 0.8}, "within_s: needed with service_level"),
        ({"max_asa_s": 0}, "max_asa_s: must be > 0"),
        ({"max_abandon_rate": 0.0, "patience_s": 60}, "max_abandon_rate: must be > 0"),
        ({"max_abandon_rate": 0.05}, "patience_s: needed with max_abandon_rate"),
        ({"max_occupancy": 0}, "max_occupancy: must be > 0"),
        ({"max_occupancy": 1.2}, "max_occupancy: must be <= 1"),
        ({"max_occupancy": 0.8, "shrinkage": 1.0}, "shrinkage: must be < 1"),
        ({"max_occupancy": 0.8, "patience_s": -1}, "patience_s: must be > 0"),
        ({}, "targets: give at least one"),
    ],
)
def test_impossible_or_bad_targets_name_the_argument(kwargs, message) -> None:
    with pytest.raises(InputError, match=message):
        required_agents(200, 180, **kwargs)


def test_bad_traffic_names_the_argument() -> None:
    with pytest.raises(InputError, match=r"arrival_rate_per_hour: must be >= 0, got -5"):
        required_agents(-5, 180, max_occupancy=0.8)
    with pytest.raises(InputError, match=r"aht_s: must be > 0, got 0 \(at index 2\)"):
        required_agents(200, [180, 180, 0], max_occupancy=0.8)


# --------------------------------------------------------------------------------------
# Square-root staffing (Halfin-Whitt)
# --------------------------------------------------------------------------------------
def test_halfin_whitt_beta_inverts_the_halfin_whitt_function() -> None:
    alphas = np.array([0.01, 0.1, 0.2, 0.5, 0.9])
    assert np.allclose(halfin_whitt_p_wait(halfin_whitt_beta(alphas)), alphas, rtol=1e-10)
    # beta = 1: 1 / (1 + Phi(1)/phi(1)) = 1 / (1 + 0.841345/0.241971) = 0.2234.
    assert round(float(halfin_whitt_p_wait(1.0)), 4) == 0.2234


@pytest.mark.parametrize("alpha", [0.05, 0.1, 0.2, 0.5, 0.8])
def test_square_root_staffing_within_one_agent_of_exact(alpha: float) -> None:
    # Target family: P(wait) <= alpha (Erlang C), alpha in [0.05, 0.8], loads 1..2,000
    # Erlangs (integers and off-grid values). Square-root staffing is never above the exact
    # answer and at most one agent below it. (At alpha = 0.01 it can be 2 below.)
    loads = np.concatenate([np.arange(1.0, 2001.0), np.linspace(1.3, 1999.7, 500)])
    exact = required_agents(loads * 36.0, 100.0, service_level=1 - alpha, within_s=0).raw_agents
    approx = square_root_agents(loads, alpha)
    diff = approx - exact
    assert diff.min() >= -1 and diff.max() <= 0
    assert float(np.max(erlang_c(exact, loads))) <= alpha
    assert square_root_agents(0.0, alpha) == 0
