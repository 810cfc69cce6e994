"""End-to-end test of the app in a real browser: ``streamlit run app.py`` driven by Playwright.

Opens the app on the default scenario and checks what a user sees, with values: the
expected contacts (worked out from the scenario file), the service-level cards of a
5-replication run (the same numbers ``simulate`` gives with that seed), the Compare table
with both what-if variants beside the base and a negative Δ in card service level for "2
fewer card_specialists"; then optimizes with the analytic evaluator and draws a two-point
frontier, checking that each shows a status and a cost. A second test opens the bundled week
scenario and checks the email card (share answered within the promise, with its target) and
the one-day view. A step that cannot run fails the test; nothing is skipped half-way.

Screenshots of each step go to a temporary folder; ``STAFFSIM_SCREENSHOTS=docs/screenshots``
(a folder, relative to the repository root) writes them where the README shows them.

Uses the system Chromium (Debian package ``chromium``); Playwright's own browser download is
never used. Without ``/usr/bin/chromium`` the test is skipped (and the run ends with a red
banner, see ``conftest.py``), unless ``STAFFSIM_REQUIRE_BROWSER=1`` (set by CI), where a
missing browser is a failure.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
DEFAULT = ROOT / "scenarios" / "default.yaml"
REPLICATIONS = 5
# Hang guards, not speed assumptions: every wait below ends as soon as its condition holds
# (a step takes seconds); these bounds only turn a hung server or page into a failure.
STARTUP_TIMEOUT_S = 300
STEP_TIMEOUT_MS = 300_000
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _require_browser() -> None:
    required = os.environ.get("STAFFSIM_REQUIRE_BROWSER") == "1"
    missing = []
    if not CHROMIUM.exists():
        missing.append(f"{CHROMIUM} not found (apt-get install chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("the playwright Python package is not installed (pip install playwright)")
    try:
        import streamlit  # noqa: F401
    except ImportError:
        missing.append("streamlit is not installed (pip install 'staffsim[app]')")
    if missing:
        reason = "browser test needs: " + "; ".join(missing)
        if required:
            pytest.fail(reason + " (STAFFSIM_REQUIRE_BROWSER=1)")
        pytest.skip(reason)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_healthy(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited early with status {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.read().strip() == b"ok":
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"streamlit did not answer on {url} within {STARTUP_TIMEOUT_S} s")


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A ``streamlit run app.py`` server on a free loopback port, always terminated."""
    _require_browser()
    port = _free_port()
    log = (tmp_path_factory.mktemp("streamlit") / "server.log").open("wb")
    command = [
        sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
        "--server.headless", "true",
        "--server.port", str(port),
        "--server.address", "127.0.0.1",
        "--browser.gatherUsageStats", "false",
        "--server.fileWatcherType", "none",
        "--client.toolbarMode", "viewer",
    ]  # fmt: skip
    process = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_healthy(url, process)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)
        log.close()


@contextmanager
def _app_page(app_url: str) -> Iterator[Any]:
    """A page of the app in headless Chromium (1440 × 1800, every step bounded by
    ``STEP_TIMEOUT_MS``), opened and settled; the browser closes after, whatever happens."""
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 1800})
            page.set_default_timeout(STEP_TIMEOUT_MS)
            expect.set_options(timeout=STEP_TIMEOUT_MS)
            page.goto(app_url)
            _settle(page)
            yield page
        finally:
            browser.close()


def _load_bundled(page, path: Path, title: str) -> None:
    """Load a bundled scenario on the Scenario page and wait for its title."""
    from playwright.sync_api import expect

    _choose(page, "Bundled scenario", path.name)
    page.get_by_role("button", name="Load bundled scenario").click()
    expect(page.get_by_role("heading", name=title)).to_be_visible()


