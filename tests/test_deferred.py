"""Deferred work (email): the fluid workload calculation, checked by hand and by an explicit
first-in first-out lot-by-lot loop."""

from __future__ import annotations

import numpy as np
import pytest

from simulator.errors import InputError
from simulator.queueing.deferred import deferred_profile, deferred_requirement

QUARTER = 15  # minutes
DAY = 96  # quarter-hours


def _office_hours(start_h: int = 8, end_h: int = 18, days: int = 1) -> np.ndarray:
    day = np.zeros(DAY, dtype=bool)
    day[start_h * 4 : end_h * 4] = True
    return np.tile(day, days)


def test_round_the_clock_mail_with_a_24h_promise_needs_the_workload() -> None:
    # 10 emails per quarter-hour around the clock, 6 min each: 96 agent-hours a day. Open
    # 8-18 at 90% occupancy: 9 productive hours per agent -> 96 / 9 = 10.67 agents, and a
    # 24 h promise binds nothing more (the oldest email, from 18:00, is answered next morning).
    req = deferred_requirement(
        np.full(DAY, 10.0), 360, interval_minutes=QUARTER, promise_hours=24,
        open_intervals=_office_hours(), max_occupancy=0.9, shrinkage=0.3,
    )  # fmt: skip
    assert req.agents == pytest.approx(96 / 9, rel=1e-8)
    assert req.raw_agents == 11
    assert req.scheduled_agents == 16  # ceil(11 / 0.7)
    assert req.scheduled_unrounded == pytest.approx(96 / 9 / 0.7, rel=1e-8)
    p = req.profile
    assert p.stable and p.share_within_promise == 1.0
    assert p.workload_hours == pytest.approx(96.0)
    assert p.capacity_hours == pytest.approx(11 * 9.0)
    assert 13.5 < p.max_delay_hours < 14.5  # 18:00 -> ~8:00
    assert p.arrivals.sum() == pytest.approx(960) and p.handled.sum() == pytest.approx(960)


def test_morning_burst_with_a_4h_promise() -> None:
    # 400 letters scanned in 8:00-8:15, 6 min each (40 agent-hours), promise 4 h (calendar):
    # the last one is due at 12:15, so 40 h of work in 4.25 h -> 9.41 agents (10 raw).
    volumes = np.zeros(DAY)
    volumes[32] = 400
    req = deferred_requirement(
        volumes, 360, interval_minutes=QUARTER, promise_hours=4, open_intervals=_office_hours()
    )
    assert req.agents == pytest.approx(40 / 4.25, rel=1e-8)
    assert req.raw_agents == 10
    assert req.profile.max_delay_hours <= 4.0 + 1e-9


def test_working_clock_counts_only_opening_hours() -> None:
    # 40 emails in 18:00-18:15 (4 agent-hours) with a 2 h promise: impossible on the calendar
    # clock (closed till 8:00); on the working clock 2 agents finish by 10:00.
    volumes = np.zeros(DAY)
    volumes[72] = 40
    kwargs = {"interval_minutes": QUARTER, "promise_hours": 2, "open_intervals": _office_hours()}
    with pytest.raises(InputError, match="promise_hours: work cannot be answered"):
        deferred_requirement(volumes, 360, **kwargs)
    req = deferred_requirement(volumes, 360, promise_clock="working", **kwargs)
    assert req.agents == pytest.approx(2.0, rel=1e-8)
    assert req.profile.max_delay_hours == pytest.approx(2.0)  # working hours: 8:00 -> 10:00
    # The same 40 emails in 17:45-18:00 are workable the same evening: 4 h of work in the
    # last quarter-hour needs 16 agents (the fluid model serves work as it arrives).
    volumes = np.roll(volumes, -1)
    assert deferred_requirement(volumes, 360, **kwargs).agents == pytest.approx(16.0, rel=1e-8)


