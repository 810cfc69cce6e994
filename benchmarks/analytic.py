"""Analytic staffing speed and agreement: staffsim vs pyworkforce on a week of 15-min intervals.

Run:  .venv/bin/python benchmarks/analytic.py      (needs ``pip install -e ".[bench]"``)

Both compute, for each of the 672 quarter-hours of a week with a realistic intraday and
weekly volume curve, the Erlang C agents needed for 80% answered within 20 s, at most 85%
occupancy, 30% shrinkage. staffsim does the whole week in one vectorised call; pyworkforce
(a benchmark peer only, never imported by the package) builds one ``ErlangC`` per interval.
pyworkforce has no Erlang A, so the Erlang A week is timed for staffsim alone.
Times are the best and the median of several repeats (time.perf_counter).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import numpy as np

from simulator.queueing.staffing import required_agents

INTERVAL_MIN = 15
SERVICE_LEVEL, WITHIN_S, MAX_OCCUPANCY, SHRINKAGE = 0.8, 20.0, 0.85, 0.3


def week_curve() -> tuple[np.ndarray, np.ndarray]:
    """Calls per quarter-hour and AHT (s) for Mon..Sun: a morning peak, a smaller afternoon
    peak, quiet nights (never zero: the centre is open 24/7), Monday busiest, weekend
    lighter; AHT a little longer in the evening."""
    hours = np.arange(96) / 4.0
    intraday = (
        0.03
        + np.exp(-0.5 * ((hours - 10.5) / 1.6) ** 2)
        + 0.7 * np.exp(-0.5 * ((hours - 14.5) / 2.0) ** 2)
        + 0.25 * np.exp(-0.5 * ((hours - 19.5) / 1.5) ** 2)
    )
    day_factor = np.array([1.25, 1.1, 1.0, 1.0, 0.95, 0.55, 0.4])
    calls = np.concatenate([300.0 * f * intraday for f in day_factor])
    calls = np.maximum(np.round(calls, 1), 2.0)
    aht_day = 240.0 + 40.0 * np.clip((hours - 17.0) / 5.0, 0.0, 1.0)
    aht = np.tile(aht_day, 7)
    return calls, aht


def timed(fn: Callable[[], object], repeats: int) -> tuple[object, float, float]:
    times = []
    result: object = None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return result, min(times), statistics.median(times)


def staffsim_week(calls: np.ndarray, aht: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    req = required_agents(
        calls * 60.0 / INTERVAL_MIN,
        aht,
        service_level=SERVICE_LEVEL,
        within_s=WITHIN_S,
        max_occupancy=MAX_OCCUPANCY,
        shrinkage=SHRINKAGE,
    )
    return np.asarray(req.raw_agents), np.asarray(req.scheduled_agents)


def pyworkforce_week(calls: np.ndarray, aht: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    from pyworkforce.queuing import ErlangC  # peer, benchmark only

    raw, scheduled = [], []
    for volume, handle_s in zip(calls, aht, strict=True):
        erlang = ErlangC(
            transactions=float(volume),
            aht=handle_s / 60.0,  # pyworkforce works in minutes
            asa=WITHIN_S / 60.0,  # its "asa" is the service level's T
            interval=INTERVAL_MIN,
            shrinkage=SHRINKAGE,
        )
        out = erlang.required_positions(service_level=SERVICE_LEVEL, max_occupancy=MAX_OCCUPANCY)
        raw.append(out["raw_positions"])
        scheduled.append(out["positions"])
    return np.array(raw), np.array(scheduled)


def _cause(ours: int, theirs: int) -> str:
    """Why pyworkforce's scheduled count differs from ours for the same raw agents."""
    raw = round(ours * (1 - SHRINKAGE))
    for r in range(raw - 2, raw + 3):
        if np.ceil(r / (1 - SHRINKAGE) - 1e-9) == ours and np.ceil(r / (1 - SHRINKAGE)) == theirs:
            return (
                f"raw {r} / (1 - {SHRINKAGE:g}) = {r / (1 - SHRINKAGE)!r}: pyworkforce's ceil() "
                "rounds binary floating-point noise up"
            )
    return "search difference"


