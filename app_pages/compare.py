"""Compare page: what-if variants of the current scenario side by side.

A variant is the base scenario plus a few edits (``simulator.whatif.Edit``: a field, an
operation and a value). Every variant runs with the same seed, hence on the same customers
(common random numbers): differences in the table are caused by the edits, not by noise.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st
import yaml

from app_pages import _charts, _shared
from simulator import InputError, Scenario, SimulationResult
from simulator.whatif import EDIT_OPS, Edit, Variant, compare, editable_paths, target_checks

BASE = "Base"
MAX_VARIANTS = 3


LOSS_CHARTS = (
    ("blocked_rate", "busy signals / attempts"),
    ("callbacks_accepted", "callbacks accepted"),
    ("balk_rate", "balked / walked in"),
)
"""Per-interval charts Compare adds for a channel that has lines, callbacks or balking."""


def render() -> None:
    st.title("Compare what-ifs")
    scenario = _shared.current_scenario()
    st.caption(
        f"Variants of **{scenario.name}**, each the base scenario plus a few edits. "
        "All variants run with **the same seed, so on the same customers** (common random "
        "numbers): the differences shown are the edits' effect, not sampling noise."
    )
    version = st.session_state["scenario_version"]
    c1, c2, c3 = st.columns(3)
    count = int(
        c1.number_input(
            "What-if variants",
            min_value=1,
            max_value=MAX_VARIANTS,
            value=2,
            help="Shown side by side with the base scenario (2 to 4 columns).",
        )
    )
    replications = int(
        c2.number_input(
            "Replications",
            min_value=1,
            max_value=1000,
            value=scenario.run.replications,
            key="compare-reps",
        )
    )
    seed = int(
        c3.number_input(
            "Seed (shared)", min_value=0, value=scenario.run.seed, step=1, key="compare-seed"
        )
    )
    paths = editable_paths(scenario)
    presets = _presets(scenario)
    variants: list[Variant] = []
    problems: dict[str, list[str]] = {}
    for i in range(count):
        with st.container(border=True):
            variant, bad = _variant_editor(i, presets[i], paths, version)
            variants.append(variant)
            if bad:
                problems[variant.name] = bad
    names = [v.name for v in variants]
    if len(set(names)) != len(names) or BASE in names:
        problems.setdefault("names", []).append(
            f"variant names must be different from each other and from {BASE!r}"
        )
    built: dict[str, Scenario] = {}
    for variant in variants:
        if variant.name in problems:
            continue
        try:
            built[variant.name] = variant.apply(scenario)
        except InputError as exc:
            problems[variant.name] = exc.problems
    for name, lines in problems.items():
        _shared.show_problems(InputError(lines), f"{name}: edits not valid")
    errors, warnings = ([], [])
    if not problems:
        errors, warnings = _shared.check_run_size([scenario, *built.values()], replications)
        for warning in warnings:
            st.warning(warning, icon=":material/warning:")
        for error in errors:
            st.error(error, icon=":material/block:")
    clicked = st.button(
        "Run comparison",
        type="primary",
        disabled=bool(problems or errors),
        icon=":material/compare_arrows:",
    )
    if clicked:
        texts = {BASE: _shared.scenario_yaml()} | {n: s.to_yaml() for n, s in built.items()}
        st.session_state["last_compare"] = (
            tuple(texts.items()),
            replications,
            seed,
            {v.name: [e.describe() for e in v.edits] for v in variants},
        )
    last = st.session_state.get("last_compare")
    if last is None:
        st.info("Describe the variants, then **Run comparison**.")
        return
    texts, reps, run_seed, described = last
    results: dict[str, SimulationResult] = {}
    for name, text in texts:
        results[name] = _shared.run_simulation(text, reps, run_seed, name)
    if texts[0][1] != _shared.scenario_yaml():
        st.warning("The base scenario changed since this comparison. Run it again to update.")
    scenarios = {name: _shared.parse_scenario(text) for name, text in texts}
    _show(results, described, scenarios)


def _presets(scenario: Scenario) -> list[tuple[str, list[dict[str, Any]]]]:
    """Three typical what-ifs for this scenario: more volume, fewer agents, a higher target."""
    channels = list(scenario.channels)
    scale = (
        "channels.*.arrivals.scale"
        if len(channels) > 1
        else f"channels.{channels[0]}.arrivals.scale"
    )
    volume = ("+15% volume", [{"field": scale, "operation": "multiply", "value": "1.15"}])
    group_name, _ = max(
        scenario.agent_groups.items(),
        key=lambda item: item[1].cost_per_hour,
    )
    # On a group staffed by shifts, a headcount edit turns its shifts into agents on duty
    # per interval first (simulator.whatif.edits): 2 fewer in every interval, not 2 fewer on
    # every shift line.
    fewer_path = f"agent_groups.{group_name}.staffing"
    fewer = (f"2 fewer {group_name}", [{"field": fewer_path, "operation": "add", "value": "-2"}])
    first = channels[0]
    target = (
        "90% target",
        [{"field": f"channels.{first}.targets.service_level", "operation": "set", "value": "0.9"}],
    )
    return [fewer, volume, target]


def _variant_editor(
    index: int, preset: tuple[str, list[dict[str, Any]]], paths: list[str], version: int
) -> tuple[Variant, list[str]]:
    left, right = st.columns([1, 3])
    name = left.text_input(
        f"Variant {index + 1}", preset[0], key=f"variant-name-{index}-{version}"
    ).strip()
    name = name or f"Variant {index + 1}"
    table = pd.DataFrame(preset[1], columns=["field", "operation", "value"])
    edited = right.data_editor(
        table,
        key=f"variant-edits-{index}-{version}",
        num_rows="dynamic",
        hide_index=True,
        width="stretch",
        column_config={
            "field": st.column_config.SelectboxColumn(
                "field",
                options=paths,
                required=True,
                width="large",
                help=(
                    "Dotted path in the scenario; * = every channel / group / shift. "
                    "add/multiply on a shift group's staffing changes the agents on duty "
                    "in every interval once (its shifts become agents per interval)."
                ),
            ),
            "operation": st.column_config.SelectboxColumn(
                "op",
                options=list(EDIT_OPS),
                required=True,
                width="small",
                help="set: replace · add: +value (−5 = five fewer) · multiply: ×value",
            ),
            "value": st.column_config.TextColumn(
                "value", width="small", help="A number, or a YAML list for set"
            ),
        },
    )
    edits: list[Edit] = []
    problems: list[str] = []
    for i, row in enumerate(edited.itertuples(index=False)):
        field, op, raw = row.field, row.operation, row.value
        if not isinstance(field, str) or not field:
            continue
        value, bad = _parse_value(raw, f"{name}: row {i + 1} ({field})")
        problems += bad
        if not bad:
            edits.append(Edit(field, value, op if op in EDIT_OPS else "set"))
    left.caption(" · ".join(e.describe() for e in edits) or "no edits: same as the base")
    return Variant(name, tuple(edits)), problems


def _parse_value(raw: Any, where: str) -> tuple[Any, list[str]]:
    if raw is None or (isinstance(raw, float) and raw != raw) or str(raw).strip() == "":
        return None, [f"{where}: enter a value"]
    try:
        return yaml.safe_load(str(raw)), []
    except yaml.YAMLError:
        return None, [f"{where}: {raw!r} is not a number or a YAML list"]


def _show(
    results: dict[str, SimulationResult],
    described: dict[str, list[str]],
    scenarios: dict[str, Scenario],
) -> None:
    """The comparison: KPIs side by side, bars, per-interval lines (each variant's closed
    hours, by its own channel ``hours``, as gaps as on the Simulate page)."""
    days = scenarios[BASE].horizon
    table = compare(results, BASE, days=days.days)
    variants = list(results)
    st.subheader("KPIs side by side")
    st.caption(
        "Mean ± 95% CI half-width; Δ = variant − base (percentage points for shares) ± the "
        "95% CI of the paired difference (same customers in every variant). FTE = paid hours "
        "per week / 37.5 h. Every target of every channel closes the table with its verdict. "
        + " · ".join(f"**{n}**: {', '.join(d) or 'no edits'}" for n, d in described.items())
    )
    wide = pd.concat([_wide(table, variants), _target_rows(results, variants, days)])
    st.dataframe(
        wide,
        width="stretch",
        height=38 + 35 * len(wide),
        column_config={"_index": st.column_config.Column(width="medium")},
    )
    channels = list(results[BASE].channels.channel.unique())
    left, right = st.columns(2)
    sl = table[(table.kpi == "service_level") & (table.scope == "channel")]
    left.altair_chart(_charts.compare_bars(sl, "service level", percent=True), width="stretch")
    cost = table[(table.kpi == "cost") & (table.scope == "overall")].assign(entity="total cost")
    right.altair_chart(_charts.compare_bars(cost, "cost", percent=False), width="stretch")
    channel = st.radio("Per interval, channel", channels, horizontal=True, key="compare-channel")
    frames = [
        _shared.closed_as_gaps(r.intervals[r.intervals.channel == channel], scenarios[n]).assign(
            variant=n
        )
        for n, r in results.items()
    ]
    per_interval = pd.concat(frames)
    a, b = st.columns(2)
    a.altair_chart(
        _charts.compare_intervals(per_interval, "service_level", "service level", days, True),
        width="stretch",
    )
    b.altair_chart(
        _charts.compare_intervals(
            per_interval, "mean_queue_length", "mean contacts waiting", days, False
        ),
        width="stretch",
    )
    losses = [(k, t) for k, t in LOSS_CHARTS if k in set(per_interval.kpi)]
    if losses:  # a channel with lines, callbacks or balking: when each variant loses callers
        for column, (kpi, title) in zip(st.columns(len(losses)), losses, strict=True):
            column.altair_chart(
                _charts.compare_intervals(per_interval, kpi, title, days, kpi.endswith("_rate")),
                width="stretch",
            )
    st.download_button(
        "Comparison (CSV)",
        table.to_csv(index=False),
        "comparison.csv",
        "text/csv",
        icon=":material/download:",
    )


def _wide(table: pd.DataFrame, variants: list[str]) -> pd.DataFrame:
    """KPI rows × variant columns of formatted text, with a Δ column after each variant."""
    rows: dict[str, dict[str, str]] = {}
    for row in table.itertuples(index=False):
        label = _shared.KPI_LABELS.get(row.kpi, row.kpi)
        key = label if row.scope == "overall" else f"{row.entity} · {label}"
        if row.kpi == "targets":
            continue
        cells = rows.setdefault(key, {})
        if row.kpi == "targets_met":
            total = table[(table.variant == row.variant) & (table.kpi == "targets")]["mean"]
            cells[row.variant] = f"{row.mean:.0f} of {total.iloc[0]:.0f}"
            if row.variant != BASE:
                cells[f"Δ {row.variant}"] = _shared.fmt_diff("count", row.diff)
            continue
        cells[row.variant] = _shared.fmt(row.kpi, row.mean, row.ci_half_width)
        if row.variant != BASE:
            cells[f"Δ {row.variant}"] = _shared.fmt_diff(row.kpi, row.diff, row.diff_ci_half_width)
    order = [BASE] + [c for v in variants if v != BASE for c in (v, f"Δ {v}")]
    frame = pd.DataFrame.from_dict(rows, orient="index").reindex(columns=order)
    # KPIs no variant reports (e.g. email KPIs of a call channel) are left out
    return frame[[any(v != "n/a" for v in row[variants]) for _, row in frame.iterrows()]]


def _target_rows(
    results: dict[str, SimulationResult], variants: list[str], horizon: Any
) -> pd.DataFrame:
    """One row per target of every channel (and group): each variant's value and verdict;
    a per-interval target's worst interval named as the Simulate page names it."""
    rows: dict[str, dict[str, str]] = {}
    for name, result in results.items():
        for check in target_checks(result).itertuples():
            key = f"{check.channel} · target: {check.label}"
            value = _shared.fmt(check.kpi, check.mean)
            verdict = "n/a" if check.mean != check.mean else "met" if check.met else "MISSED"
            worst = check.worst_interval
            where = f" (worst {_charts.interval_name(worst, horizon)})" if worst else ""
            rows.setdefault(key, {})[name] = f"{verdict}: {value}{where}"
    order = [BASE] + [c for v in variants if v != BASE for c in (v, f"Δ {v}")]
    frame = pd.DataFrame.from_dict(rows, orient="index", dtype=object).reindex(columns=order)
    return frame.astype(object).fillna("")


render()
