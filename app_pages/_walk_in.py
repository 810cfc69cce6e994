"""The scenario page's "Channel hours & counters" forms: each real-time channel's own opening
hours, the balking of walk-in counters, and adding a walk-in counter.

The table <-> scenario mapping is plain functions (:func:`hours_table`,
:func:`hours_changes`, :func:`balking_table`, :func:`balking_changes`,
:func:`with_counter`), tested without Streamlit; the forms only read widgets and apply.
Validation is the scenario's: a bad cell comes back as the field's own error.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
import streamlit as st
import yaml

from app_pages import _charts, _shared
from simulator import InputError, Scenario
from simulator.channels import KINDS
from simulator.horizon import WEEKDAYS

DAY_COLUMNS = list(WEEKDAYS)
"""Weekday columns of the hours table (``mon`` … ``sun``), from the horizon model."""
WALK_IN = "walk_in"


# --------------------------------------------------------------------------------------
# Opening hours by channel
# --------------------------------------------------------------------------------------
def _span_text(value: Any) -> str:
    if value is None:
        return ""
    if value == "closed":
        return "closed"
    return f"{value.open}-{value.close}"


def hours_table(scenario: Scenario) -> pd.DataFrame:
    """One row per real-time channel: its default ``open``/``close`` and each weekday's
    hours as text (``09:00-12:00``, ``closed``, or empty: the default)."""
    rows = []
    for name, ch in scenario.channels.items():
        if not KINDS[ch.kind].realtime:
            continue
        hours = ch.hours
        row: dict[str, Any] = {
            "channel": name,
            "kind": ch.kind,
            "open": hours.open if hours is not None and hours.open else "",
            "close": hours.close if hours is not None and hours.close else "",
        }
        for day in DAY_COLUMNS:
            row[day] = _span_text(getattr(hours, day) if hours is not None else None)
        rows.append(row)
    return pd.DataFrame(rows, columns=["channel", "kind", "open", "close", *DAY_COLUMNS])


def _day_value(text: str, where: str) -> tuple[Any, list[str]]:
    """A weekday cell: empty (the default), ``closed``, or ``HH:MM-HH:MM``."""
    text = (text or "").strip()
    if not text:
        return None, []
    if text.lower() == "closed":
        return "closed", []
    parts = [p.strip() for p in text.split("-")]
    if len(parts) != 2:
        return None, [f"{where}: write HH:MM-HH:MM, closed, or leave it empty; got {text!r}"]
    return {"open": parts[0], "close": parts[1]}, []


def hours_changes(before: pd.DataFrame, after: pd.DataFrame) -> tuple[dict[str, Any], list[str]]:
    """Dotted-path changes (``channels.<c>.hours``) for the rows that changed; a row left
    all empty removes the channel's own hours (the centre's hours again)."""
    changes: dict[str, Any] = {}
    problems: list[str] = []
    for (_, old), (_, new) in zip(before.iterrows(), after.iterrows(), strict=True):
        cells = ["open", "close", *DAY_COLUMNS]
        if all(str(old[c] or "") == str(new[c] or "") for c in cells):
            continue
        where = f"channels.{old['channel']}.hours"
        hours: dict[str, Any] = {}
        for key in ("open", "close"):
            if str(new[key] or "").strip():
                hours[key] = str(new[key]).strip()
        for day in DAY_COLUMNS:
            value, wrong = _day_value(str(new[day] or ""), f"{where}.{day}")
            problems += wrong
            if value is not None:
                hours[day] = value
        changes[where] = hours or None
    return changes, problems


# --------------------------------------------------------------------------------------
# Balking of walk-in counters
# --------------------------------------------------------------------------------------
def balking_table(scenario: Scenario) -> pd.DataFrame:
    """One row per walk-in counter: its balking rule (the linear one, or the probabilities
    as text) and its ``max_balk_rate`` target in percent."""
    rows = []
    for name, ch in scenario.channels.items():
        if ch.kind != WALK_IN:
            continue
        b = ch.balking
        target = ch.targets.max_balk_rate
        rows.append(
            {
                "channel": name,
                "nobody leaves a line of (or fewer)": (
                    float(b.from_length)
                    if b is not None and b.from_length is not None
                    else math.nan
                ),
                "everybody leaves a line of (or more)": (
                    float(b.all_at_length)
                    if b is not None and b.all_at_length is not None
                    else math.nan
                ),
                "or: probabilities by line length": (
                    ", ".join(f"{p:g}" for p in b.probabilities)
                    if b is not None and b.probabilities is not None
                    else ""
                ),
                "max balk (%)": math.nan if target is None else target * 100,
            }
        )
    return pd.DataFrame(rows)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value == ""


def balking_changes(before: pd.DataFrame, after: pd.DataFrame) -> tuple[dict[str, Any], list[str]]:
    """Changes to ``channels.<c>.balking`` and ``channels.<c>.targets.max_balk_rate``."""
    changes: dict[str, Any] = {}
    problems: list[str] = []
    columns = list(before.columns[1:4])
    for (_, old), (_, new) in zip(before.iterrows(), after.iterrows(), strict=True):
        base = f"channels.{old['channel']}"
        if any(not (_blank(old[c]) and _blank(new[c])) and old[c] != new[c] for c in columns):
            low, high, table = (new[c] for c in columns)
            balking: dict[str, Any] | None = None
            if not _blank(table):
                try:
                    probabilities = [float(x) for x in str(table).replace(";", ",").split(",")]
                except ValueError:
                    problems.append(
                        f"{base}.balking.probabilities: write numbers separated by commas, "
                        f"got {table!r}"
                    )
                    continue
                balking = {"probabilities": probabilities}
                if not (_blank(low) and _blank(high)):  # both forms: the scenario says which
                    balking |= {
                        "from_length": None if _blank(low) else int(low),
                        "all_at_length": None if _blank(high) else int(high),
                    }
            elif not (_blank(low) and _blank(high)):
                balking = {
                    key: int(v) if not _blank(v) else None
                    for key, v in (("from_length", low), ("all_at_length", high))
                }
            changes[f"{base}.balking"] = balking
        old_t, new_t = old["max balk (%)"], new["max balk (%)"]
        if not (_blank(old_t) and _blank(new_t)) and old_t != new_t:
            changes[f"{base}.targets.max_balk_rate"] = None if _blank(new_t) else new_t / 100
    return changes, problems


# --------------------------------------------------------------------------------------
# Adding a counter
# --------------------------------------------------------------------------------------
def with_counter(
    scenario: Scenario,
    name: str,
    *,
    customers_per_hour: float,
    service_minutes: float,
    patience_minutes: float | None,
    open_: str,
    close: str,
    from_length: int,
    all_at_length: int,
    groups: list[str],
) -> Scenario:
    """The scenario with a new walk-in counter ``name`` served by ``groups`` (factor 1,
    FCR 1): exponential service and patience of the given means, its own hours, linear
    balking. Raises :class:`InputError` naming the field when something does not fit."""
    data = scenario.to_dict()
    if name in data["channels"]:
        raise InputError(f"channels.{name}: a channel of that name exists already")
    if not groups:
        raise InputError(f"channels.{name}: choose at least one agent group to serve it")
    channel: dict[str, Any] = {
        "kind": WALK_IN,
        "hours": {"open": open_, "close": close},
        "arrivals": {"rate_per_hour": customers_per_hour},
        "handle_time": {"distribution": "exponential", "mean_seconds": service_minutes * 60},
        "balking": {"from_length": from_length, "all_at_length": all_at_length},
    }
    if patience_minutes:
        channel["patience"] = {"distribution": "exponential", "mean_seconds": patience_minutes * 60}
    data["channels"][name] = channel
    for group in groups:
        data["agent_groups"][group]["skills"][name] = {"handle_time_factor": 1.0, "fcr": 1.0}
    return Scenario.from_dict(data, source="scenario with a new counter")


# --------------------------------------------------------------------------------------
# The forms
# --------------------------------------------------------------------------------------
def _apply(changes: dict[str, Any], problems: list[str], what: str) -> None:
    from app_pages._editors import apply

    if problems:
        _shared.show_problems(InputError(problems), f"{what} not applied")
        return
    apply(changes, what)


def render(scenario: Scenario, version: int) -> None:
    """The "Channel hours & counters" tab."""
    st.markdown(
        "**Opening hours by channel.** Empty cells keep the default: a weekday without its own "
        "hours takes the channel's *open*–*close* (within the centre's hours that day), and a "
        "channel without any keeps the centre's hours. Write `09:00-12:00` or `closed`. "
        "Customers come only while the channel is open; those waiting at its closing are "
        "still served. Email keeps its team's hours (agent group staffing)."
    )
    table = hours_table(scenario)
    with st.form("channel-hours-form", border=False):
        edited = _shared.data_editor(
            table,
            key=f"channel-hours-{version}",
            hide_index=True,
            disabled=["channel", "kind"],
            column_config={
                c: st.column_config.TextColumn() for c in ["open", "close", *DAY_COLUMNS]
            },
            width="stretch",
        )
        submitted = st.form_submit_button("Apply channel hours", type="primary")
    if submitted:
        _apply(*hours_changes(table, edited), "Opening hours")

    counters = balking_table(scenario)
    st.markdown(
        "**Balking at walk-in counters.** A customer who finds every agent busy looks at the "
        "line and may leave at once: nobody leaves a short line, everybody a long one, "
        "linearly in between — or give the probability of leaving for a line of 0, 1, 2, … "
        "waiting (the last one holds for longer lines). Balked customers are lost customers."
    )
    if counters.empty:
        st.caption("This scenario has no walk-in counter: add one below.")
    else:
        with st.form("balking-form", border=False):
            edited_b = _shared.data_editor(
                counters,
                key=f"balking-{version}",
                hide_index=True,
                disabled=["channel"],
                column_config={
                    "nobody leaves a line of (or fewer)": st.column_config.NumberColumn(
                        min_value=0, step=1, format="%d"
                    ),
                    "everybody leaves a line of (or more)": st.column_config.NumberColumn(
                        min_value=1, step=1, format="%d"
                    ),
                    "max balk (%)": st.column_config.NumberColumn(
                        min_value=0.0, max_value=100.0, format="%.1f"
                    ),
                },
                width="stretch",
            )
            submitted_b = st.form_submit_button("Apply balking", type="primary")
        if submitted_b:
            _apply(*balking_changes(counters, edited_b), "Balking")
    _add_counter_form(scenario, version)


def _add_counter_form(scenario: Scenario, version: int) -> None:
    st.markdown("**Add a walk-in counter**")
    with st.form("counter-form", border=False):
        c1, c2, c3, c4 = st.columns(4)
        name = c1.text_input("Name", value="counter", key=f"counter-name-{version}")
        rate = c2.number_input(
            "Customers per hour", min_value=0.0, value=20.0, key=f"counter-rate-{version}"
        )
        service = c3.number_input(
            "Mean service (min)", min_value=0.1, value=8.0, key=f"counter-service-{version}"
        )
        patience = c4.number_input(
            "Mean patience (min, 0 = stays)",
            min_value=0.0,
            value=20.0,
            key=f"counter-patience-{version}",
        )
        d1, d2, d3, d4 = st.columns(4)
        open_ = d1.text_input("Opens", value="09:00", key=f"counter-open-{version}")
        close = d2.text_input("Closes", value="17:00", key=f"counter-close-{version}")
        low = d3.number_input(
            "Nobody leaves a line of", min_value=0, value=3, step=1, key=f"counter-low-{version}"
        )
        high = d4.number_input(
            "Everybody leaves a line of",
            min_value=1,
            value=12,
            step=1,
            key=f"counter-high-{version}",
        )
        groups = st.multiselect(
            "Served by", list(scenario.agent_groups), key=f"counter-groups-{version}"
        )
        submitted = st.form_submit_button("Add counter", type="primary")
    if not submitted:
        return
    try:
        new = with_counter(
            scenario,
            name.strip(),
            customers_per_hour=float(rate),
            service_minutes=float(service),
            patience_minutes=float(patience) or None,
            open_=open_.strip(),
            close=close.strip(),
            from_length=int(low),
            all_at_length=int(high),
            groups=list(groups),
        )
        _shared.set_scenario(yaml.safe_dump(new.to_dict(), sort_keys=False, allow_unicode=True))
    except InputError as exc:
        _shared.show_problems(exc, "Counter not added")
        return
    st.session_state["flash"] = f"Walk-in counter {name.strip()!r} added."
    st.rerun()


# --------------------------------------------------------------------------------------
# Simulate page: balking per interval
# --------------------------------------------------------------------------------------
def interval_charts(intervals: pd.DataFrame, result: Any, days: Any) -> None:
    """Balking per interval at counters with ``balking``: the share of customers walking in
    who left at once (its target dashed) and their number, so a planner sees *when* the line
    turns people away. ``intervals``: the result's, closed hours as gaps, maybe one day's
    view; ``result``: for the targets. Draws nothing without a balking counter."""
    if "balk_rate" not in set(intervals.kpi):
        return
    st.markdown("**Balking per interval**")
    charts = _charts.rate_and_count(
        intervals,
        ("balk_rate", "balked / walked in"),
        ("balked", "customers who left at once"),
        days,
        _charts.target_goals(result.target_list, "balk_rate"),
    )
    for column, chart in zip(st.columns(2), charts, strict=True):
        column.altair_chart(chart, width="stretch")
    st.caption(
        "Customers who found every agent busy, saw the line and left at once, filed under "
        "the interval they walked in. Shaded: 95% CI; dashed: the target, judged over the "
        "horizon; closed hours are gaps."
    )


__all__ = [
    "balking_changes",
    "balking_table",
    "hours_changes",
    "hours_table",
    "interval_charts",
    "render",
    "with_counter",
]
