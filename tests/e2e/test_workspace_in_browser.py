"""One coherent workspace in a real browser (issue 21): F5 restores the run, work started on a page goes
on while the user is elsewhere, a table swapped during a search does not rename its run, a cancelled run
serves no earlier model, and every Explain chart carries all its labels."""
import re
from pathlib import Path

import pandas as pd
import pytest
from helpers import (
    SEARCH_TIMEOUT_MS,
    choose,
    chromium_page,
    idle,
    open_page,
    run_tiny_search,
    start_tiny_search,
    streamlit_server,
)
from playwright.sync_api import Page, expect

from automl_engine.data.samples import sample_datasets

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
HEADER = re.compile(r"^Run [0-9a-f]{12} · ")


def upload(page: Page, path: Path, target: str) -> None:
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(path))
    # this table's caption, not the one of a table loaded before
    expect(page.get_by_text(re.compile(re.escape(path.name) + r" · [\d,]+ rows"))).to_be_visible(timeout=60_000)
    # the select box of the table before stays on screen, faded, until the rerun that draws this one ends
    target_label = page.get_by_text("Target column", exact=True)
    expect(target_label).to_have_count(1, timeout=60_000)
    expect(target_label).to_be_visible(timeout=60_000)
    idle(page)
    choose(page, "Target column", target)


def header(page: Page) -> str:
    """The line naming the run a page shows."""
    line = page.get_by_test_id("stCaptionContainer").filter(has_text=HEADER).first
    expect(line).to_be_visible(timeout=60_000)
    return line.inner_text()


def selected(page: Page, label: str):
    """The input of a select box, whose value is the option shown."""
    return page.get_by_test_id("stSelectbox").filter(has_text=label).locator("input").first


def chart_texts(page: Page, index: int) -> list[str]:
    """Every text the SVG of chart ``index`` draws (Streamlit renders these charts as SVG here)."""
    chart = page.get_by_test_id("stVegaLiteChart").nth(index)
    chart.scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    texts = chart.locator("svg text")
    expect(texts.first).to_be_attached(timeout=30_000)
    return [t.strip() for t in texts.all_text_contents()]


def label_spacing(page: Page, index: int, labels: list[str]) -> float:
    """The smallest vertical distance (px) between two of ``labels`` drawn in chart ``index``."""
    texts = page.get_by_test_id("stVegaLiteChart").nth(index).locator("svg text")
    tops = sorted(box["y"] for text in texts.all() if text.text_content().strip() in labels
                  for box in [text.bounding_box()] if box)
    return min(b - a for a, b in zip(tops, tops[1:]))


def check_labels(page: Page, columns: list[str]) -> None:
    """Importance and beeswarm: a label for every column, one row apart (Streamlit's "fit" autosize had squeezed
    nine rows into 60 px, labels on top of each other); waterfall: one per bar, base value and output."""
    for index, name in ((0, "importance"), (1, "beeswarm")):
        drawn = set(chart_texts(page, index))
        assert set(columns) <= drawn, f"{name} lacks labels {sorted(set(columns) - drawn)}"
        assert label_spacing(page, index, columns) >= 15, f"{name}'s labels overlap"
    waterfall = chart_texts(page, 3)
    bars = [t for t in waterfall if " = " in t]
    assert len(bars) == 10 and any(t.startswith("base value") for t in waterfall), waterfall
    assert any(t.startswith("output") for t in waterfall) and "3 other columns" in waterfall, waterfall


def wine_csv(folder: Path) -> tuple[Path, str]:
    path, target = sample_datasets()["wine"]
    csv = folder / "wine.csv"
    pd.read_csv(path).to_csv(csv, index=False)
    return csv, target


