"""Frontier page: what each service level costs (cost against service level, abandonment and
FCR), from one optimization per target level (:func:`optimizer.frontier`), with the current
scenario's own plan marked for reference.
"""

from __future__ import annotations

import time
from typing import Any

import pandas as pd
import streamlit as st

from app_pages import _charts, _shared
from optimizer import OptimizeOptions, frontier
from optimizer.frontier import FEATURE_KPIS, FRONTIER_KPIS, with_cost_per_point
from simulator import InputError, SimulationResult, simulate

JOB = "frontier_job"
MAX_POINTS = 8
MAX_EVALUATIONS_PER_POINT = 200
LIST_SWEEP = "list completion: "
"""Prefix of the Sweep choices that sweep an outbound list's completion target."""
KPI_TITLES = {
    "service_level": ("service level", True),
    "abandon_rate": ("abandon rate", True),
    "fcr": ("first-contact resolution", True),
    "asa_s": ("average speed of answer (s)", False),
    "blocked_rate": ("busy signals", True),
    "callback_within_promise": ("callbacks within promise", True),
    "balk_rate": ("balked", True),
}


def render() -> None:
    st.title("Cost–service frontier")
    scenario = _shared.current_scenario()
    with_targets = [c for c, ch in scenario.channels.items() if ch.targets.service_level]
    lists = list(scenario.outbound or {})
    st.caption(
        f"**{scenario.name}**: the cheapest plan for each service-level target (or outbound "
        "list completion), optimized one by one, against its simulated service level, "
        "abandonment and FCR. The diamond is the current scenario's own staffing."
    )
    sweeps = ["every channel with a target", *with_targets] if with_targets else []
    sweeps += [f"{LIST_SWEEP}{name}" for name in lists]
    if not sweeps:
        st.info("No channel has a service-level target to sweep: set one on the Scenario page.")
        return
    c1, c2, c3, c4 = st.columns(4)
    channel = c2.selectbox(
        "Sweep",
        sweeps,
        help="Set this target on every channel that has one, on one channel only, or sweep "
        "an outbound list's completion target (min_list_completion).",
    )
    completion = channel.startswith(LIST_SWEEP)
    levels_text = c1.text_input(
        "List-completion targets" if completion else "Service-level targets",
        "0.6, 0.7, 0.8, 0.9" if completion else "0.7, 0.8, 0.9",
        help=f"Values in (0, 1{']' if completion else ')'}, comma separated; at most {MAX_POINTS}.",
        key=f"frontier-levels-{completion}",
    )
    evaluations = c3.number_input(
        "Simulations per point",
        min_value=1,
        max_value=MAX_EVALUATIONS_PER_POINT,
        value=20,
        step=5,
        help="Each point's search budget, in simulations of a plan: the same frontier on any "
        "machine.",
    )
    evaluator = c4.selectbox("Evaluator", ["simulation", "analytic"], key="frontier-evaluator")
    replications = max(2, min(scenario.run.replications, 20))
    levels, problems = _levels(levels_text, "list completion" if completion else "service level")
    if problems:
        _shared.show_problems(InputError(problems), "Targets not valid")
    text = _shared.scenario_yaml()
    job: _shared.Job | None = st.session_state.get(JOB)
    running = job is not None and job.running
    if st.button(
        "Compute frontier",
        type="primary",
        disabled=running or bool(problems),
        icon=":material/show_chart:",
    ):
        options = {
            "max_evaluations": int(evaluations),
            "replications": replications,
            "seed": scenario.run.seed,
            "evaluator": evaluator,
            "workers": 1,  # the app's worker thread does not fork processes
        }
        sweep = None if channel.startswith("every") else channel
        job = _start(text, levels, sweep, options)
        running = True
    if job is None:
        st.info(
            f"Each point is one optimization (up to {int(evaluations)} simulations each). "
            "Pick the targets, then **Compute frontier**."
        )
        return
    if running:
        _watch(job)
        return
    if job.error is not None:
        _shared.job_error(job, "The frontier could not be computed")
        return
    points, current = job.result
    if points.empty:
        st.info("Stopped before the first point was done.")
        return
    if job.key[0] != text:
        st.warning("The scenario changed since this run: the frontier is for the earlier one.")
    _show(points, current)


def _levels(text: str, what: str = "service level") -> tuple[list[float], list[str]]:
    """The targets typed (``0.8`` or ``80%``), sorted, and what is wrong with them. A list
    completion may be 1 (every record finished); a service level must stay below 1."""
    values, problems = [], []
    top = 1.0 if what == "list completion" else 1.0 - 1e-12
    for part in text.replace(";", ",").split(","):
        if not part.strip():
            continue
        try:
            value = float(part.strip().rstrip("%")) / (100 if "%" in part else 1)
        except ValueError:
            problems.append(f"{what} {part.strip()!r}: not a number")
            continue
        if not 0 < value <= top:
            allowed = (
                "above 0 and at most 1 (or 100%)" if top == 1.0 else "between 0 and 1 (or 1%-99%)"
            )
            problems.append(f"{what} {part.strip()}: must be {allowed}")
        values.append(value)
    if not values and not problems:
        problems.append(f"{what} targets: give at least one, e.g. 0.7, 0.8, 0.9")
    if len(values) > MAX_POINTS:
        problems.append(f"{what} targets: at most {MAX_POINTS} points in the app")
    return sorted(set(values)), problems


