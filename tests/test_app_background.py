"""Long runs from the app in the background (``app_pages/_background.py``): a simulation over
one click's limit and an optimization run in a worker thread, with progress and a Stop that
keeps what is done, driven headless with ``streamlit.testing.v1.AppTest``.

No test waits on a clock: each holds the run at a known replication (the engine's
``run_replication`` gated by an event), so "stopped after k replications" is the same k on
any machine; the generous bounds on the waits only turn a hang into a failure.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import app_button as _button
from conftest import app_ok as _ok

from simulator import Scenario, runner, simulate

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = ROOT / "scenarios" / "default.yaml"
HANG_S = 600  # a hang guard, never a speed assumption


@pytest.fixture
def at(monkeypatch: pytest.MonkeyPatch):
    pytest.importorskip("streamlit")
    from streamlit.testing.v1 import AppTest

    monkeypatch.syspath_prepend(str(ROOT))
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=HANG_S)
    app.run()
    _ok(app)
    return app


class Gate:
    """Lets the first ``allowed`` replications of the engine run, holds the next one until
    :meth:`release` (every later one then runs), and counts the replications finished."""

    def __init__(self, allowed: int):
        self.allowed = allowed
        self.started = 0
        self.finished = 0
        self.open = threading.Event()
        self.lock = threading.Lock()

    def wrap(self, real: Callable) -> Callable:
        def gated(*args, **kwargs):
            with self.lock:
                self.started += 1
                held = self.started > self.allowed
            if held:
                assert self.open.wait(HANG_S), "gate never released"
            out = real(*args, **kwargs)
            with self.lock:
                self.finished += 1
            return out

        return gated

    def release(self) -> None:
        self.open.set()


@pytest.fixture
def gate(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[int], Gate]]:
    gates: list[Gate] = []

    def make(allowed: int) -> Gate:
        g = Gate(allowed)
        monkeypatch.setattr(runner, "run_replication", g.wrap(runner.run_replication))
        gates.append(g)
        return g

    yield make
    for g in gates:  # never leave a worker thread waiting
        g.release()


def _metric(app, label: str):
    matches = [m for m in app.metric if m.label == label]
    assert matches, f"no metric {label!r}: {[m.label for m in app.metric]}"
    return matches[0]


def _until(condition: Callable[[], bool], what: str) -> None:
    """Poll ``condition`` (a completion condition, not a clock)."""
    deadline = time.monotonic() + HANG_S
    while not condition():
        assert time.monotonic() < deadline, f"{what}: not after {HANG_S} s, hung"
        time.sleep(0.05)


def test_a_run_over_the_limit_runs_in_the_background_and_stop_keeps_what_is_done(at, gate) -> None:
    """The default scenario at 400 replications (~1.2 million contacts) is over one click's
    limit: the page offers it in the background (beside the fewer replications that fit).
    The page then shows the replications done of 400 with the time elapsed and left, and the
    sidebar shows the run on another page; Stop ends it after the replication under way, and
    the page shows the replications done as partial results, labelled, with CIs: the very
    numbers ``simulate`` gives for that many replications with that seed."""
    g = gate(allowed=2)  # replications 0 and 1 run; replication 2 waits for the test
    at.switch_page("app_pages/simulate.py").run()
    at.number_input[0].set_value(400).run()
    _ok(at)
    assert _button(at, "Run simulation").disabled
    assert any("in the background" in w.value for w in at.warning), [e.value for e in at.error]
    assert not at.error, [e.value for e in at.error]
    _button(at, "Run all 400 replications in the background").click().run()
    _ok(at)
    job = at.session_state["simulate_job"]
    _until(lambda: job.progress.get("done") == 2, "two replications done")

    # Another page: the run goes on, and the sidebar says how far it is.
    at.switch_page("app_pages/scenario.py").run()
    _ok(at)
    assert job.running
    assert any("2 of 400 replications" in c.value for c in at.sidebar.caption)

    at.switch_page("app_pages/simulate.py").run()
    _ok(at)
    bars = [p for p in at.get("progress")]
    assert bars, "no progress bar while the run is in the background"
    text = bars[0].proto.text
    assert text.startswith("2 of 400 replications · ") and "elapsed" in text, text
    assert "left" in text, text  # two replications done: a pace, so an estimate of the rest
    assert bars[0].proto.value == 0  # 2 of 400 rounds to 0%
    assert _button(at, "Run simulation").disabled  # one run at a time

    _button(at, "Stop and keep the replications done").click().run()
    _ok(at)
    assert job.stop.is_set()
    assert any("Stopping after the current replication" in c.value for c in at.caption)
    g.release()  # replication 2 finishes; the run stops before replication 3
    job.thread.join(HANG_S)
    assert not job.running, "the background run did not stop"
    at.run()
    _ok(at)
    assert not at.error, [e.value for e in at.error]
    kept = 3
    assert g.finished == kept
    seed = Scenario.from_yaml(DEFAULT).run.seed
    assert any(
        h.value == f"Partial results — {kept} of 400 replications, seed {seed}"
        for h in at.subheader
    ), [h.value for h in at.subheader]
    assert any(f"Stopped after {kept} of 400 replications" in w.value for w in at.warning)
    expected = simulate(Scenario.from_yaml(DEFAULT), kept, seed)
    sl, half = (
        expected.kpi("general", "service_level"),
        expected.half_width("general", "service_level"),
    )
    card = _metric(at, "Service level (20 s)").value
    assert card == f"{sl:.1%} ± {half * 100:.1f}", card


def test_stop_before_the_first_replication_keeps_nothing_and_says_so(at, gate) -> None:
    g = gate(allowed=0)
    at.switch_page("app_pages/simulate.py").run()
    at.number_input[0].set_value(400).run()
    _button(at, "Run all 400 replications in the background").click().run()
    job = at.session_state["simulate_job"]
    _until(lambda: g.started == 1, "the first replication under way")
    at.run()
    _button(at, "Stop and keep the replications done").click().run()
    g.release()
    job.thread.join(HANG_S)
    at.run()
    _ok(at)
    # the one replication under way when Stop was pressed is finished and kept
    assert any("Partial results — 1 of 400" in h.value for h in at.subheader)
    assert any("one replication gives no confidence interval" in w.value for w in at.warning)


def test_optimize_stop_ends_the_search_between_replications_and_says_interrupted(at, gate) -> None:
    """Stop during the optimizer's search: the replication under way finishes, the search
    ends there (not after its whole evaluation), and the page reports the best plan so far
    with the status ``interrupted``; the two-step plan is then not simulated, and says so."""
    pytest.importorskip("optimizer")
    reps = 5
    g = gate(allowed=2 * reps + 2)  # two plans simulated, the third under way
    at.switch_page("app_pages/optimize.py").run()
    _ok(at)
    at.number_input[0].set_value(15)
    at.number_input(key="optimize-reps").set_value(reps)
    _button(at, "Optimize").click().run()
    _ok(at)
    job = at.session_state["optimize_job"]
    _until(lambda: g.started == 2 * reps + 3, "the third plan's third replication held")
    at.run()
    _ok(at)
    text = at.get("progress")[0].proto.text
    assert "2 of 15 simulation(s) in the budget" in text and "elapsed" in text, text
    _button(at, "Stop and keep the best plan so far").click().run()
    g.release()
    job.thread.join(HANG_S)
    assert not job.running
    at.run()
    _ok(at)
    # stopped within the third plan: its replication under way finished, no more started
    assert g.finished == 2 * reps + 3
    result = job.result["result"]
    assert result.status == "interrupted" and result.evaluations == 2
    assert any(w.value.startswith("**interrupted** — ") for w in at.warning)
    assert _metric(at, "Two-step Erlang C plan").delta == "not simulated (stopped)"


def test_progress_text_and_the_estimate_of_the_time_left(monkeypatch) -> None:
    monkeypatch.syspath_prepend(str(ROOT))
    from app_pages import _background

    assert _background.remaining_s(0, 10, 5.0) is None  # no pace before the first step
    assert _background.remaining_s(2, 10, 20.0) == pytest.approx(80.0)
    assert _background.remaining_s(2, 10, 20.0, since_s=5.0) == pytest.approx(75.0)
    assert _background.remaining_s(10, 10, 20.0) == 0.0
    text = _background.progress_text(7, 40, 12.2, 65.0, "replications")
    assert text == "7 of 40 replications · 13 s elapsed · about 1 min 05 s left"
    assert _background._clock(3725) == "1 h 02 min"


def test_stop_executor_runs_tasks_in_order_until_stop(monkeypatch) -> None:
    monkeypatch.syspath_prepend(str(ROOT))
    from app_pages import _background, _shared

    job = _shared.Job(key=())
    pool = _background.StopExecutor(job)
    assert pool.submit(pow, 2, 10).result() == 1024
    failed = pool.submit(int, "x")
    assert isinstance(failed.exception(), ValueError)
    job.stop.set()
    with pytest.raises(_shared.StopRequested):
        pool.submit(pow, 2, 10)


def test_runs_beyond_the_background_limit_are_refused_with_the_command_line(at) -> None:
    """A run the app cannot run even in the background is refused, naming the CLI, with
    no background button."""
    from simulator.whatif import estimate_contacts

    big = Scenario.from_yaml(DEFAULT).with_changes(
        {"channels.general.arrivals.scale": 10, "channels.cards.arrivals.scale": 10}
    )
    assert estimate_contacts(big, 1000) > 25_000_000
    at.session_state["scenario_yaml"] = big.to_yaml()
    at.switch_page("app_pages/simulate.py").run()
    at.number_input[0].set_value(1000).run()
    _ok(at)
    errors = " ".join(e.value for e in at.error)
    assert "above what the app runs in the background" in errors and "--workers 0" in errors
    assert not [b for b in at.button if "in the background" in b.label]