def test_refresh_restores_the_run_and_work_goes_on_while_away(tmp_path):
    csv, target = wine_csv(tmp_path)
    with streamlit_server(tmp_path) as url, chromium_page(height=1400) as page:
        page.goto(url)
        expect(page.get_by_role("heading", name="Data", level=1)).to_be_visible(timeout=60_000)
        upload(page, csv, target)
        run_tiny_search(page, 3)
        run_line = header(page)
        assert "wine.csv" in run_line and f"target {target}" in run_line
        assert "run=" in page.url and "owner=" in page.url

        open_page(page, "Leaderboard")
        page.get_by_role("button", name="Compute holdout diagnostics").click()
        idle(page)
        open_page(page, "Explain")                         # leave while the refit runs; SHAP starts here
        open_page(page, "Data")
        open_page(page, "Leaderboard")                     # back: the same work, not asked for again
        expect(page.get_by_text("Holdout accuracy")).to_be_visible(timeout=SEARCH_TIMEOUT_MS)
        expect(page.get_by_text(re.compile(r"Holdout balanced_accuracy \(the search's metric\)"))).to_be_visible()
        assert page.get_by_role("button", name="Compute holdout diagnostics").count() == 0

        open_page(page, "Explain")
        expect(page.get_by_test_id("stVegaLiteChart")).to_have_count(4, timeout=SEARCH_TIMEOUT_MS)
        idle(page)
        check_labels(page, [c for c in pd.read_csv(csv).columns if c != target])
        pick = selected(page, "Class whose output")
        pick.scroll_into_view_if_needed()
        pick.click()
        pick.fill("class_2")                                # typed: the list filters to one option
        page.keyboard.press("Enter")
        idle(page)
        expect(pick).to_have_value("class_2")
        expect(page.get_by_test_id("stVegaLiteChart")).to_have_count(4, timeout=SEARCH_TIMEOUT_MS)
        open_page(page, "Predict")
        open_page(page, "Explain")                          # the picked class stays picked
        expect(selected(page, "Class whose output")).to_have_value("class_2")

        page.reload()                                       # F5: table, target, run, settings and work are back
        expect(page.get_by_role("heading", name="Explain", level=1)).to_be_visible(timeout=60_000)
        expect(page.get_by_test_id("stVegaLiteChart")).to_have_count(4, timeout=60_000)
        assert header(page) == run_line
        open_page(page, "Data")
        expect(page.get_by_text(re.compile(r"wine\.csv · 178 rows"))).to_be_visible()
        expect(selected(page, "Target column")).to_have_value(target)
        open_page(page, "Search")
        expect(page.get_by_text(re.compile(r"Finished: 3 pipelines evaluated"))).to_be_visible()
        expect(page.get_by_test_id("stNumberInput").filter(has_text="Pipelines to evaluate").locator("input")) \
            .to_have_value("3")
        open_page(page, "Leaderboard")
        expect(page.get_by_text("Holdout accuracy")).to_be_visible()
        assert page.get_by_test_id("stException").count() == 0


def test_a_table_swap_during_a_run_and_a_cancelled_run(tmp_path):
    csv, target = wine_csv(tmp_path)
    other = tmp_path / "prices.csv"
    pd.DataFrame({"size": range(300), "rooms": [i % 7 for i in range(300)],
                  "price": [3 * i + (i % 7) for i in range(300)]}).to_csv(other, index=False)
    with streamlit_server(tmp_path, extra_env={"AUTOML_MAX_WORKERS": "1"}) as url, \
            chromium_page(height=1400) as page:
        second = page.context.browser.new_page(viewport={"width": 1440, "height": 1400})   # another session
        second.set_default_timeout(60_000)
        second.goto(url)
        expect(second.get_by_role("heading", name="Data", level=1)).to_be_visible(timeout=60_000)
        upload(second, csv, target)
        run_tiny_search(second, 2)                          # an earlier run with a model
        earlier = header(second)

        page.goto(url)
        expect(page.get_by_role("heading", name="Data", level=1)).to_be_visible(timeout=60_000)
        upload(page, csv, target)
        # takes the server's only worker, and must still hold it when the second session queues behind it
        # below (40 pipelines of wine could end first on a fast machine); it is stopped at the end
        start_tiny_search(page, 400)
        expect(page.get_by_text(re.compile(r"[1-9]\d* of 400 pipelines"))).to_be_visible(timeout=SEARCH_TIMEOUT_MS)
        running = header(page)
        open_page(page, "Data")
        upload(page, other, "price")                        # a new table while the search runs
        for title in ("Leaderboard", "Explain", "Predict"):
            open_page(page, title)
            assert header(page).split(" · ")[:3] == running.split(" · ")[:3], title   # run, wine.csv, target
        expect(page.get_by_text(re.compile("its search is still going"))).to_be_visible()

        start_tiny_search(second, 5)                                    # queued behind the first session's search
        expect(second.get_by_text(re.compile(r"Queued \(number 1 in line\)"))).to_be_visible(timeout=60_000)
        second.get_by_role("button", name="Cancel").click()
        expect(second.get_by_text(re.compile(r"Stopped after 0 evaluations"))).to_be_visible(timeout=60_000)
        cancelled = header(second)
        assert cancelled.split(" · ")[0] != earlier.split(" · ")[0]
        for title in ("Explain", "Predict"):
            open_page(second, title)
            assert header(second) == cancelled
            expect(second.get_by_text(re.compile("stopped before any pipeline finished"))).to_be_visible()
            assert second.get_by_test_id("stVegaLiteChart").count() == 0
            assert second.get_by_test_id("stDownloadButton").count() == 0

        open_page(page, "Search")
        page.get_by_role("button", name="Stop").click()
        expect(page.get_by_text(re.compile(r"Stopped after \d+ evaluations"))).to_be_visible(timeout=SEARCH_TIMEOUT_MS)
        assert page.get_by_test_id("stException").count() == 0 and second.get_by_test_id("stException").count() == 0
