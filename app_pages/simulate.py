"""Simulate page: run replications of the current scenario and show KPIs with 95% CIs.

KPI cards per channel mark each target met / missed (and say when the 95% confidence
interval straddles the target, i.e. more replications are needed to tell). Charts per
interval, waiting-time distribution, occupancy and FCR; results download as CSV and JSON.
"""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from app_pages import _background, _charts, _lines, _outbound, _shared, _walk_in
from simulator import InputError, SimulationResult
from simulator.horizon import FULL_TIME_WEEK_HOURS
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
    job: _shared.Job | None = st.session_state.get(_background.SIMULATION_JOB)
    running = job is not None and job.running
    errors, warnings = _shared.check_run_size([scenario], replications)
    for warning in warnings:
        st.warning(warning, icon=":material/warning:")
    # Over one click's limit but within the background's: the choices, not a refusal.
    beyond = _background.too_big(scenario, replications) if errors else None
    in_background = bool(errors) and beyond is None
    for error in errors:
        if in_background:
            st.warning(
                f"{error} Or run all {replications} here in the background: progress on this "
                "page, and **Stop** keeps the replications done.",
                icon=":material/schedule:",
            )
        else:
            st.error(error, icon=":material/block:")
    if beyond:
        st.error(beyond, icon=":material/block:")
    fewer = _shared.affordable_replications([scenario]) if errors else 0
    with c3:
        st.write("")
        st.write("")
        clicked = st.button(
            "Run simulation",
            type="primary",
            disabled=bool(errors) or running,
            icon=":material/play_arrow:",
        )
    offered = background = False
    if errors and (fewer >= 2 or in_background):
        left, right = st.columns(2)
        if fewer >= 2:
            # A week-sized run: offer the replications the app can run, with the precision
            # they give, rather than a bare refusal.
            offered = left.button(
                f"Run {fewer} replications instead (95% CIs about "
                f"{(replications / fewer) ** 0.5:.1f}× as wide)",
                type="primary",
                disabled=running,
                icon=":material/play_arrow:",
            )
        if in_background:
            background = right.button(
                f"Run all {replications} replications in the background",
                disabled=running,
                icon=":material/pending:",
            )
    text = _shared.scenario_yaml()
    if clicked or offered:
        st.session_state["last_run"] = (text, fewer if offered else replications, seed)
        earlier = st.session_state.pop(_background.SIMULATION_JOB, None)
        if earlier is not None:
            earlier.stop.set()  # never leave a run going that no page shows
        job = None
    elif background:
        _background.start_simulation(text, replications, seed)
        st.session_state.pop("last_run", None)
        st.rerun()  # the page again, its run buttons now disabled while the run goes on
    if job is not None:
        _background_run(job, text)
        return
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
    _results(result, _shared.parse_scenario(last[0]))


def _background_run(job: _shared.Job, text: str) -> None:
    """A background run: its progress and Stop while it runs, then its results (partial
    ones, labelled, when stopped)."""
    if job.running:
        _watch(job)
        return
    if job.error is not None:
        _shared.job_error(job, "The simulation could not run")
        return
    if job.result is None:
        st.info(
            "Stopped before the first replication finished: nothing to show. "
            "Run again to start over.",
            icon=":material/stop_circle:",
        )
        return
    if job.key[0] != text:
        st.warning(
            "The scenario changed since this run: these results are for the earlier version. "
            "Run again to update them.",
            icon=":material/history:",
        )
    _results(job.result, _shared.parse_scenario(job.key[0]), requested=job.key[1])


@st.fragment(run_every=1.0)
def _watch(job: _shared.Job) -> None:
    """Progress of a background run; reruns itself every second, the page when it ends."""
    if not job.running:
        st.rerun()
    share, line = _background.simulation_progress(job)
    st.progress(share, text=line)
    if job.stop.is_set():
        st.caption("Stopping after the current replication: the replications done are kept.")
    elif st.button("Stop and keep the replications done", icon=":material/stop_circle:"):
        job.stop.set()
        st.caption("Stopping after the current replication: the replications done are kept.")
    st.caption("The run goes on while you visit other pages; the sidebar shows how far it is.")


