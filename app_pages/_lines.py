"""Lines & callbacks: the Scenario page's form for finite phone lines (busy signals) and
the callback offer (virtual hold) of each call channel, with their two targets, and the
Simulate page's cards for what they do.

The form is one row per channel whose kind may set ``lines`` and ``callback`` (read from
the kind registry, :mod:`simulator.channels`, never a re-typed list). An empty cell means
"not set": both line cells empty removes ``lines``, every callback cell empty removes
``callback``. Changes go through ``Scenario.with_changes``, so a refusal names the field
(``channels.claims.callback.promise_minutes: is required``). Units as the scenario keeps
them, shares as percentages: waits in seconds, the callback promise in minutes.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
import streamlit as st

from app_pages import _charts, _editors, _shared
from simulator import Scenario
from simulator.channels import KINDS

# Columns of the form: (column, scenario field inside the channel, factor from the shown
# value to the stored one). Lines and callback cells build one sub-object each.
LINE_COLUMNS = (
    ("max on hold", "lines.max_waiting", 1),
    ("max lines (on hold + talking)", "lines.max_in_system", 1),
)
CALLBACK_COLUMNS = (
    ("offer at queue position", "callback.offer_at_position", 1),
    ("offer at expected wait (s)", "callback.offer_at_expected_wait_seconds", 1),
    ("uptake (%)", "callback.uptake", 100),
    ("promise (min)", "callback.promise_minutes", 1),
    ("priority", "callback.priority", 1),
)
TARGET_COLUMNS = (
    ("target: max busy signals (%)", "targets.max_blocked_rate", 100),
    ("target: within promise (%)", "targets.callback_within_promise", 100),
)
LINES_TABLE = ("max on hold", "max lines (on hold + talking)", "target: max busy signals (%)")
"""The form's first table: lines and their target."""
CALLBACK_TABLE = (*(c for c, _, _ in CALLBACK_COLUMNS), "target: within promise (%)")
"""The form's second table: the callback offer and its target."""
WHOLE = {"lines.max_waiting", "lines.max_in_system", "callback.offer_at_position",
         "callback.priority"}  # fmt: skip
"""Fields the schema wants as integers (a whole number typed as 12.0 is sent as 12)."""


def channels_with_lines(scenario: Scenario) -> list[str]:
    """Channels whose kind may set ``lines`` and ``callback`` (calls), in file order."""
    return [
        name
        for name, channel in scenario.channels.items()
        if {"lines", "callback"} <= set(KINDS[channel.kind].own_fields)
    ]


def _get(channel: Any, field: str) -> Any:
    node: Any = channel
    for part in field.split("."):
        node = getattr(node, part, None) if node is not None else None
    return node


def _cell(value: Any, factor: float) -> float:
    return math.nan if value is None else float(value) * factor


def table(scenario: Scenario) -> pd.DataFrame:
    """The form's rows: one per call channel, empty cells where nothing is set."""
    columns = (*LINE_COLUMNS, *CALLBACK_COLUMNS, *TARGET_COLUMNS)
    rows = []
    for name in channels_with_lines(scenario):
        channel = scenario.channels[name]
        row: dict[str, Any] = {"channel": name}
        for column, field, factor in columns:
            row[column] = _cell(_get(channel, field), factor)
        rows.append(row)
    return pd.DataFrame(rows, columns=["channel", *(c for c, _, _ in columns)])


def _value(cell: Any, field: str, factor: float) -> float | int | None:
    """A shown cell back in the scenario's units; None when empty."""
    number = _editors._number(cell)
    if number is None:
        return None
    value = number / factor
    if field in WHOLE and float(value).is_integer():
        return int(value)
    return value


def changes(scenario: Scenario, old: pd.DataFrame, new: pd.DataFrame) -> dict[str, Any]:
    """Dotted-path changes from the edited form: ``channels.<c>.lines`` and
    ``channels.<c>.callback`` as whole sub-objects (or None to remove them) when one of their
    cells changed, and each changed target."""
    out: dict[str, Any] = {}
    for (_, before), (_, after) in zip(old.iterrows(), new.iterrows(), strict=True):
        name = before["channel"]
        for part, columns in (("lines", LINE_COLUMNS), ("callback", CALLBACK_COLUMNS)):
            cells = [c for c, _, _ in columns]
            if _editors._same(tuple(after[cells]), tuple(before[cells])):
                continue
            values = {
                field.split(".", 1)[1]: _value(after[column], field, factor)
                for column, field, factor in columns
            }
            values = {k: v for k, v in values.items() if v is not None}
            out[f"channels.{name}.{part}"] = values or None
        for column, field, factor in TARGET_COLUMNS:
            if not _editors._same((after[column],), (before[column],)):
                out[f"channels.{name}.{field}"] = _value(after[column], field, factor)
    return out


