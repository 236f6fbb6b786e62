"""Explain page (AppTest from the entry point): the run it explains, charts computed in the background and
kept per run and class, the picked class kept across pages, a failing explanation's one sentence."""
import pytest
from apphelpers import app_on_page
from fitted_model import fitted_automl, fitted_multiclass_forest, keep_main_module  # noqa: F401 - autouse fixture
from stored_run import OWNER, stored_run, tasks, wait_for_tasks

from automl_app.navigation import EXPLAIN, LEADERBOARD

TIMEOUT = 600


@pytest.fixture(scope="module", autouse=True)
def session():
    fitted_multiclass_forest()  # before any AppTest run (see fitted_model)
    return fitted_automl()


def page(run_id=None):
    return app_on_page(EXPLAIN.path, default_timeout=TIMEOUT, owner=OWNER, run_id=run_id)


def charts(at):
    return at.get("vega_lite_chart")


def shap_tasks(run_id):
    return tasks(run_id, "shap")


def test_without_a_run_the_page_says_so():
    at = page()
    assert not at.exception
    assert "no model to explain" in at.info[0].value
    assert not charts(at)
    assert [link.proto.label for link in at.get("page_link")] == ["Go to Search"]


def test_a_run_without_a_model_is_named_and_says_why(session):
    from automl_engine.store.runs import RunStore

    store = RunStore()
    run_id = store.create(name="cancelled.csv", target="label", settings={}, owner=OWNER)
    store.update(run_id, status="stopped")
    at = page(run_id)
    assert not at.exception and not charts(at)
    header = at.caption[0].value.replace("\\", "")
    assert run_id in header and "cancelled.csv" in header and "model: no model" in header
    assert "stopped before any pipeline finished" in at.info[0].value.replace("\\", "")


@pytest.mark.slow
def test_charts_in_the_background_kept_per_class_and_across_pages(session):
    automl, data = session
    run_id = stored_run(automl, data, "label")
    at = page(run_id)
    assert not at.exception and at.get("progress")           # computing, in the background
    header = at.caption[0].value.replace("\\", "")
    assert run_id in header and "mixed.csv" in header and "target label" in header
    wait_for_tasks(at, run_id)
    assert not at.error and len(charts(at)) == 4             # importance, beeswarm, dependence, waterfall
    [first] = shap_tasks(run_id)
    result = first.result
    assert list(result.values.columns) == list(automl.column_types_) and result.class_label == "yes"
    column = at.selectbox(key="explain_dependence")
    assert column.value == result.importance().index[0]
    column.set_value(list(automl.column_types_)[-1]).run()
    at.selectbox(key="explain_row").set_value(result.values.index[3]).run()
    assert not at.exception and len(charts(at)) == 4 and shap_tasks(run_id) == [first]   # not recomputed

    at.selectbox(key=f"explain_class_{run_id}").set_value(0).run()     # the other class of a binary model:
    assert not at.get("progress") and len(charts(at)) == 4              # derived at once, not recomputed
    assert [t.result.class_label for t in shap_tasks(run_id)] == ["yes", "no"]
    assert shap_tasks(run_id)[1].message == "derived"
    derived = next(c.value for c in at.caption if "derived from the other class" in c.value)
    kind = shap_tasks(run_id)[1].result.output_kind                      # the caption names the right relation
    assert ("log-odds is the other's negated" if kind == "log-odds" else "probability is one minus") in derived
    at.switch_page(LEADERBOARD.path).run()                             # away and back: class kept, nothing redone
    at.switch_page(EXPLAIN.path).run()
    assert at.selectbox(key=f"explain_class_{run_id}").value == 0 and len(charts(at)) == 4
    at.selectbox(key=f"explain_class_{run_id}").set_value(1).run()      # back to the first class: reused at once
    assert len(charts(at)) == 4 and not at.get("progress") and len(shap_tasks(run_id)) == 2


def test_unusable_data_shows_one_sentence(session):
    automl, data = session
    run_id = stored_run(automl, data.drop(columns=["city"]), "label")
    at = wait_for_tasks(page(run_id), run_id)
    assert at.error and "'city'" in at.error[0].value.replace("\\", "")
    assert len(at.error) == 1 and not charts(at)
    [failed] = shap_tasks(run_id)
    at.run()                                                  # a rerun shows the failure, it does not start it again
    assert len(at.error) == 1 and shap_tasks(run_id) == [failed] and not at.get("progress")
    at.button(key="explain_retry").click().run()              # "Try again" does
    [retried] = shap_tasks(run_id)
    assert retried is not failed
    at = wait_for_tasks(at, run_id)
    assert len(at.error) == 1 and "'city'" in at.error[0].value.replace("\\", "")


@pytest.mark.slow
def test_a_sample_cut_by_the_time_budget_is_said(session, monkeypatch):
    from automl_engine.explain import budget as explain_budget

    monkeypatch.setattr(explain_budget, "MIN_EXPLAINED_ROWS", 10)
    monkeypatch.setattr(explain_budget, "timed", lambda fn: 1000.0)  # the model "takes" 1000 s per timing
    automl, data = session
    run_id = stored_run(automl, data, "label")
    at = wait_for_tasks(page(run_id), run_id)
    assert not at.error
    [task] = shap_tasks(run_id)
    result = task.result
    assert result.time_limited and len(result.values) == 10 and result.n_requested == len(data)
    assert any(f"Explained 10 of the {len(data)} sampled rows" in i.value for i in at.info)
    assert len(charts(at)) == 4


@pytest.mark.slow
def test_a_multiclass_tree_model_keeps_every_class_from_one_computation():
    automl, data = fitted_multiclass_forest()
    run_id = stored_run(automl, data, "label", name="three.csv")
    at = wait_for_tasks(page(run_id), run_id)
    assert not at.error and len(charts(at)) == 4
    picked = at.selectbox(key=f"explain_class_{run_id}").value
    found = shap_tasks(run_id)
    assert len(found) == 3 and sum(t.message == "same pass" for t in found) == 2   # one computed, two kept
    other = next(i for i in range(3) if i != picked)
    at.selectbox(key=f"explain_class_{run_id}").set_value(other).run()
    assert not at.get("progress") and len(charts(at)) == 4 and len(shap_tasks(run_id)) == 3   # nothing recomputed
    assert any("same pass" in c.value for c in at.caption)
    shown = [t for t in shap_tasks(run_id) if t.result.class_label == automl.classes_[other]]
    assert len(shown) == 1 and shown[0].message == "same pass"