def _results(result: SimulationResult, scenario, requested: int | None = None) -> None:
    """Every KPI of ``result``; ``requested``: the replications asked for, when a stopped
    background run kept fewer (the results are then labelled partial)."""
    if result.interrupted:
        asked = f" of {requested}" if requested else ""
        st.subheader(
            f"Partial results — {result.replications}{asked} replications, seed {result.seed}"
        )
        k = result.replications
        spread = (
            "one replication gives no confidence interval"
            if k == 1
            else f"their 95% CIs are from these {k}, wider than the full run's would be"
        )
        st.warning(
            f"Stopped after {k}{asked} replications. These are the results of the "
            f"replication(s) done — exactly what a run of {k} gives with this seed — and "
            f"{spread}.",
            icon=":material/stop_circle:",
        )
    else:
        st.subheader(f"Results — {result.replications} replications, seed {result.seed}")
    st.caption(f"Service level = {result.service_level_definition.replace('_', ' ')}.")
    checks = target_checks(result)
    for channel in result.channels.channel.unique():
        _cards(result, channel, checks[checks.channel == channel], scenario)
    _outbound.cards(result)
    _overall(result, scenario.horizon)
    horizon = scenario.horizon
    days: object = horizon
    intervals = _shared.closed_as_gaps(result.intervals, scenario)
    group_intervals = result.group_intervals
    outbound_intervals = result.outbound_intervals
    if horizon.days > 1:
        choice = st.selectbox(
            "Days shown",
            _shared.day_choices(horizon),
            key="sim-days",
            help="The whole horizon (closed hours are gaps), one day, or a weekday's average.",
        )
        if choice != _shared.WHOLE_HORIZON:
            intervals = _shared.day_view(intervals, horizon, choice)
            group_intervals = _shared.day_view(group_intervals, horizon, choice)
            if len(outbound_intervals):
                outbound_intervals = _shared.day_view(outbound_intervals, horizon, choice)
            days = 1
    # A tab for busy signals, callbacks and balking only when a channel has them.
    features = _feature_tab(set(result.intervals.kpi))
    names = ["Service level", "Volumes", *([features] if features else []), "Queue",
             "Occupancy", "Waiting times", "FCR", "Tables & downloads"]  # fmt: skip
    tab = dict(zip(names, st.tabs(names), strict=True))
    if features:
        with tab[features]:
            _lines.interval_charts(intervals, result, days)
            _walk_in.interval_charts(intervals, result, days)
    with tab["Service level"]:
        st.altair_chart(_charts.service_level(intervals, result.targets, days), width="stretch")
        st.caption("Shaded: 95% CI per interval. Dashed: the channel's service-level target.")
    with tab["Volumes"]:
        channels = list(result.channels.channel.unique())
        channel = st.radio("Channel", channels, horizontal=True, key="volumes-channel")
        st.altair_chart(_charts.volumes(intervals, channel, days), width="stretch")
        _outbound.interval_charts(outbound_intervals, days)
    with tab["Queue"]:
        st.altair_chart(
            _charts.per_interval(
                intervals, "mean_queue_length", "channel", "mean contacts waiting", days
            ),
            width="stretch",
        )
        backlog = sorted(k for k in intervals.kpi.unique() if "backlog" in k)
        for kpi in backlog:
            st.altair_chart(
                _charts.per_interval(intervals, kpi, "channel", kpi.replace("_", " "), days),
                width="stretch",
            )
        if not backlog:
            st.caption("Time-average number of contacts waiting in each interval.")
    with tab["Occupancy"]:
        left, right = st.columns([2, 1])
        left.altair_chart(
            _charts.per_interval(
                group_intervals, "occupancy", "group", "occupancy", days, percent=True
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
    with tab["Waiting times"]:
        _waits(result)
    with tab["FCR"]:
        fcr = result.channels[result.channels.kpi == "fcr"]
        st.altair_chart(
            _charts.bars_with_ci(fcr, "channel", "first-contact resolution"), width="stretch"
        )
        st.caption(
            "FCR = share of answered contacts that resolved the customer's issue. Unresolved "
            "issues come back as repeat contacts when the scenario has a resolution loop."
        )
    with tab["Tables & downloads"]:
        _tables(result)


def _feature_tab(kpis: set[str]) -> str | None:
    """The name of the tab of per-interval busy signals, callbacks and balking, after what
    the result has (``Busy signals & callbacks``); None when no channel has any of them."""
    parts = [
        name
        for kpi, name in (
            ("blocked_rate", "busy signals"),
            ("callbacks_offered", "callbacks"),
            ("balk_rate", "balking"),
        )
        if kpi in kpis
    ]
    return " & ".join(parts).capitalize() if parts else None


# The KPI cards of a channel, in order: those the channel reports (a call has no promise,
# an email no abandonment; an email's ASA, close to its mean response time, has a card only
# when it has a target). A comment, not a docstring: Streamlit draws a bare string in a page.
CARD_KPIS = (
    ("service_level", "Service level"),
    ("within_promise", "Answered within promise"),
    ("asa_s", "Average speed of answer"),
    ("response_mean_s", "Mean response time"),
    ("abandon_rate", "Abandoned"),
    ("balk_rate", "Balked (left the line at once)"),
    ("blocked_rate", "Busy signals"),
    ("backlog_at_end", "Backlog at the end"),
    ("fcr", "First-contact resolution"),
    ("callbacks_offered", "Callbacks offered"),
    ("callbacks_accepted", "Callbacks accepted"),
    ("callback_within_promise", "Callbacks within promise"),
    ("callback_delay_s", "Callback delay"),
)
# A channel's callback cards come last, in a row of their own.
CALLBACK_CARDS = frozenset(
    {"callbacks_offered", "callbacks_accepted", "callback_within_promise", "callback_delay_s"}
)


def _cards(result: SimulationResult, channel: str, checks: pd.DataFrame, scenario) -> None:
    """One card per headline KPI of the channel, with the verdict of its target, then one
    card per other target (per-interval floors): every target of the channel has a card."""
    st.markdown(f"#### {channel}")
    config = scenario.channels.get(channel, None)
    within = result.targets.get(channel, {}).get("within_seconds")
    promise = getattr(config, "promise_hours", None)
    table = result.channels[result.channels.channel == channel].set_index("kpi")
    overall = {row.kpi: row for row in checks.itertuples() if row.scope == "overall"}
    cards: list[tuple[str, str, str | None, str, str, str]] = []
    used: set[str] = set()
    for kpi, label in CARD_KPIS:
        if kpi not in table.index:
            continue
        row = table.loc[kpi]
        check = overall.get(kpi)
        if check is not None:
            used.add(check.target)
        if check is None and math.isnan(row["mean"]):
            continue
        if kpi == "asa_s" and check is None and _reports(table, "response_mean_s"):
            continue  # an email's wait to be picked up: its response time tells it better
        if kpi == "service_level" and within is not None:
            label += f" ({_shared.duration(within)})"
        if kpi == "within_promise" and promise is not None:
            label = f"Answered within {_shared.duration(promise * 3600)}"
        goal_within = promise * 3600 if kpi == "within_promise" and promise else within
        if kpi == "callback_within_promise" and config is not None and config.callback:
            goal_within = config.callback.promise_minutes * 60
        label = _lines.card_label(kpi, config) or label
        delta, color = _verdict(result, channel, kpi, check, goal_within)
        note, why = _lines.card_note(kpi, table, config)  # uptake, promise, offer rule
        ci = _ci_text(kpi, row["ci_low"], row["ci_high"], row["ci_half_width"])
        value = _shared.fmt(kpi, row["mean"], row["ci_half_width"])
        cards.append((label, value, delta or note, color, f"{why} {ci}".strip(), kpi))
    for check in checks.itertuples():
        if check.target in used:
            continue  # shown on its KPI card
        if check.scope == "overall":
            delta, color = _verdict(result, channel, check.kpi, check, within)
            value = _shared.fmt(check.kpi, check.mean)
            cards.append((check.label.capitalize(), value, delta, color, "", check.kpi))
            continue
        verdict, color = MARKS[(bool(check.met), bool(check.sure))]
        worst = check.worst_interval
        where = f" at {_charts.interval_name(worst, scenario.horizon)}" if worst else ""
        cards.append(
            (
                check.label.capitalize(),
                _shared.fmt(check.kpi, check.mean),
                f"{verdict} (worst interval{where})",
                color,
                "Judged interval by interval: the value shown is the worst interval's mean.",
                check.kpi,
            )
        )
    for row_cards in _card_rows(cards):
        for col, (label, value, delta, color, help_text, _kpi) in zip(
            st.columns(4), row_cards, strict=False
        ):
            col.metric(
                label,
                value,
                delta,
                delta_color=color,
                delta_arrow="off",
                help=help_text or None,
                border=True,
            )
    more = [
        ("offered", "offered"),
        ("answered", "answered"),
        ("balked", "balked"),
        ("wait_p90_s", "90th percentile wait"),
        ("response_p90_s", "90th percentile response"),
        ("aht_s", "average handle time"),
        ("mean_queue_length", "mean queue"),
        ("blocked", "busy signals"),
        ("callbacks_made", "callbacks made"),
        ("callbacks_waiting_at_end", "callbacks not yet made at the end"),
    ]
    parts = [
        f"{label} **{_shared.fmt(kpi, table.loc[kpi, 'mean'], table.loc[kpi, 'ci_half_width'])}**"
        for kpi, label in more
        if kpi in table.index and not math.isnan(table.loc[kpi, "mean"])
    ]
    st.caption(" · ".join(parts))


def _card_rows(cards: list) -> list[list]:
    """Cards in rows of four (each card's KPI last); callback cards after the others, from
    a new row."""
    main = [c for c in cards if c[-1] not in CALLBACK_CARDS]
    callback = [c for c in cards if c[-1] in CALLBACK_CARDS]
    return [part[i : i + 4] for part in (main, callback) for i in range(0, len(part), 4)]


def _reports(table: pd.DataFrame, kpi: str) -> bool:
    """Whether the channel's KPI table has a defined value of ``kpi``."""
    return kpi in table.index and not math.isnan(table.loc[kpi, "mean"])


def _verdict(
    result: SimulationResult, channel: str, kpi: str, check, within: float | None
) -> tuple[str | None, str]:
    """The card's delta line: the verdict and the goal, or why the KPI is undefined."""
    if check is None:
        return None, "off"
    goal = _shared.goal_text(check.target, check.goal, within)
    if math.isnan(check.mean):
        return f"n/a: {undefined_reason(result, channel, kpi)} (target {goal})", "off"
    verdict, color = MARKS[(bool(check.met), bool(check.sure))]
    return f"{verdict} (target {goal})", color


def _ci_text(kpi: str, low: float, high: float, half: float) -> str:
    if math.isnan(half):
        return "One replication: no confidence interval. Run more replications."
    return (
        f"Mean over replications ± 95% confidence-interval half-width; "
        f"95% CI {_shared.fmt(kpi, low)} – {_shared.fmt(kpi, high)}."
    )


def _overall(result: SimulationResult, horizon) -> None:
    overall = result.overall.set_index("kpi")
    occupancy = result.groups[result.groups.kpi == "occupancy"].sort_values("mean")
    cols = st.columns(4)
    cols[0].metric(
        "Total cost",
        _shared.fmt("cost", overall.loc["cost", "mean"]),
        border=True,
        help="Paid hours × cost per hour, all groups.",
    )
    hours = overall.loc["paid_hours", "mean"]
    cols[1].metric(
        "Paid hours",
        _shared.fmt("paid_hours", hours),
        f"{horizon.fte(hours):,.1f} FTE",
        delta_color="off",
        delta_arrow="off",
        border=True,
        help=f"FTE = paid hours per week / {FULL_TIME_WEEK_HOURS:g} h"
        + (" (one day taken as repeating every day of the week)." if horizon.days == 1 else "."),
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
    st.markdown("**Agent groups**")
    st.dataframe(_shared.kpi_table(result.groups, "group"), width="stretch")
    _outbound.table(result)
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
