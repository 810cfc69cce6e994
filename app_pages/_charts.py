"""Altair (Vega-Lite) charts of the app: pure functions from result tables to charts.

No Streamlit here and no queueing logic: each function reshapes a tidy table that the
library returned and describes a chart. Times on the x axis are interval starts
(``_shared.time_axis``); shares are drawn as percentages.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping, Sequence
from typing import Any

import altair as alt
import numpy as np
import pandas as pd

from simulator.kpis import ci_bounds
from simulator.stats import wait_bin_edges

HEIGHT = 280
PALETTE = "tableau10"


def _color(field: str, title: str | None = None, **kwargs: object) -> alt.Color:
    """A categorical colour with distinct hues (the theme default is shades of one blue)."""
    return alt.Color(field, title=title, scale=alt.Scale(scheme=PALETTE), **kwargs)


Days = Any
"""The horizon of a chart: a number of days, or the scenario's :class:`Horizon` (then days
are named by weekday when it has a ``start_date``)."""

_EPOCH = datetime.date(2000, 1, 1)  # day 0 of a horizon without a start date


def _axis(days: Days) -> tuple[int, datetime.date | None]:
    if isinstance(days, int):
        return days, None
    return int(days.days), getattr(days, "start_date", None)


def day_name(day: int, days: Days) -> str:
    """How every chart, table and selector of the app names horizon day ``day``:
    ``day 0``, ``day 1`` … (from 0, like the library's ``d1 08:30`` labels), or
    ``Mon 2 Dec`` when the scenario has a start date."""
    _, start = _axis(days)
    if start is None:
        return f"day {day}"
    date = start + datetime.timedelta(days=day)
    return f"{date:%a} {date.day} {date:%b}"


def interval_name(label: str, days: Days) -> str:
    """A library interval label (``d1 10:15``; ``10:15`` on one day) with its day named as
    :func:`day_name` names it: ``day 1 10:15``, or ``Tue 8 Dec 10:15`` with a start date."""
    match = re.fullmatch(r"d(\d+) (\S+)", label)
    return f"{day_name(int(match[1]), days)} {match[2]}" if match else label


def _x(days: Days) -> alt.X:
    n, start = _axis(days)
    if start is not None:
        axis = alt.Axis(format="%a %H:%M" if n <= 7 else "%a %-d %b %H:%M")
    elif n == 1:
        axis = alt.Axis(format="%H:%M")
    else:  # days from 0, as in the tables ("d1 08:30")
        axis = alt.Axis(
            labelExpr="'day ' + (dayofyear(datum.value) - 1) + ' ' + "
            "timeFormat(datum.value, '%H:%M')"
        )
    return alt.X("time:T", title="interval start", axis=axis)


def _with_time(frame: pd.DataFrame, days: Days = 1) -> pd.DataFrame:
    """``time`` (a timestamp: the start date, or 2000-01-01 for day 0) and ``when`` (the
    interval as people read it) for each row; on a multi-day horizon, a row without a
    value after each day's last interval, so lines break over closed hours instead of
    drawing a flat line through the night."""
    n, start = _axis(days)
    out = frame.copy()
    base = pd.Timestamp(start or _EPOCH)
    out["time"] = (
        base
        + pd.to_timedelta(out["day"], unit="D")
        + pd.to_timedelta(out["start"].astype(str) + ":00")
    )
    names = {d: day_name(int(d), days) for d in out["day"].unique()}
    day_text = out["day"].map(names) if n > 1 else ""
    out["when"] = (day_text + " " if n > 1 else "") + out["start"].astype(str)
    if n <= 1 or out.empty:
        return out
    keys = [c for c in ("channel", "group", "kpi", "variant") if c in out.columns]
    step = out.sort_values("time")["time"].diff().dropna()
    step = step[step > pd.Timedelta(0)].min() if len(step) else None
    if step is None or pd.isna(step):
        return out
    ends = out.sort_values("time").groupby([*keys, "day"], as_index=False).tail(1).copy()
    ends["time"] = ends["time"] + step
    for column in ends.columns:
        if column not in (*keys, "day", "time", "start", "when") and pd.api.types.is_numeric_dtype(
            ends[column]
        ):
            ends[column] = np.nan
    return pd.concat([out, ends], ignore_index=True).sort_values("time", kind="stable")


def day_curve(profile: pd.DataFrame, days: Days, value: str, title: str, color: str) -> alt.Chart:
    """Lines of ``value`` per interval, one per ``color`` (e.g. expected contacts/channel)."""
    data = _with_time(profile, days)
    return (
        alt.Chart(data, height=HEIGHT)
        .mark_line(point=True, interpolate="step-after")
        .encode(
            x=_x(days),
            y=alt.Y(f"{value}:Q", title=title),
            color=_color(f"{color}:N", color),
            tooltip=[color, "when", alt.Tooltip(f"{value}:Q", format=",.1f")],
        )
    )


def staffing_vs_load(staffing: pd.DataFrame, load: pd.DataFrame, days: int) -> alt.LayerChart:
    """Stacked agents available per group, with the offered load (Erlangs) as a black line."""
    agents = _with_time(staffing, days)
    erlangs = _with_time(load.groupby(["day", "start"], as_index=False)["erlangs"].sum(), days)
    bars = (
        alt.Chart(agents)
        .mark_area(interpolate="step-after", opacity=0.75)
        .encode(
            x=_x(days),
            y=alt.Y("available:Q", stack="zero", title="agents available (after shrinkage)"),
            color=_color("group:N", "group"),
            tooltip=["group", "when", alt.Tooltip("available:Q", format=".1f")],
        )
    )
    load_name = "offered load (Erlangs)"
    line = (
        alt.Chart(erlangs.assign(series=load_name))
        .mark_line(strokeDash=[4, 3], interpolate="step-after")
        .encode(
            x=_x(days),
            y="erlangs:Q",
            color=alt.Color(
                "series:N", title="", scale=alt.Scale(domain=[load_name], range=["black"])
            ),
            tooltip=["when", alt.Tooltip("erlangs:Q", format=".1f", title="offered load (Erl)")],
        )
    )
    # the load line keeps its own legend entry beside the groups'
    return alt.layer(bars, line).resolve_scale(color="independent").properties(height=HEIGHT)


def service_level(
    intervals: pd.DataFrame, targets: Mapping[str, Mapping[str, float]], days: int
) -> alt.LayerChart:
    """Service level per interval and channel with its 95% CI band and the target line."""
    goals = pd.DataFrame(
        [
            {"channel": c, "target": t["service_level"], "label": _sl_label(t)}
            for c, t in targets.items()
            if "service_level" in t
        ]
    )
    return share_per_interval(intervals, "service_level", "service level", days, goals, True)


def share_per_interval(
    intervals: pd.DataFrame,
    kpi: str,
    title: str,
    days: Days,
    goals: pd.DataFrame,
    full_scale: bool = False,
) -> alt.LayerChart:
    """A share (service level, busy signals, balking, callbacks within promise) per interval
    and channel with its 95% CI band, and each channel's target in ``goals`` (columns
    ``channel``, ``target``, ``label``) as a dashed line named in the legend; the y axis from
    0 to 100% when ``full_scale``, else fitted to the data (a 3% busy-signal rate would be
    a flat line on a full scale)."""
    data = _with_time(intervals[intervals.kpi == kpi].dropna(subset=["mean"]), days)
    data = data.assign(
        low=(data["mean"] - data["ci_half_width"].fillna(0)).clip(lower=0),
        high=(data["mean"] + data["ci_half_width"].fillna(0)).clip(upper=1),
    )
    color = _color("channel:N", "channel")
    band = (
        alt.Chart(data)
        .mark_area(opacity=0.18, interpolate="step-after")
        .encode(x=_x(days), y=alt.Y("low:Q", title=title), y2="high:Q", color=color)
    )
    scale = {"scale": alt.Scale(domain=[0, 1])} if full_scale else {}
    line = (
        alt.Chart(data)
        .mark_line(point=True, interpolate="step-after")
        .encode(
            x=_x(days),
            y=alt.Y("mean:Q", title=title, axis=alt.Axis(format="%"), **scale),
            color=color,
            tooltip=[
                "channel",
                "when",
                alt.Tooltip("mean:Q", format=".1%", title=title),
                alt.Tooltip("ci_half_width:Q", format=".1%", title="± 95% CI"),
            ],
        )
    )
    layers: list[alt.Chart] = [band, line]
    if len(goals):
        layers.append(_target_lines(goals, color))
    return alt.layer(*layers).properties(height=HEIGHT)


def _target_lines(goals: pd.DataFrame, color: alt.Color) -> alt.Chart:
    """Each target line (``goals``: channel, target, label) named in a legend of its own,
    beside the channels' (text on the plot sat on the first intervals' points): a dashed
    line in the channel's colour."""
    goals = goals.assign(target_line=goals["channel"] + " " + goals["label"])
    names = list(goals["target_line"])
    return (
        alt.Chart(goals)
        .mark_rule(size=2)
        .encode(
            y="target:Q",
            color=color,
            strokeDash=alt.StrokeDash(
                "target_line:N",
                title="dashed: target",
                sort=names,
                scale=alt.Scale(domain=names, range=[[6, 4]] * len(names)),
                legend=alt.Legend(
                    symbolType="stroke",
                    symbolStrokeColor="#555",
                    symbolSize=400,
                    symbolStrokeWidth=2,
                ),
            ),
            tooltip=["channel", "label"],
        )
    )