def _settle(page) -> None:
    """Wait until the script run is over and every lazily loaded element has rendered."""
    page.wait_for_timeout(300)
    page.get_by_test_id("stStatusWidget").wait_for(state="hidden")
    page.wait_for_function("document.querySelectorAll('[data-testid=\"stSkeleton\"]').length === 0")
    page.wait_for_timeout(1000)  # let Vega finish drawing the charts


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the screenshots go: a temporary folder, or ``STAFFSIM_SCREENSHOTS``."""
    chosen = os.environ.get("STAFFSIM_SCREENSHOTS")
    folder = ROOT / chosen if chosen else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _shot(page, folder: Path, name: str) -> None:
    """Screenshot of the whole page: the viewport grows to the content's height first, since
    Streamlit scrolls inside its main container (a full-page shot alone would cut it)."""
    _settle(page)
    height = page.evaluate(
        "() => { const e = document.querySelector('[data-testid=\"stMainBlockContainer\"]');"
        " return e ? e.getBoundingClientRect().top + e.scrollHeight : 1800; }"
    )
    width = page.viewport_size["width"]
    page.set_viewport_size({"width": width, "height": min(int(height) + 40, 4000)})
    _settle(page)
    page.screenshot(path=str(folder / name), full_page=True)
    page.set_viewport_size({"width": width, "height": 1000})


def _set_number(page, label: str, value: int) -> None:
    field = page.get_by_label(label, exact=True)
    field.fill(str(value))
    field.press("Enter")
    page.wait_for_timeout(500)


def _choose(page, label: str, option: str) -> None:
    """Pick an option of a Streamlit selectbox (a custom combobox, not a <select>). The
    list does not always open on the first click (a rerun may redraw the box under the
    pointer, or another element sits over it): the box's input is clicked again until the
    option shows, a few times, before the step's own timeout applies."""
    box = page.get_by_test_id("stSelectbox").filter(has_text=label).locator("input").first
    choice = page.get_by_role("option", name=option, exact=True)
    for _ in range(5):
        box.click(force=True)
        try:
            choice.wait_for(state="visible", timeout=5_000)
            break
        except Exception:  # playwright's TimeoutError: the list did not open; try again
            page.keyboard.press("Escape")
    choice.click()
    page.wait_for_timeout(500)


def _expected_contacts() -> int:
    """First contacts of the default scenario, from the file itself: the sum of every
    channel's per-interval volumes times its scale."""
    channels = yaml.safe_load(DEFAULT.read_text(encoding="utf-8"))["channels"]
    total = sum(
        sum(ch["arrivals"]["volumes"]) * ch["arrivals"].get("scale", 1.0)
        for ch in channels.values()
    )
    return round(total)


def _card_value(mean: float, half: float) -> str:
    """How a share KPI card reads: ``90.8% ± 6.8``."""
    return f"{mean:.1%} ± {half * 100:.1f}"


def _table_rows(table) -> list[dict[str, str]]:
    """The rows of a Streamlit dataframe as {column header: cell text}, read from the
    accessible table the grid keeps beside its canvas (rows scrolled out of view are not
    there: the tables read here are short)."""
    return table.evaluate(
        """(grid) => {
            const heads = [...grid.querySelectorAll('th[role=columnheader]')]
                .map((h) => h.textContent.trim());
            return [...grid.querySelectorAll('tbody tr')].map((tr) => Object.fromEntries(
                [...tr.querySelectorAll('td[role=gridcell]')].map((td) => [
                    heads[Number(td.getAttribute('aria-colindex')) - 1],
                    td.textContent.trim(),
                ])
            ));
        }"""
    )


def _table_cell(table, row: str, column: str) -> str:
    """One cell: the row whose first column reads ``row``; fails when there is none."""
    rows = _table_rows(table)
    matches = [r for r in rows if next(iter(r.values()), None) == row]
    assert matches and column in matches[0], f"no cell ({row!r}, {column!r}) in {rows}"
    return matches[0][column]


def _require_optimizer() -> None:
    try:
        import optimizer
    except ImportError as exc:
        pytest.fail(f"the optimizer package does not import, Optimize cannot run: {exc}")
    missing = [n for n in ("optimize", "frontier", "baseline") if not hasattr(optimizer, n)]
    assert not missing, f"the optimizer does not provide {missing}: the pages cannot run"


