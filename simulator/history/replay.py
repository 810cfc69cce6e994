"""An interval export of a *simulated* centre: history whose service is known to be true.

:mod:`simulator.history.synthetic` draws waits from a stylised formula, so its recorded
service level belongs to no staffing. Here the history is what staffsim's own engine
produced for a scenario: replication ``r`` is week ``r`` of the history (the scenario's week
shifted by ``7 r`` days), read back from the per-contact log into the columns of an ACD
export — ``offered``, ``answered``, ``abandoned``, ``aht_seconds``, ``asa_seconds``,
``avg_abandon_seconds``, ``answered_within_target`` (answered within the channel's
``targets.within_seconds``; for email, within ``promise_hours``) and ``agents`` (the
scenario's headcount of the group named after the channel). A fit of this history and its
back-check must give the scenario back: the test of the back-check.

Contacts are filed by the interval they arrived in, redials and repeats included (an ACD
counts every attempt as offered). A deferred (email) channel gets a row for every interval of
the day, nights and closed days included. The per-contact log records events only: emails
still in the backlog at the end of a replayed week never appear, so a replayed email history
lacks them (its volumes are low by that end-of-week backlog); recover email volumes from
:func:`simulator.history.synthetic.synthetic_history` (``email=True``) instead.
"""

from __future__ import annotations

import datetime as dt
import math
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from simulator.channels import KINDS
from simulator.errors import InputError
from simulator.runner import simulate
from simulator.scenario import Scenario

DEFAULT_WITHIN_S = 20.0
"""Threshold of ``answered_within_target`` for a channel without ``targets.within_seconds``."""


def _threshold(scenario: Scenario, channel: str) -> float:
    ch = scenario.channels[channel]
    if ch.promise_hours is not None:
        return ch.promise_hours * 3600
    return float(ch.targets.within_seconds or DEFAULT_WITHIN_S)


def _handle_times(log: pd.DataFrame) -> pd.DataFrame:
    """Answered contacts with their wait and handle time (``completed`` − ``answered``),
    paired on the contact's channel, arrival time, issue and attempt number."""
    key = ["channel", "arrival_s", "issue_seq", "attempt"]
    answered = log[log.outcome == "answered"][[*key, "time_s", "wait_s"]]
    completed = log[log.outcome == "completed"][[*key, "time_s"]]
    both = answered.merge(completed, on=key, suffixes=("", "_done"), how="left")
    return both.assign(handle_s=both.time_s_done - both.time_s)


def export_of(
    scenario: Scenario, weeks: int, seed: int = 2026, timezone: str | None = None
) -> pd.DataFrame:
    """``weeks`` weeks of interval export (one row per open interval and channel) of
    ``scenario`` simulated with ``seed``. The scenario must be one week (7 days) with a
    ``start_date``; each channel needs a group of the same name for the ``agents``
    column (other groups may serve it too; ``agents`` counts only that group)."""
    h = scenario.horizon
    if h.days != 7 or h.start_date is None:
        raise InputError("export_of: the scenario must be 7 days with horizon.start_date")
    if weeks < 1:
        raise InputError(f"weeks: must be >= 1, got {weeks}")
    frames = []
    with tempfile.TemporaryDirectory() as folder:
        simulate(scenario, replications=weeks, seed=seed, contact_log_dir=folder)
        for r in range(weeks):
            log = pd.read_csv(Path(folder) / f"contacts-{r}.csv")
            arrived = log.groupby(["channel", "arrival_s", "issue_seq", "attempt"]).size()
            arrivals = arrived.reset_index()[["channel", "arrival_s"]]
            done = _handle_times(log)
            gone = log[log.outcome == "abandoned"][["channel", "arrival_s", "wait_s"]]
            for c in scenario.channels:
                frames.append(
                    _channel_rows(
                        scenario,
                        c,
                        r,
                        arrivals[arrivals.channel == c].arrival_s.to_numpy(),
                        done[done.channel == c],
                        gone[gone.channel == c],
                        timezone,
                    )
                )
    return pd.concat(frames, ignore_index=True)