def rate_and_count(
    intervals: pd.DataFrame,
    rate: tuple[str, str],
    count: tuple[str, str],
    days: str,
    goals: pd.DataFrame,
) -> tuple[alt.Chart, alt.Chart]:
    """A loss per interval drawn twice, side by side: its rate (``rate`` = (kpi, axis
    title), share with CI and the target dashed) and its count (``count`` likewise) —
    busy signals on lines, customers balking at a counter."""
    return (
        share_per_interval(intervals, rate[0], rate[1], days, goals),
        per_interval(intervals, count[0], "channel", count[1], days),
    )


def target_goals(targets: Sequence[Any], kpi: str) -> pd.DataFrame:
    """The horizon targets on ``kpi`` (:class:`simulator.targets.Target`, e.g. a result's
    ``target_list``) as the ``goals`` of :func:`share_per_interval`: labelled ``target ≤ 8%``
    (a target over the horizon, drawn on each interval for reference)."""
    rows = [
        {
            "channel": t.entity,
            "target": t.value,
            "label": f"target {'≥' if t.sense == '>=' else '≤'} {t.value:.1%}".replace(".0%", "%"),
        }
        for t in targets
        if t.kpi == kpi and t.scope == "overall"
    ]
    return pd.DataFrame(rows, columns=["channel", "target", "label"])