def test_simulate_then_compare_in_a_browser(app_url: str, screenshots: Path) -> None:
    from playwright.sync_api import expect

    from simulator import Scenario, simulate

    _require_optimizer()
    scenario = Scenario.from_yaml(DEFAULT)
    expected = simulate(scenario, REPLICATIONS, scenario.run.seed)
    with _app_page(app_url) as page:
        # 1. Scenario page: the default scenario is loaded, with its expected contacts.
        expect(page.get_by_role("heading", name="Retail bank inbound - weekday")).to_be_visible()
        cards = page.get_by_test_id("stMetric")
        contacts = _expected_contacts()
        assert contacts == 3105
        expect(cards.filter(has_text="Expected contacts")).to_contain_text(f"{contacts:,}")
        _shot(page, screenshots, "scenario.png")

        # 2. Simulate: 5 replications with the scenario's seed; the service-level cards
        # show simulate()'s numbers for that seed, and the targets.
        page.get_by_role("link", name="Simulate").click()
        expect(page.get_by_role("heading", name="Simulate")).to_be_visible()
        _set_number(page, "Replications", REPLICATIONS)
        page.get_by_role("button", name="Run simulation").click()
        expect(page.get_by_text(f"Results — {REPLICATIONS} replications")).to_be_visible()
        for channel, label, goal in (
            ("general", "Service level (20 s)", "target ≥ 80% in 20 s"),
            ("cards", "Service level (30 s)", "target ≥ 90% in 30 s"),
        ):
            half = expected.half_width(channel, "service_level")
            value = _card_value(expected.kpi(channel, "service_level"), half)
            card = cards.filter(has_text=label).first
            expect(card).to_contain_text(value)
            expect(card).to_contain_text(goal)
        expect(page.get_by_test_id("stVegaLiteChart").first).to_be_visible()
        _shot(page, screenshots, "simulate.png")

        # 3. Compare: the two preset variants beside the base; two fewer card specialists
        # lower the cards' service level (a negative Δ in percentage points).
        page.get_by_role("link", name="Compare").click()
        expect(page.get_by_role("heading", name="Compare what-ifs")).to_be_visible()
        expect(page.get_by_text("same seed, so on the same customers")).to_be_visible()
        _set_number(page, "Replications", REPLICATIONS)
        page.get_by_role("button", name="Run comparison").click()
        expect(page.get_by_text("KPIs side by side")).to_be_visible()
        table = page.get_by_test_id("stDataFrame").last
        expect(table).to_contain_text("2 fewer card_specialists")
        expect(table).to_contain_text("+15% volume")
        expect(table).to_contain_text("Base")
        delta = _table_cell(table, "cards · Service level", "Δ 2 fewer card_specialists")
        assert re.fullmatch(r"-\d+\.\d pts ± \d+\.\d", delta), delta
        _shot(page, screenshots, "compare.png")

        # 4. Optimize, with the analytic evaluator to keep the test short: a status and
        # a cost.
        page.get_by_role("link", name="Optimize").click()
        expect(page.get_by_role("heading", name="Optimize")).to_be_visible()
        _choose(page, "Evaluator", "analytic")
        page.get_by_role("button", name="Optimize", exact=True).click()
        expect(page.get_by_test_id("stAlert").first).to_contain_text(re.compile(r"\w"))
        cost = cards.filter(has_text=re.compile("cost", re.IGNORECASE)).first
        expect(cost).to_contain_text(re.compile(r"\d"))
        _shot(page, screenshots, "optimize.png")

        # 5. Frontier: two service-level targets; a status and a cost per point.
        page.get_by_role("link", name="Frontier").click()
        expect(page.get_by_role("heading", name="Cost–service frontier")).to_be_visible()
        _choose(page, "Evaluator", "analytic")
        targets = page.get_by_label("Service-level targets", exact=True).and_(
            page.get_by_test_id("stTextInputField")
        )
        targets.fill("0.8, 0.9")
        targets.press("Enter")
        page.get_by_role("button", name="Compute frontier").click()
        expect(page.get_by_text("Against cost")).to_be_visible()
        expect(page.get_by_test_id("stVegaLiteChart").first).to_be_visible()
        frontier = page.get_by_test_id("stDataFrame").last
        expect(frontier).to_contain_text("status")
        points = _table_rows(frontier)
        assert len(points) == 2, points
        for point in points:
            assert point.get("status") and re.fullmatch(r"[\d,.]+", point["cost"]), point
        _shot(page, screenshots, "frontier.png")