def _channel_rows(
    scenario: Scenario,
    c: str,
    week: int,
    offered_s: np.ndarray,
    done: pd.DataFrame,
    gone: pd.DataFrame,
    timezone: str | None,
) -> pd.DataFrame:
    """One channel's rows of one week: every open interval of a real-time channel; every
    interval of the day (00:00-24:00) of a deferred one, whose contacts arrive at night."""
    h = scenario.horizon
    step = h.interval_s
    deferred = KINDS[scenario.channels[c].kind].deferred
    grid_open = 0 if deferred else h.open_s
    per_day = 86400 // step if deferred else h.intervals_per_day
    cells = np.ones((h.days, per_day), dtype=bool) if deferred else h.open_mask()
    staffing = np.zeros((h.days, per_day), dtype=int)
    offset = (h.open_s - grid_open) // step
    staffing[:, offset : offset + h.intervals_per_day] = _staffing(scenario, c)
    threshold = _threshold(scenario, c)
    slot = {
        "offered": _slot(offered_s, grid_open, per_day, step),
        "answered": _slot(done.arrival_s.to_numpy(), grid_open, per_day, step),
        "abandoned": _slot(gone.arrival_s.to_numpy(), grid_open, per_day, step),
    }
    rows = []
    for day in range(h.days):
        for k in np.flatnonzero(cells[day]):
            g = day * per_day + k
            here = slot["answered"] == g
            waits = done.wait_s.to_numpy()[here]
            left = gone.wait_s.to_numpy()[slot["abandoned"] == g]
            start = pd.Timestamp(h.start_date) + pd.Timedelta(
                days=7 * week + day, seconds=grid_open + int(k) * step
            )
            if timezone is not None:
                start = start.tz_localize(timezone, ambiguous=True, nonexistent="shift_forward")
            rows.append(
                {
                    "interval_start": start.isoformat(),
                    "channel": c,
                    "offered": int((slot["offered"] == g).sum()),
                    "answered": int(here.sum()),
                    "abandoned": len(left),
                    "aht_seconds": _mean(done.handle_s.to_numpy()[here]),
                    "asa_seconds": _mean(waits),
                    "avg_abandon_seconds": _mean(left),
                    "answered_within_target": int((waits <= threshold).sum()),
                    "agents": int(staffing[day, k]),
                }
            )
    return pd.DataFrame(rows)


def _mean(values: np.ndarray) -> float | str:
    finite = values[np.isfinite(values)]
    return round(float(finite.mean()), 2) if len(finite) else ""


def _slot(times_s: np.ndarray, grid_open_s: int, per_day: int, step: int) -> np.ndarray:
    """Global interval (day × ``per_day`` + interval) of each arrival time (seconds from
    day 0 00:00) on a grid from ``grid_open_s``; -1 outside it."""
    day, clock = np.divmod(times_s, 86400)
    k = np.floor((clock - grid_open_s) / step)
    inside = (k >= 0) & (k < per_day)
    return np.where(inside, day * per_day + k, -1).astype(int)


def _staffing(scenario: Scenario, channel: str) -> np.ndarray:
    """(days, intervals) headcount of the group named ``channel`` (0 without one)."""
    from simulator.clock import day_grid

    h = scenario.horizon
    group = scenario.agent_groups.get(channel)
    if group is None or group.staffing is None:
        return np.zeros((h.days, h.intervals_per_day), dtype=int)
    grid = day_grid(group.staffing, h.days, h.intervals_per_day)
    return np.where(h.open_mask(), grid, 0).astype(int)


def history_dates(scenario: Scenario, weeks: int) -> tuple[dt.date, dt.date]:
    """First and last date of :func:`export_of`'s history."""
    assert scenario.horizon.start_date is not None
    first = scenario.horizon.start_date
    return first, first + dt.timedelta(days=7 * weeks - 1)