def series_per_interval(
    intervals: pd.DataFrame, channel: str, series: Mapping[str, str], title: str, days: Days
) -> alt.Chart:
    """Several count KPIs of one channel per interval, a line each, named in the legend by
    ``series`` (kpi -> name, in legend order), e.g. callbacks offered and accepted."""
    data = intervals[(intervals.channel == channel) & intervals.kpi.isin(list(series))]
    data = _with_time(data.assign(series=data["kpi"].map(series)), days)
    names = list(series.values())
    return (
        alt.Chart(data, height=HEIGHT)
        .mark_line(point=True, interpolate="step-after")
        .encode(
            x=_x(days),
            y=alt.Y("mean:Q", title=title),
            color=alt.Color(
                "series:N", title="", sort=names, scale=alt.Scale(domain=names, scheme=PALETTE)
            ),
            tooltip=["series", "when", alt.Tooltip("mean:Q", format=",.1f", title=title)],
        )
    )


def _sl_label(target: Mapping[str, float]) -> str:
    return f"target {target['service_level']:.0%} in {target['within_seconds']:g} s"


def volumes(intervals: pd.DataFrame, channel: str, days: int) -> alt.Chart:
    """Offered, answered and abandoned contacts per interval of one channel."""
    kpis = ["offered", "answered", "abandoned"]
    data = intervals[(intervals.channel == channel) & intervals.kpi.isin(kpis)]
    data = _with_time(data, days)
    return (
        alt.Chart(data, height=HEIGHT)
        .mark_line(point=True, interpolate="step-after")
        .encode(
            x=_x(days),
            y=alt.Y("mean:Q", title="contacts per interval (mean of replications)"),
            color=alt.Color(
                "kpi:N",
                title="",
                scale=alt.Scale(domain=kpis, range=["#4c78a8", "#54a24b", "#e45756"]),
            ),
            tooltip=["kpi", "when", alt.Tooltip("mean:Q", format=",.1f")],
        )
    )


