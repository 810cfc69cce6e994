"""Finite lines and callbacks in the app (issue 12), headless with ``AppTest``.

The bundled storm scenario (``scenarios/storm_callbacks.yaml``: a claims line with 42 lines
and a callback offer at a 90-second expected wait) is loaded from the Scenario page, its
Lines & callbacks form edited (fewer lines, a higher uptake, both targets; lines on the
policy queue too), and the Simulate page's cards are checked against ``simulate`` run on the
same scenario with the same seed: the same numbers, to the digit shown, and the same
verdicts. Refusals name the field; Compare has a row per new KPI and target.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import pandas as pd
import pytest
from conftest import app_button as _button
from conftest import app_ok as _ok

from simulator import Scenario, simulate
from simulator.whatif import target_checks

ROOT = Path(__file__).resolve().parent.parent
STORM = ROOT / "scenarios" / "storm_callbacks.yaml"
REPS = 4
SEED = 20261202  # the file's own seed

# The form edits every test starts from: more lines and a higher uptake on claims (about
# 1% busy signals and 110 callbacks offered with this seed), both targets, and a queue
# limit on the policy line (columns as the form names them).
EDITS = {
    "lines": {
        0: {"max lines (on hold + talking)": 44, "target: max busy signals (%)": 0.5},
        1: {"max on hold": 8},
    },
    "callbacks": {0: {"uptake (%)": 60, "target: within promise (%)": 90}},
}


@pytest.fixture
def at():
    pytest.importorskip("streamlit")
    from streamlit.testing.v1 import AppTest

    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)  # a hang guard
    app.run()
    _ok(app)
    box = next(s for s in app.selectbox if s.label == "Bundled scenario")
    box.set_value(STORM.name)
    _button(app, "Load bundled scenario").click().run()
    _ok(app)
    assert app.subheader[0].value.startswith("Home insurer")
    return app


def _metrics(app) -> dict[str, object]:
    """The cards by label, the first of each (claims comes before policy)."""
    out: dict[str, object] = {}
    for m in app.metric:
        out.setdefault(m.label, m)
    return out


def _scenario(app) -> Scenario:
    return Scenario.from_yaml_text(app.session_state["scenario_yaml"])


def _edit_form(app, tables: dict[str, dict[int, dict[str, object]]]) -> None:
    """Edit the form's tables (``lines``, ``callbacks``: row → {column: value}) and apply;
    a table not named has no edits (a refused edit stays in its table otherwise)."""
    version = app.session_state["scenario_version"]
    for name in ("lines", "callbacks"):
        app.session_state[f"{name}-{version}"] = {
            "edited_rows": tables.get(name, {}),
            "added_rows": [],
            "deleted_rows": [],
        }
    _button(app, "Apply lines & callbacks").click().run()
    _ok(app)


def _errors(app) -> str:
    return " ".join(e.value for e in app.error)


def test_the_form_sets_lines_callback_and_targets(at) -> None:
    before = _scenario(at)
    _edit_form(at, EDITS)
    assert not at.error, _errors(at)
    after = _scenario(at)
    claims, policy = after.channels["claims"], after.channels["policy"]
    assert claims.lines.max_in_system == 44 and claims.lines.max_waiting is None
    assert claims.callback.uptake == pytest.approx(0.6)
    # the cells not edited keep their values
    assert claims.callback.offer_at_expected_wait_seconds == 90
    assert claims.callback.promise_minutes == 120 and claims.callback.offer_at_position is None
    assert claims.targets.max_blocked_rate == pytest.approx(0.005)
    assert claims.targets.callback_within_promise == pytest.approx(0.9)
    assert policy.lines.max_waiting == 8 and policy.callback is None
    assert claims.redial == before.channels["claims"].redial  # the redial model untouched
    assert isinstance(claims.lines.max_in_system, int)  # whole numbers stored as integers


def test_simulate_cards_equal_simulate_for_the_same_seed(at) -> None:
    """Every lines/callback card shows ``simulate``'s mean ± CI half-width as formatted for
    people, and the two targets' verdicts are the library's."""
    from app_pages import _shared

    _edit_form(at, EDITS)
    scenario = _scenario(at)
    at.switch_page("app_pages/simulate.py").run()
    at.number_input[0].set_value(REPS)
    at.number_input[1].set_value(SEED)
    _button(at, "Run simulation").click().run()
    _ok(at)
    assert not at.error, _errors(at)
    result = simulate(scenario, REPS, SEED)
    rows = result.channels[result.channels.channel == "claims"].set_index("kpi")
    cards = _metrics(at)
    expected = {
        "Busy signals": "blocked_rate",
        "Callbacks offered": "callbacks_offered",
        "Callbacks accepted": "callbacks_accepted",
        "Callbacks within 120 min": "callback_within_promise",
        "Callback delay": "callback_delay_s",
    }
    for label, kpi in expected.items():
        mean, half = rows.loc[kpi, "mean"], rows.loc[kpi, "ci_half_width"]
        assert not math.isnan(mean) and mean > 0, (kpi, mean)
        assert cards[label].value == _shared.fmt(kpi, mean, half), label
    # the numbers behind the text
    blocked = float(cards["Busy signals"].value.split("%")[0]) / 100
    assert blocked == pytest.approx(rows.loc["blocked_rate", "mean"], abs=0.0005)
    delay = cards["Callback delay"].value
    assert re.fullmatch(r"[\d.,]+ min ± [\d.,]+", delay), delay  # minutes, as the promise
    assert float(delay.split()[0]) == pytest.approx(
        rows.loc["callback_delay_s", "mean"] / 60, abs=0.5
    )  # whole minutes from 10 min on
    uptake = cards["Callbacks accepted"].delta
    assert uptake == "uptake " + _shared.fmt(
        "callback_uptake",
        rows.loc["callback_uptake", "mean"],
        rows.loc["callback_uptake", "ci_half_width"],
    )
    assert cards["Callback delay"].delta == "promise 120 min"
    # verdicts as the library judges them, with the goals in words
    checks = target_checks(result).set_index("target")
    for label, target, goal in (
        ("Busy signals", "max_blocked_rate", "target ≤ 0.5%"),
        ("Callbacks within 120 min", "callback_within_promise", "target ≥ 90% in 120 min"),
    ):
        met = bool(checks.loc[target, "met"])
        delta = cards[label].delta
        assert delta.startswith("met" if met else "missed") and delta.endswith(f"({goal})"), delta
    # the policy line has a queue limit only: a busy-signal card, no callback cards
    policy = [m.label for m in at.metric]
    assert policy.count("Busy signals") == 2 and policy.count("Callbacks offered") == 1
    captions = " ".join(c.value for c in at.caption)
    blocked_count = _shared.fmt(
        "blocked", rows.loc["blocked", "mean"], rows.loc["blocked", "ci_half_width"]
    )
    assert f"busy signals **{blocked_count}**" in captions


def test_refusals_name_the_field_and_keep_the_scenario(at) -> None:
    before = at.session_state["scenario_yaml"]
    _edit_form(at, {"callbacks": {0: {"promise (min)": None}}})
    assert "channels.claims.callback.promise_minutes" in _errors(at)
    assert "is required" in _errors(at)
    assert at.session_state["scenario_yaml"] == before
    # a target that needs what the form removes is refused, naming it
    _edit_form(at, {"lines": {0: {"target: max busy signals (%)": 5}}})
    assert not at.error, _errors(at)
    current = at.session_state["scenario_yaml"]
    _edit_form(at, {"lines": {0: {"max lines (on hold + talking)": None}}})
    errors = _errors(at)
    assert "channels.claims" in errors and "max_blocked_rate needs lines" in errors
    assert at.session_state["scenario_yaml"] == current
    # an uptake over 100% (typed past the column's bound) is the schema's refusal
    _edit_form(at, {"callbacks": {0: {"uptake (%)": 140}}})
    assert "channels.claims.callback.uptake" in _errors(at)


def test_clearing_every_cell_removes_lines_and_callback(at) -> None:
    from app_pages import _lines

    # every cell of both tables, the targets too (storm_callbacks.yaml sets both targets,
    # and a busy-signal target without lines is refused)
    lines = dict.fromkeys(_lines.LINES_TABLE)
    callbacks = dict.fromkeys(_lines.CALLBACK_TABLE)
    _edit_form(at, {"lines": {0: lines}, "callbacks": {0: callbacks}})
    assert not at.error, _errors(at)
    claims = _scenario(at).channels["claims"]
    assert claims.lines is None and claims.callback is None
    assert claims.targets.max_blocked_rate is None
    assert claims.targets.callback_within_promise is None
    assert claims.redial is not None  # patience remains, so redials of abandoned callers stay


def test_form_lists_call_channels_only() -> None:
    pytest.importorskip("streamlit")
    import sys

    sys.path.insert(0, str(ROOT))
    try:
        from app_pages import _lines
    finally:
        sys.path.remove(str(ROOT))
    week = Scenario.from_yaml(ROOT / "scenarios" / "week.yaml")
    calls = [n for n, c in week.channels.items() if c.kind == "call"]
    assert _lines.channels_with_lines(week) == calls and calls
    table = _lines.table(week)
    assert list(table["channel"]) == calls
    assert table.drop(columns="channel").isna().all().all()  # nothing set: empty cells


def test_compare_has_rows_for_the_new_kpis_and_targets(at) -> None:
    _edit_form(at, EDITS)
    scenario = _scenario(at)
    at.switch_page("app_pages/compare.py").run()
    _ok(at)
    at.number_input(key="compare-reps").set_value(REPS)
    at.number_input(key="compare-seed").set_value(SEED)
    _button(at, "Run comparison").click().run()
    _ok(at)
    assert not at.error, _errors(at)
    wide: pd.DataFrame = at.dataframe[-1].value
    from app_pages import _shared

    result = simulate(scenario, REPS, SEED)
    rows = result.channels[result.channels.channel == "claims"].set_index("kpi")
    for label, kpi in (
        ("Busy signals", "blocked_rate"),
        ("Callbacks offered", "callbacks_offered"),
        ("Callbacks accepted", "callbacks_accepted"),
        ("Callbacks within promise", "callback_within_promise"),
        ("Callback delay", "callback_delay_s"),
    ):
        cell = wide.loc[f"claims · {label}", "Base"]
        assert cell == _shared.fmt(kpi, rows.loc[kpi, "mean"], rows.loc[kpi, "ci_half_width"])
    assert "policy · Busy signals" in wide.index
    assert "policy · Callbacks offered" not in wide.index  # no callback on the policy line
    checks = target_checks(result).set_index("target")
    for target, key in (
        ("max_blocked_rate", "claims · target: busy signals <= 0.5% of attempts"),
        ("callback_within_promise", "claims · target: callbacks within 120 min >= 90%"),
    ):
        verdict = "met" if checks.loc[target, "met"] else "MISSED"
        assert wide.loc[key, "Base"].startswith(f"{verdict}: "), wide.loc[key, "Base"]


def test_empty_cells_of_the_scenario_forms_show_blank_not_none(at) -> None:
    """An empty cell means "not set" (no queue limit on claims, no callbacks on policy):
    every editable table of the Scenario page shows it blank; Streamlit's default is a grey
    "None", which a planner reads as a value."""
    editors = [d for d in at.dataframe if d.proto.editing_mode != 0]  # 0: read-only
    assert len(editors) >= 5  # lines, callbacks, channels, groups, skills, ...
    lines = next(d for d in editors if "max on hold" in d.value.columns)
    assert lines.value["max on hold"].isna().any()  # the case: claims has no queue limit
    for d in editors:
        assert d.proto.HasField("placeholder") and d.proto.placeholder == "", d.value.columns
