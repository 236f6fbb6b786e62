"""The real app in a real browser: upload a CSV, pick the target, search, see the leaderboard and both
charts, stop a second search, reopen it from History. Also a bad file first, and column names with
markup that must show as text."""
import os
from pathlib import Path

import pandas as pd
import pytest
from helpers import chromium_page, streamlit_server, tour
from knowledge_fixture import build_tiny_knowledge

from automl_engine.data.samples import sample_datasets
from automl_engine.store.runs import RunStore

pytestmark = pytest.mark.e2e
HOSTILE = "<b>bold</b> [link](http://example.com)"


@pytest.fixture(scope="module")
def knowledge(tmp_path_factory):
    return build_tiny_knowledge(tmp_path_factory.mktemp("knowledge"))


@pytest.mark.slow
def test_upload_search_stop_and_reopen(tmp_path, knowledge):
    path, target = sample_datasets()["wine"]
    frame = pd.read_csv(path)
    frame.insert(1, HOSTILE, frame["malic_acid"])
    csv = tmp_path / "wine.csv"
    frame.to_csv(csv, index=False)
    bad = tmp_path / "empty.csv"
    bad.write_bytes(b"")
    data_dir = Path(os.environ["AUTOML_DATA_DIR"])
    data_dir.mkdir(parents=True, exist_ok=True)

    with streamlit_server(data_dir, knowledge) as url, chromium_page() as page:
        seen = tour(page, url, csv, target, bad_file=bad)
        assert page.locator("b", has_text="bold").count() == 0        # markup in a name stays text
        assert page.locator("a[href='http://example.com']").count() == 0

    assert "empty.csv" in seen["bad_file_error"] and "The file is empty" in seen["bad_file_error"]
    assert seen["leaderboard_canvases"] >= 3          # fold scores, confusion matrix, ROC curve
    assert seen["history_runs"] == 2
    assert "stopped" in seen["reopened_caption"]
    runs = RunStore(data_dir / "runs.sqlite").list()
    assert sorted(r["status"] for r in runs) == ["finished", "stopped"]
    assert len({r["owner"] for r in runs}) == 1
    assert all(Path(r["data_path"]).is_file() for r in runs)


@pytest.mark.slow
def test_a_page_address_as_first_request_of_a_fresh_server(tmp_path):
    """A page's address runs the entry point (session defaults, navigation): the pages are not in a
    folder named `pages/`, which Streamlit would run in its legacy mode, the page alone."""
    from playwright.sync_api import expect

    with streamlit_server(tmp_path) as url, chromium_page() as page:
        page.goto(f"{url}/search")
        expect(page.get_by_role("heading", level=1)).to_be_visible(timeout=60_000)
        page.wait_for_timeout(1500)
        assert page.get_by_test_id("stException").count() == 0
        assert "owner=" in page.url
        expect(page.get_by_test_id("stSidebarNav").get_by_role("link", name="History")).to_be_visible(
            timeout=30_000)


@pytest.mark.slow
def test_an_upload_over_the_size_limit_is_refused_with_a_message(tmp_path):
    """The limit of .streamlit/config.toml (here lowered to 1 MB) refuses a bigger file before intake."""
    from playwright.sync_api import expect

    big = tmp_path / "big.csv"
    pd.DataFrame({"a": range(120_000), "b": range(120_000)}).to_csv(big, index=False)
    assert big.stat().st_size > 1024 * 1024
    with streamlit_server(tmp_path, extra_env={"STREAMLIT_SERVER_MAX_UPLOAD_SIZE": "1"}) as url, \
            chromium_page() as page:
        page.goto(url)
        expect(page.get_by_role("heading", name="Data", level=1)).to_be_visible(timeout=60_000)
        page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(big))
        expect(page.get_by_text("File must be 1.0MB or smaller")).to_be_visible(timeout=30_000)
        assert page.get_by_test_id("stException").count() == 0


@pytest.mark.slow
def test_explain_then_download_the_model_and_the_predictions(tmp_path, knowledge):
    """Search → Explain charts → Predict: the model file and the predictions CSV are downloaded, and the
    downloaded model, loaded on its own, predicts what the page offered."""

    from helpers import choose, idle, open_page, run_tiny_search, show_charts, vega_canvases
    from playwright.sync_api import expect

    from automl_engine import load_model

    path, target = sample_datasets()["wine"]
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    with streamlit_server(data_dir, knowledge) as url, chromium_page() as page:
        page.goto(url)
        expect(page.get_by_role("heading", name="Data", level=1)).to_be_visible(timeout=60_000)
        page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(path))
        expect(page.get_by_text("Target column", exact=True)).to_be_visible()
        idle(page)
        choose(page, "Target column", target)
        run_tiny_search(page, 3)

        open_page(page, "Explain")
        expect(page.get_by_test_id("stVegaLiteChart")).to_have_count(4, timeout=180_000)
        idle(page)
        show_charts(page)
        expect(vega_canvases(page)).to_have_count(4, timeout=30_000)

        open_page(page, "Predict")
        with page.expect_download() as model_download:
            page.get_by_role("button", name="Model file (.skops)").click()
        model_path = tmp_path / "model.skops"
        model_download.value.save_as(model_path)
        page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(path))
        expect(page.get_by_role("button", name="Download predictions (CSV)")).to_be_visible(timeout=60_000)
        idle(page)
        with page.expect_download() as csv_download:
            page.get_by_role("button", name="Download predictions (CSV)").click()
        csv_path = tmp_path / "predictions.csv"
        csv_download.value.save_as(csv_path)
        assert page.get_by_test_id("stException").count() == 0

    model = load_model(model_path)
    offered = pd.read_csv(csv_path)
    frame = pd.read_csv(path)
    assert len(offered) == len(frame)
    assert (offered["prediction"].astype(str).to_numpy() ==
            pd.Series(model.predict(frame)).astype(str).to_numpy()).all()
