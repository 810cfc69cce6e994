"""A synthetic interval export with known truth, to test and benchmark fit and forecast.

The truth (what a perfect fit would recover), per channel:

* a weekly pattern: expected daily volume per weekday × an intraday profile of that
  weekday; Monday to Friday 08:00-20:00, Saturday 09:00-14:00, Sunday closed;
* day effects: each day's volume multiplied by a gamma variate (mean 1, cv ``day_cv``);
* Poisson counts per interval given the day's rate;
* handle times gamma-distributed (cv ``handle_cv``) around a mean that varies by time of
  day; the export shows each interval's average of its answered contacts;
* exponential patience (mean ``patience_s``) against a virtual wait (0 with probability
  1 - P(wait), else exponential with a mean that grows with the interval's load): a caller
  abandons when patience runs out first. The export's ``asa_seconds`` and
  ``avg_abandon_seconds`` are the mean waits of answered and of abandoned contacts;
* one holiday (a weekday with ``holiday_share`` of its normal volume);
* optionally (``email=True``) an ``email`` channel: arrivals around the clock (every
  interval of every day, Sunday included, on a 24-hour grid), worked first in, first out
  by a fixed team of ``email_agents`` in the opening hours only (each interval starts as
  many emails as the team's time allows at the interval's mean handle time), never
  abandoned. Rows are filed by the interval the email arrived in (as staffsim files
  them): ``answered`` of them, their mean handle time, ``asa_seconds`` their mean response
  wait, ``answered_within_target`` those started within the 24-hour promise.

Timestamps carry the UTC offset of Europe/Berlin, so a history spanning late October
crosses a daylight-saving change. Randomness: one ``SeedSequence`` spawned per channel and
purpose.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import deque
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

WEEK_HOURS: tuple[tuple[int, int] | None, ...] = (
    (8 * 3600, 20 * 3600),
    (8 * 3600, 20 * 3600),
    (8 * 3600, 20 * 3600),
    (8 * 3600, 20 * 3600),
    (8 * 3600, 20 * 3600),
    (9 * 3600, 14 * 3600),
    None,
)
"""Opening hours (seconds after midnight) Monday..Sunday; None = closed."""

_CHANNELS = {
    # daily volume Mon..Sun, mean AHT (s), patience (s), day cv, morning-vs-afternoon AHT swing
    "calls": ((2400, 2100, 2000, 1950, 1850, 700, 0), 300.0, 180.0, 0.08, 0.15),
    "chat": ((600, 560, 540, 520, 500, 260, 0), 420.0, 120.0, 0.10, 0.05),
}
_EMAIL = ((800, 760, 740, 720, 680, 380, 300), 480.0, 0.12, 0.10)
"""The email channel: daily volume Mon..Sun, mean AHT (s), day cv, AHT swing."""
EMAIL_PROMISE_S = 24 * 3600
"""The email channel's response promise (seconds) counted in ``answered_within_target``."""


@dataclass(frozen=True)
class HistoryTruth:
    """What generated the history. Arrays are (7 weekdays, intervals) on the grid from
    ``grid_open_s`` in ``interval_minutes`` steps; 0 volume where closed."""

    interval_minutes: int
    grid_open_s: int
    expected: dict[str, np.ndarray]  # expected contacts per interval (before day effects)
    aht_s: dict[str, np.ndarray]  # mean handle time per interval, seconds
    handle_cv: float
    patience_s: dict[str, float]
    day_cv: dict[str, float]
    hours: tuple[tuple[int, int] | None, ...]
    holiday: dt.date
    first_date: dt.date
    weeks: int
    closed_per_day: dict[str, float] = field(default_factory=dict)  # email: outside hours
    email_agents: int = 0  # email team on duty in every open interval


def _email_profile(clock_h: np.ndarray) -> np.ndarray:
    """Emails over the 24 hours (interval midpoints ``clock_h``, hours), summing to 1: a
    floor all night, a late-morning peak and an evening one."""
    shape = (
        0.2
        + np.exp(-(((clock_h - 10.5) / 3.0) ** 2))
        + 0.6 * np.exp(-(((clock_h - 19.0) / 2.5) ** 2))
    )
    return shape / shape.sum()


