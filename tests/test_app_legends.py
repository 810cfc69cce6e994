"""Every chart of the app that draws more than one series says which is which: a legend on
the field that tells the series apart, or labels on the series themselves (bars named on
their axis, target lines and the current plan named beside them).

Each chart is built from a real two-replication run of the default scenario (or a small
table shaped like the page's) and its Vega-Lite spec is read: a legend switched off or a
target line without its name fails the test.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from simulator import Scenario, simulate
from simulator.whatif import arrival_profile, staffing_profile

ROOT = Path(__file__).resolve().parent.parent
SERIES_CHANNELS = ("color", "shape", "strokeDash")


@pytest.fixture(scope="module")
def charts():
    pytest.importorskip("altair")
    import sys

    sys.path.insert(0, str(ROOT))
    try:
        from app_pages import _charts
    finally:
        sys.path.remove(str(ROOT))
    return _charts


@pytest.fixture(scope="module")
def default() -> Scenario:
    return Scenario.from_yaml(ROOT / "scenarios" / "default.yaml")


@pytest.fixture(scope="module")
def result(default: Scenario):
    return simulate(default, 2, 7)


def _layers(spec: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every unit spec (mark and encoding) in a layered, faceted or single chart."""
    if "layer" in spec:
        for layer in spec["layer"]:
            yield from _layers(layer)
    elif "spec" in spec:
        yield from _layers(spec["spec"])
    else:
        yield spec


def _mark(unit: dict[str, Any]) -> str:
    mark = unit.get("mark")
    return mark["type"] if isinstance(mark, dict) else str(mark)


def _legends(chart) -> set[str]:
    """Fields that tell series apart and show a legend."""
    found = set()
    for unit in _layers(chart.to_dict()):
        for channel in SERIES_CHANNELS:
            enc = unit.get("encoding", {}).get(channel)
            if isinstance(enc, dict) and "field" in enc and enc.get("legend", {}) is not None:
                found.add(enc["field"])
    return found


def _texts(chart) -> list[str]:
    """What text layers write, read from their data (inline values or the named datasets)."""
    spec = chart.to_dict()
    datasets = spec.get("datasets", {})
    out: list[str] = []
    for unit in _layers(spec):
        if _mark(unit) != "text":
            continue
        field = unit["encoding"]["text"]["field"]
        rows = datasets.get(unit.get("data", {}).get("name"), unit.get("data", {}).get("values"))
        out += [str(row[field]) for row in rows or []]
    return out


def test_per_interval_lines_have_a_legend(charts, result) -> None:
    days = 1
    assert _legends(charts.volumes(result.intervals, "general", days)) == {"kpi"}
    queue = charts.per_interval(result.intervals, "mean_queue_length", "channel", "q", days)
    assert _legends(queue) == {"channel"}
    occupancy = charts.per_interval(result.group_intervals, "occupancy", "group", "o", days)
    assert _legends(occupancy) == {"group"}


def _target_legend(chart) -> list[str]:
    """The entries of the service-level chart's legend of dashed target lines."""
    for unit in _layers(chart.to_dict()):
        dash = unit.get("encoding", {}).get("strokeDash")
        if isinstance(dash, dict) and dash.get("field") == "target_line":
            return list(dash["scale"]["domain"])
    return []


def test_service_level_names_its_channels_and_each_target_line(charts, result) -> None:
    chart = charts.service_level(result.intervals, result.targets, 1)
    assert _legends(chart) == {"channel", "target_line"}
    assert _target_legend(chart) == ["general target 80% in 20 s", "cards target 90% in 30 s"]


def test_target_lines_are_named_off_the_plot_so_no_label_covers_a_point(charts, result) -> None:
    """The target lines were named by text at the plot's left edge, over the first
    intervals' points (issue 15); now the legend names them and no text is drawn."""
    same = {c: {"service_level": 0.8, "within_seconds": 20.0} for c in result.targets}
    chart = charts.service_level(result.intervals, same, 1)
    assert _texts(chart) == []
    assert _target_legend(chart) == ["general target 80% in 20 s", "cards target 80% in 20 s"]
    rules = [u for u in _layers(chart.to_dict()) if _mark(u) == "rule"]
    assert len(rules) == 1 and rules[0]["encoding"]["color"]["field"] == "channel"
    dashes = rules[0]["encoding"]["strokeDash"]["scale"]["range"]
    assert all(d == [6, 4] for d in dashes)  # every target line dashed, the data lines solid


