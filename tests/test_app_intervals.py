"""Busy signals, callbacks and balking per interval on the Simulate page, headless with
``AppTest``.

The storm scenario (finite lines, callbacks) and the branch (a walk-in counter that balks,
its own hours, six days) are simulated on the page; the charts the page draws are caught
as they are built and their data read back: every point is the result's per-interval mean
of ``simulate`` with the same seed, closed hours are gaps, one day's view shows that day,
and each target line is named in the legend. A scenario without the features has no tab.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from conftest import app_button as _button
from conftest import app_ok as _ok

from simulator import Scenario, simulate

ROOT = Path(__file__).resolve().parent.parent
STORM = ROOT / "scenarios" / "storm_callbacks.yaml"
BRANCH = ROOT / "scenarios" / "branch_walkin.yaml"
REPS, SEED = 3, 11


@pytest.fixture
def drawn(monkeypatch) -> list[tuple[str, tuple, object]]:
    """Every share, count and series chart the page builds: (function, args, chart)."""
    pytest.importorskip("streamlit")
    from app_pages import _charts

    out: list[tuple[str, tuple, object]] = []
    for name in ("share_per_interval", "per_interval", "series_per_interval"):
        original = getattr(_charts, name)

        def spy(*args, _name=name, _original=original, **kwargs):
            chart = _original(*args, **kwargs)
            out.append((_name, args, chart))
            return chart

        monkeypatch.setattr(_charts, name, spy)
    return out


def _run(path: Path, days_shown: str | None = None):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
    at.run()
    at.session_state["scenario_yaml"] = path.read_text(encoding="utf-8")
    at.switch_page("app_pages/simulate.py").run()
    _ok(at)
    at.number_input[0].set_value(REPS)
    at.number_input[1].set_value(SEED)
    _button(at, "Run simulation").click().run()
    _ok(at)
    if days_shown is not None:
        at.selectbox(key="sim-days").set_value(days_shown).run()
        _ok(at)
    return at


def _points(chart, kpi: str) -> pd.DataFrame:
    """The drawn points of ``kpi`` (channel, day, start, mean), read from the chart's spec:
    rows without a value (the breaks between days) left out."""
    spec = chart.to_dict()
    rows = [
        row
        for data in spec.get("datasets", {}).values()
        for row in data
        if row.get("kpi") == kpi and row.get("mean") is not None
    ]
    return pd.DataFrame(rows)[["channel", "day", "start", "mean"]]


def _charts_of(drawn, kpi: str) -> list:
    return [chart for name, args, chart in drawn if kpi in _kpis_of(name, args)]


def _kpis_of(name: str, args: tuple) -> set[str]:
    if name == "series_per_interval":
        return set(args[2])
    return {args[1]}


def _target_legend(chart) -> list[str]:
    for unit in chart.to_dict().get("layer", []):
        dash = unit.get("encoding", {}).get("strokeDash")
        if isinstance(dash, dict) and dash.get("field") == "target_line":
            return list(dash["scale"]["domain"])
    return []


def _expected(result, kpi: str, scenario: Scenario | None = None) -> pd.DataFrame:
    from app_pages._shared import closed_as_gaps

    iv = result.intervals if scenario is None else closed_as_gaps(result.intervals, scenario)
    rows = iv[(iv.kpi == kpi)].dropna(subset=["mean"])
    return rows[["channel", "day", "start", "mean"]]


def _same(drawn_points: pd.DataFrame, expected: pd.DataFrame) -> None:
    keys = ["channel", "day", "start"]
    a = drawn_points.sort_values(keys).reset_index(drop=True)
    b = expected.sort_values(keys).reset_index(drop=True)
    assert len(a) and a[keys].equals(b[keys]), (a[keys], b[keys])
    assert a["mean"].to_numpy() == pytest.approx(b["mean"].to_numpy(), rel=1e-12)


def test_storm_busy_signals_and_callbacks_per_interval(drawn) -> None:
    at = _run(STORM)
    assert "Busy signals & callbacks" in [t.label for t in at.tabs]
    result = simulate(STORM, REPS, SEED)
    for kpi in ("blocked_rate", "blocked", "callbacks_offered", "callbacks_accepted",
                "callback_within_promise"):  # fmt: skip
        (chart,) = _charts_of(drawn, kpi)
        _same(_points(chart, kpi), _expected(result, kpi))
    (rate,) = _charts_of(drawn, "blocked_rate")
    assert _target_legend(rate) == ["claims target ≤ 8%"]
    (within,) = _charts_of(drawn, "callback_within_promise")
    assert _target_legend(within) == ["claims target ≥ 90%"]
    # the morning surge is where the busy signals are, as drawn
    points = _points(rate, "blocked_rate").set_index("start")["mean"]
    assert points["09:00"] > 0.05 and points["15:00"] < 0.005
    # the policy line has neither lines nor callback: nothing drawn for it
    assert set(_points(rate, "blocked_rate").channel) == {"claims"}


def test_branch_balking_per_interval_with_closed_hours_as_gaps(drawn) -> None:
    at = _run(BRANCH)
    assert "Balking" in [t.label for t in at.tabs]
    scenario = Scenario.from_yaml(BRANCH)
    result = simulate(scenario, REPS, SEED)
    for kpi in ("balk_rate", "balked"):
        (chart,) = _charts_of(drawn, kpi)
        points = _points(chart, kpi)
        _same(points, _expected(result, kpi, scenario))
        # the counter opens at 09:00 and closes at 17:00 (Thursday 18:30, Saturday 12:00)
        monday = set(points[points.day == 0].start)
        assert "08:30" not in monday and "17:00" not in monday and "16:30" in monday
    (rate,) = _charts_of(drawn, "balk_rate")
    assert _target_legend(rate) == ["counter target ≤ 4%"]


def test_branch_balking_one_days_view(drawn) -> None:
    """Thursday (late opening to 18:30) alone: that day's values, drawn as day 0."""
    _run(BRANCH, days_shown="Thu 5 Mar")
    scenario = Scenario.from_yaml(BRANCH)
    result = simulate(scenario, REPS, SEED)
    chart = _charts_of(drawn, "balked")[-1]
    points = _points(chart, "balked")
    thursday = _expected(result, "balked", scenario)
    thursday = thursday[thursday.day == 3].assign(day=0)
    _same(points, thursday)
    assert "18:00" in set(points.start) and "18:30" not in set(points.start)