def per_interval(
    frame: pd.DataFrame,
    kpi: str,
    entity: str,
    title: str,
    days: int,
    percent: bool = False,
    *,
    dashed: bool = False,
) -> alt.Chart:
    """One KPI per interval, a line per ``entity`` (channel, group or what-if variant);
    ``dashed`` also tells the lines apart by dash pattern, in the frame's order."""
    data = _with_time(frame[frame.kpi == kpi].dropna(subset=["mean"]), days)
    axis = alt.Axis(format="%") if percent else alt.Axis()
    lines = {"strokeDash": alt.StrokeDash(f"{entity}:N", sort=None, legend=None)} if dashed else {}
    return (
        alt.Chart(data, height=HEIGHT)
        .mark_line(point=True, interpolate="step-after")
        .encode(
            x=_x(days),
            y=alt.Y("mean:Q", title=title, axis=axis),
            color=_color(f"{entity}:N", entity, **({"sort": None} if dashed else {})),
            tooltip=[
                entity,
                "when",
                alt.Tooltip("mean:Q", format=".1%" if percent else ",.2f", title=title),
            ],
            **lines,
        )
    )


def wait_distribution(
    histograms: Mapping[str, np.ndarray], targets: Mapping[str, Mapping[str, float]]
) -> alt.LayerChart:
    """Share of answered contacts that waited at most t seconds, per channel, up to the
    point where 99% have been answered (at least 1 minute), with each channel's T marked."""
    edges = wait_bin_edges()
    frames = []
    horizon = 60.0
    for channel, counts in histograms.items():
        counts = np.asarray(counts, dtype=float)
        total = counts.sum()
        if total <= 0:
            continue
        # cumulative share answered by the *upper* edge of each bin; bin 0 holds zero waits
        share = np.cumsum(counts) / total
        upper = edges[1:]  # bin b spans [edges[b], edges[b + 1]); bin 0 is exactly 0 s
        p99 = float(upper[np.searchsorted(share, 0.99)])
        horizon = max(horizon, min(p99, 3600.0))
        frames.append(pd.DataFrame({"channel": channel, "wait_s": upper, "share": share}))
    if not frames:
        return alt.layer(alt.Chart(pd.DataFrame({"x": []})).mark_point())
    data = pd.concat(frames)
    data = data[data.wait_s <= horizon * 1.05]
    color = _color("channel:N", "channel")
    curve = (
        alt.Chart(data)
        .mark_line(interpolate="step-after")
        .encode(
            x=alt.X("wait_s:Q", title="wait t (seconds)"),
            y=alt.Y(
                "share:Q",
                title="share answered within t",
                axis=alt.Axis(format="%"),
                scale=alt.Scale(domain=[0, 1]),
            ),
            color=color,
            tooltip=[
                "channel",
                alt.Tooltip("wait_s:Q", format=".1f"),
                alt.Tooltip("share:Q", format=".1%"),
            ],
        )
    )
    rules = pd.DataFrame(
        [
            {"channel": c, "within_seconds": t["within_seconds"]}
            for c, t in targets.items()
            if "within_seconds" in t and c in histograms
        ]
    )
    layers: list[alt.Chart] = [curve]
    if len(rules):
        # each T named beside its line, a line of text per channel from the top down
        rules["name"] = [
            f"{c}: T = {t:g} s" for c, t in zip(rules.channel, rules.within_seconds, strict=True)
        ]
        rules["label_at"] = 0.98 - 0.08 * np.arange(len(rules))
        marks = alt.Chart(rules).encode(x="within_seconds:Q", color=color)
        layers.append(
            marks.mark_rule(strokeDash=[6, 4]).encode(tooltip=["channel", "within_seconds"])
        )
        layers.append(
            marks.mark_text(align="left", baseline="top", dx=4, fontSize=11).encode(
                y="label_at:Q", text="name:N"
            )
        )
    return alt.layer(*layers).properties(height=HEIGHT)