def test_busy_signal_callback_and_balking_charts_name_their_series_and_targets(charts) -> None:
    """Per-interval busy signals, callbacks and balking (Simulate page): a line per channel
    or per count, each named; the horizon target dashed and named in the legend."""
    storm = simulate(Scenario.from_yaml(ROOT / "scenarios" / "storm_callbacks.yaml"), 2, 7)
    goals = charts.target_goals(storm.target_list, "blocked_rate")
    rate = charts.share_per_interval(storm.intervals, "blocked_rate", "busy", 1, goals)
    assert _legends(rate) == {"channel", "target_line"}
    assert _target_legend(rate) == ["claims target ≤ 8%"] and _texts(rate) == []
    within = charts.share_per_interval(
        storm.intervals,
        "callback_within_promise",
        "within",
        1,
        charts.target_goals(storm.target_list, "callback_within_promise"),
        full_scale=True,
    )
    assert _target_legend(within) == ["claims target ≥ 90%"]
    series = {"callbacks_offered": "offered a callback", "callbacks_accepted": "accepted"}
    callbacks = charts.series_per_interval(storm.intervals, "claims", series, "callers", 1)
    assert _legends(callbacks) == {"series"}
    color = next(iter(_layers(callbacks.to_dict())))["encoding"]["color"]
    assert color["scale"]["domain"] == ["offered a callback", "accepted"]
    branch = Scenario.from_yaml(ROOT / "scenarios" / "branch_walkin.yaml")
    counter = simulate(branch, 2, 7)
    goals = charts.target_goals(counter.target_list, "balk_rate")
    balk = charts.share_per_interval(counter.intervals, "balk_rate", "balk", branch.horizon, goals)
    assert _legends(balk) == {"channel", "target_line"}
    assert _target_legend(balk) == ["counter target ≤ 4%"]
    balked = charts.per_interval(counter.intervals, "balked", "channel", "b", branch.horizon)
    assert _legends(balked) == {"channel"}


def test_wait_distribution_names_each_channels_T(charts, result) -> None:
    chart = charts.wait_distribution(result.wait_histograms, result.targets)
    assert _legends(chart) == {"channel"}
    assert _texts(chart) == ["general: T = 20 s", "cards: T = 30 s"]


def test_bars_are_named_on_their_axis(charts, result) -> None:
    """One bar per entity, coloured only for looks: the axis names each bar."""
    occupancy = result.groups[result.groups.kpi == "occupancy"]
    spec = charts.bars_with_ci(occupancy, "group", "occupancy").to_dict()
    bars = next(u for u in _layers(spec) if _mark(u) == "bar")
    assert bars["encoding"]["x"]["field"] == "group"
    assert bars["encoding"]["x"].get("axis", {}) is not None


def test_scenario_page_charts_have_legends(charts, default) -> None:
    days = default.horizon.days
    profile = arrival_profile(default)
    assert _legends(charts.day_curve(profile, days, "contacts", "c", "channel")) == {"channel"}
    load = charts.staffing_vs_load(staffing_profile(default), profile, default.horizon)
    assert _legends(load) == {"group", "series"}  # the groups, and the offered-load line


def test_compare_charts_have_legends(charts, result) -> None:
    rows = result.channels[result.channels.kpi == "service_level"]
    frame = pd.concat(
        [rows.assign(variant=v).rename(columns={"channel": "entity"}) for v in ("Base", "B")]
    )
    assert _legends(charts.compare_bars(frame, "service level", True)) == {"entity"}
    lines = pd.concat(
        [result.intervals[result.intervals.channel == "general"].assign(variant=v) for v in "AB"]
    )
    variants = charts.compare_intervals(lines, "service_level", "sl", 1, True)
    assert "variant" in _legends(variants)


def test_optimize_and_frontier_charts_name_their_series(charts) -> None:
    schedule = pd.DataFrame(
        {"day": [0, 0, 1], "start": ["08:00", "09:00", "08:00"], "group": ["a", "b", "a"],
         "agents": [3, 2, 4]}
    )  # fmt: skip
    assert _legends(charts.starts_by_day(schedule)) == {"group"}
    staffing = pd.DataFrame(np.ones((2, 3)), index=["a", "b"], columns=["08:00", "08:30", "09:00"])
    coverage = charts.coverage_vs_requirement(staffing, staffing + 1)
    assert _legends(coverage) == {"series"}  # on duty (bars) and the per-interval plan (line)
    points = pd.DataFrame(
        {"channel": ["general"] * 2, "point": [0.8, 0.9], "cost": [7000.0, 7600.0],
         "service_level": [0.81, 0.9], "feasible": [True, True], "status": ["feasible"] * 2}
    )  # fmt: skip
    current = pd.DataFrame(
        {
            "channel": ["general"],
            "cost": [7817.0],
            "service_level": [0.9],
            "label": ["current plan"],
        }
    )
    chart = charts.frontier(points, current, "service_level", "service level", True)
    assert _legends(chart) == {"channel", "feasible"}
    assert _texts(chart) == ["current plan"]
