"""End-to-end test of the app in a real browser: ``streamlit run app.py`` driven by Playwright.

Opens the app, simulates the default scenario, checks the KPI cards, switches to Compare and
checks that both what-if variants are shown beside the base; then (when the optimizer is
installed) optimizes with the analytic evaluator and draws a two-point frontier.
Screenshots of each step are saved to ``docs/screenshots/`` (the README shows them).

Uses the system Chromium (Debian package ``chromium``); Playwright's own browser download is
never used. Without ``/usr/bin/chromium`` the test is skipped, unless
``STAFFSIM_REQUIRE_BROWSER=1`` (set by CI), where a missing browser is a failure.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = ROOT / "docs" / "screenshots"
STARTUP_TIMEOUT_S = 60
STEP_TIMEOUT_MS = 90_000
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


def _settle(page) -> None:
    """Wait until the script run is over and every lazily loaded element has rendered."""
    page.wait_for_timeout(300)
    page.get_by_test_id("stStatusWidget").wait_for(state="hidden")
    page.wait_for_function("document.querySelectorAll('[data-testid=\"stSkeleton\"]').length === 0")
    page.wait_for_timeout(1000)  # let Vega finish drawing the charts


def _shot(page, name: str) -> None:
    """Screenshot of the whole page: the viewport grows to the content's height first, since
    Streamlit scrolls inside its main container (a full-page shot alone would cut it)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    _settle(page)
    height = page.evaluate(
        "() => { const e = document.querySelector('[data-testid=\"stMainBlockContainer\"]');"
        " return e ? e.getBoundingClientRect().top + e.scrollHeight : 1800; }"
    )
    width = page.viewport_size["width"]
    page.set_viewport_size({"width": width, "height": min(int(height) + 40, 4000)})
    _settle(page)
    page.screenshot(path=str(SCREENSHOTS / name), full_page=True)
    page.set_viewport_size({"width": width, "height": 1000})


def _set_number(page, label: str, value: int) -> None:
    field = page.get_by_label(label, exact=True)
    field.fill(str(value))
    field.press("Enter")
    page.wait_for_timeout(500)


def _choose(page, label: str, option: str) -> None:
    """Pick an option of a Streamlit selectbox (a custom combobox, not a <select>)."""
    page.get_by_test_id("stSelectbox").filter(has_text=label).click()
    page.get_by_role("option", name=option, exact=True).click()
    page.wait_for_timeout(500)


def _optimizer_available() -> bool:
    """The app lists Optimize and Frontier only when the optimizer provides them."""
    try:
        import optimizer
    except ImportError:
        return False
    return all(hasattr(optimizer, name) for name in ("optimize", "frontier", "baseline"))


def test_simulate_then_compare_in_a_browser(app_url: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 1800})
            page.set_default_timeout(STEP_TIMEOUT_MS)
            expect.set_options(timeout=STEP_TIMEOUT_MS)

            # 1. Scenario page: the default scenario is loaded.
            page.goto(app_url)
            expect(
                page.get_by_role("heading", name="Retail bank inbound - weekday")
            ).to_be_visible()
            expect(page.get_by_text("Expected contacts")).to_be_visible()
            _shot(page, "scenario.png")

            # 2. Simulate: run 5 replications, KPI cards with CIs and target marks appear.
            page.get_by_role("link", name="Simulate").click()
            expect(page.get_by_role("heading", name="Simulate")).to_be_visible()
            _set_number(page, "Replications", 5)
            page.get_by_role("button", name="Run simulation").click()
            expect(page.get_by_text("Results — 5 replications")).to_be_visible()
            cards = page.get_by_test_id("stMetric")
            expect(cards.filter(has_text="Service level (20 s)")).to_be_visible()
            expect(cards.filter(has_text="Service level (30 s)")).to_be_visible()
            sl_card = cards.filter(has_text="Service level (20 s)").first.inner_text()
            assert "%" in sl_card and "±" in sl_card, sl_card
            assert "target ≥ 80% in 20 s" in sl_card, sl_card
            expect(page.get_by_test_id("stVegaLiteChart").first).to_be_visible()
            _shot(page, "simulate.png")

            # 3. Compare: the two preset variants beside the base.
            page.get_by_role("link", name="Compare").click()
            expect(page.get_by_role("heading", name="Compare what-ifs")).to_be_visible()
            expect(page.get_by_text("same seed, so on the same customers")).to_be_visible()
            _set_number(page, "Replications", 5)
            page.get_by_role("button", name="Run comparison").click()
            expect(page.get_by_text("KPIs side by side")).to_be_visible()
            table = page.get_by_test_id("stDataFrame").last
            expect(table).to_contain_text("2 fewer card_specialists")
            expect(table).to_contain_text("+15% volume")
            expect(table).to_contain_text("Base")
            _shot(page, "compare.png")

            if not _optimizer_available():
                return
            # 4. Optimize, with the analytic evaluator to keep the test short.
            page.get_by_role("link", name="Optimize").click()
            expect(page.get_by_role("heading", name="Optimize")).to_be_visible()
            _choose(page, "Evaluator", "analytic")
            page.get_by_role("button", name="Optimize", exact=True).click()
            cards = page.get_by_test_id("stMetric")
            expect(cards.filter(has_text="Optimized plan cost")).to_be_visible()
            expect(cards.filter(has_text="Two-step Erlang C plan")).to_contain_text("targets met")
            expect(page.get_by_text("Agents on duty per interval")).to_be_visible()
            _shot(page, "optimize.png")

            # 5. Frontier: two service-level targets, the current plan marked.
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
            _shot(page, "frontier.png")
        finally:
            browser.close()