def editor(scenario: Scenario, version: int) -> None:
    """The Lines & callbacks tab of the Scenario page."""
    names = channels_with_lines(scenario)
    st.markdown(
        "Finite **lines** and **callbacks** (virtual hold) per call channel; leave a cell "
        "empty for none. A caller who finds the lines full hears a busy signal (*blocked*) "
        "and redials as the channel's redial model says. A caller who would wait is offered "
        "a callback when the queue position or the expected wait reaches the threshold; "
        "with the *uptake* probability they accept, hang up and are called back by a "
        "skilled agent (the promise is the deadline; *priority* places the callback queue "
        "among the channels, default right after the channel's live callers)."
    )
    if not names:
        st.info("No call channels: lines and callbacks apply to call channels only.")
        return
    current = table(scenario)
    number = st.column_config.NumberColumn
    share = {"min_value": 0.0, "max_value": 100.0}
    config: dict[str, Any] = {
        "max on hold": number(min_value=0, step=1, format="%d", help="Queue capacity."),
        "max lines (on hold + talking)": number(
            min_value=1, step=1, format="%d", help="Trunk lines of the channel's number."
        ),
        "target: max busy signals (%)": number(
            **share, format="%.1f", help="Busy signals / attempts (redials included), at most."
        ),
        "offer at queue position": number(
            min_value=0, step=1, format="%d", help="Callers already on hold when offered."
        ),
        "offer at expected wait (s)": number(
            min_value=0.0,
            format="%.0f",
            help="(On hold ahead + 1) × mean handle time / skilled agents present.",
        ),
        "uptake (%)": number(**share, format="%.0f", help="Offered callers who accept."),
        "promise (min)": number(min_value=0.0, format="%.0f", help="Call back within this."),
        "priority": number(
            min_value=1,
            max_value=99,
            step=1,
            format="%d",
            help="Of the callback queue among the channels; lower is served first.",
        ),
        "target: within promise (%)": number(
            **share, format="%.0f", help="Callbacks made by the promise / callbacks due."
        ),
    }
    with st.form("lines-form", border=False):
        st.markdown("**Lines** (busy signals)")
        lines = _shared.data_editor(
            current[["channel", *LINES_TABLE]],
            key=f"lines-{version}",
            hide_index=True,
            disabled=["channel"],
            column_config=config,
            width="stretch",
        )
        st.markdown("**Callbacks** (virtual hold)")
        callbacks = _shared.data_editor(
            current[["channel", *CALLBACK_TABLE]],
            key=f"callbacks-{version}",
            hide_index=True,
            disabled=["channel"],
            column_config=config,
            width="stretch",
        )
        submitted = st.form_submit_button("Apply lines & callbacks", type="primary")
    edited = pd.concat(
        [lines.reset_index(drop=True), callbacks.drop(columns="channel").reset_index(drop=True)],
        axis=1,
    )
    redials = [
        f"{name}: {scenario.channels[name].redial.probability:.0%} redial"
        for name in names
        if scenario.channels[name].redial is not None
    ]
    st.caption(
        "Busy signals count against *max busy signals*; callbacks made by the promise against "
        "*callbacks within promise*. Redials of blocked and abandoned callers: "
        + ("; ".join(redials) if redials else "none (set `redial` in the YAML tab)")
        + "."
    )
    if submitted:
        _editors.apply(changes(scenario, current, edited), "Lines & callbacks")


# --------------------------------------------------------------------------------------
# Simulate page: what the cards of a call channel with lines or callbacks say
# --------------------------------------------------------------------------------------
def card_label(kpi: str, config: Any) -> str | None:
    """The card title of a lines/callback KPI (None: not one of them)."""
    callback = getattr(config, "callback", None)
    if kpi == "blocked_rate":
        return "Busy signals"
    if kpi == "callback_within_promise" and callback is not None:
        return f"Callbacks within {callback.promise_minutes:g} min"
    return {
        "callbacks_offered": "Callbacks offered",
        "callbacks_accepted": "Callbacks accepted",
        "callback_within_promise": "Callbacks within promise",
        "callback_delay_s": "Callback delay",
    }.get(kpi)


