"""Small things noticed on issue 15, each pinned: days named one way on Compare's target
rows, on the week's heat map and schedule, and in the overload warning; the frontier's
lowest point has a dash for its cost per point (``tests/test_app.py``); target lines named
off the plot (``tests/test_app_legends.py``)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulator import Scenario
from simulator.horizon import Horizon
from simulator.whatif import load_warnings

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = ROOT / "scenarios" / "default.yaml"
WEEKDAY = r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d{1,2} Dec \d\d:\d\d"


@pytest.fixture
def charts(monkeypatch):
    pytest.importorskip("altair")
    monkeypatch.syspath_prepend(str(ROOT))
    from app_pages import _charts

    return _charts


def _two_days(start_date: str | None) -> Scenario:
    changes: dict[str, object] = {"horizon.days": 2}
    if start_date:
        changes["horizon.start_date"] = start_date
    return Scenario.from_yaml(DEFAULT).with_changes(changes)


def test_compare_target_rows_name_the_worst_interval_as_simulate_does() -> None:
    """A floor's worst interval on Compare read "d1 10:15" while Simulate said "Tue 8 Dec
    10:15" (or "day 1 10:15" without a start date)."""
    pytest.importorskip("streamlit")
    from streamlit.testing.v1 import AppTest

    for start, pattern in (("2026-12-07", WEEKDAY), (None, r"day [01] \d\d:\d\d")):
        app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)  # a hang guard
        app.run()
        app.session_state["scenario_yaml"] = _two_days(start).to_yaml()
        app.switch_page("app_pages/compare.py").run()
        app.number_input(key="compare-reps").set_value(2)
        next(b for b in app.button if b.label == "Run comparison").click().run()
        assert not app.exception, [e.value for e in app.exception]
        wide = app.dataframe[-1].value
        floors = [str(v) for k, row in wide.iterrows() if "no interval below" in k for v in row]
        worst = [re.search(r"\(worst (.+)\)", v)[1] for v in floors if "(worst" in v]
        assert worst, floors
        assert all(re.fullmatch(pattern, w) for w in worst), worst
        assert not any(re.match(r"d\d ", w) for w in worst)


def test_week_heat_map_rows_are_named_by_weekday_with_a_start_date(charts) -> None:
    """The optimizer labels a dated week's intervals "Mon 7 Dec 08:00": the heat map keeps a
    row per group and day (named so), the times of day across; library labels "d1 08:00"
    with the scenario's dated horizon give the same rows; undated, "day 0"."""
    times = ["08:00", "08:30", "09:00"]
    dated = Horizon(
        days=3, interval_minutes=30, open="08:00", close="09:30", start_date="2026-12-07"
    )
    labels = [dated.label(k) for k in range(dated.n_intervals)]
    assert labels[0] == "Mon 7 Dec 08:00"
    staffing = pd.DataFrame(np.ones((2, 9)), index=["agents", "experts"], columns=labels)
    days = ("Mon 7 Dec", "Tue 8 Dec", "Wed 9 Dec")
    expected = [f"{g} · {d}" for g in ("agents", "experts") for d in days]
    spec = charts.staffing_heatmap(staffing, dated).to_dict()
    assert spec["layer"][0]["encoding"]["y"]["sort"] == expected
    assert spec["layer"][0]["encoding"]["x"]["sort"] == times
    numbered = staffing.set_axis([f"d{d} {t}" for d in range(3) for t in times], axis=1)
    spec = charts.staffing_heatmap(numbered, dated).to_dict()
    assert spec["layer"][0]["encoding"]["y"]["sort"] == expected
    undated = charts.staffing_heatmap(numbered).to_dict()["layer"][0]["encoding"]["y"]["sort"]
    assert undated[:3] == ["agents · day 0", "agents · day 1", "agents · day 2"]


def test_schedule_columns_are_named_by_weekday_in_horizon_order(charts) -> None:
    dated = Horizon(
        days=7, interval_minutes=30, open="08:00", close="18:00", start_date="2026-12-07"
    )
    schedule = pd.DataFrame(
        {"day": [4, 0, 6], "start": ["08:00"] * 3, "group": ["a"] * 3, "agents": [1, 2, 3]}
    )
    column = charts.starts_by_day(schedule, dated).to_dict()["encoding"]["column"]
    assert column["sort"] == ["Mon 7 Dec", "Fri 11 Dec", "Sun 13 Dec"]
    undated = charts.starts_by_day(schedule).to_dict()["encoding"]["column"]
    assert undated["sort"] == ["day 0", "day 4", "day 6"]


def test_overload_warning_names_the_worst_interval_as_the_tables_do() -> None:
    """The warning's worst interval uses the result tables' labels (``Horizon.label``):
    weekday and date with a start date, ``d1 10:15`` without."""
    for start in ("2026-12-07", None):
        busy = {f"channels.{c}.arrivals.scale": 1.6 for c in ("general", "cards")}
        scenario = _two_days(start).with_changes(busy)
        overload = [w for w in load_warnings(scenario) if "offered load exceeds" in w]
        assert len(overload) == 1, load_warnings(scenario)
        worst = re.search(r"\(worst (.+?): ", overload[0])[1]
        labels = [scenario.horizon.label(k) for k in range(scenario.horizon.n_intervals)]
        assert worst in labels
        assert bool(re.fullmatch(WEEKDAY, worst)) == (start is not None), worst
