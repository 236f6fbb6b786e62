"""Drive the real app in Debian's Chromium: start `streamlit run`, upload, search, stop, reopen.

Shared by tests/e2e/test_browser.py and scripts/screenshots.py. Uses the system Chromium
(``/usr/bin/chromium``), never a browser downloaded by Playwright.
"""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Page, expect, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
SEARCH_TIMEOUT_MS = 240_000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def streamlit_server(data_dir: Path, knowledge_dir: Path | None = None, log_path: Path | None = None,
                     extra_env: dict | None = None):
    """``streamlit run streamlit_app.py`` on a free port; yields its URL; stops it (and only it) after."""
    port = free_port()
    env = {**os.environ, "AUTOML_DATA_DIR": str(data_dir), "PYTHONUNBUFFERED": "1", **(extra_env or {})}
    if knowledge_dir is not None:
        env["AUTOML_KNOWLEDGE_DIR"] = str(knowledge_dir)
    log = open(log_path or data_dir / "streamlit.log", "w")
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "streamlit_app.py", "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"streamlit exited with {process.returncode}; see {log.name}")
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"streamlit did not start; see {log.name}")
            time.sleep(0.5)
        yield url
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)     # its own session: the server and its workers
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(10)
        log.close()


@contextmanager
def chromium_page(width: int = 1440, height: int = 1000):
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            page.set_default_timeout(60_000)
            yield page
        finally:
            browser.close()


# -- small actions ------------------------------------------------------------------------------
def idle(page: Page) -> None:
    """Wait until the script run is over (the status widget says Running while it is not)."""
    page.wait_for_timeout(300)
    expect(page.get_by_test_id("stStatusWidget").filter(has_text="Running")).to_have_count(0, timeout=60_000)


def open_page(page: Page, title: str) -> None:
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=title, exact=True).click()
    expect(page.get_by_role("heading", name=title, level=1)).to_be_visible()
    idle(page)


def choose(page: Page, label: str, option: str) -> None:
    box = page.get_by_test_id("stSelectbox").filter(has_text=label)
    box.locator("input").first.click()
    page.get_by_role("option", name=option, exact=True).click()
    idle(page)


def set_number(page: Page, label: str, value) -> None:
    field = page.get_by_test_id("stNumberInput").filter(has_text=label).locator("input")
    field.fill(str(value))
    field.press("Enter")
    idle(page)


def start_tiny_search(page: Page, pipelines: int) -> None:
    """On the Search page: no time budget, ``pipelines`` evaluations, 3 folds; press Start."""
    open_page(page, "Search")
    set_number(page, "Time budget", 0)
    set_number(page, "Pipelines to evaluate", pipelines)
    choose(page, "Cross-validation folds", "3")
    page.get_by_role("button", name="Start the search").click()


def run_tiny_search(page: Page, pipelines: int) -> None:
    """``start_tiny_search``, then wait for the end."""
    start_tiny_search(page, pipelines)
    expect(page.get_by_text(re.compile(r"Finished: \d+ pipelines evaluated"))).to_be_visible(timeout=SEARCH_TIMEOUT_MS)
    idle(page)


def vega_canvases(page: Page):
    """Drawn Vega charts (Streamlit picks the canvas or the SVG renderer)."""
    return page.locator("[data-testid='stVegaLiteChart'] :is(canvas, svg.marks)")


def show_charts(page: Page) -> None:
    """Scroll every chart into view (the app's main area scrolls; charts draw when visible)."""
    for chart in page.get_by_test_id("stVegaLiteChart").all():
        chart.scroll_into_view_if_needed()
        page.wait_for_timeout(200)


def shoot(page: Page, folder: Path | None, name: str) -> None:
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


# -- the tour ---------------------------------------------------------------------------------
def tour(page: Page, url: str, csv_path: Path, target: str, screenshots: Path | None = None,
         bad_file: Path | None = None) -> dict:
    """(A bad file →) upload → target → tiny search → leaderboard and charts → stop a second search →
    History → reopen.

    Asserts along the way (Playwright ``expect``); saves screenshots into ``screenshots``.
    Returns what it saw, for further checks.
    """
    seen = {}
    page.goto(url)
    expect(page.get_by_role("heading", name="Data", level=1)).to_be_visible(timeout=60_000)  # a loaded machine
    if bad_file is not None:
        page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(str(bad_file))
        expect(page.get_by_test_id("stAlertContentError")).to_be_visible()
        seen["bad_file_error"] = page.get_by_test_id("stAlertContentError").first.inner_text()
        idle(page)
    page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(str(csv_path))
    expect(page.get_by_text("Target column", exact=True)).to_be_visible()
    idle(page)
    choose(page, "Target column", target)
    expect(page.get_by_role("heading", name="Data checks")).to_be_visible()
    shoot(page, screenshots, "data")

    run_tiny_search(page, 4)
    expect(page.get_by_test_id("stDataFrame").first).to_be_visible()
    expect(page.get_by_test_id("stVegaLiteChart")).to_have_count(2, timeout=30_000)   # convergence + latent
    show_charts(page)
    expect(vega_canvases(page)).to_have_count(2, timeout=30_000)
    page.get_by_text("Why these pipelines?").click()
    page.wait_for_timeout(500)
    shoot(page, screenshots, "search")
    seen["search_url"] = page.url

    open_page(page, "Leaderboard")
    expect(page.get_by_test_id("stDataFrame").first).to_be_visible()
    page.get_by_role("button", name="Compute holdout diagnostics").click()
    expect(page.get_by_text("Holdout accuracy")).to_be_visible(timeout=120_000)
    idle(page)
    show_charts(page)
    seen["leaderboard_canvases"] = vega_canvases(page).count()
    shoot(page, screenshots, "leaderboard")

    open_page(page, "Search")                                           # a second search, stopped
    set_number(page, "Pipelines to evaluate", 40)
    page.get_by_role("button", name="Start the search").click()
    expect(page.get_by_role("button", name="Stop")).to_be_visible(timeout=SEARCH_TIMEOUT_MS)
    expect(page.get_by_test_id("stProgress")).to_be_visible(timeout=SEARCH_TIMEOUT_MS)
    expect(page.get_by_text(re.compile(r"[1-9]\d* of 40 pipelines"))).to_be_visible(timeout=SEARCH_TIMEOUT_MS)
    shoot(page, screenshots, "search-running")
    page.get_by_role("button", name="Stop").click()
    expect(page.get_by_text(re.compile(r"Stopped after \d+ evaluations"))).to_be_visible(timeout=SEARCH_TIMEOUT_MS)
    idle(page)

    open_page(page, "History")
    expect(page.get_by_test_id("stDataFrame").first).to_be_visible()
    runs = page.get_by_test_id("stSelectbox").filter(has_text="Run")
    runs.locator("input").first.click()
    seen["history_runs"] = page.get_by_role("option").count()
    page.keyboard.press("Escape")
    idle(page)
    shoot(page, screenshots, "history")
    page.get_by_role("button", name="Open this run").click()                # the newest: the stopped one
    expect(page.get_by_role("heading", name="Leaderboard", level=1)).to_be_visible()
    idle(page)
    expect(page.get_by_test_id("stDataFrame").first).to_be_visible()
    seen["reopened_caption"] = page.get_by_test_id("stCaptionContainer").filter(
        has_text=re.compile(r"^Run [0-9a-f]{12} · ")).first.inner_text()     # the line naming the run
    return seen
