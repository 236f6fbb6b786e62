"""History page: this owner's runs only; reopen one; resume an interrupted one; extend a finished one."""
import pytest
from apphelpers import finish, load_sample, start_tiny_search, texts

from automl_engine.data.intake import load_table
from automl_engine.data.samples import sample_datasets
from automl_engine.service.jobs import JobManager
from automl_engine.store.runs import RunStore


def test_no_runs_yet(app):
    app.switch_page("app_pages/history.py").run()
    assert not app.exception and "No runs yet" in texts(app.info)[0]


@pytest.mark.slow
def test_reopen_and_extend_a_finished_run(app):
    load_sample(app)
    job = finish(app, start_tiny_search(app, max_evals=2), timeout=300).session_state["job"]
    RunStore().create(name="someone else's", target="x", settings={}, owner="f" * 32)
    app.switch_page("app_pages/history.py").run()
    table = app.dataframe[0].value
    assert list(table["run"]) == [job.run_id] and table["status"].iloc[0] == "finished"
    boards = [d for d in app.dataframe if "score" in d.value.columns and "description" in d.value.columns]
    assert boards and all(d.proto.placeholder == "" for d in boards)    # blanks, not "None"
    assert app.selectbox(key="history_run").value == job.run_id
    app.button(key="open_run").click().run()
    assert not app.exception and texts(app.title) == ["Leaderboard"]
    assert len(app.dataframe[0].value) >= 2 and app.session_state["run_id"] == job.run_id
    app.switch_page("app_pages/history.py").run()
    app.number_input(key="extra_evals").set_value(1)
    app.number_input(key="extra_seconds").set_value(0)
    app.button(key="extend_run").click().run()
    assert not app.exception and texts(app.title) == ["Search"]
    extended = app.session_state["job"]
    assert extended.run_id == job.run_id and extended is not job
    finish(app, extended)
    assert extended.status == "finished" and len(extended.records()) == 3
    assert RunStore().get(job.run_id)["n_evaluations"] == 3


def test_an_interrupted_run_is_marked_and_can_be_resumed(app):
    owner = app.session_state["owner"]
    path, target = sample_datasets()["wine"]
    other_server = JobManager(max_workers=1)       # a server process that was killed mid-search
    job = other_server.submit(load_table(path), target, {"max_evals": 3, "strategy": "random", "learn": False,
                                                         "n_folds": 3}, owner=owner, name="wine.csv")
    job.stop()
    job.wait(120)
    RunStore().update(job.run_id, status="running")
    app.switch_page("app_pages/history.py").run()
    assert app.dataframe[0].value["status"].iloc[0] == "interrupted"
    app.button(key="resume_run").click().run()
    assert not app.exception and texts(app.title) == ["Search"]
    resumed = app.session_state["job"]
    assert resumed.run_id == job.run_id
    finish(app, resumed)
    assert resumed.status == "finished" and len(resumed.records()) == 3
    assert app.session_state["run_id"] == resumed.run_id
    assert app.session_state["data"].shape == (178, 14) and app.session_state["target"] == target
