"""The scenario page's forms: arrivals, handle time and patience, targets, agent groups,
staffing. Each turns its edited table into dotted-path changes for
``Scenario.with_changes`` (:func:`apply`)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from app_pages import _charts, _shared
from simulator import InputError, Scenario
from simulator.distributions import DISTRIBUTION_NAMES, WITH_CV
from simulator.whatif import arrival_profile, staffing_profile

# Choices come from the scenario model, never re-typed.
DISTRIBUTIONS = list(DISTRIBUTION_NAMES)
NEVER = "never abandons"


def apply(changes: dict[str, Any], what: str) -> None:
    """Apply and rerun, or show the problems under the form that produced them."""
    if not changes:
        st.info("Nothing changed.")
        return
    try:
        _shared.apply_changes(changes)
    except InputError as exc:
        _shared.show_problems(exc, f"{what} not applied")
        return
    st.session_state["flash"] = f"{what} applied ({len(changes)} field(s) changed)."
    st.rerun()


# --------------------------------------------------------------------------------------
# Arrivals
# --------------------------------------------------------------------------------------
def _interval_rows(scenario: Scenario, per_day: bool) -> pd.DataFrame:
    h = scenario.horizon
    days = range(h.days) if per_day else [0]
    rows = [(d, h.interval_label(i)) for d in days for i in range(h.intervals_per_day)]
    frame = pd.DataFrame(rows, columns=["day", "start"])
    return frame if per_day else frame.drop(columns="day")


def _grid(values: Any, scenario: Scenario, per_day: bool) -> np.ndarray:
    """Per-interval values as a flat array (days × intervals when ``per_day``)."""
    h = scenario.horizon
    if isinstance(values, int | float):
        array = np.full(h.intervals_per_day, float(values))
    else:
        array = np.asarray(values, dtype=float)
    if array.ndim == 1 and per_day:
        array = np.tile(array, h.days)
    return array.ravel()


def _volumes(scenario: Scenario, name: str, per_day: bool) -> np.ndarray:
    arrivals = scenario.channels[name].arrivals
    h = scenario.horizon
    if arrivals.volumes is None:
        return _grid(arrivals.rate_per_hour * h.interval_s / 3600, scenario, per_day)
    return _grid(arrivals.volumes, scenario, per_day)


def _is_per_day(values: Any) -> bool:
    return isinstance(values, tuple) and bool(values) and isinstance(values[0], tuple)


def _column_values(
    edited: pd.DataFrame, column: str, scenario: Scenario, per_day: bool, where: str
) -> tuple[list[Any] | None, list[str]]:
    """An edited column back as a list (per day: list of lists), or problems."""
    values = pd.to_numeric(edited[column], errors="coerce").to_numpy(dtype=float)
    empty = np.flatnonzero(np.isnan(values))
    if len(empty):
        starts = edited["start"].iloc[empty[:3]].tolist()
        return None, [f"{where}: empty cell(s) at {', '.join(starts)}: enter 0 for none"]
    if not per_day:
        return values.tolist(), []
    per = scenario.horizon.intervals_per_day
    return [values[d * per : (d + 1) * per].tolist() for d in range(scenario.horizon.days)], []


def arrivals(scenario: Scenario, version: int) -> None:
    per_day = any(_is_per_day(c.arrivals.volumes) for c in scenario.channels.values())
    table = _interval_rows(scenario, per_day)
    for name in scenario.channels:
        table[name] = _volumes(scenario, name, per_day)
    scales = pd.DataFrame(
        {
            "channel": list(scenario.channels),
            "scale": [c.arrivals.scale for c in scenario.channels.values()],
        }
    )
    st.markdown(
        "Expected contacts **per interval** by channel"
        + (" and day" if per_day else " (the same curve every day)")
        + ". A channel given as a constant rate becomes a per-interval list when edited. "
        "*Scale* multiplies a whole channel (1.15 = +15% volume)."
    )
    with st.form("arrivals-form", border=False):
        left, right = st.columns([3, 1])
        with left:
            edited = _shared.data_editor(
                table,
                key=f"volumes-{version}",
                hide_index=True,
                disabled=["day", "start"],
                column_config={
                    name: st.column_config.NumberColumn(name, min_value=0.0, format="%.1f")
                    for name in scenario.channels
                },
                height=min(38 + 35 * len(table), 460),
                width="stretch",
            )
        with right:
            new_scales = _shared.data_editor(
                scales,
                key=f"scales-{version}",
                hide_index=True,
                disabled=["channel"],
                column_config={
                    "scale": st.column_config.NumberColumn("scale", min_value=0.0, format="%.2f")
                },
            )
        submitted = st.form_submit_button("Apply arrival changes", type="primary")
    if submitted:
        changes: dict[str, Any] = {}
        problems: list[str] = []
        for name, channel in scenario.channels.items():
            where = f"channels.{name}.arrivals.volumes"
            new = pd.to_numeric(edited[name], errors="coerce").to_numpy(dtype=float)
            old = _volumes(scenario, name, per_day)
            if not np.array_equal(new, old, equal_nan=True):
                values, bad = _column_values(edited, name, scenario, per_day, where)
                problems += bad
                if values is not None:
                    changes[where] = values
                    if channel.arrivals.rate_per_hour is not None:
                        changes[f"channels.{name}.arrivals.rate_per_hour"] = None
            scale = new_scales.loc[new_scales.channel == name, "scale"].iloc[0]
            if scale is None or (isinstance(scale, float) and math.isnan(scale)):
                problems.append(f"channels.{name}.arrivals.scale: enter a number (1 = as is)")
            elif float(scale) != channel.arrivals.scale:
                changes[f"channels.{name}.arrivals.scale"] = float(scale)
        if problems:
            _shared.show_problems(InputError(problems), "Arrival changes not applied")
        else:
            apply(changes, "Arrival changes")
    profile = arrival_profile(scenario)
    closed = ~scenario.horizon.open_mask()[profile["day"], profile["interval"]]
    profile.loc[closed, "contacts"] = np.nan  # closed hours and days: gaps, not zeros
    st.altair_chart(
        _charts.day_curve(
            profile,
            scenario.horizon,  # days named by weekday and date with a start_date
            "contacts",
            "expected contacts per interval",
            "channel",
        ),
        width="stretch",
    )


# --------------------------------------------------------------------------------------
# Handle time, patience
# --------------------------------------------------------------------------------------
def _dist_cells(dist: Any) -> tuple[str, float, float]:
    if dist is None:
        return NEVER, math.nan, math.nan
    return (
        dist.distribution,
        float(dist.mean_s),
        float(getattr(dist, "cv", math.nan)),
    )


def _dist_value(
    kind: str, mean: float, cv: float, original: Any, where: str
) -> tuple[Any, list[str]]:
    """Table cells back to a distribution mapping (or None = never abandons)."""
    if kind == NEVER:
        return None, []
    if kind == "empirical":
        if original is not None and original.distribution == "empirical":
            return original.model_dump(mode="json"), []
        return None, [f"{where}: empirical samples are edited in the YAML tab"]
    if mean is None or math.isnan(mean):
        return None, [f"{where}.mean_seconds: enter the mean in seconds"]
    value: dict[str, Any] = {"distribution": kind, "mean_seconds": float(mean)}
    if kind in WITH_CV:
        if cv is None or math.isnan(cv):
            return None, [f"{where}.cv: {kind} needs a coefficient of variation (std / mean)"]
        value["cv"] = float(cv)
    return value, []


def _handling_form(scenario: Scenario, version: int) -> None:
    rows = []
    for name, ch in scenario.channels.items():
        h_kind, h_mean, h_cv = _dist_cells(ch.handle_time)
        p_kind, p_mean, p_cv = _dist_cells(ch.patience)
        rows.append(
            {
                "channel": name,
                "kind": ch.kind,
                "handle time": h_kind,
                "mean handle (s)": h_mean,
                "handle cv": h_cv,
                "patience": p_kind,
                "mean patience (s)": p_mean,
                "patience cv": p_cv,
                "redial probability": ch.redial.probability if ch.redial else math.nan,
            }
        )
    table = pd.DataFrame(rows)
    st.markdown(
        "Handle time is talk + wrap-up for an agent of proficiency factor 1.0. Patience is how "
        "long a waiting customer stays before abandoning (calls and chats only). "
        "*cv* = standard deviation / mean (lognormal and gamma)."
    )
    with st.form("handling-form", border=False):
        edited = _shared.data_editor(
            table,
            key=f"handling-{version}",
            hide_index=True,
            disabled=["channel", "kind", "redial probability"]
            if not any(ch.redial for ch in scenario.channels.values())
            else ["channel", "kind"],
            column_config={
                "handle time": st.column_config.SelectboxColumn(
                    options=DISTRIBUTIONS, required=True
                ),
                "mean handle (s)": st.column_config.NumberColumn(min_value=0.0, format="%.0f"),
                "handle cv": st.column_config.NumberColumn(min_value=0.0, format="%.2f"),
                "patience": st.column_config.SelectboxColumn(
                    options=[NEVER, *DISTRIBUTIONS], required=True
                ),
                "mean patience (s)": st.column_config.NumberColumn(min_value=0.0, format="%.0f"),
                "patience cv": st.column_config.NumberColumn(min_value=0.0, format="%.2f"),
                "redial probability": st.column_config.NumberColumn(
                    min_value=0.0,
                    max_value=1.0,
                    format="%.2f",
                    help="Share of abandoning callers who call again (channels with redial).",
                ),
            },
            width="stretch",
        )
        submitted = st.form_submit_button("Apply handling changes", type="primary")
    if not submitted:
        return
    changes: dict[str, Any] = {}
    problems: list[str] = []
    for (_, old), (_, new) in zip(table.iterrows(), edited.iterrows(), strict=True):
        name = old["channel"]
        ch = scenario.channels[name]
        for label, field, original in (
            ("handle", "handle_time", ch.handle_time),
            ("patience", "patience", ch.patience),
        ):
            kind_col = "handle time" if label == "handle" else "patience"
            cells = (new[kind_col], new[f"mean {label} (s)"], new[f"{label} cv"])
            if _same(cells, (old[kind_col], old[f"mean {label} (s)"], old[f"{label} cv"])):
                continue
            value, bad = _dist_value(*cells, original, f"channels.{name}.{field}")
            problems += bad
            if not bad:
                changes[f"channels.{name}.{field}"] = value
                if field == "patience" and value is None and ch.redial is not None:
                    changes[f"channels.{name}.redial"] = None
        if ch.redial is not None and not _same(
            (new["redial probability"],), (old["redial probability"],)
        ):
            changes[f"channels.{name}.redial.probability"] = _number(new["redial probability"])
    if problems:
        _shared.show_problems(InputError(problems), "Handling changes not applied")
    else:
        apply(changes, "Handling changes")


def handling(scenario: Scenario, version: int) -> None:
    """The handle time and patience form, then the handle-time profile by interval."""
    _handling_form(scenario, version)
    from app_pages._hours import handle_time_chart

    handle_time_chart(scenario)


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def _same(a: tuple[Any, ...], b: tuple[Any, ...]) -> bool:
    for x, y in zip(a, b, strict=True):
        nx, ny = _number(x), _number(y)
        if isinstance(x, str) or isinstance(y, str):
            if x != y:
                return False
        elif nx != ny:
            return False
    return True


# --------------------------------------------------------------------------------------
# Targets
# --------------------------------------------------------------------------------------
def _pct(value: float | None) -> float:
    return math.nan if value is None else value * 100


def targets(scenario: Scenario, version: int) -> None:
    rows = []
    for name, ch in scenario.channels.items():
        t = ch.targets
        rows.append(
            {
                "channel": name,
                "service level (%)": _pct(t.service_level),
                "within (s)": math.nan if t.within_seconds is None else t.within_seconds,
                "max ASA (s)": math.nan if t.max_asa_seconds is None else t.max_asa_seconds,
                "max abandon (%)": _pct(t.max_abandon_rate),
                "scope": t.scope,
            }
        )
    table = pd.DataFrame(rows)
    st.markdown(
        "What a plan must meet, per channel. Leave a cell empty for no target. "
        "*80 / 20* = 80% answered within 20 seconds; *scope* says whether targets must hold "
        "over the whole horizon or in every interval."
    )
    with st.form("targets-form", border=False):
        edited = _shared.data_editor(
            table,
            key=f"targets-{version}",
            hide_index=True,
            disabled=["channel"],
            column_config={
                "service level (%)": st.column_config.NumberColumn(
                    min_value=0.0, max_value=100.0, format="%.0f"
                ),
                "within (s)": st.column_config.NumberColumn(min_value=0.0, format="%.0f"),
                "max ASA (s)": st.column_config.NumberColumn(min_value=0.0, format="%.0f"),
                "max abandon (%)": st.column_config.NumberColumn(
                    min_value=0.0, max_value=100.0, format="%.1f"
                ),
                "scope": st.column_config.SelectboxColumn(
                    options=["overall", "per_interval"], required=True
                ),
            },
            width="stretch",
        )
        submitted = st.form_submit_button("Apply target changes", type="primary")
    if not submitted:
        return
    changes: dict[str, Any] = {}
    for (_, old), (_, new) in zip(table.iterrows(), edited.iterrows(), strict=True):
        base = f"channels.{old['channel']}.targets"
        for column, field, factor in (
            ("service level (%)", "service_level", 100),
            ("within (s)", "within_seconds", 1),
            ("max ASA (s)", "max_asa_seconds", 1),
            ("max abandon (%)", "max_abandon_rate", 100),
        ):
            if not _same((new[column],), (old[column],)):
                value = _number(new[column])
                changes[f"{base}.{field}"] = None if value is None else value / factor
        if new["scope"] != old["scope"]:
            changes[f"{base}.scope"] = new["scope"]
    apply(changes, "Target changes")


# --------------------------------------------------------------------------------------
# Agent groups
# --------------------------------------------------------------------------------------
def groups(scenario: Scenario, version: int) -> None:
    groups = pd.DataFrame(
        [
            {
                "group": name,
                "cost per hour": g.cost_per_hour,
                "shrinkage (%)": g.shrinkage * 100,
                "staffed by": "shifts" if g.shifts is not None else "headcount per interval",
            }
            for name, g in scenario.agent_groups.items()
        ]
    )
    skills = pd.DataFrame(
        [
            {
                "group": name,
                "channel": channel,
                "handle-time factor": skill.handle_time_factor,
                "FCR (%)": skill.fcr * 100,
            }
            for name, g in scenario.agent_groups.items()
            for channel, skill in g.skills.items()
        ]
    )
    st.markdown(
        "Cost is per **paid** hour. Shrinkage is the share of paid time agents are unavailable "
        "(breaks, absence, training). Per skill: the *handle-time factor* multiplies the "
        "channel's handle time (0.8 = 20% faster) and *FCR* is the chance a contact resolves "
        "the issue. Add or remove groups and skills in the YAML tab."
    )
    with st.form("groups-form", border=False):
        new_groups = _shared.data_editor(
            groups,
            key=f"groups-{version}",
            hide_index=True,
            disabled=["group", "staffed by"],
            column_config={
                "cost per hour": st.column_config.NumberColumn(min_value=0.0, format="%.2f"),
                "shrinkage (%)": st.column_config.NumberColumn(
                    min_value=0.0, max_value=99.0, format="%.1f"
                ),
            },
            width="stretch",
        )
        new_skills = _shared.data_editor(
            skills,
            key=f"skills-{version}",
            hide_index=True,
            disabled=["group", "channel"],
            column_config={
                "handle-time factor": st.column_config.NumberColumn(
                    min_value=0.01, max_value=10.0, format="%.2f"
                ),
                "FCR (%)": st.column_config.NumberColumn(
                    min_value=0.0, max_value=100.0, format="%.1f"
                ),
            },
            width="stretch",
        )
        submitted = st.form_submit_button("Apply group changes", type="primary")
    if not submitted:
        return
    changes: dict[str, Any] = {}
    for (_, old), (_, new) in zip(groups.iterrows(), new_groups.iterrows(), strict=True):
        base = f"agent_groups.{old['group']}"
        if not _same((new["cost per hour"],), (old["cost per hour"],)):
            changes[f"{base}.cost_per_hour"] = _number(new["cost per hour"])
        if not _same((new["shrinkage (%)"],), (old["shrinkage (%)"],)):
            value = _number(new["shrinkage (%)"])
            changes[f"{base}.shrinkage"] = None if value is None else value / 100
    for (_, old), (_, new) in zip(skills.iterrows(), new_skills.iterrows(), strict=True):
        base = f"agent_groups.{old['group']}.skills.{old['channel']}"
        if not _same((new["handle-time factor"],), (old["handle-time factor"],)):
            changes[f"{base}.handle_time_factor"] = _number(new["handle-time factor"])
        if not _same((new["FCR (%)"],), (old["FCR (%)"],)):
            value = _number(new["FCR (%)"])
            changes[f"{base}.fcr"] = None if value is None else value / 100
    apply(changes, "Group changes")


# --------------------------------------------------------------------------------------
# Staffing
# --------------------------------------------------------------------------------------
def staffing(scenario: Scenario, version: int) -> None:
    by_interval = {n: g for n, g in scenario.agent_groups.items() if g.staffing is not None}
    by_shifts = {n: g for n, g in scenario.agent_groups.items() if g.shifts is not None}
    changes: dict[str, Any] = {}
    problems: list[str] = []
    st.markdown(
        "Agents **paid** per interval, by group (shrinkage is taken off when simulating), or "
        "shifts that produce them. The chart shows agents available after shrinkage against "
        "the offered load in Erlangs (expected busy agents): below the dashed line queues grow."
    )
    with st.form("staffing-form", border=False):
        edited = None
        per_day = any(_is_per_day(g.staffing) for g in by_interval.values())
        if by_interval:
            table = _interval_rows(scenario, per_day)
            for name, g in by_interval.items():
                table[name] = _grid(g.staffing, scenario, per_day).astype(int)
            edited = _shared.data_editor(
                table,
                key=f"staffing-{version}",
                hide_index=True,
                disabled=["day", "start"],
                column_config={
                    name: st.column_config.NumberColumn(name, min_value=0, step=1, format="%d")
                    for name in by_interval
                },
                height=min(38 + 35 * len(table), 460),
                width="stretch",
            )
        shift_tables: dict[str, tuple[pd.DataFrame, pd.DataFrame]] = {}
        for name, g in by_shifts.items():
            st.markdown(f"**{name}** — shifts (add or delete rows; days empty = every day)")
            table = pd.DataFrame(
                [
                    {
                        "start": s.start,
                        "hours": s.hours,
                        "count": s.count,
                        "days": "" if s.days is None else ", ".join(str(d) for d in s.days),
                        "breaks": ", ".join(f"{b.after_minutes}+{b.minutes}" for b in s.breaks),
                    }
                    for s in g.shifts or ()
                ],
                columns=["start", "hours", "count", "days", "breaks"],
            )
            shift_tables[name] = (
                table,
                _shared.data_editor(
                    table,
                    key=f"shifts-{name}-{version}",
                    hide_index=True,
                    num_rows="dynamic",
                    column_config={
                        "start": st.column_config.TextColumn(help="HH:MM", required=True),
                        "hours": st.column_config.NumberColumn(min_value=0.25, format="%.2f"),
                        "count": st.column_config.NumberColumn(min_value=0, step=1, format="%d"),
                        "days": st.column_config.TextColumn(help="0-based day numbers, e.g. 0, 1"),
                        "breaks": st.column_config.TextColumn(
                            help="unpaid breaks as AFTER+MINUTES from the shift start, "
                            "e.g. 120+15, 240+30"
                        ),
                    },
                    width="stretch",
                ),
            )
        submitted = st.form_submit_button("Apply staffing changes", type="primary")
    if submitted:
        if edited is not None:
            for name, g in by_interval.items():
                where = f"agent_groups.{name}.staffing"
                old = _grid(g.staffing, scenario, per_day)
                new = pd.to_numeric(edited[name], errors="coerce").to_numpy(dtype=float)
                if not np.array_equal(old, new, equal_nan=True):
                    values, bad = _column_values(edited, name, scenario, per_day, where)
                    problems += bad
                    if values is not None:
                        changes[where] = _whole(values)
        for name, (old_table, new_table) in shift_tables.items():
            if old_table.equals(new_table.reset_index(drop=True)):
                continue
            shifts, bad = _shifts(new_table, f"agent_groups.{name}.shifts")
            problems += bad
            changes[f"agent_groups.{name}.shifts"] = shifts
        if problems:
            _shared.show_problems(InputError(problems), "Staffing changes not applied")
        else:
            apply(changes, "Staffing changes")
    st.altair_chart(
        _charts.staffing_vs_load(
            staffing_profile(scenario), arrival_profile(scenario), scenario.horizon
        ),
        width="stretch",
    )


def _whole(values: Any) -> Any:
    """Headcounts as ints where they are whole (the schema explains any other value)."""
    if isinstance(values, list):
        return [_whole(v) for v in values]
    return int(values) if float(values).is_integer() else values


def _shifts(table: pd.DataFrame, where: str) -> tuple[list[dict[str, Any]], list[str]]:
    """Shift rows back to scenario shifts; problems name the row (0-based, as in YAML)."""
    shifts: list[dict[str, Any]] = []
    problems: list[str] = []
    for i, (_, row) in enumerate(table.reset_index(drop=True).iterrows()):
        shift: dict[str, Any] = {
            "start": str(row["start"] or "").strip(),
            "hours": _number(row["hours"]),
            "count": _number(row["count"]),
        }
        if shift["count"] is not None and float(shift["count"]).is_integer():
            shift["count"] = int(shift["count"])
        days = str(row["days"] or "").strip() if row["days"] is not None else ""
        if days:
            try:
                shift["days"] = [int(d) for d in days.replace(";", ",").split(",") if d.strip()]
            except ValueError:
                problems.append(f"{where}.{i}.days: write day numbers separated by commas")
        breaks = str(row["breaks"] or "").strip() if row["breaks"] is not None else ""
        if breaks:
            try:
                shift["breaks"] = [
                    {"after_minutes": int(a), "minutes": int(m)}
                    for a, m in (b.split("+") for b in breaks.split(",") if b.strip())
                ]
            except ValueError:
                problems.append(f"{where}.{i}.breaks: write breaks as AFTER+MINUTES, e.g. 120+15")
        shifts.append(shift)
    return shifts, problems


# --------------------------------------------------------------------------------------
# Run settings and raw YAML
# --------------------------------------------------------------------------------------