def _start(
    text: str, levels: list[float], channel: str | None, options: dict[str, Any]
) -> _shared.Job:
    scenario = _shared.parse_scenario(text)
    opts = OptimizeOptions.model_validate(options)

    def work(job: _shared.Job) -> tuple[pd.DataFrame, pd.DataFrame]:
        current = _current_point(simulate(scenario, opts.replications, opts.seed))
        tables: list[pd.DataFrame] = []
        for i, level in enumerate(levels):
            job.progress = {"point": i, "points": len(levels), "level": level}
            try:
                if channel is not None and channel.startswith(LIST_SWEEP):
                    name = channel.removeprefix(LIST_SWEEP)
                    point = frontier(
                        scenario, list_completions=[level], outbound_list=name, options=opts
                    )
                else:
                    point = frontier(
                        scenario, service_levels=[level], channel=channel, options=opts
                    )
                tables.append(point)
            except KeyboardInterrupt:
                break
            if job.stop.is_set():
                break
        points = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()
        return with_cost_per_point(points), current

    key = (text, tuple(levels), channel, tuple(sorted(options.items())))
    return _shared.start_job(JOB, key, work)


@st.fragment(run_every=1.0)
def _watch(job: _shared.Job) -> None:
    if not job.running:
        st.rerun()
    info = job.progress
    done, total = info.get("point", 0), info.get("points", 1)
    elapsed = time.monotonic() - job.started
    level = info.get("level")
    st.progress(
        min(done / total, 0.99),
        text=f"point {done + 1} of {total}"
        + (f" (service level {level:.0%})" if level is not None else "")
        + f" · {elapsed:,.0f} s",
    )
    if job.stop.is_set():
        st.caption("Stopping after the point being optimized…")
    elif st.button("Stop after this point", icon=":material/stop_circle:"):
        job.stop.set()


def per_point_text(cost_per_point: pd.Series, point: pd.Series) -> list[str]:
    """Cost per point as people read it (``1,234``), ``–`` at the lowest point and wherever
    it is undefined (a number column would show "None" there)."""
    lowest = point.min()
    return [
        "–" if p == lowest or c != c else f"{c:,.0f}"
        for c, p in zip(cost_per_point, point, strict=True)
    ]


def _current_point(result: SimulationResult) -> pd.DataFrame:
    """The current plan as frontier rows: one per channel with the plan's cost and KPIs."""
    cost = float(result.overall.set_index("kpi").loc["cost", "mean"])
    table = result.channels.pivot(index="channel", columns="kpi", values="mean")
    kpis = [k for k in (*FRONTIER_KPIS, *FEATURE_KPIS) if k in table.columns]
    out = table[kpis].reset_index()
    out["cost"] = cost
    out["label"] = "current plan"
    return out


def _show(points: pd.DataFrame, current: pd.DataFrame) -> None:
    kpi = st.radio(
        "Against cost",
        [k for k in KPI_TITLES if k in points.columns],  # lines, callbacks, balking if any
        format_func=lambda k: KPI_TITLES[k][0],
        horizontal=True,
    )
    title, percent = KPI_TITLES[kpi]
    st.altair_chart(_charts.frontier(points, current, kpi, title, percent), width="stretch")
    st.caption(
        "Circles: the plan met every target on fresh seeds; squares: it did not (the closest "
        "plan found). The diamond is the current scenario's staffing, simulated with the same "
        "replications and seed."
    )
    fixed = ["point", "cost", "cost_per_point", "status", "binding"]
    table = (
        points.assign(cost_per_point=points["cost_per_point"].fillna(0.0))
        .pivot_table(index=fixed, columns="channel", values=kpi)
        .reset_index()
    )
    table["cost_per_point"] = per_point_text(table["cost_per_point"], table["point"])
    kpi_format = "percent" if percent else "%.1f"
    swept = "list-completion target" if points["sweep"].iloc[0] == "list_completion" else None
    point_columns = {  # both tables: each row is one swept target and its plan's cost
        "point": st.column_config.NumberColumn(swept or "service-level target", format="percent"),
        "cost": st.column_config.NumberColumn(format="localized"),
    }
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        column_config={
            **point_columns,
            "cost_per_point": st.column_config.TextColumn(
                "cost per point",
                alignment="right",  # a number column's side, beside the costs
                help="Extra cost per percentage point of target over the next lower point "
                "(– for the lowest point: nothing to compare it with).",
            ),
            "binding": st.column_config.TextColumn(
                "binding target",
                help="The target that limits the cost here: the met one with least slack, "
                "or the one missed. A flat stretch of the frontier is where the swept "
                "target is not the binding one.",
            ),
            **{
                c: st.column_config.NumberColumn(f"{c}: {title}", format=kpi_format)
                for c in table.columns
                if c not in fixed
            },
        },
    )
    outbound = [c for c in points.columns if ": " in c]  # "<list>: <kpi>" (frontier)
    if outbound:
        # What each point's plan dials in idle time: a point's columns are the same on
        # every channel row, so one row per point.
        per_point = points.drop_duplicates("point")[["point", "cost", *outbound]]
        st.markdown("**Outbound lists on each point's plan**")
        st.dataframe(
            per_point,
            hide_index=True,
            width="stretch",
            column_config={
                **point_columns,
                **{
                    c: st.column_config.NumberColumn(
                        c.replace("_", " "),
                        format="percent" if c.endswith("list_completion") else "%.1f",
                    )
                    for c in outbound
                },
            },
        )
    st.download_button(
        "Frontier (CSV)",
        points.to_csv(index=False),
        "frontier.csv",
        "text/csv",
        icon=":material/download:",
    )


render()
