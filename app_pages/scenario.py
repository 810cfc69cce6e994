"""Scenario page: pick, upload, edit, validate and download the scenario the other pages use.

Each tab is a form over one part of the scenario. On "Apply", the form's tables become
dotted-path changes for ``Scenario.with_changes``; a change the schema refuses is shown under
that form, one line per problem naming the field, and the current scenario stays as it was.
"""

from __future__ import annotations

from typing import Any, get_args

import streamlit as st

from app_pages import _editors, _hours, _lines, _outbound, _shared, _walk_in
from simulator import InputError, Scenario
from simulator.scenario import AgentSelection, ServiceLevelDefinition
from simulator.whatif import expected_contacts

# Choices come from the scenario model, never re-typed.
SL_DEFINITIONS = list(get_args(ServiceLevelDefinition))
AGENT_SELECTION = list(get_args(AgentSelection))


def render() -> None:
    st.title("Scenario")
    st.caption(
        "The contact centre every page works on. Pick a bundled scenario or upload your own, "
        "edit what planners edit, and download the result as YAML."
    )
    _source_picker()
    flash = st.session_state.pop("flash", None)
    if flash:
        st.success(flash, icon=":material/check_circle:")
    scenario = _shared.current_scenario()
    _summary(scenario)
    tabs = st.tabs(
        [
            "Arrivals",
            "Handle time & patience",
            "Targets",
            "Lines & callbacks",
            "Agent groups",
            "Staffing",
            "Opening hours",
            "Outbound",
            "Run settings",
            "Channel hours & counters",
            "YAML",
        ]
    )
    version = st.session_state["scenario_version"]
    with tabs[0]:
        _editors.arrivals(scenario, version)
    with tabs[1]:
        _editors.handling(scenario, version)
    with tabs[2]:
        _editors.targets(scenario, version)
    with tabs[3]:
        _lines.editor(scenario, version)
    with tabs[4]:
        _editors.groups(scenario, version)
    with tabs[5]:
        _editors.staffing(scenario, version)
    with tabs[6]:
        _hours.editor(scenario, version)
    with tabs[7]:
        _outbound.editor(scenario, version)
    with tabs[8]:
        _run_settings(scenario, version)
    with tabs[9]:
        _walk_in.render(scenario, version)
    with tabs[10]:
        _yaml(version)


