"""Predict page (AppTest from the entry point): no-model hint, upload → schema messages → predictions, downloads."""
import pytest
from apphelpers import app_on_page
from fitted_model import fitted_automl, keep_main_module  # noqa: F401 - autouse fixture
from stored_run import OWNER, stored_run

from automl_app.navigation import PREDICT


@pytest.fixture(scope="module", autouse=True)
def session():
    return fitted_automl()  # before any AppTest run (see fitted_model)


def page(automl=None, data=None, target=None):
    run_id = None if automl is None else stored_run(automl, data, target)
    return app_on_page(PREDICT.path, default_timeout=300, owner=OWNER, run_id=run_id)


def download_keys(at):
    return {b.key for b in at.download_button}


def plain(element) -> str:
    return element.value.replace("\\", "")


def test_without_a_model_the_page_says_so():
    at = page()
    assert not at.exception and "no model yet" in at.info[0].value
    assert not at.download_button
    assert [link.proto.label for link in at.get("page_link")] == ["Go to Search"]


def test_model_downloads_and_snippet(session):
    automl, data = session
    at = page(automl, data, "label")
    assert not at.exception and not at.error
    assert download_keys(at) == {"download_model", "download_card_json", "download_card_md"}
    files = at.session_state["model_files"]
    assert files["skops"][:2] == b"PK" and b"input_schema" in files["card_json"]
    assert files["card_md"].startswith(b"# Model card")
    header = at.caption[0].value.replace("\\", "")
    assert "mixed.csv" in header and "target label" in header and "model: " in header
    code = at.code[0].value
    assert 'load_model("model.skops")' in code and "model.predict(new)" in code and "predict_proba" in code


def test_upload_predicts_and_offers_an_escaped_csv(session):
    automl, data = session
    new = data.head(8).assign(extra="=HYPERLINK(1)").to_csv(index=False).encode()
    at = page(automl, data, "label")
    at.file_uploader(key="predict_upload").set_value(("new.csv", new, "text/csv")).run()
    assert not at.exception and not at.error
    warnings = [plain(w) for w in at.warning]
    assert any("'extra'" in w and "ignored" in w for w in warnings)
    assert any("target column 'label'" in w for w in warnings)
    table = at.dataframe[0].value
    assert list(table.columns[:3]) == ["prediction", "proba_no", "proba_yes"]      # the predictions first
    assert len(table) == 8 and "extra" in table.columns
    assert "download_predictions" in download_keys(at)
    kept = at.session_state["predict_result"]
    at.run()                      # a rerun (a download click): the upload was released, the predictions stay
    assert at.session_state["predict_result"] is kept                       # not read and predicted again
    assert not at.exception and at.dataframe[0].value.equals(table) and "download_predictions" in download_keys(at)


@pytest.mark.parametrize("content,expected", [
    (b"\x00\x01garbage", None),
    (None, "'city'"),   # a table without one of the model's columns
])
def test_bad_upload_shows_its_error(session, content, expected):
    automl, data = session
    if content is None:
        content = data.drop(columns=["city"]).head(5).to_csv(index=False).encode()
    at = page(automl, data, "label")
    at.file_uploader(key="predict_upload").set_value(("bad.csv", content, "text/csv")).run()
    assert not at.exception
    assert at.error and (expected is None or expected in plain(at.error[0]))
    assert len(at.error) == 1 and not at.warning             # the reason once, not also as a warning
    assert "download_predictions" not in download_keys(at)
