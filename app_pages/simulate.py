"""Simulate page: run replications of the current scenario and show KPIs with 95% CIs.

KPI cards per channel mark each target met / missed (and say when the 95% confidence
interval straddles the target, i.e. more replications are needed to tell). Charts per
interval, waiting-time distribution, occupancy and FCR; results download as CSV and JSON.
"""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from app_pages import _charts, _shared
from simulator import InputError, SimulationResult
from simulator.whatif import target_checks, undefined_reason

MARKS = {
    (True, True): ("met", "green"),
    (True, False): ("met, CI overlaps target", "orange"),
    (False, False): ("missed, CI overlaps target", "orange"),
    (False, True): ("missed", "red"),
}


def render() -> None:
    st.title("Simulate")
    scenario = _shared.current_scenario()
    st.caption(
        f"**{scenario.name}** — every KPI is the mean over independent replications with its "
        "95% confidence interval (± half-width)."
    )
    c1, c2, c3 = st.columns([1, 1, 2])
    replications = int(
        c1.number_input(
            "Replications",
            min_value=1,
            max_value=1000,
            value=scenario.run.replications,
            help="More replications give narrower confidence intervals (∝ 1/√n).",
        )
    )
    seed = int(
        c2.number_input(
            "Seed",
            min_value=0,
            value=scenario.run.seed,
            step=1,
            help="Same seed, same customers: reruns reproduce the numbers exactly.",
        )
    )
    errors, warnings = _shared.check_run_size([scenario], replications)
    for warning in warnings:
        st.warning(warning, icon=":material/warning:")
    for error in errors:
        st.error(error, icon=":material/block:")
    with c3:
        st.write("")
        st.write("")
        clicked = st.button(
            "Run simulation", type="primary", disabled=bool(errors), icon=":material/play_arrow:"
        )
    text = _shared.scenario_yaml()
    if clicked:
        st.session_state["last_run"] = (text, replications, seed)
    last = st.session_state.get("last_run")
    if last is None:
        st.info("Set replications and seed, then **Run simulation**.")
        return
    try:
        result = _shared.run_simulation(*last)
    except InputError as exc:
        _shared.show_problems(exc, "The simulation could not run")
        return
    if last[0] != text:
        st.warning(
            "The scenario changed since this run: these results are for the earlier version. "
            "Run again to update them.",
            icon=":material/history:",
        )
    _results(result, _shared.parse_scenario(last[0]).horizon.days)


def _results(result: SimulationResult, days: int) -> None:
    st.subheader(
        f"Results — {result.replications} replications, seed {result.seed}"
        + (" (interrupted)" if result.interrupted else "")
    )
    st.caption(f"Service level = {result.service_level_definition.replace('_', ' ')}.")
    checks = target_checks(result)
    for channel in result.channels.channel.unique():
        _cards(result, channel, checks[checks.channel == channel])
    _overall(result)
    tabs = st.tabs(
        [
            "Service level",
            "Volumes",
            "Queue",
            "Occupancy",
            "Waiting times",
            "FCR",
            "Tables & downloads",
        ]
    )
    with tabs[0]:
        st.altair_chart(
            _charts.service_level(result.intervals, result.targets, days), width="stretch"
        )
        st.caption("Shaded: 95% CI per interval. Dashed: the channel's service-level target.")
    with tabs[1]:
        channels = list(result.channels.channel.unique())
        channel = st.radio("Channel", channels, horizontal=True, key="volumes-channel")
        st.altair_chart(_charts.volumes(result.intervals, channel, days), width="stretch")
    with tabs[2]:
        st.altair_chart(
            _charts.per_interval(
                result.intervals, "mean_queue_length", "channel", "mean contacts waiting", days
            ),
            width="stretch",
        )
        backlog = sorted(k for k in result.intervals.kpi.unique() if "backlog" in k)
        for kpi in backlog:
            st.altair_chart(
                _charts.per_interval(result.intervals, kpi, "channel", kpi.replace("_", " "), days),
                width="stretch",
            )
        if not backlog:
            st.caption("Time-average number of contacts waiting in each interval.")
    with tabs[3]:
        left, right = st.columns([2, 1])
        left.altair_chart(
            _charts.per_interval(
                result.group_intervals, "occupancy", "group", "occupancy", days, percent=True
            ),
            width="stretch",
        )
        right.altair_chart(
            _charts.bars_with_ci(
                result.groups[result.groups.kpi == "occupancy"], "group", "occupancy"
            ),
            width="stretch",
        )
        st.caption("Occupancy = busy time / time available (after shrinkage).")
    with tabs[4]:
        _waits(result)
    with tabs[5]:
        fcr = result.channels[result.channels.kpi == "fcr"]
        st.altair_chart(
            _charts.bars_with_ci(fcr, "channel", "first-contact resolution"), width="stretch"
        )
        st.caption(
            "FCR = share of answered contacts that resolved the customer's issue. Unresolved "
            "issues come back as repeat contacts when the scenario has a resolution loop."
        )
    with tabs[6]:
        _tables(result)


