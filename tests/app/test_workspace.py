"""One run named everywhere (automl_app.workspace): a reload restores it from the address, a table loaded
during a search does not rename it, a cancelled run does not serve an earlier run's model."""
from apphelpers import APP, finish, load_sample, start_tiny_search, texts, wait_until
from streamlit.testing.v1 import AppTest

from automl_app.navigation import DATA, EXPLAIN, LEADERBOARD, PREDICT, SEARCH


def reloaded(at, page=None):
    """A new session of the same address (F5, or the tab reopened): owner and run from the URL only."""
    fresh = AppTest.from_file(str(APP), default_timeout=60)
    fresh.query_params["owner"] = at.session_state["owner"]
    if at.session_state["run_id"]:
        fresh.query_params["run"] = at.session_state["run_id"]
    if page:
        fresh.switch_page(page)
    fresh.run()
    assert not fresh.exception, fresh.exception
    return fresh


def plain(elements) -> str:
    return " ".join(e.value.replace("\\", "") for e in elements)


def test_a_reload_restores_the_table_target_settings_and_finished_run(app):
    load_sample(app)
    job = start_tiny_search(app, max_evals=2)
    finish(app, job)
    fresh = reloaded(app, LEADERBOARD.path)
    assert fresh.session_state["run_id"] == job.run_id
    assert fresh.session_state["data"].shape == (178, 14) and fresh.session_state["target"] == "cultivar"
    assert job.run_id in plain(fresh.caption) and "wine (sample)" in plain(fresh.caption)
    fresh.switch_page(SEARCH.path).run()
    assert fresh.number_input(key="opt_max_evals").value == 2 and fresh.selectbox(key="opt_folds").value == 3
    assert "Finished: 2 pipelines evaluated" in texts(fresh.success)[0]
    fresh.switch_page(PREDICT.path).run()
    assert {b.key for b in fresh.download_button} >= {"download_model"}
    again = reloaded(fresh, SEARCH.path)          # a second F5: the run's settings again, not the defaults
    assert again.number_input(key="opt_max_evals").value == 2 and again.selectbox(key="opt_folds").value == 3
    assert again.session_state["settings_note"] is None and again.session_state["target"] == "cultivar"


def test_a_reload_before_any_search_keeps_the_table_and_target(app):
    load_sample(app)
    app.selectbox(key=f"task_{app.session_state['data_token']}").set_value("multiclass").run()
    fresh = reloaded(app)
    assert fresh.session_state["data"].shape == (178, 14) and fresh.session_state["target"] == "cultivar"
    assert fresh.session_state["task"] == "multiclass" and fresh.session_state["run_id"] is None


def test_a_table_loaded_during_a_search_does_not_rename_its_run(app):
    load_sample(app, "wine")
    job = start_tiny_search(app, max_evals=40)
    wait_until(lambda: len(job.records()) >= 1)
    app.switch_page(DATA.path).run()
    load_sample(app, "diabetes")                                   # a new table while the search runs
    for page in (LEADERBOARD.path, EXPLAIN.path, PREDICT.path):
        app.switch_page(page).run()
        assert not app.exception
        header = app.caption[0].value.replace("\\", "")
        assert job.run_id in header and "wine (sample)" in header and "target cultivar" in header, page
    app.switch_page(SEARCH.path).run()
    assert "Next search: diabetes (sample)" in plain(app.caption)
    assert "back to their defaults" in plain(app.caption)
    bookmark = AppTest.from_file(str(APP), default_timeout=60)   # the address without ?run=: the live search
    bookmark.query_params["owner"] = app.session_state["owner"]
    bookmark.run()
    assert bookmark.session_state["run_id"] == job.run_id and bookmark.session_state["data_name"] == "diabetes (sample)"
    app.button(key="stop").click().run()
    finish(app, job, timeout=120)
    fresh = reloaded(app, LEADERBOARD.path)                       # the newer table stays on the Data page
    assert fresh.session_state["data_name"] == "diabetes (sample)" and fresh.session_state["run_id"] == job.run_id
    app.switch_page(EXPLAIN.path).run()
    assert not app.exception and "no model to explain" not in plain(app.info)   # the finished run's model


def test_a_cancelled_run_does_not_serve_an_earlier_model(app):
    from automl_app.state import job_manager
    from automl_engine.data.intake import load_table
    from automl_engine.data.samples import sample_datasets

    load_sample(app)
    earlier = start_tiny_search(app, max_evals=2)
    finish(app, earlier)
    assert earlier.result is not None
    manager = job_manager()
    path, target = sample_datasets()["wine"]
    blocker = manager.submit(load_table(path), target, {"max_evals": 40, "strategy": "random",
                                                        "n_jobs": manager.max_workers, "learn": False})
    try:
        wait_until(lambda: blocker.status == "running")
        job = start_tiny_search(app, max_evals=40)                 # queued behind the blocker
        wait_until(lambda: manager.queue_position(job) == 1)
        app.run()
        app.button(key="stop").click().run()                       # Cancel: no evaluation, no model
        finish(app, job, timeout=120)
    finally:
        blocker.stop()
    assert job.status == "stopped" and not job.records() and job.result is None
    for page in (LEADERBOARD.path, EXPLAIN.path, PREDICT.path):
        app.switch_page(page).run()
        said = plain(app.info) + plain(app.caption)
        assert job.run_id in said and earlier.run_id not in said, page
        assert not app.download_button and not app.get("vega_lite_chart")
    assert "stopped before any pipeline finished" in said
