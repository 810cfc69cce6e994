"""Optimizer benchmarks: optimality against enumeration, cost against the standard practice,
run time. Run from the repository root::

    .venv/bin/python benchmarks/optimizer.py                 # all three parts (~5-10 min)
    .venv/bin/python benchmarks/optimizer.py --part 1        # optimality only
    .venv/bin/python benchmarks/optimizer.py --part 2 --telecom   # also the 5-day telecom case

1. **Optimality.** Six small instances (one or two 60-minute intervals, two agent groups,
   headcounts within a box of at most 0..25). Every plan in the box is simulated on the
   *same* seeds and replications as the search, in increasing order of cost; the first one
   meeting every target (the search's rule: mean moved ``margin`` CI half-widths) is the
   cheapest feasible plan. The optimizer must find a plan of that cost.
2. **Against the standard practice** (Erlang C per interval with shrinkage, rounded up, each
   channel staffed by its home group; :mod:`optimizer.baseline`) on
   ``scenarios/default.yaml`` (and ``telecom.yaml`` with ``--telecom``): the cost of each
   plan and whether it meets every target when simulated on fresh seeds (seeds neither
   the search nor the verification used), judged on the mean over the replications.
3. **Run time** of ``optimize`` on the default scenario (one day, 30-minute intervals), with
   the evaluations used. The machine's load average is printed beside it: on a shared
   2-core machine every simulation is slower.
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from optimizer import baseline, optimize
from optimizer.evaluators import SimulationEvaluator
from optimizer.problem import Problem
from optimizer.search import judge
from simulator.plan import Plan
from simulator.scenario import Scenario
from simulator.targets import scenario_targets

ROOT = Path(__file__).resolve().parents[1]


# --------------------------------------------------------------------------------------
# Part 1: optimality
# --------------------------------------------------------------------------------------
def small_instance(
    name: str,
    volumes: tuple[list[float], list[float]],
    box: tuple[tuple[int, int], tuple[int, int]],
    *,
    costs: tuple[float, float] = (24.0, 30.0),
    scope: str = "per_interval",
    seed: int = 4242,
    replications: int = 10,
) -> Scenario:
    """General calls (generalists, or specialists when free) and card calls (specialists),
    exponential handle times and patience, 60-minute intervals, headcounts in ``box``."""
    n = len(volumes[0])

    def channel(vols: list[float], aht: float, within: float, abandon: float | None) -> dict:
        targets: dict[str, Any] = {"service_level": 0.8, "within_seconds": within, "scope": scope}
        if abandon is not None:
            targets["max_abandon_rate"] = abandon
        return {
            "kind": "call",
            "arrivals": {"volumes": vols},
            "handle_time": {"distribution": "exponential", "mean_seconds": aht},
            "patience": {"distribution": "exponential", "mean_seconds": 300},
            "targets": targets,
        }

    return Scenario.from_dict(
        {
            "name": name,
            "horizon": {
                "days": 1,
                "interval_minutes": 60,
                "open": "09:00",
                "close": f"{9 + n:02d}:00",
            },
            "channels": {
                "general": channel(volumes[0], 240, 20, 0.05),
                "cards": channel(volumes[1], 300, 30, None),
            },
            "agent_groups": {
                "generalists": {
                    "cost_per_hour": costs[0],
                    "skills": ["general"],
                    "staffing": [box[0][0]] * n,
                    "min_headcount": box[0][0],
                    "max_headcount": box[0][1],
                },
                "card_specialists": {
                    "cost_per_hour": costs[1],
                    "skills": {
                        "cards": {"handle_time_factor": 0.9},
                        "general": {"handle_time_factor": 1.1},
                    },
                    "staffing": [box[1][0]] * n,
                    "min_headcount": box[1][0],
                    "max_headcount": box[1][1],
                },
            },
            "routing": {"priorities": {"cards": 1, "general": 2}},
            "run": {"replications": replications, "seed": seed},
        }
    )


INSTANCES = [
    ("1 interval, 100+30 calls", ([100], [30]), ((0, 25), (0, 25)), {}),
    ("1 interval, 160+50 calls", ([160], [50]), ((0, 25), (0, 25)), {}),
    ("1 interval, cheap specialists", ([120], [40]), ((0, 25), (0, 25)), {"costs": (24.0, 25.0)}),
    ("2 intervals, per interval", ([70, 110], [20, 35]), ((3, 10), (2, 9)), {}),
    (
        "2 intervals, over the horizon",
        ([70, 110], [20, 35]),
        ((3, 10), (2, 9)),
        {"scope": "overall"},
    ),
    ("2 intervals, other seed", ([90, 60], [30, 25]), ((2, 9), (2, 9)), {"seed": 77}),
]


def enumerate_cheapest(scenario: Scenario, margin: float) -> tuple[float, np.ndarray | None, int]:
    """Cheapest plan in the headcount box meeting every target on the search seeds, by
    simulating plans in increasing order of cost. Returns (cost, plan, plans simulated)."""
    p = Problem.from_scenario(scenario)
    targets = scenario_targets(scenario)
    evaluator = SimulationEvaluator(p, scenario.run.replications, scenario.run.seed)
    ranges = [range(int(p.lower[g, 0]), int(p.upper[g, 0]) + 1) for g in range(p.n_groups)]
    columns = list(itertools.product(*ranges))
    plans = [np.array(combo).T for combo in itertools.product(columns, repeat=p.n_intervals)]
    plans.sort(key=p.cost)
    for plan in plans:
        evaluation = evaluator.evaluate(Plan(p.groups, plan))
        if judge(evaluation, targets, margin)[0]:
            return p.cost(plan), plan, evaluator.evaluations
    return float("inf"), None, evaluator.evaluations


def part_optimality(margin: float) -> bool:
    print("## 1. Optimality against enumeration (same seeds, same replications)\n")
    print(f"search rule: mean moved {margin:g} CI half-widths; 10 replications per plan\n")
    print(
        "| instance | box | enumerated optimum | plans simulated | optimizer (search) | "
        "optimizer evaluations | found | verified on fresh seeds |"
    )
    print("|---|---|---|---|---|---|---|---|")
    all_found = True
    for name, volumes, box, extra in INSTANCES:
        scenario = small_instance(name, volumes, box, **extra)
        t0 = time.perf_counter()
        best_cost, plan, simulated = enumerate_cheapest(scenario, margin)
        t_enum = time.perf_counter() - t0
        result = optimize(scenario, margin=margin, time_limit_seconds=120)
        search_costs = [
            h["cost"]
            for h in result.history
            if h["feasible"] and h["phase"] in ("refine", "polish", "shifts")
        ]
        search_best = min(search_costs) if search_costs else float("inf")
        found = abs(search_best - best_cost) < 1e-6
        all_found &= found
        search_evals = sum(1 for h in result.history if h["phase"] in ("refine", "polish"))
        print(
            f"| {name} | {box[0][0]}-{box[0][1]} x {box[1][0]}-{box[1][1]} | {best_cost:,.0f} "
            f"({_plan_text(plan)}) | {simulated} ({t_enum:.0f} s) | {search_best:,.0f} "
            f"({_plan_text(result.plan.staffing)}) | {search_evals} ({result.run_time_s:.1f} s) "
            f"| {'yes' if found else 'NO'} | {result.status}, cost {result.cost:,.0f} |"
        )
        sys.stdout.flush()
    print()
    return all_found


def _plan_text(plan: np.ndarray | None) -> str:
    if plan is None:
        return "none"
    x = np.rint(np.asarray(plan)).astype(int)
    return " / ".join(",".join(str(v) for v in col) for col in x.T)


# --------------------------------------------------------------------------------------
# Part 2 and 3: against the standard practice, run time
# --------------------------------------------------------------------------------------
def fresh_check(scenario: Scenario, plan: Plan, seeds: list[int], replications: int) -> dict:
    """Simulate ``plan`` on each fresh seed; every target judged on the mean (margin 0)."""
    p = Problem.from_scenario(scenario)
    targets = scenario_targets(scenario)
    evaluator = SimulationEvaluator(p, replications, seeds[0])
    met_all = True
    worst: dict[str, float] = {}
    for seed in seeds:
        evaluation = evaluator.evaluate(plan, seed=seed)
        ok, _ = judge(evaluation, targets, 0.0)
        met_all &= ok
        for t in targets:
            if t.scope == "overall":
                value = evaluation.overall.get((t.entity, t.kpi), (float("nan"), 0))[0]
                key = f"{t.entity} {t.kpi}"
                worse = min if t.sense == ">=" else max
                worst[key] = worse(worst.get(key, value), value)
    return {"met": met_all, "worst": worst}


def part_practice(paths: list[Path], time_limit: float, workers: int) -> None:
    print("## 2. Against the standard two-step practice (fresh seeds)\n")
    fresh = [900_001, 900_002, 900_003]
    for path in paths:
        scenario = Scenario.from_yaml(path)
        load = os.getloadavg()[0]
        result = optimize(scenario, time_limit_seconds=time_limit, workers=workers)
        base = baseline(scenario)
        reps = 2 * scenario.run.replications
        ours = fresh_check(scenario, result.plan, fresh, reps)
        theirs = fresh_check(scenario, base.plan, fresh, reps)
        saving = (base.cost(scenario) - result.cost) / base.cost(scenario)
        print(f"### {path.name}: {scenario.name}\n")
        print(
            f"fresh seeds {fresh}, {reps} replications each; a plan meets the targets when "
            "the mean meets every target on every one of them.\n"
        )
        print("| plan | cost | meets every target on fresh seeds | worst mean per target |")
        print("|---|---|---|---|")
        for label, cost, check in (
            ("optimizer", result.cost, ours),
            ("two-step practice", base.cost(scenario), theirs),
        ):
            worst = "; ".join(f"{k} {v:.3f}" for k, v in check["worst"].items())
            print(f"| {label} | {cost:,.0f} | {'yes' if check['met'] else 'NO'} | {worst} |")
        verdict = "cheaper" if saving > 0 else "dearer"
        print(
            f"\noptimizer {verdict} by {abs(saving):.1%} "
            f"(the practice {'meets every target' if theirs['met'] else 'misses a target'}); "
            f"optimizer status {result.status}, {result.evaluations} evaluations, "
            f"{result.run_time_s:.1f} s (time limit {time_limit:g} s, {workers} worker(s), "
            f"load average at start {load:.1f} on {os.cpu_count()} cores)\n"
        )
        if path.name == "default.yaml":
            print("## 3. Run time (default scenario)\n")
            print(
                f"{result.run_time_s:.1f} s wall, {result.evaluations} simulation "
                f"evaluations ({result.replications} replications), goal < 60 s; load "
                f"average {load:.1f} at start, {os.getloadavg()[0]:.1f} at the end "
                f"(2 cores, shared).\n"
            )
        sys.stdout.flush()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--part", type=int, choices=(1, 2), help="run only this part")
    parser.add_argument("--telecom", action="store_true", help="also the 5-day telecom case")
    parser.add_argument("--margin", type=float, default=1.0)
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(argv)
    ok = True
    if args.part in (None, 1):
        ok = part_optimality(args.margin)
    if args.part in (None, 2):
        paths = [ROOT / "scenarios" / "default.yaml"]
        if args.telecom:
            paths.append(ROOT / "scenarios" / "telecom.yaml")
        part_practice(paths, args.time_limit, args.workers)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
