"""Opening hours by weekday and handle time by interval on the Scenario page.

* :func:`hours_text` — the week's hours in one line (``Mon–Fri 08:00–20:00 · Sat
  09:00–14:00 · Sun closed``) for the summary;
* :func:`editor` — a form over ``horizon.start_date`` and ``horizon.hours`` (closed days);
* :func:`handle_time_chart` — the per-interval handle-time means
  (``handle_time_means_seconds``), closed intervals as gaps.

Thin: the scenario model validates (hours on the grid, open before close, one day open); a
refused change is shown under the form naming the field.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from app_pages import _charts, _shared
from app_pages._editors import apply
from simulator import InputError, Scenario
from simulator.clock import clock_label
from simulator.horizon import WEEKDAYS

NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _span_text(span: tuple[int, int] | None) -> str:
    return "closed" if span is None else f"{clock_label(span[0])}–{clock_label(span[1])}"


def hours_text(horizon: Any) -> str:
    """The week's opening hours, runs of equal weekdays joined: ``Mon–Fri 08:00–20:00 ·
    Sat 09:00–14:00 · Sun closed``; ``08:00–20:00 every day`` without weekday hours."""
    if horizon.hours is None:
        return f"{horizon.open}–{horizon.close} every day"
    spans = [horizon.weekday_span(w) for w in range(7)]
    parts, first = [], 0
    for w in range(1, 8):
        if w == 7 or spans[w] != spans[first]:
            days = NAMES[first] if w - 1 == first else f"{NAMES[first]}–{NAMES[w - 1]}"
            parts.append(f"{days} {_span_text(spans[first])}")
            first = w
    return " · ".join(parts)


def _table(scenario: Scenario) -> pd.DataFrame:
    h = scenario.horizon
    rows = []
    for w in range(7):
        span = h.weekday_span(w)
        rows.append(
            {
                "weekday": NAMES[w],
                "open": clock_label(span[0]) if span else h.open,
                "close": clock_label(span[1]) if span else h.close,
                "closed": span is None,
            }
        )
    return pd.DataFrame(rows)


def _hours_value(edited: pd.DataFrame, scenario: Scenario) -> tuple[Any, list[str]]:
    """``horizon.hours`` from the edited table (None when every day keeps ``open``–``close``),
    or the problems of empty cells."""
    h = scenario.horizon
    value: dict[str, Any] = {}
    problems = []
    for w, row in enumerate(edited.itertuples(index=False)):
        if bool(row.closed):
            value[WEEKDAYS[w]] = "closed"
            continue
        opened, closed = (str(v or "").strip() for v in (row.open, row.close))
        if not opened or not closed:
            problems.append(
                f"horizon.hours.{WEEKDAYS[w]}: give open and close (HH:MM) or tick closed"
            )
            continue
        value[WEEKDAYS[w]] = {"open": opened, "close": closed}
    if problems:
        return None, problems
    if all(v == {"open": h.open, "close": h.close} for v in value.values()) and len(value) == 7:
        return None, []
    return value, []


def editor(scenario: Scenario, version: int) -> None:
    """The opening-hours form: the calendar date of day 0 and each weekday's hours."""
    h = scenario.horizon
    st.markdown(
        "Opening hours **by weekday** (tick *closed* for a day without service) and the date "
        "of day 0, which names each day's weekday. The day's interval grid runs from the "
        "earliest opening to the latest closing: widening it changes how many intervals a "
        "day has, so per-interval lists (volumes, staffing) must then be edited in YAML."
    )
    st.caption(
        f"Now: {hours_text(h)}"
        + (f" · day 0 = {h.start_date:%a %-d %b %Y}" if h.start_date else "")
    )
    with st.form("hours-form", border=False):
        left, right = st.columns([3, 1])
        with left:
            table = _table(scenario)
            edited = _shared.data_editor(
                table,
                key=f"hours-{version}",
                hide_index=True,
                disabled=["weekday"],
                column_config={
                    "open": st.column_config.TextColumn("open", help="HH:MM", max_chars=5),
                    "close": st.column_config.TextColumn("close", help="HH:MM", max_chars=5),
                    "closed": st.column_config.CheckboxColumn("closed"),
                },
                width="stretch",
            )
        with right:
            dated = st.checkbox(
                "Day 0 has a date", value=h.start_date is not None, key=f"hours-dated-{version}"
            )
            start = st.date_input(
                "Date of day 0",
                value=h.start_date or dt.date.today(),
                key=f"hours-date-{version}",
                help="Without a date, day 0 is a Monday.",
            )
        submitted = st.form_submit_button("Apply opening hours", type="primary")
    if not submitted:
        return
    hours, problems = _hours_value(edited, scenario)
    if problems:
        _shared.show_problems(InputError(problems), "Opening hours not applied")
        return
    changes: dict[str, Any] = {}
    if not edited.equals(table):
        changes["horizon.hours"] = hours
    new_start = start if dated else None
    if new_start != h.start_date:
        changes["horizon.start_date"] = None if new_start is None else new_start.isoformat()
    apply(changes, "Opening hours")


def handle_time_profile(scenario: Scenario) -> pd.DataFrame:
    """Long table (channel, day, interval, start, handle_s) of the channels with
    ``handle_time_means_seconds``; closed intervals NaN (gaps in the chart)."""
    h = scenario.horizon
    mask = h.open_mask()
    rows = []
    for name, ch in scenario.channels.items():
        means = ch.handle_time_means_seconds
        if means is None:
            continue
        grid = np.asarray(means, dtype=float)
        if grid.ndim == 1:
            grid = np.tile(grid, (h.days, 1))
        grid = np.where(mask, grid, np.nan)
        for d in range(h.days):
            for i in range(h.intervals_per_day):
                rows.append((name, d, i, h.interval_label(i), grid[d, i]))
    return pd.DataFrame(rows, columns=["channel", "day", "interval", "start", "handle_s"])


def handle_time_chart(scenario: Scenario) -> None:
    """The handle-time profile, when a channel has one."""
    profile = handle_time_profile(scenario)
    if profile.empty:
        return
    st.markdown(
        "**Mean handle time per interval** (`handle_time_means_seconds`; the distribution "
        "above gives the shape around each mean). Edit the lists in YAML."
    )
    st.altair_chart(
        _charts.day_curve(profile, scenario.horizon, "handle_s", "mean handle time (s)", "channel"),
        width="stretch",
    )


__all__ = ["editor", "handle_time_chart", "handle_time_profile", "hours_text"]