def explain(calls: np.ndarray, aht: np.ndarray, ours: np.ndarray, theirs: np.ndarray) -> None:
    """Say why answers differ: every cause counted, the first few intervals shown."""
    differ = np.flatnonzero(ours != theirs)
    causes = [_cause(int(ours[i]), int(theirs[i])) for i in differ]
    for i, cause in list(zip(differ, causes, strict=True))[:4]:
        load = calls[i] * aht[i] / (INTERVAL_MIN * 60.0)
        print(f"    interval {i}: load {load:.2f} Erl, staffsim {ours[i]}, pyworkforce "
              f"{theirs[i]}: {cause}")  # fmt: skip
    noise = sum("noise" in c for c in causes)
    print(f"    {noise} of {differ.size} differences are that rounding artefact")


def main() -> None:
    calls, aht = week_curve()
    rate = calls * 60.0 / INTERVAL_MIN
    load = calls * aht / (INTERVAL_MIN * 60.0)
    print(
        f"week: {calls.size} intervals of {INTERVAL_MIN} min, {calls.sum():,.0f} calls, "
        f"load {load.min():.2f}-{load.max():.1f} Erlangs; target {SERVICE_LEVEL:.0%} in "
        f"{WITHIN_S:g} s, occupancy <= {MAX_OCCUPANCY:.0%}, shrinkage {SHRINKAGE:.0%}"
    )
    (ours_raw, ours_sched), best_ours, med_ours = timed(lambda: staffsim_week(calls, aht), 30)
    (peer_raw, peer_sched), best_peer, med_peer = timed(lambda: pyworkforce_week(calls, aht), 5)
    print(f"staffsim Erlang C (one vectorised call): best {best_ours * 1e3:8.2f} ms, "
          f"median {med_ours * 1e3:8.2f} ms")  # fmt: skip
    print(f"pyworkforce ErlangC (one per interval): best {best_peer * 1e3:8.2f} ms, "
          f"median {med_peer * 1e3:8.2f} ms")  # fmt: skip
    print(f"speed-up: {best_peer / best_ours:.0f}x (best), {med_peer / med_ours:.0f}x (median)")
    raw_differ = int(np.sum(ours_raw != peer_raw))
    sched_differ = int(np.sum(ours_sched != peer_sched))
    print(f"agreement: raw agents differ in {raw_differ} of {calls.size} intervals; "
          f"scheduled agents differ in {sched_differ}")  # fmt: skip
    if raw_differ:
        print("  raw differences:")
        explain(calls, aht, ours_raw, peer_raw)
    if sched_differ:
        print("  scheduled differences:")
        explain(calls, aht, ours_sched, peer_sched)
    print(f"total scheduled agent-intervals: staffsim {ours_sched.sum()}, "
          f"pyworkforce {peer_sched.sum()}")  # fmt: skip

    def erlang_a_week() -> object:
        return required_agents(
            rate, aht, service_level=SERVICE_LEVEL, within_s=WITHIN_S, max_abandon_rate=0.05,
            max_asa_s=30.0, patience_s=180.0, max_occupancy=MAX_OCCUPANCY, shrinkage=SHRINKAGE,
        )  # fmt: skip

    req, best_a, med_a = timed(erlang_a_week, 10)
    print(f"staffsim Erlang A (patience 180 s, abandon <= 5%, ASA <= 30 s; no peer): "
          f"best {best_a * 1e3:.2f} ms, median {med_a * 1e3:.2f} ms, "
          f"{int(np.sum(req.scheduled_agents))} scheduled agent-intervals")  # type: ignore[attr-defined]  # fmt: skip


if __name__ == "__main__":
    main()
