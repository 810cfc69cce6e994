"""An ACD / WFM interval export read onto a calendar grid, with its data problems reported.

Input: one row per interval and channel (a pandas DataFrame or a CSV file). Columns, by
their canonical names (other names via a mapping ``{canonical: name in the file}``):

* ``interval_start`` — start of the interval, local wall-clock time (``2026-09-01 08:30``
  or ISO 8601 with a UTC offset, ``2026-09-01T08:30:00+02:00``);
* ``channel`` — queue or channel name (optional: one channel, ``calls``, when absent);
* ``offered``, ``answered``, ``abandoned`` — contacts in the interval;
* ``aht_seconds`` — mean handle time of the contacts answered, **seconds**;
* optional: ``asa_seconds`` (mean wait of answered contacts, s), ``avg_abandon_seconds``
  (mean wait of abandoned contacts before they hung up, s), ``answered_within_target``,
  ``agents``.

Output: an :class:`IntervalHistory`, one (dates × intervals) array per measure and channel,
on a grid of consecutive calendar dates and intervals of the day. NaN marks *missing* data
(a day with no rows, an interval with no row between a day's first and last rows), never
zero: averages skip it. Every repair (duplicated rows, offsets, missing rows) is reported in
``notes``; impossible input raises :class:`InputError` naming the column and the row.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from simulator.errors import InputError

REQUIRED = ("interval_start", "offered", "answered", "abandoned", "aht_seconds")
OPTIONAL = (
    "channel",
    "asa_seconds",
    "avg_abandon_seconds",
    "answered_within_target",
    "agents",
)
COUNTS = ("offered", "answered", "abandoned")
MEASURES = (
    "offered",
    "answered",
    "abandoned",
    "aht_seconds",
    "asa_seconds",
    "avg_abandon_seconds",
    "answered_within_target",
    "agents",
)
DEFAULT_CHANNEL = "calls"


@dataclass(frozen=True)
class IntervalHistory:
    """The export on a grid: ``data[channel][measure]`` is a (dates, intervals) float array
    (NaN = missing). Times are seconds after midnight; dates are consecutive."""

    channels: tuple[str, ...]
    interval_minutes: int
    grid_open_s: int  # start of the first interval of the grid (seconds after midnight)
    per_day: int  # intervals in the grid of one day
    dates: tuple[dt.date, ...]
    data: dict[str, dict[str, np.ndarray]]
    measures: tuple[str, ...]  # the measures the file gave (optional ones included)
    notes: tuple[str, ...] = ()
    rows: int = 0
    missing_days: dict[str, tuple[dt.date, ...]] = field(default_factory=dict)

    @property
    def interval_s(self) -> int:
        return self.interval_minutes * 60

    def weekday_of(self) -> np.ndarray:
        """Weekday (0 = Monday) of each date."""
        return np.array([d.weekday() for d in self.dates])

    def clock(self, index: int) -> str:
        s = self.grid_open_s + index * self.interval_s
        return f"{s // 3600:02d}:{s % 3600 // 60:02d}"


def parse_columns(text: str | None) -> dict[str, str]:
    """``"interval_start=Start,offered=Calls Offered"`` -> ``{canonical: file column}``."""
    if not text:
        return {}
    mapping: dict[str, str] = {}
    for part in text.split(","):
        if "=" not in part:
            raise InputError(
                f"--columns: {part.strip()!r} is not NAME=COLUMN (e.g. offered=Calls Offered)"
            )
        key, value = (p.strip() for p in part.split("=", 1))
        mapping[key] = value
    return mapping


def read_csv(path: str | Path) -> pd.DataFrame:
    """Read a CSV export as text columns (numbers are checked column by column later)."""
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise InputError(f"{path}: not a readable CSV file ({str(exc).splitlines()[0]})") from None


def _rename(frame: pd.DataFrame, columns: Mapping[str, str] | None) -> pd.DataFrame:
    columns = dict(columns or {})
    known = set(REQUIRED) | set(OPTIONAL)
    problems = [
        f"--columns: {key!r} is not a column staffsim reads (known: {', '.join(sorted(known))})"
        for key in columns
        if key not in known
    ]
    problems += [
        f"--columns: {key}={value!r}: the file has no column {value!r} "
        f"(it has: {', '.join(map(str, frame.columns))})"
        for key, value in columns.items()
        if key in known and value not in frame.columns
    ]
    if problems:
        raise InputError(problems)
    frame = frame.rename(columns={v: k for k, v in columns.items()})
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise InputError(
            f"history: missing column {name!r} (the file has: "
            f"{', '.join(map(str, frame.columns))}); map another name with "
            f"--columns {name}=YOUR_NAME"
            for name in missing
        )
    return frame


def _numbers(frame: pd.DataFrame, column: str) -> np.ndarray:
    """A numeric column: blanks are NaN; text, negatives and infinities are errors naming
    the column and the first bad row (rows counted from 1 after the header)."""
    raw = frame[column]
    text = raw.astype(str).str.strip() if raw.dtype == object or raw.dtype == "string" else None
    values = pd.to_numeric(raw.replace("", np.nan) if text is not None else raw, errors="coerce")
    values = values.to_numpy(dtype=float)
    blank = (
        (raw.isna() | text.isin(["", "nan", "NaN", "None"])).to_numpy()
        if text is not None
        else np.isnan(values)
    )
    bad = np.flatnonzero(np.isnan(values) & ~blank)
    if len(bad):
        i = int(bad[0])
        raise InputError(
            f"history.{column}: row {i + 1}: {raw.iloc[i]!r} is not a number "
            f"({len(bad)} such row(s))"
        )
    bad = np.flatnonzero(~np.isnan(values) & ((values < 0) | ~np.isfinite(values)))
    if len(bad):
        i = int(bad[0])
        raise InputError(
            f"history.{column}: row {i + 1}: must be a finite number >= 0, got {values[i]:g}"
        )
    return values


def local_times(
    raw: pd.Series, timezone: str | None, field: str = "history.interval_start"
) -> tuple[pd.Series, list[str]]:
    """Wall-clock times at the centre (naive), and notes on how they were read.

    Strings with UTC offsets are read as local times as written (the offset dropped) unless
    ``timezone`` is given, in which case they are converted to it: exports written in UTC
    need ``timezone``. Daylight-saving changes then show as a missing or repeated hour
    (reported by the grid step), not as shifted opening hours."""
    notes: list[str] = []
    text = raw.astype(str).str.strip()
    has_offset = text.str.contains(r"(?:[+-]\d\d:?\d\d|Z)$", regex=True)
    try:
        if timezone is not None:
            stamps = pd.to_datetime(text, utc=True, format="ISO8601")
            if not has_offset.any():
                stamps = pd.to_datetime(text, format="ISO8601").dt.tz_localize(
                    timezone, ambiguous="NaT", nonexistent="NaT"
                )
            local = stamps.dt.tz_convert(timezone).dt.tz_localize(None)
            notes.append(f"timestamps converted to {timezone} local time")
        else:
            naive = text.str.replace(r"(?:[+-]\d\d:?\d\d|Z)$", "", regex=True)
            local = pd.to_datetime(naive, format="ISO8601")
            if has_offset.any():
                notes.append(
                    "timestamps carry UTC offsets: read as the local times written "
                    "(give --timezone to convert instead)"
                )
    except (ValueError, TypeError) as exc:
        bad = next(
            (i for i, v in enumerate(text) if pd.isna(pd.to_datetime(v, errors="coerce"))), 0
        )
        raise InputError(
            f"{field}: row {bad + 1}: {text.iloc[bad]!r} is not a date and "
            f"time such as 2026-09-01 08:30 ({str(exc).splitlines()[0]})"
        ) from None
    except Exception as exc:  # unknown time zone names come as several exception types
        raise InputError(f"--timezone: {timezone!r}: {exc}") from None
    if local.isna().any():
        i = int(np.flatnonzero(local.isna().to_numpy())[0])
        raise InputError(
            f"{field}: row {i + 1}: {text.iloc[i]!r} does not exist or is "
            f"ambiguous in {timezone} (a daylight-saving change)"
        )
    return local, notes


def _interval_minutes(seconds: np.ndarray, keys: pd.Series) -> int:
    """Interval length from the spacing of starts within each channel and day."""
    order = np.lexsort((seconds, keys.to_numpy()))
    s = seconds[order]
    k = keys.to_numpy()[order]
    diffs = np.diff(s)[(k[1:] == k[:-1])]
    diffs = diffs[diffs > 0]
    if not len(diffs):
        raise InputError("history.interval_start: cannot tell the interval length (one row a day)")
    step = int(np.gcd.reduce(diffs.astype(np.int64)))
    if step % 60 or step // 60 not in (15, 30, 60):
        raise InputError(
            f"history.interval_start: intervals of {step / 60:g} minutes; staffsim plans in "
            "15-, 30- or 60-minute intervals (aggregate the export first)"
        )
    return step // 60


def read_history(
    source: pd.DataFrame | str | Path,
    *,
    columns: Mapping[str, str] | None = None,
    timezone: str | None = None,
) -> IntervalHistory:
    """Validate an interval export and put it on a calendar grid (see module docstring)."""
    frame = read_csv(source) if isinstance(source, str | Path) else source.reset_index(drop=True)
    if not len(frame):
        raise InputError("history: no rows")
    frame = _rename(frame, columns)
    notes: list[str] = []
    if "channel" not in frame.columns:
        frame["channel"] = DEFAULT_CHANNEL
        notes.append(f"no channel column: one channel, named {DEFAULT_CHANNEL!r}")
    frame["channel"] = frame["channel"].astype(str).str.strip()
    if (frame["channel"] == "").any():
        i = int(np.flatnonzero((frame["channel"] == "").to_numpy())[0])
        raise InputError(f"history.channel: row {i + 1}: empty channel name")
    measures = tuple(m for m in MEASURES if m in frame.columns)
    values = {m: _numbers(frame, m) for m in measures}
    for m in COUNTS:
        if np.isnan(values[m]).any():
            i = int(np.flatnonzero(np.isnan(values[m]))[0])
            raise InputError(f"history.{m}: row {i + 1}: empty (counts must be given)")
    over = np.flatnonzero(values["answered"] + values["abandoned"] > values["offered"] + 0.5)
    if len(over):
        notes.append(
            f"{len(over)} row(s) with answered + abandoned > offered (first: row "
            f"{int(over[0]) + 1}); kept as given"
        )
    local, time_notes = local_times(frame["interval_start"], timezone)
    notes += time_notes
    dates = local.dt.normalize()
    seconds = (local - dates).dt.total_seconds().to_numpy()
    day_key = frame["channel"] + "|" + dates.dt.strftime("%Y-%m-%d")
    minutes = _interval_minutes(seconds, day_key)
    step = minutes * 60
    offset = int(seconds.min()) % step
    if np.any((seconds.astype(np.int64) - offset) % step):
        i = int(np.flatnonzero((seconds.astype(np.int64) - offset) % step)[0])
        raise InputError(
            f"history.interval_start: row {i + 1}: {frame['interval_start'].iloc[i]!r} is off "
            f"the {minutes}-minute grid of the other rows"
        )
    grid_open = int(seconds.min())
    grid_close = int(seconds.max()) + step
    per_day = (grid_close - grid_open) // step
    first, last = dates.min().date(), dates.max().date()
    all_dates = tuple(first + dt.timedelta(days=i) for i in range((last - first).days + 1))
    day_index = ((dates - pd.Timestamp(first)).dt.days).to_numpy()
    slot = ((seconds - grid_open) // step).astype(int)

    # duplicated rows: identical ones dropped, conflicting ones (a repeated DST hour) added
    keyframe = pd.DataFrame({"c": frame["channel"], "d": day_index, "k": slot})
    numbers = pd.DataFrame(values)
    exact = pd.concat([keyframe, numbers], axis=1).duplicated()
    if exact.any():
        notes.append(f"{int(exact.sum())} duplicated row(s) (same interval, same values) dropped")
    keep = ~exact.to_numpy()
    keyframe, numbers = keyframe[keep], numbers[keep]
    repeated = keyframe.duplicated(keep=False).to_numpy()
    if repeated.any():
        shown = keyframe[repeated].iloc[0]
        notes.append(
            f"{int(keyframe[repeated].duplicated().sum())} interval(s) given twice with "
            f"different values (first: {shown.c} {all_dates[shown.d]} "
            f"{_clock(grid_open + shown.k * step)}; e.g. the hour repeated when clocks go "
            "back): counts added, times weighted"
        )
    channels = tuple(dict.fromkeys(keyframe["c"]))
    data: dict[str, dict[str, np.ndarray]] = {}
    missing_days: dict[str, tuple[dt.date, ...]] = {}
    shape = (len(all_dates), per_day)
    for name in channels:
        rows = (keyframe["c"] == name).to_numpy()
        d = keyframe["d"].to_numpy()[rows]
        k = keyframe["k"].to_numpy()[rows]
        arrays: dict[str, np.ndarray] = {}
        present = np.zeros(shape, dtype=bool)
        present[d, k] = True
        for m in (*COUNTS, "answered_within_target", "agents"):
            if m in numbers:
                grid = np.zeros(shape)
                np.add.at(grid, (d, k), np.nan_to_num(numbers[m].to_numpy()[rows]))
                arrays[m] = grid
        # mean times: weighted by the contacts they average over
        for m, weight in (
            ("aht_seconds", "answered"),
            ("asa_seconds", "answered"),
            ("avg_abandon_seconds", "abandoned"),
        ):
            if m not in numbers:
                continue
            w = numbers[weight].to_numpy()[rows]
            v = numbers[m].to_numpy()[rows]
            ok = ~np.isnan(v) & (w > 0)
            total = np.zeros(shape)
            weights = np.zeros(shape)
            np.add.at(total, (d[ok], k[ok]), v[ok] * w[ok])
            np.add.at(weights, (d[ok], k[ok]), w[ok])
            with np.errstate(invalid="ignore", divide="ignore"):
                arrays[m] = np.where(weights > 0, total / weights, np.nan)
        # missing: a day without rows; an interval without a row inside a day's rows
        gaps = 0
        first_gap = None
        for day in range(shape[0]):
            cols = np.flatnonzero(present[day])
            if not len(cols):
                continue
            inside = np.zeros(per_day, dtype=bool)
            inside[cols[0] : cols[-1] + 1] = True
            hole = inside & ~present[day]
            if hole.any():
                gaps += int(hole.sum())
                if first_gap is None:
                    first_gap = (day, int(np.flatnonzero(hole)[0]))
                for m in arrays:
                    arrays[m][day, hole] = np.nan
        if gaps:
            day, k0 = first_gap  # type: ignore[misc]
            notes.append(
                f"{name}: {gaps} interval(s) missing inside a day's rows (first: "
                f"{all_dates[day]} {_clock(grid_open + k0 * step)}); treated as no data"
            )
        no_rows = ~present.any(axis=1)
        weekdays = np.array([x.weekday() for x in all_dates])
        seen = {int(w) for w in weekdays[~no_rows]}
        lost = [all_dates[i] for i in np.flatnonzero(no_rows) if int(weekdays[i]) in seen]
        for i in np.flatnonzero(no_rows):
            if int(weekdays[i]) in seen:
                for m in arrays:
                    arrays[m][i] = np.nan
        if lost:
            missing_days[name] = tuple(lost)
            notes.append(
                f"{name}: {len(lost)} day(s) without rows on a weekday that is open in other "
                f"weeks ({', '.join(map(str, lost[:5]))}{', ...' if len(lost) > 5 else ''}); "
                "treated as no data"
            )
        data[name] = arrays
    return IntervalHistory(
        channels=channels,
        interval_minutes=minutes,
        grid_open_s=grid_open,
        per_day=per_day,
        dates=all_dates,
        data=data,
        measures=measures,
        notes=tuple(notes),
        rows=len(frame),
        missing_days=missing_days,
    )


def _clock(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}"


def wape(forecast: np.ndarray, actual: np.ndarray) -> float:
    """Weighted absolute percentage error: sum |F - A| / sum A over cells known in both."""
    ok = ~(np.isnan(forecast) | np.isnan(actual))
    total = float(actual[ok].sum())
    return float(np.abs(forecast[ok] - actual[ok]).sum() / total) if total > 0 else math.nan


def bias(forecast: np.ndarray, actual: np.ndarray) -> float:
    """Relative bias: sum (F - A) / sum A (positive = over-forecast)."""
    ok = ~(np.isnan(forecast) | np.isnan(actual))
    total = float(actual[ok].sum())
    return float((forecast[ok] - actual[ok]).sum() / total) if total > 0 else math.nan


__all__ = [
    "DEFAULT_CHANNEL",
    "OPTIONAL",
    "REQUIRED",
    "IntervalHistory",
    "bias",
    "parse_columns",
    "read_csv",
    "read_history",
    "wape",
]
