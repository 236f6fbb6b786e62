"""Explain page (AppTest from the entry point): no-model hint, charts on a sample, a failing explanation's sentence."""
import pytest
from apphelpers import app_on_page
from fitted_model import fitted_automl, keep_main_module  # noqa: F401 - autouse fixture

from automl_app.navigation import EXPLAIN

TIMEOUT = 600


@pytest.fixture(scope="module", autouse=True)
def session():
    return fitted_automl()  # before any AppTest run (see fitted_model)


def page(automl=None, data=None, target=None):
    return app_on_page(EXPLAIN.path, default_timeout=TIMEOUT, automl=automl, data=data, target=target)


def charts(at):
    return at.get("vega_lite_chart")


@pytest.mark.slow
def test_without_a_model_the_page_says_so():
    at = page()
    assert not at.exception
    assert "no model to explain" in at.info[0].value
    assert not charts(at)
    assert [link.proto.label for link in at.get("page_link")] == ["Go to Search"]


@pytest.mark.slow
def test_charts_for_the_fitted_model(session):
    automl, data = session
    at = page(automl, data, "label")
    assert not at.exception and not at.error
    assert len(charts(at)) == 4  # importance, beeswarm, dependence, waterfall
    assert any("SHAP values" in c.value for c in at.caption)
    result = at.session_state["explanation"]["result"]
    assert list(result.values.columns) == list(automl.column_types_)
    assert result.class_label == "yes"
    column = at.selectbox(key="explain_dependence")
    assert column.value == result.importance().index[0]
    column.set_value(list(automl.column_types_)[-1]).run()
    row = at.selectbox(key="explain_row")
    row.set_value(result.values.index[3]).run()
    assert not at.exception and len(charts(at)) == 4
    assert at.session_state["explanation"]["result"] is result  # not recomputed for a chart choice
    at.selectbox(key="explain_class").set_value(0).run()
    assert not at.exception and at.session_state["explanation"]["result"].class_label == "no"


def test_unusable_data_shows_one_sentence(session):
    automl, data = session
    at = page(automl, data.drop(columns=["city"]), "label")
    assert not at.exception
    assert at.error and "'city'" in at.error[0].value.replace("\\", "")
    assert not charts(at)


@pytest.mark.slow
def test_a_sample_cut_by_the_time_budget_is_said(session, monkeypatch):
    from automl_engine.explain import budget as explain_budget

    monkeypatch.setattr(explain_budget, "MIN_EXPLAINED_ROWS", 10)
    monkeypatch.setattr(explain_budget, "timed", lambda fn: 1000.0)  # the model "takes" 1000 s per timing
    automl, data = session
    at = page(automl, data, "label")
    assert not at.exception and not at.error
    result = at.session_state["explanation"]["result"]
    assert result.time_limited and len(result.values) == 10 and result.n_requested == len(data)
    assert any(f"Explained 10 of the {len(data)} sampled rows" in i.value for i in at.info)
    assert len(charts(at)) == 4
