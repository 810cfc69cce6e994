"""The simulation engine against queueing theory: Erlang C, Erlang A and Little's law.

Every check compares an exact value with the simulation's own confidence interval; no
tolerance is picked by hand. Each simulated KPI is the mean over independent replications
with its 95% Student-t half-width ``hw`` (as ``SimulationResult`` reports it; the helper is
itself checked against scipy in ``test_results.py``). Several KPIs and cases are checked at
once, so each check uses the simultaneous interval ``mean ± k·hw`` where ``k`` widens the
95% interval to a Bonferroni interval with family-wise error 5% over all checks of the test
(``bonferroni_k``; e.g. 22 checks with 20 replications give k ≈ 1.6). A second assertion
gives every check teeth: the interval must be narrower than the stated relative precision,
so a noisy run cannot pass by being vague. Where the precision is 2%, ``k·hw`` is at most
~3.3% of the value, so a KPI 5% off its exact value fails.

KPIs and their exact values: P(wait), service level within 20 s, ASA, mean queue length
and (Erlang A) P(abandon) from ``simulator.queueing.erlang`` (itself checked against published
tables, exact fractions and a brute-force birth-death chain in ``test_erlang.py``);
occupancy = carried load / agents (``a/c`` without abandonment, ``a(1 − P(abandon))/c``
with it); and, for Erlang C, the wait percentiles from the M/M/c waiting-time distribution
``P(W > t) = C·exp(−(cμ − λ)t)``: the q-quantile is ``ln(C/(1 − q))/(cμ − λ)`` when
``C > 1 − q``, else 0.

Design of the runs (why they are unbiased): each queue is open 00:00-24:00 on consecutive
days, i.e. one continuous queue; the warm-up (``run.warmup_minutes``) lasts several
relaxation times ``1/(mu (sqrt(c) - sqrt(A))^2)`` so the empty start is forgotten; contacts
are counted by arrival interval and followed to the end (queues are served after the last
close), so long waits at the end are not censored. Handle time 180 s, service level within
20 s throughout.

Precision and cost. The default run simulates ~4.3 million calls (≈ 40 s of CPU, ≈ 20 s on
2 cores). Three cases are tight, every KPI's half-width at most 2-2.5% of its value
(occupancy 1%): Erlang C at load 0.5 on 2 agents, Erlang A at load 0.8 on 5 agents, and
Erlang A 20% overloaded (load 12 on 10 agents), which only abandonment keeps stable. At
higher loads the waits are long and strongly correlated, so ASA, queue length and the wait
percentiles need many more calls: in the default run they are held to 3% (Erlang A at load
1.0 on 20 agents), 6% (Erlang C at load 0.8; its 18 s median wait to 20%) and 10% (Erlang
C at load 0.95), while P(wait) and occupancy stay within 2% and 1% everywhere (service level
within 2%, 5% at load 0.95).
The versions marked ``slow`` (``pytest -m slow``) simulate ~15 million calls (≈ 5 minutes
on 2 cores) and reach half-widths of 0.2-6% at every load.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from conftest import (
    bonferroni_k,
    counted,
    mean_and_half_width,
    mmc_scenario,
    run_with_stats,
)

from simulator.queueing.erlang import QueueKpis, erlang_a_kpis, erlang_c_kpis
from simulator.results import SimulationResult
from simulator.runner import simulate
from simulator.scenario import Scenario
from simulator.stats import ReplicationStats

AHT_S = 180.0
WITHIN_S = 20.0
QUANTILES = {"wait_p50_s": 0.5, "wait_p90_s": 0.9, "wait_p95_s": 0.95}


@dataclass(frozen=True)
class Case:
    """One queue and how long to simulate it. ``precision`` is the largest relative CI
    half-width (hw / exact) accepted per KPI: the power requirement of the check."""

    name: str
    agents: int
    load: float  # offered Erlangs
    days: int
    warmup_minutes: int
    replications: int
    precision: dict[str, float]
    patience_s: float | None = None

    @property
    def rate_per_hour(self) -> float:
        return self.load * 3600 / AHT_S

    def scenario(self) -> Scenario:
        return mmc_scenario(
            self.rate_per_hour,
            AHT_S,
            self.agents,
            days=self.days,
            warmup_minutes=self.warmup_minutes,
            patience_s=self.patience_s,
            within_s=WITHIN_S,
            name=self.name,
        )

    def exact(self) -> QueueKpis:
        if self.patience_s is None:
            return erlang_c_kpis(self.rate_per_hour, AHT_S, self.agents, within_s=WITHIN_S)
        return erlang_a_kpis(
            self.rate_per_hour, AHT_S, self.agents, self.patience_s, within_s=WITHIN_S
        )


@dataclass(frozen=True)
class Run:
    case: Case
    scenario: Scenario
    result: SimulationResult
    reps: list[ReplicationStats]


def _tight(**looser: float) -> dict[str, float]:
    """Precision of a tight Erlang C case: 2% (occupancy 1%), unless stated otherwise."""
    base = {"p_wait": 0.02, "service_level": 0.02, "asa_s": 0.02, "mean_queue_length": 0.02,
            "wait_p90_s": 0.02, "wait_p95_s": 0.02, "occupancy": 0.01}  # fmt: skip
    return base | looser


# Loads 0.5, 0.8 and 0.95 per agent. Small teams at low load and larger ones at high load
# keep P(wait) and ASA big enough to be measured precisely in few calls. Relaxation times:
# ~18 min, ~55 min and ~8 h, hence the warm-ups. The median wait is checked where it is
# not 0 (P(wait) > 1/2).
ERLANG_C_FAST = [
    Case("load 0.50, 2 agents", 2, 1.0, 50, 60, 40, _tight(mean_queue_length=0.025)),
    Case("load 0.80, 5 agents", 5, 4.0, 10, 240, 20,
         _tight(asa_s=0.06, mean_queue_length=0.06, wait_p50_s=0.20, wait_p90_s=0.06,
                wait_p95_s=0.06)),
    Case("load 0.95, 10 agents", 10, 9.5, 16, 1440, 20,
         _tight(service_level=0.05, asa_s=0.10, mean_queue_length=0.10, wait_p50_s=0.10,
                wait_p90_s=0.10, wait_p95_s=0.10)),
]  # fmt: skip
ERLANG_C_TIGHT = [
    Case("load 0.50, 2 agents", 2, 1.0, 60, 60, 20,
         {"p_wait": 0.015, "service_level": 0.01, "asa_s": 0.04, "mean_queue_length": 0.04}),
    Case("load 0.80, 5 agents", 5, 4.0, 40, 240, 20,
         {"p_wait": 0.015, "service_level": 0.02, "asa_s": 0.05, "mean_queue_length": 0.05}),
    Case("load 0.95, 10 agents", 10, 9.5, 90, 1440, 20,
         {"p_wait": 0.01, "service_level": 0.035, "asa_s": 0.06, "mean_queue_length": 0.06}),
]  # fmt: skip
# Erlang A: below full load, at full load, and 20% overloaded (only abandonment keeps that
# queue stable): P(wait), service level, ASA, P(abandon), queue length and occupancy.
_ERLANG_A = ("p_wait", "service_level", "asa_s", "abandon_rate", "mean_queue_length")
ERLANG_A_FAST = [
    Case("load 0.80, 5 agents, patience 120 s", 5, 4.0, 10, 360, 20,
         dict.fromkeys(_ERLANG_A, 0.025) | {"occupancy": 0.01}, patience_s=120.0),
    Case("load 1.00, 20 agents, patience 180 s", 20, 20.0, 4, 120, 20,
         dict.fromkeys(_ERLANG_A, 0.03) | {"occupancy": 0.01}, patience_s=180.0),
    Case("load 1.20, 10 agents, patience 180 s", 10, 12.0, 3, 120, 20,
         dict.fromkeys(_ERLANG_A, 0.02) | {"occupancy": 0.01}, patience_s=180.0),
]  # fmt: skip
ERLANG_A_TIGHT = [
    Case("load 0.80, 5 agents, patience 120 s", 5, 4.0, 30, 360, 20,
         {"p_wait": 0.015, "service_level": 0.006, "asa_s": 0.02, "abandon_rate": 0.02},
         patience_s=120.0),
    Case("load 1.00, 20 agents, patience 180 s", 20, 20.0, 10, 120, 20,
         {"p_wait": 0.015, "service_level": 0.015, "asa_s": 0.03, "abandon_rate": 0.03},
         patience_s=180.0),
    Case("load 1.20, 50 agents, patience 300 s", 50, 60.0, 4, 120, 20,
         {"p_wait": 0.005, "service_level": 0.05, "asa_s": 0.02, "abandon_rate": 0.015},
         patience_s=300.0),
]  # fmt: skip

SEED = 20261122


def _simulate(case: Case, *, workers: int = 0) -> Run:
    scenario = case.scenario()
    result, reps = run_with_stats(scenario, case.replications, SEED, workers=workers)
    return Run(case, scenario, result, reps)


def _simulated(run: Run, kpi: str) -> tuple[float, float]:
    """Mean and 95% half-width of a channel KPI, or of the agents' occupancy."""
    if kpi == "occupancy":
        groups = run.result.groups
        row = groups[(groups.group == "agents") & (groups.kpi == "occupancy")].iloc[0]
        return float(row["mean"]), float(row["ci_half_width"])
    return run.result.kpi("calls", kpi), run.result.half_width("calls", kpi)


