"""The app fetches nothing from the internet: every request of the browser, on every page, a search and the
Explain charts included, goes to the local server (the favicon of a ``:material/…:`` page icon came from
fonts.gstatic.com and failed offline).

``AUTOML_SCREENSHOTS=folder`` saves the Explain page there (explain.png, explain-row.png)."""
import os
import re
from pathlib import Path
from urllib.parse import urlparse

import numpy as np
import pandas as pd
import pytest
from helpers import SEARCH_TIMEOUT_MS, choose, chromium_page, idle, open_page, run_tiny_search, shoot, streamlit_server
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e
LOCAL = {"127.0.0.1", "localhost", "::1", "[::1]"}
LONG = ["capital_run_length_average", "capital_run_length_longest", "capital_run_length_total"]


def wide_table(path: Path, rows: int = 400) -> Path:
    """Three columns with one long common prefix, ten more numbers, a text column with 200 values."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({name: rng.gamma(2.0, 10.0, rows) for name in LONG})
    for i in range(10):
        frame[f"word_freq_{i}"] = rng.exponential(1.0, rows)
    frame["sender"] = [f"sender-{i % 200:03d}@example.org" for i in range(rows)]
    score = frame[LONG].sum(axis=1) / 60 + frame["word_freq_0"] - frame["word_freq_1"] + rng.normal(0, 0.5, rows)
    frame["spam"] = np.where(score > score.median(), "yes", "no")
    frame.to_csv(path, index=False)
    return path


def outside(url: str) -> bool:
    parts = urlparse(url)
    return parts.scheme not in ("data", "blob", "about") and parts.hostname not in LOCAL


@pytest.mark.slow
def test_every_request_stays_on_the_local_server(tmp_path):
    requests = []
    screenshots = os.environ.get("AUTOML_SCREENSHOTS")
    with streamlit_server(tmp_path) as url, chromium_page(height=1900) as page:
        page.on("request", lambda request: requests.append(request.url))
        page.goto(url)
        expect(page.get_by_role("heading", name="Data", level=1)).to_be_visible(timeout=60_000)
        page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(str(wide_table(tmp_path / "t.csv")))
        expect(page.get_by_text("Target column", exact=True)).to_be_visible()
        idle(page)
        choose(page, "Target column", "spam")

        run_tiny_search(page, 2)

        open_page(page, "Explain")
        shap_done = page.get_by_text(re.compile(r"SHAP values of \d+ rows, computed in"))
        expect(shap_done).to_be_visible(timeout=SEARCH_TIMEOUT_MS)
        idle(page)
        column = page.get_by_test_id("stSelectbox").filter(has_text=re.compile(r"^Column")).locator("input").first
        column.click()
        column.fill("sender")                                    # the options list is virtualised
        page.get_by_role("option", name="sender", exact=True).click()
        idle(page)
        charts = page.get_by_test_id("stVegaLiteChart")
        expect(charts).to_have_count(4, timeout=30_000)
        for chart in charts.all():
            chart.scroll_into_view_if_needed()
            page.wait_for_timeout(300)
        folder = Path(screenshots) if screenshots else None
        shoot(page, folder, "explain-row")                      # dependence on the text column, one row
        page.get_by_role("heading", name="Global importance").scroll_into_view_if_needed()
        page.wait_for_timeout(500)
        shoot(page, folder, "explain")                          # importance and beeswarm
        for title in ("Leaderboard", "Predict", "History", "Data"):
            open_page(page, title)
        page.reload()
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        idle(page)

    assert requests and any(r.startswith(url) for r in requests)
    assert [r for r in requests if outside(r)] == []
