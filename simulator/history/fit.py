"""Fit a one-week scenario to an interval export: what the last weeks looked like.

Per channel, from the last ``recent_weeks`` weeks of the history:

* **volumes** per weekday × interval: the mean over those weeks of each weekday's interval
  counts, leaving out *outlier days* — days whose total is more than ``outlier_factor``
  times above or below the median total of their weekday (holidays, outages) — and missing
  data. The plain mean (every day kept) is reported beside it;
* **handle-time means** per weekday × interval: answered-weighted mean of ``aht_seconds``;
  the shape is lognormal with the cv read from the spread of interval averages around
  their weekday × interval mean (``Var(mean of n) = σ²/n``);
* **day-to-day variation**: ``day_multiplier.cv`` from the daily totals of each weekday,
  beyond Poisson: ``cv² = (variance − mean) / mean²``, pooled over weekdays;
* **patience**: exponential with mean = total waiting time / abandoned contacts (answered
  waits ``asa_seconds × answered`` plus abandoned waits ``avg_abandon_seconds ×
  abandoned``): the maximum-likelihood estimate for exponential patience, where answered
  customers' patience is censored at their wait;
* **opening hours** per weekday: from the first to the last interval with contacts in at
  least half of the weekday's days; a weekday without contacts is closed. Only real-time
  channels say when the centre is open (emails arrive around the clock); a history of
  deferred channels alone takes the hours from its ``agents`` column, else from ``base``;
* **deferred channels** (a channel that is ``email`` in ``base``): volumes per open
  interval as above; the emails arriving outside the fitted hours become
  ``arrivals.closed_hours_volume`` (their mean per day over the week: the scenario spreads
  one number per day over each day's closed hours, so the weekly total is kept, its split
  between weekdays is not); no patience (emails do not abandon); the response promise and
  its target come from ``base``. Rows are filed by the interval the email *arrived* in,
  as staffsim files them.

The scenario starts on the Monday after the history (``horizon.start_date``). Agent groups,
targets, routing and run settings come from ``base`` when given; otherwise one group of
agents skilled for every channel, staffed per interval by Erlang C for 80% within 20 s, so
the scenario runs at once (its cost per hour is a placeholder, said in the notes).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simulator.channels import KINDS
from simulator.errors import InputError
from simulator.history.backcheck import BackCheck, back_check, back_check_problem
from simulator.history.columns import IntervalHistory, read_history, wape
from simulator.scenario import WEEKDAYS, Scenario

PLACEHOLDER_COST_PER_HOUR = 25.0
"""Cost of an agent-hour in a scenario fitted without ``--base``: a placeholder."""


@dataclass(frozen=True)
class ChannelFit:
    """What was fitted for one channel. Arrays are (7 weekdays, grid intervals)."""

    volumes: np.ndarray  # expected contacts per interval (robust mean)
    plain_volumes: np.ndarray  # plain mean of every day kept
    aht_s: np.ndarray  # mean handle time per interval, seconds (NaN: none answered)
    handle_cv: float | None
    day_cv: float | None
    patience_s: float | None
    outlier_days: tuple[dt.date, ...]
    days_used: int
    deferred: bool = False  # email-like: arrives around the clock, never abandons


@dataclass(frozen=True)
class FitResult:
    """The fitted scenario, what went into it, and the report people read."""

    scenario: Scenario
    history: IntervalHistory
    channels: dict[str, ChannelFit]
    hours: tuple[tuple[int, int] | None, ...]  # per weekday (open, close) s; None closed
    weeks_used: tuple[dt.date, dt.date]  # first and last date averaged over
    method: str
    notes: tuple[str, ...] = ()
    report: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    weekday_report: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    back_check: BackCheck | None = field(default=None, repr=False)  # recorded vs simulated


# ---- estimators ------------------------------------------------------------------------
def _recent(history: IntervalHistory, weeks: int) -> np.ndarray:
    """Indices of the dates in the last ``weeks`` weeks of the history."""
    n = len(history.dates)
    return np.arange(max(0, n - 7 * weeks), n)


def outlier_days(totals: np.ndarray, weekdays: np.ndarray, factor: float) -> np.ndarray:
    """Days (bool) whose total is off the median total of their weekday by more than
    ``factor`` (either way); missing days (NaN) are not outliers."""
    out = np.zeros(len(totals), dtype=bool)
    for w in range(7):
        mine = (weekdays == w) & ~np.isnan(totals)
        if mine.sum() < 3:
            continue
        median = float(np.median(totals[mine]))
        if median <= 0:
            continue
        with np.errstate(divide="ignore"):
            ratio = totals[mine] / median
        out[np.flatnonzero(mine)] = (ratio > factor) | (ratio < 1 / factor)
    return out


def weekday_means(values: np.ndarray, weekdays: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """(7, intervals) mean of ``values`` (days, intervals) per weekday over kept days,
    NaN-skipping (0 for a weekday with no kept day)."""
    out = np.zeros((7, values.shape[1]))
    for w in range(7):
        rows = values[(weekdays == w) & keep]
        if len(rows) and not np.isnan(rows).all(axis=0).all():
            with np.errstate(invalid="ignore"):
                out[w] = np.nan_to_num(np.nanmean(rows, axis=0))
    return out


def day_cv(totals: np.ndarray, weekdays: np.ndarray, keep: np.ndarray) -> float | None:
    """Coefficient of variation of the day multiplier beyond Poisson, pooled over weekdays:
    ``cv² = Σ (n−1)(s² − m) / Σ (n−1) m²``; None when the days vary no more than Poisson."""
    num = den = 0.0
    for w in range(7):
        x = totals[(weekdays == w) & keep & ~np.isnan(totals)]
        if len(x) < 3 or x.mean() <= 0:
            continue
        num += (len(x) - 1) * (x.var(ddof=1) - x.mean())
        den += (len(x) - 1) * x.mean() ** 2
    if den <= 0 or num <= 0:
        return None
    return float(math.sqrt(num / den))


def handle_cv(aht: np.ndarray, answered: np.ndarray, means: np.ndarray, weekdays: np.ndarray):
    """cv of single handle times from interval averages: ``n (x̄ − m)² / m²`` has
    expectation cv² (one degree of freedom lost per weekday × interval mean)."""
    num = 0.0
    dof = 0
    for w in range(7):
        rows = weekdays == w
        x, n, m = aht[rows], answered[rows], means[w][None, :]
        ok = ~np.isnan(x) & (n > 0) & (m > 0)
        if not ok.any():
            continue
        num += float((n * ((x - m) / np.where(m > 0, m, 1)) ** 2)[ok].sum())
        dof += int(ok.sum()) - int((ok.sum(axis=0) > 0).sum())
    return float(math.sqrt(num / dof)) if dof > 0 and num > 0 else None


def open_hours(
    history: IntervalHistory, offered: np.ndarray, weekdays: np.ndarray, keep: np.ndarray
) -> tuple[tuple[int, int] | None, ...]:
    """Per weekday, (open, close) seconds after midnight from where contacts are seen in
    at least half of the weekday's kept days (``offered``: days x intervals, ``weekdays``
    of those days); None when never."""
    spans: list[tuple[int, int] | None] = []
    for w in range(7):
        rows = offered[(weekdays == w) & keep]
        rows = rows[~np.isnan(rows).all(axis=1)] if len(rows) else rows
        if not len(rows):
            spans.append(None)
            continue
        seen = (np.nan_to_num(rows) > 0).mean(axis=0) >= 0.5
        idx = np.flatnonzero(seen)
        if not len(idx):
            spans.append(None)
            continue
        step = history.interval_s
        spans.append(
            (
                history.grid_open_s + int(idx[0]) * step,
                history.grid_open_s + int(idx[-1] + 1) * step,
            )
        )
    return tuple(spans)


def fit_channel(
    history: IntervalHistory,
    name: str,
    dates: np.ndarray,
    outlier_factor: float,
    deferred: bool = False,
) -> ChannelFit:
    arrays = history.data[name]
    weekdays = history.weekday_of()[dates]
    offered = arrays["offered"][dates]
    with np.errstate(invalid="ignore"):
        totals = np.where(np.isnan(offered).all(axis=1), np.nan, np.nansum(offered, axis=1))
    outliers = outlier_days(totals, weekdays, outlier_factor)
    everything = np.ones(len(dates), dtype=bool)
    keep = ~outliers
    volumes = weekday_means(offered, weekdays, keep)
    plain = weekday_means(offered, weekdays, everything)
    answered = np.nan_to_num(arrays["answered"][dates])
    aht = arrays["aht_seconds"][dates]
    weighted = np.nan_to_num(aht) * answered
    means = np.full((7, offered.shape[1]), np.nan)
    for w in range(7):
        rows = (weekdays == w) & keep
        n = answered[rows].sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            means[w] = np.where(n > 0, weighted[rows].sum(axis=0) / n, np.nan)
    cv = handle_cv(np.where(keep[:, None], aht, np.nan), answered, means, weekdays)
    patience = None
    if deferred:
        pass  # emails do not abandon: their waits are response times, not patience
    elif "asa_seconds" in history.measures and "avg_abandon_seconds" in history.measures:
        abandoned = np.nan_to_num(arrays["abandoned"][dates])
        waited = (
            np.nan_to_num(arrays["asa_seconds"][dates]) * answered
            + np.nan_to_num(arrays["avg_abandon_seconds"][dates]) * abandoned
        )
        if abandoned[keep].sum() > 0:
            patience = float(waited[keep].sum() / abandoned[keep].sum())
    return ChannelFit(
        volumes=volumes,
        plain_volumes=plain,
        aht_s=means,
        handle_cv=cv,
        day_cv=day_cv(totals, weekdays, keep),
        patience_s=patience,
        outlier_days=tuple(history.dates[int(dates[i])] for i in np.flatnonzero(outliers)),
        days_used=int((keep & ~np.isnan(totals)).sum()),
        deferred=deferred,
    )


def closed_per_day(
    history: IntervalHistory,
    volumes: np.ndarray,
    start: dt.date,
    hours: tuple[tuple[int, int] | None, ...],
) -> float:
    """Mean contacts per day arriving outside each day's opening ``hours`` (the whole day
    when closed): ``volumes`` are (days, history grid intervals) from ``start``."""
    step = history.interval_s
    outside = []
    for d, row in enumerate(volumes):
        span = hours[(start.weekday() + d) % 7]
        row = np.nan_to_num(np.asarray(row, dtype=float))
        if span is None:
            outside.append(float(row.sum()))
            continue
        lo = (span[0] - history.grid_open_s) // step
        hi = (span[1] - history.grid_open_s) // step
        outside.append(float(row[: max(lo, 0)].sum() + row[max(hi, 0) :].sum()))
    return float(np.mean(outside)) if outside else 0.0


# ---- the scenario ----------------------------------------------------------------------
def next_monday(date: dt.date) -> dt.date:
    """The first Monday after ``date``."""
    return date + dt.timedelta(days=7 - date.weekday())


def _clock(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


def _grid(hours: tuple[tuple[int, int] | None, ...]) -> tuple[int, int]:
    spans = [s for s in hours if s is not None]
    if not spans:
        raise InputError("history: no weekday has contacts in the weeks fitted")
    return min(s[0] for s in spans), max(s[1] for s in spans)


def _days_grid(
    per_weekday: np.ndarray,
    history: IntervalHistory,
    grid: tuple[int, int],
    start: dt.date,
    days: int,
    hours: tuple[tuple[int, int] | None, ...],
    fill: float = 0.0,
) -> list[list[float]]:
    """Rows for ``days`` days from ``start`` of the scenario grid, cut from the history's
    grid, ``fill`` outside each weekday's hours."""
    step = history.interval_s
    a = (grid[0] - history.grid_open_s) // step
    b = (grid[1] - history.grid_open_s) // step
    rows = []
    for d in range(days):
        w = (start.weekday() + d) % 7
        row = np.array(per_weekday[w % 7][a:b], dtype=float)
        span = hours[w]
        if span is None:
            row[:] = fill
        else:
            lo, hi = (span[0] - grid[0]) // step, (span[1] - grid[0]) // step
            row[:lo] = fill
            row[hi:] = fill
        rows.append([round(float(v), 3) for v in row])
    return rows


