"""Optimize page: the cheapest staffing and shift plan meeting every target.

Runs :func:`optimizer.optimize` in a background thread (progress bar, Stop button that keeps
the best plan found so far), then shows the verdict, the cost beside the per-interval lower
bound and the standard two-step practice (:func:`optimizer.baseline`: Erlang C per interval,
then shifts), every target with its slack, the shift schedule (starts by day, coverage
against the per-interval requirement) or the agents per interval, and downloads.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from app_pages import _background, _charts, _outbound, _shared
from optimizer import OptimizeOptions, baseline, optimize
from optimizer.result import bound_text
from simulator import InputError, Scenario, simulate
from simulator.whatif import target_checks, with_slack

JOB = "optimize_job"
# Largest evaluation budget the app starts; bigger searches belong in a script or the CLI.
# (A comment, not a docstring: Streamlit would draw a bare string in a page script.)
MAX_EVALUATIONS = 200


def render() -> None:
    st.title("Optimize")
    scenario = _shared.current_scenario()
    kinds = "shift plan" if scenario.shift_types or _has_shifts(scenario) else "staffing plan"
    st.caption(
        f"The cheapest {kinds} for **{scenario.name}** that meets every target of the "
        "scenario: an integer program over the shift rules on a queueing model corrected by "
        "simulation (common random numbers), then verification on fresh seeds. The same "
        "scenario and seed give the same plan."
    )
    c1, c2, c3, c4 = st.columns(4)
    evaluations = c1.number_input(
        "Simulations",
        min_value=1,
        max_value=MAX_EVALUATIONS,
        value=40,
        step=5,
        help="The search's budget, in simulations of a plan (verification not included).",
    )
    replications = c2.number_input(
        "Replications per simulation", min_value=2, max_value=200, value=20, key="optimize-reps"
    )
    seed = c3.number_input(
        "Seed", min_value=0, value=scenario.run.seed, step=1, key="optimize-seed"
    )
    evaluator = c4.selectbox(
        "Evaluator",
        ["simulation", "analytic"],
        help="simulation: judged by simulated KPIs (the real test). analytic: Erlang formulas "
        "only, seconds, an estimate that is never called feasible.",
    )
    left, right = st.columns(2)
    rule = left.radio(
        "A plan is feasible when",
        ["mean", "ci"],
        format_func={
            "mean": "the mean over replications meets every target",
            "ci": "the whole 95% confidence interval meets every target (safer, dearer)",
        }.get,
    )
    plan_kind = right.radio(
        "Plan",
        ["auto", "per_interval"],
        format_func={
            "auto": "shifts where the scenario has shift rules",
            "per_interval": "agents per interval (the lower bound of any shift plan)",
        }.get,
    )
    options = {
        "max_evaluations": int(evaluations),
        "replications": int(replications),
        "seed": int(seed),
        "evaluator": evaluator,
        "rule": rule,
        "plan": plan_kind,
        "workers": 1,  # the app's worker thread does not fork processes
    }
    text = _shared.scenario_yaml()
    job: _shared.Job | None = st.session_state.get(JOB)
    running = job is not None and job.running
    if st.button("Optimize", type="primary", disabled=running, icon=":material/auto_mode:"):
        _start(text, options)
        st.rerun()  # the page again, its Optimize button now disabled while the search runs
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


def _has_shifts(scenario: Scenario) -> bool:
    return any(g.shifts for g in scenario.agent_groups.values())


def _start(text: str, options: dict[str, Any]) -> _shared.Job:
    scenario = _shared.parse_scenario(text)
    opts = OptimizeOptions.model_validate(options)

    def work(job: _shared.Job) -> dict[str, Any]:
        def progress(info: dict[str, Any]) -> None:
            job.progress = dict(info)
            job.check_stop()

        # Stop takes effect between replications (StopExecutor), not only between plans.
        result = optimize(scenario, opts, progress=progress, executor=_background.StopExecutor(job))
        base = baseline(scenario)
        base_sim = None
        if not job.stop.is_set():  # after Stop, the plan so far without waiting for more
            job.progress = {"phase": "simulating the two-step practice"}

            def sim_progress(done: int, total: int) -> None:
                job.progress = {"phase": f"simulating the two-step practice ({done}/{total})"}
                job.check_stop()

            seed = result.settings["seed"]
            reps = opts.search_replications
            base_sim = simulate(base.plan.apply(scenario), reps, seed, progress=sim_progress)
            if base_sim.interrupted:
                base_sim = None  # fewer replications than the plan's: not a fair comparison
        return {"result": result, "baseline": base, "baseline_sim": base_sim}

    return _shared.start_job(JOB, (text, tuple(sorted(options.items()))), work)


@st.fragment(run_every=1.0)
def _watch(job: _shared.Job) -> None:
    """Progress while the search runs; reruns itself every second, the page when done."""
    if not job.running:
        st.rerun()
    options = dict(job.key[1])
    share, line = _background.optimizer_progress(job, options["max_evaluations"])
    st.progress(share, text=line)
    if job.stop.is_set():
        st.caption(
            "Stopping after the replication or the integer program under way (on a week, "
            "the program can take a minute), then keeping the best plan so far."
        )
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
    c1, c2, c3, c4 = st.columns(4)
    c1.metric(
        "Optimized plan cost",
        f"{result.cost:,.0f}",
        f"{result.cost - base_cost:+,.0f} vs two-step",
        delta_color="inverse",
        border=True,
        help=f"Rule: {result.rule}",
    )
    bound = result.lower_bound
    measured = bound is not None and bound.get("cheaper_found", True)
    c2.metric(
        "Per-interval plan (lower bound)",
        f"{bound['cost']:,.0f}" if measured else "–",
        f"gap {bound['gap']:+.1%}" if measured else (None if bound is None else "not measured"),
        delta_color="off",
        delta_arrow="off",
        border=True,
        help="Agents free to change every interval: what any shift plan costs at least. The "
        "gap is the price of the shift rules."
        + ("" if bound is None or measured else " This run: " + bound_text(bound) + "."),
    )
    if base_sim is None:  # stopped: the practice's plan was not simulated
        base_verdict, base_color = "not simulated (stopped)", "off"
    else:
        base_checks = target_checks(base_sim)
        base_verdict = f"{int(base_checks.met.sum())} of {len(base_checks)} targets met"
        base_color = "green" if base_checks.met.all() else "red"
    c3.metric(
        "Two-step Erlang C plan",
        f"{base_cost:,.0f}",
        base_verdict,
        delta_color=base_color,
        delta_arrow="off",
        border=True,
        help="The standard practice: Erlang C agents per interval and channel (home group), "
        "then shifts. Its targets are judged by simulating it with the same replications "
        "and seed.",
    )
    c4.metric(
        "Simulations",
        f"{result.evaluations}",
        f"{result.run_time_s:,.1f} s",
        delta_color="off",
        delta_arrow="off",
        border=True,
        help=f"{result.replications} replications simulated in all.",
    )

    st.markdown("#### Targets")
    targets = with_slack(result.verdicts)
    # Shares as percentages and times in s/min/h, as on the Simulate cards.
    shown = pd.DataFrame(
        {
            "entity": targets["entity"],
            "target": targets["target"],
            "worst_interval": [
                _charts.interval_name(w, scenario.horizon) if isinstance(w, str) else w
                for w in targets["worst_interval"]
            ],
            "mean": [_shared.fmt(k, m) for k, m in zip(targets.kpi, targets["mean"], strict=True)],
            "95% CI": [
                f"{_shared.fmt(k, lo)} – {_shared.fmt(k, hi)}"
                for k, lo, hi in zip(targets.kpi, targets.ci_low, targets.ci_high, strict=True)
            ],
            "met": targets["met"],
            "slack": [
                _shared.fmt_diff(k, v) for k, v in zip(targets.kpi, targets.slack, strict=True)
            ],
            "binding": targets["binding"],
        }
    )
    st.dataframe(
        shown,
        hide_index=True,
        width="stretch",
        column_config={
            "worst_interval": st.column_config.TextColumn(
                "worst interval", help="For a per-interval target or floor: its worst interval."
            ),
            "slack": st.column_config.TextColumn(
                help="How far on the good side of the goal (percentage points for shares)"
            ),
            "binding": st.column_config.CheckboxColumn(
                help="Met with (almost) no slack: the plan is cut right to this target."
            ),
        },
    )
    binding = targets[targets.binding]
    if len(binding):
        st.caption("Binding: " + "; ".join(f"{r.entity} {r.target}" for r in binding.itertuples()))

    if result.kpis is not None and len(result.kpis.outbound):
        # What the plan dials in its idle time (the verification run), as on the Simulate
        # page: a list's targets are in the table above, its volume and share of time here.
        _outbound.cards(result.kpis)
    if len(result.schedule):
        _schedule(result, scenario.horizon)
    else:
        st.markdown("#### Agents on duty per interval")
        heatmap = _charts.staffing_heatmap(result.staffing, scenario.horizon)
        st.altair_chart(heatmap, width="stretch")
    with st.expander("Two-step baseline: agents per interval"):
        baseline_staffing = pd.DataFrame(
            base.plan.staffing, index=list(base.plan.groups), columns=result.staffing.columns
        )
        heatmap = _charts.staffing_heatmap(baseline_staffing, scenario.horizon)
        st.altair_chart(heatmap, width="stretch")
    _downloads(result, scenario)


def _schedule(result: Any, horizon: Any) -> None:
    """Starts by day, coverage against the per-interval requirement, the table."""
    st.markdown("#### Shift schedule")
    st.altair_chart(_charts.starts_by_day(result.schedule, horizon), width="stretch")
    bound = result.lower_bound
    if bound is not None and bound.get("staffing") and bound.get("cheaper_found", True):
        requirement = pd.DataFrame(
            bound["staffing"], index=list(result.staffing.index), columns=result.staffing.columns
        )
        st.altair_chart(
            _charts.coverage_vs_requirement(result.staffing, requirement), width="stretch"
        )
        st.caption(
            "Bars: agents on duty that the shifts put in each interval (breaks counted out). "
            "Line: the per-interval plan's agents - what each interval needs when agents may "
            "change every interval."
        )
    st.dataframe(result.schedule, hide_index=True, width="stretch")
    if len(result.tours):
        st.markdown("Weekly patterns")
        st.dataframe(result.tours, hide_index=True, width="stretch")


def _downloads(result: Any, scenario: Scenario) -> None:
    c1, c2, c3, c4 = st.columns(4)
    c1.download_button(
        "Plan (YAML)",
        result.plan_yaml(),
        "plan.yaml",
        "application/x-yaml",
        icon=":material/download:",
        help="Simulate it later: staffsim simulate SCENARIO --plan plan.yaml",
    )
    c2.download_button(
        "Schedule (CSV)",
        result.schedule_csv(),
        "schedule.csv",
        "text/csv",
        icon=":material/download:",
        help="The shift schedule (or agents per interval) as a table.",
    )
    c3.download_button(
        "Optimization result (JSON)",
        result.to_json(),
        "optimization.json",
        "application/json",
        icon=":material/download:",
    )
    if c4.button("Use this plan in the scenario", icon=":material/input:"):
        try:
            _shared.set_scenario(result.plan.apply(scenario).to_yaml())
        except InputError as exc:
            _shared.show_problems(exc, "The plan could not be applied")
        else:
            st.success("The current scenario now has this plan: see Simulate and Compare.")


render()
