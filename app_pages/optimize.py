"""Optimize page: the cheapest staffing (and shift) plan meeting every target.

Runs :func:`optimizer.optimize` in a background thread (progress bar, Stop button that keeps
the best plan found so far), then shows the plan as a heat map of agents per group and
interval, its shifts as a timeline, its cost beside the standard two-step practice
(:func:`optimizer.baseline`: Erlang C per interval, then shifts) and which targets bind.
"""

from __future__ import annotations

import time
from typing import Any

import pandas as pd
import streamlit as st

from app_pages import _charts, _shared
from optimizer import OptimizeOptions, baseline, optimize
from simulator import InputError, Scenario, simulate
from simulator.whatif import target_checks, with_slack

JOB = "optimize_job"
# Longest search the app starts (10 minutes); longer ones belong in a script or the CLI.
# (A comment, not a docstring: Streamlit would draw a bare string in a page script.)
MAX_TIME_LIMIT_S = 600


def render() -> None:
    st.title("Optimize")
    scenario = _shared.current_scenario()
    st.caption(
        f"The cheapest plan for **{scenario.name}** that meets every target: analytic warm "
        "start, refinement by simulation on common random numbers, the shift program when "
        "the scenario has shifts, then verification on fresh seeds."
    )
    c1, c2, c3, c4 = st.columns(4)
    time_limit = c1.number_input(
        "Time limit (s)",
        min_value=5,
        max_value=MAX_TIME_LIMIT_S,
        value=60,
        step=5,
        help=f"The search stops after this long (at most {MAX_TIME_LIMIT_S} s in the app).",
    )
    replications = c2.number_input(
        "Replications per evaluation",
        min_value=2,
        max_value=200,
        value=max(2, min(scenario.run.replications, 20)),
        key="optimize-reps",
    )
    seed = c3.number_input(
        "Seed", min_value=0, value=scenario.run.seed, step=1, key="optimize-seed"
    )
    evaluator = c4.selectbox(
        "Evaluator",
        ["simulation", "analytic"],
        help="simulation: judged by simulated KPIs (the real test). analytic: Erlang formulas "
        "only, seconds, no abandonment/skills detail.",
    )
    rule = st.radio(
        "A plan is feasible when",
        ["mean", "ci"],
        format_func={
            "mean": "the mean over replications meets every target",
            "ci": "the whole 95% confidence interval meets every target (safer, dearer)",
        }.get,
        horizontal=True,
    )
    options = {
        "time_limit_seconds": float(time_limit),
        "replications": int(replications),
        "seed": int(seed),
        "evaluator": evaluator,
        "rule": rule,
    }
    text = _shared.scenario_yaml()
    job: _shared.Job | None = st.session_state.get(JOB)
    running = job is not None and job.running
    if st.button("Optimize", type="primary", disabled=running, icon=":material/auto_mode:"):
        job = _start(text, options)
        running = True
    if job is None:
        st.info("Set the search, then **Optimize**.")
        return
    if running:
        _watch(job)
        return
    if job.error is not None:
        _shared.job_error(job, "The optimizer could not run")
        return
    if job.result is None:
        st.info("Stopped before the first plan was evaluated.")
        return
    if job.key[0] != text:
        st.warning(
            "The scenario changed since this run: the plan below is for the earlier version.",
            icon=":material/history:",
        )
    _show(job, _shared.parse_scenario(job.key[0]))


def _start(text: str, options: dict[str, Any]) -> _shared.Job:
    scenario = _shared.parse_scenario(text)
    opts = OptimizeOptions.model_validate(options)

    def work(job: _shared.Job) -> dict[str, Any]:
        def progress(info: dict[str, Any]) -> None:
            job.progress = dict(info)
            job.check_stop()

        result = optimize(scenario, opts, progress=progress)
        job.progress = {**job.progress, "phase": "baseline"}
        base = baseline(scenario, opts)
        base_scenario = base.plan.apply(scenario)
        base_sim = simulate(base_scenario, opts.replications, opts.seed)
        return {"result": result, "baseline": base, "baseline_sim": base_sim}

    return _shared.start_job(JOB, (text, tuple(sorted(options.items()))), work)