def test_a_week_in_a_browser(app_url: str, screenshots: Path) -> None:
    """The bundled week scenario, 2 replications: the email channel's card shows the share
    answered within its 24-hour promise (simulate()'s number for that seed) with its target
    and verdict, and its response time in hours or minutes; the day view shows one day's
    charts, the days named by weekday and date from the scenario's start date."""
    from playwright.sync_api import expect

    from simulator import Scenario, simulate

    week = ROOT / "scenarios" / "week.yaml"
    scenario = Scenario.from_yaml(week)
    reps = 2
    expected = simulate(scenario, reps, scenario.run.seed)
    within = expected.kpi("email", "within_promise")
    with _app_page(app_url) as page:
        _load_bundled(page, week, scenario.name)

        page.get_by_role("link", name="Simulate").click()
        expect(page.get_by_role("heading", name="Simulate")).to_be_visible()
        _set_number(page, "Replications", reps)
        page.get_by_role("button", name="Run simulation").click()
        expect(page.get_by_text(f"Results — {reps} replications")).to_be_visible()
        cards = page.get_by_test_id("stMetric")
        promise = cards.filter(has_text="Answered within 24 h").first
        expect(promise).to_contain_text(f"{within:.1%}")
        expect(promise).to_contain_text("target ≥ 90% in 24 h")
        expect(promise).to_contain_text(re.compile(r"\b(met|missed)\b"))
        response = cards.filter(has_text="Mean response time").first
        expect(response).to_contain_text(re.compile(r"\d (min|h)\b"))
        # (the box sits under the cards: _choose clicks its input directly)
        days = page.get_by_test_id("stSelectbox").filter(has_text="Days shown")
        _choose(page, "Days shown", "Wed 9 Dec")
        _settle(page)
        expect(days.locator("input").first).to_have_value("Wed 9 Dec")
        expect(page.get_by_test_id("stVegaLiteChart").first).to_be_visible()
        assert page.get_by_test_id("stException").count() == 0
        _shot(page, screenshots, "week.png")


def test_a_background_run_in_a_browser(app_url: str, screenshots: Path) -> None:
    """The bundled week at 1,000 replications (over one click's limit) runs in the
    background: the progress line counts replications up by itself (the page polls), the
    run survives a visit to another page (whose sidebar shows it), and Stop leaves partial
    results, labelled, whose service-level card is ``simulate()``'s for the replications
    kept with that seed."""
    from playwright.sync_api import expect

    from simulator import Scenario, simulate

    week = ROOT / "scenarios" / "week.yaml"
    scenario = Scenario.from_yaml(week)
    reps = 1000
    counter = re.compile(rf"(\d+) of {reps} replications · .+ elapsed")
    with _app_page(app_url) as page:
        _load_bundled(page, week, scenario.name)

        page.get_by_role("link", name="Simulate").click()
        expect(page.get_by_role("heading", name="Simulate")).to_be_visible()
        _set_number(page, "Replications", reps)
        label = f"Run all {reps} replications in the background"
        start = page.get_by_role("button", name=label)
        expect(start).to_be_enabled()
        start.click()
        bar = page.get_by_test_id("stProgress")
        # the count moves without a click: the page refreshes itself
        expect(bar).to_contain_text(re.compile(rf"\b[1-9]\d* of {reps} replications"))
        first = int(counter.search(bar.inner_text()).group(1))
        expect(bar).not_to_contain_text(f"{first} of {reps} replications")
        expect(bar).to_contain_text("left")
        _shot(page, screenshots, "background.png")

        page.get_by_role("link", name="Scenario").click()
        expect(page.get_by_role("heading", name=scenario.name)).to_be_visible()
        sidebar = page.get_by_test_id("stSidebar")
        expect(sidebar).to_contain_text(re.compile(rf"Simulation.+running.+of {reps}"))

        page.get_by_role("link", name="Simulate").click()
        expect(bar).to_contain_text(counter)
        page.get_by_role("button", name="Stop and keep the replications done").click()
        heading = page.get_by_text(re.compile(rf"Partial results — \d+ of {reps}"))
        expect(heading).to_be_visible()
        kept = int(re.search(r"— (\d+) of", heading.inner_text()).group(1))
        assert 1 < kept < reps
        expected = simulate(scenario, kept, scenario.run.seed)
        half = expected.half_width("calls", "service_level")
        value = _card_value(expected.kpi("calls", "service_level"), half)
        card = page.get_by_test_id("stMetric").filter(has_text="Service level (20 s)").first
        expect(card).to_contain_text(value)
        assert page.get_by_test_id("stException").count() == 0


