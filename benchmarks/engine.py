"""Engine speed and accuracy, side by side with Ciw on the identical queue, in one process.

Two models, each simulated for the same horizon by both engines:

* **M/M/c**: Poisson arrivals at 1 call/s, exponential handle time with mean 9 s, 10 agents
  (9 Erlangs, load 0.9 per agent); exact values from Erlang C.
* **M/M/c+M**: the same with exponential patience of mean 60 s; exact values from Erlang A.

staffsim runs the scenario through the public ``simulate`` call (compile, one replication
with the full model: skills routing, per-interval statistics, named random streams, then
aggregation into result tables); Ciw builds its network, simulates until the same end time
and its records are reduced to the same KPIs. Both timings include everything needed to get
the KPIs from the model description. The engines alternate (``--repeats`` runs each, seeds
1, 2, ...) and the median calls per wall-second is reported, with calls per CPU-second of
this process beside it (robust to other load on the machine). The KPIs are pooled over the
repeats and compared with the exact values (relative error = simulated / exact − 1).
Neither engine discards a warm-up: both start empty and the start-up transient (minutes)
is negligible against the horizon (days).

Then the peak resident memory of staffsim for one day (~86,400 calls), ~200,000 and
~2,000,000 calls, each in a fresh subprocess, to show that memory does not grow with the
number of calls.

Usage::

    .venv/bin/python benchmarks/engine.py                 # ~200,000 calls per run
    .venv/bin/python benchmarks/engine.py --calls 50000 --repeats 1 --no-memory   # quick
    .venv/bin/python benchmarks/engine.py --profile       # also profile run_replication

Ciw is a benchmark-only peer (``pip install -e .[bench]``); the package never imports it.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._scenarios import SECONDS_PER_DAY, QueueCase
from simulator.engine import run_replication
from simulator.model import compile_scenario
from simulator.runner import simulate

ARRIVALS_PER_S = 1.0
AHT_S = 9.0
AGENTS = 10
PATIENCE_S = 60.0
GOALS = {"M/M/c": 3.0, "M/M/c+M": 2.5}  # required speed-up over Ciw (calls per second)


@dataclass(frozen=True)
class Tally:
    """Raw counts of one run, poolable over runs (times in seconds)."""

    arrivals: int  # every call that arrived in the horizon (for calls per second)
    offered: int  # calls with an outcome (answered or abandoned)
    answered: int
    waited: int  # calls that did not reach an agent at once (abandoned ones included)
    abandoned: int
    wait_sum_answered_s: float

    def __add__(self, other: Tally) -> Tally:
        return Tally(*(a + b for a, b in zip(self.as_tuple(), other.as_tuple(), strict=True)))

    def as_tuple(self) -> tuple[float, ...]:
        return (
            self.arrivals,
            self.offered,
            self.answered,
            self.waited,
            self.abandoned,
            self.wait_sum_answered_s,
        )

    def kpis(self) -> dict[str, float]:
        return {
            "p_wait": self.waited / self.offered,
            "asa_s": self.wait_sum_answered_s / self.answered,
            "p_abandon": self.abandoned / self.offered,
        }


def make_case(patience: bool) -> QueueCase:
    return QueueCase(
        label="M/M/c+M" if patience else "M/M/c",
        rate_per_hour=ARRIVALS_PER_S * 3600,
        aht_s=AHT_S,
        agents=AGENTS,
        patience_s=PATIENCE_S if patience else None,
    )


# --------------------------------------------------------------------------------------
# staffsim
# --------------------------------------------------------------------------------------
def run_staffsim(case: QueueCase, days: int, seed: int) -> Tally:
    """One replication through the public API; KPIs read back from the result tables."""
    scenario = case.scenario(days=days, warmup_minutes=0, seed=seed)
    result = simulate(scenario, replications=1, seed=seed)
    offered = result.kpi("calls", "offered")
    answered = result.kpi("calls", "answered")
    abandoned = result.kpi("calls", "abandoned")
    immediate = int(result.wait_histograms["calls"][0])  # answered with a wait of exactly 0
    return Tally(
        arrivals=int(offered),
        offered=int(answered + abandoned),
        answered=int(answered),
        waited=int(answered + abandoned) - immediate,
        abandoned=int(abandoned),
        wait_sum_answered_s=result.kpi("calls", "asa_s") * answered,
    )


# --------------------------------------------------------------------------------------
# Ciw
# --------------------------------------------------------------------------------------
def run_ciw(case: QueueCase, days: int, seed: int) -> Tally:
    """The same queue in Ciw 3 (rates per second), simulated to the same end time."""
    import ciw

    ciw.seed(seed)
    kwargs = {}
    if case.patience_s is not None:
        kwargs["reneging_time_distributions"] = [ciw.dists.Exponential(1 / case.patience_s)]
    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(case.rate_per_hour / 3600)],
        service_distributions=[ciw.dists.Exponential(1 / case.aht_s)],
        number_of_servers=[case.agents],
        **kwargs,
    )
    sim = ciw.Simulation(network)
    sim.simulate_until_max_time(days * SECONDS_PER_DAY)
    records = sim.get_all_records(only=["service", "renege"])
    served = [r for r in records if r.record_type == "service"]
    abandoned = len(records) - len(served)
    arrivals = sim.nodes[0].number_of_individuals  # every individual created
    return Tally(
        arrivals=arrivals,
        offered=len(records),
        answered=len(served),
        waited=sum(1 for r in records if r.waiting_time > 0),
        abandoned=abandoned,
        wait_sum_answered_s=sum(r.waiting_time for r in served),
    )


# --------------------------------------------------------------------------------------
# measurement
# --------------------------------------------------------------------------------------
@dataclass
class Measured:
    engine: str
    times_s: list[float]  # wall-clock
    cpu_s: list[float]  # this process's CPU time (robust to other load on the machine)
    calls: list[int]
    pooled: Tally | None

    @property
    def median_rate(self) -> float:
        """Median over runs of calls per wall-second."""
        return statistics.median(c / t for c, t in zip(self.calls, self.times_s, strict=True))

    @property
    def median_cpu_rate(self) -> float:
        """Median over runs of calls per CPU-second."""
        return statistics.median(c / t for c, t in zip(self.calls, self.cpu_s, strict=True))


def measure(case: QueueCase, days: int, repeats: int) -> tuple[Measured, Measured]:
    """Run both engines ``repeats`` times, alternating (staffsim, Ciw, staffsim, ...) so that
    a change in machine load hits both alike."""
    runners: dict[str, Callable[[QueueCase, int, int], Tally]] = {
        "staffsim": run_staffsim,
        "ciw": run_ciw,
    }
    measured = {name: Measured(name, [], [], [], None) for name in runners}
    for seed in range(1, repeats + 1):
        for name, runner in runners.items():
            start, start_cpu = time.perf_counter(), time.process_time()
            tally = runner(case, days, seed)
            elapsed = time.perf_counter() - start
            m = measured[name]
            m.times_s.append(elapsed)
            m.cpu_s.append(time.process_time() - start_cpu)
            m.calls.append(tally.arrivals)
            m.pooled = tally if m.pooled is None else m.pooled + tally
            print(
                f"  {name:8s} run {seed}: {tally.arrivals:>9,} calls in {elapsed:7.2f} s "
                f"= {tally.arrivals / elapsed:>9,.0f} calls/s (CPU {m.cpu_s[-1]:6.2f} s)",
                flush=True,
            )
    return measured["staffsim"], measured["ciw"]


def compare(case: QueueCase, days: int, repeats: int) -> float:
    """Time both engines on ``case``; print rates and relative errors; return the speed-up."""
    exact = case.exact()
    exact_values = {
        "p_wait": float(exact.p_wait),
        "asa_s": float(exact.asa_s),
        "p_abandon": float(exact.p_abandon),
    }
    formula = "Erlang A" if case.patience_s is not None else "Erlang C"
    print(
        f"\n{case.label}: {ARRIVALS_PER_S:g} call/s, exponential handle time mean {AHT_S:g} s, "
        f"{AGENTS} agents"
        + (f", exponential patience mean {PATIENCE_S:g} s" if case.patience_s else "")
        + f"; {days} days = {days * SECONDS_PER_DAY:,} s simulated per run",
        flush=True,
    )
    ours, peer = measure(case, days, repeats)
    kpis = ["p_wait", "asa_s"] + (["p_abandon"] if case.patience_s is not None else [])
    print(f"  {'':8s} {'calls/s (median)':>17s}  " + "  ".join(f"{k:>24s}" for k in kpis))
    print(f"  {'exact':8s} {formula:>17s}  " + "  ".join(f"{exact_values[k]:>24.5f}" for k in kpis))
    for m in (ours, peer):
        assert m.pooled is not None
        values = m.pooled.kpis()
        cells = [f"{values[k]:>10.5f} ({values[k] / exact_values[k] - 1:+7.2%} err)" for k in kpis]
        print(f"  {m.engine:8s} {m.median_rate:>17,.0f}  " + "  ".join(f"{c:>24s}" for c in cells))
    ratio = ours.median_rate / peer.median_rate
    cpu_ratio = ours.median_cpu_rate / peer.median_cpu_rate
    goal = GOALS[case.label]
    verdict = "meets" if ratio >= goal else "MISSES"
    print(
        f"  speed-up staffsim / ciw: {ratio:.2f}x in wall time ({verdict} the goal of {goal:g}x); "
        f"{cpu_ratio:.2f}x in CPU time ({ours.median_cpu_rate:,.0f} vs "
        f"{peer.median_cpu_rate:,.0f} calls per CPU-second)"
    )
    assert ours.pooled is not None and peer.pooled is not None
    print(
        f"  (KPIs pooled over {repeats} runs: {ours.pooled.offered:,} staffsim calls, "
        f"{peer.pooled.offered:,} ciw calls)"
    )
    return ratio


# --------------------------------------------------------------------------------------
# memory (fresh subprocesses)
# --------------------------------------------------------------------------------------
def _status_kib(field: str) -> int | None:
    """A ``VmRSS``/``VmHWM`` line of /proc/self/status in KiB (None off Linux)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def _reset_peak() -> bool:
    """Reset the process's resident-set high-water mark (Linux >= 4.0: ``clear_refs`` 5)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def memory_child(days: int) -> None:
    """Run in a subprocess: simulate ``days`` days of the M/M/c case; print JSON with the
    resident set after imports and set-up and its peak during the replication (KiB).

    The peak is the kernel's per-process high-water mark ``VmHWM``, reset just before the
    run. (``ru_maxrss`` is not used: Linux carries it over from the parent across
    fork + exec, so a child of a big parent reports the parent's size.)"""
    case = make_case(patience=False)
    model = compile_scenario(case.scenario(days=days, warmup_minutes=0, seed=1))
    before = _status_kib("VmRSS")
    if before is None or not _reset_peak():
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        stats = run_replication(model, 1, 0)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    else:
        stats = run_replication(model, 1, 0)
        peak = _status_kib("VmHWM") or before
    calls = int(sum(stats.channels["calls"]["offered"]))
    print(json.dumps({"days": days, "calls": calls, "rss_before_kib": before, "peak_kib": peak}))


def memory_report(days_list: list[int]) -> None:
    print("\nPeak resident memory of one staffsim replication (fresh process each):")
    print(f"  {'calls':>11s} {'after set-up':>14s} {'peak in run':>12s} {'growth':>9s}")
    for days in days_list:
        out = subprocess.run(
            [sys.executable, __file__, "--memory-child", str(days)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        data = json.loads(out.strip().splitlines()[-1])
        before, peak = data["rss_before_kib"] / 1024, data["peak_kib"] / 1024
        print(
            f"  {data['calls']:>11,} {before:>10.1f} MiB {peak:>8.1f} MiB "
            f"{peak - before:>+6.1f} MiB",
            flush=True,
        )


# --------------------------------------------------------------------------------------
# multi-channel scenario (calls + chat + email + tier 2, FCR loop, shifts)
# --------------------------------------------------------------------------------------
TELECOM = Path(__file__).resolve().parent.parent / "scenarios" / "telecom.yaml"


def _telecom(scale: int):
    """scenarios/telecom.yaml with volumes and every shift's headcount times ``scale``
    (the same centre, ``scale`` times bigger: same load per agent, more contacts)."""
    from simulator.scenario import Scenario

    base = Scenario.from_yaml(TELECOM)
    changes: dict[str, object] = {
        f"channels.{name}.arrivals.scale": scale for name in base.channels
    }
    for gname, group in base.agent_groups.items():
        for i, shift in enumerate(group.shifts or ()):
            changes[f"agent_groups.{gname}.shifts.{i}.count"] = shift.count * scale
    return base.with_changes(changes)


def multichannel_child(scale: int) -> None:
    """Subprocess: one replication of the scaled telecom week; contacts, seconds, memory."""
    model = compile_scenario(_telecom(scale))
    before = _status_kib("VmRSS")
    reset = before is not None and _reset_peak()
    start = time.perf_counter()
    stats = run_replication(model, 1, 0)
    elapsed = time.perf_counter() - start
    peak = _status_kib("VmHWM") if reset else None
    contacts = int(sum(ch["offered"].sum() for ch in stats.channels.values()))
    print(json.dumps({"scale": scale, "contacts": contacts, "seconds": elapsed,
                      "rss_before_kib": before, "peak_kib": peak}))  # fmt: skip


def multichannel_report(repeats: int) -> None:
    print(
        "\nMulti-channel: scenarios/telecom.yaml (5 days; calls, chat k=3, email backlog, tier-2"
        "\nescalations, repeat contacts, shifts with breaks), one replication per fresh process;"
        "\nx10 = ten times the volume and the headcount:"
    )
    print(f"  {'size':>5s} {'contacts':>9s} {'contacts/s':>11s} {'after set-up':>13s} "
          f"{'peak in run':>12s} {'growth':>9s}")  # fmt: skip
    for scale in (1, 10):
        runs = []
        for _ in range(repeats if scale == 1 else 1):
            out = subprocess.run(
                [sys.executable, __file__, "--multichannel-child", str(scale)],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            runs.append(json.loads(out.strip().splitlines()[-1]))
        best = min(runs, key=lambda r: r["seconds"])
        before = (best["rss_before_kib"] or 0) / 1024
        peak = (best["peak_kib"] or 0) / 1024
        print(
            f"  {'x' + str(scale):>5s} {best['contacts']:>9,} "
            f"{best['contacts'] / best['seconds']:>11,.0f} {before:>9.1f} MiB {peak:>8.1f} MiB "
            f"{peak - before:>+6.1f} MiB",
            flush=True,
        )


# --------------------------------------------------------------------------------------
# profile
# --------------------------------------------------------------------------------------
def profile(case: QueueCase, days: int, top: int = 18) -> None:
    """cProfile of one ``run_replication`` (the engine alone), sorted by own time."""
    model = compile_scenario(case.scenario(days=days, warmup_minutes=0, seed=1))
    profiler = cProfile.Profile()
    profiler.enable()
    run_replication(model, 1, 0)
    profiler.disable()
    buffer = io.StringIO()
    pstats.Stats(profiler, stream=buffer).sort_stats("tottime").print_stats(top)
    print(f"\ncProfile of run_replication, {case.label}, {days} days (top {top} by own time):")
    lines = buffer.getvalue().splitlines()
    start = next((i for i, line in enumerate(lines) if "ncalls" in line), 0)
    print("\n".join(lines[max(start - 3, 0) :]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=200_000, help="calls per run (~)")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per engine")
    parser.add_argument("--no-memory", action="store_true", help="skip the memory runs")
    parser.add_argument("--profile", action="store_true", help="profile run_replication")
    parser.add_argument("--memory-child", type=int, metavar="DAYS", help=argparse.SUPPRESS)
    parser.add_argument("--multichannel-child", type=int, metavar="SCALE", help=argparse.SUPPRESS)
    parser.add_argument("--no-multichannel", action="store_true", help="skip telecom.yaml")
    args = parser.parse_args(argv)
    if args.memory_child is not None:
        memory_child(args.memory_child)
        return 0
    if args.multichannel_child is not None:
        multichannel_child(args.multichannel_child)
        return 0
    if args.calls < 1 or args.repeats < 1:
        parser.error("--calls and --repeats must be >= 1")

    import ciw

    per_day = ARRIVALS_PER_S * SECONDS_PER_DAY
    days = max(1, round(args.calls / per_day))
    print(
        f"staffsim engine benchmark  python {sys.version.split()[0]}  ciw {ciw.__version__}  "
        f"{time.strftime('%Y-%m-%d %H:%M')}"
    )
    print(f"timings: median of {args.repeats} runs (seeds 1..{args.repeats}) per engine")
    ratios = {}
    for patience in (False, True):
        case = make_case(patience)
        ratios[case.label] = compare(case, days, args.repeats)
    if not args.no_memory:
        memory_report([max(1, round(n / per_day)) for n in (per_day, 200_000, 2_000_000)])
    if not args.no_multichannel:
        multichannel_report(args.repeats)
    missed = [label for label, ratio in ratios.items() if ratio < GOALS[label]]
    if args.profile or missed:
        for label in missed or ["M/M/c"]:
            profile(make_case(label == "M/M/c+M"), days)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