def wait_histogram(counts: np.ndarray, bin_seconds: float = 10.0) -> alt.Chart:
    """Answered contacts by waiting time in ``bin_seconds`` bins (zero waits excluded and
    reported separately by the page); waits beyond 30 bins are pooled in the last bar."""
    edges = wait_bin_edges()
    counts = np.asarray(counts, dtype=float)
    total = counts.sum()
    mids = (edges[1:-1] + edges[2:]) / 2 if len(edges) > 2 else edges
    waits = counts[1 : len(mids) + 1]
    top = 30 * bin_seconds
    idx = np.minimum((mids[: len(waits)] // bin_seconds).astype(int), 30)
    pooled = np.bincount(idx, weights=waits, minlength=31)
    data = pd.DataFrame(
        {
            "from_s": np.arange(31) * bin_seconds,
            "to_s": np.append(np.arange(1, 31) * bin_seconds, top + bin_seconds),
            "share": pooled / total if total else pooled,
        }
    )
    return (
        alt.Chart(data, height=HEIGHT)
        .mark_bar()
        .encode(
            x=alt.X(
                "from_s:Q",
                title=f"wait (seconds, {bin_seconds:g}-s bins; last = more)",
                bin="binned",
            ),
            x2="to_s:Q",
            y=alt.Y("share:Q", title="share of answered contacts", axis=alt.Axis(format="%")),
            tooltip=[
                alt.Tooltip("from_s:Q", title="from s"),
                alt.Tooltip("to_s:Q", title="to s"),
                alt.Tooltip("share:Q", format=".1%"),
            ],
        )
    )


def bars_with_ci(
    frame: pd.DataFrame, entity: str, title: str, percent: bool = True, goal: float | None = None
) -> alt.LayerChart:
    """One bar per ``entity`` (mean) with its 95% CI as an error bar."""
    low, high = ci_bounds(frame["kpi"], frame["mean"], frame["ci_half_width"].fillna(0))
    data = frame.assign(low=low, high=high)  # no bar below 0% or above 100%
    fmt = ".1%" if percent else ",.1f"
    axis = alt.Axis(format="%") if percent else alt.Axis()
    base = alt.Chart(data)
    bars = base.mark_bar().encode(
        x=alt.X(f"{entity}:N", title=entity, sort=None),
        y=alt.Y("mean:Q", title=title, axis=axis),
        color=_color(f"{entity}:N", legend=None),
        tooltip=[
            entity,
            alt.Tooltip("mean:Q", format=fmt),
            alt.Tooltip("low:Q", format=fmt),
            alt.Tooltip("high:Q", format=fmt),
        ],
    )
    errors = base.mark_errorbar(ticks=True, color="black").encode(
        x=alt.X(f"{entity}:N", sort=None), y=alt.Y("low:Q", title=title), y2="high:Q"
    )
    layers: list[alt.Chart] = [bars, errors]
    if goal is not None:
        layers.append(
            alt.Chart(pd.DataFrame({"goal": [goal]}))
            .mark_rule(strokeDash=[6, 4], color="gray")
            .encode(y="goal:Q")
        )
    return alt.layer(*layers).properties(height=HEIGHT)


def compare_intervals(
    frame: pd.DataFrame, kpi: str, title: str, days: int, percent: bool
) -> alt.Chart:
    """One KPI per interval, a line per variant (``frame`` has a ``variant`` column)."""
    return per_interval(frame, kpi, "variant", title, days, percent, dashed=True)


def compare_bars(frame: pd.DataFrame, title: str, percent: bool) -> alt.LayerChart:
    """One KPI per variant (and entity, side by side) with 95% CI error bars."""
    low, high = ci_bounds(frame["kpi"], frame["mean"], frame["ci_half_width"].fillna(0))
    data = frame.assign(low=low, high=high)  # no bar below 0% or above 100%
    fmt = ".1%" if percent else ",.0f"
    axis = alt.Axis(format="%") if percent else alt.Axis()
    base = alt.Chart(data)
    bars = base.mark_bar().encode(
        # variant names are long ("2 fewer card_specialists"): tilted and never dropped for
        # overlapping (Vega hides every other label otherwise)
        x=alt.X(
            "variant:N",
            title=None,
            sort=None,
            axis=alt.Axis(labelAngle=-20, labelOverlap=False, labelLimit=240),
        ),
        xOffset=alt.XOffset("entity:N"),
        y=alt.Y("mean:Q", title=title, axis=axis),
        color=_color("entity:N", ""),
        tooltip=["variant", "entity", alt.Tooltip("mean:Q", format=fmt)],
    )
    errors = base.mark_errorbar(ticks=True, color="black").encode(
        x=alt.X("variant:N", sort=None),
        xOffset="entity:N",
        y=alt.Y("low:Q", title=title),
        y2="high:Q",
    )
    return alt.layer(bars, errors).properties(height=HEIGHT)


HEATMAP_NUMBERS_UP_TO = 48
"""Columns (intervals of a day) up to which the heat map prints the number in each cell;
beyond, numbers would overprint and only the colour and the tooltip tell."""


def staffing_heatmap(staffing: pd.DataFrame, days: Days = None) -> alt.LayerChart:
    """Agents on duty per group and interval as a heat map: one row per group, or, on a
    multi-day plan (columns ``d1 08:30``, or ``Tue 8 Dec 08:30`` with a start date), one row
    per group and day with the time of day across, so a week stays readable; days named as
    :func:`day_name` names them (by weekday with ``days``, the scenario's horizon with a
    start date); numbers in the cells while they fit."""
    data = staffing.copy()
    data.index.name = "group"
    long = data.reset_index().melt(id_vars="group", var_name="interval", value_name="agents")
    long["interval"] = long["interval"].astype(str)
    parts = long["interval"].str.extract(r"^(.+) (\d\d:\d\d)$")
    multi = bool(len(long)) and not parts[0].isna().any()
    if multi:
        horizon = days if days is not None else 2  # no horizon: days numbered from 0

        def named(day: str) -> str:  # "d1" as day_name names day 1; a dated day as it is
            return day_name(int(day[1:]), horizon) if re.fullmatch(r"d\d+", day) else day

        names = parts[0].map({d: named(d) for d in parts[0].unique()})
        long["day"] = names
        long["time"] = parts[1]
        long["interval"] = long["day"] + " " + long["time"]  # the tooltip names the day too
        long["row"] = long["group"].astype(str) + " · " + long["day"]
        day_order = list(dict.fromkeys(names))
        rows = [f"{g} · {d}" for g in staffing.index for d in day_order]
        columns = list(dict.fromkeys(long["time"]))
    else:
        long["time"] = long["interval"]
        long["row"] = long["group"].astype(str)
        rows = [str(g) for g in staffing.index]
        columns = list(dict.fromkeys(long["time"]))
    base = alt.Chart(long).encode(
        x=alt.X(
            "time:O",
            sort=columns,
            title="interval start",
            axis=alt.Axis(labelAngle=-45, labelOverlap=True),
        ),
        y=alt.Y("row:N", sort=rows, title=None),
    )
    cells = base.mark_rect().encode(
        color=alt.Color("agents:Q", scale=alt.Scale(scheme="blues"), title="agents"),
        tooltip=["group", "interval", alt.Tooltip("agents:Q", format=".1f")],
    )
    height = alt.Step(22 if multi else 30)
    if len(columns) > HEATMAP_NUMBERS_UP_TO:
        return alt.layer(cells).properties(height=height)
    labels = base.mark_text(fontSize=9 if len(columns) > 24 else 10).encode(
        text=alt.Text("agents:Q", format=".0f"),
        color=alt.condition(
            alt.datum.agents > float(np.nanmax(long["agents"])) * 0.6 if len(long) else False,
            alt.value("white"),
            alt.value("black"),
        ),
    )
    return alt.layer(cells, labels).properties(height=height)


def starts_by_day(schedule: pd.DataFrame, days: Days = None) -> alt.Chart:
    """Agents starting at each time, per day (columns, named as :func:`day_name` names them:
    by weekday when ``days`` is a horizon with a start date) and group (colour): the
    schedule a planner posts."""
    data = schedule.groupby(["day", "start", "group"], as_index=False)["agents"].sum()
    horizon = days if days is not None else 2
    order = [day_name(int(d), horizon) for d in sorted(data["day"].unique())]
    data["day"] = [day_name(int(d), horizon) for d in data["day"]]
    return (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X("start:O", title="shift start", axis=alt.Axis(labelAngle=-45)),
            y=alt.Y("agents:Q", title="agents starting", stack=True),
            color=_color("group", "group"),
            column=alt.Column("day:N", title=None, sort=order),  # in horizon order
            tooltip=["day", "start", "group", "agents"],
        )
        .properties(width=alt.Step(14), height=160)
    )


def coverage_vs_requirement(staffing: pd.DataFrame, requirement: pd.DataFrame) -> alt.FacetChart:
    """Agents on duty from the shifts (bars) against the per-interval requirement (line),
    per group (rows), over the horizon."""
    frames = []
    for name, frame in (("on duty (shifts)", staffing), ("per-interval plan", requirement)):
        long = frame.copy()
        long.index.name = "group"
        long = long.reset_index().melt(id_vars="group", var_name="interval", value_name="agents")
        long["series"] = name
        frames.append(long)
    data = pd.concat(frames, ignore_index=True)
    order = list(staffing.columns)
    base = alt.Chart(data).encode(
        x=alt.X(
            "interval:O",
            sort=order,
            title="interval start",
            axis=alt.Axis(labelAngle=-45, labelOverlap=True),
        ),
    )
    bars = (
        base.transform_filter(alt.datum.series == "on duty (shifts)")
        .mark_bar(opacity=0.6)
        .encode(
            y=alt.Y("agents:Q", title="agents"),
            color=alt.Color("series:N", title=None),
            tooltip=["group", "interval", alt.Tooltip("agents:Q", format=".1f")],
        )
    )
    line = (
        base.transform_filter(alt.datum.series == "per-interval plan")
        .mark_line(color="black")
        .encode(
            y="agents:Q",
            color=alt.Color("series:N", title=None),
            tooltip=["group", "interval", alt.Tooltip("agents:Q", format=".0f")],
        )
    )
    return (
        alt.layer(bars, line)
        .facet(row=alt.Row("group:N", title=None))
        .resolve_scale(y="independent")
    )


def shift_timeline(shifts: Mapping[str, list[dict[str, object]]]) -> alt.Chart:
    """Shifts as a timeline: one bar per shift line from start to end, labelled with the
    headcount (times of day on day 1)."""
    rows = []
    for group, lines in shifts.items():
        for i, s in enumerate(lines):
            start = pd.Timestamp("2000-01-01") + pd.to_timedelta(str(s["start"]) + ":00")
            end = start + pd.to_timedelta(float(s["hours"]), unit="h")
            days = s.get("days")
            rows.append(
                {
                    "group": group,
                    "line": f"{group} #{i + 1}",
                    "start": start,
                    "end": end,
                    "count": int(s["count"]),
                    "label": f"{s['count']} × {s['start']} {float(s['hours']):g} h"
                    + (f" days {days}" if days else ""),
                }
            )
    data = pd.DataFrame(rows)
    base = alt.Chart(data).encode(
        y=alt.Y("line:N", sort=None, title=None),
    )
    bars = base.mark_bar(cornerRadius=3).encode(
        x=alt.X("start:T", title="time of day", axis=alt.Axis(format="%H:%M")),
        x2="end:T",
        color=_color("group:N", "group"),
        tooltip=["group", "label"],
    )
    text = base.mark_text(align="left", dx=4, color="white", fontWeight="bold").encode(
        x="start:T", text="count:Q"
    )
    return alt.layer(bars, text).properties(height=max(26 * len(data), 80))


def frontier(
    points: pd.DataFrame, current: pd.DataFrame | None, kpi: str, title: str, percent: bool
) -> alt.LayerChart:
    """Cost (x) against a KPI (y), one line per channel; circles met every target, squares
    did not; the current plan as large diamonds."""
    color = _color("channel:N", "channel")
    axis = alt.Axis(format="%") if percent else alt.Axis()
    fmt = ".1%" if percent else ",.1f"
    base = alt.Chart(points).encode(
        x=alt.X("cost:Q", title="cost over the horizon", scale=alt.Scale(zero=False)),
        y=alt.Y(f"{kpi}:Q", title=title, axis=axis, scale=alt.Scale(zero=False)),
        color=color,
    )
    line = base.mark_line()
    dots = base.mark_point(size=80, filled=True).encode(
        shape=alt.Shape(
            "feasible:N",
            title="all targets met",
            scale=alt.Scale(domain=[True, False], range=["circle", "square"]),
        ),
        tooltip=[
            "channel",
            alt.Tooltip("point:Q", title="swept value"),
            alt.Tooltip("cost:Q", format=",.0f"),
            alt.Tooltip(f"{kpi}:Q", format=fmt, title=title),
            "status",
        ],
    )
    layers: list[alt.Chart] = [line, dots]
    if current is not None and len(current):
        layers.append(  # named beside the diamond: the shape legend is for the frontier
            alt.Chart(current)
            .mark_text(align="left", dx=12, fontSize=11)
            .encode(x="cost:Q", y=f"{kpi}:Q", text="label:N", color=color)
        )
        layers.append(
            alt.Chart(current)
            .mark_point(shape="diamond", size=260, filled=True, stroke="black", strokeWidth=1.5)
            .encode(
                x="cost:Q",
                y=f"{kpi}:Q",
                color=color,
                tooltip=[
                    alt.Tooltip("label:N", title=""),
                    "channel",
                    alt.Tooltip("cost:Q", format=",.0f"),
                    alt.Tooltip(f"{kpi}:Q", format=fmt, title=title),
                ],
            )
        )
    return alt.layer(*layers).properties(height=HEIGHT + 60)
