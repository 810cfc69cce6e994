"""Weekday hours and per-interval handle times on the Scenario page (issue 14), headless.

The scenario is the one fitted to the bundled sample history (Monday 9 November 2026 on;
Mon-Fri 08:00-20:00, Saturday 09:00-14:00, Sunday closed; handle time per interval).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import app_button as _button

from simulator import Scenario
from simulator.history.fit import fit_history

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "examples" / "history_sample.csv"
WEEK = "Mon–Fri 08:00–20:00 · Sat 09:00–14:00 · Sun closed"


@pytest.fixture(scope="module")
def fitted_yaml() -> str:
    return fit_history(SAMPLE).scenario.to_yaml()


@pytest.fixture
def at(fitted_yaml):
    pytest.importorskip("streamlit")
    from streamlit.testing.v1 import AppTest

    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)  # a hang guard
    app.run()
    app.session_state["scenario_yaml"] = fitted_yaml
    app.session_state["scenario_version"] = 1
    app.session_state["scenario_source"] = "fitted.yaml"
    app.switch_page("app_pages/scenario.py").run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def _scenario(app) -> Scenario:
    return Scenario.from_yaml_text(app.session_state["scenario_yaml"])


def test_hours_text_joins_equal_weekdays(fitted_yaml):
    from app_pages._hours import hours_text

    assert hours_text(Scenario.from_yaml_text(fitted_yaml).horizon) == WEEK
    default = Scenario.from_yaml(ROOT / "scenarios" / "default.yaml")
    assert hours_text(default.horizon) == "08:00–20:00 every day"


def test_summary_shows_the_weekday_hours_and_the_date(at):
    captions = " ".join(c.value for c in at.caption)
    assert f"open {WEEK} in 30-minute intervals from Mon 9 Nov 2026" in captions


def test_open_sunday_mornings(at):
    version = at.session_state["scenario_version"]
    at.session_state[f"hours-{version}"] = {
        "edited_rows": {6: {"closed": False, "open": "10:00", "close": "14:00"}},
        "added_rows": [],
        "deleted_rows": [],
    }
    _button(at, "Apply opening hours").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    sunday = _scenario(at).horizon.hours["sun"]
    assert (sunday.open, sunday.close) == ("10:00", "14:00")
    assert _scenario(at).horizon.hours["sat"].open == "09:00"  # the others as they were


def test_closing_a_day_with_volumes_is_refused_naming_the_field(at):
    before = at.session_state["scenario_yaml"]
    version = at.session_state["scenario_version"]
    at.session_state[f"hours-{version}"] = {
        "edited_rows": {5: {"closed": True}},
        "added_rows": [],
        "deleted_rows": [],
    }
    _button(at, "Apply opening hours").click().run()
    assert not at.exception
    errors = " ".join(e.value for e in at.error)
    assert "Opening hours not applied" in errors
    assert "day 5 (sat) is closed" in errors
    assert at.session_state["scenario_yaml"] == before


def test_date_of_day_zero_can_be_removed(at):
    version = at.session_state["scenario_version"]
    at.checkbox(key=f"hours-dated-{version}").uncheck()
    _button(at, "Apply opening hours").click().run()
    assert not at.error, [e.value for e in at.error]
    assert _scenario(at).horizon.start_date is None


def test_handle_time_profile_is_charted(at):
    from app_pages._hours import handle_time_profile

    shown = " ".join(m.value for m in at.markdown)
    assert "Mean handle time per interval" in shown
    profile = handle_time_profile(_scenario(at))
    sunday = profile[profile.day == 6]
    assert sunday.handle_s.isna().all()  # closed: a gap, not the filler mean
    monday = profile[(profile.day == 0) & (profile.channel == "calls")].handle_s
    assert monday.notna().all() and monday.iloc[0] > monday.iloc[-1]  # longer in the morning
