"""Leaderboard page: every pipeline, family filter, one pipeline's details, holdout diagnostics."""
import pytest
from apphelpers import finish, load_sample, start_tiny_search, texts

from automl_app.navigation import PREDICT, SEARCH
from automl_app.work import task_board


def test_without_a_run_the_page_says_what_to_do(app):
    app.switch_page("app_pages/leaderboard.py").run()
    assert not app.exception and "No run yet" in texts(app.info)[0]
    assert [link.proto.label for link in app.get("page_link")] == ["Go to Search"]


def search_then_leaderboard(app, sample, max_evals=3):
    load_sample(app, sample)
    job = start_tiny_search(app, max_evals=max_evals)
    finish(app, job)
    assert job.status == "finished", job.error
    app.switch_page("app_pages/leaderboard.py").run()
    assert not app.exception
    return job


def diagnosed(app, job):
    """Wait for the run's diagnostics (a background task), rerun the page; their result."""
    task = task_board().get((app.session_state["owner"], job.run_id, "diagnostics"))
    assert task is not None and task.wait(300) and task.status == "done", task.error
    app.run()
    assert not app.exception
    return task.result


@pytest.mark.slow
def test_classification_leaderboard_details_and_diagnostics(app):
    job = search_then_leaderboard(app, "wine")
    board = app.dataframe[0].value
    assert len(board) >= 3 and set(board["iteration"]) >= {1, 2, 3}
    assert app.dataframe[0].proto.placeholder == ""      # the ensemble's ± std and fit s are blank, not "None"
    families = app.multiselect(key=f"families_{job.run_id}")
    keep = families.value[0]
    families.set_value([keep]).run()
    assert set(app.dataframe[0].value["family"]) == {keep}
    picker = app.selectbox(key=f"detail_{job.run_id}")
    evaluated = {r["iteration"] for r in job.records()}
    assert picker.value == next(int(i) for i in board["iteration"] if i in evaluated)   # the best pipeline
    details = app.json[0].value
    assert all(k in details for k in ("pipeline", "hyper_parameters", "steps", "fit_time_s", "estimator"))
    assert len(job.records()[0]["fold_scores"]) == 3
    assert "80 %" in " ".join(texts(app.caption))       # the UI says how diagnostics are computed
    app.button(key="diagnose").click().run()
    assert not app.exception and not app.error
    diagnostics = diagnosed(app, job)
    assert diagnostics["kind"] == "classification" and diagnostics["n_test"] == 36   # 20 % of 178
    assert diagnostics["confusion"]["count"].sum() == 36
    assert set(diagnostics["roc"]["curve"].str.split(" vs").str[0]) == {"class_0", "class_1", "class_2"}
    assert len(app.get("vega_lite_chart")) == 3           # fold scores, confusion matrix, ROC


def test_regression_diagnostics(app):
    job = search_then_leaderboard(app, "diabetes", max_evals=2)
    app.button(key="diagnose").click().run()
    assert not app.exception
    diagnostics = diagnosed(app, job)
    assert diagnostics["kind"] == "regression" and len(diagnostics["points"]) == 89
    assert len(app.get("vega_lite_chart")) == 3           # fold scores, predicted vs actual, residuals
    assert diagnostics["metric"] == "r2" and diagnostics["metric_score"] <= 1
    assert any(m.label.startswith("Holdout r2") for m in app.metric)


def test_diagnostics_go_on_while_away_and_reach_the_model_card(app):
    job = search_then_leaderboard(app, "wine", max_evals=2)
    app.button(key="diagnose").click().run()
    assert app.get("progress") or task_board().get((app.session_state["owner"], job.run_id, "diagnostics")).status \
        == "done"
    app.switch_page(SEARCH.path).run()                      # away while it computes
    diagnostics = diagnosed(app, job)
    app.switch_page("app_pages/leaderboard.py").run()       # back: shown, not asked for again
    assert not [b for b in app.button if b.key == "diagnose"]
    labels = [m.label for m in app.metric]
    assert "Holdout accuracy" in labels and "Holdout balanced_accuracy (the search's metric)" in labels
    app.switch_page(PREDICT.path).run()
    card = app.session_state["model_files"]["card"]
    assert card["holdout_score"] == pytest.approx(diagnostics["model_metric_score"])
    if job.result.ensemble_ is None:                        # the model is the diagnosed pipeline
        assert diagnostics["model_metric_score"] == diagnostics["metric_score"]
