"""Outbound lists in the app: the scenario page's form (edit a list's volume, connect
probability, times, retries, dialing hours, dialer policy, threshold and predictive ratio;
add a list) and the simulate page's KPI cards (nuisance calls for a predictive list).
Thin: the scenario model validates, the simulator computes."""

from __future__ import annotations

import math
from typing import Any, get_args

import pandas as pd
import streamlit as st

from app_pages import _charts, _editors, _shared
from simulator import Scenario
from simulator.kpis import PREDICTIVE_KPIS
from simulator.outbound.spec import MAX_RATIO, DialerPolicy
from simulator.results import SimulationResult
from simulator.whatif.verdicts import target_checks

POLICIES = list(get_args(DialerPolicy))  # from the model, never re-typed

_COLUMNS = {  # table column -> (field path inside the list, scale to the scenario's unit)
    "records per day": ("records_per_day", 1.0),
    "right-party connect (%)": ("right_party_connect", 0.01),
    "connect handle time (s)": ("handle_time.mean_seconds", 1.0),
    "failed attempt (s)": ("failed_attempt_time.mean_seconds", 1.0),
    "max attempts": ("max_attempts", 1.0),
    "retry delay (min)": ("retry_delay_minutes", 1.0),
    "threshold (idle agents kept)": ("dialer.threshold", 1.0),
}
_WHOLE = {"records_per_day", "max_attempts", "dialer.threshold"}


def _row(name: str, spec: Any, scenario: Scenario) -> dict[str, Any]:
    hours = spec.hours or scenario.horizon
    return {
        "list": name,
        "groups": ", ".join(spec.groups),
        "records per day": spec.records_per_day,
        "right-party connect (%)": spec.right_party_connect * 100,
        "connect handle time (s)": spec.handle_time.mean_s,
        "failed attempt (s)": spec.failed_attempt_time.mean_s,
        "max attempts": spec.max_attempts,
        "retry delay (min)": spec.retry_delay_minutes,
        "threshold (idle agents kept)": spec.dialer.threshold,
        "dialer": spec.dialer.policy,
        "ratio (calls per free agent)": spec.dialer.ratio,
        "dial from": hours.open,
        "dial until": hours.close,
    }


def editor(scenario: Scenario, version: int) -> None:
    """The Outbound tab of the scenario page."""
    st.markdown(
        "Outbound call lists are dialled by the listed agent groups **in idle time**: an "
        "agent dials only when no inbound contact it can serve is waiting, and only while "
        "more than the *threshold* agents of those groups are idle (threshold dialer: the "
        "agent is reserved for the attempt and finishes it). The *predictive* dialer keeps "
        "*ratio* × (idle agents − threshold) calls ringing without reserving anybody: more "
        "connects per hour, but a customer who answers when no agent is free is abandoned (a "
        "nuisance call; regulators cap the rate at 3% of live answers). Compare with the list "
        "removed to see the inbound impact (Compare page: `outbound=null`). Groups, "
        "distributions and the predictive ring time (`answer_time`): YAML tab."
    )
    lists = scenario.outbound or {}
    if not lists:
        st.info("This scenario has no outbound list.")
        first = next(iter(scenario.agent_groups))
        if st.button(f"Add an outbound list dialled by {first}", key=f"outbound-add-{version}"):
            _editors.apply({"outbound": {"outbound_list": _new_list(scenario, first)}},
                           "Outbound list")  # fmt: skip
        return
    table = pd.DataFrame([_row(name, spec, scenario) for name, spec in lists.items()])
    with st.form("outbound-form", border=False):
        edited = _shared.data_editor(
            table,
            key=f"outbound-{version}",
            hide_index=True,
            disabled=["list", "groups"],
            column_config={
                "right-party connect (%)": st.column_config.NumberColumn(
                    min_value=0.0, max_value=100.0, format="%.1f"
                ),
                "records per day": st.column_config.NumberColumn(min_value=0, format="%d"),
                "max attempts": st.column_config.NumberColumn(min_value=1, format="%d"),
                "threshold (idle agents kept)": st.column_config.NumberColumn(
                    min_value=0, format="%d"
                ),
                "dialer": st.column_config.SelectboxColumn(options=POLICIES, required=True),
                "ratio (calls per free agent)": st.column_config.NumberColumn(
                    min_value=1.0,
                    max_value=MAX_RATIO,
                    format="%.2f",
                    help="Predictive dialer only: calls kept ringing per idle agent above the "
                    "threshold (blank: 1.3 when switching to predictive).",
                ),
            },
            width="stretch",
        )
        submitted = st.form_submit_button("Apply outbound changes", type="primary")
    if submitted:
        _editors.apply(changes(table, edited), "Outbound changes")


def changes(old: pd.DataFrame, new: pd.DataFrame) -> dict[str, Any]:
    """Dotted-path changes (for ``Scenario.with_changes``) from the edited table."""
    out: dict[str, Any] = {}
    for (_, a), (_, b) in zip(old.iterrows(), new.iterrows(), strict=True):
        base = f"outbound.{a['list']}"
        for column, (path, scale) in _COLUMNS.items():
            if b[column] is None or (isinstance(b[column], float) and math.isnan(b[column])):
                out[f"{base}.{path}"] = None  # validation names the missing field
                continue
            if float(b[column]) != float(a[column]):
                value = float(b[column]) * scale
                out[f"{base}.{path}"] = round(value) if path in _WHOLE else value
        out.update(_dialer_changes(base, a, b))
        if (b["dial from"], b["dial until"]) != (a["dial from"], a["dial until"]):
            out[f"{base}.hours"] = {"open": str(b["dial from"]), "close": str(b["dial until"])}
    return out