def card_note(kpi: str, table: pd.DataFrame, config: Any) -> tuple[str | None, str]:
    """The delta line and help of a lines/callback card without a target: the uptake under
    *accepted*, the promise under the delay, the rule under *offered*."""
    callback = getattr(config, "callback", None)
    lines = getattr(config, "lines", None)
    if kpi == "callbacks_accepted" and "callback_uptake" in table.index:
        row = table.loc["callback_uptake"]
        uptake = _shared.fmt("callback_uptake", row["mean"], row["ci_half_width"])
        return f"uptake {uptake}", "Callbacks accepted / offered."
    if kpi == "callback_delay_s" and callback is not None:
        return (
            f"promise {callback.promise_minutes:g} min",
            "Mean time from accepting the offer to being called back, over callbacks made.",
        )
    if kpi == "callbacks_offered" and callback is not None:
        rules = []
        if callback.offer_at_position is not None:
            rules.append(f"{callback.offer_at_position} or more callers on hold")
        if callback.offer_at_expected_wait_seconds is not None:
            wait = _shared.duration(callback.offer_at_expected_wait_seconds)
            rules.append(f"an expected wait of {wait} or more")
        return None, "Offered at " + " or ".join(rules) + "."
    if kpi == "blocked_rate" and lines is not None:
        limits = []
        if lines.max_in_system is not None:
            limits.append(f"{lines.max_in_system} lines (on hold + talking)")
        if lines.max_waiting is not None:
            limits.append(f"{lines.max_waiting} on hold")
        blocked = table.loc["blocked"] if "blocked" in table.index else None
        count = (
            f" {_shared.fmt('blocked', blocked['mean'], blocked['ci_half_width'])} attempts."
            if blocked is not None
            else ""
        )
        return None, f"Attempts that found {' and '.join(limits)} full / offered.{count}"
    return None, ""


# --------------------------------------------------------------------------------------
# Simulate page: busy signals and callbacks per interval
# --------------------------------------------------------------------------------------
CALLBACK_SERIES = {"callbacks_offered": "offered a callback", "callbacks_accepted": "accepted"}
"""The callback counts drawn per interval, by their legend names."""


def interval_charts(intervals: pd.DataFrame, result: Any, days: Any) -> None:
    """Busy signals per interval (share of attempts, a line per channel with ``lines``, its
    target dashed; and the count) and, per channel with ``callback``, callbacks offered and
    accepted and the share made within the promise, so a planner sees *when* the lines fill
    and callers take callbacks. ``intervals``: the result's, closed hours as gaps, maybe one
    day's view; ``result``: for the targets. Draws nothing for a channel without them."""
    kpis = set(intervals.kpi)
    if "blocked_rate" in kpis:
        st.markdown("**Busy signals per interval**")
        charts = _charts.rate_and_count(
            intervals,
            ("blocked_rate", "busy signals / attempts"),
            ("blocked", "busy signals"),
            days,
            _charts.target_goals(result.target_list, "blocked_rate"),
        )
        for column, chart in zip(st.columns(2), charts, strict=True):
            column.altair_chart(chart, width="stretch")
        st.caption(
            "Attempts that found the lines full, filed under the interval the attempt came in "
            "(a redial under its own). Shaded: 95% CI; dashed: the target, judged over the "
            "horizon."
        )
    rows = intervals[intervals.kpi == "callbacks_offered"]
    for channel in rows.channel.unique():
        st.markdown(f"**Callbacks per interval: {channel}**")
        left, right = st.columns(2)
        left.altair_chart(
            _charts.series_per_interval(
                intervals, channel, CALLBACK_SERIES, "callers per interval", days
            ),
            width="stretch",
        )
        within = intervals[intervals.channel == channel]
        right.altair_chart(
            _charts.share_per_interval(
                within,
                "callback_within_promise",
                "callbacks made within the promise",
                days,
                _charts.target_goals(
                    [t for t in result.target_list if t.entity == channel],
                    "callback_within_promise",
                ),
                full_scale=True,
            ),
            width="stretch",
        )
        st.caption(
            "Callers offered a callback and those who accepted, and the share of accepted "
            "callbacks made by their deadline, all filed under the interval the caller "
            "called in (a callback made at 10:40 for a 09:00 caller counts in 09:00); empty "
            "where no callback was due within the horizon."
        )


__all__ = [
    "CALLBACK_COLUMNS",
    "CALLBACK_SERIES",
    "CALLBACK_TABLE",
    "LINES_TABLE",
    "LINE_COLUMNS",
    "TARGET_COLUMNS",
    "card_label",
    "card_note",
    "changes",
    "channels_with_lines",
    "editor",
    "interval_charts",
    "table",
]