def _exact(case: Case, kpi: str) -> float:
    """The exact value: ``simulator.queueing.erlang``'s, or for a wait percentile the quantile of
    the M/M/c waiting time, ``P(W > t) = C exp(−(cμ − λ) t)``."""
    exact = case.exact()
    if kpi in QUANTILES:
        assert case.patience_s is None, "wait percentiles are checked for Erlang C only"
        c_wait, tail = float(exact.p_wait), 1.0 - QUANTILES[kpi]
        decay = (case.agents - case.load) / AHT_S  # cμ − λ, per second
        return math.log(c_wait / tail) / decay if c_wait > tail else 0.0
    field = {"abandon_rate": "p_abandon"}.get(kpi, kpi)
    return float(getattr(exact, field))


def _check_against_theory(run: Run, k: float) -> None:
    """Every KPI of the case's precision table: exact value inside mean ± k·hw, and hw
    below the stated precision. Failures list every KPI at once."""
    problems = []
    for kpi, precision in run.case.precision.items():
        mean, half = _simulated(run, kpi)
        value = _exact(run.case, kpi)
        assert value > 0, f"{run.case.name} {kpi}: exact value 0 gives no relative check"
        line = (
            f"{run.case.name} {kpi}: simulated {mean:.5g} ± {k * half:.3g} (k={k:.2f}), "
            f"exact {value:.5g}"
        )
        if not abs(mean - value) <= k * half:
            problems.append(f"{line}: exact value outside the interval")
        if not half <= precision * value:
            problems.append(f"{line}: half-width {half / value:.1%} > {precision:.1%}")
    assert not problems, "\n".join(problems)