# --------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------
def _source_picker() -> None:
    files = _shared.bundled_scenarios()
    names = list(files)
    left, right = st.columns(2)
    with left:
        source = st.session_state.get("scenario_source")
        name = st.selectbox(
            "Bundled scenario",
            names,
            index=names.index(source) if source in names else 0,
            help="Scenarios shipped in the scenarios/ folder.",
        )
        if st.button("Load bundled scenario", icon=":material/folder_open:"):
            _shared.set_scenario(files[name].read_text(encoding="utf-8"), source=name, edited=False)
            st.session_state["flash"] = f"Loaded {name}."
            st.rerun()
    with right:
        uploaded = st.file_uploader(
            f"…or upload a scenario file (YAML, up to {_shared.MAX_UPLOAD_BYTES / 1e6:.0f} MB)",
            type=["yaml", "yml"],
            max_upload_size=max(1, _shared.MAX_UPLOAD_BYTES // 1_000_000),
            key="upload",
        )
        if uploaded is not None:
            errors: dict[str, list[str]] = st.session_state.setdefault("upload_errors", {})
            if st.session_state.get("upload_done") != uploaded.file_id:
                st.session_state["upload_done"] = uploaded.file_id
                try:
                    text = _shared.read_upload(uploaded.name, uploaded.getvalue())
                except InputError as exc:
                    errors[uploaded.file_id] = exc.problems
                else:
                    _shared.set_scenario(text, source=uploaded.name, edited=False)
                    st.session_state["flash"] = f"Loaded {uploaded.name}."
                    st.rerun()
            if uploaded.file_id in errors:
                _shared.show_problems(
                    InputError(errors[uploaded.file_id]),
                    f"{uploaded.name} was not loaded: the current scenario is unchanged",
                )


def _summary(scenario: Scenario) -> None:
    h = scenario.horizon
    volume = expected_contacts(scenario)
    edited = " (edited)" if st.session_state.get("scenario_edited") else ""
    st.subheader(scenario.name)
    if scenario.description:
        st.caption(scenario.description)
    cols = st.columns(4)
    cols[0].metric("Channels", len(scenario.channels), border=True)
    cols[1].metric("Agent groups", len(scenario.agent_groups), border=True)
    cols[2].metric(
        "Horizon",
        f"{h.days} day{'s' if h.days > 1 else ''}",
        help=f"{_hours.hours_text(h)}; {h.intervals_per_day} × {h.interval_minutes}-minute "
        "intervals a day",
        border=True,
    )
    cols[3].metric(
        "Expected contacts",
        f"{sum(volume.values()):,.0f}",
        help="First contacts over the horizon (volumes × scale); redials and repeats on top.",
        border=True,
    )
    st.caption(
        f"Source: `{st.session_state.get('scenario_source')}`{edited} · "
        f"open {_hours.hours_text(h)} in {h.interval_minutes}-minute intervals"
        + (f" from {h.start_date:%a %-d %b %Y}" if h.start_date else "")
        + " · "
        + " · ".join(f"{c}: {v:,.0f}" for c, v in volume.items())
    )
    st.download_button(
        "Download scenario YAML",
        _shared.scenario_yaml(),
        file_name=_file_name(scenario),
        mime="application/x-yaml",
        icon=":material/download:",
    )


def _file_name(scenario: Scenario) -> str:
    stem = "".join(c if c.isalnum() else "-" for c in scenario.name.lower()).strip("-")
    return f"{stem or 'scenario'}.yaml"


def _run_settings(scenario: Scenario, version: int) -> None:
    run = scenario.run
    st.markdown("Defaults for the Simulate and Compare pages, and the rules KPIs are computed by.")
    with st.form("run-form", border=False):
        c1, c2, c3 = st.columns(3)
        replications = c1.number_input(
            "Replications",
            min_value=1,
            max_value=1000,
            value=run.replications,
            key=f"run-reps-{version}",
        )
        seed = c2.number_input(
            "Seed", min_value=0, value=run.seed, step=1, key=f"run-seed-{version}"
        )
        warmup = c3.number_input(
            "Warm-up (minutes)",
            min_value=0.0,
            value=float(run.warmup_minutes),
            key=f"run-warmup-{version}",
            help="Contacts arriving earlier are left out of the KPIs.",
        )
        definition = st.selectbox(
            "Service level definition",
            SL_DEFINITIONS,
            index=SL_DEFINITIONS.index(run.service_level_definition),
            key=f"run-sl-{version}",
            help="answered within T over offered (abandons count against you), over answered, "
            "or over offered minus those who hung up within T.",
        )
        selection = st.selectbox(
            "Which idle agent gets a new contact",
            AGENT_SELECTION,
            index=AGENT_SELECTION.index(scenario.routing.agent_selection),
            key=f"run-sel-{version}",
        )
        submitted = st.form_submit_button("Apply run settings", type="primary")
    if not submitted:
        return
    changes: dict[str, Any] = {}
    for path, new, old in (
        ("run.replications", int(replications), run.replications),
        ("run.seed", int(seed), run.seed),
        ("run.warmup_minutes", float(warmup), run.warmup_minutes),
        ("run.service_level_definition", definition, run.service_level_definition),
        ("routing.agent_selection", selection, scenario.routing.agent_selection),
    ):
        if new != old:
            changes[path] = new
    _editors.apply(changes, "Run settings")


def _yaml(version: int) -> None:
    st.markdown(
        "The whole scenario as YAML (format: `docs/scenario-format.md`). Edit here for what the "
        "tables do not cover (channels, groups, skills, redial, resolution loop, routing)."
    )
    with st.form("yaml-form", border=False):
        text = st.text_area(
            "Scenario YAML",
            _shared.scenario_yaml(),
            height=420,
            key=f"yaml-{version}",
            label_visibility="collapsed",
        )
        submitted = st.form_submit_button("Apply YAML", type="primary")
    if submitted:
        if len(text.encode("utf-8")) > _shared.MAX_UPLOAD_BYTES:
            _shared.show_problems(
                InputError(f"scenario: larger than {_shared.MAX_UPLOAD_BYTES / 1e6:.0f} MB"),
                "YAML not applied",
            )
            return
        try:
            _shared.set_scenario(text)
        except InputError as exc:
            _shared.show_problems(exc, "YAML not applied: the current scenario is unchanged")
            return
        st.session_state["flash"] = "YAML applied."
        st.rerun()


render()
