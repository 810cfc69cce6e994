"""Per-contact records in: handle-time distribution by maximum likelihood, censored patience.

Input: one row per contact with ``arrival_time`` (local time, as in interval exports),
``channel`` (optional), ``wait_seconds`` (time queued until answered or abandoned),
``outcome`` (``answered`` or ``abandoned``) and ``handle_seconds`` (answered contacts).

* The records are counted into intervals (``interval_minutes``) — offered, answered,
  abandoned, mean handle time and mean waits — and fitted like an interval export
  (:func:`simulator.history.fit.fit_history`): volumes, handle-time means per interval,
  day-to-day variation, opening hours.
* **Handle-time shape**: lognormal, gamma and exponential fitted by maximum likelihood
  (``scipy.stats``, location 0) to the handle times divided by their weekday × interval
  mean (so the time-of-day swing of the means, which the scenario keeps per interval, does
  not pass for spread); the smallest AIC (2k − 2 log L) wins and gives the channel's
  distribution and cv.
* **Patience**: answered customers' patience is *censored* at their wait (they would have
  waited at least that long). The exponential MLE is total waiting time / abandoned; the
  Kaplan-Meier estimate (``scipy.stats.ecdf`` on ``CensoredData``) gives the median without
  assuming a shape, reported beside it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from simulator.errors import InputError
from simulator.history.columns import DEFAULT_CHANNEL, local_times, read_csv, read_history
from simulator.history.fit import FitResult, fit_history
from simulator.scenario import Scenario

CONTACT_COLUMNS = ("arrival_time", "wait_seconds", "outcome", "handle_seconds")
OUTCOMES = ("answered", "abandoned")
SHAPES = ("lognormal", "gamma", "exponential")


@dataclass(frozen=True)
class ShapeFit:
    """One maximum-likelihood fit of handle times (seconds)."""

    distribution: str
    mean_s: float
    cv: float
    log_likelihood: float
    parameters: int

    @property
    def aic(self) -> float:
        return 2 * self.parameters - 2 * self.log_likelihood


def fit_shapes(samples: np.ndarray) -> list[ShapeFit]:
    """Lognormal, gamma and exponential by maximum likelihood, best AIC first."""
    x = np.asarray(samples, dtype=float)
    x = x[x > 0]
    if len(x) < 10:
        raise InputError(f"handle_seconds: {len(x)} positive handle times; need at least 10")
    fits = []
    s, _, scale = stats.lognorm.fit(x, floc=0)
    fits.append(
        ShapeFit(
            "lognormal",
            float(scale * math.exp(s * s / 2)),
            float(math.sqrt(math.expm1(s * s))),
            float(stats.lognorm.logpdf(x, s, 0, scale).sum()),
            2,
        )
    )
    a, _, scale = stats.gamma.fit(x, floc=0)
    fits.append(
        ShapeFit(
            "gamma",
            float(a * scale),
            float(1 / math.sqrt(a)),
            float(stats.gamma.logpdf(x, a, 0, scale).sum()),
            2,
        )
    )
    mean = float(x.mean())  # the exponential MLE
    fits.append(ShapeFit("exponential", mean, 1.0, float(stats.expon.logpdf(x, 0, mean).sum()), 1))
    return sorted(fits, key=lambda f: f.aic)


@dataclass(frozen=True)
class PatienceFit:
    """Censored patience estimates, seconds."""

    exponential_mean_s: float | None
    km_median_s: float | None
    abandoned: int
    answered: int


def fit_patience(waits: np.ndarray, abandoned: np.ndarray) -> PatienceFit:
    """Exponential MLE (total wait / abandoned) and the Kaplan-Meier median of patience,
    answered waits right-censored."""
    waits = np.asarray(waits, dtype=float)
    gone = np.asarray(abandoned, dtype=bool)
    n_gone = int(gone.sum())
    if n_gone == 0:
        return PatienceFit(None, None, 0, int((~gone).sum()))
    mle = float(waits.sum() / n_gone)
    data = stats.CensoredData(uncensored=waits[gone], right=waits[~gone])
    survival = stats.ecdf(data).sf
    below = np.flatnonzero(survival.probabilities <= 0.5)
    median = float(survival.quantiles[below[0]]) if len(below) else None
    return PatienceFit(mle, median, n_gone, int((~gone).sum()))


def read_contacts(
    source: pd.DataFrame | str | Path,
    columns: Mapping[str, str] | None = None,
    timezone: str | None = None,
) -> pd.DataFrame:
    """Validated contact records: arrival (naive local time), channel, wait, outcome,
    handle (NaN for abandoned). Arrival times with UTC offsets are read as the local times
    written, or converted to ``timezone`` when given (as for interval exports); the notes
    on how they were read are in ``frame.attrs["notes"]``."""
    frame = read_csv(source) if isinstance(source, str | Path) else source.reset_index(drop=True)
    if not len(frame):
        raise InputError("contacts: no rows")
    mapping = dict(columns or {})
    known = {*CONTACT_COLUMNS, "channel"}
    bad = [k for k in mapping if k not in known]
    if bad:
        raise InputError(
            f"--columns: {k!r} is not a contact column (known: {', '.join(sorted(known))})"
            for k in bad
        )
    frame = frame.rename(columns={v: k for k, v in mapping.items()})
    missing = [c for c in CONTACT_COLUMNS if c not in frame.columns]
    if missing:
        raise InputError(
            f"contacts: missing column {c!r} (the file has: {', '.join(map(str, frame.columns))})"
            f"; map another name with --columns {c}=YOUR_NAME"
            for c in missing
        )
    outcome = frame["outcome"].astype(str).str.strip().str.lower()
    wrong = ~outcome.isin(OUTCOMES)
    if wrong.any():
        i = int(np.flatnonzero(wrong.to_numpy())[0])
        raise InputError(
            f"contacts.outcome: row {i + 1}: {frame['outcome'].iloc[i]!r} is not answered or "
            "abandoned"
        )
    out = pd.DataFrame({"outcome": outcome})
    for column in ("wait_seconds", "handle_seconds"):
        raw = frame[column].astype(str).str.strip()
        blank = frame[column].isna() | raw.isin(["", "nan", "NaN", "None"])
        values = pd.to_numeric(raw.mask(blank), errors="coerce")
        bad_rows = np.flatnonzero((values.isna() & ~blank).to_numpy())
        if len(bad_rows):
            i = int(bad_rows[0])
            raise InputError(f"contacts.{column}: row {i + 1}: {raw.iloc[i]!r} is not a number")
        negative = np.flatnonzero((values < 0).to_numpy())
        if len(negative):
            i = int(negative[0])
            raise InputError(f"contacts.{column}: row {i + 1}: must be >= 0, got {values.iloc[i]}")
        out[column] = values.to_numpy()
    if out["wait_seconds"].isna().any():
        i = int(np.flatnonzero(out["wait_seconds"].isna().to_numpy())[0])
        raise InputError(f"contacts.wait_seconds: row {i + 1}: empty")
    answered = (out["outcome"] == "answered").to_numpy()
    no_handle = answered & out["handle_seconds"].isna().to_numpy()
    if no_handle.any():
        i = int(np.flatnonzero(no_handle)[0])
        raise InputError(f"contacts.handle_seconds: row {i + 1}: empty for an answered contact")
    arrival, notes = local_times(frame["arrival_time"], timezone, "contacts.arrival_time")
    out["arrival"] = arrival.to_numpy()
    out["channel"] = (
        frame["channel"].astype(str).str.strip() if "channel" in frame else DEFAULT_CHANNEL
    )
    out.attrs["notes"] = notes
    return out


def contacts_to_intervals(contacts: pd.DataFrame, interval_minutes: int) -> pd.DataFrame:
    """An interval export of the records: every interval from each day's first to its last
    contact gets a row (0 where nobody came)."""
    if interval_minutes not in (15, 30, 60):
        raise InputError(f"--interval-minutes: must be 15, 30 or 60, got {interval_minutes}")
    step = pd.Timedelta(minutes=interval_minutes)
    c = contacts.assign(start=contacts["arrival"].dt.floor(step))
    c["answered"] = (c["outcome"] == "answered").astype(int)
    c["abandoned"] = 1 - c["answered"]
    c["handle_answered"] = np.where(c["answered"] == 1, c["handle_seconds"], 0.0)
    c["wait_answered"] = np.where(c["answered"] == 1, c["wait_seconds"], 0.0)
    c["wait_abandoned"] = np.where(c["answered"] == 0, c["wait_seconds"], 0.0)
    g = c.groupby(["channel", "start"]).agg(
        offered=("outcome", "size"),
        answered=("answered", "sum"),
        abandoned=("abandoned", "sum"),
        handle=("handle_answered", "sum"),
        wait_answered=("wait_answered", "sum"),
        wait_abandoned=("wait_abandoned", "sum"),
    )
    rows = []
    for channel, part in g.groupby(level="channel"):
        part = part.droplevel("channel")
        days = part.index.normalize()
        for _, day in part.groupby(days):
            full = pd.date_range(day.index.min(), day.index.max(), freq=step)
            rows.append(day.reindex(full, fill_value=0).assign(channel=channel))
    frame = pd.concat(rows).rename_axis("interval_start").reset_index()
    with np.errstate(invalid="ignore", divide="ignore"):
        frame["aht_seconds"] = np.where(
            frame.answered > 0, frame.handle / frame.answered.where(frame.answered > 0), np.nan
        )
        frame["asa_seconds"] = np.where(
            frame.answered > 0, frame.wait_answered / frame.answered.where(frame.answered > 0), 0
        )
        frame["avg_abandon_seconds"] = np.where(
            frame.abandoned > 0,
            frame.wait_abandoned / frame.abandoned.where(frame.abandoned > 0),
            np.nan,
        )
    frame["interval_start"] = frame["interval_start"].dt.strftime("%Y-%m-%d %H:%M")
    return frame[
        [
            "interval_start",
            "channel",
            "offered",
            "answered",
            "abandoned",
            "aht_seconds",
            "asa_seconds",
            "avg_abandon_seconds",
        ]
    ]


@dataclass(frozen=True)
class ContactFit:
    """The interval fit with the per-contact estimates put in, and their tables."""

    fit: FitResult
    shapes: pd.DataFrame  # channel, distribution, mean_s, cv, log_likelihood, aic, chosen
    patience: pd.DataFrame  # channel, exponential_mean_s, km_median_s, abandoned, answered

    @property
    def scenario(self) -> Scenario:
        return self.fit.scenario


def _relative_handle(answered: pd.DataFrame, fitted: FitResult, channel: str) -> np.ndarray:
    """Handle times divided by their weekday x interval's fitted mean, times the overall
    mean: the shape without the time-of-day swing of the means (which the scenario carries
    in ``handle_time_means_seconds``), on the channel's scale."""
    h = fitted.history
    means = fitted.channels[channel].aht_s
    arrival = answered["arrival"]
    seconds = (arrival - arrival.dt.normalize()).dt.total_seconds().to_numpy()
    k = ((seconds - h.grid_open_s) // h.interval_s).astype(int)
    w = arrival.dt.day_of_week.to_numpy()
    inside = (k >= 0) & (k < means.shape[1])
    own = np.full(len(k), np.nan)
    own[inside] = means[w[inside], k[inside]]
    x = answered["handle_seconds"].to_numpy(dtype=float)
    ok = ~np.isnan(own) & (own > 0)
    overall = float(x[ok].mean()) if ok.any() else float(x.mean())
    return np.where(ok, x / np.where(ok, own, 1.0) * overall, x)


def fit_contacts(
    source: pd.DataFrame | str | Path,
    *,
    interval_minutes: int = 30,
    columns: Mapping[str, str] | None = None,
    base: Scenario | None = None,
    recent_weeks: int = 8,
    timezone: str | None = None,
) -> ContactFit:
    """A one-week scenario from per-contact records (see module docstring); ``timezone``
    converts arrival times with UTC offsets to that zone's local time."""
    contacts = read_contacts(source, columns, timezone)
    history = read_history(contacts_to_intervals(contacts, interval_minutes))
    fitted = fit_history(
        history, base=base, recent_weeks=recent_weeks, back_check_replications=0
    )  # records have no agents column
    shape_rows, patience_rows, changes = [], [], {}
    for name, part in contacts.groupby("channel", sort=False):
        answered = part["outcome"] == "answered"
        fits = fit_shapes(_relative_handle(part[answered], fitted, name))
        for i, f in enumerate(fits):
            shape_rows.append(
                {
                    "channel": name,
                    "distribution": f.distribution,
                    "mean_s": round(f.mean_s, 1),
                    "cv": round(f.cv, 3),
                    "log_likelihood": round(f.log_likelihood, 1),
                    "aic": round(f.aic, 1),
                    "chosen": i == 0,
                }
            )
        best = fits[0]
        current = fitted.scenario.channels[name].handle_time
        shape: dict = {"distribution": best.distribution, "mean_seconds": current.mean_s}
        if best.distribution != "exponential":
            shape["cv"] = round(best.cv, 3)
        changes[f"channels.{name}.handle_time"] = shape
        p = fit_patience(part["wait_seconds"].to_numpy(), ~answered.to_numpy())
        patience_rows.append(
            {
                "channel": name,
                "exponential_mean_s": None
                if p.exponential_mean_s is None
                else round(p.exponential_mean_s, 1),
                "km_median_s": None if p.km_median_s is None else round(p.km_median_s, 1),
                "abandoned": p.abandoned,
                "answered": p.answered,
            }
        )
    scenario = fitted.scenario.with_changes(changes)
    notes = (
        *contacts.attrs.get("notes", ()),
        *fitted.notes,
        "handle-time shape per channel: the smallest AIC among " + ", ".join(SHAPES),
    )
    fitted = FitResult(
        scenario=scenario,
        history=fitted.history,
        channels=fitted.channels,
        hours=fitted.hours,
        weeks_used=fitted.weeks_used,
        method=fitted.method,
        notes=notes,
        report=fitted.report,
        weekday_report=fitted.weekday_report,
    )
    return ContactFit(fitted, pd.DataFrame(shape_rows), pd.DataFrame(patience_rows))


__all__ = [
    "ContactFit",
    "PatienceFit",
    "ShapeFit",
    "contacts_to_intervals",
    "fit_contacts",
    "fit_patience",
    "fit_shapes",
    "read_contacts",
]