def test_lines_and_callbacks_in_a_browser(app_url: str, screenshots: Path) -> None:
    """The bundled storm scenario: the Lines & callbacks tab shows the claims line's 42 lines
    and its callback offer; a 4-replication run shows busy signals and callbacks offered
    with ``simulate()``'s numbers for the file's seed, the callback delay in minutes, and
    the tab of busy signals and callbacks per interval draws its four charts."""
    from playwright.sync_api import expect

    from simulator import Scenario, simulate

    storm = ROOT / "scenarios" / "storm_callbacks.yaml"
    scenario = Scenario.from_yaml(storm)
    reps = 4
    expected = simulate(scenario, reps, scenario.run.seed)
    with _app_page(app_url) as page:
        _load_bundled(page, storm, scenario.name)
        page.get_by_role("tab", name="Lines & callbacks").click()
        form = page.get_by_test_id("stDataFrame").filter(has_text="claims").first
        expect(form).to_be_visible()
        row = _table_cell(form, "claims", "max lines (on hold + talking)")
        assert row == "42", row
        _shot(page, screenshots, "lines.png")

        page.get_by_role("link", name="Simulate").click()
        expect(page.get_by_role("heading", name="Simulate")).to_be_visible()
        _set_number(page, "Replications", reps)
        page.get_by_role("button", name="Run simulation").click()
        expect(page.get_by_text(f"Results — {reps} replications")).to_be_visible()
        cards = page.get_by_test_id("stMetric")
        half = expected.half_width("claims", "blocked_rate")
        busy = cards.filter(has_text="Busy signals").first
        expect(busy).to_contain_text(_card_value(expected.kpi("claims", "blocked_rate"), half))
        offered = cards.filter(has_text="Callbacks offered").first
        count = expected.kpi("claims", "callbacks_offered")  # 130 with this seed
        expect(offered).to_contain_text(f"{count:,.{1 if count < 100 else 0}f} ± ")
        delay = cards.filter(has_text="Callback delay").first
        expect(delay).to_contain_text(re.compile(r"\d min ± "))
        expect(delay).to_contain_text("promise 120 min")
        assert page.get_by_test_id("stException").count() == 0
        _shot(page, screenshots, "callbacks.png")
        # when the lines fill and callers take callbacks: the tab of them per interval
        page.get_by_role("tab", name="Busy signals & callbacks").click()
        expect(page.get_by_text("Busy signals per interval")).to_be_visible()
        expect(page.get_by_text("Callbacks per interval: claims")).to_be_visible()
        charts = page.locator("[data-testid='stVegaLiteChart']:visible")
        expect(charts).to_have_count(4)  # rate and count; callbacks and within promise
        assert page.get_by_test_id("stException").count() == 0
        _shot(page, screenshots, "callbacks-intervals.png")
