"""A finished run in the run store, with its table and model file, as a search of the app leaves it.

The Explain and Predict tests open such a run (``run_id`` in the session) the way a reloaded page
or a restarted server does: the model comes from the run's ``.skops`` file, the rows from its parquet copy.
"""
from automl_app.background import RUNNING
from automl_app.work import task_board
from automl_engine.model.skops_io import save_model
from automl_engine.service.jobs import JobManager, run_summary, save_frame, write_summary
from automl_engine.store.runs import RunStore

OWNER = "a" * 32


def stored_run(automl, frame, target: str, name: str = "mixed.csv", owner: str = OWNER) -> str:
    """The id of a new finished run of ``owner`` whose table is ``frame`` and model ``automl``."""
    store = RunStore()
    run_id = store.create(name=name, target=target, owner=owner,
                          settings={"task": automl.task_, "metric": automl.metric_, "max_evals": 3})
    folder = JobManager.data_folder()
    data_path = save_frame(frame, folder / f"{run_id}.parquet")
    model_path = save_model(automl, folder / f"{run_id}.skops")
    write_summary(model_path.with_suffix(".json"), run_summary(automl))
    for record in automl.history_:
        store.add_evaluation(run_id, record)
    store.update(run_id, status="finished", task=automl.task_, metric=automl.metric_, data_path=str(data_path),
                 model_path=str(model_path))
    return run_id


def wait_for_tasks(at, run_id: str, owner: str = OWNER, timeout: float = 600):
    """Wait for the background tasks of ``run_id`` (SHAP values, diagnostics), then rerun the page."""
    for _, task in task_board().find((owner, run_id)):
        assert task.wait(timeout), "background task still running"
    at.run()
    assert not at.exception, at.exception
    return at


def tasks(run_id: str, kind: str, owner: str = OWNER) -> list:
    return [t for k, t in task_board().find((owner, run_id, kind))]


__all__ = ["OWNER", "RUNNING", "stored_run", "tasks", "wait_for_tasks"]