def _profile(n: int, saturday: bool) -> np.ndarray:
    """Intraday shape over ``n`` intervals summing to 1: a morning and an afternoon peak on
    weekdays, one hump on Saturday."""
    x = (np.arange(n) + 0.5) / n
    if saturday:
        shape = 1 + 0.6 * np.sin(np.pi * x)
    else:
        shape = (
            1
            + 0.9 * np.exp(-(((x - 0.22) / 0.12) ** 2))
            + 0.6 * np.exp(-(((x - 0.55) / 0.12) ** 2))
        )
    return shape / shape.sum()


def history_truth(
    weeks: int = 12,
    first_date: dt.date = dt.date(2026, 8, 31),
    interval_minutes: int = 30,
    handle_cv: float = 0.8,
    holiday_week: int | None = None,
    email: bool = False,
) -> HistoryTruth:
    """The truth of :func:`synthetic_history` (no randomness). With ``email`` the grid
    is the whole day (emails arrive at night) and an ``email`` channel is added."""
    if first_date.weekday() != 0:
        raise ValueError("first_date must be a Monday")
    step = interval_minutes * 60
    grid_open = 0 if email else min(h[0] for h in WEEK_HOURS if h)
    per_day = ((24 * 3600 if email else max(h[1] for h in WEEK_HOURS if h)) - grid_open) // step
    clock = grid_open + (np.arange(per_day) + 0.5) * step
    expected, aht = {}, {}
    for name, (daily, mean_aht, _, _, swing) in _CHANNELS.items():
        grid = np.zeros((7, per_day))
        for w, span in enumerate(WEEK_HOURS):
            if span is None:
                continue
            a, b = (span[0] - grid_open) // step, (span[1] - grid_open) // step
            grid[w, a:b] = daily[w] * _profile(b - a, saturday=w == 5)
        expected[name] = grid
        # longer contacts in the morning, shorter late in the day
        hours = clock / 3600
        aht[name] = np.tile(mean_aht * (1 + swing * np.cos(np.pi * (hours - 8) / 12)), (7, 1))
    holiday_week = weeks - 3 if holiday_week is None else holiday_week
    day_cvs = {n: v[3] for n, v in _CHANNELS.items()}
    closed: dict[str, float] = {}
    agents = 0
    if email:
        daily, mean_aht, cv, swing = _EMAIL
        hours = clock / 3600
        expected["email"] = np.array(daily, dtype=float)[:, None] * _email_profile(hours)
        aht["email"] = np.tile(mean_aht * (1 + swing * np.cos(np.pi * (hours - 8) / 12)), (7, 1))
        day_cvs["email"] = cv
        outside = []
        for w, span in enumerate(WEEK_HOURS):
            shut = np.ones(per_day, dtype=bool)
            if span is not None:
                shut[(span[0] - grid_open) // step : (span[1] - grid_open) // step] = False
            outside.append(float(expected["email"][w][shut].sum()))
        closed["email"] = float(np.mean(outside))
        open_s = sum(s[1] - s[0] for s in WEEK_HOURS if s is not None)
        agents = math.ceil(1.4 * sum(daily) * mean_aht / open_s)  # 40% spare capacity
    return HistoryTruth(
        interval_minutes=interval_minutes,
        grid_open_s=grid_open,
        expected=expected,
        aht_s=aht,
        handle_cv=handle_cv,
        patience_s={n: v[2] for n, v in _CHANNELS.items()},
        day_cv=day_cvs,
        hours=WEEK_HOURS,
        holiday=first_date + dt.timedelta(weeks=holiday_week, days=2),  # a Wednesday
        first_date=first_date,
        weeks=weeks,
        closed_per_day=closed,
        email_agents=agents,
    )


def synthetic_history(
    weeks: int = 12,
    seed: int = 2026,
    *,
    first_date: dt.date = dt.date(2026, 8, 31),
    interval_minutes: int = 30,
    holiday_share: float = 0.15,
    holiday_week: int | None = None,
    timezone: str = "Europe/Berlin",
    email: bool = False,
) -> tuple[pd.DataFrame, HistoryTruth]:
    """An interval export (one row per open interval and channel) and its truth. The
    holiday is the Wednesday of ``holiday_week`` (from 0; default: the third week from the
    end, the week seasonal-naive copies in a 2-week back-test). ``email``: add the email
    channel (rows for every interval of the day; see the module docstring); the calls and
    chat rows are the same numbers as without it."""
    truth = history_truth(
        weeks, first_date, interval_minutes, holiday_week=holiday_week, email=email
    )
    step = interval_minutes * 60
    streams = iter(np.random.SeedSequence(seed).spawn(8 * len(_CHANNELS)))
    rows = []
    days = weeks * 7
    for name in _CHANNELS:
        day_rng, count_rng, handle_rng, wait_rng = (
            np.random.default_rng(next(streams)) for _ in range(4)
        )
        cv = truth.day_cv[name]
        shape = 1 / cv**2
        effects = day_rng.gamma(shape, 1 / shape, days)
        theta = truth.patience_s[name]
        for d in range(days):
            date = first_date + dt.timedelta(days=d)
            w = date.weekday()
            if truth.hours[w] is None:
                continue
            factor = effects[d] * (holiday_share if date == truth.holiday else 1.0)
            for k in np.flatnonzero(truth.expected[name][w] > 0):
                mean = truth.expected[name][w, k] * factor
                n = int(count_rng.poisson(mean))
                # virtual wait: busier intervals wait longer
                load = truth.expected[name][w, k] / truth.expected[name][w].max()
                p_wait, mean_wait = 0.3 + 0.4 * load, 20 + 60 * load
                waits = np.where(
                    wait_rng.random(n) < p_wait, wait_rng.exponential(mean_wait, n), 0.0
                )
                patience = wait_rng.exponential(theta, n)
                gone = patience < waits
                answered = n - int(gone.sum())
                mu = truth.aht_s[name][w, k]
                aht = (
                    handle_rng.gamma(answered / truth.handle_cv**2, mu * truth.handle_cv**2)
                    / answered
                    if answered
                    else math.nan
                )
                start = pd.Timestamp(date) + pd.Timedelta(seconds=truth.grid_open_s + k * step)
                rows.append(
                    {
                        "interval_start": start.tz_localize(timezone).isoformat(),
                        "channel": name,
                        "offered": n,
                        "answered": answered,
                        "abandoned": int(gone.sum()),
                        "aht_seconds": round(aht, 1) if answered else "",
                        "asa_seconds": round(float(waits[~gone].mean()), 1) if answered else "",
                        "avg_abandon_seconds": (
                            round(float(patience[gone].mean()), 1) if gone.any() else ""
                        ),
                        "answered_within_target": int((waits[~gone] <= 20).sum()),
                    }
                )
    if email:
        email_seeds = np.random.SeedSequence(seed).spawn(8 * len(_CHANNELS) + 3)[-3:]
        rows += _email_rows(
            truth, *(np.random.default_rng(s) for s in email_seeds), holiday_share, timezone
        )
    frame = pd.DataFrame(rows).sort_values(["interval_start", "channel"], kind="stable")
    return frame.reset_index(drop=True), truth


def _email_rows(
    truth: HistoryTruth,
    day_rng: np.random.Generator,
    count_rng: np.random.Generator,
    handle_rng: np.random.Generator,
    holiday_share: float,
    timezone: str,
) -> list[dict]:
    """The email channel's rows: Poisson arrivals in every interval, a first-in-first-out
    backlog worked in the opening hours by ``truth.email_agents`` agents."""
    step = truth.interval_minutes * 60
    days = truth.weeks * 7
    cv = truth.day_cv["email"]
    effects = day_rng.gamma(1 / cv**2, cv**2, days)
    expected, means = truth.expected["email"], truth.aht_s["email"]
    per_day = expected.shape[1]
    counts = np.zeros((days, per_day), dtype=int)
    arrivals: list[np.ndarray] = []  # arrival times (s from the first date) per interval
    for d in range(days):
        date = truth.first_date + dt.timedelta(days=d)
        factor = effects[d] * (holiday_share if date == truth.holiday else 1.0)
        counts[d] = count_rng.poisson(expected[date.weekday()] * factor)
        for k in range(per_day):
            begin = d * 86400 + truth.grid_open_s + k * step
            arrivals.append(np.sort(begin + count_rng.random(counts[d, k]) * step))
    waits: list[list[float]] = [[] for _ in arrivals]
    backlog: deque[tuple[int, float]] = deque()  # (arrival interval, arrival time)
    carry = 0.0
    for g, times in enumerate(arrivals):
        d, k = divmod(g, per_day)
        backlog.extend((g, float(t)) for t in times)
        span = truth.hours[(truth.first_date + dt.timedelta(days=d)).weekday()]
        begin = d * 86400 + truth.grid_open_s + k * step
        if span is None or not span[0] <= truth.grid_open_s + k * step < span[1]:
            continue
        capacity = truth.email_agents * step / means[0, k] + carry  # emails this interval
        slots = int(capacity)
        carry = capacity - slots
        for j in range(min(slots, len(backlog))):
            origin, arrived = backlog.popleft()
            waits[origin].append(max(begin + j * step / slots, arrived) - arrived)
    rows = []
    for g, times in enumerate(arrivals):
        d, k = divmod(g, per_day)
        done = np.array(waits[g])
        answered = len(done)
        mu = means[0, k]
        aht = (
            handle_rng.gamma(answered / truth.handle_cv**2, mu * truth.handle_cv**2) / answered
            if answered
            else math.nan
        )
        date = truth.first_date + dt.timedelta(days=d)
        start = pd.Timestamp(date) + pd.Timedelta(seconds=truth.grid_open_s + k * step)
        rows.append(
            {
                # the repeated hour when clocks go back is written once (summer time)
                "interval_start": start.tz_localize(
                    timezone, ambiguous=True, nonexistent="shift_forward"
                ).isoformat(),
                "channel": "email",
                "offered": len(times),
                "answered": answered,
                "abandoned": 0,
                "aht_seconds": round(aht, 1) if answered else "",
                "asa_seconds": round(float(done.mean()), 1) if answered else "",
                "avg_abandon_seconds": "",
                "answered_within_target": int((done <= EMAIL_PROMISE_S).sum()),
            }
        )
    return rows


def synthetic_contacts(
    weeks: int = 3,
    seed: int = 2026,
    *,
    handle: str = "lognormal",
    volume_share: float = 0.2,
    first_date: dt.date = dt.date(2026, 8, 31),
) -> tuple[pd.DataFrame, HistoryTruth]:
    """Per-contact records of the ``calls`` channel (``volume_share`` of its volume): arrival
    time, wait, outcome, handle time. Handle times are ``handle`` (lognormal, gamma or
    exponential) with the truth's per-interval mean and cv ``handle_cv`` (1 for
    exponential); patience exponential; waits as in :func:`synthetic_history`."""
    truth = history_truth(weeks, first_date, 30)
    step = 30 * 60
    day_rng, count_rng, time_rng, handle_rng, wait_rng = (
        np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(5)
    )
    cv = truth.handle_cv
    shape = 1 / cv**2
    effects = day_rng.gamma(1 / truth.day_cv["calls"] ** 2, truth.day_cv["calls"] ** 2, weeks * 7)
    parts = []
    for d in range(weeks * 7):
        date = first_date + dt.timedelta(days=d)
        w = date.weekday()
        expected = truth.expected["calls"][w] * volume_share * effects[d]
        for k in np.flatnonzero(expected > 0):
            n = int(count_rng.poisson(expected[k]))
            if not n:
                continue
            mu = truth.aht_s["calls"][w, k]
            if handle == "lognormal":
                sigma2 = math.log1p(cv**2)
                times = handle_rng.lognormal(math.log(mu) - sigma2 / 2, math.sqrt(sigma2), n)
            elif handle == "gamma":
                times = handle_rng.gamma(shape, mu / shape, n)
            else:
                times = handle_rng.exponential(mu, n)
            load = truth.expected["calls"][w, k] / truth.expected["calls"][w].max()
            waits = np.where(
                wait_rng.random(n) < 0.3 + 0.4 * load, wait_rng.exponential(20 + 60 * load, n), 0
            )
            patience = wait_rng.exponential(truth.patience_s["calls"], n)
            gone = patience < waits
            start = pd.Timestamp(date) + pd.Timedelta(seconds=truth.grid_open_s + k * step)
            offsets = np.sort(time_rng.random(n)) * step
            parts.append(
                pd.DataFrame(
                    {
                        "arrival_time": (start + pd.to_timedelta(offsets, unit="s")).strftime(
                            "%Y-%m-%d %H:%M:%S"
                        ),
                        "channel": "calls",
                        "wait_seconds": np.round(np.where(gone, patience, waits), 2),
                        "outcome": np.where(gone, "abandoned", "answered"),
                        "handle_seconds": np.where(gone, np.nan, np.round(times, 2)),
                    }
                )
            )
    return pd.concat(parts, ignore_index=True), truth


__all__ = [
    "EMAIL_PROMISE_S",
    "WEEK_HOURS",
    "HistoryTruth",
    "history_truth",
    "synthetic_contacts",
    "synthetic_history",
]
