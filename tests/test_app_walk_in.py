"""The app's walk-in counter support: the "Channel hours & counters" forms (their table <->
scenario mapping, and the forms driven headless), the balked KPI card, and charts that
leave a channel's closed hours as gaps."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import app_button as _button

from app_pages import _walk_in
from app_pages._shared import closed_as_gaps
from simulator import InputError, Scenario, simulate

ROOT = Path(__file__).resolve().parents[1]
BRANCH = ROOT / "scenarios" / "branch_walkin.yaml"


@pytest.fixture(scope="module")
def branch() -> Scenario:
    return Scenario.from_yaml(BRANCH)


def test_hours_table_round_trips_and_edits(branch: Scenario) -> None:
    table = _walk_in.hours_table(branch)
    assert list(table.channel) == ["phone", "counter"]
    counter = table.set_index("channel").loc["counter"]
    assert (counter["open"], counter["close"]) == ("09:00", "17:00")
    assert counter["thu"] == "09:00-18:30" and counter["mon"] == ""
    assert _walk_in.hours_changes(table, table.copy()) == ({}, [])
    edited = table.copy()
    edited.loc[1, "fri"] = "09:00-16:00"
    edited.loc[0, "sat"] = "closed"
    changes, problems = _walk_in.hours_changes(table, edited)
    assert not problems
    new = branch.with_changes(changes)
    assert new.channels["counter"].hours.fri.close == "16:00"
    assert new.channels["counter"].hours.thu.close == "18:30"  # kept
    assert new.channels["phone"].hours.sat == "closed"
    edited.loc[1, "wed"] = "nine to five"
    _, problems = _walk_in.hours_changes(table, edited)
    assert problems == [
        "channels.counter.hours.wed: write HH:MM-HH:MM, closed, or leave it empty; "
        "got 'nine to five'"
    ]


def test_balking_table_edits_and_the_scenario_judges_them(branch: Scenario) -> None:
    table = _walk_in.balking_table(branch)
    assert table.iloc[0]["nobody leaves a line of (or fewer)"] == 3
    edited = table.copy()
    edited["nobody leaves a line of (or fewer)"] = np.nan
    edited["everybody leaves a line of (or more)"] = np.nan
    edited["or: probabilities by line length"] = "0, 0.1, 0.5, 1"
    edited["max balk (%)"] = 2.5
    changes, problems = _walk_in.balking_changes(table, edited)
    assert not problems
    new = branch.with_changes(changes)
    assert new.channels["counter"].balking.probabilities == (0, 0.1, 0.5, 1)
    assert new.channels["counter"].targets.max_balk_rate == pytest.approx(0.025)
    both = table.copy()
    both["or: probabilities by line length"] = "0, 1"
    changes, _ = _walk_in.balking_changes(table, both)
    with pytest.raises(InputError, match="not both"):
        branch.with_changes(changes)


def test_adding_a_counter_makes_a_valid_scenario(branch: Scenario) -> None:
    base = Scenario.from_yaml(ROOT / "scenarios" / "default.yaml")
    new = _walk_in.with_counter(
        base, "branch", customers_per_hour=12, service_minutes=6, patience_minutes=15,
        open_="09:00", close="17:00", from_length=2, all_at_length=8,
        groups=[next(iter(base.agent_groups))],
    )  # fmt: skip
    ch = new.channels["branch"]
    assert ch.kind == "walk_in" and ch.balking.table()[2] == 0 and ch.balking.table()[8] == 1
    with pytest.raises(InputError, match=r"channels\.branch2\.hours: 09:15-17:00 on mon does"):
        _walk_in.with_counter(
            base, "branch2", customers_per_hour=12, service_minutes=6, patience_minutes=None,
            open_="09:15", close="17:00", from_length=2, all_at_length=8,
            groups=[next(iter(base.agent_groups))],
        )  # fmt: skip
    with pytest.raises(InputError, match="exists already"):
        _walk_in.with_counter(
            new, "branch", customers_per_hour=1, service_minutes=1, patience_minutes=None,
            open_="09:00", close="17:00", from_length=1, all_at_length=2, groups=["x"],
        )  # fmt: skip


def test_closed_hours_of_a_channel_are_gaps(branch: Scenario) -> None:
    result = simulate(branch, 2, 1)
    gapped = closed_as_gaps(result.intervals, branch)
    counter = gapped[(gapped.channel == "counter") & (gapped.kpi == "offered")]
    monday = counter[counter.day == 0].set_index("start")["mean"]
    assert np.isnan(monday["08:30"]) and np.isnan(monday["17:00"])
    assert monday["09:00"] > 0
    phone = gapped[(gapped.channel == "phone") & (gapped.kpi == "offered") & (gapped.day == 0)]
    assert not phone["mean"].isna().any()  # the phones keep the centre's hours


# ---------------------------------------------------------------------------- AppTest
@pytest.fixture()
def app():
    pytest.importorskip("streamlit")
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
    at.run()
    at.session_state["scenario_yaml"] = BRANCH.read_text(encoding="utf-8")
    at.switch_page("app_pages/scenario.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_the_counter_forms_apply_and_add_a_counter(app) -> None:
    for label in ("Apply channel hours", "Apply balking"):
        _button(app, label).click().run()
        assert not app.exception and not app.error, [e.value for e in app.error]
    app.multiselect(key=f"counter-groups-{app.session_state['scenario_version']}").set_value(
        ["tellers"]
    )
    app.text_input(key=f"counter-name-{app.session_state['scenario_version']}").set_value(
        "cash_desk"
    )
    _button(app, "Add counter").click().run()
    assert not app.exception and not app.error, [e.value for e in app.error]
    current = Scenario.from_yaml_text(app.session_state["scenario_yaml"])
    assert current.channels["cash_desk"].kind == "walk_in"
    assert "cash_desk" in current.agent_groups["tellers"].skills


def test_the_simulate_page_shows_a_balked_card(app) -> None:
    app.switch_page("app_pages/simulate.py").run()
    app.number_input[0].set_value(2)
    _button(app, "Run simulation").click().run()
    assert not app.exception, [e.value for e in app.exception]
    labels = [m.label for m in app.metric]
    assert "Balked (left the line at once)" in labels
    card = next(m for m in app.metric if m.label == "Balked (left the line at once)")
    assert "target ≤ 4%" in str(card.delta)


def test_compare_draws_a_counters_closed_hours_as_gaps(app, monkeypatch) -> None:
    # Compare drew the counter's closed hours as a line at 0 (Simulate drew gaps): its
    # queue chart showed "0 waiting" at 08:30 and after 17:00, when nobody can queue.
    from app_pages import _charts

    drawn = []
    original = _charts.compare_intervals

    def spy(frame, *args, **kwargs):
        drawn.append(frame)
        return original(frame, *args, **kwargs)

    monkeypatch.setattr(_charts, "compare_intervals", spy)
    app.switch_page("app_pages/compare.py").run()
    app.number_input(key="compare-reps").set_value(2)
    _button(app, "Run comparison").click().run()
    app.radio(key="compare-channel").set_value("counter").run()
    assert not app.exception, [e.value for e in app.exception]
    frame = drawn[-1]
    monday = frame[
        (frame.kpi == "mean_queue_length") & (frame.day == 0) & (frame.variant == "Base")
    ]
    by_start = monday.set_index("start")["mean"]
    assert np.isnan(by_start["08:30"]) and np.isnan(by_start["17:00"])  # counter closed
    assert not np.isnan(by_start["10:00"])