DEFAULT_RATIO = 1.3
"""The ratio a list switched to the predictive dialer gets when the planner leaves it blank."""


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _dialer_changes(base: str, a: pd.Series, b: pd.Series) -> dict[str, Any]:
    """The dialer policy and ratio columns as changes: a predictive list always carries a
    ratio (:data:`DEFAULT_RATIO` when left blank), a threshold list none (the scenario
    refuses a ratio without the predictive policy)."""
    policy, ratio = b["dialer"], b["ratio (calls per free agent)"]
    same_ratio = (_blank(ratio) and _blank(a["ratio (calls per free agent)"])) or (
        not _blank(ratio)
        and not _blank(a["ratio (calls per free agent)"])
        and float(ratio) == float(a["ratio (calls per free agent)"])
    )
    if policy == a["dialer"] and (same_ratio or policy != "predictive"):
        return {}
    out: dict[str, Any] = {f"{base}.dialer.policy": policy}
    if policy == "predictive":
        out[f"{base}.dialer.ratio"] = DEFAULT_RATIO if _blank(ratio) else float(ratio)
    else:
        out[f"{base}.dialer.ratio"] = None
    return out


def _new_list(scenario: Scenario, group: str) -> dict[str, Any]:
    """A starting list: 200 records a day, 30% right-party connects, 5-minute connects."""
    return {
        "records_per_day": 200,
        "right_party_connect": 0.3,
        "handle_time": {"distribution": "exponential", "mean_seconds": 300},
        "failed_attempt_time": {"distribution": "exponential", "mean_seconds": 30},
        "groups": [group],
        "dialer": {"policy": POLICIES[0], "threshold": 1},
    }


CARDS = (
    ("connects", "Connects"),
    ("connects_per_hour", "Connects per dialing hour"),
    ("list_completion", "List completion"),
    ("outbound_occupancy", "Agent time on outbound"),
)
PREDICTIVE_CARDS = (
    ("nuisance_calls", "Nuisance calls"),
    ("nuisance_rate", "Nuisance rate (of live answers)"),
)
"""Cards a predictive list adds (its KPIs :data:`simulator.kpis.PREDICTIVE_KPIS`)."""


def cards(result: SimulationResult) -> None:
    """KPI cards per outbound list (with the verdicts of its targets), on the simulate page."""
    if not len(result.outbound):
        return
    checks = target_checks(result)
    for name in result.outbound.outbound.unique():
        st.markdown(f"#### outbound: {name}")
        table = result.outbound[result.outbound.outbound == name].set_index("kpi")
        verdicts = {row.kpi: row for row in checks[checks.channel == name].itertuples()}
        predictive = set(PREDICTIVE_KPIS) <= set(table.index)
        shown = CARDS + (PREDICTIVE_CARDS if predictive else ())
        for col, (kpi, label) in zip(st.columns(len(shown)), shown, strict=True):
            row = table.loc[kpi]
            check = verdicts.get(kpi)
            delta = None
            if check is not None:
                delta = f"{'met' if check.met else 'missed'} (target {check.label})"
            col.metric(
                label,
                _shared.fmt(kpi, row["mean"], row["ci_half_width"]),
                delta,
                delta_color="off" if check is None else ("normal" if check.met else "inverse"),
                delta_arrow="off",
                border=True,
            )
        parts = [
            f"{label} **{_shared.fmt(kpi, *table.loc[kpi, ['mean', 'ci_half_width']])}**"
            for kpi, label in (
                ("attempts", "attempts"),
                ("right_party_rate", "right-party rate"),
                ("records_left_at_end", "records left at the end"),
            )
        ]
        st.caption(
            " · ".join(parts) + " · inbound impact: compare with `outbound=null` (Compare page)"
        )


def interval_charts(frame: pd.DataFrame, days: Any) -> None:
    """Connects per interval and the share of the dialing agents' time on outbound, a line
    per list (``frame``: the result's ``outbound_intervals``, maybe one day's view), so a
    planner sees *when* the list gets worked — in the quiet hours, as the dialer means to."""
    if not len(frame):
        return
    st.markdown("**Outbound lists per interval**")
    left, right = st.columns(2)
    left.altair_chart(
        _charts.per_interval(frame, "connects", "outbound", "connects per interval", days),
        width="stretch",
    )
    right.altair_chart(
        _charts.per_interval(
            frame,
            "outbound_occupancy",
            "outbound",
            "dialing agents' time on outbound",
            days,
            percent=True,
        ),
        width="stretch",
    )
    st.caption(
        "Right-party connects in each interval and the share of the dialing groups' present "
        "time spent on outbound attempts (attempts are filed under the interval they start in)."
    )


def table(result: SimulationResult) -> None:
    """The outbound KPIs (list x KPI) on the simulate page's tables tab."""
    if not len(result.outbound):
        return
    st.markdown("**Outbound lists**")
    st.dataframe(_shared.kpi_table(result.outbound, "outbound"), width="stretch")


__all__ = ["cards", "changes", "editor", "interval_charts", "table"]