@st.fragment(run_every=1.0)
def _watch(job: _shared.Job) -> None:
    """Progress while the search runs; reruns itself every second, the page when done."""
    if not job.running:
        st.rerun()
    options = dict(job.key[1])
    info = job.progress
    elapsed = time.monotonic() - job.started
    share = min(elapsed / options["time_limit_seconds"], 0.99)
    best = info.get("best_cost")
    text = (
        f"{info.get('phase', 'starting')} · {info.get('evaluations', 0)} evaluation(s) · "
        + (f"best cost so far {best:,.0f} · " if best is not None else "")
        + f"{elapsed:,.0f} s of at most {options['time_limit_seconds']:,.0f} s (then verification)"
    )
    st.progress(share, text=text)
    if job.stop.is_set():
        st.caption("Stopping: finishing the current evaluation, then keeping the best plan.")
    elif st.button("Stop and keep the best plan so far", icon=":material/stop_circle:"):
        job.stop.set()


def _show(job: _shared.Job, scenario: Scenario) -> None:
    result = job.result["result"]
    base = job.result["baseline"]
    base_sim = job.result["baseline_sim"]
    status = f"**{result.status}** — {result.message}"
    if result.feasible:
        st.success(status, icon=":material/check_circle:")
    else:
        st.warning(status, icon=":material/warning:")
    base_cost = base.cost(scenario)
    base_checks = target_checks(base_sim)
    c1, c2, c3, c4 = st.columns(4)
    c1.metric(
        "Optimized plan cost",
        f"{result.cost:,.0f}",
        f"{result.cost - base_cost:+,.0f} vs two-step",
        delta_color="inverse",
        border=True,
        help=f"Rule: {result.rule}",
    )
    c2.metric(
        "Two-step Erlang C plan",
        f"{base_cost:,.0f}",
        f"{int(base_checks.met.sum())} of {len(base_checks)} targets met",
        delta_color="green" if base_checks.met.all() else "red",
        delta_arrow="off",
        border=True,
        help="The standard practice: Erlang C agents per interval and channel (home group), "
        "then shifts. Its targets are judged by simulating it with the same replications "
        "and seed.",
    )
    c3.metric(
        "Plans evaluated",
        f"{result.evaluations}",
        border=True,
        help=f"By {result.settings.get('evaluator', 'simulation')}; "
        f"{result.replications} replications simulated in all.",
    )
    c4.metric("Run time", f"{result.run_time_s:,.1f} s", border=True)

    st.markdown("#### Targets")
    targets = with_slack(result.targets)
    shown = targets[
        ["entity", "target", "interval", "mean", "ci_low", "ci_high", "met", "slack", "binding"]
    ]
    st.dataframe(
        shown,
        hide_index=True,
        width="stretch",
        column_config={
            "mean": st.column_config.NumberColumn(format="%.3f"),
            "ci_low": st.column_config.NumberColumn("95% CI low", format="%.3f"),
            "ci_high": st.column_config.NumberColumn("95% CI high", format="%.3f"),
            "slack": st.column_config.NumberColumn(
                format="%.3f", help="How far on the good side of the goal"
            ),
            "binding": st.column_config.CheckboxColumn(
                help="Met with (almost) no slack: the plan is cut right to this target."
            ),
        },
    )
    binding = targets[targets.binding]
    if len(binding):
        st.caption("Binding: " + "; ".join(f"{r.entity} {r.target}" for r in binding.itertuples()))

    st.markdown("#### Agents on duty per interval")
    st.altair_chart(_charts.staffing_heatmap(result.staffing), width="stretch")
    if result.plan.shifts:
        st.markdown("#### Shifts")
        shifts = {
            g: [s.model_dump(mode="json", exclude_none=True) for s in lines]
            for g, lines in result.plan.shifts.items()
        }
        st.altair_chart(_charts.shift_timeline(shifts), width="stretch")
    with st.expander("Two-step baseline: agents per interval"):
        baseline_staffing = pd.DataFrame(
            base.plan.staffing, index=list(base.plan.groups), columns=result.staffing.columns
        )
        st.altair_chart(_charts.staffing_heatmap(baseline_staffing), width="stretch")
    c1, c2, c3 = st.columns(3)
    c1.download_button(
        "Plan (YAML)",
        result.plan_yaml(),
        "plan.yaml",
        "application/x-yaml",
        icon=":material/download:",
        help="Simulate it later: staffsim simulate SCENARIO --plan plan.yaml",
    )
    c2.download_button(
        "Optimization result (JSON)",
        result.to_json(),
        "optimization.json",
        "application/json",
        icon=":material/download:",
    )
    if c3.button("Use this plan in the scenario", icon=":material/input:"):
        try:
            _shared.set_scenario(result.plan.apply(scenario).to_yaml())
        except InputError as exc:
            _shared.show_problems(exc, "The plan could not be applied")
        else:
            st.success("The current scenario now has this plan: see Simulate and Compare.")


render()
