"""Exact Erlang B / C / A formulas: published values, exact arithmetic, brute force, limits.

Sources of the published values are cited next to each test. Independent cross-checks use
exact rational arithmetic (``fractions``) for Erlang B/C and a dense truncated generator of the
birth-death chain (``numpy.linalg`` + ``scipy.linalg.expm``) for Erlang A.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import scipy.integrate
from conftest import exact_erlang_b, exact_erlang_c, textbook_load, textbook_service_level
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import brentq

from simulator.errors import InputError
from simulator.queueing.erlang import (
    erlang_a_kpis,
    erlang_b,
    erlang_c,
    erlang_c_asa_s,
    erlang_c_kpis,
    erlang_c_queue_length,
    erlang_c_service_level,
    occupancy,
    offered_load,
)


# --------------------------------------------------------------------------------------
# Published values
# --------------------------------------------------------------------------------------
def test_call_centre_helper_example_to_the_printed_digits() -> None:
    # Call Centre Helper, "Erlang C formula - made simple with an easy worked example"
    # (also pyworkforce's test suite): 100 calls in 30 min, AHT 180 s, 14 agents
    # -> P(wait) 0.1741, service level (20 s) 88.84%, ASA 7.84 s, occupancy 71.43%.
    k = erlang_c_kpis(100 * 60 / 30, 180, 14, within_s=20)
    assert float(k.offered_load) == pytest.approx(10.0)
    assert round(float(k.p_wait), 4) == 0.1741
    assert round(float(k.service_level), 4) == 0.8884
    assert round(float(k.asa_s), 2) == 7.84
    assert round(float(k.occupancy), 4) == 0.7143


def test_pyworkforce_published_fifteen_agents() -> None:
    # pyworkforce/queuing/tests/test_erlang.py (test_over_occupancy_erlangc): same traffic,
    # 15 agents -> service level 0.941, P(wait) 0.102, occupancy 0.667.
    k = erlang_c_kpis(200, 180, 15, within_s=20)
    assert round(float(k.service_level), 3) == 0.941
    assert round(float(k.p_wait), 3) == 0.102
    assert round(float(k.occupancy), 3) == 0.667


def test_westbay_manual_fifteen_lines_one_percent() -> None:
    # Westbay Erlang B calculator manual (erlang.com/calculatormanual/
    # howmuchtrafficcanatrunkgrouphandle.htm): 15 lines at 1% blocking carry 8.108 Erlangs.
    load = brentq(lambda a: erlang_b(15, a) - 0.01, 1.0, 15.0)
    assert round(load, 3) == 8.108


@pytest.mark.parametrize(
    ("lines", "loads"),
    [
        # Standard Erlang B table (traffic in Erlangs at 1%, 2%, 5% blocking, 2 decimals),
        # as printed in every teletraffic handbook; re-derived below with exact fractions.
        (5, (1.36, 1.66, 2.22)),
        (10, (4.46, 5.08, 6.22)),
        (20, (12.03, 13.18, 15.25)),
        (50, (37.90, 40.26, 44.53)),
        (100, (84.06, 87.97, 95.24)),
    ],
)
def test_erlang_b_table(lines: int, loads: tuple[float, float, float]) -> None:
    for blocking, expected in zip((0.01, 0.02, 0.05), loads, strict=True):
        load = brentq(lambda a, p=blocking: erlang_b(lines, a) - p, 1e-6, 2.0 * lines)
        assert round(load, 2) == expected


def test_footbridge_call_calc_application_note_seconds() -> None:
    # al911.org "Erlang C Call Calc" application note: 2 call takers, 30 calls/hour of
    # 60 s -> "fewer than 8 percent" wait more than 10 s; with 80 s calls "14 percent".
    # Taking the 10 s for minutes (or the 60 s for hours) would give ~0% or ~100%.
    late_60 = 1.0 - erlang_c_service_level(30, 60, 2, within_s=10)
    late_80 = 1.0 - erlang_c_service_level(30, 80, 2, within_s=10)
    assert 0.07 < late_60 < 0.08
    assert round(float(late_80), 2) == 0.14


# --------------------------------------------------------------------------------------
# Exact arithmetic
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize(("n", "load"), [(1, 1), (5, 3), (30, 25), (120, 100), (200, 250)])
def test_erlang_b_and_c_match_exact_fractions(n: int, load: int) -> None:
    b = exact_erlang_b(n, Fraction(load))
    assert float(erlang_b(n, load)) == pytest.approx(float(b), rel=1e-12)
    if n > load:
        c = exact_erlang_c(n, Fraction(load))
        assert float(erlang_c(n, load)) == pytest.approx(float(c), rel=1e-12)


def test_erlang_b_matches_float_recursion_up_to_5000_agents() -> None:
    loads = np.array([0.5, 10.0, 300.0, 1000.0, 2500.0, 4999.5, 5000.0])
    agents = np.arange(1, 5001)
    inv = np.ones_like(loads)
    table = np.empty((agents.size, loads.size))
    with np.errstate(over="ignore"):
        for n in agents:  # the textbook recursion, forward-stable
            inv = 1.0 + n / loads * inv
            table[n - 1] = 1.0 / inv
    ours = erlang_b(agents[:, None], loads[None, :])
    assert np.all(np.isfinite(ours))
    mask = table > 1e-300
    np.testing.assert_allclose(ours[mask], table[mask], rtol=1e-10)


# --------------------------------------------------------------------------------------
# Edge cases, vectorisation, stability
# --------------------------------------------------------------------------------------
def test_edges() -> None:
    assert erlang_b(0, 3.0) == 1.0
    assert erlang_b(3, 0.0) == 0.0
    assert erlang_c(3, 0.0) == 0.0
    assert erlang_c(10, 10.0) == 1.0  # load >= agents: everybody waits
    assert erlang_c(10, 12.5) == 1.0
    assert erlang_b(1, 5000.0) == pytest.approx(5000 / 5001, rel=1e-14)
    k = erlang_c_kpis(0.0, 180, 0, within_s=20)
    assert (k.p_wait, k.service_level, k.asa_s, k.occupancy) == (0.0, 1.0, 0.0, 0.0)
    unstable = erlang_c_kpis(200, 180, 10, within_s=20)
    assert unstable.service_level == 0.0 and np.isinf(unstable.asa_s)


def test_broadcasting_shapes_and_scalars() -> None:
    week = np.linspace(0.0, 300.0, 672)
    c = erlang_c(np.ceil(week) + 3, week)
    assert c.shape == (672,)
    grid = erlang_b(np.arange(1, 6)[:, None], np.array([1.0, 2.0, 3.0])[None, :])
    assert grid.shape == (5, 3)
    assert np.ndim(erlang_c(14, 10.0)) == 0
    assert float(offered_load(200, 180)) == pytest.approx(10.0)


@pytest.mark.parametrize("load", [1.0, 100.0, 2000.0, 4999.0, 5000.0])
def test_stable_for_large_systems(load: float) -> None:
    agents = np.array([1, 2, 100, 1999, 2000, 2100, 4990, 5000, 5001, 5200])
    b = erlang_b(agents, load)
    c = erlang_c(agents, load)
    for values in (b, c):
        assert np.all(np.isfinite(values)) and np.all((values >= 0) & (values <= 1))
    assert np.all(np.diff(b) <= 0) and np.all(np.diff(c) <= 0)
    k = erlang_c_kpis(load * 3600 / 300, 300, agents, within_s=20)
    stable = agents > load
    assert np.all(np.isfinite(k.asa_s[stable])) and np.all(k.service_level <= 1)


@settings(max_examples=200, deadline=None)
@given(
    n=st.integers(min_value=1, max_value=3000),
    load=st.floats(min_value=0.001, max_value=5000.0, allow_nan=False),
)
def test_property_b_below_c_and_monotone(n: int, load: float) -> None:
    b, c = float(erlang_b(n, load)), float(erlang_c(n, load))
    assert 0.0 <= b <= c <= 1.0
    assert float(erlang_b(n + 1, load)) <= b
    assert float(erlang_c(n + 1, load)) <= c


@pytest.mark.parametrize(
    ("rate", "aht", "n", "within"),
    [(200, 180, 14, 20), (30, 240, 3, 15), (900, 300, 80, 30), (50, 600, 9, 60), (7, 180, 1, 20)],
)
def test_erlang_c_kpis_are_the_textbook_formulas(rate, aht, n, within) -> None:
    """Each single-KPI function and the bundle against the M/M/c formulas evaluated here
    from an exact-fraction Erlang C (conftest, no code shared): ASA = C·AHT/(c − A),
    Lq = C·A/(c − A), occupancy A/c, P(W <= t) = 1 − C·exp(−(c − A)·t/AHT)."""
    load = textbook_load(rate, aht)
    c_wait = float(exact_erlang_c(n, load))
    gap = n - float(load)
    expected = {
        "p_wait": c_wait,
        "asa_s": c_wait * aht / gap,
        "mean_queue_length": c_wait * float(load) / gap,
        "occupancy": float(load) / n,
        "service_level": textbook_service_level(rate, aht, n, within),
    }
    single = {
        "asa_s": erlang_c_asa_s(rate, aht, n),
        "mean_queue_length": erlang_c_queue_length(rate, aht, n),
        "occupancy": occupancy(rate, aht, n),
        "service_level": erlang_c_service_level(rate, aht, n, within_s=within),
    }
    bundle = erlang_c_kpis(rate, aht, n, within_s=within)
    for name, value in expected.items():
        assert float(getattr(bundle, name)) == pytest.approx(value, rel=1e-11), name
        if name in single:
            assert float(single[name]) == pytest.approx(value, rel=1e-11), name


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: erlang_b(-1, 2.0), "agents: must be >= 0, got -1"),
        (lambda: erlang_b(2.5, 2.0), "agents: must be a whole number, got 2.5"),
        (lambda: erlang_c(2, -3.0), "offered_load: must be >= 0, got -3"),
        (lambda: erlang_c_kpis(200, 0, 14), "aht_s: must be > 0, got 0"),
        (lambda: erlang_c_kpis(200, [180, 0], 14), "aht_s: must be > 0, got 0 (at index 1)"),
        (lambda: erlang_c_kpis(np.nan, 180, 14), "arrival_rate_per_hour: must be a finite"),
        (lambda: erlang_a_kpis(200, 180, 14, 0), "patience_s: must be > 0, got 0"),
    ],
)
def test_bad_input_names_the_argument(call, message: str) -> None:
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        call()


# --------------------------------------------------------------------------------------
# Erlang A against a brute-force birth-death solve
# --------------------------------------------------------------------------------------
def _brute_force_erlang_a(
    rate_per_hour: float, aht_s: float, n: int, patience_s: float, within_s: float
) -> dict[str, float]:
    """Brute force, independent of the closed forms in simulator.queueing.erlang.

    Stationary law: dense solve of the truncated generator (pi Q = 0, sum pi = 1). Waiting
    time of a contact at queue position p: F_p(t) = P(served by t) from the backward
    Kolmogorov equations F_p' = r_p (F_{p-1} - F_p) - theta F_p, F_0 = 1,
    r_p = n mu + (p-1) theta, integrated numerically; the mean wait of served contacts and
    the mean time in queue of all contacts by first-step analysis. An arrival finding n + j
    in the system joins at position j + 1. Queue length and busy agents are means over the
    stationary law.
    """
    lam, mu, theta = rate_per_hour / 3600, 1 / aht_s, 1 / patience_s
    queue_max = 120
    size = n + queue_max + 1
    k = np.arange(size)
    q = np.zeros((size, size))
    q[k[:-1], k[:-1] + 1] = lam
    q[k[1:], k[1:] - 1] = np.minimum(k[1:], n) * mu + np.maximum(k[1:] - n, 0) * theta
    q[k, k] = -q.sum(axis=1)
    system = q.T.copy()
    system[-1] = 1.0  # replace one (redundant) balance equation by the normalisation
    rhs = np.zeros(size)
    rhs[-1] = 1.0
    pi = np.linalg.solve(system, rhs)
    assert pi[-1] < 1e-13  # the truncation is harmless
    p_wait = pi[n:].sum()
    p_ab = theta * np.sum(np.maximum(k - n, 0) * pi) / lam

    positions = np.arange(1, queue_max + 1)
    r = n * mu + (positions - 1) * theta

    def backward(_t: float, f: np.ndarray) -> np.ndarray:
        ahead = np.concatenate([[1.0], f[:-1]])
        return r * (ahead - f) - theta * f

    sol = scipy.integrate.solve_ivp(
        backward, (0.0, within_s), np.zeros(queue_max), method="DOP853", rtol=1e-12, atol=1e-14
    )
    served_by_t = sol.y[:, -1]
    served = np.cumprod(r / (r + theta))
    served_wait = np.zeros(queue_max)  # E[W; served | position p], first-step analysis
    previous = 0.0
    for i in range(queue_max):
        previous = served[i] / (r[i] + theta) + r[i] / (r[i] + theta) * previous
        served_wait[i] = previous
    # Time in queue of every contact (answered or abandoned) at position p, first-step
    # analysis: the next event is its own abandonment (theta) or a move up (r_p).
    in_queue = np.zeros(queue_max)
    previous = 0.0
    for i in range(queue_max):
        previous = 1 / (r[i] + theta) + r[i] / (r[i] + theta) * previous
        in_queue[i] = previous
    found = pi[n : n + queue_max]
    service_level = pi[:n].sum() + found @ served_by_t
    return {
        "p_wait": p_wait,
        "p_abandon": p_ab,
        "service_level": service_level,
        "service_level_answered": service_level / (1 - p_ab),
        "asa_s": (found @ served_wait) / (1 - p_ab),
        "mean_wait_s": found @ in_queue,
        "mean_queue_length": np.sum(np.maximum(k - n, 0) * pi),
        "occupancy": np.sum(np.minimum(k, n) * pi) / n,
    }


@pytest.mark.parametrize(
    ("rate", "aht", "n", "patience", "within"),
    [
        (200, 180, 14, 120, 20),  # quality-driven
        (200, 180, 9, 300, 20),  # overloaded: load 10 on 9 agents, queue kept finite
        (60, 300, 3, 60, 30),  # small, impatient
        (900, 240, 60, 600, 15),  # patient
    ],
)
def test_erlang_a_matches_brute_force(rate, aht, n, patience, within) -> None:
    expected = _brute_force_erlang_a(rate, aht, n, patience, within)
    k = erlang_a_kpis(rate, aht, n, patience, within_s=within)
    for name, value in expected.items():
        assert float(getattr(k, name)) == pytest.approx(value, rel=1e-7, abs=1e-10), name


def test_erlang_a_kpis_move_the_right_way_with_agents() -> None:
    # (Queue length, mean wait and occupancy are checked against the brute-force chain.)
    k = erlang_a_kpis(200, 180, np.arange(5, 30), 120, within_s=20)
    assert np.all(np.diff(k.service_level) > 0) and np.all(np.diff(k.p_abandon) < 0)
    assert np.all(np.diff(k.asa_s) < 0)
    assert np.all(k.service_level <= k.service_level_answered)
    assert np.all(k.service_level <= 1 - k.p_abandon + 1e-15)


@pytest.mark.parametrize("n", [11, 14, 20])
def test_erlang_a_tends_to_erlang_c_as_patience_grows(n: int) -> None:
    # The gap is a real effect of order ASA / patience, so it must shrink ~100x from a
    # patience of 1e6 s to 1e8 s and be small at 1e8 s.
    c = erlang_c_kpis(200, 180, n, within_s=20)
    names = ("p_wait", "service_level", "asa_s", "mean_queue_length", "occupancy")
    gaps = {}
    for patience in (1e6, 1e8):
        a = erlang_a_kpis(200, 180, n, patience, within_s=20)
        gaps[patience] = np.array([float(getattr(a, f) / getattr(c, f)) - 1 for f in names])
        assert float(a.p_abandon) < 1e-3
    assert np.all(np.abs(gaps[1e8]) < 1e-4)
    assert np.all(np.abs(gaps[1e8]) < np.abs(gaps[1e6]) / 50)


def test_erlang_a_large_and_overloaded_is_finite() -> None:
    agents = np.array([1, 500, 2000, 4900, 5000, 5200])
    k = erlang_a_kpis(5000 * 3600 / 300, 300, agents, 600, within_s=20)
    for name in ("p_wait", "service_level", "p_abandon", "occupancy", "asa_s"):
        value = getattr(k, name)
        assert np.all(np.isfinite(value)), name
    assert np.all((k.p_wait >= 0) & (k.p_wait <= 1))
    assert np.all(np.diff(k.p_abandon) < 0)
    # one agent facing 5,000 Erlangs: nearly everybody abandons
    assert k.p_abandon[0] > 0.99


def test_erlang_a_zero_load_and_no_within() -> None:
    k = erlang_a_kpis([0.0, 200.0], 180, 14, 120)
    assert k.p_wait[0] == 0.0 and k.p_abandon[0] == 0.0 and k.occupancy[0] == 0.0
    assert np.all(np.isnan(k.service_level))


def test_erlang_a_with_no_agents_is_the_all_abandon_limit() -> None:
    # Small loads used to give 0/0 = NaN; with no agent everyone waits and abandons.
    from simulator import kpis_for_agents

    k = kpis_for_agents(np.array([20.0, 60.0]), 300, 0, within_s=30, patience_s=300)
    assert np.array_equal(k.p_wait, [1.0, 1.0])
    assert np.array_equal(k.service_level, [0.0, 0.0])
    assert np.array_equal(k.p_abandon, [1.0, 1.0])
    assert np.allclose(k.mean_queue_length, [20 / 3600 * 300, 60 / 3600 * 300])