def _family(cases: list[Case]) -> int:
    return sum(len(c.precision) for c in cases)


# --------------------------------------------------------------------------------------
# Erlang C (M/M/c)
# --------------------------------------------------------------------------------------
@pytest.fixture(scope="module", params=ERLANG_C_FAST, ids=lambda c: c.name)
def erlang_c_run(request: pytest.FixtureRequest) -> Run:
    return _simulate(request.param)


def test_erlang_c(erlang_c_run: Run) -> None:
    """P(wait), service level within 20 s, ASA, mean queue length, wait percentiles and
    occupancy vs Erlang C and the M/M/c waiting-time distribution."""
    k = bonferroni_k(erlang_c_run.case.replications, _family(ERLANG_C_FAST))
    _check_against_theory(erlang_c_run, k)


def test_littles_law_without_abandonment(erlang_c_run: Run) -> None:
    """L_q = λ·W_q, checked per replication on the same run: the engine's time-weighted
    mean queue length against (offered / open time) × (total wait / offered). Without
    abandonment every counted contact is answered, so the wait sum covers all of them. The
    difference is tested paired (one value per replication), at family-wise 5% over the
    three loads; the edge terms (contacts straddling the warm-up end and the close) cancel
    in steady state."""
    run = erlang_c_run
    open_s = _counted_open_seconds(run.scenario)
    lq = _per_rep(run.result, "mean_queue_length")
    wait_sum = np.array([counted(r, "calls", "wait_sum", run.scenario) for r in run.reps])
    answered = np.array([counted(r, "calls", "answered", run.scenario) for r in run.reps])
    offered = np.array([counted(r, "calls", "offered", run.scenario) for r in run.reps])
    np.testing.assert_array_equal(answered, offered)  # nobody abandons, nobody is left
    lambda_wq = (offered / open_s) * (wait_sum / offered)
    diff_mean, diff_half = mean_and_half_width(lq - lambda_wq)
    k = bonferroni_k(run.case.replications, len(ERLANG_C_FAST))
    assert abs(diff_mean) <= k * diff_half, (
        f"{run.case.name}: L_q − λW_q = {diff_mean:.4g} ± {k * diff_half:.3g} "
        f"(L_q = {lq.mean():.4g})"
    )
    # The paired check has teeth: both sides come from the same sample path, so their
    # interval is a tiny fraction of L_q (below 0.05% in these runs): a time-weighted queue
    # length or a wait sum 5% off fails it.
    assert diff_half <= 0.002 * lq.mean()


def _per_rep(result: SimulationResult, kpi: str, entity: str = "calls") -> np.ndarray:
    table = result.per_replication
    rows = table[(table.entity == entity) & (table.kpi == kpi)].sort_values("replication")
    return rows["value"].to_numpy(dtype=float)