def _cards(result: SimulationResult, channel: str, checks: pd.DataFrame) -> None:
    st.markdown(f"#### {channel}")
    targets = result.targets.get(channel, {})
    by_kpi = {row.kpi: row for row in checks.itertuples() if row.scope == "overall"}
    table = result.channels[result.channels.channel == channel].set_index("kpi")
    within = targets.get("within_seconds")
    specs = [
        ("service_level", "Service level" + (f" ({within:g} s)" if within is not None else "")),
        ("asa_s", "Average speed of answer"),
        ("abandon_rate", "Abandoned"),
        ("fcr", "First-contact resolution"),
    ]
    for col, (kpi, label) in zip(st.columns(len(specs)), specs, strict=True):
        if kpi not in table.index:
            continue
        row = table.loc[kpi]
        check = by_kpi.get(kpi)
        delta, color = None, "off"
        if check is not None and math.isnan(check.mean):  # undefined: no verdict, the reason
            reason = undefined_reason(result, channel, kpi)
            delta = f"n/a: {reason} (target {_shared.goal_text(check.target, check.goal, within)})"
        elif check is not None:
            verdict, color = MARKS[(bool(check.met), bool(check.sure))]
            delta = f"{verdict} (target {_shared.goal_text(check.target, check.goal, within)})"
        col.metric(
            label,
            _shared.fmt(kpi, row["mean"], row["ci_half_width"]),
            delta,
            delta_color=color,
            delta_arrow="off",
            help=_ci_text(kpi, row["ci_low"], row["ci_high"], row["ci_half_width"]),
            border=True,
        )
    more = [
        ("offered", "offered"),
        ("answered", "answered"),
        ("wait_p90_s", "90th percentile wait"),
        ("aht_s", "average handle time"),
        ("mean_queue_length", "mean queue"),
    ]
    parts = [
        f"{label} **{_shared.fmt(kpi, table.loc[kpi, 'mean'], table.loc[kpi, 'ci_half_width'])}**"
        for kpi, label in more
        if kpi in table.index
    ]
    st.caption(" · ".join(parts))


def _ci_text(kpi: str, low: float, high: float, half: float) -> str:
    if math.isnan(half):
        return "One replication: no confidence interval. Run more replications."
    return (
        f"Mean over replications ± 95% confidence-interval half-width; "
        f"95% CI {_shared.fmt(kpi, low)} – {_shared.fmt(kpi, high)}."
    )


def _overall(result: SimulationResult) -> None:
    overall = result.overall.set_index("kpi")
    occupancy = result.groups[result.groups.kpi == "occupancy"].sort_values("mean")
    cols = st.columns(4)
    cols[0].metric(
        "Total cost",
        _shared.fmt("cost", overall.loc["cost", "mean"]),
        border=True,
        help="Paid hours × cost per hour, all groups.",
    )
    cols[1].metric(
        "Paid hours", _shared.fmt("paid_hours", overall.loc["paid_hours", "mean"]), border=True
    )
    cols[2].metric(
        "Abandoned (all channels)",
        _shared.fmt(
            "abandon_rate",
            overall.loc["abandon_rate", "mean"],
            overall.loc["abandon_rate", "ci_half_width"],
        ),
        border=True,
    )
    if len(occupancy):
        busiest = occupancy.iloc[-1]
        cols[3].metric(
            "Occupancy, busiest group",
            _shared.fmt("occupancy", busiest["mean"], busiest["ci_half_width"]),
            str(busiest["group"]),
            delta_color="off",
            delta_arrow="off",
            border=True,
            help=", ".join(
                f"{g}: {m:.1%}" for g, m in zip(occupancy.group, occupancy["mean"], strict=True)
            ),
        )


def _waits(result: SimulationResult) -> None:
    left, right = st.columns(2)
    left.altair_chart(
        _charts.wait_distribution(result.wait_histograms, result.targets), width="stretch"
    )
    left.caption("Share of answered contacts that waited at most t; dashed: the target's T.")
    channels = list(result.wait_histograms)
    channel = right.radio("Channel", channels, horizontal=True, key="waits-channel")
    counts = result.wait_histograms[channel]
    total = float(counts.sum())
    right.altair_chart(_charts.wait_histogram(counts), width="stretch")
    if total:
        right.caption(
            f"{counts[0] / total:.1%} of answered {channel} contacts did not wait at all "
            "(not drawn). Waits pooled over all replications."
        )


def _tables(result: SimulationResult) -> None:
    st.markdown("**Channels**")
    st.dataframe(result.summary(), width="stretch")
    groups = result.groups.copy()
    groups["value"] = [
        _shared.fmt(k, m, h)
        for k, m, h in zip(groups.kpi, groups["mean"], groups["ci_half_width"], strict=True)
    ]
    st.markdown("**Agent groups**")
    st.dataframe(groups.pivot(index="kpi", columns="group", values="value"), width="stretch")
    stem = "".join(c if c.isalnum() else "-" for c in result.scenario_name.lower()).strip("-")
    c1, c2, c3 = st.columns(3)
    c1.download_button(
        "KPIs (CSV)",
        _shared.results_csv(result),
        f"{stem}-kpis.csv",
        "text/csv",
        icon=":material/download:",
    )
    c2.download_button(
        "Per interval (CSV)",
        result.intervals.to_csv(index=False),
        f"{stem}-intervals.csv",
        "text/csv",
        icon=":material/download:",
    )
    c3.download_button(
        "All results (JSON)",
        result.to_json(),
        f"{stem}-results.json",
        "application/json",
        icon=":material/download:",
    )


render()
