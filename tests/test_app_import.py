"""The app's Import history page, headless (AppTest): the bundled sample fitted, its report
shown, the scenario taken into the other pages; a bad mapping named, not a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import app_button as _button

from simulator import Scenario

ROOT = Path(__file__).resolve().parent.parent
PAGE = "app_pages/import_history.py"


@pytest.fixture
def at():
    pytest.importorskip("streamlit")
    from streamlit.testing.v1 import AppTest

    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)  # a hang guard
    app.run()
    app.switch_page(PAGE).run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def test_sample_fitted_and_taken_into_the_app(at):
    _button(at, "Use the bundled sample history").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.subheader[0].value == "fitted from history 2026-08-31 to 2026-11-07"
    report = at.dataframe[0].value
    assert list(report.channel) == ["calls", "chat"]
    assert report.set_index("channel").loc["calls", "patience_s"] == pytest.approx(178.6)
    _button(at, "Use this scenario in the other pages").click().run()
    assert not at.exception
    scenario = Scenario.from_yaml_text(at.session_state["scenario_yaml"])
    assert scenario.horizon.hours["sun"] == "closed"
    assert scenario.channels["calls"].patience.mean_s == pytest.approx(178.6, abs=0.05)


def test_forecast_shows_the_backtest(at):
    _button(at, "Use the bundled sample history").click().run()
    at.toggle(key="history_forecast").set_value(True)
    at.number_input(key="history_weeks").set_value(2).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.subheader[0].value.startswith("forecast 2026-11-09 + 2 week(s)")
    assert len(at.dataframe) == 3  # report, back-test, weekdays


def test_bad_mapping_is_named(at):
    _button(at, "Use the bundled sample history").click().run()
    at.text_input(key="history_columns").set_value("offered=Calls").run()
    assert not at.exception
    shown = " ".join(e.value for e in at.error) + " ".join(m.value for m in at.markdown)
    assert "the file has no column 'Calls'" in shown


def test_sample_with_agents_shows_the_back_check(at):
    """The sample centre simulated by staffsim itself: the back-check table is shown, with
    the recorded calls service level of its last week (87.7%) beside the simulated one."""
    _button(at, "Use the sample with agents (back-check)").click().run()
    assert not at.exception, [e.value for e in at.exception]
    shown = " ".join(m.value for m in at.markdown)
    assert "Back-check: the last history week simulated with its recorded agents" in shown
    table = next(d.value for d in at.dataframe if "recorded" in d.value.columns)
    row = table[(table.channel == "calls") & (table.kpi == "service_level")].iloc[0]
    assert row.recorded == "87.7%"
    assert row.simulated.startswith("87.")
