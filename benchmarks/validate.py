"""Validation of the simulator against exact queueing theory; writes ``docs/validation.md``.

A grid of M/M/c (Erlang C) and M/M/c+M (Erlang A) queues, from 1 to 200 agents and loads
0.5 to 1.0 per agent, each simulated as an ordinary staffsim scenario (the full engine and
result pipeline) with independent replications. For every case and KPI — P(wait), service
level within 20 s, ASA, P(abandon) — the table gives the exact value, the simulated mean,
its 95% confidence interval (Student t over replications, as ``SimulationResult`` reports
it) and whether the exact value lies inside. With a correct simulator about 95% of the
intervals contain the exact value (the KPIs of one case are correlated, so misses come in
groups).

Run length is sized per case from the queue's relaxation time τ (the time it takes to forget
its empty start, ``AHT / (sqrt(c) - sqrt(A))^2`` without abandonment): a warm-up of 5τ is
discarded and each replication then counts at least 20τ, at least ``--min-calls`` calls and
about ``--max-calls`` (whole days: the horizon is rounded to days; heavy-traffic cases hit
the cap and get wider intervals, which the table shows rather than hides).

A second table checks finite lines, callbacks and walk-in counters the same way: M/M/c/K
and M/M/c/K+M
(``lines.max_waiting``) and Erlang B (no waiting room) against the birth–death chain,
busy signals redialled against the extended-Erlang-B fixed point (an approximation: it
assumes retrials arrive as a Poisson stream; the redial delay is long against the call so
it holds closely), callbacks against their Markov chain solved numerically, and walk-in
counters (balking by line length, exponential patience) against their birth–death chain
(``simulator.queueing.finite``). A third checks outbound blending (the threshold dialer)
against its Markov chain (``benchmarks/validate_blending.py``), a fourth the predictive
dialer against its own (``benchmarks/validate_predictive.py``).

Usage::

    .venv/bin/python benchmarks/validate.py            # all cores, ~3-5 minutes on 2 cores
    .venv/bin/python benchmarks/validate.py --workers 1 --output /tmp/validation.md
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._scenarios import QueueCase
from benchmarks.validate_blending import blending_rows, blending_section
from benchmarks.validate_predictive import predictive_rows, predictive_section
from simulator.channels.balking import Balking
from simulator.engine import run_replication
from simulator.model import compile_scenario
from simulator.queueing.finite import (
    balking_kpis,
    callback_chain_kpis,
    erlang_b_retrial,
    mmck_kpis,
)
from simulator.results import SimulationResult, aggregate, summarise
from simulator.runner import local_pool, simulate, worker_count
from simulator.scenario import Scenario
from simulator.stats import ReplicationStats

AHT_S = 180.0
ROOT = Path(__file__).resolve().parent.parent


def _case(agents: int, rho: float, patience_s: float | None = None) -> QueueCase:
    model = "M/M/c+M" if patience_s is not None else "M/M/c"
    label = f"{model} c={agents} ρ={rho:g}" + (f" θ⁻¹={patience_s:g}s" if patience_s else "")
    return QueueCase(label, rho * agents * 3600 / AHT_S, AHT_S, agents, patience_s)


CASES: tuple[QueueCase, ...] = (
    _case(1, 0.5),
    _case(1, 0.8),
    _case(2, 0.5),
    _case(5, 0.8),
    _case(10, 0.9),
    _case(10, 0.95),
    _case(20, 0.85),
    _case(50, 0.9),
    _case(100, 0.95),
    _case(200, 0.98),
    _case(1, 0.9, 120),
    _case(5, 0.8, 120),
    _case(20, 1.0, 180),
    _case(50, 0.98, 300),
    _case(100, 0.95, 60),
    _case(200, 0.9, 180),
)

KPIS = {
    "p_wait": "P(wait)",
    "service_level": "SL(20 s)",
    "asa_s": "ASA (s)",
    "abandon_rate": "P(abandon)",
}


@dataclass(frozen=True)
class Plan:
    """How one case is simulated: days per replication (60-minute intervals, open around
    the clock) and the warm-up in minutes (whole intervals)."""

    case: QueueCase
    days: int
    warmup_minutes: int
    replications: int

    def scenario(self, seed: int) -> Scenario:
        return self.case.scenario(days=self.days, warmup_minutes=self.warmup_minutes, seed=seed)

    @property
    def expected_calls(self) -> float:
        counted_h = self.days * 24 - self.warmup_minutes / 60
        return self.case.rate_per_hour * counted_h * self.replications


def plan(case: QueueCase, replications: int, min_calls: int, max_calls: int) -> Plan:
    tau_h = case.relaxation_s() / 3600
    warmup_h = max(1, math.ceil(5 * tau_h))
    per_rep_calls = min(
        max(20 * tau_h * case.rate_per_hour, min_calls / replications), max_calls / replications
    )
    counted_h = per_rep_calls / case.rate_per_hour
    days = max(1, math.ceil((warmup_h + counted_h) / 24))
    return Plan(case, min(days, 366), warmup_h * 60, replications)


def case_seed(seed: int, index: int) -> int:
    """Seed of case ``index``. Every case has one channel named ``calls``, so with one
    seed all cases would draw the *same* random numbers (common random numbers, keyed by
    seed, replication and channel name) and their errors would move together; a seed per
    case makes the cases independent, so the share of intervals containing the exact value
    is a fair coverage check."""
    return seed + index


def run_all(
    plans: list[Plan], seed: int, workers: int
) -> list[tuple[SimulationResult, list[ReplicationStats]]]:
    """All replications of all cases in one process pool (no idle cores between cases)."""
    seeds = [case_seed(seed, i) for i in range(len(plans))]
    models = [compile_scenario(p.scenario(s)) for p, s in zip(plans, seeds, strict=True)]
    jobs = [(i, r) for i, p in enumerate(plans) for r in range(p.replications)]
    # Longest cases first, so the pool does not end on one long straggler.
    jobs.sort(key=lambda job: -plans[job[0]].expected_calls / plans[job[0]].replications)
    stats: dict[tuple[int, int], ReplicationStats] = {}
    if workers == 1:
        for i, r in jobs:
            stats[i, r] = run_replication(models[i], seeds[i], r)
    else:
        with local_pool(workers) as pool:
            futures = {
                job: pool.submit(run_replication, models[job[0]], seeds[job[0]], job[1])
                for job in jobs
            }
            for done, (job, future) in enumerate(futures.items(), 1):
                stats[job] = future.result()
                print(f"\r  {done}/{len(jobs)} replications", end="", file=sys.stderr, flush=True)
            print(file=sys.stderr)
    out = []
    for i, p in enumerate(plans):
        reps = [stats[i, r] for r in range(p.replications)]
        out.append((aggregate(models[i], reps, seed=seeds[i], targets={}), reps))
    return out


def p_wait(p: Plan, reps: list[ReplicationStats]) -> np.ndarray:
    """1 − (answered with zero wait) / offered, per replication (post-warm-up contacts)."""
    first = p.warmup_minutes // 60
    return np.array(
        [1.0 - r.wait_hist["calls"][0] / r.channels["calls"]["offered"][first:].sum() for r in reps]
    )


def rows_for(p: Plan, result: SimulationResult, reps: list[ReplicationStats]) -> list[dict]:
    exact = p.case.exact()
    exact_values = {
        "p_wait": float(exact.p_wait),
        "service_level": float(exact.service_level),
        "asa_s": float(exact.asa_s),
        "abandon_rate": float(exact.p_abandon),
    }
    offered = result.kpi("calls", "offered") * result.replications
    rows = []
    for kpi, label in KPIS.items():
        if kpi == "abandon_rate" and p.case.patience_s is None:
            continue
        if kpi == "p_wait":
            mean, half, _ = summarise(p_wait(p, reps))
        else:
            mean, half = result.kpi("calls", kpi), result.half_width("calls", kpi)
        value = exact_values[kpi]
        rows.append(
            {
                "case": p.case.label,
                "kpi": label,
                "exact": value,
                "mean": mean,
                "half": half,
                "inside": abs(mean - value) <= half,
                "calls": offered,
            }
        )
    return rows


@dataclass(frozen=True)
class FiniteCase:
    """A call channel with lines (and callbacks), its exact values by KPI."""

    label: str
    agents: int
    rate_per_hour: float
    channel: dict
    exact: dict[str, float]
    days: int = 4
    warmup_minutes: int = 180

    def scenario(self, seed: int) -> Scenario:
        base = QueueCase(self.label, self.rate_per_hour, AHT_S, self.agents, None).scenario(
            days=self.days, warmup_minutes=self.warmup_minutes, seed=seed
        )
        return base.with_changes({f"channels.calls.{k}": v for k, v in self.channel.items()})


FINITE_KPIS = {
    "blocked_rate": "P(busy signal)",
    "p_wait": "P(wait or busy)",
    "asa_s": "ASA (s)",
    "abandon_rate": "P(abandon)",
    "mean_queue_length": "queue length",
    "callback_delay_s": "callback delay (s)",
    "balk_rate": "P(balk)",
    "service_level": "SL(20 s)",
}


def _exp(mean_s: float) -> dict:
    return {"distribution": "exponential", "mean_seconds": mean_s}


def _mmck(agents: int, rho: float, max_waiting: int, patience_s: float | None = None):
    rate = rho * agents * 3600 / AHT_S
    k = mmck_kpis(rate, AHT_S, agents, max_waiting, patience_s)
    name = f"M/M/c/K c={agents} ρ={rho:g} K={agents + max_waiting}"
    if max_waiting == 0:
        name = f"Erlang B c={agents} A={rho * agents:g}"
    channel = {
        "arrivals": {"rate_per_hour": rate},
        "handle_time": _exp(AHT_S),
        "lines": {"max_waiting": max_waiting},
    }
    exact = {"blocked_rate": float(k.p_block)}
    if max_waiting:
        exact |= {
            "p_wait": float(k.p_wait + k.p_block),
            "asa_s": float(k.asa_s),
            "mean_queue_length": float(k.mean_queue_length),
        }
    if patience_s is not None:
        channel["patience"] = _exp(patience_s)
        exact["abandon_rate"] = float(k.p_abandon)
        name += f"+M θ⁻¹={patience_s:g}s"
    return FiniteCase(name, agents, rate, channel, exact)


def _retrial(agents: int, load: float, prob: float, attempts: int) -> FiniteCase:
    rate = load * 3600 / AHT_S
    k = erlang_b_retrial(agents, load, prob, attempts)
    channel = {
        "arrivals": {"rate_per_hour": rate},
        "handle_time": _exp(AHT_S),
        "lines": {"max_waiting": 0},
        "redial": {"probability": prob, "delay": _exp(1800), "max_attempts": attempts},
    }
    label = f"extended Erlang B c={agents} A₀={load:g} r={prob:g} N={attempts}"
    return FiniteCase(label, agents, rate, channel, {"blocked_rate": float(k.p_block)})


def _callbacks(agents: int, rate: float, patience_s: float, q_max: int, position: int, uptake):
    k = callback_chain_kpis(agents, rate, AHT_S, patience_s, q_max, position, uptake)
    channel = {
        "arrivals": {"rate_per_hour": rate},
        "handle_time": _exp(AHT_S),
        "patience": _exp(patience_s),
        "lines": {"max_waiting": q_max},
        "callback": {"uptake": uptake, "offer_at_position": position, "promise_minutes": 30},
    }
    label = (
        f"callbacks c={agents} λ={rate:g}/h θ⁻¹={patience_s:g}s K={agents + q_max} "
        f"offer at {position} on hold, uptake {uptake:g}"
    )
    exact = {kpi: k[kpi] for kpi in FINITE_KPIS if kpi in k}
    return FiniteCase(label, agents, rate, channel, exact, days=6)


def _walk_in(agents: int, rho: float, balking: dict, patience_s: float | None) -> FiniteCase:
    """A walk-in counter with balking by line length (and exponential patience), against
    the balking birth–death chain (``balking_kpis``)."""
    rate = rho * agents * 3600 / AHT_S
    table = Balking(**balking).table()
    k = balking_kpis(rate, AHT_S, agents, table, patience_s, within_s=20.0)
    channel = {
        "kind": "walk_in",
        "arrivals": {"rate_per_hour": rate},
        "handle_time": _exp(AHT_S),
        "balking": balking,
    }
    shown = (
        f"balk from {balking['from_length']} to {balking['all_at_length']}"
        if "from_length" in balking
        else f"balk {list(balking['probabilities'])}"
    )
    label = f"walk-in c={agents} ρ={rho:g} {shown}"
    exact = {
        "balk_rate": float(k.p_balk),
        "service_level": float(k.service_level),
        "asa_s": float(k.asa_s),
        "mean_queue_length": float(k.mean_queue_length),
    }
    if patience_s is not None:
        channel["patience"] = _exp(patience_s)
        exact["abandon_rate"] = float(k.p_abandon)
        label += f" θ⁻¹={patience_s:g}s"
    return FiniteCase(label, agents, rate, channel, exact)


FINITE_CASES: tuple[FiniteCase, ...] = (
    _mmck(5, 0.9, 3),
    _mmck(20, 0.95, 5),
    _mmck(10, 1.1, 4, 120),
    _mmck(8, 0.8, 0),
    _mmck(30, 0.9, 0),
    _retrial(10, 9.0, 0.7, 4),
    _callbacks(3, 60.0, 300.0, 6, 2, 0.5),
    _callbacks(10, 190.0, 180.0, 10, 3, 0.4),
    _walk_in(3, 0.9, {"probabilities": [0, 0.2, 0.4, 0.6, 0.8, 1]}, None),
    _walk_in(10, 1.0, {"from_length": 2, "all_at_length": 10}, 300.0),
    _walk_in(20, 1.1, {"probabilities": [0.05, 0.1, 0.2]}, 240.0),
)


def finite_rows(replications: int, seed: int, workers: int) -> list[dict]:
    """Simulate every finite-lines case (seed + 100 + i) and compare with its exact values."""
    rows = []
    for i, case in enumerate(FINITE_CASES):
        result = simulate(case.scenario(seed), replications, seed + 100 + i, workers=workers)
        offered = result.kpi("calls", "offered") * result.replications
        for kpi, label in FINITE_KPIS.items():
            if kpi not in case.exact:
                continue
            mean, half = result.kpi("calls", kpi), result.half_width("calls", kpi)
            value = case.exact[kpi]
            rows.append(
                {
                    "case": case.label,
                    "kpi": label,
                    "exact": value,
                    "mean": mean,
                    "half": half,
                    "inside": abs(mean - value) <= half,
                    "calls": offered,
                }
            )
    return rows


def _fmt(value: float, kpi: str) -> str:
    return f"{value:.1f}" if kpi.endswith("(s)") and value >= 10 else f"{value:.4f}"


def _table(rows: list[dict]) -> list[str]:
    lines = [
        "| case | KPI | exact | simulated | 95% CI | ± % of exact | exact in CI | calls |",
        "| --- | --- | ---: | ---: | --- | ---: | :---: | ---: |",
    ]
    for r in rows:
        kpi = r["kpi"]
        rel = r["half"] / r["exact"] if r["exact"] else math.nan
        lines.append(
            f"| {r['case']} | {kpi} | {_fmt(r['exact'], kpi)} | {_fmt(r['mean'], kpi)} | "
            f"[{_fmt(r['mean'] - r['half'], kpi)}, {_fmt(r['mean'] + r['half'], kpi)}] | "
            f"{rel:.1%} | {'yes' if r['inside'] else '**no**'} | {r['calls']:,.0f} |"
        )
    return lines


def render(
    rows: list[dict],
    plans: list[Plan],
    *,
    command: str,
    seed: int,
    elapsed_s: float,
    finite: list[dict] | None = None,
) -> str:
    inside = sum(r["inside"] for r in rows)
    lines = [
        "# Validation: simulation vs exact queueing theory",
        "",
        "<!-- generated by benchmarks/validate.py; do not edit by hand -->",
        "",
        f"- Command: `{command}`",
        f"- Date: {time.strftime('%Y-%m-%d %H:%M %Z')}; seed {seed} (case i uses seed "
        f"{seed} + i, so the cases are statistically independent); "
        f"{plans[0].replications} replications per case; run time {elapsed_s:.0f} s on "
        f"{os.cpu_count()} cores (Python {platform.python_version()}).",
        f"- Model: one call channel open 00:00-24:00 every day (one continuous queue), Poisson "
        f"arrivals, exponential handle time of mean {AHT_S:g} s, c agents, load ρ = A/c; "
        "M/M/c+M adds exponential patience of mean θ⁻¹. Exact values: Erlang C (M/M/c) and "
        "Erlang A (M/M/c+M) from `simulator.queueing.erlang`.",
        "- Each replication discards a warm-up of about 5 relaxation times and then counts "
        "every call arriving until the end of its last day (calls waiting at the end are "
        "served, not censored). KPIs are computed per replication and summarised as mean "
        "and 95% Student-t confidence interval over replications, exactly as "
        "`SimulationResult` does; P(wait) = 1 − (calls answered with zero wait) / offered.",
        "- SL(20 s) = answered within 20 s / offered (abandoned calls count as failures), the "
        "engine's default definition and Erlang A's `service_level`. ASA = mean wait of "
        "answered calls.",
        "",
        f"**{inside} of {len(rows)} intervals contain the exact value** "
        f"({inside / len(rows):.0%}; about 95% is expected from correct 95% intervals).",
        "",
        *_table(rows),
    ]
    lines += [
        "",
        "Run plans (days per replication include the warm-up):",
        "",
        "| case | offered load (Erlangs) | days | warm-up (h) | replications |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for p in plans:
        lines.append(
            f"| {p.case.label} | {p.case.offered_load:g} | {p.days} | "
            f"{p.warmup_minutes // 60} | {p.replications} |"
        )
    if finite:
        inside_f = sum(r["inside"] for r in finite)
        lines += [
            "",
            "## Finite lines, callbacks and walk-in counters",
            "",
            "One call channel with `lines` (and `callback`), or one walk-in counter with "
            "`balking` (`kind: walk_in`), open around the clock, "
            f"exponential handle time of mean {AHT_S:g} s, 4 days (callbacks: 6) per "
            "replication after a 3-hour warm-up, "
            f"{plans[0].replications * 2} replications, seed {seed} + 100 + i. Exact values "
            "from `simulator.queueing.finite`: M/M/c/K (+M) and Erlang B by the birth–death "
            "chain (`mmck_kpis`; K = c + `max_waiting`); extended Erlang B by its fixed point "
            "(`erlang_b_retrial`; blocked callers redial with probability r after an "
            "exponential 30 minutes, up to N attempts; the fixed point assumes Poisson "
            "retrials, so it is an approximation); callbacks by their continuous-time Markov "
            "chain (`callback_chain_kpis`; live callers before callbacks); walk-in counters by "
            "the birth–death chain of M/M/c with balking by the line seen and exponential "
            "patience (`balking_kpis`; P(balk) by PASTA, SL(20 s) = served within 20 s / "
            "everyone who walked in, balked customers included, by uniformization of a "
            "tagged customer's position chain). P(wait or busy) is the simulator's `p_wait`: "
            "attempts not answered at once.",
            "",
            f"**{inside_f} of {len(finite)} intervals contain the exact value** "
            f"({inside_f / len(finite):.0%}).",
            "",
            *_table(finite),
        ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--replications", type=int, default=10)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--workers", type=int, default=0, help="processes; 0 = one per CPU")
    parser.add_argument("--min-calls", type=int, default=200_000, help="per case (~)")
    parser.add_argument("--max-calls", type=int, default=1_500_000, help="per case (~)")
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "validation.md")
    args = parser.parse_args(argv)
    if args.replications < 2:
        parser.error("--replications must be >= 2 (a confidence interval needs two)")
    workers = worker_count(args.workers)
    plans = [plan(c, args.replications, args.min_calls, args.max_calls) for c in CASES]
    total = sum(p.expected_calls for p in plans)
    print(f"{len(plans)} cases, ~{total:,.0f} counted calls, {workers} worker(s)", file=sys.stderr)
    start = time.perf_counter()
    results = run_all(plans, args.seed, workers)
    elapsed = time.perf_counter() - start
    rows = [
        row for p, (res, reps) in zip(plans, results, strict=True) for row in rows_for(p, res, reps)
    ]
    finite = finite_rows(args.replications * 2, args.seed, workers)
    elapsed = time.perf_counter() - start
    shown_args = " ".join(sys.argv[1:] if argv is None else argv)
    command = f"python benchmarks/validate.py {shown_args}".strip()
    blending = blending_rows(args.replications * 2, args.seed, workers)
    predictive = predictive_rows(args.replications * 2, args.seed, workers)
    elapsed = time.perf_counter() - start
    text = render(rows, plans, command=command, seed=args.seed, elapsed_s=elapsed, finite=finite)
    text += "\n".join(blending_section(blending, args.replications * 2, args.seed, _table)) + "\n"
    text += (
        "\n".join(predictive_section(predictive, args.replications * 2, args.seed, _table)) + "\n"
    )
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    inside = sum(r["inside"] for r in rows)
    print(text)
    print(f"wrote {args.output} ({inside}/{len(rows)} inside, {elapsed:.0f} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
