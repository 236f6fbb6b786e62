"""Search page: tiny searches end to end, live progress, Stop, the queued notice, both charts."""
from apphelpers import finish, load_sample, start_tiny_search, texts, wait_until

from automl_app import views
from automl_app.state import job_manager
from automl_engine import PMFRecommender
from automl_engine.data.intake import load_table
from automl_engine.data.samples import sample_datasets


def charts(at):
    return at.get("vega_lite_chart")


def test_without_data_the_page_points_to_the_data_page(app):
    app.switch_page("app_pages/search.py").run()
    assert not app.exception
    assert "Load a table and pick its target" in texts(app.info)[0]
    assert not app.button   # no Start without data


def test_a_tiny_search_ends_with_a_leaderboard_and_a_model(app):
    load_sample(app)
    job = start_tiny_search(app, max_evals=2)
    assert job.settings["max_evals"] == 2 and job.settings["strategy"] == "random"
    assert app.session_state["job"] is job and app.session_state["owner"] == job.owner
    finish(app, job)
    assert job.status == "finished", job.error
    assert "Finished: 2 pipelines evaluated" in texts(app.success)[0]
    board = app.dataframe[0].value
    scores = board["score"]                      # numbers (sortable); a failed row's status says why
    assert len(board) >= 2 and scores.iloc[0] >= scores.iloc[-1]
    assert app.dataframe[0].proto.placeholder == ""      # a missing ± std or prediction is blank, not "None"
    assert len(charts(app)) == 1                       # convergence; no latent map for random search
    assert "latent-space map appears" in " ".join(texts(app.info))
    assert app.session_state["run_id"] == job.run_id and app.query_params["run"] in (job.run_id, [job.run_id])
    assert not app.button(key="start").disabled


def test_the_final_model_chosen_reaches_the_search_and_comes_back_with_its_run(app):
    from automl_app import settings

    load_sample(app)
    app.switch_page("app_pages/search.py").run()
    assert app.selectbox(key="opt_final").value == "auto"
    app.selectbox(key="opt_final").set_value("bagging")
    job = start_tiny_search(app, max_evals=2)
    assert job.settings["final_model"] == "bagging"
    finish(app, job)
    assert job.status == "finished", job.error
    assert job.automl.final_model_ == "bagging" and len(job.automl.model_.estimators) == 3   # its 3 fold models
    assert settings.widget_values(job.settings, None)["opt_final"] == "bagging"              # a reopened run
    assert settings.widget_values({"ensemble": False}, None)["opt_final"] == "refit"        # runs from before
    assert settings.widget_values({"ensemble": True}, None)["opt_final"] == "auto"


def test_stop_ends_a_running_search_and_keeps_the_best(app):
    load_sample(app)
    job = start_tiny_search(app, max_evals=40)
    wait_until(lambda: len(job.records()) >= 1)
    app.run()                                          # the live view while it runs
    assert app.button(key="start").disabled
    assert app.get("progress") and "pipelines" in app.get("progress")[0].proto.text
    app.button(key="stop").click().run()
    assert not app.exception
    finish(app, job, timeout=120)
    assert job.status == "stopped" and len(job.records()) < 40
    assert "Stopped after" in texts(app.warning)[0]
    assert job.result is not None and job.model_path is not None and job.model_path.is_file()


def test_a_search_waits_queued_while_the_server_workers_are_busy(app):
    load_sample(app)
    manager = job_manager()
    path, target = sample_datasets()["wine"]
    blocker = manager.submit(load_table(path), target, {"max_evals": 40, "strategy": "random",
                                                        "n_jobs": manager.max_workers, "learn": False})
    try:
        wait_until(lambda: blocker.status == "running")
        job = start_tiny_search(app, max_evals=2)
        wait_until(lambda: manager.queue_position(job) == 1)
        app.run()
        queued = " ".join(texts(app.info))
        assert job.status == "queued" and "Queued (number 1 in line)" in queued
        assert app.button(key="stop").label == "Cancel"
    finally:
        blocker.stop()
    finish(app, job)
    assert job.status == "finished", job.error


def test_the_recommender_search_shows_the_latent_space_and_why(app, knowledge_dir, monkeypatch):
    monkeypatch.setenv("AUTOML_KNOWLEDGE_DIR", str(knowledge_dir))
    load_sample(app)
    job = start_tiny_search(app, max_evals=3, strategy="pmf")
    finish(app, job)
    assert job.status == "finished", job.error
    assert hasattr(job.result.recommender_, "project_2d")
    assert len(charts(app)) == 2                       # convergence + latent space
    assert {r["source"] for r in job.records()} <= {"warm start", "expected improvement"}
    why = app.expander[0]
    assert views.warm_start_explanation(job.result.recommender_) in " ".join(m.value for m in why.markdown)
    tables = [t.value for t in why.dataframe]
    assert tables and set(tables[0]["dataset"]) <= {f"corpus_set_{i}" for i in range(6)}
    assert len(tables[0]) == 5


def test_the_why_text_follows_how_the_recommender_uses_the_nearest_datasets():
    prior_only = views.warm_start_explanation(PMFRecommender(neighbour_prior=True, n_warm_start=0))
    picks_then_prior = views.warm_start_explanation(PMFRecommender(neighbour_prior=True, n_warm_start=3))
    picks_only = views.warm_start_explanation(PMFRecommender(neighbour_prior=False, n_warm_start=3))
    assert "the first included" in prior_only and "warm start" not in prior_only
    assert "The first picks (warm start)" in picks_then_prior and "start from those datasets" in picks_then_prior
    assert "The first picks (warm start)" in picks_only and "start from those datasets" not in picks_only