def build_scenario(
    history: IntervalHistory,
    fits: Mapping[str, ChannelFit],
    volumes: Mapping[str, np.ndarray],
    hours: tuple[tuple[int, int] | None, ...],
    *,
    start: dt.date,
    days: int,
    base: Scenario | None,
    name: str,
    notes: list[str],
) -> Scenario:
    """A scenario of ``days`` days from ``start`` with the fitted (or forecast) volumes
    ``volumes[channel]`` (days, history grid intervals)."""
    grid = _grid(hours)
    horizon: dict[str, Any] = {
        "days": days,
        "interval_minutes": history.interval_minutes,
        "open": _clock(grid[0]),
        "close": _clock(grid[1]),
        "start_date": start.isoformat(),
        "hours": {
            WEEKDAYS[w]: ("closed" if s is None else {"open": _clock(s[0]), "close": _clock(s[1])})
            for w, s in enumerate(hours)
        },
    }
    step = history.interval_s
    a = (grid[0] - history.grid_open_s) // step
    b = (grid[1] - history.grid_open_s) // step
    channels: dict[str, Any] = {}
    base_data = base.to_dict() if base is not None else None
    if base_data is not None:
        unknown = [c for c in fits if c not in base_data["channels"]]
        if unknown:
            raise InputError(
                f"--base: the history has channel {c!r}, which the base scenario does not "
                f"(it has: {', '.join(base_data['channels'])})"
                for c in unknown
            )
        unused = [c for c in base_data["channels"] if c not in fits]
        if unused:
            raise InputError(
                f"--base: channel {c!r} of the base scenario has no history; remove it from "
                "the base or add its rows"
                for c in unused
            )
    for cname, fit in fits.items():
        rows = []
        for d in range(days):
            w = (start.weekday() + d) % 7
            row = np.array(volumes[cname][d][a:b], dtype=float)
            span = hours[w]
            if span is None:
                row[:] = 0
            else:
                row[: (span[0] - grid[0]) // step] = 0
                row[(span[1] - grid[0]) // step :] = 0
            rows.append([round(float(v), 3) for v in row])
        valid = fit.aht_s[~np.isnan(fit.aht_s)]
        if not len(valid):
            raise InputError(f"history.aht_seconds: channel {cname!r} has no handle time")
        total_answered = np.nan_to_num(history.data[cname]["answered"]).sum()
        mean_aht = float(
            np.nansum(history.data[cname]["aht_seconds"] * history.data[cname]["answered"])
            / total_answered
        )
        aht = np.where(np.isnan(fit.aht_s), mean_aht, fit.aht_s)
        channel: dict[str, Any] = (
            dict(base_data["channels"][cname]) if base_data is not None else {"kind": "call"}
        )
        deferred = KINDS[channel.get("kind", "call")].deferred
        arrivals: dict[str, Any] = {"volumes": rows}
        if deferred:
            outside = closed_per_day(history, volumes[cname], start, hours)
            if outside > 0:
                arrivals["closed_hours_volume"] = round(outside, 3)
        if fit.day_cv is not None and fit.day_cv >= 1e-3:
            arrivals["day_multiplier"] = {"cv": round(min(fit.day_cv, 2.0), 4)}
        channel["arrivals"] = arrivals
        cv = fit.handle_cv
        channel["handle_time"] = (
            {"distribution": "lognormal", "mean_seconds": round(mean_aht, 2), "cv": round(cv, 3)}
            if cv is not None
            else {"distribution": "exponential", "mean_seconds": round(mean_aht, 2)}
        )
        if cv is None:
            notes.append(f"{cname}: handle-time cv not measurable; exponential shape assumed")
        channel["handle_time_means_seconds"] = [
            [round(float(v), 2) for v in row]
            for row in _days_grid(aht, history, grid, start, days, hours, fill=mean_aht)
        ]
        if deferred:
            channel.pop("patience", None)  # the base's email has none; kept explicit
            channel.pop("redial", None)
        elif fit.patience_s is not None:
            channel["patience"] = {
                "distribution": "exponential",
                "mean_seconds": round(fit.patience_s, 2),
            }
        elif base_data is None or "patience" not in channel:
            channel.pop("patience", None)
            channel.pop("redial", None)
            notes.append(
                f"{cname}: patience not estimated (needs asa_seconds and avg_abandon_seconds, "
                "and some abandoned contacts): customers in the scenario never abandon"
            )
        else:
            notes.append(f"{cname}: patience not estimated; kept the base scenario's")
        if base_data is None:
            channel["targets"] = {"service_level": 0.8, "within_seconds": 20}
        channels[cname] = channel
    data: dict[str, Any] = {"name": name, "horizon": horizon, "channels": channels}
    if base_data is not None:
        data["description"] = base_data.get("description", "")
        groups = {}
        listed = {
            g: np.asarray(group["staffing"], dtype=float)
            for g, group in base_data["agent_groups"].items()
            if group.get("staffing") is not None and not isinstance(group["staffing"], int)
        }
        for gname, group in base_data["agent_groups"].items():
            group = dict(group)
            for i, shift in enumerate(group.get("shifts") or ()):
                if any(d >= days for d in shift.get("days") or ()):
                    raise InputError(
                        f"--base: agent_groups.{gname}.shifts.{i}.days: beyond the {days}-day "
                        "horizon"
                    )
            groups[gname] = group
        if listed:
            _restaff(groups, listed, base_data["agent_groups"], channels, history, notes)
        data["agent_groups"] = groups
        for key in ("routing", "run", "shift_types"):
            if key in base_data:
                data[key] = base_data[key]
    else:
        data["agent_groups"] = {
            "agents": {
                "cost_per_hour": PLACEHOLDER_COST_PER_HOUR,
                "skills": list(channels),
                "staffing": _erlang_c_staffing(channels, history.interval_minutes),
            }
        }
        notes.append(
            "no --base: one group 'agents' staffed per interval by Erlang C for 80% within "
            f"20 s; cost_per_hour {PLACEHOLDER_COST_PER_HOUR:g} is a placeholder"
        )
    return Scenario.from_dict(data, source="fitted scenario")


def _restaff(
    groups: dict[str, Any],
    listed: Mapping[str, np.ndarray],
    base_groups: Mapping[str, Any],
    channels: Mapping[str, Any],
    history: IntervalHistory,
    notes: list[str],
) -> None:
    """Base groups whose ``staffing`` is a per-interval list belong to the base's own horizon
    (its days, hours and volumes), not to the fitted week. Each is given instead its share
    of the fitted week's requirement — Erlang C for 80% in 20 s on the real-time channels
    these groups serve, plus the offered load (volume × handle time) of their deferred
    channels — in proportion to its agent-hours in the base, rounded up; the note names
    them. Constant headcounts and shifts are kept as they are."""
    served = sorted({c for g in listed for c in _skills(base_groups[g]) if c in channels})
    first = next(iter(channels.values()))["arrivals"]["volumes"]
    need = _requirement(
        {c: channels[c] for c in served}, (len(first), len(first[0])), history.interval_minutes
    )
    total = sum(float(a.sum()) for a in listed.values())
    for g, staffing in listed.items():
        share = float(staffing.sum()) / total if total > 0 else 1 / len(listed)
        groups[g]["staffing"] = [[math.ceil(v * share - 1e-9) for v in row] for row in need]
        size = " x ".join(map(str, staffing.shape))
        notes.append(
            f"--base: agent_groups.{g}.staffing was a per-interval list ({size}) for the base's "
            f"horizon; replaced by its share ({share:.0%}) of the fitted week's "
            f"requirement (Erlang C 80/20; email: offered load) for {', '.join(served)}"
        )


def _skills(group: Mapping[str, Any]) -> list[str]:
    skills = group.get("skills") or ()
    return list(skills) if not isinstance(skills, Mapping) else list(skills.keys())


def _requirement(
    channels: Mapping[str, Any], shape: tuple[int, int], interval_minutes: int
) -> np.ndarray:
    """(days, intervals) agents: Erlang C for 80% in 20 s on real-time channels, the offered
    load (contacts × handle time / interval length, closed-hours emails spread over the
    day's open intervals) on deferred ones."""
    need = np.zeros(shape)
    realtime = {c: ch for c, ch in channels.items() if not KINDS[ch["kind"]].deferred}
    if realtime:
        need += np.asarray(_erlang_c_staffing(realtime, interval_minutes), dtype=float)
    for ch in channels.values():
        if not KINDS[ch["kind"]].deferred:
            continue
        volumes = np.asarray(ch["arrivals"]["volumes"], dtype=float)
        aht = np.asarray(ch["handle_time_means_seconds"], dtype=float)
        open_ = volumes > 0
        per_open = ch["arrivals"].get("closed_hours_volume", 0.0) / np.maximum(
            open_.sum(axis=1, keepdims=True), 1
        )
        need += (volumes + np.where(open_, per_open, 0.0)) * aht / (interval_minutes * 60)
    return need


def _erlang_c_staffing(channels: Mapping[str, Any], interval_minutes: int) -> list[list[int]]:
    """Agents per day and interval: the sum over channels of Erlang C for 80% in 20 s."""
    from simulator.queueing.staffing import required_agents

    total = None
    for channel in channels.values():
        volumes = np.asarray(channel["arrivals"]["volumes"], dtype=float)
        aht = np.asarray(channel["handle_time_means_seconds"], dtype=float)
        need = np.zeros_like(volumes)
        busy = volumes > 0
        if busy.any():
            rate = volumes[busy] * 60 / interval_minutes
            r = required_agents(rate, aht[busy], service_level=0.8, within_s=20)
            need[busy] = np.ceil(np.asarray(r.raw_agents, dtype=float) - 1e-9)
        total = need if total is None else total + need
    assert total is not None
    return [[int(v) for v in row] for row in total]


# ---- the public function ---------------------------------------------------------------
def fit_history(
    history: pd.DataFrame | str | Path | IntervalHistory,
    *,
    columns: Mapping[str, str] | None = None,
    timezone: str | None = None,
    base: Scenario | None = None,
    recent_weeks: int = 8,
    outlier_factor: float = 1.5,
    start_date: dt.date | None = None,
    name: str | None = None,
    back_check_replications: int = 10,
    seed: int = 1,
) -> FitResult:
    """A one-week scenario fitted to an interval export (see module docstring).

    ``history``: a DataFrame or CSV path with the columns of
    :mod:`simulator.history.columns` (``columns`` maps other names), or an already read
    :class:`IntervalHistory`. ``recent_weeks``: weeks averaged (counted back from the
    last date). ``outlier_factor``: a day off its weekday's median total by more than this
    factor is left out of the average. ``back_check_replications``: replications of the
    back-check (:mod:`simulator.history.backcheck`: the last history week simulated with its
    recorded agents, beside its recorded service) from ``seed`` when the history has an
    ``agents`` column; 0 skips it."""
    if back_check_replications < 0:
        raise InputError(f"back_check_replications: must be >= 0, got {back_check_replications}")
    if recent_weeks < 1:
        raise InputError(f"recent_weeks: must be >= 1, got {recent_weeks}")
    if not outlier_factor > 1:
        raise InputError(f"outlier_factor: must be > 1, got {outlier_factor}")
    h = (
        history
        if isinstance(history, IntervalHistory)
        else read_history(history, columns=columns, timezone=timezone)
    )
    dates = _recent(h, recent_weeks)
    notes = list(h.notes)
    deferred = deferred_channels(h, base)
    fits = {c: fit_channel(h, c, dates, outlier_factor, c in deferred) for c in h.channels}
    outliers = np.zeros(len(dates), dtype=bool)
    for fit in fits.values():
        outliers |= np.isin(np.array([h.dates[i] for i in dates]), np.array(fit.outlier_days))
    hours = _hours(h, dates, ~outliers, deferred, base, notes)
    start = start_date or next_monday(h.dates[-1])
    week = {
        c: np.array([f.volumes[(start.weekday() + d) % 7] for d in range(7)])
        for c, f in fits.items()
    }
    first, last = h.dates[int(dates[0])], h.dates[int(dates[-1])]
    method = (
        f"mean of {first} to {last} ({len(dates)} days) per weekday and interval, leaving out "
        f"days more than {outlier_factor:g}x off their weekday's median total"
    )
    for c, fit in fits.items():
        if fit.outlier_days:
            notes.append(
                f"{c}: outlier days left out of the average: "
                f"{', '.join(map(str, fit.outlier_days))}"
            )
    scenario = build_scenario(
        h,
        fits,
        week,
        hours,
        start=start,
        days=7,
        base=base,
        name=name or f"fitted from history {h.dates[0]} to {h.dates[-1]}",
        notes=notes,
    )
    report, weekday_report = _reports(h, fits, dates, hours)
    result = FitResult(
        scenario=scenario,
        history=h,
        channels=fits,
        hours=hours,
        weeks_used=(first, last),
        method=method,
        notes=tuple(notes),
        report=report,
        weekday_report=weekday_report,
    )
    if back_check_replications == 0:
        return result
    problem = back_check_problem(result)
    if problem is not None:
        return dataclasses.replace(
            result, notes=(*result.notes, f"{problem}: no comparison with recorded service")
        )
    check = back_check(result, replications=back_check_replications, seed=seed)
    return dataclasses.replace(result, back_check=check, notes=(*result.notes, *check.notes))


def deferred_channels(history: IntervalHistory, base: Scenario | None) -> frozenset[str]:
    """Channels of the history that ``base`` makes deferred work (email): only the base
    says which channel is which kind; without it every channel is fitted as a call."""
    if base is None:
        return frozenset()
    return frozenset(
        c for c in history.channels if c in base.channels and KINDS[base.channels[c].kind].deferred
    )


def _hours(
    h: IntervalHistory,
    dates: np.ndarray,
    keep: np.ndarray,
    deferred: frozenset[str],
    base: Scenario | None,
    notes: list[str],
) -> tuple[tuple[int, int] | None, ...]:
    """Opening hours per weekday: where the real-time channels' contacts arrive; with
    deferred channels only (emails arrive around the clock), where agents were staffed
    (``agents`` column), else the base scenario's hours."""
    realtime = [c for c in h.channels if c not in deferred]
    weekdays = h.weekday_of()[dates]
    if realtime:
        measure, channels = "offered", realtime
    elif "agents" in h.measures:
        measure, channels = "agents", list(h.channels)
        notes.append("opening hours: where agents were staffed (deferred channels only)")
    else:
        assert base is not None  # deferred channels come from a base
        notes.append(
            "opening hours: the base scenario's (deferred channels only and no agents "
            "column: arrivals around the clock do not say when the team works)"
        )
        return tuple(base.horizon.weekday_span(w) for w in range(7))
    total = sum(np.nan_to_num(h.data[c][measure][dates]) for c in channels)
    missing = np.all([np.isnan(h.data[c][measure][dates]) for c in channels], axis=0)
    return open_hours(h, np.where(missing, np.nan, total), weekdays, keep)


def _reports(
    h: IntervalHistory,
    fits: Mapping[str, ChannelFit],
    dates: np.ndarray,
    hours: tuple[tuple[int, int] | None, ...],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per channel: fitted values and how well they describe the kept history; per
    channel and weekday: history's mean day vs fitted day, and the hours."""
    rows, wrows = [], []
    weekdays = h.weekday_of()[dates]
    for c, fit in fits.items():
        offered = h.data[c]["offered"][dates]
        keep = ~np.isin(np.array([h.dates[i] for i in dates]), np.array(fit.outlier_days))
        predicted = fit.volumes[weekdays]
        rows.append(
            {
                "channel": c,
                "days_used": fit.days_used,
                "outlier_days": len(fit.outlier_days),
                "contacts_per_week": round(float(fit.volumes.sum()), 1),
                "plain_mean_per_week": round(float(fit.plain_volumes.sum()), 1),
                "interval_wape_in_sample": round(wape(predicted[keep], offered[keep]), 4),
                "aht_s": round(
                    float(
                        np.nansum(fit.aht_s * fit.volumes) / fit.volumes[~np.isnan(fit.aht_s)].sum()
                    ),
                    1,
                ),
                "handle_cv": None if fit.handle_cv is None else round(fit.handle_cv, 3),
                "day_cv": None if fit.day_cv is None else round(fit.day_cv, 4),
                "patience_s": None if fit.patience_s is None else round(fit.patience_s, 1),
            }
        )
        if any(f.deferred for f in fits.values()):  # the column only where it can matter
            monday = next_monday(h.dates[-1])
            rows[-1]["closed_hours_per_day"] = (
                round(closed_per_day(h, fit.volumes, monday, hours), 1) if fit.deferred else None
            )
        known = ~np.isnan(offered).all(axis=1)
        for w in range(7):
            mine = (weekdays == w) & known  # every day with data, outliers included
            totals = np.nansum(offered[mine], axis=1) if mine.any() else np.array([])
            span = hours[w]
            wrows.append(
                {
                    "channel": c,
                    "weekday": WEEKDAYS[w],
                    "hours": "closed" if span is None else f"{_clock(span[0])}-{_clock(span[1])}",
                    "history_mean_day": round(float(totals.mean()), 1) if len(totals) else 0.0,
                    "fitted_day": round(float(fit.volumes[w].sum()), 1),
                    "days": int(mine.sum()),
                    "outlier_days": int((mine & ~keep).sum()),
                }
            )
    return pd.DataFrame(rows), pd.DataFrame(wrows)


__all__ = ["ChannelFit", "FitResult", "build_scenario", "fit_history", "next_monday"]