def _fifo_lots(work_h: np.ndarray, capacity_h: np.ndarray, cycles: int) -> list[float]:
    """Explicit FIFO loop: each interval's work is one lot, served in order; returns the
    backlog (agent-hours) at each interval end of the last cycle."""
    queue: list[float] = []
    backlog: list[float] = []
    for _ in range(cycles):
        backlog = []
        for work, cap in zip(work_h, capacity_h, strict=True):
            queue.append(work)
            while queue and cap > 0:
                used = min(cap, queue[0])
                queue[0] -= used
                cap -= used
                if queue[0] <= 1e-12:
                    queue.pop(0)
            backlog.append(sum(queue))
    return backlog


def test_weekly_cycle_matches_an_explicit_fifo_loop() -> None:
    rng = np.random.default_rng(3)
    shape = np.sin(np.linspace(0, np.pi, DAY)) + 0.2
    volumes = np.tile(shape, 7) * rng.uniform(5, 15, 7 * DAY)
    open_mask = _office_hours(days=7)
    open_mask[5 * DAY :] = False  # closed at the weekend
    agents = np.where(open_mask, 14.0, 0.0)
    profile = deferred_profile(
        volumes, 300, agents, interval_minutes=QUARTER, promise_hours=72, max_occupancy=0.85
    )
    work_h = volumes * 300 / 3600
    capacity_h = agents * 0.25 * 0.85
    expected = _fifo_lots(work_h, capacity_h, cycles=3)
    assert profile.stable
    np.testing.assert_allclose(profile.backlog * 300 / 3600, expected, atol=1e-9)
    assert profile.backlog[-1] > 0  # the weekend backlog carries into Monday
    assert 0 < profile.share_within_promise <= 1


def test_requirement_is_minimal_and_monotone() -> None:
    # Round-the-clock mail plus a 400-letter burst each morning, 4 working hours promise:
    # the burst, not the daily workload, sets the level.
    day = np.full(DAY, 2.0)
    day[32] = 400
    volumes = np.tile(day, 7)
    open_mask = _office_hours(days=7)
    kwargs = {"interval_minutes": QUARTER, "promise_hours": 4, "promise_clock": "working"}
    req = deferred_requirement(volumes, 420, open_intervals=open_mask, **kwargs)
    assert req.agents > 1.5 * req.profile.workload_hours / (7 * 10)

    def share(level: float) -> float:
        agents = np.where(open_mask, level, 0.0)
        return deferred_profile(volumes, 420, agents, **kwargs).share_within_promise

    assert share(req.agents * 1.000001) == pytest.approx(1.0)
    assert share(req.agents * 0.98) < 1.0
    assert share(req.agents * 0.8) < share(req.agents * 0.9) < 1.0
    assert share(0.5 * req.profile.workload_hours / 70) == 0.0  # unstable: nothing in time


def test_no_work_needs_no_agents() -> None:
    req = deferred_requirement(
        np.zeros(DAY), 300, interval_minutes=QUARTER, promise_hours=24,
        open_intervals=_office_hours(),
    )  # fmt: skip
    assert req.agents == 0.0 and req.raw_agents == 0 and req.scheduled_agents == 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"volumes": [-1.0, 2.0]}, "volumes: must be >= 0, got -1"),
        ({"aht_s": 0}, "aht_s: must be > 0, got 0"),
        ({"promise_hours": 0.1}, r"promise_hours: must be at least one interval \(0.25 h\)"),
        ({"open_intervals": [True]}, "open_intervals: must have one entry per interval"),
        ({"open_intervals": [False, False]}, "open_intervals: work arrives but no interval"),
        ({"max_occupancy": 1.5}, "max_occupancy: must be <= 1"),
        ({"shrinkage": 1.0}, "shrinkage: must be < 1"),
        ({"promise_clock": "office"}, "promise_clock: must be 'calendar' or 'working'"),
    ],
)
def test_bad_input_names_the_field(kwargs, message) -> None:
    args = {
        "volumes": [1.0, 2.0], "aht_s": 300, "interval_minutes": QUARTER, "promise_hours": 24,
        **kwargs,
    }  # fmt: skip
    volumes, aht = args.pop("volumes"), args.pop("aht_s")
    with pytest.raises(InputError, match=message):
        deferred_requirement(volumes, aht, **args)