def test_a_scenario_without_them_has_no_such_tab(drawn) -> None:
    at = _run(ROOT / "scenarios" / "default.yaml")
    labels = [t.label for t in at.tabs]
    assert not any(word in " ".join(labels) for word in ("Busy", "Callbacks", "Balking"))
    assert not [name for name, args, _ in drawn if name == "share_per_interval"
                and args[1] != "service_level"]  # fmt: skip


def test_compare_draws_each_variants_busy_signals_and_callbacks_per_interval(
    monkeypatch,
) -> None:
    """Compare on the storm: beside service level and queue, each variant's busy signals
    and accepted callbacks per interval, one line per variant. The base's line is the
    interval means of ``simulate`` with the same replications and seed; a scenario
    without lines draws neither."""
    pytest.importorskip("streamlit")
    from streamlit.testing.v1 import AppTest

    from app_pages import _charts

    drawn: list[tuple[str, pd.DataFrame]] = []
    original = _charts.compare_intervals

    def spy(frame, kpi, *args, **kwargs):
        drawn.append((kpi, frame))
        return original(frame, kpi, *args, **kwargs)

    monkeypatch.setattr(_charts, "compare_intervals", spy)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
    at.run()
    at.session_state["scenario_yaml"] = STORM.read_text(encoding="utf-8")
    at.switch_page("app_pages/compare.py").run()
    at.number_input(key="compare-reps").set_value(2)
    at.number_input(key="compare-seed").set_value(SEED)
    _button(at, "Run comparison").click().run()
    _ok(at)
    kpis = [k for k, _ in drawn]
    assert kpis == ["service_level", "mean_queue_length", "blocked_rate", "callbacks_accepted"]
    frame = dict(drawn)["blocked_rate"]
    base = frame[(frame.variant == "Base") & (frame.kpi == "blocked_rate")]
    assert frame.variant.nunique() == 3  # the base and the two variants shown by default
    expected = simulate(Scenario.from_yaml(STORM), 2, SEED).intervals
    expected = expected[(expected.channel == "claims") & (expected.kpi == "blocked_rate")]
    assert base["mean"].to_numpy() == pytest.approx(expected["mean"].to_numpy())
    drawn.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
    at.run()
    at.switch_page("app_pages/compare.py").run()  # the default scenario: no lines
    at.number_input(key="compare-reps").set_value(2)
    _button(at, "Run comparison").click().run()
    _ok(at)
    assert [k for k, _ in drawn] == ["service_level", "mean_queue_length"]
