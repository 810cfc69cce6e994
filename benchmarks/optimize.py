"""Optimizer benchmarks, everything side by side in one run. From the repository root::

    .venv/bin/python benchmarks/optimize.py                  # all parts (about 20 min)
    .venv/bin/python benchmarks/optimize.py --part small     # shift optimality only
    .venv/bin/python benchmarks/optimize.py --part telecom --part week
    .venv/bin/python benchmarks/optimize.py --part default --previous /tmp/staffsim-old

Parts:

* ``small`` — **optimality on shift plans.** Small shift instances (one to two groups, a
  handful of shift patterns) where every combination of shift counts can be simulated on the
  search's own seeds and replications: taken in increasing order of cost, the first that
  meets every target at the search margin is the optimum. The optimizer must find a plan of
  that cost.
* ``default`` — ``scenarios/default.yaml`` (per-interval staffing): cost, run time and
  simulations; with ``--previous DIR`` (a checkout of an earlier staffsim, e.g. ``git worktree
  add /tmp/staffsim-old <commit>``), that version's ``staffsim optimize`` runs on the same
  machine in the same run, for a side-by-side cost and time.
* ``telecom`` — ``scenarios/telecom.yaml`` with its shift types: our shift plan, the
  per-interval plan of the same run (a lower bound: agents free to change every interval),
  and the two-step practice with the same shift types (Erlang C per interval and home group,
  the shift program, then agents added until the simulation meets every target:
  :func:`optimizer.baseline_until_feasible`).
* ``week`` — ``scenarios/week.yaml`` (7 days, 15-minute intervals, weekly shift rules): run
  time, cost, gap to the per-interval plan, every interval above its floor.

Every plan reported is judged on 3 fresh seeds (never used by any search) x 40 replications,
each target on the mean (margin 0), per-interval floors included. The machine's load is
printed: on a shared 2-core machine every simulation is slower.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from optimizer import baseline_until_feasible, optimize
from optimizer.evaluators import SimulationEvaluator
from optimizer.patterns import build_decisions
from optimizer.problem import Problem
from optimizer.result import bound_text
from optimizer.search import judge
from simulator.plan import Plan
from simulator.runner import simulate
from simulator.scenario import Scenario
from simulator.targets import check_table, scenario_targets

ROOT = Path(__file__).resolve().parents[1]
FRESH = (900_001, 900_002, 900_003)
FRESH_REPS = 40


def fresh_check(scenario: Scenario, plan: Plan) -> dict[str, Any]:
    """``plan`` on each fresh seed, 40 replications: met on all (margin 0), the worst mean
    per horizon target, and the intervals below a floor."""
    staffed = plan.apply(scenario)
    targets = scenario_targets(scenario)
    met, worst, below = True, {}, 0
    for seed in FRESH:
        result = simulate(staffed, FRESH_REPS, seed, workers=0)
        table = check_table(result.kpi_summary, targets, margin=0.0)
        met &= bool(table["met"].all())
        floors = table[table["field"].str.endswith("min_interval_service_level")]
        below += int((~floors["met"]).sum())
        for _, r in table[table["scope"] == "overall"].iterrows():
            key = f"{r['entity']} {r['kpi']}"
            pick = min if r["sense"] == ">=" else max
            worst[key] = pick(worst.get(key, r["mean"]), r["mean"])
    return {"met": met, "worst": worst, "below_floor": below}


def _worst_text(worst: dict[str, float]) -> str:
    return "; ".join(
        f"{k} {v:.1f} s" if k.endswith("asa_s") else f"{k} {v:.1%}" for k, v in worst.items()
    )


def _load() -> str:
    return f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"


# --------------------------------------------------------------------------------------
# small shift instances: enumeration
# --------------------------------------------------------------------------------------
def small_instance(name: str, *, two_groups: bool, volumes: list[float], seed: int) -> Scenario:
    """09:00-13:00 in 60-minute intervals; 4-hour shifts from 09:00 and 2-hour shifts from
    09:00, 10:00 or 11:00; one group (or generalists and card specialists with two call
    types); service level 80/20 and abandonment <= 5% in every interval."""

    def channel(vols: list[float], aht: float) -> dict[str, Any]:
        return {
            "arrivals": {"volumes": vols},
            "handle_time": {"distribution": "exponential", "mean_seconds": aht},
            "patience": {"distribution": "exponential", "mean_seconds": 300},
            "targets": {
                "service_level": 0.8,
                "within_seconds": 20,
                "max_abandon_rate": 0.05,
                "scope": "per_interval",
            },
        }

    channels = {"general": channel(volumes, 240)}
    groups: dict[str, Any] = {
        "generalists": {"cost_per_hour": 24, "skills": ["general"], "staffing": 1}
    }
    if two_groups:
        channels["cards"] = channel([v / 3 for v in volumes], 300)
        groups["card_specialists"] = {
            "cost_per_hour": 30,
            "skills": {"cards": {"handle_time_factor": 0.9}, "general": {}},
            "staffing": 1,
        }
    return Scenario.from_dict(
        {
            "name": name,
            "horizon": {"days": 1, "interval_minutes": 60, "open": "09:00", "close": "13:00"},
            "channels": channels,
            "agent_groups": groups,
            "routing": {"priorities": {"cards": 1, "general": 2}} if two_groups else {},
            "shift_types": [
                {"name": "4h", "hours": 4, "earliest_start": "09:00"},
                {
                    "name": "2h",
                    "hours": 2,
                    "earliest_start": "09:00",
                    "latest_start": "11:00",
                    "start_step_minutes": 60,
                    **({"groups": ["generalists"]} if two_groups else {}),
                },
            ],
            "run": {"replications": 10, "seed": seed},
        }
    )


SMALL = [
    ("one group, peak at 11:00", False, [60, 110, 120, 70], 11),
    ("one group, early peak", False, [130, 100, 60, 40], 12),
    ("two groups, two call types", True, [70, 110, 100, 60], 13),
    ("one group, two peaks", False, [120, 60, 70, 130], 14),
]


def enumerate_shifts(scenario: Scenario, margin: float) -> tuple[float, np.ndarray, int]:
    """Every combination of shift counts (each 0..10) in increasing order of cost,
    simulated on the search seeds until one meets every target at ``margin``. Combinations
    that put fewer agents on duty than the offered load in some interval (they cannot keep
    abandonment down) are skipped without simulating."""
    p = Problem.from_scenario(scenario)
    d = build_decisions(p, "auto")
    targets = scenario_targets(scenario)
    load = (p.rate_per_hour * p.aht_s[:, None] / 3600).sum(axis=0)  # Erlangs per interval
    combos = np.array(list(itertools.product(range(11), repeat=d.n)), dtype=float)
    cover = np.asarray(d.coverage.T @ np.eye(p.n_groups * p.n_intervals))  # (J, G*K)
    on_duty = (combos @ cover).reshape(len(combos), p.n_groups, p.n_intervals).sum(axis=1)
    combos = combos[(on_duty >= load[None, :]).all(axis=1)]
    cost = combos @ d.cost
    simulated = 0
    for i in np.argsort(cost, kind="stable"):
        result = simulate(
            d.plan_of(combos[i]).apply(scenario), scenario.run.replications, scenario.run.seed
        )
        simulated += 1
        if judge(result.kpi_summary, targets, margin)[0]:
            return float(cost[i]), combos[i], simulated
    return float("inf"), np.zeros(d.n), simulated


def part_small(margin: float) -> bool:
    print("## Shift plans against enumeration (same seeds, same replications)\n")
    print(f"search margin {margin:g} CI half-widths, 10 replications per plan, {_load()}\n")
    print(
        "| instance | patterns | enumerated optimum | plans simulated | optimizer | "
        "simulations | found |"
    )
    print("|---|---|---|---|---|---|---|")
    ok = True
    for name, two, volumes, seed in SMALL:
        scenario = small_instance(name, two_groups=two, volumes=volumes, seed=seed)
        t0 = time.perf_counter()
        best, x, simulated = enumerate_shifts(scenario, margin)
        t_enum = time.perf_counter() - t0
        result = optimize(scenario, margin=margin, replications=10, max_evaluations=40)
        found = result.feasible and abs(result.cost - best) < 1e-6
        ok &= found
        n_patterns = len(x)
        print(
            f"| {name} | {n_patterns} | {best:,.0f} | {simulated} ({t_enum:.0f} s) | "
            f"{result.cost:,.0f} ({result.status}) | "
            f"{result.settings['search_evaluations']} ({result.run_time_s:.1f} s) | "
            f"{'yes' if found else f'NO ({result.cost / best - 1:+.1%})'} |"
        )
        sys.stdout.flush()
    print()
    return ok


# --------------------------------------------------------------------------------------
# default, telecom, week
# --------------------------------------------------------------------------------------
def run_ours(path: Path) -> tuple[Scenario, Any, float]:
    scenario = Scenario.from_yaml(path)
    t0 = time.perf_counter()
    result = optimize(scenario)
    return scenario, result, time.perf_counter() - t0


def part_default(previous: Path | None) -> None:
    print("## `scenarios/default.yaml` (per-interval staffing)\n")
    path = ROOT / "scenarios" / "default.yaml"
    rows = []
    if previous is not None:
        t0 = time.perf_counter()
        out = subprocess.run(
            [
                str(previous / ".venv" / "bin" / "staffsim"),
                "optimize",
                str(path),
                "--time-limit",
                "60",
                "--format",
                "json",
            ],
            cwd=previous,
            capture_output=True,
            text=True,
            check=False,
        )
        wall = time.perf_counter() - t0
        data = json.loads(out.stdout)
        scenario = Scenario.from_yaml(path)
        staffing = np.array([data["staffing"][g] for g in scenario.agent_groups], dtype=float)
        plan = Plan(tuple(scenario.agent_groups), staffing)
        check = fresh_check(scenario, plan)
        rows.append(
            (
                "previous version (`--time-limit 60`)",
                data["cost"],
                data["status"],
                check,
                wall,
                data["evaluations"],
            )
        )
    scenario, result, wall = run_ours(path)
    check = fresh_check(scenario, result.plan)
    rows.append(
        ("this version (defaults)", result.cost, result.status, check, wall, result.evaluations)
    )
    print(
        "| optimizer | cost | status | meets every target on 3 fresh seeds x 40 | worst mean | "
        "run time | simulations |"
    )
    print("|---|---|---|---|---|---|---|")
    for label, cost, status, chk, secs, evals in rows:
        print(
            f"| {label} | {cost:,.0f} | {status} | {'yes' if chk['met'] else 'NO'} | "
            f"{_worst_text(chk['worst'])} | {secs:.1f} s | {evals} |"
        )
    print(f"\n{_load()} at the end\n")
    sys.stdout.flush()


def part_shifts(name: str, with_practice: bool) -> None:
    path = ROOT / "scenarios" / name
    print(f"## `scenarios/{name}` with its shift types\n")
    scenario, result, wall = run_ours(path)
    ours = fresh_check(scenario, result.plan)
    lb = result.lower_bound or {}
    rows = [
        (
            "optimizer: shift plan",
            result.cost,
            result.status,
            ours,
            f"{wall:.0f} s, {result.evaluations} simulations",
        )
    ]
    if lb:
        per_interval = Plan(tuple(scenario.agent_groups), np.array(lb["staffing"], dtype=float))
        rows.append(
            (
                "same run: per-interval plan (lower bound)"
                if lb.get("cheaper_found", True)
                else "same run: nearest cheaper per-interval plan (not a bound)",
                lb["cost"],
                "met" if lb["met"] else "missed",
                fresh_check(scenario, per_interval),
                f"{lb['evaluations']} simulations",
            )
        )
    practice = None
    if with_practice:
        p = Problem.from_scenario(scenario)
        evaluator = SimulationEvaluator(p, 20, scenario.run.seed)
        t0 = time.perf_counter()
        practice = baseline_until_feasible(scenario, evaluator, rounds=30, margin=1.5)
        secs = time.perf_counter() - t0
        rows.append(
            (
                "two-step practice, agents added until it works",
                practice.cost(scenario),
                f"{practice.rounds} rounds, {'met' if practice.met else 'missed'} on its seeds",
                fresh_check(scenario, practice.plan),
                f"{secs:.0f} s",
            )
        )
    print(
        "| plan | cost | status | meets every target on 3 fresh seeds x 40 | "
        "intervals below floor | worst mean per target | effort |"
    )
    print("|---|---|---|---|---|---|---|")
    for label, cost, status, chk, effort in rows:
        print(
            f"| {label} | {cost:,.0f} | {status} | {'yes' if chk['met'] else 'NO'} | "
            f"{chk['below_floor']} | {_worst_text(chk['worst'])} | {effort} |"
        )
    print()
    if lb and lb.get("cheaper_found", True):
        print(
            f"shift plan / per-interval plan = {result.cost / lb['cost']:.3f} "
            f"(gap {result.cost / lb['cost'] - 1:+.1%})"
        )
    elif lb:
        print(bound_text(lb))
    if practice is not None:
        saved = 1 - result.cost / practice.cost(scenario)
        print(f"saved against the two-step practice: {saved:.1%}")
    limited = result.settings.get("master_hit_limit")
    print(f"an integer program stopped at its node or time limit: {'yes' if limited else 'no'}")
    print(f"\nrun time {wall:.0f} s (search + verification + lower bound), {_load()} at the end\n")
    sys.stdout.flush()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--part", action="append", choices=("small", "default", "telecom", "week"))
    parser.add_argument("--margin", type=float, default=1.5)
    parser.add_argument(
        "--previous", type=Path, help="checkout of an earlier staffsim (with .venv)"
    )
    args = parser.parse_args(argv)
    parts = args.part or ["small", "default", "telecom", "week"]
    ok = True
    if "small" in parts:
        ok = part_small(args.margin)
    if "default" in parts:
        part_default(args.previous)
    if "telecom" in parts:
        part_shifts("telecom.yaml", with_practice=True)
    if "week" in parts:
        part_shifts("week.yaml", with_practice=False)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
