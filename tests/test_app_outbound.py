"""The app's Optimize and Frontier pages on a blended team with an outbound target
(``blended_collections.yaml`` with ``min_list_completion: 0.8``): they run without an
exception and show what the plan dials - the list's KPI cards with the target's verdict on
Optimize, each point's list completion on Frontier."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.conftest import app_button, app_ok

ROOT = Path(__file__).parent.parent
BLENDED = ROOT / "scenarios" / "blended_collections.yaml"


def _with_target() -> str:
    data = yaml.safe_load(BLENDED.read_text(encoding="utf-8"))
    data["outbound"]["overdue"]["targets"] = {"min_list_completion": 0.8}
    return yaml.safe_dump(data, sort_keys=False)


@pytest.fixture()
def app():
    pytest.importorskip("streamlit")
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
    at.run()
    at.session_state["scenario_yaml"] = _with_target()
    return at


def _wait(app, name: str) -> None:
    """Join the page's background job (a completion condition; the bound turns a hang into
    a failure), then rerun the page to show the result."""
    job = app.session_state[name]
    job.thread.join(timeout=1800)
    assert not job.running, f"{name} still running: hung"
    app.run()
    app_ok(app)
    assert job.error is None, job.error


def test_optimize_page_shows_the_plans_outbound_kpis(app) -> None:
    app.switch_page("app_pages/optimize.py").run()
    app_ok(app)
    app.number_input[0].set_value(8)  # simulations
    app.number_input(key="optimize-reps").set_value(6)
    app_button(app, "Optimize").click().run()
    _wait(app, "optimize_job")
    assert not app.error, [e.value for e in app.error]
    labels = {m.label: m for m in app.metric}
    assert {"Connects", "List completion", "Agent time on outbound"} <= set(labels)
    completion = labels["List completion"]
    assert completion.value.endswith("%") or "%" in completion.value
    assert "target" in completion.delta and "80%" in completion.delta
    targets = [d.value for d in app.dataframe if {"target", "met"} <= set(d.value.columns)]
    assert targets and "overdue" in set(targets[0]["entity"])


def test_frontier_page_shows_each_points_list_completion(app) -> None:
    app.switch_page("app_pages/frontier.py").run()
    app_ok(app)
    app.text_input[0].set_value("0.8, 0.9")
    app.number_input[0].set_value(6)  # simulations per point
    app.run()
    app_button(app, "Compute frontier").click().run()
    _wait(app, "frontier_job")
    assert not app.error, [e.value for e in app.error]
    tables = [d.value for d in app.dataframe if "overdue: list_completion" in d.value.columns]
    assert tables, [list(d.value.columns) for d in app.dataframe]
    points = tables[-1]
    assert len(points) == 2 and (points["cost"] > 0).all()
    assert points["overdue: list_completion"].between(0, 1).all()


def test_frontier_page_sweeps_a_lists_completion_target(app) -> None:
    """Sweep: "list completion: overdue" sets the list's min_list_completion at each point
    (1.0 allowed: every record finished); each point's plan completes at least about what
    it was asked (the verification's mean, on fresh seeds, within a few points) and a
    stricter point never costs less."""
    app.switch_page("app_pages/frontier.py").run()
    app_ok(app)
    app.selectbox[0].set_value("list completion: overdue").run()
    app.text_input[0].set_value("0.7, 0.9")
    app.number_input[0].set_value(6)  # simulations per point
    app.run()
    assert not app.error, [e.value for e in app.error]
    app_button(app, "Compute frontier").click().run()
    _wait(app, "frontier_job")
    assert not app.error, [e.value for e in app.error]
    points = app.session_state["frontier_job"].result[0].drop_duplicates("point")
    assert list(points["sweep"]) == ["list_completion"] * 2
    assert list(points["point"]) == [0.7, 0.9]
    assert points["cost"].is_monotonic_increasing
    done = points.set_index("point")["overdue: list_completion"]
    assert done[0.9] >= 0.9 - 0.03 and done[0.9] > done[0.7]
    app.text_input[0].set_value("0.8, 1.2").run()
    assert any("must be above 0 and at most 1 (or 100%)" in e.value for e in app.error)