def _counted_open_seconds(scenario: Scenario) -> float:
    horizon = scenario.horizon
    first = math.ceil(scenario.run.warmup_minutes * 60 / horizon.interval_s - 1e-9)
    return (horizon.n_intervals - first) * horizon.interval_s


# --------------------------------------------------------------------------------------
# Erlang A (M/M/c+M)
# --------------------------------------------------------------------------------------
@pytest.fixture(scope="module", params=ERLANG_A_FAST, ids=lambda c: c.name)
def erlang_a_run(request: pytest.FixtureRequest) -> Run:
    return _simulate(request.param)


def test_erlang_a(erlang_a_run: Run) -> None:
    """P(wait), service level (answered within 20 s / offered: the engine's default and
    Erlang A's ``service_level``), ASA of answered calls, P(abandon), mean queue length and
    occupancy vs Erlang A, below, at and above full load."""
    k = bonferroni_k(erlang_a_run.case.replications, _family(ERLANG_A_FAST))
    _check_against_theory(erlang_a_run, k)


def test_littles_law_with_abandonment(erlang_a_run: Run) -> None:
    """With abandonment, L_q = λ·E[time in queue of all offered contacts]. The engine keeps
    no wait sum for abandoned contacts, but for exponential patience the abandonment rate
    gives it: a contact waiting leaves at rate 1/patience, so abandoned per second =
    L_q / patience (the Erlang A identity ``L_q = P(abandon)·λ·patience``). Checked per
    replication against the counted abandonments, paired."""
    run = erlang_a_run
    patience = run.case.patience_s
    assert patience is not None
    open_s = _counted_open_seconds(run.scenario)
    lq = _per_rep(run.result, "mean_queue_length")
    abandoned = np.array([counted(r, "calls", "abandoned", run.scenario) for r in run.reps])
    diff_mean, diff_half = mean_and_half_width(lq - abandoned / open_s * patience)
    k = bonferroni_k(run.case.replications, len(ERLANG_A_FAST))
    assert abs(diff_mean) <= k * diff_half, (
        f"{run.case.name}: L_q − abandon rate × patience = {diff_mean:.4g} ± "
        f"{k * diff_half:.3g} (L_q = {lq.mean():.4g})"
    )
    # Teeth: the abandonment count is random given the queue-length path, so the interval
    # is wider than without abandonment (about 1% of L_q in these runs), but still well
    # inside a 5% error of either side.
    assert diff_half <= 0.02 * lq.mean()


def test_littles_law_all_offered_from_contact_log(tmp_path: Path) -> None:
    """Little's law itself with abandonment, L_q = λ·W over *all* offered contacts: the
    engine's counters keep no wait sum for abandoned contacts, so the waits come from the
    opt-in contact log (one row per answered / abandoned contact with its wait). Paired per
    replication; the contacts of the warm-up are left out on both sides."""
    case = ERLANG_A_FAST[1]
    scenario = case.scenario().with_changes({"horizon.days": 1})
    replications = 8
    result = simulate(scenario, replications=replications, seed=SEED, contact_log_dir=tmp_path)
    open_s = _counted_open_seconds(scenario)
    warmup_s = scenario.run.warmup_minutes * 60
    lq = _per_rep(result, "mean_queue_length")
    lambda_w = np.zeros(replications)
    for r in range(replications):
        with (tmp_path / f"contacts-{r}.csv").open(newline="", encoding="utf-8") as handle:
            waits = [
                float(row["wait_s"])
                for row in csv.DictReader(handle)
                if row["outcome"] in ("answered", "abandoned", "unanswered_at_close")
                and float(row["arrival_s"]) >= warmup_s
            ]
        lambda_w[r] = sum(waits) / open_s  # (offered / open time) x mean wait of offered
    diff_mean, diff_half = mean_and_half_width(lq - lambda_w)
    assert abs(diff_mean) <= diff_half, (
        f"L_q − λW = {diff_mean:.4g} ± {diff_half:.3g} (L_q = {lq.mean():.4g})"
    )
    assert diff_half <= 0.05 * lq.mean()


# --------------------------------------------------------------------------------------
# tight versions (pytest -m slow)
# --------------------------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("case", ERLANG_C_TIGHT, ids=lambda c: c.name)
def test_erlang_c_tight(case: Case) -> None:
    run = _simulate(case)
    _check_against_theory(run, bonferroni_k(case.replications, _family(ERLANG_C_TIGHT)))


@pytest.mark.slow
@pytest.mark.parametrize("case", ERLANG_A_TIGHT, ids=lambda c: c.name)
def test_erlang_a_tight(case: Case) -> None:
    run = _simulate(case)
    _check_against_theory(run, bonferroni_k(case.replications, _family(ERLANG_A_TIGHT)))