def truth_scenario(
    start_date: dt.date = dt.date(2026, 8, 31), volume_share: float = 0.25, email: bool = False
) -> Scenario:
    """A one-week centre to replay: the calls and chat of
    :func:`simulator.history.synthetic.history_truth` (``volume_share`` of their volume),
    its per-interval handle times and patience, a dedicated group per channel staffed per
    interval by Erlang C for 80% in 20 s less one agent in the afternoon (so service varies
    from interval to interval and some callers abandon). ``email``: also the truth's email
    channel (its open-hours volumes and closed-hours emails per day, a 24-hour promise) and
    an ``email`` group with 40% more agents than its offered load."""
    from simulator.history.fit import _erlang_c_staffing
    from simulator.history.synthetic import history_truth

    truth = history_truth(1, start_date, 30)
    hours = {
        name: "closed" if span is None else {"open": _hhmm(span[0]), "close": _hhmm(span[1])}
        for name, span in zip(
            ("mon", "tue", "wed", "thu", "fri", "sat", "sun"), truth.hours, strict=True
        )
    }
    channels = {}
    for c in ("calls", "chat"):
        channels[c] = {
            "kind": "call",
            "arrivals": {
                "volumes": np.round(truth.expected[c] * volume_share, 3).tolist(),
                "day_multiplier": {"cv": truth.day_cv[c]},
            },
            "handle_time": {
                "distribution": "gamma",
                "mean_seconds": float(np.round(truth.aht_s[c].mean(), 2)),
                "cv": truth.handle_cv,
            },
            "handle_time_means_seconds": np.round(truth.aht_s[c], 2).tolist(),
            "patience": {"distribution": "exponential", "mean_seconds": truth.patience_s[c]},
            "targets": {"service_level": 0.8, "within_seconds": 20},
        }
    if email:
        channels["email"] = _email_channel(start_date, volume_share, truth.hours)
    groups = {}
    for c, channel in channels.items():
        if c == "email":
            work = float(
                np.sum(
                    np.asarray(channel["arrivals"]["volumes"])
                    * np.asarray(channel["handle_time_means_seconds"])
                )
                + 7 * channel["arrivals"]["closed_hours_volume"] * 480
            )
            open_s = sum(b - a for span in truth.hours if span for a, b in [span])
            need = math.ceil(1.4 * work / open_s)
            groups[c] = {"cost_per_hour": 25, "skills": [c], "staffing": need}
            continue
        need = np.array(_erlang_c_staffing({c: channel}, 30))
        afternoon = np.arange(need.shape[1]) >= need.shape[1] // 2
        need = np.where(afternoon & (need > 1), need - 1, need)
        groups[c] = {"cost_per_hour": 25, "skills": [c], "staffing": need.tolist()}
    return Scenario.from_dict(
        {
            "name": "replayed centre",
            "horizon": {
                "days": 7,
                "interval_minutes": 30,
                "open": "08:00",
                "close": "20:00",
                "start_date": start_date.isoformat(),
                "hours": hours,
            },
            "channels": channels,
            "agent_groups": groups,
        }
    )


def _email_channel(
    start_date: dt.date, share: float, hours: tuple[tuple[int, int] | None, ...]
) -> dict:
    """The truth's email channel on the 08:00-20:00 grid: volumes in each weekday's open
    intervals, the rest of the day's emails as ``closed_hours_volume`` (their weekly mean)."""
    from simulator.history.synthetic import history_truth

    truth = history_truth(1, start_date, 30, email=True)
    step = 1800
    a, b = 8 * 3600 // step, 20 * 3600 // step
    volumes = truth.expected["email"][:, a:b] * share
    for w, span in enumerate(hours):
        keep = np.zeros(b - a, dtype=bool)
        if span is not None:
            keep[(span[0] // step) - a : (span[1] // step) - a] = True
        volumes[w, ~keep] = 0.0
    return {
        "kind": "email",
        "arrivals": {
            "volumes": np.round(volumes, 3).tolist(),
            "closed_hours_volume": round(truth.closed_per_day["email"] * share, 3),
            "day_multiplier": {"cv": truth.day_cv["email"]},
        },
        "handle_time": {"distribution": "gamma", "mean_seconds": 480.0, "cv": truth.handle_cv},
        "handle_time_means_seconds": np.round(truth.aht_s["email"][:, a:b], 2).tolist(),
        "promise_hours": 24,
        "targets": {"within_promise": 0.9},
    }


def _hhmm(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


__all__ = ["export_of", "history_dates", "truth_scenario"]
